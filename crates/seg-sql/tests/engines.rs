//! `sql(p)` on DuckDB, PostgreSQL and DataFusion (and Spark, when asked)
//! selects exactly the evaluator's profiles, for generated well-typed
//! programs over adversarial data.
//!
//! One run generates [`programs()`] programs of 50 segments each
//! (random conditions over every construct of the language, segments that
//! reference earlier ones, an `exclude` now and then, and a priority group),
//! half of them lowered as checked and half after the optimizer (params
//! inlined, time folded, shared subexpressions). The table has 600
//! profiles holding the values engines disagree on: NULL, NaN, ±0.0, ±inf,
//! integer extremes, decimals at their precision, month ends and leap days,
//! instants at DST changes and a microsecond from midnight, empty lists and
//! lists with missing elements, quotes, backslashes, newlines, `%` and `_`,
//! and non-ASCII text whose case mapping or order differs between engines.
//!
//! `tests/sql/engines.py` runs each dialect's statements on its engine, in a
//! non-UTC session time zone; every segment column must equal the evaluator's
//! membership and every priority column its choice, row for row. A segment
//! a dialect refuses (E0501/E0502: the construct cannot be expressed with
//! Seg's meaning there) is left out of that dialect's statement, and must be
//! refused for a reason the capability table lists.
//!
//! Half as many programs again declare a `timezone` (LANGUAGE.md §7.3),
//! rotating through [`ZONES`]: DST in both hemispheres, Havana (whose
//! midnight of 2025-11-02 happens twice), São Paulo (whose midnight of
//! 2018-11-04 never happened) and half-hour offsets, so that the local
//! calendar of each engine (`year`/`month`/`day` of a timestamp column, a
//! date column against a timestamp) is compared with the evaluator's.
//!
//! `SEG_SQL_PROGRAMS=N` changes the number of programs and `SEG_SQL_SEED=S`
//! the generator's seed; a failure prints both, the program and the rows.
//! `SEG_SQL_ENGINES=duckdb,postgres,datafusion,spark` chooses the engines
//! (the first three when unset); `scripts/spark-check.sh` runs Spark.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::record_batch::RecordBatch;
use common::{compile_case, lowered, programs, runner, seed};
use seg_ir::Program;
use seg_sql::Dialect;
use seg_testkit::corpus::{ROWS, program_text, table, write_parquet};
use seg_testkit::{AS_OF, Rng};
use std::collections::{BTreeMap, HashMap};
/// The zones of the zoned programs, in turn.
const ZONES: [&str; 6] = [
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Havana",
    "America/Sao_Paulo",
    "Asia/Kathmandu",
];

/// The dialects executed when `SEG_SQL_ENGINES` is unset.
const DEFAULT_ENGINES: [Dialect; 3] = [Dialect::DuckDb, Dialect::Postgres, Dialect::DataFusion];

/// The dialects executed here: `SEG_SQL_ENGINES`, comma-separated dialect
/// names, or [`DEFAULT_ENGINES`]. Only dialects with an engine in
/// `tests/sql/engines.py` can be named.
fn engines() -> Vec<Dialect> {
    let Ok(names) = std::env::var("SEG_SQL_ENGINES") else {
        return DEFAULT_ENGINES.to_vec();
    };
    let mut engines = Vec::new();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let dialect = Dialect::from_name(name)
            .unwrap_or_else(|| panic!("SEG_SQL_ENGINES: unknown dialect {name:?}"));
        assert!(
            matches!(
                dialect,
                Dialect::DuckDb | Dialect::Postgres | Dialect::DataFusion | Dialect::Spark
            ),
            "SEG_SQL_ENGINES: {dialect} cannot be executed here"
        );
        if !engines.contains(&dialect) {
            engines.push(dialect);
        }
    }
    assert!(!engines.is_empty(), "SEG_SQL_ENGINES names no engine");
    engines
}

/// The Python modules `tests/sql/engines.py` needs for `dialect`.
fn python_modules(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::DuckDb => &["duckdb"],
        Dialect::Postgres => &["psycopg", "pyarrow"],
        Dialect::DataFusion => &["datafusion"],
        Dialect::Spark => &["pyspark"],
        Dialect::BigQuery | Dialect::Snowflake => &[],
    }
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

// ------------------------------------------------------------ the test

/// One generated program and what each dialect compiled of it.
struct Case {
    source: String,
    optimized: bool,
    expected: Expected,
    /// Per dialect: the statement's segments and whether the group is in it.
    compiled: HashMap<Dialect, (seg_sql::Compiled, bool)>,
}

fn sql_engines_available(engines: &[Dialect]) -> bool {
    let modules: Vec<&str> = engines
        .iter()
        .flat_map(|&d| python_modules(d).iter().copied())
        .collect();
    seg_testkit::python_modules_available(&modules)
}

#[test]
fn generated_programs_select_the_evaluators_profiles_on_every_engine() {
    let engines = engines();
    if !sql_engines_available(&engines) {
        return;
    }
    let seed = seed();
    let mut rng = Rng::new(seed);
    let batch = table(&mut rng);
    let work = tempfile::tempdir().unwrap();
    write_parquet(&batch, &work.path().join("profiles.parquet"));
    let key = batch
        .column_by_name("id")
        .unwrap()
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .clone();

    let mut runner = runner(seed);
    let mut cases = Vec::new();
    let mut executed_segments: BTreeMap<&str, usize> = BTreeMap::new();
    let mut refusals: BTreeMap<&str, usize> = BTreeMap::new();
    let zoned = programs().div_ceil(2);
    for n in 0..programs() + zoned {
        let source = if n < programs() {
            program_text(&mut runner)
        } else {
            let zone = ZONES[((n - programs()) / 2) % ZONES.len()];
            format!("timezone \"{zone}\"\n{}", program_text(&mut runner))
        };
        let program = seg_testkit::program(&source);
        let expected = evaluate(&program, &batch);
        let optimized = n % 2 == 1;
        let lowered = lowered(&program, n);
        let mut compiled = HashMap::new();
        for &dialect in &engines {
            let (c, group, refused) = compile_case(&program, &lowered, dialect);
            *executed_segments.entry(dialect.name()).or_default() += c.segments().len();
            *refusals.entry(dialect.name()).or_default() += refused;
            let dir = work.path().join("queries").join(dialect.name());
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("p{n:04}.sql")), c.select("profiles")).unwrap();
            compiled.insert(dialect, (c, group));
        }
        cases.push(Case {
            source,
            optimized,
            expected,
            compiled,
        });
    }

    common::run_engines(work.path(), &engines);
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        for &dialect in &engines {
            let (compiled, group) = &case.compiled[&dialect];
            let (columns, rows) =
                match common::engine_result(work.path(), dialect, &format!("p{n:04}")) {
                    Ok(result) => result,
                    Err(error) => {
                        failures.push(format!(
                            "program {n} on {dialect}: the engine failed: {error}\n{}",
                            compiled.select("profiles")
                        ));
                        continue;
                    }
                };
            assert_eq!(rows.len(), ROWS, "program {n} on {dialect}: row count");
            for row in rows {
                let row = row.as_array().unwrap();
                let id = row[0].as_i64().unwrap() as usize;
                for (c, value) in columns.iter().zip(row).skip(1) {
                    let (want, got) = if let Some(m) = case.expected.segments.get(c.as_str()) {
                        (serde_json::Value::Bool(m[id]), value.clone())
                    } else if let Some(p) = case.expected.priorities.get(c.as_str()) {
                        assert!(*group);
                        (
                            p[id]
                                .clone()
                                .map_or(serde_json::Value::Null, serde_json::Value::String),
                            value.clone(),
                        )
                    } else {
                        panic!("unexpected column {c}");
                    };
                    if want != got {
                        let condition = compiled.condition(c).unwrap_or("(priority group)");
                        let shown: Vec<String> = batch
                            .columns()
                            .iter()
                            .zip(batch.schema().fields())
                            .map(|(a, f)| {
                                format!(
                                    "{}={}",
                                    f.name(),
                                    arrow::util::display::array_value_to_string(a, id)
                                        .unwrap_or_else(|e| e.to_string())
                                )
                            })
                            .collect();
                        failures.push(format!(
                            "program {n} ({}optimized) on {dialect}: {c} of profile {id}: evaluator {want}, engine {got}\n  row: {}\n  SQL: {condition}",
                            if case.optimized { "" } else { "not " },
                            shown.join(" "),
                        ));
                    }
                }
            }
            let _ = key.len();
        }
    }
    let total: usize = executed_segments.values().sum();
    eprintln!(
        "{} programs, seed {seed}: segments executed per engine {executed_segments:?} ({total} in all), refused {refusals:?}",
        cases.len()
    );
    if !failures.is_empty() {
        // SEG_SQL_KEEP=1 keeps the statements, the table and the results.
        if std::env::var_os("SEG_SQL_KEEP").is_some() {
            eprintln!("kept the work directory {}", work.keep().display());
        }
        let mut report = format!(
            "{} differences (seed {seed}, SEG_SQL_SEED={seed} to repeat); the first ones:\n",
            failures.len()
        );
        for f in failures.iter().take(12) {
            report.push_str(f);
            report.push('\n');
        }
        let first: usize = failures[0]
            .strip_prefix("program ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        report.push_str(&format!("\nprogram {first}:\n{}", cases[first].source));
        panic!("{report}");
    }
    if programs() >= 200 {
        assert!(total >= 10_000, "only {total} segments executed");
    }
}

/// `bucket(salt)` on every engine equals the evaluator's on every row: int
/// keys (0, ±1, negative, `i64::MIN`, `i64::MAX`, past 32 bits), string keys
/// (empty, non-ASCII, quotes, backslashes, digits that look like an int) and
/// a missing key of each, under salts with a quote, a colon and non-ASCII
/// text. Fourteen segments per salt read the bucket's bits
/// (`bucket(..) % 2^(j+1) >= 2^j`), so equal memberships mean equal
/// buckets, and one more its missingness.
#[test]
fn bucket_equals_the_evaluators_on_every_engine() {
    let engines = engines();
    if !sql_engines_available(&engines) {
        return;
    }
    let mut ints: Vec<Option<i64>> = vec![
        Some(0),
        Some(1),
        Some(-1),
        Some(42),
        Some(-7),
        Some(i64::MAX),
        Some(i64::MIN),
        Some(4_294_967_295),
        Some(-4_294_967_296),
        Some(1_000_000_000_000),
        None,
    ];
    let mut strings: Vec<Option<String>> = [
        "C-001", "Zoë", "", "日本", "it's", "a\\b", "🙂", " padded ", "42", "-7", "ǅemal",
    ]
    .iter()
    .map(|s| Some((*s).to_string()))
    .chain([None])
    .collect();
    let mut rng = Rng::new(0xb0c4e7);
    while ints.len() < 300 {
        let v = rng.next() as i64 >> rng.below(60);
        if !ints.contains(&Some(v)) {
            ints.push(Some(v));
        }
    }
    while strings.len() < 300 {
        let v = format!("cust-{}-ü{}", rng.below(1_000_000), strings.len());
        strings.push(Some(v));
    }
    let data = seg_testkit::batch(vec![
        (
            "ik",
            std::sync::Arc::new(Int64Array::from(ints.clone())) as ArrayRef,
        ),
        (
            "sk",
            std::sync::Arc::new(StringArray::from(strings.clone())),
        ),
    ]);
    let work = tempfile::tempdir().unwrap();
    write_parquet(&data, &work.path().join("profiles.parquet"));

    let mut segments = String::new();
    for (s, salt) in ["\"spring-2026\"", "\"it's:Zoë 🙂\"", "campaign"]
        .iter()
        .enumerate()
    {
        for j in 0..14 {
            segments.push_str(&format!(
                "segment s{s}_bit{j} {{ where bucket({salt}) % {} >= {} }}\n",
                1 << (j + 1),
                1 << j
            ));
        }
        segments.push_str(&format!(
            "segment s{s}_missing {{ where bucket({salt}) is missing }}\n"
        ));
        segments.push_str(&format!(
            "segment s{s}_held {{ where bucket({salt}) < 1000 }}\n"
        ));
    }
    let sources = [
        format!(
            "schema {{\n  ik: int key\n  sk: string\n}}\nparam campaign = \"summer\"\n{segments}"
        ),
        format!(
            "schema {{\n  ik: int\n  sk: string key\n}}\nparam campaign = \"summer\"\n{segments}"
        ),
    ];
    let mut expected = Vec::new();
    let mut cases = Vec::new();
    for (n, source) in sources.iter().enumerate() {
        let program = seg_testkit::program(source);
        let want = evaluate(&program, &data);
        // The held-out share is about 10 %, as a holdout should be.
        let held = want.segments["s0_held"].iter().filter(|m| **m).count();
        assert!((10..=60).contains(&held), "{held} of 300 held out");
        expected.push(want);
        for optimized in [false, true] {
            let lowered = lowered(&program, usize::from(optimized));
            let id = format!("b{n}{}", u8::from(optimized));
            for &dialect in &engines {
                let (c, _, refused) = compile_case(&program, &lowered, dialect);
                assert_eq!(refused, 0, "{dialect} refused a bucket segment");
                let dir = work.path().join("queries").join(dialect.name());
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(format!("{id}.sql")), c.select("profiles")).unwrap();
            }
            cases.push((id, n));
        }
    }
    common::run_engines(work.path(), &engines);
    // Each engine returns the key first: the row is found by its key.
    let keys: [Vec<serde_json::Value>; 2] = [
        ints.iter().map(|k| serde_json::json!(k)).collect(),
        strings.iter().map(|k| serde_json::json!(k)).collect(),
    ];
    let mut failures = Vec::new();
    for (id, n) in &cases {
        for &dialect in &engines {
            let (columns, rows) = match common::engine_result(work.path(), dialect, id) {
                Ok(result) => result,
                Err(error) => {
                    failures.push(format!("{id} on {dialect}: the engine failed: {error}"));
                    continue;
                }
            };
            assert_eq!(rows.len(), 300, "{id} on {dialect}: row count");
            for row in rows {
                let row = row.as_array().unwrap();
                let r = keys[*n]
                    .iter()
                    .position(|k| *k == row[0])
                    .unwrap_or_else(|| panic!("{id} on {dialect}: unknown key {}", row[0]));
                for (c, value) in columns.iter().zip(row).skip(1) {
                    let want = expected[*n].segments[c.as_str()][r];
                    if value.as_bool() != Some(want) {
                        failures.push(format!(
                            "{id} on {dialect}: {c} of key {}: evaluator {want}, engine {value}",
                            row[0]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences; the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
