//! `matches` patterns translated for each engine's regular expressions.
//!
//! Seg patterns are Rust `regex` syntax. Rather than hope another engine
//! reads the same text the same way, the pattern is parsed into
//! `regex-syntax`'s high-level form, where every class is an explicit set of
//! code-point ranges (`\w`, `\d` and `.` are Unicode-aware sets; `.` already
//! excludes `\n`; `(?i)` has become case-folded classes), and printed back
//! with only the constructs every engine reads the same: literal
//! characters, bracketed ranges, groups, alternation, counted repetition and
//! the text anchors. What cannot be printed that way — a word boundary
//! (Unicode in Rust, ASCII in RE2, locale-dependent in PostgreSQL), line
//! anchors, a repetition count past the engine's limit — is refused with the
//! reason, never emitted with a different meaning.

use crate::dialect::RegexFlavor;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// The pattern in the engine's syntax, or why it cannot be written there.
pub(crate) fn translate(pattern: &str, flavor: RegexFlavor) -> Result<String, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|e| format!("the pattern does not parse: {e}"))?;
    let mut out = String::new();
    Printer { flavor }.hir(&hir, &mut out)?;
    Ok(out)
}

struct Printer {
    flavor: RegexFlavor,
}

impl Printer {
    /// The largest counted repetition the engine accepts.
    fn max_repeat(&self) -> u32 {
        match self.flavor {
            RegexFlavor::Re2 => 1000,
            // RE_DUP_MAX in PostgreSQL's and POSIX engines.
            RegexFlavor::PostgresAre | RegexFlavor::Posix => 255,
            RegexFlavor::Java | RegexFlavor::Rust => u32::MAX,
        }
    }

    fn group_open(&self) -> &'static str {
        match self.flavor {
            // POSIX has no non-capturing group; a capturing one matches the same.
            RegexFlavor::Posix => "(",
            _ => "(?:",
        }
    }

    fn hir(&self, hir: &Hir, out: &mut String) -> Result<(), String> {
        match hir.kind() {
            HirKind::Empty => Ok(()),
            HirKind::Literal(lit) => {
                let text = std::str::from_utf8(&lit.0)
                    .map_err(|_| "the pattern matches bytes that are not UTF-8".to_string())?;
                for c in text.chars() {
                    self.literal(c, out);
                }
                Ok(())
            }
            HirKind::Class(Class::Unicode(class)) => {
                let ranges: Vec<(char, char)> = class
                    .ranges()
                    .iter()
                    .map(|r| (r.start(), r.end()))
                    .collect();
                self.class(&ranges, out)
            }
            HirKind::Class(Class::Bytes(class)) => {
                let mut ranges = Vec::new();
                for r in class.ranges() {
                    if r.end() > 0x7f {
                        return Err("the pattern matches bytes that are not UTF-8".into());
                    }
                    ranges.push((char::from(r.start()), char::from(r.end())));
                }
                self.class(&ranges, out)
            }
            HirKind::Look(look) => self.look(*look, out),
            HirKind::Repetition(rep) => {
                let limit = self.max_repeat();
                if rep.min > limit || rep.max.is_some_and(|m| m > limit) {
                    return Err(format!(
                        "a repetition count above {limit}, the engine's limit"
                    ));
                }
                out.push_str(self.group_open());
                self.hir(&rep.sub, out)?;
                out.push(')');
                // Lazy and greedy repetitions find a match in the same texts,
                // and `matches` only asks whether there is one.
                match (rep.min, rep.max) {
                    (0, None) => out.push('*'),
                    (1, None) => out.push('+'),
                    (0, Some(1)) => out.push('?'),
                    (n, None) => out.push_str(&format!("{{{n},}}")),
                    (n, Some(m)) if n == m => out.push_str(&format!("{{{n}}}")),
                    (n, Some(m)) => out.push_str(&format!("{{{n},{m}}}")),
                }
                Ok(())
            }
            HirKind::Capture(capture) => {
                out.push_str(self.group_open());
                self.hir(&capture.sub, out)?;
                out.push(')');
                Ok(())
            }
            HirKind::Concat(items) => {
                for item in items {
                    self.hir(item, out)?;
                }
                Ok(())
            }
            HirKind::Alternation(items) => {
                out.push_str(self.group_open());
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    self.hir(item, out)?;
                }
                out.push(')');
                Ok(())
            }
        }
    }

    fn look(&self, look: Look, out: &mut String) -> Result<(), String> {
        match (look, self.flavor) {
            (Look::Start, RegexFlavor::Java) => out.push_str("\\A"),
            (Look::Start, _) => out.push('^'),
            // Java's `$` also matches before a final line terminator.
            (Look::End, RegexFlavor::Java) => out.push_str("\\z"),
            (Look::End, _) => out.push('$'),
            (Look::WordUnicode, RegexFlavor::Rust) => out.push_str("\\b"),
            (Look::WordUnicodeNegate, RegexFlavor::Rust) => out.push_str("\\B"),
            (Look::WordAscii, RegexFlavor::Rust) => out.push_str("(?-u:\\b)"),
            (Look::WordAsciiNegate, RegexFlavor::Rust) => out.push_str("(?-u:\\B)"),
            (Look::StartLF | Look::EndLF, RegexFlavor::Re2 | RegexFlavor::Rust) => {
                out.push_str(if look == Look::StartLF {
                    "(?m:^)"
                } else {
                    "(?m:$)"
                });
            }
            (Look::StartLF | Look::EndLF | Look::StartCRLF | Look::EndCRLF, _) => {
                return Err("a line anchor (`(?m)^` or `(?m)$`)".into());
            }
            _ => {
                return Err(
                    "a word boundary (`\\b`, `\\B`, `\\<`, `\\>`), whose idea of a word differs between engines"
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// One character outside brackets.
    fn literal(&self, c: char, out: &mut String) {
        if matches!(
            c,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
        ) || (self.flavor == RegexFlavor::Rust && c == '#')
        {
            out.push('\\');
            out.push(c);
        } else if c.is_control() || c.is_whitespace() && c != ' ' {
            self.code_point(c, out);
        } else {
            out.push(c);
        }
    }

    /// A character written by its code point.
    fn code_point(&self, c: char, out: &mut String) {
        let n = c as u32;
        match self.flavor {
            // POSIX has no code-point escape: the character itself goes in
            // (the string literal that carries the pattern escapes it).
            RegexFlavor::Posix => out.push(c),
            RegexFlavor::PostgresAre => out.push_str(&format!("\\U{n:08X}")),
            _ => out.push_str(&format!("\\x{{{n:X}}}")),
        }
    }

    /// One character inside brackets.
    fn class_char(&self, c: char, out: &mut String) {
        if matches!(c, '\\' | ']' | '[' | '^' | '-')
            || (self.flavor == RegexFlavor::Rust && matches!(c, '&' | '~'))
            || c.is_control()
            || c.is_whitespace()
        {
            if c.is_control() || c.is_whitespace() {
                self.code_point(c, out);
            } else {
                out.push('\\');
                out.push(c);
            }
        } else {
            out.push(c);
        }
    }

    fn class(&self, ranges: &[(char, char)], out: &mut String) -> Result<(), String> {
        if ranges.is_empty() {
            return Err("a class that matches no character".into());
        }
        if let [(a, b)] = ranges
            && a == b
        {
            self.literal(*a, out);
            return Ok(());
        }
        if self.flavor == RegexFlavor::Posix
            && ranges.iter().any(|&(a, b)| {
                [a, b]
                    .iter()
                    .any(|&c| matches!(c, '\\' | ']' | '[' | '^' | '-'))
            })
        {
            // POSIX brackets have no escapes; a bracket or backslash at the
            // end of a range would need reordering tricks we do not rely on.
            // (Characters strictly inside a range need no spelling.)
            return Err("a class with `\\`, `]`, `[`, `^` or `-` at the end of a range".into());
        }
        out.push('[');
        for &(a, b) in ranges {
            // PostgreSQL text cannot hold U+0000, and its regexes do not
            // accept it: a class starts at U+0001 there, matching the same.
            let a = if self.flavor == RegexFlavor::PostgresAre && a == '\0' {
                '\u{1}'
            } else {
                a
            };
            if b < a {
                continue;
            }
            self.class_char(a, out);
            if b != a {
                out.push('-');
                self.class_char(b, out);
            }
        }
        out.push(']');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn classes_are_expanded_and_anchors_kept() {
        assert_eq!(translate("^San ", RegexFlavor::Re2).unwrap(), "^San ");
        assert_eq!(
            translate("a.c", RegexFlavor::Re2).unwrap(),
            "a[\\x{0}-\\x{9}\\x{B}-\u{10FFFF}]c"
        );
        assert_eq!(
            translate("(?i)k", RegexFlavor::Re2).unwrap(),
            "[Kk\u{212A}]"
        );
        assert_eq!(translate("x$", RegexFlavor::Java).unwrap(), "x\\z");
        assert_eq!(
            translate("a{2,3}", RegexFlavor::PostgresAre).unwrap(),
            "(?:a){2,3}"
        );
        assert_eq!(
            translate("cat|dog", RegexFlavor::Posix).unwrap(),
            "(cat|dog)"
        );
        assert_eq!(translate("a{2,}", RegexFlavor::Rust).unwrap(), "(?:a){2,}");
    }

    #[test]
    fn what_an_engine_reads_differently_is_refused() {
        for flavor in [
            RegexFlavor::Re2,
            RegexFlavor::PostgresAre,
            RegexFlavor::Java,
            RegexFlavor::Posix,
        ] {
            assert!(translate(r"\bcat\b", flavor).is_err());
            assert!(translate("(?m)^a", flavor).is_err() || flavor == RegexFlavor::Re2);
        }
        assert!(translate("a{300}", RegexFlavor::PostgresAre).is_err());
        assert!(translate("a{300}", RegexFlavor::Re2).is_ok());
        assert_eq!(translate(r"\bcat", RegexFlavor::Rust).unwrap(), r"\bcat");
        assert_eq!(translate(r"1\.5#", RegexFlavor::Rust).unwrap(), r"1\.5\#");
    }
}
