//! One module per command.

pub mod check;
pub mod fmt;
