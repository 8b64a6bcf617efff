//! Pruning over real Parquet files: selective queries over sorted data skip
//! exactly the expected row groups and pages, and every plan is sound (no
//! member in anything skipped) over nulls, NaN, ±0.0, truncated statistics,
//! dictionary strings, decimals, every timestamp unit, dates, unsigned ints
//! and files without statistics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Date64Array, Decimal128Array, Float32Array, Float64Array,
    Int32Array, Int64Array, StringArray, StringDictionaryBuilder, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt8Array,
    UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::Int32Type;
use common::{AS_OF, Layout, Run, batch, program, write};
use parquet::file::properties::EnabledStatistics;
use std::sync::Arc;

const DAY: i64 = 86_400_000_000;

fn ints(n: i64) -> ArrayRef {
    Arc::new(Int64Array::from((0..n).collect::<Vec<_>>()))
}

/// One int column `x` = 0..1000 in groups of 100 rows and pages of 10.
fn sorted_file() -> std::fs::File {
    write(&batch(vec![("x", ints(1000))]), &Layout::new(100, 10))
}

#[test]
fn sorted_ints_skip_exact_row_groups_and_pages() {
    let file = sorted_file();
    let p = program("schema { x: int }\nsegment s { where x >= 955 }\n");
    let plan = Run::all(&p).check(&file);
    assert_eq!(plan.row_groups, vec![9]);
    assert_eq!(plan.skipped_row_groups, (0..9).collect::<Vec<_>>());
    // Pages 900..950 hold no member; 950..960 does.
    assert_eq!((plan.pages_total, plan.pages_skipped), (10, 5));
    assert_eq!(plan.rows_skipped_by_pages, 50);
    assert!(plan.selection.is_some());
}

#[test]
fn every_operator_in_both_orders() {
    let file = sorted_file();
    // (condition, kept row groups, page ranges skipped among the kept groups)
    let cases: &[(&str, &[usize], usize)] = &[
        ("x < 150", &[0, 1], 5),
        ("150 > x", &[0, 1], 5),
        ("x <= 149", &[0, 1], 5),
        ("x > 849", &[8, 9], 5),
        ("849 < x", &[8, 9], 5),
        ("x == 425", &[4], 9),
        ("425 == x", &[4], 9),
        ("x != 425", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0),
        ("x between 230 and 245", &[2], 8),
        ("x not between 0 and 899", &[9], 0),
        ("x in [5, 995]", &[0, 9], 18),
        ("x not in [5]", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0),
        ("x < 0", &[], 0),
        ("x is missing", &[], 0),
        ("x is present", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0),
        ("x > 990 or x < 5", &[0, 9], 18),
        ("x > 300 and x < 310", &[3], 9),
        ("not (x >= 20)", &[0], 8),
        ("x * 2 > 1990", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0),
    ];
    for (condition, kept, pages) in cases {
        let p = program(&format!(
            "schema {{ x: int }}\nsegment s {{ where {condition} }}\n"
        ));
        let plan = Run::all(&p).check(&file);
        assert_eq!(&plan.row_groups, kept, "{condition}");
        assert_eq!(plan.pages_skipped, *pages, "{condition}");
    }
}

#[test]
fn segment_references_exclude_and_priorities() {
    let file = sorted_file();
    let source = "schema { x: int }
        segment low { where x < 100 }
        segment mid { where x between 400 and 499 exclude x >= 450 }
        segment ref { where low and x >= 50 }
        segment never { where x > 100 exclude x > 50 }
        priority p { ref mid }
        ";
    let p = program(source);
    let id = |n: &str| p.segment_id(n).unwrap();
    let run = |segments: Vec<seg_ir::SegmentId>, priorities: Vec<usize>| Run {
        program: &p,
        segments,
        priorities,
        as_of: AS_OF,
    };
    assert_eq!(
        run(vec![id("ref")], vec![]).check(&file).row_groups,
        vec![0]
    );
    // `exclude x >= 450` removes the upper half: its pages are skipped.
    let plan = run(vec![id("mid")], vec![]).check(&file);
    assert_eq!((plan.row_groups.clone(), plan.pages_skipped), (vec![4], 5));
    assert_eq!(run(vec![], vec![0]).check(&file).row_groups, vec![0, 4]);
    assert!(
        run(vec![id("never")], vec![])
            .check(&file)
            .row_groups
            .is_empty()
    );
    // `not low` is a member wherever `low` may be false.
    let p2 = program(
        "schema { x: int }\nsegment low { where x < 100 }\nsegment high { where not low }\n",
    );
    let plan = Run {
        program: &p2,
        segments: vec![p2.segment_id("high").unwrap()],
        priorities: vec![],
        as_of: AS_OF,
    }
    .check(&file);
    assert_eq!(plan.row_groups, (1..10).collect::<Vec<_>>());
}

#[test]
fn nulls_and_all_null_groups() {
    // Groups of 10: group 0 all null, group 1 half null, groups 2.. no null.
    let values: Vec<Option<i64>> = (0..50)
        .map(|i| match i {
            0..10 => None,
            10..20 if i % 2 == 0 => None,
            _ => Some(i),
        })
        .collect();
    let file = write(
        &batch(vec![("x", Arc::new(Int64Array::from(values)) as ArrayRef)]),
        &Layout::new(10, 5),
    );
    let check = |condition: &str| {
        let p = program(&format!(
            "schema {{ x: int }}\nsegment s {{ where {condition} }}\n"
        ));
        Run::all(&p).check(&file).row_groups
    };
    assert_eq!(check("x is missing"), vec![0, 1]);
    assert_eq!(check("x is present"), vec![1, 2, 3, 4]);
    assert_eq!(check("x > 5"), vec![1, 2, 3, 4]);
    assert_eq!(check("not (x > 5)"), Vec::<usize>::new());
    assert_eq!(check("x > 5 or x is missing"), vec![0, 1, 2, 3, 4]);
    // `is present` is never unknown, so its negation selects exactly the missing rows.
    assert_eq!(
        check("true and not (x is present and x < 1000)"),
        vec![0, 1]
    );
}

#[test]
fn floats_nan_and_signed_zeros() {
    // Groups of 4 rows.
    let values = vec![
        Some(-0.0),
        Some(0.0),
        Some(-0.0),
        Some(0.0), // zeros only
        Some(1.0),
        Some(f64::NAN),
        Some(2.0),
        Some(3.0), // NaN without nulls
        Some(f64::NAN),
        Some(f64::NAN),
        Some(f64::NAN),
        Some(f64::NAN), // NaN only
        Some(-5.0),
        Some(-4.0),
        Some(f64::NEG_INFINITY),
        Some(-1.0),
    ];
    let f64s = Arc::new(Float64Array::from(values.clone())) as ArrayRef;
    let f32s = Arc::new(Float32Array::from(
        values
            .iter()
            .map(|v| v.map(|x| x as f32))
            .collect::<Vec<_>>(),
    )) as ArrayRef;
    let file = write(&batch(vec![("f", f64s), ("g", f32s)]), &Layout::new(4, 2));
    for column in ["f", "g"] {
        let check = |condition: &str| {
            let p = program(&format!(
                "schema {{ f: float\n g: float }}\nsegment s {{ where {condition} }}\n"
            ));
            Run::all(&p).check(&file).row_groups
        };
        let c = |s: &str| s.replace('f', column);
        // NaN is missing, and Parquet does not count it as null: no float
        // group can be proven free of missing values.
        assert_eq!(check(&c("f is missing")), vec![0, 1, 2, 3], "{column}");
        // The all-NaN group 2 has no bounds at all, so it is always kept.
        assert_eq!(check(&c("f == 0.0")), vec![0, 2], "{column}");
        assert_eq!(check(&c("f == -0.0")), vec![0, 2], "{column}");
        assert_eq!(check(&c("f >= 0.0")), vec![0, 1, 2], "{column}");
        assert_eq!(check(&c("f > 0.0")), vec![1, 2], "{column}");
        assert_eq!(check(&c("f < 0.0")), vec![2, 3], "{column}");
        assert_eq!(check(&c("f <= -0.0")), vec![0, 2, 3], "{column}");
        assert_eq!(check(&c("f in [0.0, -4.0]")), vec![0, 2, 3], "{column}");
        assert_eq!(check(&c("not (f > -100.0)")), vec![2, 3], "{column}");
    }
}

#[test]
fn strings_dictionary_prefix_and_equality() {
    let words = [
        "apple",
        "apricot",
        "banana",
        "blueberry",
        "cherry",
        "citrus",
        "date",
        "durian",
    ];
    let mut dict = StringDictionaryBuilder::<Int32Type>::new();
    let mut plain = Vec::new();
    for w in words.iter().flat_map(|w| std::iter::repeat_n(*w, 5)) {
        dict.append_value(w);
        plain.push(Some(w));
    }
    let file = write(
        &batch(vec![
            ("s", Arc::new(dict.finish()) as ArrayRef),
            ("t", Arc::new(StringArray::from(plain))),
        ]),
        &Layout::new(10, 5),
    );
    for column in ["s", "t"] {
        let check = |condition: &str| {
            let p = program(&format!(
                "schema {{ s: string\n t: string }}\nsegment x {{ where {} }}\n",
                condition.replace('@', column)
            ));
            let plan = Run::all(&p).check(&file);
            (plan.row_groups, plan.pages_skipped)
        };
        assert_eq!(check("@ starts with \"b\""), (vec![1], 0), "{column}");
        assert_eq!(check("@ starts with \"bl\""), (vec![1], 1), "{column}");
        assert_eq!(check("@ == \"cherry\""), (vec![2], 1), "{column}");
        assert_eq!(
            check("@ in [\"date\", \"apple\"]"),
            (vec![0, 3], 2),
            "{column}"
        );
        assert_eq!(check("@ > \"d\""), (vec![3], 0), "{column}");
        assert_eq!(
            check("@ not starts with \"a\""),
            (vec![1, 2, 3], 0),
            "{column}"
        );
        assert_eq!(
            check("@ contains \"rr\""),
            (vec![0, 1, 2, 3], 0),
            "{column}"
        );
        assert_eq!(
            check("@ starts with \"\""),
            (vec![0, 1, 2, 3], 0),
            "{column}"
        );
    }
}

#[test]
fn truncated_string_statistics_stay_sound() {
    // Long values sharing a prefix, truncated to 4 bytes in every statistic.
    let values: Vec<String> = (0..40)
        .map(|i| format!("prefix-{:03}-{}", i, "z".repeat(i % 7)))
        .collect();
    let mut with_max = values.clone();
    // A value whose truncation cannot be incremented ("\u{10FFFF}" is the
    // largest scalar value): the writer keeps the full max.
    with_max.push("\u{10FFFF}\u{10FFFF}\u{10FFFF}\u{10FFFF}\u{10FFFF}x".to_string());
    let array = Arc::new(StringArray::from(with_max.clone())) as ArrayRef;
    let mut layout = Layout::new(10, 5);
    layout.truncate = Some(4);
    let file = write(&batch(vec![("s", array)]), &layout);
    for condition in [
        "s == \"prefix-005-zzzzz\"",
        "s > \"prefix-035\"",
        "s >= \"prefix-039-zzzz\"",
        "s < \"prefix-001\"",
        "s <= \"prefix\"",
        "s starts with \"prefix-02\"",
        "s starts with \"\u{10FFFF}\"",
        "s > \"\u{10FFFF}\u{10FFFF}\u{10FFFF}\u{10FFFF}\u{10FFFF}\"",
        "s in [\"prefix-017-zzz\", \"prefix-033-zzzzz\"]",
        "s not between \"prefix-000\" and \"prefix-030\"",
    ] {
        let p = program(&format!(
            "schema {{ s: string }}\nsegment x {{ where {condition} }}\n"
        ));
        Run::all(&p).check(&file);
    }
    // A truncated min is still a lower bound: nothing sorts below "pref".
    let p = program("schema { s: string }\nsegment x { where s < \"pre\" }\n");
    assert!(Run::all(&p).check(&file).row_groups.is_empty());
}

#[test]
fn decimals_of_several_scales() {
    let n = 40i128;
    let dec = |unscaled: Vec<i128>, precision: u8, scale: i8| {
        Arc::new(
            Decimal128Array::from(unscaled.into_iter().map(Some).collect::<Vec<_>>())
                .with_precision_and_scale(precision, scale)
                .unwrap(),
        ) as ArrayRef
    };
    // The same values 0.00, 1.25, 2.50, ... at scales 2, 6 and 10 (Parquet
    // has no negative scales).
    let file = write(
        &batch(vec![
            ("a", dec((0..n).map(|i| i * 125).collect(), 9, 2)),
            ("b", dec((0..n).map(|i| i * 1_250_000).collect(), 18, 6)),
            (
                "c",
                dec((0..n).map(|i| i * 125 * 10i128.pow(8)).collect(), 38, 10),
            ),
        ]),
        &Layout::new(10, 5),
    );
    let schema = "schema { a: decimal\n b: decimal\n c: decimal }";
    for column in ["a", "b", "c"] {
        let check = |condition: &str| {
            let p = program(&format!(
                "{schema}\nsegment x {{ where {} }}\n",
                condition.replace('@', column)
            ));
            let plan = Run::all(&p).check(&file);
            (plan.row_groups, plan.pages_skipped)
        };
        // 1.25 × 30 = 37.5 is the first value of group 3.
        assert_eq!(check("@ >= 37.5"), (vec![3], 0), "{column}");
        assert_eq!(check("@ >= 37.51"), (vec![3], 0), "{column}");
        assert_eq!(check("@ > 43.75"), (vec![3], 1), "{column}");
        assert_eq!(check("@ == 12.500"), (vec![1], 1), "{column}");
        assert_eq!(check("@ < 0"), (vec![], 0), "{column}");
        assert_eq!(check("@ > 12.4 and @ < 12.6"), (vec![1], 1), "{column}");
        assert_eq!(check("@ > 48.7 * 1.0"), (vec![3], 1), "{column}");
    }
}

#[test]
fn timestamps_of_every_unit_and_dates() {
    // Daily instants ending at AS_OF, 40 rows, groups of 10.
    let micros: Vec<i64> = (0..40).map(|i| AS_OF - (39 - i) * DAY).collect();
    // Nanoseconds 999 past each instant floor to the instant itself.
    let nanos: Vec<i64> = micros.iter().map(|m| m * 1000 + 999).collect();
    let days: Vec<i32> = micros.iter().map(|m| (m / DAY) as i32).collect();
    let file = write(
        &batch(vec![
            (
                "s",
                Arc::new(
                    TimestampSecondArray::from(
                        micros.iter().map(|m| m / 1_000_000).collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ) as ArrayRef,
            ),
            (
                "ms",
                Arc::new(TimestampMillisecondArray::from(
                    micros.iter().map(|m| m / 1000).collect::<Vec<_>>(),
                )),
            ),
            (
                "us",
                Arc::new(TimestampMicrosecondArray::from(micros.clone()).with_timezone("+02:00")),
            ),
            ("ns", Arc::new(TimestampNanosecondArray::from(nanos))),
            ("d32", Arc::new(Date32Array::from(days.clone()))),
            (
                "d64",
                Arc::new(Date64Array::from(
                    days.iter()
                        .map(|d| i64::from(*d) * 86_400_000 + 3_600_000)
                        .collect::<Vec<_>>(),
                )),
            ),
        ]),
        &Layout::new(10, 5),
    );
    let schema = "schema { s: timestamp\n ms: timestamp\n us: timestamp\n ns: timestamp\n d32: date\n d64: date }";
    for column in ["s", "ms", "us", "ns", "d32", "d64"] {
        let check = |condition: &str| {
            let p = program(&format!(
                "{schema}\nsegment x {{ where {} }}\n",
                condition.replace('@', column)
            ));
            let plan = Run::all(&p).check(&file);
            (plan.row_groups, plan.pages_skipped)
        };
        assert_eq!(check("@ within 7 days"), (vec![3], 0), "{column}");
        assert_eq!(check("@ within 3 days"), (vec![3], 1), "{column}");
        assert_eq!(check("@ before 35 days ago"), (vec![0], 1), "{column}");
        assert_eq!(check("@ after today"), (vec![], 0), "{column}");
        // The last instant is exactly AS_OF: `<= now` keeps it (ns floors).
        assert_eq!(check("@ >= now"), (vec![3], 1), "{column}");
        assert_eq!(
            check("@ between 2026-10-20 and 2026-10-21"),
            (vec![0], 0),
            "{column}"
        );
    }
}

#[test]
fn unsigned_ints_and_ints_read_as_floats() {
    let n = 40u64;
    let file = write(
        &batch(vec![
            (
                "a",
                Arc::new(UInt8Array::from(
                    (0..n).map(|i| (i * 6) as u8).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
            (
                "b",
                Arc::new(UInt16Array::from(
                    (0..n).map(|i| (i * 1600) as u16).collect::<Vec<_>>(),
                )),
            ),
            (
                "c",
                Arc::new(UInt32Array::from(
                    (0..n).map(|i| (i as u32) * 100_000_000).collect::<Vec<_>>(),
                )),
            ),
            (
                "d",
                Arc::new(UInt64Array::from(
                    (0..n).map(|i| i * (u64::MAX / 40)).collect::<Vec<_>>(),
                )),
            ),
            (
                "e",
                Arc::new(Int32Array::from(
                    (0..n).map(|i| i as i32 - 20).collect::<Vec<_>>(),
                )),
            ),
        ]),
        &Layout::new(10, 5),
    );
    let schema = "schema { a: int\n b: int\n c: int\n d: float\n e: float }";
    let check = |condition: &str| {
        let p = program(&format!("{schema}\nsegment x {{ where {condition} }}\n"));
        Run::all(&p).check(&file).row_groups
    };
    // Values above the signed range of the stored width sort as unsigned.
    assert_eq!(check("a >= 180"), vec![3]);
    assert_eq!(check("b >= 48000"), vec![3]);
    assert_eq!(check("c >= 3000000000"), vec![3]);
    assert_eq!(check("d > 10000000000000000000.0"), vec![2, 3]);
    assert_eq!(check("e < -10.5"), vec![0]);
    assert_eq!(check("a * 1 >= 180"), vec![0, 1, 2, 3]);
}

#[test]
fn bool_columns() {
    let values: Vec<Option<bool>> = (0..30)
        .map(|i| match i {
            0..10 => Some(false),
            10..20 => Some(true),
            _ => None,
        })
        .collect();
    let file = write(
        &batch(vec![(
            "b",
            Arc::new(BooleanArray::from(values)) as ArrayRef,
        )]),
        &Layout::new(10, 5),
    );
    let check = |condition: &str| {
        let p = program(&format!(
            "schema {{ b: bool }}\nsegment x {{ where {condition} }}\n"
        ));
        Run::all(&p).check(&file).row_groups
    };
    assert_eq!(check("b"), vec![1]);
    assert_eq!(check("not b"), vec![0]);
    assert_eq!(check("b == false"), vec![0]);
    assert_eq!(check("b is missing"), vec![2]);
    assert_eq!(check("b or b is missing"), vec![1, 2]);
}

#[test]
fn missing_statistics_prune_nothing() {
    let mut layout = Layout::new(100, 10);
    layout.statistics = EnabledStatistics::None;
    let file = write(&batch(vec![("x", ints(1000))]), &layout);
    let p = program("schema { x: int }\nsegment s { where x >= 955 }\n");
    let plan = Run::all(&p).check(&file);
    assert_eq!(plan.row_groups.len(), 10);
    assert_eq!(plan.selection, None);
    // Chunk statistics without a page index prune row groups only.
    let mut layout = Layout::new(100, 10);
    layout.statistics = EnabledStatistics::Chunk;
    let file = write(&batch(vec![("x", ints(1000))]), &layout);
    let plan = Run::all(&p).check(&file);
    assert_eq!((plan.row_groups, plan.pages_skipped), (vec![9], 0));
}

#[test]
fn columns_with_different_page_boundaries() {
    // x pages of 10 rows (plain), y pages by its own writer batches: the
    // ranges split at every boundary of both.
    let n = 100;
    let x = ints(n);
    let y: ArrayRef = Arc::new(StringArray::from(
        (0..n)
            .map(|i| format!("{:04}{}", i, "-".repeat((i % 13) as usize * 40)))
            .collect::<Vec<_>>(),
    ));
    let mut layout = Layout::new(100, 10);
    layout.dictionary = false;
    layout.batch_rows = Some(1);
    layout.page_bytes = Some(2000);
    let file = write(&batch(vec![("x", x), ("y", y)]), &layout);
    for condition in [
        "x >= 42 and y < \"0047\"",
        "x < 10 or y >= \"0093\"",
        "y starts with \"005\"",
        "x in [3, 77] and y is present",
    ] {
        let p = program(&format!(
            "schema {{ x: int\n y: string }}\nsegment s {{ where {condition} }}\n"
        ));
        let plan = Run::all(&p).check(&file);
        assert!(plan.pages_skipped > 0, "{condition}");
    }
}

#[test]
fn params_and_overrides_fold_like_evaluation() {
    let file = sorted_file();
    let p = program("schema { x: int }\nparam t = 900\nsegment s { where x > t }\n");
    assert_eq!(Run::all(&p).check(&file).row_groups, vec![9]);
    // An overridden param value is what the pruner folds.
    let pruner = seg_prune::Pruner::new(
        &p,
        &[seg_ir::Const::Int(50)],
        AS_OF,
        &seg_ir::Selection::new(&p, [seg_ir::SegmentId(0)].to_vec(), vec![]),
    );
    let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        file.try_clone().unwrap(),
    )
    .unwrap();
    let plan = pruner.plan(b.metadata(), b.schema());
    assert_eq!(plan.row_groups, (0..10).collect::<Vec<_>>());
}

#[test]
fn describe_lists_necessary_ranges() {
    let p = program(
        "schema { lifetime_value: decimal\n age: int\n country: string\n email: string }
         segment big { where lifetime_value >= 500 and age between 25 and 40 }
         segment young { where age < 30 and country in [\"US\", \"GB\"] or age < 20 and email starts with \"a\" }
        ",
    );
    let big = seg_prune::Pruner::new(
        &p,
        &[],
        AS_OF,
        &seg_ir::Selection::new(&p, [seg_ir::SegmentId(0)].to_vec(), vec![]),
    );
    assert_eq!(big.describe(), "lifetime_value: [500, +inf)\nage: [25, 40]");
    let both = seg_prune::Pruner::new(
        &p,
        &[],
        AS_OF,
        &seg_ir::Selection::new(
            &p,
            [seg_ir::SegmentId(0), seg_ir::SegmentId(1)].to_vec(),
            vec![],
        ),
    );
    assert_eq!(both.describe(), "age: (-inf, 40]");
    let young = seg_prune::Pruner::new(
        &p,
        &[],
        AS_OF,
        &seg_ir::Selection::new(&p, [seg_ir::SegmentId(1)].to_vec(), vec![]),
    );
    assert_eq!(young.describe(), "age: (-inf, 30)");
}
