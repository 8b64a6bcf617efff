//! Helpers shared by the pruning tests: compile a program, write a Parquet
//! file with chosen row-group and page sizes, plan, and check a plan against
//! the reference evaluator over every row.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::{Array, BooleanArray};
use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use seg_ir::{Const, Program, SegmentId};
use seg_prune::{Plan, Pruner};
use std::fs::File;

pub use seg_testkit::{AS_OF, batch, program};

/// How to write a test file.
#[derive(Clone, Debug)]
pub struct Layout {
    pub group_rows: usize,
    pub page_rows: usize,
    pub statistics: EnabledStatistics,
    pub truncate: Option<usize>,
    pub dictionary: bool,
    /// Rows per write batch (pages end only between batches); `page_rows` when `None`.
    pub batch_rows: Option<usize>,
    /// Page size limit in bytes, when not the default.
    pub page_bytes: Option<usize>,
}

impl Layout {
    pub fn new(group_rows: usize, page_rows: usize) -> Self {
        Layout {
            group_rows,
            page_rows,
            statistics: EnabledStatistics::Page,
            truncate: None,
            dictionary: true,
            batch_rows: None,
            page_bytes: None,
        }
    }
}

/// Writes the batch to a temporary Parquet file.
pub fn write(batch: &RecordBatch, layout: &Layout) -> File {
    let file = tempfile::tempfile().unwrap();
    let mut props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(layout.group_rows.max(1)))
        .set_data_page_row_count_limit(layout.page_rows.max(1))
        .set_write_batch_size(layout.batch_rows.unwrap_or(layout.page_rows).max(1))
        .set_statistics_enabled(layout.statistics)
        .set_statistics_truncate_length(layout.truncate)
        .set_column_index_truncate_length(layout.truncate)
        .set_dictionary_enabled(layout.dictionary);
    if let Some(bytes) = layout.page_bytes {
        props = props.set_data_page_size_limit(bytes);
    }
    let props = props.build();
    let mut writer =
        ArrowWriter::try_new(file.try_clone().unwrap(), batch.schema(), Some(props)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
    file
}

fn builder(file: &File) -> ParquetRecordBatchReaderBuilder<File> {
    ParquetRecordBatchReaderBuilder::try_new_with_options(
        file.try_clone().unwrap(),
        ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional),
    )
    .unwrap()
}

/// Reads the file, following the plan when given.
pub fn read(file: &File, plan: Option<&Plan>) -> RecordBatch {
    let mut b = builder(file);
    let schema = b.schema().clone();
    if let Some(plan) = plan {
        b = b.with_row_groups(plan.row_groups.clone());
        if let Some(selection) = &plan.selection {
            b = b.with_row_selection(selection.clone());
        }
    }
    let batches: Vec<RecordBatch> = b.build().unwrap().map(|r| r.unwrap()).collect();
    concat_batches(&schema, &batches).unwrap()
}

/// What a run reports.
#[derive(Clone, Debug)]
pub struct Run<'p> {
    pub program: &'p Program,
    pub segments: Vec<SegmentId>,
    pub priorities: Vec<usize>,
    pub as_of: i64,
}

impl<'p> Run<'p> {
    /// Every segment and priority group.
    pub fn all(program: &'p Program) -> Self {
        Run {
            program,
            segments: (0..program.segments.len() as u32).map(SegmentId).collect(),
            priorities: (0..program.priorities.len()).collect(),
            as_of: AS_OF,
        }
    }

    pub fn pruner(&self) -> Pruner {
        let params: Vec<Const> = self
            .program
            .params
            .iter()
            .map(|p| p.value.clone())
            .collect();
        let selection =
            seg_ir::Selection::new(self.program, self.segments.clone(), self.priorities.clone());
        Pruner::new(self.program, &params, self.as_of, &selection)
    }

    /// Rows (of `batch`) that are a member of a reported segment or get a
    /// priority.
    pub fn members(&self, batch: &RecordBatch) -> Vec<bool> {
        let evaluator = seg_eval::Evaluator::new(self.program, &[], self.as_of)
            .select(self.segments.clone(), self.priorities.clone());
        let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
        let result = evaluator.evaluate(&binding, batch).unwrap();
        (0..batch.num_rows())
            .map(|i| {
                result.segments.iter().any(|s: &BooleanArray| s.value(i))
                    || result.priorities.iter().any(|p| p.is_valid(i))
            })
            .collect()
    }

    /// Plans the file and checks the plan: every skipped row group and page
    /// range holds no member, and reading with the plan yields the same
    /// members (same rows, same memberships) as reading everything.
    pub fn check(&self, file: &File) -> Plan {
        let b = builder(file);
        let pruner = self.pruner();
        let plan = pruner.plan(b.metadata(), b.schema());
        let metadata = b.metadata().clone();
        let all = read(file, None);
        let members = self.members(&all);
        // Absolute first row of each row group.
        let mut first = vec![0usize];
        for g in metadata.row_groups() {
            first.push(first.last().unwrap() + g.num_rows() as usize);
        }
        let mut seen: Vec<usize> = plan
            .row_groups
            .iter()
            .chain(&plan.skipped_row_groups)
            .copied()
            .collect();
        seen.sort();
        assert_eq!(seen, (0..metadata.num_row_groups()).collect::<Vec<_>>());
        assert!(plan.row_groups.windows(2).all(|w| w[0] < w[1]));
        let mut read_rows = vec![false; all.num_rows()];
        for &g in &plan.skipped_row_groups {
            let member = (first[g]..first[g + 1]).find(|&row| members[row]);
            assert_eq!(member, None, "a row of skipped row group {g} is a member");
        }
        // The rows the selection keeps, in absolute numbering.
        let kept: Vec<usize> = plan
            .row_groups
            .iter()
            .flat_map(|&g| first[g]..first[g + 1])
            .collect();
        let mut skipped_by_pages = 0u64;
        match &plan.selection {
            Some(selection) => {
                let mut at = 0usize;
                for s in selection.iter() {
                    for &row in &kept[at..at + s.row_count] {
                        if s.skip {
                            skipped_by_pages += 1;
                            assert!(
                                !members[row],
                                "row {row} of a skipped page range is a member"
                            );
                        } else {
                            read_rows[row] = true;
                        }
                    }
                    at += s.row_count;
                }
                assert_eq!(at, kept.len(), "the selection covers the kept row groups");
            }
            None => kept.iter().for_each(|&r| read_rows[r] = true),
        }
        assert_eq!(skipped_by_pages, plan.rows_skipped_by_pages);
        assert!(plan.pages_skipped <= plan.pages_total);
        // Reading with the plan finds the same members.
        let part = read(file, Some(&plan));
        let read_ids: Vec<usize> = (0..all.num_rows()).filter(|&r| read_rows[r]).collect();
        assert_eq!(part.num_rows(), read_ids.len());
        let part_members = self.members(&part);
        let expected: Vec<usize> = (0..all.num_rows()).filter(|&r| members[r]).collect();
        let found: Vec<usize> = read_ids
            .iter()
            .zip(&part_members)
            .filter(|(_, m)| **m)
            .map(|(r, _)| *r)
            .collect();
        assert_eq!(found, expected, "members read with the plan");
        plan
    }
}
