//! One module per command.

pub mod bench;
pub mod check;
pub mod diff;
pub mod explain;
pub mod fmt;
pub mod lsp;
pub mod report;
pub mod run;
pub mod schema;
pub mod sql;
pub mod stream;
pub mod test;
pub mod why;

use std::path::PathBuf;

/// `--tz`, shared by every command that evaluates or compiles rules.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct TzArg {
    /// Evaluate in this IANA time zone (Europe/Berlin, America/New_York,
    /// UTC) instead of the rules' `timezone` [default: the rules' zone, UTC
    /// without one].
    #[arg(long = "tz", value_name = "ZONE", value_parser = parse_tz)]
    pub tz: Option<seg::ir::Zone>,
}

impl TzArg {
    /// `program` in the zone `--tz` gives, if one was given.
    pub fn apply(&self, program: &seg::ir::Program) -> seg::ir::Program {
        let mut program = program.clone();
        if let Some(zone) = self.tz {
            program.set_timezone(zone);
        }
        program
    }
}

/// Parses `--tz`: an unknown name is a usage error (exit 2) with the
/// closest IANA name.
fn parse_tz(name: &str) -> Result<seg::ir::Zone, String> {
    seg::parse_zone(name).map_err(|e| match e.help {
        Some(help) => format!("{}; {help}", e.message),
        None => e.message,
    })
}

/// What `use` may read, shared by every command that loads rules.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct UseArgs {
    /// Let `use` read `.seg` files anywhere, not only in the root file's
    /// directory tree.
    #[arg(long, conflicts_with = "root")]
    pub allow_outside: bool,
    /// The directory whose tree `use` may read from [default: the directory
    /// of the rules file named on the command line].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

impl UseArgs {
    /// The loader these arguments ask for.
    pub fn loader(&self) -> seg::FsLoader {
        let scope = if self.allow_outside {
            seg::UseScope::Anywhere
        } else if let Some(dir) = &self.root {
            seg::UseScope::Directory(dir.clone())
        } else {
            seg::UseScope::RootDirectory
        };
        seg::FsLoader { scope }
    }

    /// Loads and checks the program rooted at `path`.
    pub fn check(&self, path: &std::path::Path) -> seg::Checked {
        seg::check_program(path, &self.loader())
    }
}
