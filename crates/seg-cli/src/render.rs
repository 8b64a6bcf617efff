//! Rendering diagnostics: for people (miette's graphical reports), for scripts
//! (JSON), for GitHub Actions (workflow annotations) and for code-scanning tools
//! (SARIF 2.1.0). Every format takes positions from the one line index of
//! `seg-diagnostics`: lines are 1-based and columns count Unicode scalar values,
//! 1-based.

use seg::diagnostics::{Diagnostic, LineCol, Severity, SourceMap};
use serde::Serialize;
use std::fmt;

/// The output formats of `seg check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
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

fn position_in(sources: &SourceMap, span: seg::diagnostics::Span) -> Option<(String, LineCol)> {
    let file = sources.get(span.file)?;
    Some((display_path(&file.path), file.line_col(span.start as usize)))
}

/// A file's text for miette, reporting columns in Unicode scalar values like
/// every other output format (miette's own `str` source counts bytes).
#[derive(Debug)]
struct CharColumnSource {
    name: String,
    text: String,
}

impl miette::SourceCode for CharColumnSource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        let offset = inner.span().offset().min(self.text.len());
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count());
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
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
    source: CharColumnSource,
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

/// Renders diagnostics for people. `color` selects the colored theme.
pub fn human(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diagnostics {
        let Some(file) = sources.get(d.span.file) else {
            continue;
        };
        let text = file.text.to_string();
        let clamp = |offset: u32| (offset as usize).min(text.len());
        let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
            Some(d.label.clone()),
            (clamp(d.span.start), clamp(d.span.end) - clamp(d.span.start)),
        )];
        let mut notes = Vec::new();
        let primary_line = file.line_col(d.span.start as usize).line;
        for secondary in &d.secondary {
            // miette heads a report with its first label's position, so a label
            // on an earlier line (or far from the primary) becomes a located
            // note: the line in the header must be the primary's.
            let secondary_line = file.line_col(secondary.span.start as usize).line;
            let inline = secondary.span.file == d.span.file
                && (secondary_line == primary_line
                    || (secondary.span.start > d.span.start && secondary_line <= primary_line + 3));
            if inline {
                let start = clamp(secondary.span.start);
                let end = clamp(secondary.span.end);
                labels.push(miette::LabeledSpan::new_with_span(
                    Some(secondary.message.clone()),
                    (start, end - start),
                ));
            } else if let Some((path, at)) = position_in(sources, secondary.span) {
                notes.push(format!(
                    "{}: {path}:{}:{}",
                    secondary.message, at.line, at.column
                ));
            }
        }
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
            source: CharColumnSource {
                name: display_path(&file.path),
                text,
            },
            labels,
        };
        if handler.render_report(&mut out, &report).is_err() {
            // Rendering into a String cannot fail; fall back to one line anyway.
            out.push_str(&format!(
                "{}[{}]: {}\n",
                severity_word(d.severity()),
                d.code,
                d.message
            ));
        }
        out.push('\n');
    }
    out
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

/// A path that could not be checked (missing, unreadable, not UTF-8).
#[derive(Serialize)]
pub struct JsonFailure {
    /// `E0801` or `E0802`.
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
    let mut codes: Vec<seg::diagnostics::Code> =
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
