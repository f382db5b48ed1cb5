//! The opening of compare's report: the answer in one paragraph (which
//! strategy to use, by how much it beats the runner-up with a paired 95%
//! interval, and what another strategy does better), then one line defining
//! each strategy compared.
//!
//! The paired difference is the honest "by how much": replication r of
//! every strategy runs on the same seed (common random numbers), so the
//! per-replication differences cancel the workload's own noise, and their
//! interval is narrower than the two strategies' intervals side by side.

use super::{metric_index, ranking, run_values, Column, COLUMNS};
use crate::compare::Comparison;
use crate::report::numbers::{fixed, one_token};
use crate::scenario::Scenario;
use crate::stats::Estimate;
use crate::strategy::{presets, StrategySpec};

/// A value of `col` for one strategy as the answer words it: the mean with
/// its unit, ± the 95% half-width when there are replications to have one.
fn value(e: &Estimate, col: &Column, replicated: bool) -> String {
    if e.mean.is_infinite() {
        return "not reached".to_string();
    }
    let d = col.decimals;
    let text = if replicated {
        format!(
            "{} ± {}{}",
            fixed(e.mean * col.scale, d),
            fixed(e.half_width * col.scale, d),
            col.unit
        )
    } else {
        format!("{}{}", fixed(e.mean * col.scale, d), col.unit)
    };
    one_token(&text)
}

/// Figures the answer weighs that are not columns of the ranking table:
/// what a run cost, when the scenario prices anything.
const ANSWER_ONLY: &[Column] = &[Column {
    title: "spend",
    metric: "spend",
    higher_is_better: false,
    decimals: 2,
    scale: 1.0,
    unit: "",
}];

fn column(metric: &str) -> &'static Column {
    COLUMNS
        .iter()
        .chain(ANSWER_ONLY)
        .find(|c| c.metric == metric)
        .expect("a report column")
}

/// Per-replication differences of metric `m` between strategies `a` and `b`.
fn paired(c: &Comparison, a: usize, b: usize, m: usize) -> Estimate {
    let (va, vb) = (run_values(c, a), run_values(c, b));
    let d: Vec<f64> = va.iter().zip(&vb).map(|(x, y)| x[m] - y[m]).collect();
    Estimate::of(&d)
}

/// Whether strategy `s` is better than `best` on `col` beyond the noise: a
/// finite value against one never reached, or a paired difference whose
/// interval excludes zero (with one replication, any difference).
fn beats(c: &Comparison, est: &[Vec<Estimate>], s: usize, best: usize, col: &Column) -> bool {
    let m = metric_index(col.metric);
    let (vs, vb) = (est[s][m].mean, est[best][m].mean);
    if vs.is_infinite() || (vb.is_infinite() && vs.is_finite()) {
        return vs.is_finite();
    }
    let better = if col.higher_is_better {
        vs > vb
    } else {
        vs < vb
    };
    let d = paired(c, s, best, m);
    better && (c.plan.replications == 1 || d.low() > 0.0 || d.high() < 0.0)
}

/// What a strategy that beats the recommended one on a column does better.
const TRADE_OFFS: &[(&str, &str)] = &[
    ("share_429", "gets fewer 429s"),
    ("attempts_per_success", "needs fewer attempts per success"),
    (
        "completion_p99_all_s",
        "completes 99% of its arrivals sooner",
    ),
    ("locked_out_s", "is locked out less"),
    ("goodput_rpm", "has a higher goodput"),
    // Zero for every strategy when nothing is priced, so never a win then.
    ("spend", "costs less per run"),
];

/// The answer paragraph (Markdown inline emphasis, one line).
pub(super) fn answer(sc: &Scenario, c: &Comparison, est: &[Vec<Estimate>]) -> String {
    let names: Vec<&str> = c.plan.strategies.iter().map(|s| s.name.as_str()).collect();
    let groups: Vec<&str> = c
        .plan
        .groups
        .iter()
        .map(|&g| sc.groups[g].name.as_str())
        .collect();
    let k = c.plan.replications;
    let replicated = k > 1;
    let delivered = column("success_share");
    let share = metric_index("success_share");
    let order = ranking(est);
    let best = order[0];
    let mut out = format!(
        "**Use {}** for {}: it delivered {} of the {} arrivals of a run",
        names[best],
        groups.join(", "),
        value(&est[best][share], delivered, replicated),
        fixed(est[best][metric_index("arrivals")].mean, 0),
    );
    if let Some(&next) = order.get(1) {
        let d = paired(c, best, next, share);
        let runner = format!(
            "the runner-up, {} ({})",
            names[next],
            value(&est[next][share], delivered, replicated)
        );
        let interval = one_token(&format!(
            "paired 95% CI of the difference {} to {} points",
            fixed(100.0 * d.low(), 1),
            fixed(100.0 * d.high(), 1)
        ));
        let gap = one_token(&format!("{} points", fixed(100.0 * d.mean, 1)));
        out += &if d.mean == 0.0 && d.half_width == 0.0 {
            format!(", the same as {runner}; it ranks first on goodput, then attempts")
        } else if !replicated {
            format!(", {gap} more than {runner}")
        } else if d.low() > 0.0 {
            format!(", {gap} more than {runner}; {interval}")
        } else {
            format!(
                ", {gap} more than {runner}, but within the noise ({interval}), so weigh the two on the columns below"
            )
        };
    } else {
        out += "; it is the only strategy compared";
    }
    if !replicated {
        out += " (one replication, so no confidence intervals)";
    }
    out.push('.');
    let priced = est.iter().any(|e| e[metric_index("spend")].mean > 0.0);
    if let Some(&next) = order.get(1).filter(|_| priced) {
        let (col, m) = (column("spend"), metric_index("spend"));
        if beats(c, est, best, next, col) {
            out += &format!(
                " It also costs less per run at the scenario's prices: {} against {}.",
                value(&est[best][m], col, replicated),
                value(&est[next][m], col, replicated)
            );
        }
    }
    // The trade-off: for each other strategy, the columns it wins beyond the
    // noise, worded against the recommended strategy.
    let mut trade = Vec::new();
    for &s in &order[1..] {
        let wins: Vec<String> = TRADE_OFFS
            .iter()
            .filter(|(metric, _)| beats(c, est, s, best, column(metric)))
            .map(|(metric, phrase)| {
                let col = column(metric);
                let m = metric_index(metric);
                format!(
                    "{phrase} ({} against {})",
                    value(&est[s][m], col, replicated),
                    value(&est[best][m], col, replicated)
                )
            })
            .collect();
        if !wins.is_empty() {
            trade.push(format!(
                "{} {} but delivers {}",
                names[s],
                wins.join(" and "),
                value(&est[s][share], delivered, replicated)
            ));
        }
    }
    if trade.is_empty() {
        out += &format!(
            " No other strategy does better on 429s, attempts, completion time{} or lockout{}: there is no trade-off to weigh.",
            if priced { ", spend" } else { "" },
            if replicated { " beyond the noise" } else { "" }
        );
    } else {
        out += &format!(" The trade-off: {}.", trade.join("; "));
    }
    out
}

/// One line defining strategy `s`: a preset's own summary, or the
/// composition as `ratesim strategies` spells a scenario table.
pub(super) fn definition(s: &StrategySpec) -> String {
    let toml = presets::to_toml(s);
    let body = toml
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim()
        .strip_prefix(&format!("name = \"{}\"", s.name))
        .unwrap_or(&toml)
        .trim_start_matches(", ");
    match presets::find(&s.name) {
        Ok(p) if presets::to_toml(&p.spec()) == toml => {
            format!("**{}** (preset): {}.", s.name, p.summary)
        }
        Ok(p) => format!(
            "**{}**: preset {} ({}), changed to `{body}`.",
            s.name, p.name, p.summary
        ),
        Err(_) => format!("**{}**: `{body}`.", s.name),
    }
}
