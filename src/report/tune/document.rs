//! The tune report in blocks: the verdict, the best parameters beside the
//! defaults, their metrics with 95% intervals and the paired difference,
//! the rounds, the Pareto front; rendered as report.md and report.html in
//! the blocks the plan report uses.

use crate::report::html;
use crate::report::numbers::{fixed, one_token};
use crate::report::plan::{html_blocks, markdown, Block, BANNER_STYLE};
use crate::scenario::Scenario;
use crate::stats::Estimate;
use crate::strategy::presets;
use crate::tune::{Summary, TuneResult};
use std::fmt::Write as _;

/// The charts, as (stem, caption).
const CHARTS: &[(&str, &str)] = &[
    (
        "pareto_p99",
        "Pareto front: success share against p99 completion",
    ),
    (
        "pareto_attempts",
        "Pareto front: success share against attempts per success",
    ),
];

/// (title, scale, decimals, unit) of each metric, in [`crate::tune::METRICS`] order.
const SHOWN: [(&str, f64, usize, &str); 6] = [
    ("success share", 100.0, 2, "%"),
    ("attempts per success", 1.0, 3, ""),
    ("p99 completion", 1.0, 2, " s"),
    ("429 share", 100.0, 2, "%"),
    ("given up or refused", 100.0, 2, "%"),
    ("locked out", 1.0, 1, " s"),
];

fn with_ci(e: Estimate, m: usize) -> String {
    let (_, scale, d, unit) = SHOWN[m];
    one_token(&format!(
        "{} ± {}{unit}",
        fixed(e.mean * scale, d),
        fixed(e.half_width * scale, d)
    ))
}

fn params_of(res: &TuneResult, id: usize) -> String {
    let c = &res.candidates[id];
    res.settings
        .space
        .dims
        .iter()
        .zip(&c.values)
        .map(|(d, x)| {
            if x.is_finite() {
                format!("{} = {}", d.field, d.show(*x))
            } else {
                format!("{} unset", d.field)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn groups(sc: &Scenario, res: &TuneResult) -> String {
    let names: Vec<&str> = res
        .settings
        .groups
        .iter()
        .map(|&g| sc.groups[g].name.as_str())
        .collect();
    names.join(", ")
}

/// The opening lines, for the terminal and the report.
pub fn verdict(sc: &Scenario, res: &TuneResult) -> Vec<String> {
    let best = &res.candidates[res.best];
    let s = best.summary();
    let mut out = Vec::new();
    if !res.best_meets {
        out.push(format!(
            "No evaluated candidate meets the objective ({}). The closest, {}, is shown: widen the ranges, lift a term or raise the budget.",
            res.settings.constraint,
            best.label()
        ));
    }
    let what = if res.best == 0 {
        "the strategy's own values are the best found".to_string()
    } else {
        format!("best: {}", params_of(res, res.best))
    };
    out.push(format!(
        "Tuning `{}` for {} on {}: {what}, with success share {}, attempts per success {} and p99 {} over {} replications.",
        res.settings.space.base.name,
        groups(sc, res),
        sc.name,
        with_ci(s.success_share(), 0),
        with_ci(s.attempts_per_success(), 1),
        with_ci(s.p99_s(), 2),
        best.runs.len()
    ));
    if res.best != 0 {
        let d = res.paired_difference();
        out.push(format!(
            "Against the defaults on the same {} replications (paired difference, 95% CI): success share {} points, attempts per success {}, p99 {}.",
            best.runs.len(),
            signed(d[0], 0),
            signed(d[1], 1),
            signed(d[2], 2)
        ));
    }
    out
}

fn signed(e: Estimate, m: usize) -> String {
    let (_, scale, d, unit) = SHOWN[m];
    let unit = if m == 0 { "" } else { unit };
    let sign = if e.mean > 0.0 { "+" } else { "" };
    one_token(&format!(
        "{sign}{} ± {}{unit}",
        fixed(e.mean * scale, d),
        fixed(e.half_width * scale, d)
    ))
}

fn blocks(sc: &Scenario, res: &TuneResult) -> Vec<Block> {
    let set = &res.settings;
    let mut b = Vec::new();
    let mut lines = verdict(sc, res);
    if !res.best_meets {
        b.push(Block::Banner(lines.remove(0)));
    }
    b.extend(lines.into_iter().map(Block::Para));
    let (first_n, first_r) = res.rounds[0];
    b.push(Block::Para(format!(
        "Objective: {}. Goal: the highest success share, then the fewest attempts per success. Search: {first_n} candidates (the defaults and a Latin hypercube of {} points, seed {}), successive halving over {} round(s) keeping the best third with three times the replications, starting from {first_r}; {} runs, seeds {}.., the same seeds for every candidate of a round.",
        set.constraint,
        first_n - 1,
        set.base_seed,
        res.rounds.len(),
        res.runs,
        set.base_seed
    )));
    b.push(Block::Heading("Best parameters".into()));
    let best = &res.candidates[res.best];
    let rows = set
        .space
        .dims
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let show = |x: f64| {
                if x.is_finite() {
                    d.show(x)
                } else {
                    "unset".into()
                }
            };
            vec![
                format!("`{}`", d.field),
                show(best.values[i]),
                show(res.candidates[0].values[i]),
                format!(
                    "{} .. {}{}",
                    d.show(d.low),
                    d.show(d.high),
                    if d.log { " (log scale)" } else { "" }
                ),
            ]
        })
        .collect();
    b.push(Block::Table(
        ["parameter", "best", "defaults", "range searched"]
            .map(String::from)
            .to_vec(),
        rows,
    ));
    b.push(Block::Para(format!(
        "As a strategy table (best.toml): `strategy = {}`",
        presets::to_toml(best.spec.as_ref().expect("the best ran"))
    )));
    b.push(Block::Heading("Metrics (mean ± 95% CI)".into()));
    let (bs, ds) = (best.summary(), res.candidates[0].summary());
    let diff = res.paired_difference();
    let rows = (0..SHOWN.len())
        .map(|m| {
            vec![
                SHOWN[m].0.to_string(),
                with_ci(bs.est[m], m),
                with_ci(ds.est[m], m),
                if res.best == 0 {
                    "—".into()
                } else {
                    signed(diff[m], m)
                },
            ]
        })
        .collect();
    b.push(Block::Table(
        [
            "metric".to_string(),
            format!("best ({} runs)", best.runs.len()),
            format!("defaults ({} runs)", res.candidates[0].runs.len()),
            "best − defaults, paired".to_string(),
        ]
        .to_vec(),
        rows,
    ));
    b.push(Block::Heading("Rounds".into()));
    let rows = res
        .rounds
        .iter()
        .enumerate()
        .map(|(i, (n, r))| {
            let ranked: Vec<_> = res
                .standings
                .iter()
                .filter(|s| s.round == i + 1 && s.rank.is_some())
                .collect();
            let meeting = ranked.iter().filter(|s| s.broken.is_empty()).count();
            vec![
                (i + 1).to_string(),
                n.to_string(),
                ranked.len().to_string(),
                r.to_string(),
                meeting.to_string(),
            ]
        })
        .collect();
    b.push(Block::Table(
        [
            "round",
            "candidates",
            "valid and run",
            "replications",
            "meeting the objective",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    ));
    b.push(Block::Heading("Pareto front".into()));
    b.push(Block::Para(
        "The candidates no other evaluated candidate beats on success share, p99 and attempts per success at once (means over the replications each ran).".into(),
    ));
    let rows = res
        .pareto_front()
        .into_iter()
        .map(|id| {
            let s: Summary = res.candidates[id].summary();
            vec![
                res.candidates[id].label(),
                params_of(res, id),
                res.candidates[id].runs.len().to_string(),
                with_ci(s.success_share(), 0),
                with_ci(s.p99_s(), 2),
                with_ci(s.attempts_per_success(), 1),
                if s.broken(&set.constraint).is_empty() {
                    "yes".into()
                } else {
                    format!("no ({})", s.broken(&set.constraint).join(", "))
                },
            ]
        })
        .collect();
    b.push(Block::Table(
        [
            "candidate",
            "parameters",
            "runs",
            "success share",
            "p99",
            "attempts per success",
            "meets",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    ));
    b
}

/// report.md, with the charts as PNG links beside it.
pub fn report_md(sc: &Scenario, res: &TuneResult) -> String {
    let mut md = format!("# Tune: {}\n\n", sc.name);
    md += &markdown(blocks(sc, res));
    md += "## Charts\n\n";
    for (stem, title) in CHARTS {
        let _ = writeln!(md, "### {title}\n\n![{title}]({stem}.png)\n");
    }
    md
}

/// One self-contained HTML page: no scripts, no fetches, SVG charts inline.
pub fn report_html(sc: &Scenario, res: &TuneResult, svgs: &[(&str, String)]) -> String {
    let mut h = html_blocks(blocks(sc, res));
    h += &html::charts(CHARTS, svgs);
    html::page(&format!("Tune: {}", sc.name), BANNER_STYLE, &h)
}
