//! Metastable failures: after a trigger ends, does goodput come back?
//!
//! A trigger is the last outage of the run, or the last load spike (a run of
//! intervals whose offered load is well above the run's median). After it
//! ends, the run has recovered at the first interval from which every window
//! of [`WINDOW`] intervals, to the end of the arrivals, has successes of at
//! least [`RECOVERED`] of its offered load (scaled by the success share the
//! run had before the trigger). When the run never gets there, the failure
//! outlived its trigger: ratesim names the mechanism that kept it going,
//! read off the same intervals.

use super::{IntervalStats, Outcome};
use crate::time::Nanos;

/// Intervals in a window that must hold goodput.
pub const WINDOW: usize = 3;
/// Share of the offered load a recovered window delivers.
pub const RECOVERED: f64 = 0.9;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Outage,
    LoadSpike,
}

impl Trigger {
    pub const fn label(self) -> &'static str {
        match self {
            Trigger::Outage => "outage",
            Trigger::LoadSpike => "load spike",
        }
    }
}

/// What kept goodput down after the trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// A key kept locked by its own refused retries.
    LockoutCascade,
    /// Retries of attempts the client abandoned while the server still
    /// served them.
    TimeoutStorm,
    /// Many attempts per offered request, few successes.
    RetryStorm,
    /// None of those: a backlog draining slowly.
    Backlog,
}

impl Mechanism {
    pub const fn label(self) -> &'static str {
        match self {
            Mechanism::LockoutCascade => "lockout cascade",
            Mechanism::TimeoutStorm => "timeout storm",
            Mechanism::RetryStorm => "retry storm",
            Mechanism::Backlog => "backlog",
        }
    }
}

/// The recovery after one trigger.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recovery {
    pub trigger: Trigger,
    pub trigger_start: Nanos,
    pub trigger_end: Nanos,
    /// When goodput was back; `None`: not by the end of the arrivals.
    pub recovered_at: Option<Nanos>,
    /// Set when goodput was still down at the trigger's end.
    pub mechanism: Option<Mechanism>,
    /// Between the trigger's end and the recovery (or the end): attempts
    /// per offered request, the share of attempts that timed out, and the
    /// share of the time the key was locked out.
    pub attempts_per_offered: f64,
    pub timeout_share: f64,
    pub locked_share: f64,
}

impl Recovery {
    /// Seconds from the trigger's end to recovery; infinite when it did not
    /// recover.
    pub fn recovery_s(&self) -> f64 {
        self.recovered_at.map_or(f64::INFINITY, |t| {
            (t - self.trigger_end.min(t)).as_secs_f64()
        })
    }
}

impl Outcome {
    /// The recovery of a group's traffic (`Some(g)`) or of the whole run
    /// after the run's last trigger; `None` when the run has no trigger.
    pub fn recovery(&self, group: Option<usize>) -> Option<Recovery> {
        match group {
            Some(g) => self.recovery_of(&self.series.rows[g]),
            None => self.recovery_of(&self.series.total()),
        }
    }

    /// The recovery of the traffic whose intervals are `rows` (a group's, a
    /// set of groups' merged, or the run's) after the run's last trigger.
    pub fn recovery_of(&self, rows: &[IntervalStats]) -> Option<Recovery> {
        let step = self.series.interval;
        let spike = load_spike(&self.series.total(), step);
        let outage = self.outages.last().map(|o| (o.start, o.end));
        let (trigger, (start, end)) = match (outage, spike) {
            (Some(o), Some(s)) if s.1 > o.1 => (Trigger::LoadSpike, s),
            (Some(o), _) => (Trigger::Outage, o),
            (None, Some(s)) => (Trigger::LoadSpike, s),
            (None, None) => return None,
        };
        let s = step.0;
        let first = (start.0 / s) as usize;
        let after = end.0.div_ceil(s) as usize;
        let last = rows.iter().rposition(|r| r.offered > 0)?;
        let before: (u64, u64) = rows[..first.min(rows.len())]
            .iter()
            .fold((0, 0), |(o, k), r| {
                (o + u64::from(r.offered), k + u64::from(r.successes))
            });
        let baseline = if before.0 > 0 {
            (before.1 as f64 / before.0 as f64).min(1.0)
        } else {
            1.0
        };
        let good = |i: usize| {
            let w = &rows[i..(i + WINDOW).min(last + 1)];
            let offered: u64 = w.iter().map(|r| u64::from(r.offered)).sum();
            let ok: u64 = w.iter().map(|r| u64::from(r.successes)).sum();
            ok as f64 >= RECOVERED * baseline * offered as f64
        };
        // The first interval from which every later window holds.
        let mut recovered = None;
        for i in (after..=last).rev() {
            if good(i) {
                recovered = Some(i);
            } else {
                break;
            }
        }
        let until = recovered.unwrap_or(last + 1).max(after);
        let span = &rows[after.min(rows.len())..until.min(rows.len())];
        let sum = |f: &dyn Fn(&IntervalStats) -> u64| span.iter().map(f).sum::<u64>();
        let offered = sum(&|r| u64::from(r.offered));
        let attempts = sum(&|r| u64::from(r.attempts));
        let timeouts = sum(&|r| u64::from(r.timeouts));
        let locked = sum(&|r| r.locked_ns);
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let attempts_per_offered = ratio(attempts, offered);
        // Timeouts fire after the attempts they end: over a span the share can
        // pass 1 by the attempts sent just before it.
        let timeout_share = ratio(timeouts, attempts).min(1.0);
        let locked_share = ratio(locked, span.len() as u64 * s);
        let mechanism = if locked_share > 0.5 {
            Mechanism::LockoutCascade
        } else if timeout_share > 0.3 {
            Mechanism::TimeoutStorm
        } else if attempts_per_offered > 1.5 {
            Mechanism::RetryStorm
        } else {
            Mechanism::Backlog
        };
        let mechanism = (recovered != Some(after) && !span.is_empty()).then_some(mechanism);
        Some(Recovery {
            trigger,
            trigger_start: start,
            trigger_end: end,
            recovered_at: recovered.map(|i| Nanos(i as u64 * s).max(end)),
            mechanism,
            attempts_per_offered,
            timeout_share,
            locked_share,
        })
    }
}

/// The last run of intervals whose offered load is more than 1.5 times the
/// median of the intervals with arrivals (and clear of Poisson noise), as
/// (start, end).
fn load_spike(rows: &[IntervalStats], step: Nanos) -> Option<(Nanos, Nanos)> {
    let mut offered: Vec<u32> = rows.iter().map(|r| r.offered).filter(|&o| o > 0).collect();
    if offered.len() < 2 * WINDOW {
        return None;
    }
    offered.sort_unstable();
    let median = f64::from(offered[offered.len() / 2]);
    let high = 1.5 * median + 3.0 * median.sqrt();
    let last = rows.iter().rposition(|r| f64::from(r.offered) > high)?;
    let first = rows[..=last]
        .iter()
        .rposition(|r| f64::from(r.offered) <= high)
        .map_or(0, |i| i + 1);
    Some((
        Nanos(first as u64 * step.0),
        Nanos((last as u64 + 1) * step.0),
    ))
}
