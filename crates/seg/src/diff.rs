//! Comparing two runs: who entered and who left each segment, between two
//! versions of the rules over the same data (`seg diff OLD.seg NEW.seg`) or
//! between two snapshots of the data under the same rules (`seg diff RULES
//! --data OLD --data NEW`).
//!
//! Each side is one ordinary [`run`](crate::run) into a [`MemberSink`],
//! which keeps the key of every member of every reported segment (memory
//! grows with members × key size; the data form also keeps every profile's
//! key, to tell profiles that appeared or disappeared). The sides are then
//! compared as sets by [`compare`]. Segments of two versions of the rules
//! are paired by [`match_segments`]: by name, and a removed segment whose
//! condition reads exactly like an added one's is taken as renamed.
//! [`rule_diff`] is the unified diff of a segment's formatted source.

use crate::{Error, Membership, Query, Sink};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type, UInt64Type};
use seg_ir::Program;
use std::collections::BTreeSet;
use std::fmt;

/// A profile's identity in a diff: its key value, or its row number when the
/// schema declares no key (only meaningful when both sides read the same
/// data, as the rules form does).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// An integer key (any width, signed or not).
    Int(i128),
    /// Any other key, as its value is shown.
    Text(String),
    /// The profile's position in the data, from 0 (no key declared).
    Row(u64),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(n) => write!(f, "{n}"),
            Key::Text(t) => f.write_str(t),
            Key::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// The keys of a key column, one per row (`None` for a missing key).
fn keys_of(array: &dyn Array) -> Vec<Option<Key>> {
    let rows = 0..array.len();
    match array.data_type() {
        DataType::Int64 => {
            let ints = array.as_primitive::<Int64Type>();
            rows.map(|r| (!ints.is_null(r)).then(|| Key::Int(i128::from(ints.value(r)))))
                .collect()
        }
        DataType::UInt64 => {
            let ints = array.as_primitive::<UInt64Type>();
            rows.map(|r| (!ints.is_null(r)).then(|| Key::Int(i128::from(ints.value(r)))))
                .collect()
        }
        ty if ty.is_integer() => match arrow::compute::cast(array, &DataType::Int64) {
            // Narrower integers widen to Int64 without loss.
            Ok(wide) => keys_of(wide.as_ref()),
            Err(_) => text_keys(array),
        },
        _ => text_keys(array),
    }
}

/// Keys compared by their shown text (strings, dates, ...).
fn text_keys(array: &dyn Array) -> Vec<Option<Key>> {
    (0..array.len())
        .map(|r| (!array.is_null(r)).then(|| Key::Text(crate::present::cell(array, r))))
        .collect()
}

/// The members of each reported segment after one run, by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Members {
    /// The reported segments' names, in selection order.
    pub names: Vec<String>,
    /// The keys of each segment's members, in the order of `names`.
    pub members: Vec<BTreeSet<Key>>,
    /// Every profile's key, when collected (the data form).
    pub profiles: Option<BTreeSet<Key>>,
    /// Rows whose key was already seen (counted only when `profiles` is
    /// collected); a key is a member when any of its rows is.
    pub duplicate_keys: u64,
    /// Rows without a key value: never members in a diff, counted here.
    pub missing_keys: u64,
}

/// A [`Sink`] that keeps the key of every member of each reported segment
/// (and, when asked, every profile's key).
pub struct MemberSink {
    key: Option<String>,
    next_row: u64,
    members: Members,
}

impl MemberSink {
    /// Collects members of `query`'s reported segments, identified by the
    /// schema's key or, without one, by row number. `profiles` also keeps
    /// every profile's key, to count duplicates and profiles that appear
    /// in only one snapshot.
    pub fn new(query: &Query, profiles: bool) -> MemberSink {
        let names: Vec<String> = query
            .selection()
            .segments()
            .iter()
            .map(|&id| query.segment_name(id).to_string())
            .collect();
        MemberSink {
            key: query.key_name().map(str::to_string),
            next_row: 0,
            members: Members {
                members: vec![BTreeSet::new(); names.len()],
                names,
                profiles: profiles.then(BTreeSet::new),
                ..Members::default()
            },
        }
    }

    /// The members collected.
    pub fn into_members(self) -> Members {
        self.members
    }
}

impl Sink for MemberSink {
    fn write(&mut self, batch: &RecordBatch, membership: &Membership) -> Result<(), Error> {
        let rows = batch.num_rows();
        let keys: Vec<Option<Key>> = match &self.key {
            Some(name) => match batch.schema().index_of(name) {
                Ok(index) => keys_of(batch.column(index).as_ref()),
                Err(_) => {
                    return Err(Error::new(
                        "E0401",
                        format!("the data has no key column `{name}`"),
                        None,
                    ));
                }
            },
            None => (self.next_row..self.next_row + rows as u64)
                .map(|r| Some(Key::Row(r)))
                .collect(),
        };
        self.next_row += rows as u64;
        let m = &mut self.members;
        if let Some(profiles) = &mut m.profiles {
            for key in &keys {
                match key {
                    Some(key) => {
                        if !profiles.insert(key.clone()) {
                            m.duplicate_keys += 1;
                        }
                    }
                    None => m.missing_keys += 1,
                }
            }
        } else {
            m.missing_keys += keys.iter().filter(|k| k.is_none()).count() as u64;
        }
        for (set, array) in m.members.iter_mut().zip(&membership.segments) {
            for (row, key) in keys.iter().enumerate() {
                if let Some(key) = key
                    && array.is_valid(row)
                    && array.value(row)
                {
                    set.insert(key.clone());
                }
            }
        }
        Ok(())
    }
}

/// A segment's source in one version of the rules: its name, its
/// formatted declaration (for the textual diff) and its condition as the
/// IR renders it (for telling a rename from a new segment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentSource {
    /// The segment's name.
    pub name: String,
    /// The declaration in the formatter's canonical layout, without
    /// comments.
    pub formatted: String,
    /// `where` and `exclude` conditions, rendered from the typed program:
    /// equal for two conditions that mean the same whatever their layout.
    pub condition: String,
}

/// The sources of every segment of a checked program (in every file it
/// reads), in program order. Segments the program lacks (it had errors)
/// are left out.
pub fn segment_sources(checked: &crate::Checked) -> Vec<SegmentSource> {
    let Some(program) = &checked.program else {
        return Vec::new();
    };
    let mut formatted = std::collections::HashMap::new();
    for (file, ast) in &checked.files {
        let Some(source) = checked.sources.get(*file) else {
            continue;
        };
        for item in &ast.items {
            if let seg_syntax::ast::ItemKind::Segment(segment) = &item.kind {
                let alone = seg_syntax::ast::File {
                    items: vec![item.clone()],
                    comments: Vec::new(),
                };
                let text = seg_syntax::format_file(&alone, &source.text);
                formatted.insert(segment.name.name.clone(), text);
            }
        }
    }
    program
        .segments
        .iter()
        .map(|s| SegmentSource {
            name: s.name.clone(),
            formatted: formatted.remove(&s.name).unwrap_or_default(),
            condition: condition_text(program, s),
        })
        .collect()
}

/// A segment's conditions as text, from the typed program.
fn condition_text(program: &Program, segment: &seg_ir::Segment) -> String {
    let mut text = format!("where {}", seg_ir::expr_text(program, &segment.where_));
    if let Some(exclude) = &segment.exclude {
        text.push_str(" exclude ");
        text.push_str(&seg_ir::expr_text(program, exclude));
    }
    text
}

/// How a segment changed between two versions of the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleChange {
    /// The same formatted declaration on both sides.
    Same,
    /// The same name, another declaration.
    Changed,
    /// Only in the new rules.
    Added,
    /// Only in the old rules.
    Removed,
    /// A removed and an added segment with the same condition.
    Renamed,
}

/// One segment paired across two versions of the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// Its name in the old rules, unless added.
    pub old: Option<String>,
    /// Its name in the new rules, unless removed.
    pub new: Option<String>,
    /// How it changed.
    pub change: RuleChange,
}

/// Pairs the segments of two versions of the rules: by name first; then
/// each removed segment whose condition reads exactly like that of an
/// added one (the first such, in program order) is a rename. The pairs
/// come in the new rules' order, then the removed segments.
pub fn match_segments(old: &[SegmentSource], new: &[SegmentSource]) -> Vec<Pair> {
    let in_old = |name: &str| old.iter().find(|s| s.name == name);
    let in_new = |name: &str| new.iter().any(|s| s.name == name);
    let mut removed: Vec<&SegmentSource> = old.iter().filter(|s| !in_new(&s.name)).collect();
    let mut pairs = Vec::new();
    for segment in new {
        let pair = match in_old(&segment.name) {
            Some(before) => Pair {
                old: Some(before.name.clone()),
                new: Some(segment.name.clone()),
                change: if before.formatted == segment.formatted {
                    RuleChange::Same
                } else {
                    RuleChange::Changed
                },
            },
            None => match removed
                .iter()
                .position(|r| r.condition == segment.condition)
            {
                Some(index) => Pair {
                    old: Some(removed.remove(index).name.clone()),
                    new: Some(segment.name.clone()),
                    change: RuleChange::Renamed,
                },
                None => Pair {
                    old: None,
                    new: Some(segment.name.clone()),
                    change: RuleChange::Added,
                },
            },
        };
        pairs.push(pair);
    }
    pairs.extend(removed.into_iter().map(|r| Pair {
        old: Some(r.name.clone()),
        new: None,
        change: RuleChange::Removed,
    }));
    pairs
}

/// The unified diff (three lines of context) from `old` to `new`, with
/// `---`/`+++` headers naming them; empty when they are equal.
pub fn rule_diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

/// A param whose default differs between two versions of the rules (a
/// changed threshold moves members without changing any segment's text).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParamChange {
    /// The param's name.
    pub name: String,
    /// Its default in the old rules, as Seg text (none when added).
    pub old: Option<String>,
    /// Its default in the new rules, as Seg text (none when removed).
    pub new: Option<String>,
}

/// The params added, removed or given another default between `old` and
/// `new`, in the new rules' order, then the removed ones.
pub fn param_changes(old: &Program, new: &Program) -> Vec<ParamChange> {
    let value = |p: &Program, name: &str| {
        p.params
            .iter()
            .find(|q| q.name == name)
            .map(|q| seg_ir::const_text(&q.value))
    };
    let mut changes: Vec<ParamChange> = new
        .params
        .iter()
        .map(|p| ParamChange {
            name: p.name.clone(),
            old: value(old, &p.name),
            new: Some(seg_ir::const_text(&p.value)),
        })
        .filter(|c| c.old != c.new)
        .collect();
    changes.extend(
        old.params
            .iter()
            .filter(|p| value(new, &p.name).is_none())
            .map(|p| ParamChange {
                name: p.name.clone(),
                old: Some(seg_ir::const_text(&p.value)),
                new: None,
            }),
    );
    changes
}

/// What changed for one segment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SegmentDiff {
    /// Its name (in the new rules, or the old for a removed segment).
    pub name: String,
    /// Its name in the old rules, when renamed.
    pub old_name: Option<String>,
    /// How its rule changed (`same` in the data form).
    pub rule: RuleChange,
    /// Members in the old run (none when added).
    pub before: Option<u64>,
    /// Members in the new run (none when removed).
    pub after: Option<u64>,
    /// Members of the new run that were not members of the old.
    pub entered: u64,
    /// Members of the old run that are not members of the new.
    pub left: u64,
    /// Of `entered`, profiles absent from the old snapshot (data form).
    pub entered_appeared: u64,
    /// Of `left`, profiles absent from the new snapshot (data form).
    pub left_disappeared: u64,
    /// The first keys of `entered`, in key order.
    pub entered_sample: Vec<String>,
    /// The first keys of `left`, in key order.
    pub left_sample: Vec<String>,
    /// The unified diff of the segment's formatted declaration (empty when
    /// the text is the same).
    pub rule_diff: String,
}

impl SegmentDiff {
    /// True when neither the rule nor the members changed.
    pub fn is_unchanged(&self) -> bool {
        self.rule == RuleChange::Same && self.entered == 0 && self.left == 0
    }
}

/// How [`compare`] shows keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompareOptions {
    /// Keys shown per segment for those who entered and those who left.
    pub sample: usize,
    /// Show `MASKED` instead of key values (the key field is `pii` and the
    /// user did not pass `--show-pii`).
    pub mask_keys: bool,
}

/// Compares the members of paired segments. `pairs` name segments of
/// `old` and `new` (as [`match_segments`] gives; for the data form every
/// segment paired with itself); a name a side did not report counts as
/// absent there. `diffs` gives each pair's rule diff, in the same order
/// (empty strings for none).
pub fn compare(
    old: &Members,
    new: &Members,
    pairs: &[Pair],
    diffs: &[String],
    options: &CompareOptions,
) -> Vec<SegmentDiff> {
    let find = |side: &'_ Members, name: &Option<String>| -> Option<usize> {
        let name = name.as_deref()?;
        side.names.iter().position(|n| n == name)
    };
    let empty = BTreeSet::new();
    pairs
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            let before = find(old, &pair.old).map(|i| &old.members[i]);
            let after = find(new, &pair.new).map(|i| &new.members[i]);
            let (b, a) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
            let entered: Vec<&Key> = a.difference(b).collect();
            let left: Vec<&Key> = b.difference(a).collect();
            let outside = |keys: &[&Key], profiles: &Option<BTreeSet<Key>>| -> u64 {
                profiles.as_ref().map_or(0, |p| {
                    keys.iter().filter(|k| !p.contains(**k)).count() as u64
                })
            };
            let sample = |keys: &[&Key]| -> Vec<String> {
                keys.iter()
                    .take(options.sample)
                    .map(|k| {
                        if options.mask_keys {
                            crate::present::MASKED.to_string()
                        } else {
                            k.to_string()
                        }
                    })
                    .collect()
            };
            SegmentDiff {
                name: pair
                    .new
                    .clone()
                    .or_else(|| pair.old.clone())
                    .unwrap_or_default(),
                old_name: (pair.change == RuleChange::Renamed)
                    .then(|| pair.old.clone())
                    .flatten(),
                rule: pair.change,
                before: before.map(|s| s.len() as u64),
                after: after.map(|s| s.len() as u64),
                entered: entered.len() as u64,
                left: left.len() as u64,
                entered_appeared: outside(&entered, &old.profiles),
                left_disappeared: outside(&left, &new.profiles),
                entered_sample: sample(&entered),
                left_sample: sample(&left),
                rule_diff: diffs.get(i).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// Profiles in `new` but not `old` (appeared) and in `old` but not `new`
/// (disappeared), when both collected every profile.
pub fn appeared_disappeared(old: &Members, new: &Members) -> Option<(u64, u64)> {
    let (o, n) = (old.profiles.as_ref()?, new.profiles.as_ref()?);
    Some((
        n.difference(o).count() as u64,
        o.difference(n).count() as u64,
    ))
}

/// Pairs and rule diffs of two checked versions of the rules, ready for
/// [`compare`]: the labels name the two versions in diff headers.
pub fn rules_pairs(
    old: &crate::Checked,
    new: &crate::Checked,
    old_label: &str,
    new_label: &str,
) -> (Vec<Pair>, Vec<String>) {
    let (old, new) = (segment_sources(old), segment_sources(new));
    let pairs = match_segments(&old, &new);
    let text = |side: &[SegmentSource], name: &Option<String>| -> String {
        name.as_deref()
            .and_then(|n| side.iter().find(|s| s.name == n))
            .map(|s| s.formatted.clone())
            .unwrap_or_default()
    };
    let diffs = pairs
        .iter()
        .map(|p| {
            rule_diff(
                &text(&old, &p.old),
                &text(&new, &p.new),
                old_label,
                new_label,
            )
        })
        .collect();
    (pairs, diffs)
}

/// Every reported segment paired with itself: the data form's pairs.
pub fn same_pairs(members: &Members) -> Vec<Pair> {
    members
        .names
        .iter()
        .map(|n| Pair {
            old: Some(n.clone()),
            new: Some(n.clone()),
            change: RuleChange::Same,
        })
        .collect()
}

/// Runs `executor` over `input` and collects the members of its reported
/// segments ([`MemberSink`]); `profiles` also keeps every profile's key.
pub fn collect(
    executor: &crate::Executor<'_>,
    input: crate::Input,
    profiles: bool,
    threads: usize,
) -> Result<(Members, crate::RunReport), crate::RunError> {
    let mut sink = MemberSink::new(executor.query(), profiles);
    let report = crate::run(executor, input, &mut sink, &crate::Silent, threads)?;
    Ok((sink.into_members(), report))
}

/// Opens `path` for `query`, binds and compiles it, and collects the
/// members of its reported segments ([`collect`]): one side of a diff.
/// Every profile comes out of the run when `profiles` is set (the data
/// form needs every key) or when the schema has no key (profiles are then
/// told apart by row number); otherwise statistics pruning skips row groups
/// without members. A column that does not fit the schema, or a failure to
/// compile, is [`RunError::Program`](crate::RunError::Program).
#[cfg(feature = "formats")]
pub fn collect_file(
    query: &Query,
    path: &std::path::Path,
    format: crate::formats::DataFormat,
    profiles: bool,
    threads: usize,
) -> Result<(Members, crate::RunReport), crate::RunError> {
    let open = crate::formats::OpenOptions {
        every_profile: profiles || query.key_name().is_none(),
        ..crate::formats::OpenOptions::default()
    };
    let input = crate::formats::open_query(query, path, format, &open)?;
    let binding = query
        .bind_among(&input.schema, &input.columns)
        .map_err(crate::RunError::Program)?;
    let executor = query
        .compile(crate::Engine::Auto, &binding)
        .map_err(|d| crate::RunError::Program(vec![d]))?;
    collect(&executor, input, profiles, threads)
}

/// Reads old rules from git: `git show REV:./PATH` run in each file's
/// directory, so that the root file and the files its `use`s name are all
/// read as they were at `rev`.
#[derive(Clone, Debug)]
pub struct GitLoader {
    /// The revision (`HEAD`, `main`, a commit).
    pub rev: String,
}

impl crate::SourceLoader for GitLoader {
    fn load(
        &self,
        path: &std::path::Path,
    ) -> Result<(std::path::PathBuf, String), crate::LoadError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| crate::LoadError::Io("not a file name".into()))?;
        // `git show -x:./f` would read the revision as an option.
        if self.rev.starts_with('-') || self.rev.is_empty() {
            return Err(crate::LoadError::Io(format!(
                "`{}` is not a revision",
                self.rev
            )));
        }
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .arg("show")
            .arg(format!("{}:./{}", self.rev, name.to_string_lossy()))
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| {
                crate::LoadError::Io(format!("cannot run git: {}", crate::io_reason(&e)))
            })?;
        if !output.status.success() {
            let reason = String::from_utf8_lossy(&output.stderr);
            let reason = reason.lines().next().unwrap_or("git show failed").trim();
            let reason = reason.strip_prefix("fatal: ").unwrap_or(reason);
            return Err(crate::LoadError::Io(format!("at `{}`: {reason}", self.rev)));
        }
        let limit = seg_syntax::limits::MAX_FILE_BYTES;
        if output.stdout.len() > limit {
            return Err(crate::LoadError::TooLarge(output.stdout.len() as u64));
        }
        let text = String::from_utf8(output.stdout).map_err(|e| crate::LoadError::NotUtf8 {
            valid: String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()])
                .into_owned(),
        })?;
        let text = seg_syntax::strip_bom(&text).to_string();
        // One key per file and revision; `use`s of the same file load once.
        Ok((path.to_path_buf(), text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> crate::Checked {
        let checked = crate::check_source("rules.seg".as_ref(), text);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        checked
    }

    const SCHEMA: &str = "schema {\n  id: int key\n  orders: int\n  country: string\n}\n";

    #[test]
    fn pairs_by_name_then_by_condition() {
        let old = checked(&format!(
            "{SCHEMA}segment a {{ where orders > 1 }}\nsegment b {{ where country == \"US\" }}\n\
             segment gone {{ where orders > 9 }}\nsegment same {{ where orders == 0 }}\n"
        ));
        let new = checked(&format!(
            "{SCHEMA}segment a {{ where orders > 2 }}\nsegment us {{ where country   ==   \"US\" }}\n\
             segment fresh {{ where orders < 0 }}\nsegment same {{ where orders == 0 }}\n"
        ));
        let (pairs, diffs) = rules_pairs(&old, &new, "old", "new");
        let changes: Vec<(Option<&str>, Option<&str>, RuleChange)> = pairs
            .iter()
            .map(|p| (p.old.as_deref(), p.new.as_deref(), p.change))
            .collect();
        assert_eq!(
            changes,
            [
                (Some("a"), Some("a"), RuleChange::Changed),
                (Some("b"), Some("us"), RuleChange::Renamed),
                (None, Some("fresh"), RuleChange::Added),
                (Some("same"), Some("same"), RuleChange::Same),
                (Some("gone"), None, RuleChange::Removed),
            ]
        );
        assert!(diffs[0].contains("-  where orders > 1"), "{}", diffs[0]);
        assert!(diffs[0].contains("+  where orders > 2"), "{}", diffs[0]);
        assert!(diffs[3].is_empty());
    }

    #[test]
    fn the_git_loader_reads_a_file_and_its_uses_at_a_revision() {
        let dir = tempfile::tempdir().expect("temp dir");
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("git runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let write =
            |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        write("schema.seg", SCHEMA);
        write(
            "rules.seg",
            "use \"schema.seg\"\nsegment a { where orders > 1 }\n",
        );
        git(&["init", "-q"]);
        git(&["add", "."]);
        git(&["commit", "-q", "-m", "one"]);
        write("schema.seg", "schema {\n  id: int key\n}\n");
        write(
            "rules.seg",
            "use \"schema.seg\"\nsegment b { where id > 1 }\n",
        );
        let loader = GitLoader { rev: "HEAD".into() };
        let checked = crate::check_program(&dir.path().join("rules.seg"), &loader);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let program = checked.program.expect("program");
        assert_eq!(program.segments[0].name, "a");
        assert!(
            program.schema.find("orders").is_some(),
            "the schema at HEAD"
        );
        let missing = crate::SourceLoader::load(&loader, &dir.path().join("absent.seg"));
        assert!(matches!(missing, Err(crate::LoadError::Io(reason)) if reason.contains("HEAD")));
        let option = GitLoader {
            rev: "--output=x".into(),
        };
        assert!(crate::SourceLoader::load(&option, &dir.path().join("rules.seg")).is_err());
        assert!(!dir.path().join("x").exists());
    }

    #[test]
    fn changed_params_are_listed() {
        let old = checked(&format!(
            "{SCHEMA}param low = 1\nparam gone = 2\nsegment a {{ where orders > low }}\n"
        ));
        let new = checked(&format!(
            "{SCHEMA}param low = 3\nparam fresh = \"x\"\nsegment a {{ where orders > low }}\n"
        ));
        let (old, new) = (old.program.expect("old"), new.program.expect("new"));
        let changes: Vec<(String, Option<String>, Option<String>)> = param_changes(&old, &new)
            .into_iter()
            .map(|c| (c.name, c.old, c.new))
            .collect();
        assert_eq!(
            changes,
            [
                ("low".into(), Some("1".into()), Some("3".into())),
                ("fresh".into(), None, Some("\"x\"".into())),
                ("gone".into(), Some("2".into()), None),
            ]
        );
    }

    #[test]
    fn entered_left_and_samples() {
        let keys = |v: &[i128]| v.iter().map(|&n| Key::Int(n)).collect::<BTreeSet<_>>();
        let old = Members {
            names: vec!["a".into()],
            members: vec![keys(&[1, 2, 3])],
            profiles: Some(keys(&[1, 2, 3, 4])),
            ..Members::default()
        };
        let new = Members {
            names: vec!["a".into()],
            members: vec![keys(&[2, 3, 5, 6])],
            profiles: Some(keys(&[2, 3, 4, 5, 6])),
            ..Members::default()
        };
        let options = CompareOptions {
            sample: 1,
            mask_keys: false,
        };
        let diff = compare(&old, &new, &same_pairs(&old), &[], &options);
        assert_eq!(diff[0].before, Some(3));
        assert_eq!(diff[0].after, Some(4));
        assert_eq!((diff[0].entered, diff[0].left), (2, 1));
        // 5 and 6 are new profiles; 1 left because it disappeared.
        assert_eq!((diff[0].entered_appeared, diff[0].left_disappeared), (2, 1));
        assert_eq!(diff[0].entered_sample, ["5"]);
        assert_eq!(diff[0].left_sample, ["1"]);
        assert_eq!(appeared_disappeared(&old, &new), Some((2, 1)));
        let masked = compare(
            &old,
            &new,
            &same_pairs(&old),
            &[],
            &CompareOptions {
                sample: 5,
                mask_keys: true,
            },
        );
        assert_eq!(masked[0].left_sample, [crate::present::MASKED]);
    }

    #[test]
    fn the_sink_collects_member_keys_and_counts_duplicates() {
        use arrow::array::{BooleanArray, Int64Array};
        use std::sync::Arc;
        let program = checked(&format!("{SCHEMA}segment a {{ where orders > 1 }}\n"))
            .program
            .expect("program");
        let query = Query::prepare(&program, &crate::RunOptions::default()).expect("query");
        let batch = RecordBatch::try_from_iter([(
            "id",
            Arc::new(Int64Array::from(vec![Some(7), Some(7), None, Some(9)])) as _,
        )])
        .expect("batch");
        let membership = Membership {
            segments: vec![BooleanArray::from(vec![false, true, true, false])],
            priorities: Vec::new(),
        };
        let mut sink = MemberSink::new(&query, true);
        sink.write(&batch, &membership).expect("write");
        let members = sink.into_members();
        assert_eq!(members.members[0], BTreeSet::from([Key::Int(7)]));
        assert_eq!((members.duplicate_keys, members.missing_keys), (1, 1));
    }
}
