//! `jit(p) == eval(p)`: builds a program and a batch from the fuzzer's bytes,
//! and asserts that the JIT and the reference evaluator agree on every
//! segment and priority group (whole batch and a slice of it).
//!
//! ```text
//! cargo +nightly fuzz run jit_differential
//! ```

#![no_main]

use arbitrary::Arbitrary;
use arrow::array::*;
use arrow::datatypes::{Field, Int8Type, Schema};
use arrow::record_batch::RecordBatch;
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

const AS_OF: i64 = 1_795_478_400_000_000;

const SCHEMA: &str = "schema {\n  i: int\n  f: float\n  d: decimal\n  b: bool\n  s: string\n  t: timestamp\n  dt: date\n}\nparam lim = 3\n";

#[derive(Arbitrary, Debug)]
enum Num {
    I,
    F,
    D,
    Lit(i16),
    Dec(i32, u8),
    Lim,
    Add(Box<Num>, Box<Num>),
    Sub(Box<Num>, Box<Num>),
    Mul(Box<Num>, Box<Num>),
    Rem(Box<Num>, Box<Num>),
    Div(Box<Num>, Box<Num>),
    Neg(Box<Num>),
    Abs(Box<Num>),
    Days,
}

#[derive(Arbitrary, Debug)]
enum Cond {
    Cmp(Num, u8, Num),
    Between(Num, Num, Num, bool),
    In(Num, Vec<i8>, bool),
    Missing(u8, bool),
    B,
    Str(u8, u8),
    Within(u8),
    Before(i32),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Seg,
}

const OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];
const WORDS: [&str; 5] = ["a", "b", "", "Zürich", "ab"];

fn num(n: &Num, depth: u32) -> String {
    if depth > 4 {
        return "i".into();
    }
    let d = depth + 1;
    match n {
        Num::I => "i".into(),
        Num::F => "f".into(),
        Num::D => "d".into(),
        Num::Lit(v) => v.to_string(),
        Num::Dec(v, s) => {
            let s = u32::from(*s % 6);
            let digits = v.unsigned_abs().to_string();
            let sign = if *v < 0 { "-" } else { "" };
            if s == 0 {
                format!("{sign}{digits}.0")
            } else {
                let padded = format!("{digits:0>width$}", width = s as usize + 1);
                let (a, b) = padded.split_at(padded.len() - s as usize);
                format!("{sign}{a}.{b}")
            }
        }
        Num::Lim => "lim".into(),
        Num::Add(a, b) => format!("({} + {})", num(a, d), num(b, d)),
        Num::Sub(a, b) => format!("({} - {})", num(a, d), num(b, d)),
        Num::Mul(a, b) => format!("({} * {})", num(a, d), num(b, d)),
        Num::Rem(a, b) => format!("({} % {})", num(a, d), num(b, d)),
        Num::Div(a, b) => format!("({} / {})", num(a, d), num(b, d)),
        Num::Neg(a) => format!("-({})", num(a, d)),
        Num::Abs(a) => format!("abs({})", num(a, d)),
        Num::Days => "days_since(t)".into(),
    }
}

fn cond(c: &Cond, depth: u32) -> String {
    if depth > 5 {
        return "b".into();
    }
    let d = depth + 1;
    match c {
        Cond::Cmp(a, op, b) => format!("{} {} {}", num(a, d), OPS[*op as usize % 6], num(b, d)),
        Cond::Between(x, lo, hi, n) => format!(
            "{} {}between {} and {}",
            num(x, d),
            if *n { "not " } else { "" },
            num(lo, d),
            num(hi, d)
        ),
        Cond::In(x, items, n) => format!(
            "{} {}in [{}]",
            num(x, d),
            if *n { "not " } else { "" },
            items
                .iter()
                .take(8)
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Cond::Missing(k, n) => format!(
            "{} is {}",
            ["i", "f", "d", "b", "s", "t", "dt"][*k as usize % 7],
            if *n { "present" } else { "missing" }
        ),
        Cond::B => "b".into(),
        Cond::Str(op, w) => {
            let w = WORDS[*w as usize % WORDS.len()];
            match op % 5 {
                0 => format!("s == \"{w}\""),
                1 => format!("s < \"{w}\""),
                2 => format!("s contains \"{w}\""),
                3 => format!("s ends with \"{w}\""),
                _ => format!("s in [\"{w}\", \"a\"]"),
            }
        }
        Cond::Within(k) => format!("t within {} days", k % 100),
        Cond::Before(k) => format!("dt before {} days ago", k % 1000),
        Cond::Not(x) => format!("not ({})", cond(x, d)),
        Cond::And(a, b) => format!("({} and {})", cond(a, d), cond(b, d)),
        Cond::Or(a, b) => format!("({} or {})", cond(a, d), cond(b, d)),
        Cond::Seg => "first".into(),
    }
}

#[derive(Arbitrary, Debug)]
struct Row {
    i: Option<i64>,
    f: Option<f64>,
    d: Option<i64>,
    b: Option<bool>,
    s: Option<u8>,
    t: Option<i32>,
    dt: Option<i16>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    first: Cond,
    second: Cond,
    rows: Vec<Row>,
    scale: u8,
    offset: u8,
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

fn batch(input: &Input) -> Option<RecordBatch> {
    let rows = &input.rows;
    let mut s = StringDictionaryBuilder::<Int8Type>::new();
    for r in rows {
        match r.s {
            Some(k) => s.append_value(WORDS[k as usize % WORDS.len()]),
            None => s.append_null(),
        }
    }
    let scale = (input.scale % 12) as i8;
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "i",
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.i))),
        ),
        (
            "f",
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.f))),
        ),
        (
            "d",
            Arc::new(
                Decimal128Array::from_iter(rows.iter().map(|r| r.d.map(i128::from)))
                    .with_precision_and_scale(38, scale)
                    .ok()?,
            ),
        ),
        (
            "b",
            Arc::new(BooleanArray::from_iter(rows.iter().map(|r| r.b))),
        ),
        ("s", Arc::new(s.finish())),
        (
            "t",
            Arc::new(TimestampMicrosecondArray::from_iter(
                rows.iter()
                    .map(|r| r.t.map(|t| AS_OF + i64::from(t) * 1_000_000)),
            )),
        ),
        (
            "dt",
            Arc::new(Date32Array::from_iter(
                rows.iter().map(|r| r.dt.map(|d| 20_000 + i32::from(d))),
            )),
        ),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .ok()
}

fuzz_target!(|input: Input| {
    let source = format!(
        "{SCHEMA}segment first {{ where {} }}\nsegment second {{ where {} exclude first }}\npriority p {{ second first }}\n",
        cond(&input.first, 0),
        cond(&input.second, 0)
    );
    let checked = seg_check::check_source(std::path::Path::new("fuzz.seg"), &source, &NoFiles);
    // Programs that do not check (a type error the generator made, a self
    // reference) are not interesting here.
    let has_errors = checked.has_errors();
    let Some(program) = checked.program.filter(|_| !has_errors) else {
        return;
    };
    let Some(batch) = batch(&input) else {
        return;
    };
    let evaluator = seg_eval::Evaluator::new(&program, &[], AS_OF);
    let Ok(binding) = evaluator.bind(batch.schema().as_ref()) else {
        return;
    };
    let jit = seg_jit::JitProgram::compile(
        &evaluator,
        batch.schema().as_ref(),
        &binding,
        &seg_jit::JitOptions {
            verify: true,
            ..seg_jit::JitOptions::default()
        },
    )
    .expect("the JIT compiles every checked program");
    let offset = (input.offset as usize).min(batch.num_rows());
    for view in [
        batch.clone(),
        batch.slice(offset, batch.num_rows() - offset),
    ] {
        let want = evaluator
            .evaluate(&binding, &view)
            .expect("the evaluator never fails");
        let got = jit.evaluate(&view).expect("the JIT never fails");
        assert_eq!(want.segments, got.segments, "{source}");
        assert_eq!(want.priorities, got.priorities, "{source}");
    }
});
