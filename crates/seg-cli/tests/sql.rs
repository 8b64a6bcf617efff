//! `seg sql` and `seg check --target` as a user runs them, and the bundled
//! examples' SQL executed on DuckDB, PostgreSQL and DataFusion with the same
//! sizes as `seg run`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{code, repo_root, seg, stderr, text};
use std::collections::BTreeMap;

const AS_OF: &str = "2026-11-24T00:00:00Z";

#[test]
fn sql_prints_one_statement_with_a_column_per_segment_and_group() {
    let root = repo_root();
    let out = seg(
        &[
            "sql",
            "examples/lifecycle.seg",
            "--dialect",
            "postgres",
            "--as-of",
            AS_OF,
            "--from",
            "analytics.profiles",
        ],
        &root,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sql = text(&out.stdout);
    assert!(
        sql.starts_with("-- PostgreSQL SQL for examples/lifecycle.seg"),
        "{sql}"
    );
    assert!(sql.contains("as of 2026-11-24T00:00:00Z"), "{sql}");
    assert!(sql.contains("SELECT\n  \"customer_id\",\n"), "{sql}");
    assert!(sql.contains(" AS \"new_customers\",\n"), "{sql}");
    assert!(sql.contains(" AS \"lifecycle_stage\""), "{sql}");
    assert!(
        sql.trim_end().ends_with("FROM analytics.profiles;"),
        "{sql}"
    );
    // Relative time is fixed: 30 days before the instant, as a DATE.
    assert!(sql.contains("DATE '2026-10-25'"), "{sql}");
}

#[test]
fn where_prints_one_segments_condition() {
    let root = repo_root();
    let out = seg(
        &[
            "sql",
            "examples/lifecycle.seg",
            "--dialect",
            "duckdb",
            "--as-of",
            AS_OF,
            "--where",
            "new_customers",
        ],
        &root,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        text(&out.stdout),
        "COALESCE((\"signup_date\" BETWEEN DATE '2026-10-25' AND DATE '2026-11-24'), FALSE)\n"
    );
    // A priority group has no single condition.
    let out = seg(
        &[
            "sql",
            "examples/lifecycle.seg",
            "--dialect",
            "duckdb",
            "--where",
            "lifecycle_stage",
        ],
        &root,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("is a priority group"),
        "{}",
        stderr(&out)
    );
    // An unknown name is E0407 with a suggestion.
    let out = seg(
        &[
            "sql",
            "examples/lifecycle.seg",
            "--dialect",
            "duckdb",
            "--where",
            "new_customer",
        ],
        &root,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("E0407"), "{}", stderr(&out));
    assert!(stderr(&out).contains("new_customers"), "{}", stderr(&out));
}

#[test]
fn an_unknown_dialect_is_a_usage_error_listing_the_dialects() {
    let out = seg(
        &["sql", "examples/lifecycle.seg", "--dialect", "oracle"],
        &repo_root(),
    );
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("unknown dialect `oracle`"), "{err}");
    assert!(
        err.contains("duckdb, postgres, datafusion, spark, bigquery, snowflake"),
        "{err}"
    );
}

#[test]
fn a_refused_construct_writes_no_sql_and_exits_1() {
    let out = seg(
        &[
            "sql",
            "examples/geography.seg",
            "--dialect",
            "duckdb",
            "--as-of",
            AS_OF,
        ],
        &repo_root(),
    );
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("error[E0501]"), "{err}");
    assert!(
        err.contains("`lower` cannot be expressed exactly in DuckDB"),
        "{err}"
    );
    assert!(err.contains("no SQL was written"), "{err}");
    // The same program is fine for DataFusion, whose case mapping is Seg's.
    let out = seg(
        &["sql", "examples/geography.seg", "--dialect", "datafusion"],
        &repo_root(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn check_target_reports_refusals_in_every_format() {
    let root = repo_root();
    let out = seg(&["check", "examples/", "--target", "duckdb"], &root);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("E0501"), "{}", stderr(&out));
    // DataFusion refuses only the event histories of
    // examples/event_histories.seg (it cannot unnest a row's list in a
    // subquery; docs/sql.md).
    let out = seg(
        &[
            "check",
            "examples/",
            "--target",
            "datafusion",
            "--format",
            "json",
        ],
        &root,
    );
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(!diagnostics.is_empty());
    for d in diagnostics {
        assert_eq!(d["code"], "E0501", "{d}");
        assert_eq!(d["file"], "examples/event_histories.seg", "{d}");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains("over an event history cannot be expressed exactly in DataFusion"),
            "{d}"
        );
    }
    let out = seg(
        &[
            "check",
            "examples/geography.seg",
            "--target",
            "bigquery",
            "--format",
            "json",
        ],
        &root,
    );
    assert_eq!(code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| *c == "E0501"),
        "{codes:?}"
    );
}

/// Every bundled example, compiled by `seg sql` for each executed dialect,
/// run by the engine on the bundled profiles: every segment's count and
/// every priority group's assignments equal `seg run`'s.
#[test]
fn examples_have_the_same_sizes_on_every_engine() {
    if !seg_testkit::sql_engines_available() {
        return;
    }
    let root = repo_root();
    let work = tempfile::tempdir().unwrap();
    // The bundled profiles as they are, event histories included: the
    // PostgreSQL loader of `tests/sql/engines.py` makes them arrays of a
    // composite type.
    std::fs::copy(
        root.join("examples/profiles.parquet"),
        work.path().join("profiles.parquet"),
    )
    .unwrap();
    let mut expected: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let mut refused = 0;
    let mut examples: Vec<_> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    examples.sort();
    for path in &examples {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let rel = format!("examples/{stem}.seg");
        // An example no SQL target compiles has nothing to compare.
        let compiles = ["duckdb", "postgres", "datafusion"].iter().any(|dialect| {
            let out = seg(
                &["sql", &rel, "--dialect", dialect, "--as-of", AS_OF],
                &root,
            );
            code(&out) == 0
        });
        if !compiles {
            refused += 3;
            continue;
        }
        expected.insert(stem.clone(), common::run_bundled(&rel, &[]));
        for dialect in ["duckdb", "postgres", "datafusion"] {
            let out = seg(
                &["sql", &rel, "--dialect", dialect, "--as-of", AS_OF],
                &root,
            );
            if code(&out) == 1 {
                // Refused constructs are E05xx errors, and nothing is written.
                assert!(stderr(&out).contains("error[E050"), "{}", stderr(&out));
                assert!(out.stdout.is_empty());
                refused += 1;
                continue;
            }
            assert_eq!(code(&out), 0, "{rel} {dialect}: {}", stderr(&out));
            let dir = work.path().join("queries").join(dialect);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{stem}.sql")), &out.stdout).unwrap();
        }
    }
    seg_testkit::python(&[
        root.join("tests/sql/engines.py").as_os_str(),
        work.path().as_os_str(),
    ]);
    let mut compared = 0;
    for dialect in ["duckdb", "postgres", "datafusion"] {
        for (stem, summary) in &expected {
            let path = work
                .path()
                .join("results")
                .join(dialect)
                .join(format!("{stem}.json"));
            let Ok(body) = std::fs::read_to_string(&path) else {
                continue; // refused for this dialect
            };
            let result: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                result.get("error").is_none(),
                "{stem} on {dialect}: {result}"
            );
            let columns = result["columns"].as_array().unwrap();
            let rows = result["rows"].as_array().unwrap();
            assert_eq!(rows.len() as u64, summary["profiles"].as_u64().unwrap());
            let count = |column: &str, value: &serde_json::Value| -> u64 {
                let i = columns.iter().position(|c| c == column).unwrap();
                rows.iter().filter(|r| &r[i] == value).count() as u64
            };
            for s in summary["segments"].as_array().unwrap() {
                let name = s["name"].as_str().unwrap();
                assert_eq!(
                    count(name, &serde_json::Value::Bool(true)),
                    s["members"].as_u64().unwrap(),
                    "{stem}: {name} on {dialect}"
                );
                compared += 1;
            }
            for p in summary["priorities"].as_array().unwrap() {
                let group = p["name"].as_str().unwrap();
                for a in p["assignments"].as_array().unwrap() {
                    let segment = a["segment"].clone();
                    assert_eq!(
                        count(group, &segment),
                        a["profiles"].as_u64().unwrap(),
                        "{stem}: {group} = {segment} on {dialect}"
                    );
                }
                assert_eq!(
                    count(group, &serde_json::Value::Null),
                    p["unassigned"].as_u64().unwrap(),
                    "{stem}: {group} unassigned on {dialect}"
                );
            }
        }
    }
    eprintln!(
        "{compared} segment sizes equal on the engines; {refused} (example, dialect) pairs refused"
    );
    assert!(compared > 200, "only {compared} sizes compared");
}

#[test]
fn sql_json_gives_each_columns_expression_for_tools() {
    let out = seg(
        &[
            "sql",
            "examples/lifecycle.seg",
            "--dialect",
            "snowflake",
            "--as-of",
            AS_OF,
            "--segments",
            "new_customers,lifecycle_stage",
            "--format",
            "json",
        ],
        &repo_root(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["dialect"], "snowflake");
    assert_eq!(doc["as_of"], AS_OF);
    assert_eq!(doc["key"], "customer_id");
    let segments: Vec<&str> = doc["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(segments, ["new_customers"]);
    assert_eq!(doc["priorities"][0]["name"], "lifecycle_stage");
    assert!(
        doc["priorities"][0]["sql"]
            .as_str()
            .unwrap()
            .starts_with("CASE WHEN ")
    );
    assert!(doc["statement"].as_str().unwrap().starts_with("SELECT\n"));
}
