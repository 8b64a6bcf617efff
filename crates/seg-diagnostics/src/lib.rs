//! Spans, source files, line indexes and coded diagnostics shared by every Seg stage.
//!
//! Every stage reports problems as [`Diagnostic`] values: a stable [`Code`], a
//! one-line message, a primary labelled [`Span`], optional secondary labels and a
//! help line. Rendering (terminal, JSON, GitHub annotations, SARIF) is the command
//! line's business; this crate only turns byte offsets into 1-based lines and
//! columns through one [`LineIndex`], so every renderer agrees on positions.

mod codes;
mod source;

pub use codes::{Code, CodeInfo, Severity};
pub use source::{FileId, LineCol, LineIndex, SourceFile, SourceMap, Span, Utf16Position};

/// A secondary label: a span with a short message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where the label points.
    pub span: Span,
    /// What the label says (lower case, no final period).
    pub message: String,
}

/// One problem found in a program, with everything needed to render it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code, such as `E0101`.
    pub code: Code,
    /// One line, lower case, no final period; user names in backticks.
    pub message: String,
    /// The primary location.
    pub span: Span,
    /// What the primary label says at `span`.
    pub label: String,
    /// Further locations that explain the problem (the other definition, say).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// Fixes a tool may apply without asking, read through
    /// [`Diagnostic::suggestions`]. Behind one thin pointer, so that a
    /// diagnostic stays small enough to return by value in a `Result` (most
    /// have no fix).
    fixes: Option<Box<Fixes>>,
}

/// The fixes of a diagnostic that has some.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fixes {
    list: Vec<Suggestion>,
}

/// A machine-applicable fix: replace each edit's span with its text. Edits of
/// one suggestion do not overlap and are applied together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// What the fix does, shown in an editor's quick-fix menu.
    pub message: String,
    /// The edits, in source order.
    pub edits: Vec<Edit>,
}

/// One text edit: the span's text is replaced (an empty span inserts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The text to replace.
    pub span: Span,
    /// Its replacement.
    pub text: String,
}

/// `error[E0101]: message` (or `warning[...]`), without the location: a
/// library user's one-line form. Rendering with source lines is the
/// command line's job (it holds the sources).
impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.is_error() { "error" } else { "warning" };
        write!(f, "{kind}[{}]: {}", self.code, self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl Diagnostic {
    /// A diagnostic with a code, message and primary span; the label defaults to
    /// the code's summary until [`Diagnostic::with_label`] sets it.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: code.info().summary.to_string(),
            secondary: Vec::new(),
            help: None,
            fixes: None,
        }
    }

    /// Sets the primary label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a machine-applicable fix of one edit: `span` becomes `text`.
    pub fn with_replacement(
        self,
        message: impl Into<String>,
        span: Span,
        text: impl Into<String>,
    ) -> Self {
        self.with_suggestion(
            message,
            vec![Edit {
                span,
                text: text.into(),
            }],
        )
    }

    /// Adds a machine-applicable fix made of several edits applied together.
    pub fn with_suggestion(mut self, message: impl Into<String>, edits: Vec<Edit>) -> Self {
        self.add_suggestion(message, edits);
        self
    }

    /// [`Diagnostic::with_suggestion`] on a diagnostic being built in place.
    pub fn add_suggestion(&mut self, message: impl Into<String>, edits: Vec<Edit>) {
        self.fixes
            .get_or_insert_with(|| Box::new(Fixes { list: Vec::new() }))
            .list
            .push(Suggestion {
                message: message.into(),
                edits,
            });
    }

    /// [`Diagnostic::with_replacement`] on a diagnostic being built in place.
    pub fn add_replacement(
        &mut self,
        message: impl Into<String>,
        span: Span,
        text: impl Into<String>,
    ) {
        self.add_suggestion(
            message,
            vec![Edit {
                span,
                text: text.into(),
            }],
        );
    }

    /// The machine-applicable fixes (an editor's quick fixes), each a set of
    /// text edits applied together; empty for most diagnostics. The help line
    /// says the same in words.
    pub fn suggestions(&self) -> &[Suggestion] {
        self.fixes.as_deref().map_or(&[], |f| f.list.as_slice())
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// The severity implied by the code.
    pub fn severity(&self) -> Severity {
        self.code.info().severity
    }

    /// True for errors (as opposed to warnings).
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// Returns the candidate closest to `name` when it is close enough to be the
/// name the user meant, for "did you mean" help lines.
///
/// Closeness is Jaro-Winkler similarity or, for short names, a small edit
/// distance; a case-only difference always counts.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lowered = name.to_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let score = if candidate.to_lowercase() == lowered {
            2.0
        } else {
            let jw = strsim::jaro_winkler(&lowered, &candidate.to_lowercase());
            let distance = strsim::damerau_levenshtein(&lowered, &candidate.to_lowercase());
            let short_enough = distance <= 2 && distance < candidate.len().max(name.len());
            if jw >= 0.85 || short_enough {
                jw
            } else {
                continue;
            }
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let fields = ["lifetime_value", "total_orders", "age", "country"];
        assert_eq!(
            did_you_mean("lifetime_valu", fields.iter().copied()),
            Some("lifetime_value")
        );
        assert_eq!(did_you_mean("Age", fields.iter().copied()), Some("age"));
        assert_eq!(
            did_you_mean("cuntry", fields.iter().copied()),
            Some("country")
        );
        assert_eq!(did_you_mean("zzzzzz", fields.iter().copied()), None);
    }
}
