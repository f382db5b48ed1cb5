//! Per-interval counts of a run, per group and per (key, model) pair: the
//! time series behind timeseries.csv and the charts (limits apply per key
//! and model, so a chart that draws a limit reads the pair's row).

use crate::response::CAUSES;
use crate::time::Nanos;

/// What happened in one interval of the run, for one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntervalStats {
    /// Requests that arrived.
    pub offered: u32,
    pub attempts: u32,
    pub successes: u32,
    /// 429s by cause (indexed like [`Cause::ALL`]).
    pub rejected: [u32; CAUSES],
    pub errors_5xx: u32,
    /// Attempts the client abandoned at its timeout.
    pub timeouts: u32,
    /// Tokens the limiter charged for admitted attempts.
    pub tokens_admitted: u64,
    /// Nanoseconds of the interval during which the group's key was locked out.
    pub locked_ns: u64,
}

impl IntervalStats {
    pub fn merge(&mut self, o: &IntervalStats) {
        self.offered += o.offered;
        self.attempts += o.attempts;
        self.successes += o.successes;
        for (a, b) in self.rejected.iter_mut().zip(o.rejected) {
            *a += b;
        }
        self.errors_5xx += o.errors_5xx;
        self.timeouts += o.timeouts;
        self.tokens_admitted += o.tokens_admitted;
        self.locked_ns = self.locked_ns.max(o.locked_ns);
    }
}

/// Per-interval stats of every group (`rows[group][interval]`), or of
/// every (key, model) pair (`rows[pair][interval]`, indexed like
/// [`crate::outcome::Outcome::pairs`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeSeries {
    pub interval: Nanos,
    pub rows: Vec<Vec<IntervalStats>>,
}

impl TimeSeries {
    /// Intervals of `interval` in a run of `horizon` (at least one).
    pub fn intervals_of(interval: Nanos, horizon: Nanos) -> usize {
        horizon.0.div_ceil(interval.0).max(1) as usize
    }

    pub fn new(groups: usize, interval: Nanos, horizon: Nanos) -> TimeSeries {
        let n = Self::intervals_of(interval, horizon);
        TimeSeries {
            interval,
            rows: vec![vec![IntervalStats::default(); n]; groups],
        }
    }

    /// Interval `i` of row `row` (an index from [`IntervalCursor`]).
    #[inline]
    pub fn at_index(&mut self, row: usize, i: usize) -> &mut IntervalStats {
        &mut self.rows[row][i]
    }

    #[inline]
    pub fn at(&mut self, group: usize, t: Nanos) -> &mut IntervalStats {
        let row = &mut self.rows[group];
        let i = ((t.0 / self.interval.0) as usize).min(row.len() - 1);
        &mut row[i]
    }

    /// Adds a row of empty intervals as long as the others (a pair seen
    /// for the first time); returns its index.
    pub fn push_row(&mut self, intervals: usize) -> usize {
        self.rows.push(vec![IntervalStats::default(); intervals]);
        self.rows.len() - 1
    }

    /// Requests the limiter admitted in `s`: attempts minus the 429s it
    /// answered itself (overload 429s come from the service after admission).
    pub fn admitted(s: &IntervalStats) -> u32 {
        use crate::response::Cause;
        let refused: u32 = [
            Cause::Requests,
            Cause::RequestsPerDay,
            Cause::Tokens,
            Cause::Lockout,
        ]
        .iter()
        .map(|c| s.rejected[c.index()])
        .sum();
        s.attempts - refused
    }

    pub fn intervals(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }

    /// All groups merged, interval by interval (lockout as the longest of any group's key).
    pub fn total(&self) -> Vec<IntervalStats> {
        let mut out = vec![IntervalStats::default(); self.intervals()];
        for row in &self.rows {
            for (a, b) in out.iter_mut().zip(row) {
                a.merge(b);
            }
        }
        out
    }
}

/// The interval an instant falls in, remembered: the engine asks for the
/// interval of the current instant several times an event, and instants
/// only move forward, so a comparison with the remembered bounds replaces
/// a 64-bit division almost every time.
#[derive(Clone, Copy, Debug)]
pub struct IntervalCursor {
    interval: u64,
    /// Index of the last interval (later instants are counted in it).
    last: usize,
    start: u64,
    end: u64,
    idx: usize,
}

impl IntervalCursor {
    pub fn new(interval: Nanos, horizon: Nanos) -> IntervalCursor {
        let n = horizon.0.div_ceil(interval.0).max(1) as usize;
        IntervalCursor {
            interval: interval.0,
            last: n - 1,
            start: 0,
            end: interval.0,
            idx: 0,
        }
    }

    /// The index of the interval holding `t`, as [`TimeSeries::at`] computes it.
    #[inline]
    pub fn index(&mut self, t: Nanos) -> usize {
        if t.0 >= self.start && t.0 < self.end {
            return self.idx;
        }
        let i = t.0 / self.interval;
        let idx = (i as usize).min(self.last);
        if idx == i as usize {
            self.start = i * self.interval;
            self.end = self.start.saturating_add(self.interval);
            self.idx = idx;
        }
        idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The cursor gives exactly the index `TimeSeries::at` computes, for
        /// instants in any order (forward, backward, past the horizon).
        #[test]
        fn cursor_index_is_the_division(interval in 1u64..5_000, horizon in 1u64..100_000,
                                        times in proptest::collection::vec(0u64..200_000, 1..100)) {
            let mut c = IntervalCursor::new(Nanos(interval), Nanos(horizon));
            let n = horizon.div_ceil(interval) as usize;
            for t in times {
                prop_assert_eq!(c.index(Nanos(t)), ((t / interval) as usize).min(n - 1));
            }
        }
    }
}
