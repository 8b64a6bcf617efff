//! Event histories end to end (LANGUAGE.md §7.1): nested Parquet and Arrow
//! IPC files read and segmented by both engines, `seg test` with record
//! literals, CSV refused with a coded error naming the field, and
//! `seg schema infer` printing record types.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    Array, ArrayRef, Decimal128Array, Int64Array, ListArray, StringArray, StructArray,
    TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields};
use arrow::record_batch::RecordBatch;
use common::{code, seg, stderr, text};
use seg_testkit::batch;
use std::path::Path;
use std::sync::Arc;

const AS_OF: &str = "2026-11-24T00:00:00Z";
/// 2026-11-24T00:00:00Z in microseconds.
const NOW: i64 = 1_795_478_400_000_000;
const DAY: i64 = 86_400_000_000;

const RULES: &str = r#"schema {
  customer_id: int key
  orders: list<{ at: timestamp, amount: decimal, category: string }>
}

segment frequent_buyers { where count(orders where at within 30 days) >= 2 }
segment big_shoe_spenders { where sum(orders.amount where category == "shoes") > 100 }
segment no_orders { where not any(orders) }
segment unknown_history { where orders is missing }

test "two recent orders make a frequent buyer" {
  as_of 2026-11-24T00:00:00Z
  given { orders: [{ at: 2026-11-20T10:00:00Z, amount: 59.90, category: "shoes" },
                   { at: 2026-11-01T10:00:00Z, amount: 45, category: "shoes" }] }
  expect frequent_buyers
  expect big_shoe_spenders
  expect not no_orders
  expect not unknown_history
}

test "an empty history is no orders, not an unknown one" {
  given { orders: [] }
  expect no_orders
  expect not unknown_history
}

test "a record with fields left out counts, but adds nothing" {
  as_of 2026-11-24T00:00:00Z
  given { orders: [{ category: "shoes" }, { at: 2026-11-23T00:00:00Z }, { at: 2026-11-22T00:00:00Z }] }
  expect frequent_buyers
  expect not big_shoe_spenders
}

test "no history at all" {
  given {}
  expect no_orders
  expect unknown_history
}
"#;

/// Four customers: two recent shoe orders; one old order; an empty history;
/// a missing history.
fn data() -> RecordBatch {
    let at = TimestampMicrosecondArray::from(vec![NOW - DAY, NOW - 3 * DAY, NOW - 90 * DAY])
        .with_timezone("UTC");
    let amount = Decimal128Array::from(vec![6000, 5000, 999])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let category = StringArray::from(vec!["shoes", "shoes", "bags"]);
    // The children in another order than the rules declare, with an extra one.
    let extra = Int64Array::from(vec![1, 2, 3]);
    let fields = Fields::from(vec![
        Field::new("category", DataType::Utf8, true),
        Field::new("extra", DataType::Int64, true),
        Field::new("amount", amount.data_type().clone(), true),
        Field::new("at", at.data_type().clone(), true),
    ]);
    let records = StructArray::new(
        fields,
        vec![
            Arc::new(category) as ArrayRef,
            Arc::new(extra),
            Arc::new(amount),
            Arc::new(at),
        ],
        None,
    );
    let orders = ListArray::new(
        Arc::new(Field::new("item", records.data_type().clone(), true)),
        OffsetBuffer::new(vec![0, 2, 3, 3, 3].into()),
        Arc::new(records),
        Some(NullBuffer::from(vec![true, true, true, false])),
    );
    batch(vec![
        (
            "customer_id",
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as ArrayRef,
        ),
        ("orders", Arc::new(orders)),
    ])
}

fn members(dir: &Path, data: &str, engine: &str) -> Vec<(String, u64)> {
    let out = seg(
        &[
            "run",
            "rules.seg",
            "--data",
            data,
            "--summary",
            "json",
            "--as-of",
            AS_OF,
            "--engine",
            engine,
        ],
        dir,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::sizes(&json)
}

#[test]
fn nested_parquet_and_ipc_are_segmented_by_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    let data = data();
    common::write_parquet(&dir.path().join("orders.parquet"), &data);
    let file = std::fs::File::create(dir.path().join("orders.arrow")).unwrap();
    let mut writer = arrow::ipc::writer::FileWriter::try_new(file, &data.schema()).unwrap();
    writer.write(&data).unwrap();
    writer.finish().unwrap();
    let expected: Vec<(String, u64)> = [
        ("frequent_buyers", 1),
        ("big_shoe_spenders", 1),
        ("no_orders", 2),
        ("unknown_history", 1),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), *c))
    .collect();
    for file in ["orders.parquet", "orders.arrow"] {
        for engine in ["jit", "interp"] {
            assert_eq!(
                members(dir.path(), file, engine),
                expected,
                "{file} {engine}"
            );
        }
    }
}

#[test]
fn seg_test_reads_record_literals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    let out = seg(&["test", "rules.seg"], dir.path());
    assert_eq!(code(&out), 0, "{}\n{}", text(&out.stdout), stderr(&out));
}

#[test]
fn a_failing_history_test_fails() {
    let dir = tempfile::tempdir().unwrap();
    let rules = RULES.replace("expect not big_shoe_spenders", "expect big_shoe_spenders");
    std::fs::write(dir.path().join("rules.seg"), rules).unwrap();
    let out = seg(&["test", "rules.seg"], dir.path());
    assert_eq!(code(&out), 1, "{}\n{}", text(&out.stdout), stderr(&out));
}

#[test]
fn csv_cannot_hold_a_history() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    std::fs::write(dir.path().join("p.csv"), "customer_id,orders\n1,x\n").unwrap();
    let out = seg(
        &["run", "rules.seg", "--data", "p.csv", "--as-of", AS_OF],
        dir.path(),
    );
    let err = stderr(&out);
    assert_ne!(code(&out), 0);
    assert!(err.contains("E0402") && err.contains("`orders`"), "{err}");
}

#[test]
fn schema_infer_prints_record_types() {
    let dir = tempfile::tempdir().unwrap();
    let data = data();
    common::write_parquet(&dir.path().join("orders.parquet"), &data);
    let out = seg(&["schema", "infer", "orders.parquet"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let printed = text(&out.stdout);
    assert!(
        printed.contains(
            "  orders: list<{ category: string, extra: int, amount: decimal, at: timestamp }>\n"
        ),
        "{printed}"
    );
}

/// The customers of [`data`] as JSON lines, written as a marketer's export
/// might: a decimal as a number and as a string, timestamps as RFC 3339 text
/// (one with an offset), extra keys at both levels, the record keys in any
/// order, an empty history, and a missing one (the key left out).
const JSONL: &str = r#"{"customer_id": 1, "orders": [{"category": "shoes", "amount": 60.00, "at": "2026-11-23T00:00:00Z", "coupon": "X"}, {"at": "2026-11-21T01:00:00+01:00", "amount": "50.00", "category": "shoes"}], "note": "extra"}
{"customer_id": 2, "orders": [{"at": "2026-08-26T00:00:00Z", "amount": 9.99, "category": "bags"}]}
{"customer_id": 3, "orders": []}
{"customer_id": 4}
"#;

#[test]
fn jsonl_histories_equal_the_parquet_result_on_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    common::write_parquet(&dir.path().join("orders.parquet"), &data());
    std::fs::write(dir.path().join("orders.jsonl"), JSONL).unwrap();
    // `null` for the history is a missing one too, and a `null` element is a
    // missing record, which no aggregate counts.
    let nulls = JSONL
        .replace(
            r#"{"customer_id": 4}"#,
            r#"{"customer_id": 4, "orders": null}"#,
        )
        .replace(r#""category": "bags"}]"#, r#""category": "bags"}, null]"#);
    std::fs::write(dir.path().join("nulls.jsonl"), nulls).unwrap();
    let expected = members(dir.path(), "orders.parquet", "interp");
    assert_eq!(
        expected,
        [
            ("frequent_buyers".to_string(), 1),
            ("big_shoe_spenders".to_string(), 1),
            ("no_orders".to_string(), 2),
            ("unknown_history".to_string(), 1),
        ]
    );
    for file in ["orders.jsonl", "nulls.jsonl"] {
        for engine in ["jit", "interp"] {
            assert_eq!(
                members(dir.path(), file, engine),
                expected,
                "{file} {engine}"
            );
        }
    }
    // The null record is not counted (customer 2 has one order), while an
    // object with none of the record's keys is a record (customer 3).
    let nulls = std::fs::read_to_string(dir.path().join("nulls.jsonl"))
        .unwrap()
        .replace(r#""orders": []"#, r#""orders": [{"coupon": "X"}, {}]"#);
    std::fs::write(dir.path().join("nulls.jsonl"), nulls).unwrap();
    let count_rules = RULES.replace(
        "segment frequent_buyers { where count(orders where at within 30 days) >= 2 }",
        "segment frequent_buyers { where count(orders) >= 2 }",
    );
    std::fs::write(dir.path().join("rules.seg"), count_rules).unwrap();
    for engine in ["jit", "interp"] {
        let sizes = members(dir.path(), "nulls.jsonl", engine);
        assert_eq!(sizes[0], ("frequent_buyers".to_string(), 2), "{engine}");
    }
}

/// Runs RULES on one JSON line and returns the failure's stderr.
fn jsonl_failure(line: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    let text = format!("{{\"customer_id\": 1, \"orders\": []}}\n{line}\n");
    std::fs::write(dir.path().join("p.jsonl"), text).unwrap();
    let out = seg(
        &["run", "rules.seg", "--data", "p.jsonl", "--as-of", AS_OF],
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{line}: {err}");
    assert!(!err.contains("panicked"), "{line}: {err}");
    err
}

#[test]
fn jsonl_histories_that_are_not_lists_of_records_are_coded_errors() {
    for line in [
        r#"{"customer_id": 2, "orders": 7}"#,
        r#"{"customer_id": 2, "orders": {"at": "2026-11-23T00:00:00Z"}}"#,
        r#"{"customer_id": 2, "orders": "[]"}"#,
    ] {
        let err = jsonl_failure(line);
        assert!(
            err.contains("E0403") && err.contains("line 2") && err.contains("`orders`"),
            "{line}: {err}"
        );
        assert!(err.contains("a list of records"), "{line}: {err}");
    }
    for line in [
        r#"{"customer_id": 2, "orders": [1]}"#,
        r#"{"customer_id": 2, "orders": [["shoes"]]}"#,
    ] {
        let err = jsonl_failure(line);
        assert!(
            err.contains("E0403") && err.contains("line 2") && err.contains("`orders`"),
            "{line}: {err}"
        );
        assert!(err.contains("a record"), "{line}: {err}");
    }
    // A record field of the wrong type is named `history.field`.
    let err = jsonl_failure(r#"{"customer_id": 2, "orders": [{"at": "yesterday"}]}"#);
    assert!(
        err.contains("E0403") && err.contains("line 2") && err.contains("`orders.at`"),
        "{err}"
    );
    let err = jsonl_failure(r#"{"customer_id": 2, "orders": [{"amount": "12.3.4"}]}"#);
    assert!(
        err.contains("E0403") && err.contains("`orders.amount`") && err.contains("a decimal"),
        "{err}"
    );
}
