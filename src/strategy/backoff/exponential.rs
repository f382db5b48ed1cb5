//! Capped exponential backoff without jitter: `min(cap, base * 2^n)`.
//!
//! Kept as the cautionary baseline: every client that failed together retries
//! together, so the herd hits the limit again in lockstep.

use super::{base_cap, base_cap_params, capped_exponential, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::strategy::config::{Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct Exponential {
    pub base: Nanos,
    pub cap: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    let (base, cap) = base_cap(f)?;
    Ok(Arc::new(Exponential { base, cap }))
}

impl Backoff for Exponential {
    fn delay(&self, ctx: &RetryCtx<'_>, _rng: &mut Rng) -> Nanos {
        capped_exponential(self.base, self.cap, ctx.retry)
    }

    fn range(&self, retry: u32) -> (Nanos, Nanos) {
        let d = capped_exponential(self.base, self.cap, retry);
        (d, d)
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        base_cap_params(self.base, self.cap)
    }
}
