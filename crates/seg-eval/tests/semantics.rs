//! The semantic matrix: every operator family against present, missing, NaN,
//! empty and extreme values, with expectations worked out by hand from
//! LANGUAGE.md §4–§6 (see docs/semantics.md). `T`/`F`/`U` are true, false and
//! unknown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array, Int64Builder,
    ListBuilder, StringArray, StringBuilder, TimestampMicrosecondArray,
};
use common::{AS_OF, batch, truth};
use std::sync::Arc;

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const U: Option<bool> = None;

const SCHEMA: &str = r#"schema {
  id: int key
  i: int
  f: float
  d: decimal
  b: bool
  s: string
  dt: date
  ts: timestamp
  ls: list<string>
  li: list<int>
}"#;

fn days(y: i32, m: u32, d: u32) -> i32 {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

fn micros(y: i32, m: u32, d: u32, h: u32) -> i64 {
    i64::from(days(y, m, d)) * 86_400_000_000 + i64::from(h) * 3_600_000_000
}

/// Five rows: typical, other, all missing, edge (NaN, empty), extreme.
fn rows() -> arrow::record_batch::RecordBatch {
    let mut ls = ListBuilder::new(StringBuilder::new());
    ls.append_value([Some("yoga"), Some("travel")]);
    ls.append_value(Vec::<Option<&str>>::new());
    ls.append_null();
    ls.append_value([None, Some("x")]);
    ls.append_value([Some("yoga")]);
    let mut li = ListBuilder::new(Int64Builder::new());
    li.append_value([Some(1), Some(2)]);
    li.append_value(Vec::<Option<i64>>::new());
    li.append_null();
    li.append_value([None]);
    li.append_value([Some(3)]);
    batch(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])) as ArrayRef,
        ),
        (
            "i",
            Arc::new(Int64Array::from(vec![
                Some(5),
                Some(-3),
                None,
                Some(0),
                Some(i64::MAX),
            ])),
        ),
        (
            "f",
            Arc::new(Float64Array::from(vec![
                Some(2.5),
                Some(-0.0),
                None,
                Some(f64::NAN),
                Some(1e308),
            ])),
        ),
        (
            "d",
            Arc::new(
                Decimal128Array::from(vec![Some(1999), Some(-500), None, Some(0), Some(100)])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ),
        (
            "b",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
                Some(true),
                Some(false),
            ])),
        ),
        (
            "s",
            Arc::new(StringArray::from(vec![
                Some("Zürich"),
                Some("abc"),
                None,
                Some(""),
                Some("ÉCOLE"),
            ])),
        ),
        (
            "dt",
            Arc::new(Date32Array::from(vec![
                Some(days(2024, 2, 29)),
                Some(days(2026, 11, 24)),
                None,
                Some(0),
                Some(days(2026, 10, 24)),
            ])),
        ),
        (
            "ts",
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    Some(micros(2026, 11, 23, 12)),
                    Some(AS_OF),
                    None,
                    Some(0),
                    Some(micros(2026, 8, 24, 0)),
                ])
                .with_timezone("UTC"),
            ),
        ),
        ("ls", Arc::new(ls.finish())),
        ("li", Arc::new(li.finish())),
    ])
}

fn check(cases: &[(&str, [Option<bool>; 5])]) {
    let data = rows();
    let mut failures = Vec::new();
    for (condition, expected) in cases {
        let got = truth(SCHEMA, condition, &data);
        if got != expected.to_vec() {
            failures.push(format!("`{condition}`: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn comparisons_of_numbers() {
    check(&[
        ("i > 0", [T, F, U, F, T]),
        ("i == 5.0", [T, F, U, F, F]),
        // Exact: int against a decimal literal does not round the literal.
        ("i >= 4.5", [T, F, U, F, T]),
        ("i < 4.5", [F, T, U, T, F]),
        // NaN is missing; -0.0 equals 0.
        ("f > 0", [T, F, U, U, T]),
        ("f == 0", [F, T, U, U, F]),
        ("f < 0", [F, F, U, U, F]),
        ("f != 0", [T, F, U, U, T]),
        ("d > 10", [T, F, U, F, F]),
        // Decimals compare exactly across scales.
        ("d == 19.990", [T, F, U, F, F]),
        ("d == 19.99", [T, F, U, F, F]),
        ("d < 1.000000000000000000001", [F, T, U, T, T]),
        // Decimal with float compares as float.
        ("d > f", [T, F, U, U, F]),
        ("i == i", [T, T, U, T, T]),
    ]);
}

#[test]
fn comparisons_of_other_types() {
    check(&[
        ("b", [T, F, U, T, F]),
        ("b == false", [F, T, U, F, T]),
        ("b != true", [F, T, U, F, T]),
        ("s == \"abc\"", [F, T, U, F, F]),
        // Unicode scalar order: `Z` < `b` < `É`.
        ("s < \"b\"", [T, T, U, T, F]),
        ("dt == 2024-02-29", [T, F, U, F, F]),
        ("dt before 2024-03-01", [T, F, U, T, F]),
        // A date against a timestamp is midnight UTC of that date.
        ("dt < ts", [T, F, U, F, F]),
        ("ts == 2026-11-24", [F, T, U, F, F]),
    ]);
}

#[test]
fn strings() {
    check(&[
        ("s contains \"\"", [T, T, U, T, T]),
        ("s contains \"ü\"", [T, F, U, F, F]),
        ("s not contains \"ü\"", [F, T, U, T, T]),
        ("s starts with \"Z\"", [T, F, U, F, F]),
        ("s ends with \"ich\"", [T, F, U, F, F]),
        ("s not ends with \"ich\"", [F, T, U, T, T]),
        ("s matches \"^[a-z]+$\"", [F, T, U, F, F]),
        ("s matches \"ü\"", [T, F, U, F, F]),
        // Unicode-aware classes.
        ("s matches \"^\\\\w+$\"", [T, T, U, F, T]),
        ("s not matches \"c\"", [F, F, U, T, T]),
        ("lower(s) == \"école\"", [F, F, U, F, T]),
        ("upper(s) == \"ZÜRICH\"", [T, F, U, F, F]),
        ("length(s) == 6", [T, F, U, F, F]),
        ("length(s) == 0", [F, F, U, T, F]),
    ]);
}

#[test]
fn missing_and_membership_tests() {
    check(&[
        ("s is missing", [F, F, T, F, F]),
        ("s is present", [T, T, F, T, T]),
        ("s is not missing", [T, T, F, T, T]),
        // NaN is missing.
        ("f is missing", [F, F, T, T, F]),
        ("ls is missing", [F, F, T, F, F]),
        ("s in [\"abc\", \"Zürich\"]", [T, T, U, F, F]),
        ("s not in [\"abc\"]", [T, F, U, T, T]),
        // `x in []` is false when present, unknown when missing.
        ("s in []", [F, F, U, F, F]),
        ("s not in []", [T, T, U, T, T]),
        ("i in [5, 0]", [T, F, U, T, F]),
        ("f in [0, 2.5]", [T, T, U, U, F]),
        ("d in [19.990, 1]", [T, F, U, F, T]),
        ("i between 0 and 5", [T, F, U, T, F]),
        ("i not between 0 and 5", [F, T, U, F, T]),
        ("d between -5 and 1", [F, T, U, T, T]),
        // A missing bound makes the test unknown unless the other bound fails.
        ("i between 0 and coalesce(i, 9) - 100", [F, F, U, F, F]),
    ]);
}

#[test]
fn lists() {
    check(&[
        ("ls contains \"yoga\"", [T, F, U, F, T]),
        // Missing elements never match, but present ones still do.
        ("ls contains \"x\"", [F, F, U, T, F]),
        ("ls not contains \"yoga\"", [F, T, U, T, F]),
        ("ls contains any [\"travel\", \"x\"]", [T, F, U, T, F]),
        ("ls contains any []", [F, F, U, F, F]),
        ("ls contains all [\"yoga\", \"travel\"]", [T, F, U, F, F]),
        ("ls contains all []", [T, T, U, T, T]),
        ("ls contains none [\"yoga\"]", [F, T, U, T, F]),
        ("size(ls) == 0", [F, T, U, F, F]),
        ("size(ls) == 2", [T, F, U, T, F]),
        ("li contains 3", [F, F, U, F, T]),
        ("li contains any [1, 3]", [T, F, U, F, T]),
        ("size(li) == 1", [F, F, U, T, T]),
    ]);
}

#[test]
fn arithmetic() {
    check(&[
        // Overflow is missing.
        ("i + 1 > 5", [T, F, U, F, U]),
        ("i * 2 > 0", [T, F, U, F, U]),
        ("i - 1 < i", [T, T, U, T, T]),
        // Division always yields float; by zero it is missing.
        ("i / 2 == 2.5", [T, F, U, F, F]),
        ("i / 0 > 0", [U, U, U, U, U]),
        ("i / (i - i) == 0", [U, U, U, U, U]),
        // `%` truncates toward zero; the sign follows the dividend; `% 0` is missing.
        ("i % 2 == 1", [T, F, U, F, T]),
        ("i % 2 == -1", [F, T, U, F, F]),
        ("i % 0 == 0", [U, U, U, U, U]),
        ("-i < 0", [T, F, U, F, T]),
        ("f / 0 > 0", [U, U, U, U, U]),
        // Overflowing to infinity is a value; NaN is not.
        ("f * 10 > f", [T, F, U, U, T]),
        ("f - f == 0", [T, T, U, U, T]),
        ("d + 0.01 == 20.00", [T, F, U, F, F]),
        ("d * d > 399", [T, F, U, F, F]),
        ("d * d == 399.6001", [T, F, U, F, F]),
        ("d % 3 == 1.99", [T, F, U, F, F]),
        ("d - 1 == 0", [F, F, U, F, T]),
        ("abs(i) == 3", [F, T, U, F, F]),
        ("abs(d) == 5", [F, T, U, F, F]),
        ("abs(f) == 0", [F, T, U, U, F]),
        ("coalesce(i, 7) == 7", [F, F, T, F, F]),
        ("coalesce(f, 1) == 1", [F, F, T, T, F]),
        ("coalesce(d, i, 0) == 0", [F, F, T, T, F]),
    ]);
}

#[test]
fn time() {
    // as_of is 2026-11-24T00:00:00Z; today is 2026-11-24.
    check(&[
        // Inclusive at both ends.
        ("ts within 1 day", [T, T, U, F, F]),
        ("ts within 3 months", [T, T, U, F, T]),
        ("ts within 24 hours", [T, T, U, F, F]),
        ("ts within 11 hours", [F, T, U, F, F]),
        ("ts before 1 day ago", [F, F, U, T, T]),
        ("ts after today", [F, F, U, F, F]),
        ("ts after 2026-11-23T11:59:59Z", [T, T, U, F, F]),
        ("ts before now", [T, F, U, T, T]),
        ("dt within 1 month", [F, T, U, F, T]),
        ("dt within 0 days", [F, T, U, F, F]),
        ("dt after 30 days ago", [F, T, U, F, F]),
        ("dt before 2 years ago", [T, F, U, T, F]),
        ("days_since(ts) == 0", [T, T, U, F, F]),
        ("days_since(ts) == 92", [F, F, U, F, T]),
        ("days_since(dt) == 31", [F, F, U, F, T]),
        ("year(dt) == 2024", [T, F, U, F, F]),
        ("month(ts) == 11", [T, T, U, F, F]),
        ("day(dt) == 29", [T, F, U, F, F]),
        ("year(ts) == 1970", [F, F, U, T, F]),
    ]);
}

#[test]
fn kleene_logic() {
    check(&[
        ("b and i > 0", [T, F, U, F, F]),
        ("b or s is missing", [T, F, T, T, F]),
        ("b and s is missing", [F, F, U, F, F]),
        ("not b", [F, T, U, F, T]),
        ("f > 0 or f is missing", [T, F, T, T, T]),
        // `x or not x` is not always true.
        ("b or not b", [T, T, U, T, T]),
        ("b and not b", [F, F, U, F, F]),
        ("(b or i > 0) and s is present", [T, F, F, T, T]),
    ]);
}

#[test]
fn exclude_removes_only_when_true() {
    let data = rows();
    let source = format!(
        "{SCHEMA}\nsegment everyone_but_b {{ where i is missing or i is present exclude b }}\n\
         segment positive {{ where i > 0 }}\n\
         segment positive_not_b {{ where positive exclude b }}\n"
    );
    let result = common::run(&source, &data, AS_OF);
    let members = |k: usize| (0..5).map(|i| result[k].value(i)).collect::<Vec<_>>();
    // Unknown `exclude` (row 2, b missing) does not remove.
    assert_eq!(members(0), [false, true, true, false, true]);
    assert_eq!(members(1), [true, false, false, false, true]);
    assert_eq!(members(2), [false, false, false, false, true]);
    // Membership arrays never carry nulls.
    assert!(result.iter().all(|a| a.null_count() == 0));
}

/// `bucket("salt")` (LANGUAGE.md §7.2). The expected buckets were computed
/// independently with
/// `python3 -c 'import hashlib,sys; s,k=sys.argv[1:]; print(int.from_bytes(hashlib.md5((s+":"+k).encode()).digest()[:4],"big")%10000)' SALT KEY`:
/// keys 1..5 under "spring-2026" are 399, 2697, 4979, 8676, 3297; under
/// "summer-2026" 3918, 6320, 7092, 7094, 2879.
#[test]
fn buckets_of_int_keys() {
    check(&[
        ("bucket(\"spring-2026\") == 399", [T, F, F, F, F]),
        (
            "bucket(\"spring-2026\") in [2697, 4979, 8676, 3297]",
            [F, T, T, T, T],
        ),
        ("bucket(\"summer-2026\") == 7094", [F, F, F, T, F]),
        // A 10 % holdout: the buckets below 1000.
        ("bucket(\"spring-2026\") < 1000", [T, F, F, F, F]),
        (
            "bucket(\"spring-2026\") between 0 and 9999",
            [T, T, T, T, T],
        ),
        // A bucket is an int like any other.
        ("bucket(\"spring-2026\") % 2 == 1", [T, T, T, F, T]),
    ]);
    // A string param is a salt too.
    let source = format!(
        "{SCHEMA}\nparam campaign = \"spring-2026\"\nsegment held {{ where bucket(campaign) < 1000 }}\n"
    );
    let result = common::run(&source, &rows(), AS_OF);
    assert_eq!(
        (0..5).map(|i| result[0].value(i)).collect::<Vec<_>>(),
        [true, false, false, false, false]
    );
}

/// String keys are hashed as they are (UTF-8, non-ASCII included); a missing
/// key gives a missing bucket, so neither `bucket(..) < 1000` nor its
/// negation holds; int keys of any Arrow width are written in decimal
/// (python3 as above: "C-001" 627, "Zoë" 4786, "" 7671, "日本" 6301; -128
/// 7600, 127 1671, 4294967295 6132, 0 8922).
#[test]
fn buckets_of_string_keys_missing_keys_and_narrow_ints() {
    use arrow::array::{Int8Array, UInt32Array};
    let schema = "schema {\n  id: string key\n}";
    let data = batch(vec![(
        "id",
        Arc::new(StringArray::from(vec![
            Some("C-001"),
            Some("Zoë"),
            Some(""),
            None,
            Some("日本"),
        ])) as ArrayRef,
    )]);
    let got = |c: &str| truth(schema, c, &data);
    assert_eq!(got("bucket(\"spring-2026\") == 627"), [T, F, F, U, F]);
    assert_eq!(got("bucket(\"spring-2026\") == 4786"), [F, T, F, U, F]);
    assert_eq!(got("bucket(\"spring-2026\") == 7671"), [F, F, T, U, F]);
    assert_eq!(got("bucket(\"spring-2026\") == 6301"), [F, F, F, U, T]);
    assert_eq!(got("bucket(\"spring-2026\") is missing"), [F, F, F, T, F]);
    let schema = "schema {\n  id: int key\n}";
    for keys in [
        Arc::new(Int8Array::from(vec![Some(-128), Some(127), None, Some(0)])) as ArrayRef,
        Arc::new(UInt32Array::from(vec![
            Some(4_294_967_295),
            Some(127),
            None,
            Some(0),
        ])),
    ] {
        let first = if keys.data_type() == &arrow::datatypes::DataType::Int8 {
            7600
        } else {
            6132
        };
        let data = batch(vec![("id", keys)]);
        let got = |c: &str| truth(schema, c, &data);
        assert_eq!(
            got(&format!("bucket(\"spring-2026\") == {first}")),
            [T, F, U, F]
        );
        assert_eq!(got("bucket(\"spring-2026\") == 1671"), [F, T, U, F]);
        assert_eq!(got("bucket(\"spring-2026\") == 8922"), [F, F, U, T]);
    }
}

use arrow::array::Array;
