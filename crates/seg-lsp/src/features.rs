//! The answers: diagnostics, formatting, symbols, hover, definition,
//! references, completion, rename and quick fixes.

// `WorkspaceEdit` keys its changes by `Uri`, whose parsed form caches data in
// a `Cell`; that cache does not take part in hashing or equality, so the
// keys cannot change under the map.
#![allow(clippy::mutable_key_type)]

use crate::analysis::{Analysis, Kind, Occurrence};
use crate::{Document, Failure, Server, convert};
use lsp_server::ErrorCode;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CompletionItem,
    CompletionItemKind, CompletionParams, CompletionTextEdit, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, DocumentFormattingParams, DocumentSymbol,
    DocumentSymbolParams, GotoDefinitionParams, Hover, HoverContents, HoverParams, Location,
    MarkupContent, MarkupKind, NumberOrString, Range, ReferenceParams, RenameParams, SymbolKind,
    TextEdit, Uri, WorkspaceEdit,
};
use seg::diagnostics::{FileId, Severity, Span};
use seg::syntax::ast::{ExprKind, Item, ItemKind, Literal};
use std::collections::HashMap;
use std::path::PathBuf;

/// The root file of an analysis: the open document, loaded first.
const ROOT: FileId = FileId(0);

/// The LSP range of `span`, in its own file's coordinates.
fn span_range(analysis: &Analysis, span: Span) -> Option<Range> {
    let file = analysis.checked.sources.get(span.file)?;
    Some(convert::range(&file.lines, &file.text, span.range()))
}

/// Where `span` is, as a location a client can open.
fn location(analysis: &Analysis, root: &Uri, span: Span) -> Option<Location> {
    let uri = if span.file == ROOT {
        root.clone()
    } else {
        convert::path_to_uri(&analysis.checked.sources.get(span.file)?.path)?
    };
    Some(Location::new(uri, span_range(analysis, span)?))
}

/// A file's path as the disk names it, to tell whether two analyses mean
/// the same file.
fn file_key(analysis: &Analysis, file: FileId) -> Option<PathBuf> {
    let path = &analysis.checked.sources.get(file)?.path;
    Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()))
}

/// The structured fix a diagnostic carries to the client in its `data`.
#[derive(serde::Serialize, serde::Deserialize)]
struct FixData {
    fixes: Vec<FixAction>,
}

/// One machine-applicable suggestion of a diagnostic, as the editor applies
/// it: a title for the quick-fix menu and its edits in this document.
#[derive(serde::Serialize, serde::Deserialize)]
struct FixAction {
    title: String,
    edits: Vec<TextEdit>,
}

/// The diagnostics of the open document's own file.
pub fn diagnostics(analysis: &Analysis, document: &Document) -> Vec<Diagnostic> {
    analysis
        .checked
        .diagnostics
        .iter()
        .filter(|d| d.span.file == ROOT)
        .filter_map(|d| {
            let range = span_range(analysis, d.span)?;
            let severity = match d.severity() {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            };
            let mut message = d.message.clone();
            if d.label != d.message {
                message.push_str(&format!("\n{}", d.label));
            }
            if let Some(help) = &d.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            let related: Vec<DiagnosticRelatedInformation> = d
                .secondary
                .iter()
                .filter_map(|label| {
                    Some(DiagnosticRelatedInformation {
                        location: location(analysis, &document.uri, label.span)?,
                        message: label.message.clone(),
                    })
                })
                .collect();
            // A suggestion whose edits all fall in this document becomes a
            // quick fix; one that reaches into another file is left to the
            // help line.
            let fixes: Vec<FixAction> = d
                .suggestions()
                .iter()
                .filter_map(|suggestion| {
                    let edits = suggestion
                        .edits
                        .iter()
                        .map(|edit| {
                            (edit.span.file == ROOT)
                                .then(|| span_range(analysis, edit.span))
                                .flatten()
                                .map(|range| TextEdit::new(range, edit.text.clone()))
                        })
                        .collect::<Option<Vec<_>>>()?;
                    Some(FixAction {
                        title: suggestion.message.clone(),
                        edits,
                    })
                })
                .collect();
            let data = (!fixes.is_empty())
                .then(|| serde_json::to_value(FixData { fixes }).ok())
                .flatten();
            Some(Diagnostic {
                range,
                severity: Some(severity),
                code: Some(NumberOrString::String(d.code.to_string())),
                source: Some("seg".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                data,
                ..Diagnostic::default()
            })
        })
        .collect()
}

/// The quick fixes of the diagnostics the client sends back.
pub fn code_actions(
    server: &mut Server,
    params: CodeActionParams,
) -> Result<Vec<CodeActionOrCommand>, Failure> {
    let _ = server;
    let uri = params.text_document.uri;
    Ok(params
        .context
        .diagnostics
        .into_iter()
        .flat_map(|diagnostic| {
            let fixes = diagnostic
                .data
                .clone()
                .and_then(|data| serde_json::from_value::<FixData>(data).ok())
                .map_or_else(Vec::new, |data| data.fixes);
            let preferred = fixes.len() == 1;
            let uri = uri.clone();
            fixes.into_iter().map(move |fix| {
                let changes = HashMap::from([(uri.clone(), fix.edits)]);
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(WorkspaceEdit::new(changes)),
                    is_preferred: Some(preferred),
                    ..CodeAction::default()
                })
            })
        })
        .collect())
}

/// The whole document in the canonical layout; no edit when it has syntax
/// errors (the formatter needs a complete parse) or is already formatted.
pub fn formatting(
    server: &mut Server,
    params: DocumentFormattingParams,
) -> Result<Vec<TextEdit>, Failure> {
    let path = convert::uri_to_path(&params.text_document.uri);
    let Some(document) = server.documents.get(&path) else {
        return Ok(Vec::new());
    };
    let text = &document.text;
    let parsed = seg::syntax::parse(text, ROOT);
    if parsed.has_errors() {
        return Ok(Vec::new());
    }
    let formatted = seg::syntax::format_file(&parsed.file, text);
    if formatted == *text {
        return Ok(Vec::new());
    }
    let index = seg::diagnostics::LineIndex::new(text);
    let whole = convert::range(&index, text, 0..text.len());
    Ok(vec![TextEdit::new(whole, formatted)])
}

/// The document's items, with schema fields and priority entries inside.
pub fn symbols(
    server: &mut Server,
    params: DocumentSymbolParams,
) -> Result<Vec<DocumentSymbol>, Failure> {
    let (_, analysis) = server.open(&params.text_document.uri)?;
    let Some(file) = analysis.file(ROOT) else {
        return Ok(Vec::new());
    };
    let symbol = |name: &str, detail: Option<String>, kind, span: Span, select: Span| {
        #[allow(deprecated)] // `deprecated` is a required field of the type
        Some(DocumentSymbol {
            name: if name.is_empty() {
                "?".into()
            } else {
                name.into()
            },
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: span_range(&analysis, span)?,
            selection_range: span_range(&analysis, select)?,
            children: None,
        })
    };
    let mut out = Vec::new();
    for item in &file.items {
        let found = match &item.kind {
            ItemKind::Schema(schema) => {
                symbol("schema", None, SymbolKind::STRUCT, item.span, item.span).map(|mut s| {
                    let fields = schema.fields.iter().filter_map(|f| {
                        let ty = analysis.text(f.ty.span).to_string();
                        symbol(
                            &f.name.name,
                            Some(ty),
                            SymbolKind::FIELD,
                            f.span,
                            f.name.span,
                        )
                    });
                    s.children = Some(fields.collect());
                    s
                })
            }
            ItemKind::Param(p) => symbol(
                &p.name.name,
                Some(analysis.text(p.value.span).to_string()),
                SymbolKind::CONSTANT,
                item.span,
                p.name.span,
            ),
            ItemKind::Segment(s) => symbol(
                &s.name.name,
                s.title.as_ref().map(|t| t.value.clone()),
                SymbolKind::CLASS,
                item.span,
                s.name.span,
            ),
            ItemKind::Priority(p) => {
                symbol(&p.name.name, None, SymbolKind::ENUM, item.span, p.name.span).map(|mut s| {
                    let entries = p.entries.iter().filter_map(|e| {
                        symbol(&e.name, None, SymbolKind::ENUM_MEMBER, e.span, e.span)
                    });
                    s.children = Some(entries.collect());
                    s
                })
            }
            ItemKind::Test(t) => symbol(
                &t.name.value,
                Some("test".into()),
                SymbolKind::METHOD,
                item.span,
                t.name.span,
            ),
            ItemKind::Use(_) | ItemKind::Timezone(_) => None,
        };
        out.extend(found);
    }
    Ok(out)
}

/// The item that declares `name`, a `kind`, anywhere in the program.
fn declaring_item<'a>(analysis: &'a Analysis, kind: Kind, name: &str) -> Option<&'a Item> {
    analysis
        .checked
        .files
        .iter()
        .flat_map(|(_, file)| &file.items)
        .find(|item| match (&item.kind, kind) {
            (ItemKind::Param(p), Kind::Param) => p.name.name == name,
            (ItemKind::Segment(s), Kind::Segment) => s.name.name == name,
            (ItemKind::Priority(p), Kind::Priority) => p.name.name == name,
            _ => false,
        })
}

/// Markdown for a `seg` code block.
fn code(text: &str) -> String {
    format!("```seg\n{}\n```", text.trim_end())
}

/// What the name under the cursor is: a field's type, `key`, `pii` and
/// `one of` values; a param's value; a segment's title and condition; a
/// function's signature and documentation from the language's table.
pub fn hover(server: &mut Server, params: HoverParams) -> Result<Option<Hover>, Failure> {
    let at = params.text_document_position_params;
    let (document, analysis) = server.open(&at.text_document.uri)?;
    let offset = cursor(&analysis, document, at.position);
    let Some(occurrence) = analysis.at(ROOT, offset) else {
        return Ok(None);
    };
    let value = match occurrence.kind {
        Kind::Field => {
            let Some(field) = analysis.fields().find(|f| f.name.name == occurrence.name) else {
                return Ok(None);
            };
            let mut text = code(analysis.text(field.span));
            if field.key.is_some() {
                text.push_str("\n\n`key`: identifies the profile.");
            }
            if field.pii.is_some() {
                text.push_str(
                    "\n\n`pii`: personal data; commands show its values only with `--show-pii`.",
                );
            }
            if let Some(values) = one_of_values(field.one_of.as_ref()) {
                let listed: Vec<String> = values.iter().map(|v| format!("`\"{v}\"`")).collect();
                text.push_str(&format!("\n\none of: {}", listed.join(", ")));
            }
            text
        }
        Kind::Param | Kind::Segment | Kind::Priority => {
            let Some(item) = declaring_item(&analysis, occurrence.kind, &occurrence.name) else {
                return Ok(None);
            };
            let mut text = String::new();
            if let ItemKind::Segment(s) = &item.kind
                && let Some(title) = &s.title
            {
                text.push_str(&format!("**{}**\n\n", title.value));
            }
            text.push_str(&code(analysis.text(item.span)));
            text
        }
        Kind::Function => {
            let Some(func) = seg::ir::facts::Func::lookup(&occurrence.name) else {
                return Ok(None);
            };
            let facts = seg::ir::facts::func(func);
            format!(
                "{}\n\n{}\n\n{}",
                code(&format!("{}({})", facts.name, facts.params)),
                facts.signature,
                facts.doc
            )
        }
    };
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: span_range(&analysis, occurrence.span),
    }))
}

/// The string values of a `one of [...]` list.
fn one_of_values(list: Option<&seg::syntax::ast::Expr>) -> Option<Vec<String>> {
    let ExprKind::List(items) = &list?.kind else {
        return None;
    };
    Some(
        items
            .iter()
            .filter_map(|item| match &item.kind {
                ExprKind::Literal(Literal::String(s)) => Some(s.value.clone()),
                _ => None,
            })
            .collect(),
    )
}

/// The byte offset of an LSP position in the open document.
fn cursor(analysis: &Analysis, document: &Document, position: lsp_types::Position) -> usize {
    match analysis.checked.sources.get(ROOT) {
        Some(file) => convert::offset(&file.lines, &file.text, position),
        None => convert::offset(
            &seg::diagnostics::LineIndex::new(&document.text),
            &document.text,
            position,
        ),
    }
}

/// Where the segment, param, field or priority group under the cursor is
/// declared, in whichever file of the program.
pub fn definition(
    server: &mut Server,
    params: GotoDefinitionParams,
) -> Result<Option<Location>, Failure> {
    let at = params.text_document_position_params;
    let (document, analysis) = server.open(&at.text_document.uri)?;
    let offset = cursor(&analysis, document, at.position);
    let Some(occurrence) = analysis.at(ROOT, offset) else {
        return Ok(None);
    };
    Ok(analysis
        .definition(occurrence.kind, &occurrence.name)
        .and_then(|d| location(&analysis, &document.uri, d.span)))
}

/// Every place, in every program of the open documents, where the symbol
/// under the cursor is named; `None` when the cursor is on no symbol.
fn occurrences_of(
    server: &Server,
    uri: &Uri,
    position: lsp_types::Position,
    declarations: bool,
) -> Result<Option<(Occurrence, Vec<Location>)>, Failure> {
    let (document, analysis) = server.open(uri)?;
    let offset = cursor(&analysis, document, position);
    let Some(occurrence) = analysis.at(ROOT, offset).cloned() else {
        return Ok(None);
    };
    let Some(defined_in) = analysis
        .definition(occurrence.kind, &occurrence.name)
        .and_then(|d| file_key(&analysis, d.span.file))
    else {
        return Ok(None);
    };
    let mut found: Vec<Location> = Vec::new();
    // The symbol may be named in files that use this one without being
    // used by it: every open document's program is searched.
    for (path, other) in &server.documents {
        let Some(program) = server.analyze(path) else {
            continue;
        };
        let same = program
            .definition(occurrence.kind, &occurrence.name)
            .and_then(|d| file_key(&program, d.span.file));
        if same.as_ref() != Some(&defined_in) {
            continue;
        }
        for o in &program.occurrences {
            if o.kind != occurrence.kind || o.name != occurrence.name {
                continue;
            }
            if o.definition && !declarations {
                continue;
            }
            if let Some(at) = location(&program, &other.uri, o.span)
                && !found.contains(&at)
            {
                found.push(at);
            }
        }
    }
    Ok(Some((occurrence, found)))
}

/// Where the symbol under the cursor is named, across the programs of the
/// open documents.
pub fn references(
    server: &mut Server,
    params: ReferenceParams,
) -> Result<Option<Vec<Location>>, Failure> {
    let at = params.text_document_position;
    let found = occurrences_of(
        server,
        &at.text_document.uri,
        at.position,
        params.context.include_declaration,
    )?;
    Ok(found.map(|(_, locations)| locations))
}

/// Renames a segment or param everywhere it is named. The new name must be
/// a plain name (not a keyword) that the program does not declare yet.
pub fn rename(server: &mut Server, params: RenameParams) -> Result<Option<WorkspaceEdit>, Failure> {
    let at = params.text_document_position;
    let new_name = params.new_name;
    let invalid = |message: String| Err((ErrorCode::InvalidParams, message));
    if !seg::syntax::is_plain_name(&new_name) {
        return invalid(format!(
            "`{new_name}` is not a name: write a letter or `_`, then letters, digits or `_`, and no reserved word"
        ));
    }
    let Some((occurrence, locations)) =
        occurrences_of(server, &at.text_document.uri, at.position, true)?
    else {
        return invalid("there is no segment or param here to rename".into());
    };
    if !matches!(occurrence.kind, Kind::Segment | Kind::Param) {
        return invalid(format!(
            "`{}` is not a segment or param; only those can be renamed",
            occurrence.name
        ));
    }
    let (_, analysis) = server.open(&at.text_document.uri)?;
    if new_name != occurrence.name && analysis.kind_of(&new_name).is_some() {
        return invalid(format!("the program already declares `{new_name}`"));
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for place in locations {
        changes
            .entry(place.uri)
            .or_default()
            .push(TextEdit::new(place.range, new_name.clone()));
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}

/// Completion in context: the `one of` values after `field ==`, segments
/// after `expect`, otherwise fields, params, segments, functions and
/// keywords.
pub fn completion(
    server: &mut Server,
    params: CompletionParams,
) -> Result<Vec<CompletionItem>, Failure> {
    let at = params.text_document_position;
    let (document, analysis) = server.open(&at.text_document.uri)?;
    let text = &document.text;
    let offset = cursor(&analysis, document, at.position);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];

    if let Some((field, quote)) = compared_field(before) {
        let values = analysis
            .fields()
            .find(|f| f.name.name == field)
            .and_then(|f| one_of_values(f.one_of.as_ref()));
        if let Some(values) = values {
            let index = seg::diagnostics::LineIndex::new(text);
            let start = quote.map_or(offset, |q| line_start + q);
            let range = convert::range(&index, text, start..offset);
            return Ok(values
                .into_iter()
                .map(|value| {
                    let quoted = format!("\"{value}\"");
                    CompletionItem {
                        label: quoted.clone(),
                        kind: Some(CompletionItemKind::ENUM_MEMBER),
                        detail: Some(format!("one of the values of `{field}`")),
                        filter_text: Some(quoted.clone()),
                        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(range, quoted))),
                        ..CompletionItem::default()
                    }
                })
                .collect());
        }
    }

    let item = |name: &str, kind, detail: String| CompletionItem {
        label: name.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        insert_text: Some(seg::syntax::name_source(name)),
        ..CompletionItem::default()
    };
    let segments = analysis
        .names(Kind::Segment)
        .into_iter()
        .map(|n| item(n, CompletionItemKind::CLASS, "segment".into()));
    let words: Vec<&str> = before.split_whitespace().collect();
    let after_expect = matches!(words.as_slice(), [.., "expect"] | [.., "expect", "not"]);
    if after_expect {
        return Ok(segments.collect());
    }
    let mut items: Vec<CompletionItem> = segments.collect();
    for field in analysis.fields() {
        let ty = analysis.text(field.ty.span).to_string();
        items.push(item(&field.name.name, CompletionItemKind::FIELD, ty));
    }
    for name in analysis.names(Kind::Param) {
        items.push(item(name, CompletionItemKind::CONSTANT, "param".into()));
    }
    for func in seg::ir::facts::Func::ALL {
        let facts = seg::ir::facts::func(*func);
        items.push(item(
            facts.name,
            CompletionItemKind::FUNCTION,
            facts.signature.trim_matches('`').to_string(),
        ));
    }
    for keyword in seg::syntax::KEYWORDS {
        items.push(CompletionItem {
            label: (*keyword).to_string(),
            kind: Some(CompletionItemKind::KEYWORD),
            ..CompletionItem::default()
        });
    }
    Ok(items)
}

/// When the line so far ends in `FIELD ==` or `FIELD !=` (and maybe an
/// opened string), the field and where the opened string starts.
fn compared_field(before: &str) -> Option<(&str, Option<usize>)> {
    // An odd number of quotes: a string is open; its text is the value's
    // beginning, replaced by the completion.
    let quote = (before.matches('"').count() % 2 == 1)
        .then(|| before.rfind('"'))
        .flatten();
    let head = before[..quote.unwrap_or(before.len())].trim_end();
    let head = head
        .strip_suffix("==")
        .or_else(|| head.strip_suffix("!="))?
        .trim_end();
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let field = &head[start..];
    (!field.is_empty()).then_some((field, quote))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compared_field_is_found_before_the_cursor() {
        assert_eq!(compared_field("  where tier == "), Some(("tier", None)));
        assert_eq!(compared_field("tier != \"go"), Some(("tier", Some(8))));
        assert_eq!(compared_field("x == \"a\" and tier"), None);
        assert_eq!(compared_field("== "), None);
        assert_eq!(compared_field("]é== "), None);
        assert_eq!(compared_field("é tier== "), Some(("tier", None)));
    }
}
