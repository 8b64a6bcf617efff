//! Fixture tests: every `.seg` file under `tests/fixtures/{parse,check,fmt}` is
//! run through its stage and its output snapshotted with insta.
//!
//! Parse and check fixtures carry a line `# expect: E0101 W0301` (or
//! `# expect: clean`) naming the codes the file must produce, so a fixture
//! fails when a diagnostic appears or disappears, not only when its text changes.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use seg::diagnostics::{Code, FileId, SourceMap};
use seg_cli::render;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The codes named on the fixture's `# expect:` line.
fn expected_codes(text: &str, path: &Path) -> BTreeSet<String> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect:"))
        .unwrap_or_else(|| panic!("{} has no `# expect:` line", path.display()));
    line.split([' ', ','])
        .filter(|w| !w.is_empty() && *w != "clean")
        .map(str::to_string)
        .collect()
}

fn codes_of(diagnostics: &[seg::diagnostics::Diagnostic]) -> BTreeSet<String> {
    diagnostics.iter().map(|d| d.code.to_string()).collect()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Fixture paths relative to the repository root, so snapshots do not depend on
/// where the repository is checked out.
fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(repo_root()).unwrap_or(path).to_path_buf()
}

fn in_repo_root<T>(f: impl FnOnce() -> T) -> T {
    // Tests in this binary run on several threads; all of them that need the
    // repository root as the working directory set the same one.
    std::env::set_current_dir(repo_root()).unwrap();
    f()
}

#[test]
fn parse_fixtures() {
    insta::glob!("../../../tests/fixtures/parse", "*.seg", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let mut sources = SourceMap::new();
        let file = sources.add(relative(path), text.as_str());
        let parsed = seg::syntax::parse(&text, file);
        assert_eq!(
            codes_of(&parsed.diagnostics),
            expected_codes(&text, path),
            "{}",
            path.display()
        );
        let report = format!(
            "{}\n{}",
            seg::syntax::ast::dump(&parsed.file),
            render::human(&parsed.diagnostics, &sources, false)
        );
        insta::assert_snapshot!(report);
    });
}

/// Fixtures share `tests/fixtures/profile_schema.seg`, one directory above
/// them, so `use` may read the whole fixtures tree (as `--root tests/fixtures`).
fn fixtures_loader() -> seg::FsLoader {
    seg::FsLoader {
        scope: seg::UseScope::Directory(PathBuf::from("tests/fixtures")),
    }
}

#[test]
fn check_fixtures() {
    in_repo_root(|| {
        insta::glob!("../../../tests/fixtures/check", "*.seg", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let checked = seg::check_program(&relative(path), &fixtures_loader());
            assert_eq!(
                codes_of(&checked.diagnostics),
                expected_codes(&text, path),
                "{}",
                path.display()
            );
            insta::assert_snapshot!(render::human(&checked.diagnostics, &checked.sources, false));
        });
    });
}

/// Optimizer fixtures: the findings, then `seg explain` at a fixed instant
/// (checked and optimized conditions, every rewrite).
#[test]
fn opt_fixtures() {
    in_repo_root(|| {
        insta::glob!("../../../tests/fixtures/opt", "*.seg", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let checked = seg::check_program(&relative(path), &fixtures_loader());
            assert_eq!(
                codes_of(&checked.diagnostics),
                expected_codes(&text, path),
                "{}",
                path.display()
            );
            let program = checked.program.as_ref().unwrap();
            let as_of = 1_795_478_400_000_000; // 2026-11-24T00:00:00Z
            let query =
                seg::Query::prepare(program, &seg::RunOptions::default().as_of(as_of)).unwrap();
            let all: Vec<seg::ir::SegmentId> = (0..query.executed().segments.len())
                .map(|i| seg::ir::SegmentId(i as u32))
                .collect();
            let findings: Vec<&seg::diagnostics::Diagnostic> = checked.diagnostics.iter().collect();
            let report = format!(
                "{}\n{}",
                render::human(&checked.diagnostics, &checked.sources, false),
                seg_cli::commands::explain::text(&query, &all, &findings)
            );
            insta::assert_snapshot!(report);
        });
    });
}

#[test]
fn fmt_fixtures() {
    insta::glob!("../../../tests/fixtures/fmt", "*.seg", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let parsed = seg::syntax::parse(&text, FileId(0));
        assert!(
            !parsed.has_errors(),
            "{}: {:?}",
            path.display(),
            parsed.diagnostics
        );
        let once = seg::syntax::format_file(&parsed.file, &text);
        let reparsed = seg::syntax::parse(&once, FileId(0));
        assert!(
            !reparsed.has_errors(),
            "formatted text does not parse:\n{once}"
        );
        assert_eq!(
            seg::syntax::ast::dump(&reparsed.file),
            seg::syntax::ast::dump(&parsed.file),
            "formatting changed the meaning"
        );
        assert_eq!(
            reparsed.file.comments.len(),
            parsed.file.comments.len(),
            "a comment was lost"
        );
        let twice = seg::syntax::format_file(&reparsed.file, &once);
        assert_eq!(once, twice, "formatting is not idempotent");
        insta::assert_snapshot!(once);
    });
}

/// SQL target fixtures: each file names its `# target:` dialect; the
/// program checks, and `seg check --target` reports exactly the expected
/// refusals, rendered as the user sees them.
#[test]
fn sql_fixtures() {
    in_repo_root(|| {
        insta::glob!("../../../tests/fixtures/sql", "*.seg", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let name = text
                .lines()
                .find_map(|l| l.strip_prefix("# target:"))
                .unwrap_or_else(|| panic!("{} has no `# target:` line", path.display()))
                .trim();
            let target = seg::sql::Dialect::from_name(name).unwrap();
            let checked = seg::check_program(&relative(path), &fixtures_loader());
            assert!(!checked.has_errors(), "{}", path.display());
            let refusals = seg::sql::check(checked.program.as_ref().unwrap(), target);
            assert_eq!(
                codes_of(&refusals),
                expected_codes(&text, path),
                "{}",
                path.display()
            );
            insta::assert_snapshot!(render::human(&refusals, &checked.sources, false));
        });
    });
}

/// Every code has a section in docs/diagnostics.md and is produced by at least
/// one parse or check fixture, or by a named test for the few codes only the
/// command line or the file system can produce.
#[test]
fn every_code_is_documented_and_has_a_fixture() {
    let root = repo_root();
    let docs = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    let mut covered = BTreeSet::new();
    for dir in [
        "tests/fixtures/parse",
        "tests/fixtures/check",
        "tests/fixtures/opt",
        "tests/fixtures/sql",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "seg") {
                let text = std::fs::read_to_string(&path).unwrap();
                covered.extend(expected_codes(&text, &path));
            }
        }
    }
    // Codes that cannot come from one fixture file, with the test that covers them.
    let elsewhere = [
        ("E0006", "limits::file_size_limit"),
        ("E0007", "limits::node_limit"),
        ("E0008", "limits::list_length_limit"),
        ("E0210", "patterns::a_program_at_and_past_the_total_limit"),
        ("E0401", "run::missing_column_is_a_binding_error"),
        ("E0402", "run::ill_typed_column_is_a_binding_error"),
        ("E0403", "run::corrupt_data_is_reported"),
        ("E0404", "run::param_overrides_are_type_checked"),
        ("E0405", "run::param_overrides_are_type_checked"),
        ("E0406", "run::as_of_is_validated"),
        ("E0407", "run::unknown_segments_are_rejected"),
        ("E0408", "readers::duplicate_column_names_are_ambiguous"),
        (
            "E0409",
            "readers::text_decimals_do_not_depend_on_batch_rows",
        ),
        ("E0410", "why::a_key_of_the_wrong_type_is_a_usage_error"),
        ("E0411", "why::an_unknown_key_is_an_input_error_with_a_hint"),
        ("E0801", "cli::missing_path_is_an_io_error"),
        ("E0802", "cli::non_utf8_file_is_reported"),
        ("E0803", "files::out_equal_to_data_is_refused"),
        ("E0804", "files::fmt_refuses_a_read_only_file"),
        ("E0901", "internal errors have no trigger by design"),
    ];
    let mut problems = Vec::new();
    for code in Code::ALL {
        let code = code.as_str();
        if !docs.contains(&format!("## {code}")) {
            problems.push(format!(
                "{code} has no `## {code}` section in docs/diagnostics.md"
            ));
        }
        if !covered.contains(code) && !elsewhere.iter().any(|(c, _)| *c == code) {
            problems.push(format!("{code} has no fixture"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
