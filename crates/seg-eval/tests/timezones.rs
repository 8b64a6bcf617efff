//! Time zones (LANGUAGE.md §7.3, docs/semantics.md "Time zones"): the
//! evaluator's answers at DST changes in both hemispheres (Europe/Berlin,
//! Australia/Sydney) and in zones a half or three quarters of an hour off
//! (Asia/Kolkata, Asia/Kathmandu), worked out by hand from the tz database's
//! offsets. Every case also runs without a zone, where the answer must be
//! v0.1's, so each one shows the zone changes something.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{ArrayRef, Date32Array, TimestampMicrosecondArray};
use common::batch;
use std::sync::Arc;

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);

fn instant(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_micros()
}

fn date(text: &str) -> i32 {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

fn source(zone: Option<&str>, condition: &str) -> String {
    let declaration = zone.map_or(String::new(), |z| format!("timezone \"{z}\"\n"));
    format!(
        "{declaration}schema {{\n  id: int key\n  ts: timestamp\n  dt: date\n}}\n\
         segment yes {{ where {condition} }}\nsegment no {{ where not ({condition}) }}\n"
    )
}

/// The truth of `condition` on rows of (`ts`, `dt`), at `as_of`, in `zone`.
fn truth(
    zone: Option<&str>,
    as_of: &str,
    condition: &str,
    rows: &[(&str, &str)],
) -> Vec<Option<bool>> {
    let program = common::program(&source(zone, condition));
    truth_of(&program, as_of, rows)
}

fn truth_of(program: &seg_ir::Program, as_of: &str, rows: &[(&str, &str)]) -> Vec<Option<bool>> {
    let ts: Vec<Option<i64>> = rows.iter().map(|(t, _)| Some(instant(t))).collect();
    let dt: Vec<Option<i32>> = rows.iter().map(|(_, d)| Some(date(d))).collect();
    let data = batch(vec![
        (
            "id",
            Arc::new(arrow::array::Int64Array::from(
                (0..rows.len() as i64).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
        ),
        ("dt", Arc::new(Date32Array::from(dt))),
    ]);
    let evaluator = seg_eval::Evaluator::new(program, &[], instant(as_of));
    let binding = evaluator.bind(data.schema().as_ref()).unwrap();
    let result = evaluator.evaluate(&binding, &data).unwrap().segments;
    (0..rows.len())
        .map(|i| match (result[0].value(i), result[1].value(i)) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ => None,
        })
        .collect()
}

/// One case: the zone, `as_of`, the condition, the rows, what the zone gives
/// and what UTC (no declaration) gives.
type Case<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [Option<bool>],
    &'a [Option<bool>],
);

const ANY: &str = "2000-01-01";
const NOON: &str = "2000-01-01T12:00:00Z";

fn check(cases: &[Case<'_>]) {
    let mut failures = Vec::new();
    for (zone, as_of, condition, rows, zoned, utc) in cases {
        let got = truth(Some(zone), as_of, condition, rows);
        if got != zoned.to_vec() {
            failures.push(format!(
                "{zone} at {as_of}: `{condition}`: expected {zoned:?}, got {got:?}"
            ));
        }
        let got = truth(None, as_of, condition, rows);
        if got != utc.to_vec() {
            failures.push(format!(
                "UTC at {as_of}: `{condition}`: expected {utc:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn today_is_the_local_date_of_as_of() {
    check(&[
        // 2026-03-28T23:30Z is 00:30 on the 29th in Berlin (CET, +01:00),
        // the night clocks spring forward.
        (
            "Europe/Berlin",
            "2026-03-28T23:30:00Z",
            "dt == today",
            &[(NOON, "2026-03-28"), (NOON, "2026-03-29")],
            &[F, T],
            &[T, F],
        ),
        // 2026-10-03T14:30Z is 00:30 on the 4th in Sydney (AEST, +10:00).
        (
            "Australia/Sydney",
            "2026-10-03T14:30:00Z",
            "dt == today",
            &[(NOON, "2026-10-03"), (NOON, "2026-10-04")],
            &[F, T],
            &[T, F],
        ),
        // Kolkata is +05:30: 18:29:59Z is still the 1st, 18:30Z the 2nd.
        (
            "Asia/Kolkata",
            "2026-01-01T18:29:59Z",
            "dt == today",
            &[(NOON, "2026-01-01"), (NOON, "2026-01-02")],
            &[T, F],
            &[T, F],
        ),
        (
            "Asia/Kolkata",
            "2026-01-01T18:30:00Z",
            "dt == today",
            &[(NOON, "2026-01-01"), (NOON, "2026-01-02")],
            &[F, T],
            &[T, F],
        ),
        // Kathmandu is +05:45.
        (
            "Asia/Kathmandu",
            "2026-01-01T18:15:00Z",
            "dt == today",
            &[(NOON, "2026-01-01"), (NOON, "2026-01-02")],
            &[F, T],
            &[T, F],
        ),
        // `days_since(date)` is `today - d`, so it follows the zone.
        (
            "Europe/Berlin",
            "2026-03-28T23:30:00Z",
            "days_since(dt) == 0",
            &[(NOON, "2026-03-28"), (NOON, "2026-03-29")],
            &[F, T],
            &[T, F],
        ),
        // Calendar steps from a local today.
        (
            "Australia/Sydney",
            "2026-10-03T14:30:00Z",
            "dt within 1 month",
            &[(NOON, "2026-09-03"), (NOON, "2026-09-04")],
            &[F, T],
            &[T, T],
        ),
    ]);
}

#[test]
fn months_ago_steps_the_local_calendar() {
    check(&[
        // Berlin, as_of 02:30 CEST on 29 April: a month earlier is 02:30 on
        // 29 March, which the spring-forward gap skips; it moves forward by
        // the gap to 03:30 CEST = 01:30Z. (UTC: 00:30Z.)
        (
            "Europe/Berlin",
            "2026-04-29T00:30:00Z",
            "ts >= 1 month ago",
            &[
                ("2026-03-29T00:29:59Z", ANY),
                ("2026-03-29T01:29:59Z", ANY),
                ("2026-03-29T01:30:00Z", ANY),
            ],
            &[F, F, T],
            &[F, T, T],
        ),
        // Berlin, as_of 02:30 CET on 25 November: a month earlier is 02:30
        // on 25 October, shown twice; the earlier is 00:30Z (CEST).
        (
            "Europe/Berlin",
            "2026-11-25T01:30:00Z",
            "ts >= 1 month ago",
            &[
                ("2026-10-25T00:29:59Z", ANY),
                ("2026-10-25T00:30:00Z", ANY),
                ("2026-10-25T01:30:00Z", ANY),
            ],
            &[F, T, T],
            &[F, F, T],
        ),
        // Sydney, as_of 02:30 AEDT on 4 November: a month earlier is 02:30
        // on 4 October, skipped (AEST → AEDT): read at +10:00, 16:30Z on the
        // 3rd.
        (
            "Australia/Sydney",
            "2026-11-03T15:30:00Z",
            "ts >= 1 month ago",
            &[("2026-10-03T16:29:59Z", ANY), ("2026-10-03T16:30:00Z", ANY)],
            &[F, T],
            &[T, T],
        ),
        // Sydney, as_of 02:30 AEST on 5 May: a month earlier is 02:30 on 5
        // April, shown twice; the earlier is in AEDT (+11:00), 15:30Z.
        (
            "Australia/Sydney",
            "2026-05-04T16:30:00Z",
            "ts >= 1 month ago",
            &[("2026-04-04T15:29:59Z", ANY), ("2026-04-04T15:30:00Z", ANY)],
            &[F, T],
            &[F, F],
        ),
        // Years step the local calendar too, clamped to the month's end:
        // Kolkata 2028-02-29 00:10 (18:40Z on the 28th) a year back is
        // 2027-02-28 00:10 = 2027-02-27T18:40Z.
        (
            "Asia/Kolkata",
            "2028-02-28T18:40:00Z",
            "ts >= 1 year ago",
            &[("2027-02-27T18:39:59Z", ANY), ("2027-02-27T18:40:00Z", ANY)],
            &[F, T],
            &[F, F],
        ),
    ]);
}

#[test]
fn fixed_durations_stay_fixed() {
    check(&[
        // Berlin's 29 March has 23 hours; `1 day ago` is still 24 hours.
        (
            "Europe/Berlin",
            "2026-03-29T12:00:00Z",
            "ts within 1 day",
            &[("2026-03-28T11:59:59Z", ANY), ("2026-03-28T12:00:00Z", ANY)],
            &[F, T],
            &[F, T],
        ),
        (
            "Australia/Sydney",
            "2026-04-05T12:00:00Z",
            "ts >= 2 weeks ago and ts < 3 hours ago",
            &[
                ("2026-03-22T11:59:59Z", ANY),
                ("2026-03-22T12:00:00Z", ANY),
                ("2026-04-05T09:00:00Z", ANY),
            ],
            &[F, T, F],
            &[F, T, F],
        ),
        // `days_since(timestamp)` counts 24-hour days from the instant.
        (
            "Asia/Kathmandu",
            "2026-01-02T00:00:00Z",
            "days_since(ts) == 1",
            &[("2026-01-01T00:00:00Z", ANY), ("2026-01-01T00:00:01Z", ANY)],
            &[T, F],
            &[T, F],
        ),
    ]);
}

#[test]
fn dates_against_timestamps_are_local_midnight() {
    check(&[
        // Midnight of 29 March in Berlin is 23:00Z on the 28th (CET).
        (
            "Europe/Berlin",
            NOON,
            "ts >= 2026-03-29",
            &[("2026-03-28T22:59:59Z", ANY), ("2026-03-28T23:00:00Z", ANY)],
            &[F, T],
            &[F, F],
        ),
        // And of 26 October 23:00Z on the 25th (CET again from 01:00Z).
        (
            "Europe/Berlin",
            NOON,
            "ts before 2026-10-26",
            &[("2026-10-25T22:59:59Z", ANY), ("2026-10-25T23:00:00Z", ANY)],
            &[T, F],
            &[T, T],
        ),
        // A date column against a timestamp column, row by row.
        (
            "Australia/Sydney",
            NOON,
            "ts >= dt",
            &[
                ("2026-10-03T13:59:59Z", "2026-10-04"),
                ("2026-10-03T14:00:00Z", "2026-10-04"),
                ("2026-10-04T12:59:59Z", "2026-10-05"),
                ("2026-10-04T13:00:00Z", "2026-10-05"),
            ],
            &[F, T, F, T],
            &[F, F, F, F],
        ),
        (
            "Asia/Kolkata",
            NOON,
            "ts after 2026-01-01",
            &[("2025-12-31T18:30:00Z", ANY), ("2025-12-31T18:30:01Z", ANY)],
            &[F, T],
            &[F, F],
        ),
        // A midnight in a DST gap moves forward by the gap: São Paulo skipped
        // 00:00-01:00 on 4 November 2018, so that date starts at 01:00 local
        // (-02:00) = 03:00Z.
        (
            "America/Sao_Paulo",
            NOON,
            "ts >= dt",
            &[
                ("2018-11-04T02:59:59Z", "2018-11-04"),
                ("2018-11-04T03:00:00Z", "2018-11-04"),
            ],
            &[F, T],
            &[T, T],
        ),
    ]);
}

#[test]
fn calendar_parts_read_local_time() {
    check(&[
        // 23:00Z on New Year's Eve is midnight of 1 January 2027 in Berlin.
        (
            "Europe/Berlin",
            NOON,
            "year(ts) == 2027 and month(ts) == 1 and day(ts) == 1",
            &[("2026-12-31T22:59:59Z", ANY), ("2026-12-31T23:00:00Z", ANY)],
            &[F, T],
            &[F, F],
        ),
        (
            "Australia/Sydney",
            NOON,
            "day(ts) == 4",
            &[
                ("2026-10-03T13:59:59Z", ANY),
                ("2026-10-03T14:00:00Z", ANY),
                ("2026-10-04T12:59:59Z", ANY),
                ("2026-10-04T13:00:00Z", ANY),
            ],
            &[F, T, T, F],
            &[F, F, T, T],
        ),
        (
            "Asia/Kathmandu",
            NOON,
            "month(ts) == 2",
            &[("2026-01-31T18:14:59Z", ANY), ("2026-01-31T18:15:00Z", ANY)],
            &[F, T],
            &[F, F],
        ),
        // A date's parts do not depend on any zone.
        (
            "Pacific/Kiritimati",
            NOON,
            "day(dt) == 31",
            &[(NOON, "2026-12-31")],
            &[T],
            &[T],
        ),
    ]);
}

#[test]
fn utc_by_any_name_is_v0_1() {
    let conditions = [
        "ts >= 1 month ago",
        "dt == today",
        "ts >= dt",
        "year(ts) == 2026",
        "ts after 2026-03-29",
    ];
    let rows = [
        ("2026-03-28T23:30:00Z", "2026-03-29"),
        ("2026-03-29T00:00:00Z", "2026-03-29"),
        ("2026-04-28T23:59:59Z", "2026-04-29"),
    ];
    for condition in conditions {
        let v01 = truth(None, "2026-04-29T00:30:00Z", condition, &rows);
        for zone in ["UTC", "Etc/UTC"] {
            let zoned = truth(Some(zone), "2026-04-29T00:30:00Z", condition, &rows);
            assert_eq!(zoned, v01, "{zone}: `{condition}`");
        }
    }
}

#[test]
fn an_override_is_the_same_as_a_declaration() {
    let rows = [
        ("2026-03-29T00:29:59Z", "2026-03-28"),
        ("2026-03-29T01:30:00Z", "2026-03-29"),
    ];
    for condition in ["ts >= 1 month ago", "dt == today", "ts >= dt"] {
        let declared = truth(
            Some("Europe/Berlin"),
            "2026-04-29T00:30:00Z",
            condition,
            &rows,
        );
        let mut program = common::program(&source(None, condition));
        program.set_timezone(seg_ir::Zone::parse("Europe/Berlin").unwrap());
        assert_eq!(
            truth_of(&program, "2026-04-29T00:30:00Z", &rows),
            declared,
            "`{condition}`"
        );
        // And the other way: overriding a declared zone with UTC is v0.1.
        let mut program = common::program(&source(Some("Australia/Sydney"), condition));
        program.set_timezone(seg_ir::Zone::UTC);
        assert_eq!(
            truth_of(&program, "2026-04-29T00:30:00Z", &rows),
            truth(None, "2026-04-29T00:30:00Z", condition, &rows),
            "`{condition}`"
        );
    }
}

#[test]
fn a_tests_date_as_of_is_local_midnight() {
    let text = format!(
        "{}test \"t\" {{ as_of 2026-03-29 given {{ ts: 2026-03-29 }} expect yes }}\n",
        source(Some("Europe/Berlin"), "ts >= today")
    );
    let mut program = common::program(&text);
    let test = &program.tests[0];
    assert_eq!(test.as_of, Some(instant("2026-03-28T23:00:00Z")));
    // A `given` date for a timestamp is midnight in the zone too.
    assert_eq!(
        test.given[0].1,
        seg_ir::Const::Timestamp(instant("2026-03-28T23:00:00Z"))
    );
    program.set_timezone(seg_ir::Zone::parse("Asia/Kolkata").unwrap());
    assert_eq!(
        program.tests[0].as_of,
        Some(instant("2026-03-28T18:30:00Z"))
    );
}
