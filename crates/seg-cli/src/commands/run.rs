//! `seg run RULES.seg --data PATH`: evaluate the segments over profile data,
//! print the segment sizes, and optionally write per-profile results.

use crate::Outcome;
use crate::data::{self, DataError, DataFormat, Output};
use crate::render;
use arrow::array::{ArrayRef, BooleanArray, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use seg::ir::{Program, SegmentId};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The arguments `seg run` and `seg bench` share: what to evaluate, over
/// what, and when.
#[derive(clap::Args)]
pub struct Inputs {
    /// The rules to run.
    pub rules: PathBuf,
    /// Profile data: Parquet, CSV (with a header), JSON lines or Arrow IPC.
    #[arg(long)]
    pub data: PathBuf,
    /// The data's format, when its extension does not tell.
    #[arg(long, value_enum)]
    pub data_format: Option<DataFormat>,
    /// The instant of evaluation, RFC 3339 (2026-11-24T00:00:00Z) or a date
    /// (midnight UTC) [default: now].
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
}

/// What [`Inputs`] come to for a checked program.
pub struct Resolved {
    /// The instant of evaluation, microseconds since the epoch.
    pub as_of: i64,
    /// `--param` overrides.
    pub overrides: Vec<(seg::ir::ParamId, seg::ir::Const)>,
    /// Every param's value with the overrides applied.
    pub params: Vec<seg::ir::Const>,
    /// The segments reported.
    pub segments: Vec<SegmentId>,
    /// The priority groups reported.
    pub priorities: Vec<usize>,
}

impl Inputs {
    /// Parses `--as-of` (default now), `--param` and `--segments` against
    /// the program.
    pub fn resolve(&self, program: &Program) -> Result<Resolved, DataError> {
        let as_of = match &self.as_of {
            Some(text) => parse_as_of(text)?,
            None => chrono::Utc::now().timestamp_micros(),
        };
        let overrides = parse_overrides(program, &self.params)?;
        let (segments, priorities) = selection(program, &self.segments)?;
        Ok(Resolved {
            as_of,
            params: seg::opt::param_values(program, &overrides),
            overrides,
            segments,
            priorities,
        })
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

/// The program as `seg run` executes it: optimized for the run's instant and
/// param values.
pub fn optimize(program: &Program, resolved: &Resolved) -> seg::opt::Optimized {
    seg::opt::optimize(
        program,
        &seg::opt::Options {
            params: Some(resolved.params.clone()),
            as_of: Some(resolved.as_of),
            share: true,
        },
    )
}

/// Arguments of `seg run`.
#[derive(clap::Args)]
pub struct Args {
    /// Rules, data, instant, params and selection.
    #[command(flatten)]
    pub input: Inputs,
    /// Write per-profile results here (.parquet, .csv, .jsonl or .arrow): the
    /// key, one boolean column per segment, one string column per priority group.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores; at most 4 per core].
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
    /// Evaluation engine: `jit` compiles the program to native code, `interp`
    /// is the reference evaluator, `auto` is the JIT with the evaluator as a
    /// fallback.
    #[arg(long, value_enum, default_value = "auto")]
    pub engine: Engine,
    /// Summary format: a table on stderr, or JSON on stdout.
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
}

/// Summary formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    /// A table on stderr.
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

/// Parses `--as-of`: RFC 3339 with an offset, or a date meaning midnight UTC.
pub fn parse_as_of(text: &str) -> Result<i64, DataError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc().timestamp_micros());
    }
    Err(DataError {
        code: "E0406",
        message: format!("`{text}` is not an instant"),
        help: Some("write RFC 3339 with an offset, such as 2026-11-24T00:00:00Z, or a date such as 2026-11-24".into()),
    })
}

/// Formats microseconds since the epoch as RFC 3339 UTC.
pub fn format_instant(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| micros.to_string())
}

/// Resolves `--segments` names to segments and priority groups.
pub fn select(
    program: &Program,
    names: &[String],
) -> Result<(Vec<SegmentId>, Vec<usize>), DataError> {
    let mut segments = Vec::new();
    let mut priorities = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if let Some(id) = program.segment_id(name) {
            if !segments.contains(&id) {
                segments.push(id);
            }
        } else if let Some(p) = program.priorities.iter().position(|p| p.name == name) {
            if !priorities.contains(&p) {
                priorities.push(p);
            }
        } else {
            let candidates = program
                .segments
                .iter()
                .map(|s| s.name.as_str())
                .chain(program.priorities.iter().map(|p| p.name.as_str()));
            return Err(DataError {
                code: "E0407",
                message: format!("the rules have no segment or priority group `{name}`"),
                help: Some(match seg::diagnostics::did_you_mean(name, candidates) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => {
                        "`seg check` lists problems; the segment names are those after `segment`"
                            .into()
                    }
                }),
            });
        }
    }
    Ok((segments, priorities))
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

/// Parses every `--param NAME=VALUE` against the program's params.
pub fn parse_overrides(
    program: &Program,
    assignments: &[String],
) -> Result<Vec<(seg::ir::ParamId, seg::ir::Const)>, DataError> {
    assignments
        .iter()
        .map(|assignment| {
            seg::check::parse_param_override(program, assignment).map_err(|e| DataError {
                code: e.code.as_str(),
                message: e.message,
                help: Some(e.help),
            })
        })
        .collect()
}

/// The segments and priority groups `--segments` names, or all of them.
/// `--segments ''` (or only commas) names nothing: a usage error, not a run of
/// every segment.
pub fn selection(
    program: &Program,
    names: &[String],
) -> Result<(Vec<SegmentId>, Vec<usize>), DataError> {
    if !names.is_empty() && names.iter().all(|n| n.trim().is_empty()) {
        return Err(DataError {
            code: "E0407",
            message: "`--segments` names no segment".into(),
            help: Some(
                "name segments or priority groups separated by commas, or leave out `--segments` to run them all"
                    .into(),
            ),
        });
    }
    if names.is_empty() {
        Ok((
            (0..program.segments.len())
                .map(|i| SegmentId(u32::try_from(i).unwrap_or(u32::MAX)))
                .collect(),
            (0..program.priorities.len()).collect(),
        ))
    } else {
        select(program, names)
    }
}

/// Runs `seg run`.
pub fn run(args: &Args) -> Outcome {
    let started = Instant::now();
    let color = crate::commands::check::Color::Auto.enabled();
    let checked = match read_rules(&args.input.rules, &args.input.uses) {
        Ok(checked) => checked,
        Err(e) => return fail(e),
    };
    let has_errors = checked.has_errors();
    eprint!("{}", render::human_checked(&checked, color));
    let Some(program) = checked.program.as_ref().filter(|_| !has_errors) else {
        eprintln!("the rules have errors; nothing was run");
        return Outcome::Findings;
    };

    let resolved = match args.input.resolve(program) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let Resolved {
        as_of,
        ref overrides,
        ref params,
        ref segments,
        ref priorities,
    } = resolved;
    // The optimized program keeps every segment's id (hidden shared segments
    // come after), so the selection applies to it unchanged.
    let optimized = (!args.no_optimize).then(|| optimize(program, &resolved));
    let executed = optimized.as_ref().map_or(program, |o| &o.program);
    let evaluator = seg_eval::Evaluator::new(executed, overrides, as_of)
        .select(segments.clone(), priorities.clone());

    let format = match args.input.format() {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let out_format = match &args.out {
        Some(out) => match DataFormat::from_path(out) {
            Some(f) => Some(f),
            None => {
                return fail(DataError {
                    code: "E0801",
                    message: format!(
                        "cannot tell the output format of `{}` from its extension",
                        out.display()
                    ),
                    help: Some("end the output path with .parquet, .csv, .jsonl or .arrow".into()),
                });
            }
        },
        None => None,
    };

    // Writing the results over an input would destroy it (the rename
    // replaces the file even when the run reads it): refused before reading.
    if let Some(out) = &args.out {
        for (input, what) in [(&args.input.data, "data"), (&args.input.rules, "rules")] {
            if crate::files::same_file(out, input) {
                return fail(DataError {
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
    }

    let fields = evaluator.required_fields();
    let key = program
        .schema
        .key()
        .map(|k| program.schema.field(k).name.clone());
    // Without a key, an output row could not say which profile it is, so
    // every row is read when results are written.
    let prunable =
        format == DataFormat::Parquet && !args.no_prune && (args.out.is_none() || key.is_some());
    let pruner = prunable.then(|| {
        seg_prune::Pruner::new(
            executed,
            params,
            as_of,
            evaluator.segments(),
            evaluator.priorities(),
        )
    });
    let pruning = pruner.as_ref().map(|pruner| data::Pruning {
        pruner,
        keep_key: args.out.as_ref().and(key.as_deref()),
    });
    let mut input = match data::open(
        &args.input.data,
        format,
        program,
        &fields,
        args.batch_rows as usize,
        pruning,
    ) {
        Ok(input) => input,
        Err(e) => return fail(e),
    };
    let binding = match evaluator.bind_among(&input.schema, &input.columns) {
        Ok(b) => b,
        Err(diagnostics) => {
            eprint!("{}", render::human(&diagnostics, &checked.sources, color));
            eprintln!(
                "`{}` does not fit the rules' schema; nothing was run",
                args.input.data.display()
            );
            return Outcome::Failure;
        }
    };

    let jit = match args.engine {
        Engine::Interp => None,
        Engine::Auto | Engine::Jit => match crate::engine::Jit::new(
            executed,
            overrides,
            as_of,
            evaluator.segments().to_vec(),
            evaluator.priorities().to_vec(),
            &input.schema,
            &binding,
        ) {
            Ok(jit) => Some(jit),
            Err(diagnostic) => {
                eprint!("{}", render::human(&[diagnostic], &checked.sources, color));
                if args.engine == Engine::Jit {
                    return Outcome::Failure;
                }
                eprintln!("note: running on the reference evaluator instead");
                None
            }
        },
    };
    let engine_name = if jit.is_some() { "jit" } else { "interp" };
    let mut output_columns: Vec<Field> = Vec::new();
    if let Some(key) = &key
        && let Ok(index) = input.schema.index_of(key)
    {
        output_columns.push(input.schema.field(index).clone());
    }
    for id in evaluator.segments() {
        output_columns.push(Field::new(
            &program.segments[id.0 as usize].name,
            DataType::Boolean,
            false,
        ));
    }
    for &p in evaluator.priorities() {
        output_columns.push(Field::new(
            &program.priorities[p].name,
            DataType::Utf8,
            true,
        ));
    }
    let output_schema = Arc::new(Schema::new(output_columns));
    let mut output = match (&args.out, out_format) {
        (Some(path), Some(format)) => match Output::create(path, format, output_schema.clone()) {
            Ok(o) => Some(o),
            Err(e) => return fail(e),
        },
        _ => None,
    };

    let threads = worker_threads(args.threads);
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool,
        Err(e) => {
            return fail(DataError {
                code: "E0801",
                message: format!("cannot start {threads} worker threads: {e}"),
                help: Some("pass a smaller --threads".into()),
            });
        }
    };

    let progress = Progress::new(input.total_rows);
    let mut totals = Totals::new(evaluator.segments().len(), evaluator.priorities().len());
    let mut batches = std::mem::replace(&mut input.batches, Box::new(std::iter::empty()));
    // Read a few batches per worker, evaluate them in parallel, then account and
    // write them in input order: memory stays bounded by this window.
    let window = threads * 2;
    loop {
        let mut chunk = Vec::with_capacity(window);
        for _ in 0..window {
            match batches.next() {
                Some(Ok(batch)) => chunk.push(batch),
                Some(Err(e)) => return fail(e),
                None => break,
            }
        }
        if chunk.is_empty() {
            break;
        }
        let results: Vec<Result<seg_eval::Membership, seg::diagnostics::Diagnostic>> = pool
            .install(|| {
                chunk
                    .par_iter()
                    .map(|input| {
                        if input.skipped {
                            Ok(no_members(&evaluator, input.batch.num_rows()))
                        } else if let Some(jit) = &jit {
                            jit.evaluate(&input.batch)
                        } else {
                            evaluator.evaluate(&binding, &input.batch)
                        }
                    })
                    .collect()
            });
        for (input, result) in chunk.iter().zip(results) {
            let batch = &input.batch;
            let membership = match result {
                Ok(m) => m,
                Err(diagnostic) => {
                    eprint!("{}", render::human(&[diagnostic], &checked.sources, color));
                    return Outcome::Failure;
                }
            };
            totals.add(&membership);
            if let Some(out) = output.as_mut() {
                let mut columns: Vec<ArrayRef> = Vec::new();
                if let Some(key) = &key
                    && let Some(array) = data::column_of(batch, key)
                {
                    columns.push(array.clone());
                }
                columns.extend(
                    membership
                        .segments
                        .iter()
                        .map(|a| Arc::new(a.clone()) as ArrayRef),
                );
                columns.extend(
                    membership
                        .priorities
                        .iter()
                        .map(|a| Arc::new(a.clone()) as ArrayRef),
                );
                let result = RecordBatch::try_new(output_schema.clone(), columns)
                    .map_err(|e| DataError {
                        code: "E0801",
                        message: format!("cannot assemble the output: {e}"),
                        help: None,
                    })
                    .and_then(|b| out.write(&b));
                if let Err(e) = result {
                    return fail(e);
                }
            }
            progress.advance(batch.num_rows() as u64);
        }
    }
    progress.finish();
    // Rows in skipped row groups and pages that were not read at all are
    // profiles in no segment.
    if let Some(report) = &input.pruning
        && args.out.is_none()
    {
        totals.add_unread(report.rows_skipped);
    }
    if let Some(out) = output
        && let Err(e) = out.finish()
    {
        return fail(e);
    }
    let elapsed = started.elapsed();
    let summary = Summary {
        program,
        evaluator: &evaluator,
        totals: &totals,
        elapsed,
        as_of,
        threads,
        rules: &args.input.rules,
        data: &args.input.data,
        out: args.out.as_deref(),
        engine: engine_name,
        optimized: optimized.is_some(),
        pruning: input.pruning.as_ref(),
    };
    match args.summary {
        SummaryFormat::Human => eprint!("{}", summary.human()),
        SummaryFormat::Json => crate::outln!(
            "{}",
            serde_json::to_string_pretty(&summary.json()).unwrap_or_default()
        ),
    }
    Outcome::Clean
}

/// Worker threads per core at most: more only adds scheduling and memory
/// (each worker holds batches), and a huge `--threads` would spend minutes
/// starting threads.
pub const THREADS_PER_CORE: usize = 4;

/// The worker threads for `--threads`: all cores by default, and at most
/// [`THREADS_PER_CORE`] per core (a note says so when the request is cut).
pub fn worker_threads(requested: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores.saturating_mul(THREADS_PER_CORE);
    match requested {
        None => cores,
        Some(n) if n > cap => {
            eprintln!("note: --threads {n} is more than {THREADS_PER_CORE} per core; using {cap}");
            cap
        }
        Some(n) => n.max(1),
    }
}

/// Counts accumulated over batches.
pub struct Totals {
    /// Profiles seen.
    pub profiles: u64,
    /// Members per reported segment.
    pub members: Vec<u64>,
    /// Per priority group: profiles per assigned segment name, and unassigned.
    pub assigned: Vec<(std::collections::BTreeMap<String, u64>, u64)>,
}

impl Totals {
    fn new(segments: usize, priorities: usize) -> Self {
        Totals {
            profiles: 0,
            members: vec![0; segments],
            assigned: vec![(std::collections::BTreeMap::new(), 0); priorities],
        }
    }

    /// Profiles proven to be in no segment, never read.
    fn add_unread(&mut self, rows: u64) {
        self.profiles += rows;
        for (_, none) in &mut self.assigned {
            *none += rows;
        }
    }

    fn add(&mut self, m: &seg_eval::Membership) {
        self.profiles += m
            .segments
            .first()
            .map_or(0, |a: &BooleanArray| a.len() as u64)
            .max(
                m.priorities
                    .first()
                    .map_or(0, |a: &StringArray| a.len() as u64),
            );
        for (total, array) in self.members.iter_mut().zip(&m.segments) {
            *total += seg_jit::count_members(array) as u64;
        }
        for ((counts, none), array) in self.assigned.iter_mut().zip(&m.priorities) {
            for value in array.iter() {
                match value {
                    Some(name) => *counts.entry(name.to_string()).or_insert(0) += 1,
                    None => *none += 1,
                }
            }
        }
    }
}

use arrow::array::Array;

/// The result of a batch whose rows statistics proved to be in no segment.
fn no_members(evaluator: &seg_eval::Evaluator<'_>, rows: usize) -> seg_eval::Membership {
    seg_eval::Membership {
        segments: evaluator
            .segments()
            .iter()
            .map(|_| BooleanArray::from(vec![false; rows]))
            .collect(),
        priorities: evaluator
            .priorities()
            .iter()
            .map(|_| StringArray::new_null(rows))
            .collect(),
    }
}

struct Summary<'a> {
    program: &'a Program,
    evaluator: &'a seg_eval::Evaluator<'a>,
    totals: &'a Totals,
    elapsed: Duration,
    as_of: i64,
    threads: usize,
    rules: &'a Path,
    data: &'a Path,
    out: Option<&'a Path>,
    engine: &'a str,
    optimized: bool,
    pruning: Option<&'a data::PruneReport>,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

impl Summary<'_> {
    fn human(&self) -> String {
        let t = self.totals;
        let names: Vec<&str> = self
            .evaluator
            .segments()
            .iter()
            .map(|id| self.program.segments[id.0 as usize].name.as_str())
            .collect();
        let width = names
            .iter()
            .map(|n| n.chars().count())
            .chain(self.evaluator.priorities().iter().flat_map(|&p| {
                let group = &self.program.priorities[p];
                std::iter::once(group.name.chars().count() + "priority ".len()).chain(
                    group
                        .segments
                        .iter()
                        .map(|id| self.program.segments[id.0 as usize].name.chars().count() + 2),
                )
            }))
            .chain([8])
            .max()
            .unwrap_or(7);
        let mut out = String::new();
        if !names.is_empty() {
            out.push_str(&format!(
                "{:<width$}  {:>12}  {:>7}\n",
                "segment", "members", "share"
            ));
            for (name, members) in names.iter().zip(&t.members) {
                out.push_str(&format!(
                    "{name:<width$}  {:>12}  {:>6.2}%\n",
                    render::thousands(*members),
                    share(*members, t.profiles)
                ));
            }
        }
        for (&p, (counts, none)) in self.evaluator.priorities().iter().zip(&t.assigned) {
            let group = &self.program.priorities[p];
            out.push_str(&format!(
                "\n{:<width$}  {:>12}  {:>7}\n",
                format!("priority {}", group.name),
                "profiles",
                "share"
            ));
            for id in &group.segments {
                let name = &self.program.segments[id.0 as usize].name;
                let n = counts.get(name).copied().unwrap_or(0);
                out.push_str(&format!(
                    "  {name:<w$}  {:>12}  {:>6.2}%\n",
                    render::thousands(n),
                    share(n, t.profiles),
                    w = width - 2
                ));
            }
            out.push_str(&format!(
                "  {:<w$}  {:>12}  {:>6.2}%\n",
                "(none)",
                render::thousands(*none),
                share(*none, t.profiles),
                w = width - 2
            ));
        }
        let seconds = self.elapsed.as_secs_f64();
        out.push_str(&format!(
            "\n{} profiles from {} in {:.2} s · as of {} · engine {}, {} thread{}\n",
            render::thousands(t.profiles),
            render::display_path(self.data),
            seconds,
            format_instant(self.as_of),
            self.engine,
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        ));
        if let Some(p) = self.pruning
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
        if let Some(out_path) = self.out {
            out.push_str(&format!(
                "results written to {}\n",
                render::display_path(out_path)
            ));
        }
        out
    }

    fn json(&self) -> serde_json::Value {
        let t = self.totals;
        let segments: Vec<serde_json::Value> = self
            .evaluator
            .segments()
            .iter()
            .zip(&t.members)
            .map(|(id, members)| {
                let s = &self.program.segments[id.0 as usize];
                serde_json::json!({
                    "name": s.name,
                    "title": s.title,
                    "members": members,
                    "share": share(*members, t.profiles) / 100.0,
                })
            })
            .collect();
        let priorities: Vec<serde_json::Value> = self
            .evaluator
            .priorities()
            .iter()
            .zip(&t.assigned)
            .map(|(&p, (counts, none))| {
                let group = &self.program.priorities[p];
                let assignments: Vec<serde_json::Value> = group
                    .segments
                    .iter()
                    .map(|id| {
                        let name = &self.program.segments[id.0 as usize].name;
                        let n = counts.get(name).copied().unwrap_or(0);
                        serde_json::json!({ "segment": name, "profiles": n, "share": share(n, t.profiles) / 100.0 })
                    })
                    .collect();
                serde_json::json!({ "name": group.name, "assignments": assignments, "unassigned": none })
            })
            .collect();
        serde_json::json!({
            "version": 1,
            "rules": render::display_path(self.rules),
            "data": render::display_path(self.data),
            "output": self.out.map(render::display_path),
            "as_of": format_instant(self.as_of),
            "engine": self.engine,
            "optimized": self.optimized,
            "pruning": self.pruning,
            "threads": self.threads,
            "profiles": t.profiles,
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "segments": segments,
            "priorities": priorities,
        })
    }
}

/// A progress bar on a terminal, shown only once a run passes one second.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl Progress {
    fn new(total: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(n) => indicatif::ProgressBar::with_draw_target(
                    Some(n),
                    indicatif::ProgressDrawTarget::hidden(),
                ),
                None => indicatif::ProgressBar::with_draw_target(
                    None,
                    indicatif::ProgressDrawTarget::hidden(),
                ),
            };
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:30} {human_pos}/{human_len} profiles · {per_sec} · {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    fn advance(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(rows);
            if bar.is_hidden() && self.started.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
