//! `seg bench RULES.seg --data PATH`: time evaluation alone (not I/O) for each
//! engine. The data is read into memory once; then every engine evaluates
//! every batch `--iterations` times, and the median is reported, for the
//! whole program and for each segment on its own.

use crate::Outcome;
use crate::commands::run::fail;
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use seg::Error as DataError;
use seg::{Binding, Query};
use std::time::Instant;

/// Arguments of `seg bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Rules, data (read into memory once, only the columns the rules use),
    /// instant, params and selection, as for `seg run`.
    #[command(flatten)]
    pub input: crate::commands::run::Inputs,
    /// Timed passes over the data per engine; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub iterations: u32,
    /// Worker threads [default: all cores; at most 4 per core].
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
    /// Engines to time (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "jit,interp")]
    pub engines: Vec<BenchEngine>,
    /// Time each segment on its own too (one compiled program per segment).
    #[arg(long)]
    pub per_segment: bool,
    /// Rows per in-memory batch.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_rows: u32,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: BenchFormat,
}

/// Engines `seg bench` can time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchEngine {
    /// The Cranelift JIT.
    Jit,
    /// The reference evaluator.
    Interp,
}

impl BenchEngine {
    fn name(self) -> &'static str {
        match self {
            BenchEngine::Jit => "jit",
            BenchEngine::Interp => "interp",
        }
    }
}

/// Output formats of `seg bench`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchFormat {
    /// A table.
    Text,
    /// JSON (documented in docs/benchmarks.md).
    Json,
}

/// One timing: the median over the iterations.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Timing {
    /// `jit` or `interp`.
    pub engine: &'static str,
    /// What was timed: `program` or a segment's name.
    pub target: String,
    /// Median seconds per pass over all rows.
    pub median_seconds: f64,
    /// Rows per second at the median.
    pub rows_per_second: f64,
    /// Nanoseconds per row at the median.
    pub ns_per_row: f64,
    /// Compile time (JIT only), seconds.
    pub compile_seconds: Option<f64>,
    /// Members counted (summed over the segments), to check engines agree.
    pub members: usize,
}

/// Progress of `seg bench` on a terminal (see
/// [`crate::commands::run::shows_progress`]): passes done of all, and which
/// engine, target and pass runs. Updated between timed passes, never inside
/// one, so drawing is not timed.
struct Passes {
    bar: Option<indicatif::ProgressBar>,
}

impl Passes {
    fn new(total: u64) -> Passes {
        let bar = crate::commands::run::shows_progress().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} passes · {msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Passes { bar }
    }

    /// Pass `round` of `rounds` (round 0 is the untimed warm-up) of `engine`
    /// on `target` is next.
    fn next(&self, engine: BenchEngine, target: &str, round: u32, rounds: u32) {
        if let Some(bar) = &self.bar {
            let what = if round == 0 {
                "warm-up".to_string()
            } else {
                format!("pass {round}/{rounds}")
            };
            bar.set_message(format!("{} · {target} · {what}", engine.name()));
        }
    }

    /// A pass is over.
    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

struct Setup<'a> {
    batches: &'a [RecordBatch],
    passes: &'a Passes,
    binding: &'a Binding,
    pool: &'a rayon::ThreadPool,
    iterations: u32,
    rows: usize,
}

impl Setup<'_> {
    fn time(
        &self,
        engine: BenchEngine,
        target: String,
        query: &Query,
    ) -> Result<Timing, seg::diagnostics::Diagnostic> {
        let executor = query.compile(
            match engine {
                BenchEngine::Jit => seg::Engine::Jit,
                BenchEngine::Interp => seg::Engine::Interp,
            },
            self.binding,
        )?;
        let evaluate = |batch: &RecordBatch| {
            executor.evaluate(batch).map(|m| {
                m.segments
                    .iter()
                    .map(seg::jit::count_members)
                    .sum::<usize>()
            })
        };
        let mut times = Vec::with_capacity(self.iterations as usize);
        let mut members = 0;
        // One untimed pass warms caches and the allocator.
        for round in 0..=self.iterations {
            self.passes.next(engine, &target, round, self.iterations);
            let started = Instant::now();
            // One thread evaluates on this one: handing a pass of a few
            // hundred microseconds to a pool thread and waiting for it costs
            // a wake-up that would be timed too.
            let counts: Result<Vec<usize>, _> = if self.pool.current_num_threads() == 1 {
                self.batches.iter().map(evaluate).collect()
            } else {
                self.pool
                    .install(|| self.batches.par_iter().map(evaluate).collect())
            };
            let elapsed = started.elapsed();
            self.passes.done();
            members = counts?.iter().sum();
            if round > 0 {
                times.push(elapsed.as_secs_f64());
            }
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let compile = executor.compile_time();
        Ok(Timing {
            engine: engine.name(),
            target,
            median_seconds: median,
            rows_per_second: self.rows as f64 / median.max(1e-12),
            ns_per_row: median * 1e9 / (self.rows.max(1) as f64),
            compile_seconds: (engine == BenchEngine::Jit).then_some(compile.as_secs_f64()),
            members,
        })
    }
}

/// Runs `seg bench`.
pub fn run(args: &Args) -> Outcome {
    let color = crate::commands::check::Color::Auto.enabled();
    // The optimized program is what `seg run` executes.
    let report = crate::commands::run::Report {
        warnings: false,
        verb: "timed",
        color,
    };
    let (checked, query) = match crate::commands::run::prepare(&args.input, true, &report) {
        Ok(prepared) => prepared,
        Err(outcome) => return outcome,
    };
    let format = match args.input.format() {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let loading = Instant::now();
    let open = seg::formats::OpenOptions {
        batch_rows: args.batch_rows as usize,
        prune: false,
        every_profile: false,
    };
    let input = match seg::formats::open_query(&query, &args.input.data, format, &open) {
        Ok(input) => input,
        Err(e) => return fail(e),
    };
    let binding = match query.bind_among(&input.schema, &input.columns) {
        Ok(b) => b,
        Err(diagnostics) => {
            eprint!(
                "{}",
                crate::render::human(&diagnostics, &checked.sources, color)
            );
            return Outcome::Failure;
        }
    };
    let mut batches = Vec::new();
    for batch in input.batches {
        match batch {
            Ok(b) => batches.push(b.batch),
            Err(e) => return fail(e),
        }
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let load_seconds = loading.elapsed().as_secs_f64();
    let threads = crate::commands::run::worker_threads(args.threads);
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
    // Every engine times the program, and with `--per-segment` each segment
    // too, in a warm-up pass and `--iterations` timed ones.
    let targets = 1 + if args.per_segment {
        query.selection().segments().len()
    } else {
        0
    };
    let passes =
        Passes::new((args.engines.len() * targets) as u64 * (u64::from(args.iterations) + 1));
    let setup = Setup {
        batches: &batches,
        passes: &passes,
        binding: &binding,
        pool: &pool,
        iterations: args.iterations,
        rows,
    };
    let mut timings = Vec::new();
    for &engine in &args.engines {
        let result = setup.time(engine, "program".into(), &query);
        match result {
            Ok(t) => timings.push(t),
            Err(d) => {
                eprint!("{}", crate::render::human(&[d], &checked.sources, color));
                return Outcome::Failure;
            }
        }
        if args.per_segment {
            for &id in query.selection().segments() {
                let name = query.segment_name(id).to_string();
                let one = query.with_selection(vec![id], Vec::new());
                match setup.time(engine, name, &one) {
                    Ok(t) => timings.push(t),
                    Err(d) => {
                        eprint!("{}", crate::render::human(&[d], &checked.sources, color));
                        return Outcome::Failure;
                    }
                }
            }
        }
    }
    passes.finish();
    // Engines must agree, or the numbers mean nothing.
    let disagreement = timings.iter().find(|t| {
        timings
            .iter()
            .any(|u| u.target == t.target && u.members != t.members)
    });
    if let Some(t) = disagreement {
        eprintln!(
            "error[E0901]: the engines disagree on `{}`: this is a bug, please report it with the rules and data",
            t.target
        );
        return Outcome::Failure;
    }
    let report = serde_json::json!({
        "version": 1,
        "rules": crate::render::display_path(&args.input.rules),
        "data": crate::render::display_path(&args.input.data),
        "rows": rows,
        "batches": batches.len(),
        "threads": threads,
        "iterations": args.iterations,
        "as_of": seg::format_instant(query.as_of()),
        "load_seconds": load_seconds,
        "timings": timings,
    });
    match args.format {
        BenchFormat::Json => crate::outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        BenchFormat::Text => {
            crate::outln!(
                "{rows} rows in {} batches, {threads} thread{}, median of {} passes (data loaded in {load_seconds:.2} s, not timed)\n",
                batches.len(),
                if threads == 1 { "" } else { "s" },
                args.iterations
            );
            crate::outln!(
                "{:<8} {:<32} {:>12} {:>10} {:>10} {:>12}",
                "engine",
                "target",
                "rows/s",
                "ns/row",
                "median s",
                "compile ms"
            );
            for t in &timings {
                crate::outln!(
                    "{:<8} {:<32} {:>12} {:>10.2} {:>10.4} {:>12}",
                    t.engine,
                    t.target,
                    format!("{:.1}M", t.rows_per_second / 1e6),
                    t.ns_per_row,
                    t.median_seconds,
                    t.compile_seconds
                        .map_or_else(|| "-".to_string(), |s| format!("{:.2}", s * 1e3))
                );
            }
        }
    }
    Outcome::Clean
}
