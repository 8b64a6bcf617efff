//! Edge cases of the vector kernels, each against the reference evaluator
//! (`common::agree_at` also slices every batch at offsets 1, 7, 9 and 63, so
//! words start mid-byte and mid-word):
//!
//! - dictionary gathers: dictionaries of 1 to 300 values (the one-shuffle,
//!   four-shuffle and scalar paths), every key width and signedness, null
//!   keys and null values at 0, 30 and 100 %, and one dictionary shared by
//!   several batches;
//! - column-against-constant leaves over every lane width, constants at and
//!   past the lane's range, NaN and ±0.0, all-null and no-null words;
//! - vectorised float arithmetic: division by zero, NaN, infinities, Float32
//!   and int columns read as floats.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::datatypes::*;
use std::sync::Arc;

use seg_testkit::Rng;

const ROWS: [usize; 6] = [1, 63, 64, 65, 130, 1000];

fn dictionary<K: ArrowDictionaryKeyType>(
    size: usize,
    rows: usize,
    null_keys: u64,
    rng: &mut Rng,
) -> ArrayRef
where
    K::Native: TryFrom<usize>,
{
    // Value 1 is null when the dictionary has more than one value; the
    // others are distinct strings, some sharing a suffix or prefix.
    let values: Vec<Option<String>> = (0..size)
        .map(|i| {
            (i != 1 || size == 1).then(|| format!("v{i}@{}", ["a.com", "b.org", "Ünï"][i % 3]))
        })
        .collect();
    let values = StringArray::from(values);
    let keys: Vec<Option<K::Native>> = (0..rows)
        .map(|_| {
            if rng.below(100) < null_keys {
                return None;
            }
            K::Native::try_from(rng.below(size as u64) as usize).ok()
        })
        .collect();
    let keys = PrimitiveArray::<K>::from_iter(keys);
    Arc::new(DictionaryArray::<K>::try_new(keys, Arc::new(values)).unwrap())
}

const DICT_RULES: &str = r#"schema { s: string }
segment eq { where s == "v0@a.com" }
segment ne { where s != "v3@a.com" }
segment among { where s in ["v2@Ünï", "v17@Ünï", "v40@b.org", "v63@a.com", "v64@b.org", "v250@Ünï"] }
segment suffix { where s ends with "@b.org" }
segment absent { where s is missing }
segment present_or_a { where s is missing or s starts with "v1" }
segment defaulted { where coalesce(s, "v0@a.com") == "v0@a.com" }
segment lowered { where lower(s) contains "ünï" }
segment pattern { where s matches "^v[0-9]*7@" }
segment not_eq { where not (s == "v5@Ünï") }
"#;

fn dict_case<K: ArrowDictionaryKeyType>(program: &seg_ir::Program, rng: &mut Rng)
where
    K::Native: TryFrom<usize>,
{
    for size in [1usize, 2, 15, 16, 17, 40, 63, 64, 65, 127, 300] {
        for null_keys in [0u64, 30, 100] {
            for rows in ROWS {
                // Keys wider than the type's range cannot address every value.
                if size > 100 && std::mem::size_of::<K::Native>() == 1 {
                    continue;
                }
                let batch = common::batch(vec![("s", dictionary::<K>(size, rows, null_keys, rng))]);
                common::agree_at(program, &batch, common::AS_OF);
            }
        }
    }
}

#[test]
fn dictionary_gathers_agree_for_every_size_key_width_and_null_rate() {
    let program = common::program(DICT_RULES);
    let mut rng = Rng::new(7);
    dict_case::<Int8Type>(&program, &mut rng);
    dict_case::<Int16Type>(&program, &mut rng);
    dict_case::<Int32Type>(&program, &mut rng);
    dict_case::<Int64Type>(&program, &mut rng);
    dict_case::<UInt8Type>(&program, &mut rng);
    dict_case::<UInt16Type>(&program, &mut rng);
    dict_case::<UInt32Type>(&program, &mut rng);
    dict_case::<UInt64Type>(&program, &mut rng);
}

#[test]
fn one_dictionary_shared_by_several_batches() {
    // Batches that share one dictionary buffer (as Parquet's reader yields
    // them) and a batch with another dictionary of the same type, evaluated
    // by one compiled program in turn and back again.
    let program = common::program(DICT_RULES);
    let mut rng = Rng::new(11);
    let shared = dictionary::<Int32Type>(40, 1000, 10, &mut rng);
    let other = dictionary::<Int32Type>(9, 700, 10, &mut rng);
    let first = common::batch(vec![("s", shared.slice(0, 640))]);
    let jit = common::compile(&program, &first, common::AS_OF);
    let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
    let binding = evaluator.bind(first.schema().as_ref()).unwrap();
    for array in [
        shared.slice(0, 640),
        shared.slice(640, 360),
        other.clone(),
        shared.slice(3, 200),
        other.slice(64, 300),
    ] {
        let batch = common::batch(vec![("s", array)]);
        let want = evaluator.evaluate(&binding, &batch).unwrap();
        let got = jit.evaluate(&batch).unwrap();
        for (w, g) in want.segments.iter().zip(&got.segments) {
            assert_eq!(
                seg_testkit::members(w),
                seg_testkit::members(g),
                "rows {}",
                batch.num_rows()
            );
        }
    }
}

const NUMERIC_RULES: &str = r#"schema {
  i8c: int
  i16c: int
  i32c: int
  i64c: int
  u8c: int
  u16c: int
  u32c: int
  f64c: float
  f32c: float
  fi32: float
  dt: date
  ts: timestamp
}
segment i8_lt { where i8c < -5 }
segment i8_edge { where i8c >= 127 or i8c <= -128 }
segment i8_past { where i8c < 200 }
segment i8_between { where i8c between -3 and 100 }
segment i16_ne { where i16c != 0 }
segment i16_edge { where i16c == -32768 or i16c > 32766 }
segment i32_between_not { where not (i32c between -1000 and 1000) }
segment i64_ge { where i64c >= 0 }
segment u8_gt { where u8c > 200 }
segment u8_between { where u8c between 1 and 128 }
segment u16_le { where u16c <= 40000 }
segment u32_eq { where u32c == 4000000000 or u32c < 3 }
segment f64_ge { where f64c >= 0.5 }
segment f64_ne { where f64c != 0 }
segment f64_between_not { where not (f64c between -1 and 1) }
segment f32_lt { where f32c < 0.1 }
segment ratio { where f64c / i32c > 0.001 }
segment ratio_not { where not (f64c / fi32 > 50) }
segment mixed { where f64c * 2 + f32c - i32c <= 10 }
segment negabs { where abs(-f64c) / f32c >= 1 }
segment float_between { where f64c / 3 between 0 and 0.25 }
segment two_columns { where f64c > f32c }
segment days { where dt >= 2024-02-29 }
segment recent { where ts within 30 days }
"#;

fn numeric_batch(rows: usize, nulls: u64, rng: &mut Rng) -> arrow::record_batch::RecordBatch {
    fn col<T, A: From<Vec<Option<T>>> + Array + 'static>(
        rows: usize,
        nulls: u64,
        rng: &mut Rng,
        pick: &[T],
    ) -> ArrayRef
    where
        T: Copy,
    {
        let values: Vec<Option<T>> = (0..rows)
            .map(|_| (rng.below(100) >= nulls).then(|| pick[rng.below(pick.len() as u64) as usize]))
            .collect();
        Arc::new(A::from(values))
    }
    let floats = [
        0.0,
        -0.0,
        0.5,
        0.4999999,
        1.0,
        -1.0,
        50.0,
        1e300,
        -1e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        3.0,
        0.75,
    ];
    let floats32 = [
        0.0f32,
        -0.0,
        0.1,
        0.099_999_99,
        1.0,
        f32::NAN,
        f32::INFINITY,
        -3.5,
        16_777_217.0,
        f32::MAX,
    ];
    let day = 19_782; // 2024-02-29
    let us = seg_testkit::AS_OF;
    let day_us = 86_400_000_000i64;
    common::batch(vec![
        (
            "i8c",
            col::<i8, Int8Array>(
                rows,
                nulls,
                rng,
                &[i8::MIN, -6, -5, -3, 0, 100, 101, 126, i8::MAX],
            ),
        ),
        (
            "i16c",
            col::<i16, Int16Array>(rows, nulls, rng, &[i16::MIN, -1, 0, 1, 32766, i16::MAX]),
        ),
        (
            "i32c",
            col::<i32, Int32Array>(
                rows,
                nulls,
                rng,
                &[i32::MIN, -1001, -1000, 0, 1, 7, 1000, 1001, i32::MAX],
            ),
        ),
        (
            "i64c",
            col::<i64, Int64Array>(rows, nulls, rng, &[i64::MIN, -1, 0, 1, i64::MAX]),
        ),
        (
            "u8c",
            col::<u8, UInt8Array>(rows, nulls, rng, &[0, 1, 127, 128, 129, 200, 201, 255]),
        ),
        (
            "u16c",
            col::<u16, UInt16Array>(rows, nulls, rng, &[0, 39_999, 40_000, 40_001, u16::MAX]),
        ),
        (
            "u32c",
            col::<u32, UInt32Array>(
                rows,
                nulls,
                rng,
                &[0, 2, 3, 2_147_483_648, 4_000_000_000, u32::MAX],
            ),
        ),
        ("f64c", col::<f64, Float64Array>(rows, nulls, rng, &floats)),
        (
            "f32c",
            col::<f32, Float32Array>(rows, nulls, rng, &floats32),
        ),
        (
            "fi32",
            col::<i32, Int32Array>(rows, nulls, rng, &[0, 1, -1, 3, i32::MIN, i32::MAX]),
        ),
        (
            "dt",
            col::<i32, Date32Array>(
                rows,
                nulls,
                rng,
                &[i32::MIN, day - 1, day, day + 1, i32::MAX],
            ),
        ),
        (
            "ts",
            Arc::new(
                TimestampMicrosecondArray::from(
                    (0..rows)
                        .map(|_| {
                            (rng.below(100) >= nulls).then(|| {
                                [
                                    i64::MIN,
                                    us - 30 * day_us - 1,
                                    us - 30 * day_us,
                                    us - 1,
                                    us,
                                    us + 1,
                                    i64::MAX,
                                ][rng.below(7) as usize]
                            })
                        })
                        .collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            ),
        ),
    ])
}

#[test]
fn vector_leaves_agree_on_every_lane_width_and_edge_value() {
    let program = common::program(NUMERIC_RULES);
    let mut rng = Rng::new(3);
    for nulls in [0u64, 30, 100] {
        for rows in ROWS {
            let batch = numeric_batch(rows, nulls, &mut rng);
            common::agree_at(&program, &batch, common::AS_OF);
        }
    }
}

#[test]
fn leaves_shared_by_several_segments_are_computed_once_and_agree() {
    // The same dictionary predicate (an `in` list written in two orders), the
    // same row predicate and the same list and string leaves in several
    // segments, in `where` and in `exclude`, under `not`, and beside
    // segment references; split into functions of 2 segments as well.
    let rules = r#"schema { s: string  x: float  n: int }
segment a { where s in ["v2@Ünï", "v0@a.com"] and x >= 0.5 }
segment b { where (s in ["v0@a.com", "v2@Ünï"] or n > 3) exclude x >= 0.5 }
segment c { where not (x >= 0.5) and not (n > 3) }
segment d { where a or (s in ["v0@a.com", "v2@Ünï"] and n > 3) }
segment e { where s == "v0@a.com" exclude s in ["v2@Ünï", "v0@a.com"] }
"#;
    let program = common::program(rules);
    let mut rng = Rng::new(5);
    for rows in ROWS {
        for null_keys in [0u64, 30] {
            let s = dictionary::<Int32Type>(40, rows, null_keys, &mut rng);
            let x: Float64Array = (0..rows)
                .map(|_| (rng.below(10) > 0).then(|| rng.below(100) as f64 / 100.0))
                .collect();
            let n: Int64Array = (0..rows)
                .map(|_| (rng.below(10) > 0).then(|| rng.below(6) as i64))
                .collect();
            let batch = common::batch(vec![("s", s), ("x", Arc::new(x)), ("n", Arc::new(n))]);
            common::agree_at(&program, &batch, common::AS_OF);
            let split = seg_jit::JitOptions {
                segments_per_function: 2,
                ..common::options()
            };
            common::agree_with(&program, &batch, common::AS_OF, &split);
        }
    }
}

#[test]
fn member_counts_match_arrow_at_every_offset_and_length() {
    let mut rng = Rng::new(9);
    let bits: Vec<bool> = (0..700).map(|_| rng.below(3) == 0).collect();
    let array = BooleanArray::from(bits);
    for offset in [0usize, 1, 3, 63, 64, 65, 128, 200] {
        for len in [
            0usize,
            1,
            63,
            64,
            65,
            127,
            128,
            129,
            300,
            500 - offset.min(200),
        ] {
            let view = array.slice(offset, len);
            assert_eq!(
                seg_jit::count_members(&view),
                view.true_count(),
                "offset {offset}, length {len}"
            );
        }
    }
}

#[test]
fn cached_dictionary_tables_follow_the_dictionary_of_each_batch() {
    // Two dictionaries with the same values in another order, then the
    // first again, through one program: a table cached for one dictionary
    // must never answer for another.
    let program = common::program(DICT_RULES);
    let forward = StringArray::from(vec!["v0@a.com", "v2@Ünï", "v3@a.com", "v4@b.org"]);
    let backward = StringArray::from(vec!["v4@b.org", "v3@a.com", "v2@Ünï", "v0@a.com"]);
    let keys = Int32Array::from((0..200).map(|i| Some(i % 4)).collect::<Vec<_>>());
    let make = |values: &StringArray| -> ArrayRef {
        Arc::new(
            DictionaryArray::<Int32Type>::try_new(keys.clone(), Arc::new(values.clone())).unwrap(),
        )
    };
    let first = common::batch(vec![("s", make(&forward))]);
    let jit = common::compile(&program, &first, common::AS_OF);
    let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
    let binding = evaluator.bind(first.schema().as_ref()).unwrap();
    for values in [&forward, &backward, &forward, &backward] {
        let batch = common::batch(vec![("s", make(values))]);
        let want = evaluator.evaluate(&binding, &batch).unwrap();
        let got = jit.evaluate(&batch).unwrap();
        for (w, g) in want.segments.iter().zip(&got.segments) {
            assert_eq!(seg_testkit::members(w), seg_testkit::members(g));
        }
    }
}

#[test]
fn large_functions_loop_over_vector_steps_and_agree() {
    // Enough vector leaves in one function that its leaves loop over
    // groups of steps rather than unrolling every word.
    let mut rules = NUMERIC_RULES.to_string();
    for k in 0..90 {
        rules.push_str(&format!(
            "segment big{k} {{ where f64c >= {k}.25 or (i32c > {k} and f32c < 0.{k}) or not (f64c / fi32 between -1 and {k}) or u8c <= {k} or i16c != {k} }}\n"
        ));
    }
    let program = common::program(&rules);
    let mut rng = Rng::new(13);
    for nulls in [0u64, 30] {
        for rows in [64usize, 130, 1000] {
            let batch = numeric_batch(rows, nulls, &mut rng);
            common::agree_at(&program, &batch, common::AS_OF);
        }
    }
}

#[test]
fn lazy_string_leaves_agree_where_words_are_skipped_and_where_not() {
    // Plain-string leaves as operands of `and`/`or` are computed one word at
    // a time, last, and only where the other operands leave rows undecided:
    // selective conditions (most words skipped), unselective ones (every
    // word computed), unknown operands (Kleene), `exclude`, every layout.
    let rules = r#"schema { s: string  n: int }
segment rare { where n == 3 and s ends with "@b.org" }
segment common { where n >= 0 and s starts with "v1" }
segment either { where n > 4 or s in ["v2@Ünï", "v7@b.org"] }
segment unknown_first { where n < 2 and (s contains "a.c" or n == 0) }
segment excluded { where n >= 1 exclude n == 2 and s == "v0@a.com" }
segment nested { where not (n == 1 or s ends with "Ünï") and s is present }
"#;
    let program = common::program(rules);
    let mut rng = Rng::new(17);
    for rows in ROWS {
        for nulls in [0u64, 30, 100] {
            let strings: Vec<Option<String>> = (0..rows)
                .map(|_| {
                    (rng.below(100) >= nulls).then(|| {
                        let i = rng.below(12);
                        format!("v{i}@{}", ["a.com", "b.org", "Ünï"][(i % 3) as usize])
                    })
                })
                .collect();
            let n: Int64Array = (0..rows)
                .map(|_| (rng.below(100) >= nulls).then(|| rng.below(6) as i64))
                .collect();
            for s in [
                Arc::new(StringArray::from(strings.clone())) as ArrayRef,
                Arc::new(LargeStringArray::from(strings.clone())),
                Arc::new(StringViewArray::from(strings.clone())),
            ] {
                let batch = common::batch(vec![("s", s), ("n", Arc::new(n.clone()))]);
                common::agree_at(&program, &batch, common::AS_OF);
            }
        }
    }
}

#[test]
fn lazy_list_leaves_agree_where_words_are_skipped_and_where_not() {
    let rules = r#"schema { l: list<string>  li: list<int>  n: int }
segment rare { where n == 3 and l contains "b" }
segment any_all { where n >= 1 and (l contains any ["a", "zz"] or l contains all ["b", "c", "b"]) }
segment none_of { where n < 5 and not (l contains none ["c"]) }
segment ints { where n != 2 and li contains any [1, -7] }
segment ints_all { where n > 0 or li contains all [2, 3] }
segment excluded { where n >= 0 exclude n == 1 and l contains "a" }
"#;
    let program = common::program(rules);
    let mut rng = Rng::new(19);
    let pool = ["a", "b", "c", "", "Ünï"];
    for rows in ROWS {
        for nulls in [0u64, 30] {
            let mut strings = ListBuilder::new(StringBuilder::new());
            let mut large = LargeListBuilder::new(StringBuilder::new());
            let mut ints = ListBuilder::new(Int64Builder::new());
            for _ in 0..rows {
                if rng.below(100) < nulls {
                    strings.append(false);
                    large.append(false);
                    ints.append(false);
                    continue;
                }
                for _ in 0..rng.below(4) {
                    let k = rng.below(6) as usize;
                    let value = pool.get(k).copied();
                    strings.values().append_option(value);
                    large.values().append_option(value);
                    ints.values()
                        .append_option((k < 5).then(|| [1i64, 2, 3, -7, 0][k]));
                }
                strings.append(true);
                large.append(true);
                ints.append(true);
            }
            let n: Int64Array = (0..rows)
                .map(|_| (rng.below(100) >= nulls).then(|| rng.below(6) as i64))
                .collect();
            let ints: ArrayRef = Arc::new(ints.finish());
            for l in [
                Arc::new(strings.finish()) as ArrayRef,
                Arc::new(large.finish()),
            ] {
                let batch = common::batch(vec![
                    ("l", l),
                    ("li", ints.clone()),
                    ("n", Arc::new(n.clone())),
                ]);
                common::agree_at(&program, &batch, common::AS_OF);
            }
        }
    }
}
