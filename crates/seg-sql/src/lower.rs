//! Typed Seg IR to SQL text, one dialect at a time.
//!
//! Values are kept in one SQL form per Seg type, whatever the column's
//! physical type: `int` a 64-bit integer, `float` a NaN-free double,
//! `decimal` an exact decimal, `date` a DATE, and `timestamp` the instant as
//! **microseconds since the Unix epoch** (an integer). The last choice keeps
//! every engine's session time zone out of every comparison: an instant is a
//! number, a calendar date is a DATE, and the calendar of an instant is
//! computed from its UTC day number, or, in a program with a `timezone`
//! other than UTC, by the engine's conversion to that named zone (the
//! dialect's `local_date` and `local_midnight`, refused where the engine
//! has no exact one).
//!
//! Whatever does not read a row — params, relative time, `N months ago`,
//! constant arithmetic — is computed by Seg's evaluator for the run's
//! `as_of` ([`seg_eval::fold_constant`], the one definition of the language's
//! meaning) and printed as a typed literal; SQL never does calendar
//! arithmetic and never reads the database's clock.

use crate::dialect::{Dialect, IntOp};
use crate::regex;
use seg_diagnostics::{Code, Diagnostic, Span};
use seg_eval::num::DAY_MICROS;
use seg_ir::{
    AggFunc, ArithOp, CmpOp, Const, Expr, ExprKind, Func, ListQuantifier, Program, RecordField,
    Relative, SegmentId, StrOp, Type,
};
use std::collections::HashMap;
use std::sync::Arc;

/// The most bytes of SQL one segment may take. Segment references are
/// inlined and a few forms repeat an operand (checked integer arithmetic on
/// engines without a checked form, `abs`, `%` of ints, BigQuery's NaN test),
/// so a pathological program could grow without bound.
pub(crate) const SEGMENT_LIMIT: usize = 4 << 20;

/// The most bytes of SQL text lowering one segment may produce, counting
/// every intermediate expression: a deep tree repeats its leaves' text at
/// every level, so this bounds the work (not only the result) of a hostile
/// program.
const SEGMENT_WORK: usize = 16 * SEGMENT_LIMIT;

/// Lowers the expressions of one program for one dialect, collecting every
/// construct the dialect cannot express (each a located E0501/E0502).
pub(crate) struct Lowering<'a> {
    pub program: &'a Program,
    pub params: &'a [Const],
    pub as_of: i64,
    pub dialect: Dialect,
    memberships: HashMap<SegmentId, String>,
    pub errors: Vec<Diagnostic>,
    /// Bytes of SQL produced for the segment being lowered.
    produced: usize,
    /// Whether the segment being lowered went past [`SEGMENT_LIMIT`] or
    /// [`SEGMENT_WORK`]; lowering it stops early then.
    oversized: bool,
    /// The record type of the aggregate being lowered, while its filter and
    /// value are (what an [`ExprKind::Element`] reads).
    record: Option<Arc<[RecordField]>>,
}

impl<'a> Lowering<'a> {
    pub fn new(program: &'a Program, params: &'a [Const], as_of: i64, dialect: Dialect) -> Self {
        Lowering {
            program,
            params,
            as_of,
            dialect,
            memberships: HashMap::new(),
            errors: Vec::new(),
            produced: 0,
            oversized: false,
            record: None,
        }
    }

    /// A segment's membership: `where` true and `exclude` not true, as a
    /// boolean that is never NULL. `COALESCE` rather than `IS TRUE`, which
    /// Snowflake lacks.
    pub fn membership(&mut self, id: SegmentId) -> String {
        if let Some(done) = self.memberships.get(&id) {
            return done.clone();
        }
        let segment = &self.program.segments[id.0 as usize];
        let span = segment.span;
        // A segment referenced from another is lowered in the middle of
        // that one: its size is its own.
        let outer = (
            std::mem::take(&mut self.produced),
            std::mem::take(&mut self.oversized),
        );
        let w = self.value(&segment.where_);
        let text = match &segment.exclude {
            Some(exclude) => {
                let e = self.value(exclude);
                format!("(COALESCE({w}, FALSE) AND NOT COALESCE({e}, FALSE))")
            }
            None => format!("COALESCE({w}, FALSE)"),
        };
        let oversized = self.oversized || text.len() > SEGMENT_LIMIT;
        (self.produced, self.oversized) = outer;
        let text = if oversized {
            self.errors.push(
                Diagnostic::new(
                    Code::E0503,
                    span,
                    format!(
                        "segment `{}` would take more than {} MB of SQL",
                        segment.name,
                        SEGMENT_LIMIT >> 20
                    ),
                )
                .with_help(
                    "segment references are inlined and checked arithmetic repeats its operands; \
                     split deeply nested arithmetic or chains of references into separate queries",
                ),
            );
            "FALSE".to_string()
        } else {
            text
        };
        self.memberships.insert(id, text.clone());
        text
    }

    /// A construct the dialect cannot express with Seg's meaning.
    fn refuse(&mut self, span: Span, what: impl Into<String>, help: impl Into<String>) -> String {
        let what = what.into();
        self.errors.push(
            Diagnostic::new(
                Code::E0501,
                span,
                format!(
                    "{what} cannot be expressed exactly in {}",
                    self.dialect.title()
                ),
            )
            .with_help(help),
        );
        "NULL".to_string()
    }

    fn null(&self, ty: &Type) -> String {
        let d = self.dialect;
        let t = match ty {
            Type::Int | Type::Timestamp => d.bigint().to_string(),
            Type::Float => d.double().to_string(),
            Type::Decimal => d.decimal(38, 0),
            Type::Bool => d.boolean().to_string(),
            Type::String => d.text().to_string(),
            Type::Date => "DATE".to_string(),
            _ => return "NULL".to_string(),
        };
        format!("CAST(NULL AS {t})")
    }

    /// A constant of type `ty` (NULL when missing).
    fn literal(&mut self, value: Option<&Const>, ty: &Type, span: Span) -> String {
        let d = self.dialect;
        let Some(value) = value else {
            return self.null(ty);
        };
        match value {
            Const::Int(v) if *v == i64::MIN => {
                format!("(CAST(-9223372036854775807 AS {}) - 1)", d.bigint())
            }
            Const::Int(v) => v.to_string(),
            Const::Float(v) if v.is_nan() => self.null(&Type::Float),
            Const::Float(v) => d.float(*v),
            Const::Decimal { unscaled, scale } => {
                let (text, precision) = decimal_text(*unscaled, u32::from(*scale));
                if precision > 38 {
                    return self.refuse(
                        span,
                        format!("the decimal {text}, of more than 38 digits,"),
                        "SQL decimals hold at most 38 digits",
                    );
                }
                d.decimal_literal(&text, precision, u32::from(*scale))
            }
            Const::Bool(true) => "TRUE".to_string(),
            Const::Bool(false) => "FALSE".to_string(),
            Const::String(s) => self.string(s, span),
            Const::Date(days) => match date_text(*days) {
                Some(text) => format!("DATE '{text}'"),
                None => self.refuse(
                    span,
                    "a date outside the years 1 to 9999",
                    "SQL engines hold dates of the years 1 to 9999",
                ),
            },
            Const::Timestamp(micros) => {
                // An instant is compared as its microseconds; the comment
                // says which instant it is.
                match instant_text(*micros) {
                    Some(text) => format!("/* {text} */ {micros}"),
                    None => micros.to_string(),
                }
            }
            Const::ListString(_)
            | Const::ListInt(_)
            | Const::Duration(_)
            | Const::Records { .. } => self.refuse(
                span,
                "a list or duration used as a value",
                "lists are only used with `in` and `contains`",
            ),
        }
    }

    fn string(&mut self, s: &str, span: Span) -> String {
        if s.contains('\0') && self.dialect == Dialect::Postgres {
            return self.refuse(
                span,
                "a string holding the character U+0000",
                "PostgreSQL text cannot hold U+0000",
            );
        }
        self.dialect.string(s)
    }

    /// The value of an expression that reads no row, computed by Seg.
    fn folded(&mut self, e: &Expr) -> Option<Option<Const>> {
        if seg_ir::reads_row(e) {
            return None;
        }
        match seg_eval::fold_constant(self.program, self.params, self.as_of, e) {
            Ok(value) => Some(value),
            Err(message) => {
                self.errors.push(Diagnostic::new(
                    Code::E0901,
                    e.span,
                    format!("cannot compute a constant for SQL: {message}"),
                ));
                Some(None)
            }
        }
    }

    /// The SQL of an expression's value, in the form of its type described
    /// in the module documentation. Once the segment is too large, `NULL`
    /// (the segment is refused with E0503 anyway).
    pub fn value(&mut self, e: &Expr) -> String {
        if self.oversized {
            return "NULL".to_string();
        }
        let text = self.value_of(e);
        self.produced += text.len();
        if text.len() > SEGMENT_LIMIT || self.produced > SEGMENT_WORK {
            self.oversized = true;
            return "NULL".to_string();
        }
        text
    }

    /// [`Lowering::value`] of one node.
    fn value_of(&mut self, e: &Expr) -> String {
        let d = self.dialect;
        if !matches!(e.kind, ExprKind::Const(_))
            && !matches!(e.ty, Type::List(_) | Type::Duration)
            && let Some(value) = self.folded(e)
        {
            return self.literal(value.as_ref(), &e.ty, e.span);
        }
        match &e.kind {
            ExprKind::Const(c) => self.literal(Some(c), &e.ty, e.span),
            ExprKind::Field(id) => {
                let field = self.program.schema.field(*id);
                column_value(d, &d.ident(&field.name), &field.ty)
            }
            ExprKind::Segment(id) => self.membership(*id),
            ExprKind::Param(_)
            | ExprKind::Relative(_)
            | ExprKind::Duration { .. }
            | ExprKind::Ago { .. } => self.refuse(
                e.span,
                "a value that depends on a row where a constant was expected",
                "this is a bug in Seg; please report it",
            ),
            ExprKind::Cast(inner) => {
                let x = self.value(inner);
                match (&inner.ty, &e.ty) {
                    (Type::Int, Type::Float) => format!("CAST({x} AS {})", d.double()),
                    (Type::Int, Type::Decimal) => format!("CAST({x} AS {})", d.decimal(20, 0)),
                    // Through text: a decimal's text parses to the nearest
                    // double, where dividing by a power of ten (how engines
                    // cast) can round twice.
                    (Type::Decimal, Type::Float) => {
                        format!("CAST(CAST({x} AS {}) AS {})", d.text(), d.double())
                    }
                    (Type::Date, Type::Timestamp) if self.program.timezone.is_utc() => {
                        format!("({} * {DAY_MICROS})", d.epoch_days(&x))
                    }
                    (Type::Date, Type::Timestamp) => {
                        let zone = self.program.timezone.name();
                        match d.local_midnight(&x, zone) {
                            Some(sql) => sql,
                            None => self.refuse(
                                e.span,
                                format!(
                                    "a date column compared with a timestamp (its local midnight in `{zone}`)"
                                ),
                                "compare the date with a date (`signup_date >= 2026-03-01`), \
                                 or compile for DuckDB, PostgreSQL or DataFusion",
                            ),
                        }
                    }
                    (from, to) => self.refuse(
                        e.span,
                        format!("a conversion from {from} to {to}"),
                        "this is a bug in Seg; please report it",
                    ),
                }
            }
            ExprKind::Not(inner) => format!("(NOT {})", self.value(inner)),
            ExprKind::And(items) | ExprKind::Or(items) => {
                let joiner = if matches!(e.kind, ExprKind::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let parts: Vec<String> = items.iter().map(|x| self.value(x)).collect();
                format!("({})", parts.join(joiner))
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let (l, r) = (self.value(lhs), self.value(rhs));
                let ordered = lhs.ty == Type::String && !matches!(op, CmpOp::Eq | CmpOp::Ne);
                let (l, r) = if ordered {
                    (d.ordered_string(&l), d.ordered_string(&r))
                } else {
                    (l, r)
                };
                format!("({l} {} {r})", cmp_symbol(*op))
            }
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } => {
                let (x, lo_sql, hi_sql) = (self.value(expr), self.value(lo), self.value(hi));
                let (x, lo_sql, hi_sql) = if expr.ty == Type::String {
                    (
                        d.ordered_string(&x),
                        d.ordered_string(&lo_sql),
                        d.ordered_string(&hi_sql),
                    )
                } else {
                    (x, lo_sql, hi_sql)
                };
                let not = if *negated { "NOT " } else { "" };
                format!("({x} {not}BETWEEN {lo_sql} AND {hi_sql})")
            }
            ExprKind::InList {
                expr,
                list,
                list_param,
                negated,
            } => {
                let x = self.value(expr);
                let candidates = self.listed(list, list_param.as_deref(), &expr.ty);
                if candidates.is_empty() {
                    // `x in []` is false for a present x; `IN ()` is not SQL.
                    let when_present = if *negated { "TRUE" } else { "FALSE" };
                    return format!("(CASE WHEN {x} IS NULL THEN NULL ELSE {when_present} END)");
                }
                let not = if *negated { "NOT " } else { "" };
                let test = format!("({x} {not}IN ({}))", candidates.join(", "));
                if self.dialect == Dialect::DataFusion {
                    // DataFusion 55's simplifier rewrites `x IN (l) AND x NOT
                    // IN (l)` to FALSE even when x is NULL (it should stay
                    // NULL): tests/sql/FINDINGS.md. A missing x is decided
                    // outside the IN, which that rewrite does not look into.
                    return format!(
                        "(CASE WHEN {x} IS NULL THEN CAST(NULL AS BOOLEAN) ELSE {test} END)"
                    );
                }
                test
            }
            ExprKind::IsMissing { expr, negated } => {
                if self.dialect == Dialect::BigQuery && matches!(expr.ty, Type::List(_)) {
                    return self.refuse(
                        e.span,
                        "`is missing` on a list",
                        "BigQuery stores a missing list as an empty one, so the two cannot be told apart",
                    );
                }
                let x = self.value(expr);
                let not = if *negated { "NOT " } else { "" };
                format!("({x} IS {not}NULL)")
            }
            ExprKind::StrPred {
                op,
                target,
                pattern,
                negated,
            } => {
                let s = self.value(target);
                let test = self.string_test(*op, &s, pattern, e.span);
                if *negated {
                    format!("(NOT {test})")
                } else {
                    test
                }
            }
            ExprKind::ListContains {
                list,
                quantifier,
                values,
                values_param,
            } => {
                let l = self.value(list);
                let element = list.ty.element().cloned().unwrap_or(Type::String);
                let mut wanted = self.listed(values, values_param.as_deref(), &element);
                wanted.sort();
                wanted.dedup();
                if wanted.is_empty() {
                    let when_present = match quantifier {
                        ListQuantifier::Any => "FALSE",
                        ListQuantifier::All | ListQuantifier::None => "TRUE",
                    };
                    return format!("(CASE WHEN {l} IS NULL THEN NULL ELSE {when_present} END)");
                }
                let element_type = match element {
                    Type::Int => d.bigint(),
                    _ => d.text(),
                };
                let array = d.array(&wanted, element_type);
                match quantifier {
                    ListQuantifier::Any => d.list_has_any(&l, &array),
                    ListQuantifier::All => d.list_has_all(&l, &array),
                    ListQuantifier::None => format!("(NOT {})", d.list_has_any(&l, &array)),
                }
            }
            ExprKind::Within { expr, duration } => {
                let base = if expr.ty == Type::Date {
                    Relative::Today
                } else {
                    Relative::Now
                };
                let lower = Expr {
                    kind: ExprKind::Ago {
                        base,
                        duration: duration.clone(),
                    },
                    ty: expr.ty.clone(),
                    span: e.span,
                };
                let upper = Expr {
                    kind: ExprKind::Relative(base),
                    ty: expr.ty.clone(),
                    span: e.span,
                };
                let lo = self.folded(&lower).flatten();
                let hi = self.folded(&upper).flatten();
                match (lo, hi) {
                    (Some(lo), Some(hi)) => {
                        let x = self.value(expr);
                        let lo = self.literal(Some(&lo), &expr.ty, e.span);
                        let hi = self.literal(Some(&hi), &expr.ty, e.span);
                        format!("({x} BETWEEN {lo} AND {hi})")
                    }
                    // A window whose start is out of range is unknown for
                    // every row, as the evaluator has it.
                    _ => self.null(&Type::Bool),
                }
            }
            ExprKind::Arith { op, lhs, rhs } => self.arith(*op, lhs, rhs, e),
            ExprKind::Neg(inner) => match inner.ty {
                Type::Int => {
                    let x = self.value(inner);
                    self.checked_int(IntOp::Sub, "0", &x, seg_ir::has_aggregate(inner))
                }
                Type::Float => d.nan_to_null(&format!("(- {})", self.value(inner))),
                _ => format!("(- {})", self.value(inner)),
            },
            ExprKind::Call { func, args } => self.call(*func, args, e),
            // --- Event histories (v0.2) ---
            ExprKind::Aggregate {
                func,
                list,
                value,
                filter,
            } => self.aggregate(*func, list, *value, filter.as_deref(), e),
            ExprKind::Element(index) => {
                let field = self
                    .record
                    .as_ref()
                    .and_then(|fields| fields.get(*index))
                    .map(|f| (f.name.clone(), f.ty.clone()));
                match field {
                    Some((name, ty)) => column_value(d, &d.record_field(&name), &ty),
                    None => self.refuse(
                        e.span,
                        "a record field outside an aggregate",
                        "this is a bug in Seg; please report it",
                    ),
                }
            }
        }
    }

    /// An aggregate over a list of records (LANGUAGE.md §7.1), as a scalar
    /// subquery over the list's records (`Dialect::records`): a record
    /// counts when it is present and the filter is true (`WHERE` drops
    /// unknown), SQL's aggregates skip missing values (NaN is read as
    /// NULL), a missing list has no records, `count` of nothing is 0 and
    /// `EXISTS` is never NULL: §7.1's corners are SQL's own, except those
    /// handled here (sums that overflow, `avg` rounded once, `-0.0` in
    /// `count_distinct`, the order of strings).
    fn aggregate(
        &mut self,
        func: AggFunc,
        list: &Expr,
        value: Option<usize>,
        filter: Option<&Expr>,
        e: &Expr,
    ) -> String {
        let d = self.dialect;
        if let Some(why) = d.history_refusal() {
            return self.refuse(
                e.span,
                format!("`{}` over an event history", func.as_str()),
                format!(
                    "{why}; run these rules with `seg run`, or compile for DuckDB, PostgreSQL or \
                     BigQuery"
                ),
            );
        }
        // Inside the subquery a profile column named like its alias would
        // be shadowed by it.
        if let Some(field) = self
            .program
            .schema
            .fields
            .iter()
            .find(|f| f.name == Dialect::RECORD || f.name == "seg_records")
        {
            let name = field.name.clone();
            return self.refuse(
                e.span,
                format!("an aggregate in a program with a field named `{name}`"),
                format!("the SQL of an aggregate names its record `{name}`; rename the field"),
            );
        }
        let Some(record) = list.ty.element().and_then(Type::record_fields) else {
            return self.refuse(
                e.span,
                "an aggregate over a list that is not of records",
                "this is a bug in Seg; please report it",
            );
        };
        let record: Arc<[RecordField]> = record.into();
        let l = self.value(list);
        // Aggregates do not nest, so there is one record in scope at a time.
        let outer = self.record.replace(record.clone());
        let condition = filter.map(|f| self.value(f));
        let field = value.and_then(|i| record.get(i)).cloned();
        let x = field
            .as_ref()
            .map(|f| column_value(d, &d.record_field(&f.name), &f.ty));
        self.record = outer;
        let mut rows = format!("FROM {} WHERE {}", d.records(&l), d.record_present());
        if let Some(condition) = condition {
            rows.push_str(&format!(" AND {condition}"));
        }
        let (x, ty) = match (func, x, field) {
            (AggFunc::Count, ..) => return format!("(SELECT count(*) {rows})"),
            (AggFunc::Any, ..) => return format!("EXISTS (SELECT 1 {rows})"),
            (_, Some(x), Some(field)) => (x, field.ty),
            _ => {
                return self.refuse(
                    e.span,
                    format!("`{}` without a record field", func.as_str()),
                    "this is a bug in Seg; please report it",
                );
            }
        };
        let aggregate = match (func, &ty) {
            (AggFunc::Sum, Type::Int) => d.int_sum(&x),
            (AggFunc::Sum, Type::Float) => d.nan_to_null(&format!("sum({x})")),
            (AggFunc::Avg, Type::Float) => {
                d.nan_to_null(&format!("(sum({x}) / CAST(count({x}) AS {}))", d.double()))
            }
            (AggFunc::Avg, _) => match d.exact_avg(&x) {
                Some(sql) => sql,
                None => {
                    return self.refuse(
                        e.span,
                        format!("`avg` of {ty}s"),
                        format!(
                            "{} divides in doubles or at a fixed scale, rounding twice where Seg \
                             rounds the exact mean once; compare the sum with the count instead \
                             (`sum(orders.amount) > 50 * count(orders where amount is present)`), \
                             or compile for PostgreSQL",
                            d.title()
                        ),
                    );
                }
            },
            // A decimal sum keeps the column's scale, as Seg's does.
            (AggFunc::Sum, _) => format!("sum({x})"),
            (AggFunc::Min | AggFunc::Max, Type::String) => {
                format!("{}({})", func.as_str(), d.ordered_string(&x))
            }
            (AggFunc::Min | AggFunc::Max, _) => format!("{}({x})", func.as_str()),
            // `-0.0 + 0.0` is `0.0`: one value, as `==` has it.
            (AggFunc::CountDistinct, Type::Float) => {
                format!("count(DISTINCT ({x} + CAST(0 AS {})))", d.double())
            }
            (AggFunc::CountDistinct, _) => format!("count(DISTINCT {x})"),
            (AggFunc::Count | AggFunc::Any, _) => "NULL".to_string(),
        };
        format!("(SELECT {aggregate} {rows})")
    }

    /// The candidates of `in` or the values of `contains`, printed, from
    /// a list literal or a list param.
    fn listed(&mut self, items: &[Expr], param: Option<&Expr>, element: &Type) -> Vec<String> {
        if let Some(param) = param {
            return match self.folded(param).flatten() {
                Some(Const::ListString(values)) => {
                    values.iter().map(|v| self.string(v, param.span)).collect()
                }
                Some(Const::ListInt(values)) => values.iter().map(i64::to_string).collect(),
                _ => vec![self.refuse(
                    param.span,
                    "a list param without a list value",
                    "this is a bug in Seg; please report it",
                )],
            };
        }
        let _ = element;
        items.iter().map(|x| self.value(x)).collect()
    }

    fn string_test(&mut self, op: StrOp, s: &str, pattern: &Expr, span: Span) -> String {
        let d = self.dialect;
        let constant = match &pattern.kind {
            ExprKind::Const(Const::String(p)) => Some(p.clone()),
            _ => match self.folded(pattern) {
                Some(Some(Const::String(p))) => Some(p),
                _ => None,
            },
        };
        if op != StrOp::Matches && constant.as_deref() == Some("") {
            // Every present string contains, starts and ends with "".
            return format!("(CASE WHEN {s} IS NULL THEN NULL ELSE TRUE END)");
        }
        match op {
            StrOp::Contains => {
                let needle = self.value(pattern);
                d.contains(s, &needle)
            }
            StrOp::StartsWith => {
                let prefix = self.value(pattern);
                d.starts_with(s, &prefix)
            }
            StrOp::EndsWith => {
                let suffix = self.value(pattern);
                d.ends_with(s, &suffix)
            }
            StrOp::Matches => {
                let Some(text) = constant else {
                    return self.refuse(
                        span,
                        "a pattern that is not a constant",
                        "this is a bug in Seg; please report it",
                    );
                };
                match regex::translate(&text, d.regex_flavor()) {
                    Ok(translated) => {
                        let literal = self.string(&translated, pattern.span);
                        d.regex_search(s, &literal)
                    }
                    Err(reason) => {
                        self.errors.push(
                            Diagnostic::new(
                                Code::E0502,
                                pattern.span,
                                format!(
                                    "{} cannot match this pattern as Seg does: it uses {reason}",
                                    d.title()
                                ),
                            )
                            .with_help(
                                "rewrite the pattern without it (for a word boundary, spell out \
                                 the characters around the word), or run this program with Seg \
                                 or DataFusion",
                            ),
                        );
                        "NULL".to_string()
                    }
                }
            }
        }
    }

    /// 64-bit integer `a op b`, missing on overflow; `subquery` when an
    /// operand holds an aggregate over a history (a scalar subquery).
    fn checked_int(&self, op: IntOp, a: &str, b: &str, subquery: bool) -> String {
        let d = self.dialect;
        if let Some(sql) = d.try_int(op, a, b, subquery) {
            return sql;
        }
        let w = d.wide_int();
        let wide = format!("(CAST({a} AS {w}) {} CAST({b} AS {w}))", op.symbol());
        format!(
            "(CASE WHEN {wide} BETWEEN -9223372036854775808 AND 9223372036854775807 THEN CAST({wide} AS {}) END)",
            d.bigint()
        )
    }

    fn arith(&mut self, op: ArithOp, lhs: &Expr, rhs: &Expr, e: &Expr) -> String {
        let d = self.dialect;
        let (a, b) = (self.value(lhs), self.value(rhs));
        let subquery = seg_ir::has_aggregate(lhs) || seg_ir::has_aggregate(rhs);
        match (&e.ty, op) {
            (Type::Int, ArithOp::Add) => self.checked_int(IntOp::Add, &a, &b, subquery),
            (Type::Int, ArithOp::Sub) => self.checked_int(IntOp::Sub, &a, &b, subquery),
            (Type::Int, ArithOp::Mul) => self.checked_int(IntOp::Mul, &a, &b, subquery),
            (Type::Int, ArithOp::Rem) => {
                let divisor = self.folded(rhs).flatten();
                let dividend = self.folded(lhs).flatten();
                match (divisor, dividend) {
                    // `% 0` is missing; `i64::MIN % -1` overflows, so missing.
                    (Some(Const::Int(0)), _) => self.null(&Type::Int),
                    (Some(Const::Int(y)), _) if y != -1 => d.modulo(&a, &b),
                    (_, Some(Const::Int(x))) if x != i64::MIN => {
                        d.modulo(&a, &format!("NULLIF({b}, 0)"))
                    }
                    _ => format!(
                        "(CASE WHEN {a} = -9223372036854775807 - 1 AND {b} = -1 THEN NULL ELSE {} END)",
                        d.modulo(&a, &format!("NULLIF({b}, 0)"))
                    ),
                }
            }
            (Type::Float, ArithOp::Div) => {
                d.nan_to_null(&format!("({a} / NULLIF({b}, CAST(0 AS {})))", d.double()))
            }
            (Type::Float, ArithOp::Rem) => match d {
                // DuckDB's `%` of doubles is C's fmod (its `fmod` floors).
                Dialect::DuckDb | Dialect::DataFusion | Dialect::Spark => {
                    d.nan_to_null(&format!("({a} % NULLIF({b}, CAST(0 AS {})))", d.double()))
                }
                Dialect::Snowflake => d.nan_to_null(&format!("MOD({a}, NULLIF({b}, 0))")),
                Dialect::Postgres | Dialect::BigQuery => self.refuse(
                    e.span,
                    "the remainder `%` of floats",
                    format!(
                        "{} has no exact remainder of doubles; use ints or decimals",
                        d.title()
                    ),
                ),
            },
            (Type::Float, op) => d.nan_to_null(&format!("({a} {} {b})", arith_symbol(op))),
            // Spark gives a product the scale s1 + s2 only while its type fits
            // 38 digits; past that it rounds to 6 digits after the point
            // (`spark.sql.decimalOperations.allowPrecisionLoss`, on by
            // default): the product of four decimal(18, 2) values 0.01 is 0
            // there, 1e-8 in Seg. Snowflake caps a product's scale at
            // max(s1, s2, 12). The operands' scales are not known here.
            (Type::Decimal, ArithOp::Mul) if matches!(d, Dialect::Spark | Dialect::Snowflake) => {
                let why = if d == Dialect::Spark {
                    "Spark rounds a decimal product whose type would need more than 38 digits \
                     to 6 digits after the point"
                } else {
                    "Snowflake rounds a decimal product to at most max(s1, s2, 12) digits after \
                     the point"
                };
                self.refuse(
                    e.span,
                    "the product `*` of decimals",
                    format!("{why}; multiply ints or floats instead"),
                )
            }
            (Type::Decimal, ArithOp::Rem) => {
                d.modulo(&d.wide_decimal(&a), &format!("NULLIF({b}, 0)"))
            }
            (Type::Decimal, op) => {
                let checked = match op {
                    ArithOp::Add => Some(IntOp::Add),
                    ArithOp::Sub => Some(IntOp::Sub),
                    ArithOp::Mul => Some(IntOp::Mul),
                    ArithOp::Div | ArithOp::Rem => None,
                };
                match checked.and_then(|op| d.try_decimal(op, &a, &b)) {
                    Some(sql) => sql,
                    None => format!("({} {} {b})", d.wide_decimal(&a), arith_symbol(op)),
                }
            }
            (ty, _) => self.refuse(
                e.span,
                format!("arithmetic on {ty}"),
                "this is a bug in Seg; please report it",
            ),
        }
    }

    fn call(&mut self, func: Func, args: &[Expr], e: &Expr) -> String {
        let d = self.dialect;
        let values: Vec<String> = args.iter().map(|a| self.value(a)).collect();
        let arg = |i: usize| values.get(i).cloned().unwrap_or_else(|| "NULL".into());
        let arg_ty = args.first().map(|a| a.ty.clone()).unwrap_or(Type::Int);
        match func {
            Func::Lower | Func::Upper => {
                let name = if func == Func::Lower {
                    "lower"
                } else {
                    "upper"
                };
                match d {
                    // ICU's root locale maps case as Rust does (full
                    // mappings: `upper('straße')` is `STRASSE`).
                    Dialect::Postgres => format!("{name}({} COLLATE \"und-x-icu\")", arg(0)),
                    Dialect::DataFusion | Dialect::Spark => format!("{name}({})", arg(0)),
                    Dialect::DuckDb | Dialect::BigQuery | Dialect::Snowflake => {
                        let why = match (d, func) {
                            (Dialect::DuckDb, Func::Lower) => {
                                "DuckDB maps case character by character (`lower('İ')` is `i` \
                                 there, `i̇` in Seg)"
                                    .to_string()
                            }
                            (Dialect::DuckDb, _) => "DuckDB maps case character by character \
                                 (`upper('straße')` is `STRAẞE` there, `STRASSE` in Seg)"
                                .to_string(),
                            _ => format!(
                                "{}'s case mapping is not known to be Seg's full Unicode mapping",
                                d.title()
                            ),
                        };
                        self.refuse(
                            e.span,
                            format!("`{name}`"),
                            format!(
                                "{why}; to ignore case, use `matches \"(?i)...\"`, which Seg \
                                 translates exactly for every engine, or run on PostgreSQL or \
                                 DataFusion"
                            ),
                        )
                    }
                }
            }
            Func::Length => d.char_length(&arg(0)),
            Func::Size => d.list_size(&arg(0)),
            Func::Abs => match arg_ty {
                Type::Int => match d {
                    // DuckDB's `TRY` cannot wrap a scalar subquery (an
                    // aggregate over a history).
                    Dialect::DuckDb if !args.iter().any(seg_ir::has_aggregate) => {
                        format!("TRY(abs(CAST({} AS BIGINT)))", arg(0))
                    }
                    Dialect::BigQuery => format!("SAFE.ABS({})", arg(0)),
                    _ => format!(
                        "(CASE WHEN {0} = -9223372036854775807 - 1 THEN NULL ELSE abs({0}) END)",
                        arg(0)
                    ),
                },
                _ => format!("abs({})", arg(0)),
            },
            Func::Coalesce => format!("COALESCE({})", values.join(", ")),
            Func::DaysSince => match arg_ty {
                Type::Date => {
                    let today = seg_eval::num::local_date_of(self.program.timezone, self.as_of);
                    format!("({today} - {})", d.epoch_days(&arg(0)))
                }
                _ => {
                    let since = format!("({} - {})", self.as_of, arg(0));
                    d.floor_div(&since, DAY_MICROS)
                }
            },
            Func::Year | Func::Month | Func::Day => {
                let part = match func {
                    Func::Year => "YEAR",
                    Func::Month => "MONTH",
                    _ => "DAY",
                };
                let zone = self.program.timezone;
                let date = match arg_ty {
                    Type::Date => arg(0),
                    _ if zone.is_utc() => d.date_from_days(&d.floor_div(&arg(0), DAY_MICROS)),
                    _ => match d.local_date(&arg(0), zone.name()) {
                        Some(date) => date,
                        None => {
                            return self.refuse(
                                e.span,
                                format!(
                                    "`{}` of a timestamp in time zone `{}`",
                                    func.name(),
                                    zone.name()
                                ),
                                format!(
                                    "{} turns timestamps into dates in the session's time zone; \
                                     compile for DuckDB, PostgreSQL or DataFusion",
                                    d.title()
                                ),
                            );
                        }
                    },
                };
                d.date_part(part, &date)
            }
            Func::Bucket => {
                // The checker appended the key field after the salt; an int
                // key is hashed as its decimal text.
                let key = match args.get(1).map(|k| &k.ty) {
                    Some(Type::Int) => format!("CAST({} AS {})", arg(1), d.text()),
                    _ => arg(1),
                };
                d.bucket(&arg(0), &key)
            }
        }
    }
}

/// A column (of the profile or of a record) in the SQL form of its Seg type
/// (see the module documentation): a float without NaN, an instant as
/// microseconds.
fn column_value(d: Dialect, column: &str, ty: &Type) -> String {
    match ty {
        Type::Float => d.nan_to_null(&format!("CAST({column} AS {})", d.double())),
        Type::Timestamp => d.epoch_micros(column),
        _ => column.to_string(),
    }
}

fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

fn arith_symbol(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "-",
        ArithOp::Mul => "*",
        ArithOp::Div => "/",
        ArithOp::Rem => "%",
    }
}

/// `unscaled × 10^-scale` as text (`-12.50`, Seg's own spelling), with its
/// count of digits (the SQL precision it needs).
fn decimal_text(unscaled: i128, scale: u32) -> (String, u32) {
    let text = seg_ir::const_text(&Const::Decimal {
        unscaled,
        scale: u8::try_from(scale).unwrap_or(u8::MAX),
    });
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let precision = u32::try_from(digits).unwrap_or(u32::MAX).max(scale).max(1);
    (text, precision)
}

/// A date as `YYYY-MM-DD`, for the years 1 to 9999.
fn date_text(days: i32) -> Option<String> {
    let (year, _, _) = seg_eval::num::ymd(days)?;
    (1..=9999)
        .contains(&year)
        .then(|| seg_ir::const_text(&Const::Date(days)))
}

/// An instant as RFC 3339 text, for a comment.
fn instant_text(micros: i64) -> Option<String> {
    let text = seg_ir::const_text(&Const::Timestamp(micros));
    // Out of the calendar's range, the text is `timestamp(N)`.
    (!text.starts_with("timestamp(")).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_places_the_point() {
        assert_eq!(decimal_text(12345, 2), ("123.45".to_string(), 5));
        assert_eq!(decimal_text(-5, 2), ("-0.05".to_string(), 3));
        assert_eq!(decimal_text(7, 0), ("7".to_string(), 1));
        assert_eq!(decimal_text(0, 3), ("0.000".to_string(), 4));
    }
}
