//! Snapshots of the Cranelift IR of small fixture programs, so that changes
//! to code generation show up in review. The text is deterministic for a
//! given program and schema (it names the host's calling convention, so the
//! snapshots are taken on x86-64 Linux).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::datatypes::Int32Type;
use std::sync::Arc;

fn clif(source: &str, columns: Vec<(&str, ArrayRef)>) -> String {
    let program = common::program(source);
    let batch = common::batch(columns);
    let jit = common::agree_at(&program, &batch, common::AS_OF);
    assert!(jit.fallbacks().is_empty(), "{:?}", jit.fallbacks());
    jit.clif().to_string()
}

#[test]
fn an_int_comparison() {
    insta::assert_snapshot!(clif(
        "schema { age: int }\nsegment adults { where age >= 18 }\n",
        vec![(
            "age",
            Arc::new(Int32Array::from(vec![Some(17), None, Some(40)])) as ArrayRef
        )],
    ));
}

#[test]
fn kleene_logic_over_a_float_and_a_bool_with_a_segment_reference() {
    insta::assert_snapshot!(clif(
        "schema { score: float  opt_in: bool }\n\
         segment high { where score > 2.5 or opt_in }\n\
         segment quiet { where high and not opt_in exclude score is missing }\n",
        vec![
            (
                "score",
                Arc::new(Float64Array::from(vec![Some(1.0), Some(f64::NAN), None])) as ArrayRef
            ),
            (
                "opt_in",
                Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]))
            ),
        ],
    ));
}

#[test]
fn a_dictionary_string_and_a_decimal() {
    let tiers: DictionaryArray<Int32Type> = vec!["gold", "silver", "gold"].into_iter().collect();
    insta::assert_snapshot!(clif(
        "schema { tier: string  ltv: decimal }\n\
         segment vip { where tier in [\"gold\", \"platinum\"] and ltv >= 1000.50 }\n",
        vec![
            ("tier", Arc::new(tiers) as ArrayRef),
            (
                "ltv",
                Arc::new(
                    Decimal128Array::from(vec![Some(100_000), None, Some(200_000)])
                        .with_precision_and_scale(20, 2)
                        .unwrap(),
                ),
            ),
        ],
    ));
}
