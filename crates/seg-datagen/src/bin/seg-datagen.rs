//! `seg-datagen`: writes the customer-profile table as a Parquet file.
//!
//! ```text
//! seg-datagen --rows 20000 --seed 42 --out examples/profiles.parquet --row-group-rows 5000 \
//!     --histories --events-dir examples/
//! seg-datagen --rows 20000 --out profiles.parquet --histories --events-dir events/
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

/// Writes a deterministic customer-profile table (the 20 columns of the benchmark
/// table) as a Snappy-compressed Parquet file.
#[derive(Parser)]
#[command(name = "seg-datagen", version)]
struct Args {
    /// Number of profiles (rows) to write.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    rows: u64,
    /// Random seed; the same rows, seed and row-group size give the same table.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output Parquet path (written under a temporary name, then renamed).
    #[arg(long)]
    out: PathBuf,
    /// Rows per row group; each row group is drawn from its own random stream.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    row_group_rows: u64,
    /// Append the `orders` and `web_events` event-history columns (list<struct>).
    #[arg(long)]
    histories: bool,
    /// Also write the histories as flat event tables (`orders.parquet`,
    /// `web_events.parquet`: one row per event with `customer_id`) in this
    /// directory, for `seg run --events`; implies `--histories`.
    #[arg(long, value_name = "DIR")]
    events_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    // Usage errors exit with status 2; --help and --version with 0.
    let args = Args::parse();
    let (Ok(rows), Ok(row_group_rows)) = (
        usize::try_from(args.rows),
        usize::try_from(args.row_group_rows),
    ) else {
        eprintln!("seg-datagen: error: --rows and --row-group-rows must fit in memory addresses");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let extras = seg_datagen::Extras {
        histories: args.histories,
        events_dir: args.events_dir.clone(),
    };
    if let Err(e) =
        seg_datagen::write_parquet_with(&args.out, rows, args.seed, row_group_rows, &extras)
    {
        eprintln!(
            "seg-datagen: error: cannot write {}: {e}",
            args.out.display()
        );
        return ExitCode::from(2);
    }
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    let groups = rows.div_ceil(row_group_rows);
    eprintln!(
        "seg-datagen: wrote {rows} rows ({groups} row groups of up to {row_group_rows}, seed {}) to {}: {bytes} bytes in {:.2}s",
        args.seed,
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
