//! The experiment layer: scenario variants and their execution.
//!
//! Between a validated scenario and the engine sits one layer that every
//! command uses: `run` executes one job, `compare` one job per (strategy,
//! replication), `plan` rounds of (load, replication) jobs plus its analysis
//! runs. A [`Variant`] says how a job's scenario differs from the one written;
//! [`run_jobs`] opens the traces, derives each replication's seed, runs the
//! jobs on rayon's pool and collects their results in job order, so the
//! output is the same for any number of threads. Each job's [`Outcome`] is
//! reduced by the caller's function as soon as it ends, so what is kept
//! across many replications is what the caller asks for, not every run's
//! time series.

pub mod cost;
mod partition;
pub mod record;
mod rounds;
pub mod shard;
mod traces;
mod variant;

pub use partition::{partitions, simulate_split};
pub use record::Record;
pub use rounds::{Local, Round, RoundError, Rounds};
pub use variant::{outage_window, Variant};

use crate::engine;
use crate::outcome::{Outcome, RequestSink};
use crate::scenario::Scenario;
use crate::workload::TraceError;
use rayon::prelude::*;

/// The most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 256;

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// Bad input in a trace: the user's to fix.
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("cannot start {threads} worker threads: {reason}")]
    Pool { threads: usize, reason: String },
    /// A sharded or replayed round that has no results.
    #[error(transparent)]
    Round(#[from] RoundError),
}

/// Opens the traces of `scenario`'s trace groups as recorded (what
/// `validate` checks and `run` replays).
pub fn open_traces(
    scenario: &Scenario,
    seed: u64,
) -> Result<Vec<Box<dyn crate::workload::TraceSource>>, TraceError> {
    traces::open(scenario, seed, 1.0)
}

/// The seed of replication `r`: replication 0 is the scenario's own run.
pub fn replication_seed(base: u64, r: u32) -> u64 {
    base.wrapping_add(u64::from(r))
}

/// One run to make: a variant (by index) and a replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Job {
    pub variant: usize,
    pub replication: u32,
}

/// Runs `variant` with `seed`, feeding every finished request to `sink`.
pub fn simulate(
    variant: &Variant,
    seed: u64,
    sink: &mut dyn RequestSink,
) -> Result<Outcome, ExperimentError> {
    let traces = traces::open(&variant.scenario, seed, variant.trace_speed)?;
    Ok(engine::simulate(&variant.scenario, seed, traces, sink)?)
}

/// Runs `scenario` as written with `seed`, keeping no requests.
pub fn simulate_quiet(scenario: &Scenario, seed: u64) -> Result<Outcome, ExperimentError> {
    simulate_alone(&Variant::of(scenario), seed)
}

/// Runs `variant` with `seed` on this thread, keeping no requests: groups
/// that share no key run on engines of their own, one after the other, and
/// their outcomes are merged (a small engine is a faster one; the outcome is
/// `simulate`'s exactly, see `partition`). What `compare`, sweeps, `plan`
/// and `tune` run for every job, whose threads are already the jobs'.
pub fn simulate_alone(variant: &Variant, seed: u64) -> Result<Outcome, ExperimentError> {
    Ok(simulate_split(
        &variant.scenario,
        variant.trace_speed,
        seed,
        1,
    )?)
}

/// Runs every job on rayon's current pool and reduces each outcome with
/// `reduce` as it ends; results in job order. `tick` is called after each
/// job (for a progress bar).
pub fn run_jobs<T: Send>(
    variants: &[Variant],
    jobs: &[Job],
    base_seed: u64,
    reduce: &(dyn Fn(&Job, Outcome) -> T + Sync),
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<T>, ExperimentError> {
    jobs.par_iter()
        .map(|job| {
            let seed = replication_seed(base_seed, job.replication);
            let outcome = simulate_alone(&variants[job.variant], seed)?;
            let out = reduce(job, outcome);
            tick();
            Ok(out)
        })
        .collect()
}

/// Runs `f` on a pool of `threads` threads (all cores when `None`).
pub fn with_pool<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> Result<R, ExperimentError> + Send,
) -> Result<R, ExperimentError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| ExperimentError::Pool {
        threads: threads.unwrap_or(0),
        reason: e.to_string(),
    })?;
    pool.install(f)
}
