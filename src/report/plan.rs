//! The outputs of `ratesim plan`: plan.csv, breakpoints.csv, five charts,
//! report.md and a self-contained report.html, written for a reader who has
//! never seen ratesim.

use super::charts::{self, Bar, BarChart, Chart, ChartError, LineChart, Series};
use super::html::{self, escape, inline};
use super::summary::csv_bytes;
use crate::plan::{BreakPoint, Mechanism, PlanResult, Point, Scope, ScopeStats, Sweep};
use crate::policy::Counts;
use crate::scenario::Scenario;
use std::fmt::Write as _;

fn minutes(sc: &Scenario) -> f64 {
    sc.horizon().as_secs_f64() / 60.0
}

fn scopes(res: &PlanResult) -> Vec<Scope> {
    std::iter::once(Scope::All)
        .chain(res.models.iter().map(|&m| Scope::Model(m)))
        .collect()
}

const PLAN_COLUMNS: &[&str] = &[
    "variant",
    "factor",
    "replication",
    "seed",
    "scope",
    "arrivals",
    "offered_rpm",
    "attempts",
    "succeeded",
    "gave_up",
    "unservable",
    "in_flight",
    "rejected_429",
    "rejected_429_rpm",
    "rejected_429_rpd",
    "rejected_429_tpm",
    "rejected_429_lockout",
    "rejected_429_overloaded",
    "share_429",
    "gave_up_share",
    "goodput_rpm",
    "goodput_tpm",
    "completion_p50_s",
    "completion_p99_s",
    "locked_out_s",
    "meets_objective",
];

fn point_rows(sc: &Scenario, res: &PlanResult, variant: &str, p: &Point) -> Vec<Vec<String>> {
    let arrive_min = sc.duration.as_secs_f64() / 60.0;
    scopes(res)
        .into_iter()
        .map(|scope| {
            let s = p.scope(scope);
            let mut row = vec![
                variant.to_string(),
                format!("{:.6}", p.factor),
                (p.replication + 1).to_string(),
                p.seed.to_string(),
                scope.name(sc),
                s.arrivals.to_string(),
                format!("{:.3}", s.arrivals as f64 / arrive_min),
                s.attempts.to_string(),
                s.succeeded.to_string(),
                s.gave_up.to_string(),
                s.unservable.to_string(),
                s.in_flight.to_string(),
                s.rejected.iter().sum::<u64>().to_string(),
            ];
            row.extend(s.rejected.iter().map(u64::to_string));
            row.extend([
                format!("{:.6}", s.share_429()),
                format!("{:.6}", s.gave_up_share()),
                format!("{:.3}", s.succeeded as f64 / minutes(sc)),
                format!("{:.1}", s.tokens as f64 / minutes(sc)),
                format!("{:.3}", s.p50_s),
                format!("{:.3}", s.p99_s),
                format!("{:.3}", s.locked_out_s),
                res.settings.objective.meets(&s.measured()).to_string(),
            ]);
            row
        })
        .collect()
}

/// plan.csv: every simulated point, one row per (run, scope): the sweep of
/// the configured scenario, each candidate strategy's sweep, the outage
/// check and the raised-limit runs.
pub fn plan_csv(sc: &Scenario, res: &PlanResult) -> Vec<u8> {
    let mut rows = Vec::new();
    for p in &res.main.points {
        rows.extend(point_rows(sc, res, "configured", p));
    }
    for c in &res.candidates {
        for p in &c.points {
            rows.extend(point_rows(sc, res, &format!("strategy {}", c.label), p));
        }
    }
    for p in &res.outage {
        rows.extend(point_rows(sc, res, "outage", p));
    }
    for (k, pts) in &res.limits {
        for p in pts {
            rows.extend(point_rows(sc, res, &format!("limits x{k}"), p));
        }
    }
    csv_bytes(PLAN_COLUMNS, &rows)
}

/// Offered requests per minute of `scope` today (mean over replications).
fn offered_today(sc: &Scenario, res: &PlanResult, scope: Scope) -> f64 {
    res.today_mean(scope, |s| s.arrivals as f64) / (sc.duration.as_secs_f64() / 60.0)
}

/// breakpoints.csv: one row per (variant, scope, objective).
pub fn breakpoints_csv(sc: &Scenario, res: &PlanResult) -> Vec<u8> {
    let header = [
        "variant",
        "scope",
        "objective",
        "replications",
        "break_point",
        "ci95_low",
        "ci95_high",
        "min",
        "max",
        "below_sweep",
        "above_sweep",
        "offered_rpm_today",
        "offered_rpm_at_break",
        "binding_limit",
        "first_symptom",
        "mechanism",
    ];
    let mut rows = Vec::new();
    let mut push = |variant: &str, bp: &BreakPoint, main: bool| {
        let values: Vec<f64> = bp.searches.iter().map(|s| s.value()).collect();
        let offered = offered_today(sc, res, bp.goal.scope);
        let is_objective = bp.goal.objective == res.settings.objective;
        rows.push(vec![
            variant.to_string(),
            bp.goal.scope.name(sc),
            if is_objective {
                bp.goal.objective.to_string()
            } else {
                "no 429 (pacing)".to_string()
            },
            bp.searches.len().to_string(),
            format!("{:.4}", bp.estimate.mean),
            format!("{:.4}", bp.estimate.low().max(0.0)),
            format!("{:.4}", bp.estimate.high()),
            format!(
                "{:.4}",
                values.iter().copied().fold(f64::INFINITY, f64::min)
            ),
            format!("{:.4}", values.iter().copied().fold(0.0, f64::max)),
            bp.below_sweep().to_string(),
            bp.above_sweep().to_string(),
            format!("{offered:.3}"),
            format!("{:.3}", offered * bp.estimate.mean),
            if main && is_objective {
                res.binding(bp.goal.scope).label().to_string()
            } else {
                String::new()
            },
            if main && is_objective {
                res.symptoms(bp.goal.scope)
                    .first()
                    .map_or_else(String::new, |(t, _)| t.clone())
            } else {
                String::new()
            },
            if main && is_objective {
                res.mechanism(sc, bp.goal.scope)
                    .map_or_else(String::new, |m| m.describe())
            } else {
                String::new()
            },
        ]);
    };
    for bp in &res.main.breakpoints {
        push("configured", bp, true);
    }
    for c in &res.candidates {
        for bp in &c.breakpoints {
            push(&format!("strategy {}", c.label), bp, false);
        }
    }
    csv_bytes(&header, &rows)
}

/// Mean of `f` over replications at each grid factor, for one scope.
fn curve(
    res: &PlanResult,
    sweep: &Sweep,
    scope: Scope,
    f: impl Fn(&ScopeStats) -> f64,
) -> Vec<(f64, f64)> {
    res.settings
        .factors
        .iter()
        .map(|&x| {
            let pts = sweep.at(x);
            let y = pts.iter().map(|p| f(&p.scope(scope))).sum::<f64>() / pts.len().max(1) as f64;
            (x, y)
        })
        .collect()
}

fn factor_label(f: f64) -> String {
    if f >= 10.0 {
        format!("{f:.0}×")
    } else if f >= 1.0 {
        format!("{f:.2}×")
    } else {
        format!("{f:.3}×")
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
            .map(|&m| Series {
                name: model_name(m),
                points: curve(res, &res.main, Scope::Model(m), f),
            })
            .collect();
        if with_all {
            v.push(Series {
                name: "all traffic".into(),
                points: curve(res, &res.main, Scope::All, f),
            });
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
            Chart::Line(LineChart {
                title: format!("429 share vs offered load: {sub}"),
                x_label: x_label.clone(),
                y_label: "429 share of attempts (%)".into(),
                series: per_model(&|s| 100.0 * s.share_429(), true),
                hlines: res
                    .settings
                    .objective
                    .max_share_429
                    .map(|x| (100.0 * x, format!("objective ≤ {}%", 100.0 * x)))
                    .into_iter()
                    .collect(),
                markers: markers(res),
                x_log: true,
                x_range: range,
                y_min_zero: true,
                y_max: Some(100.0),
                ..LineChart::default()
            }),
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
    // Model ids are cut so the labels under the bars do not run into each
    // other: about 9 px a character in a slot of 1,050 px / bars.
    let room = (1050 / used.len().max(1) / 9).saturating_sub(5).max(6);
    let bars: Vec<Bar> = used
        .iter()
        .map(|&(m, l, u)| Bar {
            label: format!("{} {}", short(&model_name(m), room), l.label()),
            value: 100.0 * u,
            low: None,
            high: None,
        })
        .collect();
    out.push((
        "utilisation",
        Chart::Bar(BarChart {
            title: format!("Limit utilisation at today's load: {}", sc.name),
            x_label: "model and limit (busiest key)".into(),
            y_label: "admitted / capacity over the run (%)".into(),
            bars,
            colour_by_label: false,
        }),
    ));
    out.push(("growth", growth_chart(sc, res)));
    out
}

/// A whole number with thousands separators: 2000000 -> "2,000,000".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
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
                let when = if above {
                    format!("not before {date}")
                } else {
                    date.to_string()
                };
                (vec![(months, at)], when)
            }
            Some((_, date)) => (Vec::new(), format!("after {date}")),
            None => (Vec::new(), "never at this growth".to_string()),
        };
        series.push(Series {
            name: format!(
                "{id} breaks at {}{}: {when}",
                if above { "≥ " } else { "" },
                factor_label(at)
            ),
            points,
        });
    }
    series.push(Series {
        name: format!("projected load, +{:.0}%/month", 100.0 * s.growth),
        points: (0..=(end * 4.0) as u32)
            .map(|i| {
                let t = f64::from(i) / 4.0;
                (t, (1.0 + s.growth).powf(t))
            })
            .collect(),
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
        "Goodput vs offered load (dashed: each model's binding limit over all its keys, in requests per minute; goodput falling as load rises means retries and lockouts eat the capacity)",
    ),
    ("share_429", "429 share vs offered load"),
    ("p99", "p99 completion time vs offered load"),
    ("utilisation", "Utilisation of each limit at today's load"),
    ("growth", "When growth reaches each break point"),
];

/// A block of the report: a paragraph, a list or a table.
enum Block {
    Heading(String),
    Para(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
}

fn pct(x: f64) -> String {
    if x == 0.0 {
        "0%".to_string()
    } else if x < 0.001 {
        format!("{:.2}%", 100.0 * x)
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

fn bp_text(bp: &BreakPoint, factors: &[f64]) -> String {
    let n = bp.searches.len();
    let (lo, hi) = (factors[0], *factors.last().expect("non-empty"));
    if bp.unreachable() {
        return format!("below {} (out of reach)", factor_label(lo));
    }
    if bp.above_sweep() * 2 > n {
        return format!("at least {}", factor_label(hi));
    }
    let e = bp.estimate;
    if n > 1 {
        format!(
            "{} (95% CI {} to {})",
            factor_label(e.mean),
            factor_label(e.low().max(0.0)),
            factor_label(e.high())
        )
    } else {
        factor_label(e.mean)
    }
}

fn headroom(bp: &BreakPoint) -> String {
    if bp.unreachable() {
        return "none".into();
    }
    let h = bp.estimate.mean - 1.0;
    if bp.above_sweep() * 2 > bp.searches.len() {
        format!("at least +{:.0}%", 100.0 * h)
    } else if h >= 0.0 {
        format!("+{:.0}%", 100.0 * h)
    } else {
        format!("{:.0}% (over today)", 100.0 * h)
    }
}

fn blocks(sc: &Scenario, res: &PlanResult) -> Vec<Block> {
    let s = &res.settings;
    let k = s.replications;
    let obj = &s.objective;
    let name = |scope: Scope| scope.name(sc);
    let mut b = Vec::new();

    b.push(Block::Para(format!(
        "Scenario **{}**{}: {} of traffic (then {} of drain) against policy `{}` with {} windows.",
        sc.name,
        if sc.description.is_empty() {
            String::new()
        } else {
            format!(" — {}", sc.description)
        },
        sc.duration,
        sc.drain,
        sc.policy.preset,
        sc.policy.window.name()
    )));
    b.push(Block::Para(format!(
        "**The objective**: {obj}. A load **meets** it when the simulated {} of traffic stays within every term. \"Load ×2\" means twice today's traffic: every arrival rate doubled (closed-loop groups get twice the workers; recorded traces are replayed twice as fast). Each load was simulated {k} times with different random seeds (the same seeds at every load), so the numbers below come with 95% confidence intervals.",
        sc.duration
    )));

    // The answer.
    b.push(Block::Heading("The answer".into()));
    let all = res.breakpoint(Scope::All);
    let mut answer = Vec::new();
    if all.unreachable() {
        answer.push(format!(
            "**The objective is out of reach**: even at {} of today's traffic it is broken in {} of {k} simulated runs. Nothing in this plan's load range meets it; see what breaks first below and the recommendations.",
            factor_label(s.factors[0]),
            all.below_sweep()
        ));
    } else {
        answer.push(format!(
            "All traffic together meets the objective up to **{}** today's load. Headroom: {}.",
            bp_text(all, &s.factors),
            headroom(all)
        ));
    }
    for &m in &res.models {
        let scope = Scope::Model(m);
        let bp = res.breakpoint(scope);
        let binding = res.binding(scope);
        let symptom = res
            .symptoms(scope)
            .first()
            .map(|(t, n)| format!("; first symptom: {t} ({n} of {k} runs)"))
            .unwrap_or_default();
        let cause = match res.mechanisms(sc, scope).first() {
            Some((m, n)) => format!("breaks by {} ({n} of {k} runs)", m.describe()),
            None => "does not break in the sweep".to_string(),
        };
        let split = res
            .own_keys_breakpoint(scope)
            .filter(|_| matches!(res.mechanism(sc, scope), Some(Mechanism::Lockout { .. })))
            .map(|o| {
                format!(
                    " With every group on a key of its own (which also gives each group its own per-key limits) it meets the objective up to {}.",
                    bp_text(o, &s.factors)
                )
            })
            .unwrap_or_default();
        if bp.unreachable() {
            answer.push(format!(
                "`{}`: **out of reach** — the objective is broken even at {}; it {cause}{symptom}. Its own limit that refuses first: {}.{split}",
                name(scope),
                factor_label(s.factors[0]),
                binding.label()
            ));
        } else {
            answer.push(format!(
                "`{}`: meets it up to {}; it {cause}{symptom}. Its own limit that refuses first: {}.{split}",
                name(scope),
                bp_text(bp, &s.factors),
                binding.label()
            ));
        }
    }
    b.push(Block::List(answer));

    // Per model table.
    b.push(Block::Heading("Per model".into()));
    b.push(Block::Para("Break point: the largest load (× today's) that meets the objective for that model's requests, all traffic scaled together. Utilisation: admitted / capacity of each limit over the run at today's load, on the busiest key. The crossing date assumes the stated growth.".into()));
    let header: Vec<String> = [
        "model",
        "offered today (req/min)",
        "break point",
        "headroom",
        "binds first",
        "utilisation today",
        "first symptom and mechanism",
        "crossed on",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for &m in &res.models {
        let scope = Scope::Model(m);
        let bp = res.breakpoint(scope);
        let util: Vec<String> = res
            .utilisation_today(m)
            .iter()
            .map(|(l, u)| format!("{} {}", l.label(), pct(*u)))
            .collect();
        let crossing = if bp.unreachable() {
            "already".to_string()
        } else if bp.above_sweep() * 2 > bp.searches.len() {
            match res.crossing(bp.estimate.mean) {
                Some((_, d)) => format!("not before {d}"),
                None => "never (no growth)".into(),
            }
        } else {
            match res.crossing(bp.estimate.mean) {
                Some((0.0, _)) => "already".to_string(),
                Some((_, d)) => d.to_string(),
                None => "never (no growth)".into(),
            }
        };
        rows.push(vec![
            name(scope),
            format!("{:.1}", offered_today(sc, res, scope)),
            bp_text(bp, &s.factors),
            headroom(bp),
            res.binding(scope).label().to_string(),
            if util.is_empty() {
                "not limited".into()
            } else {
                util.join(", ")
            },
            res.mechanism(sc, scope).map_or_else(
                || "none in range".into(),
                |m| match res.symptoms(scope).first() {
                    Some((t, _)) => format!("{t}: {}", m.describe()),
                    None => m.describe(),
                },
            ),
            crossing,
        ]);
    }
    b.push(Block::Table(header, rows));

    // Growth.
    b.push(Block::Heading("Growth".into()));
    b.push(Block::Para(format!(
        "At {:.0}% growth a month from {}, load is {} today's after {} months. A model crosses its break point b after ln(b) / ln(1 + growth) months.",
        100.0 * s.growth,
        s.start_date,
        factor_label(s.projected_factor()),
        s.horizon_months
    )));

    // Lockout check.
    b.push(Block::Heading("Abuse lockout during a 5xx burst".into()));
    let o = Some((res.outage_window.start, res.outage_window.end));
    let locked_with = res
        .outage
        .iter()
        .filter(|p| p.all.locked_out_s > 0.0)
        .count();
    let locked_without = res
        .today()
        .iter()
        .filter(|p| p.all.locked_out_s > 0.0)
        .count();
    let locked_keys = |pts: &[&Point]| -> std::collections::BTreeSet<String> {
        pts.iter()
            .flat_map(|p| p.key_lockout_s.iter())
            .filter(|(_, s)| *s > 0.0)
            .map(|(k, _)| k.clone())
            .collect()
    };
    let with: Vec<&Point> = res.outage.iter().collect();
    let keys_with = locked_keys(&with);
    let keys_without = locked_keys(&res.today());
    let only_outage: Vec<String> = keys_with
        .difference(&keys_without)
        .map(|k| format!("`{k}`"))
        .collect();
    let mean_locked = res.outage.iter().map(|p| p.all.locked_out_s).sum::<f64>() / f64::from(k);
    let mean_base = res.today().iter().map(|p| p.all.locked_out_s).sum::<f64>() / f64::from(k);
    let when = o.map_or_else(String::new, |(a, e)| format!(" from {a} to {e}"));
    let rule = format!(
        "more than {} counted answers in {} block a key for {}",
        sc.policy.lockout.threshold, sc.policy.lockout.window, sc.policy.lockout.block
    );
    b.push(Block::Para(if !sc.policy.lockout.enabled {
        "The scenario disables the abuse lockout, so no outage can trigger it.".to_string()
    } else if locked_with == 0 {
        format!(
            "With every admitted request answered 503 for {}{when} at today's load, **no key was locked out** in any of {k} runs: the configured strategies back off enough to stay under the abuse threshold ({rule}).",
            s.outage
        )
    } else if only_outage.is_empty() && locked_without > 0 {
        format!(
            "Today's load already trips the abuse lockout without any outage ({locked_without} of {k} runs, {mean_base:.0} s per run on average, keys {}); a {} 503 burst{when} makes it {mean_locked:.0} s ({locked_with} of {k} runs). Rule: {rule}.",
            keys_without.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            s.outage
        )
    } else {
        format!(
            "**Yes: the configured strategies trip the abuse lockout during a 5xx burst.** With every admitted request answered 503 for {}{when} at today's load, {} locked out in {locked_with} of {k} runs ({mean_locked:.0} s of lockout per run on average{}). Rule: {rule}; fast, persistent retries of 5xx count toward it, longer backoff or a retry budget avoids it.",
            s.outage,
            if only_outage.len() == 1 {
                format!("key {} was", only_outage[0])
            } else {
                format!("keys {} were", only_outage.join(", "))
            },
            if locked_without > 0 {
                format!(
                    "; without the outage only {} locked out, {mean_base:.0} s",
                    keys_without.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                )
            } else {
                "; none without the outage".to_string()
            }
        )
    }));

    // Recommendations.
    b.push(Block::Heading("Recommendations".into()));
    let mut recs = Vec::new();
    // Strategy.
    if !res.candidates.is_empty() {
        let mut ranked: Vec<(&str, &BreakPoint)> = res
            .candidates
            .iter()
            .map(|c| (c.label.as_str(), &c.breakpoints[0]))
            .collect();
        ranked.sort_by(|a, b| b.1.estimate.mean.total_cmp(&a.1.estimate.mean));
        let (best, bbp) = ranked[0];
        let list: Vec<String> = ranked
            .iter()
            .map(|(n, bp)| format!("{n} {}", bp_text(bp, &s.factors)))
            .collect();
        let vs_now = if bbp.estimate.mean > all.estimate.mean {
            if bbp.estimate.low() > all.estimate.high() {
                "clearly better than the configured strategies".to_string()
            } else {
                "better than the configured strategies, though within the uncertainty".to_string()
            }
        } else {
            "no better than the configured strategies".to_string()
        };
        recs.push(format!(
            "**Strategy**: `{best}` keeps the objective to the highest load, {} — {vs_now} ({}). All candidates, break point overall: {}.",
            bp_text(bbp, &s.factors),
            bp_text(all, &s.factors),
            list.join("; ")
        ));
    }
    // Pacing: only where a model's own limits are what refuses it; a pacer
    // cannot avoid a lockout that other traffic on the key trips.
    let mut pacing = Vec::new();
    let mut not_pacing = Vec::new();
    for &m in &res.models {
        let z = res.zero_429(m);
        let id = &sc.policy.models[m as usize].id;
        let offered = offered_today(sc, res, Scope::Model(m));
        match res.pacing_mechanism(sc, m) {
            Some(mech) if !mech.pacing_helps() => {
                not_pacing.push(format!("`{id}` ({})", mech.describe()));
                continue;
            }
            _ => {}
        }
        if z.unreachable() {
            pacing.push(format!(
                "`{id}` sees 429s from its own limits even at {} today's rate ({:.1} req/min): pace it with a client-side token bucket below its limit",
                factor_label(s.factors[0]),
                offered * s.factors[0]
            ));
        } else {
            let above = z.above_sweep() * 2 > z.searches.len();
            pacing.push(format!(
                "`{id}` {}{:.1} req/min ({} today's)",
                if above { "at least " } else { "" },
                offered * z.estimate.mean,
                factor_label(z.estimate.mean)
            ));
        }
    }
    if !pacing.is_empty() {
        recs.push(format!(
            "**Pacing**: the highest steady offered rate with no 429 at all in every run, from the sweep: {}. A client-side pacer set at or below these rates (per model and key) avoids the 429s of these models' own limits with this traffic's burstiness.",
            pacing.join("; ")
        ));
    }
    if !not_pacing.is_empty() {
        recs.push(format!(
            "**Pacing cannot help** {}: the first 429s these models meet do not come from their own limits, so pacing their requests does not avoid them. Fix the retries of the groups named, or move them to a key of their own.",
            not_pacing.join("; ")
        ));
    }
    // Keys / limits.
    let projected = s.projected_factor();
    let mut limit_recs = Vec::new();
    for scope in scopes(res) {
        match res.limit_multiple(scope) {
            Some(1) => {}
            Some(m) => limit_recs.push(format!("`{}` ×{m}", name(scope))),
            None => limit_recs.push(format!(
                "`{}` more than ×{} (not met at any multiple tried)",
                name(scope),
                crate::plan::LIMIT_MULTIPLES.last().expect("non-empty")
            )),
        }
    }
    recs.push(if limit_recs.is_empty() {
        format!(
            "**Keys and limits**: today's limits meet the objective at the projected load ({} in {} months).",
            factor_label(projected),
            s.horizon_months
        )
    } else {
        format!(
            "**Keys and limits**: at the projected load ({} today's, {} months of growth), the objective needs every limit multiplied by: {}. That is the tier to ask for, or as many keys with the traffic split evenly over them (limits count per key; each key also gets its own abuse threshold). Simulated with every limit ×{}.",
            factor_label(projected),
            s.horizon_months,
            limit_recs.join(", "),
            crate::plan::LIMIT_MULTIPLES
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ×")
        )
    });
    // Unservable.
    let unservable: Vec<String> = res
        .models
        .iter()
        .filter_map(|&m| {
            let scope = Scope::Model(m);
            let n = res.today_mean(scope, |s| s.unservable as f64);
            (n > 0.0).then(|| {
                let share = n / res.today_mean(scope, |s| s.arrivals as f64).max(1.0);
                format!(
                    "`{}`: {n:.1} requests per run ({}) are larger than its token limit on their own and can never pass; split them or cut max_tokens",
                    name(scope),
                    pct(share)
                )
            })
        })
        .collect();
    recs.push(if unservable.is_empty() {
        "**Request sizes**: no request is too large for its model's token limit.".to_string()
    } else {
        format!("**Request sizes**: {}.", unservable.join("; "))
    });
    b.push(Block::List(recs));

    // Method.
    b.push(Block::Heading("How this was computed".into()));
    b.push(Block::List(vec![
        format!(
            "Load factors {} (geometric grid), then {} bisection steps between the last factor that held and the first that broke, separately in each of {k} replications (seeds {} to {}).",
            s.factors.iter().map(|f| factor_label(*f)).collect::<Vec<_>>().join(", "),
            s.bisect_steps,
            s.base_seed,
            s.base_seed + u64::from(k) - 1
        ),
        "A replication's break point is the largest factor that held; the break point shown is their mean with a Student-t 95% interval. A replication broken even at the smallest factor counts as 0; one that held at the largest counts as the largest (a lower bound).".into(),
        "429 share counts every 429 (limit, abuse lockout, overload) among attempts; p99 is over successful requests, arrival to success; given up counts requests the client abandoned or refused, as a share of arrivals. Requests too large for a token limit are reported separately.".into(),
        "The model's own limit that refuses first is the limit that refused most attempts at the smallest load where any of its limits refuses one; \"neither\" when none does in the sweep. What breaks a model is read off each replication's first breaking run: the failure most of its failed attempts met (its own limit; the abuse lockout of its key, with the client groups whose failures tripped the block; overload; or 5xx faults).".into(),
    ]));
    b.push(Block::Para("Data beside this report: plan.csv (every simulated run and scope) and breakpoints.csv (every break point with its interval).".into()));
    b
}

/// report.md, with the charts as PNG links beside it.
pub fn report_md(sc: &Scenario, res: &PlanResult) -> String {
    let mut md = format!("# Capacity plan: {}\n\n", sc.name);
    for block in blocks(sc, res) {
        match block {
            Block::Heading(h) => {
                let _ = write!(md, "## {h}\n\n");
            }
            Block::Para(p) => {
                let _ = write!(md, "{p}\n\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(md, "- {i}");
                }
                md.push('\n');
            }
            Block::Table(head, rows) => {
                let _ = writeln!(md, "| {} |", head.join(" | "));
                let _ = writeln!(md, "|---|{}", "---:|".repeat(head.len() - 1));
                for r in rows {
                    let _ = writeln!(md, "| {} |", r.join(" | "));
                }
                md.push('\n');
            }
        }
    }
    md += "## Charts\n\n";
    for (stem, title) in CHARTS {
        let _ = writeln!(md, "### {title}\n\n![{title}]({stem}.png)\n");
    }
    md
}

/// One self-contained HTML page: no scripts, no fetches, SVG charts inline.
pub fn report_html(sc: &Scenario, res: &PlanResult, svgs: &[(&str, String)]) -> String {
    let mut h = String::new();
    for block in blocks(sc, res) {
        match block {
            Block::Heading(t) => {
                let _ = writeln!(h, "<h2>{}</h2>", escape(&t));
            }
            Block::Para(p) => {
                let _ = writeln!(h, "<p>{}</p>", inline(&p));
            }
            Block::List(items) => {
                h += "<ul>\n";
                for i in items {
                    let _ = writeln!(h, "<li>{}</li>", inline(&i));
                }
                h += "</ul>\n";
            }
            Block::Table(head, rows) => {
                h += "<table>\n<tr>";
                for c in head {
                    let _ = write!(h, "<th>{}</th>", escape(&c));
                }
                h += "</tr>\n";
                for r in rows {
                    h += "<tr>";
                    for c in r {
                        let _ = write!(h, "<td>{}</td>", inline(&c));
                    }
                    h += "</tr>\n";
                }
                h += "</table>\n";
            }
        }
    }
    h += &html::charts(CHARTS, svgs);
    html::page(&format!("Capacity plan: {}", sc.name), "", &h)
}

/// Every file `ratesim plan` writes, as (name, bytes).
pub fn plan_files(sc: &Scenario, res: &PlanResult) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut files = vec![
        ("plan.csv".to_string(), plan_csv(sc, res)),
        ("breakpoints.csv".to_string(), breakpoints_csv(sc, res)),
    ];
    let (chart_files, svgs) = charts::render_files(plan_charts(sc, res))?;
    files.extend(chart_files);
    files.push(("report.md".to_string(), report_md(sc, res).into_bytes()));
    files.push((
        "report.html".to_string(),
        report_html(sc, res, &svgs).into_bytes(),
    ));
    Ok(files)
}

/// The lines `ratesim plan` prints: the overall and per-model break points.
pub fn verdict(sc: &Scenario, res: &PlanResult) -> Vec<String> {
    let s = &res.settings;
    let mut out = vec![format!("objective: {}", s.objective)];
    for scope in scopes(res) {
        let bp = res.breakpoint(scope);
        let binding = match res.mechanism(sc, scope) {
            Some(m) => format!(", breaks by {}", m.describe()),
            None => String::new(),
        };
        out.push(format!(
            "{}: break point {}{binding}",
            scope.name(sc),
            bp_text(bp, &s.factors)
        ));
    }
    out
}
