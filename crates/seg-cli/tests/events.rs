//! `seg run --events FIELD=FILE`: an event history from its own flat table
//! (LANGUAGE.md §7.1), matched to the profiles by key; the same sizes as the
//! history held in the profiles, on both engines; the rows that matched no
//! profile counted; bad uses refused with a clear message.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{ArrayRef, Decimal128Array, Int32Array, Int64Array, StringArray};
use arrow::array::{RecordBatch, TimestampMicrosecondArray};
use common::{code, seg, sizes, stderr, write_parquet};
use seg_testkit::batch;
use std::path::Path;
use std::sync::Arc;

const AS_OF: &str = "2026-11-24T00:00:00Z";
/// 2026-11-24T00:00:00Z in microseconds.
const NOW: i64 = 1_795_478_400_000_000;
const DAY: i64 = 86_400_000_000;

const RULES: &str = r#"schema {
  customer_id: int key
  age: int
  orders: list<{ at: timestamp, amount: decimal, category: string }>
}

segment frequent_buyers { where count(orders where at within 30 days) >= 2 }
segment big_shoe_spenders { where sum(orders.amount where category == "shoes") > 100 }
segment no_orders { where not any(orders) }
segment unknown_history { where orders is missing }
segment adults { where age >= 18 }
"#;

/// Customers 1–4; customer 1 has two recent shoe orders, customer 2 an old
/// one, customers 3 and 4 none.
fn profiles() -> RecordBatch {
    batch(vec![
        (
            "customer_id",
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as ArrayRef,
        ),
        (
            "age",
            Arc::new(Int64Array::from(vec![Some(30), None, Some(17), Some(60)])),
        ),
    ])
}

/// The orders, one row per order, with the key as Int32 (a narrower width
/// than the profiles'), columns in another order than the record's, an extra
/// column, an order of customer 99 (no such profile) and one without a key.
fn orders() -> RecordBatch {
    batch(vec![
        (
            "category",
            Arc::new(StringArray::from(vec![
                "shoes", "bags", "shoes", "shoes", "toys",
            ])) as ArrayRef,
        ),
        (
            "customer_id",
            Arc::new(Int32Array::from(vec![
                Some(1),
                Some(2),
                Some(1),
                Some(99),
                None,
            ])),
        ),
        (
            "note",
            Arc::new(StringArray::from(vec!["a", "b", "c", "d", "e"])),
        ),
        (
            "amount",
            Arc::new(
                Decimal128Array::from(vec![6000, 999, 5000, 100_000, 100_000])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ),
        (
            "at",
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    NOW - DAY,
                    NOW - 90 * DAY,
                    NOW - 3 * DAY,
                    NOW - DAY,
                    NOW - DAY,
                ])
                .with_timezone("UTC"),
            ),
        ),
    ])
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    write_parquet(&dir.path().join("profiles.parquet"), &profiles());
    write_parquet(&dir.path().join("orders.parquet"), &orders());
    dir
}

fn run_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "run",
        "rules.seg",
        "--data",
        "profiles.parquet",
        "--summary",
        "json",
        "--as-of",
        AS_OF,
    ];
    args.extend(extra);
    let out = seg(&args, dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_flat_event_table_fills_the_history_on_both_engines() {
    let dir = setup();
    let expected: Vec<(String, u64)> = [
        ("frequent_buyers", 1),
        ("big_shoe_spenders", 1),
        ("no_orders", 2),
        // Every profile has a history from the table (an empty one when it
        // has no row there), so none is missing.
        ("unknown_history", 0),
        ("adults", 2),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), *c))
    .collect();
    for engine in ["jit", "interp", "auto"] {
        let json = run_json(
            dir.path(),
            &["--events", "orders=orders.parquet", "--engine", engine],
        );
        assert_eq!(sizes(&json), expected, "{engine}");
        let events = &json["events"][0];
        assert_eq!(events["field"], "orders");
        assert_eq!(events["rows"], 5);
        assert_eq!(events["matched_rows"], 3);
        assert_eq!(events["unmatched_rows"], 1, "customer 99");
        assert_eq!(events["missing_key_rows"], 1);
    }
}

#[test]
fn the_human_summary_counts_the_events_that_matched_no_profile() {
    let dir = setup();
    let out = seg(
        &[
            "run",
            "rules.seg",
            "--data",
            "profiles.parquet",
            "--as-of",
            AS_OF,
            "--events",
            "orders=orders.parquet",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The summary line is part of the run table, on standard output.
    let err = common::text(&out.stdout);
    assert!(
        err.contains("events of orders from orders.parquet: 5 rows, 1 matched no profile, 1 without a key (ignored)"),
        "{err}"
    );
}

#[test]
fn results_list_every_profile_with_the_events_attached() {
    let dir = setup();
    let out = seg(
        &[
            "run",
            "rules.seg",
            "--data",
            "profiles.parquet",
            "--as-of",
            AS_OF,
            "--events",
            "orders=orders.parquet",
            "--out",
            "members.csv",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.path().join("members.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[1].starts_with("1,true,true,false,false,true"),
        "{csv}"
    );
    assert!(
        lines[3].starts_with("3,false,false,true,false,false"),
        "{csv}"
    );
}

#[test]
fn bad_events_options_are_refused_clearly() {
    let dir = setup();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "rules.seg",
            "--data",
            "profiles.parquet",
            "--as-of",
            AS_OF,
        ];
        args.extend(extra);
        seg(&args, dir.path())
    };
    let cases: [(&[&str], &str); 7] = [
        (&["--events", "orders"], "is not FIELD=FILE"),
        (
            &["--events", "ordrs=orders.parquet"],
            "the event histories are: orders",
        ),
        (&["--events", "age=orders.parquet"], "not an event history"),
        (&["--events", "orders=nope.parquet"], "nope.parquet"),
        (
            &[
                "--events",
                "orders=orders.parquet",
                "--events",
                "orders=orders.parquet",
            ],
            "is given twice",
        ),
        (
            &[
                "--events",
                "orders=orders.parquet",
                "--out",
                "orders.parquet",
            ],
            "would replace it",
        ),
        // DataFusion plans its own reads: refused in every build, not ignored.
        (
            &[
                "--events",
                "orders=orders.parquet",
                "--engine",
                "datafusion",
            ],
            "`--events` does not apply to `--engine datafusion`",
        ),
    ];
    for (extra, expected) in cases {
        let out = run(extra);
        assert_eq!(code(&out), 2, "{extra:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{extra:?}: {}",
            stderr(&out)
        );
    }
    // The events file is left as it was.
    let again = std::fs::read(dir.path().join("orders.parquet")).unwrap();
    assert!(again.starts_with(b"PAR1"));
}

#[test]
fn a_record_field_missing_from_the_events_is_a_binding_error() {
    let dir = setup();
    let o = orders();
    let without_amount = o.project(&[0, 1, 2, 4]).unwrap();
    write_parquet(&dir.path().join("orders.parquet"), &without_amount);
    let out = seg(
        &[
            "run",
            "rules.seg",
            "--data",
            "profiles.parquet",
            "--as-of",
            AS_OF,
            "--events",
            "orders=orders.parquet",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("error[E0401]"), "{err}");
    assert!(err.contains("`amount`"), "{err}");
}

/// `examples/event_histories.seg` on the bundled data: the same sizes from
/// the histories nested in `examples/profiles.parquet` and from the flat
/// tables `examples/orders.parquet` and `examples/web_events.parquet`, on
/// both engines; every segment a realistic audience (not nobody, not
/// everyone). The sizes are spelled out so that a change to the data or to
/// the language shows up in review.
#[test]
fn the_behavioural_examples_size_the_same_from_nested_and_flat_histories() {
    let run = |extra: &[&str]| sizes(&common::run_bundled("examples/event_histories.seg", extra));
    let nested = run(&["--engine", "jit"]);
    assert_eq!(run(&["--engine", "interp"]), nested);
    for engine in ["jit", "interp"] {
        let flat = run(&[
            "--events",
            "orders=examples/orders.parquet",
            "--events",
            "web_events=examples/web_events.parquet",
            "--engine",
            engine,
        ]);
        assert_eq!(flat, nested, "{engine}");
    }
    let expected: Vec<(String, u64)> = EXPECTED_SIZES
        .iter()
        .map(|(n, c)| (n.to_string(), *c))
        .collect();
    assert_eq!(nested, expected);
    for (name, size) in &nested {
        assert!(*size >= 10 && *size <= 10_000, "{name}: {size}");
    }
}

/// The sizes of `examples/event_histories.seg` on the bundled 20,000
/// profiles as of 2026-11-24.
const EXPECTED_SIZES: [(&str, u64); 12] = [
    ("frequent_buyers", 97),
    ("big_shoe_spenders", 11),
    ("cart_abandoners", 206),
    ("cross_category", 9707),
    ("lapsed_buyers", 7679),
    ("app_regulars", 6397),
    ("rfm_champions", 1822),
    ("rfm_at_risk", 1766),
    ("rfm_new_customers", 615),
    ("rfm_hibernating", 1442),
    ("cart_abandoners_week", 1075),
    ("shoes_and_apparel", 3859),
];
