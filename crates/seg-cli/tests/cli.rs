//! The `seg` binary as a user and a CI pipeline run it: exit codes, output
//! formats, `fmt` rewriting and checking, and hostile input.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{code, repo_root, seg, text};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn seg_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A temporary directory holding the shared fixture schema and `files`.
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("tests/fixtures/profile_schema.seg"),
        dir.path().join("schema.seg"),
    )
    .unwrap();
    for (name, contents) in files {
        std::fs::write(dir.path().join(name), contents).unwrap();
    }
    dir
}

#[test]
fn examples_check_clean_and_are_formatted() {
    let root = repo_root();
    let check = seg(&["check", "examples/"], &root);
    assert_eq!(code(&check), 0, "{}", text(&check.stderr));
    assert!(text(&check.stderr).contains("no problems found"));
    let fmt = seg(&["fmt", "--check", "examples/"], &root);
    assert_eq!(code(&fmt), 0, "{}{}", text(&fmt.stdout), text(&fmt.stderr));
}

#[test]
fn errors_exit_1_with_located_human_diagnostics() {
    let dir = workspace(&[(
        "bad.seg",
        "use \"schema.seg\"\n\nsegment vip {\n  where lifetime_valu >= 1000\n}\n",
    )]);
    let out = seg(&["check", "bad.seg"], dir.path());
    assert_eq!(code(&out), 1);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[E0101]"), "{stderr}");
    assert!(stderr.contains("bad.seg:4:9"), "{stderr}");
    assert!(
        stderr.contains("did you mean `lifetime_value`?"),
        "{stderr}"
    );
    assert!(stderr.contains("1 error and 0 warnings"), "{stderr}");
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = workspace(&[(
        "pii.seg",
        "use \"schema.seg\"\n\nsegment gmail {\n  where email ends with \"@gmail.com\"\n}\n",
    )]);
    let out = seg(&["check", "pii.seg"], dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning[W0301]"));
    let denied = seg(&["check", "--deny-warnings", "pii.seg"], dir.path());
    assert_eq!(code(&denied), 1);
}

#[test]
fn missing_path_is_an_io_error() {
    let dir = workspace(&[]);
    let out = seg(&["check", "nope.seg"], dir.path());
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr)
            .contains("error[E0801]: cannot read `nope.seg`: no such file or directory")
    );
    let empty = tempfile::tempdir().unwrap();
    let out = seg(&["check", "."], empty.path());
    assert_eq!(code(&out), 2, "an empty directory has nothing to check");
}

#[test]
fn non_utf8_file_is_reported() {
    let dir = workspace(&[]);
    std::fs::write(
        dir.path().join("latin1.seg"),
        b"param city = \"M\xfcnchen\"\n",
    )
    .unwrap();
    // Named on the command line, it is a program error (exit 1) located at
    // the first bad byte.
    let out = seg(&["check", "latin1.seg"], dir.path());
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stderr).contains("error[E0802]"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("latin1.seg:1:16"),
        "{}",
        text(&out.stderr)
    );
    // Reached through `use`, it is a located error in the program.
    std::fs::write(
        dir.path().join("uses.seg"),
        "use \"schema.seg\"\nuse \"latin1.seg\"\n",
    )
    .unwrap();
    let out = seg(&["check", "--format", "json", "uses.seg"], dir.path());
    assert_eq!(code(&out), 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["code"], "E0802");
    assert_eq!(json["diagnostics"][0]["line"], 2);
}

#[test]
fn usage_errors_exit_2() {
    let dir = workspace(&[]);
    assert_eq!(code(&seg(&["check", "--format", "xml"], dir.path())), 2);
    assert_eq!(code(&seg(&["frobnicate"], dir.path())), 2);
    assert_eq!(code(&seg(&["--help"], dir.path())), 0);
}

#[test]
fn json_positions_are_one_based_and_count_characters_across_crlf() {
    // Two-byte characters before the error and CRLF line endings.
    let source = "use \"schema.seg\"\r\n# Zürich, Genève\r\nsegment café {\r\n  where city == \"Zürich\" and ctiy == \"x\"\r\n}\r\n";
    let dir = workspace(&[("crlf.seg", source)]);
    let out = seg(&["check", "--format", "json", "crlf.seg"], dir.path());
    assert_eq!(code(&out), 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], 1);
    // The lexical error stops that item from being parsed, so `ctiy` is not
    // reported on top of it.
    assert_eq!(json["errors"], 1);
    let diagnostics = json["diagnostics"].as_array().unwrap();
    // `café` is not an identifier: E0002 at line 3, column 12 (the `é`).
    let e0002 = diagnostics.iter().find(|d| d["code"] == "E0002").unwrap();
    assert_eq!(
        (e0002["line"].as_u64(), e0002["column"].as_u64()),
        (Some(3), Some(12))
    );
    assert_eq!(e0002["file"], "crlf.seg");
    assert_eq!(e0002["severity"], "error");
    assert!(e0002["help"].is_string());
}

#[test]
fn json_reports_unknown_name_with_exact_columns() {
    let source = "use \"schema.seg\"\r\n\r\nsegment zurich {\r\n  where city == \"Zürich\" and ctiy == \"x\"\r\n}\r\n";
    let dir = workspace(&[("crlf.seg", source)]);
    let out = seg(&["check", "--format", "json", "crlf.seg"], dir.path());
    assert_eq!(code(&out), 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "E0101");
    // `  where city == "Zürich" and ` is 29 characters (31 bytes): `ctiy` starts at column 30.
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(30))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(4), Some(34))
    );
    assert_eq!(d["help"], "did you mean `city`?");
}

#[test]
fn github_annotations_are_escaped() {
    let dir = workspace(&[(
        "a, b.seg",
        "use \"schema.seg\"\nsegment s {\n  where ctiy == \"x\"\n}\n",
    )]);
    let out = seg(&["check", "--format", "github", "a, b.seg"], dir.path());
    assert_eq!(code(&out), 1);
    let stdout = text(&out.stdout);
    let line = stdout.lines().next().unwrap();
    assert!(
        line.starts_with("::error file=a%2C b.seg,line=3,col=9,endLine=3,endColumn=13,title=seg E0101::unknown name `ctiy` [E0101]%0Ahelp: did you mean `city`?"),
        "{line}"
    );
    assert_eq!(stdout.lines().count(), 1, "one annotation per diagnostic");
}

#[test]
fn sarif_is_2_1_0_with_rules_and_regions() {
    let dir = workspace(&[(
        "bad.seg",
        "use \"schema.seg\"\nsegment s {\n  where ctiy == \"x\" and email is present\n}\n",
    )]);
    let out = seg(&["check", "--format", "sarif", "bad.seg"], dir.path());
    assert_eq!(code(&out), 1);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "seg");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rule_ids, ["E0101"]);
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "E0101");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "bad.seg");
    assert_eq!(location["region"]["startLine"], 3);
    assert_eq!(location["region"]["startColumn"], 9);
    assert_eq!(location["region"]["endColumn"], 13);
}

#[test]
fn sarif_includes_warnings_and_their_rules() {
    let dir = workspace(&[(
        "pii.seg",
        "use \"schema.seg\"\nsegment s {\n  where email is present\n}\n",
    )]);
    let out = seg(&["check", "--format", "sarif", "pii.seg"], dir.path());
    assert_eq!(code(&out), 0);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["runs"][0]["results"][0]["level"], "warning");
    assert_eq!(log["runs"][0]["tool"]["driver"]["rules"][0]["id"], "W0301");
}

const UNFORMATTED: &str =
    "use \"schema.seg\"\nsegment  s   {where age>30 and country==\"US\"   # adults\n}\n";
const FORMATTED: &str =
    "use \"schema.seg\"\n\nsegment s {\n  where age > 30 and country == \"US\"  # adults\n}\n";

#[test]
fn fmt_check_lists_files_and_changes_nothing() {
    let dir = workspace(&[("s.seg", UNFORMATTED)]);
    let out = seg(&["fmt", "--check", "s.seg"], dir.path());
    assert_eq!(code(&out), 1);
    assert_eq!(text(&out.stdout), "s.seg\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s.seg")).unwrap(),
        UNFORMATTED
    );
}

#[test]
fn fmt_rewrites_files_in_place() {
    let dir = workspace(&[("s.seg", UNFORMATTED)]);
    let out = seg(&["fmt", "s.seg"], dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s.seg")).unwrap(),
        FORMATTED
    );
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".seg-fmt")),
        "{names:?}"
    );
    let again = seg(&["fmt", "--check", "s.seg"], dir.path());
    assert_eq!(code(&again), 0);
}

#[test]
fn fmt_reads_stdin_and_writes_stdout() {
    let out = seg_stdin(&["fmt", "-"], UNFORMATTED.as_bytes());
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stdout), FORMATTED);
    let check = seg_stdin(&["fmt", "--check", "-"], UNFORMATTED.as_bytes());
    assert_eq!(code(&check), 1);
    assert_eq!(text(&check.stdout), "<stdin>\n");
}

#[test]
fn fmt_never_touches_a_file_with_syntax_errors() {
    let broken = "segment s {\n  where age = 30\n}\n";
    let dir = workspace(&[("broken.seg", broken)]);
    let out = seg(&["fmt", "broken.seg"], dir.path());
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("error[E0001]"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.seg")).unwrap(),
        broken
    );
}

#[test]
fn garbage_never_panics() {
    // Bytes a user could feed by mistake: binary data, a CSV file, JSON, deep nesting.
    let inputs: Vec<Vec<u8>> = vec![
        (0u8..=255).collect(),
        b"customer_id,age,country\n1,30,US\n".to_vec(),
        b"{\"segment\": {\"where\": [1, 2, {\"x\": null}]}}".to_vec(),
        "segment s { where ".repeat(10_000).into_bytes(),
        "}".repeat(100_000).into_bytes(),
        "schema { ".repeat(5_000).into_bytes(),
        "\"".repeat(50_001).into_bytes(),
        "segment s { where x in [".to_string().into_bytes(),
    ];
    let dir = workspace(&[]);
    for (i, input) in inputs.iter().enumerate() {
        let name = format!("g{i}.seg");
        std::fs::write(dir.path().join(&name), input).unwrap();
        for args in [
            vec!["check", name.as_str()],
            vec!["fmt", "--check", name.as_str()],
        ] {
            let out = seg(&args, dir.path());
            let status = code(&out);
            assert!(
                matches!(status, 1 | 2),
                "{args:?} on input {i} exited {status}: {}",
                text(&out.stderr)
            );
        }
    }
}

/// `seg explain … | head` closes the pipe early: seg stops quietly instead of
/// panicking on the failed write.
#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args([
            "explain",
            "examples/lifecycle.seg",
            "--as-of",
            "2026-11-24T00:00:00Z",
        ])
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end of the pipe before seg writes.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code(&output), 0, "{stderr}");
}
