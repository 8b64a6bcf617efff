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
use std::process::Command;

#[test]
fn segment_counts_agree_with_duckdb() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let has_duckdb = Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_duckdb {
        assert!(
            std::env::var_os("SEG_REQUIRE_CROSSCHECK").is_none(),
            "the cross-check is required but python3 cannot import duckdb"
        );
        eprintln!("skipped: python3 with duckdb is not installed (scripts/test.sh installs it)");
        return;
    }
    let out = Command::new("python3")
        .arg(root.join("tests/crosscheck/crosscheck.py"))
        .arg(env!("CARGO_BIN_EXE_seg"))
        .arg(root.join("examples/profiles.parquet"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
