//! The outputs of `ratesim tune`: tune.csv (every candidate after every
//! round it ran), best.toml (the best strategy as a table to paste), the
//! Pareto charts, report.md and a self-contained report.html.

mod charts;
mod document;

pub use charts::tune_charts;
pub use document::{report_html, report_md, verdict};

use crate::report::charts::{self as chart, ChartError};
use crate::report::summary::csv_bytes;
use crate::scenario::Scenario;
use crate::strategy::presets;
use crate::tune::{TuneResult, METRICS};

/// Decimals each metric is written with, in [`METRICS`] order.
const DECIMALS: [usize; 6] = [6, 4, 3, 6, 6, 3];

/// Every file of a tune report, as (name, bytes).
pub fn tune_files(sc: &Scenario, res: &TuneResult) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let (mut files, svgs) = chart::render_files(tune_charts(sc, res))?;
    files.push(("tune.csv".to_string(), tune_csv(res)));
    files.push(("best.toml".to_string(), best_toml(sc, res).into_bytes()));
    files.push(("report.md".to_string(), report_md(sc, res).into_bytes()));
    files.push((
        "report.html".to_string(),
        report_html(sc, res, &svgs).into_bytes(),
    ));
    Ok(files)
}

/// tune.csv: one row per candidate per round it ran in (its estimates over
/// the replications it had then), and one row for each design point that
/// made no valid strategy.
pub fn tune_csv(res: &TuneResult) -> Vec<u8> {
    let dims = &res.settings.space.dims;
    let mut header: Vec<String> = ["round", "candidate"].map(String::from).to_vec();
    header.extend(dims.iter().map(|d| d.field.clone()));
    header.extend(["replications", "rank", "advanced", "meets", "broken"].map(String::from));
    for m in METRICS {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_ci95"));
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let params = |c: usize| -> Vec<String> {
        let cand = &res.candidates[c];
        dims.iter()
            .zip(&cand.values)
            .map(|(d, x)| {
                if x.is_finite() {
                    d.show(*x)
                } else {
                    String::new()
                }
            })
            .collect()
    };
    let mut rows = Vec::new();
    for s in &res.standings {
        let mut row = vec![s.round.to_string(), res.candidates[s.candidate].label()];
        row.extend(params(s.candidate));
        row.push(s.replications.to_string());
        row.push(s.rank.map_or_else(String::new, |r| r.to_string()));
        row.push(if s.advanced { "yes" } else { "no" }.to_string());
        row.push(if s.broken.is_empty() { "yes" } else { "no" }.to_string());
        row.push(s.broken.join(" "));
        for (e, d) in s.summary.est.iter().zip(DECIMALS) {
            row.push(format!("{:.d$}", e.mean));
            row.push(format!("{:.d$}", e.half_width));
        }
        rows.push(row);
    }
    for c in &res.candidates {
        if let Err(why) = &c.spec {
            let mut row = vec!["1".to_string(), c.label()];
            row.extend(params(c.id));
            row.extend(["0", "", "no", "invalid"].map(String::from));
            row.push(why.clone());
            row.extend(vec![String::new(); 2 * METRICS.len()]);
            rows.push(row);
        }
    }
    csv_bytes(&header, &rows)
}

/// best.toml: the best strategy as a `strategy = { ... }` line to paste
/// into a `[[groups]]` table, with what it was tuned for in comments.
pub fn best_toml(sc: &Scenario, res: &TuneResult) -> String {
    let best = &res.candidates[res.best];
    let spec = best.spec.as_ref().expect("the best candidate ran");
    let s = &res.settings;
    let verdict = if res.best_meets {
        "meets the objective".to_string()
    } else {
        "NO evaluated candidate meets the objective; this is the closest".to_string()
    };
    let params: Vec<String> = s
        .space
        .dims
        .iter()
        .zip(&best.values)
        .map(|(d, x)| format!("{} = {}", d.field, d.show(*x)))
        .collect();
    format!(
        "# ratesim tune {} (seed {}): {} of {} candidates, {} runs\n\
         # objective: {}; {verdict}\n\
         # tuned: {}\n\
         # paste into the [[groups]] table of the tuned group(s):\n\
         strategy = {}\n",
        sc.path.display(),
        s.base_seed,
        best.label(),
        res.candidates.len(),
        res.runs,
        s.constraint,
        if params.is_empty() {
            "nothing".to_string()
        } else {
            params.join(", ")
        },
        presets::to_toml(spec)
    )
}
