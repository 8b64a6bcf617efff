//! Scalar values as the evaluator sees them, compared exactly as it compares
//! them, and the facts known about one field over a range of rows.

use seg_eval::Col;
use seg_eval::num::{cmp_decimal, decimal_to_f64};
use seg_ir::Const;
use std::cmp::Ordering;

/// One present (non-missing) value of a scalar Seg type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Bool(bool),
    Int(i64),
    /// Never NaN: NaN is missing in Seg.
    Float(f64),
    /// Unscaled value and scale.
    Decimal(i128, u32),
    Str(String),
    Date(i32),
    Timestamp(i64),
}

impl Scalar {
    /// The scalar of a constant; `None` for a missing value (NaN), lists and
    /// durations, which have no scalar form.
    pub(crate) fn from_const(c: &Const) -> Option<Scalar> {
        Some(match c {
            Const::Bool(v) => Scalar::Bool(*v),
            Const::Int(v) => Scalar::Int(*v),
            Const::Float(v) if v.is_nan() => return None,
            Const::Float(v) => Scalar::Float(*v),
            Const::Decimal { unscaled, scale } => Scalar::Decimal(*unscaled, u32::from(*scale)),
            Const::String(s) => Scalar::Str(s.clone()),
            Const::Date(d) => Scalar::Date(*d),
            Const::Timestamp(t) => Scalar::Timestamp(*t),
            _ => return None,
        })
    }

    /// The constant form, for rendering.
    pub(crate) fn to_const(&self) -> Const {
        match self {
            Scalar::Bool(v) => Const::Bool(*v),
            Scalar::Int(v) => Const::Int(*v),
            Scalar::Float(v) => Const::Float(*v),
            Scalar::Decimal(u, s) => Const::Decimal {
                unscaled: *u,
                scale: u8::try_from(*s).unwrap_or(u8::MAX),
            },
            Scalar::Str(s) => Const::String(s.clone()),
            Scalar::Date(d) => Const::Date(*d),
            Scalar::Timestamp(t) => Const::Timestamp(*t),
        }
    }

    /// Compares two values of one type as the evaluator does: IEEE order for
    /// floats (so -0.0 equals 0.0), exact order for decimals of any scales,
    /// byte order for strings. `None` when the types differ, which a checked
    /// program never produces; callers then assume nothing.
    pub(crate) fn cmp(&self, other: &Scalar) -> Option<Ordering> {
        match (self, other) {
            (Scalar::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
            (Scalar::Int(a), Scalar::Int(b)) => Some(a.cmp(b)),
            (Scalar::Float(a), Scalar::Float(b)) => a.partial_cmp(b),
            (Scalar::Decimal(a, sa), Scalar::Decimal(b, sb)) => Some(cmp_decimal(*a, *sa, *b, *sb)),
            (Scalar::Str(a), Scalar::Str(b)) => Some(a.as_str().cmp(b.as_str())),
            (Scalar::Date(a), Scalar::Date(b)) => Some(a.cmp(b)),
            (Scalar::Timestamp(a), Scalar::Timestamp(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// The value after an explicit cast of the checker (int→float,
    /// int→decimal, decimal→float, date→timestamp), computed exactly as the
    /// evaluator computes it. Every one of these conversions is monotone
    /// (non-decreasing), so bounds convert to bounds. `Err(())` when the cast
    /// is not one of those; `Ok(None)` when the evaluator would produce a
    /// missing value (a date whose midnight overflows microseconds). A
    /// date's local midnight in `zone` is monotone too: midnights follow
    /// each other whatever the DST rules.
    pub(crate) fn cast(&self, to: &seg_ir::Type, zone: seg_ir::Zone) -> Result<Option<Scalar>, ()> {
        use seg_ir::Type;
        Ok(Some(match (self, to) {
            (Scalar::Int(v), Type::Float) => Scalar::Float(*v as f64),
            (Scalar::Int(v), Type::Decimal) => Scalar::Decimal(i128::from(*v), 0),
            (Scalar::Decimal(u, s), Type::Float) => Scalar::Float(decimal_to_f64(*u, *s)),
            (Scalar::Date(d), Type::Timestamp) => match seg_eval::num::midnight(zone, *d) {
                Some(t) => Scalar::Timestamp(t),
                None => return Ok(None),
            },
            _ => return Err(()),
        }))
    }
}

/// The first value of an evaluator column as a scalar: `None` when it is
/// missing (null, NaN, or a value the evaluator cannot represent).
pub(crate) fn first_scalar(col: &Col<'_>) -> Option<Scalar> {
    match col {
        Col::Bool(v) => v.first().copied().flatten().map(Scalar::Bool),
        Col::Int(v) => v.first().copied().flatten().map(Scalar::Int),
        Col::Float(v) => v.first().copied().flatten().map(Scalar::Float),
        Col::Decimal(v, s) => v.first().copied().flatten().map(|u| Scalar::Decimal(u, *s)),
        Col::Str(v) => v
            .first()
            .and_then(|x| x.as_ref())
            .map(|s| Scalar::Str(s.to_string())),
        Col::Date(v) => v.first().copied().flatten().map(Scalar::Date),
        Col::Timestamp(v) => v.first().copied().flatten().map(Scalar::Timestamp),
        Col::ListStr(_) | Col::ListInt(_) => None,
    }
}

/// What is known about the values of one expression over a range of rows.
/// Bounds are inclusive and constrain only the present values; `None` is
/// unbounded.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Range {
    /// Some row may be missing.
    pub may_missing: bool,
    /// Some row may be present.
    pub may_present: bool,
    /// Every present value is at least this.
    pub lo: Option<Scalar>,
    /// Every present value is at most this.
    pub hi: Option<Scalar>,
}

impl Range {
    /// Nothing known.
    pub(crate) fn top() -> Range {
        Range {
            may_missing: true,
            may_present: true,
            lo: None,
            hi: None,
        }
    }

    /// Every row missing.
    pub(crate) fn missing() -> Range {
        Range {
            may_missing: true,
            may_present: false,
            lo: None,
            hi: None,
        }
    }

    /// Every row holds this one value (or, for `None`, is missing).
    pub(crate) fn exactly(value: Option<Scalar>) -> Range {
        match value {
            Some(v) => Range {
                may_missing: false,
                may_present: true,
                lo: Some(v.clone()),
                hi: Some(v),
            },
            None => Range::missing(),
        }
    }

    /// The single value every present row holds, when the bounds meet.
    pub(crate) fn singleton(&self) -> Option<&Scalar> {
        match (&self.lo, &self.hi) {
            (Some(lo), Some(hi)) if lo.cmp(hi) == Some(Ordering::Equal) => Some(lo),
            _ => None,
        }
    }
}

/// Facts about one column over some rows (a row group or a page), from the
/// Parquet statistics, read as the evaluator reads the column.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldFacts {
    /// A valid lower bound of the present values, when known.
    pub(crate) min: Option<Scalar>,
    /// A valid upper bound of the present values, when known.
    pub(crate) max: Option<Scalar>,
    /// Some row may be missing (null, NaN, or out of the evaluator's range).
    pub(crate) may_missing: bool,
    /// Every row is missing.
    pub(crate) all_missing: bool,
}

impl FieldFacts {
    /// Nothing known about the column.
    pub(crate) fn unknown() -> FieldFacts {
        FieldFacts {
            min: None,
            max: None,
            may_missing: true,
            all_missing: false,
        }
    }

    /// Facts that hold when both `self` and `other` hold for the same rows:
    /// the tighter bound at each end.
    pub(crate) fn meet(&self, other: &FieldFacts) -> FieldFacts {
        let pick = |a: &Option<Scalar>, b: &Option<Scalar>, want: Ordering| match (a, b) {
            (Some(x), Some(y)) => Some(if y.cmp(x) == Some(want) { y } else { x }.clone()),
            (Some(x), None) | (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        };
        FieldFacts {
            min: pick(&self.min, &other.min, Ordering::Greater),
            max: pick(&self.max, &other.max, Ordering::Less),
            may_missing: self.may_missing && other.may_missing,
            all_missing: self.all_missing || other.all_missing,
        }
    }

    pub(crate) fn range(&self) -> Range {
        if self.all_missing {
            return Range::missing();
        }
        Range {
            may_missing: self.may_missing,
            may_present: true,
            lo: self.min.clone(),
            hi: self.max.clone(),
        }
    }
}
