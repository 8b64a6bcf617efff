//! The time zone of a program's calendar (`timezone "Europe/Berlin"`,
//! LANGUAGE.md §7.3) and the two conversions every engine builds on: the
//! local wall-clock time of an instant, and the instant of a local wall-clock
//! time (with Seg's rule for DST gaps and folds).
//!
//! The calendar semantics built on these (what `today`, a date compared with
//! a timestamp, `year`/`month`/`day` and `N months ago` mean) live in the
//! evaluator's `seg_eval::num`, which re-exports this module's functions; the
//! rule for gaps and folds lives here because the checker needs it too, for a
//! test's date `as_of`.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use std::fmt;

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// An IANA time zone, or UTC (the zone of a program without a `timezone`
/// declaration, which keeps every v0.1 result).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a zone name was not accepted, with the closest IANA name when one is
/// close enough for a "did you mean".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownZone {
    /// The closest IANA name (a case-insensitive match first), if any.
    pub suggestion: Option<&'static str>,
}

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone(Tz::UTC);

    /// The zone named `name`, spelled as the tz database spells it
    /// (`Europe/Berlin`, `UTC`, `Etc/UTC`). Matching is exact: a name that
    /// differs only in case is refused, with the right spelling suggested.
    pub fn parse(name: &str) -> Result<Zone, UnknownZone> {
        if let Ok(tz) = name.parse::<Tz>() {
            return Ok(Zone(tz));
        }
        // The database has about 600 names: scanning them is cheap, and a
        // case-insensitive match is the likeliest intent.
        let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        let suggestion = names
            .clone()
            .find(|candidate| candidate.eq_ignore_ascii_case(name))
            .or_else(|| seg_diagnostics::did_you_mean(name, names));
        Err(UnknownZone { suggestion })
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The chrono-tz zone.
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// True when the zone is UTC under one of its names, so every conversion
    /// is the identity and engines may keep their UTC fast paths.
    pub fn is_utc(&self) -> bool {
        matches!(
            self.0,
            Tz::UTC
                | Tz::Etc__UTC
                | Tz::UCT
                | Tz::Etc__UCT
                | Tz::Universal
                | Tz::Etc__Universal
                | Tz::Zulu
                | Tz::Etc__Zulu
        )
    }

    /// The offset of local time from UTC at the instant `utc_micros`, in
    /// microseconds (`+3_600_000_000` for Berlin in winter); `None` outside
    /// chrono's range.
    pub fn offset_at(&self, utc_micros: i64) -> Option<i64> {
        if self.is_utc() {
            return Some(0);
        }
        let instant = DateTime::from_timestamp_micros(utc_micros)?.naive_utc();
        let offset = self.0.offset_from_utc_datetime(&instant).fix();
        Some(i64::from(offset.local_minus_utc()) * 1_000_000)
    }

    /// The local wall-clock time of the instant `utc_micros`, as microseconds
    /// since the local epoch (1970-01-01 00:00 on the zone's clocks).
    pub fn local_of(&self, utc_micros: i64) -> Option<i64> {
        utc_micros.checked_add(self.offset_at(utc_micros)?)
    }

    /// The local date of an instant, as days since the epoch.
    pub fn date_of(&self, utc_micros: i64) -> Option<i32> {
        i32::try_from(self.local_of(utc_micros)?.div_euclid(DAY_MICROS)).ok()
    }

    /// The instant at which the zone's clocks show `local_micros` (see
    /// [`Zone::local_of`]). A wall-clock time skipped by a DST change (in the
    /// gap) is moved forward by the gap's length: it is read with the offset
    /// in force before the change, so 02:30 on the night Berlin springs from
    /// +01:00 to +02:00 is 01:30 UTC, which the clocks show as 03:30. A
    /// wall-clock time shown twice (in the fold) is the earlier instant.
    /// `None` outside chrono's range.
    pub fn instant_of(&self, local_micros: i64) -> Option<i64> {
        if self.is_utc() {
            return Some(local_micros);
        }
        let local = DateTime::from_timestamp_micros(local_micros)?.naive_utc();
        match self.0.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => Some(t.timestamp_micros()),
            chrono::LocalResult::Ambiguous(a, b) => {
                Some(a.timestamp_micros().min(b.timestamp_micros()))
            }
            chrono::LocalResult::None => {
                // In a gap. A day before the wall-clock time (as if it were
                // UTC) is before the change for every offset (they stay
                // within ±14 hours), and zones do not change twice within a
                // day, so the offset there is the one in force before the
                // change.
                let before = self.offset_at(local_micros.checked_sub(DAY_MICROS)?)?;
                local_micros.checked_sub(before)
            }
        }
    }

    /// The instant of local midnight starting the date `days` (days since
    /// the epoch), by the rule of [`Zone::instant_of`].
    pub fn midnight(&self, days: i32) -> Option<i64> {
        self.instant_of(i64::from(days).checked_mul(DAY_MICROS)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_micros()
    }

    fn local(text: &str) -> i64 {
        at(&format!("{text}Z"))
    }

    #[test]
    fn names_are_the_databases() {
        assert_eq!(
            Zone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert!(Zone::parse("UTC").unwrap().is_utc());
        assert!(Zone::parse("Etc/UTC").unwrap().is_utc());
        assert!(!Zone::parse("Asia/Kolkata").unwrap().is_utc());
        assert_eq!(
            Zone::parse("europe/berlin").unwrap_err().suggestion,
            Some("Europe/Berlin")
        );
        assert_eq!(
            Zone::parse("Europe/Berln").unwrap_err().suggestion,
            Some("Europe/Berlin")
        );
        assert_eq!(
            Zone::parse("Mars/Olympus_Mons").unwrap_err().suggestion,
            None
        );
        assert_eq!(Zone::default(), Zone::UTC);
    }

    #[test]
    fn gaps_move_forward_and_folds_take_the_earlier_instant() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin: 03:30 CEST = 01:30 UTC.
        assert_eq!(
            berlin.instant_of(local("2026-03-29T02:30:00")),
            Some(at("2026-03-29T01:30:00Z"))
        );
        // 2026-10-25 02:30 happens twice: the first is 00:30 UTC (CEST).
        assert_eq!(
            berlin.instant_of(local("2026-10-25T02:30:00")),
            Some(at("2026-10-25T00:30:00Z"))
        );
        let sydney = Zone::parse("Australia/Sydney").unwrap();
        // 2026-10-04 02:30 does not exist in Sydney (AEST → AEDT).
        assert_eq!(
            sydney.instant_of(local("2026-10-04T02:30:00")),
            Some(at("2026-10-03T16:30:00Z"))
        );
        // 2026-04-05 02:30 happens twice: first in AEDT (+11).
        assert_eq!(
            sydney.instant_of(local("2026-04-05T02:30:00")),
            Some(at("2026-04-04T15:30:00Z"))
        );
        let kathmandu = Zone::parse("Asia/Kathmandu").unwrap();
        assert_eq!(
            kathmandu.date_of(at("2026-01-01T18:14:59Z")),
            kathmandu.date_of(at("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            kathmandu.local_of(at("2026-01-01T18:15:00Z")),
            Some(local("2026-01-02T00:00:00"))
        );
    }
}
