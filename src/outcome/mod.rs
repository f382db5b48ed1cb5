//! Everything one run measured, as facts the reports read and never
//! re-derive.
//!
//! The engine fills an [`Outcome`]: counters per client group and per
//! (key, model) pair, what every limit admitted and refused with its capacity
//! over the windows the run covered, every abuse-lockout block with the groups
//! whose failures tripped it, the outage windows, and a time series of
//! offered load, attempts and answers. Analysis (compare, plan) and the
//! renderers read these; none of them re-counts requests or recomputes a
//! capacity on its own, so no two outputs can disagree about a number.

pub mod batch;
pub mod counters;
pub mod recovery;
pub mod request;
pub mod series;

pub use counters::{new_completion_histogram, GroupStats};
pub use recovery::{Mechanism, Recovery, Trigger};
pub use request::{Fate, LimitHit, NoSink, RequestRecord, RequestSink};
pub use series::{IntervalCursor, IntervalStats, TimeSeries};

use crate::policy::limiter::LimitStats;
use crate::policy::{KeyId, ModelId};
use crate::response::Status;
use crate::time::Nanos;

/// The counters of one (key, model) pair that saw an arrival.
#[derive(Clone, Debug)]
pub struct PairStats {
    pub key: KeyId,
    pub model: ModelId,
    pub stats: GroupStats,
}

/// One abuse-lockout block of a key, clipped to the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockoutBlock {
    pub key: KeyId,
    /// The attempt that tripped it (the server decides a status when an
    /// attempt arrives, so the block starts there, not at its answer).
    pub start: Nanos,
    /// When the key is admitted again (or the run's end).
    pub end: Nanos,
    /// Client groups whose counted failures tripped the block,
    /// in group order.
    pub groups: Vec<u32>,
}

impl LockoutBlock {
    pub fn length(&self) -> Nanos {
        self.end - self.start
    }
}

/// A scheduled outage of the service, clipped to the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutageWindow {
    pub start: Nanos,
    pub end: Nanos,
    pub status: Status,
}

/// Everything a run measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub seed: u64,
    /// Per group, in scenario order.
    pub groups: Vec<GroupStats>,
    pub total: GroupStats,
    /// Per (key, model) pair that saw an arrival, in (key, model) order.
    pub pairs: Vec<PairStats>,
    /// Per (key, model, limit) that saw an attempt, in that order.
    pub limits: Vec<LimitStats>,
    /// Every lockout block, in (key, start) order.
    pub lockouts: Vec<LockoutBlock>,
    pub outages: Vec<OutageWindow>,
    pub series: TimeSeries,
    /// The same counts per (key, model) pair, rows indexed like `pairs`
    /// (what a chart that draws the pair's limits plots).
    pub pair_series: TimeSeries,
    /// Key names in KeyId order (trace replays may add keys).
    pub keys: Vec<String>,
    /// Events popped from the queue.
    pub events: u64,
    /// Where the run stopped.
    pub horizon: Nanos,
}

impl Outcome {
    /// The counters of every pair of `model`, merged over keys (empty when
    /// the model saw no request).
    pub fn model_stats(&self, model: ModelId) -> GroupStats {
        let mut s = GroupStats::default();
        for p in self.pairs.iter().filter(|p| p.model == model) {
            s.merge(&p.stats);
        }
        s.locked_out = self.locked_out(self.keys_of(model).into_iter());
        s
    }

    /// Keys that sent to `model`, in key order.
    pub fn keys_of(&self, model: ModelId) -> Vec<KeyId> {
        let mut keys: Vec<KeyId> = self
            .pairs
            .iter()
            .filter(|p| p.model == model)
            .map(|p| p.key)
            .collect();
        keys.dedup();
        keys
    }

    /// Models that saw a request, in model order.
    pub fn models(&self) -> Vec<ModelId> {
        let mut m: Vec<ModelId> = self.pairs.iter().map(|p| p.model).collect();
        m.sort_unstable();
        m.dedup();
        m
    }

    /// The blocks of `key`, in order.
    pub fn blocks_of(&self, key: KeyId) -> impl Iterator<Item = &LockoutBlock> {
        self.lockouts.iter().filter(move |b| b.key == key)
    }

    /// Time `keys` spent locked out, summed over the keys.
    pub fn locked_out(&self, keys: impl Iterator<Item = KeyId>) -> Nanos {
        let mut total = Nanos::ZERO;
        for k in keys {
            for b in self.blocks_of(k) {
                total.0 += b.length().0;
            }
        }
        total
    }

    /// The limit rows of `model`, over every key that used it.
    pub fn limits_of(&self, model: ModelId) -> impl Iterator<Item = &LimitStats> {
        self.limits.iter().filter(move |l| l.model == model)
    }
}
