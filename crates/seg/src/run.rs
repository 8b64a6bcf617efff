//! Running a compiled query over a stream of batches: evaluation in parallel
//! with bounded memory, results handed to a [`Sink`] in input order, sizes
//! counted on the way.

use crate::error::RunError;
use crate::exec::Executor;
use crate::input::{Input, PruneReport};
use crate::{Error, Membership};
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Where per-profile results go, batch by batch in input order (a results
/// file, a table in memory, a message queue).
pub trait Sink {
    /// Takes the results of one input batch. `batch` holds the input rows
    /// (for batches statistics skipped, only the key column), `membership`
    /// their results.
    fn write(&mut self, batch: &RecordBatch, membership: &Membership) -> Result<(), Error>;
}

/// A sink that keeps nothing: a run that only counts.
pub struct Discard;

impl Sink for Discard {
    fn write(&mut self, _: &RecordBatch, _: &Membership) -> Result<(), Error> {
        Ok(())
    }
}

/// Writes [`Query::result_batch`](crate::Query::result_batch)es to any Arrow
/// writer (IPC, Parquet, CSV, JSON, ...): the key, one boolean column per
/// segment, one string column per priority group.
pub struct WriterSink<'q, W> {
    query: &'q crate::Query,
    writer: W,
}

impl<'q, W: arrow::record_batch::RecordBatchWriter> WriterSink<'q, W> {
    /// Results of `query` into `writer` (made for
    /// [`Query::result_schema`](crate::Query::result_schema)).
    pub fn new(query: &'q crate::Query, writer: W) -> Self {
        WriterSink { query, writer }
    }

    /// The writer, to finish it.
    pub fn into_inner(self) -> W {
        self.writer
    }
}

impl<W: arrow::record_batch::RecordBatchWriter> Sink for WriterSink<'_, W> {
    fn write(&mut self, batch: &RecordBatch, membership: &Membership) -> Result<(), Error> {
        let results = self.query.result_batch(batch, membership)?;
        self.writer
            .write(&results)
            .map_err(|e| Error::new("E0801", format!("cannot write the results: {e}"), None))
    }
}

/// Told how a run advances (a progress bar, a log line).
pub trait Progress: Sync {
    /// The run starts; `total` rows when the input says.
    fn start(&self, total: Option<u64>) {
        let _ = total;
    }
    /// `rows` more profiles were evaluated and handed to the sink.
    fn advance(&self, rows: u64);
    /// `done` of the input's `total` row groups are evaluated (Parquet, when
    /// the reader knows each group's rows; see [`Input::row_groups`]). Called
    /// once with `done == 0` after [`start`](Progress::start), then as groups
    /// complete.
    fn row_groups(&self, done: u64, total: u64) {
        let _ = (done, total);
    }
    /// The run is over.
    fn finish(&self) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn advance(&self, _: u64) {}
}

/// Segment sizes accumulated over a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sizes {
    /// Profiles seen (including those statistics proved in no segment).
    pub profiles: u64,
    /// Members of each reported segment, in selection order.
    pub members: Vec<u64>,
    /// Per reported priority group: profiles assigned to each of its
    /// segments, in the group's order.
    pub assigned: Vec<Vec<u64>>,
    /// Per reported priority group: profiles in none of its segments.
    pub unassigned: Vec<u64>,
    /// When the query counts overlap (the `overlap` field of
    /// [`RunOptions`](crate::RunOptions)):
    /// `overlap[i][j]` is the number of profiles in both reported segments
    /// `i` and `j` (selection order), so the diagonal is `members`.
    pub overlap: Option<Vec<Vec<u64>>>,
}

/// Two reported segments and the profiles they share, from
/// [`Sizes::overlap_pairs`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OverlapPair {
    /// The first segment's position in the selection.
    pub first: usize,
    /// The second segment's position in the selection (after `first`).
    pub second: usize,
    /// Profiles in both.
    pub both: u64,
    /// `both` over the profiles in either (the Jaccard index), 0 when
    /// neither has a member.
    pub jaccard: f64,
}

/// The Jaccard index of two sets of `a` and `b` members sharing `both`:
/// shared over either, 0 for two empty sets.
pub fn jaccard(both: u64, a: u64, b: u64) -> f64 {
    let either = (a + b).saturating_sub(both);
    if either == 0 {
        0.0
    } else {
        both as f64 / either as f64
    }
}

impl Sizes {
    /// Zero sizes for a query's selection.
    pub fn new(query: &crate::Query) -> Sizes {
        let groups = query.selection().priorities();
        Sizes {
            profiles: 0,
            members: vec![0; query.selection().segments().len()],
            assigned: groups
                .iter()
                .map(|&p| {
                    vec![
                        0;
                        query
                            .program()
                            .priorities
                            .get(p)
                            .map_or(0, |g| g.segments.len())
                    ]
                })
                .collect(),
            unassigned: vec![0; groups.len()],
            overlap: query.counts_overlap().then(|| {
                let k = query.selection().segments().len();
                vec![vec![0; k]; k]
            }),
        }
    }

    /// Every pair of reported segments with the profiles they share, the
    /// largest overlap first (ties in selection order); empty when the run
    /// did not count overlap.
    pub fn overlap_pairs(&self) -> Vec<OverlapPair> {
        let Some(matrix) = &self.overlap else {
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for (first, row) in matrix.iter().enumerate() {
            for (second, &both) in row.iter().enumerate().skip(first + 1) {
                let a = self.members.get(first).copied().unwrap_or(0);
                let b = self.members.get(second).copied().unwrap_or(0);
                pairs.push(OverlapPair {
                    first,
                    second,
                    both,
                    jaccard: jaccard(both, a, b),
                });
            }
        }
        // A stable sort keeps pairs of equal overlap in selection order.
        pairs.sort_by_key(|p| std::cmp::Reverse(p.both));
        pairs
    }

    /// Adds the results of one batch of `rows` profiles.
    pub fn add(&mut self, rows: usize, membership: &Membership) {
        self.profiles += rows as u64;
        for (total, array) in self.members.iter_mut().zip(&membership.segments) {
            *total += count_members(array) as u64;
        }
        if let Some(matrix) = &mut self.overlap {
            add_overlap(matrix, &membership.segments);
        }
        for ((counts, none), choices) in self
            .assigned
            .iter_mut()
            .zip(self.unassigned.iter_mut())
            .zip(&membership.priorities)
        {
            use arrow::array::Array;
            *none += choices.null_count() as u64;
            for choice in choices.iter().flatten() {
                if let Some(count) = counts.get_mut(choice as usize) {
                    *count += 1;
                }
            }
        }
    }

    /// Profiles proven to be in no segment, never read.
    pub fn add_unread(&mut self, rows: u64) {
        self.profiles += rows;
        for none in &mut self.unassigned {
            *none += rows;
        }
    }
}

/// Adds one batch's pairwise overlap to `matrix`: each segment's membership
/// as 64-row words once, then per pair the AND of the words, counted with a
/// popcount (no per-row loop, no re-evaluation).
fn add_overlap(matrix: &mut [Vec<u64>], segments: &[arrow::array::BooleanArray]) {
    let words: Vec<Vec<u64>> = segments.iter().map(member_words).collect();
    for (i, a) in words.iter().enumerate() {
        for (j, b) in words.iter().enumerate().skip(i) {
            let both: u64 = a
                .iter()
                .zip(b)
                .map(|(x, y)| u64::from((x & y).count_ones()))
                .sum();
            if let Some(cell) = matrix.get_mut(i).and_then(|row| row.get_mut(j)) {
                *cell += both;
            }
            if i != j
                && let Some(cell) = matrix.get_mut(j).and_then(|row| row.get_mut(i))
            {
                *cell += both;
            }
        }
    }
}

/// The members of a membership array as little-endian 64-row words, from
/// its first row whatever the offset of a sliced array, the bits past its
/// end zero; a null (which engines do not produce) is not a member.
fn member_words(array: &arrow::array::BooleanArray) -> Vec<u64> {
    use arrow::array::Array;
    fn words(bits: &arrow::buffer::BooleanBuffer) -> Vec<u64> {
        let chunks = bits.inner().bit_chunks(bits.offset(), bits.len());
        let mut words: Vec<u64> = chunks.iter().collect();
        if chunks.remainder_len() > 0 {
            words.push(chunks.remainder_bits());
        }
        words
    }
    let mut members = words(array.values());
    if let Some(nulls) = array.nulls() {
        for (word, valid) in members.iter_mut().zip(words(nulls.inner())) {
            *word &= valid;
        }
    }
    members
}

/// Members of a membership array (set bits), counted 64 rows at a time.
fn count_members(array: &arrow::array::BooleanArray) -> usize {
    #[cfg(feature = "jit")]
    {
        seg_jit::count_members(array)
    }
    #[cfg(not(feature = "jit"))]
    {
        array.true_count()
    }
}

/// Worker threads per core at most: more only adds scheduling and memory
/// (each worker holds batches), and a huge request would spend minutes
/// starting threads.
pub const THREADS_PER_CORE: usize = 4;

/// The worker threads for a requested count: all cores when `None`, at
/// least one, and at most [`THREADS_PER_CORE`] per core.
pub fn worker_threads(requested: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores.saturating_mul(THREADS_PER_CORE);
    requested.map_or(cores, |n| n.clamp(1, cap))
}

/// The most rows a run evaluates as one batch. A larger batch (a table
/// built in memory is often one chunk of millions of rows) is cut into
/// slices of this many rows, which share its buffers: so that the workers
/// share the work, the results of a batch stay small, and a sink hears from
/// the run often (a Python caller checks for Ctrl-C there).
pub const MAX_BATCH_ROWS: usize = 65_536;

/// The batches of an input, each cut into slices of at most
/// [`MAX_BATCH_ROWS`] rows.
struct Slices {
    inner: Box<dyn Iterator<Item = Result<crate::InputBatch, Error>> + Send>,
    /// The part of a large batch not handed out yet.
    rest: Option<crate::InputBatch>,
}

impl Iterator for Slices {
    type Item = Result<crate::InputBatch, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = match self.rest.take() {
            Some(rest) => rest,
            None => match self.inner.next()? {
                Ok(batch) => batch,
                Err(e) => return Some(Err(e)),
            },
        };
        let rows = batch.batch.num_rows();
        if rows <= MAX_BATCH_ROWS {
            return Some(Ok(batch));
        }
        self.rest = Some(crate::InputBatch {
            batch: batch.batch.slice(MAX_BATCH_ROWS, rows - MAX_BATCH_ROWS),
            skipped: batch.skipped,
        });
        Some(Ok(crate::InputBatch {
            batch: batch.batch.slice(0, MAX_BATCH_ROWS),
            skipped: batch.skipped,
        }))
    }
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Segment and priority sizes.
    pub sizes: Sizes,
    /// What statistics pruning skipped, for Parquet input.
    pub pruning: Option<PruneReport>,
    /// The engine that ran: `"jit"` or `"interp"`.
    pub engine: &'static str,
    /// Worker threads.
    pub threads: usize,
    /// Wall time of the run (reading, evaluating, writing).
    pub elapsed: Duration,
}

/// What one segment costs to evaluate, measured on its own.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SegmentCost {
    /// The segment.
    pub segment: String,
    /// Nanoseconds per row: the fastest of a few passes over the sample.
    pub ns_per_row: f64,
}

/// Each selected segment of `executor`'s query timed alone on `sample` (a
/// batch of the run's input, for the same binding), slowest first. Each
/// segment is compiled on its own with the executor's engine, so its cost
/// includes the segments it refers to and excludes compiling; the time is
/// the fastest of three passes, which keeps a busy machine's pauses out.
/// The whole program shares work between segments, so the costs need not
/// add up to a run's time: they rank segments, they do not split the run.
pub fn segment_costs(
    executor: &Executor<'_>,
    sample: &RecordBatch,
) -> Result<Vec<SegmentCost>, seg_diagnostics::Diagnostic> {
    let query = executor.query();
    let engine = match executor.engine() {
        #[cfg(feature = "jit")]
        "jit" => crate::Engine::Jit,
        _ => crate::Engine::Interp,
    };
    let rows = sample.num_rows().max(1) as f64;
    let mut costs = Vec::new();
    for &id in query.selection().segments() {
        let one = query.with_selection(vec![id], Vec::new());
        let alone = one.compile(engine, executor.binding())?;
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let started = Instant::now();
            alone.evaluate(sample)?;
            best = best.min(started.elapsed());
        }
        costs.push(SegmentCost {
            segment: query.segment_name(id).to_string(),
            ns_per_row: best.as_secs_f64() * 1e9 / rows,
        });
    }
    costs.sort_by(|a, b| b.ns_per_row.total_cmp(&a.ns_per_row));
    Ok(costs)
}

/// Runs `executor` over every batch of `input` on `threads` workers,
/// handing results to `sink` in input order, and returns the sizes. A few
/// batches per worker are read, evaluated in parallel, then counted and
/// written in order, so memory stays bounded by that window. Batches
/// statistics skipped are not evaluated: their profiles are in no segment.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use arrow::array::{Int64Array, RecordBatch};
/// use std::sync::Arc;
///
/// let checked = seg::check_source(
///     "rules.seg".as_ref(),
///     "schema { orders: int }\nsegment buyers { where orders > 0 }\n",
/// );
/// let program = checked.program.ok_or("the rules have errors")?;
/// let query = seg::Query::prepare(&program, &seg::RunOptions::default())?;
///
/// let orders = Int64Array::from(vec![Some(3), Some(0), None]);
/// let batch = RecordBatch::try_from_iter([("orders", Arc::new(orders) as _)])?;
/// let binding = query.bind(&batch.schema()).map_err(|d| d[0].message.clone())?;
/// let executor = query.compile(seg::Engine::Auto, &binding)?;
///
/// let input = seg::Input::from_batches(batch.schema(), vec![batch]);
/// let report = seg::run(&executor, input, &mut seg::Discard, &seg::Silent, 1)?;
/// assert_eq!(report.sizes.members, [1]);
/// assert_eq!(report.sizes.profiles, 3);
/// # Ok(())
/// # }
/// ```
pub fn run(
    executor: &Executor<'_>,
    mut input: Input,
    sink: &mut dyn Sink,
    progress: &dyn Progress,
    threads: usize,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let query = executor.query();
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            Error::new(
                "E0801",
                format!("cannot start {threads} worker threads: {e}"),
                Some("pass a smaller --threads".into()),
            )
        })?;
    let mut sizes = Sizes::new(query);
    progress.start(input.total_rows);
    // Where each row group ends, in rows from the start: a group is done
    // when the rows handed on reach its end.
    let group_ends: Vec<u64> = input
        .row_groups
        .take()
        .unwrap_or_default()
        .iter()
        .scan(0u64, |end, rows| {
            *end += rows;
            Some(*end)
        })
        .collect();
    let total_groups = group_ends.len() as u64;
    let (mut rows_done, mut groups_done) = (0u64, 0usize);
    if total_groups > 0 {
        progress.row_groups(0, total_groups);
    }
    let window = threads * 2;
    let mut batches = Slices {
        inner: std::mem::replace(&mut input.batches, Box::new(std::iter::empty())),
        rest: None,
    };
    loop {
        let mut chunk = Vec::with_capacity(window);
        for _ in 0..window {
            match batches.next() {
                Some(Ok(batch)) => chunk.push(batch),
                Some(Err(e)) => return Err(e.into()),
                None => break,
            }
        }
        if chunk.is_empty() {
            break;
        }
        let evaluate = |input: &crate::InputBatch| {
            if input.skipped {
                Ok(query.no_members(input.batch.num_rows()))
            } else {
                executor.evaluate(&input.batch)
            }
        };
        // One worker evaluates on this thread: handing a batch to a pool
        // thread and waiting for it costs a wake-up per batch.
        let results: Vec<Result<Membership, _>> = if threads == 1 {
            chunk.iter().map(evaluate).collect()
        } else {
            pool.install(|| chunk.par_iter().map(evaluate).collect())
        };
        for (input, result) in chunk.iter().zip(results) {
            let membership = result?;
            sizes.add(input.batch.num_rows(), &membership);
            sink.write(&input.batch, &membership)?;
            progress.advance(input.batch.num_rows() as u64);
            rows_done += input.batch.num_rows() as u64;
            let before = groups_done;
            while group_ends
                .get(groups_done)
                .is_some_and(|&end| rows_done >= end)
            {
                groups_done += 1;
            }
            if groups_done != before {
                progress.row_groups(groups_done as u64, total_groups);
            }
        }
    }
    progress.finish();
    sizes.add_unread(input.unread_rows);
    Ok(RunReport {
        sizes,
        pruning: input.pruning.take(),
        engine: executor.engine(),
        threads,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, BooleanArray};

    /// A query over `k` segments `s0`, `s1`, ... on one int field, counting
    /// overlap.
    fn query(k: usize) -> crate::Query {
        let mut text = String::from("schema {\n  n: int\n}\n");
        for i in 0..k {
            text.push_str(&format!("segment s{i} {{ where n > {i} }}\n"));
        }
        let checked = crate::check_source("rules.seg".as_ref(), &text);
        let program = checked.program.expect("valid rules");
        crate::Query::prepare(&program, &crate::RunOptions::default().overlap(true))
            .expect("prepared")
    }

    /// The overlap matrix counted row by row, the slow way.
    fn naive(arrays: &[Vec<bool>]) -> Vec<Vec<u64>> {
        arrays
            .iter()
            .map(|a| {
                arrays
                    .iter()
                    .map(|b| a.iter().zip(b).filter(|(x, y)| **x && **y).count() as u64)
                    .collect()
            })
            .collect()
    }

    /// Deterministic pseudo-random membership bits.
    fn bits(seed: u64, len: usize) -> Vec<bool> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33).is_multiple_of(3)
            })
            .collect()
    }

    fn membership(arrays: Vec<BooleanArray>) -> Membership {
        Membership {
            segments: arrays,
            priorities: Vec::new(),
        }
    }

    #[test]
    fn overlap_over_several_batches_equals_counting_rows() {
        let q = query(3);
        let mut sizes = Sizes::new(&q);
        let mut whole: Vec<Vec<bool>> = vec![Vec::new(); 3];
        for (batch, len) in [130usize, 64, 1, 200].into_iter().enumerate() {
            let columns: Vec<Vec<bool>> =
                (0..3).map(|s| bits((batch * 7 + s) as u64, len)).collect();
            for (w, c) in whole.iter_mut().zip(&columns) {
                w.extend(c);
            }
            sizes.add(
                len,
                &membership(
                    columns
                        .iter()
                        .map(|c| BooleanArray::from(c.clone()))
                        .collect(),
                ),
            );
        }
        assert_eq!(sizes.overlap, Some(naive(&whole)));
        let diagonal: Vec<u64> = (0..3).map(|i| naive(&whole)[i][i]).collect();
        assert_eq!(sizes.members, diagonal);
    }

    #[test]
    fn sliced_arrays_at_unaligned_offsets() {
        let q = query(2);
        let (a, b) = (bits(1, 300), bits(2, 300));
        for (offset, len) in [(3usize, 100usize), (61, 129), (64, 64), (7, 0)] {
            let mut sizes = Sizes::new(&q);
            let sliced_a = BooleanArray::from(a.clone()).slice(offset, len);
            let sliced_b = BooleanArray::from(b.clone()).slice(offset + 1, len);
            assert_eq!(sliced_a.offset(), offset);
            sizes.add(len, &membership(vec![sliced_a, sliced_b]));
            let expected = naive(&[
                a[offset..offset + len].to_vec(),
                b[offset + 1..offset + 1 + len].to_vec(),
            ]);
            assert_eq!(sizes.overlap, Some(expected), "offset {offset}, {len} rows");
        }
    }

    #[test]
    fn no_segment_one_segment_and_off_by_default() {
        let mut none = Sizes::new(&query(0));
        none.add(5, &membership(Vec::new()));
        assert_eq!(none.overlap, Some(Vec::new()));
        assert!(none.overlap_pairs().is_empty());

        let mut one = Sizes::new(&query(1));
        one.add(
            3,
            &membership(vec![BooleanArray::from(vec![true, false, true])]),
        );
        assert_eq!(one.overlap, Some(vec![vec![2]]));
        assert!(one.overlap_pairs().is_empty());

        let checked = crate::check_source(
            "r.seg".as_ref(),
            "schema {\n  n: int\n}\nsegment a { where n > 0 }\n",
        );
        let program = checked.program.expect("valid rules");
        let plain =
            crate::Query::prepare(&program, &crate::RunOptions::default()).expect("prepared");
        assert_eq!(Sizes::new(&plain).overlap, None);
    }

    #[test]
    fn pairs_come_largest_first_with_jaccard() {
        let q = query(3);
        let mut sizes = Sizes::new(&q);
        sizes.add(
            4,
            &membership(vec![
                BooleanArray::from(vec![true, true, true, false]),
                BooleanArray::from(vec![true, false, false, false]),
                BooleanArray::from(vec![true, true, false, true]),
            ]),
        );
        let pairs = sizes.overlap_pairs();
        let found: Vec<(usize, usize, u64)> =
            pairs.iter().map(|p| (p.first, p.second, p.both)).collect();
        assert_eq!(found, [(0, 2, 2), (0, 1, 1), (1, 2, 1)]);
        assert!((pairs[0].jaccard - 0.5).abs() < 1e-12);
        assert_eq!(jaccard(0, 0, 0), 0.0);
    }
}

#[cfg(test)]
mod progress_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use arrow::array::{Int64Array, RecordBatch};
    use std::sync::{Arc, Mutex};

    /// Records what a run tells its progress.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl super::Progress for Recorder {
        fn start(&self, total: Option<u64>) {
            self.0.lock().unwrap().push(format!("start {total:?}"));
        }
        fn advance(&self, rows: u64) {
            self.0.lock().unwrap().push(format!("+{rows}"));
        }
        fn row_groups(&self, done: u64, total: u64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("groups {done}/{total}"));
        }
        fn finish(&self) {
            self.0.lock().unwrap().push("finish".into());
        }
    }

    #[test]
    fn a_run_reports_row_groups_as_their_rows_are_done() {
        let checked = crate::check_source(
            "rules.seg".as_ref(),
            "schema { orders: int }\nsegment buyers { where orders > 0 }\n",
        );
        let program = checked.program.unwrap();
        let query = crate::Query::prepare(&program, &crate::RunOptions::default()).unwrap();
        let batch = |n: i64| {
            let orders = Int64Array::from((0..n).collect::<Vec<_>>());
            RecordBatch::try_from_iter([("orders", Arc::new(orders) as _)]).unwrap()
        };
        let batches = vec![batch(1), batch(1), batch(3)];
        let binding = query.bind(&batches[0].schema()).unwrap();
        let executor = query.compile(crate::Engine::Interp, &binding).unwrap();
        let mut input = crate::Input::from_batches(batches[0].schema(), batches);
        // Two groups: 2 rows, then 3.
        input.row_groups = Some(vec![2, 3]);
        let recorder = Recorder::default();
        let report = super::run(&executor, input, &mut super::Discard, &recorder, 1).unwrap();
        assert_eq!(report.sizes.profiles, 5);
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [
                "start Some(5)",
                "groups 0/2",
                "+1",
                "+1",
                "groups 1/2",
                "+3",
                "groups 2/2",
                "finish"
            ]
        );
    }

    /// Records the rows of each batch a sink is given.
    struct Rows(Vec<usize>);

    impl super::Sink for Rows {
        fn write(
            &mut self,
            batch: &RecordBatch,
            _: &crate::Membership,
        ) -> Result<(), crate::Error> {
            self.0.push(batch.num_rows());
            Ok(())
        }
    }

    #[test]
    fn a_large_batch_is_evaluated_in_slices() {
        let checked = crate::check_source(
            "rules.seg".as_ref(),
            "schema { orders: int }\nsegment odd { where orders % 2 == 1 }\n",
        );
        let program = checked.program.unwrap();
        let query = crate::Query::prepare(&program, &crate::RunOptions::default()).unwrap();
        let rows = 3 * super::MAX_BATCH_ROWS + 3_392;
        let orders = Int64Array::from((0..rows as i64).collect::<Vec<_>>());
        let batch = RecordBatch::try_from_iter([("orders", Arc::new(orders) as _)]).unwrap();
        let binding = query.bind(&batch.schema()).unwrap();
        for engine in [crate::Engine::Interp, crate::Engine::Auto] {
            let executor = query.compile(engine, &binding).unwrap();
            let input = crate::Input::from_batches(batch.schema(), vec![batch.clone()]);
            let mut sink = Rows(Vec::new());
            let report = super::run(&executor, input, &mut sink, &super::Silent, 2).unwrap();
            assert_eq!(sink.0, [65_536, 65_536, 65_536, 3_392]);
            assert_eq!(report.sizes.profiles, rows as u64);
            assert_eq!(report.sizes.members, [rows as u64 / 2]);
        }
    }
}
