//! Running a prepared [`Query`] on Apache DataFusion (feature `datafusion`):
//! the program as seg-sql's DataFusion SQL, planned into one DataFusion
//! `Expr` per segment and one `CASE` per priority group
//! ([`seg_datafusion::exprs`]), executed over Parquet files with
//! DataFusion's own multi-threaded scan and statistics pruning. The sizes and
//! per-profile results are those [`crate::run`] gives with the JIT.
//!
//! ```no_run
//! fn print_profiles(query: &seg::Query) -> Result<(), Box<dyn std::error::Error>> {
//!     let source = seg::datafusion::open("profiles/*.parquet".as_ref(), 4)?;
//!     let report = seg::datafusion::run(query, &source, false, &mut seg::Discard, &seg::Silent)?;
//!     println!("{} profiles", report.sizes.profiles);
//!     Ok(())
//! }
//! ```

use crate::error::one_line;
use crate::{Error, Membership, Progress, Query, RunError, RunReport, Sink, Sizes};
use arrow::array::{Array, ArrayRef, BooleanArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use seg_datafusion::datafusion::error::DataFusionError;
use seg_datafusion::datafusion::prelude::SessionConfig;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub use seg_datafusion::{Exprs, Table, config, exprs};

/// Parquet data opened as a DataFusion listing table.
pub struct Source {
    table: Table,
    data: String,
    threads: usize,
}

/// Opens one Parquet file, a directory of Parquet files or a glob
/// (`dir/*.parquet`) to scan on `threads` partitions. Data that cannot be
/// listed or whose schema cannot be read is E0403.
pub fn open(data: &Path, threads: usize) -> Result<Source, Error> {
    open_with(data, config(threads), threads)
}

/// Like [`open`] with a DataFusion session configuration of one's own
/// (start from [`config`]; `.with_batch_size(rows)` sets the batch size).
pub fn open_with(data: &Path, config: SessionConfig, threads: usize) -> Result<Source, Error> {
    let text = data.to_string_lossy().into_owned();
    let threads = threads.max(1);
    let table = Table::open_with(&text, config, threads).map_err(|e| unreadable(&text, &e))?;
    Ok(Source {
        table,
        data: text,
        threads,
    })
}

impl Source {
    /// The table's Arrow schema, with DataFusion's view types (`Utf8View`,
    /// `BinaryView`) given as the plain types Seg's own readers give, so
    /// that bindings and results files are the same as with the JIT.
    pub fn schema(&self) -> SchemaRef {
        let schema = self.table.schema();
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_data_type(plain(f.data_type())))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The DataFusion table, for queries of one's own.
    pub fn table(&self) -> &Table {
        &self.table
    }
}

/// The type Seg's own readers give for a DataFusion column type.
fn plain(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        other => other.clone(),
    }
}

/// E0403 for data DataFusion cannot read.
fn unreadable(data: &str, error: &DataFusionError) -> Error {
    Error::new(
        "E0403",
        format!(
            "cannot read `{data}` with DataFusion: {}",
            one_line(&error.to_string())
        ),
        Some(
            "`--engine datafusion` reads Parquet: a file, a directory of .parquet files or a glob"
                .into(),
        ),
    )
}

/// A UInt64 column serving an `int` field reads a value past `i64::MAX` as
/// missing (docs/semantics.md, "Data binding"); DataFusion would compare the
/// unsigned value itself, so such a column is refused here rather than
/// given another meaning.
fn refuse_wide_ints(
    query: &Query,
    binding: &seg_eval::Binding,
    schema: &SchemaRef,
) -> Result<(), RunError> {
    let program = query.executed();
    let refused: Vec<seg_diagnostics::Diagnostic> = program
        .schema
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, field)| {
            let id = seg_ir::FieldId(u32::try_from(i).ok()?);
            let column = schema.fields().get(binding.column(id)?)?;
            (field.ty == seg_ir::Type::Int
                && *column.data_type() == DataType::UInt64)
                .then(|| {
                    seg_diagnostics::Diagnostic::new(
                        seg_diagnostics::Code::E0402,
                        field.span,
                        format!(
                            "column `{}` is UInt64, which `--engine datafusion` cannot read as an `int`",
                            field.name
                        ),
                    )
                    .with_label("declared `int` here")
                    .with_help("run with `--engine jit` (a value past 9,223,372,036,854,775,807 is missing there), or declare the field `float`")
                })
        })
        .collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(RunError::Program(refused))
    }
}

/// Runs `query` over `source` on DataFusion and hands each batch of results
/// to `sink`: a batch holding only the key column (when the schema declares
/// one) and the membership of its profiles. With `every_profile` false only
/// profiles in some segment reach the sink, so DataFusion may skip row groups
/// and pages whose statistics prove none is; they are counted as profiles in
/// no segment. Batches come in no particular order.
///
/// The query is bound to the table's schema first, so a missing or unfit
/// column is the same located E0401/E0402 as with the JIT; a construct
/// DataFusion cannot express exactly is seg-sql's located E0501/E0502.
pub fn run(
    query: &Query,
    source: &Source,
    every_profile: bool,
    sink: &mut dyn Sink,
    progress: &dyn Progress,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let schema = source.schema();
    let binding = query.bind(&schema).map_err(RunError::Program)?;
    refuse_wide_ints(query, binding.columns(), &schema)?;
    let compiled = query
        .sql(seg_sql::Dialect::DataFusion)
        .map_err(RunError::Program)?;
    let data_error = |e: DataFusionError| RunError::Data(unreadable(&source.data, &e));
    let total = source.table.count().map_err(data_error)?;
    progress.start(Some(total));

    let key = query.key_name().filter(|k| schema.index_of(k).is_ok());
    let key_field = key.and_then(|k| schema.field_with_name(k).ok()).cloned();
    let groups = priority_positions(query);
    let mut sizes = Sizes::new(query);
    let mut failure: Option<RunError> = None;
    let mut each = |batch: RecordBatch| -> Result<(), DataFusionError> {
        let result =
            results(query, &groups, key_field.as_ref(), &batch).and_then(|(keys, membership)| {
                sizes.add(batch.num_rows(), &membership);
                sink.write(&keys, &membership)?;
                progress.advance(batch.num_rows() as u64);
                Ok(())
            });
        result.map_err(|e| {
            let stop = DataFusionError::Execution(e.to_string());
            failure = Some(e);
            stop
        })
    };
    let ran = source.table.run(&compiled, key, every_profile, &mut each);
    if let Some(failure) = failure {
        return Err(failure);
    }
    ran.map_err(data_error)?;
    // Rows never returned are in no segment (the filter left them out).
    let seen = sizes.profiles;
    sizes.add_unread(total.saturating_sub(seen));
    progress.advance(total.saturating_sub(seen));
    progress.finish();
    Ok(RunReport {
        sizes,
        pruning: None,
        engine: "datafusion",
        threads: source.threads,
        elapsed: started.elapsed(),
    })
}

/// Per selected priority group, the position of each segment name in the
/// group's list: the `CASE` gives names, [`Membership`] positions.
fn priority_positions(query: &Query) -> Vec<HashMap<String, u32>> {
    query
        .selection()
        .priorities()
        .iter()
        .map(|&p| {
            query
                .program()
                .priorities
                .get(p)
                .map(|group| {
                    group
                        .segments
                        .iter()
                        .enumerate()
                        .map(|(i, &id)| (query.segment_name(id).to_string(), i as u32))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// One DataFusion result batch (key, segments, groups) as the batch a
/// [`Sink`] takes (only the key, in the plain type) and its [`Membership`].
fn results(
    query: &Query,
    groups: &[HashMap<String, u32>],
    key: Option<&Field>,
    batch: &RecordBatch,
) -> Result<(RecordBatch, Membership), RunError> {
    let internal = |what: String| {
        RunError::Data(Error::new(
            "E0403",
            format!("DataFusion returned {what}"),
            Some("this is a bug in Seg's DataFusion back end; please report it".into()),
        ))
    };
    let cast = |array: &ArrayRef, to: &DataType| {
        arrow::compute::cast(array, to)
            .map_err(|e| internal(format!("a column of another type: {e}")))
    };
    let rows = batch.num_rows();
    let mut columns = batch.columns().iter();
    let keys = match key {
        Some(field) => {
            let column = columns
                .next()
                .ok_or_else(|| internal("no key column".into()))?;
            let column = cast(column, field.data_type())?;
            RecordBatch::try_new(Arc::new(Schema::new(vec![field.clone()])), vec![column])
        }
        None => RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            Vec::new(),
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        ),
    }
    .map_err(|e| internal(format!("an unusable key column: {e}")))?;
    let mut segments = Vec::new();
    for _ in query.selection().segments() {
        let column = columns
            .next()
            .ok_or_else(|| internal("too few segment columns".into()))?;
        let member = column
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| internal(format!("a {} segment column", column.data_type())))?;
        // seg-sql's conditions are never NULL; a NULL would be a segment
        // whose meaning differs from Seg's, so it stops the run.
        if member.null_count() > 0 {
            return Err(internal("NULL for a segment's membership".into()));
        }
        segments.push(member.clone());
    }
    let mut priorities = Vec::new();
    for positions in groups {
        let column = columns
            .next()
            .ok_or_else(|| internal("too few priority columns".into()))?;
        let names = cast(column, &DataType::Utf8)?;
        let names = names
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .ok_or_else(|| internal("a priority column that is not text".into()))?;
        let choices = names
            .iter()
            .map(|name| match name {
                None => Ok(None),
                Some(name) => positions
                    .get(name)
                    .map(|&i| Some(i))
                    .ok_or_else(|| internal(format!("the unknown segment `{name}` in a group"))),
            })
            .collect::<Result<UInt32Array, RunError>>()?;
        priorities.push(choices);
    }
    Ok((
        keys,
        Membership {
            segments,
            priorities,
        },
    ))
}
