//! GCRA, the generic cell rate algorithm, as the governor crate implements it.
//!
//! One number per limit, the theoretical arrival time (TAT): the instant at
//! which the limit would be back to a full burst. With an emission interval
//! `T = window / amount` and a burst tolerance `tau = (burst - 1) * T`, `n`
//! units fit at `now` when `TAT + (n - 1) * T - tau <= now`, and admitting
//! them moves `TAT` to `max(TAT, now) + n * T` (governor's `test_and_update`;
//! `n = 1` is its single-cell check), refusing outright more than the burst
//! at once (its `InsufficientCapacity`). Refusals change nothing.
//!
//! governor rounds `T` to whole nanoseconds, so its long-run rate drifts from
//! the quota when `window / amount` is not a whole number (7 per minute is
//! 8_571_428_571.43 ns). ratesim keeps the same integer arithmetic on a finer
//! clock: every instant is multiplied by `amount`, which makes `T` exactly
//! `window` ticks, so the long-run rate is the limit exactly.
//!
//! Headers: `remaining` is how many units would pass now in one burst, and
//! the reset is the TAT (when a full burst passes again; `now` when it
//! already would), the same reading as the token bucket's. GCRA with burst
//! `b` admits exactly what a continuous token bucket of capacity `b` admits
//! (tests/policy_props.rs checks it); it is a different bookkeeping of the
//! same rule, which is why providers and proxies use it (one timestamp per
//! key instead of a level and an instant).

use super::Window;
use crate::policy::{scaled, Gcra as Shape, LimitSpec};
use crate::time::Nanos;

/// The TAT of one limit, on a clock of `amount` ticks per nanosecond.
#[derive(Clone, Debug)]
pub struct Gcra {
    /// Ticks per nanosecond: the limit's amount (at least 1).
    scale: u128,
    /// The emission interval in ticks: the window in nanoseconds.
    interval: u128,
    /// The burst in units (at least 1).
    burst: u128,
    /// Theoretical arrival time in ticks.
    tat: u128,
    total: u64,
}

impl Gcra {
    pub fn new(spec: LimitSpec, shape: Shape) -> Gcra {
        Gcra {
            scale: u128::from(spec.amount.max(1)),
            interval: u128::from(spec.window.0.max(1)),
            burst: u128::from(scaled(spec.amount, shape.burst_ppm).max(1)),
            tat: 0,
            total: 0,
        }
    }

    fn ticks(&self, now: Nanos) -> u128 {
        u128::from(now.0) * self.scale
    }
}

impl Window for Gcra {
    /// `max(TAT, now) + n * T <= now + burst * T`: governor's
    /// `TAT + (n - 1) * T - tau <= now` together with its `n <= burst`
    /// check (a TAT in the past leaves a full burst, never more).
    fn fits(&mut self, now: Nanos, amount: u64) -> bool {
        let now = self.ticks(now);
        self.tat.max(now) + u128::from(amount) * self.interval <= now + self.burst * self.interval
    }

    fn commit(&mut self, now: Nanos, amount: u64) {
        self.tat = self.tat.max(self.ticks(now)) + u128::from(amount) * self.interval;
        self.total = self.total.saturating_add(amount);
    }

    /// Units that would pass now in one burst.
    fn remaining(&mut self, now: Nanos) -> u64 {
        let room = (self.ticks(now) + self.burst * self.interval).saturating_sub(self.tat);
        u64::try_from((room / self.interval).min(self.burst)).unwrap_or(u64::MAX)
    }

    /// The TAT rounded up to the nanosecond (`now` when a full burst passes).
    fn reset_at(&mut self, now: Nanos) -> Nanos {
        if self.tat <= self.ticks(now) {
            return now;
        }
        Nanos(u64::try_from(self.tat.div_ceil(self.scale)).unwrap_or(u64::MAX))
    }

    fn admitted_total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PPM;

    fn secs(s: u64) -> Nanos {
        Nanos::from_secs(s)
    }

    fn gcra(spec: LimitSpec, burst_ppm: u64) -> Gcra {
        Gcra::new(spec, Shape { burst_ppm })
    }

    /// By hand: 6 per minute (T = 10 s), burst 3 (tau = 20 s).
    /// t=0: TAT 0 -> 10; t=0: 10-20 <= 0 -> 20; t=0: 20-20 <= 0 -> 30;
    /// t=0: 30-20 > 0, refused; t=10: 30-20 <= 10 -> 40; t=15: 40-20 > 15,
    /// refused; t=20: 40-20 <= 20 -> 50; t=100: TAT 50 < 100 -> 110.
    #[test]
    fn matches_a_sequence_computed_by_hand() {
        let mut w = gcra(LimitSpec::rpm(6), PPM / 2);
        let mut seen = Vec::new();
        for t in [0, 0, 0, 0, 10, 15, 20, 100] {
            let ok = w.fits(secs(t), 1);
            if ok {
                w.commit(secs(t), 1);
            }
            seen.push((t, ok, w.reset_at(secs(t))));
        }
        let expected = [
            (0, true, secs(10)),
            (0, true, secs(20)),
            (0, true, secs(30)),
            (0, false, secs(30)),
            (10, true, secs(40)),
            (15, false, secs(40)),
            (20, true, secs(50)),
            (100, true, secs(110)),
        ];
        assert_eq!(seen, expected);
        assert_eq!(w.admitted_total(), 6);
    }

    #[test]
    fn remaining_counts_the_burst_left() {
        let mut w = gcra(LimitSpec::rpm(6), PPM / 2);
        assert_eq!(w.remaining(secs(0)), 3);
        w.commit(secs(0), 2);
        assert_eq!(w.remaining(secs(0)), 1);
        assert_eq!(w.remaining(secs(10)), 2);
        assert_eq!(w.remaining(secs(19)), 2);
        assert_eq!(w.remaining(secs(20)), 3);
        assert_eq!(w.reset_at(secs(20)), secs(20));
        // n units at once need n - 1 intervals beyond the tolerance.
        assert!(w.fits(secs(20), 3));
        assert!(!w.fits(secs(20), 4));
    }

    #[test]
    fn a_fractional_interval_keeps_the_exact_rate() {
        // 7 per minute, burst 7: T = 60/7 s, not a whole nanosecond. Offered
        // every millisecond for an hour: the burst at 0, then the k-th more
        // at (k + 1) * 60/7 s, 419 of them before the hour ends.
        let mut w = gcra(LimitSpec::rpm(7), PPM);
        let mut admitted = 0;
        for ms in 0..3_600_000u64 {
            let now = Nanos::from_millis(ms);
            if w.fits(now, 1) {
                w.commit(now, 1);
                admitted += 1;
            }
        }
        assert_eq!(admitted, 7 + 419);
        // TAT = 426 * 60/7 s exactly, rounded up to the nanosecond (a T
        // rounded to 8_571_428_571 ns would have drifted 183 ns early).
        let end = Nanos::from_millis(3_599_999);
        assert_eq!(w.reset_at(end), Nanos(3_651_428_571_429));
    }
}
