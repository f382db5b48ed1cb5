//! Equal jitter: half the exponential delay, plus a uniform draw over the other
//! half. Never retries immediately, at the cost of some spread.

use super::{base_cap, base_cap_params, capped_exponential, scaled, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::strategy::config::{Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct EqualJitter {
    pub base: Nanos,
    pub cap: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    let (base, cap) = base_cap(f)?;
    Ok(Arc::new(EqualJitter { base, cap }))
}

impl Backoff for EqualJitter {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let v = capped_exponential(self.base, self.cap, ctx.retry);
        let half = Nanos(v.0 / 2);
        half + scaled(Nanos(v.0 - half.0), rng)
    }

    fn range(&self, retry: u32) -> (Nanos, Nanos) {
        let v = capped_exponential(self.base, self.cap, retry);
        (Nanos(v.0 / 2), v)
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        base_cap_params(self.base, self.cap)
    }
}
