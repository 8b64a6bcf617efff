//! Acknowledged findings: a `# seg: allow(W0301, W0309)` comment silences
//! those warnings where they are intended, so `seg check --deny-warnings`
//! stays usable. Every command that checks a program (check, run, test,
//! explain, the language server) sees the same filtered diagnostics, because
//! the filter runs where the findings are added.
//!
//! The rules (documented in docs/diagnostics.md, "Acknowledging a finding"):
//! - `# seg: allow(CODES)` on the lines directly above an item (comment lines
//!   only between them, no blank line), at the end of the item's first line
//!   or anywhere inside it applies to that item: a warning whose primary
//!   location lies inside the item is dropped when its code is listed;
//! - `# seg: allow-file(CODES)` anywhere in a file applies to the whole file;
//! - only warnings can be allowed: errors always stand;
//! - a listed code that silences nothing there, or that is not a warning
//!   code, is itself a warning (W0310), so allows do not outlive their reason.
//!   It is only reported when the program checks, since the findings an allow
//!   is meant for are only computed then.
//!
//! Text after the closing parenthesis is free: the place to say why.

use seg_check::Checked;
use seg_diagnostics::{Code, Diagnostic, FileId, Severity, Span};
use seg_syntax::ast::{Comment, File};

/// One `seg: allow` comment.
#[derive(Debug)]
struct Allow {
    /// The comment, for "unused" findings.
    span: Span,
    /// The listed codes, each with whether it silenced something.
    codes: Vec<(String, bool)>,
    /// The byte range it covers (an item, or the whole file).
    scope: (FileId, u32, u32),
    /// Whether it is the file-wide form.
    file_wide: bool,
}

/// The codes of a `seg: allow(...)` comment and whether it is the file-wide
/// form; `None` for any other comment.
fn parse_allow(comment: &Comment) -> Option<(bool, Vec<String>)> {
    let rest = comment.text.trim_start().strip_prefix("seg:")?.trim_start();
    let (file_wide, rest) = if let Some(r) = rest.strip_prefix("allow-file") {
        (true, r)
    } else {
        (false, rest.strip_prefix("allow")?)
    };
    let inner = rest.trim_start().strip_prefix('(')?;
    let inner = &inner[..inner.find(')')?];
    let codes = inner
        .split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    Some((file_wide, codes))
}

/// The allows of one file, each with the range it covers.
fn allows_of(id: FileId, file: &File, text: &str) -> Vec<Allow> {
    let line_start = |offset: usize| text[..offset].rfind('\n').map_or(0, |n| n + 1);
    let mut out = Vec::new();
    for comment in &file.comments {
        let Some((file_wide, codes)) = parse_allow(comment) else {
            continue;
        };
        let start = comment.span.start as usize;
        let scope = if file_wide {
            Some((0, text.len()))
        } else {
            file.items.iter().find_map(|item| {
                let item_start = item.span.start as usize;
                // Inside the item: at the end of its first line, or on a
                // line of its body.
                if start > item_start && start < item.span.end as usize {
                    return Some((item_start, item.span.end as usize));
                }
                // Above the item, with only comment lines between.
                if start >= item_start {
                    return None;
                }
                let between = &text[line_start(start)..line_start(item_start)];
                let only_comments = between.lines().all(|l| l.trim_start().starts_with('#'));
                only_comments.then_some((item_start, item.span.end as usize))
            })
        };
        // An allow attached to nothing covers nothing: each code is unused.
        let (from, to) = scope.unwrap_or((start, start));
        out.push(Allow {
            span: comment.span,
            codes: codes.into_iter().map(|c| (c, false)).collect(),
            scope: (
                id,
                u32::try_from(from).unwrap_or(u32::MAX),
                u32::try_from(to).unwrap_or(u32::MAX),
            ),
            file_wide,
        });
    }
    out
}

/// Whether `code` names a warning that an allow may silence.
fn allowable(code: &str) -> bool {
    Code::ALL
        .iter()
        .any(|c| c.as_str() == code && c.info().severity == Severity::Warning && *c != Code::W0310)
}

/// Drops the warnings the program's `seg: allow` comments acknowledge and,
/// when the program checked, reports the allows that silence nothing (W0310).
pub(crate) fn apply(checked: &mut Checked) {
    let mut allows: Vec<Allow> = Vec::new();
    for (id, file) in &checked.files {
        let Some(source) = checked.sources.get(*id) else {
            continue;
        };
        allows.extend(allows_of(*id, file, &source.text));
    }
    if allows.is_empty() {
        return;
    }
    checked.diagnostics.retain(|d| {
        if d.is_error() || d.code == Code::W0310 {
            return true;
        }
        let mut silenced = false;
        for allow in &mut allows {
            let (file, from, to) = allow.scope;
            if d.span.file != file || d.span.start < from || d.span.start >= to.max(from + 1) {
                continue;
            }
            for (code, used) in &mut allow.codes {
                if code == d.code.as_str() {
                    *used = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
    if checked.program.is_none() {
        return;
    }
    for allow in &allows {
        let unused: Vec<&str> = allow
            .codes
            .iter()
            .filter(|(_, used)| !used)
            .map(|(c, _)| c.as_str())
            .collect();
        if unused.is_empty() {
            continue;
        }
        let not_warnings: Vec<&str> = unused.iter().copied().filter(|c| !allowable(c)).collect();
        let place = if allow.file_wide {
            "in this file"
        } else if allow.scope.1 == allow.scope.2 {
            "here: the comment is not on an item"
        } else {
            "in this item"
        };
        let mut diagnostic = Diagnostic::new(
            Code::W0310,
            allow.span,
            format!("`seg: allow` of {} silences nothing", list(&unused)),
        )
        .with_label(format!("no such warning {place}"))
        .with_help(if not_warnings.is_empty() {
            "remove the code from the comment: the finding it acknowledged is gone, and a stale allow would hide a new one".to_string()
        } else {
            format!(
                "{} not a warning code; only warnings (W…) can be allowed, errors always stand",
                if not_warnings.len() == 1 {
                    format!("`{}` is", not_warnings[0])
                } else {
                    format!("{} are", list(&not_warnings))
                }
            )
        });
        if unused.len() == allow.codes.len() {
            diagnostic = diagnostic.with_replacement("remove the comment", allow.span, "");
        }
        checked.diagnostics.push(diagnostic);
    }
    checked
        .diagnostics
        .sort_by_key(|d| (d.span.file, d.span.start, d.code));
}

fn list(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(text: &str) -> Comment {
        Comment {
            text: text.into(),
            span: Span::new(FileId(0), 0, text.len() + 1),
        }
    }

    #[test]
    fn reads_the_codes_and_the_form() {
        assert_eq!(
            parse_allow(&comment(" seg: allow(W0301, w0309) consent checked")),
            Some((false, vec!["W0301".into(), "W0309".into()]))
        );
        assert_eq!(
            parse_allow(&comment(" seg: allow-file(W0302)")),
            Some((true, vec!["W0302".into()]))
        );
        assert_eq!(parse_allow(&comment(" allow(W0301)")), None);
        assert_eq!(parse_allow(&comment(" seg: allow W0301")), None);
        assert_eq!(parse_allow(&comment(" seg: allow(W0301")), None);
    }

    fn codes(text: &str) -> Vec<String> {
        let checked = crate::check_source("rules.seg".as_ref(), text);
        checked
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect()
    }

    const SCHEMA: &str = "schema {\n  id: int key\n  email: string pii\n  tier: string\n}\n";

    #[test]
    fn an_allow_above_or_beside_a_segment_silences_its_warnings_only() {
        let above = format!(
            "{SCHEMA}# Needs the address.\n# seg: allow(W0301)\nsegment a {{ where email is present }}\nsegment b {{ where email is present }}\n"
        );
        assert_eq!(codes(&above), ["W0301"]);
        let beside = format!(
            "{SCHEMA}segment a {{ # seg: allow(W0301, W0309) why\n  where email is present and tier != \"x\"\n}}\n"
        );
        assert_eq!(codes(&beside), Vec::<String>::new());
        let file = format!(
            "{SCHEMA}# seg: allow-file(W0301)\n\nsegment a {{ where email is present }}\nsegment b {{ where email is present }}\n"
        );
        assert_eq!(codes(&file), Vec::<String>::new());
    }

    #[test]
    fn a_blank_line_detaches_an_allow_and_unused_allows_are_reported() {
        let detached =
            format!("{SCHEMA}# seg: allow(W0301)\n\nsegment a {{ where email is present }}\n");
        assert_eq!(codes(&detached), ["W0310", "W0301"]);
        let unused =
            format!("{SCHEMA}# seg: allow(W0302, E0101)\nsegment a {{ where tier == \"x\" }}\n");
        let checked = crate::check_source("rules.seg".as_ref(), &unused);
        assert_eq!(checked.diagnostics.len(), 1);
        let d = &checked.diagnostics[0];
        assert_eq!(d.code, Code::W0310);
        assert!(d.message.contains("`W0302`, `E0101`"), "{}", d.message);
        assert!(
            d.help
                .as_deref()
                .unwrap_or("")
                .contains("`E0101` is not a warning code")
        );
        assert_eq!(d.suggestions().len(), 1);
    }

    #[test]
    fn errors_cannot_be_allowed() {
        let text = format!("{SCHEMA}# seg: allow(E0101)\nsegment a {{ where nope }}\n");
        assert_eq!(codes(&text), ["E0101"]);
    }
}
