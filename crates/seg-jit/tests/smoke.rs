//! A first end-to-end check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use arrow::array::*;
use std::sync::Arc;

#[test]
fn numeric_compare_and_logic() {
    let src = r#"schema { age: int  score: float }
segment a { where age >= 30 and score < 2.5 }
segment b { where a or age is missing exclude score > 1.0 }
segment c { where not (age between 10 and 40) }
priority p { a b c }
"#;
    let ages: Vec<Option<i64>> = (0..200)
        .map(|i| if i % 7 == 0 { None } else { Some(i % 60) })
        .collect();
    let scores: Vec<Option<f64>> = (0..200)
        .map(|i| {
            if i % 11 == 0 {
                None
            } else if i % 13 == 0 {
                Some(f64::NAN)
            } else {
                Some((i % 5) as f64 * 0.75)
            }
        })
        .collect();
    let b = common::batch(vec![
        ("age", Arc::new(Int64Array::from(ages)) as ArrayRef),
        ("score", Arc::new(Float64Array::from(scores))),
    ]);
    let jit = common::agree(src, &b);
    assert!(jit.fallbacks().is_empty());
}

#[test]
fn compiled_programs_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<seg_jit::JitProgram>();
}
