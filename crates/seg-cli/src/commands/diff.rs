//! `seg diff`: who entered and who left each segment, between two versions
//! of the rules (`seg diff OLD.seg NEW.seg --data D`, or `seg diff RULES
//! --base REF --data D`) or between two snapshots of the data (`seg diff
//! RULES --data OLD --data NEW`). The comparison is `seg::diff`; this module
//! parses the arguments and renders the result.

use crate::Outcome;
use crate::commands::run::fail;
use crate::render;
use seg::Error as DataError;
use seg::diff::{CompareOptions, Members, RuleChange, SegmentDiff};
use seg::formats::DataFormat;
use std::path::PathBuf;

/// Arguments of `seg diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The rules: OLD.seg NEW.seg, or one file (with `--base`, or with two
    /// `--data` snapshots).
    #[arg(required = true, num_args = 1..=2, value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Profile data (Parquet, CSV, JSON lines or Arrow IPC); give it twice,
    /// old snapshot first, to compare two snapshots under the same rules.
    #[arg(long, required = true, num_args = 1)]
    pub data: Vec<PathBuf>,
    /// The data's format, when its extension does not tell.
    #[arg(long, value_enum)]
    pub data_format: Option<DataFormat>,
    /// Compare RULES with the same file at this git revision (`HEAD`,
    /// `main`, a commit); the files it `use`s are read at that revision too.
    #[arg(long, value_name = "GIT_REF")]
    pub base: Option<String>,
    /// The instant of evaluation for both sides, RFC 3339 or a date
    /// [default: now].
    #[arg(long)]
    pub as_of: Option<String>,
    /// Override a param on both sides: NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Keys shown for those who entered and those who left each segment.
    #[arg(long, default_value_t = 5)]
    pub sample: usize,
    /// Output: a report, JSON (see docs/diff.md), or Markdown for a
    /// pull-request comment.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Show key values even when the key field is `pii`.
    #[arg(long)]
    pub show_pii: bool,
    /// Worker threads [default: all cores].
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
    /// What `use` may read.
    #[command(flatten)]
    pub uses: crate::commands::UseArgs,
    /// The calendar's time zone (`--tz`).
    #[command(flatten)]
    pub tz: crate::commands::TzArg,
}

/// Output formats of `seg diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A report for people.
    Human,
    /// A JSON document (docs/diff.md).
    Json,
    /// Markdown for a pull-request comment: a table and collapsible diffs.
    Markdown,
}

/// One side of a diff: a version of the rules over a snapshot of the data.
struct Side {
    label: String,
    rules: String,
    data: PathBuf,
    checked: seg::Checked,
}

/// What `seg diff` compared and found.
struct Report {
    form: &'static str,
    sides: [Side; 2],
    members: [Members; 2],
    profiles: [u64; 2],
    as_of: i64,
    appeared: Option<(u64, u64)>,
    params: Vec<seg::diff::ParamChange>,
    segments: Vec<SegmentDiff>,
}

/// Prints a usage error (exit 2).
fn usage(message: &str, help: &str) -> Outcome {
    eprintln!("error: {message}");
    eprintln!("  help: {help}");
    Outcome::Failure
}

/// Runs `seg diff`.
pub fn run(args: &Args) -> Outcome {
    let color = crate::commands::check::Color::Auto.enabled();
    let form = match (args.rules.len(), args.data.len(), &args.base) {
        (2, 1, None) | (1, 1, Some(_)) => "rules",
        (1, 2, None) => "data",
        (2, _, Some(_)) => {
            return usage(
                "`--base` compares one rules file with its version at a git revision",
                "give one rules file with `--base`, or two files without it",
            );
        }
        (1, 1, None) => {
            return usage(
                "`seg diff` needs two things to compare",
                "give OLD.seg NEW.seg, or RULES --base GIT_REF, or RULES --data OLD --data NEW",
            );
        }
        _ => {
            return usage(
                "`seg diff` compares either two versions of the rules or two snapshots of the data, not both",
                "give OLD.seg NEW.seg --data D, or RULES --data OLD --data NEW",
            );
        }
    };
    // Both sides are evaluated at the same instant, so that only the rules or
    // the data differ.
    let options = match options(args) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let mut sides = Vec::with_capacity(2);
    for index in 0..2 {
        let side = match load_side(args, form, index) {
            Ok(side) => side,
            Err(e) => return fail(e),
        };
        if side.checked.has_errors() {
            eprint!("{}", render::human_checked(&side.checked, color));
            eprintln!("the {} rules have errors; nothing was compared", side.label);
            return Outcome::Findings;
        }
        sides.push(side);
    }
    let [old, new]: [Side; 2] = match sides.try_into() {
        Ok(pair) => pair,
        Err(_) => return Outcome::Failure,
    };
    let threads = crate::commands::run::worker_threads(args.threads);
    let mut members = Vec::with_capacity(2);
    let mut profiles = [0u64; 2];
    let mut key_pii = false;
    let mut first_key: Option<String> = None;
    let mut as_of = 0;
    for (i, side) in [&old, &new].into_iter().enumerate() {
        let Some(program) = &side.checked.program else {
            return Outcome::Findings;
        };
        let query = match seg::Query::prepare(program, &options) {
            Ok(q) => q,
            Err(e) => return fail(e),
        };
        if form == "data" && query.key_name().is_none() {
            return usage(
                "comparing two snapshots joins profiles on the schema's key, and the schema declares none",
                "mark the profile id in the schema with `key`, e.g. `customer_id: int key`",
            );
        }
        // Both versions must name profiles the same way, or every profile
        // would seem to enter and leave.
        let key = query.key_name().map(str::to_string);
        if i == 1 && key != first_key {
            return usage(
                "the two versions of the rules declare different keys",
                "compare versions whose schemas mark the same field as `key`",
            );
        }
        first_key = key;
        key_pii |= program
            .schema
            .key()
            .is_some_and(|k| program.schema.field(k).pii);
        as_of = query.as_of();
        match collect(args, form, side, &query, threads, color) {
            Ok((m, n)) => {
                members.push(m);
                profiles[i] = n;
            }
            Err(outcome) => return outcome,
        }
    }
    let [old_members, new_members]: [Members; 2] = match members.try_into() {
        Ok(pair) => pair,
        Err(_) => return Outcome::Failure,
    };
    let (pairs, diffs) = if form == "rules" {
        seg::diff::rules_pairs(&old.checked, &new.checked, &old.rules, &new.rules)
    } else {
        (seg::diff::same_pairs(&new_members), Vec::new())
    };
    let compare = CompareOptions {
        sample: args.sample,
        mask_keys: key_pii && !args.show_pii,
    };
    let segments = seg::diff::compare(&old_members, &new_members, &pairs, &diffs, &compare);
    let params = match (&old.checked.program, &new.checked.program) {
        (Some(o), Some(n)) if form == "rules" => seg::diff::param_changes(o, n),
        _ => Vec::new(),
    };
    let report = Report {
        form,
        params,
        appeared: seg::diff::appeared_disappeared(&old_members, &new_members),
        sides: [old, new],
        members: [old_members, new_members],
        profiles,
        as_of,
        segments,
    };
    // The report goes to stdout: colour only when that is a terminal (the
    // diagnostics above follow stderr's).
    let paint = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    match args.format {
        Format::Human => crate::out!("{}", report.human(paint)),
        Format::Json => crate::outln!(
            "{}",
            serde_json::to_string_pretty(&report.json()).unwrap_or_default()
        ),
        Format::Markdown => crate::out!("{}", report.markdown()),
    }
    Outcome::Clean
}

/// The run options both sides share: `--as-of` (now when not given, fixed
/// once), `--param` and `--tz`.
fn options(args: &Args) -> Result<seg::RunOptions, DataError> {
    let options = seg::RunOptions {
        params: args.params.clone(),
        timezone: args.tz.tz,
        ..seg::RunOptions::default()
    };
    match &args.as_of {
        Some(text) => options.as_of_text(text),
        None => Ok(options.as_of(chrono_now())),
    }
}

/// Now, in microseconds since the Unix epoch.
fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Loads and checks side `index` (0 old, 1 new) of the comparison.
fn load_side(args: &Args, form: &str, index: usize) -> Result<Side, DataError> {
    let data = args.data[if form == "data" { index } else { 0 }].clone();
    let label = if index == 0 { "old" } else { "new" }.to_string();
    if form == "rules"
        && index == 0
        && let Some(rev) = &args.base
    {
        let path = &args.rules[0];
        let loader = seg::diff::GitLoader { rev: rev.clone() };
        // The root file is read once up front: a revision or path git does
        // not know is an input error (exit 2), not a problem in the rules.
        if let Err(e) = seg::SourceLoader::load(&loader, path) {
            let reason = match e {
                seg::LoadError::Io(reason) => reason,
                _ => "at that revision: it is not UTF-8 text".into(),
            };
            return Err(DataError::new(
                "E0801",
                format!("cannot read `{}` {reason}", path.display()),
                Some("name a revision where the file is committed, e.g. --base HEAD".into()),
            ));
        }
        let checked = seg::check_program(path, &loader);
        return Ok(Side {
            label,
            rules: format!("{}@{rev}", render::display_path(path)),
            data,
            checked,
        });
    }
    let path = if form == "rules" && args.base.is_none() {
        &args.rules[index]
    } else {
        &args.rules[0]
    };
    let checked = crate::commands::run::read_rules(path, &args.uses)?;
    Ok(Side {
        label,
        rules: render::display_path(path),
        data,
        checked,
    })
}

/// One run of a side, collecting member keys; the data form also collects
/// every profile's key. Returns the members and the profiles seen.
fn collect(
    args: &Args,
    form: &str,
    side: &Side,
    query: &seg::Query,
    threads: usize,
    color: bool,
) -> Result<(Members, u64), Outcome> {
    let format = args
        .data_format
        .or_else(|| DataFormat::from_path(&side.data))
        .ok_or_else(|| {
            fail(DataError::new(
                "E0403",
                format!(
                    "cannot tell the format of `{}` from its extension",
                    side.data.display()
                ),
                Some("name the format: --data-format parquet|csv|jsonl|arrow".into()),
            ))
        })?;
    match seg::diff::collect_file(query, &side.data, format, form == "data", threads) {
        Ok((members, report)) => Ok((members, report.sizes.profiles)),
        Err(seg::RunError::Data(e)) => Err(fail(e)),
        Err(seg::RunError::Program(diagnostics)) => {
            eprint!(
                "{}",
                render::human(&diagnostics, &side.checked.sources, color)
            );
            eprintln!(
                "`{}` cannot be run with the {} rules; nothing was compared",
                side.data.display(),
                side.label
            );
            Err(Outcome::Failure)
        }
    }
}

/// A size, or `-` for a segment absent on that side.
fn size(n: Option<u64>) -> String {
    n.map_or_else(|| "-".into(), render::thousands)
}

/// The word for how a segment changed.
fn change_word(s: &SegmentDiff) -> &'static str {
    match s.rule {
        RuleChange::Same if s.is_unchanged() => "unchanged",
        RuleChange::Same => "members changed",
        RuleChange::Changed => "changed",
        RuleChange::Added => "added",
        RuleChange::Removed => "removed",
        RuleChange::Renamed => "renamed",
    }
}

/// The segment's name, with its old name when renamed.
fn title(s: &SegmentDiff) -> String {
    match &s.old_name {
        Some(old) => format!("{old} → {}", s.name),
        None => s.name.clone(),
    }
}

impl Report {
    fn changed(&self) -> impl Iterator<Item = &SegmentDiff> {
        self.segments.iter().filter(|s| !s.is_unchanged())
    }

    fn unchanged(&self) -> Vec<&str> {
        self.segments
            .iter()
            .filter(|s| s.is_unchanged())
            .map(|s| s.name.as_str())
            .collect()
    }

    /// The two sides, as the header says them.
    fn compared(&self) -> String {
        let [old, new] = &self.sides;
        if self.form == "rules" {
            format!(
                "rules {} → {} over {}",
                old.rules,
                new.rules,
                render::display_path(&new.data)
            )
        } else {
            format!(
                "data {} → {} under {}",
                render::display_path(&old.data),
                render::display_path(&new.data),
                new.rules
            )
        }
    }

    /// Notes before the segments: params whose default changed (rules
    /// form); profiles that appeared or disappeared, duplicate and missing
    /// keys (data form).
    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for p in &self.params {
            let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
            notes.push(format!(
                "param {}: {} → {}",
                p.name,
                text(&p.old),
                text(&p.new)
            ));
        }
        if let Some((appeared, disappeared)) = self.appeared {
            notes.push(format!(
                "{} profiles appeared and {} disappeared between the snapshots (counted in entered and left)",
                render::thousands(appeared),
                render::thousands(disappeared)
            ));
        }
        for (side, members) in self.sides.iter().zip(&self.members) {
            if members.duplicate_keys > 0 {
                notes.push(format!(
                    "warning: {} rows of {} repeat a key already seen (a key is a member when any of its rows is)",
                    render::thousands(members.duplicate_keys),
                    render::display_path(&side.data)
                ));
            }
            if members.missing_keys > 0 {
                notes.push(format!(
                    "warning: {} rows of {} have no key and are left out",
                    render::thousands(members.missing_keys),
                    render::display_path(&side.data)
                ));
            }
        }
        notes
    }

    fn human(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        let mut out = format!(
            "{} · {} → {} profiles · as of {}\n",
            self.compared(),
            render::thousands(self.profiles[0]),
            render::thousands(self.profiles[1]),
            seg::format_instant(self.as_of)
        );
        for note in self.notes() {
            out.push_str(&note);
            out.push('\n');
        }
        for s in self.changed() {
            out.push_str(&format!(
                "\n{} {}: {} → {} ({} entered, {} left)\n",
                change_word(s),
                title(s),
                size(s.before),
                size(s.after),
                paint("32", &format!("+{}", render::thousands(s.entered))),
                paint("31", &format!("-{}", render::thousands(s.left))),
            ));
            if !s.entered_sample.is_empty() {
                out.push_str(&format!(
                    "  entered: {}\n",
                    sample_line(&s.entered_sample, s.entered)
                ));
            }
            if !s.left_sample.is_empty() {
                out.push_str(&format!(
                    "  left:    {}\n",
                    sample_line(&s.left_sample, s.left)
                ));
            }
            for line in s.rule_diff.lines() {
                let line = if line.starts_with('+') && !line.starts_with("+++") {
                    paint("32", line)
                } else if line.starts_with('-') && !line.starts_with("---") {
                    paint("31", line)
                } else {
                    line.to_string()
                };
                out.push_str(&format!("  {line}\n"));
            }
        }
        let unchanged = self.unchanged();
        if !unchanged.is_empty() {
            out.push_str(&format!(
                "\nunchanged ({}): {}\n",
                unchanged.len(),
                unchanged.join(", ")
            ));
        }
        out
    }

    fn markdown(&self) -> String {
        let mut out = format!(
            "### Segment changes\n\n{} · {} → {} profiles · as of {}\n\n",
            self.compared().replace('|', "\\|"),
            render::thousands(self.profiles[0]),
            render::thousands(self.profiles[1]),
            seg::format_instant(self.as_of)
        );
        // One list item per note, and a blank line after the quote: a table
        // right after a quoted line would be read as part of the quote.
        let mut notes = 0;
        for note in self.notes() {
            out.push_str(&format!("> - {note}\n"));
            notes += 1;
        }
        if notes > 0 {
            out.push('\n');
        }
        let changed: Vec<&SegmentDiff> = self.changed().collect();
        if changed.is_empty() {
            out.push_str("No segment changed.\n");
        } else {
            out.push_str("| segment | change | before | after | entered | left |\n");
            out.push_str("|---|---|---:|---:|---:|---:|\n");
            for s in &changed {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} | +{} | -{} |\n",
                    title(s),
                    change_word(s),
                    size(s.before),
                    size(s.after),
                    render::thousands(s.entered),
                    render::thousands(s.left)
                ));
            }
        }
        let unchanged = self.unchanged();
        if !unchanged.is_empty() {
            let names: Vec<String> = unchanged.iter().map(|n| format!("`{n}`")).collect();
            out.push_str(&format!(
                "\nUnchanged ({}): {}\n",
                unchanged.len(),
                names.join(", ")
            ));
        }
        for s in &changed {
            out.push_str(&format!(
                "\n<details><summary><code>{}</code>: {}</summary>\n\n",
                html_escape(&title(s)),
                change_word(s)
            ));
            if !s.entered_sample.is_empty() {
                out.push_str(&format!(
                    "Entered: {}\n\n",
                    sample_line(&s.entered_sample, s.entered)
                ));
            }
            if !s.left_sample.is_empty() {
                out.push_str(&format!(
                    "Left: {}\n\n",
                    sample_line(&s.left_sample, s.left)
                ));
            }
            if !s.rule_diff.is_empty() {
                // A fence longer than any run of backticks in the rule.
                let fence = "`".repeat(longest_backticks(&s.rule_diff).max(2) + 1);
                out.push_str(&format!("{fence}diff\n{}{fence}\n\n", s.rule_diff));
            }
            out.push_str("</details>\n");
        }
        out
    }

    fn json(&self) -> serde_json::Value {
        let side = |i: usize| {
            let (s, m) = (&self.sides[i], &self.members[i]);
            serde_json::json!({
                "rules": s.rules,
                "data": render::display_path(&s.data),
                "profiles": self.profiles[i],
                "duplicate_keys": m.duplicate_keys,
                "missing_keys": m.missing_keys,
            })
        };
        serde_json::json!({
            "version": 1,
            "form": self.form,
            "as_of": seg::format_instant(self.as_of),
            "old": side(0),
            "new": side(1),
            "appeared": self.appeared.map(|a| a.0),
            "disappeared": self.appeared.map(|a| a.1),
            "params": self.params,
            "segments": self.segments,
        })
    }
}

/// Sample keys, with how many more there are.
fn sample_line(sample: &[String], total: u64) -> String {
    let more = total.saturating_sub(sample.len() as u64);
    if more == 0 {
        sample.join(", ")
    } else {
        format!("{} and {} more", sample.join(", "), render::thousands(more))
    }
}

/// The longest run of backticks in `text`.
fn longest_backticks(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Text safe inside HTML (the `<summary>` of a Markdown comment).
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_say_how_many_more() {
        assert_eq!(sample_line(&["1".into(), "2".into()], 2), "1, 2");
        assert_eq!(sample_line(&["1".into()], 1_201), "1 and 1,200 more");
        assert_eq!(longest_backticks("a ``` b `"), 3);
    }
}
