//! The Pareto charts of `ratesim tune`: the candidates no other evaluated
//! candidate beats on success share, p99 and attempts per success at once,
//! each at its means with 95% whiskers, plus the strategy's own values for
//! reference. One chart puts success share against p99, the other against
//! attempts per success.

use crate::report::charts::{Chart, Ci, Point, ScatterChart};
use crate::scenario::Scenario;
use crate::stats::Estimate;
use crate::tune::TuneResult;

/// Most points a chart shows (the front's best by success share first).
const MAX_POINTS: usize = 12;

/// The candidates charted: the front (at most [`MAX_POINTS`] - 1), the best
/// and the defaults always among them.
fn charted(res: &TuneResult) -> Vec<usize> {
    let mut ids: Vec<usize> = res.pareto_front();
    ids.truncate(MAX_POINTS - 2);
    for must in [res.best, 0] {
        if !ids.contains(&must) {
            ids.push(must);
        }
    }
    ids
}

fn label(res: &TuneResult, id: usize) -> String {
    let mut l = res.candidates[id].label();
    if id == res.best && id != 0 {
        l += " (best)";
    } else if id == res.best {
        l += " (best: the defaults)";
    }
    l
}

fn ci(e: Estimate, scale: f64) -> Ci {
    Ci {
        mean: e.mean * scale,
        low: e.low() * scale,
        high: e.high() * scale,
    }
}

/// The two charts, as (file stem, chart).
pub fn tune_charts(sc: &Scenario, res: &TuneResult) -> Vec<(&'static str, Chart)> {
    let ids = charted(res);
    let subtitle = format!(
        "{} · Pareto front of {} candidates and the defaults, means with 95% CI",
        sc.name,
        res.candidates.len() - 1
    );
    let points = |y: &dyn Fn(&crate::tune::Summary) -> Ci| -> Vec<Point> {
        ids.iter()
            .map(|&id| {
                let s = res.candidates[id].summary();
                Point {
                    label: label(res, id),
                    x: ci(s.success_share(), 100.0),
                    y: y(&s),
                }
            })
            .collect()
    };
    vec![
        (
            "pareto_p99",
            Chart::Scatter(ScatterChart {
                title: "Success share against p99 completion".into(),
                subtitle: subtitle.clone(),
                x_label: "requests that succeeded (%)".into(),
                y_label: "p99 completion of successes (s)".into(),
                points: points(&|s| ci(s.p99_s(), 1.0)),
                better: "better: down and to the right".into(),
            }),
        ),
        (
            "pareto_attempts",
            Chart::Scatter(ScatterChart {
                title: "Success share against attempts per success".into(),
                subtitle,
                x_label: "requests that succeeded (%)".into(),
                y_label: "attempts sent per successful request".into(),
                points: points(&|s| ci(s.attempts_per_success(), 1.0)),
                better: "better: down and to the right".into(),
            }),
        ),
    ]
}
