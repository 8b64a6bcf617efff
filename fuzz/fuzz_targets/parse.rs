//! The parser never panics, on any bytes.
//!
//! ```text
//! scripts/fuzz.sh parse 60      # or: cargo fuzz run parse
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    seg_fuzz::parse(bytes);
});
