//! A file that parses formats to text that parses to the same tree, keeps every comment, and formats to itself.
//!
//! ```text
//! scripts/fuzz.sh fmt_roundtrip 60      # or: cargo fuzz run fmt_roundtrip
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    seg_fuzz::fmt_roundtrip(bytes);
});
