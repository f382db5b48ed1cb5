//! `ratesim compare`: the same workload against competing strategies.
//!
//! Fairness comes from common random numbers: each group's arrivals, sizes,
//! model choices and response-time spreads are drawn from streams keyed by
//! (seed, group name), so every candidate strategy meets the identical
//! open-loop workload in a replication. Replications differ only in seed
//! (replication r runs with seed + r, so replication 0 is what `ratesim run`
//! shows). Closed-loop groups send their next request when the previous one
//! ends, so their arrival times legitimately differ between strategies.
//!
//! The runs go through [`crate::experiment`], which collects them in
//! (strategy, replication) order whatever the number of threads.

use crate::experiment::{self, ExperimentError, Job, Variant};
use crate::outcome::{GroupStats, IntervalStats, LockoutBlock, Outcome, Recovery};
use crate::scenario::Scenario;
use crate::strategy::StrategySpec;
use crate::time::Nanos;

/// A comparison to run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub strategies: Vec<StrategySpec>,
    pub replications: u32,
    /// Groups that take each candidate strategy.
    pub groups: Vec<usize>,
    pub base_seed: u64,
}

/// One (strategy, replication) run, reduced to what the reports need.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub strategy: usize,
    pub replication: u32,
    pub seed: u64,
    /// The compared groups, merged.
    pub stats: GroupStats,
    /// The compared groups' time series, merged.
    pub series: Vec<IntervalStats>,
    /// Lockout blocks of the compared groups' keys.
    pub lockouts: Vec<LockoutBlock>,
    /// The compared groups' recovery after the run's last outage or load
    /// spike (`None` when the run has no trigger).
    pub recovery: Option<Recovery>,
    /// Key names in KeyId order.
    pub keys: Vec<String>,
    pub events: u64,
}

/// Every run of a comparison, in (strategy, replication) order.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub plan: Plan,
    pub runs: Vec<RunResult>,
    pub horizon: Nanos,
    pub interval: Nanos,
}

impl Comparison {
    /// The runs of strategy `s`, in replication order.
    pub fn runs_of(&self, s: usize) -> &[RunResult] {
        let k = self.plan.replications as usize;
        &self.runs[s * k..(s + 1) * k]
    }
}

fn reduce(job: &Job, seed: u64, groups: &[usize], sc: &Scenario, o: Outcome) -> RunResult {
    let mut stats = GroupStats::default();
    let mut series = vec![IntervalStats::default(); o.series.intervals()];
    let mut keys: Vec<u32> = Vec::new();
    for &g in groups {
        stats.merge(&o.groups[g]);
        for (a, b) in series.iter_mut().zip(&o.series.rows[g]) {
            a.merge(b);
        }
        if !keys.contains(&sc.groups[g].key) {
            keys.push(sc.groups[g].key);
        }
    }
    stats.locked_out = o.locked_out(keys.iter().copied());
    let recovery = o.recovery_of(&series);
    let lockouts = o
        .lockouts
        .into_iter()
        .filter(|b| keys.contains(&b.key))
        .collect();
    RunResult {
        strategy: job.variant,
        replication: job.replication,
        seed,
        stats,
        series,
        lockouts,
        recovery,
        keys: o.keys,
        events: o.events,
    }
}

/// Runs every (strategy, replication) pair on rayon's current pool, calling
/// `tick` after each run (for a progress bar).
pub fn run(
    scenario: &Scenario,
    plan: &Plan,
    tick: &(dyn Fn() + Sync),
) -> Result<Comparison, ExperimentError> {
    let variants: Vec<Variant> = plan
        .strategies
        .iter()
        .map(|s| Variant::of(scenario).with_strategy(s, &plan.groups))
        .collect();
    let jobs: Vec<Job> = (0..variants.len())
        .flat_map(|variant| {
            (0..plan.replications).map(move |replication| Job {
                variant,
                replication,
            })
        })
        .collect();
    let reduce = |job: &Job, o: Outcome| {
        let seed = experiment::replication_seed(plan.base_seed, job.replication);
        reduce(job, seed, &plan.groups, &variants[job.variant].scenario, o)
    };
    let runs = experiment::run_jobs(&variants, &jobs, plan.base_seed, &reduce, tick)?;
    Ok(Comparison {
        plan: plan.clone(),
        runs,
        horizon: scenario.horizon(),
        interval: scenario.interval,
    })
}

/// Runs the comparison on a pool of `threads` threads (all cores when `None`).
pub fn run_with_threads(
    scenario: &Scenario,
    plan: &Plan,
    threads: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<Comparison, ExperimentError> {
    experiment::with_pool(threads, || run(scenario, plan, tick))
}
