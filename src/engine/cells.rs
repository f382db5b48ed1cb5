//! Completion times per cell, a cell being one (group, pair) a request can
//! belong to: every success is recorded once, into its cell's histogram, and
//! each group's and each (key, model) pair's histogram is the sum of its
//! cells, added up when the run ends.
//!
//! Recording straight into both the group's and the pair's histogram cost
//! two cache-missing counter updates per success (a quarter of a day-long
//! run's time); one update into a cell costs half, and histograms add up
//! exactly, so the quantiles every report shows are unchanged.

use crate::outcome::counters::COMPLETION_MAX_MS;
use crate::outcome::{new_completion_histogram, GroupStats, PairStats};
use hdrhistogram::Histogram;

struct Cell {
    group: u32,
    pair: u32,
    /// Recorded into: 16-bit counts quarter the memory a success touches
    /// (the counters a run's completion times spread over stay in cache).
    hot: Histogram<u16>,
    /// What `hot` held before it was full (no count can pass `u16::MAX`
    /// while `hot` holds fewer records than that).
    completion: Histogram<u64>,
}

impl Cell {
    /// Moves `hot`'s counts into `completion`, bucket for bucket (each
    /// recorded at its bucket's highest equivalent value, which falls in
    /// the same bucket of the same bounds).
    fn flush(&mut self) {
        for v in self.hot.iter_recorded() {
            self.completion
                .record_n(v.value_iterated_to(), u64::from(v.count_at_value()))
                .expect("completion histograms share their bounds");
        }
        self.hot.reset();
    }
}

/// The cells of one run, created on first use.
#[derive(Default)]
pub(super) struct Cells {
    /// For each pair, the (group, cell) entries of the groups that used it.
    of_pair: Vec<Vec<(u32, u32)>>,
    /// Each group's last (pair, cell): most groups send to one pair only.
    last: Vec<(u32, u32)>,
    cells: Vec<Cell>,
}

impl Cells {
    /// The cell of (`group`, `pair`), created on first use.
    #[inline]
    pub(super) fn index(&mut self, group: u32, pair: u32) -> u32 {
        match self.last.get(group as usize) {
            Some(&(p, cell)) if p == pair => cell,
            _ => self.find(group, pair),
        }
    }

    fn find(&mut self, group: u32, pair: u32) -> u32 {
        let cell = self.find_or_add(group, pair);
        let g = group as usize;
        if self.last.len() <= g {
            self.last.resize(g + 1, (u32::MAX, 0));
        }
        self.last[g] = (pair, cell);
        cell
    }

    fn find_or_add(&mut self, group: u32, pair: u32) -> u32 {
        let p = pair as usize;
        if self.of_pair.len() <= p {
            self.of_pair.resize_with(p + 1, Vec::new);
        }
        if let Some(&(_, cell)) = self.of_pair[p].iter().find(|(g, _)| *g == group) {
            return cell;
        }
        let cell = self.cells.len() as u32;
        self.cells.push(Cell {
            group,
            pair,
            hot: Histogram::new_with_bounds(1, COMPLETION_MAX_MS, 3)
                .expect("static histogram bounds are valid"),
            completion: new_completion_histogram(),
        });
        self.of_pair[p].push((group, cell));
        cell
    }

    /// One success of `cell`, `ms` after its arrival.
    #[inline]
    pub(super) fn record(&mut self, cell: u32, ms: u64) {
        let c = &mut self.cells[cell as usize];
        if c.hot.len() >= u64::from(u16::MAX) {
            c.flush();
        }
        c.hot.saturating_record(ms);
    }

    /// Adds every cell's histogram into its group's and its pair's.
    pub(super) fn fold_into(self, groups: &mut [GroupStats], pairs: &mut [PairStats]) {
        for mut c in self.cells {
            c.flush();
            if c.completion.is_empty() {
                continue;
            }
            for h in [
                &mut groups[c.group as usize].completion,
                &mut pairs[c.pair as usize].stats.completion,
            ] {
                h.add(&c.completion)
                    .expect("completion histograms share their bounds");
            }
        }
    }
}
