//! Per-term range reasoning: the constraints a conjunction (or disjunction)
//! places on one term (a field, or any other value expression), merged into
//! the fewest predicates that mean the same.
//!
//! Every predicate handled here is *strict* in its term: it is unknown when
//! the term is missing and the constant is present. So for a missing term the
//! original and the merged predicates are both unknown, and only present
//! values need reasoning about, where they are totally ordered (NaN is
//! missing in Seg, so floats are too).

use seg_ir::{CmpOp, Const, Expr, ExprKind, Type};
use std::cmp::Ordering;

/// Orders two constants of one type; `None` for unordered types or a mix.
pub(crate) fn cmp_const(a: &Const, b: &Const) -> Option<Ordering> {
    match (a, b) {
        (Const::Int(x), Const::Int(y)) => Some(x.cmp(y)),
        (Const::Float(x), Const::Float(y)) => x.partial_cmp(y),
        (
            Const::Decimal {
                unscaled: x,
                scale: sx,
            },
            Const::Decimal {
                unscaled: y,
                scale: sy,
            },
        ) => Some(seg_eval::num::cmp_decimal(
            *x,
            u32::from(*sx),
            *y,
            u32::from(*sy),
        )),
        (Const::String(x), Const::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Const::Date(x), Const::Date(y)) => Some(x.cmp(y)),
        (Const::Timestamp(x), Const::Timestamp(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn same(a: &Const, b: &Const) -> bool {
    cmp_const(a, b) == Some(Ordering::Equal)
}

/// The positions of `values` sorted by [`cmp_const`] (ties by position),
/// when it orders them totally: one orderable type and no NaN. `None`
/// otherwise, and then callers compare pairwise. Sorting keeps the questions
/// below (which values repeat, is a value listed) at O(n log n) for the long
/// lists a generated condition can hold, with `cmp_const` still the only
/// definition of equal values.
fn total_order(values: &[&Const]) -> Option<Vec<usize>> {
    if let Some(first) = values.first() {
        // `cmp_const` answers only for two values of one type, and never for
        // a NaN; so if every value compares with itself and with the first,
        // every two values compare.
        let total = values
            .iter()
            .all(|v| cmp_const(v, v).is_some() && cmp_const(v, first).is_some());
        if !total {
            return None;
        }
    }
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        cmp_const(values[a], values[b])
            .unwrap_or(Ordering::Equal)
            .then(a.cmp(&b))
    });
    Some(order)
}

/// For each value, whether no earlier value is the same.
fn first_of_value(values: &[&Const]) -> Vec<bool> {
    match total_order(values) {
        Some(order) => {
            // Equal values are adjacent in `order`, the earliest first.
            let mut first = vec![false; values.len()];
            let mut previous: Option<usize> = None;
            for i in order {
                first[i] = previous.is_none_or(|p| !same(values[p], values[i]));
                previous = Some(i);
            }
            first
        }
        None => (0..values.len())
            .map(|i| !values[..i].iter().any(|w| same(values[i], w)))
            .collect(),
    }
}

/// A list of constants that answers "is this value in it" by binary search
/// when [`total_order`] orders it.
struct Members<'a> {
    values: Vec<&'a Const>,
    order: Option<Vec<usize>>,
}

impl<'a> Members<'a> {
    fn new(values: impl IntoIterator<Item = &'a Const>) -> Self {
        let values: Vec<&Const> = values.into_iter().collect();
        let order = total_order(&values);
        Members { values, order }
    }

    fn contains(&self, v: &Const) -> bool {
        match (&self.order, self.values.first()) {
            (_, None) => false,
            // A value of another type, or a NaN, is the same as none of them.
            (Some(_), Some(first)) if cmp_const(v, first).is_none() => false,
            (Some(order), Some(_)) => order
                .binary_search_by(|&i| cmp_const(self.values[i], v).unwrap_or(Ordering::Less))
                .is_ok(),
            (None, Some(_)) => self.values.iter().any(|w| same(v, w)),
        }
    }
}

/// The constraints found to add nothing, in the order found, each once.
struct Redundant {
    order: Vec<usize>,
    marked: Vec<bool>,
}

impl Redundant {
    fn new(constraints: usize) -> Self {
        Redundant {
            order: Vec::new(),
            marked: vec![false; constraints],
        }
    }

    fn add(&mut self, origin: usize) {
        if let Some(mark) = self.marked.get_mut(origin)
            && !*mark
        {
            *mark = true;
            self.order.push(origin);
        }
    }
}

/// True for types whose values are totally ordered with no gaps worth
/// closing (floats, decimals, strings, timestamps) or with unit steps (ints,
/// dates).
pub(crate) fn orderable(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Int | Type::Float | Type::Decimal | Type::String | Type::Date | Type::Timestamp
    )
}

/// The next value of a discrete type, when it has one.
fn successor(c: &Const) -> Option<Option<Const>> {
    match c {
        Const::Int(v) => Some(v.checked_add(1).map(Const::Int)),
        Const::Date(v) => Some(v.checked_add(1).map(Const::Date)),
        _ => None,
    }
}

fn predecessor(c: &Const) -> Option<Option<Const>> {
    match c {
        Const::Int(v) => Some(v.checked_sub(1).map(Const::Int)),
        Const::Date(v) => Some(v.checked_sub(1).map(Const::Date)),
        _ => None,
    }
}

/// One constraint on a term.
#[derive(Clone, Debug)]
pub(crate) enum Constraint {
    /// `term > c` (exclusive) or `term >= c`.
    Lower(Const, bool),
    /// `term < c` (exclusive) or `term <= c`.
    Upper(Const, bool),
    /// `term between lo and hi`.
    Range(Const, Const),
    /// `term == c`.
    Equal(Const),
    /// `term != c`.
    NotEqual(Const),
    /// `term in [..]`.
    In(Vec<Const>),
}

/// Reads a predicate as a constraint on a term: `(term, constraint)`.
pub(crate) fn constraint_of(e: &Expr) -> Option<(&Expr, Constraint)> {
    match &e.kind {
        ExprKind::Compare { op, lhs, rhs } => {
            let ExprKind::Const(c) = &rhs.kind else {
                return None;
            };
            if matches!(lhs.kind, ExprKind::Const(_)) || !orderable(&lhs.ty) {
                return None;
            }
            if matches!(c, Const::Float(f) if f.is_nan()) {
                return None;
            }
            let c = c.clone();
            Some((
                lhs,
                match op {
                    CmpOp::Eq => Constraint::Equal(c),
                    CmpOp::Ne => Constraint::NotEqual(c),
                    CmpOp::Lt => Constraint::Upper(c, false),
                    CmpOp::Le => Constraint::Upper(c, true),
                    CmpOp::Gt => Constraint::Lower(c, false),
                    CmpOp::Ge => Constraint::Lower(c, true),
                },
            ))
        }
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated: false,
        } => match (&lo.kind, &hi.kind) {
            (ExprKind::Const(lo), ExprKind::Const(hi))
                if orderable(&expr.ty) && !matches!(expr.kind, ExprKind::Const(_)) =>
            {
                Some((expr, Constraint::Range(lo.clone(), hi.clone())))
            }
            _ => None,
        },
        ExprKind::InList {
            expr,
            list,
            list_param: None,
            negated: false,
        } if orderable(&expr.ty) && !matches!(expr.kind, ExprKind::Const(_)) => {
            let mut values = Vec::with_capacity(list.len());
            for item in list {
                match &item.kind {
                    ExprKind::Const(c) => values.push(c.clone()),
                    _ => return None,
                }
            }
            Some((expr, Constraint::In(values)))
        }
        _ => None,
    }
}

/// A bound in normal form: for discrete types, exclusive bounds become
/// inclusive ones (`x > 3` is `x >= 4`), so that comparing bounds is exact.
#[derive(Clone, Debug)]
struct Bound {
    value: Const,
    inclusive: bool,
    origin: usize,
}

/// `None` when the bound excludes everything (`x > i64::MAX`).
fn lower_bound(value: &Const, inclusive: bool, origin: usize) -> Option<Bound> {
    if !inclusive && let Some(next) = successor(value) {
        return next.map(|value| Bound {
            value,
            inclusive: true,
            origin,
        });
    }
    Some(Bound {
        value: value.clone(),
        inclusive,
        origin,
    })
}

fn upper_bound(value: &Const, inclusive: bool, origin: usize) -> Option<Bound> {
    if !inclusive && let Some(previous) = predecessor(value) {
        return previous.map(|value| Bound {
            value,
            inclusive: true,
            origin,
        });
    }
    Some(Bound {
        value: value.clone(),
        inclusive,
        origin,
    })
}

/// Is `a` a strictly tighter lower bound than `b`? (Ties keep the first.)
fn tighter_lower(a: &Bound, b: &Bound) -> bool {
    match cmp_const(&a.value, &b.value) {
        Some(Ordering::Greater) => true,
        Some(Ordering::Equal) => !a.inclusive && b.inclusive,
        _ => false,
    }
}

fn tighter_upper(a: &Bound, b: &Bound) -> bool {
    match cmp_const(&a.value, &b.value) {
        Some(Ordering::Less) => true,
        Some(Ordering::Equal) => !a.inclusive && b.inclusive,
        _ => false,
    }
}

fn above(value: &Const, lower: &Bound) -> bool {
    match cmp_const(value, &lower.value) {
        Some(Ordering::Greater) => true,
        Some(Ordering::Equal) => lower.inclusive,
        _ => false,
    }
}

fn below(value: &Const, upper: &Bound) -> bool {
    match cmp_const(value, &upper.value) {
        Some(Ordering::Less) => true,
        Some(Ordering::Equal) => upper.inclusive,
        _ => false,
    }
}

/// What a conjunction of constraints on one term comes to.
#[derive(Debug)]
pub(crate) enum Merged {
    /// No present value satisfies them all.
    Empty,
    /// Satisfied by the values `in` the list (deduplicated).
    Points(Vec<Const>),
    /// Satisfied between the bounds (kept by the index of the constraint
    /// they came from), except the listed values.
    Interval {
        lower: Option<(usize, Const, bool)>,
        upper: Option<(usize, Const, bool)>,
        excluded: Vec<Const>,
    },
}

/// The result of merging, and which of the constraints added nothing.
#[derive(Debug)]
pub(crate) struct Conjunction {
    pub merged: Merged,
    pub redundant: Vec<usize>,
}

/// Merges constraints that must all hold.
pub(crate) fn conjunction(constraints: &[Constraint]) -> Conjunction {
    let mut lowers = Vec::new();
    let mut uppers = Vec::new();
    let mut points: Option<Vec<Const>> = None;
    let mut point_origins = Vec::new();
    let mut excluded: Vec<(usize, Const)> = Vec::new();
    let mut empty = false;
    for (index, constraint) in constraints.iter().enumerate() {
        let mut bound = |lower: Option<Option<Bound>>, upper: Option<Option<Bound>>| {
            match lower {
                Some(Some(b)) => lowers.push(b),
                Some(None) => empty = true,
                None => {}
            }
            match upper {
                Some(Some(b)) => uppers.push(b),
                Some(None) => empty = true,
                None => {}
            }
        };
        match constraint {
            Constraint::Lower(c, inclusive) => bound(Some(lower_bound(c, *inclusive, index)), None),
            Constraint::Upper(c, inclusive) => bound(None, Some(upper_bound(c, *inclusive, index))),
            Constraint::Range(lo, hi) => bound(
                Some(lower_bound(lo, true, index)),
                Some(upper_bound(hi, true, index)),
            ),
            Constraint::Equal(c) => {
                point_origins.push(index);
                points = Some(intersect(points, std::slice::from_ref(c)));
            }
            Constraint::In(values) => {
                point_origins.push(index);
                points = Some(intersect(points, values));
            }
            Constraint::NotEqual(c) => excluded.push((index, c.clone())),
        }
    }
    if empty {
        return Conjunction {
            merged: Merged::Empty,
            redundant: Vec::new(),
        };
    }
    let lower = lowers.iter().fold(None::<&Bound>, |best, b| match best {
        Some(best) if !tighter_lower(b, best) => Some(best),
        _ => Some(b),
    });
    let upper = uppers.iter().fold(None::<&Bound>, |best, b| match best {
        Some(best) if !tighter_upper(b, best) => Some(best),
        _ => Some(b),
    });
    let inside = |v: &Const| lower.is_none_or(|l| above(v, l)) && upper.is_none_or(|u| below(v, u));
    let mut redundant = Redundant::new(constraints.len());
    if let Some(points) = points {
        let excluded_values = Members::new(excluded.iter().map(|(_, x)| x));
        let kept: Vec<Const> = points
            .into_iter()
            .filter(|v| inside(v) && !excluded_values.contains(v))
            .collect();
        if kept.is_empty() {
            return Conjunction {
                merged: Merged::Empty,
                redundant: redundant.order,
            };
        }
        // A bound or exclusion that removed no listed value added nothing.
        let mut is_point = vec![false; constraints.len()];
        for &origin in &point_origins {
            is_point[origin] = true;
        }
        for b in lowers.iter().chain(&uppers) {
            if !is_point[b.origin] {
                redundant.add(b.origin);
            }
        }
        for (origin, _) in &excluded {
            redundant.add(*origin);
        }
        return Conjunction {
            merged: Merged::Points(kept),
            redundant: redundant.order,
        };
    }
    if let (Some(l), Some(u)) = (lower, upper) {
        match cmp_const(&l.value, &u.value) {
            Some(Ordering::Greater) => {
                return Conjunction {
                    merged: Merged::Empty,
                    redundant: redundant.order,
                };
            }
            Some(Ordering::Equal) => {
                if !(l.inclusive && u.inclusive) || excluded.iter().any(|(_, x)| same(x, &l.value))
                {
                    return Conjunction {
                        merged: Merged::Empty,
                        redundant: redundant.order,
                    };
                }
                for b in lowers.iter().chain(&uppers) {
                    if b.origin != l.origin && b.origin != u.origin {
                        redundant.add(b.origin);
                    }
                }
                return Conjunction {
                    merged: Merged::Points(vec![l.value.clone()]),
                    redundant: redundant.order,
                };
            }
            _ => {}
        }
    }
    for b in lowers.iter().chain(&uppers) {
        let used = lower.is_some_and(|l| l.origin == b.origin)
            || upper.is_some_and(|u| u.origin == b.origin);
        if !used {
            redundant.add(b.origin);
        }
    }
    // An exclusion outside the bounds, or of a value excluded before, adds
    // nothing. (Equal values are inside or outside together, so the first of
    // a value is the one kept.)
    let first = first_of_value(&excluded.iter().map(|(_, x)| x).collect::<Vec<_>>());
    let mut kept_excluded: Vec<Const> = Vec::new();
    for ((origin, value), first) in excluded.iter().zip(first) {
        if !inside(value) || !first {
            redundant.add(*origin);
        } else {
            kept_excluded.push(value.clone());
        }
    }
    let original = |b: &Bound| match &constraints[b.origin] {
        Constraint::Lower(c, inclusive) | Constraint::Upper(c, inclusive) => {
            (b.origin, c.clone(), *inclusive)
        }
        _ => (b.origin, b.value.clone(), b.inclusive),
    };
    Conjunction {
        merged: Merged::Interval {
            lower: lower.map(original),
            upper: upper.map(original),
            excluded: kept_excluded,
        },
        redundant: redundant.order,
    }
}

fn intersect(current: Option<Vec<Const>>, values: &[Const]) -> Vec<Const> {
    let candidates: Vec<Const> = match current {
        Some(current) => {
            let allowed = Members::new(values);
            current
                .into_iter()
                .filter(|v| allowed.contains(v))
                .collect()
        }
        None => values.to_vec(),
    };
    let first = first_of_value(&candidates.iter().collect::<Vec<_>>());
    candidates
        .into_iter()
        .zip(first)
        .filter_map(|(v, first)| first.then_some(v))
        .collect()
}

/// Values listed once each, in first-seen order.
pub(crate) fn dedup(values: &[Const]) -> Vec<Const> {
    intersect(None, values)
}

/// Do constraints joined by `or` cover every present value of the term?
pub(crate) fn covers_everything(constraints: &[Constraint]) -> bool {
    let mut lowers = Vec::new();
    let mut uppers = Vec::new();
    let mut points = Vec::new();
    let mut excluded = Vec::new();
    for c in constraints {
        match c {
            Constraint::Lower(v, inclusive) => lowers.push((v, *inclusive)),
            Constraint::Upper(v, inclusive) => uppers.push((v, *inclusive)),
            Constraint::Range(..) => {}
            Constraint::Equal(v) => points.push(v),
            Constraint::In(values) => points.extend(values.iter()),
            Constraint::NotEqual(v) => excluded.push(v),
        }
    }
    let holds = |v: &Const| {
        points.iter().any(|p| same(p, v))
            || lowers.iter().any(|(l, inc)| match cmp_const(v, l) {
                Some(Ordering::Greater) => true,
                Some(Ordering::Equal) => *inc,
                _ => false,
            })
            || uppers.iter().any(|(u, inc)| match cmp_const(v, u) {
                Some(Ordering::Less) => true,
                Some(Ordering::Equal) => *inc,
                _ => false,
            })
    };
    // `x != a or x != b` (a ≠ b), and `x != a or <something holding at a>`.
    for (i, a) in excluded.iter().enumerate() {
        if excluded[i + 1..].iter().any(|b| !same(a, b)) || holds(a) {
            return true;
        }
    }
    // `x >= a or x <= b` with b at or above a (or just below, for ints and
    // dates). If any pair of bounds does, the lowest lower and the highest
    // upper bound do (inclusive when one of the bounds at that value is), so
    // only that pair is asked, unless the bounds do not all compare.
    match (
        loosest(&lowers, Ordering::Less),
        loosest(&uppers, Ordering::Greater),
    ) {
        (Some(Some(l)), Some(Some(u))) => bounds_cover(l, u),
        (Some(None), _) | (_, Some(None)) => lowers
            .iter()
            .any(|&l| uppers.iter().any(|&u| bounds_cover(l, u))),
        _ => false,
    }
}

/// The bound furthest in the direction `further` (`Less` for lower bounds),
/// inclusive when any bound at its value is; `None` without bounds, and
/// `Some(None)` when two bounds do not compare.
fn loosest<'a>(
    bounds: &[(&'a Const, bool)],
    further: Ordering,
) -> Option<Option<(&'a Const, bool)>> {
    let (&first, rest) = bounds.split_first()?;
    let mut best = first;
    for &bound in rest {
        match cmp_const(bound.0, best.0) {
            Some(Ordering::Equal) => best.1 |= bound.1,
            Some(order) if order == further => best = bound,
            Some(_) => {}
            None => return Some(None),
        }
    }
    Some(Some(best))
}

/// Does `x >= l or x <= u` (each bound inclusive or not) hold for every
/// present `x`?
fn bounds_cover((l, l_inclusive): (&Const, bool), (u, u_inclusive): (&Const, bool)) -> bool {
    match cmp_const(u, l) {
        Some(Ordering::Greater) => return true,
        Some(Ordering::Equal) if l_inclusive || u_inclusive => return true,
        _ => {}
    }
    l_inclusive && u_inclusive && matches!(successor(u), Some(Some(next)) if same(&next, l))
}

#[cfg(test)]
mod tests {
    // Tests fail by panicking; unwrapping is how they say so.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    /// Constants that are equal in value but not in form (±0.0, `1.5` and
    /// `1.50`), NaN, and a mix of types, so that the sorted paths meet every
    /// case the pairwise definitions handle.
    fn constant() -> BoxedStrategy<Const> {
        prop_oneof![
            (-3i64..4).prop_map(Const::Int),
            prop::sample::select(vec![-1.5, -0.0, 0.0, 2.5, 3.0, f64::NAN]).prop_map(Const::Float),
            prop::sample::select(vec![(15, 1), (150, 2), (-125, 2), (2, 0), (20, 1)])
                .prop_map(|(unscaled, scale)| Const::Decimal { unscaled, scale }),
            prop::sample::select(vec!["a", "b", "é"]).prop_map(|s| Const::String(s.into())),
        ]
        .boxed()
    }

    /// Lists mostly of one type (the usual case, where sorting applies) and
    /// sometimes mixed.
    fn values() -> BoxedStrategy<Vec<Const>> {
        prop_oneof![
            prop::collection::vec((-3i64..4).prop_map(Const::Int), 0..12),
            prop::collection::vec(
                prop::sample::select(vec![-1.5, -0.0, 0.0, 2.5, f64::NAN]).prop_map(Const::Float),
                0..12
            ),
            prop::collection::vec(constant(), 0..12),
        ]
        .boxed()
    }

    fn pairwise_dedup(values: &[Const]) -> Vec<Const> {
        let mut out: Vec<Const> = Vec::new();
        for v in values {
            if !out.iter().any(|w| same(v, w)) {
                out.push(v.clone());
            }
        }
        out
    }

    /// The pairwise test `covers_everything` made before it looked at the
    /// loosest bounds only.
    fn pairwise_bounds_cover(lowers: &[(&Const, bool)], uppers: &[(&Const, bool)]) -> bool {
        lowers.iter().any(|&(l, l_inclusive)| {
            uppers.iter().any(|&(u, u_inclusive)| {
                matches!(cmp_const(u, l), Some(Ordering::Greater))
                    || (cmp_const(u, l) == Some(Ordering::Equal) && (l_inclusive || u_inclusive))
                    || (l_inclusive
                        && u_inclusive
                        && matches!(successor(u), Some(Some(next)) if same(&next, l)))
            })
        })
    }

    proptest! {
        #[test]
        fn dedup_keeps_the_first_of_each_value(values in values()) {
            let fast = dedup(&values);
            let slow = pairwise_dedup(&values);
            prop_assert_eq!(fast.len(), slow.len());
            for (a, b) in fast.iter().zip(&slow) {
                prop_assert!(seg_ir::identity::same_const(a, b), "{:?} vs {:?}", a, b);
            }
        }

        #[test]
        fn members_agree_with_pairwise_comparison(values in values(), probe in constant()) {
            let members = Members::new(&values);
            prop_assert_eq!(members.contains(&probe), values.iter().any(|w| same(&probe, w)));
            for v in &values {
                prop_assert_eq!(members.contains(v), values.iter().any(|w| same(v, w)));
            }
        }

        #[test]
        fn loosest_bounds_cover_when_any_pair_does(
            floats in any::<bool>(),
            lowers in prop::collection::vec((-3i64..4, any::<bool>()), 0..6),
            uppers in prop::collection::vec((-3i64..4, any::<bool>()), 0..6),
        ) {
            // Ints (which have successors) or floats (where -0.0 and 0.0 are
            // one value in two forms).
            let value = |v: i64| {
                if !floats {
                    Const::Int(v)
                } else if v == -3 {
                    Const::Float(-0.0)
                } else {
                    Const::Float(v as f64 / 2.0)
                }
            };
            let lowers: Vec<(Const, bool)> = lowers.into_iter().map(|(v, i)| (value(v), i)).collect();
            let uppers: Vec<(Const, bool)> = uppers.into_iter().map(|(v, i)| (value(v), i)).collect();
            let constraints: Vec<Constraint> = lowers
                .iter()
                .map(|(c, inclusive)| Constraint::Lower(c.clone(), *inclusive))
                .chain(uppers.iter().map(|(c, inclusive)| Constraint::Upper(c.clone(), *inclusive)))
                .collect();
            let lowers: Vec<(&Const, bool)> = lowers.iter().map(|(c, i)| (c, *i)).collect();
            let uppers: Vec<(&Const, bool)> = uppers.iter().map(|(c, i)| (c, *i)).collect();
            prop_assert_eq!(
                covers_everything(&constraints),
                pairwise_bounds_cover(&lowers, &uppers)
            );
        }
    }

    #[test]
    fn dedup_treats_equal_values_as_one() {
        let values = vec![
            Const::Float(0.0),
            Const::Float(-0.0),
            Const::Float(f64::NAN),
            Const::Float(f64::NAN),
            Const::Float(2.5),
        ];
        // ±0.0 are one value; NaN equals nothing, not even itself.
        assert_eq!(dedup(&values).len(), 4);
        let decimals = vec![
            Const::Decimal {
                unscaled: 15,
                scale: 1,
            },
            Const::Decimal {
                unscaled: 150,
                scale: 2,
            },
        ];
        assert_eq!(dedup(&decimals).len(), 1);
    }
}
