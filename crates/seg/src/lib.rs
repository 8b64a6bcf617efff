//! Seg, the language in which marketers write customer segments: the API for
//! tools that embed the compiler.
//!
//! A program goes through stages, each a type:
//!
//! | stage | call | gives |
//! |---|---|---|
//! | check | [`check_file`], [`check_source`], [`check_program`] | [`Checked`]: diagnostics and, without errors, a typed [`ir::Program`] |
//! | prepare | [`Query::prepare`] with [`RunOptions`] (instant, params, segments) | [`Query`]: params and selection resolved once, optimized, with the rewrite trace |
//! | bind | [`Query::bind`] with an Arrow schema | [`Binding`]: which column serves each field, or located E0401/E0402 |
//! | compile | [`Query::compile`] with an [`Engine`] | [`Executor`]: `evaluate(&RecordBatch)` → [`Membership`], the same type from every engine |
//! | run | [`run`] over an [`Input`] into a [`Sink`] | [`RunReport`]: sizes, pruning, engine, time |
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use arrow::array::{Int64Array, RecordBatch, StringArray};
//! use std::sync::Arc;
//!
//! let rules = r#"
//! schema {
//!   country: string
//!   orders: int
//! }
//! segment us_buyers { where country == "US" and orders >= min_orders }
//! param min_orders = 1
//! "#;
//! let checked = seg::check_source("rules.seg".as_ref(), rules);
//! let program = checked.program.ok_or("the rules have errors")?;
//!
//! let options = seg::RunOptions::default().as_of_text("2026-11-24")?.param("min_orders", "2");
//! let query = seg::Query::prepare(&program, &options)?;
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("country", Arc::new(StringArray::from(vec!["US", "US", "FR"])) as _),
//!     ("orders", Arc::new(Int64Array::from(vec![3, 1, 5])) as _),
//! ])?;
//! let binding = query.bind(&batch.schema()).map_err(|d| d[0].message.clone())?;
//! let executor = query.compile(seg::Engine::Auto, &binding)?;
//! let membership = executor.evaluate(&batch)?;
//! assert_eq!(membership.segments[0].true_count(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! Features: the default is lean (checking, preparing and the reference
//! evaluator over Arrow batches). `jit` adds the Cranelift JIT
//! ([`Engine::Jit`]; [`Engine::Auto`] then compiles natively); `formats`
//! adds [`formats`], the Parquet (with statistics pruning), CSV, JSON lines
//! and Arrow IPC readers, and [`realtime`], one profile at a time in
//! microseconds (`seg stream`); `datafusion` adds `seg::datafusion`,
//! the runner on Apache DataFusion over Parquet files, directories and globs;
//! `render` adds `seg::render`, the renderings of diagnostics (annotated
//! excerpts, JSON, GitHub annotations, SARIF) that the command line and the
//! Python package show.
//!
//! [`check_file`] reads files from disk; [`check_source`] checks text held in
//! memory (its `use`s are still read from disk, relative to the path given);
//! [`check_program`] takes any [`SourceLoader`].

pub use seg_check as check;
pub use seg_check::{
    Checked, LoadError, SourceLoader, load_error_diagnostic as check_program_load_error,
};
pub use seg_diagnostics as diagnostics;
pub use seg_eval as eval;
pub use seg_ir as ir;
#[cfg(feature = "jit")]
pub use seg_jit as jit;
pub use seg_opt as opt;
pub use seg_sql as sql;
pub use seg_syntax as syntax;

mod allow;
#[cfg(feature = "datafusion")]
pub mod datafusion;
pub mod diff;
mod error;
#[cfg(feature = "formats")]
pub mod events;
mod exec;
mod export;
#[cfg(feature = "formats")]
pub mod formats;
pub mod infer;
mod input;
pub mod present;
mod query;
#[cfg(feature = "formats")]
pub mod realtime;
#[cfg(feature = "render")]
pub mod render;
#[cfg(feature = "formats")]
pub mod report;
mod run;
pub mod sample;
#[cfg(feature = "formats")]
pub mod testing;
#[cfg(feature = "formats")]
pub mod why;

pub use error::{Error, RunError};
pub use exec::{Engine, Executor};
pub use export::{Export, ExportTarget, SEGMENT_COLUMN};
pub use input::{Input, InputBatch, PruneReport};
pub use query::{Binding, Query, RunOptions, format_instant, parse_instant, parse_zone};
pub use run::{
    Discard, MAX_BATCH_ROWS, OverlapPair, Progress, RunReport, SegmentCost, Silent, Sink, Sizes,
    THREADS_PER_CORE, WriterSink, jaccard, run, segment_costs, worker_threads,
};
pub use seg_eval::Membership;
#[cfg(feature = "formats")]
pub use why::{Why, WhyOptions, why};

/// The README's embedding example, compiled and run as a doctest so that it
/// stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExample;

use std::io::Read;
use std::path::{Path, PathBuf};

/// Which files a `use` may read. Whatever the scope, a `use` reads only
/// regular files whose name ends in `.seg`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum UseScope {
    /// Files in the root file's directory and below it (the default).
    #[default]
    RootDirectory,
    /// Files in this directory and below it.
    Directory(PathBuf),
    /// Any file.
    Anywhere,
}

/// Reads `.seg` files from the file system. Paths that name the same file
/// (through `..` or links) load once. A `use` may only read what `scope`
/// allows.
#[derive(Clone, Debug, Default)]
pub struct FsLoader {
    /// What a `use` may read.
    pub scope: UseScope,
}

impl SourceLoader for FsLoader {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), LoadError> {
        read_source(path)
    }

    fn load_used(&self, path: &Path, root: &Path) -> Result<(PathBuf, String), LoadError> {
        let allowed = match &self.scope {
            UseScope::Anywhere => None,
            UseScope::Directory(dir) => Some(dir.clone()),
            UseScope::RootDirectory => Some(match root.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            }),
        };
        let canonical = std::fs::canonicalize(path);
        if let Some(allowed) = allowed {
            // Canonical paths on both sides: `..` and symbolic links cannot
            // lead out of the directory unnoticed. A path that does not exist
            // is judged as written, so that a refused `use` does not tell
            // whether a file outside exists.
            let dir = std::fs::canonicalize(&allowed);
            let inside = match (&dir, &canonical) {
                (Ok(dir), Ok(target)) => target.starts_with(dir),
                (Ok(dir), Err(_)) => where_missing(path).is_some_and(|p| p.starts_with(dir)),
                (Err(_), _) => false,
            };
            if !inside {
                return Err(LoadError::Outside { allowed });
            }
        }
        let canonical = canonical.map_err(|e| LoadError::Io(io_reason(&e)))?;
        // The kind of file is checked before opening it: opening a FIFO
        // blocks until a writer comes, and a device may never end.
        let metadata = std::fs::metadata(&canonical).map_err(|e| LoadError::Io(io_reason(&e)))?;
        if !metadata.is_file() {
            return Err(LoadError::NotSegFile {
                what: format!("{}, not a `.seg` file", kind_of(&metadata)),
            });
        }
        let is_seg = |p: &Path| p.extension().is_some_and(|e| e == "seg");
        if !is_seg(path) || !is_seg(&canonical) {
            return Err(LoadError::NotSegFile {
                what: "not a `.seg` file".into(),
            });
        }
        let file = open_nonblocking(&canonical).map_err(|e| LoadError::Io(io_reason(&e)))?;
        let opened = file.metadata().map_err(|e| LoadError::Io(io_reason(&e)))?;
        if !opened.is_file() {
            return Err(LoadError::NotSegFile {
                what: format!("{}, not a `.seg` file", kind_of(&opened)),
            });
        }
        let text = read_open(file)?;
        Ok((canonical, text))
    }
}

/// Where `path`, which does not exist, would be: its deepest existing
/// ancestor made canonical, joined with the rest as written.
fn where_missing(path: &Path) -> Option<PathBuf> {
    let absolute = lexical_absolute(path)?;
    absolute.ancestors().skip(1).find_map(|ancestor| {
        let found = std::fs::canonicalize(ancestor).ok()?;
        Some(found.join(absolute.strip_prefix(ancestor).ok()?))
    })
}

/// `path` made absolute against the working directory, with `.` and `..`
/// resolved as written.
fn lexical_absolute(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let absolute = std::env::current_dir().ok()?.join(path);
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

/// What a path that is not a regular file names, for messages.
fn kind_of(metadata: &std::fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// Opens a file for reading without blocking on it: should a FIFO replace a
/// checked regular file before the open, the open still returns at once, and
/// [`read_open`] refuses what is not a regular file.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads one source file, refusing files past the size limit before reading them
/// whole. Returns a key naming the file uniquely (its canonical path) and the
/// text, without a leading byte order mark.
pub fn read_source(path: &Path) -> Result<(PathBuf, String), LoadError> {
    let file = std::fs::File::open(path).map_err(|e| LoadError::Io(io_reason(&e)))?;
    let text = read_open(file)?;
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok((key, text))
}

/// Reads an opened source file: a regular file within the size limit, as
/// UTF-8 text without a leading byte order mark.
fn read_open(file: std::fs::File) -> Result<String, LoadError> {
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
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(error) => {
            let valid = String::from_utf8_lossy(&body[..error.valid_up_to()]).into_owned();
            Err(LoadError::NotUtf8 { valid })
        }
    }
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

/// Loads, parses and checks the program rooted at `path`, its `use`s read
/// from the root file's directory and below.
pub fn check_file(path: &Path) -> Checked {
    check_program(path, &FsLoader::default())
}

/// Checks program text held in memory, as if it were the file at `path`.
pub fn check_source(path: &Path, text: &str) -> Checked {
    check_source_with(path, text, &FsLoader::default())
}

/// [`check_source`] with the `use`d files read through `loader` (an
/// [`FsLoader`] of another [`UseScope`], say).
pub fn check_source_with(path: &Path, text: &str, loader: &dyn SourceLoader) -> Checked {
    with_findings(seg_check::check_source(path, text, loader))
}

/// Loads, parses and checks the program rooted at `root` through any loader,
/// then adds the optimizer's findings (W03xx) when it checks.
pub fn check_program(root: &Path, loader: &dyn SourceLoader) -> Checked {
    with_findings(seg_check::check_program(root, loader))
}

/// The root programs among `files` (a folder's `.seg` files): those no other
/// file in the list `use`s, directly or through another file, in the order
/// of `files`. A folder of rules is usually a few programs (`lifecycle.seg`)
/// over shared parts (`schema.seg`, `behavior.seg`); running each root runs
/// every segment once per program that holds it, and never a part on its
/// own. Files are compared by their canonical path, so `./a.seg` and `a.seg`
/// are one file. Files that `use` each other in a cycle are all roots (the
/// checker reports the cycle when they run) rather than silently skipped.
pub fn root_programs(files: &[PathBuf], loader: &dyn SourceLoader) -> Vec<PathBuf> {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let keys: Vec<PathBuf> = files.iter().map(|f| canonical(f)).collect();
    // For each file, the other files its program reads.
    let reads: Vec<std::collections::HashSet<PathBuf>> = files
        .iter()
        .zip(&keys)
        .map(|(file, key)| {
            seg_check::check_program(file, loader)
                .sources
                .iter()
                .map(|(_, source)| canonical(&source.path))
                .filter(|p| p != key)
                .collect()
        })
        .collect();
    files
        .iter()
        .zip(&keys)
        .enumerate()
        .filter(|(i, (_, key))| {
            !reads
                .iter()
                .enumerate()
                .any(|(j, used)| j != *i && used.contains(*key) && !reads[*i].contains(&keys[j]))
        })
        .map(|(_, (file, _))| file.clone())
        .collect()
}

/// Adds the static findings of a program that checked (segments that can
/// never match, redundant conditions, ...), keeping diagnostics in file and
/// position order, then drops the warnings that `# seg: allow(...)`
/// comments acknowledge.
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
    allow::apply(&mut checked);
    checked
}

#[cfg(test)]
mod root_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    #[test]
    fn the_roots_of_a_folder_are_the_files_no_other_file_uses() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let schema = write("schema.seg", "schema { orders: int }\n");
        let parts = write(
            "parts.seg",
            "use \"schema.seg\"\nsegment buyers { where orders > 0 }\n",
        );
        let main = write(
            "main.seg",
            "use \"parts.seg\"\nsegment big { where buyers and orders > 9 }\n",
        );
        let alone = write(
            "alone.seg",
            "schema { age: int }\nsegment adults { where age >= 18 }\n",
        );
        // Two files in a cycle: neither is dropped.
        let a = write("a.seg", "use \"b.seg\"\n");
        let b = write("b.seg", "use \"a.seg\"\n");
        let files = vec![
            a.clone(),
            alone.clone(),
            b.clone(),
            main.clone(),
            parts,
            schema,
        ];
        let roots = super::root_programs(&files, &super::FsLoader::default());
        assert_eq!(roots, [a, alone, b, main]);
    }
}
