//! Helpers shared by the command-line tests: run the `seg` binary as a user would.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs `seg ARGS` in `dir`, without color.
pub fn seg(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The exit status (never a signal: a panic would be exit 101, a crash a signal).
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("killed by a signal")
}

/// Bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The standard error of a run, as text.
pub fn stderr(output: &Output) -> String {
    text(&output.stderr)
}

/// The members of each segment in a `seg run --summary json` document, in
/// order.
pub fn sizes(summary: &serde_json::Value) -> Vec<(String, u64)> {
    summary["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["members"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// `seg run RULES --data examples/profiles.parquet --as-of 2026-11-24T00:00:00Z
/// --summary json EXTRA..` in the repository: the summary, after asserting
/// that the run succeeded.
pub fn run_bundled(rules: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "run",
        rules,
        "--data",
        "examples/profiles.parquet",
        "--as-of",
        "2026-11-24T00:00:00Z",
        "--summary",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = seg(&args, &repo_root());
    assert_eq!(code(&out), 0, "{rules} {extra:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Writes `batch` to a new Parquet file at `path`, as one row group.
pub fn write_parquet(path: &Path, batch: &arrow::array::RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}
