//! Seg, the language in which marketers write customer segments: the API for
//! tools that embed the compiler.
//!
//! ```no_run
//! let checked = seg::check_file("examples/lifecycle.seg".as_ref());
//! for diagnostic in &checked.diagnostics {
//!     eprintln!("{}: {}", diagnostic.code, diagnostic.message);
//! }
//! if let Some(program) = checked.program {
//!     println!("{} segments", program.segments.len());
//! }
//! ```
//!
//! [`check_file`] reads files from disk; [`check_source`] checks text held in
//! memory (its `use`s are still read from disk, relative to the path given);
//! [`seg_check::check_program`] takes any [`SourceLoader`].

pub use seg_check as check;
pub use seg_check::{
    Checked, LoadError, SourceLoader, load_error_diagnostic as check_program_load_error,
};
pub use seg_diagnostics as diagnostics;
pub use seg_ir as ir;
pub use seg_opt as opt;
pub use seg_syntax as syntax;

use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads `.seg` files from the file system. Paths that name the same file
/// (through `..` or links) load once.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsLoader;

impl SourceLoader for FsLoader {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), LoadError> {
        read_source(path)
    }
}

/// Reads one source file, refusing files past the size limit before reading them
/// whole. Returns a key naming the file uniquely (its canonical path) and the text.
pub fn read_source(path: &Path) -> Result<(PathBuf, String), LoadError> {
    let file = std::fs::File::open(path).map_err(|e| LoadError::Io(io_reason(&e)))?;
    let metadata = file.metadata().map_err(|e| LoadError::Io(io_reason(&e)))?;
    if metadata.is_dir() {
        return Err(LoadError::Io("it is a directory".into()));
    }
    let limit = seg_syntax::limits::MAX_FILE_BYTES as u64;
    if metadata.len() > limit {
        return Err(LoadError::TooLarge(metadata.len()));
    }
    let mut bytes = Vec::new();
    // The size may change between the check and the read; never read past the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::Io(io_reason(&e)))?;
    if bytes.len() as u64 > limit {
        return Err(LoadError::TooLarge(bytes.len() as u64));
    }
    let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8)?;
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok((key, text))
}

/// An I/O error as a short lower-case reason, without the OS error number.
pub fn io_reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match error.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a directory".into(),
        _ => {
            let text = error.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

/// Loads, parses and checks the program rooted at `path`.
pub fn check_file(path: &Path) -> Checked {
    check_program(path, &FsLoader)
}

/// Checks program text held in memory, as if it were the file at `path`.
pub fn check_source(path: &Path, text: &str) -> Checked {
    with_findings(seg_check::check_source(path, text, &FsLoader))
}

/// Loads, parses and checks the program rooted at `root` through any loader,
/// then adds the optimizer's findings (W03xx) when it checks.
pub fn check_program(root: &Path, loader: &dyn SourceLoader) -> Checked {
    with_findings(seg_check::check_program(root, loader))
}

/// Adds the static findings of a program that checked (segments that can
/// never match, redundant conditions, ...), keeping diagnostics in file and
/// position order.
fn with_findings(mut checked: Checked) -> Checked {
    if let Some(program) = &checked.program {
        // The optimizer recurses over expression trees as deep as the parser
        // allows; the extra stack keeps that safe on small thread stacks.
        let found = stacker::maybe_grow(4 * 1024 * 1024, 32 * 1024 * 1024, || {
            seg_opt::findings(program)
        });
        checked.diagnostics.extend(found);
        checked
            .diagnostics
            .sort_by_key(|d| (d.span.file, d.span.start, d.code));
    }
    checked
}
