//! The missing-value trap (W0309) and acknowledged findings (`# seg: allow`)
//! through the real binary, on the bundled profiles.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{code, repo_root, seg, sizes, stderr, text};
use std::path::Path;

/// A temporary directory holding the bundled schema and `rules.seg`.
fn rules_dir(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("examples/schema.seg"),
        dir.path().join("schema.seg"),
    )
    .unwrap();
    std::fs::write(dir.path().join("rules.seg"), rules).unwrap();
    dir
}

/// The sizes of a run of `rules.seg` in `dir` over the bundled profiles.
fn run_sizes(dir: &Path) -> Vec<(String, u64)> {
    let data = repo_root().join("examples/profiles.parquet");
    let out = seg(
        &[
            "run",
            "rules.seg",
            "--data",
            data.to_str().unwrap(),
            "--as-of",
            "2026-11-24T00:00:00Z",
            "--summary",
            "json",
        ],
        dir,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    sizes(&serde_json::from_slice(&out.stdout).unwrap())
}

fn check_json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    all.push("rules.seg");
    let out = seg(&all, dir);
    (code(&out), serde_json::from_slice(&out.stdout).unwrap())
}

/// Applies the edits of a JSON suggestion to `text` (last edit first, so the
/// offsets of the earlier ones stay valid).
fn apply(text: &str, suggestion: &serde_json::Value) -> String {
    let mut out = text.to_string();
    let mut edits: Vec<&serde_json::Value> =
        suggestion["edits"].as_array().unwrap().iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e["start_byte"].as_u64().unwrap()));
    for edit in edits {
        let start = edit["start_byte"].as_u64().unwrap() as usize;
        let end = edit["end_byte"].as_u64().unwrap() as usize;
        out.replace_range(start..end, edit["text"].as_str().unwrap());
    }
    out
}

#[test]
fn the_trap_is_reported_and_its_fix_keeps_the_profiles_without_a_tier() {
    let rules = "use \"schema.seg\"\n\nsegment not_platinum {\n  where total_orders >= 0 and loyalty_tier != \"platinum\"\n}\n";
    let dir = rules_dir(rules);
    // The semantics stay: profiles with no tier are left out.
    assert_eq!(
        run_sizes(dir.path()),
        [("not_platinum".to_string(), 16_085)]
    );
    let (status, report) = check_json(dir.path(), &["--deny-warnings"]);
    assert_eq!(status, 1);
    let diagnostic = &report["diagnostics"][0];
    assert_eq!(diagnostic["code"], "W0309");
    // The one-click fix, applied as an editor would, gives the expected audience
    // and checks clean in one round trip.
    let fixed = apply(rules, &diagnostic["suggestions"][0]);
    assert!(
        fixed.contains(
            "total_orders >= 0 and (loyalty_tier != \"platinum\" or loyalty_tier is missing)"
        ),
        "{fixed}"
    );
    std::fs::write(dir.path().join("rules.seg"), &fixed).unwrap();
    assert_eq!(
        run_sizes(dir.path()),
        [("not_platinum".to_string(), 19_640)]
    );
    let (status, report) = check_json(dir.path(), &["--deny-warnings"]);
    assert_eq!(
        (status, report["warnings"].as_u64()),
        (0, Some(0)),
        "{report}"
    );
}

#[test]
fn stating_the_intent_silences_the_trap_without_changing_sizes() {
    let dir = rules_dir(
        "use \"schema.seg\"\n\nsegment known_not_platinum {\n  where loyalty_tier != \"platinum\" and loyalty_tier is present\n}\n\nsegment not_gold_or_platinum {\n  where loyalty_tier not in [\"gold\", \"platinum\"] or loyalty_tier is missing\n}\n",
    );
    let (status, report) = check_json(dir.path(), &["--deny-warnings"]);
    assert_eq!(status, 0, "{report}");
    let found = run_sizes(dir.path());
    assert_eq!(found[0], ("known_not_platinum".to_string(), 16_085));
}

#[test]
fn an_allow_keeps_deny_warnings_usable_in_check_and_run() {
    let rules = "use \"schema.seg\"\n\n# seg: allow(W0301) consent checked\nsegment with_email {\n  where email is present\n}\n\nsegment with_phone { # seg: allow(W0309, W0302)\n  where country != \"US\"\n}\n";
    let dir = rules_dir(rules);
    let (status, report) = check_json(dir.path(), &["--deny-warnings"]);
    // W0302 fires nowhere: the allow says so, and that is the one finding.
    assert_eq!(status, 1, "{report}");
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["W0310"]);
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`W0302`"),
        "{report}"
    );
    // Without the stale code, the program is warning-free.
    let cleaned = rules.replace(", W0302", "");
    std::fs::write(dir.path().join("rules.seg"), &cleaned).unwrap();
    let (status, _) = check_json(dir.path(), &["--deny-warnings"]);
    assert_eq!(status, 0);
    // `seg run` shows no acknowledged warning either.
    let data = repo_root().join("examples/profiles.parquet");
    let out = seg(
        &["run", "rules.seg", "--data", data.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let all = format!("{}{}", text(&out.stdout), stderr(&out));
    assert!(!all.contains("W0301") && !all.contains("W0309"), "{all}");
    // The formatter keeps both comments where they are.
    let out = seg(&["fmt", "rules.seg"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let formatted = std::fs::read_to_string(dir.path().join("rules.seg")).unwrap();
    assert!(
        formatted.contains("# seg: allow(W0301) consent checked\nsegment with_email {"),
        "{formatted}"
    );
    assert!(
        formatted
            .lines()
            .any(|l| l.starts_with("segment with_phone {") && l.ends_with("# seg: allow(W0309)")),
        "{formatted}"
    );
    let (status, _) = check_json(dir.path(), &["--deny-warnings"]);
    assert_eq!(status, 0);
}

/// Every habit of SQL and spreadsheets is reported with a fix that, applied
/// as an editor applies it, gives rules that check without error: one round
/// trip, never a second error after the first fix.
#[test]
fn each_habit_gets_a_fix_that_checks_in_one_round_trip() {
    let cases = [
        ("E0013", "segment s { where email like \"%@gmail.com\" }"),
        ("E0013", "segment s { where email not like \"test%\" }"),
        ("E0013", "segment s { where loyalty_tier is not null }"),
        ("E0013", "segment s { where loyalty_tier IS NULL }"),
        ("E0013", "segment s { where city == null }"),
        ("E0013", "segment s { where city != null and age > 30 }"),
        ("E0013", "segment s { where country in (\"US\", \"CA\") }"),
        ("E0013", "segment s { where contains(interests, \"yoga\") }"),
        ("E0013", "segment s { where city.lower() == \"berlin\" }"),
        (
            "E0013",
            "segment s { where last_purchase_at >= now() - interval 30 day }",
        ),
        ("E0013", "segment s { where last_purchase_at < now() }"),
        ("E0013", "segment s { where churn_score > 70% }"),
        ("E0001", "segment s { where country in [\"DE\" \"FR\"] }"),
        ("E0001", "segment lapsed-vip { where total_orders > 10 }"),
        ("E0010", "segment s { where signup_date >= 25/12/2025 }"),
        // The "did you mean" of an unknown name carries its fix too.
        ("E0101", "segment s { where loyalty_teir == \"gold\" }"),
        ("E0101", "segment s { where country == Germany }"),
    ];
    for (expected, body) in cases {
        let rules = format!("use \"schema.seg\"\n\n{body}\n");
        let dir = rules_dir(&rules);
        let (status, report) = check_json(dir.path(), &[]);
        assert_eq!(status, 1, "{body}: {report}");
        let diagnostics = report["diagnostics"].as_array().unwrap();
        assert_eq!(diagnostics.len(), 1, "{body}: {report}");
        assert_eq!(diagnostics[0]["code"], expected, "{body}: {report}");
        let fixed = apply(&rules, &diagnostics[0]["suggestions"][0]);
        std::fs::write(dir.path().join("rules.seg"), &fixed).unwrap();
        let (status, report) = check_json(dir.path(), &[]);
        assert_eq!(
            (status, report["errors"].as_u64()),
            (0, Some(0)),
            "{body} fixed as {fixed}: {report}"
        );
    }
}

/// An ambiguous slash date names both readings and offers no fix; an
/// exponent is a float literal, not a habit.
#[test]
fn an_ambiguous_date_has_no_fix_and_an_exponent_is_fine() {
    let dir = rules_dir("use \"schema.seg\"\n\nsegment s { where signup_date >= 01/02/2025 }\n");
    let (_, report) = check_json(dir.path(), &[]);
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "E0010");
    let help = d["help"].as_str().unwrap();
    assert!(
        help.contains("2 January") && help.contains("1 February"),
        "{help}"
    );
    assert!(d.get("suggestions").is_none(), "{report}");
    let dir = rules_dir("use \"schema.seg\"\n\nsegment s { where lifetime_value < 1e10 }\n");
    let (status, report) = check_json(dir.path(), &[]);
    assert_eq!(
        (status, report["errors"].as_u64()),
        (0, Some(0)),
        "{report}"
    );
}

/// `seg schema infer` on the bundled profiles: the whole block is
/// snapshotted (types, the key, `pii` for `email` only, `one of` for the
/// low-cardinality strings), and it checks.
#[test]
fn schema_infer_on_the_bundled_profiles() {
    let out = seg(
        &["schema", "infer", "examples/profiles.parquet"],
        &repo_root(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let schema = text(&out.stdout);
    insta::assert_snapshot!(schema);
    assert!(schema.contains("  email_opt_in: bool\n"), "{schema}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.seg"),
        format!("{schema}\nsegment gold {{ where loyalty_tier == \"gold\" }}\n"),
    )
    .unwrap();
    let (status, report) = check_json(dir.path(), &["--deny-warnings"]);
    assert_eq!(status, 0, "{report}");
    // The JSON form says the same.
    let out = seg(
        &[
            "schema",
            "infer",
            "examples/profiles.parquet",
            "--format",
            "json",
        ],
        &repo_root(),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let column = |name: &str| {
        json["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(column("customer_id")["key"], true);
    assert_eq!(column("email")["pii"], true);
    assert_eq!(column("email_opt_in")["pii"], false);
    assert_eq!(
        column("device")["one_of"],
        serde_json::json!(["android", "ios", "web"])
    );
    assert_eq!(json["sampled_rows"], 10_000);
}

/// A UInt64 key column stays an `int key`, binds, and a value past
/// `i64::MAX` (in the key or another `int` field) is missing on every engine.
#[test]
fn a_uint64_key_is_an_int_key_and_values_past_i64_are_missing() {
    use arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray, UInt64Array};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let past = i64::MAX as u64 + 1;
    let batch = RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(UInt64Array::from(vec![1, 2, past, u64::MAX])) as ArrayRef,
        ),
        (
            "points",
            Arc::new(UInt64Array::from(vec![Some(5), Some(past), Some(7), None])) as ArrayRef,
        ),
        (
            "phone_verified",
            Arc::new(BooleanArray::from(vec![true, false, true, true])) as ArrayRef,
        ),
        (
            "phone",
            Arc::new(StringArray::from(vec!["1", "2", "3", "4"])) as ArrayRef,
        ),
    ])
    .unwrap();
    common::write_parquet(&dir.path().join("ids.parquet"), &batch);
    let out = seg(&["schema", "infer", "ids.parquet"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let schema = text(&out.stdout);
    assert_eq!(
        schema,
        "schema {\n  customer_id: int key  # guessed from the name: check it identifies a profile\n  points: int\n  phone_verified: bool\n  phone: string pii  # guessed from the name\n}\n"
    );
    std::fs::write(
        dir.path().join("rules.seg"),
        format!(
            "{schema}\nsegment keyed {{ where customer_id is present }}\nsegment some_points {{ where points >= 0 }}\nsegment no_points {{ where points is missing }}\n"
        ),
    )
    .unwrap();
    for engine in ["jit", "interp"] {
        let out = seg(
            &[
                "run",
                "rules.seg",
                "--data",
                "ids.parquet",
                "--engine",
                engine,
                "--summary",
                "json",
            ],
            dir.path(),
        );
        assert_eq!(code(&out), 0, "{engine}: {}", stderr(&out));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            sizes(&summary),
            [
                ("keyed".to_string(), 2),
                ("some_points".to_string(), 2),
                ("no_points".to_string(), 2)
            ],
            "{engine}"
        );
    }
}
