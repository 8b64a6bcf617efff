//! Hostile and malformed input through the front end: floods of diagnostics,
//! `use` of files that are not Seg rules, encodings, and a generated corpus of
//! broken programs. Every case must end in coded diagnostics, quickly, without
//! a panic, and without echoing file contents the user did not ask to see.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{code, repo_root, seg, stderr, text};
use seg_cli::render;
use std::path::Path;
use std::time::{Duration, Instant};

/// A temporary directory holding the shared fixture schema and `files`.
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("tests/fixtures/profile_schema.seg"),
        dir.path().join("schema.seg"),
    )
    .unwrap();
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

// --- Floods of diagnostics (issue 9, item 8) ---------------------------------------

/// One segment whose condition repeats `age > 1` `n` times: every repetition
/// after the first is a redundant condition (W0304).
fn redundant_chain(n: usize) -> String {
    let mut text = String::from("use \"schema.seg\"\n\nsegment s {\n  where age > 1\n");
    for _ in 1..n {
        text.push_str("    and age > 1\n");
    }
    text.push_str("}\n");
    text
}

#[test]
fn a_flood_of_findings_renders_fast_and_coalesced() {
    let dir = workspace(&[("flood.seg", &redundant_chain(10_000))]);
    let started = Instant::now();
    let out = seg(&["check", "flood.seg"], dir.path());
    let elapsed = started.elapsed();
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{}", &err[..err.len().min(2000)]);
    assert!(
        elapsed < Duration::from_secs(5),
        "human output of 10,000 findings took {elapsed:?}"
    );
    assert!(
        err.len() < 40_000,
        "human output of 10,000 findings is {} bytes",
        err.len()
    );
    assert_eq!(err.matches("warning[W0304]").count(), 10, "{err}");
    assert!(
        err.contains("and 9,989 more W0304 in segment `s`"),
        "{}",
        &err[err.len().saturating_sub(3000)..]
    );
    // The summary still counts every finding.
    assert!(err.contains("0 errors and 9999 warnings"), "{err}");
    // JSON keeps them all.
    let json = seg(&["check", "--format", "json", "flood.seg"], dir.path());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 9_999);

    // The issue's shape: `age > 1 and` 10,000 times on one line (miette used
    // to panic on it after 30 s and 1.2 GB).
    let one_line = format!(
        "use \"schema.seg\"\n\nsegment s {{\n  where {}age > 1\n}}\n",
        "age > 1 and ".repeat(10_000)
    );
    std::fs::write(dir.path().join("line.seg"), one_line).unwrap();
    let started = Instant::now();
    let out = seg(&["check", "line.seg"], dir.path());
    let elapsed = started.elapsed();
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{}", &err[..err.len().min(2000)]);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(err.contains("and 9,990 more W0304 in segment `s`"), "{err}");
}

#[test]
fn unused_params_coalesce_per_file() {
    let mut text = String::from("use \"schema.seg\"\n");
    for i in 0..50_000 {
        text.push_str(&format!("param p{i} = 1\n"));
    }
    let dir = workspace(&[]);
    let checked = seg::check_source(&dir.path().join("params.seg"), &text);
    assert!(checked.diagnostics.len() >= 50_000);
    let started = Instant::now();
    let human = render::human(&checked.diagnostics, &checked.sources, false);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(3),
        "rendering took {elapsed:?}"
    );
    assert_eq!(human.matches("warning[W0307]").count(), 10);
    assert!(
        human.contains("and 49,990 more W0307 in `") && human.contains("params.seg` ("),
        "{}",
        &human[human.len().saturating_sub(2000)..]
    );
}

#[test]
fn long_lines_are_cut_around_the_span() {
    // A list of 10,000 elements on one 58,000-character line, and an unknown
    // name far along a long line (E0101).
    let items: Vec<String> = (1..=10_000).map(|i| i.to_string()).collect();
    let padding = "age > 1 and ".repeat(1000);
    let source = format!(
        "use \"schema.seg\"\n\nparam ids = [{}]\n\nsegment s {{\n  where {padding}agee > 1\n}}\n",
        items.join(", ")
    );
    let dir = workspace(&[("long.seg", &source)]);
    let out = seg(&["check", "long.seg"], dir.path());
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("error[E0101]"), "{err}");
    let longest = err.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest <= 200, "a line of {longest} characters:\n{err}");
    // The header still gives the real position, the snippet the real line number.
    assert!(err.contains("long.seg:6:12009"), "{err}");
    assert!(err.contains(" 6 │ …"), "{err}");
    assert!(err.contains("agee > 1"), "{err}");
}

#[test]
fn secondary_labels_are_bounded() {
    // A diagnostic with 1,000 secondary labels shows a few and counts the rest.
    use seg::diagnostics::{Code, Diagnostic, SourceMap, Span};
    let mut sources = SourceMap::new();
    let text = "x\n".repeat(2000);
    let file = sources.add("many.seg", text.as_str());
    let mut d = Diagnostic::new(Code::E0102, Span::new(file, 0, 1), "`x` is defined twice")
        .with_help("rename one");
    for i in 1..1000 {
        d = d.with_secondary(Span::new(file, i * 2, i * 2 + 1), "also here");
    }
    let human = render::human(&[d], &sources, false);
    assert!(human.matches("also here").count() <= 10, "{human}");
    assert!(human.contains("and 990 more locations"), "{human}");
    assert!(human.lines().count() < 60, "{human}");
}

// --- What `use` may read (issue 9, item 11) ----------------------------------------

/// Runs `seg ARGS` in `dir` and fails the test if it takes more than 10 s
/// (a `use` of a FIFO used to block forever).
fn seg_with_deadline(args: &[&str], dir: &Path) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("seg {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn main_using(target: &str) -> String {
    format!("use \"schema.seg\"\nuse \"{target}\"\n")
}

#[test]
fn use_of_a_fifo_is_refused_without_blocking() {
    let dir = workspace(&[("main.seg", &main_using("pipe.seg"))]);
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe.seg"))
        .status()
        .unwrap();
    assert!(made.success());
    let out = seg_with_deadline(&["check", "main.seg"], dir.path());
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("error[E0117]"), "{err}");
    assert!(err.contains("main.seg:2:5"), "{err}");
}

#[test]
fn use_outside_the_root_directory_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("shared.seg"),
        "param secret_threshold = 12345\n",
    )
    .unwrap();
    let shared = outside.path().join("shared.seg");
    let dir = workspace(&[
        (
            "rules/main.seg",
            "use \"../schema.seg\"\nuse \"../up.seg\"\n",
        ),
        ("up.seg", "param up = 1\n"),
        ("abs.seg", &main_using(shared.to_str().unwrap())),
        ("etc.seg", &main_using("/etc/passwd")),
        ("link_user.seg", &main_using("link.seg")),
    ]);
    std::os::unix::fs::symlink(&shared, dir.path().join("link.seg")).unwrap();
    for (file, shown) in [
        ("abs.seg", "abs.seg:2:5"),
        ("etc.seg", "etc.seg:2:5"),
        ("link_user.seg", "link_user.seg:2:5"),
    ] {
        let out = seg_with_deadline(&["check", file], dir.path());
        let err = stderr(&out);
        assert_eq!(code(&out), 1, "{file}: {err}");
        assert!(err.contains("error[E0116]"), "{file}: {err}");
        assert!(err.contains(shown), "{file}: {err}");
        assert!(!err.contains("12345") && !err.contains("root:"), "{err}");
    }
    // `..` out of the root file's directory: refused by default, allowed
    // with `--root` naming a directory above, or with `--allow-outside`.
    let out = seg_with_deadline(&["check", "rules/main.seg"], dir.path());
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("error[E0116]"), "{err}");
    for widened in [
        vec!["check", "--root", ".", "rules/main.seg"],
        vec!["check", "--allow-outside", "rules/main.seg"],
    ] {
        let out = seg_with_deadline(&widened, dir.path());
        assert_eq!(code(&out), 0, "{widened:?}: {}", stderr(&out));
    }
    let out = seg_with_deadline(&["check", "--allow-outside", "abs.seg"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn use_of_a_directory_or_a_file_that_is_not_seg_is_refused() {
    let dir = workspace(&[
        ("dir.seg", &main_using("sub")),
        ("csv.seg", &main_using("data.csv")),
        ("data.csv", "customer_id,age\n1,30\n"),
        ("link_csv.seg", &main_using("csv_link.seg")),
    ]);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("data.csv"), dir.path().join("csv_link.seg"))
        .unwrap();
    for file in ["dir.seg", "csv.seg", "link_csv.seg"] {
        let out = seg_with_deadline(&["check", file], dir.path());
        let err = stderr(&out);
        assert_eq!(code(&out), 1, "{file}: {err}");
        assert!(err.contains("error[E0117]"), "{file}: {err}");
        assert!(!err.contains("customer_id,age"), "{file}: {err}");
    }
}

#[test]
fn a_secret_file_that_is_not_seg_is_not_echoed() {
    // An environment dump saved inside the tree as a `.seg` file.
    let secret = format!(
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI{}K7MDENGbPxRfiCY\u{0}DB_PASSWORD=hunter2hunter2\nPATH=/usr/bin\nAPI_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
        "x".repeat(100)
    );
    let dir = workspace(&[("main.seg", &main_using("env.seg")), ("env.seg", &secret)]);
    for format in ["human", "json", "github", "sarif"] {
        let out = seg_with_deadline(&["check", "--format", format, "main.seg"], dir.path());
        let all = format!("{}{}", text(&out.stdout), stderr(&out));
        assert_eq!(code(&out), 1, "{format}: {all}");
        for leaked in ["hunter2", "ghp_abcdef", "K7MDENG", "PATH=/usr/bin"] {
            assert!(!all.contains(leaked), "{format} leaks `{leaked}`:\n{all}");
        }
        assert!(!all.contains(&"x".repeat(80)), "{format}:\n{all}");
    }
    // Checked directly, the file is quoted no further either.
    let out = seg_with_deadline(&["check", "env.seg"], dir.path());
    let all = format!("{}{}", text(&out.stdout), stderr(&out));
    assert_eq!(code(&out), 1, "{all}");
    for leaked in ["hunter2", "ghp_abcdef", "K7MDENG", "PATH=/usr/bin"] {
        assert!(!all.contains(leaked), "leaks `{leaked}`:\n{all}");
    }
}

// --- Encodings, empty files and float literals (issue 9, item 13) -----------------

#[test]
fn a_byte_order_mark_is_accepted_and_positions_stay_right() {
    let source = "\u{feff}use \"schema.seg\"\n\nsegment s { where agee > 1 }\n";
    let dir = workspace(&[("bom.seg", source)]);
    let out = seg(&["check", "bom.seg"], dir.path());
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("error[E0101]"), "{err}");
    assert!(err.contains("bom.seg:3:19"), "{err}");
    let json = seg(&["check", "--format", "json", "bom.seg"], dir.path());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["diagnostics"][0]["line"], 3);
    assert_eq!(report["diagnostics"][0]["column"], 19);
    // A clean file with a BOM checks clean, through `use` too.
    let dir = workspace(&[
        ("main.seg", "\u{feff}use \"schema.seg\"\nuse \"more.seg\"\n"),
        ("more.seg", "\u{feff}segment s { where age > 1 }\n"),
    ]);
    let out = seg(&["check", "main.seg"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // And through the library.
    let checked = seg::check_source(
        &dir.path().join("x.seg"),
        "\u{feff}use \"schema.seg\"\nsegment s {\n  where\n    agee > 1 }\n",
    );
    let d = &checked.diagnostics[0];
    let at = checked
        .sources
        .get(d.span.file)
        .unwrap()
        .line_col(d.span.start as usize);
    assert_eq!((at.line, at.column), (4, 5));
}

#[test]
fn empty_and_comment_only_files_are_empty_programs() {
    let dir = workspace(&[
        ("empty.seg", ""),
        ("comments.seg", "# nothing yet\n\n   # still nothing\n"),
        ("blank.seg", "\n\n  \n"),
        ("bom_only.seg", "\u{feff}"),
    ]);
    for file in ["empty.seg", "comments.seg", "blank.seg", "bom_only.seg"] {
        let out = seg(&["check", file], dir.path());
        assert_eq!(code(&out), 0, "{file}: {}", stderr(&out));
        assert!(!stderr(&out).contains("error"), "{file}: {}", stderr(&out));
    }
}

#[test]
fn a_file_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    let dir = workspace(&[]);
    std::fs::write(
        dir.path().join("latin1.seg"),
        b"use \"schema.seg\"\n\nparam city = \"M\xfcnchen\"\n",
    )
    .unwrap();
    let out = seg(&["check", "latin1.seg"], dir.path());
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("error[E0802]"), "{err}");
    assert!(err.contains("latin1.seg:3:16"), "{err}");
    assert!(err.contains("line 3, column 16"), "{err}");
    let json = seg(&["check", "--format", "json", "latin1.seg"], dir.path());
    assert_eq!(code(&json), 1);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["diagnostics"][0]["code"], "E0802");
    assert_eq!(report["diagnostics"][0]["line"], 3);
    assert_eq!(report["diagnostics"][0]["column"], 16);
    // Through `use`, the message gives the position in the used file.
    std::fs::write(dir.path().join("main.seg"), main_using("latin1.seg")).unwrap();
    let out = seg(&["check", "main.seg"], dir.path());
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("main.seg:2:5"), "{err}");
    assert!(err.contains("line 3, column 16"), "{err}");
    // `seg run` treats it as a program error too.
    std::fs::write(dir.path().join("data.csv"), "customer_id,age\n1,30\n").unwrap();
    let out = seg(&["run", "latin1.seg", "--data", "data.csv"], dir.path());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("latin1.seg:3:16"), "{}", stderr(&out));
}

#[test]
fn float_literals_with_exponents() {
    let source = "use \"schema.seg\"\n\nparam tiny = 2.5e-3\nparam huge = 1e38\n\nsegment s {\n  where churn_score > tiny and lifetime_value < huge and lifetime_value > 1E3 and churn_score < 2.5E+2\n}\n";
    let dir = workspace(&[("floats.seg", source)]);
    let out = seg(&["check", "floats.seg"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The formatter keeps them as written, and is idempotent.
    let fmt = seg(&["fmt", "floats.seg"], dir.path());
    assert_eq!(code(&fmt), 0, "{}", stderr(&fmt));
    let once = std::fs::read_to_string(dir.path().join("floats.seg")).unwrap();
    assert!(
        once.contains("2.5e-3") && once.contains("1e38") && once.contains("1E3"),
        "{once}"
    );
    let again = seg(&["fmt", "--check", "floats.seg"], dir.path());
    assert_eq!(code(&again), 0, "{}", text(&again.stdout));
    // The evaluator compares with the value of the literal.
    std::fs::write(
        dir.path().join("data.csv"),
        "customer_id,churn_score,lifetime_value\n1,0.5,5000.0\n2,0.001,5000.0\n3,0.5,999.0\n",
    )
    .unwrap();
    for engine in [
        ["--engine", "interp"],
        ["--engine", "jit"],
        ["--no-optimize", "--engine=interp"],
    ] {
        let out = seg(
            &[
                "run",
                "floats.seg",
                "--data",
                "data.csv",
                "--as-of",
                "2026-01-01",
                engine[0],
                engine[1],
            ],
            dir.path(),
        );
        let all = format!("{}{}", text(&out.stdout), stderr(&out));
        assert_eq!(code(&out), 0, "{all}");
        // Only profile 1 is a member: 2 fails `churn_score > 2.5e-3`, 3
        // fails `lifetime_value > 1E3`.
        let row = all.lines().find(|l| l.starts_with("s ")).unwrap_or("");
        assert_eq!(row.split_whitespace().nth(1), Some("1"), "{all}");
    }
    let checked = seg::check_source(&dir.path().join("floats.seg"), source);
    let program = checked.program.unwrap();
    assert_eq!(program.params[0].ty, seg::ir::Type::Float);
    // An exponent out of range is an invalid number.
    let bad = "use \"schema.seg\"\nsegment t { where churn_score > 1e999 }\n";
    let checked = seg::check_source(&dir.path().join("bad.seg"), bad);
    let codes: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.to_string())
        .collect();
    assert!(codes.contains(&"E0011".to_string()), "{codes:?}");
}

#[test]
fn an_unexpected_long_word_is_cut_in_the_message() {
    let word = format!("SECRET{}", "Z".repeat(200));
    let checked = seg::check_source(
        Path::new("w.seg"),
        &format!("segment s {{ where {word} {word} }}\n"),
    );
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E0001")
        .unwrap();
    assert!(d.message.len() < 60, "{}", d.message);
    assert!(!d.message.contains(&"Z".repeat(30)), "{}", d.message);
}

// --- A generated corpus of malformed programs ---------------------------------------

/// A small deterministic generator (xorshift64*), so the corpus is the same
/// on every run and a failing case can be regenerated from its number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Crude tokens: runs of whitespace, words (letters, digits, `_`, `.`),
/// strings, comments, and single other characters. Joined back they give
/// the text again.
fn tokenise(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
        if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
        } else if word(c) {
            while i < chars.len() && word(chars[i]) {
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' && chars[i] != '\n' {
                i += 1;
            }
            i = (i + 1).min(chars.len());
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else {
            i += 1;
        }
        tokens.push(chars[start..i].iter().collect());
    }
    tokens
}

const OPERATORS: &[&str] = &[
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "=",
    "and",
    "or",
    "not",
    "in",
    "+",
    "-",
    "*",
    "/",
    "%",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "&&",
    "||",
    "!",
    "contains",
    "between",
    "within",
    "ago",
    "is",
    "missing",
    "where",
    "exclude",
    "segment",
    "schema",
    "use",
    "param",
    "test",
    "given",
    "expect",
    "priority",
    "1e",
    "1e999",
    "1.5e-3",
    "9223372036854775808",
    "\"",
    "`",
    "2024-02-30",
    "2024-01-01T10:00:00",
];

const ODD_TEXT: &[&str] = &[
    "\u{0}",
    "\u{feff}",
    "\u{201c}",
    "\u{2019}",
    "\u{1f600}",
    "\u{301}",
    "\u{202e}",
    "\r",
    "\r\n",
    "\t",
    "\u{a0}",
    "é",
    "日本",
    "\u{7f}",
    "\\",
    "\\u{110000}",
    "'",
];

/// One mutation of `tokens`, chosen by `rng`.
fn mutate(tokens: &mut Vec<String>, rng: &mut Rng) {
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !tokens[i].trim().is_empty())
        .collect();
    if solid.is_empty() {
        tokens.push((*rng.pick(OPERATORS)).to_string());
        return;
    }
    let at = *rng.pick(&solid);
    match rng.below(7) {
        0 => {
            tokens.remove(at);
        }
        1 => {
            let copy = tokens[at].clone();
            tokens.insert(at, copy);
        }
        2 => tokens[at] = (*rng.pick(OPERATORS)).to_string(),
        3 => {
            let other = *rng.pick(&solid);
            tokens.swap(at, other);
        }
        4 => {
            // Truncate the file at a token, possibly inside it.
            let keep = rng.below(tokens[at].chars().count() + 1);
            tokens[at] = tokens[at].chars().take(keep).collect();
            tokens.truncate(at + 1);
        }
        5 => {
            let odd = (*rng.pick(ODD_TEXT)).to_string();
            let token = &mut tokens[at];
            let cut = token
                .char_indices()
                .map(|(i, _)| i)
                .nth(rng.below(token.chars().count() + 1))
                .unwrap_or(token.len());
            token.insert_str(cut, &odd);
        }
        _ => {
            // Random code points anywhere in the file.
            let count = 1 + rng.below(4);
            let text: String = (0..count)
                .filter_map(|_| char::from_u32(rng.below(0x3000) as u32))
                .collect();
            tokens.insert(at, text);
        }
    }
}

/// Every diagnostic points inside its file (`len` is the text length).
fn assert_spans_inside(checked: &seg::Checked, case: &str) {
    for d in &checked.diagnostics {
        let file = checked
            .sources
            .get(d.span.file)
            .unwrap_or_else(|| panic!("{case}: {:?} names no file", d.code));
        let len = file.text.len() as u32;
        assert!(
            d.span.start <= d.span.end && d.span.end <= len,
            "{case}: {} span {:?} outside a file of {len} bytes",
            d.code,
            d.span
        );
        for s in &d.secondary {
            let Some(other) = checked.sources.get(s.span.file) else {
                panic!("{case}: a label of {} names no file", d.code);
            };
            assert!(
                s.span.end as usize <= other.text.len(),
                "{case}: label outside"
            );
        }
    }
}

#[test]
fn a_generated_corpus_of_malformed_programs() {
    const PER_EXAMPLE: usize = 120;
    let root = repo_root();
    let mut examples: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 9);
    // Through the binary: a copy of the examples, where a sample of the
    // corpus is written.
    let copy = tempfile::tempdir().unwrap();
    for path in &examples {
        std::fs::copy(path, copy.path().join(path.file_name().unwrap())).unwrap();
    }
    let mut rng = Rng(0x5e9_c0de_2026);
    let (mut cases, mut failing, mut through_binary) = (0usize, 0usize, 0usize);
    let mut slowest = (Duration::ZERO, String::new());
    for path in &examples {
        let original = std::fs::read_to_string(path).unwrap();
        let tokens = tokenise(&original);
        assert_eq!(tokens.concat(), original);
        for n in 0..PER_EXAMPLE {
            let mut mutated = tokens.clone();
            for _ in 0..1 + rng.below(3) {
                mutate(&mut mutated, &mut rng);
            }
            let text = mutated.concat();
            let case = format!(
                "case {cases} ({} #{n}):\n{}",
                path.display(),
                &text[..text.len().min(3000)]
            );
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| {
                let checked = seg::check_source(path, &text);
                let human = render::human(&checked.diagnostics, &checked.sources, false);
                let located = render::locate(&checked.diagnostics, &checked.sources);
                let json =
                    serde_json::to_string(&render::json(&located, &checked.sources, 1)).unwrap();
                (checked, human, json)
            });
            let elapsed = started.elapsed();
            let Ok((checked, human, json)) = outcome else {
                panic!("{case}\npanicked");
            };
            assert!(elapsed < Duration::from_secs(1), "{case}\ntook {elapsed:?}");
            if elapsed > slowest.0 {
                slowest = (elapsed, format!("case {cases} ({} #{n})", path.display()));
            }
            assert_spans_inside(&checked, &case);
            if checked.has_errors() {
                failing += 1;
                let d = checked.diagnostics.iter().find(|d| d.is_error()).unwrap();
                let at = checked
                    .sources
                    .get(d.span.file)
                    .unwrap()
                    .line_col(d.span.start as usize);
                assert!(at.line >= 1 && at.column >= 1, "{case}");
                assert!(
                    human.contains(&format!("error[{}]", d.code)),
                    "{case}\n{human}"
                );
                assert!(json.contains(&format!("\"code\":\"{}\"", d.code)), "{case}");
            } else {
                assert!(checked.program.is_some(), "{case}");
            }
            // A sample of about 50 goes through the binary as well.
            if cases % 22 == 0 {
                through_binary += 1;
                let name = format!("mutant_{cases}.seg");
                std::fs::write(copy.path().join(&name), &text).unwrap();
                let started = Instant::now();
                let out = seg_with_deadline(&["check", &name], copy.path());
                let err = stderr(&out);
                let status = code(&out);
                assert!(status == 0 || status == 1, "{case}\nexit {status}: {err}");
                assert_eq!(status == 1, checked.has_errors(), "{case}\n{err}");
                if status == 1 {
                    assert!(err.contains("error[E"), "{case}\n{err}");
                }
                assert!(started.elapsed() < Duration::from_secs(5), "{case}");
                std::fs::remove_file(copy.path().join(&name)).unwrap();
            }
            cases += 1;
        }
    }
    eprintln!(
        "malformed corpus: {cases} cases, {failing} with errors, {through_binary} also through the binary; slowest {:?} ({})",
        slowest.0, slowest.1
    );
    assert!(cases >= 1000);
    assert!(
        failing >= cases / 2,
        "only {failing} of {cases} cases failed to check"
    );
    assert!(through_binary >= 45);
}

#[test]
fn snippets_never_print_control_characters() {
    // An escape sequence that would clear a terminal, and a right-to-left
    // override, in a file checked by CI.
    let source =
        "use \"schema.seg\"\nsegment s { where agee > 1 } # \u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}\n";
    let dir = workspace(&[("ctl.seg", source)]);
    let out = seg(&["check", "ctl.seg"], dir.path());
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("ctl.seg:2:19"), "{err}");
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{7}') && !err.contains('\u{202e}'),
        "{err:?}"
    );
}

#[test]
fn positions_on_a_long_line_are_cheap() {
    // One 1 MiB line of two-byte characters: every one is an E0002, and
    // every diagnostic needs its column (which used to be counted from the
    // start of the line: 22 s for `seg check`, 47 s for JSON).
    let text = "é".repeat(MAX_CHARS);
    let mut sources = seg::diagnostics::SourceMap::new();
    let file = sources.add("e.seg", text.as_str());
    let source = sources.get(file).unwrap();
    let started = Instant::now();
    let mut last = 0;
    for offset in (0..text.len()).step_by(2) {
        last = source.line_col(offset).column;
    }
    let elapsed = started.elapsed();
    assert_eq!(last as usize, MAX_CHARS);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

const MAX_CHARS: usize = 500_000;
