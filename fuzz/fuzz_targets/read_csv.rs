//! The CSV reader, on any bytes, yields batches that bind and evaluate, or a coded error; never a panic.
//!
//! ```text
//! scripts/fuzz.sh read_csv 60      # or: cargo fuzz run read_csv
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    seg_fuzz::read(seg::formats::DataFormat::Csv, bytes);
});
