//! One module per command.

pub mod bench;
pub mod check;
pub mod explain;
pub mod fmt;
pub mod run;
pub mod schema;
pub mod sql;
pub mod test;

use std::path::PathBuf;

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
