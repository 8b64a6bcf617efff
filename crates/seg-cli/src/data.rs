//! Reading profile data and writing results.
//!
//! Inputs stream batch by batch with bounded memory: Parquet and Arrow IPC
//! read only the columns the rules need (plus the key); CSV and JSON lines are
//! typed from the `.seg` schema. Outputs go to a temporary file beside the
//! target and are renamed into place only when complete, so a failed run never
//! leaves a half-written file.

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use seg::ir::{FieldId, Program, Type};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// The data formats `seg run` reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DataFormat {
    /// Apache Parquet.
    Parquet,
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Arrow IPC, file or stream (told apart by the file's magic bytes).
    Arrow,
}

impl DataFormat {
    /// The format a path's extension names.
    pub fn from_path(path: &Path) -> Option<DataFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "parquet" | "pq" => DataFormat::Parquet,
            "csv" => DataFormat::Csv,
            "jsonl" | "ndjson" | "json" => DataFormat::Jsonl,
            "arrow" | "arrows" | "ipc" | "feather" => DataFormat::Arrow,
            _ => return None,
        })
    }
}

/// A data problem, reported as `error[CODE]: message` with a help line.
#[derive(Debug)]
pub struct DataError {
    /// The code (`E0403`, `E0801`, ...).
    pub code: &'static str,
    /// What went wrong, naming the file.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl DataError {
    fn unreadable(path: &Path, format: &str, error: impl std::fmt::Display) -> Self {
        DataError {
            code: "E0403",
            message: format!(
                "cannot read `{}` as {format}: {}",
                path.display(),
                one_line(&error.to_string())
            ),
            help: Some(format!(
                "check that the file is complete and really {format}; `--data-format` overrides the extension"
            )),
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An open input: its schema (after projection and conversion), its row count
/// when known, and its batches.
pub struct Input {
    /// The schema of the batches.
    pub schema: SchemaRef,
    /// Every column of the file, loaded or not (for messages).
    pub columns: Vec<String>,
    /// Total rows, when the format says so up front.
    pub total_rows: Option<u64>,
    /// The batches, in order.
    pub batches: Box<dyn Iterator<Item = Result<InputBatch, DataError>> + Send>,
    /// What statistics-based pruning skipped (Parquet only).
    pub pruning: Option<PruneReport>,
}

/// One batch of input.
pub struct InputBatch {
    /// The rows (for `skipped` batches, only the key column).
    pub batch: RecordBatch,
    /// True when statistics proved no row here is in any reported segment:
    /// the batch is read only to write the key of each profile to `--out`.
    pub skipped: bool,
}

impl InputBatch {
    fn evaluated(batch: RecordBatch) -> Self {
        InputBatch {
            batch,
            skipped: false,
        }
    }
}

/// Statistics-based pruning of a Parquet file, as `seg run --summary json`
/// reports it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct PruneReport {
    /// Row groups in the file.
    pub row_groups: usize,
    /// Row groups whose statistics allowed a member, read and evaluated.
    pub row_groups_read: usize,
    /// Row groups proven to hold no member, not evaluated.
    pub row_groups_skipped: usize,
    /// Page ranges considered within the row groups read (0 without a page index).
    pub pages: usize,
    /// Page ranges proven to hold no member, not read.
    pub pages_skipped: usize,
    /// Rows not evaluated (in skipped row groups and pages).
    pub rows_skipped: u64,
}

/// How to prune a Parquet input.
pub struct Pruning<'a> {
    /// The decision procedure, built from the optimized program.
    pub pruner: &'a seg_prune::Pruner,
    /// When results are written per profile, the key column: skipped row
    /// groups are still read for it (and page pruning is off), so the output
    /// lists every profile.
    pub keep_key: Option<&'a str>,
}

/// Opens `path` for the given fields of `program`.
pub fn open(
    path: &Path,
    format: DataFormat,
    program: &Program,
    fields: &[FieldId],
    batch_rows: usize,
    pruning: Option<Pruning<'_>>,
) -> Result<Input, DataError> {
    let file = File::open(path).map_err(|e| DataError {
        code: "E0801",
        message: format!("cannot read `{}`: {}", path.display(), seg::io_reason(&e)),
        help: None,
    })?;
    let names: Vec<&str> = fields
        .iter()
        .map(|f| program.schema.field(*f).name.as_str())
        .collect();
    match format {
        DataFormat::Parquet => open_parquet(path, file, &names, batch_rows, pruning),
        DataFormat::Arrow => open_ipc(path, file, &names),
        DataFormat::Csv => open_csv(path, file, program, fields, batch_rows),
        DataFormat::Jsonl => open_jsonl(path, file, program, fields, batch_rows),
    }
}

fn column_names(schema: &Schema) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

/// Indexes of the named columns that the schema has (missing ones are left to
/// binding, which reports them properly).
fn projection(schema: &Schema, names: &[&str]) -> Vec<usize> {
    let mut indexes: Vec<usize> = names
        .iter()
        .filter_map(|n| schema.index_of(n).ok())
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    indexes
}

fn open_parquet(
    path: &Path,
    file: File,
    names: &[&str],
    batch_rows: usize,
    pruning: Option<Pruning<'_>>,
) -> Result<Input, DataError> {
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::{
        ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    };
    use parquet::file::metadata::PageIndexPolicy;
    let unreadable = |e: parquet::errors::ParquetError| DataError::unreadable(path, "Parquet", e);
    // The page index is read when present: it lets pruning skip pages.
    let options = ArrowReaderOptions::new().with_page_index_policy(if pruning.is_some() {
        PageIndexPolicy::Optional
    } else {
        PageIndexPolicy::Skip
    });
    let metadata = ArrowReaderMetadata::load(&file, options).map_err(unreadable)?;
    let indexes = projection(metadata.schema(), names);
    let columns = column_names(metadata.schema());
    let total_rows = u64::try_from(metadata.metadata().file_metadata().num_rows()).ok();
    let parquet_schema = metadata.metadata().file_metadata().schema_descr_ptr();
    let mask = ProjectionMask::roots(&parquet_schema, indexes.clone());
    let label = path.to_path_buf();
    let wrap = move |b: Result<RecordBatch, arrow::error::ArrowError>| {
        b.map_err(|e| DataError::unreadable(&label, "Parquet", e))
    };
    let Some(pruning) = pruning else {
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata)
            .with_projection(mask)
            .with_batch_size(batch_rows)
            .build()
            .map_err(unreadable)?;
        return Ok(Input {
            schema: reader.schema(),
            columns,
            total_rows,
            batches: Box::new(reader.map(move |b| wrap(b).map(InputBatch::evaluated))),
            pruning: None,
        });
    };
    let plan = pruning.pruner.plan(metadata.metadata(), metadata.schema());
    let row_counts: Vec<u64> = metadata
        .metadata()
        .row_groups()
        .iter()
        .map(|g| u64::try_from(g.num_rows()).unwrap_or(0))
        .collect();
    let mut report = PruneReport {
        row_groups: row_counts.len(),
        row_groups_read: plan.row_groups.len(),
        row_groups_skipped: plan.skipped_row_groups.len(),
        pages: 0,
        pages_skipped: 0,
        rows_skipped: plan
            .skipped_row_groups
            .iter()
            .map(|&g| row_counts.get(g).copied().unwrap_or(0))
            .sum(),
    };
    let schema = Arc::new(
        metadata
            .schema()
            .project(&indexes)
            .map_err(|e| DataError::unreadable(path, "Parquet", e))?,
    );
    let key_index = pruning
        .keep_key
        .and_then(|key| metadata.schema().index_of(key).ok());
    match key_index {
        None => {
            // Only the groups (and pages) that may hold a member are read.
            let mut builder =
                ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
                    .with_projection(mask)
                    .with_batch_size(batch_rows)
                    .with_row_groups(plan.row_groups.clone());
            if let Some(selection) = plan.selection.clone() {
                report.pages = plan.pages_total;
                report.pages_skipped = plan.pages_skipped;
                report.rows_skipped += plan.rows_skipped_by_pages;
                builder = builder.with_row_selection(selection);
            }
            let reader = builder.build().map_err(unreadable)?;
            Ok(Input {
                schema,
                columns,
                total_rows,
                batches: Box::new(reader.map(move |b| wrap(b).map(InputBatch::evaluated))),
                pruning: Some(report),
            })
        }
        Some(key_index) => {
            // Every group in file order: skipped ones for their keys only.
            let key_mask = ProjectionMask::roots(&parquet_schema, [key_index]);
            let skipped = plan.skipped_row_groups.clone();
            let path = path.to_path_buf();
            let groups = (0..row_counts.len()).map(move |group| {
                let is_skipped = skipped.contains(&group);
                let reader = file
                    .try_clone()
                    .map_err(|e| DataError {
                        code: "E0801",
                        message: format!(
                            "cannot read `{}`: {}",
                            path.display(),
                            seg::io_reason(&e)
                        ),
                        help: None,
                    })
                    .and_then(|file| {
                        ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
                            .with_projection(if is_skipped {
                                key_mask.clone()
                            } else {
                                mask.clone()
                            })
                            .with_batch_size(batch_rows)
                            .with_row_groups(vec![group])
                            .build()
                            .map_err(|e| DataError::unreadable(&path, "Parquet", e))
                    });
                let wrap = wrap.clone();
                let batches: Box<dyn Iterator<Item = Result<InputBatch, DataError>> + Send> =
                    match reader {
                        Ok(reader) => Box::new(reader.map(move |b| {
                            wrap(b).map(|batch| InputBatch {
                                batch,
                                skipped: is_skipped,
                            })
                        })),
                        Err(e) => Box::new(std::iter::once(Err(e))),
                    };
                batches
            });
            Ok(Input {
                schema,
                columns,
                total_rows,
                batches: Box::new(groups.flatten()),
                pruning: Some(report),
            })
        }
    }
}

fn open_ipc(path: &Path, mut file: File, names: &[&str]) -> Result<Input, DataError> {
    use arrow::ipc::reader::{FileReader, StreamReader};
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 6];
    let is_file = file.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
    file.seek(SeekFrom::Start(0))
        .map_err(|e| DataError::unreadable(path, "Arrow IPC", e))?;
    let label = path.to_path_buf();
    if is_file {
        let probe = FileReader::try_new(
            file.try_clone()
                .map_err(|e| DataError::unreadable(path, "Arrow IPC", e))?,
            None,
        )
        .map_err(|e| DataError::unreadable(path, "Arrow IPC", e))?;
        let indexes = projection(&probe.schema(), names);
        let columns = column_names(&probe.schema());
        let reader = FileReader::try_new(file, Some(indexes))
            .map_err(|e| DataError::unreadable(path, "Arrow IPC", e))?;
        let total_rows = None;
        Ok(Input {
            schema: reader.schema(),
            columns,
            total_rows,
            batches: Box::new(reader.map(move |b| {
                b.map(InputBatch::evaluated)
                    .map_err(|e| DataError::unreadable(&label, "Arrow IPC", e))
            })),
            pruning: None,
        })
    } else {
        let buffered = BufReader::new(file);
        let probe_schema = {
            let probe = StreamReader::try_new(
                BufReader::new(
                    File::open(path)
                        .map_err(|e| DataError::unreadable(path, "Arrow IPC stream", e))?,
                ),
                None,
            )
            .map_err(|e| DataError::unreadable(path, "Arrow IPC stream", e))?;
            probe.schema()
        };
        let indexes = projection(&probe_schema, names);
        let columns = column_names(&probe_schema);
        let reader = StreamReader::try_new(buffered, Some(indexes))
            .map_err(|e| DataError::unreadable(path, "Arrow IPC stream", e))?;
        Ok(Input {
            schema: reader.schema(),
            columns,
            total_rows: None,
            batches: Box::new(reader.map(move |b| {
                b.map(InputBatch::evaluated)
                    .map_err(|e| DataError::unreadable(&label, "Arrow IPC stream", e))
            })),
            pruning: None,
        })
    }
}

/// The Arrow type a text format is read as, for a schema type. Decimals and,
/// in CSV, lists are read as text and converted exactly afterwards.
fn text_type(ty: Type, csv: bool) -> DataType {
    match ty {
        Type::Int => DataType::Int64,
        Type::Float => DataType::Float64,
        Type::Decimal => DataType::Utf8,
        Type::Bool => DataType::Boolean,
        Type::String | Type::Duration => DataType::Utf8,
        Type::Date => DataType::Date32,
        // An offset zone: Arrow parses named zones only with chrono-tz, which we do
        // not need, and every instant is UTC anyway.
        Type::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        Type::ListString if !csv => {
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
        }
        Type::ListInt if !csv => {
            DataType::List(Arc::new(Field::new("item", DataType::Int64, true)))
        }
        Type::ListString | Type::ListInt => DataType::Utf8,
    }
}

fn open_csv(
    path: &Path,
    file: File,
    program: &Program,
    fields: &[FieldId],
    batch_rows: usize,
) -> Result<Input, DataError> {
    let mut reader = BufReader::new(file);
    let mut header = String::new();
    reader
        .read_line(&mut header)
        .map_err(|e| DataError::unreadable(path, "CSV", e))?;
    let header = header
        .trim_end_matches(['\n', '\r'])
        .trim_start_matches('\u{feff}');
    if header.is_empty() {
        return Err(DataError {
            code: "E0403",
            message: format!("`{}` has no header line", path.display()),
            help: Some("the first line of a CSV file names its columns".into()),
        });
    }
    let columns: Vec<String> = csv_header(header);
    // Every column is declared (CSV is positional); those the rules need get
    // their schema type, the others are read as text and projected away.
    let wanted: Vec<(&str, Type)> = fields
        .iter()
        .map(|f| {
            let field = program.schema.field(*f);
            (field.name.as_str(), field.ty)
        })
        .collect();
    let arrow_fields: Vec<Field> = columns
        .iter()
        .map(|name| {
            let ty = wanted
                .iter()
                .find(|(n, _)| n == name)
                .map_or(DataType::Utf8, |(_, t)| text_type(*t, true));
            Field::new(name, ty, true)
        })
        .collect();
    let schema = Arc::new(Schema::new(arrow_fields));
    let indexes = projection(&schema, &wanted.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    let null = regex::Regex::new("^$").map_err(|e| DataError::unreadable(path, "CSV", e))?;
    // Re-open so the reader sees the header line too.
    let file = File::open(path).map_err(|e| DataError::unreadable(path, "CSV", e))?;
    let csv = arrow::csv::ReaderBuilder::new(schema)
        .with_header(true)
        .with_batch_size(batch_rows)
        .with_null_regex(null)
        .with_projection(indexes)
        .build(BufReader::new(file))
        .map_err(|e| DataError::unreadable(path, "CSV", e))?;
    convert_text_input(
        path,
        "CSV",
        csv.schema(),
        Box::new(csv),
        program,
        true,
        columns,
    )
}

/// Splits a CSV header line (quoted names allowed).
fn csv_header(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => names.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    names.push(current);
    names
}

fn open_jsonl(
    path: &Path,
    file: File,
    program: &Program,
    fields: &[FieldId],
    batch_rows: usize,
) -> Result<Input, DataError> {
    let arrow_fields: Vec<Field> = fields
        .iter()
        .map(|f| {
            let field = program.schema.field(*f);
            Field::new(&field.name, text_type(field.ty, false), true)
        })
        .collect();
    let schema = Arc::new(Schema::new(arrow_fields));
    let reader = arrow::json::ReaderBuilder::new(schema.clone())
        .with_batch_size(batch_rows)
        // Numbers for decimal fields arrive as their exact text.
        .with_coerce_primitive(true)
        .build(BufReader::new(file))
        .map_err(|e| DataError::unreadable(path, "JSON lines", e))?;
    // JSON lines has no header: the columns are whatever the rules ask for.
    let columns = column_names(&schema);
    convert_text_input(
        path,
        "JSON lines",
        schema,
        Box::new(reader),
        program,
        false,
        columns,
    )
}

type BatchIter = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// Wraps a text-format reader: decimals parsed exactly from text, and in CSV,
/// lists parsed from JSON array text.
fn convert_text_input(
    path: &Path,
    format: &'static str,
    schema: SchemaRef,
    batches: BatchIter,
    program: &Program,
    csv: bool,
    columns: Vec<String>,
) -> Result<Input, DataError> {
    let types: Vec<Option<Type>> = schema
        .fields()
        .iter()
        .map(|f| {
            program
                .schema
                .find(f.name())
                .map(|id| program.schema.field(id).ty)
        })
        .collect();
    let label = path.to_path_buf();
    let mut first_row = 1u64 + u64::from(csv);
    let header = columns.clone();
    let converted_schema = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .zip(&types)
            .map(|(f, ty)| match ty {
                Some(Type::Decimal) => Field::new(f.name(), DataType::Decimal128(38, 0), true),
                Some(t @ (Type::ListString | Type::ListInt)) if csv => {
                    Field::new(f.name(), text_type(*t, false), true)
                }
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
    ));
    let batches = batches.map(move |batch| {
        let batch = batch.map_err(|e| {
            if csv {
                csv_value_error(&label, &e.to_string(), &header)
                    .unwrap_or_else(|| DataError::unreadable(&label, format, e))
            } else {
                DataError::unreadable(&label, format, e)
            }
        })?;
        let rows = batch.num_rows() as u64;
        let mut columns = Vec::with_capacity(batch.num_columns());
        let mut fields = Vec::with_capacity(batch.num_columns());
        for (i, array) in batch.columns().iter().enumerate() {
            let field = batch.schema().field(i).clone();
            let converted = match types.get(i).copied().flatten() {
                Some(Type::Decimal) => Some(decimals_from_text(array, &field, first_row, &label)?),
                Some(Type::ListString) if csv => {
                    Some(lists_from_json(array, &field, first_row, &label, false)?)
                }
                Some(Type::ListInt) if csv => {
                    Some(lists_from_json(array, &field, first_row, &label, true)?)
                }
                _ => None,
            };
            match converted {
                Some(array) => {
                    fields.push(Field::new(field.name(), array.data_type().clone(), true));
                    columns.push(array);
                }
                None => {
                    fields.push(field);
                    columns.push(array.clone());
                }
            }
        }
        first_row += rows;
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| DataError::unreadable(&label, format, e))
    });
    Ok(Input {
        schema: converted_schema,
        columns,
        total_rows: None,
        batches: Box::new(batches.map(|b| b.map(InputBatch::evaluated))),
        pruning: None,
    })
}

/// Arrow's CSV parse error in the user's terms: Arrow counts data rows from 1
/// (the file line is one more, for the header) and columns from 0.
fn csv_value_error(path: &Path, message: &str, header: &[String]) -> Option<DataError> {
    let re =
        regex::Regex::new(r"parsing value '(.*)' as type '(\w+)' for column (\d+) at line (\d+)")
            .ok()?;
    let caps = re.captures(message)?;
    let value = caps.get(1)?.as_str();
    let ty = caps.get(2)?.as_str();
    let column: usize = caps.get(3)?.as_str().parse().ok()?;
    let row: u64 = caps.get(4)?.as_str().parse().ok()?;
    let name = header.get(column)?;
    let expected = match ty {
        "Int64" => "an int",
        "Float64" => "a number",
        "Boolean" => "true or false",
        "Date32" => "a date (2024-01-31)",
        t if t.starts_with("Timestamp") => "a timestamp (2024-01-31T10:00:00Z)",
        _ => "a value of the column's type",
    };
    Some(DataError {
        code: "E0403",
        message: format!(
            "`{}` line {}: `{value}` in column `{name}` is not {expected}",
            path.display(),
            row + 1
        ),
        help: Some("fix the value, or leave the cell empty for missing".into()),
    })
}

/// Parses an exact decimal: optional sign, digits, optional fraction.
pub fn parse_decimal_text(text: &str) -> Option<(i128, u32)> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let all = format!("{int_part}{frac_part}");
    let significant = all.trim_start_matches('0');
    if significant.len() > 38 {
        return None;
    }
    let unscaled: i128 = if significant.is_empty() {
        0
    } else {
        significant.parse().ok()?
    };
    let scale = u32::try_from(frac_part.len()).ok()?;
    Some((if negative { -unscaled } else { unscaled }, scale))
}

fn decimals_from_text(
    array: &ArrayRef,
    field: &Field,
    first_row: u64,
    path: &Path,
) -> Result<ArrayRef, DataError> {
    let Some(text) = array.as_string_opt::<i32>() else {
        return Ok(array.clone());
    };
    let mut parsed = Vec::with_capacity(text.len());
    for (i, value) in text.iter().enumerate() {
        parsed.push(match value {
            None => None,
            Some(v) => Some(parse_decimal_text(v).ok_or_else(|| DataError {
                code: "E0403",
                message: format!(
                    "`{}` row {}: `{v}` in column `{}` is not a decimal",
                    path.display(),
                    first_row + i as u64,
                    field.name()
                ),
                help: Some("decimals are written like 19.99 or -5; fix the value or leave it empty for missing".into()),
            })?),
        });
    }
    // One scale for the batch: the largest found, every value brought to it exactly.
    let scale = parsed
        .iter()
        .flatten()
        .map(|(_, s)| *s)
        .max()
        .unwrap_or(0)
        .min(38);
    let mut builder = Decimal128Builder::with_capacity(parsed.len());
    for value in parsed {
        match value.and_then(|(u, s)| seg_eval::num::rescale_up(u, scale - s.min(scale))) {
            Some(v) => builder.append_value(v),
            None => builder.append_null(),
        }
    }
    let scale = i8::try_from(scale).unwrap_or(38);
    let array = builder
        .finish()
        .with_precision_and_scale(38, scale)
        .map_err(|e| DataError::unreadable(path, "decimal", e))?;
    Ok(Arc::new(array))
}

fn lists_from_json(
    array: &ArrayRef,
    field: &Field,
    first_row: u64,
    path: &Path,
    ints: bool,
) -> Result<ArrayRef, DataError> {
    let Some(text) = array.as_string_opt::<i32>() else {
        return Ok(array.clone());
    };
    let bad = |row: usize, v: &str| DataError {
        code: "E0403",
        message: format!(
            "`{}` row {}: `{v}` in column `{}` is not a list",
            path.display(),
            first_row + row as u64,
            field.name()
        ),
        help: Some(if ints {
            "in CSV, write a list<int> cell as a JSON array: [1, 2]".into()
        } else {
            "in CSV, write a list<string> cell as a JSON array: [\"yoga\", \"travel\"]".into()
        }),
    };
    if ints {
        let mut builder = ListBuilder::new(Int64Builder::new());
        for (i, value) in text.iter().enumerate() {
            match value {
                None => builder.append_null(),
                Some(v) => {
                    let items: Vec<Option<i64>> = serde_json::from_str(v).map_err(|_| bad(i, v))?;
                    builder.append_value(items);
                }
            }
        }
        Ok(Arc::new(builder.finish()))
    } else {
        let mut builder = ListBuilder::new(StringBuilder::new());
        for (i, value) in text.iter().enumerate() {
            match value {
                None => builder.append_null(),
                Some(v) => {
                    let items: Vec<Option<String>> =
                        serde_json::from_str(v).map_err(|_| bad(i, v))?;
                    builder.append_value(items);
                }
            }
        }
        Ok(Arc::new(builder.finish()))
    }
}

/// A results file being written: a temporary file beside the target, renamed
/// into place by [`Output::finish`]. Dropping it unfinished deletes it.
pub struct Output {
    target: std::path::PathBuf,
    temp: tempfile::NamedTempFile,
    writer: Writer,
}

enum Writer {
    Parquet(parquet::arrow::ArrowWriter<File>),
    Csv(arrow::csv::Writer<File>),
    Jsonl(arrow::json::LineDelimitedWriter<File>),
    Arrow(arrow::ipc::writer::FileWriter<File>),
}

impl Output {
    /// Creates the temporary file for `target` in `format`.
    pub fn create(
        target: &Path,
        format: DataFormat,
        schema: SchemaRef,
    ) -> Result<Output, DataError> {
        let io = |e: std::io::Error| DataError {
            code: "E0801",
            message: format!(
                "cannot write `{}`: {}",
                target.display(),
                seg::io_reason(&e)
            ),
            help: None,
        };
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".seg-run-")
            .tempfile_in(dir)
            .map_err(io)?;
        let file = temp.reopen().map_err(io)?;
        let arrow_error = |e: ArrowError| DataError {
            code: "E0801",
            message: format!("cannot write `{}`: {e}", target.display()),
            help: None,
        };
        let writer = match format {
            DataFormat::Parquet => Writer::Parquet(
                parquet::arrow::ArrowWriter::try_new(file, schema, None).map_err(|e| {
                    DataError {
                        code: "E0801",
                        message: format!("cannot write `{}`: {e}", target.display()),
                        help: None,
                    }
                })?,
            ),
            DataFormat::Csv => Writer::Csv(
                arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(file),
            ),
            DataFormat::Jsonl => Writer::Jsonl(arrow::json::LineDelimitedWriter::new(file)),
            DataFormat::Arrow => Writer::Arrow(
                arrow::ipc::writer::FileWriter::try_new(file, &schema).map_err(arrow_error)?,
            ),
        };
        Ok(Output {
            target: target.to_path_buf(),
            temp,
            writer,
        })
    }

    fn error(&self, e: impl std::fmt::Display) -> DataError {
        DataError {
            code: "E0801",
            message: format!("cannot write `{}`: {e}", self.target.display()),
            help: None,
        }
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), DataError> {
        let result = match &mut self.writer {
            Writer::Parquet(w) => w.write(batch).map_err(|e| e.to_string()),
            Writer::Csv(w) => w.write(batch).map_err(|e| e.to_string()),
            Writer::Jsonl(w) => w.write(batch).map_err(|e| e.to_string()),
            Writer::Arrow(w) => w.write(batch).map_err(|e| e.to_string()),
        };
        result.map_err(|e| self.error(e))
    }

    /// Completes the file and renames it into place.
    pub fn finish(self) -> Result<(), DataError> {
        let Output {
            target,
            temp,
            writer,
        } = self;
        let error = |e: String| DataError {
            code: "E0801",
            message: format!("cannot write `{}`: {e}", target.display()),
            help: None,
        };
        match writer {
            Writer::Parquet(w) => w.close().map(|_| ()).map_err(|e| error(e.to_string()))?,
            Writer::Csv(w) => drop(w.into_inner()),
            Writer::Jsonl(mut w) => w.finish().map_err(|e| error(e.to_string()))?,
            Writer::Arrow(mut w) => w.finish().map_err(|e| error(e.to_string()))?,
        }
        temp.as_file()
            .sync_all()
            .map_err(|e| error(seg::io_reason(&e)))?;
        temp.persist(&target)
            .map_err(|e| error(seg::io_reason(&e.error)))?;
        Ok(())
    }
}

/// The column of a batch holding `field`, if present.
pub fn column_of<'b>(batch: &'b RecordBatch, name: &str) -> Option<&'b ArrayRef> {
    batch.schema().index_of(name).ok().map(|i| batch.column(i))
}

/// True when `array` is non-empty and entirely null (for summaries).
pub fn all_null(array: &dyn Array) -> bool {
    array.null_count() == array.len()
}
