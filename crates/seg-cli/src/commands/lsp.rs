//! `seg lsp`: the language server on standard input and output.

/// `seg lsp` takes no arguments: editors start it and speak the Language
/// Server Protocol over its standard input and output.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the server until the editor says `exit`. A broken connection or a
/// client that breaks the protocol is an input error (exit 2).
pub fn run(_args: &Args) -> crate::Outcome {
    match seg_lsp::run_stdio() {
        Ok(()) => crate::Outcome::Clean,
        Err(error) => {
            eprintln!("error: seg lsp: {error}");
            crate::Outcome::Failure
        }
    }
}
