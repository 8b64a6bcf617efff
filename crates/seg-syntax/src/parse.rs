//! From text to AST: the pest grammar, error recovery per item, and the builder
//! that turns pest pairs into the spanned AST while validating literals and
//! enforcing the size limits.

use crate::ast::*;
use crate::limits::{MAX_FILE_BYTES, MAX_LIST_LEN, MAX_NODES, MAX_TREE_DEPTH};
use crate::prescan::prescan;
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use seg_diagnostics::{Code, Diagnostic, FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/seg.pest"]
struct SegParser;

/// The parser's own stack, generous for [`crate::limits::MAX_NESTING`] levels
/// of brackets (the limit tests parse at the limit on small test-thread stacks).
const PARSER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// The result of parsing one file: as much AST as could be recovered, and every
/// diagnostic found on the way. The AST is only trustworthy when there are no
/// errors.
#[derive(Debug)]
pub struct Parsed {
    /// The items that parsed, and all comments.
    pub file: File,
    /// Syntax errors, limit violations and invalid literals.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses one file. Never panics; returns every error it can find, one per broken
/// item at most, plus all literal and limit errors of the items that parsed.
pub fn parse(text: &str, file: FileId) -> Parsed {
    if text.len() > MAX_FILE_BYTES {
        return Parsed {
            file: File::default(),
            diagnostics: vec![
                Diagnostic::new(
                    Code::E0006,
                    Span::new(file, 0, 0),
                    format!(
                        "file is {} bytes, more than the limit of {} bytes (1 MiB)",
                        text.len(),
                        MAX_FILE_BYTES
                    ),
                )
                .with_label("this file")
                .with_help("split the rules into several files joined with `use`"),
            ],
        };
    }
    // The pre-scan caps recursion depth, but a PEG parser spends several frames
    // per bracket level, so the parse always runs on a stack of its own, sized
    // for the deepest accepted input whatever thread calls it. The memory is
    // reserved, not committed: only the pages used are paid for.
    stacker::grow(PARSER_STACK_BYTES, || parse_inner(text, file))
}

fn parse_inner(text: &str, file: FileId) -> Parsed {
    let scan = prescan(text, file);
    // Offsets of lexical errors: a chunk holding one is not parsed.
    let lexical: Vec<usize> = scan
        .diagnostics
        .iter()
        .map(|d| d.span.start as usize)
        .collect();
    let mut diagnostics = scan.diagnostics;
    let comment_ranges = scan
        .comments
        .iter()
        .map(|c| (c.span.start as usize, c.span.end as usize))
        .collect();
    let mut builder = Builder {
        file,
        text,
        comment_ranges,
        nodes: 0,
        diagnostics: Vec::new(),
        node_limit_reported: false,
    };
    let mut items = Vec::new();
    let mut starts = scan.chunk_starts;
    starts.push(text.len());
    for window in starts.windows(2) {
        let (start, end) = (window[0], window[1]);
        // A chunk with a lexical error is not handed to the grammar: the lexical
        // error is the better message, and the chunk may be too deep to parse.
        if lexical
            .iter()
            .any(|&offset| offset >= start && offset < end)
        {
            continue;
        }
        let chunk = &text[start..end];
        match SegParser::parse(Rule::file, chunk) {
            Ok(mut pairs) => {
                let Some(file_pair) = pairs.next() else {
                    continue;
                };
                for pair in file_pair.into_inner().filter(not_keyword) {
                    if pair.as_rule() == Rule::EOI {
                        continue;
                    }
                    if let Some(item) = builder.item(pair, start) {
                        items.push(item);
                    }
                }
            }
            Err(error) => diagnostics.push(syntax_error(&error, text, start, end, file)),
        }
    }
    diagnostics.append(&mut builder.diagnostics);
    diagnostics.sort_by_key(|d| (d.span.start, d.code));
    Parsed {
        file: File {
            items,
            comments: scan.comments,
        },
        diagnostics,
    }
}

/// Words a reader understands for the grammar's rules.
fn rule_name(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::item | Rule::schema | Rule::use_item | Rule::param_item | Rule::segment => {
            "an item (`schema`, `use`, `param`, `segment`, `priority` or `test`)"
        }
        Rule::priority | Rule::test_item | Rule::timezone_item => {
            "an item (`schema`, `use`, `param`, `segment`, `priority` or `test`)"
        }
        Rule::name | Rule::plain_ident | Rule::backtick_ident => "a name",
        Rule::field_decl => "a field declaration",
        Rule::type_expr => "a type",
        Rule::one_of | Rule::kw_key | Rule::kw_pii => "`key`, `pii` or `one of`",
        Rule::where_clause => "`where`",
        Rule::exclude_clause => "`exclude`",
        Rule::as_of_clause => "`as_of`",
        Rule::given_clause => "`given`",
        Rule::given_field => "a field and its value",
        Rule::expect_clause => "`expect`",
        Rule::string_lit | Rule::string_body => "a string",
        Rule::param_value | Rule::given_value | Rule::neg_literal => "a value",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::predicate
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::paren
        | Rule::call
        | Rule::ago
        | Rule::today
        | Rule::now => "an expression",
        Rule::list => "a list",
        Rule::cmp_op | Rule::cmp_tail => "a comparison",
        Rule::is_tail
        | Rule::in_tail
        | Rule::between_tail
        | Rule::contains_tail
        | Rule::starts_tail
        | Rule::ends_tail
        | Rule::matches_tail
        | Rule::within_tail
        | Rule::before_tail
        | Rule::after_tail
        | Rule::negated => "a condition",
        Rule::is_what | Rule::is_missing | Rule::is_present | Rule::is_not_missing => {
            "`missing`, `present` or `not missing`"
        }
        Rule::quantifier => "`any`, `all` or `none`",
        Rule::record_type | Rule::record_field => "a record field such as `at: timestamp`",
        Rule::aggregate | Rule::agg_func | Rule::field_path => "an expression",
        Rule::record_list | Rule::record_lit | Rule::record_lit_field => "a value",
        Rule::add_op | Rule::mul_op | Rule::neg_op => "an operator",
        Rule::duration | Rule::unit => "a duration such as `30 days`",
        Rule::timestamp_lit | Rule::date_lit => "a date or timestamp",
        Rule::float_lit | Rule::decimal_lit | Rule::int_lit => "a number",
        Rule::true_lit | Rule::false_lit => "`true` or `false`",
        Rule::kw_where => "`where`",
        Rule::kw_exclude => "`exclude`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_as_of => "`as_of`",
        Rule::kw_given => "`given`",
        Rule::kw_expect => "`expect`",
        Rule::kw_with => "`with`",
        Rule::kw_ago => "`ago`",
        Rule::kw_in => "`in`",
        Rule::kw_between => "`between`",
        Rule::kw_contains => "`contains`",
        Rule::kw_starts | Rule::kw_ends | Rule::kw_matches => "a condition",
        Rule::kw_is | Rule::kw_within | Rule::kw_before | Rule::kw_after | Rule::kw_not => {
            "a condition"
        }
        Rule::kw_schema
        | Rule::kw_use
        | Rule::kw_timezone
        | Rule::kw_param
        | Rule::kw_segment
        | Rule::kw_priority
        | Rule::kw_test => "an item (`schema`, `use`, `param`, `segment`, `priority` or `test`)",
        _ => return None,
    })
}

/// Characters of an unexpected word shown in a message.
const MAX_TOKEN_SHOWN: usize = 24;

/// The token at `offset`, as shown in "unexpected ..." messages.
fn token_at(text: &str, offset: usize) -> (String, usize) {
    let rest = &text[offset..];
    let Some(first) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else if "=!<>&|".contains(first) {
        rest.find(|c: char| !"=!<>&|".contains(c))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    let token = &rest[..len];
    // A long word is cut: the file may not be rules at all, and a message
    // must not carry much of its text.
    let shown = match token {
        "\n" | "\r" => "end of line".to_string(),
        t if t.chars().count() > MAX_TOKEN_SHOWN => {
            let cut: String = t.chars().take(MAX_TOKEN_SHOWN).collect();
            format!("`{cut}…`")
        }
        t => format!("`{t}`"),
    };
    (shown, len)
}

/// The reserved words: the grammar's `keyword` rule (a test keeps the two
/// equal). A plain name may not be one of them; a backticked name may.
pub const KEYWORDS: &[&str] = &[
    "schema", "key", "pii", "one", "of", "param", "segment", "where", "exclude", "priority",
    "test", "as_of", "given", "expect", "use", "and", "or", "not", "in", "between", "contains",
    "any", "none", "all", "starts", "ends", "with", "matches", "is", "missing", "present",
    "within", "before", "after", "ago", "today", "now", "true", "false", "timezone",
];

/// True when `name` can be written without backticks: an ASCII letter or
/// `_`, then letters, digits and `_`, and not a reserved word.
pub fn is_plain_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !KEYWORDS.contains(&name)
}

/// `name` as source text: as it is when it is a plain name, in backticks
/// otherwise.
pub fn name_source(name: &str) -> String {
    if is_plain_name(name) {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

/// A help line for common slips, keyed on the unexpected token.
fn hint_for(token: &str, expected: &[&str], after_less_than: bool) -> Option<String> {
    let bare = token.trim_matches('`');
    let expects = |what: &str| expected.iter().any(|e| e.contains(what));
    if after_less_than && bare.starts_with('>') {
        return Some("write `!=` for \"not equal\"".into());
    }
    match bare {
        "=" => {
            return Some("to compare, write `==`; a param is set with `param NAME = VALUE`".into());
        }
        "&&" | "&" => return Some("write `and` to combine conditions".into()),
        "||" | "|" => return Some("write `or` to combine conditions".into()),
        "!" => return Some("write `not` to negate a condition".into()),
        "<>" => return Some("write `!=` for \"not equal\"".into()),
        _ => {}
    }
    let lower = bare.to_lowercase();
    if lower != bare && KEYWORDS.contains(&lower.as_str()) {
        return Some(format!("keywords are lower case: write `{lower}`"));
    }
    if KEYWORDS.contains(&bare) && expects("a name") {
        return Some(format!(
            "`{bare}` is a reserved word; to use it as a name, write it in backticks: `` `{bare}` ``"
        ));
    }
    if expects("`where`") {
        return Some("a segment's body starts with `where CONDITION`".into());
    }
    if bare == "end of file" {
        return Some("the file ended early: is a `}`, `)` or `]` missing?".into());
    }
    None
}

fn syntax_error(
    error: &pest::error::Error<Rule>,
    text: &str,
    chunk_start: usize,
    chunk_end: usize,
    file: FileId,
) -> Diagnostic {
    let offset = chunk_start
        + match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let offset = offset.min(text.len());
    // The grammar ran out of this item before it was complete: the next
    // item's keyword is not the problem, the end of this one is.
    if offset >= chunk_end && chunk_end < text.len() {
        let last = text[chunk_start..chunk_end].trim_end().len() + chunk_start;
        let line_end = last.max(chunk_start + 1).min(text.len());
        let item_start = chunk_start
            + (text[chunk_start..chunk_end].len()
                - text[chunk_start..chunk_end].trim_start().len());
        let keyword_len = text[item_start..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(0);
        let next = &text[chunk_end..];
        let next_word = next
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .next()
            .unwrap_or("");
        return Diagnostic::new(
            Code::E0001,
            Span::new(file, item_start, item_start + keyword_len),
            format!(
                "this `{}` is not complete before the next `{next_word}`",
                &text[item_start..item_start + keyword_len]
            ),
        )
        .with_label("this item is not closed")
        .with_secondary(
            Span::new(file, line_end.saturating_sub(1), line_end),
            "it ends here",
        )
        .with_help("is a `}` or a value missing? every item ends before the next one starts");
    }
    if let Some(habit) = crate::habits::at_failure(text, offset, file) {
        return habit;
    }
    let (token, len) = token_at(text, offset);
    let mut expected: Vec<&str> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(rule_name).collect()
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort_unstable();
    expected.dedup();
    // After a complete value almost anything may follow; "a duration" only
    // confuses there (it comes from `N days`), so keep it for when it is alone.
    if expected.len() > 1 {
        expected.retain(|e| !e.starts_with("a duration") && *e != "`ago`");
    }
    let label = match expected.as_slice() {
        [] => "not expected here".to_string(),
        [one] => format!("expected {one}"),
        [init @ .., last] => format!("expected {} or {last}", init.join(", ")),
    };
    let mut diagnostic = Diagnostic::new(
        Code::E0001,
        Span::new(file, offset, offset + len),
        format!("unexpected {token}"),
    )
    .with_label(label);
    let after_less_than = text[..offset].ends_with('<');
    diagnostic.help = hint_for(&token, &expected, after_less_than)
        .or_else(|| Some("check the line against the language guide (docs/language.md)".into()));
    diagnostic
}

/// Keyword tokens carry no information beyond their position in the rule, except
/// `key` and `pii`, which mark schema fields.
fn not_keyword(pair: &Pair<'_, Rule>) -> bool {
    !matches!(
        pair.as_rule(),
        Rule::kw_schema
            | Rule::kw_one
            | Rule::kw_of
            | Rule::kw_param
            | Rule::kw_segment
            | Rule::kw_where
            | Rule::kw_exclude
            | Rule::kw_priority
            | Rule::kw_test
            | Rule::kw_as_of
            | Rule::kw_given
            | Rule::kw_expect
            | Rule::kw_use
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
            | Rule::kw_in
            | Rule::kw_between
            | Rule::kw_contains
            | Rule::kw_starts
            | Rule::kw_ends
            | Rule::kw_with
            | Rule::kw_matches
            | Rule::kw_is
            | Rule::kw_within
            | Rule::kw_before
            | Rule::kw_after
            | Rule::kw_ago
            | Rule::kw_timezone
    )
}

/// Turns pest pairs into AST nodes, validating literals and counting nodes.
struct Builder<'t> {
    file: FileId,
    text: &'t str,
    /// Byte ranges of comments, sorted, for trimming spans.
    comment_ranges: Vec<(usize, usize)>,
    nodes: usize,
    diagnostics: Vec<Diagnostic>,
    node_limit_reported: bool,
}

/// An expression with the depth of its tree, so chains deeper than the limit are
/// rejected while building rather than recursed into later.
type Built = (Expr, usize);

impl<'t> Builder<'t> {
    /// The span of a pair, trimmed to its last token: pest's spans of
    /// non-atomic rules include the whitespace and comments skipped while trying
    /// a repetition that then failed.
    fn span(&self, pair: &Pair<'_, Rule>, base: usize) -> Span {
        let s = pair.as_span();
        let start = base + s.start();
        let mut end = base + s.end();
        let bytes = self.text.as_bytes();
        loop {
            while end > start && bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            let inside_comment = self
                .comment_ranges
                .partition_point(|&(c_start, _)| c_start < end)
                .checked_sub(1)
                .map(|i| self.comment_ranges[i])
                .filter(|&(c_start, c_end)| c_start >= start && end <= c_end);
            match inside_comment {
                Some((c_start, _)) => end = c_start,
                None => break,
            }
        }
        Span::new(self.file, start, end)
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn item(&mut self, pair: Pair<'_, Rule>, base: usize) -> Option<Item> {
        let span = self.span(&pair, base);
        let kind = match pair.as_rule() {
            Rule::schema => ItemKind::Schema(self.schema(pair, base)),
            Rule::use_item => {
                let lit = pair.into_inner().find(not_keyword)?;
                ItemKind::Use(Use {
                    path: self.string(lit, base),
                })
            }
            Rule::timezone_item => {
                let lit = pair.into_inner().find(not_keyword)?;
                ItemKind::Timezone(Timezone {
                    name: self.string(lit, base),
                })
            }
            Rule::param_item => {
                let mut inner = pair.into_inner().filter(not_keyword);
                let name = self.ident(inner.next()?, base);
                let value_pair = inner.next()?.into_inner().find(not_keyword)?;
                let value = self.value(value_pair, base);
                ItemKind::Param(Param { name, value })
            }
            Rule::segment => {
                let mut name = None;
                let mut title = None;
                let mut where_ = None;
                let mut exclude = None;
                for part in pair.into_inner().filter(not_keyword) {
                    match part.as_rule() {
                        Rule::name => name = Some(self.ident(part, base)),
                        Rule::string_lit => title = Some(self.string(part, base)),
                        Rule::where_clause => {
                            where_ = Some(self.top_expr(part.into_inner().find(not_keyword)?, base))
                        }
                        Rule::exclude_clause => {
                            exclude =
                                Some(self.top_expr(part.into_inner().find(not_keyword)?, base))
                        }
                        _ => {}
                    }
                }
                ItemKind::Segment(Segment {
                    name: name?,
                    title,
                    where_: where_?,
                    exclude,
                })
            }
            Rule::priority => {
                let mut inner = pair.into_inner().filter(not_keyword);
                let name = self.ident(inner.next()?, base);
                let entries = inner.map(|p| self.ident(p, base)).collect();
                ItemKind::Priority(Priority { name, entries })
            }
            Rule::test_item => self.test(pair, base)?,
            _ => return None,
        };
        Some(Item { kind, span })
    }

    fn schema(&mut self, pair: Pair<'_, Rule>, base: usize) -> Schema {
        let mut fields = Vec::new();
        for field in pair.into_inner().filter(not_keyword) {
            fields.extend(self.field_decl(field, base));
        }
        Schema { fields }
    }

    /// A schema field or a record type's field: `name: type` and attributes.
    fn field_decl(&mut self, field: Pair<'_, Rule>, base: usize) -> Option<FieldDecl> {
        let span = self.span(&field, base);
        let mut inner = field.into_inner().filter(not_keyword);
        let (Some(name), Some(ty)) = (inner.next(), inner.next()) else {
            return None;
        };
        let name = self.ident(name, base);
        let ty = self.type_expr(ty, base);
        let mut decl = FieldDecl {
            name,
            ty,
            key: None,
            pii: None,
            one_of: None,
            span,
        };
        for attr in inner {
            let attr_span = self.span(&attr, base);
            match attr.as_rule() {
                Rule::kw_key => decl.key = Some(attr_span),
                Rule::kw_pii => decl.pii = Some(attr_span),
                Rule::one_of => {
                    if let Some(list) = attr.into_inner().find(not_keyword) {
                        decl.one_of = Some(self.expr_checked(list, base));
                    }
                }
                _ => {}
            }
        }
        Some(decl)
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>, base: usize) -> TypeExpr {
        let span = self.span(&pair, base);
        let mut inner = pair.into_inner().filter(not_keyword).peekable();
        if let Some(record) = inner.next_if(|p| p.as_rule() == Rule::record_type) {
            let mut fields = Vec::new();
            for field in record.into_inner().filter(not_keyword) {
                fields.extend(self.field_decl(field, base));
            }
            return TypeExpr {
                name: Ident {
                    name: String::new(),
                    backticked: false,
                    span: Span {
                        end: span.start,
                        ..span
                    },
                },
                arg: None,
                record: Some(fields),
                span,
            };
        }
        let name = match inner.next() {
            Some(p) => self.ident(p, base),
            None => Ident {
                name: String::new(),
                backticked: false,
                span,
            },
        };
        let arg = inner.next().map(|p| Box::new(self.type_expr(p, base)));
        TypeExpr {
            name,
            arg,
            record: None,
            span,
        }
    }

    fn test(&mut self, pair: Pair<'_, Rule>, base: usize) -> Option<ItemKind> {
        let mut inner = pair.into_inner().filter(not_keyword);
        let name = self.string(inner.next()?, base);
        let mut test = Test {
            name,
            as_of: None,
            given: Vec::new(),
            given_span: Span::default(),
            expects: Vec::new(),
        };
        for part in inner {
            match part.as_rule() {
                Rule::as_of_clause => {
                    let lit = part.into_inner().find(not_keyword)?;
                    test.as_of = Some(self.value(lit, base));
                }
                Rule::given_clause => {
                    test.given_span = self.span(&part, base);
                    for field in part.into_inner().filter(not_keyword) {
                        let span = self.span(&field, base);
                        let mut f = field.into_inner().filter(not_keyword);
                        let name = self.ident(f.next()?, base);
                        let value = self.value(f.next()?.into_inner().find(not_keyword)?, base);
                        test.given.push(GivenField { name, value, span });
                    }
                }
                Rule::expect_clause => {
                    let span = self.span(&part, base);
                    let mut negated = false;
                    let mut segment = None;
                    for p in part.into_inner().filter(not_keyword) {
                        match p.as_rule() {
                            Rule::expect_not => negated = true,
                            Rule::name => segment = Some(self.ident(p, base)),
                            _ => {}
                        }
                    }
                    test.expects.push(Expect {
                        negated,
                        segment: segment?,
                        span,
                    });
                }
                _ => {}
            }
        }
        Some(ItemKind::Test(test))
    }

    fn ident(&mut self, pair: Pair<'_, Rule>, base: usize) -> Ident {
        let span = self.span(&pair, base);
        let text = pair.as_str();
        match text.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
            Some(inner) => Ident {
                name: inner.to_string(),
                backticked: true,
                span,
            },
            None => Ident {
                name: text.to_string(),
                backticked: false,
                span,
            },
        }
    }

    fn string(&mut self, pair: Pair<'_, Rule>, base: usize) -> StringLit {
        let span = self.span(&pair, base);
        let raw = pair.as_str().to_string();
        let body_start = span.start as usize + 1;
        let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let value = self.unescape(body, body_start);
        StringLit { value, raw, span }
    }

    /// Resolves `\"`, `\\`, `\n`, `\t` and `\u{...}`; anything else is E0005.
    fn unescape(&mut self, body: &str, body_start: usize) -> String {
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            match e {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'u' => {
                    let rest = &body[i + 2..];
                    let parsed = rest
                        .strip_prefix('{')
                        .and_then(|r| r.find('}').map(|end| &r[..end]))
                        .filter(|hex| (1..=6).contains(&hex.len()))
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                        .and_then(char::from_u32);
                    match parsed {
                        Some(ch) => {
                            out.push(ch);
                            // Skip `{hex}`.
                            for (_, d) in chars.by_ref() {
                                if d == '}' {
                                    break;
                                }
                            }
                        }
                        None => {
                            let end = rest.find('}').map_or(i + 2, |e| i + 2 + e + 1);
                            self.error(
                                Diagnostic::new(
                                    Code::E0005,
                                    Span::new(self.file, body_start + i, body_start + end.min(body.len())),
                                    "invalid unicode escape",
                                )
                                .with_label("not a valid `\\u{...}` escape")
                                .with_help("write a Unicode scalar value in hex between braces, such as `\\u{e9}` for `é`"),
                            );
                        }
                    }
                }
                other => {
                    // Keep the text as written so that no second error (a regex
                    // built from the damaged string, say) follows this one.
                    out.push('\\');
                    out.push(other);
                    let end = i + 1 + other.len_utf8();
                    self.error(
                        Diagnostic::new(
                            Code::E0005,
                            Span::new(self.file, body_start + i, body_start + end),
                            format!("unknown escape `\\{other}` in string"),
                        )
                        .with_label("unknown escape")
                        .with_help(format!(
                            "for a backslash followed by `{other}`, write `\\\\{other}`; the escapes are \\\" \\\\ \\n \\t \\u{{...}}"
                        )),
                    );
                }
            }
        }
        out
    }

    fn count_node(&mut self, span: Span) -> bool {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            if !self.node_limit_reported {
                self.node_limit_reported = true;
                self.error(
                    Diagnostic::new(
                        Code::E0007,
                        span,
                        format!("the file has more than {MAX_NODES} expression nodes"),
                    )
                    .with_label("the limit is passed here")
                    .with_help("split the rules into several files joined with `use`"),
                );
            }
            return false;
        }
        true
    }

    fn too_deep(&mut self, span: Span) -> Expr {
        self.error(
            Diagnostic::new(
                Code::E0003,
                span,
                format!("expression is nested more than {MAX_TREE_DEPTH} levels deep"),
            )
            .with_label("too deep")
            .with_help("split the condition into smaller segments and reference them by name"),
        );
        Expr {
            kind: ExprKind::Error,
            span,
        }
    }

    /// An expression at the root of a clause, with the depth limit enforced.
    fn top_expr(&mut self, pair: Pair<'_, Rule>, base: usize) -> Expr {
        self.expr_checked(pair, base)
    }

    fn expr_checked(&mut self, pair: Pair<'_, Rule>, base: usize) -> Expr {
        let span = self.span(&pair, base);
        let (expr, depth) = self.expr(pair, base);
        if depth > MAX_TREE_DEPTH {
            return self.too_deep(span);
        }
        expr
    }

    fn mk(&mut self, kind: ExprKind, span: Span) -> Expr {
        if !self.count_node(span) {
            return Expr {
                kind: ExprKind::Error,
                span,
            };
        }
        Expr { kind, span }
    }

    /// Builds any expression-level pair. Depth is tracked so that a chain longer
    /// than the limit becomes one error node instead of a deep tree.
    fn expr(&mut self, pair: Pair<'_, Rule>, base: usize) -> Built {
        let span = self.span(&pair, base);
        match pair.as_rule() {
            Rule::expr => {
                let Some(inner) = pair.into_inner().find(not_keyword) else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                self.expr(inner, base)
            }
            Rule::or_expr | Rule::and_expr => {
                let is_or = pair.as_rule() == Rule::or_expr;
                let mut operands = Vec::new();
                let mut depth = 0;
                for p in pair.into_inner().filter(not_keyword) {
                    let (e, d) = self.expr(p, base);
                    depth = depth.max(d);
                    operands.push(e);
                }
                if operands.len() == 1 {
                    return (
                        operands.pop().unwrap_or(Expr {
                            kind: ExprKind::Error,
                            span,
                        }),
                        depth,
                    );
                }
                let kind = if is_or {
                    ExprKind::Or(operands)
                } else {
                    ExprKind::And(operands)
                };
                (self.mk(kind, span), depth + 1)
            }
            Rule::not_expr => {
                let mut nots = Vec::new();
                let mut inner = None;
                for p in pair.into_inner().filter(not_keyword) {
                    if p.as_rule() == Rule::not_op {
                        nots.push(self.span(&p, base).start as usize);
                    } else {
                        inner = Some(p);
                    }
                }
                let Some(inner) = inner else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let (mut e, mut depth) = self.expr(inner, base);
                if depth + nots.len() > MAX_TREE_DEPTH {
                    return (self.too_deep(span), 1);
                }
                for start in nots.into_iter().rev() {
                    let s = Span::new(self.file, start, e.span.end as usize);
                    e = self.mk(ExprKind::Not(Box::new(e)), s);
                    depth += 1;
                }
                (e, depth)
            }
            Rule::predicate => self.predicate(pair, base),
            Rule::sum | Rule::product => {
                let mut inner = pair.into_inner().filter(not_keyword);
                let Some(first) = inner.next() else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let (mut acc, mut depth) = self.expr(first, base);
                while let (Some(op), Some(rhs)) = (inner.next(), inner.next()) {
                    let op = match op.as_str() {
                        "+" => ArithOp::Add,
                        "-" => ArithOp::Sub,
                        "*" => ArithOp::Mul,
                        "/" => ArithOp::Div,
                        _ => ArithOp::Rem,
                    };
                    let (rhs, d) = self.expr(rhs, base);
                    depth = depth.max(d) + 1;
                    if depth > MAX_TREE_DEPTH {
                        return (self.too_deep(span), 1);
                    }
                    let s = acc.span.to(rhs.span);
                    acc = self.mk(
                        ExprKind::Arith {
                            op,
                            lhs: Box::new(acc),
                            rhs: Box::new(rhs),
                        },
                        s,
                    );
                }
                (acc, depth)
            }
            Rule::unary => {
                let mut negs = Vec::new();
                let mut atom = None;
                for p in pair.into_inner().filter(not_keyword) {
                    if p.as_rule() == Rule::neg_op {
                        negs.push(self.span(&p, base).start as usize);
                    } else {
                        atom = Some(p);
                    }
                }
                let Some(atom) = atom else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                if negs.len() > MAX_TREE_DEPTH {
                    return (self.too_deep(span), 1);
                }
                // `-` directly before a number is part of the literal, so that
                // -9_223_372_036_854_775_808 is an int like any other.
                let numeric = matches!(
                    atom.as_rule(),
                    Rule::int_lit | Rule::decimal_lit | Rule::float_lit
                );
                let (mut e, mut depth) = match negs.pop() {
                    Some(minus) if numeric => {
                        let end = base + atom.as_span().end();
                        let kind = self.literal(atom, base, true);
                        (self.mk(kind, Span::new(self.file, minus, end)), 1)
                    }
                    Some(minus) => {
                        negs.push(minus);
                        self.expr(atom, base)
                    }
                    None => self.expr(atom, base),
                };
                if depth + negs.len() > MAX_TREE_DEPTH {
                    return (self.too_deep(span), 1);
                }
                for start in negs.into_iter().rev() {
                    let s = Span::new(self.file, start, e.span.end as usize);
                    e = self.mk(ExprKind::Neg(Box::new(e)), s);
                    depth += 1;
                }
                (e, depth)
            }
            Rule::paren => {
                let Some(inner) = pair.into_inner().find(not_keyword) else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let (e, d) = self.expr(inner, base);
                (self.mk(ExprKind::Paren(Box::new(e)), span), d + 1)
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut depth = 0;
                let mut too_long = false;
                for p in pair.into_inner().filter(not_keyword) {
                    if items.len() == MAX_LIST_LEN {
                        too_long = true;
                        break;
                    }
                    let (e, d) = self.expr(p, base);
                    depth = depth.max(d);
                    items.push(e);
                }
                if too_long {
                    let opening = Span {
                        end: span.start + 1,
                        ..span
                    };
                    self.error(
                        Diagnostic::new(
                            Code::E0008,
                            opening,
                            format!("list has more than {MAX_LIST_LEN} elements"),
                        )
                        .with_label("this list is too long")
                        .with_help("split it into several lists joined with `or`"),
                    );
                    return (self.mk(ExprKind::Error, span), 1);
                }
                (self.mk(ExprKind::List(items), span), depth + 1)
            }
            Rule::ago => {
                let d = match pair.into_inner().find(not_keyword) {
                    Some(p) => self.duration_or_param(p, base),
                    None => return (self.mk(ExprKind::Error, span), 1),
                };
                (self.mk(ExprKind::Ago(d), span), 1)
            }
            Rule::today => (self.mk(ExprKind::Today, span), 1),
            Rule::now => (self.mk(ExprKind::Now, span), 1),
            Rule::call => {
                let mut inner = pair.into_inner().filter(not_keyword);
                let Some(func) = inner.next() else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let func = self.ident(func, base);
                let mut args = Vec::new();
                let mut depth = 0;
                for p in inner {
                    let (e, d) = self.expr(p, base);
                    depth = depth.max(d);
                    args.push(e);
                }
                (self.mk(ExprKind::Call { func, args }, span), depth + 1)
            }
            Rule::name => {
                let ident = self.ident(pair, base);
                (self.mk(ExprKind::Name(ident), span), 1)
            }
            Rule::duration => {
                let d = self.duration(pair, base);
                (self.mk(ExprKind::Duration(d), span), 1)
            }
            // --- Event histories (v0.2) ---
            Rule::aggregate => {
                let mut inner = pair.into_inner().filter(not_keyword);
                let (Some(func), Some(arg)) = (inner.next(), inner.next()) else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let func_span = self.span(&func, base);
                let Some(agg) = AggFunc::from_name(func.as_str()) else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let (arg, mut depth) = self.expr(arg, base);
                let filter = match inner.next() {
                    Some(filter) => {
                        let (filter, d) = self.expr(filter, base);
                        depth = depth.max(d);
                        Some(Box::new(filter))
                    }
                    None => None,
                };
                let kind = ExprKind::Aggregate {
                    func: agg,
                    func_span,
                    arg: Box::new(arg),
                    filter,
                };
                (self.mk(kind, span), depth + 1)
            }
            Rule::field_path => {
                let mut inner = pair.into_inner();
                let (Some(list), Some(field)) = (inner.next(), inner.next()) else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let list = self.ident(list, base);
                let field = self.ident(field, base);
                (self.mk(ExprKind::Path { list, field }, span), 1)
            }
            Rule::record_list => {
                let mut items = Vec::new();
                let mut depth = 0;
                for p in pair.into_inner().filter(not_keyword) {
                    if items.len() == MAX_LIST_LEN {
                        return (self.mk(ExprKind::Error, span), 1);
                    }
                    let (e, d) = self.expr(p, base);
                    depth = depth.max(d);
                    items.push(e);
                }
                (self.mk(ExprKind::List(items), span), depth + 1)
            }
            Rule::record_lit => {
                let mut fields = Vec::new();
                for field in pair.into_inner().filter(not_keyword) {
                    let mut f = field.into_inner().filter(not_keyword);
                    let (Some(name), Some(value)) = (f.next(), f.next()) else {
                        continue;
                    };
                    let name = self.ident(name, base);
                    let (value, _) = self.expr(value, base);
                    fields.push((name, value));
                }
                (self.mk(ExprKind::Record(fields), span), 2)
            }
            Rule::neg_literal => {
                let Some(inner) = pair.into_inner().find(not_keyword) else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                // A negative literal is one value, so `-9_223_372_036_854_775_808` fits.
                let lit = self.literal(inner, base, true);
                (self.mk(lit, span), 1)
            }
            _ => {
                let kind = self.literal(pair, base, false);
                (self.mk(kind, span), 1)
            }
        }
    }

    fn value(&mut self, pair: Pair<'_, Rule>, base: usize) -> Expr {
        self.expr_checked(pair, base)
    }

    fn literal(&mut self, pair: Pair<'_, Rule>, base: usize, negative: bool) -> ExprKind {
        let span = self.span(&pair, base);
        let raw = pair.as_str().to_string();
        let lit = match pair.as_rule() {
            Rule::int_lit => {
                let digits: String = raw.chars().filter(|c| *c != '_').collect();
                // Parse with the sign so that the most negative integer fits.
                let signed = if negative {
                    format!("-{digits}")
                } else {
                    digits
                };
                match signed.parse::<i64>() {
                    Ok(value) => Literal::Int {
                        value,
                        raw: if negative { format!("-{raw}") } else { raw },
                    },
                    Err(_) => {
                        self.error(
                            Diagnostic::new(Code::E0011, span, "integer is too large")
                                .with_label("does not fit in 64 bits")
                                .with_help("integers range from -9_223_372_036_854_775_808 to 9_223_372_036_854_775_807"),
                        );
                        return ExprKind::Error;
                    }
                }
            }
            Rule::float_lit => {
                let digits: String = raw.chars().filter(|c| *c != '_').collect();
                match digits.parse::<f64>() {
                    Ok(value) if value.is_finite() => Literal::Float {
                        value: if negative { -value } else { value },
                        raw: if negative { format!("-{raw}") } else { raw },
                    },
                    _ => {
                        self.error(
                            Diagnostic::new(Code::E0011, span, "float is out of range")
                                .with_label("larger than the largest 64-bit float")
                                .with_help("floats range up to about 1.8e308"),
                        );
                        return ExprKind::Error;
                    }
                }
            }
            Rule::decimal_lit => match parse_decimal(&raw) {
                Some((unscaled, scale)) => Literal::Decimal {
                    unscaled: if negative { -unscaled } else { unscaled },
                    scale,
                    raw: if negative { format!("-{raw}") } else { raw },
                },
                None => {
                    self.error(
                        Diagnostic::new(Code::E0011, span, "decimal has too many digits")
                            .with_label("more than 38 significant digits")
                            .with_help("decimals are exact up to 38 digits in all"),
                    );
                    return ExprKind::Error;
                }
            },
            Rule::string_lit => Literal::String(self.string(pair, base)),
            Rule::true_lit => Literal::Bool(true),
            Rule::false_lit => Literal::Bool(false),
            Rule::date_lit => match parse_date(&raw) {
                Some(days) => Literal::Date { days, raw },
                None => {
                    self.error(
                        Diagnostic::new(Code::E0010, span, format!("`{raw}` is not a date"))
                            .with_label("no such day in the calendar")
                            .with_help("write dates as YYYY-MM-DD with a real month and day, such as 2024-02-29"),
                    );
                    return ExprKind::Error;
                }
            },
            Rule::timestamp_lit => match parse_timestamp(&raw) {
                Ok(micros) => Literal::Timestamp { micros, raw },
                Err(problem) => {
                    let help = match problem {
                        TimestampProblem::NoOffset => format!(
                            "add a UTC offset: `{raw}Z` for UTC, or `{raw}+02:00` for two hours ahead"
                        ),
                        TimestampProblem::TooPrecise => {
                            "timestamps are precise to the microsecond: keep at most 6 fractional digits".to_string()
                        }
                        TimestampProblem::Invalid => {
                            "write timestamps in RFC 3339, such as 2024-01-31T10:00:00Z".to_string()
                        }
                    };
                    let message = match problem {
                        TimestampProblem::NoOffset => "timestamp has no UTC offset".to_string(),
                        TimestampProblem::TooPrecise => {
                            "timestamp is more precise than a microsecond".to_string()
                        }
                        TimestampProblem::Invalid => format!("`{raw}` is not a valid timestamp"),
                    };
                    self.error(
                        Diagnostic::new(Code::E0010, span, message)
                            .with_label("invalid timestamp")
                            .with_help(help),
                    );
                    return ExprKind::Error;
                }
            },
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::E0901,
                        span,
                        format!(
                            "internal error: unexpected rule {:?} in an expression",
                            pair.as_rule()
                        ),
                    )
                    .with_help("please report this, with the file, at the Seg issue tracker"),
                );
                return ExprKind::Error;
            }
        };
        ExprKind::Literal(lit)
    }

    fn duration_or_param(&mut self, pair: Pair<'_, Rule>, base: usize) -> DurationOrParam {
        match pair.as_rule() {
            Rule::duration => DurationOrParam::Duration(self.duration(pair, base)),
            _ => DurationOrParam::Param(self.ident(pair, base)),
        }
    }

    fn duration(&mut self, pair: Pair<'_, Rule>, base: usize) -> Duration {
        let span = self.span(&pair, base);
        let mut inner = pair.into_inner().filter(not_keyword);
        let amount = match inner.next() {
            Some(p) if p.as_rule() == Rule::int_lit => {
                let raw = p.as_str().to_string();
                let digits: String = raw.chars().filter(|c| *c != '_').collect();
                match digits.parse::<i64>() {
                    Ok(value) => DurationAmount::Literal { value, raw },
                    Err(_) => {
                        let s = self.span(&p, base);
                        self.error(
                            Diagnostic::new(Code::E0011, s, "integer is too large")
                                .with_label("does not fit in 64 bits")
                                .with_help("use a smaller count, or a larger unit"),
                        );
                        DurationAmount::Literal { value: 0, raw }
                    }
                }
            }
            Some(p) => DurationAmount::Param(self.ident(p, base)),
            None => DurationAmount::Literal {
                value: 0,
                raw: "0".into(),
            },
        };
        let unit_raw = inner
            .next()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let unit = match unit_raw.trim_end_matches('s') {
            "minute" => TimeUnit::Minute,
            "hour" => TimeUnit::Hour,
            "day" => TimeUnit::Day,
            "week" => TimeUnit::Week,
            "month" => TimeUnit::Month,
            _ => TimeUnit::Year,
        };
        Duration {
            amount,
            unit,
            unit_raw,
            span,
        }
    }

    fn predicate(&mut self, pair: Pair<'_, Rule>, base: usize) -> Built {
        let span = self.span(&pair, base);
        let mut inner = pair.into_inner().filter(not_keyword);
        let Some(first) = inner.next() else {
            return (self.mk(ExprKind::Error, span), 1);
        };
        let (mut subject, mut depth) = self.expr(first, base);
        let tails: Vec<_> = inner.collect();
        if tails.len() > 1 {
            let second = self.span(&tails[1], base);
            self.error(
                Diagnostic::new(Code::E0009, second, "conditions cannot be chained")
                    .with_label("a second condition on the same value")
                    .with_secondary(self.span(&tails[0], base), "first condition")
                    .with_help("join them with `and`, as in `a < b and b < c`, or use `between`"),
            );
            return (self.mk(ExprKind::Error, span), 1);
        }
        let Some(tail) = tails.into_iter().next() else {
            return (subject, depth);
        };
        let rule = tail.as_rule();
        let mut negated = false;
        let mut parts = Vec::new();
        for p in tail.into_inner().filter(not_keyword) {
            match p.as_rule() {
                Rule::negated => negated = true,
                _ => parts.push(p),
            }
        }
        let mut sub = |this: &mut Self, p: Pair<'_, Rule>| -> Expr {
            let (e, d) = this.expr(p, base);
            depth = depth.max(d);
            e
        };
        let mut parts = parts.into_iter();
        let kind = match rule {
            Rule::cmp_tail => {
                let (Some(op), Some(rhs)) = (parts.next(), parts.next()) else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let op_span = self.span(&op, base);
                let op = match op.as_str() {
                    "==" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let rhs = sub(self, rhs);
                // `x == null` parses (as a name), so the habit is caught here,
                // with the whole fix: `== null` becomes `is missing`.
                if let ExprKind::Name(ident) = &rhs.kind
                    && !ident.backticked
                    && ident.name.eq_ignore_ascii_case("null")
                    && matches!(op, CmpOp::Eq | CmpOp::Ne)
                {
                    let place = op_span.to(rhs.span);
                    let written = self.text.get(place.range()).unwrap_or("== null");
                    let replacement = if op == CmpOp::Eq {
                        "is missing"
                    } else {
                        "is present"
                    };
                    self.error(crate::habits::null_diagnostic(place, written, replacement));
                    return (self.mk(ExprKind::Error, span), 1);
                }
                ExprKind::Compare {
                    op,
                    lhs: Box::new(subject),
                    rhs: Box::new(rhs),
                }
            }
            Rule::is_tail => {
                let what = parts.next().and_then(|p| p.into_inner().find(not_keyword));
                let form = match what.map(|p| p.as_rule()) {
                    Some(Rule::is_present) => MissingForm::Present,
                    Some(Rule::is_not_missing) => MissingForm::NotMissing,
                    _ => MissingForm::Missing,
                };
                ExprKind::IsMissing {
                    expr: Box::new(subject),
                    form,
                }
            }
            Rule::in_tail => {
                let Some(list) = parts.next() else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let list = sub(self, list);
                ExprKind::In {
                    expr: Box::new(subject),
                    list: Box::new(list),
                    negated,
                }
            }
            Rule::between_tail => {
                let (Some(lo), Some(hi)) = (parts.next(), parts.next()) else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let lo = sub(self, lo);
                let hi = sub(self, hi);
                ExprKind::Between {
                    expr: Box::new(subject),
                    lo: Box::new(lo),
                    hi: Box::new(hi),
                    negated,
                }
            }
            Rule::contains_tail => {
                let mut quantifier = Quantifier::One;
                let mut value = None;
                for p in parts {
                    if p.as_rule() == Rule::quantifier {
                        quantifier = match p.as_str() {
                            "any" => Quantifier::Any,
                            "all" => Quantifier::All,
                            _ => Quantifier::None,
                        };
                    } else {
                        value = Some(sub(self, p));
                    }
                }
                let Some(value) = value else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                ExprKind::Contains {
                    target: Box::new(subject),
                    quantifier,
                    value: Box::new(value),
                    negated,
                }
            }
            Rule::starts_tail | Rule::ends_tail | Rule::matches_tail => {
                let Some(pattern) = parts.next() else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let pattern = sub(self, pattern);
                let op = match rule {
                    Rule::starts_tail => StrOp::StartsWith,
                    Rule::ends_tail => StrOp::EndsWith,
                    _ => StrOp::Matches,
                };
                ExprKind::StrPred {
                    op,
                    target: Box::new(subject),
                    pattern: Box::new(pattern),
                    negated,
                }
            }
            Rule::within_tail => {
                let Some(d) = parts.next() else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let duration = self.duration_or_param(d, base);
                ExprKind::Within {
                    expr: Box::new(subject),
                    duration,
                }
            }
            Rule::before_tail | Rule::after_tail => {
                let Some(bound) = parts.next() else {
                    return (self.mk(ExprKind::Error, span), 1);
                };
                let bound = Box::new(sub(self, bound));
                if rule == Rule::before_tail {
                    ExprKind::Before {
                        expr: Box::new(subject),
                        bound,
                    }
                } else {
                    ExprKind::After {
                        expr: Box::new(subject),
                        bound,
                    }
                }
            }
            _ => {
                subject.kind = ExprKind::Error;
                return (subject, depth);
            }
        };
        let _ = self.text;
        (self.mk(kind, span), depth + 1)
    }
}

/// Parses `123.4500` into (1234500, 4); `None` past 38 digits.
fn parse_decimal(raw: &str) -> Option<(i128, u8)> {
    let clean: String = raw.chars().filter(|c| *c != '_').collect();
    let (int_part, frac_part) = clean.split_once('.')?;
    let digits = format!("{int_part}{frac_part}");
    let significant = digits.trim_start_matches('0');
    if significant.len() > 38 || frac_part.len() > 38 {
        return None;
    }
    let unscaled = if significant.is_empty() {
        0
    } else {
        significant.parse::<i128>().ok()?
    };
    Some((unscaled, u8::try_from(frac_part.len()).ok()?))
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, if it exists.
pub(crate) fn parse_date(raw: &str) -> Option<i32> {
    let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
}

/// Why a timestamp literal was rejected.
enum TimestampProblem {
    NoOffset,
    TooPrecise,
    Invalid,
}

fn parse_timestamp(raw: &str) -> Result<i64, TimestampProblem> {
    let has_offset = raw.ends_with(['Z', 'z']) || {
        let tail = &raw[raw.len().saturating_sub(6)..];
        tail.starts_with(['+', '-']) && tail.as_bytes().get(3) == Some(&b':')
    };
    if !has_offset {
        return Err(TimestampProblem::NoOffset);
    }
    if let Some(dot) = raw.find('.') {
        let fraction = raw[dot + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if fraction > 6 {
            return Err(TimestampProblem::TooPrecise);
        }
    }
    let parsed =
        chrono::DateTime::parse_from_rfc3339(raw).map_err(|_| TimestampProblem::Invalid)?;
    Ok(parsed.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_the_grammars() {
        let grammar = include_str!("../../../grammar/seg.pest");
        let start = grammar.find("keyword = @{").unwrap();
        let end = start + grammar[start..].find('}').unwrap();
        let mut words: Vec<&str> = grammar[start..end].split('"').skip(1).step_by(2).collect();
        let mut listed = KEYWORDS.to_vec();
        words.sort_unstable();
        listed.sort_unstable();
        assert_eq!(words, listed);
    }

    #[test]
    fn plain_names_and_their_source() {
        assert!(is_plain_name("vip_2"));
        assert!(!is_plain_name("2vip"));
        assert!(!is_plain_name("where"));
        assert!(!is_plain_name(""));
        assert_eq!(name_source("first name"), "`first name`");
        assert_eq!(name_source("in"), "`in`");
        assert_eq!(name_source("email"), "email");
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal("19.99"), Some((1999, 2)));
        assert_eq!(parse_decimal("0.000"), Some((0, 3)));
        assert_eq!(parse_decimal("1_000.5"), Some((10005, 1)));
        assert_eq!(parse_decimal(&format!("1.{}", "0".repeat(39))), None);
    }

    #[test]
    fn dates_and_timestamps_are_validated() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("2024-02-29"), Some(19782));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(
            parse_timestamp("1970-01-01T00:00:01Z").ok(),
            Some(1_000_000)
        );
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00").ok(), Some(0));
        assert!(matches!(
            parse_timestamp("1970-01-01T00:00:00"),
            Err(TimestampProblem::NoOffset)
        ));
        assert!(matches!(
            parse_timestamp("1970-01-01T00:00:00.1234567Z"),
            Err(TimestampProblem::TooPrecise)
        ));
    }
}
