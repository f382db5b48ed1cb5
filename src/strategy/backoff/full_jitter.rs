//! Full jitter: `U * min(cap, base * 2^n)`. Spreads a herd of retries over the
//! whole interval; Brooker found it the cheapest in calls.

use super::{capped_exponential, scaled, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::time::Nanos;

pub struct FullJitter {
    pub base: Nanos,
    pub cap: Nanos,
}

impl Backoff for FullJitter {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        scaled(capped_exponential(self.base, self.cap, ctx.retry), rng)
    }
}
