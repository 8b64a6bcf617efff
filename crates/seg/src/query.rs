//! The stages after checking: a [`Program`] prepared for one run (its
//! instant, params and selection applied once, optimized) is a [`Query`];
//! bound to an Arrow schema it gives a [`Binding`]; compiled for an
//! [`Engine`] it gives an [`Executor`](crate::Executor).

use crate::Error;
use arrow::array::{ArrayRef, BooleanArray, StringArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use arrow::record_batch::RecordBatch;
use seg_diagnostics::Diagnostic;
use seg_ir::{Const, FieldId, ParamId, Program, SegmentId, Selection, Zone};
use std::sync::Arc;

/// What a run fixes: the instant, param overrides, the segments reported, and
/// whether to optimize. Built with its methods:
///
/// ```
/// let options = seg::RunOptions::default()
///     .as_of_text("2026-11-24")
///     .unwrap()
///     .param("min_orders", "3")
///     .segments(["vip", "lapsed"]);
/// assert_eq!(options.segments, ["vip", "lapsed"]);
/// ```
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The instant of evaluation, microseconds since the Unix epoch; `None`
    /// is the moment [`Query::prepare`] runs.
    pub as_of: Option<i64>,
    /// A date given for the instant (`--as-of 2026-11-24`): when set, the
    /// instant is this date's midnight in the program's zone (days since
    /// the epoch), and `as_of` is ignored.
    pub as_of_date: Option<i32>,
    /// The zone of the calendar, overriding the program's `timezone`
    /// (`--tz`); `None` keeps the program's (UTC without a declaration).
    pub timezone: Option<Zone>,
    /// Param overrides, each `NAME=VALUE` with VALUE a Seg literal of the
    /// param's type (`min_orders=3`, `region="US"`, `window=30 days`).
    pub params: Vec<String>,
    /// The segments and priority groups reported, by name; empty reports
    /// every one.
    pub segments: Vec<String>,
    /// Run the optimizer's rewrites (on by default; results are the same
    /// either way, which `seg run --no-optimize` exists to show).
    pub optimize: bool,
    /// Let the optimizer fold relative time (`now`, `today`, `ago`,
    /// `within`) for the instant (on by default). Off, the optimized
    /// program keeps it symbolic, as `seg explain` without `--as-of` shows
    /// it; evaluation still uses the instant.
    pub fold_time: bool,
    /// Count the pairwise overlap of the reported segments during the run
    /// ([`Sizes::overlap`](crate::Sizes::overlap)); off by default, as it
    /// costs work for every pair of segments on every batch.
    pub overlap: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            as_of: None,
            as_of_date: None,
            timezone: None,
            params: Vec::new(),
            segments: Vec::new(),
            optimize: true,
            fold_time: true,
            overlap: false,
        }
    }
}

impl RunOptions {
    /// Evaluates at this instant (microseconds since the Unix epoch).
    pub fn as_of(mut self, micros: i64) -> Self {
        self.as_of = Some(micros);
        self.as_of_date = None;
        self
    }

    /// Evaluates at an instant written as RFC 3339 with an offset
    /// (`2026-11-24T00:00:00Z`) or as a date (midnight in the program's
    /// zone, which is UTC unless it declares or is given another); E0406
    /// otherwise.
    pub fn as_of_text(self, text: &str) -> Result<Self, Error> {
        let mut options = self.as_of(parse_instant(text)?);
        options.as_of_date = parse_date(text);
        Ok(options)
    }

    /// Evaluates in `zone` whatever the program declares.
    pub fn timezone(mut self, zone: Zone) -> Self {
        self.timezone = Some(zone);
        self
    }

    /// Evaluates in the zone with this IANA name (`Europe/Berlin`), whatever
    /// the program declares; E0121 with the closest name otherwise.
    pub fn timezone_name(self, name: &str) -> Result<Self, Error> {
        Ok(self.timezone(parse_zone(name)?))
    }

    /// Overrides a param with a Seg literal of its type.
    pub fn param(mut self, name: &str, literal: &str) -> Self {
        self.params.push(format!("{name}={literal}"));
        self
    }

    /// Reports only these segments and priority groups.
    pub fn segments<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.segments = names.into_iter().map(Into::into).collect();
        self
    }

    /// Turns the optimizer on or off.
    pub fn optimize(mut self, on: bool) -> Self {
        self.optimize = on;
        self
    }

    /// Counts the pairwise overlap of the reported segments during the run.
    pub fn overlap(mut self, on: bool) -> Self {
        self.overlap = on;
        self
    }
}

/// Parses an instant: RFC 3339 with an offset, or a date meaning midnight
/// UTC (E0406 otherwise). Returns microseconds since the Unix epoch.
pub fn parse_instant(text: &str) -> Result<i64, Error> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc().timestamp_micros());
    }
    Err(Error::new(
        "E0406",
        format!("`{text}` is not an instant"),
        Some(
            "write RFC 3339 with an offset, such as 2026-11-24T00:00:00Z, or a date such as 2026-11-24"
                .into(),
        ),
    ))
}

/// The date of a `--as-of` written as a date (days since the epoch).
fn parse_date(text: &str) -> Option<i32> {
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
}

/// The zone with this IANA name (`Europe/Berlin`, `UTC`), or E0121 with the
/// closest name as a "did you mean" (the spelling the tz database uses;
/// a name differing only in case is suggested first).
pub fn parse_zone(name: &str) -> Result<Zone, Error> {
    Zone::parse(name).map_err(|unknown| {
        Error::new(
            "E0121",
            format!("unknown time zone `{name}`"),
            Some(match unknown.suggestion {
                Some(close) => format!("did you mean `{close}`?"),
                None => "give an IANA name as the tz database spells it, such as \
                         Europe/Berlin, America/New_York or UTC"
                    .into(),
            }),
        )
    })
}

/// Formats microseconds since the epoch as RFC 3339 UTC.
pub fn format_instant(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| micros.to_string())
}

/// A program prepared for one run: the instant, the params' values and the
/// selection resolved once, and the program optimized for them (with the
/// trace of rewrites). Every engine, the pruner and the readers take what
/// they need from here.
#[derive(Clone, Debug)]
pub struct Query {
    /// The program as checked: names, spans and titles for reports.
    program: Program,
    /// What the engines execute: the optimized program (it keeps every
    /// segment's id; hidden shared segments come after), or a copy of
    /// `program` when not optimized.
    executed: Program,
    optimized: bool,
    time_folded: bool,
    trace: Vec<seg_opt::Rewrite>,
    passes: usize,
    overrides: Vec<(ParamId, Const)>,
    params: Vec<Const>,
    as_of: i64,
    selection: Selection,
    overlap: bool,
}

impl Query {
    /// Prepares `program` (which must have checked without errors) for a run:
    /// parses the param overrides against its params (E0404/E0405), resolves
    /// the selection (E0407 with "did you mean"), fixes the instant and
    /// optimizes.
    pub fn prepare(program: &Program, options: &RunOptions) -> Result<Query, Error> {
        // The caller's zone replaces the declared one before anything reads
        // it: every engine takes the zone from the program.
        let overridden;
        let program = match options.timezone {
            Some(zone) => {
                let mut copy = program.clone();
                copy.set_timezone(zone);
                overridden = copy;
                &overridden
            }
            None => program,
        };
        let as_of = match options.as_of_date {
            Some(date) => seg_eval::num::midnight(program.timezone, date).ok_or_else(|| {
                Error::new(
                    "E0406",
                    "the --as-of date has no midnight Seg can represent in this time zone",
                    None,
                )
            })?,
            None => options
                .as_of
                .unwrap_or_else(|| chrono::Utc::now().timestamp_micros()),
        };
        let overrides = options
            .params
            .iter()
            .map(|assignment| {
                seg_check::parse_param_override(program, assignment).map_err(|e| Error {
                    code: e.code.as_str(),
                    message: e.message,
                    help: Some(e.help),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let params = seg_ir::param_values(program, &overrides);
        let (segments, priorities) = selection(program, &options.segments)?;
        let optimized = options.optimize.then(|| {
            // The optimizer recurses over expression trees as deep as the
            // parser allows; the extra stack keeps that safe on small thread
            // stacks.
            stacker::maybe_grow(4 * 1024 * 1024, 32 * 1024 * 1024, || {
                seg_opt::optimize(
                    program,
                    &seg_opt::Options {
                        params: Some(params.clone()),
                        as_of: options.fold_time.then_some(as_of),
                        share: true,
                    },
                )
            })
        });
        let (executed, trace, passes) = match optimized {
            Some(o) => (o.program, o.trace, o.passes),
            None => (program.clone(), Vec::new(), 0),
        };
        let selection = Selection::new(&executed, segments, priorities);
        Ok(Query {
            program: program.clone(),
            executed,
            optimized: options.optimize,
            time_folded: options.optimize && options.fold_time,
            trace,
            passes,
            overrides,
            params,
            as_of,
            selection,
            overlap: options.overlap,
        })
    }

    /// Whether runs of this query count the pairwise overlap of the
    /// reported segments (the `overlap` run option).
    pub fn counts_overlap(&self) -> bool {
        self.overlap
    }

    /// The program as checked (with the caller's zone, when one was given).
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The program the engines execute (optimized unless turned off).
    pub fn executed(&self) -> &Program {
        &self.executed
    }

    /// Whether the optimizer ran.
    pub fn is_optimized(&self) -> bool {
        self.optimized
    }

    /// Whether the optimizer folded relative time for [`Query::as_of`].
    pub fn is_time_folded(&self) -> bool {
        self.time_folded
    }

    /// Every rewrite the optimizer made, in order.
    pub fn trace(&self) -> &[seg_opt::Rewrite] {
        &self.trace
    }

    /// Optimizer passes run.
    pub fn passes(&self) -> usize {
        self.passes
    }

    /// The param overrides, parsed.
    pub fn overrides(&self) -> &[(ParamId, Const)] {
        &self.overrides
    }

    /// Every param's value, overrides applied.
    pub fn params(&self) -> &[Const] {
        &self.params
    }

    /// The instant of evaluation, microseconds since the Unix epoch.
    pub fn as_of(&self) -> i64 {
        self.as_of
    }

    /// The segments and priority groups reported, and what they need.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// The same query reporting other segments and groups (no new
    /// optimization: ids are those of [`Query::program`]).
    pub fn with_selection(&self, segments: Vec<SegmentId>, priorities: Vec<usize>) -> Query {
        let mut query = self.clone();
        query.selection = Selection::new(&self.executed, segments, priorities);
        query
    }

    /// The name of a reported segment.
    pub fn segment_name(&self, id: SegmentId) -> &str {
        self.program
            .segments
            .get(id.0 as usize)
            .map_or("?", |s| s.name.as_str())
    }

    /// The fields the reported segments read, plus the key: what a reader
    /// must load.
    pub fn required_fields(&self) -> Vec<FieldId> {
        self.selection.required_fields(&self.executed)
    }

    /// The names of [`Query::required_fields`].
    pub fn required_columns(&self) -> Vec<&str> {
        self.required_fields()
            .into_iter()
            .map(|f| self.program.schema.field(f).name.as_str())
            .collect()
    }

    /// The key field's name, when the schema declares one.
    pub fn key_name(&self) -> Option<&str> {
        let key = self.program.schema.key()?;
        Some(self.program.schema.field(key).name.as_str())
    }

    /// The reference evaluator of this query.
    pub fn evaluator(&self) -> seg_eval::Evaluator<'_> {
        seg_eval::Evaluator::with_params(
            &self.executed,
            self.params.clone(),
            self.as_of,
            self.selection.clone(),
        )
    }

    /// Binds the fields the query reads to the columns of `schema` (by name):
    /// a missing column (E0401) or one whose type cannot serve the field's
    /// (E0402) is a diagnostic located at the field's declaration.
    pub fn bind(&self, schema: &SchemaRef) -> Result<Binding, Vec<Diagnostic>> {
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        self.bind_among(schema, &names)
    }

    /// Like [`Query::bind`] for a reader that loads only some columns:
    /// `available` lists every column of the source, for "did you mean" help.
    pub fn bind_among(
        &self,
        schema: &SchemaRef,
        available: &[String],
    ) -> Result<Binding, Vec<Diagnostic>> {
        let columns = self.evaluator().bind_among(schema, available)?;
        Ok(Binding {
            columns,
            schema: schema.clone(),
        })
    }

    /// The statistics pruner of this query, for Parquet row groups and pages.
    #[cfg(feature = "formats")]
    pub fn pruner(&self) -> seg_prune::Pruner {
        seg_prune::Pruner::new(&self.executed, &self.params, self.as_of, &self.selection)
    }

    /// The schema of per-profile results for input of `input` schema: the
    /// key (when declared and read), one non-null boolean column per reported
    /// segment, one string column per reported priority group (the segment
    /// chosen, or null).
    pub fn result_schema(&self, input: &ArrowSchema) -> SchemaRef {
        let mut fields: Vec<Field> = Vec::new();
        if let Some(key) = self.key_name()
            && let Ok(index) = input.index_of(key)
        {
            fields.push(input.field(index).clone());
        }
        for &id in self.selection.segments() {
            fields.push(Field::new(self.segment_name(id), DataType::Boolean, false));
        }
        for &p in self.selection.priorities() {
            if let Some(group) = self.program.priorities.get(p) {
                fields.push(Field::new(&group.name, DataType::Utf8, true));
            }
        }
        Arc::new(ArrowSchema::new(fields))
    }

    /// The names of a priority group's choices: for each row, the name of
    /// the segment chosen, or null. `group` indexes
    /// [`Selection::priorities`]; `choices` is the matching array of a
    /// [`Membership`](crate::Membership).
    pub fn priority_names(&self, group: usize, choices: &UInt32Array) -> StringArray {
        let members: Vec<&str> = self
            .selection
            .priorities()
            .get(group)
            .and_then(|&p| self.program.priorities.get(p))
            .map(|g| g.segments.iter().map(|&id| self.segment_name(id)).collect())
            .unwrap_or_default();
        choices
            .iter()
            .map(|c| c.and_then(|i| members.get(i as usize).copied()))
            .collect()
    }

    /// The prepared program as SQL for `dialect`: the selected segments and
    /// priority groups of the executed program, at this query's instant and
    /// params ([`seg_sql::compile`]). Errors are located diagnostics of
    /// what the dialect cannot express exactly.
    pub fn sql(&self, dialect: seg_sql::Dialect) -> Result<seg_sql::Compiled, Vec<Diagnostic>> {
        seg_sql::compile(
            &self.executed,
            &self.params,
            self.as_of,
            &self.selection,
            dialect,
        )
    }

    /// The per-profile results of one batch, in [`Query::result_schema`].
    pub fn result_batch(
        &self,
        input: &RecordBatch,
        membership: &crate::Membership,
    ) -> Result<RecordBatch, Error> {
        let schema = self.result_schema(input.schema().as_ref());
        let mut columns: Vec<ArrayRef> = Vec::new();
        if let Some(key) = self.key_name()
            && let Ok(index) = input.schema().index_of(key)
        {
            columns.push(input.column(index).clone());
        }
        columns.extend(
            membership
                .segments
                .iter()
                .map(|a| Arc::new(a.clone()) as ArrayRef),
        );
        for (group, choices) in membership.priorities.iter().enumerate() {
            columns.push(Arc::new(self.priority_names(group, choices)));
        }
        RecordBatch::try_new(schema, columns)
            .map_err(|e| Error::new("E0801", format!("cannot assemble the results: {e}"), None))
    }

    /// The result of a batch whose rows statistics proved to be in no
    /// segment.
    pub fn no_members(&self, rows: usize) -> crate::Membership {
        crate::Membership {
            segments: self
                .selection
                .segments()
                .iter()
                .map(|_| BooleanArray::from(vec![false; rows]))
                .collect(),
            priorities: self
                .selection
                .priorities()
                .iter()
                .map(|_| UInt32Array::new_null(rows))
                .collect(),
        }
    }
}

/// A query's fields bound to the columns of one Arrow schema.
#[derive(Clone, Debug)]
pub struct Binding {
    pub(crate) columns: seg_eval::Binding,
    pub(crate) schema: SchemaRef,
}

impl Binding {
    /// The schema bound to.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The column index serving each field.
    pub fn columns(&self) -> &seg_eval::Binding {
        &self.columns
    }
}

/// Resolves names to segments and priority groups; none means all of them.
/// A list of only empty names is a usage error (E0407), not a run of every
/// segment.
fn selection(program: &Program, names: &[String]) -> Result<(Vec<SegmentId>, Vec<usize>), Error> {
    if !names.is_empty() && names.iter().all(|n| n.trim().is_empty()) {
        return Err(Error::new(
            "E0407",
            "`--segments` names no segment",
            Some(
                "name segments or priority groups separated by commas, or leave out `--segments` to run them all"
                    .into(),
            ),
        ));
    }
    if names.is_empty() {
        let all = Selection::all(program);
        return Ok((all.segments().to_vec(), all.priorities().to_vec()));
    }
    let mut segments = Vec::new();
    let mut priorities = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if let Some(id) = program.segment_id(name) {
            if !segments.contains(&id) {
                segments.push(id);
            }
        } else if let Some(p) = program.priorities.iter().position(|p| p.name == name) {
            if !priorities.contains(&p) {
                priorities.push(p);
            }
        } else {
            let candidates = program
                .segments
                .iter()
                .map(|s| s.name.as_str())
                .chain(program.priorities.iter().map(|p| p.name.as_str()));
            return Err(Error::new(
                "E0407",
                format!("the rules have no segment or priority group `{name}`"),
                Some(match seg_diagnostics::did_you_mean(name, candidates) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => {
                        "`seg check` lists problems; the segment names are those after `segment`"
                            .into()
                    }
                }),
            ));
        }
    }
    Ok((segments, priorities))
}
