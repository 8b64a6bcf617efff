//! Limits against hostile input, each tested at the limit and one past it. Past
//! a limit the result is a coded diagnostic, never a crash or a hang.

// Tests fail by panicking; unwrapping is how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use seg::diagnostics::{Code, FileId};
use seg::syntax::limits::{
    MAX_FILE_BYTES, MAX_FILES, MAX_LIST_LEN, MAX_NESTING, MAX_NODES, MAX_SEGMENTS, MAX_USE_DEPTH,
};
use seg::syntax::parse;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn codes(text: &str) -> Vec<Code> {
    parse(text, FileId(0))
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

/// A valid file padded with comment lines to exactly `size` bytes.
fn file_of_size(size: usize) -> String {
    let mut text = String::from("param x = 1\n");
    let line = format!("#{}\n", "x".repeat(98));
    while text.len() + line.len() <= size {
        text.push_str(&line);
    }
    let rest = size - text.len();
    if rest > 0 {
        text.push('#');
        text.push_str(&"y".repeat(rest - 1));
    }
    assert_eq!(text.len(), size);
    text
}

#[test]
fn file_size_limit() {
    assert_eq!(codes(&file_of_size(MAX_FILE_BYTES)), vec![]);
    assert_eq!(codes(&file_of_size(MAX_FILE_BYTES + 1)), vec![Code::E0006]);
}

fn nested_parens(depth: usize) -> String {
    format!(
        "segment s {{ where {}x > 1{} }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

#[test]
fn nesting_limit() {
    assert_eq!(codes(&nested_parens(MAX_NESTING)), vec![]);
    assert_eq!(codes(&nested_parens(MAX_NESTING + 1)), vec![Code::E0003]);
    // Far past the limit: one diagnostic, no stack overflow.
    let deep = format!("segment s {{ where {} }}\n", "(".repeat(200_000));
    assert_eq!(codes(&deep), vec![Code::E0003]);
    let lists = format!(
        "segment s {{ where x in {}1{} }}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(codes(&lists), vec![Code::E0003]);
}

#[test]
fn operator_chains_cannot_build_deep_trees() {
    // `not not not ... x` and `- - - ... 1` are repetitions in the grammar; the
    // tree they would build is capped instead of recursed into later.
    let nots = format!("segment s {{ where {}x }}\n", "not ".repeat(100_000));
    assert_eq!(codes(&nots), vec![Code::E0003]);
    let negs = format!("segment s {{ where {}1 > 0 }}\n", "-".repeat(100_000));
    assert_eq!(codes(&negs), vec![Code::E0003]);
    let sums = format!("segment s {{ where 1{} > 0 }}\n", " + 1".repeat(50_000));
    assert_eq!(codes(&sums), vec![Code::E0003]);
    // A realistic chain stays fine.
    let ok = format!("segment s {{ where {}x }}\n", "not ".repeat(10));
    assert_eq!(codes(&ok), vec![]);
}

/// `x and x and ...` with `operands` names is `operands + 1` nodes.
fn and_chain(operands: usize) -> String {
    let mut text = String::from("segment s { where x");
    for _ in 1..operands {
        text.push_str(" and x");
    }
    text.push_str(" }\n");
    text
}

#[test]
fn node_limit() {
    assert_eq!(codes(&and_chain(MAX_NODES - 1)), vec![]);
    assert_eq!(codes(&and_chain(MAX_NODES)), vec![Code::E0007]);
}

fn list_of(len: usize) -> String {
    let items = vec!["1"; len].join(",");
    format!("segment s {{ where x in [{items}] }}\n")
}

#[test]
fn list_length_limit() {
    assert_eq!(codes(&list_of(MAX_LIST_LEN)), vec![]);
    assert_eq!(codes(&list_of(MAX_LIST_LEN + 1)), vec![Code::E0008]);
}

#[test]
fn many_broken_items_each_get_a_diagnostic() {
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!("segment s{i} {{ where age = {i} }}\n"));
    }
    let found = codes(&text);
    assert_eq!(found.len(), 1000);
    assert!(found.iter().all(|c| *c == Code::E0001));
}

/// Files served from memory, for programs of many files.
struct Memory(HashMap<PathBuf, String>);

impl seg::SourceLoader for Memory {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), seg::LoadError> {
        self.0
            .get(path)
            .map(|text| (path.to_path_buf(), text.clone()))
            .ok_or_else(|| seg::LoadError::Io("no such file".into()))
    }
}

fn program_codes(files: Vec<(String, String)>) -> Vec<Code> {
    let memory = Memory(
        files
            .into_iter()
            .map(|(name, text)| (PathBuf::from(name), text))
            .collect(),
    );
    let checked = seg::check::check_program(Path::new("main.seg"), &memory);
    checked.diagnostics.iter().map(|d| d.code).collect()
}

/// `main.seg` with the schema and `segments` segments spread over files of
/// 25,000 segments each.
fn program_with_segments(segments: usize) -> Vec<(String, String)> {
    let mut main = String::from("schema { a: bool }\n");
    let mut files = Vec::new();
    let mut n = 0;
    while n < segments {
        let name = format!("part{}.seg", files.len());
        main.push_str(&format!("use \"{name}\"\n"));
        let mut text = String::new();
        for _ in 0..25_000.min(segments - n) {
            text.push_str(&format!("segment s{n} {{ where a }}\n"));
            n += 1;
        }
        assert!(text.len() <= MAX_FILE_BYTES);
        files.push((name, text));
    }
    files.push(("main.seg".into(), main));
    files
}

#[test]
fn segments_per_program_limit() {
    assert_eq!(program_codes(program_with_segments(MAX_SEGMENTS)), vec![]);
    assert_eq!(
        program_codes(program_with_segments(MAX_SEGMENTS + 1)),
        vec![Code::E0007]
    );
}

#[test]
fn files_per_program_limit() {
    let program = |files: usize| {
        let mut main = String::from("schema { a: bool }\n");
        let mut all = Vec::new();
        for i in 1..files {
            main.push_str(&format!("use \"f{i}.seg\"\n"));
            all.push((format!("f{i}.seg"), format!("segment s{i} {{ where a }}\n")));
        }
        all.push(("main.seg".into(), main));
        all
    };
    assert_eq!(program_codes(program(MAX_FILES)), vec![]);
    assert_eq!(program_codes(program(MAX_FILES + 1)), vec![Code::E0007]);
}

#[test]
fn use_depth_limit() {
    // main.seg uses d1.seg, which uses d2.seg, ...: `files` files in a chain.
    let chain = |files: usize| {
        let mut all = vec![(
            "main.seg".to_string(),
            "schema { a: bool }\nuse \"d1.seg\"\n".to_string(),
        )];
        for i in 1..files {
            let next = if i + 1 < files {
                format!("use \"d{}.seg\"\n", i + 1)
            } else {
                String::new()
            };
            all.push((
                format!("d{i}.seg"),
                format!("{next}segment s{i} {{ where a }}\n"),
            ));
        }
        all
    };
    assert_eq!(program_codes(chain(MAX_USE_DEPTH)), vec![]);
    assert_eq!(program_codes(chain(MAX_USE_DEPTH + 1)), vec![Code::E0007]);
}

/// One segment whose `where` joins `clauses` conditions with `joiner`, the
/// `i`-th written by `clause(i)`.
fn wide_condition(clauses: usize, joiner: &str, clause: fn(usize) -> String) -> String {
    let mut text = String::from("schema {\n  id: string key\n  a: int\n  s: string\n}\n");
    text.push_str("segment wide { where ");
    for i in 0..clauses {
        if i > 0 {
            text.push_str(joiner);
        }
        text.push_str(&clause(i));
    }
    text.push_str(" }\n");
    text
}

/// What checking and optimizing a wide program gives: the optimized `where`
/// as text, and how many findings `seg check` reports.
struct WideResult {
    seconds: f64,
    where_text: String,
    findings: usize,
}

/// This thread's time on a CPU so far, where Linux tells it (in nanoseconds,
/// in `/proc/thread-self/schedstat`). Unlike the wall clock it does not grow
/// while other tests or other processes have the machine, which would make
/// a ratio of two timings meaningless.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}

/// Checks the program, finds its findings (`seg check`) and optimizes it for
/// a run (`seg run`), timing the three: CPU time of this thread where known,
/// else wall time.
fn check_and_optimize(text: &str) -> WideResult {
    let memory = Memory(HashMap::from([(
        PathBuf::from("main.seg"),
        text.to_string(),
    )]));
    let (cpu, wall) = (thread_cpu_seconds(), std::time::Instant::now());
    let checked = seg::check::check_program(Path::new("main.seg"), &memory);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let program = checked.program.expect("the wide program checks");
    let findings = seg::opt::findings(&program);
    let options = seg::opt::Options {
        params: Some(seg::opt::param_values(&program, &[])),
        as_of: Some(1_795_478_400_000_000),
        share: true,
    };
    let optimized = seg::opt::optimize(&program, &options);
    let seconds = match (cpu, thread_cpu_seconds()) {
        (Some(before), Some(after)) => after - before,
        _ => wall.elapsed().as_secs_f64(),
    };
    WideResult {
        seconds,
        where_text: seg::ir::expr_text(&optimized.program, &optimized.program.segments[0].where_),
        findings: findings.len(),
    }
}

/// A generated condition: `clause(i)` for each `i`, joined with `joiner`.
struct WideShape {
    name: &'static str,
    joiner: &'static str,
    clause: fn(usize) -> String,
}

/// The shapes of generated conditions that used to take quadratic time in
/// the optimizer: each pass looked operands up by their printed text in a
/// list, deduplicated list values pairwise, and findings checked each place
/// against every place reported before.
fn wide_shapes() -> Vec<WideShape> {
    vec![
        // Equalities on one term merge into one list (then a range).
        WideShape {
            name: "or of equalities",
            joiner: " or ",
            clause: |i| format!("a == {i}"),
        },
        // Exclusions on one term merge into one bound set.
        WideShape {
            name: "and of exclusions",
            joiner: " and ",
            clause: |i| format!("a != {i}"),
        },
        // Distinct terms: one group per operand.
        WideShape {
            name: "and of distinct terms",
            joiner: " and ",
            clause: |i| format!("a + {i} > {i}"),
        },
        // Each operand written many times: the duplicate paths run.
        WideShape {
            name: "or with duplicates",
            joiner: " or ",
            clause: |i| format!("s == \"v{}\" or a == {}", i % 100, i % 7),
        },
        // Each presence test looks for a predicate that needs the value.
        WideShape {
            name: "and of presence tests",
            joiner: " and ",
            clause: |i| format!("a + {i} > {i} and a + {i} is present"),
        },
        // Lower and upper bounds on one term that leave a gap: no pair of
        // them covers every value.
        WideShape {
            name: "or of disjoint bounds",
            joiner: " or ",
            clause: |i| format!("a > {} or a < {i}", 20_000 + i),
        },
    ]
}

#[test]
fn wide_conditions_optimize_in_linear_time() {
    // Quadratic work shows as a 16× slowdown for 4× the clauses; linear work
    // (with n·log n sorting) as about 4×. The bound sits in between, with
    // room for a loaded machine. Print the figures: `cargo test -p seg-cli
    // --test limits wide -- --nocapture`.
    for WideShape {
        name,
        joiner,
        clause,
    } in wide_shapes()
    {
        // The fastest of three tries each, taken in turns, so that what the
        // CPU time still feels of a busy machine (caches, memory bandwidth)
        // weighs on both sizes alike.
        let (small_text, large_text) = (
            wide_condition(2_500, joiner, clause),
            wide_condition(10_000, joiner, clause),
        );
        let (mut small_s, mut large_s) = (f64::INFINITY, f64::INFINITY);
        let mut large = None;
        for _ in 0..3 {
            small_s = small_s.min(check_and_optimize(&small_text).seconds);
            let result = check_and_optimize(&large_text);
            large_s = large_s.min(result.seconds);
            large = Some(result);
        }
        let large = large.expect("three tries");
        eprintln!(
            "{name}: 2,500 clauses {small_s:.3} s, 10,000 clauses {large_s:.3} s, ratio {:.1}",
            large_s / small_s
        );
        assert!(
            large_s < 8.0 * small_s.max(0.005),
            "{name}: 10,000 clauses took {large_s:.3} s, 2,500 took {small_s:.3} s"
        );
        // And the result is what the rules make of it.
        let text = &large.where_text;
        match name {
            "or of equalities" => assert_eq!(text, "a between 0 and 9999"),
            "and of exclusions" => {
                assert_eq!(text.matches(" and a != ").count(), 9_999);
                // The missing-value trap (W0309), reported once for `a`.
                assert_eq!(large.findings, 1);
            }
            "and of distinct terms" => assert_eq!(text.matches(" > ").count(), 10_000),
            "or with duplicates" => {
                assert!(text.starts_with("a between 0 and 6 or s in [\"v0\", "));
                assert_eq!(text.matches("\"v").count(), 100);
                // Every operand written before is redundant: 20,000 written,
                // 107 distinct.
                assert_eq!(large.findings, 20_000 - 107);
            }
            "and of presence tests" => {
                assert!(!text.contains("is present"));
                assert_eq!(text.matches(" > ").count(), 10_000);
                // Each is redundant next to the comparison on its term.
                assert_eq!(large.findings, 10_000);
            }
            "or of disjoint bounds" => {
                assert_eq!(text.matches(" or ").count(), 19_999);
                assert_eq!(large.findings, 0);
            }
            _ => unreachable!("a shape without an expected result: {name}"),
        }
    }
}

/// The deepest trees the parser accepts, one segment per way of building
/// depth. Each is `n > 1` under an even number of negations, so its members
/// are the profiles with `n` above 1.
fn deepest_program() -> String {
    let depth = seg::syntax::limits::MAX_TREE_DEPTH - 8;
    let brackets = MAX_NESTING;
    format!(
        "schema {{\n  id: int key\n  n: int\n}}\n\
         segment brackets {{ where {}n > 1{} }}\n\
         segment nots {{ where {}n > 1 }}\n\
         segment negations {{ where {}n > 1 }}\n\
         segment sums {{ where n{} > 1 }}\n",
        "not (".repeat(brackets),
        ")".repeat(brackets),
        "not ".repeat(depth),
        "- ".repeat(depth),
        " + 0".repeat(depth),
    )
}

#[test]
fn the_deepest_programs_run_on_every_engine_and_compile_to_sql() {
    use arrow::array::{ArrayRef, Int64Array};
    use std::sync::Arc;
    // Engines run on worker threads with ordinary stacks (rayon's, tokio's):
    // none may overflow on a tree as deep as the parser accepts.
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("deep.seg"), deepest_program()).unwrap();
    let batch = arrow::record_batch::RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from(vec![0, 1, 2, 3, 4])) as ArrayRef,
        ),
        (
            "n",
            Arc::new(Int64Array::from(vec![
                Some(0),
                Some(5),
                None,
                Some(-3),
                Some(2),
            ])),
        ),
    ])
    .unwrap();
    common::write_parquet(&work.path().join("p.parquet"), &batch);

    let check = common::seg(&["check", "deep.seg"], work.path());
    assert_eq!(common::code(&check), 0, "{}", common::stderr(&check));
    for engine in ["auto", "jit", "interp", "datafusion"] {
        for optimize in [true, false] {
            let mut args = vec!["run", "deep.seg", "--data", "p.parquet", "--engine", engine];
            args.extend(["--summary", "json"]);
            // DataFusion's planner takes time cubic in the depth of an
            // arithmetic chain (docs/sql.md): only the boolean nestings.
            let names: &[&str] = if engine == "datafusion" {
                args.extend(["--segments", "brackets,nots"]);
                &["brackets", "nots"]
            } else {
                &["brackets", "nots", "negations", "sums"]
            };
            if !optimize {
                args.push("--no-optimize");
            }
            let out = common::seg(&args, work.path());
            assert_eq!(common::code(&out), 0, "{engine}: {}", common::stderr(&out));
            let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let sizes = common::sizes(&summary);
            let want: Vec<(String, u64)> = names.iter().map(|name| (name.to_string(), 2)).collect();
            assert_eq!(sizes, want, "{engine}, optimized: {optimize}");
        }
    }
    for dialect in seg::sql::Dialect::ALL {
        let sql = |segments: &str| {
            common::seg(
                &[
                    "sql",
                    "deep.seg",
                    "--dialect",
                    dialect.name(),
                    "--no-optimize",
                    "--segments",
                    segments,
                ],
                work.path(),
            )
        };
        let out = sql("brackets,nots");
        let name = dialect.name();
        assert_eq!(common::code(&out), 0, "{name}: {}", common::stderr(&out));
        // Checked arithmetic repeats its operand where the engine has no
        // checked form: such a chain is refused as too large (E0503), at
        // once, rather than grown without bound.
        for segment in ["negations", "sums"] {
            let out = sql(segment);
            let code = common::code(&out);
            let stderr = common::stderr(&out);
            assert!(
                code == 0 || (code == 1 && stderr.contains("E0503")),
                "{name} {segment}: exit {code}: {stderr}"
            );
        }
    }
}
