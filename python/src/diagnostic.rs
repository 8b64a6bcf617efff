//! Diagnostics as Python objects: the fields of `seg check --format json`
//! ([`seg::render::json`]), typed, and the human rendering `seg` prints as
//! their `str`.

use crate::SegError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use seg::diagnostics::{Diagnostic as Found, SourceMap};
use seg::render;
use serde_json::Value;

/// One problem in rules: where it is, its code, what is wrong and how to fix
/// it. `str(d)` is the annotated excerpt `seg check` prints; `d.to_dict()`
/// is its object in `seg check --format json`. Lines and columns are
/// 1-based, columns counting characters; byte offsets are 0-based into the
/// file's UTF-8 text.
#[pyclass(frozen, skip_from_py_object, module = "seg")]
#[derive(Clone)]
pub struct Diagnostic {
    /// The code, such as `"E0201"` (docs/diagnostics.md).
    #[pyo3(get)]
    code: String,
    /// `"error"` or `"warning"`.
    #[pyo3(get)]
    severity: String,
    /// What is wrong, on one line.
    #[pyo3(get)]
    message: String,
    /// The file, as `seg` shows it.
    #[pyo3(get)]
    file: String,
    /// Where it starts.
    #[pyo3(get)]
    line: u32,
    #[pyo3(get)]
    column: u32,
    /// Where it ends (exclusive).
    #[pyo3(get)]
    end_line: u32,
    #[pyo3(get)]
    end_column: u32,
    /// The same range in bytes.
    #[pyo3(get)]
    start_byte: u32,
    #[pyo3(get)]
    end_byte: u32,
    /// The label under the excerpt.
    #[pyo3(get)]
    label: String,
    /// How to fix it, when Seg can tell.
    #[pyo3(get)]
    help: Option<String>,
    /// Other places that explain it.
    #[pyo3(get)]
    related: Vec<Related>,
    /// Machine-applicable fixes (the "did you mean"s among them).
    #[pyo3(get)]
    fixes: Vec<Fix>,
    /// The annotated excerpt, `str(d)`.
    rendered: String,
    /// The `seg check --format json` object, as JSON text.
    json: String,
}

#[pymethods]
impl Diagnostic {
    pub fn __str__(&self) -> &str {
        &self.rendered
    }

    fn __repr__(&self) -> String {
        format!(
            "<Diagnostic {} {} at {}:{}:{}: {}>",
            self.code, self.severity, self.file, self.line, self.column, self.message
        )
    }

    /// The diagnostic as `seg check --format json` writes it (a dict).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?.call_method1("loads", (&self.json,))
    }

    /// True for errors, false for warnings.
    #[getter]
    fn is_error(&self) -> bool {
        self.severity == "error"
    }
}

/// Another place a diagnostic points to (the first declaration of a
/// duplicate, the segment a cycle goes through).
#[pyclass(frozen, get_all, skip_from_py_object, module = "seg")]
#[derive(Clone)]
pub struct Related {
    /// What is there.
    message: String,
    /// Where.
    file: String,
    line: u32,
    column: u32,
}

#[pymethods]
impl Related {
    fn __repr__(&self) -> String {
        format!(
            "<Related {}:{}:{}: {}>",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A fix a tool may apply: every edit, in source order.
#[pyclass(frozen, get_all, skip_from_py_object, module = "seg")]
#[derive(Clone)]
pub struct Fix {
    /// What the fix does (`"replace with `loyalty_tier`"`).
    message: String,
    /// The edits.
    edits: Vec<Edit>,
}

#[pymethods]
impl Fix {
    fn __repr__(&self) -> String {
        format!("<Fix {:?}: {} edit(s)>", self.message, self.edits.len())
    }

    /// `text` (the content of `file`, the file the edits are in) with the
    /// fix's edits applied. Raises `ValueError` when an edit is in another
    /// file or outside `text`.
    fn apply(&self, file: &str, text: &str) -> PyResult<String> {
        let mut out = text.to_string();
        // Back to front, so that earlier offsets stay valid.
        for edit in self.edits.iter().rev() {
            let (start, end) = (edit.start_byte as usize, edit.end_byte as usize);
            if edit.file != file {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "the fix edits `{}` too; apply it to each file",
                    edit.file
                )));
            }
            if start > end
                || end > out.len()
                || !out.is_char_boundary(start)
                || !out.is_char_boundary(end)
            {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "the fix does not fit this text: was the file changed since it was checked?",
                ));
            }
            out.replace_range(start..end, &edit.text);
        }
        Ok(out)
    }
}

/// One edit of a fix: bytes `start_byte..end_byte` of `file` become `text`
/// (an empty range inserts).
#[pyclass(frozen, get_all, skip_from_py_object, module = "seg")]
#[derive(Clone)]
pub struct Edit {
    /// The file, as diagnostics name it.
    file: String,
    start_byte: u32,
    end_byte: u32,
    text: String,
}

#[pymethods]
impl Edit {
    fn __repr__(&self) -> String {
        format!(
            "<Edit {} {}..{} -> {:?}>",
            self.file, self.start_byte, self.end_byte, self.text
        )
    }
}

/// The Python objects of `found`, whose files are in `sources`: each made
/// from its object in `seg check --format json` ([`render::json`], the one
/// place that maps a diagnostic to fields), with the human rendering as its
/// `str`.
pub fn convert(found: &[Found], sources: &SourceMap) -> Vec<Diagnostic> {
    let located = render::locate(found, sources);
    let objects: Vec<Value> = serde_json::to_value(render::json(&located, sources, 1))
        .ok()
        .and_then(|mut report| match report.get_mut("diagnostics")?.take() {
            Value::Array(objects) => Some(objects),
            _ => None,
        })
        .unwrap_or_default();
    located
        .iter()
        .zip(objects)
        .map(|(l, object)| {
            let file = text(&object, "file");
            Diagnostic {
                code: text(&object, "code"),
                severity: text(&object, "severity"),
                message: text(&object, "message"),
                line: number(&object, "line"),
                column: number(&object, "column"),
                end_line: number(&object, "end_line"),
                end_column: number(&object, "end_column"),
                start_byte: number(&object, "start_byte"),
                end_byte: number(&object, "end_byte"),
                label: text(&object, "label"),
                help: object
                    .get("help")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                related: list(&object, "related")
                    .map(|r| Related {
                        message: text(r, "message"),
                        file: text(r, "file"),
                        line: number(r, "line"),
                        column: number(r, "column"),
                    })
                    .collect(),
                // Edits are in the diagnostic's file (docs/diagnostics.md).
                fixes: list(&object, "suggestions")
                    .map(|f| Fix {
                        message: text(f, "message"),
                        edits: list(f, "edits")
                            .map(|e| Edit {
                                file: file.clone(),
                                start_byte: number(e, "start_byte"),
                                end_byte: number(e, "end_byte"),
                                text: text(e, "text"),
                            })
                            .collect(),
                    })
                    .collect(),
                rendered: render::human(std::slice::from_ref(l.diagnostic), sources, false)
                    .trim_end()
                    .to_string(),
                json: object.to_string(),
                file,
            }
        })
        .collect()
}

/// A string field of a JSON object ("" when absent).
fn text(object: &Value, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A number field of a JSON object (0 when absent).
fn number(object: &Value, key: &str) -> u32 {
    object
        .get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_default()
}

/// The elements of an array field of a JSON object (none when absent).
fn list<'v>(object: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    object
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A `SegError` with a code, one-line message, help, rendered text and the
/// located diagnostics behind it.
pub fn error(
    py: Python<'_>,
    code: &str,
    message: &str,
    help: Option<&str>,
    text: String,
    diagnostics: Vec<Diagnostic>,
) -> PyErr {
    let error = SegError::new_err(text);
    let value = error.value(py);
    let attributes = || -> PyResult<()> {
        value.setattr("code", code)?;
        value.setattr("message", message)?;
        value.setattr("help", help)?;
        value.setattr("diagnostics", PyList::new(py, diagnostics)?)?;
        Ok(())
    };
    match attributes() {
        Ok(()) => error,
        Err(failed) => failed,
    }
}

/// The `SegError` of rules with errors: the first error's code and message,
/// every diagnostic (warnings too) in `diagnostics`, and the whole rendering
/// `seg check` prints as its text.
pub fn rules_error(py: Python<'_>, checked: &seg::Checked) -> PyErr {
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let first = checked.diagnostics.iter().find(|d| d.is_error());
    let text = format!(
        "the rules have {errors} error{}\n\n{}",
        if errors == 1 { "" } else { "s" },
        render::human_checked(checked, false).trim_end()
    );
    error(
        py,
        first.map_or("E0901", |d| d.code.as_str()),
        first.map_or("the rules have errors", |d| d.message.as_str()),
        first.and_then(|d| d.help.as_deref()),
        text,
        convert(&checked.diagnostics, &checked.sources),
    )
}

/// The `SegError` of located problems found after checking (a column that
/// does not fit the rules, an internal error of an engine).
pub fn located_error(py: Python<'_>, found: &[Found], sources: &SourceMap) -> PyErr {
    let first = found.first();
    error(
        py,
        first.map_or("E0901", |d| d.code.as_str()),
        first.map_or("the run failed", |d| d.message.as_str()),
        first.and_then(|d| d.help.as_deref()),
        render::human(found, sources, false).trim_end().to_string(),
        convert(found, sources),
    )
}
