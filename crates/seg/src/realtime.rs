//! Real-time evaluation (feature `formats`): one profile at a time, in
//! microseconds, against a program compiled once.
//!
//! A [`Realtime`] is a [`Query`] compiled for the batches the JSON lines
//! reader makes from the fields the rules read (their schema is built from
//! the program's schema, not from any data), with the engine of `seg run`
//! ([`Engine::Auto`] is the JIT), so that a profile's verdicts are those
//! `seg run` gives by construction. [`Realtime::evaluate_json`] takes a JSON
//! object with the conversions and errors of the JSON lines reader;
//! [`Realtime::evaluate_batch`] takes a batch of a few rows of any schema
//! that has the columns the rules read (each new schema is bound and
//! compiled once, then kept).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let rules = r#"
//! schema {
//!   id: string key
//!   orders: int
//! }
//! segment buyers { where orders >= 1 }
//! "#;
//! let program = seg::check_source("rules.seg".as_ref(), rules)
//!     .program
//!     .ok_or("the rules have errors")?;
//! let query = seg::Query::prepare(&program, &seg::RunOptions::default())?;
//! let mut realtime = seg::realtime::Realtime::new(&query, seg::Engine::Auto)?;
//! let verdict = realtime.evaluate_json(r#"{"id": "c1", "orders": 3}"#)?;
//! assert_eq!(verdict.segments, ["buyers"]);
//! # Ok(())
//! # }
//! ```

use crate::formats::JsonProfiles;
use crate::{Engine, Executor, Query, RunError};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int64Type, SchemaRef};
use arrow::record_batch::RecordBatch;
use seg_ir::Program;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A profile's key, as the data holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// An integer key.
    Int(i64),
    /// Any other key, as [`crate::present::cell`] shows it.
    Text(String),
}

/// What the rules say of one profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict<'q> {
    /// The profile's key; `None` when the schema declares none or the
    /// profile has none.
    pub key: Option<Key>,
    /// The reported segments the profile is a member of, in the order of
    /// [`Query::selection`].
    pub segments: Vec<&'q str>,
    /// Each reported priority group and the segment it chose for the
    /// profile (`None`: the profile is in none of the group's segments).
    pub priorities: Vec<(&'q str, Option<&'q str>)>,
}

/// A query compiled to evaluate single profiles (or a few at a time). The
/// JSON decoder, the compiled kernels and the verdicts are kept from one
/// call to the next, so a call allocates little beyond Arrow's arrays for
/// the profile itself.
pub struct Realtime<'q> {
    query: &'q Query,
    engine: Engine,
    json: JsonProfiles,
    /// Executors by batch schema, the first for decoded JSON objects; a
    /// short list, as a caller sends batches of one or two schemas.
    compiled: Vec<Compiled<'q>>,
    /// The names of the reported segments, in [`Membership`](crate::Membership) order.
    segments: Vec<&'q str>,
    /// Each reported priority group's name and its segments' names.
    groups: Vec<(&'q str, Vec<&'q str>)>,
    /// The verdicts of the last call, one per row; their vectors are
    /// cleared and refilled rather than allocated again.
    verdicts: Vec<Verdict<'q>>,
}

/// An executor for one batch schema, and where the key is in it.
struct Compiled<'q> {
    schema: SchemaRef,
    executor: Executor<'q>,
    key: Option<usize>,
}

impl<'q> Realtime<'q> {
    /// Compiles `query` for `engine` over the Arrow schema of the fields
    /// the rules read, typed from the program's schema as the JSON lines
    /// reader types them. Errors: a program the JIT cannot compile with
    /// [`Engine::Jit`] (located diagnostics); internal errors.
    pub fn new(query: &'q Query, engine: Engine) -> Result<Self, RunError> {
        Self::with_label(query, engine, Path::new("<json>"))
    }

    /// Like [`Realtime::new`], with the name of the source of the JSON
    /// objects in messages (`<stdin>`).
    pub fn with_label(query: &'q Query, engine: Engine, label: &Path) -> Result<Self, RunError> {
        let program = query.program();
        let json = JsonProfiles::new(program, &query.required_fields(), label)?;
        let segments = query
            .selection()
            .segments()
            .iter()
            .map(|&id| query.segment_name(id))
            .collect();
        let groups = query
            .selection()
            .priorities()
            .iter()
            .filter_map(|&p| program.priorities.get(p))
            .map(|group| {
                let members = group
                    .segments
                    .iter()
                    .map(|&id| query.segment_name(id))
                    .collect();
                (group.name.as_str(), members)
            })
            .collect();
        let mut realtime = Realtime {
            query,
            engine,
            json,
            compiled: Vec::new(),
            segments,
            groups,
            verdicts: Vec::new(),
        };
        let schema = realtime.json.schema().clone();
        realtime.executor(&schema)?;
        Ok(realtime)
    }

    /// The query evaluated.
    pub fn query(&self) -> &'q Query {
        self.query
    }

    /// The engine that runs: `"jit"` or `"interp"` (see
    /// [`Executor::engine`]).
    pub fn engine(&self) -> &'static str {
        self.compiled
            .first()
            .map_or("interp", |c| c.executor.engine())
    }

    /// The schema of the batches [`Realtime::decode_json`] makes.
    pub fn json_schema(&self) -> &SchemaRef {
        self.json.schema()
    }

    /// Decodes one JSON object (line `line` of its source, for messages)
    /// into a one-row batch of [`Realtime::json_schema`], without
    /// evaluating it: a caller that gathers several profiles concatenates
    /// them and calls [`Realtime::evaluate_batch`] once. E0403 when the text
    /// is not one JSON object or a value is not of its field's type.
    pub fn decode_json(&mut self, text: &str, line: u64) -> Result<RecordBatch, RunError> {
        Ok(self.json.decode(text, line)?)
    }

    /// Evaluates one profile written as a JSON object: fields by name, an
    /// absent field or `null` missing, histories as arrays of objects, with
    /// the JSON lines reader's conversions and errors (E0403).
    pub fn evaluate_json(&mut self, text: &str) -> Result<&Verdict<'q>, RunError> {
        let batch = self.json.decode(text, 1)?;
        self.evaluate_batch(&batch)?;
        self.verdicts
            .first()
            .ok_or_else(|| RunError::Data(internal("no verdict for a decoded profile")))
    }

    /// Evaluates every row of `batch`, whose schema has at least the columns
    /// the rules read (by name; E0401/E0402 otherwise, as located
    /// diagnostics). A schema seen for the first time is bound and compiled
    /// once; the verdicts are one per row, in order.
    pub fn evaluate_batch(&mut self, batch: &RecordBatch) -> Result<&[Verdict<'q>], RunError> {
        let index = self.executor(&batch.schema())?;
        let compiled = &self.compiled[index];
        let membership = compiled.executor.evaluate(batch)?;
        let rows = batch.num_rows();
        self.verdicts.truncate(rows);
        self.verdicts.resize_with(rows, Verdict::default);
        let key = compiled.key.map(|k| batch.column(k));
        for (row, verdict) in self.verdicts.iter_mut().enumerate() {
            verdict.key = key.and_then(|array| key_of(array.as_ref(), row));
            verdict.segments.clear();
            for (array, name) in membership.segments.iter().zip(&self.segments) {
                if array.is_valid(row) && array.value(row) {
                    verdict.segments.push(name);
                }
            }
            verdict.priorities.clear();
            for (choices, (group, members)) in membership.priorities.iter().zip(&self.groups) {
                let chosen = choices
                    .is_valid(row)
                    .then(|| members.get(choices.value(row) as usize).copied())
                    .flatten();
                verdict.priorities.push((group, chosen));
            }
        }
        Ok(&self.verdicts)
    }

    /// The index in `compiled` of the executor for `schema`, binding and
    /// compiling one when the schema is new.
    fn executor(&mut self, schema: &SchemaRef) -> Result<usize, RunError> {
        if let Some(found) = self.compiled.iter().position(|c| &c.schema == schema) {
            return Ok(found);
        }
        let binding = self.query.bind(schema).map_err(RunError::Program)?;
        let executor = self.query.compile(self.engine, &binding)?;
        let key = self.query.key_name().and_then(|k| schema.index_of(k).ok());
        self.compiled.push(Compiled {
            schema: schema.clone(),
            executor,
            key,
        });
        Ok(self.compiled.len() - 1)
    }
}

/// The key in row `row` of `array`, or `None` when it is missing.
fn key_of(array: &dyn Array, row: usize) -> Option<Key> {
    if row >= array.len() || array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Int64 => Key::Int(array.as_primitive::<Int64Type>().value(row)),
        _ => Key::Text(crate::present::cell(array, row)),
    })
}

fn internal(message: &str) -> crate::Error {
    crate::Error::new("E0901", format!("internal error: {message}"), None)
}

/// Whether the program's segments read the instant of evaluation (`now`,
/// `today`, `ago`, `within`): only then do its verdicts change as time
/// passes, and does a long-running evaluation need the instant refreshed.
pub fn reads_time(program: &Program) -> bool {
    let mut reads = false;
    for segment in &program.segments {
        for expr in std::iter::once(&segment.where_).chain(segment.exclude.as_ref()) {
            seg_ir::walk(expr, &mut |e| {
                reads |= matches!(
                    e.kind,
                    seg_ir::ExprKind::Relative(_)
                        | seg_ir::ExprKind::Ago { .. }
                        | seg_ir::ExprKind::Within { .. }
                );
            });
        }
    }
    reads
}

/// How [`stream`] batches and reports.
#[derive(Clone, Debug)]
pub struct StreamOptions {
    /// How long the oldest buffered line may wait for more lines before
    /// its batch is evaluated (evaluation itself comes on top).
    pub max_latency: Duration,
    /// Most lines in one batch.
    pub max_batch: usize,
    /// Report only the segments each profile entered and left since the
    /// previous line with its key (see [`StreamItem::Changes`]).
    pub changes: bool,
    /// The engine (`seg run`'s: [`Engine::Auto`]).
    pub engine: Engine,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            max_latency: Duration::from_millis(5),
            max_batch: 1024,
            changes: false,
            engine: Engine::Auto,
        }
    }
}

/// What [`stream`] says of one input line.
#[derive(Debug)]
pub enum StreamItem<'a> {
    /// The profile's verdicts (without `changes`).
    Verdict(&'a Verdict<'a>),
    /// With `changes`: the segments the profile entered and left since the
    /// previous line with the same key; on the first sighting of a key (or
    /// for a profile without a key) every segment it is in has entered.
    Changes {
        /// The profile's key.
        key: Option<&'a Key>,
        /// Segments it is now in and was not.
        entered: &'a [&'a str],
        /// Segments it was in and is not now.
        left: &'a [&'a str],
    },
    /// The line is not a profile (E0403: not a JSON object, a value of the
    /// wrong type, not UTF-8); the stream goes on.
    Error(&'a crate::Error),
}

/// Where [`stream`] sends what it says of each line.
pub trait StreamSink {
    /// One input line's result; `line` counts from 1.
    fn item(&mut self, line: u64, item: StreamItem<'_>) -> std::io::Result<()>;
    /// A batch is done: the place to flush, so that a reader of a pipe sees
    /// results promptly.
    fn batch_done(&mut self) -> std::io::Result<()>;
}

/// What [`stream`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Profiles evaluated.
    pub profiles: u64,
    /// Lines that were not profiles.
    pub failed: u64,
    /// Batches evaluated.
    pub batches: u64,
    /// Times the program was compiled (more than one when the instant was
    /// refreshed).
    pub compilations: u64,
    /// Distinct keys remembered for `changes`.
    pub keys: usize,
}

/// A line read by the reader thread: its number, its text (or why it is
/// not text), and when it arrived.
type Arrived = (u64, Result<String, crate::Error>, Instant);

/// How often, at most, a stream whose rules read the instant recompiles for
/// a new one: verdicts are at most this much behind the clock, and a busy
/// stream pays one compilation per period.
const REFRESH: Duration = Duration::from_secs(1);

/// Evaluates JSON-lines profiles from `input` as they come, one result per
/// non-blank line to `sink`, in input order.
///
/// Lines are read on a thread of their own and evaluated in batches: a
/// batch is evaluated when it holds `max_batch` lines or when its oldest
/// line has waited `max_latency`, whichever comes first, so a slow producer
/// gets each answer within the bound and a fast one gets the JIT's batch
/// speed. The instant of evaluation is `options`' when it fixes one
/// (`--as-of`); otherwise it is the clock when a batch is evaluated: a
/// program whose segments read the instant ([`reads_time`]) is prepared
/// and compiled again for the clock when the one in use is a second old
/// or more, so "within 30 days" means the 30 days before the profile
/// arrived, to the second. With `changes`, the last verdicts of every key
/// are kept: memory grows with the number of distinct keys.
///
/// Errors: the rules against the decoded schema (located), the input
/// failing to read (E0801), the sink failing (E0801); bad lines are not
/// errors but [`StreamItem::Error`] items.
pub fn stream(
    program: &Program,
    options: &crate::RunOptions,
    input: impl BufRead + Send + 'static,
    sink: &mut dyn StreamSink,
    stream_options: &StreamOptions,
) -> Result<StreamReport, RunError> {
    let label = Path::new("<stdin>");
    let fixed = options.as_of.is_some() || options.as_of_date.is_some();
    let refresh = !fixed && reads_time(program);
    // Bounded, so that a producer far faster than evaluation is held back
    // rather than buffered without limit.
    let (sender, receiver) = mpsc::sync_channel::<Result<Arrived, std::io::Error>>(4096);
    std::thread::spawn(move || read_lines(input, &sender));
    let mut report = StreamReport::default();
    let mut last: HashMap<Key, Vec<u32>> = HashMap::new();
    let mut pending: Vec<Arrived> = Vec::new();
    let mut finished = false;
    let max_batch = stream_options.max_batch.max(1);
    while !(finished && pending.is_empty()) {
        let options = if fixed {
            options.clone()
        } else {
            options.clone().as_of(chrono::Utc::now().timestamp_micros())
        };
        let query = Query::prepare(program, &options)?;
        let mut realtime = Realtime::with_label(&query, stream_options.engine, label)?;
        report.compilations += 1;
        let compiled_at = Instant::now();
        let mut changes = Changes::default();
        loop {
            if pending.is_empty() && !finished {
                // Nothing buffered: wait as long as it takes for a line.
                match receiver.recv() {
                    Ok(arrived) => pending.push(arrived.map_err(|e| io_error(&e))?),
                    Err(_) => finished = true,
                }
            }
            if let Some(&(_, _, oldest)) = pending.first() {
                let deadline = oldest + stream_options.max_latency;
                while !finished && pending.len() < max_batch {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    match receiver.recv_timeout(wait) {
                        Ok(arrived) => pending.push(arrived.map_err(|e| io_error(&e))?),
                        Err(mpsc::RecvTimeoutError::Timeout) => break,
                        Err(mpsc::RecvTimeoutError::Disconnected) => finished = true,
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
            if refresh && compiled_at.elapsed() >= REFRESH {
                // The batch waits for the program compiled at the new instant.
                break;
            }
            let batch = std::mem::take(&mut pending);
            evaluate_lines(
                &mut realtime,
                batch,
                sink,
                stream_options.changes.then_some((&mut last, &mut changes)),
                &mut report,
            )?;
            sink.batch_done().map_err(|e| io_error(&e))?;
        }
    }
    report.keys = last.len();
    Ok(report)
}

/// Buffers of `--changes`, reused from one line to the next.
#[derive(Default)]
struct Changes {
    now: Vec<u32>,
}

/// Decodes and evaluates one batch of lines, and sends each line's result.
fn evaluate_lines<'q>(
    realtime: &mut Realtime<'q>,
    lines: Vec<Arrived>,
    sink: &mut dyn StreamSink,
    mut changes: Option<(&mut HashMap<Key, Vec<u32>>, &mut Changes)>,
    report: &mut StreamReport,
) -> Result<(), RunError> {
    // The names outlive the mutable borrow of the evaluation below.
    let names = realtime.segments.clone();
    // Each line is decoded on its own, so that a bad line fails alone; the
    // good ones are evaluated together, in one call.
    let mut decoded = Vec::with_capacity(lines.len());
    let mut outcomes: Vec<(u64, Result<usize, crate::Error>)> = Vec::with_capacity(lines.len());
    for (line, text, _) in lines {
        let result = text.and_then(|text| match realtime.json.decode(&text, line) {
            Ok(batch) => {
                decoded.push(batch);
                Ok(decoded.len() - 1)
            }
            Err(e) => Err(e),
        });
        outcomes.push((line, result));
    }
    let verdicts: &[Verdict<'q>] = if decoded.is_empty() {
        &[]
    } else {
        let schema = realtime.json_schema().clone();
        let batch = arrow::compute::concat_batches(&schema, &decoded)
            .map_err(|e| RunError::Data(internal(&format!("cannot join the batch: {e}"))))?;
        realtime.evaluate_batch(&batch)?
    };
    for (line, outcome) in outcomes {
        let verdict = match outcome {
            Err(error) => {
                report.failed += 1;
                sink.item(line, StreamItem::Error(&error))
                    .map_err(|e| io_error(&e))?;
                continue;
            }
            Ok(row) => match verdicts.get(row) {
                Some(verdict) => verdict,
                None => return Err(RunError::Data(internal("a profile has no verdict"))),
            },
        };
        report.profiles += 1;
        let Some((last, buffers)) = changes.as_mut() else {
            sink.item(line, StreamItem::Verdict(verdict))
                .map_err(|e| io_error(&e))?;
            continue;
        };
        // Positions in the selection, not names: they outlive one
        // compilation of the program, and are small.
        buffers.now.clear();
        buffers.now.extend(
            verdict
                .segments
                .iter()
                .filter_map(|s| names.iter().position(|n| n == s))
                .map(|i| i as u32),
        );
        let before = verdict.key.as_ref().and_then(|k| last.get(k));
        let mut entered: Vec<&str> = Vec::new();
        let mut left: Vec<&str> = Vec::new();
        for &i in &buffers.now {
            if !before.is_some_and(|b| b.contains(&i)) {
                entered.extend(names.get(i as usize).copied());
            }
        }
        if let Some(before) = before {
            for &i in before {
                if !buffers.now.contains(&i) {
                    left.extend(names.get(i as usize).copied());
                }
            }
        }
        sink.item(
            line,
            StreamItem::Changes {
                key: verdict.key.as_ref(),
                entered: &entered,
                left: &left,
            },
        )
        .map_err(|e| io_error(&e))?;
        if let Some(key) = &verdict.key {
            match last.get_mut(key) {
                Some(kept) => {
                    kept.clear();
                    kept.extend_from_slice(&buffers.now);
                }
                None => {
                    last.insert(key.clone(), buffers.now.clone());
                }
            }
        }
    }
    report.batches += 1;
    Ok(())
}

/// The reader thread: every line of `input` with its number and arrival
/// time, blank lines skipped; stops at the end, at a read error (sent on),
/// or when the stream stops listening.
fn read_lines(mut input: impl BufRead, sender: &mpsc::SyncSender<Result<Arrived, std::io::Error>>) {
    let mut line = 0u64;
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match input.read_until(b'\n', &mut bytes) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                let _ = sender.send(Err(e));
                return;
            }
        }
        line += 1;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = String::from_utf8(std::mem::take(&mut bytes)).map_err(|_| {
            crate::Error::new(
                "E0403",
                format!("cannot read `<stdin>` as JSON lines: line {line}: the line is not UTF-8"),
                Some("write one JSON object per line, in UTF-8".into()),
            )
        });
        if sender.send(Ok((line, text, Instant::now()))).is_err() {
            return;
        }
    }
}

fn io_error(error: &std::io::Error) -> RunError {
    RunError::Data(crate::Error::new(
        "E0801",
        format!("the stream failed: {}", crate::io_reason(error)),
        None,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use std::sync::Arc;

    const RULES: &str = r#"
schema {
  id: int key
  orders: int
  country: string
  signup: date
  events: list<{ name: string, at: timestamp }>
}
param min_orders = 1
segment buyers { where orders >= min_orders }
segment french { where country == "FR" }
segment recent { where count(events where at within 7 days) >= 2 }
segment new { where signup within 30 days }
priority tier {
  buyers
  french
}
"#;

    fn program() -> Program {
        let checked = crate::check_source("rules.seg".as_ref(), RULES);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        checked.program.unwrap()
    }

    fn query(params: &[(&str, &str)]) -> Query {
        let mut options = crate::RunOptions::default()
            .as_of_text("2026-11-24T00:00:00Z")
            .unwrap();
        for (name, value) in params {
            options = options.param(name, value);
        }
        Query::prepare(&program(), &options).unwrap()
    }

    #[test]
    fn a_json_profile_gets_its_segments_and_priorities() {
        let query = query(&[]);
        let mut realtime = Realtime::new(&query, Engine::Auto).unwrap();
        assert_eq!(realtime.engine(), "jit");
        let verdict = realtime
            .evaluate_json(r#"{"id": 7, "orders": 3, "country": "FR", "signup": "2026-11-20"}"#)
            .unwrap();
        assert_eq!(verdict.key, Some(Key::Int(7)));
        assert_eq!(verdict.segments, ["buyers", "french", "new"]);
        assert_eq!(verdict.priorities, [("tier", Some("buyers"))]);
    }

    #[test]
    fn absent_and_null_fields_are_missing() {
        let query = query(&[]);
        let mut realtime = Realtime::new(&query, Engine::Auto).unwrap();
        let verdict = realtime.evaluate_json(r#"{"country": null}"#).unwrap();
        assert_eq!(verdict.key, None);
        assert!(verdict.segments.is_empty());
        assert_eq!(verdict.priorities, [("tier", None)]);
    }

    #[test]
    fn histories_are_arrays_of_objects() {
        let query = query(&[]);
        let mut realtime = Realtime::new(&query, Engine::Auto).unwrap();
        let two = r#"{"id": 1, "events": [{"name": "a", "at": "2026-11-20T10:00:00Z"}, {"name": "b", "at": "2026-11-22T10:00:00Z"}]}"#;
        assert_eq!(realtime.evaluate_json(two).unwrap().segments, ["recent"]);
        // One of the two is older than 7 days.
        let old = r#"{"id": 1, "events": [{"name": "a", "at": "2026-10-20T10:00:00Z"}, {"name": "b", "at": "2026-11-22T10:00:00Z"}]}"#;
        assert!(realtime.evaluate_json(old).unwrap().segments.is_empty());
    }

    #[test]
    fn wrong_types_are_errors_and_the_next_profile_is_fine() {
        let query = query(&[]);
        let mut realtime = Realtime::new(&query, Engine::Auto).unwrap();
        let cases = [
            (
                r#"{"orders": 5.7}"#,
                "`5.7` in column `orders` is not an int",
            ),
            (r#"{"signup": "soon"}"#, "in column `signup` is not a date"),
            (r#"{"events": 3}"#, "is not a list of records"),
            ("[1, 2]", "expected {"),
            ("not json", "cannot read"),
            (r#"{"id": 1"#, "incomplete"),
            (r#"{"id": 1} {"id": 2}"#, "more than one JSON object"),
            ("", "no JSON object"),
        ];
        for (text, expected) in cases {
            match realtime.evaluate_json(text) {
                Err(RunError::Data(e)) => {
                    assert_eq!(e.code, "E0403", "{text}");
                    assert!(e.message.contains(expected), "{text}: {}", e.message);
                }
                other => panic!("{text}: {other:?}"),
            }
            let fine = realtime.evaluate_json(r#"{"id": 2, "orders": 1}"#).unwrap();
            assert_eq!(fine.segments, ["buyers"], "after {text}");
        }
    }

    #[test]
    fn params_are_those_of_the_query() {
        let query = query(&[("min_orders", "5")]);
        let mut realtime = Realtime::new(&query, Engine::Auto).unwrap();
        let verdict = realtime.evaluate_json(r#"{"orders": 3}"#).unwrap();
        assert!(verdict.segments.is_empty());
        let verdict = realtime.evaluate_json(r#"{"orders": 5}"#).unwrap();
        assert_eq!(verdict.segments, ["buyers"]);
    }

    #[test]
    fn buffers_reused_across_calls_give_the_same_answers() {
        let query = query(&[]);
        let mut realtime = Realtime::new(&query, Engine::Auto).unwrap();
        let mut fresh = Realtime::new(&query, Engine::Interp).unwrap();
        let profiles = [
            r#"{"id": 1, "orders": 3, "country": "FR"}"#,
            r#"{"id": 2}"#,
            r#"{"id": 3, "country": "FR", "signup": "2026-11-01"}"#,
            r#"{"id": 1, "orders": 3, "country": "FR"}"#,
        ];
        let mut first = Vec::new();
        for round in 0..3 {
            for (i, text) in profiles.iter().enumerate() {
                let verdict = realtime.evaluate_json(text).unwrap().clone();
                if round == 0 {
                    first.push(verdict.clone());
                }
                assert_eq!(verdict, first[i], "round {round}, profile {i}");
                // The reference evaluator agrees.
                assert_eq!(&verdict, fresh.evaluate_json(text).unwrap());
            }
        }
        assert_eq!(first[0], first[3]);
    }

    #[test]
    fn a_few_row_batch_of_another_schema_is_bound_by_name() {
        let query = query(&[]);
        let mut realtime = Realtime::new(&query, Engine::Auto).unwrap();
        // Other column order, an extra column, histories and dates absent.
        let batch = RecordBatch::try_from_iter([
            ("extra", Arc::new(StringArray::from(vec!["x", "y"])) as _),
            (
                "country",
                Arc::new(StringArray::from(vec![Some("FR"), None])) as _,
            ),
            ("orders", Arc::new(Int64Array::from(vec![0, 2])) as _),
            ("id", Arc::new(Int64Array::from(vec![10, 11])) as _),
        ])
        .unwrap();
        let missing = realtime.evaluate_batch(&batch);
        // `signup` and `events` are read by the rules: binding says so.
        assert!(matches!(missing, Err(RunError::Program(_))));
        let query = Query::prepare(
            &program(),
            &crate::RunOptions::default()
                .as_of_text("2026-11-24")
                .unwrap()
                .segments(["buyers", "french", "tier"]),
        )
        .unwrap();
        let mut realtime = Realtime::new(&query, Engine::Auto).unwrap();
        let verdicts = realtime.evaluate_batch(&batch).unwrap();
        assert_eq!(verdicts.len(), 2);
        assert_eq!(verdicts[0].key, Some(Key::Int(10)));
        assert_eq!(verdicts[0].segments, ["french"]);
        assert_eq!(verdicts[0].priorities, [("tier", Some("french"))]);
        assert_eq!(verdicts[1].segments, ["buyers"]);
        // A one-row batch after a two-row one: no stale verdict is left.
        let one = batch.slice(1, 1);
        assert_eq!(realtime.evaluate_batch(&one).unwrap().len(), 1);
    }

    #[test]
    fn only_rules_that_read_the_instant_read_time() {
        assert!(reads_time(&program()));
        let checked = crate::check_source(
            "rules.seg".as_ref(),
            "schema {\n  orders: int\n}\nsegment buyers { where orders >= 1 }\n",
        );
        assert!(!reads_time(&checked.program.unwrap()));
    }

    /// A sink that keeps every item as text.
    #[derive(Default)]
    struct Kept {
        items: Vec<String>,
        batches: usize,
    }

    impl StreamSink for Kept {
        fn item(&mut self, line: u64, item: StreamItem<'_>) -> std::io::Result<()> {
            self.items.push(match item {
                StreamItem::Verdict(v) => format!("{line}: {:?} {:?}", v.key, v.segments),
                StreamItem::Changes { key, entered, left } => {
                    format!("{line}: {key:?} +{entered:?} -{left:?}")
                }
                StreamItem::Error(e) => format!("{line}: {}", e.code),
            });
            Ok(())
        }

        fn batch_done(&mut self) -> std::io::Result<()> {
            self.batches += 1;
            Ok(())
        }
    }

    #[test]
    fn a_stream_reports_each_line_in_order_and_remembers_keys_for_changes() {
        let input =
            "{\"id\": 1, \"orders\": 1}\n\nbad\n{\"id\": 1, \"country\": \"FR\"}\n{\"id\": 2}\n";
        let options = crate::RunOptions::default()
            .as_of_text("2026-11-24")
            .unwrap()
            .segments(["buyers", "french"]);
        let mut sink = Kept::default();
        let stream_options = StreamOptions {
            changes: true,
            ..StreamOptions::default()
        };
        let report = stream(
            &program(),
            &options,
            std::io::Cursor::new(input),
            &mut sink,
            &stream_options,
        )
        .unwrap();
        assert_eq!(
            sink.items,
            [
                "1: Some(Int(1)) +[\"buyers\"] -[]",
                "3: E0403",
                "4: Some(Int(1)) +[\"french\"] -[\"buyers\"]",
                "5: Some(Int(2)) +[] -[]",
            ]
        );
        assert_eq!(report.profiles, 3);
        assert_eq!(report.failed, 1);
        assert_eq!(report.keys, 2);
        assert_eq!(report.compilations, 1);
        assert_eq!(sink.batches as u64, report.batches);
    }

    /// Input that gives its lines with a pause before each.
    struct Slow {
        lines: Vec<&'static str>,
        pause: Duration,
    }

    impl std::io::Read for Slow {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.lines.is_empty() {
                return Ok(0);
            }
            std::thread::sleep(self.pause);
            let line = self.lines.remove(0);
            let n = line.len().min(buf.len());
            buf[..n].copy_from_slice(&line.as_bytes()[..n]);
            Ok(n)
        }
    }

    #[test]
    fn without_an_instant_rules_that_read_time_are_recompiled_as_the_clock_moves() {
        let slow = |lines: Vec<&'static str>| {
            std::io::BufReader::new(Slow {
                lines,
                pause: Duration::from_millis(1_100),
            })
        };
        let lines = vec![
            "{\"id\": 1, \"orders\": 1}\n",
            "{\"id\": 2, \"orders\": 1}\n",
        ];
        let now = crate::RunOptions::default();
        let mut sink = Kept::default();
        let report = stream(
            &program(),
            &now,
            slow(lines.clone()),
            &mut sink,
            &StreamOptions::default(),
        )
        .unwrap();
        assert_eq!(report.profiles, 2);
        // Each line came more than a second after the last compilation (the
        // first one before any line was read): each was evaluated at a new
        // instant.
        assert_eq!(report.compilations, 3);
        // A fixed instant, or rules that never read it, compile once.
        let fixed = crate::RunOptions::default()
            .as_of_text("2026-11-24")
            .unwrap();
        let report = stream(
            &program(),
            &fixed,
            slow(lines.clone()),
            &mut sink,
            &StreamOptions::default(),
        )
        .unwrap();
        assert_eq!(report.compilations, 1);
        let timeless = crate::check_source(
            "rules.seg".as_ref(),
            "schema {\n  id: int key\n  orders: int\n}\nsegment buyers { where orders >= 1 }\n",
        )
        .program
        .unwrap();
        let report = stream(
            &timeless,
            &now,
            slow(lines),
            &mut sink,
            &StreamOptions::default(),
        )
        .unwrap();
        assert_eq!(report.compilations, 1);
    }
}
