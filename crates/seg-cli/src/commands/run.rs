//! `seg run RULES.seg --data PATH`: evaluate the segments over profile data,
//! print the segment sizes, and optionally write per-profile results.

use crate::Outcome;
use crate::output::{Output, ResultsSink};
use crate::render;
use seg::Error as DataError;
use seg::formats::DataFormat;
use seg::ir::Program;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The arguments `seg run` and `seg bench` share: what to evaluate, over
/// what, and when.
#[derive(clap::Args, Clone)]
pub struct Inputs {
    /// The rules to run (`seg run`: or a folder, to run each of its root
    /// programs).
    pub rules: PathBuf,
    /// Profile data: Parquet, CSV (with a header), JSON lines or Arrow IPC
    /// (with `seg run --engine datafusion`: a Parquet file, a directory of
    /// .parquet files or a glob).
    #[arg(long)]
    pub data: PathBuf,
    /// The data's format, when its extension does not tell.
    #[arg(long, value_enum)]
    pub data_format: Option<DataFormat>,
    /// The instant of evaluation, RFC 3339 (2026-11-24T00:00:00Z) or a date
    /// (midnight in the rules' time zone, UTC without one) [default: now].
    #[arg(long)]
    pub as_of: Option<String>,
    /// Override a param: NAME=VALUE, VALUE a Seg literal (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Only these segments and priority groups (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub segments: Vec<String>,
    /// What `use` may read.
    #[command(flatten)]
    pub uses: crate::commands::UseArgs,
    /// The calendar's time zone (`--tz`).
    #[command(flatten)]
    pub tz: crate::commands::TzArg,
}

impl Inputs {
    /// The run options `--as-of` (default now), `--param` and `--segments`
    /// give.
    pub fn options(&self) -> Result<seg::RunOptions, DataError> {
        let mut options = seg::RunOptions {
            params: self.params.clone(),
            segments: self.segments.clone(),
            timezone: self.tz.tz,
            ..seg::RunOptions::default()
        };
        if let Some(text) = &self.as_of {
            options = options.as_of_text(text)?;
        }
        Ok(options)
    }

    /// The data's format: `--data-format`, or the file's extension.
    pub fn format(&self) -> Result<DataFormat, DataError> {
        self.data_format
            .or_else(|| DataFormat::from_path(&self.data))
            .ok_or_else(|| DataError {
                code: "E0403",
                message: format!(
                    "cannot tell the format of `{}` from its extension",
                    self.data.display()
                ),
                help: Some("name the format: --data-format parquet|csv|jsonl|arrow".into()),
            })
    }
}

/// Arguments of `seg run`.
#[derive(clap::Args, Clone)]
pub struct Args {
    /// Rules, data, instant, params and selection.
    #[command(flatten)]
    pub input: Inputs,
    /// Write per-profile results here (.parquet, .csv, .jsonl or .arrow): the
    /// key, one boolean column per segment, one string column per priority group
    /// (with `--members`, only that audience; see docs/diff.md).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores; at most 4 per core].
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
    /// Evaluation engine: `jit` compiles the program to native code, `interp`
    /// is the reference evaluator, `auto` is the JIT with the evaluator as a
    /// fallback, `datafusion` runs the program's SQL expressions on Apache
    /// DataFusion over Parquet files (`--threads` partitions).
    #[arg(long, value_enum, default_value = "auto")]
    pub engine: Engine,
    /// Summary format: a table or JSON, both on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub summary: SummaryFormat,
    /// Evaluate the program as checked, without the optimizer's rewrites
    /// (for comparing; results are the same).
    #[arg(long)]
    pub no_optimize: bool,
    /// Read every Parquet row group and page, even those whose statistics
    /// prove they hold no member (for comparing; results are the same).
    #[arg(long)]
    pub no_prune: bool,
    /// Rows per batch read from the data.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_rows: u32,
    /// Fill an event-history field from its own table: FIELD=FILE, one row per
    /// event with the key column and the record's fields (repeatable). A
    /// profile with no row gets an empty history; rows matching no profile
    /// are counted in the summary.
    #[arg(long = "events", value_name = "FIELD=FILE")]
    pub events: Vec<String>,
    /// Activation export: `--out` gets only this segment's members (or the
    /// profiles this priority group assigns, with a `segment` column), with
    /// the key and the `--columns`, instead of per-profile results.
    #[arg(long, value_name = "SEGMENT", requires = "out")]
    pub members: Option<String>,
    /// With `--members`: profile columns written after the key
    /// (comma-separated; `pii` columns are written as named).
    #[arg(long, value_delimiter = ',', requires = "members")]
    pub columns: Vec<String>,
    /// Name the slowest segments in the summary, each timed alone on the
    /// first batch (done anyway when the run takes over 2 s; not with
    /// `--engine datafusion`).
    #[arg(long)]
    pub slowest: bool,
    /// Set by `seg run FOLDER`: each program's JSON summary on one line (JSON
    /// lines), so that the output is a stream of documents.
    #[arg(skip)]
    pub json_lines: bool,
    /// Preview and overlap (`--overlap`, `--sample`, `--show-pii`).
    #[command(flatten)]
    pub look: Look,
}

/// `seg run --overlap` and `seg run --sample`: what the summary adds about
/// the members beyond their number.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Look {
    /// Add the pairwise overlap of the selected segments (profiles in both,
    /// Jaccard index) to the summary; `--overlap top=N` shows the N pairs
    /// with the most profiles in both. Write it after the rules file.
    #[arg(long, value_name = "top=N", num_args = 0..=1, default_missing_value = "all", value_parser = parse_overlap)]
    pub overlap: Option<OverlapShown>,
    /// Show the first N members of each selected segment (input order) with
    /// the key and the fields its rule reads (N at least 1: no rows would
    /// read as "no members").
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub sample: Option<usize>,
    /// Show personal data (`pii` fields) in `--sample` instead of masking it.
    #[arg(long)]
    pub show_pii: bool,
}

/// How many overlapping pairs the summary shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlapShown {
    /// Every pair (a matrix when few segments are selected).
    All,
    /// The N pairs with the most profiles in both.
    Top(usize),
}

/// Parses `--overlap`'s value: `all` or `top=N`.
fn parse_overlap(text: &str) -> Result<OverlapShown, String> {
    if text == "all" {
        return Ok(OverlapShown::All);
    }
    text.strip_prefix("top=")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .map(OverlapShown::Top)
        .ok_or_else(|| {
            format!("`{text}` is not `top=N` (N a positive number); write `--overlap` after the rules file")
        })
}

/// Evaluation engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The JIT; the reference evaluator if the JIT cannot compile the program.
    Auto,
    /// Native code compiled with Cranelift (fails if it cannot compile).
    Jit,
    /// The reference evaluator.
    Interp,
    /// Apache DataFusion over Parquet (a file, a directory of .parquet files
    /// or a glob): the program planned as DataFusion expressions from its
    /// SQL, with DataFusion's multi-threaded scan and statistics pruning.
    Datafusion,
}

/// Summary formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    /// A table on stdout.
    Human,
    /// A JSON document on stdout (see docs/semantics.md).
    Json,
}

/// Prints a data or option error; always exit 2.
pub fn fail(error: DataError) -> Outcome {
    eprintln!("error[{}]: {}", error.code, error.message);
    if let Some(help) = error.help {
        eprintln!("  help: {help}");
    }
    Outcome::Failure
}

/// Reads and checks the rules; a file that cannot be read is an E0801 error
/// (exit 2), while problems in the rules (bytes that are not UTF-8 among
/// them) are in the result.
pub fn read_rules(path: &Path, uses: &crate::commands::UseArgs) -> Result<seg::Checked, DataError> {
    match seg::read_source(path) {
        Err(seg::LoadError::Io(reason)) => Err(DataError {
            code: "E0801",
            message: format!("cannot read `{}`: {reason}", path.display()),
            help: None,
        }),
        _ => Ok(uses.check(path)),
    }
}

/// How a command reports the rules' diagnostics before it runs them.
pub struct Report {
    /// Print warnings too (`seg run` shows them; `seg bench` keeps its output
    /// to timings).
    pub warnings: bool,
    /// What did not happen when the rules have errors ("run", "timed").
    pub verb: &'static str,
    /// Colours in the rendering.
    pub color: bool,
}

/// Checks the rules and prepares them for the run `inputs` describe.
/// Errors in the rules are printed and end the command (exit 1), bad options
/// too (exit 2).
pub fn prepare(
    inputs: &Inputs,
    optimize: bool,
    report: &Report,
) -> Result<(seg::Checked, seg::Query), Outcome> {
    prepare_with(inputs, optimize, false, report)
}

/// [`prepare`], counting the overlap of the selected segments during the
/// run when `overlap` is on (`seg run --overlap`, `seg report`).
pub fn prepare_with(
    inputs: &Inputs,
    optimize: bool,
    overlap: bool,
    report: &Report,
) -> Result<(seg::Checked, seg::Query), Outcome> {
    let (warnings, color) = (report.warnings, report.color);
    let checked = read_rules(&inputs.rules, &inputs.uses).map_err(fail)?;
    if warnings || checked.has_errors() {
        eprint!("{}", render::human_checked(&checked, color));
    }
    let Some(program) = checked.program.as_ref().filter(|_| !checked.has_errors()) else {
        eprintln!("the rules have errors; nothing was {}", report.verb);
        return Err(Outcome::Findings);
    };
    let query = inputs
        .options()
        .and_then(|options| {
            seg::Query::prepare(program, &options.optimize(optimize).overlap(overlap))
        })
        .map_err(fail)?;
    Ok((checked, query))
}

/// Runs `seg run`.
pub fn run(args: &Args) -> Outcome {
    if args.input.rules.is_dir() {
        return run_folder(args);
    }
    run_program(args)
}

/// `seg run FOLDER`: every root program of the folder (a `.seg` file no other
/// file there `use`s, [`seg::root_programs`]), one after the other, each with
/// its own table under a `==> FILE <==` heading (or its own JSON line). The
/// exit code is the worst of the programs'. `--out` is refused: one results
/// file cannot hold several programs' columns.
fn run_folder(args: &Args) -> Outcome {
    let folder = &args.input.rules;
    if let Some(out) = &args.out {
        return usage(
            &format!(
                "`--out {}` names one results file, and `{}` is a folder of programs",
                out.display(),
                folder.display()
            ),
            "run one program with `--out`: seg run FOLDER/PROGRAM.seg --data … --out …",
        );
    }
    let (files, errors) = crate::files::expand(std::slice::from_ref(folder));
    if !errors.is_empty() {
        for error in errors {
            eprintln!("error[E0801]: {error}");
        }
        return Outcome::Failure;
    }
    let roots = seg::root_programs(&files, &args.input.uses.loader());
    let mut worst = Outcome::Clean;
    for (i, root) in roots.iter().enumerate() {
        let mut one = args.clone();
        one.input.rules.clone_from(root);
        one.json_lines = true;
        if args.summary == SummaryFormat::Human {
            crate::outln!(
                "{}==> {} <==",
                if i == 0 { "" } else { "\n" },
                render::display_path(root)
            );
        }
        // The table's heading is on stdout; on stderr, a line after a
        // program's errors says which program they stopped.
        let outcome = run_program(&one);
        if !matches!(outcome, Outcome::Clean) {
            eprintln!("{}: not run to the end", render::display_path(root));
        }
        worst = worse(worst, outcome);
    }
    worst
}

/// The worse of two outcomes: a failure over findings over clean.
fn worse(a: Outcome, b: Outcome) -> Outcome {
    let rank = |o: &Outcome| match o {
        Outcome::Clean => 0,
        Outcome::Findings => 1,
        Outcome::Failure => 2,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

/// Runs `seg run` on one program.
fn run_program(args: &Args) -> Outcome {
    let started = Instant::now();
    let color = crate::commands::check::Color::Auto.enabled();
    let report = Report {
        warnings: true,
        verb: "run",
        color,
    };
    let overlap = args.look.overlap.is_some();
    let (checked, query) = match prepare_with(&args.input, !args.no_optimize, overlap, &report) {
        Ok(prepared) => prepared,
        Err(outcome) => return outcome,
    };
    let engine = match args.engine {
        Engine::Auto => seg::Engine::Auto,
        Engine::Jit => seg::Engine::Jit,
        Engine::Interp => seg::Engine::Interp,
        // DataFusion opens the data itself (files, directories, globs) and
        // plans SQL over it; an event table would have to be grouped and
        // joined in that plan, which it does not do, so `--events` is refused
        // (in every build, before anything is read) rather than ignored.
        Engine::Datafusion if !args.events.is_empty() => {
            return usage(
                "`--events` does not apply to `--engine datafusion`",
                "run with `--engine jit` (the default) or `interp`, or hold the histories as list columns of the profiles",
            );
        }
        Engine::Datafusion if args.members.is_some() => {
            return usage(
                "`--members` does not apply to `--engine datafusion`",
                "run the export with `--engine jit` (the default) or `interp`",
            );
        }
        // The DataFusion runner hands the sink keys only, not the fields a
        // sample shows.
        Engine::Datafusion if args.look.sample.is_some() => {
            return usage(
                "`--sample` does not apply to `--engine datafusion`",
                "run with `--engine jit` (the default) or `interp`",
            );
        }
        Engine::Datafusion => return run_datafusion(args, &checked, &query, started, color),
    };
    // Activation export (`--members`): which rows and columns `--out` gets.
    let export = match &args.members {
        Some(_) if !args.events.is_empty() => {
            return usage(
                "`--members` cannot be combined with `--events` yet",
                "export from a run without `--events`",
            );
        }
        Some(target) => match seg::Export::new(&query, target, &args.columns) {
            Ok(export) => Some(export),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let format = match args.input.format() {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let out_format = match out_format(args) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };

    let open = seg::formats::OpenOptions {
        batch_rows: args.batch_rows as usize,
        prune: !args.no_prune,
        // An export writes members only: pruned row groups hold none.
        every_profile: args.out.is_some() && export.is_none(),
    };
    let tables = match event_tables(args, query.program()) {
        Ok(tables) => tables,
        Err(e) => return fail(e),
    };
    // A sample shows the fields each rule reads, even one the optimizer
    // found it need not read.
    let shown = match args.look.sample {
        Some(_) => seg::sample::SampleSink::fields(&query),
        None => Vec::new(),
    };
    let (input, events) = if tables.is_empty() {
        let mut extra = shown;
        if let Some(export) = &export {
            extra.extend(
                export
                    .fields()
                    .iter()
                    .filter(|f| !extra.contains(f))
                    .copied()
                    .collect::<Vec<_>>(),
            );
        }
        match seg::formats::open_query_with(&query, &args.input.data, format, &open, &extra) {
            Ok(input) => (input, None),
            Err(e) => return fail(e),
        }
    } else {
        match seg::events::open_query_with_events(
            &query,
            &args.input.data,
            format,
            open.batch_rows,
            tables,
        ) {
            Ok((input, events)) => (input, Some(events)),
            Err(e) => return fail(e),
        }
    };
    let binding = match fitted(
        query.bind_among(&input.schema, &input.columns),
        &checked,
        &args.input.data,
        "run",
        color,
    ) {
        Ok(binding) => binding,
        Err(outcome) => return outcome,
    };
    let executor = match compiled(&query, engine, &binding, &checked, color) {
        Ok(executor) => executor,
        Err(outcome) => return outcome,
    };

    let threads = worker_threads(args.threads);
    let progress = ProgressBar::new();
    let schema = input.schema.clone();
    let mut discard = seg::Discard;
    // The results file: every profile's results, or an activation export's
    // members (`--members`).
    let (mut profiles, mut members) = (None, None);
    match (&args.out, out_format, &export) {
        (Some(path), Some(format), Some(export)) => {
            match Output::create(path, format, export.schema(&schema)) {
                Ok(output) => {
                    members = Some(crate::output::MembersSink {
                        query: &query,
                        export,
                        output,
                    })
                }
                Err(e) => return fail(e),
            }
        }
        (Some(path), Some(format), None) => {
            match Output::create(path, format, query.result_schema(&schema)) {
                Ok(output) => {
                    profiles = Some(ResultsSink {
                        query: &query,
                        output,
                    })
                }
                Err(e) => return fail(e),
            }
        }
        _ => {}
    }
    let mut inner: &mut dyn seg::Sink = match (profiles.as_mut(), members.as_mut()) {
        (Some(sink), _) => sink,
        (_, Some(sink)) => sink,
        _ => &mut discard,
    };
    // `--sample` sees each batch beside whatever else the run writes.
    let mut preview = args
        .look
        .sample
        .map(|n| seg::sample::SampleSink::new(&query, n, args.look.show_pii));
    let mut both;
    if let Some(preview) = preview.as_mut() {
        both = seg::sample::Both(inner, preview);
        inner = &mut both;
    }
    let mut first = FirstBatch {
        inner,
        schema,
        first: None,
    };
    let report = seg::run(&executor, input, &mut first, &progress, threads);
    let first = first.first.take();
    if report.is_ok() {
        let finished = match (profiles, members) {
            (Some(sink), _) => sink.output.finish(),
            (_, Some(sink)) => sink.output.finish(),
            _ => Ok(()),
        };
        if let Err(e) = finished {
            return fail(e);
        }
    }
    // A slow run (or `--slowest`) names the segments that cost the most,
    // each timed alone on the first batch the run evaluated.
    let slowest = match (&report, first) {
        (Ok(r), Some(first)) if args.slowest || r.elapsed > SLOW_RUN => {
            match seg::segment_costs(&executor, &first) {
                Ok(costs) => Some((costs, first.num_rows())),
                Err(d) => {
                    eprint!("{}", render::human(&[d], &checked.sources, color));
                    None
                }
            }
        }
        _ => None,
    };
    let events = events.map(|e| e.reports()).unwrap_or_default();
    let ran = Ran {
        report,
        events: &events,
        slowest,
        samples: preview.map(seg::sample::SampleSink::into_samples),
    };
    finish(args, &checked, &query, ran, started, color)
}

/// The binding `bound` holds, or its diagnostics printed with what did not
/// happen (`verb`: "run", "reported"): the data does not fit the rules'
/// schema, exit 1.
pub fn fitted(
    bound: Result<seg::Binding, Vec<seg::diagnostics::Diagnostic>>,
    checked: &seg::Checked,
    data: &Path,
    verb: &str,
    color: bool,
) -> Result<seg::Binding, Outcome> {
    bound.map_err(|diagnostics| {
        eprint!("{}", render::human(&diagnostics, &checked.sources, color));
        eprintln!(
            "`{}` does not fit the rules' schema; nothing was {verb}",
            data.display()
        );
        Outcome::Failure
    })
}

/// The query compiled for `engine`, or the reason printed (exit 1); a
/// program the JIT hands to the reference evaluator says so on stderr.
pub fn compiled<'q>(
    query: &'q seg::Query,
    engine: seg::Engine,
    binding: &'q seg::Binding,
    checked: &seg::Checked,
    color: bool,
) -> Result<seg::Executor<'q>, Outcome> {
    let executor = query.compile(engine, binding).map_err(|diagnostic| {
        eprint!("{}", render::human(&[diagnostic], &checked.sources, color));
        Outcome::Failure
    })?;
    if let Some(diagnostic) = executor.fallback() {
        eprint!(
            "{}",
            render::human(std::slice::from_ref(diagnostic), &checked.sources, color)
        );
        eprintln!("note: running on the reference evaluator instead");
    }
    Ok(executor)
}

/// The tables `--events FIELD=FILE` names, read and grouped by key.
fn event_tables(args: &Args, program: &Program) -> Result<Vec<seg::events::EventTable>, DataError> {
    let mut tables: Vec<seg::events::EventTable> = Vec::new();
    for spec in &args.events {
        let Some((field, file)) = spec.split_once('=') else {
            return Err(DataError::new(
                "E0401",
                format!("`--events {spec}` is not FIELD=FILE"),
                Some(
                    "name the history field and its table, e.g. --events orders=orders.parquet"
                        .into(),
                ),
            ));
        };
        let path = PathBuf::from(file);
        let Some(id) = program.schema.find(field) else {
            let names: Vec<&str> = program
                .schema
                .fields
                .iter()
                .filter(|f| matches!(f.ty.element(), Some(seg::ir::Type::Record(_))))
                .map(|f| f.name.as_str())
                .collect();
            return Err(DataError::new(
                "E0401",
                format!("`--events {field}=…`: the schema has no field `{field}`"),
                Some(if names.is_empty() {
                    "the schema declares no event history (a field of type `list<{ ... }>`)".into()
                } else {
                    format!("the event histories are: {}", names.join(", "))
                }),
            ));
        };
        if tables.iter().any(|t| t.field() == field) {
            return Err(DataError::new(
                "E0401",
                format!("`--events {field}=…` is given twice"),
                Some("give each history one table".into()),
            ));
        }
        for (input, what) in [(&args.input.data, "data"), (&args.input.rules, "rules")] {
            if crate::files::same_file(&path, input) {
                return Err(DataError::new(
                    "E0401",
                    format!("`--events {spec}` names the {what} file"),
                    Some("the events are a table of their own, one row per event".into()),
                ));
            }
        }
        if let Some(out) = &args.out
            && crate::files::same_file(out, &path)
        {
            return Err(DataError::new(
                "E0803",
                format!(
                    "`--out {}` is the events file `{}`; writing the results would replace it",
                    out.display(),
                    path.display()
                ),
                Some("write the results to another file".into()),
            ));
        }
        let format = DataFormat::from_path(&path).ok_or_else(|| {
            DataError::new(
                "E0403",
                format!(
                    "cannot tell the format of `{}` from its extension",
                    path.display()
                ),
                Some("end the events file with .parquet, .csv, .jsonl or .arrow".into()),
            )
        })?;
        tables.push(seg::events::EventTable::load(
            &path,
            format,
            program,
            id,
            args.batch_rows as usize,
        )?);
    }
    Ok(tables)
}

/// A run after which, taking longer than this, the summary names the
/// slowest segments (`--slowest` asks for them on any run): below it no one
/// waits long enough to wonder where the time goes.
pub const SLOW_RUN: Duration = Duration::from_secs(2);

/// How many of the slowest segments the human summary names.
const SLOWEST_SHOWN: usize = 5;

/// What a run produced, for its summary.
struct Ran<'a> {
    report: Result<seg::RunReport, seg::RunError>,
    events: &'a [seg::events::EventsReport],
    /// Each segment's cost, slowest first, and the rows of the sample it was
    /// timed on, when measured.
    slowest: Option<(Vec<seg::SegmentCost>, usize)>,
    /// The first members of each segment (`--sample`), when asked for.
    samples: Option<Vec<seg::sample::SegmentSample>>,
}

/// Hands every batch on to `inner` and keeps the first one evaluated in
/// full (batches statistics skipped carry only the key column): the batch
/// [`seg::segment_costs`] times segments on.
struct FirstBatch<'s> {
    inner: &'s mut dyn seg::Sink,
    schema: arrow::datatypes::SchemaRef,
    first: Option<arrow::record_batch::RecordBatch>,
}

impl seg::Sink for FirstBatch<'_> {
    fn write(
        &mut self,
        batch: &arrow::record_batch::RecordBatch,
        membership: &seg::Membership,
    ) -> Result<(), DataError> {
        if self.first.is_none() && batch.schema() == self.schema {
            self.first = Some(batch.clone());
        }
        self.inner.write(batch, membership)
    }
}

/// Prints the summary of a run, or why it stopped.
#[allow(clippy::too_many_arguments)]
fn finish(
    args: &Args,
    checked: &seg::Checked,
    query: &seg::Query,
    ran: Ran<'_>,
    started: Instant,
    color: bool,
) -> Outcome {
    let Ran {
        report,
        events,
        slowest,
        samples,
    } = ran;
    let report = match report {
        Ok(report) => report,
        Err(seg::RunError::Data(e)) => return fail(e),
        Err(seg::RunError::Program(diagnostics)) => {
            eprint!("{}", render::human(&diagnostics, &checked.sources, color));
            return Outcome::Failure;
        }
    };
    let summary = Summary {
        query,
        sources: &checked.sources,
        report: &report,
        elapsed: started.elapsed(),
        rules: &args.input.rules,
        data: &args.input.data,
        out: args.out.as_deref(),
        events,
        overlap: args.look.overlap,
        samples: samples.as_deref(),
        slowest: slowest.as_ref(),
    };
    match args.summary {
        // The table is the result of the run, so it goes to stdout
        // (`seg run … > sizes.txt`); diagnostics, notes and the progress bar
        // stay on stderr.
        SummaryFormat::Human => crate::out!("{}", summary.human()),
        SummaryFormat::Json if args.json_lines => crate::outln!(
            "{}",
            serde_json::to_string(&summary.json()).unwrap_or_default()
        ),
        SummaryFormat::Json => crate::outln!(
            "{}",
            serde_json::to_string_pretty(&summary.json()).unwrap_or_default()
        ),
    }
    Outcome::Clean
}

/// The format of `--out` (from its extension), refusing a path that is one
/// of the inputs: the rename would replace the file even when the run reads
/// it.
fn out_format(args: &Args) -> Result<Option<DataFormat>, DataError> {
    let Some(out) = &args.out else {
        return Ok(None);
    };
    let format = DataFormat::from_path(out).ok_or_else(|| DataError {
        code: "E0801",
        message: format!(
            "cannot tell the output format of `{}` from its extension",
            out.display()
        ),
        help: Some("end the output path with .parquet, .csv, .jsonl or .arrow".into()),
    })?;
    for (input, what) in [(&args.input.data, "data"), (&args.input.rules, "rules")] {
        if crate::files::same_file(out, input) {
            return Err(DataError {
                code: "E0803",
                message: format!(
                    "`--out {}` is the {what} file `{}`; writing the results would replace it",
                    out.display(),
                    input.display()
                ),
                help: Some("write the results to another file".into()),
            });
        }
    }
    Ok(Some(format))
}

/// Prints a usage error (exit 2), as for a bad combination of options.
fn usage(message: &str, help: &str) -> Outcome {
    eprintln!("error: {message}");
    eprintln!("  help: {help}");
    Outcome::Failure
}

/// `seg run --engine datafusion` in a build without the `datafusion` feature.
#[cfg(not(feature = "datafusion"))]
fn run_datafusion(
    _args: &Args,
    _checked: &seg::Checked,
    _query: &seg::Query,
    _started: Instant,
    _color: bool,
) -> Outcome {
    usage(
        "this `seg` was built without DataFusion",
        "build seg-cli with its default features (the `datafusion` feature), or use `--engine jit`",
    )
}

/// `seg run --engine datafusion`: the program on DataFusion over Parquet
/// files, with the JIT's summary and results file.
#[cfg(feature = "datafusion")]
fn run_datafusion(
    args: &Args,
    checked: &seg::Checked,
    query: &seg::Query,
    started: Instant,
    color: bool,
) -> Outcome {
    // DataFusion reads Parquet only, and prunes by its own statistics:
    // options about other formats or Seg's pruner would be silently ignored.
    if args.no_prune {
        return usage(
            "`--no-prune` does not apply to `--engine datafusion`",
            "DataFusion prunes by statistics itself; leave out `--no-prune`, or use `--engine jit` to compare",
        );
    }
    let named = args.input.data_format.or_else(|| {
        // A directory or a glob has no format of its own: DataFusion lists
        // its `.parquet` files.
        args.input
            .data
            .is_file()
            .then(|| DataFormat::from_path(&args.input.data))
            .flatten()
    });
    if let Some(format) = named
        && format != DataFormat::Parquet
    {
        return usage(
            &format!(
                "`--engine datafusion` reads Parquet, not {}",
                format.title()
            ),
            "convert the data to Parquet, or use `--engine jit`",
        );
    }
    let out_format = match out_format(args) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let threads = worker_threads(args.threads);
    let source = match seg::datafusion::open_with(
        &args.input.data,
        seg::datafusion::config(threads).with_batch_size(args.batch_rows as usize),
        threads,
    ) {
        Ok(source) => source,
        Err(e) => return fail(e),
    };
    let schema = source.schema();
    if let Err(outcome) = fitted(query.bind(&schema), checked, &args.input.data, "run", color) {
        return outcome;
    }
    let progress = ProgressBar::new();
    let report = match (&args.out, out_format) {
        (Some(path), Some(format)) => {
            let output = match Output::create(path, format, query.result_schema(&schema)) {
                Ok(o) => o,
                Err(e) => return fail(e),
            };
            let mut sink = ResultsSink { query, output };
            let report = seg::datafusion::run(query, &source, true, &mut sink, &progress);
            if report.is_ok()
                && let Err(e) = sink.output.finish()
            {
                return fail(e);
            }
            report
        }
        _ => seg::datafusion::run(query, &source, false, &mut seg::Discard, &progress),
    };
    let ran = Ran {
        report,
        events: &[],
        slowest: None,
        samples: None,
    };
    finish(args, checked, query, ran, started, color)
}

/// The worker threads for `--threads` ([`seg::worker_threads`]: all cores
/// by default, at most [`seg::THREADS_PER_CORE`] per core); a note says so
/// when the request is cut.
pub fn worker_threads(requested: Option<usize>) -> usize {
    let threads = seg::worker_threads(requested);
    if let Some(n) = requested
        && n > threads
    {
        eprintln!(
            "note: --threads {n} is more than {} per core; using {threads}",
            seg::THREADS_PER_CORE
        );
    }
    threads
}

struct Summary<'a> {
    query: &'a seg::Query,
    /// The rules' files, to name the file of each segment.
    sources: &'a seg::diagnostics::SourceMap,
    report: &'a seg::RunReport,
    elapsed: Duration,
    rules: &'a Path,
    data: &'a Path,
    out: Option<&'a Path>,
    events: &'a [seg::events::EventsReport],
    overlap: Option<OverlapShown>,
    samples: Option<&'a [seg::sample::SegmentSample]>,
    slowest: Option<&'a (Vec<seg::SegmentCost>, usize)>,
}

/// The width the run table keeps to, so it reads in an 80-column terminal
/// and in a CI log.
const TABLE_COLUMNS: usize = 80;

/// `line` with the segment's title after it, cut (with `…`) to keep the line
/// within [`TABLE_COLUMNS`]; the full title is in `--summary json`.
fn with_title(line: String, title: Option<&str>) -> String {
    let Some(title) = title.filter(|t| !t.is_empty()) else {
        return line;
    };
    let room = TABLE_COLUMNS.saturating_sub(line.chars().count() + 2);
    // Fewer than a few characters of a title say nothing; leave it to JSON.
    if room < 8 {
        return line;
    }
    let shown: String = if title.chars().count() > room {
        let mut cut: String = title.chars().take(room - 1).collect();
        cut.push('…');
        cut
    } else {
        title.to_string()
    };
    format!("{line}  {shown}")
}

fn share(part: u64, whole: u64) -> f64 {
    seg::present::percent(part, whole)
}

impl Summary<'_> {
    fn program(&self) -> &Program {
        self.query.program()
    }

    /// The title of segment `id`, when it has one.
    fn title(&self, id: seg::ir::SegmentId) -> Option<&str> {
        self.program().segments.get(id.0 as usize)?.title.as_deref()
    }

    /// The reported priority groups with their sizes.
    fn groups(&self) -> impl Iterator<Item = (&seg::ir::Priority, &[u64], u64)> {
        let sizes = &self.report.sizes;
        self.query
            .selection()
            .priorities()
            .iter()
            .zip(sizes.assigned.iter().zip(&sizes.unassigned))
            .filter_map(|(&p, (counts, none))| {
                Some((self.program().priorities.get(p)?, counts.as_slice(), *none))
            })
    }

    /// The file that declares segment `id`, as the table and JSON name it.
    fn file_of(&self, id: seg::ir::SegmentId) -> Option<String> {
        let segment = self.program().segments.get(id.0 as usize)?;
        let file = self.sources.get(segment.span.file)?;
        Some(render::display_path(&file.path))
    }

    fn human(&self) -> String {
        let t = &self.report.sizes;
        let selected = self.query.selection().segments();
        let names: Vec<&str> = selected
            .iter()
            .map(|&id| self.query.segment_name(id))
            .collect();
        let width = names
            .iter()
            .map(|n| n.chars().count())
            .chain(self.groups().flat_map(|(group, _, _)| {
                std::iter::once(group.name.chars().count() + "priority ".len()).chain(
                    group
                        .segments
                        .iter()
                        .map(|&id| self.query.segment_name(id).chars().count() + 2),
                )
            }))
            .chain([8])
            .max()
            .unwrap_or(7);
        // The count column is as wide as its widest number (or its heading),
        // leaving the rest of the 80 columns to the titles.
        let count = t
            .members
            .iter()
            .chain(t.assigned.iter().flatten())
            .chain(&t.unassigned)
            .map(|&n| render::thousands(n).len())
            .chain(["profiles".len()])
            .max()
            .unwrap_or(8);
        let mut out = String::new();
        if !names.is_empty() {
            out.push_str(&format!(
                "{:<width$}  {:>count$}  {:>7}\n",
                "segment", "members", "share"
            ));
            // Rows grouped by the file that declares them, files in the order
            // their first segment is reported; a heading only when the program
            // spans several files (`use`).
            let rows: Vec<(usize, Option<String>)> = selected
                .iter()
                .enumerate()
                .map(|(i, &id)| (i, self.file_of(id)))
                .collect();
            let mut files: Vec<&Option<String>> = Vec::new();
            for (_, file) in &rows {
                if !files.contains(&file) {
                    files.push(file);
                }
            }
            let headings = files.len() > 1;
            for file in files {
                if headings {
                    out.push_str(&format!("{}:\n", file.as_deref().unwrap_or("(no file)")));
                }
                for (i, _) in rows.iter().filter(|(_, f)| f == file) {
                    let (id, name) = (selected[*i], names[*i]);
                    let line = format!(
                        "{name:<width$}  {:>count$}  {:>6.2}%",
                        render::thousands(t.members[*i]),
                        share(t.members[*i], t.profiles)
                    );
                    out.push_str(&with_title(line, self.title(id)));
                    out.push('\n');
                }
            }
        }
        for (group, counts, none) in self.groups() {
            out.push_str(&format!(
                "\n{:<width$}  {:>count$}  {:>7}\n",
                format!("priority {}", group.name),
                "profiles",
                "share"
            ));
            for (&id, &n) in group.segments.iter().zip(counts) {
                out.push_str(&format!(
                    "  {:<w$}  {:>count$}  {:>6.2}%\n",
                    self.query.segment_name(id),
                    render::thousands(n),
                    share(n, t.profiles),
                    w = width - 2
                ));
            }
            out.push_str(&format!(
                "  {:<w$}  {:>count$}  {:>6.2}%\n",
                "(none)",
                render::thousands(none),
                share(none, t.profiles),
                w = width - 2
            ));
        }
        out.push_str(&self.human_overlap(&names));
        out.push_str(&self.human_samples());
        let seconds = self.elapsed.as_secs_f64();
        let threads = self.report.threads;
        out.push_str(&format!(
            "\n{} profiles from {} in {:.2} s · as of {} · engine {}, {} thread{}\n",
            render::thousands(t.profiles),
            render::display_path(self.data),
            seconds,
            seg::format_instant(self.query.as_of()),
            self.report.engine,
            threads,
            if threads == 1 { "" } else { "s" }
        ));
        if let Some(p) = &self.report.pruning
            && (p.row_groups_skipped > 0 || p.pages_skipped > 0)
        {
            out.push_str(&format!(
                "statistics skipped {} of {} row groups and {} of {} pages ({} profiles in no segment, not evaluated)\n",
                p.row_groups_skipped,
                p.row_groups,
                p.pages_skipped,
                p.pages,
                render::thousands(p.rows_skipped)
            ));
        }
        for e in self.events {
            out.push_str(&format!(
                "events of {} from {}: {} rows, {} matched no profile, {} without a key (ignored)\n",
                e.field,
                render::display_path(&e.path),
                render::thousands(e.rows),
                render::thousands(e.unmatched_rows),
                render::thousands(e.missing_key_rows),
            ));
        }
        if let Some(out_path) = self.out {
            out.push_str(&format!(
                "results written to {}\n",
                render::display_path(out_path)
            ));
        }
        if let Some((costs, rows)) = self.slowest
            && !costs.is_empty()
        {
            out.push_str(&format!(
                "slowest segments, each timed alone on the first {} rows:\n",
                render::thousands(*rows as u64)
            ));
            for cost in costs.iter().take(SLOWEST_SHOWN) {
                out.push_str(&format!(
                    "  {:<width$}  {:>8.0} ns/row\n",
                    cost.segment,
                    cost.ns_per_row,
                    width = width - 2
                ));
            }
        }
        out
    }

    fn json(&self) -> serde_json::Value {
        let t = &self.report.sizes;
        let segments: Vec<serde_json::Value> = self
            .query
            .selection()
            .segments()
            .iter()
            .zip(&t.members)
            .map(|(id, members)| {
                let s = &self.program().segments[id.0 as usize];
                serde_json::json!({
                    "name": s.name,
                    "title": s.title,
                    "file": self.file_of(*id),
                    "members": members,
                    "share": share(*members, t.profiles) / 100.0,
                })
            })
            .collect();
        let priorities: Vec<serde_json::Value> = self
            .groups()
            .map(|(group, counts, none)| {
                let assignments: Vec<serde_json::Value> = group
                    .segments
                    .iter()
                    .zip(counts)
                    .map(|(&id, &n)| {
                        serde_json::json!({ "segment": self.query.segment_name(id), "profiles": n, "share": share(n, t.profiles) / 100.0 })
                    })
                    .collect();
                serde_json::json!({ "name": group.name, "assignments": assignments, "unassigned": none })
            })
            .collect();
        let mut summary = serde_json::json!({
            "version": 1,
            "rules": render::display_path(self.rules),
            "data": render::display_path(self.data),
            "output": self.out.map(render::display_path),
            "as_of": seg::format_instant(self.query.as_of()),
            "engine": self.report.engine,
            "optimized": self.query.is_optimized(),
            "pruning": self.report.pruning,
            "threads": self.report.threads,
            "profiles": t.profiles,
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "segments": segments,
            "priorities": priorities,
            "events": self.events,
        });
        if let Some((costs, rows)) = self.slowest
            && let Some(object) = summary.as_object_mut()
        {
            object.insert(
                "slowest_segments".into(),
                serde_json::json!({ "sample_rows": rows, "segments": costs }),
            );
        }
        if let Some(object) = summary.as_object_mut() {
            if let Some(overlap) = self.json_overlap() {
                object.insert("overlap".into(), overlap);
            }
            if let Some(samples) = self.samples {
                object.insert("samples".into(), serde_json::json!(samples));
            }
        }
        summary
    }

    // --- seg run --overlap and --sample (issue 14, items 3 and 5) ---

    /// Selected segments up to which the overlap is a matrix; with more, a
    /// list of pairs stays readable on a terminal.
    const MATRIX_SEGMENTS: usize = 5;

    /// The overlapping pairs the summary shows (the N largest for `top=N`)
    /// and how many pairs there are.
    fn shown_pairs(&self) -> (Vec<seg::OverlapPair>, usize) {
        let mut pairs = self.report.sizes.overlap_pairs();
        let total = pairs.len();
        if let Some(OverlapShown::Top(n)) = self.overlap {
            pairs.truncate(n);
        }
        (pairs, total)
    }

    fn human_overlap(&self, names: &[&str]) -> String {
        let (Some(shown), Some(matrix)) = (self.overlap, &self.report.sizes.overlap) else {
            return String::new();
        };
        let mut out = String::new();
        if shown == OverlapShown::All && names.len() <= Self::MATRIX_SEGMENTS {
            let width = names
                .iter()
                .map(|n| n.chars().count())
                .chain([7])
                .max()
                .unwrap_or(7);
            let cell = names
                .iter()
                .map(|n| n.chars().count())
                .chain([16])
                .max()
                .unwrap_or(16);
            out.push_str(&format!("\n{:<width$}", "overlap"));
            for name in names {
                out.push_str(&format!("  {name:>cell$}"));
            }
            out.push('\n');
            for (i, (name, row)) in names.iter().zip(matrix).enumerate() {
                out.push_str(&format!("{name:<width$}"));
                for (j, &both) in row.iter().enumerate() {
                    let text = if i == j {
                        render::thousands(both)
                    } else {
                        let a = self.report.sizes.members.get(i).copied().unwrap_or(0);
                        let b = self.report.sizes.members.get(j).copied().unwrap_or(0);
                        format!(
                            "{} ({:.2})",
                            render::thousands(both),
                            seg::jaccard(both, a, b)
                        )
                    };
                    out.push_str(&format!("  {text:>cell$}"));
                }
                out.push('\n');
            }
            out.push_str("(profiles in both; Jaccard index in parentheses)\n");
            return out;
        }
        let (pairs, total) = self.shown_pairs();
        out.push_str(&match shown {
            OverlapShown::Top(_) => format!(
                "\noverlap: the {} largest of {} pairs, by profiles in both\n",
                pairs.len(),
                total
            ),
            OverlapShown::All => format!("\noverlap: {total} pairs, by profiles in both\n"),
        });
        let label = |p: &seg::OverlapPair| {
            format!(
                "{} & {}",
                names.get(p.first).copied().unwrap_or(""),
                names.get(p.second).copied().unwrap_or("")
            )
        };
        let width = pairs
            .iter()
            .map(|p| label(p).chars().count())
            .max()
            .unwrap_or(0);
        for pair in &pairs {
            out.push_str(&format!(
                "  {:<width$}  {:>12}  jaccard {:.3}\n",
                label(pair),
                render::thousands(pair.both),
                pair.jaccard
            ));
        }
        out
    }

    fn json_overlap(&self) -> Option<serde_json::Value> {
        let shown = self.overlap?;
        let matrix = self.report.sizes.overlap.as_ref()?;
        let names: Vec<&str> = self
            .query
            .selection()
            .segments()
            .iter()
            .map(|&id| self.query.segment_name(id))
            .collect();
        let (pairs, total) = self.shown_pairs();
        let pairs: Vec<serde_json::Value> = pairs
            .iter()
            .map(|p| {
                serde_json::json!({
                    "segments": [names.get(p.first), names.get(p.second)],
                    "both": p.both,
                    "jaccard": p.jaccard,
                })
            })
            .collect();
        Some(serde_json::json!({
            "top": match shown { OverlapShown::Top(n) => Some(n), OverlapShown::All => None },
            "pairs_total": total,
            "segments": names,
            "matrix": (shown == OverlapShown::All).then_some(matrix),
            "pairs": pairs,
        }))
    }

    fn human_samples(&self) -> String {
        let Some(samples) = self.samples else {
            return String::new();
        };
        let mut out = String::new();
        for sample in samples {
            if sample.rows.is_empty() {
                out.push_str(&format!("\nsample of {}: no members\n", sample.segment));
                continue;
            }
            out.push_str(&format!(
                "\nsample of {} (the first {} member{} in the data)\n",
                sample.segment,
                sample.rows.len(),
                if sample.rows.len() == 1 { "" } else { "s" }
            ));
            let widths: Vec<usize> = sample
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    sample
                        .rows
                        .iter()
                        .filter_map(|r| r.get(i))
                        .chain([c])
                        .map(|v| v.chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: &[String]| {
                let row: Vec<String> = cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, &w)| format!("{c:<w$}"))
                    .collect();
                format!("  {}\n", row.join("  ").trim_end())
            };
            out.push_str(&line(&sample.columns));
            for row in &sample.rows {
                out.push_str(&line(row));
            }
        }
        out
    }
}

/// True when progress may be drawn: standard error is a terminal a person
/// watches, and neither `NO_COLOR` (no decoration) nor `CI` (a log, where a
/// redrawn bar is noise) is set. Piped or redirected output is never
/// decorated.
pub fn shows_progress() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("CI").is_none()
}

/// A progress bar on a terminal, shown only once a run passes one second:
/// profiles done of the total, row groups done (Parquet), rate and ETA.
struct ProgressBar {
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    started: Instant,
}

impl ProgressBar {
    fn new() -> Self {
        ProgressBar {
            bar: std::sync::OnceLock::new(),
            started: Instant::now(),
        }
    }
}

impl seg::Progress for ProgressBar {
    fn start(&self, total: Option<u64>) {
        if !shows_progress() {
            return;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            total,
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {human_pos}/{human_len} profiles{msg} · {per_sec:0} · ETA {eta}",
        ) {
            bar.set_style(style);
        }
        let _ = self.bar.set(bar);
    }

    fn advance(&self, rows: u64) {
        if let Some(bar) = self.bar.get() {
            bar.inc(rows);
            if bar.is_hidden() && self.started.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
        }
    }

    fn row_groups(&self, done: u64, total: u64) {
        if let Some(bar) = self.bar.get() {
            bar.set_message(format!(" · row group {done}/{total}"));
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}
