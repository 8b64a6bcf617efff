//! Lowering of the typed IR into a kernel plan: a tree of word-level boolean
//! nodes (pairs of 64-row masks) whose leaves are row loops over raw column
//! buffers, dictionary gathers, or bitmaps prepared at batch level.
//!
//! Every constant subexpression is folded through `seg_eval::fold_constant`,
//! so folding cannot disagree with the reference evaluator. Anything the
//! kernel cannot compute natively becomes a batch-level leaf: a dedicated
//! helper when one exists, otherwise the reference evaluator itself (recorded
//! as a [`crate::Fallback`]).

use crate::Fallback;
use crate::history::AggOut;
use arrow::datatypes::{DataType, Schema as ArrowSchema, TimeUnit as ArrowTimeUnit};
use seg_eval::Binding;
use seg_eval::num;
use seg_ir::{
    AggFunc, ArithOp, CmpOp, Const, Duration, Expr, ExprKind, FieldId, Func, ListQuantifier,
    Program, SegmentId, StrOp, Type, Zone,
};
use std::collections::HashMap;

/// How a row loop reads one physical column as its schema type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// An integer of `bytes` width, sign- or zero-extended to i64.
    Int { bytes: u8, signed: bool },
    /// An integer read as the nearest f64 (`unsigned` 64-bit included).
    IntAsFloat { bytes: u8, signed: bool },
    /// Float32 widened exactly to f64.
    F32,
    /// Float64.
    F64,
    /// Decimal128 with a non-negative scale.
    Dec,
    /// Date32 days.
    Date32,
    /// Date64 milliseconds, floored to days (missing outside i32).
    Date64,
    /// A timestamp in the given unit, converted to microseconds.
    Ts(ArrowTimeUnit),
}

impl Read {
    /// Bytes per value in the values buffer.
    pub(crate) fn width(self) -> u8 {
        match self {
            Read::Int { bytes, .. } | Read::IntAsFloat { bytes, .. } => bytes,
            Read::F32 | Read::Date32 => 4,
            Read::F64 | Read::Date64 | Read::Ts(_) => 8,
            Read::Dec => 16,
        }
    }
}

/// Batch-level value columns computed by dedicated helpers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Derive {
    /// Decimal to the correctly rounded f64 (`seg_ir::decimal_to_f64`).
    DecimalToFloat,
    /// `length(s)`: Unicode scalar values.
    Length,
    /// `size(l)`: elements, missing ones included.
    Size,
    /// `year(t)`, on the calendar of the zone (§7.3).
    Year(Zone),
    /// `month(t)`, on the calendar of the zone.
    Month(Zone),
    /// `day(t)`, on the calendar of the zone.
    Day(Zone),
    /// `bucket(salt, key)` of an int or string key column:
    /// [`seg_eval::bucket::bucket_column`], once per batch, so that the
    /// kernel compares the buckets natively and calls no Rust per row.
    Bucket(std::sync::Arc<str>),
}

/// A string predicate a dedicated helper evaluates (over dictionary values or
/// plain string rows).
#[derive(Clone, Debug)]
pub(crate) enum StrFn {
    /// `s <op> "x"`.
    Cmp(CmpOp, String),
    /// `s in [..]` (or `not in`): the listed strings.
    In(seg_eval::rules::KeySet, bool),
    /// `contains`, `starts with`, `ends with`, possibly negated.
    Pred(StrOp, String, bool),
    /// `matches`, possibly negated.
    Regex(std::sync::Arc<seg_ir::pattern::Pattern>, bool),
    /// `is missing` (or `is present` when negated).
    IsMissing(bool),
    /// A predicate of the string after string functions.
    Map(Vec<Transform>, Box<StrFn>),
}

/// A string function applied before a [`StrFn`].
#[derive(Clone, Debug)]
pub(crate) enum Transform {
    /// `lower(s)`: [`seg_eval::rules::lower`].
    Lower,
    /// `upper(s)`: [`seg_eval::rules::upper`].
    Upper,
    /// `coalesce(s, "x")`: [`seg_eval::rules::coalesce`] with a constant.
    Default(String),
}

impl StrFn {
    /// The three-valued result for one string (`None` is a missing string):
    /// each predicate and string function is the evaluator's own rule from
    /// [`seg_eval::rules`], so this per-row path cannot drift from the oracle.
    pub(crate) fn apply(&self, s: Option<&str>) -> Option<bool> {
        use seg_eval::rules;
        use std::borrow::Cow;
        if let StrFn::Map(chain, inner) = self {
            let mut value = s.map(Cow::Borrowed);
            for t in chain {
                value = match (t, value) {
                    (Transform::Lower, v) => v.map(|v| Cow::Owned(rules::lower(&v))),
                    (Transform::Upper, v) => v.map(|v| Cow::Owned(rules::upper(&v))),
                    (Transform::Default(d), v) => {
                        rules::coalesce([v, Some(Cow::Borrowed(d.as_str()))])
                    }
                };
            }
            return inner.apply(value.as_deref());
        }
        if let StrFn::IsMissing(negated) = self {
            return Some(s.is_none() != *negated);
        }
        let s = s?;
        Some(match self {
            StrFn::Cmp(op, x) => op.holds(rules::compare(s, x)),
            StrFn::In(set, negated) => rules::KeySet::holds(set.contains_str(s), *negated),
            StrFn::Pred(op, x, negated) => rules::text_predicate(*op, s, x) != *negated,
            StrFn::Regex(re, negated) => rules::matches(re, s) != *negated,
            StrFn::IsMissing(_) | StrFn::Map(..) => false,
        })
    }
}

/// A wanted value of list membership: the evaluator's own key, so that the
/// JIT's list helpers compare exactly what [`seg_eval::rules::list_contains`]
/// compares (the planner only makes string and integer keys).
pub(crate) use seg_eval::rules::Key as ListKey;

/// How a batch-level boolean leaf is computed.
#[derive(Clone, Debug)]
pub(crate) enum LeafEval {
    /// A dedicated string helper.
    Str(StrFn),
    /// A dedicated list-membership helper.
    List(ListQuantifier, Vec<ListKey>),
    /// The reference evaluator on the synthetic program's segment.
    Reference(SegmentId),
}

/// An input of the kernel: what one group of slots holds for a batch.
#[derive(Clone, Debug)]
pub(crate) enum Input {
    /// A primitive column: slots `[values, validity words]`.
    Prim { col: usize, read: Read },
    /// A Boolean column: slots `[value words, validity words]`.
    Bool { col: usize },
    /// A dictionary string column and a leaf evaluated over its values:
    /// slots `[keys, key validity words, table, table length, vector table
    /// (or 0), missing-true mask, missing-false mask]` (see `crate::batch`).
    Dict {
        col: usize,
        key_bytes: u8,
        key_signed: bool,
        leaf: LeafEval,
    },
    /// A leaf computed at batch level: slots `[true words, false words]`.
    Words { col: Option<usize>, leaf: LeafEval },
    /// A derived value column: slots `[values, validity words]`.
    Derived { col: usize, derive: Derive },
    /// Only the validity of a column: slots `[validity words, validity words]`.
    Nulls { col: usize },
    /// An aggregate over the history in `col` ([`Plan::aggs`]`[agg]`,
    /// computed by `crate::history`): slots `[values, validity words]`, or
    /// `[true words, false words]` for `any`.
    Agg { col: usize, agg: usize },
}

/// Slots of an [`Input::Dict`].
pub(crate) const DICT_SLOTS: usize = 7;

/// Dictionaries of at most this many values also get a vector table: the
/// kernel gathers 16 rows at a time with byte shuffles over it.
pub(crate) const VECTOR_TABLE: usize = 64;

impl StrFn {
    /// A text equal for two predicates exactly when they are the same
    /// predicate: list members in order, patterns by their compiled copy
    /// (the program's pattern cache gives one per pattern text).
    pub(crate) fn key(&self) -> String {
        match self {
            StrFn::In(set, negated) => {
                let mut members: Vec<&str> = set.strings().collect();
                members.sort();
                format!("In({members:?}, {negated})")
            }
            StrFn::Regex(pattern, negated) => {
                format!("Regex({:p}, {negated})", std::sync::Arc::as_ptr(pattern))
            }
            StrFn::Map(chain, inner) => format!("Map({chain:?}, {})", inner.key()),
            other => format!("{other:?}"),
        }
    }
}

impl Input {
    /// A text equal for two inputs that prepare the same slots from the same
    /// column; `None` for inputs never shared this way (primitive columns
    /// are shared by [`Lowerer::prim`], reference leaves are each their own
    /// segment).
    fn key(&self) -> Option<String> {
        Some(match self {
            Input::Dict {
                col,
                leaf: LeafEval::Str(f),
                ..
            } => format!("dict {col} {}", f.key()),
            Input::Words {
                col: Some(col),
                leaf: LeafEval::Str(f),
            } => format!("str {col} {}", f.key()),
            Input::Words {
                col: Some(col),
                leaf: LeafEval::List(q, keys),
            } => format!("list {col} {q:?} {keys:?}"),
            Input::Bool { col } => format!("bool {col}"),
            Input::Nulls { col } => format!("nulls {col}"),
            Input::Derived { col, derive } => format!("derived {col} {derive:?}"),
            _ => return None,
        })
    }

    /// Slots this input occupies.
    pub(crate) fn slot_count(&self) -> usize {
        match self {
            Input::Dict { .. } => DICT_SLOTS,
            _ => 2,
        }
    }
}

/// The row-level value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VTy {
    /// i64 (ints, dates as days, timestamps as microseconds).
    I64,
    /// f64, never NaN when present.
    F64,
    /// i128 unscaled decimal of the given scale.
    Dec(u32),
}

/// A per-row value expression.
#[derive(Clone, Debug)]
pub(crate) enum VNode {
    /// A constant that is missing on every row.
    Missing(VTy),
    /// An i64 constant.
    I64(i64),
    /// An f64 constant (never NaN).
    F64(f64),
    /// A decimal constant at a scale.
    Dec(i128, u32),
    /// A column read.
    Col { input: usize, read: Read },
    /// A derived column (`float` tells its element type).
    Derived { input: usize, float: bool },
    /// A derived column of unscaled decimals (16 bytes a row) at a scale:
    /// an aggregate's `sum`, `min` or `max` of a decimal record field.
    DerivedDec { input: usize, scale: u32 },
    /// Checked integer arithmetic (`+ - * %`).
    IntArith(ArithOp, Box<VNode>, Box<VNode>),
    /// Float arithmetic (`+ - * /`), NaN and division by zero missing.
    FloatArith(ArithOp, Box<VNode>, Box<VNode>),
    /// Checked integer negation.
    IntNeg(Box<VNode>),
    /// Float negation.
    FloatNeg(Box<VNode>),
    /// Checked integer absolute value.
    IntAbs(Box<VNode>),
    /// Float absolute value.
    FloatAbs(Box<VNode>),
    /// First present operand.
    Coalesce(VTy, Vec<VNode>),
    /// A decimal times `10^by` (missing on overflow).
    DecRescale(Box<VNode>, u32),
    /// A negative-scale decimal column's raw value times `10^by`, at scale 0
    /// (missing on overflow).
    DecUnscale(Box<VNode>, u32),
    /// Checked decimal `+` or `-` of two operands of one scale.
    DecArith(ArithOp, Box<VNode>, Box<VNode>),
    /// Checked decimal `*` (the result's scale is the sum of the scales).
    DecMul(Box<VNode>, Box<VNode>),
    /// Checked decimal negation.
    DecNeg(Box<VNode>),
    /// Checked decimal absolute value.
    DecAbs(Box<VNode>),
    /// Int to the nearest f64.
    IntToFloat(Box<VNode>),
    /// Int to a decimal of scale 0 (exact, as i128).
    IntToDec(Box<VNode>),
    /// Days to microseconds (missing on overflow).
    DateToTs(Box<VNode>),
    /// Whole days from a timestamp to `as_of`, floored.
    DaysSinceTs(i64, Box<VNode>),
    /// `today - d`.
    DaysSinceDate(i64, Box<VNode>),
}

impl VNode {
    pub(crate) fn ty(&self) -> VTy {
        match self {
            VNode::Missing(t) | VNode::Coalesce(t, _) => *t,
            VNode::I64(_)
            | VNode::IntArith(..)
            | VNode::IntNeg(_)
            | VNode::IntAbs(_)
            | VNode::DateToTs(_)
            | VNode::DaysSinceTs(..)
            | VNode::DaysSinceDate(..) => VTy::I64,
            VNode::F64(_)
            | VNode::FloatArith(..)
            | VNode::FloatNeg(_)
            | VNode::FloatAbs(_)
            | VNode::IntToFloat(_) => VTy::F64,
            VNode::Dec(_, s) | VNode::DerivedDec { scale: s, .. } => VTy::Dec(*s),
            VNode::IntToDec(_)
            | VNode::DecRescale(..)
            | VNode::DecUnscale(..)
            | VNode::DecArith(..)
            | VNode::DecMul(..)
            | VNode::DecNeg(_)
            | VNode::DecAbs(_) => VTy::Dec(0),
            VNode::Derived { float, .. } => {
                if *float {
                    VTy::F64
                } else {
                    VTy::I64
                }
            }
            VNode::Col { input: _, read } => match read {
                Read::Int { .. } | Read::Date32 | Read::Date64 | Read::Ts(_) => VTy::I64,
                Read::IntAsFloat { .. } | Read::F32 | Read::F64 => VTy::F64,
                // The scale is carried by the comparison that reads it.
                Read::Dec => VTy::Dec(0),
            },
        }
    }

    /// True for constants (missing ones included).
    pub(crate) fn is_constant(&self) -> bool {
        matches!(
            self,
            VNode::Missing(_) | VNode::I64(_) | VNode::F64(_) | VNode::Dec(..)
        )
    }

    /// Inputs read by this value, for loading their pointers once per word.
    pub(crate) fn inputs(&self, out: &mut Vec<usize>) {
        match self {
            VNode::Col { input, .. }
            | VNode::Derived { input, .. }
            | VNode::DerivedDec { input, .. } => out.push(*input),
            VNode::IntArith(_, a, b)
            | VNode::FloatArith(_, a, b)
            | VNode::DecArith(_, a, b)
            | VNode::DecMul(a, b) => {
                a.inputs(out);
                b.inputs(out);
            }
            VNode::IntNeg(a)
            | VNode::FloatNeg(a)
            | VNode::IntAbs(a)
            | VNode::FloatAbs(a)
            | VNode::IntToFloat(a)
            | VNode::IntToDec(a)
            | VNode::DecRescale(a, _)
            | VNode::DecUnscale(a, _)
            | VNode::DecNeg(a)
            | VNode::DecAbs(a)
            | VNode::DateToTs(a)
            | VNode::DaysSinceTs(_, a)
            | VNode::DaysSinceDate(_, a) => a.inputs(out),
            VNode::Coalesce(_, items) => items.iter().for_each(|i| i.inputs(out)),
            VNode::Missing(_) | VNode::I64(_) | VNode::F64(_) | VNode::Dec(..) => {}
        }
    }
}

/// A predicate evaluated row by row inside one loop per 64-row word.
#[derive(Clone, Debug)]
pub(crate) enum RowPred {
    /// `a <op> b` on values of one type.
    Cmp(CmpOp, VNode, VNode),
    /// `x between lo and hi` (Kleene `x >= lo and x <= hi`), maybe negated.
    Between(VNode, VNode, VNode, bool),
    /// `x in [..]` over constants of x's type, maybe negated.
    InList(VNode, Vec<VNode>, bool),
    /// `x is missing`, or `is present` when negated.
    IsMissing(VNode, bool),
    /// A constant result for every row where `x` is present.
    PresentIs(VNode, bool),
    /// `l <op> h` for decimals where `l`'s scale is `k` digits below `h`'s:
    /// `l × 10^k <op> h`, or, when that overflows, `l <op> 0` (its magnitude
    /// decides, as `num::cmp_decimal`).
    DecScaled(CmpOp, VNode, u32, VNode),
}

impl RowPred {
    pub(crate) fn inputs(&self) -> Vec<usize> {
        let mut out = Vec::new();
        match self {
            RowPred::Cmp(_, a, b) => {
                a.inputs(&mut out);
                b.inputs(&mut out);
            }
            RowPred::Between(x, lo, hi, _) => {
                x.inputs(&mut out);
                lo.inputs(&mut out);
                hi.inputs(&mut out);
            }
            RowPred::InList(x, _, _) | RowPred::IsMissing(x, _) | RowPred::PresentIs(x, _) => {
                x.inputs(&mut out)
            }
            RowPred::DecScaled(_, l, _, h) => {
                l.inputs(&mut out);
                h.inputs(&mut out);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A word-level boolean node: it yields a (true, false) pair of 64-row masks.
#[derive(Clone, Debug)]
pub(crate) enum BNode {
    /// The same value on every row: (true, false) flags (neither: unknown).
    Const(bool, bool),
    /// Membership of a segment computed earlier in the same word.
    Seg(SegmentId),
    /// A Boolean column.
    BoolCol(usize),
    /// Kleene negation.
    Not(Box<BNode>),
    /// Kleene conjunction.
    And(Vec<BNode>),
    /// Kleene disjunction.
    Or(Vec<BNode>),
    /// Comparison of two booleans (false < true).
    Cmp(CmpOp, Box<BNode>, Box<BNode>),
    /// `b is missing` (negated: present).
    IsMissing(Box<BNode>, bool),
    /// First known operand.
    Coalesce(Vec<BNode>),
    /// `b in [..]`: whether `true` and `false` are listed, and `not in`.
    InList(Box<BNode>, bool, bool, bool),
    /// A row loop.
    Rows(RowPred),
    /// A dictionary gather (the input is an [`Input::Dict`]).
    Table(usize),
    /// Precomputed masks (the input is an [`Input::Words`]).
    Words(usize),
    /// `x is missing` from a column's validity alone (the input is an
    /// [`Input::Nulls`]); `is present` when negated.
    Valid(usize, bool),
}

impl BNode {
    /// A rough cost, to decide where short-circuiting pays.
    pub(crate) fn costly(&self) -> bool {
        match self {
            BNode::Const(..)
            | BNode::Seg(_)
            | BNode::BoolCol(_)
            | BNode::Words(_)
            | BNode::Valid(..) => false,
            BNode::Not(x) | BNode::IsMissing(x, _) | BNode::InList(x, ..) => x.costly(),
            BNode::Cmp(_, a, b) => a.costly() || b.costly(),
            BNode::And(xs) | BNode::Or(xs) | BNode::Coalesce(xs) => xs.iter().any(BNode::costly),
            BNode::Rows(_) | BNode::Table(_) => true,
        }
    }
}

/// One segment's plan.
#[derive(Clone, Debug)]
pub(crate) struct SegPlan {
    pub id: SegmentId,
    pub where_: BNode,
    pub exclude: Option<BNode>,
}

/// The kernel plan of a program.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// Segments in evaluation order.
    pub segments: Vec<SegPlan>,
    /// Kernel inputs; their slots are laid out in this order.
    pub inputs: Vec<Input>,
    /// The synthetic program the reference leaves run in: the original
    /// program, keys cleared, with one extra segment per reference leaf.
    pub synthetic: Program,
    /// Leaves that use the reference evaluator on whole batches.
    pub fallbacks: Vec<Fallback>,
    /// Per input: whether the kernel asks for its words one word at a time
    /// (see [`lazy_inputs`]) instead of reading words prepared per batch.
    pub lazy: Vec<bool>,
    /// The compiled `matches` patterns, shared by the helpers and the
    /// reference leaves of every batch.
    pub patterns: std::sync::Arc<seg_eval::PatternCache>,
    /// The bound batch column of each field the plan reads, with its type.
    pub columns: Vec<(usize, DataType)>,
    /// The aggregates over histories the inputs compute ([`Input::Agg`]).
    pub aggs: Vec<std::sync::Arc<crate::history::AggPlan>>,
}

/// The plain-string leaves computed on demand, one 64-row word at a time,
/// when the kernel reaches them: those that only ever appear as an operand
/// of an `and` of several operands. The kernel evaluates them last in their
/// junction and skips them on words the other operands already decide
/// false, so a selective segment reads few of the strings. A leaf that
/// stands alone, or in an `or` (whose other operands rarely decide a whole
/// word true), stays a batch-level pass, which is cheaper per row when most
/// words need it (measured: Q12 loses 5 % with `or` operands lazy; list
/// leaves, whose batch pass serves every list leaf of the column at once,
/// lost 60 % when lazy and stay batch-level).
fn lazy_inputs(inputs: &[Input], segments: &[SegPlan]) -> Vec<bool> {
    // 0: unused, 1: only inside junctions, 2: somewhere else too.
    fn visit(node: &BNode, in_junction: bool, state: &mut [u8]) {
        match node {
            BNode::Words(i) => {
                if let Some(s) = state.get_mut(*i) {
                    *s = if in_junction && *s != 2 { 1 } else { 2 };
                }
            }
            BNode::And(xs) => {
                let junction = xs.len() > 1;
                xs.iter().for_each(|x| visit(x, junction, state));
            }
            BNode::Or(xs) => xs.iter().for_each(|x| visit(x, false, state)),
            BNode::Not(x) | BNode::IsMissing(x, _) | BNode::InList(x, ..) => visit(x, false, state),
            BNode::Cmp(_, a, b) => {
                visit(a, false, state);
                visit(b, false, state);
            }
            BNode::Coalesce(xs) => xs.iter().for_each(|x| visit(x, false, state)),
            _ => {}
        }
    }
    let mut state = vec![0u8; inputs.len()];
    for seg in segments {
        visit(&seg.where_, false, &mut state);
        if let Some(x) = &seg.exclude {
            visit(x, false, &mut state);
        }
    }
    inputs
        .iter()
        .zip(state)
        .map(|(input, s)| {
            s == 1
                && matches!(
                    input,
                    Input::Words {
                        col: Some(_),
                        leaf: LeafEval::Str(_)
                    }
                )
        })
        .collect()
}

type Unsupported = String;

pub(crate) struct Lowerer<'a> {
    program: &'a Program,
    params: Vec<Const>,
    as_of: i64,
    schema: &'a ArrowSchema,
    binding: &'a Binding,
    inputs: Vec<Input>,
    prim_inputs: HashMap<(usize, u8), usize>,
    input_keys: HashMap<String, usize>,
    synthetic: Program,
    fallbacks: Vec<Fallback>,
    segment: SegmentId,
    columns: Vec<(usize, DataType)>,
    patterns: std::sync::Arc<seg_eval::PatternCache>,
    aggs: Vec<std::sync::Arc<crate::history::AggPlan>>,
}

fn int_read(dt: &DataType) -> Option<(u8, bool)> {
    Some(match dt {
        DataType::Int8 => (1, true),
        DataType::Int16 => (2, true),
        DataType::Int32 => (4, true),
        DataType::Int64 => (8, true),
        DataType::UInt8 => (1, false),
        DataType::UInt16 => (2, false),
        DataType::UInt32 => (4, false),
        DataType::UInt64 => (8, false),
        _ => return None,
    })
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

impl<'a> Lowerer<'a> {
    pub(crate) fn new(
        program: &'a Program,
        params: Vec<Const>,
        as_of: i64,
        schema: &'a ArrowSchema,
        binding: &'a Binding,
    ) -> Self {
        let mut synthetic = program.clone();
        for field in &mut synthetic.schema.fields {
            field.key = false;
        }
        synthetic.priorities.clear();
        synthetic.tests.clear();
        Lowerer {
            program,
            params,
            as_of,
            schema,
            binding,
            inputs: Vec::new(),
            prim_inputs: HashMap::new(),
            input_keys: HashMap::new(),
            synthetic,
            fallbacks: Vec::new(),
            segment: SegmentId(0),
            columns: Vec::new(),
            patterns: std::sync::Arc::default(),
            aggs: Vec::new(),
        }
    }

    pub(crate) fn finish(self, segments: Vec<SegPlan>) -> Plan {
        let lazy = lazy_inputs(&self.inputs, &segments);
        Plan {
            segments,
            lazy,
            inputs: self.inputs,
            synthetic: self.synthetic,
            fallbacks: self.fallbacks,
            patterns: self.patterns,
            columns: self.columns,
            aggs: self.aggs,
        }
    }

    pub(crate) fn segment(&mut self, id: SegmentId) -> SegPlan {
        self.segment = id;
        let segment = &self.program.segments[id.0 as usize];
        let where_ = self.boolean(&segment.where_);
        let exclude = segment.exclude.as_ref().map(|e| self.boolean(e));
        SegPlan {
            id,
            where_,
            exclude,
        }
    }

    fn fold(&self, e: &Expr) -> Result<Option<Const>, Unsupported> {
        seg_eval::fold_constant(self.program, &self.params, self.as_of, e)
    }

    /// The bound column of a field, remembered with its type for the batch check.
    fn column(&mut self, field: FieldId) -> Option<(usize, DataType)> {
        let col = self.binding.column(field)?;
        let dt = self.schema.fields().get(col)?.data_type().clone();
        if !self.columns.iter().any(|(c, _)| *c == col) {
            self.columns.push((col, dt.clone()));
        }
        Some((col, dt))
    }

    /// Adds an input, or returns the identical one added before: a leaf
    /// written in several segments is prepared once per batch.
    fn add_input(&mut self, input: Input) -> usize {
        let key = input.key();
        if let Some(&i) = key.as_ref().and_then(|k| self.input_keys.get(k)) {
            return i;
        }
        self.inputs.push(input);
        let i = self.inputs.len() - 1;
        if let Some(key) = key {
            self.input_keys.insert(key, i);
        }
        i
    }

    fn prim(&mut self, col: usize, read: Read) -> usize {
        let tag = match read {
            Read::Int { .. } => 0,
            Read::IntAsFloat { .. } => 1,
            _ => 2,
        };
        if let Some(&i) = self.prim_inputs.get(&(col, tag)) {
            return i;
        }
        let i = self.add_input(Input::Prim { col, read });
        self.prim_inputs.insert((col, tag), i);
        i
    }

    /// Lowers a `bool` expression.
    fn boolean(&mut self, e: &Expr) -> BNode {
        if !seg_ir::reads_row(e) {
            match self.fold(e) {
                Ok(Some(Const::Bool(b))) => return BNode::Const(b, !b),
                Ok(None) => return BNode::Const(false, false),
                _ => return self.leaf(e, "a constant the folder could not reduce".into()),
            }
        }
        // Event histories (v0.2): `any(..)` is words computed natively per
        // batch (`crate::history`); other aggregates are derived value
        // columns (see `value`). A condition holding an aggregate the JIT
        // does not compile becomes a reference leaf, as any other.
        if let ExprKind::Aggregate {
            func: AggFunc::Any, ..
        } = e.kind
        {
            return match self.aggregate(e) {
                Ok((input, _)) => BNode::Words(input),
                Err(reason) => self.leaf(e, reason),
            };
        }
        match &e.kind {
            ExprKind::Segment(id) => BNode::Seg(*id),
            ExprKind::Field(f) => match self.column(*f) {
                Some((col, DataType::Boolean)) => {
                    BNode::BoolCol(self.add_input(Input::Bool { col }))
                }
                _ => self.leaf(e, "a bool field that is not a Boolean column".into()),
            },
            ExprKind::Not(x) => BNode::Not(Box::new(self.boolean(x))),
            ExprKind::And(items) => BNode::And(items.iter().map(|x| self.boolean(x)).collect()),
            ExprKind::Or(items) => BNode::Or(items.iter().map(|x| self.boolean(x)).collect()),
            ExprKind::Compare { op, lhs, rhs } if lhs.ty == Type::Bool => BNode::Cmp(
                *op,
                Box::new(self.boolean(lhs)),
                Box::new(self.boolean(rhs)),
            ),
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } if expr.ty == Type::Bool => {
                let inside = BNode::And(vec![
                    BNode::Cmp(
                        CmpOp::Ge,
                        Box::new(self.boolean(expr)),
                        Box::new(self.boolean(lo)),
                    ),
                    BNode::Cmp(
                        CmpOp::Le,
                        Box::new(self.boolean(expr)),
                        Box::new(self.boolean(hi)),
                    ),
                ]);
                if *negated {
                    BNode::Not(Box::new(inside))
                } else {
                    inside
                }
            }
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } if expr.ty == Type::Decimal => {
                // Kleene `x >= lo and x <= hi`, each side rescaled exactly.
                let sides = (|| -> Result<(RowPred, RowPred), Unsupported> {
                    let x = self.value(expr)?;
                    let l = self.value(lo)?;
                    let h = self.value(hi)?;
                    Ok((
                        self.compare(CmpOp::Ge, x.clone(), l)?,
                        self.compare(CmpOp::Le, x, h)?,
                    ))
                })();
                match sides {
                    Ok((a, b)) => {
                        let inside = BNode::And(vec![BNode::Rows(a), BNode::Rows(b)]);
                        if *negated {
                            BNode::Not(Box::new(inside))
                        } else {
                            inside
                        }
                    }
                    Err(reason) => self.leaf(e, reason),
                }
            }
            ExprKind::IsMissing { expr, negated }
                if matches!(expr.kind, ExprKind::Field(_))
                    && matches!(expr.ty, Type::String | Type::List(_) | Type::Int)
                    && self.plain_column(expr).is_some() =>
            {
                // Strings, lists and ints (every width but UInt64 fits an
                // i64) are missing exactly where their validity bitmap says so,
                // so the kernel reads the bitmap's words instead of walking
                // rows. Not so for dictionaries (null values), floats (NaN),
                // decimals of negative scale and timestamps or dates of other
                // units (conversions that overflow are missing).
                let col = self.plain_column(expr).unwrap_or_default();
                BNode::Valid(self.add_input(Input::Nulls { col }), *negated)
            }
            ExprKind::IsMissing { expr, negated } if expr.ty == Type::Bool => {
                BNode::IsMissing(Box::new(self.boolean(expr)), *negated)
            }
            ExprKind::Call {
                func: Func::Coalesce,
                args,
            } if e.ty == Type::Bool => {
                BNode::Coalesce(args.iter().map(|x| self.boolean(x)).collect())
            }
            ExprKind::InList {
                expr,
                list,
                list_param: None,
                negated,
            } if expr.ty == Type::Bool => {
                let mut has = (false, false);
                for item in list {
                    match self.fold(item) {
                        Ok(Some(Const::Bool(true))) => has.0 = true,
                        Ok(Some(Const::Bool(false))) => has.1 = true,
                        Ok(_) => {}
                        Err(r) => return self.leaf(e, r),
                    }
                }
                BNode::InList(Box::new(self.boolean(expr)), has.0, has.1, *negated)
            }
            _ => match self.rows(e) {
                Ok(p) => BNode::Rows(p),
                Err(reason) => self.leaf(e, reason),
            },
        }
    }

    /// A leaf the kernel does not compute itself: a dictionary table, a
    /// dedicated helper, or the reference evaluator.
    fn leaf(&mut self, e: &Expr, reason: Unsupported) -> BNode {
        let mut fields = Vec::new();
        seg_ir::field_refs(e, &mut fields);
        let mut segs = Vec::new();
        seg_ir::segment_refs(e, &mut segs);
        fields.sort_by_key(|(f, _)| *f);
        fields.dedup_by_key(|(f, _)| *f);
        // Remember every column the leaf reads, so that a batch whose column
        // types differ from the compiled ones is refused before any helper
        // or the reference evaluator sees it.
        for (f, _) in &fields {
            self.column(*f);
        }
        let single = match (fields.as_slice(), segs.is_empty()) {
            ([(f, _)], true) => self.column(*f).map(|(col, dt)| (*f, col, dt)),
            _ => None,
        };
        if let Some((field, col, dt)) = single {
            let ty = self.program.schema.field(field).ty.clone();
            if let (Type::String, DataType::Dictionary(key, _)) = (&ty, &dt)
                && let Some((key_bytes, key_signed)) = int_read(key)
            {
                let leaf = match self.str_fn(e) {
                    Some(f) => LeafEval::Str(f),
                    None => LeafEval::Reference(self.reference(e)),
                };
                return BNode::Table(self.add_input(Input::Dict {
                    col,
                    key_bytes,
                    key_signed,
                    leaf,
                }));
            }
            if ty == Type::String
                && let Some(f) = self.str_fn(e)
            {
                return BNode::Words(self.add_input(Input::Words {
                    col: Some(col),
                    leaf: LeafEval::Str(f),
                }));
            }
            if matches!(ty, Type::List(_))
                && let Some((q, keys)) = self.list_fn(e)
            {
                return BNode::Words(self.add_input(Input::Words {
                    col: Some(col),
                    leaf: LeafEval::List(q, keys),
                }));
            }
        }
        let seg = self.reference(e);
        self.fallback(e.span, reason);
        BNode::Words(self.add_input(Input::Words {
            col: None,
            leaf: LeafEval::Reference(seg),
        }))
    }

    /// Records that something of the current segment runs in the reference
    /// evaluator.
    fn fallback(&mut self, span: seg_diagnostics::Span, reason: Unsupported) {
        let name = self
            .program
            .segments
            .get(self.segment.0 as usize)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        self.fallbacks.push(Fallback {
            segment: self.segment,
            segment_name: name,
            span,
            reason,
        });
    }

    /// Compiles an aggregate into an input (`crate::history`); its filter's
    /// own reference leaves, if any, are listed as this segment's fallbacks.
    fn aggregate(&mut self, e: &Expr) -> Result<(usize, AggOut), Unsupported> {
        let ExprKind::Aggregate { list, .. } = &e.kind else {
            return Err("not an aggregate".into());
        };
        let ExprKind::Field(f) = list.kind else {
            return Err("an aggregate over something other than a field".into());
        };
        let (col, _) = self.column(f).ok_or("an unbound history")?;
        // Every column the filter reads is checked per batch like the others.
        let mut fields = Vec::new();
        seg_ir::field_refs(e, &mut fields);
        for (f, _) in fields {
            self.column(f).ok_or("an unbound field in a filter")?;
        }
        let binding = self.binding;
        let column = |id: FieldId| binding.column(id);
        let env = crate::history::Env {
            program: self.program,
            params: &self.params,
            as_of: self.as_of,
            schema: self.schema,
            column: &column,
        };
        let (plan, inner) = crate::history::compile(&env, e, col)?;
        for (span, reason) in inner {
            self.fallback(span, format!("in an aggregate's filter: {reason}"));
        }
        let out = plan.out;
        self.aggs.push(std::sync::Arc::new(plan));
        let agg = self.aggs.len() - 1;
        Ok((self.add_input(Input::Agg { col, agg }), out))
    }

    /// The bound column of a bare field, unless it is a dictionary.
    fn plain_column(&mut self, e: &Expr) -> Option<usize> {
        let ExprKind::Field(f) = e.kind else {
            return None;
        };
        match self.column(f)? {
            // A UInt64 `int` is also missing past `i64::MAX`, which its
            // bitmap does not say.
            (_, DataType::Dictionary(..)) => None,
            (_, DataType::UInt64) if e.ty == Type::Int => None,
            (col, _) => Some(col),
        }
    }

    /// Adds `e` as a segment of the synthetic program.
    fn reference(&mut self, e: &Expr) -> SegmentId {
        let id = SegmentId(u32::try_from(self.synthetic.segments.len()).unwrap_or(u32::MAX));
        self.synthetic.segments.push(seg_ir::Segment {
            name: format!("__jit_leaf_{}", id.0),
            title: None,
            where_: e.clone(),
            exclude: None,
            span: e.span,
        });
        id
    }

    fn const_string(&self, e: &Expr) -> Option<String> {
        match self.fold(e) {
            Ok(Some(Const::String(s))) => Some(s),
            _ => None,
        }
    }

    /// The string functions between a string expression and the field it
    /// reads (`lower`, `upper`, `coalesce` with a constant), innermost first;
    /// `None` when it is not such a chain over one field.
    fn str_chain(&self, e: &Expr) -> Option<Vec<Transform>> {
        match &e.kind {
            ExprKind::Field(_) if e.ty == Type::String => Some(Vec::new()),
            ExprKind::Call { func, args } => match (func, args.as_slice()) {
                (Func::Lower | Func::Upper, [x]) => {
                    let mut chain = self.str_chain(x)?;
                    chain.push(if *func == Func::Lower {
                        Transform::Lower
                    } else {
                        Transform::Upper
                    });
                    Some(chain)
                }
                (Func::Coalesce, [x, rest @ ..]) if !rest.is_empty() => {
                    let mut chain = self.str_chain(x)?;
                    // The first present constant replaces a missing string;
                    // when every constant is missing, the value stays missing.
                    let mut default = None;
                    for r in rest {
                        if seg_ir::reads_row(r) {
                            return None;
                        }
                        if default.is_none() {
                            default = match self.fold(r) {
                                Ok(Some(Const::String(d))) => Some(d),
                                Ok(None) => None,
                                _ => return None,
                            };
                        }
                    }
                    if let Some(d) = default {
                        chain.push(Transform::Default(d));
                    }
                    Some(chain)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Recognises a string predicate over a field (maybe through `lower`,
    /// `upper` and `coalesce` with constants) with constant operands.
    fn str_fn(&self, e: &Expr) -> Option<StrFn> {
        let (target, base) = match &e.kind {
            ExprKind::Compare { op, lhs, rhs } if lhs.ty == Type::String => {
                if !seg_ir::reads_row(rhs) {
                    (lhs, StrFn::Cmp(*op, self.const_string(rhs)?))
                } else if !seg_ir::reads_row(lhs) {
                    (rhs, StrFn::Cmp(flip(*op), self.const_string(lhs)?))
                } else {
                    return None;
                }
            }
            ExprKind::InList {
                expr,
                list,
                list_param,
                negated,
            } if expr.ty == Type::String => {
                let set = self.list_keys(list, list_param.as_deref())?;
                (expr, StrFn::In(set, *negated))
            }
            ExprKind::StrPred {
                op,
                target,
                pattern,
                negated,
            } if !seg_ir::reads_row(pattern) => {
                let p = self.const_string(pattern)?;
                let f = if *op == StrOp::Matches {
                    // A pattern that does not compile here runs in the
                    // reference evaluator, which reports why.
                    StrFn::Regex(self.patterns.get(&p).ok()?, *negated)
                } else {
                    StrFn::Pred(*op, p, *negated)
                };
                (target, f)
            }
            ExprKind::IsMissing { expr, negated } if expr.ty == Type::String => {
                (expr, StrFn::IsMissing(*negated))
            }
            _ => return None,
        };
        let chain = self.str_chain(target)?;
        Some(if chain.is_empty() {
            base
        } else {
            StrFn::Map(chain, Box::new(base))
        })
    }

    /// Recognises `l contains ...` over a bare list field with constants.
    fn list_fn(&self, e: &Expr) -> Option<(ListQuantifier, Vec<ListKey>)> {
        let ExprKind::ListContains {
            list,
            quantifier,
            values,
            values_param,
        } = &e.kind
        else {
            return None;
        };
        if !matches!(list.kind, ExprKind::Field(_)) {
            return None;
        }
        Some((
            *quantifier,
            self.list_keys(values, values_param.as_deref())?,
        ))
    }

    /// The keys of a list of constants and of the list param spliced after
    /// them (`in [..]`, `contains any [..]`), made as the evaluator makes
    /// them ([`ListKey::of_const`], [`ListKey::of_list`]): a value that is
    /// not a string or an int is a key no element equals. `None` when one
    /// of them is not a constant here.
    fn list_keys<K: FromIterator<ListKey>>(
        &self,
        items: &[Expr],
        param: Option<&Expr>,
    ) -> Option<K> {
        let mut keys = Vec::with_capacity(items.len());
        for item in items {
            keys.extend(self.fold(item).ok()?.as_ref().and_then(ListKey::of_const));
        }
        if let Some(p) = param {
            keys.extend(ListKey::of_list(self.fold(p).ok()??)?);
        }
        Some(keys.into_iter().collect())
    }

    fn duration(&self, e: &Expr) -> Result<Duration, Unsupported> {
        match &e.kind {
            ExprKind::Duration { amount, unit } => match self.fold(amount)? {
                Some(Const::Int(amount)) => Ok(Duration {
                    amount,
                    unit: *unit,
                }),
                _ => Err("a duration whose amount is not an int".into()),
            },
            ExprKind::Const(Const::Duration(d)) => Ok(*d),
            ExprKind::Param(id) => match self.params.get(id.0 as usize) {
                Some(Const::Duration(d)) => Ok(*d),
                _ => Err("a duration param without a duration value".into()),
            },
            _ => Err("a duration that is not constant".into()),
        }
    }

    /// Lowers a predicate over values to a row loop.
    fn rows(&mut self, e: &Expr) -> Result<RowPred, Unsupported> {
        match &e.kind {
            ExprKind::Compare { op, lhs, rhs } => {
                let a = self.value(lhs)?;
                let b = self.value(rhs)?;
                self.compare(*op, a, b)
            }
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } => {
                let x = self.value(expr)?;
                let lo = self.value(lo)?;
                let hi = self.value(hi)?;
                if matches!(x.ty(), VTy::Dec(_)) {
                    return Err("`between` on decimals".into());
                }
                Ok(RowPred::Between(x, lo, hi, *negated))
            }
            ExprKind::InList {
                expr,
                list,
                list_param,
                negated,
            } => {
                let x = self.value(expr)?;
                let mut consts = Vec::new();
                for item in list {
                    consts.push(self.fold(item)?);
                }
                if let Some(p) = list_param {
                    match self.fold(p)? {
                        Some(Const::ListInt(items)) => {
                            consts.extend(items.into_iter().map(|i| Some(Const::Int(i))))
                        }
                        Some(Const::ListString(_)) => {}
                        _ => return Err("`in` over a param that is not a list".into()),
                    }
                }
                let mut candidates = Vec::new();
                for c in consts.into_iter().flatten() {
                    // Only constants of x's own type can equal it, as the
                    // evaluator's keys are typed.
                    let v = match (&c, &expr.ty, &x) {
                        (Const::Int(i), Type::Int, _) => VNode::I64(*i),
                        (Const::Date(d), Type::Date, _) => VNode::I64(i64::from(*d)),
                        (Const::Timestamp(t), Type::Timestamp, _) => VNode::I64(*t),
                        (Const::Float(f), Type::Float, _) if !f.is_nan() => VNode::F64(*f),
                        (Const::Decimal { unscaled, scale }, Type::Decimal, x) => {
                            let col_scale = self
                                .dec_scale_of(x)
                                .ok_or("`in` over a decimal expression")?;
                            match dec_equal_candidate(*unscaled, u32::from(*scale), col_scale) {
                                Some(v) => VNode::Dec(v, col_scale),
                                None => continue,
                            }
                        }
                        _ => continue,
                    };
                    candidates.push(v);
                }
                Ok(RowPred::InList(x, candidates, *negated))
            }
            ExprKind::IsMissing { expr, negated } => {
                Ok(RowPred::IsMissing(self.value(expr)?, *negated))
            }
            ExprKind::Within { expr, duration } => {
                let d = self.duration(duration)?;
                let x = self.value(expr)?;
                let (lo, hi) = match expr.ty {
                    Type::Timestamp => (
                        num::timestamp_minus(self.program.timezone, self.as_of, &d),
                        self.as_of,
                    ),
                    Type::Date => {
                        let today = num::local_date_of(self.program.timezone, self.as_of);
                        (num::date_minus(today, &d).map(i64::from), i64::from(today))
                    }
                    _ => return Err("`within` on a value that is not a date or timestamp".into()),
                };
                match lo {
                    // An unrepresentable start makes every row unknown; a
                    // missing row is unknown too.
                    None => Ok(RowPred::Cmp(CmpOp::Eq, x, VNode::Missing(VTy::I64))),
                    Some(lo) => Ok(RowPred::Between(x, VNode::I64(lo), VNode::I64(hi), false)),
                }
            }
            _ => Err("a predicate the kernel does not compile".into()),
        }
    }

    fn compare(&self, op: CmpOp, a: VNode, b: VNode) -> Result<RowPred, Unsupported> {
        match (a.ty(), b.ty()) {
            (VTy::Dec(_), VTy::Dec(_)) => {}
            (x, y) if x == y => return Ok(RowPred::Cmp(op, a, b)),
            _ => return Err("comparison of values of different row types".into()),
        }
        // Two decimal values of one scale compare as integers.
        let sa = self.dec_scale_of(&a);
        let sb = self.dec_scale_of(&b);
        if let (Some(x), Some(y)) = (&sa, &sb) {
            return Ok(match x.cmp(y) {
                std::cmp::Ordering::Equal => RowPred::Cmp(op, a, b),
                std::cmp::Ordering::Less => RowPred::DecScaled(op, a, y - x, b),
                std::cmp::Ordering::Greater => RowPred::DecScaled(flip(op), b, x - y, a),
            });
        }
        // A decimal value against a constant, rescaled at compile time.
        let (value, scale, constant, op) = match (sa, sb) {
            (Some(scale), None) => (a, scale, b, op),
            (None, Some(scale)) => (b, scale, a, flip(op)),
            _ => return Err("decimal comparison of two non-constant values".into()),
        };
        let (u, s) = match constant {
            VNode::Dec(u, s) => (u, s),
            VNode::Missing(_) => {
                return Ok(RowPred::Cmp(op, value, VNode::Missing(VTy::Dec(scale))));
            }
            _ => return Err("decimal comparison with an unexpected operand".into()),
        };
        Ok(dec_compare_const(op, value, scale, u, s))
    }

    /// The scale of a non-constant decimal row value the kernel computes.
    fn dec_scale_of(&self, v: &VNode) -> Option<u32> {
        if v.is_constant() {
            return None;
        }
        self.scale_of(v)
    }

    /// The scale of any decimal row value (constants included).
    fn scale_of(&self, v: &VNode) -> Option<u32> {
        match v {
            VNode::Col {
                read: Read::Dec,
                input,
            } => self.dec_scale(*input).ok(),
            VNode::IntToDec(_) | VNode::DecUnscale(..) | VNode::Missing(VTy::Dec(_)) => Some(0),
            VNode::Dec(_, s)
            | VNode::Coalesce(VTy::Dec(s), _)
            | VNode::DerivedDec { scale: s, .. } => Some(*s),
            VNode::DecRescale(x, by) => self.scale_of(x)?.checked_add(*by),
            VNode::DecArith(_, x, _) | VNode::DecNeg(x) | VNode::DecAbs(x) => self.scale_of(x),
            VNode::DecMul(x, y) => self.scale_of(x)?.checked_add(self.scale_of(y)?),
            _ => None,
        }
    }

    /// Brings a decimal value to `scale` (at least its own).
    fn rescaled(&self, v: VNode, scale: u32) -> Result<VNode, Unsupported> {
        let own = self.scale_of(&v).ok_or("a decimal of unknown scale")?;
        Ok(match scale.checked_sub(own) {
            Some(0) => v,
            Some(by) => VNode::DecRescale(Box::new(v), by),
            None => return Err("a decimal above the target scale".into()),
        })
    }

    fn dec_scale(&self, input: usize) -> Result<u32, Unsupported> {
        let Some(Input::Prim { col, .. }) = self.inputs.get(input) else {
            return Err("decimal input".into());
        };
        match self.schema.fields().get(*col).map(|f| f.data_type()) {
            Some(DataType::Decimal128(_, s)) if *s >= 0 => Ok(u32::from(s.unsigned_abs())),
            _ => Err("a decimal column with a negative scale".into()),
        }
    }

    fn constant(c: Option<Const>, ty: &Type) -> Result<VNode, Unsupported> {
        Ok(match c {
            None => VNode::Missing(match ty {
                Type::Float => VTy::F64,
                Type::Decimal => VTy::Dec(0),
                _ => VTy::I64,
            }),
            Some(Const::Int(i)) => VNode::I64(i),
            Some(Const::Float(f)) if f.is_nan() => VNode::Missing(VTy::F64),
            Some(Const::Float(f)) => VNode::F64(f),
            Some(Const::Decimal { unscaled, scale }) => VNode::Dec(unscaled, u32::from(scale)),
            Some(Const::Date(d)) => VNode::I64(i64::from(d)),
            Some(Const::Timestamp(t)) => VNode::I64(t),
            Some(_) => return Err("a constant that is not a number or an instant".into()),
        })
    }

    /// Lowers a value expression evaluated per row.
    fn value(&mut self, e: &Expr) -> Result<VNode, Unsupported> {
        if !seg_ir::reads_row(e) && e.ty != Type::Duration {
            return Self::constant(self.fold(e)?, &e.ty);
        }
        let bx = |v: VNode| Box::new(v);
        Ok(match &e.kind {
            ExprKind::Field(f) => {
                let Some((col, dt)) = self.column(*f) else {
                    return Err("an unbound field".into());
                };
                let read = match (&e.ty, &dt) {
                    // A UInt64 value past `i64::MAX` is missing, which a
                    // plain load cannot tell; the evaluator reads it.
                    (Type::Int, DataType::UInt64) => {
                        return Err("a UInt64 `int` column".into());
                    }
                    (Type::Int, dt) => {
                        let (bytes, signed) = int_read(dt).ok_or("int column type")?;
                        Read::Int { bytes, signed }
                    }
                    (Type::Float, DataType::Float32) => Read::F32,
                    (Type::Float, DataType::Float64) => Read::F64,
                    (Type::Float, dt) => {
                        let (bytes, signed) = int_read(dt).ok_or("float column type")?;
                        Read::IntAsFloat { bytes, signed }
                    }
                    (Type::Decimal, DataType::Decimal128(_, s)) if *s < 0 => {
                        // A negative scale multiplies: the evaluator brings
                        // the values to scale 0 exactly, overflow missing.
                        let raw = VNode::Col {
                            input: self.prim(col, Read::Dec),
                            read: Read::Dec,
                        };
                        return Ok(VNode::DecUnscale(bx(raw), u32::from(s.unsigned_abs())));
                    }
                    (Type::Decimal, DataType::Decimal128(..)) => Read::Dec,
                    (Type::Date, DataType::Date32) => Read::Date32,
                    (Type::Date, DataType::Date64) => Read::Date64,
                    (Type::Timestamp, DataType::Timestamp(unit, _)) => Read::Ts(*unit),
                    _ => return Err(format!("a `{}` column of type {dt}", e.ty)),
                };
                VNode::Col {
                    input: self.prim(col, read),
                    read,
                }
            }
            ExprKind::Cast(inner) => match (&inner.ty, &e.ty) {
                (Type::Int, Type::Float) => VNode::IntToFloat(bx(self.value(inner)?)),
                // A date column's local midnight in another zone than UTC
                // varies with the DST rules of each date: the evaluator's
                // leaf computes it exactly (constants were folded above).
                (Type::Date, Type::Timestamp) if !self.program.timezone.is_utc() => {
                    return Err(format!(
                        "a date column compared with a timestamp (local midnight in {})",
                        self.program.timezone
                    ));
                }
                (Type::Date, Type::Timestamp) => VNode::DateToTs(bx(self.value(inner)?)),
                (Type::Int, Type::Decimal) => VNode::IntToDec(bx(self.value(inner)?)),
                (Type::Decimal, Type::Float) => self.derived(inner, Derive::DecimalToFloat)?,
                _ => return Err(format!("a cast from {} to {}", inner.ty, e.ty)),
            },
            ExprKind::Arith { op, lhs, rhs } => match e.ty {
                Type::Int if *op != ArithOp::Div => {
                    VNode::IntArith(*op, bx(self.value(lhs)?), bx(self.value(rhs)?))
                }
                Type::Float if *op != ArithOp::Rem => {
                    VNode::FloatArith(*op, bx(self.value(lhs)?), bx(self.value(rhs)?))
                }
                Type::Decimal if *op == ArithOp::Mul => {
                    VNode::DecMul(bx(self.value(lhs)?), bx(self.value(rhs)?))
                }
                Type::Decimal if matches!(op, ArithOp::Add | ArithOp::Sub) => {
                    // Both sides at the larger scale, as `num::align`.
                    let a = self.value(lhs)?;
                    let b = self.value(rhs)?;
                    let scale = self
                        .scale_of(&a)
                        .zip(self.scale_of(&b))
                        .map(|(x, y)| x.max(y))
                        .ok_or("decimal arithmetic of unknown scale")?;
                    VNode::DecArith(
                        *op,
                        bx(self.rescaled(a, scale)?),
                        bx(self.rescaled(b, scale)?),
                    )
                }
                _ => return Err(format!("`{op:?}` on {}", e.ty)),
            },
            ExprKind::Neg(x) => match e.ty {
                Type::Int => VNode::IntNeg(bx(self.value(x)?)),
                Type::Float => VNode::FloatNeg(bx(self.value(x)?)),
                Type::Decimal => VNode::DecNeg(bx(self.value(x)?)),
                _ => return Err(format!("negation of {}", e.ty)),
            },
            ExprKind::Call { func, args } => match (func, args.as_slice()) {
                (Func::Abs, [x]) if e.ty == Type::Int => VNode::IntAbs(bx(self.value(x)?)),
                (Func::Abs, [x]) if e.ty == Type::Float => VNode::FloatAbs(bx(self.value(x)?)),
                (Func::Abs, [x]) if e.ty == Type::Decimal => VNode::DecAbs(bx(self.value(x)?)),
                (Func::Coalesce, items) if e.ty == Type::Decimal => {
                    // Every argument at the largest scale; one that cannot be
                    // rescaled counts as missing, as in the evaluator.
                    let mut values = Vec::new();
                    for x in items {
                        values.push(self.value(x)?);
                    }
                    let mut scale = 0;
                    for v in &values {
                        scale = scale.max(self.scale_of(v).ok_or("a decimal of unknown scale")?);
                    }
                    let mut out = Vec::new();
                    for v in values {
                        out.push(self.rescaled(v, scale)?);
                    }
                    VNode::Coalesce(VTy::Dec(scale), out)
                }
                (Func::Coalesce, items)
                    if matches!(e.ty, Type::Int | Type::Float | Type::Date | Type::Timestamp) =>
                {
                    let mut out = Vec::new();
                    for x in items {
                        out.push(self.value(x)?);
                    }
                    let ty = if e.ty == Type::Float {
                        VTy::F64
                    } else {
                        VTy::I64
                    };
                    if out.iter().any(|v| v.ty() != ty) {
                        return Err("`coalesce` of mixed row types".into());
                    }
                    VNode::Coalesce(ty, out)
                }
                (Func::DaysSince, [x]) if x.ty == Type::Timestamp => {
                    VNode::DaysSinceTs(self.as_of, bx(self.value(x)?))
                }
                (Func::DaysSince, [x]) if x.ty == Type::Date => {
                    let today = num::local_date_of(self.program.timezone, self.as_of);
                    VNode::DaysSinceDate(i64::from(today), bx(self.value(x)?))
                }
                (Func::Year, [x]) => self.derived(x, Derive::Year(self.program.timezone))?,
                (Func::Month, [x]) => self.derived(x, Derive::Month(self.program.timezone))?,
                (Func::Day, [x]) => self.derived(x, Derive::Day(self.program.timezone))?,
                (Func::Length, [x]) => self.derived(x, Derive::Length)?,
                (Func::Size, [x]) => self.derived(x, Derive::Size)?,
                (Func::Bucket, [salt, key]) => match self.fold(salt)? {
                    Some(Const::String(salt)) => self.derived(key, Derive::Bucket(salt.into()))?,
                    _ => return Err("`bucket` with a salt that is not a string constant".into()),
                },
                // Any other call, a function added to the language included,
                // makes its leaf run in the reference evaluator (see `leaf`):
                // a new function needs no change here to be correct, only to
                // be fast. Facts such as reading `as_of` or strictness need no
                // handling either: constant calls are folded by the evaluator
                // at this run's instant, and row calls are evaluated by it.
                _ => return Err(format!("`{}` on these arguments", func.name())),
            },
            ExprKind::Aggregate { .. } => match self.aggregate(e)? {
                (input, AggOut::I64) => VNode::Derived {
                    input,
                    float: false,
                },
                (input, AggOut::F64) => VNode::Derived { input, float: true },
                (input, AggOut::Dec(scale)) => VNode::DerivedDec { input, scale },
                (_, AggOut::Bool) => return Err("`any` as a value".into()),
            },
            _ => return Err("an expression the kernel does not compile".into()),
        })
    }

    /// A value computed by a batch-level helper from a bare field.
    fn derived(&mut self, arg: &Expr, derive: Derive) -> Result<VNode, Unsupported> {
        let ExprKind::Field(f) = arg.kind else {
            return Err(format!("`{derive:?}` of an expression that is not a field"));
        };
        let (col, _) = self.column(f).ok_or("an unbound field")?;
        let float = derive == Derive::DecimalToFloat;
        let input = self.add_input(Input::Derived { col, derive });
        Ok(VNode::Derived { input, float })
    }
}

/// `10^k` when it fits in i128.
fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

/// The unscaled value at `col_scale` equal to `u × 10^-s`, when there is one
/// (`None`: no value of that scale equals it, as the evaluator's normalised
/// decimal keys would find).
fn dec_equal_candidate(u: i128, s: u32, col_scale: u32) -> Option<i128> {
    if s <= col_scale {
        return pow10(col_scale - s).and_then(|p| u.checked_mul(p));
    }
    match pow10(s - col_scale) {
        Some(p) => (u.rem_euclid(p) == 0).then(|| u.div_euclid(p)),
        None => (u == 0).then_some(0),
    }
}

/// `col <op> u × 10^-s` where the column holds `x × 10^-scale`, rewritten
/// exactly (as `num::cmp_decimal` decides) into a comparison at the column's
/// scale, or a constant result for every present row.
fn dec_compare_const(op: CmpOp, col: VNode, scale: u32, u: i128, s: u32) -> RowPred {
    use std::cmp::Ordering;
    if s <= scale {
        return match pow10(scale - s).and_then(|p| u.checked_mul(p)) {
            Some(v) => RowPred::Cmp(op, col, VNode::Dec(v, scale)),
            // The constant is beyond any column value: its sign decides.
            None => {
                let col_vs_const = if u > 0 {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                RowPred::PresentIs(col, op.holds(col_vs_const))
            }
        };
    }
    // x × 10^k against u: split u = q × 10^k + r with 0 <= r < 10^k.
    let k = s - scale;
    let (q, exact) = match pow10(k) {
        Some(p) => (u.div_euclid(p), u.rem_euclid(p) == 0),
        None => (if u < 0 { -1 } else { 0 }, u == 0),
    };
    if exact {
        return RowPred::Cmp(op, col, VNode::Dec(q, scale));
    }
    // The constant lies strictly between q and q + 1 (in column units).
    let q = VNode::Dec(q, scale);
    match op {
        CmpOp::Eq => RowPred::PresentIs(col, false),
        CmpOp::Ne => RowPred::PresentIs(col, true),
        CmpOp::Lt | CmpOp::Le => RowPred::Cmp(CmpOp::Le, col, q),
        CmpOp::Gt | CmpOp::Ge => RowPred::Cmp(CmpOp::Gt, col, q),
    }
}
