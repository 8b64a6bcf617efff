//! Facts about columns from Parquet statistics: per row group from the column
//! chunk statistics, per page from the page index.
//!
//! Statistics are converted to Arrow arrays of the column's own Arrow type by
//! `StatisticsConverter`, then read with the evaluator's column reader, so a
//! bound goes through exactly the conversion a value does (timestamp units,
//! nanoseconds floored, Date64 floored to days, negative decimal scales,
//! Float32 widened, NaN as missing). Each of those conversions is monotone,
//! which is what makes a converted bound a bound of the converted values.

use crate::value::{FieldFacts, Scalar, first_scalar};
use arrow::array::{Array, ArrayRef, UInt64Array};
use arrow::datatypes::{DataType, Schema as ArrowSchema};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::basic::{ColumnOrder, SortOrder, Type as PhysicalType};
use parquet::file::metadata::ParquetMetaData;
use seg_ir::Type;

/// How far a column's statistics can be trusted.
struct Trust {
    /// Min/max may be used at all.
    bounds: bool,
    /// Page-index maxima of strings are upper bounds (the writer is known to
    /// increment a truncated max); the page index has no exactness flag.
    page_string_max: bool,
}

/// The first row of each page of one column chunk, and each page's facts.
pub(crate) type PageFacts = (Vec<u64>, Vec<FieldFacts>);

/// Everything the plan needs about one column the program reads.
pub(crate) struct ColumnStats {
    /// Facts per row group.
    pub groups: Vec<FieldFacts>,
    /// Per row group, the first row of each page and its facts, when the file
    /// has an offset index for the column.
    pub pages: Vec<Option<PageFacts>>,
}

/// Reads each element of a statistics array as the evaluator would read a
/// value: `(was a statistic present, the value)`.
fn read_stats(ty: &Type, array: &ArrayRef) -> Option<Vec<(bool, Option<Scalar>)>> {
    // Reading one element at a time keeps this independent of the column's
    // representation (plain, view or dictionary strings, any width).
    let mut out = Vec::with_capacity(array.len());
    for i in 0..array.len() {
        let slice = array.slice(i, 1);
        let one = seg_eval::read_column(ty, &slice)?;
        out.push((!array.is_null(i), first_scalar(&one)));
    }
    Some(out)
}

fn null_count(counts: &UInt64Array, i: usize) -> Option<u64> {
    (i < counts.len() && !counts.is_null(i)).then(|| counts.value(i))
}

/// Builds the facts of one range of rows.
#[allow(clippy::too_many_arguments)]
fn facts(
    rows: u64,
    nulls: Option<u64>,
    min: Option<&(bool, Option<Scalar>)>,
    max: Option<&(bool, Option<Scalar>)>,
    use_min: bool,
    use_max: bool,
    nan_possible: bool,
) -> FieldFacts {
    let mut f = FieldFacts::unknown();
    f.all_missing = rows > 0 && nulls == Some(rows);
    // NaN is missing in Seg but never counted as a null by Parquet, so a
    // float column can always hold missing values.
    f.may_missing = nan_possible || nulls != Some(0);
    for (stat, used, slot) in [(min, use_min, &mut f.min), (max, use_max, &mut f.max)] {
        if let Some((present, value)) = stat {
            if *present && value.is_none() {
                // A statistic the evaluator reads as missing (NaN, or a value
                // whose conversion overflows): values at that end are missing.
                f.may_missing = true;
            }
            if used {
                *slot = value.clone();
            }
        }
    }
    f
}

fn trust(metadata: &ParquetMetaData, index: usize) -> Trust {
    let file = metadata.file_metadata();
    let descr = file.schema_descr().column(index);
    let signed = descr.sort_order() == SortOrder::SIGNED;
    let bounds = descr.physical_type() != PhysicalType::INT96
        && match file.column_order(index) {
            ColumnOrder::TYPE_DEFINED_ORDER(_) => true,
            // Legacy files compared every column signed: only right for
            // columns whose order is signed.
            ColumnOrder::UNDEFINED => signed,
            ColumnOrder::UNKNOWN => false,
        };
    let writer = file.created_by().unwrap_or("");
    Trust {
        bounds,
        page_string_max: writer.starts_with("parquet-rs") || writer.starts_with("parquet-mr"),
    }
}

/// Reads the statistics of the column serving a field, or `None` when there
/// are none to trust (no such column, a type the field cannot read, a list).
pub(crate) fn column_stats(
    metadata: &ParquetMetaData,
    file_schema: &ArrowSchema,
    name: &str,
    ty: &Type,
) -> Option<ColumnStats> {
    if matches!(ty, Type::List(_) | Type::Duration) {
        return None;
    }
    let (_, field) = file_schema.column_with_name(name)?;
    if !seg_eval::accepts(ty, field.data_type()) {
        return None;
    }
    // A UInt64 `int` reads values past `i64::MAX` as missing, which its
    // statistics cannot say: such a column is not pruned on.
    if *ty == Type::Int && *field.data_type() == DataType::UInt64 {
        return None;
    }
    let nan_possible = matches!(
        field.data_type(),
        DataType::Float16 | DataType::Float32 | DataType::Float64
    );
    let is_string = *ty == Type::String;
    let parquet_schema = metadata.file_metadata().schema_descr();
    let converter = StatisticsConverter::try_new(name, file_schema, parquet_schema)
        .ok()?
        .with_missing_null_counts_as_zero(false);
    let index = converter.parquet_column_index()?;
    let trust = trust(metadata, index);
    let groups_meta = metadata.row_groups();
    let mins = read_stats(ty, &converter.row_group_mins(groups_meta.iter()).ok()?)?;
    let maxes = read_stats(ty, &converter.row_group_maxes(groups_meta.iter()).ok()?)?;
    let max_exact = converter
        .row_group_is_max_value_exact(groups_meta.iter())
        .ok()?;
    let min_exact = converter
        .row_group_is_min_value_exact(groups_meta.iter())
        .ok()?;
    let nulls = converter.row_group_null_counts(groups_meta.iter()).ok()?;
    let mut groups = Vec::with_capacity(groups_meta.len());
    for (g, meta) in groups_meta.iter().enumerate() {
        let rows = u64::try_from(meta.num_rows()).unwrap_or(0);
        let stats = meta.column(index).statistics();
        // Deprecated min/max fields were written with signed comparison.
        let deprecated_ok = stats.is_none_or(|s| {
            !s.is_min_max_deprecated()
                || parquet_schema.column(index).sort_order() == SortOrder::SIGNED
        });
        let flag = |a: &arrow::array::BooleanArray| g < a.len() && a.is_valid(g) && a.value(g);
        // A truncated string min is a prefix of the real one, still a lower
        // bound; any other inexact min is not trusted. A max is trusted only
        // when exact: a truncated max need not have been incremented.
        let use_min = trust.bounds && deprecated_ok && (is_string || flag(&min_exact));
        let use_max = trust.bounds && deprecated_ok && flag(&max_exact);
        groups.push(facts(
            rows,
            null_count(&nulls, g),
            mins.get(g),
            maxes.get(g),
            use_min,
            use_max,
            nan_possible,
        ));
    }
    let pages = page_stats(
        metadata,
        &converter,
        index,
        ty,
        nan_possible,
        trust.bounds && (!is_string || trust.page_string_max),
        trust.bounds,
    );
    Some(ColumnStats { groups, pages })
}

/// Facts of every page of every row group (`None` for a row group without an
/// offset index for this column).
fn page_stats(
    metadata: &ParquetMetaData,
    converter: &StatisticsConverter<'_>,
    index: usize,
    ty: &Type,
    nan_possible: bool,
    use_max: bool,
    use_min: bool,
) -> Vec<Option<PageFacts>> {
    let groups = metadata.row_groups();
    let Some(offsets) = metadata.offset_index() else {
        return vec![None; groups.len()];
    };
    let column_index = metadata.column_index();
    (0..groups.len())
        .map(|g| {
            let locations = offsets.get(g)?.get(index)?.page_locations();
            let rows = u64::try_from(groups[g].num_rows()).ok()?;
            let starts: Vec<u64> = locations
                .iter()
                .map(|p| u64::try_from(p.first_row_index).unwrap_or(0))
                .collect();
            let n = starts.len();
            let unknown = || (starts.clone(), vec![FieldFacts::unknown(); n]);
            let Some(column_index) = column_index else {
                return Some(unknown());
            };
            let one = [g];
            let read = || -> Option<Vec<FieldFacts>> {
                let mins = converter
                    .data_page_mins(column_index, offsets, one.iter())
                    .ok()?;
                let maxes = converter
                    .data_page_maxes(column_index, offsets, one.iter())
                    .ok()?;
                let nulls = converter
                    .data_page_null_counts(column_index, offsets, one.iter())
                    .ok()?;
                if mins.len() != n || maxes.len() != n || nulls.len() != n {
                    return None;
                }
                let mins = read_stats(ty, &mins)?;
                let maxes = read_stats(ty, &maxes)?;
                Some(
                    (0..n)
                        .map(|p| {
                            let end = starts.get(p + 1).copied().unwrap_or(rows);
                            let page_rows = end.saturating_sub(starts[p]);
                            facts(
                                page_rows,
                                null_count(&nulls, p),
                                mins.get(p),
                                maxes.get(p),
                                use_min,
                                use_max,
                                nan_possible,
                            )
                        })
                        .collect(),
                )
            };
            Some(match read() {
                Some(f) => (starts, f),
                None => unknown(),
            })
        })
        .collect()
}
