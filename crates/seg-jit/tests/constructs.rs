//! Hand-written differential tests: every operator family over every physical
//! type the binding accepts, each checked against the reference evaluator on
//! batches of 0, 1, 63, 64, 65 and 1000 rows, whole and sliced at offsets 1,
//! 7, 9 and 63 (see `common::agree_at`), with and without null bitmaps.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::datatypes::{DataType, Field, Int8Type, Int16Type, Int32Type, Schema, UInt64Type};
use arrow::record_batch::RecordBatch;
use seg_jit::{JitOptions, JitProgram};
use std::sync::Arc;

const SIZES: [usize; 6] = [0, 1, 63, 64, 65, 1000];

const WIDE: &str = r#"schema {
  i8c: int
  i16c: int
  i32c: int
  i64c: int
  u8c: int
  u16c: int
  u32c: int
  f32c: float
  f64c: float
  fi: float
  fu: float
  d2: decimal
  d0: decimal
  dn: decimal
  d20: decimal
  bo: bool
  su: string
  sl: string
  sv: string
  sd8: string
  sd64: string
  sd16: string
  da: date
  db: date
  ts_s: timestamp
  ts_ms: timestamp
  ts_us: timestamp
  ts_ns: timestamp
  ls: list<string>
  lls: list<string>
  li: list<int>
}
param limit = 100
param cut = 2.50
param name = "b"
param since = 2024-02-29
param win = 45 days
param names = ["a", "Zürich"]
param nums = [1, -1, 127]
"#;

/// Integer values with the extremes of each width.
const INTS: [i64; 12] = [
    0,
    1,
    -1,
    127,
    -128,
    255,
    32767,
    65535,
    i32::MAX as i64,
    i64::MAX,
    i64::MIN,
    100,
];
const FLOATS: [f64; 10] = [
    0.0,
    -0.0,
    2.5,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -7.25,
    1e308,
    100.0,
    5e-324,
];
const STRINGS: [&str; 7] = ["a", "b", "", "Zürich", "ab", "B", "zz"];

/// Instants at month ends, leap days and European/American DST changes, in
/// microseconds (some before 1970, to exercise flooring).
const INSTANTS: [i64; 10] = [
    1_706_745_599_999_999, // 2024-01-31T23:59:59.999999Z
    1_709_164_800_000_000, // 2024-02-29T00:00:00Z
    1_774_746_000_000_000, // 2026-03-29T01:00:00Z (EU DST)
    1_762_048_800_000_000, // 2025-11-02T02:00:00Z (US DST end)
    1_795_478_400_000_000, // as_of
    1_795_478_399_999_999,
    1_792_972_800_000_000, // 2026-10-26
    -1,                    // 1969-12-31T23:59:59.999999Z
    -86_400_000_001,
    1_764_547_199_000_000, // 2025-11-30T23:59:59Z
];

fn pick<T: Copy>(pool: &[T], i: usize, salt: usize) -> T {
    pool[(i * 7 + salt * 3 + i / 5) % pool.len()]
}

/// Present unless `i` falls on the column's null pattern (no nulls at all
/// when `nulls` is false).
fn present(i: usize, salt: usize, nulls: bool) -> bool {
    !nulls || !(i + salt).is_multiple_of(3 + salt % 4)
}

fn wide_batch(rows: usize, nulls: bool) -> RecordBatch {
    let ints = |salt: usize| -> Vec<Option<i64>> {
        (0..rows)
            .map(|i| present(i, salt, nulls).then(|| pick(&INTS, i, salt)))
            .collect()
    };
    let floats = |salt: usize| -> Vec<Option<f64>> {
        (0..rows)
            .map(|i| present(i, salt, nulls).then(|| pick(&FLOATS, i, salt)))
            .collect()
    };
    let strings = |salt: usize| -> Vec<Option<&str>> {
        (0..rows)
            .map(|i| present(i, salt, nulls).then(|| pick(&STRINGS, i, salt)))
            .collect()
    };
    let instants = |salt: usize| -> Vec<Option<i64>> {
        (0..rows)
            .map(|i| present(i, salt, nulls).then(|| pick(&INSTANTS, i, salt) + (i as i64 % 3)))
            .collect()
    };
    let decimals = |salt: usize, scale: i8| -> ArrayRef {
        let pool: [i128; 8] = [0, 250, -1999, 1, 2505, i128::MAX, i128::MIN, 100];
        Arc::new(
            Decimal128Array::from(
                (0..rows)
                    .map(|i| present(i, salt, nulls).then(|| pick(&pool, i, salt)))
                    .collect::<Vec<_>>(),
            )
            .with_precision_and_scale(38, scale)
            .unwrap(),
        )
    };
    let lists = |salt: usize| -> Vec<Option<Vec<Option<&str>>>> {
        (0..rows)
            .map(|i| {
                present(i, salt, nulls).then(|| {
                    (0..(i % 4))
                        .map(|k| (k != 2).then(|| pick(&STRINGS, i + k, salt)))
                        .collect()
                })
            })
            .collect()
    };
    let mut ls = ListBuilder::new(StringBuilder::new());
    for row in lists(1) {
        ls.append_option(row);
    }
    let mut lls = LargeListBuilder::new(LargeStringBuilder::new());
    for row in lists(2) {
        lls.append_option(row);
    }
    let mut li = ListBuilder::new(Int32Builder::new());
    for (i, v) in ints(3).into_iter().enumerate() {
        li.append_option(v.map(|v| {
            [Some(v as i32), None, Some(1)]
                .into_iter()
                .take(i % 4)
                .collect::<Vec<_>>()
        }));
    }
    // A dictionary with a null value that present keys point at, and keys of
    // every present value.
    let dict_values: ArrayRef = Arc::new(StringArray::from(vec![
        Some("a"),
        None,
        Some("b"),
        Some("Zürich"),
        Some(""),
        Some("zz"),
    ]));
    let keys8: Vec<Option<i8>> = (0..rows)
        .map(|i| present(i, 4, nulls).then_some((i % 6) as i8))
        .collect();
    let sd8 = DictionaryArray::<Int8Type>::try_new(keys8.into(), dict_values.clone()).unwrap();
    let large_values: ArrayRef =
        Arc::new(LargeStringArray::from(vec![Some("ab"), Some("a"), None]));
    let keys64: Vec<Option<u64>> = (0..rows)
        .map(|i| present(i, 5, nulls).then_some((i % 3) as u64))
        .collect();
    let sd64 = DictionaryArray::<UInt64Type>::try_new(keys64.into(), large_values).unwrap();
    let view_values: ArrayRef = Arc::new(StringViewArray::from(vec![
        "a much longer string than twelve bytes",
        "b",
        "Zürich",
    ]));
    let keys16: Vec<Option<i16>> = (0..rows)
        .map(|i| present(i, 6, nulls).then_some((i % 3) as i16))
        .collect();
    let sd16 = DictionaryArray::<Int16Type>::try_new(keys16.into(), view_values).unwrap();
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "i8c",
            Arc::new(Int8Array::from_iter(
                ints(0).into_iter().map(|v| v.map(|x| x as i8)),
            )),
        ),
        (
            "i16c",
            Arc::new(Int16Array::from_iter(
                ints(1).into_iter().map(|v| v.map(|x| x as i16)),
            )),
        ),
        (
            "i32c",
            Arc::new(Int32Array::from_iter(
                ints(2).into_iter().map(|v| v.map(|x| x as i32)),
            )),
        ),
        ("i64c", Arc::new(Int64Array::from(ints(3)))),
        (
            "u8c",
            Arc::new(UInt8Array::from_iter(
                ints(4).into_iter().map(|v| v.map(|x| x as u8)),
            )),
        ),
        (
            "u16c",
            Arc::new(UInt16Array::from_iter(
                ints(5).into_iter().map(|v| v.map(|x| x as u16)),
            )),
        ),
        (
            "u32c",
            Arc::new(UInt32Array::from_iter(
                ints(6).into_iter().map(|v| v.map(|x| x as u32)),
            )),
        ),
        (
            "f32c",
            Arc::new(Float32Array::from_iter(
                floats(0).into_iter().map(|v| v.map(|x| x as f32)),
            )),
        ),
        ("f64c", Arc::new(Float64Array::from(floats(1)))),
        (
            "fi",
            Arc::new(Int32Array::from_iter(
                ints(7).into_iter().map(|v| v.map(|x| x as i32)),
            )),
        ),
        (
            "fu",
            Arc::new(UInt64Array::from_iter(
                ints(8).into_iter().map(|v| v.map(|x| x as u64)),
            )),
        ),
        ("d2", decimals(0, 2)),
        ("d0", decimals(1, 0)),
        ("dn", decimals(2, -3)),
        ("d20", decimals(3, 20)),
        (
            "bo",
            Arc::new(BooleanArray::from(
                (0..rows)
                    .map(|i| present(i, 2, nulls).then_some(i % 3 == 0))
                    .collect::<Vec<_>>(),
            )),
        ),
        ("su", Arc::new(StringArray::from(strings(0)))),
        ("sl", Arc::new(LargeStringArray::from(strings(1)))),
        ("sv", Arc::new(StringViewArray::from(strings(2)))),
        ("sd8", Arc::new(sd8)),
        ("sd64", Arc::new(sd64)),
        ("sd16", Arc::new(sd16)),
        (
            "da",
            Arc::new(Date32Array::from_iter(
                instants(0)
                    .into_iter()
                    .map(|v| v.map(|t| t.div_euclid(86_400_000_000) as i32)),
            )),
        ),
        (
            "db",
            Arc::new(Date64Array::from_iter(
                instants(1)
                    .into_iter()
                    .map(|v| v.map(|t| t.div_euclid(1000) - 1)),
            )),
        ),
        (
            "ts_s",
            Arc::new(
                TimestampSecondArray::from_iter(
                    instants(2)
                        .into_iter()
                        .map(|v| v.map(|t| t.div_euclid(1_000_000))),
                )
                .with_timezone("America/New_York"),
            ),
        ),
        (
            "ts_ms",
            Arc::new(
                TimestampMillisecondArray::from_iter(
                    instants(3)
                        .into_iter()
                        .map(|v| v.map(|t| t.div_euclid(1000))),
                )
                .with_timezone("+01:00"),
            ),
        ),
        (
            "ts_us",
            Arc::new(TimestampMicrosecondArray::from(instants(4)).with_timezone("UTC")),
        ),
        (
            "ts_ns",
            Arc::new(TimestampNanosecondArray::from_iter(
                instants(5).into_iter().map(|v| v.map(|t| t * 1000 - 7)),
            )),
        ),
        ("ls", Arc::new(ls.finish())),
        ("lls", Arc::new(lls.finish())),
        ("li", Arc::new(li.finish())),
    ];
    common::batch(columns)
}

/// Checks each condition as a segment (and its negation) over the wide batch
/// at every size, with and without nulls; returns the fallbacks.
fn check(conditions: &[&str]) -> Vec<String> {
    let mut source = WIDE.to_string();
    for (k, c) in conditions.iter().enumerate() {
        source.push_str(&format!("segment c{k} {{ where {c} }}\n"));
        source.push_str(&format!("segment n{k} {{ where not ({c}) }}\n"));
    }
    let program = common::program(&source);
    let mut fallbacks = Vec::new();
    for nulls in [false, true] {
        for rows in SIZES {
            let batch = wide_batch(rows, nulls);
            let jit = common::agree_at(&program, &batch, common::AS_OF);
            fallbacks = jit.fallbacks().iter().map(|f| f.to_string()).collect();
        }
    }
    fallbacks
}

fn native(conditions: &[&str]) {
    let fallbacks = check(conditions);
    assert!(fallbacks.is_empty(), "unexpected fallbacks: {fallbacks:#?}");
}

#[test]
fn integer_comparisons_of_every_width() {
    let mut conds = Vec::new();
    for col in ["i8c", "i16c", "i32c", "i64c", "u8c", "u16c", "u32c"] {
        for op in ["==", "!=", "<", "<=", ">", ">="] {
            conds.push(format!("{col} {op} 100"));
        }
        conds.push(format!("{col} >= -128.5"));
        conds.push(format!("{col} > i64c"));
    }
    let refs: Vec<&str> = conds.iter().map(String::as_str).collect();
    native(&refs);
}

#[test]
fn float_comparisons_nan_and_signed_zero() {
    native(&[
        "f32c == 0.0",
        "f64c == -0.0",
        "f64c != 0",
        "f32c < 2.5",
        "f64c <= 1000000000000000000000.0",
        "f64c > -7.25",
        "f32c >= f64c",
        "fi > 100",
        "fu > 100",
        "fu == 18446744073709551615.0",
        "fi >= i32c",
        "f64c == f64c",
        "f64c is missing",
        "f32c is present",
    ]);
}

#[test]
fn decimals_of_mixed_scales() {
    let mut conds = Vec::new();
    for col in ["d2", "d0", "dn", "d20"] {
        for lit in [
            "2.5", "2.50", "0.00001", "-19.99", "0", "100", "1e0", "2.505",
        ] {
            if lit == "1e0" {
                continue;
            }
            for op in ["==", "!=", "<", ">="] {
                conds.push(format!("{col} {op} {lit}"));
            }
        }
        conds.push(format!("{col} > cut"));
        conds.push(format!("{col} in [2.5, 0, -19.99, 0.000001]"));
        conds.push(format!("{col} between -1 and 2.5"));
        conds.push(format!("{col} is missing"));
        conds.push(format!("{col} > 12345678901234567890123456789.123456789"));
        conds.push(format!("{col} < 0.00000000000000000000000000000000000001"));
    }
    conds.push("d2 == d2".to_string());
    conds.push("d2 > f64c".to_string());
    conds.push("d20 == d2".to_string());
    conds.push("d2 < d20".to_string());
    conds.push("d0 >= dn".to_string());
    conds.push("dn + d2 > d20 - d0".to_string());
    conds.push("d0 between d2 and d20".to_string());
    conds.push("d2 * d0 > 1".to_string());
    conds.push("d2 * d2 * d2 != 0".to_string());
    conds.push("dn * d20 < 0".to_string());
    conds.push("d0 * -1 == 1".to_string());
    conds.push("d0 * d0 >= 0".to_string());
    conds.push("d2 + d0 >= 2.5".to_string());
    conds.push("abs(d2) > 1".to_string());
    conds.push("-d2 < 0".to_string());
    conds.push("coalesce(d2, d20) > 0".to_string());
    let refs: Vec<&str> = conds.iter().map(String::as_str).collect();
    let fallbacks = check(&refs);
    assert!(fallbacks.is_empty(), "{fallbacks:#?}");
}

#[test]
fn logic_kleene_and_segments() {
    let source = format!(
        "{WIDE}
segment a {{ where i64c > 0 and f64c < 3 }}
segment b {{ where a or bo exclude i8c is missing }}
segment c {{ where not (a and b) or (bo == false) }}
segment d {{ where (bo != (i32c > 1)) and coalesce(bo, f32c > 0) }}
segment e {{ where bo in [true] or bo not in [false] or (bo is missing) }}
segment f {{ where c and not d exclude e }}
segment g {{ where (i64c > 0 or i64c <= 0) and (f64c > 1 or f64c < 1 or f64c == 1) }}
segment h {{ where true and (false or bo) }}
priority lifecycle {{ f e d c b a }}
priority other {{ h g }}
"
    );
    let program = common::program(&source);
    for rows in SIZES {
        for nulls in [false, true] {
            let jit = common::agree_at(&program, &wide_batch(rows, nulls), common::AS_OF);
            assert!(jit.fallbacks().is_empty());
        }
    }
}

#[test]
fn in_lists_between_and_missing() {
    native(&[
        "i64c in [1, -1, 9223372036854775807]",
        "i8c not in [0, 127]",
        "u16c in nums",
        "i32c in []",
        "i32c not in []",
        "f64c in [0, 2.5, -7.25]",
        "f32c not in [0.0]",
        "i64c between -1 and 100",
        "i64c not between 1 and limit",
        "f64c between -0.0 and 2.5",
        "fu between 0 and 1000",
        "i16c between i8c and u8c",
        "ts_us between 2024-01-31 and now",
        "da between since and today",
        "i64c is missing",
        "ts_ns is present",
        "bo is missing",
    ]);
}

#[test]
fn arithmetic_overflow_and_division() {
    native(&[
        "i64c + 1 > 0",
        "i64c - 1 < 0",
        "i64c * 2 > 10",
        "i64c % 3 == 1",
        "i64c % 0 == 0",
        "i64c % -1 == 0",
        "-i64c > 0",
        "abs(i64c) > 0",
        "i8c * i16c > 100",
        "i64c / 0 > 1",
        "f64c / f32c > 1",
        "f64c - f64c == 0",
        "f64c * 0 == 0",
        "(i32c + u32c) / 2 > 3",
        "-f64c < 0",
        "abs(f32c) >= 2.5",
        "coalesce(i8c, u8c, 7) > 3",
        "coalesce(f32c, f64c) > 0",
        "days_since(ts_us) > 30",
        "days_since(ts_ns) <= 0",
        "days_since(da) > 100",
    ]);
}

#[test]
fn dates_and_timestamps_of_every_unit() {
    let mut conds = Vec::new();
    for col in ["ts_s", "ts_ms", "ts_us", "ts_ns"] {
        conds.push(format!("{col} > 2026-03-29T01:00:00Z"));
        conds.push(format!("{col} <= 2024-02-29"));
        conds.push(format!("{col} before 90 days ago"));
        conds.push(format!("{col} after 1 month ago"));
        conds.push(format!("{col} within 30 days"));
        conds.push(format!("{col} within win"));
        conds.push(format!("{col} within 1 year"));
        conds.push(format!("{col} within 2 hours"));
        conds.push(format!("{col} == 2024-01-31T23:59:59.999999Z"));
        conds.push(format!("{col} > da"));
        conds.push(format!("year({col}) == 2024"));
        conds.push(format!("month({col}) == 2"));
        conds.push(format!("day({col}) >= 29"));
        conds.push(format!("{col} after since"));
    }
    for col in ["da", "db"] {
        conds.push(format!("{col} == 2024-02-29"));
        conds.push(format!("{col} before today"));
        conds.push(format!("{col} within 3 months"));
        conds.push(format!("{col} within 2 weeks"));
        conds.push(format!("{col} after 1 year ago"));
        conds.push(format!("{col} > db"));
        conds.push(format!("{col} < now"));
        conds.push(format!("year({col}) < 2000"));
    }
    let refs: Vec<&str> = conds.iter().map(String::as_str).collect();
    native(&refs);
}

#[test]
fn strings_over_every_representation() {
    let mut conds = Vec::new();
    for col in ["su", "sl", "sv", "sd8", "sd64", "sd16"] {
        conds.push(format!("{col} == \"a\""));
        conds.push(format!("{col} != name"));
        conds.push(format!("{col} < \"b\""));
        conds.push(format!("\"b\" >= {col}"));
        conds.push(format!("{col} in [\"a\", \"Zürich\", \"\"]"));
        conds.push(format!("{col} not in names"));
        conds.push(format!("{col} contains \"b\""));
        conds.push(format!("{col} not contains \"\""));
        conds.push(format!("{col} starts with \"Z\""));
        conds.push(format!("{col} ends with \"ch\""));
        conds.push(format!("{col} not ends with \"b\""));
        conds.push(format!("{col} matches \"^[a-c]+$\""));
        conds.push(format!("{col} not matches \"(?i)zür\""));
        conds.push(format!("{col} is missing"));
        conds.push(format!("{col} is present"));
        conds.push(format!("length({col}) > 1"));
    }
    let refs: Vec<&str> = conds.iter().map(String::as_str).collect();
    native(&refs);
}

#[test]
fn string_functions_over_every_representation() {
    let mut conds = Vec::new();
    for col in ["su", "sl", "sv", "sd8", "sd64", "sd16"] {
        conds.push(format!("lower({col}) == \"zürich\""));
        conds.push(format!("upper({col}) starts with \"A\""));
        conds.push(format!("coalesce({col}, \"z\") == \"z\""));
        conds.push(format!("lower(upper({col})) contains \"zü\""));
        conds.push(format!("coalesce(lower({col}), name) in names"));
        conds.push(format!("upper({col}) is missing"));
        conds.push(format!("length(upper({col})) > 1"));
    }
    let refs: Vec<&str> = conds.iter().map(String::as_str).collect();
    let fallbacks = check(&refs);
    // `length` of a function of a plain string has no helper: 3 plain
    // columns × 2 segments run in the reference evaluator; over dictionaries
    // it is a table.
    assert_eq!(fallbacks.len(), 6, "{fallbacks:#?}");
}

#[test]
fn what_falls_back() {
    let fallbacks = check(&[
        "coalesce(sl, sv) == \"a\"",
        "su < sl",
        "length(sd8) + i8c > 2",
    ]);
    // `length` of a dictionary column is a derived column; the other two
    // conditions (each in two segments) run in the reference evaluator.
    assert_eq!(fallbacks.len(), 4, "{fallbacks:#?}");
}

#[test]
fn lists() {
    native(&[
        "ls contains \"a\"",
        "lls contains any [\"a\", \"b\"]",
        "ls contains all [\"a\", \"b\"]",
        "lls contains none names",
        "ls not contains name",
        "li contains 1",
        "li contains any nums",
        "li contains all [1, -1]",
        "li contains none []",
        "ls contains any []",
        "ls contains all []",
        "size(ls) > 1",
        "size(li) == 0",
        "size(lls) >= 2",
        "ls is missing",
    ]);
}

#[test]
fn a_batch_with_another_column_type_is_refused() {
    let program = common::program("schema { x: int }\nsegment a { where x > 1 }\n");
    let ints32 = common::batch(vec![(
        "x",
        Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef,
    )]);
    let ints64 = common::batch(vec![(
        "x",
        Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
    )]);
    let jit = common::compile(&program, &ints32, common::AS_OF);
    assert!(jit.evaluate(&ints32).is_ok());
    let err = jit.evaluate(&ints64).unwrap_err();
    assert_eq!(err.code, seg_diagnostics::Code::E0901);
}

#[test]
fn evaluates_from_many_threads_at_once() {
    let program = common::program(&format!(
        "{WIDE}segment a {{ where i64c > 0 and sd8 == \"a\" or ls contains \"b\" }}\n"
    ));
    let batch = wide_batch(1000, true);
    let jit = common::compile(&program, &batch, common::AS_OF);
    let expected = jit.evaluate(&batch).unwrap().segments;
    std::thread::scope(|scope| {
        for k in 0..4 {
            let (jit, batch, expected) = (&jit, &batch, &expected);
            scope.spawn(move || {
                for _ in 0..20 {
                    let view = batch.slice(k, 1000 - k);
                    let got = jit.evaluate(&view).unwrap().segments;
                    assert_eq!(got[0], expected[0].slice(k, 1000 - k));
                }
            });
        }
    });
}

#[test]
fn a_hundred_segments_compile_quickly() {
    let mut source = WIDE.to_string();
    let cols = [
        "i64c", "f64c", "i32c", "f32c", "u8c", "d2", "ts_us", "da", "bo", "sd8",
    ];
    for k in 0..100 {
        let col = cols[k % cols.len()];
        let cond = match col {
            "bo" => "bo".to_string(),
            "sd8" => format!("sd8 == \"{}\"", k % 3),
            "ts_us" => format!("ts_us within {} days", k + 1),
            "da" => format!("da after {} days ago", k + 1),
            _ => format!("{col} > {k} and {col} < {}", k * 3),
        };
        let prev = if k > 0 {
            format!(" or s{}", k - 1)
        } else {
            String::new()
        };
        source.push_str(&format!("segment s{k} {{ where ({cond}){prev} }}\n"));
    }
    let program = common::program(&source);
    let batch = wide_batch(65, true);
    let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let jit = JitProgram::compile(
        &evaluator
            .clone()
            .select(evaluator.segments().to_vec(), vec![]),
        batch.schema().as_ref(),
        &binding,
        &JitOptions::default(),
    )
    .unwrap();
    // Debug builds of Cranelift are several times slower than release ones;
    // the 50 ms target is for release builds (see the benches).
    assert!(
        jit.compile_time().as_millis() < 500,
        "{:?}",
        jit.compile_time()
    );
    common::agree_at(&program, &batch, common::AS_OF);
}

#[test]
fn an_empty_selection_and_unknown_priorities() {
    let program =
        common::program("schema { x: int }\nsegment a { where x > 1 }\npriority p { a }\n");
    let batch = common::batch(vec![(
        "x",
        Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
    )]);
    let evaluator = seg_eval::Evaluator::new(&program, &[], 0).select(vec![], vec![0, 5]);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let jit = JitProgram::compile(
        &evaluator.clone().select(vec![], vec![0, 5]),
        batch.schema().as_ref(),
        &binding,
        &JitOptions {
            verify: true,
            ..JitOptions::default()
        },
    )
    .unwrap();
    let want = evaluator.evaluate(&binding, &batch).unwrap();
    let got = jit.evaluate(&batch).unwrap();
    assert_eq!(want.segments, got.segments);
    assert_eq!(want.priorities, got.priorities);
}

#[test]
fn overrides_and_as_of_are_honoured() {
    let program = common::program(
        "schema { x: int t: timestamp }\nparam lim = 5\nsegment a { where x > lim and t within 2 days }\n",
    );
    let batch = common::batch(vec![
        ("x", Arc::new(Int64Array::from(vec![1, 6, 10])) as ArrayRef),
        (
            "t",
            Arc::new(TimestampMicrosecondArray::from(vec![
                0,
                86_400_000_000,
                3 * 86_400_000_000,
            ])),
        ),
    ]);
    let overrides = [(seg_ir::ParamId(0), seg_ir::Const::Int(7))];
    let as_of = 3 * 86_400_000_000;
    let evaluator = seg_eval::Evaluator::new(&program, &overrides, as_of);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let jit = JitProgram::compile(
        &evaluator
            .clone()
            .select(evaluator.segments().to_vec(), vec![]),
        batch.schema().as_ref(),
        &binding,
        &JitOptions {
            verify: true,
            ..JitOptions::default()
        },
    )
    .unwrap();
    let got = jit.evaluate(&batch).unwrap();
    assert_eq!(
        got.segments,
        evaluator.evaluate(&binding, &batch).unwrap().segments
    );
    assert_eq!(
        got.segments[0],
        BooleanArray::from(vec![false, false, true])
    );
}

#[test]
fn dictionaries_without_values_and_with_only_null_keys() {
    let empty: ArrayRef = Arc::new(StringArray::from(Vec::<Option<&str>>::new()));
    let keys: PrimitiveArray<Int32Type> = vec![None, None, None].into();
    let dict = DictionaryArray::<Int32Type>::try_new(keys, empty).unwrap();
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            "s",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            true,
        )])),
        vec![Arc::new(dict)],
    )
    .unwrap();
    common::agree(
        "schema { s: string }\nsegment a { where s == \"a\" }\nsegment b { where s is missing }\nsegment c { where lower(s) is missing }\n",
        &batch,
    );
}

#[test]
fn instants_beyond_the_representable_range_are_missing() {
    // Seconds and milliseconds that overflow microseconds, Date64 beyond i32
    // days, and dates whose midnight overflows a timestamp are all missing.
    let extremes = [
        i64::MIN,
        i64::MIN / 1000 - 1,
        -1,
        0,
        1,
        i64::MAX / 1_000_000 + 1,
        i64::MAX,
    ];
    let batch = common::batch(vec![
        (
            "s",
            Arc::new(TimestampSecondArray::from(extremes.to_vec())) as ArrayRef,
        ),
        (
            "ms",
            Arc::new(TimestampMillisecondArray::from(extremes.to_vec())),
        ),
        (
            "ns",
            Arc::new(TimestampNanosecondArray::from(extremes.to_vec())),
        ),
        ("d64", Arc::new(Date64Array::from(extremes.to_vec()))),
        (
            "d32",
            Arc::new(Date32Array::from(vec![
                i32::MIN,
                -1,
                0,
                1,
                i32::MAX,
                106_751_991,
                106_751_992,
            ])),
        ),
    ]);
    let fallbacks = common::agree(
        "schema { s: timestamp ms: timestamp ns: timestamp d64: date d32: date }\n\
         segment a { where s is missing or ms is present }\n\
         segment b { where s > 1970-01-01T00:00:00Z or ms < 1970-01-01 or ns == 1970-01-01T00:00:00Z }\n\
         segment c { where d64 is missing or d64 > 1970-01-01 }\n\
         segment d { where d32 > s or d32 is missing }\n\
         segment e { where days_since(ns) > 0 or days_since(s) < 0 or days_since(d32) > 0 }\n\
         segment f { where year(d32) > 0 or month(d64) == 1 or day(s) == 1 }\n",
        &batch,
    )
    .fallbacks()
    .to_vec();
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
}

#[test]
fn decimal_products_overflow_exactly_where_checked_mul_does() {
    // Magnitudes around every limb boundary of the 128-bit product.
    let mut pool: Vec<i128> = vec![0, 1, -1, 2, -2, 3, 10, i128::MAX, i128::MIN, i128::MIN + 1];
    for bits in [31u32, 32, 62, 63, 64, 65, 95, 96, 125, 126, 127] {
        let p = 1i128.checked_shl(bits).unwrap_or(i128::MAX);
        for v in [p.wrapping_sub(1), p, p.wrapping_add(1), p / 3] {
            pool.push(v);
            pool.push(v.wrapping_neg());
        }
    }
    pool.push(i128::MAX / 3);
    pool.push(-(1i128 << 63) * (1i128 << 63) / 2);
    let mut a = Vec::new();
    let mut b = Vec::new();
    for x in &pool {
        for y in &pool {
            a.push(*x);
            b.push(*y);
        }
    }
    let dec = |v: Vec<i128>| -> ArrayRef {
        Arc::new(
            Decimal128Array::from(v)
                .with_precision_and_scale(38, 0)
                .unwrap(),
        )
    };
    let batch = common::batch(vec![("a", dec(a)), ("b", dec(b))]);
    let jit = common::agree(
        "schema { a: decimal b: decimal }\n\
         segment m { where a * b is missing }\n\
         segment p { where a * b > 0 }\n\
         segment q { where a * b < -1000 }\n\
         segment r { where a * b == a }\n\
         segment s { where a * b >= 8507059173023461586584365185794205286.4 }\n",
        &batch,
    );
    assert!(jit.fallbacks().is_empty());
}
