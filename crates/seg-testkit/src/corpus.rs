//! A corpus for differential tests against other engines: generated
//! well-typed programs over every construct of the language, and a table of
//! adversarial profiles. The SQL back ends' tests (`seg-sql`, and the
//! DataFusion back end) run the same corpus, so every engine is held to the
//! same programs and the same rows.
//!
//! The table holds the values engines disagree on: NULL, NaN, ±0.0, ±inf,
//! integer extremes, decimals at their precision, month ends and leap days,
//! instants at DST changes and a microsecond from midnight, empty lists and
//! lists with missing elements, quotes, backslashes, newlines, `%` and `_`,
//! and non-ASCII text whose case mapping or order differs between engines.
//! Floats stay within ±1e70 so that generated arithmetic never overflows
//! a double (PostgreSQL raises an error where Seg gives infinity).

use crate::generate::{
    self, before_after, compare, contains_quantified, is_missing, is_present, membership,
    schema_with, string_test,
};
use crate::{AS_OF, Rng};
use arrow::array::*;
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use std::path::Path;
use std::sync::Arc;

/// Segments per generated program.
pub const SEGMENTS: usize = 50;
/// Profiles in the table.
pub const ROWS: usize = 600;

fn schema() -> String {
    schema_with(
        &[
            "id: int key",
            "li: list<int>",
            "tn: timestamp",
            "n: int",
            "g: float",
            "e: decimal",
        ],
        &["param p_ints = [1, 7]"],
    )
}

fn int_expr() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => Just("i".to_string()),
        1 => Just("p_int".to_string()),
        2 => (-3i64..8).prop_map(|v| v.to_string()),
        1 => Just("9223372036854775807".to_string()),
        1 => Just("-9223372036854775807".to_string()),
        1 => Just("length(s)".to_string()),
        1 => Just("size(ls)".to_string()),
        1 => Just("size(li)".to_string()),
        1 => Just("days_since(ts)".to_string()),
        1 => Just("days_since(dt)".to_string()),
        1 => Just("year(dt)".to_string()),
        1 => Just("year(ts)".to_string()),
        1 => Just("month(ts)".to_string()),
        1 => Just("month(dt)".to_string()),
        1 => Just("day(dt)".to_string()),
        1 => Just("day(ts)".to_string()),
        2 => Just("n".to_string()),
        1 => Just("days_since(tn)".to_string()),
        1 => Just("year(tn)".to_string()),
        1 => Just("day(tn)".to_string()),
        1 => Just("abs(i)".to_string()),
        1 => Just("-i".to_string()),
        1 => Just("coalesce(i, 3)".to_string()),
        1 => Just("bucket(\"spring-2026\")".to_string()),
        1 => Just("(bucket(p_str) % 8)".to_string()),
    ];
    generate::arithmetic(leaf.boxed(), 2, 8)
}

fn num_expr() -> BoxedStrategy<String> {
    prop_oneof![
        3 => int_expr(),
        2 => Just("f".to_string()),
        1 => Just("g".to_string()),
        1 => Just("e".to_string()),
        1 => Just("(e * 3)".to_string()),
        1 => Just("(e + d)".to_string()),
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
        1 => Just("(f % 2.5)".to_string()),
        1 => Just("(d * d - f)".to_string()),
        1 => Just("(d + 1)".to_string()),
        1 => Just("(d % 0.3)".to_string()),
        1 => Just("(d / 3)".to_string()),
        1 => Just("abs(d)".to_string()),
        1 => Just("abs(f)".to_string()),
        1 => Just("-f".to_string()),
        1 => Just("-d".to_string()),
        1 => Just("coalesce(i, f)".to_string()),
        1 => Just("coalesce(d, 1)".to_string()),
    ]
    .boxed()
}

fn string_expr() -> BoxedStrategy<String> {
    prop_oneof![
        5 => Just("s".to_string()),
        1 => Just("p_str".to_string()),
        1 => Just("\"a\"".to_string()),
        1 => Just("\"ab\"".to_string()),
        1 => Just("\"\"".to_string()),
        1 => Just("\"it's\"".to_string()),
        1 => Just("\"back\\\\slash\"".to_string()),
        1 => Just("\"x%y_z\"".to_string()),
        1 => Just("\"Zürich\"".to_string()),
        1 => Just("\"STRASSE\"".to_string()),
        1 => Just("lower(s)".to_string()),
        1 => Just("upper(s)".to_string()),
        1 => Just("coalesce(s, \"z\")".to_string()),
    ]
    .boxed()
}

fn time_expr() -> BoxedStrategy<String> {
    prop_oneof![
        3 => Just("ts".to_string()),
        2 => Just("tn".to_string()),
        3 => Just("dt".to_string()),
        1 => Just("now".to_string()),
        1 => Just("today".to_string()),
        1 => Just("3 days ago".to_string()),
        1 => Just("2 months ago".to_string()),
        1 => Just("1 year ago".to_string()),
        1 => Just("9 months ago".to_string()),
        1 => Just("2024-02-29".to_string()),
        1 => Just("2026-03-29T01:30:00Z".to_string()),
        1 => Just("2026-10-25T00:59:59.999999Z".to_string()),
        1 => Just("coalesce(ts, now)".to_string()),
        1 => Just("coalesce(dt, today)".to_string()),
    ]
    .boxed()
}

const PATTERNS: &[&str] = &[
    "^[a-c]",
    "b$",
    "(?i)strasse",
    "(?i)zürich",
    "^.$",
    "a.c",
    "\\\\d",
    "^\\\\w+$",
    "é|ß",
    "^$",
    "x%y",
    "[[:upper:]]",
    "\\\\s",
    "^(ab)+$",
    "a{2,}",
    "\\\\bcat\\\\b",
    "\\\\p{Greek}",
    "[^a-z]",
    "\\\\\\\\",
    "'",
];

fn predicate() -> BoxedStrategy<String> {
    prop_oneof![
        4 => compare(num_expr(), num_expr()),
        3 => compare(string_expr(), string_expr()),
        3 => compare(time_expr(), time_expr()),
        1 => Just("b".to_string()),
        1 => Just("b == false".to_string()),
        1 => Just("b != (i > 2)".to_string()),
        1 => Just("coalesce(b, i > 0)".to_string()),
        1 => Just("b in [true]".to_string()),
        1 => Just("(i > 1) is missing".to_string()),
        1 => membership(num_expr(), "[0, 1, 2.5, -3]"),
        1 => (any::<bool>()).prop_map(|n| format!("i {}in p_ints", if n { "not " } else { "" })),
        1 => Just("i in []".to_string()),
        1 => Just("i not in []".to_string()),
        1 => Just("d in [2.5, 0.01, 0, 99999999999.99]".to_string()),
        1 => Just("f in [0.1, -0.0, 2.5]".to_string()),
        1 => membership(string_expr(), "p_list"),
        1 => Just("s in [\"a\", \"Zürich\", \"it's\"]".to_string()),
        1 => Just("s not in [\"\", \"b\"]".to_string()),
        1 => Just("dt in [2024-02-29, 2026-11-24]".to_string()),
        2 => (num_expr(), num_expr(), num_expr(), any::<bool>())
            .prop_map(|(a, lo, hi, n)| format!("{a} {}between {lo} and {hi}", if n { "not " } else { "" })),
        1 => (string_expr(), string_expr(), string_expr())
            .prop_map(|(a, lo, hi)| format!("{a} between {lo} and {hi}")),
        1 => (time_expr(), time_expr(), time_expr())
            .prop_map(|(a, lo, hi)| format!("{a} between {lo} and {hi}")),
        3 => string_test(
            string_expr(),
            vec!["contains", "starts with", "ends with", "not contains", "not starts with", "not ends with"],
            string_expr()
        ),
        2 => (prop::sample::select(PATTERNS), any::<bool>())
            .prop_map(|(p, n)| format!("s {}matches \"{p}\"", if n { "not " } else { "" })),
        1 => contains_quantified("ls", "[\"a\", \"c\"]"),
        1 => contains_quantified("ls", "[\"\", \"ß\"]"),
        1 => contains_quantified("li", "[1, 7]"),
        1 => contains_quantified("li", "[]"),
        1 => contains_quantified("li", "[-9223372036854775807]"),
        1 => Just("ls contains \"b\"".to_string()),
        1 => Just("ls not contains p_str".to_string()),
        1 => Just("li contains any p_ints".to_string()),
        1 => Just("ls contains all p_list".to_string()),
        2 => is_missing(vec!["i", "f", "d", "b", "s", "dt", "ts", "ls", "li", "tn", "n", "g", "e", "(i + 1)", "(f / f)", "(f * f - f)", "lower(s)"]),
        1 => is_present(vec!["i", "f", "d", "s", "ts", "(d * d)"]),
        1 => Just("ts within p_win".to_string()),
        1 => Just("ts > 5 hours ago".to_string()),
        1 => Just("ts within 3 hours".to_string()),
        1 => Just("ts within 2 months".to_string()),
        1 => Just("dt within 1 month".to_string()),
        1 => Just("dt within 2 weeks".to_string()),
        1 => Just("dt within 1 year".to_string()),
        2 => before_after(time_expr),
    ]
    .boxed()
}

/// The text of one program drawn from `runner`: its schema, params, [`SEGMENTS`] segments (some
/// referencing earlier ones, some with `exclude`) and a priority group.
pub fn program_text(runner: &mut TestRunner) -> String {
    let condition = generate::condition(predicate(), 3, 12);
    let mut pick = Rng::new(any::<u64>().new_tree(runner).unwrap().current());
    let mut draw = || condition.new_tree(runner).unwrap().current();
    let mut text = schema();
    for k in 0..SEGMENTS {
        let mut where_ = draw();
        if k > 0 && pick.below(4) == 0 {
            let other = pick.below(k as u64);
            let joiner = ["and", "or", "and not"][pick.below(3) as usize];
            where_ = format!("({where_}) {joiner} s{other}");
        }
        let exclude = if pick.below(5) == 0 {
            format!(" exclude {}", draw())
        } else {
            String::new()
        };
        text.push_str(&format!("segment s{k} {{ where {where_}{exclude} }}\n"));
    }
    text.push_str("priority waterfall {\n");
    for k in 0..5 {
        text.push_str(&format!("  s{}\n", k * 7 % SEGMENTS));
    }
    text.push_str("}\n");
    text
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "b",
    "ab",
    "abc",
    "A",
    "B",
    "Zürich",
    "zürich",
    "ZÜRICH",
    "straße",
    "STRASSE",
    "Straße",
    "İstanbul",
    "istanbul",
    "ΣΑΣ",
    "σας",
    "it's",
    "back\\slash",
    "x%y_z",
    "x_y",
    "new\nline",
    "tab\there",
    "é",
    "e\u{301}",
    "😀",
    "San José",
    " a ",
    "cat",
    "a cat!",
    "concat",
    "123",
    "٣",
    "a1b2",
    "z",
    "~",
    "ab\u{7f}",
    "\u{a0}",
    "ﬀ",
    "K",
];

fn string_value(rng: &mut Rng) -> Option<String> {
    match rng.below(12) {
        0 => None,
        _ => Some(STRINGS[rng.below(STRINGS.len() as u64) as usize].to_string()),
    }
}

/// The table of [`ROWS`] adversarial profiles (see the module
/// documentation), drawn from `rng`: columns `s`, `id` (the key), `ts`
/// (microseconds, UTC), `i`, `f`, `d` (decimal(18, 2)), `b`, `dt`, `ls`,
/// `li`, `tn` (microseconds, no zone), `n` (Int32), `g` (Float32) and `e`
/// (decimal(38, 10)), in an order other than the schema's.
pub fn table(rng: &mut Rng) -> RecordBatch {
    let day = 86_400_000_000i64;
    let as_of_day = i32::try_from(AS_OF / day).unwrap();
    let ints = [
        0,
        1,
        -1,
        2,
        3,
        7,
        -7,
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        i64::MIN + 1,
        1 << 40,
        -(1 << 33),
    ];
    let floats = [
        f64::NAN,
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1.25,
        -2.5,
        0.1,
        2.5,
        7.0,
        1e70,
        -1e70,
        1e-70,
        0.3,
    ];
    let decimals: [i128; 10] = [
        0,
        1,
        -1,
        250,
        100_000,
        -99_999_999,
        9_999_999_999_999_999,
        -9_999_999_999_999_999,
        30,
        12_345,
    ];
    let dates = [
        0,
        -1,
        19_782, // 2024-02-29
        as_of_day,
        as_of_day - 1,
        as_of_day - 30,
        as_of_day - 31,
        as_of_day - 365,
        as_of_day + 1,
        -719_162,  // 0001-01-01
        2_932_896, // 9999-12-31
        20_757,    // 2026-10-31
    ];
    let instants = [
        AS_OF,
        AS_OF - 1,
        AS_OF + 1,
        AS_OF - 30 * day,
        AS_OF - 30 * day - 1,
        AS_OF - 3 * 3_600_000_000,
        0,
        -1,
        1_773_025_200_000_000,   // 2026-03-09T03:00:00Z (DST in America)
        1_774_747_800_000_000,   // 2026-03-29T01:30:00Z (DST in Europe)
        1_792_889_999_999_999,   // 2026-10-25T00:59:59.999999Z
        1_709_164_800_000_000,   // 2024-02-29T00:00:00Z
        -62_135_596_800_000_000, // 0001-01-01T00:00:00Z
        253_402_300_799_999_999, // 9999-12-31T23:59:59.999999Z
        i64::from(as_of_day) * day - 1,
    ];
    let mut id = Vec::new();
    let (mut i, mut f, mut d, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut s, mut dt, mut ts) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tn, mut n, mut g, mut e) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut ls = ListBuilder::new(StringBuilder::new());
    let mut li = ListBuilder::new(Int64Builder::new());
    for row in 0..ROWS {
        id.push(row as i64);
        let null = |rng: &mut Rng| rng.below(8) == 0;
        i.push(if null(rng) {
            None
        } else if rng.below(2) == 0 {
            Some(ints[rng.below(ints.len() as u64) as usize])
        } else {
            Some(rng.below(20) as i64 - 10)
        });
        f.push(if null(rng) {
            None
        } else if rng.below(2) == 0 {
            Some(floats[rng.below(floats.len() as u64) as usize])
        } else {
            Some((rng.below(4000) as f64 - 2000.0) / 8.0)
        });
        d.push(if null(rng) {
            None
        } else if rng.below(2) == 0 {
            Some(decimals[rng.below(decimals.len() as u64) as usize])
        } else {
            Some(i128::from(rng.below(2000)) - 1000)
        });
        b.push(if null(rng) {
            None
        } else {
            Some(rng.below(2) == 0)
        });
        s.push(string_value(rng));
        dt.push(if null(rng) {
            None
        } else if rng.below(2) == 0 {
            Some(dates[rng.below(dates.len() as u64) as usize])
        } else {
            Some(as_of_day - 800 + rng.below(1000) as i32)
        });
        ts.push(if null(rng) {
            None
        } else if rng.below(2) == 0 {
            Some(instants[rng.below(instants.len() as u64) as usize])
        } else {
            Some(
                AS_OF - (rng.below(800 * 24) as i64 - 100) * 3_600_000_000 + rng.below(1000) as i64,
            )
        });
        // A timestamp without a zone (UTC to Seg), an Int32, a Float32 and a
        // 38-digit decimal of scale 10.
        tn.push(if null(rng) {
            None
        } else if rng.below(2) == 0 {
            Some(instants[rng.below(instants.len() as u64) as usize])
        } else {
            Some(AS_OF - (rng.below(800 * 24) as i64 - 100) * 3_600_000_000)
        });
        n.push(if null(rng) {
            None
        } else {
            Some([0, 1, -1, 7, i32::MAX, i32::MIN, 3, -3][rng.below(8) as usize])
        });
        g.push(if null(rng) {
            None
        } else {
            Some(
                [0.1f32, -0.0, 2.5, f32::NAN, f32::INFINITY, 7.0, 1e30, -3.0]
                    [rng.below(8) as usize],
            )
        });
        e.push(if null(rng) {
            None
        } else {
            Some(
                [
                    73_610_109_309_535_155i128,
                    1,
                    -1_234_567_890_123,
                    25_000_000_000,
                    0,
                    99_999_999_999_999_999_999_999_999_999_999i128,
                ][rng.below(6) as usize],
            )
        });
        match rng.below(6) {
            0 => ls.append_null(),
            1 => ls.append(true),
            _ => {
                for _ in 0..rng.below(4) {
                    match rng.below(7) {
                        0 => ls.values().append_null(),
                        1 => ls.values().append_value(""),
                        2 => ls.values().append_value("ß"),
                        3 => ls.values().append_value("c"),
                        4 => ls.values().append_value("b"),
                        _ => ls.values().append_value("a"),
                    }
                }
                ls.append(true);
            }
        }
        match rng.below(6) {
            0 => li.append_null(),
            1 => li.append(true),
            _ => {
                for _ in 0..rng.below(4) {
                    match rng.below(6) {
                        0 => li.values().append_null(),
                        1 => li.values().append_value(-9_223_372_036_854_775_807),
                        2 => li.values().append_value(7),
                        _ => li.values().append_value(rng.below(4) as i64),
                    }
                }
                li.append(true);
            }
        }
    }
    let decimal = Decimal128Array::from(d)
        .with_precision_and_scale(18, 2)
        .unwrap();
    let ts = TimestampMicrosecondArray::from(ts).with_timezone("UTC");
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("s", Arc::new(StringArray::from(s))),
        ("id", Arc::new(Int64Array::from(id))),
        ("ts", Arc::new(ts)),
        ("i", Arc::new(Int64Array::from(i))),
        ("f", Arc::new(Float64Array::from(f))),
        ("d", Arc::new(decimal)),
        ("b", Arc::new(BooleanArray::from(b))),
        ("dt", Arc::new(Date32Array::from(dt))),
        ("ls", Arc::new(ls.finish())),
        ("li", Arc::new(li.finish())),
        ("tn", Arc::new(TimestampMicrosecondArray::from(tn))),
        ("n", Arc::new(Int32Array::from(n))),
        ("g", Arc::new(Float32Array::from(g))),
        (
            "e",
            Arc::new(
                Decimal128Array::from(e)
                    .with_precision_and_scale(38, 10)
                    .unwrap(),
            ),
        ),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

/// Writes `batch` as one Parquet file.
pub fn write_parquet(batch: &RecordBatch, path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}
