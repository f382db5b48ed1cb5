//! summary.csv, utilisation.csv and the terminal summary of one run.

use crate::outcome::GroupStats;
use crate::outcome::Outcome;
use crate::response::Cause;
use crate::scenario::Scenario;
use crate::strategy::{GiveUp, Refusal};
use std::fmt::Write as _;

/// The numeric columns of summary.csv (after `group`, `strategy`, `seed`), in
/// order, with their decimals (`None` for counts). Documented in docs/outputs.md.
pub const METRICS: &[(&str, Option<usize>)] = &[
    ("arrivals", None),
    ("succeeded", None),
    ("gave_up", None),
    ("gave_up_not_retryable", None),
    ("gave_up_max_attempts", None),
    ("gave_up_deadline", None),
    ("refused_locally", None),
    ("refused_budget", None),
    ("refused_breaker", None),
    ("refused_throttle", None),
    ("unservable", None),
    ("in_flight", None),
    ("attempts", None),
    ("rejected_429", None),
    ("rejected_429_rpm", None),
    ("rejected_429_rpd", None),
    ("rejected_429_tpm", None),
    ("rejected_429_lockout", None),
    ("rejected_429_overloaded", None),
    ("errors_5xx", None),
    ("share_429", Some(6)),
    ("success_share", Some(6)),
    ("attempts_per_request", Some(4)),
    ("max_attempts", None),
    ("attempts_per_success", Some(4)),
    ("goodput_rpm", Some(3)),
    ("goodput_tpm", Some(1)),
    ("completion_p50_s", Some(3)),
    ("completion_p95_s", Some(3)),
    ("completion_p99_s", Some(3)),
    ("completion_max_s", Some(3)),
    ("completion_p99_all_s", Some(3)),
    ("locked_out_s", Some(3)),
    ("mean_client_wait_s", Some(3)),
    ("mean_backoff_wait_s", Some(3)),
];

/// Column names of summary.csv.
pub fn summary_columns() -> Vec<&'static str> {
    ["group", "strategy", "seed"]
        .into_iter()
        .chain(METRICS.iter().map(|m| m.0))
        .collect()
}

/// The values of [`METRICS`] for `s` over a run of `minutes`.
pub fn metric_values(s: &GroupStats, minutes: f64) -> Vec<f64> {
    let counts = [
        s.arrivals,
        s.succeeded,
        s.gave_up_total(),
        s.gave_up_by(GiveUp::NotRetryable),
        s.gave_up_by(GiveUp::MaxAttempts),
        s.gave_up_by(GiveUp::Deadline),
        s.refused_total(),
        s.refused_by(Refusal::Budget),
        s.refused_by(Refusal::Breaker),
        s.refused_by(Refusal::Throttle),
        s.unservable,
        s.in_flight,
        s.attempts,
        s.rejected_total(),
        s.rejected_by(Cause::Requests),
        s.rejected_by(Cause::RequestsPerDay),
        s.rejected_by(Cause::Tokens),
        s.rejected_by(Cause::Lockout),
        s.rejected_by(Cause::Overloaded),
        s.errors_5xx,
    ];
    let mut v: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    v.extend([
        s.share_429(),
        s.success_share(),
        s.attempts_per_request(),
        s.max_attempts as f64,
        s.attempts_per_success(),
        s.succeeded as f64 / minutes,
        (s.tokens_in + s.tokens_out) as f64 / minutes,
        s.completion_quantile(0.5),
        s.completion_quantile(0.95),
        s.completion_quantile(0.99),
        s.completion_max(),
        s.completion_quantile_all(0.99).unwrap_or(f64::INFINITY),
        s.locked_out.as_secs_f64(),
        s.mean_client_wait(),
        s.mean_backoff_wait(),
    ]);
    debug_assert_eq!(v.len(), METRICS.len());
    v
}

/// Formats metric values with the decimals of [`METRICS`].
pub fn format_metrics(values: &[f64]) -> Vec<String> {
    values
        .iter()
        .zip(METRICS)
        .map(|(v, (_, decimals))| match decimals {
            None => format!("{v:.0}"),
            Some(d) => format!("{v:.d$}"),
        })
        .collect()
}

/// One summary row's values, as strings, in [`summary_columns`] order.
pub fn summary_values(
    name: &str,
    strategy: &str,
    seed: u64,
    s: &GroupStats,
    minutes: f64,
) -> Vec<String> {
    let mut v = vec![name.to_string(), strategy.to_string(), seed.to_string()];
    v.extend(format_metrics(&metric_values(s, minutes)));
    v
}

pub(crate) fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("writing to memory");
    for r in rows {
        w.write_record(r).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// summary.csv: one row per group, then the total.
pub fn summary_csv(scenario: &Scenario, outcome: &Outcome) -> Vec<u8> {
    let minutes = outcome.horizon.as_secs_f64() / 60.0;
    let mut rows: Vec<Vec<String>> = scenario
        .groups
        .iter()
        .zip(&outcome.groups)
        .map(|(g, s)| summary_values(&g.name, &g.strategy.name, outcome.seed, s, minutes))
        .collect();
    rows.push(summary_values(
        "total",
        "",
        outcome.seed,
        &outcome.total,
        minutes,
    ));
    csv_bytes(&summary_columns(), &rows)
}

/// utilisation.csv: for each (key, model, limit) that saw traffic, what it
/// admitted and refused, and what share of its capacity over the windows the
/// run covered was admitted (both counted by the engine).
pub fn utilisation_csv(scenario: &Scenario, outcome: &Outcome) -> Vec<u8> {
    let header = [
        "key",
        "model",
        "limit",
        "amount",
        "window_s",
        "windows",
        "admitted",
        "refused",
        "capacity",
        "utilisation",
    ];
    let rows: Vec<Vec<String>> = outcome
        .limits
        .iter()
        .map(|u| {
            vec![
                outcome.keys[u.key as usize].clone(),
                scenario.policy.models[u.model as usize].id.clone(),
                u.limit.label(),
                u.limit.amount.to_string(),
                format!("{}", u.limit.window.as_secs_f64()),
                u.windows.to_string(),
                u.admitted.to_string(),
                u.refused.to_string(),
                u.capacity.to_string(),
                format!("{:.4}", u.utilisation()),
            ]
        })
        .collect();
    csv_bytes(&header, &rows)
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A table for the terminal: one column per group plus the total.
pub fn summary_table(scenario: &Scenario, outcome: &Outcome) -> String {
    let minutes = outcome.horizon.as_secs_f64() / 60.0;
    let mut cols: Vec<(&str, &GroupStats)> = scenario
        .groups
        .iter()
        .map(|g| g.name.as_str())
        .zip(&outcome.groups)
        .collect();
    if cols.len() > 1 {
        cols.push(("total", &outcome.total));
    }
    type Row = (&'static str, fn(&GroupStats, f64) -> String);
    let rows: &[Row] = &[
        ("arrivals", |s, _| s.arrivals.to_string()),
        ("succeeded", |s, _| s.succeeded.to_string()),
        ("gave up", |s, _| s.gave_up_total().to_string()),
        ("refused by client", |s, _| s.refused_total().to_string()),
        ("unservable", |s, _| s.unservable.to_string()),
        ("in flight at end", |s, _| s.in_flight.to_string()),
        ("attempts", |s, _| s.attempts.to_string()),
        ("429 (rpm/rpd/tpm/lock/ovl)", |s, _| {
            format!(
                "{} ({}/{}/{}/{}/{})",
                s.rejected_total(),
                s.rejected_by(Cause::Requests),
                s.rejected_by(Cause::RequestsPerDay),
                s.rejected_by(Cause::Tokens),
                s.rejected_by(Cause::Lockout),
                s.rejected_by(Cause::Overloaded)
            )
        }),
        ("5xx", |s, _| s.errors_5xx.to_string()),
        ("429 share of attempts", |s, _| pct(s.share_429())),
        ("attempts per request", |s, _| {
            format!("{:.2} (max {})", s.attempts_per_request(), s.max_attempts)
        }),
        ("goodput req/min", |s, m| {
            format!("{:.1}", s.succeeded as f64 / m)
        }),
        ("goodput tokens/min", |s, m| {
            format!("{:.0}", (s.tokens_in + s.tokens_out) as f64 / m)
        }),
        ("completion p50/p99 (s)", |s, _| {
            format!(
                "{:.2} / {:.2}",
                s.completion_quantile(0.5),
                s.completion_quantile(0.99)
            )
        }),
        ("completion max (s)", |s, _| {
            format!("{:.2}", s.completion_max())
        }),
        ("locked out (s)", |s, _| {
            format!("{:.0}", s.locked_out.as_secs_f64())
        }),
    ];
    let label_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let cells: Vec<Vec<String>> = cols
        .iter()
        .map(|(_, s)| rows.iter().map(|r| (r.1)(s, minutes)).collect())
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .zip(&cells)
        .map(|((name, _), c)| {
            c.iter()
                .map(String::len)
                .chain([name.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let _ = write!(out, "{:label_w$}", "");
    for ((name, _), w) in cols.iter().zip(&widths) {
        let _ = write!(out, "  {name:>w$}");
    }
    out.push('\n');
    for (i, (label, _)) in rows.iter().enumerate() {
        let _ = write!(out, "{label:label_w$}");
        for (c, w) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", c[i]);
        }
        out.push('\n');
    }
    out
}
