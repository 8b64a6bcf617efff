//! Event histories held in their own flat table (`seg run … --events
//! orders=orders.parquet`, LANGUAGE.md §7.1): one row per event, with a column
//! named like the schema's `key` field and a column per field of the history's
//! record type.
//!
//! The table is read once, with only the key and the record's columns, and its
//! rows are grouped by key: an index from each key to its run of row numbers.
//! Each profile batch then gets the history column its rules read, built by
//! gathering the rows of its profiles' keys (`take`) into a `List<Struct>`:
//! the events are held once, plus one batch's worth of gathered copies at a
//! time. A profile with no row gets an empty history (so `orders is missing`
//! is false for everyone); rows whose key is missing or matches no profile are
//! ignored and counted in [`EventsReport`].

use crate::Error;
use crate::formats::{self, DataFormat};
use crate::input::{Input, InputBatch};
use arrow::array::{Array, ArrayRef, AsArray, ListArray, RecordBatch, StructArray, UInt32Array};
use arrow::buffer::OffsetBuffer;
use arrow::compute::{cast, concat_batches, take};
use arrow::datatypes::{DataType, Field as ArrowField, Fields, Schema as ArrowSchema, SchemaRef};
use seg_ir::{Field, FieldId, Program, Schema, Type};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One `--events FIELD=FILE`: the events of one history field, grouped by key.
pub struct EventTable {
    /// The profile field the table fills.
    field: String,
    /// The file, for messages.
    path: PathBuf,
    /// The struct fields of the history's elements (the record's fields, as read).
    record: Fields,
    /// The record's columns over every event row, in record-field order.
    columns: Vec<ArrayRef>,
    /// Each key's group.
    index: KeyIndex,
    /// Event rows grouped by key: group `g` is `order[starts[g]..starts[g + 1]]`.
    order: Vec<u32>,
    starts: Vec<u32>,
    /// Whether some profile had the group's key.
    matched: Vec<bool>,
    /// Rows whose key is missing.
    unkeyed: u64,
    /// Rows whose key no profile can have (a UInt64 past `i64::MAX`).
    beyond: u64,
}

/// Keys as the language compares them: an `int` key as a 64-bit integer
/// (whatever the column's width), a `string` key as its text.
enum KeyIndex {
    Int(HashMap<i64, u32, KeyHasher>),
    Str(HashMap<Box<str>, u32, KeyHasher>),
}

/// The hasher of the key index: foldhash rather than std's SipHash, because
/// grouping is one hash per event and per profile batch row, and on 10M
/// events foldhash's grouping loop took about 0.6 of SipHash's time. It is
/// seeded at random per process; it is not built to resist crafted
/// collisions as SipHash is, but a hostile events file could only slow its
/// own run.
type KeyHasher = foldhash::fast::RandomState;

/// What happened to one event table's rows in a run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EventsReport {
    /// The history field.
    pub field: String,
    /// The file.
    pub path: PathBuf,
    /// Rows in the table.
    pub rows: u64,
    /// Rows whose key matched a profile of the run.
    pub matched_rows: u64,
    /// Rows whose key matched no profile (ignored).
    pub unmatched_rows: u64,
    /// Rows without a key (ignored).
    pub missing_key_rows: u64,
}

fn usage(message: String, help: &str) -> Error {
    Error::new("E0401", message, Some(help.to_string()))
}

/// The key field of `program`, for matching events to profiles.
fn key_field(program: &Program) -> Result<(FieldId, &Field), Error> {
    let key = program.schema.key().ok_or_else(|| {
        usage(
            "`--events` needs a `key` field in the schema: events are matched to profiles by key"
                .to_string(),
            "mark the profile id as the key, e.g. `customer_id: int key`",
        )
    })?;
    Ok((key, program.schema.field(key)))
}

/// Reads a key column as 64-bit integers or as text (the two key types),
/// with the number of keys no profile can have: a UInt64 past `i64::MAX`
/// (every `int` profile key is an i64), which becomes null here and is
/// counted as matching no profile, not as a missing key.
fn key_column(array: &ArrayRef, ty: &Type) -> Result<(ArrayRef, u64), arrow::error::ArrowError> {
    match ty {
        Type::String => Ok((cast(array, &DataType::LargeUtf8)?, 0)),
        _ => {
            let ints = cast(array, &DataType::Int64)?;
            let beyond = (ints.null_count() - array.null_count()) as u64;
            Ok((ints, beyond))
        }
    }
}

impl EventTable {
    /// Reads `path` (any format [`formats::open`] reads) as the events of the
    /// history field `field` of `program`: the key column (named like the
    /// schema's key, of a type that field accepts) and one column per field of
    /// the record type (extra columns are ignored).
    pub fn load(
        path: &Path,
        format: DataFormat,
        program: &Program,
        field: FieldId,
        batch_rows: usize,
    ) -> Result<EventTable, Error> {
        let (_, key) = key_field(program)?;
        let history = program.schema.field(field);
        let record = match &history.ty {
            Type::List(element) => element.record_fields(),
            _ => None,
        }
        .ok_or_else(|| {
            usage(
                format!(
                    "`--events {}=…`: `{}` is a `{}`, not an event history",
                    history.name, history.name, history.ty
                ),
                "`--events` fills a field declared as a list of records, e.g. \
                 `orders: list<{ at: timestamp, amount: decimal }>`",
            )
        })?;
        if record.iter().any(|f| f.name == key.name) {
            return Err(usage(
                format!(
                    "`--events {}=…`: the record field `{}` has the name of the key, so the \
                     key column of `{}` would be ambiguous",
                    history.name,
                    key.name,
                    path.display()
                ),
                "rename the record field",
            ));
        }
        // The flat table as a schema of its own: the key, then the record's
        // fields, so that every reader (and its type conversions for text
        // formats) serves it unchanged.
        let mut fields = vec![Field {
            key: true,
            ..key.clone()
        }];
        fields.extend(record.iter().map(|r| Field {
            name: r.name.clone(),
            ty: r.ty.clone(),
            key: false,
            pii: false,
            one_of: None,
            span: history.span,
            record: Vec::new(),
        }));
        let flat = Program {
            schema: Schema { fields },
            ..Program::default()
        };
        let ids: Vec<FieldId> = (0..flat.schema.fields.len())
            .map(|i| FieldId(u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let input = formats::open(path, format, &flat, &ids, batch_rows, None)?;
        for f in &flat.schema.fields {
            let Ok(column) = input.schema.field_with_name(&f.name) else {
                return Err(Error::new(
                    "E0401",
                    format!(
                        "column `{}` is missing from the events of `{}` (`{}`)",
                        f.name,
                        history.name,
                        path.display()
                    ),
                    Some(format!(
                        "the events table needs the key column `{}` and a column per field of \
                         `{}`; its columns are: {}",
                        key.name,
                        history.ty,
                        input.columns.join(", ")
                    )),
                ));
            };
            // §7.1: the key column may be any int width, UInt64 included;
            // a key past i64's range matches no profile (see `key_column`).
            let wide_key = f.key && f.ty == Type::Int && column.data_type() == &DataType::UInt64;
            if !wide_key && !seg_eval::accepts(&f.ty, column.data_type()) {
                return Err(Error::new(
                    "E0402",
                    format!(
                        "column `{}` of `{}` is {}, which does not fit `{}: {}`",
                        f.name,
                        path.display(),
                        column.data_type(),
                        f.name,
                        f.ty
                    ),
                    Some(format!(
                        "a field declared `{}` reads {}",
                        f.ty,
                        seg_eval::accepted_types(&f.ty)
                    )),
                ));
            }
        }
        let schema = input.schema.clone();
        let mut batches = Vec::new();
        for batch in input.batches {
            batches.push(batch?.batch);
        }
        let all = concat_batches(&schema, &batches)
            .map_err(|e| Error::unreadable(path, format.title(), e))?;
        drop(batches);
        let column = |name: &str| -> Result<ArrayRef, Error> {
            formats::column_of(&all, name).cloned().ok_or_else(|| {
                Error::new(
                    "E0403",
                    format!("`{}` lost its column `{name}`", path.display()),
                    None,
                )
            })
        };
        let (keys, beyond) = key_column(&column(&key.name)?, &key.ty)
            .map_err(|e| Error::unreadable(path, format.title(), e))?;
        let mut columns = Vec::with_capacity(record.len());
        let mut children = Vec::with_capacity(record.len());
        for r in record {
            let c = column(&r.name)?;
            children.push(ArrowField::new(r.name.clone(), c.data_type().clone(), true));
            columns.push(c);
        }
        let mut table = EventTable {
            field: history.name.clone(),
            path: path.to_path_buf(),
            record: Fields::from(children),
            columns,
            index: KeyIndex::Int(HashMap::default()),
            order: Vec::new(),
            starts: Vec::new(),
            matched: Vec::new(),
            unkeyed: 0,
            beyond,
        };
        table.group(&keys)?;
        // The keys past i64's range were read as missing; they are not.
        table.unkeyed -= beyond.min(table.unkeyed);
        Ok(table)
    }

    /// Groups the rows by key: a group number per distinct key in order of
    /// first appearance, then a counting sort of the row numbers by group.
    fn group(&mut self, keys: &ArrayRef) -> Result<(), Error> {
        let rows = u32::try_from(keys.len()).map_err(|_| {
            Error::new(
                "E0403",
                format!(
                    "`{}` has {} events; at most {} are supported",
                    self.path.display(),
                    keys.len(),
                    u32::MAX
                ),
                Some("split the events by profile and run the parts separately".to_string()),
            )
        })?;
        let mut group_of = vec![u32::MAX; rows as usize];
        let mut sizes: Vec<u32> = Vec::new();
        let mut assign = |row: usize, group: u32, sizes: &mut Vec<u32>| {
            if group as usize == sizes.len() {
                sizes.push(0);
            }
            sizes[group as usize] += 1;
            group_of[row] = group;
        };
        let mut unkeyed = 0u64;
        if let Some(strings) = keys.as_string_opt::<i64>() {
            let mut index: HashMap<Box<str>, u32, KeyHasher> = HashMap::default();
            for (row, key) in strings.iter().enumerate() {
                let Some(key) = key else {
                    unkeyed += 1;
                    continue;
                };
                let next = index.len() as u32;
                let group = *index.entry(key.into()).or_insert(next);
                assign(row, group, &mut sizes);
            }
            self.index = KeyIndex::Str(index);
        } else {
            let ints = keys.as_primitive::<arrow::datatypes::Int64Type>();
            let mut index: HashMap<i64, u32, KeyHasher> = HashMap::default();
            for (row, key) in ints.iter().enumerate() {
                let Some(key) = key else {
                    unkeyed += 1;
                    continue;
                };
                let next = index.len() as u32;
                let group = *index.entry(key).or_insert(next);
                assign(row, group, &mut sizes);
            }
            self.index = KeyIndex::Int(index);
        }
        let mut starts = Vec::with_capacity(sizes.len() + 1);
        let mut at = 0u32;
        for size in &sizes {
            starts.push(at);
            at += size;
        }
        starts.push(at);
        let mut next = starts.clone();
        let mut order = vec![0u32; at as usize];
        for (row, group) in group_of.iter().enumerate() {
            if *group != u32::MAX {
                let slot = &mut next[*group as usize];
                order[*slot as usize] = row as u32;
                *slot += 1;
            }
        }
        self.matched = vec![false; sizes.len()];
        self.order = order;
        self.starts = starts;
        self.unkeyed = unkeyed;
        Ok(())
    }

    /// The history field this table fills.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The Arrow type of the history column [`EventTable::attach`] builds.
    pub fn data_type(&self) -> DataType {
        DataType::List(Arc::new(ArrowField::new(
            "item",
            DataType::Struct(self.record.clone()),
            true,
        )))
    }

    /// The histories of the profiles whose keys `keys` holds (the profile
    /// batch's key column), one list per profile, empty for a profile without
    /// events or without a key.
    pub fn attach(&mut self, keys: &ArrayRef, key_ty: &Type) -> Result<ArrayRef, Error> {
        // A UInt64 profile key past i64 reads as missing: that profile
        // has no key, so it gets an empty history.
        let keys = key_column(keys, key_ty)
            .map(|(keys, _)| keys)
            .map_err(|e| {
                Error::new(
                    "E0403",
                    format!(
                        "cannot read the profiles' keys to match `{}`: {e}",
                        self.path.display()
                    ),
                    None,
                )
            })?;
        let mut offsets = Vec::with_capacity(keys.len() + 1);
        offsets.push(0i32);
        let mut rows: Vec<u32> = Vec::new();
        let mut push = |group: Option<u32>, this: &mut EventTable| -> Result<(), Error> {
            if let Some(g) = group {
                this.matched[g as usize] = true;
                let (lo, hi) = (this.starts[g as usize], this.starts[g as usize + 1]);
                rows.extend_from_slice(&this.order[lo as usize..hi as usize]);
            }
            let end = i32::try_from(rows.len()).map_err(|_| {
                Error::new(
                    "E0403",
                    format!(
                        "the profiles of one batch have more than {} events in `{}`",
                        i32::MAX,
                        this.path.display()
                    ),
                    Some("run with smaller batches".to_string()),
                )
            })?;
            offsets.push(end);
            Ok(())
        };
        if let Some(strings) = keys.as_string_opt::<i64>() {
            for key in strings.iter() {
                let group = match (&self.index, key) {
                    (KeyIndex::Str(index), Some(k)) => index.get(k).copied(),
                    _ => None,
                };
                push(group, self)?;
            }
        } else {
            let ints = keys.as_primitive::<arrow::datatypes::Int64Type>();
            for key in ints.iter() {
                let group = match (&self.index, key) {
                    (KeyIndex::Int(index), Some(k)) => index.get(&k).copied(),
                    _ => None,
                };
                push(group, self)?;
            }
        }
        let indices = UInt32Array::from(rows);
        let mut children = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            children
                .push(take(column.as_ref(), &indices, None).map_err(|e| {
                    Error::new("E0403", format!("cannot gather events: {e}"), None)
                })?);
        }
        let values = StructArray::try_new(self.record.clone(), children, None)
            .map_err(|e| Error::new("E0403", format!("cannot gather events: {e}"), None))?;
        let item = Arc::new(ArrowField::new(
            "item",
            DataType::Struct(self.record.clone()),
            true,
        ));
        let list = ListArray::try_new(
            item,
            OffsetBuffer::new(offsets.into()),
            Arc::new(values),
            None,
        )
        .map_err(|e| Error::new("E0403", format!("cannot gather events: {e}"), None))?;
        Ok(Arc::new(list))
    }

    /// The table's rows: matched, unmatched and without a key so far.
    pub fn report(&self) -> EventsReport {
        let mut matched_rows = 0u64;
        let mut unmatched_rows = self.beyond;
        for (g, matched) in self.matched.iter().enumerate() {
            let size = u64::from(self.starts[g + 1] - self.starts[g]);
            if *matched {
                matched_rows += size;
            } else {
                unmatched_rows += size;
            }
        }
        EventsReport {
            field: self.field.clone(),
            path: self.path.clone(),
            rows: matched_rows + unmatched_rows + self.unkeyed,
            matched_rows,
            unmatched_rows,
            missing_key_rows: self.unkeyed,
        }
    }
}

/// The event tables of a run, shared with the input that fills them, for the
/// report at the end.
#[derive(Clone)]
pub struct Events(Arc<Mutex<Vec<EventTable>>>);

impl Events {
    /// What happened to each table's rows (complete once the input is read).
    pub fn reports(&self) -> Vec<EventsReport> {
        match self.0.lock() {
            Ok(tables) => tables.iter().map(EventTable::report).collect(),
            Err(poisoned) => poisoned.get_ref().iter().map(EventTable::report).collect(),
        }
    }
}

/// Opens the profiles at `path` for `query` with the histories of `tables`
/// attached: the profile file is read for the columns the rules read except
/// the attached histories (plus the key), and each batch gets one history
/// column per table, appended after the profile columns. A history column the
/// profile file may also hold is not read: `--events` replaces it.
///
/// Statistics pruning is off: every profile must be seen for the count of
/// events that match no profile to be right.
pub fn open_query_with_events(
    query: &crate::Query,
    path: &Path,
    format: DataFormat,
    batch_rows: usize,
    tables: Vec<EventTable>,
) -> Result<(Input, Events), Error> {
    let program = query.program();
    let (key_id, key) = key_field(program)?;
    let attached: Vec<&str> = tables.iter().map(EventTable::field).collect();
    let mut fields: Vec<FieldId> = query
        .required_fields()
        .into_iter()
        .filter(|f| !attached.contains(&program.schema.field(*f).name.as_str()))
        .collect();
    if !fields.contains(&key_id) {
        fields.push(key_id);
    }
    let mut input = formats::open(path, format, program, &fields, batch_rows, None)?;
    let mut schema_fields: Vec<ArrowField> = input
        .schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for table in &tables {
        schema_fields.push(ArrowField::new(table.field(), table.data_type(), true));
    }
    let schema: SchemaRef = Arc::new(ArrowSchema::new(schema_fields));
    let key_name = key.name.clone();
    let key_ty = key.ty.clone();
    let shared = Events(Arc::new(Mutex::new(tables)));
    let state = shared.clone();
    let out_schema = schema.clone();
    let batches = std::mem::replace(&mut input.batches, Box::new(std::iter::empty()));
    input.batches = Box::new(batches.map(move |batch| {
        let batch = batch?;
        if batch.skipped {
            return Ok(batch);
        }
        let keys = formats::column_of(&batch.batch, &key_name)
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    "E0401",
                    format!("the key column `{key_name}` is missing"),
                    None,
                )
            })?;
        let mut columns = batch.batch.columns().to_vec();
        let mut tables = state
            .0
            .lock()
            .map_err(|_| Error::new("E0901", "an events table was left inconsistent", None))?;
        for table in tables.iter_mut() {
            columns.push(table.attach(&keys, &key_ty)?);
        }
        let batch = RecordBatch::try_new(out_schema.clone(), columns)
            .map_err(|e| Error::new("E0403", format!("cannot attach events: {e}"), None))?;
        Ok(InputBatch::evaluated(batch))
    }));
    input.columns.extend(
        schema
            .fields()
            .iter()
            .skip(input.schema.fields().len())
            .map(|f| f.name().clone()),
    );
    input.schema = schema;
    Ok((input, shared))
}
