//! A lexical pre-scan that runs before the grammar. It finds what a PEG parser
//! reports poorly or cannot survive: nesting deeper than the limit (which would
//! otherwise recurse without bound), unterminated strings, curly quotes and other
//! stray characters. It also collects comments for the formatter and splits the
//! file into item chunks so that one broken item does not hide the errors of the
//! next.

use crate::ast::Comment;
use crate::limits::MAX_NESTING;
use seg_diagnostics::{Code, Diagnostic, FileId, Span};

/// What the pre-scan learned about a file.
pub(crate) struct PreScan {
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
    /// Byte offsets where items start (always includes 0).
    pub chunk_starts: Vec<usize>,
}

const ITEM_KEYWORDS: [&str; 6] = ["schema", "use", "param", "segment", "priority", "test"];

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when an item keyword starts at `offset` as a whole word.
fn item_keyword_at(text: &str, offset: usize) -> bool {
    let rest = &text.as_bytes()[offset..];
    ITEM_KEYWORDS.iter().any(|kw| {
        rest.starts_with(kw.as_bytes()) && rest.get(kw.len()).is_none_or(|&b| !is_ident_byte(b))
    })
}

pub(crate) fn prescan(text: &str, file: FileId) -> PreScan {
    let mut comments = Vec::new();
    let mut diagnostics = Vec::new();
    let mut chunk_starts = vec![0];
    let mut depth: usize = 0;
    let mut braces: usize = 0;
    let mut too_deep_reported = false;
    let mut at_line_start = true;
    let bytes = text.as_bytes();
    let mut chars = text.char_indices().peekable();

    while let Some((i, c)) = chars.next() {
        if at_line_start && !c.is_whitespace() {
            at_line_start = false;
            if i > 0 && item_keyword_at(text, i) {
                chunk_starts.push(i);
            }
        }
        match c {
            '\n' => at_line_start = true,
            '#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let body = text[i + 1..end].trim_end_matches('\r');
                comments.push(Comment {
                    text: body.to_string(),
                    span: Span::new(file, i, i + 1 + body.len()),
                });
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            '"' => {
                // Scan to the closing quote on the same line.
                let mut closed = false;
                while let Some(&(j, d)) = chars.peek() {
                    match d {
                        '\\' => {
                            chars.next();
                            if chars.peek().is_some_and(|&(_, e)| e != '\n' && e != '\r') {
                                chars.next();
                            }
                        }
                        '"' => {
                            chars.next();
                            closed = true;
                            break;
                        }
                        '\n' | '\r' => {
                            let _ = j;
                            break;
                        }
                        _ => {
                            chars.next();
                        }
                    }
                }
                if !closed {
                    let end = text[i..].find(['\n', '\r']).map_or(text.len(), |n| i + n);
                    diagnostics.push(
                        Diagnostic::new(Code::E0004, Span::new(file, i, end), "string is not closed")
                            .with_label("this string has no closing `\"` on its line")
                            .with_help("strings cannot span lines: add the closing `\"` before the end of the line"),
                    );
                }
            }
            '`' => {
                let mut closed = false;
                while let Some(&(_, d)) = chars.peek() {
                    if d == '\n' || d == '\r' {
                        break;
                    }
                    chars.next();
                    if d == '`' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    let end = text[i..].find(['\n', '\r']).map_or(text.len(), |n| i + n);
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0012,
                            Span::new(file, i, end),
                            "backticked name is not closed",
                        )
                        .with_label("this name has no closing backtick on its line")
                        .with_help("close the name with a backtick: `First Name`"),
                    );
                }
            }
            // Braces nest too since v0.2 (record types and record literals);
            // the first level is an item's own body, which is not recursion.
            '{' if braces == 0 => braces += 1,
            '}' if braces <= 1 => braces = braces.saturating_sub(1),
            '}' => {
                braces -= 1;
                depth = depth.saturating_sub(1);
            }
            '(' | '[' | '{' => {
                if c == '{' {
                    braces += 1;
                }
                depth += 1;
                if depth > MAX_NESTING && !too_deep_reported {
                    too_deep_reported = true;
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0003,
                            Span::new(file, i, i + 1),
                            format!("brackets are nested more than {MAX_NESTING} levels deep"),
                        )
                        .with_label(format!("level {depth} opens here"))
                        .with_help(
                            "split the condition into smaller segments and reference them by name",
                        ),
                    );
                }
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2018}' | '\u{2019}' => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0002,
                        Span::new(file, i, i + c.len_utf8()),
                        format!("curly quote `{c}` is not allowed"),
                    )
                    .with_label("curly quote, probably pasted from a document")
                    .with_help("write strings between straight double quotes: \"like this\""),
                );
            }
            '\'' => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0002,
                        Span::new(file, i, i + 1),
                        "single quotes are not allowed",
                    )
                    .with_label("single quote")
                    .with_help("write strings between double quotes: \"like this\""),
                );
            }
            // A date written with slashes would parse as a division; caught
            // here, where the whole `01/02/2025` is one word.
            c if c.is_ascii_digit()
                && !(i > 0 && (is_ident_byte(bytes[i - 1]) || bytes[i - 1] == b'.'))
                && let Some(diagnostic) = crate::habits::slash_date(text, i, file) =>
            {
                let end = diagnostic.span.end as usize;
                diagnostics.push(diagnostic);
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            c if c.is_ascii_graphic() || c == ' ' || c == '\t' || c == '\r' => {}
            c => {
                let shown = if c.is_control() || c.is_whitespace() {
                    format!("U+{:04X}", u32::from(c))
                } else {
                    c.to_string()
                };
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0002,
                        Span::new(file, i, i + c.len_utf8()),
                        format!("character `{shown}` is not allowed here"),
                    )
                    .with_label("outside a string, comment or backticked name")
                    .with_help("non-ASCII text belongs in a \"string\" or a `backticked name`"),
                );
            }
        }
    }
    PreScan {
        comments,
        diagnostics,
        chunk_starts,
    }
}
