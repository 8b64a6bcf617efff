//! Event histories in the evaluator (LANGUAGE.md §7.1): every aggregate and
//! every decided corner, worked out by hand. `T`/`F`/`U` are true, false and
//! unknown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    Array, ArrayRef, Decimal128Array, Float64Array, Int64Array, LargeListArray, ListArray,
    StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use arrow::record_batch::RecordBatch;
use common::{AS_OF, batch, run, truth};
use std::sync::Arc;

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const U: Option<bool> = None;

const SCHEMA: &str = r#"schema {
  id: int key
  tier: string
  orders: list<{ at: timestamp, amount: decimal, category: string, n: int, x: float }>
}"#;

const DAY: i64 = 86_400_000_000;

/// One order; `None` fields are missing.
#[derive(Clone, Default)]
struct Order {
    at: Option<i64>,
    /// Hundredths (the column's scale is 2).
    amount: Option<i128>,
    category: Option<&'static str>,
    n: Option<i64>,
    x: Option<f64>,
}

fn order(days_ago: i64, amount: i128, category: &'static str, n: Option<i64>, x: f64) -> Order {
    Order {
        at: Some(AS_OF - days_ago * DAY),
        amount: Some(amount),
        category: Some(category),
        n,
        x: Some(x),
    }
}

fn struct_fields() -> Fields {
    Fields::from(vec![
        Field::new("at", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Field::new("amount", DataType::Decimal128(12, 2), true),
        Field::new("category", DataType::Utf8, true),
        Field::new("n", DataType::Int64, true),
        Field::new("x", DataType::Float64, true),
    ])
}

/// The records of all rows, one after the other (`None` is a null record).
fn records(all: &[Option<Order>]) -> StructArray {
    let get = |f: &dyn Fn(&Order) -> bool| {
        all.iter()
            .map(|o| o.as_ref().is_some_and(f))
            .collect::<Vec<_>>()
    };
    let _ = get;
    let at: TimestampMicrosecondArray = all.iter().map(|o| o.as_ref()?.at).collect();
    let amount = all
        .iter()
        .map(|o| o.as_ref()?.amount)
        .collect::<Decimal128Array>()
        .with_precision_and_scale(12, 2)
        .unwrap();
    let category: StringArray = all.iter().map(|o| o.as_ref()?.category).collect();
    let n: Int64Array = all.iter().map(|o| o.as_ref()?.n).collect();
    let x: Float64Array = all.iter().map(|o| o.as_ref()?.x).collect();
    let valid = NullBuffer::from(all.iter().map(Option::is_some).collect::<Vec<_>>());
    StructArray::new(
        struct_fields(),
        vec![
            Arc::new(at) as ArrayRef,
            Arc::new(amount),
            Arc::new(category),
            Arc::new(n),
            Arc::new(x),
        ],
        Some(valid),
    )
}

/// A `List<Struct>` column: one history per row (`None` is a missing list).
fn histories(rows: &[Option<Vec<Option<Order>>>]) -> ArrayRef {
    let mut offsets = vec![0i32];
    let mut all = Vec::new();
    for row in rows {
        if let Some(list) = row {
            all.extend(list.iter().cloned());
        }
        offsets.push(i32::try_from(all.len()).unwrap());
    }
    let values = records(&all);
    let field = Arc::new(Field::new("item", values.data_type().clone(), true));
    let valid = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
    Arc::new(ListArray::new(
        field,
        OffsetBuffer::new(offsets.into()),
        Arc::new(values),
        Some(valid),
    ))
}

/// Rows:
/// 0. three orders: shoes yesterday, bags 40 days ago, shoes 2 days ago;
/// 1. an empty history;
/// 2. a missing history;
/// 3. a missing record and a record with every field missing;
/// 4. ints whose sum overflows an `int`;
/// 5. a NaN, and two ints whose average two roundings would get wrong.
fn shop() -> RecordBatch {
    let blank = Order::default();
    let big = 9_007_199_254_740_993; // 2^53 + 1
    let rows = vec![
        Some(vec![
            Some(order(1, 1000, "shoes", Some(1), 1.5)),
            Some(order(40, 2050, "bags", Some(2), -0.0)),
            Some(order(2, 525, "shoes", None, 0.0)),
        ]),
        Some(vec![]),
        None,
        Some(vec![None, Some(blank)]),
        Some(vec![
            Some(order(3, 1, "toys", Some(i64::MAX), 1.0)),
            Some(order(3, 1, "toys", Some(1), 1.0)),
        ]),
        Some(vec![
            Some(order(5, 100, "bags", Some(big), f64::NAN)),
            Some(order(5, 100, "bags", Some(big + 1), 2.0)),
        ]),
    ];
    batch(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6])) as ArrayRef,
        ),
        (
            "tier",
            Arc::new(StringArray::from(vec![
                Some("shoes"),
                Some("bags"),
                None,
                Some("shoes"),
                Some("toys"),
                Some("bags"),
            ])),
        ),
        ("orders", histories(&rows)),
    ])
}

fn check(condition: &str, expected: &[Option<bool>]) {
    assert_eq!(truth(SCHEMA, condition, &shop()), expected, "{condition}");
}

#[test]
fn count_counts_present_records_and_a_missing_list_as_empty() {
    check("count(orders) == 3", &[T, F, F, F, F, F]);
    check("count(orders) == 0", &[F, T, T, F, F, F]);
    // The null record is counted by nothing; the record of missing fields is a record.
    check("count(orders) == 1", &[F, F, F, T, F, F]);
    check("count(orders) >= 0", &[T, T, T, T, T, T]);
    // `is missing` still tells a missing list from an empty one.
    check("orders is missing", &[F, F, T, F, F, F]);
    check("orders is present", &[T, T, F, T, T, T]);
}

#[test]
fn a_record_counts_only_when_the_filter_is_true() {
    // Row 0: n = 1, 2 and missing; row 3: the record of missing fields is unknown.
    check("count(orders where n > 0) == 2", &[T, F, F, F, T, T]);
    check("count(orders where n > 0) == 0", &[F, T, T, T, F, F]);
    check("count(orders where not (n > 0)) == 0", &[T, T, T, T, T, T]);
    check("count(orders where n is missing) == 1", &[T, F, F, T, F, F]);
}

#[test]
fn any_is_never_unknown() {
    check(
        "any(orders where category == \"shoes\")",
        &[T, F, F, F, F, F],
    );
    check("any(orders)", &[T, F, F, T, T, T]);
    check("any(orders where n > 100)", &[F, F, F, F, T, T]);
}

#[test]
fn sum_is_exact_and_missing_over_nothing_or_on_overflow() {
    check("sum(orders.amount) == 35.75", &[T, U, U, U, F, F]);
    check("sum(orders.amount) is missing", &[F, T, T, T, F, F]);
    check("sum(orders.n) == 3", &[T, U, U, U, U, F]);
    // i64::MAX + 1 does not fit an int.
    check("sum(orders.n) is missing", &[F, T, T, T, T, F]);
    check(
        "sum(orders.amount where category == \"shoes\") == 15.25",
        &[T, U, U, U, U, U],
    );
    // NaN is skipped: row 5's sum is its 2.0 alone.
    check("sum(orders.x) == 2.0e0", &[F, U, U, U, T, T]);
}

#[test]
fn avg_is_the_exact_sum_over_the_count_rounded_once() {
    check("avg(orders.n) == 1.5", &[T, U, U, U, F, F]);
    // (2^53 + 1 + 2^53 + 2) / 2 = 2^53 + 1.5, nearest float 2^53 + 2; summing
    // the two as floats first would give 2^53.
    check("avg(orders.n) == 9.007199254740994e15", &[F, U, U, U, F, T]);
    check(
        "avg(orders.amount) == 11.916666666666666",
        &[T, U, U, U, F, F],
    );
    check("avg(orders.x) == 0.5", &[T, U, U, U, F, F]);
    assert_eq!(seg_eval::ratio_to_f64(1, 3, 0), 1.0 / 3.0);
    assert_eq!(seg_eval::ratio_to_f64(-7, 2, 1), -0.35);
    assert_eq!(seg_eval::ratio_to_f64(0, 5, 3), 0.0);
    assert_eq!(
        seg_eval::ratio_to_f64(18_014_398_509_481_987, 2, 0),
        9_007_199_254_740_994.0
    );
}

#[test]
fn min_and_max_order_strings_times_and_numbers() {
    check("max(orders.category) == \"shoes\"", &[T, U, U, U, F, F]);
    check("min(orders.category) == \"bags\"", &[T, U, U, U, F, T]);
    check("days_since(max(orders.at)) == 1", &[T, U, U, U, F, F]);
    check("days_since(min(orders.at)) == 40", &[T, U, U, U, F, F]);
    check("min(orders.amount) == 5.25", &[T, U, U, U, F, F]);
    check("max(orders.n) == 9223372036854775807", &[F, U, U, U, T, F]);
    // NaN is skipped.
    check("min(orders.x) == 2.0e0", &[F, U, U, U, F, T]);
}

#[test]
fn count_distinct_compares_as_equality_does() {
    // -0.0 equals 0.0; NaN is skipped.
    check("count_distinct(orders.x) == 2", &[T, F, F, F, F, F]);
    check("count_distinct(orders.x) == 1", &[F, F, F, F, T, T]);
    check("count_distinct(orders.category) == 2", &[T, F, F, F, F, F]);
    check("count_distinct(orders.category) == 0", &[F, T, T, T, F, F]);
}

#[test]
fn filters_see_profile_fields_relative_time_and_arithmetic() {
    // `tier` is the row's: row 0 counts its two shoes, row 5 its two bags.
    check(
        "count(orders where category == tier) == 2",
        &[T, F, F, F, T, T],
    );
    check(
        "count(orders where at within 30 days) == 2",
        &[T, F, F, F, T, T],
    );
    check(
        "count(orders where at after 10 days ago and amount > 6) == 1",
        &[T, F, F, F, F, F],
    );
    // Aggregates inside arithmetic and comparisons.
    check(
        "count(orders where category == \"shoes\") * 2 > count(orders)",
        &[T, F, F, F, F, F],
    );
    check(
        "sum(orders.amount) / count(orders) > 11",
        &[T, U, U, U, F, F],
    );
}

#[test]
fn filters_see_segment_memberships() {
    let source = format!(
        "{SCHEMA}\nsegment shoe_tier {{ where tier == \"shoes\" }}\nsegment s {{ where any(orders where shoe_tier and n > 0) }}\n"
    );
    let result = run(&source, &shop(), AS_OF);
    let s: Vec<bool> = (0..6).map(|i| result[1].value(i)).collect();
    assert_eq!(s, vec![true, false, false, false, false, false]);
}

#[test]
fn record_fields_shadow_profile_fields() {
    let schema = r#"schema {
  id: int key
  tier: string
  category: string
  orders: list<{ at: timestamp, amount: decimal, category: string, n: int, x: float }>
}"#;
    let mut columns: Vec<(&str, ArrayRef)> = Vec::new();
    let shop = shop();
    for name in ["id", "tier"] {
        columns.push((name, shop.column_by_name(name).unwrap().clone()));
    }
    columns.push((
        "category",
        Arc::new(StringArray::from(vec![Some("toys"); 6])),
    ));
    columns.push(("orders", shop.column_by_name("orders").unwrap().clone()));
    let data = batch(columns);
    // Inside `where`, `category` is the record's, not the profile's "toys".
    assert_eq!(
        truth(
            schema,
            "count(orders where category == \"shoes\") == 2",
            &data
        ),
        vec![T, F, F, F, F, F]
    );
}

#[test]
fn sliced_batches_and_large_lists_give_the_same_results() {
    let conditions = [
        "count(orders where n > 0) == 2",
        "sum(orders.amount) == 35.75",
        "orders is missing",
        "any(orders)",
        "max(orders.category) == \"toys\"",
    ];
    let whole = shop();
    let sliced = whole.slice(2, 4);
    for condition in conditions {
        let all = truth(SCHEMA, condition, &whole);
        assert_eq!(
            truth(SCHEMA, condition, &sliced),
            all[2..6].to_vec(),
            "{condition}"
        );
        // The same lists as LargeList.
        let list = whole.column_by_name("orders").unwrap();
        let list = list.as_any().downcast_ref::<ListArray>().unwrap();
        let large = LargeListArray::new(
            Arc::new(Field::new("item", list.values().data_type().clone(), true)),
            OffsetBuffer::new(
                list.offsets()
                    .iter()
                    .map(|&o| i64::from(o))
                    .collect::<Vec<_>>()
                    .into(),
            ),
            list.values().clone(),
            list.nulls().cloned(),
        );
        let data = batch(vec![
            ("id", whole.column_by_name("id").unwrap().clone()),
            ("tier", whole.column_by_name("tier").unwrap().clone()),
            ("orders", Arc::new(large) as ArrayRef),
        ]);
        assert_eq!(
            truth(SCHEMA, condition, &data),
            all,
            "{condition} (LargeList)"
        );
    }
}

#[test]
fn a_null_list_with_a_non_empty_range_is_still_empty() {
    // Arrow allows a null list entry to span values; they are not the row's.
    let values = records(&[
        Some(order(1, 100, "shoes", Some(1), 1.0)),
        Some(order(1, 100, "shoes", Some(1), 1.0)),
    ]);
    let list = ListArray::new(
        Arc::new(Field::new("item", values.data_type().clone(), true)),
        OffsetBuffer::new(vec![0, 1, 2].into()),
        Arc::new(values),
        Some(NullBuffer::from(vec![false, true])),
    );
    let data = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("tier", Arc::new(StringArray::from(vec!["a", "b"]))),
        ("orders", Arc::new(list)),
    ]);
    assert_eq!(truth(SCHEMA, "count(orders) == 1", &data), vec![F, T]);
}
