//! The range analysis: for a bool expression and facts about each field over a
//! range of rows, the set of truth values the expression may take on some row.
//!
//! Expressions are first compiled into [`Node`]s: every field-free
//! subexpression is folded once, through the evaluator's own folding, so the
//! per-page analysis never re-evaluates params, `now` or `N days ago`, and
//! cannot disagree with execution about them. Whatever the analysis does not
//! understand becomes a node that may take every value.

use crate::value::{FieldFacts, Range, Scalar};
use seg_ir::{CmpOp, Const, Expr, ExprKind, FieldId, Program, Relative, SegmentId, StrOp, Type};
use std::cmp::Ordering;

/// A set of truth values ⊆ {TRUE, FALSE, UNKNOWN}.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Truth(u8);

impl Truth {
    pub(crate) const NONE: Truth = Truth(0);
    pub(crate) const TRUE: Truth = Truth(1);
    pub(crate) const FALSE: Truth = Truth(2);
    pub(crate) const UNKNOWN: Truth = Truth(4);
    pub(crate) const ALL: Truth = Truth(7);

    pub(crate) fn has(self, other: Truth) -> bool {
        self.0 & other.0 != 0
    }

    fn with(self, other: Truth, when: bool) -> Truth {
        if when { Truth(self.0 | other.0) } else { self }
    }

    fn union(self, other: Truth) -> Truth {
        Truth(self.0 | other.0)
    }

    /// The values as `Option<bool>` (`None` is unknown).
    fn values(self) -> impl Iterator<Item = Option<bool>> {
        [
            (Truth::TRUE, Some(true)),
            (Truth::FALSE, Some(false)),
            (Truth::UNKNOWN, None),
        ]
        .into_iter()
        .filter(move |(t, _)| self.has(*t))
        .map(|(_, v)| v)
    }

    fn of(value: Option<bool>) -> Truth {
        match value {
            Some(true) => Truth::TRUE,
            Some(false) => Truth::FALSE,
            None => Truth::UNKNOWN,
        }
    }

    fn not(self) -> Truth {
        Truth::NONE
            .with(Truth::TRUE, self.has(Truth::FALSE))
            .with(Truth::FALSE, self.has(Truth::TRUE))
            .with(Truth::UNKNOWN, self.has(Truth::UNKNOWN))
    }

    /// Kleene combination of every pair of possible operand values: sound
    /// because the pairs that occur on real rows are among them.
    fn combine(self, other: Truth, and: bool) -> Truth {
        let mut out = Truth::NONE;
        for a in self.values() {
            for b in other.values() {
                let v = match (a, b, and) {
                    (Some(false), _, true) | (_, Some(false), true) => Some(false),
                    (Some(true), Some(true), true) => Some(true),
                    (Some(true), _, false) | (_, Some(true), false) => Some(true),
                    (Some(false), Some(false), false) => Some(false),
                    _ => None,
                };
                out = out.union(Truth::of(v));
            }
        }
        out
    }

    /// The values of a bool expression seen as a range of `bool` scalars.
    fn as_range(self) -> Range {
        let present = self.has(Truth::TRUE) || self.has(Truth::FALSE);
        Range {
            may_missing: self.has(Truth::UNKNOWN),
            may_present: present,
            lo: present.then_some(Scalar::Bool(!self.has(Truth::FALSE))),
            hi: present.then_some(Scalar::Bool(self.has(Truth::TRUE))),
        }
    }

    /// The truth values of a range of `bool` scalars.
    fn from_range(range: &Range) -> Truth {
        let present = range.may_present;
        Truth::NONE
            .with(Truth::UNKNOWN, range.may_missing)
            .with(
                Truth::TRUE,
                present && range.hi != Some(Scalar::Bool(false)),
            )
            .with(
                Truth::FALSE,
                present && range.lo != Some(Scalar::Bool(true)),
            )
    }
}

/// A compiled expression.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// A folded constant (`None`: missing, or unknown for a bool).
    Const(Option<Scalar>),
    Field(FieldId),
    /// An explicit cast to this type.
    /// A checker's cast to the type, in the program's zone (a date becomes
    /// its local midnight there).
    Cast(Box<Node>, Type, seg_ir::Zone),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Compare(CmpOp, Box<Node>, Box<Node>),
    Between {
        x: Box<Node>,
        lo: Box<Node>,
        hi: Box<Node>,
        negated: bool,
    },
    /// `in` over constant candidates (missing candidates never match and are
    /// dropped, as the evaluator drops them).
    InList {
        x: Box<Node>,
        candidates: Vec<Scalar>,
        negated: bool,
    },
    IsMissing {
        x: Box<Node>,
        negated: bool,
    },
    /// `starts with` a constant prefix (`None`: a missing prefix).
    StartsWith {
        target: Box<Node>,
        prefix: Option<String>,
        negated: bool,
    },
    /// A predicate that is true or false for present inputs and unknown when
    /// one of them is missing (`contains`, `ends with`, `matches`).
    Opaque(Vec<Node>),
    Segment(SegmentId),
    /// Anything not understood: every value is possible.
    Top,
}

/// Compiles expressions against fixed params and `as_of`.
pub(crate) struct Compiler<'p> {
    pub program: &'p Program,
    pub params: &'p [Const],
    pub as_of: i64,
}

impl Compiler<'_> {
    fn fold(&self, e: &Expr) -> Result<Option<Const>, String> {
        seg_eval::fold_constant(self.program, self.params, self.as_of, e)
    }

    /// A folded scalar: `Ok(None)` for missing, `Err` when it cannot be folded
    /// to a scalar.
    fn scalar(&self, e: &Expr) -> Result<Option<Scalar>, ()> {
        match self.fold(e) {
            Ok(Some(c)) => match c {
                Const::Float(v) if v.is_nan() => Ok(None),
                c => Scalar::from_const(&c).map(Some).ok_or(()),
            },
            Ok(None) => Ok(None),
            Err(_) => Err(()),
        }
    }

    pub(crate) fn compile(&self, e: &Expr) -> Node {
        if !seg_ir::reads_row(e) && !matches!(e.ty, Type::Duration | Type::List(_)) {
            return match self.scalar(e) {
                Ok(v) => Node::Const(v),
                Err(()) => Node::Top,
            };
        }
        let boxed = |x: &Expr| Box::new(self.compile(x));
        match &e.kind {
            ExprKind::Field(id) => match e.ty {
                Type::List(_) => Node::Top,
                _ => Node::Field(*id),
            },
            ExprKind::Segment(id) => Node::Segment(*id),
            ExprKind::Cast(inner) => Node::Cast(boxed(inner), e.ty.clone(), self.program.timezone),
            ExprKind::Not(inner) => Node::Not(boxed(inner)),
            ExprKind::And(items) => Node::And(items.iter().map(|x| self.compile(x)).collect()),
            ExprKind::Or(items) => Node::Or(items.iter().map(|x| self.compile(x)).collect()),
            ExprKind::Compare { op, lhs, rhs } => Node::Compare(*op, boxed(lhs), boxed(rhs)),
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } => Node::Between {
                x: boxed(expr),
                lo: boxed(lo),
                hi: boxed(hi),
                negated: *negated,
            },
            ExprKind::InList {
                expr,
                list,
                list_param,
                negated,
            } => self.in_list(expr, list, list_param.as_deref(), *negated),
            ExprKind::IsMissing { expr, negated } => Node::IsMissing {
                x: boxed(expr),
                negated: *negated,
            },
            ExprKind::StrPred {
                op,
                target,
                pattern,
                negated,
            } => {
                if *op == StrOp::StartsWith && !seg_ir::reads_row(pattern) {
                    match self.fold(pattern) {
                        Ok(Some(Const::String(p))) => {
                            return Node::StartsWith {
                                target: boxed(target),
                                prefix: Some(p),
                                negated: *negated,
                            };
                        }
                        Ok(None) => {
                            return Node::StartsWith {
                                target: boxed(target),
                                prefix: None,
                                negated: *negated,
                            };
                        }
                        _ => return Node::Top,
                    }
                }
                if *op == StrOp::Matches {
                    // The pattern is a constant; only the target can be missing.
                    Node::Opaque(vec![self.compile(target)])
                } else {
                    Node::Opaque(vec![self.compile(target), self.compile(pattern)])
                }
            }
            ExprKind::Within { expr, duration } => self.within(e, expr, duration),
            // Lists, arithmetic and functions: not analysed.
            _ => Node::Top,
        }
    }

    fn in_list(&self, expr: &Expr, list: &[Expr], param: Option<&Expr>, negated: bool) -> Node {
        let mut candidates = Vec::new();
        for item in list {
            match self.scalar(item) {
                Ok(Some(v)) => candidates.push(v),
                // A missing candidate (NaN) never matches.
                Ok(None) => {}
                Err(()) => return Node::Top,
            }
        }
        if let Some(param) = param {
            match self.fold(param) {
                Ok(Some(Const::ListString(items))) => {
                    candidates.extend(items.into_iter().map(Scalar::Str));
                }
                Ok(Some(Const::ListInt(items))) => {
                    candidates.extend(items.into_iter().map(Scalar::Int));
                }
                _ => return Node::Top,
            }
        }
        Node::InList {
            x: Box::new(self.compile(expr)),
            candidates,
            negated,
        }
    }

    /// `t within d` is `lo <= t <= hi` with `lo = base - d` and `hi = base`,
    /// folded by the evaluator. When `lo` is missing (the subtraction leaves
    /// the representable range) the evaluator yields unknown on every row.
    fn within(&self, whole: &Expr, expr: &Expr, duration: &Expr) -> Node {
        let base = match expr.ty {
            Type::Timestamp => Relative::Now,
            Type::Date => Relative::Today,
            _ => return Node::Top,
        };
        let ago = Expr {
            kind: ExprKind::Ago {
                base,
                duration: Box::new(duration.clone()),
            },
            ty: expr.ty.clone(),
            span: whole.span,
        };
        let now = Expr {
            kind: ExprKind::Relative(base),
            ty: expr.ty.clone(),
            span: whole.span,
        };
        match (self.scalar(&ago), self.scalar(&now)) {
            (Ok(None), _) => Node::Const(None),
            (Ok(Some(lo)), Ok(Some(hi))) => Node::Between {
                x: Box::new(self.compile(expr)),
                lo: Box::new(Node::Const(Some(lo))),
                hi: Box::new(Node::Const(Some(hi))),
                negated: false,
            },
            _ => Node::Top,
        }
    }
}

/// Possible membership of a segment: (may be a member, may be a non-member).
type Member = (bool, bool);

/// The analysis of compiled segments over one set of facts.
pub(crate) struct Analysis<'a> {
    /// Compiled `where` and `exclude` of every segment.
    pub segments: &'a [(Node, Option<Node>)],
    /// Facts by field id.
    pub facts: &'a [FieldFacts],
    memo: Vec<Option<Member>>,
}

/// `a < b` for some a in `l`, b in `r` (true when unsure).
fn lt_possible(l: &Range, r: &Range) -> bool {
    match (&l.lo, &r.hi) {
        (Some(a), Some(d)) => a.cmp(d).is_none_or(|o| o == Ordering::Less),
        _ => true,
    }
}

/// `a <= b` for some a in `l`, b in `r` (true when unsure).
fn le_possible(l: &Range, r: &Range) -> bool {
    match (&l.lo, &r.hi) {
        (Some(a), Some(d)) => a.cmp(d).is_none_or(|o| o != Ordering::Greater),
        _ => true,
    }
}

/// Truth values of `l op r` for present operands in the ranges.
fn compare(op: CmpOp, l: &Range, r: &Range) -> Truth {
    let mut out = Truth::NONE.with(Truth::UNKNOWN, l.may_missing || r.may_missing);
    if !(l.may_present && r.may_present) {
        return out;
    }
    let (t, f) = match op {
        CmpOp::Lt => (lt_possible(l, r), le_possible(r, l)),
        CmpOp::Le => (le_possible(l, r), lt_possible(r, l)),
        CmpOp::Gt => (lt_possible(r, l), le_possible(l, r)),
        CmpOp::Ge => (le_possible(r, l), lt_possible(l, r)),
        CmpOp::Eq | CmpOp::Ne => {
            let may_equal = le_possible(l, r) && le_possible(r, l);
            let always_equal = match (l.singleton(), r.singleton()) {
                (Some(a), Some(b)) => a.cmp(b) == Some(Ordering::Equal),
                _ => false,
            };
            if op == CmpOp::Eq {
                (may_equal, !always_equal)
            } else {
                (!always_equal, may_equal)
            }
        }
    };
    out = out.with(Truth::TRUE, t).with(Truth::FALSE, f);
    out
}

/// True when `v` may lie within the range's bounds (true when unsure).
fn in_bounds(v: &Scalar, r: &Range) -> bool {
    let above =
        r.lo.as_ref()
            .is_none_or(|lo| v.cmp(lo).is_none_or(|o| o != Ordering::Less));
    let below =
        r.hi.as_ref()
            .is_none_or(|hi| v.cmp(hi).is_none_or(|o| o != Ordering::Greater));
    above && below
}

impl<'a> Analysis<'a> {
    pub(crate) fn new(segments: &'a [(Node, Option<Node>)], facts: &'a [FieldFacts]) -> Self {
        Analysis {
            segments,
            facts,
            memo: vec![None; segments.len()],
        }
    }

    /// Whether the segment may have a member among the rows.
    pub(crate) fn may_be_member(&mut self, id: SegmentId) -> bool {
        self.member(id).0
    }

    fn member(&mut self, id: SegmentId) -> Member {
        let index = id.0 as usize;
        if let Some(Some(m)) = self.memo.get(index) {
            return *m;
        }
        let Some((where_, exclude)) = self.segments.get(index) else {
            return (true, true);
        };
        let w = self.truth(where_);
        let x = exclude.as_ref().map(|e| self.truth(e));
        // A member: `where` TRUE and `exclude` not TRUE.
        let may_true =
            w.has(Truth::TRUE) && x.is_none_or(|x| x.has(Truth::FALSE) || x.has(Truth::UNKNOWN));
        let may_false =
            w.has(Truth::FALSE) || w.has(Truth::UNKNOWN) || x.is_some_and(|x| x.has(Truth::TRUE));
        let m = (may_true, may_false);
        if let Some(slot) = self.memo.get_mut(index) {
            *slot = Some(m);
        }
        m
    }

    /// The truth values a bool node may take.
    pub(crate) fn truth(&mut self, node: &Node) -> Truth {
        match node {
            Node::Const(v) => match v {
                Some(Scalar::Bool(b)) => Truth::of(Some(*b)),
                None => Truth::UNKNOWN,
                Some(_) => Truth::ALL,
            },
            Node::Field(_) | Node::Cast(..) => Truth::from_range(&self.range(node)),
            Node::Segment(id) => {
                let (t, f) = self.member(*id);
                Truth::NONE.with(Truth::TRUE, t).with(Truth::FALSE, f)
            }
            Node::Not(inner) => self.truth(inner).not(),
            Node::And(items) | Node::Or(items) => {
                let and = matches!(node, Node::And(_));
                let mut acc = Truth::of(Some(and));
                for item in items {
                    let t = self.truth(item);
                    acc = acc.combine(t, and);
                }
                acc
            }
            Node::Compare(op, l, r) => {
                let l = self.range(l);
                let r = self.range(r);
                compare(*op, &l, &r)
            }
            Node::Between { x, lo, hi, negated } => {
                let x = self.range(x);
                let lo = self.range(lo);
                let hi = self.range(hi);
                let inside = compare(CmpOp::Ge, &x, &lo).combine(compare(CmpOp::Le, &x, &hi), true);
                if *negated { inside.not() } else { inside }
            }
            Node::InList {
                x,
                candidates,
                negated,
            } => {
                let x = self.range(x);
                let mut out = Truth::NONE.with(Truth::UNKNOWN, x.may_missing);
                if x.may_present {
                    let may_match = candidates.iter().any(|c| in_bounds(c, &x));
                    let always_match = x.singleton().is_some_and(|s| {
                        candidates.iter().any(|c| s.cmp(c) == Some(Ordering::Equal))
                    });
                    let (t, f) = if *negated {
                        (!always_match, may_match)
                    } else {
                        (may_match, !always_match)
                    };
                    out = out.with(Truth::TRUE, t).with(Truth::FALSE, f);
                }
                out
            }
            Node::IsMissing { x, negated } => {
                let x = self.range(x);
                let (missing, present) = (x.may_missing, x.may_present);
                let (t, f) = if *negated {
                    (present, missing)
                } else {
                    (missing, present)
                };
                Truth::NONE.with(Truth::TRUE, t).with(Truth::FALSE, f)
            }
            Node::StartsWith {
                target,
                prefix,
                negated,
            } => {
                let x = self.range(target);
                let Some(prefix) = prefix else {
                    return Truth::UNKNOWN;
                };
                let mut out = Truth::NONE.with(Truth::UNKNOWN, x.may_missing);
                if x.may_present {
                    let (t, f) = starts_with(&x, prefix);
                    let (t, f) = if *negated { (f, t) } else { (t, f) };
                    out = out.with(Truth::TRUE, t).with(Truth::FALSE, f);
                }
                out
            }
            Node::Opaque(inputs) => {
                let mut missing = false;
                let mut present = true;
                for input in inputs {
                    let r = self.range(input);
                    missing |= r.may_missing;
                    present &= r.may_present;
                }
                Truth::NONE
                    .with(Truth::UNKNOWN, missing)
                    .with(Truth::TRUE, present)
                    .with(Truth::FALSE, present)
            }
            Node::Top => Truth::ALL,
        }
    }

    /// The range of values a node may take.
    pub(crate) fn range(&mut self, node: &Node) -> Range {
        match node {
            Node::Const(v) => Range::exactly(v.clone()),
            Node::Field(id) => self
                .facts
                .get(id.0 as usize)
                .map_or_else(Range::top, FieldFacts::range),
            Node::Cast(inner, to, zone) => {
                let r = self.range(inner);
                let mut out = Range {
                    may_missing: r.may_missing,
                    may_present: r.may_present,
                    lo: None,
                    hi: None,
                };
                for (bound, slot) in [(&r.lo, &mut out.lo), (&r.hi, &mut out.hi)] {
                    if let Some(b) = bound {
                        match b.cast(to, *zone) {
                            Ok(Some(v)) => *slot = Some(v),
                            // The value at this end leaves the representable
                            // range: such rows become missing.
                            Ok(None) => out.may_missing = true,
                            Err(()) => return Range::top(),
                        }
                    }
                }
                out
            }
            Node::Top => Range::top(),
            // Every other node is a condition: a bool value.
            other => self.truth(other).as_range(),
        }
    }
}

/// (may some string in the range start with `prefix`, may some not). The
/// strings with a prefix form one interval of the byte order, which the
/// range either reaches or not.
fn starts_with(x: &Range, prefix: &str) -> (bool, bool) {
    let lo = match &x.lo {
        Some(Scalar::Str(s)) => Some(s.as_str()),
        Some(_) => return (true, true),
        None => None,
    };
    let hi = match &x.hi {
        Some(Scalar::Str(s)) => Some(s.as_str()),
        Some(_) => return (true, true),
        None => None,
    };
    // Some value has the prefix: `lo` itself has it, or the range spans
    // `prefix` (lo < prefix <= hi). If `lo` sorts after `prefix` without
    // having it, every string with the prefix sorts before `lo`.
    let reaches_prefix = hi.is_none_or(|hi| hi >= prefix);
    let t = reaches_prefix && lo.is_none_or(|lo| lo < prefix || lo.starts_with(prefix));
    // All values have the prefix only when both ends have it (the strings
    // with a prefix are contiguous); an empty prefix is had by every string.
    let all = prefix.is_empty()
        || (lo.is_some_and(|lo| lo.starts_with(prefix))
            && hi.is_some_and(|hi| hi.starts_with(prefix)));
    (t, !all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(lo: &str, hi: &str) -> Range {
        Range {
            may_missing: false,
            may_present: true,
            lo: Some(Scalar::Str(lo.into())),
            hi: Some(Scalar::Str(hi.into())),
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(starts_with(&strs("ab", "ac"), "ab"), (true, true));
        assert_eq!(starts_with(&strs("aba", "abz"), "ab"), (true, false));
        assert_eq!(starts_with(&strs("b", "c"), "ab"), (false, true));
        assert_eq!(starts_with(&strs("a", "aa"), "ab"), (false, true));
        assert_eq!(starts_with(&strs("a", "b"), "ab"), (true, true));
        assert_eq!(starts_with(&strs("a", "b"), ""), (true, false));
    }

    #[test]
    fn kleene_sets() {
        let tu = Truth::TRUE.union(Truth::UNKNOWN);
        assert_eq!(tu.combine(Truth::FALSE, true), Truth::FALSE);
        assert_eq!(tu.combine(Truth::TRUE, false), Truth::TRUE);
        assert_eq!(tu.combine(Truth::FALSE, false), tu);
        assert_eq!(tu.not(), Truth::FALSE.union(Truth::UNKNOWN));
    }

    #[test]
    fn float_zero_signs_compare_by_ieee() {
        let zeros = Range {
            may_missing: false,
            may_present: true,
            lo: Some(Scalar::Float(0.0)),
            hi: Some(Scalar::Float(-0.0)),
        };
        let zero = Range::exactly(Some(Scalar::Float(-0.0)));
        assert_eq!(compare(CmpOp::Eq, &zeros, &zero), Truth::TRUE);
        assert_eq!(compare(CmpOp::Lt, &zeros, &zero), Truth::FALSE);
    }
}
