//! Name resolution and type checking: from parsed files to a typed
//! [`seg_ir::Program`].
//!
//! [`check_program`] loads a root file and everything it `use`s (through a
//! [`SourceLoader`], so this crate never touches the file system itself),
//! parses every file, collects declarations across files, and checks each
//! item. Errors are collected, not stopped at: one unknown field does not hide
//! a type error three segments later.

mod expr;
mod items;
mod load;

pub use load::{LoadError, SourceLoader};

/// The diagnostic for a file that could not be loaded, located at `span`.
pub fn load_error_diagnostic(
    path: &Path,
    error: &LoadError,
    span: seg_diagnostics::Span,
) -> Diagnostic {
    load::read_error(path, error, span)
}

use seg_diagnostics::{Code, Diagnostic, SourceMap};
use std::path::Path;

/// The outcome of checking one program.
#[derive(Debug)]
pub struct Checked {
    /// The typed program, when there were no errors (warnings allowed).
    pub program: Option<seg_ir::Program>,
    /// Every diagnostic, errors and warnings, in file and position order.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read, for rendering diagnostics.
    pub sources: SourceMap,
    /// The parsed files in load order (the root first), for tools such as `fmt`.
    pub files: Vec<(seg_diagnostics::FileId, seg_syntax::ast::File)>,
}

impl Checked {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads, parses and checks the program rooted at `root`.
pub fn check_program(root: &Path, loader: &dyn SourceLoader) -> Checked {
    // Checking recurses over expression trees whose depth the parser caps;
    // the extra stack makes that safe on small thread stacks too.
    stacker::maybe_grow(4 * 1024 * 1024, 32 * 1024 * 1024, || {
        let loaded = load::load_all(root, loader);
        let mut diagnostics = loaded.diagnostics;
        if loaded.root_failed {
            // Nothing to check; "no schema" and the like would only mislead.
            return finish(
                seg_ir::Program::default(),
                diagnostics,
                loaded.sources,
                loaded.files,
            );
        }
        let mut found = Vec::new();
        let program = items::check_items(&loaded.files, &mut found);
        // After a syntax error or a file that failed to load, names defined in
        // the broken item or file are unknown to the checker: reporting them as
        // unknown would blame the wrong line.
        let syntax_errors = diagnostics.iter().any(|d| d.is_error());
        diagnostics.extend(found.into_iter().filter(|d| {
            !(syntax_errors && matches!(d.code, Code::E0101 | Code::E0104 | Code::E0112))
        }));
        finish(program, diagnostics, loaded.sources, loaded.files)
    })
}

/// Checks a program given as text (with `use` resolved through `loader`,
/// relative to `path`).
pub fn check_source(path: &Path, text: &str, loader: &dyn SourceLoader) -> Checked {
    let overlay = load::Overlay {
        path: path.to_path_buf(),
        text: text.to_string(),
        inner: loader,
    };
    check_program(path, &overlay)
}

fn finish(
    program: seg_ir::Program,
    mut diagnostics: Vec<Diagnostic>,
    sources: SourceMap,
    files: Vec<(seg_diagnostics::FileId, seg_syntax::ast::File)>,
) -> Checked {
    diagnostics.sort_by_key(|d| (d.span.file, d.span.start, d.code));
    diagnostics.dedup();
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Checked {
        program: (!has_errors).then_some(program),
        diagnostics,
        sources,
        files,
    }
}
