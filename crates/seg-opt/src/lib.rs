//! The Seg optimizer: rewrites a checked [`Program`] into an equivalent one
//! that is cheaper to evaluate, records every rewrite for `seg explain`, and
//! reports static findings (W03xx) for `seg check`.
//!
//! Equivalence is exact: for every batch, `as_of` and the param values the
//! program was optimized with, the optimized program gives every reported
//! segment the same membership as the original (a property test checks this
//! against the reference evaluator). Rules respect Kleene logic: `x or not x`
//! stays as it is, because it is unknown for a missing `x`. Constant folding
//! goes through [`seg_eval::fold_constant`], so folding cannot disagree with
//! execution.
//!
//! ```
//! # fn demo(program: &seg_ir::Program) {
//! let options = seg_opt::Options {
//!     params: Some(seg_opt::param_values(program, &[])),
//!     as_of: Some(1_795_478_400_000_000),
//!     share: true,
//! };
//! let optimized = seg_opt::optimize(program, &options);
//! for rewrite in &optimized.trace {
//!     println!("{}: {} => {}", rewrite.rule.name(), rewrite.before, rewrite.after);
//! }
//! # }
//! ```

mod findings;
mod ranges;
mod rewrite;
mod share;
mod trap;

pub use findings::findings;

use rewrite::{Context, Event, Rewriter};
use seg_ir::{Const, Expr, ExprKind, Program, SegmentId, Type};

/// Passes over the whole program before the optimizer stops, changed or not.
/// Each pass applies every rule once bottom-up; real programs settle in two or
/// three.
pub const MAX_PASSES: usize = 8;

/// The rewrite rules, named for `seg explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A param replaced by its value.
    InlineParam,
    /// A subexpression reading no profile, computed once.
    FoldConstant,
    /// `now`, `today`, `N days ago` or `within` fixed for the run's `as_of`.
    FoldRelativeTime,
    /// A reference to a segment that matches no profile (or every profile).
    KnownSegment,
    /// `not not x` is `x`.
    DoubleNegation,
    /// `not` moved into the predicate it negates (De Morgan for `and`/`or`).
    PushNot,
    /// A constant moved to the right of a comparison.
    ConstantRight,
    /// A comparison with a constant outside the range the language gives
    /// the value (`count(orders) < 0`, `month(t) == 13`), decided.
    OutOfRange,
    /// Repeated `in`-list values removed.
    DedupList,
    /// A one-value list became a comparison.
    ListToComparison,
    /// A list of consecutive ints became `between`.
    ListToRange,
    /// `x in []` (never true).
    EmptyList,
    /// `count(L where false)` is 0, `any(L where false)` false.
    EmptyFilter,
    /// `between` with its bounds the wrong way round.
    EmptyRange,
    /// Nested `and`s (or `or`s) joined into one.
    Flatten,
    /// `false` in an `and`, or `true` in an `or`, decides it.
    ShortCircuit,
    /// `true` in an `and`, or `false` in an `or`, removed.
    DropNeutral,
    /// An operand written twice, removed.
    DuplicateOperand,
    /// `a or (a and b)` is `a`; `a and (a or b)` is `a`.
    Absorb,
    /// `x is missing or x is present` is true; with `and`, false.
    ExcludedMiddle,
    /// `x is missing and x > 3` can never be true.
    MissingContradiction,
    /// `x is present` next to a predicate that needs `x` anyway.
    DropImpliedPresence,
    /// Bounds on one term merged into the tightest ones.
    MergeRanges,
    /// `x == a or x == b` became `x in [a, b]`.
    EqualitiesToList,
    /// `x > 3 or x <= 3` is `x is present` where only truth matters.
    AlwaysTrueWhenPresent,
    /// Operands ordered cheapest first, for short-circuiting.
    OrderByCost,
    /// An `exclude` that is never true, removed.
    DropExclude,
    /// An `exclude` true wherever `where` is: the segment has no member.
    ExcludeCoversWhere,
    /// A subexpression several segments share, computed once as a hidden segment.
    ShareSubexpression,
    /// A subexpression equal to another segment's condition, replaced by a reference.
    ReuseSegment,
}

impl Rule {
    /// The rule's name, as `seg explain` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::InlineParam => "inline-param",
            Rule::FoldConstant => "fold-constant",
            Rule::FoldRelativeTime => "fold-relative-time",
            Rule::KnownSegment => "known-segment",
            Rule::DoubleNegation => "double-negation",
            Rule::PushNot => "push-not",
            Rule::ConstantRight => "constant-right",
            Rule::OutOfRange => "out-of-range",
            Rule::DedupList => "dedup-list",
            Rule::ListToComparison => "list-to-comparison",
            Rule::ListToRange => "list-to-range",
            Rule::EmptyList => "empty-list",
            Rule::EmptyFilter => "empty-filter",
            Rule::EmptyRange => "empty-range",
            Rule::Flatten => "flatten",
            Rule::ShortCircuit => "short-circuit",
            Rule::DropNeutral => "drop-neutral",
            Rule::DuplicateOperand => "duplicate-operand",
            Rule::Absorb => "absorb",
            Rule::ExcludedMiddle => "excluded-middle",
            Rule::MissingContradiction => "missing-contradiction",
            Rule::DropImpliedPresence => "drop-implied-presence",
            Rule::MergeRanges => "merge-ranges",
            Rule::EqualitiesToList => "equalities-to-list",
            Rule::AlwaysTrueWhenPresent => "always-true-when-present",
            Rule::OrderByCost => "order-by-cost",
            Rule::DropExclude => "drop-exclude",
            Rule::ExcludeCoversWhere => "exclude-covers-where",
            Rule::ShareSubexpression => "share-subexpression",
            Rule::ReuseSegment => "reuse-segment",
        }
    }

    /// Why the rewrite keeps the meaning, in one sentence.
    pub fn why(self) -> &'static str {
        match self {
            Rule::InlineParam => "the param has this value for the run",
            Rule::FoldConstant => "it reads no profile, so the evaluator computed it once",
            Rule::FoldRelativeTime => "the run's as_of fixes the instant",
            Rule::KnownSegment => {
                "the referenced segment has the same membership for every profile"
            }
            Rule::DoubleNegation => "two negations cancel, also for unknown values",
            Rule::PushNot => {
                "the negated predicate is unknown exactly when the original is (De Morgan holds in three-valued logic)"
            }
            Rule::ConstantRight => "the comparison is the same read the other way round",
            Rule::OutOfRange => {
                "the value never leaves the range the language gives it: a count is never negative, a month is 1 to 12"
            }
            Rule::DedupList => "a value listed twice matches once",
            Rule::ListToComparison => "a one-value list is an equality",
            Rule::ListToRange => "the listed ints have no gaps",
            Rule::EmptyList => "an empty list is never true, so the condition cannot hold",
            Rule::EmptyFilter => {
                "no record passes a false filter, so the aggregate is over no record"
            }
            Rule::EmptyRange => "no value lies between bounds the wrong way round",
            Rule::Flatten => "and/or are associative",
            Rule::ShortCircuit => "false decides an and; true decides an or",
            Rule::DropNeutral => "true does not change an and; false does not change an or",
            Rule::DuplicateOperand => "x and x is x, also for unknown x",
            Rule::Absorb => "absorption holds in three-valued logic",
            Rule::ExcludedMiddle => "presence tests are never unknown, so one of the two holds",
            Rule::MissingContradiction => {
                "a predicate on a missing value is unknown, so both cannot be true"
            }
            Rule::DropImpliedPresence => {
                "the other predicate can only be true when the value is present"
            }
            Rule::MergeRanges => {
                "each bound is unknown exactly when the term is missing, so only the tightest matter"
            }
            Rule::EqualitiesToList => "several equalities on one term are one membership test",
            Rule::AlwaysTrueWhenPresent => {
                "the alternatives cover every value; only a missing value fails"
            }
            Rule::OrderByCost => {
                "and/or are commutative; cheap operands first let a back end skip the rest"
            }
            Rule::DropExclude => "an exclude that is never true removes no profile",
            Rule::ExcludeCoversWhere => {
                "every profile the where selects is excluded, so none is a member"
            }
            Rule::ShareSubexpression => {
                "only its truth matters where it is used, and a membership keeps exactly that"
            }
            Rule::ReuseSegment => {
                "the segment has no exclude, so its membership is exactly when this is true"
            }
        }
    }
}

/// One rewrite, for `seg explain`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Rewrite {
    /// The segment it happened in.
    pub segment: String,
    /// The rule applied.
    pub rule: Rule,
    /// The subexpression before, as Seg text.
    pub before: String,
    /// The subexpression after.
    pub after: String,
}

/// What the optimizer may assume.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Every param's value (see [`param_values`]), to inline; `None` keeps
    /// params symbolic (a program then stays valid for any override).
    pub params: Option<Vec<Const>>,
    /// The run's instant (microseconds since the epoch), to fold relative
    /// time; `None` keeps `now`, `today` and `ago` symbolic.
    pub as_of: Option<i64>,
    /// Compute subexpressions several segments share once, as hidden segments.
    pub share: bool,
}

/// An optimized program.
#[derive(Clone, Debug)]
pub struct Optimized {
    /// The rewritten program. It may hold hidden segments (shared
    /// subexpressions) after the original ones; report only [`Optimized::reported`].
    pub program: Program,
    /// The original segments, which keep their ids.
    pub reported: Vec<SegmentId>,
    /// Every rewrite, in the order applied.
    pub trace: Vec<Rewrite>,
    /// Passes run before nothing changed (at most [`MAX_PASSES`]).
    pub passes: usize,
}

/// Every param's value with overrides applied (the one definition lives in
/// `seg-ir`).
pub use seg_ir::param_values;

/// Optimizes a checked program.
pub fn optimize(program: &Program, options: &Options) -> Optimized {
    let (mut out, mut trace, passes, _) = simplify(program, options);
    if options.share {
        share::share(program, &mut out, &mut trace);
    }
    let reported = (0..program.segments.len())
        .map(|i| SegmentId(u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    Optimized {
        program: out,
        reported,
        trace,
        passes,
    }
}

fn is_bool(e: &Expr, value: bool) -> bool {
    matches!(e.kind, ExprKind::Const(Const::Bool(v)) if v == value)
}

/// Rewrites every segment to a bounded fixpoint; returns the program, the
/// trace, the passes run and what each segment's rewrites learned.
fn simplify(
    program: &Program,
    options: &Options,
) -> (Program, Vec<Rewrite>, usize, Vec<Vec<Event>>) {
    let mut out = program.clone();
    let order = program.evaluation_order();
    let mut rewriter = Rewriter {
        program,
        inline: options.params.as_deref(),
        param_values: options
            .params
            .clone()
            .unwrap_or_else(|| param_values(program, &[])),
        as_of: options.as_of,
        known: vec![None; program.segments.len()],
        segment: String::new(),
        trace: Vec::new(),
        events: Vec::new(),
        changed: false,
        record: None,
    };
    let mut events: Vec<Vec<Event>> = vec![Vec::new(); program.segments.len()];
    let mut passes = 0;
    while passes < MAX_PASSES {
        passes += 1;
        rewriter.changed = false;
        for &id in &order {
            let index = id.0 as usize;
            let segment = &mut out.segments[index];
            rewriter.segment.clone_from(&segment.name);
            let where_ = std::mem::replace(&mut segment.where_, placeholder());
            segment.where_ = rewriter.expr(where_, Context::Truth);
            if let Some(exclude) = segment.exclude.take() {
                let exclude = rewriter.expr(exclude, Context::Truth);
                if is_bool(&exclude, false) {
                    rewriter.trace.push(Rewrite {
                        segment: segment.name.clone(),
                        rule: Rule::DropExclude,
                        before: format!("exclude {}", seg_ir::expr_text(program, &exclude)),
                        after: "no exclude".into(),
                    });
                    rewriter.changed = true;
                } else {
                    segment.exclude = Some(exclude);
                }
            }
            // Every profile `where` selects is excluded: no member at all.
            if let Some(exclude) = &segment.exclude
                && !is_bool(&segment.where_, false)
                && !is_bool(exclude, true)
                && findings::implies(program, &segment.where_, exclude, 0)
            {
                rewriter.trace.push(Rewrite {
                    segment: segment.name.clone(),
                    rule: Rule::ExcludeCoversWhere,
                    before: format!(
                        "where {} exclude {}",
                        seg_ir::expr_text(program, &segment.where_),
                        seg_ir::expr_text(program, exclude)
                    ),
                    after: "where false".into(),
                });
                rewriter.changed = true;
                segment.where_ = placeholder();
                segment.exclude = None;
            }
            let excluded_all = segment.exclude.as_ref().is_some_and(|x| is_bool(x, true));
            rewriter.known[index] = if is_bool(&segment.where_, false) || excluded_all {
                Some(false)
            } else if is_bool(&segment.where_, true) && segment.exclude.is_none() {
                Some(true)
            } else {
                None
            };
            events[index].append(&mut rewriter.events);
        }
        if !rewriter.changed {
            break;
        }
    }
    (out, rewriter.trace, passes, events)
}

fn placeholder() -> Expr {
    Expr {
        kind: ExprKind::Const(Const::Bool(false)),
        ty: Type::Bool,
        span: seg_diagnostics::Span::default(),
    }
}
