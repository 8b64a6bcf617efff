//! Event histories (LANGUAGE.md §7.1) compiled to SQL select exactly the
//! evaluator's profiles on DuckDB and PostgreSQL, over random histories
//! holding what engines disagree on: missing lists, empty lists, missing
//! records, records whose every field is missing (PostgreSQL's `IS NULL`
//! cannot tell those from a missing record), missing fields, NaN, ±0.0,
//! ±inf (whose sum is NaN, so missing), integer extremes (whose sums
//! overflow), decimals, strings that order differently by locale (`ß`,
//! `é`, upper case), timestamps and dates. Every aggregate is used, with and
//! without `where`, with profile fields, a segment and a relative time
//! window in filters.
//!
//! Each dialect compiles the segments it accepts; the refusals must be the
//! documented ones (DataFusion, Spark and Snowflake refuse every aggregate;
//! DuckDB and BigQuery `avg` of ints and decimals). `tests/sql/engines.py`
//! runs the statements (PostgreSQL loads a list of records as an array of a
//! composite type). `SEG_SQL_SEED=S` changes the data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::record_batch::RecordBatch;
use common::{refusal_is_documented, seed};
use seg_ir::{SegmentId, Selection};
use seg_sql::Dialect;
use seg_testkit::histories::{Layout, random_profiles};
use seg_testkit::{AS_OF, Rng};
use std::collections::HashMap;

const PROGRAM: &str = r#"schema {
  id: int key
  i: int
  s: string
  f: float
  orders: list<{ at: timestamp, amount: decimal, category: string, n: int, x: float, gift: bool, day: date }>
}

segment count_all { where count(orders) >= 2 }
segment count_where { where count(orders where at within 30 days and amount > 10) >= 1 }
segment count_unknown { where count(orders where x > 0.0) == 0 }
segment count_none { where count(orders where gift) == 0 }
segment any_where { where any(orders where category == "shoes") }
segment not_any_gift { where not any(orders where gift) }
segment any_plain { where any(orders) }
segment any_profile { where any(orders where n > i) }
segment any_segment { where any(orders where count_all and gift == false) }
segment any_float_profile { where any(orders where x < f) }
segment dec_sum { where sum(orders.amount where category != "bags") > 25.5 }
segment dec_sum_missing { where sum(orders.amount) is missing }
segment int_sum { where sum(orders.n) > 100 }
segment int_sum_missing { where sum(orders.n where gift or gift is missing) is missing }
segment float_sum { where sum(orders.x) >= 0.0 }
segment float_sum_missing { where sum(orders.x) is missing }
segment avg_float { where avg(orders.x) >= 0.25 }
segment avg_float_missing { where avg(orders.x where gift) is missing }
segment avg_int { where avg(orders.n where n < 1000 and n > -1000) > 15.5 }
segment avg_int_missing { where avg(orders.n) is missing }
segment avg_dec { where avg(orders.amount) < 20 }
segment avg_dec_third { where avg(orders.amount where amount < 0.5) == 0.1 }
segment min_str { where min(orders.category) == "Shoes" }
segment max_str { where max(orders.category) > "shoes" }
segment max_str_missing { where max(orders.category where gift) is missing }
segment min_int { where min(orders.n) < 0 }
segment max_int { where max(orders.n where gift) == 9223372036854775807 }
segment max_ts { where days_since(max(orders.at)) <= 7 }
segment min_ts { where min(orders.at where category == s) < 2026-11-01T00:00:00Z }
segment min_date { where min(orders.day) < 2026-01-01 }
segment max_float { where max(orders.x) > 0.0 }
segment min_float_zero { where min(orders.x) == 0.0 }
segment cd_cat { where count_distinct(orders.category) >= 2 }
segment cd_x { where count_distinct(orders.x) == 2 }
segment cd_amount { where count_distinct(orders.amount) >= 2 }
segment cd_n { where count_distinct(orders.n where gift) >= 1 }
segment cd_day { where count_distinct(orders.day where at within 14 days) == 1 }
segment arithmetic { where count(orders where category == s) * 2 > count(orders) + i }
segment abs_neg { where abs(0 - min(orders.n)) > 50 or -count(orders) < -3 }
segment missing_list { where orders is missing }
segment empty_list { where count(orders) == 0 and orders is present }
"#;

/// One random batch of `rows` profiles (`seg_testkit::histories`).
fn random_batch(rng: &mut Rng, rows: usize) -> RecordBatch {
    random_profiles(rng, rows, Layout::PLAIN)
}

#[test]
fn histories_select_the_evaluators_profiles_on_duckdb_and_postgres() {
    let program = seg_testkit::program(PROGRAM);
    let params = seg_ir::param_values(&program, &[]);
    let engines = [Dialect::DuckDb, Dialect::Postgres];
    // What every dialect accepts, each refusal for a documented reason.
    let mut accepted: HashMap<Dialect, Vec<SegmentId>> = HashMap::new();
    for dialect in Dialect::ALL {
        for k in 0..program.segments.len() {
            let id = SegmentId(k as u32);
            let one = Selection::new(&program, vec![id], Vec::new());
            match seg_sql::compile(&program, &params, AS_OF, &one, dialect) {
                Ok(_) => accepted.entry(dialect).or_default().push(id),
                Err(errors) => {
                    for e in &errors {
                        assert!(
                            refusal_is_documented(dialect, e),
                            "{dialect} refused {}: {}",
                            program.segments[k].name,
                            e.message
                        );
                    }
                }
            }
        }
    }
    // PostgreSQL compiles every aggregate; DuckDB all but `avg` of ints
    // and decimals.
    assert_eq!(accepted[&Dialect::Postgres].len(), program.segments.len());
    assert_eq!(accepted[&Dialect::DuckDb].len(), program.segments.len() - 4);
    // DataFusion only `orders is missing`, which reads no record.
    assert_eq!(accepted[&Dialect::DataFusion].len(), 1);

    if !seg_testkit::python_modules_available(&["duckdb", "psycopg", "pyarrow"]) {
        return;
    }
    let seed = seed();
    let mut rng = Rng::new(seed);
    let batch = random_batch(&mut rng, 600);
    let evaluator = seg_eval::Evaluator::new(&program, &[], AS_OF);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let membership = evaluator.evaluate(&binding, &batch).unwrap();
    let mut expected: HashMap<String, Vec<bool>> = HashMap::new();
    for (id, array) in evaluator.segments().iter().zip(&membership.segments) {
        let name = program.segments[id.0 as usize].name.clone();
        expected.insert(name, (0..array.len()).map(|r| array.value(r)).collect());
    }

    // The data splits the segments: few are all in or all out.
    let trivial: Vec<&String> = expected
        .iter()
        .filter(|(_, m)| m.iter().all(|&x| x) || m.iter().all(|&x| !x))
        .map(|(name, _)| name)
        .collect();
    assert!(
        trivial.len() <= 3,
        "segments that split nothing: {trivial:?}"
    );

    let work = tempfile::tempdir().unwrap();
    seg_testkit::corpus::write_parquet(&batch, &work.path().join("profiles.parquet"));
    for dialect in engines {
        let selection = Selection::new(&program, accepted[&dialect].clone(), Vec::new());
        let compiled = seg_sql::compile(&program, &params, AS_OF, &selection, dialect).unwrap();
        let dir = work.path().join("queries").join(dialect.name());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("histories.sql"),
            format!("{}\nORDER BY \"id\"", compiled.select("profiles")),
        )
        .unwrap();
    }
    common::run_engines(work.path(), &engines);
    let mut failures = Vec::new();
    for dialect in engines {
        let (columns, rows) = common::engine_result(work.path(), dialect, "histories")
            .unwrap_or_else(|error| panic!("{dialect} failed (seed {seed}): {error}"));
        assert_eq!(rows.len(), batch.num_rows(), "{dialect}");
        for (r, row) in rows.iter().enumerate() {
            assert_eq!(row[0], serde_json::json!(r), "{dialect}: rows in key order");
            for (c, name) in columns.iter().enumerate().skip(1) {
                let want = expected[name.as_str()][r];
                if row[c] != serde_json::Value::Bool(want) {
                    failures.push(format!(
                        "{dialect} {name} row {r}: engine {} evaluator {want}",
                        row[c]
                    ));
                }
            }
        }
    }
    if !failures.is_empty() {
        let dir = work.keep();
        panic!(
            "{} disagreements (seed {seed}; work dir {}), the first:\n{}",
            failures.len(),
            dir.display(),
            failures[..failures.len().min(20)].join("\n")
        );
    }
}
