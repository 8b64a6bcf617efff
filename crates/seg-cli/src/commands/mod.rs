//! One module per command.

pub mod bench;
pub mod check;
pub mod explain;
pub mod fmt;
pub mod run;
pub mod schema;
pub mod test;
