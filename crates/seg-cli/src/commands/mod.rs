//! One module per command.

pub mod check;
pub mod fmt;
pub mod run;
pub mod schema;
pub mod test;
