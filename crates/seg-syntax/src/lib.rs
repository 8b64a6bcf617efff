//! The Seg grammar (`grammar/seg.pest`), its spanned AST, the parser and the
//! canonical formatter.
//!
//! [`parse`] never fails and never panics: it returns the items it could build
//! and every diagnostic it found, one broken item not hiding the errors of the
//! next. [`format_file`] prints a parsed file in the one canonical layout,
//! keeping every comment.

pub mod ast;
mod fmt;
pub mod limits;
mod parse;
mod prescan;

pub use fmt::format_file;
pub use parse::{Parsed, parse};
