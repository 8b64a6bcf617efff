//! Binding schema fields to Arrow columns, and reading them into the
//! evaluator's columns.
//!
//! The evaluator works on plain vectors of `Option` values: a missing value is
//! `None` whatever the Arrow representation was (null bitmap, null dictionary
//! key, null dictionary value, NaN). Reading goes through Arrow's value
//! accessors, which honour slice offsets, so sliced arrays need no special case.

use arrow::array::{Array, ArrayRef, AsArray, GenericListArray, OffsetSizeTrait};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, TimeUnit as ArrowTimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use seg_ir::Type;
use std::borrow::Cow;

/// A column of values, one `Option` per row (`None` is missing).
#[derive(Clone, Debug, PartialEq)]
pub enum Col<'a> {
    /// Truth values; `None` is unknown.
    Bool(Vec<Option<bool>>),
    /// 64-bit integers.
    Int(Vec<Option<i64>>),
    /// Floats, never NaN (NaN is read and computed as missing).
    Float(Vec<Option<f64>>),
    /// Exact decimals: unscaled values and one scale for the column.
    Decimal(Vec<Option<i128>>, u32),
    /// Strings, borrowed from the batch where possible.
    Str(Vec<Option<Cow<'a, str>>>),
    /// Dates, days since the epoch.
    Date(Vec<Option<i32>>),
    /// Instants, microseconds since the epoch.
    Timestamp(Vec<Option<i64>>),
    /// Lists of strings (elements may be missing).
    ListStr(Vec<Option<Vec<Option<Cow<'a, str>>>>>),
    /// Lists of integers (elements may be missing).
    ListInt(Vec<Option<Vec<Option<i64>>>>),
}

fn is_int(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
    )
}

fn is_string(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(key, value) => key.is_integer() && is_plain_string(value),
        _ => false,
    }
}

fn is_plain_string(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// True when an Arrow column of type `dt` can serve a schema field of type `ty`
/// (LANGUAGE.md §5). The rule is recursive: a list accepts a `List` or
/// `LargeList` whose elements its element type accepts, and a record accepts a
/// `Struct` that has, by name and in any order, a child its field's type
/// accepts for each of its fields (extra children are ignored, as extra
/// columns are).
pub fn accepts(ty: &Type, dt: &DataType) -> bool {
    match ty {
        // UInt64 too: a value past `i64::MAX` reads as missing (see
        // `read_ints`), so a UInt64 id column keeps its `int` type.
        Type::Int => is_int(dt) || *dt == DataType::UInt64,
        Type::Float => {
            matches!(dt, DataType::Float32 | DataType::Float64 | DataType::UInt64) || is_int(dt)
        }
        Type::Decimal => matches!(dt, DataType::Decimal128(_, _)),
        Type::Bool => matches!(dt, DataType::Boolean),
        Type::String => is_string(dt),
        Type::Date => matches!(dt, DataType::Date32 | DataType::Date64),
        Type::Timestamp => matches!(dt, DataType::Timestamp(_, _)),
        Type::List(element) => match dt {
            DataType::List(f) | DataType::LargeList(f) => accepts_nested(element, f.data_type()),
            _ => false,
        },
        Type::Record(fields) => match dt {
            DataType::Struct(children) => fields.iter().all(|field| {
                children
                    .iter()
                    .find(|child| child.name() == &field.name)
                    .is_some_and(|child| accepts_nested(&field.ty, child.data_type()))
            }),
            _ => false,
        },
        Type::Duration => false,
    }
}

/// [`accepts`] for list elements and record fields, which take no UInt64
/// `int`: only a top-level column reads past-`i64` values as missing.
fn accepts_nested(ty: &Type, dt: &DataType) -> bool {
    !(*ty == Type::Int && *dt == DataType::UInt64) && accepts(ty, dt)
}

/// The Arrow types a schema type accepts, in words, for error messages.
pub fn accepted_types(ty: &Type) -> Cow<'static, str> {
    match ty {
        Type::Int => "Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32 or UInt64".into(),
        Type::Float => "Float32, Float64 or an integer type".into(),
        Type::Decimal => "Decimal128 of any scale".into(),
        Type::Bool => "Boolean".into(),
        Type::String => "Utf8, LargeUtf8, Utf8View or a Dictionary of those".into(),
        Type::Date => "Date32 or Date64".into(),
        Type::Timestamp => "Timestamp of any unit and time zone".into(),
        Type::List(element) => match **element {
            Type::String => "List or LargeList of strings".into(),
            Type::Int => "List or LargeList of integers".into(),
            _ => format!("List or LargeList of {}", accepted_types(element)).into(),
        },
        Type::Record(fields) => format!(
            "Struct with the fields {}",
            fields
                .iter()
                .map(|f| format!("`{}` ({})", f.name, accepted_types(&f.ty)))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into(),
        Type::Duration => "nothing (durations are not columns)".into(),
    }
}

/// Reads an Arrow column as the schema type `ty` (which [`accepts`] it).
/// Returns `None` when the column's type does not fit, and for the types the
/// evaluator has no column for yet (lists of other than strings and ints,
/// records).
pub fn read<'a>(ty: &Type, array: &'a ArrayRef) -> Option<Col<'a>> {
    Some(match ty {
        Type::Int => Col::Int(read_ints(array)?),
        Type::Float => Col::Float(read_floats(array)?),
        Type::Decimal => {
            let DataType::Decimal128(_, scale) = array.data_type() else {
                return None;
            };
            let values = array.as_primitive_opt::<Decimal128Type>()?;
            if *scale >= 0 {
                Col::Decimal(values.iter().collect(), u32::from(scale.unsigned_abs()))
            } else {
                // A negative scale multiplies: bring it to scale 0 exactly.
                let by = u32::from(scale.unsigned_abs());
                Col::Decimal(
                    values
                        .iter()
                        .map(|v| v.and_then(|v| crate::num::rescale_up(v, by)))
                        .collect(),
                    0,
                )
            }
        }
        Type::Bool => Col::Bool(array.as_boolean_opt()?.iter().collect()),
        Type::String => Col::Str(read_strings(array)?),
        Type::Date => Col::Date(match array.data_type() {
            DataType::Date32 => array.as_primitive::<Date32Type>().iter().collect(),
            DataType::Date64 => array
                .as_primitive::<Date64Type>()
                .iter()
                .map(|v| v.and_then(|ms| i32::try_from(ms.div_euclid(86_400_000)).ok()))
                .collect(),
            _ => return None,
        }),
        Type::Timestamp => Col::Timestamp(read_timestamps(array)?),
        Type::List(element) if **element == Type::String => Col::ListStr(match array.data_type() {
            DataType::List(_) => read_lists(array.as_list::<i32>(), read_strings_owned_by)?,
            DataType::LargeList(_) => read_lists(array.as_list::<i64>(), read_strings_owned_by)?,
            _ => return None,
        }),
        Type::List(element) if **element == Type::Int => Col::ListInt(match array.data_type() {
            DataType::List(_) => read_lists(array.as_list::<i32>(), read_ints)?,
            DataType::LargeList(_) => read_lists(array.as_list::<i64>(), read_ints)?,
            _ => return None,
        }),
        Type::List(_) | Type::Record(_) | Type::Duration => return None,
    })
}

fn read_ints(array: &ArrayRef) -> Option<Vec<Option<i64>>> {
    macro_rules! widen {
        ($t:ty) => {
            array
                .as_primitive::<$t>()
                .iter()
                .map(|v| v.map(i64::from))
                .collect()
        };
    }
    Some(match array.data_type() {
        DataType::Int8 => widen!(Int8Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int64 => array.as_primitive::<Int64Type>().iter().collect(),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt32 => widen!(UInt32Type),
        // No `int` holds a value past `i64::MAX`: such a value is missing,
        // as a key past it matches no profile in `--events`
        // (docs/semantics.md, "Data binding").
        DataType::UInt64 => array
            .as_primitive::<UInt64Type>()
            .iter()
            .map(|v| v.and_then(|x| i64::try_from(x).ok()))
            .collect(),
        _ => return None,
    })
}

fn read_floats(array: &ArrayRef) -> Option<Vec<Option<f64>>> {
    let not_nan = |v: Option<f64>| v.filter(|x| !x.is_nan());
    Some(match array.data_type() {
        // Float32 widens to f64 exactly.
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .iter()
            .map(|v| not_nan(v.map(f64::from)))
            .collect(),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .iter()
            .map(not_nan)
            .collect(),
        // Integers compare as float: the nearest f64.
        DataType::UInt64 => array
            .as_primitive::<UInt64Type>()
            .iter()
            .map(|v| v.map(|x| x as f64))
            .collect(),
        _ => read_ints(array)?
            .into_iter()
            .map(|v| v.map(|x| x as f64))
            .collect(),
    })
}

fn read_timestamps(array: &ArrayRef) -> Option<Vec<Option<i64>>> {
    let DataType::Timestamp(unit, _) = array.data_type() else {
        return None;
    };
    // Arrow timestamps count from the epoch in UTC whatever their zone; only
    // the unit needs converting. Nanoseconds floor to the microsecond.
    Some(match unit {
        ArrowTimeUnit::Second => array
            .as_primitive::<TimestampSecondType>()
            .iter()
            .map(|v| v.and_then(|s| s.checked_mul(1_000_000)))
            .collect(),
        ArrowTimeUnit::Millisecond => array
            .as_primitive::<TimestampMillisecondType>()
            .iter()
            .map(|v| v.and_then(|ms| ms.checked_mul(1_000)))
            .collect(),
        ArrowTimeUnit::Microsecond => array
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .collect(),
        ArrowTimeUnit::Nanosecond => array
            .as_primitive::<TimestampNanosecondType>()
            .iter()
            .map(|v| v.map(|ns| ns.div_euclid(1_000)))
            .collect(),
    })
}

fn read_strings(array: &ArrayRef) -> Option<Vec<Option<Cow<'_, str>>>> {
    fn borrowed(v: Option<&str>) -> Option<Cow<'_, str>> {
        v.map(Cow::Borrowed)
    }
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().map(borrowed).collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().map(borrowed).collect(),
        DataType::Utf8View => array.as_string_view().iter().map(borrowed).collect(),
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary_opt()?;
            // A dictionary without values can only hold null keys (Arrow
            // validates keys on construction), and Arrow's `normalized_keys`
            // panics on it: every row is missing.
            if dictionary.values().is_empty() {
                return Some(vec![None; array.len()]);
            }
            let values = read_strings(dictionary.values())?;
            let keys = dictionary.normalized_keys();
            (0..array.len())
                .map(|i| {
                    // A null key and a key pointing at a null value are both missing.
                    if dictionary.keys().is_null(i) {
                        return None;
                    }
                    values.get(*keys.get(i)?)?.clone()
                })
                .collect()
        }
        _ => return None,
    })
}

/// Strings of a list element array; owned because each row's slice is a new
/// array that does not outlive the read.
fn read_strings_owned_by(array: &ArrayRef) -> Option<Vec<Option<Cow<'static, str>>>> {
    Some(
        read_strings(array)?
            .into_iter()
            .map(|v| v.map(|s| Cow::Owned(s.into_owned())))
            .collect(),
    )
}

fn read_lists<O: OffsetSizeTrait, T>(
    list: &GenericListArray<O>,
    read_values: impl Fn(&ArrayRef) -> Option<Vec<Option<T>>>,
) -> Option<Vec<Option<Vec<Option<T>>>>> {
    // Read the child once over the range the (possibly sliced) list covers.
    let offsets = list.value_offsets();
    let first = offsets.first()?.as_usize();
    let last = offsets.last()?.as_usize();
    let child = list.values().slice(first, last - first);
    let mut values: Vec<Option<T>> = read_values(&child)?;
    let mut out = Vec::with_capacity(list.len());
    // Walk rows from the end so each row's elements can be split off.
    for i in (0..list.len()).rev() {
        let start = offsets[i].as_usize() - first;
        let row = values.split_off(start);
        out.push(if list.is_null(i) { None } else { Some(row) });
    }
    out.reverse();
    Some(out)
}

/// The first row of a column as a constant (`None` when it is missing).
pub fn first_value(col: &Col<'_>) -> Option<seg_ir::Const> {
    use seg_ir::Const;
    match col {
        Col::Bool(v) => v.first().copied().flatten().map(Const::Bool),
        Col::Int(v) => v.first().copied().flatten().map(Const::Int),
        Col::Float(v) => v.first().copied().flatten().map(Const::Float),
        Col::Decimal(v, scale) => v.first().copied().flatten().map(|unscaled| Const::Decimal {
            unscaled,
            scale: u8::try_from(*scale).unwrap_or(u8::MAX),
        }),
        Col::Str(v) => v
            .first()
            .and_then(|x| x.as_ref())
            .map(|s| Const::String(s.to_string())),
        Col::Date(v) => v.first().copied().flatten().map(Const::Date),
        Col::Timestamp(v) => v.first().copied().flatten().map(Const::Timestamp),
        Col::ListStr(v) => v.first().and_then(|x| x.as_ref()).and_then(|items| {
            items
                .iter()
                .map(|s| s.as_ref().map(|s| s.to_string()))
                .collect::<Option<Vec<_>>>()
                .map(Const::ListString)
        }),
        Col::ListInt(v) => v.first().and_then(|x| x.as_ref()).and_then(|items| {
            items
                .iter()
                .copied()
                .collect::<Option<Vec<_>>>()
                .map(Const::ListInt)
        }),
    }
}
