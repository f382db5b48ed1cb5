//! summary.csv and utilisation.csv of one run (the terminal summary is in
//! [`super::terminal`]).

use crate::outcome::GroupStats;
use crate::outcome::Outcome;
use crate::response::Cause;
use crate::scenario::Scenario;
use crate::strategy::{GiveUp, Refusal};

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
    ("rejected_429_concurrency", None),
    ("errors_5xx", None),
    ("timeouts", None),
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
    ("makespan_s", Some(3)),
    ("client_makespan_mean_s", Some(3)),
    ("client_makespan_max_s", Some(3)),
    ("batch_unsent", None),
    ("spend", Some(6)),
    ("spend_unused", Some(6)),
    ("spend_abandoned", Some(6)),
    ("spend_per_success", Some(8)),
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
        s.rejected_by(Cause::Concurrency),
        s.errors_5xx,
        s.timeouts,
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
    // A group that is not a batch has no makespan (NaN, an empty value to
    // pandas); a batch that did not finish by the end has an infinite one.
    match &s.batch {
        Some(b) => v.extend([
            b.makespan_s(),
            b.client_makespan_mean().unwrap_or(f64::INFINITY),
            if b.finished_clients > 0 {
                b.client_makespan_max.as_secs_f64()
            } else {
                f64::INFINITY
            },
            b.unsent as f64,
        ]),
        None => v.extend([f64::NAN; 4]),
    }
    v.extend([
        s.spend.total(),
        s.spend.unused(),
        s.spend.abandoned(),
        s.spend.per_success(s.succeeded).unwrap_or(f64::NAN),
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
    // After the run's trigger (an outage or a load spike): seconds until
    // goodput was back (infinite: never) and what held it down; NaN and
    // empty when the run has no trigger.
    for (i, row) in rows.iter_mut().enumerate() {
        let group = (i < scenario.groups.len()).then_some(i);
        match outcome.recovery(group) {
            Some(r) => {
                row.push(format!("{:.3}", r.recovery_s()));
                row.push(r.mechanism.map_or("", |m| m.label()).to_string());
            }
            None => row.extend(["NaN".to_string(), String::new()]),
        }
    }
    let mut header = summary_columns();
    header.extend(["recovery_s", "recovery_mechanism"]);
    csv_bytes(&header, &rows)
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
