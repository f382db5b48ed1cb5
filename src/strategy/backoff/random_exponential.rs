//! tenacity's `wait_random_exponential`: a uniform draw between `min` and an
//! exponentially growing ceiling, `U(min, max(min, min(cap, initial * 2^(n-1))))`.
//!
//! Unlike full jitter the floor is `min`, not zero, and the first retry's
//! ceiling is `initial` (tenacity's `multiplier`, in seconds). The OpenAI
//! cookbook's rate-limit guide uses min = 1 s, max = 60 s, 6 attempts.

use super::{capped_exponential, Backoff, RetryCtx};
use crate::rng::{unit, Rng};
use crate::strategy::config::{toml_duration, Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct RandomExponential {
    pub min: Nanos,
    pub initial: Nanos,
    pub cap: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    let min = f.duration("min", Nanos::ZERO)?;
    let initial = f.positive_duration("initial", Nanos::SECOND)?;
    let cap = f.positive_duration("cap", Nanos::from_secs(60))?;
    if cap < min {
        return Err(f.err(
            "cap",
            format!("the cap ({cap}) is below min ({min}); the cap must be at least min"),
        ));
    }
    Ok(Arc::new(RandomExponential { min, initial, cap }))
}

impl RandomExponential {
    fn high(&self, retry: u32) -> Nanos {
        capped_exponential(self.initial, self.cap, retry.saturating_sub(1)).max(self.min)
    }
}

impl Backoff for RandomExponential {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let high = self.high(ctx.retry);
        self.min + Nanos(((high.0 - self.min.0) as f64 * unit(rng)) as u64)
    }

    fn range(&self, retry: u32) -> (Nanos, Nanos) {
        (self.min, self.high(retry))
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("min", toml_duration(self.min)),
            ("initial", toml_duration(self.initial)),
            ("cap", toml_duration(self.cap)),
        ]
    }
}
