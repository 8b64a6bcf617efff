//! The Parquet reader, on any bytes, yields batches that bind and evaluate, or a coded error; never a panic or an abort.
//!
//! ```text
//! scripts/fuzz.sh read_parquet 60      # or: cargo fuzz run read_parquet
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    seg_fuzz::read(seg::formats::DataFormat::Parquet, bytes);
});
