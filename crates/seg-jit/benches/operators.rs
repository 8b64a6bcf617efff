//! Throughput of compiled kernels per operator family over ~1M generated rows
//! (one batch, a tenth of the values missing), and compile time of a
//! 100-segment program.
//!
//! ```text
//! cargo bench -p seg-jit --bench operators
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::*;
use arrow::datatypes::{Field, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use divan::Bencher;
use divan::counter::ItemsCount;
use seg_ir::Program;
use seg_jit::{JitOptions, JitProgram};
use std::sync::{Arc, LazyLock};

const ROWS: usize = 1 << 20;
const AS_OF: i64 = 1_795_478_400_000_000;

const SCHEMA: &str = r#"schema {
  age: int
  score: float
  ltv: decimal
  opt_in: bool
  tier: string
  email: string
  interests: list<string>
  seen: timestamp
}
"#;

fn main() {
    divan::main();
}

struct NoFiles;
impl seg_check::SourceLoader for NoFiles {
    fn load(
        &self,
        path: &std::path::Path,
    ) -> Result<(std::path::PathBuf, String), seg_check::LoadError> {
        Err(seg_check::LoadError::Io(format!(
            "no file {}",
            path.display()
        )))
    }
}

fn program(rules: &str) -> Program {
    let source = format!("{SCHEMA}{rules}");
    let checked = seg_check::check_source(std::path::Path::new("bench.seg"), &source, &NoFiles);
    match checked.program {
        Some(p) if !checked.has_errors() => p,
        _ => panic!("{:#?}", checked.diagnostics),
    }
}

static BATCH: LazyLock<RecordBatch> = LazyLock::new(|| {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut age = Vec::with_capacity(ROWS);
    let mut score = Vec::with_capacity(ROWS);
    let mut ltv = Vec::with_capacity(ROWS);
    let mut opt_in = Vec::with_capacity(ROWS);
    let mut email = Vec::with_capacity(ROWS);
    let mut seen = Vec::with_capacity(ROWS);
    let mut tier = StringDictionaryBuilder::<Int32Type>::new();
    let mut interests = ListBuilder::new(StringBuilder::new());
    let tiers = ["bronze", "silver", "gold", "platinum"];
    let topics = ["yoga", "travel", "sustainability", "cooking", "chess"];
    let domains = ["example.com", "mail.test", "corp.example"];
    for i in 0..ROWS {
        let r = next();
        let present = r % 10 != 0;
        age.push(present.then_some((r >> 8) as i64 % 90));
        score.push(present.then_some(((r >> 16) % 10_000) as f64 / 100.0));
        ltv.push(present.then_some(i128::from((r >> 20) % 500_000)));
        opt_in.push(present.then_some(r & 2 == 0));
        email.push(present.then(|| format!("user{i}@{}", domains[(r >> 30) as usize % 3])));
        seen.push(present.then_some(AS_OF - ((r >> 24) % 400) as i64 * 86_400_000_000));
        if present {
            tier.append_value(tiers[(r >> 34) as usize % 4]);
            interests.append_value(
                (0..(r >> 40) % 4).map(|k| Some(topics[((r >> (44 + k)) % 5) as usize])),
            );
        } else {
            tier.append_null();
            interests.append_null();
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("age", Arc::new(Int64Array::from(age))),
        ("score", Arc::new(Float64Array::from(score))),
        (
            "ltv",
            Arc::new(
                Decimal128Array::from(ltv)
                    .with_precision_and_scale(20, 2)
                    .unwrap(),
            ),
        ),
        ("opt_in", Arc::new(BooleanArray::from(opt_in))),
        ("tier", Arc::new(tier.finish())),
        ("email", Arc::new(StringArray::from(email))),
        ("interests", Arc::new(interests.finish())),
        ("seen", Arc::new(TimestampMicrosecondArray::from(seen))),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
});

fn compile(program: &Program) -> JitProgram {
    let batch = &*BATCH;
    let evaluator = seg_eval::Evaluator::new(program, &[], AS_OF);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    JitProgram::compile(
        &evaluator,
        batch.schema().as_ref(),
        &binding,
        &JitOptions::default(),
    )
    .unwrap()
}

fn run(bencher: Bencher, rules: &str) {
    let jit = compile(&program(rules));
    let batch = &*BATCH;
    bencher
        .counter(ItemsCount::new(ROWS))
        .bench(|| jit.evaluate(batch).unwrap());
}

#[divan::bench]
fn numeric_compare(bencher: Bencher) {
    run(bencher, "segment s { where score >= 50.0 }\n");
}

#[divan::bench]
fn decimal_compare(bencher: Bencher) {
    run(bencher, "segment s { where ltv >= 1000.50 }\n");
}

#[divan::bench]
fn and_or(bencher: Bencher) {
    run(
        bencher,
        "segment s { where (age >= 30 and score < 20.0) or (opt_in and age < 18) }\n",
    );
}

#[divan::bench]
fn in_list(bencher: Bencher) {
    run(bencher, "segment s { where age in [18, 21, 30, 40, 65] }\n");
}

#[divan::bench]
fn between(bencher: Bencher) {
    run(bencher, "segment s { where age between 25 and 40 }\n");
}

#[divan::bench]
fn null_checks(bencher: Bencher) {
    run(
        bencher,
        "segment s { where age is missing or email is present }\n",
    );
}

#[divan::bench]
fn dictionary_string_eq(bencher: Bencher) {
    run(
        bencher,
        "segment s { where tier in [\"gold\", \"platinum\"] }\n",
    );
}

#[divan::bench]
fn string_suffix(bencher: Bencher) {
    run(
        bencher,
        "segment s { where email ends with \"@example.com\" }\n",
    );
}

#[divan::bench]
fn list_membership(bencher: Bencher) {
    run(
        bencher,
        "segment s { where interests contains any [\"yoga\", \"chess\"] }\n",
    );
}

#[divan::bench]
fn arithmetic(bencher: Bencher) {
    run(
        bencher,
        "segment s { where (age * 2 + 3) % 7 == 1 and score / 2 > 10 }\n",
    );
}

#[divan::bench]
fn timestamp_within(bencher: Bencher) {
    run(bencher, "segment s { where seen within 90 days }\n");
}

fn fifty_segments() -> String {
    let mut rules = String::new();
    for k in 0..50 {
        let rule = match k % 5 {
            0 => format!("age >= {}", k % 90),
            1 => format!("score < {}.5", k),
            2 => format!("tier == \"gold\" and age > {k}"),
            3 => format!("seen within {} days", k + 1),
            _ => format!("s{} or opt_in", k - 1),
        };
        rules.push_str(&format!("segment s{k} {{ where {rule} }}\n"));
    }
    rules
}

#[divan::bench]
fn fifty_segments_in_one_pass(bencher: Bencher) {
    run(bencher, &fifty_segments());
}

#[divan::bench]
fn compile_100_segments(bencher: Bencher) {
    let mut rules = String::new();
    for k in 0..100 {
        rules.push_str(&format!(
            "segment s{k} {{ where (age > {k} and score < {}.5) or tier == \"gold\" }}\n",
            k + 1
        ));
    }
    let program = program(&rules);
    LazyLock::force(&BATCH);
    bencher.bench(|| compile(&program).compile_time());
}
