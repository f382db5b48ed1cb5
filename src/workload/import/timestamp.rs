//! Timestamps as logs write them: RFC 3339 / ISO 8601 date-times and Unix
//! epoch numbers, read exactly into integer nanoseconds since 1970.
//!
//! Logs disagree on everything here. LiteLLM stores `startTime` as a
//! timestamp without a zone (UTC by construction) and its JSON API adds a `Z`
//! or not depending on the version; Helicone writes ClickHouse's
//! `2026-04-20 12:34:56.789`; OTLP uses integer nanoseconds; hand-made logs use
//! epoch seconds or milliseconds. So the parser accepts:
//!
//! - RFC 3339 / ISO 8601 date-times as jiff's Temporal parser reads them:
//!   `YYYY-MM-DD` (or `YYYYMMDD`) then `T`, `t` or a space, then `HH:MM`,
//!   optional `:SS`, optional fraction (`.` or `,`; beyond nanoseconds the
//!   digits are dropped), then an optional zone: `Z`, `z`, ` UTC`, `+HH:MM`,
//!   `+HHMM` or `+HH` (or `-`). **No zone means UTC.** A leap second (`:60`)
//!   is read as `:59`, as jiff does.
//! - A plain number (integer or decimal) is an epoch time whose unit is told
//!   by its size: below 10^11 seconds (up to the year 5138), below 10^14
//!   milliseconds (from 1973), below 10^17 microseconds, else nanoseconds.
//!   Exponent forms (`1.7e9`) are read as seconds-scale numbers the same way.
//!
//! Decimal text is converted with integer arithmetic, never through `f64`, so
//! `1776688496.123456789` keeps every digit. The calendar (month lengths, leap
//! years, offsets) is jiff's, not a hand-written day count.

use std::fmt;

use jiff::fmt::temporal::Pieces;
use jiff::tz::Offset;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Nanoseconds since 1970-01-01T00:00:00Z of a date-time or epoch number.
pub(super) fn parse_timestamp(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let looks_like_date = t.contains([':', 'T', ' ']) || t.as_bytes().get(4) == Some(&b'-');
    if looks_like_date {
        parse_date_time(t)
    } else {
        parse_epoch(t)
    }
}

/// An epoch time given as a JSON number (already parsed by the JSON reader).
pub(super) fn epoch_from_f64(value: f64) -> Result<u64, String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "expected a date-time or a non-negative epoch number, found {value}"
        ));
    }
    let scale = unit_scale(value);
    let ns = value * scale as f64;
    if ns >= u64::MAX as f64 {
        return Err(format!("epoch time {value} is too large"));
    }
    Ok(ns.round() as u64)
}

/// An epoch time given as a JSON integer.
pub(super) fn epoch_from_u64(value: u64) -> Result<u64, String> {
    value
        .checked_mul(unit_scale(value as f64))
        .ok_or_else(|| format!("epoch time {value} is too large"))
}

/// Nanoseconds per unit for an epoch number of this size.
fn unit_scale(value: f64) -> u64 {
    if value < 1e11 {
        NANOS_PER_SEC
    } else if value < 1e14 {
        1_000_000
    } else if value < 1e17 {
        1_000
    } else {
        1
    }
}

fn parse_epoch(t: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "expected an ISO 8601 date-time (2026-04-20T12:34:56Z) or an epoch number, found {:?}",
            crate::suggest::excerpt(t)
        )
    };
    if t.is_empty() {
        return Err("the time is empty; expected a date-time or an epoch number".to_string());
    }
    if t.contains(['e', 'E']) {
        let value: f64 = t.parse().map_err(|_| bad())?;
        return epoch_from_f64(value);
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let too_large = || format!("epoch time {t} is too large");
    let whole: u64 = int.parse().map_err(|_| too_large())?;
    let scale = unit_scale(whole as f64);
    // The fraction of one unit, in nanoseconds: digits beyond what a
    // nanosecond resolves are dropped.
    let mut frac_ns: u128 = 0;
    let mut denominator: u128 = 1;
    for b in frac.bytes().take(18) {
        frac_ns = frac_ns * 10 + u128::from(b - b'0');
        denominator *= 10;
    }
    let frac_ns = frac_ns * u128::from(scale) / denominator;
    let ns = u128::from(whole) * u128::from(scale) + frac_ns;
    u64::try_from(ns).map_err(|_| too_large())
}

/// A date-time read by jiff's RFC 3339 / ISO 8601 (Temporal) parser, after
/// two allowances jiff does not make: a ` UTC` (or `UTC`, ` Z`) zone suffix,
/// and fractions longer than nanoseconds (the extra digits are dropped).
fn parse_date_time(t: &str) -> Result<u64, String> {
    let bad = |what: &dyn fmt::Display| {
        format!(
            "expected an ISO 8601 date-time like 2026-04-20T12:34:56.789Z, found {:?} ({what})",
            crate::suggest::excerpt(t)
        )
    };
    let text = match [" UTC", "UTC", " Z"].iter().find_map(|z| t.strip_suffix(z)) {
        Some(local) => format!("{}Z", drop_sub_nanos(local)),
        None => drop_sub_nanos(t),
    };
    let pieces = Pieces::parse(&text).map_err(|e| bad(&e))?;
    if pieces.time_zone_annotation().is_some() {
        return Err(bad(
            &"zone names are not read; give an offset such as +02:00 or Z",
        ));
    }
    let time = pieces
        .time()
        .ok_or_else(|| bad(&"no time of day after the date"))?;
    let offset = pieces
        .offset()
        .map_or(Offset::UTC, |o| o.to_numeric_offset());
    if offset.seconds().abs() >= 24 * 3600 {
        return Err(bad(&"bad zone offset"));
    }
    let instant = offset
        .to_timestamp(pieces.date().to_datetime(time))
        .map_err(|e| bad(&e))?;
    let ns = instant.as_nanosecond();
    if ns < 0 {
        return Err(format!(
            "{t:?} is before 1970, which epoch times cannot hold"
        ));
    }
    u64::try_from(ns)
        .map_err(|_| format!("{t:?} is after 2554, later than nanoseconds since 1970 can count"))
}

/// `t` with the digits of its fraction of a second beyond the ninth removed.
fn drop_sub_nanos(t: &str) -> String {
    let Some(point) = t.find(['.', ',']) else {
        return t.to_string();
    };
    let digits = t[point + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits <= 9 {
        return t.to_string();
    }
    format!("{}{}", &t[..point + 10], &t[point + 1 + digits..])
}

#[cfg(test)]
mod tests {
    use crate::time::{Clock, Nanos};

    /// Every timestamp ratesim writes (the rate-limit log's RFC 3339
    /// milliseconds) reads back as the same instant, across the whole
    /// accepted range, 1970 to the last instant a run may reach.
    #[test]
    fn written_timestamps_round_trip() {
        let clock = Clock { start_unix_ms: 0 };
        let last_ms = u64::MAX / 1_000_000;
        let mut ms = 0u64;
        let mut checked = 0;
        while ms <= last_ms {
            let text = clock.rfc3339_millis(Nanos(ms * 1_000_000));
            assert_eq!(parse_timestamp(&text), Ok(ms * 1_000_000), "{text}");
            checked += 1;
            ms = ms * 3 + 7_919;
        }
        let text = clock.rfc3339_millis(Nanos(last_ms * 1_000_000));
        assert_eq!(parse_timestamp(&text), Ok(last_ms * 1_000_000), "{text}");
        assert!(checked > 20);
    }

    use super::*;

    /// 2026-04-20T12:00:00Z in seconds.
    const NOON: u64 = 1_776_686_400;

    #[test]
    fn date_times_in_the_shapes_logs_write() {
        let ns = |s: u64, n: u64| s * NANOS_PER_SEC + n;
        for (text, expected) in [
            ("2026-04-20T12:00:00Z", ns(NOON, 0)),
            ("2026-04-20T12:00:00.250Z", ns(NOON, 250_000_000)),
            ("2026-04-20 12:00:00.250", ns(NOON, 250_000_000)),
            ("2026-04-20T12:00:00.123456789123Z", ns(NOON, 123_456_789)),
            ("2026-04-20T14:00:00+02:00", ns(NOON, 0)),
            ("2026-04-20T07:30:00-0430", ns(NOON, 0)),
            ("2026-04-20T13:00:00+01", ns(NOON, 0)),
            ("2026-04-20T12:00", ns(NOON, 0)),
            ("2026-04-20 12:00:00 UTC", ns(NOON, 0)),
            ("  2026-04-20t12:00:00z ", ns(NOON, 0)),
            ("1970-01-01T00:00:00Z", 0),
            ("2024-02-29T00:00:00Z", 1_709_164_800 * NANOS_PER_SEC),
            ("2026-04-20T12:00:00,5Z", ns(NOON, 500_000_000)),
            ("2026-04-20T12:00:00.25 UTC", ns(NOON, 250_000_000)),
            ("20260420T120000Z", ns(NOON, 0)),
            ("2026-04-20T11:59:60Z", ns(NOON - 1, 0)),
        ] {
            assert_eq!(parse_timestamp(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn epoch_numbers_by_magnitude() {
        let noon = NOON * NANOS_PER_SEC;
        assert_eq!(parse_timestamp("1776686400"), Ok(noon));
        assert_eq!(parse_timestamp("1776686400.5"), Ok(noon + 500_000_000));
        assert_eq!(
            parse_timestamp("1776686400.123456789"),
            Ok(noon + 123_456_789)
        );
        assert_eq!(parse_timestamp("1776686400250"), Ok(noon + 250_000_000));
        assert_eq!(parse_timestamp("1776686400250000"), Ok(noon + 250_000_000));
        assert_eq!(
            parse_timestamp("1776686400250000001"),
            Ok(noon + 250_000_001)
        );
        assert_eq!(parse_timestamp("1.7766864e9"), Ok(noon));
        assert_eq!(epoch_from_u64(1_776_686_400_250), Ok(noon + 250_000_000));
        assert_eq!(epoch_from_f64(1_776_686_400.5), Ok(noon + 500_000_000));
        assert_eq!(parse_timestamp("0"), Ok(0));
    }

    #[test]
    fn nonsense_is_rejected_with_the_text() {
        for text in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-20T25:00:00Z",
            "2026-04-20T12:00:00+25:00",
            "2026-04-20T12:00:00 PST",
            "2026-04-20",
            "2026-04-20T12:00:00[Europe/Paris]",
            "1969-12-31T23:59:59Z",
            "9999-12-31T23:59:59Z",
            "-5",
            "12.5.5",
            "99999999999999999999999",
            "1e400",
            "2026-04-20T12:00:00.Z",
        ] {
            let err = parse_timestamp(text).expect_err(text);
            assert!(!err.is_empty());
        }
        assert_eq!(
            parse_timestamp("2026-04-20T12:00:00 PST").unwrap_err(),
            "expected an ISO 8601 date-time like 2026-04-20T12:34:56.789Z, found \
             \"2026-04-20T12:00:00 PST\" (parsed value '2026-04-20T12:00:00', but unparsed \
             input \" PST\" remains (expected no unparsed input))"
        );
    }
}
