//! The per-field ranges a row must satisfy to be a member of some reported
//! segment, for `seg explain`: a necessary condition read off the compiled
//! conditions (conjunctions intersect, disjunctions take the hull, negations
//! flip comparisons), rendered as intervals.

use crate::analysis::Node;
use crate::value::Scalar;
use seg_ir::{CmpOp, FieldId, SegmentId, Type};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One end of an interval: the value and whether it is included.
type End = Option<(Scalar, bool)>;

#[derive(Clone, Debug, PartialEq)]
struct Interval {
    lo: End,
    hi: End,
}

/// Necessary intervals by field; a field not listed is unconstrained.
type Constraints = BTreeMap<FieldId, Interval>;

/// The tighter (`tighter`) or looser lower/upper end; `upper` flips the order.
fn pick(a: &End, b: &End, upper: bool, tighter: bool) -> End {
    match (a, b) {
        (Some((x, xi)), Some((y, yi))) => {
            let order = match x.cmp(y) {
                Some(o) => o,
                // Incomparable ends: the looser choice is no bound at all.
                None => return if tighter { a.clone() } else { None },
            };
            // For a lower end, larger is tighter; for an upper end, smaller.
            let x_tighter = match (order, upper) {
                (Ordering::Equal, _) => !xi || *yi,
                (Ordering::Greater, false) | (Ordering::Less, true) => true,
                _ => false,
            };
            let keep_x = x_tighter == tighter;
            if order == Ordering::Equal {
                // Equal values: inclusive only if the chosen side says so.
                let inclusive = if tighter { *xi && *yi } else { *xi || *yi };
                return Some((x.clone(), inclusive));
            }
            if keep_x { a.clone() } else { b.clone() }
        }
        (Some(_), None) | (None, Some(_)) if tighter => a.clone().or_else(|| b.clone()),
        _ => None,
    }
}

fn intersect(mut a: Constraints, b: Constraints) -> Constraints {
    for (field, iv) in b {
        let merged = match a.get(&field) {
            Some(old) => Interval {
                lo: pick(&old.lo, &iv.lo, false, true),
                hi: pick(&old.hi, &iv.hi, true, true),
            },
            None => iv,
        };
        a.insert(field, merged);
    }
    a
}

fn hull(a: Constraints, b: &Constraints) -> Constraints {
    a.into_iter()
        .filter_map(|(field, iv)| {
            let other = b.get(&field)?;
            let merged = Interval {
                lo: pick(&iv.lo, &other.lo, false, false),
                hi: pick(&iv.hi, &other.hi, true, false),
            };
            (merged.lo.is_some() || merged.hi.is_some()).then_some((field, merged))
        })
        .collect()
}

/// The field a value node reads, directly or through a cast.
fn field_of(node: &Node) -> Option<FieldId> {
    match node {
        Node::Field(id) => Some(*id),
        Node::Cast(inner, ..) => field_of(inner),
        _ => None,
    }
}

fn constant(node: &Node) -> Option<&Scalar> {
    match node {
        Node::Const(Some(v)) => Some(v),
        _ => None,
    }
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

fn single(field: FieldId, lo: End, hi: End) -> Constraints {
    BTreeMap::from([(field, Interval { lo, hi })])
}

struct Walker<'a> {
    segments: &'a [(Node, Option<Node>)],
    depth: usize,
}

impl Walker<'_> {
    /// Necessary constraints for `node` to be TRUE (`positive`) or FALSE.
    fn walk(&mut self, node: &Node, positive: bool) -> Constraints {
        match node {
            Node::Not(inner) => self.walk(inner, !positive),
            Node::And(items) | Node::Or(items) => {
                // TRUE of an `and` (or FALSE of an `or`) needs every operand.
                let all = matches!(node, Node::And(_)) == positive;
                let mut parts = items.iter().map(|i| self.walk(i, positive));
                let Some(first) = parts.next() else {
                    return Constraints::new();
                };
                if all {
                    parts.fold(first, intersect)
                } else {
                    parts.fold(first, |acc, c| hull(acc, &c))
                }
            }
            Node::Compare(op, l, r) => {
                let (field, value, op) = match (field_of(l), constant(r), field_of(r), constant(l))
                {
                    (Some(f), Some(v), _, _) => (f, v, *op),
                    (_, _, Some(f), Some(v)) => (f, v, flip(*op)),
                    _ => return Constraints::new(),
                };
                let op = if positive { op } else { negate(op) };
                let v = value.clone();
                match op {
                    CmpOp::Eq => single(field, Some((v.clone(), true)), Some((v, true))),
                    CmpOp::Lt => single(field, None, Some((v, false))),
                    CmpOp::Le => single(field, None, Some((v, true))),
                    CmpOp::Gt => single(field, Some((v, false)), None),
                    CmpOp::Ge => single(field, Some((v, true)), None),
                    CmpOp::Ne => Constraints::new(),
                }
            }
            Node::Between { x, lo, hi, negated } if positive != *negated => {
                match (field_of(x), constant(lo), constant(hi)) {
                    (Some(f), Some(lo), Some(hi)) => {
                        single(f, Some((lo.clone(), true)), Some((hi.clone(), true)))
                    }
                    _ => Constraints::new(),
                }
            }
            Node::InList {
                x,
                candidates,
                negated,
            } if positive != *negated => {
                let Some(field) = field_of(x) else {
                    return Constraints::new();
                };
                candidates
                    .iter()
                    .map(|c| single(field, Some((c.clone(), true)), Some((c.clone(), true))))
                    .reduce(|a, b| hull(a, &b))
                    .unwrap_or_default()
            }
            Node::StartsWith {
                target,
                prefix: Some(prefix),
                negated,
            } if positive != *negated && !prefix.is_empty() => match field_of(target) {
                Some(f) => single(f, Some((Scalar::Str(prefix.clone()), true)), None),
                None => Constraints::new(),
            },
            Node::Field(id) => {
                let v = Scalar::Bool(positive);
                single(*id, Some((v.clone(), true)), Some((v, true)))
            }
            Node::Segment(id) if positive && self.depth < 64 => {
                let Some((where_, _)) = self.segments.get(id.0 as usize) else {
                    return Constraints::new();
                };
                self.depth += 1;
                let c = self.walk(where_, true);
                self.depth -= 1;
                c
            }
            _ => Constraints::new(),
        }
    }
}

fn end_text(end: &End, upper: bool) -> String {
    match (end, upper) {
        (None, false) => "(-inf".to_string(),
        (None, true) => "+inf)".to_string(),
        (Some((v, inclusive)), false) => {
            format!("{}{}", if *inclusive { "[" } else { "(" }, text(v))
        }
        (Some((v, inclusive)), true) => {
            format!("{}{}", text(v), if *inclusive { "]" } else { ")" })
        }
    }
}

fn text(v: &Scalar) -> String {
    seg_ir::const_text(&v.to_const())
}

/// Renders the necessary ranges of the fields over all targets.
pub(crate) fn describe(
    segments: &[(Node, Option<Node>)],
    targets: &[SegmentId],
    fields: &[(String, Type)],
) -> String {
    let mut walker = Walker { segments, depth: 0 };
    let Some(all) = targets
        .iter()
        .filter_map(|id| segments.get(id.0 as usize))
        .map(|(where_, _)| walker.walk(where_, true))
        .reduce(|a, b| hull(a, &b))
    else {
        return String::new();
    };
    all.iter()
        .filter_map(|(field, iv)| {
            let (name, _) = fields.get(field.0 as usize)?;
            Some(format!(
                "{name}: {}, {}",
                end_text(&iv.lo, false),
                end_text(&iv.hi, true)
            ))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
