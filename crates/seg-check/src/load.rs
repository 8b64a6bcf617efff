//! Loading a root file and the files it `use`s, once each, with cycle detection.

use seg_diagnostics::{Code, Diagnostic, FileId, SourceMap, Span};
use seg_syntax::ast::{File, ItemKind};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why a file could not be loaded.
#[derive(Clone, Debug)]
pub enum LoadError {
    /// It could not be read (missing, a directory, no permission...).
    Io(String),
    /// It is not UTF-8 text; `valid` is the text before the first byte that
    /// is not UTF-8, which locates that byte.
    NotUtf8 {
        /// The text up to the first bad byte.
        valid: String,
    },
    /// It is larger than the file-size limit; the size in bytes.
    TooLarge(u64),
    /// A `use` names a file outside the directory the program may read
    /// (`allowed`, as the user should see it).
    Outside {
        /// The directory `use` may read from.
        allowed: PathBuf,
    },
    /// A `use` names something that is not a regular `.seg` file; `what` it
    /// is instead ("a directory, not a `.seg` file", "not a `.seg` file").
    NotSegFile {
        /// What the path names instead.
        what: String,
    },
    /// The program reaches more files, or nests `use` deeper, than the limits
    /// allow; the message says which.
    TooMany(String),
}

/// Where source text comes from. The command line reads files; an embedding
/// tool may serve them from memory.
pub trait SourceLoader {
    /// Reads `path` and returns a key that is equal for two paths naming the same
    /// file (a canonical path, say) and the file's text.
    fn load(&self, path: &Path) -> Result<(PathBuf, String), LoadError>;

    /// Reads `path`, named by a `use` in the program whose root file is
    /// `root`. A loader that reads a file system refuses here what a `use`
    /// may not read (see `seg::FsLoader`); by default this is [`Self::load`].
    fn load_used(&self, path: &Path, root: &Path) -> Result<(PathBuf, String), LoadError> {
        let _ = root;
        self.load(path)
    }
}

/// Serves one file from memory and everything else from `inner`.
pub(crate) struct Overlay<'a> {
    pub path: PathBuf,
    pub text: String,
    pub inner: &'a dyn SourceLoader,
}

impl SourceLoader for Overlay<'_> {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), LoadError> {
        if path == self.path {
            return Ok((self.path.clone(), self.text.clone()));
        }
        self.inner.load(path)
    }

    fn load_used(&self, path: &Path, root: &Path) -> Result<(PathBuf, String), LoadError> {
        if path == self.path {
            return Ok((self.path.clone(), self.text.clone()));
        }
        self.inner.load_used(path, root)
    }
}

pub(crate) struct Loaded {
    /// The root file itself could not be loaded.
    pub root_failed: bool,
    pub sources: SourceMap,
    pub files: Vec<(FileId, File)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads the root and, depth first, every file it uses.
pub(crate) fn load_all(root: &Path, loader: &dyn SourceLoader) -> Loaded {
    let mut state = Loader {
        loader,
        root: root.to_path_buf(),
        sources: SourceMap::new(),
        files: Vec::new(),
        diagnostics: Vec::new(),
        by_key: HashMap::new(),
        stack: Vec::new(),
    };
    let mut root_failed = false;
    match loader.load(root) {
        Ok((key, text)) => state.add(root, key, text),
        Err(error) => {
            root_failed = true;
            // The root itself is unreadable: the command line reports I/O
            // errors before checking. A file that is not UTF-8 is located at
            // its first bad byte, with only the text before it kept.
            // The bad byte is shown as U+FFFD, where the label points.
            let diagnostic = match &error {
                LoadError::NotUtf8 { valid } => {
                    let file = state.sources.add(root, format!("{valid}\u{fffd}"));
                    let span = Span::new(file, valid.len(), valid.len() + '\u{fffd}'.len_utf8());
                    read_error(root, &error, span).with_label("this byte is not UTF-8")
                }
                _ => {
                    let file = state.sources.add(root, "");
                    read_error(root, &error, Span::new(file, 0, 0))
                }
            };
            state.diagnostics.push(diagnostic);
        }
    }
    Loaded {
        root_failed,
        sources: state.sources,
        files: state.files,
        diagnostics: state.diagnostics,
    }
}

pub(crate) fn read_error(path: &Path, error: &LoadError, span: Span) -> Diagnostic {
    match error {
        LoadError::Io(reason) => Diagnostic::new(
            Code::E0110,
            span,
            format!("cannot read `{}`: {reason}", path.display()),
        )
        .with_label("this file cannot be read")
        .with_help(format!(
            "paths in `use` are relative to the file that contains them; looked for `{}`",
            path.display()
        )),
        LoadError::NotUtf8 { valid } => {
            let at = seg_diagnostics::LineIndex::new(valid).line_col(valid, valid.len());
            Diagnostic::new(
                Code::E0802,
                span,
                format!(
                    "`{}` is not UTF-8 text: the first bad byte is at line {}, column {}",
                    path.display(),
                    at.line,
                    at.column
                ),
            )
            .with_label("this file is not text")
            .with_help("save the file as UTF-8")
        }
        LoadError::Outside { allowed } => Diagnostic::new(
            Code::E0116,
            span,
            format!(
                "`{}` is outside `{}`, the directory the rules may `use` files from",
                path.display(),
                allowed.display()
            ),
        )
        .with_label("this file is outside the rules' directory")
        .with_help(
            "move the file under the rules' directory, or pass `--root DIR` or `--allow-outside`",
        ),
        LoadError::NotSegFile { what } => {
            Diagnostic::new(Code::E0117, span, format!("`{}` is {what}", path.display()))
                .with_label("only regular `.seg` files can be used")
                .with_help("`use` takes the path of a `.seg` file of rules")
        }
        LoadError::TooMany(message) => Diagnostic::new(Code::E0007, span, message.clone())
            .with_label("the limit is passed here")
            .with_help("join the rules into fewer files, or `use` them from the root file"),
        LoadError::TooLarge(size) => Diagnostic::new(
            Code::E0006,
            span,
            format!(
                "`{}` is {size} bytes, more than the limit of {} bytes (1 MiB)",
                path.display(),
                seg_syntax::limits::MAX_FILE_BYTES
            ),
        )
        .with_label("this file is too large")
        .with_help("split the rules into several files joined with `use`"),
    }
}

struct Loader<'a> {
    loader: &'a dyn SourceLoader,
    /// The root file, which decides what a `use` may read.
    root: PathBuf,
    sources: SourceMap,
    files: Vec<(FileId, File)>,
    diagnostics: Vec<Diagnostic>,
    by_key: HashMap<PathBuf, FileId>,
    /// Files being loaded (for cycle detection), with their display paths.
    stack: Vec<(PathBuf, PathBuf)>,
}

impl Loader<'_> {
    fn add(&mut self, display: &Path, key: PathBuf, text: String) {
        let id = self.sources.add(display, text.as_str());
        self.by_key.insert(key.clone(), id);
        let parsed = seg_syntax::parse(&text, id);
        self.diagnostics.extend(parsed.diagnostics);
        let uses: Vec<(String, Span)> = parsed
            .file
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Use(u) => Some((u.path.value.clone(), u.path.span)),
                _ => None,
            })
            .collect();
        self.files.push((id, parsed.file));
        self.stack.push((key, display.to_path_buf()));
        let base = display.parent().map(Path::to_path_buf).unwrap_or_default();
        for (relative, span) in uses {
            let target = normalize(&base.join(&relative));
            if let Some(message) = self.past_limits() {
                self.diagnostics
                    .push(read_error(&target, &LoadError::TooMany(message), span));
                // One report is enough; the files beyond are not read.
                break;
            }
            match self.loader.load_used(&target, &self.root) {
                Ok((target_key, text)) => {
                    if let Some(position) = self.stack.iter().position(|(k, _)| *k == target_key) {
                        let chain: Vec<String> = self.stack[position..]
                            .iter()
                            .map(|(_, d)| format!("`{}`", d.display()))
                            .chain(std::iter::once(format!("`{}`", target.display())))
                            .collect();
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::E0111,
                                span,
                                format!("files use each other in a cycle: {}", chain.join(" → ")),
                            )
                            .with_label("this `use` closes the cycle")
                            .with_help(
                                "remove one `use` of the cycle; a file reached twice is loaded once, so shared definitions can live in a third file",
                            ),
                        );
                    } else if !self.by_key.contains_key(&target_key) {
                        self.add(&target, target_key, text);
                    }
                }
                Err(error) => self.diagnostics.push(read_error(&target, &error, span)),
            }
        }
        self.stack.pop();
    }

    /// Why one more `use` would pass a limit, if it would: the files of one
    /// program, or the depth of `use` chains (which the loader recurses on).
    fn past_limits(&self) -> Option<String> {
        use seg_syntax::limits::{MAX_FILES, MAX_USE_DEPTH};
        if self.files.len() >= MAX_FILES {
            Some(format!("the program uses more than {MAX_FILES} files"))
        } else if self.stack.len() >= MAX_USE_DEPTH {
            Some(format!(
                "files `use` each other more than {MAX_USE_DEPTH} levels deep"
            ))
        } else {
            None
        }
    }
}

/// Removes `.` and resolves `..` against the path's own components, so paths
/// shown to the user read `dir/schema.seg`, not `dir/sub/../schema.seg`.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_normal =
                    matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_normal {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
