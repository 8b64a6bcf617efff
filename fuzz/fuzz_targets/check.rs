//! Checking any text, rendering its diagnostics (human and JSON), and compiling a program that checks to SQL for every dialect never panics; every error's span lies inside its file.
//!
//! ```text
//! scripts/fuzz.sh check 60      # or: cargo fuzz run check
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    seg_fuzz::check(bytes);
});
