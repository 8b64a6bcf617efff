//! `eval(optimize(p)) == eval(p)`: the optimized program gives every segment
//! and priority group the same result as the original, on random programs
//! built to provoke the optimizer (overlapping and contradictory bounds on one
//! field, duplicated and contiguous lists, `is missing` next to comparisons,
//! negations, shared subexpressions, segment references, excludes) over random
//! batches with missing values (0/50/100 % nulls), NaN, ±0.0 and extremes.
//!
//! Each case is one program evaluated on four batches at a random `as_of`, with
//! params inlined and relative time folded as `seg run` does, so the default
//! 25,000 programs make 100,000 (program, batch) comparisons. More:
//! `PROPTEST_CASES=250000 cargo test --release -p seg-opt --test equivalence`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array,
    StringArray, TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use proptest::prelude::*;
use seg_ir::Program;
use std::sync::Arc;

const SCHEMA: &str = r#"schema {
  i: int key
  f: float
  d: decimal
  b: bool
  s: string
  dt: date
  ts: timestamp
}
param p_int = 3
param p_str = "b"
param p_win = 10 days
param p_list = ["a", "c"]
"#;

use seg_testkit::AS_OF;
const DAY: i64 = 86_400_000_000;

fn check(source: &str) -> Program {
    seg_testkit::program(source)
}

/// Comparisons whose constants sit close together, so that bounds overlap,
/// nest and contradict.
fn atom() -> BoxedStrategy<String> {
    let op = prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]);
    prop_oneof![
        (op.clone(), -3i64..4).prop_map(|(op, v)| format!("i {op} {v}")),
        (op.clone(), -3i64..4).prop_map(|(op, v)| format!("{v} {op} i")),
        (
            op.clone(),
            prop::sample::select(vec!["-1.5", "0", "0.0", "2.5", "3", "-0.0"])
        )
            .prop_map(|(op, v)| format!("f {op} {v}")),
        (
            op.clone(),
            prop::sample::select(vec!["1.50", "1.5", "2", "-1.25", "0.001"])
        )
            .prop_map(|(op, v)| format!("d {op} {v}")),
        (
            op.clone(),
            prop::sample::select(vec!["\"a\"", "\"b\"", "\"ab\"", "\"\"", "p_str"])
        )
            .prop_map(|(op, v)| format!("s {op} {v}")),
        (
            op.clone(),
            prop::sample::select(vec!["2026-11-20", "2026-11-24", "today", "3 days ago"])
        )
            .prop_map(|(op, v)| format!("dt {op} {v}")),
        (
            op.clone(),
            prop::sample::select(vec![
                "2026-11-20T00:00:00Z",
                "now",
                "2 days ago",
                "1 month ago"
            ])
        )
            .prop_map(|(op, v)| format!("ts {op} {v}")),
        (op.clone(), -3i64..4).prop_map(|(op, v)| format!("i + 1 {op} {v}")),
        (-3i64..4, -3i64..4, any::<bool>())
            .prop_map(|(a, b, n)| format!("i {}between {a} and {b}", if n { "not " } else { "" })),
        (prop::collection::vec(-2i64..4, 0..5), any::<bool>()).prop_map(|(v, n)| format!(
            "i {}in [{}]",
            if n { "not " } else { "" },
            v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        )),
        (
            prop::collection::vec(prop::sample::select(vec!["\"a\"", "\"b\"", "\"c\""]), 0..4),
            any::<bool>()
        )
            .prop_map(|(v, n)| format!(
                "s {}in [{}]",
                if n { "not " } else { "" },
                v.join(", ")
            )),
        Just("s in p_list".to_string()),
        Just("i == p_int".to_string()),
        prop::sample::select(vec!["i", "f", "d", "b", "s", "dt", "ts"])
            .prop_map(|x| format!("{x} is missing")),
        prop::sample::select(vec!["i", "f", "s", "ts"]).prop_map(|x| format!("{x} is present")),
        Just("b".to_string()),
        Just("b == false".to_string()),
        Just("ts within p_win".to_string()),
        Just("dt within 1 week".to_string()),
        Just("s starts with \"a\"".to_string()),
        Just("1 < 2".to_string()),
        Just("p_int > 5".to_string()),
        Just("1 / 0 > 1".to_string()),
        // Holdout buckets: bounds on one bucket overlap and contradict like
        // bounds on a field, and two salts are two different values.
        (prop::sample::select(vec!["==", "<", ">="]), -1i64..5)
            .prop_map(|(op, v)| format!("bucket(\"x\") % 4 {op} {v}")),
        (
            prop::sample::select(vec!["!=", "<=", ">"]),
            prop::sample::select(vec!["\"x\"", "p_str"]),
            prop::sample::select(vec![0i64, 5000, 9999])
        )
            .prop_map(|(op, salt, v)| format!("bucket({salt}) {op} {v}")),
        // Ints whose range the language fixes, compared with constants at
        // and past its ends (`out-of-range`): missing values stay unknown.
        (
            op.clone(),
            prop::sample::select(vec![
                ("length(s)", -1i64),
                ("length(s)", 0),
                ("month(ts)", 0),
                ("month(ts)", 1),
                ("month(ts)", 12),
                ("month(ts)", 13),
                ("day(dt)", 31),
                ("day(dt)", 32),
                ("bucket(\"x\")", -1),
                ("bucket(\"x\")", 10000),
            ])
        )
            .prop_map(|(op, (x, v))| format!("{x} {op} {v}")),
    ]
    .boxed()
}

fn condition(refs: usize) -> BoxedStrategy<String> {
    let leaf = if refs == 0 {
        atom()
    } else {
        prop_oneof![4 => atom(), 1 => (0..refs).prop_map(|r| format!("seg{r}"))].boxed()
    };
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| format!("not ({x})")),
            prop::collection::vec(inner.clone(), 2..5)
                .prop_map(|xs| format!("({})", xs.join(" and "))),
            prop::collection::vec(inner, 2..4).prop_map(|xs| format!("({})", xs.join(" or "))),
        ]
    })
    .boxed()
}

/// Three segments (later ones may reference earlier ones, and a shared part
/// recurs so that sharing has something to do), sometimes with an exclude, and
/// a priority group over them.
fn program_text() -> BoxedStrategy<String> {
    (
        condition(0),
        condition(0),
        condition(1),
        condition(2),
        proptest::option::of(condition(0)),
        any::<bool>(),
    )
        .prop_map(|(shared, a, b, c, exclude, reuse)| {
            let exclude = exclude.map(|x| format!(" exclude {x}")).unwrap_or_default();
            let b = if reuse {
                format!("({shared}) and {b}")
            } else {
                b
            };
            format!(
                "{SCHEMA}\nsegment seg0 {{ where ({shared}) or {a}{exclude} }}\n\
                 segment seg1 {{ where {b} }}\n\
                 segment seg2 {{ where ({shared}) and {c} }}\n\
                 segment seg3 {{ where {shared} }}\n\
                 priority waterfall {{ seg2 seg1 seg0 }}\n"
            )
        })
        .boxed()
}

/// Values at and around the atoms' constants, with missing values.
fn batch(null_percent: u8, rows: usize, seed: u64) -> RecordBatch {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let present = |next: &mut dyn FnMut() -> u64| (next() % 100) as u8 >= null_percent;
    let ints = [-4i64, -3, -2, -1, 0, 1, 2, 3, 4, i64::MAX, i64::MIN];
    let floats = [
        -1.5f64,
        0.0,
        -0.0,
        2.5,
        3.0,
        f64::NAN,
        1.0,
        -2.0,
        f64::INFINITY,
    ];
    let decimals = [150i128, 200, -125, 1, 0, 151, 149, 199_999];
    let strings = ["a", "b", "ab", "", "c", "B"];
    let (mut i, mut f, mut d, mut b, mut s, mut dt, mut ts) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..rows {
        i.push(present(&mut next).then(|| ints[(next() % 11) as usize]));
        f.push(present(&mut next).then(|| floats[(next() % 9) as usize]));
        d.push(present(&mut next).then(|| decimals[(next() % 8) as usize]));
        b.push(present(&mut next).then(|| next() % 2 == 0));
        s.push(present(&mut next).then(|| strings[(next() % 6) as usize]));
        dt.push(present(&mut next).then(|| 20_400 + (next() % 60) as i32));
        ts.push(present(&mut next).then(|| AS_OF - (next() % 40) as i64 * DAY / 2));
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("i", Arc::new(Int64Array::from(i))),
        ("f", Arc::new(Float64Array::from(f))),
        (
            "d",
            Arc::new(
                Decimal128Array::from(d)
                    .with_precision_and_scale(38, 2)
                    .unwrap(),
            ),
        ),
        ("b", Arc::new(BooleanArray::from(b))),
        ("s", Arc::new(StringArray::from(s))),
        ("dt", Arc::new(Date32Array::from(dt))),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
        ),
    ];
    seg_testkit::batch(columns)
}

fn evaluate(
    program: &Program,
    reported: &[seg_ir::SegmentId],
    as_of: i64,
    batch: &RecordBatch,
) -> (Vec<Vec<bool>>, Vec<Vec<Option<String>>>) {
    let evaluator = seg_eval::Evaluator::new(program, &[], as_of)
        .select(reported.to_vec(), (0..program.priorities.len()).collect());
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let result = evaluator.evaluate(&binding, batch).unwrap();
    (
        result
            .segments
            .iter()
            .map(|a| (0..a.len()).map(|r| a.value(r)).collect())
            .collect(),
        result
            .priorities
            .iter()
            .map(|a| {
                (0..a.len())
                    .map(|r| a.is_valid(r).then(|| a.value(r).to_string()))
                    .collect()
            })
            .collect(),
    )
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn optimized_programs_agree_with_the_original(
        source in program_text(),
        seeds in prop::array::uniform4(any::<u64>()),
        rows in 1usize..24,
        as_of_days in -3i64..3,
    ) {
        let program = check(&source);
        let as_of = AS_OF + as_of_days * DAY;
        let options = seg_opt::Options {
            params: Some(seg_opt::param_values(&program, &[])),
            as_of: Some(as_of),
            share: true,
        };
        let optimized = seg_opt::optimize(&program, &options);
        let all: Vec<seg_ir::SegmentId> = optimized.reported.clone();
        for (k, seed) in seeds.iter().enumerate() {
            let batch = batch([0u8, 50, 100, 25][k], rows, *seed);
            let expected = evaluate(&program, &all, as_of, &batch);
            let actual = evaluate(&optimized.program, &all, as_of, &batch);
            prop_assert_eq!(
                &expected, &actual,
                "the optimized program disagrees\n{}\noptimized:\n{}",
                source,
                optimized.program.segments.iter().map(|s| format!("{}: {}", s.name, seg_ir::expr_text(&optimized.program, &s.where_))).collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// The symbolic optimization `seg check` uses (params and `as_of` unknown)
/// must be sound for any values.
#[test]
fn symbolic_optimization_agrees_for_any_as_of() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &(program_text(), any::<u64>(), -40i64..40),
            |(source, seed, days)| {
                let program = check(&source);
                let optimized = seg_opt::optimize(
                    &program,
                    &seg_opt::Options {
                        share: true,
                        ..Default::default()
                    },
                );
                let as_of = AS_OF + days * DAY / 3;
                let batch = batch(30, 16, seed);
                let expected = evaluate(&program, &optimized.reported, as_of, &batch);
                let actual = evaluate(&optimized.program, &optimized.reported, as_of, &batch);
                prop_assert_eq!(expected, actual, "{}", source);
                Ok(())
            },
        )
        .unwrap();
}
