//! The two data files of a plan: plan.csv (every simulated run, one row per
//! scope) and breakpoints.csv (every break point with its interval).

use super::{minutes, offered_today, scopes};
use crate::plan::{BreakPoint, PlanResult, Point};
use crate::report::summary::csv_bytes;
use crate::scenario::Scenario;

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
    "rejected_429_concurrency",
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
