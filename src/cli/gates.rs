//! The CI gates of `run` and `compare`: the scenario's `[thresholds]` and
//! `--threshold` terms, checked against summary.csv's figures; a crossed
//! one exits 3, naming it and by how much.
//!
//! `run` checks each threshold on its group (or the total) of the one run.
//! `compare` checks them on every strategy's means across replications (the
//! figures of compare_summary.csv), and every strategy must hold every
//! threshold: a gate that one candidate crosses fails. compare measures the
//! compared groups together, so it checks the thresholds on `total` (which
//! there means the compared traffic) and those on a group only when that
//! group is the one compared; it names the ones it cannot check.

use super::{input, GateFailed};
use anyhow::Result;
use ratesim::report::summary::METRICS;
use ratesim::scenario::Scenario;
use ratesim::threshold::Threshold;

/// The scenario's thresholds and those given with `--threshold`, every
/// figure checked against summary.csv's columns and every group against the
/// scenario's.
pub fn gather(sc: &Scenario, flags: &[String]) -> Result<Vec<Threshold>> {
    let mut all = sc.thresholds.clone();
    for term in flags {
        let (group, t) = match term.split_once(':') {
            Some((g, t)) if !g.contains('<') => (Some(g.trim()), t),
            _ => (None, term.as_str()),
        };
        let group = group.filter(|g| *g != "total");
        if let Some(g) = group {
            if !sc.groups.iter().any(|x| x.name == g) {
                let close =
                    ratesim::suggest::close_matches(g, sc.groups.iter().map(|x| x.name.as_str()));
                return Err(input(format!(
                    "--threshold {term:?}: no group is called {g:?}{}",
                    ratesim::suggest::did_you_mean(&close)
                )));
            }
        }
        all.push(Threshold::parse(group, t).map_err(|e| input(format!("--threshold: {e}")))?);
    }
    let columns: Vec<&str> = METRICS.iter().map(|m| m.0).collect();
    for t in &all {
        if !columns.contains(&t.metric.as_str()) {
            let hint = ratesim::suggest::did_you_mean(&ratesim::suggest::close_matches(
                &t.metric,
                columns.iter().copied(),
            ));
            return Err(input(format!(
                "threshold {t}: no summary figure is called {:?}{hint}; a figure is a column of summary.csv, or p50, p95, p99, p99_all, max, locked_out",
                t.metric
            )));
        }
    }
    Ok(all)
}

/// The index of `t`'s figure in [`METRICS`] (checked by [`gather`]).
pub fn metric_index(t: &Threshold) -> usize {
    METRICS
        .iter()
        .position(|m| m.0 == t.metric)
        .expect("gather checked the figure")
}

/// Why `value` crosses `t`, or `None` when it holds.
pub fn crossing(t: &Threshold, value: f64) -> Option<String> {
    let num = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.4}")
        }
    };
    (!t.holds(value)).then(|| {
        if value.is_finite() {
            format!(
                "{t}: {} is {}, over {} by {}",
                t.metric,
                num(value),
                num(t.max),
                num(value - t.max)
            )
        } else {
            format!("{t}: {} is not reached", t.metric)
        }
    })
}

/// Ok with the line to print when all `count` gates held (none when there
/// are none), else the exit-3 error: how many of them were crossed and
/// every crossing, one per line. `held` ends the first ("for every
/// strategy"), `by` the second ("by 2 of 6 strategies").
pub fn verdict(
    count: usize,
    crossed: usize,
    lines: &[String],
    held: &str,
    by: &str,
) -> Result<String> {
    if lines.is_empty() {
        return Ok(if count == 0 {
            String::new()
        } else {
            format!("all {count} threshold(s) hold{held}\n")
        });
    }
    Err(anyhow::Error::new(GateFailed(format!(
        "{crossed} of {count} threshold(s) crossed{by}:\n  {}",
        lines.join("\n  ")
    ))))
}
