//! Python values to the library's: rules (a path or text), run options
//! (instant, params, selection, zone) and data (an Arrow stream through the
//! PyCapsule interface, or a file Seg reads itself).

use crate::diagnostic;
use arrow::array::RecordBatch;
use arrow::ffi_stream::ArrowArrayStreamReader;
use arrow_pyarrow::FromPyArrow;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use seg::formats::DataFormat;
use seg::ir::{Const, Type};
use std::path::PathBuf;

/// A `SegError` for a problem with data or options.
pub fn seg_error(py: Python<'_>, error: &seg::Error) -> PyErr {
    diagnostic::error(
        py,
        error.code,
        &error.message,
        error.help.as_deref(),
        error.to_string(),
        Vec::new(),
    )
}

/// Rules to check: a file, or text named by a path.
pub enum Rules {
    File(PathBuf),
    Text { path: PathBuf, text: String },
}

impl Rules {
    /// Checks the rules as `seg check` does: a file that cannot be read is
    /// E0801, problems in the rules are in the result.
    pub fn check(&self, loader: &seg::FsLoader) -> Result<seg::Checked, seg::Error> {
        match self {
            Rules::File(path) => match seg::read_source(path) {
                Err(seg::LoadError::Io(reason)) => Err(seg::Error::new(
                    "E0801",
                    format!("cannot read `{}`: {reason}", path.display()),
                    None,
                )),
                _ => Ok(seg::check_program(path, loader)),
            },
            Rules::Text { path, text } => Ok(seg::check_source_with(path, text, loader)),
        }
    }
}

/// The rules `rules` (named `path` when text) checked, their `use`s read as
/// `root` and `allow_outside` allow: what `seg.check` and `seg.compile`
/// share.
pub fn checked(
    py: Python<'_>,
    rules: &Bound<'_, PyAny>,
    path: Option<PathBuf>,
    root: Option<PathBuf>,
    allow_outside: bool,
) -> PyResult<seg::Checked> {
    let loader = loader(root, allow_outside)?;
    self::rules(rules, path)?
        .check(&loader)
        .map_err(|e| seg_error(py, &e))
}

/// The loader of `use`d files: from the rules' directory tree by default,
/// from `root`'s tree, or from anywhere (`seg check --root`,
/// `--allow-outside`).
pub fn loader(root: Option<PathBuf>, allow_outside: bool) -> PyResult<seg::FsLoader> {
    let scope = match (root, allow_outside) {
        (Some(_), true) => {
            return Err(PyValueError::new_err(
                "give `root` or `allow_outside`, not both",
            ));
        }
        (Some(dir), false) => seg::UseScope::Directory(dir),
        (None, true) => seg::UseScope::Anywhere,
        (None, false) => seg::UseScope::RootDirectory,
    };
    Ok(seg::FsLoader { scope })
}

/// `rules` as the API takes it: an `os.PathLike` is a file; a `str` holding
/// a newline or `{` is the text of rules (named `path`), any other `str` a
/// file.
pub fn rules(rules: &Bound<'_, PyAny>, path: Option<PathBuf>) -> PyResult<Rules> {
    let py = rules.py();
    if let Ok(text) = rules.cast::<PyString>() {
        let text = text.to_str()?;
        if text.contains('\n') || text.contains('{') {
            return Ok(Rules::Text {
                path: path.unwrap_or_else(|| PathBuf::from("<rules>.seg")),
                text: text.to_string(),
            });
        }
        return file_rules(PathBuf::from(text), path);
    }
    let os = py.import("os")?;
    if rules.is_instance(&os.getattr("PathLike")?)? {
        let fspath: PathBuf = os.call_method1("fspath", (rules,))?.extract()?;
        return file_rules(fspath, path);
    }
    Err(PyTypeError::new_err(format!(
        "rules are a path to a .seg file or the text of rules (a str), not {}",
        type_name(rules)
    )))
}

fn file_rules(file: PathBuf, path: Option<PathBuf>) -> PyResult<Rules> {
    if path.is_some() {
        return Err(PyValueError::new_err(
            "`path` names rules given as text; these rules are read from a file",
        ));
    }
    Ok(Rules::File(file))
}

/// The engine named `name`.
pub fn engine(name: &str) -> PyResult<seg::Engine> {
    match name {
        "auto" => Ok(seg::Engine::Auto),
        "jit" => Ok(seg::Engine::Jit),
        "interp" => Ok(seg::Engine::Interp),
        other => Err(PyValueError::new_err(format!(
            "unknown engine `{other}`: use \"auto\", \"jit\" or \"interp\""
        ))),
    }
}

/// The run options of `seg.compile`'s arguments.
pub fn options(
    py: Python<'_>,
    program: &seg::ir::Program,
    as_of: Option<&Bound<'_, PyAny>>,
    params: Option<&Bound<'_, PyDict>>,
    segments: Option<&Bound<'_, PyAny>>,
    timezone: Option<&Bound<'_, PyAny>>,
    optimize: bool,
) -> PyResult<seg::RunOptions> {
    let mut options = seg::RunOptions::default().optimize(optimize);
    if let Some(as_of) = as_of.filter(|a| !a.is_none()) {
        options = options
            .as_of_text(&instant_text(as_of)?)
            .map_err(|e| seg_error(py, &e))?;
    }
    if let Some(zone) = timezone.filter(|z| !z.is_none()) {
        // A `zoneinfo.ZoneInfo` (or any tzinfo with a key) by its name.
        let name: String = match zone.cast::<PyString>() {
            Ok(text) => text.to_str()?.to_string(),
            Err(_) => match zone.getattr("key") {
                Ok(key) => key.extract()?,
                Err(_) => {
                    return Err(PyTypeError::new_err(format!(
                        "timezone is an IANA name such as \"Europe/Berlin\" or a zoneinfo.ZoneInfo, not {}",
                        type_name(zone)
                    )));
                }
            },
        };
        options = options
            .timezone_name(&name)
            .map_err(|e| seg_error(py, &e))?;
    }
    if let Some(params) = params {
        for (name, value) in params.iter() {
            let name: String = name
                .extract()
                .map_err(|_| PyTypeError::new_err("param names are str"))?;
            let ty = program
                .params
                .iter()
                .find(|p| p.name == name)
                .map(|p| &p.ty);
            let literal = literal(&value, ty)?;
            options = options.param(&name, &literal);
        }
    }
    if let Some(segments) = segments.filter(|s| !s.is_none()) {
        let names: Vec<String> = match segments.cast::<PyString>() {
            Ok(one) => vec![one.to_str()?.to_string()],
            Err(_) => segments
                .extract()
                .map_err(|_| PyTypeError::new_err("segments are names: a str or a list of str"))?,
        };
        options = options.segments(names);
    }
    Ok(options)
}

/// The text of an instant: a str as given, a date as ISO 8601, an aware
/// datetime as RFC 3339 (a naive one is refused: which zone it means cannot
/// be told).
fn instant_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_str()?.to_string());
    }
    let datetime = py.import("datetime")?;
    if value.is_instance(&datetime.getattr("datetime")?)? {
        if value.call_method0("utcoffset")?.is_none() {
            return Err(diagnostic::error(
                py,
                "E0406",
                "`as_of` is a datetime without a time zone",
                Some("give it one, as in datetime(2026, 11, 24, tzinfo=timezone.utc), or pass a date"),
                "error[E0406]: `as_of` is a datetime without a time zone\n  help: give it one, as in datetime(2026, 11, 24, tzinfo=timezone.utc), or pass a date".into(),
                Vec::new(),
            ));
        }
        return value.call_method0("isoformat")?.extract();
    }
    if value.is_instance(&datetime.getattr("date")?)? {
        return value.call_method0("isoformat")?.extract();
    }
    Err(PyTypeError::new_err(format!(
        "as_of is a datetime with a time zone, a date or a str, not {}",
        type_name(value)
    )))
}

/// A Python value as the Seg literal of a param of type `ty` (`None` for a
/// param the rules lack, which preparing reports with a "did you mean").
/// A `str` is the string itself for a string param, and a Seg literal
/// (`"30 days"`, `"2026-01-01"`) for any other.
fn literal(value: &Bound<'_, PyAny>, ty: Option<&Type>) -> PyResult<String> {
    let py = value.py();
    let element = match ty {
        Some(Type::List(element)) => Some(element.as_ref()),
        _ => None,
    };
    if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_str()?;
        return Ok(match ty {
            Some(Type::String) => seg::ir::const_text(&Const::String(text.to_string())),
            _ => text.to_string(),
        });
    }
    // bool before int: in Python, True is an int.
    if let Ok(flag) = value.cast::<pyo3::types::PyBool>() {
        return Ok(flag.is_true().to_string());
    }
    if value.cast::<pyo3::types::PyInt>().is_ok() {
        return Ok(value.str()?.to_str()?.to_string());
    }
    if let Ok(float) = value.cast::<pyo3::types::PyFloat>() {
        return Ok(seg::ir::const_text(&Const::Float(float.value())));
    }
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    if value.is_instance(&decimal)? {
        // Plain notation: Seg has no exponent in decimal literals.
        return value
            .call_method1("__format__", ("f",))?
            .extract::<String>();
    }
    let datetime = py.import("datetime")?;
    if value.is_instance(&datetime.getattr("datetime")?)?
        || value.is_instance(&datetime.getattr("date")?)?
    {
        return instant_text(value);
    }
    if value.is_instance(&datetime.getattr("timedelta")?)? {
        let unit = datetime.getattr("timedelta")?.call1((0, 0, 1))?;
        let micros: i64 = value.call_method1("__floordiv__", (unit,))?.extract()?;
        return duration_text(micros);
    }
    if value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok() {
        let items: Vec<String> = value
            .try_iter()?
            .map(|item| literal(&item?, element))
            .collect::<PyResult<_>>()?;
        return Ok(format!("[{}]", items.join(", ")));
    }
    Err(PyTypeError::new_err(format!(
        "a param's value is an int, float, bool, str, Decimal, date, datetime, timedelta or a list of those, not {}",
        type_name(value)
    )))
}

/// A whole number of minutes as a Seg duration, in the largest unit that
/// divides it exactly.
fn duration_text(micros: i64) -> PyResult<String> {
    const MINUTE: i64 = 60_000_000;
    if micros % MINUTE != 0 {
        return Err(PyValueError::new_err(
            "Seg durations are whole minutes (or hours, days, weeks); this timedelta is not",
        ));
    }
    let minutes = micros / MINUTE;
    Ok(if minutes % (60 * 24 * 7) == 0 {
        format!("{} weeks", minutes / (60 * 24 * 7))
    } else if minutes % (60 * 24) == 0 {
        format!("{} days", minutes / (60 * 24))
    } else if minutes % 60 == 0 {
        format!("{} hours", minutes / 60)
    } else {
        format!("{minutes} minutes")
    })
}

/// Where a run's profiles come from.
pub enum Data {
    /// A file Seg reads (Parquet with statistics pruning, CSV, JSON lines,
    /// Arrow IPC).
    File { path: PathBuf, format: DataFormat },
    /// An Arrow C stream a Python object exported; `label` names the object
    /// in messages; `columns`, when the object was projected to the columns
    /// the rules read before exporting, every column it has.
    Stream {
        reader: ArrowArrayStreamReader,
        label: String,
        columns: Option<Vec<String>>,
    },
    /// One record batch a Python object exported through `__arrow_c_array__`.
    Batch {
        batch: RecordBatch,
        label: String,
        columns: Option<Vec<String>>,
    },
}

/// The data of `value`: a path (`str` or `os.PathLike`, its format from
/// `format` or its extension), or any object of the Arrow PyCapsule
/// interface (`__arrow_c_stream__`, or `__arrow_c_array__` for one batch).
/// `required` are the columns the rules read: pyarrow, Polars and pandas
/// frames are projected to them before they export (see [`project`]).
pub fn data(value: &Bound<'_, PyAny>, format: Option<&str>, required: &[&str]) -> PyResult<Data> {
    let py = value.py();
    let os = py.import("os")?;
    if value.cast::<PyString>().is_ok() || value.is_instance(&os.getattr("PathLike")?)? {
        let path: PathBuf = os.call_method1("fspath", (value,))?.extract()?;
        let format = match format {
            Some(name) => DataFormat::from_extension(name).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "unknown data format `{name}`: use \"parquet\", \"csv\", \"jsonl\" or \"arrow\""
                ))
            })?,
            None => DataFormat::from_path(&path).ok_or_else(|| {
                seg_error(
                    py,
                    &seg::Error::new(
                        "E0403",
                        format!(
                            "cannot tell the format of `{}` from its extension",
                            path.display()
                        ),
                        Some("name it: format=\"parquet\", \"csv\", \"jsonl\" or \"arrow\"".into()),
                    ),
                )
            })?,
        };
        return Ok(Data::File { path, format });
    }
    if format.is_some() {
        return Err(PyValueError::new_err(
            "`format` is for data read from a file; this data is Arrow already",
        ));
    }
    let label = type_name(value);
    let (value, columns) = match project(value, &label, required)? {
        Some((projected, columns)) => (projected, Some(columns)),
        None => (value.clone(), None),
    };
    if value.hasattr("__arrow_c_stream__")? {
        let reader = ArrowArrayStreamReader::from_pyarrow_bound(&value)?;
        return Ok(Data::Stream {
            reader,
            label,
            columns,
        });
    }
    if value.hasattr("__arrow_c_array__")? {
        let batch = RecordBatch::from_pyarrow_bound(&value)?;
        return Ok(Data::Batch {
            batch,
            label,
            columns,
        });
    }
    let hint = if value.hasattr("collect")? {
        " (a lazy frame: call .collect() first)"
    } else {
        ""
    };
    Err(PyTypeError::new_err(format!(
        "Seg reads Arrow data: a pyarrow Table, RecordBatch or RecordBatchReader, a Polars \
         DataFrame, a DuckDB relation, a pandas DataFrame or any object with \
         __arrow_c_stream__, or the path of a Parquet, CSV, JSON lines or Arrow IPC file; \
         not {label}{hint}"
    )))
}

/// `value` reduced to the columns the rules read, and every column it had
/// (for "did you mean" help), when it is a frame that selects columns
/// without copying them: a pyarrow `Table` or `RecordBatch`, a Polars
/// `DataFrame` or a pandas `DataFrame`. Importing a column through the C
/// data interface costs a little per batch whether the rules read it or not
/// (about 30 µs per 64K-row batch for 20 columns), so a wide table is
/// projected first. Other sources export every column. A frame whose column
/// names repeat one the rules read, or are not all strings, is not projected:
/// the run then reports the ambiguity (E0408) as for any source.
fn project<'py>(
    value: &Bound<'py, PyAny>,
    label: &str,
    required: &[&str],
) -> PyResult<Option<(Bound<'py, PyAny>, Vec<String>)>> {
    let frame = ["pyarrow.lib.Table", "pyarrow.lib.RecordBatch"].contains(&label)
        || label == "polars.dataframe.frame.DataFrame"
        || label == "pandas.core.frame.DataFrame";
    if !frame {
        return Ok(None);
    }
    let names = if label.starts_with("pyarrow") {
        value.getattr("schema")?.getattr("names")?
    } else {
        value.getattr("columns")?
    };
    let Ok(columns) = names.extract::<Vec<String>>() else {
        return Ok(None);
    };
    if required
        .iter()
        .any(|r| columns.iter().filter(|c| c == r).count() > 1)
    {
        return Ok(None);
    }
    let keep: Vec<&str> = columns
        .iter()
        .map(String::as_str)
        .filter(|c| required.contains(c))
        .collect();
    if keep.len() == columns.len() {
        return Ok(None);
    }
    let projected = if label.starts_with("pandas") {
        value.get_item(keep)?
    } else {
        value.call_method1("select", (keep,))?
    };
    Ok(Some((projected, columns)))
}

/// `module.Class` of a Python object, for messages.
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    let class = value.get_type();
    let module = class
        .module()
        .map(|m| m.to_string())
        .unwrap_or_else(|_| "builtins".into());
    let name = class
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into());
    if module == "builtins" {
        name
    } else {
        format!("{module}.{name}")
    }
}
