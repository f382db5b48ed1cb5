//! Sliding log: the exact count of what was admitted in the trailing window.
//!
//! The strictest reading of "N per minute": no interval of one window length,
//! wherever it starts, ever holds more than the limit, so there is no boundary
//! burst. It costs one log entry per admission instant still in the window;
//! the deque reuses its buffer, so after warm-up it does not allocate.

use std::collections::VecDeque;

use super::Window;
use crate::policy::LimitSpec;
use crate::time::Nanos;

/// Admissions in the trailing window, oldest first, with their sum.
#[derive(Clone, Debug)]
pub struct SlidingLog {
    limit: u64,
    window: Nanos,
    /// `(instant, amount)`; one entry per distinct instant.
    log: VecDeque<(Nanos, u64)>,
    sum: u64,
    total: u64,
}

impl SlidingLog {
    pub fn new(spec: LimitSpec) -> SlidingLog {
        SlidingLog {
            limit: spec.amount,
            window: spec.window,
            log: VecDeque::new(),
            sum: 0,
            total: 0,
        }
    }

    /// Drops admissions that left the window: one made at `t` counts during `[t, t + window)`.
    fn expire(&mut self, now: Nanos) {
        while let Some(&(at, amount)) = self.log.front() {
            if at.saturating_add(self.window) > now {
                break;
            }
            self.sum -= amount;
            self.log.pop_front();
        }
    }
}

impl Window for SlidingLog {
    fn fits(&mut self, now: Nanos, amount: u64) -> bool {
        self.expire(now);
        self.sum.saturating_add(amount) <= self.limit
    }

    fn commit(&mut self, now: Nanos, amount: u64) {
        self.expire(now);
        if amount == 0 {
            return;
        }
        match self.log.back_mut() {
            Some((at, merged)) if *at == now => *merged += amount,
            _ => self.log.push_back((now, amount)),
        }
        self.sum += amount;
        self.total = self.total.saturating_add(amount);
    }

    fn remaining(&mut self, now: Nanos) -> u64 {
        self.expire(now);
        self.limit.saturating_sub(self.sum)
    }

    /// When the oldest admission still counted expires, the first instant at
    /// which `remaining` grows; `now` when nothing is counted.
    fn reset_at(&mut self, now: Nanos) -> Nanos {
        self.expire(now);
        match self.log.front() {
            Some(&(at, _)) => at.saturating_add(self.window),
            None => now,
        }
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
    fn admissions_leave_one_window_after_they_were_made() {
        let mut w = SlidingLog::new(LimitSpec::rpm(2));
        assert_eq!(w.reset_at(secs(3)), secs(3));
        w.commit(secs(10), 1);
        w.commit(secs(20), 1);
        assert!(!w.fits(secs(69), 1));
        assert_eq!(w.reset_at(secs(69)), secs(70));
        assert_eq!(w.remaining(secs(70)), 1);
        assert_eq!(w.reset_at(secs(70)), secs(80));
        assert_eq!(w.remaining(secs(80)), 2);
        assert_eq!(w.admitted_total(), 2);
    }

    #[test]
    fn same_instant_admissions_share_one_entry() {
        let mut w = SlidingLog::new(LimitSpec::tpm(1_000));
        for _ in 0..10 {
            w.commit(secs(1), 50);
        }
        assert_eq!(w.log.len(), 1);
        assert_eq!(w.remaining(secs(2)), 500);
    }
}
