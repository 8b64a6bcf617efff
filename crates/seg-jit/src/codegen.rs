//! Code generation: Cranelift functions that loop over the 64-row words of a
//! batch and, for each word, compute a run of needed segments in evaluation
//! order. A program of up to `crate::JitOptions::segments_per_function`
//! segments is one function; a larger one is split into several, called one
//! after the other over the whole batch, because the register allocator's
//! time grows faster than linearly in the size of one function.
//!
//! The kernel's signature is `fn(slots: *const u64, rows: u64, out: *mut u64)`.
//! `slots` holds, per input, the pointers (and the table length of a
//! dictionary) prepared by `crate::batch`; `out` holds one membership word per
//! segment and word, segment-major. Boolean subexpressions are pairs of
//! masks (rows definitely true, rows definitely false); predicates over values
//! run a loop over the word's rows with no call out of the kernel.

use crate::plan::{BNode, Input, Plan, Read, RowPred, SegPlan, VECTOR_TABLE, VNode, VTy};
use arrow::datatypes::TimeUnit as ArrowTimeUnit;
use cranelift::codegen::ir::BlockArg;
use cranelift::prelude::*;
use seg_ir::{ArithOp, CmpOp, SegmentId};
use std::collections::HashMap;

/// Microseconds in a day.
const DAY: i64 = 86_400_000_000;

/// Vector lanes of a SIMD leaf: 128 bits of one column's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    F64,
    /// Integers of `bytes` width, compared signed or unsigned.
    Int {
        bytes: u8,
        signed: bool,
    },
}

impl Lane {
    fn vector(self) -> Type {
        match self {
            Lane::F64 => types::F64X2,
            Lane::Int { bytes: 1, .. } => types::I8X16,
            Lane::Int { bytes: 2, .. } => types::I16X8,
            Lane::Int { bytes: 4, .. } => types::I32X4,
            Lane::Int { .. } => types::I64X2,
        }
    }

    fn bytes(self) -> u8 {
        match self {
            Lane::F64 => 8,
            Lane::Int { bytes, .. } => bytes,
        }
    }

    /// Whether `k` is a value of the lane type, so that comparing in the
    /// lane's width is exact.
    fn holds(self, k: i64) -> bool {
        match self {
            Lane::F64 => false,
            Lane::Int { bytes: 8, signed } => signed || k >= 0,
            Lane::Int {
                bytes,
                signed: true,
            } => {
                let bits = u32::from(bytes) * 8;
                k >= -(1i64 << (bits - 1)) && k < (1i64 << (bits - 1))
            }
            Lane::Int {
                bytes,
                signed: false,
            } => k >= 0 && k < (1i64 << (u32::from(bytes) * 8)),
        }
    }
}

/// A constant of a SIMD leaf.
#[derive(Clone, Copy, Debug)]
enum K {
    F(f64),
    I(i64),
}

/// A leaf that compares one column with constants: `x <op> k`, or `x >= lo
/// and x <= hi` (maybe negated), where a present `x` decides every test.
struct Simd {
    input: usize,
    lane: Lane,
    tests: Vec<(CmpOp, K)>,
    negated: bool,
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

fn float_cc(op: CmpOp) -> FloatCC {
    match op {
        CmpOp::Eq => FloatCC::Equal,
        CmpOp::Ne => FloatCC::NotEqual,
        CmpOp::Lt => FloatCC::LessThan,
        CmpOp::Le => FloatCC::LessThanOrEqual,
        CmpOp::Gt => FloatCC::GreaterThan,
        CmpOp::Ge => FloatCC::GreaterThanOrEqual,
    }
}

fn unsigned_cc(op: CmpOp) -> IntCC {
    match op {
        CmpOp::Eq => IntCC::Equal,
        CmpOp::Ne => IntCC::NotEqual,
        CmpOp::Lt => IntCC::UnsignedLessThan,
        CmpOp::Le => IntCC::UnsignedLessThanOrEqual,
        CmpOp::Gt => IntCC::UnsignedGreaterThan,
        CmpOp::Ge => IntCC::UnsignedGreaterThanOrEqual,
    }
}

fn int_cc(op: CmpOp) -> IntCC {
    match op {
        CmpOp::Eq => IntCC::Equal,
        CmpOp::Ne => IntCC::NotEqual,
        CmpOp::Lt => IntCC::SignedLessThan,
        CmpOp::Le => IntCC::SignedLessThanOrEqual,
        CmpOp::Gt => IntCC::SignedGreaterThan,
        CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
    }
}

/// Recognises the leaves the vector loop handles.
fn simd_shape(pred: &RowPred) -> Option<Simd> {
    let (x, tests, negated) = match pred {
        RowPred::Cmp(op, a, b) => match (a, b) {
            (VNode::Col { .. }, k) => (a, vec![(*op, k)], false),
            (k, VNode::Col { .. }) => (b, vec![(flip(*op), k)], false),
            _ => return None,
        },
        RowPred::Between(x, lo, hi, negated) => {
            (x, vec![(CmpOp::Ge, lo), (CmpOp::Le, hi)], *negated)
        }
        _ => return None,
    };
    let VNode::Col { input, read } = x else {
        return None;
    };
    let lane = match read {
        Read::F64 => Lane::F64,
        // Unsigned 64-bit values above `i64::MAX` read differently as ints.
        Read::Int {
            bytes: 8,
            signed: false,
        } => return None,
        Read::Int { bytes, signed } => Lane::Int {
            bytes: *bytes,
            signed: *signed,
        },
        Read::Ts(ArrowTimeUnit::Microsecond) => Lane::Int {
            bytes: 8,
            signed: true,
        },
        Read::Date32 => Lane::Int {
            bytes: 4,
            signed: true,
        },
        _ => return None,
    };
    let mut out = Vec::new();
    for (op, k) in tests {
        let k = match (lane, k) {
            (Lane::F64, VNode::F64(v)) => K::F(*v),
            // Narrow lanes compare exactly only with a constant of their type.
            (Lane::Int { .. }, VNode::I64(v)) if lane.holds(*v) => K::I(*v),
            _ => return None,
        };
        out.push((op, k));
    }
    Some(Simd {
        input: *input,
        lane,
        tests: out,
        negated,
    })
}

/// The identity of a costly leaf (a row predicate or a dictionary gather):
/// equal keys compute the same masks, since identical inputs share one
/// input index.
fn leaf_key(node: &BNode) -> Option<String> {
    match node {
        BNode::Rows(pred) => Some(format!("{pred:?}")),
        BNode::Table(input) => Some(format!("table {input}")),
        _ => None,
    }
}

/// Calls `f` with every costly leaf under `node` and its key.
fn costly_leaves<'a>(node: &'a BNode, f: &mut impl FnMut(String, &'a BNode)) {
    match node {
        BNode::Not(x) | BNode::IsMissing(x, _) | BNode::InList(x, ..) => costly_leaves(x, f),
        BNode::Cmp(_, a, b) => {
            costly_leaves(a, f);
            costly_leaves(b, f);
        }
        BNode::And(xs) | BNode::Or(xs) | BNode::Coalesce(xs) => {
            xs.iter().for_each(|x| costly_leaves(x, f));
        }
        BNode::Rows(_) | BNode::Table(_) => {
            if let Some(key) = leaf_key(node) {
                f(key, node);
            }
        }
        BNode::Const(..)
        | BNode::Seg(_)
        | BNode::BoolCol(_)
        | BNode::Words(_)
        | BNode::Valid(..) => {}
    }
}

/// The input of a signed int32 column read as a float (directly, or through
/// an int-to-float cast), which `Gen::vf` converts two rows at a time.
fn int32_as_float(v: &VNode) -> Option<usize> {
    let int32 = |read: &Read, cast: bool| {
        matches!(
            (read, cast),
            (
                Read::IntAsFloat {
                    bytes: 4,
                    signed: true
                },
                false
            ) | (
                Read::Int {
                    bytes: 4,
                    signed: true
                },
                true
            )
        )
    };
    match v {
        VNode::Col { input, read } if int32(read, false) => Some(*input),
        VNode::IntToFloat(a) => match &**a {
            VNode::Col { input, read } if int32(read, true) => Some(*input),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a float expression has a two-lane form in `Gen::vf`: float
/// columns, int32 columns read as floats, constants and `+ - * /`, `-`,
/// `abs` over them. None has `coalesce`, so a row is missing exactly when a
/// column it reads is missing or a lane is NaN or divides by zero.
fn vector_float_value(v: &VNode) -> bool {
    match v {
        VNode::F64(_)
        | VNode::Derived { float: true, .. }
        | VNode::Col {
            read: Read::F64 | Read::F32,
            ..
        } => true,
        VNode::Col { .. } | VNode::IntToFloat(_) => int32_as_float(v).is_some(),
        VNode::FloatArith(op, a, b) => {
            *op != ArithOp::Rem && vector_float_value(a) && vector_float_value(b)
        }
        VNode::FloatNeg(a) | VNode::FloatAbs(a) => vector_float_value(a),
        _ => false,
    }
}

/// Whether a row predicate runs as `Gen::vector_float`: a float comparison
/// of two such expressions (not both constant), or `between` two present
/// float constants.
fn vector_float_pred(pred: &RowPred) -> bool {
    match pred {
        RowPred::Cmp(_, a, b) => {
            a.ty() == VTy::F64
                && !(a.is_constant() && b.is_constant())
                && vector_float_value(a)
                && vector_float_value(b)
        }
        RowPred::Between(x, lo, hi, _) => {
            x.ty() == VTy::F64
                && !x.is_constant()
                && vector_float_value(x)
                && matches!(lo, VNode::F64(_))
                && matches!(hi, VNode::F64(_))
        }
        _ => false,
    }
}

fn flags() -> MemFlagsData {
    // Every address the kernel loads from is in bounds (see `crate::batch`),
    // but not necessarily aligned for the wider types of sliced arrays.
    MemFlagsData::new().with_notrap()
}

/// What the generator needs besides the plan.
pub(crate) struct Layout {
    /// First slot of each input.
    pub slot_base: Vec<usize>,
    /// Position of each computed segment in the output.
    pub seg_pos: HashMap<SegmentId, usize>,
}

pub(crate) struct Gen<'a, 'b> {
    pub b: FunctionBuilder<'b>,
    plan: &'a Plan,
    layout: &'a Layout,
    slots: Value,
    out: Value,
    nwords: Value,
    w: Value,
    base: Value,
    cnt: Value,
    tail: Value,
    /// Whether the word being emitted has all 64 rows (the vector forms
    /// run) or is the last, partial word (the scalar row loops run).
    full: bool,
    /// Leaves shared by several segments, computed at the word's start.
    shared: HashMap<String, (Value, Value)>,
    /// Whether vector leaves unroll the whole word (see
    /// `Gen::vector_steps`).
    unroll: bool,
    /// The stack slot lazy leaves write their words to, once one needs it.
    lazy_slot: Option<codegen::ir::StackSlot>,
    /// The signature of the lazy leaves' helper, once imported.
    lazy_signature: Option<codegen::ir::SigRef>,
    call_conv: isa::CallConv,
}

/// Vector steps per iteration of a leaf's loop when a function does not
/// unroll whole words.
const GROUP: i32 = 4;

/// A function whose vector leaves need more steps per word than this loops
/// over groups of steps instead of unrolling them.
const UNROLL_BUDGET: usize = 2_048;

/// Vector steps per full word of the leaves under `node` (an estimate of
/// the unrolled code's size).
fn vector_steps_of(node: &BNode) -> usize {
    match node {
        BNode::Rows(pred) => match simd_shape(pred) {
            Some(shape) => 4 * usize::from(shape.lane.bytes()),
            None if vector_float_pred(pred) => 32,
            None => 0,
        },
        BNode::Table(_) => 4,
        BNode::Not(x) | BNode::IsMissing(x, _) | BNode::InList(x, ..) => vector_steps_of(x),
        BNode::Cmp(_, a, b) => vector_steps_of(a) + vector_steps_of(b),
        BNode::And(xs) | BNode::Or(xs) | BNode::Coalesce(xs) => {
            xs.iter().map(vector_steps_of).sum()
        }
        _ => 0,
    }
}

type Env = HashMap<usize, (Value, Value)>;

/// Emits into `func` the kernel function that computes `segments` (a run of
/// `plan.segments`, in evaluation order). Every segment a run refers to is
/// computed by this run before it, or by an earlier run over the whole batch,
/// and is read back from `out` either way.
pub(crate) fn emit(
    func: &mut codegen::ir::Function,
    fbc: &mut FunctionBuilderContext,
    plan: &Plan,
    segments: &[SegPlan],
    layout: &Layout,
    config: codegen::isa::TargetFrontendConfig,
) -> Result<(), String> {
    let mut b = FunctionBuilder::new(func, fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let [slots, nrows, out] = params.as_slice() else {
        return Err("kernel signature".into());
    };
    let (slots, nrows, out) = (*slots, *nrows, *out);
    let plus = b.ins().iadd_imm_s(nrows, 63);
    let nwords = b.ins().ushr_imm_s(plus, 6);
    let nfull = b.ins().ushr_imm_s(nrows, 6);
    let rest = b.ins().band_imm_s(nrows, 63);
    let header = b.create_block();
    b.append_block_param(header, types::I64);
    let body = b.create_block();
    let after = b.create_block();
    let last = b.create_block();
    let exit = b.create_block();
    let zero = b.ins().iconst(types::I64, 0);
    b.ins().jump(header, &[BlockArg::Value(zero)]);

    // The full words: every leaf runs its vector form, with no test of the
    // row count inside the loop.
    b.switch_to_block(header);
    let w = b.block_params(header)[0];
    let more = b.ins().icmp(IntCC::UnsignedLessThan, w, nfull);
    b.ins().brif(more, body, &[], after, &[]);
    b.switch_to_block(body);
    let base = b.ins().ishl_imm_s(w, 6);
    let cnt = b.ins().iconst(types::I64, 64);
    let tail = b.ins().iconst(types::I64, -1);
    let mut g = Gen {
        b,
        plan,
        layout,
        slots,
        out,
        nwords,
        w,
        base,
        cnt,
        tail,
        full: true,
        shared: HashMap::new(),
        lazy_slot: None,
        lazy_signature: None,
        call_conv: config.default_call_conv,
        unroll: segments
            .iter()
            .flat_map(|seg| std::iter::once(&seg.where_).chain(&seg.exclude))
            .map(vector_steps_of)
            .sum::<usize>()
            <= UNROLL_BUDGET,
    };
    g.segments(segments)?;
    let next = g.b.ins().iadd_imm_s(g.w, 1);
    g.b.ins().jump(header, &[BlockArg::Value(next)]);

    // The last, partial word (if any): the scalar row loops over its rows.
    g.b.switch_to_block(after);
    g.b.ins().brif(rest, last, &[], exit, &[]);
    g.b.switch_to_block(last);
    g.w = nfull;
    g.base = g.b.ins().ishl_imm_s(nfull, 6);
    g.cnt = rest;
    let one = g.b.ins().iconst(types::I64, 1);
    let shifted = g.b.ins().ishl(one, rest);
    g.tail = g.b.ins().iadd_imm_s(shifted, -1);
    g.full = false;
    g.segments(segments)?;
    g.b.ins().jump(exit, &[]);

    g.b.switch_to_block(exit);
    g.b.ins().return_(&[]);
    g.b.seal_all_blocks();
    g.b.finalize(config);
    Ok(())
}

impl Gen<'_, '_> {
    /// Computes `segments` for the current word and stores their words.
    /// A costly leaf written in several of them is computed once, first,
    /// and shared (a value computed at the start of the word dominates
    /// every later use in it).
    fn segments(&mut self, segments: &[SegPlan]) -> Result<(), String> {
        self.shared.clear();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut order: Vec<(String, &BNode)> = Vec::new();
        for seg in segments {
            for root in std::iter::once(&seg.where_).chain(&seg.exclude) {
                costly_leaves(root, &mut |key, node| {
                    let n = seen.entry(key.clone()).or_insert(0);
                    *n += 1;
                    if *n == 2 {
                        order.push((key, node));
                    }
                });
            }
        }
        for (key, node) in order {
            let value = self.boolean(node)?;
            self.shared.insert(key, value);
        }
        for seg in segments {
            let (wt, _) = self.boolean(&seg.where_)?;
            let member = match &seg.exclude {
                Some(x) => {
                    let (xt, _) = self.boolean(x)?;
                    self.b.ins().band_not(wt, xt)
                }
                None => wt,
            };
            let member = self.b.ins().band(member, self.tail);
            let addr = self.seg_addr(seg.id)?;
            self.b.ins().store(flags(), member, addr, 0);
        }
        Ok(())
    }

    fn slot(&mut self, index: usize) -> Value {
        let offset = i32::try_from(index * 8).unwrap_or(i32::MAX);
        self.b.ins().load(types::I64, flags(), self.slots, offset)
    }

    fn input_slot(&mut self, input: usize, k: usize) -> Result<Value, String> {
        let base = *self
            .layout
            .slot_base
            .get(input)
            .ok_or("input without slots")?;
        Ok(self.slot(base + k))
    }

    /// The word `w` of a buffer of u64 words.
    fn word_of(&mut self, ptr: Value) -> Value {
        let offset = self.b.ins().ishl_imm_s(self.w, 3);
        let addr = self.b.ins().iadd(ptr, offset);
        self.b.ins().load(types::I64, flags(), addr, 0)
    }

    fn seg_addr(&mut self, id: SegmentId) -> Result<Value, String> {
        let pos = *self
            .layout
            .seg_pos
            .get(&id)
            .ok_or("a segment referenced before it is computed")?;
        let pos = i64::try_from(pos).map_err(|e| e.to_string())?;
        let row_of_seg = self.b.ins().imul_imm_s(self.nwords, pos);
        let index = self.b.ins().iadd(row_of_seg, self.w);
        let offset = self.b.ins().ishl_imm_s(index, 3);
        Ok(self.b.ins().iadd(self.out, offset))
    }

    fn all(&mut self, on: bool) -> Value {
        self.b.ins().iconst(types::I64, if on { -1 } else { 0 })
    }

    /// Emits a boolean node: (true mask, false mask) of the current word.
    fn boolean(&mut self, node: &BNode) -> Result<(Value, Value), String> {
        if !self.shared.is_empty()
            && let Some(key) = leaf_key(node)
            && let Some(&value) = self.shared.get(&key)
        {
            return Ok(value);
        }
        Ok(match node {
            BNode::Const(t, f) => (self.all(*t), self.all(*f)),
            BNode::Seg(id) => {
                let addr = self.seg_addr(*id)?;
                let m = self.b.ins().load(types::I64, flags(), addr, 0);
                let not = self.b.ins().bnot(m);
                (m, not)
            }
            BNode::BoolCol(input) => {
                let vp = self.input_slot(*input, 0)?;
                let np = self.input_slot(*input, 1)?;
                let v = self.word_of(vp);
                let valid = self.word_of(np);
                let t = self.b.ins().band(v, valid);
                let f = self.b.ins().band_not(valid, v);
                (t, f)
            }
            BNode::Words(input) if self.plan.lazy.get(*input).copied().unwrap_or(false) => {
                self.lazy_word(*input)?
            }
            BNode::Words(input) => {
                let tp = self.input_slot(*input, 0)?;
                let fp = self.input_slot(*input, 1)?;
                (self.word_of(tp), self.word_of(fp))
            }
            BNode::Valid(input, negated) => {
                let np = self.input_slot(*input, 0)?;
                let valid = self.word_of(np);
                let missing = self.b.ins().bnot(valid);
                if *negated {
                    (valid, missing)
                } else {
                    (missing, valid)
                }
            }
            BNode::Not(x) => {
                let (t, f) = self.boolean(x)?;
                (f, t)
            }
            BNode::And(items) => self.junction(items, true)?,
            BNode::Or(items) => self.junction(items, false)?,
            BNode::Cmp(op, a, b) => {
                let (at, af) = self.boolean(a)?;
                let (bt, bf) = self.boolean(b)?;
                let ins = self.b.ins();
                let ak = ins.bor(at, af);
                let bk = self.b.ins().bor(bt, bf);
                let known = self.b.ins().band(ak, bk);
                // Booleans order false < true.
                let x = match op {
                    CmpOp::Eq => {
                        let tt = self.b.ins().band(at, bt);
                        let ff = self.b.ins().band(af, bf);
                        self.b.ins().bor(tt, ff)
                    }
                    CmpOp::Ne => {
                        let tf = self.b.ins().band(at, bf);
                        let ft = self.b.ins().band(af, bt);
                        self.b.ins().bor(tf, ft)
                    }
                    CmpOp::Lt => self.b.ins().band(af, bt),
                    CmpOp::Le => self.b.ins().bor(af, bt),
                    CmpOp::Gt => self.b.ins().band(at, bf),
                    CmpOp::Ge => self.b.ins().bor(at, bf),
                };
                let t = self.b.ins().band(known, x);
                let f = self.b.ins().band_not(known, x);
                (t, f)
            }
            BNode::IsMissing(x, negated) => {
                let (t, f) = self.boolean(x)?;
                let known = self.b.ins().bor(t, f);
                let missing = self.b.ins().bnot(known);
                if *negated {
                    (known, missing)
                } else {
                    (missing, known)
                }
            }
            BNode::Coalesce(items) => {
                let mut acc: Option<(Value, Value)> = None;
                for item in items {
                    let (t2, f2) = self.boolean(item)?;
                    acc = Some(match acc {
                        None => (t2, f2),
                        Some((t, f)) => {
                            let known = self.b.ins().bor(t, f);
                            let t3 = self.b.ins().band_not(t2, known);
                            let f3 = self.b.ins().band_not(f2, known);
                            (self.b.ins().bor(t, t3), self.b.ins().bor(f, f3))
                        }
                    });
                }
                acc.unwrap_or((self.all(false), self.all(false)))
            }
            BNode::InList(x, has_true, has_false, negated) => {
                let (t, f) = self.boolean(x)?;
                let zero = self.all(false);
                let a = if *has_true { t } else { zero };
                let c = if *has_false { f } else { zero };
                let hit = self.b.ins().bor(a, c);
                let known = self.b.ins().bor(t, f);
                let miss = self.b.ins().band_not(known, hit);
                if *negated { (miss, hit) } else { (hit, miss) }
            }
            BNode::Rows(pred) => self.rows(pred)?,
            BNode::Table(input) => self.table(*input)?,
        })
    }

    /// A lazy leaf's words for the current word: a call of the helper whose
    /// address and argument `crate::batch` stored in the input's slots
    /// (`fn(leaf, word, out)`), which writes (true, false) to a stack slot.
    fn lazy_word(&mut self, input: usize) -> Result<(Value, Value), String> {
        let call = self.input_slot(input, 0)?;
        let leaf = self.input_slot(input, 1)?;
        let slot = match self.lazy_slot {
            Some(slot) => slot,
            None => {
                let slot = self.b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    16,
                    3,
                ));
                self.lazy_slot = Some(slot);
                slot
            }
        };
        let signature = match self.lazy_signature {
            Some(sig) => sig,
            None => {
                let mut sig = Signature::new(self.call_conv);
                for _ in 0..3 {
                    sig.params.push(AbiParam::new(types::I64));
                }
                let sig = self.b.import_signature(sig);
                self.lazy_signature = Some(sig);
                sig
            }
        };
        let out = self.b.ins().stack_addr(types::I64, slot, 0);
        self.b
            .ins()
            .call_indirect(signature, call, &[leaf, self.w, out]);
        let t = self.b.ins().load(types::I64, flags(), out, 0);
        let f = self.b.ins().load(types::I64, flags(), out, 8);
        Ok((t, f))
    }

    /// Whether `node` reads a lazy leaf (evaluated last in its junction).
    fn reads_lazy(&self, node: &BNode) -> bool {
        match node {
            BNode::Words(input) => self.plan.lazy.get(*input).copied().unwrap_or(false),
            BNode::Not(x) | BNode::IsMissing(x, _) | BNode::InList(x, ..) => self.reads_lazy(x),
            BNode::Cmp(_, a, b) => self.reads_lazy(a) || self.reads_lazy(b),
            BNode::And(xs) | BNode::Or(xs) | BNode::Coalesce(xs) => {
                xs.iter().any(|x| self.reads_lazy(x))
            }
            _ => false,
        }
    }

    /// Whether skipping `node` when the word is already decided pays for
    /// the test and the branch: on a full word, a leaf with a vector form
    /// costs a few instructions per row, less than a mispredicted branch,
    /// and computing it unconditionally lets the false mask of an `and`
    /// (the true mask of an `or`) go unused and uncomputed.
    fn costly(&self, node: &BNode) -> bool {
        if self.reads_lazy(node) {
            return true;
        }
        if !self.full {
            return node.costly();
        }
        match node {
            BNode::Rows(pred) => simd_shape(pred).is_none() && !vector_float_pred(pred),
            BNode::Table(input) => !matches!(
                self.plan.inputs.get(*input),
                Some(Input::Dict { key_bytes, .. }) if *key_bytes <= 4
            ),
            BNode::Not(x) | BNode::IsMissing(x, _) | BNode::InList(x, ..) => self.costly(x),
            BNode::Cmp(_, a, b) => self.costly(a) || self.costly(b),
            BNode::And(xs) | BNode::Or(xs) | BNode::Coalesce(xs) => {
                xs.iter().any(|x| self.costly(x))
            }
            _ => node.costly(),
        }
    }

    /// Kleene `and` (`is_and`) or `or` of several operands, skipping the
    /// remaining costly operands once every row of the word is decided.
    fn junction(&mut self, items: &[BNode], is_and: bool) -> Result<(Value, Value), String> {
        // Kleene `and` and `or` do not depend on the order of their
        // operands: lazy leaves go last, so they run only on the words the
        // others leave undecided.
        let mut ordered: Vec<&BNode> = items.iter().collect();
        ordered.sort_by_key(|x| self.reads_lazy(x));
        let Some((first, rest)) = ordered.split_first() else {
            return Ok((self.all(is_and), self.all(!is_and)));
        };
        let merge = self.b.create_block();
        self.b.append_block_param(merge, types::I64);
        self.b.append_block_param(merge, types::I64);
        let (mut t, mut f) = self.boolean(first)?;
        for item in rest {
            if self.costly(item) {
                let decider = if is_and { f } else { t };
                let covered = self.b.ins().band(decider, self.tail);
                let decided = self.b.ins().icmp(IntCC::Equal, covered, self.tail);
                let next = self.b.create_block();
                self.b.ins().brif(
                    decided,
                    merge,
                    &[BlockArg::Value(t), BlockArg::Value(f)],
                    next,
                    &[],
                );
                self.b.switch_to_block(next);
            }
            let (t2, f2) = self.boolean(item)?;
            if is_and {
                t = self.b.ins().band(t, t2);
                f = self.b.ins().bor(f, f2);
            } else {
                t = self.b.ins().bor(t, t2);
                f = self.b.ins().band(f, f2);
            }
        }
        Ok(self.merge_pair(merge, t, f))
    }

    /// A loop over the rows of the word; `per_row(gen, row, bit)` yields the
    /// row's (true, false) flags as i8 0/1.
    fn row_loop(
        &mut self,
        mut per_row: impl FnMut(&mut Self, Value, Value) -> Result<(Value, Value), String>,
    ) -> Result<(Value, Value), String> {
        let lp = self.b.create_block();
        for _ in 0..3 {
            self.b.append_block_param(lp, types::I64);
        }
        let done = self.b.create_block();
        self.b.append_block_param(done, types::I64);
        self.b.append_block_param(done, types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().jump(
            lp,
            &[
                BlockArg::Value(zero),
                BlockArg::Value(zero),
                BlockArg::Value(zero),
            ],
        );
        self.b.switch_to_block(lp);
        let p = self.b.block_params(lp).to_vec();
        let (r, tm, fm) = (p[0], p[1], p[2]);
        let row = self.b.ins().iadd(self.base, r);
        let (t, f) = per_row(self, row, r)?;
        let t = self.b.ins().uextend(types::I64, t);
        let f = self.b.ins().uextend(types::I64, f);
        let t = self.b.ins().ishl(t, r);
        let f = self.b.ins().ishl(f, r);
        let tm = self.b.ins().bor(tm, t);
        let fm = self.b.ins().bor(fm, f);
        let r1 = self.b.ins().iadd_imm_s(r, 1);
        let again = self.b.ins().icmp(IntCC::UnsignedLessThan, r1, self.cnt);
        self.b.ins().brif(
            again,
            lp,
            &[
                BlockArg::Value(r1),
                BlockArg::Value(tm),
                BlockArg::Value(fm),
            ],
            done,
            &[BlockArg::Value(tm), BlockArg::Value(fm)],
        );
        self.b.switch_to_block(done);
        let p = self.b.block_params(done);
        Ok((p[0], p[1]))
    }

    /// A dictionary gather: each row's key picks a byte of the per-batch table
    /// (bit 0 true, bit 1 false); null and out-of-range keys pick the last
    /// entry, which holds the leaf's result for a missing string.
    fn table(&mut self, input: usize) -> Result<(Value, Value), String> {
        let Some(Input::Dict {
            key_bytes,
            key_signed,
            ..
        }) = self.plan.inputs.get(input)
        else {
            return Err("a table over an input that is not a dictionary".into());
        };
        let (key_bytes, key_signed) = (*key_bytes, *key_signed);
        let keys = self.input_slot(input, 0)?;
        let validity_ptr = self.input_slot(input, 1)?;
        let valid = self.word_of(validity_ptr);
        let table = self.input_slot(input, 2)?;
        let len = self.input_slot(input, 3)?;
        // Keys of 1, 2 or 4 bytes over a dictionary with a vector table run
        // 16 rows at a time on full words; anything else (wide keys, a large
        // dictionary, the last partial word) runs the scalar gather.
        let merge = if key_bytes <= 4 && self.full {
            let vtable = self.input_slot(input, 4)?;
            let vectorize = self.b.ins().icmp_imm_s(IntCC::NotEqual, vtable, 0);
            let small = self.b.create_block();
            let wide = self.b.create_block();
            let scalar = self.b.create_block();
            let vector = self.b.create_block();
            let merge = self.b.create_block();
            self.b.append_block_param(merge, types::I64);
            self.b.append_block_param(merge, types::I64);
            self.b.ins().brif(vectorize, vector, &[], scalar, &[]);
            self.b.switch_to_block(vector);
            let missing_t = self.input_slot(input, 5)?;
            let missing_f = self.input_slot(input, 6)?;
            let one_chunk = self
                .b
                .ins()
                .icmp_imm_s(IntCC::UnsignedLessThanOrEqual, len, 16);
            self.b.ins().brif(one_chunk, small, &[], wide, &[]);
            for (block, chunks) in [(small, 1), (wide, VECTOR_TABLE / 16)] {
                self.b.switch_to_block(block);
                let (tb, fb) = self.vector_gather(keys, key_bytes, vtable, chunks);
                let t = self.b.ins().band(tb, valid);
                let mt = self.b.ins().band_not(missing_t, valid);
                let t = self.b.ins().bor(t, mt);
                let f = self.b.ins().band(fb, valid);
                let mf = self.b.ins().band_not(missing_f, valid);
                let f = self.b.ins().bor(f, mf);
                self.b
                    .ins()
                    .jump(merge, &[BlockArg::Value(t), BlockArg::Value(f)]);
            }
            self.b.switch_to_block(scalar);
            Some(merge)
        } else {
            None
        };
        let (t, f) = self.row_loop(|g, row, r| {
            let key = g.load_int(keys, row, key_bytes, key_signed);
            let bit = g.bit(valid, r);
            let bit = g.b.ins().uextend(types::I64, bit);
            let in_range = g.b.ins().icmp(IntCC::UnsignedLessThan, key, len);
            let in_range = g.b.ins().uextend(types::I64, in_range);
            let usable = g.b.ins().band(bit, in_range);
            let index = g.b.ins().select(usable, key, len);
            let addr = g.b.ins().iadd(table, index);
            let byte = g.b.ins().load(types::I8, flags(), addr, 0);
            let t = g.b.ins().band_imm_s(byte, 1);
            let f = g.b.ins().ushr_imm_s(byte, 1);
            let f = g.b.ins().band_imm_s(f, 1);
            Ok((t, f))
        })?;
        let Some(merge) = merge else {
            return Ok((t, f));
        };
        Ok(self.merge_pair(merge, t, f))
    }

    /// Jumps to `merge` with a (true, false) pair and continues there,
    /// returning the pair as the merge block's parameters.
    fn merge_pair(&mut self, merge: Block, t: Value, f: Value) -> (Value, Value) {
        self.b
            .ins()
            .jump(merge, &[BlockArg::Value(t), BlockArg::Value(f)]);
        self.b.switch_to_block(merge);
        let p = self.b.block_params(merge);
        (p[0], p[1])
    }

    /// The (true, false) bits of a full word's 64 rows from a vector table of
    /// `chunks` × 16 entries: keys are narrowed (saturating) to bytes, 16 at
    /// a time, and each chunk of the table is looked up with a byte shuffle
    /// (`swizzle` yields 0 for an index outside its 16 lanes, so exactly one
    /// chunk answers for a key below `16 × chunks`). Null rows are masked
    /// by the caller; valid keys are below the dictionary's length, which
    /// Arrow checks when it builds a dictionary array.
    fn vector_gather(
        &mut self,
        keys: Value,
        key_bytes: u8,
        vtable: Value,
        chunks: usize,
    ) -> (Value, Value) {
        let mut tables = Vec::with_capacity(chunks);
        for c in 0..chunks {
            let offset = i32::try_from(c * 16).unwrap_or(0);
            tables.push(self.b.ins().load(types::I8X16, flags(), vtable, offset));
        }
        let offset = self.b.ins().imul_imm_s(self.base, i64::from(key_bytes));
        let rows = self.b.ins().iadd(keys, offset);
        // The chunks' first keys, splatted once for the word's four steps.
        let mut starts = Vec::with_capacity(chunks);
        for c in 1..chunks {
            let k = self.b.ins().iconst(types::I8, (c * 16) as i64);
            starts.push(self.b.ins().splat(types::I8X16, k));
        }
        let mut t_bits = self.b.ins().iconst(types::I64, 0);
        let mut f_bits = self.b.ins().iconst(types::I64, 0);
        for q in 0..4i32 {
            let at = |i: i32| q * 16 * i32::from(key_bytes) + i * 16;
            let index = match key_bytes {
                1 => self.b.ins().load(types::I8X16, flags(), rows, at(0)),
                2 => {
                    let a = self.b.ins().load(types::I16X8, flags(), rows, at(0));
                    let c = self.b.ins().load(types::I16X8, flags(), rows, at(1));
                    self.b.ins().snarrow(a, c)
                }
                _ => {
                    let mut halves = Vec::with_capacity(2);
                    for h in 0..2 {
                        let a = self.b.ins().load(types::I32X4, flags(), rows, at(2 * h));
                        let c = self
                            .b
                            .ins()
                            .load(types::I32X4, flags(), rows, at(2 * h + 1));
                        halves.push(self.b.ins().snarrow(a, c));
                    }
                    self.b.ins().snarrow(halves[0], halves[1])
                }
            };
            let mut v = self.b.ins().swizzle(tables[0], index);
            for (table, start) in tables.iter().skip(1).zip(&starts) {
                let shifted = self.b.ins().isub(index, *start);
                let hit = self.b.ins().swizzle(*table, shifted);
                v = self.b.ins().bor(v, hit);
            }
            let t = self.b.ins().vhigh_bits(types::I64, v);
            let doubled = self.b.ins().iadd(v, v);
            let f = self.b.ins().vhigh_bits(types::I64, doubled);
            let t = self.b.ins().ishl_imm_s(t, i64::from(q * 16));
            let f = self.b.ins().ishl_imm_s(f, i64::from(q * 16));
            t_bits = self.b.ins().bor(t_bits, t);
            f_bits = self.b.ins().bor(f_bits, f);
        }
        (t_bits, f_bits)
    }

    /// Bit `r` of a word as an i8 0/1.
    fn bit(&mut self, word: Value, r: Value) -> Value {
        let s = self.b.ins().ushr(word, r);
        let s = self.b.ins().band_imm_s(s, 1);
        self.b.ins().ireduce(types::I8, s)
    }

    fn load_int(&mut self, ptr: Value, row: Value, bytes: u8, signed: bool) -> Value {
        let ty = match bytes {
            1 => types::I8,
            2 => types::I16,
            4 => types::I32,
            _ => types::I64,
        };
        let offset = self.b.ins().imul_imm_s(row, i64::from(bytes));
        let addr = self.b.ins().iadd(ptr, offset);
        let v = self.b.ins().load(ty, flags(), addr, 0);
        match (bytes, signed) {
            (8, _) => v,
            (_, true) => self.b.ins().sextend(types::I64, v),
            (_, false) => self.b.ins().uextend(types::I64, v),
        }
    }

    fn rows(&mut self, pred: &RowPred) -> Result<(Value, Value), String> {
        // Load each input's values pointer and validity word once per word.
        let mut env: Env = HashMap::new();
        for input in pred.inputs() {
            let ptr = self.input_slot(input, 0)?;
            let np = self.input_slot(input, 1)?;
            let valid = self.word_of(np);
            env.insert(input, (ptr, valid));
        }
        if let Some(shape) = simd_shape(pred) {
            return self.simd(pred, &shape, &env);
        }
        if vector_float_pred(pred) {
            return self.vector_float(pred, &env);
        }
        self.row_loop(|g, row, r| g.pred(pred, row, r, &env))
    }

    /// A float comparison of expressions, two rows at a time on full words:
    /// the operands are computed as `f64x2` lanes, a lane whose divisor is
    /// zero or whose operand is NaN is missing, and so is a row where any
    /// column read is missing (the shapes accepted have no `coalesce`, so
    /// a missing operand makes the whole expression missing). The last,
    /// partial word runs the scalar row loop.
    fn vector_float(&mut self, pred: &RowPred, env: &Env) -> Result<(Value, Value), String> {
        if !self.full {
            return self.row_loop(|g, row, r| g.pred(pred, row, r, env));
        }
        let mut valid = self.all(true);
        let mut inputs: Vec<usize> = env.keys().copied().collect();
        inputs.sort_unstable();
        let mut rows: HashMap<usize, Value> = HashMap::new();
        for input in inputs {
            let (ptr, word) = *env.get(&input).ok_or("input not loaded")?;
            valid = self.b.ins().band(valid, word);
            let width = match self.plan.inputs.get(input) {
                Some(Input::Prim { read, .. }) => i64::from(read.width()),
                _ => 8,
            };
            let offset = self.b.ins().imul_imm_s(self.base, width);
            rows.insert(input, self.b.ins().iadd(ptr, offset));
        }
        let widths: Vec<(usize, Value, i64)> = {
            let mut v: Vec<(usize, Value, i64)> = rows
                .iter()
                .map(|(&input, &ptr)| {
                    let width = match self.plan.inputs.get(input) {
                        Some(Input::Prim { read, .. }) => i64::from(read.width()),
                        _ => 8,
                    };
                    (input, ptr, width)
                })
                .collect();
            v.sort_unstable_by_key(|(input, _, _)| *input);
            v
        };
        let acc = self.vector_steps(32, 2, &widths, 2, |g, rows, j| {
            let mut bad = None;
            let (lanes_hit, lanes_ok) = match pred {
                RowPred::Cmp(op, a, c) => {
                    let x = g.vf(a, j, rows, &mut bad)?;
                    let y = g.vf(c, j, rows, &mut bad)?;
                    let hit = g.b.ins().fcmp(float_cc(*op), x, y);
                    (hit, g.b.ins().fcmp(FloatCC::Ordered, x, y))
                }
                RowPred::Between(x, lo, hi, _) => {
                    let x = g.vf(x, j, rows, &mut bad)?;
                    let lo = g.vf(lo, j, rows, &mut bad)?;
                    let hi = g.vf(hi, j, rows, &mut bad)?;
                    let above = g.b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, lo);
                    let below = g.b.ins().fcmp(FloatCC::LessThanOrEqual, x, hi);
                    (
                        g.b.ins().band(above, below),
                        g.b.ins().fcmp(FloatCC::Ordered, x, x),
                    )
                }
                _ => return Err("a vector float leaf of another shape".into()),
            };
            let (lanes_hit, lanes_ok) = match bad {
                Some(bad) => (
                    g.b.ins().band_not(lanes_hit, bad),
                    g.b.ins().band_not(lanes_ok, bad),
                ),
                None => (lanes_hit, lanes_ok),
            };
            let hits = g.b.ins().vhigh_bits(types::I64, lanes_hit);
            let hits = g.b.ins().ishl_imm_s(hits, i64::from(j * 2));
            let ok = g.b.ins().vhigh_bits(types::I64, lanes_ok);
            let ok = g.b.ins().ishl_imm_s(ok, i64::from(j * 2));
            Ok(vec![hits, ok])
        })?;
        let (hits, ok) = (acc[0], acc[1]);
        let known = self.b.ins().band(valid, ok);
        let negated = matches!(pred, RowPred::Between(.., true));
        // Hits exclude lanes dividing by zero, and an ordered test is false
        // on NaN: the true rows of a plain test need no NaN mask, so where
        // only they are read the NaN test is never computed.
        let ordered = !matches!(pred, RowPred::Cmp(CmpOp::Ne, ..));
        let t_known = if ordered && !negated { valid } else { known };
        let t = self.b.ins().band(t_known, hits);
        let f = self.b.ins().band_not(known, hits);
        let (t, f) = if negated { (f, t) } else { (t, f) };
        Ok((t, f))
    }

    /// Runs `step` over the `steps` vectors of a full word (`rows_per_step`
    /// rows each) and ORs the masks each returns into `accumulators`
    /// words. `step(g, pointers, j)` reads vector `j` at constant offsets
    /// from `pointers` (each input's address of the row it starts from) and
    /// returns its masks already shifted to rows `j × rows_per_step`.
    ///
    /// Small functions unroll the whole word (constant offsets and shifts,
    /// nothing carried, values nothing reads never computed); a function
    /// with many vector steps loops over groups of [`GROUP`] steps instead,
    /// which keeps its size, and Cranelift's compile time, proportional to
    /// its leaves rather than to 64 rows of each.
    fn vector_steps(
        &mut self,
        steps: i32,
        rows_per_step: i64,
        inputs: &[(usize, Value, i64)],
        accumulators: usize,
        mut step: impl FnMut(&mut Self, &HashMap<usize, Value>, i32) -> Result<Vec<Value>, String>,
    ) -> Result<Vec<Value>, String> {
        let zero = self.b.ins().iconst(types::I64, 0);
        let mut acc = vec![zero; accumulators];
        if self.unroll || steps <= GROUP {
            let pointers: HashMap<usize, Value> = inputs.iter().map(|&(i, p, _)| (i, p)).collect();
            for j in 0..steps {
                for (a, bits) in acc.iter_mut().zip(step(self, &pointers, j)?) {
                    *a = self.b.ins().bor(*a, bits);
                }
            }
            return Ok(acc);
        }
        let lp = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(lp, types::I64);
        for _ in 0..accumulators {
            self.b.append_block_param(lp, types::I64);
            self.b.append_block_param(done, types::I64);
        }
        let mut args = vec![BlockArg::Value(zero)];
        args.extend(acc.iter().map(|&a| BlockArg::Value(a)));
        self.b.ins().jump(lp, &args);
        self.b.switch_to_block(lp);
        let params = self.b.block_params(lp).to_vec();
        let (group, carried) = (params[0], &params[1..]);
        let mut pointers = HashMap::new();
        for &(input, ptr, width) in inputs {
            let offset = self
                .b
                .ins()
                .imul_imm_s(group, i64::from(GROUP) * rows_per_step * width);
            pointers.insert(input, self.b.ins().iadd(ptr, offset));
        }
        let mut local = vec![zero; accumulators];
        for j in 0..GROUP {
            for (a, bits) in local.iter_mut().zip(step(self, &pointers, j)?) {
                *a = self.b.ins().bor(*a, bits);
            }
        }
        let shift = self
            .b
            .ins()
            .imul_imm_s(group, i64::from(GROUP) * rows_per_step);
        let mut next = Vec::with_capacity(accumulators + 1);
        let group1 = self.b.ins().iadd_imm_s(group, 1);
        next.push(BlockArg::Value(group1));
        let mut out = Vec::with_capacity(accumulators);
        for (&c, &l) in carried.iter().zip(&local) {
            let shifted = self.b.ins().ishl(l, shift);
            let v = self.b.ins().bor(c, shifted);
            next.push(BlockArg::Value(v));
            out.push(BlockArg::Value(v));
        }
        let again =
            self.b
                .ins()
                .icmp_imm_s(IntCC::UnsignedLessThan, group1, i64::from(steps / GROUP));
        self.b.ins().brif(again, lp, &next, done, &out);
        self.b.switch_to_block(done);
        Ok(self.b.block_params(done).to_vec())
    }

    /// Rows `2j` and `2j + 1` of the word of a float expression accepted by
    /// [`vector_float_value`], as `f64x2`; lanes dividing by zero are OR-ed
    /// into `bad`.
    fn vf(
        &mut self,
        v: &VNode,
        j: i32,
        rows: &HashMap<usize, Value>,
        bad: &mut Option<Value>,
    ) -> Result<Value, String> {
        let le = MemFlagsData::new().with_endianness(codegen::ir::Endianness::Little);
        // Two 32-bit values as the low half of a vector.
        let pair = |g: &mut Self, input: &usize, lanes: Type| -> Result<Value, String> {
            let ptr = *rows.get(input).ok_or("input not loaded")?;
            let two = g.b.ins().load(types::I64, flags(), ptr, j * 8);
            let v = g.b.ins().scalar_to_vector(types::I64X2, two);
            Ok(g.b.ins().bitcast(lanes, le, v))
        };
        Ok(match v {
            VNode::F64(k) => {
                let k = self.b.ins().f64const(*k);
                self.b.ins().splat(types::F64X2, k)
            }
            VNode::Col {
                input,
                read: Read::F64,
            }
            | VNode::Derived { input, float: true } => {
                let ptr = *rows.get(input).ok_or("input not loaded")?;
                self.b.ins().load(types::F64X2, flags(), ptr, j * 16)
            }
            VNode::Col {
                input,
                read: Read::F32,
            } => {
                let v = pair(self, input, types::F32X4)?;
                self.b.ins().fvpromote_low(v)
            }
            VNode::Col { .. } | VNode::IntToFloat(_) if int32_as_float(v).is_some() => {
                let input = int32_as_float(v).ok_or("an int32 column")?;
                let v = pair(self, &input, types::I32X4)?;
                // x64 lowers this pair to one `cvtdq2pd`.
                let wide = self.b.ins().swiden_low(v);
                self.b.ins().fcvt_from_sint(types::F64X2, wide)
            }
            VNode::FloatArith(op, a, c) => {
                let x = self.vf(a, j, rows, bad)?;
                let y = self.vf(c, j, rows, bad)?;
                match op {
                    ArithOp::Add => self.b.ins().fadd(x, y),
                    ArithOp::Sub => self.b.ins().fsub(x, y),
                    ArithOp::Mul => self.b.ins().fmul(x, y),
                    ArithOp::Div => {
                        let zero = self.b.ins().f64const(0.0);
                        let zero = self.b.ins().splat(types::F64X2, zero);
                        let by_zero = self.b.ins().fcmp(FloatCC::Equal, y, zero);
                        *bad = Some(match *bad {
                            Some(prev) => self.b.ins().bor(prev, by_zero),
                            None => by_zero,
                        });
                        self.b.ins().fdiv(x, y)
                    }
                    ArithOp::Rem => return Err("a vector float remainder".into()),
                }
            }
            VNode::FloatNeg(a) => {
                let x = self.vf(a, j, rows, bad)?;
                self.b.ins().fneg(x)
            }
            VNode::FloatAbs(a) => {
                let x = self.vf(a, j, rows, bad)?;
                self.b.ins().fabs(x)
            }
            _ => return Err("a vector float value of another shape".into()),
        })
    }

    /// A column-against-constants leaf, 128 bits at a time: a full word is
    /// straight-line code (no loop: every shift is a constant and nothing is
    /// carried between steps but the two masks), the lane masks gathered
    /// with `vhigh_bits`; the last, partial word runs the scalar row loop.
    fn simd(&mut self, pred: &RowPred, shape: &Simd, env: &Env) -> Result<(Value, Value), String> {
        let (ptr, valid) = *env.get(&shape.input).ok_or("input not loaded")?;
        let vty = shape.lane.vector();
        let bytes = i64::from(shape.lane.bytes());
        let lanes = 16 / bytes;
        if !self.full {
            return self.row_loop(|g, row, r| g.pred(pred, row, r, env));
        }
        let offset = self.b.ins().imul_imm_s(self.base, bytes);
        let rows_ptr = self.b.ins().iadd(ptr, offset);
        // x86 compares signed vectors only with `>` (and `<` by swapping):
        // `>=` and `<=` against a constant become `>` and `<` against its
        // neighbour, saving the negation of the mask, whenever the
        // neighbour is a value of the lane.
        let tests: Vec<(CmpOp, K)> = shape
            .tests
            .iter()
            .map(|&(op, k)| match (shape.lane, op, k) {
                (Lane::Int { signed: true, .. }, CmpOp::Ge, K::I(x))
                    if shape.lane.holds(x.wrapping_sub(1)) && x != i64::MIN =>
                {
                    (CmpOp::Gt, K::I(x - 1))
                }
                (Lane::Int { signed: true, .. }, CmpOp::Le, K::I(x))
                    if shape.lane.holds(x.wrapping_add(1)) && x != i64::MAX =>
                {
                    (CmpOp::Lt, K::I(x + 1))
                }
                other => (other.1, other.2),
            })
            .collect();
        let mut splats = Vec::new();
        for (_, k) in &tests {
            let scalar_k = match (shape.lane, k) {
                (Lane::F64, K::F(x)) => self.b.ins().f64const(*x),
                (Lane::Int { .. }, K::I(x)) => self.b.ins().iconst(vty.lane_type(), *x),
                _ => return Err("a vector constant of the wrong kind".into()),
            };
            splats.push(self.b.ins().splat(vty, scalar_k));
        }
        let is_float = shape.lane == Lane::F64;
        let steps = i32::try_from(64 / lanes).unwrap_or(4);
        let accumulators = if is_float { 2 } else { 1 };
        let acc = self.vector_steps(
            steps,
            lanes,
            &[(shape.input, rows_ptr, bytes)],
            accumulators,
            |g, rows, j| {
                let ptr = *rows.get(&shape.input).ok_or("input not loaded")?;
                let v = g.b.ins().load(vty, flags(), ptr, j * 16);
                let mut lane_hits: Option<Value> = None;
                for ((op, _), k) in tests.iter().zip(&splats) {
                    let c = match shape.lane {
                        Lane::F64 => g.b.ins().fcmp(float_cc(*op), v, *k),
                        Lane::Int { signed: true, .. } => g.b.ins().icmp(int_cc(*op), v, *k),
                        Lane::Int { signed: false, .. } => g.b.ins().icmp(unsigned_cc(*op), v, *k),
                    };
                    lane_hits = Some(match lane_hits {
                        None => c,
                        Some(prev) => g.b.ins().band(prev, c),
                    });
                }
                let lane_hits = lane_hits.ok_or("a vector leaf without a test")?;
                let shift = i64::from(j) * lanes;
                let bits = g.b.ins().vhigh_bits(types::I64, lane_hits);
                let mut out = vec![g.b.ins().ishl_imm_s(bits, shift)];
                if is_float {
                    // NaN lanes are missing.
                    let ordered = g.b.ins().fcmp(FloatCC::Ordered, v, v);
                    let bits = g.b.ins().vhigh_bits(types::I64, ordered);
                    out.push(g.b.ins().ishl_imm_s(bits, shift));
                }
                Ok(out)
            },
        )?;
        let hits = acc[0];
        let present = acc.get(1).copied().unwrap_or(hits);
        let known = if shape.lane == Lane::F64 {
            self.b.ins().band(valid, present)
        } else {
            valid
        };
        // An ordered float test is false on NaN, so the true rows need no
        // NaN mask and a kernel that never reads the false rows never
        // computes it (unused values are not lowered).
        let ordered = shape.tests.iter().all(|(op, _)| *op != CmpOp::Ne);
        let t_known = if ordered && !shape.negated {
            valid
        } else {
            known
        };
        let t = self.b.ins().band(t_known, hits);
        let f = self.b.ins().band_not(known, hits);
        let (t, f) = if shape.negated { (f, t) } else { (t, f) };
        Ok((t, f))
    }

    fn not8(&mut self, x: Value) -> Value {
        self.b.ins().bxor_imm_s(x, 1)
    }

    fn pred(
        &mut self,
        pred: &RowPred,
        row: Value,
        r: Value,
        env: &Env,
    ) -> Result<(Value, Value), String> {
        Ok(match pred {
            RowPred::Cmp(op, a, b) => {
                let (va, pa) = self.val(a, row, r, env)?;
                let (vb, pb) = self.val(b, row, r, env)?;
                let c = self.cmp(*op, a.ty(), va, vb);
                let p = self.b.ins().band(pa, pb);
                let t = self.b.ins().band(p, c);
                let nc = self.not8(c);
                let f = self.b.ins().band(p, nc);
                (t, f)
            }
            RowPred::Between(x, lo, hi, negated) => {
                let (vx, px) = self.val(x, row, r, env)?;
                let (vl, pl) = self.val(lo, row, r, env)?;
                let (vh, ph) = self.val(hi, row, r, env)?;
                let ty = x.ty();
                let a = self.cmp(CmpOp::Ge, ty, vx, vl);
                let c = self.cmp(CmpOp::Le, ty, vx, vh);
                let ak = self.b.ins().band(px, pl);
                let ck = self.b.ins().band(px, ph);
                let both = self.b.ins().band(a, c);
                let known = self.b.ins().band(ak, ck);
                let t = self.b.ins().band(known, both);
                let na = self.not8(a);
                let nc = self.not8(c);
                let fa = self.b.ins().band(ak, na);
                let fc = self.b.ins().band(ck, nc);
                let f = self.b.ins().bor(fa, fc);
                if *negated { (f, t) } else { (t, f) }
            }
            RowPred::InList(x, candidates, negated) => {
                let (vx, px) = self.val(x, row, r, env)?;
                let mut hit = self.b.ins().iconst(types::I8, 0);
                for c in candidates {
                    let (vc, _) = self.val(c, row, r, env)?;
                    let eq = self.cmp(CmpOp::Eq, x.ty(), vx, vc);
                    hit = self.b.ins().bor(hit, eq);
                }
                if *negated {
                    hit = self.not8(hit);
                }
                let t = self.b.ins().band(px, hit);
                let nh = self.not8(hit);
                let f = self.b.ins().band(px, nh);
                (t, f)
            }
            RowPred::IsMissing(x, negated) => {
                let (_, p) = self.val(x, row, r, env)?;
                let missing = self.not8(p);
                if *negated { (p, missing) } else { (missing, p) }
            }
            RowPred::DecScaled(op, l, k, h) => {
                let (vl, pl) = self.val(l, row, r, env)?;
                let (vh, ph) = self.val(h, row, r, env)?;
                let p = self.b.ins().band(pl, ph);
                let zero = self.i128_const(0);
                let (ok, scaled) = match 10i128.checked_pow(*k) {
                    Some(f) => {
                        let lo = self.i128_const(i128::MIN / f);
                        let hi = self.i128_const(i128::MAX / f);
                        let above = self.b.ins().icmp(IntCC::SignedGreaterThanOrEqual, vl, lo);
                        let below = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, vl, hi);
                        let fv = self.i128_const(f);
                        (self.b.ins().band(above, below), self.b.ins().imul(vl, fv))
                    }
                    None => (self.b.ins().icmp(IntCC::Equal, vl, zero), zero),
                };
                let exact = self.b.ins().icmp(int_cc(*op), scaled, vh);
                let by_sign = self.b.ins().icmp(int_cc(*op), vl, zero);
                let c = self.b.ins().select(ok, exact, by_sign);
                let t = self.b.ins().band(p, c);
                let nc = self.not8(c);
                let f = self.b.ins().band(p, nc);
                (t, f)
            }
            RowPred::PresentIs(x, value) => {
                let (_, p) = self.val(x, row, r, env)?;
                let zero = self.b.ins().iconst(types::I8, 0);
                if *value { (p, zero) } else { (zero, p) }
            }
        })
    }

    fn cmp(&mut self, op: CmpOp, ty: VTy, a: Value, b: Value) -> Value {
        match ty {
            VTy::F64 => {
                let cc = match op {
                    CmpOp::Eq => FloatCC::Equal,
                    CmpOp::Ne => FloatCC::NotEqual,
                    CmpOp::Lt => FloatCC::LessThan,
                    CmpOp::Le => FloatCC::LessThanOrEqual,
                    CmpOp::Gt => FloatCC::GreaterThan,
                    CmpOp::Ge => FloatCC::GreaterThanOrEqual,
                };
                self.b.ins().fcmp(cc, a, b)
            }
            VTy::I64 | VTy::Dec(_) => {
                let cc = match op {
                    CmpOp::Eq => IntCC::Equal,
                    CmpOp::Ne => IntCC::NotEqual,
                    CmpOp::Lt => IntCC::SignedLessThan,
                    CmpOp::Le => IntCC::SignedLessThanOrEqual,
                    CmpOp::Gt => IntCC::SignedGreaterThan,
                    CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
                };
                self.b.ins().icmp(cc, a, b)
            }
        }
    }

    fn i128_const(&mut self, v: i128) -> Value {
        let lo = self.b.ins().iconst(types::I64, v as i64);
        let hi = self.b.ins().iconst(types::I64, (v >> 64) as i64);
        self.b.ins().iconcat(lo, hi)
    }

    /// `i128::checked_mul` without a call: the product of the magnitudes in
    /// 64-bit limbs, then the sign. Returns the product and an i8 flag that is
    /// 1 when it did not overflow.
    fn checked_mul_i128(&mut self, x: Value, y: Value) -> (Value, Value) {
        let zero = self.i128_const(0);
        let x_negative = self.b.ins().icmp(IntCC::SignedLessThan, x, zero);
        let y_negative = self.b.ins().icmp(IntCC::SignedLessThan, y, zero);
        let nx = self.b.ins().ineg(x);
        let ny = self.b.ins().ineg(y);
        // |i128::MIN| wraps to itself, which read unsigned is 2^127: right.
        let ax = self.b.ins().select(x_negative, nx, x);
        let ay = self.b.ins().select(y_negative, ny, y);
        let (xl, xh) = self.b.ins().isplit(ax);
        let (yl, yh) = self.b.ins().isplit(ay);
        // Both high limbs set: the product is at least 2^128.
        let xh_set = self.b.ins().icmp_imm_s(IntCC::NotEqual, xh, 0);
        let yh_set = self.b.ins().icmp_imm_s(IntCC::NotEqual, yh, 0);
        let both_high = self.b.ins().band(xh_set, yh_set);
        // The cross terms (at most one is non-zero otherwise) must fit in 64
        // bits, and adding them to the high half of the low product must not
        // carry.
        let cross_a = self.b.ins().imul(xh, yl);
        let cross_a_hi = self.b.ins().umulhi(xh, yl);
        let cross_b = self.b.ins().imul(xl, yh);
        let cross_b_hi = self.b.ins().umulhi(xl, yh);
        let cross_hi = self.b.ins().bor(cross_a_hi, cross_b_hi);
        let cross_too_big = self.b.ins().icmp_imm_s(IntCC::NotEqual, cross_hi, 0);
        let cross = self.b.ins().iadd(cross_a, cross_b);
        let low = self.b.ins().imul(xl, yl);
        let low_hi = self.b.ins().umulhi(xl, yl);
        let (high, carry) = self.b.ins().uadd_overflow(low_hi, cross);
        let magnitude = self.b.ins().iconcat(low, high);
        let negative = self.b.ins().bxor(x_negative, y_negative);
        // A negative product may reach -2^127; a positive one 2^127 - 1.
        let max_positive = self.i128_const(i128::MAX);
        let max_negative = self.i128_const(i128::MIN);
        let limit = self.b.ins().select(negative, max_negative, max_positive);
        let within = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, magnitude, limit);
        let bad = self.b.ins().bor(both_high, cross_too_big);
        let bad = self.b.ins().bor(bad, carry);
        let good = self.not8(bad);
        let ok = self.b.ins().band(good, within);
        let negated = self.b.ins().ineg(magnitude);
        let value = self.b.ins().select(negative, negated, magnitude);
        (value, ok)
    }

    fn one8(&mut self) -> Value {
        self.b.ins().iconst(types::I8, 1)
    }

    /// `lo <= v <= hi` as an i8.
    fn in_range(&mut self, v: Value, lo: i64, hi: i64) -> Value {
        let a = self
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, v, lo);
        let c = self.b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, v, hi);
        self.b.ins().band(a, c)
    }

    /// `v.div_euclid(k)` for a positive constant `k`.
    fn floor_div(&mut self, v: Value, k: i64) -> Value {
        let kv = self.b.ins().iconst(types::I64, k);
        let q = self.b.ins().sdiv(v, kv);
        let back = self.b.ins().imul(q, kv);
        let r = self.b.ins().isub(v, back);
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, r, 0);
        let negative = self.b.ins().uextend(types::I64, negative);
        self.b.ins().isub(q, negative)
    }

    fn not_nan(&mut self, v: Value) -> Value {
        self.b.ins().fcmp(FloatCC::Ordered, v, v)
    }

    /// Emits a value for one row: (value, present as i8 0/1).
    fn val(
        &mut self,
        v: &VNode,
        row: Value,
        r: Value,
        env: &Env,
    ) -> Result<(Value, Value), String> {
        Ok(match v {
            VNode::Missing(ty) => {
                let value = match ty {
                    VTy::F64 => self.b.ins().f64const(0.0),
                    VTy::I64 => self.b.ins().iconst(types::I64, 0),
                    VTy::Dec(_) => {
                        let z = self.b.ins().iconst(types::I64, 0);
                        self.b.ins().iconcat(z, z)
                    }
                };
                (value, self.b.ins().iconst(types::I8, 0))
            }
            VNode::I64(c) => (self.b.ins().iconst(types::I64, *c), self.one8()),
            VNode::F64(c) => (self.b.ins().f64const(*c), self.one8()),
            VNode::Dec(u, _) => (self.i128_const(*u), self.one8()),
            VNode::Col { input, read } => {
                let (ptr, valid) = *env.get(input).ok_or("input not loaded")?;
                let mut p = self.bit(valid, r);
                let value = match read {
                    Read::Int { bytes, signed } => self.load_int(ptr, row, *bytes, *signed),
                    Read::IntAsFloat { bytes, signed } => {
                        let i = self.load_int(ptr, row, *bytes, *signed);
                        if *bytes == 8 && !*signed {
                            self.b.ins().fcvt_from_uint(types::F64, i)
                        } else {
                            self.b.ins().fcvt_from_sint(types::F64, i)
                        }
                    }
                    Read::F32 | Read::F64 => {
                        let (ty, width) = if *read == Read::F32 {
                            (types::F32, 4)
                        } else {
                            (types::F64, 8)
                        };
                        let offset = self.b.ins().imul_imm_s(row, width);
                        let addr = self.b.ins().iadd(ptr, offset);
                        let x = self.b.ins().load(ty, flags(), addr, 0);
                        let x = if *read == Read::F32 {
                            self.b.ins().fpromote(types::F64, x)
                        } else {
                            x
                        };
                        // NaN is missing.
                        let ok = self.not_nan(x);
                        p = self.b.ins().band(p, ok);
                        x
                    }
                    Read::Dec => {
                        let offset = self.b.ins().imul_imm_s(row, 16);
                        let addr = self.b.ins().iadd(ptr, offset);
                        self.b.ins().load(types::I128, flags(), addr, 0)
                    }
                    Read::Date32 => self.load_int(ptr, row, 4, true),
                    Read::Date64 => {
                        let ms = self.load_int(ptr, row, 8, true);
                        let days = self.floor_div(ms, 86_400_000);
                        let ok = self.in_range(days, i64::from(i32::MIN), i64::from(i32::MAX));
                        p = self.b.ins().band(p, ok);
                        days
                    }
                    Read::Ts(unit) => {
                        let x = self.load_int(ptr, row, 8, true);
                        let scale = match unit {
                            ArrowTimeUnit::Second => 1_000_000,
                            ArrowTimeUnit::Millisecond => 1_000,
                            ArrowTimeUnit::Microsecond => 1,
                            ArrowTimeUnit::Nanosecond => 0,
                        };
                        match scale {
                            0 => self.floor_div(x, 1_000),
                            1 => x,
                            k => {
                                // `checked_mul`: out of range is missing.
                                let ok = self.in_range(x, i64::MIN / k, i64::MAX / k);
                                p = self.b.ins().band(p, ok);
                                self.b.ins().imul_imm_s(x, k)
                            }
                        }
                    }
                };
                (value, p)
            }
            VNode::DerivedDec { input, .. } => {
                let (ptr, valid) = *env.get(input).ok_or("input not loaded")?;
                let p = self.bit(valid, r);
                let offset = self.b.ins().imul_imm_s(row, 16);
                let addr = self.b.ins().iadd(ptr, offset);
                (self.b.ins().load(types::I128, flags(), addr, 0), p)
            }
            VNode::Derived { input, float } => {
                let (ptr, valid) = *env.get(input).ok_or("input not loaded")?;
                let p = self.bit(valid, r);
                let offset = self.b.ins().ishl_imm_s(row, 3);
                let addr = self.b.ins().iadd(ptr, offset);
                let ty = if *float { types::F64 } else { types::I64 };
                (self.b.ins().load(ty, flags(), addr, 0), p)
            }
            VNode::IntArith(op, a, b) => {
                let (x, pa) = self.val(a, row, r, env)?;
                let (y, pb) = self.val(b, row, r, env)?;
                let p = self.b.ins().band(pa, pb);
                let (value, ok) = match op {
                    ArithOp::Add | ArithOp::Sub | ArithOp::Mul => {
                        let (value, overflow) = match op {
                            ArithOp::Add => self.b.ins().sadd_overflow(x, y),
                            ArithOp::Sub => self.b.ins().ssub_overflow(x, y),
                            _ => self.b.ins().smul_overflow(x, y),
                        };
                        (value, self.not8(overflow))
                    }
                    _ => {
                        // `checked_rem`: `% 0` and `MIN % -1` are missing; a
                        // divisor of 1 stands in for them so nothing traps
                        // (x % -1 is 0, as x % 1).
                        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
                        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, y, -1);
                        let unsafe_divisor = self.b.ins().bor(zero, minus_one);
                        let one = self.b.ins().iconst(types::I64, 1);
                        let divisor = self.b.ins().select(unsafe_divisor, one, y);
                        let value = self.b.ins().srem(x, divisor);
                        let min = self.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                        let overflow = self.b.ins().band(min, minus_one);
                        let bad = self.b.ins().bor(zero, overflow);
                        (value, self.not8(bad))
                    }
                };
                (value, self.b.ins().band(p, ok))
            }
            VNode::FloatArith(op, a, b) => {
                let (x, pa) = self.val(a, row, r, env)?;
                let (y, pb) = self.val(b, row, r, env)?;
                let mut p = self.b.ins().band(pa, pb);
                let value = match op {
                    ArithOp::Add => self.b.ins().fadd(x, y),
                    ArithOp::Sub => self.b.ins().fsub(x, y),
                    ArithOp::Mul => self.b.ins().fmul(x, y),
                    _ => {
                        let zero = self.b.ins().f64const(0.0);
                        let nonzero = self.b.ins().fcmp(FloatCC::NotEqual, y, zero);
                        p = self.b.ins().band(p, nonzero);
                        self.b.ins().fdiv(x, y)
                    }
                };
                let ok = self.not_nan(value);
                (value, self.b.ins().band(p, ok))
            }
            VNode::IntNeg(a) | VNode::IntAbs(a) => {
                let (x, p) = self.val(a, row, r, env)?;
                let value = if matches!(v, VNode::IntNeg(_)) {
                    self.b.ins().ineg(x)
                } else {
                    self.b.ins().iabs(x)
                };
                let ok = self.b.ins().icmp_imm_s(IntCC::NotEqual, x, i64::MIN);
                (value, self.b.ins().band(p, ok))
            }
            VNode::FloatNeg(a) => {
                let (x, p) = self.val(a, row, r, env)?;
                (self.b.ins().fneg(x), p)
            }
            VNode::FloatAbs(a) => {
                let (x, p) = self.val(a, row, r, env)?;
                (self.b.ins().fabs(x), p)
            }
            VNode::Coalesce(_, items) => {
                let mut values = Vec::new();
                for item in items {
                    values.push(self.val(item, row, r, env)?);
                }
                let Some(&(mut value, mut p)) = values.last() else {
                    return Err("`coalesce` without arguments".into());
                };
                for &(vi, pi) in values.iter().rev().skip(1) {
                    value = self.b.ins().select(pi, vi, value);
                    p = self.b.ins().bor(pi, p);
                }
                (value, p)
            }
            VNode::IntToFloat(a) => {
                let (x, p) = self.val(a, row, r, env)?;
                (self.b.ins().fcvt_from_sint(types::F64, x), p)
            }
            VNode::DecRescale(a, by) | VNode::DecUnscale(a, by) => {
                let (x, p) = self.val(a, row, r, env)?;
                match 10i128.checked_pow(*by) {
                    Some(k) => {
                        // `checked_mul` by a positive constant: in range iff
                        // MIN / k <= x <= MAX / k (truncating division).
                        let lo = self.i128_const(i128::MIN / k);
                        let hi = self.i128_const(i128::MAX / k);
                        let above = self.b.ins().icmp(IntCC::SignedGreaterThanOrEqual, x, lo);
                        let below = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, x, hi);
                        let ok = self.b.ins().band(above, below);
                        let kv = self.i128_const(k);
                        let value = self.b.ins().imul(x, kv);
                        (value, self.b.ins().band(p, ok))
                    }
                    // Only zero survives a factor beyond 128 bits.
                    None => {
                        let zero = self.i128_const(0);
                        let ok = self.b.ins().icmp(IntCC::Equal, x, zero);
                        (zero, self.b.ins().band(p, ok))
                    }
                }
            }
            VNode::DecArith(op, a, b) => {
                let (x, pa) = self.val(a, row, r, env)?;
                let (y, pb) = self.val(b, row, r, env)?;
                let p = self.b.ins().band(pa, pb);
                // Two's complement overflow: for `+` the operands share a sign
                // the result lacks; for `-` they differ and the result's sign
                // differs from the minuend's.
                let (value, overflow_bits) = if *op == ArithOp::Sub {
                    let value = self.b.ins().isub(x, y);
                    let xy = self.b.ins().bxor(x, y);
                    let xv = self.b.ins().bxor(x, value);
                    (value, self.b.ins().band(xy, xv))
                } else {
                    let value = self.b.ins().iadd(x, y);
                    let xv = self.b.ins().bxor(x, value);
                    let yv = self.b.ins().bxor(y, value);
                    (value, self.b.ins().band(xv, yv))
                };
                let zero = self.i128_const(0);
                let ok = self
                    .b
                    .ins()
                    .icmp(IntCC::SignedGreaterThanOrEqual, overflow_bits, zero);
                (value, self.b.ins().band(p, ok))
            }
            VNode::DecMul(a, b) => {
                let (x, pa) = self.val(a, row, r, env)?;
                let (y, pb) = self.val(b, row, r, env)?;
                let p = self.b.ins().band(pa, pb);
                let (value, ok) = self.checked_mul_i128(x, y);
                (value, self.b.ins().band(p, ok))
            }
            VNode::DecNeg(a) | VNode::DecAbs(a) => {
                let (x, p) = self.val(a, row, r, env)?;
                let negated = self.b.ins().ineg(x);
                let value = if matches!(v, VNode::DecNeg(_)) {
                    negated
                } else {
                    let zero = self.i128_const(0);
                    let negative = self.b.ins().icmp(IntCC::SignedLessThan, x, zero);
                    self.b.ins().select(negative, negated, x)
                };
                let min = self.i128_const(i128::MIN);
                let ok = self.b.ins().icmp(IntCC::NotEqual, x, min);
                (value, self.b.ins().band(p, ok))
            }
            VNode::IntToDec(a) => {
                let (x, p) = self.val(a, row, r, env)?;
                (self.b.ins().sextend(types::I128, x), p)
            }
            VNode::DateToTs(a) => {
                let (x, p) = self.val(a, row, r, env)?;
                let ok = self.in_range(x, i64::MIN / DAY, i64::MAX / DAY);
                let value = self.b.ins().imul_imm_s(x, DAY);
                (value, self.b.ins().band(p, ok))
            }
            VNode::DaysSinceTs(as_of, a) => {
                let (x, p) = self.val(a, row, r, env)?;
                let now = self.b.ins().iconst(types::I64, *as_of);
                let (d, overflow) = self.b.ins().ssub_overflow(now, x);
                let ok = self.not8(overflow);
                let value = self.floor_div(d, DAY);
                (value, self.b.ins().band(p, ok))
            }
            VNode::DaysSinceDate(today, a) => {
                let (x, p) = self.val(a, row, r, env)?;
                let today = self.b.ins().iconst(types::I64, *today);
                (self.b.ins().isub(today, x), p)
            }
        })
    }
}
