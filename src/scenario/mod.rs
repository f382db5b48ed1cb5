//! Scenarios: what to simulate.
//!
//! Configuration goes through two stages. [`raw`] mirrors the TOML file with
//! serde (unknown keys are rejected there, with their location); [`validate`]
//! checks every value once and builds the types below, whose fields cannot
//! hold nonsense. Everything after validation trusts its input.

pub mod at_path;
pub mod error;
pub mod locate;
pub mod raw;
pub mod validate;

pub use error::ScenarioError;
pub use validate::{load, parse};

use crate::policy::{KeyId, ModelId, Policy};
use crate::service::ServiceConfig;
use crate::strategy::StrategySpec;
use crate::time::{Clock, Nanos};
use crate::workload::{ArrivalSpec, SizeDist, ThinkTime};
use std::path::PathBuf;

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The file it was read from (trace paths are relative to its folder).
    pub path: PathBuf,
    pub seed: u64,
    /// Arrivals happen in [0, duration).
    pub duration: Nanos,
    /// Extra time after `duration` during which retries and answers still run, with no new arrivals.
    pub drain: Nanos,
    pub clock: Clock,
    /// Time-series resolution.
    pub interval: Nanos,
    pub policy: Policy,
    pub service: ServiceConfig,
    /// API key names, in KeyId order.
    pub keys: Vec<String>,
    pub groups: Vec<Group>,
    /// The `[compare]` table, if the scenario has one.
    pub compare: Option<CompareSpec>,
    /// The `[plan]` table, if the scenario has one.
    pub plan: Option<PlanSpec>,
    /// The `[tune]` table, if the scenario has one.
    pub tune: Option<TuneSpec>,
    /// The `[sweep]` table, if the scenario has one.
    pub sweep: Option<SweepSpec>,
    /// The `[thresholds]` table: CI gates `run` checks after the run.
    pub thresholds: Vec<crate::threshold::Threshold>,
    /// What each model costs, in [`crate::policy::ModelId`] order (free
    /// where the scenario prices nothing).
    pub prices: Vec<crate::price::Price>,
}

/// What `ratesim plan` holds the load to and how it sweeps; `None` fields
/// take the defaults of [`crate::plan::Settings`].
#[derive(Clone, Debug, Default)]
pub struct PlanSpec {
    /// The scenario's terms over the defaults.
    pub objective: Option<crate::objective::Objective>,
    pub growth: Option<f64>,
    pub start_date: Option<crate::objective::Date>,
    pub horizon_months: Option<u32>,
    /// Increasing, positive.
    pub factors: Option<Vec<f64>>,
    pub bisect_steps: Option<u32>,
    pub replications: Option<u32>,
    /// Empty when the scenario names none.
    pub candidates: Vec<StrategySpec>,
    pub outage: Option<Nanos>,
}

/// What `ratesim tune` searches; `None` fields take the command's defaults.
#[derive(Clone, Debug, Default)]
pub struct TuneSpec {
    /// Indices into `groups`.
    pub groups: Option<Vec<usize>>,
    pub strategy: Option<StrategySpec>,
    pub objective: Option<crate::objective::Constraint>,
    pub budget: Option<u32>,
    pub replications: Option<u32>,
    /// Parameter to its range as written (`[low, high]` or `"default"`),
    /// checked against the tuned strategy; empty: the default space.
    pub params: Vec<(String, toml::Value)>,
}

/// The grid `ratesim sweep` runs: every strategy x load factor x limit
/// multiple x value of each `set` path, each replicated. An empty
/// `strategies` keeps the scenario's own.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    pub strategies: Vec<StrategySpec>,
    /// Positive, finite, distinct.
    pub load: Vec<f64>,
    /// At least 1, distinct.
    pub limits: Vec<u32>,
    pub replications: u32,
    /// A summary.csv metric name (checked by the sweep command, which owns
    /// the metric set).
    pub metric: String,
    /// `None`: the total.
    pub group: Option<usize>,
    /// The `set` axes in the order written; each value was checked alone
    /// (the scenario with that one value written validates).
    pub set: Vec<SetAxis>,
}

/// One `set` axis of a sweep: a path into the scenario's TOML and the
/// values written there in turn.
#[derive(Clone, Debug, PartialEq)]
pub struct SetAxis {
    /// As written in the `[sweep]` table, e.g. `groups.app.strategy.base`.
    pub path: String,
    /// Numbers, strings or booleans, distinct.
    pub values: Vec<toml::Value>,
}

impl SetAxis {
    /// Value `i` as written, without a string's quotes: `2`, `0.5s`, `true`.
    pub fn label(&self, i: usize) -> String {
        match &self.values[i] {
            toml::Value::String(s) => s.clone(),
            v => v.to_string(),
        }
    }

    /// Value `i` in TOML, a string quoted: what the unit hash encodes, so
    /// `2` and `"2"` are different points.
    pub fn canonical(&self, i: usize) -> String {
        self.values[i].to_string()
    }
}

impl SweepSpec {
    /// The combinations of `set` values (1 without `set`), saturating.
    pub fn set_points(&self) -> usize {
        self.set
            .iter()
            .fold(1usize, |n, a| n.saturating_mul(a.values.len()))
    }

    /// The value index of each axis in combination `c`, the first axis
    /// varying slowest (the grid's order).
    pub fn set_point(&self, mut c: usize) -> Vec<usize> {
        let mut out = vec![0; self.set.len()];
        for (slot, a) in out.iter_mut().zip(&self.set).rev() {
            *slot = c % a.values.len();
            c /= a.values.len();
        }
        out
    }

    /// Points of the grid (strategies x load x limits x set values), as a
    /// float so that an absurd product is counted, not overflowed.
    pub fn points(&self) -> f64 {
        let set: f64 = self.set.iter().map(|a| a.values.len() as f64).product();
        self.strategies.len().max(1) as f64
            * self.load.len() as f64
            * self.limits.len() as f64
            * set
    }
}

/// What `ratesim compare` runs: candidate strategies, replications, and
/// which groups take the candidate (the others keep their own strategy).
#[derive(Clone, Debug)]
pub struct CompareSpec {
    pub strategies: Vec<StrategySpec>,
    pub replications: Option<u32>,
    /// Indices into `groups`; all groups when the scenario names none.
    pub groups: Vec<usize>,
}

impl Scenario {
    /// Where the run stops: the end of the drain.
    pub fn horizon(&self) -> Nanos {
        self.duration + self.drain
    }
}

/// A client group: one kind of traffic sharing a key and a strategy.
#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub key: KeyId,
    pub workload: Workload,
    pub strategy: StrategySpec,
    /// The client abandons an attempt not answered within this time (and
    /// may retry it); the server still serves and charges it.
    pub timeout: Option<Nanos>,
}

/// Where a group's requests come from.
#[derive(Clone, Debug)]
pub enum Workload {
    Synthetic(Synthetic),
    /// A recorded trace, replayed as arrivals.
    Trace {
        path: PathBuf,
        format: crate::workload::import::Format,
        /// Arrival times for formats that have none (OpenAI batch files).
        arrival: Option<ArrivalSpec>,
    },
}

/// A generated workload.
#[derive(Clone, Debug)]
pub struct Synthetic {
    /// Models with cumulative weights summing to 1 (a single model has weight 1).
    pub models: Vec<(ModelId, f64)>,
    pub arrival: Arrival,
    pub input_tokens: SizeDist,
    pub output_tokens: SizeDist,
    /// `max_tokens` sent with each request; output never exceeds it.
    pub max_tokens: Option<u32>,
}

/// Open loop (arrivals do not wait for answers) or closed loop.
#[derive(Clone, Debug)]
pub enum Arrival {
    Open(ArrivalSpec),
    /// `workers` clients, each sending its next request `think` after the previous one ended.
    Closed {
        workers: u32,
        think: ThinkTime,
    },
    /// `clients` clients working through a finite batch and leaving when
    /// it is done.
    Batch(Batch),
}

/// A batch: finite work shared out among clients that each send one request
/// at a time, none before its scheduled time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    pub clients: u32,
    pub work: BatchWork,
    /// When the batch is queued (and the first client starts).
    pub start: Nanos,
    /// Client `c` starts at `start + c * stagger`.
    pub stagger: Nanos,
    /// With its own list, a client's `j`-th request is scheduled at its
    /// start plus `j * spacing`.
    pub spacing: Nanos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchWork {
    /// Each client has its own list of this many requests.
    PerClient(u64),
    /// One batch of this many requests, all scheduled at `start`, taken by
    /// whichever client is free.
    Shared(u64),
}

impl Batch {
    /// Requests in the whole batch.
    pub fn requests(&self) -> u64 {
        match self.work {
            BatchWork::PerClient(n) => n.saturating_mul(u64::from(self.clients)),
            BatchWork::Shared(n) => n,
        }
    }

    /// When client `c` starts.
    pub fn client_start(&self, c: u32) -> Nanos {
        Nanos(self.start.0 + self.stagger.0.saturating_mul(u64::from(c)))
    }

    /// The batch with `factor` times the work, at least one request per list.
    pub fn scaled(mut self, factor: f64) -> Batch {
        let scale = |n: u64| ((n as f64 * factor).round() as u64).max(1);
        self.work = match self.work {
            BatchWork::PerClient(n) => BatchWork::PerClient(scale(n)),
            BatchWork::Shared(n) => BatchWork::Shared(scale(n)),
        };
        self
    }
}
