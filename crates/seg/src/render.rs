//! Rendering diagnostics (feature `render`): for people (miette's graphical reports), for scripts
//! (JSON), for GitHub Actions (workflow annotations) and for code-scanning tools
//! (SARIF 2.1.0). Every format takes positions from the one line index of
//! `seg-diagnostics`: lines are 1-based and columns count Unicode scalar values,
//! 1-based.

use crate::diagnostics::{Diagnostic, LineCol, Severity, SourceMap};
use serde::Serialize;
use std::fmt;

/// The output formats of `seg check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Annotated source excerpts, for people.
    Human,
    /// One JSON document on stdout (schema in docs/diagnostics.md).
    Json,
    /// GitHub Actions workflow commands (`::error file=…`).
    Github,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// A diagnostic with its file resolved, ready for any format.
pub struct Located<'a> {
    /// The diagnostic.
    pub diagnostic: &'a Diagnostic,
    /// The file path as the user should see it.
    pub path: String,
    /// Start position.
    pub start: LineCol,
    /// End position (exclusive).
    pub end: LineCol,
}

/// Resolves the files of diagnostics.
pub fn locate<'a>(diagnostics: &'a [Diagnostic], sources: &'a SourceMap) -> Vec<Located<'a>> {
    diagnostics
        .iter()
        .filter_map(|d| {
            let file = sources.get(d.span.file)?;
            Some(Located {
                diagnostic: d,
                path: display_path(&file.path),
                start: file.line_col(d.span.start as usize),
                end: file.line_col(d.span.end as usize),
            })
        })
        .collect()
}

/// Paths shown with forward slashes on every platform, without a leading `./`.
pub fn display_path(path: &std::path::Path) -> String {
    let text = path.display().to_string().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

fn position_in(sources: &SourceMap, span: crate::diagnostics::Span) -> Option<(String, LineCol)> {
    let file = sources.get(span.file)?;
    Some((display_path(&file.path), file.line_col(span.start as usize)))
}

/// Characters of a source line one snippet shows around its span; longer
/// lines are cut, with `…` where text was left out.
const SNIPPET_WIDTH: usize = 120;
/// Characters of a line shown from a file that failed to parse as Seg: only
/// the offending line, from its start, and no context lines. Such a file may
/// not be rules at all (`/proc/self/environ` renamed `x.seg`), and its text
/// must not end up in a CI log.
const UNPARSED_WIDTH: usize = 80;
/// A label covering more lines than this is shown on its first line only.
const MAX_SPAN_LINES: u32 = 6;
/// Secondary labels shown under the snippet, and located notes in the help;
/// the rest are counted.
const MAX_LABELS: usize = 4;
const MAX_NOTES: usize = 6;
/// Diagnostics of one code in one segment (or, outside segments, one file)
/// shown in full; the rest are counted in one closing line. Machine formats
/// keep them all.
pub const MAX_PER_GROUP: usize = 10;

/// The part of a file one diagnostic shows: whole lines around its labels,
/// each cut to a window, with offsets mapped back to the file.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    /// 0-based number of the excerpt's first line in the file.
    first_line: usize,
    lines: Vec<ExcerptLine>,
    /// The primary label's excerpt offset and its true 0-based line and
    /// column, for the report's header even when the label was cut off.
    anchor: Option<(usize, usize, usize)>,
}

#[derive(Debug)]
struct ExcerptLine {
    /// The kept part of the line, as byte offsets in the file.
    kept: std::ops::Range<usize>,
    /// Where the line starts in the excerpt (at the `…` when cut at the start).
    line_start: usize,
    /// Where the kept part starts in the excerpt.
    kept_start: usize,
    /// Characters of the line left out before the kept part.
    dropped: usize,
}

/// A character as a snippet shows it: control characters (which could drive
/// a terminal) and bidirectional overrides (which could reorder what is
/// read) become a visible stand-in of the same UTF-8 length, so offsets into
/// the snippet stay those of the file.
fn printable(c: char) -> char {
    let bidi =
        matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if c == '\t' || !(c.is_control() || bidi) {
        return c;
    }
    match c.len_utf8() {
        1 => '?',
        2 => '\u{bf}',
        _ => '\u{fffd}',
    }
}

/// The byte offset of character `n` of `text` (its length past the end).
fn char_offset(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl Excerpt {
    /// Cuts lines `first..=last` (1-based) of `file`. `focus` gives, per line,
    /// the byte offset the window is centred on.
    fn new(
        file: &crate::diagnostics::SourceFile,
        first: u32,
        last: u32,
        focus: &dyn Fn(u32) -> Option<usize>,
        strict: bool,
    ) -> Excerpt {
        let text: &str = &file.text;
        let mut out = String::new();
        let mut lines = Vec::new();
        for line in first..=last {
            let Some(range) = file.lines.line_range(text, line) else {
                break;
            };
            let body = &text[range.clone()];
            let width = if strict {
                UNPARSED_WIDTH
            } else {
                SNIPPET_WIDTH
            };
            // Only long lines are measured in characters, so a snippet costs
            // time in proportion to what it shows plus one line's length.
            let (from, to) = if body.len() <= width {
                (0, body.len())
            } else if strict {
                (0, char_offset(body, width))
            } else {
                let chars = body.chars().count();
                if chars <= width {
                    (0, body.len())
                } else {
                    let at = focus(line).map_or(0, |offset| {
                        body[..offset.saturating_sub(range.start).min(body.len())]
                            .chars()
                            .count()
                    });
                    let start = at.saturating_sub(width / 3).min(chars - width);
                    (char_offset(body, start), char_offset(body, start + width))
                }
            };
            let line_start = out.len();
            if from > 0 {
                out.push('…');
            }
            let kept_start = out.len();
            out.extend(body[from..to].chars().map(printable));
            if to < body.len() {
                out.push('…');
            }
            // Line endings as in the file, so miette shows the same lines.
            if range.end < text.len() {
                out.push('\n');
            }
            lines.push(ExcerptLine {
                kept: range.start + from..range.start + to,
                line_start,
                kept_start,
                dropped: if from > 0 {
                    body[..from].chars().count()
                } else {
                    0
                },
            });
        }
        Excerpt {
            name: display_path(&file.path),
            text: out,
            first_line: first.saturating_sub(1) as usize,
            lines,
            anchor: None,
        }
    }

    /// The excerpt offset of file offset `offset` on 1-based `line`: clamped
    /// into the kept part, so a span in a cut-off part points at the `…`.
    fn map(&self, line: u32, offset: usize) -> usize {
        let index = (line as usize).saturating_sub(self.first_line + 1);
        let Some(l) = self.lines.get(index).or(self.lines.last()) else {
            return 0;
        };
        if offset <= l.kept.start {
            if offset < l.kept.start {
                l.line_start
            } else {
                l.kept_start
            }
        } else if offset >= l.kept.end {
            let end = l.kept_start + (l.kept.end - l.kept.start);
            if offset > l.kept.end && end < self.text.len() && self.text[end..].starts_with('…') {
                end
            } else {
                end.min(self.text.len())
            }
        } else {
            l.kept_start + (offset - l.kept.start)
        }
    }
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // Columns count Unicode scalar values of the file's line, like every
        // other output format (miette's own `str` source counts bytes), and
        // lines are numbered as in the file.
        let offset = floor_boundary(&self.text, inner.span().offset());
        if let Some((at, line, column)) = self.anchor
            && at == span.offset()
            && context_lines_before == 0
        {
            return Ok(Box::new(miette::MietteSpanContents::new_named(
                self.name.clone(),
                inner.data(),
                *inner.span(),
                line,
                column,
                inner.line_count(),
            )));
        }
        let index = self.lines.partition_point(|l| l.line_start <= offset);
        let column = match index.checked_sub(1).and_then(|i| self.lines.get(i)) {
            Some(l) if offset >= l.kept_start => {
                l.dropped + self.text[l.kept_start..offset].chars().count()
            }
            Some(l) => l.dropped,
            None => 0,
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// A miette report for one diagnostic.
#[derive(Debug)]
struct Report {
    code: String,
    message: String,
    severity: Severity,
    help: Option<String>,
    source: Excerpt,
    labels: Vec<miette::LabeledSpan>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// The segments of a program, for grouping diagnostics in human output: each
/// segment item's span and name.
pub fn segment_spans(
    files: &[(crate::diagnostics::FileId, crate::syntax::ast::File)],
) -> Vec<(crate::diagnostics::Span, String)> {
    let mut spans: Vec<(crate::diagnostics::Span, String)> = files
        .iter()
        .flat_map(|(_, file)| file.items.iter())
        .filter_map(|item| match &item.kind {
            crate::syntax::ast::ItemKind::Segment(s) => Some((item.span, s.name.name.clone())),
            _ => None,
        })
        .collect();
    spans.sort_by_key(|(span, _)| (span.file, span.start));
    spans
}

/// Renders the diagnostics of a checked program for people, grouped by the
/// segment they are in (see [`human_grouped`]): what every command that
/// checks rules prints, so floods are cut the same way everywhere.
pub fn human_checked(checked: &crate::Checked, color: bool) -> String {
    human_grouped(
        &checked.diagnostics,
        &checked.sources,
        &segment_spans(&checked.files),
        color,
    )
}

/// Renders diagnostics for people. `color` selects the colored theme.
pub fn human(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    human_grouped(diagnostics, sources, &[], color)
}

/// 12,345 with thousands separators (counts in every human output).
pub fn thousands(n: u64) -> String {
    crate::present::thousands(n)
}

/// Diagnostics are grouped by file, code and the segment they are in.
type GroupKey = (
    crate::diagnostics::FileId,
    crate::diagnostics::Code,
    Option<usize>,
);

/// Renders diagnostics for people, showing at most [`MAX_PER_GROUP`] of one
/// code per segment (`segments`, from [`segment_spans`]) or, outside
/// segments, per file, and one closing line per group for the rest.
pub fn human_grouped(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    segments: &[(crate::diagnostics::Span, String)],
    color: bool,
) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    // Files that failed to parse are quoted one line at a time, 80
    // characters at most (see UNPARSED_WIDTH).
    let unparsed: std::collections::HashSet<crate::diagnostics::FileId> = diagnostics
        .iter()
        .filter(|d| is_unparsed(d, sources))
        .map(|d| d.span.file)
        .collect();
    let segment_of = |d: &Diagnostic| -> Option<usize> {
        let key = (d.span.file, d.span.start);
        let after = segments.partition_point(|(s, _)| (s.file, s.start) <= key);
        let index = after.checked_sub(1)?;
        let (span, _) = &segments[index];
        (span.file == d.span.file && d.span.start < span.end).then_some(index)
    };
    // Each group (file, code, segment index) with how many diagnostics it has.
    let mut groups: Vec<(GroupKey, usize)> = Vec::new();
    let mut group_index = std::collections::HashMap::new();
    let mut out = String::new();
    for d in diagnostics {
        let Some(file) = sources.get(d.span.file) else {
            continue;
        };
        let key = (d.span.file, d.code, segment_of(d));
        let slot = *group_index.entry(key).or_insert_with(|| {
            groups.push((key, 0));
            groups.len() - 1
        });
        groups[slot].1 += 1;
        if groups[slot].1 > MAX_PER_GROUP {
            continue;
        }
        render_one(
            &handler,
            &mut out,
            d,
            file,
            sources,
            unparsed.contains(&d.span.file),
        );
        out.push('\n');
    }
    for ((file, code, segment), count) in groups {
        if count <= MAX_PER_GROUP {
            continue;
        }
        let path = sources
            .get(file)
            .map(|f| display_path(&f.path))
            .unwrap_or_default();
        let place = match segment.and_then(|i| segments.get(i)) {
            Some((_, name)) => format!("in segment `{name}` of `{path}`"),
            None => format!("in `{path}`"),
        };
        out.push_str(&format!(
            "note: and {} more {code} {place} (`--format json` lists every one)\n\n",
            thousands((count - MAX_PER_GROUP) as u64)
        ));
    }
    out
}

/// True when `d` says its own file is not Seg text at all: a syntax or
/// lexical error, or bytes that are not UTF-8 located in the file itself (an
/// E0802 at a `use` is about the used file, not the one holding the `use`).
fn is_unparsed(d: &Diagnostic, sources: &SourceMap) -> bool {
    use crate::diagnostics::Code;
    match d.code {
        Code::E0001 | Code::E0002 | Code::E0003 | Code::E0004 | Code::E0005 | Code::E0012 => true,
        Code::E0802 => sources
            .get(d.span.file)
            .is_some_and(|f| f.text.ends_with('\u{fffd}') && d.span.end as usize == f.text.len()),
        _ => false,
    }
}

/// Renders one diagnostic of `file` into `out`.
fn render_one(
    handler: &miette::GraphicalReportHandler,
    out: &mut String,
    d: &Diagnostic,
    file: &crate::diagnostics::SourceFile,
    sources: &SourceMap,
    strict: bool,
) {
    let text: &str = &file.text;
    let clamp = |offset: u32| floor_boundary(text, offset as usize);
    // A label's range, cut to its first line when it covers many.
    let label_range = |span: crate::diagnostics::Span| -> (u32, usize, usize) {
        let (start, end) = (clamp(span.start), clamp(span.end).max(clamp(span.start)));
        let start_line = file.line_col(start).line;
        let end_line = file.line_col(end).line;
        let cut = strict || end_line > start_line + MAX_SPAN_LINES;
        let end = if cut && end_line > start_line {
            file.lines
                .line_range(text, start_line)
                .map_or(start, |r| r.end.max(start))
        } else {
            end
        };
        (start_line, start, end)
    };
    let primary = label_range(d.span);
    let primary_line = primary.0;
    let mut inline = Vec::new();
    let mut notes = Vec::new();
    let mut untold = 0usize;
    for secondary in &d.secondary {
        // miette heads a report with its first label's position, so a label
        // on an earlier line (or far from the primary) becomes a located
        // note: the line in the header must be the primary's.
        let near = secondary.span.file == d.span.file && !strict && {
            let line = file.line_col(clamp(secondary.span.start)).line;
            line == primary_line
                || (secondary.span.start > d.span.start && line <= primary_line + 3)
        };
        if near && inline.len() < MAX_LABELS {
            inline.push((label_range(secondary.span), secondary.message.clone()));
        } else if notes.len() < MAX_NOTES {
            if let Some((path, at)) = position_in(sources, secondary.span) {
                notes.push(format!(
                    "{}: {path}:{}:{}",
                    secondary.message, at.line, at.column
                ));
            }
        } else {
            untold += 1;
        }
    }
    if untold > 0 {
        notes.push(format!("and {} more locations", thousands(untold as u64)));
    }
    let first = inline
        .iter()
        .map(|((line, _, _), _)| *line)
        .fold(primary_line, u32::min);
    let last = std::iter::once(primary)
        .chain(inline.iter().map(|(range, _)| *range))
        .map(|(_, _, end)| file.line_col(end).line)
        .fold(primary_line, u32::max);
    let context = if strict { 0 } else { 1 };
    let focus = |line: u32| -> Option<usize> {
        if line == primary_line {
            return Some(primary.1);
        }
        inline
            .iter()
            .find(|((l, _, _), _)| *l == line)
            .map(|((_, start, _), _)| *start)
    };
    let mut excerpt = Excerpt::new(
        file,
        first.saturating_sub(context).max(1),
        last.saturating_add(context).min(file.lines.line_count()),
        &focus,
        strict,
    );
    let span_of = |(line, start, end): (u32, usize, usize)| -> (usize, usize) {
        let from = excerpt.map(line, start);
        let to = excerpt.map(file.line_col(end).line, end).max(from);
        (from, to - from)
    };
    let primary_span = span_of(primary);
    let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
        Some(d.label.clone()),
        primary_span,
    )];
    for (range, message) in inline {
        labels.push(miette::LabeledSpan::new_with_span(
            Some(message),
            span_of(range),
        ));
    }
    let at = file.line_col(primary.1);
    excerpt.anchor = Some((
        primary_span.0,
        at.line.saturating_sub(1) as usize,
        at.column.saturating_sub(1) as usize,
    ));
    let mut help = d.help.clone();
    if !notes.is_empty() {
        let joined = notes.join("\n");
        help = Some(match help {
            Some(h) => format!("{h}\n{joined}"),
            None => joined,
        });
    }
    let report = Report {
        // `error[E0101]` reads as a header even without color.
        code: format!("{}[{}]", severity_word(d.severity()), d.code),
        message: d.message.clone(),
        severity: d.severity(),
        help,
        source: excerpt,
        labels,
    };
    if handler.render_report(out, &report).is_err() {
        // Rendering into a String cannot fail; fall back to one line anyway.
        out.push_str(&format!(
            "{}[{}]: {}\n",
            severity_word(d.severity()),
            d.code,
            d.message
        ));
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The JSON document of `seg check --format json` (documented in
/// docs/diagnostics.md; `version` changes only with incompatible changes).
#[derive(Serialize)]
pub struct JsonReport<'a> {
    /// Format version.
    pub version: u32,
    /// How many files were checked (roots, not counting files reached by `use`).
    pub files_checked: usize,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
    /// The diagnostics in file and position order.
    pub diagnostics: Vec<JsonDiagnostic<'a>>,
    /// Paths that could not be read at all (counted in `errors`).
    pub failures: Vec<JsonFailure>,
}

/// A path that could not be checked (missing, unreadable, a directory without `.seg` files).
#[derive(Serialize)]
pub struct JsonFailure {
    /// `E0801`.
    pub code: &'static str,
    /// What went wrong, naming the path.
    pub message: String,
}

/// One diagnostic in the JSON format.
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    start_byte: u32,
    end_byte: u32,
    label: &'a str,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
    /// Left out when empty, so documents without fixes read as before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<JsonSuggestion<'a>>,
}

/// A machine-applicable fix in the JSON format.
#[derive(Serialize)]
struct JsonSuggestion<'a> {
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

/// One edit of a fix: replace the byte range with `text`.
#[derive(Serialize)]
struct JsonEdit<'a> {
    start_byte: u32,
    end_byte: u32,
    text: &'a str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    file: String,
    line: u32,
    column: u32,
}

/// Builds the JSON report.
pub fn json<'a>(
    located: &[Located<'a>],
    sources: &SourceMap,
    files_checked: usize,
) -> JsonReport<'a> {
    let diagnostics: Vec<JsonDiagnostic<'a>> = located
        .iter()
        .map(|l| {
            let d: &'a Diagnostic = l.diagnostic;
            JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity(),
                message: &d.message,
                file: l.path.clone(),
                line: l.start.line,
                column: l.start.column,
                end_line: l.end.line,
                end_column: l.end.column,
                start_byte: d.span.start,
                end_byte: d.span.end,
                label: &d.label,
                help: d.help.as_deref(),
                related: d
                    .secondary
                    .iter()
                    .filter_map(|s| {
                        let (file, at) = position_in(sources, s.span)?;
                        Some(JsonRelated {
                            message: &s.message,
                            file,
                            line: at.line,
                            column: at.column,
                        })
                    })
                    .collect(),
                suggestions: d
                    .suggestions()
                    .iter()
                    .map(|s| JsonSuggestion {
                        message: &s.message,
                        edits: s
                            .edits
                            .iter()
                            .map(|e| JsonEdit {
                                start_byte: e.span.start,
                                end_byte: e.span.end,
                                text: &e.text,
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    JsonReport {
        version: 1,
        files_checked,
        errors: located.iter().filter(|l| l.diagnostic.is_error()).count(),
        warnings: located.iter().filter(|l| !l.diagnostic.is_error()).count(),
        diagnostics,
        failures: Vec::new(),
    }
}

/// Escapes the data part of a GitHub workflow command.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a GitHub workflow command.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations, one line per diagnostic.
pub fn github(located: &[Located<'_>]) -> String {
    let mut out = String::new();
    for l in located {
        let d = l.diagnostic;
        let mut message = format!("{} [{}]", d.message, d.code);
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            severity_word(d.severity()),
            github_property(&l.path),
            l.start.line,
            l.start.column,
            l.end.line,
            l.end.column,
            github_property(&format!("seg {}", d.code)),
            github_data(&message),
        ));
    }
    out
}

/// Percent-encodes a relative path for a SARIF `uri`.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A SARIF 2.1.0 log with one run.
pub fn sarif(located: &[Located<'_>], sources: &SourceMap) -> serde_json::Value {
    use serde_json::json;
    let mut codes: Vec<crate::diagnostics::Code> =
        located.iter().map(|l| l.diagnostic.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<serde_json::Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": { "text": c.info().summary },
                "defaultConfiguration": { "level": severity_word(c.info().severity) },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = located
        .iter()
        .map(|l| {
            let d = l.diagnostic;
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let related: Vec<serde_json::Value> = d
                .secondary
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let file = sources.get(s.span.file)?;
                    let start = file.line_col(s.span.start as usize);
                    let end = file.line_col(s.span.end as usize);
                    Some(json!({
                        "id": i,
                        "message": { "text": s.message },
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(&display_path(&file.path)) },
                            "region": region(start, end),
                        },
                    }))
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "level": severity_word(d.severity()),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&l.path) },
                        "region": region(l.start, l.end),
                    },
                }],
            });
            if !related.is_empty() {
                result["relatedLocations"] = serde_json::Value::Array(related);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "seg",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://example.invalid/seg/docs/diagnostics.md",
                    "rules": rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A SARIF region; columns are 1-based and the end column is exclusive.
fn region(start: LineCol, end: LineCol) -> serde_json::Value {
    serde_json::json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line.max(start.line),
        "endColumn": if end.line > start.line { end.column } else { end.column.max(start.column) },
    })
}

/// "2 errors and 1 warning" style counts.
pub fn counts(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{} and {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
