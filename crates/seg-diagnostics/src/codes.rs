//! The registry of diagnostic codes. Codes are stable: once released, a code keeps
//! its meaning forever; a retired code is never reused. `docs/diagnostics.md` has
//! one section per code, and a test fails when a code lacks a section or a fixture.

use std::fmt;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The program is rejected.
    Error,
    /// The program is accepted, but something looks wrong.
    Warning,
}

/// What the registry knows about a code.
#[derive(Clone, Copy, Debug)]
pub struct CodeInfo {
    /// The code itself, such as `E0101`.
    pub code: Code,
    /// Errors reject the program; warnings do not.
    pub severity: Severity,
    /// A few words on what the code is about, used as the default label.
    pub summary: &'static str,
}

macro_rules! codes {
    ($($name:ident => $severity:ident, $summary:literal;)*) => {
        /// A stable diagnostic code: a letter (`E` error, `W` warning) and four digits.
        /// The first two digits group codes by stage: `00` syntax and limits,
        /// `01` names and schema, `02` types and values, `03` findings,
        /// `04` data binding and run options, `05` SQL targets, `08` files
        /// and input, `09` internal errors.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)]
        pub enum Code { $($name,)* }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The code as written in diagnostics and docs, such as `"E0101"`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => stringify!($name),)* }
            }

            /// The registry entry of this code.
            pub fn info(self) -> CodeInfo {
                match self {
                    $(Code::$name => CodeInfo {
                        code: Code::$name,
                        severity: Severity::$severity,
                        summary: $summary,
                    },)*
                }
            }
        }
    };
}

codes! {
    // Syntax and limits.
    E0001 => Error, "syntax error";
    E0002 => Error, "character not allowed here";
    E0003 => Error, "nesting too deep";
    E0004 => Error, "unterminated string";
    E0005 => Error, "unknown escape in string";
    E0006 => Error, "file too large";
    E0007 => Error, "program too large";
    E0008 => Error, "list literal too long";
    E0009 => Error, "comparisons cannot be chained";
    E0010 => Error, "invalid date or timestamp";
    E0011 => Error, "invalid number";
    E0012 => Error, "unterminated backticked name";
    E0013 => Error, "a form from SQL or spreadsheets";
    // Names, items and schema.
    E0101 => Error, "unknown name";
    E0102 => Error, "name defined twice";
    E0103 => Error, "name taken by a schema field";
    E0104 => Error, "no schema";
    E0105 => Error, "more than one schema";
    E0106 => Error, "unknown type";
    E0107 => Error, "more than one key field";
    E0108 => Error, "`one of` on a field that is not a string";
    E0109 => Error, "segments reference each other in a cycle";
    E0110 => Error, "file given to `use` cannot be read";
    E0111 => Error, "files `use` each other in a cycle";
    E0112 => Error, "not a segment";
    E0113 => Error, "priority group used as a condition";
    E0114 => Error, "unknown function";
    E0115 => Error, "field listed twice";
    E0116 => Error, "file given to `use` is outside the rules' directory";
    E0117 => Error, "file given to `use` is not a `.seg` file";
    // Event histories (v0.2, §7.1).
    E0118 => Error, "unknown record field";
    E0119 => Error, "record type where none may stand";
    E0120 => Error, "name taken by a record field";
    // Time zones (v0.2, §7.3).
    E0121 => Error, "unknown time zone";
    E0122 => Error, "more than one `timezone`";
    // Holdout buckets (v0.2, §7.2).
    E0123 => Error, "`bucket` without an int or string `key` field";
    // Types and values.
    E0201 => Error, "mismatched types";
    E0202 => Error, "condition is not a `bool`";
    E0203 => Error, "value not in the field's `one of` list";
    E0204 => Error, "invalid regular expression";
    E0205 => Error, "wrong number of arguments";
    E0206 => Error, "not a constant";
    E0207 => Error, "time unit too fine for a date";
    E0208 => Error, "list elements of different types";
    E0209 => Error, "pattern too large";
    E0210 => Error, "patterns too large in total";
    // Event histories (v0.2).
    E0211 => Error, "aggregate over something that is not a list of records";
    E0212 => Error, "record field path outside an aggregate";
    E0213 => Error, "aggregates nested in one another";
    E0214 => Error, "aggregate of a field of the wrong type";
    // Findings.
    W0301 => Warning, "personal data used in a segment";
    W0302 => Warning, "segment can never match";
    W0303 => Warning, "condition true for every present value";
    W0304 => Warning, "redundant condition";
    W0305 => Warning, "`exclude` removes every profile";
    W0306 => Warning, "priority entry never assigned";
    W0307 => Warning, "param never used";
    // Event histories (v0.2).
    W0308 => Warning, "record field shadows a profile field";
    // Issue 14: the missing-value trap and acknowledged findings.
    W0309 => Warning, "`!=` or `not in` leaves out profiles where the field is missing";
    W0310 => Warning, "`seg: allow` comment that silences nothing";
    // Data binding and run options.
    E0401 => Error, "column missing from the data";
    E0402 => Error, "column type does not fit the schema";
    E0403 => Error, "data cannot be read";
    E0404 => Error, "invalid `--param` value";
    E0405 => Error, "unknown `--param` name";
    E0406 => Error, "invalid `--as-of` instant";
    E0407 => Error, "unknown segment requested";
    E0408 => Error, "ambiguous column in the data";
    E0409 => Error, "decimal out of range for text data";
    // `seg why`.
    E0410 => Error, "key does not fit the key field";
    E0411 => Error, "no profile has the key";
    // SQL targets.
    E0501 => Error, "not expressible exactly on the SQL target";
    E0502 => Error, "pattern not expressible on the target's regex engine";
    E0503 => Error, "segment too large for SQL";
    // Files and input.
    E0801 => Error, "cannot read file";
    E0802 => Error, "file is not UTF-8 text";
    E0803 => Error, "output would replace an input";
    E0804 => Error, "file is read-only";
    // Internal.
    E0901 => Error, "internal compiler error";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_a_letter_and_four_digits_matching_severity() {
        for code in Code::ALL {
            let text = code.as_str();
            assert_eq!(text.len(), 5, "{text}");
            assert!(text[1..].bytes().all(|b| b.is_ascii_digit()), "{text}");
            let letter = match code.info().severity {
                Severity::Error => 'E',
                Severity::Warning => 'W',
            };
            assert!(text.starts_with(letter), "{text} has the wrong letter");
        }
    }
}
