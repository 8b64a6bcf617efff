//! Limits against hostile input, each tested at the limit and one past it. Past
//! a limit the result is a coded diagnostic, never a crash or a hang.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use seg::diagnostics::{Code, FileId};
use seg::syntax::limits::{MAX_FILE_BYTES, MAX_LIST_LEN, MAX_NESTING, MAX_NODES};
use seg::syntax::parse;

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
