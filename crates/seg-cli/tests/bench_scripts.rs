//! The benchmark scripts of `bench/` (no timing here):
//!
//! - `bench/compare.py` renders a fixed sitting (`tests/bench/compare/`) as the
//!   tables with the right ratios and a PASS/MISS verdict per target, and
//!   reports a count mismatch;
//! - `bench/examples_sql.py check`: the DuckDB translation of the 107
//!   segments of `examples/` (gathered in `bench/examples.seg`) counts the same
//!   members as Seg on the bundled profile data.
//!
//! Needs `python3`; the second test also `duckdb`, which `scripts/test.sh`
//! installs (with `SEG_REQUIRE_CROSSCHECK=1` a missing engine is a failure).

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn compare(extra: &[&str]) -> (bool, String) {
    let root = root();
    let out = Command::new("python3")
        .arg(root.join("bench/compare.py"))
        .arg(root.join("tests/bench/compare"))
        .args(extra.iter().map(|p| root.join(p)))
        .arg("--baseline")
        .arg(root.join("tests/bench/compare-baseline.json"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn compare_renders_ratios_and_verdicts() {
    let (ok, out) = compare(&[]);
    assert!(ok, "{out}");
    for line in [
        // 700 vs polars' 200 is 3.5x: passes the 3x target.
        "| Q01 | 1 | 700.0 | 200.0 polars | 3.50× | 1,000 | 0.70× | PASS |",
        // Q12 against DataFusion's 50 statements: 7.5x is not 10x.
        "| Q12 | 1 | 15.0 | 2.00 datafusion (seq) | 7.50× | - | - | MISS |",
        "| Q01 | 700.0 | 1,000 | 1.43× | MISS |",
        "| Q01 | 1 | 80.0 | 100.0 | 50.0 duckdb | 1.60× | PASS |",
        "| 1 | 20.0 | 1.00 (commit 81b6ed9, 1,000,000 rows) | 20.00× | PASS | 10.0 duckdb | 2.00× | MISS |",
        "JIT compile of the 107-segment program: 30.0 ms (target < 50 ms): PASS",
        "| T2 Q12 ≥10× fastest peer (1 thread) | 0 of 1 | MISS: Q12 |",
        "| T4 Parquet ≥1.5× fastest peer | 1 of 1 | PASS |",
        "All of Seg's counts equal the peers' counts.",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn compare_fails_on_a_count_mismatch() {
    let (ok, out) = compare(&["tests/bench/compare-mismatch/seg-q12-t1.json"]);
    assert!(!ok, "{out}");
    assert!(out.contains("Q12 t1 in memory: Seg 31, peers 30"), "{out}");
}

#[test]
fn examples_sql_counts_agree_with_seg() {
    if !seg_testkit::duckdb_available() {
        return;
    }
    let root = root();
    let script = root.join("bench/examples_sql.py");
    let data = root.join("examples/profiles.parquet");
    let stdout = seg_testkit::python(&[
        script.as_os_str(),
        "check".as_ref(),
        env!("CARGO_BIN_EXE_seg").as_ref(),
        data.as_os_str(),
    ]);
    assert!(
        stdout.contains("duckdb: 107 of 107 segment counts equal Seg's"),
        "{stdout}"
    );
}
