//! The plan's charts: goodput, 429 share and p99 against offered load, the
//! limits' utilisation today and the growth chart, with the file stems and
//! captions ([`CHARTS`]) the reports show them under.

use super::{factor_label, minutes};
use crate::plan::{PlanResult, Scope, ScopeStats, Sweep};
use crate::policy::describe::thousands;
use crate::policy::Counts;
use crate::report::charts::{Bar, BarChart, Chart, LineChart, Panels, Series};
use crate::scenario::Scenario;
use crate::stats::Estimate;

/// Mean of `f` over replications at each grid factor, for one scope, with
/// its 95% band (when there are replications to spread).
fn curve(
    res: &PlanResult,
    sweep: &Sweep,
    scope: Scope,
    f: impl Fn(&ScopeStats) -> f64,
    name: String,
) -> Series {
    let mut points = Vec::new();
    let mut band = Vec::new();
    for &x in &res.settings.factors {
        let values: Vec<f64> = sweep.at(x).iter().map(|p| f(&p.scope(scope))).collect();
        let e = Estimate::of(&values);
        points.push((x, e.mean));
        if values.len() > 1 {
            band.push((x, e.low().max(0.0), e.high()));
        }
    }
    Series {
        name,
        points,
        band,
        style: None,
    }
}

fn markers(res: &PlanResult) -> Vec<(f64, String)> {
    let mut m = vec![(1.0, "today".to_string())];
    let bp = res.breakpoint(Scope::All);
    if !bp.unreachable() && bp.estimate.mean != 1.0 {
        m.push((
            bp.estimate.mean,
            format!("break point (all) {}", factor_label(bp.estimate.mean)),
        ));
    }
    m
}

/// The charts of a plan as (file stem, chart).
pub fn plan_charts(sc: &Scenario, res: &PlanResult) -> Vec<(&'static str, Chart)> {
    let k = res.settings.replications;
    let x_label = "offered load (× today's, log scale)".to_string();
    let model_name = |m: u32| sc.policy.models[m as usize].id.clone();
    let per_model = |f: &dyn Fn(&ScopeStats) -> f64, with_all: bool| -> Vec<Series> {
        let mut v: Vec<Series> = res
            .models
            .iter()
            .map(|&m| curve(res, &res.main, Scope::Model(m), f, model_name(m)))
            .collect();
        if with_all {
            v.push(curve(res, &res.main, Scope::All, f, "all traffic".into()));
        }
        v
    };
    // A little beyond the sweep so the log axis ticks land outside the
    // data (0.25..4 shows 0.2 and 5) and both ends of the sweep are readable.
    let range = Some((
        res.settings.factors[0] * 0.8,
        *res.settings.factors.last().expect("non-empty") * 1.25,
    ));
    let mins = minutes(sc);
    let today = res.today();
    // Each model's binding limit over all its keys, in requests per minute.
    // A token limit is converted at today's mean charge per admitted
    // request (admitted tokens / admitted requests on the busiest key).
    let limit_lines: Vec<(f64, String)> = res
        .models
        .iter()
        .filter_map(|&m| {
            let model = &sc.policy.models[m as usize];
            let per_minute = |counts| {
                model
                    .limits
                    .iter()
                    .find(|l| l.counts == counts && l.window == crate::time::Nanos::MINUTE)
            };
            let rpm = per_minute(Counts::Requests)?;
            let keys = today
                .iter()
                .flat_map(|p| p.limits.iter())
                .filter(|l| l.model == m && l.limit == *rpm)
                .map(|l| l.keys)
                .max()
                .unwrap_or(1);
            let on_keys = if keys > 1 {
                format!("{keys} keys × ")
            } else {
                String::new()
            };
            let util = res.utilisation_today(m);
            let used = |spec: &crate::policy::LimitSpec| {
                util.iter()
                    .find(|(l, _)| l == spec)
                    .map_or(0.0, |(_, u)| u * spec.amount as f64)
            };
            if let Some(tpm) =
                per_minute(Counts::Tokens).filter(|_| res.binding(Scope::Model(m)).is_tokens())
            {
                let charge = used(tpm) / used(rpm).max(1e-9);
                if charge > 0.0 {
                    let rate = tpm.amount as f64 * f64::from(keys) / charge;
                    return Some((
                        rate,
                        format!(
                            "{}: {on_keys}{} TPM ≈ {rate:.0} req/min at {} tokens each",
                            model.id,
                            thousands(tpm.amount),
                            thousands(charge.round() as u64)
                        ),
                    ));
                }
            }
            Some((
                (rpm.amount * u64::from(keys)) as f64,
                format!("{}: {on_keys}{} RPM", model.id, rpm.amount),
            ))
        })
        .collect();
    let sub = format!("{} — mean of {k} replication(s)", sc.name);
    let mut out = vec![
        (
            "goodput",
            Chart::Line(LineChart {
                title: format!("Goodput vs offered load: {sub}"),
                x_label: x_label.clone(),
                y_label: "successful requests / min".into(),
                series: per_model(&|s| s.succeeded as f64 / mins, false),
                hlines: limit_lines,
                markers: markers(res),
                x_log: true,
                x_range: range,
                y_min_zero: true,
                ..LineChart::default()
            }),
        ),
        (
            "share_429",
            share_429_chart(
                res,
                &sub,
                &x_label,
                range,
                per_model(&|s| 100.0 * s.share_429(), true),
            ),
        ),
        (
            "p99",
            Chart::Line(LineChart {
                title: format!("p99 completion time vs offered load: {sub}"),
                x_label,
                y_label: "p99 arrival to success (s)".into(),
                series: per_model(&|s| s.p99_s, true),
                hlines: res
                    .settings
                    .objective
                    .max_p99
                    .map(|x| (x.as_secs_f64(), format!("objective ≤ {x}")))
                    .into_iter()
                    .collect(),
                markers: markers(res),
                x_log: true,
                x_range: range,
                y_min_zero: true,
                ..LineChart::default()
            }),
        ),
    ];
    let used: Vec<(u32, crate::policy::LimitSpec, f64)> = res
        .models
        .iter()
        .flat_map(|&m| {
            res.utilisation_today(m)
                .into_iter()
                .map(move |(l, u)| (m, l, u))
        })
        .collect();
    // The busiest minutes of each limit at today's load, the mean over
    // replications: a limit used 40% over the run may be full in its peaks.
    let today = res.today();
    let peaks = |m: u32, l: &crate::policy::LimitSpec| -> Option<(f64, f64)> {
        let v: Vec<(f64, f64)> = today
            .iter()
            .flat_map(|p| p.limits.iter())
            .filter(|u| u.model == m && u.limit == *l)
            .filter_map(|u| u.minutes)
            .collect();
        (!v.is_empty()).then(|| {
            let n = v.len() as f64;
            (
                v.iter().map(|p| p.0).sum::<f64>() / n,
                v.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
    };
    // Model ids are cut so the labels under the bars do not run into each
    // other: about 9 px a character in a slot of 1,050 px / groups.
    let room = (1050 / used.len().max(1) / 9).saturating_sub(5).max(6);
    let bar = |label: String, value: f64| Bar {
        label,
        value: 100.0 * value,
        low: None,
        high: None,
    };
    let bars: Vec<Bar> = used
        .iter()
        .flat_map(|&(m, l, u)| {
            let (p95, max) = peaks(m, &l).unwrap_or((f64::NAN, f64::NAN));
            [
                bar(String::new(), u),
                bar(
                    format!("{} {}", short(&model_name(m), room), l.label()),
                    p95,
                ),
                bar(String::new(), max),
            ]
        })
        .collect();
    out.push((
        "utilisation",
        Chart::Bar(BarChart {
            title: format!("Limit utilisation at today's load: {}", sc.name),
            subtitle: format!(
                "busiest key · mean of {k} replication(s) · request (R..) and token (T..) limits named under each group"
            ),
            x_label: "model and limit (busiest key)".into(),
            y_label: "admitted / capacity (%)".into(),
            bars,
            group_names: vec![
                "mean over the run".into(),
                "p95 minute".into(),
                "busiest minute".into(),
            ],
            ..BarChart::default()
        }),
    ));
    out.push(("growth", growth_chart(sc, res)));
    out
}

/// The 429 share against load on the full scale and, when the objective
/// caps it, beside it on a scale where the threshold is visible (a 1%
/// objective is a hairline on 0–100%).
fn share_429_chart(
    res: &PlanResult,
    sub: &str,
    x_label: &str,
    range: Option<(f64, f64)>,
    series: Vec<Series>,
) -> Chart {
    let objective = res.settings.objective.max_share_429.map(|x| 100.0 * x);
    let full = LineChart {
        title: "full scale".into(),
        x_label: x_label.to_string(),
        y_label: "429 share of attempts (%)".into(),
        series,
        hlines: objective
            .map(|x| (x, format!("objective ≤ {x}%")))
            .into_iter()
            .collect(),
        markers: markers(res),
        x_log: true,
        x_range: range,
        y_min_zero: true,
        y_max: Some(100.0),
        ..LineChart::default()
    };
    let title = format!("429 share vs offered load: {sub}");
    match objective {
        Some(x) if x * 4.0 < 100.0 => {
            let top = x * 4.0;
            let zoom = LineChart {
                title: format!("near the objective: 0–{top}% (higher values drawn at the top)"),
                y_max: Some(top),
                ..full.clone()
            };
            Chart::Panels(Panels {
                title,
                subtitle: String::new(),
                panels: vec![full, zoom],
                columns: 1,
            })
        }
        _ => Chart::Line(LineChart { title, ..full }),
    }
}

/// A model id cut to at most `max` characters, an ellipsis marking the cut.
fn short(id: &str, max: usize) -> String {
    if id.chars().count() <= max {
        id.to_string()
    } else {
        format!("{}…", id.chars().take(max - 1).collect::<String>())
    }
}

fn growth_chart(sc: &Scenario, res: &PlanResult) -> Chart {
    let s = &res.settings;
    // Each model's break point is a dot where the projected load reaches it
    // (at month 0, below the curve, when today's load is already past it),
    // named in the legend with its date; model i keeps colour i of the
    // other charts, the projection comes last.
    let mut series = Vec::new();
    let mut end = f64::from(s.horizon_months);
    for &m in &res.models {
        let bp = res.breakpoint(Scope::Model(m));
        let id = &sc.policy.models[m as usize].id;
        let above = bp.above_sweep() * 2 > bp.searches.len();
        let at = if bp.unreachable() {
            0.0
        } else {
            bp.estimate.mean
        };
        let (points, when) = match res.crossing(at) {
            Some((0.0, _)) => (vec![(0.0, at)], "already past".to_string()),
            Some((months, date)) if months <= 60.0 => {
                end = end.max(months.ceil());
                // A break point above the sweep is only a lower bound: the
                // date is open-ended, drawn as a line running on from it.
                if above {
                    (
                        vec![(months, at), (f64::INFINITY, at)],
                        format!("not before {date} →"),
                    )
                } else {
                    (vec![(months, at)], date.to_string())
                }
            }
            Some((_, date)) => (Vec::new(), format!("after {date}")),
            None => (Vec::new(), "never at this growth".to_string()),
        };
        series.push(Series::new(
            format!(
                "{id} breaks at {}{}: {when}",
                if above { "≥ " } else { "" },
                factor_label(at)
            ),
            points,
        ));
    }
    // Open-ended bounds run to the right edge, known only now.
    for p in series.iter_mut().flat_map(|s| s.points.iter_mut()) {
        if p.0.is_infinite() {
            p.0 = end;
        }
    }
    series.push(Series {
        // Black and solid: the curve the break points sit on.
        style: Some(6),
        ..Series::new(
            format!("projected load, +{:.0}%/month", 100.0 * s.growth),
            (0..=(end * 4.0) as u32)
                .map(|i| {
                    let t = f64::from(i) / 4.0;
                    (t, (1.0 + s.growth).powf(t))
                })
                .collect(),
        )
    });
    Chart::Line(LineChart {
        title: format!(
            "Traffic growth at {:.0}% a month from {}: {}",
            100.0 * s.growth,
            s.start_date,
            sc.name
        ),
        x_label: format!("months from {}", s.start_date),
        y_label: "load (× today's)".into(),
        series,
        x_range: Some((0.0, end)),
        y_min_zero: true,
        ..LineChart::default()
    })
}

/// The file stems of the charts, in report order, with captions.
pub const CHARTS: &[(&str, &str)] = &[
    (
        "goodput",
        "Goodput vs offered load, shaded: 95% band over replications (dashed: each model's binding limit over all its keys, in requests per minute; goodput falling as load rises means retries and lockouts eat the capacity)",
    ),
    (
        "share_429",
        "429 share vs offered load (below: scaled to the objective, so the threshold is visible)",
    ),
    ("p99", "p99 completion time vs offered load"),
    (
        "utilisation",
        "Utilisation of each limit at today's load: over the run, in its p95 minute and in its busiest minute",
    ),
    ("growth", "When growth reaches each break point"),
];
