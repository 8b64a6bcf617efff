//! `eval(optimize(p)) == eval(p)` over event histories (LANGUAGE.md §7.1):
//! random filters built to provoke the optimizer inside an aggregate's
//! `where` (overlapping and contradictory bounds on one record field,
//! relative time, negations, duplicated operands, profile fields beside
//! record fields) and comparisons of aggregates with constants at and past
//! their ranges (`count(..) < 0`), on random histories
//! (`seg_testkit::histories`) at random `as_of`s, with params inlined and
//! relative time folded as `seg run` does, and symbolically as `seg check`
//! does. 1,000 programs by default; `PROPTEST_CASES=N` runs N / 10 (the
//! equivalence test's scale, each case here being one larger batch).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use seg_testkit::histories::{Layout, random_profiles};
use seg_testkit::{AS_OF, Rng};

const DAY: i64 = 86_400_000_000;

const SCHEMA: &str = r#"schema {
  id: int key
  i: int
  s: string
  f: float
  orders: list<{ at: timestamp, amount: decimal, category: string, n: int, x: float, gift: bool, day: date }>
}
param p_win = 10 days
param p_min = 2
"#;

/// A condition on one record (the filter's atoms).
fn record_atom() -> BoxedStrategy<String> {
    let op = prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]);
    prop_oneof![
        (op.clone(), -2i64..3).prop_map(|(op, v)| format!("amount {op} {v}")),
        (op.clone(), prop::sample::select(vec![-40i64, 20, 80, 140]))
            .prop_map(|(op, v)| format!("n {op} {v}")),
        (op.clone(), prop::sample::select(vec!["-0.1", "0.0", "0.3"]))
            .prop_map(|(op, v)| format!("x {op} {v}")),
        prop::sample::select(vec!["\"shoes\"", "\"bags\"", "\"\"", "s"])
            .prop_map(|v| format!("category == {v}")),
        Just("category in [\"shoes\", \"toys\"]".to_string()),
        prop::sample::select(vec!["1 day", "30 days", "p_win", "2 weeks"])
            .prop_map(|w| format!("at within {w}")),
        Just("at after 3 days ago".to_string()),
        Just("day before today".to_string()),
        Just("gift".to_string()),
        Just("gift is missing".to_string()),
        Just("n > i".to_string()),
        Just("x < f".to_string()),
        Just("amount is present".to_string()),
    ]
    .boxed()
}

fn filter() -> BoxedStrategy<String> {
    record_atom()
        .prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(|v| format!("({})", v.join(" and "))),
                prop::collection::vec(inner.clone(), 2..3)
                    .prop_map(|v| format!("({})", v.join(" or "))),
                inner.prop_map(|c| format!("not ({c})")),
            ]
        })
        .boxed()
}

/// An aggregate compared with a constant, some at or past the value's range.
fn condition() -> BoxedStrategy<String> {
    let op = prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]);
    let filtered = prop::option::of(filter()).prop_map(|f| match f {
        Some(f) => format!(" where {f}"),
        None => String::new(),
    });
    prop_oneof![
        (op.clone(), filtered.clone(), -1i64..3)
            .prop_map(|(op, f, v)| format!("count(orders{f}) {op} {v}")),
        (op.clone(), filtered.clone(), -1i64..3)
            .prop_map(|(op, f, v)| format!("count_distinct(orders.category{f}) {op} {v}")),
        filter().prop_map(|f| format!("any(orders where {f})")),
        filter().prop_map(|f| format!("not any(orders where {f})")),
        (op.clone(), filtered.clone()).prop_map(|(op, f)| format!("sum(orders.amount{f}) {op} 3")),
        (op, filtered.clone()).prop_map(|(op, f)| format!("max(orders.at{f}) {op} 2 days ago")),
        filtered.prop_map(|f| format!("avg(orders.x{f}) is missing")),
        Just("count(orders) >= p_min".to_string()),
        Just("i > 0".to_string()),
    ]
    .boxed()
}

fn program_text() -> BoxedStrategy<String> {
    prop::collection::vec(
        prop::collection::vec(condition(), 1..3).prop_map(|c| c.join(" and ")),
        1..4,
    )
    .prop_map(|wheres| {
        let mut text = SCHEMA.to_string();
        for (n, w) in wheres.iter().enumerate() {
            text.push_str(&format!("segment s{n} {{ where {w} }}\n"));
        }
        text
    })
    .boxed()
}

/// Each segment's members: `reported` are the original segments, whose ids
/// the optimizer keeps (the segments it shares are appended after them).
fn members(
    program: &seg_ir::Program,
    reported: &[seg_ir::SegmentId],
    as_of: i64,
    batch: &arrow::array::RecordBatch,
) -> Vec<Vec<bool>> {
    let evaluator =
        seg_eval::Evaluator::new(program, &[], as_of).select(reported.to_vec(), Vec::new());
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let result = evaluator.evaluate(&binding, batch).unwrap();
    result.segments.iter().map(seg_testkit::members).collect()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(1_000, |n: u32| (n / 10).max(1))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn optimized_programs_over_histories_agree_with_the_original(
        source in program_text(),
        seed in any::<u64>(),
        rows in 1usize..40,
        as_of_days in -3i64..3,
    ) {
        let program = seg_testkit::program(&source);
        let mut rng = Rng::new(seed);
        let batch = random_profiles(&mut rng, rows, Layout::PLAIN);
        let as_of = AS_OF + as_of_days * DAY;
        let reported: Vec<seg_ir::SegmentId> =
            (0..program.segments.len()).map(|i| seg_ir::SegmentId(i as u32)).collect();
        let expected = members(&program, &reported, as_of, &batch);
        // As `seg run` optimizes: params inlined, relative time folded.
        let run = seg_opt::optimize(&program, &seg_opt::Options {
            params: Some(seg_opt::param_values(&program, &[])),
            as_of: Some(as_of),
            share: true,
        });
        prop_assert_eq!(&expected, &members(&run.program, &run.reported, as_of, &batch), "run:\n{}", source);
        // As `seg check` optimizes: symbolically, valid for any as_of.
        let symbolic = seg_opt::optimize(&program, &seg_opt::Options {
            params: None,
            as_of: None,
            share: false,
        });
        prop_assert_eq!(&expected, &members(&symbolic.program, &symbolic.reported, as_of, &batch), "check:\n{}", source);
    }
}
