//! Test support shared by the crates' test suites (`seg-eval`, `seg-jit`,
//! `seg-prune`): check a program from source text, build record batches,
//! read memberships, a small deterministic random generator for test data,
//! and the building blocks of the proptest generator of well-typed Seg
//! conditions.
//!
//! Only a dev-dependency: nothing here is part of any crate's public API.

// Test support: failing loudly (unwrap, expect, panic) is how a test reports
// a broken fixture, so the workspace's warnings against them do not apply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod corpus;
pub mod generate;
pub mod histories;

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use seg_ir::Program;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The `as of` instant the tests evaluate at: 2026-11-24T00:00:00Z, in
/// microseconds since the epoch.
pub const AS_OF: i64 = 1_795_478_400_000_000;

/// A source loader with no files: every `import` fails to load.
struct NoFiles;

impl seg_check::SourceLoader for NoFiles {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), seg_check::LoadError> {
        Err(seg_check::LoadError::Io(format!(
            "no file {}",
            path.display()
        )))
    }
}

/// Checks a program from source text (as `test.seg`, with no files to
/// import); panics with the diagnostics when it does not check.
pub fn program(source: &str) -> Program {
    let checked = seg_check::check_source(Path::new("test.seg"), source, &NoFiles);
    match checked.program {
        Some(p) if !checked.has_errors() => p,
        _ => panic!(
            "program does not check: {:#?}\n{source}",
            checked.diagnostics
        ),
    }
}

/// A batch from named columns, every field nullable.
pub fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

/// The values of a membership array, row by row (a null reads as its
/// underlying value bit).
pub fn members(array: &BooleanArray) -> Vec<bool> {
    (0..array.len()).map(|i| array.value(i)).collect()
}

/// A xorshift64 generator: test data that is a function of a seed, the same
/// on every platform.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// A generator seeded with `seed` (made odd, so never the zero state).
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// The next value of the stream.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// The next value reduced modulo `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Whether `python3` can import DuckDB, for the tests that compare with it.
/// When `SEG_REQUIRE_CROSSCHECK` is set (`scripts/test.sh` sets it after
/// installing DuckDB) a missing DuckDB fails the test instead of skipping it.
pub fn duckdb_available() -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("SEG_REQUIRE_CROSSCHECK").is_none(),
            "the cross-check is required but python3 cannot import duckdb"
        );
        eprintln!("skipped: python3 with duckdb is not installed (scripts/test.sh installs it)");
    }
    found
}

/// Whether python3 can import DuckDB, DataFusion and psycopg (the SQL
/// engines' differential tests drive them through `tests/sql/engines.py`).
pub fn sql_engines_available() -> bool {
    python_modules_available(&["duckdb", "datafusion", "psycopg"])
}

/// Whether python3 can import every one of `modules`. When
/// `SEG_REQUIRE_SQL_ENGINES` is set (`scripts/test.sh` sets it after
/// installing them), their absence fails the test instead of skipping it.
pub fn python_modules_available(modules: &[&str]) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {}", modules.join(", "))])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("SEG_REQUIRE_SQL_ENGINES").is_none(),
            "the SQL engine tests are required but python3 cannot import {}",
            modules.join(", ")
        );
        eprintln!(
            "skipped: python3 cannot import {} (scripts/test.sh installs them)",
            modules.join(", ")
        );
    }
    found
}

/// Runs `python3` with `args` and returns its standard output, failing the
/// test (with both outputs) when the script exits unsuccessfully.
pub fn python(args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every row of a Parquet file as a JSON object, one per line, written by
/// Arrow's JSON writer (missing values as absent keys): profiles for `seg
/// stream` and the real-time benchmark.
pub fn parquet_as_json_lines(path: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let file = std::fs::File::open(path)?;
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut writer = arrow::json::LineDelimitedWriter::new(Vec::new());
    for batch in reader {
        writer.write(&offset_zoned(&batch?)?)?;
    }
    writer.finish()?;
    let text = String::from_utf8(writer.into_inner())?;
    Ok(text.lines().map(str::to_string).collect())
}

/// `batch` with its zoned timestamps (at any depth, histories included)
/// zoned `+00:00`, the same instants: Arrow's JSON writer names only offset
/// zones without the time-zone database.
fn offset_zoned(batch: &RecordBatch) -> Result<RecordBatch, arrow::error::ArrowError> {
    fn retype(ty: &arrow::datatypes::DataType) -> arrow::datatypes::DataType {
        match ty {
            arrow::datatypes::DataType::Timestamp(unit, Some(_)) => {
                arrow::datatypes::DataType::Timestamp(*unit, Some("+00:00".into()))
            }
            arrow::datatypes::DataType::List(item) => arrow::datatypes::DataType::List(Arc::new(
                item.as_ref()
                    .clone()
                    .with_data_type(retype(item.data_type())),
            )),
            arrow::datatypes::DataType::Struct(fields) => arrow::datatypes::DataType::Struct(
                fields
                    .iter()
                    .map(|f| f.as_ref().clone().with_data_type(retype(f.data_type())))
                    .collect::<Vec<arrow::datatypes::Field>>()
                    .into(),
            ),
            other => other.clone(),
        }
    }
    let fields: Vec<arrow::datatypes::Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_data_type(retype(f.data_type())))
        .collect();
    let columns = batch
        .columns()
        .iter()
        .zip(&fields)
        .map(|(c, f)| arrow::compute::cast(c, f.data_type()))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns)
}
