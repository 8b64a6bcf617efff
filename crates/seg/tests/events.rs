//! `--events`: a history held in its own flat table, grouped by key and
//! attached to each profile batch (`seg::events`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use seg::events::{EventTable, EventsReport, open_query_with_events};
use seg::formats::DataFormat;
use seg::ir::{Field, FieldId, Program, Type};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

fn field(name: &str, ty: Type, key: bool) -> Field {
    Field {
        name: name.into(),
        ty,
        key,
        pii: false,
        one_of: None,
        span: Default::default(),
        record: Vec::new(),
    }
}

/// `customer_id: int key`, `orders: list<{ at, amount, category }>`, `age: int`,
/// and one segment `age > 0` (so that the profile file is read for `age`).
fn program(key_ty: Type) -> Program {
    let record = Type::record([
        ("at".to_string(), Type::Timestamp),
        ("amount".to_string(), Type::Decimal),
        ("category".to_string(), Type::String),
    ]);
    let checked = seg::check_source(
        "p.seg".as_ref(),
        &format!(
            "schema {{\n customer_id: {} key\n age: int\n}}\nsegment adults {{ where age > 0 }}\n",
            key_ty
        ),
    );
    let mut program = checked.program.expect("the rules check");
    // The history field is added to the checked schema directly: this test is
    // about the table, not about the language's aggregates.
    program
        .schema
        .fields
        .push(field("orders", Type::list(record), false));
    program
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// Events in a shuffled column order with an extra column, a narrower key
/// type than the profiles', an event whose key matches no profile and one
/// without a key.
fn events_batch() -> RecordBatch {
    let cols: Vec<(&str, ArrayRef)> = vec![
        (
            "category",
            Arc::new(StringArray::from(vec![
                Some("shoes"),
                Some("home"),
                None,
                Some("toys"),
                Some("shoes"),
                Some("home"),
            ])),
        ),
        (
            "note",
            Arc::new(StringArray::from(vec!["a", "b", "c", "d", "e", "f"])),
        ),
        (
            "customer_id",
            Arc::new(Int32Array::from(vec![
                Some(2),
                Some(1),
                Some(2),
                Some(99),
                None,
                Some(2),
            ])),
        ),
        (
            "at",
            Arc::new(
                TimestampMicrosecondArray::from(vec![10, 20, 30, 40, 50, 60]).with_timezone("UTC"),
            ),
        ),
        (
            "amount",
            Arc::new(
                Decimal128Array::from(vec![Some(5990), Some(100), None, Some(1), Some(2), Some(3)])
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
    ];
    RecordBatch::try_from_iter(cols).unwrap()
}

fn profiles_batch() -> RecordBatch {
    RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
        ),
        (
            "age",
            Arc::new(Int64Array::from(vec![30, 40, 50])) as ArrayRef,
        ),
    ])
    .unwrap()
}

fn orders_id(program: &Program) -> FieldId {
    program.schema.find("orders").unwrap()
}

#[test]
fn events_are_grouped_by_key_in_table_order_and_unmatched_rows_counted() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("orders.parquet");
    let profiles = dir.path().join("profiles.parquet");
    write_parquet(&events, &events_batch());
    write_parquet(&profiles, &profiles_batch());
    let program = program(Type::Int);
    let table = EventTable::load(
        &events,
        DataFormat::Parquet,
        &program,
        orders_id(&program),
        1024,
    )
    .unwrap();
    let query = seg::Query::prepare(&program, &seg::RunOptions::default().as_of(0)).unwrap();
    let (input, shared) =
        open_query_with_events(&query, &profiles, DataFormat::Parquet, 1024, vec![table]).unwrap();
    let names: Vec<String> = input
        .schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["customer_id", "age", "orders"]);
    let batches: Vec<RecordBatch> = input.batches.map(|b| b.unwrap().batch).collect();
    assert_eq!(batches.len(), 1);
    let orders = batches[0].column(2).as_list::<i32>();
    // Profile 1 has one event, profile 2 three (in the table's order), and
    // profile 3 none: an empty history, not a missing one.
    assert_eq!(orders.value_offsets(), &[0, 1, 4, 4]);
    assert_eq!(orders.null_count(), 0);
    let records = orders.values().as_struct();
    let names: Vec<&str> = records.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["at", "amount", "category"], "the record's order");
    let categories = records.column(2).as_string::<i32>();
    let got: Vec<Option<&str>> = categories.iter().collect();
    assert_eq!(got, [Some("home"), Some("shoes"), None, Some("home")]);
    let amounts = records
        .column(1)
        .as_primitive::<arrow::datatypes::Decimal128Type>();
    assert_eq!(amounts.value(1), 5990);
    assert_eq!(
        shared.reports(),
        [EventsReport {
            field: "orders".into(),
            path: events.clone(),
            rows: 6,
            matched_rows: 4,
            unmatched_rows: 1,
            missing_key_rows: 1,
        }]
    );
}

/// [`events_batch`] with its key column replaced by `keys`.
fn with_keys(keys: ArrayRef) -> RecordBatch {
    let batch = events_batch();
    let index = batch.schema().index_of("customer_id").unwrap();
    let mut fields: Vec<arrow::datatypes::Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[index] = arrow::datatypes::Field::new("customer_id", keys.data_type().clone(), true);
    let mut columns = batch.columns().to_vec();
    columns[index] = keys;
    RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns).unwrap()
}

/// Loads [`events_batch`] with `keys` as its key column for a `key_ty` key,
/// attaches it to profiles with `profile_keys`: the histories' offsets, and
/// the report's (rows, matched, unmatched, without a key).
fn attach_with_keys(
    keys: ArrayRef,
    key_ty: Type,
    profile_keys: ArrayRef,
) -> (Vec<i32>, (u64, u64, u64, u64)) {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("orders.parquet");
    write_parquet(&events, &with_keys(keys));
    let program = program(key_ty.clone());
    // A small batch size, so that grouping crosses batches.
    let mut table = EventTable::load(
        &events,
        DataFormat::Parquet,
        &program,
        orders_id(&program),
        2,
    )
    .unwrap();
    let list = table.attach(&profile_keys, &key_ty).unwrap();
    let report = table.report();
    (
        list.as_list::<i32>().value_offsets().to_vec(),
        (
            report.rows,
            report.matched_rows,
            report.unmatched_rows,
            report.missing_key_rows,
        ),
    )
}

#[test]
fn uint64_keys_match_int_keys_and_keys_past_i64_match_no_profile() {
    let keys: ArrayRef = Arc::new(arrow::array::UInt64Array::from(vec![
        Some(2),
        Some(1),
        Some(2),
        Some(u64::MAX),
        None,
        Some(2),
    ]));
    let profiles: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
    // `u64::MAX` is a key no profile has, not a missing key.
    assert_eq!(
        attach_with_keys(keys, Type::Int, profiles),
        (vec![0, 1, 4, 4], (6, 4, 1, 1))
    );
}

#[test]
fn string_keys_match_as_text() {
    let keys: ArrayRef = Arc::new(StringArray::from(vec![
        Some("b"),
        Some("a"),
        Some("b"),
        Some("zz"),
        None,
        Some("b"),
    ]));
    let profiles: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("b")]));
    assert_eq!(
        attach_with_keys(keys, Type::String, profiles),
        (vec![0, 1, 1, 4], (6, 4, 1, 1))
    );
}

#[test]
fn a_missing_record_column_or_a_wrong_type_is_a_coded_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("orders.parquet");
    let batch = events_batch();
    let without = batch.project(&[0, 1, 2, 3]).unwrap(); // no `amount`
    write_parquet(&events, &without);
    let program = program(Type::Int);
    let err = EventTable::load(
        &events,
        DataFormat::Parquet,
        &program,
        orders_id(&program),
        1024,
    )
    .err()
    .unwrap();
    assert_eq!(err.code, "E0401");
    assert!(err.message.contains("`amount`"), "{}", err.message);
    assert!(err.message.contains("orders.parquet"), "{}", err.message);

    // `category` as an int column.
    let mut columns = batch.columns().to_vec();
    columns[0] = Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5, 6]));
    let mut fields: Vec<arrow::datatypes::Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[0] = arrow::datatypes::Field::new("category", arrow::datatypes::DataType::Int32, true);
    let wrong =
        RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns).unwrap();
    write_parquet(&events, &wrong);
    let err = EventTable::load(
        &events,
        DataFormat::Parquet,
        &program,
        orders_id(&program),
        1024,
    )
    .err()
    .unwrap();
    assert_eq!(err.code, "E0402", "{}", err.message);
}

#[test]
fn events_need_a_key_and_a_history_field() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("orders.parquet");
    write_parquet(&events, &events_batch());
    let program = program(Type::Int);
    let age = program.schema.find("age").unwrap();
    let err = EventTable::load(&events, DataFormat::Parquet, &program, age, 1024)
        .err()
        .unwrap();
    assert!(
        err.message.contains("not an event history"),
        "{}",
        err.message
    );

    let mut keyless = program.clone();
    for f in &mut keyless.schema.fields {
        f.key = false;
    }
    let err = EventTable::load(
        &events,
        DataFormat::Parquet,
        &keyless,
        orders_id(&keyless),
        1024,
    )
    .err()
    .unwrap();
    assert!(
        err.message.contains("needs a `key` field"),
        "{}",
        err.message
    );
}
