//! Backoff schedules: how long to wait before retry n.
//!
//! One file per schedule, and one registry ([`KINDS`]) that maps a scenario's
//! `kind` to the function reading its keys. A schedule is immutable, so the
//! validated value is the schedule itself, shared behind an `Arc`; what varies
//! per request (the previous delay) lives in [`super::Attempts`].
//!
//! Brooker's formulas (AWS, 2015) count the retry number from n = 1 and double
//! from `base * 2^n`; the SDK schedules are written as their sources write them,
//! from an `initial` delay before the first retry.

mod additive_jitter;
pub(crate) mod aws_jitter;
mod constant;
mod decorrelated;
mod equal_jitter;
mod exponential;
mod full_jitter;
mod header_aware;
mod random_exponential;
mod scaled_jitter;
mod unlimited;

use super::config::{toml_duration, Fields, Kind, Result};
use super::RetryCtx;
use crate::rng::Rng;
use crate::time::Nanos;
use std::fmt;
use std::sync::Arc;

/// A schedule of delays between attempts.
pub trait Backoff: fmt::Debug + Send + Sync {
    /// The delay before the retry described by `ctx`.
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos;

    /// The smallest and largest delay retry `retry` (from 1) can get, whatever
    /// the previous delay and the headers.
    fn range(&self, retry: u32) -> (Nanos, Nanos);

    /// What a schedule that depends on the previous delay treats as the
    /// previous delay before the first retry.
    fn initial_prev(&self) -> Nanos {
        Nanos::ZERO
    }

    /// Whether the delay depends on the `x-ratelimit-*` headers (the engine
    /// computes them only for clients that read them).
    fn reads_headers(&self) -> bool {
        false
    }

    /// Its parameters as TOML `key = value` pairs (the kind excluded).
    fn params(&self) -> Vec<(&'static str, String)>;
}

/// The backoff kinds a strategy's `kind` may name, with the keys each reads.
pub const KINDS: &[Kind<Arc<dyn Backoff>>] = &[
    Kind {
        name: "none",
        keys: &[],
        summary: "never retry (max_attempts is 1)",
        parse: constant::parse_none,
    },
    Kind {
        name: "immediate",
        keys: &[],
        summary: "retry at once; a pacer or pause does the waiting",
        parse: constant::parse_immediate,
    },
    Kind {
        name: "constant",
        keys: &["delay"],
        summary: "the same delay before every retry",
        parse: constant::parse,
    },
    Kind {
        name: "exponential",
        keys: &["base", "cap"],
        summary: "min(cap, base*2^n), no jitter",
        parse: exponential::parse,
    },
    Kind {
        name: "full-jitter",
        keys: &["base", "cap"],
        summary: "U * min(cap, base*2^n)",
        parse: full_jitter::parse,
    },
    Kind {
        name: "equal-jitter",
        keys: &["base", "cap"],
        summary: "v/2 + U*v/2 with v = min(cap, base*2^n)",
        parse: equal_jitter::parse,
    },
    Kind {
        name: "decorrelated",
        keys: &["base", "cap"],
        summary: "min(cap, base + U*(3*prev - base))",
        parse: decorrelated::parse,
    },
    Kind {
        name: "header-aware",
        keys: &["base", "cap", "jitter"],
        summary: "Retry-After, else the reset of the exhausted limit, plus jitter, at most cap",
        parse: header_aware::parse,
    },
    Kind {
        name: "multiplicative-jitter",
        keys: &["initial", "multiplier", "cap", "jitter"],
        summary: "min(cap, initial*m^(n-1)) * (1 - jitter*U) (openai-python)",
        parse: scaled_jitter::parse_multiplicative,
    },
    Kind {
        name: "symmetric-jitter",
        keys: &["initial", "multiplier", "cap", "jitter"],
        summary: "min(cap, initial*m^(n-1)) * U(1-jitter, 1+jitter) (gRPC, venice-py)",
        parse: scaled_jitter::parse_symmetric,
    },
    Kind {
        name: "additive-jitter",
        keys: &["initial", "multiplier", "cap"],
        summary: "d + U*d with d = min(cap, initial*m^(n-1)) (backon)",
        parse: additive_jitter::parse,
    },
    Kind {
        name: "random-exponential",
        keys: &["min", "initial", "cap"],
        summary: "U(min, max(min, min(cap, initial*2^(n-1)))) (tenacity)",
        parse: random_exponential::parse,
    },
    Kind {
        name: "aws-jitter",
        keys: &["base", "throttle_base", "cap", "retry_after_extra"],
        summary: "U * min(cap, b*2^(n-1)), b = throttle_base after a 429 else base; Retry-After within [t, t + extra] (AWS 2026)",
        parse: aws_jitter::parse,
    },
    Kind {
        name: "unlimited-backoff",
        keys: &["min", "cap", "resolution"],
        summary: "U(min, min(2^n - 1 s, cap)), rounded to resolution (Farkiani et al.'s UB)",
        parse: unlimited::parse,
    },
];

/// A validated schedule and the kind that named it.
#[derive(Clone, Debug)]
pub struct BackoffSpec {
    kind: &'static str,
    schedule: Arc<dyn Backoff>,
}

impl BackoffSpec {
    pub fn new(kind: &'static str, schedule: Arc<dyn Backoff>) -> BackoffSpec {
        BackoffSpec { kind, schedule }
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    #[inline]
    pub fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        self.schedule.delay(ctx, rng)
    }

    pub fn range(&self, retry: u32) -> (Nanos, Nanos) {
        self.schedule.range(retry)
    }

    /// See [`Backoff::reads_headers`].
    pub fn reads_headers(&self) -> bool {
        self.schedule.reads_headers()
    }

    /// The delay a decorrelated schedule treats as the "previous" one before the first retry.
    pub fn initial_prev(&self) -> Nanos {
        self.schedule.initial_prev()
    }

    /// `kind = "...", key = value, ...` as a strategy table writes it.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("kind = \"{}\"", self.kind)];
        parts.extend(
            self.schedule
                .params()
                .into_iter()
                .map(|(k, v)| format!("{k} = {v}")),
        );
        parts.join(", ")
    }
}

/// `base` (default 1 s) and `cap` (default 60 s) of Brooker's schedules, cap >= base.
pub(crate) fn base_cap(f: &Fields<'_>) -> Result<(Nanos, Nanos)> {
    let base = f.positive_duration("base", Nanos::SECOND)?;
    let cap = f.positive_duration("cap", Nanos::from_secs(60))?;
    at_least(f, "cap", cap, "the base delay", base)?;
    Ok((base, cap))
}

/// `initial` (default 1 s), `multiplier` (default 2, at least 1) and `cap`
/// (default 60 s, at least `initial`) of the SDK schedules.
pub(crate) fn initial_multiplier_cap(f: &Fields<'_>) -> Result<(Nanos, f64, Nanos)> {
    let initial = f.positive_duration("initial", Nanos::SECOND)?;
    let multiplier = f.number("multiplier", 2.0, (1.0, false), 1e3)?;
    let cap = f.positive_duration("cap", Nanos::from_secs(60))?;
    at_least(f, "cap", cap, "the initial delay", initial)?;
    Ok((initial, multiplier, cap))
}

fn at_least(f: &Fields<'_>, key: &str, cap: Nanos, what: &str, floor: Nanos) -> Result<()> {
    if cap < floor {
        return Err(f.err(
            key,
            format!("the cap ({cap}) is below {what} ({floor}); the cap must be at least {what}"),
        ));
    }
    Ok(())
}

/// `("base", "1s"), ("cap", "60s")`.
pub(crate) fn base_cap_params(base: Nanos, cap: Nanos) -> Vec<(&'static str, String)> {
    vec![("base", toml_duration(base)), ("cap", toml_duration(cap))]
}

/// `min(cap, base * 2^exp)` without overflow.
pub(crate) fn capped_exponential(base: Nanos, cap: Nanos, exp: u32) -> Nanos {
    let factor = 1u64.checked_shl(exp.min(63)).unwrap_or(u64::MAX);
    Nanos(base.0.saturating_mul(factor).min(cap.0))
}

/// `min(cap, initial * multiplier^exp)` for a real multiplier, without overflow.
pub(crate) fn capped_growth(initial: Nanos, multiplier: f64, exp: u32, cap: Nanos) -> Nanos {
    let grown = initial.0 as f64 * multiplier.powi(exp.min(10_000) as i32);
    if grown >= cap.0 as f64 {
        cap
    } else {
        Nanos(grown as u64)
    }
}

/// `U * d` for U uniform on [0, 1).
pub(crate) fn scaled(d: Nanos, rng: &mut Rng) -> Nanos {
    Nanos((d.0 as f64 * crate::rng::unit(rng)) as u64)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::policy::HeaderUnits;
    use crate::response::{Cause, Headers, Response, Status};
    use crate::strategy::config::parse;
    use crate::time::Clock;

    pub(crate) fn response() -> Response {
        Response {
            status: Status::TooMany,
            cause: Some(Cause::Requests),
            headers: Headers::default(),
            retry_after: None,
        }
    }

    pub(crate) fn ctx(retry: u32, prev: Nanos, response: &Response) -> RetryCtx<'_> {
        RetryCtx {
            retry,
            prev_delay: prev,
            response,
            now: Nanos::ZERO,
            clock: Clock { start_unix_ms: 0 },
            header_units: HeaderUnits::Seconds,
            tokens: 1000,
        }
    }

    /// The schedule of a strategy written as TOML.
    pub(crate) fn schedule(text: &str) -> BackoffSpec {
        let t: toml::Table = toml::from_str(&format!("s = {text}")).unwrap();
        parse(&t["s"]).unwrap().backoff
    }

    /// Delays of retries 1..=n, in milliseconds, with a fixed stream.
    pub(crate) fn delays_ms(spec: &BackoffSpec, n: u32) -> Vec<u64> {
        let r = response();
        let mut rng = crate::rng::stream(1, "t", crate::rng::Purpose::Strategy);
        let mut prev = spec.initial_prev();
        (1..=n)
            .map(|i| {
                let d = spec.delay(&ctx(i, prev, &r), &mut rng);
                prev = d;
                d.0 / 1_000_000
            })
            .collect()
    }

    #[test]
    fn exponential_doubles_then_caps() {
        let spec = schedule(r#"{ kind = "exponential", base = "1s", cap = "10s" }"#);
        assert_eq!(delays_ms(&spec, 5), vec![2000, 4000, 8000, 10_000, 10_000]);
        assert_eq!(
            capped_exponential(Nanos::SECOND, Nanos::MAX, 200),
            Nanos::MAX
        );
    }

    #[test]
    fn every_kind_reads_with_its_defaults_and_describes_itself() {
        for k in KINDS {
            let spec = schedule(&format!("{{ kind = \"{}\" }}", k.name));
            assert_eq!(spec.kind(), k.name);
            // What describe prints reads back to the same schedule.
            let again = schedule(&format!("{{ {} }}", spec.describe()));
            assert_eq!(again.describe(), spec.describe());
            for (key, _) in spec.schedule.params() {
                assert!(k.keys.contains(&key), "{} prints unknown key {key}", k.name);
            }
        }
    }
}
