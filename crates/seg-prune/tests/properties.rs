//! Soundness over generated programs (the evaluator's generator, adapted)
//! and random sorted or clustered data with random row-group and page sizes,
//! Arrow types and truncation: no row group or page range a plan skips holds
//! a member, and reading with the plan finds exactly the members reading
//! everything finds.
//!
//! Run more cases with `PROPTEST_CASES=2000 cargo test -p seg-prune --test properties`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int32Array,
    Int64Array, ListBuilder, StringArray, StringBuilder, StringDictionaryBuilder,
    TimestampMicrosecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt32Array,
};
use arrow::datatypes::Int32Type;
use common::{Layout, Run, batch, program, write};
use proptest::prelude::*;
use seg_ir::SegmentId;
use seg_testkit::Rng;
use seg_testkit::generate::{
    self, SCHEMA, arithmetic, before_after, compare, contains_quantified, is_missing, is_present,
    membership, string_test,
};
use std::sync::Arc;

fn int_expr() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => Just("i".to_string()),
        1 => Just("p_int".to_string()),
        2 => (-3i64..12).prop_map(|v| v.to_string()),
        1 => Just("9223372036854775807".to_string()),
        1 => Just("length(s)".to_string()),
        1 => Just("days_since(ts)".to_string()),
        1 => Just("year(dt)".to_string()),
    ];
    arithmetic(leaf.boxed(), 1, 4)
}

fn num_expr() -> BoxedStrategy<String> {
    prop_oneof![
        3 => int_expr(),
        2 => Just("f".to_string()),
        2 => Just("d".to_string()),
        1 => Just("p_dec".to_string()),
        1 => prop::sample::select(vec!["1.25", "0.0", "-0.0", "2.5", "-7.0", "0.1"]).prop_map(str::to_string),
        1 => (int_expr(), Just("f")).prop_map(|(a, b)| format!("({a} / {b})")),
        1 => Just("abs(d)".to_string()),
        1 => Just("coalesce(i, f)".to_string()),
    ]
    .boxed()
}

fn string_expr() -> BoxedStrategy<String> {
    prop_oneof![
        4 => Just("s".to_string()),
        1 => Just("p_str".to_string()),
        2 => prop::sample::select(vec!["\"a\"", "\"\"", "\"ab\"", "\"b\"", "\"c\"", "\"Zürich\"", "\"zz\""]).prop_map(str::to_string),
        1 => Just("lower(s)".to_string()),
        1 => Just("coalesce(s, \"z\")".to_string()),
    ]
    .boxed()
}

fn time_expr() -> BoxedStrategy<String> {
    prop_oneof![
        3 => Just("ts".to_string()),
        3 => Just("dt".to_string()),
        1 => Just("now".to_string()),
        1 => Just("today".to_string()),
        1 => Just("3 days ago".to_string()),
        1 => Just("2 months ago".to_string()),
        1 => Just("200 days ago".to_string()),
        1 => Just("2026-02-28".to_string()),
        1 => Just("2026-03-29T01:30:00Z".to_string()),
    ]
    .boxed()
}

fn predicate() -> BoxedStrategy<String> {
    prop_oneof![
        3 => compare(num_expr(), num_expr()),
        2 => compare(string_expr(), string_expr()),
        2 => compare(time_expr(), time_expr()),
        1 => Just("b".to_string()),
        1 => Just("b == false".to_string()),
        1 => membership(num_expr(), "[0, 1, 2.5, -3]"),
        1 => membership(string_expr(), "p_list"),
        1 => membership(string_expr(), "[\"c\", \"Zürich\"]"),
        2 => (num_expr(), num_expr(), num_expr(), any::<bool>())
            .prop_map(|(a, lo, hi, n)| format!("{a} {}between {lo} and {hi}", if n { "not " } else { "" })),
        2 => string_test(
            string_expr(),
            vec!["contains", "starts with", "ends with", "not contains", "not starts with"],
            string_expr()
        ),
        1 => Just("s matches \"^[a-c]\"".to_string()),
        1 => contains_quantified("ls", "[\"a\", \"c\"]"),
        2 => is_missing(vec!["i", "f", "d", "b", "s", "dt", "ts", "ls"]),
        1 => is_present(vec!["i", "f", "d", "s", "ts"]),
        1 => Just("ts within p_win".to_string()),
        1 => Just("dt within 1 month".to_string()),
        1 => Just("ts within 100 days".to_string()),
        1 => before_after(time_expr),
    ]
    .boxed()
}

fn condition() -> BoxedStrategy<String> {
    generate::condition(predicate(), 2, 8)
}

/// Physical choices for the generated columns.
#[derive(Clone, Debug)]
struct Shape {
    rows: usize,
    null_percent: u8,
    /// Sort by this column (0..7), or cluster in runs when 7.
    sort: u8,
    seed: u64,
    /// Variant of each column's Arrow type.
    types: [bool; 5],
    layout: (usize, usize, Option<usize>, bool),
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        0usize..160,
        prop::sample::select(vec![0u8, 10, 50, 100]),
        0u8..8,
        any::<u64>(),
        any::<[bool; 5]>(),
        (
            1usize..40,
            1usize..12,
            prop::option::of(1usize..6),
            any::<bool>(),
        ),
    )
        .prop_map(|(rows, null_percent, sort, seed, types, layout)| Shape {
            rows,
            null_percent,
            sort,
            seed,
            types,
            layout,
        })
}

/// Random rows (nulls, NaN, ±0.0, extremes, mixed decimal scales), sorted by
/// one column or clustered, so that statistics are selective.
fn make_batch(shape: &Shape) -> arrow::record_batch::RecordBatch {
    let mut rng = Rng::new(shape.seed);
    let mut next = move || rng.next();
    let ints = [0i64, 1, -1, 7, 3, -3, 9, 11, 100, -100];
    let floats = [
        0.0f64,
        -0.0,
        2.5,
        f64::NAN,
        1e308,
        -7.0,
        0.1,
        f64::INFINITY,
        1.25,
        11.0,
    ];
    let decimals = [0i128, 250_000, -199_900, 1, 700_000, 125_000, 10_000_000];
    let strings = ["a", "b", "", "Zürich", "c", "ab", "abc", "zz"];
    struct Row {
        key: i128,
        i: Option<i64>,
        f: Option<f64>,
        d: Option<i128>,
        b: Option<bool>,
        s: Option<&'static str>,
        dt: Option<i32>,
        ts: Option<i64>,
        ls: Option<Vec<Option<&'static str>>>,
    }
    let np = shape.null_percent;
    let mut rows: Vec<Row> = (0..shape.rows)
        .map(|_| {
            let mut present = || (next() % 100) as u8 >= np;
            let (pi, pf, pd, pb, ps, pdt, pts, pls) = (
                present(),
                present(),
                present(),
                present(),
                present(),
                present(),
                present(),
                present(),
            );
            Row {
                key: 0,
                i: pi.then(|| ints[(next() % 10) as usize]),
                f: pf.then(|| floats[(next() % 10) as usize]),
                d: pd.then(|| decimals[(next() % 7) as usize]),
                b: pb.then(|| next() % 2 == 0),
                s: ps.then(|| strings[(next() % 8) as usize]),
                dt: pdt.then(|| 20_200 + (next() % 400) as i32),
                ts: pts.then(|| {
                    common::AS_OF - (next() % 400) as i64 * 86_400_000_000
                        + (next() % 86_400) as i64 * 1_000_000
                }),
                ls: pls.then(|| {
                    let n = next() % 4;
                    (0..n)
                        .map(|_| {
                            let k = next() % 4;
                            (k != 3).then(|| strings[k as usize])
                        })
                        .collect()
                }),
            }
        })
        .collect();
    // Sort keys: missing values first, then by value.
    for (n, row) in rows.iter_mut().enumerate() {
        row.key = match shape.sort {
            0 => row.i.map_or(i128::MIN, i128::from),
            1 => row.f.map_or(i128::MIN, |f| {
                if f.is_nan() {
                    i128::MIN + 1
                } else {
                    (f.clamp(-1e30, 1e30) * 1e6) as i128
                }
            }),
            2 => row.d.unwrap_or(i128::MIN),
            3 => row.s.map_or(i128::MIN, |s| {
                strings.iter().position(|x| *x == s).map_or(0, |p| {
                    let mut sorted = strings;
                    sorted.sort();
                    sorted.iter().position(|x| *x == strings[p]).unwrap_or(0) as i128
                })
            }),
            4 => row.dt.map_or(i128::MIN, i128::from),
            5 => row.ts.map_or(i128::MIN, i128::from),
            6 => row.b.map_or(i128::MIN, i128::from),
            _ => (n / 7) as i128,
        };
    }
    rows.sort_by_key(|r| r.key);
    let t = shape.types;
    let i: ArrayRef = if t[0] {
        Arc::new(Int64Array::from(
            rows.iter().map(|r| r.i).collect::<Vec<_>>(),
        ))
    } else {
        // UInt32 cannot hold negatives: shift them into range.
        Arc::new(UInt32Array::from(
            rows.iter()
                .map(|r| r.i.map(|v| (v + 100) as u32))
                .collect::<Vec<_>>(),
        ))
    };
    let f: ArrayRef = if t[1] {
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.f).collect::<Vec<_>>(),
        ))
    } else {
        Arc::new(Float32Array::from(
            rows.iter()
                .map(|r| r.f.map(|v| v as f32))
                .collect::<Vec<_>>(),
        ))
    };
    let d: ArrayRef = if t[2] {
        Arc::new(
            Decimal128Array::from(rows.iter().map(|r| r.d).collect::<Vec<_>>())
                .with_precision_and_scale(38, 5)
                .unwrap(),
        )
    } else {
        Arc::new(
            Decimal128Array::from(rows.iter().map(|r| r.d).collect::<Vec<_>>())
                .with_precision_and_scale(12, 3)
                .unwrap(),
        )
    };
    let s: ArrayRef = if t[3] {
        let mut builder = StringDictionaryBuilder::<Int32Type>::new();
        for r in &rows {
            builder.append_option(r.s);
        }
        Arc::new(builder.finish())
    } else {
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.s).collect::<Vec<_>>(),
        ))
    };
    let ts: ArrayRef = match (t[4], shape.seed % 3) {
        (true, _) => Arc::new(
            TimestampMicrosecondArray::from(rows.iter().map(|r| r.ts).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        (false, 0) => Arc::new(TimestampSecondArray::from(
            rows.iter()
                .map(|r| r.ts.map(|v| v.div_euclid(1_000_000)))
                .collect::<Vec<_>>(),
        )),
        // Nanoseconds with a sub-microsecond part that floors away.
        (false, _) => Arc::new(TimestampNanosecondArray::from(
            rows.iter()
                .map(|r| r.ts.map(|v| v * 1000 + 777))
                .collect::<Vec<_>>(),
        )),
    };
    let mut ls = ListBuilder::new(StringBuilder::new());
    for r in &rows {
        match &r.ls {
            Some(items) => ls.append_value(items.iter().copied()),
            None => ls.append_null(),
        }
    }
    batch(vec![
        ("i", i),
        ("f", f),
        ("d", d),
        (
            "b",
            Arc::new(BooleanArray::from(
                rows.iter().map(|r| r.b).collect::<Vec<_>>(),
            )),
        ),
        ("s", s),
        (
            "dt",
            Arc::new(Date32Array::from(
                rows.iter().map(|r| r.dt).collect::<Vec<_>>(),
            )),
        ),
        ("ts", ts),
        ("ls", Arc::new(ls.finish())),
        (
            "row",
            Arc::new(Int32Array::from((0..rows.len() as i32).collect::<Vec<_>>())),
        ),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn plans_are_sound_on_random_programs_and_data(
        conditions in prop::collection::vec(condition(), 4),
        shape in shape(),
        report in 0u8..4,
    ) {
        let source = format!(
            "{SCHEMA}\nsegment seg_a {{ where {} }}\nsegment seg_b {{ where {} exclude {} }}\nsegment seg_c {{ where seg_a and {} }}\npriority p {{ seg_c seg_b }}\n",
            conditions[0], conditions[1], conditions[2], conditions[3]
        );
        let program = program(&source);
        let (segments, priorities) = match report {
            0 => (vec![SegmentId(0)], vec![]),
            1 => (vec![SegmentId(2)], vec![]),
            2 => (vec![], vec![0]),
            _ => (vec![SegmentId(0), SegmentId(1), SegmentId(2)], vec![0]),
        };
        let run = Run { program: &program, segments, priorities, as_of: common::AS_OF };
        let data = make_batch(&shape);
        let (group_rows, page_rows, truncate, dictionary) = shape.layout;
        let mut layout = Layout::new(group_rows, page_rows);
        layout.truncate = truncate;
        layout.dictionary = dictionary;
        let file = write(&data, &layout);
        let plan = run.check(&file);
        if std::env::var_os("SEG_PRUNE_STATS").is_some() {
            eprintln!("STATS groups {} skipped {} pages {} skipped {}", plan.row_groups.len() + plan.skipped_row_groups.len(), plan.skipped_row_groups.len(), plan.pages_total, plan.pages_skipped);
        }
    }
}
