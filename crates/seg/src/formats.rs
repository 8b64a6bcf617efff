//! Reading profile data from files (feature `formats`).
//!
//! Inputs stream batch by batch with bounded memory: Parquet and Arrow IPC
//! read only the columns the rules need (plus the key); CSV and JSON lines are
//! typed from the `.seg` schema. Every batch is checked against the schema the
//! rules were bound to, by column name, before it is evaluated.

use crate::error::one_line;
use crate::{Error as DataError, Input, InputBatch, PruneReport};
use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow::buffer::Buffer;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::{RecordBatch, RecordBatchOptions, RecordBatchReader};
use seg_ir::{FieldId, Program, RecordField, Type};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The scale of every decimal read from text (CSV, JSON lines): values are
/// stored exactly as Decimal128(38, 9), so at most 29 digits before the point
/// and 9 after (trailing zeros aside). One scale for the whole file keeps the
/// results independent of where batches begin; a value that does not fit is
/// an error (E0409), never rounded and never missing.
pub const TEXT_DECIMAL_SCALE: u32 = 9;

/// The data formats `seg run` reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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
        DataFormat::from_extension(path.extension()?.to_str()?)
    }

    /// The format an extension or a format's name names, in any case:
    /// `parquet` (`pq`), `csv`, `jsonl` (`ndjson`, `json`), `arrow`
    /// (`arrows`, `ipc`, `feather`).
    pub fn from_extension(name: &str) -> Option<DataFormat> {
        let ext = name.to_ascii_lowercase();
        Some(match ext.as_str() {
            "parquet" | "pq" => DataFormat::Parquet,
            "csv" => DataFormat::Csv,
            "jsonl" | "ndjson" | "json" => DataFormat::Jsonl,
            "arrow" | "arrows" | "ipc" | "feather" => DataFormat::Arrow,
            _ => return None,
        })
    }

    /// The format's name in messages.
    pub fn title(self) -> &'static str {
        match self {
            DataFormat::Parquet => "Parquet",
            DataFormat::Csv => "CSV",
            DataFormat::Jsonl => "JSON lines",
            DataFormat::Arrow => "Arrow IPC",
        }
    }
}

/// A value from the data as an error message shows it: control characters
/// escaped (so a stray byte is visible), long values cut, so that a message
/// never dumps a large part of the file.
fn shown(value: &str) -> String {
    const MAX: usize = 40;
    let value: String = value
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if value.chars().count() <= MAX {
        value
    } else {
        format!("{}…", value.chars().take(MAX).collect::<String>())
    }
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
    let file = File::open(path).map_err(|e| DataError::io(path, &e))?;
    let names: Vec<&str> = fields
        .iter()
        .map(|f| program.schema.field(*f).name.as_str())
        .collect();
    let mut input = match format {
        DataFormat::Parquet => open_parquet(path, file, &names, batch_rows, pruning)?,
        DataFormat::Arrow => open_ipc(path, file, &names)?,
        DataFormat::Csv => open_csv(path, file, program, fields, batch_rows)?,
        DataFormat::Jsonl => open_jsonl(path, file, program, fields, batch_rows)?,
    };
    // Checked before any row is read.
    ambiguous(path, &input.columns, &names)?;
    // Whatever a reader produced, a batch reaches evaluation only with the
    // columns the rules were bound to, in that order: binding is by index.
    let expected = input.schema.clone();
    let label = path.to_path_buf();
    let batches = std::mem::replace(&mut input.batches, Box::new(std::iter::empty()));
    input.batches = Box::new(batches.map(move |b| b.and_then(|b| conform(&label, &expected, b))));
    Ok(input)
}

/// E0408 when a column the rules read (`names`) appears more than once
/// among a source's `columns`: which one is meant cannot be told. `path`
/// names the source in the message.
pub fn ambiguous(path: &Path, columns: &[String], names: &[&str]) -> Result<(), DataError> {
    for name in names {
        let count = columns.iter().filter(|c| c == name).count();
        if count > 1 {
            return Err(DataError {
                code: "E0408",
                message: format!(
                    "`{}` has {count} columns named `{name}`; which one the rules read is ambiguous",
                    path.display()
                ),
                help: Some(format!(
                    "rename or drop all but one of the columns named `{name}`"
                )),
            });
        }
    }
    Ok(())
}

/// Checks a batch against the schema the rules were bound to: the same
/// columns (by name and type) in the same order. A batch whose columns come in
/// another order is reordered; one that lacks a column or changes its type is
/// an error rather than being read at the wrong index.
fn conform(path: &Path, expected: &Schema, input: InputBatch) -> Result<InputBatch, DataError> {
    if input.skipped {
        return Ok(input);
    }
    let schema = input.batch.schema();
    let same = schema.fields().len() == expected.fields().len()
        && schema
            .fields()
            .iter()
            .zip(expected.fields())
            .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
    if same {
        return Ok(input);
    }
    let mut fields = Vec::with_capacity(expected.fields().len());
    let mut columns = Vec::with_capacity(expected.fields().len());
    for field in expected.fields() {
        let found = schema
            .fields()
            .iter()
            .position(|f| f.name() == field.name() && f.data_type() == field.data_type());
        let Some(index) = found else {
            return Err(DataError {
                code: "E0403",
                message: format!(
                    "cannot read `{}`: column `{}` is not {} in every batch",
                    path.display(),
                    field.name(),
                    field.data_type()
                ),
                help: Some(
                    "write the file with one schema for all of its batches (row groups)".into(),
                ),
            });
        };
        fields.push(schema.field(index).clone());
        columns.push(input.batch.column(index).clone());
    }
    let options = RecordBatchOptions::new().with_row_count(Some(input.batch.num_rows()));
    let batch = RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options)
        .map_err(|e| DataError::unreadable(path, "its declared schema", e))?;
    Ok(InputBatch::evaluated(batch))
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
    let unreadable = |e: parquet::errors::ParquetError| {
        DataError::unreadable(path, DataFormat::Parquet.title(), e)
    };
    // The page index is read when present: it lets pruning skip pages.
    let options = ArrowReaderOptions::new().with_page_index_policy(if pruning.is_some() {
        PageIndexPolicy::Optional
    } else {
        PageIndexPolicy::Skip
    });
    // The footer is decoded under `guarded`: the Parquet and IPC schema
    // decoders still panic on some corrupt input.
    let metadata = guarded(|| ArrowReaderMetadata::load(&file, options))
        .map_err(|e| DataError::unreadable(path, DataFormat::Parquet.title(), e))?;
    let indexes = projection(metadata.schema(), names);
    let columns = column_names(metadata.schema());
    let total_rows = u64::try_from(metadata.metadata().file_metadata().num_rows()).ok();
    let parquet_schema = metadata.metadata().file_metadata().schema_descr_ptr();
    let mask = ProjectionMask::roots(&parquet_schema, indexes.clone());
    let label = path.to_path_buf();
    let wrap = move |b: Result<RecordBatch, arrow::error::ArrowError>| {
        b.map_err(|e| DataError::unreadable(&label, DataFormat::Parquet.title(), e))
    };
    let row_counts: Vec<u64> = metadata
        .metadata()
        .row_groups()
        .iter()
        .map(|g| u64::try_from(g.num_rows()).unwrap_or(0))
        .collect();
    let Some(pruning) = pruning else {
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata)
            .with_projection(mask)
            .with_batch_size(batch_rows)
            .build()
            .map_err(unreadable)?;
        let mut input = Input::unpruned(
            reader.schema(),
            columns,
            total_rows,
            Box::new(Guarded::new(reader).map(move |b| wrap(b).map(InputBatch::evaluated))),
        );
        input.row_groups = Some(row_counts);
        return Ok(input);
    };
    let plan = pruning.pruner.plan(metadata.metadata(), metadata.schema());
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
            .map_err(|e| DataError::unreadable(path, DataFormat::Parquet.title(), e))?,
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
            // With a page selection a group yields only some of its rows:
            // counting groups by rows would be wrong, so none are reported.
            let row_groups = plan.selection.is_none().then(|| {
                plan.row_groups
                    .iter()
                    .map(|&g| row_counts.get(g).copied().unwrap_or(0))
                    .collect()
            });
            Ok(Input {
                schema,
                columns,
                total_rows,
                row_groups,
                batches: Box::new(
                    Guarded::new(reader).map(move |b| wrap(b).map(InputBatch::evaluated)),
                ),
                unread_rows: report.rows_skipped,
                pruning: Some(report),
            })
        }
        Some(key_index) => {
            // Every group in file order: skipped ones for their keys only.
            let key_mask = ProjectionMask::roots(&parquet_schema, [key_index]);
            let skipped = plan.skipped_row_groups.clone();
            let path = path.to_path_buf();
            let every_group = row_counts.clone();
            let groups = (0..row_counts.len()).map(move |group| {
                let is_skipped = skipped.contains(&group);
                let reader = file
                    .try_clone()
                    .map_err(|e| DataError {
                        code: "E0801",
                        message: format!(
                            "cannot read `{}`: {}",
                            path.display(),
                            crate::io_reason(&e)
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
                            .map_err(|e| {
                                DataError::unreadable(&path, DataFormat::Parquet.title(), e)
                            })
                    });
                let wrap = wrap.clone();
                let batches: Box<dyn Iterator<Item = Result<InputBatch, DataError>> + Send> =
                    match reader {
                        Ok(reader) => Box::new(Guarded::new(reader).map(move |b| {
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
                // Skipped groups are read for their keys: no row goes unread.
                unread_rows: 0,
                row_groups: Some(every_group),
            })
        }
    }
}

thread_local! {
    /// Set while a decoder runs under [`guarded`]: its panics are caught and
    /// reported as E0403, so the panic message must not be printed.
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a decoder step, turning a panic inside it into an error. Arrow's IPC
/// decoder still has `unwrap`s that corrupt input reaches; a corrupt file must
/// be a coded error (exit 2), never a crash. This is the last resort: sizes
/// are checked against the file before arrow sees them (see [`read_block`]).
fn guarded<T, E: std::fmt::Display>(step: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET_PANICS.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step));
    QUIET_PANICS.with(|q| q.set(false));
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the file's metadata is inconsistent".into()),
    }
}

/// A reader's batches, each read under [`guarded`]; after a panic the reader
/// is not trusted again and the iteration ends.
struct Guarded<I> {
    inner: I,
    failed: bool,
}

impl<I> Guarded<I> {
    fn new(inner: I) -> Self {
        Guarded {
            inner,
            failed: false,
        }
    }
}

impl<I: Iterator<Item = Result<RecordBatch, ArrowError>>> Iterator for Guarded<I> {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let inner = &mut self.inner;
        match guarded(|| Ok::<_, ArrowError>(inner.next())) {
            Ok(item) => item,
            Err(e) => {
                self.failed = true;
                Some(Err(ArrowError::ExternalError(e.into())))
            }
        }
    }
}

/// The most rows a batch of a file of `len` bytes can honestly hold: every
/// column type the rules can read takes at least one bit per row. A larger
/// claim is corruption, rejected before anything is allocated per row.
fn plausible_rows(batch: &RecordBatch, len: u64) -> Result<(), String> {
    let limit = len.saturating_mul(8).saturating_add(64);
    if batch.num_rows() as u64 > limit {
        return Err(format!(
            "a batch claims {} rows, more than the file can hold",
            batch.num_rows()
        ));
    }
    Ok(())
}

fn open_ipc(path: &Path, mut file: File, names: &[&str]) -> Result<Input, DataError> {
    let mut magic = [0u8; 6];
    let is_file = file.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
    file.seek(SeekFrom::Start(0))
        .map_err(|e| DataError::io(path, &e))?;
    let len = file.metadata().map_err(|e| DataError::io(path, &e))?.len();
    if is_file {
        open_ipc_file(path, file, len, names)
    } else {
        open_ipc_stream(path, file, len, names)
    }
}

/// Reads one block of an IPC file, after checking that it lies within the
/// file: a corrupt footer can claim any offset and length, and arrow would
/// allocate whatever it claims.
fn read_block(file: &mut File, len: u64, block: &arrow::ipc::Block) -> Result<Buffer, String> {
    let outside = || "a block lies outside the file".to_string();
    let offset = u64::try_from(block.offset()).map_err(|_| outside())?;
    let meta = u64::try_from(block.metaDataLength()).map_err(|_| outside())?;
    let body = u64::try_from(block.bodyLength()).map_err(|_| outside())?;
    let size = meta.checked_add(body).ok_or_else(outside)?;
    let end = offset.checked_add(size).ok_or_else(outside)?;
    if meta == 0 || end > len {
        return Err(outside());
    }
    let size = usize::try_from(size).map_err(|_| outside())?;
    let mut bytes = vec![0u8; size];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|e| crate::io_reason(&e))?;
    Ok(Buffer::from_vec(bytes))
}

/// An IPC file, read block by block with arrow's `FileDecoder`. The footer
/// and every block are checked against the file's length first, and arrow's
/// validation of the decoded arrays stays on.
fn open_ipc_file(
    path: &Path,
    mut file: File,
    len: u64,
    names: &[&str],
) -> Result<Input, DataError> {
    use arrow::ipc::reader::{FileDecoder, read_footer_length};
    let unreadable = |e: String| DataError::unreadable(path, DataFormat::Arrow.title(), e);
    // Magic and padding (8 bytes) at the start; footer, its length and the
    // magic (10 bytes) at the end.
    if len < 18 {
        return Err(unreadable("the file is too short".into()));
    }
    let mut tail = [0u8; 10];
    file.seek(SeekFrom::End(-10))
        .and_then(|_| file.read_exact(&mut tail))
        .map_err(|e| DataError::io(path, &e))?;
    let footer_len = read_footer_length(tail).map_err(|e| unreadable(e.to_string()))? as u64;
    if footer_len > len - 18 {
        return Err(unreadable("the footer is longer than the file".into()));
    }
    let mut footer = vec![0u8; footer_len as usize];
    file.seek(SeekFrom::Start(len - 10 - footer_len))
        .and_then(|_| file.read_exact(&mut footer))
        .map_err(|e| DataError::io(path, &e))?;
    let (schema, version, blocks, dictionaries) = guarded(|| {
        let footer = arrow::ipc::root_as_footer(&footer)
            .map_err(|e| ArrowError::ParseError(format!("the footer is invalid: {e}")))?;
        let ipc_schema = footer
            .schema()
            .ok_or_else(|| ArrowError::ParseError("the footer has no schema".into()))?;
        if !ipc_schema.endianness().equals_to_target_endianness() {
            return Err(ArrowError::IpcError(
                "the file was written with the other byte order".into(),
            ));
        }
        let schema = arrow::ipc::convert::fb_to_schema(ipc_schema);
        let blocks: Vec<arrow::ipc::Block> = footer
            .recordBatches()
            .map(|b| b.iter().copied().collect())
            .unwrap_or_default();
        let dictionaries: Vec<arrow::ipc::Block> = footer
            .dictionaries()
            .map(|b| b.iter().copied().collect())
            .unwrap_or_default();
        Ok((schema, footer.version(), blocks, dictionaries))
    })
    .map_err(unreadable)?;
    let indexes = projection(&schema, names);
    let columns = column_names(&schema);
    let projected = Arc::new(
        schema
            .project(&indexes)
            .map_err(|e| unreadable(e.to_string()))?,
    );
    let mut decoder = FileDecoder::new(Arc::new(schema), version).with_projection(indexes);
    for block in &dictionaries {
        let buffer = read_block(&mut file, len, block).map_err(unreadable)?;
        guarded(|| decoder.read_dictionary(block, &buffer)).map_err(unreadable)?;
    }
    let label = path.to_path_buf();
    let mut blocks = blocks.into_iter();
    let mut failed = false;
    let batches = std::iter::from_fn(move || {
        loop {
            if failed {
                return None;
            }
            let block = blocks.next()?;
            let result = read_block(&mut file, len, &block)
                .and_then(|buffer| guarded(|| decoder.read_record_batch(&block, &buffer)))
                .and_then(|batch| match batch {
                    Some(batch) => plausible_rows(&batch, len).map(|()| Some(batch)),
                    None => Ok(None),
                });
            match result {
                Ok(Some(batch)) => return Some(Ok(InputBatch::evaluated(batch))),
                Ok(None) => {}
                Err(e) => {
                    // A decoder that failed (or panicked) mid-file is not
                    // trusted with the blocks after.
                    failed = true;
                    return Some(Err(DataError::unreadable(
                        &label,
                        DataFormat::Arrow.title(),
                        e,
                    )));
                }
            }
        }
    });
    Ok(Input::unpruned(projected, columns, None, Box::new(batches)))
}

/// An IPC stream, fed to arrow's push-based `StreamDecoder` in chunks: it
/// grows its buffers only as bytes arrive, so a corrupt length cannot make it
/// allocate more than the file holds.
struct IpcStream {
    file: File,
    len: u64,
    decoder: arrow::ipc::reader::StreamDecoder,
    pending: Buffer,
    failed: bool,
}

impl IpcStream {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, String> {
        loop {
            if self.pending.is_empty() {
                let mut chunk = vec![0u8; 1 << 16];
                let read = loop {
                    match self.file.read(&mut chunk) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(crate::io_reason(&e)),
                    }
                };
                if read == 0 {
                    return guarded(|| self.decoder.finish()).map(|()| None);
                }
                chunk.truncate(read);
                self.pending = Buffer::from_vec(chunk);
            }
            let (decoder, pending) = (&mut self.decoder, &mut self.pending);
            if let Some(batch) = guarded(|| decoder.decode(pending))? {
                plausible_rows(&batch, self.len)?;
                return Ok(Some(batch));
            }
        }
    }
}

fn open_ipc_stream(path: &Path, file: File, len: u64, names: &[&str]) -> Result<Input, DataError> {
    let unreadable = |e: String| DataError::unreadable(path, "Arrow IPC stream", e);
    let mut stream = IpcStream {
        file,
        len,
        decoder: arrow::ipc::reader::StreamDecoder::new(),
        pending: Buffer::from_vec(Vec::<u8>::new()),
        failed: false,
    };
    // The schema is the first message: decoding up to the first batch (kept
    // for the iteration) or the end of the stream reads it.
    let first = stream.next_batch().map_err(unreadable)?;
    let Some(schema) = stream.decoder.schema() else {
        return Err(unreadable("the stream has no schema".into()));
    };
    let indexes = projection(&schema, names);
    let columns = column_names(&schema);
    let projected = Arc::new(
        schema
            .project(&indexes)
            .map_err(|e| unreadable(e.to_string()))?,
    );
    let label = path.to_path_buf();
    let project = move |batch: RecordBatch| {
        batch
            .project(&indexes)
            .map(InputBatch::evaluated)
            .map_err(|e| DataError::unreadable(&label, "Arrow IPC stream", e))
    };
    let label = path.to_path_buf();
    let rest = std::iter::from_fn(move || {
        if stream.failed {
            return None;
        }
        match stream.next_batch() {
            Ok(batch) => batch.map(Ok),
            Err(e) => {
                stream.failed = true;
                Some(Err(DataError::unreadable(&label, "Arrow IPC stream", e)))
            }
        }
    });
    let batches = first
        .map(Ok)
        .into_iter()
        .chain(rest)
        .map(move |b| b.and_then(&project));
    Ok(Input::unpruned(projected, columns, None, Box::new(batches)))
}

/// The Arrow type a text format is read as, for a schema type. Decimals and,
/// in CSV, lists are read as text and converted exactly afterwards; in JSON
/// lines, ints, dates and timestamps are read as their text too, so that a
/// value is never coerced silently (`5.7` read as the int 5, a number taken
/// as microseconds) but converted by the same rules as CSV.
fn text_type(ty: &Type, csv: bool) -> DataType {
    let utf8_list = || DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    match ty {
        Type::Int if csv => DataType::Int64,
        Type::Float => DataType::Float64,
        Type::Bool => DataType::Boolean,
        Type::Date if csv => DataType::Date32,
        Type::Timestamp if csv => timestamp_type(),
        Type::Int | Type::Date | Type::Timestamp | Type::Decimal => DataType::Utf8,
        Type::String | Type::Duration => DataType::Utf8,
        Type::List(element) if !csv => match element.record_fields() {
            Some(fields) => record_list_type(fields, |ty| text_type(ty, false)),
            None => utf8_list(),
        },
        Type::List(_) | Type::Record(_) => DataType::Utf8,
    }
}

/// `list<struct>` with one child per record field, each of the type `child`
/// gives for the field's type: the shape a JSON lines history is read as
/// (children typed by [`text_type`]) and converted to (by
/// [`converted_type`]), so that both sides of the conversion agree.
fn record_list_type(fields: &[RecordField], child: impl Fn(&Type) -> DataType) -> DataType {
    let children: Vec<Field> = fields
        .iter()
        .map(|f| Field::new(&f.name, child(&f.ty), true))
        .collect();
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(children.into()),
        true,
    )))
}

/// Timestamps from text: an offset zone (Arrow parses named zones only with
/// chrono-tz, which we do not need, and every instant is UTC anyway).
fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
}

/// The Arrow type a text column has once converted, when it is converted.
fn converted_type(ty: &Type, csv: bool) -> Option<DataType> {
    let list = |item: DataType| DataType::List(Arc::new(Field::new("item", item, true)));
    match ty {
        Type::Decimal => Some(DataType::Decimal128(38, TEXT_DECIMAL_SCALE as i8)),
        Type::List(element) if csv && **element == Type::String => Some(list(DataType::Utf8)),
        Type::List(element) if **element == Type::Int => Some(list(DataType::Int64)),
        Type::List(element) if !csv => element.record_fields().map(|fields| {
            record_list_type(fields, |ty| {
                converted_type(ty, false).unwrap_or_else(|| text_type(ty, false))
            })
        }),
        Type::Int if !csv => Some(DataType::Int64),
        Type::Date if !csv => Some(DataType::Date32),
        Type::Timestamp if !csv => Some(timestamp_type()),
        _ => None,
    }
}

fn open_csv(
    path: &Path,
    file: File,
    program: &Program,
    fields: &[FieldId],
    batch_rows: usize,
) -> Result<Input, DataError> {
    // A CSV cell holds one value; an event history (a list of records) has
    // no CSV form, so it is refused before the file is read.
    if let Some(history) = fields
        .iter()
        .map(|id| program.schema.field(*id))
        .find(|f| f.ty.element().and_then(Type::record_fields).is_some())
    {
        return Err(DataError {
            code: "E0402",
            message: format!(
                "`{}` is a CSV file, which cannot hold the history `{}` (a list of records)",
                path.display(),
                history.name
            ),
            help: Some(
                "read histories from Parquet, Arrow IPC or JSON lines, where a column can hold a list of records".into(),
            ),
        });
    }
    let mut reader = BufReader::new(file);
    let mut header = String::new();
    reader
        .read_line(&mut header)
        .map_err(|e| DataError::unreadable(path, DataFormat::Csv.title(), e))?;
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
    let wanted: Vec<&str> = fields
        .iter()
        .map(|f| program.schema.field(*f).name.as_str())
        .collect();
    ambiguous(path, &columns, &wanted)?;
    // Every column is declared (CSV is positional); those the rules need get
    // their schema type, the others are read as text and projected away.
    let arrow_fields: Vec<Field> = columns
        .iter()
        .map(|name| {
            let ty = fields
                .iter()
                .map(|f| program.schema.field(*f))
                .find(|f| &f.name == name)
                .map_or(DataType::Utf8, |f| text_type(&f.ty, true));
            Field::new(name, ty, true)
        })
        .collect();
    let schema = Arc::new(Schema::new(arrow_fields));
    let indexes = projection(&schema, &wanted);
    let null = regex::Regex::new("^$")
        .map_err(|e| DataError::unreadable(path, DataFormat::Csv.title(), e))?;
    // Re-open so the reader sees the header line too.
    let file = File::open(path).map_err(|e| DataError::io(path, &e))?;
    let csv = arrow::csv::ReaderBuilder::new(schema)
        .with_header(true)
        .with_batch_size(batch_rows)
        .with_null_regex(null)
        .with_projection(indexes)
        .build(BufReader::new(file))
        .map_err(|e| DataError::unreadable(path, DataFormat::Csv.title(), e))?;
    let schema = csv.schema();
    let label = path.to_path_buf();
    let header = columns.clone();
    // Arrow counts data rows from 1; the file line is one more, for the header.
    let mut next_line = 2u64;
    let batches = csv.map(move |batch| {
        let batch = batch.map_err(|e| {
            csv_value_error(&label, &e.to_string(), &header)
                .unwrap_or_else(|| DataError::unreadable(&label, DataFormat::Csv.title(), e))
        })?;
        let lines = Lines::From(next_line);
        next_line += batch.num_rows() as u64;
        Ok((batch, lines))
    });
    convert_text_input(
        path,
        DataFormat::Csv.title(),
        schema,
        Box::new(batches),
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

/// Where the rows of a text batch are in the file, for messages.
enum Lines {
    /// Consecutive lines from this one (CSV).
    From(u64),
    /// The line of each row (JSON lines, where blank lines are skipped).
    Each(Vec<u64>),
}

impl Lines {
    fn of(&self, row: usize) -> u64 {
        match self {
            Lines::From(first) => first + row as u64,
            Lines::Each(lines) => lines.get(row).copied().unwrap_or(0),
        }
    }
}

/// JSON lines, fed to arrow's decoder one line at a time so that a row's line
/// number is known exactly (for messages) and a byte-order mark can be
/// skipped.
struct JsonLines {
    reader: BufReader<File>,
    decoder: arrow::json::reader::Decoder,
    /// The schema the decoder reads, to re-decode a failing batch line by line.
    schema: SchemaRef,
    batch_rows: usize,
    /// The line being read (1-based).
    line: u64,
    /// Its bytes, and how many of them the decoder has consumed.
    current: Vec<u8>,
    pos: usize,
    /// The line of each row buffered in the decoder.
    rows: Vec<u64>,
    /// The text of the buffered rows' lines, to find the line a failing batch
    /// fails at.
    text: Vec<(u64, Vec<u8>)>,
    done: bool,
}

impl JsonLines {
    fn next_batch(&mut self) -> Result<Option<(RecordBatch, Lines)>, String> {
        while self.rows.len() < self.batch_rows {
            if self.pos == self.current.len() {
                // The line is done: read the next one.
                self.current.clear();
                self.pos = 0;
                if self.done {
                    break;
                }
                let read = self
                    .reader
                    .read_until(b'\n', &mut self.current)
                    .map_err(|e| crate::io_reason(&e))?;
                if read == 0 {
                    self.done = true;
                    break;
                }
                self.line += 1;
                if self.line == 1 && self.current.starts_with(b"\xef\xbb\xbf") {
                    self.pos = 3;
                }
                continue;
            }
            // The decoder stops when its batch is full, possibly inside a
            // line holding several objects: the rest of the line is kept
            // for the next batch.
            let from = self.pos;
            let used = self
                .decoder
                .decode(&self.current[from..])
                .map_err(|e| format!("line {}: {}", self.line, one_line(&e.to_string())))?;
            self.pos += used;
            self.text
                .push((self.line, self.current[from..self.pos].to_vec()));
            let complete = self.decoder.len() - usize::from(self.decoder.has_partial_record());
            while self.rows.len() < complete {
                self.rows.push(self.line);
            }
        }
        if self.done && self.decoder.has_partial_record() {
            return Err(format!(
                "line {}: the last JSON object is incomplete",
                self.line
            ));
        }
        match self.decoder.flush() {
            Ok(None) => Ok(None),
            Ok(Some(batch)) => {
                self.text.clear();
                Ok(Some((batch, Lines::Each(std::mem::take(&mut self.rows)))))
            }
            Err(e) => Err(self.failing_line(e)),
        }
    }

    /// The message for a batch that did not convert: the first of its lines
    /// that fails on its own, and arrow's reason.
    fn failing_line(&self, error: ArrowError) -> String {
        for (line, text) in &self.text {
            let Ok(mut decoder) = arrow::json::ReaderBuilder::new(self.schema.clone())
                .with_coerce_primitive(true)
                .build_decoder()
            else {
                break;
            };
            if let Err(e) = decoder.decode(text).and_then(|_| decoder.flush()) {
                return format!("line {line}: {}", one_line(&e.to_string()));
            }
        }
        one_line(&error.to_string())
    }
}

fn open_jsonl(
    path: &Path,
    file: File,
    program: &Program,
    fields: &[FieldId],
    batch_rows: usize,
) -> Result<Input, DataError> {
    let schema = jsonl_schema(program, fields);
    let decoder = json_decoder(&schema, batch_rows)
        .map_err(|e| DataError::unreadable(path, DataFormat::Jsonl.title(), e))?;
    let mut lines = JsonLines {
        reader: BufReader::new(file),
        decoder,
        schema: schema.clone(),
        batch_rows,
        line: 0,
        current: Vec::new(),
        pos: 0,
        rows: Vec::new(),
        text: Vec::new(),
        done: false,
    };
    let label = path.to_path_buf();
    let histories = history_names(program, fields);
    let mut failed = false;
    let batches = std::iter::from_fn(move || {
        if failed {
            return None;
        }
        match lines.next_batch() {
            Ok(batch) => batch.map(Ok),
            Err(e) => {
                failed = true;
                Some(Err(jsonl_error(&label, &e, &histories)))
            }
        }
    });
    // JSON lines has no header: the columns are whatever the rules ask for.
    let columns = column_names(&schema);
    convert_text_input(
        path,
        DataFormat::Jsonl.title(),
        schema,
        Box::new(batches),
        program,
        false,
        columns,
    )
}

/// The schema JSON lines are decoded with: each field the rules read, typed
/// as its text is read ([`text_type`]) before conversion.
fn jsonl_schema(program: &Program, fields: &[FieldId]) -> SchemaRef {
    let arrow_fields: Vec<Field> = fields
        .iter()
        .map(|f| {
            let field = program.schema.field(*f);
            Field::new(&field.name, text_type(&field.ty, false), true)
        })
        .collect();
    Arc::new(Schema::new(arrow_fields))
}

/// Arrow's JSON decoder for [`jsonl_schema`].
fn json_decoder(
    schema: &SchemaRef,
    batch_rows: usize,
) -> Result<arrow::json::reader::Decoder, ArrowError> {
    arrow::json::ReaderBuilder::new(schema.clone())
        .with_batch_size(batch_rows)
        // Numbers for text-read fields (decimals, ints, dates, timestamps)
        // arrive as their exact text and are converted afterwards.
        .with_coerce_primitive(true)
        .build_decoder()
}

/// The names of the histories (lists of records) among `fields`.
fn history_names(program: &Program, fields: &[FieldId]) -> Vec<String> {
    fields
        .iter()
        .map(|id| program.schema.field(*id))
        .filter(|f| f.ty.element().and_then(Type::record_fields).is_some())
        .map(|f| f.name.clone())
        .collect()
}

/// E0403 for JSON that cannot be decoded; `message` starts with `line N: `.
fn jsonl_error(label: &Path, message: &str, histories: &[String]) -> DataError {
    history_shape_error(label, message, histories).unwrap_or_else(|| DataError {
        code: "E0403",
        message: format!("cannot read `{}` as JSON lines: {message}", label.display()),
        help: Some("write one JSON object per line".into()),
    })
}

/// Profiles that arrive one JSON object at a time (a stream, a request),
/// decoded into one-row batches of the fields the rules read with the
/// conversions and errors of the JSON lines reader: fields by name, an
/// absent field or `null` missing, histories as arrays of objects. The
/// decoder and its buffers are kept from one object to the next.
pub struct JsonProfiles {
    decoder: arrow::json::reader::Decoder,
    /// The schema the decoder reads (text types).
    text_schema: SchemaRef,
    conversion: TextConversion,
    histories: Vec<String>,
}

impl JsonProfiles {
    /// A decoder of the given `fields` of `program`; `label` names the
    /// source in messages (`<stdin>`, a file name).
    pub fn new(program: &Program, fields: &[FieldId], label: &Path) -> Result<Self, DataError> {
        let text_schema = jsonl_schema(program, fields);
        let decoder = json_decoder(&text_schema, 1)
            .map_err(|e| DataError::unreadable(label, DataFormat::Jsonl.title(), e))?;
        let (types, schema) = converted_schema(&text_schema, program, false);
        Ok(JsonProfiles {
            decoder,
            text_schema,
            conversion: TextConversion {
                label: label.to_path_buf(),
                format: DataFormat::Jsonl.title(),
                types,
                schema,
                csv: false,
            },
            histories: history_names(program, fields),
        })
    }

    /// The schema of the batches [`JsonProfiles::decode`] returns.
    pub fn schema(&self) -> &SchemaRef {
        &self.conversion.schema
    }

    /// Decodes one JSON object, the text of line `line` of the source (for
    /// messages), into a one-row batch. E0403 when it is not one JSON
    /// object or a value is not of its field's type; the decoder is then
    /// ready for the next object.
    pub fn decode(&mut self, text: &str, line: u64) -> Result<RecordBatch, DataError> {
        let decoded = self.decode_text(text, line);
        if decoded.is_err() {
            // Whatever the failing text left in the decoder is dropped with
            // it, so that the next object starts clean.
            if let Ok(fresh) = json_decoder(&self.text_schema, 1) {
                self.decoder = fresh;
            }
        }
        decoded
    }

    fn decode_text(&mut self, text: &str, line: u64) -> Result<RecordBatch, DataError> {
        let label = &self.conversion.label;
        let fail = |message: String| {
            jsonl_error(label, &format!("line {line}: {message}"), &self.histories)
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let used = self
            .decoder
            .decode(text.as_bytes())
            .map_err(|e| fail(one_line(&e.to_string())))?;
        // With room for one row, the decoder stops after the first object;
        // anything but blanks after it is a second one.
        if !text.get(used..).unwrap_or("").trim().is_empty() {
            return Err(fail(
                "the line holds more than one JSON object; write one profile per line".into(),
            ));
        }
        if self.decoder.has_partial_record() {
            return Err(fail("the JSON object is incomplete".into()));
        }
        let batch = self
            .decoder
            .flush()
            .map_err(|e| fail(one_line(&e.to_string())))?
            .ok_or_else(|| fail("the line holds no JSON object".into()))?;
        if batch.num_rows() != 1 {
            return Err(fail(
                "the line holds more than one JSON object; write one profile per line".into(),
            ));
        }
        self.conversion.convert(&batch, &Lines::From(line))
    }
}

/// Arrow's message for a history that is not a JSON array, or a record in it
/// that is not a JSON object, in the user's terms: the same E0403 as any other
/// value of the wrong type, naming the line, the field and what it holds.
fn history_shape_error(path: &Path, message: &str, histories: &[String]) -> Option<DataError> {
    let shape = regex::Regex::new(
        r"^line (\d+): .*whilst decoding field '([^']+)': expected ([\[{]) got (.*)$",
    )
    .ok()?;
    let caps = shape.captures(message)?;
    let field = caps.get(2)?.as_str();
    if !histories.iter().any(|h| h == field) {
        return None;
    }
    let expected = if caps.get(3)?.as_str() == "[" {
        "a list of records"
    } else {
        "a record"
    };
    Some(DataError {
        code: "E0403",
        message: format!(
            "`{}` line {}: `{}` in column `{field}` is not {expected}",
            path.display(),
            caps.get(1)?.as_str(),
            shown(caps.get(4)?.as_str())
        ),
        help: Some(format!(
            "write a history as a JSON array of objects, e.g. [{{\"at\": \"2026-11-23T10:00:00Z\"}}], or null (or leave `{field}` out) for missing"
        )),
    })
}

type TextBatches = Box<dyn Iterator<Item = Result<(RecordBatch, Lines), DataError>> + Send>;

/// Wraps a text-format reader: decimals parsed exactly from text, in CSV
/// lists parsed from JSON array text, in JSON lines ints, dates and
/// timestamps parsed from their text.
fn convert_text_input(
    path: &Path,
    format: &'static str,
    schema: SchemaRef,
    batches: TextBatches,
    program: &Program,
    csv: bool,
    columns: Vec<String>,
) -> Result<Input, DataError> {
    let (types, converted_schema) = converted_schema(&schema, program, csv);
    let conversion = TextConversion {
        label: path.to_path_buf(),
        format,
        types,
        schema: converted_schema.clone(),
        csv,
    };
    let batches = batches.map(move |batch| {
        let (batch, lines) = batch?;
        conversion
            .convert(&batch, &lines)
            .map(InputBatch::evaluated)
    });
    Ok(Input::unpruned(
        converted_schema,
        columns,
        None,
        Box::new(batches),
    ))
}

/// The schema a text batch has once converted, and the schema type of each
/// of its columns (none for a column the rules do not declare).
fn converted_schema(
    schema: &SchemaRef,
    program: &Program,
    csv: bool,
) -> (Vec<Option<Type>>, SchemaRef) {
    let types: Vec<Option<Type>> = schema
        .fields()
        .iter()
        .map(|f| {
            program
                .schema
                .find(f.name())
                .map(|id| program.schema.field(id).ty.clone())
        })
        .collect();
    let converted_schema = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .zip(&types)
            .map(
                |(f, ty)| match ty.as_ref().and_then(|t| converted_type(t, csv)) {
                    Some(t) => Field::new(f.name(), t, true),
                    None => f.as_ref().clone(),
                },
            )
            .collect::<Vec<_>>(),
    ));
    (types, converted_schema)
}

/// How the batches of one text source are converted to the schema types.
struct TextConversion {
    /// The source, for messages.
    label: PathBuf,
    /// Its format's title, for messages.
    format: &'static str,
    /// The schema type of each column.
    types: Vec<Option<Type>>,
    /// The schema of a converted batch.
    schema: SchemaRef,
    csv: bool,
}

impl TextConversion {
    /// Converts one batch read as text; `lines` places its rows in the source.
    fn convert(&self, batch: &RecordBatch, lines: &Lines) -> Result<RecordBatch, DataError> {
        let csv = self.csv;
        let source = Source {
            path: &self.label,
            lines,
            csv,
        };
        let mut converted = Vec::with_capacity(batch.num_columns());
        for (i, array) in batch.columns().iter().enumerate() {
            let name = batch.schema().field(i).name().clone();
            let column = Column {
                name: &name,
                source: &source,
            };
            converted.push(match self.types.get(i).and_then(Option::as_ref) {
                Some(Type::Decimal) => decimals_from_text(array, &column)?,
                Some(Type::List(e)) if csv && **e == Type::String => {
                    lists_from_json(array, &column, false)?
                }
                Some(Type::List(e)) if csv && **e == Type::Int => {
                    lists_from_json(array, &column, true)?
                }
                Some(Type::List(e)) if **e == Type::Int => int_lists_from_text(array, &column)?,
                Some(ty @ Type::List(e)) if !csv && e.record_fields().is_some() => {
                    histories_from_text(array, &column, ty)?
                }
                Some(Type::Int) if !csv => ints_from_text(array, &column)?,
                Some(Type::Date) if !csv => dates_from_text(array, &column)?,
                Some(Type::Timestamp) if !csv => timestamps_from_text(array, &column)?,
                _ => array.clone(),
            });
        }
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        RecordBatch::try_new_with_options(self.schema.clone(), converted, &options)
            .map_err(|e| DataError::unreadable(&self.label, self.format, e))
    }
}

/// Arrow's CSV parse error in the user's terms: Arrow counts data rows from 1
/// (the file line is one more, for the header) and columns from 0.
fn csv_value_error(path: &Path, message: &str, header: &[String]) -> Option<DataError> {
    let value_error =
        regex::Regex::new(r"parsing value '(.*)' as type '(\w+)' for column (\d+) at line (\d+)")
            .ok()?;
    // Timestamps fail with another message.
    let timestamp_error = regex::Regex::new(
        r"Error parsing column (\d+) at line (\d+): .*Error parsing timestamp from '(.*)'",
    )
    .ok()?;
    let (value, ty, column, row) = if let Some(caps) = value_error.captures(message) {
        (
            caps.get(1)?.as_str(),
            caps.get(2)?.as_str(),
            caps.get(3)?.as_str(),
            caps.get(4)?.as_str(),
        )
    } else {
        let caps = timestamp_error.captures(message)?;
        (
            caps.get(3)?.as_str(),
            "Timestamp",
            caps.get(1)?.as_str(),
            caps.get(2)?.as_str(),
        )
    };
    let column: usize = column.parse().ok()?;
    let row: u64 = row.parse().ok()?;
    let name = header.get(column)?;
    let expected = match ty {
        "Int64" => INT,
        "Float64" => "a number",
        "Boolean" => "true or false",
        "Date32" => DATE,
        t if t.starts_with("Timestamp") => TIMESTAMP,
        _ => "a value of the column's type",
    };
    Some(DataError {
        code: "E0403",
        message: format!(
            "`{}` line {}: `{}` in column `{name}` is not {expected}",
            path.display(),
            row + 1,
            shown(value)
        ),
        help: Some(MISSING_CSV.into()),
    })
}

const INT: &str = "an int";
const DATE: &str = "a date (2024-01-31)";
const TIMESTAMP: &str = "a timestamp (2024-01-31T10:00:00Z)";
const MISSING_CSV: &str = "fix the value, or leave the cell empty for missing";
const MISSING_JSON: &str = "fix the value, or write null (or leave the key out) for missing";

/// Where a text batch came from, for messages.
struct Source<'a> {
    path: &'a Path,
    lines: &'a Lines,
    csv: bool,
}

/// One column of a text batch being converted.
struct Column<'a> {
    name: &'a str,
    source: &'a Source<'a>,
}

impl Column<'_> {
    /// E0403 for a value that is not of the column's type.
    fn not_a(&self, row: usize, value: &str, expected: &str, help: Option<&str>) -> DataError {
        let help = help.unwrap_or(if self.source.csv {
            MISSING_CSV
        } else {
            MISSING_JSON
        });
        DataError {
            code: "E0403",
            message: format!(
                "`{}` line {}: `{}` in column `{}` is not {expected}",
                self.source.path.display(),
                self.source.lines.of(row),
                shown(value),
                self.name
            ),
            help: Some(help.into()),
        }
    }
}

/// Parses an exact decimal: optional sign, digits, optional fraction. The
/// fraction's trailing zeros are dropped (the value is the same), so the
/// scale returned is the smallest that holds the value exactly.
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
    let frac_part = frac_part.trim_end_matches('0');
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

/// A decimal at the file-wide scale [`TEXT_DECIMAL_SCALE`], or why it has none.
fn decimal_at_text_scale(text: &str) -> Result<i128, DecimalProblem> {
    let (unscaled, scale) = parse_decimal_text(text).ok_or(DecimalProblem::NotADecimal)?;
    if scale > TEXT_DECIMAL_SCALE {
        return Err(DecimalProblem::Fraction);
    }
    let value = seg_eval::num::rescale_up(unscaled, TEXT_DECIMAL_SCALE - scale)
        .ok_or(DecimalProblem::Integer)?;
    // Precision 38: fewer than 39 digits in all.
    if value.unsigned_abs() >= 10u128.pow(38) {
        return Err(DecimalProblem::Integer);
    }
    Ok(value)
}

enum DecimalProblem {
    NotADecimal,
    Fraction,
    Integer,
}

fn decimals_from_text(array: &ArrayRef, column: &Column<'_>) -> Result<ArrayRef, DataError> {
    let Some(text) = array.as_string_opt::<i32>() else {
        return Ok(array.clone());
    };
    let mut builder = Decimal128Builder::with_capacity(text.len());
    for (i, value) in text.iter().enumerate() {
        let Some(v) = value else {
            builder.append_null();
            continue;
        };
        match decimal_at_text_scale(v) {
            Ok(d) => builder.append_value(d),
            Err(DecimalProblem::NotADecimal) => {
                return Err(column.not_a(
                    i,
                    v,
                    "a decimal",
                    Some("decimals are written like 19.99 or -5; fix the value or leave it empty for missing"),
                ));
            }
            Err(problem) => {
                let (limit, side) = match problem {
                    DecimalProblem::Fraction => (TEXT_DECIMAL_SCALE, "after"),
                    _ => (38 - TEXT_DECIMAL_SCALE, "before"),
                };
                return Err(DataError {
                    code: "E0409",
                    message: format!(
                        "`{}` line {}: `{}` in column `{}` has more than {limit} digits {side} the point",
                        column.source.path.display(),
                        column.source.lines.of(i),
                        shown(v),
                        column.name
                    ),
                    help: Some(format!(
                        "decimals in CSV and JSON lines are exact with up to {} digits before the point and {} after; round the value, or store the data as Parquet or Arrow with its own decimal type",
                        38 - TEXT_DECIMAL_SCALE,
                        TEXT_DECIMAL_SCALE
                    )),
                });
            }
        }
    }
    let array = builder
        .finish()
        .with_precision_and_scale(38, TEXT_DECIMAL_SCALE as i8)
        .map_err(|e| DataError::unreadable(column.source.path, "decimal", e))?;
    Ok(Arc::new(array))
}

/// An int from text, by the rules CSV uses (digits with an optional sign):
/// `5.7` is not an int, nor is `5.0`.
fn int_from_text(text: &str) -> Option<i64> {
    use arrow::compute::kernels::cast_utils::Parser;
    arrow::datatypes::Int64Type::parse(text)
}

/// Parses a text column value by value into a primitive column: a value
/// `parse` rejects is an error naming its line and column. A column that is
/// not text is returned as it is.
fn primitives_from_text<T: arrow::datatypes::ArrowPrimitiveType>(
    array: &ArrayRef,
    column: &Column<'_>,
    expected: &str,
    parse: impl Fn(&str) -> Option<T::Native>,
) -> Result<Option<arrow::array::PrimitiveArray<T>>, DataError> {
    let Some(text) = array.as_string_opt::<i32>() else {
        return Ok(None);
    };
    let values = text
        .iter()
        .enumerate()
        .map(|(i, value)| match value {
            None => Ok(None),
            Some(v) => parse(v)
                .map(Some)
                .ok_or_else(|| column.not_a(i, v, expected, None)),
        })
        .collect::<Result<arrow::array::PrimitiveArray<T>, DataError>>()?;
    Ok(Some(values))
}

fn ints_from_text(array: &ArrayRef, column: &Column<'_>) -> Result<ArrayRef, DataError> {
    let ints =
        primitives_from_text::<arrow::datatypes::Int64Type>(array, column, INT, int_from_text)?;
    Ok(ints.map_or_else(|| array.clone(), |a| Arc::new(a) as ArrayRef))
}

fn int_lists_from_text(array: &ArrayRef, column: &Column<'_>) -> Result<ArrayRef, DataError> {
    let Some(lists) = array.as_list_opt::<i32>() else {
        return Ok(array.clone());
    };
    let mut builder = ListBuilder::new(Int64Builder::new());
    for (i, list) in lists.iter().enumerate() {
        let Some(list) = list else {
            builder.append_null();
            continue;
        };
        let Some(items) = list.as_string_opt::<i32>() else {
            return Ok(array.clone());
        };
        for item in items.iter() {
            match item {
                None => builder.values().append_null(),
                Some(v) => builder
                    .values()
                    .append_value(int_from_text(v).ok_or_else(|| column.not_a(i, v, INT, None))?),
            }
        }
        builder.append(true);
    }
    Ok(Arc::new(builder.finish()))
}

/// A JSON lines history (`list<struct>` whose children were read as the text
/// types of their record fields) with each record field converted as a
/// profile field of its type is: decimals exactly, ints, dates and
/// timestamps from their text. A value that does not convert is an error
/// naming the line of its profile and the field as `history.field`. The list
/// and record nulls (a missing history, a `null` record) are kept as read.
fn histories_from_text(
    array: &ArrayRef,
    column: &Column<'_>,
    ty: &Type,
) -> Result<ArrayRef, DataError> {
    let (Some(lists), Some(fields)) = (
        array.as_list_opt::<i32>(),
        ty.element().and_then(Type::record_fields),
    ) else {
        return Ok(array.clone());
    };
    let Some(records) = lists.values().as_struct_opt() else {
        return Ok(array.clone());
    };
    let broken = |e: ArrowError| DataError::unreadable(column.source.path, "history", e);
    // Each record is reported at the line of the profile whose list holds it.
    let mut record_lines = vec![0u64; records.len()];
    for (row, bounds) in lists.value_offsets().windows(2).enumerate() {
        let (Ok(start), Ok(end)) = (usize::try_from(bounds[0]), usize::try_from(bounds[1])) else {
            continue;
        };
        for line in record_lines.iter_mut().take(end).skip(start) {
            *line = column.source.lines.of(row);
        }
    }
    let lines = Lines::Each(record_lines);
    let source = Source {
        path: column.source.path,
        lines: &lines,
        csv: false,
    };
    let mut children = Vec::with_capacity(records.num_columns());
    for (field, child) in records.fields().iter().zip(records.columns()) {
        let name = format!("{}.{}", column.name, field.name());
        let column = Column {
            name: &name,
            source: &source,
        };
        let record_field = fields.iter().find(|f| &f.name == field.name());
        children.push(match record_field.map(|f| &f.ty) {
            Some(Type::Decimal) => decimals_from_text(child, &column)?,
            Some(Type::Int) => ints_from_text(child, &column)?,
            Some(Type::Date) => dates_from_text(child, &column)?,
            Some(Type::Timestamp) => timestamps_from_text(child, &column)?,
            _ => child.clone(),
        });
    }
    let Some(DataType::List(item)) = converted_type(ty, false) else {
        return Ok(array.clone());
    };
    let DataType::Struct(record_fields) = item.data_type() else {
        return Ok(array.clone());
    };
    let values = arrow::array::StructArray::try_new(
        record_fields.clone(),
        children,
        records.nulls().cloned(),
    )
    .map_err(broken)?;
    let list = arrow::array::ListArray::try_new(
        item.clone(),
        lists.offsets().clone(),
        Arc::new(values),
        lists.nulls().cloned(),
    )
    .map_err(broken)?;
    Ok(Arc::new(list))
}

fn dates_from_text(array: &ArrayRef, column: &Column<'_>) -> Result<ArrayRef, DataError> {
    use arrow::compute::kernels::cast_utils::Parser;
    // A bare JSON number is not a date: only text in the form CSV accepts
    // (2024-01-31).
    let dates = primitives_from_text::<arrow::datatypes::Date32Type>(array, column, DATE, |v| {
        arrow::datatypes::Date32Type::parse(v).filter(|_| v.contains('-'))
    })?;
    Ok(dates.map_or_else(|| array.clone(), |a| Arc::new(a) as ArrayRef))
}

fn timestamps_from_text(array: &ArrayRef, column: &Column<'_>) -> Result<ArrayRef, DataError> {
    let instants = primitives_from_text::<arrow::datatypes::TimestampMicrosecondType>(
        array,
        column,
        TIMESTAMP,
        |v| {
            arrow::compute::kernels::cast_utils::string_to_datetime(&chrono::Utc, v)
                .ok()
                .map(|t| t.timestamp_micros())
        },
    )?;
    Ok(instants.map_or_else(
        || array.clone(),
        |a| Arc::new(a.with_timezone("+00:00")) as ArrayRef,
    ))
}

fn lists_from_json(
    array: &ArrayRef,
    column: &Column<'_>,
    ints: bool,
) -> Result<ArrayRef, DataError> {
    let Some(text) = array.as_string_opt::<i32>() else {
        return Ok(array.clone());
    };
    let help = if ints {
        "in CSV, write a list<int> cell as a JSON array: [1, 2]"
    } else {
        "in CSV, write a list<string> cell as a JSON array: [\"yoga\", \"travel\"]"
    };
    let bad = |row: usize, v: &str| column.not_a(row, v, "a list", Some(help));
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

/// The column of a batch holding `field`, if present.
pub fn column_of<'b>(batch: &'b RecordBatch, name: &str) -> Option<&'b ArrayRef> {
    batch.schema().index_of(name).ok().map(|i| batch.column(i))
}

/// True when `array` is non-empty and entirely null (for summaries).
pub fn all_null(array: &dyn Array) -> bool {
    array.null_count() == array.len()
}

/// How [`open_query`] reads a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOptions {
    /// Rows per batch.
    pub batch_rows: usize,
    /// Skip Parquet row groups and pages whose statistics prove they hold no
    /// member of a reported segment.
    pub prune: bool,
    /// Every profile must come out of the run (results are written per
    /// profile): skipped row groups are still read for their keys, and
    /// without a key nothing is skipped.
    pub every_profile: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            batch_rows: 65_536,
            prune: true,
            every_profile: false,
        }
    }
}

/// Opens a data file for `query`: only the columns it reads (plus the key),
/// typed from the rules' schema for text formats, and, for Parquet, pruned
/// by statistics as `options` allow.
pub fn open_query(
    query: &crate::Query,
    path: &Path,
    format: DataFormat,
    options: &OpenOptions,
) -> Result<Input, DataError> {
    open_query_with(query, path, format, options, &[])
}

/// [`open_query`] also loading the fields `extra`, which the rules need not
/// read (the columns an [`Export`](crate::Export) writes, or those a
/// preview shows, [`SampleSink::fields`](crate::sample::SampleSink::fields)).
pub fn open_query_with(
    query: &crate::Query,
    path: &Path,
    format: DataFormat,
    options: &OpenOptions,
    extra: &[FieldId],
) -> Result<Input, DataError> {
    let key = query.key_name();
    let prunable =
        format == DataFormat::Parquet && options.prune && (!options.every_profile || key.is_some());
    let pruner = prunable.then(|| query.pruner());
    let pruning = pruner.as_ref().map(|pruner| Pruning {
        pruner,
        keep_key: if options.every_profile { key } else { None },
    });
    let mut fields = query.required_fields();
    for field in extra {
        if !fields.contains(field) {
            fields.push(*field);
        }
    }
    open(
        path,
        format,
        query.program(),
        &fields,
        options.batch_rows,
        pruning,
    )
}
