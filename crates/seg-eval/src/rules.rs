//! The per-value rules of Seg's string and list operations, defined once.
//!
//! The evaluator's column loops call these functions for every row, and the
//! JIT's batch-level helpers (`seg-jit/src/strings.rs`, `plan.rs`,
//! `batch.rs`) call the same functions wherever they work value by value.
//! Where the JIT keeps a byte-level fast path for speed, that path computes
//! the same primitive as the function named in its comment (byte equality,
//! prefix, suffix, substring, byte order) and is differential-tested against
//! it, so a change of rule is made here and shows there as a failing test.
//!
//! Every function here is about *present* values: a missing operand makes
//! the whole predicate unknown, which the callers express by mapping over
//! `Option` (the strictness of LANGUAGE.md §4), except [`coalesce`], whose
//! point is missing values.

use seg_ir::pattern::Pattern;
use seg_ir::{Const, ListQuantifier, StrOp};
use std::cmp::Ordering;
use std::collections::HashSet;

/// The order of two strings: by their UTF-8 bytes, which is the order of
/// their code points (no collation, no case folding).
#[inline]
pub fn compare(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

/// `s contains needle`: a byte substring; the empty needle is in every string.
#[inline]
pub fn contains(s: &str, needle: &str) -> bool {
    s.contains(needle)
}

/// `s starts with prefix`: a byte prefix; the empty prefix starts every string.
#[inline]
pub fn starts_with(s: &str, prefix: &str) -> bool {
    s.starts_with(prefix)
}

/// `s ends with suffix`: a byte suffix; the empty suffix ends every string.
#[inline]
pub fn ends_with(s: &str, suffix: &str) -> bool {
    s.ends_with(suffix)
}

/// `s matches pattern`: the compiled pattern (seg-ir's, unanchored) matches
/// somewhere in `s`.
#[inline]
pub fn matches(pattern: &Pattern, s: &str) -> bool {
    pattern.is_match(s)
}

/// The text predicate `op` with a textual operand: [`contains`],
/// [`starts_with`] or [`ends_with`]. `matches` needs a compiled pattern
/// ([`matches()`]); given as text it never holds, and no caller passes it.
#[inline]
pub fn text_predicate(op: StrOp, s: &str, operand: &str) -> bool {
    match op {
        StrOp::Contains => contains(s, operand),
        StrOp::StartsWith => starts_with(s, operand),
        StrOp::EndsWith => ends_with(s, operand),
        StrOp::Matches => false,
    }
}

/// `lower(s)`: Rust's full Unicode lower-case mapping (a character may
/// become several, and the length may change).
#[inline]
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// `upper(s)`: Rust's full Unicode upper-case mapping (`ß` becomes `SS`).
#[inline]
pub fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// `coalesce(a, b, ...)`: the first present argument, or missing when every
/// argument is.
#[inline]
pub fn coalesce<T>(arguments: impl IntoIterator<Item = Option<T>>) -> Option<T> {
    arguments.into_iter().flatten().next()
}

/// A value reduced to what `in` and list membership compare: floats by bits
/// with -0.0 folded into 0.0, decimals with trailing zeros removed so that
/// 1.50 and 1.5 are one key, strings by their bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A truth value.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float's bits (never NaN; -0.0 is stored as 0.0).
    Float(u64),
    /// A decimal's unscaled value and scale, without trailing zeros.
    Decimal(i128, u32),
    /// A string.
    Str(String),
    /// A date, days since the epoch.
    Date(i32),
    /// An instant, microseconds since the epoch.
    Timestamp(i64),
}

impl Key {
    /// The key of a float (which must not be NaN: NaN is missing).
    pub fn float(v: f64) -> Key {
        Key::Float(if v == 0.0 {
            0.0f64.to_bits()
        } else {
            v.to_bits()
        })
    }

    /// The key of a decimal `unscaled / 10^scale`.
    pub fn decimal(mut unscaled: i128, mut scale: u32) -> Key {
        while scale > 0 && unscaled % 10 == 0 {
            unscaled /= 10;
            scale -= 1;
        }
        Key::Decimal(unscaled, scale)
    }

    /// The key of a scalar constant; `None` for a NaN float (missing, never
    /// listed) and for constants that are not scalars.
    pub fn of_const(c: &Const) -> Option<Key> {
        Some(match c {
            Const::Bool(v) => Key::Bool(*v),
            Const::Int(v) => Key::Int(*v),
            Const::Float(v) if v.is_nan() => return None,
            Const::Float(v) => Key::float(*v),
            Const::Decimal { unscaled, scale } => Key::decimal(*unscaled, u32::from(*scale)),
            Const::String(s) => Key::Str(s.clone()),
            Const::Date(d) => Key::Date(*d),
            Const::Timestamp(t) => Key::Timestamp(*t),
            _ => return None,
        })
    }

    /// The keys of a list constant (a list param spliced into `in [..]` or
    /// `contains any [..]`); `None` when `c` is not a list.
    pub fn of_list(c: Const) -> Option<Vec<Key>> {
        match c {
            Const::ListString(items) => Some(items.into_iter().map(Key::Str).collect()),
            Const::ListInt(items) => Some(items.into_iter().map(Key::Int).collect()),
            _ => None,
        }
    }
}

/// Up to this many listed strings are compared one by one rather than
/// hashed: lists are short, and comparing lengths, then bytes, is cheaper
/// per row than hashing the row's string (SipHash showed in profiles).
const FEW_STRINGS: usize = 16;

/// The values of an `in [..]` list, for the membership test of [`KeySet::holds`].
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    /// Listed strings, kept apart so that a row's string is looked up
    /// without building a [`Key`] for it.
    strings: HashSet<String>,
    /// Every other listed value.
    others: HashSet<Key>,
}

impl KeySet {
    /// Adds a listed value.
    pub fn insert(&mut self, key: Key) {
        match key {
            Key::Str(s) => {
                self.strings.insert(s);
            }
            other => {
                self.others.insert(other);
            }
        }
    }

    /// Whether `key` is listed.
    pub fn contains(&self, key: &Key) -> bool {
        match key {
            Key::Str(s) => self.contains_str(s),
            other => self.others.contains(other),
        }
    }

    /// Whether the string `s` is listed (byte equality with a listed string).
    #[inline]
    pub fn contains_str(&self, s: &str) -> bool {
        if self.strings.len() <= FEW_STRINGS {
            self.strings
                .iter()
                .any(|x| x.len() == s.len() && x.as_bytes() == s.as_bytes())
        } else {
            self.strings.contains(s)
        }
    }

    /// `x in [..]` (`not in` when `negated`) for a present `x` that is
    /// `listed`: SQL's rule, where present and listed is true and present and
    /// not listed is false, also for an empty list. A missing `x` is
    /// unknown, which the caller gives by not calling this.
    #[inline]
    pub fn holds(listed: bool, negated: bool) -> bool {
        listed != negated
    }

    /// The listed strings, in no particular order.
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(String::as_str)
    }

    /// How many distinct values are listed.
    pub fn len(&self) -> usize {
        self.strings.len() + self.others.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Extend<Key> for KeySet {
    fn extend<I: IntoIterator<Item = Key>>(&mut self, iter: I) {
        for k in iter {
            self.insert(k);
        }
    }
}

impl FromIterator<Key> for KeySet {
    fn from_iter<I: IntoIterator<Item = Key>>(iter: I) -> KeySet {
        let mut set = KeySet::default();
        set.extend(iter);
        set
    }
}

/// `list contains <quantifier> wanted` for a present list, given whether it
/// `holds` each wanted value: `any` holds one of them (never, for no
/// values), `all` holds every one (always, for no values), `none` holds
/// none of them.
#[inline]
pub fn quantify<K>(
    quantifier: ListQuantifier,
    wanted: impl IntoIterator<Item = K>,
    mut holds: impl FnMut(K) -> bool,
) -> bool {
    let mut wanted = wanted.into_iter();
    match quantifier {
        ListQuantifier::Any => wanted.any(holds),
        ListQuantifier::All => wanted.all(holds),
        ListQuantifier::None => !wanted.any(&mut holds),
    }
}

/// `list contains <quantifier> wanted` for one present list of `elements`:
/// an element equals a wanted value when their [`Key`]s are equal, and a
/// missing element equals nothing (it never matches, not even for `none`,
/// where it does not make the row unknown).
pub fn list_contains(
    quantifier: ListQuantifier,
    wanted: &[Key],
    elements: impl IntoIterator<Item = Option<Key>>,
) -> bool {
    let present: HashSet<Key> = elements.into_iter().flatten().collect();
    quantify(quantifier, wanted, |k| present.contains(k))
}

/// [`list_contains`] over every row of a list column (a missing list is
/// unknown); `None` when the column does not hold lists.
pub fn list_column(
    col: crate::Col<'_>,
    quantifier: ListQuantifier,
    wanted: &[Key],
) -> Option<Vec<Option<bool>>> {
    use crate::Col;
    Some(match col {
        Col::ListStr(rows) => rows
            .into_iter()
            .map(|r| {
                r.map(|items| {
                    let keys = items
                        .into_iter()
                        .map(|s| s.map(|s| Key::Str(s.into_owned())));
                    list_contains(quantifier, wanted, keys)
                })
            })
            .collect(),
        Col::ListInt(rows) => rows
            .into_iter()
            .map(|r| {
                r.map(|items| {
                    list_contains(
                        quantifier,
                        wanted,
                        items.into_iter().map(|v| v.map(Key::Int)),
                    )
                })
            })
            .collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantifiers_over_no_values() {
        let none: [Key; 0] = [];
        let elements = || [Some(Key::Int(1)), None];
        assert!(!list_contains(ListQuantifier::Any, &none, elements()));
        assert!(list_contains(ListQuantifier::All, &none, elements()));
        assert!(list_contains(ListQuantifier::None, &none, elements()));
    }

    #[test]
    fn missing_elements_never_match() {
        let wanted = [Key::Str("a".into())];
        let elements = || [None, Some(Key::Str("b".into()))];
        assert!(!list_contains(ListQuantifier::Any, &wanted, elements()));
        assert!(!list_contains(ListQuantifier::All, &wanted, elements()));
        assert!(list_contains(ListQuantifier::None, &wanted, elements()));
    }

    #[test]
    fn keys_fold_equal_numbers() {
        assert_eq!(Key::float(-0.0), Key::float(0.0));
        assert_eq!(Key::decimal(150, 2), Key::decimal(15, 1));
        assert_eq!(Key::of_const(&Const::Float(f64::NAN)), None);
    }

    #[test]
    fn small_and_large_sets_agree() {
        let few: KeySet = ["a", "é", ""]
            .iter()
            .map(|s| Key::Str(s.to_string()))
            .collect();
        let many: KeySet = (0..40)
            .map(|i| Key::Str(format!("v{i}")))
            .chain(["a", "é", ""].iter().map(|s| Key::Str(s.to_string())))
            .collect();
        for s in ["a", "é", "", "e", "A", "v3", "v40"] {
            assert_eq!(few.contains_str(s), ["a", "é", ""].contains(&s), "{s}");
            assert_eq!(
                many.contains_str(s),
                s != "e" && s != "A" && s != "v40",
                "{s}"
            );
        }
    }

    #[test]
    fn case_mapping_is_full_unicode() {
        assert_eq!(upper("straße"), "STRASSE");
        assert_eq!(lower("ΑΣ"), "ας");
        assert_eq!(coalesce([None, Some(2), Some(3)]), Some(2));
        assert_eq!(coalesce::<i32>([None, None]), None);
    }
}
