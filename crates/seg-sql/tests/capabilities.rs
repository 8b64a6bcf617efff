//! `docs/sql.md`'s capability table is what the targets refuse: every cell
//! is checked against `seg_sql::check` with a program using its row's
//! construct, so the table and the compiler cannot drift apart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use seg_diagnostics::Code;
use seg_sql::Dialect;
use std::path::Path;

const SCHEMA: &str = "schema {\n  id: int key\n  s: string\n  f: float\n  d: decimal\n  dt: date\n  ts: timestamp\n  ls: list<string>\n  h: list<{ n: int, x: float, a: decimal }>\n}\n";

/// A probe starting with this runs in a program declaring `timezone
/// "Europe/Berlin"`.
const ZONED: &str = "zoned:";

/// The conditions that exercise a row, by the start of its first cell. A
/// row with a limit (`above 1000`) has a probe below and one above it.
fn probes(row: &str) -> Vec<(&'static str, Option<u32>)> {
    let p = |c: &'static str| (c, None);
    if row.starts_with("`lower`") {
        vec![p("lower(s) == \"x\""), p("upper(s) == \"X\"")]
    } else if row.starts_with("`%` of floats") {
        vec![p("f % 2.5 > 1")]
    } else if row.starts_with("the product `*` of decimals") {
        vec![p("d * d > 1")]
    } else if row.starts_with("`is missing`") {
        vec![p("ls is missing"), p("ls is present")]
    } else if row.contains("word boundary") {
        vec![p("s matches \"\\\\bport\\\\b\""), p("s matches \"\\\\B\"")]
    } else if row.contains("line anchor") {
        vec![p("s matches \"(?m)^a\""), p("s matches \"(?m)a$\"")]
    } else if row.contains("repetition count") {
        vec![
            ("s matches \"a{255}\"", Some(255)),
            ("s matches \"a{256}\"", Some(256)),
            ("s matches \"a{1000}\"", Some(1000)),
            ("s matches \"a{1001}\"", Some(1001)),
        ]
    } else if row.contains("starts or ends at") {
        vec![p("s matches \"[\\\\]a]\""), p("s matches \"[a-]\"")]
    } else if row.contains("U+0000") {
        vec![p("s == \"a\\u{0}b\"")]
    } else if row.contains("date constant outside") {
        vec![p("dt > 2900000 days ago")]
    } else if row.starts_with("`year`/`month`/`day` of a timestamp") {
        vec![
            p("zoned:year(ts) == 2026"),
            p("zoned:month(ts) == 1"),
            p("zoned:day(ts) == 1"),
        ]
    } else if row.starts_with("a date column compared with a timestamp") {
        vec![p("zoned:ts >= dt")]
    } else if row.starts_with("an aggregate over an event history") {
        vec![p("count(h where n > 1) >= 2"), p("sum(h.x) > 1.0")]
    } else if row.starts_with("`avg` of an int or decimal history field") {
        vec![p("avg(h.n) > 1.5"), p("avg(h.a) > 1.5")]
    } else if row.contains("4 MB") {
        vec![("DOUBLING", None)]
    } else {
        panic!("no probe for the row `{row}`")
    }
}

/// The program of one probe.
fn program(condition: &str) -> seg_ir::Program {
    let mut text = SCHEMA.to_string();
    if let Some(condition) = condition.strip_prefix(ZONED) {
        text.insert_str(0, "timezone \"Europe/Berlin\"\n");
        text.push_str(&format!("segment probe {{ where {condition} }}\n"));
    } else if condition == "DOUBLING" {
        text.push_str("segment s0 { where s == \"a long enough city name to grow quickly\" }\n");
        for k in 1..20 {
            text.push_str(&format!(
                "segment s{k} {{ where s{} or (s{} and f > {k}) }}\n",
                k - 1,
                k - 1
            ));
        }
    } else {
        text.push_str(&format!("segment probe {{ where {condition} }}\n"));
    }
    seg_testkit::program(&text)
}

/// What a cell says a probe gives: `None` for accepted, or the code.
fn expected(cell: &str, repeat: Option<u32>) -> Option<Code> {
    let cell = cell.trim();
    if let Some(limit) = cell.strip_prefix("above ") {
        let limit: u32 = limit.trim().parse().unwrap();
        return (repeat.unwrap() > limit).then_some(Code::E0502);
    }
    if cell.starts_with('✓') {
        return None;
    }
    let code = cell.split_whitespace().next().unwrap();
    Some(
        *Code::ALL
            .iter()
            .find(|c| c.as_str() == code)
            .unwrap_or_else(|| panic!("`{cell}` is not a code")),
    )
}

#[test]
fn the_capability_table_is_what_check_target_reports() {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/sql.md"))
            .unwrap();
    let table = docs
        .split("## What each target refuses")
        .nth(1)
        .unwrap()
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect::<Vec<_>>();
    let header: Vec<&str> = table[0].split('|').map(str::trim).collect();
    let dialects: Vec<Dialect> = header[2..header.len() - 1]
        .iter()
        .map(|name| {
            Dialect::ALL
                .into_iter()
                .find(|d| d.title() == *name)
                .unwrap_or_else(|| panic!("unknown dialect column {name}"))
        })
        .collect();
    assert_eq!(dialects.len(), Dialect::ALL.len());
    let mut cells = 0;
    for row in &table[2..] {
        let parts: Vec<&str> = row.split('|').map(str::trim).collect();
        let construct = parts[1];
        for (condition, repeat) in probes(construct) {
            let program = program(condition);
            for (dialect, cell) in dialects.iter().zip(&parts[2..]) {
                let want = expected(cell, repeat);
                let got: Vec<Code> = seg_sql::check(&program, *dialect)
                    .iter()
                    .map(|d| d.code)
                    .collect();
                match want {
                    None => assert!(
                        got.is_empty(),
                        "{construct} ({condition}) on {dialect}: the table says ✓, check gives {got:?}"
                    ),
                    Some(code) => assert!(
                        !got.is_empty() && got.iter().all(|c| *c == code),
                        "{construct} ({condition}) on {dialect}: the table says {code:?}, check gives {got:?}"
                    ),
                }
                cells += 1;
            }
        }
    }
    assert!(cells >= 100, "{cells} cells checked");
}
