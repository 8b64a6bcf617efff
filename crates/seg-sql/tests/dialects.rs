//! Every dialect's SQL parses with that engine's grammar, and the SQL of two
//! bundled examples is reviewed as snapshots.
//!
//! BigQuery and Snowflake cannot run here, so their statements are checked
//! the way they can be: the generated corpus (the same programs the engine
//! test runs, `SEG_SQL_PROGRAMS` and `SEG_SQL_SEED` as there) and every
//! `examples/*.seg` are compiled for all six dialects and each statement is
//! parsed with `sqlparser` (the version DataFusion 55 uses) in that engine's
//! dialect; Spark's, which no `sqlparser` grammar reads (see [`grammar`]), is
//! executed on Spark by `scripts/spark-check.sh` instead. A statement must parse as exactly one `SELECT` with one
//! projection per output column, so that a literal that ends early (a quote
//! or a backslash escaped the wrong way) is caught, not just a syntax error.
//!
//! The snapshots print `examples/lifecycle.seg`, `examples/data_quality.seg`
//! (regexes, `today`, `days_since`) and `examples/interests.seg` (lists)
//! for each dialect at 2026-11-24T00:00:00Z, prepared as `seg sql` prepares
//! them (params inlined, time folded), so that every change to the generated
//! SQL is reviewed (`INSTA_UPDATE=always cargo test -p seg-sql --test
//! dialects`, then read the `.snap` files).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{compile_case, lowered, programs, runner, seed};
use seg_ir::{Program, Selection};
use seg_sql::Dialect;
use seg_testkit::AS_OF;
use seg_testkit::corpus::program_text;
use sqlparser::ast::{SetExpr, Statement};
use sqlparser::dialect::{
    BigQueryDialect, DuckDbDialect, GenericDialect, PostgreSqlDialect, SnowflakeDialect,
};
use sqlparser::parser::Parser;
use std::path::{Path, PathBuf};

/// The grammar each dialect's statements are parsed with, where `sqlparser`
/// has one that reads them. DataFusion has no dialect of its own in
/// `sqlparser`; it parses with the generic one. None of `sqlparser`'s Spark,
/// Databricks and Hive dialects reads a backslash escape in a string (`\'`)
/// or an exact decimal literal (`1.5BD`), both Spark SQL; Spark's statements
/// are checked by running them on Spark instead (`scripts/spark-check.sh`).
fn grammar(dialect: Dialect) -> Option<Box<dyn sqlparser::dialect::Dialect>> {
    match dialect {
        Dialect::DuckDb => Some(Box::new(DuckDbDialect {})),
        Dialect::Postgres => Some(Box::new(PostgreSqlDialect {})),
        Dialect::DataFusion => Some(Box::new(GenericDialect {})),
        Dialect::Spark => None,
        Dialect::BigQuery => Some(Box::new(BigQueryDialect {})),
        Dialect::Snowflake => Some(Box::new(SnowflakeDialect {})),
    }
}

/// Parses `compiled`'s statement (of a program with a key column or not)
/// and checks it is one `SELECT` with a projection per column; the error
/// says what is wrong.
fn parses(compiled: &seg_sql::Compiled, has_key: bool) -> Result<(), String> {
    let dialect = compiled.dialect();
    let sql = compiled.select("profiles");
    let Some(grammar) = grammar(dialect) else {
        return Ok(());
    };
    // Checked arithmetic and inlined segment references nest deeply; the
    // parser's default limit of 50 levels is for untrusted input.
    let statements = Parser::new(grammar.as_ref())
        .with_recursion_limit(100_000)
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| format!("{e}"))?;
    let [Statement::Query(query)] = statements.as_slice() else {
        return Err(format!("{} statements, not one query", statements.len()));
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err("not a SELECT".into());
    };
    // Without a key and columns, the statement counts the profiles.
    let want =
        (compiled.segments().len() + compiled.priorities().len() + usize::from(has_key)).max(1);
    if select.projection.len() != want {
        return Err(format!(
            "{} projections, not {want}: a literal or identifier ends in the wrong place",
            select.projection.len()
        ));
    }
    Ok(())
}

/// Runs `f` on a thread with a large stack: the parser recurses once per
/// level of the generated expressions.
fn with_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[test]
fn generated_programs_parse_in_every_dialect() {
    with_stack(|| {
        let seed = seed();
        let mut runner = runner(seed);
        let mut failures = Vec::new();
        let mut parsed = 0;
        // A quarter as many again in a `timezone`, so that every dialect's
        // spelling of the local calendar is parsed too.
        for n in 0..programs() + programs().div_ceil(4) {
            let source = if n < programs() {
                program_text(&mut runner)
            } else {
                let zone = ["Europe/Berlin", "Asia/Kolkata"][n % 2];
                format!("timezone \"{zone}\"\n{}", program_text(&mut runner))
            };
            let program = seg_testkit::program(&source);
            let lowered = lowered(&program, n);
            for dialect in Dialect::ALL {
                let (compiled, _, _) = compile_case(&program, &lowered, dialect);
                if grammar(dialect).is_some() {
                    parsed += compiled.segments().len();
                }
                if let Err(e) = parses(&compiled, lowered.schema.key().is_some()) {
                    failures.push(format!(
                        "program {n} (seed {seed}) on {dialect}: {e}\n{}\n{source}",
                        compiled.select("profiles")
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} statements do not parse; the first:\n{}",
            failures.len(),
            failures[0]
        );
        eprintln!("{parsed} segments parsed across the five dialects sqlparser reads");
    });
}

/// Reads `.seg` files from disk, for the bundled examples.
struct Files;

impl seg_check::SourceLoader for Files {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), seg_check::LoadError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| seg_check::LoadError::Io(format!("{}: {e}", path.display())))?;
        Ok((path.canonicalize().unwrap_or(path.to_path_buf()), text))
    }
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The example as `seg sql --as-of 2026-11-24T00:00:00Z` prepares it.
fn example(name: &str) -> (Program, Program) {
    let checked = seg_check::check_program(&examples_dir().join(name), &Files);
    let program = match checked.program {
        Some(p) if !checked.has_errors() => p,
        _ => panic!("{name} does not check: {:#?}", checked.diagnostics),
    };
    let options = seg_opt::Options {
        params: Some(seg_ir::param_values(&program, &[])),
        as_of: Some(AS_OF),
        share: true,
    };
    let prepared = seg_opt::optimize(&program, &options).program;
    (program, prepared)
}

#[test]
fn every_example_parses_in_every_dialect() {
    with_stack(|| {
        let mut names: Vec<String> = std::fs::read_dir(examples_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".seg"))
            .collect();
        names.sort();
        assert!(names.len() >= 5, "examples missing: {names:?}");
        for name in &names {
            let (program, prepared) = example(name);
            for dialect in Dialect::ALL {
                let (compiled, _, _) = compile_case(&program, &prepared, dialect);
                if let Err(e) = parses(&compiled, prepared.schema.key().is_some()) {
                    panic!("{name} on {dialect}: {e}\n{}", compiled.select("profiles"));
                }
            }
        }
    });
}

/// The statement `seg sql` prints for the example, after a comment line per
/// refused segment (its diagnostics) for a dialect that refuses some.
fn snapshot_text(name: &str, dialect: Dialect) -> String {
    let (program, prepared) = example(name);
    let params = seg_ir::param_values(&prepared, &[]);
    let mut text = String::new();
    for (k, segment) in prepared.segments.iter().enumerate() {
        let one = Selection::new(&prepared, vec![seg_ir::SegmentId(k as u32)], Vec::new());
        if let Err(errors) = seg_sql::compile(&prepared, &params, AS_OF, &one, dialect) {
            for e in errors {
                text.push_str(&format!(
                    "-- refused `{}`: {} {}\n",
                    segment.name, e.code, e.message
                ));
            }
        }
    }
    let (compiled, _, _) = compile_case(&program, &prepared, dialect);
    text.push_str(&compiled.select("profiles"));
    text.push('\n');
    text
}

#[test]
fn examples_snapshot_in_every_dialect() {
    for example in ["lifecycle", "data_quality", "interests", "event_histories"] {
        for dialect in Dialect::ALL {
            let text = snapshot_text(&format!("{example}.seg"), dialect);
            insta::assert_snapshot!(format!("{example}_{dialect}"), text);
        }
    }
}

#[test]
fn spark_refuses_the_product_of_decimals_which_it_can_round() {
    let source = format!(
        "{}segment product {{ where d * d > 0.00 }}\nsegment sum {{ where d + d > 0.00 }}\n",
        seg_testkit::generate::schema_with(&[], &[])
    );
    let program = seg_testkit::program(&source);
    let params = seg_ir::param_values(&program, &[]);
    let only = |k: u32| Selection::new(&program, vec![seg_ir::SegmentId(k)], Vec::new());
    let errors = seg_sql::compile(&program, &params, AS_OF, &only(0), Dialect::Spark)
        .expect_err("Spark must refuse a decimal product");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, seg_diagnostics::Code::E0501);
    assert!(errors[0].message.contains("product `*` of decimals"));
    let sum = seg_sql::compile(&program, &params, AS_OF, &only(1), Dialect::Spark).unwrap();
    assert!(sum.condition("sum").unwrap().contains("try_add("));
    for dialect in [Dialect::DuckDb, Dialect::Postgres, Dialect::DataFusion] {
        assert!(seg_sql::compile(&program, &params, AS_OF, &only(0), dialect).is_ok());
    }
}

#[test]
fn histories_compile_where_exact_and_are_refused_with_a_reason_elsewhere() {
    let source = "schema {\n  id: int key\n  i: int\n  orders: list<{ at: timestamp, amount: decimal, n: int, x: float }>\n}\nsegment plain { where i > 1 }\nsegment counted { where i > 1 and count(orders where amount > 5) >= 2 }\nsegment summed { where sum(orders.amount) > 10 }\nsegment averaged { where avg(orders.n) > 1.5 }\nsegment float_avg { where avg(orders.x) > 1.5 }\n";
    let program = seg_testkit::program(source);
    let params = seg_ir::param_values(&program, &[]);
    let only = |k: u32| Selection::new(&program, vec![seg_ir::SegmentId(k)], Vec::new());
    for dialect in Dialect::ALL {
        assert!(seg_sql::compile(&program, &params, AS_OF, &only(0), dialect).is_ok());
        for k in 1..=4 {
            let result = seg_sql::compile(&program, &params, AS_OF, &only(k), dialect);
            let exact_avg = k != 3 || dialect == Dialect::Postgres;
            match dialect {
                Dialect::DuckDb | Dialect::Postgres | Dialect::BigQuery if exact_avg => {
                    let compiled = result.unwrap();
                    let sql = compiled.segments()[0].sql.as_str();
                    assert!(sql.contains("seg_record"), "{dialect}: {sql}");
                }
                _ => {
                    let errors = result.expect_err("refused");
                    assert_eq!(errors.len(), 1, "{errors:?}");
                    assert_eq!(errors[0].code, seg_diagnostics::Code::E0501);
                    let m = &errors[0].message;
                    if matches!(
                        dialect,
                        Dialect::DuckDb | Dialect::Postgres | Dialect::BigQuery
                    ) {
                        assert!(m.starts_with("`avg` of ints"), "{m}");
                    } else {
                        assert!(m.contains("over an event history"), "{m}");
                    }
                    assert!(m.ends_with(dialect.title()), "{m}");
                    assert!(errors[0].help.is_some(), "a refusal says why");
                    assert!(errors[0].span.start > 0, "located");
                }
            }
        }
    }
}

#[test]
fn a_field_named_like_the_record_alias_refuses_histories() {
    let source = "schema {\n  id: int key\n  seg_record: int\n  orders: list<{ n: int }>\n}\nsegment counted { where count(orders where n > seg_record) >= 2 }\n";
    let program = seg_testkit::program(source);
    for dialect in [Dialect::DuckDb, Dialect::Postgres, Dialect::BigQuery] {
        let errors = seg_sql::check(&program, dialect);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("`seg_record`"));
    }
}
