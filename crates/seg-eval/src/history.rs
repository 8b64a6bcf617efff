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
pub struct Flat {
    /// Each row's range of records.
    pub rows: Vec<std::ops::Range<usize>>,
    /// Every record of the batch's lists, in order (the list's values sliced
    /// to the range the batch's rows use; zero-copy).
    pub records: StructArray,
}

/// Flattens a `List`/`LargeList` of `Struct` column, honouring slicing and
/// treating a null list as empty whatever its offsets say.
pub fn flatten(array: &ArrayRef) -> Result<Flat, String> {
    flat(array).map_err(|Internal(what)| what)
}

fn flat(array: &ArrayRef) -> R<Flat> {
    fn ranges<O: Copy + TryInto<usize>>(
        offsets: &[O],
        nulls: Option<&NullBuffer>,
    ) -> R<(Vec<std::ops::Range<usize>>, usize, usize)> {
        let at = |o: O| {
            o.try_into()
                .map_err(|_| Internal("a negative list offset".into()))
        };
        let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
            return internal("a list array without offsets");
        };
        let (first, last) = (at(first)?, at(last)?);
        // One pass over the offsets, straight into the ranges: this runs for
        // every aggregate of every batch.
        let mut rows = Vec::with_capacity(offsets.len().saturating_sub(1));
        let mut start = first;
        for (row, &end) in offsets.iter().skip(1).enumerate() {
            let end = at(end)?;
            let from = start - first;
            rows.push(if nulls.is_some_and(|n| n.is_null(row)) {
                from..from
            } else {
                from..end - first
            });
            start = end;
        }
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
        let flat = flat(&array)?;
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
        reduce(func, values, &counted, &flat.rows, ty).map_err(Internal)
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

/// Reduces each row's counted records: `counted[j]` says whether record `j`
/// counts (present, and its filter true), `rows[r]` is row `r`'s range of
/// records (empty for a missing list), and `values` holds the aggregated
/// field's value of every record (`None` for `count` and `any`). This is the
/// one implementation of §7.1's reductions; the JIT calls it on the counted
/// mask it computes natively.
pub fn reduce(
    func: AggFunc,
    values: Option<Col<'_>>,
    counted: &[bool],
    rows: &[std::ops::Range<usize>],
    ty: &Type,
) -> Result<Col<'static>, String> {
    let ranges = rows.iter().cloned();
    // Counted records of a row's range (every index is below `counted.len()`
    // for ranges made by `flatten`; a stray one does not count).
    let counts = move |j: usize| counted.get(j).copied().unwrap_or(false);
    match func {
        AggFunc::Count => Ok(Col::Int(
            ranges
                .map(|r| i64::try_from(r.filter(|&j| counts(j)).count()).ok())
                .collect(),
        )),
        AggFunc::Any => Ok(Col::Bool(ranges.map(|mut r| Some(r.any(counts))).collect())),
        AggFunc::CountDistinct => {
            let Some(values) = values else {
                return Err("count_distinct without a field".into());
            };
            // Strings compare as `==` does, byte for byte: distinct borrowed
            // strings, with no key made per record.
            if let Col::Str(v) = &values {
                return Ok(Col::Int(
                    ranges
                        .map(|r| {
                            let present = r
                                .filter(|&j| counts(j))
                                .filter_map(|j| v.get(j).and_then(|s| s.as_deref()));
                            i64::try_from(distinct_strings(present)).ok()
                        })
                        .collect(),
                ));
            }
            let keys = row_keys(&values).map_err(|Internal(what)| what)?;
            Ok(Col::Int(
                ranges
                    .map(|r| {
                        let distinct: HashSet<&Key> = r
                            .filter(|&j| counts(j))
                            .filter_map(|j| keys.get(j).and_then(Option::as_ref))
                            .collect();
                        i64::try_from(distinct.len()).ok()
                    })
                    .collect(),
            ))
        }
        AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max => {
            let Some(values) = values else {
                return Err("an aggregate of a field without the field".into());
            };
            // The counted records of a row whose value is present.
            fn each<'v, T: Copy>(
                v: &'v [Option<T>],
                counts: impl Fn(usize) -> bool + 'v,
                r: std::ops::Range<usize>,
            ) -> impl Iterator<Item = T> + 'v {
                r.filter(move |&j| counts(j))
                    .filter_map(move |j| v.get(j).copied().flatten())
            }
            Ok(match values {
                Col::Int(v) => match func {
                    AggFunc::Sum => {
                        Col::Int(ranges.map(|r| sum_ints(each(&v, counts, r))).collect())
                    }
                    AggFunc::Avg => {
                        Col::Float(ranges.map(|r| avg_ints(each(&v, counts, r))).collect())
                    }
                    _ => Col::Int(
                        ranges
                            .map(|r| extreme(func, each(&v, counts, r), Ord::cmp))
                            .collect(),
                    ),
                },
                Col::Float(v) => Col::Float(match func {
                    AggFunc::Sum => ranges.map(|r| sum_floats(each(&v, counts, r))).collect(),
                    AggFunc::Avg => ranges.map(|r| avg_floats(each(&v, counts, r))).collect(),
                    // No NaN is read, so the order is total.
                    _ => ranges
                        .map(|r| {
                            extreme(func, each(&v, counts, r), |a, b| {
                                a.partial_cmp(b).unwrap_or(Ordering::Equal)
                            })
                        })
                        .collect(),
                }),
                Col::Decimal(v, scale) => match func {
                    AggFunc::Sum => Col::Decimal(
                        ranges.map(|r| sum_decimals(each(&v, counts, r))).collect(),
                        scale,
                    ),
                    AggFunc::Avg => Col::Float(
                        ranges
                            .map(|r| avg_decimals(each(&v, counts, r), scale))
                            .collect(),
                    ),
                    // One scale for the column: unscaled values order.
                    _ => Col::Decimal(
                        ranges
                            .map(|r| extreme(func, each(&v, counts, r), Ord::cmp))
                            .collect(),
                        scale,
                    ),
                },
                Col::Str(v) => Col::Str(
                    ranges
                        .map(|r| {
                            let strings = r
                                .filter(|&j| counts(j))
                                .filter_map(|j| v.get(j).and_then(|s| s.as_deref()));
                            extreme(func, strings, |a: &&str, b: &&str| rules::compare(a, b))
                                .map(|s| Cow::Owned(s.to_string()))
                        })
                        .collect(),
                ),
                Col::Date(v) => Col::Date(
                    ranges
                        .map(|r| extreme(func, each(&v, counts, r), Ord::cmp))
                        .collect(),
                ),
                Col::Timestamp(v) => Col::Timestamp(
                    ranges
                        .map(|r| extreme(func, each(&v, counts, r), Ord::cmp))
                        .collect(),
                ),
                other => {
                    return Err(format!(
                        "`{}` of a {other:?} column (the result is {ty})",
                        func.as_str()
                    ));
                }
            })
        }
    }
}

/// A string's tag: its first 8 bytes (zero-padded) and its length. Unequal
/// tags mean unequal strings; for strings of up to 8 bytes, equal tags mean
/// equal strings.
#[inline(always)]
fn tag(s: &str) -> u64 {
    let bytes = s.as_bytes();
    let n = bytes.len();
    let head = match (
        bytes.first_chunk::<8>(),
        bytes.first_chunk::<4>(),
        bytes.last_chunk::<4>(),
    ) {
        (Some(head), _, _) => u64::from_le_bytes(*head),
        // 4 to 7 bytes: the first four and the last four, overlapping on
        // equal bytes, in two loads instead of a loop.
        (None, Some(lo), Some(hi)) => {
            u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4))
        }
        _ => bytes
            .iter()
            .enumerate()
            .fold(0u64, |w, (i, &b)| w | u64::from(b) << (8 * i)),
    };
    head ^ (n as u64).rotate_right(8)
}

/// Whether `x` (tagged `u`) is `s` (tagged `t`), as `==` compares strings.
#[inline(always)]
fn same(u: u64, x: &str, t: u64, s: &str) -> bool {
    u == t && x.len() == s.len() && (s.len() <= 8 || rules::compare(x, s) == Ordering::Equal)
}

/// `count_distinct` of strings: how many distinct strings there are, as
/// `==` compares them (byte for byte). A row holds few records, so up to 16
/// distinct strings are kept on the stack, each with a tag (its first 8
/// bytes and its length) that tells unequal pairs apart without comparing
/// bytes, and decides equality outright for strings of up to 8 bytes; past
/// 16, a hash set.
pub fn distinct_strings<'s>(strings: impl Iterator<Item = &'s str>) -> usize {
    const SMALL: usize = 16;
    let mut seen: [(u64, &str); SMALL] = [(0, ""); SMALL];
    let mut len = 0;
    let mut set: Option<HashSet<&str>> = None;
    for s in strings {
        if let Some(set) = &mut set {
            set.insert(s);
            continue;
        }
        let t = tag(s);
        if seen[..len].iter().any(|&(u, x)| same(u, x, t, s)) {
            continue;
        }
        if len == SMALL {
            let mut all: HashSet<&str> = seen.iter().map(|(_, x)| *x).collect();
            all.insert(s);
            set = Some(all);
            continue;
        }
        seen[len] = (t, s);
        len += 1;
    }
    set.map_or(len, |s| s.len())
}

/// Small ids for the strings of a batch, as `==` compares them: two strings
/// get the same id exactly when they are equal byte for byte (the rule of
/// [`distinct_strings`]), so `count_distinct` of a row's strings is
/// [`distinct_ids`] of their ids. Ids are dense from 0, in order of first
/// appearance. A batch's column usually holds few distinct strings, so the
/// first 16 are found by a scan of their tags (no hashing, no byte
/// comparison for strings of up to 8 bytes); the rest through a hash map.
pub struct StringIds<'s> {
    /// The first distinct strings, with their tags; the id is the index.
    small: Vec<(u64, &'s str)>,
    /// The distinct strings past the first [`StringIds::SMALL`].
    more: std::collections::HashMap<&'s str, u32>,
    /// The last string seen in each slot of its tag's hash (tag, id, and
    /// the string), so that a string seen before is found in one probe.
    recent: Vec<(u64, u32, &'s str)>,
}

impl Default for StringIds<'_> {
    fn default() -> Self {
        StringIds {
            small: Vec::new(),
            more: std::collections::HashMap::new(),
            recent: vec![(0, u32::MAX, ""); 1 << Self::RECENT_BITS],
        }
    }
}

impl<'s> StringIds<'s> {
    /// How many distinct strings are found by a scan.
    const SMALL: usize = 16;
    /// The slots of `recent`, as bits of the hash.
    const RECENT_BITS: u32 = 6;

    /// The id of `s`, given it if `s` is new.
    #[inline]
    pub fn id(&mut self, s: &'s str) -> u32 {
        let t = tag(s);
        let slot = (t.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::RECENT_BITS)) as usize;
        if let Some(&(u, id, x)) = self.recent.get(slot)
            && id != u32::MAX
            && same(u, x, t, s)
        {
            return id;
        }
        let id = self.find(s, t);
        if let Some(r) = self.recent.get_mut(slot) {
            *r = (t, id, s);
        }
        id
    }

    /// The id of `s` (tagged `t`) from the strings seen so far, given it if
    /// `s` is new.
    fn find(&mut self, s: &'s str, t: u64) -> u32 {
        if let Some(i) = self.small.iter().position(|&(u, x)| same(u, x, t, s)) {
            // At most `SMALL` entries: the index fits.
            return i as u32;
        }
        if self.small.len() < Self::SMALL {
            self.small.push((t, s));
            return (self.small.len() - 1) as u32;
        }
        let next = u32::try_from(Self::SMALL + self.more.len()).unwrap_or(u32::MAX);
        *self.more.entry(s).or_insert(next)
    }
}

/// How many distinct ids there are: ids below 64 as bits of one word, the
/// rest sorted.
pub fn distinct_ids(ids: impl Iterator<Item = u32>) -> usize {
    let mut bits = 0u64;
    let mut more: Vec<u32> = Vec::new();
    for id in ids {
        if id < 64 {
            bits |= 1 << id;
        } else {
            more.push(id);
        }
    }
    more.sort_unstable();
    more.dedup();
    bits.count_ones() as usize + more.len()
}

/// `sum` of ints: exact, missing over nothing and when the total does not
/// fit in an `int`.
pub fn sum_ints(values: impl Iterator<Item = i64>) -> Option<i64> {
    let mut any = false;
    let total: i128 = values.inspect(|_| any = true).map(i128::from).sum();
    if !any {
        return None;
    }
    i64::try_from(total).ok()
}

/// `avg` of ints: the exact sum divided by the count, rounded once.
pub fn avg_ints(values: impl Iterator<Item = i64>) -> Option<f64> {
    let mut n = 0u64;
    let total: i128 = values.inspect(|_| n += 1).map(i128::from).sum();
    (n > 0).then(|| ratio_to_f64(total, n, 0))
}

/// `sum` of decimals (unscaled, of one scale): exact, missing over nothing
/// and when a partial sum passes 128 bits, as decimal `+` is.
pub fn sum_decimals(mut values: impl Iterator<Item = i128>) -> Option<i128> {
    let first = values.next()?;
    values.try_fold(first, |acc, x| acc.checked_add(x))
}

/// `avg` of decimals at `scale`: the exact sum divided by the count, rounded
/// once; missing over nothing and when the sum is.
pub fn avg_decimals(values: impl Iterator<Item = i128>, scale: u32) -> Option<f64> {
    let mut n = 0u64;
    let total = values
        .inspect(|_| n += 1)
        .try_fold(0i128, |acc, x| acc.checked_add(x));
    if n == 0 {
        return None;
    }
    Some(ratio_to_f64(total?, n, scale))
}

/// `sum` of floats, in record order; missing over nothing and when NaN.
pub fn sum_floats(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut any = false;
    let total: f64 = values.inspect(|_| any = true).sum();
    Some(total).filter(|s| any && !s.is_nan())
}

/// `avg` of floats: the float sum divided by the count; missing over
/// nothing and when NaN.
pub fn avg_floats(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut n = 0usize;
    let total: f64 = values.inspect(|_| n += 1).sum();
    if n == 0 {
        return None;
    }
    Some(total / n as f64).filter(|m| !m.is_nan())
}

/// The least (`min`) or greatest (`max`) of the values; `None` for none.
/// Of equal values the first is kept.
pub fn extreme<T>(
    func: AggFunc,
    values: impl IntoIterator<Item = T>,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Option<T> {
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

#[cfg(test)]
mod tests {
    use super::{StringIds, distinct_ids, distinct_strings};

    #[test]
    fn distinct_strings_counts_as_equality_does() {
        let count = |xs: &[&str]| distinct_strings(xs.iter().copied());
        assert_eq!(count(&[]), 0);
        assert_eq!(count(&["a", "a", "b"]), 2);
        // Equal tags (first 8 bytes, length) but different bytes after them.
        assert_eq!(count(&["electronics", "electronica", "electronics"]), 2);
        // Same head, different lengths; the empty string; a NUL byte.
        assert_eq!(count(&["shoe", "shoes", "", "", "shoe\0"]), 4);
        assert_eq!(count(&["é", "e\u{301}", "é"]), 2);
        // Past 16 distinct strings: the hash set takes over.
        let many: Vec<String> = (0..40).map(|i| format!("category-{}", i % 25)).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(count(&refs), 25);
    }

    #[test]
    fn string_ids_count_as_distinct_strings_does() {
        let rows: Vec<Vec<String>> = vec![
            vec![],
            vec!["a".into(), "a".into(), "b".into()],
            vec![
                "electronics".into(),
                "electronica".into(),
                "electronics".into(),
            ],
            vec![
                "shoe".into(),
                "shoes".into(),
                "".into(),
                "".into(),
                "shoe\0".into(),
            ],
            vec!["é".into(), "e\u{301}".into(), "é".into()],
            (0..200).map(|i| format!("category-{}", i % 90)).collect(),
            (0..40).map(|i| format!("x{}", i % 17)).collect(),
            // Every string of up to 7 letters `a`/`b` (lengths 4 to 7 read
            // as two overlapping loads), twice, in a scrambled order.
            (0..1020usize)
                .map(|i| {
                    let k = (i * 37) % 255 + 1;
                    let len = usize::BITS - k.leading_zeros() - 1;
                    (0..len)
                        .map(|b| if k >> b & 1 == 1 { 'b' } else { 'a' })
                        .collect()
                })
                .collect(),
        ];
        // One interner for the whole batch, as the JIT uses it.
        let mut ids = StringIds::default();
        for row in &rows {
            let expected = distinct_strings(row.iter().map(String::as_str));
            let got = distinct_ids(
                row.iter()
                    .map(|s| ids.id(s))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            assert_eq!(got, expected, "{row:?}");
        }
    }
}
