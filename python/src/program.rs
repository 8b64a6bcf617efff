//! `seg.Program`: checked rules prepared for runs, and `seg.Sizes`, what a
//! counting run found.

use crate::SegWarning;
use crate::convert::{self, Data};
use crate::diagnostic::{self, Diagnostic};
use arrow::array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow::datatypes::SchemaRef;
use arrow_pyarrow::IntoPyArrow;
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use seg::diagnostics::SourceMap;
use seg::{Engine, Input, Membership, Query, RunError, RunOptions};
use std::borrow::Cow;
use std::ffi::CString;
use std::path::Path;
use std::time::{Duration, Instant};

/// Checked rules prepared for runs, from `seg.compile`.
///
/// `program.run(data)` gives each profile's segments as a pyarrow Table;
/// `program.sizes(data)` counts them. `data` is any Arrow source (a pyarrow
/// Table or RecordBatchReader, a Polars DataFrame, a DuckDB relation, a pandas
/// DataFrame, anything with `__arrow_c_stream__`), read in place without a
/// copy, or the path of a Parquet, CSV, JSON lines or Arrow IPC file. Runs
/// release the GIL; a program may run from several threads at once.
#[pyclass(frozen, module = "seg")]
pub struct Program {
    /// The rules' files, to render diagnostics found later.
    sources: SourceMap,
    /// The root file, as diagnostics name it.
    name: String,
    options: RunOptions,
    engine: Engine,
    /// Prepared once at compile time: for the runs when `as_of` was given,
    /// and so that every option error surfaces from `seg.compile`.
    query: Query,
    warnings: Vec<Diagnostic>,
}

impl Program {
    /// Prepares `checked` (which has a program) with `options`.
    pub fn new(
        py: Python<'_>,
        checked: seg::Checked,
        options: RunOptions,
        engine: Engine,
    ) -> PyResult<Program> {
        let Some(program) = checked.program.as_ref() else {
            return Err(diagnostic::rules_error(py, &checked));
        };
        let query = Query::prepare(program, &options).map_err(|e| convert::seg_error(py, &e))?;
        let warnings = diagnostic::convert(&checked.diagnostics, &checked.sources);
        let name = checked
            .sources
            .iter()
            .next()
            .map(|(_, f)| seg::render::display_path(&f.path))
            .unwrap_or_default();
        Ok(Program {
            sources: checked.sources,
            name,
            options,
            engine,
            query,
            warnings,
        })
    }

    /// Issues each warning of the rules as a `SegWarning`.
    pub fn warn(&self, py: Python<'_>) -> PyResult<()> {
        let category = py.get_type::<SegWarning>();
        for warning in &self.warnings {
            let text =
                CString::new(warning.__str__().trim_end().replace('\0', " ")).unwrap_or_default();
            PyErr::warn(py, &category, &text, 1)?;
        }
        Ok(())
    }

    /// The query a run uses: the one prepared at compile time when the
    /// instant is fixed, else prepared again for the moment of the run (and
    /// when overlap is to be counted, which preparing decides).
    fn query(&self, overlap: bool) -> Result<Cow<'_, Query>, seg::Error> {
        let fixed = self.options.as_of.is_some() || self.options.as_of_date.is_some();
        if fixed && !overlap {
            return Ok(Cow::Borrowed(&self.query));
        }
        let options = self.options.clone().overlap(overlap);
        Query::prepare(self.query.program(), &options).map(Cow::Owned)
    }

    /// Runs the query over `data` into `sink` without the GIL, and turns
    /// errors into Python's.
    fn execute<S: seg::Sink + Send>(
        &self,
        py: Python<'_>,
        query: &Query,
        data: Data,
        every_profile: bool,
        threads: Option<usize>,
        sink: &mut Interruptible<S>,
    ) -> PyResult<(seg::RunReport, SchemaRef)> {
        let threads = seg::worker_threads(threads);
        let engine = self.engine;
        let outcome = py.detach(|| execute(query, engine, data, every_profile, threads, sink));
        if let Some(interrupt) = sink.raised.take() {
            return Err(interrupt);
        }
        match outcome {
            Ok((report, schema, fallback)) => {
                if let Some(fallback) = fallback {
                    let text = format!(
                        "{}\nnote: running on the reference evaluator instead",
                        seg::render::human(&[fallback], &self.sources, false).trim_end()
                    );
                    let text = CString::new(text.replace('\0', " ")).unwrap_or_default();
                    PyErr::warn(py, &py.get_type::<SegWarning>(), &text, 1)?;
                }
                Ok((report, schema))
            }
            Err(RunError::Data(e)) => Err(convert::seg_error(py, &e)),
            Err(RunError::Program(found)) => {
                Err(diagnostic::located_error(py, &found, &self.sources))
            }
        }
    }
}

/// Opens `data` for `query`, binds, compiles and runs it into `sink`; the
/// input schema and the JIT's reason to fall back, if it did.
fn execute(
    query: &Query,
    engine: Engine,
    data: Data,
    every_profile: bool,
    threads: usize,
    sink: &mut dyn seg::Sink,
) -> Result<
    (
        seg::RunReport,
        SchemaRef,
        Option<seg::diagnostics::Diagnostic>,
    ),
    RunError,
> {
    let required = query.required_columns();
    let input = match data {
        Data::File { path, format } => {
            let options = seg::formats::OpenOptions {
                every_profile,
                ..Default::default()
            };
            seg::formats::open_query(query, &path, format, &options)?
        }
        Data::Stream {
            reader,
            label,
            columns,
        } => arrow_input(Input::from_reader(reader), &label, columns, &required)?,
        Data::Batch {
            batch,
            label,
            columns,
        } => arrow_input(
            Input::from_batches(batch.schema(), vec![batch]),
            &label,
            columns,
            &required,
        )?,
    };
    let schema = input.schema.clone();
    let binding = query
        .bind_among(&input.schema, &input.columns)
        .map_err(RunError::Program)?;
    let executor = query.compile(engine, &binding)?;
    let fallback = executor.fallback().cloned();
    let report = seg::run(&executor, input, sink, &seg::Silent, threads)?;
    Ok((report, schema, fallback))
}

/// An input of Arrow data a Python object exported: a column the rules read
/// that appears twice is ambiguous (E0408), and when the object was projected
/// before exporting, every column it had is what "did you mean" help offers.
fn arrow_input(
    mut input: Input,
    label: &str,
    columns: Option<Vec<String>>,
    required: &[&str],
) -> Result<Input, seg::Error> {
    seg::formats::ambiguous(Path::new(label), &input.columns, required)?;
    if let Some(columns) = columns {
        input.columns = columns;
    }
    Ok(input)
}

/// A sink that lets Ctrl-C stop a run: on the main thread, at most every
/// 100 ms, it takes the GIL for a moment to run Python's signal handlers,
/// and stops the run with the exception they raise (KeyboardInterrupt).
struct Interruptible<S> {
    inner: S,
    watch: bool,
    last: Instant,
    raised: Option<PyErr>,
}

impl<S> Interruptible<S> {
    fn new(py: Python<'_>, inner: S) -> PyResult<Self> {
        let threading = py.import("threading")?;
        let current = threading.call_method0("current_thread")?;
        let main = threading.call_method0("main_thread")?;
        Ok(Interruptible {
            inner,
            watch: current.is(&main),
            last: Instant::now(),
            raised: None,
        })
    }

    fn poll(&mut self) -> Result<(), seg::Error> {
        if !self.watch || self.last.elapsed() < Duration::from_millis(100) {
            return Ok(());
        }
        self.last = Instant::now();
        if let Err(error) = Python::attach(|py| py.check_signals()) {
            self.raised = Some(error);
            return Err(seg::Error::new("E0801", "the run was interrupted", None));
        }
        Ok(())
    }
}

impl<S: seg::Sink> seg::Sink for Interruptible<S> {
    fn write(&mut self, batch: &RecordBatch, membership: &Membership) -> Result<(), seg::Error> {
        self.poll()?;
        self.inner.write(batch, membership)
    }
}

/// Keeps every result batch ([`Query::result_batch`]).
struct Collect<'q> {
    query: &'q Query,
    batches: Vec<RecordBatch>,
}

impl seg::Sink for Collect<'_> {
    fn write(&mut self, batch: &RecordBatch, membership: &Membership) -> Result<(), seg::Error> {
        self.batches
            .push(self.query.result_batch(batch, membership)?);
        Ok(())
    }
}

#[pymethods]
impl Program {
    /// Each profile's segments: a pyarrow Table with the key (when the
    /// schema declares one), one non-null bool column per reported segment
    /// and one string column per reported priority group (the segment it
    /// chose, or null), a row per profile in the data's order.
    ///
    /// `threads`: worker threads (default: all cores). `format`: the format
    /// of a file whose extension does not tell (`"parquet"`, `"csv"`,
    /// `"jsonl"`, `"arrow"`).
    #[pyo3(signature = (data, *, threads = None, format = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        threads: Option<usize>,
        format: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let query = self.query(false).map_err(|e| convert::seg_error(py, &e))?;
        let data = convert::data(data, format, &query.required_columns())?;
        let mut sink = Interruptible::new(
            py,
            Collect {
                query: &query,
                batches: Vec::new(),
            },
        )?;
        let (_, input) = self.execute(py, &query, data, true, threads, &mut sink)?;
        let schema = query.result_schema(&input);
        let batches = std::mem::take(&mut sink.inner.batches);
        let reader: Box<dyn RecordBatchReader + Send> = Box::new(RecordBatchIterator::new(
            batches.into_iter().map(Ok),
            schema,
        ));
        reader.into_pyarrow(py)?.call_method0("read_all")
    }

    /// How many profiles each reported segment holds, and each priority
    /// group assigns: a `seg.Sizes`. Parquet files are pruned by their
    /// statistics, as `seg run` prunes them.
    ///
    /// `overlap=True` also counts the profiles each pair of segments
    /// shares (`sizes.overlap`). `threads` and `format` as for `run`.
    #[pyo3(signature = (data, *, threads = None, format = None, overlap = false))]
    fn sizes(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        threads: Option<usize>,
        format: Option<&str>,
        overlap: bool,
    ) -> PyResult<Sizes> {
        let started = Instant::now();
        let query = self
            .query(overlap)
            .map_err(|e| convert::seg_error(py, &e))?;
        let data = convert::data(data, format, &query.required_columns())?;
        let mut sink = Interruptible::new(py, seg::Discard)?;
        let (report, _) = self.execute(py, &query, data, false, threads, &mut sink)?;
        Ok(Sizes::new(&query, report, started.elapsed()))
    }

    /// The rules as one SQL statement for `dialect` (`"duckdb"`,
    /// `"postgres"`, `"datafusion"`, `"spark"`, `"bigquery"`,
    /// `"snowflake"`), selecting from `table`: the columns of `run`, for an
    /// engine or warehouse to compute (docs/sql.md). Raises `SegError` for
    /// what the dialect cannot express exactly.
    #[pyo3(signature = (dialect = "duckdb", *, table = "profiles"))]
    fn sql(&self, py: Python<'_>, dialect: &str, table: &str) -> PyResult<String> {
        let dialect = seg::sql::Dialect::from_name(dialect).ok_or_else(|| {
            let names: Vec<&str> = seg::sql::Dialect::ALL.iter().map(|d| d.name()).collect();
            PyValueError::new_err(format!(
                "unknown SQL dialect `{dialect}`: use one of {}",
                names.join(", ")
            ))
        })?;
        let query = self.query(false).map_err(|e| convert::seg_error(py, &e))?;
        let compiled = query
            .sql(dialect)
            .map_err(|found| diagnostic::located_error(py, &found, &self.sources))?;
        Ok(compiled.select(table))
    }

    /// The reported segments, in order.
    #[getter]
    fn segments(&self) -> Vec<String> {
        reported_segments(&self.query)
    }

    /// The reported priority groups, in order.
    #[getter]
    fn priorities(&self) -> Vec<String> {
        reported_groups(&self.query)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    /// The columns the reported segments read (and the key): what the data
    /// must have.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.query
            .required_columns()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The key field, when the schema declares one.
    #[getter]
    fn key(&self) -> Option<String> {
        self.query.key_name().map(str::to_string)
    }

    /// The instant of evaluation (a UTC datetime), or None when each run
    /// evaluates at the moment it starts.
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.options.as_of.is_none() && self.options.as_of_date.is_none() {
            return Ok(None);
        }
        utc_datetime(py, self.query.as_of()).map(Some)
    }

    /// Every param's value as a Seg literal, overrides applied.
    #[getter]
    fn params(&self) -> Vec<(String, String)> {
        self.query
            .program()
            .params
            .iter()
            .zip(self.query.params())
            .map(|(p, v)| (p.name.clone(), seg::ir::const_text(v)))
            .collect()
    }

    /// The rules' warnings (also issued as `SegWarning`s by `seg.compile`).
    #[getter]
    fn warnings(&self) -> Vec<Diagnostic> {
        self.warnings.clone()
    }

    /// The engine asked for: `"auto"`, `"jit"` or `"interp"`.
    #[getter]
    fn engine(&self) -> &'static str {
        match self.engine {
            Engine::Auto => "auto",
            Engine::Jit => "jit",
            Engine::Interp => "interp",
        }
    }

    fn __repr__(&self) -> String {
        let as_of = if self.options.as_of.is_some() || self.options.as_of_date.is_some() {
            seg::format_instant(self.query.as_of())
        } else {
            "each run's moment".into()
        };
        format!(
            "<seg.Program {}: {} segment{}, {} priority group{}, as of {as_of}>",
            self.name,
            self.query.selection().segments().len(),
            plural(self.query.selection().segments().len()),
            self.query.selection().priorities().len(),
            plural(self.query.selection().priorities().len()),
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn reported_segments(query: &Query) -> Vec<String> {
    query
        .selection()
        .segments()
        .iter()
        .map(|&id| query.segment_name(id).to_string())
        .collect()
}

/// Each reported priority group's name and its segments' names.
fn reported_groups(query: &Query) -> Vec<(String, Vec<String>)> {
    query
        .selection()
        .priorities()
        .iter()
        .filter_map(|&p| query.program().priorities.get(p))
        .map(|group| {
            let members = group
                .segments
                .iter()
                .map(|&id| query.segment_name(id).to_string())
                .collect();
            (group.name.clone(), members)
        })
        .collect()
}

/// Microseconds since the epoch as an aware UTC datetime, exactly.
fn utc_datetime(py: Python<'_>, micros: i64) -> PyResult<Bound<'_, PyAny>> {
    let datetime = py.import("datetime")?;
    let utc = datetime.getattr("timezone")?.getattr("utc")?;
    let epoch = datetime
        .getattr("datetime")?
        .call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
    let delta = datetime.getattr("timedelta")?.call1((0, 0, micros))?;
    epoch.call_method1("__add__", (delta,))
}

/// A priority group's name, its segments' assignments, and the profiles
/// in none of them.
type Group = (String, Vec<(String, u64)>, u64);

/// What a counting run found: `sizes["vip"]` is the members of segment
/// `vip`; `sizes.priorities["lifecycle"]` maps each segment of a priority
/// group to the profiles it was assigned. In a notebook it shows as a table.
#[pyclass(frozen, module = "seg")]
pub struct Sizes {
    /// Profiles in the data (those statistics proved in no segment too).
    #[pyo3(get)]
    profiles: u64,
    segments: Vec<(String, u64)>,
    groups: Vec<Group>,
    overlap: Option<Vec<Vec<u64>>>,
    /// The engine that ran: `"jit"` or `"interp"`.
    #[pyo3(get)]
    engine: &'static str,
    /// Worker threads.
    #[pyo3(get)]
    threads: usize,
    /// Seconds the call took, from reading the data to the last count.
    #[pyo3(get)]
    seconds: f64,
    as_of: i64,
}

impl Sizes {
    fn new(query: &Query, report: seg::RunReport, elapsed: Duration) -> Sizes {
        let sizes = report.sizes;
        let segments = reported_segments(query)
            .into_iter()
            .zip(sizes.members.iter().copied())
            .collect();
        let groups = reported_groups(query)
            .into_iter()
            .zip(sizes.assigned.iter().zip(&sizes.unassigned))
            .map(|((name, members), (assigned, &none))| {
                (
                    name,
                    members.into_iter().zip(assigned.iter().copied()).collect(),
                    none,
                )
            })
            .collect();
        Sizes {
            profiles: sizes.profiles,
            segments,
            groups,
            overlap: sizes.overlap,
            engine: report.engine,
            threads: report.threads,
            seconds: elapsed.as_secs_f64(),
            as_of: query.as_of(),
        }
    }

    fn lookup(&self, name: &str) -> PyResult<u64> {
        self.segments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, count)| *count)
            .ok_or_else(|| {
                let hint = seg::diagnostics::did_you_mean(
                    name,
                    self.segments.iter().map(|(n, _)| n.as_str()),
                )
                .map(|close| format!("; did you mean `{close}`?"))
                .unwrap_or_default();
                PyKeyError::new_err(format!("no reported segment `{name}`{hint}"))
            })
    }
}

#[pymethods]
impl Sizes {
    /// Members of each reported segment, in order.
    #[getter]
    fn segments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, count) in &self.segments {
            dict.set_item(name, count)?;
        }
        Ok(dict)
    }

    /// For each reported priority group, the profiles assigned to each of
    /// its segments, in the group's order.
    #[getter]
    fn priorities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (group, members, _) in &self.groups {
            let inner = PyDict::new(py);
            for (name, count) in members {
                inner.set_item(name, count)?;
            }
            dict.set_item(group, inner)?;
        }
        Ok(dict)
    }

    /// For each reported priority group, the profiles in none of its
    /// segments.
    #[getter]
    fn unassigned<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (group, _, none) in &self.groups {
            dict.set_item(group, none)?;
        }
        Ok(dict)
    }

    /// With `overlap=True`: the profiles in both of two reported segments,
    /// keyed by the pair of names in either order (a segment with itself is
    /// its members); else None.
    #[getter]
    fn overlap<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(matrix) = &self.overlap else {
            return Ok(None);
        };
        let dict = PyDict::new(py);
        for ((a, _), row) in self.segments.iter().zip(matrix) {
            for ((b, _), both) in self.segments.iter().zip(row) {
                dict.set_item(PyTuple::new(py, [a, b])?, both)?;
            }
        }
        Ok(Some(dict))
    }

    /// The instant the run evaluated at (a UTC datetime).
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        utc_datetime(py, self.as_of)
    }

    fn __getitem__(&self, name: &str) -> PyResult<u64> {
        self.lookup(name)
    }

    fn __contains__(&self, name: &str) -> bool {
        self.segments.iter().any(|(n, _)| n == name)
    }

    fn __len__(&self) -> usize {
        self.segments.len()
    }

    /// The reported segments' names (iterating over sizes gives them).
    fn keys(&self) -> Vec<String> {
        self.segments.iter().map(|(n, _)| n.clone()).collect()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.keys()
            .into_pyobject(py)?
            .try_iter()
            .map(Bound::into_any)
    }

    /// Members over profiles, from 0 to 1.
    fn share(&self, name: &str) -> PyResult<f64> {
        Ok(seg::present::percent(self.lookup(name)?, self.profiles) / 100.0)
    }

    /// Everything as plain Python values: `profiles`, `segments`,
    /// `priorities`, `unassigned`, `as_of` (RFC 3339 text), `engine`,
    /// `seconds`, and `overlap` as a list of `[a, b, both]` for each pair
    /// when counted.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("profiles", self.profiles)?;
        dict.set_item("segments", self.segments(py)?)?;
        dict.set_item("priorities", self.priorities(py)?)?;
        dict.set_item("unassigned", self.unassigned(py)?)?;
        dict.set_item("as_of", seg::format_instant(self.as_of))?;
        dict.set_item("engine", self.engine)?;
        dict.set_item("seconds", self.seconds)?;
        if let Some(matrix) = &self.overlap {
            let mut pairs = Vec::new();
            for (i, row) in matrix.iter().enumerate() {
                for (j, both) in row.iter().enumerate().skip(i + 1) {
                    pairs.push((
                        self.segments[i].0.clone(),
                        self.segments[j].0.clone(),
                        *both,
                    ));
                }
            }
            dict.set_item("overlap", pairs)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let rows = self.rows();
        let width = rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(0)
            .max(7);
        let mut out = format!(
            "Sizes of {} profiles at {} ({}, {:.3} s)\n",
            seg::present::thousands(self.profiles),
            seg::format_instant(self.as_of),
            self.engine,
            self.seconds
        );
        out.push_str(&format!(
            "  {:<width$}  {:>12}  {:>7}\n",
            "segment", "members", "share"
        ));
        for (name, count, share) in rows {
            out.push_str(&format!("  {name:<width$}  {count:>12}  {share:>7}\n"));
        }
        out.trim_end().to_string()
    }

    /// The table a notebook shows.
    fn _repr_html_(&self) -> String {
        let escape = seg::present::escape_markup;
        let mut out = format!(
            "<table><caption>Sizes of {} profiles at {} ({})</caption>\
             <thead><tr><th style=\"text-align:left\">segment</th><th>members</th><th>share</th></tr></thead><tbody>",
            seg::present::thousands(self.profiles),
            escape(&seg::format_instant(self.as_of)),
            self.engine
        );
        for (name, count, share) in self.rows() {
            out.push_str(&format!(
                "<tr><td style=\"text-align:left\">{}</td><td>{count}</td><td>{share}</td></tr>",
                escape(&name)
            ));
        }
        out.push_str("</tbody></table>");
        out
    }
}

impl Sizes {
    /// The rows of the table: each segment, then each priority group's
    /// assignments (`group → segment`) and its unassigned profiles.
    fn rows(&self) -> Vec<(String, String, String)> {
        let row = |name: String, count: u64| {
            (
                name,
                seg::present::thousands(count),
                format!("{:.1}%", seg::present::percent(count, self.profiles)),
            )
        };
        let mut rows: Vec<_> = self
            .segments
            .iter()
            .map(|(name, count)| row(name.clone(), *count))
            .collect();
        for (group, members, none) in &self.groups {
            for (name, count) in members {
                rows.push(row(format!("{group} → {name}"), *count));
            }
            rows.push(row(format!("{group} → (none)"), *none));
        }
        rows
    }
}
