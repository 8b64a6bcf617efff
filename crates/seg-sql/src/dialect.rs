//! The one table of how each SQL engine spells what Seg means. Every
//! dialect difference the lowering needs is a method here, so adding an
//! engine is adding one arm to each method (the matches are exhaustive).
//!
//! The spellings were chosen by running them (DuckDB, PostgreSQL and
//! DataFusion; `tests/sql/FINDINGS.md`; Spark 4.3 through
//! `scripts/spark-check.sh`) or from the engines' documentation (BigQuery,
//! Snowflake, whose statements are only parsed); `docs/sql.md` lists which
//! is which.

use std::fmt;

/// A SQL engine Seg compiles to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// DuckDB (1.x and 2.x).
    DuckDb,
    /// PostgreSQL 14 or later.
    Postgres,
    /// Apache DataFusion's SQL (55).
    DataFusion,
    /// Spark SQL (3.4 or later, ANSI mode off or on).
    Spark,
    /// Google BigQuery (GoogleSQL).
    BigQuery,
    /// Snowflake.
    Snowflake,
}

/// The regular-expression engine a dialect's `matches` runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegexFlavor {
    /// Rust's `regex` crate: Seg's own engine, patterns pass unchanged.
    Rust,
    /// Google's RE2 (DuckDB, BigQuery).
    Re2,
    /// PostgreSQL's advanced regular expressions (ARE).
    PostgresAre,
    /// `java.util.regex` (Spark).
    Java,
    /// Snowflake's POSIX extended expressions with Perl escapes.
    Posix,
}

impl Dialect {
    /// Every dialect, in the order documentation lists them.
    pub const ALL: [Dialect; 6] = [
        Dialect::DuckDb,
        Dialect::Postgres,
        Dialect::DataFusion,
        Dialect::Spark,
        Dialect::BigQuery,
        Dialect::Snowflake,
    ];

    /// The name used on the command line (`--dialect duckdb`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::DataFusion => "datafusion",
            Dialect::Spark => "spark",
            Dialect::BigQuery => "bigquery",
            Dialect::Snowflake => "snowflake",
        }
    }

    /// The engine's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::DataFusion => "DataFusion",
            Dialect::Spark => "Spark",
            Dialect::BigQuery => "BigQuery",
            Dialect::Snowflake => "Snowflake",
        }
    }

    /// The dialect with this command-line name (`postgresql` and `pg` are
    /// accepted for PostgreSQL).
    pub fn from_name(name: &str) -> Option<Dialect> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "postgresql" | "pg" => Some(Dialect::Postgres),
            _ => Dialect::ALL.into_iter().find(|d| d.name() == lower),
        }
    }

    /// Whether Seg's test suite executes this dialect's SQL on the engine and
    /// compares every row with the evaluator's (the others are generated and
    /// parsed, not executed).
    pub fn executed(self) -> bool {
        matches!(
            self,
            Dialect::DuckDb | Dialect::Postgres | Dialect::DataFusion
        )
    }

    pub(crate) fn regex_flavor(self) -> RegexFlavor {
        match self {
            Dialect::DataFusion => RegexFlavor::Rust,
            Dialect::DuckDb | Dialect::BigQuery => RegexFlavor::Re2,
            Dialect::Postgres => RegexFlavor::PostgresAre,
            Dialect::Spark => RegexFlavor::Java,
            Dialect::Snowflake => RegexFlavor::Posix,
        }
    }

    /// A quoted identifier: Seg binds columns by their exact, case-sensitive
    /// name, so every name is quoted (an unquoted name is folded to upper
    /// case on Snowflake and to lower case on PostgreSQL).
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark | Dialect::BigQuery => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A string literal. Standard SQL doubles the quote; BigQuery, Spark and
    /// Snowflake also treat the backslash as an escape character, and
    /// BigQuery does not allow a raw newline in a quoted string.
    pub(crate) fn string(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('\'');
        match self {
            Dialect::DuckDb | Dialect::Postgres | Dialect::DataFusion => {
                for c in text.chars() {
                    if c == '\'' {
                        out.push('\'');
                    }
                    out.push(c);
                }
            }
            Dialect::Spark | Dialect::BigQuery | Dialect::Snowflake => {
                for c in text.chars() {
                    match c {
                        '\'' => out.push_str("\\'"),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if c.is_control() && self == Dialect::BigQuery => {
                            out.push_str(&format!("\\U{:08x}", c as u32));
                        }
                        c if c.is_control() && self == Dialect::Snowflake => {
                            out.push_str(&format!("\\u{:04x}", c as u32));
                        }
                        c => out.push(c),
                    }
                }
            }
        }
        out.push('\'');
        out
    }

    /// The name of the 64-bit integer type.
    pub(crate) fn bigint(self) -> &'static str {
        match self {
            Dialect::BigQuery => "INT64",
            _ => "BIGINT",
        }
    }

    /// The name of the 64-bit float type.
    pub(crate) fn double(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            Dialect::BigQuery => "FLOAT64",
            _ => "DOUBLE",
        }
    }

    /// The boolean type.
    pub(crate) fn boolean(self) -> &'static str {
        match self {
            Dialect::BigQuery => "BOOL",
            _ => "BOOLEAN",
        }
    }

    /// The text type.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Dialect::Postgres => "TEXT",
            Dialect::Spark | Dialect::BigQuery => "STRING",
            _ => "VARCHAR",
        }
    }

    /// An exact decimal type of `precision` digits, `scale` after the point.
    pub(crate) fn decimal(self, precision: u32, scale: u32) -> String {
        match self {
            Dialect::Postgres => format!("NUMERIC({precision}, {scale})"),
            Dialect::BigQuery => format!("BIGNUMERIC({precision}, {scale})"),
            Dialect::Snowflake => format!("NUMBER({precision}, {scale})"),
            _ => format!("DECIMAL({precision}, {scale})"),
        }
    }

    /// A float constant. Finite values are written in exponent form, which
    /// every engine reads as a double (a plain `0.1` is a decimal in several)
    /// and parses correctly rounded; infinities are cast from text.
    pub(crate) fn float(self, value: f64) -> String {
        // -0.0 equals 0.0 in Seg; DataFusion would order it below.
        let value = if value == 0.0 { 0.0 } else { value };
        if value.is_finite() {
            // `{:e}` is the shortest text that parses back to the same f64.
            return format!("CAST({value:e} AS {})", self.double());
        }
        let text = match (self, value > 0.0) {
            (Dialect::BigQuery | Dialect::Snowflake, true) => "inf",
            (Dialect::BigQuery | Dialect::Snowflake, false) => "-inf",
            (_, true) => "Infinity",
            (_, false) => "-Infinity",
        };
        format!("CAST('{text}' AS {})", self.double())
    }

    /// `value` with NaN turned into NULL (Seg reads NaN as missing), without
    /// repeating `value` where the engine allows: PostgreSQL, DuckDB, Spark
    /// and Snowflake treat every NaN as equal to NaN, so `NULLIF` does it.
    pub(crate) fn nan_to_null(self, value: &str) -> String {
        match self {
            Dialect::BigQuery => format!("IF(IS_NAN({value}), NULL, {value})"),
            // Arrow compares floats by their bits (a total order), so a NaN
            // with the sign bit set (`inf % 2.5`) is not equal to `'NaN'`,
            // and -0.0 is not equal to 0.0 (as it is in Seg). `nanvl`
            // catches every NaN, and adding +0.0 turns -0.0 into +0.0.
            Dialect::DataFusion => {
                format!("(nanvl({value}, CAST(NULL AS DOUBLE)) + CAST(0 AS DOUBLE))")
            }
            Dialect::Snowflake => format!("NULLIF({value}, 'NaN'::FLOAT)"),
            _ => format!("NULLIF({value}, CAST('NaN' AS {}))", self.double()),
        }
    }

    /// An exact decimal constant `text` (`-12.50`) of `precision` digits.
    pub(crate) fn decimal_literal(self, text: &str, precision: u32, scale: u32) -> String {
        match self {
            // A plain decimal literal is exact in these engines.
            Dialect::DuckDb | Dialect::Postgres | Dialect::Snowflake => text.to_string(),
            Dialect::Spark => format!("{text}BD"),
            Dialect::BigQuery => format!("BIGNUMERIC '{text}'"),
            // DataFusion parses `1.5` as a double unless told otherwise.
            Dialect::DataFusion => {
                format!("CAST('{text}' AS {})", self.decimal(precision, scale))
            }
        }
    }

    /// The instant of a timestamp column as microseconds since the Unix
    /// epoch, the form Seg compares instants in: the column's time zone (or
    /// none, which Seg reads as UTC) and the session's time zone play no
    /// part.
    pub(crate) fn epoch_micros(self, column: &str) -> String {
        match self {
            Dialect::DuckDb => format!("epoch_us({column})"),
            Dialect::Postgres => {
                format!("CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)")
            }
            Dialect::DataFusion => format!(
                "CAST(arrow_cast({column}, 'Timestamp(Microsecond, Some(\"UTC\"))') AS BIGINT)"
            ),
            Dialect::Spark => format!("unix_micros({column})"),
            Dialect::BigQuery => format!("UNIX_MICROS({column})"),
            Dialect::Snowflake => format!("DATE_PART(EPOCH_MICROSECOND, {column})"),
        }
    }

    /// The local date in the IANA zone `zone` (a `timezone` program,
    /// §7.3) of an instant given as microseconds since the epoch, or `None`
    /// when the engine has no exact spelling. Only instant → local time is
    /// needed, which is well defined at every instant (no gap or fold).
    pub(crate) fn local_date(self, micros: &str, zone: &str) -> Option<String> {
        let z = self.string(zone);
        Some(match self {
            Dialect::DuckDb => {
                format!("CAST(timezone({z}, timezone('UTC', make_timestamp({micros}))) AS DATE)")
            }
            // Whole seconds and the rest apart: each product is exact (an
            // interval times a bigint goes through a double).
            Dialect::Postgres => format!(
                "CAST((TIMESTAMPTZ '1970-01-01 00:00:00+00' + ({micros} / 1000000) * INTERVAL '1 second' \
                 + ({micros} % 1000000) * INTERVAL '1 microsecond') AT TIME ZONE {z} AS DATE)"
            ),
            // Zone names are letters, digits, `/`, `_`, `+` and `-`: they
            // need no escaping inside the type's text.
            Dialect::DataFusion => format!(
                "CAST(to_local_time(arrow_cast(CAST({micros} AS BIGINT), 'Timestamp(Microsecond, Some(\"{zone}\"))')) AS DATE)"
            ),
            Dialect::BigQuery => format!("DATE(TIMESTAMP_MICROS({micros}), {z})"),
            Dialect::Snowflake => {
                format!("CAST(CONVERT_TIMEZONE('UTC', {z}, TO_TIMESTAMP_NTZ({micros}, 6)) AS DATE)")
            }
            // Spark's timestamps become dates in the session's zone, so the
            // result would depend on the session.
            Dialect::Spark => return None,
        })
    }

    /// The wall-clock time in the IANA zone `zone` of an instant (both as
    /// microseconds since the epoch: the local one as if the clock's reading
    /// were UTC), or `None` when the engine has no exact spelling. An instant
    /// has exactly one local time, so this is exact wherever it exists.
    fn local_clock(self, micros: &str, zone: &str) -> Option<String> {
        let z = self.string(zone);
        Some(match self {
            Dialect::DuckDb => {
                format!("epoch_us(timezone({z}, timezone('UTC', make_timestamp({micros}))))")
            }
            Dialect::Postgres => format!(
                "CAST(EXTRACT(EPOCH FROM ((TIMESTAMPTZ '1970-01-01 00:00:00+00' + ({micros} / 1000000) * INTERVAL '1 second' \
                 + ({micros} % 1000000) * INTERVAL '1 microsecond') AT TIME ZONE {z})) * 1000000 AS BIGINT)"
            ),
            Dialect::DataFusion => format!(
                "CAST(to_local_time(arrow_cast(CAST({micros} AS BIGINT), 'Timestamp(Microsecond, Some(\"{zone}\"))')) AS BIGINT)"
            ),
            Dialect::Spark | Dialect::BigQuery | Dialect::Snowflake => return None,
        })
    }

    /// Microseconds since the epoch of local midnight of a date in the IANA
    /// zone `zone`, by Seg's rule (`seg_ir::Zone::instant_of`: a midnight in
    /// a DST gap is read with the offset of a day before, so it moves forward
    /// by the gap; in a fold, the earlier instant), or `None` where the
    /// engine's local clock is not available (see `local_clock`).
    ///
    /// Engines resolve gaps and folds their own ways (PostgreSQL and DuckDB
    /// take the later instant of a fold, DataFusion fails), so only their
    /// exact instant → local conversion is used: with `L` the local midnight
    /// and `off(t) = clock(t) - t`, the candidate `c = L - off(L - 1 day)` is
    /// Seg's answer in a gap and in a fold, and in every other case when the
    /// clocks show `L` at `c`; otherwise (the offset changed during the day
    /// before) `c2 = L - off(c)` is the one instant showing `L`.
    pub(crate) fn local_midnight(self, date: &str, zone: &str) -> Option<String> {
        const DAY: i64 = 86_400_000_000;
        let clock = |t: &str| self.local_clock(t, zone);
        let local = format!("({} * {DAY})", self.epoch_days(date));
        let day_before = format!("({local} - {DAY})");
        let c = format!("({local} - ({} - {day_before}))", clock(&day_before)?);
        let clock_c = clock(&c)?;
        let c2 = format!("({local} - ({clock_c} - {c}))");
        Some(format!(
            "(CASE WHEN {clock_c} = {local} THEN {c} WHEN {} = {local} THEN {c2} ELSE {c} END)",
            clock(&c2)?
        ))
    }

    /// A date column as days since 1970-01-01.
    pub(crate) fn epoch_days(self, date: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres => {
                format!("CAST(({date} - DATE '1970-01-01') AS BIGINT)")
            }
            Dialect::DataFusion => format!("CAST(arrow_cast({date}, 'Int32') AS BIGINT)"),
            Dialect::Spark => format!("CAST(unix_date({date}) AS BIGINT)"),
            Dialect::BigQuery => format!("UNIX_DATE({date})"),
            Dialect::Snowflake => format!("DATEDIFF(day, DATE '1970-01-01', {date})"),
        }
    }

    /// The date `days` days after 1970-01-01 (`days` an integer expression).
    pub(crate) fn date_from_days(self, days: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(DATE '1970-01-01' + CAST({days} AS INTEGER))"),
            Dialect::Postgres => format!("(DATE '1970-01-01' + CAST({days} AS INTEGER))"),
            Dialect::DataFusion => format!("arrow_cast(CAST({days} AS INT), 'Date32')"),
            Dialect::Spark => format!("date_from_unix_date(CAST({days} AS INT))"),
            Dialect::BigQuery => format!("DATE_FROM_UNIX_DATE({days})"),
            Dialect::Snowflake => format!("DATEADD(day, {days}, DATE '1970-01-01')"),
        }
    }

    /// `floor(x / d)` for integers `x` and a positive integer constant `d`,
    /// exactly (no float division), whatever the sign of `x`.
    pub(crate) fn floor_div(self, x: &str, d: i64) -> String {
        // x - (x mod d, made non-negative) is a multiple of d, so the
        // division that follows is exact in every engine's integer division.
        let rem = self.modulo(x, &d.to_string());
        let nonneg = self.modulo(&format!("({rem} + {d})"), &d.to_string());
        let multiple = format!("({x} - {nonneg})");
        match self {
            Dialect::DuckDb => format!("({multiple} // {d})"),
            Dialect::Spark => format!("({multiple} div {d})"),
            Dialect::BigQuery => format!("DIV({multiple}, {d})"),
            Dialect::Snowflake => format!("CAST({multiple} / {d} AS BIGINT)"),
            Dialect::Postgres | Dialect::DataFusion => format!("({multiple} / {d})"),
        }
    }

    /// The truncating integer remainder (sign of the dividend).
    pub(crate) fn modulo(self, x: &str, y: &str) -> String {
        match self {
            Dialect::BigQuery | Dialect::Snowflake => format!("MOD({x}, {y})"),
            _ => format!("({x} % {y})"),
        }
    }

    /// `bucket(salt)` (LANGUAGE.md §7.2, `seg_eval::bucket`): the MD5 of the
    /// UTF-8 text `salt || ':' || key` as hex, its first 8 hex digits read as
    /// an unsigned 32-bit integer, modulo 10000, as a 64-bit integer. `salt`
    /// is a string expression and `key` the key's text (an int key cast to
    /// text, which every engine writes in plain decimal with a leading `-`).
    /// A missing key makes the text, and so the bucket, missing.
    pub(crate) fn bucket(self, salt: &str, key: &str) -> String {
        let text = match self {
            Dialect::Spark | Dialect::BigQuery => format!("CONCAT({salt}, ':', {key})"),
            _ => format!("({salt} || ':' || {key})"),
        };
        let head = match self {
            // `'0x…'` casts to an integer in DuckDB (verified against
            // Python's hashlib in the engines test).
            Dialect::DuckDb => format!("CAST('0x' || substr(md5({text}), 1, 8) AS BIGINT)"),
            // `bit(32)` to `bigint` reads the 32 bits as an unsigned value.
            Dialect::Postgres => {
                format!("CAST(CAST('x' || substr(md5({text}), 1, 8) AS BIT(32)) AS BIGINT)")
            }
            // DataFusion has no hex parsing (no `conv`, no `from_hex`): each
            // of the 8 hex digits is its position in '0123456789abcdef'
            // (`md5` writes lower case), weighted by its power of 16. The
            // repeated `md5` is one common subexpression to the planner.
            Dialect::DataFusion => {
                let hex = format!("md5({text})");
                let digits: Vec<String> = (0..8u32)
                    .map(|i| {
                        format!(
                            "(CAST(strpos('0123456789abcdef', substr({hex}, {}, 1)) AS BIGINT) - 1) * {}",
                            i + 1,
                            1u64 << (4 * (7 - i))
                        )
                    })
                    .collect();
                format!("({})", digits.join(" + "))
            }
            Dialect::Spark => format!("CAST(conv(substr(md5({text}), 1, 8), 16, 10) AS BIGINT)"),
            // MD5 gives BYTES; `CAST('0x…' AS INT64)` reads hex.
            Dialect::BigQuery => {
                format!("CAST(CONCAT('0x', SUBSTR(TO_HEX(MD5({text})), 1, 8)) AS INT64)")
            }
            Dialect::Snowflake => {
                format!("TO_NUMBER(UPPER(SUBSTR(MD5({text}), 1, 8)), 'XXXXXXXX')")
            }
        };
        self.modulo(&head, "10000")
    }

    /// A calendar part (`YEAR`, `MONTH`, `DAY`) of a date, as an integer.
    pub(crate) fn date_part(self, part: &str, date: &str) -> String {
        match self {
            Dialect::DataFusion => {
                format!(
                    "CAST(date_part('{}', {date}) AS BIGINT)",
                    part.to_lowercase()
                )
            }
            // PostgreSQL numbers years without a year 0 (1 BC is -1), while
            // Seg's calendar is proleptic ISO (1 BC is year 0); a zone west
            // of UTC takes 0001-01-01T00:00Z into 1 BC.
            Dialect::Postgres if part == "YEAR" => format!(
                "(CAST(EXTRACT(YEAR FROM {date}) AS BIGINT) + CASE WHEN {date} < DATE '0001-01-01' THEN 1 ELSE 0 END)"
            ),
            _ => format!("CAST(EXTRACT({part} FROM {date}) AS {})", self.bigint()),
        }
    }

    /// Characters (Unicode scalar values) in a string.
    pub(crate) fn char_length(self, s: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Snowflake => format!("length({s})"),
            Dialect::Postgres | Dialect::Spark | Dialect::BigQuery => {
                format!("char_length({s})")
            }
            Dialect::DataFusion => format!("character_length({s})"),
        }
    }

    /// Elements in a list (missing for a missing list).
    pub(crate) fn list_size(self, list: &str) -> String {
        match self {
            Dialect::DuckDb => format!("len({list})"),
            Dialect::Postgres | Dialect::DataFusion => format!("cardinality({list})"),
            // Spark's `size(NULL)` is -1 unless ANSI mode is on.
            Dialect::Spark => format!("CASE WHEN {list} IS NULL THEN NULL ELSE size({list}) END"),
            Dialect::BigQuery => format!("ARRAY_LENGTH({list})"),
            Dialect::Snowflake => format!("ARRAY_SIZE({list})"),
        }
    }

    /// `s` contains `needle` (both strings; an empty needle is found in
    /// every string).
    pub(crate) fn contains(self, s: &str, needle: &str) -> String {
        match self {
            Dialect::DuckDb => format!("contains({s}, {needle})"),
            Dialect::Postgres | Dialect::DataFusion | Dialect::BigQuery => {
                format!("(strpos({s}, {needle}) > 0)")
            }
            Dialect::Spark => format!("(instr({s}, {needle}) > 0)"),
            Dialect::Snowflake => format!("CONTAINS({s}, {needle})"),
        }
    }

    /// `s` starts with `prefix`.
    pub(crate) fn starts_with(self, s: &str, prefix: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres | Dialect::DataFusion | Dialect::BigQuery => {
                format!("starts_with({s}, {prefix})")
            }
            Dialect::Spark => format!("startswith({s}, {prefix})"),
            Dialect::Snowflake => format!("STARTSWITH({s}, {prefix})"),
        }
    }

    /// `s` ends with `suffix`.
    pub(crate) fn ends_with(self, s: &str, suffix: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::DataFusion | Dialect::BigQuery => {
                format!("ends_with({s}, {suffix})")
            }
            // PostgreSQL has no ends_with; `right` counts characters.
            Dialect::Postgres => format!("(right({s}, char_length({suffix})) = {suffix})"),
            Dialect::Spark => format!("endswith({s}, {suffix})"),
            Dialect::Snowflake => format!("ENDSWITH({s}, {suffix})"),
        }
    }

    /// `s` has a match of the (already translated) `pattern` literal.
    pub(crate) fn regex_search(self, s: &str, pattern: &str) -> String {
        match self {
            Dialect::DuckDb => format!("regexp_matches({s}, {pattern})"),
            Dialect::Postgres => format!("({s} ~ {pattern})"),
            // DataFusion 55 rewrites a literal pattern into LIKE without
            // escaping a backslash in it (`regexp_like(s, '\\\\')` becomes
            // `s LIKE '%\\%'`); `regexp_count` is not rewritten.
            Dialect::DataFusion if pattern.contains("\\\\") => {
                format!("(regexp_count({s}, {pattern}) > 0)")
            }
            Dialect::DataFusion => format!("regexp_like({s}, {pattern})"),
            Dialect::Spark => format!("({s} RLIKE {pattern})"),
            Dialect::BigQuery => format!("REGEXP_CONTAINS({s}, {pattern})"),
            // Snowflake's REGEXP_LIKE matches the whole string.
            Dialect::Snowflake => format!("(REGEXP_INSTR({s}, {pattern}) > 0)"),
        }
    }

    /// A string compared for order by Unicode scalar values (UTF-8 bytes),
    /// as Seg orders strings. Only PostgreSQL orders by a locale by default.
    pub(crate) fn ordered_string(self, s: &str) -> String {
        match self {
            Dialect::Postgres => format!("({s} COLLATE \"C\")"),
            _ => s.to_string(),
        }
    }

    /// A list constant of already printed elements.
    pub(crate) fn array(self, elements: &[String], element_type: &str) -> String {
        let items = elements.join(", ");
        match self {
            Dialect::DuckDb => format!("CAST([{items}] AS {element_type}[])"),
            Dialect::Postgres => format!("CAST(ARRAY[{items}] AS {element_type}[])"),
            Dialect::DataFusion => format!("make_array({items})"),
            Dialect::Spark => format!("array({items})"),
            Dialect::BigQuery => format!("ARRAY<{element_type}>[{items}]"),
            Dialect::Snowflake => format!("ARRAY_CONSTRUCT({items})"),
        }
    }

    /// A present `list` holds at least one of `values` (a list constant
    /// without missing elements, not empty); missing elements of `list`
    /// never match. Missing for a missing list.
    pub(crate) fn list_has_any(self, list: &str, values: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_has_any({list}, {values})"),
            Dialect::Postgres => format!("({list} && {values})"),
            Dialect::DataFusion => format!("array_has_any({list}, {values})"),
            Dialect::Spark => format!(
                "CASE WHEN {list} IS NULL THEN NULL ELSE size(array_intersect({list}, {values})) > 0 END"
            ),
            // The aliases are named so that no profile column is likely to
            // be shadowed by them inside the subquery.
            // UNNEST of a NULL array has no rows, so EXISTS alone would make a
            // missing list FALSE (and `contains none` TRUE) where Seg has missing.
            Dialect::BigQuery => format!(
                "CASE WHEN {list} IS NULL THEN NULL ELSE EXISTS(SELECT 1 FROM UNNEST({list}) AS seg_element WHERE seg_element IN UNNEST({values})) END"
            ),
            Dialect::Snowflake => format!("ARRAYS_OVERLAP({list}, {values})"),
        }
    }

    /// A present `list` holds every one of `values` (as for
    /// [`Dialect::list_has_any`]).
    pub(crate) fn list_has_all(self, list: &str, values: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_has_all({list}, {values})"),
            Dialect::Postgres => format!("({list} @> {values})"),
            Dialect::DataFusion => format!("array_has_all({list}, {values})"),
            Dialect::Spark => format!(
                "CASE WHEN {list} IS NULL THEN NULL ELSE size(array_except({values}, {list})) = 0 END"
            ),
            // `v NOT IN UNNEST(list)` is NULL, not TRUE, when the list has a
            // missing element, which would count a wanted value as found: the
            // missing elements are left out of the list first.
            Dialect::BigQuery => format!(
                "CASE WHEN {list} IS NULL THEN NULL ELSE NOT EXISTS(SELECT 1 FROM UNNEST({values}) AS seg_wanted WHERE seg_wanted NOT IN (SELECT seg_element FROM UNNEST({list}) AS seg_element WHERE seg_element IS NOT NULL)) END"
            ),
            Dialect::Snowflake => {
                format!("(ARRAY_SIZE(ARRAY_EXCEPT({values}, {list})) = 0)")
            }
        }
    }

    /// A checked 64-bit integer operation: `None` when the dialect has a
    /// form that returns NULL on overflow without repeating its operands,
    /// else the caller range-checks a wider result. `subquery` says an
    /// operand holds a scalar subquery (an aggregate over a history), which
    /// DuckDB's `TRY` cannot wrap ("TRY can not be used in combination with
    /// a scalar subquery").
    pub(crate) fn try_int(self, op: IntOp, a: &str, b: &str, subquery: bool) -> Option<String> {
        let t = self.bigint();
        match (self, op) {
            (Dialect::DuckDb, _) if subquery => None,
            (Dialect::DuckDb, IntOp::Add) => {
                Some(format!("TRY(CAST({a} AS {t}) + CAST({b} AS {t}))"))
            }
            (Dialect::DuckDb, IntOp::Sub) => {
                Some(format!("TRY(CAST({a} AS {t}) - CAST({b} AS {t}))"))
            }
            (Dialect::DuckDb, IntOp::Mul) => {
                Some(format!("TRY(CAST({a} AS {t}) * CAST({b} AS {t}))"))
            }
            (Dialect::Spark, IntOp::Add) => {
                Some(format!("try_add(CAST({a} AS {t}), CAST({b} AS {t}))"))
            }
            (Dialect::Spark, IntOp::Sub) => {
                Some(format!("try_subtract(CAST({a} AS {t}), CAST({b} AS {t}))"))
            }
            (Dialect::Spark, IntOp::Mul) => {
                Some(format!("try_multiply(CAST({a} AS {t}), CAST({b} AS {t}))"))
            }
            (Dialect::BigQuery, IntOp::Add) => Some(format!("SAFE_ADD({a}, {b})")),
            (Dialect::BigQuery, IntOp::Sub) => Some(format!("SAFE_SUBTRACT({a}, {b})")),
            (Dialect::BigQuery, IntOp::Mul) => Some(format!("SAFE_MULTIPLY({a}, {b})")),
            _ => None,
        }
    }

    /// A decimal `a op b` that is NULL where the result does not fit the
    /// engine's decimal, where the engine has such a form; `None` where plain
    /// arithmetic already gives NULL (or Seg's result) there. Spark's `+`
    /// and `-` fail the query on overflow in ANSI mode, where its `try_`
    /// forms give NULL in both modes, as Seg's missing. (Spark's decimal `*`
    /// is refused by the lowering: it can round.)
    pub(crate) fn try_decimal(self, op: IntOp, a: &str, b: &str) -> Option<String> {
        match (self, op) {
            (Dialect::Spark, IntOp::Add) => Some(format!("try_add({a}, {b})")),
            (Dialect::Spark, IntOp::Sub) => Some(format!("try_subtract({a}, {b})")),
            _ => None,
        }
    }

    /// A decimal operand widened so that arithmetic on it keeps every digit:
    /// DuckDB computes `DECIMAL(18, s)` products in 64 bits and fails where
    /// Seg's 128-bit decimals do not. Adding a `DECIMAL(38, 0)` zero widens
    /// the type to 38 digits and keeps the operand's scale, which a cast
    /// could not (the scale of a column is not known here). BigQuery's
    /// BIGNUMERIC holds 38 digits after the point.
    pub(crate) fn wide_decimal(self, x: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(CAST(0 AS DECIMAL(38, 0)) + {x})"),
            // A NUMERIC product keeps 9 digits after the point; BIGNUMERIC
            // keeps 38, as Seg's decimals do.
            Dialect::BigQuery => format!("CAST({x} AS BIGNUMERIC)"),
            _ => x.to_string(),
        }
    }

    /// The exact (wide) type integer arithmetic is range-checked in, for
    /// dialects without a checked form: PostgreSQL, Snowflake, and
    /// DataFusion, whose `+` wraps silently and whose `TRY_CAST` of an
    /// out-of-range decimal to BIGINT does not give NULL.
    pub(crate) fn wide_int(self) -> &'static str {
        match self {
            Dialect::Postgres => "NUMERIC",
            Dialect::Snowflake => "NUMBER(38, 0)",
            _ => "DECIMAL(38, 0)",
        }
    }
}

impl Dialect {
    // --- Event histories (LANGUAGE.md §7.1) ---
    // An aggregate over a list of records is a scalar subquery over the
    // list's rows, one row per record: `(SELECT <aggregate> FROM <records>
    // WHERE <present> AND <filter>)`. The subquery's only column is the
    // record, named `seg_record`, so every other name in the filter (profile
    // fields, inlined segments) is the outer row's.

    /// Why this dialect compiles no aggregate over a list of records, or
    /// `None` where it does.
    pub(crate) fn history_refusal(self) -> Option<&'static str> {
        match self {
            Dialect::DuckDb | Dialect::Postgres | Dialect::BigQuery => None,
            Dialect::DataFusion => Some(
                "DataFusion 55 plans no correlated subquery over `unnest` of a row's list (\"Physical \
                 plan does not support logical expression ScalarSubquery\"), and its list \
                 functions take no lambdas, so a `where` over a record's fields cannot be written",
            ),
            Dialect::Spark => Some(
                "Seg does not compile histories to Spark's higher-order functions (`filter`, \
                 `aggregate`) yet",
            ),
            Dialect::Snowflake => Some(
                "Snowflake restricts correlated subqueries over `LATERAL FLATTEN` in a select \
                 list, and Seg has no Snowflake to prove another spelling on",
            ),
        }
    }

    /// The name of the record inside an aggregate's subquery.
    pub(crate) const RECORD: &'static str = "seg_record";

    /// The rows of the subquery, one per element of `list` (none for a
    /// missing list). In a select list, `unnest` keeps each element one
    /// value, so a missing element stays a NULL record (PostgreSQL's
    /// `FROM unnest(...)` would spread a composite into its fields, and a
    /// NULL record would look like one whose fields are all missing).
    pub(crate) fn records(self, list: &str) -> String {
        match self {
            // BigQuery arrays hold no NULL element.
            Dialect::BigQuery => format!("UNNEST({list}) AS seg_record"),
            _ => format!("(SELECT unnest({list}) AS seg_record) AS seg_records"),
        }
    }

    /// The record is present (not a missing element). PostgreSQL's `IS NOT
    /// NULL` on a composite is true only when every field is present and its
    /// `IS NULL` also when every field is missing; `num_nonnulls` counts the
    /// record itself.
    pub(crate) fn record_present(self) -> &'static str {
        match self {
            Dialect::Postgres => "num_nonnulls(seg_record) = 1",
            _ => "seg_record IS NOT NULL",
        }
    }

    /// The field `name` of the current record.
    pub(crate) fn record_field(self, name: &str) -> String {
        match self {
            Dialect::BigQuery => format!("seg_record.{}", self.ident(name)),
            _ => format!("(seg_record).{}", self.ident(name)),
        }
    }

    /// The exact sum of an int field over the counted records as a 64-bit
    /// integer, NULL over none and when the total does not fit. DuckDB sums
    /// BIGINT into a 128-bit HUGEINT, PostgreSQL into NUMERIC; BigQuery's
    /// `SUM` of INT64 fails on overflow, so it sums BIGNUMERIC.
    pub(crate) fn int_sum(self, x: &str) -> String {
        match self {
            Dialect::DuckDb => format!("TRY_CAST(sum({x}) AS BIGINT)"),
            Dialect::BigQuery => format!("SAFE_CAST(SUM(CAST({x} AS BIGNUMERIC)) AS INT64)"),
            _ => format!(
                "CAST(CASE WHEN sum({x}) BETWEEN -9223372036854775808 AND 9223372036854775807 THEN sum({x}) END AS {})",
                self.bigint()
            ),
        }
    }

    /// The exact sum of an int or decimal field divided by the count of its
    /// present values, rounded once to a double, or `None` where the engine
    /// has no exact division. PostgreSQL divides NUMERICs at the larger
    /// scale of the operands: at 400 digits after the point the quotient is
    /// rounded far below a double's halfway points (Seg writes 260 digits
    /// past the decimal's scale of at most 38), and the cast to a double
    /// parses that text correctly rounded. DuckDB and BigQuery divide
    /// decimals in doubles (or at 38 digits), rounding twice.
    pub(crate) fn exact_avg(self, x: &str) -> Option<String> {
        match self {
            Dialect::Postgres => Some(format!(
                "CAST(CAST(sum({x}) AS NUMERIC(1000, 400)) / count({x}) AS DOUBLE PRECISION)"
            )),
            _ => None,
        }
    }
}

/// The integer operations that can overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntOp {
    Add,
    Sub,
    Mul,
}

impl IntOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            IntOp::Add => "+",
            IntOp::Sub => "-",
            IntOp::Mul => "*",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
