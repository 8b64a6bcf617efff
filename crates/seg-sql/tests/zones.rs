//! Time zones on the SQL engines, at the instants that matter: a program
//! with a `timezone` reading the local calendar of a timestamp column and the
//! local midnight of a date column is run on DuckDB, PostgreSQL and
//! DataFusion (`tests/sql/engines.py`, each in a session zone that is
//! neither UTC nor the program's) over rows a second either side of local
//! midnights, DST changes in both hemispheres, a midnight skipped (São
//! Paulo, 2018-11-04) and one that happened twice (Havana, 2025-11-02); every
//! membership must be the evaluator's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{ArrayRef, Date32Array, Int64Array, TimestampMicrosecondArray};
use seg_ir::Selection;
use seg_sql::Dialect;
use seg_testkit::AS_OF;
use seg_testkit::corpus::write_parquet;
use std::sync::Arc;

const ENGINES: [Dialect; 3] = [Dialect::DuckDb, Dialect::Postgres, Dialect::DataFusion];

const DAY: i64 = 86_400_000_000;

/// Instants next to the zones' local midnights and DST changes.
const EDGES: [i64; 14] = [
    1_774_738_800_000_000, // 2026-03-28T23:00:00Z: Berlin midnight before spring forward
    1_774_746_000_000_000, // 2026-03-29T01:00:00Z: Berlin spring forward
    1_792_890_000_000_000, // 2026-10-25T01:00:00Z: Berlin fall back
    1_792_965_600_000_000, // 2026-10-25T22:00:00Z: Berlin midnight after it
    1_791_036_000_000_000, // 2026-10-03T14:00:00Z: Sydney midnight before spring forward
    1_791_043_200_000_000, // 2026-10-03T16:00:00Z: Sydney spring forward
    1_775_318_400_000_000, // 2026-04-04T16:00:00Z: Sydney fall back
    1_767_205_800_000_000, // 2025-12-31T18:30:00Z: Kolkata midnight
    1_767_204_900_000_000, // 2025-12-31T18:15:00Z: Kathmandu midnight
    1_541_300_400_000_000, // 2018-11-04T03:00:00Z: São Paulo: midnight skipped, 01:00 local
    1_762_056_000_000_000, // 2025-11-02T04:00:00Z: Havana: the first midnight of 2 November
    1_762_059_600_000_000, // 2025-11-02T05:00:00Z: Havana: the second one
    1_762_146_000_000_000, // 2025-11-03T05:00:00Z: Havana: the next midnight
    1_795_478_400_000_000, // 2026-11-24T00:00:00Z: as_of
];

/// Rows: each edge a microsecond and a second either side, with a date
/// column around the edge's dates.
fn table() -> arrow::record_batch::RecordBatch {
    let mut ts = Vec::new();
    for t in EDGES {
        for delta in [-1_000_000, -1, 0, 1, 1_000_000] {
            ts.push(Some(t + delta));
        }
    }
    ts.push(None);
    let dt: Vec<Option<i32>> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| t.map(|t| (t.div_euclid(DAY) + (i as i64 % 3) - 1) as i32))
        .collect();
    let id: Vec<i64> = (0..ts.len() as i64).collect();
    seg_testkit::batch(vec![
        ("id", Arc::new(Int64Array::from(id)) as ArrayRef),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
        ),
        ("dt", Arc::new(Date32Array::from(dt))),
    ])
}

fn program(zone: &str) -> seg_ir::Program {
    seg_testkit::program(&format!(
        "timezone \"{zone}\"\nschema {{\n  id: int key\n  ts: timestamp\n  dt: date\n}}\n\
         segment ymd_2026 {{ where year(ts) == 2026 }}\n\
         segment ymd_month {{ where month(ts) >= 10 }}\n\
         segment ymd_day {{ where day(ts) == day(dt) }}\n\
         segment after_midnight {{ where ts >= dt }}\n\
         segment before_midnight {{ where ts < dt }}\n\
         segment today_local {{ where dt == today }}\n\
         segment local_dates_agree {{ where ts after dt and day(ts) != day(dt) }}\n"
    ))
}

#[test]
fn zoned_programs_select_the_evaluators_profiles_on_every_engine() {
    let modules: Vec<&str> = ENGINES
        .iter()
        .flat_map(|d| match d {
            Dialect::DuckDb => vec!["duckdb"],
            Dialect::Postgres => vec!["psycopg", "pyarrow"],
            _ => vec!["datafusion"],
        })
        .collect();
    if !seg_testkit::python_modules_available(&modules) {
        return;
    }
    let batch = table();
    let work = tempfile::tempdir().unwrap();
    write_parquet(&batch, &work.path().join("profiles.parquet"));
    let zones = [
        "Europe/Berlin",
        "Australia/Sydney",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "America/Sao_Paulo",
        "America/Havana",
    ];
    let mut expected = Vec::new();
    for (n, zone) in zones.iter().enumerate() {
        let program = program(zone);
        let evaluator = seg_eval::Evaluator::new(&program, &[], AS_OF);
        let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
        let membership = evaluator.evaluate(&binding, &batch).unwrap();
        expected.push((program.clone(), membership));
        let params = seg_ir::param_values(&program, &[]);
        for dialect in ENGINES {
            let compiled =
                seg_sql::compile(&program, &params, AS_OF, &Selection::all(&program), dialect)
                    .unwrap_or_else(|e| panic!("{dialect} refused {zone}: {e:?}"));
            let dir = work.path().join("queries").join(dialect.name());
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join(format!("p{n:04}.sql")),
                compiled.select("profiles"),
            )
            .unwrap();
        }
    }
    common::run_engines(work.path(), &ENGINES);
    let mut failures = Vec::new();
    let mut compared = 0;
    for (n, (program, membership)) in expected.iter().enumerate() {
        for dialect in ENGINES {
            let (columns, rows) =
                match common::engine_result(work.path(), dialect, &format!("p{n:04}")) {
                    Ok(result) => result,
                    Err(error) => {
                        failures.push(format!("{} on {dialect}: {error}", zones[n]));
                        continue;
                    }
                };
            for row in &rows {
                let row = row.as_array().unwrap();
                let id = row[0].as_i64().unwrap() as usize;
                for (column, value) in columns.iter().zip(row).skip(1) {
                    let k = program.segment_id(column).unwrap().0 as usize;
                    let want = membership.segments[k].value(id);
                    compared += 1;
                    if value.as_bool() != Some(want) {
                        failures.push(format!(
                            "{} on {dialect}: {column} of row {id} (ts {}): evaluator {want}, engine {value}",
                            zones[n],
                            arrow::util::display::array_value_to_string(batch.column(1), id)
                                .unwrap()
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Six zones, seven segments, 71 rows, three engines.
    assert_eq!(compared, 6 * 7 * 71 * 3);
}
