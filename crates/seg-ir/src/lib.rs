//! The schema and the typed intermediate representation (IR) of a checked Seg
//! program: what the optimizer, the reference evaluator and the JIT consume.
//!
//! Invariants the checker guarantees for every [`Program`]:
//! - every name is resolved: fields to [`FieldId`], params to [`ParamId`],
//!   segments to [`SegmentId`]; nothing downstream looks a name up;
//! - every implicit coercion is an explicit [`ExprKind::Cast`], so the two
//!   operands of a comparison or arithmetic node have the same type;
//! - constants are already in the type they are used at (an `int` literal
//!   compared with a `float` field is a `Float` constant);
//! - regexes compile, dates exist, `one of` values are respected, and segment
//!   references form no cycle.

pub mod facts;
pub mod identity;
pub mod pattern;
mod render;
mod selection;
pub mod zone;

pub use facts::Func;
pub use render::{const_text, expr_text, expr_text_in, name_text};
use seg_diagnostics::Span;
pub use selection::{Selection, param_values};
use std::fmt;
use std::sync::Arc;
pub use zone::Zone;

/// The types of Seg values.
///
/// The model is recursive so that language v0.2's event histories,
/// `list<{ at: timestamp, amount: decimal }>`, are one more shape rather than
/// one more variant per combination: a [`Type::List`] holds its element type
/// and a [`Type::Record`] its named, ordered fields. What v0.1 programs can
/// declare is still only the scalars, `list<string>` and `list<int>` (the
/// checker enforces that, not this type).
///
/// `Type` is not `Copy`; pass `&Type` and clone only where an owned value is
/// kept. Cloning a scalar or a record is cheap (records share their fields
/// through an [`Arc`]); cloning a list allocates its boxed element.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// 64-bit signed integer.
    Int,
    /// 64-bit float.
    Float,
    /// Exact decimal (any scale at run time).
    Decimal,
    /// `true`/`false`.
    Bool,
    /// UTF-8 text.
    String,
    /// A calendar date (UTC).
    Date,
    /// An instant, microseconds since the Unix epoch, UTC.
    Timestamp,
    /// `list<T>`: a list of elements of one type (`list<string>`, `list<int>`,
    /// and from v0.2 `list<{ ... }>`).
    List(Box<Type>),
    /// `{ name: type, ... }`: a record with named fields in declaration order
    /// (from v0.2, only as the element of a list). Two record types are equal
    /// when they have the same fields, by name and type, in the same order.
    Record(Arc<[RecordField]>),
    /// A duration (only as a param value).
    Duration,
}

/// One field of a [`Type::Record`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RecordField {
    /// The field's name (bound to an Arrow struct child of that name).
    pub name: String,
    /// Its type.
    pub ty: Type,
}

impl Type {
    /// The list type with elements of type `of`.
    pub fn list(of: Type) -> Type {
        Type::List(Box::new(of))
    }

    /// The record type with these fields, in this order.
    pub fn record(fields: impl IntoIterator<Item = (String, Type)>) -> Type {
        Type::Record(
            fields
                .into_iter()
                .map(|(name, ty)| RecordField { name, ty })
                .collect(),
        )
    }

    /// True for `int`, `float` and `decimal`.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Float | Type::Decimal)
    }

    /// True for `date` and `timestamp`.
    pub fn is_temporal(&self) -> bool {
        matches!(self, Type::Date | Type::Timestamp)
    }

    /// The element type of a list type.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(element) => Some(element),
            _ => None,
        }
    }

    /// The fields of a record type.
    pub fn record_fields(&self) -> Option<&[RecordField]> {
        match self {
            Type::Record(fields) => Some(fields),
            _ => None,
        }
    }

    /// The type of the field `name` of a record type.
    pub fn record_field(&self, name: &str) -> Option<&Type> {
        self.record_fields()?
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.ty)
    }

    /// The name of a type without parts, as written in `.seg` files.
    fn scalar_name(&self) -> Option<&'static str> {
        Some(match self {
            Type::Int => "int",
            Type::Float => "float",
            Type::Decimal => "decimal",
            Type::Bool => "bool",
            Type::String => "string",
            Type::Date => "date",
            Type::Timestamp => "timestamp",
            Type::Duration => "duration",
            Type::List(_) | Type::Record(_) => return None,
        })
    }

    /// The name as written in `.seg` files (the same text as `Display`):
    /// `int`, `list<string>`, `list<{ sku: string, amount: decimal }>`.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        match self.scalar_name() {
            Some(name) => name.into(),
            None => self.to_string().into(),
        }
    }
}

/// Prints a type as `.seg` files write it. A record field whose name is not an
/// identifier is backticked, as a column name is in a schema.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.scalar_name() {
            return f.write_str(name);
        }
        match self {
            Type::List(element) => write!(f, "list<{element}>"),
            Type::Record(fields) if fields.is_empty() => f.write_str("{}"),
            Type::Record(fields) => {
                f.write_str("{ ")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {}", name_text(&field.name), field.ty)?;
                }
                f.write_str(" }")
            }
            _ => Ok(()),
        }
    }
}

/// A type serializes as its `.seg` text (`"int"`, `"list<string>"`), which
/// is stable, readable in JSON output, and parses back with the language's
/// own syntax.
impl serde::Serialize for Type {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Index of a schema field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct FieldId(pub u32);
/// Index of a param.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ParamId(pub u32);
/// Index of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct SegmentId(pub u32);

/// One schema field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Column name.
    pub name: String,
    /// Declared type.
    pub ty: Type,
    /// The profile id.
    pub key: bool,
    /// Personal data.
    pub pii: bool,
    /// The only values a string field takes, when declared.
    pub one_of: Option<Vec<String>>,
    /// Where it was declared.
    pub span: Span,
    /// For a list of records (v0.2), what the schema says of each record
    /// field beyond its type, in the record's order; empty otherwise.
    pub record: Vec<RecordAttrs>,
}

/// What a schema declares of one field of a record type beyond its name and
/// type (which the [`Type::Record`] holds).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordAttrs {
    /// Personal data.
    pub pii: bool,
    /// The only values a string field takes, when declared.
    pub one_of: Option<Vec<String>>,
    /// Where the record field was declared.
    pub span: Span,
}

/// The profile schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// Fields in declaration order; [`FieldId`] indexes this.
    pub fields: Vec<Field>,
}

impl Schema {
    /// The field with this id.
    pub fn field(&self, id: FieldId) -> &Field {
        &self.fields[id.0 as usize]
    }

    /// Looks a field up by name.
    pub fn find(&self, name: &str) -> Option<FieldId> {
        self.fields
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| u32::try_from(i).ok())
            .map(FieldId)
    }

    /// The key field, when declared.
    pub fn key(&self) -> Option<FieldId> {
        self.fields
            .iter()
            .position(|f| f.key)
            .and_then(|i| u32::try_from(i).ok())
            .map(FieldId)
    }
}

/// Units of a duration, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// 60 seconds.
    Minute,
    /// 60 minutes.
    Hour,
    /// 24 hours against a timestamp; one calendar day against a date.
    Day,
    /// 7 days.
    Week,
    /// A calendar month, clamped to the month's end.
    Month,
    /// A calendar year, clamped to the month's end (Feb 29).
    Year,
}

/// A duration: a count of a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Duration {
    /// The count (may be negative through a param).
    pub amount: i64,
    /// The unit.
    pub unit: TimeUnit,
}

/// A constant value.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Const {
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// An exact decimal: `unscaled × 10^-scale`.
    Decimal {
        /// Unscaled value.
        unscaled: i128,
        /// Digits after the point.
        scale: u8,
    },
    /// A `bool`.
    Bool(bool),
    /// A `string`.
    String(String),
    /// A `date`, days since 1970-01-01.
    Date(i32),
    /// A `timestamp`, microseconds since the Unix epoch.
    Timestamp(i64),
    /// A list of strings.
    ListString(Vec<String>),
    /// A list of ints.
    ListInt(Vec<i64>),
    /// A duration.
    Duration(Duration),
    /// A history (a list of records), written in a test's `given` (v0.2):
    /// each record's values in the order of the record type's fields,
    /// `None` for a field left out.
    Records {
        /// The list type, `list<{ ... }>`.
        ty: Type,
        /// The records.
        records: Vec<Vec<Option<Const>>>,
    },
}

impl Const {
    /// The type of this constant.
    pub fn ty(&self) -> Type {
        match self {
            Const::Int(_) => Type::Int,
            Const::Float(_) => Type::Float,
            Const::Decimal { .. } => Type::Decimal,
            Const::Bool(_) => Type::Bool,
            Const::String(_) => Type::String,
            Const::Date(_) => Type::Date,
            Const::Timestamp(_) => Type::Timestamp,
            Const::ListString(_) => Type::list(Type::String),
            Const::ListInt(_) => Type::list(Type::Int),
            Const::Duration(_) => Type::Duration,
            Const::Records { ty, .. } => ty.clone(),
        }
    }
}

/// The f64 nearest to the decimal `unscaled × 10^-scale`, correctly rounded:
/// formatting the exact decimal and parsing it rounds once, where dividing by a
/// power of ten would round twice. The checker (for constants) and the
/// evaluator (for columns) both convert through this one function.
pub fn decimal_to_f64(unscaled: i128, scale: u32) -> f64 {
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let text = if scale == 0 {
        digits
    } else if digits.len() > scale {
        format!(
            "{}.{}",
            &digits[..digits.len() - scale],
            &digits[digits.len() - scale..]
        )
    } else {
        format!("0.{}{}", "0".repeat(scale - digits.len()), digits)
    };
    let magnitude: f64 = text.parse().unwrap_or(f64::NAN);
    if unscaled < 0 { -magnitude } else { magnitude }
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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
    /// Whether two values in this `ordering` satisfy the comparison (the one
    /// definition every engine's comparisons use).
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering;
        match self {
            CmpOp::Eq => ordering == Ordering::Equal,
            CmpOp::Ne => ordering != Ordering::Equal,
            CmpOp::Lt => ordering == Ordering::Less,
            CmpOp::Le => ordering != Ordering::Greater,
            CmpOp::Gt => ordering == Ordering::Greater,
            CmpOp::Ge => ordering != Ordering::Less,
        }
    }
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (always float)
    Div,
    /// `%` (truncating; sign of the dividend)
    Rem,
}

/// String predicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StrOp {
    /// Substring.
    Contains,
    /// Prefix.
    StartsWith,
    /// Suffix.
    EndsWith,
    /// Rust regex, unanchored.
    Matches,
}

/// List membership quantifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListQuantifier {
    /// The list contains at least one of the values (`contains x` is `Any` of one).
    Any,
    /// The list contains every value.
    All,
    /// The list contains none of the values.
    None,
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Its result type.
    pub ty: Type,
    /// Where it was written.
    pub span: Span,
}

/// The instant-relative values of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relative {
    /// `now`: the `as_of` instant (a timestamp).
    Now,
    /// `today`: the UTC date of `as_of` (a date).
    Today,
}

/// The kinds of typed expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Const(Const),
    /// A profile field.
    Field(FieldId),
    /// A param (inlined by the optimizer; callers may override its value).
    Param(ParamId),
    /// Membership of another segment (never missing).
    Segment(SegmentId),
    /// `now` or `today`.
    Relative(Relative),
    /// A duration built from an amount (an `int` constant or param) and a unit.
    Duration {
        /// The count, an `int` expression.
        amount: Box<Expr>,
        /// The unit.
        unit: TimeUnit,
    },
    /// `base - duration`, the meaning of `N unit ago` (`base` is `now` or
    /// `today`, per the type it is compared with).
    Ago {
        /// `now` or `today`.
        base: Relative,
        /// The duration (a constant or a duration param).
        duration: Box<Expr>,
    },
    /// A coercion the checker made explicit: int→float, int→decimal,
    /// decimal→float, date→timestamp.
    Cast(Box<Expr>),
    /// Kleene negation.
    Not(Box<Expr>),
    /// Kleene conjunction of two or more operands.
    And(Vec<Expr>),
    /// Kleene disjunction of two or more operands.
    Or(Vec<Expr>),
    /// A comparison of two operands of the same type.
    Compare {
        /// The operator.
        op: CmpOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `x in [..]`: true when `x` equals one of the candidates. An empty list is
    /// false for a present `x`.
    InList {
        /// The value.
        expr: Box<Expr>,
        /// The candidates, each of `expr`'s type.
        list: Vec<Expr>,
        /// A list param holding the candidates (its element type is `expr`'s),
        /// when given instead of a list literal.
        list_param: Option<Box<Expr>>,
        /// `not in`.
        negated: bool,
    },
    /// `x between lo and hi`, inclusive; all three of one type.
    Between {
        /// The value.
        expr: Box<Expr>,
        /// Lower bound.
        lo: Box<Expr>,
        /// Upper bound.
        hi: Box<Expr>,
        /// `not between`.
        negated: bool,
    },
    /// `x is missing` (or, negated, `is present`). Never missing itself.
    IsMissing {
        /// The value.
        expr: Box<Expr>,
        /// True for `is present` / `is not missing`.
        negated: bool,
    },
    /// A string predicate; `matches` patterns are constant and valid.
    StrPred {
        /// The operator.
        op: StrOp,
        /// The string.
        target: Box<Expr>,
        /// The needle, prefix, suffix or pattern.
        pattern: Box<Expr>,
        /// `not ...`.
        negated: bool,
    },
    /// List membership: `l contains v`, `contains any/all/none [..]`.
    ListContains {
        /// The list.
        list: Box<Expr>,
        /// How the values combine.
        quantifier: ListQuantifier,
        /// The values, each of the list's element type.
        values: Vec<Expr>,
        /// A list param holding the values, when given instead of literals.
        values_param: Option<Box<Expr>>,
    },
    /// `t within d`: `as_of - d <= t <= as_of` (or `today - d <= t <= today`).
    Within {
        /// A date or timestamp.
        expr: Box<Expr>,
        /// The duration.
        duration: Box<Expr>,
    },
    /// Arithmetic on operands of the same type (the result type is the node's).
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// Numeric negation.
    Neg(Box<Expr>),
    /// A built-in function.
    Call {
        /// Which.
        func: Func,
        /// Arguments, already cast to what the function takes. `bucket`'s
        /// are `[salt, key]`: the checker appends the program's `key` field
        /// to the written salt, so the key is an ordinary field read that
        /// `field_refs`, binding, the pruner and the SQL back ends see like
        /// any other, and nothing downstream looks the key up in the schema.
        args: Vec<Expr>,
    },
    // --- Event histories (v0.2) ---
    /// An aggregate over the records of a list: `count(orders where C)`,
    /// `sum(orders.amount where C)`. Never missing for `count`, `any` and
    /// `count_distinct`; a missing list aggregates as an empty one.
    ///
    /// The filter is evaluated once per record, in the *record scope*: its
    /// [`ExprKind::Element`] nodes read the current record's fields, every
    /// other node (profile fields, params, segments, `now`) has the row's
    /// value for all of the row's records. Analyses that learn facts about
    /// a row from a condition must not look inside the filter (a fact there
    /// holds for some records, not for the row); those that only rewrite an
    /// expression into an equal one may, as equal filters give equal results.
    Aggregate {
        /// Which aggregate.
        func: AggFunc,
        /// The list of records: an [`ExprKind::Field`] of type `list<{..}>`.
        list: Box<Expr>,
        /// The record field aggregated (`L.f`), as an index into the record
        /// type's fields; `None` for `count` and `any`.
        value: Option<usize>,
        /// The `where` filter (`bool`, in the record scope): a record counts
        /// when it is true.
        filter: Option<Box<Expr>>,
    },
    /// A field of the current record, by its index in the record type (only
    /// inside an aggregate's filter).
    Element(usize),
}

/// The aggregates over a list of records (LANGUAGE.md §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AggFunc {
    /// How many records count (`int`).
    Count,
    /// Whether any record counts (`bool`, never missing).
    Any,
    /// The exact sum of a field (`int`, `decimal` or `float`).
    Sum,
    /// The mean of a field, the exact sum divided by the count (`float`).
    Avg,
    /// The least value of a field.
    Min,
    /// The greatest value of a field.
    Max,
    /// How many distinct values a field takes (`int`), compared as `==` does.
    CountDistinct,
}

/// What the language fixes about the values of an `int` expression: the
/// least and greatest values it takes when present, and whether it can be
/// missing at all (LANGUAGE.md §7.1: `count` and `count_distinct` never are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntRange {
    /// The least value.
    pub min: i64,
    /// The greatest value.
    pub max: i64,
    /// It is never missing, whatever the row holds.
    pub never_missing: bool,
}

/// The [`IntRange`] of an expression, when the language fixes one: counts
/// over histories, and the functions whose facts give a range (`size`,
/// `length`, `month`, `day`, `bucket`).
pub fn int_range(e: &Expr) -> Option<IntRange> {
    match &e.kind {
        ExprKind::Aggregate {
            func: AggFunc::Count | AggFunc::CountDistinct,
            ..
        } => Some(IntRange {
            min: 0,
            max: i64::MAX,
            never_missing: true,
        }),
        ExprKind::Call { func, .. } => facts::func(*func).range.map(|(min, max)| IntRange {
            min,
            max,
            never_missing: false,
        }),
        _ => None,
    }
}

impl AggFunc {
    /// The name as written in `.seg` files.
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
}

/// A param with its default value.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its type (the default's).
    pub ty: Type,
    /// The default value.
    pub value: Const,
    /// Where it was declared.
    pub span: Span,
}

/// A checked segment.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Its name.
    pub name: String,
    /// Its human title.
    pub title: Option<String>,
    /// The `where` condition (`bool`).
    pub where_: Expr,
    /// The `exclude` condition (`bool`), when given.
    pub exclude: Option<Expr>,
    /// The segment's name in its declaration.
    pub span: Span,
}

/// A priority group (a waterfall of segments).
#[derive(Clone, Debug, PartialEq)]
pub struct Priority {
    /// Its name.
    pub name: String,
    /// The segments, first match wins.
    pub segments: Vec<SegmentId>,
    /// Where it was declared.
    pub span: Span,
}

/// A checked `test` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    /// Its description.
    pub name: String,
    /// The instant of evaluation (microseconds since the epoch), when given.
    /// A date `as_of` is its midnight in the program's zone.
    pub as_of: Option<i64>,
    /// The date (days since the epoch) when `as_of` was written as a date,
    /// so that [`Program::set_timezone`] can move it to the new zone's
    /// midnight.
    pub as_of_date: Option<i32>,
    /// Field values (fields not listed are missing).
    pub given: Vec<(FieldId, Const)>,
    /// `expect [not] segment`: the segment and the expected membership.
    pub expects: Vec<Expectation>,
    /// Where it was declared.
    pub span: Span,
}

/// One `expect` line.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// The segment.
    pub segment: SegmentId,
    /// Expected membership.
    pub member: bool,
    /// Where it was written.
    pub span: Span,
}

/// A checked program.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    /// The schema.
    pub schema: Schema,
    /// Params; [`ParamId`] indexes this.
    pub params: Vec<Param>,
    /// Segments, in order of definition; [`SegmentId`] indexes this. A segment
    /// may reference later ones; [`Program::evaluation_order`] sorts them.
    pub segments: Vec<Segment>,
    /// Priority groups.
    pub priorities: Vec<Priority>,
    /// Tests.
    pub tests: Vec<Test>,
    /// The zone of the calendar (`timezone "..."`; UTC without one): what
    /// `today`, a date compared with a timestamp, `year`/`month`/`day` of a
    /// timestamp and month steps against a timestamp mean.
    pub timezone: Zone,
}

impl Program {
    /// Evaluates the program in `zone` instead of the declared one (a
    /// caller's override, `--tz`): tests whose `as_of` is a date move to
    /// that date's midnight in `zone`.
    pub fn set_timezone(&mut self, zone: Zone) {
        self.timezone = zone;
        for test in &mut self.tests {
            if let Some(date) = test.as_of_date {
                test.as_of = zone.midnight(date);
            }
        }
    }

    /// Looks a segment up by name.
    pub fn segment_id(&self, name: &str) -> Option<SegmentId> {
        self.segments
            .iter()
            .position(|s| s.name == name)
            .and_then(|i| u32::try_from(i).ok())
            .map(SegmentId)
    }

    /// Looks a param up by name.
    pub fn param_id(&self, name: &str) -> Option<ParamId> {
        self.params
            .iter()
            .position(|p| p.name == name)
            .and_then(|i| u32::try_from(i).ok())
            .map(ParamId)
    }

    /// Segments ordered so that every segment comes after those it references
    /// (the checker rejects cycles, so this order exists).
    pub fn evaluation_order(&self) -> Vec<SegmentId> {
        let n = self.segments.len();
        let mut state = vec![0u8; n]; // 0 new, 1 in progress, 2 done
        let mut order = Vec::with_capacity(n);
        for root in 0..n {
            let mut stack = vec![(root, false)];
            while let Some((index, expanded)) = stack.pop() {
                if expanded {
                    state[index] = 2;
                    order.push(SegmentId(u32::try_from(index).unwrap_or(u32::MAX)));
                    continue;
                }
                if state[index] != 0 {
                    continue;
                }
                state[index] = 1;
                stack.push((index, true));
                let segment = &self.segments[index];
                let mut deps = Vec::new();
                segment_refs(&segment.where_, &mut deps);
                if let Some(exclude) = &segment.exclude {
                    segment_refs(exclude, &mut deps);
                }
                for dep in deps.into_iter().rev() {
                    if state[dep.0 as usize] == 0 {
                        stack.push((dep.0 as usize, false));
                    }
                }
            }
        }
        order
    }
}

/// Collects the segments an expression references, in order of appearance.
pub fn segment_refs(expr: &Expr, out: &mut Vec<SegmentId>) {
    walk(expr, &mut |e| {
        if let ExprKind::Segment(id) = e.kind {
            out.push(id);
        }
    });
}

/// Collects the fields an expression reads.
pub fn field_refs(expr: &Expr, out: &mut Vec<(FieldId, Span)>) {
    walk(expr, &mut |e| {
        if let ExprKind::Field(id) = e.kind {
            out.push((id, e.span));
        }
    });
}

/// Whether an expression reads a profile row: a field, a segment's
/// membership or (inside an aggregate's filter) a record's field. One that reads none has the same value on every row, which the
/// engines compute once (`seg_eval::fold_constant`) instead of per row.
pub fn reads_row(expr: &Expr) -> bool {
    if matches!(
        expr.kind,
        ExprKind::Field(_) | ExprKind::Segment(_) | ExprKind::Element(_)
    ) {
        return true;
    }
    let (singles, list, param) = expr.parts();
    singles
        .into_iter()
        .flatten()
        .chain(list)
        .chain(param)
        .any(reads_row)
}

/// Whether an expression holds an aggregate over a list of records.
pub fn has_aggregate(expr: &Expr) -> bool {
    let mut found = false;
    walk(expr, &mut |e| {
        found |= matches!(e.kind, ExprKind::Aggregate { .. });
    });
    found
}

/// Visits every node of an expression, parents before children.
pub fn walk(expr: &Expr, visit: &mut dyn FnMut(&Expr)) {
    visit(expr);
    let (singles, list, param) = expr.parts();
    for child in singles.into_iter().flatten().chain(list).chain(param) {
        walk(child, visit);
    }
}

impl Expr {
    /// The direct children of this node, in one fixed order: up to three
    /// single operands (in the order written), then the operand list
    /// (`and`/`or` operands, `in` candidates, `contains` values, call
    /// arguments), then the list param when one is given. An aggregate's
    /// parts are its list and its filter (see [`ExprKind::Aggregate`] on
    /// the record scope). Every traversal
    /// ([`walk`], structural identity) reads children through this one match.
    pub fn parts(&self) -> ([Option<&Expr>; 3], &[Expr], Option<&Expr>) {
        let none: &[Expr] = &[];
        match &self.kind {
            ExprKind::Const(_)
            | ExprKind::Field(_)
            | ExprKind::Param(_)
            | ExprKind::Segment(_)
            | ExprKind::Relative(_) => ([None, None, None], none, None),
            ExprKind::Ago { duration: x, .. }
            | ExprKind::Duration { amount: x, .. }
            | ExprKind::Cast(x)
            | ExprKind::Not(x)
            | ExprKind::Neg(x)
            | ExprKind::IsMissing { expr: x, .. } => ([Some(x), None, None], none, None),
            ExprKind::And(items) | ExprKind::Or(items) => ([None, None, None], items, None),
            ExprKind::Compare { lhs, rhs, .. } | ExprKind::Arith { lhs, rhs, .. } => {
                ([Some(lhs), Some(rhs), None], none, None)
            }
            ExprKind::StrPred {
                target, pattern, ..
            } => ([Some(target), Some(pattern), None], none, None),
            ExprKind::Within { expr, duration } => ([Some(expr), Some(duration), None], none, None),
            ExprKind::Between { expr, lo, hi, .. } => {
                ([Some(expr), Some(lo), Some(hi)], none, None)
            }
            ExprKind::InList {
                expr,
                list,
                list_param,
                ..
            } => ([Some(expr), None, None], list, list_param.as_deref()),
            ExprKind::ListContains {
                list,
                values,
                values_param,
                ..
            } => ([Some(list), None, None], values, values_param.as_deref()),
            ExprKind::Call { args, .. } => ([None, None, None], args, None),
            ExprKind::Aggregate { list, filter, .. } => {
                ([Some(list), filter.as_deref(), None], none, None)
            }
            ExprKind::Element(_) => ([None, None, None], none, None),
        }
    }

    /// The direct children of this node, mutably, in the order of
    /// [`Expr::parts`] (for rewrites that keep the tree's shape, such as the
    /// JIT's compilation of an aggregate's filter over a records' batch).
    pub fn parts_mut(&mut self) -> Vec<&mut Expr> {
        let mut out: Vec<&mut Expr> = Vec::new();
        match &mut self.kind {
            ExprKind::Const(_)
            | ExprKind::Field(_)
            | ExprKind::Param(_)
            | ExprKind::Segment(_)
            | ExprKind::Relative(_)
            | ExprKind::Element(_) => {}
            ExprKind::Ago { duration: x, .. }
            | ExprKind::Duration { amount: x, .. }
            | ExprKind::Cast(x)
            | ExprKind::Not(x)
            | ExprKind::Neg(x)
            | ExprKind::IsMissing { expr: x, .. } => out.push(x),
            ExprKind::And(items) | ExprKind::Or(items) | ExprKind::Call { args: items, .. } => {
                out.extend(items.iter_mut())
            }
            ExprKind::Compare { lhs, rhs, .. } | ExprKind::Arith { lhs, rhs, .. } => {
                out.push(lhs);
                out.push(rhs);
            }
            ExprKind::StrPred {
                target, pattern, ..
            } => {
                out.push(target);
                out.push(pattern);
            }
            ExprKind::Within { expr, duration } => {
                out.push(expr);
                out.push(duration);
            }
            ExprKind::Between { expr, lo, hi, .. } => {
                out.push(expr);
                out.push(lo);
                out.push(hi);
            }
            ExprKind::InList {
                expr,
                list,
                list_param,
                ..
            } => {
                out.push(expr);
                out.extend(list.iter_mut());
                out.extend(list_param.as_deref_mut());
            }
            ExprKind::ListContains {
                list,
                values,
                values_param,
                ..
            } => {
                out.push(list);
                out.extend(values.iter_mut());
                out.extend(values_param.as_deref_mut());
            }
            ExprKind::Aggregate { list, filter, .. } => {
                out.push(list);
                out.extend(filter.as_deref_mut());
            }
        }
        out
    }
}
