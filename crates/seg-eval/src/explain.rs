//! Explaining one profile's verdict: a segment's `where` and `exclude` as a
//! tree of conditions, each with the three-valued value it took on the
//! profile, and which operands decided each value.
//!
//! Every value here is computed by `Frame::eval`, the function
//! [`Evaluator::evaluate`](crate::Evaluator::evaluate) uses, applied to the
//! node itself: there is no second semantics that could drift from the
//! oracle. Only the choice of *which* operand decided is made here, and it
//! follows the Kleene rules `kleene_and`/`kleene_or` apply (see
//! docs/semantics.md, "Why a profile is or is not a member"):
//! - `and` is false because of its first false operand, unknown because of
//!   its first unknown operand (there was no false one), and true because
//!   of all of its operands together;
//! - `or` is true because of its first true operand, unknown because of its
//!   first unknown operand (there was no true one), and false because of
//!   all of its operands together;
//! - `not` is decided by its operand.

use crate::column::Col;
use crate::eval::{Frame, Internal};
use seg_diagnostics::Span;
use seg_ir::{Const, Expr, ExprKind, Program, SegmentId};

/// One condition of a segment's `where` or `exclude`, with its value on the
/// explained profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The condition as Seg text, rendered by `seg_ir::expr_text` from the
    /// program as checked (not optimized), so that it reads like the source.
    pub text: String,
    /// Where it is written.
    pub span: Span,
    /// Its value: `Some(true)`, `Some(false)`, or `None` for unknown.
    pub truth: Option<bool>,
    /// What kind of condition it is.
    pub kind: NodeKind,
    /// Whether this node is one of the operands that decided its parent's
    /// value (always true for a root).
    pub decides: bool,
    /// The operands of `and`, `or` and `not`; empty for other conditions.
    pub children: Vec<Node>,
    /// The aggregates over event histories the condition compares, with the
    /// value each took (`count(orders) = 3`), outermost first; `None` is
    /// missing (`sum` over no records).
    pub aggregates: Vec<(String, Option<Const>)>,
}

/// The kinds of [`Node`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// `a and b and …`.
    And,
    /// `a or b or …`.
    Or,
    /// `not a`.
    Not,
    /// A reference to another segment: its membership (never unknown).
    Segment(SegmentId),
    /// Any other condition (a comparison, `in`, `is missing`, …): a leaf.
    Predicate,
}

impl Node {
    /// The clause that decided this node's value: follow the deciding
    /// operand down while exactly one operand decided. A node whose value
    /// took all of its operands (a true `and`, a false `or`) is its own
    /// deciding clause.
    pub fn deciding(&self) -> &Node {
        let mut node = self;
        loop {
            let mut deciding = node.children.iter().filter(|c| c.decides);
            match (deciding.next(), deciding.next()) {
                (Some(only), None) => node = only,
                _ => return node,
            }
        }
    }
}

/// A segment's verdict on one profile, explained.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The segment.
    pub segment: SegmentId,
    /// Whether the profile is a member (by [`crate::is_member`], the rule
    /// every engine applies).
    pub member: bool,
    /// The `where` condition's tree.
    pub where_: Node,
    /// The `exclude` condition's tree, when the segment has one.
    pub exclude: Option<Node>,
}

impl Explanation {
    /// Whether `exclude` removed a profile `where` let in.
    pub fn excluded(&self) -> bool {
        self.where_.truth == Some(true)
            && self.exclude.as_ref().is_some_and(|x| x.truth == Some(true))
    }

    /// The condition that decided the verdict: the `exclude` tree's deciding
    /// clause when `exclude` removed the profile, the `where` tree's
    /// otherwise.
    pub fn deciding(&self) -> &Node {
        match &self.exclude {
            Some(exclude) if self.excluded() => exclude.deciding(),
            _ => self.where_.deciding(),
        }
    }
}

/// Which operands decided a node of `kind` whose operands took `operands`
/// and which itself took `result` (the rule in the module's documentation).
pub fn deciding_operands(
    kind: NodeKind,
    operands: &[Option<bool>],
    result: Option<bool>,
) -> Vec<bool> {
    let first = |wanted: Option<bool>| {
        let mut found = false;
        operands
            .iter()
            .map(|&v| {
                let hit = !found && v == wanted;
                found |= hit;
                hit
            })
            .collect()
    };
    match (kind, result) {
        (NodeKind::And, Some(false)) | (NodeKind::Or, Some(true)) => first(result),
        (NodeKind::And | NodeKind::Or, None) => first(None),
        _ => vec![true; operands.len()],
    }
}

/// The value of row 0 of a column as a constant (`None` when missing or a
/// list).
fn first_value(col: &Col<'_>) -> Option<Const> {
    Some(match col {
        Col::Bool(v) => Const::Bool((*v.first()?)?),
        Col::Int(v) => Const::Int((*v.first()?)?),
        Col::Float(v) => Const::Float((*v.first()?)?),
        Col::Decimal(v, s) => Const::Decimal {
            unscaled: (*v.first()?)?,
            scale: u8::try_from(*s).ok()?,
        },
        Col::Str(v) => Const::String(v.first()?.as_ref()?.to_string()),
        Col::Date(v) => Const::Date((*v.first()?)?),
        Col::Timestamp(v) => Const::Timestamp((*v.first()?)?),
        Col::ListStr(_) | Col::ListInt(_) => return None,
    })
}

impl Frame<'_, '_> {
    /// The explained tree of the boolean expression `e` over a batch of one
    /// row.
    pub(crate) fn explain(&mut self, program: &Program, e: &Expr) -> Result<Node, Internal> {
        let truth = match self.eval(e)? {
            Col::Bool(v) => v.first().copied().flatten(),
            other => {
                return Err(Internal(format!(
                    "explaining a condition that is not a bool: {other:?}"
                )));
            }
        };
        let (kind, operands): (NodeKind, &[Expr]) = match &e.kind {
            ExprKind::And(ops) => (NodeKind::And, ops),
            ExprKind::Or(ops) => (NodeKind::Or, ops),
            ExprKind::Not(inner) => (NodeKind::Not, std::slice::from_ref(&**inner)),
            ExprKind::Segment(id) => (NodeKind::Segment(*id), &[]),
            _ => (NodeKind::Predicate, &[]),
        };
        let mut children = operands
            .iter()
            .map(|op| self.explain(program, op))
            .collect::<Result<Vec<_>, _>>()?;
        let truths: Vec<Option<bool>> = children.iter().map(|c| c.truth).collect();
        for (child, decides) in children
            .iter_mut()
            .zip(deciding_operands(kind, &truths, truth))
        {
            child.decides = decides;
        }
        let mut aggregates = Vec::new();
        // An aggregate that is the condition itself (`any(orders)`) shows
        // its value as the node's.
        if kind == NodeKind::Predicate && !matches!(e.kind, ExprKind::Aggregate { .. }) {
            self.aggregates_of(program, e, &mut aggregates)?;
        }
        Ok(Node {
            text: seg_ir::expr_text(program, e),
            span: e.span,
            truth,
            kind,
            decides: true,
            children,
            aggregates,
        })
    }

    /// The aggregates `e` reads, outside any aggregate's filter (which is in
    /// the record scope), with their values.
    fn aggregates_of(
        &mut self,
        program: &Program,
        e: &Expr,
        out: &mut Vec<(String, Option<Const>)>,
    ) -> Result<(), Internal> {
        if let ExprKind::Aggregate { .. } = e.kind {
            let value = first_value(&self.eval(e)?);
            out.push((seg_ir::expr_text(program, e), value));
            return Ok(());
        }
        let (singles, list, param) = e.parts();
        for child in singles.into_iter().flatten().chain(list).chain(param) {
            self.aggregates_of(program, child, out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_is_decided_by_its_first_false_then_its_first_unknown() {
        let and = NodeKind::And;
        assert_eq!(
            deciding_operands(
                and,
                &[Some(true), None, Some(false), Some(false)],
                Some(false)
            ),
            [false, false, true, false]
        );
        assert_eq!(
            deciding_operands(and, &[Some(true), None, None], None),
            [false, true, false]
        );
        assert_eq!(
            deciding_operands(and, &[Some(true), Some(true)], Some(true)),
            [true, true]
        );
    }

    #[test]
    fn or_is_decided_by_its_first_true_then_its_first_unknown() {
        let or = NodeKind::Or;
        assert_eq!(
            deciding_operands(or, &[None, Some(false), Some(true), Some(true)], Some(true)),
            [false, false, true, false]
        );
        assert_eq!(
            deciding_operands(or, &[Some(false), None], None),
            [false, true]
        );
        assert_eq!(
            deciding_operands(or, &[Some(false), Some(false)], Some(false)),
            [true, true]
        );
        assert_eq!(deciding_operands(NodeKind::Not, &[None], None), [true]);
    }
}
