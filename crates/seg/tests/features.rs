//! `seg` with default features is lean: an editor or a checker that embeds it
//! links neither the JIT nor the data-file readers. Checked on the resolved
//! dependency graph (`cargo tree`), so a new dependency that drags them in
//! fails here.

use std::process::Command;

/// The crates `seg` links with these features (normal dependencies only).
fn linked(features: &[&str]) -> Result<Vec<String>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args([
        "tree",
        "-p",
        "seg",
        "-e",
        "normal",
        "--prefix",
        "none",
        "--offline",
    ]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect())
}

const HEAVY: [&str; 7] = [
    "seg-jit",
    "cranelift-codegen",
    "parquet",
    "seg-prune",
    "arrow-csv",
    "arrow-json",
    "arrow-ipc",
];

#[test]
fn default_features_link_neither_the_jit_nor_the_readers() {
    let crates = linked(&[]).unwrap();
    assert!(crates.iter().any(|c| c == "seg-eval"), "{crates:?}");
    for heavy in HEAVY {
        assert!(
            !crates.iter().any(|c| c == heavy),
            "`{heavy}` is linked with default features"
        );
    }
}

#[test]
fn the_features_bring_them_in() {
    let crates = linked(&["jit", "formats"]).unwrap();
    for heavy in HEAVY {
        assert!(
            crates.iter().any(|c| c == heavy),
            "`{heavy}` is missing with features jit and formats"
        );
    }
}
