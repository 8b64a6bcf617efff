//! `seg schema infer DATA`: print a `schema { ... }` block for a data file, so
//! a marketer starts from their real columns. The inference is the library's
//! (`seg::infer`); this is argument parsing and printing.

use crate::Outcome;
use seg::formats::DataFormat;
use std::path::PathBuf;

/// Arguments of `seg schema`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SchemaCommand,
}

/// Output formats of `seg schema infer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InferFormat {
    /// The `schema { ... }` block, guesses marked by comments.
    Text,
    /// One JSON document (see docs/language.md, "Starting from data").
    Json,
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
        /// Rows read from the start of the file to guess `one of` lists.
        #[arg(long, default_value_t = seg::infer::DEFAULT_SAMPLE_ROWS)]
        sample_rows: usize,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: InferFormat,
    },
}

/// Runs `seg schema`.
pub fn run(args: &Args) -> Outcome {
    let SchemaCommand::Infer {
        data,
        data_format,
        sample_rows,
        format,
    } = &args.command;
    let Some(data_format) = data_format.or_else(|| DataFormat::from_path(data)) else {
        eprintln!(
            "error[E0403]: cannot tell the format of `{}` from its extension",
            data.display()
        );
        eprintln!("  help: name the format: --data-format parquet|csv|jsonl|arrow");
        return Outcome::Failure;
    };
    match seg::infer::infer_file(data, data_format, *sample_rows) {
        Ok(inferred) => {
            match format {
                InferFormat::Text => crate::out!("{}", inferred.to_seg()),
                InferFormat::Json => match serde_json::to_string_pretty(&inferred) {
                    Ok(json) => crate::outln!("{json}"),
                    Err(e) => {
                        eprintln!("error[E0901]: cannot write JSON: {e}");
                        return Outcome::Failure;
                    }
                },
            }
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
