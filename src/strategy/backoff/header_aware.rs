//! Header-aware waiting: do what the server said.
//!
//! `Retry-After` wins when present; otherwise a 429 waits for the reset of the
//! limit it hit (`x-ratelimit-reset-tokens` for a token limit,
//! `x-ratelimit-reset-requests` otherwise). A small uniform jitter keeps
//! clients that read the same reset from arriving in the same instant, and the
//! cap protects against a far-off reset. Answers with no hint (a 5xx) fall back
//! to `min(cap, base * 2^(n-1))`.

use super::{capped_exponential, scaled, Backoff, RetryCtx};
use crate::policy::HeaderUnits;
use crate::response::Cause;
use crate::rng::Rng;
use crate::time::Nanos;

pub struct HeaderAware {
    pub base: Nanos,
    pub cap: Nanos,
    pub jitter: Nanos,
}

/// The wait the headers of `ctx.response` ask for, if they ask for one.
pub fn hinted_wait(ctx: &RetryCtx<'_>) -> Option<Nanos> {
    let r = ctx.response;
    if let Some(after) = r.retry_after {
        return Some(after);
    }
    let h = &r.headers;
    if r.cause == Some(Cause::Tokens) {
        if let Some(secs) = h.reset_tokens {
            return Some(Nanos::from_secs(secs));
        }
    }
    let reset = h.reset_requests?;
    let reset_ms = match ctx.header_units {
        HeaderUnits::Seconds => reset.saturating_mul(1000),
        HeaderUnits::Milliseconds => reset,
    };
    Some(ctx.clock.from_unix_ms(reset_ms).saturating_sub(ctx.now))
}

impl Backoff for HeaderAware {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let wait = hinted_wait(ctx)
            .unwrap_or_else(|| capped_exponential(self.base, self.cap, ctx.retry - 1));
        (wait + scaled(self.jitter, rng)).min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{Headers, Response, Status};
    use crate::time::Clock;

    #[test]
    fn prefers_retry_after_then_reset_headers() {
        let mut response = Response {
            status: Status::TooMany,
            cause: Some(Cause::Requests),
            headers: Headers {
                reset_requests: Some(1_776_686_460),
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
            }
        }
        // 12:00:10 waiting for the 12:01:00 reset: 50 s.
        let r1 = response;
        assert_eq!(b.delay(&ctx(&r1), &mut rng), Nanos::from_secs(50));
        response.cause = Some(Cause::Tokens);
        assert_eq!(b.delay(&ctx(&response), &mut rng), Nanos::from_secs(7));
        response.retry_after = Some(Nanos::from_secs(30));
        assert_eq!(b.delay(&ctx(&response), &mut rng), Nanos::from_secs(30));
        response.retry_after = Some(Nanos::from_secs(600));
        assert_eq!(
            b.delay(&ctx(&response), &mut rng),
            Nanos::from_secs(120),
            "capped"
        );
    }
}
