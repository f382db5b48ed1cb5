//! Additive jitter: `d + U * d` with `d = min(cap, initial * m^(n-1))`, so a
//! delay lies in [d, 2d). This is backon's `ExponentialBuilder::with_jitter()`
//! (defaults 1 s to 60 s, factor 2, 3 retries): jitter only lengthens, and is
//! added after the cap, so the longest delay is twice the cap.

use super::{capped_growth, initial_multiplier_cap, scaled, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::strategy::config::{toml_duration, toml_number, Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct AdditiveJitter {
    pub initial: Nanos,
    pub multiplier: f64,
    pub cap: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    let (initial, multiplier, cap) = initial_multiplier_cap(f)?;
    Ok(Arc::new(AdditiveJitter {
        initial,
        multiplier,
        cap,
    }))
}

impl Backoff for AdditiveJitter {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let d = capped_growth(
            self.initial,
            self.multiplier,
            ctx.retry.saturating_sub(1),
            self.cap,
        );
        d + scaled(d, rng)
    }

    fn range(&self, retry: u32) -> (Nanos, Nanos) {
        let d = capped_growth(
            self.initial,
            self.multiplier,
            retry.saturating_sub(1),
            self.cap,
        );
        (d, Nanos(d.0.saturating_mul(2)))
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("initial", toml_duration(self.initial)),
            ("multiplier", toml_number(self.multiplier)),
            ("cap", toml_duration(self.cap)),
        ]
    }
}
