//! A circuit breaker: after enough failures, stop sending for a while, then
//! let one probe through to see whether the service is back.
//!
//! Closed, it counts answers: it opens after `failures` consecutive counted
//! failures, or when at least `min_calls` of the last `window` answers are in
//! and `ratio` of them failed (either rule, or both, may be set). Open, every
//! send is refused ([`super::Refusal::Breaker`]) until `cooldown` has passed.
//! Then it is half-open: one probe goes; a success closes it, a counted
//! failure opens it for another cooldown, and other sends are refused while the
//! probe is out. A probe that never answers (the engine drops unservable
//! requests) is given up after a cooldown. Answers from before it opened are
//! ignored while open. Which statuses count is a setting (default 429, 500
//! and 503); other answers neither count as failures nor as successes.
//!
//! The ratio window is a fixed ring of at most 1000 outcomes.

use super::config::{toml_codes, toml_duration, toml_number, Fields, Result};
use super::StatusSet;
use crate::response::Status;
use crate::time::Nanos;

#[derive(Clone, Debug, PartialEq)]
pub struct BreakerSpec {
    pub failures: Option<u32>,
    /// (ratio, window, min_calls)
    pub ratio: Option<(f64, u32, u32)>,
    pub cooldown: Nanos,
    pub statuses: StatusSet,
}

impl BreakerSpec {
    pub const KEYS: &'static [&'static str] = &[
        "failures",
        "ratio",
        "window",
        "min_calls",
        "cooldown",
        "statuses",
    ];

    pub(crate) fn parse(f: &Fields<'_>) -> Result<BreakerSpec> {
        let failures = if f.has("failures") {
            Some(f.count("failures", 5, 1, 1_000_000)? as u32)
        } else {
            None
        };
        let ratio = if f.has("ratio") {
            let window = f.count("window", 100, 1, 1000)? as u32;
            let min_calls = f.count("min_calls", u64::from(window), 1, i64::from(window))? as u32;
            Some((f.fraction("ratio", 0.5)?, window, min_calls))
        } else {
            for key in ["window", "min_calls"] {
                if f.has(key) {
                    return Err(f.err(
                        key,
                        format!("`{key}` belongs to the `ratio` rule; set `ratio` too"),
                    ));
                }
            }
            None
        };
        if failures.is_none() && ratio.is_none() {
            return Err(f.err(
                "",
                "a breaker needs a rule to open: `failures` (consecutive) or `ratio` (of the last `window` answers), or both",
            ));
        }
        Ok(BreakerSpec {
            failures,
            ratio,
            cooldown: f.positive_duration("cooldown", Nanos::from_secs(30))?,
            statuses: f.statuses("statuses", StatusSet::default_retryable())?,
        })
    }

    /// `key = value` pairs as a `breaker` table writes them.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.failures {
            parts.push(format!("failures = {n}"));
        }
        if let Some((r, w, m)) = self.ratio {
            parts.push(format!(
                "ratio = {}, window = {w}, min_calls = {m}",
                toml_number(r)
            ));
        }
        parts.push(format!("cooldown = {}", toml_duration(self.cooldown)));
        parts.push(format!("statuses = {}", toml_codes(self.statuses)));
        parts.join(", ")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed,
    Open {
        until: Nanos,
    },
    /// `probe`: when the probe left, if one is out.
    HalfOpen {
        probe: Option<Nanos>,
    },
}

/// The state of one breaker.
#[derive(Clone, Debug)]
pub struct Breaker {
    spec: BreakerSpec,
    state: State,
    consecutive: u32,
    /// Last outcomes (true: failed), a ring of `window` entries.
    ring: Vec<bool>,
    next: usize,
    filled: u32,
    failed: u32,
}

impl Breaker {
    pub fn new(spec: &BreakerSpec) -> Breaker {
        let window = spec.ratio.map_or(0, |(_, w, _)| w as usize);
        Breaker {
            spec: spec.clone(),
            state: State::Closed,
            consecutive: 0,
            ring: vec![false; window],
            next: 0,
            filled: 0,
            failed: 0,
        }
    }

    /// Whether a send may go at `now` (turning open into half-open once the
    /// cooldown has passed).
    #[inline]
    pub fn admits(&mut self, now: Nanos) -> bool {
        match self.state {
            State::Closed => true,
            State::Open { until } if now < until => false,
            State::Open { .. } => {
                self.state = State::HalfOpen { probe: None };
                true
            }
            State::HalfOpen { probe: None } => true,
            State::HalfOpen { probe: Some(at) } => now >= at + self.spec.cooldown,
        }
    }

    /// A send left (after every check passed): in half-open, it is the probe.
    pub fn on_send(&mut self, now: Nanos) {
        if let State::HalfOpen { .. } = self.state {
            self.state = State::HalfOpen { probe: Some(now) };
        }
    }

    /// An answer with `status`.
    pub fn record(&mut self, now: Nanos, status: Status) {
        let failed = if status.is_success() {
            false
        } else if self.spec.statuses.contains(status) {
            true
        } else {
            return;
        };
        match self.state {
            State::Open { .. } => {}
            State::HalfOpen { .. } => {
                if failed {
                    self.open(now);
                } else {
                    self.state = State::Closed;
                }
            }
            State::Closed => {
                self.consecutive = if failed { self.consecutive + 1 } else { 0 };
                let mut trip = self.spec.failures.is_some_and(|n| self.consecutive >= n);
                if let Some((ratio, window, min_calls)) = self.spec.ratio {
                    if self.filled == window {
                        self.failed -= u32::from(self.ring[self.next]);
                    } else {
                        self.filled += 1;
                    }
                    self.ring[self.next] = failed;
                    self.failed += u32::from(failed);
                    self.next = (self.next + 1) % window as usize;
                    trip |= self.filled >= min_calls
                        && f64::from(self.failed) >= ratio * f64::from(self.filled);
                }
                if trip {
                    self.open(now);
                }
            }
        }
    }

    fn open(&mut self, now: Nanos) {
        self.state = State::Open {
            until: now + self.spec.cooldown,
        };
        self.consecutive = 0;
        self.ring.iter_mut().for_each(|x| *x = false);
        self.next = 0;
        self.filled = 0;
        self.failed = 0;
    }

    #[cfg(test)]
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(text: &str) -> Breaker {
        let t: toml::Table = toml::from_str(text).unwrap();
        Breaker::new(&BreakerSpec::parse(&Fields::new(&t, "breaker.")).unwrap())
    }

    #[test]
    fn opens_after_consecutive_failures_probes_and_closes() {
        let mut b = breaker("failures = 3\ncooldown = \"30s\"");
        let s = Nanos::from_secs;
        for t in 0..2 {
            b.record(s(t), Status::Unavailable);
        }
        b.record(s(2), Status::Ok);
        assert!(b.admits(s(3)), "a success resets the count");
        for t in 3..6 {
            b.record(s(t), Status::Unavailable);
        }
        assert!(
            !b.admits(s(6)) && !b.admits(s(34)),
            "open for 30 s from the third failure"
        );
        assert!(b.admits(s(35)), "half-open: the probe");
        b.on_send(s(35));
        assert!(!b.admits(s(36)), "one probe at a time");
        b.record(s(36), Status::Unavailable);
        assert!(!b.admits(s(37)) && b.is_open(), "a failed probe reopens");
        assert!(b.admits(s(66)));
        b.on_send(s(66));
        b.record(s(67), Status::Ok);
        assert!(b.admits(s(67)) && !b.is_open(), "a good probe closes");
    }

    #[test]
    fn opens_on_the_failure_ratio_of_the_last_calls() {
        let mut b = breaker("ratio = 0.5\nwindow = 10\nmin_calls = 4\nstatuses = [503]");
        for (t, status) in [
            Status::Ok,
            Status::Unavailable,
            Status::TooMany,
            Status::Ok,
            Status::Unavailable,
        ]
        .iter()
        .enumerate()
        {
            b.record(Nanos::from_secs(t as u64), *status);
        }
        // 429 is not counted: 2 of 4 failed -> open.
        assert!(b.is_open());
    }
}
