//! The Arrow IPC reader (file and stream: the magic bytes choose), on any bytes, yields batches that bind and evaluate, or a coded error; never a panic or an abort.
//!
//! ```text
//! scripts/fuzz.sh read_ipc 60      # or: cargo fuzz run read_ipc
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    seg_fuzz::read(seg::formats::DataFormat::Arrow, bytes);
});
