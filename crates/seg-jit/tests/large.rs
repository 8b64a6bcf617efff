//! Programs of more segments than one kernel function holds: the kernel is
//! split into several functions run in evaluation order, and must agree with
//! the reference evaluator wherever the splits fall.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::record_batch::RecordBatch;
use seg_jit::{DEFAULT_SEGMENTS_PER_FUNCTION, JitOptions};
use std::sync::Arc;

/// 200 rows (three full words and a partial one), some values missing.
fn batch() -> RecordBatch {
    let x: Vec<Option<i64>> = (0..200)
        .map(|i| (i % 7 != 3).then_some((i * 37) % 101))
        .collect();
    let s: Vec<Option<&str>> = (0..200)
        .map(|i| match i % 5 {
            0 => None,
            1 => Some("gold"),
            2 => Some("silver"),
            _ => Some("bronze"),
        })
        .collect();
    let f: Vec<Option<f64>> = (0..200)
        .map(|i| (i % 11 != 0).then_some(f64::from(i) / 3.0))
        .collect();
    common::batch(vec![
        ("x", Arc::new(Int64Array::from(x)) as ArrayRef),
        ("s", Arc::new(StringArray::from(s))),
        ("f", Arc::new(Float64Array::from(f))),
    ])
}

/// Segments that refer to earlier ones near and far (so across any split),
/// with `exclude`, short-circuiting `and`/`or`, fallbacks to string helpers,
/// and priority groups whose members lie in different functions.
fn source() -> String {
    let mut source = String::from("schema {\n  x: int\n  s: string\n  f: float\n}\n");
    for k in 0..24 {
        let cond = match k % 4 {
            0 => format!("x > {}", k * 4),
            1 => format!("s == \"gold\" or f < {}.5", k),
            2 => format!("x between {} and {} and s is present", k, k + 40),
            _ => format!("not (f > {}) or x % 3 == 0", k * 2),
        };
        let refs = match k {
            0 => String::new(),
            1..=4 => format!(" or s{}", k - 1),
            _ => format!(" or (s{} and not s{})", k - 5, k - 1),
        };
        let exclude = if k % 3 == 2 {
            format!("  exclude s{}\n", k / 2)
        } else {
            String::new()
        };
        source.push_str(&format!(
            "segment s{k} {{\n  where ({cond}){refs}\n{exclude}}}\n"
        ));
    }
    source.push_str("priority tier {\n  s23\n  s2\n  s11\n  s0\n  s17\n}\n");
    source.push_str("priority other {\n  s5\n  s6\n}\n");
    source
}

#[test]
fn split_kernels_agree_with_the_evaluator_wherever_the_splits_fall() {
    let program = common::program(&source());
    let batch = batch();
    for per_function in [1, 2, 3, 5, 7, 23, 24, 25] {
        let options = JitOptions {
            segments_per_function: per_function,
            ..common::options()
        };
        let jit = common::agree_with(&program, &batch, common::AS_OF, &options);
        let functions = jit.clif().matches("\nfunction ").count() + 1;
        assert_eq!(functions, 24usize.div_ceil(per_function), "{per_function}");
    }
}

#[test]
fn a_large_program_is_split_into_several_functions() {
    let mut source = String::from("schema {\n  x: int\n}\n");
    for k in 0..300 {
        source.push_str(&format!("segment s{k} {{ where x > {k} }}\n"));
    }
    let program = common::program(&source);
    let batch = common::batch(vec![(
        "x",
        Arc::new(Int64Array::from(
            (0..130).map(|i| i * 3).collect::<Vec<i64>>(),
        )) as ArrayRef,
    )]);
    let jit = common::agree_at(&program, &batch, common::AS_OF);
    let functions = jit.clif().matches("function ").count();
    assert_eq!(functions, 300usize.div_ceil(DEFAULT_SEGMENTS_PER_FUNCTION));
    assert!(functions > 1);
}

#[test]
fn a_program_of_no_segments_compiles_to_one_empty_function() {
    let program = common::program("schema {\n  x: int\n}\n");
    let batch = common::batch(vec![(
        "x",
        Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
    )]);
    let jit = common::agree_at(&program, &batch, common::AS_OF);
    assert_eq!(jit.clif().matches("function ").count(), 1);
}
