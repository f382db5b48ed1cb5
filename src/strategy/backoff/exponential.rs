//! Capped exponential backoff without jitter: `min(cap, base * 2^n)`.
//!
//! Kept as the cautionary baseline: every client that failed together retries
//! together, so the herd hits the limit again in lockstep.

use super::{capped_exponential, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::time::Nanos;

pub struct Exponential {
    pub base: Nanos,
    pub cap: Nanos,
}

impl Backoff for Exponential {
    fn delay(&self, ctx: &RetryCtx<'_>, _rng: &mut Rng) -> Nanos {
        capped_exponential(self.base, self.cap, ctx.retry)
    }
}
