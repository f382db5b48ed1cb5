//! Decorrelated jitter: `min(cap, base + U * (3 * prev - base))`.
//!
//! Each delay depends on the previous one rather than on the retry number, so
//! the engine keeps `prev` per request (starting at `base`).

use super::{scaled, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::time::Nanos;

pub struct Decorrelated {
    pub base: Nanos,
    pub cap: Nanos,
}

impl Backoff for Decorrelated {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let prev = ctx.prev_delay.max(self.base);
        let spread = Nanos(prev.0.saturating_mul(3).saturating_sub(self.base.0));
        (self.base + scaled(spread, rng)).min(self.cap)
    }
}
