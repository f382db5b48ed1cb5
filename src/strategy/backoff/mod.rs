//! Backoff schedules: how long to wait before retry n.
//!
//! One file per schedule; [`BackoffSpec::build`] is the one place that maps a
//! scenario's choice to an implementation. Formulas follow Brooker's 2015 AWS
//! article (n is the retry number, the first retry has n = 1).

mod constant;
mod decorrelated;
mod equal_jitter;
mod exponential;
mod full_jitter;
mod header_aware;

pub use constant::Constant;
pub use decorrelated::Decorrelated;
pub use equal_jitter::EqualJitter;
pub use exponential::Exponential;
pub use full_jitter::FullJitter;
pub use header_aware::HeaderAware;

use super::RetryCtx;
use crate::rng::Rng;
use crate::time::Nanos;

/// A schedule of delays between attempts.
pub trait Backoff: Send {
    /// The delay before the retry described by `ctx`.
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos;
}

/// A backoff schedule as a scenario names it, validated (cap >= base > 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BackoffSpec {
    /// Never wait: used with `max_attempts = 1` for "give up at once".
    None,
    Constant {
        delay: Nanos,
    },
    /// `min(cap, base * 2^n)`.
    Exponential {
        base: Nanos,
        cap: Nanos,
    },
    /// `U * min(cap, base * 2^n)`.
    FullJitter {
        base: Nanos,
        cap: Nanos,
    },
    /// `v/2 + U * v/2` with `v = min(cap, base * 2^n)`.
    EqualJitter {
        base: Nanos,
        cap: Nanos,
    },
    /// `min(cap, base + U * (3 * prev - base))`, prev starting at base.
    Decorrelated {
        base: Nanos,
        cap: Nanos,
    },
    /// Retry-After, else the reset header, plus `U * jitter`, at most `cap`;
    /// without either hint, `min(cap, base * 2^(n-1))`.
    HeaderAware {
        base: Nanos,
        cap: Nanos,
        jitter: Nanos,
    },
}

impl BackoffSpec {
    pub fn build(&self) -> Box<dyn Backoff> {
        match *self {
            BackoffSpec::None => Box::new(Constant { delay: Nanos::ZERO }),
            BackoffSpec::Constant { delay } => Box::new(Constant { delay }),
            BackoffSpec::Exponential { base, cap } => Box::new(Exponential { base, cap }),
            BackoffSpec::FullJitter { base, cap } => Box::new(FullJitter { base, cap }),
            BackoffSpec::EqualJitter { base, cap } => Box::new(EqualJitter { base, cap }),
            BackoffSpec::Decorrelated { base, cap } => Box::new(Decorrelated { base, cap }),
            BackoffSpec::HeaderAware { base, cap, jitter } => {
                Box::new(HeaderAware { base, cap, jitter })
            }
        }
    }

    /// The smallest and largest delay the schedule can produce for any retry.
    pub fn bounds(&self) -> (Nanos, Nanos) {
        match *self {
            BackoffSpec::None => (Nanos::ZERO, Nanos::ZERO),
            BackoffSpec::Constant { delay } => (delay, delay),
            BackoffSpec::Exponential { base, cap } => (base.min(cap), cap),
            BackoffSpec::FullJitter { cap, .. } => (Nanos::ZERO, cap),
            BackoffSpec::EqualJitter { base, cap } => (Nanos(base.min(cap).0 / 2), cap),
            BackoffSpec::Decorrelated { base, cap } => (base.min(cap), cap),
            BackoffSpec::HeaderAware { cap, .. } => (Nanos::ZERO, cap),
        }
    }

    /// The delay a decorrelated schedule treats as the "previous" one before the first retry.
    pub fn initial_prev(&self) -> Nanos {
        match *self {
            BackoffSpec::Decorrelated { base, .. } => base,
            _ => Nanos::ZERO,
        }
    }
}

/// `min(cap, base * 2^exp)` without overflow.
pub(crate) fn capped_exponential(base: Nanos, cap: Nanos, exp: u32) -> Nanos {
    let factor = 1u64.checked_shl(exp.min(63)).unwrap_or(u64::MAX);
    Nanos(base.0.saturating_mul(factor).min(cap.0))
}

/// `U * d` for U uniform on [0, 1).
pub(crate) fn scaled(d: Nanos, rng: &mut Rng) -> Nanos {
    Nanos((d.0 as f64 * crate::rng::unit(rng)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HeaderUnits;
    use crate::response::{Cause, Headers, Response, Status};
    use crate::time::Clock;
    use proptest::prelude::*;

    fn response() -> Response {
        Response {
            status: Status::TooMany,
            cause: Some(Cause::Requests),
            headers: Headers::default(),
            retry_after: None,
        }
    }

    fn ctx(retry: u32, prev: Nanos, response: &Response) -> RetryCtx<'_> {
        RetryCtx {
            retry,
            prev_delay: prev,
            response,
            now: Nanos::ZERO,
            clock: Clock { start_unix_ms: 0 },
            header_units: HeaderUnits::Seconds,
        }
    }

    #[test]
    fn exponential_doubles_then_caps() {
        let spec = BackoffSpec::Exponential {
            base: Nanos::SECOND,
            cap: Nanos::from_secs(10),
        };
        let b = spec.build();
        let r = response();
        let mut rng = crate::rng::stream(1, "t", crate::rng::Purpose::Strategy);
        let got: Vec<u64> = (1..=5)
            .map(|n| b.delay(&ctx(n, Nanos::ZERO, &r), &mut rng).0 / 1_000_000_000)
            .collect();
        assert_eq!(got, vec![2, 4, 8, 10, 10]);
        assert_eq!(
            capped_exponential(Nanos::SECOND, Nanos::MAX, 200),
            Nanos::MAX
        );
    }

    fn spec_strategy() -> impl Strategy<Value = BackoffSpec> {
        (1u64..5_000, 1u64..100, 0usize..6).prop_map(|(base_ms, mult, which)| {
            let base = Nanos::from_millis(base_ms);
            let cap = Nanos::from_millis(base_ms * mult);
            match which {
                0 => BackoffSpec::Constant { delay: base },
                1 => BackoffSpec::Exponential { base, cap },
                2 => BackoffSpec::FullJitter { base, cap },
                3 => BackoffSpec::EqualJitter { base, cap },
                4 => BackoffSpec::Decorrelated { base, cap },
                _ => BackoffSpec::HeaderAware {
                    base,
                    cap,
                    jitter: base,
                },
            }
        })
    }

    proptest! {
        /// Every delay a schedule produces stays within its documented bounds,
        /// whatever the retry number and the previous delay.
        #[test]
        fn delays_stay_within_bounds(spec in spec_strategy(), seed in any::<u64>(), retries in 1u32..40, reset_s in 0u64..600) {
            let b = spec.build();
            let (lo, hi) = spec.bounds();
            let mut rng = crate::rng::stream(seed, "prop", crate::rng::Purpose::Strategy);
            let mut r = response();
            r.headers.reset_requests = Some(reset_s);
            let mut prev = spec.initial_prev();
            for n in 1..=retries {
                let d = b.delay(&ctx(n, prev, &r), &mut rng);
                prop_assert!(d >= lo && d <= hi, "{spec:?} retry {n}: {d:?} outside [{lo:?}, {hi:?}]");
                prev = d;
            }
        }
    }
}
