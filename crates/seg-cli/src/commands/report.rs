//! `seg report RULES --data D --out report.html`: run the rules and write one
//! self-contained HTML page about the run (`seg::report` builds it; this
//! command runs, then writes the page atomically).

use crate::Outcome;
use crate::commands::run::{Inputs, Report, fail, prepare_with, worker_threads};
use crate::render;
use seg::Error as DataError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `seg report`.
#[derive(clap::Args)]
pub struct Args {
    /// Rules, data, instant, params and selection.
    #[command(flatten)]
    pub input: Inputs,
    /// The HTML file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// An earlier run's `seg run --summary json` document: the report shows
    /// how each segment's size changed since.
    #[arg(long, value_name = "RUN.json")]
    pub previous: Option<PathBuf>,
    /// Members shown per segment in the sample table.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub sample: usize,
    /// Show personal data (`pii` fields) in the sample instead of masking it.
    #[arg(long)]
    pub show_pii: bool,
    /// Worker threads [default: all cores].
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
    /// What is printed once the page is written: a line, or JSON on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
}

/// What `seg report` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One line on stderr naming the page.
    Human,
    /// A JSON document on stdout (see docs/semantics.md).
    Json,
}

/// Runs `seg report`.
pub fn run(args: &Args) -> Outcome {
    let color = crate::commands::check::Color::Auto.enabled();
    // Inputs are refused before anything runs: a bad previous document or an
    // output that would replace an input.
    let previous = match args.previous.as_deref().map(read_previous).transpose() {
        Ok(previous) => previous,
        Err(e) => return fail(e),
    };
    for (input, what) in [(&args.input.data, "data"), (&args.input.rules, "rules")]
        .into_iter()
        .chain(args.previous.iter().map(|p| (p, "previous run")))
    {
        if crate::files::same_file(&args.out, input) {
            return fail(DataError::new(
                "E0803",
                format!(
                    "`--out {}` is the {what} file `{}`; writing the report would replace it",
                    args.out.display(),
                    input.display()
                ),
                Some("write the report to another file".into()),
            ));
        }
    }
    let report = Report {
        // The findings are in the page, under their segments.
        warnings: false,
        verb: "reported",
        color,
    };
    let (checked, query) = match prepare_with(&args.input, true, true, &report) {
        Ok(prepared) => prepared,
        Err(outcome) => return outcome,
    };
    let format = match args.input.format() {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let shown = seg::sample::SampleSink::fields(&query);
    let input = match seg::formats::open_query_with(
        &query,
        &args.input.data,
        format,
        &seg::formats::OpenOptions::default(),
        &shown,
    ) {
        Ok(input) => input,
        Err(e) => return fail(e),
    };
    let binding = match crate::commands::run::fitted(
        query.bind_among(&input.schema, &input.columns),
        &checked,
        &args.input.data,
        "reported",
        color,
    ) {
        Ok(binding) => binding,
        Err(outcome) => return outcome,
    };
    let executor = match crate::commands::run::compiled(
        &query,
        seg::Engine::Auto,
        &binding,
        &checked,
        color,
    ) {
        Ok(executor) => executor,
        Err(outcome) => return outcome,
    };
    let mut sample = seg::sample::SampleSink::new(&query, args.sample, args.show_pii);
    let threads = worker_threads(args.threads);
    let run = match seg::run(&executor, input, &mut sample, &seg::Silent, threads) {
        Ok(run) => run,
        Err(seg::RunError::Data(e)) => return fail(e),
        Err(seg::RunError::Program(diagnostics)) => {
            eprint!("{}", render::human(&diagnostics, &checked.sources, color));
            return Outcome::Failure;
        }
    };
    let samples = sample.into_samples();
    let page = seg::report::html(&seg::report::ReportInput {
        checked: &checked,
        query: &query,
        run: &run,
        samples: &samples,
        previous: previous.as_ref(),
        rules: &render::display_path(&args.input.rules),
        data: &render::display_path(&args.input.data),
    });
    if let Err(e) = write_atomically(&args.out, page.as_bytes()) {
        return fail(e);
    }
    let segments = query.selection().segments().len();
    match args.format {
        ReportFormat::Human => eprintln!(
            "report written to {} ({} segment{}, {} profiles)",
            render::display_path(&args.out),
            segments,
            if segments == 1 { "" } else { "s" },
            render::thousands(run.sizes.profiles)
        ),
        ReportFormat::Json => crate::outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "version": 1,
                "output": render::display_path(&args.out),
                "rules": render::display_path(&args.input.rules),
                "data": render::display_path(&args.input.data),
                "as_of": seg::format_instant(query.as_of()),
                "profiles": run.sizes.profiles,
                "segments": segments,
                "previous": args.previous.as_deref().map(render::display_path),
                "bytes": page.len(),
            }))
            .unwrap_or_default()
        ),
    }
    Outcome::Clean
}

/// Reads `--previous`.
fn read_previous(path: &Path) -> Result<seg::report::Previous, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        DataError::new(
            "E0801",
            format!("cannot read `{}`: {}", path.display(), seg::io_reason(&e)),
            None,
        )
    })?;
    seg::report::Previous::from_summary_json(&text)
}

/// Writes `bytes` to a temporary file beside `target`, then renames it into
/// place: a failed write never leaves half a page (as `seg run --out`).
fn write_atomically(target: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let error = |e: std::io::Error| {
        DataError::new(
            "E0801",
            format!(
                "cannot write `{}`: {}",
                target.display(),
                seg::io_reason(&e)
            ),
            None,
        )
    };
    let real = crate::files::write_target(target);
    let (mut temp, _registered) =
        crate::files::temporary_beside(&real, ".seg-report-").map_err(error)?;
    temp.write_all(bytes).map_err(error)?;
    temp.as_file().sync_all().map_err(error)?;
    crate::files::replace_with(temp, &real).map_err(error)
}
