//! Writing files safely (issue 9, items 10 and 12): `--out` never replaces an
//! input, results get the permissions a new file or the replaced file has,
//! symbolic links are written through, `seg fmt` respects read-only files and
//! counts only what it wrote, and an interrupted run leaves no temporary file.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

mod common;

use common::{code, seg, stderr};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const RULES: &str = "schema {\n  id: int key\n  n: int\n}\n\nsegment big {\n  where n >= 5\n}\n";
const DATA: &str = "id,n\n1,5\n2,6\n3,1\n";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.seg"), RULES).unwrap();
    std::fs::write(dir.path().join("data.csv"), DATA).unwrap();
    dir
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".seg-"))
        .collect()
}

/// `--out` naming the data file, by any path to it, is refused before
/// anything is read or written.
#[test]
fn out_equal_to_data_is_refused() {
    let dir = workspace();
    std::os::unix::fs::symlink("data.csv", dir.path().join("link.csv")).unwrap();
    std::fs::hard_link(dir.path().join("data.csv"), dir.path().join("hard.csv")).unwrap();
    for out in ["data.csv", "./data.csv", "link.csv", "hard.csv"] {
        let output = seg(
            &["run", "rules.seg", "--data", "data.csv", "--out", out],
            dir.path(),
        );
        assert_eq!(code(&output), 2, "{out}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(&format!(
                "error[E0803]: `--out {out}` is the data file `data.csv`; writing the results would replace it"
            )),
            "{out}: {}",
            stderr(&output)
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("data.csv")).unwrap(),
            DATA,
            "{out} replaced the data"
        );
        assert!(
            std::fs::symlink_metadata(dir.path().join("link.csv"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    assert!(temporaries(dir.path()).is_empty());
}

fn run_with_umask(dir: &Path, umask: &str, out: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask {umask} && exec \"$0\" run rules.seg --data data.csv --out {out}"
        ))
        .arg(env!("CARGO_BIN_EXE_seg"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A new results file has `0666` less the umask; a replaced one keeps its mode.
#[test]
fn results_respect_the_umask_and_keep_the_replaced_mode() {
    let dir = workspace();
    let out = dir.path().join("out.csv");
    let output = run_with_umask(dir.path(), "027", "out.csv");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(mode(&out), 0o640);
    std::fs::remove_file(&out).unwrap();
    let output = run_with_umask(dir.path(), "002", "out.csv");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(mode(&out), 0o664);
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o604)).unwrap();
    let output = run_with_umask(dir.path(), "077", "out.csv");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(mode(&out), 0o604, "overwriting changed the mode");
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("id,big"));
}

/// `--out` through a symbolic link writes the file it points to; the link
/// stays a link.
#[test]
fn out_through_a_symlink_writes_the_target() {
    let dir = workspace();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/out.csv"), "old\n").unwrap();
    std::os::unix::fs::symlink("real/out.csv", dir.path().join("out.csv")).unwrap();
    let output = seg(
        &["run", "rules.seg", "--data", "data.csv", "--out", "out.csv"],
        dir.path(),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let link = std::fs::symlink_metadata(dir.path().join("out.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let written = std::fs::read_to_string(dir.path().join("real/out.csv")).unwrap();
    assert_eq!(written, "id,big\n1,true\n2,true\n3,false\n");
    assert!(temporaries(dir.path()).is_empty());
    assert!(temporaries(&dir.path().join("real")).is_empty());
    // A dangling link: the file it names is created.
    std::os::unix::fs::symlink("real/new.csv", dir.path().join("new.csv")).unwrap();
    let output = seg(
        &["run", "rules.seg", "--data", "data.csv", "--out", "new.csv"],
        dir.path(),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        std::fs::symlink_metadata(dir.path().join("new.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real/new.csv")).unwrap(),
        written
    );
}

const UNFORMATTED: &str = "schema {\n id: int key\n   n: int\n}\nsegment big { where n >= 5 }\n";

/// `seg fmt` on a symbolic link formats the file it points to.
#[test]
fn fmt_writes_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/r.seg"), UNFORMATTED).unwrap();
    std::os::unix::fs::symlink("real/r.seg", dir.path().join("r.seg")).unwrap();
    let output = seg(&["fmt", "r.seg"], dir.path());
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        std::fs::symlink_metadata(dir.path().join("r.seg"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real/r.seg")).unwrap(),
        RULES
    );
    assert!(stderr(&output).contains("formatted 1 of 1 file"));
}

/// `seg fmt` does not rewrite a read-only file, and counts only the files it
/// wrote.
#[test]
fn fmt_refuses_a_read_only_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.seg");
    std::fs::write(&path, UNFORMATTED).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let output = seg(&["fmt", "r.seg"], dir.path());
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("error[E0804]: `r.seg` is read-only; it was not formatted"),
        "{err}"
    );
    assert!(err.contains("formatted 0 of 1 file"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), UNFORMATTED);
    assert_eq!(mode(&path), 0o444);
    // `--check` still reports it.
    let output = seg(&["fmt", "--check", "r.seg"], dir.path());
    assert_eq!(code(&output), 1, "{}", stderr(&output));
}

/// SIGINT and SIGTERM during a run remove the temporary results file; the
/// exit status is 128 + the signal.
#[test]
fn interrupted_run_leaves_no_temporary_file() {
    let dir = workspace();
    let mut data = String::from("id,n\n");
    for i in 0..1_500_000 {
        data.push_str(&format!("{i},{}\n", i % 10));
    }
    std::fs::write(dir.path().join("big.csv"), data).unwrap();
    for (signal, status) in [("INT", 130), ("TERM", 143)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
            .args([
                "run",
                "rules.seg",
                "--data",
                "big.csv",
                "--out",
                "out.csv",
                "--batch-rows",
                "100",
                "--threads",
                "1",
            ])
            .current_dir(dir.path())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while temporaries(dir.path()).is_empty() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "no temporary file appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let kill = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let exit = child.wait().unwrap();
        assert_eq!(exit.code(), Some(status), "SIG{signal}: {exit:?}");
        assert!(
            temporaries(dir.path()).is_empty(),
            "SIG{signal} left {:?}",
            temporaries(dir.path())
        );
        assert!(!dir.path().join("out.csv").exists());
    }
}
