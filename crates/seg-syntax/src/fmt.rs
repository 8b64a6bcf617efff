//! The canonical formatter.
//!
//! Each item is rendered as a list of lines, and each line remembers the source
//! range it came from (its anchor). Comments are then placed by position: a
//! comment on the same source line after an anchor stays at the end of that
//! line; any other comment goes on its own line before the first line whose
//! anchor follows it. So every comment survives, and a second run finds every
//! comment already where the first run put it, which makes the formatter
//! idempotent.
//!
//! The layout: two-space indentation; one blank line between items, except
//! that consecutive `use` items and consecutive `param` items stay together; a
//! `where` or `exclude` condition on one line when it fits in [`MAX_WIDTH`]
//! columns, otherwise broken before each top-level `and`/`or`.

use crate::ast::*;

/// The widest line the formatter produces on its own (long names and strings
/// may still exceed it).
pub const MAX_WIDTH: usize = 100;

/// One output line with the source range it stands for.
struct Line {
    indent: usize,
    text: String,
    /// Source byte range; `None` for lines without a source of their own, such
    /// as a closing brace.
    anchor: Option<(usize, usize)>,
    trailing: Vec<String>,
    leading: Vec<String>,
}

impl Line {
    fn new(indent: usize, text: String, anchor: Option<(usize, usize)>) -> Self {
        Line {
            indent,
            text,
            anchor,
            trailing: Vec::new(),
            leading: Vec::new(),
        }
    }
}

fn range(span: seg_diagnostics::Span) -> (usize, usize) {
    (span.start as usize, span.end as usize)
}

/// Formats a parsed file (which must have parsed without errors) in the
/// canonical layout. `text` is the source the file was parsed from; it is used
/// to place comments and blank lines.
pub fn format_file(file: &File, text: &str) -> String {
    // Printing recurses over expressions as deep as the parser accepts.
    stacker::maybe_grow(1024 * 1024, 16 * 1024 * 1024, || {
        format_file_inner(file, text)
    })
}

fn format_file_inner(file: &File, text: &str) -> String {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count();
    let has_blank_between = |from: usize, to: usize| -> bool {
        let (from, to) = (from.min(text.len()), to.min(text.len()));
        if from >= to {
            return false;
        }
        text[from..to]
            .split('\n')
            .skip(1)
            .collect::<Vec<_>>()
            .iter()
            .rev()
            .skip(1)
            .any(|l| l.trim().is_empty())
    };

    let mut out = String::new();
    let mut comments = file.comments.iter().peekable();
    let mut previous: Option<(&ItemKind, usize)> = None;

    for item in &file.items {
        let (start, end) = range(item.span);
        // Comments before this item (after the previous one).
        let mut leading: Vec<&Comment> = Vec::new();
        while let Some(c) = comments.next_if(|c| (c.span.start as usize) < start) {
            leading.push(c);
        }
        // A comment that sits on the previous item's last line stays there.
        if let (Some((_, prev_end)), Some(first)) = (previous, leading.first())
            && line_of(first.span.start as usize) == line_of(prev_end.saturating_sub(1))
        {
            // Previous item's output ends with "\n"; append before it.
            out.pop();
            out.push_str("  #");
            out.push_str(&first.text);
            out.push('\n');
            leading.remove(0);
        }
        if let Some((prev_kind, prev_end)) = previous {
            let tight = matches!(
                (prev_kind, &item.kind),
                (ItemKind::Use(_), ItemKind::Use(_)) | (ItemKind::Param(_), ItemKind::Param(_))
            );
            let first_start = leading.first().map_or(start, |c| c.span.start as usize);
            if !tight || has_blank_between(prev_end, first_start) {
                out.push('\n');
            }
        }
        let mut group_end: Option<usize> = None;
        for c in &leading {
            if let Some(prev) = group_end
                && has_blank_between(prev, c.span.start as usize)
            {
                out.push('\n');
            }
            out.push('#');
            out.push_str(&c.text);
            out.push('\n');
            group_end = Some(c.span.end as usize);
        }
        if let Some(prev) = group_end
            && has_blank_between(prev, start)
        {
            out.push('\n');
        }

        let mut inside: Vec<&Comment> = Vec::new();
        while let Some(c) = comments.next_if(|c| (c.span.start as usize) < end) {
            inside.push(c);
        }
        let mut lines = render_item(item, &inside);
        // Comments on the item's last source line, after it, trail the last line.
        while let Some(c) =
            comments.next_if(|c| line_of(c.span.start as usize) == line_of(end.saturating_sub(1)))
        {
            inside.push(c);
        }
        place_comments(&mut lines, &inside, &line_of);
        for line in &lines {
            // Comments before a closing brace belong inside its block.
            let comment_indent = if line.text == "}" {
                line.indent + 1
            } else {
                line.indent.max(1)
            };
            for comment in &line.leading {
                push_indent(&mut out, comment_indent);
                out.push('#');
                out.push_str(comment);
                out.push('\n');
            }
            push_indent(&mut out, line.indent);
            out.push_str(&line.text);
            for comment in &line.trailing {
                out.push_str("  #");
                out.push_str(comment);
            }
            out.push('\n');
        }
        previous = Some((&item.kind, end));
    }

    // Comments after the last item.
    let mut last_end = previous.map(|(_, end)| end);
    for c in comments {
        match last_end {
            Some(prev) if has_blank_between(prev, c.span.start as usize) => out.push('\n'),
            _ => {}
        }
        out.push('#');
        out.push_str(&c.text);
        out.push('\n');
        last_end = Some(c.span.end as usize);
    }
    // Trailing whitespace inside comments is not ours to keep.
    let mut cleaned: String = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    cleaned.push('\n');
    if cleaned.trim().is_empty() {
        cleaned.clear();
    }
    cleaned
}

fn push_indent(out: &mut String, levels: usize) {
    for _ in 0..levels {
        out.push_str("  ");
    }
}

/// Attaches comments that lie inside an item to its lines:
/// 1. a comment inside a line's source range trails that line (the line is
///    printed whole, so the comment moves to its end);
/// 2. otherwise a comment on the source line where a line's range ends trails
///    that line;
/// 3. otherwise it goes on its own line before the first line that follows it.
///
/// A line takes one trailing comment; a second one goes on its own line before
/// the next line, so two comments are never merged into one.
fn place_comments(lines: &mut [Line], comments: &[&Comment], line_of: &dyn Fn(usize) -> usize) {
    for comment in comments {
        let at = comment.span.start as usize;
        let comment_line = line_of(at);
        let containing = lines
            .iter()
            .rposition(|l| l.anchor.is_some_and(|(start, end)| start <= at && at < end));
        let ending_here = || {
            lines.iter().rposition(|l| {
                l.anchor.is_some_and(|(_, end)| {
                    end <= at && line_of(end.saturating_sub(1)) == comment_line
                })
            })
        };
        if let Some(index) = containing.or_else(ending_here) {
            if lines[index].trailing.is_empty() {
                lines[index].trailing.push(comment.text.clone());
            } else {
                let next = (index + 1).min(lines.len() - 1);
                lines[next].leading.push(comment.text.clone());
            }
            continue;
        }
        let index = lines
            .iter()
            .position(|l| l.anchor.is_some_and(|(start, _)| start > at))
            .unwrap_or(lines.len().saturating_sub(1));
        if let Some(line) = lines.get_mut(index) {
            line.leading.push(comment.text.clone());
        }
    }
}

fn render_item(item: &Item, comments: &[&Comment]) -> Vec<Line> {
    let span = range(item.span);
    let head = Some((span.0, span.0 + 1));
    // The closing brace stands for itself, so comments before it stay before
    // it and a comment after it stays on its line.
    let closing = Some((span.1.saturating_sub(1), span.1));
    match &item.kind {
        ItemKind::Use(u) => vec![Line::new(0, format!("use {}", u.path.raw), Some(span))],
        ItemKind::Timezone(t) => vec![Line::new(0, format!("timezone {}", t.name.raw), Some(span))],
        ItemKind::Param(p) => vec![Line::new(
            0,
            format!("param {} = {}", ident(&p.name), expr(&p.value)),
            Some(span),
        )],
        ItemKind::Schema(schema) => {
            let mut lines = vec![Line::new(0, "schema {".into(), head)];
            for field in &schema.fields {
                let text = field_decl(field);
                match &field.ty.arg {
                    // A record type too long for one line, or with a comment
                    // inside, gets one field per line.
                    Some(arg)
                        if arg.record.as_ref().is_some_and(|f| !f.is_empty())
                            && (text.len() + 2 > MAX_WIDTH
                                || has_comment_inside(comments, field.ty.span)) =>
                    {
                        record_lines(&mut lines, field, arg);
                    }
                    _ => lines.push(Line::new(1, text, Some(range(field.span)))),
                }
            }
            lines.push(Line::new(0, "}".into(), closing));
            lines
        }
        ItemKind::Segment(segment) => {
            let mut header = format!("segment {}", ident(&segment.name));
            if let Some(title) = &segment.title {
                header.push(' ');
                header.push_str(&title.raw);
            }
            header.push_str(" {");
            let header_end = segment
                .title
                .as_ref()
                .map_or(segment.name.span.end, |t| t.span.end)
                as usize;
            let mut lines = vec![Line::new(0, header, Some((span.0, header_end)))];
            clause(&mut lines, "where", &segment.where_, comments);
            if let Some(exclude) = &segment.exclude {
                clause(&mut lines, "exclude", exclude, comments);
            }
            lines.push(Line::new(0, "}".into(), closing));
            lines
        }
        ItemKind::Priority(priority) => {
            let mut lines = vec![Line::new(
                0,
                format!("priority {} {{", ident(&priority.name)),
                Some((span.0, priority.name.span.end as usize)),
            )];
            for entry in &priority.entries {
                lines.push(Line::new(1, ident(entry), Some(range(entry.span))));
            }
            lines.push(Line::new(0, "}".into(), closing));
            lines
        }
        ItemKind::Test(test) => {
            let mut lines = vec![Line::new(
                0,
                format!("test {} {{", test.name.raw),
                Some((span.0, test.name.span.end as usize)),
            )];
            if let Some(as_of) = &test.as_of {
                lines.push(Line::new(
                    1,
                    format!("as_of {}", expr(as_of)),
                    Some(range(as_of.span)),
                ));
            }
            let fields: Vec<String> = test
                .given
                .iter()
                .map(|g| format!("{}: {}", ident(&g.name), expr(&g.value)))
                .collect();
            let one_line = format!("given {{ {} }}", fields.join(", "));
            let given = range(test.given_span);
            if fields.is_empty() {
                lines.push(Line::new(1, "given {}".into(), Some(given)));
            } else if one_line.len() + 2 <= MAX_WIDTH
                && !has_comment_inside(comments, test.given_span)
            {
                lines.push(Line::new(1, one_line, Some(given)));
            } else {
                lines.push(Line::new(1, "given {".into(), Some((given.0, given.0 + 1))));
                for (g, text) in test.given.iter().zip(fields) {
                    lines.push(Line::new(2, format!("{text},"), Some(range(g.span))));
                }
                lines.push(Line::new(
                    1,
                    "}".into(),
                    Some((given.1.saturating_sub(1), given.1)),
                ));
            }
            for e in &test.expects {
                let not = if e.negated { "not " } else { "" };
                lines.push(Line::new(
                    1,
                    format!("expect {not}{}", ident(&e.segment)),
                    Some(range(e.span)),
                ));
            }
            lines.push(Line::new(0, "}".into(), closing));
            lines
        }
    }
}

/// True when a comment starts inside `span`: such a construct is printed one
/// part per line so the comment keeps its place between the parts.
fn has_comment_inside(comments: &[&Comment], span: seg_diagnostics::Span) -> bool {
    comments
        .iter()
        .any(|c| c.span.start > span.start && c.span.start < span.end)
}

/// Renders `where EXPR` or `exclude EXPR`, broken before top-level `and`/`or`
/// when too long.
fn clause(lines: &mut Vec<Line>, keyword: &str, condition: &Expr, comments: &[&Comment]) {
    let (start, end) = range(condition.span);
    let flat = format!("{keyword} {}", expr(condition));
    let operands = match &condition.kind {
        ExprKind::And(ops) => Some(("and", ops)),
        ExprKind::Or(ops) => Some(("or", ops)),
        _ => None,
    };
    // Comments before the last operand force one operand per line (they stay
    // before it once placed, so the next run decides the same); comments in the
    // last operand trail its line and force nothing.
    let comment_before_last = |ops: &[Expr]| {
        ops.last().is_some_and(|last| {
            comments
                .iter()
                .any(|c| c.span.start > condition.span.start && c.span.start < last.span.start)
        })
    };
    match operands {
        Some((joiner, ops)) if flat.len() + 2 > MAX_WIDTH || comment_before_last(ops) => {
            for (i, op) in ops.iter().enumerate() {
                let (op_start, op_end) = range(op.span);
                if i == 0 {
                    operand_lines(
                        lines,
                        1,
                        keyword,
                        op,
                        (start.min(op_start), op_end),
                        comments,
                    );
                } else {
                    operand_lines(lines, 2, joiner, op, (op_start, op_end), comments);
                }
            }
        }
        _ => operand_lines(lines, 1, keyword, condition, (start, end), comments),
    }
}

/// Renders `word operand` on one line, or, when that is too long and the
/// operand holds an aggregate whose `where` filter is an `and`/`or`, with the
/// filter broken before each of its operands, two levels deeper:
///
/// ```text
///   where count(orders where at within 30 days
///       and category == "shoes") >= 3
/// ```
fn operand_lines(
    lines: &mut Vec<Line>,
    indent: usize,
    word: &str,
    operand: &Expr,
    anchor: (usize, usize),
    comments: &[&Comment],
) {
    let flat = format!("{word} {}", expr(operand));
    let split = split_filter(operand).filter(|split| {
        flat.len() + 2 * indent > MAX_WIDTH
            || split.rest.iter().any(|op| {
                comments
                    .iter()
                    .any(|c| c.span.start > operand.span.start && c.span.start < op.span.start)
            })
    });
    let Some(split) = split else {
        lines.push(Line::new(indent, flat, Some(anchor)));
        return;
    };
    let first_end = split.first_end;
    lines.push(Line::new(
        indent,
        format!("{word} {}", split.head),
        Some((anchor.0, first_end)),
    ));
    let last = split.rest.len().saturating_sub(1);
    for (i, op) in split.rest.iter().enumerate() {
        let (op_start, op_end) = range(op.span);
        let mut text = format!("{} {}", split.joiner, expr(op));
        let mut line_anchor = (op_start, op_end);
        if i == last {
            text.push_str(&split.tail);
            line_anchor.1 = anchor.1.max(op_end);
        }
        lines.push(Line::new(indent + 2, text, Some(line_anchor)));
    }
}

/// An expression cut at the operands of an aggregate's `and`/`or` filter.
struct FilterSplit<'e> {
    /// The text up to and including the filter's first operand.
    head: String,
    /// Where the first operand ends in the source.
    first_end: usize,
    /// `and` or `or`.
    joiner: &'static str,
    /// The filter's other operands.
    rest: &'e [Expr],
    /// The text after the filter's last operand (`)` and what follows).
    tail: String,
}

/// Finds the leftmost aggregate with an `and`/`or` filter along the path a
/// condition is read (`not`, parentheses, the left side of comparisons and
/// arithmetic), so the text before it stays on the first line.
fn split_filter(e: &Expr) -> Option<FilterSplit<'_>> {
    match &e.kind {
        ExprKind::Aggregate {
            func,
            arg,
            filter: Some(filter),
            ..
        } => {
            let (joiner, ops) = match &filter.kind {
                ExprKind::And(ops) => ("and", ops),
                ExprKind::Or(ops) => ("or", ops),
                _ => return None,
            };
            let (first, rest) = ops.split_first()?;
            Some(FilterSplit {
                head: format!("{}({} where {}", func.as_str(), expr(arg), expr(first)),
                first_end: range(first.span).1,
                joiner,
                rest,
                tail: ")".into(),
            })
        }
        ExprKind::Not(inner) => split_filter(inner).map(|mut split| {
            split.head.insert_str(0, "not ");
            split
        }),
        ExprKind::Paren(inner) => split_filter(inner).map(|mut split| {
            split.head.insert(0, '(');
            split.tail.push(')');
            split
        }),
        ExprKind::Compare { op, lhs, rhs } => split_filter(lhs).map(|mut split| {
            split.tail = format!("{} {} {}", split.tail, op.as_str(), expr(rhs));
            split
        }),
        ExprKind::Arith { op, lhs, rhs } => split_filter(lhs).map(|mut split| {
            split.tail = format!("{} {} {}", split.tail, op.as_str(), expr(rhs));
            split
        }),
        _ => None,
    }
}

fn ident(id: &Ident) -> String {
    if id.backticked {
        format!("`{}`", id.name)
    } else {
        id.name.clone()
    }
}

/// `name: type` and the attributes of a schema or record field, on one line.
fn field_decl(field: &FieldDecl) -> String {
    let mut text = format!("{}: {}", ident(&field.name), type_expr(&field.ty));
    text.push_str(&attributes(field));
    text
}

/// ` key pii one of [..]`, as declared.
fn attributes(field: &FieldDecl) -> String {
    let mut text = String::new();
    if field.key.is_some() {
        text.push_str(" key");
    }
    if field.pii.is_some() {
        text.push_str(" pii");
    }
    if let Some(one_of) = &field.one_of {
        text.push_str(" one of ");
        text.push_str(&expr(one_of));
    }
    text
}

/// A schema field of type `list<{ ... }>` laid out one record field per line,
/// each with a trailing comma:
///
/// ```text
///   orders: list<{
///     at: timestamp,
///     amount: decimal,
///   }> pii
/// ```
fn record_lines(lines: &mut Vec<Line>, field: &FieldDecl, record: &TypeExpr) {
    let (start, _) = range(field.span);
    let (record_start, record_end) = range(record.span);
    lines.push(Line::new(
        1,
        format!("{}: {}<{{", ident(&field.name), ident(&field.ty.name)),
        Some((start, record_start + 1)),
    ));
    for inner in record.record.iter().flatten() {
        lines.push(Line::new(
            2,
            format!("{},", field_decl(inner)),
            Some(range(inner.span)),
        ));
    }
    lines.push(Line::new(
        1,
        format!("}}>{}", attributes(field)),
        Some((record_end.saturating_sub(1), range(field.span).1)),
    ));
}

fn type_expr(ty: &TypeExpr) -> String {
    if let Some(fields) = &ty.record {
        if fields.is_empty() {
            return "{}".into();
        }
        let fields: Vec<String> = fields.iter().map(field_decl).collect();
        return format!("{{ {} }}", fields.join(", "));
    }
    match &ty.arg {
        Some(arg) => format!("{}<{}>", ident(&ty.name), type_expr(arg)),
        None => ident(&ty.name),
    }
}

fn duration(d: &Duration) -> String {
    let amount = match &d.amount {
        DurationAmount::Literal { raw, .. } => raw.clone(),
        DurationAmount::Param(p) => ident(p),
    };
    format!("{amount} {}", d.unit_raw)
}

fn duration_or_param(d: &DurationOrParam) -> String {
    match d {
        DurationOrParam::Duration(d) => duration(d),
        DurationOrParam::Param(p) => ident(p),
    }
}

fn join(items: &[Expr], separator: &str) -> String {
    items.iter().map(expr).collect::<Vec<_>>().join(separator)
}

/// Prints an expression on one line. Parentheses are printed where the source
/// had them, and the grammar needs no others, so the result parses back to the
/// same tree.
pub(crate) fn expr(e: &Expr) -> String {
    let not = |negated: bool| if negated { "not " } else { "" };
    match &e.kind {
        ExprKind::Or(items) => join(items, " or "),
        ExprKind::And(items) => join(items, " and "),
        ExprKind::Not(inner) => format!("not {}", expr(inner)),
        ExprKind::Compare { op, lhs, rhs } => {
            format!("{} {} {}", expr(lhs), op.as_str(), expr(rhs))
        }
        ExprKind::In {
            expr: x,
            list,
            negated,
        } => format!("{} {}in {}", expr(x), not(*negated), expr(list)),
        ExprKind::Between {
            expr: x,
            lo,
            hi,
            negated,
        } => format!(
            "{} {}between {} and {}",
            expr(x),
            not(*negated),
            expr(lo),
            expr(hi)
        ),
        ExprKind::Contains {
            target,
            quantifier,
            value,
            negated,
        } => {
            let q = match quantifier {
                Quantifier::One => "",
                Quantifier::Any => "any ",
                Quantifier::All => "all ",
                Quantifier::None => "none ",
            };
            format!(
                "{} {}contains {q}{}",
                expr(target),
                not(*negated),
                expr(value)
            )
        }
        ExprKind::StrPred {
            op,
            target,
            pattern,
            negated,
        } => format!(
            "{} {}{} {}",
            expr(target),
            not(*negated),
            op.as_str(),
            expr(pattern)
        ),
        ExprKind::IsMissing { expr: x, form } => {
            let what = match form {
                MissingForm::Missing => "missing",
                MissingForm::Present => "present",
                MissingForm::NotMissing => "not missing",
            };
            format!("{} is {what}", expr(x))
        }
        ExprKind::Within { expr: x, duration } => {
            format!("{} within {}", expr(x), duration_or_param(duration))
        }
        ExprKind::Before { expr: x, bound } => format!("{} before {}", expr(x), expr(bound)),
        ExprKind::After { expr: x, bound } => format!("{} after {}", expr(x), expr(bound)),
        ExprKind::Arith { op, lhs, rhs } => format!("{} {} {}", expr(lhs), op.as_str(), expr(rhs)),
        ExprKind::Neg(inner) => format!("-{}", expr(inner)),
        ExprKind::Paren(inner) => format!("({})", expr(inner)),
        ExprKind::List(items) => format!("[{}]", join(items, ", ")),
        ExprKind::Ago(d) => format!("{} ago", duration_or_param(d)),
        ExprKind::Today => "today".into(),
        ExprKind::Now => "now".into(),
        ExprKind::Call { func, args } => format!("{}({})", ident(func), join(args, ", ")),
        ExprKind::Literal(lit) => match lit {
            Literal::Int { raw, .. }
            | Literal::Decimal { raw, .. }
            | Literal::Float { raw, .. }
            | Literal::Date { raw, .. }
            | Literal::Timestamp { raw, .. } => raw.clone(),
            Literal::String(s) => s.raw.clone(),
            Literal::Bool(b) => b.to_string(),
        },
        ExprKind::Name(id) => ident(id),
        ExprKind::Duration(d) => duration(d),
        ExprKind::Aggregate {
            func, arg, filter, ..
        } => match filter {
            Some(filter) => format!("{}({} where {})", func.as_str(), expr(arg), expr(filter)),
            None => format!("{}({})", func.as_str(), expr(arg)),
        },
        ExprKind::Path { list, field } => format!("{}.{}", ident(list), ident(field)),
        ExprKind::Record(fields) => {
            if fields.is_empty() {
                return "{}".into();
            }
            let fields: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{}: {}", ident(name), expr(value)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        ExprKind::Error => "<error>".into(),
    }
}
