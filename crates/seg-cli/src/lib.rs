//! The `seg` command line as a library, so tests drive the same renderers and
//! commands as the binary. Only this crate prints or touches files; the
//! compiler libraries return values and diagnostics.
//!
//! Exit codes are stable: 0 clean, 1 findings (errors, warnings under
//! `--deny-warnings`, files that `fmt --check` would change), 2 usage or I/O
//! error.

pub mod commands;
pub mod files;
pub mod output;
pub use seg::render;

/// What a command reports back to `main`.
pub enum Outcome {
    /// Nothing to report.
    Clean,
    /// Errors, denied warnings, files to format.
    Findings,
    /// Bad usage or an I/O failure.
    Failure,
}

/// Writes to standard output. A closed pipe (`seg explain … | head`) ends the
/// process quietly, as SIGPIPE would for a C program, instead of panicking as
/// `print!` does; any other write error is reported (E0801) with exit 2.
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error[E0801]: cannot write to standard output: {e}");
        std::process::exit(2);
    }
}

/// `print!` through [`write_stdout`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::write_stdout(&format!($($arg)*)) };
}

/// `println!` through [`write_stdout`].
#[macro_export]
macro_rules! outln {
    () => { $crate::write_stdout("\n") };
    ($($arg:tt)*) => { $crate::write_stdout(&format!("{}\n", format_args!($($arg)*))) };
}
