//! Event histories in the JIT (LANGUAGE.md §7.1): generated aggregates over
//! generated histories, JIT == evaluator on every row, over every physical
//! child type the binding accepts, `List` and `LargeList`, sliced batches,
//! and the corners §7.1 decides (empty and missing lists, missing records,
//! missing fields, NaN, decimals of several scales, dictionary strings).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    Array, ArrayRef, Date32Array, Date64Array, Decimal128Array, DictionaryArray, Float32Array,
    Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, LargeListArray, LargeStringArray,
    ListArray, StringArray, StringViewArray, StructArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt8Array,
    UInt32Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use proptest::prelude::*;
use std::sync::Arc;

const SCHEMA: &str = r#"schema {
  id: int key
  tier: string
  score: int
  orders: list<{ at: timestamp, amount: decimal, category: string, n: int, x: float, d: date }>
}"#;

const DAY: i64 = 86_400_000_000;
const CATEGORIES: [&str; 5] = ["shoes", "bags", "toys", "Shoes", "é"];

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The physical layout of one batch's histories.
#[derive(Clone, Copy, Debug)]
struct Physical {
    large: bool,
    /// 0 Int8, 1 Int16, 2 Int32, 3 Int64, 4 UInt8, 5 UInt32.
    int: u8,
    f32: bool,
    /// Decimal scale of `amount` (negative: a multiplier).
    scale: i8,
    /// 0 s, 1 ms, 2 µs, 3 ns.
    unit: u8,
    date64: bool,
    /// 0 Utf8, 1 LargeUtf8, 2 Utf8View, 3 Dictionary.
    string: u8,
    /// Reverse the struct's children and add one the schema does not name.
    shuffled: bool,
}

fn physical() -> impl Strategy<Value = Physical> {
    (
        any::<bool>(),
        0u8..6,
        any::<bool>(),
        prop_oneof![Just(0i8), Just(2), Just(5), Just(-1)],
        0u8..4,
        any::<bool>(),
        0u8..4,
        any::<bool>(),
    )
        .prop_map(
            |(large, int, f32, scale, unit, date64, string, shuffled)| Physical {
                large,
                int,
                f32,
                scale,
                unit,
                date64,
                string,
                shuffled,
            },
        )
}

/// One record's fields, logically (`None`: missing).
#[derive(Clone, Default)]
struct Rec {
    at: Option<i64>,
    amount: Option<i128>,
    category: Option<&'static str>,
    n: Option<i64>,
    x: Option<f64>,
    d: Option<i32>,
}

fn gen_record(rng: &mut Rng, nulls: u64) -> Rec {
    let some = |rng: &mut Rng| !rng.chance(nulls);
    Rec {
        // Whole seconds (every unit holds them exactly), around `as_of`:
        // some in the future, most in the last 100 days.
        at: some(rng).then(|| {
            let secs = rng.below(100 * 86_400) as i64 - 2 * 86_400;
            (common::AS_OF / 1_000_000 - secs) * 1_000_000
        }),
        amount: some(rng).then(|| match rng.below(10) {
            0 => i128::MAX / 3,
            1 => -(rng.below(5000) as i128),
            _ => rng.below(100_000) as i128,
        }),
        category: some(rng).then(|| CATEGORIES[rng.below(5) as usize]),
        n: some(rng).then(|| rng.below(120) as i64),
        x: some(rng).then(|| match rng.below(12) {
            0 => f64::NAN,
            1 => -0.0,
            2 => 0.0,
            _ => (rng.below(2000) as f64) / 8.0 - 50.0,
        }),
        d: some(rng).then(|| (common::AS_OF / DAY) as i32 - rng.below(400) as i32),
    }
}

fn ints(kind: u8, v: Vec<Option<i64>>) -> ArrayRef {
    match kind {
        0 => Arc::new(v.iter().map(|x| x.map(|x| x as i8)).collect::<Int8Array>()),
        1 => Arc::new(
            v.iter()
                .map(|x| x.map(|x| x as i16))
                .collect::<Int16Array>(),
        ),
        2 => Arc::new(
            v.iter()
                .map(|x| x.map(|x| x as i32))
                .collect::<Int32Array>(),
        ),
        3 => Arc::new(v.into_iter().collect::<Int64Array>()),
        4 => Arc::new(v.iter().map(|x| x.map(|x| x as u8)).collect::<UInt8Array>()),
        _ => Arc::new(
            v.iter()
                .map(|x| x.map(|x| x as u32))
                .collect::<UInt32Array>(),
        ),
    }
}

fn strings(kind: u8, v: Vec<Option<&str>>) -> ArrayRef {
    match kind {
        0 => Arc::new(v.into_iter().collect::<StringArray>()),
        1 => Arc::new(v.into_iter().collect::<LargeStringArray>()),
        2 => Arc::new(v.into_iter().collect::<StringViewArray>()),
        _ => Arc::new(v.into_iter().collect::<DictionaryArray<Int32Type>>()),
    }
}

/// The records as a struct array of `phys`'s types.
fn records(all: &[Option<Rec>], phys: Physical) -> StructArray {
    let get = |f: &dyn Fn(&Rec) -> Option<i64>| -> Vec<Option<i64>> {
        all.iter().map(|r| r.as_ref().and_then(f)).collect()
    };
    let at = get(&|r| r.at);
    let at: ArrayRef = match phys.unit {
        0 => Arc::new(TimestampSecondArray::from(
            at.iter()
                .map(|t| t.map(|t| t / 1_000_000))
                .collect::<Vec<_>>(),
        )),
        1 => Arc::new(TimestampMillisecondArray::from(
            at.iter().map(|t| t.map(|t| t / 1_000)).collect::<Vec<_>>(),
        )),
        2 => Arc::new(TimestampMicrosecondArray::from(at).with_timezone("UTC")),
        _ => Arc::new(TimestampNanosecondArray::from(
            at.iter().map(|t| t.map(|t| t * 1_000)).collect::<Vec<_>>(),
        )),
    };
    let amount: ArrayRef = Arc::new(
        all.iter()
            .map(|r| r.as_ref().and_then(|r| r.amount))
            .collect::<Decimal128Array>()
            .with_precision_and_scale(38, phys.scale)
            .unwrap(),
    );
    let category = strings(
        phys.string,
        all.iter()
            .map(|r| r.as_ref().and_then(|r| r.category))
            .collect(),
    );
    let n = ints(phys.int, get(&|r| r.n));
    let xs: Vec<Option<f64>> = all.iter().map(|r| r.as_ref().and_then(|r| r.x)).collect();
    let x: ArrayRef = if phys.f32 {
        Arc::new(
            xs.iter()
                .map(|v| v.map(|v| v as f32))
                .collect::<Float32Array>(),
        )
    } else {
        Arc::new(xs.into_iter().collect::<Float64Array>())
    };
    let days: Vec<Option<i32>> = all.iter().map(|r| r.as_ref().and_then(|r| r.d)).collect();
    let d: ArrayRef = if phys.date64 {
        Arc::new(
            days.iter()
                .map(|v| v.map(|v| i64::from(v) * 86_400_000))
                .collect::<Date64Array>(),
        )
    } else {
        Arc::new(days.into_iter().collect::<Date32Array>())
    };
    let mut columns = vec![
        ("at", at),
        ("amount", amount),
        ("category", category),
        ("n", n),
        ("x", x),
        ("d", d),
    ];
    if phys.shuffled {
        columns.reverse();
        let extra: ArrayRef = Arc::new(Int64Array::from(vec![7i64; all.len()]));
        columns.insert(2, ("extra", extra));
    }
    let fields: Fields = columns
        .iter()
        .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
        .collect();
    let valid = NullBuffer::from(all.iter().map(Option::is_some).collect::<Vec<_>>());
    StructArray::new(
        fields,
        columns.into_iter().map(|(_, a)| a).collect(),
        Some(valid),
    )
}

/// A batch of `rows` profiles with generated histories.
fn make_batch(phys: Physical, rows: usize, seed: u64) -> RecordBatch {
    let mut rng = Rng::new(seed);
    let nulls = [0, 5, 30][rng.below(3) as usize];
    let mut offsets = vec![0usize];
    let mut all: Vec<Option<Rec>> = Vec::new();
    let mut valid = Vec::new();
    for _ in 0..rows {
        let missing = rng.chance(8);
        // A missing list may still have offsets over records (Arrow allows
        // it): they must not count.
        let len = match rng.below(10) {
            0 => 0,
            1 => 20 + rng.below(60) as usize,
            _ => rng.below(9) as usize,
        };
        for _ in 0..len {
            all.push((!rng.chance(4)).then(|| gen_record(&mut rng, nulls)));
        }
        offsets.push(all.len());
        valid.push(!missing);
    }
    let values = Arc::new(records(&all, phys));
    let item = Arc::new(Field::new("item", values.data_type().clone(), true));
    let nulls = Some(NullBuffer::from(valid));
    let orders: ArrayRef = if phys.large {
        let o: Vec<i64> = offsets.iter().map(|&o| o as i64).collect();
        Arc::new(LargeListArray::new(
            item,
            OffsetBuffer::new(o.into()),
            values,
            nulls,
        ))
    } else {
        let o: Vec<i32> = offsets.iter().map(|&o| o as i32).collect();
        Arc::new(ListArray::new(
            item,
            OffsetBuffer::new(o.into()),
            values,
            nulls,
        ))
    };
    let id: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows as i64));
    let tier: ArrayRef =
        Arc::new(StringArray::from_iter((0..rows).map(|_| {
            (!rng.chance(10)).then(|| CATEGORIES[rng.below(5) as usize])
        })));
    let score: ArrayRef = Arc::new(Int64Array::from_iter(
        (0..rows).map(|_| (!rng.chance(10)).then(|| rng.below(100) as i64)),
    ));
    common::batch(vec![
        ("id", id),
        ("tier", tier),
        ("score", score),
        ("orders", orders),
    ])
}

/// A record filter (in the record scope).
fn filter() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        (1u32..120).prop_map(|d| format!("at within {d} days")),
        Just("at after 10 days ago".to_string()),
        Just("category == \"shoes\"".to_string()),
        Just("category in [\"bags\", \"toys\", \"é\"]".to_string()),
        Just("lower(category) == \"shoes\"".to_string()),
        Just("category starts with \"S\"".to_string()),
        Just("category == tier".to_string()),
        (0i64..120).prop_map(|k| format!("n > {k}")),
        Just("n > score".to_string()),
        Just("n % 3 == 0".to_string()),
        (-50i64..200).prop_map(|k| format!("x < {k}.5")),
        Just("x == 0.0".to_string()),
        Just("amount >= 10.5".to_string()),
        Just("amount < 0".to_string()),
        Just("d after 2026-06-01".to_string()),
        Just("n is missing".to_string()),
        Just("x is present".to_string()),
        Just("category is missing".to_string()),
        Just("tier == \"bags\"".to_string()),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
    .boxed()
}

/// A row condition holding aggregates.
fn condition() -> BoxedStrategy<String> {
    let f = || {
        prop_oneof![
            Just(String::new()),
            filter().prop_map(|f| format!(" where {f}"))
        ]
    };
    prop_oneof![
        (f(), 0i64..6).prop_map(|(f, k)| format!("count(orders{f}) >= {k}")),
        f().prop_map(|f| format!("any(orders{f})")),
        f().prop_map(|f| format!("not any(orders{f})")),
        (f(), -100i64..300).prop_map(|(f, k)| format!("sum(orders.n{f}) > {k}")),
        (f(), -100i64..3000).prop_map(|(f, k)| format!("sum(orders.amount{f}) > {k}.25")),
        (f(), -50i64..100).prop_map(|(f, k)| format!("sum(orders.x{f}) <= {k}.0")),
        (f(), 0i64..100).prop_map(|(f, k)| format!("avg(orders.n{f}) > {k}.5")),
        (f(), 0i64..100).prop_map(|(f, k)| format!("avg(orders.amount{f}) > {k}.0")),
        (f(), -20i64..40).prop_map(|(f, k)| format!("avg(orders.x{f}) > {k}.0")),
        (f(), 0i64..100).prop_map(|(f, k)| format!("min(orders.n{f}) < {k}")),
        (f(), 0i64..100).prop_map(|(f, k)| format!("max(orders.amount{f}) >= {k}")),
        (f(), -20i64..40).prop_map(|(f, k)| format!("max(orders.x{f}) > {k}.0")),
        (f(), 0i64..60).prop_map(|(f, k)| format!("days_since(max(orders.at{f})) <= {k}")),
        f().prop_map(|f| format!("min(orders.d{f}) before 2026-03-01")),
        f().prop_map(|f| format!("max(orders.category{f}) == \"toys\"")),
        (f(), 0i64..5).prop_map(|(f, k)| format!("count_distinct(orders.category{f}) >= {k}")),
        (f(), 0i64..5).prop_map(|(f, k)| format!("count_distinct(orders.x{f}) == {k}")),
        (f(), 0i64..5).prop_map(|(f, k)| format!("count_distinct(orders.amount{f}) >= {k}")),
        (f(), 0i64..5).prop_map(|(f, k)| format!("count_distinct(orders.at{f}) < {k}")),
        f().prop_map(|f| format!("sum(orders.n{f}) is missing")),
        f().prop_map(|f| format!("count(orders{f}) * 2 > count(orders)")),
    ]
    .boxed()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn jit_agrees_with_the_evaluator_on_histories(
        a in condition(),
        b in condition(),
        phys in physical(),
        seed in any::<u64>(),
    ) {
        let source = format!(
            "{SCHEMA}\nsegment a {{ where {a} }}\nsegment b {{ where {b} }}\n\
             segment both {{ where a and not ({b}) }}\n"
        );
        let program = common::program(&source);
        let mut rng = Rng::new(seed);
        for _ in 0..3 {
            let rows = match rng.below(4) {
                0 => rng.below(3) as usize,
                1 => 63 + rng.below(3) as usize,
                _ => 1 + rng.below(300) as usize,
            };
            let batch = make_batch(phys, rows, rng.next());
            let jit = common::agree_at(&program, &batch, common::AS_OF);
            // Only `max` of strings and string-to-string comparisons (as
            // elsewhere in the JIT) run in the evaluator.
            if !source.contains("max(orders.category") && !source.contains("category == tier") {
                prop_assert!(jit.fallbacks().is_empty(), "{:?}", jit.fallbacks());
            }
        }
    }
}

/// The benchmark's queries (bench/histories.seg, which bench/histories.py
/// runs), over data of the benchmark's physical types.
fn bench_program() -> seg_ir::Program {
    common::program(include_str!("../../../bench/histories.seg"))
}

fn bench_batch(rows: usize, seed: u64) -> RecordBatch {
    let mut rng = Rng::new(seed);
    let list =
        |rng: &mut Rng, fields: Vec<(&str, ArrayRef)>, offsets: Vec<i32>, valid: Vec<bool>| {
            let n = fields[0].1.len();
            let record_valid: Vec<bool> = (0..n).map(|_| !rng.chance(1)).collect();
            let fields_: Fields = fields
                .iter()
                .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
                .collect();
            let values = StructArray::new(
                fields_,
                fields.into_iter().map(|(_, a)| a).collect(),
                Some(NullBuffer::from(record_valid)),
            );
            let item = Arc::new(Field::new("item", values.data_type().clone(), true));
            Arc::new(ListArray::new(
                item,
                OffsetBuffer::new(offsets.into()),
                Arc::new(values),
                Some(NullBuffer::from(valid)),
            )) as ArrayRef
        };
    let mut lists = Vec::new();
    for _ in 0..2 {
        let mut offsets = vec![0i32];
        let mut valid = Vec::new();
        for _ in 0..rows {
            let len = rng.below(17) as i32;
            offsets.push(offsets.last().unwrap() + len);
            valid.push(!rng.chance(3));
        }
        lists.push((offsets, valid));
    }
    let n0 = *lists[0].0.last().unwrap() as usize;
    let n1 = *lists[1].0.last().unwrap() as usize;
    let ts = |rng: &mut Rng, n: usize| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from_iter((0..n).map(|_| {
                (!rng.chance(1)).then(|| common::AS_OF - rng.below(200) as i64 * DAY / 2)
            }))
            .with_timezone("UTC"),
        )
    };
    let pick = |rng: &mut Rng, n: usize, of: &'static [&'static str]| -> ArrayRef {
        Arc::new(StringArray::from_iter((0..n).map(|_| {
            (!rng.chance(1)).then(|| of[rng.below(of.len() as u64) as usize])
        })))
    };
    let amount: ArrayRef = Arc::new(
        Decimal128Array::from_iter(
            (0..n0).map(|_| (!rng.chance(1)).then(|| rng.below(30_000) as i128)),
        )
        .with_precision_and_scale(12, 2)
        .unwrap(),
    );
    let orders = list(
        &mut rng.clone_state(),
        vec![
            ("at", ts(&mut rng, n0)),
            ("amount", amount),
            (
                "category",
                pick(
                    &mut rng,
                    n0,
                    &["shoes", "apparel", "beauty", "home", "toys"],
                ),
            ),
            ("channel", pick(&mut rng, n0, &["web", "store", "app"])),
        ],
        lists[0].0.clone(),
        lists[0].1.clone(),
    );
    let web = list(
        &mut rng.clone_state(),
        vec![
            (
                "name",
                pick(&mut rng, n1, &["page_view", "search", "add_to_cart"]),
            ),
            ("at", ts(&mut rng, n1)),
            ("page", pick(&mut rng, n1, &["/p/1", "/p/2"])),
        ],
        lists[1].0.clone(),
        lists[1].1.clone(),
    );
    let id: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows as i64));
    let schema = Schema::new(vec![
        Field::new("customer_id", DataType::Int64, false),
        Field::new("orders", orders.data_type().clone(), true),
        Field::new("web_events", web.data_type().clone(), true),
    ]);
    RecordBatch::try_new(Arc::new(schema), vec![id, orders, web]).unwrap()
}

impl Rng {
    fn clone_state(&self) -> Rng {
        Rng(self.0 ^ 0x9e37_79b9_7f4a_7c15)
    }
}

#[test]
fn benchmark_queries_compile_natively_and_agree() {
    let program = bench_program();
    for (rows, seed) in [(1, 1), (64, 2), (1000, 3), (5000, 4)] {
        let batch = bench_batch(rows, seed);
        let jit = common::agree_at(&program, &batch, common::AS_OF);
        assert!(
            jit.fallbacks().is_empty(),
            "the benchmark queries run natively: {:?}",
            jit.fallbacks()
        );
    }
}

#[test]
fn dictionary_strings_in_filters_compile_natively() {
    let program = common::program(&format!(
        "{SCHEMA}\nsegment s {{ where count(orders where category == \"shoes\" and n > 3) >= 1 }}\n"
    ));
    let phys = Physical {
        large: true,
        int: 2,
        f32: false,
        scale: 2,
        unit: 2,
        date64: false,
        string: 3,
        shuffled: true,
    };
    let batch = make_batch(phys, 500, 11);
    let jit = common::agree_at(&program, &batch, common::AS_OF);
    assert!(jit.fallbacks().is_empty(), "{:?}", jit.fallbacks());
}

#[test]
fn string_extremes_and_segment_filters_stay_correct_in_the_evaluator() {
    // `max` of strings and a filter reading a segment are not native: they
    // are listed as fallbacks and still agree.
    let program = common::program(&format!(
        "{SCHEMA}\nsegment gold {{ where tier == \"shoes\" }}\n\
         segment m {{ where max(orders.category) == \"toys\" }}\n\
         segment g {{ where any(orders where gold and n > 3) }}\n"
    ));
    let phys = Physical {
        large: false,
        int: 3,
        f32: true,
        scale: 0,
        unit: 0,
        date64: true,
        string: 0,
        shuffled: false,
    };
    let batch = make_batch(phys, 300, 5);
    let jit = common::agree_at(&program, &batch, common::AS_OF);
    assert_eq!(jit.fallbacks().len(), 2, "{:?}", jit.fallbacks());
}
