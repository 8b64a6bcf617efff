//! The editor grammar (`editors/vscode/syntaxes/seg.tmLanguage.json`) names
//! the language's words again, because TextMate grammars are regexes; this
//! test keeps it true to the one grammar (`grammar/seg.pest`) and the one
//! table of functions (`seg_ir::facts`), so a new keyword or function cannot
//! be forgotten by the editor. How the words are tokenized is tested by the
//! extension's own tests (`editors/vscode/test/`, run with npm by
//! `scripts/test.sh`).

#![allow(clippy::expect_used, clippy::panic)]

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("repository root")
}

/// The quoted words of one pest rule, `name = @{ ("a" | "b") ~ … }`.
fn pest_words(pest: &str, rule: &str) -> Vec<String> {
    let start = pest
        .find(&format!("\n{rule} "))
        .unwrap_or_else(|| panic!("rule `{rule}` not in grammar/seg.pest"));
    let body = &pest[start..];
    let end = body.find('}').expect("end of rule");
    body[..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Whether some `match` regex of the TextMate grammar lists `word` as an
/// alternative of a word-bounded group (`\b(…|word|…)\b`, `days?` for
/// `day` and `days`).
fn listed(regexes: &[String], word: &str) -> bool {
    regexes.iter().any(|regex| {
        regex.split(['(', ')', '|']).any(|alternative| {
            alternative == word
                || alternative.strip_suffix('?').is_some_and(|stem| {
                    stem == word || stem.strip_suffix('s').is_some_and(|s| s == word)
                })
        })
    })
}

fn collect(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if let ("match" | "begin", serde_json::Value::String(s)) = (k.as_str(), v) {
                    out.push(s.clone());
                }
                collect(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[test]
fn the_editor_grammar_knows_every_keyword_aggregate_unit_and_function() {
    let pest = std::fs::read_to_string(root().join("grammar/seg.pest")).expect("grammar");
    let text = std::fs::read_to_string(root().join("editors/vscode/syntaxes/seg.tmLanguage.json"))
        .expect("editor grammar");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the editor grammar is JSON");
    let mut regexes = Vec::new();
    collect(&json, &mut regexes);

    let mut missing = Vec::new();
    let mut words = Vec::new();
    for rule in ["keyword", "agg_func", "unit", "quantifier"] {
        let found = pest_words(&pest, rule);
        assert!(!found.is_empty(), "no words in rule `{rule}`");
        words.extend(found);
    }
    words.extend(
        seg::ir::facts::Func::ALL
            .iter()
            .map(|f| f.name().to_string()),
    );
    for word in &words {
        // `one of` is matched as one phrase.
        let phrase_ok =
            (word == "one" || word == "of") && regexes.iter().any(|r| r.contains("(one)\\s+(of)"));
        if !phrase_ok && !listed(&regexes, word) {
            missing.push(word.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "editors/vscode/syntaxes/seg.tmLanguage.json does not highlight {missing:?}; add them where their kind of word is listed, then `UPDATE_SNAPSHOTS=1 npm test` in editors/vscode"
    );
    // And the test itself sees something: a word that is not Seg's is not listed.
    assert!(!listed(&regexes, "select"));
}
