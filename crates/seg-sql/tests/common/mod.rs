//! What the SQL tests share: the generated programs, as each test lowers
//! them, and which refusals are documented.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use seg_ir::{Program, SegmentId, Selection};
use seg_sql::Dialect;
use seg_testkit::AS_OF;

/// The number of generated programs: `SEG_SQL_PROGRAMS`, 200 by default.
pub fn programs() -> usize {
    std::env::var("SEG_SQL_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// The generator's seed: `SEG_SQL_SEED`, or a fixed one.
pub fn seed() -> u64 {
    std::env::var("SEG_SQL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5e9_5e9)
}

/// The proptest runner the programs are drawn from, seeded by `seed`.
pub fn runner(seed: u64) -> TestRunner {
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    )
}

/// The `n`th generated program as lowered: every odd one after the
/// optimizer (params inlined, time folded, shared subexpressions), the
/// others as checked.
pub fn lowered(program: &Program, n: usize) -> Program {
    if n % 2 == 1 {
        let options = seg_opt::Options {
            params: Some(seg_ir::param_values(program, &[])),
            as_of: Some(AS_OF),
            share: true,
        };
        seg_opt::optimize(program, &options).program
    } else {
        program.clone()
    }
}

/// The codes a dialect may refuse a generated construct with, and the
/// capability table's reasons (`docs/sql.md`).
pub fn refusal_is_documented(dialect: Dialect, diagnostic: &seg_diagnostics::Diagnostic) -> bool {
    use seg_diagnostics::Code;
    match diagnostic.code {
        Code::E0502 => true,
        Code::E0501 => {
            let m = &diagnostic.message;
            let case_mapping = m.contains("`lower`") || m.contains("`upper`");
            // Zoned programs (docs/sql.md, the two `timezone` rows).
            let local_calendar = m.contains("of a timestamp in time zone");
            let local_midnight = m.contains("a date column compared with a timestamp");
            // Event histories (v0.2): the dialects without a subquery over
            // a row's list refuse every aggregate; those that divide
            // inexactly refuse `avg` of ints and decimals.
            let history = m.contains("over an event history");
            let history_avg = m.contains("`avg` of ints") || m.contains("`avg` of decimals");
            match dialect {
                Dialect::DuckDb => case_mapping || history_avg,
                Dialect::Snowflake => {
                    history
                        || case_mapping
                        || m.contains("product `*` of decimals")
                        || local_midnight
                }
                Dialect::Postgres => m.contains("remainder `%` of floats"),
                Dialect::BigQuery => {
                    case_mapping
                        || history_avg
                        || m.contains("remainder `%` of floats")
                        || m.contains("`is missing` on a list")
                        || local_midnight
                }
                Dialect::Spark => {
                    history
                        || m.contains("product `*` of decimals")
                        || local_calendar
                        || local_midnight
                }
                Dialect::DataFusion => history,
            }
        }
        _ => false,
    }
}

/// `lowered` (program `program` as lowered) compiled for `dialect` with
/// every segment the dialect accepts, and each priority group whose
/// segments are all accepted: the statement, whether every group is in it,
/// and how many segments were refused (each for a documented reason).
pub fn compile_case(
    program: &Program,
    lowered: &Program,
    dialect: Dialect,
) -> (seg_sql::Compiled, bool, usize) {
    let params = seg_ir::param_values(lowered, &[]);
    // Which segments the dialect accepts, one by one.
    let mut accepted = Vec::new();
    let mut refused = 0;
    for k in 0..program.segments.len() {
        let id = SegmentId(k as u32);
        let one = Selection::new(lowered, vec![id], Vec::new());
        match seg_sql::compile(lowered, &params, AS_OF, &one, dialect) {
            Ok(_) => accepted.push(id),
            Err(errors) => {
                for e in &errors {
                    assert!(
                        refusal_is_documented(dialect, e),
                        "{dialect} refused {} with an undocumented reason: {} {}",
                        lowered.segments[k].name,
                        e.code,
                        e.message
                    );
                }
                refused += 1;
            }
        }
    }
    let priorities: Vec<usize> = (0..lowered.priorities.len())
        .filter(|&p| {
            lowered.priorities[p]
                .segments
                .iter()
                .all(|id| accepted.contains(id))
        })
        .collect();
    let every_group = priorities.len() == lowered.priorities.len();
    let selection = Selection::new(lowered, accepted, priorities);
    let compiled = seg_sql::compile(lowered, &params, AS_OF, &selection, dialect)
        .unwrap_or_else(|e| panic!("{dialect}: accepted segments refused together: {e:?}"));
    (compiled, every_group, refused)
}

/// Runs `tests/sql/engines.py` over `work` (its `profiles.parquet` and
/// `queries/<dialect>/*.sql`) on the engines of `dialects`; the results land
/// in `work/results/<dialect>/<statement>.json`.
pub fn run_engines(work: &std::path::Path, dialects: &[Dialect]) {
    let names: Vec<&str> = dialects.iter().map(|d| d.name()).collect();
    let engines = format!("--engines={}", names.join(","));
    seg_testkit::python(&[
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/sql/engines.py")
            .as_os_str(),
        work.as_os_str(),
        engines.as_ref(),
    ]);
}

/// One statement's result from [`run_engines`]: its column names and rows,
/// or the engine's error message.
pub fn engine_result(
    work: &std::path::Path,
    dialect: Dialect,
    statement: &str,
) -> Result<(Vec<String>, Vec<serde_json::Value>), String> {
    let path = work
        .join("results")
        .join(dialect.name())
        .join(format!("{statement}.json"));
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    if let Some(error) = result.get("error") {
        return Err(error.to_string());
    }
    let columns = result["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    Ok((columns, result["rows"].as_array().unwrap().clone()))
}
