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
//! Runs are independent, so they go to rayon's pool; results are collected in
//! (strategy, replication) order, which makes the output identical whatever
//! the number of threads.

use crate::engine::Outcome;
use crate::metrics::{GroupStats, IntervalStats};
use crate::runner::{simulate_quiet, RunError};
use crate::scenario::Scenario;
use crate::strategy::StrategySpec;
use rayon::prelude::*;

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
    pub lockouts: Vec<(crate::time::Nanos, crate::time::Nanos)>,
    pub events: u64,
}

/// Every run of a comparison, in (strategy, replication) order.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub plan: Plan,
    pub runs: Vec<RunResult>,
    pub horizon: crate::time::Nanos,
    pub interval: crate::time::Nanos,
}

impl Comparison {
    /// The runs of strategy `s`, in replication order.
    pub fn runs_of(&self, s: usize) -> &[RunResult] {
        let k = self.plan.replications as usize;
        &self.runs[s * k..(s + 1) * k]
    }
}

/// `scenario` with every compared group using `spec`.
pub fn with_strategy(scenario: &Scenario, spec: &StrategySpec, groups: &[usize]) -> Scenario {
    let mut sc = scenario.clone();
    for &g in groups {
        sc.groups[g].strategy = spec.clone();
    }
    sc
}

fn reduce(
    strategy: usize,
    replication: u32,
    seed: u64,
    groups: &[usize],
    sc: &Scenario,
    o: Outcome,
) -> RunResult {
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
    let lockouts: Vec<_> = keys
        .iter()
        .flat_map(|&k| o.lockouts[k as usize].iter().copied())
        .collect();
    stats.locked_out = crate::time::Nanos(lockouts.iter().map(|(s, e)| e.0 - s.0).sum());
    RunResult {
        strategy,
        replication,
        seed,
        stats,
        series,
        lockouts,
        events: o.events,
    }
}

/// Runs every (strategy, replication) pair on rayon's current pool, calling
/// `tick` after each run (for a progress bar).
pub fn run(
    scenario: &Scenario,
    plan: &Plan,
    tick: &(dyn Fn() + Sync),
) -> Result<Comparison, RunError> {
    let k = plan.replications;
    let variants: Vec<Scenario> = plan
        .strategies
        .iter()
        .map(|s| with_strategy(scenario, s, &plan.groups))
        .collect();
    let runs = (0..plan.strategies.len() * k as usize)
        .into_par_iter()
        .map(|i| {
            let (s, r) = (i / k as usize, (i % k as usize) as u32);
            let seed = plan.base_seed.wrapping_add(u64::from(r));
            let outcome = simulate_quiet(&variants[s], seed)?;
            tick();
            Ok(reduce(s, r, seed, &plan.groups, &variants[s], outcome))
        })
        .collect::<Result<Vec<_>, RunError>>()?;
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
) -> Result<Comparison, RunError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().expect("a thread pool can be built");
    pool.install(|| run(scenario, plan, tick))
}
