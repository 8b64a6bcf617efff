//! Seg for Python: the extension module `seg._seg` behind `import seg`.
//!
//! Every call goes through the `seg` library as the command line does:
//! checking with the checker and its renderer ([`seg::render`]), preparing
//! with [`seg::Query::prepare`], and running with [`seg::run`] on the engine
//! of `seg run` ([`seg::Engine::Auto`], the Cranelift JIT). Data comes in
//! through the Arrow PyCapsule interface (`__arrow_c_stream__`): the
//! producer's buffers are read where they lie, with no copy, and the GIL is
//! released while the run reads and evaluates them. Results go back to
//! Python the same way, as a pyarrow Table.
//!
//! The Python-facing documentation is in the docstrings here and in
//! `python/seg/_seg.pyi`; `docs/python.md` is the guide.

mod convert;
mod diagnostic;
mod program;

use pyo3::prelude::*;
use pyo3::types::PyList;

pyo3::create_exception!(
    seg,
    SegError,
    pyo3::exceptions::PyException,
    "A problem Seg reports with a code (docs/diagnostics.md): rules with errors, \
     data that does not fit them, a file that cannot be read, a bad option.\n\n\
     Attributes: `code` (`\"E0401\"`), `message` (one line), `help` (how to fix \
     it, or None) and `diagnostics` (the located problems in the rules, a list \
     of `seg.Diagnostic`, empty for problems with data or options). `str(error)` \
     is the rendering `seg` prints."
);

pyo3::create_exception!(
    seg,
    SegWarning,
    pyo3::exceptions::PyUserWarning,
    "A warning about rules that still run (W-codes of docs/diagnostics.md), \
     issued through Python's `warnings` module when a program is compiled."
);

/// The diagnostics of Seg rules, errors and warnings, in file and position
/// order; an empty list when the rules are clean.
///
/// `rules` is a path (`str` or `os.PathLike`) to a `.seg` file, or the text of
/// rules: a `str` holding a newline or a `{` is text, any other `str` is a
/// path. `path` names text in messages (default `<rules>.seg`); the text's
/// `use`s are read relative to it.
///
/// A `use` reads `.seg` files in the rules' directory tree; `root` names
/// another directory whose tree it may read, and `allow_outside=True` lets
/// it read anywhere (`seg check --root`, `--allow-outside`).
///
/// Raises `SegError` (E0801) when the file cannot be read.
#[pyfunction]
#[pyo3(signature = (rules, *, path = None, root = None, allow_outside = false))]
fn check(
    py: Python<'_>,
    rules: &Bound<'_, PyAny>,
    path: Option<std::path::PathBuf>,
    root: Option<std::path::PathBuf>,
    allow_outside: bool,
) -> PyResult<Vec<diagnostic::Diagnostic>> {
    let checked = convert::checked(py, rules, path, root, allow_outside)?;
    Ok(diagnostic::convert(&checked.diagnostics, &checked.sources))
}

/// Checks rules and prepares them for runs: a `seg.Program`.
///
/// - `rules`: a path or the text of rules, as for `seg.check`; `path` names
///   text; `root` and `allow_outside` widen what a `use` may read.
/// - `as_of`: the instant of evaluation: a timezone-aware `datetime`, a
///   `date` (midnight in the rules' time zone), or text (`"2026-11-24"`,
///   `"2026-11-24T09:00:00Z"`). None evaluates each run at the moment it
///   starts.
/// - `params`: values for the rules' params, by name: Python values
///   (`int`, `float`, `bool`, `str`, `Decimal`, `date`, aware `datetime`,
///   `timedelta` of whole minutes, lists) or Seg literals as text
///   (`"30 days"`).
/// - `segments`: the segments and priority groups to report, by name
///   (default: all).
/// - `timezone`: an IANA zone name (or `zoneinfo.ZoneInfo`) overriding the
///   rules' `timezone`.
/// - `optimize`: run the optimizer (results are the same either way).
/// - `engine`: `"auto"` (the JIT, or the reference evaluator for what it
///   cannot compile, with a `SegWarning`), `"jit"` or `"interp"` (the
///   reference evaluator).
///
/// Raises `SegError` when the rules have errors (its `diagnostics` list
/// them) or an option is wrong; warnings are issued as `SegWarning`s.
#[pyfunction]
#[pyo3(signature = (
    rules,
    *,
    path = None,
    root = None,
    allow_outside = false,
    as_of = None,
    params = None,
    segments = None,
    timezone = None,
    optimize = true,
    engine = "auto"
))]
#[allow(clippy::too_many_arguments)]
fn compile(
    py: Python<'_>,
    rules: &Bound<'_, PyAny>,
    path: Option<std::path::PathBuf>,
    root: Option<std::path::PathBuf>,
    allow_outside: bool,
    as_of: Option<&Bound<'_, PyAny>>,
    params: Option<&Bound<'_, pyo3::types::PyDict>>,
    segments: Option<&Bound<'_, PyAny>>,
    timezone: Option<&Bound<'_, PyAny>>,
    optimize: bool,
    engine: &str,
) -> PyResult<program::Program> {
    let engine = convert::engine(engine)?;
    let checked = convert::checked(py, rules, path, root, allow_outside)?;
    let Some(checked_program) = checked.program.as_ref() else {
        return Err(diagnostic::rules_error(py, &checked));
    };
    let options = convert::options(
        py,
        checked_program,
        as_of,
        params,
        segments,
        timezone,
        optimize,
    )?;
    let program = program::Program::new(py, checked, options, engine)?;
    program.warn(py)?;
    Ok(program)
}

/// The module: `seg._seg`, re-exported by the `seg` package.
#[pymodule]
fn _seg(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_class::<program::Program>()?;
    m.add_class::<program::Sizes>()?;
    m.add_class::<diagnostic::Diagnostic>()?;
    m.add_class::<diagnostic::Related>()?;
    m.add_class::<diagnostic::Fix>()?;
    m.add_class::<diagnostic::Edit>()?;
    m.add("SegError", py.get_type::<SegError>())?;
    m.add("SegWarning", py.get_type::<SegWarning>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "__all__",
        PyList::new(
            py,
            [
                "check",
                "compile",
                "Program",
                "Sizes",
                "Diagnostic",
                "Related",
                "Fix",
                "Edit",
                "SegError",
                "SegWarning",
            ],
        )?,
    )?;
    Ok(())
}
