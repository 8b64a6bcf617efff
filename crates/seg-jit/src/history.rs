//! Aggregates over event histories (LANGUAGE.md §7.1), natively.
//!
//! An aggregate is a batch-level input of the kernel, computed in two native
//! passes over the batch's records (the struct's child buffers, sliced to the
//! range the batch's lists use; no copy):
//!
//! 1. **Which records count**, as 64-record mask words: the struct's
//!    validity (a missing record counts for nothing), AND the filter's TRUE
//!    words. The filter is compiled by this JIT like any condition: a
//!    sub-program whose schema is the record's fields (and the profile fields
//!    the filter reads, gathered per record by its profile row) and whose one
//!    segment is the filter, with each record field read as a field of that
//!    schema. It runs over the records as a batch of their own, with every
//!    kernel the JIT has (vector compares, dictionary tables, string helpers;
//!    `within 30 days` folded at compile time as anywhere else). A filter
//!    whose conjuncts read strings next to others that do not runs in two
//!    parts, the string conjuncts only over the records the others keep
//!    when those are few ([`Filters`]).
//! 2. **The reduction** over each row's range of records (the list offsets;
//!    a missing list is empty): `count` and `any` are population counts of
//!    the mask words over the range, word at a time with edge masks; the
//!    other aggregates read the aggregated field with the evaluator's reader
//!    and reduce with the evaluator's own functions
//!    ([`seg_eval::aggregate::reduce`]) over the mask, so every rule of §7.1
//!    (overflow, exact `avg`, `==` for `count_distinct`, NaN skipped) is the
//!    oracle's, once. `count_distinct` of strings gives each string its id
//!    in the batch ([`seg_eval::aggregate::StringIds`]) and counts a row's
//!    distinct ids as bits of a word.
//!
//! The result is a derived column the kernel compares natively
//! (`count(..) >= 3`, `sum(..) > 500`, `days_since(max(..))`), or (true,
//! false) words for `any`.

use crate::{JitOptions, JitProgram};
use arrow::array::{Array, ArrayRef, BooleanArray, StructArray, UInt32Array};
use arrow::datatypes::{DataType, Field as ArrowField, Schema as ArrowSchema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow::util::bit_chunk_iterator::BitChunks;
use seg_eval::Col;
use seg_ir::{AggFunc, Const, Expr, ExprKind, FieldId, Program, RecordField, Selection, Type};
use std::sync::Arc;

/// What an aggregate's derived column holds per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AggOut {
    /// `any`: (true, false) words.
    Bool,
    /// An i64 per row (counts, ints, dates as days, timestamps as µs).
    I64,
    /// An f64 per row (never NaN when present).
    F64,
    /// An unscaled i128 per row at this scale.
    Dec(u32),
}

/// An aggregate compiled for one Arrow schema.
pub(crate) struct AggPlan {
    /// Which aggregate.
    pub func: AggFunc,
    /// The aggregate's result type.
    pub ty: Type,
    /// The aggregated record field: its name (the struct child) and type.
    pub value: Option<RecordField>,
    /// The filter, compiled over the records' batch.
    pub filter: Option<Filters>,
    /// What the kernel reads.
    pub out: AggOut,
}

impl std::fmt::Debug for AggPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggPlan")
            .field("func", &self.func)
            .field("value", &self.value)
            .field("filter", &self.filter.is_some())
            .field("out", &self.out)
            .finish()
    }
}

/// An aggregate's filter, in up to two parts whose conjunction it is.
///
/// A filter `a and b` whose conjuncts `b` read strings (`name ==
/// "add_to_cart"`) and whose other conjuncts `a` do not (`at within 1 day`)
/// runs `a` over every record first, and `b` only over the records `a`
/// keeps when they are few (at most one in [`SPARSE`]): the string leaves,
/// the costly part, then cost in proportion to the records left, not to the
/// history. A record counts when the filter is true, that is when every
/// conjunct is true, so the order in which they are decided changes no
/// result (filters have no effects). When `a` keeps many records, `b` runs
/// over all of them, as a one-part filter would.
pub(crate) struct Filters {
    /// The conjuncts that read no strings (or the whole filter).
    first: Filter,
    /// The conjuncts that read strings, when there are others.
    rest: Option<Filter>,
}

/// `rest` runs over the records `first` keeps when they are at most one in
/// this many: gathering a kept record's strings costs several comparisons.
const SPARSE: usize = 8;

/// An aggregate's filter, compiled as a program over the records.
pub(crate) struct Filter {
    /// The sub-program: one segment, the filter.
    jit: JitProgram,
    /// The records' batch schema: the record fields read, then the profile
    /// fields read.
    schema: Arc<ArrowSchema>,
    /// The struct children the filter reads, in the schema's order.
    children: Vec<String>,
    /// The batch columns of the profile fields the filter reads, gathered
    /// per record.
    profile: Vec<usize>,
}

/// Why an aggregate is not compiled natively (it then runs in the reference
/// evaluator as part of its condition's leaf).
pub(crate) type Unsupported = String;

/// What compiling an aggregate needs from the lowering of its program.
pub(crate) struct Env<'a> {
    pub program: &'a Program,
    pub params: &'a [Const],
    pub as_of: i64,
    pub schema: &'a ArrowSchema,
    /// The bound column of a profile field.
    pub column: &'a dyn Fn(FieldId) -> Option<usize>,
}

/// The Arrow struct fields of a `List`/`LargeList` of `Struct`.
fn struct_fields(dt: &DataType) -> Option<&arrow::datatypes::Fields> {
    match dt {
        DataType::List(item) | DataType::LargeList(item) => match item.data_type() {
            DataType::Struct(fields) => Some(fields),
            _ => None,
        },
        _ => None,
    }
}

/// Compiles `e` (an [`ExprKind::Aggregate`]) over the list in column `col`.
/// The second result lists what the filter's sub-program runs in the
/// reference evaluator (span, reason).
pub(crate) fn compile(
    env: &Env<'_>,
    e: &Expr,
    col: usize,
) -> Result<(AggPlan, Vec<(seg_diagnostics::Span, String)>), Unsupported> {
    let ExprKind::Aggregate {
        func,
        list,
        value,
        filter,
    } = &e.kind
    else {
        return Err("not an aggregate".into());
    };
    let record = list
        .ty
        .element()
        .and_then(Type::record_fields)
        .ok_or("an aggregate over a list that is not of records")?;
    let dt = env
        .schema
        .fields()
        .get(col)
        .map(|f| f.data_type())
        .ok_or("an unbound history")?;
    let children = struct_fields(dt).ok_or("a history that is not a list of structs")?;
    let child_type = |name: &str| {
        children
            .iter()
            .find(|f| f.name() == name)
            .map(|f| f.data_type().clone())
            .ok_or_else(|| format!("record field `{name}` is not in the data"))
    };
    let value = match value {
        Some(i) => Some(record.get(*i).ok_or("an unknown record field")?.clone()),
        None => None,
    };
    let out = match (func, &e.ty) {
        (AggFunc::Any, _) => AggOut::Bool,
        (AggFunc::Count | AggFunc::CountDistinct, _) => AggOut::I64,
        (_, Type::Float) => AggOut::F64,
        (_, Type::Int | Type::Date | Type::Timestamp) => AggOut::I64,
        (_, Type::Decimal) => {
            let name = value.as_ref().map(|v| v.name.as_str()).unwrap_or_default();
            match child_type(name)? {
                // A negative scale is read at scale 0 (the evaluator's reader).
                DataType::Decimal128(_, s) => AggOut::Dec(u32::try_from(s).unwrap_or(0)),
                other => return Err(format!("a decimal record field of type {other}")),
            }
        }
        (_, other) => {
            return Err(format!(
                "`{}` of a {other} record field (its result is compared in the evaluator)",
                func.as_str()
            ));
        }
    };
    let mut inner = Vec::new();
    let filter = match filter {
        None => None,
        Some(f) => {
            let (first, rest) = split(f, record);
            let (first, fallbacks) = compile_filter(env, &first, record, &child_type)?;
            inner = fallbacks;
            let rest = match rest {
                Some(rest) => {
                    let (rest, fallbacks) = compile_filter(env, &rest, record, &child_type)?;
                    inner.extend(fallbacks);
                    Some(rest)
                }
                None => None,
            };
            Some(Filters { first, rest })
        }
    };
    Ok((
        AggPlan {
            func: *func,
            ty: e.ty.clone(),
            value,
            filter,
            out,
        },
        inner,
    ))
}

/// Splits a filter `and` into the conjuncts that read no string record
/// field (first) and those that do (second), when there are both; else the
/// filter whole.
fn split(filter: &Expr, record: &[RecordField]) -> (Expr, Option<Expr>) {
    let ExprKind::And(items) = &filter.kind else {
        return (filter.clone(), None);
    };
    let reads_strings = |e: &Expr| {
        let mut strings = false;
        seg_ir::walk(e, &mut |x| {
            if let ExprKind::Element(i) = x.kind
                && record
                    .get(i)
                    .is_some_and(|f| matches!(f.ty, Type::String | Type::List(_)))
            {
                strings = true;
            }
        });
        strings
    };
    let (costly, cheap): (Vec<Expr>, Vec<Expr>) = items.iter().cloned().partition(reads_strings);
    if costly.is_empty() || cheap.is_empty() {
        return (filter.clone(), None);
    }
    let and = |mut items: Vec<Expr>| {
        if items.len() == 1 {
            items.remove(0)
        } else {
            Expr {
                kind: ExprKind::And(items),
                ty: filter.ty.clone(),
                span: filter.span,
            }
        }
    };
    (and(cheap), Some(and(costly)))
}

/// Compiles a filter as a program over the records' batch.
fn compile_filter(
    env: &Env<'_>,
    filter: &Expr,
    record: &[RecordField],
    child_type: &dyn Fn(&str) -> Result<DataType, String>,
) -> Result<(Filter, Vec<(seg_diagnostics::Span, String)>), Unsupported> {
    // What the filter reads: record fields, profile fields; a segment's
    // membership is per profile row and stays in the evaluator.
    let mut elements: Vec<usize> = Vec::new();
    let mut fields: Vec<FieldId> = Vec::new();
    let mut bad = None;
    seg_ir::walk(filter, &mut |x| match x.kind {
        ExprKind::Element(i) if !elements.contains(&i) => elements.push(i),
        ExprKind::Field(id) if !fields.contains(&id) => fields.push(id),
        ExprKind::Segment(_) => bad = Some("a filter that reads a segment"),
        ExprKind::Aggregate { .. } => bad = Some("an aggregate inside a filter"),
        _ => {}
    });
    if let Some(reason) = bad {
        return Err(reason.into());
    }
    // The sub-program's schema: `r<i>` for record field i, `p<id>` for
    // profile field id (names no record or profile field can clash with, as
    // they are the sub-program's own).
    let mut program_fields = Vec::new();
    let mut arrow_fields = Vec::new();
    let mut children = Vec::new();
    let mut element_ids = vec![None; record.len()];
    for &i in &elements {
        let field = record.get(i).ok_or("an unknown record field")?;
        let name = format!("r{i}");
        element_ids[i] = Some(FieldId(u32::try_from(program_fields.len()).unwrap_or(0)));
        arrow_fields.push(ArrowField::new(&name, child_type(&field.name)?, true));
        program_fields.push(seg_ir::Field {
            name,
            ty: field.ty.clone(),
            key: false,
            pii: false,
            one_of: None,
            span: filter.span,
            record: Vec::new(),
        });
        children.push(field.name.clone());
    }
    let mut profile_ids = vec![None; env.program.schema.fields.len()];
    let mut profile = Vec::new();
    for &id in &fields {
        let original = env
            .program
            .schema
            .fields
            .get(id.0 as usize)
            .ok_or("an unknown profile field")?;
        let col = (env.column)(id).ok_or("a profile field that is not bound")?;
        let dt = env
            .schema
            .fields()
            .get(col)
            .map(|f| f.data_type().clone())
            .ok_or("a profile field that is not bound")?;
        let name = format!("p{}", id.0);
        profile_ids[id.0 as usize] =
            Some(FieldId(u32::try_from(program_fields.len()).unwrap_or(0)));
        arrow_fields.push(ArrowField::new(&name, dt, true));
        program_fields.push(seg_ir::Field {
            name,
            key: false,
            ..original.clone()
        });
        profile.push(col);
    }
    let mut where_ = filter.clone();
    rename(&mut where_, &element_ids, &profile_ids)?;
    let synthetic = Program {
        schema: seg_ir::Schema {
            fields: program_fields,
        },
        params: env.program.params.clone(),
        segments: vec![seg_ir::Segment {
            name: "filter".into(),
            title: None,
            where_,
            exclude: None,
            span: filter.span,
        }],
        priorities: Vec::new(),
        tests: Vec::new(),
        // The filter's calendar is the program's: `year(at)` inside a filter
        // reads the same local dates as outside it.
        timezone: env.program.timezone,
    };
    let schema = Arc::new(ArrowSchema::new(arrow_fields));
    let evaluator = seg_eval::Evaluator::with_params(
        &synthetic,
        env.params.to_vec(),
        env.as_of,
        Selection::all(&synthetic),
    );
    let binding = evaluator
        .bind(&schema)
        .map_err(|e| e.first().map(|d| d.message.clone()).unwrap_or_default())?;
    // Eager string leaves: see `JitProgram::compile_with_laziness`.
    let jit = JitProgram::compile_with_laziness(
        &evaluator,
        &schema,
        &binding,
        &JitOptions::default(),
        false,
    )
    .map_err(|d| d.message)?;
    let fallbacks = jit
        .fallbacks()
        .iter()
        .map(|f| (f.span, f.reason.clone()))
        .collect();
    Ok((
        Filter {
            jit,
            schema,
            children,
            profile,
        },
        fallbacks,
    ))
}

/// Rewrites a filter for the records' batch: record field `i` and profile
/// field `id` become fields of the sub-program.
fn rename(
    e: &mut Expr,
    elements: &[Option<FieldId>],
    profile: &[Option<FieldId>],
) -> Result<(), Unsupported> {
    match e.kind {
        ExprKind::Element(i) => {
            let id = elements
                .get(i)
                .copied()
                .flatten()
                .ok_or("an unknown record field")?;
            e.kind = ExprKind::Field(id);
        }
        ExprKind::Field(f) => {
            let id = profile
                .get(f.0 as usize)
                .copied()
                .flatten()
                .ok_or("an unknown profile field")?;
            e.kind = ExprKind::Field(id);
        }
        _ => {
            for part in e.parts_mut() {
                rename(part, elements, profile)?;
            }
        }
    }
    Ok(())
}

/// An aggregate's result over one batch.
pub(crate) enum Computed {
    /// `any`: (true, false) words.
    Words(Vec<u64>, Vec<u64>),
    /// i64 values and validity words.
    Values(Vec<i64>, Vec<u64>),
    /// Floats and validity words.
    Floats(Vec<f64>, Vec<u64>),
    /// Unscaled decimals and validity words.
    Decimals(Vec<i128>, Vec<u64>),
}

/// Bits `[start, end)` of `words`, counted.
fn count_bits(words: &[u64], start: usize, end: usize) -> usize {
    if start >= end {
        return 0;
    }
    let (first, last) = (start / 64, (end - 1) / 64);
    let head = u64::MAX << (start % 64);
    let tail = u64::MAX >> (63 - (end - 1) % 64);
    let word = |i: usize| words.get(i).copied().unwrap_or(0);
    if first == last {
        return (word(first) & head & tail).count_ones() as usize;
    }
    let mut n =
        (word(first) & head).count_ones() as usize + (word(last) & tail).count_ones() as usize;
    for i in first + 1..last {
        n += word(i).count_ones() as usize;
    }
    n
}

/// `len` bits of a bitmap from bit `offset`, as words padded with zeros.
fn words_of(bits: &[u8], offset: usize, len: usize) -> Vec<u64> {
    let mut words: Vec<u64> = BitChunks::new(bits, offset, len).iter_padded().collect();
    words.resize(len.div_ceil(64), 0);
    words
}

/// Computes an aggregate over the history in `array` for `batch`'s rows.
pub(crate) fn compute(
    agg: &AggPlan,
    array: &ArrayRef,
    batch: &RecordBatch,
) -> Result<Computed, String> {
    let rows = array.len();
    let nwords = rows.div_ceil(64);
    let flat = seg_eval::aggregate::flatten(array)?;
    let records = &flat.records;
    let n = records.len();
    // Present records: the struct's validity.
    let mut mask = match records.nulls() {
        Some(nulls) => {
            let b = nulls.inner();
            words_of(b.values(), b.offset(), n)
        }
        None => {
            let mut w = vec![u64::MAX; n.div_ceil(64)];
            if let Some(last) = w.last_mut()
                && !n.is_multiple_of(64)
            {
                *last = (1u64 << (n % 64)) - 1;
            }
            w
        }
    };
    if let Some(filters) = &agg.filter {
        let truth = run_filter(&filters.first, records, &flat.rows, batch, None)?;
        let bits = truth.values();
        let t = words_of(bits.values(), bits.offset(), n);
        for (m, t) in mask.iter_mut().zip(t) {
            *m &= t;
        }
        if let Some(rest) = &filters.rest {
            let kept: usize = mask.iter().map(|w| w.count_ones() as usize).sum();
            if kept.saturating_mul(SPARSE) <= n {
                // The kept records only; the others stay uncounted.
                let kept: Vec<u32> = set_bits(&mask, &(0..n))
                    .map(u32::try_from)
                    .collect::<Result<_, _>>()
                    .map_err(|_| "too many records".to_string())?;
                let kept = UInt32Array::from(kept);
                let truth = run_filter(rest, records, &flat.rows, batch, Some(&kept))?;
                for (k, &j) in kept.values().iter().enumerate() {
                    if !truth.value(k) {
                        let j = j as usize;
                        if let Some(w) = mask.get_mut(j / 64) {
                            *w &= !(1u64 << (j % 64));
                        }
                    }
                }
            } else {
                let truth = run_filter(rest, records, &flat.rows, batch, None)?;
                let bits = truth.values();
                let t = words_of(bits.values(), bits.offset(), n);
                for (m, t) in mask.iter_mut().zip(t) {
                    *m &= t;
                }
            }
        }
    }
    let valid_all = || {
        let mut w = vec![u64::MAX; nwords];
        if let Some(last) = w.last_mut()
            && !rows.is_multiple_of(64)
        {
            *last = (1u64 << (rows % 64)) - 1;
        }
        w
    };
    match agg.func {
        AggFunc::Count => {
            let counts = flat
                .rows
                .iter()
                .map(|r| i64::try_from(count_bits(&mask, r.start, r.end)).unwrap_or(i64::MAX))
                .collect();
            return Ok(Computed::Values(counts, valid_all()));
        }
        AggFunc::Any => {
            let mut t = vec![0u64; nwords];
            for (i, r) in flat.rows.iter().enumerate() {
                if count_bits(&mask, r.start, r.end) > 0 {
                    t[i / 64] |= 1 << (i % 64);
                }
            }
            let f = valid_all().iter().zip(&t).map(|(v, t)| v & !t).collect();
            return Ok(Computed::Words(t, f));
        }
        _ => {}
    }
    let field = agg
        .value
        .as_ref()
        .ok_or("an aggregate of a field without the field")?;
    let child = records
        .column_by_name(&field.name)
        .ok_or_else(|| format!("record field `{}` is not in the data", field.name))?;
    if let Some(done) = fast(agg, child, &mask, &flat.rows, nwords) {
        return Ok(done);
    }
    let values = seg_eval::read_column(&field.ty, child)
        .ok_or_else(|| format!("record field `{}` changed type", field.name))?;
    let counted: Vec<bool> = (0..n)
        .map(|j| mask.get(j / 64).is_some_and(|w| w >> (j % 64) & 1 == 1))
        .collect();
    let result =
        seg_eval::aggregate::reduce(agg.func, Some(values), &counted, &flat.rows, &agg.ty)?;
    let validity = |present: &mut dyn Iterator<Item = bool>| {
        let mut w = vec![0u64; nwords];
        for (i, p) in present.enumerate() {
            if p {
                w[i / 64] |= 1 << (i % 64);
            }
        }
        w
    };
    let bad = || format!("`{}` gave a column of another type", agg.func.as_str());
    Ok(match (result, agg.out) {
        (Col::Int(v), AggOut::I64) => Computed::Values(
            v.iter().map(|x| x.unwrap_or(0)).collect(),
            validity(&mut v.iter().map(Option::is_some)),
        ),
        (Col::Date(v), AggOut::I64) => Computed::Values(
            v.iter().map(|x| x.map_or(0, i64::from)).collect(),
            validity(&mut v.iter().map(Option::is_some)),
        ),
        (Col::Timestamp(v), AggOut::I64) => Computed::Values(
            v.iter().map(|x| x.unwrap_or(0)).collect(),
            validity(&mut v.iter().map(Option::is_some)),
        ),
        (Col::Float(v), AggOut::F64) => Computed::Floats(
            v.iter().map(|x| x.unwrap_or(0.0)).collect(),
            validity(&mut v.iter().map(|x| x.is_some_and(|f| !f.is_nan()))),
        ),
        (Col::Decimal(v, scale), AggOut::Dec(s)) if scale == s => Computed::Decimals(
            v.iter().map(|x| x.unwrap_or(0)).collect(),
            validity(&mut v.iter().map(Option::is_some)),
        ),
        _ => return Err(bad()),
    })
}

/// The set bits of `words` in `[start, end)`, in order.
struct SetBits<'w> {
    words: &'w [u64],
    index: usize,
    current: u64,
    last: usize,
    tail: u64,
}

impl Iterator for SetBits<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.current != 0 {
                let bit = self.current.trailing_zeros() as usize;
                self.current &= self.current - 1;
                return Some(self.index * 64 + bit);
            }
            if self.index >= self.last {
                return None;
            }
            self.index += 1;
            let mut w = self.words.get(self.index).copied().unwrap_or(0);
            if self.index == self.last {
                w &= self.tail;
            }
            self.current = w;
        }
    }
}

/// The set bits of `words` in `range`.
fn set_bits<'w>(words: &'w [u64], range: &std::ops::Range<usize>) -> SetBits<'w> {
    let (start, end) = (range.start, range.end);
    if start >= end {
        return SetBits {
            words,
            index: 0,
            current: 0,
            last: 0,
            tail: 0,
        };
    }
    let (first, last) = (start / 64, (end - 1) / 64);
    let tail = u64::MAX >> (63 - (end - 1) % 64);
    let mut current = words.get(first).copied().unwrap_or(0) & (u64::MAX << (start % 64));
    if first == last {
        current &= tail;
    }
    SetBits {
        words,
        index: first,
        current,
        last,
        tail,
    }
}

/// One result per row from its live records (counted, value present), and
/// the rows where it is present.
fn per_row<T: Default>(
    rows: &[std::ops::Range<usize>],
    nwords: usize,
    live: &[u64],
    mut f: impl FnMut(SetBits<'_>) -> Option<T>,
) -> (Vec<T>, Vec<u64>) {
    let mut values = Vec::with_capacity(rows.len());
    let mut valid = vec![0u64; nwords];
    for (i, r) in rows.iter().enumerate() {
        match f(set_bits(live, r)) {
            Some(v) => {
                values.push(v);
                if let Some(w) = valid.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
            }
            None => values.push(T::default()),
        }
    }
    (values, valid)
}

/// The reductions over the child's buffers in place, for the physical types
/// that read as themselves (ints widened, Float32/64 with NaN missing,
/// Decimal128 of a scale of at least 0, microsecond timestamps, Date32, and
/// strings of every layout for `count_distinct`): the values of the live
/// records (counted and present) are fed straight to the evaluator's
/// reductions ([`seg_eval::aggregate`]), so the rules stay the oracle's.
/// `None`: the general path reads the column with the evaluator's reader.
fn fast(
    agg: &AggPlan,
    child: &ArrayRef,
    mask: &[u64],
    rows: &[std::ops::Range<usize>],
    nwords: usize,
) -> Option<Computed> {
    use arrow::array::AsArray;
    use arrow::datatypes as t;
    use seg_eval::aggregate as a;
    let n = child.len();
    // Counted records whose value is present.
    let live: Vec<u64> = match child.logical_nulls() {
        Some(nulls) => {
            let b = nulls.inner();
            let valid = words_of(b.values(), b.offset(), n);
            mask.iter().zip(valid).map(|(m, v)| m & v).collect()
        }
        None => mask.to_vec(),
    };
    let live = live.as_slice();
    let func = agg.func;
    macro_rules! ints {
        ($ty:ty) => {{
            let v = child.as_primitive_opt::<$ty>()?.values();
            let get = |j: usize| v.get(j).map(|&x| i64::from(x));
            match (func, agg.out) {
                (AggFunc::Sum, AggOut::I64) => {
                    let (x, ok) = per_row(rows, nwords, live, |b| a::sum_ints(b.filter_map(get)));
                    Computed::Values(x, ok)
                }
                (AggFunc::Avg, AggOut::F64) => {
                    let (x, ok) = per_row(rows, nwords, live, |b| a::avg_ints(b.filter_map(get)));
                    Computed::Floats(x, ok)
                }
                (AggFunc::Min | AggFunc::Max, AggOut::I64) => {
                    let (x, ok) = per_row(rows, nwords, live, |b| {
                        a::extreme(func, b.filter_map(get), Ord::cmp)
                    });
                    Computed::Values(x, ok)
                }
                _ => return None,
            }
        }};
    }
    macro_rules! floats {
        ($ty:ty) => {{
            let v = child.as_primitive_opt::<$ty>()?.values();
            // NaN is missing when read.
            let get = |j: usize| v.get(j).map(|&x| f64::from(x)).filter(|x| !x.is_nan());
            let (x, ok) = match (func, agg.out) {
                (AggFunc::Sum, AggOut::F64) => {
                    per_row(rows, nwords, live, |b| a::sum_floats(b.filter_map(get)))
                }
                (AggFunc::Avg, AggOut::F64) => {
                    per_row(rows, nwords, live, |b| a::avg_floats(b.filter_map(get)))
                }
                (AggFunc::Min | AggFunc::Max, AggOut::F64) => per_row(rows, nwords, live, |b| {
                    a::extreme(func, b.filter_map(get), |x, y| {
                        x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal)
                    })
                }),
                _ => return None,
            };
            Computed::Floats(x, ok)
        }};
    }
    // `count_distinct` of strings: each live record's string gets its id in
    // the batch ([`a::StringIds`]: equal ids exactly for equal strings), and
    // a row's distinct ids are bits of a word ([`a::distinct_ids`]), so a
    // record costs one tag scan over the batch's few distinct strings
    // instead of a comparison with each of the row's.
    macro_rules! distinct {
        ($strings:expr) => {{
            let s = $strings;
            let mut ids = a::StringIds::default();
            let (x, ok) = per_row(rows, nwords, live, |b| {
                i64::try_from(a::distinct_ids(
                    b.filter(|&j| j < n).map(|j| ids.id(s.value(j))),
                ))
                .ok()
            });
            Computed::Values(x, ok)
        }};
    }
    Some(match child.data_type() {
        DataType::Utf8 if func == AggFunc::CountDistinct => distinct!(child.as_string::<i32>()),
        DataType::LargeUtf8 if func == AggFunc::CountDistinct => {
            distinct!(child.as_string::<i64>())
        }
        DataType::Utf8View if func == AggFunc::CountDistinct => distinct!(child.as_string_view()),
        DataType::Dictionary(key, value)
            if func == AggFunc::CountDistinct
                && **key == DataType::Int32
                && **value == DataType::Utf8 =>
        {
            // The dictionary's strings get their ids once (a dictionary may
            // repeat a string: its keys then share the id); each record's
            // id is its key's.
            let dict = child.as_dictionary_opt::<t::Int32Type>()?;
            let strings = dict.values().as_string_opt::<i32>()?;
            let mut ids = a::StringIds::default();
            let of_key: Vec<u32> = (0..strings.len())
                .map(|k| ids.id(strings.value(k)))
                .collect();
            let keys = dict.keys().values();
            let id = |j: usize| {
                let k = usize::try_from(*keys.get(j)?).ok()?;
                of_key.get(k).copied()
            };
            let (x, ok) = per_row(rows, nwords, live, |b| {
                i64::try_from(a::distinct_ids(b.filter_map(id))).ok()
            });
            Computed::Values(x, ok)
        }
        _ if func == AggFunc::CountDistinct => return None,
        DataType::Int8 => ints!(t::Int8Type),
        DataType::Int16 => ints!(t::Int16Type),
        DataType::Int32 => ints!(t::Int32Type),
        DataType::Int64 => ints!(t::Int64Type),
        DataType::UInt8 => ints!(t::UInt8Type),
        DataType::UInt16 => ints!(t::UInt16Type),
        DataType::UInt32 => ints!(t::UInt32Type),
        DataType::Float32 => floats!(t::Float32Type),
        DataType::Float64 => floats!(t::Float64Type),
        DataType::Decimal128(_, scale) if *scale >= 0 => {
            let v = child.as_primitive_opt::<t::Decimal128Type>()?.values();
            let get = |j: usize| v.get(j).copied();
            let (x, ok) = match (func, agg.out) {
                (AggFunc::Sum, AggOut::Dec(_)) => {
                    per_row(rows, nwords, live, |b| a::sum_decimals(b.filter_map(get)))
                }
                (AggFunc::Min | AggFunc::Max, AggOut::Dec(_)) => per_row(rows, nwords, live, |b| {
                    a::extreme(func, b.filter_map(get), Ord::cmp)
                }),
                (AggFunc::Avg, AggOut::F64) => {
                    let scale = u32::from(scale.unsigned_abs());
                    let (x, ok) = per_row(rows, nwords, live, |b| {
                        a::avg_decimals(b.filter_map(get), scale)
                    });
                    return Some(Computed::Floats(x, ok));
                }
                _ => return None,
            };
            Computed::Decimals(x, ok)
        }
        DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, _) => {
            ints!(t::TimestampMicrosecondType)
        }
        DataType::Date32 => ints!(t::Date32Type),
        _ => return None,
    })
}

/// The filter's TRUE bits over the records, or over the records `only`
/// (in its order) when given.
fn run_filter(
    filter: &Filter,
    records: &StructArray,
    rows: &[std::ops::Range<usize>],
    batch: &RecordBatch,
    only: Option<&UInt32Array>,
) -> Result<BooleanArray, String> {
    let n = only.map_or(records.len(), Array::len);
    let gather = |array: &ArrayRef| -> Result<ArrayRef, String> {
        match only {
            Some(only) => arrow::compute::take(array, only, None)
                .map_err(|e| format!("gathering the kept records: {e}")),
            None => Ok(array.clone()),
        }
    };
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(filter.schema.fields().len());
    for name in &filter.children {
        columns.push(gather(records.column_by_name(name).ok_or_else(|| {
            format!("record field `{name}` is not in the data")
        })?)?);
    }
    if !filter.profile.is_empty() {
        // Each record's profile row, from the offsets.
        let mut parent = vec![0u32; records.len()];
        for (row, range) in rows.iter().enumerate() {
            let row = u32::try_from(row).map_err(|_| "too many rows".to_string())?;
            if let Some(slot) = parent.get_mut(range.clone()) {
                slot.fill(row);
            }
        }
        let parent = match only {
            Some(only) => only
                .values()
                .iter()
                .map(|&j| parent.get(j as usize).copied().unwrap_or(0))
                .collect(),
            None => parent,
        };
        let parent = UInt32Array::from(parent);
        for &col in &filter.profile {
            let array = batch
                .columns()
                .get(col)
                .ok_or("a profile column is not in the batch")?;
            columns.push(
                arrow::compute::take(array, &parent, None)
                    .map_err(|e| format!("gathering a field per record: {e}"))?,
            );
        }
    }
    let records_batch = RecordBatch::try_new_with_options(
        filter.schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(n)),
    )
    .map_err(|e| format!("the records' batch: {e}"))?;
    let membership = filter.jit.evaluate(&records_batch).map_err(|d| d.message)?;
    membership
        .segments
        .into_iter()
        .next()
        .ok_or_else(|| "a filter without its segment".to_string())
}
