//! The charts of `ratesim compare`: one drawing per question a reader has
//! when choosing a strategy.
//!
//! Over time, each strategy gets its own panel (small multiples on shared
//! axes), so six strategies never hide each other; each line is the mean
//! over the replications with its 95% band, and lockout is drawn as the
//! share of replications locked at each instant, not one replication's
//! blocks. The `tradeoff` scatter puts each strategy at its success share
//! and attempts per success, with both intervals.

use super::{estimates, merged_stats};
use crate::compare::Comparison;
use crate::outcome::{GroupStats, IntervalStats};
use crate::policy::Counts;
use crate::report::charts::{
    Bar, BarChart, Chart, Ci, LineChart, Panels, Point, ScatterChart, Series,
};
use crate::report::summary::METRICS;
use crate::report::timecharts::run::{limit_label, per_minute};
use crate::report::timecharts::{bin_note, run_range, Bins};
use crate::scenario::{Scenario, Workload};
use crate::stats::Estimate;
use crate::time::Nanos;

/// Per bin, the mean of `f` over `bins` (one per replication) and its band.
fn mean_band(bins: &[Bins], f: impl Fn(&Bins, usize) -> f64) -> Series {
    let n = bins.first().map_or(0, |b| b.bins.len());
    let mut points = Vec::with_capacity(n);
    let mut band = Vec::with_capacity(n);
    for i in 0..n {
        let values: Vec<f64> = bins
            .iter()
            .map(|b| f(b, i))
            .filter(|v| v.is_finite())
            .collect();
        let x = bins[0].x(i);
        if values.is_empty() {
            points.push((x, f64::NAN));
            continue;
        }
        let e = Estimate::of(&values);
        points.push((x, e.mean));
        if values.len() > 1 {
            band.push((x, e.low().max(0.0), e.high()));
        }
    }
    Series {
        points,
        band,
        ..Series::default()
    }
}

fn metric(c: &Comparison, s: usize, name: &str) -> Estimate {
    estimates(c, s)[METRICS
        .iter()
        .position(|m| m.0 == name)
        .expect("metric exists")]
}

/// The request limits (per minute) of the one (key, model) pair the
/// compared groups send to, named with the pair; none when they send to
/// several (a limit applies per key and model, so no single line would be
/// the one their requests meet) or replay a trace.
fn compared_limits(sc: &Scenario, c: &Comparison) -> Vec<(f64, String)> {
    let mut pairs = Vec::new();
    for &g in &c.plan.groups {
        match &sc.groups[g].workload {
            Workload::Synthetic(s) => {
                pairs.extend(s.models.iter().map(|m| (sc.groups[g].key, m.0)))
            }
            Workload::Trace { .. } => return Vec::new(),
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let [(key, model)] = pairs[..] else {
        return Vec::new();
    };
    let m = &sc.policy.models[model as usize];
    m.limits
        .iter()
        .filter(|l| l.counts == Counts::Requests && l.window < Nanos::from_secs(86_400))
        .map(|l| {
            let name = format!(
                "{} (key {} · {})",
                limit_label(l),
                sc.keys[key as usize],
                m.id
            );
            (per_minute(l), name)
        })
        .collect()
}

/// The charts of a comparison as (file stem, chart).
pub fn compare_charts(scenario: &Scenario, c: &Comparison) -> Vec<(&'static str, Chart)> {
    let names: Vec<&str> = c.plan.strategies.iter().map(|s| s.name.as_str()).collect();
    let k = c.plan.replications;
    // bins[s][r]: strategy s, replication r.
    let bins: Vec<Vec<Bins>> = (0..names.len())
        .map(|s| {
            c.runs_of(s)
                .iter()
                .map(|r| Bins::of(&r.series, c.interval))
                .collect()
        })
        .collect();
    let width = bins[0][0].width;
    let sub = format!(
        "{} · mean of {k} replication(s) with 95% band · {}",
        scenario.name,
        bin_note(width)
    );
    let columns = match names.len() {
        0..=1 => 1,
        2..=4 => 2,
        _ => 3,
    };
    let rate = |f: fn(&IntervalStats) -> u32| {
        move |b: &Bins, i: usize| b.per_minute(f64::from(f(&b.bins[i])))
    };
    let mut throughput: Vec<LineChart> = names
        .iter()
        .zip(&bins)
        .map(|(name, runs)| LineChart {
            title: name.to_string(),
            x_label: "time (min)".into(),
            y_label: "requests / min".into(),
            series: vec![
                Series {
                    name: "offered (arrivals)".into(),
                    ..mean_band(runs, rate(|s| s.offered))
                },
                Series {
                    name: "attempts".into(),
                    ..mean_band(runs, rate(|s| s.attempts))
                },
                Series {
                    name: "successes".into(),
                    ..mean_band(runs, rate(|s| s.successes))
                },
            ],
            y_min_zero: true,
            x_range: run_range(c.horizon),
            ..LineChart::default()
        })
        .collect();
    // One y scale for every panel, so heights compare across strategies.
    let top = throughput
        .iter()
        .flat_map(|p| &p.series)
        .flat_map(|s| {
            s.points
                .iter()
                .map(|p| p.1)
                .chain(s.band.iter().map(|b| b.2))
        })
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let limits = compared_limits(scenario, c);
    for p in &mut throughput {
        p.y_reach = Some(top.max(1.0));
        p.hlines = limits.clone();
    }
    let share = |b: &Bins, i: usize| {
        let s = &b.bins[i];
        if s.attempts == 0 {
            f64::NAN
        } else {
            100.0 * f64::from(s.rejected.iter().sum::<u32>()) / f64::from(s.attempts)
        }
    };
    let locked = |b: &Bins, i: usize| if b.bins[i].locked_ns > 0 { 100.0 } else { 0.0 };
    let rejections: Vec<LineChart> = names
        .iter()
        .zip(&bins)
        .map(|(name, runs)| {
            // The mean of 0 or 100 per replication: the share locked.
            let mut locked = mean_band(runs, locked);
            locked.band.clear();
            LineChart {
                title: name.to_string(),
                x_label: "time (min)".into(),
                y_label: "% of attempts / replications".into(),
                series: vec![
                    Series {
                        name: "429 share of attempts".into(),
                        style: Some(3),
                        ..mean_band(runs, share)
                    },
                    Series {
                        name: "replications locked out".into(),
                        style: Some(6),
                        ..locked
                    },
                ],
                y_min_zero: true,
                y_max: Some(100.0),
                x_range: run_range(c.horizon),
                ..LineChart::default()
            }
        })
        .collect();
    let mut out = vec![
        (
            "throughput",
            Chart::Panels(Panels {
                title: "Offered load, attempts and successes per strategy".into(),
                subtitle: format!("{sub} · per minute"),
                panels: throughput,
                columns,
            }),
        ),
        (
            "rate_429",
            Chart::Panels(Panels {
                title: "429 share and lockout per strategy".into(),
                subtitle: sub.clone(),
                panels: rejections,
                columns,
            }),
        ),
    ];
    let ci = |e: Estimate, scale: f64| Ci {
        mean: e.mean * scale,
        low: e.low() * scale,
        high: e.high() * scale,
    };
    out.push((
        "tradeoff",
        Chart::Scatter(ScatterChart {
            title: "Success share against attempts per success".into(),
            subtitle: format!(
                "{} · each strategy's mean over {k} replication(s), whiskers 95% CI",
                scenario.name
            ),
            x_label: "attempts sent per successful request".into(),
            y_label: "requests that succeeded (%)".into(),
            points: (0..names.len())
                .map(|s| Point {
                    label: names[s].to_string(),
                    x: ci(metric(c, s, "attempts_per_success"), 1.0),
                    y: ci(metric(c, s, "success_share"), 100.0),
                })
                .collect(),
            better: "better: up and to the left".into(),
        }),
    ));

    let merged: Vec<GroupStats> = (0..names.len()).map(|s| merged_stats(c, s)).collect();
    let cdf: Vec<Series> = names
        .iter()
        .zip(&merged)
        .map(|(n, m)| Series {
            name: n.to_string(),
            band: Vec::new(),
            style: None,
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
            Series::new(n.to_string(), points)
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
            let e = metric(c, s, "attempts_per_success");
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
            ..BarChart::default()
        }),
    ));
    out
}
