//! The `seg` command line. Only this crate prints or touches files; the
//! libraries return values and diagnostics.
//!
//! Exit codes are stable: 0 clean, 1 findings (errors, warnings under
//! `--deny-warnings`, files that `fmt --check` would change), 2 usage or I/O
//! error.

mod commands;
mod files;
mod render;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Seg: check, format and run customer-segment rules.
#[derive(Parser)]
#[command(name = "seg", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check rule files against their schema and report problems.
    Check(commands::check::Args),
    /// Rewrite rule files in the canonical layout.
    Fmt(commands::fmt::Args),
}

/// What a command reports back to `main`.
pub enum Outcome {
    /// Nothing to report.
    Clean,
    /// Errors, denied warnings, files to format.
    Findings,
    /// Bad usage or an I/O failure.
    Failure,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with exit 0, usage errors to
            // stderr; usage errors exit 2 as documented.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let outcome = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Fmt(args) => commands::fmt::run(&args),
    };
    match outcome {
        Outcome::Clean => ExitCode::SUCCESS,
        Outcome::Findings => ExitCode::from(1),
        Outcome::Failure => ExitCode::from(2),
    }
}
