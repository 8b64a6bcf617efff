//! Data binding (LANGUAGE.md §5): every accepted physical type reads to the
//! same values, sliced arrays at awkward offsets read like fresh ones,
//! dictionaries with null keys and null values read as missing, and a missing
//! or ill-typed column is a coded error before any row is evaluated.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::datatypes::{DataType, Field, Int8Type, Int32Type};
use seg_eval::{Col, read_column};
use seg_ir::Type;
use std::borrow::Cow;
use std::sync::Arc;

fn ints(values: &[Option<i64>]) -> Col<'static> {
    Col::Int(values.to_vec())
}

#[test]
fn every_integer_width_reads_as_int() {
    let expected = ints(&[Some(1), None, Some(-2), Some(100)]);
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(Int8Array::from(vec![Some(1), None, Some(-2), Some(100)])),
        Arc::new(Int16Array::from(vec![Some(1), None, Some(-2), Some(100)])),
        Arc::new(Int32Array::from(vec![Some(1), None, Some(-2), Some(100)])),
        Arc::new(Int64Array::from(vec![Some(1), None, Some(-2), Some(100)])),
    ];
    for a in &arrays {
        assert_eq!(
            read_column(&Type::Int, a),
            Some(expected.clone()),
            "{}",
            a.data_type()
        );
    }
    let unsigned: Vec<ArrayRef> = vec![
        Arc::new(UInt8Array::from(vec![Some(1), None, Some(255)])),
        Arc::new(UInt16Array::from(vec![Some(1), None, Some(255)])),
        Arc::new(UInt32Array::from(vec![Some(1), None, Some(u32::MAX)])),
    ];
    assert_eq!(
        read_column(&Type::Int, &unsigned[0]),
        Some(ints(&[Some(1), None, Some(255)]))
    );
    assert_eq!(
        read_column(&Type::Int, &unsigned[2]),
        Some(ints(&[Some(1), None, Some(i64::from(u32::MAX))]))
    );
    // UInt64 is an int column too; a value past i64::MAX is missing.
    let u64s: ArrayRef = Arc::new(UInt64Array::from(vec![
        Some(1u64),
        None,
        Some(i64::MAX as u64),
        Some(i64::MAX as u64 + 1),
        Some(u64::MAX),
    ]));
    assert_eq!(
        read_column(&Type::Int, &u64s),
        Some(ints(&[Some(1), None, Some(i64::MAX), None, None]))
    );
    assert!(seg_eval::accepts(&Type::Int, &DataType::UInt64));
}

#[test]
fn floats_widen_exactly_and_nan_is_missing() {
    let f32s: ArrayRef = Arc::new(Float32Array::from(vec![
        Some(0.1f32),
        None,
        Some(f32::NAN),
        Some(-0.0),
    ]));
    assert_eq!(
        read_column(&Type::Float, &f32s),
        Some(Col::Float(vec![
            Some(f64::from(0.1f32)),
            None,
            None,
            Some(-0.0)
        ]))
    );
    let from_ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(3), None]));
    assert_eq!(
        read_column(&Type::Float, &from_ints),
        Some(Col::Float(vec![Some(3.0), None]))
    );
}

#[test]
fn decimals_keep_their_scale() {
    let d: ArrayRef = Arc::new(
        Decimal128Array::from(vec![Some(12345), None])
            .with_precision_and_scale(12, 3)
            .unwrap(),
    );
    assert_eq!(
        read_column(&Type::Decimal, &d),
        Some(Col::Decimal(vec![Some(12345), None], 3))
    );
    // A negative scale multiplies.
    let n: ArrayRef = Arc::new(
        Decimal128Array::from(vec![Some(12)])
            .with_precision_and_scale(5, -2)
            .unwrap(),
    );
    assert_eq!(
        read_column(&Type::Decimal, &n),
        Some(Col::Decimal(vec![Some(1200)], 0))
    );
}

#[test]
fn dates_and_timestamps_of_every_unit() {
    let d64: ArrayRef = Arc::new(Date64Array::from(vec![Some(86_400_000), Some(-1), None]));
    assert_eq!(
        read_column(&Type::Date, &d64),
        Some(Col::Date(vec![Some(1), Some(-1), None]))
    );
    let expected = Col::Timestamp(vec![Some(1_500_000), None, Some(-1)]);
    let s: ArrayRef = Arc::new(
        TimestampNanosecondArray::from(vec![Some(1_500_000_999), None, Some(-1)])
            .with_timezone("Europe/Paris"),
    );
    assert_eq!(
        read_column(&Type::Timestamp, &s),
        Some(expected),
        "nanoseconds floor to the microsecond"
    );
    let ms: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![Some(1_500)]));
    assert_eq!(
        read_column(&Type::Timestamp, &ms),
        Some(Col::Timestamp(vec![Some(1_500_000)]))
    );
    let sec: ArrayRef = Arc::new(TimestampSecondArray::from(vec![Some(2), Some(i64::MAX)]));
    assert_eq!(
        read_column(&Type::Timestamp, &sec),
        Some(Col::Timestamp(vec![Some(2_000_000), None])),
        "seconds that overflow microseconds are missing"
    );
}

fn strs(values: &[Option<&'static str>]) -> Col<'static> {
    Col::Str(values.iter().map(|v| v.map(Cow::Borrowed)).collect())
}

#[test]
fn every_string_representation_reads_alike() {
    let values = [Some("US"), None, Some("Zürich"), Some("")];
    let expected = strs(&values);
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(values.to_vec())),
        Arc::new(LargeStringArray::from(values.to_vec())),
        Arc::new(StringViewArray::from(values.to_vec())),
        Arc::new(
            values
                .iter()
                .copied()
                .collect::<DictionaryArray<Int32Type>>(),
        ),
        Arc::new(
            values
                .iter()
                .copied()
                .collect::<DictionaryArray<Int8Type>>(),
        ),
    ];
    for a in &arrays {
        assert_eq!(
            read_column(&Type::String, a),
            Some(expected.clone()),
            "{}",
            a.data_type()
        );
    }
}

#[test]
fn dictionary_null_keys_and_null_values_are_missing() {
    // Values: ["a", null, "c"]; keys: [0, 1, null, 2, 1].
    let values: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("c")]));
    let keys = Int32Array::from(vec![Some(0), Some(1), None, Some(2), Some(1)]);
    let dictionary: ArrayRef = Arc::new(DictionaryArray::try_new(keys, values).unwrap());
    assert_eq!(
        read_column(&Type::String, &dictionary),
        Some(strs(&[Some("a"), None, None, Some("c"), None]))
    );
    // And sliced.
    let sliced = dictionary.slice(1, 3);
    assert_eq!(
        read_column(&Type::String, &sliced),
        Some(strs(&[None, None, Some("c")]))
    );
}

#[test]
fn an_all_null_dictionary_without_values_reads_as_missing() {
    // What a dictionary builder produces when every row is null.
    let mut builder = arrow::array::StringDictionaryBuilder::<Int32Type>::new();
    builder.append_null();
    builder.append_null();
    let dictionary: ArrayRef = Arc::new(builder.finish());
    assert_eq!(
        read_column(&Type::String, &dictionary),
        Some(strs(&[None, None]))
    );
}

/// 100 rows with a null every third row, for slicing.
fn sample_arrays() -> Vec<(Type, ArrayRef)> {
    let n = 100i64;
    let null_every_third = |i: i64| i % 3 != 0;
    let mut ls = ListBuilder::new(StringBuilder::new());
    let mut li = LargeListBuilder::new(Int64Builder::new());
    for i in 0..n {
        if null_every_third(i) {
            ls.append_value((0..i % 4).map(|k| Some(format!("t{k}"))).chain([None]));
            li.append_value((0..i % 5).map(Some));
        } else {
            ls.append_null();
            li.append_null();
        }
    }
    vec![
        (
            Type::Int,
            Arc::new(Int32Array::from_iter(
                (0..n).map(|i| null_every_third(i).then_some(i as i32 - 50)),
            )),
        ),
        (
            Type::Float,
            Arc::new(Float32Array::from_iter(
                (0..n).map(|i| null_every_third(i).then_some(i as f32 / 7.0)),
            )),
        ),
        (
            Type::Bool,
            Arc::new(BooleanArray::from_iter(
                (0..n).map(|i| null_every_third(i).then_some(i % 2 == 0)),
            )),
        ),
        (
            Type::Decimal,
            Arc::new(
                Decimal128Array::from_iter(
                    (0..n).map(|i| null_every_third(i).then_some(i128::from(i) * 101)),
                )
                .with_precision_and_scale(20, 2)
                .unwrap(),
            ),
        ),
        (
            Type::String,
            Arc::new(StringArray::from_iter(
                (0..n).map(|i| null_every_third(i).then(|| format!("s{i}"))),
            )),
        ),
        (
            Type::String,
            Arc::new(
                (0..n)
                    .map(|i| null_every_third(i).then(|| ["a", "b", "c"][(i % 3) as usize]))
                    .collect::<DictionaryArray<Int32Type>>(),
            ),
        ),
        (
            Type::Date,
            Arc::new(Date32Array::from_iter(
                (0..n).map(|i| null_every_third(i).then_some(i as i32 * 40)),
            )),
        ),
        (
            Type::Timestamp,
            Arc::new(TimestampMillisecondArray::from_iter(
                (0..n).map(|i| null_every_third(i).then_some(i * 1_000_003)),
            )),
        ),
        (Type::list(Type::String), Arc::new(ls.finish())),
        (Type::list(Type::Int), Arc::new(li.finish())),
    ]
}

fn slice_col(col: Col<'_>, offset: usize, len: usize) -> Col<'_> {
    fn s<T: Clone>(v: Vec<T>, offset: usize, len: usize) -> Vec<T> {
        v[offset..offset + len].to_vec()
    }
    match col {
        Col::Bool(v) => Col::Bool(s(v, offset, len)),
        Col::Int(v) => Col::Int(s(v, offset, len)),
        Col::Float(v) => Col::Float(s(v, offset, len)),
        Col::Decimal(v, sc) => Col::Decimal(s(v, offset, len), sc),
        Col::Str(v) => Col::Str(s(v, offset, len)),
        Col::Date(v) => Col::Date(s(v, offset, len)),
        Col::Timestamp(v) => Col::Timestamp(s(v, offset, len)),
        Col::ListStr(v) => Col::ListStr(s(v, offset, len)),
        Col::ListInt(v) => Col::ListInt(s(v, offset, len)),
    }
}

#[test]
fn sliced_arrays_read_like_fresh_ones() {
    for (ty, array) in sample_arrays() {
        let whole = read_column(&ty, &array).unwrap();
        for offset in [1, 7, 9, 63] {
            for len in [0, 1, 5, 30] {
                let sliced = array.slice(offset, len);
                assert_eq!(
                    read_column(&ty, &sliced),
                    Some(slice_col(whole.clone(), offset, len)),
                    "{} sliced at {offset} for {len}",
                    array.data_type()
                );
            }
        }
    }
}

#[test]
fn evaluation_over_sliced_batches_matches_the_unsliced_one() {
    let source = r#"schema {
  n: int
  x: float
  s: string
  tags: list<string>
}
segment a { where n > 0 and x < 5 }
segment b { where s in ["a", "c"] or tags contains "t1" }
segment c { where n is missing exclude x > 3 }
"#;
    let arrays = sample_arrays();
    let pick = |ty: Type, k: usize| {
        arrays
            .iter()
            .filter(|(t, _)| *t == ty)
            .nth(k)
            .unwrap()
            .1
            .clone()
    };
    let full = common::batch(vec![
        ("n", pick(Type::Int, 0)),
        ("x", pick(Type::Float, 0)),
        ("s", pick(Type::String, 1)),
        ("tags", pick(Type::list(Type::String), 0)),
    ]);
    let whole = common::run(source, &full, common::AS_OF);
    for offset in [1, 7, 9, 63] {
        let part = full.slice(offset, 30);
        let sliced = common::run(source, &part, common::AS_OF);
        for (k, result) in sliced.iter().enumerate() {
            let expected: Vec<bool> = (offset..offset + 30).map(|i| whole[k].value(i)).collect();
            let got: Vec<bool> = (0..30).map(|i| result.value(i)).collect();
            assert_eq!(got, expected, "segment {k} at offset {offset}");
        }
    }
}

#[test]
fn missing_and_ill_typed_columns_are_coded_errors() {
    let program = common::program(
        "schema {\n  id: int key\n  age: int\n  country: string\n  unused: float\n}\nsegment s { where age > 3 and country == \"US\" }\n",
    );
    let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
    let schema = arrow::datatypes::Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("agee", DataType::Int64, true),
        Field::new("country", DataType::Int32, true),
    ]);
    let errors = evaluator.bind(&schema).unwrap_err();
    let codes: Vec<_> = errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["E0401", "E0402"]);
    assert_eq!(errors[0].message, "column `age` is not in the data");
    assert_eq!(
        errors[0].help.as_deref(),
        Some("the data has a column `agee`: rename the field, or the column")
    );
    assert_eq!(
        errors[1].message,
        "column `country` is Int32 in the data, which cannot serve `string`"
    );
    // `unused` is not read by any segment, so its absence is not an error.
    assert!(errors.iter().all(|e| !e.message.contains("unused")));
}

#[test]
fn priority_groups_pick_the_first_listed_member() {
    let source = r#"schema { n: int }
segment big { where n > 10 }
segment some { where n > 0 }
priority size {
  big
  some
}
"#;
    let program = common::program(source);
    let data = common::batch(vec![(
        "n",
        Arc::new(Int64Array::from(vec![Some(20), Some(5), Some(-1), None])) as ArrayRef,
    )]);
    let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
    let binding = evaluator.bind(data.schema().as_ref()).unwrap();
    let result = evaluator.evaluate(&binding, &data).unwrap();
    // Positions in the group's list: `big` is 0, `some` is 1.
    let group = &result.priorities[0];
    let chosen: Vec<Option<u32>> = group.iter().collect();
    assert_eq!(chosen, [Some(0), Some(1), None, None]);
}

/// Selecting a segment id the program does not have is a caller's bug; the
/// evaluator reports it (E0901) instead of panicking.
#[test]
fn unknown_selected_segment_is_an_error_not_a_panic() {
    let program = common::program("schema { a: int }\nsegment s { where a > 1 }\n");
    let batch = common::batch(vec![(
        "a",
        Arc::new(Int64Array::from(vec![Some(2)])) as ArrayRef,
    )]);
    let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF)
        .select(vec![seg_ir::SegmentId(7)], Vec::new());
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let error = evaluator.evaluate(&binding, &batch).unwrap_err();
    assert_eq!(error.code, seg_diagnostics::Code::E0901);
}

/// A nullable Arrow field, for building nested types.
fn child(name: &str, dt: DataType) -> Field {
    Field::new(name, dt, true)
}

fn list_of(dt: DataType) -> DataType {
    DataType::List(Arc::new(child("item", dt)))
}

fn large_list_of(dt: DataType) -> DataType {
    DataType::LargeList(Arc::new(child("item", dt)))
}

#[test]
fn list_binding_is_recursive_and_keeps_v01_lists_as_they_were() {
    use seg_eval::accepts;
    let strings = Type::list(Type::String);
    let ints = Type::list(Type::Int);
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::LargeUtf8));
    for element in [
        DataType::Utf8,
        DataType::LargeUtf8,
        DataType::Utf8View,
        dictionary,
    ] {
        assert!(accepts(&strings, &list_of(element.clone())), "{element}");
        assert!(
            accepts(&strings, &large_list_of(element.clone())),
            "{element}"
        );
        assert!(!accepts(&ints, &list_of(element)));
    }
    for element in [
        DataType::Int8,
        DataType::Int32,
        DataType::UInt32,
        DataType::Int64,
    ] {
        assert!(accepts(&ints, &list_of(element.clone())), "{element}");
        assert!(accepts(&ints, &large_list_of(element.clone())), "{element}");
        assert!(!accepts(&strings, &list_of(element)));
    }
    // As before: no UInt64 elements (only a top-level int column reads
    // them), no bare values, no fixed-size lists.
    assert!(!accepts(&ints, &list_of(DataType::UInt64)));
    assert!(!accepts(&strings, &DataType::Utf8));
    assert!(!accepts(
        &strings,
        &DataType::FixedSizeList(Arc::new(child("item", DataType::Utf8)), 2)
    ));
    // Nested lists bind level by level.
    let nested = Type::list(Type::list(Type::Int));
    assert!(accepts(&nested, &list_of(large_list_of(DataType::Int16))));
    assert!(!accepts(&nested, &list_of(DataType::Int16)));
    assert!(!accepts(&nested, &list_of(list_of(DataType::Utf8))));
    // The words of a binding error for today's lists are unchanged.
    assert_eq!(
        seg_eval::accepted_types(&strings),
        "List or LargeList of strings"
    );
    assert_eq!(
        seg_eval::accepted_types(&ints),
        "List or LargeList of integers"
    );
}

#[test]
fn a_record_binds_to_a_struct_by_field_name_in_any_order() {
    use seg_eval::accepts;
    let record = Type::record([
        ("at".to_string(), Type::Timestamp),
        ("amount".to_string(), Type::Decimal),
        ("category".to_string(), Type::String),
    ]);
    let timestamp = DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, None);
    let strukt = |fields: Vec<Field>| DataType::Struct(fields.into());
    // The declared order, another order, and extra children: all bind.
    let exact = strukt(vec![
        child("at", timestamp.clone()),
        child("amount", DataType::Decimal128(10, 2)),
        child("category", DataType::Utf8),
    ]);
    let shuffled_with_extras = strukt(vec![
        child("channel", DataType::Utf8),
        child(
            "category",
            DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)),
        ),
        child("sku", DataType::Int64),
        child("amount", DataType::Decimal128(38, 4)),
        child("at", timestamp.clone()),
    ]);
    assert!(accepts(&record, &exact));
    assert!(accepts(&record, &shuffled_with_extras));
    // Each child is checked with its field's own rule.
    let float_amount = strukt(vec![
        child("at", timestamp.clone()),
        child("amount", DataType::Float64),
        child("category", DataType::Utf8),
    ]);
    assert!(
        !accepts(&record, &float_amount),
        "decimal takes Decimal128 only"
    );
    // A declared field absent from the struct, names matched exactly.
    let missing = strukt(vec![
        child("at", timestamp.clone()),
        child("category", DataType::Utf8),
    ]);
    assert!(!accepts(&record, &missing));
    let other_case = strukt(vec![
        child("At", timestamp.clone()),
        child("amount", DataType::Decimal128(10, 2)),
        child("category", DataType::Utf8),
    ]);
    assert!(!accepts(&record, &other_case));
    // A record is a struct, never a scalar or a list.
    assert!(!accepts(&record, &DataType::Utf8));
    assert!(!accepts(&record, &list_of(exact.clone())));
    // An event history: a list (or large list) of such structs.
    let history = Type::list(record.clone());
    assert!(accepts(&history, &list_of(exact.clone())));
    assert!(accepts(&history, &large_list_of(shuffled_with_extras)));
    assert!(!accepts(&history, &list_of(missing)));
    assert!(!accepts(&history, &exact));
    // Records inside records bind recursively too (v0.2 forbids declaring
    // them, but the rule has no special case).
    let outer = Type::record([("inner".to_string(), record)]);
    assert!(accepts(&outer, &strukt(vec![child("inner", exact)])));
    assert!(!accepts(
        &outer,
        &strukt(vec![child("inner", float_amount)])
    ));
    // The binding error names the fields it wanted.
    let words = seg_eval::accepted_types(&history);
    assert!(
        words.starts_with("List or LargeList of Struct with the fields `at`"),
        "{words}"
    );
}

#[test]
fn a_list_of_records_is_bound_but_not_read_yet() {
    // Evaluating event histories is a later step: reading one is refused
    // (an internal error in the evaluator), never a wrong column.
    let mut builder = arrow::array::ListBuilder::new(arrow::array::StructBuilder::from_fields(
        vec![child("sku", DataType::Utf8)],
        0,
    ));
    builder.append_null();
    let array: ArrayRef = Arc::new(builder.finish());
    let history = Type::list(Type::record([("sku".to_string(), Type::String)]));
    assert!(seg_eval::accepts(&history, array.data_type()));
    assert_eq!(read_column(&history, &array), None);
}
