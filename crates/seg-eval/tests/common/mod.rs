//! Helpers shared by the evaluator's tests: compile a program from text, build
//! batches, and read three-valued results.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::{ArrayRef, BooleanArray};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use seg_ir::Program;
use std::sync::Arc;

/// 2026-11-24T00:00:00Z.
pub const AS_OF: i64 = 1_795_478_400_000_000;

struct NoFiles;
impl seg_check::SourceLoader for NoFiles {
    fn load(
        &self,
        path: &std::path::Path,
    ) -> Result<(std::path::PathBuf, String), seg_check::LoadError> {
        Err(seg_check::LoadError::Io(format!(
            "no file {}",
            path.display()
        )))
    }
}

/// Checks a program; panics with the diagnostics when it does not check.
pub fn program(source: &str) -> Program {
    let checked = seg_check::check_source(std::path::Path::new("test.seg"), source, &NoFiles);
    match checked.program {
        Some(p) if !checked.has_errors() => p,
        _ => panic!(
            "program does not check: {:#?}\n{source}",
            checked.diagnostics
        ),
    }
}

/// A batch from named columns.
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

/// Memberships of every segment of `source` over `batch`.
pub fn run(source: &str, batch: &RecordBatch, as_of: i64) -> Vec<BooleanArray> {
    let program = program(source);
    let evaluator = seg_eval::Evaluator::new(&program, &[], as_of);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    evaluator.evaluate(&binding, batch).unwrap().segments
}

/// The three-valued result of a condition, row by row: `Some(true)`,
/// `Some(false)` or `None` (unknown), observed through membership of `where E`
/// and `where not (E)`.
pub fn truth(schema: &str, condition: &str, batch: &RecordBatch) -> Vec<Option<bool>> {
    let source = format!(
        "{schema}\nsegment yes {{ where {condition} }}\nsegment no {{ where not ({condition}) }}\n"
    );
    let result = run(&source, batch, AS_OF);
    (0..batch.num_rows())
        .map(|i| match (result[0].value(i), result[1].value(i)) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
            (true, true) => panic!("`{condition}` both true and false at row {i}"),
        })
        .collect()
}
