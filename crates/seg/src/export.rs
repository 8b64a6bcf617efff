//! Activation export: the members of one segment (or the profiles a
//! priority group assigns) with the profile columns an email or ads
//! platform imports (`seg run --members SEGMENT --columns email,...`).
//!
//! The columns are exported on purpose, so `pii` values are written as
//! they are: the user named them. Without named columns only the key is
//! written.

use crate::{Error, Membership, Query};
use arrow::array::{ArrayRef, BooleanArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use seg_ir::FieldId;
use std::sync::Arc;

/// The name of the column that holds the assigned segment when a priority
/// group is exported.
pub const SEGMENT_COLUMN: &str = "segment";

/// What is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportTarget {
    /// The members of the reported segment at this index of the query's
    /// selection.
    Segment(usize),
    /// The profiles assigned by the reported priority group at this index
    /// of the query's selection, each with the name of its segment.
    Group(usize),
}

/// An export of one segment's or priority group's profiles: which rows and
/// which columns.
#[derive(Clone, Debug)]
pub struct Export {
    target: ExportTarget,
    fields: Vec<FieldId>,
    names: Vec<String>,
}

impl Export {
    /// The export of `target` (a reported segment or priority group of
    /// `query`, E0407 with "did you mean" otherwise) with the key and
    /// `columns` (schema fields, E0401 with "did you mean" otherwise).
    pub fn new(query: &Query, target: &str, columns: &[String]) -> Result<Export, Error> {
        let program = query.program();
        let selection = query.selection();
        let target = target.trim();
        let segment = selection
            .segments()
            .iter()
            .position(|&id| query.segment_name(id) == target);
        let group = selection
            .priorities()
            .iter()
            .position(|&p| program.priorities.get(p).is_some_and(|g| g.name == target));
        let target = match (segment, group) {
            (Some(index), _) => ExportTarget::Segment(index),
            (None, Some(index)) => ExportTarget::Group(index),
            (None, None) => {
                let known = program.segment_id(target).is_some()
                    || program.priorities.iter().any(|p| p.name == target);
                let candidates = selection
                    .segments()
                    .iter()
                    .map(|&id| query.segment_name(id))
                    .chain(
                        selection
                            .priorities()
                            .iter()
                            .filter_map(|&p| program.priorities.get(p))
                            .map(|g| g.name.as_str()),
                    );
                let help = if known {
                    "add it to `--segments`, or leave `--segments` out".to_string()
                } else {
                    match seg_diagnostics::did_you_mean(target, candidates) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "name a segment or a priority group of the rules".into(),
                    }
                };
                return Err(Error::new(
                    "E0407",
                    if known {
                        format!("`--members {target}` is not among the segments run")
                    } else {
                        format!("the rules have no segment or priority group `{target}`")
                    },
                    Some(help),
                ));
            }
        };
        let schema = &program.schema;
        let mut fields: Vec<FieldId> = schema.key().into_iter().collect();
        for name in columns.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            let Some(id) = schema.find(name) else {
                let names = schema.fields.iter().map(|f| f.name.as_str());
                return Err(Error::new(
                    "E0401",
                    format!("`--columns`: the schema has no field `{name}`"),
                    Some(match seg_diagnostics::did_you_mean(name, names) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "name fields the rules' schema declares".into(),
                    }),
                ));
            };
            if !fields.contains(&id) {
                fields.push(id);
            }
        }
        if fields.is_empty() {
            return Err(Error::new(
                "E0401",
                "the schema declares no key, so an export without `--columns` would be empty",
                Some("name the columns to write with `--columns`, or declare the key".into()),
            ));
        }
        let names: Vec<String> = fields
            .iter()
            .map(|&f| schema.field(f).name.clone())
            .collect();
        if matches!(target, ExportTarget::Group(_)) && names.iter().any(|n| n == SEGMENT_COLUMN) {
            return Err(Error::new(
                "E0408",
                format!("the column `{SEGMENT_COLUMN}` would be written twice"),
                Some(format!(
                    "a priority group's export adds `{SEGMENT_COLUMN}`; leave the field out of `--columns`"
                )),
            ));
        }
        Ok(Export {
            target,
            fields,
            names,
        })
    }

    /// What is exported.
    pub fn target(&self) -> ExportTarget {
        self.target
    }

    /// The fields written, the key first: a reader must load them even
    /// when the rules do not read them.
    pub fn fields(&self) -> &[FieldId] {
        &self.fields
    }

    /// The schema of the exported rows for input of schema `input`: the
    /// fields' columns as the input has them, then, for a priority group,
    /// `segment` ([`SEGMENT_COLUMN`](crate::SEGMENT_COLUMN)).
    pub fn schema(&self, input: &Schema) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .names
            .iter()
            .map(|name| match input.field_with_name(name) {
                Ok(field) => field.clone(),
                Err(_) => Field::new(name, DataType::Null, true),
            })
            .collect();
        if matches!(self.target, ExportTarget::Group(_)) {
            fields.push(Field::new(SEGMENT_COLUMN, DataType::Utf8, false));
        }
        Arc::new(Schema::new(fields))
    }

    /// The exported rows of one batch: its members (or assigned profiles)
    /// with the export's columns, or `None` when the batch has none.
    pub fn batch(
        &self,
        query: &Query,
        input: &RecordBatch,
        membership: &Membership,
    ) -> Result<Option<RecordBatch>, Error> {
        let (keep, assigned) = match self.target {
            ExportTarget::Segment(index) => match membership.segments.get(index) {
                Some(members) => (members.clone(), None),
                None => return Ok(None),
            },
            ExportTarget::Group(index) => match membership.priorities.get(index) {
                Some(choices) => {
                    let keep: BooleanArray = choices.iter().map(|c| Some(c.is_some())).collect();
                    (keep, Some(query.priority_names(index, choices)))
                }
                None => return Ok(None),
            },
        };
        // A batch statistics skipped holds only the key column and no
        // member: nothing to write.
        if keep.true_count() == 0 {
            return Ok(None);
        }
        let error = |e: arrow::error::ArrowError| {
            Error::new("E0801", format!("cannot assemble the export: {e}"), None)
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.names.len() + 1);
        for name in &self.names {
            let column = input.schema().index_of(name).ok().map(|i| input.column(i));
            let column = column.ok_or_else(|| {
                Error::new(
                    "E0401",
                    format!("the data has no column `{name}` to export"),
                    None,
                )
            })?;
            columns.push(arrow::compute::filter(column.as_ref(), &keep).map_err(error)?);
        }
        if let Some(names) = assigned {
            columns.push(arrow::compute::filter(&names, &keep).map_err(error)?);
        }
        let schema = self.schema(input.schema().as_ref());
        RecordBatch::try_new(schema, columns)
            .map(Some)
            .map_err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Array, StringArray, UInt32Array};

    fn query() -> Query {
        let checked = crate::check_source(
            "rules.seg".as_ref(),
            "schema {\n  id: int key\n  email: string pii\n  orders: int\n}\n\
             segment buyers { where orders > 0 }\nsegment big { where orders > 5 }\n\
             priority tier {\n  big\n  buyers\n}\n",
        );
        let program = checked.program.expect("valid rules");
        Query::prepare(&program, &crate::RunOptions::default()).expect("query")
    }

    fn batch() -> RecordBatch {
        RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
            (
                "email",
                Arc::new(StringArray::from(vec!["a@x", "b@x", "c@x"])) as ArrayRef,
            ),
            (
                "orders",
                Arc::new(Int64Array::from(vec![0, 2, 9])) as ArrayRef,
            ),
        ])
        .expect("batch")
    }

    #[test]
    fn a_segment_exports_its_members_with_the_named_columns() {
        let query = query();
        let export = Export::new(&query, "buyers", &["email".into()]).expect("export");
        let membership = Membership {
            segments: vec![
                BooleanArray::from(vec![false, true, true]),
                BooleanArray::from(vec![false, false, true]),
            ],
            priorities: vec![UInt32Array::from(vec![None, Some(1), Some(0)])],
        };
        let out = export
            .batch(&query, &batch(), &membership)
            .expect("batch")
            .expect("rows");
        assert_eq!(out.num_rows(), 2);
        assert_eq!(out.schema().field(1).name(), "email");
        assert_eq!(crate::present::cell(out.column(1).as_ref(), 0), "b@x");

        let group = Export::new(&query, "tier", &[]).expect("export");
        let out = group
            .batch(&query, &batch(), &membership)
            .expect("batch")
            .expect("rows");
        assert_eq!(out.num_columns(), 2);
        let segments = out.column(1);
        assert_eq!(crate::present::cell(segments.as_ref(), 0), "buyers");
        assert_eq!(crate::present::cell(segments.as_ref(), 1), "big");
        assert_eq!(segments.null_count(), 0);
    }

    #[test]
    fn unknown_names_suggest_the_closest() {
        let query = query();
        let error = Export::new(&query, "buyer", &[]).expect_err("unknown");
        assert_eq!(error.code, "E0407");
        assert_eq!(error.help.as_deref(), Some("did you mean `buyers`?"));
        let error = Export::new(&query, "buyers", &["emial".into()]).expect_err("unknown");
        assert_eq!(error.code, "E0401");
        assert_eq!(error.help.as_deref(), Some("did you mean `email`?"));
    }
}
