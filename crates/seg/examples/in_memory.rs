//! The baseline of the Python package's overhead benchmark
//! (`python/bench/overhead.py`, docs/benchmarks.md "Python call overhead"):
//! the library's own time to count segments over profiles already in
//! memory, the work `program.sizes(table)` asks of it from Python, without
//! Python.
//!
//! The Parquet file is read once into batches of `--batch-rows` rows (as
//! `pyarrow.parquet.ParquetFile.iter_batches` reads it for the Python side)
//! with the columns the rules read (as `seg run` reads a file, and as the
//! Python package imports a frame), and the query is prepared once (as
//! `seg.compile` does);
//! then each pass binds it to the batches' schema, compiles it with the JIT
//! and runs it over the batches into a count, as each `Program.sizes` call
//! does. One JSON line per pass gives the seconds and the
//! sizes, so that the two sides can be checked to agree.
//!
//! ```sh
//! cargo run --release -p seg --features jit,formats --example in_memory -- \
//!   RULES DATA --as-of 2026-11-24T00:00:00Z [--root DIR] [--segments a,b] \
//!   [--batch-rows 65536] [--threads 1] [--passes 5]
//! ```

use arrow::record_batch::{RecordBatch, RecordBatchReader};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let rules = PathBuf::from(args.next().ok_or("RULES is missing")?);
    let data = PathBuf::from(args.next().ok_or("DATA is missing")?);
    let mut as_of = None;
    let mut root = None;
    let mut segments = Vec::new();
    let (mut batch_rows, mut threads, mut passes) = (65_536usize, 1usize, 5usize);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--as-of" => as_of = Some(value),
            "--root" => root = Some(PathBuf::from(value)),
            "--segments" => segments = value.split(',').map(str::to_string).collect(),
            "--batch-rows" => batch_rows = value.parse()?,
            "--threads" => threads = value.parse()?,
            "--passes" => passes = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let as_of = as_of.ok_or("--as-of is required: both sides must evaluate at one instant")?;

    let loader = seg::FsLoader {
        scope: root.map_or(seg::UseScope::RootDirectory, seg::UseScope::Directory),
    };
    let checked = seg::check_program(&rules, &loader);
    let errors = checked.has_errors();
    let program = checked
        .program
        .filter(|_| !errors)
        .ok_or("the rules have errors: run `seg check` on them")?;
    let options = seg::RunOptions::default()
        .as_of_text(&as_of)?
        .segments(segments);

    let query = seg::Query::prepare(&program, &options)?;
    // Only the columns the rules read (and the key), as `seg run` reads a
    // file and as the Python package imports a frame.
    let file = std::fs::File::open(&data)?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?;
    let required = query.required_columns();
    let leaves: Vec<usize> = builder
        .parquet_schema()
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| required.contains(&c.path().parts()[0].as_str()))
        .map(|(i, _)| i)
        .collect();
    let mask = parquet::arrow::ProjectionMask::leaves(builder.parquet_schema(), leaves);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(batch_rows)
        .build()?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<RecordBatch>, _>>()?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();

    for _ in 0..passes {
        let started = Instant::now();
        let input = seg::Input::from_batches(schema.clone(), batches.clone());
        let binding = query
            .bind_among(&input.schema, &input.columns)
            .map_err(|d| format!("the data does not fit the rules: {}", d[0].message))?;
        let executor = query.compile(seg::Engine::Auto, &binding)?;
        let report = seg::run(&executor, input, &mut seg::Discard, &seg::Silent, threads)?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{}",
            serde_json::json!({
                "rows": rows,
                "seconds": seconds,
                "engine": report.engine,
                "members": report.sizes.members,
            })
        );
    }
    Ok(())
}
