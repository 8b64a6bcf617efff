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
    let mut edits: Vec<&serde_json::Value> = suggestion["edits"].as_array().unwrap().iter().collect();
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
    assert_eq!(run_sizes(dir.path()), [("not_platinum".to_string(), 16_085)]);
    let (status, report) = check_json(dir.path(), &["--deny-warnings"]);
    assert_eq!(status, 1);
    let diagnostic = &report["diagnostics"][0];
    assert_eq!(diagnostic["code"], "W0309");
    // The one-click fix, applied as an editor would, gives the expected audience
    // and checks clean in one round trip.
    let fixed = apply(rules, &diagnostic["suggestions"][0]);
    assert!(
        fixed.contains("total_orders >= 0 and (loyalty_tier != \"platinum\" or loyalty_tier is missing)"),
        "{fixed}"
    );
    std::fs::write(dir.path().join("rules.seg"), &fixed).unwrap();
    assert_eq!(run_sizes(dir.path()), [("not_platinum".to_string(), 19_640)]);
    let (status, report) = check_json(dir.path(), &["--deny-warnings"]);
    assert_eq!((status, report["warnings"].as_u64()), (0, Some(0)), "{report}");
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
        report["diagnostics"][0]["message"].as_str().unwrap().contains("`W0302`"),
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
