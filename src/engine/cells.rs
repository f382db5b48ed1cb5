//! The counters of a run, kept per cell, a cell being one (group, pair) a
//! request can belong to: every count (arrivals, attempts, 429s, successes,
//! spend, completion times, the per-interval series) is made once, into its
//! request's cell, and each group's and each (key, model) pair's counters are
//! the sum of its cells, added up when the run ends.
//!
//! Counting straight into both the group's and the pair's counters and
//! series rows cost two updates (and two cache lines) for every count; one
//! update into a cell costs half, and the counters add up exactly (sums,
//! and a maximum for the most attempts), so every number a report shows is
//! unchanged. A group and a pair used by one cell only, the common case,
//! take the cell's series row itself, so the rows held at the end are as
//! many as before.

use crate::outcome::counters::COMPLETION_MAX_MS;
use crate::outcome::{GroupStats, IntervalStats, PairStats, TimeSeries};
use hdrhistogram::Histogram;

struct Cell {
    group: u32,
    pair: u32,
    /// Completion times are recorded into `hot`: 16-bit counts quarter the
    /// memory a success touches (the counters a run's completion times
    /// spread over stay in cache).
    hot: Histogram<u16>,
    /// Every other count; its `completion` holds what `hot` held before it
    /// was full (no count can pass `u16::MAX` while `hot` holds fewer
    /// records than that).
    stats: GroupStats,
    /// Per interval.
    series: Vec<IntervalStats>,
}

impl Cell {
    /// Moves `hot`'s counts into `completion`, bucket for bucket (each
    /// recorded at its bucket's highest equivalent value, which falls in
    /// the same bucket of the same bounds).
    fn flush(&mut self) {
        for v in self.hot.iter_recorded() {
            self.stats
                .completion
                .record_n(v.value_iterated_to(), u64::from(v.count_at_value()))
                .expect("completion histograms share their bounds");
        }
        self.hot.reset();
    }
}

/// The cells of one run, created on first use.
pub(super) struct Cells {
    /// Intervals in each series row.
    intervals: usize,
    /// For each pair, the (group, cell) entries of the groups that used it.
    of_pair: Vec<Vec<(u32, u32)>>,
    /// Each group's last (pair, cell): most groups send to one pair only.
    last: Vec<(u32, u32)>,
    cells: Vec<Cell>,
}

impl Cells {
    pub(super) fn new(intervals: usize) -> Cells {
        Cells {
            intervals,
            of_pair: Vec::new(),
            last: Vec::new(),
            cells: Vec::new(),
        }
    }

    /// The counters of `cell`.
    #[inline]
    pub(super) fn stats(&mut self, cell: u32) -> &mut GroupStats {
        &mut self.cells[cell as usize].stats
    }

    /// The counters of `cell` and its counts in interval `i`.
    #[inline]
    pub(super) fn both(&mut self, cell: u32, i: usize) -> (&mut GroupStats, &mut IntervalStats) {
        let c = &mut self.cells[cell as usize];
        (&mut c.stats, &mut c.series[i])
    }

    /// The counts of `cell` in interval `i`.
    #[inline]
    pub(super) fn at(&mut self, cell: u32, i: usize) -> &mut IntervalStats {
        &mut self.cells[cell as usize].series[i]
    }

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
            stats: GroupStats::default(),
            series: vec![IntervalStats::default(); self.intervals],
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

    /// Adds every cell's counters and series into its group's and its
    /// pair's (`pairs` and the pair rows in order of first use). A row used
    /// by one cell only is that cell's row, moved; groups without traffic
    /// get rows of zeros, except those `sending` leaves out, whose rows
    /// stay empty (an engine of a split run: its merge takes only the rows
    /// of the groups it ran, and a hundred idle rows per engine would cost
    /// more than the run).
    pub(super) fn fold_into(
        self,
        sending: Option<&[bool]>,
        groups: &mut [GroupStats],
        pairs: &mut [PairStats],
        group_rows: &mut TimeSeries,
        pair_rows: &mut TimeSeries,
    ) {
        let mut users = vec![0u32; groups.len()];
        let mut pair_users = vec![0u32; pairs.len()];
        for c in &self.cells {
            users[c.group as usize] += 1;
            pair_users[c.pair as usize] += 1;
        }
        group_rows.rows = vec![Vec::new(); groups.len()];
        pair_rows.rows = vec![Vec::new(); pairs.len()];
        for mut c in self.cells {
            c.flush();
            let (g, p) = (c.group as usize, c.pair as usize);
            groups[g].merge(&c.stats);
            pairs[p].stats.merge(&c.stats);
            let (n, series) = (self.intervals, c.series);
            let (group_row, pair_row) = (&mut group_rows.rows[g], &mut pair_rows.rows[p]);
            match (users[g] == 1, pair_users[p] == 1) {
                (true, true) => {
                    *pair_row = series.clone();
                    *group_row = series;
                }
                (true, false) => {
                    add_row(pair_row, &series, n);
                    *group_row = series;
                }
                (false, true) => {
                    add_row(group_row, &series, n);
                    *pair_row = series;
                }
                (false, false) => {
                    add_row(group_row, &series, n);
                    add_row(pair_row, &series, n);
                }
            }
        }
        let idle = |g: usize| sending.is_some_and(|s| !s[g]);
        let group_rows = group_rows.rows.iter_mut().enumerate();
        let group_rows = group_rows.filter(|(g, _)| !idle(*g)).map(|(_, row)| row);
        for row in group_rows.chain(&mut pair_rows.rows) {
            if row.is_empty() {
                *row = vec![IntervalStats::default(); self.intervals];
            }
        }
    }
}

/// Adds `from` into `row` interval by interval (`row` made of zeros first
/// when it is still empty).
fn add_row(row: &mut Vec<IntervalStats>, from: &[IntervalStats], intervals: usize) {
    if row.is_empty() {
        *row = vec![IntervalStats::default(); intervals];
    }
    for (a, b) in row.iter_mut().zip(from) {
        a.merge(b);
    }
}
