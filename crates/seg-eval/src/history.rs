//! Aggregates over event histories (LANGUAGE.md §7.1), column at a time.
//!
//! A history is an Arrow `List`/`LargeList` of `Struct`. An aggregate
//! flattens the batch's lists into one run of records, evaluates its `where`
//! filter once over all of them (a batch whose rows are the records: the
//! record's fields read from the struct's children, profile fields and segment
//! memberships gathered from each record's profile row through the list
//! offsets), and then reduces each row's range of records. Every decided
//! corner of §7.1 is here, once:
//! - a missing list aggregates as an empty one;
//! - a missing (null) record is counted by nothing, with or without `where`;
//! - a record counts when the filter is **true** (unknown does not count);
//! - `sum`/`avg`/`min`/`max`/`count_distinct` skip missing values (NaN is
//!   missing when read);
//! - over nothing, `sum`/`avg`/`min`/`max` are missing, `count` and
//!   `count_distinct` are 0 and `any` is false;
//! - `sum` of ints is exact and missing when the total does not fit in an
//!   `int`; `sum` of decimals is exact at the column's scale (the largest of
//!   its values') and missing past 128 bits, as decimal `+` is;
//! - `avg` of ints and decimals is the exact sum divided by the count,
//!   rounded once to a float ([`ratio_to_f64`]); of floats, the float sum
//!   divided by the count;
//! - `count_distinct` compares as `==` does ([`Key`]: `0.0` equals `-0.0`,
//!   `1.50` equals `1.5`);
//! - `min`/`max` of strings order by Unicode scalar values.

use crate::column::{self, Col};
use crate::eval::{Frame, Internal, row_keys};
use crate::rules::{self, Key};
use arrow::array::{Array, ArrayRef, AsArray, StructArray, UInt32Array};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use seg_ir::{AggFunc, Expr, ExprKind, FieldId, RecordField, SegmentId, Type};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

type R<T> = Result<T, Internal>;

fn internal<T>(what: impl Into<String>) -> R<T> {
    Err(Internal(what.into()))
}

/// The record scope of a filter's evaluation: where each record field's
/// column is in the records' batch.
pub(crate) struct Elements<'p> {
    /// The record type's fields.
    pub fields: &'p [RecordField],
    /// The batch column of each record field, by its index in `fields`.
    pub columns: Vec<usize>,
}

/// A batch's lists, flattened: the records of row `r` are
/// `records[rows[r].clone()]`, and a missing list has none.
struct Flat {
    rows: Vec<std::ops::Range<usize>>,
    records: StructArray,
}

/// Flattens a `List`/`LargeList` of `Struct` column, honouring slicing and
/// treating a null list as empty whatever its offsets say.
fn flatten(array: &ArrayRef) -> R<Flat> {
    fn ranges<O: Copy + TryInto<usize>>(
        offsets: &[O],
        nulls: Option<&NullBuffer>,
    ) -> R<(Vec<std::ops::Range<usize>>, usize, usize)> {
        let offsets = offsets
            .iter()
            .map(|&o| {
                o.try_into()
                    .map_err(|_| Internal("a negative list offset".into()))
            })
            .collect::<R<Vec<usize>>>()?;
        let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
            return internal("a list array without offsets");
        };
        let rows = offsets
            .windows(2)
            .enumerate()
            .map(|(row, w)| {
                let start = w[0] - first;
                if nulls.is_some_and(|n| n.is_null(row)) {
                    start..start
                } else {
                    start..w[1] - first
                }
            })
            .collect();
        Ok((rows, first, last))
    }
    let (rows, start, end, values) = match array.data_type() {
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let (r, s, e) = ranges(list.value_offsets(), list.nulls())?;
            (r, s, e, list.values())
        }
        DataType::LargeList(_) => {
            let list = array.as_list::<i64>();
            let (r, s, e) = ranges(list.value_offsets(), list.nulls())?;
            (r, s, e, list.values())
        }
        other => return internal(format!("a history read from a {other} column")),
    };
    let values = values.slice(start, end - start);
    let Some(records) = values.as_struct_opt() else {
        return internal("a history whose elements are not structs");
    };
    Ok(Flat {
        rows,
        records: records.clone(),
    })
}

impl<'a> Frame<'a, '_> {
    /// Evaluates `func(list[.value] where filter)` over the batch.
    pub(crate) fn aggregate(
        &mut self,
        func: AggFunc,
        list: &Expr,
        value: Option<usize>,
        filter: Option<&Expr>,
        ty: &Type,
    ) -> R<Col<'a>> {
        let ExprKind::Field(list_id) = list.kind else {
            return internal("an aggregate over something other than a field");
        };
        let Some(record) = list.ty.element().and_then(Type::record_fields) else {
            return internal("an aggregate over a list that is not of records");
        };
        let Some(Some(index)) = self.columns.get(list_id.0 as usize) else {
            return internal("a history that is not bound");
        };
        let array = self.batch.column(*index).clone();
        let flat = flatten(&array)?;
        let count = flat.records.len();

        // Which records count: present ones where the filter is true.
        let mut counted: Vec<bool> = (0..count).map(|j| flat.records.is_valid(j)).collect();
        if let Some(filter) = filter {
            let truth = self.filter(filter, record, &flat)?;
            for (c, t) in counted.iter_mut().zip(truth) {
                *c &= t == Some(true);
            }
        }
        // The aggregated field's values, one per record.
        let child_array;
        let values = match value {
            None => None,
            Some(i) => {
                let field = &record[i];
                child_array = child(&flat.records, &field.name)?;
                Some(column::read(&field.ty, &child_array).ok_or_else(|| {
                    Internal(format!("record field `{}` changed type", field.name))
                })?)
            }
        };
        reduce(func, values, &counted, flat.rows.iter().cloned(), ty)
    }

    /// The filter's truth for every record of the batch.
    fn filter(
        &mut self,
        filter: &Expr,
        record: &[RecordField],
        flat: &Flat,
    ) -> R<Vec<Option<bool>>> {
        let count = flat.records.len();
        // Each record's profile row.
        let mut parent = vec![0u32; count];
        for (row, range) in flat.rows.iter().enumerate() {
            let row = u32::try_from(row).map_err(|_| Internal("too many rows".into()))?;
            for p in &mut parent[range.clone()] {
                *p = row;
            }
        }
        let parent = UInt32Array::from(parent);
        // The profile fields the filter reads, gathered per record, then the
        // record's own fields: the records' batch.
        let mut fields: Vec<FieldId> = Vec::new();
        let mut segments: Vec<SegmentId> = Vec::new();
        seg_ir::walk(filter, &mut |e| match e.kind {
            ExprKind::Field(id) if !fields.contains(&id) => fields.push(id),
            ExprKind::Segment(id) if !segments.contains(&id) => segments.push(id),
            _ => {}
        });
        let mut arrays: Vec<ArrayRef> = Vec::new();
        let mut columns: Vec<Option<usize>> = vec![None; self.schema.fields.len()];
        for id in fields {
            let Some(Some(index)) = self.columns.get(id.0 as usize) else {
                return internal("a field read in a filter is not bound");
            };
            let gathered = arrow::compute::take(self.batch.column(*index), &parent, None)
                .map_err(|e| Internal(format!("gathering a field per record: {e}")))?;
            columns[id.0 as usize] = Some(arrays.len());
            arrays.push(gathered);
        }
        let mut element_columns = Vec::with_capacity(record.len());
        for field in record {
            element_columns.push(arrays.len());
            arrays.push(child(&flat.records, &field.name)?);
        }
        let mut memberships: Vec<Option<Vec<bool>>> = vec![None; self.memberships.len()];
        for id in segments {
            let Some(Some(rows)) = self.memberships.get(id.0 as usize) else {
                return internal("segment evaluated before its dependency");
            };
            memberships[id.0 as usize] =
                Some(parent.values().iter().map(|&p| rows[p as usize]).collect());
        }
        let schema = ArrowSchema::new(
            arrays
                .iter()
                .enumerate()
                .map(|(i, a)| Field::new(format!("c{i}"), a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        );
        let batch = RecordBatch::try_new_with_options(
            Arc::new(schema),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(count)),
        )
        .map_err(|e| Internal(format!("the records' batch: {e}")))?;
        let mut records = Frame {
            batch: &batch,
            columns: &columns,
            schema: self.schema,
            params: self.params,
            as_of: self.as_of,
            today: self.today,
            zone: self.zone,
            rows: count,
            memberships: &memberships,
            patterns: self.patterns,
            pattern_error: None,
            elements: Some(Elements {
                fields: record,
                columns: element_columns,
            }),
        };
        let result = records.eval(filter);
        if let Some(error) = records.pattern_error.take() {
            self.pattern_error.get_or_insert(error);
        }
        match result? {
            Col::Bool(truth) => Ok(truth),
            _ => internal("a filter that is not a bool column"),
        }
    }

    /// A field of the current record (inside a filter).
    pub(crate) fn element(&self, index: usize) -> R<Col<'a>> {
        let Some(elements) = &self.elements else {
            return internal("a record field read outside a filter");
        };
        let (Some(field), Some(&column)) =
            (elements.fields.get(index), elements.columns.get(index))
        else {
            return internal("an unknown record field");
        };
        let batch: &'a RecordBatch = self.batch;
        column::read(&field.ty, batch.column(column))
            .ok_or_else(|| Internal(format!("record field `{}` changed type", field.name)))
    }
}

/// The struct's child named `name` (binding checked it exists and fits).
fn child(records: &StructArray, name: &str) -> R<ArrayRef> {
    records
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| Internal(format!("record field `{name}` is not in the data")))
}

/// Reduces each row's counted records.
fn reduce<'a>(
    func: AggFunc,
    values: Option<Col<'_>>,
    counted: &[bool],
    rows: impl Iterator<Item = std::ops::Range<usize>>,
    ty: &Type,
) -> R<Col<'a>> {
    // The counted records of each row whose value is present.
    let present = |range: std::ops::Range<usize>, has: &dyn Fn(usize) -> bool| {
        range
            .filter(move |&j| counted[j] && has(j))
            .collect::<Vec<_>>()
    };
    let ranges: Vec<std::ops::Range<usize>> = rows.collect();
    match func {
        AggFunc::Count => Ok(Col::Int(
            ranges
                .into_iter()
                .map(|r| i64::try_from(r.filter(|&j| counted[j]).count()).ok())
                .collect(),
        )),
        AggFunc::Any => Ok(Col::Bool(
            ranges
                .into_iter()
                .map(|mut r| Some(r.any(|j| counted[j])))
                .collect(),
        )),
        AggFunc::CountDistinct => {
            let Some(values) = values else {
                return internal("count_distinct without a field");
            };
            let keys = row_keys(&values)?;
            Ok(Col::Int(
                ranges
                    .into_iter()
                    .map(|r| {
                        let distinct: HashSet<&Key> = r
                            .filter(|&j| counted[j])
                            .filter_map(|j| keys[j].as_ref())
                            .collect();
                        i64::try_from(distinct.len()).ok()
                    })
                    .collect(),
            ))
        }
        AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max => {
            let Some(values) = values else {
                return internal("an aggregate of a field without the field");
            };
            Ok(match values {
                Col::Int(v) => {
                    let each = ranges.into_iter().map(|r| {
                        present(r, &|j| v[j].is_some())
                            .into_iter()
                            .filter_map(|j| v[j])
                            .collect::<Vec<i64>>()
                    });
                    match func {
                        AggFunc::Sum => Col::Int(
                            each.map(|xs| {
                                if xs.is_empty() {
                                    return None;
                                }
                                i64::try_from(xs.iter().map(|&x| i128::from(x)).sum::<i128>()).ok()
                            })
                            .collect(),
                        ),
                        AggFunc::Avg => Col::Float(
                            each.map(|xs| {
                                let n = u64::try_from(xs.len()).ok().filter(|&n| n > 0)?;
                                let sum: i128 = xs.iter().map(|&x| i128::from(x)).sum();
                                Some(ratio_to_f64(sum, n, 0))
                            })
                            .collect(),
                        ),
                        _ => Col::Int(each.map(|xs| extreme(func, xs, Ord::cmp)).collect()),
                    }
                }
                Col::Float(v) => {
                    let each = ranges.into_iter().map(|r| {
                        present(r, &|j| v[j].is_some())
                            .into_iter()
                            .filter_map(|j| v[j])
                            .collect::<Vec<f64>>()
                    });
                    Col::Float(match func {
                        AggFunc::Sum => each
                            .map(|xs| {
                                if xs.is_empty() {
                                    return None;
                                }
                                Some(xs.iter().sum::<f64>()).filter(|s| !s.is_nan())
                            })
                            .collect(),
                        AggFunc::Avg => each
                            .map(|xs| {
                                if xs.is_empty() {
                                    return None;
                                }
                                let mean = xs.iter().sum::<f64>() / xs.len() as f64;
                                Some(mean).filter(|m| !m.is_nan())
                            })
                            .collect(),
                        // No NaN is read, so the order is total.
                        _ => each
                            .map(|xs| {
                                extreme(func, xs, |a, b| {
                                    a.partial_cmp(b).unwrap_or(Ordering::Equal)
                                })
                            })
                            .collect(),
                    })
                }
                Col::Decimal(v, scale) => {
                    let each = ranges.into_iter().map(|r| {
                        present(r, &|j| v[j].is_some())
                            .into_iter()
                            .filter_map(|j| v[j])
                            .collect::<Vec<i128>>()
                    });
                    let exact_sum =
                        |xs: &[i128]| xs.iter().try_fold(0i128, |acc, &x| acc.checked_add(x));
                    match func {
                        AggFunc::Sum => Col::Decimal(
                            each.map(|xs| {
                                if xs.is_empty() {
                                    return None;
                                }
                                exact_sum(&xs)
                            })
                            .collect(),
                            scale,
                        ),
                        AggFunc::Avg => Col::Float(
                            each.map(|xs| {
                                let n = u64::try_from(xs.len()).ok().filter(|&n| n > 0)?;
                                Some(ratio_to_f64(exact_sum(&xs)?, n, scale))
                            })
                            .collect(),
                        ),
                        // One scale for the column: unscaled values order.
                        _ => Col::Decimal(
                            each.map(|xs| extreme(func, xs, Ord::cmp)).collect(),
                            scale,
                        ),
                    }
                }
                Col::Str(v) => Col::Str(
                    ranges
                        .into_iter()
                        .map(|r| {
                            let xs = present(r, &|j| v[j].is_some());
                            let strings = xs.into_iter().filter_map(|j| v[j].as_deref());
                            extreme(func, strings.collect(), |a: &&str, b: &&str| {
                                rules::compare(a, b)
                            })
                            .map(|s| Cow::Owned(s.to_string()))
                        })
                        .collect(),
                ),
                Col::Date(v) => Col::Date(
                    ranges
                        .into_iter()
                        .map(|r| {
                            let xs = present(r, &|j| v[j].is_some());
                            extreme(
                                func,
                                xs.into_iter().filter_map(|j| v[j]).collect(),
                                Ord::cmp,
                            )
                        })
                        .collect(),
                ),
                Col::Timestamp(v) => Col::Timestamp(
                    ranges
                        .into_iter()
                        .map(|r| {
                            let xs = present(r, &|j| v[j].is_some());
                            extreme(
                                func,
                                xs.into_iter().filter_map(|j| v[j]).collect(),
                                Ord::cmp,
                            )
                        })
                        .collect(),
                ),
                other => {
                    return internal(format!(
                        "`{}` of a {other:?} column (the result is {ty})",
                        func.as_str()
                    ));
                }
            })
        }
    }
}

/// The least (`min`) or greatest (`max`) of the values; `None` for none.
/// Of equal values the first is kept.
fn extreme<T: Clone>(func: AggFunc, values: Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) -> Option<T> {
    let mut best: Option<T> = None;
    for value in values {
        best = Some(match best {
            None => value,
            Some(b) => {
                let better = match func {
                    AggFunc::Min => cmp(&value, &b) == Ordering::Less,
                    _ => cmp(&value, &b) == Ordering::Greater,
                };
                if better { value } else { b }
            }
        });
    }
    best
}

/// Fractional digits computed of a quotient: enough that the text, with a
/// sticky digit for an inexact rest, rounds to the same float as the exact
/// quotient (a float's halfway point near the smallest quotient, 1 / 2^64
/// at scale 38, has fewer than 260 digits after the point).
const QUOTIENT_DIGITS: usize = 260;

/// The float nearest to `sum / count / 10^scale`, rounded once: the exact
/// quotient is written out in decimal (with a last `1` standing for any
/// remainder, so the text is never exactly on a halfway point the quotient is
/// not on) and parsed, which Rust rounds correctly. This is how `avg` of ints
/// and decimals is exact (LANGUAGE.md §7.1).
pub fn ratio_to_f64(sum: i128, count: u64, scale: u32) -> f64 {
    if count == 0 {
        return f64::NAN;
    }
    let magnitude = sum.unsigned_abs();
    let divisor = u128::from(count);
    let mut text = String::with_capacity(QUOTIENT_DIGITS + 48);
    if sum < 0 {
        text.push('-');
    }
    text.push_str(&(magnitude / divisor).to_string());
    text.push('.');
    let mut rest = magnitude % divisor;
    for _ in 0..QUOTIENT_DIGITS {
        if rest == 0 {
            break;
        }
        // `rest < count <= 2^64`, so `rest * 10` cannot overflow.
        rest *= 10;
        text.push(char::from(b'0' + (rest / divisor) as u8));
        rest %= divisor;
    }
    if rest != 0 {
        text.push('1');
    }
    text.push_str(&format!("e-{scale}"));
    text.parse().unwrap_or(f64::NAN)
}
