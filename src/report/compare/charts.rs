//! The charts of `ratesim compare`: one drawing per question a reader has
//! when choosing a strategy.

use super::{estimates, merged_stats};
use crate::compare::Comparison;
use crate::outcome::{GroupStats, LockoutBlock};
use crate::report::charts::{Bar, BarChart, Chart, LineChart, Series};
use crate::report::summary::METRICS;
use crate::report::timecharts::{self, Line};
use crate::scenario::Scenario;

/// The charts of a comparison as (file stem, chart).
pub fn compare_charts(scenario: &Scenario, c: &Comparison) -> Vec<(&'static str, Chart)> {
    let names: Vec<&str> = c.plan.strategies.iter().map(|s| s.name.as_str()).collect();
    let k = c.plan.replications;
    let summed: Vec<Vec<crate::outcome::IntervalStats>> = (0..names.len())
        .map(|s| {
            let mut acc = vec![crate::outcome::IntervalStats::default(); c.runs[0].series.len()];
            for r in c.runs_of(s) {
                for (a, b) in acc.iter_mut().zip(&r.series) {
                    a.merge(b);
                }
            }
            acc
        })
        .collect();
    let lines: Vec<Line<'_>> = names
        .iter()
        .zip(&summed)
        .map(|(n, iv)| Line {
            name: n.to_string(),
            intervals: iv,
            runs: k,
        })
        .collect();
    // Lockouts of the first replication, any strategy: shading per strategy
    // would hide the lines.
    let first = (0..names.len()).map(|s| &c.runs_of(s)[0]);
    let blocks: Vec<LockoutBlock> = first
        .clone()
        .flat_map(|r| r.lockouts.iter().cloned())
        .collect();
    let key_names = &c.runs[0].keys;
    let mut keys: Vec<u32> = blocks.iter().map(|b| b.key).collect();
    keys.sort_unstable();
    keys.dedup();
    let lockouts =
        timecharts::lockout_shades(&blocks, &keys, key_names, " (replication 1, any strategy)");
    let sub = format!("{} — mean of {k} replication(s)", scenario.name);
    let mut out = vec![
        (
            "throughput",
            timecharts::throughput(
                &format!("Throughput: {sub}"),
                &lines,
                c.interval,
                c.horizon,
                &lockouts,
            ),
        ),
        (
            "rate_429",
            timecharts::rate_429(
                &format!("429 rate: {sub}"),
                &lines,
                c.interval,
                c.horizon,
                &lockouts,
            ),
        ),
    ];

    let merged: Vec<GroupStats> = (0..names.len()).map(|s| merged_stats(c, s)).collect();
    let cdf: Vec<Series> = names
        .iter()
        .zip(&merged)
        .map(|(n, m)| Series {
            name: n.to_string(),
            // Over every arrival: the curve tops out at the share that
            // succeeded, never at 100% when requests were given up.
            points: if m.completion.is_empty() {
                Vec::new()
            } else {
                let top = m.success_share();
                (0..=200)
                    .map(|i| {
                        let q = f64::from(i) / 200.0;
                        (
                            m.completion.value_at_quantile(q) as f64 / 1e3,
                            q * top * 100.0,
                        )
                    })
                    .collect()
            },
        })
        .collect();
    let (lo, hi) = merged.iter().filter(|m| !m.completion.is_empty()).fold(
        (f64::INFINITY, 0.0f64),
        |(lo, hi), m| {
            (
                lo.min(m.completion.min() as f64 / 1e3),
                hi.max(m.completion.max() as f64 / 1e3),
            )
        },
    );
    out.push((
        "completion_cdf",
        Chart::Line(LineChart {
            title: format!(
                "Requests completed by time since arrival: {}",
                scenario.name
            ),
            x_label: if hi > 20.0 * lo {
                "arrival to success (s, log scale)".into()
            } else {
                "arrival to success (s)".into()
            },
            y_label: "share of all arrivals completed (%)".into(),
            series: cdf,
            step: true,
            y_min_zero: true,
            y_max: Some(100.0),
            legend_lower_right: true,
            x_log: hi > 20.0 * lo,
            ..LineChart::default()
        }),
    ));
    let buckets = merged
        .iter()
        .map(|m| m.attempts_hist.iter().rposition(|&n| n > 0).unwrap_or(0) + 1)
        .max()
        .unwrap_or(1);
    let attempts: Vec<Series> = names
        .iter()
        .zip(&merged)
        .map(|(n, m)| {
            let total: u64 = m.attempts_hist.iter().sum();
            // Drawn as a histogram outline: each count holds over [n - 0.5, n + 0.5).
            let share = |i: usize| 100.0 * m.attempts_hist[i] as f64 / total.max(1) as f64;
            let mut points: Vec<(f64, f64)> =
                (0..buckets).map(|i| (i as f64 + 0.5, share(i))).collect();
            points.push((buckets as f64 + 0.5, share(buckets - 1)));
            Series {
                name: n.to_string(),
                points,
            }
        })
        .collect();
    out.push((
        "attempts",
        Chart::Line(LineChart {
            title: format!("Attempts per finished request: {}", scenario.name),
            x_label: "attempts (the last bucket includes more)".into(),
            y_label: "share of finished requests (%)".into(),
            series: attempts,
            step: true,
            x_range: Some((0.5, buckets as f64 + 0.5)),
            y_min_zero: true,
            y_max: Some(100.0),
            ..LineChart::default()
        }),
    ));
    let bars = (0..names.len())
        .map(|s| {
            let e = estimates(c, s)[METRICS
                .iter()
                .position(|m| m.0 == "attempts_per_success")
                .expect("metric exists")];
            Bar {
                label: names[s].to_string(),
                value: e.mean,
                low: Some(e.low()),
                high: Some(e.high()),
            }
        })
        .collect();
    out.push((
        "wasted_work",
        Chart::Bar(BarChart {
            title: format!(
                "Attempts sent per successful request (95% CI): {}",
                scenario.name
            ),
            x_label: "strategy".into(),
            y_label: "attempts per success".into(),
            bars,
            colour_by_label: true,
        }),
    ));
    out
}
