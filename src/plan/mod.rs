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
//! Runs are independent, so each round of the search goes to rayon's pool
//! and results are collected in a fixed order: the output is the same for
//! any number of threads.

pub use crate::objective::{Date, Measured, Objective, Term};

use crate::experiment::{self, outage_window, ExperimentError, Job, Variant};
use crate::outcome::{GroupStats, LockoutBlock, Outcome};
use crate::policy::{KeyId, LimitSpec, ModelId};
use crate::response::{Cause, CAUSES};
use crate::scenario::{Scenario, Workload};
use crate::service::Outage;
use crate::stats::Estimate;
use crate::strategy::StrategySpec;
use crate::time::Nanos;
use std::collections::{BTreeMap, BTreeSet};

/// Default sweep: 0.25x to 4x on a geometric grid of ratio sqrt(2).
pub fn default_factors() -> Vec<f64> {
    (0..=8)
        .map(|i| 0.25 * 2f64.powf(f64::from(i) / 2.0))
        .collect()
}

/// Limit multiples tried for "what limits would meet the objective".
pub const LIMIT_MULTIPLES: [u32; 8] = [2, 3, 4, 6, 8, 12, 16, 32];

/// Everything a plan needs besides the scenario, defaults applied.
#[derive(Clone, Debug)]
pub struct Settings {
    pub objective: Objective,
    /// Increasing; always contains 1 (today's load).
    pub factors: Vec<f64>,
    pub bisect_steps: u32,
    pub replications: u32,
    /// Replication r runs with seed `base_seed + r`.
    pub base_seed: u64,
    /// Monthly growth rate of the traffic.
    pub growth: f64,
    pub start_date: Date,
    /// Months ahead the growth projection (and the keys/limits advice) looks.
    pub horizon_months: u32,
    /// Candidate strategies for the strategy recommendation.
    pub candidates: Vec<StrategySpec>,
    /// Groups that take each candidate.
    pub groups: Vec<usize>,
    /// Length of the injected 503 burst of the lockout check.
    pub outage: Nanos,
}

impl Settings {
    /// The scenario's `[plan]` table over the defaults: objective 429 share
    /// <= 1%, p99 <= 60 s, nothing given up; factors 0.25x..4x; 4 bisection
    /// steps; 8 replications; 15% growth a month from the scenario's start
    /// date over 12 months; candidates from `[compare]` or
    /// [`default_candidates`]; a 2-minute outage.
    pub fn from_scenario(sc: &Scenario) -> Settings {
        let p = sc.plan.clone().unwrap_or_default();
        let mut factors = p.factors.unwrap_or_else(default_factors);
        if !factors.contains(&1.0) {
            factors.push(1.0);
            factors.sort_by(f64::total_cmp);
        }
        let candidates = if !p.candidates.is_empty() {
            p.candidates
        } else {
            sc.compare
                .as_ref()
                .map(|c| c.strategies.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(default_candidates)
        };
        Settings {
            objective: p.objective.unwrap_or_default(),
            factors,
            bisect_steps: p.bisect_steps.unwrap_or(4),
            replications: p.replications.unwrap_or(8),
            base_seed: sc.seed,
            growth: p.growth.unwrap_or(0.15),
            start_date: p
                .start_date
                .unwrap_or_else(|| Date::from_unix_ms(sc.clock.start_unix_ms)),
            horizon_months: p.horizon_months.unwrap_or(12),
            candidates,
            groups: sc
                .compare
                .as_ref()
                .map_or_else(|| (0..sc.groups.len()).collect(), |c| c.groups.clone()),
            outage: p.outage.unwrap_or(Nanos::from_secs(120)).min(sc.duration),
        }
    }

    /// The load factor at the end of the growth horizon.
    pub fn projected_factor(&self) -> f64 {
        (1.0 + self.growth).powf(f64::from(self.horizon_months))
    }
}

/// Full jitter, decorrelated, header-aware and plain exponential, each with
/// 1 s base, 60 s cap and 5 attempts.
pub fn default_candidates() -> Vec<StrategySpec> {
    [
        "kind = \"full-jitter\"",
        "kind = \"decorrelated\"",
        "kind = \"header-aware\"",
        "kind = \"exponential\"",
    ]
    .iter()
    .map(|k| {
        let text = format!("{k}\nbase = \"1s\"\ncap = \"60s\"\nmax_attempts = 5");
        let value = toml::Value::Table(text.parse().expect("static table"));
        crate::strategy::config::parse(&value).expect("static strategy")
    })
    .collect()
}

/// What one scope (all traffic, or one model's requests) measured in a run,
/// read from the engine's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScopeStats {
    pub arrivals: u64,
    pub attempts: u64,
    pub succeeded: u64,
    /// Given up or refused by the client.
    pub gave_up: u64,
    pub unservable: u64,
    pub in_flight: u64,
    /// 429s by cause, indexed like [`Cause::ALL`].
    pub rejected: [u64; CAUSES],
    pub errors_5xx: u64,
    /// Input + output tokens of successful requests.
    pub tokens: u64,
    pub p50_s: f64,
    pub p99_s: f64,
    /// Time the scope's keys were locked out (summed over keys).
    pub locked_out_s: f64,
    /// Keys the scope's requests used.
    pub keys: Vec<KeyId>,
}

impl ScopeStats {
    fn of(s: &GroupStats, keys: Vec<KeyId>) -> ScopeStats {
        ScopeStats {
            arrivals: s.arrivals,
            attempts: s.attempts,
            succeeded: s.succeeded,
            gave_up: s.gave_up_total() + s.refused_total(),
            unservable: s.unservable,
            in_flight: s.in_flight,
            rejected: s.rejected,
            errors_5xx: s.errors_5xx,
            tokens: s.tokens_in + s.tokens_out,
            p50_s: s.completion_quantile(0.5),
            p99_s: s.completion_quantile(0.99),
            locked_out_s: s.locked_out.as_secs_f64(),
            keys,
        }
    }

    pub fn share_429(&self) -> f64 {
        ratio(self.rejected.iter().sum(), self.attempts)
    }

    pub fn gave_up_share(&self) -> f64 {
        ratio(self.gave_up, self.arrivals)
    }

    pub fn measured(&self) -> Measured {
        Measured {
            share_429: self.share_429(),
            p99_s: self.p99_s,
            gave_up_share: self.gave_up_share(),
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Utilisation of one limit of one model in a run: admitted / capacity of
/// the busiest key.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitUse {
    pub model: ModelId,
    pub limit: LimitSpec,
    pub utilisation: f64,
    /// Attempts the limit refused, over all keys.
    pub refused: u64,
    /// Keys that sent to the model.
    pub keys: u32,
}

/// One simulated point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub factor: f64,
    pub replication: u32,
    pub seed: u64,
    pub all: ScopeStats,
    pub models: BTreeMap<ModelId, ScopeStats>,
    pub limits: Vec<LimitUse>,
    /// Seconds each key (by name) was locked out.
    pub key_lockout_s: Vec<(String, f64)>,
    /// Every lockout block of the run, with the groups that tripped it.
    pub lockouts: Vec<LockoutBlock>,
    pub events: u64,
}

impl Point {
    /// The stats of `scope` (zero when the model saw no request).
    pub fn scope(&self, scope: Scope) -> ScopeStats {
        match scope {
            Scope::All => self.all.clone(),
            Scope::Model(m) => self.models.get(&m).cloned().unwrap_or_default(),
        }
    }
}

/// All traffic, or one model's requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    All,
    Model(ModelId),
}

impl Scope {
    pub fn name(self, sc: &Scenario) -> String {
        match self {
            Scope::All => "all".to_string(),
            Scope::Model(m) => sc.policy.models[m as usize].id.clone(),
        }
    }
}

/// Simulates `scenario` at load `factor` with `seed` (one point of a sweep).
pub fn simulate_at(
    scenario: &Scenario,
    factor: f64,
    replication: u32,
    seed: u64,
) -> Result<Point, ExperimentError> {
    let variant = Variant::of(scenario).scaled(factor);
    let o = experiment::simulate(&variant, seed, &mut crate::outcome::NoSink)?;
    Ok(point_of(factor, replication, seed, o))
}

/// What the plan keeps of one run at load `factor`.
pub fn point_of(factor: f64, replication: u32, seed: u64, o: Outcome) -> Point {
    let models = o
        .models()
        .into_iter()
        .map(|m| (m, ScopeStats::of(&o.model_stats(m), o.keys_of(m))))
        .collect::<BTreeMap<_, _>>();
    let all = ScopeStats::of(&o.total, (0..o.keys.len() as KeyId).collect());
    let mut limits: Vec<LimitUse> = Vec::new();
    for u in &o.limits {
        let util = u.utilisation();
        match limits
            .iter_mut()
            .find(|l| l.model == u.model && l.limit == u.limit)
        {
            Some(l) => {
                l.utilisation = l.utilisation.max(util);
                l.refused += u.refused;
                l.keys += 1;
            }
            None => limits.push(LimitUse {
                model: u.model,
                limit: u.limit,
                utilisation: util,
                refused: u.refused,
                keys: 1,
            }),
        }
    }
    limits.sort_by_key(|l| (l.model, l.limit.counts, l.limit.window));
    Point {
        factor,
        replication,
        seed,
        all,
        models,
        limits,
        key_lockout_s: (0..o.keys.len())
            .map(|k| {
                let s = o.locked_out(std::iter::once(k as KeyId)).as_secs_f64();
                (o.keys[k].clone(), s)
            })
            .collect(),
        lockouts: o.lockouts,
        events: o.events,
    }
}

/// A scope held to an objective.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Goal {
    pub scope: Scope,
    pub objective: Objective,
}

/// The search of one goal in one replication.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Search {
    /// Largest factor found to hold (None: even the smallest breaks it).
    pub held: Option<f64>,
    /// Smallest factor found to break it (None: even the largest holds).
    pub broke: Option<f64>,
}

impl Search {
    /// The replication's break point: 0 when out of reach, else the largest
    /// factor that held.
    pub fn value(&self) -> f64 {
        self.held.unwrap_or(0.0)
    }
}

/// A break point over replications.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakPoint {
    pub goal: Goal,
    pub searches: Vec<Search>,
    pub estimate: Estimate,
}

impl BreakPoint {
    fn new(goal: Goal, searches: Vec<Search>) -> BreakPoint {
        let values: Vec<f64> = searches.iter().map(Search::value).collect();
        BreakPoint {
            goal,
            estimate: Estimate::of(&values),
            searches,
        }
    }

    /// Replications in which the smallest factor already broke the objective.
    pub fn below_sweep(&self) -> usize {
        self.searches.iter().filter(|s| s.held.is_none()).count()
    }

    /// Replications in which the largest factor still held.
    pub fn above_sweep(&self) -> usize {
        self.searches.iter().filter(|s| s.broke.is_none()).count()
    }

    /// Whether most replications break the objective even at the smallest factor.
    pub fn unreachable(&self) -> bool {
        2 * self.below_sweep() > self.searches.len()
    }
}

/// One scenario variant swept for a set of goals.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// "configured", or a candidate strategy's name.
    pub label: String,
    pub goals: Vec<Goal>,
    /// Every simulated point, in (factor, replication) order.
    pub points: Vec<Point>,
    /// One per goal, in goal order.
    pub breakpoints: Vec<BreakPoint>,
}

impl Sweep {
    /// The points at `factor`, in replication order.
    pub fn at(&self, factor: f64) -> Vec<&Point> {
        self.points.iter().filter(|p| p.factor == factor).collect()
    }

    /// The point of `replication` at `factor`.
    pub fn point(&self, factor: f64, replication: u32) -> Option<&Point> {
        self.points
            .iter()
            .find(|p| p.factor == factor && p.replication == replication)
    }
}

/// Progress events for a progress bar.
#[derive(Clone, Copy, Debug)]
pub enum Progress {
    /// This many more runs are about to start.
    Planned(u64),
    /// One run finished.
    Done,
}

/// One run of the plan: base variant (by index) at a load factor, in a
/// replication.
type PlanJob = (usize, f64, u32);

/// Runs `jobs` through the experiment layer, each base variant scaled to
/// its job's factor; points in job order.
fn run_points(
    bases: &[&Variant],
    jobs: &[PlanJob],
    base_seed: u64,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<Point>, ExperimentError> {
    tick(Progress::Planned(jobs.len() as u64));
    let variants: Vec<Variant> = jobs
        .iter()
        .map(|&(v, f, _)| bases[v].clone().scaled(f))
        .collect();
    let runs: Vec<Job> = jobs
        .iter()
        .enumerate()
        .map(|(i, &(_, _, replication))| Job {
            variant: i,
            replication,
        })
        .collect();
    let reduce = |job: &Job, o: Outcome| {
        let seed = experiment::replication_seed(base_seed, job.replication);
        point_of(jobs[job.variant].1, job.replication, seed, o)
    };
    experiment::run_jobs(&variants, &runs, base_seed, &reduce, &|| {
        tick(Progress::Done)
    })
}

/// Sweeps each (label, scenario, goals) over the grid and bisects every
/// goal's bracket in every replication; all variants advance together so
/// each round fills the pool.
pub fn sweep_all(
    variants: &[(String, Variant, Vec<Goal>)],
    s: &Settings,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<Sweep>, ExperimentError> {
    let bases: Vec<&Variant> = variants.iter().map(|(_, v, _)| v).collect();
    let k = s.replications;
    // (variant, factor bits, replication) -> point; factors are positive, so
    // their bit patterns sort like the numbers.
    let mut done: BTreeMap<(usize, u64, u32), Point> = BTreeMap::new();
    let mut jobs: Vec<PlanJob> = Vec::new();
    for v in 0..variants.len() {
        for &f in &s.factors {
            for r in 0..k {
                jobs.push((v, f, r));
            }
        }
    }
    let held = |done: &BTreeMap<(usize, u64, u32), Point>, v: usize, g: &Goal, f: f64, r| {
        g.objective
            .meets(&done[&(v, f.to_bits(), r)].scope(g.scope).measured())
    };
    for (job, p) in jobs
        .iter()
        .zip(run_points(&bases, &jobs, s.base_seed, tick)?)
    {
        done.insert((job.0, job.1.to_bits(), job.2), p);
    }
    // The grid walk: the first factor that breaks, and the one before it.
    let mut searches: Vec<Vec<Vec<Search>>> = variants
        .iter()
        .enumerate()
        .map(|(v, (_, _, goals))| {
            goals
                .iter()
                .map(|g| {
                    (0..k)
                        .map(
                            |r| match s.factors.iter().position(|&f| !held(&done, v, g, f, r)) {
                                None => Search {
                                    held: s.factors.last().copied(),
                                    broke: None,
                                },
                                Some(0) => Search {
                                    held: None,
                                    broke: Some(s.factors[0]),
                                },
                                Some(i) => Search {
                                    held: Some(s.factors[i - 1]),
                                    broke: Some(s.factors[i]),
                                },
                            },
                        )
                        .collect()
                })
                .collect()
        })
        .collect();
    for _ in 0..s.bisect_steps {
        let mut wanted: BTreeSet<(usize, u64, u32)> = BTreeSet::new();
        for (v, goals) in searches.iter().enumerate() {
            for reps in goals {
                for (r, search) in reps.iter().enumerate() {
                    if let (Some(lo), Some(hi)) = (search.held, search.broke) {
                        let mid = (lo * hi).sqrt();
                        if !done.contains_key(&(v, mid.to_bits(), r as u32)) {
                            wanted.insert((v, mid.to_bits(), r as u32));
                        }
                    }
                }
            }
        }
        let jobs: Vec<PlanJob> = wanted
            .iter()
            .map(|&(v, f, r)| (v, f64::from_bits(f), r))
            .collect();
        for (job, p) in jobs
            .iter()
            .zip(run_points(&bases, &jobs, s.base_seed, tick)?)
        {
            done.insert((job.0, job.1.to_bits(), job.2), p);
        }
        for (v, goals) in searches.iter_mut().enumerate() {
            for (g, reps) in goals.iter_mut().enumerate() {
                let goal = &variants[v].2[g];
                for (r, search) in reps.iter_mut().enumerate() {
                    if let (Some(lo), Some(hi)) = (search.held, search.broke) {
                        let mid = (lo * hi).sqrt();
                        if held(&done, v, goal, mid, r as u32) {
                            search.held = Some(mid);
                        } else {
                            search.broke = Some(mid);
                        }
                    }
                }
            }
        }
    }
    let mut points: Vec<Vec<Point>> = vec![Vec::new(); variants.len()];
    for ((v, _, _), p) in done {
        points[v].push(p);
    }
    Ok(variants
        .iter()
        .zip(points)
        .zip(searches)
        .map(|(((label, _, goals), points), searches)| Sweep {
            label: label.clone(),
            goals: goals.clone(),
            points,
            breakpoints: goals
                .iter()
                .zip(searches)
                .map(|(g, s)| BreakPoint::new(*g, s))
                .collect(),
        })
        .collect())
}

/// Which of a scope's own limits refuses first as the load grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    Limit(LimitSpec),
    Neither,
}

impl Binding {
    pub fn label(self) -> String {
        match self {
            Binding::Limit(l) => l.label(),
            Binding::Neither => "neither".to_string(),
        }
    }

    pub fn is_tokens(self) -> bool {
        matches!(self, Binding::Limit(l) if l.counts == crate::policy::Counts::Tokens)
    }
}

/// What makes a scope break its objective, read off the run at the first
/// load that broke it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mechanism {
    /// One of the scope's own limits refused most of the failed attempts.
    Limit(String),
    /// The abuse lockout of a key the scope uses: `groups` are the client
    /// groups whose counted failures tripped it.
    Lockout { key: String, groups: Vec<String> },
    /// The model answered overloaded.
    Overload,
    /// 500/503 faults or outages.
    Faults,
    /// Slow answers or give-ups with no refusal or fault behind them.
    Latency,
}

impl Mechanism {
    pub fn describe(&self) -> String {
        match self {
            Mechanism::Limit(l) => format!("its {l} limit"),
            Mechanism::Lockout { key, groups } => format!(
                "abuse lockout of key {key}, tripped by the failures of {}",
                groups.join(", ")
            ),
            Mechanism::Overload => "model overload".to_string(),
            Mechanism::Faults => "5xx faults".to_string(),
            Mechanism::Latency => "slow answers".to_string(),
        }
    }

    /// Whether pacing the scope's own requests below its limits can avoid it.
    pub fn pacing_helps(&self) -> bool {
        matches!(self, Mechanism::Limit(_))
    }
}

/// The mechanism behind `scope`'s failures in `p`.
fn mechanism_at(sc: &Scenario, p: &Point, scope: Scope) -> Mechanism {
    let st = p.scope(scope);
    let limit_429 = st.rejected[Cause::Requests.index()]
        + st.rejected[Cause::RequestsPerDay.index()]
        + st.rejected[Cause::Tokens.index()];
    let lockout_429 = st.rejected[Cause::Lockout.index()];
    let overload = st.rejected[Cause::Overloaded.index()];
    let biggest = limit_429.max(lockout_429).max(overload).max(st.errors_5xx);
    if biggest == 0 {
        return Mechanism::Latency;
    }
    if lockout_429 == biggest {
        // The key the scope uses that was locked longest, and who locked it.
        let key = st
            .keys
            .iter()
            .copied()
            .max_by_key(|&k| {
                p.lockouts
                    .iter()
                    .filter(|b| b.key == k)
                    .map(|b| b.length().0)
                    .sum::<u64>()
            })
            .expect("a lockout refusal comes from a key the scope uses");
        let groups: BTreeSet<u32> = p
            .lockouts
            .iter()
            .filter(|b| b.key == key)
            .flat_map(|b| b.groups.iter().copied())
            .collect();
        return Mechanism::Lockout {
            key: sc
                .keys
                .get(key as usize)
                .cloned()
                .unwrap_or_else(|| key.to_string()),
            groups: groups
                .into_iter()
                .map(|g| sc.groups[g as usize].name.clone())
                .collect(),
        };
    }
    if limit_429 == biggest {
        let limit = p
            .limits
            .iter()
            .filter(|l| match scope {
                Scope::All => true,
                Scope::Model(m) => l.model == m,
            })
            .max_by_key(|l| l.refused)
            .map(|l| l.limit.label())
            .unwrap_or_else(|| "rate".to_string());
        return Mechanism::Limit(limit);
    }
    if overload == biggest {
        Mechanism::Overload
    } else {
        Mechanism::Faults
    }
}

/// Everything `ratesim plan` simulated.
#[derive(Clone, Debug)]
pub struct PlanResult {
    pub settings: Settings,
    /// Models that saw traffic, in model order.
    pub models: Vec<ModelId>,
    /// The scenario as configured: goals are the objective overall, the
    /// objective per model, then "no 429 at all" per model (pacing).
    pub main: Sweep,
    /// One sweep per candidate strategy, goal: the objective overall.
    pub candidates: Vec<Sweep>,
    /// Today's load with an injected 503 outage, one point per replication.
    pub outage: Vec<Point>,
    /// The injected outage of the lockout check.
    pub outage_window: Outage,
    /// At the projected load, every limit times k: (k, points by replication).
    pub limits: Vec<(u32, Vec<Point>)>,
    /// When some model breaks by an abuse lockout of a shared key: the
    /// scenario with every group on a key of its own, swept for the
    /// objective per model.
    pub own_keys: Option<Sweep>,
}

impl PlanResult {
    /// The main sweep's break point of `scope` under the objective.
    pub fn breakpoint(&self, scope: Scope) -> &BreakPoint {
        self.main
            .breakpoints
            .iter()
            .find(|b| b.goal.scope == scope && b.goal.objective == self.settings.objective)
            .expect("every scope has a goal")
    }

    /// The largest factor with no 429 at all for model `m`.
    pub fn zero_429(&self, m: ModelId) -> &BreakPoint {
        self.main
            .breakpoints
            .iter()
            .find(|b| b.goal.scope == Scope::Model(m) && b.goal.objective == no_429())
            .expect("every model has a pacing goal")
    }

    /// Today's points (factor 1), by replication.
    pub fn today(&self) -> Vec<&Point> {
        self.main.at(1.0)
    }

    /// Which limit binds first for `scope`: at the smallest grid factor
    /// where any of the scope's own limits refuses an attempt (over all
    /// replications), the limit that refused most; neither when none does in
    /// the sweep. Looking at the limits' own refusals rather than at the
    /// break point keeps the answer about the model's limits when something
    /// else (an abuse lockout caused by other traffic on the key) breaks it
    /// first; [`PlanResult::mechanisms`] says what does.
    pub fn binding(&self, scope: Scope) -> Binding {
        for &f in &self.settings.factors {
            let mut refused: Vec<(LimitSpec, u64)> = Vec::new();
            for p in self.main.at(f) {
                for l in &p.limits {
                    if matches!(scope, Scope::Model(m) if m != l.model) || l.refused == 0 {
                        continue;
                    }
                    match refused.iter_mut().find(|(s, _)| *s == l.limit) {
                        Some((_, n)) => *n += l.refused,
                        None => refused.push((l.limit, l.refused)),
                    }
                }
            }
            if let Some((limit, _)) = refused.iter().max_by_key(|(_, n)| *n) {
                return Binding::Limit(*limit);
            }
        }
        Binding::Neither
    }

    /// What breaks `scope`'s objective, with how many replications showed
    /// it at their first breaking factor, most frequent first.
    pub fn mechanisms(&self, sc: &Scenario, scope: Scope) -> Vec<(Mechanism, usize)> {
        let bp = self.breakpoint(scope);
        let mut counts: BTreeMap<Mechanism, usize> = BTreeMap::new();
        for (r, s) in bp.searches.iter().enumerate() {
            let Some(p) = s.broke.and_then(|f| self.main.point(f, r as u32)) else {
                continue;
            };
            *counts.entry(mechanism_at(sc, p, scope)).or_default() += 1;
        }
        let mut v: Vec<(Mechanism, usize)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The main mechanism of `scope`'s break (None when it never breaks in
    /// the sweep).
    pub fn mechanism(&self, sc: &Scenario, scope: Scope) -> Option<Mechanism> {
        self.mechanisms(sc, scope)
            .into_iter()
            .next()
            .map(|(m, _)| m)
    }

    /// What stops `scope` from reaching zero 429s (the pacing goal) at its
    /// first breaking factor, most frequent over replications.
    pub fn pacing_mechanism(&self, sc: &Scenario, m: ModelId) -> Option<Mechanism> {
        let z = self.zero_429(m);
        let mut counts: BTreeMap<Mechanism, usize> = BTreeMap::new();
        for (r, s) in z.searches.iter().enumerate() {
            if let Some(p) = s.broke.and_then(|f| self.main.point(f, r as u32)) {
                *counts
                    .entry(mechanism_at(sc, p, Scope::Model(m)))
                    .or_default() += 1;
            }
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(m, _)| m)
    }

    /// The break point of `scope` with every group on its own key, when that
    /// sweep ran.
    pub fn own_keys_breakpoint(&self, scope: Scope) -> Option<&BreakPoint> {
        self.own_keys
            .as_ref()?
            .breakpoints
            .iter()
            .find(|b| b.goal.scope == scope)
    }

    /// What goes wrong first for `scope`, with how many replications showed
    /// it at their first breaking factor: the objective's terms, and the
    /// abuse lockout when it appeared there but not at the factor that held.
    pub fn symptoms(&self, scope: Scope) -> Vec<(String, usize)> {
        let bp = self.breakpoint(scope);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (r, s) in bp.searches.iter().enumerate() {
            let Some(broke) = s.broke else { continue };
            let Some(p) = self.main.point(broke, r as u32) else {
                continue;
            };
            let st = p.scope(scope);
            for t in self.settings.objective.broken(&st.measured()) {
                let text = match t {
                    Term::Share429 => format!("429 share ({})", main_cause(&st)),
                    other => other.symptom().to_string(),
                };
                *counts.entry(text).or_default() += 1;
            }
            let before = s
                .held
                .and_then(|h| self.main.point(h, r as u32))
                .map_or(0.0, |p| p.scope(scope).locked_out_s);
            if st.locked_out_s > 0.0 && before == 0.0 {
                *counts.entry("abuse lockout".to_string()).or_default() += 1;
            }
        }
        let mut v: Vec<(String, usize)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The smallest limit multiple at which `scope` meets the objective at
    /// the projected load in every replication (1 when its break point
    /// already covers the projection; None when no multiple tried does).
    pub fn limit_multiple(&self, scope: Scope) -> Option<u32> {
        let projected = self.settings.projected_factor();
        let bp = self.breakpoint(scope);
        if bp.searches.iter().all(|s| s.value() >= projected) {
            return Some(1);
        }
        self.limits
            .iter()
            .find(|(_, pts)| {
                pts.iter()
                    .all(|p| self.settings.objective.meets(&p.scope(scope).measured()))
            })
            .map(|(k, _)| *k)
    }

    /// Mean over replications of `f` of today's scope stats.
    pub fn today_mean(&self, scope: Scope, f: impl Fn(&ScopeStats) -> f64) -> f64 {
        let pts = self.today();
        pts.iter().map(|p| f(&p.scope(scope))).sum::<f64>() / pts.len().max(1) as f64
    }

    /// Mean utilisation today of each limit of model `m` (busiest key).
    pub fn utilisation_today(&self, m: ModelId) -> Vec<(LimitSpec, f64)> {
        let pts = self.today();
        let mut out: Vec<(LimitSpec, f64)> = Vec::new();
        for p in &pts {
            for l in p.limits.iter().filter(|l| l.model == m) {
                match out.iter_mut().find(|(s, _)| *s == l.limit) {
                    Some((_, u)) => *u += l.utilisation,
                    None => out.push((l.limit, l.utilisation)),
                }
            }
        }
        for (_, u) in &mut out {
            *u /= pts.len().max(1) as f64;
        }
        out
    }

    /// The date load crosses break point factor `bp` at the settings'
    /// growth: None when it never does (no growth); the start date when
    /// today's load is already past it.
    pub fn crossing(&self, bp: f64) -> Option<(f64, Date)> {
        let g = self.settings.growth;
        if bp < 1.0 || bp == 0.0 {
            return Some((0.0, self.settings.start_date));
        }
        if g <= 0.0 {
            return None;
        }
        let months = bp.ln() / (1.0 + g).ln();
        Some((months, self.settings.start_date.plus_months(months)))
    }
}

/// The cause of most of a scope's 429s, in words.
fn main_cause(s: &ScopeStats) -> &'static str {
    let i = (0..CAUSES)
        .max_by_key(|&i| (s.rejected[i], CAUSES - i))
        .expect("five causes");
    match Cause::ALL[i] {
        Cause::Requests => "mostly RPM",
        Cause::RequestsPerDay => "mostly RPD",
        Cause::Tokens => "mostly TPM",
        Cause::Lockout => "mostly abuse lockout",
        Cause::Overloaded => "mostly overload",
    }
}

/// The pacing goal: no 429 of any cause.
pub fn no_429() -> Objective {
    Objective {
        max_share_429: Some(0.0),
        max_p99: None,
        max_gave_up: None,
    }
}

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
    let base = Variant::of(scenario);
    // Trace groups name their models in the trace: one run at today's load finds them.
    let mut models = synthetic_models(scenario);
    if scenario
        .groups
        .iter()
        .any(|g| matches!(g.workload, Workload::Trace { .. }))
    {
        let p = run_points(&[&base], &[(0, 1.0, 0)], settings.base_seed, tick)?;
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
    let mut sweeps = sweep_all(&variants, settings, tick)?.into_iter();
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
    let mut points = run_points(&bases, &jobs, settings.base_seed, tick)?.into_iter();
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
        result.own_keys = sweep_all(&[(label, split, goals)], settings, tick)?.pop();
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
    experiment::with_pool(threads, || run(scenario, settings, tick))
}
