//! The DataFusion expressions select exactly the evaluator's profiles, for
//! the generated programs and adversarial table every engine's differential
//! test shares (`seg_testkit::corpus`).
//!
//! Each program's segments are compiled for the DataFusion dialect (one by
//! one, to leave out the few it refuses with E0502), planned with
//! [`seg_datafusion::exprs`] against the table's schema, and executed with
//! `DataFrame::select` over the table written as Parquet, in a session whose
//! time zone is not UTC. Every segment column must equal the evaluator's
//! membership and the priority column its choice, row for row. Half the
//! programs are lowered as checked, half after the optimizer.
//!
//! `SEG_DATAFUSION_PROGRAMS=N` changes the number of programs (100) and
//! `SEG_DATAFUSION_SEED=S` the generator's seed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::*;
use arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNode;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use seg_ir::{Program, SegmentId, Selection};
use seg_sql::Dialect;
use seg_testkit::corpus::{ROWS, program_text, table, write_parquet};
use seg_testkit::{AS_OF, Rng};
use std::collections::HashMap;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Per segment name, the evaluator's membership of each row; per priority
/// group name, the chosen segment's name.
struct Expected {
    segments: HashMap<String, Vec<bool>>,
    priorities: HashMap<String, Vec<Option<String>>>,
}

fn evaluate(program: &Program, batch: &RecordBatch) -> Expected {
    let evaluator = seg_eval::Evaluator::new(program, &[], AS_OF);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let membership = evaluator.evaluate(&binding, batch).unwrap();
    let mut segments = HashMap::new();
    for (id, array) in evaluator.segments().iter().zip(&membership.segments) {
        let name = program.segments[id.0 as usize].name.clone();
        segments.insert(name, (0..array.len()).map(|r| array.value(r)).collect());
    }
    let mut priorities = HashMap::new();
    for (&p, choices) in evaluator.priorities().iter().zip(&membership.priorities) {
        let group = &program.priorities[p];
        let names = (0..choices.len())
            .map(|r| {
                choices.is_valid(r).then(|| {
                    let id = group.segments[choices.value(r) as usize];
                    program.segments[id.0 as usize].name.clone()
                })
            })
            .collect();
        priorities.insert(group.name.clone(), names);
    }
    Expected {
        segments,
        priorities,
    }
}

/// The program compiled for DataFusion with every segment it accepts, and
/// the priority group when all its segments are accepted.
fn compile(program: &Program, lowered: &Program) -> (seg_sql::Compiled, usize) {
    let params = seg_ir::param_values(lowered, &[]);
    let mut accepted = Vec::new();
    // The checked program's segments: the optimizer's hidden shared
    // segments come after them and are not reported.
    for k in 0..program.segments.len() {
        let id = SegmentId(k as u32);
        let one = Selection::new(lowered, vec![id], Vec::new());
        match seg_sql::compile(lowered, &params, AS_OF, &one, Dialect::DataFusion) {
            Ok(_) => accepted.push(id),
            Err(errors) => {
                for e in &errors {
                    assert_eq!(
                        e.code,
                        seg_diagnostics::Code::E0502,
                        "DataFusion refused {} with an unexpected reason: {}",
                        lowered.segments[k].name,
                        e.message
                    );
                }
            }
        }
    }
    let refused = program.segments.len() - accepted.len();
    let group = lowered
        .priorities
        .first()
        .is_some_and(|g| g.segments.iter().all(|id| accepted.contains(id)));
    let selection = Selection::new(lowered, accepted, if group { vec![0] } else { vec![] });
    let compiled =
        seg_sql::compile(lowered, &params, AS_OF, &selection, Dialect::DataFusion).unwrap();
    (compiled, refused)
}

#[test]
fn generated_programs_select_the_evaluators_profiles_on_datafusion() {
    let seed = env("SEG_DATAFUSION_SEED", 0x5e9_5e9);
    let programs = env("SEG_DATAFUSION_PROGRAMS", 100) as usize;
    let mut rng = Rng::new(seed);
    let batch = table(&mut rng);
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("profiles.parquet");
    write_parquet(&batch, &path);
    // A zone far from UTC with a DST-free, non-whole-hour offset: any
    // reading of an instant in the session zone would show.
    let config =
        seg_datafusion::config(2).set_str("datafusion.execution.time_zone", "Asia/Kathmandu");
    let data = seg_datafusion::Table::open_with(path.to_str().unwrap(), config, 2).unwrap();

    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let mut failures = Vec::new();
    let (mut executed, mut refused_total, mut groups) = (0, 0, 0);
    for n in 0..programs {
        let source = program_text(&mut runner);
        let program = seg_testkit::program(&source);
        let expected = evaluate(&program, &batch);
        let lowered = if n % 2 == 1 {
            let options = seg_opt::Options {
                params: Some(seg_ir::param_values(&program, &[])),
                as_of: Some(AS_OF),
                share: true,
            };
            seg_opt::optimize(&program, &options).program
        } else {
            program.clone()
        };
        let (compiled, refused) = compile(&program, &lowered);
        refused_total += refused;
        executed += compiled.segments().len();
        groups += compiled.priorities().len();

        let mut rows: Vec<Option<Vec<serde_like::Value>>> = vec![None; ROWS];
        let names: Vec<String> = compiled
            .segments()
            .iter()
            .chain(compiled.priorities())
            .map(|c| c.name.clone())
            .collect();
        data.run(&compiled, Some("id"), true, &mut |b: RecordBatch| {
            let ids = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
            for r in 0..b.num_rows() {
                let values = b.columns()[1..]
                    .iter()
                    .map(|c| serde_like::Value::of(c, r))
                    .collect();
                rows[ids.value(r) as usize] = Some(values);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("program {n}: DataFusion failed: {e}\n{source}"));

        for (id, row) in rows.iter().enumerate() {
            let row = row
                .as_ref()
                .unwrap_or_else(|| panic!("program {n}: profile {id} missing"));
            for (name, got) in names.iter().zip(row) {
                let want = if let Some(m) = expected.segments.get(name) {
                    serde_like::Value::Bool(m[id])
                } else {
                    serde_like::Value::Text(expected.priorities[name][id].clone())
                };
                if &want != got {
                    failures.push(format!(
                        "program {n}: {name} of profile {id}: evaluator {want:?}, DataFusion {got:?}\n  SQL: {}",
                        compiled.condition(name).unwrap_or("(priority group)")
                    ));
                }
            }
        }
        if !failures.is_empty() {
            panic!(
                "{} differences (seed {seed}); the first ones:\n{}\nprogram {n}:\n{source}",
                failures.len(),
                failures[..failures.len().min(10)].join("\n")
            );
        }
    }
    eprintln!(
        "{programs} programs, seed {seed}: {executed} segments and {groups} priority groups executed on DataFusion, {refused_total} refused"
    );
    if programs >= 100 {
        assert!(executed >= 4_000, "only {executed} segments executed");
        assert!(
            groups >= programs / 2,
            "only {groups} priority groups executed"
        );
    }
}

#[test]
fn exprs_refuse_sql_of_another_dialect() {
    let program = seg_testkit::program("schema {\n  n: int\n}\nsegment a { where n > 1 }\n");
    let params = seg_ir::param_values(&program, &[]);
    let compiled = seg_sql::compile(
        &program,
        &params,
        AS_OF,
        &Selection::all(&program),
        Dialect::DuckDb,
    )
    .unwrap();
    let schema = datafusion::common::DFSchema::try_from(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("n", arrow::datatypes::DataType::Int64, true),
    ]))
    .unwrap();
    let context = datafusion::prelude::SessionContext::new();
    let error = seg_datafusion::exprs(&compiled, &schema, &context.state()).unwrap_err();
    assert!(error.to_string().contains("DuckDB"), "{error}");
}

#[test]
fn a_segment_is_one_expr_of_builtin_functions() {
    let program = seg_testkit::program(
        "schema {\n  n: int\n  s: string\n}\nsegment a { where n > 1 and s matches \"^x\" }\nsegment b { where n < 0 }\npriority p {\n  a\n  b\n}\n",
    );
    let params = seg_ir::param_values(&program, &[]);
    let compiled = seg_sql::compile(
        &program,
        &params,
        AS_OF,
        &Selection::all(&program),
        Dialect::DataFusion,
    )
    .unwrap();
    let schema = datafusion::common::DFSchema::try_from(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("n", arrow::datatypes::DataType::Int64, true),
        arrow::datatypes::Field::new("s", arrow::datatypes::DataType::Utf8View, true),
    ]))
    .unwrap();
    let context = datafusion::prelude::SessionContext::new();
    let exprs = seg_datafusion::exprs(&compiled, &schema, &context.state()).unwrap();
    assert_eq!(exprs.segments.len(), 2);
    assert_eq!(exprs.priorities.len(), 1);
    assert!(matches!(
        exprs.priorities[0].1,
        datafusion::prelude::Expr::Case(_)
    ));
    let aliased = exprs.aliased();
    assert_eq!(aliased.len(), 3);
    assert_eq!(aliased[2].schema_name().to_string(), "p");
    // A default session (no UDFs registered) planned them: only built-in
    // functions appear, so any DataFusion 55 (a Ballista worker) runs them.
    let mut functions = Vec::new();
    for (_, expr) in exprs.segments.iter().chain(&exprs.priorities) {
        expr.apply(|e| {
            if let datafusion::prelude::Expr::ScalarFunction(f) = e {
                functions.push(f.name().to_string());
            }
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        })
        .unwrap();
    }
    for f in &functions {
        assert!(
            context.state().scalar_functions().contains_key(f),
            "{f} is not a built-in function"
        );
    }
}

/// A result cell, compared with the evaluator's.
mod serde_like {
    use arrow::array::{Array, ArrayRef, AsArray};
    use arrow::datatypes::DataType;

    #[derive(Clone, Debug, PartialEq)]
    pub enum Value {
        Bool(bool),
        Text(Option<String>),
        Other(String),
    }

    impl Value {
        pub fn of(column: &ArrayRef, row: usize) -> Value {
            match column.data_type() {
                DataType::Boolean if column.is_valid(row) => {
                    Value::Bool(column.as_boolean().value(row))
                }
                DataType::Utf8 => Value::Text(
                    column
                        .is_valid(row)
                        .then(|| column.as_string::<i32>().value(row).to_string()),
                ),
                DataType::Utf8View => Value::Text(
                    column
                        .is_valid(row)
                        .then(|| column.as_string_view().value(row).to_string()),
                ),
                other => Value::Other(format!("{other} null={}", column.is_null(row))),
            }
        }
    }
}

#[test]
fn deeply_nested_conditions_plan_and_run() {
    // Far deeper than DataFusion's default SQL recursion limit of 50: close
    // to the deepest brackets Seg's parser accepts, and the longest `not`
    // chain within its tree-depth limit.
    let brackets = seg_syntax::limits::MAX_NESTING - 4;
    deep_condition_runs(&format!(
        "{}n > 1{}",
        "not (".repeat(brackets),
        ")".repeat(brackets)
    ));
    deep_condition_runs(&format!(
        "{}n > 1",
        "not ".repeat(seg_syntax::limits::MAX_TREE_DEPTH - 8)
    ));
}

/// Plans and runs one segment on DataFusion and compares it with the
/// evaluator on three profiles (less, more, missing).
fn deep_condition_runs(condition: &str) {
    let source =
        format!("schema {{\n  id: int key\n  n: int\n}}\nsegment deep {{ where {condition} }}\n");
    let program = seg_testkit::program(&source);
    let params = seg_ir::param_values(&program, &[]);
    let compiled = seg_sql::compile(
        &program,
        &params,
        AS_OF,
        &Selection::all(&program),
        Dialect::DataFusion,
    )
    .unwrap();
    let batch = seg_testkit::batch(vec![
        (
            "id",
            std::sync::Arc::new(Int64Array::from(vec![0, 1, 2])) as ArrayRef,
        ),
        (
            "n",
            std::sync::Arc::new(Int64Array::from(vec![Some(0), Some(5), None])),
        ),
    ]);
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("p.parquet");
    write_parquet(&batch, &path);
    let data = seg_datafusion::Table::open(path.to_str().unwrap(), 1).unwrap();
    let expected = evaluate(&program, &batch);
    let mut got = vec![None; 3];
    data.run(&compiled, Some("id"), true, &mut |b: RecordBatch| {
        let ids = b.column(0).as_primitive::<arrow::datatypes::Int64Type>();
        for r in 0..b.num_rows() {
            got[ids.value(r) as usize] = Some(b.column(1).as_boolean().value(r));
        }
        Ok(())
    })
    .unwrap();
    let want: Vec<Option<bool>> = expected.segments["deep"].iter().map(|&m| Some(m)).collect();
    assert_eq!(got, want);
}
