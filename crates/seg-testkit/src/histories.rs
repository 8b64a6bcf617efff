//! Random profiles with an event history (`orders: list<{..}>`), for the
//! tests that hold an engine to the evaluator over histories: the JIT's
//! (`seg-jit/tests/histories_random.rs`) and the SQL targets'
//! (`seg-sql/tests/histories.rs`).
//!
//! The values provoke every decided corner of LANGUAGE.md §7.1: missing and
//! empty lists, missing records, records whose every field is missing,
//! missing fields, NaN, ±0.0, ±inf, i64 extremes, decimals, strings that
//! order differently by locale, timestamps around the run's `as_of`. The
//! [`Layout`] varies how Arrow holds them.

use crate::{AS_OF, Rng};
use arrow::array::*;
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, Int32Type};
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

const DAY: i64 = 86_400_000_000;

/// The strings of `category` and of the profile's `s`: a prefix pair, an
/// empty string, case, and letters that sort differently by locale.
pub const CATEGORIES: [&str; 8] = ["shoes", "bags", "toys", "", "Shoes", "ß", "é", "Zebra"];

/// How Arrow holds a generated history.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// The scale of the `amount` decimals.
    pub scale: i8,
    /// `LargeList` instead of `List`.
    pub large: bool,
    /// `category` dictionary-encoded.
    pub dictionary: bool,
    /// The struct's children in reverse order of the record type's.
    pub reversed: bool,
    /// `at` in milliseconds instead of microseconds.
    pub millis: bool,
    /// A child the record type does not declare (`extra`).
    pub extra: bool,
}

impl Layout {
    /// The plain layout every SQL engine loads: µs timestamps, `amount` at
    /// scale 2, `category` as `Utf8`, a `List`, the declared order.
    pub const PLAIN: Layout = Layout {
        scale: 2,
        large: false,
        dictionary: false,
        reversed: false,
        millis: false,
        extra: false,
    };

    /// A random layout.
    pub fn random(rng: &mut Rng) -> Layout {
        Layout {
            scale: [0i8, 2, 5][rng.below(3) as usize],
            large: rng.below(2) == 0,
            dictionary: rng.below(2) == 0,
            reversed: rng.below(2) == 0,
            millis: rng.below(2) == 0,
            extra: rng.below(2) == 0,
        }
    }
}

/// `rows` random profiles: `id` (0, 1, …), the profile fields `i: int`,
/// `s: string`, `f: float`, and `orders: list<{ at: timestamp, amount:
/// decimal, category: string, n: int, x: float, gift: bool, day: date }>`.
pub fn random_profiles(rng: &mut Rng, rows: usize, layout: Layout) -> RecordBatch {
    let mut offsets = vec![0usize];
    let mut list_valid = Vec::new();
    let (mut i, mut s, mut f) = (vec![], vec![], vec![]);
    for _ in 0..rows {
        let missing = rng.below(6) == 0;
        let len = if missing { 0 } else { rng.below(6) as usize };
        list_valid.push(!missing);
        offsets.push(offsets.last().copied().unwrap_or(0) + len);
        // Small ints meet counts (`count(..) > i`), wide ones record values.
        i.push((rng.below(5) != 0).then(|| match rng.below(2) {
            0 => rng.below(7) as i64 - 3,
            _ => rng.below(200) as i64 - 100,
        }));
        s.push((rng.below(5) != 0).then(|| CATEGORIES[rng.below(8) as usize]));
        f.push((rng.below(5) != 0).then(|| rng.below(9) as f64 - 4.0));
    }
    let count = offsets.last().copied().unwrap_or(0);
    let null_every = [0u64, 2, 5][rng.below(3) as usize];
    let mut record_valid = Vec::new();
    let (mut at, mut amount, mut category, mut n, mut x, mut gift, mut day) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..count {
        record_valid.push(rng.below(8) != 0);
        // A record whose every field is missing, now and then.
        let empty = rng.below(12) == 0;
        let maybe = |rng: &mut Rng| !empty && (null_every == 0 || rng.below(null_every) != 0);
        at.push(
            maybe(rng)
                .then(|| AS_OF - (rng.below(60) as i64 - 5) * DAY - rng.below(DAY as u64) as i64),
        );
        amount.push(maybe(rng).then(|| match rng.below(4) {
            0 => [10i128, 20, 30, 40][rng.below(4) as usize],
            _ => rng.below(5000) as i128 - 500,
        }));
        category.push(maybe(rng).then(|| CATEGORIES[rng.below(8) as usize]));
        n.push(maybe(rng).then(|| match rng.below(8) {
            0 => i64::MAX,
            1 => i64::MIN,
            k => k as i64 * 30 - 100,
        }));
        x.push(maybe(rng).then(|| match rng.below(10) {
            0 => f64::NAN,
            1 => -0.0,
            2 => 0.0,
            3 => f64::INFINITY,
            4 => f64::NEG_INFINITY,
            k => k as f64 * 0.1 - 0.6,
        }));
        gift.push(maybe(rng).then(|| rng.below(2) == 0));
        day.push(maybe(rng).then(|| 20_454 - 200 + rng.below(400) as i32));
    }
    let at: ArrayRef = if layout.millis {
        Arc::new(
            at.into_iter()
                .map(|t| t.map(|t| t.div_euclid(1000)))
                .collect::<TimestampMillisecondArray>(),
        )
    } else {
        Arc::new(at.into_iter().collect::<TimestampMicrosecondArray>())
    };
    let category: ArrayRef = if layout.dictionary {
        Arc::new(category.into_iter().collect::<DictionaryArray<Int32Type>>())
    } else {
        Arc::new(category.into_iter().collect::<StringArray>())
    };
    let amount = amount
        .into_iter()
        .collect::<Decimal128Array>()
        .with_precision_and_scale(20, layout.scale)
        .unwrap_or_else(|e| panic!("a decimal scale the generator chose: {e}"));
    let mut children: Vec<(Field, ArrayRef)> = vec![
        (Field::new("at", at.data_type().clone(), true), at),
        (
            Field::new("amount", amount.data_type().clone(), true),
            Arc::new(amount),
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
        (
            Field::new("day", DataType::Date32, true),
            Arc::new(day.into_iter().collect::<Date32Array>()),
        ),
    ];
    if layout.extra {
        children.push((
            Field::new("extra", DataType::Int32, true),
            Arc::new(Int32Array::from(vec![7; count])),
        ));
    }
    if layout.reversed {
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
    let lengths = offsets.windows(2).map(|w| w[1] - w[0]);
    let orders: ArrayRef = if layout.large {
        Arc::new(LargeListArray::new(
            item,
            OffsetBuffer::from_lengths(lengths),
            Arc::new(records),
            nulls,
        ))
    } else {
        Arc::new(ListArray::new(
            item,
            OffsetBuffer::from_lengths(lengths),
            Arc::new(records),
            nulls,
        ))
    };
    crate::batch(vec![
        ("id", Arc::new(Int64Array::from_iter_values(0..rows as i64))),
        ("i", Arc::new(i.into_iter().collect::<Int64Array>())),
        ("s", Arc::new(s.into_iter().collect::<StringArray>())),
        ("f", Arc::new(f.into_iter().collect::<Float64Array>())),
        ("orders", orders),
    ])
}
