//! The sweep's files: sweep.csv (one row per unit and group),
//! sweep_summary.csv (mean and 95% interval per point and group, from
//! [`crate::stats`]), the charts of the metric of interest along each axis,
//! and the part files a shard writes and `merge` reads.
//!
//! Both the single-process run and `merge` render from the same [`Row`]s
//! (a part file keeps every value in Rust's shortest round-trip form), so
//! the two write the same bytes.

mod charts;
mod part;

pub use part::{parse_part, part_bytes, Part, PartHeader};

use super::charts::ChartError;
use super::summary::{csv_bytes, format_metrics, metric_values, METRICS};
use crate::scenario::Scenario;
use crate::stats::Estimate;
use crate::sweep::{Grid, Unit, UnitResult};

/// One group's metrics in one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub unit: Unit,
    pub seed: u64,
    pub strategy: String,
    pub load: f64,
    pub limits: u32,
    /// The value of each `set` axis as written, in the axes' order.
    pub set: Vec<String>,
    /// A group's name, or `total`.
    pub group: String,
    /// The values of [`METRICS`].
    pub values: Vec<f64>,
}

/// What the charts plot: a metric (index into [`METRICS`]) of a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Focus {
    pub metric: String,
    pub group: String,
}

impl Focus {
    /// The sweep's focus, or why its metric is unknown.
    pub fn of(sc: &Scenario, grid: &Grid) -> Result<Focus, String> {
        let spec = grid.spec();
        if !METRICS.iter().any(|m| m.0 == spec.metric) {
            let names: Vec<&str> = METRICS.iter().map(|m| m.0).collect();
            let close = crate::suggest::close_matches(&spec.metric, names.iter().copied());
            let hint = if close.is_empty() {
                format!("one of {}", names.join(", "))
            } else {
                format!("did you mean {}?", close.join(" or "))
            };
            return Err(format!(
                "{}: sweep.metric: no summary metric is called {:?} ({hint})",
                sc.path.display(),
                spec.metric
            ));
        }
        Ok(Focus {
            metric: spec.metric.clone(),
            group: spec
                .group
                .map_or("total".to_string(), |g| sc.groups[g].name.clone()),
        })
    }
}

/// The rows of `results`: every group, then the total, per unit.
pub fn rows(sc: &Scenario, grid: &Grid, results: &[UnitResult]) -> Vec<Row> {
    let mut out = Vec::new();
    for r in results {
        let p = &grid.points[r.unit.point];
        for (i, s) in r.stats.iter().enumerate() {
            let group = sc.groups.get(i).map_or("total", |g| g.name.as_str());
            out.push(Row {
                unit: r.unit,
                seed: r.seed,
                strategy: p.strategy.clone(),
                load: p.load,
                limits: p.limits,
                set: p.set.iter().map(|v| v.label.clone()).collect(),
                group: group.to_string(),
                values: metric_values(s, r.minutes),
            });
        }
    }
    out
}

/// The columns that name a point: its index, strategy, load, limits and
/// one column per `set` path (headed by the path).
fn point_columns(set: &[String]) -> Vec<&str> {
    let mut c = vec!["point", "strategy", "load", "limits"];
    c.extend(set.iter().map(String::as_str));
    c
}

/// The values of [`point_columns`] for `r`.
fn point_values(r: &Row) -> Vec<String> {
    let mut v = vec![
        r.unit.point.to_string(),
        r.strategy.clone(),
        r.load.to_string(),
        r.limits.to_string(),
    ];
    v.extend(r.set.iter().cloned());
    v
}

/// sweep.csv: rows in (point, replication) order; `set` names the `set`
/// axes' paths.
pub fn sweep_csv(rows: &[Row], set: &[String]) -> Vec<u8> {
    let mut header = point_columns(set);
    header.extend(["replication", "seed", "group"]);
    header.extend(METRICS.iter().map(|m| m.0));
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = point_values(r);
            v.extend([
                r.unit.replication.to_string(),
                r.seed.to_string(),
                r.group.clone(),
            ]);
            v.extend(format_metrics(&r.values));
            v
        })
        .collect();
    csv_bytes(&header, &body)
}

/// The rows of one (point, group), in order of first appearance.
fn by_point_group(rows: &[Row]) -> Vec<Vec<&Row>> {
    let mut out: Vec<Vec<&Row>> = Vec::new();
    for r in rows {
        match out
            .iter_mut()
            .find(|g| g[0].unit.point == r.unit.point && g[0].group == r.group)
        {
            Some(g) => g.push(r),
            None => out.push(vec![r]),
        }
    }
    out
}

/// The estimate of metric `m` over `rows`.
fn estimate(rows: &[&Row], m: usize) -> Estimate {
    let v: Vec<f64> = rows.iter().map(|r| r.values[m]).collect();
    Estimate::of(&v)
}

/// The terminal's view of a sweep: the focus metric of the focus group at
/// every point, mean ± the 95% half-width across replications, with the
/// best point marked (highest, or lowest for metrics where less is better:
/// 429s, attempts, completion times, lockout, spend).
pub fn terminal(rows: &[Row], focus: &Focus, set: &[String]) -> String {
    use std::fmt::Write as _;
    let Some(m) = METRICS.iter().position(|x| x.0 == focus.metric) else {
        return String::new();
    };
    let points: Vec<Vec<&Row>> = by_point_group(rows)
        .into_iter()
        .filter(|g| g[0].group == focus.group)
        .collect();
    let lower_is_better = !["success", "succeeded", "goodput"]
        .iter()
        .any(|w| focus.metric.contains(w));
    let est: Vec<Estimate> = points.iter().map(|g| estimate(g, m)).collect();
    let best = (0..est.len())
        .filter(|&i| est[i].mean.is_finite())
        .min_by(|&a, &b| {
            let (x, y) = (est[a].mean, est[b].mean);
            if lower_is_better {
                x.total_cmp(&y)
            } else {
                y.total_cmp(&x)
            }
        });
    // With `set` axes, only the axes that vary are named (a line would
    // otherwise be mostly `as written · load ×1 · limits ×1`).
    let varies = |f: &dyn Fn(&Row) -> String| {
        set.is_empty() || points.iter().any(|g| f(g[0]) != f(points[0][0]))
    };
    let (by_strategy, by_load, by_limits) = (
        varies(&|r| r.strategy.clone()),
        varies(&|r| r.load.to_string()),
        varies(&|r| r.limits.to_string()),
    );
    let labels: Vec<String> = points
        .iter()
        .map(|g| {
            let r = g[0];
            let name = if r.strategy.is_empty() {
                "as written"
            } else {
                &r.strategy
            };
            let mut parts = Vec::new();
            if by_strategy {
                parts.push(name.to_string());
            }
            if by_load {
                parts.push(format!("load ×{}", r.load));
            }
            if by_limits {
                parts.push(format!("limits ×{}", r.limits));
            }
            for (path, value) in set.iter().zip(&r.set) {
                parts.push(format!("{path} = {value}"));
            }
            parts.join(" · ")
        })
        .collect();
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut out = format!(
        "{} of {}, mean ± 95% half-width over {} replication(s):\n",
        focus.metric,
        focus.group,
        points.first().map_or(0, Vec::len)
    );
    for (label, e) in labels.iter().zip(&est) {
        let pad = width - label.chars().count();
        let _ = writeln!(
            out,
            "  {label}{}  {:.4} ± {:.4}{}",
            " ".repeat(pad),
            e.mean,
            e.half_width,
            // Every point that ties the best is marked.
            if best
                .is_some_and(|b| (e.mean - est[b].mean).abs() <= 1e-12 * est[b].mean.abs().max(1.0))
            {
                "  ← best"
            } else {
                ""
            }
        );
    }
    out
}

/// sweep_summary.csv: per point and group, each metric's mean and the
/// half-width of its 95% interval across replications.
pub fn sweep_summary_csv(rows: &[Row], set: &[String]) -> Vec<u8> {
    let mut header: Vec<String> = point_columns(set).iter().map(|s| s.to_string()).collect();
    header.extend(["group".to_string(), "replications".to_string()]);
    for (m, _) in METRICS {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_ci95"));
    }
    let body: Vec<Vec<String>> = by_point_group(rows)
        .iter()
        .map(|g| {
            let r = g[0];
            let mut v = point_values(r);
            v.extend([r.group.clone(), g.len().to_string()]);
            for (m, (_, decimals)) in METRICS.iter().enumerate() {
                let e = estimate(g, m);
                let d = decimals.unwrap_or(2);
                v.push(format!("{:.d$}", e.mean));
                v.push(format!("{:.d$}", e.half_width));
            }
            v
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_bytes(&header, &body)
}

/// Every file of a sweep report, rendered from `rows` (complete, in grid
/// order) of a sweep whose `set` paths are `set`.
pub fn sweep_files(
    rows: &[Row],
    focus: &Focus,
    set: &[String],
) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut files = vec![
        ("sweep.csv".to_string(), sweep_csv(rows, set)),
        (
            "sweep_summary.csv".to_string(),
            sweep_summary_csv(rows, set),
        ),
    ];
    let (charts, _) = super::charts::render_files(charts::charts(rows, focus, set))?;
    files.extend(charts);
    Ok(files)
}
