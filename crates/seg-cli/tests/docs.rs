//! docs/diagnostics.md is executable: every example that says "`seg check
//! customers.seg` prints:" is run, and its output must match the page verbatim;
//! every "Fix:" must check clean. Run with `SEG_BLESS_DOCS=1` to rewrite the
//! outputs after reviewing a deliberate change of wording.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The line that introduces a command's output: "`seg ...` prints:".
const PRINTS: &str = "` prints:";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The body of the first fenced block of `kind` at or after `from`: (start of
/// body, end of body).
fn fenced(text: &str, kind: &str, from: usize) -> Option<(usize, usize)> {
    let open = format!("```{kind}\n");
    let start = text[from..].find(&open)? + from + open.len();
    let end = text[start..].find("\n```")? + start + 1;
    Some((start, end))
}

/// The files a part of a section defines: each `seg` block is the file named by
/// the line before it ("`stores.seg`:", "with `shared/x.seg` present:"), or
/// `customers.seg` when unnamed. A file said to be "saved as Latin-1" is
/// written in Latin-1.
fn files_in(part: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    // Data files are `csv` blocks named by the line before them.
    let mut from = 0;
    while let Some((s, e)) = fenced(part, "csv", from) {
        let before = part[..s.saturating_sub("```csv\n".len())].trim_end();
        if let Some(name) = before.lines().last().and_then(|l| l.split('`').nth(1)) {
            files.push((name.to_string(), part.as_bytes()[s..e].to_vec()));
        }
        from = e;
    }
    let mut from = 0;
    while let Some((s, e)) = fenced(part, "seg", from) {
        let before = part[..s.saturating_sub("```seg\n".len())].trim_end();
        let label = before.lines().last().unwrap_or("");
        let named = label.ends_with(':') || label.contains("saved as");
        let name = label
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| n.ends_with(".seg") && named)
            .last()
            .unwrap_or("customers.seg")
            .to_string();
        let body = &part[s..e];
        let bytes = if label.contains("Latin-1") {
            body.chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect()
        } else {
            body.as_bytes().to_vec()
        };
        files.push((name, bytes));
        from = e;
    }
    files
}

fn check(dir: &Path, files: &[(String, Vec<u8>)]) -> (i32, String) {
    run(dir, files, &["check", "customers.seg"])
}

fn run(dir: &Path, files: &[(String, Vec<u8>)], args: &[&str]) -> (i32, String) {
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn docs_examples_match_the_compiler() {
    let path = repo_root().join("docs/diagnostics.md");
    let mut text = std::fs::read_to_string(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The page's schema.seg is the first `seg` block after its heading.
    let schema_at = text.find("## The examples on this page").unwrap();
    let (s, e) = fenced(&text, "seg", schema_at).unwrap();
    std::fs::write(dir.path().join("schema.seg"), &text[s..e]).unwrap();

    let bless = std::env::var_os("SEG_BLESS_DOCS").is_some();
    let mut problems = Vec::new();
    let mut examples = 0;
    let mut cursor = 0;
    while let Some(found) = text[cursor..].find(PRINTS) {
        let prints_at = cursor + found;
        let section = text[..prints_at].rfind("\n## ").unwrap_or(0);
        let heading: String = text[section..].lines().nth(1).unwrap_or("").to_string();
        let example_files = files_in(&text[section..prints_at]);
        assert!(
            !example_files.is_empty(),
            "{heading}: no example before `prints:`"
        );
        let case = tempfile::tempdir().unwrap();
        std::fs::copy(
            dir.path().join("schema.seg"),
            case.path().join("schema.seg"),
        )
        .unwrap();
        let (os, oe) = fenced(&text, "text", prints_at).unwrap();
        let next_section = text[prints_at..]
            .find("\n## ")
            .map_or(text.len(), |i| prints_at + i);
        let shortened = text[prints_at..next_section].contains("shortened");
        // The command is the backticked text that ends at "` prints:".
        let line_start = text[..prints_at].rfind('\n').map_or(0, |i| i + 1);
        let command = text[line_start..prints_at]
            .trim_start_matches('`')
            .to_string();
        let words: Vec<&str> = command.split_whitespace().skip(1).collect();
        assert_eq!(
            command.split_whitespace().next(),
            Some("seg"),
            "{heading}: `{command}`"
        );
        // Examples over generated inputs (megabytes of rules) cannot live in
        // the page; only those on `customers.seg` are executable.
        if !words.contains(&"customers.seg") {
            cursor = prints_at + PRINTS.len();
            continue;
        }
        let (_, output) = run(case.path(), &example_files, &words);
        examples += 1;
        let mut blessed = None;
        if !shortened && text[os..oe] != output {
            if bless {
                blessed = Some(output.clone());
            } else {
                problems.push(format!(
                    "{heading}: the page shows\n{}\nbut seg prints\n{output}",
                    &text[os..oe]
                ));
            }
        }
        // The fix, when the section has one, must check clean.
        if let Some(fix_at) = text[prints_at..next_section].find("Fix:") {
            let fix_files = files_in(&text[prints_at + fix_at..next_section]);
            if !fix_files.is_empty() {
                let (status, output) = check(case.path(), &fix_files);
                if status != 0 || output.contains("error[") {
                    problems.push(format!(
                        "{heading}: the fix does not check clean:\n{output}"
                    ));
                }
            }
        }
        // Rewriting the output last keeps the offsets above valid.
        if let Some(output) = blessed {
            text.replace_range(os..oe, &output);
        }
        cursor = prints_at + PRINTS.len();
    }
    if bless {
        std::fs::write(&path, &text).unwrap();
    }
    assert!(examples > 30, "only {examples} examples found");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
