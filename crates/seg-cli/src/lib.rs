//! The `seg` command line as a library, so tests drive the same renderers and
//! commands as the binary. Only this crate prints or touches files; the
//! compiler libraries return values and diagnostics.
//!
//! Exit codes are stable: 0 clean, 1 findings (errors, warnings under
//! `--deny-warnings`, files that `fmt --check` would change), 2 usage or I/O
//! error.

pub mod commands;
pub mod data;
pub mod engine;
pub mod files;
pub mod render;

/// What a command reports back to `main`.
pub enum Outcome {
    /// Nothing to report.
    Clean,
    /// Errors, denied warnings, files to format.
    Findings,
    /// Bad usage or an I/O failure.
    Failure,
}
