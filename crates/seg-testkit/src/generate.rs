//! Building blocks of the proptest generator of random well-typed Seg
//! conditions. Each test suite keeps its own leaves and weights (the
//! evaluator's, the JIT's and the pruner's generators differ on purpose) and
//! composes them with these combinators, which produce the same text and draw
//! the same random values as the hand-written strategies they replace.

use proptest::prelude::*;

/// The schema and parameters the generated conditions are typed against
/// (`i`, `f`, `d`, `b`, `s`, `dt`, `ts`, `ls` and `p_int`, `p_dec`, `p_str`,
/// `p_win`, `p_list`).
pub const SCHEMA: &str = r#"schema {
  i: int
  f: float
  d: decimal
  b: bool
  s: string
  dt: date
  ts: timestamp
  ls: list<string>
}
param p_int = 7
param p_dec = 2.50
param p_str = "b"
param p_win = 30 days
param p_list = ["a", "b"]
"#;

/// [`SCHEMA`] with more columns (lines such as `li: list<int>`, appended to
/// the schema block) and more parameters (whole `param` lines, appended at
/// the end).
pub fn schema_with(columns: &[&str], params: &[&str]) -> String {
    let (block, rest) = SCHEMA.split_once("}\n").expect("SCHEMA has a schema block");
    let mut out = block.to_string();
    for column in columns {
        out.push_str(&format!("  {column}\n"));
    }
    out.push_str("}\n");
    out.push_str(rest);
    for param in params {
        out.push_str(&format!("{param}\n"));
    }
    out
}

/// Integer arithmetic over `leaf`: `(a op b)` with `+ - * %`, nested up to
/// `depth` levels and about `size` nodes.
pub fn arithmetic(leaf: BoxedStrategy<String>, depth: u32, size: u32) -> BoxedStrategy<String> {
    leaf.prop_recursive(depth, size, 2, |inner| {
        (
            inner.clone(),
            prop::sample::select(vec!["+", "-", "*", "%"]),
            inner,
        )
            .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
    })
    .boxed()
}

/// Boolean combinations of `predicate`: `not (x)`, and `(x and y ...)`,
/// `(x or y ...)` of 2 or 3 operands, nested up to `depth` levels and about
/// `size` nodes.
pub fn condition(predicate: BoxedStrategy<String>, depth: u32, size: u32) -> BoxedStrategy<String> {
    predicate
        .prop_recursive(depth, size, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|x| format!("not ({x})")),
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(|xs| format!("({})", xs.join(" and "))),
                prop::collection::vec(inner, 2..4).prop_map(|xs| format!("({})", xs.join(" or "))),
            ]
        })
        .boxed()
}

/// `a op b` for the six comparison operators.
pub fn compare(a: BoxedStrategy<String>, b: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (
        a,
        prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]),
        b,
    )
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"))
        .boxed()
}

/// `a in list` or `a not in list`, `list` being a list literal or a
/// parameter name.
pub fn membership(a: BoxedStrategy<String>, list: &'static str) -> BoxedStrategy<String> {
    (a, any::<bool>())
        .prop_map(move |(a, n)| format!("{a} {}in {list}", if n { "not " } else { "" }))
        .boxed()
}

/// `a op b` for string operators `ops` such as `contains` or `starts with`.
pub fn string_test(
    a: BoxedStrategy<String>,
    ops: Vec<&'static str>,
    b: BoxedStrategy<String>,
) -> BoxedStrategy<String> {
    (a, prop::sample::select(ops), b)
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"))
        .boxed()
}

/// `list contains any|all|none items`.
pub fn contains_quantified(list: &'static str, items: &'static str) -> BoxedStrategy<String> {
    prop::sample::select(vec!["any", "all", "none"])
        .prop_map(move |q| format!("{list} contains {q} {items}"))
        .boxed()
}

/// `x is missing` for one of `operands`.
pub fn is_missing(operands: Vec<&'static str>) -> BoxedStrategy<String> {
    prop::sample::select(operands)
        .prop_map(|x| format!("{x} is missing"))
        .boxed()
}

/// `x is present` for one of `operands`.
pub fn is_present(operands: Vec<&'static str>) -> BoxedStrategy<String> {
    prop::sample::select(operands)
        .prop_map(|x| format!("{x} is present"))
        .boxed()
}

/// `a before b` or `a after b` over `time`.
pub fn before_after(time: fn() -> BoxedStrategy<String>) -> BoxedStrategy<String> {
    (
        time(),
        prop::sample::select(vec!["before", "after"]),
        time(),
    )
        .prop_map(|(a, w, b)| format!("{a} {w} {b}"))
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_with_nothing_is_the_schema() {
        assert_eq!(schema_with(&[], &[]), SCHEMA);
    }

    #[test]
    fn schema_with_appends_columns_and_params() {
        let s = schema_with(&["li: list<int>"], &["param p_ints = [1, 7]"]);
        assert!(s.contains("  ls: list<string>\n  li: list<int>\n}\nparam p_int = 7\n"));
        assert!(s.ends_with("param p_list = [\"a\", \"b\"]\nparam p_ints = [1, 7]\n"));
    }
}
