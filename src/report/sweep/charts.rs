//! The sweep's charts: the metric of interest along each axis that has
//! more than one value (strategy as bars, load factor and limit multiple as
//! lines, one line per setting of the other axes), with 95% intervals.

use super::{by_point_group, estimate, Focus, Row};
use crate::report::charts::{Bar, BarChart, Chart, LineChart, Series};
use crate::report::summary::METRICS;

/// The rows of the focus group, one list per point, in point order.
fn focus_points<'a>(rows: &'a [Row], focus: &Focus) -> Vec<Vec<&'a Row>> {
    by_point_group(rows)
        .into_iter()
        .filter(|g| g[0].group == focus.group)
        .collect()
}

fn distinct<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn strategy_label(s: &str) -> &str {
    if s.is_empty() {
        "as written"
    } else {
        s
    }
}

/// Every chart of a sweep, as (file stem, chart).
pub fn charts(rows: &[Row], focus: &Focus) -> Vec<(&'static str, Chart)> {
    let Some(m) = METRICS.iter().position(|x| x.0 == focus.metric) else {
        return Vec::new();
    };
    let points = focus_points(rows, focus);
    let strategies = distinct(points.iter().map(|g| g[0].strategy.clone()));
    let loads = distinct(points.iter().map(|g| g[0].load.to_bits()));
    let limits = distinct(points.iter().map(|g| g[0].limits));
    let subtitle = format!(
        "{} of {}, mean and 95% interval across replications",
        focus.metric, focus.group
    );
    let mut out = Vec::new();
    if strategies.len() > 1 {
        // One bar per strategy, at the setting of the other axes nearest the
        // scenario as written (load x1, limits x1): a bar for every point of
        // a grid is too many to read; the line charts show the rest.
        let load = loads
            .iter()
            .map(|b| f64::from_bits(*b))
            .min_by(|a, b| (a - 1.0).abs().total_cmp(&(b - 1.0).abs()))
            .unwrap_or(1.0);
        let limit = limits.iter().copied().min().unwrap_or(1);
        let mut at = Vec::new();
        if loads.len() > 1 {
            at.push(format!("load ×{load}"));
        }
        if limits.len() > 1 {
            at.push(format!("limits ×{limit}"));
        }
        let bars = points
            .iter()
            .filter(|g| g[0].load.to_bits() == load.to_bits() && g[0].limits == limit)
            .map(|g| {
                let r = g[0];
                let e = estimate(g, m);
                Bar {
                    label: strategy_label(&r.strategy).to_string(),
                    value: e.mean,
                    low: Some(e.low()),
                    high: Some(e.high()),
                }
            })
            .collect();
        out.push((
            "sweep_strategy",
            Chart::Bar(BarChart {
                title: format!("{} by strategy", focus.metric),
                subtitle: if at.is_empty() {
                    subtitle.clone()
                } else {
                    format!("{subtitle}, at {}", at.join(", "))
                },
                x_label: "strategy".into(),
                y_label: focus.metric.clone(),
                bars,
                colour_by_label: true,
                ..BarChart::default()
            }),
        ));
    }
    // A line along `x` for every setting of the other axes.
    let line =
        |title: &str, x_label: &str, x: &dyn Fn(&Row) -> f64, key: &dyn Fn(&Row) -> String| {
            let keys = distinct(points.iter().map(|g| key(g[0])));
            let series = keys
                .iter()
                .map(|k| {
                    let mine: Vec<&Vec<&Row>> = points.iter().filter(|g| &key(g[0]) == k).collect();
                    let est: Vec<(f64, crate::stats::Estimate)> =
                        mine.iter().map(|g| (x(g[0]), estimate(g, m))).collect();
                    Series {
                        points: est.iter().map(|(x, e)| (*x, e.mean)).collect(),
                        band: est.iter().map(|(x, e)| (*x, e.low(), e.high())).collect(),
                        ..Series::new(k.clone(), Vec::new())
                    }
                })
                .collect();
            Chart::Line(LineChart {
                title: title.to_string(),
                subtitle: subtitle.clone(),
                x_label: x_label.to_string(),
                y_label: focus.metric.clone(),
                series,
                y_min_zero: true,
                // A share tops out at 1: above it the axis is only legend room.
                y_max: focus.metric.ends_with("share").then_some(1.0),
                ..LineChart::default()
            })
        };
    if loads.len() > 1 {
        out.push((
            "sweep_load",
            line(
                &format!("{} by load factor", focus.metric),
                "load factor (× the scenario's offered load)",
                &|r| r.load,
                &|r| format!("{} · limits ×{}", strategy_label(&r.strategy), r.limits),
            ),
        ));
    }
    if limits.len() > 1 {
        out.push((
            "sweep_limits",
            line(
                &format!("{} by limit multiple", focus.metric),
                "limit multiple (× every limit)",
                &|r| f64::from(r.limits),
                &|r| format!("{} · load ×{}", strategy_label(&r.strategy), r.load),
            ),
        ));
    }
    out
}
