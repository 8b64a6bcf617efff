//! `seg diff` (two versions of the rules, a git revision, two snapshots of
//! the data) and `seg run --members` (activation export), on the bundled
//! profiles, checked against what `seg run --out` writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{Array, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::Int64Type;
use common::{code, repo_root, seg, stderr, text};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

const AS_OF: &str = "2026-11-24T00:00:00Z";

/// A copy of `examples/spend.seg` (with its schema) in `dir`, edited: the
/// mid-spend band starts at 300 instead of 250, `platinum_members` is
/// renamed `platinum`, `bargain_hunters` is replaced by a stricter
/// `bargain_hunters2`.
fn edited_spend(dir: &Path) -> std::path::PathBuf {
    let root = repo_root();
    std::fs::copy(root.join("examples/schema.seg"), dir.join("schema.seg")).unwrap();
    let text = std::fs::read_to_string(root.join("examples/spend.seg")).unwrap();
    let edited = text
        .replace(
            "where total_spend_12m >= 250.00 and total_spend_12m < 1_000.00",
            "where total_spend_12m >= 300.00 and total_spend_12m < 1_000.00",
        )
        .replace("platinum_members", "platinum")
        .replace("bargain_hunters", "bargain_hunters2")
        .replace("avg_order_value < 30.0", "avg_order_value < 25.0");
    assert_ne!(text, edited);
    let path = dir.join("spend.seg");
    std::fs::write(&path, edited).unwrap();
    path
}

/// `seg diff ARGS --as-of AS_OF --format json` in the repository, asserting exit 0.
fn diff_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--as-of", AS_OF, "--format", "json"]);
    let out = seg(&all, &repo_root());
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The segment named `name` in a diff document.
fn segment<'a>(diff: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    diff["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no segment {name} in {diff}"))
}

/// A CSV file written by seg as rows of (header → value).
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|line| {
            header
                .iter()
                .cloned()
                .zip(line.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

/// The keys of members of `segment` in a `seg run --out` CSV file.
fn members(rows: &[BTreeMap<String, String>], segment: &str) -> BTreeSet<i64> {
    rows.iter()
        .filter(|r| r[segment] == "true")
        .map(|r| r["customer_id"].parse().unwrap())
        .collect()
}

/// `seg run RULES --data DATA --out OUT.csv` (exit 0), its rows.
fn run_out(rules: &Path, data: &Path, out: &Path) -> Vec<BTreeMap<String, String>> {
    let args = [
        "run",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--out",
        out.to_str().unwrap(),
    ];
    let output = seg(&args, &repo_root());
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    csv_rows(out)
}

#[test]
fn a_changed_threshold_moves_exactly_the_profiles_two_runs_disagree_on() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_spend(dir.path());
    let diff = diff_json(&[
        "examples/spend.seg",
        new.to_str().unwrap(),
        "--data",
        "examples/profiles.parquet",
    ]);
    assert_eq!(diff["form"], "rules");
    let root = repo_root();
    let old_rows = run_out(
        &root.join("examples/spend.seg"),
        &root.join("examples/profiles.parquet"),
        &dir.path().join("old.csv"),
    );
    let new_rows = run_out(
        &new,
        &root.join("examples/profiles.parquet"),
        &dir.path().join("new.csv"),
    );
    let (before, after) = (
        members(&old_rows, "mid_spenders"),
        members(&new_rows, "mid_spenders"),
    );
    let mid = segment(&diff, "mid_spenders");
    assert_eq!(mid["rule"], "changed");
    assert_eq!(mid["before"], before.len() as u64);
    assert_eq!(mid["after"], after.len() as u64);
    let entered: Vec<i64> = after.difference(&before).copied().collect();
    let left: Vec<i64> = before.difference(&after).copied().collect();
    assert_eq!(mid["entered"], entered.len() as u64);
    assert_eq!(mid["left"], left.len() as u64);
    // Raising the lower bound only lets profiles out.
    assert_eq!(entered.len(), 0);
    assert!(!left.is_empty());
    // The sample is the first keys that left, in key order.
    let sample: Vec<String> = left.iter().take(5).map(|k| k.to_string()).collect();
    assert_eq!(mid["left_sample"], serde_json::json!(sample));
    let diff_text = mid["rule_diff"].as_str().unwrap();
    assert!(
        diff_text.contains("-  where total_spend_12m >= 250.00"),
        "{diff_text}"
    );
    assert!(
        diff_text.contains("+  where total_spend_12m >= 300.00"),
        "{diff_text}"
    );
    // The same sizes as `seg run` reports.
    let old_sizes = common::sizes(&common::run_bundled("examples/spend.seg", &[]));
    let old_mid = old_sizes.iter().find(|(n, _)| n == "mid_spenders").unwrap();
    assert_eq!(mid["before"], old_mid.1);
    // Untouched segments are unchanged.
    let whales = segment(&diff, "whales");
    assert_eq!(whales["rule"], "same");
    assert_eq!(
        (whales["entered"].as_u64(), whales["left"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn renames_additions_and_removals_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_spend(dir.path());
    let diff = diff_json(&[
        "examples/spend.seg",
        new.to_str().unwrap(),
        "--data",
        "examples/profiles.parquet",
        "--sample",
        "2",
    ]);
    let platinum = segment(&diff, "platinum");
    assert_eq!(platinum["rule"], "renamed");
    assert_eq!(platinum["old_name"], "platinum_members");
    assert_eq!(platinum["before"], platinum["after"]);
    assert_eq!(platinum["entered"], 0);
    assert_eq!(platinum["left"], 0);
    // Another condition under another name: not a rename.
    let added = segment(&diff, "bargain_hunters2");
    assert_eq!(added["rule"], "added");
    assert_eq!(added["before"], serde_json::Value::Null);
    assert_eq!(added["entered"], added["after"]);
    assert_eq!(added["entered_sample"].as_array().unwrap().len(), 2);
    let removed = segment(&diff, "bargain_hunters");
    assert_eq!(removed["rule"], "removed");
    assert_eq!(removed["after"], serde_json::Value::Null);
    assert_eq!(removed["left"], removed["before"]);
}

/// `seg diff examples/spend.seg NEW --format markdown EXTRA…` on the
/// bundled profiles, asserting exit 0; its standard output.
fn markdown_against_spend(new: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "diff",
        "examples/spend.seg",
        new.to_str().unwrap(),
        "--data",
        "examples/profiles.parquet",
        "--as-of",
        AS_OF,
        "--format",
        "markdown",
    ];
    args.extend_from_slice(extra);
    let out = seg(&args, &repo_root());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    text(&out.stdout)
}

#[test]
fn markdown_for_a_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_spend(dir.path());
    let markdown = markdown_against_spend(&new, &["--sample", "3"])
        .replace(dir.path().to_str().unwrap(), "[TMP]");
    assert!(markdown.contains("<details>"));
    insta::assert_snapshot!(markdown);
}

#[test]
fn markdown_quotes_param_changes_apart_from_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    std::fs::copy(
        root.join("examples/schema.seg"),
        dir.path().join("schema.seg"),
    )
    .unwrap();
    let text_before = std::fs::read_to_string(root.join("examples/spend.seg")).unwrap();
    let edited = text_before.replace("param vip_threshold = 1000", "param vip_threshold = 1200");
    assert_ne!(text_before, edited);
    let new = dir.path().join("spend.seg");
    std::fs::write(&new, edited).unwrap();
    let markdown = markdown_against_spend(&new, &[]);
    // A blank line ends the quote: a table right after a quoted line would
    // render inside the quote, as text.
    assert!(
        markdown.contains("> - param vip_threshold: 1000 → 1200\n\n| segment |"),
        "{markdown}"
    );
}

#[test]
fn human_output_lists_unchanged_segments_compactly() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_spend(dir.path());
    let out = seg(
        &[
            "diff",
            "examples/spend.seg",
            new.to_str().unwrap(),
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--sample",
            "3",
        ],
        &repo_root(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let human = text(&out.stdout).replace(dir.path().to_str().unwrap(), "[TMP]");
    assert!(!human.contains('\x1b'), "no colour without a terminal");
    insta::assert_snapshot!(human);
}

#[test]
fn base_reads_the_old_rules_and_their_uses_from_git() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", text(&status.stderr));
    };
    let root = repo_root();
    // The rules `use` a second file, changed in the working tree after the
    // commit: the old side must read it at HEAD, the new side as it is now.
    let with_use = |dir: &Path| {
        let spend = dir.join("spend.seg");
        let text = std::fs::read_to_string(&spend).unwrap();
        std::fs::write(&spend, format!("use \"extra.seg\"\n{text}")).unwrap();
    };
    let extra = |threshold: u32| {
        std::fs::write(
            dir.path().join("extra.seg"),
            format!("use \"schema.seg\"\n\nsegment many_orders {{\n  where total_orders > {threshold}\n}}\n"),
        )
        .unwrap();
    };
    std::fs::copy(
        root.join("examples/schema.seg"),
        dir.path().join("schema.seg"),
    )
    .unwrap();
    std::fs::copy(
        root.join("examples/spend.seg"),
        dir.path().join("spend.seg"),
    )
    .unwrap();
    with_use(dir.path());
    extra(5);
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "rules"]);
    edited_spend(dir.path());
    with_use(dir.path());
    extra(6);
    let data = root.join("examples/profiles.parquet");
    let out = seg(
        &[
            "diff",
            "spend.seg",
            "--base",
            "HEAD",
            "--data",
            data.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let diff: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let many = segment(&diff, "many_orders");
    assert_eq!(many["rule"], "changed");
    assert_eq!(many["entered"], 0);
    assert!(many["left"].as_u64().unwrap() > 0);
    assert_eq!(diff["old"]["rules"], "spend.seg@HEAD");
    assert_eq!(segment(&diff, "mid_spenders")["rule"], "changed");
    assert_eq!(segment(&diff, "platinum")["rule"], "renamed");

    let out = seg(
        &[
            "diff",
            "spend.seg",
            "--base",
            "no-such-ref",
            "--data",
            data.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("error[E0801]"), "{}", stderr(&out));
}

/// The bundled profiles as one batch.
fn bundled() -> RecordBatch {
    let file = std::fs::File::open(repo_root().join("examples/profiles.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .with_batch_size(100_000)
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// `batch` with column `name` replaced.
fn with_column(batch: &RecordBatch, name: &str, column: Arc<dyn Array>) -> RecordBatch {
    let index = batch.schema().index_of(name).unwrap();
    let mut columns = batch.columns().to_vec();
    columns[index] = column;
    RecordBatch::try_new(batch.schema(), columns).unwrap()
}

#[test]
fn two_snapshots_of_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let old = bundled();
    // The new snapshot: the first 10 profiles gone, every 7th profile's
    // orders doubled, and 4 new profiles (copies of rows 100.. with new keys).
    let rest = old.slice(10, old.num_rows() - 10);
    let original = rest.column_by_name("total_orders").unwrap();
    let wide = arrow::compute::cast(original, &arrow::datatypes::DataType::Int64).unwrap();
    let orders = wide.as_primitive::<Int64Type>();
    let doubled: Int64Array = (0..orders.len())
        .map(|i| {
            (!orders.is_null(i)).then(|| {
                if i % 7 == 0 {
                    orders.value(i) * 2
                } else {
                    orders.value(i)
                }
            })
        })
        .collect();
    let doubled = arrow::compute::cast(&doubled, original.data_type()).unwrap();
    let rest = with_column(&rest, "total_orders", doubled);
    let fresh = old.slice(100, 4);
    let keys = Int64Array::from(vec![9_000_001, 9_000_002, 9_000_003, 9_000_004]);
    let key_type = old
        .column_by_name("customer_id")
        .unwrap()
        .data_type()
        .clone();
    let keys = arrow::compute::cast(&keys, &key_type).unwrap();
    let fresh = with_column(&fresh, "customer_id", keys);
    // And 3 rows repeated: a counted warning, not an error.
    let repeated = rest.slice(200, 3);
    let new = arrow::compute::concat_batches(&old.schema(), &[rest, fresh, repeated]).unwrap();
    let new_path = dir.path().join("new.parquet");
    common::write_parquet(&new_path, &new);

    let diff = diff_json(&[
        "examples/spend.seg",
        "--data",
        "examples/profiles.parquet",
        "--data",
        new_path.to_str().unwrap(),
    ]);
    assert_eq!(diff["form"], "data");
    assert_eq!(diff["appeared"], 4);
    assert_eq!(diff["disappeared"], 10);
    assert_eq!(diff["old"]["profiles"], 20_000);
    assert_eq!(diff["new"]["profiles"], 19_997);
    assert_eq!(diff["new"]["duplicate_keys"], 3);
    assert_eq!(diff["old"]["duplicate_keys"], 0);
    let human = seg(
        &[
            "diff",
            "examples/spend.seg",
            "--data",
            "examples/profiles.parquet",
            "--data",
            new_path.to_str().unwrap(),
            "--as-of",
            AS_OF,
        ],
        &repo_root(),
    );
    assert_eq!(code(&human), 0, "{}", stderr(&human));
    let human = text(&human.stdout);
    assert!(
        human.contains("4 profiles appeared and 10 disappeared"),
        "{human}"
    );
    assert!(human.contains("warning: 3 rows of"), "{human}");

    let root = repo_root();
    let rules = root.join("examples/spend.seg");
    let old_rows = run_out(
        &rules,
        &root.join("examples/profiles.parquet"),
        &dir.path().join("old.csv"),
    );
    let new_rows = run_out(&rules, &new_path, &dir.path().join("new.csv"));
    let new_keys: BTreeSet<i64> = new_rows
        .iter()
        .map(|r| r["customer_id"].parse().unwrap())
        .collect();
    let old_keys: BTreeSet<i64> = old_rows
        .iter()
        .map(|r| r["customer_id"].parse().unwrap())
        .collect();
    let mut moved = 0;
    for s in diff["segments"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let (before, after) = (members(&old_rows, name), members(&new_rows, name));
        let entered: BTreeSet<i64> = after.difference(&before).copied().collect();
        let left: BTreeSet<i64> = before.difference(&after).copied().collect();
        assert_eq!(s["entered"], entered.len() as u64, "{name}");
        assert_eq!(s["left"], left.len() as u64, "{name}");
        let appeared = entered.iter().filter(|k| !old_keys.contains(k)).count();
        let disappeared = left.iter().filter(|k| !new_keys.contains(k)).count();
        assert_eq!(s["entered_appeared"], appeared as u64, "{name}");
        assert_eq!(s["left_disappeared"], disappeared as u64, "{name}");
        moved += entered.len() + left.len();
    }
    assert!(moved > 0, "the edit moved some profiles");
}

#[test]
fn a_data_diff_needs_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.seg");
    std::fs::write(
        &rules,
        "schema {\n  total_orders: int\n}\nsegment buyers { where total_orders > 0 }\n",
    )
    .unwrap();
    let data = repo_root().join("examples/profiles.parquet");
    let data = data.to_str().unwrap();
    let out = seg(
        &[
            "diff",
            rules.to_str().unwrap(),
            "--data",
            data,
            "--data",
            data,
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("declares none"), "{}", stderr(&out));

    // Two versions of keyless rules still compare, by row.
    let changed = dir.path().join("changed.seg");
    std::fs::write(
        &changed,
        "schema {\n  total_orders: int\n}\nsegment buyers { where total_orders > 1 }\n",
    )
    .unwrap();
    let out = seg(
        &[
            "diff",
            rules.to_str().unwrap(),
            changed.to_str().unwrap(),
            "--data",
            data,
            "--format",
            "json",
            "--sample",
            "1",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let diff: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let buyers = segment(&diff, "buyers");
    assert_eq!(buyers["entered"], 0);
    assert!(
        buyers["left_sample"][0]
            .as_str()
            .unwrap()
            .starts_with("row ")
    );

    // Versions that name profiles differently cannot be joined.
    let keyed = dir.path().join("keyed.seg");
    std::fs::write(
        &keyed,
        "schema {\n  customer_id: int key\n  total_orders: int\n}\nsegment buyers { where total_orders > 0 }\n",
    )
    .unwrap();
    let out = seg(
        &[
            "diff",
            rules.to_str().unwrap(),
            keyed.to_str().unwrap(),
            "--data",
            data,
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("different keys"), "{}", stderr(&out));
}

#[test]
fn diff_usage_and_rule_errors() {
    let root = repo_root();
    let out = seg(
        &[
            "diff",
            "examples/spend.seg",
            "--data",
            "examples/profiles.parquet",
        ],
        &root,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("two things to compare"));
    let out = seg(
        &[
            "diff",
            "examples/spend.seg",
            "examples/spend.seg",
            "--data",
            "examples/profiles.parquet",
            "--data",
            "examples/profiles.parquet",
        ],
        &root,
    );
    assert_eq!(code(&out), 2);
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.seg");
    std::fs::write(&broken, "schema { x: int }\nsegment a { where y > 1 }\n").unwrap();
    let out = seg(
        &[
            "diff",
            "examples/spend.seg",
            broken.to_str().unwrap(),
            "--data",
            "examples/profiles.parquet",
        ],
        &root,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("the new rules have errors"));
    // The same rules on both sides: exit 0, everything unchanged.
    let diff = diff_json(&[
        "examples/spend.seg",
        "examples/spend.seg",
        "--data",
        "examples/profiles.parquet",
    ]);
    assert!(
        diff["segments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["rule"] == "same" && s["entered"] == 0 && s["left"] == 0)
    );
}

/// `seg run examples/spend.seg --members TARGET --out OUT EXTRA..` in the
/// repository.
fn export(target: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "examples/spend.seg",
        "--data",
        "examples/profiles.parquet",
        "--as-of",
        AS_OF,
        "--members",
        target,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    seg(&args, &repo_root())
}

#[test]
fn a_segment_export_holds_its_members_with_the_named_columns() {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    let results = run_out(
        &root.join("examples/spend.seg"),
        &root.join("examples/profiles.parquet"),
        &dir.path().join("results.csv"),
    );
    let audience = dir.path().join("audience.csv");
    let out = export(
        "big_spenders",
        &audience,
        &["--columns", "email,churn_score"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows = csv_rows(&audience);
    // Row by row: the members `seg run --out` marks, in data order.
    let expected: Vec<&String> = results
        .iter()
        .filter(|r| r["big_spenders"] == "true")
        .map(|r| &r["customer_id"])
        .collect();
    let got: Vec<&String> = rows.iter().map(|r| &r["customer_id"]).collect();
    assert_eq!(got, expected);
    // The named columns, pii included, as the data holds them (neither
    // column is read by the rules).
    let data = bundled();
    let ids = data.column_by_name("customer_id").unwrap();
    let emails = data.column_by_name("email").unwrap();
    let email_of: BTreeMap<String, String> = (0..data.num_rows())
        .map(|i| {
            let email = if emails.is_null(i) {
                String::new()
            } else {
                arrow::util::display::array_value_to_string(emails, i).unwrap()
            };
            (
                arrow::util::display::array_value_to_string(ids, i).unwrap(),
                email,
            )
        })
        .collect();
    assert!(rows.iter().any(|r| r["email"].contains('@')));
    for row in &rows {
        assert_eq!(row["email"], email_of[&row["customer_id"]]);
        assert!(row.contains_key("churn_score"));
    }
    assert_eq!(rows[0].len(), 3);

    // Without --columns, only the key.
    let keys_only = dir.path().join("keys.parquet");
    let out = export("big_spenders", &keys_only, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let file = std::fs::File::open(&keys_only).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    assert_eq!(batches[0].num_columns(), 1);
    assert_eq!(
        batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
        expected.len()
    );
}

#[test]
fn a_priority_group_export_names_the_assigned_segment() {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    let results = run_out(
        &root.join("examples/spend.seg"),
        &root.join("examples/profiles.parquet"),
        &dir.path().join("results.csv"),
    );
    let audience = dir.path().join("bands.csv");
    let out = export("spend_band", &audience, &["--columns", "loyalty_tier"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows = csv_rows(&audience);
    let expected: Vec<(&String, &String)> = results
        .iter()
        .filter(|r| !r["spend_band"].is_empty())
        .map(|r| (&r["customer_id"], &r["spend_band"]))
        .collect();
    let got: Vec<(&String, &String)> = rows
        .iter()
        .map(|r| (&r["customer_id"], &r["segment"]))
        .collect();
    assert_eq!(got, expected);
    assert!(rows[0].contains_key("loyalty_tier"));
}

#[test]
fn export_errors_suggest_names() {
    let dir = tempfile::tempdir().unwrap();
    let audience = dir.path().join("a.csv");
    let out = export("big_spender", &audience, &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("did you mean `big_spenders`?"),
        "{}",
        stderr(&out)
    );
    let out = export("big_spenders", &audience, &["--columns", "emial"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("did you mean `email`?"),
        "{}",
        stderr(&out)
    );
    assert!(!audience.exists(), "nothing written on an error");
    let out = export("whales", &audience, &["--segments", "big_spenders"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("not among the segments run"),
        "{}",
        stderr(&out)
    );
    // --columns needs --members, --members needs --out.
    let out = seg(
        &[
            "run",
            "examples/spend.seg",
            "--data",
            "examples/profiles.parquet",
            "--members",
            "whales",
        ],
        &repo_root(),
    );
    assert_eq!(code(&out), 2);
}
