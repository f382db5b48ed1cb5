//! `ratesim plan`: how much traffic a scenario can take, what breaks first,
//! and what to change.
//!
//! The whole scenario's offered load is scaled by a factor (1 is today's
//! traffic) and simulated over a sweep of factors, each with the same
//! replication seeds (common random numbers: replication r meets the same
//! arrival draws at every factor, only closer together or further apart).
//! Scaling by `f`:
//! - open-loop groups multiply every arrival rate by `f`
//!   ([`ArrivalSpec::scaled`]);
//! - closed-loop groups get `round(workers * f)` workers, at least one (a
//!   closed loop's load is its concurrency);
//! - trace groups are time-compressed: a row recorded at `t` arrives at
//!   `t / f` ([`TimeScaled`]). The run keeps its duration, so above 1 the
//!   trace ends early and below 1 its tail falls past the end.
//!
//! **Break points.** For each replication separately, the search walks the
//! grid of factors upwards to the first one that breaks the objective, then
//! bisects (geometrically, a fixed number of steps) between it and the last
//! one that held. The replication's break point is the largest factor that
//! held. The reported break point is the mean over replications with a
//! Student-t 95% interval: replications are independent hours of traffic,
//! so the spread of their break points is the honest uncertainty of "how
//! much can we send", including the luck of bursts, which an interval on a
//! metric at two fixed factors would hide. Because each replication's
//! metrics are a fixed function of the factor, a more permissive objective
//! passes wherever a stricter one does, so it can never find a lower break
//! point (the bisection keeps this; tested). A replication that fails even
//! at the smallest factor counts as 0 and the report says the objective is
//! out of reach there; one that holds at the largest counts as the largest
//! (a lower bound). The search is bounded: grid plus `bisect_steps` rounds.
//!
//! Each break point is found per model (the model's own requests, every
//! model scaled together) and overall. Everything else the report says
//! (binding limit, symptom, pacing rate, strategy, keys, lockout risk) comes
//! from further simulations listed in [`PlanResult`].
//!
//! Runs are independent, so each round of the search goes to an
//! [`experiment::Rounds`] runner (rayon's pool here, [`run`]; or shards
//! that exchange each round's results, [`run_rounds`] with the binary's
//! sharded runner) and results are collected in a fixed order: the output
//! is the same for any number of threads or shards.

mod answers;
mod measure;
mod partner;
mod record;
mod search;
mod settings;

pub use crate::objective::{Date, Measured, Objective, Term};
pub use answers::{no_429, Binding, Mechanism, PlanResult};
pub use measure::{point_of, simulate_at, LimitUse, Point, Scope, ScopeStats};
pub use partner::NeededLimits;
pub use search::{sweep_all, BreakPoint, Goal, Progress, Search, Sweep};
pub use settings::{default_candidates, default_factors, Settings, LIMIT_MULTIPLES};

use crate::experiment::{self, outage_window, ExperimentError, Local, Rounds, Variant};
use crate::policy::ModelId;
use crate::scenario::{Scenario, Workload};
use search::{run_points, PlanJob};
use std::collections::BTreeSet;

/// Models the scenario's synthetic groups send to, in model order.
fn synthetic_models(sc: &Scenario) -> BTreeSet<ModelId> {
    sc.groups
        .iter()
        .filter_map(|g| match &g.workload {
            Workload::Synthetic(s) => Some(s.models.iter().map(|(m, _)| *m)),
            Workload::Trace { .. } => None,
        })
        .flatten()
        .collect()
}

/// Runs the whole plan on rayon's current pool.
pub fn run(
    scenario: &Scenario,
    settings: &Settings,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<PlanResult, ExperimentError> {
    run_rounds(scenario, settings, &Local, tick)
}

/// Runs the whole plan, each round through `runner`.
pub fn run_rounds<R: Rounds>(
    scenario: &Scenario,
    settings: &Settings,
    runner: &R,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<PlanResult, ExperimentError> {
    let base = Variant::of(scenario);
    // Trace groups name their models in the trace: one run at today's load finds them.
    let mut models = synthetic_models(scenario);
    if scenario
        .groups
        .iter()
        .any(|g| matches!(g.workload, Workload::Trace { .. }))
    {
        let probe = [(0, 1.0, 0)];
        let p = run_points(
            runner,
            "trace models",
            &[&base],
            &probe,
            settings.base_seed,
            tick,
        )?;
        models.extend(p[0].models.keys());
    }
    let models: Vec<ModelId> = models.into_iter().collect();
    let per_model = |objective: Objective| {
        models.iter().map(move |&m| Goal {
            scope: Scope::Model(m),
            objective,
        })
    };
    let overall = Goal {
        scope: Scope::All,
        objective: settings.objective,
    };
    let mut goals = vec![overall];
    goals.extend(per_model(settings.objective));
    goals.extend(per_model(no_429()));
    let mut variants = vec![("configured".to_string(), base.clone(), goals)];
    for c in &settings.candidates {
        variants.push((
            c.name.clone(),
            base.clone().with_strategy(c, &settings.groups),
            vec![overall],
        ));
    }
    let mut sweeps = search::sweep_rounds(runner, "load", &variants, settings, tick)?.into_iter();
    let main = sweeps.next().expect("the configured sweep");
    let candidates: Vec<Sweep> = sweeps.collect();

    // The analysis runs: today's load with an outage, the projected load
    // with every limit raised.
    let k = settings.replications;
    let outage = base.clone().with_outage(settings.outage);
    let raised: Vec<Variant> = LIMIT_MULTIPLES
        .iter()
        .map(|&m| base.clone().limits_times(m))
        .collect();
    let mut bases: Vec<&Variant> = vec![&outage];
    bases.extend(raised.iter());
    let projected = settings.projected_factor();
    let mut jobs: Vec<PlanJob> = (0..k).map(|r| (0, 1.0, r)).collect();
    for v in 1..bases.len() {
        jobs.extend((0..k).map(|r| (v, projected, r)));
    }
    let mut points =
        run_points(runner, "analysis", &bases, &jobs, settings.base_seed, tick)?.into_iter();
    let outage_points: Vec<Point> = points.by_ref().take(k as usize).collect();
    let limits = LIMIT_MULTIPLES
        .iter()
        .map(|&m| (m, points.by_ref().take(k as usize).collect()))
        .collect();
    let mut result = PlanResult {
        settings: settings.clone(),
        models: models.clone(),
        main,
        candidates,
        outage: outage_points,
        outage_window: outage_window(scenario, settings.outage),
        limits,
        own_keys: None,
    };
    // A lockout of a shared key: would keys of their own help?
    let shared_lockout = result.models.iter().any(|&m| {
        matches!(
            result.mechanism(scenario, Scope::Model(m)),
            Some(Mechanism::Lockout { .. })
        )
    });
    if shared_lockout && shares_keys(scenario) {
        let all: Vec<usize> = (0..scenario.groups.len()).collect();
        let split = base.own_keys(&all);
        let goals: Vec<Goal> = per_model(settings.objective).collect();
        let label = "own keys".to_string();
        let own = [(label, split, goals)];
        result.own_keys = search::sweep_rounds(runner, "own keys", &own, settings, tick)?.pop();
    }
    Ok(result)
}

/// Whether two synthetic groups share a key.
fn shares_keys(sc: &Scenario) -> bool {
    let mut seen = BTreeSet::new();
    sc.groups
        .iter()
        .filter(|g| matches!(g.workload, Workload::Synthetic(_)))
        .any(|g| !seen.insert(g.key))
}

/// Runs the plan on a pool of `threads` threads (all cores when `None`).
pub fn run_with_threads(
    scenario: &Scenario,
    settings: &Settings,
    threads: Option<usize>,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<PlanResult, ExperimentError> {
    run_rounds_with_threads(scenario, settings, &Local, threads, tick)
}

/// Runs the plan's rounds through `runner` on a pool of `threads` threads.
pub fn run_rounds_with_threads<R: Rounds>(
    scenario: &Scenario,
    settings: &Settings,
    runner: &R,
    threads: Option<usize>,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<PlanResult, ExperimentError> {
    experiment::with_pool(threads, || run_rounds(scenario, settings, runner, tick))
}
