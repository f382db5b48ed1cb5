//! Report rendering: turns simulation outcomes into bytes (charts, tables,
//! documents). Nothing here writes files; the single writer in
//! [`crate::output`] puts the bytes on disk.

pub mod charts;
pub mod requests;
pub mod summary;
pub mod timeseries;

use crate::engine::Outcome;
use crate::scenario::Scenario;

/// Every file `ratesim run` writes besides requests.csv, as (name, bytes).
pub fn run_files(scenario: &Scenario, outcome: &Outcome) -> Vec<(String, Vec<u8>)> {
    vec![
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
    ]
}
