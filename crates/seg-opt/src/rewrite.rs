//! The rewriter: one bottom-up pass over an expression, applying every rule
//! whose preconditions hold, and recording each application.
//!
//! Rules are sound for Kleene logic. Where a rule is only sound for *whether
//! the value is true* (unknown and false being the same to a `where` or an
//! `exclude`), it runs only in [`Context::Truth`]: the roots of `where` and
//! `exclude`, and operands of `and`/`or` below them. Below a `not`, or as an
//! operand of anything else, the context is [`Context::Exact`].

use crate::ranges::{self, Constraint, Merged};
use crate::{Rewrite, Rule};
use seg_diagnostics::Span;
use seg_ir::facts::{self, Strictness};
use seg_ir::identity::{Shape, same_expr};
use seg_ir::{
    AggFunc, CmpOp, Const, Expr, ExprKind, ListQuantifier, Program, Relative, SegmentId, Type,
};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};

/// Whether a rewrite must keep the exact truth value, or only its truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// Only whether the value is *true* matters.
    Truth,
    /// False and unknown must stay apart.
    Exact,
}

/// Something a rewrite learned that a finding may report.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    /// A conjunction no profile can satisfy.
    Contradiction { span: Span, text: String },
    /// A clause that adds nothing to the others.
    Redundant {
        span: Span,
        text: String,
        because: String,
    },
    /// A disjunction true for every present value.
    AlwaysTrue { span: Span, text: String },
}

pub(crate) struct Rewriter<'a> {
    pub program: &'a Program,
    /// Param values to inline, or `None` to keep params symbolic.
    pub inline: Option<&'a [Const]>,
    /// Param values folding uses (the defaults when params stay symbolic;
    /// then nothing reading a param is folded).
    pub param_values: Vec<Const>,
    /// The run's instant, or `None` to keep relative time symbolic.
    pub as_of: Option<i64>,
    /// Segments known to match no profile (`Some(false)`) or every profile.
    pub known: Vec<Option<bool>>,
    /// The segment being rewritten, for the trace.
    pub segment: String,
    pub trace: Vec<Rewrite>,
    pub events: Vec<Event>,
    pub changed: bool,
    /// The fields of the records whose filter is being rewritten, if any.
    pub record: Option<std::sync::Arc<[seg_ir::RecordField]>>,
}

fn boolean(value: bool, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(Const::Bool(value)),
        ty: Type::Bool,
        span,
    }
}

fn constant(value: Const, ty: Type, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(value),
        ty,
        span,
    }
}

fn is_bool(e: &Expr, value: bool) -> bool {
    matches!(e.kind, ExprKind::Const(Const::Bool(v)) if v == value)
}

fn compare(op: CmpOp, term: &Expr, value: Const, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Compare {
            op,
            lhs: Box::new(term.clone()),
            rhs: Box::new(constant(value, term.ty.clone(), span)),
        },
        ty: Type::Bool,
        span,
    }
}

fn in_list(term: &Expr, values: Vec<Const>, negated: bool, span: Span) -> Expr {
    Expr {
        kind: ExprKind::InList {
            expr: Box::new(term.clone()),
            list: values
                .into_iter()
                .map(|v| constant(v, term.ty.clone(), span))
                .collect(),
            list_param: None,
            negated,
        },
        ty: Type::Bool,
        span,
    }
}

fn join(and: bool, mut items: Vec<Expr>, span: Span) -> Expr {
    match items.len() {
        0 => boolean(and, span),
        1 => items.pop().unwrap_or_else(|| boolean(and, span)),
        _ => Expr {
            kind: if and {
                ExprKind::And(items)
            } else {
                ExprKind::Or(items)
            },
            ty: Type::Bool,
            span,
        },
    }
}

fn mirror(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

/// Does the value of `e` depend on the run's instant? (The language-facts
/// table says which functions and operators read it.)
fn reads_as_of(e: &Expr) -> bool {
    let mut found = false;
    seg_ir::walk(e, &mut |n| {
        if facts::of_kind(&n.kind).is_some_and(|f| f.reads_as_of) {
            found = true;
        }
    });
    found
}

fn reads_row_or_param(e: &Expr) -> (bool, bool) {
    let (mut row, mut param) = (false, false);
    seg_ir::walk(e, &mut |n| match n.kind {
        ExprKind::Field(_) | ExprKind::Segment(_) | ExprKind::Element(_) => row = true,
        ExprKind::Param(_) => param = true,
        _ => {}
    });
    (row, param)
}

/// Is `e` (a value) missing whenever the term `key` is? (Terms are the same
/// up to spans, see [`seg_ir::identity`].)
fn strict_value(e: &Expr, key: &Expr) -> bool {
    if same_expr(e, key) {
        return true;
    }
    match &e.kind {
        ExprKind::Cast(inner) => strict_value(inner, key),
        // The value nodes whose result is missing when any argument is, per
        // the language-facts table.
        ExprKind::Neg(inner) if strict_in_all(&e.kind) => strict_value(inner, key),
        ExprKind::Arith { lhs, rhs, .. } if strict_in_all(&e.kind) => {
            strict_value(lhs, key) || strict_value(rhs, key)
        }
        ExprKind::Call { args, .. } if strict_in_all(&e.kind) => {
            args.iter().any(|a| strict_value(a, key))
        }
        _ => false,
    }
}

/// Whether the table says a missing argument of this node makes it missing.
fn strict_in_all(kind: &ExprKind) -> bool {
    facts::of_kind(kind).is_some_and(|f| f.strictness == Strictness::All)
}

/// Is the predicate `e` unknown whenever the term `key` is missing?
pub(crate) fn strict_predicate(e: &Expr, key: &Expr) -> bool {
    match &e.kind {
        ExprKind::Compare { lhs, rhs, .. } => strict_value(lhs, key) || strict_value(rhs, key),
        ExprKind::InList { expr, .. }
        | ExprKind::Between { expr, .. }
        | ExprKind::Within { expr, .. } => strict_value(expr, key),
        ExprKind::StrPred {
            target, pattern, ..
        } => strict_value(target, key) || strict_value(pattern, key),
        ExprKind::ListContains { list, .. } => strict_value(list, key),
        ExprKind::Not(inner) => strict_predicate(inner, key),
        ExprKind::And(items) | ExprKind::Or(items) => {
            items.iter().all(|i| strict_predicate(i, key))
        }
        _ => false,
    }
}

/// The operands of a conjunction indexed by (the hash of) every
/// subexpression they hold. A predicate can only be strict in a term it
/// contains, so looking a presence test's term up here leaves only the
/// operands worth asking [`strict_predicate`], instead of all of them for
/// each test; a hash collision only adds a candidate that test rejects.
struct Containing {
    hasher: RandomState,
    at: HashMap<u64, Vec<usize>>,
}

impl Containing {
    fn new(items: &[Expr]) -> Self {
        let hasher = RandomState::new();
        let mut at: HashMap<u64, Vec<usize>> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            seg_ir::walk(item, &mut |node| {
                let holders = at.entry(hasher.hash_one(Shape(node))).or_default();
                if holders.last() != Some(&index) {
                    holders.push(index);
                }
            });
        }
        Containing { hasher, at }
    }

    /// The first operand (in order) that is unknown whenever `term` is
    /// missing.
    fn first_strict<'e>(&self, items: &'e [Expr], term: &Expr) -> Option<&'e Expr> {
        self.at
            .get(&self.hasher.hash_one(Shape(term)))?
            .iter()
            .map(|&i| &items[i])
            .find(|o| strict_predicate(o, term))
    }
}

/// Indices of `items` grouped by the term `term_of` finds in each (items
/// without one are skipped): groups in order of their first member, each with
/// its first member's term, members in order. One hash per item keeps this
/// linear in the number of operands.
fn group_by_term<'e>(
    items: &'e [Expr],
    term_of: impl Fn(&'e Expr) -> Option<&'e Expr>,
) -> Vec<(&'e Expr, Vec<usize>)> {
    let mut groups: Vec<(&'e Expr, Vec<usize>)> = Vec::new();
    let mut index_of: HashMap<Shape<'e>, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let Some(term) = term_of(item) else {
            continue;
        };
        match index_of.get(&Shape(term)) {
            Some(&g) => groups[g].1.push(index),
            None => {
                index_of.insert(Shape(term), groups.len());
                groups.push((term, vec![index]));
            }
        }
    }
    groups
}

/// A rough cost of evaluating a predicate per row, for ordering operands so
/// that cheap ones run first (and can short-circuit the rest).
pub(crate) fn cost(e: &Expr) -> u32 {
    // The operator's or function's cost class from the language-facts
    // table; what depends on the operands' types and sizes is added here.
    let class = facts::of_kind(&e.kind).map_or(1, |f| f.cost.weight());
    let own = match &e.kind {
        ExprKind::Const(_) | ExprKind::Param(_) => 0,
        ExprKind::Segment(_) => 1,
        ExprKind::Field(_) if e.ty == Type::String => 3,
        ExprKind::Field(_) => 1,
        ExprKind::Compare { lhs, .. } if lhs.ty == Type::String => class + 2,
        ExprKind::InList { expr, list, .. } => {
            class
                + u32::try_from(list.len() / 8).unwrap_or(u32::MAX)
                + if expr.ty == Type::String { 3 } else { 0 }
        }
        _ => class,
    };
    let mut children = 0u32;
    let mut first = true;
    seg_ir::walk(e, &mut |n| {
        if first {
            first = false;
        } else if !matches!(n.kind, ExprKind::And(_) | ExprKind::Or(_)) {
            children = children.saturating_add(match n.kind {
                ExprKind::Const(_) => 0,
                _ => 1,
            });
        }
    });
    own.saturating_add(children / 2)
}

impl Rewriter<'_> {
    fn record(&mut self, rule: Rule, before: &Expr, after: &Expr) {
        self.changed = true;
        self.trace.push(Rewrite {
            segment: self.segment.clone(),
            rule,
            before: self.text(before),
            after: self.text(after),
        });
    }

    fn text(&self, e: &Expr) -> String {
        seg_ir::expr_text_in(self.program, e, self.record.as_deref())
    }

    /// Rewrites an expression, children first.
    pub fn expr(&mut self, e: Expr, ctx: Context) -> Expr {
        let e = self.children(e, ctx);
        self.node(e, ctx)
    }

    fn children(&mut self, e: Expr, ctx: Context) -> Expr {
        let Expr { kind, ty, span } = e;
        let exact = Context::Exact;
        let boxed = |this: &mut Self, b: Box<Expr>| Box::new(this.expr(*b, exact));
        let kind = match kind {
            ExprKind::Not(inner) => ExprKind::Not(boxed(self, inner)),
            ExprKind::And(items) => {
                ExprKind::And(items.into_iter().map(|i| self.expr(i, ctx)).collect())
            }
            ExprKind::Or(items) => {
                ExprKind::Or(items.into_iter().map(|i| self.expr(i, ctx)).collect())
            }
            ExprKind::Cast(inner) => ExprKind::Cast(boxed(self, inner)),
            ExprKind::Neg(inner) => ExprKind::Neg(boxed(self, inner)),
            ExprKind::Duration { amount, unit } => ExprKind::Duration {
                amount: boxed(self, amount),
                unit,
            },
            ExprKind::Ago { base, duration } => ExprKind::Ago {
                base,
                duration: boxed(self, duration),
            },
            ExprKind::Compare { op, lhs, rhs } => ExprKind::Compare {
                op,
                lhs: boxed(self, lhs),
                rhs: boxed(self, rhs),
            },
            ExprKind::Arith { op, lhs, rhs } => ExprKind::Arith {
                op,
                lhs: boxed(self, lhs),
                rhs: boxed(self, rhs),
            },
            ExprKind::InList {
                expr,
                list,
                list_param,
                negated,
            } => ExprKind::InList {
                expr: boxed(self, expr),
                list: list.into_iter().map(|i| self.expr(i, exact)).collect(),
                list_param: list_param.map(|p| boxed(self, p)),
                negated,
            },
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } => ExprKind::Between {
                expr: boxed(self, expr),
                lo: boxed(self, lo),
                hi: boxed(self, hi),
                negated,
            },
            ExprKind::IsMissing { expr, negated } => ExprKind::IsMissing {
                expr: boxed(self, expr),
                negated,
            },
            ExprKind::StrPred {
                op,
                target,
                pattern,
                negated,
            } => ExprKind::StrPred {
                op,
                target: boxed(self, target),
                pattern: boxed(self, pattern),
                negated,
            },
            ExprKind::ListContains {
                list,
                quantifier,
                values,
                values_param,
            } => ExprKind::ListContains {
                list: boxed(self, list),
                quantifier,
                values: values.into_iter().map(|i| self.expr(i, exact)).collect(),
                values_param: values_param.map(|p| boxed(self, p)),
            },
            ExprKind::Within { expr, duration } => ExprKind::Within {
                expr: boxed(self, expr),
                duration: boxed(self, duration),
            },
            ExprKind::Call { func, args } => ExprKind::Call {
                func,
                args: args.into_iter().map(|a| self.expr(a, exact)).collect(),
            },
            // --- Event histories (v0.2) ---
            // A filter is rewritten like any condition (params inlined,
            // relative time folded, ranges merged): every rule is an
            // equivalence for one evaluation, and a filter is evaluated with
            // one record's and one row's values at a time. Only a record
            // whose filter is true counts, so truth is all that matters.
            ExprKind::Aggregate {
                func,
                list,
                value,
                filter,
            } => {
                // Inside the filter, the trace names the record's fields.
                let outer = self.record.take();
                self.record = match list.ty.element() {
                    Some(Type::Record(fields)) => Some(fields.clone()),
                    _ => None,
                };
                let filter = filter.map(|f| Box::new(self.expr(*f, Context::Truth)));
                self.record = outer;
                ExprKind::Aggregate {
                    func,
                    list,
                    value,
                    filter,
                }
            }
            leaf => leaf,
        };
        Expr { kind, ty, span }
    }

    /// Applies the rules at one node whose children are already rewritten.
    fn node(&mut self, e: Expr, ctx: Context) -> Expr {
        if let Some(inlined) = self.inline_param(&e) {
            return inlined;
        }
        if let Some(folded) = self.fold(&e, ctx) {
            return folded;
        }
        match &e.kind {
            ExprKind::Segment(id) => self.known_segment(&e, *id),
            ExprKind::Not(_) => self.not(e),
            ExprKind::Compare { .. } => self.compare(e, ctx),
            ExprKind::Aggregate { .. } => self.empty_filter(e),
            ExprKind::InList { .. } => self.in_list(e, ctx),
            ExprKind::Between { .. } => self.between(e, ctx),
            ExprKind::Within { .. } => self.within(e, ctx),
            ExprKind::ListContains { .. } => self.list_param(e),
            ExprKind::And(_) | ExprKind::Or(_) => self.logic(e, ctx),
            _ => e,
        }
    }

    fn inline_param(&mut self, e: &Expr) -> Option<Expr> {
        let params = self.inline?;
        let replacement = match &e.kind {
            ExprKind::Param(id) => {
                let value = params.get(id.0 as usize)?.clone();
                constant(value, e.ty.clone(), e.span)
            }
            ExprKind::Duration { amount, unit } => match &amount.kind {
                ExprKind::Const(Const::Int(n)) => constant(
                    Const::Duration(seg_ir::Duration {
                        amount: *n,
                        unit: *unit,
                    }),
                    Type::Duration,
                    e.span,
                ),
                _ => return None,
            },
            _ => return None,
        };
        // A duration written with a literal count only changes form; the
        // trace shows the param it came from, not this.
        if matches!(e.kind, ExprKind::Param(_)) {
            self.record(Rule::InlineParam, e, &replacement);
        } else {
            self.changed = true;
        }
        Some(replacement)
    }

    /// Folds a subexpression that reads no row through the reference
    /// evaluator, so that folding cannot disagree with execution.
    fn fold(&mut self, e: &Expr, ctx: Context) -> Option<Expr> {
        if matches!(
            e.kind,
            ExprKind::Const(_) | ExprKind::Duration { .. } | ExprKind::Field(_)
        ) || e.ty == Type::Duration
        {
            return None;
        }
        let (row, param) = reads_row_or_param(e);
        if row || (param && self.inline.is_none()) {
            return None;
        }
        let as_of = match self.as_of {
            Some(t) => t,
            None if reads_as_of(e) => return None,
            None => 0,
        };
        let value = seg_eval::fold_constant(self.program, &self.param_values, as_of, e).ok()?;
        let rule = if reads_as_of(e) {
            Rule::FoldRelativeTime
        } else {
            Rule::FoldConstant
        };
        let folded = match value {
            Some(c) if c.ty() == e.ty => constant(c, e.ty.clone(), e.span),
            // Unknown is as good as false where only truth matters.
            None if e.ty == Type::Bool && ctx == Context::Truth => boolean(false, e.span),
            _ => return None,
        };
        self.record(rule, e, &folded);
        Some(folded)
    }

    fn known_segment(&mut self, e: &Expr, id: SegmentId) -> Expr {
        match self.known.get(id.0 as usize).copied().flatten() {
            Some(value) => {
                let after = boolean(value, e.span);
                self.record(Rule::KnownSegment, e, &after);
                after
            }
            None => e.clone(),
        }
    }

    /// `not` of a predicate becomes the opposite predicate; `not` of `and`
    /// and `or` follows De Morgan (Kleene logic keeps both laws).
    fn not(&mut self, e: Expr) -> Expr {
        let ExprKind::Not(inner) = &e.kind else {
            return e;
        };
        let span = e.span;
        let pushed = match &inner.kind {
            ExprKind::Not(x) => Some((**x).clone()),
            ExprKind::Compare { op, lhs, rhs } => Some(Expr {
                kind: ExprKind::Compare {
                    op: negate(*op),
                    lhs: lhs.clone(),
                    rhs: rhs.clone(),
                },
                ty: Type::Bool,
                span,
            }),
            ExprKind::InList {
                expr,
                list,
                list_param,
                negated,
            } => Some(Expr {
                kind: ExprKind::InList {
                    expr: expr.clone(),
                    list: list.clone(),
                    list_param: list_param.clone(),
                    negated: !negated,
                },
                ty: Type::Bool,
                span,
            }),
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } => Some(Expr {
                kind: ExprKind::Between {
                    expr: expr.clone(),
                    lo: lo.clone(),
                    hi: hi.clone(),
                    negated: !negated,
                },
                ty: Type::Bool,
                span,
            }),
            ExprKind::IsMissing { expr, negated } => Some(Expr {
                kind: ExprKind::IsMissing {
                    expr: expr.clone(),
                    negated: !negated,
                },
                ty: Type::Bool,
                span,
            }),
            ExprKind::StrPred {
                op,
                target,
                pattern,
                negated,
            } => Some(Expr {
                kind: ExprKind::StrPred {
                    op: *op,
                    target: target.clone(),
                    pattern: pattern.clone(),
                    negated: !negated,
                },
                ty: Type::Bool,
                span,
            }),
            ExprKind::ListContains {
                list,
                quantifier: quantifier @ (ListQuantifier::Any | ListQuantifier::None),
                values,
                values_param,
            } => Some(Expr {
                kind: ExprKind::ListContains {
                    list: list.clone(),
                    quantifier: if *quantifier == ListQuantifier::Any {
                        ListQuantifier::None
                    } else {
                        ListQuantifier::Any
                    },
                    values: values.clone(),
                    values_param: values_param.clone(),
                },
                ty: Type::Bool,
                span,
            }),
            ExprKind::And(items) | ExprKind::Or(items) => {
                let negated_items = items
                    .iter()
                    .map(|i| Expr {
                        kind: ExprKind::Not(Box::new(i.clone())),
                        ty: Type::Bool,
                        span: i.span,
                    })
                    .collect();
                Some(join(
                    matches!(inner.kind, ExprKind::Or(_)),
                    negated_items,
                    span,
                ))
            }
            _ => None,
        };
        match pushed {
            Some(after) => {
                let rule = if matches!(inner.kind, ExprKind::Not(_)) {
                    Rule::DoubleNegation
                } else {
                    Rule::PushNot
                };
                self.record(rule, &e, &after);
                after
            }
            None => e,
        }
    }

    /// An aggregate whose filter no record passes is over nothing (§7.1):
    /// `count` and `count_distinct` are 0 and `any` is false. (`sum`, `avg`,
    /// `min` and `max` would be missing, which no constant spells, so they
    /// stay.)
    fn empty_filter(&mut self, e: Expr) -> Expr {
        let ExprKind::Aggregate {
            func,
            filter: Some(filter),
            ..
        } = &e.kind
        else {
            return e;
        };
        if !matches!(filter.kind, ExprKind::Const(Const::Bool(false))) {
            return e;
        }
        let after = match func {
            AggFunc::Count | AggFunc::CountDistinct => constant(Const::Int(0), Type::Int, e.span),
            AggFunc::Any => boolean(false, e.span),
            _ => return e,
        };
        self.record(Rule::EmptyFilter, &e, &after);
        after
    }

    /// A constant on the left moves to the right (`3 < x` is `x > 3`), so
    /// that range reasoning sees one shape.
    ///
    /// A comparison of an int whose range the language fixes (a count, a
    /// month, a bucket: [`seg_ir::int_range`]) with a constant outside that
    /// range is decided: `count(orders) < 0` is false for every profile.
    fn compare(&mut self, e: Expr, ctx: Context) -> Expr {
        let ExprKind::Compare { op, lhs, rhs } = &e.kind else {
            return e;
        };
        if let ExprKind::Const(Const::Int(c)) = rhs.kind
            && let Some(range) = seg_ir::int_range(lhs)
        {
            let (never, always) = decided_by_range(*op, c, range);
            // A value that may be missing makes the comparison unknown, not
            // false, which only a truth context may treat alike.
            let decided = if never && (ctx == Context::Truth || range.never_missing) {
                let bounds = if range.max == i64::MAX {
                    format!("is never below {}", range.min)
                } else {
                    format!("is always between {} and {}", range.min, range.max)
                };
                self.events.push(Event::Contradiction {
                    span: e.span,
                    text: format!("`{}` {bounds}", self.text(lhs)),
                });
                Some(false)
            } else if always && range.never_missing {
                Some(true)
            } else {
                None
            };
            if let Some(value) = decided {
                let after = boolean(value, e.span);
                self.record(Rule::OutOfRange, &e, &after);
                return after;
            }
        }
        if matches!(lhs.kind, ExprKind::Const(_)) && !matches!(rhs.kind, ExprKind::Const(_)) {
            let after = Expr {
                kind: ExprKind::Compare {
                    op: mirror(*op),
                    lhs: rhs.clone(),
                    rhs: lhs.clone(),
                },
                ty: Type::Bool,
                span: e.span,
            };
            self.record(Rule::ConstantRight, &e, &after);
            return after;
        }
        e
    }

    fn constants(items: &[Expr]) -> Option<Vec<Const>> {
        items
            .iter()
            .map(|i| match &i.kind {
                ExprKind::Const(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    fn list_param(&mut self, e: Expr) -> Expr {
        let ExprKind::ListContains {
            list,
            quantifier,
            values,
            values_param: Some(param),
        } = &e.kind
        else {
            return e;
        };
        let Some(extra) = list_constants(param, list.ty.element()) else {
            return e;
        };
        let mut all = values.clone();
        all.extend(extra);
        let after = Expr {
            kind: ExprKind::ListContains {
                list: list.clone(),
                quantifier: *quantifier,
                values: all,
                values_param: None,
            },
            ty: Type::Bool,
            span: e.span,
        };
        self.record(Rule::InlineParam, &e, &after);
        after
    }

    fn in_list(&mut self, e: Expr, ctx: Context) -> Expr {
        let ExprKind::InList {
            expr,
            list,
            list_param,
            negated,
        } = &e.kind
        else {
            return e;
        };
        let span = e.span;
        if let Some(param) = list_param {
            let Some(extra) = list_constants(param, Some(&expr.ty)) else {
                return e;
            };
            let mut all = list.clone();
            all.extend(extra);
            let after = Expr {
                kind: ExprKind::InList {
                    expr: expr.clone(),
                    list: all,
                    list_param: None,
                    negated: *negated,
                },
                ty: Type::Bool,
                span,
            };
            self.record(Rule::InlineParam, &e, &after);
            return after;
        }
        let Some(values) = Self::constants(list) else {
            return e;
        };
        let unique = ranges::dedup(&values);
        let after = if unique.len() < values.len() {
            Some((
                Rule::DedupList,
                in_list(expr, unique.clone(), *negated, span),
            ))
        } else if unique.len() == 1 {
            let op = if *negated { CmpOp::Ne } else { CmpOp::Eq };
            Some((
                Rule::ListToComparison,
                compare(op, expr, unique[0].clone(), span),
            ))
        } else if unique.is_empty() && ctx == Context::Truth {
            // Never true: false for present values, unknown for missing ones;
            // `not in []` is true exactly for present values.
            Some((
                Rule::EmptyList,
                if *negated {
                    Expr {
                        kind: ExprKind::IsMissing {
                            expr: expr.clone(),
                            negated: true,
                        },
                        ty: Type::Bool,
                        span,
                    }
                } else {
                    boolean(false, span)
                },
            ))
        } else {
            contiguous_ints(&unique).map(|(lo, hi)| {
                (
                    Rule::ListToRange,
                    Expr {
                        kind: ExprKind::Between {
                            expr: expr.clone(),
                            lo: Box::new(constant(Const::Int(lo), Type::Int, span)),
                            hi: Box::new(constant(Const::Int(hi), Type::Int, span)),
                            negated: *negated,
                        },
                        ty: Type::Bool,
                        span,
                    },
                )
            })
        };
        match after {
            Some((rule, after)) => {
                self.record(rule, &e, &after);
                after
            }
            None => e,
        }
    }

    fn between(&mut self, e: Expr, ctx: Context) -> Expr {
        let ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } = &e.kind
        else {
            return e;
        };
        let (ExprKind::Const(l), ExprKind::Const(h)) = (&lo.kind, &hi.kind) else {
            return e;
        };
        if !ranges::orderable(&expr.ty) || matches!(expr.kind, ExprKind::Const(_)) {
            return e;
        }
        let span = e.span;
        let after = match ranges::cmp_const(l, h) {
            Some(std::cmp::Ordering::Equal) => {
                let op = if *negated { CmpOp::Ne } else { CmpOp::Eq };
                Some((Rule::MergeRanges, compare(op, expr, l.clone(), span)))
            }
            Some(std::cmp::Ordering::Greater) => {
                self.events.push(Event::Contradiction {
                    span,
                    text: format!(
                        "`{}`: the lower bound is above the upper bound",
                        self.text(&e)
                    ),
                });
                if ctx == Context::Truth && !negated {
                    Some((Rule::EmptyRange, boolean(false, span)))
                } else if !negated {
                    Some((Rule::EmptyRange, in_list(expr, Vec::new(), false, span)))
                } else {
                    None
                }
            }
            _ => None,
        };
        match after {
            Some((rule, after)) => {
                self.record(rule, &e, &after);
                after
            }
            None => e,
        }
    }

    /// `t within D` becomes `t between as_of - D and as_of` once the instant
    /// is known, so that it merges with other bounds on `t`.
    fn within(&mut self, e: Expr, ctx: Context) -> Expr {
        let Some(as_of) = self.as_of else {
            return e;
        };
        let ExprKind::Within { expr, duration } = &e.kind else {
            return e;
        };
        if reads_row_or_param(duration).1 && self.inline.is_none() {
            return e;
        }
        let base = if expr.ty == Type::Date {
            Relative::Today
        } else {
            Relative::Now
        };
        let span = e.span;
        let upper = Expr {
            kind: ExprKind::Relative(base),
            ty: expr.ty.clone(),
            span,
        };
        let lower = Expr {
            kind: ExprKind::Ago {
                base,
                duration: duration.clone(),
            },
            ty: expr.ty.clone(),
            span,
        };
        let fold = |x: &Expr| seg_eval::fold_constant(self.program, &self.param_values, as_of, x);
        let after = match (fold(&lower), fold(&upper)) {
            (Ok(Some(lo)), Ok(Some(hi))) => Expr {
                kind: ExprKind::Between {
                    expr: expr.clone(),
                    lo: Box::new(constant(lo, expr.ty.clone(), span)),
                    hi: Box::new(constant(hi, expr.ty.clone(), span)),
                    negated: false,
                },
                ty: Type::Bool,
                span,
            },
            // The window's start is out of range: unknown for every row.
            (Ok(None), _) if ctx == Context::Truth => boolean(false, span),
            _ => return e,
        };
        self.record(Rule::FoldRelativeTime, &e, &after);
        after
    }

    fn logic(&mut self, e: Expr, ctx: Context) -> Expr {
        let is_and = matches!(e.kind, ExprKind::And(_));
        let span = e.span;
        let items = match &e.kind {
            ExprKind::And(items) | ExprKind::Or(items) => items.clone(),
            _ => return e,
        };
        // Flatten nested operands of the same operator.
        let mut flat = Vec::with_capacity(items.len());
        let mut flattened = false;
        for item in items {
            match item.kind {
                ExprKind::And(inner) if is_and => {
                    flattened = true;
                    flat.extend(inner);
                }
                ExprKind::Or(inner) if !is_and => {
                    flattened = true;
                    flat.extend(inner);
                }
                _ => flat.push(item),
            }
        }
        let mut current = join(is_and, flat.clone(), span);
        if flattened {
            self.record(Rule::Flatten, &e, &current);
        }
        // The absorbing constant decides; the neutral one disappears.
        if flat.iter().any(|i| is_bool(i, !is_and)) {
            let after = boolean(!is_and, span);
            self.record(Rule::ShortCircuit, &current, &after);
            return after;
        }
        if flat.iter().any(|i| is_bool(i, is_and)) {
            flat.retain(|i| !is_bool(i, is_and));
            let after = join(is_and, flat.clone(), span);
            self.record(Rule::DropNeutral, &current, &after);
            current = after;
        }
        // Duplicates (`x and x` is `x` in Kleene logic too).
        let first: Vec<bool> = {
            let mut seen = HashSet::with_capacity(flat.len());
            flat.iter().map(|item| seen.insert(Shape(item))).collect()
        };
        let mut duplicated = false;
        for (item, _) in flat.iter().zip(&first).filter(|(_, first)| !**first) {
            duplicated = true;
            self.events.push(Event::Redundant {
                span: item.span,
                text: self.text(item),
                because: "it is written twice".into(),
            });
        }
        let unique: Vec<Expr> = flat
            .into_iter()
            .zip(first)
            .filter_map(|(item, first)| first.then_some(item))
            .collect();
        if duplicated {
            let after = join(is_and, unique.clone(), span);
            self.record(Rule::DuplicateOperand, &current, &after);
            current = after;
        }
        let mut items = unique;
        // `x is missing` and `x is present` are never unknown: together they
        // decide an `or` (true) and an `and` (false) exactly.
        if let Some(decided) = self.complementary_presence(&items, is_and, span) {
            self.record(Rule::ExcludedMiddle, &current, &decided);
            return decided;
        }
        // Absorption: `a or (a and b)` is `a`; `a and (a or b)` is `a`.
        let absorbed: Vec<bool> = {
            let keys: HashSet<Shape<'_>> = items.iter().map(Shape).collect();
            items
                .iter()
                .map(|item| match &item.kind {
                    ExprKind::And(inner) if !is_and => {
                        inner.iter().any(|x| keys.contains(&Shape(x)))
                    }
                    ExprKind::Or(inner) if is_and => inner.iter().any(|x| keys.contains(&Shape(x))),
                    _ => false,
                })
                .collect()
        };
        if absorbed.iter().any(|a| *a) {
            let mut index = 0;
            items.retain(|_| {
                index += 1;
                !absorbed[index - 1]
            });
            let after = join(is_and, items.clone(), span);
            self.record(Rule::Absorb, &current, &after);
            current = after;
        }
        if is_and {
            if let Some(after) = self.missing_and_strict(&items, ctx, span) {
                self.record(Rule::MissingContradiction, &current, &after);
                return after;
            }
            if let Some(kept) = self.present_and_strict(&items, ctx) {
                let after = join(true, kept.clone(), span);
                self.record(Rule::DropImpliedPresence, &current, &after);
                items = kept;
                current = after;
            }
            if let Some(merged) = self.merge_ranges(&items, ctx, span) {
                let after = join(true, merged.clone(), span);
                self.record(Rule::MergeRanges, &current, &after);
                if is_bool(&after, false) {
                    return after;
                }
                items = merged;
                current = after;
            }
        } else {
            if let Some(merged) = self.merge_alternatives(&items, span) {
                let after = join(false, merged.clone(), span);
                self.record(Rule::EqualitiesToList, &current, &after);
                items = merged;
                current = after;
            }
            if let Some(after) = self.covering(&items, ctx, span) {
                self.record(Rule::AlwaysTrueWhenPresent, &current, &after);
                return after;
            }
        }
        // Cheap operands first, so that a back end can short-circuit.
        let mut ordered = items.clone();
        ordered.sort_by_key(cost);
        if ordered != items {
            let after = join(is_and, ordered, span);
            self.record(Rule::OrderByCost, &current, &after);
            return after;
        }
        current
    }

    fn complementary_presence(&mut self, items: &[Expr], is_and: bool, span: Span) -> Option<Expr> {
        let presence: Vec<(Shape<'_>, bool, Span)> = items
            .iter()
            .filter_map(|i| match &i.kind {
                ExprKind::IsMissing { expr, negated } => Some((Shape(expr), *negated, i.span)),
                _ => None,
            })
            .collect();
        let tests: HashSet<(Shape<'_>, bool)> = presence
            .iter()
            .map(|(key, negated, _)| (*key, *negated))
            .collect();
        // The first presence test whose opposite is also there.
        let pair = presence
            .iter()
            .find(|(key, negated, _)| tests.contains(&(*key, !*negated)))?;
        let text = items
            .iter()
            .map(|i| self.text(i))
            .collect::<Vec<_>>()
            .join(if is_and { " and " } else { " or " });
        if is_and {
            self.events.push(Event::Contradiction {
                span: pair.2,
                text: format!("`{text}`: a value cannot be both missing and present"),
            });
        } else {
            self.events.push(Event::AlwaysTrue {
                span: pair.2,
                text: format!("`{text}`: every value is either missing or present"),
            });
        }
        Some(boolean(!is_and, span))
    }

    /// In a conjunction where only truth matters, `x is missing` next to a
    /// predicate that is unknown for a missing `x` can never be true.
    fn missing_and_strict(&mut self, items: &[Expr], ctx: Context, span: Span) -> Option<Expr> {
        if ctx != Context::Truth {
            return None;
        }
        let mut containing = None;
        for item in items {
            let ExprKind::IsMissing {
                expr,
                negated: false,
            } = &item.kind
            else {
                continue;
            };
            let containing = containing.get_or_insert_with(|| Containing::new(items));
            if let Some(other) = containing.first_strict(items, expr) {
                self.events.push(Event::Contradiction {
                    span: other.span,
                    text: format!(
                        "`{}` needs a value, but `{}` requires it to be missing",
                        self.text(other),
                        self.text(item)
                    ),
                });
                return Some(boolean(false, span));
            }
        }
        None
    }

    /// In a conjunction where only truth matters, `x is present` next to a
    /// predicate that is unknown for a missing `x` adds nothing.
    fn present_and_strict(&mut self, items: &[Expr], ctx: Context) -> Option<Vec<Expr>> {
        if ctx != Context::Truth {
            return None;
        }
        let mut kept = Vec::with_capacity(items.len());
        let mut dropped = false;
        let mut containing = None;
        for item in items {
            if let ExprKind::IsMissing {
                expr,
                negated: true,
            } = &item.kind
                && let Some(other) = containing
                    .get_or_insert_with(|| Containing::new(items))
                    .first_strict(items, expr)
            {
                // Next to `!=` or `not in`, `x is present` is how a user says
                // that profiles without `x` are left out on purpose (the
                // silencer of W0309), so it is dropped without a finding.
                let states_intent = matches!(
                    other.kind,
                    ExprKind::Compare {
                        op: seg_ir::CmpOp::Ne,
                        ..
                    } | ExprKind::InList { negated: true, .. }
                );
                if !states_intent {
                    self.events.push(Event::Redundant {
                        span: item.span,
                        text: self.text(item),
                        because: format!("`{}` already needs a value", self.text(other)),
                    });
                }
                dropped = true;
                continue;
            }
            kept.push(item.clone());
        }
        dropped.then_some(kept)
    }

    /// Merges the constraints each term has in a conjunction.
    fn merge_ranges(&mut self, items: &[Expr], ctx: Context, span: Span) -> Option<Vec<Expr>> {
        let groups = group_by_term(items, |item| ranges::constraint_of(item).map(|(t, _)| t));
        let mut replaced: Vec<Option<Vec<Expr>>> = vec![None; items.len()];
        let mut any = false;
        for (_, members) in groups.iter().filter(|(_, m)| m.len() > 1) {
            let mut constraints = Vec::new();
            let mut term = None;
            for &i in members {
                if let Some((t, c)) = ranges::constraint_of(&items[i]) {
                    term = Some(t.clone());
                    constraints.push(c);
                }
            }
            let Some(term) = term else { continue };
            let result = ranges::conjunction(&constraints);
            let group_text = members
                .iter()
                .map(|&i| self.text(&items[i]))
                .collect::<Vec<_>>()
                .join(" and ");
            let exprs = match result.merged {
                Merged::Empty => {
                    self.events.push(Event::Contradiction {
                        span: items[members[members.len() - 1]].span,
                        text: format!("`{group_text}`: no value satisfies all of these"),
                    });
                    if ctx == Context::Truth {
                        return Some(vec![boolean(false, span)]);
                    }
                    vec![in_list(&term, Vec::new(), false, span)]
                }
                Merged::Points(points) => {
                    if points.len() == 1 {
                        vec![compare(CmpOp::Eq, &term, points[0].clone(), span)]
                    } else {
                        vec![in_list(&term, points, false, span)]
                    }
                }
                Merged::Interval {
                    lower,
                    upper,
                    excluded,
                } => {
                    let mut out = Vec::new();
                    match (&lower, &upper) {
                        (Some((lo, ..)), Some((hi, ..)))
                            if lo == hi && matches!(constraints[*lo], Constraint::Range(..)) =>
                        {
                            out.push(items[members[*lo]].clone());
                        }
                        _ => {
                            for (bound, is_lower) in [(&lower, true), (&upper, false)] {
                                let Some((origin, value, inclusive)) = bound else {
                                    continue;
                                };
                                let source = &items[members[*origin]];
                                if matches!(constraints[*origin], Constraint::Range(..)) {
                                    let op = match (is_lower, inclusive) {
                                        (true, true) => CmpOp::Ge,
                                        (true, false) => CmpOp::Gt,
                                        (false, true) => CmpOp::Le,
                                        (false, false) => CmpOp::Lt,
                                    };
                                    out.push(compare(op, &term, value.clone(), source.span));
                                } else {
                                    out.push(source.clone());
                                }
                            }
                        }
                    }
                    for value in excluded {
                        out.push(compare(CmpOp::Ne, &term, value, span));
                    }
                    out
                }
            };
            // The merged bounds are printed once for every redundant member,
            // not once each: thousands of `x != c` may be redundant at once.
            let mut because = None;
            for &r in &result.redundant {
                if let Some(&i) = members.get(r) {
                    let because = because.get_or_insert_with(|| {
                        exprs
                            .iter()
                            .map(|x| self.text(x))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    });
                    self.events.push(Event::Redundant {
                        span: items[i].span,
                        text: self.text(&items[i]),
                        because: format!("`{because}` already implies it"),
                    });
                }
            }
            // Only a change in the written form counts as a rewrite.
            let unchanged = members.len() == exprs.len()
                && members
                    .iter()
                    .zip(&exprs)
                    .all(|(&i, x)| same_expr(&items[i], x));
            if !unchanged {
                any = true;
                replaced[members[0]] = Some(exprs);
                for &i in &members[1..] {
                    replaced[i] = Some(Vec::new());
                }
            }
        }
        if !any {
            return None;
        }
        let mut out = Vec::new();
        for (item, replacement) in items.iter().zip(replaced) {
            match replacement {
                Some(exprs) => out.extend(exprs),
                None => out.push(item.clone()),
            }
        }
        Some(out)
    }

    /// `x == a or x == b or x in [c]` becomes `x in [a, b, c]`.
    fn merge_alternatives(&mut self, items: &[Expr], span: Span) -> Option<Vec<Expr>> {
        let groups = group_by_term(items, |item| match ranges::constraint_of(item) {
            Some((term, Constraint::Equal(_) | Constraint::In(_))) => Some(term),
            _ => None,
        });
        let mut out: Vec<Option<Expr>> = items.iter().cloned().map(Some).collect();
        let mut any = false;
        for (term, members) in groups.into_iter().filter(|g| g.1.len() > 1) {
            any = true;
            let mut values = Vec::new();
            for &i in &members {
                match ranges::constraint_of(&items[i]) {
                    Some((_, Constraint::Equal(c))) => values.push(c),
                    Some((_, Constraint::In(listed))) => values.extend(listed),
                    _ => {}
                }
            }
            out[members[0]] = Some(in_list(term, ranges::dedup(&values), false, span));
            for &i in &members[1..] {
                out[i] = None;
            }
        }
        any.then(|| out.into_iter().flatten().collect())
    }

    /// `x > 3 or x <= 3` is true for every present `x`; where only truth
    /// matters those alternatives are `x is present` (the others stay).
    fn covering(&mut self, items: &[Expr], ctx: Context, span: Span) -> Option<Expr> {
        let groups = group_by_term(items, |item| ranges::constraint_of(item).map(|(t, _)| t));
        for (term, members) in groups.into_iter().filter(|g| g.1.len() > 1) {
            let constraints: Vec<Constraint> = members
                .iter()
                .filter_map(|&i| ranges::constraint_of(&items[i]).map(|(_, c)| c))
                .collect();
            if ranges::covers_everything(&constraints) {
                let text = members
                    .iter()
                    .map(|&i| self.text(&items[i]))
                    .collect::<Vec<_>>()
                    .join(" or ");
                self.events.push(Event::AlwaysTrue {
                    span: items[members[0]].span,
                    text: format!("`{text}` holds for every present `{}`", self.text(term)),
                });
                if ctx == Context::Truth {
                    let present = Expr {
                        kind: ExprKind::IsMissing {
                            expr: Box::new(term.clone()),
                            negated: true,
                        },
                        ty: Type::Bool,
                        span,
                    };
                    let mut rest: Vec<Expr> = vec![present];
                    rest.extend(
                        items
                            .iter()
                            .enumerate()
                            // Members are in ascending order.
                            .filter(|(i, _)| members.binary_search(i).is_err())
                            .map(|(_, item)| item.clone()),
                    );
                    return Some(join(false, rest, span));
                }
            }
        }
        None
    }
}

/// The elements of a list constant as expressions of the element type.
fn list_constants(param: &Expr, element: Option<&Type>) -> Option<Vec<Expr>> {
    let ExprKind::Const(value) = &param.kind else {
        return None;
    };
    let span = param.span;
    Some(match (value, element?) {
        (Const::ListString(items), Type::String) => items
            .iter()
            .map(|s| constant(Const::String(s.clone()), Type::String, span))
            .collect(),
        (Const::ListInt(items), Type::Int) => items
            .iter()
            .map(|v| constant(Const::Int(*v), Type::Int, span))
            .collect(),
        _ => return None,
    })
}

/// `[3, 1, 2, 4]` is `between 1 and 4` (three or more ints, no gaps).
fn contiguous_ints(values: &[Const]) -> Option<(i64, i64)> {
    if values.len() < 3 {
        return None;
    }
    let mut ints: Vec<i64> = values
        .iter()
        .map(|v| match v {
            Const::Int(i) => Some(*i),
            _ => None,
        })
        .collect::<Option<_>>()?;
    ints.sort_unstable();
    let (first, last) = (*ints.first()?, *ints.last()?);
    let span = last.checked_sub(first)?;
    (span == i64::try_from(ints.len()).ok()? - 1).then_some((first, last))
}

/// Whether `x op c` holds for no value of `range` (the first answer) or for
/// every value of it (the second).
fn decided_by_range(op: CmpOp, c: i64, range: seg_ir::IntRange) -> (bool, bool) {
    let (min, max) = (range.min, range.max);
    match op {
        CmpOp::Lt => (c <= min, max < c),
        CmpOp::Le => (c < min, max <= c),
        CmpOp::Gt => (max <= c, c < min),
        CmpOp::Ge => (max < c, c <= min),
        CmpOp::Eq => (c < min || max < c, min == max && c == min),
        CmpOp::Ne => (min == max && c == min, c < min || max < c),
    }
}
