//! A preview of who is in: the first members of each reported segment, with
//! the key and the fields the segment reads, as they are shown to people
//! (`pii` hidden unless asked). `seg run --sample` and `seg report` show it.

use crate::present;
use crate::{Error, Membership, Sink};
use arrow::array::Array;
use arrow::record_batch::RecordBatch;
use seg_ir::{FieldId, Program};

/// The first members of one reported segment, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SegmentSample {
    /// The segment's name.
    pub segment: String,
    /// The columns shown: the key (when the schema has one), then the fields
    /// the segment reads, in schema order.
    pub columns: Vec<String>,
    /// Up to the sample's size of member rows, each a shown value per
    /// column ([`present::shown`]: `missing` for a null, `pii` masked).
    pub rows: Vec<Vec<String>>,
}

/// A [`Sink`] that keeps the first `size` members of every reported segment
/// of a query, values already shown as people see them. Once a segment has
/// its rows, it copies nothing more for it; once every segment has, it only
/// checks a flag per batch.
pub struct SampleSink {
    size: usize,
    show_pii: bool,
    /// Per reported segment: the fields shown (key first) and whether each is
    /// personal data.
    fields: Vec<Vec<(String, bool)>>,
    samples: Vec<SegmentSample>,
}

impl SampleSink {
    /// Keeps `size` members of each segment `query` reports; `show_pii`
    /// shows personal data instead of masking it.
    pub fn new(query: &crate::Query, size: usize, show_pii: bool) -> SampleSink {
        let program = query.program();
        let mut fields = Vec::new();
        let mut samples = Vec::new();
        for &id in query.selection().segments() {
            let shown: Vec<(String, bool)> = program
                .schema
                .key()
                .into_iter()
                .chain(present::segment_fields(program, id))
                .map(|f| {
                    let field = program.schema.field(f);
                    (field.name.clone(), field.pii)
                })
                .collect();
            samples.push(SegmentSample {
                segment: query.segment_name(id).to_string(),
                columns: shown.iter().map(|(name, _)| name.clone()).collect(),
                rows: Vec::new(),
            });
            fields.push(shown);
        }
        SampleSink {
            size,
            show_pii,
            fields,
            samples,
        }
    }

    /// The fields a sample of `query` shows beyond those the run reads
    /// anyway: open the input with them (e.g. `formats::open_query_with`)
    /// so that a field the optimizer found it need not read is still shown.
    pub fn fields(query: &crate::Query) -> Vec<FieldId> {
        let program: &Program = query.program();
        let mut fields: Vec<FieldId> = query
            .selection()
            .segments()
            .iter()
            .flat_map(|&id| present::segment_fields(program, id))
            .collect();
        fields.sort();
        fields.dedup();
        fields
    }

    /// Whether every segment has its rows (nothing more will be copied).
    pub fn is_full(&self) -> bool {
        self.samples.iter().all(|s| s.rows.len() >= self.size)
    }

    /// The samples, one per reported segment in selection order.
    pub fn into_samples(self) -> Vec<SegmentSample> {
        self.samples
    }
}

impl Sink for SampleSink {
    fn write(&mut self, batch: &RecordBatch, membership: &Membership) -> Result<(), Error> {
        if self.is_full() {
            return Ok(());
        }
        for ((sample, fields), members) in self
            .samples
            .iter_mut()
            .zip(&self.fields)
            .zip(&membership.segments)
        {
            let wanted = self.size.saturating_sub(sample.rows.len());
            if wanted == 0 {
                continue;
            }
            let columns: Vec<Option<&dyn Array>> = fields
                .iter()
                .map(|(name, _)| batch.column_by_name(name).map(|c| c.as_ref()))
                .collect();
            let valid = |row: &usize| members.is_valid(*row);
            for row in members.values().set_indices().filter(valid).take(wanted) {
                sample.rows.push(
                    columns
                        .iter()
                        .zip(fields)
                        .map(|(column, (_, pii))| match column {
                            Some(column) => present::shown(*column, row, *pii, self.show_pii),
                            // A field the input does not hold (not read) is
                            // shown as missing rather than failing the run.
                            None => present::MISSING.to_string(),
                        })
                        .collect(),
                );
            }
        }
        Ok(())
    }
}

/// Hands every batch to two sinks in turn (a results file and a sample).
pub struct Both<'a>(pub &'a mut dyn Sink, pub &'a mut dyn Sink);

impl Sink for Both<'_> {
    fn write(&mut self, batch: &RecordBatch, membership: &Membership) -> Result<(), Error> {
        self.0.write(batch, membership)?;
        self.1.write(batch, membership)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BooleanArray, Int64Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn keeps_the_first_members_in_order_and_masks_pii() {
        let checked = crate::check_source(
            "rules.seg".as_ref(),
            "schema {\n  id: int key\n  email: string pii\n  orders: int\n}\n\
             segment buyers { where orders > 0 and email is present }\n",
        );
        let program = checked.program.expect("valid rules");
        let query =
            crate::Query::prepare(&program, &crate::RunOptions::default()).expect("prepared");
        let mut sink = SampleSink::new(&query, 2, false);
        let batch = |ids: Vec<i64>, emails: Vec<Option<&str>>| {
            RecordBatch::try_from_iter([
                ("id", Arc::new(Int64Array::from(ids)) as _),
                ("email", Arc::new(StringArray::from(emails)) as _),
                ("orders", Arc::new(Int64Array::from(vec![1, 1, 1])) as _),
            ])
            .expect("batch")
        };
        let members = |bits: Vec<bool>| Membership {
            segments: vec![BooleanArray::from(bits)],
            priorities: Vec::new(),
        };
        sink.write(
            &batch(vec![1, 2, 3], vec![Some("a@x"), None, Some("c@x")]),
            &members(vec![false, false, true]),
        )
        .expect("written");
        assert!(!sink.is_full());
        sink.write(
            &batch(vec![4, 5, 6], vec![Some("d@x"), Some("e@x"), None]),
            &members(vec![true, true, true]),
        )
        .expect("written");
        assert!(sink.is_full());
        let samples = sink.into_samples();
        assert_eq!(samples[0].columns, ["id", "email", "orders"]);
        assert_eq!(
            samples[0].rows,
            [["3", present::MASKED, "1"], ["4", present::MASKED, "1"]]
        );
    }
}
