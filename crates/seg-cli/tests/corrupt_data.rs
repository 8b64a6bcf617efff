//! A corrupt-data corpus (issue 9, item 5 and "the systematic part"): small
//! valid files in every input format, mutated deterministically (truncation,
//! bit flips, bytes overwritten with 0x00, 0xFF or random values, chunks
//! duplicated). Every case must either read correctly or fail with a coded
//! error: never a panic, never an abort. Most cases go through the library
//! (open, bind, evaluate every batch), a sample through the binary, which must
//! exit 0 or 2 and leave a pre-existing `--out` file untouched on error.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array, ListBuilder,
    StringArray, StringBuilder, TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use seg::formats::DataFormat;
use seg_testkit::Rng;
use std::path::Path;
use std::sync::Arc;

const RULES: &str = r#"schema {
  id: int key
  age: int
  score: float
  spend: decimal
  country: string
  member: bool
  joined: date
  seen: timestamp
  tags: list<string>
}
segment adults { where age >= 18 }
segment engaged { where score > 0.5 and member }
segment big { where spend >= 100 }
segment local { where country == "US" and tags contains "yoga" }
segment recent { where seen within 30 days and joined after 2020-01-01 }
"#;

const ROWS: usize = 24;

fn batch() -> RecordBatch {
    let n = ROWS as i64;
    let mut tags = ListBuilder::new(StringBuilder::new());
    for i in 0..ROWS {
        match i % 3 {
            0 => tags.append_value([Some("yoga"), Some("run")]),
            1 => tags.append_null(),
            _ => tags.append_value([Some("golf")]),
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "id",
            Arc::new(Int64Array::from((1..=n).collect::<Vec<_>>())),
        ),
        (
            "age",
            Arc::new(Int64Array::from(
                (0..n)
                    .map(|i| (i % 5 != 0).then_some(i * 3))
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "score",
            Arc::new(Float64Array::from(
                (0..n).map(|i| i as f64 / n as f64).collect::<Vec<_>>(),
            )),
        ),
        (
            "spend",
            Arc::new(
                Decimal128Array::from((0..n).map(|i| i128::from(i) * 1234).collect::<Vec<_>>())
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
        (
            "country",
            Arc::new(StringArray::from(
                (0..ROWS)
                    .map(|i| ["US", "DE", "FR"][i % 3])
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "member",
            Arc::new(BooleanArray::from(
                (0..ROWS).map(|i| i % 2 == 0).collect::<Vec<_>>(),
            )),
        ),
        (
            "joined",
            Arc::new(Date32Array::from(
                (0..n).map(|i| 17_000 + i as i32 * 100).collect::<Vec<_>>(),
            )),
        ),
        (
            "seen",
            Arc::new(
                TimestampMicrosecondArray::from(
                    (0..n)
                        .map(|i| 1_795_000_000_000_000 - i * 86_400_000_000 * 3)
                        .collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            ),
        ),
        ("tags", Arc::new(tags.finish())),
    ];
    seg_testkit::batch(columns)
}

/// The batch as CSV and as JSON lines, written by hand as a user's tool would.
fn text_files(batch: &RecordBatch) -> (String, String) {
    let mut csv = String::from("id,age,score,spend,country,member,joined,seen,tags\n");
    let mut jsonl = String::new();
    for i in 0..batch.num_rows() {
        let id = i + 1;
        let age = (i % 5 != 0).then(|| (i * 3).to_string());
        let score = i as f64 / ROWS as f64;
        let spend = format!("{}.{:02}", i * 1234 / 100, i * 1234 % 100);
        let country = ["US", "DE", "FR"][i % 3];
        let member = i % 2 == 0;
        let joined = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
            + chrono::Duration::days(17_000 + i as i64 * 100);
        let seen = chrono::DateTime::from_timestamp_micros(
            1_795_000_000_000_000 - i as i64 * 86_400_000_000 * 3,
        )
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let tags_json = if i % 3 == 1 {
            None
        } else {
            Some(match i % 3 {
                0 => r#"["yoga","run"]"#,
                _ => r#"["golf"]"#,
            })
        };
        csv.push_str(&format!(
            "{id},{},{score},{spend},{country},{member},{joined},{seen},{}\n",
            age.clone().unwrap_or_default(),
            tags_json
                .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
                .unwrap_or_default()
        ));
        jsonl.push_str(&format!(
            "{{\"id\":{id},\"age\":{},\"score\":{score},\"spend\":{spend},\"country\":\"{country}\",\"member\":{member},\"joined\":\"{joined}\",\"seen\":\"{seen}\",\"tags\":{}}}\n",
            age.unwrap_or_else(|| "null".into()),
            tags_json.unwrap_or("null")
        ));
    }
    (csv, jsonl)
}

/// Every format's bytes, with the format and a file name.
fn originals() -> Vec<(&'static str, DataFormat, Vec<u8>)> {
    let batch = batch();
    let half = ROWS / 2;
    let mut parquet = Vec::new();
    {
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(half))
            .build();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut parquet, batch.schema(), Some(props))
            .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }
    let mut ipc_file = Vec::new();
    {
        let mut w =
            arrow::ipc::writer::FileWriter::try_new(&mut ipc_file, &batch.schema()).unwrap();
        w.write(&batch.slice(0, half)).unwrap();
        w.write(&batch.slice(half, ROWS - half)).unwrap();
        w.finish().unwrap();
    }
    let mut ipc_stream = Vec::new();
    {
        let mut w =
            arrow::ipc::writer::StreamWriter::try_new(&mut ipc_stream, &batch.schema()).unwrap();
        w.write(&batch.slice(0, half)).unwrap();
        w.write(&batch.slice(half, ROWS - half)).unwrap();
        w.finish().unwrap();
    }
    let (csv, jsonl) = text_files(&batch);
    vec![
        ("c.parquet", DataFormat::Parquet, parquet),
        ("c.arrow", DataFormat::Arrow, ipc_file),
        ("c.arrows", DataFormat::Arrow, ipc_stream),
        ("c.csv", DataFormat::Csv, csv.into_bytes()),
        ("c.jsonl", DataFormat::Jsonl, jsonl.into_bytes()),
    ]
}

/// One deterministic mutation of `bytes`.
fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let len = out.len() as u64;
    match rng.below(6) {
        0 => out.truncate(rng.below(len) as usize),
        1 => {
            for _ in 0..=rng.below(4) {
                let at = rng.below(len) as usize;
                out[at] ^= 1 << rng.below(8);
            }
        }
        2 | 3 => {
            let fill = match rng.below(3) {
                0 => Some(0x00),
                1 => Some(0xFF),
                _ => None,
            };
            let at = rng.below(len) as usize;
            let n = (1 + rng.below(8) as usize).min(out.len() - at);
            for byte in &mut out[at..at + n] {
                *byte = fill.unwrap_or(rng.next() as u8);
            }
        }
        4 => {
            let from = rng.below(len) as usize;
            let n = (1 + rng.below(64) as usize).min(out.len() - from);
            let chunk = out[from..from + n].to_vec();
            let at = rng.below(len) as usize;
            out.splice(at..at, chunk);
        }
        _ => {
            // Four bytes of a little-endian length overwritten with a huge one.
            let at = rng.below(len.saturating_sub(4).max(1)) as usize;
            let value = [i32::MAX, -1, 0x7FFF_FFF0, 1 << 30][rng.below(4) as usize];
            let end = (at + 4).min(out.len());
            out[at..end].copy_from_slice(&value.to_le_bytes()[..end - at]);
        }
    }
    out
}

#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    read: usize,
    coded: std::collections::BTreeMap<String, usize>,
    panics: Vec<String>,
}

/// Reads `path` as `seg run` does: open, bind, evaluate every batch. The
/// error code, if any.
fn read_through_library(
    path: &Path,
    format: DataFormat,
    program: &seg::ir::Program,
) -> Option<String> {
    let options = seg::RunOptions::default().as_of(seg_testkit::AS_OF);
    let query = seg::Query::prepare(program, &options).unwrap();
    let open = seg::formats::OpenOptions {
        batch_rows: 7,
        prune: false,
        every_profile: false,
    };
    let input = match seg::formats::open_query(&query, path, format, &open) {
        Ok(input) => input,
        Err(e) => return Some(e.code.to_string()),
    };
    let binding = match query.bind_among(&input.schema, &input.columns) {
        Ok(b) => b,
        Err(diagnostics) => return Some(diagnostics[0].code.as_str().to_string()),
    };
    let executor = query.compile(seg::Engine::Interp, &binding).unwrap();
    match seg::run(&executor, input, &mut seg::Discard, &seg::Silent, 1) {
        Ok(_) => None,
        Err(seg::RunError::Data(e)) => Some(e.code.to_string()),
        Err(seg::RunError::Program(d)) => Some(d[0].code.as_str().to_string()),
    }
}

#[test]
fn corrupt_files_are_coded_errors_never_crashes() {
    let program = seg_testkit::program(RULES);
    let dir = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (name, format, bytes) in originals() {
        // The original reads cleanly.
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            read_through_library(&path, format, &program),
            None,
            "{name}"
        );
        let mut rng = Rng::new(0x5EED ^ bytes.len() as u64);
        let mut tally = Tally::default();
        for case in 0..300 {
            let mutated = mutate(&bytes, &mut rng);
            std::fs::write(&path, &mutated).unwrap();
            tally.cases += 1;
            let outcome =
                std::panic::catch_unwind(|| read_through_library(&path, format, &program));
            match outcome {
                Ok(None) => tally.read += 1,
                Ok(Some(code)) => *tally.coded.entry(code).or_default() += 1,
                Err(_) => tally.panics.push(format!("{name} case {case}")),
            }
        }
        // E0901 is an internal error: corrupt data must never reach one.
        if !tally.panics.is_empty() || tally.coded.contains_key("E0901") {
            failures.push(format!("{name}: {tally:?}"));
        }
        report.push(format!(
            "{name}: {} cases, {} read, errors {:?}",
            tally.cases, tally.read, tally.coded
        ));
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corrupt_files_through_the_binary_exit_2_and_keep_the_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    const PRECIOUS: &str = "a results file from an earlier run\n";
    let mut outcomes = std::collections::BTreeMap::<i32, usize>::new();
    for (name, _, bytes) in originals() {
        let mut rng = Rng::new(0xB1A5 ^ bytes.len() as u64);
        for case in 0..12 {
            let mutated = mutate(&bytes, &mut rng);
            std::fs::write(dir.path().join(name), &mutated).unwrap();
            std::fs::write(dir.path().join("out.csv"), PRECIOUS).unwrap();
            let out = common::seg(
                &[
                    "run",
                    "rules.seg",
                    "--data",
                    name,
                    "--out",
                    "out.csv",
                    "--as-of",
                    "2026-11-24",
                ],
                dir.path(),
            );
            let status = common::code(&out);
            let err = common::stderr(&out);
            *outcomes.entry(status).or_default() += 1;
            assert!(
                status == 0 || status == 2,
                "{name} case {case}: exit {status}\n{err}"
            );
            assert!(!err.contains("panicked"), "{name} case {case}: {err}");
            if status == 2 {
                assert!(err.contains("error[E0"), "{name} case {case}: {err}");
                assert!(!err.contains("error[E0901]"), "{name} case {case}: {err}");
                assert_eq!(
                    std::fs::read_to_string(dir.path().join("out.csv")).unwrap(),
                    PRECIOUS,
                    "{name} case {case} touched the output"
                );
            }
        }
    }
    println!("exit statuses: {outcomes:?}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".seg-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
