//! Item-level checking: declarations across files, the schema, params,
//! segments, segment-reference cycles, priority groups, tests and the `pii`
//! warning.

use crate::expr::{Decl, ExprChecker, Scope, coerce, literal_const, time_unit, unify};
use seg_diagnostics::{Code, Diagnostic, FileId, Span, did_you_mean};
use seg_ir::{
    Const, Duration, Expectation, ExprKind, Field, FieldId, ParamId, Priority, Program, Schema,
    Segment, SegmentId, Test, Type, field_refs,
};
use seg_syntax::ast::{self, ItemKind};
use std::collections::HashMap;

const TYPE_NAMES: [&str; 8] = [
    "int",
    "float",
    "decimal",
    "bool",
    "string",
    "date",
    "timestamp",
    "list",
];

/// Checks every item of every loaded file and builds the program. Errors go to
/// `diagnostics`; the returned program is meaningful only without errors.
pub(crate) fn check_items(
    files: &[(FileId, ast::File)],
    diagnostics: &mut Vec<Diagnostic>,
) -> Program {
    let items: Vec<&ast::Item> = files.iter().flat_map(|(_, f)| f.items.iter()).collect();

    let root = files.first().map(|(id, _)| *id);
    let (schema, poisoned) = check_schema(&items, root, diagnostics);

    // Declarations: params, segments and priority groups share one namespace,
    // which must not collide with schema fields.
    let mut names: HashMap<String, Decl> = HashMap::new();
    let mut first_span: HashMap<String, Span> = HashMap::new();
    let mut param_items = Vec::new();
    let mut segment_items = Vec::new();
    let mut priority_items = Vec::new();
    for item in &items {
        let (ident, kind) = match &item.kind {
            ItemKind::Param(p) => (&p.name, "param"),
            ItemKind::Segment(s) => (&s.name, "segment"),
            ItemKind::Priority(p) => (&p.name, "priority group"),
            _ => continue,
        };
        if let Some(field) = schema.find(&ident.name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0103,
                    ident.span,
                    format!("the {kind} `{}` has the name of a schema field", ident.name),
                )
                .with_label("also a field")
                .with_secondary(schema.field(field).span, "the field is declared here")
                .with_help(format!(
                    "rename the {kind}; a name means one thing in a program"
                )),
            );
            continue;
        }
        if let Some(span) = record_field_named(&schema, &ident.name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0120,
                    ident.span,
                    format!("the {kind} `{}` has the name of a record field", ident.name),
                )
                .with_label("also a record field")
                .with_secondary(span, "the record field is declared here")
                .with_help(format!(
                    "rename the {kind}: inside a `where` filter the record field would hide it"
                )),
            );
            continue;
        }
        if let Some(previous) = first_span.get(&ident.name) {
            diagnostics.push(
                Diagnostic::new(Code::E0102, ident.span, format!("`{}` is defined twice", ident.name))
                    .with_label("second definition")
                    .with_secondary(*previous, "first definition")
                    .with_help("rename one of them; names are shared by params, segments and priority groups across all files of a program"),
            );
            continue;
        }
        first_span.insert(ident.name.clone(), ident.span);
        let decl = match &item.kind {
            ItemKind::Param(p) => {
                param_items.push(p);
                Decl::Param(ParamId(index(param_items.len() - 1)))
            }
            ItemKind::Segment(s) => {
                segment_items.push(s);
                Decl::Segment(SegmentId(index(segment_items.len() - 1)))
            }
            ItemKind::Priority(p) => {
                priority_items.push(p);
                Decl::Priority
            }
            _ => continue,
        };
        names.insert(ident.name.clone(), decl);
    }

    // Params: a literal's type is the param's type.
    let mut params = Vec::new();
    let mut param_values = Vec::new();
    for p in &param_items {
        let value = param_value(&p.value, diagnostics).unwrap_or(Const::Bool(false));
        param_values.push((value.ty(), value.clone()));
        params.push(seg_ir::Param {
            name: p.name.name.clone(),
            ty: value.ty(),
            value,
            span: p.name.span,
        });
    }

    let patterns = std::cell::RefCell::new(crate::expr::PatternBudget::default());
    let shadowed = std::cell::RefCell::new(std::collections::HashSet::new());
    let scope = Scope {
        shadowed: &shadowed,
        schema: &schema,
        poisoned: &poisoned,
        current: None,
        params: &param_values,
        names: &names,
        patterns: &patterns,
    };

    let mut segments = Vec::new();
    for s in &segment_items {
        let segment_scope = Scope {
            current: Some(s.name.name.as_str()),
            ..scope
        };
        let mut checker = ExprChecker {
            scope: &segment_scope,
            diagnostics,
            record: None,
        };
        let where_ = checker.condition(&s.where_, "where");
        let exclude = s.exclude.as_ref().map(|e| checker.condition(e, "exclude"));
        let placeholder = |span| seg_ir::Expr {
            kind: seg_ir::ExprKind::Const(Const::Bool(false)),
            ty: Type::Bool,
            span,
        };
        segments.push(Segment {
            name: s.name.name.clone(),
            title: s.title.as_ref().map(|t| t.value.clone()),
            where_: where_.unwrap_or_else(|| placeholder(s.where_.span)),
            exclude: exclude.map(|e| e.unwrap_or_else(|| placeholder(s.name.span))),
            span: s.name.span,
        });
    }

    report_cycles(&segments, diagnostics);
    report_pii(&schema, &segments, diagnostics);

    let mut priorities = Vec::new();
    for p in &priority_items {
        let mut entries = Vec::new();
        for entry in &p.entries {
            if let Some(id) = segment_named(
                &names,
                &schema,
                entry,
                "a priority group lists segments",
                diagnostics,
            ) {
                if entries.contains(&id) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0102,
                            entry.span,
                            format!("`{}` is listed twice in priority group `{}`", entry.name, p.name.name),
                        )
                        .with_label("listed again")
                        .with_help("a profile goes to the first listed segment it is in; list each segment once"),
                    );
                } else {
                    entries.push(id);
                }
            }
        }
        priorities.push(Priority {
            name: p.name.name.clone(),
            segments: entries,
            span: p.name.span,
        });
    }

    let timezone = check_timezone(&items, diagnostics);
    let mut tests = Vec::new();
    for item in &items {
        if let ItemKind::Test(t) = &item.kind {
            tests.push(check_test(
                t,
                item.span,
                &schema,
                &scope,
                &names,
                timezone,
                diagnostics,
            ));
        }
    }

    Program {
        schema,
        params,
        segments,
        priorities,
        tests,
        timezone,
    }
}

/// The program's zone (§7.3): its one `timezone` declaration, in any file,
/// or UTC. An unknown name is E0121 with the closest IANA name; a second
/// declaration is E0122 pointing at both (the first one counts).
fn check_timezone(items: &[&ast::Item], diagnostics: &mut Vec<Diagnostic>) -> seg_ir::Zone {
    let mut zone = seg_ir::Zone::UTC;
    let mut first: Option<Span> = None;
    for item in items {
        let ItemKind::Timezone(declared) = &item.kind else {
            continue;
        };
        if let Some(first) = first {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0122,
                    item.span,
                    "the program declares its time zone twice",
                )
                .with_label("second declaration")
                .with_secondary(first, "first declaration")
                .with_help(
                    "keep one `timezone` for the whole program, in any of its files; \
                     the calendar has one zone",
                ),
            );
            continue;
        }
        first = Some(item.span);
        let name = &declared.name;
        match seg_ir::Zone::parse(&name.value) {
            Ok(z) => zone = z,
            Err(unknown) => {
                let mut diagnostic = Diagnostic::new(
                    Code::E0121,
                    name.span,
                    format!("unknown time zone `{}`", name.value),
                )
                .with_label("not an IANA time zone name");
                if let Some(close) = unknown.suggestion {
                    crate::suggest_string(&mut diagnostic, name.span, close);
                }
                diagnostic.help = Some(match unknown.suggestion {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "write an IANA name as the tz database spells it, such as \
                             `Europe/Berlin`, `America/New_York` or `UTC`"
                        .into(),
                });
                diagnostics.push(diagnostic);
            }
        }
    }
    zone
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The schema, and the names of fields that could not be typed (their uses are
/// not reported a second time).
///
/// With several schemas, one from a used file is kept and the others are
/// reported: the extra one is usually the schema added to the file being
/// checked, which is where the fix belongs.
fn check_schema(
    items: &[&ast::Item],
    root: Option<FileId>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Schema, Vec<String>) {
    let mut schemas: Vec<(&ast::Schema, Span)> = items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Schema(s) => Some((s, i.span)),
            _ => None,
        })
        .collect();
    schemas.sort_by_key(|(_, span)| Some(span.file) == root);
    let Some(&(schema, schema_span)) = schemas.first() else {
        // An empty program (no items: an empty file, only comments) is
        // accepted as it is: it has no segments, so it needs no schema.
        let Some(first) = items.first() else {
            return (Schema::default(), Vec::new());
        };
        let span = first.span;
        diagnostics.push(
            Diagnostic::new(Code::E0104, Span { end: span.start, ..span }, "the program has no `schema`")
                .with_label("no schema declared or used")
                .with_help("declare the profile's fields in a `schema { ... }` block, or `use` the file that has it"),
        );
        return (Schema::default(), Vec::new());
    };
    let mut poisoned = Vec::new();
    for &(_, span) in &schemas[1..] {
        diagnostics.push(
            Diagnostic::new(Code::E0105, Span { end: span.start + 6, ..span }, "the program has a second `schema`")
                .with_label("second schema")
                .with_secondary(Span { end: schema_span.start + 6, ..schema_span }, "first schema")
                .with_help("a program has one schema: merge the fields into one block, or `use` the file that has it"),
        );
    }
    let mut fields: Vec<Field> = Vec::new();
    let mut key: Option<Span> = None;
    for decl in &schema.fields {
        if let Some(previous) = fields.iter().find(|f| f.name == decl.name.name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0115,
                    decl.name.span,
                    format!("field `{}` is declared twice", decl.name.name),
                )
                .with_label("second declaration")
                .with_secondary(previous.span, "first declaration")
                .with_help("remove one of the declarations"),
            );
            continue;
        }
        let Some(ty) = field_type(&decl.ty, diagnostics) else {
            poisoned.push(decl.name.name.clone());
            continue;
        };
        if let Some(key_span) = decl.key {
            if let Some(first) = key {
                diagnostics.push(
                    Diagnostic::new(Code::E0107, key_span, "a second field is marked `key`")
                        .with_label("second key")
                        .with_secondary(first, "first key")
                        .with_help("`key` marks the one field that identifies a profile"),
                );
            } else {
                key = Some(key_span);
            }
        }
        let one_of = match &decl.one_of {
            None => None,
            Some(list) => {
                if ty != Type::String {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0108,
                            list.span,
                            format!(
                                "`one of` applies to `string` fields, but `{}` is {ty}",
                                decl.name.name
                            ),
                        )
                        .with_label("`one of` list")
                        .with_help(
                            "remove the list, or use `between` in segments to bound numbers",
                        ),
                    );
                    None
                } else {
                    one_of_values(list, diagnostics)
                }
            }
        };
        let record = record_attrs(&decl.ty, diagnostics);
        fields.push(Field {
            name: decl.name.name.clone(),
            ty,
            key: decl.key.is_some(),
            pii: decl.pii.is_some(),
            one_of,
            span: decl.name.span,
            record,
        });
    }
    (Schema { fields }, poisoned)
}

fn field_type(ty: &ast::TypeExpr, diagnostics: &mut Vec<Diagnostic>) -> Option<Type> {
    let name = ty.name.name.as_str();
    let scalar = |n: &str| match n {
        "int" => Some(Type::Int),
        "float" => Some(Type::Float),
        "decimal" => Some(Type::Decimal),
        "bool" => Some(Type::Bool),
        "string" => Some(Type::String),
        "date" => Some(Type::Date),
        "timestamp" => Some(Type::Timestamp),
        _ => None,
    };
    let unknown = |span: Span, name: &str, diagnostics: &mut Vec<Diagnostic>| {
        let mut diagnostic = Diagnostic::new(Code::E0106, span, format!("unknown type `{name}`"))
            .with_label("not a type");
        let close = did_you_mean(name, TYPE_NAMES.iter().copied());
        if let Some(close) = close {
            crate::suggest_name(&mut diagnostic, span, close);
        }
        diagnostic.help = Some(match close {
            Some(close) => format!("did you mean `{close}`?"),
            None => "the types are int, float, decimal, bool, string, date, timestamp, list<string> and list<int>".into(),
        });
        diagnostics.push(diagnostic);
    };
    match (&ty.arg, name) {
        (None, "list") => {
            diagnostics.push(
                Diagnostic::new(Code::E0106, ty.span, "`list` needs an element type")
                    .with_label("element type missing")
                    .with_help("write `list<string>` or `list<int>`"),
            );
            None
        }
        // The element converts by the same rules, so the IR can represent any
        // nesting; v0.1 lists hold only strings and ints, so every other
        // element (an unknown name, a nested list) gets the one error below,
        // and the element's own diagnostics are not reported.
        (Some(arg), "list") if arg.record.is_some() => {
            record_type(arg, diagnostics).map(Type::list)
        }
        (None, _) if ty.record.is_some() => {
            diagnostics.push(
                Diagnostic::new(Code::E0119, ty.span, "a record type stands only in a list")
                    .with_label("a record outside a list")
                    .with_help("a history is a list of records: write `list<{ ... }>`"),
            );
            None
        }
        (Some(arg), "list") => match field_type(arg, &mut Vec::new()) {
            Some(element @ (Type::String | Type::Int)) => Some(Type::list(element)),
            _ => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0106,
                        arg.span,
                        "lists hold `string` or `int` elements",
                    )
                    .with_label("unsupported element type")
                    .with_help("write `list<string>` or `list<int>`"),
                );
                None
            }
        },
        (Some(_), _) => {
            if scalar(name).is_none() {
                unknown(ty.name.span, name, diagnostics);
            } else {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0106,
                        ty.span,
                        format!("`{name}` takes no element type"),
                    )
                    .with_label("only `list` has an element type")
                    .with_help(format!("write `{name}`")),
                );
            }
            None
        }
        (None, _) => {
            let found = scalar(name);
            if found.is_none() {
                unknown(ty.name.span, name, diagnostics);
            }
            found
        }
    }
}

// --- Event histories (v0.2) ---

/// The record type of `list<{ ... }>`: scalar fields, each named once.
fn record_type(ty: &ast::TypeExpr, diagnostics: &mut Vec<Diagnostic>) -> Option<Type> {
    let mut fields: Vec<(String, Type)> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut ok = true;
    for decl in ty.record.iter().flatten() {
        if let Some(position) = fields.iter().position(|(name, _)| *name == decl.name.name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0115,
                    decl.name.span,
                    format!("record field `{}` is declared twice", decl.name.name),
                )
                .with_label("second declaration")
                .with_secondary(spans[position], "first declaration")
                .with_help("remove one of the declarations"),
            );
            ok = false;
            continue;
        }
        let nested =
            decl.ty.record.is_some() || decl.ty.arg.is_some() || decl.ty.name.name == "list";
        if nested {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0119,
                    decl.ty.span,
                    format!("record field `{}` does not hold a scalar", decl.name.name),
                )
                .with_label("records do not nest, nor hold lists")
                .with_help("give record fields the types int, float, decimal, bool, string, date or timestamp; a second history is a field of its own in the schema"),
            );
            ok = false;
            continue;
        }
        match field_type(&decl.ty, diagnostics) {
            Some(field) => {
                fields.push((decl.name.name.clone(), field));
                spans.push(decl.name.span);
            }
            None => ok = false,
        }
    }
    ok.then(|| Type::record(fields))
}

/// What the schema says of each field of a list of records beyond its type
/// (empty for other fields); `one of` is validated as on profile fields.
fn record_attrs(ty: &ast::TypeExpr, diagnostics: &mut Vec<Diagnostic>) -> Vec<seg_ir::RecordAttrs> {
    let Some(fields) = ty.arg.as_ref().and_then(|arg| arg.record.as_ref()) else {
        return Vec::new();
    };
    let mut attrs: Vec<seg_ir::RecordAttrs> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for decl in fields {
        // Duplicates were reported with the type; keep the first, as the
        // record type does.
        if seen.contains(&decl.name.name.as_str()) {
            continue;
        }
        seen.push(&decl.name.name);
        let one_of = decl.one_of.as_ref().and_then(|list| {
            if decl.ty.name.name != "string" || decl.ty.record.is_some() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0108,
                        list.span,
                        format!(
                            "`one of` applies to `string` fields, but `{}` is not one",
                            decl.name.name
                        ),
                    )
                    .with_label("`one of` list")
                    .with_help("remove the list, or use `between` in segments to bound numbers"),
                );
                None
            } else {
                one_of_values(list, diagnostics)
            }
        });
        attrs.push(seg_ir::RecordAttrs {
            pii: decl.pii.is_some(),
            one_of,
            span: decl.name.span,
        });
    }
    attrs
}

/// Where a record field of this name is declared, if any history has one.
fn record_field_named(schema: &Schema, name: &str) -> Option<Span> {
    schema.fields.iter().find_map(|field| {
        let record = field.ty.element()?.record_fields()?;
        let index = record.iter().position(|f| f.name == name)?;
        Some(field.record.get(index).map_or(field.span, |a| a.span))
    })
}

fn one_of_values(list: &ast::Expr, diagnostics: &mut Vec<Diagnostic>) -> Option<Vec<String>> {
    let ast::ExprKind::List(items) = &list.kind else {
        return None;
    };
    let mut values: Vec<String> = Vec::new();
    for item in items {
        match &item.kind {
            ast::ExprKind::Literal(ast::Literal::String(s)) => {
                if values.contains(&s.value) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0102,
                            item.span,
                            format!("\"{}\" is listed twice", s.value),
                        )
                        .with_label("listed again")
                        .with_help("list each value once"),
                    );
                } else {
                    values.push(s.value.clone());
                }
            }
            ast::ExprKind::Error => return None,
            _ => {
                diagnostics.push(
                    Diagnostic::new(Code::E0201, item.span, "`one of` lists strings")
                        .with_label("not a string literal")
                        .with_help("write the values as strings: one of [\"bronze\", \"silver\"]"),
                );
                return None;
            }
        }
    }
    Some(values)
}

/// The value of a param or `given` field: a literal, a negative number, a
/// duration or a list of one type.
pub(crate) fn param_value(expr: &ast::Expr, diagnostics: &mut Vec<Diagnostic>) -> Option<Const> {
    match &expr.kind {
        ast::ExprKind::Literal(lit) => Some(literal_const(lit)),
        ast::ExprKind::Duration(d) => match &d.amount {
            ast::DurationAmount::Literal { value, .. } => Some(Const::Duration(Duration {
                amount: *value,
                unit: time_unit(d.unit),
            })),
            ast::DurationAmount::Param(p) => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0206,
                        p.span,
                        "a param's duration needs a literal count",
                    )
                    .with_label("a name, not a number")
                    .with_help("write the count as a number, as in `param window = 30 days`"),
                );
                None
            }
        },
        ast::ExprKind::List(items) => {
            let mut strings = Vec::new();
            let mut ints = Vec::new();
            for item in items {
                match &item.kind {
                    ast::ExprKind::Literal(ast::Literal::String(s)) => {
                        strings.push(s.value.clone())
                    }
                    ast::ExprKind::Literal(ast::Literal::Int { value, .. }) => ints.push(*value),
                    ast::ExprKind::Error => return None,
                    _ => {
                        diagnostics.push(
                            Diagnostic::new(Code::E0208, item.span, "lists hold strings or ints")
                                .with_label("neither a string nor an int")
                                .with_help(
                                    "write a list of strings, [\"a\", \"b\"], or of ints, [1, 2]",
                                ),
                        );
                        return None;
                    }
                }
                if !strings.is_empty() && !ints.is_empty() {
                    diagnostics.push(
                        Diagnostic::new(Code::E0208, item.span, "a list mixes strings and ints")
                            .with_label("different type from the first element")
                            .with_help("the elements of a list have one type"),
                    );
                    return None;
                }
            }
            Some(if ints.is_empty() {
                Const::ListString(strings)
            } else {
                Const::ListInt(ints)
            })
        }
        ast::ExprKind::Error => None,
        _ => {
            diagnostics.push(
                Diagnostic::new(Code::E0206, expr.span, "expected a literal value")
                    .with_label("not a literal")
                    .with_help("write a literal such as 1000, 19.99, \"US\", true, 2024-01-31, 30 days or [\"a\", \"b\"]"),
            );
            None
        }
    }
}

fn segment_named(
    names: &HashMap<String, Decl>,
    schema: &Schema,
    ident: &ast::Ident,
    why: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<SegmentId> {
    match names.get(&ident.name) {
        Some(Decl::Segment(id)) => Some(*id),
        Some(_) => {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0112,
                    ident.span,
                    format!("`{}` is not a segment", ident.name),
                )
                .with_label("a param or priority group")
                .with_help(format!("{why}; name a segment here")),
            );
            None
        }
        None => {
            let is_field = schema.find(&ident.name).is_some();
            let segments = names
                .iter()
                .filter(|(_, d)| matches!(d, Decl::Segment(_)))
                .map(|(n, _)| n.as_str());
            let mut diagnostic = Diagnostic::new(
                if is_field { Code::E0112 } else { Code::E0101 },
                ident.span,
                if is_field {
                    format!("`{}` is a field, not a segment", ident.name)
                } else {
                    format!("unknown segment `{}`", ident.name)
                },
            )
            .with_label("not a segment");
            let close = did_you_mean(&ident.name, segments);
            if let Some(close) = close {
                crate::suggest_name(&mut diagnostic, ident.span, close);
            }
            diagnostic.help = Some(match close {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "{why}; define the segment with `segment {} {{ where ... }}`",
                    ident.name
                ),
            });
            diagnostics.push(diagnostic);
            None
        }
    }
}

/// Reports each cycle of segment references once.
fn report_cycles(segments: &[Segment], diagnostics: &mut Vec<Diagnostic>) {
    let edges: Vec<Vec<(SegmentId, Span)>> = segments
        .iter()
        .map(|s| {
            let mut refs = Vec::new();
            for e in std::iter::once(&s.where_).chain(s.exclude.iter()) {
                seg_ir::walk(e, &mut |node| {
                    if let seg_ir::ExprKind::Segment(id) = node.kind {
                        refs.push((id, node.span));
                    }
                });
            }
            refs
        })
        .collect();
    // Iterative DFS with colours; a back edge closes a cycle.
    let n = segments.len();
    let mut colour = vec![0u8; n];
    let mut reported = vec![false; n];
    for root in 0..n {
        if colour[root] != 0 {
            continue;
        }
        let mut path: Vec<usize> = Vec::new();
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        colour[root] = 1;
        path.push(root);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&(target, span)) = edges[node].get(*next) {
                *next += 1;
                let t = target.0 as usize;
                if t >= n {
                    continue;
                }
                match colour[t] {
                    0 => {
                        colour[t] = 1;
                        path.push(t);
                        stack.push((t, 0));
                    }
                    1 => {
                        let start = path.iter().position(|&p| p == t).unwrap_or(0);
                        let cycle = &path[start..];
                        if cycle.iter().any(|&c| reported[c]) {
                            continue;
                        }
                        for &c in cycle {
                            reported[c] = true;
                        }
                        let names: Vec<String> = cycle
                            .iter()
                            .chain(std::iter::once(&t))
                            .map(|&c| format!("`{}`", segments[c].name))
                            .collect();
                        let message = if cycle.len() == 1 {
                            format!("segment `{}` references itself", segments[t].name)
                        } else {
                            format!(
                                "segments reference each other in a cycle: {}",
                                names.join(" → ")
                            )
                        };
                        diagnostics.push(
                            Diagnostic::new(Code::E0109, span, message)
                                .with_label("this reference closes the cycle")
                                .with_secondary(segments[t].span, "the segment in the cycle")
                                .with_help("a segment cannot depend on itself; move the shared condition into a segment of its own"),
                        );
                    }
                    _ => {}
                }
            } else {
                colour[node] = 2;
                stack.pop();
                path.pop();
            }
        }
    }
}

/// Warns once per segment and `pii` field the segment reads.
fn report_pii(schema: &Schema, segments: &[Segment], diagnostics: &mut Vec<Diagnostic>) {
    let mut seen_records = Vec::new();
    for segment in segments {
        let mut refs = Vec::new();
        field_refs(&segment.where_, &mut refs);
        if let Some(exclude) = &segment.exclude {
            field_refs(exclude, &mut refs);
        }
        let mut seen = Vec::new();
        for (field, span) in refs {
            if seen.contains(&field) || !schema.field(field).pii {
                continue;
            }
            seen.push(field);
            diagnostics.push(pii_warning(
                &segment.name,
                &schema.field(field).name,
                span,
                "marked `pii` in the schema",
                schema.field(field).span,
            ));
        }
        report_record_pii(schema, segment, &mut seen_records, diagnostics);
    }
}

/// Warns once per segment and `pii` record field it reads: `L.f` as an
/// aggregate's value, or `f` inside an aggregate's `where` (LANGUAGE.md
/// §7.1 allows `pii` on record fields, and using one is the same decision
/// as using a profile field).
fn report_record_pii(
    schema: &Schema,
    segment: &Segment,
    seen: &mut Vec<(FieldId, usize)>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    seen.clear();
    let mut uses = Vec::new();
    for root in std::iter::once(&segment.where_).chain(segment.exclude.as_ref()) {
        seg_ir::walk(root, &mut |e| {
            let ExprKind::Aggregate {
                list,
                value,
                filter,
                ..
            } = &e.kind
            else {
                return;
            };
            let ExprKind::Field(list_id) = list.kind else {
                return;
            };
            if let Some(i) = value {
                uses.push((list_id, *i, e.span));
            }
            if let Some(filter) = filter {
                seg_ir::walk(filter, &mut |f| {
                    if let ExprKind::Element(i) = f.kind {
                        uses.push((list_id, i, f.span));
                    }
                });
            }
        });
    }
    for (list_id, index, span) in uses {
        let list = schema.field(list_id);
        let Some(attrs) = list.record.get(index) else {
            continue;
        };
        if !attrs.pii || seen.contains(&(list_id, index)) {
            continue;
        }
        seen.push((list_id, index));
        let record_field = list
            .ty
            .element()
            .and_then(Type::record_fields)
            .and_then(|fields| fields.get(index))
            .map_or("?", |f| f.name.as_str());
        diagnostics.push(pii_warning(
            &segment.name,
            &format!("{}.{record_field}", list.name),
            span,
            "marked `pii` in the record type",
            attrs.span,
        ));
    }
}

/// W0301: `segment` reads the personal data field `name` at `span`.
fn pii_warning(segment: &str, name: &str, span: Span, label: &str, declared: Span) -> Diagnostic {
    Diagnostic::new(
        Code::W0301,
        span,
        format!("segment `{segment}` uses the personal data field `{name}`"),
    )
    .with_label(label)
    .with_secondary(declared, "declared `pii` here")
    .with_help(format!(
        "make sure this use of `{name}` is allowed (consent, policy); if the field is not personal data, remove `pii` from its declaration"
    ))
}

fn check_test(
    test: &ast::Test,
    span: Span,
    schema: &Schema,
    scope: &Scope<'_>,
    names: &HashMap<String, Decl>,
    zone: seg_ir::Zone,
    diagnostics: &mut Vec<Diagnostic>,
) -> Test {
    // A date `as_of` is its midnight in the program's zone; the date is
    // kept so that a caller's zone override moves it.
    let (as_of, as_of_date) = match test
        .as_of
        .as_ref()
        .and_then(|e| param_value(e, diagnostics))
    {
        Some(Const::Timestamp(t)) => (Some(t), None),
        Some(Const::Date(d)) => (zone.midnight(d), Some(d)),
        _ => (None, None),
    };
    let mut given: Vec<(seg_ir::FieldId, Const)> = Vec::new();
    let mut given_spans: Vec<Span> = Vec::new();
    for field in &test.given {
        let Some(id) = schema.find(&field.name.name) else {
            let mut diagnostic = Diagnostic::new(
                Code::E0101,
                field.name.span,
                format!("unknown field `{}`", field.name.name),
            )
            .with_label("not a schema field");
            let close = did_you_mean(
                &field.name.name,
                schema.fields.iter().map(|f| f.name.as_str()),
            );
            if let Some(close) = close {
                crate::suggest_name(&mut diagnostic, field.name.span, close);
            }
            diagnostic.help = Some(match close {
                Some(close) => format!("did you mean `{close}`?"),
                None => "`given` sets fields declared in the schema".into(),
            });
            diagnostics.push(diagnostic);
            continue;
        };
        if let Some(position) = given.iter().position(|(f, _)| *f == id) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0115,
                    field.name.span,
                    format!("field `{}` is given twice", field.name.name),
                )
                .with_label("given again")
                .with_secondary(given_spans[position], "first given here")
                .with_help("give each field once"),
            );
            continue;
        }
        let declared = schema.field(id);
        if declared
            .ty
            .element()
            .and_then(Type::record_fields)
            .is_some()
        {
            if let Some(value) = given_history(declared, &field.value, scope, zone, diagnostics) {
                given.push((id, value));
                given_spans.push(field.name.span);
            }
            continue;
        }
        let Some(value) = param_value(&field.value, diagnostics) else {
            continue;
        };
        let value = match given_value(value, &declared.ty, zone) {
            Some(v) => v,
            None => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0201,
                        field.value.span,
                        format!(
                            "field `{}` is {}, but the value given is not",
                            declared.name,
                            crate::expr::describe(&declared.ty)
                        ),
                    )
                    .with_label("wrong type for this field")
                    .with_help(format!(
                        "give {} value",
                        crate::expr::describe(&declared.ty)
                    )),
                );
                continue;
            }
        };
        if let (Some(values), Const::String(s)) = (&declared.one_of, &value) {
            let mut checker = ExprChecker {
                scope,
                diagnostics,
                record: None,
            };
            checker.check_one_of_value(&declared.name, values, s, field.value.span, true);
        }
        given.push((id, value));
        given_spans.push(field.name.span);
    }
    let mut expects = Vec::new();
    for expect in &test.expects {
        if let Some(segment) = segment_named(
            names,
            schema,
            &expect.segment,
            "`expect` names a segment",
            diagnostics,
        ) {
            expects.push(Expectation {
                segment,
                member: !expect.negated,
                span: expect.span,
            });
        }
    }
    Test {
        name: test.name.value.clone(),
        as_of,
        as_of_date,
        given,
        expects,
        span,
    }
}

/// A history in a test's `given`: a list of record literals (`[]` is the
/// empty history), each field converted to the record field's type as a
/// comparison would; fields left out are missing.
fn given_history(
    declared: &Field,
    value: &ast::Expr,
    scope: &Scope<'_>,
    zone: seg_ir::Zone,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Const> {
    let fields = declared.ty.element()?.record_fields()?;
    let ast::ExprKind::List(items) = &value.kind else {
        if !matches!(value.kind, ast::ExprKind::Error) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0201,
                    value.span,
                    format!(
                        "field `{}` is a history, but the value given is not",
                        declared.name
                    ),
                )
                .with_label("not a list of records")
                .with_help(format!(
                    "give a list of records, as in `{}: [{{ {}: ... }}]`, or `[]` for none",
                    declared.name,
                    fields.first().map_or("at", |f| f.name.as_str())
                )),
            );
        }
        return None;
    };
    let mut records = Vec::new();
    let mut ok = true;
    for item in items {
        let ast::ExprKind::Record(values) = &item.kind else {
            diagnostics.push(
                Diagnostic::new(Code::E0201, item.span, "a history holds records")
                    .with_label("not a record")
                    .with_help("write each event as a record, as in `{ amount: 10 }`"),
            );
            ok = false;
            continue;
        };
        let mut record: Vec<Option<Const>> = vec![None; fields.len()];
        for (name, value) in values {
            let Some(index) = fields.iter().position(|f| f.name == name.name) else {
                let mut diagnostic = Diagnostic::new(
                    Code::E0118,
                    name.span,
                    format!(
                        "the records of `{}` have no field `{}`",
                        declared.name, name.name
                    ),
                )
                .with_label("not a field of these records");
                let close = did_you_mean(&name.name, fields.iter().map(|f| f.name.as_str()));
                if let Some(close) = close {
                    crate::suggest_name(&mut diagnostic, name.span, close);
                }
                diagnostic.help = Some(match close {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "give only the fields the schema declares for these records".into(),
                });
                diagnostics.push(diagnostic);
                ok = false;
                continue;
            };
            let Some(constant) = param_value(value, diagnostics) else {
                ok = false;
                continue;
            };
            let field = &fields[index];
            match given_value(constant, &field.ty, zone) {
                Some(converted) => {
                    if let (Some(Some(values)), Const::String(s)) = (
                        declared.record.get(index).map(|a| a.one_of.clone()),
                        &converted,
                    ) {
                        let mut checker = ExprChecker {
                            scope,
                            diagnostics,
                            record: None,
                        };
                        checker.check_one_of_value(&field.name, &values, s, value.span, true);
                    }
                    record[index] = Some(converted);
                }
                None => {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0201,
                            value.span,
                            format!(
                                "record field `{}` is {}, but the value given is not",
                                field.name,
                                crate::expr::describe(&field.ty)
                            ),
                        )
                        .with_label("wrong type for this field")
                        .with_help(format!("give {} value", crate::expr::describe(&field.ty))),
                    );
                    ok = false;
                }
            }
        }
        records.push(record);
    }
    ok.then(|| Const::Records {
        ty: declared.ty.clone(),
        records,
    })
}

/// Converts a `given` literal to the field's type, as a comparison would; a
/// date for a timestamp is its midnight in `zone` (the program's).
pub(crate) fn given_value(value: Const, ty: &Type, zone: seg_ir::Zone) -> Option<Const> {
    match (&value, ty) {
        (Const::Date(days), Type::Timestamp) => zone.midnight(*days).map(Const::Timestamp),
        (Const::ListString(items), Type::List(element))
            if items.is_empty() && **element == Type::Int =>
        {
            Some(Const::ListInt(Vec::new()))
        }
        _ if value.ty() == *ty => Some(value),
        _ => {
            let target = unify(&value.ty(), ty).filter(|t| t == ty)?;
            let expr = coerce(
                seg_ir::Expr {
                    ty: value.ty(),
                    kind: seg_ir::ExprKind::Const(value),
                    span: Span::default(),
                },
                &target,
            );
            match expr.kind {
                seg_ir::ExprKind::Const(c) => Some(c),
                _ => None,
            }
        }
    }
}
