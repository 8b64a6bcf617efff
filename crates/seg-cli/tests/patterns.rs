//! Limits on the memory of `matches` patterns (issue 9, item 7), each tested
//! at the limit and one past it: per pattern (E0209) and per program (E0210).
//! Before them, 200 patterns like `\w{150}x` took 2.1 GB before a row was read.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use seg::diagnostics::Code;
use seg::ir::pattern::{self, PATTERN_LIMIT, PROGRAM_LIMIT};
use std::path::Path;
use std::time::{Duration, Instant};

/// A program of one segment per pattern, `p{i} { where s matches "..." }`.
fn program(patterns: &[String]) -> String {
    let mut text = String::from("schema {\n  s: string\n}\n");
    for (i, p) in patterns.iter().enumerate() {
        // In Seg source a backslash is written `\\`.
        let literal = p.replace('\\', "\\\\");
        text.push_str(&format!(
            "segment p{i} {{\n  where s matches \"{literal}\"\n}}\n"
        ));
    }
    text
}

/// The codes of checking `text`, with the 1-based line of each.
fn codes(text: &str) -> Vec<(Code, usize)> {
    let checked = seg::check_source(Path::new("patterns.seg"), text);
    checked
        .diagnostics
        .iter()
        .map(|d| (d.code, text[..d.span.start as usize].lines().count()))
        .collect()
}

/// The line of pattern `i` in [`program`]'s text.
fn line_of(i: usize) -> usize {
    3 + 3 * i + 2
}

#[test]
fn one_pattern_at_and_past_the_size_limit() {
    // `\w` is a class of over 100,000 characters: the automaton of 40 in a
    // row is just under the limit (every engine together takes a little
    // more), that of 45 past it.
    assert!(pattern::compile(r"\w{40}x").unwrap().bytes() > PATTERN_LIMIT);
    assert_eq!(codes(&program(&[r"\w{40}x".into()])), vec![]);
    assert_eq!(
        codes(&program(&[r"\w{45}x".into()])),
        vec![(Code::E0209, line_of(0))]
    );
    // An ASCII class of the same length is small.
    assert_eq!(codes(&program(&[r"[a-z0-9_]{150}x".into()])), vec![]);
}

#[test]
fn a_program_at_and_past_the_total_limit() {
    // Distinct patterns each near the per-pattern limit: as many as fit in
    // the program's budget, then one more.
    let patterns: Vec<String> = (0..40).map(|i| format!(r"\w{{40}}{i}")).collect();
    let mut total = 0;
    let mut fit = 0;
    for p in &patterns {
        let bytes = pattern::compile(p).unwrap().bytes();
        if total + bytes > PROGRAM_LIMIT {
            break;
        }
        total += bytes;
        fit += 1;
    }
    assert!(fit > 10 && fit < patterns.len(), "{fit}");
    assert_eq!(codes(&program(&patterns[..fit])), vec![]);
    assert_eq!(
        codes(&program(&patterns[..=fit])),
        vec![(Code::E0210, line_of(fit))]
    );
    // A pattern used again costs nothing more.
    let mut again = patterns[..fit].to_vec();
    again.extend(patterns[..fit].iter().cloned());
    assert_eq!(codes(&program(&again)), vec![]);
    // Past the budget, later patterns are still checked for syntax.
    let mut broken = patterns[..=fit].to_vec();
    broken.push("(unclosed".into());
    assert_eq!(
        codes(&program(&broken)),
        vec![(Code::E0210, line_of(fit)), (Code::E0204, line_of(fit + 1))]
    );
}

#[test]
fn the_message_names_the_pattern_cut_to_80_characters() {
    let long = format!(r"\w{{45}}{}", "y".repeat(200));
    let checked = seg::check_source(Path::new("patterns.seg"), &program(&[long]));
    let message = &checked.diagnostics[0].message;
    assert!(message.contains(r"`\w{45}yyyy"), "{message}");
    assert!(message.contains("…`"), "{message}");
    assert!(message.chars().count() < 160, "{message}");
}

/// The file of the issue: 200 segments `s matches "\\w{150}x…"` (9 KB).
fn hostile_file() -> String {
    let patterns: Vec<String> = (0..200).map(|i| format!(r"\w{{150}}x{i}")).collect();
    program(&patterns)
}

#[test]
fn two_hundred_huge_patterns_fail_fast_with_a_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("huge.seg"), hostile_file()).unwrap();
    std::fs::write(dir.path().join("data.csv"), "s\nabc\n").unwrap();
    for args in [
        vec!["check", "huge.seg"],
        vec!["run", "huge.seg", "--data", "data.csv"],
    ] {
        let started = Instant::now();
        let output = common::seg(&args, dir.path());
        let elapsed = started.elapsed();
        let stderr = common::stderr(&output);
        assert_ne!(common::code(&output), 0, "{stderr}");
        assert!(stderr.contains("error[E0209]"), "{stderr}");
        // Each pattern too large counts as the per-pattern limit, so the
        // 33rd takes the program past its budget; the rest are only parsed.
        let allowed = PROGRAM_LIMIT / PATTERN_LIMIT + 1;
        assert_eq!(stderr.matches("error[E0209]").count(), allowed, "{stderr}");
        assert_eq!(stderr.matches("error[E0210]").count(), 1, "{stderr}");
        // Seconds, not the minutes and gigabytes of compiling every pattern
        // (a debug build; release takes about a fifth of a second).
        assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    }
}

#[test]
fn a_pattern_too_large_is_shown_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("huge.seg"),
        "schema {\n  email: string\n}\n\nsegment long_words {\n  where email matches \"\\\\w{150}x\"\n}\n",
    )
    .unwrap();
    let output = common::seg(&["check", "huge.seg"], dir.path());
    assert_eq!(common::code(&output), 1);
    insta::assert_snapshot!(common::stderr(&output));
}

#[test]
fn a_param_override_of_a_pattern_is_held_to_the_same_limits() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.seg"),
        "schema {\n  s: string\n}\nparam p = \"^a\"\nsegment m {\n  where s matches p\n}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("data.csv"), "s\nabc\nxyz\n").unwrap();
    let run = |value: &str, engine: &str| {
        let param = format!("p={value}");
        common::seg(
            &[
                "run",
                "rules.seg",
                "--data",
                "data.csv",
                "--param",
                &param,
                "--engine",
                engine,
            ],
            dir.path(),
        )
    };
    for engine in ["interp", "jit"] {
        let ok = run("^x", engine);
        assert_eq!(common::code(&ok), 0, "{}", common::stderr(&ok));
        let huge = run(r"\w{150}x", engine);
        let stderr = common::stderr(&huge);
        assert_ne!(common::code(&huge), 0, "{stderr}");
        assert!(stderr.contains("E0404"), "{stderr}");
        assert!(stderr.contains("more than 2 MiB"), "{stderr}");
        let broken = run("(a", engine);
        let stderr = common::stderr(&broken);
        assert!(
            stderr.contains("E0404") && stderr.contains("unclosed group"),
            "{stderr}"
        );
    }
}
