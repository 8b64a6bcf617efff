//! The spanned abstract syntax tree of one `.seg` file.
//!
//! The AST keeps what the user wrote (literal spellings, parentheses, the
//! `is not missing` form) so the formatter can print it back faithfully; it
//! resolves nothing. [`dump`] prints a tree without spans, which is how two
//! parses are compared ("does `fmt` preserve the meaning?") and what parse
//! fixtures snapshot.

use seg_diagnostics::Span;
use std::fmt::Write;

/// An identifier with its span. Backticked names are stored without backticks.
#[derive(Clone, Debug)]
pub struct Ident {
    /// The name itself.
    pub name: String,
    /// True when written in backticks.
    pub backticked: bool,
    /// Where it was written.
    pub span: Span,
}

/// A parsed file: its items in source order and its comments.
#[derive(Clone, Debug, Default)]
pub struct File {
    /// Items in source order.
    pub items: Vec<Item>,
    /// Every comment, in source order (the formatter re-attaches them).
    pub comments: Vec<Comment>,
}

/// A `#` comment.
#[derive(Clone, Debug)]
pub struct Comment {
    /// The text after `#`, without the line ending.
    pub text: String,
    /// The span from `#` to the end of the line.
    pub span: Span,
}

/// A top-level item.
#[derive(Clone, Debug)]
pub struct Item {
    /// What kind of item.
    pub kind: ItemKind,
    /// From its first keyword to its closing brace.
    pub span: Span,
}

/// The kinds of items.
#[derive(Clone, Debug)]
pub enum ItemKind {
    /// `schema { ... }`
    Schema(Schema),
    /// `use "file.seg"`
    Use(Use),
    /// `param NAME = LITERAL`
    Param(Param),
    /// `segment NAME "Title" { where ... exclude ... }`
    Segment(Segment),
    /// `priority NAME { ... }`
    Priority(Priority),
    /// `test "name" { ... }`
    Test(Test),
    /// `timezone "Europe/Berlin"` (v0.2)
    Timezone(Timezone),
}

/// `schema { field: type ... }`
#[derive(Clone, Debug)]
pub struct Schema {
    /// The fields in order.
    pub fields: Vec<FieldDecl>,
}

/// One schema field.
#[derive(Clone, Debug)]
pub struct FieldDecl {
    /// Field (column) name.
    pub name: Ident,
    /// Its declared type.
    pub ty: TypeExpr,
    /// `key` was given.
    pub key: Option<Span>,
    /// `pii` was given.
    pub pii: Option<Span>,
    /// `one of [...]`, when given.
    pub one_of: Option<Expr>,
    /// The whole declaration.
    pub span: Span,
}

/// A type as written: a name with an optional `<argument>`, or a record type.
#[derive(Clone, Debug)]
pub struct TypeExpr {
    /// `int`, `list`, ... (validated by the checker); empty for a record type.
    pub name: Ident,
    /// The argument of `list<...>`.
    pub arg: Option<Box<TypeExpr>>,
    /// The fields of a record type `{ name: type, ... }` (v0.2); `None` for
    /// every other type. Their `key` is always `None` (the grammar has no
    /// `key` for record fields).
    pub record: Option<Vec<FieldDecl>>,
    /// The whole type.
    pub span: Span,
}

/// `use "path"`
#[derive(Clone, Debug)]
pub struct Use {
    /// The path, unescaped.
    pub path: StringLit,
}

/// `timezone "NAME"`: the zone of the program's calendar.
#[derive(Clone, Debug)]
pub struct Timezone {
    /// The IANA name, unescaped (checked by the checker, not the parser).
    pub name: StringLit,
}

/// `param NAME = VALUE`
#[derive(Clone, Debug)]
pub struct Param {
    /// Its name.
    pub name: Ident,
    /// Its value: a literal, a negative number, a duration or a list.
    pub value: Expr,
}

/// `segment NAME "Title" { where EXPR exclude EXPR }`
#[derive(Clone, Debug)]
pub struct Segment {
    /// Its name.
    pub name: Ident,
    /// The optional human title.
    pub title: Option<StringLit>,
    /// The `where` condition.
    pub where_: Expr,
    /// The optional `exclude` condition.
    pub exclude: Option<Expr>,
}

/// `priority NAME { SEGMENT ... }`
#[derive(Clone, Debug)]
pub struct Priority {
    /// Its name.
    pub name: Ident,
    /// The segments, first match wins.
    pub entries: Vec<Ident>,
}

/// `test "name" { as_of ...  given { ... }  expect ... }`
#[derive(Clone, Debug)]
pub struct Test {
    /// The test's description.
    pub name: StringLit,
    /// The instant of evaluation, when given.
    pub as_of: Option<Expr>,
    /// The profile's fields.
    pub given: Vec<GivenField>,
    /// Span of the `given { ... }` clause.
    pub given_span: Span,
    /// The expectations.
    pub expects: Vec<Expect>,
}

/// `field: value` inside `given`.
#[derive(Clone, Debug)]
pub struct GivenField {
    /// The field.
    pub name: Ident,
    /// Its value (a literal or list).
    pub value: Expr,
    /// The whole `field: value`.
    pub span: Span,
}

/// `expect [not] SEGMENT`
#[derive(Clone, Debug)]
pub struct Expect {
    /// True for `expect not`.
    pub negated: bool,
    /// The segment.
    pub segment: Ident,
    /// The whole clause.
    pub span: Span,
}

/// A string literal: its value and the exact source spelling.
#[derive(Clone, Debug)]
pub struct StringLit {
    /// The unescaped value.
    pub value: String,
    /// The source text including quotes.
    pub raw: String,
    /// Where it was written.
    pub span: Span,
}

/// An expression with its span.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl ArithOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

/// String predicates other than `contains`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StrOp {
    /// `starts with`
    StartsWith,
    /// `ends with`
    EndsWith,
    /// `matches`
    Matches,
}

impl StrOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            StrOp::StartsWith => "starts with",
            StrOp::EndsWith => "ends with",
            StrOp::Matches => "matches",
        }
    }
}

/// The quantifier after `contains`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// `contains x`
    One,
    /// `contains any [..]`
    Any,
    /// `contains all [..]`
    All,
    /// `contains none [..]`
    None,
}

/// How `is missing` was spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MissingForm {
    /// `is missing`
    Missing,
    /// `is present`
    Present,
    /// `is not missing`
    NotMissing,
}

/// Units of a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// minute(s)
    Minute,
    /// hour(s)
    Hour,
    /// day(s)
    Day,
    /// week(s)
    Week,
    /// month(s)
    Month,
    /// year(s)
    Year,
}

impl TimeUnit {
    /// The singular spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Year => "year",
        }
    }
}

/// A duration as written: an amount (a number or a param name) and a unit.
#[derive(Clone, Debug)]
pub struct Duration {
    /// The count.
    pub amount: DurationAmount,
    /// The unit.
    pub unit: TimeUnit,
    /// The unit's spelling (`day` or `days`), kept for the formatter.
    pub unit_raw: String,
    /// The whole duration.
    pub span: Span,
}

/// The count of a duration.
#[derive(Clone, Debug)]
pub enum DurationAmount {
    /// A literal count, with its spelling.
    Literal {
        /// The value.
        value: i64,
        /// As written (`1_000`).
        raw: String,
    },
    /// An `int` param.
    Param(Ident),
}

/// The kinds of expressions.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// `a or b or ...` (two or more operands)
    Or(Vec<Expr>),
    /// `a and b and ...` (two or more operands)
    And(Vec<Expr>),
    /// `not a`
    Not(Box<Expr>),
    /// `a == b` and friends
    Compare {
        /// The operator.
        op: CmpOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `x [not] in LIST`
    In {
        /// The value.
        expr: Box<Expr>,
        /// The list literal or list param.
        list: Box<Expr>,
        /// `not in`
        negated: bool,
    },
    /// `x [not] between lo and hi`
    Between {
        /// The value.
        expr: Box<Expr>,
        /// Lower bound (inclusive).
        lo: Box<Expr>,
        /// Upper bound (inclusive).
        hi: Box<Expr>,
        /// `not between`
        negated: bool,
    },
    /// `x [not] contains [any|all|none] y` (on strings or lists)
    Contains {
        /// The string or list.
        target: Box<Expr>,
        /// Quantifier.
        quantifier: Quantifier,
        /// The needle or list of needles.
        value: Box<Expr>,
        /// `not contains`
        negated: bool,
    },
    /// `s [not] starts with / ends with / matches x`
    StrPred {
        /// The operator.
        op: StrOp,
        /// The string.
        target: Box<Expr>,
        /// The prefix, suffix or pattern.
        pattern: Box<Expr>,
        /// `not ...`
        negated: bool,
    },
    /// `x is missing`, `x is present`, `x is not missing`
    IsMissing {
        /// The value.
        expr: Box<Expr>,
        /// Spelling, which decides the meaning (`Missing` vs the others).
        form: MissingForm,
    },
    /// `t within N unit`
    Within {
        /// The time.
        expr: Box<Expr>,
        /// The window.
        duration: DurationOrParam,
    },
    /// `t before x`
    Before {
        /// The time.
        expr: Box<Expr>,
        /// The bound.
        bound: Box<Expr>,
    },
    /// `t after x`
    After {
        /// The time.
        expr: Box<Expr>,
        /// The bound.
        bound: Box<Expr>,
    },
    /// `a + b` and friends
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `-a`
    Neg(Box<Expr>),
    /// `( a )`
    Paren(Box<Expr>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `N unit ago`
    Ago(DurationOrParam),
    /// `today`
    Today,
    /// `now`
    Now,
    /// `f(args)`
    Call {
        /// The function name.
        func: Ident,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// A literal.
    Literal(Literal),
    /// A field, param or segment name.
    Name(Ident),
    /// A duration literal (only as a `param` value).
    Duration(Duration),
    // --- Event histories (v0.2) ---
    /// `count(L where C)`, `sum(L.f where C)` and the other aggregates.
    Aggregate {
        /// Which aggregate.
        func: AggFunc,
        /// Where its name was written.
        func_span: Span,
        /// The argument as written: a list name `L` or a path `L.f` (the
        /// checker rejects anything else).
        arg: Box<Expr>,
        /// The `where` filter, when given.
        filter: Option<Box<Expr>>,
    },
    /// `L.f`: the field `f` of each record of the list `L`.
    Path {
        /// The list.
        list: Ident,
        /// The record field.
        field: Ident,
    },
    /// `{ at: 2026-11-01T10:00:00Z, amount: 59.90 }`: a record literal (only
    /// inside a list, as a `given` value).
    Record(Vec<(Ident, Expr)>),
    /// Placeholder for an expression that failed to parse (never reaches the checker).
    Error,
}

/// The aggregates over a list of records (LANGUAGE.md §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count(L [where C])`
    Count,
    /// `any(L [where C])`
    Any,
    /// `sum(L.f [where C])`
    Sum,
    /// `avg(L.f [where C])`
    Avg,
    /// `min(L.f [where C])`
    Min,
    /// `max(L.f [where C])`
    Max,
    /// `count_distinct(L.f [where C])`
    CountDistinct,
}

impl AggFunc {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Any => "any",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::CountDistinct => "count_distinct",
        }
    }

    /// The aggregate of this name.
    pub fn from_name(name: &str) -> Option<AggFunc> {
        Some(match name {
            "count" => AggFunc::Count,
            "any" => AggFunc::Any,
            "sum" => AggFunc::Sum,
            "avg" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "count_distinct" => AggFunc::CountDistinct,
            _ => return None,
        })
    }

    /// True for the aggregates over the records themselves (`count`, `any`),
    /// false for those over one field (`sum(L.f)` and the rest).
    pub fn over_records(self) -> bool {
        matches!(self, AggFunc::Count | AggFunc::Any)
    }
}

/// A duration, or the name of a duration param.
#[derive(Clone, Debug)]
pub enum DurationOrParam {
    /// `30 days`
    Duration(Duration),
    /// `window`
    Param(Ident),
}

impl DurationOrParam {
    /// Where it was written.
    pub fn span(&self) -> Span {
        match self {
            DurationOrParam::Duration(d) => d.span,
            DurationOrParam::Param(p) => p.span,
        }
    }
}

/// A literal value, already validated.
#[derive(Clone, Debug)]
pub enum Literal {
    /// An integer; `raw` keeps `1_000`.
    Int {
        /// The value.
        value: i64,
        /// As written.
        raw: String,
    },
    /// A decimal literal as an exact unscaled integer and scale.
    Decimal {
        /// Unscaled digits: `19.99` is 1999.
        unscaled: i128,
        /// Digits after the point.
        scale: u8,
        /// As written.
        raw: String,
    },
    /// A float written with an exponent (`1e38`, `2.5e-3`): the nearest f64.
    Float {
        /// The value.
        value: f64,
        /// As written.
        raw: String,
    },
    /// A string.
    String(StringLit),
    /// `true` / `false`
    Bool(bool),
    /// A date, as days since 1970-01-01.
    Date {
        /// Days since the Unix epoch.
        days: i32,
        /// As written.
        raw: String,
    },
    /// A timestamp, as microseconds since the Unix epoch (UTC).
    Timestamp {
        /// Microseconds since the Unix epoch.
        micros: i64,
        /// As written.
        raw: String,
    },
}

/// Prints a file's items as an indented tree without spans or spellings, so two
/// parses that mean the same thing print the same text.
pub fn dump(file: &File) -> String {
    let mut out = String::new();
    for item in &file.items {
        dump_item(&mut out, item);
    }
    out
}

fn dump_item(out: &mut String, item: &Item) {
    match &item.kind {
        ItemKind::Schema(schema) => {
            out.push_str("schema\n");
            for field in &schema.fields {
                let _ = write!(
                    out,
                    "  field {} : {}",
                    field.name.name,
                    dump_type(&field.ty)
                );
                if field.key.is_some() {
                    out.push_str(" key");
                }
                if field.pii.is_some() {
                    out.push_str(" pii");
                }
                if let Some(one_of) = &field.one_of {
                    let _ = write!(out, " one_of {}", dump_expr(one_of));
                }
                out.push('\n');
            }
        }
        ItemKind::Use(u) => {
            let _ = writeln!(out, "use {:?}", u.path.value);
        }
        ItemKind::Timezone(t) => {
            let _ = writeln!(out, "timezone {:?}", t.name.value);
        }
        ItemKind::Param(p) => {
            let _ = writeln!(out, "param {} = {}", p.name.name, dump_expr(&p.value));
        }
        ItemKind::Segment(s) => {
            let _ = write!(out, "segment {}", s.name.name);
            if let Some(title) = &s.title {
                let _ = write!(out, " {:?}", title.value);
            }
            let _ = writeln!(out, "\n  where {}", dump_expr(&s.where_));
            if let Some(exclude) = &s.exclude {
                let _ = writeln!(out, "  exclude {}", dump_expr(exclude));
            }
        }
        ItemKind::Priority(p) => {
            let names: Vec<&str> = p.entries.iter().map(|e| e.name.as_str()).collect();
            let _ = writeln!(out, "priority {} [{}]", p.name.name, names.join(", "));
        }
        ItemKind::Test(t) => {
            let _ = writeln!(out, "test {:?}", t.name.value);
            if let Some(as_of) = &t.as_of {
                let _ = writeln!(out, "  as_of {}", dump_expr(as_of));
            }
            for g in &t.given {
                let _ = writeln!(out, "  given {} = {}", g.name.name, dump_expr(&g.value));
            }
            for e in &t.expects {
                let not = if e.negated { "not " } else { "" };
                let _ = writeln!(out, "  expect {not}{}", e.segment.name);
            }
        }
    }
}

fn dump_type(ty: &TypeExpr) -> String {
    if let Some(fields) = &ty.record {
        let fields: Vec<String> = fields
            .iter()
            .map(|f| {
                let mut text = format!("{}: {}", f.name.name, dump_type(&f.ty));
                if f.pii.is_some() {
                    text.push_str(" pii");
                }
                if let Some(one_of) = &f.one_of {
                    let _ = write!(text, " one_of {}", dump_expr(one_of));
                }
                text
            })
            .collect();
        return format!("{{{}}}", fields.join(", "));
    }
    match &ty.arg {
        Some(arg) => format!("{}<{}>", ty.name.name, dump_type(arg)),
        None => ty.name.name.clone(),
    }
}

fn dump_duration(d: &DurationOrParam) -> String {
    match d {
        DurationOrParam::Duration(d) => dump_plain_duration(d),
        DurationOrParam::Param(p) => format!("(param-duration {})", p.name),
    }
}

fn dump_plain_duration(d: &Duration) -> String {
    let amount = match &d.amount {
        DurationAmount::Literal { value, .. } => value.to_string(),
        DurationAmount::Param(p) => p.name.clone(),
    };
    format!("(duration {amount} {})", d.unit.as_str())
}

fn dump_list(items: &[Expr]) -> String {
    items.iter().map(dump_expr).collect::<Vec<_>>().join(" ")
}

/// Prints one expression as an S-expression without spans.
pub fn dump_expr(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Or(items) => format!("(or {})", dump_list(items)),
        ExprKind::And(items) => format!("(and {})", dump_list(items)),
        ExprKind::Not(e) => format!("(not {})", dump_expr(e)),
        ExprKind::Compare { op, lhs, rhs } => {
            format!("({} {} {})", op.as_str(), dump_expr(lhs), dump_expr(rhs))
        }
        ExprKind::In {
            expr,
            list,
            negated,
        } => {
            let op = if *negated { "not-in" } else { "in" };
            format!("({op} {} {})", dump_expr(expr), dump_expr(list))
        }
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => {
            let op = if *negated { "not-between" } else { "between" };
            format!(
                "({op} {} {} {})",
                dump_expr(expr),
                dump_expr(lo),
                dump_expr(hi)
            )
        }
        ExprKind::Contains {
            target,
            quantifier,
            value,
            negated,
        } => {
            let not = if *negated { "not-" } else { "" };
            let q = match quantifier {
                Quantifier::One => "",
                Quantifier::Any => "-any",
                Quantifier::All => "-all",
                Quantifier::None => "-none",
            };
            format!(
                "({not}contains{q} {} {})",
                dump_expr(target),
                dump_expr(value)
            )
        }
        ExprKind::StrPred {
            op,
            target,
            pattern,
            negated,
        } => {
            let not = if *negated { "not-" } else { "" };
            let op = op.as_str().replace(' ', "-");
            format!("({not}{op} {} {})", dump_expr(target), dump_expr(pattern))
        }
        ExprKind::IsMissing { expr, form } => {
            let op = match form {
                MissingForm::Missing => "is-missing",
                MissingForm::Present => "is-present",
                MissingForm::NotMissing => "is-not-missing",
            };
            format!("({op} {})", dump_expr(expr))
        }
        ExprKind::Within { expr, duration } => {
            format!("(within {} {})", dump_expr(expr), dump_duration(duration))
        }
        ExprKind::Before { expr, bound } => {
            format!("(before {} {})", dump_expr(expr), dump_expr(bound))
        }
        ExprKind::After { expr, bound } => {
            format!("(after {} {})", dump_expr(expr), dump_expr(bound))
        }
        ExprKind::Arith { op, lhs, rhs } => {
            format!("({} {} {})", op.as_str(), dump_expr(lhs), dump_expr(rhs))
        }
        ExprKind::Neg(e) => format!("(neg {})", dump_expr(e)),
        ExprKind::Paren(e) => format!("(paren {})", dump_expr(e)),
        ExprKind::List(items) => format!("[{}]", dump_list(items)),
        ExprKind::Ago(d) => format!("(ago {})", dump_duration(d)),
        ExprKind::Today => "today".to_string(),
        ExprKind::Now => "now".to_string(),
        ExprKind::Call { func, args } => format!("(call {} {})", func.name, dump_list(args)),
        ExprKind::Literal(lit) => dump_literal(lit),
        ExprKind::Name(ident) => format!("`{}`", ident.name),
        ExprKind::Duration(d) => dump_plain_duration(d),
        ExprKind::Aggregate {
            func, arg, filter, ..
        } => match filter {
            Some(filter) => format!(
                "({} {} where {})",
                func.as_str(),
                dump_expr(arg),
                dump_expr(filter)
            ),
            None => format!("({} {})", func.as_str(), dump_expr(arg)),
        },
        ExprKind::Path { list, field } => format!("`{}`.`{}`", list.name, field.name),
        ExprKind::Record(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{}: {}", name.name, dump_expr(value)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        ExprKind::Error => "<error>".to_string(),
    }
}

fn dump_literal(lit: &Literal) -> String {
    match lit {
        Literal::Int { value, .. } => value.to_string(),
        Literal::Decimal {
            unscaled, scale, ..
        } => format!("(decimal {unscaled}e-{scale})"),
        Literal::Float { value, .. } => format!("(float {value:?})"),
        Literal::String(s) => format!("{:?}", s.value),
        Literal::Bool(b) => b.to_string(),
        Literal::Date { days, .. } => format!("(date {days})"),
        Literal::Timestamp { micros, .. } => format!("(timestamp {micros})"),
    }
}
