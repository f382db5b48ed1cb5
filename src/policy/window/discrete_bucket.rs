//! Token bucket refilled in steps: `+k` every period, capped at the capacity.
//!
//! Many real limiters do not trickle: a cron-like tick adds a batch of
//! tokens (Guava-style "permits per period", a Redis script run every
//! second). Between ticks nothing comes back, so a client that waits for
//! "a little capacity" waits for the next tick, and many clients wake on the
//! same instant. The step is `k = amount * period / window`, so over whole
//! periods the bucket refills at the limit's rate exactly; `k` may be a
//! fraction of a token, so the level is kept, as in the continuous bucket, in
//! units of `1 / window` of a token (each tick adds exactly
//! `amount * period` units). Ticks fall on `phase + j * period` after
//! virtual zero (with a zero phase, the first tick is at `period`).

use super::Window;
use crate::policy::{scaled, Bucket, LimitSpec, PPM};
use crate::time::Nanos;

/// A bucket of `capacity` units that gains `step` units at every tick.
#[derive(Clone, Debug)]
pub struct DiscreteBucket {
    /// Window length in nanoseconds (the fixed-point scale).
    window: u64,
    period: u64,
    /// Units added per tick: `amount * period`.
    step: i128,
    /// Current level in units; negative after an overshooting commit.
    level: i128,
    capacity: i128,
    /// The next tick not yet added.
    next_tick: Nanos,
    total: u64,
}

impl DiscreteBucket {
    /// The bucket of `spec` shaped by `bucket`, ticking every `period`
    /// (at least 1 ns) from `phase` (taken modulo the period).
    pub fn new(spec: LimitSpec, bucket: Bucket, period: Nanos, phase: Nanos) -> DiscreteBucket {
        let window = spec.window.0.max(1);
        let period = period.0.max(1);
        let tokens = scaled(spec.amount, bucket.capacity_ppm);
        let capacity = i128::from(tokens).saturating_mul(i128::from(window));
        let fill = u128::from(tokens) * u128::from(bucket.initial_fill_ppm) / u128::from(PPM);
        let phase = phase.0 % period;
        DiscreteBucket {
            window,
            period,
            step: i128::from(spec.amount).saturating_mul(i128::from(period)),
            level: (fill as i128).saturating_mul(i128::from(window)),
            capacity,
            next_tick: Nanos(if phase == 0 { period } else { phase }),
            total: 0,
        }
    }

    /// Adds the ticks up to and including `now`.
    fn refill(&mut self, now: Nanos) {
        if now < self.next_tick {
            return;
        }
        let ticks = (now.0 - self.next_tick.0) / self.period + 1;
        let added = self.step.saturating_mul(i128::from(ticks));
        self.level = self.level.saturating_add(added).min(self.capacity);
        self.next_tick = Nanos(
            self.next_tick
                .0
                .saturating_add(ticks.saturating_mul(self.period)),
        );
    }

    fn units(&self, tokens: u64) -> i128 {
        i128::from(tokens).saturating_mul(i128::from(self.window))
    }
}

impl Window for DiscreteBucket {
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

    /// The tick that fills the bucket again (`now` if it is full).
    fn reset_at(&mut self, now: Nanos) -> Nanos {
        self.refill(now);
        let missing = self.capacity - self.level;
        if missing <= 0 || self.step == 0 {
            return now;
        }
        let ticks = (missing + self.step - 1) / self.step;
        let later = u64::try_from(ticks - 1)
            .unwrap_or(u64::MAX)
            .saturating_mul(self.period);
        self.next_tick.saturating_add(Nanos(later))
    }

    fn admitted_total(&self) -> u64 {
        self.total
    }
}

/// Ticks in `(0, horizon]` of a bucket ticking every `period` from `phase`.
pub fn ticks_until(period: Nanos, phase: Nanos, horizon: Nanos) -> u64 {
    let period = period.0.max(1);
    let phase = phase.0 % period;
    let first = if phase == 0 { period } else { phase };
    if horizon.0 < first {
        0
    } else {
        (horizon.0 - first) / period + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Nanos {
        Nanos::from_secs(s)
    }

    fn bucket(capacity: u64, fill: u64) -> Bucket {
        Bucket {
            capacity_ppm: capacity,
            initial_fill_ppm: fill,
            ..Bucket::default()
        }
    }

    #[test]
    fn ten_tokens_every_ten_seconds_from_an_empty_bucket() {
        // 60 per minute, ticking every 10 s from 3 s: +10 at 3 s, 13 s, ...
        let mut w = DiscreteBucket::new(LimitSpec::rpm(60), bucket(PPM, 0), secs(10), secs(3));
        assert_eq!(w.remaining(secs(0)), 0);
        assert_eq!(w.remaining(Nanos(secs(3).0 - 1)), 0);
        assert_eq!(w.remaining(secs(3)), 10);
        assert_eq!(w.remaining(Nanos(secs(13).0 - 1)), 10);
        assert_eq!(w.remaining(secs(13)), 20);
        // 40 tokens are missing at 13 s: full at the fourth tick from now.
        assert_eq!(w.reset_at(secs(13)), secs(53));
        assert_eq!(w.remaining(secs(1_000)), 60);
        w.commit(secs(1_000), 60);
        assert!(!w.fits(secs(1_002), 1));
        assert!(w.fits(secs(1_003), 10));
        assert!(!w.fits(secs(1_003), 11));
    }

    #[test]
    fn a_fractional_step_adds_up_exactly() {
        // 100 per minute every second: 5/3 of a token per tick.
        let mut w = DiscreteBucket::new(LimitSpec::rpm(100), bucket(PPM, 0), secs(1), secs(0));
        assert_eq!(w.remaining(secs(1)), 1);
        assert_eq!(w.remaining(secs(2)), 3);
        assert_eq!(w.remaining(secs(3)), 5);
        assert_eq!(w.remaining(secs(60)), 100);
    }

    #[test]
    fn the_capacity_caps_what_ticks_add() {
        let mut w =
            DiscreteBucket::new(LimitSpec::rpm(60), bucket(PPM / 2, PPM), secs(30), secs(0));
        assert_eq!(w.remaining(secs(0)), 30);
        w.commit(secs(0), 30);
        assert_eq!(w.remaining(secs(30)), 30);
        assert_eq!(w.remaining(secs(90)), 30);
        assert_eq!(w.admitted_total(), 30);
    }

    #[test]
    fn ticks_until_a_horizon() {
        assert_eq!(ticks_until(secs(10), secs(0), secs(60)), 6);
        assert_eq!(ticks_until(secs(10), secs(3), secs(60)), 6);
        assert_eq!(ticks_until(secs(10), secs(3), Nanos(secs(3).0 - 1)), 0);
        assert_eq!(ticks_until(secs(10), secs(13), secs(3)), 1);
    }
}
