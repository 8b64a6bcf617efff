//! Habits from SQL and spreadsheets, recognized where the parse fails (or, for
//! forms that parse as something else, where they are built), each with a
//! targeted message, a help line and a machine-applicable fix. The grammar
//! does not grow: it would have to accept the wrong forms and the good
//! messages would then depend on rules far from the failure.
//!
//! Each fix is complete, so applying it gives a program that parses: the
//! first error already holds the whole fix (`is not null` becomes
//! `is present`, not `is not missing` and then a second message).

use regex::Regex;
use seg_diagnostics::{Code, Diagnostic, Edit, FileId, Span};
use std::sync::LazyLock;

/// The line holding `offset`: its start and end (without the line break).
fn line_around(text: &str, offset: usize) -> (usize, usize) {
    let start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |n| offset + n);
    (start, end)
}

/// Compiles a pattern written in this file; a bad one is a bug found by the
/// unit tests, never by a user, so it degrades to a pattern that never matches.
fn pattern(text: &str) -> Regex {
    Regex::new(text).unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
}

macro_rules! pattern {
    ($name:ident, $text:literal) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| pattern($text));
    };
}

pattern!(LIKE, r#"(?i)\b(not\s+)?like\s+"((?:[^"\\]|\\.)*)""#);
pattern!(IS_NULL, r"(?i)\bis\s+(not\s+)?null\b");
pattern!(IN_PAREN, r"\b(?:not\s+)?in\s*\(");
pattern!(CONTAINS_CALL, r"\bcontains\s*\(");
pattern!(
    METHOD,
    r"\b([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_]+)\s*\(\s*\)"
);
pattern!(
    INTERVAL,
    r"(?i)\b(now|today|current_date|current_timestamp|getdate)\s*(?:\(\s*\))?\s*-\s*interval\s+(\d+)\s+([a-z]+)\b"
);
pattern!(NOW_CALL, r"\b(now|today)\s*\(\s*\)");
pattern!(PERCENT, r"\b(\d+(?:\.\d+)?)\s*%\s*$");
pattern!(
    HYPHENATED,
    r"^\s*(segment|param|priority)\s+([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+)"
);

/// The Seg functions a method call (`city.lower()`) may stand for.
const FUNCTIONS: &[&str] = &[
    "lower", "upper", "length", "size", "abs", "year", "month", "day",
];

/// Units of `N unit ago`, singular and plural.
const UNITS: &[&str] = &["minute", "hour", "day", "week", "month", "year"];

/// A diagnostic for a habit at the parse failure at `offset`, if one is
/// recognized on its line.
pub(crate) fn at_failure(text: &str, offset: usize, file: FileId) -> Option<Diagnostic> {
    let (start, end) = line_around(text, offset);
    let line = &text[start..end];
    let at = offset - start;
    let span = |from: usize, to: usize| Span::new(file, start + from, start + to);
    // A match on the line that holds the failure (or ends where it is).
    let around = |re: &Regex| {
        re.captures_iter(line)
            .find(|c| c.get(0).is_some_and(|m| m.start() <= at && at <= m.end()))
    };

    if let Some(c) = around(&LIKE) {
        let whole = c.get(0)?;
        let negated = c.get(1).is_some();
        let body = c.get(2)?.as_str();
        let (replacement, what) = like_replacement(body, negated);
        return Some(
            Diagnostic::new(
                Code::E0013,
                span(whole.start(), whole.end()),
                "Seg has no `like`",
            )
            .with_label("SQL's pattern match")
            .with_help(format!("write `{replacement}`: {what}"))
            .with_replacement(
                format!("use `{replacement}`"),
                span(whole.start(), whole.end()),
                replacement,
            ),
        );
    }
    if let Some(c) = around(&IS_NULL) {
        let whole = c.get(0)?;
        let replacement = if c.get(1).is_some() {
            "is present"
        } else {
            "is missing"
        };
        return Some(null_diagnostic(
            span(whole.start(), whole.end()),
            whole.as_str(),
            replacement,
        ));
    }
    if let Some(c) = around(&INTERVAL) {
        let whole = c.get(0)?;
        let amount = c.get(2)?.as_str();
        let unit = c.get(3)?.as_str().to_lowercase();
        let singular = unit.strip_suffix('s').unwrap_or(&unit);
        if UNITS.contains(&singular) {
            let base = c.get(1)?.as_str().to_lowercase();
            let replacement = format!(
                "{amount} {singular}{} ago",
                if amount == "1" { "" } else { "s" }
            );
            let against = if base.contains("date") || base == "today" {
                " (a date compared with a date counts calendar days)"
            } else {
                ""
            };
            return Some(
                Diagnostic::new(
                    Code::E0013,
                    span(whole.start(), whole.end()),
                    "write relative time as `N units ago`",
                )
                .with_label("SQL's date arithmetic")
                .with_help(format!("write `{replacement}`{against}"))
                .with_replacement(
                    format!("use `{replacement}`"),
                    span(whole.start(), whole.end()),
                    replacement,
                ),
            );
        }
    }
    if let Some(c) = around(&NOW_CALL) {
        let whole = c.get(0)?;
        let word = c.get(1)?.as_str();
        return Some(
            Diagnostic::new(
                Code::E0013,
                span(whole.start(), whole.end()),
                format!("`{word}` is a value, not a function"),
            )
            .with_label("no parentheses after it")
            .with_help(format!(
                "write `{word}`; for a time before it, write `30 days ago`"
            ))
            .with_replacement(
                format!("use `{word}`"),
                span(whole.start(), whole.end()),
                word,
            ),
        );
    }
    if let Some(c) = around(&METHOD) {
        let whole = c.get(0)?;
        let value = c.get(1)?.as_str();
        let method = c.get(2)?.as_str();
        if FUNCTIONS.contains(&method) {
            let replacement = format!("{method}({value})");
            return Some(
                Diagnostic::new(
                    Code::E0013,
                    span(whole.start(), whole.end()),
                    format!("Seg has no methods: `{method}` is a function"),
                )
                .with_label("a method call")
                .with_help(format!("write `{replacement}`"))
                .with_replacement(
                    format!("use `{replacement}`"),
                    span(whole.start(), whole.end()),
                    replacement,
                ),
            );
        }
    }
    if let Some(d) = contains_call(text, offset, file) {
        return Some(d);
    }
    if let Some(d) = in_parentheses(text, offset, file) {
        return Some(d);
    }
    let before = line[..at].trim_end();
    if let Some(c) = PERCENT.captures(before)
        && let Some(number) = c.get(1)
        && let Some(whole) = c.get(0)
    {
        let value = number.as_str();
        let fraction = percent_fraction(value);
        let place = span(whole.start(), before.len());
        return Some(
            Diagnostic::new(Code::E0013, place, format!("`{value}%` is not a number in Seg"))
                .with_label("`%` is the remainder operator")
                .with_help(format!(
                    "write a share as a fraction, `{fraction}`, or the number the field holds, `{value}`, whichever the field stores"
                ))
                .with_replacement(format!("use `{fraction}`"), place, fraction.clone())
                .with_replacement(format!("use `{value}`"), place, value),
        );
    }
    if let Some(c) = HYPHENATED.captures(line)
        && let Some(name) = c.get(2)
        && at <= name.end()
    {
        let fixed = name.as_str().replace('-', "_");
        let place = span(name.start(), name.end());
        let keyword = c.get(1).map_or("segment", |k| k.as_str());
        let title = if keyword == "segment" {
            format!(
                ", or keep the text as a title: `segment {fixed} \"{}\"`",
                name.as_str()
            )
        } else {
            String::new()
        };
        return Some(
            Diagnostic::new(
                Code::E0001,
                place,
                format!(
                    "`{}` is not a name: names cannot contain `-`",
                    name.as_str()
                ),
            )
            .with_label("`-` is subtraction")
            .with_help(format!("write `{fixed}`{title}"))
            .with_replacement(format!("use `{fixed}`"), place, fixed),
        );
    }
    missing_comma(text, offset, file)
}

/// `is null` and friends: one message whatever the spelling.
pub(crate) fn null_diagnostic(span: Span, written: &str, replacement: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0013,
        span,
        format!("Seg has no `null`: write `{replacement}`"),
    )
    .with_label(format!("`{}` is SQL", written.split_whitespace().collect::<Vec<_>>().join(" ")))
    .with_help(format!(
        "a value that is not there is *missing*: test it with `is missing` or `is present`; here, `{replacement}`"
    ))
    .with_replacement(format!("use `{replacement}`"), span, replacement)
}

/// `70` → `0.7`, `12.5` → `0.125`: the share as a decimal literal.
fn percent_fraction(value: &str) -> String {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    let digits = format!("{int}{frac}");
    let scale = frac.len() + 2;
    let digits = digits.trim_start_matches('0');
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, part) = padded.split_at(padded.len() - scale);
    let part = part.trim_end_matches('0');
    if part.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{part}")
    }
}

/// The Seg form of a `like` pattern, and what it means.
fn like_replacement(pattern: &str, negated: bool) -> (String, &'static str) {
    let not = if negated { "not " } else { "" };
    let inner_wild = |s: &str| s.contains(['%', '_']);
    if let Some(mid) = pattern.strip_prefix('%').and_then(|p| p.strip_suffix('%'))
        && !inner_wild(mid)
    {
        return (
            format!("{not}contains \"{mid}\""),
            "`%` on both sides means \"contains\"",
        );
    }
    if let Some(head) = pattern.strip_suffix('%')
        && !inner_wild(head)
    {
        return (
            format!("{not}starts with \"{head}\""),
            "a trailing `%` means \"starts with\"",
        );
    }
    if let Some(tail) = pattern.strip_prefix('%')
        && !inner_wild(tail)
    {
        return (
            format!("{not}ends with \"{tail}\""),
            "a leading `%` means \"ends with\"",
        );
    }
    if !inner_wild(pattern) {
        let op = if negated { "!=" } else { "==" };
        return (
            format!("{op} \"{pattern}\""),
            "a pattern without `%` or `_` is plain equality",
        );
    }
    // `%` is any run of characters, `_` any one; the rest is literal.
    let mut regex = String::from("^");
    for ch in pattern.chars() {
        match ch {
            '%' => regex.push_str(".*"),
            '_' => regex.push('.'),
            c if "\\.+*?()|[]{}^$".contains(c) => {
                regex.push_str("\\\\");
                regex.push(c);
            }
            c => regex.push(c),
        }
    }
    regex.push('$');
    (
        format!("{not}matches \"{regex}\""),
        "`%` and `_` inside the pattern become a regular expression",
    )
}

/// The offset of the bracket closing the one at `open`, skipping strings.
fn closing(text: &str, open: usize, close: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let opener = *bytes.get(open)?;
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\n' if depth == 0 => return None,
            b if b == opener => depth += 1,
            b if b == close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The operands of a call between `open` and `close`, split at top-level commas.
fn arguments(text: &str, open: usize, close: usize) -> Vec<&str> {
    let inner = &text[open + 1..close];
    let mut out = Vec::new();
    let (mut depth, mut from, mut in_string) = (0i32, 0usize, false);
    for (i, b) in inner.bytes().enumerate() {
        match b {
            b'"' => in_string = !in_string,
            b'(' | b'[' if !in_string => depth += 1,
            b')' | b']' if !in_string => depth -= 1,
            b',' if !in_string && depth == 0 => {
                out.push(inner[from..i].trim());
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(inner[from..].trim());
    out
}

/// `contains(interests, "yoga")` → `interests contains "yoga"`.
fn contains_call(text: &str, offset: usize, file: FileId) -> Option<Diagnostic> {
    let (start, end) = line_around(text, offset);
    let m = CONTAINS_CALL
        .find_iter(&text[start..end])
        .find(|m| start + m.start() <= offset && offset <= start + m.end())?;
    let open = start + m.end() - 1;
    let close = closing(text, open, b')')?;
    let args = arguments(text, open, close);
    let [list, value] = args.as_slice() else {
        return None;
    };
    let replacement = format!("{list} contains {value}");
    let place = Span::new(file, start + m.start(), close + 1);
    Some(
        Diagnostic::new(
            Code::E0013,
            place,
            "`contains` is written between its operands",
        )
        .with_label("a function call")
        .with_help(format!(
            "write `{replacement}` (a list or a string before `contains`, the value after it)"
        ))
        .with_replacement(format!("use `{replacement}`"), place, replacement),
    )
}

/// `country in ("US", "CA")` → brackets.
fn in_parentheses(text: &str, offset: usize, file: FileId) -> Option<Diagnostic> {
    let (start, _) = line_around(text, offset);
    let before = &text[start..offset];
    // The last `in (` before the failure whose parenthesis is still open there.
    let m = IN_PAREN.find_iter(before).last()?;
    let open = start + m.end() - 1;
    let close = closing(text, open, b')')?;
    if close < offset {
        return None;
    }
    let place = Span::new(file, open, close + 1);
    let inner = &text[open + 1..close];
    Some(
        Diagnostic::new(Code::E0013, place, "a list is written in brackets")
            .with_label("SQL's parenthesized list")
            .with_help(format!("write `[{inner}]`"))
            .with_suggestion(
                "use brackets",
                vec![
                    Edit {
                        span: Span::new(file, open, open + 1),
                        text: "[".into(),
                    },
                    Edit {
                        span: Span::new(file, close, close + 1),
                        text: "]".into(),
                    },
                ],
            ),
    )
}

/// `["a" "b"]`: two elements with no comma between them, inside a list.
fn missing_comma(text: &str, offset: usize, file: FileId) -> Option<Diagnostic> {
    let next = text[offset..].chars().next()?;
    if !(next == '"' || next.is_ascii_digit() || next == '-') {
        return None;
    }
    let before = text[..offset].trim_end();
    let last = before.chars().last()?;
    if !(last == '"' || last.is_ascii_digit()) {
        return None;
    }
    // The innermost bracket still open at the failure must be a list's.
    let mut depth = 0i32;
    let mut in_string = false;
    let mut opener = None;
    for (i, b) in before.bytes().enumerate().rev() {
        match b {
            b'"' => in_string = !in_string,
            b']' | b')' if !in_string => depth += 1,
            b'[' | b'(' if !in_string => {
                if depth == 0 {
                    opener = Some((i, b));
                    break;
                }
                depth -= 1;
            }
            b'\n' if !in_string && depth == 0 && opener.is_none() => {}
            _ => {}
        }
    }
    if opener.map(|(_, b)| b) != Some(b'[') {
        return None;
    }
    let at = before.len();
    Some(
        Diagnostic::new(
            Code::E0001,
            Span::new(file, offset, offset + 1),
            "missing `,` between list elements",
        )
        .with_label("a new element starts here")
        .with_secondary(Span::new(file, at - 1, at), "after this one")
        .with_help("separate the elements of a list with commas: `[\"a\", \"b\"]`")
        .with_replacement("insert `,`", Span::new(file, at, at), ","),
    )
}

/// Dates written with slashes (`01/02/2025`, `2025/01/02`), found by the
/// pre-scan at a digit that starts a word. The slash form is ambiguous
/// between the US and most other countries, so the message says which dates
/// it could be, and the fix is offered only when there is one reading.
pub(crate) fn slash_date(text: &str, at: usize, file: FileId) -> Option<Diagnostic> {
    static SLASH: LazyLock<Regex> = LazyLock::new(|| pattern(r"^(\d{1,4})/(\d{1,2})/(\d{1,4})\b"));
    let c = SLASH.captures(&text[at..])?;
    let whole = c.get(0)?;
    let parts: Vec<u32> = (1..=3)
        .filter_map(|i| c.get(i)?.as_str().parse().ok())
        .collect();
    let [a, b, y] = parts.as_slice() else {
        return None;
    };
    let (a, b, y) = (*a, *b, *y);
    let widths: Vec<usize> = (1..=3).filter_map(|i| c.get(i).map(|m| m.len())).collect();
    let span = Span::new(file, at, at + whole.end());
    let iso = |year: u32, month: u32, day: u32| format!("{year:04}-{month:02}-{day:02}");
    let valid = |month: u32, day: u32| (1..=12).contains(&month) && (1..=31).contains(&day);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let spoken = |month: u32, day: u32| {
        format!(
            "{day} {}",
            MONTHS.get(month as usize - 1).copied().unwrap_or("?")
        )
    };
    let diagnostic = Diagnostic::new(
        Code::E0010,
        span,
        format!("`{}` is not a Seg date", whole.as_str()),
    )
    .with_label("dates are written year-month-day");
    if widths[0] == 4 {
        // 2025/01/02: year first is read one way everywhere.
        if valid(b, y) {
            let fixed = iso(a, b, y);
            return Some(
                diagnostic
                    .with_help(format!("write `{fixed}`"))
                    .with_replacement(format!("use `{fixed}`"), span, fixed),
            );
        }
        return Some(diagnostic.with_help("write dates as `YYYY-MM-DD`, such as `2025-01-02`"));
    }
    if widths[2] != 4 {
        return Some(diagnostic.with_help(
            "write dates as `YYYY-MM-DD` with a four-digit year, such as `2025-01-02`",
        ));
    }
    let month_first = valid(a, b);
    let day_first = valid(b, a);
    match (month_first, day_first) {
        (true, true) if a != b => Some(diagnostic.with_help(format!(
            "the format is ambiguous: `{}` could be {} (month first, as in the US) or {} (day first); write `{}` or `{}`",
            whole.as_str(),
            spoken(a, b),
            spoken(b, a),
            iso(y, a, b),
            iso(y, b, a)
        ))),
        (true, _) => {
            let fixed = iso(y, a, b);
            Some(
                diagnostic
                    .with_help(format!("write `{fixed}`"))
                    .with_replacement(format!("use `{fixed}`"), span, fixed),
            )
        }
        (false, true) => {
            let fixed = iso(y, b, a);
            Some(
                diagnostic
                    .with_help(format!("write `{fixed}` (the day comes first here)"))
                    .with_replacement(format!("use `{fixed}`"), span, fixed),
            )
        }
        (false, false) => Some(diagnostic.with_help("write dates as `YYYY-MM-DD`, such as `2025-01-02`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_become_the_seg_forms() {
        assert_eq!(like_replacement("%yoga%", false).0, "contains \"yoga\"");
        assert_eq!(like_replacement("yo%", true).0, "not starts with \"yo\"");
        assert_eq!(like_replacement("%.com", false).0, "ends with \".com\"");
        assert_eq!(like_replacement("gold", true).0, "!= \"gold\"");
        assert_eq!(like_replacement("a_b%c", false).0, "matches \"^a.b.*c$\"");
    }

    #[test]
    fn percentages_become_fractions() {
        assert_eq!(percent_fraction("70"), "0.7");
        assert_eq!(percent_fraction("12.5"), "0.125");
        assert_eq!(percent_fraction("100"), "1");
        assert_eq!(percent_fraction("5"), "0.05");
        assert_eq!(percent_fraction("250"), "2.5");
    }

    #[test]
    fn every_pattern_compiles() {
        for re in [
            &*LIKE,
            &*IS_NULL,
            &*IN_PAREN,
            &*CONTAINS_CALL,
            &*METHOD,
            &*INTERVAL,
            &*NOW_CALL,
            &*PERCENT,
            &*HYPHENATED,
        ] {
            assert_ne!(re.as_str(), "$^");
        }
    }
}
