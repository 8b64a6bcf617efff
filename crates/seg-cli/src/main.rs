//! The `seg` binary: argument parsing and exit codes around `seg_cli`.

use clap::{Parser, Subcommand};
use seg_cli::{Outcome, commands};
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
    /// Evaluate the segments over profile data and report their sizes.
    Run(commands::run::Args),
    /// Show what the compiler makes of each segment: checked and optimized
    /// conditions and the rewrites between them.
    Explain(commands::explain::Args),
    /// Time evaluation (not I/O) of each engine on data held in memory.
    Bench(commands::bench::Args),
    /// Run the `test` blocks of rule files.
    Test(commands::test::Args),
    /// Print the segments as SQL for DuckDB, PostgreSQL, DataFusion, Spark,
    /// BigQuery or Snowflake, with Seg's meaning kept exactly.
    Sql(commands::sql::Args),
    /// Compare segment members between two versions of the rules or two
    /// snapshots of the data: sizes, who entered, who left, rule diffs.
    Diff(commands::diff::Args),
    /// Work with schemas: `seg schema infer DATA` prints one for a data file.
    Schema(commands::schema::Args),
    /// Explain one profile's verdicts: each segment's conditions with their
    /// values on it, and the clause that decided.
    Why(commands::why::Args),
    /// Run the rules and write one self-contained HTML page about the run:
    /// sizes, waterfall, overlap, rules with findings, a members sample.
    Report(commands::report::Args),
    /// The language server, for editors: the Language Server Protocol on
    /// standard input and output.
    Lsp(commands::lsp::Args),
    /// Evaluate JSON-lines profiles from standard input as they come: one
    /// JSON line of verdicts (or, with --changes, of segments entered and
    /// left) per profile on standard output.
    Stream(commands::stream::Args),
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
    // An interrupted `seg run` or `seg fmt` leaves no temporary file behind.
    seg_cli::files::remove_temporaries_on_signals();
    let outcome = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Fmt(args) => commands::fmt::run(&args),
        Command::Run(args) => commands::run::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Bench(args) => commands::bench::run(&args),
        Command::Test(args) => commands::test::run(&args),
        Command::Schema(args) => commands::schema::run(&args),
        Command::Sql(args) => commands::sql::run(&args),
        Command::Diff(args) => commands::diff::run(&args),
        Command::Why(args) => commands::why::run(&args),
        Command::Report(args) => commands::report::run(&args),
        Command::Lsp(args) => commands::lsp::run(&args),
        Command::Stream(args) => commands::stream::run(&args),
    };
    match outcome {
        Outcome::Clean => ExitCode::SUCCESS,
        Outcome::Findings => ExitCode::from(1),
        Outcome::Failure => ExitCode::from(2),
    }
}
