//! CI ergonomics through the real binary: the run table on standard output,
//! titles grouped by file, `seg run DIR`, `seg test --format json|junit`,
//! `seg fmt --check --diff`, and progress only where a person watches.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{code, repo_root, seg, stderr, text};
use std::path::Path;

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

/// Rules with a passing test, a failing one whose name needs escaping, and
/// a second file whose rules have an error.
fn tests_folder() -> tempfile::TempDir {
    folder(&[
        (
            "rules.seg",
            r#"schema {
  id: int key
  orders: int
  tier: string
}

segment buyers "Bought at least once" {
  where orders > 0
}

test "a buyer is a buyer" {
  as_of 2026-11-24
  given { id: 1, orders: 3 }
  expect buyers
}

test "tiers <gold> & \"quotes\" don't matter" {
  as_of 2026-11-24
  given { id: 2, orders: 0, tier: "gold" }
  expect buyers
}
"#,
        ),
        (
            "broken.seg",
            "schema {\n  id: int key\n}\n\nsegment s {\n  where nothing > 1\n}\n",
        ),
    ])
}

#[test]
fn seg_test_json_lists_each_file_and_test_with_its_expectations() {
    let dir = tests_folder();
    let out = seg(&["test", "--format", "json", "."], dir.path());
    // Exit codes do not depend on the format: a failure is 1.
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["passed"], 1);
    assert_eq!(doc["failed"], 1);
    let files = doc["files"].as_array().unwrap();
    let broken = files.iter().find(|f| f["file"] == "broken.seg").unwrap();
    assert_eq!(broken["rules_have_errors"], true);
    assert_eq!(broken["tests"].as_array().unwrap().len(), 0);
    let rules = files.iter().find(|f| f["file"] == "rules.seg").unwrap();
    let tests = rules["tests"].as_array().unwrap();
    assert_eq!(tests[0]["name"], "a buyer is a buyer");
    assert_eq!(tests[0]["line"], 11);
    assert_eq!(tests[0]["passed"], true);
    assert_eq!(
        tests[0]["expectations"],
        serde_json::json!([{ "segment": "buyers", "member": true }])
    );
    assert_eq!(tests[1]["passed"], false);
    let failure = tests[1]["failures"][0].as_str().unwrap();
    assert!(
        failure.starts_with("expected the profile to be a member of `buyers`"),
        "{failure}"
    );
    // The rules' diagnostics stay on stderr, out of the document.
    assert!(stderr(&out).contains("nothing"), "{}", stderr(&out));

    // All passing: exit 0, in every format.
    let passing = seg(
        &["test", "--format", "json", "examples/behavior.seg"],
        &repo_root(),
    );
    assert_eq!(code(&passing), 0, "{}", stderr(&passing));
    let doc: serde_json::Value = serde_json::from_slice(&passing.stdout).unwrap();
    assert_eq!(doc["failed"], 0);
}

#[test]
fn seg_test_junit_has_a_suite_per_file_and_escapes_the_text() {
    let dir = tests_folder();
    let out = seg(&["test", "--format", "junit", "."], dir.path());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let xml = text(&out.stdout);
    insta::assert_snapshot!(xml);
    // Escaped: no raw quote or angle bracket from the test's name.
    assert!(
        xml.contains(r#"name="tiers &lt;gold&gt; &amp; &quot;quotes&quot; don&apos;t matter""#)
    );
    assert_eq!(xml.matches("<testsuite ").count(), 2);
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert_eq!(xml.matches("<error ").count(), 1);
    // Every element opened is closed.
    for tag in ["testsuites", "testsuite", "testcase", "failure"] {
        let opened =
            xml.matches(&format!("<{tag} ")).count() + xml.matches(&format!("<{tag}>")).count();
        let closed = xml.matches(&format!("</{tag}>")).count()
            + xml
                .split(&format!("<{tag} "))
                .skip(1)
                .filter(|rest| rest.split('>').next().unwrap().ends_with('/'))
                .count();
        assert_eq!(opened, closed, "<{tag}> in\n{xml}");
    }
}

#[test]
fn seg_run_folder_runs_each_root_program() {
    let root = repo_root();
    let args = [
        "run",
        "examples",
        "--data",
        "examples/profiles.parquet",
        "--as-of",
        AS_OF,
        "--summary",
        "json",
    ];
    let out = seg(&args, &root);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // One summary per line (JSON lines), one line per root: the files no
    // other file in the folder `use`s.
    let rules: Vec<String> = text(&out.stdout)
        .lines()
        .map(|line| {
            let doc: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(doc["profiles"], 20_000);
            doc["rules"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        rules,
        [
            "examples/campaign_holdout.seg",
            "examples/data_quality.seg",
            "examples/event_histories.seg",
            "examples/geography.seg",
            "examples/interests.seg",
            "examples/suppression.seg",
        ]
    );
    // Each program's sizes are those of running it alone.
    let alone = common::run_bundled("examples/geography.seg", &[]);
    let line = text(&out.stdout)
        .lines()
        .find(|l| l.contains("\"examples/geography.seg\""))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .unwrap();
    assert_eq!(common::sizes(&line), common::sizes(&alone));

    // People get one table per program under a heading.
    let out = seg(&args[..6], &root);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = text(&out.stdout);
    assert_eq!(table.matches("==> examples/").count(), 6, "{table}");
    assert!(table.starts_with("==> examples/campaign_holdout.seg <==\nsegment "));
}

#[test]
fn seg_run_folder_exits_with_the_worst_program_and_refuses_out() {
    let dir = folder(&[
        ("p.csv", "id,orders\n1,3\n2,0\n"),
        (
            "good.seg",
            "schema {\n  id: int key\n  orders: int\n}\n\nsegment buyers {\n  where orders > 0\n}\n",
        ),
        (
            "bad.seg",
            "schema {\n  id: int key\n}\n\nsegment s {\n  where nothing > 1\n}\n",
        ),
    ]);
    let out = seg(&["run", ".", "--data", "p.csv"], dir.path());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    // The good program still ran.
    let table = text(&out.stdout);
    assert!(table.contains("==> good.seg <==\nsegment"), "{table}");
    assert!(table.contains("buyers"), "{table}");
    assert!(stderr(&out).contains("bad.seg: not run to the end"));

    let out = seg(
        &["run", ".", "--data", "p.csv", "--out", "r.csv"],
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("is a folder of programs"));
    assert!(!dir.path().join("r.csv").exists());
}

#[test]
fn slowest_segments_are_timed_alone_on_request() {
    let summary = common::run_bundled(
        "examples/lifecycle.seg",
        &["--slowest", "--segments", "at_risk,lapsed,holiday_shoppers"],
    );
    let slowest = &summary["slowest_segments"];
    assert_eq!(slowest["sample_rows"], 20_000);
    let costs = slowest["segments"].as_array().unwrap();
    let mut names: Vec<&str> = costs
        .iter()
        .map(|c| c["segment"].as_str().unwrap())
        .collect();
    let ns: Vec<f64> = costs
        .iter()
        .map(|c| c["ns_per_row"].as_f64().unwrap())
        .collect();
    // Slowest first, every selected segment once, each a real time.
    assert!(ns.windows(2).all(|w| w[0] >= w[1]), "{ns:?}");
    assert!(ns.iter().all(|&n| n > 0.0), "{ns:?}");
    names.sort_unstable();
    assert_eq!(names, ["at_risk", "holiday_shoppers", "lapsed"]);

    // A quick run without `--slowest` does not time segments.
    let summary = common::run_bundled("examples/lifecycle.seg", &[]);
    assert!(summary.get("slowest_segments").is_none());

    let out = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--segments",
            "at_risk,lapsed",
            "--slowest",
        ],
        &repo_root(),
    );
    let table = text(&out.stdout);
    assert!(
        table.contains("slowest segments, each timed alone on the first 20,000 rows:\n"),
        "{table}"
    );
}

/// `seg ARGS` in `dir` under a pseudo-terminal (util-linux `script`), with
/// `env` added and neither `NO_COLOR` nor `CI` inherited; the terminal's
/// output, or `None` when `script` is not installed.
fn on_a_terminal(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Option<String> {
    let command = std::iter::once(env!("CARGO_BIN_EXE_seg"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .stdin(std::process::Stdio::null());
    for (name, value) in env {
        script.env(name, value);
    }
    let out = script.output().ok()?;
    assert!(out.status.success(), "{}", text(&out.stdout));
    Some(text(&out.stdout))
}

/// The run's seconds, from the totals line of its table.
fn seconds(table: &str) -> f64 {
    let line = table
        .lines()
        .find(|l| l.contains(" profiles from "))
        .unwrap();
    let after = line.split(" in ").nth(1).unwrap();
    after.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn the_progress_bar_shows_on_a_terminal_only_and_a_slow_run_names_its_slowest_segments() {
    // Half a million profiles on the reference evaluator, one thread, in a
    // debug build: a run of several seconds, long enough for the bar (shown
    // after one second) and for the slowest segments (over two).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("big.parquet");
    seg_datagen::write_parquet(&data, 500_000, 42, 50_000).unwrap();
    let rules = repo_root().join("examples/lifecycle.seg");
    let (rules, data) = (rules.to_str().unwrap(), data.to_str().unwrap());
    let args = [
        "run",
        rules,
        "--data",
        data,
        "--as-of",
        AS_OF,
        "--engine",
        "interp",
        "--threads",
        "1",
    ];
    let Some(shown) = on_a_terminal(&args, dir.path(), &[]) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(shown.contains("/500,000 profiles · row group "), "{shown}");
    assert!(shown.contains("/s · ETA "), "{shown}");
    assert!(shown.contains("row group 10/10"), "{shown}");
    let took = seconds(&shown);
    assert!(
        took > 1.0,
        "the run took {took} s: too fast to test the bar"
    );
    assert_eq!(
        shown.contains("slowest segments, each timed alone on the first "),
        took > 2.0,
        "{shown}"
    );

    // In CI, or with NO_COLOR, the terminal gets the table alone.
    for variable in ["CI", "NO_COLOR"] {
        let quiet = on_a_terminal(&args, dir.path(), &[(variable, "1")]).unwrap();
        assert!(!quiet.contains("row group"), "{variable}: {quiet}");
        assert!(quiet.contains("segment "), "{variable}: {quiet}");
    }

    // Piped: no bar on stderr, the table on stdout.
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .output()
        .unwrap();
    assert_eq!(code(&piped), 0, "{}", stderr(&piped));
    assert!(!stderr(&piped).contains("profiles"), "{}", stderr(&piped));
    assert!(text(&piped.stdout).contains(" profiles from "));
}

#[test]
fn seg_bench_shows_what_it_times_on_a_terminal_only() {
    let root = repo_root();
    let args = [
        "bench",
        "examples/geography.seg",
        "--data",
        "examples/profiles.parquet",
        "--as-of",
        AS_OF,
        "--iterations",
        "2",
        "--engines",
        "interp",
        "--per-segment",
    ];
    let Some(shown) = on_a_terminal(&args, &root, &[]) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(
        shown.contains("passes · interp · program · warm-up"),
        "{shown}"
    );
    assert!(shown.contains(" · pass 2/2"), "{shown}");
    // The results still come, after the bar is cleared.
    assert!(shown.contains("median of 2 passes"), "{shown}");

    let quiet = on_a_terminal(&args, &root, &[("CI", "true")]).unwrap();
    assert!(!quiet.contains("passes ·"), "{quiet}");

    // Piped: results on stdout, nothing on stderr.
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .current_dir(&root)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .output()
        .unwrap();
    assert_eq!(code(&piped), 0, "{}", stderr(&piped));
    assert_eq!(stderr(&piped), "");
    assert!(text(&piped.stdout).contains("median of 2 passes"));
}
