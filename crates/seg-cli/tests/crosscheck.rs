//! Seg against DuckDB, an independent SQL engine: the segments of
//! `tests/crosscheck/crosscheck.seg` and their SQL counterparts in
//! `tests/crosscheck/crosscheck.py` must count the same members on the bundled
//! profile data. Needs `python3` with `duckdb`; `scripts/test.sh` installs it
//! and sets `SEG_REQUIRE_CROSSCHECK=1`, which turns a missing engine into a
//! failure instead of a skip.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

#[test]
fn segment_counts_agree_with_duckdb() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !seg_testkit::duckdb_available() {
        return;
    }
    let script = root.join("tests/crosscheck/crosscheck.py");
    let data = root.join("examples/profiles.parquet");
    let stdout = seg_testkit::python(&[
        script.as_os_str(),
        env!("CARGO_BIN_EXE_seg").as_ref(),
        data.as_os_str(),
    ]);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// Event histories (LANGUAGE.md §7.1) against DuckDB: the segments of
/// `tests/crosscheck/histories.seg` and their DuckDB predicates in
/// `tests/crosscheck/histories.py`, written by hand with DuckDB's list
/// functions, count the same members on `seg-datagen --rows 20000 --seed 42
/// --histories --events-dir`, both from the nested lists in Parquet and from
/// the flat event tables (`seg run --events`), on the JIT and the evaluator.
#[test]
fn history_counts_agree_with_duckdb() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !seg_testkit::duckdb_available() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir(data.path().join("events")).unwrap();
    let extras = seg_datagen::Extras {
        histories: true,
        events_dir: Some(data.path().join("events")),
    };
    seg_datagen::write_parquet_with(
        &data.path().join("profiles.parquet"),
        20_000,
        42,
        1_000_000,
        &extras,
    )
    .unwrap();
    let script = root.join("tests/crosscheck/histories.py");
    let stdout = seg_testkit::python(&[
        script.as_os_str(),
        env!("CARGO_BIN_EXE_seg").as_ref(),
        data.path().as_os_str(),
    ]);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
