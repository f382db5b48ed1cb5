//! Google SRE client-side adaptive throttling ("Handling Overload", Site
//! Reliability Engineering, 2016): the client rejects a request locally, before
//! sending it, with probability `max(0, (requests - K * accepts) / (requests + 1))`,
//! where `requests` are the sends it attempted (its own rejections included)
//! and `accepts` the ones the server accepted, over the last 2 minutes. K = 2
//! lets the client send about twice what gets through; lower K is more
//! aggressive. Only successes count as accepts: a 429 or a 5xx is the backend
//! refusing. Rejections are [`Refusal::Throttle`] outcomes.
//!
//! The window is a ring of one-second buckets (fixed at build time), so the
//! hot path never allocates.

use super::{Budget, BudgetKind};
use crate::rng::{unit, Rng};
use crate::strategy::config::{toml_duration, toml_number, Fields, Result};
use crate::strategy::{Refusal, SendInfo};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct SreSpec {
    pub k: f64,
    pub window: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn BudgetKind>> {
    let window = f.positive_duration("window", Nanos::from_secs(120))?;
    if window.0 % 1_000_000_000 != 0 || window > Nanos::from_secs(3600) {
        return Err(f.err(
            "window",
            format!("must be whole seconds, at most 1h (got {window})"),
        ));
    }
    Ok(Arc::new(SreSpec {
        k: f.number("k", 2.0, (0.0, true), 1000.0)?,
        window,
    }))
}

impl BudgetKind for SreSpec {
    fn build(&self) -> Box<dyn Budget> {
        let n = (self.window.0 / 1_000_000_000) as usize;
        Box::new(Sre {
            k: self.k,
            requests: vec![0; n],
            accepts: vec![0; n],
            total_requests: 0,
            total_accepts: 0,
            second: 0,
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("k", toml_number(self.k)),
            ("window", toml_duration(self.window)),
        ]
    }
}

pub struct Sre {
    k: f64,
    /// Per-second counts, indexed by second modulo the window.
    requests: Vec<u64>,
    accepts: Vec<u64>,
    total_requests: u64,
    total_accepts: u64,
    /// The second the newest bucket belongs to.
    second: u64,
}

impl Sre {
    /// Moves the window to the second of `now`, dropping seconds that left it.
    fn roll(&mut self, now: Nanos) -> usize {
        let n = self.requests.len() as u64;
        let s = now.0 / 1_000_000_000;
        if s > self.second {
            for old in (self.second + 1..=s).take(n as usize) {
                let i = (old % n) as usize;
                self.total_requests -= std::mem::take(&mut self.requests[i]);
                self.total_accepts -= std::mem::take(&mut self.accepts[i]);
            }
            self.second = s;
        }
        (self.second % n) as usize
    }

    /// The probability of a local rejection now.
    pub fn reject_probability(&mut self, now: Nanos) -> f64 {
        self.roll(now);
        let r = self.total_requests as f64;
        ((r - self.k * self.total_accepts as f64) / (r + 1.0)).max(0.0)
    }
}

impl Budget for Sre {
    fn on_send(
        &mut self,
        now: Nanos,
        _info: &SendInfo,
        rng: &mut Rng,
    ) -> std::result::Result<(), Refusal> {
        let p = self.reject_probability(now);
        let i = self.roll(now);
        self.requests[i] += 1;
        self.total_requests += 1;
        if p > 0.0 && unit(rng) < p {
            Err(Refusal::Throttle)
        } else {
            Ok(())
        }
    }

    fn on_success(&mut self, now: Nanos, _info: &SendInfo) {
        let i = self.roll(now);
        self.accepts[i] += 1;
        self.total_accepts += 1;
    }

    /// 1 minus the rejection probability: the share of sends that go.
    fn balance(&mut self, now: Nanos) -> f64 {
        1.0 - self.reject_probability(now)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::info;
    use super::*;

    #[test]
    fn rejects_as_requests_outgrow_twice_the_accepts_and_forgets_after_the_window() {
        let mut b = Sre {
            k: 2.0,
            requests: vec![0; 120],
            accepts: vec![0; 120],
            total_requests: 0,
            total_accepts: 0,
            second: 0,
        };
        let mut rng = crate::rng::stream(1, "sre", crate::rng::Purpose::Strategy);
        let t = Nanos::from_secs(1);
        // 100 requests, 50 accepted: 100 - 2*50 = 0, no rejection.
        for i in 0..100 {
            b.on_send(t, &info(0), &mut rng).unwrap();
            if i % 2 == 0 {
                b.on_success(t, &info(1));
            }
        }
        assert_eq!(b.reject_probability(t), 0.0);
        // 100 more, none accepted: (200 - 100) / 201.
        let refused = (0..100)
            .filter(|_| b.on_send(t, &info(0), &mut rng).is_err())
            .count();
        assert!(refused > 0 && refused < 50, "{refused}");
        assert!((b.reject_probability(t) - 100.0 / 201.0).abs() < 1e-12);
        // Two minutes later it has all left the window.
        assert_eq!(b.reject_probability(Nanos::from_secs(122)), 0.0);
    }
}
