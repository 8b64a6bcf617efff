//! Structural identity of expressions: two expressions are *the same* when
//! they have the same kind, the same type and the same children, wherever
//! they were written. The optimizer uses this to find duplicate operands,
//! absorbed terms, bounds on one term and subexpressions several segments
//! share, without printing anything.
//!
//! [`Shape`] wraps an expression and implements [`Eq`] and [`Hash`] by
//! structure, so it can key a `HashMap` or a `HashSet`:
//! - spans are ignored;
//! - the type of every node is compared (through `Type`'s own `Eq`/`Hash`);
//! - constants compare as written: floats by bit pattern (so a NaN key equals
//!   itself and `0.0` and `-0.0` are two keys), decimals by unscaled value and
//!   scale (`1.5` and `1.50` are two keys). Whether two constants denote the
//!   same *value* is a question for the evaluator's comparisons, not for
//!   identity.
//!
//! Equality and hashing are both defined through one description of a node
//! (its variant, scalar attributes and child counts) and its children, each
//! written over every variant of [`ExprKind`] and [`Const`] without a
//! catch-all arm, so a new variant is a compile error until it says what
//! identity means for it.

use crate::{
    AggFunc, ArithOp, CmpOp, Const, Duration, Expr, ExprKind, FieldId, Func, ListQuantifier,
    ParamId, Relative, SegmentId, StrOp, TimeUnit,
};
use std::hash::{Hash, Hasher};

/// An expression compared and hashed by structure, ignoring spans (see the
/// module documentation).
///
/// Comparing two shapes costs at most the size of the smaller expression and
/// stops at the first difference; hashing costs the size of the expression,
/// so callers hash each expression once and keep the key.
///
/// ```
/// use seg_diagnostics::Span;
/// use seg_ir::identity::Shape;
/// use seg_ir::{Const, Expr, ExprKind, Type};
///
/// let one = |start: u32| Expr {
///     kind: ExprKind::Const(Const::Int(1)),
///     ty: Type::Int,
///     span: Span { file: seg_diagnostics::FileId(0), start, end: start + 1 },
/// };
/// let (a, b) = (one(0), one(7));
/// assert_eq!(Shape(&a), Shape(&b));
/// let set: std::collections::HashSet<Shape<'_>> = [Shape(&a), Shape(&b)].into();
/// assert_eq!(set.len(), 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Shape<'a>(pub &'a Expr);

impl PartialEq for Shape<'_> {
    fn eq(&self, other: &Self) -> bool {
        same_expr(self.0, other.0)
    }
}

impl Eq for Shape<'_> {}

impl Hash for Shape<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_expr(self.0, state);
    }
}

/// Are two expressions the same up to spans? (The equality of [`Shape`].)
pub fn same_expr(a: &Expr, b: &Expr) -> bool {
    if std::ptr::eq(a, b) {
        return true;
    }
    // Equal local parts carry equal child counts, so the children line up.
    a.ty == b.ty
        && Local::of(a) == Local::of(b)
        && children(a).zip(children(b)).all(|(x, y)| same_expr(x, y))
}

/// Are two constants written the same? Floats compare by bit pattern and
/// decimals by unscaled value and scale (see the module documentation).
pub fn same_const(a: &Const, b: &Const) -> bool {
    ConstKey::of(a) == ConstKey::of(b)
}

fn hash_expr<H: Hasher>(e: &Expr, state: &mut H) {
    e.ty.hash(state);
    Local::of(e).hash(state);
    for child in children(e) {
        hash_expr(child, state);
    }
}

/// A node's children, in a fixed order: the single operands, then the
/// operand list, then the optional list param (see [`Expr::parts`]).
fn children(e: &Expr) -> impl Iterator<Item = &Expr> {
    let (singles, list, param) = e.parts();
    singles.into_iter().flatten().chain(list).chain(param)
}

/// What identifies a node apart from its children and type: its variant, its
/// scalar attributes and how many children of each kind it has. Equality and
/// hashing of expressions are both defined through it, so they cannot
/// disagree.
#[derive(PartialEq, Eq, Hash)]
enum Local<'a> {
    Const(ConstKey<'a>),
    Field(FieldId),
    Param(ParamId),
    Segment(SegmentId),
    Relative(Relative),
    Duration(TimeUnit),
    Ago(Relative),
    Cast,
    Not,
    Neg,
    And(usize),
    Or(usize),
    Compare(CmpOp),
    Arith(ArithOp),
    InList {
        negated: bool,
        list: usize,
        param: bool,
    },
    Between(bool),
    IsMissing(bool),
    StrPred(StrOp, bool),
    ListContains {
        quantifier: ListQuantifier,
        values: usize,
        param: bool,
    },
    Within,
    Call(Func, usize),
    Aggregate {
        func: AggFunc,
        value: Option<usize>,
        filter: bool,
    },
    Element(usize),
}

impl<'a> Local<'a> {
    fn of(e: &'a Expr) -> Local<'a> {
        match &e.kind {
            ExprKind::Const(c) => Local::Const(ConstKey::of(c)),
            ExprKind::Field(id) => Local::Field(*id),
            ExprKind::Param(id) => Local::Param(*id),
            ExprKind::Segment(id) => Local::Segment(*id),
            ExprKind::Relative(r) => Local::Relative(*r),
            ExprKind::Duration { unit, .. } => Local::Duration(*unit),
            ExprKind::Ago { base, .. } => Local::Ago(*base),
            ExprKind::Cast(_) => Local::Cast,
            ExprKind::Not(_) => Local::Not,
            ExprKind::Neg(_) => Local::Neg,
            ExprKind::And(items) => Local::And(items.len()),
            ExprKind::Or(items) => Local::Or(items.len()),
            ExprKind::Compare { op, .. } => Local::Compare(*op),
            ExprKind::Arith { op, .. } => Local::Arith(*op),
            ExprKind::InList {
                list,
                list_param,
                negated,
                ..
            } => Local::InList {
                negated: *negated,
                list: list.len(),
                param: list_param.is_some(),
            },
            ExprKind::Between { negated, .. } => Local::Between(*negated),
            ExprKind::IsMissing { negated, .. } => Local::IsMissing(*negated),
            ExprKind::StrPred { op, negated, .. } => Local::StrPred(*op, *negated),
            ExprKind::ListContains {
                quantifier,
                values,
                values_param,
                ..
            } => Local::ListContains {
                quantifier: *quantifier,
                values: values.len(),
                param: values_param.is_some(),
            },
            ExprKind::Within { .. } => Local::Within,
            ExprKind::Call { func, args } => Local::Call(*func, args.len()),
            ExprKind::Aggregate {
                func,
                value,
                filter,
                ..
            } => Local::Aggregate {
                func: *func,
                value: *value,
                filter: filter.is_some(),
            },
            ExprKind::Element(index) => Local::Element(*index),
        }
    }
}

/// A constant as written: floats by bit pattern, decimals by unscaled value
/// and scale.
#[derive(PartialEq, Eq, Hash)]
enum ConstKey<'a> {
    Int(i64),
    Float(u64),
    Decimal(i128, u8),
    Bool(bool),
    String(&'a str),
    Date(i32),
    Timestamp(i64),
    ListString(&'a [String]),
    ListInt(&'a [i64]),
    Duration(Duration),
    /// A test's history, by its text (never in a condition, so never hot).
    Records(String),
}

impl<'a> ConstKey<'a> {
    fn of(c: &'a Const) -> ConstKey<'a> {
        match c {
            Const::Int(v) => ConstKey::Int(*v),
            Const::Float(v) => ConstKey::Float(v.to_bits()),
            Const::Decimal { unscaled, scale } => ConstKey::Decimal(*unscaled, *scale),
            Const::Bool(v) => ConstKey::Bool(*v),
            Const::String(v) => ConstKey::String(v),
            Const::Date(v) => ConstKey::Date(*v),
            Const::Timestamp(v) => ConstKey::Timestamp(*v),
            Const::ListString(v) => ConstKey::ListString(v),
            Const::ListInt(v) => ConstKey::ListInt(v),
            Const::Duration(v) => ConstKey::Duration(*v),
            c @ Const::Records { .. } => ConstKey::Records(crate::const_text(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CmpOp, FieldId, Type};
    use seg_diagnostics::{FileId, Span};
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    fn span(start: u32) -> Span {
        Span {
            file: FileId(0),
            start,
            end: start + 1,
        }
    }

    fn leaf(kind: ExprKind, ty: Type, at: u32) -> Expr {
        Expr {
            kind,
            ty,
            span: span(at),
        }
    }

    fn float(v: f64, at: u32) -> Expr {
        leaf(ExprKind::Const(Const::Float(v)), Type::Float, at)
    }

    fn field_gt(value: Expr, at: u32) -> Expr {
        leaf(
            ExprKind::Compare {
                op: CmpOp::Gt,
                lhs: Box::new(leaf(ExprKind::Field(FieldId(0)), value.ty.clone(), at + 1)),
                rhs: Box::new(value),
            },
            Type::Bool,
            at,
        )
    }

    #[test]
    fn spans_are_ignored_at_every_depth() {
        let a = field_gt(float(1.5, 10), 0);
        let b = field_gt(float(1.5, 90), 40);
        assert_eq!(Shape(&a), Shape(&b));
        let state = std::collections::hash_map::RandomState::new();
        assert_eq!(state.hash_one(Shape(&a)), state.hash_one(Shape(&b)));
        let set: HashSet<Shape<'_>> = [Shape(&a), Shape(&b)].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn floats_compare_by_bit_pattern() {
        assert_eq!(Shape(&float(f64::NAN, 0)), Shape(&float(f64::NAN, 5)));
        assert_ne!(Shape(&float(0.0, 0)), Shape(&float(-0.0, 0)));
        assert_ne!(Shape(&float(1.0, 0)), Shape(&float(1.5, 0)));
        let nan = field_gt(float(f64::NAN, 3), 0);
        let set: HashSet<Shape<'_>> = [Shape(&nan), Shape(&nan)].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn decimals_compare_as_written() {
        let d = |unscaled, scale| {
            leaf(
                ExprKind::Const(Const::Decimal { unscaled, scale }),
                Type::Decimal,
                0,
            )
        };
        assert_eq!(Shape(&d(15, 1)), Shape(&d(15, 1)));
        assert_ne!(Shape(&d(15, 1)), Shape(&d(150, 2)));
    }

    #[test]
    fn types_and_kinds_are_compared() {
        let int = leaf(ExprKind::Field(FieldId(0)), Type::Int, 0);
        let float_field = leaf(ExprKind::Field(FieldId(0)), Type::Float, 0);
        assert_ne!(Shape(&int), Shape(&float_field));
        let cast = leaf(ExprKind::Cast(Box::new(int.clone())), Type::Float, 0);
        assert_ne!(Shape(&cast), Shape(&float_field));
        let other = leaf(ExprKind::Field(FieldId(1)), Type::Int, 0);
        assert_ne!(Shape(&int), Shape(&other));
        let param = leaf(ExprKind::Param(crate::ParamId(0)), Type::Int, 0);
        assert_ne!(Shape(&int), Shape(&param));
    }

    #[test]
    fn operand_lists_compare_by_order_and_length() {
        let a = field_gt(float(1.0, 0), 0);
        let b = field_gt(float(2.0, 0), 0);
        let and = |items: Vec<Expr>| leaf(ExprKind::And(items), Type::Bool, 0);
        let ab = and(vec![a.clone(), b.clone()]);
        let ba = and(vec![b.clone(), a.clone()]);
        let aba = and(vec![a.clone(), b.clone(), a.clone()]);
        assert_ne!(Shape(&ab), Shape(&ba));
        assert_ne!(Shape(&ab), Shape(&aba));
        assert_eq!(Shape(&ab), Shape(&and(vec![a.clone(), b.clone()])));
        let or = leaf(ExprKind::Or(vec![a, b]), Type::Bool, 0);
        assert_ne!(Shape(&ab), Shape(&or));
    }
}
