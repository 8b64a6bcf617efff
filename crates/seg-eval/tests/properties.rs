//! Properties of the evaluator over generated well-typed programs and random
//! data (nulls at 0/50/100 %, NaN, ±0.0, integer extremes, mixed decimal
//! scales, sliced arrays):
//! - every generated program checks (the generator follows the typing rules);
//! - a program that checks never fails at run time (no internal error);
//! - three-valued logic is consistent: no row is a member of both `where E`
//!   and `where not (E)`, and `where E or not E` holds exactly where `E` is known;
//! - evaluating a slice equals slicing the evaluation;
//! - explaining a row gives the value and verdict evaluating it gives.
//!
//! The same generator will drive `eval(optimize(p)) == eval(p)` and
//! `jit(p) == eval(p)`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array, ListBuilder,
    StringBuilder, StringDictionaryBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::Int32Type;
use arrow::record_batch::RecordBatch;
use proptest::prelude::*;
use seg_testkit::generate::{
    self, SCHEMA, arithmetic, before_after, compare, contains_quantified, is_missing, membership,
    string_test,
};
use seg_testkit::{Rng, members};
use std::sync::Arc;

fn int_expr() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("i".to_string()),
        Just("p_int".to_string()),
        (-3i64..4).prop_map(|v| v.to_string()),
        Just("9223372036854775807".to_string()),
        Just("length(s)".to_string()),
        Just("size(ls)".to_string()),
        Just("days_since(ts)".to_string()),
        Just("year(dt)".to_string()),
    ];
    arithmetic(leaf.boxed(), 2, 8)
}

fn num_expr() -> BoxedStrategy<String> {
    prop_oneof![
        2 => int_expr(),
        1 => Just("f".to_string()),
        1 => Just("d".to_string()),
        1 => Just("p_dec".to_string()),
        1 => Just("1.25".to_string()),
        1 => Just("0.0".to_string()),
        1 => (int_expr(), Just("f")).prop_map(|(a, b)| format!("({a} / {b})")),
        1 => Just("(d * d - f)".to_string()),
        1 => Just("abs(d)".to_string()),
        1 => Just("coalesce(i, f)".to_string()),
    ]
    .boxed()
}

fn string_expr() -> BoxedStrategy<String> {
    prop_oneof![
        Just("s".to_string()),
        Just("p_str".to_string()),
        Just("\"a\"".to_string()),
        Just("\"\"".to_string()),
        Just("lower(s)".to_string()),
        Just("upper(s)".to_string()),
        Just("coalesce(s, \"z\")".to_string()),
    ]
    .boxed()
}

fn time_expr() -> BoxedStrategy<String> {
    prop_oneof![
        Just("ts".to_string()),
        Just("dt".to_string()),
        Just("now".to_string()),
        Just("today".to_string()),
        Just("3 days ago".to_string()),
        Just("2 months ago".to_string()),
        Just("2024-02-29".to_string()),
        Just("2026-03-29T01:30:00Z".to_string()),
    ]
    .boxed()
}

fn predicate() -> BoxedStrategy<String> {
    prop_oneof![
        compare(num_expr(), num_expr()),
        compare(string_expr(), string_expr()),
        compare(time_expr(), time_expr()),
        Just("b".to_string()),
        Just("b == false".to_string()),
        membership(num_expr(), "[0, 1, 2.5, -3]"),
        membership(string_expr(), "p_list"),
        (num_expr(), num_expr(), num_expr())
            .prop_map(|(a, lo, hi)| format!("{a} between {lo} and {hi}")),
        string_test(
            string_expr(),
            vec!["contains", "starts with", "ends with", "not contains"],
            string_expr()
        ),
        Just("s matches \"^[a-c]\"".to_string()),
        contains_quantified("ls", "[\"a\", \"c\"]"),
        Just("ls contains \"b\"".to_string()),
        is_missing(vec!["i", "f", "d", "b", "s", "dt", "ts", "ls"]),
        Just("ts within p_win".to_string()),
        Just("dt within 1 month".to_string()),
        before_after(time_expr),
    ]
    .boxed()
}

fn condition() -> BoxedStrategy<String> {
    generate::condition(predicate(), 3, 16)
}

/// Random rows: `null_percent` of each column missing, extremes and NaN mixed in.
fn batch_strategy() -> BoxedStrategy<RecordBatch> {
    (
        prop::sample::select(vec![0u8, 50, 100]),
        1usize..40,
        any::<u64>(),
    )
        .prop_map(|(null_percent, rows, seed)| make_batch(null_percent, rows, seed))
        .boxed()
}

fn make_batch(null_percent: u8, rows: usize, seed: u64) -> RecordBatch {
    // A small deterministic generator keeps the batch a function of the seed.
    let mut rng = Rng::new(seed);
    let mut next = move || rng.next();
    let present = |next: &mut dyn FnMut() -> u64| (next() % 100) as u8 >= null_percent;
    let ints = [0i64, 1, -1, 7, i64::MAX, i64::MIN, 3, -3];
    let floats = [0.0f64, -0.0, 2.5, f64::NAN, 1e308, -7.0, 0.1, f64::INFINITY];
    let decimals = [
        (0i128, 2u8),
        (250, 2),
        (-1999, 2),
        (1, 5),
        (i128::from(i64::MAX), 0),
    ];
    let strings = ["a", "b", "", "Zürich", "c", "ab"];
    let mut i = Vec::new();
    let mut f = Vec::new();
    let mut d = Vec::new();
    let mut b = Vec::new();
    let mut s = StringDictionaryBuilder::<Int32Type>::new();
    let mut dt = Vec::new();
    let mut ts = Vec::new();
    let mut ls = ListBuilder::new(StringBuilder::new());
    for _ in 0..rows {
        i.push(present(&mut next).then(|| ints[(next() % 8) as usize]));
        f.push(present(&mut next).then(|| floats[(next() % 8) as usize]));
        // One scale per column: values of other scales are rescaled into it.
        d.push(present(&mut next).then(|| {
            let (v, sc) = decimals[(next() % 5) as usize];
            v.saturating_mul(10i128.pow(u32::from(5 - sc.min(5))))
        }));
        b.push(present(&mut next).then(|| next() % 2 == 0));
        if present(&mut next) {
            s.append_value(strings[(next() % 6) as usize]);
        } else {
            s.append_null();
        }
        dt.push(present(&mut next).then(|| 19_000 + (next() % 2_500) as i32));
        ts.push(present(&mut next).then(|| {
            1_795_478_400_000_000 - (next() % 400) as i64 * 86_400_000_000
                + (next() % 86_400) as i64 * 1_000_000
        }));
        if present(&mut next) {
            let n = next() % 4;
            ls.append_value((0..n).map(|_| {
                let k = next() % 4;
                (k != 3).then(|| strings[k as usize])
            }));
        } else {
            ls.append_null();
        }
    }
    common::batch(vec![
        ("i", Arc::new(Int64Array::from(i)) as ArrayRef),
        ("f", Arc::new(Float64Array::from(f))),
        (
            "d",
            Arc::new(
                Decimal128Array::from(d)
                    .with_precision_and_scale(38, 5)
                    .unwrap(),
            ),
        ),
        ("b", Arc::new(BooleanArray::from(b))),
        ("s", Arc::new(s.finish())),
        ("dt", Arc::new(Date32Array::from(dt))),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
        ),
        ("ls", Arc::new(ls.finish())),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn checked_programs_evaluate_consistently(condition in condition(), batch in batch_strategy(), offset in 0usize..8) {
        let source = format!(
            "{SCHEMA}\nsegment e {{ where {condition} }}\nsegment not_e {{ where not ({condition}) }}\nsegment known {{ where {condition} or not ({condition}) }}\n"
        );
        // Every generated program must check.
        let program = common::program(&source);
        let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
        let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
        let result = evaluator.evaluate(&binding, &batch);
        prop_assert!(result.is_ok(), "internal error: {:?}\n{}", result.err(), source);
        let result = result.unwrap();
        let (e, not_e, known) = (members(&result.segments[0]), members(&result.segments[1]), members(&result.segments[2]));
        for row in 0..batch.num_rows() {
            prop_assert!(!(e[row] && not_e[row]), "row {} is in both E and not E: {}", row, condition);
            prop_assert_eq!(known[row], e[row] || not_e[row], "row {}: `E or not E` must hold exactly where E is known", row);
        }
        // The explanation of a row agrees with the evaluation: the root's
        // value is E's three-valued value, and the verdict is the member's.
        for row in 0..batch.num_rows() {
            let why = evaluator.explain(&binding, &batch, row, seg_ir::SegmentId(0)).unwrap();
            let expected = if e[row] { Some(true) } else if not_e[row] { Some(false) } else { None };
            prop_assert_eq!(why.where_.truth, expected, "row {}: {}", row, condition);
            prop_assert_eq!(why.member, e[row]);
        }
        // Evaluating a slice equals slicing the evaluation.
        let offset = offset.min(batch.num_rows());
        let sliced = batch.slice(offset, batch.num_rows() - offset);
        let part = evaluator.evaluate(&binding, &sliced).unwrap();
        prop_assert_eq!(members(&part.segments[0]), e[offset..].to_vec());
    }
}
