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

/// The files a new user reads: the README, the docs, the examples, the
/// scripts, and the sources whose doc comments become `--help` texts.
fn cited_in() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "md" || e == "rs" || e == "seg" || e == "py" || e == "sh")
            {
                out.push(path);
            }
        }
    }
    let root = repo_root();
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", "examples", "bench", "scripts"] {
        walk(&root.join(dir), &mut files);
    }
    for crate_dir in std::fs::read_dir(root.join("crates")).unwrap() {
        walk(&crate_dir.unwrap().path().join("src"), &mut files);
    }
    files
}

/// A heading's anchor as GitHub makes it: lower case, punctuation other
/// than `-` and `_` dropped, spaces to `-`.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn headings(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.push(line.trim_start_matches('#').trim().to_string());
        }
    }
    out
}

/// Every path a doc, an example, a script or a help text cites exists, and
/// so does every section it names: a Markdown link's file and `#anchor`, a
/// backticked path inside the repository, and `docs/X.md, "Section"`.
#[test]
fn cited_paths_and_sections_exist() {
    let root = repo_root();
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let path = regex::Regex::new(
        r"`((?:crates|docs|examples|bench|scripts|tests|grammar|editors|python)/[A-Za-z0-9_./-]+)`",
    )
    .unwrap();
    let section =
        regex::Regex::new(r#"(docs/[a-z_A-Z]+\.md)[,:]? \(?(?:section )?"([^"]+)""#).unwrap();
    // Directories the repository ignores (`/bench/data/`) hold what scripts
    // generate: a doc may name them before they exist.
    let generated: Vec<String> = std::fs::read_to_string(root.join(".gitignore"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('/') && l.ends_with('/'))
        .map(|l| l.trim_start_matches('/').to_string())
        .collect();
    let mut broken = Vec::new();
    for file in cited_in() {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(&root).unwrap().display().to_string();
        let is_markdown = file.extension().is_some_and(|e| e == "md");
        if is_markdown {
            for cap in link.captures_iter(&text) {
                let target = &cap[1];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (file_part, anchor) = match target.split_once('#') {
                    Some((f, a)) => (f, Some(a)),
                    None => (target, None),
                };
                let resolved = if file_part.is_empty() {
                    file.clone()
                } else {
                    file.parent().unwrap().join(file_part)
                };
                if !resolved.exists() {
                    broken.push(format!("{shown}: link to `{target}`: no such file"));
                    continue;
                }
                if let Some(anchor) = anchor
                    && resolved.extension().is_some_and(|e| e == "md")
                {
                    let doc = std::fs::read_to_string(&resolved).unwrap();
                    if !headings(&doc).iter().any(|h| anchor_of(h) == anchor) {
                        broken.push(format!("{shown}: link to `{target}`: no such section"));
                    }
                }
            }
        }
        for cap in path.captures_iter(&text) {
            let cited = cap[1].trim_end_matches(['.', ':']);
            if generated.iter().any(|g| cited.starts_with(g.as_str())) {
                continue;
            }
            if !root.join(cited).exists() {
                broken.push(format!("{shown}: `{cited}`: no such file"));
            }
        }
        for cap in section.captures_iter(&text) {
            let doc = root.join(&cap[1]);
            let Ok(doc) = std::fs::read_to_string(&doc) else {
                broken.push(format!("{shown}: `{}`: no such file", &cap[1]));
                continue;
            };
            if !headings(&doc).iter().any(|h| h.contains(&cap[2])) {
                broken.push(format!(
                    "{shown}: {} has no section \"{}\"",
                    &cap[1], &cap[2]
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
