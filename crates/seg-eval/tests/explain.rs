//! Explanations of one profile's verdict (`Evaluator::explain`): every
//! node's three-valued value, the deciding clause, aggregates' values,
//! referenced segments, `exclude`, and agreement with `evaluate` on every
//! row.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{ArrayRef, Int64Array, Int64Builder, ListBuilder, StringArray, StructBuilder};
use arrow::datatypes::{DataType, Field};
use arrow::record_batch::RecordBatch;
use common::{AS_OF, batch, program};
use seg_eval::{Evaluator, Explanation, NodeKind};
use seg_ir::{Const, Program, SegmentId};
use std::sync::Arc;

const SOURCE: &str = r#"schema {
  id: int key
  country: string
  age: int
  tier: string
  orders: list<{ amount: int }>
}
segment adults { where age >= 18 }
segment us_adults { where adults and country == "US" and tier in ["gold", "silver"] }
segment not_fr { where not (country == "FR") }
segment either { where country == "US" or age > 60 }
segment buyers { where count(orders) >= 2 and sum(orders.amount) > 100 }
segment kept { where adults exclude tier == "banned" }
"#;

/// Orders of each profile (amounts), `None` for a missing history.
fn histories(rows: &[Option<&[i64]>]) -> ArrayRef {
    let fields = vec![Field::new("amount", DataType::Int64, true)];
    let mut list = ListBuilder::new(StructBuilder::from_fields(fields, 0));
    for row in rows {
        match row {
            Some(amounts) => {
                for &a in *amounts {
                    list.values()
                        .field_builder::<Int64Builder>(0)
                        .unwrap()
                        .append_value(a);
                    list.values().append(true);
                }
                list.append(true);
            }
            None => list.append(false),
        }
    }
    Arc::new(list.finish())
}

/// Five profiles: a US gold adult with two orders; a French minor; a
/// profile with no country, age or tier; an old banned US profile; a US
/// adult whose tier is missing.
fn profiles() -> RecordBatch {
    batch(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])) as ArrayRef,
        ),
        (
            "country",
            Arc::new(StringArray::from(vec![
                Some("US"),
                Some("FR"),
                None,
                Some("US"),
                Some("US"),
            ])),
        ),
        (
            "age",
            Arc::new(Int64Array::from(vec![
                Some(30),
                Some(15),
                None,
                Some(70),
                Some(40),
            ])),
        ),
        (
            "tier",
            Arc::new(StringArray::from(vec![
                Some("gold"),
                Some("bronze"),
                None,
                Some("banned"),
                None,
            ])),
        ),
        (
            "orders",
            histories(&[Some(&[80, 50]), Some(&[10]), None, Some(&[]), Some(&[500])]),
        ),
    ])
}

fn id(program: &Program, name: &str) -> SegmentId {
    SegmentId(
        program
            .segments
            .iter()
            .position(|s| s.name == name)
            .unwrap() as u32,
    )
}

fn explain(name: &str, row: usize) -> Explanation {
    let program = program(SOURCE);
    let evaluator = Evaluator::new(&program, &[], AS_OF);
    let batch = profiles();
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    evaluator
        .explain(&binding, &batch, row, id(&program, name))
        .unwrap()
}

#[test]
fn and_shows_each_operand_and_the_first_false_decides() {
    // The French minor: `adults` is false, so is the `and`.
    let why = explain("us_adults", 1);
    assert!(!why.member);
    let root = &why.where_;
    assert_eq!(root.kind, NodeKind::And);
    assert_eq!(root.truth, Some(false));
    let values: Vec<Option<bool>> = root.children.iter().map(|c| c.truth).collect();
    assert_eq!(values, [Some(false), Some(false), Some(false)]);
    let deciding = why.deciding();
    assert_eq!(deciding.text, "adults");
    assert!(matches!(deciding.kind, NodeKind::Segment(_)));
    // Texts are the source's, rendered from the checked program.
    assert_eq!(root.children[2].text, r#"tier in ["gold", "silver"]"#);
}

#[test]
fn unknown_comes_from_missing_values_and_decides_when_nothing_is_false() {
    // The US adult without a tier: `tier in [..]` is unknown.
    let why = explain("us_adults", 4);
    assert!(!why.member);
    assert_eq!(why.where_.truth, None);
    let values: Vec<Option<bool>> = why.where_.children.iter().map(|c| c.truth).collect();
    assert_eq!(values, [Some(true), Some(true), None]);
    assert_eq!(why.deciding().text, r#"tier in ["gold", "silver"]"#);
    // The profile without an age is not an adult: a reference is never unknown.
    let why = explain("us_adults", 2);
    assert_eq!(why.where_.children[0].truth, Some(false));
    assert_eq!(why.where_.children[1].truth, None);
    assert_eq!(why.deciding().text, "adults");
}

#[test]
fn a_true_and_is_decided_by_all_of_its_operands() {
    let why = explain("us_adults", 0);
    assert!(why.member);
    assert_eq!(why.where_.truth, Some(true));
    assert!(why.where_.children.iter().all(|c| c.decides));
    assert_eq!(why.deciding().text, why.where_.text);
}

#[test]
fn not_and_or() {
    let why = explain("not_fr", 1);
    assert_eq!(why.where_.kind, NodeKind::Not);
    assert_eq!(why.where_.truth, Some(false));
    assert_eq!(why.where_.children[0].truth, Some(true));
    assert_eq!(why.deciding().text, r#"country == "FR""#);
    // Unknown under `not` stays unknown.
    assert_eq!(explain("not_fr", 2).where_.truth, None);
    // `or`: the first true decides.
    let why = explain("either", 3);
    assert_eq!(why.where_.truth, Some(true));
    assert_eq!(why.deciding().text, r#"country == "US""#);
    // The first unknown, when nothing is true.
    let why = explain("either", 2);
    assert_eq!(why.where_.truth, None);
    assert_eq!(why.deciding().text, r#"country == "US""#);
    // A false `or` takes every operand.
    let why = explain("either", 1);
    assert_eq!(why.where_.truth, Some(false));
    assert_eq!(why.deciding().text, why.where_.text);
}

#[test]
fn aggregates_show_their_values() {
    let why = explain("buyers", 0);
    assert!(why.member);
    let count = &why.where_.children[0];
    assert_eq!(
        count.aggregates,
        [("count(orders)".to_string(), Some(Const::Int(2)))]
    );
    let sum = &why.where_.children[1];
    assert_eq!(
        sum.aggregates,
        [("sum(orders.amount)".to_string(), Some(Const::Int(130)))]
    );
    // Over no records `sum` is missing and `count` is 0.
    let why = explain("buyers", 3);
    assert_eq!(why.where_.children[0].aggregates[0].1, Some(Const::Int(0)));
    assert_eq!(why.where_.children[1].aggregates[0].1, None);
    assert_eq!(why.deciding().text, "count(orders) >= 2");
}

#[test]
fn exclude_removes_and_decides() {
    let why = explain("kept", 3);
    assert!(!why.member);
    assert!(why.excluded());
    assert_eq!(why.where_.truth, Some(true));
    assert_eq!(why.deciding().text, r#"tier == "banned""#);
    // An unknown `exclude` removes no one.
    let why = explain("kept", 4);
    assert!(why.member);
    assert!(!why.excluded());
    assert_eq!(why.exclude.as_ref().unwrap().truth, None);
}

#[test]
fn explanations_agree_with_evaluate_on_every_row_and_segment() {
    let program = program(SOURCE);
    let evaluator = Evaluator::new(&program, &[], AS_OF);
    let batch = profiles();
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let result = evaluator.evaluate(&binding, &batch).unwrap();
    for (i, &segment) in evaluator.segments().iter().enumerate() {
        for row in 0..batch.num_rows() {
            let why = evaluator.explain(&binding, &batch, row, segment).unwrap();
            assert_eq!(
                why.member,
                result.segments[i].value(row),
                "segment {} row {row}",
                program.segments[segment.0 as usize].name
            );
        }
    }
}

#[test]
fn a_row_past_the_batch_is_an_error_not_a_panic() {
    let program = program(SOURCE);
    let evaluator = Evaluator::new(&program, &[], AS_OF);
    let batch = profiles();
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    assert!(
        evaluator
            .explain(&binding, &batch, 99, SegmentId(0))
            .is_err()
    );
    assert!(
        evaluator
            .explain(&binding, &batch, 0, SegmentId(99))
            .is_err()
    );
}
