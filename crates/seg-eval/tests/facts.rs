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
            let args = vec![constant(&sample); count];
            let call = Expr {
                kind: ExprKind::Call { func: f, args },
                ty: result,
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
