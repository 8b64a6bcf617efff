//! Event histories in the front end (LANGUAGE.md §7.1): record types,
//! aggregates, `L.f` paths and record literals parse, print back, and print
//! the same a second time.

use seg_diagnostics::FileId;
use seg_syntax::ast::dump;
use seg_syntax::{format_file, parse};

fn parsed(text: &str) -> seg_syntax::ast::File {
    let parsed = parse(text, FileId(0));
    assert!(!parsed.has_errors(), "{text}\n{:#?}", parsed.diagnostics);
    parsed.file
}

/// Formats, checks the meaning is kept and a second run changes nothing.
fn format(text: &str) -> String {
    let file = parsed(text);
    let once = format_file(&file, text);
    let again = parsed(&once);
    assert_eq!(dump(&file), dump(&again), "meaning changed:\n{once}");
    let twice = format_file(&again, &once);
    assert_eq!(once, twice, "not idempotent");
    once
}

const SHOP: &str = r#"schema {
  customer_id: int key
  orders: list<{ at: timestamp, amount: decimal, category: string, channel: string one of ["web", "store", "app"] }>
  web_events: list<{name: string, at: timestamp, page: string pii,}>
}

segment frequent_buyers { where count(orders where at within 30 days) >= 3 }
segment big_shoe_spenders { where sum(orders.amount where category == "shoes" and at within 90 days) > 500 }
segment cart_abandoners {
  where any(web_events where name == "add_to_cart" and at within 1 day)
    and not any(orders where at within 1 day)
}
segment cross_category { where count_distinct(orders.category) >= 3 }
segment lapsed_buyers { where days_since(max(orders.at)) > 180 }

test "one order" {
  as_of 2026-11-24T00:00:00Z
  given { orders: [{ at: 2026-11-01T10:00:00Z, amount: 59.90, category: "shoes" }, {}], web_events: [] }
  expect not frequent_buyers
}
"#;

#[test]
fn histories_parse_and_format_idempotently() {
    let out = format(SHOP);
    assert!(
        out.contains(
            "  orders: list<{\n    at: timestamp,\n    amount: decimal,\n    category: string,\n    channel: string one of [\"web\", \"store\", \"app\"],\n  }>\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("  web_events: list<{ name: string, at: timestamp, page: string pii }>\n"),
        "{out}"
    );
    assert!(
        out.contains("count_distinct(orders.category) >= 3"),
        "{out}"
    );
    assert!(out.contains("any(web_events where name == \"add_to_cart\" and at within 1 day)"));
    assert!(out.contains("{ at: 2026-11-01T10:00:00Z, amount: 59.90, category: \"shoes\" }, {}"));
}

#[test]
fn long_aggregate_filters_break_before_each_operand() {
    let text = "segment s { where count(orders where category == \"shoes\" and amount > 100 and channel in [\"web\", \"app\"] and at within 30 days) >= 3 }\n";
    let out = format(text);
    assert_eq!(
        out,
        "segment s {\n  where count(orders where category == \"shoes\"\n      and amount > 100\n      and channel in [\"web\", \"app\"]\n      and at within 30 days) >= 3\n}\n"
    );
    // Inside a long `and`, each operand breaks on its own.
    let text = "segment s { where vip and not any(orders where category == \"shoes\" or category == \"boots\" or category == \"sandals\" or category == \"slippers\") and total_orders > 1 }\n";
    let out = format(text);
    assert!(
        out.contains("    and not any(orders where category == \"shoes\"\n        or category == \"boots\"\n        or category == \"sandals\"\n        or category == \"slippers\")\n"),
        "{out}"
    );
}

#[test]
fn comments_inside_histories_survive() {
    let text = "schema {\n  orders: list<{ at: timestamp, # when\n amount: decimal }>\n}\n\nsegment s {\n  where count(orders where at within 30 days # recent\n    and amount > 5) >= 3\n}\n";
    let out = format(text);
    assert!(out.contains("# when"), "{out}");
    assert!(out.contains("# recent"), "{out}");
}

#[test]
fn aggregate_names_stay_usable_as_field_names() {
    let out = format("segment s { where count > 3 and max == 2 and sum(orders.amount) > 1 }\n");
    assert!(out.contains("where count > 3 and max == 2 and sum(orders.amount) > 1"));
}

#[test]
fn braces_count_towards_the_nesting_limit() {
    let depth = seg_syntax::limits::MAX_NESTING;
    let deep = format!(
        "schema {{ x: {}int{} }}\n",
        "list<{ a: ".repeat(depth + 1),
        " }>".repeat(depth + 1)
    );
    let parsed = parse(&deep, FileId(0));
    assert!(
        parsed
            .diagnostics
            .iter()
            .any(|d| d.code == seg_diagnostics::Code::E0003),
        "{:?}",
        parsed.diagnostics.first()
    );
    let shallow = "schema { x: list<{ a: list<{ b: int }> }> }\n";
    assert!(!parse(shallow, FileId(0)).has_errors());
}
