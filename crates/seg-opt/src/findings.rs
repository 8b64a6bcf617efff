//! Static findings (W03xx): what the optimizer can prove about a program
//! before any data is read, reported by `seg check`.
//!
//! Findings are computed with params and relative time kept symbolic, so a
//! finding holds for every `--param` override and every `as_of`.

use crate::ranges::{self, Constraint, Merged};
use crate::rewrite::Event;
use crate::{Options, is_bool, simplify};
use seg_diagnostics::{Code, Diagnostic, Span};
use seg_ir::identity::same_expr;
use seg_ir::{Const, Expr, ExprKind, Program, Segment, SegmentId};
use std::collections::HashSet;

/// How deep [`implies`] follows segment references and nested logic.
const MAX_DEPTH: usize = 8;

/// The findings of a checked program, in source order of the segments.
pub fn findings(program: &Program) -> Vec<Diagnostic> {
    let options = Options::default();
    let (optimized, _, _, events) = simplify(program, &options);
    let mut out = Vec::new();
    for (index, (original, simplified)) in
        program.segments.iter().zip(&optimized.segments).enumerate()
    {
        segment_findings(
            program,
            &optimized,
            original,
            simplified,
            &events[index],
            &mut out,
        );
    }
    priority_findings(program, &optimized, &mut out);
    unused_params(program, &mut out);
    crate::trap::missing_value_trap(program, &mut out);
    out
}

fn segment_findings(
    program: &Program,
    optimized: &Program,
    original: &Segment,
    simplified: &Segment,
    events: &[Event],
    out: &mut Vec<Diagnostic>,
) {
    let name = &original.name;
    // An exclude that removes everything makes the segment empty too; say
    // which part is to blame.
    if let Some(written_exclude) = &original.exclude {
        let written = written_exclude.span;
        let exclude = simplified.exclude.as_ref().unwrap_or(written_exclude);
        if is_bool(exclude, true) {
            out.push(
                Diagnostic::new(
                    Code::W0305,
                    written,
                    format!("the `exclude` of segment `{name}` removes every profile"),
                )
                .with_label("true for every profile")
                .with_help("the segment can never have members; narrow the `exclude` or remove it"),
            );
            return;
        }
        if !is_bool(&simplified.where_, false)
            || implies(program, &original.where_, written_exclude, 0)
        {
            let covers = implies(program, &original.where_, written_exclude, 0)
                || simplified
                    .exclude
                    .as_ref()
                    .is_some_and(|x| implies(optimized, &simplified.where_, x, 0));
            if covers {
                out.push(
                    Diagnostic::new(
                        Code::W0305,
                        written,
                        format!("the `exclude` of segment `{name}` removes every profile its `where` selects"),
                    )
                    .with_label("true whenever `where` is")
                    .with_help("the segment can never have members; narrow the `exclude` or remove it"),
                );
                return;
            }
        }
    }
    if is_bool(&simplified.where_, false) {
        let mut diagnostic = Diagnostic::new(
            Code::W0302,
            original.span,
            format!("segment `{name}` can never match"),
        )
        .with_label("matches no profile");
        let reason = events.iter().find_map(|e| match e {
            Event::Contradiction { span, text } => Some((*span, text.clone())),
            _ => None,
        });
        match reason {
            Some((span, text)) => {
                diagnostic = diagnostic
                    .with_secondary(span, text)
                    .with_help("loosen or remove one of the conflicting conditions");
            }
            None => {
                let mut refs = Vec::new();
                seg_ir::segment_refs(&original.where_, &mut refs);
                let never: Vec<&str> = refs
                    .iter()
                    .filter_map(|id| optimized.segments.get(id.0 as usize))
                    .filter(|s| {
                        is_bool(&s.where_, false)
                            || s.exclude.as_ref().is_some_and(|x| is_bool(x, true))
                    })
                    .map(|s| s.name.as_str())
                    .collect();
                diagnostic = diagnostic.with_help(if never.is_empty() {
                    "its `where` is false for every profile".to_string()
                } else {
                    format!(
                        "it requires segment `{}`, which never matches",
                        never.join("`, `")
                    )
                });
            }
        }
        out.push(diagnostic);
        return;
    }
    let written_true = original.where_.kind == ExprKind::Const(Const::Bool(true));
    if is_bool(&simplified.where_, true) && !written_true {
        out.push(
            Diagnostic::new(
                Code::W0303,
                original.where_.span,
                format!("the `where` of segment `{name}` is true for every profile"),
            )
            .with_label("always true")
            .with_help(
                "if every profile is meant, write `where true`; otherwise check the condition",
            ),
        );
    }
    // One finding per place; a generated condition may have thousands.
    let mut reported: HashSet<Span> = HashSet::new();
    for event in events {
        match event {
            Event::AlwaysTrue { span, text } if reported.insert(*span) => {
                out.push(
                    Diagnostic::new(
                        Code::W0303,
                        *span,
                        "this condition is true for every present value".to_string(),
                    )
                    .with_label(text.clone())
                    .with_help("only a missing value fails it: write `is present` if that is meant, or fix the bounds"),
                );
            }
            Event::Redundant {
                span,
                text,
                because,
            } if reported.insert(*span) => {
                out.push(
                    Diagnostic::new(Code::W0304, *span, format!("`{text}` is redundant"))
                        .with_label(because.clone())
                        .with_help("remove it; the segment keeps the same members"),
                );
            }
            _ => {}
        }
    }
}

fn priority_findings(program: &Program, optimized: &Program, out: &mut Vec<Diagnostic>) {
    for group in &program.priorities {
        for (k, later) in group.segments.iter().enumerate() {
            let Some(later_segment) = optimized.segments.get(later.0 as usize) else {
                continue;
            };
            if is_bool(&later_segment.where_, false) {
                continue;
            }
            let covering = group.segments[..k]
                .iter()
                .find(|earlier| *earlier != later && subset(optimized, *later, **earlier));
            if let Some(earlier) = covering {
                let name = |id: &SegmentId| {
                    program
                        .segments
                        .get(id.0 as usize)
                        .map_or("?", |s| s.name.as_str())
                };
                out.push(
                    Diagnostic::new(
                        Code::W0306,
                        group.span,
                        format!(
                            "segment `{}` is never assigned by priority `{}`",
                            name(later),
                            group.name
                        ),
                    )
                    .with_label(format!(
                        "every member of `{}` is a member of `{}`, listed earlier",
                        name(later),
                        name(earlier)
                    ))
                    .with_help(format!(
                        "list `{}` before `{}`, or remove it from the group",
                        name(later),
                        name(earlier)
                    )),
                );
            }
        }
    }
}

fn unused_params(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut used = vec![false; program.params.len()];
    for segment in &program.segments {
        for e in std::iter::once(&segment.where_).chain(segment.exclude.as_ref()) {
            seg_ir::walk(e, &mut |n| {
                if let ExprKind::Param(id) = n.kind
                    && let Some(flag) = used.get_mut(id.0 as usize)
                {
                    *flag = true;
                }
            });
        }
    }
    for (param, used) in program.params.iter().zip(used) {
        if !used {
            out.push(
                Diagnostic::new(
                    Code::W0307,
                    param.span,
                    format!("param `{}` is never used", param.name),
                )
                .with_label("declared here")
                .with_help(
                    "use it in a segment or remove it; `--param` overrides of it change nothing",
                ),
            );
        }
    }
}

/// Is every member of `small` a member of `large`?
fn subset(program: &Program, small: SegmentId, large: SegmentId) -> bool {
    let (Some(s), Some(l)) = (
        program.segments.get(small.0 as usize),
        program.segments.get(large.0 as usize),
    ) else {
        return false;
    };
    // A member of `small` satisfies its `where`; that must give `large`'s.
    let reference = Expr {
        kind: ExprKind::Segment(large),
        ty: seg_ir::Type::Bool,
        span: Span::default(),
    };
    if !implies(program, &s.where_, &l.where_, 0) && !implies(program, &s.where_, &reference, 0) {
        return false;
    }
    if implies(program, &s.where_, &reference, 0) && conjunct_is(&s.where_, large) {
        return true;
    }
    // And `large`'s exclude must not remove it: if it were true, `small`'s
    // exclude would be too, and the profile would not be in `small`.
    match (&l.exclude, &s.exclude) {
        (None, _) => true,
        (Some(le), Some(se)) => implies(program, le, se, 0),
        (Some(le), None) => is_bool(le, false),
    }
}

/// Is the segment reference a conjunct of `e` (so `e` true means a member)?
fn conjunct_is(e: &Expr, id: SegmentId) -> bool {
    match &e.kind {
        ExprKind::Segment(s) => *s == id,
        ExprKind::And(items) => items.iter().any(|i| conjunct_is(i, id)),
        _ => false,
    }
}

/// Complement of one bound, to test containment by emptiness.
fn complement(c: &Constraint) -> Option<Constraint> {
    Some(match c {
        Constraint::Lower(v, inclusive) => Constraint::Upper(v.clone(), !inclusive),
        Constraint::Upper(v, inclusive) => Constraint::Lower(v.clone(), !inclusive),
        Constraint::Equal(v) => Constraint::NotEqual(v.clone()),
        Constraint::NotEqual(v) => Constraint::Equal(v.clone()),
        _ => return None,
    })
}

/// Does every present value satisfying `a` satisfy `b` (same term)?
fn range_within(a: &Constraint, b: &Constraint) -> bool {
    let empty_with =
        |c: Constraint| matches!(ranges::conjunction(&[a.clone(), c]).merged, Merged::Empty);
    match b {
        Constraint::Range(lo, hi) => {
            empty_with(Constraint::Upper(lo.clone(), false))
                && empty_with(Constraint::Lower(hi.clone(), false))
        }
        Constraint::In(values) => match ranges::conjunction(std::slice::from_ref(a)).merged {
            Merged::Points(points) => points.iter().all(|p| {
                values
                    .iter()
                    .any(|v| ranges::cmp_const(p, v) == Some(std::cmp::Ordering::Equal))
            }),
            Merged::Empty => true,
            Merged::Interval { .. } => false,
        },
        other => complement(other).is_some_and(empty_with),
    }
}

/// A conservative proof that `a` true implies `b` true, for every profile.
pub(crate) fn implies(program: &Program, a: &Expr, b: &Expr, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    if is_bool(b, true) || is_bool(a, false) || same_expr(a, b) {
        return true;
    }
    let next = depth + 1;
    if let ExprKind::And(bs) = &b.kind {
        return bs.iter().all(|x| implies(program, a, x, next));
    }
    if let ExprKind::Or(as_) = &a.kind {
        return as_.iter().all(|x| implies(program, x, b, next));
    }
    if let ExprKind::And(as_) = &a.kind
        && as_.iter().any(|x| implies(program, x, b, next))
    {
        return true;
    }
    if let ExprKind::Or(bs) = &b.kind
        && bs.iter().any(|x| implies(program, a, x, next))
    {
        return true;
    }
    if let ExprKind::Segment(id) = &a.kind
        && let Some(s) = program.segments.get(id.0 as usize)
        && implies(program, &s.where_, b, next)
    {
        return true;
    }
    if let ExprKind::Segment(id) = &b.kind
        && let Some(s) = program.segments.get(id.0 as usize)
        && s.exclude.is_none()
        && implies(program, a, &s.where_, next)
    {
        return true;
    }
    if let (Some((ta, ca)), Some((tb, cb))) = (ranges::constraint_of(a), ranges::constraint_of(b))
        && same_expr(ta, tb)
    {
        return range_within(&ca, &cb);
    }
    false
}
