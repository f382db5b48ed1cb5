//! The same delay before every retry; with a zero delay, the `none` kind
//! (give up at once) and the `immediate` kind (retry at once, for clients
//! whose pacer or pause does the waiting, like the OpenAI cookbook's
//! processor and adaptive token buckets).

use super::{Backoff, RetryCtx};
use crate::rng::Rng;
use crate::strategy::config::{toml_duration, Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct Constant {
    pub delay: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    Ok(Arc::new(Constant {
        delay: f.positive_duration("delay", Nanos::SECOND)?,
    }))
}

pub(super) fn parse_none(_: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    Ok(Arc::new(Constant { delay: Nanos::ZERO }))
}

pub(super) fn parse_immediate(_: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    Ok(Arc::new(Constant { delay: Nanos::ZERO }))
}

impl Backoff for Constant {
    fn delay(&self, _ctx: &RetryCtx<'_>, _rng: &mut Rng) -> Nanos {
        self.delay
    }

    fn range(&self, _retry: u32) -> (Nanos, Nanos) {
        (self.delay, self.delay)
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        // `constant` needs a positive delay, so zero means `none` or `immediate`.
        if self.delay == Nanos::ZERO {
            Vec::new()
        } else {
            vec![("delay", toml_duration(self.delay))]
        }
    }
}
