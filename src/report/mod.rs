//! Report rendering: turns simulation outcomes into bytes (charts, tables,
//! documents). Nothing here writes files; the single writer in
//! [`crate::output`] puts the bytes on disk.

pub mod charts;
pub mod compare;
pub mod export;
pub mod html;
pub mod markdown;
pub mod numbers;
pub mod plan;
pub mod ratelimit_log;
pub mod requests;
pub mod round_part;
pub mod summary;
pub mod sweep;
pub mod terminal;
pub mod timecharts;
pub mod timeseries;
pub mod tune;

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
    let to_render = timecharts::run::run_charts(scenario, outcome);
    files.extend(charts::render_files(to_render)?.0);
    Ok(files)
}
