//! Token bucket: capacity `amount`, refilled continuously at `amount` per window.
//!
//! How providers that advertise "continuous replenishment" (Anthropic) behave:
//! a full bucket allows a burst of the whole limit, after which capacity trickles
//! back. The level is kept in exact integer fixed point — units of
//! `1 / window` of a token, so one nanosecond refills exactly `amount` units —
//! and never drifts the way a float rate would. The bucket starts full.

use super::Window;
use crate::policy::LimitSpec;
use crate::time::Nanos;

/// A bucket whose level is counted in `1 / window_ns` token units.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    /// Tokens per window (also the capacity in tokens).
    amount: u64,
    /// Window length in nanoseconds (the fixed-point scale).
    window: u64,
    /// Current level in units; negative after an overshooting commit.
    level: i128,
    /// Capacity in units: `amount * window`.
    capacity: i128,
    /// Instant the level was last brought up to date.
    updated: Nanos,
    total: u64,
}

impl TokenBucket {
    pub fn new(spec: LimitSpec) -> TokenBucket {
        let window = spec.window.0.max(1);
        let capacity = i128::from(spec.amount).saturating_mul(i128::from(window));
        TokenBucket {
            amount: spec.amount,
            window,
            level: capacity,
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
    /// a burst of the whole limit would pass.
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
        let mut w = TokenBucket::new(LimitSpec::rpm(60));
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
        let mut w = TokenBucket::new(LimitSpec::rpm(7));
        w.commit(Nanos::ZERO, 1);
        assert_eq!(w.reset_at(Nanos::ZERO), Nanos(8_571_428_572));
        assert!(!w.fits(Nanos(8_571_428_571), 7));
        assert!(w.fits(Nanos(8_571_428_572), 7));
    }

    #[test]
    fn an_overshoot_is_a_debt() {
        let mut w = TokenBucket::new(LimitSpec::tpm(100));
        w.commit(secs(0), 150);
        assert_eq!(w.remaining(secs(0)), 0);
        assert!(!w.fits(secs(29), 0));
        assert!(w.fits(secs(30), 0));
        assert_eq!(w.reset_at(secs(30)), secs(90));
    }
}
