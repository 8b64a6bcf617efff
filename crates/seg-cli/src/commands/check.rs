//! `seg check [FILES or DIRS]...`: load, parse and check every program, and
//! report what is wrong in the chosen format.

use crate::Outcome;
use crate::files::expand;
use crate::render::{self, Format};
use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Arguments of `seg check`.
#[derive(clap::Args)]
pub struct Args {
    /// Rule files, or directories to search for `.seg` files [default: .]
    paths: Vec<PathBuf>,
    /// Output format: `human` on stderr, the others on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Exit 1 when there are warnings, not only errors.
    #[arg(long)]
    deny_warnings: bool,
    /// Color in human output: auto (when stderr is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Also report what this SQL engine cannot run with Seg's meaning
    /// (duckdb, postgres, datafusion, spark, bigquery, snowflake): each
    /// construct it refuses is an error at the construct (E0501-E0503).
    #[arg(long, value_parser = crate::commands::sql::parse_dialect, value_name = "DIALECT")]
    target: Option<seg::sql::Dialect>,
    #[command(flatten)]
    uses: crate::commands::UseArgs,
    /// With `--target`: the time zone the SQL is compiled for.
    #[command(flatten)]
    tz: crate::commands::TzArg,
}

/// When to color human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// Color when stderr is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

impl Color {
    /// Resolves `auto` against the environment.
    pub fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

/// Runs `seg check`.
pub fn run(args: &Args) -> Outcome {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (files, io_errors) = expand(&paths);
    // Paths that could not be read, as (code, message): reported, counted as
    // errors, and the reason for exit 2.
    let mut failures: Vec<(&'static str, String)> =
        io_errors.iter().map(|e| ("E0801", e.clone())).collect();
    // A root file that cannot be read is an I/O failure (exit 2); one past the
    // size limit or not UTF-8 is a finding about the program (E0006, E0802:
    // exit 1).
    let mut checked: Vec<seg::Checked> = Vec::new();
    for file in &files {
        match seg::read_source(file) {
            Err(seg::LoadError::Io(reason)) => {
                failures.push((
                    "E0801",
                    format!("cannot read `{}`: {reason}", file.display()),
                ));
            }
            _ => {
                let mut c = args.uses.check(file);
                // The target is asked only of a program that checks: its
                // refusals are about constructs, not about broken rules.
                if let (Some(target), Some(program)) = (args.target, &c.program)
                    && !c.has_errors()
                {
                    let refusals = seg::sql::check(&args.tz.apply(program), target);
                    c.diagnostics.extend(refusals);
                }
                checked.push(c);
            }
        }
    }

    // A file reached from several roots is reported once.
    let mut seen = HashSet::new();
    let mut located = Vec::new();
    let mut per_check = Vec::new();
    for c in &checked {
        let mut kept = Vec::new();
        for l in render::locate(&c.diagnostics, &c.sources) {
            let d = l.diagnostic;
            let key = (
                l.path.clone(),
                d.span.start,
                d.span.end,
                d.code,
                d.message.clone(),
            );
            if seen.insert(key) {
                kept.push(d.clone());
                located.push(l);
            }
        }
        per_check.push((kept, &c.sources, render::segment_spans(&c.files)));
    }
    let errors = located.iter().filter(|l| l.diagnostic.is_error()).count() + failures.len();
    let warnings = located.len() + failures.len() - errors;
    let checked_files = checked.len();

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match args.format {
        Format::Human => {
            let color = args.color.enabled();
            for (diagnostics, sources, segments) in &per_check {
                eprint!(
                    "{}",
                    render::human_grouped(diagnostics, sources, segments, color)
                );
            }
            for (code, message) in &failures {
                eprintln!("error[{code}]: {message}");
            }
            let noun = if checked_files == 1 { "file" } else { "files" };
            let unread = if failures.is_empty() {
                String::new()
            } else {
                format!(" ({} could not be read)", failures.len())
            };
            if errors + warnings == 0 {
                eprintln!("checked {checked_files} {noun}: no problems found");
            } else {
                eprintln!(
                    "checked {checked_files} {noun}{unread}: {}",
                    render::counts(errors, warnings)
                );
            }
            Ok(())
        }
        Format::Json => {
            // Each program has its own source map, so each part is located with
            // its own map and the parts are joined into one document.
            let mut all = Vec::new();
            for (diagnostics, sources, _) in &per_check {
                let located = render::locate(diagnostics, sources);
                all.extend(render::json(&located, sources, files.len()).diagnostics);
            }
            let report = render::JsonReport {
                version: 1,
                files_checked: checked_files,
                errors,
                warnings,
                diagnostics: all,
                failures: failures
                    .iter()
                    .map(|(code, message)| render::JsonFailure {
                        code,
                        message: message.clone(),
                    })
                    .collect(),
            };
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            )
        }
        Format::Github => {
            let mut text = String::new();
            for (code, message) in &failures {
                text.push_str(&format!(
                    "::error title=seg {code}::{}\n",
                    message.replace('%', "%25")
                ));
            }
            for (diagnostics, sources, _) in &per_check {
                text.push_str(&render::github(&render::locate(diagnostics, sources)));
            }
            write!(out, "{text}")
        }
        Format::Sarif => {
            let mut results = Vec::new();
            let mut rules: Vec<serde_json::Value> = Vec::new();
            let mut base = None;
            for (diagnostics, sources, _) in &per_check {
                let log = render::sarif(&render::locate(diagnostics, sources), sources);
                let run = &log["runs"][0];
                if let Some(items) = run["results"].as_array() {
                    results.extend(items.iter().cloned());
                }
                if let Some(items) = run["tool"]["driver"]["rules"].as_array() {
                    for rule in items {
                        if !rules.iter().any(|r| r["id"] == rule["id"]) {
                            rules.push(rule.clone());
                        }
                    }
                }
                base.get_or_insert(log);
            }
            let mut log =
                base.unwrap_or_else(|| render::sarif(&[], &seg::diagnostics::SourceMap::new()));
            rules.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
            log["runs"][0]["results"] = serde_json::Value::Array(results);
            if !failures.is_empty() {
                let notifications: Vec<serde_json::Value> = failures
                    .iter()
                    .map(|(code, message)| {
                        serde_json::json!({ "level": "error", "message": { "text": message }, "descriptor": { "id": code } })
                    })
                    .collect();
                log["runs"][0]["invocations"] = serde_json::json!([{
                    "executionSuccessful": false,
                    "toolExecutionNotifications": notifications,
                }]);
            }
            log["runs"][0]["tool"]["driver"]["rules"] = serde_json::Value::Array(rules);
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&log).unwrap_or_default()
            )
        }
    };
    if written.is_err() {
        return Outcome::Failure;
    }
    if !failures.is_empty() {
        Outcome::Failure
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}
