//! The outputs of `ratesim compare`: compare.csv, compare_summary.csv, the
//! charts, report.md and a self-contained report.html.

mod answer;
mod charts;
pub mod part;
mod recovery;

pub use charts::compare_charts;

use crate::compare::Comparison;
use crate::outcome::GroupStats;
use crate::report::charts::{self as chart, ChartError};
use crate::report::html::{self, escape, inline};
use crate::report::numbers::{fixed, one_token, thousands};
use crate::report::summary::{csv_bytes, format_metrics, metric_values, METRICS};
use crate::scenario::{Scenario, Workload};
use crate::stats::Estimate;
use std::fmt::Write as _;

fn minutes(c: &Comparison) -> f64 {
    c.horizon.as_secs_f64() / 60.0
}

/// compare.csv: one row per (strategy, replication) with every summary metric
/// of the compared groups.
pub fn compare_csv(c: &Comparison) -> Vec<u8> {
    let header: Vec<&str> = ["strategy", "replication", "seed"]
        .into_iter()
        .chain(METRICS.iter().map(|m| m.0))
        .chain(["recovery_s", "recovery_mechanism"])
        .collect();
    let rows: Vec<Vec<String>> = c
        .runs
        .iter()
        .map(|r| {
            let mut row = vec![
                c.plan.strategies[r.strategy].name.clone(),
                (r.replication + 1).to_string(),
                r.seed.to_string(),
            ];
            row.extend(format_metrics(&metric_values(&r.stats, minutes(c))));
            row.extend(recovery::cells(r.recovery.as_ref()));
            row
        })
        .collect();
    csv_bytes(&header, &rows)
}

/// Every metric of strategy `s` in each replication, in [`METRICS`] order.
fn run_values(c: &Comparison, s: usize) -> Vec<Vec<f64>> {
    c.runs_of(s)
        .iter()
        .map(|r| metric_values(&r.stats, minutes(c)))
        .collect()
}

/// Mean and 95% CI of every metric of strategy `s`, in [`METRICS`] order.
pub fn estimates(c: &Comparison, s: usize) -> Vec<Estimate> {
    let per_run = run_values(c, s);
    (0..METRICS.len())
        .map(|m| Estimate::of(&per_run.iter().map(|v| v[m]).collect::<Vec<_>>()))
        .collect()
}

/// compare_summary.csv: one row per strategy, the mean and the 95% confidence
/// half-width of each metric over the replications.
pub fn compare_summary_csv(c: &Comparison) -> Vec<u8> {
    let mut header = vec!["strategy".to_string(), "replications".to_string()];
    for (name, _) in METRICS {
        header.push(format!("{name}_mean"));
        header.push(format!("{name}_ci95"));
    }
    header.extend(["recovered_replications".into(), "recovery_s_median".into()]);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = (0..c.plan.strategies.len())
        .map(|s| {
            let mut row = vec![
                c.plan.strategies[s].name.clone(),
                c.plan.replications.to_string(),
            ];
            for (e, (_, decimals)) in estimates(c, s).iter().zip(METRICS) {
                let d = decimals.unwrap_or(2).max(2);
                row.push(format!("{:.d$}", e.mean));
                row.push(format!("{:.d$}", e.half_width));
            }
            row.extend(recovery::summary_cells(c, s));
            row
        })
        .collect();
    csv_bytes(&header, &rows)
}

pub(super) fn merged_stats(c: &Comparison, s: usize) -> GroupStats {
    let mut all = GroupStats::default();
    for r in c.runs_of(s) {
        all.merge(&r.stats);
    }
    all
}

/// A ranked metric of the report table.
struct Column {
    title: &'static str,
    metric: &'static str,
    higher_is_better: bool,
    decimals: usize,
    scale: f64,
    /// Appended to a value where the answer words it.
    unit: &'static str,
}

const COLUMNS: &[Column] = &[
    Column {
        title: "goodput (req/min)",
        metric: "goodput_rpm",
        higher_is_better: true,
        decimals: 1,
        scale: 1.0,
        unit: " req/min",
    },
    Column {
        title: "429 share (%)",
        metric: "share_429",
        higher_is_better: false,
        decimals: 1,
        scale: 100.0,
        unit: "%",
    },
    Column {
        title: "delivered (%)",
        metric: "success_share",
        higher_is_better: true,
        decimals: 1,
        scale: 100.0,
        unit: "%",
    },
    Column {
        title: "p99 completion, all arrivals (s)",
        metric: "completion_p99_all_s",
        higher_is_better: false,
        decimals: 2,
        scale: 1.0,
        unit: " s",
    },
    Column {
        title: "attempts per success",
        metric: "attempts_per_success",
        higher_is_better: false,
        decimals: 2,
        scale: 1.0,
        unit: "",
    },
    Column {
        title: "locked out (s)",
        metric: "locked_out_s",
        higher_is_better: false,
        decimals: 0,
        scale: 1.0,
        unit: " s",
    },
    Column {
        title: "gave up",
        metric: "gave_up",
        higher_is_better: false,
        decimals: 1,
        scale: 1.0,
        unit: "",
    },
];

fn metric_index(name: &str) -> usize {
    METRICS
        .iter()
        .position(|m| m.0 == name)
        .expect("known metric")
}

/// The ranking: strategy indices by what they delivered, best first: mean
/// share of arrivals that succeeded, then mean goodput, then fewest
/// attempts (ties keep the given order). A strategy never ranks above
/// another for being fast or quiet while it abandons requests.
fn ranking(est: &[Vec<Estimate>]) -> Vec<usize> {
    let (share, g, att) = (
        metric_index("success_share"),
        metric_index("goodput_rpm"),
        metric_index("attempts"),
    );
    let mut order: Vec<usize> = (0..est.len()).collect();
    order.sort_by(|&a, &b| {
        est[b][share]
            .mean
            .total_cmp(&est[a][share].mean)
            .then(est[b][g].mean.total_cmp(&est[a][g].mean))
            .then(est[a][att].mean.total_cmp(&est[b][att].mean))
    });
    order
}

/// Cells of the ranking table: (text, is best in its column).
fn table(c: &Comparison, est: &[Vec<Estimate>]) -> Vec<(String, Vec<(String, bool)>)> {
    let order = ranking(est);
    let best: Vec<f64> = COLUMNS
        .iter()
        .map(|col| {
            let vals = est.iter().map(|e| e[metric_index(col.metric)].mean);
            if col.higher_is_better {
                vals.fold(f64::NEG_INFINITY, f64::max)
            } else {
                vals.fold(f64::INFINITY, f64::min)
            }
        })
        .collect();
    order
        .iter()
        .map(|&s| {
            let cells = COLUMNS
                .iter()
                .zip(&best)
                .map(|(col, b)| {
                    let e = est[s][metric_index(col.metric)];
                    let d = col.decimals;
                    let text = if e.mean.is_infinite() {
                        "not reached".to_string()
                    } else if c.plan.replications > 1 {
                        one_token(&format!(
                            "{} ± {}",
                            fixed(e.mean * col.scale, d),
                            fixed(e.half_width * col.scale, d)
                        ))
                    } else {
                        fixed(e.mean * col.scale, d)
                    };
                    (text, (e.mean - b).abs() <= 1e-12 * b.abs().max(1.0))
                })
                .collect();
            (c.plan.strategies[s].name.clone(), cells)
        })
        .collect()
}

fn pct_diff(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        100.0 * (a - b) / b
    }
}

/// Plain-language findings computed from the numbers: ranked first on what
/// was delivered, with completion times over every arrival (a request given
/// up never completes), and plain words when strategies cannot be told apart.
pub fn verdict(c: &Comparison, est: &[Vec<Estimate>]) -> Vec<String> {
    let names: Vec<&str> = c.plan.strategies.iter().map(|s| s.name.as_str()).collect();
    let (share, g, att, lock, p99) = (
        metric_index("success_share"),
        metric_index("goodput_rpm"),
        metric_index("attempts"),
        metric_index("locked_out_s"),
        metric_index("completion_p99_all_s"),
    );
    let order = ranking(est);
    let best = order[0];
    let mut out = Vec::new();
    let b = &est[best];
    out.push(format!(
        "{} delivers the most: {:.1}% of arrivals succeeded, {} successful requests per minute.",
        names[best],
        100.0 * b[share].mean,
        fixed(b[g].mean, 1)
    ));
    // Strategies whose delivered shares cannot be told apart, in runs of
    // the ranking: each cluster holds those within its leader's interval.
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for &s in &order {
        if let Some(cl) = clusters.last_mut() {
            let lead = &est[cl[0]][share];
            if c.plan.replications > 1 && est[s][share].high() >= lead.low() {
                cl.push(s);
                continue;
            }
        }
        clusters.push(vec![s]);
    }
    let (l429, all429) = (
        metric_index("rejected_429_lockout"),
        metric_index("rejected_429"),
    );
    for cl in clusters.iter().filter(|cl| cl.len() > 1) {
        let members: Vec<&str> = cl.iter().map(|&s| names[s]).collect();
        out.push(format!(
            "{} are statistically indistinguishable on what they deliver (95% intervals of the success share overlap); choose among them on attempts and completion time.",
            members.join(", ")
        ));
        let lockout_bound = cl
            .iter()
            .all(|&s| est[s][all429].mean > 0.0 && est[s][l429].mean > 0.5 * est[s][all429].mean);
        if lockout_bound {
            out.push(format!(
                "Why {} cannot differ: most of their 429s are abuse-lockout refusals. While a key is blocked every attempt is refused, and each refusal counts toward the lockout and extends the block, so their retries never reach the limits and the retry schedule changes nothing. Keeping failures under the lockout threshold (pacing below the limit, fewer retries) matters more than the choice of backoff.",
                members.join(", ")
            ));
        }
    }
    let tied: Vec<usize> = clusters[0][1..].to_vec();
    for &s in &order[1..] {
        if tied.contains(&s) {
            continue;
        }
        let e = &est[s];
        let delivered_gap = 100.0 * (b[share].mean - e[share].mean);
        let fewer = -pct_diff(e[att].mean, b[att].mean);
        out.push(format!(
            "{} delivers {:.1} points less ({:.1}% of arrivals) and sends {:.0}% {} requests.",
            names[s],
            delivered_gap,
            100.0 * e[share].mean,
            fewer.abs(),
            if fewer >= 0.0 { "fewer" } else { "more" }
        ));
    }
    let reached: Vec<usize> = (0..names.len())
        .filter(|&s| est[s][p99].mean.is_finite())
        .collect();
    match reached
        .iter()
        .copied()
        .min_by(|&a, &b| est[a][p99].mean.total_cmp(&est[b][p99].mean))
    {
        Some(fastest) => out.push(format!(
            "{} has the lowest p99 completion time over all arrivals: {:.2} s (a request given up counts as never completed).",
            names[fastest], est[fastest][p99].mean
        )),
        None => out.push(
            "No strategy completes 99% of its arrivals in every replication, so none has a p99 completion time."
                .to_string(),
        ),
    }
    let unreached: Vec<&str> = (0..names.len())
        .filter(|s| !reached.contains(s))
        .map(|s| names[s])
        .collect();
    if !unreached.is_empty() && !reached.is_empty() {
        out.push(format!(
            "{} never reach a p99: more than 1% of their requests are given up or left unfinished in some replication.",
            unreached.join(", ")
        ));
    }
    let locked: Vec<String> = (0..names.len())
        .filter(|&s| est[s][lock].mean > 0.0)
        .map(|s| format!("{} ({} s)", names[s], fixed(est[s][lock].mean, 0)))
        .collect();
    if locked.is_empty() {
        out.push("No strategy tripped the abuse lockout.".to_string());
    } else {
        out.push(format!(
            "These strategies tripped the abuse lockout (mean time locked out per run): {}.",
            locked.join(", ")
        ));
    }
    let (spend, unused) = (metric_index("spend"), metric_index("spend_unused"));
    if est.iter().any(|e| e[spend].mean > 0.0) {
        let parts: Vec<String> = (0..names.len())
            .map(|s| {
                let (total, waste) = (est[s][spend].mean, est[s][unused].mean);
                let share = if total > 0.0 {
                    100.0 * waste / total
                } else {
                    0.0
                };
                format!(
                    "{} {} ({}% on answers it did not use)",
                    names[s],
                    fixed(total, 2),
                    fixed(share, 1)
                )
            })
            .collect();
        out.push(format!(
            "Spend per run at the scenario's prices: {}.",
            parts.join(", ")
        ));
    }
    out.extend(recovery::verdict_line(c));
    out
}

/// A few lines describing the scenario for the report's reader.
fn scenario_lines(scenario: &Scenario, c: &Comparison) -> Vec<String> {
    let mut v = vec![format!(
        "Scenario **{}**{}: {} simulated ({} of arrivals, then {} of drain), seeds {} to {} ({} replication(s)), policy preset `{}`, {} windows.",
        scenario.name,
        if scenario.description.is_empty() { String::new() } else { format!(" — {}", scenario.description) },
        scenario.horizon(),
        scenario.duration,
        scenario.drain,
        c.plan.base_seed,
        c.plan.base_seed + u64::from(c.plan.replications) - 1,
        c.plan.replications,
        scenario.policy.preset,
        scenario.policy.window.name(),
    )];
    for &g in &c.plan.groups {
        let group = &scenario.groups[g];
        let what = match &group.workload {
            Workload::Trace { path, .. } => format!(
                "replays {}",
                path.file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
            ),
            Workload::Synthetic(s) => {
                let models: Vec<String> = s
                    .models
                    .iter()
                    .map(|(m, _)| {
                        let model = &scenario.policy.models[*m as usize];
                        let limits: Vec<String> = model
                            .limits
                            .iter()
                            .map(|l| format!("{} {}", thousands(l.amount), l.label()))
                            .collect();
                        format!(
                            "{} ({})",
                            model.id,
                            if limits.is_empty() {
                                "not limited".to_string()
                            } else {
                                limits.join(", ")
                            }
                        )
                    })
                    .collect();
                format!("sends to {}", models.join(", "))
            }
        };
        v.push(format!(
            "Group **{}** on key `{}` {what}.",
            group.name, scenario.keys[group.key as usize]
        ));
    }
    let others: Vec<&str> = (0..scenario.groups.len())
        .filter(|g| !c.plan.groups.contains(g))
        .map(|g| scenario.groups[g].name.as_str())
        .collect();
    if !others.is_empty() {
        v.push(format!(
            "Groups keeping their own strategy: {}.",
            others.join(", ")
        ));
    }
    v
}

/// The file stems of the charts, in report order.
pub const CHARTS: &[(&str, &str)] = &[
    ("tradeoff", "Success share against attempts per success"),
    ("throughput", "Throughput over time, one panel per strategy"),
    (
        "rate_429",
        "429 share and lockout over time, one panel per strategy",
    ),
    ("completion_cdf", "Completion time"),
    ("attempts", "Attempts per request"),
    ("wasted_work", "Wasted work"),
];

/// report.md, with the charts as PNG links beside it.
pub fn report_md(scenario: &Scenario, c: &Comparison) -> String {
    let est: Vec<Vec<Estimate>> = (0..c.plan.strategies.len())
        .map(|s| estimates(c, s))
        .collect();
    let mut md = format!("# Strategy comparison: {}\n\n", scenario.name);
    let _ = write!(
        md,
        "{}\n\n## Strategies compared\n\n",
        answer::answer(scenario, c, &est)
    );
    for s in &c.plan.strategies {
        let _ = writeln!(md, "- {}", answer::definition(s));
    }
    md += "\n## Scenario\n\n";
    for l in scenario_lines(scenario, c) {
        let _ = writeln!(md, "{l}");
    }
    md += "\n## Ranking\n\nRanked by the share of arrivals delivered, then goodput, then fewest attempts; each cell is the mean over replications ± the 95% confidence half-width. ★ marks the best value in each column.\n\n";
    md += "| strategy |";
    for col in COLUMNS {
        let _ = write!(md, " {} |", col.title);
    }
    md += "\n|---|";
    md += &"---:|".repeat(COLUMNS.len());
    md.push('\n');
    for (name, cells) in table(c, &est) {
        let _ = write!(md, "| {name} |");
        for (text, best) in cells {
            let _ = write!(md, " {text}{} |", if best { " ★" } else { "" });
        }
        md.push('\n');
    }
    md += "\n## Verdict\n\n";
    for v in verdict(c, &est) {
        let _ = writeln!(md, "- {v}");
    }
    md += "\n## Charts\n\n";
    for (stem, title) in CHARTS {
        let _ = writeln!(md, "### {title}\n\n![{title}]({stem}.png)\n");
    }
    md += "Data: compare.csv (one row per strategy and replication), compare_summary.csv (means and 95% confidence half-widths).\n";
    md
}

/// One self-contained HTML page: no scripts, no fetches, SVG charts inline.
pub fn report_html(scenario: &Scenario, c: &Comparison, svgs: &[(&str, String)]) -> String {
    let est: Vec<Vec<Estimate>> = (0..c.plan.strategies.len())
        .map(|s| estimates(c, s))
        .collect();
    let mut h = format!(
        "<p class=\"answer\">{}</p>\n<h2>Strategies compared</h2>\n<ul>\n",
        inline(&answer::answer(scenario, c, &est))
    );
    for s in &c.plan.strategies {
        let _ = writeln!(h, "<li>{}</li>", inline(&answer::definition(s)));
    }
    h += "</ul>\n<h2>Scenario</h2>\n";
    for l in scenario_lines(scenario, c) {
        let _ = writeln!(h, "<p>{}</p>", inline(&l));
    }
    h += "<h2>Ranking</h2>\n<p>Ranked by the share of arrivals delivered, then goodput, then fewest attempts; each cell is the mean over replications ± the 95% confidence half-width. The best value in each column is in bold on green.</p>\n<table>\n<tr><th>strategy</th>";
    for col in COLUMNS {
        let _ = write!(h, "<th>{}</th>", escape(col.title));
    }
    h += "</tr>\n";
    for (name, cells) in table(c, &est) {
        let _ = write!(h, "<tr><td>{}</td>", escape(&name));
        for (text, best) in cells {
            let _ = write!(
                h,
                "<td{}>{}</td>",
                if best { " class=\"best\"" } else { "" },
                escape(&text)
            );
        }
        h += "</tr>\n";
    }
    h += "</table>\n<h2>Verdict</h2>\n<ul>\n";
    for v in verdict(c, &est) {
        let _ = writeln!(h, "<li>{}</li>", inline(&v));
    }
    h += "</ul>\n";
    h += &html::charts(CHARTS, svgs);
    h += "<p>Data: compare.csv (one row per strategy and replication) and compare_summary.csv (means and 95% confidence half-widths), beside this file.</p>\n";
    let title = format!("Strategy comparison: {}", scenario.name);
    html::page(
        &title,
        "td.best{font-weight:bold;background:#eaf6ea}td+td{white-space:nowrap}p.answer{font-size:1.1em;border-left:4px solid #2a7;padding:.2em 0 .2em .8em}",
        &h,
    )
}

/// Every file `ratesim compare` writes, as (name, bytes).
pub fn compare_files(
    scenario: &Scenario,
    c: &Comparison,
) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut files = vec![
        ("compare.csv".to_string(), compare_csv(c)),
        ("compare_summary.csv".to_string(), compare_summary_csv(c)),
    ];
    let (chart_files, svgs) = chart::render_files(compare_charts(scenario, c))?;
    files.extend(chart_files);
    files.push(("report.md".to_string(), report_md(scenario, c).into_bytes()));
    files.push((
        "report.html".to_string(),
        report_html(scenario, c, &svgs).into_bytes(),
    ));
    Ok(files)
}
