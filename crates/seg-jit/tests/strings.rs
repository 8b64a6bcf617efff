//! The batch-level string and list helpers (`src/strings.rs`) against the
//! reference evaluator, row for row: Utf8, LargeUtf8 and Utf8View columns,
//! List and LargeList of plain, large, view and dictionary strings and of
//! ints of every accepted width; arrays sliced at offsets that are not
//! multiples of 8 or 64; no nulls, some nulls and only nulls; empty strings,
//! empty lists, null lists and null elements; multi-byte UTF-8 around the
//! boundaries of prefixes and suffixes; batches of 1, 63, 64, 65 and 130
//! rows (each also sliced by `common::agree_at`). Every predicate is also
//! tested negated, so that a row wrongly missing (neither true nor false)
//! shows as a difference.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::datatypes::{Int8Type, Int32Type};
use arrow::record_batch::RecordBatch;
use proptest::prelude::*;
use seg_testkit::Rng;
use std::sync::Arc;

const SIZES: [usize; 5] = [1, 63, 64, 65, 130];

/// Strings chosen to sit on the edges of the predicates below: suffixes and
/// prefixes that almost match, multi-byte characters next to the matched
/// part, lengths 0 to 8 and longer (packed compares), view strings longer
/// than 12 bytes (out of line).
const POOL: [&str; 24] = [
    "",
    "a",
    "bb",
    "ccc",
    "CA",
    "OR",
    "WA",
    "ca",
    "a@gmail.com",
    "bob@gmail.com",
    "x@gmail.co",
    "@gmail.com",
    "gmail.com",
    "é@gmail.com",
    "Zürich",
    "zürich",
    "ZÜRICH",
    "日本語",
    "naïve",
    "ü",
    "üü",
    "a long string over twelve bytes",
    "a long string over twelve byteS",
    "m",
];

/// The schema of the tests over one list column.
const SCHEMA_LS: &str = r#"schema {
  ls: list<string>
}
param many = ["p0", "CA", "a"]
"#;

const SCHEMA: &str = r#"schema {
  su: string
  sl: string
  sv: string
  ls: list<string>
  lls: list<string>
  lsv: list<string>
  lsd: list<string>
  li8: list<int>
  li32: list<int>
  li64: list<int>
  lu32: list<int>
}
param many = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13", "p14", "p15", "p16", "p17", "p18", "p19", "CA"]
"#;

/// The string predicates, `{c}` standing for the column.
const STRING_PREDICATES: [&str; 27] = [
    "{c} == \"a@gmail.com\"",
    "{c} == \"\"",
    "{c} != \"Zürich\"",
    "{c} < \"m\"",
    "{c} <= \"ZÜRICH\"",
    "{c} > \"a long string over twelve bytes\"",
    "{c} >= \"ü\"",
    "{c} in [\"CA\", \"OR\", \"WA\", \"NV\", \"AZ\", \"CO\", \"UT\"]",
    "{c} in [\"\", \"ü\", \"日本語\", \"a long string over twelve bytes\", \"bb\"]",
    "{c} not in [\"a\", \"Zürich\"]",
    "{c} in many",
    "{c} not in many",
    "{c} ends with \"@gmail.com\"",
    "{c} ends with \"ich\"",
    "{c} ends with \"ü\"",
    "{c} ends with \"\"",
    "{c} not ends with \"com\"",
    "{c} starts with \"Zü\"",
    "{c} starts with \"a long string over twelve\"",
    "{c} not starts with \"\"",
    "{c} contains \"gmail\"",
    "{c} contains \"ü\"",
    "{c} not contains \"\"",
    "{c} is missing",
    "{c} is present",
    "lower({c}) ends with \"ürich\"",
    "coalesce({c}, \"none\") == \"none\"",
];

/// The list predicates, `{c}` standing for a list of strings.
const LIST_STRING_PREDICATES: [&str; 9] = [
    "{c} contains \"a\"",
    "{c} contains \"Zürich\"",
    "{c} contains \"\"",
    "{c} contains any [\"bb\", \"ü\", \"üü\", \"a long string over twelve bytes\"]",
    "{c} contains all [\"a\", \"bb\"]",
    "{c} contains none [\"ccc\", \"日本語\"]",
    "{c} contains any many",
    "{c} contains all []",
    "{c} contains any []",
];

/// The list predicates over lists of ints.
const LIST_INT_PREDICATES: [&str; 5] = [
    "{c} contains 1",
    "{c} contains any [-1, 127, 300]",
    "{c} contains all [1, 2]",
    "{c} contains none [0]",
    "{c} contains any [-128, 65535]",
];

/// A program of one segment per predicate and one per its negation, over
/// every column of `columns`.
fn program_of(columns: &[&str], predicates: &[&str], extra: &[String]) -> String {
    program_over(SCHEMA, columns, predicates, extra)
}

/// [`program_of`] over another schema.
fn program_over(schema: &str, columns: &[&str], predicates: &[&str], extra: &[String]) -> String {
    let mut source = schema.to_string();
    let mut n = 0;
    let mut add = |cond: String| {
        source.push_str(&format!("segment s{n} {{ where {cond} }}\n"));
        source.push_str(&format!("segment n{n} {{ where not ({cond}) }}\n"));
        n += 1;
    };
    for c in columns {
        for p in predicates {
            add(p.replace("{c}", c));
        }
    }
    for e in extra {
        add(e.clone());
    }
    source
}

/// Null rates: none, some, every row.
#[derive(Clone, Copy, Debug)]
enum Nulls {
    None,
    Some,
    All,
}

fn present(rng: &mut Rng, nulls: Nulls) -> bool {
    match nulls {
        Nulls::None => true,
        Nulls::Some => rng.below(4) != 0,
        Nulls::All => false,
    }
}

fn strings(rng: &mut Rng, rows: usize, nulls: Nulls) -> Vec<Option<&'static str>> {
    (0..rows)
        .map(|_| {
            let s = POOL[rng.below(POOL.len() as u64) as usize];
            present(rng, nulls).then_some(s)
        })
        .collect()
}

/// Lists of 0 to 5 elements, some missing (when nulls are wanted).
fn lists(rng: &mut Rng, rows: usize, nulls: Nulls) -> Vec<Option<Vec<Option<&'static str>>>> {
    (0..rows)
        .map(|_| {
            let len = rng.below(6) as usize;
            let row: Vec<Option<&str>> = (0..len)
                .map(|_| {
                    let s = POOL[rng.below(POOL.len() as u64) as usize];
                    match nulls {
                        Nulls::None => Some(s),
                        _ => (rng.below(5) != 0).then_some(s),
                    }
                })
                .collect();
            present(rng, nulls).then_some(row)
        })
        .collect()
}

fn int_lists(rng: &mut Rng, rows: usize, nulls: Nulls) -> Vec<Option<Vec<Option<i64>>>> {
    const INTS: [i64; 9] = [0, 1, 2, -1, 127, -128, 255, 300, 65535];
    (0..rows)
        .map(|_| {
            let len = rng.below(5) as usize;
            let row: Vec<Option<i64>> = (0..len)
                .map(|_| {
                    let v = INTS[rng.below(INTS.len() as u64) as usize];
                    match nulls {
                        Nulls::None => Some(v),
                        _ => (rng.below(5) != 0).then_some(v),
                    }
                })
                .collect();
            present(rng, nulls).then_some(row)
        })
        .collect()
}

/// Every column of [`SCHEMA`], `rows` rows long, each built `lead` rows
/// longer and sliced by `lead` (so every array starts at an offset).
fn columns(seed: u64, rows: usize, nulls: Nulls, lead: usize) -> RecordBatch {
    let mut rng = Rng::new(seed);
    let total = rows + lead;
    let s = strings(&mut rng, total, nulls);
    let su: ArrayRef = Arc::new(StringArray::from(s.clone()));
    let sl: ArrayRef = Arc::new(LargeStringArray::from(strings(&mut rng, total, nulls)));
    let sv: ArrayRef = Arc::new(StringViewArray::from(strings(&mut rng, total, nulls)));
    let mut ls = ListBuilder::new(StringBuilder::new());
    for row in lists(&mut rng, total, nulls) {
        ls.append_option(row);
    }
    let mut lls = LargeListBuilder::new(LargeStringBuilder::new());
    for row in lists(&mut rng, total, nulls) {
        lls.append_option(row);
    }
    let mut lsv = ListBuilder::new(StringViewBuilder::new());
    for row in lists(&mut rng, total, nulls) {
        lsv.append_option(row);
    }
    let mut lsd = ListBuilder::new(StringDictionaryBuilder::<Int8Type>::new());
    for row in lists(&mut rng, total, nulls) {
        lsd.append_option(row);
    }
    let mut li8 = ListBuilder::new(Int8Builder::new());
    let mut li32 = LargeListBuilder::new(Int32Builder::new());
    let mut li64 = ListBuilder::new(Int64Builder::new());
    let mut lu32 = ListBuilder::new(UInt32Builder::new());
    for row in int_lists(&mut rng, total, nulls) {
        li8.append_option(
            row.as_ref()
                .map(|r| r.iter().map(|v| v.and_then(|v| i8::try_from(v).ok()))),
        );
        li32.append_option(row.as_ref().map(|r| r.iter().map(|v| v.map(|v| v as i32))));
        li64.append_option(row.clone());
        lu32.append_option(
            row.as_ref()
                .map(|r| r.iter().map(|v| v.and_then(|v| u32::try_from(v).ok()))),
        );
    }
    let all: Vec<(&str, ArrayRef)> = vec![
        ("su", su),
        ("sl", sl),
        ("sv", sv),
        ("ls", Arc::new(ls.finish())),
        ("lls", Arc::new(lls.finish())),
        ("lsv", Arc::new(lsv.finish())),
        ("lsd", Arc::new(lsd.finish())),
        ("li8", Arc::new(li8.finish())),
        ("li32", Arc::new(li32.finish())),
        ("li64", Arc::new(li64.finish())),
        ("lu32", Arc::new(lu32.finish())),
    ];
    common::batch(
        all.into_iter()
            .map(|(name, a)| (name, a.slice(lead, rows)))
            .collect(),
    )
}

/// Checks `source` on batches of every size, null rate and leading slice.
fn agree_everywhere(source: &str, seed: u64) {
    let program = common::program(source);
    for rows in SIZES {
        for nulls in [Nulls::None, Nulls::Some, Nulls::All] {
            for lead in [0, 3, 13] {
                let batch = columns(seed ^ (rows as u64 * 31 + lead as u64), rows, nulls, lead);
                let jit = common::agree_at(&program, &batch, common::AS_OF);
                // Every predicate here has a dedicated helper (or a
                // dictionary table): none runs in the reference evaluator.
                assert!(jit.fallbacks().is_empty(), "{:#?}", jit.fallbacks());
            }
        }
    }
}

#[test]
fn plain_strings_agree() {
    let source = program_of(&["su", "sl", "sv"], &STRING_PREDICATES, &[]);
    agree_everywhere(&source, 1);
}

#[test]
fn lists_of_strings_agree() {
    let source = program_of(&["ls", "lls", "lsv", "lsd"], &LIST_STRING_PREDICATES, &[]);
    agree_everywhere(&source, 2);
}

#[test]
fn lists_of_ints_agree() {
    let source = program_of(&["li8", "li32", "li64", "lu32"], &LIST_INT_PREDICATES, &[]);
    agree_everywhere(&source, 3);
}

/// More than 64 distinct wanted values over one column: the shared pass
/// does not fit and each leaf runs alone (the one with 70 values in the
/// general helper).
#[test]
fn more_than_64_wanted_values() {
    let wide: Vec<String> = (0..70).map(|i| format!("\"w{i}\"")).collect();
    let wide = wide.join(", ");
    let extra = vec![
        format!("ls contains any [{wide}, \"a\"]"),
        format!("ls contains all [{wide}]"),
        format!("ls contains none [{wide}, \"Zürich\"]"),
        "ls contains \"bb\"".to_string(),
        "ls contains all [\"a\", \"bb\"]".to_string(),
    ];
    let source = program_of(&[], &[], &extra);
    agree_everywhere(&source, 4);
}

/// Columns of exactly 64 distinct wanted values still share one pass.
#[test]
fn exactly_64_wanted_values() {
    let keys: Vec<String> = POOL
        .iter()
        .map(|s| format!("{s:?}"))
        .chain((0..40).map(|i| format!("\"k{i}\"")))
        .collect();
    assert_eq!(keys.len(), 64);
    let extra = vec![
        format!("ls contains any [{}]", keys[..32].join(", ")),
        format!("ls contains none [{}]", keys[32..].join(", ")),
        format!("ls contains all [{}]", keys[..2].join(", ")),
    ];
    let source = program_of(&[], &[], &extra);
    agree_everywhere(&source, 5);
}

/// A list whose child array is itself a slice, and lists sliced inside a
/// longer child: offsets that do not start at 0.
#[test]
fn lists_over_a_sliced_child() {
    let values = StringArray::from(vec![
        Some("zz"),
        Some("a"),
        None,
        Some("bb"),
        Some("Zürich"),
        Some(""),
        Some("a"),
        Some("ü"),
    ]);
    let child: ArrayRef = Arc::new(values.slice(1, 7));
    let offsets = arrow::buffer::OffsetBuffer::new(vec![0i32, 2, 2, 3, 5, 7].into());
    let nulls = arrow::buffer::NullBuffer::from(vec![true, true, false, true, true]);
    let field = Arc::new(arrow::datatypes::Field::new(
        "item",
        child.data_type().clone(),
        true,
    ));
    let list: ArrayRef = Arc::new(ListArray::new(field, offsets, child, Some(nulls)));
    let source = program_over(SCHEMA_LS, &["ls"], &LIST_STRING_PREDICATES, &[]);
    let program = common::program(&source);
    for (start, len) in [(0, 5), (1, 4), (2, 3), (3, 2), (4, 1)] {
        let batch = common::batch(vec![("ls", list.slice(start, len))]);
        common::agree_at(&program, &batch, common::AS_OF);
    }
}

/// A dictionary-typed list element with a null value that keys point at.
#[test]
fn list_of_dictionary_strings_with_null_values() {
    let values = StringArray::from(vec![Some("a"), None, Some("bb"), Some("Zürich")]);
    let keys = Int32Array::from(vec![Some(0), Some(1), None, Some(2), Some(3), Some(1)]);
    let child: ArrayRef =
        Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).unwrap());
    let offsets = arrow::buffer::OffsetBuffer::new(vec![0i32, 1, 2, 3, 6, 6].into());
    let field = Arc::new(arrow::datatypes::Field::new(
        "item",
        child.data_type().clone(),
        true,
    ));
    let list: ArrayRef = Arc::new(ListArray::new(field, offsets, child, None));
    let source = program_over(SCHEMA_LS, &["ls"], &LIST_STRING_PREDICATES, &[]);
    let program = common::program(&source);
    for start in 0..5 {
        let batch = common::batch(vec![("ls", list.slice(start, 5 - start))]);
        common::agree_at(&program, &batch, common::AS_OF);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random strings (from the pool and random Unicode) against random
    /// needles taken from them, over every plain layout.
    #[test]
    fn random_needles_agree(
        rows in proptest::collection::vec(
            proptest::option::weighted(0.8, prop_oneof![
                proptest::sample::select(POOL.to_vec()).prop_map(String::from),
                "\\PC{0,12}",
            ]),
            1..140,
        ),
        pick in 0usize..1000,
        cut in 0usize..16,
        lead in 0usize..70,
    ) {
        // The needle is a prefix or suffix of some row (cut at a char
        // boundary), so that hits happen.
        let base = rows.iter().flatten().nth(pick % rows.len().max(1)).cloned().unwrap_or_default();
        let chars: Vec<char> = base.chars().collect();
        let cut = cut.min(chars.len());
        let head: String = chars[..cut].iter().collect();
        let tail: String = chars[cut..].iter().collect();
        let mut source = "schema {\n  su: string\n  sl: string\n  sv: string\n}\n".to_string();
        for (i, cond) in [
            format!("{{c}} starts with {head:?}"),
            format!("{{c}} ends with {tail:?}"),
            format!("{{c}} contains {tail:?}"),
            format!("{{c}} == {base:?}"),
            format!("{{c}} < {base:?}"),
            format!("{{c}} in [{head:?}, {tail:?}, {base:?}]"),
        ]
        .iter()
        .enumerate()
        {
            for c in ["su", "sl", "sv"] {
                let cond = cond.replace("{c}", c);
                source.push_str(&format!("segment s{i}{c} {{ where {cond} }}\n"));
                source.push_str(&format!("segment n{i}{c} {{ where not ({cond}) }}\n"));
            }
        }
        let program = common::program(&source);
        let mut padded: Vec<Option<String>> = vec![Some("pad".to_string()); lead];
        padded.extend(rows.iter().cloned());
        let n = rows.len();
        let su: ArrayRef = Arc::new(StringArray::from(padded.clone()));
        let sl: ArrayRef = Arc::new(LargeStringArray::from(padded.clone()));
        let sv: ArrayRef = Arc::new(StringViewArray::from(padded));
        let batch = common::batch(vec![
            ("su", su.slice(lead, n)),
            ("sl", sl.slice(lead, n)),
            ("sv", sv.slice(lead, n)),
        ]);
        common::agree_at(&program, &batch, common::AS_OF);
    }
}

/// Lists over a tiny alphabet, so that the wanted strings occur across
/// element boundaries, inside longer elements and next to empty elements:
/// the search over the elements' bytes must count only whole elements.
/// Each predicate is its own program, so that its few keys are searched for
/// (a program's list leaves over one column share their keys).
#[test]
fn occurrences_across_elements_are_not_elements() {
    const TINY: [&str; 8] = ["", "a", "aa", "aaa", "b", "ab", "ba", "aab"];
    let extra: Vec<String> = [
        "ls contains \"aa\"",
        "ls contains \"a\"",
        "ls contains any [\"ab\", \"ba\"]",
        "ls contains all [\"aa\", \"b\"]",
        "ls contains none [\"aaa\", \"aab\", \"b\"]",
        "ls contains any [\"a\", \"aa\", \"aaa\", \"ab\"]",
        "ls contains any [\"a\", \"aa\", \"aaa\", \"ab\", \"ba\"]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for e in &extra {
        let source = program_over(SCHEMA_LS, &[], &[], std::slice::from_ref(e));
        tiny_lists_agree(&common::program(&source), &TINY);
    }
    // One wanted value over the column, and leaves that want none.
    let one: Vec<String> = [
        "ls contains \"aa\"",
        "ls contains none [\"aa\"]",
        "ls contains all [\"aa\", \"aa\"]",
        "ls contains any []",
        "ls contains all []",
        "ls contains none []",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let source = program_over(SCHEMA_LS, &[], &[], &one);
    tiny_lists_agree(&common::program(&source), &TINY);
}

fn tiny_lists_agree(program: &seg_ir::Program, tiny: &[&'static str]) {
    let mut rng = Rng::new(7);
    for rows in SIZES {
        for nulls in [Nulls::None, Nulls::Some] {
            let mut ls = ListBuilder::new(StringBuilder::new());
            let mut lls = LargeListBuilder::new(LargeStringBuilder::new());
            for _ in 0..rows + 5 {
                let len = rng.below(5) as usize;
                let row: Vec<Option<&str>> = (0..len)
                    .map(|_| {
                        let s = tiny[rng.below(tiny.len() as u64) as usize];
                        (matches!(nulls, Nulls::None) || rng.below(6) != 0).then_some(s)
                    })
                    .collect();
                let row = present(&mut rng, nulls).then_some(row);
                ls.append_option(row.clone());
                lls.append_option(row);
            }
            let list: ArrayRef = Arc::new(ls.finish());
            let large: ArrayRef = Arc::new(lls.finish());
            let batch = common::batch(vec![("ls", large.slice(5, rows))]);
            common::agree_at(program, &batch, common::AS_OF);
            let batch = common::batch(vec![("ls", list.slice(5, rows))]);
            common::agree_at(program, &batch, common::AS_OF);
        }
    }
}
