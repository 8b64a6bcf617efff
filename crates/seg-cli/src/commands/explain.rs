//! `seg explain RULES.seg [--segment NAME]`: the checked IR, the optimized IR
//! and the trace of rewrites, so a marketer (or a reviewer) sees what the
//! compiler made of each segment and why.

use crate::Outcome;
use crate::commands::run::{fail, read_rules};
use crate::render;
use seg::Error as DataError;
use seg::Query;
use seg::ir::{Program, SegmentId, expr_text};
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `seg explain`.
#[derive(clap::Args)]
pub struct Args {
    /// The rules to explain.
    pub rules: PathBuf,
    /// Only these segments (comma-separated names); hidden shared segments
    /// they use are shown too.
    #[arg(long, value_delimiter = ',')]
    pub segment: Vec<String>,
    /// Fold relative time (`now`, `today`, `ago`, `within`) for this instant,
    /// as `seg run --as-of` would; without it, relative time stays symbolic.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Override a param: NAME=VALUE (repeatable), as `seg run --param`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The calendar's time zone (`--tz`).
    #[command(flatten)]
    pub tz: crate::commands::TzArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
    /// Also print the JIT's Cranelift IR and what, if anything, runs outside
    /// native code (and why).
    #[arg(long)]
    pub clif: bool,
    /// Compile for this data file's column types (with `--clif`); without it,
    /// for the canonical Arrow type of each schema type.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// What `use` may read.
    #[command(flatten)]
    pub uses: crate::commands::UseArgs,
}

/// Output formats of `seg explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Readable text.
    Text,
    /// One JSON document (see docs/language.md, "What the optimizer does").
    Json,
}

/// The segments to show: the selected ones, the members of the selected
/// priority groups, and every segment they depend on (hidden shared segments
/// included), in definition order.
fn shown(query: &Query) -> Vec<SegmentId> {
    let mut shown = query.selection().order().to_vec();
    shown.sort_unstable();
    shown
}

/// Runs `seg explain`.
pub fn run(args: &Args) -> Outcome {
    let color = crate::commands::check::Color::Auto.enabled();
    let checked = match read_rules(&args.rules, &args.uses) {
        Ok(checked) => checked,
        Err(e) => return fail(e),
    };
    let Some(program) = checked.program.as_ref().filter(|_| !checked.has_errors()) else {
        eprint!("{}", render::human_checked(&checked, color));
        eprintln!("the rules have errors; nothing to explain");
        return Outcome::Findings;
    };
    // Without `--as-of`, relative time stays symbolic in what is shown; the
    // kernel of `--clif` is compiled for now, as `seg run` would.
    let mut options = seg::RunOptions {
        params: args.params.clone(),
        segments: args.segment.clone(),
        fold_time: args.as_of.is_some(),
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
    let segments = shown(&query);
    let findings: Vec<&seg::diagnostics::Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .collect();
    let jit = if args.clif {
        match compile_jit(args, &query) {
            Ok(jit) => Some(jit),
            Err(outcome) => return outcome,
        }
    } else {
        None
    };
    match args.format {
        ExplainFormat::Text => crate::out!("{}", text(&query, &segments, &findings)),
        ExplainFormat::Json => {
            let mut value = json(&query, &segments, &findings);
            if let Some(jit) = &jit {
                value["jit"] = serde_json::json!({
                    "compile_seconds": jit.compile_time().as_secs_f64(),
                    "fallbacks": jit.fallbacks().iter().map(|f| serde_json::json!({
                        "segment": f.segment_name,
                        "reason": f.reason,
                    })).collect::<Vec<_>>(),
                    "clif": jit.clif(),
                });
            }
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
    }
    if let (Some(jit), ExplainFormat::Text) = (&jit, args.format) {
        crate::outln!(
            "jit: compiled in {:.2} ms",
            jit.compile_time().as_secs_f64() * 1e3
        );
        if jit.fallbacks().is_empty() {
            crate::outln!("jit: every condition runs as native code");
        } else {
            for f in jit.fallbacks() {
                crate::outln!(
                    "jit: in segment `{}`, evaluated per batch by the reference evaluator: {}",
                    f.segment_name,
                    f.reason
                );
            }
        }
        crate::outln!("\n{}", jit.clif());
    }
    Outcome::Clean
}

/// Compiles the query as `seg run` would, for `--clif`: for the column
/// types of `--data`, or the canonical Arrow type of each schema type.
fn compile_jit(args: &Args, query: &Query) -> Result<seg::jit::JitProgram, Outcome> {
    let program = query.program();
    let schema = match &args.data {
        Some(path) => {
            let Some(format) = seg::formats::DataFormat::from_path(path) else {
                return Err(fail(DataError {
                    code: "E0403",
                    message: format!(
                        "cannot tell the format of `{}` from its extension",
                        path.display()
                    ),
                    help: Some("use a .parquet, .csv, .jsonl or .arrow file".into()),
                }));
            };
            let options = seg::formats::OpenOptions {
                batch_rows: 1024,
                prune: false,
                every_profile: false,
            };
            match seg::formats::open_query(query, path, format, &options) {
                Ok(input) => input.schema,
                Err(e) => return Err(fail(e)),
            }
        }
        None => match seg::eval::profile_batch(&program.schema, &[]) {
            Ok(batch) => batch.schema(),
            Err(e) => {
                return Err(fail(DataError {
                    code: "E0901",
                    message: format!("cannot build the canonical schema: {e}"),
                    help: None,
                }));
            }
        },
    };
    let binding = match query.bind(&schema) {
        Ok(b) => b,
        Err(diagnostics) => {
            for d in diagnostics {
                eprintln!("error[{}]: {}", d.code, d.message);
            }
            return Err(Outcome::Failure);
        }
    };
    let options = seg::jit::JitOptions {
        clif: true,
        ..seg::jit::JitOptions::default()
    };
    query.compile_kernel(&binding, &options).map_err(|d| {
        eprintln!("error[{}]: {}", d.code, d.message);
        Outcome::Failure
    })
}

/// The readable form: one block per segment.
pub fn text(
    query: &Query,
    segments: &[SegmentId],
    findings: &[&seg::diagnostics::Diagnostic],
) -> String {
    let program = query.program();
    let mut out = String::new();
    match query.is_time_folded().then(|| query.as_of()) {
        Some(t) => {
            let _ = writeln!(
                out,
                "as_of {} (relative time folded)",
                seg::format_instant(t)
            );
        }
        None => {
            out.push_str("as_of not given (relative time kept symbolic; pass --as-of to fold it)\n")
        }
    }
    // The calendar's zone matters to every folded date; UTC (v0.1's) is
    // not mentioned.
    if !program.timezone.is_utc() {
        let _ = writeln!(out, "timezone {}", program.timezone);
    }
    let _ = writeln!(
        out,
        "optimizer: {} rewrites in {} passes\n",
        query.trace().len(),
        query.passes()
    );
    let optimized_program = query.executed();
    for id in segments {
        let index = id.0 as usize;
        let after = &optimized_program.segments[index];
        let hidden = index >= program.segments.len();
        if hidden {
            let _ = writeln!(
                out,
                "segment `{}` (hidden: a condition shared by several segments, computed once)",
                after.name
            );
        } else {
            let before = &program.segments[index];
            let _ = writeln!(
                out,
                "segment {}{}",
                before.name,
                before
                    .title
                    .as_ref()
                    .map(|t| format!(" \"{t}\""))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                out,
                "  checked:    where {}",
                expr_text(program, &before.where_)
            );
            if let Some(exclude) = &before.exclude {
                let _ = writeln!(out, "              exclude {}", expr_text(program, exclude));
            }
        }
        let _ = writeln!(
            out,
            "  optimized:  where {}",
            expr_text(optimized_program, &after.where_)
        );
        if let Some(exclude) = &after.exclude {
            let _ = writeln!(
                out,
                "              exclude {}",
                expr_text(optimized_program, exclude)
            );
        }
        let rewrites: Vec<&seg::opt::Rewrite> = query
            .trace()
            .iter()
            .filter(|r| r.segment == after.name)
            .collect();
        if rewrites.is_empty() {
            out.push_str("  rewrites:   none\n");
        } else {
            out.push_str("  rewrites:\n");
            for r in rewrites {
                let _ = writeln!(out, "    {}: {}", r.rule.name(), r.before);
                let _ = writeln!(out, "      => {}", r.after);
                let _ = writeln!(out, "      ({})", r.rule.why());
            }
        }
        if !hidden {
            for d in findings.iter().filter(|d| belongs(program, index, d)) {
                let _ = writeln!(out, "  finding:    warning[{}] {}", d.code, d.message);
            }
        }
        out.push('\n');
    }
    out
}

/// Does a finding lie within this segment's declaration (between its name and
/// the next segment's, in the same file)?
fn belongs(program: &Program, index: usize, d: &seg::diagnostics::Diagnostic) -> bool {
    seg::present::in_segment(program, seg::ir::SegmentId(index as u32), d)
}

/// The JSON form.
pub fn json(
    query: &Query,
    segments: &[SegmentId],
    findings: &[&seg::diagnostics::Diagnostic],
) -> serde_json::Value {
    let program = query.program();
    let optimized_program = query.executed();
    let entries: Vec<serde_json::Value> = segments
        .iter()
        .map(|id| {
            let index = id.0 as usize;
            let after = &optimized_program.segments[index];
            let original = program.segments.get(index);
            serde_json::json!({
                "name": after.name,
                "hidden": original.is_none(),
                "checked": original.map(|s| serde_json::json!({
                    "where": expr_text(program, &s.where_),
                    "exclude": s.exclude.as_ref().map(|x| expr_text(program, x)),
                })),
                "optimized": {
                    "where": expr_text(optimized_program, &after.where_),
                    "exclude": after.exclude.as_ref().map(|x| expr_text(optimized_program, x)),
                },
                "rewrites": query.trace().iter().filter(|r| r.segment == after.name).map(|r| serde_json::json!({
                    "rule": r.rule.name(),
                    "before": r.before,
                    "after": r.after,
                    "why": r.rule.why(),
                })).collect::<Vec<_>>(),
                "findings": original.map(|_| findings.iter().filter(|d| belongs(program, index, d)).map(|d| serde_json::json!({
                    "code": d.code.as_str(),
                    "message": d.message,
                })).collect::<Vec<_>>()),
            })
        })
        .collect();
    serde_json::json!({
        "as_of": query.is_time_folded().then(|| seg::format_instant(query.as_of())),
        "passes": query.passes(),
        "segments": entries,
    })
}
