//! The outputs of `ratesim plan`: plan.csv, breakpoints.csv, five charts,
//! report.md and a self-contained report.html, written for a reader who has
//! never seen ratesim.
//!
//! `csv` writes the two data files, `charts` the charts, `document` the
//! text of report.md and report.html (and the terminal verdict), `render`
//! those two documents; this file
//! assembles them and holds the small helpers they share.

mod charts;
mod csv;
mod document;
mod render;

pub use self::charts::{plan_charts, CHARTS};
pub use self::csv::{breakpoints_csv, plan_csv};
pub use self::document::verdict;
pub(crate) use self::render::{html_blocks, markdown, Block, BANNER_STYLE};
pub use self::render::{report_html, report_md};

use super::charts::ChartError;
use crate::plan::{PlanResult, Scope};
use crate::scenario::Scenario;

pub(super) fn minutes(sc: &Scenario) -> f64 {
    sc.horizon().as_secs_f64() / 60.0
}

pub(super) fn scopes(res: &PlanResult) -> Vec<Scope> {
    std::iter::once(Scope::All)
        .chain(res.models.iter().map(|&m| Scope::Model(m)))
        .collect()
}

/// Offered requests per minute of `scope` today (mean over replications).
pub(super) fn offered_today(sc: &Scenario, res: &PlanResult, scope: Scope) -> f64 {
    res.today_mean(scope, |s| s.arrivals as f64) / (sc.duration.as_secs_f64() / 60.0)
}

pub(super) fn factor_label(f: f64) -> String {
    if f >= 10.0 {
        format!("{f:.0}×")
    } else if f >= 1.0 {
        format!("{f:.2}×")
    } else {
        format!("{f:.3}×")
    }
}

/// Every file `ratesim plan` writes, as (name, bytes).
pub fn plan_files(sc: &Scenario, res: &PlanResult) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut files = vec![
        ("plan.csv".to_string(), plan_csv(sc, res)),
        ("breakpoints.csv".to_string(), breakpoints_csv(sc, res)),
    ];
    let (chart_files, svgs) = super::charts::render_files(plan_charts(sc, res))?;
    files.extend(chart_files);
    files.push(("report.md".to_string(), report_md(sc, res).into_bytes()));
    files.push((
        "report.html".to_string(),
        report_html(sc, res, &svgs).into_bytes(),
    ));
    Ok(files)
}
