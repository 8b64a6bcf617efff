//! Writing per-profile results: a temporary file beside the target, renamed
//! into place only when complete, so a failed run never leaves a
//! half-written file.

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use seg::Error as DataError;
use seg::formats::DataFormat;
use std::fs::File;
use std::path::Path;

/// A results file being written: a temporary file beside the target (the
/// real file when the target is a symbolic link), renamed into place by
/// [`Output::finish`]. Dropping it unfinished deletes it; an interrupted run
/// deletes it too (see [`crate::files::remove_temporaries_on_signals`]).
pub struct Output {
    /// The path the user named, for messages.
    target: std::path::PathBuf,
    /// The file replaced: `target`, or the file it links to.
    real: std::path::PathBuf,
    temp: tempfile::NamedTempFile,
    _registered: crate::files::Registered,
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
        let real = crate::files::write_target(target);
        let (temp, registered) = crate::files::temporary_beside(&real, ".seg-run-").map_err(io)?;
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
            real,
            temp,
            _registered: registered,
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

    /// Completes the file and renames it into place, with the permissions
    /// of the file it replaces (a new file: `0666` less the umask).
    pub fn finish(self) -> Result<(), DataError> {
        let Output {
            target,
            real,
            temp,
            _registered,
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
        crate::files::replace_with(temp, &real).map_err(|e| error(seg::io_reason(&e)))?;
        Ok(())
    }
}

/// `seg run --out`: each batch's results written as they come.
pub struct ResultsSink<'q> {
    /// The query whose results are written.
    pub query: &'q seg::Query,
    /// The file being written.
    pub output: Output,
}

impl seg::Sink for ResultsSink<'_> {
    fn write(
        &mut self,
        batch: &RecordBatch,
        membership: &seg::Membership,
    ) -> Result<(), DataError> {
        let results = self.query.result_batch(batch, membership)?;
        self.output.write(&results)
    }
}

/// `seg run --members`: each batch's exported rows (one segment's members,
/// or a priority group's assigned profiles) written as they come.
pub struct MembersSink<'q> {
    /// The query run.
    pub query: &'q seg::Query,
    /// Which rows and columns are written.
    pub export: &'q seg::Export,
    /// The file being written.
    pub output: Output,
}

impl seg::Sink for MembersSink<'_> {
    fn write(
        &mut self,
        batch: &RecordBatch,
        membership: &seg::Membership,
    ) -> Result<(), DataError> {
        match self.export.batch(self.query, batch, membership)? {
            Some(rows) => self.output.write(&rows),
            None => Ok(()),
        }
    }
}
