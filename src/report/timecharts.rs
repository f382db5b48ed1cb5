//! Charts over time: throughput and 429 rate, one line per series (a client
//! group in `run`, a strategy in `compare`).
//!
//! Long runs are binned so a chart holds at most about [`MAX_POINTS`] points
//! per line: a day at 10 s intervals would otherwise be 8,640 jagged points.

use super::charts::{Chart, LineChart, Series, Shade};
use crate::outcome::{IntervalStats, LockoutBlock, OutageWindow};
use crate::policy::KeyId;
use crate::time::Nanos;

/// Most points a line gets before intervals are merged into wider bins.
pub const MAX_POINTS: usize = 150;

/// A named time series of interval stats.
pub struct Line<'a> {
    pub name: String,
    /// Counts summed over `runs` replications (1 for a single run).
    pub intervals: &'a [IntervalStats],
    pub runs: u32,
}

/// Merges runs of `k` intervals, returning the bins and the bin width.
fn bin(intervals: &[IntervalStats], interval: Nanos) -> (Vec<IntervalStats>, Nanos) {
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
    (bins, Nanos(interval.0 * k as u64))
}

fn base(title: &str, y_label: &str, horizon: Nanos, shaded: &[Shade]) -> LineChart {
    LineChart {
        title: title.to_string(),
        x_label: "time (min)".to_string(),
        y_label: y_label.to_string(),
        shaded: shaded.to_vec(),
        y_min_zero: true,
        x_range: Some((0.0, horizon.as_secs_f64() / 60.0)),
        ..LineChart::default()
    }
}

/// Plots `value` of each bin at the bin's midpoint, in minutes.
fn series(
    lines: &[Line<'_>],
    interval: Nanos,
    value: impl Fn(&IntervalStats, Nanos, f64) -> f64,
) -> Vec<Series> {
    lines
        .iter()
        .map(|l| {
            let (bins, width) = bin(l.intervals, interval);
            let points = bins
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    (
                        (i as f64 + 0.5) * width.as_secs_f64() / 60.0,
                        value(s, width, f64::from(l.runs.max(1))),
                    )
                })
                .collect();
            Series {
                name: l.name.clone(),
                points,
            }
        })
        .collect()
}

/// Successful requests per minute over time.
pub fn throughput(
    title: &str,
    lines: &[Line<'_>],
    interval: Nanos,
    horizon: Nanos,
    shaded: &[Shade],
) -> Chart {
    Chart::Line(LineChart {
        series: series(lines, interval, |s, w, runs| {
            f64::from(s.successes) * 60.0 / w.as_secs_f64() / runs
        }),
        ..base(title, "successful requests / min", horizon, shaded)
    })
}

/// Share of attempts answered 429 in each bin; bins without attempts are
/// gaps in the line rather than a misleading 0%.
pub fn rate_429(
    title: &str,
    lines: &[Line<'_>],
    interval: Nanos,
    horizon: Nanos,
    shaded: &[Shade],
) -> Chart {
    Chart::Line(LineChart {
        series: series(lines, interval, |s, _, _| {
            if s.attempts == 0 {
                f64::NAN
            } else {
                100.0 * f64::from(s.rejected.iter().sum::<u32>()) / f64::from(s.attempts)
            }
        }),
        y_max: Some(100.0),
        ..base(title, "429 share of attempts (%)", horizon, shaded)
    })
}

/// One shaded set per key in `keys` that was locked out: its blocks in
/// minutes, labelled with the key's name (and `note`, if any).
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
    })
}

/// Intervals in minutes, overlapping ones merged.
fn minutes(spans: &[(Nanos, Nanos)]) -> Vec<(f64, f64)> {
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
        let (bins, width) = bin(&intervals, Nanos::from_secs(10));
        assert!(bins.len() <= MAX_POINTS);
        assert_eq!(width, Nanos::from_secs(70));
        let before: u32 = intervals.iter().map(|s| s.successes).sum();
        let after: u32 = bins.iter().map(|s| s.successes).sum();
        assert_eq!(before, after);
    }
}
