//! `matches` patterns compile once per evaluator, not once per batch, and
//! their memory is given back with the evaluator. A test binary of its own:
//! the count of live pattern bytes is global to the process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::{ArrayRef, StringArray};
use seg_ir::pattern;
use std::sync::Arc;

#[test]
fn patterns_live_as_long_as_their_evaluator() {
    let program = seg_testkit::program(
        "schema {\n  s: string\n}\nsegment a {\n  where s matches \"^\\\\w+@example\\\\.com$\"\n}\n",
    );
    let batch = seg_testkit::batch(vec![(
        "s",
        Arc::new(StringArray::from(vec![
            Some("ana@example.com"),
            Some("x"),
            None,
        ])) as ArrayRef,
    )]);
    assert_eq!(pattern::live_bytes(), 0);
    let evaluator = seg_eval::Evaluator::new(&program, &[], 0);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let first = evaluator.evaluate(&binding, &batch).unwrap();
    let live = pattern::live_bytes();
    assert!(live > 0, "the evaluator keeps its compiled pattern");
    let second = evaluator.evaluate(&binding, &batch).unwrap();
    assert_eq!(pattern::live_bytes(), live, "compiled once, not per batch");
    assert_eq!(first.segments, second.segments);
    assert_eq!(
        first.segments[0],
        arrow::array::BooleanArray::from(vec![true, false, false])
    );
    drop(evaluator);
    assert_eq!(pattern::live_bytes(), 0);
}
