//! The language-facts table (`seg_ir::facts`) against the evaluator, the
//! semantic oracle: every function evaluates at every argument type its
//! typing rule accepts, gives a value of the type the rule says, and reads the
//! run's instant only if the table says so (a time-relative function marked
//! otherwise would be folded by the optimizer at the wrong instant).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use seg_diagnostics::Span;
use seg_ir::facts::{self, Arity};
use seg_ir::{Const, Expr, ExprKind, Func, Program, Type};

/// A present constant of each type a function argument can have.
fn samples() -> Vec<Const> {
    vec![
        Const::Int(-7),
        Const::Float(-2.5),
        Const::Decimal {
            unscaled: -1234,
            scale: 2,
        },
        Const::Bool(true),
        Const::String("Straße".into()),
        Const::Date(19_000),
        Const::Timestamp(1_641_234_567_000_000),
        Const::ListString(vec!["a".into(), "b".into()]),
        Const::ListInt(vec![1, 2, 3]),
    ]
}

fn constant(value: &Const) -> Expr {
    Expr {
        ty: value.ty(),
        kind: ExprKind::Const(value.clone()),
        span: Span::default(),
    }
}

/// Every call of `f` with arguments all of one sample's type that its typing
/// rule accepts, with the result type.
fn accepted_calls(f: Func) -> Vec<(Expr, Type)> {
    let facts = facts::func(f);
    let count = match facts.arity {
        Arity::Exactly(n) | Arity::AtLeast(n) => n,
    };
    let mut calls = Vec::new();
    for sample in samples() {
        let ty = sample.ty();
        let types = vec![&ty; count];
        if let Ok(result) = (facts.typing)(&types) {
            let mut args = vec![constant(&sample); count];
            // The checker appends the key field to `bucket`'s salt; a
            // constant key stands for it here.
            if f == Func::Bucket {
                args.push(constant(&Const::Int(-7)));
            }
            let call = Expr {
                kind: ExprKind::Call { func: f, args },
                ty: result.clone(),
                span: Span::default(),
            };
            calls.push((call, result));
        }
    }
    calls
}

#[test]
fn every_function_evaluates_at_the_type_its_rule_gives() {
    let program = Program::default();
    for f in Func::ALL {
        let calls = accepted_calls(*f);
        assert!(!calls.is_empty(), "`{}` accepts no argument type", f.name());
        for (call, result) in calls {
            let value = seg_eval::fold_constant(&program, &[], 1_700_000_000_000_000, &call)
                .unwrap_or_else(|e| panic!("`{}` does not evaluate: {e}", f.name()));
            if let Some(value) = value {
                assert_eq!(value.ty(), result, "`{}`", f.name());
            }
        }
    }
}

#[test]
fn only_functions_marked_as_reading_the_instant_depend_on_it() {
    let program = Program::default();
    for f in Func::ALL {
        let mut depends = false;
        for (call, _) in accepted_calls(*f) {
            let early = seg_eval::fold_constant(&program, &[], 1_000_000_000_000_000, &call);
            let late = seg_eval::fold_constant(&program, &[], 1_900_000_000_000_000, &call);
            depends |= early != late;
        }
        if depends {
            assert!(
                facts::func(*f).reads_as_of,
                "`{}` depends on as_of but the facts table says it does not",
                f.name()
            );
        }
    }
}

/// The arguments the table's typing rule of a node takes, in order.
fn operands(kind: &ExprKind) -> Vec<&Expr> {
    match kind {
        ExprKind::Const(_)
        | ExprKind::Field(_)
        | ExprKind::Param(_)
        | ExprKind::Segment(_)
        | ExprKind::Relative(_) => Vec::new(),
        // Aggregates and record fields have no row in the functions' table
        // (`facts::of_kind` is `None` for them), so nothing is typed by it.
        ExprKind::Aggregate { .. } | ExprKind::Element(_) => Vec::new(),
        ExprKind::Duration { amount, .. } => vec![amount],
        ExprKind::Ago { duration, .. } => vec![duration],
        ExprKind::Cast(x) | ExprKind::Not(x) | ExprKind::Neg(x) => vec![x],
        ExprKind::IsMissing { expr, .. } => vec![expr],
        ExprKind::And(items) | ExprKind::Or(items) => items.iter().collect(),
        ExprKind::Compare { lhs, rhs, .. } | ExprKind::Arith { lhs, rhs, .. } => vec![lhs, rhs],
        // A list param holds candidates of `expr`'s type; the rule types the
        // written candidates.
        ExprKind::InList { expr, list, .. } => {
            let mut out = vec![&**expr];
            out.extend(list);
            out
        }
        ExprKind::Between { expr, lo, hi, .. } => vec![expr, lo, hi],
        ExprKind::StrPred {
            target, pattern, ..
        } => vec![target, pattern],
        ExprKind::ListContains {
            list,
            values,
            values_param,
            ..
        } => {
            let mut out = vec![&**list];
            out.extend(values);
            out.extend(values_param.as_deref());
            out
        }
        ExprKind::Within { expr, duration } => vec![expr, duration],
        // `bucket`'s written argument is the salt; the key after it is the
        // field the checker appended (`seg_ir::ExprKind::Call`).
        ExprKind::Call {
            func: Func::Bucket,
            args,
        } => args.iter().take(1).collect(),
        ExprKind::Call { args, .. } => args.iter().collect(),
    }
}

/// Every operator and function, checked by the checker: the table's typing
/// rule gives the type the checker gave each node (a drift between the two
/// fails here).
#[test]
fn the_checker_types_every_operator_as_the_table_says() {
    let program = seg_testkit::program(
        r#"schema {
  id: int key
  i: int
  f: float
  d: decimal
  b: bool
  s: string
  dt: date
  ts: timestamp
  ls: list<string>
  li: list<int>
}
param n = 3
param window = 30 days
param tags = ["a", "b"]
segment other { where b }
segment every {
  where i == 1 and i != 2 and f < 1 and d <= 2 and i > 0.5 and i >= d
    and ts before dt and dt after 2024-01-01 and b == true and s < "m"
    and i + 1 > 0 and i - d > 0 and i * f > 0 and i / 2 > 0 and i % 2 == 0 and -f < 0
    and s contains "a" and s starts with "b" and s ends with "c" and s matches "^d"
    and ls contains "x" and ls contains any ["x", "y"] and ls contains all tags
    and li contains none [1, 2] and not b and (b or other)
    and i in [1, 2] and s not in ["q"] and f between 1 and 2 and dt not between 2024-01-01 and today
    and ts within 3 days and dt within window and ts > 2 hours ago and dt > n days ago
    and s is missing and ls is present and now > ts and today > dt
    and lower(s) == "a" and upper(s) == "A" and length(s) > 1 and size(ls) > 0 and size(li) > 0
    and abs(i) > 0 and abs(f) > 0 and abs(d) > 0 and coalesce(i, f, 2) > 0 and coalesce(d, 1) > 0
    and coalesce(s, "z") == "z" and coalesce(b, false)
    and days_since(ts) > 1 and days_since(dt) > 1 and year(dt) > 2000 and month(ts) > 1 and day(dt) > 1
    and bucket("spring") < 1000
}
"#,
    );
    let mut seen_ops = std::collections::HashSet::new();
    let mut seen_funcs = std::collections::HashSet::new();
    for segment in &program.segments {
        seg_ir::walk(&segment.where_, &mut |e| {
            let Some(facts) = facts::of_kind(&e.kind) else {
                return;
            };
            if let ExprKind::Call { func, .. } = &e.kind {
                seen_funcs.insert(*func);
            } else {
                seen_ops.insert(facts.name);
            }
            let args = operands(&e.kind);
            assert!(
                facts.arity.admits(args.len()),
                "`{}` with {} arguments",
                facts.name,
                args.len()
            );
            let types: Vec<&Type> = args.iter().map(|a| &a.ty).collect();
            let typed = (facts.typing)(&types);
            // `ago` is retargeted to a date against a date (`today - d`).
            let retargeted = matches!(
                e.kind,
                ExprKind::Ago {
                    base: seg_ir::Relative::Today,
                    ..
                }
            );
            if retargeted {
                assert_eq!(typed, Ok(Type::Timestamp));
                assert_eq!(e.ty, Type::Date);
            } else {
                assert_eq!(typed, Ok(e.ty.clone()), "`{}`", facts.name);
            }
        });
    }
    for o in seg_ir::facts::Op::ALL {
        assert!(
            seen_ops.contains(facts::op(*o).name),
            "the program uses no `{}`",
            facts::op(*o).name
        );
    }
    for f in Func::ALL {
        assert!(seen_funcs.contains(f), "the program uses no `{}`", f.name());
    }
}
