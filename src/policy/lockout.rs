//! The abuse lockout: too many failures in a short time block the key.
//!
//! The provider blocks a key for 30 s after more than 20 non-success responses
//! within 30 s. It is the one rule that punishes a retry loop rather than the
//! load, so ratesim models it per key, across models. Whether refusals during
//! a block count (and so extend it) is configurable; by default they do, which
//! is what makes a hot retry loop keep itself locked out.
//!
//! Only the last `threshold + 1` counted failures matter (the oldest of them
//! tells whether all of them fall inside the window), so they live in a ring
//! that never grows past that.

use crate::policy::LockoutConfig;
use crate::response::Status;
use crate::time::Nanos;

// `Lockout::counted` holds a bit per status.
const _: () = assert!(Status::ALL.len() <= 8);

/// One key's lockout state.
#[derive(Clone, Debug)]
pub struct Lockout {
    config: LockoutConfig,
    /// Bit `status as u8` is set for each status that counts (none when
    /// the lockout is off): the test every attempt's status goes through,
    /// without reading the config's list.
    counted: u8,
    /// Instants of the most recent counted failures and the client groups
    /// that sent them; at most `threshold + 1`.
    recent: Vec<(Nanos, u32)>,
    /// Index in `recent` of the oldest instant once the ring is full.
    oldest: usize,
    blocked_until: Nanos,
    /// Blocks so far as `[start, end)`, an extension moving the last end.
    intervals: Vec<(Nanos, Nanos)>,
    /// For each block, the groups whose counted failures tripped it (the
    /// failures inside the window when it started), sorted. Refusals that
    /// only extend a running block are its victims', not its cause.
    culprits: Vec<Vec<u32>>,
}

impl Lockout {
    pub fn new(cfg: &LockoutConfig) -> Lockout {
        Lockout {
            config: cfg.clone(),
            counted: if cfg.enabled {
                cfg.statuses.iter().fold(0, |bits, &s| bits | 1 << s as u8)
            } else {
                0
            },
            recent: Vec::new(),
            oldest: 0,
            blocked_until: Nanos::ZERO,
            intervals: Vec::new(),
            culprits: Vec::new(),
        }
    }

    /// Whether the key is refused at `now`.
    pub fn blocked(&self, now: Nanos) -> bool {
        now < self.blocked_until
    }

    /// End of the current or last block (zero if there was none).
    pub fn blocked_until(&self) -> Nanos {
        self.blocked_until
    }

    /// Feeds the final status of one attempt, sent by client group `group`.
    /// `was_blocked_refusal` marks a refusal answered because the key was
    /// blocked. Returns true when this started a block or pushed its end
    /// later.
    pub fn record(
        &mut self,
        now: Nanos,
        status: Status,
        was_blocked_refusal: bool,
        group: u32,
    ) -> bool {
        let cfg = &self.config;
        let counted =
            self.counted & (1 << status as u8) != 0 && (cfg.count_blocked || !was_blocked_refusal);
        if !counted {
            return false;
        }

        let capacity = cfg.threshold as usize + 1;
        if self.recent.len() < capacity {
            self.recent.push((now, group));
        } else {
            self.recent[self.oldest] = (now, group);
            self.oldest = (self.oldest + 1) % capacity;
        }
        let full = self.recent.len() == capacity;
        let oldest = self.recent[self.oldest].0;
        if !full || oldest.saturating_add(cfg.window) <= now {
            return false;
        }

        let until = now.saturating_add(cfg.block);
        if self.blocked(now) {
            if until <= self.blocked_until {
                return false;
            }
            if let Some(last) = self.intervals.last_mut() {
                last.1 = until;
            }
        } else {
            self.intervals.push((now, until));
            let mut groups: Vec<u32> = self.recent.iter().map(|&(_, g)| g).collect();
            groups.sort_unstable();
            groups.dedup();
            self.culprits.push(groups);
        }
        self.blocked_until = until;
        true
    }

    /// Every block as `[start, end)`, in order, with the end as scheduled
    /// (possibly after the run ends).
    pub fn blocked_intervals(&self) -> &[(Nanos, Nanos)] {
        &self.intervals
    }

    /// For each block of [`Lockout::blocked_intervals`], the client groups
    /// whose counted failures tripped it.
    pub fn culprits(&self) -> &[Vec<u32>] {
        &self.culprits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Nanos {
        Nanos::from_secs(s)
    }

    fn fail(lockout: &mut Lockout, at: Nanos) -> bool {
        lockout.record(at, Status::TooMany, false, 0)
    }

    #[test]
    fn the_twenty_first_failure_in_thirty_seconds_blocks() {
        let mut lockout = Lockout::new(&LockoutConfig::default());
        for i in 0..20 {
            assert!(!fail(&mut lockout, secs(i)), "failure {}", i + 1);
        }
        assert!(!lockout.blocked(secs(19)));
        assert!(fail(&mut lockout, secs(20)));
        assert!(lockout.blocked(secs(20)));
        assert_eq!(lockout.blocked_until(), secs(50));
        assert_eq!(lockout.blocked_intervals(), [(secs(20), secs(50))]);
    }

    #[test]
    fn failures_spread_wider_than_the_window_do_not_block() {
        let mut lockout = Lockout::new(&LockoutConfig::default());
        // 21 failures, but the first and the last are exactly 30 s apart.
        for i in 0..21 {
            assert!(!fail(&mut lockout, Nanos::from_millis(1_500 * i)));
        }
        assert!(lockout.blocked_intervals().is_empty());
    }

    #[test]
    fn refusals_during_a_block_extend_it() {
        let mut lockout = Lockout::new(&LockoutConfig::default());
        for _ in 0..21 {
            fail(&mut lockout, secs(1));
        }
        assert_eq!(lockout.blocked_until(), secs(31));
        assert!(lockout.record(secs(10), Status::TooMany, true, 0));
        assert_eq!(lockout.blocked_until(), secs(40));
        assert_eq!(lockout.blocked_intervals(), [(secs(1), secs(40))]);
        // A second refusal at the same instant moves nothing.
        assert!(!lockout.record(secs(10), Status::TooMany, true, 0));
    }

    #[test]
    fn refusals_do_not_count_when_configured_so() {
        let cfg = LockoutConfig {
            count_blocked: false,
            ..LockoutConfig::default()
        };
        let mut lockout = Lockout::new(&cfg);
        for _ in 0..21 {
            fail(&mut lockout, secs(1));
        }
        assert!(!lockout.record(secs(10), Status::TooMany, true, 0));
        assert_eq!(lockout.blocked_until(), secs(31));
    }

    #[test]
    fn the_block_ends_after_thirty_quiet_seconds() {
        let mut lockout = Lockout::new(&LockoutConfig::default());
        for _ in 0..21 {
            fail(&mut lockout, secs(5));
        }
        assert!(lockout.blocked(Nanos(secs(35).0 - 1)));
        assert!(!lockout.blocked(secs(35)));
        // The old failures have left the window: one more does not block again.
        assert!(!fail(&mut lockout, secs(40)));
        assert_eq!(lockout.blocked_intervals(), [(secs(5), secs(35))]);
    }

    #[test]
    fn successes_and_uncounted_statuses_are_ignored() {
        let cfg = LockoutConfig {
            statuses: vec![Status::Internal],
            ..LockoutConfig::default()
        };
        let mut lockout = Lockout::new(&cfg);
        for _ in 0..100 {
            assert!(!lockout.record(secs(1), Status::Ok, false, 0));
            assert!(!lockout.record(secs(1), Status::TooMany, false, 0));
        }
        assert!(!lockout.blocked(secs(1)));
    }

    #[test]
    fn a_disabled_lockout_never_blocks() {
        let cfg = LockoutConfig {
            enabled: false,
            ..LockoutConfig::default()
        };
        let mut lockout = Lockout::new(&cfg);
        for _ in 0..1_000 {
            assert!(!fail(&mut lockout, secs(1)));
        }
        assert!(!lockout.blocked(secs(1)));
        assert!(lockout.blocked_intervals().is_empty());
    }

    #[test]
    fn a_block_names_the_groups_whose_failures_tripped_it() {
        let mut lockout = Lockout::new(&LockoutConfig::default());
        for i in 0..21 {
            lockout.record(secs(1), Status::TooMany, false, if i < 15 { 3 } else { 1 });
        }
        assert_eq!(lockout.culprits(), [vec![1, 3]]);
        // Group 0's refusal extends the block but did not trip it.
        assert!(lockout.record(secs(10), Status::TooMany, true, 0));
        assert_eq!(lockout.culprits(), [vec![1, 3]]);
        assert_eq!(lockout.blocked_intervals().len(), lockout.culprits().len());
    }

    #[test]
    fn the_ring_never_grows_past_the_threshold() {
        let mut lockout = Lockout::new(&LockoutConfig::default());
        for i in 0..1_000 {
            fail(&mut lockout, Nanos::from_millis(10 * i));
        }
        assert_eq!(lockout.recent.len(), 21);
    }
}
