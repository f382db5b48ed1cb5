//! One run on every core: groups that share no key with each other are
//! independent, so they can be simulated apart and their outcomes merged.
//!
//! Why this is exact: every random stream belongs to one group (seeded from
//! the group's name), every client to one group, every limiter window and
//! lockout to one key, and the service model keeps no state between
//! requests. A group's events are ordered by (time, push order) among
//! themselves the same way whether other groups' events interleave or not,
//! so each partition's counters are those of the whole run, and merging
//! them in group and key order gives the single-threaded [`Outcome`] exactly
//! (tests/partition.rs compares the two on every bundled scenario).
//!
//! What is not split: runs with a trace group (a trace may name any key, so
//! it is not known in advance which groups it couples), and runs that stream
//! requests or rate-limit log entries (their order across groups is the
//! single engine's event order). Those run on one thread as before.
//!
//! Each partition runs on an engine of its own, even on one thread (a small
//! engine is a faster one). Partitions are dealt to at most as many threads
//! as the pool has, heaviest first onto the least loaded (by the run-cost
//! estimate); a thread runs its partitions one after the other and folds
//! each outcome in as it ends, so a scenario of a hundred single-group keys
//! holds one engine per thread at a time, not a hundred.

use super::cost;
use crate::engine;
use crate::outcome::{GroupStats, IntervalStats, LockoutBlock, NoSink, Outcome, PairStats};
use crate::policy::limiter::LimitStats;
use crate::scenario::{Scenario, Workload};
use crate::time::Nanos;
use crate::workload::TraceError;
use rayon::prelude::*;

/// Groups of `sc` split into independent sets (each sorted, sets ordered by
/// their first group); one set holding every group when it cannot be split.
pub fn partitions(sc: &Scenario) -> Vec<Vec<usize>> {
    let n = sc.groups.len();
    // A model whose response time depends on its load is one server for
    // every key that sends to it; limits per account are one set of
    // counters for every key.
    if !sc.service.load.is_empty()
        || sc.policy.scope == crate::policy::LimitScope::Account
        || sc
            .groups
            .iter()
            .any(|g| matches!(g.workload, Workload::Trace { .. }))
    {
        return vec![(0..n).collect()];
    }
    // The owner of each key: the first group that uses it.
    let mut set_of = vec![usize::MAX; n];
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for g in 0..n {
        match (0..g).find(|&h| sc.groups[h].key == sc.groups[g].key) {
            Some(h) => {
                set_of[g] = set_of[h];
                sets[set_of[h]].push(g);
            }
            None => {
                set_of[g] = sets.len();
                sets.push(vec![g]);
            }
        }
    }
    sets
}

/// The estimated events of each group alone.
fn weights(sc: &Scenario) -> Vec<f64> {
    (0..sc.groups.len())
        .map(|g| {
            let mut one = sc.clone();
            one.groups = vec![sc.groups[g].clone()];
            cost::of_run(&one, 1.0).events
        })
        .collect()
}

/// Deals `sets` out to at most `bins` threads: heaviest set first onto the
/// least loaded thread (ties to the lowest index). Each thread's sets are
/// in set order.
fn pack(sets: &[Vec<usize>], weight: &[f64], bins: usize) -> Vec<Vec<usize>> {
    let bins = bins.clamp(1, sets.len().max(1));
    let mut order: Vec<usize> = (0..sets.len()).collect();
    let load = |s: &Vec<usize>| s.iter().map(|&g| weight[g]).sum::<f64>();
    order.sort_by(|&a, &b| load(&sets[b]).total_cmp(&load(&sets[a])).then(a.cmp(&b)));
    let mut dealt = vec![Vec::new(); bins];
    let mut loads = vec![0.0f64; bins];
    for s in order {
        let bin = (0..bins)
            .min_by(|&a, &b| loads[a].total_cmp(&loads[b]).then(a.cmp(&b)))
            .expect("at least one bin");
        loads[bin] += load(&sets[s]);
        dealt[bin].push(s);
    }
    for d in &mut dealt {
        d.sort_unstable();
    }
    dealt
}

/// Runs `sc` (a scenario without trace groups, or with, then on one
/// engine, its traces replayed `trace_speed` times as fast) with `seed` on
/// up to `threads` threads of rayon's current pool, keeping no requests. The outcome equals `engine::simulate`'s.
///
/// Every independent set gets an engine of its own, even on one thread: an
/// engine holding one set's events, arrivals and counters ran the day bench
/// 13% faster than one engine holding all ten of its sets (a smaller heap of
/// next arrivals, a calendar and slab a tenth the size). A thread runs its
/// sets one after the other and folds each outcome in as it ends, so memory
/// is one engine per thread plus the merged counters.
pub fn simulate_split(
    sc: &Scenario,
    trace_speed: f64,
    seed: u64,
    threads: usize,
) -> Result<Outcome, TraceError> {
    let sets = partitions(sc);
    if sets.len() < 2 {
        let traces = super::traces::open(sc, seed, trace_speed)?;
        return engine::simulate(sc, seed, traces, &mut NoSink);
    }
    let groups = sc.groups.len();
    let masks: Vec<Vec<bool>> = sets
        .iter()
        .map(|set| (0..groups).map(|g| set.contains(&g)).collect())
        .collect();
    let run = |engines: &Vec<usize>| -> Result<Merge, TraceError> {
        let mut merged = Merge::new(groups);
        for &e in engines {
            let part = engine::simulate_groups(sc, seed, Vec::new(), &mut NoSink, Some(&masks[e]))?;
            merged.add(e == 0, &masks[e], part);
        }
        Ok(merged)
    };
    let dealt = if threads < 2 {
        vec![(0..sets.len()).collect()]
    } else {
        pack(&sets, &weights(sc), threads)
    };
    let merged = if dealt.len() < 2 {
        run(&dealt[0])?
    } else {
        dealt
            .par_iter()
            .map(run)
            .collect::<Result<Vec<Merge>, TraceError>>()?
            .into_iter()
            .reduce(Merge::join)
            .expect("at least one thread")
    };
    Ok(merged.finish())
}

/// Engines' outcomes folded, one at a time, into the outcome of the whole
/// run: each group's counters and series from its engine, each key's pairs,
/// limits and lockouts from the engine of its groups. The result does not
/// depend on the order engines are added in: every list is sorted by key at
/// the end, and a key's entries all come from one engine, in its order.
struct Merge {
    /// The first engine's outcome (what every engine has alike: seed, keys,
    /// outages, horizon, intervals), its counters moved out.
    base: Option<Outcome>,
    groups: Vec<Option<GroupStats>>,
    rows: Vec<Option<Vec<IntervalStats>>>,
    pairs: Vec<(PairStats, Vec<IntervalStats>)>,
    limits: Vec<LimitStats>,
    /// The first engine's limits of keys it sent nothing on: no request of
    /// any engine used such a key, so the first engine speaks for it.
    unclaimed: Vec<LimitStats>,
    /// Keys some engine's requests used.
    claimed: Vec<bool>,
    lockouts: Vec<LockoutBlock>,
    events: u64,
}

impl Merge {
    fn new(groups: usize) -> Merge {
        Merge {
            base: None,
            groups: vec![None; groups],
            rows: vec![None; groups],
            pairs: Vec::new(),
            limits: Vec::new(),
            unclaimed: Vec::new(),
            claimed: Vec::new(),
            lockouts: Vec::new(),
            events: 0,
        }
    }

    /// Folds in the outcome of the engine that ran the groups of `mask`
    /// (`first`: the engine of the first set).
    fn add(&mut self, first: bool, mask: &[bool], mut part: Outcome) {
        for (g, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
            self.groups[g] = Some(std::mem::take(&mut part.groups[g]));
            self.rows[g] = Some(std::mem::take(&mut part.series.rows[g]));
        }
        let mut own = vec![false; part.keys.len()];
        for p in &part.pairs {
            own[p.key as usize] = true;
        }
        for l in part.limits.drain(..) {
            if own[l.key as usize] {
                self.limits.push(l);
            } else if first {
                self.unclaimed.push(l);
            }
        }
        self.claim(&own);
        let rows = std::mem::take(&mut part.pair_series.rows);
        self.pairs.extend(part.pairs.drain(..).zip(rows));
        self.lockouts.append(&mut part.lockouts);
        self.events += part.events;
        if first {
            part.groups.clear();
            part.series.rows.clear();
            self.base = Some(part);
        }
    }

    fn claim(&mut self, keys: &[bool]) {
        if self.claimed.len() < keys.len() {
            self.claimed.resize(keys.len(), false);
        }
        for (c, &k) in self.claimed.iter_mut().zip(keys) {
            *c |= k;
        }
    }

    /// Two threads' merges as one.
    fn join(mut self, other: Merge) -> Merge {
        for (mine, theirs) in self.groups.iter_mut().zip(other.groups) {
            *mine = mine.take().or(theirs);
        }
        for (mine, theirs) in self.rows.iter_mut().zip(other.rows) {
            *mine = mine.take().or(theirs);
        }
        self.pairs.extend(other.pairs);
        self.limits.extend(other.limits);
        self.unclaimed.extend(other.unclaimed);
        self.claim(&other.claimed);
        self.lockouts.extend(other.lockouts);
        self.events += other.events;
        self.base = self.base.or(other.base);
        self
    }

    /// The whole run's outcome, in the single engine's order.
    fn finish(mut self) -> Outcome {
        let group_stats: Vec<GroupStats> = self
            .groups
            .into_iter()
            .map(|s| s.expect("every group runs in one engine"))
            .collect();
        let rows: Vec<_> = self
            .rows
            .into_iter()
            .map(|r| r.expect("every group runs in one engine"))
            .collect();
        // Pairs and their series rows, together, by (key, model).
        self.pairs.sort_by_key(|(p, _)| (p.key, p.model));
        let (pairs, pair_rows): (Vec<_>, Vec<_>) = self.pairs.into_iter().unzip();
        // Each key's limits as the policy lists them, by key, then model.
        let claimed = &self.claimed;
        let unclaimed = self.unclaimed.into_iter();
        self.limits
            .extend(unclaimed.filter(|l| !claimed.get(l.key as usize).is_some_and(|&c| c)));
        self.limits.sort_by_key(|l| (l.key, l.model));
        self.lockouts.sort_by_key(|b| b.key);

        let mut total = GroupStats::default();
        for s in &group_stats {
            total.merge(s);
        }
        total.locked_out = Nanos(self.lockouts.iter().map(|b| b.length().0).sum());
        let mut out = self.base.expect("the first set's engine ran");
        out.groups = group_stats;
        out.series.rows = rows;
        out.total = total;
        out.pairs = pairs;
        out.pair_series.rows = pair_rows;
        out.limits = self.limits;
        out.lockouts = self.lockouts;
        out.events = self.events;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_puts_the_heaviest_sets_apart_and_every_set_on_one_thread() {
        let sets = vec![vec![0, 2], vec![1], vec![3], vec![4]];
        let weight = [5.0, 9.0, 5.0, 1.0, 1.0];
        let dealt = pack(&sets, &weight, 2);
        assert_eq!(dealt.len(), 2);
        // {0,2} weighs 10 and {1} 9: they go to different threads, and the
        // light ones even the load out.
        assert_eq!(dealt, vec![vec![0, 3], vec![1, 2]]);
        assert_eq!(pack(&sets, &weight, 1), vec![vec![0, 1, 2, 3]]);
        assert_eq!(pack(&sets, &weight, 9).len(), 4, "no thread without a set");
    }
}
