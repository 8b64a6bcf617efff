//! One table of language facts: for every built-in function ([`Func`]) and
//! every operator ([`Op`]), its name as written, its arity, its typing rule,
//! the signature shown in help messages, a one-line doc, whether it reads the
//! run's instant, whether it is strict in missing values, its cost class and
//! what a SQL back end must know about it.
//!
//! Every stage that needs such a fact reads it here: the checker (lookup,
//! arity, typing, help text), the optimizer (`reads_as_of`, strictness,
//! cost), the JIT planner, `docs/language.md`'s function list (a test renders
//! it from this table) and the SQL back end to come. [`func`] and [`op`] match
//! exhaustively, so a new variant without its facts does not compile; the
//! evaluator's dispatch in `seg-eval` stays the one place a function is
//! evaluated.

use crate::{ArithOp, CmpOp, ExprKind, ListQuantifier, Relative, StrOp, Type};

/// Declares a fieldless enum together with `ALL`, the list of its variants in
/// declaration order, so that the list cannot miss a variant.
macro_rules! listed_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident, )*
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every variant, in declaration order (generated with the enum,
            /// so it lists each variant exactly once).
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
        }
    };
}

listed_enum! {
    /// Built-in functions, resolved.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Func {
        /// Unicode lower case.
        Lower,
        /// Unicode upper case.
        Upper,
        /// Count of Unicode scalar values.
        Length,
        /// Number of list elements.
        Size,
        /// Absolute value.
        Abs,
        /// First present argument.
        Coalesce,
        /// Whole days from the argument to `as_of`, floored.
        DaysSince,
        /// UTC calendar year.
        Year,
        /// UTC calendar month, 1–12.
        Month,
        /// UTC day of month, 1–31.
        Day,
        /// `bucket("salt")`: the profile's stable holdout bucket, 0–9999
        /// (LANGUAGE.md §7.2). Written with one argument, the salt; the
        /// checker appends the program's `key` field as a second argument
        /// (see [`crate::ExprKind::Call`]), so the IR call is
        /// `bucket(salt, key)`.
        Bucket,
    }
}

impl Func {
    /// The name as written.
    pub fn name(self) -> &'static str {
        func(self).name
    }

    /// The function called `name` in `.seg` files.
    pub fn lookup(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == name)
    }
}

listed_enum! {
    /// The operators of the language, one per IR node kind that computes
    /// something (`before`/`after` are `<`/`>`; `not in`, `not between`,
    /// `is present` are the negated forms of `in`, `between`, `is missing`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Op {
        /// `==`
        Eq,
        /// `!=`
        Ne,
        /// `<` (and `before`)
        Lt,
        /// `<=`
        Le,
        /// `>` (and `after`)
        Gt,
        /// `>=`
        Ge,
        /// `+`
        Add,
        /// `-` between two numbers.
        Sub,
        /// `*`
        Mul,
        /// `/`
        Div,
        /// `%`
        Rem,
        /// Unary `-`.
        Neg,
        /// String `contains`.
        Contains,
        /// `starts with`
        StartsWith,
        /// `ends with`
        EndsWith,
        /// `matches`
        Matches,
        /// List `contains x` and `contains any [..]`.
        ContainsAny,
        /// List `contains all [..]`.
        ContainsAll,
        /// List `contains none [..]`.
        ContainsNone,
        /// `not`
        Not,
        /// `and`
        And,
        /// `or`
        Or,
        /// `in` / `not in`
        In,
        /// `between` / `not between`
        Between,
        /// `within`
        Within,
        /// `N unit ago`
        Ago,
        /// `is missing` / `is present`
        IsMissing,
        /// `now`
        Now,
        /// `today`
        Today,
    }
}

impl Op {
    /// The operator written for a comparison.
    pub fn compare(op: CmpOp) -> Op {
        match op {
            CmpOp::Eq => Op::Eq,
            CmpOp::Ne => Op::Ne,
            CmpOp::Lt => Op::Lt,
            CmpOp::Le => Op::Le,
            CmpOp::Gt => Op::Gt,
            CmpOp::Ge => Op::Ge,
        }
    }

    /// The operator written for an arithmetic node.
    pub fn arith(op: ArithOp) -> Op {
        match op {
            ArithOp::Add => Op::Add,
            ArithOp::Sub => Op::Sub,
            ArithOp::Mul => Op::Mul,
            ArithOp::Div => Op::Div,
            ArithOp::Rem => Op::Rem,
        }
    }

    /// The operator written for a string predicate.
    pub fn string(op: StrOp) -> Op {
        match op {
            StrOp::Contains => Op::Contains,
            StrOp::StartsWith => Op::StartsWith,
            StrOp::EndsWith => Op::EndsWith,
            StrOp::Matches => Op::Matches,
        }
    }

    /// The operator written for a list quantifier.
    pub fn list(quantifier: ListQuantifier) -> Op {
        match quantifier {
            ListQuantifier::Any => Op::ContainsAny,
            ListQuantifier::All => Op::ContainsAll,
            ListQuantifier::None => Op::ContainsNone,
        }
    }
}

/// How many arguments a function or operator takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly this many.
    Exactly(usize),
    /// This many or more.
    AtLeast(usize),
}

impl Arity {
    /// Whether `count` arguments are accepted.
    pub fn admits(self, count: usize) -> bool {
        match self {
            Arity::Exactly(n) => count == n,
            Arity::AtLeast(n) => count >= n,
        }
    }

    /// The wording of help messages: "1 argument", "at least 2 arguments".
    pub fn describe(self) -> String {
        let (prefix, n) = match self {
            Arity::Exactly(n) => ("", n),
            Arity::AtLeast(n) => ("at least ", n),
        };
        let noun = if n == 1 { "argument" } else { "arguments" };
        format!("{prefix}{n} {noun}")
    }
}

/// Why arguments do not fit a typing rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeError {
    /// The argument at this index is of a type the function does not take.
    Arg(usize),
    /// The argument at `index` does not mix with `with`, the common type of
    /// the arguments before it.
    Mix {
        /// The argument's index.
        index: usize,
        /// The common type of the arguments before it.
        with: Type,
    },
}

/// A typing rule: the result type for these argument types (already checked
/// for arity), or which argument does not fit.
pub type Typing = fn(&[&Type]) -> Result<Type, TypeError>;

/// Whether a missing argument makes the result missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Any missing argument makes the result missing.
    All,
    /// A missing first operand (the value tested) makes the result missing;
    /// missing bounds or candidates may not (`x between lo and hi` is false
    /// when `x > hi`, whatever `lo`).
    First,
    /// The result can be present although an argument is missing
    /// (`coalesce`, `and`, `or`, `is missing`).
    Lenient,
}

/// A rough per-row cost class, for the optimizer's ordering of operands
/// (cheap ones first, so they can short-circuit the rest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cost {
    /// Known before any row is read (`now`, `today`).
    Free,
    /// A bit or a fixed-width step (`not`, `is missing`, arithmetic).
    Trivial,
    /// One fixed-width comparison.
    Compare,
    /// A few fixed-width steps (`between`, `in`, date parts, `abs`).
    Simple,
    /// Reads a list's offsets (`size`).
    Offsets,
    /// A substring search (`contains`, `starts with`, `ends with`).
    Search,
    /// Walks every character (`lower`, `upper`, `length`).
    PerChar,
    /// Walks every list element (`contains any/all/none`).
    ListScan,
    /// Runs a regular expression (`matches`).
    Regex,
    /// Computes a cryptographic digest per row (`bucket`: MD5 of the key),
    /// the most expensive step of the language, so it is ordered after
    /// every cheaper conjunct (`lapsed_vip and bucket("s") < 1000`).
    Hash,
}

impl Cost {
    /// The weight the optimizer adds up.
    pub fn weight(self) -> u32 {
        match self {
            Cost::Free => 0,
            Cost::Trivial => 1,
            Cost::Compare => 2,
            Cost::Simple => 3,
            Cost::Offsets => 10,
            Cost::Search => 15,
            Cost::PerChar => 20,
            Cost::ListScan => 30,
            Cost::Regex => 40,
            Cost::Hash => 60,
        }
    }
}

/// What a SQL back end must know to translate a function or an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sql {
    /// A standard SQL expression computes it with Seg's meaning (given
    /// Seg's Kleene logic, which SQL's three-valued logic shares).
    Standard,
    /// It reads the run's instant: the back end binds Seg's `as_of` (or its
    /// UTC date) as a parameter, never the database's clock.
    AsOf,
    /// The dialect's nearest function may differ from Seg's meaning (Unicode
    /// case mapping, regex syntax, calendar arithmetic): translate it with
    /// the dialect's exact equivalent or evaluate it in Seg.
    Dialect,
}

/// The facts of one function or operator.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    /// The name as written (`days_since`, `starts with`, `==`).
    pub name: &'static str,
    /// The argument names for documentation: `days_since(t)`.
    pub params: &'static str,
    /// How many arguments it takes.
    pub arity: Arity,
    /// Its typing rule.
    pub typing: Typing,
    /// The checker casts every argument to the result type (`coalesce` of
    /// an `int` and a `float` takes two floats); otherwise the arguments are
    /// taken as they are.
    pub coerce_args: bool,
    /// The signature shown in help messages (the checker's wording).
    pub signature: &'static str,
    /// What it takes, for the documentation's table.
    pub takes: &'static str,
    /// What it gives, for the documentation's table.
    pub gives: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
    /// Its value depends on the run's instant (`as_of`, or `today`).
    pub reads_as_of: bool,
    /// How missing arguments propagate.
    pub strictness: Strictness,
    /// Its cost class.
    pub cost: Cost,
    /// What a SQL back end must know.
    pub sql: Sql,
    /// For an `int` result, the least and greatest values it can take when
    /// present (`month` is 1–12); `None` when any int may come out. The
    /// optimizer reads it to decide comparisons no value can satisfy.
    pub range: Option<(i64, i64)>,
}

/// The facts of a function. The match is exhaustive: a new [`Func`] does not
/// compile until it has its entry here.
pub fn func(f: Func) -> Facts {
    match f {
        Func::Lower => Facts {
            name: "lower",
            params: "s",
            arity: Arity::Exactly(1),
            typing: string_to_string,
            coerce_args: false,
            signature: "`lower(string) -> string`",
            takes: "string",
            gives: "string (full Unicode lower case)",
            doc: "Unicode lower case.",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::PerChar,
            sql: Sql::Dialect,
            range: None,
        },
        Func::Upper => Facts {
            name: "upper",
            params: "s",
            arity: Arity::Exactly(1),
            typing: string_to_string,
            coerce_args: false,
            signature: "`upper(string) -> string`",
            takes: "string",
            gives: "string (full Unicode upper case: `ß` → `SS`)",
            doc: "Unicode upper case.",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::PerChar,
            sql: Sql::Dialect,
            range: None,
        },
        Func::Length => Facts {
            name: "length",
            params: "s",
            arity: Arity::Exactly(1),
            typing: string_to_int,
            coerce_args: false,
            signature: "`length(string) -> int` counts characters",
            takes: "string",
            gives: "int (Unicode scalar values)",
            doc: "Count of Unicode scalar values.",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::PerChar,
            sql: Sql::Standard,
            range: Some((0, i64::MAX)),
        },
        Func::Size => Facts {
            name: "size",
            params: "l",
            arity: Arity::Exactly(1),
            typing: list_to_int,
            coerce_args: false,
            signature: "`size(list) -> int` counts list elements",
            takes: "list",
            gives: "int",
            doc: "Number of list elements.",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::Offsets,
            sql: Sql::Dialect,
            range: Some((0, i64::MAX)),
        },
        Func::Abs => Facts {
            name: "abs",
            params: "x",
            arity: Arity::Exactly(1),
            typing: number_to_same,
            coerce_args: false,
            signature: "`abs(number) -> number` takes an int, float or decimal",
            takes: "int, float, decimal",
            gives: "the same",
            doc: "Absolute value (missing when it does not fit).",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::Simple,
            sql: Sql::Standard,
            range: None,
        },
        Func::Coalesce => Facts {
            name: "coalesce",
            params: "x, y, …",
            arity: Arity::AtLeast(2),
            typing: coalesce,
            coerce_args: true,
            signature: "`coalesce(x, y, ...)` takes values of one type (int mixes with float or decimal)",
            takes: "two or more values of one type; int mixes with float or decimal (not decimal with float)",
            gives: "the common type",
            doc: "The first present argument.",
            reads_as_of: false,
            strictness: Strictness::Lenient,
            cost: Cost::Simple,
            sql: Sql::Standard,
            range: None,
        },
        Func::DaysSince => Facts {
            name: "days_since",
            params: "t",
            arity: Arity::Exactly(1),
            typing: temporal_to_int,
            coerce_args: false,
            signature: "`days_since(date or timestamp) -> int`",
            takes: "date or timestamp",
            gives: "int (whole days to `as_of`, floored)",
            doc: "Whole days from the argument to `as_of`, floored.",
            reads_as_of: true,
            strictness: Strictness::All,
            cost: Cost::Simple,
            sql: Sql::AsOf,
            range: None,
        },
        Func::Year => Facts {
            name: "year",
            params: "t",
            arity: Arity::Exactly(1),
            typing: temporal_to_int,
            coerce_args: false,
            signature: "`year(date or timestamp) -> int`",
            takes: "date or timestamp",
            gives: "int (in the program's zone)",
            doc: "UTC calendar year.",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::Simple,
            sql: Sql::Standard,
            range: None,
        },
        Func::Month => Facts {
            name: "month",
            params: "t",
            arity: Arity::Exactly(1),
            typing: temporal_to_int,
            coerce_args: false,
            signature: "`month(date or timestamp) -> int`",
            takes: "date or timestamp",
            gives: "int, 1–12 (in the program's zone)",
            doc: "UTC calendar month, 1–12.",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::Simple,
            sql: Sql::Standard,
            range: Some((1, 12)),
        },
        Func::Day => Facts {
            name: "day",
            params: "t",
            arity: Arity::Exactly(1),
            typing: temporal_to_int,
            coerce_args: false,
            signature: "`day(date or timestamp) -> int`",
            takes: "date or timestamp",
            gives: "int, 1–31 (in the program's zone)",
            doc: "UTC day of month, 1–31.",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::Simple,
            sql: Sql::Standard,
            range: Some((1, 31)),
        },
        Func::Bucket => Facts {
            name: "bucket",
            params: "salt",
            arity: Arity::Exactly(1),
            typing: bucket_rule,
            coerce_args: false,
            signature: "`bucket(string) -> int` takes a salt (a string literal or string param) and reads the `key` field",
            takes: "a salt: a string literal or string param (the profile's `key` field is read)",
            gives: "int 0–9999, stable per profile and salt (MD5 of `salt:key`)",
            doc: "The profile's holdout bucket.",
            reads_as_of: false,
            strictness: Strictness::All,
            cost: Cost::Hash,
            sql: Sql::Dialect,
            range: Some((0, 9999)),
        },
    }
}

/// An operator's facts, all but its name, arity and typing being those of
/// an ordinary strict, standard operator of the given cost.
const fn operator(
    name: &'static str,
    arity: Arity,
    typing: Typing,
    signature: &'static str,
    doc: &'static str,
    cost: Cost,
) -> Facts {
    Facts {
        name,
        params: "",
        arity,
        typing,
        coerce_args: false,
        signature,
        takes: "",
        gives: "",
        doc,
        reads_as_of: false,
        strictness: Strictness::All,
        cost,
        sql: Sql::Standard,
        range: None,
    }
}

/// The facts of an operator. The match is exhaustive: a new [`Op`] does not
/// compile until it has its entry here.
pub fn op(o: Op) -> Facts {
    const TWO: Arity = Arity::Exactly(2);
    const ONE: Arity = Arity::Exactly(1);
    let equality = "`x == y` compares values of one type; `int`, `float` and `decimal` mix, and so do `date` and `timestamp`";
    let order = "`x < y` orders numbers, text, dates and timestamps";
    let arithmetic = "`x + y` computes at the common numeric type";
    let text = "`s contains t` tests text against text";
    let list = "`l contains any [..]` tests a list against values of its element type";
    match o {
        Op::Eq => operator("==", TWO, equality_rule, equality, "Equal.", Cost::Compare),
        Op::Ne => operator(
            "!=",
            TWO,
            equality_rule,
            equality,
            "Not equal.",
            Cost::Compare,
        ),
        Op::Lt => operator(
            "<",
            TWO,
            order_rule,
            order,
            "Less than (also `before`).",
            Cost::Compare,
        ),
        Op::Le => operator("<=", TWO, order_rule, order, "At most.", Cost::Compare),
        Op::Gt => operator(
            ">",
            TWO,
            order_rule,
            order,
            "Greater than (also `after`).",
            Cost::Compare,
        ),
        Op::Ge => operator(">=", TWO, order_rule, order, "At least.", Cost::Compare),
        Op::Add => operator(
            "+",
            TWO,
            arithmetic_rule,
            arithmetic,
            "Sum (missing on overflow).",
            Cost::Trivial,
        ),
        Op::Sub => operator(
            "-",
            TWO,
            arithmetic_rule,
            arithmetic,
            "Difference (missing on overflow).",
            Cost::Trivial,
        ),
        Op::Mul => operator(
            "*",
            TWO,
            arithmetic_rule,
            arithmetic,
            "Product (missing on overflow).",
            Cost::Trivial,
        ),
        Op::Div => operator(
            "/",
            TWO,
            division_rule,
            "`x / y` always divides floats",
            "Float quotient.",
            Cost::Trivial,
        ),
        Op::Rem => operator(
            "%",
            TWO,
            arithmetic_rule,
            arithmetic,
            "Truncating remainder, the dividend's sign.",
            Cost::Trivial,
        ),
        Op::Neg => operator(
            "-",
            ONE,
            number_to_same,
            "`-x` negates a number",
            "Negation.",
            Cost::Trivial,
        ),
        Op::Contains => operator("contains", TWO, text_rule, text, "Substring.", Cost::Search),
        Op::StartsWith => operator("starts with", TWO, text_rule, text, "Prefix.", Cost::Search),
        Op::EndsWith => operator("ends with", TWO, text_rule, text, "Suffix.", Cost::Search),
        Op::Matches => Facts {
            sql: Sql::Dialect,
            ..operator(
                "matches",
                TWO,
                text_rule,
                "`s matches \"pattern\"` tests text against a constant Rust regex",
                "Unanchored Rust regex.",
                Cost::Regex,
            )
        },
        Op::ContainsAny => Facts {
            strictness: Strictness::First,
            sql: Sql::Dialect,
            ..operator(
                "contains any",
                Arity::AtLeast(1),
                list_rule,
                list,
                "The list holds at least one of the values.",
                Cost::ListScan,
            )
        },
        Op::ContainsAll => Facts {
            strictness: Strictness::First,
            sql: Sql::Dialect,
            ..operator(
                "contains all",
                Arity::AtLeast(1),
                list_rule,
                list,
                "The list holds every value.",
                Cost::ListScan,
            )
        },
        Op::ContainsNone => Facts {
            strictness: Strictness::First,
            sql: Sql::Dialect,
            ..operator(
                "contains none",
                Arity::AtLeast(1),
                list_rule,
                list,
                "The list holds none of the values.",
                Cost::ListScan,
            )
        },
        Op::Not => operator(
            "not",
            ONE,
            all_bool,
            "`not c` negates a condition",
            "Kleene negation.",
            Cost::Trivial,
        ),
        Op::And => Facts {
            strictness: Strictness::Lenient,
            ..operator(
                "and",
                Arity::AtLeast(2),
                all_bool,
                "`a and b` joins conditions",
                "Kleene conjunction.",
                Cost::Trivial,
            )
        },
        Op::Or => Facts {
            strictness: Strictness::Lenient,
            ..operator(
                "or",
                Arity::AtLeast(2),
                all_bool,
                "`a or b` joins conditions",
                "Kleene disjunction.",
                Cost::Trivial,
            )
        },
        Op::In => Facts {
            strictness: Strictness::First,
            ..operator(
                "in",
                Arity::AtLeast(1),
                equality_rule,
                "`x in [a, b]` takes candidates of `x`'s type",
                "Equal to one of the candidates.",
                Cost::Simple,
            )
        },
        Op::Between => Facts {
            strictness: Strictness::First,
            ..operator(
                "between",
                Arity::Exactly(3),
                order_rule,
                "`x between lo and hi` takes three values of one type",
                "Inclusive range.",
                Cost::Simple,
            )
        },
        Op::Within => Facts {
            reads_as_of: true,
            strictness: Strictness::First,
            sql: Sql::AsOf,
            ..operator(
                "within",
                TWO,
                within_rule,
                "`t within 30 days` takes a date or timestamp",
                "Between `as_of - d` and `as_of` (or `today`'s).",
                Cost::Simple,
            )
        },
        Op::Ago => Facts {
            reads_as_of: true,
            sql: Sql::AsOf,
            ..operator(
                "ago",
                ONE,
                ago_rule,
                "`30 days ago` is `now - 30 days`, or `today - 30 days` against a date",
                "An instant before `as_of`.",
                Cost::Trivial,
            )
        },
        Op::IsMissing => Facts {
            strictness: Strictness::Lenient,
            ..operator(
                "is missing",
                ONE,
                any_to_bool,
                "`x is missing` takes any value",
                "Never missing itself.",
                Cost::Trivial,
            )
        },
        Op::Now => Facts {
            reads_as_of: true,
            sql: Sql::AsOf,
            ..operator(
                "now",
                Arity::Exactly(0),
                |_| Ok(Type::Timestamp),
                "`now` is the `as_of` instant",
                "The `as_of` instant.",
                Cost::Free,
            )
        },
        Op::Today => Facts {
            reads_as_of: true,
            sql: Sql::AsOf,
            ..operator(
                "today",
                Arity::Exactly(0),
                |_| Ok(Type::Date),
                "`today` is the UTC date of `as_of`",
                "The UTC date of `as_of`.",
                Cost::Free,
            )
        },
    }
}

/// The facts of the function or operator an IR node applies, or `None` for
/// nodes that apply none (constants, fields, params, segments, durations,
/// the checker's casts, and the aggregates and record fields of v0.2). Exhaustive over [`ExprKind`], so a new node kind is
/// classified here before it compiles.
pub fn of_kind(kind: &ExprKind) -> Option<Facts> {
    Some(match kind {
        ExprKind::Const(_)
        | ExprKind::Field(_)
        | ExprKind::Param(_)
        | ExprKind::Segment(_)
        | ExprKind::Duration { .. }
        | ExprKind::Cast(_) => return None,
        // An aggregate is not a function of its operands' values row by row
        // (it reads a list's records), and an element is a record's field:
        // neither has a row of the functions' table.
        ExprKind::Aggregate { .. } | ExprKind::Element(_) => return None,
        ExprKind::Relative(Relative::Now) => op(Op::Now),
        ExprKind::Relative(Relative::Today) => op(Op::Today),
        ExprKind::Ago { .. } => op(Op::Ago),
        ExprKind::Not(_) => op(Op::Not),
        ExprKind::And(_) => op(Op::And),
        ExprKind::Or(_) => op(Op::Or),
        ExprKind::Compare { op: o, .. } => op(Op::compare(*o)),
        ExprKind::InList { .. } => op(Op::In),
        ExprKind::Between { .. } => op(Op::Between),
        ExprKind::IsMissing { .. } => op(Op::IsMissing),
        ExprKind::StrPred { op: o, .. } => op(Op::string(*o)),
        ExprKind::ListContains { quantifier, .. } => op(Op::list(*quantifier)),
        ExprKind::Within { .. } => op(Op::Within),
        ExprKind::Arith { op: o, .. } => op(Op::arith(*o)),
        ExprKind::Neg(_) => op(Op::Neg),
        ExprKind::Call { func: f, .. } => func(*f),
    })
}

/// The common type two operands are compared or combined at, if any: `int`
/// with `float` is `float`, `int` with `decimal` is `decimal`, `decimal` with
/// `float` is `float`, `date` with `timestamp` is `timestamp`.
pub fn unify(a: &Type, b: &Type) -> Option<Type> {
    use Type::*;
    Some(match (a, b) {
        _ if a == b => a.clone(),
        (Int, Float) | (Float, Int) => Float,
        (Int, Decimal) | (Decimal, Int) => Decimal,
        (Decimal, Float) | (Float, Decimal) => Float,
        (Date, Timestamp) | (Timestamp, Date) => Timestamp,
        _ => return None,
    })
}

/// `coalesce` is stricter than comparison: decimal with float is a type error,
/// because the result would silently lose exactness.
fn unify_exact(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        (Type::Decimal, Type::Float) | (Type::Float, Type::Decimal) => None,
        _ => unify(a, b),
    }
}

/// The one argument of a unary rule, when it is of a type `accepts`.
fn unary<'t>(args: &[&'t Type], accepts: fn(&Type) -> bool) -> Result<&'t Type, TypeError> {
    match args {
        [arg] if accepts(arg) => Ok(arg),
        _ => Err(TypeError::Arg(0)),
    }
}

fn string_to_string(args: &[&Type]) -> Result<Type, TypeError> {
    unary(args, |t| matches!(t, Type::String)).map(|_| Type::String)
}

fn string_to_int(args: &[&Type]) -> Result<Type, TypeError> {
    unary(args, |t| matches!(t, Type::String)).map(|_| Type::Int)
}

fn list_to_int(args: &[&Type]) -> Result<Type, TypeError> {
    unary(args, |t| t.element().is_some()).map(|_| Type::Int)
}

fn temporal_to_int(args: &[&Type]) -> Result<Type, TypeError> {
    unary(args, |t| t.is_temporal()).map(|_| Type::Int)
}

fn number_to_same(args: &[&Type]) -> Result<Type, TypeError> {
    // Spelled out rather than copied from the argument, so the rule says
    // which types it yields.
    match unary(args, |t| t.is_numeric())? {
        Type::Int => Ok(Type::Int),
        Type::Float => Ok(Type::Float),
        _ => Ok(Type::Decimal),
    }
}

fn coalesce(args: &[&Type]) -> Result<Type, TypeError> {
    let Some((first, rest)) = args.split_first() else {
        return Err(TypeError::Arg(0));
    };
    let mut target = (*first).clone();
    for (i, arg) in rest.iter().enumerate() {
        match unify_exact(&target, arg) {
            Some(t) if !matches!(t, Type::Duration) => target = t,
            _ => {
                return Err(TypeError::Mix {
                    index: i + 1,
                    with: target,
                });
            }
        }
    }
    Ok(target)
}

/// The common type of comparable operands: lists and durations do not compare.
fn common(args: &[&Type]) -> Result<Type, TypeError> {
    let Some((first, rest)) = args.split_first() else {
        return Err(TypeError::Arg(0));
    };
    let mut target = (*first).clone();
    for (i, arg) in rest.iter().enumerate() {
        target = match unify(&target, arg) {
            Some(t) => t,
            None => {
                return Err(TypeError::Mix {
                    index: i + 1,
                    with: target,
                });
            }
        };
    }
    if target.element().is_some() || matches!(target, Type::Duration) {
        return Err(TypeError::Arg(0));
    }
    Ok(target)
}

fn equality_rule(args: &[&Type]) -> Result<Type, TypeError> {
    common(args).map(|_| Type::Bool)
}

fn order_rule(args: &[&Type]) -> Result<Type, TypeError> {
    match common(args)? {
        Type::Bool => Err(TypeError::Arg(0)),
        _ => Ok(Type::Bool),
    }
}

fn arithmetic_rule(args: &[&Type]) -> Result<Type, TypeError> {
    if let Some(i) = args.iter().position(|t| !t.is_numeric()) {
        return Err(TypeError::Arg(i));
    }
    common(args)
}

fn division_rule(args: &[&Type]) -> Result<Type, TypeError> {
    arithmetic_rule(args).map(|_| Type::Float)
}

fn text_rule(args: &[&Type]) -> Result<Type, TypeError> {
    match args.iter().position(|t| !matches!(t, Type::String)) {
        Some(i) => Err(TypeError::Arg(i)),
        None => Ok(Type::Bool),
    }
}

fn list_rule(args: &[&Type]) -> Result<Type, TypeError> {
    let Some((list, values)) = args.split_first() else {
        return Err(TypeError::Arg(0));
    };
    let Some(element) = list.element() else {
        return Err(TypeError::Arg(0));
    };
    // A list param of values has the list's own type.
    match values.iter().position(|v| *v != element && *v != *list) {
        Some(i) => Err(TypeError::Arg(i + 1)),
        None => Ok(Type::Bool),
    }
}

fn all_bool(args: &[&Type]) -> Result<Type, TypeError> {
    match args.iter().position(|t| !matches!(t, Type::Bool)) {
        Some(i) => Err(TypeError::Arg(i)),
        None => Ok(Type::Bool),
    }
}

fn within_rule(args: &[&Type]) -> Result<Type, TypeError> {
    match args {
        [t, d] if t.is_temporal() && matches!(d, Type::Duration) => Ok(Type::Bool),
        [t, _] if t.is_temporal() => Err(TypeError::Arg(1)),
        _ => Err(TypeError::Arg(0)),
    }
}

/// `ago` is a timestamp; the checker retargets it to a date (`today - d`)
/// when it is compared with a date.
fn ago_rule(args: &[&Type]) -> Result<Type, TypeError> {
    unary(args, |t| matches!(t, Type::Duration)).map(|_| Type::Timestamp)
}

/// `bucket(salt)` as written, and `bucket(salt, key)` as the checker
/// leaves it (the key an `int` or `string` field).
fn bucket_rule(args: &[&Type]) -> Result<Type, TypeError> {
    match args {
        [salt] | [salt, _] if !matches!(salt, Type::String) => Err(TypeError::Arg(0)),
        [_] | [_, Type::Int | Type::String] => Ok(Type::Int),
        [_, _] => Err(TypeError::Arg(1)),
        _ => Err(TypeError::Arg(0)),
    }
}

fn any_to_bool(args: &[&Type]) -> Result<Type, TypeError> {
    unary(args, |_| true).map(|_| Type::Bool)
}

/// "lower, upper, … and day": every function's name, for help messages.
pub fn function_names() -> String {
    let names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_string(),
        None => String::new(),
    }
}

/// The function table of `docs/language.md`, one row per function, in the
/// order of [`Func::ALL`].
pub fn functions_markdown() -> String {
    let mut out = String::from("| function | takes | gives |\n|---|---|---|\n");
    for f in Func::ALL {
        let facts = func(*f);
        out.push_str(&format!(
            "| `{}({})` | {} | {} |\n",
            facts.name, facts.params, facts.takes, facts.gives
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn one_entry_per_function_with_distinct_names() {
        let mut names = HashSet::new();
        for f in Func::ALL {
            let facts = func(*f);
            assert!(names.insert(facts.name), "{} twice", facts.name);
            assert_eq!(Func::lookup(facts.name), Some(*f));
            assert!(facts.signature.starts_with(&format!("`{}(", facts.name)));
            assert!(facts.arity.admits(1) || facts.arity.admits(2));
        }
        assert_eq!(names.len(), Func::ALL.len());
        assert_eq!(Func::lookup("no_such_function"), None);
    }

    #[test]
    fn one_entry_per_operator() {
        let mut seen = HashSet::new();
        for o in Op::ALL {
            let facts = op(*o);
            assert!(!facts.name.is_empty());
            assert!(!facts.doc.is_empty());
            assert!(seen.insert(*o));
        }
    }

    #[test]
    fn the_instant_is_read_by_exactly_these() {
        let funcs: Vec<&str> = Func::ALL
            .iter()
            .filter(|f| func(**f).reads_as_of)
            .map(|f| f.name())
            .collect();
        assert_eq!(funcs, ["days_since"]);
        let ops: Vec<Op> = Op::ALL
            .iter()
            .copied()
            .filter(|o| op(*o).reads_as_of)
            .collect();
        assert_eq!(ops, [Op::Within, Op::Ago, Op::Now, Op::Today]);
        // What reads the instant is translated with a bound `as_of`.
        for facts in Func::ALL
            .iter()
            .map(|f| func(*f))
            .chain(Op::ALL.iter().map(|o| op(*o)))
        {
            assert_eq!(facts.reads_as_of, facts.sql == Sql::AsOf, "{}", facts.name);
        }
    }

    #[test]
    fn typing_rules() {
        let t = |f: Func, args: &[Type]| {
            let refs: Vec<&Type> = args.iter().collect();
            (func(f).typing)(&refs)
        };
        assert_eq!(t(Func::Lower, &[Type::String]), Ok(Type::String));
        assert_eq!(t(Func::Lower, &[Type::Int]), Err(TypeError::Arg(0)));
        assert_eq!(t(Func::Length, &[Type::String]), Ok(Type::Int));
        assert_eq!(t(Func::Size, &[Type::list(Type::Int)]), Ok(Type::Int));
        assert_eq!(t(Func::Size, &[Type::String]), Err(TypeError::Arg(0)));
        assert_eq!(t(Func::Abs, &[Type::Decimal]), Ok(Type::Decimal));
        assert_eq!(t(Func::Abs, &[Type::Float]), Ok(Type::Float));
        assert_eq!(t(Func::DaysSince, &[Type::Date]), Ok(Type::Int));
        assert_eq!(t(Func::Year, &[Type::String]), Err(TypeError::Arg(0)));
        assert_eq!(
            t(Func::Coalesce, &[Type::Int, Type::Float, Type::Int]),
            Ok(Type::Float)
        );
        assert_eq!(
            t(Func::Coalesce, &[Type::Int, Type::Decimal, Type::Float]),
            Err(TypeError::Mix {
                index: 2,
                with: Type::Decimal
            })
        );
        assert_eq!(
            t(Func::Coalesce, &[Type::Duration, Type::Duration]),
            Err(TypeError::Mix {
                index: 1,
                with: Type::Duration
            })
        );
        let o = |o: Op, args: &[Type]| {
            let refs: Vec<&Type> = args.iter().collect();
            (op(o).typing)(&refs)
        };
        assert_eq!(o(Op::Lt, &[Type::Bool, Type::Bool]), Err(TypeError::Arg(0)));
        assert_eq!(o(Op::Eq, &[Type::Bool, Type::Bool]), Ok(Type::Bool));
        assert_eq!(o(Op::Div, &[Type::Int, Type::Int]), Ok(Type::Float));
        assert_eq!(o(Op::Add, &[Type::Int, Type::Decimal]), Ok(Type::Decimal));
        assert_eq!(
            o(Op::Add, &[Type::Int, Type::String]),
            Err(TypeError::Arg(1))
        );
        assert_eq!(
            o(
                Op::ContainsAll,
                &[Type::list(Type::String), Type::String, Type::Int]
            ),
            Err(TypeError::Arg(2))
        );
    }

    #[test]
    fn help_texts() {
        // The checker's help lists every function in table order, the last
        // after "and" (the exact text is pinned by the E0114 examples of
        // docs/diagnostics.md).
        let names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
        let listed = function_names();
        assert!(listed.starts_with("lower, upper, length, "), "{listed}");
        if let Some((last, rest)) = names.split_last() {
            assert_eq!(listed, format!("{} and {last}", rest.join(", ")));
        }
        assert_eq!(Arity::Exactly(1).describe(), "1 argument");
        assert_eq!(Arity::AtLeast(2).describe(), "at least 2 arguments");
        assert_eq!(Arity::Exactly(3).describe(), "3 arguments");
    }

    #[test]
    fn docs_function_list_is_the_table() {
        let doc = include_str!("../../../docs/language.md");
        let start = doc
            .find("| function | takes | gives |")
            .expect("docs/language.md has a function table");
        let table: String = doc[start..]
            .lines()
            .take_while(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            table,
            functions_markdown(),
            "docs/language.md's function table differs from seg_ir::facts; paste the right side"
        );
    }
}
