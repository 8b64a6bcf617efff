//! Where a run's profiles come from: any stream of Arrow record batches.

use crate::Error;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchReader};

/// An open input: its schema (after projection and conversion), its row count
/// when known, and its batches. [`Input::from_reader`] wraps any Arrow
/// [`RecordBatchReader`]; `seg::formats::open` (feature `formats`) reads
/// Parquet (with statistics pruning), CSV, JSON lines and Arrow IPC files.
pub struct Input {
    /// The schema of the batches: every batch has exactly these columns, in
    /// this order (checked by name as each batch is read).
    pub schema: SchemaRef,
    /// Every column of the source, loaded or not (for "did you mean" help).
    pub columns: Vec<String>,
    /// Total rows, when the source says so up front.
    pub total_rows: Option<u64>,
    /// The batches, in order.
    pub batches: Box<dyn Iterator<Item = Result<InputBatch, Error>> + Send>,
    /// What statistics-based pruning skipped (Parquet only).
    pub pruning: Option<PruneReport>,
    /// Profiles statistics proved to be in no segment that are never read
    /// (neither evaluated nor yielded as skipped batches): a run counts them
    /// as profiles in no segment.
    pub unread_rows: u64,
    /// For Parquet: the rows each row group yields, in the order they are
    /// read, so that a run can tell its [`Progress`](crate::Progress) how
    /// many row groups are done. `None` when that is not exact (page-level
    /// selection reads part of a group) or the format has no row groups.
    pub row_groups: Option<Vec<u64>>,
}

impl Input {
    /// Every batch of an Arrow reader, unpruned. A reader error stops the run
    /// with E0403.
    pub fn from_reader(reader: impl RecordBatchReader + Send + 'static) -> Input {
        let schema = reader.schema();
        let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        let batches = reader.map(|batch| {
            batch.map(InputBatch::evaluated).map_err(|e| {
                Error::new(
                    "E0403",
                    format!(
                        "cannot read a batch: {}",
                        crate::error::one_line(&e.to_string())
                    ),
                    None,
                )
            })
        });
        Input::unpruned(schema, columns, None, Box::new(batches))
    }

    /// An input whose rows are all read.
    pub fn unpruned(
        schema: SchemaRef,
        columns: Vec<String>,
        total_rows: Option<u64>,
        batches: Box<dyn Iterator<Item = Result<InputBatch, Error>> + Send>,
    ) -> Input {
        Input {
            schema,
            columns,
            total_rows,
            batches,
            pruning: None,
            unread_rows: 0,
            row_groups: None,
        }
    }

    /// Batches held in memory, all of `schema`.
    pub fn from_batches(schema: SchemaRef, batches: Vec<RecordBatch>) -> Input {
        let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        let total_rows = Some(batches.iter().map(|b| b.num_rows() as u64).sum());
        let batches = batches.into_iter().map(|b| Ok(InputBatch::evaluated(b)));
        Input::unpruned(schema, columns, total_rows, Box::new(batches))
    }
}

/// One batch of input.
pub struct InputBatch {
    /// The rows (for `skipped` batches, only the key column).
    pub batch: RecordBatch,
    /// True when statistics proved no row here is in any reported segment:
    /// the batch is read only to write the key of each profile to the output.
    pub skipped: bool,
}

impl InputBatch {
    /// A batch to evaluate.
    pub fn evaluated(batch: RecordBatch) -> Self {
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
