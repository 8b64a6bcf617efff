//! Cross-segment sharing: a condition several segments use is computed once.
//!
//! A subexpression in a *truth position* (the root of a `where` or `exclude`,
//! or an operand of `and`/`or` below one) only matters through whether it is
//! true, and a segment's membership records exactly that. So such a
//! subexpression can be replaced by a reference to a segment whose `where` is
//! that subexpression and which has no `exclude`: an existing segment when
//! one fits ([`Rule::ReuseSegment`]), or a new hidden one
//! ([`Rule::ShareSubexpression`]). Both back ends compute each segment once
//! per batch, before the segments that reference it.
//!
//! Only proper subexpressions are replaced, never a whole `where`, so no
//! reference cycle can appear: a segment only ever refers to something
//! strictly inside its own condition, whose references it already had.

use crate::rewrite::cost;
use crate::{Rewrite, Rule};
use seg_ir::identity::{Shape, same_expr};
use seg_ir::{Expr, ExprKind, Program, Segment, SegmentId, Type};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// Stop after this many hidden segments, so that the pass stays linear-ish
/// on very large programs.
const MAX_SHARED: usize = 256;

/// Is a subexpression worth a membership of its own? Compound conditions
/// are; a single cheap comparison is not (recomputing it costs what reading a
/// membership costs).
fn worth_sharing(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::And(_) | ExprKind::Or(_) => true,
        ExprKind::Segment(_) | ExprKind::Const(_) => false,
        _ => cost(e) >= 10,
    }
}

/// Proper subexpressions in truth positions.
fn candidates<'e>(e: &'e Expr, root: bool, out: &mut Vec<&'e Expr>) {
    if !root && e.ty == Type::Bool && worth_sharing(e) {
        out.push(e);
    }
    if let ExprKind::And(items) | ExprKind::Or(items) = &e.kind {
        for item in items {
            candidates(item, false, out);
        }
    }
}

fn replace(e: &mut Expr, key: &Expr, root: bool, with: SegmentId) -> usize {
    if !root && same_expr(e, key) {
        *e = Expr {
            kind: ExprKind::Segment(with),
            ty: Type::Bool,
            span: e.span,
        };
        return 1;
    }
    match &mut e.kind {
        ExprKind::And(items) | ExprKind::Or(items) => {
            items.iter_mut().map(|i| replace(i, key, false, with)).sum()
        }
        _ => 0,
    }
}

/// `a and b and c` where another segment (without `exclude`) is `a and b`
/// becomes `that_segment and c`. The other segment's operands are a strict
/// subset of this one's, so it cannot come to reference this segment.
fn reuse_conjunctions(names: &Program, out: &mut Program, trace: &mut Vec<Rewrite>) {
    // The conjunctions as they were before this pass, which rewrites them.
    let originals: Vec<(usize, Vec<Expr>)> = out
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.exclude.is_none())
        .filter_map(|(i, s)| match &s.where_.kind {
            ExprKind::And(items) => Some((i, items.clone())),
            _ => None,
        })
        .collect();
    let conjunctions: Vec<(usize, usize, HashSet<Shape<'_>>)> = originals
        .iter()
        .map(|(i, items)| (*i, items.len(), items.iter().map(Shape).collect()))
        .collect();
    for index in 0..out.segments.len() {
        let ExprKind::And(items) = &out.segments[index].where_.kind else {
            continue;
        };
        let keys: HashSet<Shape<'_>> = items.iter().map(Shape).collect();
        // The largest other conjunction wholly inside this one.
        let Some((other, _, other_keys)) = conjunctions
            .iter()
            .filter(|(i, len, k)| {
                *i != index && *len < items.len() && k.iter().all(|x| keys.contains(x))
            })
            .max_by_key(|(_, len, _)| *len)
        else {
            continue;
        };
        let before = seg_ir::expr_text(names, &out.segments[index].where_);
        let span = out.segments[index].where_.span;
        let mut kept: Vec<Expr> = vec![Expr {
            kind: ExprKind::Segment(SegmentId(u32::try_from(*other).unwrap_or(u32::MAX))),
            ty: Type::Bool,
            span,
        }];
        kept.extend(
            items
                .iter()
                .filter(|x| !other_keys.contains(&Shape(x)))
                .cloned(),
        );
        let segment = &mut out.segments[index];
        segment.where_ = Expr {
            kind: ExprKind::And(kept),
            ty: Type::Bool,
            span,
        };
        trace.push(Rewrite {
            segment: segment.name.clone(),
            rule: Rule::ReuseSegment,
            before,
            after: seg_ir::expr_text(names, &segment.where_),
        });
    }
}

/// What one round of sharing replaces: a subexpression, the segment that
/// computes it, and which rule made it.
struct Choice {
    expr: Expr,
    target: SegmentId,
    rule: Rule,
}

/// The subexpression to share next: one equal to an existing segment's
/// condition when there is one, else the largest used at least twice
/// (`None` when nothing is).
fn choose(names: &Program, out: &Program) -> Option<Choice> {
    // Count every candidate over all segments, hidden ones included, in order
    // of first appearance.
    let mut seen: Vec<(&Expr, usize)> = Vec::new();
    let mut index_of: HashMap<Shape<'_>, usize> = HashMap::new();
    for segment in &out.segments {
        let mut found = Vec::new();
        candidates(&segment.where_, true, &mut found);
        if let Some(exclude) = &segment.exclude {
            candidates(exclude, true, &mut found);
        }
        for expr in found {
            match index_of.entry(Shape(expr)) {
                Entry::Occupied(at) => seen[*at.get()].1 += 1,
                Entry::Vacant(at) => {
                    at.insert(seen.len());
                    seen.push((expr, 1));
                }
            }
        }
    }
    // An existing segment without `exclude` whose `where` is a candidate: the
    // first candidate that has one, and the first such segment.
    let mut conditions: HashMap<Shape<'_>, usize> = HashMap::new();
    for (i, s) in out.segments.iter().enumerate() {
        if s.exclude.is_none() {
            conditions.entry(Shape(&s.where_)).or_insert(i);
        }
    }
    if let Some((expr, index)) = seen
        .iter()
        .find_map(|(expr, _)| conditions.get(&Shape(expr)).map(|&i| (*expr, i)))
    {
        return Some(Choice {
            expr: expr.clone(),
            target: SegmentId(u32::try_from(index).unwrap_or(u32::MAX)),
            rule: Rule::ReuseSegment,
        });
    }
    // The largest subexpression used at least twice, by the length of its
    // text (the last of equals); only those are printed.
    let expr = seen
        .into_iter()
        .filter(|(_, count)| *count >= 2)
        .map(|(expr, _)| expr)
        .max_by_key(|expr| seg_ir::expr_text(names, expr).len())?;
    Some(Choice {
        expr: expr.clone(),
        target: SegmentId(u32::try_from(out.segments.len()).unwrap_or(u32::MAX)),
        rule: Rule::ShareSubexpression,
    })
}

/// `names` is the program whose names render the keys: the original, plus
/// the hidden segments as they are created.
pub(crate) fn share(original: &Program, out: &mut Program, trace: &mut Vec<Rewrite>) {
    reuse_conjunctions(original, out, trace);
    let mut names = original.clone();
    for _ in 0..MAX_SHARED {
        let Some(Choice { expr, target, rule }) = choose(&names, out) else {
            return;
        };
        if rule == Rule::ShareSubexpression {
            let segment = Segment {
                name: format!(
                    "shared#{}",
                    out.segments.len() - original.segments.len() + 1
                ),
                title: None,
                where_: expr.clone(),
                exclude: None,
                span: expr.span,
            };
            names.segments.push(segment.clone());
            out.segments.push(segment);
        }
        let after = Expr {
            kind: ExprKind::Segment(target),
            ty: Type::Bool,
            span: expr.span,
        };
        let mut replaced = 0;
        for (index, segment) in out.segments.iter_mut().enumerate() {
            if index == target.0 as usize {
                continue;
            }
            let count = replace(&mut segment.where_, &expr, true, target)
                + segment
                    .exclude
                    .as_mut()
                    .map_or(0, |x| replace(x, &expr, true, target));
            if count > 0 {
                replaced += count;
                trace.push(Rewrite {
                    segment: segment.name.clone(),
                    rule,
                    before: seg_ir::expr_text(&names, &expr),
                    after: seg_ir::expr_text(&names, &after),
                });
            }
        }
        if replaced == 0 {
            return;
        }
    }
}
