//! `seg schema infer DATA`: print a `schema { ... }` block for a data file, so
//! a marketer starts from their real columns.

use crate::Outcome;
use arrow::datatypes::{DataType, Schema};
use seg::formats::DataFormat;
use std::fs::File;
use std::io::{BufReader, Seek};
use std::path::PathBuf;

/// Arguments of `seg schema`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SchemaCommand,
}

#[derive(clap::Subcommand)]
enum SchemaCommand {
    /// Print a schema block for a data file's columns.
    Infer {
        /// Parquet, CSV (with a header), JSON lines or Arrow IPC.
        data: PathBuf,
        /// The data's format, when its extension does not tell.
        #[arg(long, value_enum)]
        data_format: Option<DataFormat>,
    },
}

const KEYWORDS: &[&str] = &[
    "schema", "key", "pii", "one", "of", "param", "segment", "where", "exclude", "priority",
    "test", "as_of", "given", "expect", "use", "and", "or", "not", "in", "between", "contains",
    "any", "none", "all", "starts", "ends", "with", "matches", "is", "missing", "present",
    "within", "before", "after", "ago", "today", "now", "true", "false", "timezone",
];

/// A column name as Seg writes it: bare when it is an identifier that is not a
/// keyword, in backticks otherwise.
fn name(column: &str) -> String {
    let mut chars = column.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier && !KEYWORDS.contains(&column) {
        column.to_string()
    } else {
        format!("`{column}`")
    }
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
                // Record fields hold scalars only.
                let ty = scalar_type(c.data_type()).filter(|t| !t.starts_with("list"))?;
                Some(format!("{}: {ty}", name(c.name())))
            })
            .collect();
        if fields.is_empty() {
            return None;
        }
        return Some(format!("list<{{ {} }}>", fields.join(", ")));
    }
    scalar_type(dt).map(str::to_string)
}

/// The Seg type of a column other than a history.
fn scalar_type(dt: &DataType) -> Option<&'static str> {
    use seg::ir::Type;
    let order = [
        (Type::Int, "int"),
        (Type::Float, "float"),
        (Type::Decimal, "decimal"),
        (Type::Bool, "bool"),
        (Type::String, "string"),
        (Type::Date, "date"),
        (Type::Timestamp, "timestamp"),
        (Type::list(Type::String), "list<string>"),
        (Type::list(Type::Int), "list<int>"),
    ];
    order
        .iter()
        .find(|(ty, _)| seg::eval::accepts(ty, dt))
        .map(|(_, n)| *n)
}

/// Renders the schema block.
pub fn render(schema: &Schema) -> String {
    let mut out = String::from("schema {\n");
    let mut key_given = false;
    for field in schema.fields() {
        let column = field.name();
        match seg_type(field.data_type()) {
            Some(ty) => {
                let lower = column.to_lowercase();
                let looks_like_key = !key_given
                    && matches!(ty.as_str(), "int" | "string")
                    && (lower == "id" || lower.ends_with("_id"));
                let mut line = format!("  {}: {ty}", name(column));
                if looks_like_key {
                    key_given = true;
                    line.push_str(" key  # guessed from the name: check it identifies a profile");
                } else if lower.contains("email")
                    || lower.contains("phone")
                    || lower == "name"
                    || lower.ends_with("_name")
                {
                    line.push_str(" pii  # guessed from the name");
                }
                out.push_str(&line);
                out.push('\n');
            }
            None => out.push_str(&format!(
                "  # {}: {} has no Seg type; it is left out\n",
                name(column),
                field.data_type()
            )),
        }
    }
    out.push_str("}\n");
    out
}

fn read_schema(path: &PathBuf, format: DataFormat) -> Result<Schema, String> {
    let file = File::open(path).map_err(|e| seg::io_reason(&e))?;
    match format {
        DataFormat::Parquet => {
            let builder =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| e.to_string())?;
            Ok(builder.schema().as_ref().clone())
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
                Ok(reader.schema().as_ref().clone())
            } else {
                let reader = arrow::ipc::reader::StreamReader::try_new(BufReader::new(file), None)
                    .map_err(|e| e.to_string())?;
                Ok(reader.schema().as_ref().clone())
            }
        }
        DataFormat::Csv => {
            let format = arrow::csv::reader::Format::default().with_header(true);
            let (schema, _) = format
                .infer_schema(BufReader::new(file), Some(10_000))
                .map_err(|e| e.to_string())?;
            Ok(schema)
        }
        DataFormat::Jsonl => {
            let (schema, _) =
                arrow::json::reader::infer_json_schema(BufReader::new(file), Some(10_000))
                    .map_err(|e| e.to_string())?;
            Ok(schema)
        }
    }
}

/// Runs `seg schema`.
pub fn run(args: &Args) -> Outcome {
    let SchemaCommand::Infer { data, data_format } = &args.command;
    let Some(format) = data_format.or_else(|| DataFormat::from_path(data)) else {
        eprintln!(
            "error[E0403]: cannot tell the format of `{}` from its extension",
            data.display()
        );
        eprintln!("  help: name the format: --data-format parquet|csv|jsonl|arrow");
        return Outcome::Failure;
    };
    match read_schema(data, format) {
        Ok(schema) => {
            crate::out!("{}", render(&schema));
            Outcome::Clean
        }
        Err(reason) => {
            eprintln!(
                "error[E0403]: cannot read the columns of `{}`: {reason}",
                data.display()
            );
            Outcome::Failure
        }
    }
}
