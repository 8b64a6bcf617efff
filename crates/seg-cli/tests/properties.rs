//! Properties over generated input:
//! - `fmt` is idempotent and preserves meaning: `parse(fmt(x)) == parse(x)` as
//!   trees (compared through the span-free dump), and keeps every comment;
//! - the parser and checker never panic, on arbitrary text and on token soup.
//!
//! Programs are generated from the grammar with random spacing, line breaks
//! and comments between tokens, so the formatter sees layouts people write.
//! `PROPTEST_CASES` raises the case count for a longer local run.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use seg::diagnostics::FileId;

/// Whitespace between tokens: a space, a line break with indentation, or a
/// comment that ends the line.
fn gap() -> BoxedStrategy<String> {
    prop_oneof![
        6 => Just(" ".to_string()),
        1 => Just("  ".to_string()),
        1 => Just("\n    ".to_string()),
        1 => "[a-z ]{0,12}".prop_map(|c| format!("  # {c}\n  ")),
    ]
    .boxed()
}

fn name() -> BoxedStrategy<String> {
    prop_oneof![
        8 => prop::sample::select(vec![
            "age", "country", "lifetime_value", "interests", "signup_date", "last_purchase_at",
            "vip", "tier", "x", "_y2", "total_orders",
        ])
        .prop_map(str::to_string),
        1 => "[A-Za-z][A-Za-z0-9 ]{0,8}".prop_map(|n| format!("`{n}`")),
    ]
    .boxed()
}

fn string_literal() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-zA-Z0-9 @._-]{0,10}".prop_map(|s| format!("\"{s}\"")),
        Just("\"quote \\\" and \\\\ and \\n \\t \\u{e9}\"".to_string()),
        Just("\"Zürich ✓\"".to_string()),
    ]
    .boxed()
}

fn literal() -> BoxedStrategy<String> {
    prop_oneof![
        (0u32..100_000).prop_map(|n| n.to_string()),
        Just("1_000_000".to_string()),
        (0u32..10_000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b:02}")),
        string_literal(),
        Just("true".to_string()),
        Just("false".to_string()),
        (2000u32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        Just("2024-01-31T10:00:00Z".to_string()),
        Just("2024-01-31T10:00:00.123456+02:00".to_string()),
    ]
    .boxed()
}

fn duration() -> BoxedStrategy<String> {
    (
        0u32..400,
        prop::sample::select(vec![
            "minute", "hours", "day", "days", "weeks", "month", "years",
        ]),
    )
        .prop_map(|(n, u)| format!("{n} {u}"))
        .boxed()
}

fn atom() -> BoxedStrategy<String> {
    prop_oneof![
        4 => name(),
        4 => literal(),
        1 => duration().prop_map(|d| format!("{d} ago")),
        1 => Just("today".to_string()),
        1 => Just("now".to_string()),
        1 => (prop::sample::select(vec!["lower", "length", "days_since", "year"]), name())
            .prop_map(|(f, a)| format!("{f}({a})")),
        1 => (name(), literal()).prop_map(|(a, b)| format!("coalesce({a}, {b})")),
    ]
    .boxed()
}

/// An arithmetic-level expression (what may stand beside a comparison).
fn sum(inner: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let operand = prop_oneof![
        6 => atom(),
        1 => atom().prop_map(|a| format!("-{a}")),
        1 => inner.prop_map(|b| format!("({b})")).boxed(),
    ];
    (
        operand.clone(),
        prop::collection::vec(
            (
                prop::sample::select(vec!["+", "-", "*", "/", "%"]),
                gap(),
                operand,
            ),
            0..3,
        ),
    )
        .prop_map(|(first, rest)| {
            let mut s = first;
            for (op, g, e) in rest {
                s.push_str(&format!(" {op}{g}{e}"));
            }
            s
        })
        .boxed()
}

fn list() -> BoxedStrategy<String> {
    prop::collection::vec(literal(), 0..4)
        .prop_map(|items| format!("[{}]", items.join(", ")))
        .boxed()
}

fn predicate(inner: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let s = sum(inner);
    prop_oneof![
        2 => s.clone(),
        3 => (s.clone(), prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]), gap(), s.clone())
            .prop_map(|(a, op, g, b)| format!("{a} {op}{g}{b}")),
        1 => (s.clone(), any::<bool>(), list()).prop_map(|(a, n, l)| format!("{a} {}in {l}", if n { "not " } else { "" })),
        1 => (s.clone(), any::<bool>(), s.clone(), s.clone())
            .prop_map(|(a, n, lo, hi)| format!("{a} {}between {lo} and {hi}", if n { "not " } else { "" })),
        1 => (s.clone(), prop::sample::select(vec!["contains", "not contains", "starts with", "not ends with", "matches"]), string_literal())
            .prop_map(|(a, op, l)| format!("{a} {op} {l}")),
        1 => (name(), prop::sample::select(vec!["any", "all", "none"]), list())
            .prop_map(|(a, q, l)| format!("{a} contains {q} {l}")),
        1 => (s.clone(), prop::sample::select(vec!["missing", "present", "not missing"]))
            .prop_map(|(a, w)| format!("{a} is {w}")),
        1 => (name(), duration()).prop_map(|(a, d)| format!("{a} within {d}")),
        1 => (name(), prop::sample::select(vec!["before", "after"]), s)
            .prop_map(|(a, w, b)| format!("{a} {w} {b}")),
    ]
    .boxed()
}

/// A boolean-level expression.
fn condition() -> BoxedStrategy<String> {
    let leaf = predicate(name());
    leaf.prop_recursive(4, 32, 4, |inner| {
        let p = predicate(inner.clone().boxed());
        prop_oneof![
            3 => p.clone(),
            1 => p.clone().prop_map(|x| format!("not {x}")),
            2 => prop::collection::vec((gap(), p.clone()), 1..4).prop_map(|rest| rest
                .into_iter()
                .map(|(g, x)| format!("{g}{x}"))
                .collect::<Vec<_>>()
                .join(" and")),
            2 => (p.clone(), prop::collection::vec((gap(), p), 1..4)).prop_map(|(first, rest)| {
                let mut s = first;
                for (g, x) in rest {
                    s.push_str(&format!(" or{g}{x}"));
                }
                s
            }),
            1 => inner.prop_map(|x| format!("({x})")),
        ]
    })
    .boxed()
}

fn item() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (name(), prop::option::of(string_literal()), gap(), condition(), prop::option::of(condition()))
            .prop_map(|(n, title, g, w, x)| {
                let title = title.map(|t| format!(" {t}")).unwrap_or_default();
                let exclude = x.map(|x| format!("\n  exclude {x}")).unwrap_or_default();
                format!("segment {n}{title} {{{g}where {w}{exclude}\n}}")
            }),
        1 => (name(), prop_oneof![literal(), list(), duration(), (1u32..100).prop_map(|n| format!("-{n}"))])
            .prop_map(|(n, v)| format!("param {n} = {v}")),
        1 => prop::collection::vec((name(), prop::sample::select(vec!["int key", "string pii", "decimal", "list<string>", "string one of [\"a\", \"b\"]"])), 0..4)
            .prop_map(|fields| {
                let body: String = fields.iter().map(|(n, t)| format!("  {n}: {t}\n")).collect();
                format!("schema {{\n{body}}}")
            }),
        1 => prop::collection::vec(name(), 0..4)
            .prop_map(|entries| format!("priority p {{ {} }}", entries.join(" "))),
        1 => (string_literal(), prop::collection::vec((name(), literal()), 0..4), prop::collection::vec((any::<bool>(), name()), 0..3))
            .prop_map(|(n, given, expects)| {
                let given: Vec<String> = given.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                let expects: String = expects
                    .iter()
                    .map(|(neg, s)| format!("  expect {}{s}\n", if *neg { "not " } else { "" }))
                    .collect();
                format!("test {n} {{\n  as_of 2026-11-24\n  given {{ {} }}\n{expects}}}", given.join(", "))
            }),
        1 => string_literal().prop_map(|p| format!("use {p}")),
    ]
    .boxed()
}

fn program() -> BoxedStrategy<String> {
    prop::collection::vec(
        (
            item(),
            prop_oneof![
                Just("\n"),
                Just("\n\n"),
                Just("\n# note\n"),
                Just("  # trailing\n\n\n")
            ],
        ),
        0..6,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .map(|(i, sep)| format!("{i}{sep}"))
            .collect()
    })
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn fmt_is_idempotent_and_preserves_meaning(source in program()) {
        let parsed = seg::syntax::parse(&source, FileId(0));
        // The generator only writes valid syntax, but literal validation may still
        // reject something (an impossible date, say); those are not the point here.
        prop_assume!(!parsed.has_errors());
        let once = seg::syntax::format_file(&parsed.file, &source);
        let reparsed = seg::syntax::parse(&once, FileId(0));
        prop_assert!(!reparsed.has_errors(), "formatted text does not parse:\n{}\n{:?}", once, reparsed.diagnostics);
        prop_assert_eq!(seg::syntax::ast::dump(&reparsed.file), seg::syntax::ast::dump(&parsed.file));
        prop_assert_eq!(reparsed.file.comments.len(), parsed.file.comments.len(), "a comment was lost:\n{}", once);
        let twice = seg::syntax::format_file(&reparsed.file, &once);
        prop_assert_eq!(&once, &twice, "not idempotent");
    }

    #[test]
    fn checking_generated_programs_never_panics(source in program()) {
        let _ = seg::check_source(std::path::Path::new("generated.seg"), &source);
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(source in "\\PC{0,200}") {
        let _ = seg::syntax::parse(&source, FileId(0));
    }

    #[test]
    fn parser_never_panics_on_token_soup(tokens in prop::collection::vec(prop::sample::select(vec![
        "segment", "where", "exclude", "schema", "param", "priority", "test", "given", "expect",
        "use", "and", "or", "not", "in", "between", "contains", "any", "starts", "with", "is",
        "missing", "within", "before", "ago", "days", "x", "1", "1.5", "\"s\"", "\"", "(", ")",
        "[", "]", "{", "}", ",", ":", "==", "=", "<", "-", "+", "#", "\n", "`", "2024-02-30",
        "2024-01-01T00:00:00", "\\", "é",
    ]), 0..60)) {
        let source = tokens.join(" ");
        let parsed = seg::syntax::parse(&source, FileId(0));
        // Whatever parsed must format and re-parse without panicking.
        if !parsed.has_errors() {
            let formatted = seg::syntax::format_file(&parsed.file, &source);
            let _ = seg::syntax::parse(&formatted, FileId(0));
        }
        let _ = seg::check_source(std::path::Path::new("soup.seg"), &source);
    }
}
