//! The break-point search: each [`Goal`] is swept over the grid of load
//! factors and bisected per replication ([`sweep_all`]), giving a
//! [`Sweep`] of points and one [`BreakPoint`] per goal.

use super::{point_of, Objective, Point, Scope, Settings};
use crate::experiment::{self, ExperimentError, Job, Round, Rounds, Variant};
use crate::outcome::Outcome;
use crate::stats::Estimate;
use std::collections::{BTreeMap, BTreeSet};

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
pub(super) type PlanJob = (usize, f64, u32);

/// Runs `jobs` as one round of `runner`, each base variant scaled to its
/// job's factor; points in job order. A job's identity is its base
/// variant's index and the factor's bits.
pub(super) fn run_points<R: Rounds>(
    runner: &R,
    label: &str,
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
    let identities: Vec<Vec<u8>> = jobs
        .iter()
        .map(|&(v, f, _)| [(v as u64).to_le_bytes(), f.to_bits().to_le_bytes()].concat())
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
    let round = Round {
        label,
        variants: &variants,
        identities: &identities,
        jobs: &runs,
        base_seed,
    };
    runner.round(round, &reduce, &|| tick(Progress::Done))
}

/// Sweeps each (label, scenario, goals) over the grid and bisects every
/// goal's bracket in every replication; all variants advance together so
/// each round fills the pool.
pub fn sweep_all(
    variants: &[(String, Variant, Vec<Goal>)],
    s: &Settings,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<Sweep>, ExperimentError> {
    sweep_rounds(&experiment::Local, "load", variants, s, tick)
}

/// [`sweep_all`] with each round through `runner`; `what` names the sweep
/// in round labels.
pub(super) fn sweep_rounds<R: Rounds>(
    runner: &R,
    what: &str,
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
    let label = format!("{what} grid");
    for (job, p) in jobs.iter().zip(run_points(
        runner,
        &label,
        &bases,
        &jobs,
        s.base_seed,
        tick,
    )?) {
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
    for step in 0..s.bisect_steps {
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
        let label = format!("{what} bisection step {}", step + 1);
        for (job, p) in jobs.iter().zip(run_points(
            runner,
            &label,
            &bases,
            &jobs,
            s.base_seed,
            tick,
        )?) {
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
