//! The Seg grammar (`grammar/seg.pest`), its spanned AST, the parser and the
//! canonical formatter.
//!
//! [`parse`] never fails and never panics: it returns the items it could build
//! and every diagnostic it found, one broken item not hiding the errors of the
//! next. [`format_file`] prints a parsed file in the one canonical layout,
//! keeping every comment.

pub mod ast;
mod fmt;
mod habits;
pub mod limits;
mod parse;
mod prescan;

pub use fmt::format_file;
pub use parse::{KEYWORDS, Parsed, is_plain_name, name_source, parse};

/// The text without a leading UTF-8 byte order mark, which editors on Windows
/// write. Source text is stripped of it where it enters (reading a file,
/// checking text held in memory), so positions count from the first visible
/// character, as the editor shows them.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}
