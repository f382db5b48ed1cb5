//! Exponential growth times a random factor: `min(cap, initial * m^(n-1)) * F`.
//!
//! Two SDK families jitter this way and differ only in the factor's range, so
//! they share this file:
//! - `multiplicative-jitter`: F = 1 - jitter*U, in (1 - jitter, 1]. The
//!   Stainless-generated SDKs (openai-python, anthropic-python) use jitter =
//!   0.25 with initial 0.5 s, multiplier 2 and cap 8 s; jitter only shortens.
//! - `symmetric-jitter`: F uniform on [1 - jitter, 1 + jitter). gRPC's retry
//!   backoff since 2024 (jitter 0.2) and venice-py (jitter 0.1, 2^(n-1) s
//!   capped at 60 s). The factor applies after the cap, so a delay can exceed
//!   `cap` by up to `jitter`, as in both sources.

use super::{capped_growth, initial_multiplier_cap, Backoff, RetryCtx};
use crate::rng::{unit, Rng};
use crate::strategy::config::{toml_duration, toml_number, Fields, Result};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Debug)]
pub struct ScaledJitter {
    pub initial: Nanos,
    pub multiplier: f64,
    pub cap: Nanos,
    pub jitter: f64,
    /// Whether the factor spreads both ways (`symmetric-jitter`).
    pub symmetric: bool,
}

pub(super) fn parse_multiplicative(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    parse(f, 0.25, false)
}

pub(super) fn parse_symmetric(f: &Fields<'_>) -> Result<Arc<dyn Backoff>> {
    parse(f, 0.2, true)
}

fn parse(f: &Fields<'_>, jitter: f64, symmetric: bool) -> Result<Arc<dyn Backoff>> {
    let (initial, multiplier, cap) = initial_multiplier_cap(f)?;
    let jitter = f.number("jitter", jitter, (0.0, false), 0.99)?;
    Ok(Arc::new(ScaledJitter {
        initial,
        multiplier,
        cap,
        jitter,
        symmetric,
    }))
}

impl ScaledJitter {
    /// The factor's range `[lo, hi]`.
    fn factors(&self) -> (f64, f64) {
        if self.symmetric {
            (1.0 - self.jitter, 1.0 + self.jitter)
        } else {
            (1.0 - self.jitter, 1.0)
        }
    }

    fn times(d: Nanos, factor: f64) -> Nanos {
        Nanos((d.0 as f64 * factor) as u64)
    }
}

impl Backoff for ScaledJitter {
    fn delay(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Nanos {
        let d = capped_growth(
            self.initial,
            self.multiplier,
            ctx.retry.saturating_sub(1),
            self.cap,
        );
        let (lo, hi) = self.factors();
        Self::times(d, hi - (hi - lo) * unit(rng))
    }

    fn range(&self, retry: u32) -> (Nanos, Nanos) {
        let d = capped_growth(
            self.initial,
            self.multiplier,
            retry.saturating_sub(1),
            self.cap,
        );
        let (lo, hi) = self.factors();
        (Self::times(d, lo), Self::times(d, hi))
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("initial", toml_duration(self.initial)),
            ("multiplier", toml_number(self.multiplier)),
            ("cap", toml_duration(self.cap)),
            ("jitter", toml_number(self.jitter)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{delays_ms, schedule};

    #[test]
    fn openai_python_shortens_by_at_most_a_quarter() {
        let s = schedule(r#"{ kind = "multiplicative-jitter", initial = "500ms", cap = "8s" }"#);
        let d = delays_ms(&s, 6);
        let nominal = [500, 1000, 2000, 4000, 8000, 8000];
        for (got, n) in d.iter().zip(nominal) {
            assert!(*got > n * 3 / 4 && *got <= n, "{d:?}");
        }
    }

    #[test]
    fn grpc_spreads_both_ways_past_the_cap() {
        let s = schedule(
            r#"{ kind = "symmetric-jitter", initial = "100ms", multiplier = 1.6, cap = "1s", jitter = 0.2 }"#,
        );
        assert_eq!(
            s.range(1),
            (
                crate::time::Nanos::from_millis(80),
                crate::time::Nanos::from_millis(120)
            )
        );
        assert_eq!(s.range(9).1, crate::time::Nanos::from_millis(1200));
    }
}
