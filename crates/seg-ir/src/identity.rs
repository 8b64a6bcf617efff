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
//! Equality and hashing are written over every variant of [`ExprKind`] and
//! [`Const`] without a catch-all arm, so a new variant is a compile error here
//! until it says what identity means for it.

use crate::{Const, Expr, ExprKind};
use std::hash::{Hash, Hasher};
use std::mem::discriminant;

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
    if a.ty != b.ty || discriminant(&a.kind) != discriminant(&b.kind) {
        return false;
    }
    // Each arm reads `b` as the variant `a` is; the discriminants are equal,
    // so the `else` branches only exist to satisfy the pattern.
    match &a.kind {
        ExprKind::Const(x) => matches!(&b.kind, ExprKind::Const(y) if same_const(x, y)),
        ExprKind::Field(x) => matches!(&b.kind, ExprKind::Field(y) if x == y),
        ExprKind::Param(x) => matches!(&b.kind, ExprKind::Param(y) if x == y),
        ExprKind::Segment(x) => matches!(&b.kind, ExprKind::Segment(y) if x == y),
        ExprKind::Relative(x) => matches!(&b.kind, ExprKind::Relative(y) if x == y),
        ExprKind::Duration { amount, unit } => {
            let ExprKind::Duration {
                amount: amount2,
                unit: unit2,
            } = &b.kind
            else {
                return false;
            };
            unit == unit2 && same_expr(amount, amount2)
        }
        ExprKind::Ago { base, duration } => {
            let ExprKind::Ago {
                base: base2,
                duration: duration2,
            } = &b.kind
            else {
                return false;
            };
            base == base2 && same_expr(duration, duration2)
        }
        ExprKind::Cast(x) => matches!(&b.kind, ExprKind::Cast(y) if same_expr(x, y)),
        ExprKind::Not(x) => matches!(&b.kind, ExprKind::Not(y) if same_expr(x, y)),
        ExprKind::Neg(x) => matches!(&b.kind, ExprKind::Neg(y) if same_expr(x, y)),
        ExprKind::And(xs) => matches!(&b.kind, ExprKind::And(ys) if same_exprs(xs, ys)),
        ExprKind::Or(xs) => matches!(&b.kind, ExprKind::Or(ys) if same_exprs(xs, ys)),
        ExprKind::Compare { op, lhs, rhs } => {
            let ExprKind::Compare {
                op: op2,
                lhs: lhs2,
                rhs: rhs2,
            } = &b.kind
            else {
                return false;
            };
            op == op2 && same_expr(lhs, lhs2) && same_expr(rhs, rhs2)
        }
        ExprKind::Arith { op, lhs, rhs } => {
            let ExprKind::Arith {
                op: op2,
                lhs: lhs2,
                rhs: rhs2,
            } = &b.kind
            else {
                return false;
            };
            op == op2 && same_expr(lhs, lhs2) && same_expr(rhs, rhs2)
        }
        ExprKind::InList {
            expr,
            list,
            list_param,
            negated,
        } => {
            let ExprKind::InList {
                expr: expr2,
                list: list2,
                list_param: list_param2,
                negated: negated2,
            } = &b.kind
            else {
                return false;
            };
            negated == negated2
                && same_expr(expr, expr2)
                && same_exprs(list, list2)
                && same_optional(list_param.as_deref(), list_param2.as_deref())
        }
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => {
            let ExprKind::Between {
                expr: expr2,
                lo: lo2,
                hi: hi2,
                negated: negated2,
            } = &b.kind
            else {
                return false;
            };
            negated == negated2
                && same_expr(expr, expr2)
                && same_expr(lo, lo2)
                && same_expr(hi, hi2)
        }
        ExprKind::IsMissing { expr, negated } => {
            let ExprKind::IsMissing {
                expr: expr2,
                negated: negated2,
            } = &b.kind
            else {
                return false;
            };
            negated == negated2 && same_expr(expr, expr2)
        }
        ExprKind::StrPred {
            op,
            target,
            pattern,
            negated,
        } => {
            let ExprKind::StrPred {
                op: op2,
                target: target2,
                pattern: pattern2,
                negated: negated2,
            } = &b.kind
            else {
                return false;
            };
            op == op2
                && negated == negated2
                && same_expr(target, target2)
                && same_expr(pattern, pattern2)
        }
        ExprKind::ListContains {
            list,
            quantifier,
            values,
            values_param,
        } => {
            let ExprKind::ListContains {
                list: list2,
                quantifier: quantifier2,
                values: values2,
                values_param: values_param2,
            } = &b.kind
            else {
                return false;
            };
            quantifier == quantifier2
                && same_expr(list, list2)
                && same_exprs(values, values2)
                && same_optional(values_param.as_deref(), values_param2.as_deref())
        }
        ExprKind::Within { expr, duration } => {
            let ExprKind::Within {
                expr: expr2,
                duration: duration2,
            } = &b.kind
            else {
                return false;
            };
            same_expr(expr, expr2) && same_expr(duration, duration2)
        }
        ExprKind::Call { func, args } => {
            let ExprKind::Call {
                func: func2,
                args: args2,
            } = &b.kind
            else {
                return false;
            };
            func == func2 && same_exprs(args, args2)
        }
    }
}

fn same_exprs(a: &[Expr], b: &[Expr]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_expr(x, y))
}

fn same_optional(a: Option<&Expr>, b: Option<&Expr>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => same_expr(x, y),
        (None, None) => true,
        (Some(_), None) | (None, Some(_)) => false,
    }
}

/// Are two constants written the same? Floats compare by bit pattern and
/// decimals by unscaled value and scale (see the module documentation).
pub fn same_const(a: &Const, b: &Const) -> bool {
    match a {
        Const::Int(x) => matches!(b, Const::Int(y) if x == y),
        Const::Float(x) => matches!(b, Const::Float(y) if x.to_bits() == y.to_bits()),
        Const::Decimal { unscaled, scale } => matches!(
            b,
            Const::Decimal { unscaled: u, scale: s } if unscaled == u && scale == s
        ),
        Const::Bool(x) => matches!(b, Const::Bool(y) if x == y),
        Const::String(x) => matches!(b, Const::String(y) if x == y),
        Const::Date(x) => matches!(b, Const::Date(y) if x == y),
        Const::Timestamp(x) => matches!(b, Const::Timestamp(y) if x == y),
        Const::ListString(x) => matches!(b, Const::ListString(y) if x == y),
        Const::ListInt(x) => matches!(b, Const::ListInt(y) if x == y),
        Const::Duration(x) => matches!(b, Const::Duration(y) if x == y),
    }
}

fn hash_expr<H: Hasher>(e: &Expr, state: &mut H) {
    e.ty.hash(state);
    discriminant(&e.kind).hash(state);
    match &e.kind {
        ExprKind::Const(c) => hash_const(c, state),
        ExprKind::Field(id) => id.hash(state),
        ExprKind::Param(id) => id.hash(state),
        ExprKind::Segment(id) => id.hash(state),
        ExprKind::Relative(r) => r.hash(state),
        ExprKind::Duration { amount, unit } => {
            unit.hash(state);
            hash_expr(amount, state);
        }
        ExprKind::Ago { base, duration } => {
            base.hash(state);
            hash_expr(duration, state);
        }
        ExprKind::Cast(x) | ExprKind::Not(x) | ExprKind::Neg(x) => hash_expr(x, state),
        ExprKind::And(items) | ExprKind::Or(items) => hash_exprs(items, state),
        ExprKind::Compare { op, lhs, rhs } => {
            op.hash(state);
            hash_expr(lhs, state);
            hash_expr(rhs, state);
        }
        ExprKind::Arith { op, lhs, rhs } => {
            op.hash(state);
            hash_expr(lhs, state);
            hash_expr(rhs, state);
        }
        ExprKind::InList {
            expr,
            list,
            list_param,
            negated,
        } => {
            negated.hash(state);
            hash_expr(expr, state);
            hash_exprs(list, state);
            hash_optional(list_param.as_deref(), state);
        }
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => {
            negated.hash(state);
            hash_expr(expr, state);
            hash_expr(lo, state);
            hash_expr(hi, state);
        }
        ExprKind::IsMissing { expr, negated } => {
            negated.hash(state);
            hash_expr(expr, state);
        }
        ExprKind::StrPred {
            op,
            target,
            pattern,
            negated,
        } => {
            op.hash(state);
            negated.hash(state);
            hash_expr(target, state);
            hash_expr(pattern, state);
        }
        ExprKind::ListContains {
            list,
            quantifier,
            values,
            values_param,
        } => {
            quantifier.hash(state);
            hash_expr(list, state);
            hash_exprs(values, state);
            hash_optional(values_param.as_deref(), state);
        }
        ExprKind::Within { expr, duration } => {
            hash_expr(expr, state);
            hash_expr(duration, state);
        }
        ExprKind::Call { func, args } => {
            func.hash(state);
            hash_exprs(args, state);
        }
    }
}

fn hash_exprs<H: Hasher>(items: &[Expr], state: &mut H) {
    // The length keeps `[a, b], [c]` and `[a], [b, c]` apart when two lists
    // are hashed one after the other.
    items.len().hash(state);
    for item in items {
        hash_expr(item, state);
    }
}

fn hash_optional<H: Hasher>(e: Option<&Expr>, state: &mut H) {
    match e {
        Some(x) => {
            true.hash(state);
            hash_expr(x, state);
        }
        None => false.hash(state),
    }
}

fn hash_const<H: Hasher>(c: &Const, state: &mut H) {
    discriminant(c).hash(state);
    match c {
        Const::Int(v) => v.hash(state),
        Const::Float(v) => v.to_bits().hash(state),
        Const::Decimal { unscaled, scale } => {
            unscaled.hash(state);
            scale.hash(state);
        }
        Const::Bool(v) => v.hash(state),
        Const::String(v) => v.hash(state),
        Const::Date(v) => v.hash(state),
        Const::Timestamp(v) => v.hash(state),
        Const::ListString(v) => v.hash(state),
        Const::ListInt(v) => v.hash(state),
        Const::Duration(v) => v.hash(state),
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
