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

use crate::rewrite::{cost, term_key};
use crate::{Rewrite, Rule};
use seg_ir::{Expr, ExprKind, Program, Segment, SegmentId, Type};

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

/// Proper subexpressions in truth positions, with their keys.
fn candidates(program: &Program, e: &Expr, root: bool, out: &mut Vec<(String, Expr)>) {
    if !root && e.ty == Type::Bool && worth_sharing(e) {
        out.push((term_key(program, e), e.clone()));
    }
    if let ExprKind::And(items) | ExprKind::Or(items) = &e.kind {
        for item in items {
            candidates(program, item, false, out);
        }
    }
}

fn replace(program: &Program, e: &mut Expr, key: &str, root: bool, with: SegmentId) -> usize {
    if !root && term_key(program, e) == key {
        *e = Expr {
            kind: ExprKind::Segment(with),
            ty: Type::Bool,
            span: e.span,
        };
        return 1;
    }
    match &mut e.kind {
        ExprKind::And(items) | ExprKind::Or(items) => items
            .iter_mut()
            .map(|i| replace(program, i, key, false, with))
            .sum(),
        _ => 0,
    }
}

/// `a and b and c` where another segment (without `exclude`) is `a and b`
/// becomes `that_segment and c`. The other segment's operands are a strict
/// subset of this one's, so it cannot come to reference this segment.
fn reuse_conjunctions(names: &Program, out: &mut Program, trace: &mut Vec<Rewrite>) {
    let conjunctions: Vec<(usize, Vec<String>)> = out
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.exclude.is_none())
        .filter_map(|(i, s)| match &s.where_.kind {
            ExprKind::And(items) => Some((i, items.iter().map(|x| term_key(names, x)).collect())),
            _ => None,
        })
        .collect();
    for index in 0..out.segments.len() {
        let ExprKind::And(items) = &out.segments[index].where_.kind else {
            continue;
        };
        let keys: Vec<String> = items.iter().map(|x| term_key(names, x)).collect();
        // The largest other conjunction wholly inside this one.
        let Some((other, other_keys)) = conjunctions
            .iter()
            .filter(|(i, k)| {
                *i != index && k.len() < keys.len() && k.iter().all(|x| keys.contains(x))
            })
            .max_by_key(|(_, k)| k.len())
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
                .zip(&keys)
                .filter(|(_, k)| !other_keys.contains(k))
                .map(|(x, _)| x.clone()),
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

/// `names` is the program whose names render the keys: the original, plus
/// the hidden segments as they are created.
pub(crate) fn share(original: &Program, out: &mut Program, trace: &mut Vec<Rewrite>) {
    reuse_conjunctions(original, out, trace);
    let mut names = original.clone();
    for _ in 0..MAX_SHARED {
        // Count every candidate over all segments, hidden ones included.
        let mut seen: Vec<(String, Expr, usize)> = Vec::new();
        for segment in &out.segments {
            let mut found = Vec::new();
            candidates(&names, &segment.where_, true, &mut found);
            if let Some(exclude) = &segment.exclude {
                candidates(&names, exclude, true, &mut found);
            }
            for (key, expr) in found {
                match seen.iter_mut().find(|(k, ..)| *k == key) {
                    Some((_, _, count)) => *count += 1,
                    None => seen.push((key, expr, 1)),
                }
            }
        }
        // An existing segment without `exclude` whose `where` is a candidate.
        let reusable = seen.iter().find_map(|(key, expr, _)| {
            out.segments.iter().enumerate().find_map(|(i, s)| {
                (s.exclude.is_none() && term_key(&names, &s.where_) == *key)
                    .then(|| (key.clone(), expr.clone(), i))
            })
        });
        let (key, expr, target, rule) = if let Some((key, expr, index)) = reusable {
            let id = SegmentId(u32::try_from(index).unwrap_or(u32::MAX));
            (key, expr, id, Rule::ReuseSegment)
        } else {
            // The largest subexpression used at least twice.
            let Some((key, expr, _)) = seen
                .into_iter()
                .filter(|(_, _, count)| *count >= 2)
                .max_by_key(|(key, ..)| key.len())
            else {
                return;
            };
            let id = SegmentId(u32::try_from(out.segments.len()).unwrap_or(u32::MAX));
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
            (key, expr, id, Rule::ShareSubexpression)
        };
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
            let count = replace(&names, &mut segment.where_, &key, true, target)
                + segment
                    .exclude
                    .as_mut()
                    .map_or(0, |x| replace(&names, x, &key, true, target));
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
