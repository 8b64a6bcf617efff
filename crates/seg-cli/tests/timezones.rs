//! `timezone` and `--tz` from the command line (LANGUAGE.md §7.3): `seg test`
//! with a date `as_of` in a zoned program, `--tz` overriding the declared
//! zone on every command that evaluates or compiles, and an unknown `--tz`
//! as a usage error with a "did you mean".

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{code, seg, text};

/// Rules in Berlin time: a purchase at 23:30Z on 28 March 2026 is on 29
/// March there (00:30 CET), so it is "today" for a test at that date.
const RULES: &str = r#"timezone "Europe/Berlin"

schema {
  id: int key
  signup_date: date
  last_purchase_at: timestamp
}

segment bought_today {
  where last_purchase_at >= today
}

segment new_year_buyers {
  where month(last_purchase_at) == 1 and day(last_purchase_at) == 1
}

segment signed_up_before_purchase {
  where last_purchase_at >= signup_date
}

test "a purchase after local midnight is today's" {
  as_of 2026-03-29
  given { last_purchase_at: 2026-03-28T23:30:00Z }
  expect bought_today
}
"#;

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    std::fs::write(
        dir.path().join("p.csv"),
        "id,signup_date,last_purchase_at\n\
         1,2026-01-01,2025-12-31T23:30:00Z\n\
         2,2026-01-01,2026-01-01T12:00:00Z\n\
         3,2026-03-29,2026-03-28T23:30:00Z\n",
    )
    .unwrap();
    dir
}

#[test]
fn seg_test_reads_a_date_as_of_as_local_midnight() {
    let dir = workspace();
    let out = seg(&["test", "rules.seg"], dir.path());
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("ok "), "{}", text(&out.stdout));
    // In UTC the purchase is on the 28th, before today: the test fails.
    let out = seg(&["test", "rules.seg", "--tz", "UTC"], dir.path());
    assert_eq!(code(&out), 1, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("FAIL"), "{}", text(&out.stdout));
}

#[test]
fn an_unknown_tz_is_a_usage_error_with_the_closest_name() {
    let dir = workspace();
    for command in [
        vec!["run", "rules.seg", "--data", "p.csv"],
        vec!["test", "rules.seg"],
        vec!["explain", "rules.seg"],
        vec!["sql", "rules.seg", "--dialect", "duckdb"],
        vec!["check", "rules.seg", "--target", "duckdb"],
    ] {
        let mut args = command.clone();
        args.extend(["--tz", "Europe/Berln"]);
        let out = seg(&args, dir.path());
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains("unknown time zone `Europe/Berln`"), "{err}");
        assert!(err.contains("did you mean `Europe/Berlin`?"), "{err}");
    }
    let out = seg(&["test", "rules.seg", "--tz", "europe/berlin"], dir.path());
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("did you mean `Europe/Berlin`?"));
}

/// The size `seg run` reports for `segment`.
fn size(summary: &str, segment: &str) -> String {
    summary
        .lines()
        .find(|l| l.split_whitespace().next() == Some(segment))
        .unwrap_or_else(|| panic!("no line for {segment} in\n{summary}"))
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

#[test]
fn seg_run_follows_the_declared_zone_or_tz() {
    let dir = workspace();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "rules.seg",
            "--data",
            "p.csv",
            "--as-of",
            "2026-03-29",
        ];
        args.extend(extra);
        let out = seg(&args, dir.path());
        assert_eq!(code(&out), 0, "{args:?}: {}", text(&out.stderr));
        // The run table is the command's result: it goes to standard output.
        text(&out.stdout)
    };
    // Berlin: profile 1 bought on New Year's Day (00:30 local), profile 3
    // today (the date `--as-of` is Berlin's midnight) and on its signup
    // date (after Berlin's midnight of 29 March).
    let berlin = run(&[]);
    assert_eq!(size(&berlin, "new_year_buyers"), "2", "{berlin}");
    assert_eq!(size(&berlin, "bought_today"), "1", "{berlin}");
    assert_eq!(size(&berlin, "signed_up_before_purchase"), "3", "{berlin}");
    // UTC: profile 1 bought on 31 December, before signing up on 1 January;
    // profile 3 on the 28th, before signing up on the 29th.
    let utc = run(&["--tz", "UTC"]);
    assert_eq!(size(&utc, "new_year_buyers"), "1", "{utc}");
    assert_eq!(size(&utc, "bought_today"), "0", "{utc}");
    assert_eq!(size(&utc, "signed_up_before_purchase"), "1", "{utc}");
}

#[test]
fn sql_targets_follow_the_zone_or_refuse() {
    let dir = workspace();
    let out = seg(&["sql", "rules.seg", "--dialect", "postgres"], dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("AT TIME ZONE 'Europe/Berlin'"),
        "{}",
        text(&out.stdout)
    );
    // Spark turns timestamps into dates in the session's zone: refused,
    // located, naming the zone.
    let out = seg(&["check", "rules.seg", "--target", "spark"], dir.path());
    assert_eq!(code(&out), 1);
    let err = text(&out.stderr);
    assert!(err.contains("error[E0501]"), "{err}");
    assert!(err.contains("in time zone `Europe/Berlin`"), "{err}");
    // In UTC the same program is plain day arithmetic, which Spark runs.
    let out = seg(
        &["check", "rules.seg", "--target", "spark", "--tz", "UTC"],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}
