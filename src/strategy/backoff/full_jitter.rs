//! Full jitter: `U * min(cap, base * 2^n)`. Spreads a herd of retries over the
//! whole interval; Brooker found it the cheapest in calls.

use super::{base_cap, base_cap_params, capped_exponential, scaled, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::strategy::config::{Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct FullJitter {
    pub base: Nanos,
    pub cap: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    let (base, cap) = base_cap(f)?;
    Ok(Arc::new(FullJitter { base, cap }))
}

impl Backoff for FullJitter {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        scaled(capped_exponential(self.base, self.cap, ctx.retry), rng)
    }

    fn range(&self, retry: u32) -> (Nanos, Nanos) {
        (Nanos::ZERO, capped_exponential(self.base, self.cap, retry))
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        base_cap_params(self.base, self.cap)
    }
}
