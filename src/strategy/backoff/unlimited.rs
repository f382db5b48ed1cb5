//! "Unlimited backoff" (UB) as Farkiani, Liu and Crowley publish it for
//! their baseline client ("Rethinking HTTP API Rate Limiting: A Client-Side
//! Approach", arXiv:2510.04516; `UB.py` in github.com/Bfarkiani/ratelimiter,
//! commit 5def00a): after the n-th failed attempt, sleep
//! `U(min, min(2^n - 1 s, cap))`, rounded to 10 ms, and retry without end.
//!
//! The source draws each client's cap once, uniform in [30 s, 34 s] (and
//! rounds it to 10 ms); here the cap is a parameter (default 32 s), and a
//! scenario draws it per client with `cap = { uniform = ["30s", "34s"] }`.
//! `min` is 0.1 s there. The ceiling `2^n - 1` is in seconds, so the first
//! retry waits U(0.1 s, 1 s).

use super::{Backoff, RetryCtx};
use crate::rng::{unit, Rng};
use crate::strategy::config::{toml_duration, Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct Unlimited {
    pub min: Nanos,
    pub cap: Nanos,
    /// Delays are rounded to a multiple of this (zero: not rounded).
    pub resolution: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    let min = f.duration("min", Nanos::from_millis(100))?;
    let cap = f.positive_duration("cap", Nanos::from_secs(32))?;
    if cap < min {
        return Err(f.err(
            "cap",
            format!("the cap ({cap}) is below min ({min}); the cap must be at least min"),
        ));
    }
    Ok(Arc::new(Unlimited {
        min,
        cap,
        resolution: f.duration("resolution", Nanos::from_millis(10))?,
    }))
}

impl Unlimited {
    /// `max(min, min(2^n - 1 s, cap))`.
    fn high(&self, retry: u32) -> Nanos {
        let secs = 1u64.checked_shl(retry.min(63)).unwrap_or(u64::MAX) - 1;
        Nanos(secs.saturating_mul(Nanos::SECOND.0))
            .min(self.cap)
            .max(self.min)
    }

    /// The delay for a uniform draw `u` in [0, 1).
    pub fn delay_for(&self, u: f64, retry: u32) -> Nanos {
        let high = self.high(retry);
        let d = self.min.0 as f64 + (high.0 - self.min.0) as f64 * u;
        let r = self.resolution.0 as f64;
        let d = if r > 0.0 { (d / r).round() * r } else { d };
        Nanos(d as u64).clamp(self.min, high)
    }
}

impl Backoff for Unlimited {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        self.delay_for(unit(rng), ctx.retry)
    }

    fn range(&self, retry: u32) -> (Nanos, Nanos) {
        (self.min, self.high(retry))
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("min", toml_duration(self.min)),
            ("cap", toml_duration(self.cap)),
            ("resolution", toml_duration(self.resolution)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_is_two_to_the_n_minus_one_seconds_up_to_the_cap() {
        let ub = Unlimited {
            min: Nanos::from_millis(100),
            cap: Nanos::from_millis(32_500),
            resolution: Nanos::from_millis(10),
        };
        let highs: Vec<u64> = (1..=7).map(|n| ub.range(n).1 .0 / 1_000_000).collect();
        assert_eq!(highs, [1000, 3000, 7000, 15_000, 31_000, 32_500, 32_500]);
        assert_eq!(ub.range(1).0, Nanos::from_millis(100));
        assert_eq!(ub.range(200).1, Nanos::from_millis(32_500), "no overflow");
        // U = 0 gives min; U near 1 the ceiling; draws land on 10 ms steps.
        assert_eq!(ub.delay_for(0.0, 3), Nanos::from_millis(100));
        assert_eq!(ub.delay_for(0.999_999_9, 3), Nanos::from_secs(7));
        assert_eq!(ub.delay_for(0.5, 1), Nanos::from_millis(550));
        assert_eq!(ub.delay_for(0.123_456, 2).0 % 10_000_000, 0);
    }
}
