//! Helpers shared by the evaluator's tests: compile a program from text, build
//! batches, and read three-valued results.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::BooleanArray;
use arrow::record_batch::RecordBatch;

pub use seg_testkit::{AS_OF, batch, program};

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
