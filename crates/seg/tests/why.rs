//! `seg::why` on files written here: Parquet with many small row groups
//! (only the key's row group is read, for int and string keys), keys that
//! do not parse or are absent, and `pii` masking.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use seg::formats::DataFormat;
use std::path::Path;
use std::sync::Arc;

/// 100 profiles in row groups of 10: ids 0..100 (as ints and as text
/// `c000`..), emails, and ages `id % 50`.
fn write_profiles(path: &Path) {
    let ids: Vec<i64> = (0..100).collect();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
        (
            "code",
            Arc::new(StringArray::from(
                ids.iter().map(|i| format!("c{i:03}")).collect::<Vec<_>>(),
            )),
        ),
        (
            "email",
            Arc::new(StringArray::from(
                ids.iter()
                    .map(|i| format!("p{i}@example.com"))
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "age",
            Arc::new(Int64Array::from(
                ids.iter().map(|i| i % 50).collect::<Vec<_>>(),
            )),
        ),
    ])
    .unwrap();
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(10))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

fn rules(key: &str) -> String {
    let (id, code) = if key == "id" {
        ("id: int key", "code: string")
    } else {
        ("id: int", "code: string key")
    };
    format!(
        "schema {{\n  {id}\n  {code}\n  email: string pii\n  age: int\n}}\n\
         segment adults {{ where age >= 18 }}\n\
         segment example {{ where adults and email ends with \"@example.com\" exclude age > 40 }}\n\
         priority tiers {{\n  example\n  adults\n}}\n"
    )
}

fn why(key_field: &str, key: &str, show_pii: bool) -> Result<seg::Why, seg::RunError> {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("profiles.parquet");
    write_profiles(&data);
    let checked = seg::check_source("rules.seg".as_ref(), &rules(key_field));
    let program = checked.program.clone().expect("the rules check");
    let options = seg::RunOptions::default()
        .as_of_text("2026-11-24")
        .unwrap()
        .optimize(false);
    let query = seg::Query::prepare(&program, &options).unwrap();
    seg::why(
        &query,
        &data,
        DataFormat::Parquet,
        &seg::WhyOptions {
            key: key.to_string(),
            show_pii,
            batch_rows: 7,
            sources: Some(&checked.sources),
        },
    )
}

fn segment<'a>(why: &'a seg::Why, name: &str) -> &'a seg::why::SegmentWhy {
    why.segments.iter().find(|s| s.name == name).unwrap()
}

#[test]
fn only_the_row_group_of_an_int_key_is_read() {
    let why = why("id", "57", false).unwrap();
    assert_eq!(
        why.row_groups,
        Some(seg::why::RowGroups { total: 10, read: 1 })
    );
    assert_eq!(why.rows_with_key, 1);
    // age 7: not an adult, so not in `example` either.
    assert!(!segment(&why, "adults").member);
    let example = segment(&why, "example");
    assert!(!example.member);
    assert_eq!(example.deciding, "adults");
    let tiers = &why.priorities[0];
    assert_eq!(tiers.chosen, None);
    assert!(tiers.entries.iter().all(|e| e.outcome == "lost"));
}

#[test]
fn only_the_row_group_of_a_string_key_is_read() {
    let why = why("code", "c033", false).unwrap();
    assert_eq!(why.row_groups.unwrap().read, 1);
    // age 33: an adult with an example.com address, not over 40.
    let example = segment(&why, "example");
    assert!(example.member);
    assert_eq!(why.priorities[0].chosen.as_deref(), Some("example"));
    let email = example.fields.iter().find(|f| f.name == "email").unwrap();
    assert_eq!(email.value, seg::present::MASKED);
    assert!(email.pii);
    // Positions in the source.
    assert_eq!(example.where_.span.line, Some(8));
}

#[test]
fn exclude_and_the_priority_entry_it_cost() {
    // age 45: an adult, removed from `example` by `exclude age > 40`.
    let why = why("id", "45", true).unwrap();
    let example = segment(&why, "example");
    assert!(!example.member);
    assert!(example.excluded);
    assert_eq!(example.decided_by, "exclude");
    assert_eq!(example.deciding, "age > 40");
    let email = example.fields.iter().find(|f| f.name == "email").unwrap();
    assert_eq!(email.value, "p45@example.com");
    let tiers = &why.priorities[0];
    assert_eq!(tiers.chosen.as_deref(), Some("adults"));
    assert_eq!(tiers.entries[0].outcome, "lost");
    assert_eq!(tiers.entries[0].reason.as_deref(), Some("age > 40"));
    assert_eq!(tiers.entries[0].reason_value, Some(seg::why::Truth::True));
}

#[test]
fn keys_that_do_not_parse_or_are_absent() {
    let error = |result: Result<seg::Why, seg::RunError>| match result {
        Err(seg::RunError::Data(e)) => e,
        other => panic!("expected a data error, got {other:?}"),
    };
    let bad = error(why("id", "abc", false));
    assert_eq!(bad.code, "E0410");
    let absent = error(why("id", "1000", false));
    assert_eq!(absent.code, "E0411");
    assert!(
        absent.help.as_deref().unwrap().contains("`id`"),
        "{absent:?}"
    );
    assert_eq!(error(why("code", "c999", false)).code, "E0411");
}
