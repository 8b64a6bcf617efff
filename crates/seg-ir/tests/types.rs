//! The recursive type model: how nested types print (as `.seg` files write
//! them, LANGUAGE.md §2 and §7.1), compare, hash, serialize and answer the
//! helpers the checker and the engines ask.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use seg_ir::{Const, RecordField, Type};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

fn hash_of(ty: &Type) -> u64 {
    let mut hasher = DefaultHasher::new();
    ty.hash(&mut hasher);
    hasher.finish()
}

/// `list<{ sku: string, amount: decimal }>`.
fn purchases() -> Type {
    Type::list(Type::record([
        ("sku".to_string(), Type::String),
        ("amount".to_string(), Type::Decimal),
    ]))
}

#[test]
fn scalars_and_v01_lists_print_as_before() {
    // These texts appear in diagnostics; they must not change.
    let cases = [
        (Type::Int, "int"),
        (Type::Float, "float"),
        (Type::Decimal, "decimal"),
        (Type::Bool, "bool"),
        (Type::String, "string"),
        (Type::Date, "date"),
        (Type::Timestamp, "timestamp"),
        (Type::Duration, "duration"),
        (Type::list(Type::String), "list<string>"),
        (Type::list(Type::Int), "list<int>"),
    ];
    for (ty, text) in cases {
        assert_eq!(ty.to_string(), text);
        assert_eq!(ty.name(), text, "name() and Display agree");
    }
}

#[test]
fn nested_types_print_as_the_language_writes_them() {
    assert_eq!(
        purchases().to_string(),
        "list<{ sku: string, amount: decimal }>"
    );
    assert_eq!(purchases().name(), purchases().to_string());
    assert_eq!(
        Type::list(Type::list(Type::Int)).to_string(),
        "list<list<int>>"
    );
    let orders = Type::list(Type::record([
        ("at".to_string(), Type::Timestamp),
        ("amount".to_string(), Type::Decimal),
        ("category".to_string(), Type::String),
        ("channel".to_string(), Type::String),
    ]));
    assert_eq!(
        orders.to_string(),
        "list<{ at: timestamp, amount: decimal, category: string, channel: string }>"
    );
}

#[test]
fn record_field_names_that_are_not_identifiers_are_backticked() {
    let ty = Type::record([
        ("First Name".to_string(), Type::String),
        ("_ok1".to_string(), Type::Int),
        ("1st".to_string(), Type::Bool),
    ]);
    assert_eq!(
        ty.to_string(),
        "{ `First Name`: string, _ok1: int, `1st`: bool }"
    );
    assert_eq!(Type::record([]).to_string(), "{}");
}

#[test]
fn equality_is_structural_and_field_order_matters() {
    assert_eq!(Type::list(Type::String), Type::list(Type::String));
    assert_ne!(Type::list(Type::String), Type::list(Type::Int));
    assert_ne!(Type::list(Type::Int), Type::Int);
    assert_eq!(
        Type::list(Type::list(Type::Int)),
        Type::list(Type::list(Type::Int))
    );
    assert_ne!(Type::list(Type::list(Type::Int)), Type::list(Type::Int));
    assert_eq!(purchases(), purchases());
    // Records declare their fields in order; the same fields in another
    // order, under another name or of another type are another type.
    let reordered = Type::list(Type::record([
        ("amount".to_string(), Type::Decimal),
        ("sku".to_string(), Type::String),
    ]));
    assert_ne!(purchases(), reordered);
    let retyped = Type::list(Type::record([
        ("sku".to_string(), Type::String),
        ("amount".to_string(), Type::Float),
    ]));
    assert_ne!(purchases(), retyped);
    let renamed = Type::list(Type::record([
        ("sku".to_string(), Type::String),
        ("price".to_string(), Type::Decimal),
    ]));
    assert_ne!(purchases(), renamed);
}

#[test]
fn equal_types_hash_equal_and_distinct_nested_types_stay_distinct() {
    assert_eq!(hash_of(&purchases()), hash_of(&purchases()));
    assert_eq!(
        hash_of(&Type::list(Type::list(Type::String))),
        hash_of(&Type::list(Type::list(Type::String)))
    );
    let all = [
        Type::Int,
        Type::String,
        Type::list(Type::Int),
        Type::list(Type::String),
        Type::list(Type::list(Type::Int)),
        Type::record([("sku".to_string(), Type::String)]),
        Type::list(Type::record([("sku".to_string(), Type::String)])),
        purchases(),
    ];
    let set: HashSet<Type> = all.iter().cloned().chain(all.iter().cloned()).collect();
    assert_eq!(set.len(), all.len());
    for ty in &all {
        assert!(set.contains(ty), "{ty}");
    }
    // Usable as a map key, as the optimizer and binding caches use types.
    let mut counts: HashMap<Type, usize> = HashMap::new();
    for ty in all
        .iter()
        .chain([purchases(), Type::list(Type::Int)].iter())
    {
        *counts.entry(ty.clone()).or_default() += 1;
    }
    assert_eq!(counts[&purchases()], 2);
    assert_eq!(counts[&Type::list(Type::Int)], 2);
    assert_eq!(counts[&Type::list(Type::String)], 1);
}

#[test]
fn helpers_answer_for_nested_types() {
    assert_eq!(Type::list(Type::Int).element(), Some(&Type::Int));
    assert_eq!(
        Type::list(Type::list(Type::String)).element(),
        Some(&Type::list(Type::String))
    );
    assert_eq!(Type::String.element(), None);
    let record = purchases().element().cloned().unwrap();
    assert_eq!(record.record_field("amount"), Some(&Type::Decimal));
    assert_eq!(record.record_field("sku"), Some(&Type::String));
    assert_eq!(record.record_field("price"), None);
    assert_eq!(purchases().record_field("sku"), None, "a list is no record");
    assert_eq!(
        record.record_fields().map(|f| f
            .iter()
            .map(|RecordField { name, .. }| name.as_str())
            .collect::<Vec<_>>()),
        Some(vec!["sku", "amount"])
    );
    for ty in [Type::Int, Type::Float, Type::Decimal] {
        assert!(ty.is_numeric());
        assert!(!Type::list(ty).is_numeric());
    }
    for ty in [Type::Date, Type::Timestamp] {
        assert!(ty.is_temporal());
        assert!(!Type::list(ty).is_temporal());
    }
    assert!(!record.is_numeric() && !record.is_temporal());
}

#[test]
fn list_constants_have_list_types() {
    assert_eq!(
        Const::ListString(vec!["a".into()]).ty(),
        Type::list(Type::String)
    );
    assert_eq!(Const::ListInt(vec![1]).ty(), Type::list(Type::Int));
    assert_eq!(Const::ListInt(Vec::new()).ty(), Type::list(Type::Int));
}

#[test]
fn cloning_a_record_shares_its_fields() {
    let record = Type::record([("sku".to_string(), Type::String)]);
    let copy = record.clone();
    match (&record, &copy) {
        (Type::Record(a), Type::Record(b)) => assert!(std::sync::Arc::ptr_eq(a, b)),
        _ => panic!("a record clones to a record"),
    }
}

#[test]
fn types_serialize_as_their_seg_text() {
    assert_eq!(serde_json::to_string(&Type::Int).unwrap(), "\"int\"");
    assert_eq!(
        serde_json::to_string(&Type::list(Type::String)).unwrap(),
        "\"list<string>\""
    );
    assert_eq!(
        serde_json::to_string(&purchases()).unwrap(),
        "\"list<{ sku: string, amount: decimal }>\""
    );
    let field = RecordField {
        name: "sku".into(),
        ty: Type::String,
    };
    assert_eq!(
        serde_json::to_string(&field).unwrap(),
        r#"{"name":"sku","ty":"string"}"#
    );
}
