//! Equal jitter: half the exponential delay, plus a uniform draw over the other
//! half. Never retries immediately, at the cost of some spread.

use super::{capped_exponential, scaled, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::time::Nanos;

pub struct EqualJitter {
    pub base: Nanos,
    pub cap: Nanos,
}

impl Backoff for EqualJitter {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let v = capped_exponential(self.base, self.cap, ctx.retry);
        let half = Nanos(v.0 / 2);
        half + scaled(Nanos(v.0 - half.0), rng)
    }
}
