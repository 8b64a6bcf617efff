//! Renders typed expressions back to Seg text, for `seg explain`, optimizer
//! traces and findings. The text is Seg syntax with two additions the IR makes
//! visible: implicit conversions appear as `float(x)`, `decimal(x)` or
//! `timestamp(x)`, and instants folded for a run's `as_of` appear as literals.

use crate::{
    ArithOp, CmpOp, Const, Expr, ExprKind, ListQuantifier, Program, Relative, StrOp, TimeUnit,
};
use std::fmt::Write;

/// The precedence levels of LANGUAGE.md §3, lowest first.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const PREDICATE: u8 = 4;
const SUM: u8 = 5;
const PRODUCT: u8 = 6;
const UNARY: u8 = 7;
const ATOM: u8 = 8;

/// Seg text of an expression, with names taken from `program`.
pub fn expr_text(program: &Program, expr: &Expr) -> String {
    expr_text_in(program, expr, None)
}

/// [`expr_text`] of an expression inside an aggregate's filter over records
/// of the fields `record`, which name its [`ExprKind::Element`] nodes.
pub fn expr_text_in(
    program: &Program,
    expr: &Expr,
    record: Option<&[crate::RecordField]>,
) -> String {
    let mut out = String::new();
    let cx = Cx { program, record };
    write_expr(cx, expr, 0, &mut out);
    out
}

/// What rendering needs besides the expression: the program's names and,
/// inside an aggregate's filter, the record type whose fields
/// [`ExprKind::Element`] indexes.
#[derive(Clone, Copy)]
struct Cx<'p> {
    program: &'p Program,
    record: Option<&'p [crate::RecordField]>,
}

/// Seg text of a constant.
pub fn const_text(value: &Const) -> String {
    match value {
        Const::Int(v) => v.to_string(),
        Const::Float(v) => {
            if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{v:.1}")
            } else {
                format!("{v}")
            }
        }
        Const::Decimal { unscaled, scale } => decimal_text(*unscaled, u32::from(*scale)),
        Const::Bool(v) => v.to_string(),
        Const::String(s) => string_literal(s),
        Const::Date(days) => chrono::DateTime::from_timestamp(i64::from(*days) * 86_400, 0)
            .map_or_else(
                || format!("date({days})"),
                |t| t.format("%Y-%m-%d").to_string(),
            ),
        Const::Timestamp(micros) => chrono::DateTime::from_timestamp_micros(*micros).map_or_else(
            || format!("timestamp({micros})"),
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ),
        Const::ListString(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|s| string_literal(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Const::ListInt(items) => format!(
            "[{}]",
            items
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Const::Duration(d) => duration_text(d.amount, d.unit),
        Const::Records { ty, records } => {
            let fields = ty
                .element()
                .and_then(crate::Type::record_fields)
                .unwrap_or(&[]);
            let records: Vec<String> = records
                .iter()
                .map(|record| {
                    let values: Vec<String> = fields
                        .iter()
                        .zip(record)
                        .filter_map(|(f, v)| {
                            Some(format!(
                                "{}: {}",
                                name_text(&f.name),
                                const_text(v.as_ref()?)
                            ))
                        })
                        .collect();
                    if values.is_empty() {
                        "{}".to_string()
                    } else {
                        format!("{{ {} }}", values.join(", "))
                    }
                })
                .collect();
            format!("[{}]", records.join(", "))
        }
    }
}

fn decimal_text(unscaled: i128, scale: u32) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn duration_text(amount: i64, unit: TimeUnit) -> String {
    let name = match unit {
        TimeUnit::Minute => "minute",
        TimeUnit::Hour => "hour",
        TimeUnit::Day => "day",
        TimeUnit::Week => "week",
        TimeUnit::Month => "month",
        TimeUnit::Year => "year",
    };
    let plural = if amount == 1 { "" } else { "s" };
    format!("{amount} {name}{plural}")
}

/// A name as written in rules: bare when it is a plain name, else in
/// backticks (a keyword too: `where` cannot stand bare). The one rule is
/// [`seg_syntax::name_source`], next to the grammar's keywords.
pub fn name_text(name: &str) -> String {
    seg_syntax::name_source(name)
}

/// The name of a record field by its index, as written.
fn element_name(record: Option<&[crate::RecordField]>, index: usize) -> String {
    record
        .and_then(|fields| fields.get(index))
        .map_or_else(|| format!("element#{index}"), |f| name_text(&f.name))
}

fn cmp_text(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

fn write_list(cx: Cx<'_>, items: &[Expr], param: Option<&Expr>, out: &mut String) {
    if let Some(param) = param
        && items.is_empty()
    {
        write_expr(cx, param, ATOM, out);
        return;
    }
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(cx, item, 0, out);
    }
    if let Some(param) = param {
        out.push_str(", ..");
        write_expr(cx, param, ATOM, out);
    }
    out.push(']');
}

fn write_expr(cx: Cx<'_>, expr: &Expr, context: u8, out: &mut String) {
    let level = precedence(&expr.kind);
    let parenthesize = level < context || (level == PREDICATE && context == PREDICATE);
    if parenthesize {
        out.push('(');
    }
    let program = cx.program;
    match &expr.kind {
        ExprKind::Const(c) => out.push_str(&const_text(c)),
        ExprKind::Field(id) => out.push_str(
            &program
                .schema
                .fields
                .get(id.0 as usize)
                .map_or_else(|| format!("field#{}", id.0), |f| name_text(&f.name)),
        ),
        ExprKind::Param(id) => out.push_str(
            &program
                .params
                .get(id.0 as usize)
                .map_or_else(|| format!("param#{}", id.0), |p| name_text(&p.name)),
        ),
        ExprKind::Segment(id) => out.push_str(
            &program
                .segments
                .get(id.0 as usize)
                .map_or_else(|| format!("segment#{}", id.0), |s| name_text(&s.name)),
        ),
        ExprKind::Relative(Relative::Now) => out.push_str("now"),
        ExprKind::Relative(Relative::Today) => out.push_str("today"),
        ExprKind::Duration { amount, unit } => match &amount.kind {
            ExprKind::Const(Const::Int(n)) => out.push_str(&duration_text(*n, *unit)),
            _ => {
                write_expr(cx, amount, ATOM, out);
                out.push(' ');
                out.push_str(&duration_text(2, *unit)[2..]);
            }
        },
        ExprKind::Ago { base, duration } => {
            write_expr(cx, duration, ATOM, out);
            out.push_str(" ago");
            if *base == Relative::Today {
                out.push_str(" (from today)");
            }
        }
        ExprKind::Cast(inner) => {
            let _ = write!(out, "{}(", expr.ty.name());
            write_expr(cx, inner, 0, out);
            out.push(')');
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            write_expr(cx, inner, NOT, out);
        }
        ExprKind::And(items) | ExprKind::Or(items) => {
            let word = if level == AND { " and " } else { " or " };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(word);
                }
                write_expr(cx, item, level + 1, out);
            }
        }
        ExprKind::Compare { op, lhs, rhs } => {
            write_expr(cx, lhs, SUM, out);
            let _ = write!(out, " {} ", cmp_text(*op));
            write_expr(cx, rhs, SUM, out);
        }
        ExprKind::InList {
            expr,
            list,
            list_param,
            negated,
        } => {
            write_expr(cx, expr, SUM, out);
            out.push_str(if *negated { " not in " } else { " in " });
            write_list(cx, list, list_param.as_deref(), out);
        }
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => {
            write_expr(cx, expr, SUM, out);
            out.push_str(if *negated {
                " not between "
            } else {
                " between "
            });
            write_expr(cx, lo, SUM, out);
            out.push_str(" and ");
            write_expr(cx, hi, SUM, out);
        }
        ExprKind::IsMissing { expr, negated } => {
            write_expr(cx, expr, SUM, out);
            out.push_str(if *negated {
                " is present"
            } else {
                " is missing"
            });
        }
        ExprKind::StrPred {
            op,
            target,
            pattern,
            negated,
        } => {
            write_expr(cx, target, SUM, out);
            out.push_str(if *negated { " not " } else { " " });
            out.push_str(match op {
                StrOp::Contains => "contains ",
                StrOp::StartsWith => "starts with ",
                StrOp::EndsWith => "ends with ",
                StrOp::Matches => "matches ",
            });
            write_expr(cx, pattern, SUM, out);
        }
        ExprKind::ListContains {
            list,
            quantifier,
            values,
            values_param,
        } => {
            write_expr(cx, list, SUM, out);
            out.push_str(match quantifier {
                ListQuantifier::Any => " contains any ",
                ListQuantifier::All => " contains all ",
                ListQuantifier::None => " contains none ",
            });
            write_list(cx, values, values_param.as_deref(), out);
        }
        ExprKind::Within { expr, duration } => {
            write_expr(cx, expr, SUM, out);
            out.push_str(" within ");
            write_expr(cx, duration, ATOM, out);
        }
        ExprKind::Arith { op, lhs, rhs } => {
            let (symbol, left, right) = match op {
                ArithOp::Add => (" + ", SUM, SUM + 1),
                ArithOp::Sub => (" - ", SUM, SUM + 1),
                ArithOp::Mul => (" * ", PRODUCT, PRODUCT + 1),
                ArithOp::Div => (" / ", PRODUCT, PRODUCT + 1),
                ArithOp::Rem => (" % ", PRODUCT, PRODUCT + 1),
            };
            write_expr(cx, lhs, left, out);
            out.push_str(symbol);
            write_expr(cx, rhs, right, out);
        }
        ExprKind::Neg(inner) => {
            out.push('-');
            write_expr(cx, inner, UNARY, out);
        }
        ExprKind::Call { func, args } => {
            out.push_str(func.name());
            out.push('(');
            // `bucket`'s key is the checker's addition, not written: it is
            // rendered as written, `bucket("salt")`.
            let written = match func {
                crate::Func::Bucket => &args[..args.len().min(1)],
                _ => &args[..],
            };
            for (i, arg) in written.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(cx, arg, 0, out);
            }
            out.push(')');
        }
        // --- Event histories (v0.2) ---
        ExprKind::Aggregate {
            func,
            list,
            value,
            filter,
        } => {
            out.push_str(func.as_str());
            out.push('(');
            write_expr(cx, list, ATOM, out);
            let record = list.ty.element().and_then(crate::Type::record_fields);
            if let Some(index) = value {
                out.push('.');
                out.push_str(&element_name(record, *index));
            }
            if let Some(filter) = filter {
                out.push_str(" where ");
                let inner = Cx {
                    record: record.or(cx.record),
                    ..cx
                };
                write_expr(inner, filter, 0, out);
            }
            out.push(')');
        }
        ExprKind::Element(index) => out.push_str(&element_name(cx.record, *index)),
    }
    if parenthesize {
        out.push(')');
    }
}

fn precedence(kind: &ExprKind) -> u8 {
    match kind {
        ExprKind::Or(_) => OR,
        ExprKind::And(_) => AND,
        ExprKind::Not(_) => NOT,
        ExprKind::Compare { .. }
        | ExprKind::InList { .. }
        | ExprKind::Between { .. }
        | ExprKind::IsMissing { .. }
        | ExprKind::StrPred { .. }
        | ExprKind::ListContains { .. }
        | ExprKind::Within { .. } => PREDICATE,
        ExprKind::Arith {
            op: ArithOp::Add | ArithOp::Sub,
            ..
        } => SUM,
        ExprKind::Arith { .. } => PRODUCT,
        ExprKind::Neg(_) => UNARY,
        ExprKind::Const(Const::Int(v)) if *v < 0 => UNARY,
        ExprKind::Const(Const::Float(v)) if v.is_sign_negative() => UNARY,
        ExprKind::Const(Const::Decimal { unscaled, .. }) if *unscaled < 0 => UNARY,
        _ => ATOM,
    }
}
