//! Finding `.seg` files and writing files safely.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Expands the command line's paths: files are taken as they are; directories
/// are searched recursively for `.seg` files (skipping hidden directories and
/// `target`), in sorted order. Returns the files and the errors (one line each).
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let before = files.len();
                walk(path, &mut files, &mut errors);
                if files.len() == before {
                    errors.push(format!("no .seg files in `{}`", path.display()));
                }
            }
            Ok(_) => files.push(path.clone()),
            Err(e) => errors.push(format!(
                "cannot read `{}`: {}",
                path.display(),
                seg::io_reason(&e)
            )),
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(format!(
                "cannot read `{}`: {}",
                dir.display(),
                seg::io_reason(&e)
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&path, files, errors);
            }
        } else if path.extension().is_some_and(|e| e == "seg") {
            files.push(path);
        }
    }
}

/// Replaces `path`'s contents with `contents` atomically: the text goes to a
/// temporary file in the same directory, which is then renamed over the
/// original, so a failure leaves the original untouched. The original's
/// permissions are kept.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".seg-fmt-")
        .tempfile_in(dir)?;
    temp.write_all(contents.as_bytes())?;
    temp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(temp.path(), meta.permissions())?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
