//! The reference evaluator: the semantic oracle of Seg.
//!
//! It evaluates a checked [`seg_ir::Program`] over Arrow record batches,
//! column at a time, and returns one non-null membership [`BooleanArray`] per
//! segment and one string array per priority group. Semantics follow
//! LANGUAGE.md §4–§6 and `docs/semantics.md`: SQL three-valued logic, NaN as
//! missing, exact decimals, overflow and division by zero as missing, calendar
//! steps clamped to the month's end. The JIT must agree with it bit for bit.
//!
//! ```no_run
//! # fn demo(program: &seg_ir::Program, batch: &arrow::record_batch::RecordBatch) {
//! let evaluator = seg_eval::Evaluator::new(program, &[], 1_795_478_400_000_000);
//! let bound = evaluator.bind(batch.schema().as_ref()).expect("columns fit the schema");
//! let result = evaluator.evaluate(&bound, batch).expect("no internal error");
//! println!("{} members", result.segments[0].true_count());
//! # }
//! ```

pub mod bucket;
mod column;
mod eval;
pub mod explain;
mod history;
pub mod num;
pub mod rules;

pub use column::{Col, accepted_types, accepts};
pub use eval::PatternCache;
pub use explain::{Explanation, Node, NodeKind};
pub use history::ratio_to_f64;

/// The aggregates over event histories (LANGUAGE.md §7.1) as functions other
/// engines call, so that every rule of §7.1 lives once: how a batch's lists
/// are flattened into records, and how each row's counted records reduce.
pub mod aggregate {
    pub use crate::history::{
        Flat, StringIds, avg_decimals, avg_floats, avg_ints, distinct_ids, distinct_strings,
        extreme, flatten, reduce, sum_decimals, sum_floats, sum_ints,
    };
}

use arrow::array::{BooleanArray, UInt32Array};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer};
use arrow::datatypes::Schema as ArrowSchema;
use arrow::record_batch::RecordBatch;
use seg_diagnostics::{Code, Diagnostic};
use seg_ir::{Const, FieldId, ParamId, Program, SegmentId, Selection};
use std::sync::Arc;

/// Which batch column serves each schema field, checked before any row is
/// evaluated.
#[derive(Clone, Debug)]
pub struct Binding {
    columns: Vec<Option<usize>>,
}

impl Binding {
    /// The batch column index of a field, when bound.
    pub fn column(&self, field: FieldId) -> Option<usize> {
        self.columns.get(field.0 as usize).copied().flatten()
    }
}

/// A segment's `where` results and, when it has one, its `exclude` results.
pub type Conditions = (Vec<Option<bool>>, Option<Vec<Option<bool>>>);

/// The result of evaluating one batch: the same type from every engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    /// One non-null array per reported segment, in [`Evaluator::segments`] order.
    pub segments: Vec<BooleanArray>,
    /// One array per reported priority group, in [`Evaluator::priorities`]
    /// order: for each profile, the position in the group's list of the first
    /// segment it is a member of, or null when it is in none (see
    /// [`first_member`]). Names are attached at the edge, by whoever prints or
    /// writes them.
    pub priorities: Vec<UInt32Array>,
}

/// Evaluates one program with fixed param values and `as_of`.
#[derive(Clone, Debug)]
pub struct Evaluator<'p> {
    program: &'p Program,
    params: Vec<Const>,
    as_of: i64,
    /// What is reported and what that needs.
    selection: Selection,
    /// Compiled `matches` patterns, shared by every batch and thread.
    patterns: Arc<eval::PatternCache>,
}

impl<'p> Evaluator<'p> {
    /// An evaluator of every segment and priority group of `program`, at the
    /// instant `as_of` (microseconds since the epoch), with params overridden.
    pub fn new(program: &'p Program, overrides: &[(ParamId, Const)], as_of: i64) -> Self {
        Evaluator::with_params(
            program,
            seg_ir::param_values(program, overrides),
            as_of,
            Selection::all(program),
        )
    }

    /// An evaluator of `selection`, with every param's value given (see
    /// [`seg_ir::param_values`]).
    pub fn with_params(
        program: &'p Program,
        params: Vec<Const>,
        as_of: i64,
        selection: Selection,
    ) -> Self {
        Evaluator {
            program,
            params,
            as_of,
            selection,
            patterns: Arc::default(),
        }
    }

    /// Uses `patterns` for the compiled `matches` patterns, so that
    /// evaluators made again and again for one program (the JIT makes one
    /// per batch for what it does not compile) compile each pattern once.
    pub fn with_patterns(mut self, patterns: Arc<PatternCache>) -> Self {
        self.patterns = patterns;
        self
    }

    /// Restricts the output to these segments and priority groups (their
    /// dependencies are still computed).
    pub fn select(mut self, segments: Vec<SegmentId>, priorities: Vec<usize>) -> Self {
        self.selection = Selection::new(self.program, segments, priorities);
        self
    }

    /// The program evaluated.
    pub fn program(&self) -> &'p Program {
        self.program
    }

    /// Every param's value.
    pub fn params(&self) -> &[Const] {
        &self.params
    }

    /// What is reported, and what that needs.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// The segments reported, in output order.
    pub fn segments(&self) -> &[SegmentId] {
        self.selection.segments()
    }

    /// The priority groups reported (indexes into the program's priorities).
    pub fn priorities(&self) -> &[usize] {
        self.selection.priorities()
    }

    /// The instant of evaluation.
    pub fn as_of(&self) -> i64 {
        self.as_of
    }

    /// The fields the selected segments read (plus the key, when declared), in
    /// schema order: what a reader must load.
    pub fn required_fields(&self) -> Vec<FieldId> {
        self.selection.required_fields(self.program)
    }

    /// Binds the required fields to the columns of `schema`: a missing column
    /// (E0401) or one whose type cannot serve the field's type (E0402) is an
    /// error naming the column and both types, located at the field's
    /// declaration.
    pub fn bind(&self, schema: &ArrowSchema) -> Result<Binding, Vec<Diagnostic>> {
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        self.bind_among(schema, &names)
    }

    /// Like [`Evaluator::bind`] for a reader that loads only some columns:
    /// `available` lists every column of the file, for "did you mean" help.
    pub fn bind_among(
        &self,
        schema: &ArrowSchema,
        available: &[String],
    ) -> Result<Binding, Vec<Diagnostic>> {
        let mut columns = vec![None; self.program.schema.fields.len()];
        let mut errors = Vec::new();
        let names: Vec<&str> = available.iter().map(String::as_str).collect();
        for id in self.required_fields() {
            let field = self.program.schema.field(id);
            match schema.index_of(&field.name) {
                Ok(index) => {
                    let found = schema.field(index).data_type();
                    if accepts(&field.ty, found) {
                        columns[id.0 as usize] = Some(index);
                    } else {
                        errors.push(
                            Diagnostic::new(
                                Code::E0402,
                                field.span,
                                format!(
                                    "column `{}` is {found} in the data, which cannot serve `{}`",
                                    field.name, field.ty
                                ),
                            )
                            .with_label(format!("declared `{}` here", field.ty))
                            .with_help(format!(
                                "a field declared `{}` reads {}; change the declared type or convert the column",
                                field.ty,
                                accepted_types(&field.ty)
                            )),
                        );
                    }
                }
                Err(_) => {
                    let mut diagnostic = Diagnostic::new(
                        Code::E0401,
                        field.span,
                        format!("column `{}` is not in the data", field.name),
                    )
                    .with_label("declared here, used by the rules");
                    diagnostic.help = Some(
                        match seg_diagnostics::did_you_mean(&field.name, names.iter().copied()) {
                            Some(close) => format!(
                                "the data has a column `{close}`: rename the field, or the column"
                            ),
                            None => format!("the data's columns are: {}", names.join(", ")),
                        },
                    );
                    errors.push(diagnostic);
                }
            }
        }
        if errors.is_empty() {
            Ok(Binding { columns })
        } else {
            Err(errors)
        }
    }

    /// Computes the memberships of the segments in `order` (dependencies
    /// first).
    fn memberships(
        &self,
        binding: &Binding,
        batch: &RecordBatch,
        order: &[SegmentId],
    ) -> Result<Vec<Option<Vec<bool>>>, Diagnostic> {
        let rows = batch.num_rows();
        let mut memberships: Vec<Option<Vec<bool>>> = vec![None; self.program.segments.len()];
        for &id in order {
            let (where_, exclude) = self.conditions_with(binding, batch, id, &memberships)?;
            let member = (0..rows)
                .map(|i| is_member(where_[i], exclude.as_ref().map(|x| x[i])))
                .collect();
            memberships[id.0 as usize] = Some(member);
        }
        Ok(memberships)
    }

    /// The evaluation frame of one batch, given the memberships of the
    /// segments computed so far.
    fn frame<'s>(
        &'s self,
        binding: &'s Binding,
        batch: &'s RecordBatch,
        memberships: &'s [Option<Vec<bool>>],
    ) -> eval::Frame<'s, 's> {
        eval::Frame {
            batch,
            columns: &binding.columns,
            schema: &self.program.schema,
            params: &self.params,
            as_of: self.as_of,
            today: num::local_date_of(self.program.timezone, self.as_of),
            zone: self.program.timezone,
            rows: batch.num_rows(),
            memberships,
            patterns: &self.patterns,
            pattern_error: None,
            elements: None,
        }
    }

    fn conditions_with(
        &self,
        binding: &Binding,
        batch: &RecordBatch,
        id: SegmentId,
        memberships: &[Option<Vec<bool>>],
    ) -> Result<Conditions, Diagnostic> {
        let segment = &self.program.segments[id.0 as usize];
        let mut frame = self.frame(binding, batch, memberships);
        let result = (|| -> Result<Conditions, eval::Internal> {
            let Col::Bool(where_) = frame.eval(&segment.where_)? else {
                return Err(eval::Internal("`where` is not a bool column".into()));
            };
            let exclude = match &segment.exclude {
                Some(e) => match frame.eval(e)? {
                    Col::Bool(v) => Some(v),
                    _ => return Err(eval::Internal("`exclude` is not a bool column".into())),
                },
                None => None,
            };
            Ok((where_, exclude))
        })();
        if let Some((text, error)) = frame.pattern_error.take() {
            return Err(seg_ir::pattern::diagnostic(&text, &error, segment.span));
        }
        result.map_err(|eval::Internal(what)| {
            Diagnostic::new(
                Code::E0901,
                segment.span,
                format!("internal error while evaluating segment `{}`: {what}", segment.name),
            )
            .with_help("please report this, with the rules and the data's schema, at the Seg issue tracker")
        })
    }

    /// The three-valued results of a segment's `where` and `exclude` on each
    /// row (`None` is unknown), for explaining a membership. Only the
    /// segments it references are computed first; its own condition is
    /// evaluated once.
    pub fn conditions(
        &self,
        binding: &Binding,
        batch: &RecordBatch,
        id: SegmentId,
    ) -> Result<Conditions, Diagnostic> {
        if id.0 as usize >= self.program.segments.len() {
            return Err(unknown_segment(id));
        }
        // The segment's own needs, dependencies first; it comes last.
        let needs = Selection::new(self.program, vec![id], Vec::new());
        let dependencies = needs.order().split_last().map_or(&[][..], |(_, rest)| rest);
        let memberships = self.memberships(binding, batch, dependencies)?;
        self.conditions_with(binding, batch, id, &memberships)
    }

    /// Explains segment `id`'s verdict on row `row` of `batch`: its `where`
    /// and `exclude` as trees of conditions with their values (see
    /// [`explain`]). Every value is computed by the code [`Evaluator::evaluate`]
    /// runs, on the one row, after the segments `id` references; texts are
    /// rendered from this evaluator's program, so explain with the program
    /// as checked (not optimized) for texts that match the source.
    pub fn explain(
        &self,
        binding: &Binding,
        batch: &RecordBatch,
        row: usize,
        id: SegmentId,
    ) -> Result<Explanation, Diagnostic> {
        let Some(segment) = self.program.segments.get(id.0 as usize) else {
            return Err(unknown_segment(id));
        };
        if row >= batch.num_rows() {
            return Err(Diagnostic::new(
                Code::E0901,
                segment.span,
                format!("internal error: row {row} is not in the batch"),
            ));
        }
        let one = batch.slice(row, 1);
        let needs = Selection::new(self.program, vec![id], Vec::new());
        let dependencies = needs.order().split_last().map_or(&[][..], |(_, rest)| rest);
        let memberships = self.memberships(binding, &one, dependencies)?;
        let mut frame = self.frame(binding, &one, &memberships);
        let result = (|| -> Result<Explanation, eval::Internal> {
            let where_ = frame.explain(self.program, &segment.where_)?;
            let exclude = match &segment.exclude {
                Some(e) => Some(frame.explain(self.program, e)?),
                None => None,
            };
            Ok(Explanation {
                segment: id,
                member: is_member(where_.truth, exclude.as_ref().map(|x| x.truth)),
                where_,
                exclude,
            })
        })();
        if let Some((text, error)) = frame.pattern_error.take() {
            return Err(seg_ir::pattern::diagnostic(&text, &error, segment.span));
        }
        result.map_err(|eval::Internal(what)| {
            Diagnostic::new(
                Code::E0901,
                segment.span,
                format!("internal error while explaining segment `{}`: {what}", segment.name),
            )
            .with_help("please report this, with the rules and the data's schema, at the Seg issue tracker")
        })
    }

    /// Evaluates one batch. Errors are internal (a broken invariant), reported
    /// as E0901.
    pub fn evaluate(
        &self,
        binding: &Binding,
        batch: &RecordBatch,
    ) -> Result<Membership, Diagnostic> {
        let memberships = self.memberships(binding, batch, self.selection.order())?;
        let array = |id: &SegmentId| match memberships.get(id.0 as usize) {
            Some(Some(m)) => Ok(BooleanArray::from(m.clone())),
            // A selected id the program does not have is a caller's bug:
            // report it rather than index out of bounds.
            _ => Err(unknown_segment(*id)),
        };
        let segments = self
            .selection
            .segments()
            .iter()
            .map(array)
            .collect::<Result<Vec<_>, _>>()?;
        let mut priorities = Vec::with_capacity(self.selection.priorities().len());
        for group in self
            .selection
            .priorities()
            .iter()
            .filter_map(|&p| self.program.priorities.get(p))
        {
            let members = group
                .segments
                .iter()
                .map(|id| array(id).map(|a| a.values().clone()))
                .collect::<Result<Vec<_>, _>>()?;
            priorities.push(first_member(&members, batch.num_rows()));
        }
        Ok(Membership {
            segments,
            priorities,
        })
    }
}

fn unknown_segment(id: SegmentId) -> Diagnostic {
    Diagnostic::new(
        Code::E0901,
        seg_diagnostics::Span::default(),
        format!("internal error: segment #{} is not in the program", id.0),
    )
    .with_help("please report this, with the rules, at the Seg issue tracker")
}

/// Whether a profile is a member, given its `where` value and, when the
/// segment has one, its `exclude` value: `where` is true and `exclude` is
/// not true (an unknown `exclude` does not remove anyone). The one rule the
/// evaluator and the explanation apply.
pub fn is_member(where_: Option<bool>, exclude: Option<Option<bool>>) -> bool {
    where_ == Some(true) && exclude.is_none_or(|x| x != Some(true))
}

/// A priority group's choice on each row: the position (in the group's list)
/// of the first segment the profile is a member of, or null when it is in
/// none. `members` holds the group's segments' memberships in the group's
/// order. The one definition of "first match wins" every engine uses.
pub fn first_member(members: &[BooleanBuffer], rows: usize) -> UInt32Array {
    let words = rows.div_ceil(64);
    let mut taken = vec![0u64; words];
    let mut values = vec![0u32; rows];
    for (position, member) in members.iter().enumerate() {
        let position = u32::try_from(position).unwrap_or(u32::MAX);
        let chunks = member.bit_chunks();
        for (w, chunk) in chunks.iter_padded().enumerate().take(words) {
            let mut new = chunk & !taken[w];
            if new == 0 {
                continue;
            }
            taken[w] |= new;
            while new != 0 {
                let row = w * 64 + new.trailing_zeros() as usize;
                if let Some(slot) = values.get_mut(row) {
                    *slot = position;
                }
                new &= new - 1;
            }
        }
    }
    let assigned = BooleanBuffer::new(Buffer::from_vec(taken), 0, rows);
    UInt32Array::new(values.into(), Some(NullBuffer::new(assigned)))
}

/// The evaluator's view of one column, for tests and tools: the values of an
/// Arrow array read as a schema type (`None` when the type does not fit).
pub fn read_column<'a>(ty: &seg_ir::Type, array: &'a arrow::array::ArrayRef) -> Option<Col<'a>> {
    column::read(ty, array)
}

/// A batch of one profile: every schema field, with the given values and the
/// rest missing (the profile of a `test` block). Given values must already
/// have their field's type, as the checker guarantees for `given`.
pub fn profile_batch(
    schema: &seg_ir::Schema,
    given: &[(FieldId, Const)],
) -> Result<RecordBatch, arrow::error::ArrowError> {
    use arrow::array::*;
    use arrow::datatypes::Field;
    use std::sync::Arc;
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (index, field) in schema.fields.iter().enumerate() {
        let value = given
            .iter()
            .find(|(id, _)| id.0 as usize == index)
            .map(|(_, v)| v);
        let array: ArrayRef = match (&field.ty, value) {
            (seg_ir::Type::Int, v) => Arc::new(Int64Array::from(vec![match v {
                Some(Const::Int(x)) => Some(*x),
                _ => None,
            }])),
            (seg_ir::Type::Float, v) => Arc::new(Float64Array::from(vec![match v {
                Some(Const::Float(x)) => Some(*x),
                _ => None,
            }])),
            (seg_ir::Type::Decimal, v) => {
                let (unscaled, scale) = match v {
                    Some(Const::Decimal { unscaled, scale }) => (Some(*unscaled), *scale),
                    _ => (None, 0),
                };
                let scale = i8::try_from(scale).unwrap_or(38);
                Arc::new(Decimal128Array::from(vec![unscaled]).with_precision_and_scale(38, scale)?)
            }
            (seg_ir::Type::Bool, v) => Arc::new(BooleanArray::from(vec![match v {
                Some(Const::Bool(x)) => Some(*x),
                _ => None,
            }])),
            (seg_ir::Type::String, v) => Arc::new(StringArray::from(vec![match v {
                Some(Const::String(x)) => Some(x.as_str()),
                _ => None,
            }])),
            (seg_ir::Type::Date, v) => Arc::new(Date32Array::from(vec![match v {
                Some(Const::Date(x)) => Some(*x),
                _ => None,
            }])),
            (seg_ir::Type::Timestamp, v) => Arc::new(
                TimestampMicrosecondArray::from(vec![match v {
                    Some(Const::Timestamp(x)) => Some(*x),
                    _ => None,
                }])
                .with_timezone("+00:00"),
            ),
            (seg_ir::Type::List(element), v) if **element == seg_ir::Type::String => {
                let mut builder = ListBuilder::new(StringBuilder::new());
                match v {
                    Some(Const::ListString(items)) => builder.append_value(items.iter().map(Some)),
                    _ => builder.append_null(),
                }
                Arc::new(builder.finish())
            }
            (seg_ir::Type::List(element), v) if **element == seg_ir::Type::Int => {
                let mut builder = ListBuilder::new(Int64Builder::new());
                match v {
                    Some(Const::ListInt(items)) => {
                        builder.append_value(items.iter().map(|x| Some(*x)))
                    }
                    _ => builder.append_null(),
                }
                Arc::new(builder.finish())
            }
            (seg_ir::Type::Duration, _) => Arc::new(NullArray::new(1)),
            (seg_ir::Type::List(element), v) if element.record_fields().is_some() => {
                let records = match v {
                    Some(Const::Records { records, .. }) => Some(records.as_slice()),
                    _ => None,
                };
                history_array(element.record_fields().unwrap_or(&[]), records)?
            }
            // No `given` can be written for these before v0.2's record lists.
            (ty @ (seg_ir::Type::List(_) | seg_ir::Type::Record(_)), _) => {
                return Err(arrow::error::ArrowError::NotYetImplemented(format!(
                    "a test value of type `{ty}`"
                )));
            }
        };
        fields.push(Field::new(&field.name, array.data_type().clone(), true));
        columns.push(array);
    }
    RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns)
}

/// A one-row `List<Struct>` column holding a test's history (`None`: a
/// missing list). Each record field becomes a child of its type; decimals
/// take the largest scale of their values, the others rescaled exactly.
fn history_array(
    fields: &[seg_ir::RecordField],
    records: Option<&[Vec<Option<Const>>]>,
) -> Result<arrow::array::ArrayRef, arrow::error::ArrowError> {
    use arrow::array::*;
    use arrow::buffer::{NullBuffer, OffsetBuffer};
    use arrow::datatypes::{DataType, Field, Fields, TimeUnit};
    use seg_ir::Type;
    let all = records.unwrap_or(&[]);
    let value = |record: &Vec<Option<Const>>, i: usize| record.get(i).cloned().flatten();
    let mut children: Vec<ArrayRef> = Vec::new();
    let mut child_fields: Vec<Field> = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let values: Vec<Option<Const>> = all.iter().map(|r| value(r, i)).collect();
        let (array, dt): (ArrayRef, DataType) = match &field.ty {
            Type::Int => (
                Arc::new(Int64Array::from_iter(values.iter().map(|v| match v {
                    Some(Const::Int(x)) => Some(*x),
                    _ => None,
                }))),
                DataType::Int64,
            ),
            Type::Float => (
                Arc::new(Float64Array::from_iter(values.iter().map(|v| match v {
                    Some(Const::Float(x)) => Some(*x),
                    _ => None,
                }))),
                DataType::Float64,
            ),
            Type::Decimal => {
                let scale = values
                    .iter()
                    .filter_map(|v| match v {
                        Some(Const::Decimal { scale, .. }) => Some(*scale),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0);
                let array = Decimal128Array::from_iter(values.iter().map(|v| match v {
                    Some(Const::Decimal { unscaled, scale: s }) => {
                        num::rescale_up(*unscaled, u32::from(scale - s))
                    }
                    _ => None,
                }))
                .with_precision_and_scale(38, i8::try_from(scale).unwrap_or(38))?;
                let dt = array.data_type().clone();
                (Arc::new(array), dt)
            }
            Type::Bool => (
                Arc::new(BooleanArray::from_iter(values.iter().map(|v| match v {
                    Some(Const::Bool(x)) => Some(*x),
                    _ => None,
                }))),
                DataType::Boolean,
            ),
            Type::String => (
                Arc::new(StringArray::from_iter(values.iter().map(|v| match v {
                    Some(Const::String(x)) => Some(x.as_str()),
                    _ => None,
                }))),
                DataType::Utf8,
            ),
            Type::Date => (
                Arc::new(Date32Array::from_iter(values.iter().map(|v| match v {
                    Some(Const::Date(x)) => Some(*x),
                    _ => None,
                }))),
                DataType::Date32,
            ),
            Type::Timestamp => (
                Arc::new(TimestampMicrosecondArray::from_iter(values.iter().map(
                    |v| match v {
                        Some(Const::Timestamp(x)) => Some(*x),
                        _ => None,
                    },
                ))),
                DataType::Timestamp(TimeUnit::Microsecond, None),
            ),
            other => {
                return Err(arrow::error::ArrowError::NotYetImplemented(format!(
                    "a record field of type `{other}`"
                )));
            }
        };
        child_fields.push(Field::new(&field.name, dt, true));
        children.push(array);
    }
    let struct_fields = Fields::from(child_fields);
    let values = if fields.is_empty() {
        StructArray::new_empty_fields(all.len(), None)
    } else {
        StructArray::try_new(struct_fields, children, None)?
    };
    let item = Arc::new(Field::new("item", values.data_type().clone(), true));
    let len = i32::try_from(all.len())
        .map_err(|_| arrow::error::ArrowError::ComputeError("a history too long".into()))?;
    Ok(Arc::new(ListArray::try_new(
        item,
        OffsetBuffer::new(vec![0, len].into()),
        Arc::new(values),
        Some(NullBuffer::from(vec![records.is_some()])),
    )?))
}

/// Evaluates an expression that reads no field and no segment (a constant
/// subexpression) exactly as a batch evaluation would, for the optimizer and
/// the JIT to fold with: folding through the evaluator cannot disagree with
/// execution. Returns `Ok(None)` for a missing value (for a `bool`, unknown)
/// and `Err` when the expression reads a field or a segment, or is a bare
/// duration.
pub fn fold_constant(
    program: &Program,
    params: &[Const],
    as_of: i64,
    expr: &seg_ir::Expr,
) -> Result<Option<Const>, String> {
    if seg_ir::reads_row(expr) {
        return Err("the expression reads a field or a segment".into());
    }
    if expr.ty == seg_ir::Type::Duration {
        return Err("a duration is not a value".into());
    }
    let batch = RecordBatch::try_new_with_options(
        std::sync::Arc::new(ArrowSchema::empty()),
        vec![],
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(1)),
    )
    .map_err(|e| e.to_string())?;
    let mut frame = eval::Frame {
        batch: &batch,
        columns: &[],
        schema: &program.schema,
        params,
        as_of,
        today: num::local_date_of(program.timezone, as_of),
        zone: program.timezone,
        rows: 1,
        memberships: &[],
        patterns: &eval::PatternCache::default(),
        pattern_error: None,
        elements: None,
    };
    let column = frame.eval(expr).map_err(|eval::Internal(what)| what)?;
    if let Col::Decimal(_, scale) = &column
        && u8::try_from(*scale).is_err()
    {
        return Err(format!("a decimal of scale {scale} has no constant form"));
    }
    Ok(column::first_value(&column))
}
