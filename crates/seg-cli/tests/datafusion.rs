//! `seg run --engine datafusion`: the same sizes, waterfall and results file
//! as the JIT over one Parquet file, a directory of them and a glob; binding
//! errors with the JIT's codes; options that do not apply refused.

#![cfg(feature = "datafusion")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::record_batch::RecordBatch;
use common::{code, repo_root, seg, stderr};
use std::path::Path;

const AS_OF: &str = "2026-11-24T00:00:00Z";

/// The summary of `seg run examples/lifecycle.seg --data DATA` with `extra`
/// options, run in the repository root, without the fields that tell how
/// it ran (engine, threads, time, pruning, data path).
fn sizes(data: &str, extra: &[&str]) -> serde_json::Value {
    let root = repo_root();
    let mut args = vec![
        "run",
        "examples/lifecycle.seg",
        "--data",
        data,
        "--as-of",
        AS_OF,
        "--summary",
        "json",
    ];
    args.extend_from_slice(extra);
    let output = seg(&args, &root);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let mut summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let object = summary.as_object_mut().unwrap();
    for how in [
        "engine",
        "threads",
        "elapsed_seconds",
        "pruning",
        "data",
        "output",
    ] {
        object.remove(how);
    }
    summary
}

#[test]
fn the_examples_give_the_jits_sizes() {
    let jit = sizes("examples/profiles.parquet", &["--engine", "jit"]);
    let datafusion = sizes("examples/profiles.parquet", &["--engine", "datafusion"]);
    assert_eq!(jit, datafusion);
    assert!(jit["profiles"].as_u64().unwrap() > 0);
    assert!(!jit["priorities"].as_array().unwrap().is_empty());
    // One thread and small batches change nothing.
    let one = sizes(
        "examples/profiles.parquet",
        &[
            "--engine",
            "datafusion",
            "--threads",
            "1",
            "--batch-rows",
            "100",
        ],
    );
    assert_eq!(jit, one);
}

#[test]
fn the_human_summary_names_the_engine() {
    let root = repo_root();
    let output = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--engine",
            "datafusion",
            "--threads",
            "2",
        ],
        &root,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    // The run table is on standard output.
    let table = common::text(&output.stdout);
    assert!(table.contains("priority lifecycle_stage"), "{table}");
    assert!(table.contains("engine datafusion, 2 threads"), "{table}");
}

/// The examples' profiles split into `parts` Parquet files in `dir`.
fn split(dir: &Path, parts: usize) {
    let file = std::fs::File::open(repo_root().join("examples/profiles.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let step = all.num_rows().div_ceil(parts);
    for part in 0..parts {
        let start = (part * step).min(all.num_rows());
        let len = step.min(all.num_rows() - start);
        let file = std::fs::File::create(dir.join(format!("part-{part}.parquet"))).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, all.schema(), None).unwrap();
        writer.write(&all.slice(start, len)).unwrap();
        writer.close().unwrap();
    }
    // Not Parquet: a directory or glob lists only the `.parquet` files.
    std::fs::write(dir.join("README.txt"), "profiles, in parts\n").unwrap();
}

#[test]
fn a_directory_and_a_glob_of_parquet_files_give_the_same_sizes() {
    let work = tempfile::tempdir().unwrap();
    let parts = work.path().join("profiles");
    std::fs::create_dir(&parts).unwrap();
    split(&parts, 3);
    let jit = sizes("examples/profiles.parquet", &["--engine", "jit"]);
    let directory = sizes(parts.to_str().unwrap(), &["--engine", "datafusion"]);
    assert_eq!(jit, directory);
    let glob = format!("{}/part-*.parquet", parts.display());
    let globbed = sizes(&glob, &["--engine", "datafusion"]);
    assert_eq!(jit, globbed);
    // A glob of two of the three parts counts fewer profiles.
    let some = format!("{}/part-[01].parquet", parts.display());
    let fewer = sizes(&some, &["--engine", "datafusion"]);
    assert!(fewer["profiles"].as_u64() < jit["profiles"].as_u64());
}

/// The lines of a CSV results file: the header, then the rows sorted.
fn sorted_csv(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1..].sort();
    lines
}

fn parquet_schema(path: &Path) -> arrow::datatypes::SchemaRef {
    let file = std::fs::File::open(path).unwrap();
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .schema()
        .clone()
}

#[test]
fn out_holds_the_jits_results() {
    let work = tempfile::tempdir().unwrap();
    let root = repo_root();
    let mut files = Vec::new();
    for engine in ["jit", "datafusion"] {
        for extension in ["csv", "parquet"] {
            let out = work.path().join(format!("{engine}.{extension}"));
            let output = seg(
                &[
                    "run",
                    "examples/lifecycle.seg",
                    "--data",
                    "examples/profiles.parquet",
                    "--as-of",
                    AS_OF,
                    "--engine",
                    engine,
                    "--out",
                    out.to_str().unwrap(),
                ],
                &root,
            );
            assert_eq!(code(&output), 0, "{}", stderr(&output));
            files.push(out);
        }
    }
    let jit = sorted_csv(&files[0]);
    let datafusion = sorted_csv(&files[2]);
    assert!(jit.len() > 100);
    assert!(jit[0].starts_with("customer_id,"), "{}", jit[0]);
    assert_eq!(jit, datafusion);
    assert_eq!(parquet_schema(&files[1]), parquet_schema(&files[3]));
}

fn failure(args: &[&str]) -> String {
    let root = repo_root();
    let output = seg(args, &root);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    stderr(&output)
}

#[test]
fn a_missing_column_is_e0401_as_with_the_jit() {
    let work = tempfile::tempdir().unwrap();
    let rules = work.path().join("rules.seg");
    std::fs::write(
        &rules,
        "schema {\n  customer_id: int key\n  loyalty_points: int\n}\nsegment loyal { where loyalty_points > 10 }\n",
    )
    .unwrap();
    let data = repo_root().join("examples/profiles.parquet");
    let mut errors = Vec::new();
    for engine in ["jit", "datafusion"] {
        let err = failure(&[
            "run",
            rules.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--engine",
            engine,
        ]);
        assert!(err.contains("error[E0401]"), "{err}");
        assert!(
            err.contains("column `loyalty_points` is not in the data"),
            "{err}"
        );
        assert!(err.contains("rules.seg:3:3"), "{err}");
        errors.push(err);
    }
    assert_eq!(errors[0], errors[1]);
}

#[test]
fn data_datafusion_cannot_read_is_e0403() {
    let err = failure(&[
        "run",
        "examples/lifecycle.seg",
        "--data",
        "examples/no-such-profiles.parquet",
        "--engine",
        "datafusion",
    ]);
    assert!(err.contains("error[E0403]"), "{err}");
    assert!(err.contains("no-such-profiles.parquet"), "{err}");
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("bad.parquet");
    std::fs::write(&bad, "not parquet at all").unwrap();
    let err = failure(&[
        "run",
        "examples/lifecycle.seg",
        "--data",
        bad.to_str().unwrap(),
        "--engine",
        "datafusion",
    ]);
    assert!(err.contains("error[E0403]"), "{err}");
}

#[test]
fn options_that_do_not_apply_are_usage_errors() {
    let base = [
        "run",
        "examples/lifecycle.seg",
        "--data",
        "examples/profiles.parquet",
        "--engine",
        "datafusion",
    ];
    let err = failure(&[&base[..], &["--no-prune"]].concat());
    assert!(
        err.contains("`--no-prune` does not apply to `--engine datafusion`"),
        "{err}"
    );
    let err = failure(&[&base[..], &["--data-format", "csv"]].concat());
    assert!(err.contains("reads Parquet, not CSV"), "{err}");
    let work = tempfile::tempdir().unwrap();
    let csv = work.path().join("profiles.csv");
    std::fs::write(&csv, "customer_id\n1\n").unwrap();
    let err = failure(&[
        "run",
        "examples/lifecycle.seg",
        "--data",
        csv.to_str().unwrap(),
        "--engine",
        "datafusion",
    ]);
    assert!(err.contains("reads Parquet, not CSV"), "{err}");
}
