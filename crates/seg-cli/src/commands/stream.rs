//! `seg stream RULES`: JSON-lines profiles on standard input, one JSON line
//! of verdicts per profile on standard output, as the profiles come. The
//! batching, the instant and the changes are the library's
//! (`seg::realtime::stream`); this module parses arguments and writes JSON.

use crate::Outcome;
use crate::commands::run::{Inputs, Report, fail, prepare};
use crate::render;
use seg::realtime::{Key, StreamItem, StreamOptions, StreamSink};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `seg stream`.
#[derive(clap::Args)]
pub struct Args {
    /// The rules.
    pub rules: PathBuf,
    /// The instant of evaluation, RFC 3339 (2026-11-24T00:00:00Z) or a date
    /// (midnight in the rules' time zone, UTC without one) [default: the
    /// clock when each batch is evaluated, to the second].
    #[arg(long)]
    pub as_of: Option<String>,
    /// Override a param: NAME=VALUE, VALUE a Seg literal (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Only these segments and priority groups (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub segments: Vec<String>,
    /// Write only the segments each profile entered and left since the
    /// previous line with its key (memory grows with the distinct keys).
    #[arg(long)]
    pub changes: bool,
    /// How long a line may wait for others to be evaluated with it: a
    /// number and a unit, `us`, `ms` or `s` (`5ms`, `250us`).
    #[arg(long, value_name = "DURATION", default_value = "5ms", value_parser = parse_latency)]
    pub max_latency: Duration,
    /// Most lines evaluated together.
    #[arg(long, value_name = "LINES", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_batch: u32,
    /// Show the key when it is a `pii` field (hidden by default).
    #[arg(long)]
    pub show_pii: bool,
    /// What `use` may read.
    #[command(flatten)]
    pub uses: crate::commands::UseArgs,
    /// The calendar's time zone (`--tz`).
    #[command(flatten)]
    pub tz: crate::commands::TzArg,
}

/// Parses `--max-latency`: a whole number and a unit.
fn parse_latency(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad =
        || format!("`{text}` is not a duration; write a whole number and a unit: 5ms, 250us, 1s");
    let number: u64 = number.parse().map_err(|_| bad())?;
    match unit.trim() {
        "us" | "µs" => Ok(Duration::from_micros(number)),
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        _ => Err(bad()),
    }
}

/// Runs `seg stream`.
pub fn run(args: &Args) -> Outcome {
    let inputs = Inputs {
        rules: args.rules.clone(),
        data: PathBuf::new(),
        data_format: None,
        as_of: args.as_of.clone(),
        params: args.params.clone(),
        segments: args.segments.clone(),
        uses: args.uses.clone(),
        tz: args.tz.clone(),
    };
    let report = Report {
        warnings: false,
        verb: "evaluated",
        color: crate::commands::check::Color::Auto.enabled(),
    };
    // Preparing once up front reports bad options (params, segments, the
    // instant) before any line is read.
    let (checked, query) = match prepare(&inputs, true, &report) {
        Ok(prepared) => prepared,
        Err(outcome) => return outcome,
    };
    let options = match inputs.options() {
        Ok(options) => options,
        Err(e) => return fail(e),
    };
    let key_pii = query
        .program()
        .schema
        .key()
        .is_some_and(|k| query.program().schema.field(k).pii);
    let stream_options = StreamOptions {
        max_latency: args.max_latency,
        max_batch: args.max_batch as usize,
        changes: args.changes,
        engine: seg::Engine::Auto,
    };
    let mut sink = JsonSink {
        out: std::io::stdout().lock(),
        hide_key: key_pii && !args.show_pii,
    };
    let stdin = std::io::BufReader::new(std::io::stdin());
    match seg::realtime::stream(query.program(), &options, stdin, &mut sink, &stream_options) {
        Ok(done) if done.failed > 0 => Outcome::Findings,
        Ok(_) => Outcome::Clean,
        Err(seg::RunError::Data(e)) => fail(e),
        Err(seg::RunError::Program(diagnostics)) => {
            eprint!(
                "{}",
                render::human(&diagnostics, &checked.sources, report.color)
            );
            Outcome::Failure
        }
    }
}

/// Writes each line's result as one JSON object.
struct JsonSink<W: Write> {
    out: W,
    /// The key is `pii` and `--show-pii` was not given.
    hide_key: bool,
}

impl<W: Write> JsonSink<W> {
    fn key(&self, key: Option<&Key>) -> serde_json::Value {
        match key {
            None => serde_json::Value::Null,
            Some(_) if self.hide_key => seg::present::MASKED.into(),
            Some(Key::Int(k)) => (*k).into(),
            Some(Key::Text(k)) => k.as_str().into(),
        }
    }
}

impl<W: Write> StreamSink for JsonSink<W> {
    fn item(&mut self, line: u64, item: StreamItem<'_>) -> std::io::Result<()> {
        let value = match item {
            StreamItem::Verdict(verdict) => {
                let priorities: serde_json::Map<String, serde_json::Value> = verdict
                    .priorities
                    .iter()
                    .map(|(group, chosen)| ((*group).to_string(), (*chosen).into()))
                    .collect();
                serde_json::json!({
                    "key": self.key(verdict.key.as_ref()),
                    "segments": verdict.segments,
                    "priorities": priorities,
                })
            }
            StreamItem::Changes { key, entered, left } => serde_json::json!({
                "key": self.key(key),
                "entered": entered,
                "left": left,
            }),
            StreamItem::Error(error) => serde_json::json!({
                "line": line,
                "error": {"code": error.code, "message": error.message, "help": error.help},
            }),
        };
        serde_json::to_writer(&mut self.out, &value)?;
        self.out.write_all(b"\n")
    }

    fn batch_done(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
