//! `bucket("salt")`, LANGUAGE.md §7.2, defined once: every engine that
//! computes a bucket in Rust (the evaluator, the JIT's batch-level helper)
//! calls these functions, and the SQL back ends are tested equal to them.
//!
//! The bucket of a profile is the first four bytes of the MD5 digest of the
//! UTF-8 text `salt + ":" + key`, read as a big-endian unsigned integer,
//! modulo 10000. An int key is written in plain decimal (`-7`, `42`, no
//! separators), a string key as it is. A missing key gives a missing bucket.

use crate::Col;
use md5::{Digest, Md5};
use std::fmt::Write as _;

/// How many buckets there are: a bucket is in `0..BUCKETS`.
pub const BUCKETS: u32 = 10_000;

/// The hashing of one salt, ready for many keys: the digest state after
/// `salt + ":"` is computed once and cloned for each key, so a batch hashes
/// only the keys' bytes.
#[derive(Clone)]
pub struct Bucketer {
    prefix: Md5,
    digits: String,
}

impl Bucketer {
    /// The bucketer of `salt`.
    pub fn new(salt: &str) -> Bucketer {
        let mut prefix = Md5::new();
        prefix.update(salt.as_bytes());
        prefix.update(b":");
        Bucketer {
            prefix,
            digits: String::with_capacity(20),
        }
    }

    /// The bucket of a string key, taken as it is.
    pub fn of_str(&self, key: &str) -> i64 {
        finish(self.prefix.clone(), key.as_bytes())
    }

    /// The bucket of an int key, written in decimal with a leading `-` when
    /// negative (Rust's `Display` for `i64`, which has no separators).
    pub fn of_int(&mut self, key: i64) -> i64 {
        self.digits.clear();
        // Writing to a String cannot fail; an error would leave the digits
        // empty, which the differential and SQL tests would show.
        let _ = write!(self.digits, "{key}");
        finish(self.prefix.clone(), self.digits.as_bytes())
    }
}

fn finish(mut state: Md5, key: &[u8]) -> i64 {
    state.update(key);
    let digest = state.finalize();
    let head = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    i64::from(head % BUCKETS)
}

/// The bucket of one text key under `salt` (a convenience for single values;
/// columns go through [`Bucketer`]).
pub fn bucket_of_str(salt: &str, key: &str) -> i64 {
    Bucketer::new(salt).of_str(key)
}

/// The bucket of one int key under `salt`.
pub fn bucket_of_int(salt: &str, key: i64) -> i64 {
    Bucketer::new(salt).of_int(key)
}

/// The buckets of a key column under `salt`, missing where the key is
/// missing; `None` when the column is neither an int nor a string column
/// (the checker admits only those key types for `bucket`).
pub fn bucket_column(salt: &str, keys: &Col<'_>) -> Option<Vec<Option<i64>>> {
    let mut bucketer = Bucketer::new(salt);
    match keys {
        Col::Int(v) => Some(v.iter().map(|k| k.map(|k| bucketer.of_int(k))).collect()),
        Col::Str(v) => Some(
            v.iter()
                .map(|k| k.as_deref().map(|k| bucketer.of_str(k)))
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers computed independently of this crate, with
    /// `python3 -c 'import hashlib,sys; s,k=sys.argv[1:]; print(int.from_bytes(hashlib.md5((s+":"+k).encode()).digest()[:4],"big")%10000)' SALT KEY`.
    #[test]
    fn known_answers() {
        assert_eq!(bucket_of_int("spring-2026", 42), 6005);
        assert_eq!(bucket_of_int("spring-2026", -7), 7268);
        assert_eq!(bucket_of_int("spring-2026", i64::MAX), 2342);
        assert_eq!(bucket_of_int("spring-2026", i64::MIN), 6863);
        assert_eq!(bucket_of_int("spring-2026", 4_294_967_295), 6132);
        assert_eq!(bucket_of_int("", 0), 754);
        assert_eq!(bucket_of_int("summer-2026", 42), 5111);
        assert_eq!(bucket_of_str("spring-2026", "C-001"), 627);
        assert_eq!(bucket_of_str("spring-2026", "Zoë"), 4786);
        assert_eq!(bucket_of_str("spring-2026", ""), 7671);
        assert_eq!(bucket_of_str("ß:🙂", "ünïcödé"), 207);
        // An int key and its decimal text are one key.
        assert_eq!(bucket_of_str("spring-2026", "42"), 6005);
    }

    #[test]
    fn a_bucketer_is_reused_without_leaking_state() {
        let mut b = Bucketer::new("spring-2026");
        assert_eq!(b.of_int(-7), 7268);
        assert_eq!(b.of_int(42), 6005);
        assert_eq!(b.of_str("C-001"), 627);
        assert_eq!(b.of_int(42), 6005);
    }

    #[test]
    fn columns_keep_missing_keys_missing() {
        let keys = Col::Int(vec![Some(42), None, Some(-7)]);
        assert_eq!(
            bucket_column("spring-2026", &keys),
            Some(vec![Some(6005), None, Some(7268)])
        );
        assert_eq!(bucket_column("x", &Col::Bool(vec![Some(true)])), None);
    }
}
