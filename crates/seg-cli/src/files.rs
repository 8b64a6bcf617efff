//! Finding `.seg` files and writing files safely: a file is replaced by
//! writing a temporary file beside it and renaming it over the original, the
//! original's permissions are kept (a new file gets `0666` less the umask), a
//! symbolic link is written through (the link stays a link), and temporary
//! files are removed when the process is interrupted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files being written, removed by the signal handler if the
/// process is interrupted before they are renamed into place.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temporaries() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A poisoned lock only means a thread panicked while holding it; the list
    // itself is still valid.
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary file beside `target` (`.PREFIX-XXXXXX`), registered for
/// removal on SIGINT/SIGTERM/SIGHUP until the returned guard is dropped. It is
/// created with mode `0666` less the umask, as any new file.
pub fn temporary_beside(
    target: &Path,
    prefix: &str,
) -> std::io::Result<(tempfile::NamedTempFile, Registered)> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    // Created and registered under the lock, so that a signal arriving in
    // between cannot miss the file.
    let mut list = temporaries();
    let temp = builder.tempfile_in(dir)?;
    let path = temp.path().to_path_buf();
    list.push(path.clone());
    Ok((temp, Registered(path)))
}

/// Keeps a temporary file registered for removal on interruption.
pub struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        let mut list = temporaries();
        if let Some(i) = list.iter().position(|p| p == &self.0) {
            list.swap_remove(i);
        }
    }
}

/// Removes the registered temporary files when the process receives SIGINT,
/// SIGTERM or SIGHUP, then exits with 128 + the signal's number (130 for
/// SIGINT, 143 for SIGTERM), as the shell reports a process killed by it.
pub fn remove_temporaries_on_signals() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // The lock is kept until exit: no new temporary appears meanwhile.
                let list = temporaries();
                for path in list.iter() {
                    let _ = std::fs::remove_file(path);
                }
                std::process::exit(128 + signal);
            }
        });
    }
}

/// The file a write to `path` replaces: `path` itself or, when it is a
/// symbolic link, the file the link points to, so that the link stays a link.
pub fn write_target(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| match std::fs::read_link(path) {
                // A dangling link: the file it names is created.
                Ok(target) => path.parent().unwrap_or(Path::new(".")).join(target),
                Err(_) => path.to_path_buf(),
            })
        }
        _ => path.to_path_buf(),
    }
}

/// True when `a` and `b` are the same existing file, whatever the paths (a
/// hard link, a symbolic link, `./x` for `x`).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
    }
}

/// Renames a finished temporary file over `target` (the real file, see
/// [`write_target`]), keeping the permissions `target` had.
pub fn replace_with(temp: tempfile::NamedTempFile, target: &Path) -> std::io::Result<()> {
    if let Ok(meta) = std::fs::metadata(target) {
        std::fs::set_permissions(temp.path(), meta.permissions())?;
    }
    temp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

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
/// temporary file beside the real file (through a symbolic link), which is
/// then renamed over it, so a failure leaves the original untouched. The
/// original's permissions are kept.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let target = write_target(path);
    let (mut temp, _registered) = temporary_beside(&target, ".seg-fmt-")?;
    temp.write_all(contents.as_bytes())?;
    temp.as_file().sync_all()?;
    replace_with(temp, &target)
}
