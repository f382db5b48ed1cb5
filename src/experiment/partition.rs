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
//! Partitions are packed into at most as many engines as there are threads,
//! heaviest first onto the least loaded (by the run-cost estimate), so a
//! scenario of a hundred single-group keys still costs a few engines'
//! memory, not a hundred.

use super::cost;
use crate::engine;
use crate::outcome::{GroupStats, NoSink, Outcome};
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

/// Packs `sets` into at most `bins` engines: heaviest set first onto the
/// least loaded engine (ties to the lowest index), each engine's groups as
/// a mask.
fn pack(sets: &[Vec<usize>], weight: &[f64], groups: usize, bins: usize) -> Vec<Vec<bool>> {
    let bins = bins.clamp(1, sets.len().max(1));
    let mut order: Vec<usize> = (0..sets.len()).collect();
    let load = |s: &Vec<usize>| s.iter().map(|&g| weight[g]).sum::<f64>();
    order.sort_by(|&a, &b| load(&sets[b]).total_cmp(&load(&sets[a])).then(a.cmp(&b)));
    let mut masks = vec![vec![false; groups]; bins];
    let mut loads = vec![0.0f64; bins];
    for s in order {
        let bin = (0..bins)
            .min_by(|&a, &b| loads[a].total_cmp(&loads[b]).then(a.cmp(&b)))
            .expect("at least one bin");
        loads[bin] += load(&sets[s]);
        for &g in &sets[s] {
            masks[bin][g] = true;
        }
    }
    masks
}

/// Runs `sc` (a scenario without trace groups, or with, then on one
/// thread) with `seed` on up to `threads` engines of rayon's current pool,
/// keeping no requests. The outcome equals `engine::simulate`'s.
pub fn simulate_split(sc: &Scenario, seed: u64, threads: usize) -> Result<Outcome, TraceError> {
    let sets = partitions(sc);
    if sets.len() < 2 || threads < 2 {
        let traces = super::traces::open(sc, seed, 1.0)?;
        return engine::simulate(sc, seed, traces, &mut NoSink);
    }
    let masks = pack(&sets, &weights(sc), sc.groups.len(), threads);
    let parts = masks
        .par_iter()
        .map(|mask| engine::simulate_groups(sc, seed, Vec::new(), &mut NoSink, Some(mask)))
        .collect::<Result<Vec<Outcome>, TraceError>>()?;
    Ok(merge(&masks, parts))
}

/// The outcome of the whole run from the outcomes of its engines: each
/// group's counters and series from its engine, each key's limits and
/// lockouts from the engine of its groups, in the single engine's order.
fn merge(masks: &[Vec<bool>], parts: Vec<Outcome>) -> Outcome {
    let groups = masks[0].len();
    let engine_of_group: Vec<usize> = (0..groups)
        .map(|g| masks.iter().position(|m| m[g]).expect("every group runs"))
        .collect();
    // A key's engine is the one whose traffic used it; keys no request used
    // are idle in every engine, so engine 0 speaks for them.
    let mut engine_of_key = vec![0usize; parts[0].keys.len()];
    for (e, part) in parts.iter().enumerate() {
        for pair in &part.pairs {
            engine_of_key[pair.key as usize] = e;
        }
    }
    let group_stats: Vec<GroupStats> = (0..groups)
        .map(|g| parts[engine_of_group[g]].groups[g].clone())
        .collect();
    let rows: Vec<_> = (0..groups)
        .map(|g| parts[engine_of_group[g]].series.rows[g].clone())
        .collect();
    // Pairs and their series rows, together, by (key, model).
    let mut pairs: Vec<_> = parts
        .iter()
        .flat_map(|p| {
            p.pairs
                .iter()
                .cloned()
                .zip(p.pair_series.rows.iter().cloned())
        })
        .collect();
    pairs.sort_by_key(|(p, _)| (p.key, p.model));
    let (pairs, pair_rows): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
    // Each key's limits from its engine, in the single engine's order: by
    // key, then model, each pair's limits as the policy lists them.
    let mut limits: Vec<_> = parts
        .iter()
        .enumerate()
        .flat_map(|(e, p)| {
            let engine_of_key = &engine_of_key;
            p.limits
                .iter()
                .filter(move |l| engine_of_key[l.key as usize] == e)
                .copied()
        })
        .collect();
    limits.sort_by_key(|l| (l.key, l.model));
    let mut lockouts: Vec<_> = parts
        .iter()
        .flat_map(|p| p.lockouts.iter().cloned())
        .collect();
    lockouts.sort_by_key(|b| b.key);
    let events = parts.iter().map(|p| p.events).sum();

    let mut total = GroupStats::default();
    for s in &group_stats {
        total.merge(s);
    }
    total.locked_out = Nanos(lockouts.iter().map(|b| b.length().0).sum());
    let mut out = parts.into_iter().next().expect("at least one engine");
    out.groups = group_stats;
    out.series.rows = rows;
    out.total = total;
    out.pairs = pairs;
    out.pair_series.rows = pair_rows;
    out.limits = limits;
    out.lockouts = lockouts;
    out.events = events;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_puts_the_heaviest_sets_apart_and_every_group_in_one_engine() {
        let sets = vec![vec![0, 2], vec![1], vec![3], vec![4]];
        let weight = [5.0, 9.0, 5.0, 1.0, 1.0];
        let masks = pack(&sets, &weight, 5, 2);
        assert_eq!(masks.len(), 2);
        // {0,2} weighs 10 and {1} 9: they go to different engines.
        assert_ne!(masks[0][0], masks[0][1]);
        for g in 0..5 {
            assert_eq!(masks.iter().filter(|m| m[g]).count(), 1, "group {g}");
        }
        assert_eq!(masks[0][0], masks[0][2], "a set stays together");
    }
}
