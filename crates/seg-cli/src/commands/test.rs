//! `seg test [FILES or DIRS]...`: run the `test` blocks of rule files.
//!
//! Each test builds one profile from its `given` fields (the others missing),
//! evaluates every segment at the test's `as_of` (or `--as-of`, or now), and
//! checks each `expect`. A failure shows the expectation, what the segment's
//! `where` and `exclude` evaluated to, and the values of the fields involved.

use crate::Outcome;
use crate::files::expand;
use crate::render;
use seg::ir::{Const, Program, Test};
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
}

fn truth(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown",
    }
}

/// A constant as a user would write it.
fn show(value: &Const) -> String {
    match value {
        Const::Int(v) => v.to_string(),
        Const::Float(v) => v.to_string(),
        Const::Decimal { unscaled, scale } => {
            let digits = unscaled.unsigned_abs().to_string();
            let scale = usize::from(*scale);
            let sign = if *unscaled < 0 { "-" } else { "" };
            if scale == 0 {
                format!("{sign}{digits}")
            } else {
                let padded = format!("{digits:0>width$}", width = scale + 1);
                let (int, frac) = padded.split_at(padded.len() - scale);
                format!("{sign}{int}.{frac}")
            }
        }
        Const::Bool(v) => v.to_string(),
        Const::String(s) => format!("{s:?}"),
        Const::Date(d) => seg::format_instant(i64::from(*d) * 86_400_000_000)
            .split('T')
            .next()
            .unwrap_or_default()
            .to_string(),
        Const::Timestamp(t) => seg::format_instant(*t),
        Const::ListString(items) => format!("{items:?}"),
        Const::ListInt(items) => format!("{items:?}"),
        Const::Duration(d) => format!("{} {:?}", d.amount, d.unit).to_lowercase(),
        c @ Const::Records { .. } => seg::ir::const_text(c),
    }
}

/// Runs one test; returns the failure messages (empty when it passes).
fn run_test(
    program: &Program,
    test: &Test,
    default: &seg::RunOptions,
) -> Result<Vec<String>, String> {
    let batch =
        seg::eval::profile_batch(&program.schema, &test.given).map_err(|e| e.to_string())?;
    // The program as checked, on the reference evaluator: a failure shows
    // what the conditions the user wrote evaluate to.
    // The test's own `as_of` (a date already at midnight in the program's
    // zone), or `--as-of` (a date there becomes midnight in that zone).
    let options = match test.as_of {
        Some(t) => seg::RunOptions::default().as_of(t),
        None => default.clone(),
    }
    .optimize(false);
    let query = seg::Query::prepare(program, &options).map_err(|e| e.message)?;
    let binding = query
        .bind(&batch.schema())
        .map_err(|d| d.first().map(|d| d.message.clone()).unwrap_or_default())?;
    let membership = query
        .compile(seg::Engine::Interp, &binding)
        .and_then(|executor| executor.evaluate(&batch))
        .map_err(|d| d.message)?;
    let mut failures = Vec::new();
    for expect in &test.expects {
        let member = membership.segments[expect.segment.0 as usize].value(0);
        if member == expect.member {
            continue;
        }
        let segment = &program.segments[expect.segment.0 as usize];
        let (where_, exclude) = query
            .evaluator()
            .conditions(binding.columns(), &batch, expect.segment)
            .map_err(|d| d.message)?;
        let mut why = format!("`where` is {}", truth(where_[0]));
        if let Some(exclude) = exclude {
            why.push_str(&format!(", `exclude` is {}", truth(exclude[0])));
        }
        let mut fields = Vec::new();
        for condition in std::iter::once(&segment.where_).chain(segment.exclude.iter()) {
            seg::ir::field_refs(condition, &mut fields);
        }
        let mut seen = HashSet::new();
        let values: Vec<String> = fields
            .into_iter()
            .filter(|(id, _)| seen.insert(*id))
            .map(|(id, _)| {
                let name = &program.schema.field(id).name;
                match test.given.iter().find(|(f, _)| *f == id) {
                    Some((_, value)) => format!("{name} = {}", show(value)),
                    None => format!("{name} is missing"),
                }
            })
            .collect();
        let expected = if expect.member {
            "a member"
        } else {
            "not a member"
        };
        let actual = if member { "is one" } else { "is not" };
        let mut message = format!(
            "expected the profile to be {expected} of `{}`, but it {actual}: {why}",
            segment.name
        );
        if !values.is_empty() {
            message.push_str(&format!("\n        reads: {}", values.join(", ")));
        }
        // The conditions' tree, as `seg why` shows it: which clause decided.
        let options = seg::WhyOptions {
            key: String::new(),
            show_pii: true,
            batch_rows: 1,
            sources: None,
        };
        if let Ok(explained) = seg::why::explain_segment(
            &query,
            binding.columns(),
            &batch,
            0,
            expect.segment,
            &options,
        ) {
            for line in crate::commands::why::conditions_human(&explained, false).lines() {
                message.push_str(&format!("\n      {line}"));
            }
        }
        failures.push(message);
    }
    Ok(failures)
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
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut rules_failed = false;
    // A test in a file used by several roots runs once.
    let mut seen = HashSet::new();
    for file in &files {
        let checked = args.uses.check(file);
        if checked.has_errors() {
            eprint!("{}", render::human_checked(&checked, color));
            rules_failed = true;
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
            let at = source.line_col(test.span.start as usize);
            let place = format!("{}:{}", render::display_path(&source.path), at.line);
            match run_test(program, test, &as_of) {
                Ok(failures) if failures.is_empty() => {
                    passed += 1;
                    crate::outln!("ok    {place}  {}", test.name);
                }
                Ok(failures) => {
                    failed += 1;
                    crate::outln!("FAIL  {place}  {}", test.name);
                    for f in failures {
                        crate::outln!("      {f}");
                    }
                }
                Err(internal) => {
                    failed += 1;
                    crate::outln!(
                        "FAIL  {place}  {}\n      internal error: {internal}",
                        test.name
                    );
                }
            }
        }
    }
    crate::outln!("{passed} passed, {failed} failed");
    if !io_errors.is_empty() {
        Outcome::Failure
    } else if failed > 0 || rules_failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}
