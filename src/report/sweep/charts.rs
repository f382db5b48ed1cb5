//! The sweep's charts: the metric of interest along each axis that has
//! more than one value (strategy as bars, load factor and limit multiple as
//! lines, one line per setting of the other axes), with 95% intervals.
//! A `set` axis is a line chart when its values read as numbers (numbers,
//! durations in seconds, rates per minute, booleans as 0 and 1), else bars
//! at the first setting of the other axes.

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

/// How a `set` axis's values are placed along x: each value as a number
/// and what the axis label adds, or `None` when they do not all read as
/// one kind of number (names, mixed kinds).
fn numeric(values: &[String]) -> Option<(Vec<f64>, &'static str)> {
    let all =
        |f: &dyn Fn(&str) -> Option<f64>| values.iter().map(|v| f(v)).collect::<Option<Vec<f64>>>();
    if let Some(x) = all(&|v| v.parse::<f64>().ok().filter(|x| x.is_finite())) {
        return Some((x, ""));
    }
    if let Some(x) = all(&|v| crate::time::parse_duration(v).ok().map(|d| d.as_secs_f64())) {
        return Some((x, " (s)"));
    }
    if let Some(x) = all(&|v| crate::time::parse_rate(v).ok().map(|r| r * 60.0)) {
        return Some((x, " (per minute)"));
    }
    all(&|v| match v {
        "false" => Some(0.0),
        "true" => Some(1.0),
        _ => None,
    })
    .map(|x| (x, " (0 = false, 1 = true)"))
}

/// The most bars in a group of a `set` axis of names.
const MAX_GROUPED: usize = 6;

/// The file stem of the chart along `set` path `path`: its letters and
/// digits, other characters as `-`, after the prefix by which
/// `output::Kind::holds` knows a sweep's file (`output::SWEEP_SET_CHART`).
fn set_stem(path: &str) -> String {
    let slug: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("sweep_set_{slug}")
}

/// Every chart of a sweep whose `set` paths are `set`, as (file stem,
/// chart).
pub fn charts(rows: &[Row], focus: &Focus, set: &[String]) -> Vec<(String, Chart)> {
    let Some(m) = METRICS.iter().position(|x| x.0 == focus.metric) else {
        return Vec::new();
    };
    let points = focus_points(rows, focus);
    let strategies = distinct(points.iter().map(|g| g[0].strategy.clone()));
    let loads = distinct(points.iter().map(|g| g[0].load.to_bits()));
    let limits = distinct(points.iter().map(|g| g[0].limits));
    // The values of each `set` axis, and which axes vary.
    let set_values: Vec<Vec<String>> = (0..set.len())
        .map(|a| distinct(points.iter().map(|g| g[0].set[a].clone())))
        .collect();
    let varying: Vec<usize> = (0..set.len())
        .filter(|&a| set_values[a].len() > 1)
        .collect();
    // The varying `set` values of a point other than axis `skip`, as a
    // series label's tail.
    let set_key = |r: &Row, skip: Option<usize>| -> String {
        varying
            .iter()
            .filter(|&&a| Some(a) != skip)
            .map(|&a| format!(" · {} = {}", set[a], r.set[a]))
            .collect()
    };
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
        for &a in &varying {
            at.push(format!("{} = {}", set[a], set_values[a][0]));
        }
        let first_set = |r: &Row| varying.iter().all(|&a| r.set[a] == set_values[a][0]);
        let bars = points
            .iter()
            .filter(|g| {
                g[0].load.to_bits() == load.to_bits() && g[0].limits == limit && first_set(g[0])
            })
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
            "sweep_strategy".to_string(),
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
                    let mut est: Vec<(f64, crate::stats::Estimate)> =
                        mine.iter().map(|g| (x(g[0]), estimate(g, m))).collect();
                    // Along x, whatever order the values were listed in.
                    est.sort_by(|a, b| a.0.total_cmp(&b.0));
                    Series {
                        points: est.iter().map(|(x, e)| (*x, e.mean)).collect(),
                        band: est.iter().map(|(x, e)| (*x, e.low(), e.high())).collect(),
                        ..Series::new(k.clone(), Vec::new())
                    }
                })
                .collect::<Vec<Series>>();
            // Ticks at the swept settings themselves (a handful), so no one
            // reads max_attempts = 2.5.
            let mut at: Vec<f64> = series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .filter(|x| x.is_finite())
                .collect();
            at.sort_by(f64::total_cmp);
            at.dedup();
            Chart::Line(LineChart {
                x_ticks_at: if at.len() <= 12 { at } else { Vec::new() },
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
            "sweep_load".to_string(),
            line(
                &format!("{} by load factor", focus.metric),
                "load factor (× the scenario's offered load)",
                &|r| r.load,
                &|r| {
                    format!(
                        "{} · limits ×{}{}",
                        strategy_label(&r.strategy),
                        r.limits,
                        set_key(r, None)
                    )
                },
            ),
        ));
    }
    if limits.len() > 1 {
        out.push((
            "sweep_limits".to_string(),
            line(
                &format!("{} by limit multiple", focus.metric),
                "limit multiple (× every limit)",
                &|r| f64::from(r.limits),
                &|r| {
                    format!(
                        "{} · load ×{}{}",
                        strategy_label(&r.strategy),
                        r.load,
                        set_key(r, None)
                    )
                },
            ),
        ));
    }
    let mut stems: Vec<String> = Vec::new();
    for &a in &varying {
        let mut stem = set_stem(&set[a]);
        if stems.contains(&stem) {
            stem = format!("{stem}-{}", a + 1);
        }
        stems.push(stem.clone());
        // A series per setting of the other axes that vary.
        let key = |r: &Row| -> String {
            let mut parts = Vec::new();
            if strategies.len() > 1 {
                parts.push(strategy_label(&r.strategy).to_string());
            }
            if loads.len() > 1 {
                parts.push(format!("load ×{}", r.load));
            }
            if limits.len() > 1 {
                parts.push(format!("limits ×{}", r.limits));
            }
            let mut k = parts.join(" · ");
            let tail = set_key(r, Some(a));
            k += if k.is_empty() {
                tail.trim_start_matches(" · ")
            } else {
                &tail
            };
            if k.is_empty() {
                focus.group.clone()
            } else {
                k
            }
        };
        let title = format!("{} by {}", focus.metric, set[a]);
        let chart = match numeric(&set_values[a]) {
            Some((xs, unit)) => {
                let x = |r: &Row| {
                    let i = set_values[a].iter().position(|v| *v == r.set[a]);
                    i.map_or(f64::NAN, |i| xs[i])
                };
                line(&title, &format!("{}{unit}", set[a]), &x, &key)
            }
            None => {
                // Names: a group of bars per value, a bar per setting of the
                // other axes that vary (up to six; with more, one bar per
                // value at the first setting of the others).
                let settings = distinct(points.iter().map(|g| key(g[0])));
                let grouped = (2..=MAX_GROUPED).contains(&settings.len());
                let first = |r: &Row| {
                    r.strategy == strategies[0]
                        && r.load.to_bits() == loads[0]
                        && r.limits == limits[0]
                        && varying
                            .iter()
                            .all(|&b| b == a || r.set[b] == set_values[b][0])
                };
                let shown: Vec<&String> = if grouped {
                    settings.iter().collect()
                } else {
                    settings.iter().take(1).collect()
                };
                let mut bars = Vec::new();
                for v in &set_values[a] {
                    for (j, k) in shown.iter().enumerate() {
                        let Some(g) = points.iter().find(|g| {
                            g[0].set[a] == *v
                                && (if grouped {
                                    key(g[0]) == **k
                                } else {
                                    first(g[0])
                                })
                        }) else {
                            continue;
                        };
                        let e = estimate(g, m);
                        bars.push(Bar {
                            // A group is named under its middle bar.
                            label: if j == shown.len() / 2 {
                                v.clone()
                            } else {
                                String::new()
                            },
                            value: e.mean,
                            low: Some(e.low()),
                            high: Some(e.high()),
                        });
                    }
                }
                let at = (!grouped && settings.len() > 1).then(|| settings[0].clone());
                Chart::Bar(BarChart {
                    title,
                    subtitle: match at {
                        Some(at) => format!("{subtitle}, at {at}"),
                        None => subtitle.clone(),
                    },
                    x_label: set[a].clone(),
                    y_label: focus.metric.clone(),
                    bars,
                    colour_by_label: !grouped,
                    group_names: if grouped {
                        settings.clone()
                    } else {
                        Vec::new()
                    },
                })
            }
        };
        out.push((stem, chart));
    }
    out
}
