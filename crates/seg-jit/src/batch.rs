//! Batch preparation: the slot table the kernel reads, filled from one record
//! batch. Everything here works on whole batches (never one call per row from
//! the kernel): validity bitmaps are re-based to 64-row words (Arrow's bit
//! offsets of sliced arrays are resolved here), dictionary predicates are
//! evaluated once over the dictionary values, and leaves the kernel does not
//! compute are turned into (true, false) bitmaps.
//!
//! The kernel trusts this module: every pointer it stores must be valid for
//! the reads the kernel makes for a batch of `rows` rows, namely values of
//! rows `0..rows`, words `0..nwords` of word buffers, and entries
//! `0..=len` of a dictionary table. The checks that make this so are
//! marked "bounds" below.

use crate::history::Computed;
use crate::plan::{Derive, Input, LeafEval, ListKey, Plan, Read, VECTOR_TABLE};
use crate::strings;
use arrow::array::{Array, ArrayRef, AsArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::util::bit_chunk_iterator::BitChunks;
use seg_eval::{Col, num};
use seg_ir::{Const, ListQuantifier, SegmentId, Type};

/// A plain-string leaf the kernel computes one word at a time through
/// [`lazy_word`].
pub(crate) struct Lazy<'a> {
    f: &'a crate::plan::StrFn,
    matcher: Option<(strings::Matcher, bool)>,
    array: &'a ArrayRef,
    rows: usize,
    /// Set when a word could not be computed (the kernel then reads that
    /// word as unknown and the batch's evaluation fails after it).
    pub failed: std::sync::atomic::AtomicBool,
}

impl Lazy<'_> {
    fn word(&self, w: usize) -> Result<(u64, u64), String> {
        let start = w * 64;
        let n = self.rows.saturating_sub(start).min(64);
        if n == 0 {
            return Ok((0, 0));
        }
        let rows = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
        let mut valid = rows;
        if let Some(nulls) = self.array.nulls() {
            valid = 0;
            for i in 0..n {
                valid |= u64::from(nulls.is_valid(start + i)) << i;
            }
        }
        if let crate::plan::StrFn::IsMissing(negated) = self.f {
            return Ok(strings::missing_word(valid, rows, *negated));
        }
        // The matcher built once for the batch reads the rows' bytes in
        // place; other predicates run the batch helper on a one-word slice.
        if let Some((matcher, negated)) = &self.matcher
            && let Some(hits) = matcher.hit_word(self.array.as_ref(), start, n)
        {
            let hits = if *negated { !hits } else { hits };
            return Ok((valid & hits, valid & !hits));
        }
        let slice = self.array.slice(start, n);
        let (t, f) = strings::str_words(self.f, &slice, n)?;
        Ok((
            t.first().copied().unwrap_or(0),
            f.first().copied().unwrap_or(0),
        ))
    }
}

/// The kernel's call for word `w` of a lazy leaf: writes its (true, false)
/// words to `out[0]` and `out[1]`. Never unwinds into the kernel: an error
/// or a panic marks the leaf failed and yields an unknown word.
#[allow(unsafe_code)]
pub(crate) extern "C" fn lazy_word(leaf: *const Lazy<'_>, w: u64, out: *mut u64) {
    // SAFETY: the kernel passes the `Lazy` pointer `prepare` stored in this
    // input's slot, which lives in the `Prepared` of the running call, and
    // `out` points at the kernel's 16-byte stack slot for this leaf.
    let (leaf, out) = unsafe { (&*leaf, std::slice::from_raw_parts_mut(out, 2)) };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        leaf.word(usize::try_from(w).unwrap_or(usize::MAX))
    }));
    let (t, f) = match result {
        Ok(Ok(words)) => words,
        _ => {
            leaf.failed
                .store(true, std::sync::atomic::Ordering::Relaxed);
            (0, 0)
        }
    };
    out[0] = t;
    out[1] = f;
}

/// Buffers the slot table points into; they live as long as the call.
#[derive(Default)]
pub(crate) struct Prepared<'a> {
    pub slots: Vec<u64>,
    /// Leaves computed on demand; boxed because their slots hold their
    /// addresses, which must not move when the vector grows.
    #[allow(clippy::vec_box)]
    pub lazy: Vec<Box<Lazy<'a>>>,
    words: Vec<Vec<u64>>,
    ints: Vec<Vec<i64>>,
    floats: Vec<Vec<f64>>,
    decimals: Vec<Vec<i128>>,
    /// The shared all-valid words, once a column without nulls needed them.
    all_valid: Option<u64>,
    /// Bitmaps made for this call that slots point into.
    keep: Vec<NullBuffer>,
    /// Dictionary tables the slots point into.
    tables: Vec<std::sync::Arc<DictTables>>,
}

/// A dictionary leaf's truth per key, for one dictionary.
#[derive(Debug)]
pub(crate) struct DictTables {
    /// One byte per key (bit 0 true, bit 1 false), then the entry of a
    /// missing string.
    table: Vec<u8>,
    /// For dictionaries of at most [`VECTOR_TABLE`] values: one byte per
    /// key, bit 7 true and bit 6 false (what a byte mask's sign bits can
    /// gather), keys past the dictionary's end reading the missing entry as
    /// the scalar gather's clamp does.
    vector: Option<Vec<u8>>,
}

impl DictTables {
    fn missing(&self) -> u8 {
        self.table.last().copied().unwrap_or(0)
    }

    fn build(
        ctx: &Context<'_>,
        batch: &RecordBatch,
        col: usize,
        values: &ArrayRef,
        leaf: &LeafEval,
    ) -> Result<DictTables, String> {
        let mut table: Vec<u8> = Vec::with_capacity(values.len() + 1);
        match leaf {
            LeafEval::Str(f) => {
                strings::each_str(values, |s| table.push(truth_byte(f.apply(s))))?;
                table.push(truth_byte(f.apply(None)));
            }
            LeafEval::Reference(seg) => {
                let name = batch.schema().field(col).name().clone();
                let null = arrow::array::new_null_array(values.data_type(), 1);
                let with_null = arrow::compute::concat(&[values.as_ref(), null.as_ref()])
                    .map_err(|e| e.to_string())?;
                let mini = RecordBatch::try_new(
                    std::sync::Arc::new(arrow::datatypes::Schema::new(vec![
                        arrow::datatypes::Field::new(name, with_null.data_type().clone(), true),
                    ])),
                    vec![with_null],
                )
                .map_err(|e| e.to_string())?;
                table.extend(reference(ctx, *seg, &mini)?.into_iter().map(truth_byte));
            }
            LeafEval::List(..) => return Err(internal("a list leaf over a dictionary")),
        }
        // bounds: the table holds `len + 1` entries, the last for missing
        // strings; the kernel clamps keys to `len`.
        if table.len() != values.len() + 1 {
            return Err(internal("a dictionary table of the wrong length"));
        }
        let missing = table.last().copied().unwrap_or(0);
        let vector = (values.len() <= VECTOR_TABLE).then(|| {
            let mut vector = vec![vector_byte(missing); VECTOR_TABLE];
            for (slot, &byte) in vector.iter_mut().zip(&table) {
                *slot = vector_byte(byte);
            }
            vector
        });
        Ok(DictTables { table, vector })
    }
}

/// The tables of one dictionary input for the last dictionary seen: batches
/// of one Parquet column chunk share their dictionary, so its tables are
/// built once. The cached values array is held, so its address cannot be
/// reused by another dictionary while the entry lives.
#[derive(Debug, Default)]
pub(crate) struct DictCache(std::sync::Mutex<Option<(ArrayRef, std::sync::Arc<DictTables>)>>);

impl DictCache {
    fn get_or_build(
        &self,
        values: &ArrayRef,
        build: impl FnOnce() -> Result<DictTables, String>,
    ) -> Result<std::sync::Arc<DictTables>, String> {
        let same = |cached: &ArrayRef| {
            std::sync::Arc::ptr_eq(cached, values)
                || (cached.len() == values.len() && cached.to_data().ptr_eq(&values.to_data()))
        };
        if let Ok(guard) = self.0.lock()
            && let Some((cached, tables)) = guard.as_ref()
            && same(cached)
        {
            return Ok(tables.clone());
        }
        let tables = std::sync::Arc::new(build()?);
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some((values.clone(), tables.clone()));
        }
        Ok(tables)
    }
}

/// What a batch preparation needs from the compiled program.
pub(crate) struct Context<'a> {
    pub plan: &'a Plan,
    /// One cache per input (only dictionary inputs use theirs).
    pub dictionaries: &'a [DictCache],
    pub params: &'a [Const],
    pub as_of: i64,
}

impl Prepared<'_> {
    fn push_words(&mut self, words: Vec<u64>) -> u64 {
        let ptr = words.as_ptr() as u64;
        self.words.push(words);
        ptr
    }
}

/// Rows packed 64 to a word, zero-padded to `nwords` words.
fn pack_bits(bits: &[u8], offset: usize, len: usize, nwords: usize) -> Vec<u64> {
    let mut words: Vec<u64> = BitChunks::new(bits, offset, len).iter_padded().collect();
    // bounds: exactly `nwords` words.
    words.resize(nwords, 0);
    words
}

fn all_valid(len: usize, nwords: usize) -> Vec<u64> {
    let mut words = vec![u64::MAX; nwords];
    if let Some(last) = words.last_mut()
        && !len.is_multiple_of(64)
    {
        *last = (1u64 << (len % 64)) - 1;
    }
    words
}

impl Prepared<'_> {
    /// The address of a column's validity as 64-row words: Arrow's own
    /// bitmap when it starts on a word boundary and holds every word the
    /// kernel reads (bits past the last row are cleared by the kernel's
    /// tail mask), one shared all-valid buffer when the column has no nulls,
    /// and a re-based copy otherwise (a slice that starts mid-word).
    fn validity_words(&mut self, nulls: Option<&NullBuffer>, len: usize, nwords: usize) -> u64 {
        let Some(n) = nulls else {
            if let Some(ptr) = self.all_valid {
                return ptr;
            }
            let ptr = self.push_words(all_valid(len, nwords));
            self.all_valid = Some(ptr);
            return ptr;
        };
        self.bit_words(n.inner(), len, nwords)
    }

    /// The address of a bitmap as 64-row words: the bitmap itself when it
    /// starts on a word boundary and holds every word the kernel reads, a
    /// re-based copy otherwise.
    fn bit_words(&mut self, b: &arrow::buffer::BooleanBuffer, len: usize, nwords: usize) -> u64 {
        let bytes = b.values();
        let start = b.offset() / 8;
        // bounds: `nwords` whole words from `start` lie inside the buffer.
        if b.offset().is_multiple_of(64) && b.len() >= len && bytes.len() >= start + nwords * 8 {
            return bytes.as_ptr() as u64 + start as u64;
        }
        self.push_words(pack_bits(bytes, b.offset(), len.min(b.len()), nwords))
    }
}

/// Three-valued results packed into (true, false) words.
fn pack_truth(values: impl Iterator<Item = Option<bool>>, nwords: usize) -> (Vec<u64>, Vec<u64>) {
    let mut t = vec![0u64; nwords];
    let mut f = vec![0u64; nwords];
    for (i, v) in values.enumerate() {
        let (w, bit) = (i / 64, 1u64 << (i % 64));
        match (v, t.get_mut(w), f.get_mut(w)) {
            (Some(true), Some(tw), _) => *tw |= bit,
            (Some(false), _, Some(fw)) => *fw |= bit,
            _ => {}
        }
    }
    (t, f)
}

fn internal(what: impl Into<String>) -> String {
    what.into()
}

/// The address of row 0 of a primitive array's values, checked to cover
/// `len` values of `width` bytes.
fn values_ptr(array: &dyn Array, width: usize) -> Result<u64, String> {
    let data = array.to_data();
    let buffer = data
        .buffers()
        .first()
        .ok_or_else(|| internal("a primitive array without a values buffer"))?;
    let start = data.offset().checked_mul(width).ok_or("offset overflow")?;
    let end = (data.offset() + data.len())
        .checked_mul(width)
        .ok_or("length overflow")?;
    // bounds: the buffer holds every value the kernel reads.
    if buffer.len() < end || data.len() < array.len() {
        return Err(internal("a values buffer shorter than its array"));
    }
    Ok(buffer.as_ptr() as u64 + start as u64)
}

/// Runs a reference leaf (a segment of the synthetic program) over a batch.
fn reference(
    ctx: &Context<'_>,
    seg: SegmentId,
    batch: &RecordBatch,
) -> Result<Vec<Option<bool>>, String> {
    let selection = seg_ir::Selection::new(&ctx.plan.synthetic, vec![seg], vec![]);
    let evaluator = seg_eval::Evaluator::with_params(
        &ctx.plan.synthetic,
        ctx.params.to_vec(),
        ctx.as_of,
        selection,
    )
    .with_patterns(ctx.plan.patterns.clone());
    let binding = evaluator
        .bind(batch.schema().as_ref())
        .map_err(|e| e.first().map(|d| d.message.clone()).unwrap_or_default())?;
    let (where_, _) = evaluator
        .conditions(&binding, batch, seg)
        .map_err(|d| d.message)?;
    Ok(where_)
}

/// A list leaf the dedicated pass does not serve (more than 64 wanted values,
/// another element layout), one value per row: the evaluator's own
/// [`seg_eval::rules::list_column`].
fn list_truth(
    col: Col<'_>,
    quantifier: ListQuantifier,
    keys: &[ListKey],
) -> Result<Vec<Option<bool>>, String> {
    seg_eval::rules::list_column(col, quantifier, keys)
        .ok_or_else(|| internal("`contains` on a column that is not a list"))
}

fn list_col(array: &ArrayRef) -> Option<Col<'_>> {
    seg_eval::read_column(&Type::list(Type::String), array)
        .or_else(|| seg_eval::read_column(&Type::list(Type::Int), array))
}

/// A table byte (bit 0 true, bit 1 false) in the vector table's encoding.
fn vector_byte(byte: u8) -> u8 {
    (byte & 1) << 7 | (byte & 2) << 5
}

fn truth_byte(v: Option<bool>) -> u8 {
    match v {
        Some(true) => 1,
        Some(false) => 2,
        None => 0,
    }
}

/// Packs one three-valued result per row, checking there is one per row.
fn per_row(
    truth: Vec<Option<bool>>,
    rows: usize,
    nwords: usize,
) -> Result<(Vec<u64>, Vec<u64>), String> {
    if truth.len() != rows {
        return Err(internal("a batch-level leaf of the wrong length"));
    }
    Ok(pack_truth(truth.into_iter(), nwords))
}

/// Fills the slot table for `batch`.
pub(crate) fn prepare<'a>(
    ctx: &Context<'a>,
    batch: &'a RecordBatch,
) -> Result<Prepared<'a>, String> {
    let rows = batch.num_rows();
    let nwords = rows.div_ceil(64);
    let mut p = Prepared::default();
    // The "seen" masks of list columns, shared by their list leaves.
    let mut lists = strings::ListCache::default();
    let column = |col: usize| -> Result<&ArrayRef, String> {
        let array = batch
            .columns()
            .get(col)
            .ok_or_else(|| internal("a bound column is not in the batch"))?;
        // bounds: every column has the batch's row count.
        if array.len() != rows {
            return Err(internal("a column's length differs from the batch's"));
        }
        Ok(array)
    };
    for (input_index, input) in ctx.plan.inputs.iter().enumerate() {
        match input {
            Input::Prim { col, read } => {
                let array = column(*col)?;
                let ptr = values_ptr(array.as_ref(), usize::from(read.width()))?;
                if *read == Read::Dec && !matches!(array.data_type(), DataType::Decimal128(..)) {
                    return Err(internal("a decimal column of another type"));
                }
                let valid = p.validity_words(array.nulls(), rows, nwords);
                p.slots.extend([ptr, valid]);
            }
            Input::Bool { col } => {
                let array = column(*col)?;
                let bools = array
                    .as_boolean_opt()
                    .ok_or_else(|| internal("a bool column of another type"))?;
                let values = p.bit_words(bools.values(), rows, nwords);
                let valid = p.validity_words(bools.nulls(), rows, nwords);
                p.slots.extend([values, valid]);
            }
            Input::Dict {
                col,
                key_bytes,
                leaf,
                ..
            } => {
                let array = column(*col)?;
                let dictionary = array
                    .as_any_dictionary_opt()
                    .ok_or_else(|| internal("a dictionary column of another type"))?;
                let keys = dictionary.keys();
                let ptr = values_ptr(keys, usize::from(*key_bytes))?;
                let valid = p.validity_words(keys.nulls(), rows, nwords);
                let values = dictionary.values();
                let tables = match ctx.dictionaries.get(input_index) {
                    Some(cache) => cache.get_or_build(values, || {
                        DictTables::build(ctx, batch, *col, values, leaf)
                    })?,
                    None => std::sync::Arc::new(DictTables::build(ctx, batch, *col, values, leaf)?),
                };
                let mask = |on: bool| if on { u64::MAX } else { 0 };
                p.slots.extend([
                    ptr,
                    valid,
                    tables.table.as_ptr() as u64,
                    values.len() as u64,
                    tables.vector.as_ref().map_or(0, |v| v.as_ptr() as u64),
                    mask(tables.missing() & 1 != 0),
                    mask(tables.missing() & 2 != 0),
                ]);
                p.tables.push(tables);
            }
            Input::Words {
                col: Some(col),
                leaf: LeafEval::Str(f),
            } if ctx.plan.lazy.get(input_index).copied().unwrap_or(false) => {
                let leaf = Box::new(Lazy {
                    f,
                    matcher: strings::Matcher::new(f),
                    array: column(*col)?,
                    rows,
                    failed: std::sync::atomic::AtomicBool::new(false),
                });
                let call: extern "C" fn(*const Lazy<'_>, u64, *mut u64) = lazy_word;
                p.slots
                    .extend([call as usize as u64, &*leaf as *const Lazy<'_> as u64]);
                p.lazy.push(leaf);
            }
            Input::Words { col, leaf } => {
                // Dedicated helpers write words directly; the general list
                // helper (more than 64 wanted values) and the reference
                // evaluator give one value per row, packed here.
                let (t, f) = match (leaf, col) {
                    (LeafEval::Str(f), Some(col)) => strings::str_words(f, column(*col)?, rows)?,
                    (LeafEval::List(q, keys), Some(col)) => {
                        let array = column(*col)?;
                        match strings::list_words(
                            ctx.plan, *col, array, *q, keys, &mut lists, rows,
                        )? {
                            Some(words) => words,
                            None => {
                                let col = list_col(array)
                                    .ok_or_else(|| internal("a list column of another type"))?;
                                per_row(list_truth(col, *q, keys)?, rows, nwords)?
                            }
                        }
                    }
                    (LeafEval::Reference(seg), _) => {
                        per_row(reference(ctx, *seg, batch)?, rows, nwords)?
                    }
                    _ => return Err(internal("a batch-level leaf without its column")),
                };
                // bounds: exactly `nwords` words each.
                if t.len() != nwords || f.len() != nwords {
                    return Err(internal("a batch-level leaf of the wrong length"));
                }
                let t = p.push_words(t);
                let f = p.push_words(f);
                p.slots.extend([t, f]);
            }
            Input::Nulls { col } => {
                let array = column(*col)?;
                // A dictionary's logical nulls are a new bitmap: it is kept
                // alive with the other buffers of the call.
                let nulls = array.logical_nulls();
                let valid = p.validity_words(nulls.as_ref(), rows, nwords);
                p.keep.extend(nulls);
                p.slots.extend([valid, valid]);
            }
            Input::Agg { col, agg } => {
                let array = column(*col)?;
                let agg = ctx
                    .plan
                    .aggs
                    .get(*agg)
                    .ok_or_else(|| internal("an aggregate without its plan"))?;
                // bounds: every computed column has one value per row and
                // `nwords` words of validity (checked below).
                let (ptr, valid) = match crate::history::compute(agg, array, batch)? {
                    Computed::Words(t, f) => {
                        if t.len() != nwords || f.len() != nwords {
                            return Err(internal("an aggregate of the wrong length"));
                        }
                        (p.push_words(t), p.push_words(f))
                    }
                    Computed::Values(values, valid) => {
                        if values.len() != rows || valid.len() != nwords {
                            return Err(internal("an aggregate of the wrong length"));
                        }
                        let ptr = values.as_ptr() as u64;
                        p.ints.push(values);
                        (ptr, p.push_words(valid))
                    }
                    Computed::Floats(values, valid) => {
                        if values.len() != rows || valid.len() != nwords {
                            return Err(internal("an aggregate of the wrong length"));
                        }
                        let ptr = values.as_ptr() as u64;
                        p.floats.push(values);
                        (ptr, p.push_words(valid))
                    }
                    Computed::Decimals(values, valid) => {
                        if values.len() != rows || valid.len() != nwords {
                            return Err(internal("an aggregate of the wrong length"));
                        }
                        let ptr = values.as_ptr() as u64;
                        p.decimals.push(values);
                        (ptr, p.push_words(valid))
                    }
                };
                p.slots.extend([ptr, valid]);
            }
            Input::Derived { col, derive } => {
                let array = column(*col)?;
                let (ptr, present) = derived(array, derive, &mut p)?;
                let (valid, _) = pack_truth(present.into_iter().map(Some), nwords);
                let valid = p.push_words(valid);
                p.slots.extend([ptr, valid]);
            }
        }
    }
    Ok(p)
}

/// Computes a derived column; returns its values pointer and presence.
fn derived(
    array: &ArrayRef,
    derive: &Derive,
    p: &mut Prepared,
) -> Result<(u64, Vec<bool>), String> {
    let rows = array.len();
    let bad = || internal("a derived column of an unexpected type");
    let ints: Vec<Option<i64>> = match derive {
        Derive::DecimalToFloat => {
            let Some(Col::Decimal(values, scale)) = seg_eval::read_column(&Type::Decimal, array)
            else {
                return Err(bad());
            };
            let present: Vec<bool> = values.iter().map(Option::is_some).collect();
            let floats: Vec<f64> = values
                .iter()
                .map(|v| v.map_or(0.0, |v| num::decimal_to_f64(v, scale)))
                .collect();
            // bounds: one value per row.
            if floats.len() != rows {
                return Err(bad());
            }
            let ptr = floats.as_ptr() as u64;
            p.floats.push(floats);
            return Ok((ptr, present));
        }
        Derive::Length => match seg_eval::read_column(&Type::String, array) {
            Some(Col::Str(v)) => v
                .iter()
                .map(|s| {
                    s.as_ref()
                        .and_then(|s| i64::try_from(s.chars().count()).ok())
                })
                .collect(),
            _ => return Err(bad()),
        },
        Derive::Size => match list_col(array) {
            Some(Col::ListStr(v)) => v
                .iter()
                .map(|l| l.as_ref().and_then(|l| i64::try_from(l.len()).ok()))
                .collect(),
            Some(Col::ListInt(v)) => v
                .iter()
                .map(|l| l.as_ref().and_then(|l| i64::try_from(l.len()).ok()))
                .collect(),
            _ => return Err(bad()),
        },
        Derive::Bucket(salt) => {
            // The key is an int or a string column (the checker admits no
            // other key for `bucket`); the rule is the evaluator's own.
            let keys = seg_eval::read_column(&Type::Int, array)
                .or_else(|| seg_eval::read_column(&Type::String, array))
                .ok_or_else(bad)?;
            seg_eval::bucket::bucket_column(salt, &keys).ok_or_else(bad)?
        }
        Derive::Year(zone) | Derive::Month(zone) | Derive::Day(zone) => {
            let days: Vec<Option<i32>> = match array.data_type() {
                DataType::Date32 | DataType::Date64 => {
                    match seg_eval::read_column(&Type::Date, array) {
                        Some(Col::Date(v)) => v,
                        _ => return Err(bad()),
                    }
                }
                _ => match seg_eval::read_column(&Type::Timestamp, array) {
                    Some(Col::Timestamp(v)) => v
                        .into_iter()
                        .map(|t| t.map(|t| num::local_date_of(*zone, t)))
                        .collect(),
                    _ => return Err(bad()),
                },
            };
            days.into_iter()
                .map(|d| {
                    let (y, m, day) = num::ymd(d?)?;
                    Some(match derive {
                        Derive::Year(_) => i64::from(y),
                        Derive::Month(_) => i64::from(m),
                        _ => i64::from(day),
                    })
                })
                .collect()
        }
    };
    if ints.len() != rows {
        return Err(bad());
    }
    let present = ints.iter().map(Option::is_some).collect();
    let values: Vec<i64> = ints.into_iter().map(|v| v.unwrap_or(0)).collect();
    let ptr = values.as_ptr() as u64;
    p.ints.push(values);
    Ok((ptr, present))
}
