//! Header-aware waiting: do what the server said.
//!
//! `Retry-After` wins when present; otherwise a 429 waits for the reset of the
//! limit the headers show exhausted (see [`crate::strategy::hints::reset_wait`]).
//! A small uniform jitter keeps clients that read the same reset from arriving
//! in the same instant, and the cap protects against a far-off reset. Answers
//! with no hint (a 5xx) fall back to `min(cap, base * 2^(n-1))`.
//!
//! This is the all-in-one schedule kept from ratesim's first strategy set; the
//! general form is any schedule plus a `hints` table.

use super::{base_cap, capped_exponential, scaled, Backoff, RetryCtx};
use crate::rng::Rng;
use crate::strategy::config::{toml_duration, Fields, Result};
use crate::strategy::hints::{reset_wait, retry_after};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct HeaderAware {
    pub base: Nanos,
    pub cap: Nanos,
    pub jitter: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    let (base, cap) = base_cap(f)?;
    Ok(Arc::new(HeaderAware {
        base,
        cap,
        jitter: f.duration("jitter", Nanos::from_millis(250))?,
    }))
}

impl Backoff for HeaderAware {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let wait = retry_after(ctx)
            .or_else(|| reset_wait(ctx))
            .unwrap_or_else(|| capped_exponential(self.base, self.cap, ctx.retry - 1));
        (wait + scaled(self.jitter, rng)).min(self.cap)
    }

    fn range(&self, _retry: u32) -> (Nanos, Nanos) {
        (Nanos::ZERO, self.cap)
    }

    fn reads_headers(&self) -> bool {
        true
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("base", toml_duration(self.base)),
            ("cap", toml_duration(self.cap)),
            ("jitter", toml_duration(self.jitter)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HeaderUnits;
    use crate::response::{Cause, Headers, Response, Status};
    use crate::time::Clock;

    #[test]
    fn prefers_retry_after_then_the_exhausted_limit_then_backs_off() {
        let mut response = Response {
            status: Status::TooMany,
            cause: Some(Cause::Requests),
            headers: Headers {
                remaining_requests: Some(0),
                reset_requests: Some(1_776_686_460),
                remaining_tokens: Some(50_000),
                reset_tokens: Some(7),
                ..Headers::default()
            },
            retry_after: None,
        };
        let b = HeaderAware {
            base: Nanos::SECOND,
            cap: Nanos::from_secs(120),
            jitter: Nanos::ZERO,
        };
        let mut rng = crate::rng::stream(1, "t", crate::rng::Purpose::Strategy);
        fn ctx(r: &Response) -> RetryCtx<'_> {
            RetryCtx {
                retry: 1,
                prev_delay: Nanos::ZERO,
                response: r,
                now: Nanos::from_secs(10),
                clock: Clock {
                    start_unix_ms: 1_776_686_400_000,
                },
                header_units: HeaderUnits::Seconds,
                tokens: 1000,
            }
        }
        // Requests exhausted at 12:00:10, reset at 12:01:00: 50 s.
        assert_eq!(b.delay(&ctx(&response), &mut rng), Nanos::from_secs(50));
        // Requests left but not enough tokens for this request: the token reset.
        response.headers.remaining_requests = Some(3);
        response.headers.remaining_tokens = Some(200);
        assert_eq!(b.delay(&ctx(&response), &mut rng), Nanos::from_secs(7));
        response.retry_after = Some(Nanos::from_secs(30));
        assert_eq!(b.delay(&ctx(&response), &mut rng), Nanos::from_secs(30));
        response.retry_after = Some(Nanos::from_secs(600));
        assert_eq!(
            b.delay(&ctx(&response), &mut rng),
            Nanos::from_secs(120),
            "capped"
        );
        // A 503 carries headers too, but no hint: back off from base.
        response.retry_after = None;
        response.status = Status::Unavailable;
        response.cause = None;
        assert_eq!(b.delay(&ctx(&response), &mut rng), Nanos::SECOND);
    }
}
