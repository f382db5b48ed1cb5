//! Decorrelated jitter: `min(cap, base + U * (3 * prev - base))`.
//!
//! Each delay depends on the previous one rather than on the retry number, so
//! the engine keeps `prev` per request (starting at `base`).

use super::{base_cap, base_cap_params, scaled, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::strategy::config::{Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct Decorrelated {
    pub base: Nanos,
    pub cap: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    let (base, cap) = base_cap(f)?;
    Ok(Arc::new(Decorrelated { base, cap }))
}

impl Backoff for Decorrelated {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let prev = ctx.prev_delay.max(self.base);
        let spread = Nanos(prev.0.saturating_mul(3).saturating_sub(self.base.0));
        (self.base + scaled(spread, rng)).min(self.cap)
    }

    fn range(&self, _retry: u32) -> (Nanos, Nanos) {
        (self.base.min(self.cap), self.cap)
    }

    fn initial_prev(&self) -> Nanos {
        self.base
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        base_cap_params(self.base, self.cap)
    }
}
