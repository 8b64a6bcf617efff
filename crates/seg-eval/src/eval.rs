//! Column-at-a-time evaluation of typed expressions. Each node turns whole
//! columns into a whole column; missing values are `None` throughout, logic is
//! Kleene's, and every arithmetic edge (overflow, division by zero, NaN) yields
//! missing.

use crate::column::{self, Col};
use crate::num::{self, DAY_MICROS};
use crate::rules::{self, Key, KeySet};
use arrow::record_batch::RecordBatch;
use seg_ir::pattern::{self, Pattern, PatternError};
use seg_ir::{ArithOp, Const, Duration, Expr, ExprKind, FieldId, Func, Relative, StrOp, Type};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An evaluation failure. Checked programs over bound data do not fail; this
/// reports broken invariants (an internal error) with a description.
#[derive(Debug)]
pub struct Internal(pub String);

type R<T> = Result<T, Internal>;

fn internal<T>(what: impl Into<String>) -> R<T> {
    Err(Internal(what.into()))
}

/// Stack left below which [`Frame::eval`] continues on a new segment: more
/// than one level of the evaluator needs, even unoptimized.
const STACK_RED_ZONE: usize = 128 * 1024;
/// The size of each new stack segment.
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// Everything one batch's evaluation needs.
pub(crate) struct Frame<'a, 'p> {
    pub batch: &'a RecordBatch,
    /// Column index of each field in the batch (`None`: not bound, not used).
    pub columns: &'p [Option<usize>],
    pub schema: &'p seg_ir::Schema,
    pub params: &'p [Const],
    pub as_of: i64,
    /// The date of `as_of` in `zone`.
    pub today: i32,
    /// The zone of the calendar (§7.3).
    pub zone: seg_ir::Zone,
    pub rows: usize,
    /// Memberships of segments computed so far.
    pub memberships: &'p [Option<Vec<bool>>],
    /// Compiled `matches` patterns, kept for the evaluator's lifetime.
    pub patterns: &'p PatternCache,
    /// A pattern that could not be compiled (only a `--param` override can
    /// bring one the checker did not see, or the process's limit).
    pub pattern_error: Option<(String, PatternError)>,
    /// Inside an aggregate's filter (the rows are a history's records): where
    /// the record's fields are.
    pub elements: Option<crate::history::Elements<'p>>,
}

/// The compiled `matches` patterns of one evaluator, by text: each compiled
/// once for the evaluator's lifetime (not once per batch), and shared with
/// every other user of the same text through [`pattern::shared`].
#[derive(Debug, Default)]
pub struct PatternCache(Mutex<HashMap<String, Arc<Pattern>>>);

impl PatternCache {
    /// The compiled `text`.
    pub fn get(&self, text: &str) -> Result<Arc<Pattern>, PatternError> {
        // A poisoned lock only means another thread panicked mid-insert; the
        // map itself is still valid.
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(compiled) = map.get(text) {
            return Ok(compiled.clone());
        }
        let compiled = pattern::shared(text)?;
        map.insert(text.to_string(), compiled.clone());
        Ok(compiled)
    }
}

fn broadcast<T: Clone>(value: Option<T>, n: usize) -> Vec<Option<T>> {
    vec![value; n]
}

/// A constant as a column of `n` equal rows.
pub(crate) fn const_col<'a>(c: &Const, n: usize) -> R<Col<'a>> {
    Ok(match c {
        Const::Int(v) => Col::Int(broadcast(Some(*v), n)),
        Const::Float(v) => Col::Float(broadcast(Some(*v).filter(|x| !x.is_nan()), n)),
        Const::Decimal { unscaled, scale } => {
            Col::Decimal(broadcast(Some(*unscaled), n), u32::from(*scale))
        }
        Const::Bool(v) => Col::Bool(broadcast(Some(*v), n)),
        Const::String(s) => Col::Str(broadcast(Some(Cow::Owned(s.clone())), n)),
        Const::Date(d) => Col::Date(broadcast(Some(*d), n)),
        Const::Timestamp(t) => Col::Timestamp(broadcast(Some(*t), n)),
        Const::ListString(items) => Col::ListStr(broadcast(
            Some(items.iter().map(|s| Some(Cow::Owned(s.clone()))).collect()),
            n,
        )),
        Const::ListInt(items) => {
            Col::ListInt(broadcast(Some(items.iter().map(|v| Some(*v)).collect()), n))
        }
        Const::Duration(_) => return internal("a duration used as a column"),
        Const::Records { .. } => return internal("a test's history used as a column"),
    })
}

/// Kleene conjunction of one row's operands.
fn kleene_and(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for v in values {
        match v {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

/// Kleene disjunction of one row's operands.
fn kleene_or(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for v in values {
        match v {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown { None } else { Some(false) }
}

fn bools(col: Col<'_>) -> R<Vec<Option<bool>>> {
    match col {
        Col::Bool(v) => Ok(v),
        other => internal(format!("expected a bool column, found {other:?}")),
    }
}

/// Per-row ordering of two columns of one type (`None` when either is missing).
fn compare_cols(l: &Col<'_>, r: &Col<'_>) -> R<Vec<Option<Ordering>>> {
    fn zip<T>(
        a: &[Option<T>],
        b: &[Option<T>],
        f: impl Fn(&T, &T) -> Ordering,
    ) -> Vec<Option<Ordering>> {
        a.iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => Some(f(x, y)),
                _ => None,
            })
            .collect()
    }
    Ok(match (l, r) {
        (Col::Bool(a), Col::Bool(b)) => zip(a, b, Ord::cmp),
        (Col::Int(a), Col::Int(b)) => zip(a, b, Ord::cmp),
        // No NaN reaches here, and IEEE order makes -0.0 equal to 0.0.
        (Col::Float(a), Col::Float(b)) => {
            zip(a, b, |x, y| x.partial_cmp(y).unwrap_or(Ordering::Equal))
        }
        (Col::Decimal(a, sa), Col::Decimal(b, sb)) => {
            zip(a, b, |x, y| num::cmp_decimal(*x, *sa, *y, *sb))
        }
        (Col::Str(a), Col::Str(b)) => zip(a, b, |x, y| rules::compare(x, y)),
        (Col::Date(a), Col::Date(b)) => zip(a, b, Ord::cmp),
        (Col::Timestamp(a), Col::Timestamp(b)) => zip(a, b, Ord::cmp),
        _ => return internal("comparison of columns of different types"),
    })
}

/// The keys of each row of a scalar column.
pub(crate) fn row_keys(col: &Col<'_>) -> R<Vec<Option<Key>>> {
    Ok(match col {
        Col::Bool(v) => v.iter().map(|x| x.map(Key::Bool)).collect(),
        Col::Int(v) => v.iter().map(|x| x.map(Key::Int)).collect(),
        Col::Float(v) => v.iter().map(|x| x.map(Key::float)).collect(),
        Col::Decimal(v, s) => v.iter().map(|x| x.map(|u| Key::decimal(u, *s))).collect(),
        Col::Str(v) => v
            .iter()
            .map(|x| x.as_ref().map(|s| Key::Str(s.to_string())))
            .collect(),
        Col::Date(v) => v.iter().map(|x| x.map(Key::Date)).collect(),
        Col::Timestamp(v) => v.iter().map(|x| x.map(Key::Timestamp)).collect(),
        _ => return internal("keys of a list column"),
    })
}

impl<'a> Frame<'a, '_> {
    fn scalar(&self, e: &Expr) -> R<Const> {
        match &e.kind {
            ExprKind::Const(c) => Ok(c.clone()),
            ExprKind::Param(id) => self
                .params
                .get(id.0 as usize)
                .cloned()
                .ok_or_else(|| Internal("unknown param".into())),
            _ => internal("expected a constant"),
        }
    }

    /// The keys of a list of constants and of the list param spliced after
    /// them (`in [..]`, `contains any [..]`); values without a key (a NaN)
    /// are never listed.
    fn listed(&self, items: &[Expr], param: Option<&Expr>, what: &str) -> R<Vec<Key>> {
        let mut keys = Vec::with_capacity(items.len());
        for item in items {
            keys.extend(Key::of_const(&self.scalar(item)?));
        }
        if let Some(param) = param {
            match Key::of_list(self.scalar(param)?) {
                Some(items) => keys.extend(items),
                None => return internal(format!("{what} over a param that is not a list")),
            }
        }
        Ok(keys)
    }

    fn duration(&self, e: &Expr) -> R<Duration> {
        match &e.kind {
            ExprKind::Duration { amount, unit } => match self.scalar(amount)? {
                Const::Int(amount) => Ok(Duration {
                    amount,
                    unit: *unit,
                }),
                _ => internal("a duration's amount is not an int"),
            },
            _ => match self.scalar(e)? {
                Const::Duration(d) => Ok(d),
                _ => internal("expected a duration"),
            },
        }
    }

    fn field(&self, id: FieldId) -> R<Col<'a>> {
        let field = self.schema.field(id);
        let Some(Some(index)) = self.columns.get(id.0 as usize) else {
            return internal(format!("field `{}` is not bound", field.name));
        };
        let batch: &'a RecordBatch = self.batch;
        let array = batch.column(*index);
        // A history is read whole only by `is missing` (aggregates read its
        // records themselves): its presence stands for it, as a column that
        // is missing exactly where the list is.
        if field.ty.element().and_then(Type::record_fields).is_some() {
            return Ok(Col::Bool(
                (0..array.len())
                    .map(|i| array.is_valid(i).then_some(true))
                    .collect(),
            ));
        }
        column::read(&field.ty, array).ok_or_else(|| {
            Internal(format!(
                "column `{}` changed type between batches",
                field.name
            ))
        })
    }

    /// Evaluates an expression over the batch.
    pub fn eval(&mut self, e: &Expr) -> R<Col<'a>> {
        // The evaluator recurses once per tree level, and trees may be as
        // deep as the parser allows (`not not … x`): more stack is taken
        // whenever less than the red zone is left, so a deep program is safe
        // on any thread (rayon's, a test's). The check is one comparison per
        // node and batch.
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || self.eval_node(e))
    }

    /// [`Frame::eval`] of one node, its operands through [`Frame::eval`].
    fn eval_node(&mut self, e: &Expr) -> R<Col<'a>> {
        let n = self.rows;
        match &e.kind {
            ExprKind::Const(c) => const_col(c, n),
            ExprKind::Param(_) => {
                let c = self.scalar(e)?;
                const_col(&c, n)
            }
            ExprKind::Field(id) => self.field(*id),
            ExprKind::Segment(id) => match self.memberships.get(id.0 as usize) {
                Some(Some(m)) => Ok(Col::Bool(m.iter().map(|b| Some(*b)).collect())),
                _ => internal("segment evaluated before its dependency"),
            },
            ExprKind::Relative(Relative::Now) => Ok(Col::Timestamp(broadcast(Some(self.as_of), n))),
            ExprKind::Relative(Relative::Today) => Ok(Col::Date(broadcast(Some(self.today), n))),
            ExprKind::Ago { base, duration } => {
                let d = self.duration(duration)?;
                Ok(match base {
                    Relative::Now => Col::Timestamp(broadcast(
                        num::timestamp_minus(self.zone, self.as_of, &d),
                        n,
                    )),
                    Relative::Today => Col::Date(broadcast(num::date_minus(self.today, &d), n)),
                })
            }
            ExprKind::Duration { .. } => internal("a duration used as a column"),
            ExprKind::Cast(inner) => {
                let col = self.eval(inner)?;
                cast(col, &e.ty, self.zone)
            }
            // --- Event histories (v0.2) ---
            ExprKind::Aggregate {
                func,
                list,
                value,
                filter,
            } => self.aggregate(*func, list, *value, filter.as_deref(), &e.ty),
            ExprKind::Element(index) => self.element(*index),
            ExprKind::Not(inner) => {
                let v = bools(self.eval(inner)?)?;
                Ok(Col::Bool(v.into_iter().map(|b| b.map(|x| !x)).collect()))
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let mut columns = Vec::with_capacity(items.len());
                for item in items {
                    columns.push(bools(self.eval(item)?)?);
                }
                Ok(Col::Bool(
                    (0..n)
                        .map(|i| {
                            let row = columns.iter().map(|c| c[i]);
                            if is_and {
                                kleene_and(row)
                            } else {
                                kleene_or(row)
                            }
                        })
                        .collect(),
                ))
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                let ordering = compare_cols(&l, &r)?;
                Ok(Col::Bool(
                    ordering
                        .into_iter()
                        .map(|o| o.map(|o| op.holds(o)))
                        .collect(),
                ))
            }
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } => {
                let x = self.eval(expr)?;
                let lo = self.eval(lo)?;
                let hi = self.eval(hi)?;
                let above = compare_cols(&x, &lo)?;
                let below = compare_cols(&x, &hi)?;
                Ok(Col::Bool(
                    above
                        .into_iter()
                        .zip(below)
                        .map(|(a, b)| {
                            let inside = kleene_and(
                                [
                                    a.map(|o| o != Ordering::Less),
                                    b.map(|o| o != Ordering::Greater),
                                ]
                                .into_iter(),
                            );
                            if *negated { inside.map(|x| !x) } else { inside }
                        })
                        .collect(),
                ))
            }
            ExprKind::InList {
                expr,
                list,
                list_param,
                negated,
            } => {
                let x = self.eval(expr)?;
                let keys: KeySet = self
                    .listed(list, list_param.as_deref(), "`in`")?
                    .into_iter()
                    .collect();
                let negated = *negated;
                // A missing value is unknown; a present one follows `KeySet::holds`.
                Ok(Col::Bool(match &x {
                    // Strings are looked up as they are, without a key per row.
                    Col::Str(v) => v
                        .iter()
                        .map(|s| {
                            s.as_ref()
                                .map(|s| KeySet::holds(keys.contains_str(s), negated))
                        })
                        .collect(),
                    _ => row_keys(&x)?
                        .into_iter()
                        .map(|k| k.map(|k| KeySet::holds(keys.contains(&k), negated)))
                        .collect(),
                }))
            }
            ExprKind::IsMissing { expr, negated } => {
                let x = self.eval(expr)?;
                let present = presence(&x);
                Ok(Col::Bool(
                    present.into_iter().map(|p| Some(p == *negated)).collect(),
                ))
            }
            ExprKind::StrPred {
                op,
                target,
                pattern,
                negated,
            } => self.str_pred(*op, target, pattern, *negated),
            ExprKind::ListContains {
                list,
                quantifier,
                values,
                values_param,
            } => {
                let l = self.eval(list)?;
                let wanted = self.listed(values, values_param.as_deref(), "`contains`")?;
                match rules::list_column(l, *quantifier, &wanted) {
                    Some(truth) => Ok(Col::Bool(truth)),
                    None => internal("`contains` on a column that is not a list"),
                }
            }
            ExprKind::Within { expr, duration } => {
                let d = self.duration(duration)?;
                let x = self.eval(expr)?;
                Ok(Col::Bool(match x {
                    Col::Timestamp(v) => {
                        let lo = num::timestamp_minus(self.zone, self.as_of, &d);
                        let hi = self.as_of;
                        v.into_iter().map(|t| Some(lo? <= t? && t? <= hi)).collect()
                    }
                    Col::Date(v) => {
                        let lo = num::date_minus(self.today, &d);
                        let hi = self.today;
                        v.into_iter().map(|t| Some(lo? <= t? && t? <= hi)).collect()
                    }
                    _ => return internal("`within` on a column that is not a date or timestamp"),
                }))
            }
            ExprKind::Arith { op, lhs, rhs } => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                arith(*op, l, r)
            }
            ExprKind::Neg(inner) => Ok(match self.eval(inner)? {
                Col::Int(v) => Col::Int(v.into_iter().map(|x| x?.checked_neg()).collect()),
                Col::Float(v) => Col::Float(v.into_iter().map(|x| x.map(|x| -x)).collect()),
                Col::Decimal(v, s) => {
                    Col::Decimal(v.into_iter().map(|x| x?.checked_neg()).collect(), s)
                }
                _ => return internal("negation of a column that is not a number"),
            }),
            ExprKind::Call { func, args } => self.call(*func, args),
        }
    }

    fn str_pred(&mut self, op: StrOp, target: &Expr, pattern: &Expr, negated: bool) -> R<Col<'a>> {
        let Col::Str(strings) = self.eval(target)? else {
            return internal("string predicate on a column that is not a string");
        };
        let result: Vec<Option<bool>> = if op == StrOp::Matches {
            let Const::String(text) = self.scalar(pattern)? else {
                return internal("`matches` pattern is not a string constant");
            };
            let re = match self.patterns.get(&text) {
                Ok(re) => re,
                Err(error) => {
                    self.pattern_error = Some((text, error));
                    return internal("a pattern that does not compile");
                }
            };
            strings
                .iter()
                .map(|s| s.as_ref().map(|s| rules::matches(&re, s)))
                .collect()
        } else {
            let Col::Str(patterns) = self.eval(pattern)? else {
                return internal("string predicate with a pattern that is not a string");
            };
            strings
                .iter()
                .zip(&patterns)
                .map(|(s, p)| match (s, p) {
                    (Some(s), Some(p)) => Some(rules::text_predicate(op, s, p)),
                    _ => None,
                })
                .collect()
        };
        Ok(Col::Bool(if negated {
            result.into_iter().map(|b| b.map(|x| !x)).collect()
        } else {
            result
        }))
    }

    fn call(&mut self, func: Func, args: &[Expr]) -> R<Col<'a>> {
        // `bucket(salt, key)`: the salt is a constant (the checker made sure)
        // and the key the field the checker appended; the rule is
        // `crate::bucket`'s, shared with the JIT.
        if let (Func::Bucket, [salt, key]) = (func, args) {
            let Const::String(salt) = self.scalar(salt)? else {
                return internal("`bucket` salt is not a string constant");
            };
            let keys = self.eval(key)?;
            return match crate::bucket::bucket_column(&salt, &keys) {
                Some(buckets) => Ok(Col::Int(buckets)),
                None => internal("`bucket` of a key that is neither int nor string"),
            };
        }
        let mut cols = Vec::with_capacity(args.len());
        for a in args {
            cols.push(self.eval(a)?);
        }
        let Some(first) = cols.first().cloned() else {
            return internal("function without arguments");
        };
        let as_of = self.as_of;
        let today = self.today;
        let zone = self.zone;
        Ok(match (func, first) {
            (Func::Lower, Col::Str(v)) => Col::Str(
                v.into_iter()
                    .map(|s| s.map(|s| Cow::Owned(rules::lower(&s))))
                    .collect(),
            ),
            (Func::Upper, Col::Str(v)) => Col::Str(
                v.into_iter()
                    .map(|s| s.map(|s| Cow::Owned(rules::upper(&s))))
                    .collect(),
            ),
            (Func::Length, Col::Str(v)) => Col::Int(
                v.iter()
                    .map(|s| {
                        s.as_ref()
                            .and_then(|s| i64::try_from(s.chars().count()).ok())
                    })
                    .collect(),
            ),
            (Func::Size, Col::ListStr(v)) => Col::Int(
                v.iter()
                    .map(|l| l.as_ref().and_then(|l| i64::try_from(l.len()).ok()))
                    .collect(),
            ),
            (Func::Size, Col::ListInt(v)) => Col::Int(
                v.iter()
                    .map(|l| l.as_ref().and_then(|l| i64::try_from(l.len()).ok()))
                    .collect(),
            ),
            (Func::Abs, Col::Int(v)) => Col::Int(v.into_iter().map(|x| x?.checked_abs()).collect()),
            (Func::Abs, Col::Float(v)) => {
                Col::Float(v.into_iter().map(|x| x.map(f64::abs)).collect())
            }
            (Func::Abs, Col::Decimal(v, s)) => {
                Col::Decimal(v.into_iter().map(|x| x?.checked_abs()).collect(), s)
            }
            (Func::DaysSince, Col::Timestamp(v)) => Col::Int(
                v.into_iter()
                    .map(|t| as_of.checked_sub(t?).map(|d| d.div_euclid(DAY_MICROS)))
                    .collect(),
            ),
            (Func::DaysSince, Col::Date(v)) => Col::Int(
                v.into_iter()
                    .map(|d| Some(i64::from(today) - i64::from(d?)))
                    .collect(),
            ),
            (Func::Year | Func::Month | Func::Day, col) => {
                let days: Vec<Option<i32>> = match col {
                    Col::Date(v) => v,
                    Col::Timestamp(v) => v
                        .into_iter()
                        .map(|t| t.map(|t| num::local_date_of(zone, t)))
                        .collect(),
                    _ => return internal("calendar function on a column that is not a date"),
                };
                Col::Int(
                    days.into_iter()
                        .map(|d| {
                            let (y, m, day) = num::ymd(d?)?;
                            Some(match func {
                                Func::Year => i64::from(y),
                                Func::Month => i64::from(m),
                                _ => i64::from(day),
                            })
                        })
                        .collect(),
                )
            }
            (Func::Coalesce, _) => coalesce(cols)?,
            (f, c) => return internal(format!("{} on {c:?}", f.name())),
        })
    }
}

/// Which rows hold a value.
fn presence(col: &Col<'_>) -> Vec<bool> {
    match col {
        Col::Bool(v) => v.iter().map(Option::is_some).collect(),
        Col::Int(v) => v.iter().map(Option::is_some).collect(),
        Col::Float(v) => v.iter().map(Option::is_some).collect(),
        Col::Decimal(v, _) => v.iter().map(Option::is_some).collect(),
        Col::Str(v) => v.iter().map(Option::is_some).collect(),
        Col::Date(v) => v.iter().map(Option::is_some).collect(),
        Col::Timestamp(v) => v.iter().map(Option::is_some).collect(),
        Col::ListStr(v) => v.iter().map(Option::is_some).collect(),
        Col::ListInt(v) => v.iter().map(Option::is_some).collect(),
    }
}

fn coalesce(cols: Vec<Col<'_>>) -> R<Col<'_>> {
    fn first_present<T: Clone>(columns: Vec<Vec<Option<T>>>) -> Vec<Option<T>> {
        let n = columns.first().map_or(0, Vec::len);
        (0..n)
            .map(|i| rules::coalesce(columns.iter().map(|c| c.get(i).cloned().flatten())))
            .collect()
    }
    macro_rules! same {
        ($variant:ident) => {{
            let mut out = Vec::new();
            for c in cols {
                match c {
                    Col::$variant(v) => out.push(v),
                    _ => return internal("coalesce of mixed columns"),
                }
            }
            Col::$variant(first_present(out))
        }};
    }
    Ok(match cols.first() {
        Some(Col::Bool(_)) => same!(Bool),
        Some(Col::Int(_)) => same!(Int),
        Some(Col::Float(_)) => same!(Float),
        Some(Col::Str(_)) => same!(Str),
        Some(Col::Date(_)) => same!(Date),
        Some(Col::Timestamp(_)) => same!(Timestamp),
        Some(Col::ListStr(_)) => same!(ListStr),
        Some(Col::ListInt(_)) => same!(ListInt),
        Some(Col::Decimal(..)) => {
            // Bring every argument to the largest scale, exactly.
            let scale = cols
                .iter()
                .map(|c| if let Col::Decimal(_, s) = c { *s } else { 0 })
                .max()
                .unwrap_or(0);
            let mut out = Vec::new();
            for c in cols {
                let Col::Decimal(v, s) = c else {
                    return internal("coalesce of mixed columns");
                };
                out.push(
                    v.into_iter()
                        .map(|x| num::rescale_up(x?, scale - s))
                        .collect(),
                );
            }
            Col::Decimal(first_present(out), scale)
        }
        None => return internal("coalesce without arguments"),
    })
}

/// Applies a coercion the checker made explicit.
fn cast<'a>(col: Col<'a>, to: &Type, zone: seg_ir::Zone) -> R<Col<'a>> {
    Ok(match (col, to) {
        (Col::Int(v), Type::Float) => {
            Col::Float(v.into_iter().map(|x| x.map(|x| x as f64)).collect())
        }
        (Col::Int(v), Type::Decimal) => {
            Col::Decimal(v.into_iter().map(|x| x.map(i128::from)).collect(), 0)
        }
        (Col::Decimal(v, s), Type::Float) => Col::Float(
            v.into_iter()
                .map(|x| x.map(|x| num::decimal_to_f64(x, s)))
                .collect(),
        ),
        (Col::Date(v), Type::Timestamp) => {
            Col::Timestamp(v.into_iter().map(|d| num::midnight(zone, d?)).collect())
        }
        (col, to) => return internal(format!("no cast from {col:?} to {to}")),
    })
}

fn arith<'a>(op: ArithOp, l: Col<'a>, r: Col<'a>) -> R<Col<'a>> {
    fn zip<T: Copy, U>(
        a: Vec<Option<T>>,
        b: Vec<Option<T>>,
        f: impl Fn(T, T) -> Option<U>,
    ) -> Vec<Option<U>> {
        a.into_iter().zip(b).map(|(x, y)| f(x?, y?)).collect()
    }
    Ok(match (l, r) {
        (Col::Int(a), Col::Int(b)) => Col::Int(zip(a, b, |x, y| match op {
            ArithOp::Add => x.checked_add(y),
            ArithOp::Sub => x.checked_sub(y),
            ArithOp::Mul => x.checked_mul(y),
            // `/` on ints never reaches here (the checker casts to float).
            ArithOp::Div => None,
            // Truncating remainder, sign of the dividend; `% 0` and overflow are missing.
            ArithOp::Rem => x.checked_rem(y),
        })),
        (Col::Float(a), Col::Float(b)) => Col::Float(zip(a, b, |x, y| {
            let v = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div | ArithOp::Rem if y == 0.0 => return None,
                ArithOp::Div => x / y,
                ArithOp::Rem => x % y,
            };
            Some(v).filter(|v| !v.is_nan())
        })),
        (Col::Decimal(a, sa), Col::Decimal(b, sb)) => {
            let scale = match op {
                ArithOp::Mul => sa + sb,
                _ => sa.max(sb),
            };
            Col::Decimal(
                zip(a, b, |x, y| match op {
                    ArithOp::Add => {
                        let (x, y, _) = num::align(x, sa, y, sb)?;
                        x.checked_add(y)
                    }
                    ArithOp::Sub => {
                        let (x, y, _) = num::align(x, sa, y, sb)?;
                        x.checked_sub(y)
                    }
                    ArithOp::Mul => x.checked_mul(y),
                    ArithOp::Rem => {
                        let (x, y, _) = num::align(x, sa, y, sb)?;
                        x.checked_rem(y)
                    }
                    ArithOp::Div => None,
                }),
                scale,
            )
        }
        (l, r) => return internal(format!("arithmetic on {l:?} and {r:?}")),
    })
}
