//! `seg why`: one profile's verdicts explained, on the bundled profiles
//! through the real binary; and the explanation never disagrees with
//! `seg run`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{code, repo_root, seg, stderr, text};
use std::collections::HashMap;

const AS_OF: &str = "2026-11-24T00:00:00Z";

/// `seg why RULES --data examples/profiles.parquet --key KEY --as-of AS_OF
/// EXTRA..` in the repository.
fn why(rules: &str, key: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "why",
        rules,
        "--data",
        "examples/profiles.parquet",
        "--key",
        key,
        "--as-of",
        AS_OF,
    ];
    args.extend_from_slice(extra);
    seg(&args, &repo_root())
}

/// The JSON document of a successful `seg why --format json`.
fn why_json(rules: &str, key: &str, extra: &[&str]) -> serde_json::Value {
    let mut extra = extra.to_vec();
    extra.extend_from_slice(&["--format", "json"]);
    let out = why(rules, key, &extra);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn segment<'a>(document: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    document["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no segment {name} in {document:#}"))
}

#[test]
fn a_member_and_a_non_member_with_their_reasons() {
    let document = why_json("examples/lifecycle.seg", "1000005", &[]);
    let at_risk = segment(&document, "at_risk");
    assert_eq!(at_risk["member"], true);
    assert_eq!(at_risk["where"]["value"], "true");
    let lapsed = segment(&document, "lapsed");
    assert_eq!(lapsed["member"], false);
    assert_eq!(lapsed["decided_by"], "where");
    assert_eq!(lapsed["deciding"], "last_purchase_at < 6 months ago");
    // The deciding clause is marked in the tree, and its value is false.
    let first = &lapsed["where"]["children"][0];
    assert_eq!(first["deciding"], true);
    assert_eq!(first["value"], "false");
    // The values read, by name.
    let fields = lapsed["fields"].as_array().unwrap();
    assert_eq!(fields[0]["name"], "last_purchase_at");
    assert_eq!(fields[0]["value"], "2026-06-05T11:31:33.204019Z");
    // The priority group: new and active customers lost, at risk chosen.
    let group = &document["priorities"][0];
    assert_eq!(group["name"], "lifecycle_stage");
    assert_eq!(group["chosen"], "at_risk");
    assert_eq!(group["entries"][0]["outcome"], "lost");
    assert_eq!(group["entries"][0]["reason"], "signup_date within 30 days");
    assert_eq!(group["entries"][0]["reason_value"], "false");
    assert_eq!(group["entries"][2]["outcome"], "chosen");
    assert_eq!(group["entries"][3]["outcome"], "later");
}

#[test]
fn params_show_their_values_and_overrides_change_the_verdict() {
    let document = why_json(
        "examples/lifecycle.seg",
        "1000005",
        &["--segment", "at_risk"],
    );
    let at_risk = segment(&document, "at_risk");
    assert_eq!(at_risk["params"][0]["name"], "at_risk_churn");
    assert_eq!(at_risk["params"][0]["value"], "0.7");
    let churn = &at_risk["where"]["children"][0]["children"][1];
    assert_eq!(churn["value"], "true");
    let document = why_json(
        "examples/lifecycle.seg",
        "1000005",
        &["--segment", "at_risk", "--param", "at_risk_churn=0.9"],
    );
    let at_risk = segment(&document, "at_risk");
    assert_eq!(at_risk["params"][0]["value"], "0.9");
    assert_eq!(
        at_risk["where"]["children"][0]["children"][1]["value"],
        "false"
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let out = why(
        "examples/lifecycle.seg",
        "1000005",
        &["--segment", "lapsed", "--color", "always"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shown = text(&out.stdout);
    assert!(shown.contains('\x1b'), "{shown}");
    // The deciding clause is marked in words too.
    assert!(shown.contains("◀ decides"), "{shown}");
    // Piped, `auto` means no colour even without NO_COLOR.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_seg"))
        .args([
            "why",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--key",
            "1000005",
            "--segment",
            "lapsed",
        ])
        .current_dir(repo_root())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!text(&out.stdout).contains('\x1b'));
}

#[test]
fn parquet_reads_only_the_row_group_that_can_hold_the_key() {
    // The bundled file has four row groups of ascending keys.
    let document = why_json(
        "examples/lifecycle.seg",
        "1045002",
        &["--segment", "lapsed"],
    );
    assert_eq!(document["row_groups"]["total"], 4);
    assert_eq!(document["row_groups"]["read"], 1);
    assert_eq!(document["rows_with_key"], 1);
}

#[test]
fn the_json_document_has_the_documented_fields() {
    let document = why_json(
        "examples/suppression.seg",
        "1000005",
        &["--segment", "email_marketable"],
    );
    for key in [
        "version",
        "rules",
        "data",
        "key_field",
        "key",
        "rows_with_key",
        "as_of",
        "row_groups",
        "segments",
        "priorities",
    ] {
        assert!(document.get(key).is_some(), "no `{key}` in {document:#}");
    }
    assert_eq!(document["key_field"], "customer_id");
    let marketable = segment(&document, "email_marketable");
    for key in [
        "name",
        "title",
        "reported",
        "member",
        "excluded",
        "decided_by",
        "deciding",
        "where",
        "exclude",
        "fields",
    ] {
        assert!(
            marketable.get(key).is_some(),
            "no `{key}` in {marketable:#}"
        );
    }
    // The referenced segment is explained too, as not reported.
    let holdout = segment(&document, "holdout_group");
    assert_eq!(holdout["reported"], false);
    let exclude = &marketable["exclude"];
    assert_eq!(exclude["kind"], "segment");
    assert_eq!(exclude["segment"], "holdout_group");
    let node = &marketable["where"];
    for key in [
        "text",
        "value",
        "kind",
        "segment",
        "decides",
        "deciding",
        "span",
        "aggregates",
        "children",
    ] {
        assert!(node.get(key).is_some(), "no `{key}` in {node:#}");
    }
    assert_eq!(node["span"]["file"], "examples/suppression.seg");
    assert_eq!(node["span"]["line"], 21);
}

#[test]
fn aggregates_show_their_values() {
    let document = why_json(
        "examples/event_histories.seg",
        "1000005",
        &["--segment", "cross_category"],
    );
    let cross = segment(&document, "cross_category");
    assert_eq!(
        cross["where"]["aggregates"][0]["text"],
        "count_distinct(orders.category)"
    );
    assert_eq!(cross["where"]["aggregates"][0]["value"], "1");
    assert_eq!(cross["fields"][0]["value"], "2 records");
}

/// A directory with the bundled schema and `rules.seg` reading `email`.
fn pii_rules() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("examples/schema.seg"),
        dir.path().join("schema.seg"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules.seg"),
        "use \"schema.seg\"\n\nsegment outlook \"Outlook users\" {\n  where email ends with \"@outlook.com\"\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn pii_is_masked_unless_asked_for() {
    let dir = pii_rules();
    let data = repo_root().join("examples/profiles.parquet");
    let args = |extra: &[&str]| {
        let mut args = vec![
            "why",
            "rules.seg",
            "--data",
            data.to_str().unwrap(),
            "--key",
            "1000001",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let args = args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = seg(&args, dir.path());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        text(&out.stdout)
    };
    let email = "christopheranderson82@outlook.com";
    let hidden = run(&[]);
    assert!(hidden.contains("email = (pii hidden)"), "{hidden}");
    assert!(!hidden.contains(email), "{hidden}");
    let hidden = run(&["--format", "json"]);
    assert!(!hidden.contains(email), "{hidden}");
    let shown = run(&["--show-pii"]);
    assert!(shown.contains(&format!("email = {email}")), "{shown}");
    // The verdict does not depend on showing the value.
    assert!(
        shown.contains("✓ outlook \"Outlook users\": member"),
        "{shown}"
    );
}

#[test]
fn an_unknown_key_is_an_input_error_with_a_hint() {
    let out = why("examples/lifecycle.seg", "42", &[]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains(
            "error[E0411]: no profile in `examples/profiles.parquet` has `customer_id` = 42"
        ),
        "{err}"
    );
    assert!(
        err.contains("keys in the data look like `1000001`"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_key_of_the_wrong_type_is_a_usage_error() {
    let out = why("examples/lifecycle.seg", "C-1042", &[]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("error[E0410]: `C-1042` is not an `int`, the type of the key `customer_id`"),
        "{err}"
    );
}

#[test]
fn an_unknown_segment_gets_a_suggestion() {
    let out = why("examples/lifecycle.seg", "1000005", &["--segment", "lapsd"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("error[E0407]"), "{err}");
    assert!(err.contains("did you mean `lapsed`?"), "{err}");
}

#[test]
fn text_formats_are_scanned_and_repeated_keys_are_counted() {
    let dir = pii_rules();
    std::fs::write(
        dir.path().join("profiles.csv"),
        "customer_id,email\n7,a@outlook.com\n8,b@example.com\n7,c@example.com\n",
    )
    .unwrap();
    let out = seg(
        &[
            "why",
            "rules.seg",
            "--data",
            "profiles.csv",
            "--key",
            "7",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["row_groups"], serde_json::Value::Null);
    assert_eq!(document["rows_with_key"], 2);
    // The first row is explained.
    assert_eq!(segment(&document, "outlook")["member"], true);
    let out = seg(
        &["why", "rules.seg", "--data", "profiles.csv", "--key", "7"],
        dir.path(),
    );
    assert!(
        text(&out.stdout).contains("note: 2 rows have this key; explaining the first"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn human_output_without_colour() {
    let out = why(
        "examples/lifecycle.seg",
        "1000005",
        &["--segment", "lifecycle_stage"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shown = text(&out.stdout);
    assert!(!shown.contains('\x1b'), "colour codes with NO_COLOR");
    insta::assert_snapshot!(shown);
}

/// `seg run --out` results of `rules` on the bundled profiles, by key:
/// each column's value.
fn run_results(rules: &str) -> (Vec<String>, HashMap<String, Vec<String>>) {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("results.csv");
    let out = seg(
        &[
            "run",
            rules,
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--out",
            out_path.to_str().unwrap(),
            "--summary",
            "json",
        ],
        &repo_root(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let csv = std::fs::read_to_string(&out_path).unwrap();
    let mut lines = csv.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|line| {
            let cells: Vec<String> = line.split(',').map(str::to_string).collect();
            (cells[0].clone(), cells)
        })
        .collect();
    (header, rows)
}

#[test]
fn the_explanation_never_disagrees_with_seg_run() {
    for rules in ["examples/lifecycle.seg", "examples/suppression.seg"] {
        let (header, rows) = run_results(rules);
        let mut keys: Vec<&String> = rows.keys().collect();
        keys.sort();
        // A handful of keys spread over the file (and its row groups),
        // chosen by a fixed linear congruential walk.
        let mut state: u64 = 0x5eed;
        for _ in 0..6 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let key = keys[(state >> 33) as usize % keys.len()];
            let document = why_json(rules, key, &[]);
            let cells = &rows[key];
            for (column, value) in header.iter().zip(cells).skip(1) {
                if let Some(explained) = document["segments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| &s["name"] == column)
                {
                    assert_eq!(
                        explained["member"].as_bool().unwrap().to_string(),
                        *value,
                        "{rules}: key {key}, segment {column}"
                    );
                } else {
                    let group = document["priorities"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|g| &g["name"] == column)
                        .unwrap_or_else(|| panic!("{column} is neither segment nor group"));
                    assert_eq!(
                        group["chosen"].as_str().unwrap_or(""),
                        value,
                        "{rules}: key {key}, group {column}"
                    );
                }
            }
        }
    }
}

#[test]
fn seg_test_failures_show_the_condition_tree() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.seg"),
        "schema {\n  id: int key\n  spend: decimal\n  ltv: float\n  opt_in: bool\n}\n\
         segment big { where spend > 100 and ltv > 10 exclude opt_in == false }\n\
         test \"big spender\" {\n  given { spend: 200, ltv: 5 }\n  expect big\n}\n",
    )
    .unwrap();
    let out = seg(&["test", "rules.seg"], dir.path());
    assert_eq!(code(&out), 1);
    let shown = text(&out.stdout);
    // The message of before, then the tree `seg why` shows.
    assert!(
        shown.contains("but it is not: `where` is false, `exclude` is unknown"),
        "{shown}"
    );
    assert!(shown.contains("├─ ✓ spend > 100\n"), "{shown}");
    assert!(shown.contains("└─ ✗ ltv > 10.0   ◀ decides\n"), "{shown}");
    assert!(shown.contains("exclude ? opt_in == false\n"), "{shown}");
}
