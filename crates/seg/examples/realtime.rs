//! The real-time benchmark: latency per profile of [`seg::realtime::Realtime`]
//! for `bench/realtime.seg` (102 segments and 2 priority groups over the
//! bundled schema), every profile of `examples/profiles.parquet` evaluated
//! one at a time, on one thread. Two calls are timed: `evaluate_json` on the
//! profile's JSON text (decoding included) and `evaluate_batch` on the same
//! profile already in a one-row Arrow batch. Figures are in
//! docs/benchmarks.md, "Real-time evaluation".
//!
//! ```sh
//! cargo run --release -p seg --features jit,formats --example realtime
//! ```
//!
//! Optional arguments: the rules (default `bench/realtime.seg`), the data
//! (default `examples/profiles.parquet`), the passes (default 5).

use arrow::record_batch::RecordBatch;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = std::env::args().skip(1);
    let rules = args
        .next()
        .map_or_else(|| root.join("bench/realtime.seg"), PathBuf::from);
    let data = args
        .next()
        .map_or_else(|| root.join("examples/profiles.parquet"), PathBuf::from);
    let passes: usize = args.next().map_or(Ok(5), |p| p.parse())?;

    let loader = seg::FsLoader {
        scope: seg::UseScope::Directory(root.clone()),
    };
    let checked = seg::check_program(&rules, &loader);
    let errors = checked.has_errors();
    let program = checked
        .program
        .filter(|_| !errors)
        .ok_or("the rules have errors: run `seg check` on them")?;
    let options = seg::RunOptions::default().as_of_text("2026-11-24T00:00:00Z")?;
    let query = seg::Query::prepare(&program, &options)?;
    let mut realtime = seg::realtime::Realtime::new(&query, seg::Engine::Auto)?;

    let lines = seg_testkit::parquet_as_json_lines(&data)?;
    // The one-row batches are the JSON lines decoded, so that both calls
    // evaluate exactly the same profiles.
    let batches = lines
        .iter()
        .enumerate()
        .map(|(i, line)| realtime.decode_json(line, i as u64 + 1))
        .collect::<Result<Vec<RecordBatch>, _>>()?;

    let mut memberships = 0usize;
    let json = time(passes, &lines, |line| {
        let verdict = realtime.evaluate_json(line)?;
        Ok(verdict.segments.len())
    })?;
    let batch = time(passes, &batches, |batch| {
        let verdicts = realtime.evaluate_batch(batch)?;
        Ok(verdicts.iter().map(|v| v.segments.len()).sum())
    })?;
    memberships += json.memberships;

    println!(
        "{} segments, {} priority groups, engine {}; {} profiles x {passes} passes (after one warm-up pass), 1 thread",
        query.selection().segments().len(),
        query.selection().priorities().len(),
        realtime.engine(),
        lines.len(),
    );
    let bytes: usize = lines.iter().map(String::len).sum();
    println!(
        "{} columns read; JSON profiles of {} bytes on average; {memberships} memberships per pass",
        query.required_fields().len(),
        bytes / lines.len().max(1),
    );
    println!("| call | latencies of | p50 | p90 | p99 | p99.9 | max | mean |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, timing) in [
        ("`evaluate_json` (JSON text)", &json),
        ("`evaluate_batch` (one-row batch)", &batch),
    ] {
        for (of, sorted) in [
            ("every call", &timing.sorted),
            ("each profile, best pass", &timing.best),
        ] {
            println!(
                "| {name} | {of} | {} | {} | {} | {} | {} | {} |",
                micros(Timing::percentile(sorted, 50.0)),
                micros(Timing::percentile(sorted, 90.0)),
                micros(Timing::percentile(sorted, 99.0)),
                micros(Timing::percentile(sorted, 99.9)),
                micros(Timing::percentile(sorted, 100.0)),
                micros(Timing::mean(sorted)),
            );
        }
    }
    Ok(())
}

/// The latencies of every call, sorted.
struct Timing {
    sorted: Vec<Duration>,
    /// Each profile's fastest call over the passes, sorted: the work of a
    /// profile is the same on every pass, so the fastest is the call
    /// without the machine's interruptions (another process scheduled on
    /// the core, an interrupt), which a shared machine adds to some calls.
    best: Vec<Duration>,
    memberships: usize,
}

impl Timing {
    fn percentile(sorted: &[Duration], p: f64) -> Duration {
        let last = sorted.len().saturating_sub(1);
        let index = ((p / 100.0) * last as f64).round() as usize;
        sorted.get(index.min(last)).copied().unwrap_or_default()
    }

    fn mean(sorted: &[Duration]) -> Duration {
        let total: Duration = sorted.iter().sum();
        total / sorted.len().max(1) as u32
    }
}

/// Times `call` on every item, `passes` times after one untimed pass.
fn time<T>(
    passes: usize,
    items: &[T],
    mut call: impl FnMut(&T) -> Result<usize, seg::RunError>,
) -> Result<Timing, seg::RunError> {
    let mut memberships = 0;
    for item in items {
        memberships += call(item)?;
    }
    let mut sorted = Vec::with_capacity(items.len() * passes);
    let mut best = vec![Duration::MAX; items.len()];
    for _ in 0..passes {
        for (item, best) in items.iter().zip(&mut best) {
            let start = Instant::now();
            let found = call(item)?;
            let elapsed = start.elapsed();
            sorted.push(elapsed);
            *best = (*best).min(elapsed);
            std::hint::black_box(found);
        }
    }
    sorted.sort_unstable();
    best.sort_unstable();
    Ok(Timing {
        sorted,
        best,
        memberships,
    })
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}
