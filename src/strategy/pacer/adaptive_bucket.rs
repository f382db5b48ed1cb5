//! The adaptive token bucket (ATB): a client-side bucket whose rate grows by
//! a factor after each success and is halved after each failure, which also
//! empties the bucket. It replaces backoff: pair it with `kind = "immediate"`
//! so a retry simply queues for a token.
//!
//! The full rule, as Farkiani, Liu and Crowley publish it ("Rethinking HTTP
//! API Rate Limiting: A Client-Side Approach", arXiv:2510.04516; their
//! client `ATB.py` in github.com/Bfarkiani/ratelimiter, commit 5def00a):
//!
//! - on a success, `rate = max(rate + step, rate * f)` with `f = increase`
//!   while the rate is below the rate at the last congestion and
//!   `f = increase_above` from there on (two phases, like TCP's slow start
//!   and congestion avoidance);
//! - on a failure (`statuses`), the last congestion rate becomes the rate,
//!   `rate = max(min, rate * decrease)` and the bucket is emptied;
//! - the bucket holds `capacity` requests and starts with `tokens`;
//! - no upper bound unless `max` is set; rates rounded to `resolution`.
//!
//! The defaults keep the kind as ratesim first shipped it (x1.2 and x0.5 on
//! 429s only, within 1/min..100/s, a bucket of `burst`); the `atb` preset
//! sets the published rule and constants.

use super::aimd::RateRange;
use super::bucket::Lanes;
use super::{toml_rate, Pacer, PacerKind, Seen};
use crate::response::Status;
use crate::strategy::config::{toml_codes, toml_number, Fields, Result};
use crate::strategy::{Gate, SendInfo, StatusSet};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AdaptiveBucketSpec {
    pub range: RateRange,
    /// Factor per success below the last congestion rate.
    pub increase: f64,
    /// Factor per success at or above it.
    pub increase_above: f64,
    /// Least increase per success (requests per second).
    pub step: f64,
    pub decrease: f64,
    /// The last congestion rate before any failure (infinite: none).
    pub congestion: f64,
    /// Answers that cut the rate.
    pub statuses: StatusSet,
    /// Rates are rounded to a multiple of this (0: not rounded).
    pub resolution: f64,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn PacerKind>> {
    Ok(Arc::new(read(f)?))
}

fn read(f: &Fields<'_>) -> Result<AdaptiveBucketSpec> {
    let increase = f.number("increase", 1.2, (1.0, true), 100.0)?;
    let optional_rate = |key: &str| -> Result<f64> {
        match f.has(key) {
            true => f.rate(key, 0.0),
            false => Ok(0.0),
        }
    };
    Ok(AdaptiveBucketSpec {
        range: RateRange::parse(f)?,
        increase,
        increase_above: f.number("increase_above", increase, (1.0, true), 100.0)?,
        step: optional_rate("step")?,
        decrease: f.number("decrease", 0.5, (0.0, true), 0.999)?,
        congestion: match f.has("congestion") {
            true => f.rate("congestion", 0.0)?,
            false => f64::INFINITY,
        },
        statuses: f.statuses("statuses", StatusSet::of(&[Status::TooMany]))?,
        resolution: optional_rate("resolution")?,
    })
}

impl AdaptiveBucketSpec {
    fn round(&self, rate: f64) -> f64 {
        if self.resolution > 0.0 {
            (rate / self.resolution).round() * self.resolution
        } else {
            rate
        }
    }

    /// The rate after a success at `rate`, the last congestion at `congestion`.
    pub fn grown(&self, rate: f64, congestion: f64) -> f64 {
        let factor = if rate < congestion {
            self.increase
        } else {
            self.increase_above
        };
        self.round((rate + self.step).max(rate * factor))
    }

    /// The rate after a failure at `rate`.
    pub fn cut(&self, rate: f64) -> f64 {
        self.round(rate * self.decrease)
    }
}

impl PacerKind for AdaptiveBucketSpec {
    fn build(&self) -> Box<dyn Pacer> {
        Box::new(AdaptiveBucket {
            lanes: self.range.lanes(),
            rate: self.range.initial,
            congestion: self.congestion,
            spec: self.clone(),
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut v = self.range.params();
        v.push(("increase", toml_number(self.increase)));
        v.push(("decrease", toml_number(self.decrease)));
        // Printed only when set, so the first tables of this kind read as before.
        if self.increase_above != self.increase {
            v.push(("increase_above", toml_number(self.increase_above)));
        }
        if self.step > 0.0 {
            v.push(("step", toml_rate(self.step)));
        }
        if self.congestion.is_finite() {
            v.push(("congestion", toml_rate(self.congestion)));
        }
        if self.statuses != StatusSet::of(&[Status::TooMany]) {
            v.push(("statuses", toml_codes(self.statuses)));
        }
        if self.resolution > 0.0 {
            v.push(("resolution", toml_rate(self.resolution)));
        }
        v
    }
}

pub struct AdaptiveBucket {
    spec: AdaptiveBucketSpec,
    lanes: Lanes,
    rate: f64,
    /// The rate at the last failure.
    congestion: f64,
}

impl Pacer for AdaptiveBucket {
    #[inline]
    fn gate(&mut self, now: Nanos, _info: &SendInfo) -> Gate {
        self.lanes.gate(now, 1)
    }

    fn observe(&mut self, seen: &Seen<'_>) {
        let status = seen.response.status;
        if status.is_success() {
            let target = self.spec.grown(self.rate, self.congestion);
            self.rate = self.spec.range.apply(&mut self.lanes, seen.now, target);
        } else if self.spec.statuses.contains(status) {
            self.congestion = self.rate;
            let target = self.spec.cut(self.rate);
            self.rate = self.spec.range.apply(&mut self.lanes, seen.now, target);
            self.lanes.empty_requests(seen.now);
        }
    }

    fn cancel_reservations(&mut self) {
        self.lanes.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{Headers, Response};

    fn bucket(text: &str) -> AdaptiveBucket {
        let t: toml::Table = toml::from_str(text).unwrap();
        let spec = read(&Fields::new(&t, "")).unwrap();
        AdaptiveBucket {
            lanes: spec.range.lanes(),
            rate: spec.range.initial,
            congestion: spec.congestion,
            spec,
        }
    }

    fn seen(p: &mut AdaptiveBucket, ms: u64, status: Status) {
        let info = SendInfo {
            worker: None,
            tokens: 1,
            sent: 1,
        };
        let r = Response {
            status,
            cause: None,
            headers: Headers::default(),
            retry_after: None,
        };
        p.observe(&Seen {
            now: Nanos::from_millis(ms),
            info: &info,
            response: &r,
            clock: None,
        });
    }

    fn near(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
        }
    }

    const INFO: SendInfo = SendInfo {
        worker: None,
        tokens: 1,
        sent: 0,
    };

    #[test]
    fn grows_per_success_and_halves_per_429_with_an_empty_bucket() {
        let mut p = bucket("initial = \"60/min\"");
        assert_eq!(
            p.gate(Nanos::ZERO, &INFO),
            Gate::Send,
            "starts with one token"
        );
        seen(&mut p, 100, Status::Ok);
        seen(&mut p, 200, Status::Ok);
        assert!((p.rate - 1.44).abs() < 1e-12);
        seen(&mut p, 250, Status::Unavailable);
        assert!(
            (p.rate - 1.44).abs() < 1e-12,
            "a 5xx does not cut by default"
        );
        seen(&mut p, 300, Status::TooMany);
        assert!((p.rate - 0.72).abs() < 1e-12);
        // Empty at 0.3 s, refilling 0.72 per second: one token at 0.3 + 1/0.72 s,
        // more than the 1 s horizon away: park until half a second before it.
        let want = Nanos::from_millis(300) + Nanos((1e9 / 0.72_f64).ceil() as u64);
        let park = want - Nanos::from_millis(500);
        assert_eq!(
            p.gate(Nanos::from_millis(300), &INFO),
            Gate::WaitUntil(park)
        );
        assert_eq!(p.gate(park, &INFO), Gate::WaitUntil(want));
        assert_eq!(p.gate(want, &INFO), Gate::Send);
    }

    /// The published rule with distinct phases: x2 below the last
    /// congestion rate, x1.1 from it, at least +0.01/s, halved on any
    /// failure, rates on a 0.01/s grid, no upper bound.
    #[test]
    fn the_published_rule_has_two_phases_around_the_last_congestion() {
        let mut p = bucket(
            "initial = \"1/s\"\nmin = \"0.01/s\"\nmax = \"none\"\nincrease = 2\n\
             increase_above = 1.1\nstep = \"0.01/s\"\ncongestion = \"300/s\"\n\
             statuses = [429, 500, 503]\ncapacity = 40\ntokens = 1\nresolution = \"0.01/s\"",
        );
        let rates = |p: &mut AdaptiveBucket, steps: &[(u64, Status)]| -> Vec<f64> {
            steps
                .iter()
                .map(|&(ms, s)| {
                    seen(p, ms, s);
                    p.rate
                })
                .collect()
        };
        let ok = Status::Ok;
        // Below the first congestion (300/s): doubling, unbounded.
        let got = rates(
            &mut p,
            &[(1, ok), (2, ok), (3, ok), (4, Status::Unavailable)],
        );
        near(&got, &[2.0, 4.0, 8.0, 4.0]);
        // The congestion rate is now 8/s: x2 up to it, then x1.1.
        let got = rates(&mut p, &[(5, ok), (6, ok), (7, ok)]);
        near(&got, &[8.0, 8.8, 9.68]);
        // At a low rate the step wins: 0.04 x 1.1 = 0.044 < 0.04 + 0.01.
        let mut slow = bucket(
            "initial = \"0.04/s\"\nmin = \"0.01/s\"\nincrease = 1.1\nstep = \"0.01/s\"\nresolution = \"0.01/s\"",
        );
        near(&rates(&mut slow, &[(1, ok)]), &[0.05]);
        // Halving stops at min: 0.01/s.
        for ms in 2..6 {
            seen(&mut slow, ms, Status::TooMany);
        }
        assert!((slow.rate - 0.01).abs() < 1e-12);
    }

    #[test]
    fn a_fixed_bucket_starts_with_its_chosen_fill_and_is_emptied_by_a_failure() {
        let mut p = bucket("initial = \"1/s\"\ncapacity = 3\ntokens = 2\nmax = \"none\"");
        assert_eq!(p.gate(Nanos::ZERO, &INFO), Gate::Send);
        assert_eq!(p.gate(Nanos::ZERO, &INFO), Gate::Send);
        assert_eq!(p.gate(Nanos::ZERO, &INFO), Gate::WaitUntil(Nanos::SECOND));
        // Idle for 10 s: the bucket holds 3 (its capacity), not 10.
        let t = Nanos::from_secs(11);
        for _ in 0..3 {
            assert_eq!(p.gate(t, &INFO), Gate::Send);
        }
        assert!(matches!(p.gate(t, &INFO), Gate::WaitUntil(_)));
        let mut q = bucket("initial = \"1/s\"\ncapacity = 3\ntokens = 3");
        seen(&mut q, 0, Status::TooMany);
        // tokens = 0 and the rate halved to 0.5/s: the next token at 2 s
        // (parked until half a horizon before it).
        let park = Nanos::from_millis(1500);
        assert_eq!(q.gate(Nanos::ZERO, &INFO), Gate::WaitUntil(park));
        assert_eq!(q.gate(park, &INFO), Gate::WaitUntil(Nanos::from_secs(2)));
    }
}
