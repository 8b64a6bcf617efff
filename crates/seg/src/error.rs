//! Errors about data and options, as opposed to problems in the rules (which
//! are located [`Diagnostic`]s).

use seg_diagnostics::Diagnostic;
use std::fmt;
use std::path::Path;

/// A problem with the data or the run's options, reported as
/// `error[CODE]: message` with a help line. Codes are those of
/// `docs/diagnostics.md` (`E0403` unreadable data, `E0406` a bad instant,
/// `E0407` an unknown segment, `E0801` an I/O error, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The code (`E0403`, `E0801`, ...).
    pub code: &'static str,
    /// What went wrong, naming the file or option.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Error {
    /// An error with a code, message and help line.
    pub fn new(code: &'static str, message: impl Into<String>, help: Option<String>) -> Self {
        Error {
            code,
            message: message.into(),
            help,
        }
    }

    #[cfg(feature = "formats")]
    pub(crate) fn unreadable(path: &Path, format: &str, error: impl fmt::Display) -> Self {
        Error {
            code: "E0403",
            message: format!(
                "cannot read `{}` as {format}: {}",
                path.display(),
                one_line(&error.to_string())
            ),
            help: Some(format!(
                "check that the file is complete and really {format}; `--data-format` overrides the extension"
            )),
        }
    }

    /// E0801: a file that cannot be read.
    pub fn io(path: &Path, error: &std::io::Error) -> Self {
        Error {
            code: "E0801",
            message: format!(
                "cannot read `{}`: {}",
                path.display(),
                crate::io_reason(error)
            ),
            help: None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Text on one line, its runs of white space made single spaces.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why a run stopped: a problem with the data or options, or a located
/// problem with the rules against this data (a column that does not fit, an
/// internal error in an engine).
#[derive(Clone, Debug)]
pub enum RunError {
    /// The data or the options.
    Data(Error),
    /// Located in the rules; render with the checked program's sources.
    Program(Vec<Diagnostic>),
}

impl From<Error> for RunError {
    fn from(error: Error) -> Self {
        RunError::Data(error)
    }
}

impl From<Diagnostic> for RunError {
    fn from(diagnostic: Diagnostic) -> Self {
        RunError::Program(vec![diagnostic])
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Data(error) => error.fmt(f),
            RunError::Program(diagnostics) => {
                for (i, d) in diagnostics.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error[{}]: {}", d.code, d.message)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RunError {}
