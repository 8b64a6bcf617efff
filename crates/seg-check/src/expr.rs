//! Typing of expressions: AST expressions to typed IR, with every coercion made
//! explicit and every error reported (a failed sub-expression yields `None`,
//! and its parent stays quiet so one mistake gives one message).

use seg_diagnostics::{Code, Diagnostic, Span, did_you_mean};
use seg_ir::facts::{self, TypeError};
use seg_ir::pattern::{self, PatternError};
use seg_ir::{
    AggFunc, CmpOp, Const, Expr, ExprKind, FieldId, Func, ListQuantifier, ParamId, RecordField,
    Relative, Schema, SegmentId, StrOp, TimeUnit, Type,
};
use seg_syntax::ast;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A declared name other than a field.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Decl {
    Param(ParamId),
    Segment(SegmentId),
    Priority,
}

/// What names mean while checking expressions.
pub(crate) struct Scope<'a> {
    pub schema: &'a Schema,
    /// Names that were declared but could not be checked (a field with an
    /// invalid type): uses are not reported again.
    pub poisoned: &'a [String],
    /// The segment being checked, which "did you mean" never suggests.
    pub current: Option<&'a str>,
    /// Param types and default values, indexed by [`ParamId`].
    pub params: &'a [(Type, Const)],
    pub names: &'a HashMap<String, Decl>,
    /// The program's `matches` patterns so far, against its memory budget.
    pub patterns: &'a RefCell<PatternBudget>,
    /// Record field names already reported for shadowing a profile field
    /// (W0308 is given once per name).
    pub shadowed: &'a RefCell<HashSet<String>>,
}

/// The distinct `matches` patterns of a program and the bytes they take once
/// compiled, against [`pattern::PROGRAM_LIMIT`].
#[derive(Debug, Default)]
pub(crate) struct PatternBudget {
    seen: HashSet<String>,
    total: usize,
    /// The budget ran out: later patterns are only checked for syntax, so a
    /// program of many huge patterns fails fast.
    exhausted: bool,
}

/// Why a `matches` pattern is rejected.
pub(crate) enum PatternProblem {
    Syntax(String),
    TooLarge,
    OverBudget,
}

impl PatternBudget {
    /// Checks one use of a pattern: its syntax, its size, and (the first time
    /// each text is seen) the program's total with it. A pattern too large
    /// to compile counts as [`pattern::PATTERN_LIMIT`] bytes.
    pub(crate) fn admit(&mut self, text: &str) -> Vec<PatternProblem> {
        if self.seen.contains(text) {
            return Vec::new();
        }
        if self.exhausted {
            return match pattern::check_syntax(text) {
                Err(PatternError::Syntax(message)) => vec![PatternProblem::Syntax(message)],
                _ => Vec::new(),
            };
        }
        let mut problems = Vec::new();
        let bytes = match pattern::compile(text) {
            Ok(compiled) => compiled.bytes(),
            Err(PatternError::Syntax(message)) => return vec![PatternProblem::Syntax(message)],
            Err(_) => {
                problems.push(PatternProblem::TooLarge);
                pattern::PATTERN_LIMIT
            }
        };
        self.seen.insert(text.to_string());
        self.total = self.total.saturating_add(bytes);
        if self.total > pattern::PROGRAM_LIMIT {
            self.exhausted = true;
            problems.push(PatternProblem::OverBudget);
        }
        problems
    }
}

impl PatternProblem {
    fn diagnostic(&self, text: &str, span: Span) -> Diagnostic {
        let shown = pattern::excerpt(text);
        match self {
            PatternProblem::Syntax(message) => Diagnostic::new(
                Code::E0204,
                span,
                format!("invalid regular expression: {}", regex_reason(message)),
            )
            .with_label("invalid pattern")
            .with_help("patterns use Rust regex syntax; escape special characters with `\\\\`, as in \"\\\\.com$\""),
            PatternProblem::TooLarge => pattern::diagnostic(text, &PatternError::TooLarge, span),
            PatternProblem::OverBudget => Diagnostic::new(
                Code::E0210,
                span,
                format!(
                    "the patterns of this program take more than {} MiB once compiled, past the limit at `{shown}`",
                    pattern::PROGRAM_LIMIT >> 20
                ),
            )
            .with_label("the patterns' budget runs out here")
            .with_help("use fewer or smaller patterns: join alternatives into one pattern (`a|b`), test fixed text with `contains`, `starts with` or `ends with`, and prefer ASCII classes such as `[a-z]` to `\\w`"),
        }
    }
}

pub(crate) struct ExprChecker<'a, 'd> {
    pub scope: &'a Scope<'a>,
    pub diagnostics: &'d mut Vec<Diagnostic>,
    /// Inside an aggregate's `where` filter: the list's record, whose fields
    /// are in scope by their bare names.
    pub record: Option<RecordScope>,
}

/// The record scope of an aggregate's filter.
pub(crate) struct RecordScope {
    /// The record type's fields, in order ([`ExprKind::Element`] indexes them).
    fields: Arc<[RecordField]>,
    /// Their `one of` lists, in the same order.
    one_of: Vec<Option<Vec<String>>>,
}

fn mk(kind: ExprKind, ty: Type, span: Span) -> Expr {
    Expr { kind, ty, span }
}

/// The common type two operands are compared or combined at: the language
/// fact, shared with the functions' typing rules.
pub(crate) use seg_ir::facts::unify;

/// Converts a constant to `target` (one of the coercions [`unify`] allows).
fn convert_const(value: &Const, target: &Type) -> Option<Const> {
    Some(match (value, target) {
        (c, t) if c.ty() == *t => c.clone(),
        (Const::Int(v), Type::Float) => Const::Float(*v as f64),
        (Const::Int(v), Type::Decimal) => Const::Decimal {
            unscaled: i128::from(*v),
            scale: 0,
        },
        (Const::Decimal { unscaled, scale }, Type::Float) => {
            Const::Float(seg_ir::decimal_to_f64(*unscaled, u32::from(*scale)))
        }
        // A date against a timestamp stays an explicit cast: its instant is
        // midnight in the program's zone (§7.3), which a caller may override
        // after checking, so only the engines (folding through the
        // evaluator) know it.
        _ => return None,
    })
}

/// Coerces an expression to `target`: constants are converted in place, other
/// expressions get an explicit cast.
pub(crate) fn coerce(expr: Expr, target: &Type) -> Expr {
    if expr.ty == *target {
        return expr;
    }
    if let ExprKind::Const(value) = &expr.kind
        && let Some(converted) = convert_const(value, target)
    {
        return mk(ExprKind::Const(converted), target.clone(), expr.span);
    }
    let span = expr.span;
    mk(ExprKind::Cast(Box::new(expr)), target.clone(), span)
}

pub(crate) fn literal_const(lit: &ast::Literal) -> Const {
    match lit {
        ast::Literal::Int { value, .. } => Const::Int(*value),
        ast::Literal::Float { value, .. } => Const::Float(*value),
        ast::Literal::Decimal {
            unscaled, scale, ..
        } => Const::Decimal {
            unscaled: *unscaled,
            scale: *scale,
        },
        ast::Literal::String(s) => Const::String(s.value.clone()),
        ast::Literal::Bool(b) => Const::Bool(*b),
        ast::Literal::Date { days, .. } => Const::Date(*days),
        ast::Literal::Timestamp { micros, .. } => Const::Timestamp(*micros),
    }
}

pub(crate) fn time_unit(unit: ast::TimeUnit) -> TimeUnit {
    match unit {
        ast::TimeUnit::Minute => TimeUnit::Minute,
        ast::TimeUnit::Hour => TimeUnit::Hour,
        ast::TimeUnit::Day => TimeUnit::Day,
        ast::TimeUnit::Week => TimeUnit::Week,
        ast::TimeUnit::Month => TimeUnit::Month,
        ast::TimeUnit::Year => TimeUnit::Year,
    }
}

fn cmp_op(op: ast::CmpOp) -> CmpOp {
    match op {
        ast::CmpOp::Eq => CmpOp::Eq,
        ast::CmpOp::Ne => CmpOp::Ne,
        ast::CmpOp::Lt => CmpOp::Lt,
        ast::CmpOp::Le => CmpOp::Le,
        ast::CmpOp::Gt => CmpOp::Gt,
        ast::CmpOp::Ge => CmpOp::Ge,
    }
}

/// `a`, `an`: "an `int`", "a `string`".
fn article(ty: &Type) -> &'static str {
    match ty {
        Type::Int => "an",
        _ => "a",
    }
}

pub(crate) fn describe(ty: &Type) -> String {
    format!("{} `{ty}`", article(ty))
}

impl ExprChecker<'_, '_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Checks a condition (`where`, `exclude`): it must be a `bool`.
    pub fn condition(&mut self, expr: &ast::Expr, clause: &str) -> Option<Expr> {
        self.require_bool(expr, |ty| {
            format!("the `{clause}` condition is {}, not a `bool`", describe(ty))
        })
    }

    fn expect_bool(&mut self, expr: &ast::Expr, operator: &str) -> Option<Expr> {
        self.require_bool(expr, |ty| {
            format!(
                "`{operator}` needs conditions, but this is {}",
                describe(ty)
            )
        })
    }

    /// Checks `expr` and reports E0202 with `message` when it is not a `bool`.
    fn require_bool(
        &mut self,
        expr: &ast::Expr,
        message: impl FnOnce(&Type) -> String,
    ) -> Option<Expr> {
        let checked = self.check(expr)?;
        if checked.ty != Type::Bool {
            self.report(
                Diagnostic::new(Code::E0202, expr.span, message(&checked.ty))
                    .with_label(format!("this is {}", describe(&checked.ty)))
                    .with_help(condition_help(&checked.ty)),
            );
            return None;
        }
        Some(checked)
    }

    fn mismatch(&mut self, span: Span, message: String, label: String, help: &str) {
        self.report(
            Diagnostic::new(Code::E0201, span, message)
                .with_label(label)
                .with_help(help),
        );
    }

    /// Checks any expression.
    pub fn check(&mut self, expr: &ast::Expr) -> Option<Expr> {
        let span = expr.span;
        match &expr.kind {
            ast::ExprKind::Error => None,
            ast::ExprKind::Paren(inner) => self.check(inner),
            ast::ExprKind::Literal(lit) => {
                let value = literal_const(lit);
                let ty = value.ty();
                Some(mk(ExprKind::Const(value), ty, span))
            }
            ast::ExprKind::Name(ident) => self.name(ident),
            ast::ExprKind::Today => Some(mk(ExprKind::Relative(Relative::Today), Type::Date, span)),
            ast::ExprKind::Now => {
                Some(mk(ExprKind::Relative(Relative::Now), Type::Timestamp, span))
            }
            ast::ExprKind::Ago(d) => {
                let duration = self.duration(d)?;
                Some(mk(
                    ExprKind::Ago {
                        base: Relative::Now,
                        duration: Box::new(duration),
                    },
                    Type::Timestamp,
                    span,
                ))
            }
            ast::ExprKind::Or(items) | ast::ExprKind::And(items) => {
                let is_or = matches!(expr.kind, ast::ExprKind::Or(_));
                let operator = if is_or { "or" } else { "and" };
                let checked: Vec<Option<Expr>> = items
                    .iter()
                    .map(|i| self.expect_bool(i, operator))
                    .collect();
                let checked: Vec<Expr> = checked.into_iter().collect::<Option<_>>()?;
                let kind = if is_or {
                    ExprKind::Or(checked)
                } else {
                    ExprKind::And(checked)
                };
                Some(mk(kind, Type::Bool, span))
            }
            ast::ExprKind::Not(inner) => {
                let inner = self.expect_bool(inner, "not")?;
                Some(mk(ExprKind::Not(Box::new(inner)), Type::Bool, span))
            }
            ast::ExprKind::Compare { op, lhs, rhs } => self.compare(*op, lhs, rhs, span),
            ast::ExprKind::Before { expr: x, bound } => self.before_after(x, bound, true, span),
            ast::ExprKind::After { expr: x, bound } => self.before_after(x, bound, false, span),
            ast::ExprKind::Between {
                expr: x,
                lo,
                hi,
                negated,
            } => self.between(x, lo, hi, *negated, span),
            ast::ExprKind::In {
                expr: x,
                list,
                negated,
            } => self.in_list(x, list, *negated, span),
            ast::ExprKind::Contains {
                target,
                quantifier,
                value,
                negated,
            } => self.contains(target, *quantifier, value, *negated, span),
            ast::ExprKind::StrPred {
                op,
                target,
                pattern,
                negated,
            } => {
                let op = match op {
                    ast::StrOp::StartsWith => StrOp::StartsWith,
                    ast::StrOp::EndsWith => StrOp::EndsWith,
                    ast::StrOp::Matches => StrOp::Matches,
                };
                self.str_pred(op, target, pattern, *negated, span)
            }
            ast::ExprKind::IsMissing { expr: x, form } => {
                let inner = self.check(x)?;
                Some(mk(
                    ExprKind::IsMissing {
                        expr: Box::new(inner),
                        negated: *form != ast::MissingForm::Missing,
                    },
                    Type::Bool,
                    span,
                ))
            }
            ast::ExprKind::Within { expr: x, duration } => {
                let inner = self.check(x)?;
                let duration = self.duration(duration)?;
                if !inner.ty.is_temporal() {
                    self.mismatch(
                        x.span,
                        format!("`within` needs a date or timestamp, but this is {}", describe(&inner.ty)),
                        format!("this is {}", describe(&inner.ty)),
                        "use `within` on a date or timestamp field, as in `last_purchase_at within 30 days`",
                    );
                    return None;
                }
                if inner.ty == Type::Date {
                    self.check_unit_for_date(&duration)?;
                }
                Some(mk(
                    ExprKind::Within {
                        expr: Box::new(inner),
                        duration: Box::new(duration),
                    },
                    Type::Bool,
                    span,
                ))
            }
            ast::ExprKind::Arith { op, lhs, rhs } => self.arith(*op, lhs, rhs, span),
            ast::ExprKind::Neg(inner) => {
                let inner = self.check(inner)?;
                if !inner.ty.is_numeric() {
                    self.mismatch(
                        span,
                        format!("`-` needs a number, but this is {}", describe(&inner.ty)),
                        format!("this is {}", describe(&inner.ty)),
                        "only `int`, `float` and `decimal` values can be negated",
                    );
                    return None;
                }
                // Negating a constant is folded here so that `-5` is the constant -5.
                if let ExprKind::Const(c) = &inner.kind {
                    let negated = match c {
                        Const::Int(v) => v.checked_neg().map(Const::Int),
                        Const::Float(v) => Some(Const::Float(-v)),
                        Const::Decimal { unscaled, scale } => {
                            unscaled.checked_neg().map(|u| Const::Decimal {
                                unscaled: u,
                                scale: *scale,
                            })
                        }
                        _ => None,
                    };
                    if let Some(value) = negated {
                        return Some(mk(ExprKind::Const(value), inner.ty, span));
                    }
                }
                let ty = inner.ty.clone();
                Some(mk(ExprKind::Neg(Box::new(inner)), ty, span))
            }
            ast::ExprKind::Call { func, args } => self.call(func, args, span),
            ast::ExprKind::List(_) => {
                self.mismatch(
                    span,
                    "a list cannot stand on its own here".into(),
                    "list".into(),
                    "lists go after `in`, `not in` or `contains any/all/none`, as in `country in [\"US\", \"CA\"]`",
                );
                None
            }
            ast::ExprKind::Duration(d) => {
                self.mismatch(
                    d.span,
                    "a duration cannot stand on its own here".into(),
                    "duration".into(),
                    "durations go after `within` or before `ago`, as in `within 30 days` or `30 days ago`",
                );
                None
            }
            // --- Event histories (v0.2) ---
            ast::ExprKind::Aggregate {
                func,
                func_span,
                arg,
                filter,
            } => self.aggregate(*func, *func_span, arg, filter.as_deref(), span),
            ast::ExprKind::Path { list, field } => {
                self.report(
                    Diagnostic::new(
                        Code::E0212,
                        span,
                        format!(
                            "`{}.{}` is a field of each record of `{}`; it stands only inside an aggregate",
                            list.name, field.name, list.name
                        ),
                    )
                    .with_label("one value per record, not one per profile")
                    .with_help(format!(
                        "aggregate it, as in `sum({0}.{1})`, `max({0}.{1})` or `count_distinct({0}.{1})`; inside a `where` filter, write the bare `{1}`",
                        list.name, field.name
                    )),
                );
                None
            }
            ast::ExprKind::Record(_) => {
                self.mismatch(
                    span,
                    "a record cannot stand on its own here".into(),
                    "record".into(),
                    "records are written only in a test's `given`, inside a history: `orders: [{ amount: 10 }]`",
                );
                None
            }
        }
    }

    /// The list-of-records field `name` names, with its record scope.
    fn history(&self, name: &str) -> Option<(FieldId, RecordScope)> {
        let id = self.scope.schema.find(name)?;
        let field = self.scope.schema.field(id);
        let Type::Record(fields) = field.ty.element()? else {
            return None;
        };
        let one_of = (0..fields.len())
            .map(|i| field.record.get(i).and_then(|a| a.one_of.clone()))
            .collect();
        Some((
            id,
            RecordScope {
                fields: fields.clone(),
                one_of,
            },
        ))
    }

    /// Reports an aggregate's argument that is not a list of records (E0211).
    fn not_a_history(&mut self, func: ast::AggFunc, arg: &ast::Expr, found: Option<&Type>) {
        let what = match found {
            Some(ty) => format!("this is {}", describe(ty)),
            None => "not a list of records".to_string(),
        };
        let help = match found {
            Some(Type::List(_)) => format!(
                "`{}` aggregates a list of records (`list<{{ ... }}>`); `size(...)` counts the elements of a plain list, and `contains` tests them",
                func.as_str()
            ),
            _ if func.over_records() => format!(
                "write the name of a history field, as in `{}(orders where amount > 100)`",
                func.as_str()
            ),
            _ => format!(
                "write one field of a history's records, as in `{}(orders.amount)`",
                func.as_str()
            ),
        };
        self.report(
            Diagnostic::new(
                Code::E0211,
                arg.span,
                format!("`{}` needs a list of records", func.as_str()),
            )
            .with_label(what)
            .with_help(help),
        );
    }

    /// `count(L where C)`, `sum(L.f where C)` and the other aggregates.
    fn aggregate(
        &mut self,
        func: ast::AggFunc,
        func_span: Span,
        arg: &ast::Expr,
        filter: Option<&ast::Expr>,
        span: Span,
    ) -> Option<Expr> {
        if self.record.is_some() {
            self.report(
                Diagnostic::new(
                    Code::E0213,
                    func_span,
                    format!("`{}` inside another aggregate's filter", func.as_str()),
                )
                .with_label("aggregates do not nest")
                .with_help("a filter looks at one record at a time; aggregate each history on its own and combine the results with `and` or `or`"),
            );
            return None;
        }
        // The argument: the list itself for `count`/`any`, `L.f` otherwise.
        let (list_name, field_name) = match (&arg.kind, func.over_records()) {
            (ast::ExprKind::Name(list), true) => (list, None),
            (ast::ExprKind::Path { list, field }, false) => (list, Some(field)),
            (ast::ExprKind::Path { list, .. }, true) => {
                self.report(
                    Diagnostic::new(
                        Code::E0211,
                        arg.span,
                        format!("`{}` counts records, not the values of a field", func.as_str()),
                    )
                    .with_label("a field of the records")
                    .with_help(format!(
                        "write `{}({})`; to count the records where the field is present, add `where ... is present`",
                        func.as_str(),
                        list.name
                    )),
                );
                return None;
            }
            _ => {
                // Say what the argument is, when it is something.
                let found = match &arg.kind {
                    ast::ExprKind::Name(_) | ast::ExprKind::Paren(_) => {
                        let mut quiet = Vec::new();
                        let mut probe = ExprChecker {
                            scope: self.scope,
                            diagnostics: &mut quiet,
                            record: None,
                        };
                        probe.check(arg).map(|e| e.ty)
                    }
                    _ => None,
                };
                if let (ast::ExprKind::Name(ident), false) = (&arg.kind, func.over_records())
                    && self.history(&ident.name).is_some()
                {
                    self.report(
                        Diagnostic::new(
                            Code::E0211,
                            arg.span,
                            format!("`{}` needs one field of the records", func.as_str()),
                        )
                        .with_label("the records themselves")
                        .with_help(format!(
                            "name the field: `{}({}.amount)`; `count({})` counts the records",
                            func.as_str(),
                            ident.name,
                            ident.name
                        )),
                    );
                    return None;
                }
                if let ast::ExprKind::Name(ident) = &arg.kind
                    && self.scope.schema.find(&ident.name).is_none()
                    && !self.scope.names.contains_key(&ident.name)
                {
                    // An unknown name gets the usual message.
                    self.name(ident);
                    return None;
                }
                self.not_a_history(func, arg, found.as_ref());
                return None;
            }
        };
        let Some((list_id, record)) = self.history(&list_name.name) else {
            if self.scope.schema.find(&list_name.name).is_none()
                && !self.scope.names.contains_key(&list_name.name)
            {
                self.name(list_name);
                return None;
            }
            let found = self
                .scope
                .schema
                .find(&list_name.name)
                .map(|id| self.scope.schema.field(id).ty.clone());
            let shown = ast::Expr {
                kind: ast::ExprKind::Name(list_name.clone()),
                span: list_name.span,
            };
            self.not_a_history(func, &shown, found.as_ref());
            return None;
        };
        let list_field = self.scope.schema.field(list_id);
        let list = mk(
            ExprKind::Field(list_id),
            list_field.ty.clone(),
            list_name.span,
        );
        let value = match field_name {
            None => None,
            Some(field) => {
                let Some(index) = record.fields.iter().position(|f| f.name == field.name) else {
                    let mut diagnostic = Diagnostic::new(
                        Code::E0118,
                        field.span,
                        format!(
                            "the records of `{}` have no field `{}`",
                            list_name.name, field.name
                        ),
                    )
                    .with_label("not a field of these records");
                    let names = record.fields.iter().map(|f| f.name.as_str());
                    let listed = record
                        .fields
                        .iter()
                        .map(|f| format!("`{}`", f.name))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let close = did_you_mean(&field.name, names);
                    if let Some(close) = close {
                        crate::suggest_name(&mut diagnostic, field.span, close);
                    }
                    diagnostic.help = Some(match close {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("the fields of `{}` are {listed}", list_name.name),
                    });
                    self.report(diagnostic);
                    return None;
                };
                let ty = &record.fields[index].ty;
                let fits = match func {
                    ast::AggFunc::Sum | ast::AggFunc::Avg => ty.is_numeric(),
                    ast::AggFunc::Min | ast::AggFunc::Max => *ty != Type::Bool,
                    _ => true,
                };
                if !fits {
                    let help = match func {
                        ast::AggFunc::Sum | ast::AggFunc::Avg => format!(
                            "`{}` adds numbers (int, float, decimal); `count_distinct({}.{})` counts the different values, and `count({} where ...)` the records",
                            func.as_str(),
                            list_name.name,
                            field.name,
                            list_name.name
                        ),
                        _ => format!(
                            "`{}` of a `bool` has no order; ask `any({} where {})` or `count({} where {})`",
                            func.as_str(),
                            list_name.name,
                            field.name,
                            list_name.name,
                            field.name
                        ),
                    };
                    self.report(
                        Diagnostic::new(
                            Code::E0214,
                            arg.span,
                            format!("`{}` cannot take {}", func.as_str(), describe(ty)),
                        )
                        .with_label(format!("`{}` is {}", field.name, describe(ty)))
                        .with_help(help),
                    );
                    return None;
                }
                Some(index)
            }
        };
        let ty = match func {
            ast::AggFunc::Count | ast::AggFunc::CountDistinct => Type::Int,
            ast::AggFunc::Any => Type::Bool,
            ast::AggFunc::Avg => Type::Float,
            ast::AggFunc::Sum | ast::AggFunc::Min | ast::AggFunc::Max => {
                record.fields[value.unwrap_or_default()].ty.clone()
            }
        };
        let filter = match filter {
            None => None,
            Some(filter) => {
                let outer = self.record.replace(record);
                let checked = self.condition(filter, "where");
                self.record = outer;
                Some(Box::new(checked?))
            }
        };
        let func = match func {
            ast::AggFunc::Count => AggFunc::Count,
            ast::AggFunc::Any => AggFunc::Any,
            ast::AggFunc::Sum => AggFunc::Sum,
            ast::AggFunc::Avg => AggFunc::Avg,
            ast::AggFunc::Min => AggFunc::Min,
            ast::AggFunc::Max => AggFunc::Max,
            ast::AggFunc::CountDistinct => AggFunc::CountDistinct,
        };
        Some(mk(
            ExprKind::Aggregate {
                func,
                list: Box::new(list),
                value,
                filter,
            },
            ty,
            span,
        ))
    }

    /// A bare name inside a filter that names a field of the record: the
    /// record's field, which shadows a profile field of the same name.
    fn record_name(&mut self, ident: &ast::Ident) -> Option<Expr> {
        let record = self.record.as_ref()?;
        let index = record.fields.iter().position(|f| f.name == ident.name)?;
        let ty = record.fields[index].ty.clone();
        if let Some(id) = self.scope.schema.find(&ident.name)
            && self.scope.shadowed.borrow_mut().insert(ident.name.clone())
        {
            let profile = self.scope.schema.field(id).span;
            self.report(
                Diagnostic::new(
                    Code::W0308,
                    ident.span,
                    format!(
                        "`{}` here is the record's field, not the profile field `{}`",
                        ident.name, ident.name
                    ),
                )
                .with_label("the record's field")
                .with_secondary(profile, "the profile field it hides")
                .with_help(format!(
                    "inside `where`, a record's fields hide profile fields of the same name; to compare with the profile's `{}`, rename one of the two fields",
                    ident.name
                )),
            );
        }
        Some(mk(ExprKind::Element(index), ty, ident.span))
    }

    fn name(&mut self, ident: &ast::Ident) -> Option<Expr> {
        let span = ident.span;
        if let Some(element) = self.record_name(ident) {
            return Some(element);
        }
        if let Some(id) = self.scope.schema.find(&ident.name) {
            let ty = self.scope.schema.field(id).ty.clone();
            return Some(mk(ExprKind::Field(id), ty, span));
        }
        match self.scope.names.get(&ident.name) {
            Some(Decl::Param(id)) => {
                let ty = self.scope.params[id.0 as usize].0.clone();
                Some(mk(ExprKind::Param(*id), ty, span))
            }
            Some(Decl::Segment(id)) => Some(mk(ExprKind::Segment(*id), Type::Bool, span)),
            Some(Decl::Priority) => {
                self.report(
                    Diagnostic::new(
                        Code::E0113,
                        span,
                        format!("`{}` is a priority group, not a condition", ident.name),
                    )
                    .with_label("priority group")
                    .with_help("a priority group assigns each profile one segment; reference one of its segments instead"),
                );
                None
            }
            None if self.scope.poisoned.contains(&ident.name) => None,
            None => {
                let current = self.scope.current;
                let record_fields: Vec<String> = self
                    .record
                    .iter()
                    .flat_map(|r| r.fields.iter().map(|f| f.name.clone()))
                    .collect();
                let candidates = record_fields
                    .iter()
                    .map(String::as_str)
                    .chain(self.scope.schema.fields.iter().map(|f| f.name.as_str()))
                    .chain(self.scope.names.keys().map(String::as_str))
                    .filter(|n| Some(*n) != current);
                let looks_like_a_value = ident.name.chars().next().is_some_and(char::is_uppercase);
                let mut diagnostic =
                    Diagnostic::new(Code::E0101, span, format!("unknown name `{}`", ident.name))
                        .with_label("not a field, param or segment");
                // The "did you mean" and the quoting get a machine-applicable
                // fix too, for an editor's quick fix.
                let mut fix = None;
                diagnostic.help = Some(match did_you_mean(&ident.name, candidates) {
                    Some(close) if close.to_lowercase() == ident.name.to_lowercase() || !looks_like_a_value => {
                        fix = Some((format!("use `{close}`"), seg_syntax::name_source(close)));
                        format!("did you mean `{close}`?")
                    }
                    _ if looks_like_a_value => {
                        fix = Some((
                            format!("quote `{}`", ident.name),
                            format!("\"{}\"", ident.name),
                        ));
                        format!(
                            "text values need quotes: \"{}\"; otherwise declare `{}` as a field, a `param` or a `segment`",
                            ident.name, ident.name
                        )
                    }
                    _ => "declare it as a field in the `schema`, a `param` or a `segment`; a text value needs quotes: \"like this\"".to_string(),
                });
                if let Some((message, text)) = fix {
                    diagnostic = diagnostic.with_replacement(message, span, text);
                }
                self.report(diagnostic);
                None
            }
        }
    }

    /// A duration expression (`30 days`, `n days` with an int param `n`, or a
    /// duration param).
    fn duration(&mut self, d: &ast::DurationOrParam) -> Option<Expr> {
        match d {
            ast::DurationOrParam::Duration(d) => {
                let amount = match &d.amount {
                    ast::DurationAmount::Literal { value, .. } => {
                        mk(ExprKind::Const(Const::Int(*value)), Type::Int, d.span)
                    }
                    ast::DurationAmount::Param(p) => {
                        let amount = self.name(p)?;
                        if !matches!(amount.kind, ExprKind::Param(_)) || amount.ty != Type::Int {
                            self.mismatch(
                                p.span,
                                format!("the count of a duration must be an `int` param, but `{}` is not", p.name),
                                format!("{} {}", if matches!(amount.kind, ExprKind::Param(_)) { "param of type" } else { "not a param:" }, amount.ty),
                                "write a number, as in `30 days`, or declare `param window_days = 30`",
                            );
                            return None;
                        }
                        amount
                    }
                };
                Some(mk(
                    ExprKind::Duration {
                        amount: Box::new(amount),
                        unit: time_unit(d.unit),
                    },
                    Type::Duration,
                    d.span,
                ))
            }
            ast::DurationOrParam::Param(p) => {
                let value = self.name(p)?;
                if value.ty != Type::Duration {
                    self.mismatch(
                        p.span,
                        format!("expected a duration, but `{}` is {}", p.name, describe(&value.ty)),
                        format!("this is {}", describe(&value.ty)),
                        "write a duration such as `30 days`, or a param declared as `param window = 30 days`",
                    );
                    return None;
                }
                Some(value)
            }
        }
    }

    /// The unit of a duration expression, as far as the checker can know it.
    fn duration_unit(&self, duration: &Expr) -> Option<TimeUnit> {
        match &duration.kind {
            ExprKind::Duration { unit, .. } => Some(*unit),
            ExprKind::Param(id) => match &self.scope.params.get(id.0 as usize)?.1 {
                Const::Duration(d) => Some(d.unit),
                _ => None,
            },
            _ => None,
        }
    }

    /// Hours and minutes against a date have no meaning (a date has no time).
    fn check_unit_for_date(&mut self, duration: &Expr) -> Option<()> {
        if let Some(unit @ (TimeUnit::Hour | TimeUnit::Minute)) = self.duration_unit(duration) {
            let unit = if unit == TimeUnit::Hour {
                "hours"
            } else {
                "minutes"
            };
            self.report(
                Diagnostic::new(
                    Code::E0207,
                    duration.span,
                    format!("{unit} are finer than a date can tell"),
                )
                .with_label("used against a `date`")
                .with_help(
                    "use days, weeks, months or years with a date, or compare a timestamp field",
                ),
            );
            return None;
        }
        Some(())
    }

    /// `N unit ago` means `now - d` against a timestamp and `today - d` against a
    /// date: once the other side's type is known, retarget it.
    fn retarget_relative(&mut self, expr: Expr, partner: &Type) -> Option<Expr> {
        if *partner != Type::Date {
            return Some(expr);
        }
        match expr.kind {
            ExprKind::Ago {
                base: Relative::Now,
                duration,
            } => {
                self.check_unit_for_date(&duration)?;
                Some(mk(
                    ExprKind::Ago {
                        base: Relative::Today,
                        duration,
                    },
                    Type::Date,
                    expr.span,
                ))
            }
            _ => Some(expr),
        }
    }

    /// Unifies operands of a comparison-like operator and coerces them.
    fn unify_operands(&mut self, operands: Vec<Expr>, what: &str) -> Option<(Vec<Expr>, Type)> {
        let first = operands.first()?.ty.clone();
        let mut target = first.clone();
        for operand in &operands[1..] {
            match unify(&target, &operand.ty) {
                Some(t) => target = t,
                None => {
                    let help = mismatch_help(&target, &operand.ty);
                    self.mismatch(
                        operand.span,
                        format!(
                            "cannot {what} {} with {}",
                            describe(&first),
                            describe(&operand.ty)
                        ),
                        format!("this is {}", describe(&operand.ty)),
                        &help,
                    );
                    return None;
                }
            }
        }
        if is_history(&target) {
            let span = operands
                .iter()
                .find(|o| is_history(&o.ty))
                .map_or(operands[0].span, |o| o.span);
            self.history_misuse(span, &format!("`{what}`"), &target);
            return None;
        }
        if matches!(target, Type::List(_) | Type::Duration) {
            let help = if target == Type::Duration {
                "durations go after `within` or before `ago`"
            } else {
                "test list membership with `contains`, as in `interests contains \"yoga\"`"
            };
            self.mismatch(
                operands[0].span,
                format!("cannot {what} `{target}` values"),
                format!("this is {}", describe(&target)),
                help,
            );
            return None;
        }
        Some((
            operands.into_iter().map(|o| coerce(o, &target)).collect(),
            target,
        ))
    }

    /// Checks both sides, retargeting `ago` against a date partner.
    fn pair(&mut self, lhs: &ast::Expr, rhs: &ast::Expr) -> Option<(Expr, Expr)> {
        let l = self.check(lhs);
        let r = self.check(rhs);
        let (l, r) = (l?, r?);
        let l_ty = l.ty.clone();
        let l = self.retarget_relative(l, &r.ty)?;
        let r = self.retarget_relative(r, &l_ty)?;
        Some((l, r))
    }

    fn compare(
        &mut self,
        op: ast::CmpOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Option<Expr> {
        let (l, r) = self.pair(lhs, rhs)?;
        if matches!(op, ast::CmpOp::Eq | ast::CmpOp::Ne) {
            self.check_one_of_pair(&l, &r);
        }
        let (mut operands, ty) = self.unify_operands(vec![l, r], "compare")?;
        if ty == Type::Bool && !matches!(op, ast::CmpOp::Eq | ast::CmpOp::Ne) {
            self.mismatch(
                span,
                format!("`{}` does not order `bool` values", op.as_str()),
                "comparing `bool` values".into(),
                "compare `bool` values with `==` or `!=`, or use the condition itself",
            );
            return None;
        }
        let r = operands.pop()?;
        let l = operands.pop()?;
        Some(mk(
            ExprKind::Compare {
                op: cmp_op(op),
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
            Type::Bool,
            span,
        ))
    }

    fn before_after(
        &mut self,
        x: &ast::Expr,
        bound: &ast::Expr,
        before: bool,
        span: Span,
    ) -> Option<Expr> {
        let (l, r) = self.pair(x, bound)?;
        let word = if before { "before" } else { "after" };
        for side in [&l, &r] {
            if !side.ty.is_temporal() {
                self.mismatch(
                    side.span,
                    format!("`{word}` compares dates and timestamps, but this is {}", describe(&side.ty)),
                    format!("this is {}", describe(&side.ty)),
                    "write a date (2024-01-31), a timestamp (2024-01-31T10:00:00Z), `N days ago`, `today` or `now`",
                );
                return None;
            }
        }
        let (mut operands, _) = self.unify_operands(vec![l, r], "compare")?;
        let r = operands.pop()?;
        let l = operands.pop()?;
        Some(mk(
            ExprKind::Compare {
                op: if before { CmpOp::Lt } else { CmpOp::Gt },
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
            Type::Bool,
            span,
        ))
    }

    fn between(
        &mut self,
        x: &ast::Expr,
        lo: &ast::Expr,
        hi: &ast::Expr,
        negated: bool,
        span: Span,
    ) -> Option<Expr> {
        let (x, lo) = self.pair(x, lo)?;
        let hi = self.check(hi)?;
        let hi = self.retarget_relative(hi, &x.ty)?;
        let (mut operands, ty) = self.unify_operands(vec![x, lo, hi], "compare")?;
        if ty == Type::Bool {
            self.mismatch(
                span,
                "`between` does not order `bool` values".into(),
                "comparing `bool` values".into(),
                "compare `bool` values with `==` or `!=`",
            );
            return None;
        }
        let hi = operands.pop()?;
        let lo = operands.pop()?;
        let x = operands.pop()?;
        Some(mk(
            ExprKind::Between {
                expr: Box::new(x),
                lo: Box::new(lo),
                hi: Box::new(hi),
                negated,
            },
            Type::Bool,
            span,
        ))
    }

    /// A constant list element: a literal, a negated number or a scalar param.
    fn list_element(&mut self, element: &ast::Expr) -> Option<Expr> {
        let checked = self.check(element)?;
        let constant = matches!(checked.kind, ExprKind::Const(_) | ExprKind::Param(_));
        if !constant || matches!(checked.ty, Type::List(_) | Type::Duration) {
            self.report(
                Diagnostic::new(Code::E0206, element.span, "list elements must be values")
                    .with_label("not a single value")
                    .with_help(
                        "write literals such as \"US\" or 42, or names of params holding one value",
                    ),
            );
            return None;
        }
        Some(checked)
    }

    fn in_list(
        &mut self,
        x: &ast::Expr,
        list: &ast::Expr,
        negated: bool,
        span: Span,
    ) -> Option<Expr> {
        let value = self.check(x)?;
        match &list.kind {
            ast::ExprKind::List(items) => {
                let elements: Vec<Option<Expr>> =
                    items.iter().map(|i| self.list_element(i)).collect();
                let elements: Vec<Expr> = elements.into_iter().collect::<Option<_>>()?;
                for element in &elements {
                    self.check_one_of_pair(&value, element);
                }
                let mut operands = vec![value];
                operands.extend(elements);
                let (mut operands, _) = self.unify_operands(operands, "compare")?;
                let list = operands.split_off(1);
                let value = operands.pop()?;
                Some(mk(
                    ExprKind::InList {
                        expr: Box::new(value),
                        list,
                        list_param: None,
                        negated,
                    },
                    Type::Bool,
                    span,
                ))
            }
            _ => {
                let candidates = self.check(list)?;
                let element = candidates.ty.element();
                let is_param = matches!(candidates.kind, ExprKind::Param(_));
                match element {
                    Some(element) if is_param && *element == value.ty => {
                        self.check_one_of_param(&value, &candidates);
                        Some(mk(
                            ExprKind::InList {
                                expr: Box::new(value),
                                list: Vec::new(),
                                list_param: Some(Box::new(candidates)),
                                negated,
                            },
                            Type::Bool,
                            span,
                        ))
                    }
                    Some(element) if is_param => {
                        self.mismatch(
                            list.span,
                            format!(
                                "cannot look for {} in a list of `{element}`",
                                describe(&value.ty)
                            ),
                            format!("this is a `{}`", candidates.ty),
                            "the list's elements must have the value's type",
                        );
                        None
                    }
                    Some(_) => {
                        self.mismatch(
                            list.span,
                            "`in` needs a list of values".into(),
                            format!("this is a `{}` read from each profile", candidates.ty),
                            "to test a list field, turn it around: `interests contains \"yoga\"`",
                        );
                        None
                    }
                    None => {
                        self.mismatch(
                            list.span,
                            format!(
                                "`in` needs a list, but this is {}",
                                describe(&candidates.ty)
                            ),
                            format!("this is {}", describe(&candidates.ty)),
                            "write a list, as in `country in [\"US\", \"CA\"]`, or use `==`",
                        );
                        None
                    }
                }
            }
        }
    }

    /// The values after `contains any/all/none`: a list literal or a list param.
    fn list_values(
        &mut self,
        list: &ast::Expr,
        element: &Type,
        word: &str,
    ) -> Option<(Vec<Expr>, Option<Box<Expr>>)> {
        match &list.kind {
            ast::ExprKind::List(items) => {
                let elements: Vec<Option<Expr>> =
                    items.iter().map(|i| self.list_element(i)).collect();
                let elements: Vec<Expr> = elements.into_iter().collect::<Option<_>>()?;
                for e in &elements {
                    if e.ty != *element {
                        self.mismatch(
                            e.span,
                            format!(
                                "the list holds `{element}` values, but this is {}",
                                describe(&e.ty)
                            ),
                            format!("this is {}", describe(&e.ty)),
                            "every value must have the list's element type",
                        );
                        return None;
                    }
                }
                Some((elements, None))
            }
            _ => {
                let values = self.check(list)?;
                if matches!(values.kind, ExprKind::Param(_)) && values.ty.element() == Some(element)
                {
                    return Some((Vec::new(), Some(Box::new(values))));
                }
                self.mismatch(
                    list.span,
                    format!("`contains {word}` needs a list of `{element}` values"),
                    format!("this is {}", describe(&values.ty)),
                    &format!(
                        "write a list, as in `interests contains {word} [\"yoga\", \"running\"]`"
                    ),
                );
                None
            }
        }
    }

    fn contains(
        &mut self,
        target: &ast::Expr,
        quantifier: ast::Quantifier,
        value: &ast::Expr,
        negated: bool,
        span: Span,
    ) -> Option<Expr> {
        let target_checked = self.check(target)?;
        if target_checked.ty == Type::String {
            if quantifier != ast::Quantifier::One {
                self.mismatch(
                    value.span,
                    "`contains any`, `all` and `none` apply to lists, not strings".into(),
                    "the target is a `string`".into(),
                    "for a string, write one `contains \"text\"` per piece, joined with `or`",
                );
                return None;
            }
            return self.str_pred_checked(StrOp::Contains, target_checked, value, negated, span);
        }
        if is_history(&target_checked.ty) {
            self.history_misuse(target.span, "`contains`", &target_checked.ty);
            return None;
        }
        let Some(element) = target_checked.ty.element().cloned() else {
            self.mismatch(
                target.span,
                format!(
                    "`contains` needs a string or a list, but this is {}",
                    describe(&target_checked.ty)
                ),
                format!("this is {}", describe(&target_checked.ty)),
                "use `==`, `in` or a comparison for single values",
            );
            return None;
        };
        let word = match quantifier {
            ast::Quantifier::One => "",
            ast::Quantifier::Any => "any",
            ast::Quantifier::All => "all",
            ast::Quantifier::None => "none",
        };
        let (values, values_param) = if quantifier == ast::Quantifier::One {
            let needle = self.list_element(value)?;
            if needle.ty != element {
                self.mismatch(
                    value.span,
                    format!(
                        "the list holds `{element}` values, but this is {}",
                        describe(&needle.ty)
                    ),
                    format!("this is {}", describe(&needle.ty)),
                    "look for a value of the list's element type",
                );
                return None;
            }
            (vec![needle], None)
        } else {
            self.list_values(value, &element, word)?
        };
        let (quantifier, wrap_not) = match (quantifier, negated) {
            (ast::Quantifier::One | ast::Quantifier::Any, false) => (ListQuantifier::Any, false),
            (ast::Quantifier::One | ast::Quantifier::Any, true) => (ListQuantifier::None, false),
            (ast::Quantifier::All, n) => (ListQuantifier::All, n),
            (ast::Quantifier::None, n) => (ListQuantifier::None, n),
        };
        let node = mk(
            ExprKind::ListContains {
                list: Box::new(target_checked),
                quantifier,
                values,
                values_param,
            },
            Type::Bool,
            span,
        );
        Some(if wrap_not {
            mk(ExprKind::Not(Box::new(node)), Type::Bool, span)
        } else {
            node
        })
    }

    fn str_pred(
        &mut self,
        op: StrOp,
        target: &ast::Expr,
        pattern: &ast::Expr,
        negated: bool,
        span: Span,
    ) -> Option<Expr> {
        let target_checked = self.check(target)?;
        if target_checked.ty != Type::String {
            let word = match op {
                StrOp::StartsWith => "starts with",
                StrOp::EndsWith => "ends with",
                StrOp::Matches => "matches",
                StrOp::Contains => "contains",
            };
            self.mismatch(
                target.span,
                format!(
                    "`{word}` needs a string, but this is {}",
                    describe(&target_checked.ty)
                ),
                format!("this is {}", describe(&target_checked.ty)),
                "string predicates apply to `string` fields and expressions",
            );
            return None;
        }
        self.str_pred_checked(op, target_checked, pattern, negated, span)
    }

    fn str_pred_checked(
        &mut self,
        op: StrOp,
        target: Expr,
        pattern: &ast::Expr,
        negated: bool,
        span: Span,
    ) -> Option<Expr> {
        let pattern_checked = self.check(pattern)?;
        if pattern_checked.ty != Type::String {
            self.mismatch(
                pattern.span,
                format!(
                    "expected a string here, but this is {}",
                    describe(&pattern_checked.ty)
                ),
                format!("this is {}", describe(&pattern_checked.ty)),
                "put text between double quotes: \"like this\"",
            );
            return None;
        }
        if op == StrOp::Matches {
            let text = match &pattern_checked.kind {
                ExprKind::Const(Const::String(s)) => Some(s.clone()),
                ExprKind::Param(id) => match &self.scope.params.get(id.0 as usize)?.1 {
                    Const::String(s) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            };
            let Some(text) = text else {
                self.report(
                    Diagnostic::new(Code::E0206, pattern.span, "the pattern of `matches` must be a constant")
                        .with_label("computed per profile")
                        .with_help("write the pattern as a string literal or a string param, so it is checked before anything runs"),
                );
                return None;
            };
            let admitted = self.scope.patterns.borrow_mut().admit(&text);
            let mut failed = false;
            for problem in admitted {
                failed = true;
                self.report(problem.diagnostic(&text, pattern.span));
            }
            if failed {
                return None;
            }
        }
        Some(mk(
            ExprKind::StrPred {
                op,
                target: Box::new(target),
                pattern: Box::new(pattern_checked),
                negated,
            },
            Type::Bool,
            span,
        ))
    }

    fn arith(
        &mut self,
        op: ast::ArithOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Option<Expr> {
        let l = self.check(lhs);
        let r = self.check(rhs);
        let (l, r) = (l?, r?);
        for side in [&l, &r] {
            if !side.ty.is_numeric() {
                self.mismatch(
                    side.span,
                    format!(
                        "`{}` needs numbers, but this is {}",
                        op.as_str(),
                        describe(&side.ty)
                    ),
                    format!("this is {}", describe(&side.ty)),
                    "arithmetic applies to `int`, `float` and `decimal` values",
                );
                return None;
            }
        }
        let ir_op = match op {
            ast::ArithOp::Add => seg_ir::ArithOp::Add,
            ast::ArithOp::Sub => seg_ir::ArithOp::Sub,
            ast::ArithOp::Mul => seg_ir::ArithOp::Mul,
            ast::ArithOp::Div => seg_ir::ArithOp::Div,
            ast::ArithOp::Rem => seg_ir::ArithOp::Rem,
        };
        // `/` always divides floats; the others work at the common type.
        let ty = if ir_op == seg_ir::ArithOp::Div {
            Type::Float
        } else {
            unify(&l.ty, &r.ty)?
        };
        Some(mk(
            ExprKind::Arith {
                op: ir_op,
                lhs: Box::new(coerce(l, &ty)),
                rhs: Box::new(coerce(r, &ty)),
            },
            ty,
            span,
        ))
    }

    fn call(&mut self, func: &ast::Ident, args: &[ast::Expr], span: Span) -> Option<Expr> {
        let Some(f) = Func::lookup(&func.name) else {
            let mut diagnostic = Diagnostic::new(
                Code::E0114,
                func.span,
                format!("unknown function `{}`", func.name),
            )
            .with_label("not a function");
            let names = Func::ALL.iter().map(|f| f.name());
            let close = did_you_mean(&func.name, names);
            if let Some(close) = close {
                crate::suggest_name(&mut diagnostic, func.span, close);
            }
            diagnostic.help = Some(match close {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the functions are {}", facts::function_names()),
            });
            self.report(diagnostic);
            return None;
        };
        let facts = facts::func(f);
        if !facts.arity.admits(args.len()) {
            self.report(
                Diagnostic::new(
                    Code::E0205,
                    span,
                    format!(
                        "`{}` takes {}, but {} were given",
                        func.name,
                        facts.arity.describe(),
                        args.len()
                    ),
                )
                .with_label("wrong number of arguments")
                .with_help(signature(f)),
            );
            return None;
        }
        let checked: Vec<Option<Expr>> = args.iter().map(|a| self.check(a)).collect();
        let checked: Vec<Expr> = checked.into_iter().collect::<Option<_>>()?;
        if let Some(history) = checked.iter().find(|a| is_history(&a.ty)) {
            self.history_misuse(history.span, &format!("`{}`", func.name), &history.ty);
            return None;
        }
        let types: Vec<&Type> = checked.iter().map(|a| &a.ty).collect();
        let result = match (facts.typing)(&types) {
            Ok(result) => result,
            Err(error) => {
                let (index, message) = match error {
                    TypeError::Arg(index) => (index, None),
                    TypeError::Mix { index, with } => (index, Some(with)),
                };
                // Arity was checked, so the rule names an argument that exists.
                let arg = checked.get(index)?;
                let message = match message {
                    None => format!("`{}` cannot take {}", func.name, describe(&arg.ty)),
                    Some(with) => format!(
                        "`{}` cannot mix {} with {}",
                        func.name,
                        describe(&with),
                        describe(&arg.ty)
                    ),
                };
                self.mismatch(
                    arg.span,
                    message,
                    format!("this is {}", describe(&arg.ty)),
                    signature(f),
                );
                return None;
            }
        };
        let args = if facts.coerce_args {
            checked.into_iter().map(|a| coerce(a, &result)).collect()
        } else {
            checked
        };
        let args = if f == Func::Bucket {
            self.bucket_args(args, span)?
        } else {
            args
        };
        Some(mk(ExprKind::Call { func: f, args }, result, span))
    }

    /// What the facts table cannot say about `bucket("salt")` (LANGUAGE.md
    /// §7.2): the salt is a constant, and the program has an int or string
    /// `key` field, which is appended as the call's second argument (see
    /// `seg_ir::ExprKind::Call`), so every later stage sees the key column
    /// as an ordinary field read.
    fn bucket_args(&mut self, mut args: Vec<Expr>, span: Span) -> Option<Vec<Expr>> {
        let salt = args.first()?;
        let constant = match &salt.kind {
            ExprKind::Const(Const::String(_)) => true,
            ExprKind::Param(id) => matches!(
                self.scope.params.get(id.0 as usize),
                Some((_, Const::String(_)))
            ),
            _ => false,
        };
        if !constant {
            self.report(
                Diagnostic::new(Code::E0206, salt.span, "the salt of `bucket` must be a constant")
                    .with_label("computed per profile")
                    .with_help("write the salt as a string literal or a string param, such as `bucket(\"spring-2026\")`, so that every profile is split the same way"),
            );
            return None;
        }
        let schema = &self.scope.schema;
        let Some(key) = schema.key() else {
            self.report(
                Diagnostic::new(Code::E0123, span, "`bucket` needs a `key` field, but the schema has none")
                    .with_label("reads the profile's key")
                    .with_help("declare `key` on the field that identifies a profile, such as `customer_id: int key`"),
            );
            return None;
        };
        let field = schema.field(key);
        if !matches!(field.ty, Type::Int | Type::String) {
            let (name, ty) = (field.name.clone(), field.ty.clone());
            self.report(
                Diagnostic::new(
                    Code::E0123,
                    span,
                    format!("`bucket` needs an int or string `key` field, but `{name}` is {}", describe(&ty)),
                )
                .with_label("reads the profile's key")
                .with_secondary(field.span, "the key field")
                .with_help("declare `key` on an int or string field that identifies a profile, such as `customer_id: int key`"),
            );
            return None;
        }
        args.push(mk(ExprKind::Field(key), field.ty.clone(), span));
        Some(args)
    }

    /// E0201 for a list of records used where only an aggregate takes one.
    fn history_misuse(&mut self, span: Span, what: &str, ty: &Type) {
        self.mismatch(
            span,
            format!("{what} does not apply to a list of records"),
            format!("this is a `{ty}`"),
            "aggregate the records: `count(orders) > 0`, `any(orders where amount > 100)` or `sum(orders.amount) > 500`",
        );
    }

    /// Reports a string constant compared with a `one of` field when the value
    /// is not one of the field's values.
    fn check_one_of_pair(&mut self, a: &Expr, b: &Expr) {
        for (element, other) in [(a, b), (b, a)] {
            let ExprKind::Element(index) = element.kind else {
                continue;
            };
            let Some(record) = &self.record else { continue };
            let (Some(Some(values)), Some(field)) =
                (record.one_of.get(index), record.fields.get(index))
            else {
                continue;
            };
            let (values, name) = (values.clone(), field.name.clone());
            if let ExprKind::Const(Const::String(s)) = &other.kind {
                let s = s.clone();
                self.check_one_of_value(&name, &values, &s, other.span, true);
            }
        }
        for (field, other) in [(a, b), (b, a)] {
            let ExprKind::Field(id) = field.kind else {
                continue;
            };
            let Some(values) = &self.scope.schema.field(id).one_of else {
                continue;
            };
            let written = matches!(other.kind, ExprKind::Const(Const::String(_)));
            let literal = match &other.kind {
                ExprKind::Const(Const::String(s)) => s.clone(),
                ExprKind::Param(pid) => match self.scope.params.get(pid.0 as usize) {
                    Some((_, Const::String(s))) => s.clone(),
                    _ => continue,
                },
                _ => continue,
            };
            let name = self.scope.schema.field(id).name.clone();
            self.check_one_of_value(&name, values, &literal, other.span, written);
        }
    }

    fn check_one_of_param(&mut self, value: &Expr, list: &Expr) {
        let ExprKind::Field(id) = value.kind else {
            return;
        };
        let Some(values) = self.scope.schema.field(id).one_of.clone() else {
            return;
        };
        let ExprKind::Param(pid) = list.kind else {
            return;
        };
        if let Some((_, Const::ListString(items))) = self.scope.params.get(pid.0 as usize) {
            let name = self.scope.schema.field(id).name.clone();
            for item in items.clone() {
                self.check_one_of_value(&name, &values, &item, list.span, false);
            }
        }
    }

    /// `written` is true when `span` is the string literal itself, so that
    /// a "did you mean" can be applied there as a fix.
    pub fn check_one_of_value(
        &mut self,
        field: &str,
        values: &[String],
        value: &str,
        span: Span,
        written: bool,
    ) {
        if values.iter().any(|v| v == value) {
            return;
        }
        let listed = values
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut diagnostic = Diagnostic::new(
            Code::E0203,
            span,
            format!("\"{value}\" is not one of the values of `{field}`"),
        )
        .with_label(format!("`{field}` is one of {listed}"));
        let close = did_you_mean(value, values.iter().map(String::as_str));
        if let Some(close) = close.filter(|_| written) {
            crate::suggest_string(&mut diagnostic, span, close);
        }
        diagnostic.help = Some(match close {
            Some(close) => format!("did you mean \"{close}\"?"),
            None => {
                format!("use one of {listed}, or add \"{value}\" to the field's `one of` list")
            }
        });
        self.report(diagnostic);
    }
}

/// The signature shown in a function's help messages.
fn signature(f: Func) -> &'static str {
    facts::func(f).signature
}

/// True for a list of records (a history).
fn is_history(ty: &Type) -> bool {
    ty.element().and_then(Type::record_fields).is_some()
}

fn condition_help(ty: &Type) -> String {
    match ty {
        _ if is_history(ty) => {
            "aggregate the records, as in `count(orders) > 0` or `any(orders where amount > 100)`"
                .to_string()
        }
        Type::Int | Type::Float | Type::Decimal => {
            "compare the number, as in `total_orders > 0`".to_string()
        }
        Type::String => "compare the text, as in `country == \"US\"`".to_string(),
        Type::Date | Type::Timestamp => {
            "compare the time, as in `last_purchase_at within 30 days`".to_string()
        }
        Type::List(_) => "test membership, as in `interests contains \"yoga\"`".to_string(),
        _ => "a condition is a comparison, a `bool` field, or a segment name".to_string(),
    }
}

fn mismatch_help(a: &Type, b: &Type) -> String {
    use Type::*;
    if is_history(a) || is_history(b) {
        return "aggregate the records: `count(orders) > 0`, `any(orders where amount > 100)` or `sum(orders.amount) > 500`".into();
    }
    match (a, b) {
        (String, Int | Float | Decimal) | (Int | Float | Decimal, String) => {
            "numbers and text do not compare; remove the quotes from a number, or compare with text".into()
        }
        (String, Date | Timestamp) | (Date | Timestamp, String) => {
            "write dates without quotes, as in 2024-01-31".into()
        }
        (Bool, _) | (_, Bool) => "compare `bool` values with `true` or `false`".into(),
        (List(_), _) | (_, List(_)) => {
            "test list membership with `contains`, as in `interests contains \"yoga\"`".into()
        }
        _ => "compare values of one type; `int`, `float` and `decimal` mix, and so do `date` and `timestamp`".into(),
    }
}

/// The last line of a regex syntax error, which names the problem.
fn regex_reason(text: &str) -> String {
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || text.lines().next().unwrap_or("").to_string(),
            str::to_string,
        )
}
