//! CI ergonomics through the real binary: the run table on standard output,
//! titles grouped by file, `seg run DIR`, `seg test --format json|junit`,
//! `seg fmt --check --diff`, and progress only where a person watches.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{code, repo_root, seg, stderr, text};

const AS_OF: &str = "2026-11-24T00:00:00Z";

/// A temporary folder holding `files` (name, text).
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, body).unwrap();
    }
    dir
}

const MESSY: &str = "schema {   orders: int  }\nsegment   buyers {   where orders>0 }\n";

#[test]
fn fmt_check_diff_prints_a_unified_diff_and_changes_nothing() {
    let dir = folder(&[
        ("messy.seg", MESSY),
        (
            "tidy.seg",
            "schema {\n  orders: int\n}\n\nsegment buyers {\n  where orders > 0\n}\n",
        ),
    ]);
    let out = seg(&["fmt", "--check", "--diff", "."], dir.path());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let diff = text(&out.stdout);
    // Only the file that would change; the tidy one adds nothing.
    assert!(!diff.contains("tidy.seg"), "{diff}");
    insta::assert_snapshot!(diff);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.seg")).unwrap(),
        MESSY
    );
    // The diff is one `patch -p1` applies, and applying it formats the file.
    let patched = std::process::Command::new("patch")
        .args(["-p1", "--quiet"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(diff.as_bytes())?;
            child.wait()
        });
    if let Ok(status) = patched {
        assert!(status.success());
        let again = seg(&["fmt", "--check", "--diff", "."], dir.path());
        assert_eq!(code(&again), 0, "{}", text(&again.stdout));
        assert_eq!(text(&again.stdout), "");
    }
}

#[test]
fn fmt_diff_needs_check_and_reads_stdin_too() {
    let dir = folder(&[("messy.seg", MESSY)]);
    let out = seg(&["fmt", "--diff", "messy.seg"], dir.path());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.seg")).unwrap(),
        MESSY
    );

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(["fmt", "--check", "--diff", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(MESSY.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 1);
    let diff = text(&out.stdout);
    assert!(diff.starts_with("--- a/<stdin>\n+++ b/<stdin>\n"), "{diff}");
    assert!(diff.contains("+  where orders > 0\n"), "{diff}");
}

#[test]
fn the_run_table_is_on_stdout_and_the_notes_on_stderr() {
    let root = repo_root();
    let out = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--threads",
            "9999",
        ],
        &root,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (table, notes) = (text(&out.stdout), stderr(&out));
    assert!(table.starts_with("segment "), "{table}");
    assert!(table.contains(" profiles from examples/profiles.parquet"));
    // The note about `--threads` is chatter: standard error, not the table.
    assert!(notes.contains("note: --threads 9999"), "{notes}");
    assert!(!table.contains("note:"), "{table}");
    assert!(!notes.contains("members"), "{notes}");
}

#[test]
fn titles_show_beside_the_sizes_grouped_by_file_within_80_columns() {
    let root = repo_root();
    let out = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--segments",
            "welcome_series,recent_buyers,whales",
        ],
        &root,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = text(&out.stdout);
    let head: Vec<&str> = table.lines().take_while(|l| !l.is_empty()).collect();
    insta::assert_snapshot!(head.join("\n"));
    for line in &head {
        assert!(line.chars().count() <= 80, "{line}");
    }
    // One file, no heading.
    let out = seg(
        &[
            "run",
            "examples/geography.seg",
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
        ],
        &root,
    );
    let table = text(&out.stdout);
    assert!(!table.contains(".seg:\n"), "{table}");

    // JSON names each segment's file.
    let summary = common::run_bundled("examples/lifecycle.seg", &[]);
    let files: Vec<&str> = summary["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap())
        .collect();
    assert_eq!(files[0], "examples/lifecycle.seg");
    assert!(files.contains(&"examples/behavior.seg"));
    assert!(files.contains(&"examples/spend.seg"));
}
