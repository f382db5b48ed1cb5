//! Virtual time.
//!
//! Every instant and duration inside the simulator is an integer number of
//! nanoseconds since the start of the run. Integers make event ordering exact and
//! runs reproducible on any machine; `f64` seconds appear only at the edges
//! (sampling a distribution, printing a report). Wall-clock calendar work
//! (the scenario's start as a date, RFC 3339 output) is left to the `jiff`
//! crate instead of hand-written day counts; [`Clock`] is the bridge.

use std::fmt;

use jiff::fmt::temporal::DateTimePrinter;
use jiff::Timestamp;

/// Nanoseconds of virtual time: an instant since the run started, or a duration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nanos(pub u64);

impl Nanos {
    pub const ZERO: Nanos = Nanos(0);
    pub const MAX: Nanos = Nanos(u64::MAX);
    pub const MILLI: Nanos = Nanos(1_000_000);
    pub const SECOND: Nanos = Nanos(1_000_000_000);
    pub const MINUTE: Nanos = Nanos(60_000_000_000);

    pub const fn from_secs(s: u64) -> Nanos {
        Nanos(s * 1_000_000_000)
    }

    pub const fn from_millis(ms: u64) -> Nanos {
        Nanos(ms * 1_000_000)
    }

    /// Converts seconds to nanoseconds, rounding to the nearest nanosecond and
    /// saturating at the ends (negative and NaN become zero).
    pub fn from_secs_f64(s: f64) -> Nanos {
        let ns = s * 1e9;
        if ns.is_nan() || ns <= 0.0 {
            Nanos::ZERO
        } else if ns >= u64::MAX as f64 {
            Nanos::MAX
        } else {
            // Adding a half and truncating rounds half up; cheaper than `round`.
            // Below 2^62 the signed conversion is one instruction, where the
            // unsigned one is a branchy sequence on x86-64; both truncate.
            let up = ns + 0.5;
            if up < (1u64 << 62) as f64 {
                Nanos(up as i64 as u64)
            } else {
                Nanos(up as u64)
            }
        }
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    pub const fn saturating_add(self, d: Nanos) -> Nanos {
        Nanos(self.0.saturating_add(d.0))
    }

    pub const fn saturating_sub(self, d: Nanos) -> Nanos {
        Nanos(self.0.saturating_sub(d.0))
    }
}

impl std::ops::Add for Nanos {
    type Output = Nanos;
    fn add(self, rhs: Nanos) -> Nanos {
        self.saturating_add(rhs)
    }
}

impl std::ops::Sub for Nanos {
    type Output = Nanos;
    fn sub(self, rhs: Nanos) -> Nanos {
        self.saturating_sub(rhs)
    }
}

impl fmt::Display for Nanos {
    /// Prints a duration the way a scenario file writes one (`1.5s`, `250ms`, `2h`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        for (unit, size) in [
            ("h", 3_600_000_000_000u64),
            ("m", 60_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("us", 1_000),
        ] {
            if ns >= size && ns % size == 0 {
                return write!(f, "{}{unit}", ns / size);
            }
        }
        if ns >= 1_000_000_000 {
            write!(f, "{}s", ns as f64 / 1e9)
        } else if ns >= 1_000_000 {
            write!(f, "{}ms", ns as f64 / 1e6)
        } else {
            write!(f, "{ns}ns")
        }
    }
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("a duration needs a unit: write e.g. \"30s\", \"250ms\", \"5m\", \"1h\" or \"1d\"")]
    MissingUnit,
    #[error("unknown duration unit {0:?}: expected one of ns, us, ms, s, m, h, d")]
    UnknownUnit(String),
    #[error("not a number: {0:?}")]
    BadNumber(String),
    #[error("a duration cannot be negative")]
    Negative,
    #[error("duration is too long (more than 100 years)")]
    TooLong,
}

/// Parses `"<number><unit>"`, e.g. `"1.5s"`, `"250ms"`, `"10m"`, `"24h"`, `"1d"`.
pub fn parse_duration(text: &str) -> Result<Nanos, DurationError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .ok_or(DurationError::MissingUnit)?;
    let (num, unit) = text.split_at(split);
    let unit = unit.trim();
    let scale: f64 = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        "" => return Err(DurationError::MissingUnit),
        other => return Err(DurationError::UnknownUnit(other.to_string())),
    };
    let value: f64 = num
        .parse()
        .map_err(|_| DurationError::BadNumber(num.to_string()))?;
    if !value.is_finite() {
        return Err(DurationError::BadNumber(num.to_string()));
    }
    if value < 0.0 {
        return Err(DurationError::Negative);
    }
    let ns = value * scale;
    if ns > 100.0 * 365.0 * 86_400e9 {
        return Err(DurationError::TooLong);
    }
    Ok(Nanos(ns.round() as u64))
}

/// Why a rate string was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RateError {
    #[error("expected a rate with a unit, such as \"120/min\", \"2/s\" or \"5000/h\"")]
    MissingUnit,
    #[error("unknown rate unit {0:?}: expected s, min, h or d, as in \"120/min\"")]
    UnknownUnit(String),
    #[error("{0:?} is not a number: expected a rate such as \"120/min\"")]
    BadNumber(String),
    #[error("a rate must be a positive number")]
    Negative,
    #[error("more than 10 million per second; is the unit right?")]
    TooFast,
}

/// Parses `"<number>/<unit>"` (`s`, `min`, `h`, `d`), e.g. `"120/min"`, into
/// events per second. Zero is allowed; callers that need a positive rate say so.
pub fn parse_rate(text: &str) -> Result<f64, RateError> {
    let (num, unit) = text.split_once('/').ok_or(RateError::MissingUnit)?;
    let per_sec = match unit.trim() {
        "s" | "sec" => 1.0,
        "min" | "m" => 60.0,
        "h" | "hour" => 3600.0,
        "d" | "day" => 86_400.0,
        other => return Err(RateError::UnknownUnit(other.to_string())),
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| RateError::BadNumber(num.trim().to_string()))?;
    if !value.is_finite() || value < 0.0 {
        return Err(RateError::Negative);
    }
    if value / per_sec > 1e7 {
        return Err(RateError::TooFast);
    }
    Ok(value / per_sec)
}

/// Maps virtual instants to wall-clock Unix time, for headers and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Unix time of virtual instant zero, in milliseconds.
    pub start_unix_ms: u64,
}

impl Clock {
    pub fn unix_ms(&self, t: Nanos) -> u64 {
        self.start_unix_ms + t.0 / 1_000_000
    }

    /// Unix seconds of `t`, rounded up: a reset announced for 12:00:00.2 is only
    /// safe to act on at 12:00:01.
    pub fn unix_secs_ceil(&self, t: Nanos) -> u64 {
        (self.start_unix_ms * 1_000_000 + t.0).div_ceil(1_000_000_000)
    }

    /// The virtual instant of a Unix time in milliseconds (zero if before the start).
    pub fn from_unix_ms(&self, ms: u64) -> Nanos {
        Nanos(
            ms.saturating_sub(self.start_unix_ms)
                .saturating_mul(1_000_000),
        )
    }

    /// `t` on the wall clock as RFC 3339 in UTC to the millisecond, as the
    /// provider writes times: `2026-04-20T12:34:56.789Z`.
    pub fn rfc3339_millis(&self, t: Nanos) -> String {
        DateTimePrinter::new()
            .precision(Some(3))
            .timestamp_to_string(&timestamp_of_unix_ms(self.unix_ms(t)))
    }
}

/// The wall-clock instant of a Unix time in milliseconds. Calendar work (dates,
/// RFC 3339) goes through `jiff` rather than hand-written day counts; instants
/// past the last one jiff holds (9999-12-30T22:00Z) are clamped to it.
pub fn timestamp_of_unix_ms(ms: u64) -> Timestamp {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The signed fast path rounds exactly as the plain unsigned
        /// conversion, for any finite or infinite number of seconds.
        #[test]
        fn from_secs_f64_is_half_up_then_truncate(bits in proptest::num::u64::ANY, secs in 0.0f64..1e10) {
            for s in [f64::from_bits(bits), secs, secs * 4.7e8] {
                let ns = s * 1e9;
                let plain = if ns.is_nan() || ns <= 0.0 {
                    0
                } else if ns >= u64::MAX as f64 {
                    u64::MAX
                } else {
                    (ns + 0.5) as u64
                };
                proptest::prop_assert_eq!(Nanos::from_secs_f64(s).0, plain, "{}", s);
            }
        }
    }

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("250ms"), Ok(Nanos::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Nanos(1_500_000_000)));
        assert_eq!(parse_duration("2h"), Ok(Nanos::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Nanos::from_secs(86_400)));
        assert_eq!(parse_duration("30"), Err(DurationError::MissingUnit));
        assert_eq!(parse_duration("-3s"), Err(DurationError::Negative));
        assert_eq!(
            parse_duration("5 fortnights"),
            Err(DurationError::UnknownUnit("fortnights".into()))
        );
        assert_eq!(
            parse_duration("200y"),
            Err(DurationError::UnknownUnit("y".into()))
        );
        assert_eq!(parse_duration("99999d"), Err(DurationError::TooLong));
    }

    #[test]
    fn display_round_trips() {
        for s in ["250ms", "30s", "5m", "2h", "1500us"] {
            assert_eq!(parse_duration(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn wall_clock_times_across_years_and_leap_days() {
        let at =
            |unix_ms: u64| Clock { start_unix_ms: 0 }.rfc3339_millis(Nanos::from_millis(unix_ms));
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            at(1_776_686_400_000 + 3_296_789),
            "2026-04-20T12:54:56.789Z"
        );
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        let far = Clock {
            start_unix_ms: u64::MAX / 2,
        };
        assert_eq!(far.rfc3339_millis(Nanos::ZERO), "9999-12-30T22:00:00.999Z");
    }

    #[test]
    fn clock_rounds_reset_up() {
        let c = Clock {
            start_unix_ms: 1_000_000,
        };
        assert_eq!(c.unix_secs_ceil(Nanos::from_millis(200)), 1001);
        assert_eq!(c.unix_secs_ceil(Nanos::ZERO), 1000);
        assert_eq!(c.unix_ms(Nanos::SECOND), 1_001_000);
    }
}
