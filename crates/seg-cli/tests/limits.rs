//! Limits against hostile input, each tested at the limit and one past it. Past
//! a limit the result is a coded diagnostic, never a crash or a hang.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use seg::diagnostics::{Code, FileId};
use seg::syntax::limits::{
    MAX_FILE_BYTES, MAX_FILES, MAX_LIST_LEN, MAX_NESTING, MAX_NODES, MAX_SEGMENTS, MAX_USE_DEPTH,
};
use seg::syntax::parse;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn codes(text: &str) -> Vec<Code> {
    parse(text, FileId(0))
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

/// A valid file padded with comment lines to exactly `size` bytes.
fn file_of_size(size: usize) -> String {
    let mut text = String::from("param x = 1\n");
    let line = format!("#{}\n", "x".repeat(98));
    while text.len() + line.len() <= size {
        text.push_str(&line);
    }
    let rest = size - text.len();
    if rest > 0 {
        text.push('#');
        text.push_str(&"y".repeat(rest - 1));
    }
    assert_eq!(text.len(), size);
    text
}

#[test]
fn file_size_limit() {
    assert_eq!(codes(&file_of_size(MAX_FILE_BYTES)), vec![]);
    assert_eq!(codes(&file_of_size(MAX_FILE_BYTES + 1)), vec![Code::E0006]);
}

fn nested_parens(depth: usize) -> String {
    format!(
        "segment s {{ where {}x > 1{} }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

#[test]
fn nesting_limit() {
    assert_eq!(codes(&nested_parens(MAX_NESTING)), vec![]);
    assert_eq!(codes(&nested_parens(MAX_NESTING + 1)), vec![Code::E0003]);
    // Far past the limit: one diagnostic, no stack overflow.
    let deep = format!("segment s {{ where {} }}\n", "(".repeat(200_000));
    assert_eq!(codes(&deep), vec![Code::E0003]);
    let lists = format!(
        "segment s {{ where x in {}1{} }}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(codes(&lists), vec![Code::E0003]);
}

#[test]
fn operator_chains_cannot_build_deep_trees() {
    // `not not not ... x` and `- - - ... 1` are repetitions in the grammar; the
    // tree they would build is capped instead of recursed into later.
    let nots = format!("segment s {{ where {}x }}\n", "not ".repeat(100_000));
    assert_eq!(codes(&nots), vec![Code::E0003]);
    let negs = format!("segment s {{ where {}1 > 0 }}\n", "-".repeat(100_000));
    assert_eq!(codes(&negs), vec![Code::E0003]);
    let sums = format!("segment s {{ where 1{} > 0 }}\n", " + 1".repeat(50_000));
    assert_eq!(codes(&sums), vec![Code::E0003]);
    // A realistic chain stays fine.
    let ok = format!("segment s {{ where {}x }}\n", "not ".repeat(10));
    assert_eq!(codes(&ok), vec![]);
}

/// `x and x and ...` with `operands` names is `operands + 1` nodes.
fn and_chain(operands: usize) -> String {
    let mut text = String::from("segment s { where x");
    for _ in 1..operands {
        text.push_str(" and x");
    }
    text.push_str(" }\n");
    text
}

#[test]
fn node_limit() {
    assert_eq!(codes(&and_chain(MAX_NODES - 1)), vec![]);
    assert_eq!(codes(&and_chain(MAX_NODES)), vec![Code::E0007]);
}

fn list_of(len: usize) -> String {
    let items = vec!["1"; len].join(",");
    format!("segment s {{ where x in [{items}] }}\n")
}

#[test]
fn list_length_limit() {
    assert_eq!(codes(&list_of(MAX_LIST_LEN)), vec![]);
    assert_eq!(codes(&list_of(MAX_LIST_LEN + 1)), vec![Code::E0008]);
}

#[test]
fn many_broken_items_each_get_a_diagnostic() {
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!("segment s{i} {{ where age = {i} }}\n"));
    }
    let found = codes(&text);
    assert_eq!(found.len(), 1000);
    assert!(found.iter().all(|c| *c == Code::E0001));
}

/// Files served from memory, for programs of many files.
struct Memory(HashMap<PathBuf, String>);

impl seg::SourceLoader for Memory {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), seg::LoadError> {
        self.0
            .get(path)
            .map(|text| (path.to_path_buf(), text.clone()))
            .ok_or_else(|| seg::LoadError::Io("no such file".into()))
    }
}

fn program_codes(files: Vec<(String, String)>) -> Vec<Code> {
    let memory = Memory(
        files
            .into_iter()
            .map(|(name, text)| (PathBuf::from(name), text))
            .collect(),
    );
    let checked = seg::check::check_program(Path::new("main.seg"), &memory);
    checked.diagnostics.iter().map(|d| d.code).collect()
}

/// `main.seg` with the schema and `segments` segments spread over files of
/// 25,000 segments each.
fn program_with_segments(segments: usize) -> Vec<(String, String)> {
    let mut main = String::from("schema { a: bool }\n");
    let mut files = Vec::new();
    let mut n = 0;
    while n < segments {
        let name = format!("part{}.seg", files.len());
        main.push_str(&format!("use \"{name}\"\n"));
        let mut text = String::new();
        for _ in 0..25_000.min(segments - n) {
            text.push_str(&format!("segment s{n} {{ where a }}\n"));
            n += 1;
        }
        assert!(text.len() <= MAX_FILE_BYTES);
        files.push((name, text));
    }
    files.push(("main.seg".into(), main));
    files
}

#[test]
fn segments_per_program_limit() {
    assert_eq!(program_codes(program_with_segments(MAX_SEGMENTS)), vec![]);
    assert_eq!(
        program_codes(program_with_segments(MAX_SEGMENTS + 1)),
        vec![Code::E0007]
    );
}

#[test]
fn files_per_program_limit() {
    let program = |files: usize| {
        let mut main = String::from("schema { a: bool }\n");
        let mut all = Vec::new();
        for i in 1..files {
            main.push_str(&format!("use \"f{i}.seg\"\n"));
            all.push((format!("f{i}.seg"), format!("segment s{i} {{ where a }}\n")));
        }
        all.push(("main.seg".into(), main));
        all
    };
    assert_eq!(program_codes(program(MAX_FILES)), vec![]);
    assert_eq!(program_codes(program(MAX_FILES + 1)), vec![Code::E0007]);
}

#[test]
fn use_depth_limit() {
    // main.seg uses d1.seg, which uses d2.seg, ...: `files` files in a chain.
    let chain = |files: usize| {
        let mut all = vec![(
            "main.seg".to_string(),
            "schema { a: bool }\nuse \"d1.seg\"\n".to_string(),
        )];
        for i in 1..files {
            let next = if i + 1 < files {
                format!("use \"d{}.seg\"\n", i + 1)
            } else {
                String::new()
            };
            all.push((
                format!("d{i}.seg"),
                format!("{next}segment s{i} {{ where a }}\n"),
            ));
        }
        all
    };
    assert_eq!(program_codes(chain(MAX_USE_DEPTH)), vec![]);
    assert_eq!(program_codes(chain(MAX_USE_DEPTH + 1)), vec![Code::E0007]);
}
