//! `ratesim tune`: the best numeric parameters of a strategy for a workload,
//! under an objective.
//!
//! The search is successive halving over a Latin hypercube: `N` candidates
//! (the strategy's own values plus `N - 1` design points) each run
//! `r` replications; the best third by the goal run to `3r`; the best third
//! of those to `9r` (three rounds, fewer when fewer candidates remain). A
//! noisy objective is thus judged on few runs where candidates differ
//! widely and on many where they are close. Every candidate of a round runs
//! the same replications (seeds `seed + 0..r`), so two candidates always
//! meet identical open-loop workloads (common random numbers), and a
//! later round adds replications to the earlier ones rather than starting
//! again. The strategy's own values run in every round, ranked or not, so
//! the best is compared with them on the same replications.
//!
//! A round is a list of (candidate, replication) units handed to an
//! [`experiment::Rounds`] runner and collected in unit order, so the result
//! is the same on any number of threads. Rounds depend on the ranking of
//! the round before, so a sharded tune shards each round and exchanges its
//! results before the next ([`run_rounds`] with the binary's sharded
//! runner; docs/distributed.md); [`run`] runs every round here.

mod design;
mod measure;
mod settings;

pub use measure::{dominates, RunMetrics, Summary, METRICS};
pub use settings::{DEFAULT_BUDGET, DEFAULT_REPLICATIONS};

use crate::experiment::{self, ExperimentError, Job, Local, Round, Rounds, Variant};
use crate::objective::Constraint;
use crate::outcome::Outcome;
use crate::scenario::Scenario;
use crate::stats::Estimate;
use crate::strategy::config::Space;
use crate::strategy::StrategySpec;

/// Rounds of halving at most.
pub const ROUNDS: usize = 3;
/// The share of a round's candidates the next round keeps: one in `ETA`,
/// with `ETA` times the replications.
pub const ETA: usize = 3;
/// Most candidates a design may hold.
pub const MAX_CANDIDATES: usize = 729;

/// What to search and how.
#[derive(Clone, Debug)]
pub struct Settings {
    pub space: Space,
    /// Groups that take each candidate.
    pub groups: Vec<usize>,
    pub constraint: Constraint,
    /// Most runs the search may use.
    pub budget: u32,
    /// Replications of the first round.
    pub replications: u32,
    pub base_seed: u64,
}

/// One candidate: its parameter values (in the space's order) and the
/// strategy they make, or why they make none.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// 0 is the strategy's own values.
    pub id: usize,
    pub values: Vec<f64>,
    pub spec: Result<StrategySpec, String>,
    /// Every run so far, in replication order.
    pub runs: Vec<RunMetrics>,
}

impl Candidate {
    pub fn label(&self) -> String {
        if self.id == 0 {
            "defaults".to_string()
        } else {
            format!("c{}", self.id)
        }
    }

    pub fn summary(&self) -> Summary {
        Summary::of(&self.runs)
    }
}

/// One candidate's standing after one round.
#[derive(Clone, Debug)]
pub struct Standing {
    pub round: usize,
    pub candidate: usize,
    /// Replications its estimates cover.
    pub replications: u32,
    pub summary: Summary,
    pub broken: Vec<&'static str>,
    /// Its place among the round's ranked candidates (1 is best); `None`
    /// for the defaults when they only run along as the reference.
    pub rank: Option<usize>,
    /// Kept for the next round.
    pub advanced: bool,
}

/// A finished search.
#[derive(Clone, Debug)]
pub struct TuneResult {
    pub settings: Settings,
    pub candidates: Vec<Candidate>,
    /// Every candidate's standing after every round it ran in.
    pub standings: Vec<Standing>,
    /// The (candidates, cumulative replications) of each round.
    pub rounds: Vec<(usize, u32)>,
    /// The candidate returned.
    pub best: usize,
    /// Whether the best meets the objective (when false, none evaluated does).
    pub best_meets: bool,
    /// Runs made.
    pub runs: u64,
    pub events: u64,
}

impl TuneResult {
    /// The best minus the defaults on each metric, paired by replication
    /// over the replications the best ran (the defaults ran them all).
    pub fn paired_difference(&self) -> [Estimate; 6] {
        let best = &self.candidates[self.best].runs;
        let base = &self.candidates[0].runs;
        std::array::from_fn(|m| {
            let d: Vec<f64> = best
                .iter()
                .zip(base)
                .map(|(b, a)| b.values()[m] - a.values()[m])
                .collect();
            Estimate::of(&d)
        })
    }

    /// The candidates no other evaluated candidate dominates (success share,
    /// p99, attempts per success on their means), by success share, best first.
    pub fn pareto_front(&self) -> Vec<usize> {
        let run: Vec<(usize, Summary)> = self
            .candidates
            .iter()
            .filter(|c| !c.runs.is_empty())
            .map(|c| (c.id, c.summary()))
            .collect();
        let mut front: Vec<(usize, Summary)> = run
            .iter()
            .filter(|(_, s)| !run.iter().any(|(_, o)| dominates(o, s)))
            .cloned()
            .collect();
        front.sort_by(|a, b| {
            b.1.success_share()
                .mean
                .total_cmp(&a.1.success_share().mean)
                .then(a.0.cmp(&b.0))
        });
        front.into_iter().map(|(id, _)| id).collect()
    }
}

/// The schedule a design of `n` candidates makes with `r` first-round
/// replications: (candidates, cumulative replications) per round.
pub fn schedule(n: usize, r: u32) -> Vec<(usize, u32)> {
    let mut out = vec![(n, r)];
    while out.len() < ROUNDS {
        let (n, r) = *out.last().expect("one round");
        if n <= 1 {
            break;
        }
        out.push((n.div_ceil(ETA), r.saturating_mul(ETA as u32)));
    }
    out
}

/// Runs a schedule costs at most (the defaults counted in every round).
pub fn cost(schedule: &[(usize, u32)]) -> u64 {
    let mut before = 0;
    let mut total = 0u64;
    for &(n, r) in schedule {
        total += (n as u64 + 1) * u64::from(r - before);
        before = r;
    }
    total
}

/// The most candidates (defaults included, at least 2) whose schedule fits
/// `budget`, or `None` when not even two fit.
pub fn candidates_for(budget: u32, replications: u32) -> Option<usize> {
    (2..=MAX_CANDIDATES)
        .take_while(|&n| cost(&schedule(n, replications)) <= u64::from(budget))
        .last()
}

/// Runs the search on rayon's current pool; `tick` after each run.
pub fn run(
    sc: &Scenario,
    settings: &Settings,
    tick: &(dyn Fn() + Sync),
) -> Result<TuneResult, TuneError> {
    run_rounds(sc, settings, &Local, tick)
}

/// Runs the search, each round through `runner`. A job's identity is its
/// candidate's id and parameter values.
pub fn run_rounds<R: Rounds>(
    sc: &Scenario,
    settings: &Settings,
    runner: &R,
    tick: &(dyn Fn() + Sync),
) -> Result<TuneResult, TuneError> {
    let n = candidates_for(settings.budget, settings.replications)
        .ok_or_else(|| TuneError::Budget(cost(&schedule(2, settings.replications))))?;
    let space = &settings.space;
    let mut candidates = vec![Candidate {
        id: 0,
        values: space
            .dims
            .iter()
            .map(|d| d.default.unwrap_or(f64::NAN))
            .collect(),
        spec: Ok(space.base.clone()),
        runs: Vec::new(),
    }];
    for (i, u) in design::latin_hypercube(n - 1, space.dims.len(), settings.base_seed)
        .into_iter()
        .enumerate()
    {
        let values: Vec<f64> = space.dims.iter().zip(&u).map(|(d, x)| d.at(*x)).collect();
        let spec = space.spec_at(&values).map_err(|e| {
            if e.field.is_empty() {
                e.message
            } else {
                format!("{}: {}", e.field, e.message)
            }
        });
        candidates.push(Candidate {
            id: i + 1,
            values,
            spec,
            runs: Vec::new(),
        });
    }
    let rounds = schedule(n, settings.replications);
    let mut alive: Vec<usize> = (0..candidates.len())
        .filter(|&c| candidates[c].spec.is_ok())
        .collect();
    let mut standings = Vec::new();
    let (mut runs, mut events) = (0u64, 0u64);
    let mut before = 0;
    for (round, &(_, reps)) in rounds.iter().enumerate() {
        // The defaults run along in every round, ranked or not.
        let mut running = alive.clone();
        if !running.contains(&0) {
            running.insert(0, 0);
        }
        let variants: Vec<Variant> = running
            .iter()
            .map(|&c| {
                let spec = candidates[c]
                    .spec
                    .as_ref()
                    .expect("only valid candidates run");
                Variant::of(sc).with_strategy(spec, &settings.groups)
            })
            .collect();
        let jobs: Vec<Job> = (0..running.len())
            .flat_map(|variant| {
                (before..reps).map(move |replication| Job {
                    variant,
                    replication,
                })
            })
            .collect();
        let identities: Vec<Vec<u8>> = running
            .iter()
            .map(|&c| {
                let mut b = (c as u64).to_le_bytes().to_vec();
                b.extend(
                    candidates[c]
                        .values
                        .iter()
                        .flat_map(|x| x.to_bits().to_le_bytes()),
                );
                b
            })
            .collect();
        let reduce = |_: &Job, o: Outcome| RunMetrics::of(&o, sc, &settings.groups);
        let label = format!("halving round {}", round + 1);
        let spec = Round {
            label: &label,
            variants: &variants,
            identities: &identities,
            jobs: &jobs,
            base_seed: settings.base_seed,
        };
        let results = runner.round(spec, &reduce, tick)?;
        for (job, m) in jobs.iter().zip(results) {
            candidates[running[job.variant]].runs.push(m);
            events += m.events;
        }
        runs += jobs.len() as u64;
        before = reps;
        // Rank the candidates still in contention; keep the best third.
        let summaries: Vec<(usize, Summary)> = alive
            .iter()
            .map(|&c| (c, candidates[c].summary()))
            .collect();
        let mut ranked: Vec<&(usize, Summary)> = summaries.iter().collect();
        ranked.sort_by(|a, b| measure::order((&a.1, a.0), (&b.1, b.0), &settings.constraint));
        let keep = rounds.get(round + 1).map_or(0, |&(k, _)| k);
        let mut record = |c: usize, summary: Summary, rank: Option<usize>, advanced: bool| {
            standings.push(Standing {
                round: round + 1,
                candidate: c,
                replications: reps,
                broken: summary.broken(&settings.constraint),
                summary,
                rank,
                advanced,
            })
        };
        if !alive.contains(&0) {
            record(0, candidates[0].summary(), None, false);
        }
        for (place, (c, s)) in ranked.iter().enumerate() {
            record(*c, *s, Some(place + 1), place < keep);
        }
        alive = ranked.iter().take(keep).map(|(c, _)| *c).collect();
        alive.sort_unstable();
    }
    let (best, best_meets) = choose(&candidates, &standings, &settings.constraint);
    Ok(TuneResult {
        settings: settings.clone(),
        candidates,
        standings,
        rounds,
        best,
        best_meets,
        runs,
        events,
    })
}

/// The candidate to return: of those whose latest estimates meet the
/// objective, the one that reached the latest round, best by the goal; when
/// none meets it, the first of the last round's ranking.
fn choose(cands: &[Candidate], standings: &[Standing], c: &Constraint) -> (usize, bool) {
    let last_round = |id: usize| {
        standings
            .iter()
            .filter(|s| s.candidate == id && s.rank.is_some())
            .map(|s| s.round)
            .max()
    };
    let mut meeting: Vec<(usize, usize, Summary)> = cands
        .iter()
        .filter(|k| !k.runs.is_empty())
        .filter_map(|k| {
            let s = k.summary();
            let round = last_round(k.id)?;
            s.broken(c).is_empty().then_some((k.id, round, s))
        })
        .collect();
    meeting.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(measure::order((&a.2, a.0), (&b.2, b.0), c))
    });
    if let Some((id, _, _)) = meeting.first() {
        return (*id, true);
    }
    let last = standings.iter().map(|s| s.round).max().unwrap_or(1);
    let first = standings
        .iter()
        .filter(|s| s.round == last && s.rank == Some(1))
        .map(|s| s.candidate)
        .next()
        .unwrap_or(0);
    (first, false)
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    #[error(
        "a budget this small cannot run a search: two candidates and the defaults need {0} runs; raise --budget or lower replications"
    )]
    Budget(u64),
    #[error(transparent)]
    Run(#[from] ExperimentError),
}

/// Runs the search on a pool of `threads` threads (all cores when `None`).
pub fn run_with_threads(
    sc: &Scenario,
    settings: &Settings,
    threads: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<TuneResult, TuneError> {
    run_rounds_with_threads(sc, settings, &Local, threads, tick)
}

/// Runs the search's rounds through `runner` on a pool of `threads` threads.
pub fn run_rounds_with_threads<R: Rounds>(
    sc: &Scenario,
    settings: &Settings,
    runner: &R,
    threads: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<TuneResult, TuneError> {
    let mut out = None;
    experiment::with_pool(threads, || {
        out = Some(run_rounds(sc, settings, runner, tick));
        Ok(())
    })?;
    out.expect("the pool ran the search")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_keeps_a_third_with_three_times_the_replications() {
        assert_eq!(schedule(28, 2), [(28, 2), (10, 6), (4, 18)]);
        assert_eq!(schedule(2, 2), [(2, 2), (1, 6)]);
        // 29 x 2 + 11 x 4 + 5 x 12 (each round with the defaults).
        assert_eq!(cost(&schedule(28, 2)), 58 + 44 + 60);
        let n = candidates_for(162, 2).unwrap();
        assert_eq!(n, 28, "the largest design that fits");
        assert_eq!(candidates_for(5, 2), None);
    }
}
