//! The same delay before every retry.

use super::{Backoff, RetryCtx};
use crate::rng::Rng;
use crate::time::Nanos;

pub struct Constant {
    pub delay: Nanos,
}

impl Backoff for Constant {
    fn delay(&self, _ctx: &RetryCtx<'_>, _rng: &mut Rng) -> Nanos {
        self.delay
    }
}
