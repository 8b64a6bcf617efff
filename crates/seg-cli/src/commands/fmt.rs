//! `seg fmt [FILES or DIRS]...`: rewrite rule files in the canonical layout.
//!
//! A file is only rewritten when it parses without errors and its formatted
//! text parses back to the same tree; the new text replaces the old one
//! atomically. `--check` changes nothing, lists the files that would change
//! and exits 1 if there are any; with `--diff` it prints what would change
//! as a unified diff instead of the names. `-` reads standard input and writes standard
//! output.

use crate::Outcome;
use crate::files::{expand, write_atomically};
use crate::render;
use seg::diagnostics::{Code, Diagnostic, FileId, SourceMap, Span};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Arguments of `seg fmt`.
#[derive(clap::Args)]
pub struct Args {
    /// Rule files, directories to search for `.seg` files, or `-` for stdin [default: .]
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that would change and exit 1 if any would.
    #[arg(long)]
    check: bool,
    /// With `--check`: print a unified diff of what formatting would change,
    /// per file, on standard output.
    #[arg(long, requires = "check")]
    diff: bool,
}

/// The unified diff (three lines of context) from `old` to `new`, headed
/// `--- a/PATH` / `+++ b/PATH` as `git diff` and `patch -p1` expect (an
/// absolute path, which has no such prefix, as it is); empty when the texts
/// are equal.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let (a, b) = if path.starts_with('/') {
        (path.to_string(), path.to_string())
    } else {
        (format!("a/{path}"), format!("b/{path}"))
    };
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .missing_newline_hint(true)
        .to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The formatted text, or the diagnostics that prevent formatting.
pub fn format_text(path: &Path, text: &str) -> Result<String, (Vec<Diagnostic>, SourceMap)> {
    let mut sources = SourceMap::new();
    let file = sources.add(path, text);
    let parsed = seg::syntax::parse(text, file);
    if parsed.has_errors() {
        return Err((parsed.diagnostics, sources));
    }
    let formatted = seg::syntax::format_file(&parsed.file, text);
    // The formatter must never change meaning; refuse to write if it would.
    let reparsed = seg::syntax::parse(&formatted, FileId(0));
    if reparsed.has_errors()
        || seg::syntax::ast::dump(&reparsed.file) != seg::syntax::ast::dump(&parsed.file)
    {
        let diagnostic = Diagnostic::new(
            Code::E0901,
            Span::new(file, 0, 0),
            "internal error: formatting would change the meaning of this file",
        )
        .with_label("file left unchanged")
        .with_help("please report this, with the file, at the Seg issue tracker");
        return Err((vec![diagnostic], sources));
    }
    Ok(formatted)
}

/// Runs `seg fmt`.
pub fn run(args: &Args) -> Outcome {
    let color = crate::commands::check::Color::Auto.enabled();
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            eprintln!("error: `-` (standard input) cannot be combined with other paths");
            return Outcome::Failure;
        }
        return run_stdin(args.check, args.diff, color);
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (files, io_errors) = expand(&paths);
    let mut failure = !io_errors.is_empty();
    for error in &io_errors {
        eprintln!("error[E0801]: {error}");
    }
    let mut findings = false;
    let mut changed = 0;
    for path in &files {
        let text = match seg::read_source(path) {
            Ok((_, text)) => text,
            Err(error) => {
                let mut sources = SourceMap::new();
                let file = sources.add(path, "");
                let d = seg::check_program_load_error(path, &error, Span::new(file, 0, 0));
                eprint!("{}", render::human(&[d], &sources, color));
                failure = true;
                continue;
            }
        };
        match format_text(path, &text) {
            Err((diagnostics, sources)) => {
                eprint!("{}", render::human(&diagnostics, &sources, color));
                findings = true;
            }
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                if args.check {
                    changed += 1;
                    let shown = render::display_path(path);
                    if args.diff {
                        crate::out!("{}", unified_diff(&shown, &text, &formatted));
                    } else {
                        crate::outln!("{shown}");
                    }
                    findings = true;
                } else if is_read_only(path) {
                    // Renaming over a file replaces it even when the file
                    // itself is read-only: its mode says not to.
                    eprintln!(
                        "error[E0804]: `{}` is read-only; it was not formatted",
                        path.display()
                    );
                    eprintln!(
                        "  help: make it writable (chmod u+w) to format it, or see the changes with `seg fmt --check`"
                    );
                    failure = true;
                } else if let Err(e) = write_atomically(path, &formatted) {
                    eprintln!(
                        "error[E0801]: cannot write `{}`: {}",
                        path.display(),
                        seg::io_reason(&e)
                    );
                    failure = true;
                } else {
                    // Only files actually rewritten are counted.
                    changed += 1;
                }
            }
        }
    }
    let noun = |n: usize| if n == 1 { "file" } else { "files" };
    if args.check {
        if changed > 0 {
            eprintln!(
                "{changed} of {} {} would be reformatted",
                files.len(),
                noun(files.len())
            );
        }
    } else {
        eprintln!(
            "formatted {changed} of {} {}",
            files.len(),
            noun(files.len())
        );
    }
    if failure {
        Outcome::Failure
    } else if findings {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

/// True when the file (through a symbolic link, the file it points to) has
/// no write permission for anyone.
fn is_read_only(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly())
}

fn run_stdin(check: bool, diff: bool, color: bool) -> Outcome {
    let mut bytes = Vec::new();
    let limit = seg::syntax::limits::MAX_FILE_BYTES as u64;
    if let Err(e) = std::io::stdin().take(limit + 1).read_to_end(&mut bytes) {
        eprintln!(
            "error[E0801]: cannot read standard input: {}",
            seg::io_reason(&e)
        );
        return Outcome::Failure;
    }
    let Ok(text) = String::from_utf8(bytes) else {
        eprintln!("error[E0802]: standard input is not UTF-8 text");
        return Outcome::Failure;
    };
    let path = Path::new("<stdin>");
    match format_text(path, &text) {
        Err((diagnostics, sources)) => {
            eprint!("{}", render::human(&diagnostics, &sources, color));
            Outcome::Findings
        }
        Ok(formatted) => {
            if check {
                if formatted != text {
                    if diff {
                        crate::out!("{}", unified_diff("<stdin>", &text, &formatted));
                    } else {
                        crate::outln!("<stdin>");
                    }
                    return Outcome::Findings;
                }
                return Outcome::Clean;
            }
            let mut out = std::io::stdout().lock();
            if out
                .write_all(formatted.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return Outcome::Failure;
            }
            Outcome::Clean
        }
    }
}
