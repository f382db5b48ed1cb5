//! What tune keeps of one run, and how candidates are ordered.
//!
//! A run is reduced at once to the six figures the goal and the objective
//! read, all computed from the engine's counters of the tuned groups (merged):
//! success share, attempts per success, p99 completion, 429 share, the
//! share given up or refused, and the time their keys spent locked out.

use crate::experiment::record::{DecodeError, Decoder, Encoder};
use crate::experiment::Record;
use crate::objective::{Constraint, Measured};
use crate::outcome::{GroupStats, Outcome};
use crate::scenario::Scenario;
use crate::stats::Estimate;
use std::cmp::Ordering;

/// One run of one candidate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunMetrics {
    pub success_share: f64,
    pub attempts_per_success: f64,
    /// Of successful requests, seconds (0 when none succeeded).
    pub p99_s: f64,
    pub share_429: f64,
    /// Given up or refused by the client, of arrivals.
    pub gave_up_share: f64,
    pub locked_out_s: f64,
    pub events: u64,
}

/// The metrics in the order of [`METRICS`].
pub const METRICS: [&str; 6] = [
    "success_share",
    "attempts_per_success",
    "p99_s",
    "share_429",
    "gave_up_share",
    "locked_out_s",
];

impl RunMetrics {
    /// The tuned `groups`' counters of `o`, merged.
    pub fn of(o: &Outcome, sc: &Scenario, groups: &[usize]) -> RunMetrics {
        let mut s = GroupStats::default();
        let mut keys: Vec<u32> = Vec::new();
        for &g in groups {
            s.merge(&o.groups[g]);
            if !keys.contains(&sc.groups[g].key) {
                keys.push(sc.groups[g].key);
            }
        }
        let gave_up = s.gave_up_total() + s.refused_total();
        RunMetrics {
            success_share: s.success_share(),
            attempts_per_success: s.attempts_per_success(),
            p99_s: s.completion_quantile(0.99),
            share_429: s.share_429(),
            gave_up_share: if s.arrivals == 0 {
                0.0
            } else {
                gave_up as f64 / s.arrivals as f64
            },
            locked_out_s: o.locked_out(keys.into_iter()).as_secs_f64(),
            events: o.events,
        }
    }

    pub fn values(&self) -> [f64; 6] {
        [
            self.success_share,
            self.attempts_per_success,
            self.p99_s,
            self.share_429,
            self.gave_up_share,
            self.locked_out_s,
        ]
    }
}

/// The six figures (bits) and the events, in that order.
impl Record for RunMetrics {
    fn encode(&self, e: &mut Encoder) {
        for x in self.values() {
            e.f64(x);
        }
        e.u64(self.events);
    }

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let mut v = [0.0; 6];
        for (x, name) in v.iter_mut().zip(METRICS) {
            *x = d.f64(name)?;
        }
        Ok(RunMetrics {
            success_share: v[0],
            attempts_per_success: v[1],
            p99_s: v[2],
            share_429: v[3],
            gave_up_share: v[4],
            locked_out_s: v[5],
            events: d.u64("events")?,
        })
    }
}

/// Mean and 95% interval of each metric over some replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub est: [Estimate; 6],
}

impl Summary {
    pub fn of(runs: &[RunMetrics]) -> Summary {
        let est = std::array::from_fn(|m| {
            Estimate::of(&runs.iter().map(|r| r.values()[m]).collect::<Vec<_>>())
        });
        Summary { est }
    }

    pub fn success_share(&self) -> Estimate {
        self.est[0]
    }
    pub fn attempts_per_success(&self) -> Estimate {
        self.est[1]
    }
    pub fn p99_s(&self) -> Estimate {
        self.est[2]
    }

    /// The objective's terms these means break (empty: met).
    pub fn broken(&self, c: &Constraint) -> Vec<&'static str> {
        let m = Measured {
            share_429: self.est[3].mean,
            p99_s: self.est[2].mean,
            gave_up_share: self.est[4].mean,
        };
        c.broken(&m, self.est[5].mean)
    }
}

/// The goal's order (best first): meeting the objective before missing it,
/// missing fewer terms before more; then the highest success share, then
/// the fewest attempts per success; then the lower id.
pub fn order(a: (&Summary, usize), b: (&Summary, usize), c: &Constraint) -> Ordering {
    let (sa, sb) = (a.0, b.0);
    sa.broken(c)
        .len()
        .cmp(&sb.broken(c).len())
        .then(sb.success_share().mean.total_cmp(&sa.success_share().mean))
        .then(
            sa.attempts_per_success()
                .mean
                .total_cmp(&sb.attempts_per_success().mean),
        )
        .then(a.1.cmp(&b.1))
}

/// Whether `a` is at least as good as `b` on success share, p99 and
/// attempts per success, and better on one (means).
pub fn dominates(a: &Summary, b: &Summary) -> bool {
    let (sa, sb) = (a.success_share().mean, b.success_share().mean);
    let (pa, pb) = (a.p99_s().mean, b.p99_s().mean);
    let (xa, xb) = (a.attempts_per_success().mean, b.attempts_per_success().mean);
    sa >= sb && pa <= pb && xa <= xb && (sa > sb || pa < pb || xa < xb)
}
