//! Timestamps as logs write them: RFC 3339 / ISO 8601 date-times and Unix
//! epoch numbers, read exactly into integer nanoseconds since 1970.
//!
//! Logs disagree on everything here. LiteLLM stores `startTime` as a
//! timestamp without a zone (UTC by construction) and its JSON API adds a `Z`
//! or not depending on the version; Helicone writes ClickHouse's
//! `2026-04-20 12:34:56.789`; OTLP uses integer nanoseconds; hand-made logs use
//! epoch seconds or milliseconds. So the parser accepts:
//!
//! - `YYYY-MM-DD` then `T`, `t` or a space, then `HH:MM`, optional `:SS`,
//!   optional fraction (any number of digits; beyond nanoseconds they are
//!   dropped), then an optional zone: `Z`, `z`, ` UTC`, `+HH:MM`, `+HHMM` or
//!   `+HH` (or `-`). **No zone means UTC.**
//! - A plain number (integer or decimal) is an epoch time whose unit is told
//!   by its size: below 10^11 seconds (up to the year 5138), below 10^14
//!   milliseconds (from 1973), below 10^17 microseconds, else nanoseconds.
//!   Exponent forms (`1.7e9`) are read as seconds-scale numbers the same way.
//!
//! Decimal text is converted with integer arithmetic, never through `f64`, so
//! `1776688496.123456789` keeps every digit.

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
            "expected an ISO 8601 date-time (2026-04-20T12:34:56Z) or an epoch number, found {t:?}"
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

/// A small cursor over the bytes of a date-time.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.at..self.at + n)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(slice.iter().fold(0, |v, b| v * 10 + u32::from(b - b'0')))
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn rest(&self) -> &[u8] {
        &self.bytes[self.at..]
    }
}

fn parse_date_time(t: &str) -> Result<u64, String> {
    let bad = |what: &str| {
        format!(
            "expected an ISO 8601 date-time like 2026-04-20T12:34:56.789Z, found {t:?} ({what})"
        )
    };
    let mut c = Cursor {
        bytes: t.as_bytes(),
        at: 0,
    };
    let year = c.digits(4).ok_or_else(|| bad("no four-digit year"))?;
    if !c.eat(b'-') {
        return Err(bad("no `-` after the year"));
    }
    let month = c.digits(2).ok_or_else(|| bad("no two-digit month"))?;
    if !c.eat(b'-') {
        return Err(bad("no `-` before the day"));
    }
    let day = c.digits(2).ok_or_else(|| bad("no two-digit day"))?;
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return Err(bad("no `T` or space between the date and the time"));
    }
    let hour = c.digits(2).ok_or_else(|| bad("no two-digit hour"))?;
    if !c.eat(b':') {
        return Err(bad("no `:` after the hour"));
    }
    let minute = c.digits(2).ok_or_else(|| bad("no two-digit minute"))?;
    let second = if c.eat(b':') {
        c.digits(2).ok_or_else(|| bad("no two-digit second"))?
    } else {
        0
    };
    let mut nanos: u64 = 0;
    if c.eat(b'.') || c.eat(b',') {
        let start = c.at;
        let mut scale = NANOS_PER_SEC;
        while let Some(b) = c.peek().filter(u8::is_ascii_digit) {
            scale /= 10;
            nanos += u64::from(b - b'0') * scale;
            c.at += 1;
        }
        if c.at == start {
            return Err(bad("no digits after the decimal point"));
        }
    }
    let offset_secs: i64 = match c.rest() {
        b"" | b"Z" | b"z" | b" UTC" | b"UTC" | b" Z" => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let sign = if *sign == b'+' { 1 } else { -1 };
            c.at += 1;
            let hours = c.digits(2).ok_or_else(|| bad("bad zone offset"))?;
            c.eat(b':');
            let minutes = if c.rest().is_empty() {
                0
            } else {
                c.digits(2).ok_or_else(|| bad("bad zone offset"))?
            };
            if !c.rest().is_empty() || hours > 23 || minutes > 59 {
                return Err(bad("bad zone offset"));
            }
            sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60)
        }
        _ => return Err(bad("unexpected text after the time")),
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(bad("no such date"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad("no such time of day"));
    }
    let secs = days_from_civil(i64::from(year), month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - offset_secs;
    if secs < 0 {
        return Err(format!(
            "{t:?} is before 1970, which epoch times cannot hold"
        ));
    }
    (secs as u64)
        .checked_mul(NANOS_PER_SEC)
        .and_then(|ns| ns.checked_add(nanos))
        .ok_or_else(|| format!("{t:?} is after 2554, later than nanoseconds since 1970 can count"))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm; the scenario validator has the same private helper).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
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
            "20260420T120000Z",
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
             \"2026-04-20T12:00:00 PST\" (unexpected text after the time)"
        );
    }
}
