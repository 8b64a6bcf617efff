//! Event histories through the JIT (LANGUAGE.md §7.1) mixed with profile
//! logic, arithmetic over aggregates, profile fields and segments inside
//! filters: the result agrees with the reference evaluator on random histories:
//! missing lists, empty lists, null records, null fields, NaN, ±0.0, integer
//! extremes, decimals of several scales, dictionary strings, struct children
//! in any order with extra children, `List` and `LargeList`, sliced batches.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, Int32Type, TimeUnit};
use arrow::record_batch::RecordBatch;
use common::{AS_OF, agree, batch};
use proptest::prelude::*;
use seg_testkit::Rng;
use std::sync::Arc;

const DAY: i64 = 86_400_000_000;

const PROGRAM: &str = r#"schema {
  id: int key
  i: int
  s: string
  orders: list<{ at: timestamp, amount: decimal, category: string, n: int, x: float, gift: bool }>
}

segment counted { where count(orders) >= 2 }
segment filtered { where count(orders where at within 30 days and amount > 10) >= 1 }
segment any_or_native { where i > 0 or any(orders where category == "shoes") }
segment not_any { where not any(orders where gift) and s is present }
segment summed { where sum(orders.amount where category != "bags") > 25.5 }
segment int_sum { where sum(orders.n) > 100 or sum(orders.n) is missing }
segment averaged { where avg(orders.x) >= 0.0 }
segment avg_decimal { where avg(orders.amount) < 20 }
segment extremes { where max(orders.category) == "toys" or min(orders.n) < 0 }
segment latest { where days_since(max(orders.at)) <= 7 }
segment distinct { where count_distinct(orders.category) >= 2 and count_distinct(orders.x) <= 2 }
segment arithmetic { where count(orders where category == s) * 2 > count(orders) + i }
segment profile_in_filter { where any(orders where n > i) }
segment segment_in_filter { where any(orders where counted and gift == false) }
segment missing_list { where orders is missing }
segment empty_list { where count(orders) == 0 and orders is present }
"#;

const CATEGORIES: [&str; 5] = ["shoes", "bags", "toys", "", "Shoes"];

/// One random batch of `rows` profiles.
fn random_batch(rng: &mut Rng, rows: usize) -> RecordBatch {
    let scale = [0i8, 2, 5][rng.below(3) as usize];
    let large = rng.below(2) == 0;
    let dictionary = rng.below(2) == 0;
    let reversed = rng.below(2) == 0;
    let mut offsets = vec![0usize];
    let mut list_valid = Vec::new();
    for _ in 0..rows {
        let missing = rng.below(6) == 0;
        let len = if missing { 0 } else { rng.below(5) as usize };
        list_valid.push(!missing);
        offsets.push(offsets.last().unwrap() + len);
    }
    let count = *offsets.last().unwrap();
    let null_every = [0u64, 2, 5][rng.below(3) as usize];
    let maybe = |rng: &mut Rng| null_every == 0 || rng.below(null_every) != 0;
    let mut record_valid = Vec::new();
    let (mut at, mut amount, mut category, mut n, mut x, mut gift) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..count {
        record_valid.push(rng.below(8) != 0);
        at.push(maybe(rng).then(|| AS_OF - (rng.below(60) as i64 - 5) * DAY));
        amount.push(maybe(rng).then(|| rng.below(5000) as i128 - 500));
        category.push(maybe(rng).then(|| CATEGORIES[rng.below(5) as usize]));
        n.push(maybe(rng).then(|| match rng.below(6) {
            0 => i64::MAX,
            1 => i64::MIN,
            k => k as i64 * 30 - 60,
        }));
        x.push(maybe(rng).then(|| match rng.below(6) {
            0 => f64::NAN,
            1 => -0.0,
            2 => 0.0,
            k => k as f64 - 4.5,
        }));
        gift.push(maybe(rng).then(|| rng.below(2) == 0));
    }
    let category: ArrayRef = if dictionary {
        Arc::new(category.into_iter().collect::<DictionaryArray<Int32Type>>())
    } else {
        Arc::new(category.into_iter().collect::<StringArray>())
    };
    let mut children: Vec<(Field, ArrayRef)> = vec![
        (
            Field::new("at", DataType::Timestamp(TimeUnit::Millisecond, None), true),
            Arc::new(
                at.into_iter()
                    .map(|t| t.map(|t| t / 1000))
                    .collect::<TimestampMillisecondArray>(),
            ),
        ),
        (
            Field::new("amount", DataType::Decimal128(20, scale), true),
            Arc::new(
                amount
                    .into_iter()
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(20, scale)
                    .unwrap(),
            ),
        ),
        (
            Field::new("category", category.data_type().clone(), true),
            category,
        ),
        (
            Field::new("n", DataType::Int64, true),
            Arc::new(n.into_iter().collect::<Int64Array>()),
        ),
        (
            Field::new("x", DataType::Float64, true),
            Arc::new(x.into_iter().collect::<Float64Array>()),
        ),
        (
            Field::new("gift", DataType::Boolean, true),
            Arc::new(gift.into_iter().collect::<BooleanArray>()),
        ),
        // A child the schema does not declare is ignored.
        (
            Field::new("extra", DataType::Int32, true),
            Arc::new(Int32Array::from(vec![7; count])),
        ),
    ];
    if reversed {
        children.reverse();
    }
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = children.into_iter().unzip();
    let records = StructArray::new(
        Fields::from(fields),
        arrays,
        Some(NullBuffer::from(record_valid)),
    );
    let item = Arc::new(Field::new("item", records.data_type().clone(), true));
    let nulls = Some(NullBuffer::from(list_valid));
    let orders: ArrayRef = if large {
        let offsets: Vec<i64> = offsets.iter().map(|&o| o as i64).collect();
        Arc::new(LargeListArray::new(
            item,
            OffsetBuffer::new(offsets.into()),
            Arc::new(records),
            nulls,
        ))
    } else {
        let offsets: Vec<i32> = offsets.iter().map(|&o| o as i32).collect();
        Arc::new(ListArray::new(
            item,
            OffsetBuffer::new(offsets.into()),
            Arc::new(records),
            nulls,
        ))
    };
    let ids: Int64Array = (0..rows as i64).collect::<Vec<_>>().into();
    let i: Int64Array = (0..rows)
        .map(|_| (rng.below(5) != 0).then(|| rng.below(7) as i64 - 3))
        .collect();
    let s: StringArray = (0..rows)
        .map(|_| (rng.below(5) != 0).then(|| CATEGORIES[rng.below(5) as usize]))
        .collect();
    batch(vec![
        ("id", Arc::new(ids) as ArrayRef),
        ("i", Arc::new(i)),
        ("s", Arc::new(s)),
        ("orders", orders),
    ])
}

#[test]
fn logic_around_aggregates_stays_native() {
    let mut rng = Rng::new(1);
    let data = random_batch(&mut rng, 20);
    let jit = agree(PROGRAM, &data);
    // Aggregates compile natively; whatever still runs in the evaluator is a
    // single condition, never a whole segment whose plain parts could be native.
    let fallbacks = jit.fallbacks();
    assert!(
        !fallbacks.iter().any(|f| f.segment_name == "missing_list"
            || f.segment_name == "counted"
            || f.segment_name == "filtered"),
        "{fallbacks:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_jit_agrees_with_the_evaluator_on_random_histories(seed in any::<u64>(), rows in 0usize..120) {
        let mut rng = Rng::new(seed);
        let data = random_batch(&mut rng, rows);
        agree(PROGRAM, &data);
    }

    /// The filter's calendar is the program's: a local date inside a filter,
    /// in a zone with a doubled midnight.
    #[test]
    fn filters_read_local_dates_in_the_programs_zone(seed in any::<u64>(), rows in 0usize..60) {
        let mut rng = Rng::new(seed);
        let data = random_batch(&mut rng, rows);
        let zoned = format!(
            "timezone \"America/Havana\"\n{PROGRAM}\nsegment local_days {{ where any(orders where day(at) == 1 or month(at) == 11) or count(orders where at within 3 days) >= 2 }}\n"
        );
        agree(&zoned, &data);
    }
}
