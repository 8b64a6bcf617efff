//! The missing-value trap (W0309): `tier != "platinum"` and `tier not in [..]`
//! are unknown, not true, for a profile whose `tier` is missing, so such
//! profiles are left out of the segment. That is the language's (and SQL's)
//! semantics and it stays; the finding only says so, with a fix that keeps
//! them in.
//!
//! The rule, chosen to help without nagging:
//! - only a `!=` or `not in` whose one side is a profile field (the other side
//!   reading no field) is reported, and only in a segment's `where`, where a
//!   profile is a member only when the condition is true;
//! - only where it counts towards membership: under an even number of `not`s,
//!   through `and`/`or` only;
//! - never when the same `where` already says what a missing value means for
//!   that field, by mentioning `F is missing` or `F is present` anywhere
//!   (`... and F is present` states that they are meant to be left out,
//!   `... or F is missing` brings them in);
//! - never for the `key` field, which a profile always has.

use seg_diagnostics::{Code, Diagnostic, Edit, Span};
use seg_ir::{CmpOp, Expr, ExprKind, FieldId, Program, Segment, name_text};
use std::collections::{HashMap, HashSet};

/// Appends the W0309 findings of every segment: one per field and segment,
/// at its first `!=` / `not in`.
pub(crate) fn missing_value_trap(program: &Program, out: &mut Vec<Diagnostic>) {
    for segment in &program.segments {
        let mut stated = HashSet::new();
        presence_tests(&segment.where_, &mut stated);
        let mut found = Vec::new();
        visit(&segment.where_, true, Parent::Top, &mut found);
        let mut reported = HashSet::new();
        for trap in found {
            if stated.contains(&trap.field)
                || program.schema.field(trap.field).key
                || !reported.insert(trap.field)
            {
                continue;
            }
            out.push(finding(program, segment, &trap));
        }
    }
}

/// Where a reported comparison stands, which decides whether the fix needs
/// parentheses: `a and b != c or b is missing` would mean something else.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parent {
    /// The whole `where`, or an operand of an `or`.
    Top,
    /// An operand of an `and`, or under `not`.
    Tight,
}

/// Fields that appear in an `is missing` / `is present` test.
fn presence_tests(expr: &Expr, out: &mut HashSet<FieldId>) {
    seg_ir::walk(expr, &mut |e| {
        if let ExprKind::IsMissing { expr: inner, .. } = &e.kind
            && let Some(field) = field_of(inner)
        {
            out.insert(field);
        }
    });
}

/// The profile field an operand reads directly (through a coercion), as the
/// field node itself.
fn field_node(expr: &Expr) -> Option<&Expr> {
    match &expr.kind {
        ExprKind::Field(_) => Some(expr),
        ExprKind::Cast(inner) => field_node(inner),
        _ => None,
    }
}

fn field_of(expr: &Expr) -> Option<FieldId> {
    match field_node(expr)?.kind {
        ExprKind::Field(id) => Some(id),
        _ => None,
    }
}

fn reads_no_field(expr: &Expr) -> bool {
    !seg_ir::reads_row(expr)
}

/// A reported comparison.
struct Trap<'a> {
    field: FieldId,
    expr: &'a Expr,
    what: &'static str,
    parent: Parent,
    /// Whether the one-edit fix is right: not when several `!=` on the
    /// field share an `and` (the fix must then cover all of them).
    fixable: bool,
}

/// The field node a `!=` / `not in` compares, when `expr` is one.
fn trap_of(expr: &Expr) -> Option<(&Expr, &'static str)> {
    match &expr.kind {
        ExprKind::Compare {
            op: CmpOp::Ne,
            lhs,
            rhs,
        } => match (field_node(lhs), field_node(rhs)) {
            (Some(f), None) if reads_no_field(rhs) => Some((f, "!=")),
            (None, Some(f)) if reads_no_field(lhs) => Some((f, "!=")),
            _ => None,
        },
        ExprKind::InList {
            expr: value,
            negated: true,
            ..
        } => field_node(value).map(|f| (f, "not in")),
        _ => None,
    }
}

/// The operands of a conjunction, nested conjunctions included.
fn flatten_and<'a>(expr: &'a Expr, out: &mut Vec<&'a Expr>) {
    // An explicit stack: a left-nested chain may be as deep as it is long.
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::And(items) => stack.extend(items.iter().rev()),
            _ => out.push(e),
        }
    }
}

/// Collects the `!=` / `not in` comparisons on a field that decide membership
/// when true (`positive`: under an even number of `not`s).
fn visit<'a>(expr: &'a Expr, positive: bool, parent: Parent, out: &mut Vec<Trap<'a>>) {
    match &expr.kind {
        ExprKind::Not(inner) => visit(inner, !positive, Parent::Tight, out),
        ExprKind::And(_) => {
            // Nested `and`s are one conjunction: flattened, so that the
            // look at the other operands below is done once, not per level.
            let mut operands = Vec::new();
            flatten_and(expr, &mut operands);
            let traps: Vec<Option<(&Expr, &'static str)>> = operands
                .iter()
                .map(|o| if positive { trap_of(o) } else { None })
                .collect();
            // Per field, how many `!=` / `not in` it has here, and whether
            // another operand is unknown for a missing value of it
            // (`age between 18 and 65 and age != 30`), which leaves those
            // profiles out anyway, as nobody reads otherwise. Each operand is
            // asked only about the fields it reads, so a wide `and` costs
            // linear time.
            let mut count: HashMap<FieldId, (usize, &Expr)> = HashMap::new();
            for (node, _) in traps.iter().flatten() {
                if let Some(field) = field_of(node) {
                    count.entry(field).or_insert((0, node)).0 += 1;
                }
            }
            let mut excluded: HashSet<FieldId> = HashSet::new();
            if !count.is_empty() {
                for (operand, trap) in operands.iter().copied().zip(&traps) {
                    if trap.is_some() {
                        continue;
                    }
                    let mut read = Vec::new();
                    seg_ir::field_refs(operand, &mut read);
                    for (field, _) in read {
                        if let Some((_, node)) = count.get(&field)
                            && !excluded.contains(&field)
                            && crate::rewrite::strict_predicate(operand, node)
                        {
                            excluded.insert(field);
                        }
                    }
                }
            }
            for (operand, trap) in operands.iter().copied().zip(&traps) {
                let Some((node, what)) = *trap else {
                    visit(operand, positive, Parent::Tight, out);
                    continue;
                };
                let Some(field) = field_of(node) else {
                    continue;
                };
                if excluded.contains(&field) {
                    continue;
                }
                out.push(Trap {
                    field,
                    expr: operand,
                    what,
                    parent: Parent::Tight,
                    fixable: count.get(&field).is_none_or(|(n, _)| *n == 1),
                });
            }
        }
        ExprKind::Or(operands) => {
            for operand in operands {
                visit(operand, positive, parent, out);
            }
        }
        _ if positive => {
            if let Some((node, what)) = trap_of(expr)
                && let Some(field) = field_of(node)
            {
                out.push(Trap {
                    field,
                    expr,
                    what,
                    parent,
                    fixable: true,
                });
            }
        }
        _ => {}
    }
}

fn finding(program: &Program, segment: &Segment, trap: &Trap<'_>) -> Diagnostic {
    let field = program.schema.field(trap.field);
    let name = name_text(&field.name);
    let span = trap.expr.span;
    let tight = trap.parent == Parent::Tight;
    let diagnostic = Diagnostic::new(
        Code::W0309,
        span,
        format!(
            "`{}` leaves out the profiles of segment `{}` that have no `{}`",
            trap.what, segment.name, field.name
        ),
    )
    .with_label(format!("unknown, not true, when `{name}` is missing"))
    .with_help(format!(
        "a missing value is neither equal nor unequal to anything; to keep those profiles, add `or {name} is missing`; to leave them out on purpose, add `and {name} is present`"
    ));
    if !trap.fixable {
        return diagnostic;
    }
    let mut edits = Vec::new();
    if tight {
        edits.push(Edit {
            span: Span::new(span.file, span.start as usize, span.start as usize),
            text: "(".into(),
        });
    }
    edits.push(Edit {
        span: Span::new(span.file, span.end as usize, span.end as usize),
        text: format!(" or {name} is missing{}", if tight { ")" } else { "" }),
    });
    diagnostic.with_suggestion(format!("keep profiles with no `{name}`"), edits)
}
