//! What the fuzz targets share: a loader that reads no file, the rules the
//! data-reader targets run, and the one function each family of targets
//! calls, so a target file is only its property.
//!
//! The properties (and the table of them in `docs/reliability.md`):
//! - `parse`: the parser never panics, on any bytes;
//! - `check`: checking (and rendering the diagnostics, human and JSON), and
//!   compiling a program that checks to SQL for every dialect, never panics,
//!   and every error has a span inside its file;
//! - `fmt_roundtrip`: a file that parses formats to text that parses to the same
//!   tree, keeps every comment, and formats to itself;
//! - `read_*`: each data reader, on any bytes, yields batches or a coded
//!   error; whatever it yields binds and evaluates without panicking;
//! - `jit_differential`: the JIT agrees with the reference evaluator.

use seg::formats::DataFormat;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A loader that refuses every `use`: fuzzed text must never read the disk.
pub struct NoFiles;

impl seg::SourceLoader for NoFiles {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), seg::LoadError> {
        Err(seg::LoadError::Io(format!("no file {}", path.display())))
    }
}

/// Parses arbitrary bytes (as UTF-8 when they are).
pub fn parse(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = seg::syntax::parse(text, seg::diagnostics::FileId(0));
    }
}

/// Checks arbitrary text and renders its diagnostics both ways.
pub fn check(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let checked = seg::check::check_source(Path::new("fuzz.seg"), text, &NoFiles);
    for d in &checked.diagnostics {
        if d.severity() == seg::diagnostics::Severity::Error && d.span.file.0 == 0 {
            assert!(
                d.span.end as usize <= text.len() && d.span.start <= d.span.end,
                "span {:?} outside a {}-byte file: {}",
                d.span,
                text.len(),
                d.message
            );
        }
    }
    let _ = seg::render::human(&checked.diagnostics, &checked.sources, false);
    let located = seg::render::locate(&checked.diagnostics, &checked.sources);
    let _ = serde_json::to_string(&seg::render::json(&located, &checked.sources, 1));
    // A program that checks compiles to SQL for every dialect, or is refused
    // with diagnostics located in its file (`seg check --target`).
    if let Some(program) = checked.program.as_ref().filter(|_| !checked.has_errors()) {
        for dialect in seg::sql::Dialect::ALL {
            for d in seg::sql::check(program, dialect) {
                assert!(
                    d.span.end as usize <= text.len() && d.span.start <= d.span.end,
                    "{dialect}: span {:?} outside a {}-byte file: {}",
                    d.span,
                    text.len(),
                    d.message
                );
            }
        }
    }
}

/// `parse(fmt(x)) == parse(x)`, comments kept, `fmt` idempotent.
pub fn fmt_roundtrip(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let id = seg::diagnostics::FileId(0);
    let parsed = seg::syntax::parse(text, id);
    if parsed.has_errors() {
        return;
    }
    let once = seg::syntax::format_file(&parsed.file, text);
    let reparsed = seg::syntax::parse(&once, id);
    assert!(
        !reparsed.has_errors(),
        "formatted text does not parse:\n{once}\n{:?}",
        reparsed.diagnostics
    );
    assert_eq!(
        seg::syntax::ast::dump(&reparsed.file),
        seg::syntax::ast::dump(&parsed.file),
        "formatting changed the meaning:\n{once}"
    );
    assert_eq!(
        reparsed.file.comments.len(),
        parsed.file.comments.len(),
        "a comment was lost:\n{once}"
    );
    let twice = seg::syntax::format_file(&reparsed.file, &once);
    assert_eq!(once, twice, "not idempotent");
}

/// The rules the reader targets evaluate: every type of §5 of the language,
/// each read by a segment.
pub const RULES: &str = r#"schema {
  id: int key
  i: int
  f: float
  d: decimal
  b: bool
  s: string
  t: timestamp
  dt: date
  ls: list<string>
  li: list<int>
}
segment ints { where i > 2 or i is missing }
segment floats { where f between 0.5 and 10 }
segment decimals { where d >= 1.25 }
segment bools { where b }
segment strings { where s starts with "a" or s in ["b", "Zürich"] }
segment instants { where t after 2026-01-01T00:00:00Z and dt before 2026-06-01 }
segment lists { where ls contains any ["x", "y"] or li contains 3 }
priority first { ints floats lists }
"#;

/// The rules over an event history (LANGUAGE.md §7.1) the readers of nested
/// data (Parquet, IPC, JSON lines) also evaluate: every aggregate, a filter.
pub const HISTORY_RULES: &str = r#"schema {
  id: int key
  h: list<{ at: timestamp, amount: decimal, tag: string, n: int, x: float }>
}
segment counted { where count(h where at after 2026-01-01T00:00:00Z and tag != "x") >= 1 }
segment summed { where sum(h.amount) > 3 or avg(h.x) < 0.5 or sum(h.n) > 2 }
segment extremes { where max(h.at) after 2026-06-01T00:00:00Z or min(h.tag) == "a" }
segment distinct { where count_distinct(h.tag) >= 2 or any(h where n is missing) }
"#;

fn checked(name: &str, text: &str) -> seg::ir::Program {
    let checked = seg::check::check_source(Path::new(name), text, &NoFiles);
    match checked.program {
        Some(p) if !checked.has_errors() => p,
        _ => panic!("the fuzz rules do not check: {:?}", checked.diagnostics),
    }
}

fn rules() -> &'static seg::ir::Program {
    static PROGRAM: OnceLock<seg::ir::Program> = OnceLock::new();
    PROGRAM.get_or_init(|| checked("rules.seg", RULES))
}

fn history_rules() -> &'static seg::ir::Program {
    static PROGRAM: OnceLock<seg::ir::Program> = OnceLock::new();
    PROGRAM.get_or_init(|| checked("histories.seg", HISTORY_RULES))
}

/// Reads `bytes` as `format` to the end, binding and evaluating every batch,
/// with [`RULES`] and (but for CSV, which holds no lists of records) with
/// [`HISTORY_RULES`]. Any outcome but a panic or an abort is fine; an error
/// must carry a code.
pub fn read(format: DataFormat, bytes: &[u8]) {
    let dir = std::env::temp_dir().join(format!("seg-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("input");
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    read_with(format, &path, rules());
    if format != DataFormat::Csv {
        read_with(format, &path, history_rules());
    }
}

fn read_with(format: DataFormat, path: &Path, program: &seg::ir::Program) {
    let evaluator = seg_eval::Evaluator::new(program, &[], 1_795_478_400_000_000);
    let fields = evaluator.required_fields();
    let input = match seg::formats::open(path, format, program, &fields, 7, None) {
        Ok(input) => input,
        Err(e) => {
            assert!(
                e.code.starts_with('E'),
                "an error without a code: {}",
                e.message
            );
            return;
        }
    };
    for batch in input.batches {
        match batch {
            Ok(batch) => {
                if let Ok(binding) = evaluator.bind(batch.batch.schema().as_ref()) {
                    let _ = evaluator.evaluate(&binding, &batch.batch);
                }
            }
            Err(e) => {
                assert!(
                    e.code.starts_with('E'),
                    "an error without a code: {}",
                    e.message
                );
                return;
            }
        }
    }
}
