//! The "did you mean" of a diagnostic comes with a structured fix: the span
//! to replace and the replacement, as source text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use seg_check::{LoadError, SourceLoader};
use std::path::{Path, PathBuf};

/// Reads nothing: the programs here `use` no file.
struct NoFiles;

impl SourceLoader for NoFiles {
    fn load(&self, _: &Path) -> Result<(PathBuf, String), LoadError> {
        Err(LoadError::Io("no files here".into()))
    }
}

/// `(code, text replaced, replacement)` of every fix in the program.
fn fixes(text: &str) -> Vec<(String, String, String)> {
    let checked = seg_check::check_source(Path::new("rules.seg"), text, &NoFiles);
    checked
        .diagnostics
        .iter()
        .filter_map(|d| {
            let fix = d.suggestions().first()?.edits.first()?;
            let replaced = text[fix.span.range()].to_string();
            Some((d.code.to_string(), replaced, fix.text.clone()))
        })
        .collect()
}

fn owned(fixes: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    fixes
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

const SCHEMA: &str = "schema {
  id: int key
  tier: string one of [\"gold\", \"silver\"]
  `first name`: string
  signup: date
}
";

#[test]
fn names_functions_types_and_values_have_fixes() {
    let program = format!(
        "{SCHEMA}
segment a {{ where tie == \"gold\" and lowr(`first name`) == \"x\" }}
segment b {{ where first_name == \"x\" and tier == \"gld\" }}
priority p {{ aa }}
"
    );
    assert_eq!(
        fixes(&program),
        owned(&[
            ("E0101", "tie", "tier"),
            ("E0114", "lowr", "lower"),
            ("E0101", "first_name", "`first name`"),
            ("E0203", "\"gld\"", "\"gold\""),
            ("E0101", "aa", "a"),
        ])
    );
}

#[test]
fn a_type_and_a_time_zone_have_fixes() {
    let program = "schema {\n  id: int key\n  n: strng\n}\ntimezone \"Europe/Berln\"\n";
    assert_eq!(
        fixes(program),
        owned(&[
            ("E0106", "strng", "string"),
            ("E0121", "\"Europe/Berln\"", "\"Europe/Berlin\""),
        ])
    );
}

#[test]
fn no_fix_without_a_close_name() {
    let program = format!("{SCHEMA}\nsegment a {{ where zzzzzz > 1 }}\n");
    assert_eq!(fixes(&program), Vec::new());
}
