//! Batch-level string and list leaves written straight into (true, false)
//! words: 64 rows a word, bit `i` of word `w` is row `64 * w + i`.
//!
//! Plain string columns (Utf8, LargeUtf8, Utf8View) are read through their
//! offsets and value bytes, never as `String`s: equality, `in`, `starts
//! with`, `ends with`, `contains` and ordering compare bytes, which is exact
//! because both sides are valid UTF-8 and Rust orders `str` by its bytes. A
//! predicate is first computed for every row as a word of hits, then the
//! null bitmap turns hits into the three-valued pair (a missing string is
//! neither true nor false). What has no byte-level form here (`matches`,
//! `lower`/`upper`/`coalesce` chains, a column of another layout) runs
//! [`StrFn::apply`], which calls the oracle's own rules
//! ([`seg_eval::rules`]) per row, still into words.
//!
//! Each byte-level matcher is a fast path of one rule of
//! [`seg_eval::rules`], named at the matcher, and the tests at the end of
//! this file check it against that rule over random strings (non-ASCII,
//! empty, needles at the edges): equality and order are
//! [`seg_eval::rules::compare`], `in` is [`seg_eval::rules::KeySet`],
//! `starts with`, `ends with` and `contains` are their functions, and the
//! list pass is [`seg_eval::rules::list_contains`].
//!
//! List leaves over one column share one pass: the wanted values of every
//! list leaf of the plan that reads the column (at most 64 distinct ones)
//! each get a bit, every element of the child array is mapped once to the
//! bit of the value it equals (or, for at most [`FEW`] non-empty values over
//! Utf8 and LargeUtf8 elements, each value is searched for in the elements'
//! bytes with memchr and an occurrence counts when it is a whole element),
//! each wanted element finds its row by walking the list offsets, and each
//! row's "seen" mask is the OR of its wanted elements' bits. Each leaf then
//! only tests its own bits in that mask.

use crate::plan::{Input, LeafEval, ListKey, Plan, StrFn};
use arrow::array::{Array, ArrayRef, AsArray, GenericListArray, OffsetSizeTrait};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{
    DataType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
};
use memchr::memmem::Finder;
use seg_eval::Col;
use seg_ir::{CmpOp, ListQuantifier, StrOp, Type};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// A set of byte strings hashed with a fast, fixed-seed hasher (the keys are
/// constants of the program, not input, so flooding is not a concern).
type ByteSet = HashSet<Box<[u8]>, foldhash::fast::FixedState>;

/// (true words, false words) of a leaf.
pub(crate) type Truth = (Vec<u64>, Vec<u64>);

/// Validity of `rows` rows as words; rows past the end are 0.
fn valid_words(nulls: Option<&NullBuffer>, rows: usize, nwords: usize) -> Vec<u64> {
    let mut words: Vec<u64> = match nulls {
        Some(n) => n.inner().bit_chunks().iter_padded().collect(),
        None => {
            let mut words = vec![u64::MAX; nwords];
            if let Some(last) = words.last_mut()
                && !rows.is_multiple_of(64)
            {
                *last = (1u64 << (rows % 64)) - 1;
            }
            words
        }
    };
    words.resize(nwords, 0);
    words
}

/// The rows of the batch as bits: all ones but past the last row.
fn row_mask(w: usize, rows: usize) -> u64 {
    let left = rows.saturating_sub(w * 64);
    if left >= 64 {
        u64::MAX
    } else {
        (1u64 << left) - 1
    }
}

/// Turns hit words into the three-valued pair: present rows are true when
/// they hit (or when they miss, `negated`), false otherwise.
fn truth_of_hits(hits: &[u64], valid: &[u64], negated: bool) -> Truth {
    let flip = if negated { u64::MAX } else { 0 };
    let t = hits
        .iter()
        .zip(valid)
        .map(|(h, v)| (h ^ flip) & v)
        .collect();
    let f = hits
        .iter()
        .zip(valid)
        .map(|(h, v)| !(h ^ flip) & v)
        .collect();
    (t, f)
}

/// The (true, false) word of `is missing` (`is present` when `negated`)
/// for 64 rows: `present` holds the rows with a value, `rows` the rows of
/// the batch. Never unknown: presence is known for every row.
#[inline]
pub(crate) fn missing_word(present: u64, rows: u64, negated: bool) -> (u64, u64) {
    let absent = !present & rows;
    if negated {
        (present, absent)
    } else {
        (absent, present)
    }
}

/// Eight bytes as one integer (the caller passes at least eight).
#[inline(always)]
fn load8(s: &[u8]) -> u64 {
    s.first_chunk::<8>().map_or(0, |b| u64::from_le_bytes(*b))
}

/// Up to eight bytes packed into an integer, first byte lowest. Only
/// strings of the same length are ever compared packed, so the zero padding
/// cannot make two different strings equal.
#[inline(always)]
fn pack(s: &[u8]) -> u64 {
    s.iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Byte equality without a call to `memcmp` (a call per row cost more than
/// the comparison of short strings). The last eight bytes go first: keys
/// and suffixes such as domains mostly differ there.
#[inline(always)]
fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let (Some(ta), Some(tb)) = (a.get(n - 8..), b.get(n - 8..)) else {
        return false;
    };
    if load8(ta) != load8(tb) {
        return false;
    }
    // The remainder after whole chunks lies inside the last eight bytes,
    // which were compared above.
    a.chunks_exact(8)
        .zip(b.chunks_exact(8))
        .all(|(x, y)| load8(x) == load8(y))
}

/// A constant string compared without branches on its bytes: a candidate
/// of the same length is equal when its first and last 4 or 8 bytes (which
/// overlap for short keys) are, plus the middle for keys over 16 bytes.
/// Unpredictable branches (hit or miss per row) cost more than the compare.
struct Key {
    bytes: Vec<u8>,
    head: u64,
    tail: u64,
}

impl Key {
    fn new(bytes: &[u8]) -> Key {
        let n = bytes.len();
        let (head, tail) = match n {
            0..=3 => (pack(bytes), 0),
            4..=7 => (load4(bytes), bytes.get(n - 4..).map_or(0, load4)),
            _ => (load8(bytes), bytes.get(n - 8..).map_or(0, load8)),
        };
        Key {
            bytes: bytes.to_vec(),
            head,
            tail,
        }
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether `w`, of the key's length, equals the key.
    #[inline(always)]
    fn eq(&self, w: &[u8]) -> bool {
        let n = self.bytes.len();
        match n {
            0..=3 => pack(w) == self.head,
            4..=7 => (load4(w) == self.head) & (w.get(n - 4..).map_or(0, load4) == self.tail),
            8..=16 => (load8(w) == self.head) & (w.get(n - 8..).map_or(0, load8) == self.tail),
            _ => {
                (load8(w) == self.head) & (w.get(n - 8..).map_or(0, load8) == self.tail)
                    && eq_bytes(w, &self.bytes)
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Whether `values[at..at + len]` equals the key (false past the end).
    #[inline(always)]
    fn eq_at(&self, values: &[u8], at: usize) -> bool {
        values
            .get(at..at.wrapping_add(self.len()))
            .is_some_and(|w| self.eq(w))
    }
}

/// Four bytes as one integer (the caller passes at least four).
#[inline(always)]
fn load4(s: &[u8]) -> u64 {
    s.first_chunk::<4>()
        .map_or(0, |b| u64::from(u32::from_le_bytes(*b)))
}

/// A byte-level string predicate: whether one present string hits.
trait Hit {
    fn hit(&self, s: &[u8]) -> bool;

    /// Whether the string `values[a..b]` hits; matchers of a fixed length
    /// override it to compare without branching on the row's length.
    #[inline(always)]
    fn hit_at(&self, values: &[u8], a: usize, b: usize) -> bool {
        self.hit(values.get(a..b).unwrap_or_default())
    }
}

/// `s == x` (and `!=`, negated): [`seg_eval::rules::compare`] is `Equal`
/// exactly when the bytes are equal.
pub(crate) struct Equal(Key);
impl Hit for Equal {
    #[inline(always)]
    fn hit(&self, s: &[u8]) -> bool {
        s.len() == self.0.len() && self.0.eq(s)
    }
    #[inline(always)]
    fn hit_at(&self, values: &[u8], a: usize, b: usize) -> bool {
        (b.wrapping_sub(a) == self.0.len()) & self.0.eq_at(values, a)
    }
}

/// `s < x` and the other orderings: [`seg_eval::rules::compare`], which
/// orders strings by their bytes.
pub(crate) struct Order(CmpOp, Vec<u8>);
impl Hit for Order {
    #[inline(always)]
    fn hit(&self, s: &[u8]) -> bool {
        self.0.holds(s.cmp(self.1.as_slice()))
    }
}

/// `s starts with x`: [`seg_eval::rules::starts_with`], a byte prefix.
pub(crate) struct Starts(Key);
impl Hit for Starts {
    #[inline(always)]
    fn hit(&self, s: &[u8]) -> bool {
        s.get(..self.0.len()).is_some_and(|h| self.0.eq(h))
    }
    #[inline(always)]
    fn hit_at(&self, values: &[u8], a: usize, b: usize) -> bool {
        (b.wrapping_sub(a) >= self.0.len()) & self.0.eq_at(values, a)
    }
}

/// `s ends with x`: [`seg_eval::rules::ends_with`], a byte suffix.
pub(crate) struct Ends(Key);
impl Hit for Ends {
    #[inline(always)]
    fn hit(&self, s: &[u8]) -> bool {
        s.len()
            .checked_sub(self.0.len())
            .and_then(|start| s.get(start..))
            .is_some_and(|t| self.0.eq(t))
    }
    #[inline(always)]
    fn hit_at(&self, values: &[u8], a: usize, b: usize) -> bool {
        // A row shorter than the key compares bytes before it (or none at
        // the start of the buffer); the length test discards the result.
        (b.wrapping_sub(a) >= self.0.len()) & self.0.eq_at(values, b.wrapping_sub(self.0.len()))
    }
}

/// `s contains x`: [`seg_eval::rules::contains`], a byte substring found
/// with memchr.
pub(crate) struct Contains(Finder<'static>);
impl Hit for Contains {
    #[inline(always)]
    fn hit(&self, s: &[u8]) -> bool {
        s.len() >= self.0.needle().len() && self.0.find(s).is_some()
    }
}

/// `s in [..]` over a handful of strings ([`seg_eval::rules::KeySet`]'s
/// membership: byte equality with a listed string): the row's length picks
/// the candidates; strings of at most eight bytes compare as one integer.
pub(crate) struct SmallSet {
    /// Packed candidates of each length 0..=8.
    short: [Vec<u64>; 9],
    /// Longer candidates.
    long: Vec<Vec<u8>>,
}
impl SmallSet {
    fn new<'a>(items: impl Iterator<Item = &'a [u8]>) -> SmallSet {
        let mut set = SmallSet {
            short: Default::default(),
            long: Vec::new(),
        };
        for s in items {
            match set.short.get_mut(s.len()) {
                Some(bucket) => bucket.push(pack(s)),
                None => set.long.push(s.to_vec()),
            }
        }
        set
    }
}
impl Hit for SmallSet {
    #[inline(always)]
    fn hit(&self, s: &[u8]) -> bool {
        match self.short.get(s.len()) {
            Some(bucket) => {
                if bucket.is_empty() {
                    return false;
                }
                // Every candidate is compared: stopping at the first equal
                // one is a branch on the row's value, which mispredicts.
                let v = pack(s);
                bucket.iter().fold(false, |acc, c| acc | (*c == v))
            }
            None => self.long.iter().any(|c| eq_bytes(c, s)),
        }
    }
}

/// `s in [..]` over many strings ([`seg_eval::rules::KeySet`]'s
/// membership), hashed by bytes.
pub(crate) struct LargeSet(ByteSet);
impl Hit for LargeSet {
    #[inline(always)]
    fn hit(&self, s: &[u8]) -> bool {
        self.0.contains(s)
    }
}

/// Hit words of every row of a plain string array (hits of missing rows are
/// meaningless; the caller masks them). `None` for another layout.
fn hit_words<H: Hit>(array: &dyn Array, h: &H, nwords: usize) -> Option<Vec<u64>> {
    fn collect<T>(
        rows: impl Iterator<Item = T>,
        nwords: usize,
        mut hit: impl FnMut(T) -> bool,
    ) -> Vec<u64> {
        let mut words = Vec::with_capacity(nwords);
        let (mut word, mut bit) = (0u64, 0u32);
        for s in rows {
            word |= u64::from(hit(s)) << bit;
            bit += 1;
            if bit == 64 {
                words.push(word);
                (word, bit) = (0, 0);
            }
        }
        if bit > 0 {
            words.push(word);
        }
        words.resize(nwords, 0);
        words
    }
    fn offsets<O: OffsetSizeTrait, H: Hit>(
        a: &arrow::array::GenericStringArray<O>,
        h: &H,
        nwords: usize,
    ) -> Vec<u64> {
        // The offsets are those of the (possibly sliced) array; they index
        // the whole values buffer.
        let values: &[u8] = a.values();
        let rows = a.value_offsets().windows(2).map(|w| match w {
            [s, e] => (s.as_usize(), e.as_usize()),
            _ => (0, 0),
        });
        collect(rows, nwords, |(s, e)| h.hit_at(values, s, e))
    }
    Some(match array.data_type() {
        DataType::Utf8 => offsets(array.as_string::<i32>(), h, nwords),
        DataType::LargeUtf8 => offsets(array.as_string::<i64>(), h, nwords),
        DataType::Utf8View => collect(array.as_string_view().bytes_iter(), nwords, |s| h.hit(s)),
        _ => return None,
    })
}

/// A byte-level string predicate, built once from a [`StrFn`].
pub(crate) enum Matcher {
    Equal(Equal),
    Order(Order),
    Small(SmallSet),
    Large(LargeSet),
    Starts(Starts),
    Ends(Ends),
    Contains(Contains),
}

impl Matcher {
    /// The matcher of a predicate and whether its result is negated;
    /// `None` when the predicate has no byte-level form.
    pub(crate) fn new(f: &StrFn) -> Option<(Matcher, bool)> {
        Some(match f {
            StrFn::Cmp(CmpOp::Eq, x) => (Matcher::Equal(Equal(Key::new(x.as_bytes()))), false),
            StrFn::Cmp(CmpOp::Ne, x) => (Matcher::Equal(Equal(Key::new(x.as_bytes()))), true),
            StrFn::Cmp(op, x) => (Matcher::Order(Order(*op, x.clone().into())), false),
            StrFn::In(set, negated) => {
                let m = if set.len() <= 16 {
                    Matcher::Small(SmallSet::new(set.strings().map(|s| s.as_bytes())))
                } else {
                    let mut hashed =
                        ByteSet::with_capacity_and_hasher(set.len(), Default::default());
                    hashed.extend(set.strings().map(|s| Box::from(s.as_bytes())));
                    Matcher::Large(LargeSet(hashed))
                };
                (m, *negated)
            }
            StrFn::Pred(op, x, negated) => {
                let x = x.as_bytes();
                let m = match op {
                    StrOp::StartsWith => Matcher::Starts(Starts(Key::new(x))),
                    StrOp::EndsWith => Matcher::Ends(Ends(Key::new(x))),
                    StrOp::Contains => Matcher::Contains(Contains(Finder::new(x).into_owned())),
                    // Plans build `matches` as `StrFn::Regex`; should one
                    // come here, the per-row path applies the oracle.
                    StrOp::Matches => return None,
                };
                (m, *negated)
            }
            StrFn::Regex(..) | StrFn::IsMissing(_) | StrFn::Map(..) => return None,
        })
    }

    /// The hit words of every row of a plain string array, each matcher's
    /// loop compiled for it.
    fn hit_words(&self, array: &dyn Array, nwords: usize) -> Option<Vec<u64>> {
        match self {
            Matcher::Equal(h) => hit_words(array, h, nwords),
            Matcher::Order(h) => hit_words(array, h, nwords),
            Matcher::Small(h) => hit_words(array, h, nwords),
            Matcher::Large(h) => hit_words(array, h, nwords),
            Matcher::Starts(h) => hit_words(array, h, nwords),
            Matcher::Ends(h) => hit_words(array, h, nwords),
            Matcher::Contains(h) => hit_words(array, h, nwords),
        }
    }

    fn hit_at(&self, values: &[u8], a: usize, b: usize) -> bool {
        match self {
            Matcher::Equal(h) => h.hit_at(values, a, b),
            Matcher::Order(h) => h.hit_at(values, a, b),
            Matcher::Small(h) => h.hit_at(values, a, b),
            Matcher::Large(h) => h.hit_at(values, a, b),
            Matcher::Starts(h) => h.hit_at(values, a, b),
            Matcher::Ends(h) => h.hit_at(values, a, b),
            Matcher::Contains(h) => h.hit_at(values, a, b),
        }
    }

    /// The hit bits of rows `start..start + n` (n ≤ 64) of a plain string
    /// array; `None` for another layout.
    pub(crate) fn hit_word(&self, array: &dyn Array, start: usize, n: usize) -> Option<u64> {
        fn offsets<O: OffsetSizeTrait>(
            m: &Matcher,
            a: &arrow::array::GenericStringArray<O>,
            start: usize,
            n: usize,
        ) -> u64 {
            let values: &[u8] = a.values();
            let offsets = a.value_offsets().get(start..=start + n).unwrap_or_default();
            let mut word = 0u64;
            for (i, w) in offsets.windows(2).enumerate() {
                if let [s, e] = w {
                    word |= u64::from(m.hit_at(values, s.as_usize(), e.as_usize())) << i;
                }
            }
            word
        }
        Some(match array.data_type() {
            DataType::Utf8 => offsets(self, array.as_string::<i32>(), start, n),
            DataType::LargeUtf8 => offsets(self, array.as_string::<i64>(), start, n),
            DataType::Utf8View => {
                let views = array.as_string_view();
                let mut word = 0u64;
                for i in 0..n.min(views.len().saturating_sub(start)) {
                    let s = views.value(start + i).as_bytes();
                    word |= u64::from(self.hit_at(s, 0, s.len())) << i;
                }
                word
            }
            _ => return None,
        })
    }
}

/// The hit words of a byte-level predicate and whether it is negated;
/// `None` when the predicate has no byte-level form.
fn byte_hits(f: &StrFn, array: &dyn Array, nwords: usize) -> Option<(Vec<u64>, bool)> {
    let (m, negated) = Matcher::new(f)?;
    Some((m.hit_words(array, nwords)?, negated))
}

/// Every row's string of a string column of any layout, in order.
pub(crate) fn each_str(array: &ArrayRef, mut f: impl FnMut(Option<&str>)) -> Result<(), String> {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().for_each(f),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().for_each(f),
        DataType::Utf8View => array.as_string_view().iter().for_each(f),
        _ => match seg_eval::read_column(&Type::String, array) {
            Some(Col::Str(values)) => values.iter().for_each(|s| f(s.as_deref())),
            _ => return Err("a string column of an unexpected type".into()),
        },
    }
    Ok(())
}

/// The (true, false) words of a string leaf over a string column of
/// `rows` rows.
pub(crate) fn str_words(f: &StrFn, array: &ArrayRef, rows: usize) -> Result<Truth, String> {
    let nwords = rows.div_ceil(64);
    let plain = matches!(
        array.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    if plain {
        if let StrFn::IsMissing(negated) = f {
            // Missing rows are the null bitmap's zeros: no byte is read.
            let present = valid_words(array.nulls(), rows, nwords);
            return Ok(present
                .iter()
                .enumerate()
                .map(|(w, p)| missing_word(*p, row_mask(w, rows), *negated))
                .unzip());
        }
        if let Some((hits, negated)) = byte_hits(f, array.as_ref(), nwords) {
            let valid = valid_words(array.nulls(), rows, nwords);
            return Ok(truth_of_hits(&hits, &valid, negated));
        }
    }
    // The oracle's own per-row semantics (regular expressions, `lower`,
    // `upper`, `coalesce`, other layouts), written into words as it goes.
    let mut t = vec![0u64; nwords];
    let mut fw = vec![0u64; nwords];
    let mut i = 0usize;
    each_str(array, |s| {
        let (w, bit) = (i / 64, 1u64 << (i % 64));
        match (f.apply(s), t.get_mut(w), fw.get_mut(w)) {
            (Some(true), Some(tw), _) => *tw |= bit,
            (Some(false), _, Some(fv)) => *fv |= bit,
            _ => {}
        }
        i += 1;
    })?;
    if i != rows {
        return Err("a string leaf of the wrong length".into());
    }
    Ok((t, fw))
}

/// The per-row "seen" masks of a list column, shared by its leaves.
struct Seen {
    /// The wanted values, bit `i` for `keys[i]`.
    keys: Vec<ListKey>,
    /// Which rows hold which wanted values.
    rows: Masks,
    /// Rows whose list is present.
    valid: Vec<u64>,
}

/// The wanted values each row holds.
enum Masks {
    /// One mask per row: the bits of the wanted values among its elements.
    PerRow(Vec<u64>),
    /// One wanted value: whether each row holds it, 64 rows a word (no
    /// word per row to fill and read back).
    One(Vec<u64>),
}

/// Per-batch memory of the list columns' "seen" masks (by column index).
#[derive(Default)]
pub(crate) struct ListCache {
    seen: HashMap<usize, Seen>,
}

/// Distinct keys, in first-seen order; `None` past 64.
fn distinct<'a>(keys: impl Iterator<Item = &'a ListKey>) -> Option<Vec<ListKey>> {
    let mut out: Vec<ListKey> = Vec::new();
    let mut set: HashSet<&ListKey> = HashSet::new();
    for k in keys {
        if set.insert(k) {
            if out.len() == 64 {
                return None;
            }
            out.push(k.clone());
        }
    }
    Some(out)
}

/// The (true, false) words of `contains any/all/none` over a list column of
/// `rows` rows; `None` when the leaf wants more than 64 distinct values or
/// the column has an unexpected layout (the general helper then runs).
pub(crate) fn list_words(
    plan: &Plan,
    col: usize,
    array: &ArrayRef,
    quantifier: ListQuantifier,
    keys: &[ListKey],
    cache: &mut ListCache,
    rows: usize,
) -> Result<Option<Truth>, String> {
    let nwords = rows.div_ceil(64);
    let alone = |array: &ArrayRef| -> Result<Option<Truth>, String> {
        match distinct(keys.iter()) {
            Some(own) => Ok(seen(array, own, nwords)?.map(|s| quantify(&s, quantifier, keys))),
            None => Ok(None),
        }
    };
    let shared = match cache.seen.entry(col) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => {
            // Every list leaf of the plan over this column is served by one
            // pass when their wanted values fit 64 bits; otherwise each
            // leaf is computed alone.
            let all = plan.inputs.iter().filter_map(|i| match i {
                Input::Words {
                    col: Some(c),
                    leaf: LeafEval::List(_, ks),
                } if *c == col => Some(ks.iter()),
                _ => None,
            });
            let Some(union) = distinct(all.flatten()) else {
                return alone(array);
            };
            let Some(s) = seen(array, union, nwords)? else {
                return Ok(None);
            };
            e.insert(s)
        }
    };
    // The shared set holds every list leaf's values over the column; should
    // one be absent all the same, the leaf is computed alone.
    if keys.iter().all(|k| shared.keys.contains(k)) {
        Ok(Some(quantify(shared, quantifier, keys)))
    } else {
        alone(array)
    }
}

/// One leaf's words from the shared masks: [`seg_eval::rules::quantify`]
/// on bit sets, where a row holds a wanted value when the value's bit is in
/// its mask.
fn quantify(s: &Seen, quantifier: ListQuantifier, keys: &[ListKey]) -> Truth {
    let want = keys.iter().fold(0u64, |acc, k| {
        acc | s.keys.iter().position(|x| x == k).map_or(0, |i| 1u64 << i)
    });
    let rows = match &s.rows {
        Masks::PerRow(rows) => rows,
        Masks::One(held) => {
            // `want` is the one value's bit, or 0 for a leaf of no values.
            let (wanted, every) = (want != 0, u64::MAX);
            let hits: Vec<u64> = held
                .iter()
                .map(|h| match (quantifier, wanted) {
                    (ListQuantifier::Any, true) | (ListQuantifier::All, true) => *h,
                    (ListQuantifier::None, true) => !h,
                    (ListQuantifier::Any, false) => 0,
                    (ListQuantifier::All | ListQuantifier::None, false) => every,
                })
                .collect();
            return truth_of_hits(&hits, &s.valid, false);
        }
    };
    // One loop per quantifier, so that the test is not re-decided per row.
    let mut hits = match quantifier {
        ListQuantifier::Any => pack_rows(rows, |m| m & want != 0),
        ListQuantifier::All => pack_rows(rows, |m| m & want == want),
        ListQuantifier::None => pack_rows(rows, |m| m & want == 0),
    };
    hits.resize(s.valid.len(), 0);
    truth_of_hits(&hits, &s.valid, false)
}

/// One bit per row mask: whether it passes `test`.
fn pack_rows(masks: &[u64], test: impl Fn(u64) -> bool) -> Vec<u64> {
    masks
        .chunks(64)
        .map(|chunk| {
            let mut word = 0u64;
            for (i, m) in chunk.iter().enumerate() {
                word |= u64::from(test(*m)) << i;
            }
            word
        })
        .collect()
}

/// The "seen" masks of a List or LargeList column; `None` for an element
/// type without a dedicated reader here.
fn seen(array: &ArrayRef, keys: Vec<ListKey>, nwords: usize) -> Result<Option<Seen>, String> {
    let rows = array.len();
    let masks = match array.data_type() {
        DataType::List(_) => row_masks(array.as_list::<i32>(), &keys, nwords)?,
        DataType::LargeList(_) => row_masks(array.as_list::<i64>(), &keys, nwords)?,
        _ => return Err("a list column of another type".into()),
    };
    let Some(masks) = masks else {
        return Ok(None);
    };
    let expected = match &masks {
        Masks::PerRow(m) => m.len() == rows,
        Masks::One(w) => w.len() == nwords,
    };
    if !expected {
        return Err("list masks of the wrong length".into());
    }
    Ok(Some(Seen {
        keys,
        rows: masks,
        valid: valid_words(array.nulls(), rows, nwords),
    }))
}

/// Wanted strings by length, each with its bit. An element is a wanted
/// value when their bytes are equal: the equality of string [`ListKey`]s in
/// [`seg_eval::rules::list_contains`].
struct StrKeys {
    by_len: Vec<Vec<(Key, u64)>>,
    /// Every key, when there are at most [`FEW`].
    few: Option<Vec<(Key, u64)>>,
}

/// Up to this many wanted strings are compared with every element without
/// looking at its length first.
const FEW: usize = 4;
impl StrKeys {
    fn new(keys: &[ListKey]) -> StrKeys {
        let mut by_len: Vec<Vec<(Key, u64)>> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            if let ListKey::Str(s) = k {
                if by_len.len() <= s.len() {
                    by_len.resize_with(s.len() + 1, Vec::new);
                }
                if let Some(bucket) = by_len.get_mut(s.len()) {
                    bucket.push((Key::new(s.as_bytes()), 1u64 << i));
                }
            }
        }
        let all: Vec<(Key, u64)> = keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| match k {
                ListKey::Str(s) => Some((Key::new(s.as_bytes()), 1u64 << i)),
                _ => None,
            })
            .collect();
        let few = (all.len() <= FEW).then_some(all);
        StrKeys { by_len, few }
    }

    /// The bit of the element `values[a..b]`. With few keys every key is
    /// compared at `a` whatever the element's length: the loads then walk
    /// the values buffer in order (which the prefetcher follows) and no
    /// branch depends on the element.
    #[inline(always)]
    fn bit_at(&self, values: &[u8], a: usize, b: usize) -> u64 {
        match &self.few {
            Some(few) => {
                let len = b.wrapping_sub(a);
                let mut acc = 0;
                for (k, bit) in few {
                    let hit = (len == k.len()) & k.eq_at(values, a);
                    acc |= bit & 0u64.wrapping_sub(u64::from(hit));
                }
                acc
            }
            None => self.bit(values.get(a..b).unwrap_or_default()),
        }
    }
    /// The bit of the wanted string `s` equals, or 0 (keys are distinct, so
    /// at most one matches; ORing every candidate's bit avoids a branch).
    #[inline(always)]
    fn bit(&self, s: &[u8]) -> u64 {
        // Most elements have no candidate of their length; a plain loop
        // (not a `fold`, which stayed a call per element) keeps it inline.
        let mut acc = 0;
        if let Some(bucket) = self.by_len.get(s.len()) {
            for (k, b) in bucket {
                acc |= b & 0u64.wrapping_sub(u64::from(k.eq(s)));
            }
        }
        acc
    }
}

/// The bit of every element of a string array (0 for unwanted ones; missing
/// ones are cleared by the caller). `None` for an unexpected layout.
fn string_bits(child: &ArrayRef, keys: &StrKeys) -> Option<Vec<u64>> {
    fn offsets<O: OffsetSizeTrait>(
        a: &arrow::array::GenericStringArray<O>,
        keys: &StrKeys,
    ) -> Vec<u64> {
        let values: &[u8] = a.values();
        a.value_offsets()
            .windows(2)
            .map(|w| match w {
                [s, e] => keys.bit(values.get(s.as_usize()..e.as_usize()).unwrap_or_default()),
                _ => 0,
            })
            .collect()
    }
    Some(match child.data_type() {
        DataType::Utf8 => offsets(child.as_string::<i32>(), keys),
        DataType::LargeUtf8 => offsets(child.as_string::<i64>(), keys),
        DataType::Utf8View => child
            .as_string_view()
            .bytes_iter()
            .map(|s| keys.bit(s))
            .collect(),
        DataType::Dictionary(..) => {
            // The wanted bit of each dictionary value, gathered by key; a
            // null key or a key of a null value is missing (bit 0).
            let dictionary = child.as_any_dictionary_opt()?;
            let values = dictionary.values();
            if values.is_empty() {
                return Some(vec![0; child.len()]);
            }
            let mut value_bits = string_bits(values, keys)?;
            clear_missing(&mut value_bits, values.logical_nulls().as_ref());
            let mut bits: Vec<u64> = dictionary
                .normalized_keys()
                .into_iter()
                .map(|k| value_bits.get(k).copied().unwrap_or(0))
                .collect();
            clear_missing(&mut bits, dictionary.keys().nulls());
            return Some(bits);
        }
        _ => return None,
    })
}

/// The bit of every element of an int array of any accepted width.
fn int_bits(child: &ArrayRef, keys: &[ListKey]) -> Option<Vec<u64>> {
    let wanted: Vec<(i64, u64)> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| match k {
            ListKey::Int(v) => Some((*v, 1u64 << i)),
            _ => None,
        })
        .collect();
    let bit = |v: i64| wanted.iter().find(|(w, _)| *w == v).map_or(0, |(_, b)| *b);
    macro_rules! widen {
        ($t:ty) => {
            child
                .as_primitive::<$t>()
                .values()
                .iter()
                .map(|v| bit(i64::from(*v)))
                .collect()
        };
    }
    Some(match child.data_type() {
        DataType::Int8 => widen!(Int8Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int64 => widen!(Int64Type),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt32 => widen!(UInt32Type),
        _ => return None,
    })
}

/// Zeroes the bits of missing values (of a dictionary): they never match.
fn clear_missing(bits: &mut [u64], nulls: Option<&NullBuffer>) {
    if let Some(nulls) = nulls
        && nulls.null_count() > 0
    {
        for (b, valid) in bits.iter_mut().zip(nulls.iter()) {
            if !valid {
                *b = 0;
            }
        }
    }
}

/// Each row's OR of its elements' bits (missing lists give 0; the caller
/// masks them with the list's validity).
fn row_masks<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    keys: &[ListKey],
    nwords: usize,
) -> Result<Option<Masks>, String> {
    let offsets = list.value_offsets();
    let (Some(first), Some(last)) = (offsets.first(), offsets.last()) else {
        return Err("a list without offsets".into());
    };
    let (first, last) = (first.as_usize(), last.as_usize());
    if last < first || last > list.values().len() {
        return Err("list offsets out of range".into());
    }
    // Only the elements the (possibly sliced) list covers are read.
    let child = list.values().slice(first, last - first);
    let keyed;
    let hits = match child.data_type() {
        // The common layouts: wanted elements are collected as they are
        // found, without a word per element.
        DataType::Utf8 => sparse_hits(child.as_string::<i32>(), &StrKeys::new(keys)),
        DataType::LargeUtf8 => sparse_hits(child.as_string::<i64>(), &StrKeys::new(keys)),
        _ => {
            keyed = if seg_eval::accepts(&Type::String, child.data_type()) {
                string_bits(&child, &StrKeys::new(keys))
            } else {
                int_bits(&child, keys)
            };
            let Some(bits) = &keyed else {
                return Ok(None);
            };
            if bits.len() != child.len() {
                return Err("element bits of the wrong length".into());
            }
            bits.iter()
                .enumerate()
                .filter(|(_, b)| **b != 0)
                .map(|(e, b)| (e, *b))
                .collect()
        }
    };
    // Wanted elements are few: rather than OR each row's elements (a loop of
    // unpredictable length per row), each wanted element finds its row by
    // walking the offsets forward. Missing elements never match.
    let nulls = child.nulls().filter(|n| n.null_count() > 0);
    let one = keys.len() == 1;
    let mut masks = vec![0u64; if one { nwords } else { list.len() }];
    let ends = offsets.get(1..).unwrap_or_default();
    let mut row = 0usize;
    for (e, bit) in hits {
        if nulls.is_some_and(|n| n.is_null(e)) {
            continue;
        }
        let e = e + first;
        while ends.get(row).is_some_and(|end| end.as_usize() <= e) {
            row += 1;
        }
        if one {
            if let Some(m) = masks.get_mut(row / 64) {
                *m |= 1u64 << (row % 64);
            }
        } else if let Some(m) = masks.get_mut(row) {
            *m |= bit;
        }
    }
    Ok(Some(if one {
        Masks::One(masks)
    } else {
        Masks::PerRow(masks)
    }))
}

/// The wanted elements of a string array: (index, bit) of each, by index.
fn sparse_hits<O: OffsetSizeTrait>(
    a: &arrow::array::GenericStringArray<O>,
    keys: &StrKeys,
) -> Vec<(usize, u64)> {
    let values: &[u8] = a.values();
    let offsets = a.value_offsets();
    if let Some(few) = &keys.few
        && few.iter().all(|(k, _)| !k.is_empty())
        && let (Some(lo), Some(hi)) = (offsets.first(), offsets.last())
        && let Some(hay) = values.get(lo.as_usize()..hi.as_usize())
    {
        return searched_hits(offsets, lo.as_usize(), hay, few);
    }
    let mut hits = Vec::new();
    for (e, w) in offsets.windows(2).enumerate() {
        if let [s, t] = w {
            let bit = keys.bit_at(values, s.as_usize(), t.as_usize());
            if bit != 0 {
                hits.push((e, bit));
            }
        }
    }
    hits
}

/// [`sparse_hits`] for a few non-empty keys: each key is searched for in
/// the elements' bytes as one haystack (memchr's vectorised search runs
/// far faster than a visit per element), and an occurrence counts when it
/// is exactly one element: it starts at an element's start and ends at its
/// end. Occurrences may overlap (a false one across two elements can hide
/// the start of a true one), so the search resumes one byte after each.
fn searched_hits<O: OffsetSizeTrait>(
    offsets: &[O],
    base: usize,
    hay: &[u8],
    keys: &[(Key, u64)],
) -> Vec<(usize, u64)> {
    let mut hits = Vec::new();
    for (k, bit) in keys {
        let finder = Finder::new(&k.bytes);
        let (mut from, mut e) = (0usize, 0usize);
        while let Some(found) = hay.get(from..).and_then(|h| finder.find(h)) {
            let at = base + from + found;
            from += found + 1;
            e = first_at_or_after(offsets, e, at);
            // Empty elements before the one that starts here start here too.
            while offsets.get(e + 1).is_some_and(|o| o.as_usize() == at) {
                e += 1;
            }
            let start = offsets.get(e).map(|o| o.as_usize());
            let end = offsets.get(e + 1).map(|o| o.as_usize());
            if start == Some(at) && end == Some(at + k.len()) {
                hits.push((e, *bit));
            }
        }
    }
    if keys.len() > 1 {
        // One sorted run per key: the stable sort merges runs in linear time.
        hits.sort_by_key(|h| h.0);
    }
    hits
}

/// The first index at or after `from` whose offset is at least `at`
/// (offsets are sorted): a galloping search, as occurrences are near each
/// other.
fn first_at_or_after<O: OffsetSizeTrait>(offsets: &[O], from: usize, at: usize) -> usize {
    let (mut lo, mut hi, mut step) = (from, from, 1usize);
    // Invariant: every offset in `from..lo` is below `at`.
    while offsets.get(hi).is_some_and(|o| o.as_usize() < at) {
        lo = hi + 1;
        hi = lo + step;
        step *= 2;
    }
    let hi = hi.min(offsets.len());
    lo + offsets
        .get(lo..hi)
        .map_or(0, |s| s.partition_point(|o| o.as_usize() < at))
}

/// The byte-level fast paths above against the rules they implement
/// ([`seg_eval::rules`]), value by value: random strings of ASCII and
/// multi-byte characters, the empty string, and needles cut from the rows
/// themselves (prefixes and suffixes at character boundaries, whole rows),
/// so that hits at the very start and end of a string are exercised.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use arrow::array::{
        LargeListBuilder, LargeStringArray, ListBuilder, StringArray, StringBuilder,
        StringViewArray, StringViewBuilder,
    };
    use proptest::prelude::*;
    use seg_eval::rules;
    use std::sync::Arc;

    /// A text predicate of [`seg_eval::rules`].
    type TextRule = fn(&str, &str) -> bool;

    /// Strings of 0 to 6 pieces: one- to four-byte characters, a long piece
    /// (keys over 16 bytes), and the characters of a typical suffix.
    fn text() -> impl Strategy<Value = String> {
        let pieces = vec![
            "a",
            "b",
            "é",
            "ß",
            "日本",
            "😀",
            "@",
            ".com",
            "x",
            " ",
            "AB",
            "over sixteen bytes",
        ];
        proptest::collection::vec(proptest::sample::select(pieces), 0..6).prop_map(|p| p.concat())
    }

    /// The needles of a test: the given one, the empty one, and the cuts of
    /// `row` at every character boundary (as prefix and as suffix).
    fn needles(given: &str, row: &str) -> Vec<String> {
        let mut out = vec![given.to_string(), String::new(), row.to_string()];
        for (i, _) in row.char_indices().skip(1) {
            out.push(row[..i].to_string());
            out.push(row[i..].to_string());
        }
        out
    }

    /// The three plain layouts of one column of `rows`.
    fn layouts(rows: &[String]) -> Vec<ArrayRef> {
        let strs: Vec<&str> = rows.iter().map(String::as_str).collect();
        vec![
            Arc::new(StringArray::from(strs.clone())),
            Arc::new(LargeStringArray::from(strs.clone())),
            Arc::new(StringViewArray::from(strs)),
        ]
    }

    /// The rule's result for every row, as `StrFn::apply` gives it.
    fn expected(f: &StrFn, rows: &[String]) -> Vec<bool> {
        rows.iter()
            .map(|s| f.apply(Some(s)).expect("a present string has a truth"))
            .collect()
    }

    /// `f`'s matcher over `rows`, word by word and row by row, against the rule.
    fn agrees(f: &StrFn, rows: &[String], rule: &[bool]) {
        let (m, negated) = Matcher::new(f).expect("a byte-level form");
        for array in layouts(rows) {
            let nwords = rows.len().div_ceil(64);
            let words = m.hit_words(array.as_ref(), nwords).expect("a plain layout");
            for (i, want) in rule.iter().enumerate() {
                let hit = (words[i / 64] >> (i % 64)) & 1 == 1;
                assert_eq!(hit != negated, *want, "{f:?} on {:?}", rows[i]);
            }
            // The lazy path's words, from an odd start.
            let start = rows.len().min(1);
            let n = (rows.len() - start).min(64);
            let word = m
                .hit_word(array.as_ref(), start, n)
                .expect("a plain layout");
            for i in 0..n {
                let hit = (word >> i) & 1 == 1;
                assert_eq!(
                    hit != negated,
                    rule[start + i],
                    "{f:?} on {:?}",
                    rows[start + i]
                );
            }
            // Each present string alone.
            for (s, want) in rows.iter().zip(rule) {
                assert_eq!(m.hit_at(s.as_bytes(), 0, s.len()) != negated, *want);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn string_matchers_follow_the_rules(
            rows in proptest::collection::vec(text(), 1..80),
            given in text(),
            pick in any::<proptest::sample::Index>(),
        ) {
            let row = pick.get(&rows).clone();
            let all = needles(&given, &row);
            for x in &all {
                for op in [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge] {
                    let f = StrFn::Cmp(op, x.clone());
                    let rule: Vec<bool> =
                        rows.iter().map(|s| op.holds(rules::compare(s, x))).collect();
                    prop_assert_eq!(&expected(&f, &rows), &rule);
                    agrees(&f, &rows, &rule);
                }
                let preds: [(StrOp, TextRule); 3] = [
                    (StrOp::StartsWith, rules::starts_with),
                    (StrOp::EndsWith, rules::ends_with),
                    (StrOp::Contains, rules::contains),
                ];
                for (op, own) in preds {
                    for negated in [false, true] {
                        let f = StrFn::Pred(op, x.clone(), negated);
                        let rule: Vec<bool> =
                            rows.iter().map(|s| own(s, x) != negated).collect();
                        prop_assert_eq!(&expected(&f, &rows), &rule);
                        agrees(&f, &rows, &rule);
                    }
                }
            }
            // `in`: a few needles (the packed set) and more than 16 (hashed).
            let few: rules::KeySet = all.iter().take(6).cloned().map(ListKey::Str).collect();
            let many: rules::KeySet = all
                .iter()
                .cloned()
                .chain((0..20).map(|i| format!("filler {i}")))
                .map(ListKey::Str)
                .collect();
            for set in [few, many] {
                for negated in [false, true] {
                    let rule: Vec<bool> = rows
                        .iter()
                        .map(|s| rules::KeySet::holds(set.contains_str(s), negated))
                        .collect();
                    let f = StrFn::In(set.clone(), negated);
                    prop_assert_eq!(&expected(&f, &rows), &rule);
                    agrees(&f, &rows, &rule);
                }
            }
        }

        #[test]
        fn the_list_pass_follows_the_rules(
            lists in proptest::collection::vec(
                proptest::option::weighted(
                    0.9,
                    proptest::collection::vec(proptest::option::weighted(0.9, text()), 0..5),
                ),
                1..90,
            ),
            given in text(),
            pick in any::<proptest::sample::Index>(),
            count in 0usize..9,
        ) {
            let present: Vec<String> = lists.iter().flatten().flatten().flatten().cloned().collect();
            let row = if present.is_empty() { String::new() } else { pick.get(&present).clone() };
            // Distinct wanted values (the pass maps each to one bit): 0, 1
            // (one mask for the batch), up to FEW (searched with memchr) and
            // more (looked up by length).
            let candidates: Vec<ListKey> =
                needles(&given, &row).into_iter().take(16).map(ListKey::Str).collect();
            let wanted: Vec<ListKey> = distinct(candidates.iter())
                .expect("at most 16 values")
                .into_iter()
                .take(count)
                .collect();
            for array in list_layouts(&lists) {
                let seen = seen(&array, wanted.clone(), array.len().div_ceil(64))
                    .expect("a list layout")
                    .expect("a string list");
                for q in [ListQuantifier::Any, ListQuantifier::All, ListQuantifier::None] {
                    let (t, f) = quantify(&seen, q, &wanted);
                    let col = seg_eval::read_column(&Type::list(Type::String), &array).expect("a list");
                    let rule = rules::list_column(col, q, &wanted).expect("a list column");
                    for (i, want) in rule.iter().enumerate() {
                        let got = match ((t[i / 64] >> (i % 64)) & 1, (f[i / 64] >> (i % 64)) & 1) {
                            (1, 0) => Some(true),
                            (0, 1) => Some(false),
                            (0, 0) => None,
                            _ => panic!("row {i} both true and false"),
                        };
                        prop_assert_eq!(got, *want, "{:?} {:?} at row {} of {:?}", q, &wanted, i, &array);
                    }
                }
            }
        }
    }

    /// The list layouts the pass reads: List of Utf8 and of Utf8View,
    /// LargeList of Utf8, each also sliced by one row.
    fn list_layouts(lists: &[Option<Vec<Option<String>>>]) -> Vec<ArrayRef> {
        let mut plain = ListBuilder::new(StringBuilder::new());
        let mut view = ListBuilder::new(StringViewBuilder::new());
        let mut large = LargeListBuilder::new(StringBuilder::new());
        for l in lists {
            plain.append_option(l.clone());
            view.append_option(l.clone());
            large.append_option(l.clone());
        }
        let whole: Vec<ArrayRef> = vec![
            Arc::new(plain.finish()),
            Arc::new(view.finish()),
            Arc::new(large.finish()),
        ];
        let mut out = whole.clone();
        if lists.len() > 1 {
            out.extend(whole.iter().map(|a| a.slice(1, a.len() - 1)));
        }
        out
    }
}
