//! The end of a run: requests still in flight are recorded, lockout blocks
//! are clipped to the run and attributed to the groups that used their keys,
//! conservation is checked, and the engine's counters become the
//! [`Outcome`] every report reads.

use super::Sim;
use crate::outcome::{Fate, GroupStats, LockoutBlock, OutageWindow, Outcome};
use crate::policy::KeyId;
use crate::time::Nanos;

impl Sim<'_, '_> {
    /// `sending` is the `only` of [`super::simulate_groups`]: the rows of
    /// the groups it leaves out stay empty.
    pub(super) fn finish(mut self, seed: u64, events: u64, sending: Option<&[bool]>) -> Outcome {
        let horizon = self.sc.horizon();
        let cells = std::mem::replace(&mut self.cells, super::cells::Cells::new(0));
        cells.fold_into(
            sending,
            &mut self.stats,
            &mut self.pairs,
            &mut self.series,
            &mut self.pair_series,
        );
        for slot in 0..self.reqs.len() {
            if self.live[slot] {
                let r = &self.reqs[slot];
                self.stats[r.group as usize].in_flight += 1;
                self.pairs[r.pair as usize].stats.in_flight += 1;
                self.record(slot as u32, horizon, Fate::InFlight);
            }
        }
        let mut lockouts: Vec<LockoutBlock> = Vec::new();
        for k in 0..self.keys.len() {
            let (blocks, culprits) = self.limiter.blocks(k as KeyId);
            for (&(start, end), groups) in blocks.iter().zip(culprits) {
                if start < horizon {
                    lockouts.push(LockoutBlock {
                        key: k as KeyId,
                        start,
                        end: end.min(horizon),
                        groups: groups.clone(),
                    });
                }
            }
        }
        let interval = self.series.interval.0;
        for (g, group) in self.sc.groups.iter().enumerate() {
            // A synthetic group's key, or every key a trace group's rows used.
            let keys = &mut self.group_keys[g];
            if matches!(group.workload, crate::scenario::Workload::Synthetic(_)) {
                keys.push(group.key);
            }
            let blocks: Vec<&LockoutBlock> =
                lockouts.iter().filter(|b| keys.contains(&b.key)).collect();
            self.stats[g].locked_out = Nanos(blocks.iter().map(|b| b.length().0).sum());
            for (i, iv) in self.series.rows[g].iter_mut().enumerate() {
                let (a, b) = (i as u64 * interval, (i as u64 + 1) * interval);
                let locked: u64 = blocks
                    .iter()
                    .map(|blk| blk.end.0.min(b).saturating_sub(blk.start.0.max(a)))
                    .sum();
                iv.locked_ns = locked.min(interval);
            }
        }
        for (s, g) in self.stats.iter_mut().zip(&self.groups) {
            s.batch = g.batch.as_ref().map(|b| b.stats());
        }
        let mut total = GroupStats::default();
        for s in &self.stats {
            let conserved =
                s.succeeded + s.gave_up_total() + s.refused_total() + s.unservable + s.in_flight;
            assert_eq!(s.arrivals, conserved, "conservation violated: arrivals != succeeded + gave up + refused + unservable + in flight (a bug in ratesim)");
            total.merge(s);
        }
        total.locked_out = Nanos(lockouts.iter().map(|b| b.length().0).sum());
        // Pairs (and their series rows) were made in order of first use.
        let mut order: Vec<usize> = (0..self.pairs.len()).collect();
        order.sort_by_key(|&i| (self.pairs[i].key, self.pairs[i].model));
        let mut pairs: Vec<_> = order.iter().map(|&i| self.pairs[i].clone()).collect();
        let mut pair_series = crate::outcome::TimeSeries {
            interval: self.pair_series.interval,
            rows: order
                .iter()
                .map(|&i| std::mem::take(&mut self.pair_series.rows[i]))
                .collect(),
        };
        for (p, row) in pairs.iter().zip(&mut pair_series.rows) {
            for (i, iv) in row.iter_mut().enumerate() {
                let (a, b) = (i as u64 * interval, (i as u64 + 1) * interval);
                let locked: u64 = lockouts
                    .iter()
                    .filter(|blk| blk.key == p.key)
                    .map(|blk| blk.end.0.min(b).saturating_sub(blk.start.0.max(a)))
                    .sum();
                iv.locked_ns = locked.min(interval);
            }
        }
        for p in &mut pairs {
            p.stats.locked_out = Nanos(
                lockouts
                    .iter()
                    .filter(|b| b.key == p.key)
                    .map(|b| b.length().0)
                    .sum(),
            );
        }
        let outages = self
            .sc
            .service
            .outages
            .iter()
            .filter(|o| o.start < horizon)
            .map(|o| OutageWindow {
                start: o.start,
                end: o.end.min(horizon),
                status: o.status,
            })
            .collect();
        Outcome {
            seed,
            groups: self.stats,
            total,
            pairs,
            limits: self.limiter.limit_stats(horizon),
            lockouts,
            outages,
            series: self.series,
            pair_series,
            keys: self.keys,
            events,
            horizon,
        }
    }
}
