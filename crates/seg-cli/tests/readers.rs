//! The data readers against hostile layouts: columns in another order than
//! the rules use, extra columns of types no field can bind, duplicate names,
//! numbers that do not fit their field, decimals whose exact representation
//! must not depend on the batch size, and results that are the same for any
//! batch size, thread count and engine (issue 9, items 1–4, 9, 13).

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    ArrayRef, BinaryArray, Decimal128Array, Int64Array, ListBuilder, StringArray, StringBuilder,
    StructArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use common::{code, seg, stderr};
use seg_testkit::batch;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const AS_OF: &str = "2026-11-24T00:00:00Z";

fn write_parquet(path: &Path, batch: &RecordBatch, row_group: usize) {
    let file = std::fs::File::create(path).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(row_group))
        .build();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

fn write_ipc_file(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::ipc::writer::FileWriter::try_new(file, &batch.schema()).unwrap();
    // Two record batches, so the reader crosses a batch boundary.
    let half = batch.num_rows() / 2;
    writer.write(&batch.slice(0, half)).unwrap();
    writer
        .write(&batch.slice(half, batch.num_rows() - half))
        .unwrap();
    writer.finish().unwrap();
}

fn write_ipc_stream(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::ipc::writer::StreamWriter::try_new(file, &batch.schema()).unwrap();
    let half = batch.num_rows() / 2;
    writer.write(&batch.slice(0, half)).unwrap();
    writer
        .write(&batch.slice(half, batch.num_rows() - half))
        .unwrap();
    writer.finish().unwrap();
}

/// Runs `seg run` with a JSON summary; the members per segment, or the
/// exit status and standard error.
fn run(dir: &Path, rules: &str, data: &str, extra: &[&str]) -> Result<Vec<(String, u64)>, String> {
    let mut args = vec![
        "run",
        rules,
        "--data",
        data,
        "--summary",
        "json",
        "--as-of",
        AS_OF,
    ];
    args.extend_from_slice(extra);
    let out = seg(&args, dir);
    if code(&out) != 0 {
        return Err(format!("exit {}: {}", code(&out), stderr(&out)));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Ok(common::sizes(&json))
}

fn counts(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(n, c)| (n.to_string(), *c)).collect()
}

const K3: &str = "schema {\n id: int key\n x: int\n}\nsegment m { where x is missing }\nsegment a { where x >= 2 }\n";

/// The issue's reproduction: `z, x, id` on disk, `id, x` in the rules.
#[test]
fn ipc_binds_by_name_not_by_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k3.seg"), K3).unwrap();
    let data = batch(vec![
        (
            "z",
            Arc::new(Int64Array::from(vec![7, 7, 7, 7])) as ArrayRef,
        ),
        (
            "x",
            Arc::new(Int64Array::from(vec![Some(1), Some(2), None, Some(4)])),
        ),
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4]))),
    ]);
    write_ipc_file(&dir.path().join("k3.arrow"), &data);
    write_ipc_stream(&dir.path().join("k3.arrows"), &data);
    for file in ["k3.arrow", "k3.arrows"] {
        for engine in ["jit", "interp"] {
            assert_eq!(
                run(dir.path(), "k3.seg", file, &["--engine", engine]),
                Ok(counts(&[("m", 1), ("a", 2)])),
                "{file} {engine}"
            );
        }
    }
}

/// Arrow IPC compressed with LZ4 (pyarrow's `feather.write_feather` default)
/// or zstd, as a file and as a stream, reads like uncompressed IPC.
#[test]
fn compressed_ipc_is_read() {
    use arrow::ipc::CompressionType;
    use arrow::ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k3.seg"), K3).unwrap();
    let data = batch(vec![
        (
            "x",
            Arc::new(Int64Array::from(vec![Some(1), Some(2), None, Some(4)])) as ArrayRef,
        ),
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4]))),
    ]);
    for (codec, name) in [
        (CompressionType::LZ4_FRAME, "lz4"),
        (CompressionType::ZSTD, "zstd"),
    ] {
        let options = IpcWriteOptions::default()
            .try_with_compression(Some(codec))
            .unwrap();
        let file = dir.path().join(format!("{name}.arrow"));
        let mut writer = FileWriter::try_new_with_options(
            std::fs::File::create(&file).unwrap(),
            &data.schema(),
            options.clone(),
        )
        .unwrap();
        writer.write(&data).unwrap();
        writer.finish().unwrap();
        let stream = dir.path().join(format!("{name}.arrows"));
        let mut writer = StreamWriter::try_new_with_options(
            std::fs::File::create(&stream).unwrap(),
            &data.schema(),
            options,
        )
        .unwrap();
        writer.write(&data).unwrap();
        writer.finish().unwrap();
        for path in [file, stream] {
            assert_eq!(
                run(dir.path(), "k3.seg", path.to_str().unwrap(), &[]),
                Ok(counts(&[("m", 1), ("a", 2)])),
                "{name}"
            );
        }
    }
}

/// A struct column (a type no field can bind) holding the given rows.
fn struct_column(rows: usize) -> ArrayRef {
    let inner = Arc::new(Int64Array::from((0..rows as i64).collect::<Vec<_>>())) as ArrayRef;
    Arc::new(StructArray::from(vec![(
        Arc::new(Field::new("inner", DataType::Int64, true)),
        inner,
    )]))
}

/// The rules of the layout tests: a string, an int, a decimal, a timestamp
/// and a list, bound from a file whose columns come in another order with
/// struct and binary columns between them.
const LAYOUT: &str = r#"schema {
  id: int key
  age: int
  spend: decimal
  country: string
  seen: timestamp
  tags: list<string>
}
segment adults { where age >= 18 }
segment big { where spend >= 100.5 }
segment local { where country == "US" }
segment recent { where seen within 30 days }
segment yogis { where tags contains "yoga" }
segment unknown_age { where age is missing }
"#;

const LAYOUT_EXPECTED: [(&str, u64); 6] = [
    ("adults", 3),
    ("big", 3),
    ("local", 2),
    ("recent", 2),
    ("yogis", 2),
    ("unknown_age", 1),
];

fn layout_batch() -> RecordBatch {
    let mut tags = ListBuilder::new(StringBuilder::new());
    for row in [
        Some(vec!["yoga"]),
        None,
        Some(vec!["run", "yoga"]),
        Some(vec![]),
        Some(vec!["run"]),
        None,
    ] {
        match row {
            Some(items) => tags.append_value(items.into_iter().map(Some)),
            None => tags.append_null(),
        }
    }
    let seen = TimestampMicrosecondArray::from(vec![
        Some(1_795_000_000_000_000), // 2026-11-18: recent
        None,
        Some(1_790_000_000_000_000), // 2026-09-21
        Some(1_795_400_000_000_000), // 2026-11-23: recent
        None,
        Some(1_000_000_000_000_000),
    ])
    .with_timezone("UTC");
    let spend = Decimal128Array::from(vec![
        Some(10050),
        Some(10051),
        None,
        Some(99_999),
        Some(-5),
        Some(0),
    ])
    .with_precision_and_scale(12, 2)
    .unwrap();
    batch(vec![
        (
            "blob",
            Arc::new(BinaryArray::from(vec![b"a" as &[u8]; 6])) as ArrayRef,
        ),
        ("tags", Arc::new(tags.finish())),
        ("rec", struct_column(6)),
        ("seen", Arc::new(seen)),
        (
            "country",
            Arc::new(StringArray::from(vec![
                Some("US"),
                Some("DE"),
                None,
                Some("US"),
                Some("FR"),
                Some(""),
            ])),
        ),
        ("spend", Arc::new(spend)),
        ("extra", Arc::new(Int64Array::from(vec![9; 6]))),
        (
            "age",
            Arc::new(Int64Array::from(vec![
                Some(30),
                Some(17),
                Some(18),
                None,
                Some(90),
                Some(0),
            ])),
        ),
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6]))),
    ])
}

const LAYOUT_CSV: &str = "tags,extra,seen,country,spend,blob,age,id
\"[\"\"yoga\"\"]\",9,2026-11-18T11:06:40Z,US,100.50,a,30,1
,9,,DE,100.51,a,17,2
\"[\"\"run\"\",\"\"yoga\"\"]\",9,2026-09-21T14:13:20Z,,,a,18,3
[],9,2026-11-23T02:13:20Z,US,999.99,a,,4
\"[\"\"run\"\"]\",9,,FR,-0.05,a,90,5
,9,2001-09-09T01:46:40Z,,0,a,0,6
";

const LAYOUT_JSONL: &str = r#"{"rec":{"a":1},"tags":["yoga"],"seen":"2026-11-18T11:06:40Z","country":"US","spend":100.50,"age":30,"id":1}
{"rec":[1,2],"tags":null,"country":"DE","spend":"100.51","age":17,"id":2}
{"blob":"zz","tags":["run","yoga"],"seen":"2026-09-21T14:13:20Z","age":18,"id":3}
{"tags":[],"seen":"2026-11-23T02:13:20Z","country":"US","spend":999.99,"id":4}
{"tags":["run"],"country":"FR","spend":-0.05,"age":90,"id":5}
{"seen":"2001-09-09T01:46:40Z","country":"","spend":0,"age":0,"id":6}
"#;

/// Writes the layout data in every format; the paths.
fn layout_files(dir: &Path) -> Vec<PathBuf> {
    let data = layout_batch();
    let paths = ["l.parquet", "l.arrow", "l.arrows", "l.csv", "l.jsonl"].map(|n| dir.join(n));
    write_parquet(&paths[0], &data, 4);
    write_ipc_file(&paths[1], &data);
    write_ipc_stream(&paths[2], &data);
    std::fs::write(&paths[3], LAYOUT_CSV).unwrap();
    std::fs::write(&paths[4], LAYOUT_JSONL).unwrap();
    std::fs::write(dir.join("l.seg"), LAYOUT).unwrap();
    paths.to_vec()
}

#[test]
fn every_reader_binds_shuffled_and_extra_columns_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let expected = counts(&LAYOUT_EXPECTED);
    for path in layout_files(dir.path()) {
        let name = path.file_name().unwrap().to_str().unwrap();
        for engine in ["jit", "interp"] {
            assert_eq!(
                run(dir.path(), "l.seg", name, &["--engine", engine]),
                Ok(expected.clone()),
                "{name} {engine}"
            );
            // Projection: one segment reads one column (and the key).
            assert_eq!(
                run(
                    dir.path(),
                    "l.seg",
                    name,
                    &["--engine", engine, "--segments", "local"]
                ),
                Ok(counts(&[("local", 2)])),
                "{name} {engine} --segments local"
            );
        }
    }
}

/// Every format, every batch size, both engines, one and two threads: the
/// per-profile results are byte-for-byte the same.
#[test]
fn results_do_not_depend_on_batch_size_threads_or_engine() {
    let dir = tempfile::tempdir().unwrap();
    let mut reference: Option<String> = None;
    for path in layout_files(dir.path()) {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        for batch_rows in ["1", "2", "7", "65536"] {
            for threads in ["1", "2"] {
                for engine in ["jit", "interp"] {
                    let case = format!(
                        "{name} --batch-rows {batch_rows} --threads {threads} --engine {engine}"
                    );
                    let out = seg(
                        &[
                            "run",
                            "l.seg",
                            "--data",
                            &name,
                            "--as-of",
                            AS_OF,
                            "--batch-rows",
                            batch_rows,
                            "--threads",
                            threads,
                            "--engine",
                            engine,
                            "--out",
                            "out.csv",
                        ],
                        dir.path(),
                    );
                    assert_eq!(code(&out), 0, "{case}: {}", stderr(&out));
                    let written = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
                    match &reference {
                        None => reference = Some(written),
                        Some(r) => assert_eq!(&written, r, "{case}"),
                    }
                }
            }
        }
    }
}

const DECIMALS: &str = "schema {\n id: int key\n d: decimal\n}\nsegment huge { where d >= 99999999999999999999.98 }\nsegment tiny { where d > 0 and d < 0.001 }\nsegment present_d { where d is present }\n";

/// The issue's case: a value with a long fraction in the same batch as a
/// large one. The answer must be the same for every batch size: here an
/// error naming the value that has no exact file-wide representation.
#[test]
fn text_decimals_do_not_depend_on_batch_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.seg"), DECIMALS).unwrap();
    // In range: 20 digits before the point, up to 9 after.
    std::fs::write(
        dir.path().join("ok.csv"),
        "id,d\n1,99999999999999999999.99\n2,0.000000001\n3,5\n4,-99999999999999999999.999999999\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ok.jsonl"),
        "{\"id\":1,\"d\":99999999999999999999.99}\n{\"id\":2,\"d\":\"0.000000001\"}\n{\"id\":3,\"d\":5}\n{\"id\":4,\"d\":-99999999999999999999.999999999}\n",
    )
    .unwrap();
    for file in ["ok.csv", "ok.jsonl"] {
        for rows in ["1", "2", "3", "65536"] {
            assert_eq!(
                run(dir.path(), "d.seg", file, &["--batch-rows", rows]),
                Ok(counts(&[("huge", 1), ("tiny", 1), ("present_d", 4)])),
                "{file} --batch-rows {rows}"
            );
        }
    }
    // Out of range: 22 digits after the point.
    std::fs::write(
        dir.path().join("long.csv"),
        "id,d\n1,99999999999999999999.99\n2,0.0000000000000000000001\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("long.jsonl"),
        "{\"id\":1,\"d\":99999999999999999999.99}\n{\"id\":2,\"d\":0.0000000000000000000001}\n",
    )
    .unwrap();
    for file in ["long.csv", "long.jsonl"] {
        let line = if file.ends_with("csv") { 3 } else { 2 };
        for rows in ["1", "2", "65536"] {
            let err = run(dir.path(), "d.seg", file, &["--batch-rows", rows]).unwrap_err();
            assert!(err.starts_with("exit 2"), "{file} {rows}: {err}");
            assert!(
                err.contains(&format!(
                    "error[E0409]: `{file}` line {line}: `0.0000000000000000000001` in column `d` has more than 9 digits after the point"
                )),
                "{file} {rows}: {err}"
            );
        }
    }
    // Trailing zeros past the ninth digit are exact at scale 9.
    std::fs::write(
        dir.path().join("zeros.csv"),
        "id,d\n1,0.000500000000000000000000\n",
    )
    .unwrap();
    assert_eq!(
        run(dir.path(), "d.seg", "zeros.csv", &[]),
        Ok(counts(&[("huge", 0), ("tiny", 1), ("present_d", 1)]))
    );
}

const TYPED: &str = "schema {\n id: int key\n n: int\n li: list<int>\n t: timestamp\n day: date\n}\nsegment five { where n == 5 }\nsegment has_one { where li contains 1 }\nsegment late { where t after 2020-01-01 }\nsegment fresh { where day after 2020-01-01 }\n";

fn jsonl_error(dir: &Path, name: &str, text: &str, segments: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    let err = run(dir, "t.seg", name, &["--segments", segments]).unwrap_err();
    assert!(err.starts_with("exit 2"), "{err}");
    err
}

/// JSON lines numbers are not coerced: a fraction for an int, a bare number
/// for a timestamp or a date are errors naming the line and the column, as
/// in CSV.
#[test]
fn jsonl_numbers_are_not_coerced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.seg"), TYPED).unwrap();
    let err = jsonl_error(
        dir.path(),
        "n.jsonl",
        "{\"id\":1,\"n\":5}\n{\"id\":2,\"n\":5.7}\n",
        "five",
    );
    assert!(
        err.contains("error[E0403]: `n.jsonl` line 2: `5.7` in column `n` is not an int"),
        "{err}"
    );
    let err = jsonl_error(
        dir.path(),
        "li.jsonl",
        "{\"id\":1,\"li\":[1]}\n{\"id\":2,\"li\":[2]}\n{\"id\":3,\"li\":[1.9]}\n",
        "has_one",
    );
    assert!(
        err.contains("error[E0403]: `li.jsonl` line 3: `1.9` in column `li` is not an int"),
        "{err}"
    );
    let err = jsonl_error(
        dir.path(),
        "t.jsonl",
        "{\"id\":1,\"t\":1700000000}\n",
        "late",
    );
    assert!(
        err.contains("error[E0403]: `t.jsonl` line 1: `1700000000` in column `t` is not a timestamp (2024-01-31T10:00:00Z)"),
        "{err}"
    );
    let err = jsonl_error(dir.path(), "d.jsonl", "{\"id\":1,\"day\":19000}\n", "fresh");
    assert!(
        err.contains(
            "error[E0403]: `d.jsonl` line 1: `19000` in column `day` is not a date (2024-01-31)"
        ),
        "{err}"
    );
    // CSV says the same of the same values.
    std::fs::write(dir.path().join("n.csv"), "id,n\n1,5\n2,5.7\n").unwrap();
    let err = run(dir.path(), "t.seg", "n.csv", &["--segments", "five"]).unwrap_err();
    assert!(
        err.contains("error[E0403]: `n.csv` line 3: `5.7` in column `n` is not an int"),
        "{err}"
    );
    std::fs::write(dir.path().join("t.csv"), "id,t\n1,1700000000\n").unwrap();
    let err = run(dir.path(), "t.seg", "t.csv", &["--segments", "late"]).unwrap_err();
    assert!(
        err.contains("error[E0403]: `t.csv` line 2: `1700000000` in column `t` is not a timestamp (2024-01-31T10:00:00Z)"),
        "{err}"
    );
    std::fs::write(dir.path().join("d.csv"), "id,day\n1,2024-01-01\n2,19000\n").unwrap();
    let err = run(dir.path(), "t.seg", "d.csv", &["--segments", "fresh"]).unwrap_err();
    assert!(
        err.contains(
            "error[E0403]: `d.csv` line 3: `19000` in column `day` is not a date (2024-01-31)"
        ),
        "{err}"
    );
    // Quoted instants and whole numbers stay accepted.
    std::fs::write(
        dir.path().join("good.jsonl"),
        "{\"id\":1,\"n\":5,\"li\":[1,2],\"t\":\"2024-01-31T10:00:00Z\",\"day\":\"2024-01-31\"}\n{\"id\":2,\"n\":-5,\"li\":[],\"t\":\"2019-01-31T10:00:00+02:00\",\"day\":null}\n",
    )
    .unwrap();
    assert_eq!(
        run(dir.path(), "t.seg", "good.jsonl", &[]),
        Ok(counts(&[
            ("five", 1),
            ("has_one", 1),
            ("late", 1),
            ("fresh", 1)
        ]))
    );
}

/// A byte-order mark before the first JSON object is skipped.
#[test]
fn jsonl_accepts_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.seg"), TYPED).unwrap();
    std::fs::write(
        dir.path().join("bom.jsonl"),
        "\u{feff}{\"id\":1,\"n\":5}\n{\"id\":2,\"n\":6}\n",
    )
    .unwrap();
    assert_eq!(
        run(dir.path(), "t.seg", "bom.jsonl", &["--segments", "five"]),
        Ok(counts(&[("five", 1)]))
    );
}

/// Two columns of one name: which one the rules mean is ambiguous.
#[test]
fn duplicate_column_names_are_ambiguous() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.seg"), TYPED).unwrap();
    std::fs::write(dir.path().join("dup.csv"), "id,n,n\n1,5,6\n").unwrap();
    let two = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("n", DataType::Int64, true),
            Field::new("n", DataType::Int64, true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![1])) as ArrayRef,
            Arc::new(Int64Array::from(vec![5])),
            Arc::new(Int64Array::from(vec![6])),
        ],
    )
    .unwrap();
    write_parquet(&dir.path().join("dup.parquet"), &two, 10);
    write_ipc_file(&dir.path().join("dup.arrow"), &two);
    write_ipc_stream(&dir.path().join("dup.arrows"), &two);
    for file in ["dup.csv", "dup.parquet", "dup.arrow", "dup.arrows"] {
        let err = run(dir.path(), "t.seg", file, &["--segments", "five"]).unwrap_err();
        assert!(err.starts_with("exit 2"), "{file}: {err}");
        assert!(
            err.contains(&format!("error[E0408]: `{file}` has 2 columns named `n`")),
            "{file}: {err}"
        );
    }
    // A duplicate the rules do not read is ignored.
    std::fs::write(dir.path().join("other.csv"), "id,n,z,z\n1,5,a,b\n").unwrap();
    assert_eq!(
        run(dir.path(), "t.seg", "other.csv", &["--segments", "five"]),
        Ok(counts(&[("five", 1)]))
    );
}

/// `--segments ''` selects nothing: a usage error, not a run of everything.
#[test]
fn empty_segment_selection_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.seg"), TYPED).unwrap();
    std::fs::write(dir.path().join("n.csv"), "id,n\n1,5\n").unwrap();
    for selection in ["", ",", " , "] {
        let err = run(dir.path(), "t.seg", "n.csv", &["--segments", selection]).unwrap_err();
        assert!(err.starts_with("exit 2"), "{selection:?}: {err}");
        assert!(
            err.contains("error[E0407]: `--segments` names no segment"),
            "{selection:?}: {err}"
        );
    }
}

/// `--threads` far past the cores is capped (with a note), not obeyed.
#[test]
fn threads_are_capped_at_a_multiple_of_the_cores() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.seg"), TYPED).unwrap();
    std::fs::write(dir.path().join("n.csv"), "id,n\n1,5\n").unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = 4 * cores;
    for (requested, used) in [
        (cap.to_string(), cap),
        ((cap + 1).to_string(), cap),
        ("20000".to_string(), cap),
    ] {
        let started = std::time::Instant::now();
        let out = seg(
            &[
                "run",
                "t.seg",
                "--data",
                "n.csv",
                "--segments",
                "five",
                "--threads",
                &requested,
                "--summary",
                "json",
            ],
            dir.path(),
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "--threads {requested} took {:?}",
            started.elapsed()
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["threads"], used, "--threads {requested}");
        let note = format!("note: --threads {requested} is more than 4 per core; using {cap}");
        assert_eq!(
            stderr(&out).contains(&note),
            requested != cap.to_string(),
            "{}",
            stderr(&out)
        );
    }
    let out = seg(
        &["run", "t.seg", "--data", "n.csv", "--threads", "0"],
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

/// JSON lines errors name the file's line, blank lines included, and a line
/// holding two objects loses neither, whatever the batch size.
#[test]
fn jsonl_lines_are_counted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.seg"), TYPED).unwrap();
    let err = jsonl_error(
        dir.path(),
        "blank.jsonl",
        "{\"id\":1,\"n\":5}\n\n  \n{\"id\":2,\"n\":\"x\"}\n",
        "five",
    );
    assert!(
        err.contains("error[E0403]: `blank.jsonl` line 4: `x` in column `n` is not an int"),
        "{err}"
    );
    let err = jsonl_error(
        dir.path(),
        "broken.jsonl",
        "{\"id\":1,\"n\":5}\n\n{\"id\":2,\"n\":]}\n",
        "five",
    );
    assert!(
        err.contains("error[E0403]: cannot read `broken.jsonl` as JSON lines: line 3:"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("two.jsonl"),
        "{\"id\":1,\"n\":5} {\"id\":2,\"n\":5}\n{\"id\":3,\"n\":5}\n",
    )
    .unwrap();
    for rows in ["1", "2", "65536"] {
        assert_eq!(
            run(
                dir.path(),
                "t.seg",
                "two.jsonl",
                &["--segments", "five", "--batch-rows", rows]
            ),
            Ok(counts(&[("five", 3)])),
            "--batch-rows {rows}"
        );
    }
}
