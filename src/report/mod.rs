//! Report rendering: turns simulation outcomes into bytes (charts, tables,
//! documents). Nothing here writes files; the single writer in
//! [`crate::output`] puts the bytes on disk.

pub mod charts;
pub mod compare;
pub mod export;
pub mod html;
pub mod markdown;
pub mod plan;
pub mod ratelimit_log;
pub mod requests;
pub mod summary;
pub mod terminal;
pub mod timecharts;
pub mod timeseries;

use crate::outcome::Outcome;
use crate::scenario::Scenario;

/// Every file `ratesim run` writes besides requests.csv, as (name, bytes).
pub fn run_files(
    scenario: &Scenario,
    outcome: &Outcome,
) -> Result<Vec<(String, Vec<u8>)>, charts::ChartError> {
    let mut files = vec![
        (
            "summary.csv".to_string(),
            summary::summary_csv(scenario, outcome),
        ),
        (
            "timeseries.csv".to_string(),
            timeseries::timeseries_csv(scenario, outcome),
        ),
        (
            "utilisation.csv".to_string(),
            summary::utilisation_csv(scenario, outcome),
        ),
    ];
    let lines: Vec<timecharts::Line<'_>> = scenario
        .groups
        .iter()
        .zip(&outcome.series.rows)
        .map(|(g, rows)| timecharts::Line {
            name: g.name.clone(),
            intervals: rows,
            runs: 1,
        })
        .collect();
    // Every key a group uses, in key order, each shaded in its own colour.
    let mut keys: Vec<u32> = (0..outcome.keys.len() as u32).collect();
    keys.retain(|k| outcome.lockouts.iter().any(|b| b.key == *k));
    let mut shaded = timecharts::lockout_shades(&outcome.lockouts, &keys, &outcome.keys, "");
    shaded.extend(timecharts::outage_shade(&outcome.outages));
    let interval = outcome.series.interval;
    let title = |what: &str| format!("{what}: {} (seed {})", scenario.name, outcome.seed);
    let to_render = vec![
        (
            "throughput",
            timecharts::throughput(
                &title("Throughput"),
                &lines,
                interval,
                outcome.horizon,
                &shaded,
            ),
        ),
        (
            "rate_429",
            timecharts::rate_429(
                &title("429 rate"),
                &lines,
                interval,
                outcome.horizon,
                &shaded,
            ),
        ),
    ];
    files.extend(charts::render_files(to_render)?.0);
    Ok(files)
}
