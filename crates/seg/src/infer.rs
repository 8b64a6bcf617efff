//! Inferring a `schema { ... }` block from data (`seg schema infer`), in the
//! library so that the command line and the language server share it.
//!
//! [`infer`] works on an Arrow schema and a sample of rows; [`infer_file`]
//! (feature `formats`) reads both from a Parquet, CSV, JSON lines or Arrow IPC
//! file. The guesses, each marked in the printed block by a comment so that a
//! user checks them:
//! - a column's type is the first Seg type that binds to it (`int` before
//!   `float`, so a UInt64 id stays an `int`);
//! - the `key` is the first `int` or `string` column named `id` or `..._id`;
//! - `pii` only for `string` or `date` columns whose name says personal data
//!   ([`PII_WORDS`]: e-mail, phone, name parts, address, birth date, IP...),
//!   never for a bool or number (`email_opt_in`, `phone_verified`) and never
//!   for a name that says it is about the data rather than the person
//!   (`email_domain`, `phone_status`);
//! - `one of [..]` for a `string` column whose sampled values are few
//!   ([`MAX_ONE_OF`] distinct or fewer), short ([`MAX_ONE_OF_CHARS`] characters
//!   or fewer) and seen often enough to trust (every value at least twice on
//!   average), and that is not the key or personal data.

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Schema};
use std::collections::BTreeSet;

/// Rows read from the start of a file to guess `one of` lists (and CSV/JSON
/// types).
pub const DEFAULT_SAMPLE_ROWS: usize = 10_000;
/// The most distinct values a `one of` suggestion lists.
pub const MAX_ONE_OF: usize = 12;
/// The longest value (in characters) a `one of` suggestion lists.
pub const MAX_ONE_OF_CHARS: usize = 24;

/// Words of a column name that mean personal data (the name is split at `_`,
/// `-`, spaces and lower-to-upper case changes, and compared lower case).
pub const PII_WORDS: &[&str] = &[
    "email",
    "mail",
    "phone",
    "mobile",
    "telephone",
    "tel",
    "firstname",
    "lastname",
    "fullname",
    "surname",
    "givenname",
    "familyname",
    "address",
    "street",
    "birthday",
    "birthdate",
    "dob",
    "ip",
    "ssn",
    "passport",
    "iban",
];
/// Pairs of words that together mean personal data (`first_name`, `birth_date`).
const PII_PAIRS: &[(&str, &str)] = &[
    ("first", "name"),
    ("last", "name"),
    ("full", "name"),
    ("given", "name"),
    ("family", "name"),
    ("middle", "name"),
    ("birth", "date"),
    ("date", "birth"),
    ("zip", "code"),
    ("postal", "code"),
    ("post", "code"),
];
/// Words that make a personal-looking name about something else
/// (`email_domain`, `phone_verified`, `email_opt_in`).
const NOT_PII_WORDS: &[&str] = &[
    "domain",
    "opt",
    "optin",
    "optout",
    "verified",
    "consent",
    "count",
    "status",
    "type",
    "valid",
    "bounced",
    "subscribed",
    "flag",
    "provider",
    "country",
];

/// One column of the data, as the schema block shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InferredColumn {
    /// The column's name (as in the data, not quoted).
    pub name: String,
    /// The Seg type as written (`int`, `list<string>`, `list<{ at: timestamp }>`),
    /// or `None` when no Seg type reads the column (it is left out).
    pub ty: Option<String>,
    /// The Arrow type, for the columns left out.
    pub arrow_type: String,
    /// Guessed to be the profile key.
    pub key: bool,
    /// Guessed to be personal data.
    pub pii: bool,
    /// The values seen, when few enough to suggest `one of`.
    pub one_of: Option<Vec<String>>,
}

/// A schema inferred from data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InferredSchema {
    /// Every column, in the data's order.
    pub columns: Vec<InferredColumn>,
    /// How many rows the guesses looked at.
    pub sampled_rows: usize,
}

/// A column name as Seg writes it: bare when it is a plain name, in
/// backticks otherwise (the one rule, [`seg_syntax::name_source`]).
pub fn name_text(column: &str) -> String {
    seg_syntax::name_source(column)
}

/// The Seg type serving an Arrow type, if any, as written: a scalar, a plain
/// list, or (v0.2) a history `list<{ ... }>` for a list of structs, whose
/// children without a Seg type are left out.
fn seg_type(dt: &DataType) -> Option<String> {
    if let DataType::List(item) | DataType::LargeList(item) = dt
        && let DataType::Struct(children) = item.data_type()
    {
        let fields: Vec<String> = children
            .iter()
            .filter_map(|c| {
                // Record fields hold scalars only, and no UInt64 `int`.
                if *c.data_type() == DataType::UInt64 {
                    return Some(format!("{}: float", name_text(c.name())));
                }
                let ty = scalar_type(c.data_type()).filter(|t| !t.starts_with("list"))?;
                Some(format!("{}: {ty}", name_text(c.name())))
            })
            .collect();
        if fields.is_empty() {
            return None;
        }
        return Some(format!("list<{{ {} }}>", fields.join(", ")));
    }
    scalar_type(dt)
}

/// The Seg type of a column other than a history: the first that binds,
/// written as the language writes it (`Type`'s display).
fn scalar_type(dt: &DataType) -> Option<String> {
    use seg_ir::Type;
    [
        Type::Int,
        Type::Float,
        Type::Decimal,
        Type::Bool,
        Type::String,
        Type::Date,
        Type::Timestamp,
        Type::list(Type::String),
        Type::list(Type::Int),
    ]
    .into_iter()
    .find(|ty| seg_eval::accepts(ty, dt))
    .map(|ty| ty.to_string())
}

/// The words of a column name, lower case: `firstName` and `first_name` are
/// both `first`, `name`.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a column of Seg type `ty` named `name` looks like personal data.
pub fn looks_personal(name: &str, ty: &str) -> bool {
    if !matches!(ty, "string" | "date") {
        return false;
    }
    let words = words(name);
    let has = |w: &str| words.iter().any(|x| x == w);
    if words.iter().any(|w| NOT_PII_WORDS.contains(&w.as_str())) {
        return false;
    }
    if ty == "date" {
        // Only a birth date is personal among dates.
        return has("birthday") || has("birthdate") || has("dob") || (has("birth") && has("date"));
    }
    words == ["name"]
        || words.iter().any(|w| PII_WORDS.contains(&w.as_str()))
        || PII_PAIRS
            .iter()
            .any(|(a, b)| words.windows(2).any(|pair| pair[0] == *a && pair[1] == *b))
}

/// The distinct values of a string column in the sample, when few and short
/// enough for `one of`, sorted.
fn few_values(columns: &[&ArrayRef]) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut present = 0usize;
    for array in columns {
        let Some(seg_eval::Col::Str(values)) = seg_eval::read_column(&seg_ir::Type::String, array)
        else {
            return None;
        };
        for value in values.into_iter().flatten() {
            present += 1;
            if value.chars().count() > MAX_ONE_OF_CHARS || value.is_empty() {
                return None;
            }
            seen.insert(value.into_owned());
            if seen.len() > MAX_ONE_OF {
                return None;
            }
        }
    }
    // Every value seen at least twice on average: a handful of rows with all
    // different values says nothing about the set being closed.
    (seen.len() >= 2 && present >= 2 * seen.len()).then(|| seen.into_iter().collect())
}

/// Infers the schema of data with this Arrow schema from a sample of its rows
/// (which may be empty: then no `one of` is suggested).
pub fn infer(schema: &Schema, sample: &[RecordBatch]) -> InferredSchema {
    let mut key_given = false;
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (index, field) in schema.fields().iter().enumerate() {
        let name = field.name().to_string();
        let ty = seg_type(field.data_type());
        let mut column = InferredColumn {
            name: name.clone(),
            ty: ty.clone(),
            arrow_type: field.data_type().to_string(),
            key: false,
            pii: false,
            one_of: None,
        };
        if let Some(ty) = ty {
            let lower = name.to_lowercase();
            if !key_given
                && matches!(ty.as_str(), "int" | "string")
                && (lower == "id" || lower.ends_with("_id"))
            {
                key_given = true;
                column.key = true;
            } else if looks_personal(&name, &ty) {
                column.pii = true;
            } else if ty == "string" {
                let arrays: Vec<&ArrayRef> = sample
                    .iter()
                    .filter_map(|b| b.columns().get(index))
                    .collect();
                column.one_of = few_values(&arrays);
            }
        }
        columns.push(column);
    }
    InferredSchema {
        columns,
        sampled_rows: sample.iter().map(RecordBatch::num_rows).sum(),
    }
}

impl InferredSchema {
    /// The `schema { ... }` block, each guess followed by a comment saying so.
    pub fn to_seg(&self) -> String {
        let mut out = String::from("schema {\n");
        for column in &self.columns {
            let Some(ty) = &column.ty else {
                out.push_str(&format!(
                    "  # {}: {} has no Seg type; it is left out\n",
                    name_text(&column.name),
                    column.arrow_type
                ));
                continue;
            };
            let mut line = format!("  {}: {ty}", name_text(&column.name));
            if column.key {
                line.push_str(" key  # guessed from the name: check it identifies a profile");
            } else if column.pii {
                line.push_str(" pii  # guessed from the name");
            } else if let Some(values) = &column.one_of {
                let list: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
                line.push_str(&format!(
                    " one of [{}]  # the values in the first {} rows: check the list is complete",
                    list.join(", "),
                    self.sampled_rows
                ));
            }
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("}\n");
        out
    }
}

/// Reads the columns and the first `sample_rows` rows of a data file and
/// infers its schema. The error is a short reason, for an E0403 message.
#[cfg(feature = "formats")]
pub fn infer_file(
    path: &std::path::Path,
    format: crate::formats::DataFormat,
    sample_rows: usize,
) -> Result<InferredSchema, String> {
    let (schema, sample) = read_sample(path, format, sample_rows)?;
    Ok(infer(&schema, &sample))
}

#[cfg(feature = "formats")]
fn read_sample(
    path: &std::path::Path,
    format: crate::formats::DataFormat,
    sample_rows: usize,
) -> Result<(Schema, Vec<RecordBatch>), String> {
    use crate::formats::DataFormat;
    use arrow::error::ArrowError;
    use std::fs::File;
    use std::io::{BufReader, Seek};
    use std::sync::Arc;

    fn take(
        batches: impl Iterator<Item = Result<RecordBatch, ArrowError>>,
        rows: usize,
    ) -> Result<Vec<RecordBatch>, String> {
        let mut out = Vec::new();
        let mut seen = 0;
        for batch in batches {
            if seen >= rows {
                break;
            }
            let batch = batch.map_err(|e| e.to_string())?;
            let batch = batch.slice(0, batch.num_rows().min(rows - seen));
            seen += batch.num_rows();
            out.push(batch);
        }
        Ok(out)
    }

    let batch_rows = sample_rows.clamp(1, 8192);
    let file = File::open(path).map_err(|e| crate::io_reason(&e))?;
    match format {
        DataFormat::Parquet => {
            let builder =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| e.to_string())?;
            let schema = builder.schema().as_ref().clone();
            let reader = builder
                .with_batch_size(batch_rows)
                .with_limit(sample_rows)
                .build()
                .map_err(|e| e.to_string())?;
            Ok((schema, take(reader, sample_rows)?))
        }
        DataFormat::Arrow => {
            let mut file = file;
            let mut magic = [0u8; 6];
            let is_file =
                std::io::Read::read_exact(&mut file, &mut magic).is_ok() && &magic == b"ARROW1";
            file.rewind().map_err(|e| e.to_string())?;
            if is_file {
                let reader = arrow::ipc::reader::FileReader::try_new(file, None)
                    .map_err(|e| e.to_string())?;
                let schema = reader.schema().as_ref().clone();
                Ok((schema, take(reader, sample_rows)?))
            } else {
                let reader = arrow::ipc::reader::StreamReader::try_new(BufReader::new(file), None)
                    .map_err(|e| e.to_string())?;
                let schema = reader.schema().as_ref().clone();
                Ok((schema, take(reader, sample_rows)?))
            }
        }
        DataFormat::Csv => {
            let format = arrow::csv::reader::Format::default().with_header(true);
            let (schema, _) = format
                .infer_schema(BufReader::new(&file), Some(sample_rows.max(1)))
                .map_err(|e| e.to_string())?;
            let mut file = file;
            file.rewind().map_err(|e| e.to_string())?;
            let reader = arrow::csv::ReaderBuilder::new(Arc::new(schema.clone()))
                .with_format(format)
                .with_batch_size(batch_rows)
                .build(file)
                .map_err(|e| e.to_string())?;
            Ok((schema, take(reader, sample_rows)?))
        }
        DataFormat::Jsonl => {
            let (schema, _) = arrow::json::reader::infer_json_schema(
                BufReader::new(&file),
                Some(sample_rows.max(1)),
            )
            .map_err(|e| e.to_string())?;
            let mut file = file;
            file.rewind().map_err(|e| e.to_string())?;
            let reader = arrow::json::ReaderBuilder::new(Arc::new(schema.clone()))
                .with_batch_size(batch_rows)
                .build(BufReader::new(file))
                .map_err(|e| e.to_string())?;
            Ok((schema, take(reader, sample_rows)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BooleanArray, StringArray, UInt64Array};
    use arrow::datatypes::Field;
    use std::sync::Arc;

    #[test]
    fn personal_data_is_guessed_from_names_that_say_so_only() {
        for (name, ty) in [
            ("email", "string"),
            ("Email", "string"),
            ("first_name", "string"),
            ("lastName", "string"),
            ("name", "string"),
            ("phone", "string"),
            ("mobile_number", "string"),
            ("street_address", "string"),
            ("ip_address", "string"),
            ("birth_date", "date"),
            ("dob", "date"),
            ("zip_code", "string"),
        ] {
            assert!(looks_personal(name, ty), "{name}: {ty}");
        }
        for (name, ty) in [
            ("email_opt_in", "bool"),
            ("phone_verified", "bool"),
            ("email_count", "int"),
            ("email_domain", "string"),
            ("phone_status", "string"),
            ("campaign_name", "string"),
            ("signup_date", "date"),
            ("shipping", "string"),
            ("tipping", "string"),
        ] {
            assert!(!looks_personal(name, ty), "{name}: {ty}");
        }
    }

    #[test]
    fn a_uint64_key_stays_an_int_key_and_few_strings_suggest_one_of() {
        let schema = Schema::new(vec![
            Field::new("customer_id", DataType::UInt64, false),
            Field::new("tier", DataType::Utf8, true),
            Field::new("city", DataType::Utf8, true),
            Field::new("email_opt_in", DataType::Boolean, true),
        ]);
        let tiers = ["gold", "silver", "gold", "bronze", "silver", "gold"];
        let cities = ["Berlin", "Paris", "Rome", "Oslo", "Lima", "Kyiv"];
        let batch = RecordBatch::try_new(
            Arc::new(schema.clone()),
            vec![
                Arc::new(UInt64Array::from(vec![1, 2, 3, 4, 5, u64::MAX])),
                Arc::new(StringArray::from(tiers.to_vec())),
                Arc::new(StringArray::from(cities.to_vec())),
                Arc::new(BooleanArray::from(vec![true; 6])),
            ],
        )
        .unwrap();
        let inferred = infer(&schema, &[batch]);
        assert_eq!(
            inferred.to_seg(),
            "schema {\n  customer_id: int key  # guessed from the name: check it identifies a profile\n  tier: string one of [\"bronze\", \"gold\", \"silver\"]  # the values in the first 6 rows: check the list is complete\n  city: string\n  email_opt_in: bool\n}\n"
        );
    }
}
