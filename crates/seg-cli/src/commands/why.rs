//! `seg why RULES --data D --key K`: one profile's verdict in each segment
//! and the reason, as a tree of conditions with their values. The
//! explanation is the library's (`seg::why`); this module parses arguments
//! and renders it.

use crate::Outcome;
use crate::commands::check::Color;
use crate::commands::run::{Inputs, Report, fail, prepare};
use crate::render;
use seg::why::{PriorityWhy, SegmentWhy, Truth, WhyNode};
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `seg why`.
#[derive(clap::Args)]
pub struct Args {
    /// The rules.
    pub rules: PathBuf,
    /// Profile data: Parquet, CSV (with a header), JSON lines or Arrow IPC.
    #[arg(long)]
    pub data: PathBuf,
    /// The data's format, when its extension does not tell.
    #[arg(long, value_enum)]
    pub data_format: Option<seg::formats::DataFormat>,
    /// The key of the profile to explain (a value of the schema's `key`
    /// field).
    #[arg(long)]
    pub key: String,
    /// Explain only this segment, or the segments of this priority group
    /// (and the segments they refer to) [default: every segment].
    #[arg(long, value_name = "SEGMENT")]
    pub segment: Option<String>,
    /// The instant of evaluation, RFC 3339 (2026-11-24T00:00:00Z) or a date
    /// (midnight in the rules' time zone, UTC without one) [default: now].
    #[arg(long)]
    pub as_of: Option<String>,
    /// Override a param: NAME=VALUE, VALUE a Seg literal (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Show the values of `pii` fields (hidden by default).
    #[arg(long)]
    pub show_pii: bool,
    /// Output: a tree per segment (`human`), or one JSON document (`json`;
    /// see docs/semantics.md, "seg why").
    #[arg(long, value_enum, default_value = "human")]
    pub format: WhyFormat,
    /// Color in human output: auto (when stdout is a terminal and NO_COLOR
    /// is unset), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// What `use` may read.
    #[command(flatten)]
    pub uses: crate::commands::UseArgs,
    /// The calendar's time zone (`--tz`).
    #[command(flatten)]
    pub tz: crate::commands::TzArg,
}

/// Output formats of `seg why`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WhyFormat {
    /// A tree per segment, for people.
    Human,
    /// One JSON document.
    Json,
}

/// Runs `seg why`.
pub fn run(args: &Args) -> Outcome {
    use std::io::IsTerminal;
    let inputs = Inputs {
        rules: args.rules.clone(),
        data: args.data.clone(),
        data_format: args.data_format,
        as_of: args.as_of.clone(),
        params: args.params.clone(),
        segments: args.segment.iter().cloned().collect(),
        uses: args.uses.clone(),
        tz: args.tz.clone(),
    };
    // Diagnostics go to stderr, coloured by its terminal; the tree goes to
    // stdout, coloured by stdout's.
    let report = Report {
        warnings: false,
        verb: "explained",
        color: args.color.enabled(),
    };
    // Unoptimized: the explanation is of the rules as written.
    let (checked, query) = match prepare(&inputs, false, &report) {
        Ok(prepared) => prepared,
        Err(outcome) => return outcome,
    };
    let format = match inputs.format() {
        Ok(format) => format,
        Err(e) => return fail(e),
    };
    let options = seg::WhyOptions {
        key: args.key.clone(),
        show_pii: args.show_pii,
        batch_rows: 65_536,
        sources: Some(&checked.sources),
    };
    let why = match seg::why(&query, &args.data, format, &options) {
        Ok(why) => why,
        Err(seg::RunError::Data(e)) => return fail(e),
        Err(seg::RunError::Program(diagnostics)) => {
            eprint!(
                "{}",
                render::human(&diagnostics, &checked.sources, report.color)
            );
            return Outcome::Failure;
        }
    };
    match args.format {
        WhyFormat::Json => {
            let mut document = serde_json::json!({
                "version": 1,
                "rules": args.rules.display().to_string(),
                "data": args.data.display().to_string(),
            });
            if let (Some(map), Ok(serde_json::Value::Object(fields))) =
                (document.as_object_mut(), serde_json::to_value(&why))
            {
                map.extend(fields);
            }
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            );
        }
        WhyFormat::Human => {
            let color = match args.color {
                Color::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
                other => other.enabled(),
            };
            crate::out!("{}", human(&why, color));
        }
    }
    Outcome::Clean
}

/// ANSI styles, used only when colour is on.
const GREEN: &str = "32";
const RED: &str = "31";
const YELLOW: &str = "33";
const BOLD: &str = "1";

fn paint(style: &str, text: &str, color: bool) -> String {
    if color {
        format!("\x1b[{style}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The mark of a truth value: readable without colour.
fn mark(value: Truth, color: bool) -> String {
    match value {
        Truth::True => paint(GREEN, "✓", color),
        Truth::False => paint(RED, "✗", color),
        Truth::Unknown => paint(YELLOW, "?", color),
    }
}

/// The textual marker of the deciding clause (it shows without colour).
const DECIDES: &str = "◀ decides";

/// The human rendering of an explanation.
pub fn human(why: &seg::Why, color: bool) -> String {
    let mut out = String::new();
    let read = match why.row_groups {
        Some(groups) => format!("; read {} of {} row groups", groups.read, groups.total),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{} = {} (as of {}{read})",
        why.key_field, why.key, why.as_of
    );
    if why.rows_with_key > 1 {
        let _ = writeln!(
            out,
            "note: {} rows have this key; explaining the first",
            render::thousands(why.rows_with_key)
        );
    }
    let _ = writeln!(out, "✓ true   ✗ false   ? unknown (a value is missing)");
    for segment in &why.segments {
        out.push('\n');
        segment_human(&mut out, segment, color);
    }
    for group in &why.priorities {
        out.push('\n');
        priority_human(&mut out, group, color);
    }
    out
}

fn segment_human(out: &mut String, segment: &SegmentWhy, color: bool) {
    let verdict = match (segment.member, segment.excluded) {
        (true, _) => "member".to_string(),
        (false, true) => "not a member (removed by exclude)".to_string(),
        (false, false) => "not a member".to_string(),
    };
    let title = segment
        .title
        .as_ref()
        .map(|t| format!(" \"{t}\""))
        .unwrap_or_default();
    let referred = if segment.reported {
        ""
    } else {
        " (referred to)"
    };
    let _ = writeln!(
        out,
        "{} {}{title}{referred}: {verdict}",
        mark(truth(segment.member), color),
        paint(BOLD, &segment.name, color),
    );
    out.push_str(&conditions_human(segment, color));
    if !segment.fields.is_empty() {
        let _ = writeln!(out, "  values read:");
        for field in &segment.fields {
            let _ = writeln!(out, "    {} = {}", field.name, field.value);
        }
    }
    if !segment.params.is_empty() {
        let _ = writeln!(out, "  params:");
        for param in &segment.params {
            let _ = writeln!(out, "    {} = {}", param.name, param.value);
        }
    }
}

/// A verdict as a [`Truth`].
fn truth(member: bool) -> Truth {
    Some(member).into()
}

/// A segment's `where` and `exclude` trees, each node with its value and
/// the deciding clause marked (what `seg test` shows under a failure too).
pub fn conditions_human(segment: &SegmentWhy, color: bool) -> String {
    let mut out = String::new();
    tree(&mut out, "where", &segment.where_, color);
    if let Some(exclude) = &segment.exclude {
        tree(&mut out, "exclude", exclude, color);
    }
    out
}

/// One condition tree: the root after its label, operands below it.
fn tree(out: &mut String, label: &str, root: &WhyNode, color: bool) {
    let _ = writeln!(out, "  {label:<7} {}", node_line(root, color));
    let indent = " ".repeat(2 + 7 + 1);
    aggregates(out, &format!("{indent}  "), root);
    children(out, &indent, root, color);
}

fn children(out: &mut String, indent: &str, node: &WhyNode, color: bool) {
    let count = node.children.len();
    for (i, child) in node.children.iter().enumerate() {
        let last = i + 1 == count;
        let branch = if last { "└─ " } else { "├─ " };
        let _ = writeln!(out, "{indent}{branch}{}", node_line(child, color));
        let deeper = format!("{indent}{}", if last { "   " } else { "│  " });
        aggregates(out, &format!("{deeper}  "), child);
        children(out, &deeper, child, color);
    }
}

/// The values of the aggregates a condition compares, one per line under it.
fn aggregates(out: &mut String, indent: &str, node: &WhyNode) {
    for aggregate in &node.aggregates {
        let _ = writeln!(out, "{indent}· {} = {}", aggregate.text, aggregate.value);
    }
}

fn node_line(node: &WhyNode, color: bool) -> String {
    let line = format!("{} {}", mark(node.value, color), node.text);
    if node.deciding {
        format!("{line}   {}", paint(BOLD, DECIDES, color))
    } else {
        line
    }
}

fn priority_human(out: &mut String, group: &PriorityWhy, color: bool) {
    let chosen = match &group.chosen {
        Some(name) => format!("chosen: {name}"),
        None => "in none of its segments".to_string(),
    };
    let _ = writeln!(
        out,
        "priority {}: {chosen}",
        paint(BOLD, &group.name, color)
    );
    for (i, entry) in group.entries.iter().enumerate() {
        let what = match (entry.outcome, &entry.reason) {
            ("chosen", _) => "chosen".to_string(),
            ("later", _) => "not considered (an earlier entry was chosen)".to_string(),
            (_, Some(reason)) => format!(
                "not a member: {reason} is {}",
                entry.reason_value.map_or("unknown", Truth::as_str)
            ),
            (_, None) => "not a member".to_string(),
        };
        let _ = writeln!(
            out,
            "  {}. {} {} — {what}",
            i + 1,
            mark(truth(entry.member), color),
            entry.segment
        );
    }
}
