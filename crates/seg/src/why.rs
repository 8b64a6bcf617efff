//! `seg why`: one profile's verdict in each segment, and the reason.
//!
//! [`why`] finds the profile whose key is given (reading, in a Parquet file,
//! only the row groups whose statistics allow that key), explains every
//! segment's verdict on it with the reference evaluator
//! ([`seg_eval::Evaluator::explain`]: the oracle's own code, on the program
//! as checked so that the conditions read like the source), and returns a
//! serializable [`Why`]: per segment the condition tree with every clause's
//! value, the deciding clause, whether `exclude` removed the profile, and the
//! field values read (personal data masked through [`crate::present`]); per
//! priority group the segment chosen and why each earlier entry lost.

use crate::formats::{self, DataFormat, Pruning};
use crate::{Error, Query, RunError};
use arrow::array::Array;
use arrow::buffer::BooleanBuffer;
use arrow::record_batch::RecordBatch;
use seg_diagnostics::SourceMap;
use seg_eval::{Col, Evaluator, Explanation, Node, NodeKind};
use seg_ir::{CmpOp, Const, Expr, ExprKind, FieldId, Program, SegmentId, Selection, Type};
use serde::Serialize;
use std::path::Path;

/// What [`why`] looks up, and how it shows it.
#[derive(Clone, Debug)]
pub struct WhyOptions<'a> {
    /// The key of the profile, as the user wrote it (parsed as the schema's
    /// key type: E0410 when it does not parse).
    pub key: String,
    /// Show `pii` values instead of [`crate::present::MASKED`].
    pub show_pii: bool,
    /// Rows per batch read from the data.
    pub batch_rows: usize,
    /// The rules' sources, to give each condition its line and column.
    pub sources: Option<&'a SourceMap>,
}

/// One profile's verdicts, explained (`seg why --format json` prints it; the
/// schema is in docs/semantics.md, "seg why").
#[derive(Clone, Debug, Serialize)]
pub struct Why {
    /// The key column's name.
    pub key_field: String,
    /// The key looked up, as given.
    pub key: String,
    /// How many rows of the data have this key; the first is explained.
    pub rows_with_key: u64,
    /// The instant of evaluation, RFC 3339.
    pub as_of: String,
    /// Parquet row groups in the file and those read (the others'
    /// statistics prove they cannot hold the key); `None` for other formats,
    /// which are scanned.
    pub row_groups: Option<RowGroups>,
    /// The segments explained: those reported first (in the order of the
    /// selection, then the segments of the reported priority groups), then
    /// the segments they refer to (`reported: false`).
    pub segments: Vec<SegmentWhy>,
    /// The reported priority groups.
    pub priorities: Vec<PriorityWhy>,
}

/// The row groups of a Parquet file [`why`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RowGroups {
    /// Row groups in the file.
    pub total: usize,
    /// Row groups read.
    pub read: usize,
}

/// One segment's verdict, explained.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentWhy {
    /// The segment's name.
    pub name: String,
    /// Its title, when it has one.
    pub title: Option<String>,
    /// False for a segment shown only because a reported one refers to it.
    pub reported: bool,
    /// Whether the profile is a member.
    pub member: bool,
    /// Whether `exclude` removed a profile `where` let in.
    pub excluded: bool,
    /// `"where"` or `"exclude"`: the condition that decided the verdict.
    pub decided_by: &'static str,
    /// The text of the clause that decided (marked `deciding` in its tree).
    pub deciding: String,
    /// The value of that clause.
    pub deciding_value: Truth,
    /// The `where` condition's tree.
    #[serde(rename = "where")]
    pub where_: WhyNode,
    /// The `exclude` condition's tree, when the segment has one.
    pub exclude: Option<WhyNode>,
    /// The profile fields the segment reads (directly or through the
    /// segments it refers to), in schema order, with their values.
    pub fields: Vec<FieldValue>,
    /// The params its own conditions use, in declaration order, with the
    /// values of this run (overrides applied).
    pub params: Vec<ParamValue>,
}

/// A param and its value in the run.
#[derive(Clone, Debug, Serialize)]
pub struct ParamValue {
    /// The param's name.
    pub name: String,
    /// Its value as a Seg literal.
    pub value: String,
}

/// A condition with its value on the profile.
#[derive(Clone, Debug, Serialize)]
pub struct WhyNode {
    /// The condition as Seg text (the IR renderer's, from the rules as
    /// checked).
    pub text: String,
    /// Its value: `true`, `false` or `unknown`.
    pub value: Truth,
    /// `and`, `or`, `not`, `segment` (a reference) or `predicate`.
    pub kind: &'static str,
    /// For `kind: segment`, the segment referred to (explained in
    /// [`Why::segments`]).
    pub segment: Option<String>,
    /// Whether it is one of the operands that decided its parent's value.
    pub decides: bool,
    /// Whether it is the segment's deciding clause.
    pub deciding: bool,
    /// Where it is written.
    pub span: WhySpan,
    /// The aggregates over event histories it compares, with their values.
    pub aggregates: Vec<AggregateValue>,
    /// The operands of `and`, `or` and `not`.
    pub children: Vec<WhyNode>,
}

/// Three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Truth {
    /// True.
    True,
    /// False.
    False,
    /// Unknown (a missing value decided it).
    Unknown,
}

impl From<Option<bool>> for Truth {
    fn from(value: Option<bool>) -> Self {
        match value {
            Some(true) => Truth::True,
            Some(false) => Truth::False,
            None => Truth::Unknown,
        }
    }
}

impl Truth {
    /// The word: `true`, `false` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
        }
    }
}

/// Where a condition is written: byte offsets, and the file, line and
/// column when the sources were given.
#[derive(Clone, Debug, Serialize)]
pub struct WhySpan {
    /// The file, as the user named it.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column, in characters.
    pub column: Option<u32>,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// An aggregate and its value.
#[derive(Clone, Debug, Serialize)]
pub struct AggregateValue {
    /// The aggregate as Seg text (`count(orders where …)`).
    pub text: String,
    /// Its value as a Seg literal, or `missing`.
    pub value: String,
}

/// A profile field read and its value.
#[derive(Clone, Debug, Serialize)]
pub struct FieldValue {
    /// The field's name.
    pub name: String,
    /// Its declared type.
    #[serde(rename = "type")]
    pub ty: Type,
    /// Whether it is personal data.
    pub pii: bool,
    /// The value as [`crate::present::shown`] shows it (masked for `pii`
    /// unless asked), or, for an event history, its number of records.
    pub value: String,
}

/// A priority group's choice for the profile.
#[derive(Clone, Debug, Serialize)]
pub struct PriorityWhy {
    /// The group's name.
    pub name: String,
    /// The segment chosen, or `None` when the profile is in none.
    pub chosen: Option<String>,
    /// Every entry, in the group's order.
    pub entries: Vec<PriorityEntry>,
}

/// One entry of a priority group.
#[derive(Clone, Debug, Serialize)]
pub struct PriorityEntry {
    /// The segment.
    pub segment: String,
    /// Whether the profile is a member of it.
    pub member: bool,
    /// `chosen`, `lost` (an earlier entry that is not a member: its
    /// deciding clause is `reason`), or `later` (after the choice, not
    /// considered).
    pub outcome: &'static str,
    /// For a lost entry, the clause that kept the profile out.
    pub reason: Option<String>,
    /// The value of that clause: `false` or `unknown` for a `where`
    /// clause, `true` for an `exclude` clause that removed the profile.
    pub reason_value: Option<Truth>,
}

/// The usage error (E0410) for a key that cannot be looked up.
fn key_error(message: String, help: String) -> RunError {
    RunError::Data(Error::new("E0410", message, Some(help)))
}

/// The key as a constant of the key field's type.
fn parse_key(program: &Program) -> impl Fn(&str) -> Result<(FieldId, Const), RunError> + '_ {
    move |text: &str| {
        let Some(id) = program.schema.key() else {
            return Err(key_error(
                "the schema declares no key, so no profile can be looked up".into(),
                "mark the profile id in the schema: `customer_id: int key`".into(),
            ));
        };
        let field = program.schema.field(id);
        let value = match &field.ty {
            Type::Int => text.trim().parse::<i64>().map(Const::Int).map_err(|_| {
                key_error(
                    format!(
                        "`{text}` is not an `int`, the type of the key `{}`",
                        field.name
                    ),
                    "give the key as a whole number, e.g. --key 1042".to_string(),
                )
            })?,
            Type::String => Const::String(text.to_string()),
            other => {
                return Err(key_error(
                    format!(
                        "the key `{}` is a `{other}`; `seg why` looks up `int` and `string` keys",
                        field.name
                    ),
                    "declare the key as `int key` or `string key`".into(),
                ));
            }
        };
        Ok((id, value))
    }
}

/// A program of one segment, `key == value`: statistics pruning of it reads
/// only the row groups that can hold the key.
fn key_program(program: &Program, key: FieldId, value: Const) -> Program {
    let ty = program.schema.field(key).ty.clone();
    let span = seg_diagnostics::Span::default();
    let leaf = |kind, ty| Expr { kind, ty, span };
    let mut lookup = program.clone();
    lookup.segments = vec![seg_ir::Segment {
        name: "key".into(),
        title: None,
        where_: leaf(
            ExprKind::Compare {
                op: CmpOp::Eq,
                lhs: Box::new(leaf(ExprKind::Field(key), ty.clone())),
                rhs: Box::new(leaf(ExprKind::Const(value), ty)),
            },
            Type::Bool,
        ),
        exclude: None,
        span,
    }];
    lookup.priorities.clear();
    lookup.tests.clear();
    lookup
}

/// Whether each row of a key column equals `key`.
fn key_matches(column: &arrow::array::ArrayRef, ty: &Type, key: &Const) -> Option<Vec<bool>> {
    Some(match (seg_eval::read_column(ty, column)?, key) {
        (Col::Int(values), Const::Int(k)) => values.iter().map(|v| *v == Some(*k)).collect(),
        (Col::Str(values), Const::String(k)) => values
            .iter()
            .map(|v| v.as_deref() == Some(k.as_str()))
            .collect(),
        _ => return None,
    })
}

/// The segments to explain: the reported ones, the segments of the
/// reported groups, then the segments they refer to; each with whether it
/// was reported.
fn explained_segments(program: &Program, selection: &Selection) -> Vec<(SegmentId, bool)> {
    let mut out: Vec<(SegmentId, bool)> = Vec::new();
    let add = |id: SegmentId, reported: bool, out: &mut Vec<(SegmentId, bool)>| {
        if !out.iter().any(|(s, _)| *s == id) {
            out.push((id, reported));
        }
    };
    for &id in selection.segments() {
        add(id, true, &mut out);
    }
    for group in selection
        .priorities()
        .iter()
        .filter_map(|&p| program.priorities.get(p))
    {
        for &id in &group.segments {
            add(id, true, &mut out);
        }
    }
    for &id in selection.order() {
        add(id, false, &mut out);
    }
    out
}

/// Explains the verdicts of `query`'s reported segments and priority groups
/// on the profile whose key is `options.key`, read from `data`.
///
/// The conditions are explained on [`Query::program`] (the rules as
/// checked), whatever the query's optimization: the tree matches the source
/// text, and the values are the reference evaluator's. Errors: E0410 when
/// the key does not parse as the key field's type (or the schema has no
/// key), E0411 when no row has it; data errors as `seg run` reports them.
pub fn why(
    query: &Query,
    data: &Path,
    format: DataFormat,
    options: &WhyOptions<'_>,
) -> Result<Why, RunError> {
    let program = query.program();
    let (key_id, key_value) = parse_key(program)(&options.key)?;
    let key_field = program.schema.field(key_id);
    // Ids of segments and groups are the same in the optimized program.
    let selection = Selection::new(
        program,
        query.selection().segments().to_vec(),
        query.selection().priorities().to_vec(),
    );
    let evaluator =
        Evaluator::with_params(program, query.params().to_vec(), query.as_of(), selection);
    let fields = evaluator.required_fields();

    let lookup = key_program(program, key_id, key_value.clone());
    let pruner = (format == DataFormat::Parquet).then(|| {
        let only = Selection::new(&lookup, vec![SegmentId(0)], Vec::new());
        seg_prune::Pruner::new(&lookup, query.params(), query.as_of(), &only)
    });
    let pruning = pruner.as_ref().map(|pruner| Pruning {
        pruner,
        keep_key: None,
    });
    let input = formats::open(data, format, program, &fields, options.batch_rows, pruning)?;
    let binding = evaluator
        .bind_among(&input.schema, &input.columns)
        .map_err(RunError::Program)?;
    let row_groups = input.pruning.as_ref().map(|p| RowGroups {
        total: p.row_groups,
        read: p.row_groups_read,
    });
    let key_index = binding.column(key_id).ok_or_else(|| {
        RunError::Data(Error::new(
            "E0401",
            format!("the key column `{}` is not in the data", key_field.name),
            None,
        ))
    })?;

    // The first row with the key, and how many rows have it.
    let mut found: Option<(RecordBatch, usize)> = None;
    let mut rows_with_key = 0u64;
    for batch in input.batches {
        let batch = batch?.batch;
        let column = batch.column(key_index);
        let matches = key_matches(column, &key_field.ty, &key_value).ok_or_else(|| {
            RunError::Data(Error::new(
                "E0402",
                format!(
                    "the key column `{}` cannot be read as `{}`",
                    key_field.name, key_field.ty
                ),
                None,
            ))
        })?;
        for (row, hit) in matches.into_iter().enumerate() {
            if hit {
                rows_with_key += 1;
                if found.is_none() {
                    found = Some((batch.clone(), row));
                }
            }
        }
    }
    let Some((batch, row)) = found else {
        return Err(not_found(data, format, program, key_id, &options.key));
    };

    let mut segments = Vec::new();
    for (id, reported) in explained_segments(program, evaluator.selection()) {
        let mut why = explain_segment(query, &binding, &batch, row, id, options)?;
        why.reported = reported;
        segments.push((id, why));
    }
    let priorities = evaluator
        .priorities()
        .iter()
        .filter_map(|&p| program.priorities.get(p))
        .map(|group| priority_why(program, group, &segments))
        .collect();
    let segments = segments.into_iter().map(|(_, why)| why).collect();
    Ok(Why {
        key_field: key_field.name.clone(),
        key: options.key.clone(),
        rows_with_key,
        as_of: crate::format_instant(query.as_of()),
        row_groups,
        segments,
        priorities,
    })
}

/// Explains segment `id`'s verdict on row `row` of `batch`, whose columns
/// `binding` names (as [`Query::bind`] made it): for a caller that already
/// has the profile, such as `seg test` with a test's `given` profile. The
/// conditions are those of [`Query::program`], evaluated by the reference
/// evaluator with the query's params and instant.
pub fn explain_segment(
    query: &Query,
    binding: &seg_eval::Binding,
    batch: &RecordBatch,
    row: usize,
    id: SegmentId,
    options: &WhyOptions<'_>,
) -> Result<SegmentWhy, seg_diagnostics::Diagnostic> {
    let program = query.program();
    let evaluator = Evaluator::with_params(
        program,
        query.params().to_vec(),
        query.as_of(),
        Selection::new(program, vec![id], Vec::new()),
    );
    let explanation = evaluator.explain(binding, batch, row, id)?;
    let mut why = segment_why(program, batch, row, &explanation, true, options);
    why.params = params_of(program, id, query.params());
    Ok(why)
}

/// E0411: no row has the key; the help names the key column and a key the
/// data does have.
fn not_found(
    data: &Path,
    format: DataFormat,
    program: &Program,
    key: FieldId,
    text: &str,
) -> RunError {
    let field = program.schema.field(key);
    // An example key from the first rows of the file, read without pruning
    // (the lookup may have read nothing at all).
    let example = formats::open(data, format, program, &[key], 16, None)
        .ok()
        .and_then(|mut input| input.batches.next())
        .and_then(Result::ok)
        .and_then(|b| {
            let column = b.batch.columns().first()?.clone();
            (0..column.len())
                .find(|&r| column.is_valid(r))
                .map(|r| crate::present::cell(column.as_ref(), r))
        });
    let help = match example {
        Some(example) => format!(
            "the key is the column `{}`; keys in the data look like `{example}`",
            field.name
        ),
        None => format!(
            "the key is the column `{}`, and the data has no rows",
            field.name
        ),
    };
    RunError::Data(Error::new(
        "E0411",
        format!(
            "no profile in `{}` has `{}` = {text}",
            data.display(),
            field.name
        ),
        Some(help),
    ))
}

fn segment_why(
    program: &Program,
    batch: &RecordBatch,
    row: usize,
    explanation: &Explanation,
    reported: bool,
    options: &WhyOptions<'_>,
) -> SegmentWhy {
    let segment = &program.segments[explanation.segment.0 as usize];
    let deciding = explanation.deciding();
    let node = |n: &Node| why_node(program, n, deciding, options.sources);
    let fields = crate::present::segment_fields(program, explanation.segment)
        .into_iter()
        .map(|id| {
            let field = program.schema.field(id);
            let value = match formats::column_of(batch, &field.name) {
                Some(column) if field.ty.element().and_then(Type::record_fields).is_some() => {
                    crate::present::records(column.as_ref(), row)
                }
                Some(column) => {
                    crate::present::shown(column.as_ref(), row, field.pii, options.show_pii)
                }
                None => crate::present::MISSING.to_string(),
            };
            FieldValue {
                name: field.name.clone(),
                ty: field.ty.clone(),
                pii: field.pii,
                value,
            }
        })
        .collect();
    SegmentWhy {
        name: segment.name.clone(),
        title: segment.title.clone(),
        reported,
        member: explanation.member,
        excluded: explanation.excluded(),
        decided_by: if explanation.excluded() {
            "exclude"
        } else {
            "where"
        },
        deciding: deciding.text.clone(),
        deciding_value: deciding.truth.into(),
        where_: node(&explanation.where_),
        exclude: explanation.exclude.as_ref().map(node),
        fields,
        params: Vec::new(),
    }
}

/// The params segment `id`'s `where` and `exclude` use, with their values.
fn params_of(program: &Program, id: SegmentId, values: &[Const]) -> Vec<ParamValue> {
    let mut used = Vec::new();
    if let Some(segment) = program.segments.get(id.0 as usize) {
        for condition in std::iter::once(&segment.where_).chain(segment.exclude.iter()) {
            seg_ir::walk(condition, &mut |e| {
                if let ExprKind::Param(p) = e.kind
                    && !used.contains(&p)
                {
                    used.push(p);
                }
            });
        }
    }
    used.sort();
    used.into_iter()
        .filter_map(|p| {
            Some(ParamValue {
                name: program.params.get(p.0 as usize)?.name.clone(),
                value: seg_ir::const_text(values.get(p.0 as usize)?),
            })
        })
        .collect()
}

fn why_node(
    program: &Program,
    node: &Node,
    deciding: &Node,
    sources: Option<&SourceMap>,
) -> WhyNode {
    let file = sources.and_then(|s| s.get(node.span.file));
    let at = file.map(|f| f.line_col(node.span.start as usize));
    WhyNode {
        text: node.text.clone(),
        value: node.truth.into(),
        kind: match node.kind {
            NodeKind::And => "and",
            NodeKind::Or => "or",
            NodeKind::Not => "not",
            NodeKind::Segment(_) => "segment",
            NodeKind::Predicate => "predicate",
        },
        segment: match node.kind {
            NodeKind::Segment(id) => program.segments.get(id.0 as usize).map(|s| s.name.clone()),
            _ => None,
        },
        decides: node.decides,
        deciding: std::ptr::eq(node, deciding),
        span: WhySpan {
            file: file.map(|f| f.path.display().to_string()),
            line: at.map(|a| a.line),
            column: at.map(|a| a.column),
            start: node.span.start,
            end: node.span.end,
        },
        aggregates: node
            .aggregates
            .iter()
            .map(|(text, value)| AggregateValue {
                text: text.clone(),
                value: value
                    .as_ref()
                    .map_or_else(|| crate::present::MISSING.to_string(), seg_ir::const_text),
            })
            .collect(),
        children: node
            .children
            .iter()
            .map(|c| why_node(program, c, deciding, sources))
            .collect(),
    }
}

fn priority_why(
    program: &Program,
    group: &seg_ir::Priority,
    explained: &[(SegmentId, SegmentWhy)],
) -> PriorityWhy {
    let of = |id: SegmentId| explained.iter().find(|(s, _)| *s == id).map(|(_, e)| e);
    let members: Vec<bool> = group
        .segments
        .iter()
        .map(|&id| of(id).is_some_and(|e| e.member))
        .collect();
    // "First match wins" is `seg_eval::first_member`'s, applied to one row.
    let buffers: Vec<BooleanBuffer> = members
        .iter()
        .map(|&m| BooleanBuffer::from(vec![m]))
        .collect();
    let choice = seg_eval::first_member(&buffers, 1);
    let chosen = choice.is_valid(0).then(|| choice.value(0) as usize);
    let name = |id: SegmentId| {
        program
            .segments
            .get(id.0 as usize)
            .map_or_else(String::new, |s| s.name.clone())
    };
    PriorityWhy {
        name: group.name.clone(),
        chosen: chosen
            .and_then(|c| group.segments.get(c))
            .map(|&id| name(id)),
        entries: group
            .segments
            .iter()
            .enumerate()
            .map(|(position, &id)| {
                let outcome = match chosen {
                    Some(c) if position == c => "chosen",
                    Some(c) if position > c => "later",
                    _ => "lost",
                };
                let lost = of(id).filter(|_| outcome == "lost");
                PriorityEntry {
                    segment: name(id),
                    member: members.get(position).copied().unwrap_or(false),
                    outcome,
                    reason: lost.map(|e| e.deciding.clone()),
                    reason_value: lost.map(|e| e.deciding_value),
                }
            })
            .collect(),
    }
}
