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
//!
//! A comparison shards like a sweep (`--shard K/N`): its units are the
//! (strategy, replication) pairs, each hashed (FNV-1a) over the strategy's
//! full composition as scenario TOML (name and every parameter, so a
//! changed strategy list never lands on the same hashes) and the
//! replication; a unit's seed depends on its replication only, so a unit
//! measures the same numbers whichever shard runs it.

use crate::experiment::shard::{fnv1a, fnv1a_more, Shard};
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

impl Plan {
    /// The canonical identity of strategy `s`: its whole composition as
    /// the inline TOML table a scenario would hold (name and every
    /// parameter).
    pub fn strategy_identity(&self, s: usize) -> String {
        crate::strategy::presets::to_toml(&self.strategies[s])
    }

    /// The stable hash of the unit (strategy `job.variant`, replication
    /// `job.replication`): FNV-1a over the strategy identity's length
    /// (u64) and bytes, then the replication (u32), little-endian.
    pub fn unit_hash(&self, job: Job) -> u64 {
        let id = self.strategy_identity(job.variant);
        let h = fnv1a(&(id.len() as u64).to_le_bytes());
        let h = fnv1a_more(h, id.as_bytes());
        fnv1a_more(h, &job.replication.to_le_bytes())
    }

    /// The units of `shard` (every unit when `None`), in (strategy,
    /// replication) order.
    pub fn jobs_of(&self, shard: Option<Shard>) -> Vec<Job> {
        (0..self.strategies.len())
            .flat_map(|variant| {
                (0..self.replications).map(move |replication| Job {
                    variant,
                    replication,
                })
            })
            .filter(|&j| shard.map_or(true, |s| s.holds(self.unit_hash(j))))
            .collect()
    }

    /// The hash of the whole comparison: the scenario file's hash
    /// (`scenario`), every strategy identity, the replications, the
    /// compared groups and the base seed, so parts of different
    /// comparisons never merge.
    pub fn hash(&self, scenario: u64) -> u64 {
        let mut h = fnv1a(b"ratesim-compare-v1");
        h = fnv1a_more(h, &scenario.to_le_bytes());
        h = fnv1a_more(h, &(self.strategies.len() as u64).to_le_bytes());
        for s in 0..self.strategies.len() {
            let id = self.strategy_identity(s);
            h = fnv1a_more(h, &(id.len() as u64).to_le_bytes());
            h = fnv1a_more(h, id.as_bytes());
        }
        h = fnv1a_more(h, &self.replications.to_le_bytes());
        h = fnv1a_more(h, &(self.groups.len() as u64).to_le_bytes());
        for &g in &self.groups {
            h = fnv1a_more(h, &(g as u64).to_le_bytes());
        }
        fnv1a_more(h, &self.base_seed.to_le_bytes())
    }
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
    /// The comparison of `plan` on `scenario` from every run, in
    /// (strategy, replication) order.
    pub fn of(scenario: &Scenario, plan: Plan, runs: Vec<RunResult>) -> Comparison {
        Comparison {
            plan,
            runs,
            horizon: scenario.horizon(),
            interval: scenario.interval,
        }
    }

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

/// Runs the units `jobs` (strategy, replication) on rayon's current pool,
/// calling `tick` after each run (for a progress bar); the results in the
/// order of `jobs`.
pub fn run_units(
    scenario: &Scenario,
    plan: &Plan,
    jobs: &[Job],
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<RunResult>, ExperimentError> {
    let variants: Vec<Variant> = plan
        .strategies
        .iter()
        .map(|s| Variant::of(scenario).with_strategy(s, &plan.groups))
        .collect();
    let reduce = |job: &Job, o: Outcome| {
        let seed = experiment::replication_seed(plan.base_seed, job.replication);
        reduce(job, seed, &plan.groups, &variants[job.variant].scenario, o)
    };
    experiment::run_jobs(&variants, jobs, plan.base_seed, &reduce, tick)
}

/// Runs every (strategy, replication) pair on rayon's current pool, calling
/// `tick` after each run (for a progress bar).
pub fn run(
    scenario: &Scenario,
    plan: &Plan,
    tick: &(dyn Fn() + Sync),
) -> Result<Comparison, ExperimentError> {
    let runs = run_units(scenario, plan, &plan.jobs_of(None), tick)?;
    Ok(Comparison::of(scenario, plan.clone(), runs))
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

/// Runs the units `jobs` on a pool of `threads` threads (all cores when
/// `None`).
pub fn run_units_with_threads(
    scenario: &Scenario,
    plan: &Plan,
    jobs: &[Job],
    threads: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<RunResult>, ExperimentError> {
    experiment::with_pool(threads, || run_units(scenario, plan, jobs, tick))
}
