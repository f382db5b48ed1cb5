//! Token bucket refilled continuously at `amount` per window.
//!
//! How providers that advertise "continuous replenishment" (Anthropic) behave:
//! a full bucket allows a burst of its capacity, after which capacity trickles
//! back. The level is kept in exact integer fixed point — units of
//! `1 / window` of a token, so one nanosecond refills exactly `amount` units —
//! and never drifts the way a float rate would. By default the capacity is
//! the limit and the bucket starts full; [`Bucket`] sets both apart.

use super::Window;
use crate::policy::{scaled, Bucket, LimitSpec, PPM};
use crate::time::Nanos;

/// A bucket whose level is counted in `1 / window_ns` token units.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    /// Tokens per window (the refill rate).
    amount: u64,
    /// Window length in nanoseconds (the fixed-point scale).
    window: u64,
    /// Current level in units; negative after an overshooting commit.
    level: i128,
    /// Capacity in units: `amount * capacity multiple * window`.
    capacity: i128,
    /// Instant the level was last brought up to date.
    updated: Nanos,
    total: u64,
}

impl TokenBucket {
    /// The bucket of `spec` shaped by `bucket` (whose refill is ignored:
    /// this one is continuous). Capacity and initial fill are whole tokens.
    pub fn new(spec: LimitSpec, bucket: Bucket) -> TokenBucket {
        let window = spec.window.0.max(1);
        let tokens = scaled(spec.amount, bucket.capacity_ppm);
        let capacity = i128::from(tokens).saturating_mul(i128::from(window));
        let fill = u128::from(tokens) * u128::from(bucket.initial_fill_ppm) / u128::from(PPM);
        TokenBucket {
            amount: spec.amount,
            window,
            level: (fill as i128).saturating_mul(i128::from(window)),
            capacity,
            updated: Nanos::ZERO,
            total: 0,
        }
    }

    fn refill(&mut self, now: Nanos) {
        let elapsed = now.0.saturating_sub(self.updated.0);
        let added = i128::from(self.amount).saturating_mul(i128::from(elapsed));
        self.level = self.level.saturating_add(added).min(self.capacity);
        self.updated = self.updated.max(now);
    }

    fn units(&self, tokens: u64) -> i128 {
        i128::from(tokens).saturating_mul(i128::from(self.window))
    }
}

impl Window for TokenBucket {
    fn fits(&mut self, now: Nanos, amount: u64) -> bool {
        self.refill(now);
        self.level >= self.units(amount)
    }

    fn commit(&mut self, now: Nanos, amount: u64) {
        self.refill(now);
        self.level = self.level.saturating_sub(self.units(amount));
        self.total = self.total.saturating_add(amount);
    }

    /// Whole tokens in the bucket.
    fn remaining(&mut self, now: Nanos) -> u64 {
        self.refill(now);
        u64::try_from(self.level.max(0) / i128::from(self.window)).unwrap_or(u64::MAX)
    }

    /// When the bucket is full again (`now` if it is): the instant from which
    /// a burst of the whole capacity would pass.
    fn reset_at(&mut self, now: Nanos) -> Nanos {
        self.refill(now);
        let missing = self.capacity - self.level;
        if missing <= 0 || self.amount == 0 {
            return now;
        }
        let wait = (missing + i128::from(self.amount) - 1) / i128::from(self.amount);
        now.saturating_add(Nanos(u64::try_from(wait).unwrap_or(u64::MAX)))
    }

    fn admitted_total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Nanos {
        Nanos::from_secs(s)
    }

    #[test]
    fn starts_full_and_refills_continuously() {
        let mut w = TokenBucket::new(LimitSpec::rpm(60), Bucket::default());
        assert_eq!(w.remaining(secs(0)), 60);
        assert_eq!(w.reset_at(secs(0)), secs(0));
        w.commit(secs(0), 60);
        assert!(!w.fits(secs(0), 1));
        assert!(!w.fits(Nanos(999_999_999), 1));
        assert!(w.fits(secs(1), 1));
        assert_eq!(w.remaining(secs(30)), 30);
        assert_eq!(w.reset_at(secs(30)), secs(60));
        assert_eq!(w.remaining(secs(600)), 60);
        assert_eq!(w.admitted_total(), 60);
    }

    #[test]
    fn reset_rounds_up_to_the_nanosecond() {
        // 7 per minute: one token takes 60/7 s = 8_571_428_571.4 ns.
        let mut w = TokenBucket::new(LimitSpec::rpm(7), Bucket::default());
        w.commit(Nanos::ZERO, 1);
        assert_eq!(w.reset_at(Nanos::ZERO), Nanos(8_571_428_572));
        assert!(!w.fits(Nanos(8_571_428_571), 7));
        assert!(w.fits(Nanos(8_571_428_572), 7));
    }

    #[test]
    fn an_overshoot_is_a_debt() {
        let mut w = TokenBucket::new(LimitSpec::tpm(100), Bucket::default());
        w.commit(secs(0), 150);
        assert_eq!(w.remaining(secs(0)), 0);
        assert!(!w.fits(secs(29), 0));
        assert!(w.fits(secs(30), 0));
        assert_eq!(w.reset_at(secs(30)), secs(90));
    }

    #[test]
    fn capacity_and_first_fill_are_set_apart_from_the_refill() {
        // 60 per minute into a bucket of 120 that starts a quarter full.
        let shape = Bucket {
            capacity_ppm: 2 * PPM,
            initial_fill_ppm: PPM / 4,
            ..Bucket::default()
        };
        let mut w = TokenBucket::new(LimitSpec::rpm(60), shape);
        assert_eq!(w.remaining(secs(0)), 30);
        assert!(!w.fits(secs(0), 31));
        assert_eq!(w.reset_at(secs(0)), secs(90));
        assert_eq!(w.remaining(secs(60)), 90);
        assert_eq!(w.remaining(secs(600)), 120);
        w.commit(secs(600), 120);
        assert_eq!(w.remaining(secs(630)), 30);
    }
}
