//! Exact decimal and calendar arithmetic shared by the evaluator (and, later,
//! by constant folding), so both agree to the bit.

use chrono::{DateTime, Months, NaiveDate, TimeDelta};
use seg_ir::{Duration, TimeUnit, Zone};
use std::cmp::Ordering;

/// Microseconds in a day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// `value × 10^by`, or `None` on overflow.
pub fn rescale_up(value: i128, by: u32) -> Option<i128> {
    10i128.checked_pow(by).and_then(|p| value.checked_mul(p))
}

/// Compares two decimals `a × 10^-sa` and `b × 10^-sb` exactly, whatever the
/// scales. When bringing one to the other's scale overflows, its magnitude is
/// larger than anything the other can hold, so its sign decides.
pub fn cmp_decimal(a: i128, sa: u32, b: i128, sb: u32) -> Ordering {
    match sa.cmp(&sb) {
        Ordering::Equal => a.cmp(&b),
        Ordering::Less => match rescale_up(a, sb - sa) {
            Some(a) => a.cmp(&b),
            None => 0.cmp(&a).reverse(),
        },
        Ordering::Greater => match rescale_up(b, sa - sb) {
            Some(b) => a.cmp(&b),
            None => 0.cmp(&b),
        },
    }
}

/// Brings two decimals to a common scale for `+ - %`; `None` on overflow.
pub fn align(a: i128, sa: u32, b: i128, sb: u32) -> Option<(i128, i128, u32)> {
    let scale = sa.max(sb);
    Some((
        rescale_up(a, scale - sa)?,
        rescale_up(b, scale - sb)?,
        scale,
    ))
}

pub use seg_ir::decimal_to_f64;

/// The UTC date of an instant, as days since the epoch.
pub fn date_of(micros: i64) -> i32 {
    i32::try_from(micros.div_euclid(DAY_MICROS)).unwrap_or(if micros < 0 {
        i32::MIN
    } else {
        i32::MAX
    })
}

/// The date of an instant on the calendar of `zone` (§7.3): what `today` is
/// for `as_of` and what `year`/`month`/`day` read from a timestamp. In UTC
/// this is [`date_of`], bit for bit. Instants whose local time leaves
/// chrono's range (beyond ±262,000 years) keep their UTC date.
pub fn local_date_of(zone: Zone, micros: i64) -> i32 {
    if zone.is_utc() {
        return date_of(micros);
    }
    zone.local_of(micros)
        .map_or_else(|| date_of(micros), date_of)
}

/// The instant a date stands for when compared with a timestamp (the
/// checker's date→timestamp cast): its midnight in `zone`, moved forward by
/// the gap when a DST change skips midnight (see [`Zone::instant_of`]).
/// `None` when that instant leaves the representable range.
pub fn midnight(zone: Zone, days: i32) -> Option<i64> {
    if zone.is_utc() {
        return i64::from(days).checked_mul(DAY_MICROS);
    }
    zone.midnight(days)
}

fn naive_date(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(TimeDelta::try_days(i64::from(days))?)
}

fn days_from(date: NaiveDate) -> Option<i32> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
}

fn months_of(d: &Duration) -> Option<i64> {
    match d.unit {
        TimeUnit::Month => Some(d.amount),
        TimeUnit::Year => d.amount.checked_mul(12),
        _ => None,
    }
}

fn shift_months_date(date: NaiveDate, months: i64) -> Option<NaiveDate> {
    // chrono clamps to the month's last day: Mar 31 - 1 month = Feb 28/29.
    let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months >= 0 {
        date.checked_sub_months(m)
    } else {
        date.checked_add_months(m)
    }
}

/// `instant - d`: fixed lengths for minutes to weeks (a day is 24 hours),
/// calendar steps clamped to the month's end for months and years. The
/// calendar is the local one of `zone`: the instant's wall-clock time steps
/// its date and converts back by the rule of [`Zone::instant_of`] (a time in
/// a DST gap moves forward by the gap, a time in a fold is the earlier
/// instant). `None` when the result leaves the representable range.
pub fn timestamp_minus(zone: Zone, micros: i64, d: &Duration) -> Option<i64> {
    let fixed = match d.unit {
        TimeUnit::Minute => Some(60_000_000i64),
        TimeUnit::Hour => Some(3_600_000_000),
        TimeUnit::Day => Some(DAY_MICROS),
        TimeUnit::Week => Some(7 * DAY_MICROS),
        TimeUnit::Month | TimeUnit::Year => None,
    };
    match fixed {
        Some(unit) => micros.checked_sub(d.amount.checked_mul(unit)?),
        None => {
            let months = months_of(d)?;
            let local = zone.local_of(micros)?;
            let instant = DateTime::from_timestamp_micros(local)?.naive_utc();
            let shifted = shift_months_date(instant.date(), months)?.and_time(instant.time());
            zone.instant_of(shifted.and_utc().timestamp_micros())
        }
    }
}

/// `date - d` in calendar terms (days, weeks, months, years). Hours and
/// minutes never reach here: the checker rejects them against dates.
pub fn date_minus(days: i32, d: &Duration) -> Option<i32> {
    let date = naive_date(days)?;
    let shifted = match d.unit {
        TimeUnit::Day => date.checked_sub_signed(TimeDelta::try_days(d.amount)?)?,
        TimeUnit::Week => {
            date.checked_sub_signed(TimeDelta::try_days(d.amount.checked_mul(7)?)?)?
        }
        TimeUnit::Month | TimeUnit::Year => shift_months_date(date, months_of(d)?)?,
        TimeUnit::Hour | TimeUnit::Minute => return None,
    };
    days_from(shifted)
}

/// Year, month and day of a date; `None` outside the calendar's range (the
/// dates chrono represents, about ±262,000 years).
pub fn ymd(days: i32) -> Option<(i32, u32, u32)> {
    // The range is chrono's, so a date exists here exactly when it exists
    // everywhere else in Seg; inside it, Hinnant's civil-from-days
    // arithmetic gives the proleptic Gregorian date without a table walk
    // (the JIT's `year`/`month`/`day` columns call this once per row).
    static RANGE: std::sync::LazyLock<(i32, i32)> = std::sync::LazyLock::new(|| {
        (
            days_from(NaiveDate::MIN).unwrap_or(0),
            days_from(NaiveDate::MAX).unwrap_or(0),
        )
    });
    let (first, last) = *RANGE;
    if days < first || days > last {
        return None;
    }
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some((
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn d(amount: i64, unit: TimeUnit) -> Duration {
        Duration { amount, unit }
    }

    fn date(y: i32, m: u32, day: u32) -> i32 {
        days_from(NaiveDate::from_ymd_opt(y, m, day).unwrap()).unwrap()
    }

    #[test]
    fn ymd_is_chronos_calendar_over_its_whole_range() {
        let chrono_ymd = |days: i32| naive_date(days).map(|d| (d.year(), d.month(), d.day()));
        let (first, last) = (
            days_from(NaiveDate::MIN).unwrap(),
            days_from(NaiveDate::MAX).unwrap(),
        );
        let mut probes: Vec<i32> = vec![i32::MIN, i32::MAX, first - 1, first, last, last + 1];
        probes.extend(-800_000..800_000);
        probes.extend((first..=last).step_by(9_973));
        for days in probes {
            assert_eq!(ymd(days), chrono_ymd(days), "day {days}");
        }
    }

    #[test]
    fn decimals_compare_exactly_across_scales() {
        assert_eq!(cmp_decimal(1999, 2, 19990, 3), Ordering::Equal);
        assert_eq!(cmp_decimal(1, 0, 9, 1), Ordering::Greater);
        assert_eq!(cmp_decimal(-1, 0, -9, 1), Ordering::Less);
        // Rescaling i128::MAX overflows: sign decides.
        assert_eq!(cmp_decimal(i128::MAX, 0, 1, 5), Ordering::Greater);
        assert_eq!(cmp_decimal(i128::MIN + 1, 0, 1, 5), Ordering::Less);
        assert_eq!(cmp_decimal(1, 5, i128::MAX, 0), Ordering::Less);
    }

    #[test]
    fn decimal_to_float_is_correctly_rounded() {
        assert_eq!(decimal_to_f64(1, 1), 0.1);
        assert_eq!(decimal_to_f64(-1999, 2), -19.99);
        assert_eq!(decimal_to_f64(5, 0), 5.0);
        assert_eq!(decimal_to_f64(123, 5), 0.00123);
    }

    #[test]
    fn month_steps_clamp_to_month_end() {
        let mar31 = date(2024, 3, 31);
        assert_eq!(
            date_minus(mar31, &d(1, TimeUnit::Month)),
            Some(date(2024, 2, 29))
        );
        assert_eq!(
            date_minus(date(2023, 3, 31), &d(1, TimeUnit::Month)),
            Some(date(2023, 2, 28))
        );
        assert_eq!(
            date_minus(date(2024, 2, 29), &d(1, TimeUnit::Year)),
            Some(date(2023, 2, 28))
        );
        assert_eq!(
            date_minus(date(2024, 1, 31), &d(-1, TimeUnit::Month)),
            Some(date(2024, 2, 29))
        );
        let ts = i64::from(mar31) * DAY_MICROS + 3_600_000_000;
        assert_eq!(
            timestamp_minus(Zone::UTC, ts, &d(1, TimeUnit::Month)),
            Some(i64::from(date(2024, 2, 29)) * DAY_MICROS + 3_600_000_000)
        );
        assert_eq!(
            timestamp_minus(Zone::UTC, ts, &d(2, TimeUnit::Day)),
            Some(ts - 2 * DAY_MICROS)
        );
        assert_eq!(
            timestamp_minus(Zone::UTC, 0, &d(i64::MAX, TimeUnit::Day)),
            None
        );
    }

    #[test]
    fn dates_of_instants_floor() {
        assert_eq!(date_of(-1), -1);
        assert_eq!(date_of(0), 0);
        assert_eq!(date_of(DAY_MICROS - 1), 0);
    }
}
