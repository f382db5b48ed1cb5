//! The service objective a capacity plan holds the load to, and the calendar
//! date the growth projection starts from.
//!
//! An objective has three terms, each a ceiling: the share of attempts
//! answered 429, the 99th percentile of completion time (arrival to
//! success), and the share of requests the client gave up on or refused
//! locally. Shares rather than counts, so the same objective means the same
//! thing at every load factor of a sweep. Requests too big for a token limit
//! on their own ("unservable") are left out of the gave-up share: no load
//! level fixes them, so the plan reports them separately instead of calling
//! every load a failure.

use crate::time::{parse_duration, Nanos};
use jiff::{civil, tz::Offset, Span};
use std::fmt;

/// Ceilings a load must stay under. `None` leaves a term unconstrained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Objective {
    /// Largest share of attempts answered 429 (0.01 is 1%).
    pub max_share_429: Option<f64>,
    /// Largest 99th percentile of completion time of successful requests.
    pub max_p99: Option<Nanos>,
    /// Largest share of arrivals given up or refused by the client (0 is none).
    pub max_gave_up: Option<f64>,
}

impl Default for Objective {
    /// 429 share <= 1%, p99 <= 60 s, nothing given up.
    fn default() -> Self {
        Objective {
            max_share_429: Some(0.01),
            max_p99: Some(Nanos::from_secs(60)),
            max_gave_up: Some(0.0),
        }
    }
}

/// Which term of an objective a measurement broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Term {
    Share429,
    P99,
    GaveUp,
}

impl Term {
    pub const ALL: [Term; 3] = [Term::Share429, Term::P99, Term::GaveUp];

    /// The name used in `--objective` and in CSV columns.
    pub fn name(self) -> &'static str {
        match self {
            Term::Share429 => "share_429",
            Term::P99 => "p99",
            Term::GaveUp => "gave_up",
        }
    }

    /// The symptom in words, for reports.
    pub fn symptom(self) -> &'static str {
        match self {
            Term::Share429 => "429 share",
            Term::P99 => "latency (p99)",
            Term::GaveUp => "requests given up",
        }
    }
}

/// The three measured values an objective is checked against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    pub share_429: f64,
    pub p99_s: f64,
    pub gave_up_share: f64,
}

impl Objective {
    /// The terms `m` breaks, in [`Term::ALL`] order (empty when it meets the objective).
    pub fn broken(&self, m: &Measured) -> Vec<Term> {
        let mut out = Vec::new();
        if self.max_share_429.is_some_and(|x| m.share_429 > x + 1e-12) {
            out.push(Term::Share429);
        }
        if self
            .max_p99
            .is_some_and(|x| m.p99_s > x.as_secs_f64() + 1e-9)
        {
            out.push(Term::P99);
        }
        if self
            .max_gave_up
            .is_some_and(|x| m.gave_up_share > x + 1e-12)
        {
            out.push(Term::GaveUp);
        }
        out
    }

    pub fn meets(&self, m: &Measured) -> bool {
        self.broken(m).is_empty()
    }

    /// `self` with the terms named in `text` replaced: the `--objective`
    /// syntax, e.g. `share_429<=1%,p99<=60s,gave_up<=0`. Shares take a
    /// percentage (`1%`) or a fraction (`0.01`); `p99` a duration; any term
    /// takes `none` to lift it.
    pub fn with_overrides(&self, text: &str) -> Result<Objective, String> {
        let mut out = *self;
        let mut seen: Vec<&str> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once("<=") else {
                return Err(format!(
                    "{part:?}: expected TERM<=VALUE, e.g. share_429<=1%, p99<=60s, gave_up<=0"
                ));
            };
            let (name, value) = (name.trim(), value.trim());
            if seen.contains(&name) {
                return Err(format!("{name} is given twice"));
            }
            let none = value.eq_ignore_ascii_case("none");
            match name {
                "share_429" => {
                    out.max_share_429 = (!none).then(|| share(name, value)).transpose()?
                }
                "gave_up" => out.max_gave_up = (!none).then(|| share(name, value)).transpose()?,
                "p99" => {
                    out.max_p99 = if none {
                        None
                    } else {
                        let d = parse_duration(value)
                            .map_err(|e| format!("p99: {e} (got {value:?})"))?;
                        if d == Nanos::ZERO {
                            return Err("p99: must be longer than zero".to_string());
                        }
                        Some(d)
                    }
                }
                other => {
                    let names: Vec<&str> = Term::ALL.iter().map(|t| t.name()).collect();
                    let close = crate::suggest::close_matches(other, names.iter().copied());
                    let hint = if close.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean {}?)", close.join(" or "))
                    };
                    return Err(format!(
                        "unknown term {other:?}{hint}; terms: {}",
                        names.join(", ")
                    ));
                }
            }
            seen.push(name);
        }
        if seen.is_empty() {
            return Err("empty objective; e.g. share_429<=1%,p99<=60s,gave_up<=0".to_string());
        }
        Ok(out)
    }
}

/// A share written as `1%` or `0.01`, between 0 and 1.
fn share(name: &str, text: &str) -> Result<f64, String> {
    let (num, scale) = match text.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (text, 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{name}: {text:?} is not a share; write 1% or 0.01"))?;
    let v = v / scale;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!(
            "{name}: {text:?} is not between 0% and 100% (a fraction takes 0.01 for 1%)"
        ));
    }
    Ok(v)
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(s) = self.max_share_429 {
            parts.push(format!("429 share ≤ {}%", pct(s)));
        }
        if let Some(p) = self.max_p99 {
            parts.push(format!("p99 completion ≤ {p}"));
        }
        match self.max_gave_up {
            Some(0.0) => parts.push("no request given up".to_string()),
            Some(g) => parts.push(format!("given up ≤ {}%", pct(g))),
            None => {}
        }
        if parts.is_empty() {
            f.write_str("no constraint")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// What `ratesim tune` holds a strategy to: an [`Objective`] (the same
/// `--objective` terms, none set unless written) and a ceiling on the time
/// the strategy's keys spent locked out (`locked_out<=0s`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constraint {
    pub objective: Objective,
    pub max_locked_out: Option<Nanos>,
}

impl Default for Constraint {
    /// 429 share <= 1%, p99 <= 60 s: the plan's default without its
    /// nothing-given-up term, which the tuner's goal (the highest success
    /// share) already pursues.
    fn default() -> Self {
        Constraint {
            objective: Objective {
                max_gave_up: None,
                ..Objective::default()
            },
            max_locked_out: None,
        }
    }
}

impl Constraint {
    /// The terms written in `text` (`share_429<=1%,p99<=30s,locked_out<=0s`),
    /// each over [`Constraint::default`]; `none` lifts a term.
    pub fn parse(text: &str) -> Result<Constraint, String> {
        let mut out = Constraint::default();
        let mut rest = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once("<=") {
                Some((name, value)) if matches!(name.trim(), "locked_out" | "locked_out_s") => {
                    if out.max_locked_out.is_some() {
                        return Err("locked_out is given twice".to_string());
                    }
                    let value = value.trim();
                    out.max_locked_out = if value.eq_ignore_ascii_case("none") {
                        None
                    } else {
                        Some(parse_duration(value).map_err(|e| {
                            format!("locked_out: {e} (got {value:?}; write a duration such as 0s or 5m)")
                        })?)
                    };
                }
                _ => rest.push(part),
            }
        }
        if !rest.is_empty() {
            out.objective = out.objective.with_overrides(&rest.join(",")).map_err(|e| {
                if e.starts_with("unknown term") {
                    format!("{e}, locked_out")
                } else {
                    e
                }
            })?;
        } else if out.max_locked_out.is_none() && !text.contains("locked_out") {
            return Err("empty objective; e.g. share_429<=1%,p99<=60s,locked_out<=0s".to_string());
        }
        Ok(out)
    }

    /// The names of the terms `m` and `locked_out_s` break (empty: met).
    pub fn broken(&self, m: &Measured, locked_out_s: f64) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self
            .objective
            .broken(m)
            .into_iter()
            .map(Term::name)
            .collect();
        if self
            .max_locked_out
            .is_some_and(|x| locked_out_s > x.as_secs_f64() + 1e-9)
        {
            out.push("locked_out");
        }
        out
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.objective.to_string();
        match self.max_locked_out {
            None => f.write_str(&o),
            Some(l) => {
                let lock = if l == Nanos::ZERO {
                    "never locked out".to_string()
                } else {
                    format!("locked out ≤ {l}")
                };
                if o == "no constraint" {
                    f.write_str(&lock)
                } else {
                    write!(f, "{o}, {lock}")
                }
            }
        }
    }
}

/// A share as a percentage with no trailing zeros: 0.01 -> "1", 0.005 -> "0.5".
fn pct(x: f64) -> String {
    let s = format!("{:.4}", x * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A calendar date (proleptic Gregorian), for the growth projection. A
/// plain value (validation builds it from the scenario's `start_date`); the
/// calendar arithmetic is jiff's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The date (UTC) of Unix milliseconds `ms`.
    pub fn from_unix_ms(ms: u64) -> Date {
        Date::of(
            Offset::UTC
                .to_datetime(crate::time::timestamp_of_unix_ms(ms))
                .date(),
        )
    }

    /// The date `months` (fractional) later, a month being 365.2425 / 12 days
    /// (whole days, rounded down), or 9999-12-31 if that is beyond the calendar.
    pub fn plus_months(self, months: f64) -> Date {
        let days = (months * 365.2425 / 12.0).floor() as i64;
        let later = Span::new()
            .try_days(days)
            .and_then(|span| self.civil().checked_add(span));
        Date::of(later.unwrap_or(civil::Date::MAX))
    }

    fn civil(self) -> civil::Date {
        let (Ok(month), Ok(day)) = (i8::try_from(self.month), i8::try_from(self.day)) else {
            panic!("{self:?} is not a date");
        };
        civil::Date::new(self.year as i16, month, day)
            .unwrap_or_else(|e| panic!("{self:?} is not a date: {e}"))
    }

    fn of(date: civil::Date) -> Date {
        Date {
            year: i32::from(date.year()),
            month: u32::from(date.month().unsigned_abs()),
            day: u32::from(date.day().unsigned_abs()),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.civil(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_the_named_terms() {
        let o = Objective::default()
            .with_overrides("share_429<=5%, p99<=2m")
            .unwrap();
        assert_eq!(o.max_share_429, Some(0.05));
        assert_eq!(o.max_p99, Some(Nanos::from_secs(120)));
        assert_eq!(o.max_gave_up, Some(0.0));
        let o = o.with_overrides("gave_up<=0.001,p99<=none").unwrap();
        assert_eq!(o.max_gave_up, Some(0.001));
        assert_eq!(o.max_p99, None);
        for bad in [
            "share_429<=150%",
            "p99<=60",
            "share429<=1%",
            "share_429=1%",
            "",
            "gave_up<=x",
        ] {
            assert!(Objective::default().with_overrides(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_tune_constraint_adds_lockout_time_to_the_objective_terms() {
        let c = Constraint::parse("p99<=30s, locked_out<=0s").unwrap();
        assert_eq!(c.objective.max_p99, Some(Nanos::from_secs(30)));
        assert_eq!(c.objective.max_share_429, Some(0.01), "default kept");
        assert_eq!(c.max_locked_out, Some(Nanos::ZERO));
        let m = Measured {
            share_429: 0.02,
            p99_s: 10.0,
            gave_up_share: 0.5,
        };
        assert_eq!(c.broken(&m, 1.0), ["share_429", "locked_out"]);
        assert_eq!(
            c.to_string(),
            "429 share ≤ 1%, p99 completion ≤ 30s, never locked out"
        );
        for (bad, fragment) in [
            ("locked_out<=soon", "locked_out"),
            ("lockd_out<=0s", "locked_out"),
            ("", "empty"),
            ("share_429<=2", "between"),
        ] {
            let e = Constraint::parse(bad).unwrap_err();
            assert!(e.contains(fragment), "{bad}: {e}");
        }
    }

    #[test]
    fn dates_round_trip_and_add_months() {
        let d = Date {
            year: 2026,
            month: 12,
            day: 1,
        };
        assert_eq!(d.plus_months(0.0), d);
        assert_eq!(d.plus_months(12.0).to_string(), "2027-12-01");
        assert_eq!(d.plus_months(1.0).to_string(), "2026-12-31");
        assert_eq!(d.plus_months(1e9).to_string(), "9999-12-31");
        assert_eq!(
            Date::from_unix_ms(1_776_686_400_000).to_string(),
            "2026-04-20"
        );
    }
}
