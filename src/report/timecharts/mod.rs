//! Charts over time, shared by `run` and `compare`: binning of interval
//! counts, rates per minute, the shading of lockout blocks and outages.
//!
//! Long runs are binned so a chart holds at most about [`MAX_POINTS`] points
//! per line: a day at 10 s intervals would otherwise be 8,640 jagged points.
//! Every binned chart states its bin width ([`bin_note`]), so a reader knows
//! how much a spike is averaged. Counts are drawn per minute whatever the
//! bin, the unit limits are quoted in.

pub mod run;

use super::charts::{Shade, OUTAGE_SHADE};
use crate::outcome::{IntervalStats, LockoutBlock, OutageWindow};
use crate::policy::KeyId;
use crate::time::Nanos;

/// Most points a line gets before intervals are merged into wider bins.
pub const MAX_POINTS: usize = 150;

/// Intervals merged into bins of `width`.
pub struct Bins {
    pub bins: Vec<IntervalStats>,
    pub width: Nanos,
}

impl Bins {
    /// Merges runs of intervals so at most about [`MAX_POINTS`] remain.
    pub fn of(intervals: &[IntervalStats], interval: Nanos) -> Bins {
        let k = intervals.len().div_ceil(MAX_POINTS).max(1);
        let bins = intervals
            .chunks(k)
            .map(|c| {
                let mut acc = IntervalStats::default();
                for s in c {
                    acc.merge(s);
                }
                acc
            })
            .collect();
        Bins {
            bins,
            width: Nanos(interval.0 * k as u64),
        }
    }

    /// The midpoint of bin `i`, in minutes.
    pub fn x(&self, i: usize) -> f64 {
        (i as f64 + 0.5) * self.width.as_secs_f64() / 60.0
    }

    /// `count` in bin `i` as a rate per minute.
    pub fn per_minute(&self, count: f64) -> f64 {
        count * 60.0 / self.width.as_secs_f64()
    }

    /// `value` of each bin at its midpoint.
    pub fn points(&self, value: impl Fn(&IntervalStats) -> f64) -> Vec<(f64, f64)> {
        self.bins
            .iter()
            .enumerate()
            .map(|(i, s)| (self.x(i), value(s)))
            .collect()
    }
}

/// "bins of 30 s" or "bins of 2 min": the width every binned chart states.
pub fn bin_note(width: Nanos) -> String {
    let s = width.as_secs_f64();
    if s >= 60.0 && (s / 60.0).fract() == 0.0 {
        format!("bins of {} min", s / 60.0)
    } else {
        format!("bins of {s} s")
    }
}

/// The x extent of a run, in minutes.
pub fn run_range(horizon: Nanos) -> Option<(f64, f64)> {
    Some((0.0, horizon.as_secs_f64() / 60.0))
}

/// One shaded set per key in `keys` that was locked out: its blocks in
/// minutes, labelled with the key's name (and `note`, if any), in the key's
/// own colour.
pub fn lockout_shades(
    blocks: &[LockoutBlock],
    keys: &[KeyId],
    names: &[String],
    note: &str,
) -> Vec<Shade> {
    keys.iter()
        .filter_map(|&k| {
            let spans: Vec<(Nanos, Nanos)> = blocks
                .iter()
                .filter(|b| b.key == k)
                .map(|b| (b.start, b.end))
                .collect();
            (!spans.is_empty()).then(|| Shade {
                label: format!("abuse lockout: key {}{note}", names[k as usize]),
                ranges: minutes(&spans),
                colour: k as usize % OUTAGE_SHADE,
            })
        })
        .collect()
}

/// The outages as one shaded set (none when there are none).
pub fn outage_shade(outages: &[OutageWindow]) -> Option<Shade> {
    let spans: Vec<(Nanos, Nanos)> = outages.iter().map(|o| (o.start, o.end)).collect();
    (!spans.is_empty()).then(|| Shade {
        label: "outage (5xx)".to_string(),
        ranges: minutes(&spans),
        colour: OUTAGE_SHADE,
    })
}

/// Intervals in minutes, overlapping ones merged.
pub fn minutes(spans: &[(Nanos, Nanos)]) -> Vec<(f64, f64)> {
    let mut v: Vec<(Nanos, Nanos)> = spans.to_vec();
    v.sort();
    let mut merged: Vec<(Nanos, Nanos)> = Vec::new();
    for (s, e) in v {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
        .into_iter()
        .map(|(s, e)| (s.as_secs_f64() / 60.0, e.as_secs_f64() / 60.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_runs_are_binned_and_counts_kept() {
        let intervals: Vec<IntervalStats> = (0..1000)
            .map(|i| IntervalStats {
                successes: i % 7,
                ..IntervalStats::default()
            })
            .collect();
        let b = Bins::of(&intervals, Nanos::from_secs(10));
        assert!(b.bins.len() <= MAX_POINTS);
        assert_eq!(b.width, Nanos::from_secs(70));
        let before: u32 = intervals.iter().map(|s| s.successes).sum();
        let after: u32 = b.bins.iter().map(|s| s.successes).sum();
        assert_eq!(before, after);
        assert_eq!(bin_note(b.width), "bins of 70 s");
        assert_eq!(bin_note(Nanos::from_secs(120)), "bins of 2 min");
        // 35 successes in 70 s are 30 a minute.
        assert_eq!(b.per_minute(35.0), 30.0);
    }
}
