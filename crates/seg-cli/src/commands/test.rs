//! `seg test [FILES or DIRS]...`: run the `test` blocks of rule files.
//!
//! Each test builds one profile from its `given` fields (the others missing),
//! evaluates every segment at the test's `as_of` (or `--as-of`, or now), and
//! checks each `expect`. A failure shows the expectation, what the segment's
//! `where` and `exclude` evaluated to, and the values of the fields involved.

use crate::Outcome;
use crate::files::expand;
use crate::render;
use std::collections::HashSet;
use std::path::PathBuf;

/// Arguments of `seg test`.
#[derive(clap::Args)]
pub struct Args {
    /// Rule files, or directories to search for `.seg` files [default: .]
    paths: Vec<PathBuf>,
    /// The instant for tests without their own `as_of` [default: now].
    #[arg(long)]
    as_of: Option<String>,
    #[command(flatten)]
    uses: crate::commands::UseArgs,
    #[command(flatten)]
    tz: crate::commands::TzArg,
    /// Output format: `human` lines, a `json` document or `junit` XML for
    /// CI test reports, all on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: TestFormat,
}

/// Output formats of `seg test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// `ok`/`FAIL` lines and a count.
    Human,
    /// One JSON document (schema in docs/ci.md).
    Json,
    /// JUnit XML: a testsuite per file, a testcase per test block.
    Junit,
}

/// One test block's result.
#[derive(Debug, serde::Serialize)]
pub struct TestResult {
    /// The test's description.
    pub name: String,
    /// The line of `test` in its file.
    pub line: u32,
    /// Each `expect`: the segment and whether the profile should be in it.
    pub expectations: Vec<ExpectationResult>,
    /// True when every expectation held.
    pub passed: bool,
    /// Why it failed: one message per expectation that did not hold, or the
    /// internal error that kept it from running.
    pub failures: Vec<String>,
    /// True when the test could not run at all (an internal error), which
    /// JUnit reports as an `<error>` rather than a `<failure>`.
    pub error: bool,
}

/// One `expect` line.
#[derive(Debug, serde::Serialize)]
pub struct ExpectationResult {
    /// The segment.
    pub segment: String,
    /// `true` for `expect s`, `false` for `expect not s`.
    pub member: bool,
}

/// The results of one file's test blocks.
#[derive(Debug, serde::Serialize)]
pub struct FileResults {
    /// The file, as the user named it.
    pub file: String,
    /// True when the program rooted here has errors, so its tests did not
    /// run (the diagnostics are on stderr).
    pub rules_have_errors: bool,
    /// Its test blocks, in order.
    pub tests: Vec<TestResult>,
}

impl FileResults {
    fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.passed).count()
    }

    fn failed(&self) -> usize {
        self.tests.iter().filter(|t| !t.passed && !t.error).count()
    }

    fn errors(&self) -> usize {
        self.tests.iter().filter(|t| t.error).count() + usize::from(self.rules_have_errors)
    }
}

/// The results for `file`, created in the order files are first met.
fn file_entry<'a>(files: &'a mut Vec<FileResults>, file: &str) -> &'a mut FileResults {
    let index = match files.iter().position(|f| f.file == file) {
        Some(i) => i,
        None => {
            files.push(FileResults {
                file: file.to_string(),
                rules_have_errors: false,
                tests: Vec::new(),
            });
            files.len() - 1
        }
    };
    &mut files[index]
}

/// Runs `seg test`.
pub fn run(args: &Args) -> Outcome {
    let color = crate::commands::check::Color::Auto.enabled();
    let now = seg::RunOptions::default().as_of(chrono::Utc::now().timestamp_micros());
    let as_of = match &args.as_of {
        Some(text) => match now.as_of_text(text) {
            Ok(options) => options,
            Err(e) => {
                eprintln!("error[{}]: {}", e.code, e.message);
                return Outcome::Failure;
            }
        },
        None => now,
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (files, io_errors) = expand(&paths);
    for error in &io_errors {
        eprintln!("error[E0801]: {error}");
    }
    let mut results: Vec<FileResults> = Vec::new();
    // A test in a file used by several roots runs once.
    let mut seen = HashSet::new();
    for file in &files {
        let checked = args.uses.check(file);
        if checked.has_errors() {
            eprint!("{}", render::human_checked(&checked, color));
            file_entry(&mut results, &render::display_path(file)).rules_have_errors = true;
            continue;
        }
        let Some(program) = &checked.program else {
            continue;
        };
        let program = &args.tz.apply(program);
        for test in &program.tests {
            let Some(source) = checked.sources.get(test.span.file) else {
                continue;
            };
            if !seen.insert((source.path.clone(), test.span.start)) {
                continue;
            }
            let line = source.line_col(test.span.start as usize).line;
            let expectations = test
                .expects
                .iter()
                .map(|e| ExpectationResult {
                    segment: program
                        .segments
                        .get(e.segment.0 as usize)
                        .map(|s| s.name.clone())
                        .unwrap_or_default(),
                    member: e.member,
                })
                .collect();
            let (failures, error) = match seg::testing::run_test(program, test, &as_of) {
                Ok(failures) => (failures.iter().map(failure_text).collect(), false),
                Err(internal) => (vec![format!("internal error: {internal}")], true),
            };
            let result = TestResult {
                name: test.name.clone(),
                line,
                expectations,
                passed: failures.is_empty(),
                failures,
                error,
            };
            if args.format == TestFormat::Human {
                // Printed as each test ends, so a long suite shows progress.
                crate::out!("{}", human(&render::display_path(&source.path), &result));
            }
            file_entry(&mut results, &render::display_path(&source.path))
                .tests
                .push(result);
        }
    }
    let passed: usize = results.iter().map(FileResults::passed).sum();
    let failed = results.iter().map(|f| f.tests.len()).sum::<usize>() - passed;
    match args.format {
        TestFormat::Human => crate::outln!("{passed} passed, {failed} failed"),
        TestFormat::Json => crate::outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "version": 1,
                "passed": passed,
                "failed": failed,
                "files": results,
            }))
            .unwrap_or_default()
        ),
        TestFormat::Junit => crate::out!("{}", junit(&results)),
    }
    let rules_failed = results.iter().any(|f| f.rules_have_errors);
    if !io_errors.is_empty() {
        Outcome::Failure
    } else if failed > 0 || rules_failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

/// The human lines of one test: `ok` or `FAIL`, the place and the name, then
/// each failure indented.
fn human(file: &str, result: &TestResult) -> String {
    let place = format!("{file}:{}", result.line);
    if result.passed {
        return format!("ok    {place}  {}\n", result.name);
    }
    let mut out = format!("FAIL  {place}  {}\n", result.name);
    for failure in &result.failures {
        out.push_str(&format!("      {failure}\n"));
    }
    out
}

/// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test-report
/// actions): a `testsuite` per file, a `testcase` per test block with a
/// `failure` (an expectation did not hold) or an `error` (the test or the
/// file's rules could not run).
pub fn junit(files: &[FileResults]) -> String {
    use seg::present::escape_xml_attribute as x;
    let total: usize = files.iter().map(|f| f.tests.len()).sum();
    let failures: usize = files.iter().map(FileResults::failed).sum();
    let errors: usize = files.iter().map(FileResults::errors).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"seg test\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        total + files.iter().filter(|f| f.rules_have_errors).count()
    ));
    for file in files {
        let name = x(&file.file);
        out.push_str(&format!(
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
            file.tests.len() + usize::from(file.rules_have_errors),
            file.failed(),
            file.errors()
        ));
        if file.rules_have_errors {
            out.push_str(&format!(
                "    <testcase name=\"(rules)\" classname=\"{name}\" file=\"{name}\">\n      <error message=\"the rules have errors; no test ran\" type=\"rules\"/>\n    </testcase>\n"
            ));
        }
        for test in &file.tests {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{name}\" file=\"{name}\" line=\"{}\"",
                x(&test.name),
                test.line
            ));
            if test.passed {
                out.push_str("/>\n");
                continue;
            }
            let (element, kind) = if test.error {
                ("error", "internal")
            } else {
                ("failure", "expectation")
            };
            // The message attribute is the first line (what a CI summary
            // shows); the element's text has every failure in full.
            let message = test
                .failures
                .first()
                .and_then(|f| f.lines().next())
                .unwrap_or_default();
            out.push_str(&format!(
                ">\n      <{element} message=\"{}\" type=\"{kind}\">{}</{element}>\n    </testcase>\n",
                x(message),
                x(&test.failures.join("\n"))
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A failed expectation as every format shows it: the message, then the
/// conditions' tree as `seg why` draws it (without colour: the same text goes
/// to JSON and JUnit).
fn failure_text(failure: &seg::testing::Failure) -> String {
    let mut text = failure.message.clone();
    if let Some(conditions) = &failure.conditions {
        for line in crate::commands::why::conditions_human(conditions, false).lines() {
            text.push_str(&format!("\n      {line}"));
        }
    }
    text
}
