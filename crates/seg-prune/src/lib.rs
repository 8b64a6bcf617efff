//! Parquet row-group and page pruning derived from a checked Seg program.
//!
//! A [`Pruner`] compiles the segments a run reports (and the segments of the
//! priority groups it reports) into a sound range analysis: given what the
//! Parquet statistics say about each column over some rows (bounds of the
//! present values, whether values may be missing, whether all are), it
//! computes the truth values each condition *may* take on those rows, with
//! Kleene logic over sets of truth values. Rows where no reported segment can
//! be TRUE hold no member and need not be read; [`Pruner::plan`] turns that
//! into the row groups to read and a page-level [`RowSelection`].
//!
//! Soundness is the one requirement: whatever is not understood (arithmetic,
//! functions, lists, statistics that cannot be trusted) may take every value,
//! so it never causes a row with a member to be skipped.
//!
//! ```no_run
//! # fn demo(program: &seg_ir::Program, file: std::fs::File) -> Result<(), Box<dyn std::error::Error>> {
//! use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
//! use parquet::file::metadata::PageIndexPolicy;
//! let params = seg_ir::param_values(program, &[]);
//! let selection = seg_ir::Selection::all(program);
//! let pruner = seg_prune::Pruner::new(program, &params, 1_795_478_400_000_000, &selection);
//! let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
//! let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)?;
//! let plan = pruner.plan(builder.metadata(), builder.schema());
//! let mut builder = builder.with_row_groups(plan.row_groups.clone());
//! if let Some(selection) = plan.selection.clone() {
//!     builder = builder.with_row_selection(selection);
//! }
//! # Ok(()) }
//! ```

mod analysis;
mod describe;
mod stats;
mod value;

use analysis::{Analysis, Compiler, Node};
use arrow::datatypes::Schema as ArrowSchema;
use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use parquet::file::metadata::ParquetMetaData;
use seg_ir::{Const, FieldId, Program, SegmentId, Selection};
use value::FieldFacts;

/// Decides, from Parquet statistics, which rows may hold a member of the
/// segments a run reports.
#[derive(Clone, Debug)]
pub struct Pruner {
    /// Field names and types, by field id.
    fields: Vec<(String, seg_ir::Type)>,
    /// Compiled `where` and `exclude` of every segment (only those the
    /// targets need are compiled; the others are left unknown).
    segments: Vec<(Node, Option<Node>)>,
    /// The segments whose membership decides whether rows are needed: the
    /// reported segments and the segments of the reported priority groups.
    targets: Vec<SegmentId>,
    /// Fields the needed segments read.
    used: Vec<FieldId>,
    /// Per-field necessary ranges, rendered.
    description: String,
}

/// What to read of one Parquet file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Row groups to read, ascending.
    pub row_groups: Vec<usize>,
    /// Row groups that cannot hold a member, ascending.
    pub skipped_row_groups: Vec<usize>,
    /// Rows to read within the kept row groups, relative to their
    /// concatenation (as `ParquetRecordBatchReaderBuilder::with_row_selection`
    /// expects together with `with_row_groups(row_groups)`); `None` when no
    /// page range can be skipped.
    pub selection: Option<RowSelection>,
    /// Rows of kept row groups skipped by page statistics.
    pub rows_skipped_by_pages: u64,
    /// Page ranges examined: the rows of each row group that passed the
    /// row-group test, split at every page boundary of every column the
    /// program reads (with one column, these are its pages).
    pub pages_total: usize,
    /// Page ranges that cannot hold a member. A row group all of whose page
    /// ranges are skipped moves to `skipped_row_groups`; its ranges still
    /// count here.
    pub pages_skipped: usize,
}

impl Pruner {
    /// `params` are the program's param values with overrides applied;
    /// `selection` is what the run reports.
    pub fn new(program: &Program, params: &[Const], as_of: i64, selection: &Selection) -> Pruner {
        let mut targets: Vec<SegmentId> = selection.segments().to_vec();
        for &p in selection.priorities() {
            if let Some(group) = program.priorities.get(p) {
                targets.extend(group.segments.iter().copied());
            }
        }
        targets.sort();
        targets.dedup();
        // Every segment the targets reference, transitively.
        let mut needed = vec![false; program.segments.len()];
        for id in selection.order() {
            if let Some(flag) = needed.get_mut(id.0 as usize) {
                *flag = true;
            }
        }
        let compiler = Compiler {
            program,
            params,
            as_of,
        };
        let mut used = vec![false; program.schema.fields.len()];
        let segments_compiled = program
            .segments
            .iter()
            .zip(&needed)
            .map(|(segment, &needed)| {
                if !needed {
                    return (Node::Top, None);
                }
                let mut refs = Vec::new();
                seg_ir::field_refs(&segment.where_, &mut refs);
                if let Some(exclude) = &segment.exclude {
                    seg_ir::field_refs(exclude, &mut refs);
                }
                for (field, _) in refs {
                    if let Some(u) = used.get_mut(field.0 as usize) {
                        *u = true;
                    }
                }
                (
                    compiler.compile(&segment.where_),
                    segment.exclude.as_ref().map(|e| compiler.compile(e)),
                )
            })
            .collect::<Vec<_>>();
        let fields: Vec<(String, seg_ir::Type)> = program
            .schema
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.ty.clone()))
            .collect();
        let description = describe::describe(&segments_compiled, &targets, &fields);
        Pruner {
            fields,
            segments: segments_compiled,
            targets,
            used: used
                .iter()
                .enumerate()
                .filter(|(_, u)| **u)
                .map(|(i, _)| FieldId(u32::try_from(i).unwrap_or(u32::MAX)))
                .collect(),
            description,
        }
    }

    /// Whether any target may have a member among rows with these facts.
    fn may_match(&self, facts: &[FieldFacts]) -> bool {
        let mut analysis = Analysis::new(&self.segments, facts);
        self.targets.iter().any(|&id| analysis.may_be_member(id))
    }

    /// Which row groups (and, within them, which row ranges) can hold a member
    /// of any reported segment or an assigned priority. `file_schema` is the
    /// file's Arrow schema from the reader builder. Page ranges are only
    /// considered when `metadata` holds the page index
    /// (`ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional)`).
    pub fn plan(&self, metadata: &ParquetMetaData, file_schema: &ArrowSchema) -> Plan {
        let groups = metadata.num_row_groups();
        let columns: Vec<(FieldId, stats::ColumnStats)> = self
            .used
            .iter()
            .filter_map(|&id| {
                let (name, ty) = self.fields.get(id.0 as usize)?;
                Some((id, stats::column_stats(metadata, file_schema, name, ty)?))
            })
            .collect();
        let unknown = vec![FieldFacts::unknown(); self.fields.len()];
        let mut plan = Plan::default();
        let mut selectors: Vec<RowSelector> = Vec::new();
        for g in 0..groups {
            let rows = u64::try_from(metadata.row_group(g).num_rows()).unwrap_or(0);
            let mut facts = unknown.clone();
            for (id, column) in &columns {
                if let (Some(slot), Some(f)) = (facts.get_mut(id.0 as usize), column.groups.get(g))
                {
                    *slot = f.clone();
                }
            }
            if rows == 0 || !self.may_match(&facts) {
                plan.skipped_row_groups.push(g);
                continue;
            }
            let ranges = self.page_ranges(&columns, &facts, g, rows);
            plan.pages_total += ranges.len();
            let skipped = ranges.iter().filter(|(_, _, keep)| !keep).count();
            plan.pages_skipped += skipped;
            if skipped == ranges.len() && !ranges.is_empty() {
                plan.skipped_row_groups.push(g);
                continue;
            }
            plan.row_groups.push(g);
            for (start, end, keep) in ranges {
                let n = usize::try_from(end - start).unwrap_or(usize::MAX);
                if !keep {
                    plan.rows_skipped_by_pages += end - start;
                }
                match selectors.last_mut() {
                    Some(last) if last.skip != keep => last.row_count += n,
                    _ => selectors.push(if keep {
                        RowSelector::select(n)
                    } else {
                        RowSelector::skip(n)
                    }),
                }
            }
        }
        if selectors.iter().any(|s| s.skip) {
            plan.selection = Some(RowSelection::from(selectors));
        }
        plan
    }

    /// Splits a row group at every page boundary of every used column and
    /// decides each range: `(first row, end row, may hold a member)`. A
    /// range's facts for a column are those of the page covering it, met with
    /// the row group's (both hold for every row of the range).
    fn page_ranges(
        &self,
        columns: &[(FieldId, stats::ColumnStats)],
        group_facts: &[FieldFacts],
        g: usize,
        rows: u64,
    ) -> Vec<(u64, u64, bool)> {
        let paged: Vec<(FieldId, &stats::PageFacts)> = columns
            .iter()
            .filter_map(|(id, c)| Some((*id, c.pages.get(g)?.as_ref()?)))
            .collect();
        if paged.is_empty() {
            return Vec::new();
        }
        let mut bounds: Vec<u64> = vec![0, rows];
        for (_, (starts, _)) in &paged {
            bounds.extend(starts.iter().copied().filter(|&s| s < rows));
        }
        bounds.sort_unstable();
        bounds.dedup();
        bounds
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                let mut facts = group_facts.to_vec();
                for (id, (starts, page_facts)) in &paged {
                    // The page covering `start`: the last one starting at or before it.
                    let page = starts.partition_point(|&s| s <= start).checked_sub(1);
                    if let (Some(slot), Some(f)) = (
                        facts.get_mut(id.0 as usize),
                        page.and_then(|p| page_facts.get(p)),
                    ) {
                        *slot = slot.meet(f);
                    }
                }
                (start, end, self.may_match(&facts))
            })
            .collect()
    }

    /// Per-field ranges derived from the program, one line per field: the
    /// values a row must have (as compared) to be a member of some reported
    /// segment, e.g. `lifetime_value: [500, +inf)`. Fields without such a
    /// range are not listed; an empty string when none has one.
    pub fn describe(&self) -> String {
        self.description.clone()
    }
}
