//! Fixed windows: a counter that drops to zero at every window boundary.
//!
//! The provider's wording ("the Unix timestamp when the window resets") fits
//! this reading, and it is the cheapest to reason about. Its known weakness is
//! the boundary burst: up to twice the limit can pass within one window length
//! straddling a reset, which is exactly what clients that wait for the reset
//! header produce.

use super::Window;
use crate::policy::LimitSpec;
use crate::time::Nanos;

/// A fixed-window counter aligned to a phase.
#[derive(Clone, Debug)]
pub struct Fixed {
    limit: u64,
    window: u64,
    /// `offset % window`: where the boundaries fall relative to instant zero.
    phase: u64,
    /// End of the window `used` belongs to (exclusive).
    end: Nanos,
    used: u64,
    total: u64,
}

impl Fixed {
    /// Windows of `spec.window` whose boundaries are the instants `t` with
    /// `(offset + t) % window == 0`.
    pub fn new(spec: LimitSpec, offset: Nanos) -> Fixed {
        let window = spec.window.0.max(1);
        Fixed {
            limit: spec.amount,
            window,
            phase: offset.0 % window,
            end: Nanos::ZERO,
            used: 0,
            total: 0,
        }
    }

    /// Starts a new window when `now` has passed the current one.
    fn roll(&mut self, now: Nanos) {
        if now >= self.end {
            let into_window = (self.phase + now.0 % self.window) % self.window;
            self.end = Nanos(now.0.saturating_add(self.window - into_window));
            self.used = 0;
        }
    }
}

impl Window for Fixed {
    fn fits(&mut self, now: Nanos, amount: u64) -> bool {
        self.roll(now);
        self.used.saturating_add(amount) <= self.limit
    }

    fn commit(&mut self, now: Nanos, amount: u64) {
        self.roll(now);
        self.used = self.used.saturating_add(amount);
        self.total = self.total.saturating_add(amount);
    }

    fn remaining(&mut self, now: Nanos) -> u64 {
        self.roll(now);
        self.limit.saturating_sub(self.used)
    }

    /// The end of the window containing `now`.
    fn reset_at(&mut self, now: Nanos) -> Nanos {
        self.roll(now);
        self.end
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
    fn counts_reset_on_aligned_boundaries() {
        // Virtual zero is 10 s past a minute, so windows end at 50 s, 110 s, ...
        let mut w = Fixed::new(LimitSpec::rpm(3), secs(70));
        assert_eq!(w.reset_at(secs(0)), secs(50));
        for _ in 0..3 {
            assert!(w.fits(secs(1), 1));
            w.commit(secs(1), 1);
        }
        assert!(!w.fits(secs(49), 1));
        assert_eq!(w.remaining(secs(49)), 0);
        assert_eq!(w.remaining(secs(50)), 3);
        assert_eq!(w.reset_at(secs(50)), secs(110));
        assert_eq!(w.admitted_total(), 3);
    }

    #[test]
    fn an_overshoot_blocks_until_the_reset() {
        let mut w = Fixed::new(LimitSpec::tpm(100), Nanos::ZERO);
        w.commit(secs(5), 150);
        assert_eq!(w.remaining(secs(6)), 0);
        assert!(!w.fits(secs(59), 0));
        assert!(w.fits(secs(60), 100));
        assert!(!w.fits(secs(60), 101));
    }
}
