//! `seg run`, `seg test` and `seg schema infer` as a user runs them: every
//! input and output format, binding and option errors with their codes, no
//! partial output on failure, and agreement across formats.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array, ListBuilder,
    StringArray, StringBuilder, StringDictionaryBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::{Field, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use common::{code, seg, stderr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const RULES: &str = r#"schema {
  id: int key
  age: int
  ltv: float
  spend: decimal
  country: string
  tier: string one of ["gold", "silver"]
  tags: list<string>
  seen: timestamp
  joined: date
  opt_in: bool
}

param min_spend = 100
param home = "US"

segment adults "Adults" {
  where age >= 18
}

segment big "Big spenders" {
  where spend >= min_spend and ltv > 500
  exclude opt_in == false
}

segment yogis {
  where tags contains "yoga" and seen within 30 days
}

segment local_gold {
  where country == home and tier == "gold"
}

segment recent_joiners {
  where joined after 1 year ago
}

priority tiering {
  big
  adults
}

test "an adult" {
  given { age: 40 }
  expect adults
  expect not big
}
"#;

const AS_OF: &str = "2026-11-24T00:00:00Z";

fn days(y: i32, m: u32, d: u32) -> i32 {
    (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
        - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
    .num_days() as i32
}

/// Eight profiles covering present, missing and edge values.
fn profiles() -> RecordBatch {
    let mut tags = ListBuilder::new(StringBuilder::new());
    for row in [
        Some(vec!["yoga"]),
        None,
        Some(vec![]),
        Some(vec!["yoga", "run"]),
        Some(vec!["run"]),
        Some(vec!["yoga"]),
        None,
        Some(vec!["yoga"]),
    ] {
        match row {
            Some(items) => tags.append_value(items.into_iter().map(Some)),
            None => tags.append_null(),
        }
    }
    let mut country = StringDictionaryBuilder::<Int32Type>::new();
    for c in [
        Some("US"),
        Some("US"),
        None,
        Some("DE"),
        Some("US"),
        Some("FR"),
        Some("US"),
        Some("US"),
    ] {
        match c {
            Some(c) => {
                country.append_value(c);
            }
            None => country.append_null(),
        }
    }
    let seen = |d: i32| Some(i64::from(d) * 86_400_000_000);
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "id",
            Arc::new(Int64Array::from((1..=8).collect::<Vec<i64>>())),
        ),
        (
            "age",
            Arc::new(Int64Array::from(vec![
                Some(30),
                Some(17),
                None,
                Some(65),
                Some(18),
                Some(40),
                Some(22),
                Some(50),
            ])),
        ),
        (
            "ltv",
            Arc::new(Float64Array::from(vec![
                Some(900.0),
                Some(10.0),
                Some(700.0),
                Some(f64::NAN),
                Some(501.0),
                Some(2000.0),
                None,
                Some(600.0),
            ])),
        ),
        (
            "spend",
            Arc::new(
                Decimal128Array::from(vec![
                    Some(15000),
                    Some(100),
                    Some(20000),
                    Some(50000),
                    Some(9999),
                    Some(10000),
                    Some(30000),
                    None,
                ])
                .with_precision_and_scale(12, 2)
                .unwrap(),
            ),
        ),
        ("country", Arc::new(country.finish())),
        (
            "tier",
            Arc::new(StringArray::from(vec![
                Some("gold"),
                Some("silver"),
                None,
                Some("gold"),
                Some("gold"),
                None,
                Some("gold"),
                Some("silver"),
            ])),
        ),
        ("tags", Arc::new(tags.finish())),
        (
            "seen",
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    seen(days(2026, 11, 20)),
                    seen(days(2026, 1, 1)),
                    None,
                    seen(days(2026, 11, 23)),
                    seen(days(2026, 11, 1)),
                    seen(days(2026, 10, 1)),
                    seen(days(2026, 11, 24)),
                    seen(days(2026, 10, 25)),
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            "joined",
            Arc::new(Date32Array::from(vec![
                Some(days(2026, 1, 1)),
                Some(days(2020, 5, 5)),
                Some(days(2025, 11, 24)),
                None,
                Some(days(2025, 11, 25)),
                Some(days(2026, 11, 24)),
                Some(days(2019, 1, 1)),
                Some(days(2026, 6, 30)),
            ])),
        ),
        (
            "opt_in",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(true),
                Some(false),
                None,
                Some(true),
                Some(true),
                Some(false),
                Some(true),
            ])),
        ),
        ("unused_extra", Arc::new(StringArray::from(vec!["x"; 8]))),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

/// Members per segment, worked out by hand from the rows above (as of 2026-11-24).
/// adults: ages 30, 65, 18, 40, 22, 50 → 6.
/// big: spend ≥ 100 and ltv > 500, minus opt_in false: rows 1 (150, 900), 3 (200, 700, opt_in false → out),
///      4 (500, NaN → unknown), 5 (99.99 → no), 6 (100, 2000) → rows 1 and 6 → 2.
/// yogis: yoga and seen within 30 days (from 2026-10-25): rows 1, 4, 8 (Oct 25, inclusive) → 3.
/// local_gold: US and gold: rows 1, 5, 7 → 3.
/// recent_joiners: joined after 2025-11-24: rows 1, 5, 6, 8 → 4.
const EXPECTED: [(&str, u64); 5] = [
    ("adults", 6),
    ("big", 2),
    ("yogis", 3),
    ("local_gold", 3),
    ("recent_joiners", 4),
];

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    dir
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    // Two row groups, so batches cross row-group boundaries.
    writer.write(&batch.slice(0, 3)).unwrap();
    writer.flush().unwrap();
    writer.write(&batch.slice(3, 5)).unwrap();
    writer.close().unwrap();
}

fn write_ipc_file(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::ipc::writer::FileWriter::try_new(file, &batch.schema()).unwrap();
    writer.write(batch).unwrap();
    writer.finish().unwrap();
}

fn write_ipc_stream(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::ipc::writer::StreamWriter::try_new(file, &batch.schema()).unwrap();
    writer.write(&batch.slice(0, 4)).unwrap();
    writer.write(&batch.slice(4, 4)).unwrap();
    writer.finish().unwrap();
}

const CSV: &str = "id,age,ltv,spend,country,tier,tags,seen,joined,opt_in,unused_extra
1,30,900,150.00,US,gold,\"[\"\"yoga\"\"]\",2026-11-20T00:00:00Z,2026-01-01,true,x
2,17,10,1.00,US,silver,,2026-01-01T00:00:00Z,2020-05-05,true,x
3,,700,200,,,[],,2025-11-24,false,x
4,65,NaN,500.00,DE,gold,\"[\"\"yoga\"\",\"\"run\"\"]\",2026-11-23T00:00:00Z,,,x
5,18,501,99.99,US,gold,\"[\"\"run\"\"]\",2026-11-01T00:00:00Z,2025-11-25,true,x
6,40,2000,100.0,FR,,\"[\"\"yoga\"\"]\",2026-10-01T00:00:00Z,2026-11-24,true,x
7,22,,300.000,US,gold,,2026-11-24T00:00:00Z,2019-01-01,false,x
8,50,600,,US,silver,\"[\"\"yoga\"\"]\",2026-10-25T00:00:00Z,2026-06-30,true,x
";

const JSONL: &str = r#"{"id":1,"age":30,"ltv":900,"spend":150.00,"country":"US","tier":"gold","tags":["yoga"],"seen":"2026-11-20T00:00:00Z","joined":"2026-01-01","opt_in":true}
{"id":2,"age":17,"ltv":10,"spend":"1.00","country":"US","tier":"silver","tags":null,"seen":"2026-01-01T00:00:00Z","joined":"2020-05-05","opt_in":true}
{"id":3,"ltv":700,"spend":200,"tags":[],"joined":"2025-11-24","opt_in":false,"extra":{"nested":[1,2]}}
{"id":4,"age":65,"ltv":null,"spend":500.00,"country":"DE","tier":"gold","tags":["yoga","run"],"seen":"2026-11-23T00:00:00Z"}
{"id":5,"age":18,"ltv":501,"spend":99.99,"country":"US","tier":"gold","tags":["run"],"seen":"2026-11-01T00:00:00Z","joined":"2025-11-25","opt_in":true}
{"id":6,"age":40,"ltv":2000,"spend":100.0,"country":"FR","tags":["yoga"],"seen":"2026-10-01T00:00:00Z","joined":"2026-11-24","opt_in":true}
{"id":7,"age":22,"spend":300.000,"country":"US","tier":"gold","seen":"2026-11-24T00:00:00Z","joined":"2019-01-01","opt_in":false}
{"id":8,"age":50,"ltv":600,"country":"US","tier":"silver","tags":["yoga"],"seen":"2026-10-25T00:00:00Z","joined":"2026-06-30","opt_in":true}
"#;

/// The data in every input format, in `dir`.
fn write_all_formats(dir: &Path) -> Vec<PathBuf> {
    let batch = profiles();
    let paths = ["p.parquet", "p.arrow", "p.arrows", "p.csv", "p.jsonl"].map(|n| dir.join(n));
    write_parquet(&paths[0], &batch);
    write_ipc_file(&paths[1], &batch);
    write_ipc_stream(&paths[2], &batch);
    std::fs::write(&paths[3], CSV).unwrap();
    std::fs::write(&paths[4], JSONL).unwrap();
    paths.to_vec()
}

fn summary(dir: &Path, data: &Path, extra: &[&str]) -> serde_json::Value {
    let data = data.to_str().unwrap();
    let mut args = vec!["run", "rules.seg", "--data", data, "--summary", "json"];
    if !extra.contains(&"--as-of") {
        args.extend_from_slice(&["--as-of", AS_OF]);
    }
    args.extend_from_slice(extra);
    let out = seg(&args, dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn members(summary: &serde_json::Value) -> Vec<(String, u64)> {
    common::sizes(summary)
}

#[test]
fn every_input_format_gives_the_hand_computed_counts() {
    let dir = workspace();
    let expected: Vec<(String, u64)> = EXPECTED.iter().map(|(n, c)| (n.to_string(), *c)).collect();
    for data in write_all_formats(dir.path()) {
        for (threads, engine) in [("1", "jit"), ("2", "jit"), ("1", "interp"), ("2", "interp")] {
            // Batches of 3 rows cross row-group and batch boundaries.
            let s = summary(
                dir.path(),
                &data,
                &[
                    "--threads",
                    threads,
                    "--batch-rows",
                    "3",
                    "--engine",
                    engine,
                ],
            );
            assert_eq!(s["engine"], engine);
            assert_eq!(s["profiles"], 8, "{}", data.display());
            assert_eq!(
                members(&s),
                expected,
                "{} with {threads} threads on {engine}",
                data.display()
            );
            let tiering = &s["priorities"][0];
            assert_eq!(tiering["assignments"][0]["profiles"], 2, "big first");
            assert_eq!(
                tiering["assignments"][1]["profiles"], 4,
                "adults not already big"
            );
            assert_eq!(tiering["unassigned"], 2);
        }
    }
}

#[test]
fn every_output_format_holds_the_same_results() {
    let dir = workspace();
    let data = write_all_formats(dir.path())[0].clone();
    let mut texts = Vec::new();
    for ext in ["parquet", "csv", "jsonl", "arrow"] {
        let out = format!("results.{ext}");
        let run = seg(
            &[
                "run",
                "rules.seg",
                "--data",
                data.to_str().unwrap(),
                "--as-of",
                AS_OF,
                "--out",
                &out,
                "--batch-rows",
                "3",
            ],
            dir.path(),
        );
        assert_eq!(code(&run), 0, "{}", stderr(&run));
        // Read every output back through `seg run` itself is circular; read it
        // with Arrow's readers and render it as CSV text for comparison.
        let path = dir.path().join(&out);
        let batches: Vec<RecordBatch> = match ext {
            "parquet" => parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                std::fs::File::open(&path).unwrap(),
            )
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect(),
            "arrow" => {
                arrow::ipc::reader::FileReader::try_new(std::fs::File::open(&path).unwrap(), None)
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
            "csv" => {
                texts.push(std::fs::read_to_string(&path).unwrap());
                continue;
            }
            _ => {
                let text = std::fs::read_to_string(&path).unwrap();
                assert_eq!(text.lines().count(), 8);
                assert!(
                    text.lines()
                        .next()
                        .unwrap()
                        .starts_with("{\"id\":1,\"adults\":true,\"big\":true")
                );
                continue;
            }
        };
        let mut csv = Vec::new();
        {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut csv);
            for b in &batches {
                writer.write(b).unwrap();
            }
        }
        texts.push(String::from_utf8(csv).unwrap());
    }
    assert_eq!(
        texts[1],
        "id,adults,big,yogis,local_gold,recent_joiners,tiering\n\
         1,true,true,true,true,true,big\n\
         2,false,false,false,false,false,\n\
         3,false,false,false,false,false,\n\
         4,true,false,true,false,false,adults\n\
         5,true,false,false,true,true,adults\n\
         6,true,true,false,false,true,big\n\
         7,true,false,false,true,false,adults\n\
         8,true,false,true,false,true,adults\n"
    );
    assert_eq!(texts[0], texts[1], "parquet output differs from csv");
    assert_eq!(texts[2], texts[1], "arrow output differs from csv");
}

#[test]
fn segments_select_and_params_override() {
    let dir = workspace();
    let data = write_all_formats(dir.path())[0].clone();
    let s = summary(dir.path(), &data, &["--segments", "big,tiering"]);
    assert_eq!(members(&s), vec![("big".to_string(), 2)]);
    assert_eq!(s["priorities"][0]["name"], "tiering");
    // min_spend=1 admits row 5 (99.99, ltv 501).
    let s = summary(
        dir.path(),
        &data,
        &["--param", "min_spend=1", "--param", "home=\"FR\""],
    );
    let m = members(&s);
    assert_eq!(m[1], ("big".to_string(), 3));
    assert_eq!(m[3], ("local_gold".to_string(), 0), "no gold member in FR");
}

fn run_err(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = seg(args, dir);
    (code(&out), stderr(&out))
}

#[test]
fn param_overrides_are_type_checked() {
    let dir = workspace();
    let data = write_all_formats(dir.path())[0].clone();
    let d = data.to_str().unwrap();
    let (status, err) = run_err(
        dir.path(),
        &["run", "rules.seg", "--data", d, "--param", "min_spend=lots"],
    );
    assert_eq!(status, 2);
    assert!(err.contains("error[E0404]"), "{err}");
    let (status, err) = run_err(
        dir.path(),
        &["run", "rules.seg", "--data", d, "--param", "min_spnd=5"],
    );
    assert_eq!(status, 2);
    assert!(
        err.contains("error[E0405]: there is no param `min_spnd`"),
        "{err}"
    );
    assert!(err.contains("did you mean `min_spend`?"), "{err}");
    let (status, err) = run_err(
        dir.path(),
        &["run", "rules.seg", "--data", d, "--param", "min_spend"],
    );
    assert_eq!(status, 2);
    assert!(err.contains("NAME=VALUE"), "{err}");
}

#[test]
fn as_of_is_validated() {
    let dir = workspace();
    let data = write_all_formats(dir.path())[0].clone();
    let (status, err) = run_err(
        dir.path(),
        &[
            "run",
            "rules.seg",
            "--data",
            data.to_str().unwrap(),
            "--as-of",
            "yesterday",
        ],
    );
    assert_eq!(status, 2);
    assert!(
        err.contains("error[E0406]: `yesterday` is not an instant"),
        "{err}"
    );
    // A date is midnight UTC.
    let s = summary(dir.path(), &data, &["--as-of", "2026-11-24"]);
    assert_eq!(s["as_of"], "2026-11-24T00:00:00Z");
}

#[test]
fn unknown_segments_are_rejected() {
    let dir = workspace();
    let data = write_all_formats(dir.path())[0].clone();
    let (status, err) = run_err(
        dir.path(),
        &[
            "run",
            "rules.seg",
            "--data",
            data.to_str().unwrap(),
            "--segments",
            "adults,yogi",
        ],
    );
    assert_eq!(status, 2);
    assert!(err.contains("error[E0407]"), "{err}");
    assert!(err.contains("did you mean `yogis`?"), "{err}");
}

#[test]
fn missing_column_is_a_binding_error() {
    let dir = workspace();
    std::fs::write(dir.path().join("p.csv"), "id,agee,ltv\n1,30,5\n").unwrap();
    let (status, err) = run_err(
        dir.path(),
        &[
            "run",
            "rules.seg",
            "--data",
            "p.csv",
            "--segments",
            "adults",
        ],
    );
    assert_eq!(status, 2);
    assert!(err.contains("error[E0401]"), "{err}");
    assert!(err.contains("column `age` is not in the data"), "{err}");
    assert!(
        err.contains("rules.seg:3:3"),
        "located at the field's declaration: {err}"
    );
    assert!(err.contains("`agee`"), "{err}");
}

#[test]
fn ill_typed_column_is_a_binding_error() {
    let dir = workspace();
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", arrow::datatypes::DataType::Int64, false),
            Field::new("age", arrow::datatypes::DataType::Utf8, true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(StringArray::from(vec!["thirty"])),
        ],
    )
    .unwrap();
    write_parquet_one(&dir.path().join("bad.parquet"), &batch);
    let (status, err) = run_err(
        dir.path(),
        &[
            "run",
            "rules.seg",
            "--data",
            "bad.parquet",
            "--segments",
            "adults",
        ],
    );
    assert_eq!(status, 2);
    assert!(err.contains("error[E0402]"), "{err}");
    assert!(
        err.contains("column `age` is Utf8 in the data, which cannot serve `int`"),
        "{err}"
    );
}

fn write_parquet_one(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn corrupt_data_is_reported() {
    let dir = workspace();
    let data = write_all_formats(dir.path());
    // A truncated Parquet file, garbage named .arrow, malformed CSV and JSON.
    let bytes = std::fs::read(&data[0]).unwrap();
    std::fs::write(dir.path().join("cut.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.path().join("junk.arrow"), b"not arrow at all").unwrap();
    std::fs::write(dir.path().join("bad.csv"), "id,age\n1,thirty\n").unwrap();
    std::fs::write(
        dir.path().join("bad.jsonl"),
        "{\"id\": 1, \"age\": 30}\n{\"id\": 2, \"age\": \n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("baddec.csv"),
        "id,age,ltv,spend,opt_in\n1,30,5,12.3.4,true\n",
    )
    .unwrap();
    for (name, segments) in [
        ("cut.parquet", "adults,big"),
        ("junk.arrow", "adults"),
        ("bad.csv", "adults"),
        ("bad.jsonl", "adults"),
        ("baddec.csv", "big"),
    ] {
        let (status, err) = run_err(
            dir.path(),
            &[
                "run",
                "rules.seg",
                "--data",
                name,
                "--segments",
                segments,
                "--out",
                "out.csv",
            ],
        );
        assert_eq!(status, 2, "{name}: {err}");
        assert!(err.contains("error[E0403]"), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(
            !dir.path().join("out.csv").exists(),
            "{name} left a partial output"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".seg-run"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn rules_with_errors_exit_1_and_run_nothing() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("bad.seg"),
        "schema { a: int }\nsegment s { where b > 1 }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("p.csv"), "a\n1\n").unwrap();
    let (status, err) = run_err(dir.path(), &["run", "bad.seg", "--data", "p.csv"]);
    assert_eq!(status, 1);
    assert!(err.contains("error[E0101]"), "{err}");
}

#[test]
fn seg_test_reports_failures_with_values() {
    let dir = workspace();
    let rules = RULES.replace("expect not big", "expect big");
    std::fs::write(dir.path().join("rules.seg"), rules).unwrap();
    let out = seg(&["test", "rules.seg"], dir.path());
    assert_eq!(code(&out), 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL  rules.seg:"), "{stdout}");
    assert!(stdout.contains("expected the profile to be a member of `big`, but it is not: `where` is unknown, `exclude` is unknown"), "{stdout}");
    assert!(
        stdout.contains("reads: spend is missing, ltv is missing, opt_in is missing"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("0 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn seg_test_passes_the_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = seg(&["test", "examples/"], &root);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0, "{stdout}{}", stderr(&out));
    assert!(stdout.trim_end().ends_with(", 0 failed"), "{stdout}");
}

#[test]
fn schema_infer_prints_a_schema_that_binds() {
    let dir = workspace();
    let data = write_all_formats(dir.path())[0].clone();
    let out = seg(&["schema", "infer", data.to_str().unwrap()], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let schema = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        schema,
        // `country` and `tier` have few values: `one of` is suggested.
        "schema {\n  id: int key  # guessed from the name: check it identifies a profile\n  age: int\n  ltv: float\n  spend: decimal\n  country: string one of [\"DE\", \"FR\", \"US\"]  # the values in the first 8 rows: check the list is complete\n  tier: string one of [\"gold\", \"silver\"]  # the values in the first 8 rows: check the list is complete\n  tags: list<string>\n  seen: timestamp\n  joined: date\n  opt_in: bool\n  unused_extra: string\n}\n"
    );
    // The inferred schema checks and binds to the same data.
    std::fs::write(
        dir.path().join("inferred.seg"),
        format!("{schema}\nsegment everyone {{ where id is present }}\n"),
    )
    .unwrap();
    let s = {
        let out = seg(
            &[
                "run",
                "inferred.seg",
                "--data",
                data.to_str().unwrap(),
                "--summary",
                "json",
            ],
            dir.path(),
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(s["segments"][0]["members"], 8);
}

/// `seg run` end to end on the bundled data: the summary is snapshotted (the
/// elapsed time and thread count redacted), so any change in a segment's size
/// shows up in review.
#[test]
fn bundled_data_summary_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--summary",
            "json",
        ],
        &root,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["profiles"], 20_000);
    summary["elapsed_seconds"] = serde_json::json!("[elapsed]");
    summary["threads"] = serde_json::json!("[threads]");
    insta::assert_json_snapshot!(summary);
    // The human table, from the same run at one thread.
    let out = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            AS_OF,
            "--threads",
            "1",
        ],
        &root,
    );
    // The table is on standard output; warnings stay on standard error.
    let table = common::text(&out.stdout);
    let table: String = table
        .lines()
        .map(|l| {
            if l.contains(" profiles from ") {
                "[totals line]"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(table);
}

/// A file sorted by age in 8 row groups of 500 rows, with a page index and
/// pages of 100 rows: the shape pruning is for.
fn write_sorted_parquet(path: &Path) {
    let rows = 4_000usize;
    let ids: Vec<i64> = (0..rows as i64).collect();
    // Ages rise with the row; every 7th is missing.
    let ages: Vec<Option<i64>> = (0..rows)
        .map(|i| (i % 7 != 3).then_some(i as i64 / 50))
        .collect();
    let ltv: Vec<Option<f64>> = (0..rows).map(|i| Some((i % 1_000) as f64)).collect();
    let spend: Vec<Option<i128>> = (0..rows).map(|i| Some((i % 300) as i128 * 100)).collect();
    let country: Vec<Option<&str>> = (0..rows).map(|i| Some(["US", "DE", "FR"][i % 3])).collect();
    let tier: Vec<Option<&str>> = (0..rows).map(|i| (i % 2 == 0).then_some("gold")).collect();
    let mut tags = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        tags.append_value([Some(if i % 5 == 0 { "yoga" } else { "run" })]);
    }
    let seen: Vec<Option<i64>> = (0..rows)
        .map(|i| Some(1_795_478_400_000_000 - (i as i64 % 90) * 86_400_000_000))
        .collect();
    let joined: Vec<Option<i32>> = (0..rows).map(|i| Some(20_000 + (i % 700) as i32)).collect();
    let opt_in: Vec<Option<bool>> = (0..rows).map(|i| Some(i % 3 != 0)).collect();
    let batch = seg_testkit::batch(vec![
        ("id", Arc::new(Int64Array::from(ids)) as ArrayRef),
        ("age", Arc::new(Int64Array::from(ages))),
        ("ltv", Arc::new(Float64Array::from(ltv))),
        (
            "spend",
            Arc::new(
                Decimal128Array::from(spend)
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
        ("country", Arc::new(StringArray::from(country))),
        ("tier", Arc::new(StringArray::from(tier))),
        ("tags", Arc::new(tags.finish())),
        (
            "seen",
            Arc::new(TimestampMicrosecondArray::from(seen).with_timezone("UTC")),
        ),
        ("joined", Arc::new(Date32Array::from(joined))),
        ("opt_in", Arc::new(BooleanArray::from(opt_in))),
    ]);
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(500))
        .set_data_page_row_count_limit(100)
        .set_write_batch_size(100)
        .set_statistics_enabled(parquet::file::properties::EnabledStatistics::Page)
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(properties)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Statistics prune row groups and pages on a selective query over a sorted
/// file, and the sizes and the per-profile output are the same as without
/// pruning (and without the optimizer).
#[test]
fn pruning_skips_row_groups_with_identical_results() {
    let dir = workspace();
    let data = dir.path().join("sorted.parquet");
    write_sorted_parquet(&data);
    for selection in ["adults", "adults,big,local_gold", "tiering"] {
        let pruned = summary(dir.path(), &data, &["--segments", selection]);
        let full = summary(
            dir.path(),
            &data,
            &["--segments", selection, "--no-prune", "--no-optimize"],
        );
        assert_eq!(members(&pruned), members(&full), "{selection}");
        assert_eq!(pruned["priorities"], full["priorities"], "{selection}");
        assert_eq!(pruned["profiles"], 4_000);
        assert!(full["pruning"].is_null());
    }
    // `adults` (age >= 18) cannot match the first 900 rows: row group 0
    // (ages 0-9) is skipped whole, and so are the pages of group 1 below 18.
    let pruned = summary(dir.path(), &data, &["--segments", "adults"]);
    let pruning = &pruned["pruning"];
    assert_eq!(pruning["row_groups"], 8, "{pruning}");
    assert_eq!(pruning["row_groups_skipped"], 1, "{pruning}");
    assert!(pruning["pages_skipped"].as_u64().unwrap() >= 4, "{pruning}");
    assert!(
        pruning["rows_skipped"].as_u64().unwrap() >= 900,
        "{pruning}"
    );
    // With `--out`, skipped row groups are read for their keys only: every
    // profile is in the output, with the same values as a full run.
    for (name, extra) in [("pruned.csv", vec![]), ("full.csv", vec!["--no-prune"])] {
        let out = dir.path().join(name);
        let mut args = vec![
            "run",
            "rules.seg",
            "--data",
            data.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--segments",
            "adults,tiering",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let result = seg(&args, dir.path());
        assert_eq!(code(&result), 0, "{}", stderr(&result));
    }
    let pruned = std::fs::read_to_string(dir.path().join("pruned.csv")).unwrap();
    let full = std::fs::read_to_string(dir.path().join("full.csv")).unwrap();
    assert_eq!(pruned.lines().count(), 4_001);
    assert_eq!(pruned, full);
}
