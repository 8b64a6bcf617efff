//! Hostile and malformed input through the front end: floods of diagnostics,
//! `use` of files that are not Seg rules, encodings, and a generated corpus of
//! broken programs. Every case must end in coded diagnostics, quickly, without
//! a panic, and without echoing file contents the user did not ask to see.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{code, repo_root, seg, stderr};
use seg_cli::render;
use std::time::{Duration, Instant};

/// A temporary directory holding the shared fixture schema and `files`.
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("tests/fixtures/profile_schema.seg"),
        dir.path().join("schema.seg"),
    )
    .unwrap();
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

// --- Floods of diagnostics (issue 9, item 8) ---------------------------------------

/// One segment whose condition repeats `age > 1` `n` times: every repetition
/// after the first is a redundant condition (W0304).
fn redundant_chain(n: usize) -> String {
    let mut text = String::from("use \"schema.seg\"\n\nsegment s {\n  where age > 1\n");
    for _ in 1..n {
        text.push_str("    and age > 1\n");
    }
    text.push_str("}\n");
    text
}

#[test]
fn a_flood_of_findings_renders_fast_and_coalesced() {
    let dir = workspace(&[("flood.seg", &redundant_chain(10_000))]);
    let started = Instant::now();
    let out = seg(&["check", "flood.seg"], dir.path());
    let elapsed = started.elapsed();
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{}", &err[..err.len().min(2000)]);
    assert!(
        elapsed < Duration::from_secs(5),
        "human output of 10,000 findings took {elapsed:?}"
    );
    assert!(
        err.len() < 40_000,
        "human output of 10,000 findings is {} bytes",
        err.len()
    );
    assert_eq!(err.matches("warning[W0304]").count(), 10, "{err}");
    assert!(
        err.contains("and 9,989 more W0304 in segment `s`"),
        "{}",
        &err[err.len().saturating_sub(3000)..]
    );
    // The summary still counts every finding.
    assert!(err.contains("0 errors and 9999 warnings"), "{err}");
    // JSON keeps them all.
    let json = seg(&["check", "--format", "json", "flood.seg"], dir.path());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 9_999);

    // The shape: `age > 1 and` 10,000 times on one line (miette used
    // to panic on it after 30 s and 1.2 GB).
    let one_line = format!(
        "use \"schema.seg\"\n\nsegment s {{\n  where {}age > 1\n}}\n",
        "age > 1 and ".repeat(10_000)
    );
    std::fs::write(dir.path().join("line.seg"), one_line).unwrap();
    let started = Instant::now();
    let out = seg(&["check", "line.seg"], dir.path());
    let elapsed = started.elapsed();
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{}", &err[..err.len().min(2000)]);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(err.contains("and 9,990 more W0304 in segment `s`"), "{err}");
}

#[test]
fn unused_params_coalesce_per_file() {
    let mut text = String::from("use \"schema.seg\"\n");
    for i in 0..50_000 {
        text.push_str(&format!("param p{i} = 1\n"));
    }
    let dir = workspace(&[]);
    let checked = seg::check_source(&dir.path().join("params.seg"), &text);
    assert!(checked.diagnostics.len() >= 50_000);
    let started = Instant::now();
    let human = render::human(&checked.diagnostics, &checked.sources, false);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(3),
        "rendering took {elapsed:?}"
    );
    assert_eq!(human.matches("warning[W0307]").count(), 10);
    assert!(
        human.contains("and 49,990 more W0307 in `") && human.contains("params.seg` ("),
        "{}",
        &human[human.len().saturating_sub(2000)..]
    );
}

#[test]
fn long_lines_are_cut_around_the_span() {
    // A list of 10,000 elements on one 58,000-character line, and an unknown
    // name far along a long line (E0101).
    let items: Vec<String> = (1..=10_000).map(|i| i.to_string()).collect();
    let padding = "age > 1 and ".repeat(1000);
    let source = format!(
        "use \"schema.seg\"\n\nparam ids = [{}]\n\nsegment s {{\n  where {padding}agee > 1\n}}\n",
        items.join(", ")
    );
    let dir = workspace(&[("long.seg", &source)]);
    let out = seg(&["check", "long.seg"], dir.path());
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("error[E0101]"), "{err}");
    let longest = err.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest <= 200, "a line of {longest} characters:\n{err}");
    // The header still gives the real position, the snippet the real line number.
    assert!(err.contains("long.seg:6:12009"), "{err}");
    assert!(err.contains(" 6 │ …"), "{err}");
    assert!(err.contains("agee > 1"), "{err}");
}

#[test]
fn secondary_labels_are_bounded() {
    // A diagnostic with 1,000 secondary labels shows a few and counts the rest.
    use seg::diagnostics::{Code, Diagnostic, SourceMap, Span};
    let mut sources = SourceMap::new();
    let text = "x\n".repeat(2000);
    let file = sources.add("many.seg", text.as_str());
    let mut d = Diagnostic::new(Code::E0102, Span::new(file, 0, 1), "`x` is defined twice")
        .with_help("rename one");
    for i in 1..1000 {
        d = d.with_secondary(Span::new(file, i * 2, i * 2 + 1), "also here");
    }
    let human = render::human(&[d], &sources, false);
    assert!(human.matches("also here").count() <= 10, "{human}");
    assert!(human.contains("and 990 more locations"), "{human}");
    assert!(human.lines().count() < 60, "{human}");
}
