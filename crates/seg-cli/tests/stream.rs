//! `seg stream`: JSON-lines profiles on stdin, one JSON line per profile on
//! stdout, through the real binary: the same verdicts as `seg run` on the
//! bundled profiles, `--changes`, bad lines that keep the stream going,
//! usage errors, and answers that reach a slow producer before its input
//! ends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{code, repo_root, seg, stderr, text};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const AS_OF: &str = "2026-11-24T00:00:00Z";

/// Runs `seg ARGS` in the repository with `input` on stdin.
fn stream(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    // Written from a thread: the output pipe fills while input is written.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    output
}

/// The output lines as JSON.
fn lines(output: &Output) -> Vec<serde_json::Value> {
    text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The bundled profiles as JSON lines, written row by row by Arrow's JSON
/// writer (absent keys for missing values).
fn bundled_profiles_as_json_lines() -> String {
    let lines =
        seg_testkit::parquet_as_json_lines(&repo_root().join("examples/profiles.parquet")).unwrap();
    lines.join("\n") + "\n"
}

/// `seg stream` over the bundled profiles as JSON lines gives each profile
/// the verdicts `seg run --out` writes for it.
fn agrees_with_seg_run(rules: &str, profiles: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.jsonl");
    let run = seg(
        &[
            "run",
            rules,
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--out",
            out.to_str().unwrap(),
        ],
        &repo_root(),
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let expected: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let streamed = stream(&["stream", rules, "--as-of", AS_OF], profiles);
    assert_eq!(code(&streamed), 0, "{}", stderr(&streamed));
    let got = lines(&streamed);
    assert_eq!(got.len(), 20_000);
    assert_eq!(got.len(), expected.len());
    let mut members = 0;
    for (row, (got, expected)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(got["key"], expected["customer_id"], "row {row}");
        let expected_segments: Vec<&str> = expected
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| v.as_bool() == Some(true))
            .map(|(k, _)| k.as_str())
            .collect();
        let mut got_segments: Vec<&str> = got["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        got_segments.sort_unstable();
        let mut sorted = expected_segments.clone();
        sorted.sort_unstable();
        assert_eq!(got_segments, sorted, "{rules}, row {row}");
        members += got_segments.len();
        for (group, chosen) in got["priorities"].as_object().unwrap() {
            let written = expected.get(group).cloned().unwrap_or_default();
            assert_eq!(chosen, &written, "{rules}, row {row}, group {group}");
        }
    }
    // The comparison is not vacuous.
    assert!(members > 1_000, "{rules}: {members} memberships");
}

#[test]
fn stream_gives_the_verdicts_of_seg_run_on_the_bundled_profiles() {
    let profiles = bundled_profiles_as_json_lines();
    agrees_with_seg_run("examples/lifecycle.seg", &profiles);
    agrees_with_seg_run("examples/event_histories.seg", &profiles);
}

const RULES: &str = r#"schema {
  id: string key
  email: string pii
  orders: int
  country: string
  events: list<{ name: string, at: timestamp }>
}
segment buyers { where orders >= 1 }
segment french { where country == "FR" }
segment recent { where count(events where at within 7 days) >= 1 }
priority tier {
  buyers
  french
}
"#;

fn rules_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    dir
}

fn rules_path(dir: &Path) -> String {
    dir.join("rules.seg").to_str().unwrap().to_string()
}

#[test]
fn one_line_out_per_profile_and_bad_lines_keep_the_stream_going() {
    let dir = rules_dir();
    let rules = rules_path(dir.path());
    let input = [
        r#"{"id": "a", "orders": 2, "country": "FR"}"#,
        r#"not json"#,
        "",
        r#"{"id": "b", "orders": "many"}"#,
        r#"{"id": "c", "events": [{"name": "view", "at": "2026-11-20T10:00:00Z"}]}"#,
        r#"{"id": "d", "events": 5}"#,
        r#"{"id": "e"}"#,
    ]
    .join("\n");
    let out = stream(&["stream", &rules, "--as-of", AS_OF], &input);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let got = lines(&out);
    // One line per non-blank input line, in order.
    assert_eq!(got.len(), 6, "{}", text(&out.stdout));
    assert_eq!(
        got[0],
        serde_json::json!({"key": "a", "segments": ["buyers", "french"], "priorities": {"tier": "buyers"}})
    );
    assert_eq!(got[1]["line"], 2);
    assert_eq!(got[1]["error"]["code"], "E0403");
    assert_eq!(got[2]["line"], 4);
    assert!(
        got[2]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`many` in column `orders` is not an int"),
        "{}",
        got[2]
    );
    assert_eq!(
        got[3],
        serde_json::json!({"key": "c", "segments": ["recent"], "priorities": {"tier": null}})
    );
    assert_eq!(got[4]["line"], 6);
    assert!(
        got[4]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not a list of records"),
        "{}",
        got[4]
    );
    assert_eq!(
        got[5],
        serde_json::json!({"key": "e", "segments": [], "priorities": {"tier": null}})
    );
}

#[test]
fn a_clean_stream_exits_zero() {
    let dir = rules_dir();
    let rules = rules_path(dir.path());
    let out = stream(
        &["stream", &rules, "--as-of", AS_OF, "--segments", "french"],
        "{\"id\": \"a\", \"country\": \"FR\"}\n",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        [serde_json::json!({"key": "a", "segments": ["french"], "priorities": {}})]
    );
}

#[test]
fn changes_report_entered_and_left_against_the_previous_line_of_the_key() {
    let dir = rules_dir();
    let rules = rules_path(dir.path());
    let input = [
        r#"{"id": "a", "orders": 2}"#,
        r#"{"id": "b", "country": "FR"}"#,
        r#"{"id": "a", "orders": 2, "country": "FR"}"#,
        r#"{"id": "a", "orders": 0}"#,
        r#"{"id": "b", "country": "FR"}"#,
    ]
    .join("\n");
    let out = stream(&["stream", &rules, "--as-of", AS_OF, "--changes"], &input);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        [
            serde_json::json!({"key": "a", "entered": ["buyers"], "left": []}),
            serde_json::json!({"key": "b", "entered": ["french"], "left": []}),
            serde_json::json!({"key": "a", "entered": ["french"], "left": []}),
            serde_json::json!({"key": "a", "entered": [], "left": ["buyers", "french"]}),
            serde_json::json!({"key": "b", "entered": [], "left": []}),
        ]
    );
}

#[test]
fn a_pii_key_is_hidden_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.seg"),
        "schema {\n  email: string pii key\n  orders: int\n}\nsegment buyers { where orders >= 1 }\n",
    )
    .unwrap();
    let rules = rules_path(dir.path());
    let input = "{\"email\": \"ann@example.com\", \"orders\": 1}\n";
    let hidden = stream(&["stream", &rules, "--as-of", AS_OF], input);
    assert_eq!(lines(&hidden)[0]["key"], "(pii hidden)");
    assert!(!text(&hidden.stdout).contains("ann@"));
    let shown = stream(&["stream", &rules, "--as-of", AS_OF, "--show-pii"], input);
    assert_eq!(lines(&shown)[0]["key"], "ann@example.com");
}

#[test]
fn bad_options_are_usage_errors() {
    let dir = rules_dir();
    let rules = rules_path(dir.path());
    for latency in ["5", "5 minutes", "ms", "-1ms", "1.5ms"] {
        let flag = format!("--max-latency={latency}");
        let out = stream(&["stream", &rules, &flag], "");
        assert_eq!(code(&out), 2, "{latency}: {}", stderr(&out));
        assert!(stderr(&out).contains("--max-latency"), "{}", stderr(&out));
    }
    let out = stream(&["stream", &rules, "--segments", "nope"], "");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("E0407"), "{}", stderr(&out));
    let out = stream(&["stream", &rules, "--as-of", "yesterday"], "");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn a_slow_producer_gets_each_answer_before_its_input_ends() {
    let dir = rules_dir();
    let rules = rules_path(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(["stream", &rules, "--as-of", AS_OF, "--max-latency", "5ms"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if sender.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    for (id, orders) in [("a", 1), ("b", 0)] {
        writeln!(stdin, "{{\"id\": \"{id}\", \"orders\": {orders}}}").unwrap();
        stdin.flush().unwrap();
        // stdin stays open: the answer must come from the latency bound.
        let answer = receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("no answer while the input is open");
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["key"], id);
        assert_eq!(answer["segments"].as_array().unwrap().len(), orders);
    }
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
