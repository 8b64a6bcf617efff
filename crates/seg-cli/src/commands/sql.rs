//! `seg sql RULES.seg --dialect D`: the segments as SQL for another engine,
//! with Seg's meaning kept exactly (or a located refusal), for running the
//! same rules where the profiles live.

use crate::Outcome;
use crate::commands::run::{fail, read_rules};
use crate::render;
use seg::Query;
use seg::sql::Dialect;
use std::path::PathBuf;

/// Arguments of `seg sql`.
#[derive(clap::Args)]
pub struct Args {
    /// The rules to compile.
    pub rules: PathBuf,
    /// The engine: duckdb, postgres, datafusion, spark, bigquery or snowflake.
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Dialect,
    /// The instant relative time (`now`, `today`, `30 days ago`, `within`)
    /// is fixed at, as for `seg run` [default: now]. The SQL never reads the
    /// database's clock: regenerate it to move the instant.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Override a param: NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The calendar's time zone (`--tz`).
    #[command(flatten)]
    pub tz: crate::commands::TzArg,
    /// Only these segments and priority groups (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub segments: Vec<String>,
    /// The table to read, printed as given (a name, a qualified name, or any
    /// table expression of the dialect).
    #[arg(long, default_value = "profiles", value_name = "TABLE")]
    pub from: String,
    /// Print only this segment's membership condition (a boolean, never
    /// NULL), for use in a query of your own.
    #[arg(long = "where", value_name = "SEGMENT", conflicts_with = "segments")]
    pub where_: Option<String>,
    /// Output: the statement (`sql`), or one JSON document with the dialect,
    /// the instant, the statement and each column's expression (`json`), for
    /// tools that assemble their own queries.
    #[arg(long, value_enum, default_value = "sql")]
    pub format: SqlFormat,
    /// Compile the program as written, without the optimizer's rewrites.
    #[arg(long)]
    pub no_optimize: bool,
    /// What `use` may read.
    #[command(flatten)]
    pub uses: crate::commands::UseArgs,
}

/// Output formats of `seg sql`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlFormat {
    /// The SQL text.
    Sql,
    /// One JSON document.
    Json,
}

/// A dialect from its command-line name, or the list of names.
pub fn parse_dialect(name: &str) -> Result<Dialect, String> {
    Dialect::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
        format!("unknown dialect `{name}`; one of: {}", names.join(", "))
    })
}

/// Runs `seg sql`.
pub fn run(args: &Args) -> Outcome {
    let color = crate::commands::check::Color::Auto.enabled();
    let checked = match read_rules(&args.rules, &args.uses) {
        Ok(checked) => checked,
        Err(e) => return fail(e),
    };
    let Some(program) = checked.program.as_ref().filter(|_| !checked.has_errors()) else {
        eprint!("{}", render::human_checked(&checked, color));
        eprintln!("the rules have errors; no SQL was written");
        return Outcome::Findings;
    };
    let mut options = seg::RunOptions {
        params: args.params.clone(),
        segments: match &args.where_ {
            Some(segment) => vec![segment.clone()],
            None => args.segments.clone(),
        },
        optimize: !args.no_optimize,
        timezone: args.tz.tz,
        ..seg::RunOptions::default()
    };
    if let Some(text) = &args.as_of {
        options = match options.as_of_text(text) {
            Ok(options) => options,
            Err(e) => return fail(e),
        };
    }
    let query = match Query::prepare(program, &options) {
        Ok(query) => query,
        Err(e) => return fail(e),
    };
    let compiled = match query.sql(args.dialect) {
        Ok(compiled) => compiled,
        Err(refusals) => {
            eprint!("{}", render::human(&refusals, &checked.sources, color));
            eprintln!(
                "{} cannot run these rules with Seg's meaning; no SQL was written",
                args.dialect.title()
            );
            return Outcome::Findings;
        }
    };
    let as_of = seg::format_instant(query.as_of());
    if args.format == SqlFormat::Json {
        let columns = |list: &[seg::sql::Column]| -> Vec<serde_json::Value> {
            list.iter()
                .map(|c| serde_json::json!({ "name": c.name, "sql": c.sql }))
                .collect()
        };
        let document = serde_json::json!({
            "version": 1,
            "rules": args.rules.display().to_string(),
            "dialect": args.dialect.name(),
            "as_of": as_of,
            "from": args.from,
            "key": query.key_name(),
            "segments": columns(compiled.segments()),
            "priorities": columns(compiled.priorities()),
            "statement": compiled.select(&args.from),
        });
        crate::out!(
            "{}\n",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
        return Outcome::Clean;
    }
    if let Some(segment) = &args.where_ {
        return match compiled.condition(segment) {
            Some(condition) => {
                crate::out!("{condition}\n");
                Outcome::Clean
            }
            None => {
                // A priority group was named: it has no single condition.
                eprintln!(
                    "error: `{segment}` is a priority group; `--where` takes a segment (its \
                     choice is the `{segment}` column of the full statement)"
                );
                Outcome::Failure
            }
        };
    }
    // The path goes into a line comment: no control character may end it.
    let rules = args
        .rules
        .display()
        .to_string()
        .replace(|c: char| c.is_control(), "?");
    crate::out!(
        "-- {} SQL for {}, generated by seg {} as of {as_of} (relative time is fixed at this instant).\n{};\n",
        args.dialect.title(),
        rules,
        env!("CARGO_PKG_VERSION"),
        compiled.select(&args.from)
    );
    Outcome::Clean
}
