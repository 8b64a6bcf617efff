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
