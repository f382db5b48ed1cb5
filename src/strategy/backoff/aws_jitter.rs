//! The AWS SDKs' standard-mode backoff as revised in 2026: full jitter from a
//! base that depends on the error, `t = U * min(cap, b * 2^(n-1))` with
//! `b = throttle_base` (1 s) after a throttle (a 429) and `b = base` (50 ms)
//! after a transient error, capped at 20 s. When `retry_after_extra` is set,
//! a `Retry-After` the server sent is honoured within `[t, t + extra]`
//! (botocore clamps `x-amz-retry-after` to `max(t, min(value, t + 5 s))`).
//!
//! botocore `retries/standard.py`, `ExponentialBackoff.delay_amount` with
//! `NEW_RETRIES_ENABLED` (`_DEFAULT_BACKOFF_CONFIG`: throttling_base_scale 1,
//! non_throttling_base_scale 0.05; `_MAX_BACKOFF = 20`;
//! `_RETRY_AFTER_MAX_ADDITIONAL = 5`). ratesim's servers send one
//! `Retry-After`; this schedule reads it as the SDK reads `x-amz-retry-after`.

use super::{capped_exponential, Backoff, RetryCtx};
use crate::response::Status;
use crate::rng::{unit, Rng};
use crate::strategy::config::{toml_duration, Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct AwsJitter {
    /// Base after a transient error (5xx).
    pub base: Nanos,
    /// Base after a throttle (429).
    pub throttle_base: Nanos,
    pub cap: Nanos,
    /// How far past the drawn delay a `Retry-After` is trusted; `None`: not read.
    pub retry_after_extra: Option<Nanos>,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    Ok(Arc::new(AwsJitter {
        base: f.positive_duration("base", Nanos::from_millis(50))?,
        throttle_base: f.positive_duration("throttle_base", Nanos::SECOND)?,
        cap: f.positive_duration("cap", Nanos::from_secs(20))?,
        retry_after_extra: match f.has("retry_after_extra") {
            true => Some(f.duration("retry_after_extra", Nanos::ZERO)?),
            false => None,
        },
    }))
}

impl AwsJitter {
    /// The delay for a uniform draw `u` in [0, 1) (the specification's test
    /// vectors fix it at 1).
    pub fn delay_for(
        &self,
        u: f64,
        retry: u32,
        throttled: bool,
        retry_after: Option<Nanos>,
    ) -> Nanos {
        let base = if throttled {
            self.throttle_base
        } else {
            self.base
        };
        let ceiling = capped_exponential(base, self.cap, retry.saturating_sub(1));
        let t = Nanos((ceiling.0 as f64 * u) as u64);
        match (retry_after, self.retry_after_extra) {
            (Some(hint), Some(extra)) => t.max(hint.min(t + extra)),
            _ => t,
        }
    }
}

impl Backoff for AwsJitter {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let throttled = ctx.response.status == Status::TooMany;
        self.delay_for(unit(rng), ctx.retry, throttled, ctx.response.retry_after)
    }

    fn range(&self, retry: u32) -> (Nanos, Nanos) {
        let n = retry.saturating_sub(1);
        let high = capped_exponential(self.base, self.cap, n).max(capped_exponential(
            self.throttle_base,
            self.cap,
            n,
        ));
        (
            Nanos::ZERO,
            high + self.retry_after_extra.unwrap_or(Nanos::ZERO),
        )
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("base", toml_duration(self.base)),
            ("throttle_base", toml_duration(self.throttle_base)),
            ("cap", toml_duration(self.cap)),
        ];
        if let Some(extra) = self.retry_after_extra {
            v.push(("retry_after_extra", toml_duration(extra)));
        }
        v
    }
}
