//! `jit(p) == eval(p)`: the JIT agrees with the reference evaluator on random
//! well-typed programs over random batches.
//!
//! Each proptest case generates one program (a random condition used in
//! several segments that reference each other, plus a priority group) and a
//! random physical schema (integer widths, Float32, decimals of scale 0, 2, 5,
//! 10 and -2, Date64, timestamps of every unit and zone, plain, large, view and
//! dictionary strings with null keys and null values, List and LargeList),
//! compiles it once and evaluates [`BATCHES_PER_PROGRAM`] random batches
//! (0 to 200 rows, nulls at 0/50/100 %, NaN, ±0.0, integer extremes), each
//! also sliced at offsets 1, 7, 9 and 63. Every (program, batch) pair counts
//! as one case.
//!
//! The default run (`cargo test -p seg-jit --test differential`) does
//! 1,000 programs × 100 batches = 100,000 cases, in about 35–50 s in the debug
//! test profile on a 2-core machine (10^6 cases take 91 s with `--release`).
//! To run 10^7 cases locally (about 15 minutes with `--release`):
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p seg-jit --test differential
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::datatypes::{DataType, Int8Type, Int32Type, TimeUnit};
use arrow::record_batch::RecordBatch;
use common::batch;
use proptest::prelude::*;
use seg_testkit::generate::{
    self, arithmetic, before_after, compare, contains_quantified, is_missing, is_present,
    membership, schema_with, string_test,
};
use seg_testkit::{Rng, members};
use std::sync::Arc;

/// Random batches evaluated per generated program.
const BATCHES_PER_PROGRAM: u64 = 100;

/// The shared schema plus a list of integers and a parameter of that type,
/// with `i` as the key so that `bucket` hashes its every width and extreme.
fn schema() -> String {
    schema_with(&["li: list<int>"], &["param p_ints = [1, 7]"]).replacen(
        "  i: int\n",
        "  i: int key\n",
        1,
    )
}

fn int_expr() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => Just("i".to_string()),
        1 => Just("p_int".to_string()),
        2 => (-3i64..4).prop_map(|v| v.to_string()),
        1 => Just("9223372036854775807".to_string()),
        1 => Just("length(s)".to_string()),
        1 => Just("size(ls)".to_string()),
        1 => Just("size(li)".to_string()),
        1 => Just("days_since(ts)".to_string()),
        1 => Just("days_since(dt)".to_string()),
        1 => Just("year(dt)".to_string()),
        1 => Just("month(ts)".to_string()),
        1 => Just("day(dt)".to_string()),
        1 => Just("abs(i)".to_string()),
        1 => Just("-i".to_string()),
        1 => Just("coalesce(i, 3)".to_string()),
        1 => Just("bucket(\"spring-2026\")".to_string()),
        1 => Just("(bucket(p_str) % 4)".to_string()),
    ];
    arithmetic(leaf.boxed(), 2, 8)
}

fn num_expr() -> BoxedStrategy<String> {
    prop_oneof![
        3 => int_expr(),
        2 => Just("f".to_string()),
        2 => Just("d".to_string()),
        1 => Just("p_dec".to_string()),
        1 => Just("1.25".to_string()),
        1 => Just("0.0".to_string()),
        1 => Just("-0.0".to_string()),
        1 => Just("2.505".to_string()),
        1 => Just("0.00001".to_string()),
        1 => (int_expr(), Just("f")).prop_map(|(a, b)| format!("({a} / {b})")),
        1 => Just("(f * f - f)".to_string()),
        1 => Just("(f + i)".to_string()),
        1 => Just("(d * d - f)".to_string()),
        1 => Just("(d + 1)".to_string()),
        1 => Just("abs(d)".to_string()),
        1 => Just("abs(f)".to_string()),
        1 => Just("-f".to_string()),
        1 => Just("coalesce(i, f)".to_string()),
        1 => Just("coalesce(d, 1)".to_string()),
    ]
    .boxed()
}

fn string_expr() -> BoxedStrategy<String> {
    prop_oneof![
        4 => Just("s".to_string()),
        1 => Just("p_str".to_string()),
        1 => Just("\"a\"".to_string()),
        1 => Just("\"ab\"".to_string()),
        1 => Just("\"\"".to_string()),
        1 => Just("lower(s)".to_string()),
        1 => Just("upper(s)".to_string()),
        1 => Just("coalesce(s, \"z\")".to_string()),
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
        Just("1 year ago".to_string()),
        Just("2024-02-29".to_string()),
        Just("2026-03-29T01:30:00Z".to_string()),
        Just("2026-10-25T00:59:59.999999Z".to_string()),
        Just("coalesce(ts, now)".to_string()),
    ]
    .boxed()
}

fn predicate() -> BoxedStrategy<String> {
    prop_oneof![
        4 => compare(num_expr(), num_expr()),
        2 => compare(string_expr(), string_expr()),
        2 => compare(time_expr(), time_expr()),
        1 => Just("b".to_string()),
        1 => Just("b == false".to_string()),
        1 => Just("b != (i > 2)".to_string()),
        1 => Just("coalesce(b, i > 0)".to_string()),
        1 => Just("b in [true]".to_string()),
        1 => Just("(i > 1) is missing".to_string()),
        1 => membership(num_expr(), "[0, 1, 2.5, -3]"),
        1 => (any::<bool>()).prop_map(|n| format!("i {}in p_ints", if n { "not " } else { "" })),
        1 => Just("i in []".to_string()),
        1 => Just("d in [2.5, 0.00001, 0, 922337203685477.5807]".to_string()),
        1 => membership(string_expr(), "p_list"),
        1 => Just("s in [\"a\", \"Zürich\"]".to_string()),
        2 => (num_expr(), num_expr(), num_expr(), any::<bool>())
            .prop_map(|(a, lo, hi, n)| format!("{a} {}between {lo} and {hi}", if n { "not " } else { "" })),
        1 => (time_expr(), time_expr(), time_expr())
            .prop_map(|(a, lo, hi)| format!("{a} between {lo} and {hi}")),
        2 => string_test(
            string_expr(),
            vec!["contains", "starts with", "ends with", "not contains", "not starts with", "not ends with"],
            string_expr()
        ),
        1 => Just("s matches \"^[a-c]\"".to_string()),
        1 => Just("s not matches \"b$\"".to_string()),
        1 => contains_quantified("ls", "[\"a\", \"c\"]"),
        1 => contains_quantified("li", "[1, 7]"),
        1 => Just("ls contains \"b\"".to_string()),
        1 => Just("ls not contains p_str".to_string()),
        1 => Just("li contains any p_ints".to_string()),
        2 => is_missing(vec!["i", "f", "d", "b", "s", "dt", "ts", "ls", "li", "(i + 1)", "(f / f)", "lower(s)"]),
        1 => is_present(vec!["i", "f", "d", "s", "ts"]),
        1 => Just("ts within p_win".to_string()),
        1 => Just("ts > 5 hours ago".to_string()),
        1 => Just("ts within 3 hours".to_string()),
        1 => Just("dt within 1 month".to_string()),
        1 => Just("dt within 2 weeks".to_string()),
        1 => before_after(time_expr),
    ]
    .boxed()
}

fn condition() -> BoxedStrategy<String> {
    generate::condition(predicate(), 3, 16)
}

/// Physical representation choices for one compiled schema.
#[derive(Clone, Copy, Debug)]
struct Physical {
    int: u8,
    float: u8,
    scale: i8,
    string: u8,
    date64: bool,
    ts: u8,
    large_list: bool,
}

fn physical() -> impl Strategy<Value = Physical> {
    (
        0u8..7,
        0u8..4,
        prop::sample::select(vec![0i8, 2, 5, 10, -2]),
        0u8..6,
        any::<bool>(),
        0u8..4,
        any::<bool>(),
    )
        .prop_map(
            |(int, float, scale, string, date64, ts, large_list)| Physical {
                int,
                float,
                scale,
                string,
                date64,
                ts,
                large_list,
            },
        )
}

fn int_array(kind: u8, values: Vec<Option<i64>>) -> ArrayRef {
    match kind {
        0 | 5 | 6 => Arc::new(Int64Array::from(values)),
        1 => Arc::new(Int32Array::from_iter(
            values.into_iter().map(|v| v.map(|x| x as i32)),
        )),
        2 => Arc::new(Int8Array::from_iter(
            values.into_iter().map(|v| v.map(|x| x as i8)),
        )),
        3 => Arc::new(UInt16Array::from_iter(
            values.into_iter().map(|v| v.map(|x| x as u16)),
        )),
        _ => Arc::new(UInt32Array::from_iter(
            values.into_iter().map(|v| v.map(|x| x as u32)),
        )),
    }
}

fn string_array(kind: u8, values: &[Option<&str>], rng: &mut Rng) -> ArrayRef {
    match kind {
        0 => Arc::new(StringArray::from(values.to_vec())),
        1 => Arc::new(LargeStringArray::from(values.to_vec())),
        2 => Arc::new(StringViewArray::from(values.to_vec())),
        3 => {
            let mut builder = StringDictionaryBuilder::<Int32Type>::new();
            for v in values {
                builder.append_option(*v);
            }
            Arc::new(builder.finish())
        }
        _ => {
            // A dictionary whose values include a null, pointed at by some
            // present keys, and whose keys are 8-bit.
            let dict_values = LargeStringArray::from(vec![
                Some("a"),
                None,
                Some("b"),
                Some("Zürich"),
                Some(""),
                Some("ab"),
                Some("c"),
            ]);
            let keys: Vec<Option<i8>> = values
                .iter()
                .map(|v| match v {
                    None if rng.below(2) == 0 => None,
                    None => Some(1),
                    Some(s) => Some(match *s {
                        "a" => 0,
                        "b" => 2,
                        "Zürich" => 3,
                        "" => 4,
                        "ab" => 5,
                        _ => 6,
                    }),
                })
                .collect();
            let keys = PrimitiveArray::<Int8Type>::from(keys);
            Arc::new(DictionaryArray::<Int8Type>::try_new(keys, Arc::new(dict_values)).unwrap())
        }
    }
}

fn make_batch(phys: Physical, null_percent: u8, rows: usize, seed: u64) -> RecordBatch {
    let mut rng = Rng::new(seed);
    let present = |rng: &mut Rng| (rng.below(100)) as u8 >= null_percent;
    let ints = [0i64, 1, -1, 7, i64::MAX, i64::MIN, 3, -3, 127, -128, 65535];
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
    ];
    let decimals = [
        (0i128, 2u32),
        (250, 2),
        (2505, 3),
        (-1999, 2),
        (1, 5),
        (i128::from(i64::MAX), 0),
        (1, 0),
    ];
    let strings = ["a", "b", "", "Zürich", "c", "ab"];
    let mut i = Vec::new();
    let mut f = Vec::new();
    let mut d = Vec::new();
    let mut b = Vec::new();
    let mut s = Vec::new();
    let mut dt = Vec::new();
    let mut ts = Vec::new();
    let mut ls = ListBuilder::new(StringBuilder::new());
    let mut lls = LargeListBuilder::new(StringBuilder::new());
    let mut li = ListBuilder::new(Int64Builder::new());
    for _ in 0..rows {
        i.push(present(&mut rng).then(|| ints[rng.below(ints.len() as u64) as usize]));
        f.push(present(&mut rng).then(|| floats[rng.below(floats.len() as u64) as usize]));
        d.push(present(&mut rng).then(|| {
            let (v, sc) = decimals[rng.below(decimals.len() as u64) as usize];
            // Bring the value to the column's scale (truncating when the
            // column has fewer digits: the data need not be exact).
            let target = i32::from(phys.scale);
            let diff = target - sc as i32;
            if diff >= 0 {
                v.saturating_mul(10i128.pow(diff as u32))
            } else {
                v / 10i128.pow((-diff) as u32)
            }
        }));
        b.push(present(&mut rng).then(|| rng.below(2) == 0));
        s.push(present(&mut rng).then(|| strings[rng.below(6) as usize]));
        dt.push(present(&mut rng).then(|| 19_000 + rng.below(2_500) as i32));
        ts.push(present(&mut rng).then(|| {
            1_795_478_400_000_000 - rng.below(400) as i64 * 86_400_000_000
                + rng.below(86_400) as i64 * 1_000_000
                + rng.below(3) as i64 * 999
        }));
        let list_present = present(&mut rng);
        let n = rng.below(4);
        let items: Vec<Option<&str>> = (0..n)
            .map(|_| {
                let k = rng.below(4);
                (k != 3).then(|| strings[k as usize])
            })
            .collect();
        if list_present {
            ls.append_value(items.clone());
            lls.append_value(items);
        } else {
            ls.append_null();
            lls.append_null();
        }
        if present(&mut rng) {
            let n = rng.below(4);
            li.append_value((0..n).map(|_| {
                let k = rng.below(5);
                (k != 4).then(|| ints[k as usize])
            }));
        } else {
            li.append_null();
        }
    }
    let f_array: ArrayRef = match phys.float {
        0 => Arc::new(Float64Array::from(f)),
        1 => Arc::new(Float32Array::from_iter(
            f.into_iter().map(|v| v.map(|x| x as f32)),
        )),
        2 => Arc::new(Int32Array::from_iter(i.iter().map(|v| v.map(|x| x as i32)))),
        _ => Arc::new(UInt64Array::from_iter(
            i.iter().map(|v| v.map(|x| x as u64)),
        )),
    };
    let d_array: ArrayRef = Arc::new(
        Decimal128Array::from(d)
            .with_precision_and_scale(38, phys.scale)
            .unwrap(),
    );
    let s_array = string_array(phys.string, &s, &mut rng);
    let dt_array: ArrayRef = if phys.date64 {
        Arc::new(Date64Array::from_iter(dt.iter().map(|v| {
            v.map(|d| i64::from(d) * 86_400_000 + (seed % 3) as i64 * 3_600_000 - 1)
        })))
    } else {
        Arc::new(Date32Array::from(dt))
    };
    let ts_array: ArrayRef = match phys.ts {
        0 => Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
        1 => Arc::new(TimestampNanosecondArray::from_iter(
            ts.iter().map(|v| v.map(|t| t.saturating_mul(1000) - 1)),
        )),
        2 => Arc::new(
            TimestampMillisecondArray::from_iter(ts.iter().map(|v| v.map(|t| t / 1000)))
                .with_timezone("+05:00"),
        ),
        _ => Arc::new(TimestampSecondArray::from_iter(
            ts.iter().map(|v| v.map(|t| t / 1_000_000)),
        )),
    };
    let ls_array: ArrayRef = if phys.large_list {
        Arc::new(lls.finish())
    } else {
        Arc::new(ls.finish())
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("i", int_array(phys.int, i)),
        ("f", f_array),
        ("d", d_array),
        ("b", Arc::new(BooleanArray::from(b))),
        ("s", s_array),
        ("dt", dt_array),
        ("ts", ts_array),
        ("ls", ls_array),
        ("li", Arc::new(li.finish())),
    ];
    batch(columns)
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

/// The program of one case: `condition` and `other` in segments that
/// reference each other, and a priority group, after `header` (the schema,
/// and a `timezone` when testing one).
fn case_source(header: &str, condition: &str, other: &str) -> String {
    format!(
        "{header}\nsegment e {{ where {condition} }}\nsegment not_e {{ where not ({condition}) exclude {other} }}\n\
         segment known {{ where e or not_e or ({other}) }}\nsegment r {{ where (known and not e) or {other} exclude not_e }}\n\
         priority g {{ r e not_e known }}\n"
    )
}

/// Compiles `source` once and compares the JIT with the evaluator on
/// [`BATCHES_PER_PROGRAM`] random batches at `as_of`.
fn agree_on_batches(
    source: &str,
    phys: Physical,
    seed: u64,
    as_of: i64,
) -> Result<(), TestCaseError> {
    let program = common::program(source);
    let probe = make_batch(phys, 50, 1, seed);
    let evaluator = seg_eval::Evaluator::new(&program, &[], as_of);
    let binding = evaluator.bind(probe.schema().as_ref()).unwrap();
    let jit = common::compile(&program, &probe, as_of);
    let mut rng = Rng::new(seed);
    for k in 0..BATCHES_PER_PROGRAM {
        let rows = match rng.below(8) {
            0 => rng.below(3) as usize,
            1 => 63 + rng.below(3) as usize,
            2 => 128,
            3 => 100 + rng.below(100) as usize,
            _ => rng.below(64) as usize,
        };
        let null_percent = [0u8, 10, 50, 100][rng.below(4) as usize];
        let batch = make_batch(
            phys,
            null_percent,
            rows,
            seed.wrapping_add(k.wrapping_mul(0x9E37_79B9)),
        );
        let offset = [0usize, 1, 7, 9, 63][rng.below(5) as usize].min(rows);
        let view = batch.slice(offset, rows - offset);
        let want = evaluator.evaluate(&binding, &view);
        prop_assert!(
            want.is_ok(),
            "evaluator failed: {:?}\n{}",
            want.err(),
            source
        );
        let want = want.unwrap();
        let got = jit.evaluate(&view);
        prop_assert!(got.is_ok(), "jit failed: {:?}\n{}", got.err(), source);
        let got = got.unwrap();
        for (index, (w, g)) in want.segments.iter().zip(&got.segments).enumerate() {
            prop_assert_eq!(
                members(w),
                members(g),
                "segment {} differs (rows {}, offset {}, {:?})\n{}\nfallbacks: {:?}",
                index,
                rows,
                offset,
                phys,
                source,
                jit.fallbacks()
            );
        }
        prop_assert_eq!(&want.priorities, &got.priorities);
    }
    Ok(())
}

/// Zones for the zoned run: DST in both hemispheres, a historical midnight
/// gap (São Paulo), offsets of half and three quarters of an hour.
const ZONES: [&str; 6] = [
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    "UTC",
];

/// Instants of evaluation for the zoned run: the usual one and some next to
/// local midnights and DST changes (Berlin 2026-03-29 and 2026-10-25,
/// Sydney 2026-04-05 and 2026-10-04, Kolkata's midnight).
const ZONED_AS_OF: [i64; 6] = [
    common::AS_OF,
    1_774_747_800_000_000, // 2026-03-29T01:30:00Z
    1_792_888_200_000_000, // 2026-10-25T00:30:00Z
    1_775_316_600_000_000, // 2026-04-04T15:30:00Z
    1_791_037_800_000_000, // 2026-10-03T14:30:00Z
    1_795_458_600_000_000, // 2026-11-23T18:30:00Z
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn jit_agrees_with_the_evaluator(
        condition in condition(),
        other in condition(),
        phys in physical(),
        seed in any::<u64>(),
    ) {
        agree_on_batches(&case_source(&schema(), &condition, &other), phys, seed, common::AS_OF)?;
    }
}

proptest! {
    // A quarter of the cases: the zone adds no new operator, only new
    // conversions (folded constants, the local calendar of `year`/`month`/
    // `day`, the evaluator's leaf for a date column against a timestamp).
    #![proptest_config(ProptestConfig { cases: cases().div_ceil(4), ..ProptestConfig::default() })]

    #[test]
    fn jit_agrees_with_the_evaluator_in_a_time_zone(
        condition in condition(),
        other in condition(),
        phys in physical(),
        seed in any::<u64>(),
        zone in 0..ZONES.len(),
        as_of in 0..ZONED_AS_OF.len(),
    ) {
        let header = format!("timezone \"{}\"\n{}", ZONES[zone], schema());
        agree_on_batches(&case_source(&header, &condition, &other), phys, seed, ZONED_AS_OF[as_of])?;
    }
}

/// `bucket` of a string key of every physical string type (plain, large,
/// view, dictionaries with null keys and null values) and of an int key:
/// equal to the evaluator, and computed by the JIT's batch-level helper, not
/// by a fallback to the evaluator.
#[test]
fn bucket_of_every_key_type_is_native_and_agrees() {
    let values = [
        Some("a"),
        None,
        Some("Zürich"),
        Some(""),
        Some("ab"),
        Some("b"),
        Some("c"),
    ];
    let rows: Vec<Option<&str>> = (0..150).map(|k| values[k % values.len()]).collect();
    let source = "schema {\n  k: string key\n}\nparam salt = \"x\"\n\
                  segment held { where bucket(\"spring-2026\") < 5000 }\n\
                  segment odd { where bucket(salt) % 2 == 1 or bucket(salt) is missing }\n";
    let program = common::program(source);
    for kind in 0..5u8 {
        let mut rng = Rng::new(u64::from(kind));
        let data = batch(vec![("k", string_array(kind, &rows, &mut rng))]);
        let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
        let binding = evaluator.bind(data.schema().as_ref()).unwrap();
        let want = evaluator.evaluate(&binding, &data).unwrap();
        let jit = common::compile(&program, &data, common::AS_OF);
        assert!(jit.fallbacks().is_empty(), "{:?}", jit.fallbacks());
        for offset in [0, 1, 7, 63] {
            let view = data.slice(offset, data.num_rows() - offset);
            let want = evaluator.evaluate(&binding, &view).unwrap();
            let got = jit.evaluate(&view).unwrap();
            for (w, g) in want.segments.iter().zip(&got.segments) {
                assert_eq!(members(w), members(g), "kind {kind}, offset {offset}");
            }
        }
        // Some profiles in, some out: the split is not degenerate.
        let held = want.segments[0].true_count();
        assert!(held > 0 && held < 150, "{held}");
    }
    let source =
        "schema {\n  k: int key\n}\nsegment held { where bucket(\"spring-2026\") < 1000 }\n";
    let program = common::program(source);
    let keys: Vec<Option<i64>> = (-500..500)
        .map(|k| (k % 13 != 0).then_some(k * 7919))
        .collect();
    for kind in 0..5u8 {
        let data = batch(vec![("k", int_array(kind, keys.clone()))]);
        let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
        let binding = evaluator.bind(data.schema().as_ref()).unwrap();
        let want = evaluator.evaluate(&binding, &data).unwrap();
        let jit = common::compile(&program, &data, common::AS_OF);
        assert!(jit.fallbacks().is_empty(), "{:?}", jit.fallbacks());
        let got = jit.evaluate(&data).unwrap();
        assert_eq!(
            members(&want.segments[0]),
            members(&got.segments[0]),
            "kind {kind}"
        );
    }
}

#[test]
fn physical_types_are_the_intended_ones() {
    // Guards the generator: the schema variants really produce these types.
    let phys = Physical {
        int: 2,
        float: 1,
        scale: 10,
        string: 5,
        date64: true,
        ts: 1,
        large_list: true,
    };
    let b = make_batch(phys, 0, 3, 1);
    assert_eq!(b.column(0).data_type(), &DataType::Int8);
    assert_eq!(b.column(1).data_type(), &DataType::Float32);
    assert_eq!(
        b.column(6).data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, None)
    );
}
