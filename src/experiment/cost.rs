//! What a run, a comparison or a plan will cost, estimated before it starts,
//! so an absurd input is refused with a message instead of running for hours
//! or being killed for memory.
//!
//! The estimate is deliberately simple and errs high: arrivals from each
//! group's mean rate (with a margin for Poisson luck), every arrival taking
//! at most its strategy's attempt limit (capped, see [`ATTEMPT_CAP`]), three
//! events per attempt (the send, a possible client-side wait, the answer);
//! time-series rows as intervals × groups; requests in flight as the open
//! loop's rate times two minutes (or the closed loop's workers); and, for
//! commands that keep one result per run, the bytes each kept run holds. The
//! limits below are documented in docs/scenario.md; `--allow-large` lifts
//! them.

use crate::scenario::{Arrival, Scenario, Workload};
use crate::time::Nanos;
use crate::workload::{Arrivals, ThinkTime};

/// The most attempts per request the estimate assumes. A strategy that may
/// retry more is counted at this many: attempts past it are rare, since the
/// abuse lockout and the deadlines of real clients end such loops.
pub const ATTEMPT_CAP: u32 = 32;

/// Limits on what one command may do; every field a count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Events of one run.
    pub events_per_run: f64,
    /// Events over every run of a command.
    pub events_total: f64,
    /// Time-series rows of one run (intervals × groups).
    pub series_rows: f64,
    /// Requests in flight at once in one run.
    pub in_flight: f64,
    /// Runs of one command.
    pub runs: f64,
    /// Bytes of per-run results a command keeps for its reports.
    pub kept_bytes: f64,
}

impl Default for Limits {
    /// Sized for a machine with a few GB of memory and an hour of patience:
    /// 1e10 events is about half an hour at 5M events/s.
    fn default() -> Self {
        Limits {
            events_per_run: 1e10,
            events_total: 1e10,
            series_rows: 1e7,
            in_flight: 2e7,
            runs: 1e6,
            kept_bytes: 1.5e9,
        }
    }
}

/// An estimate of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunCost {
    pub arrivals: f64,
    pub events: f64,
    pub series_rows: f64,
    pub in_flight: f64,
    /// The group with the most events, by index.
    pub heaviest: usize,
}

/// Why a command is refused before it starts.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error(
    "{what} comes to {estimate}, more than the limit of {limit}; {advice}, or pass --allow-large"
)]
pub struct TooLarge {
    pub what: String,
    pub estimate: String,
    pub limit: String,
    pub advice: String,
}

fn sci(x: f64) -> String {
    if x < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.1e}")
    }
}

/// Upper estimate of arrivals with mean `mean`: Poisson luck rarely passes
/// mean + 6 standard deviations.
fn with_margin(mean: f64) -> f64 {
    mean * 1.05 + 6.0 * mean.sqrt() + 10.0
}

/// Estimates one run of `sc` at load `factor` (1: as written).
pub fn of_run(sc: &Scenario, factor: f64) -> RunCost {
    let duration = sc.duration;
    let horizon = sc.horizon();
    let fastest_answer = sc
        .policy
        .models
        .iter()
        .map(|m| m.latency.first_token)
        .chain([sc.service.latency_429.high(), sc.service.latency_5xx.high()])
        .min()
        .unwrap_or(Nanos::ZERO)
        .max(Nanos::from_millis(1));
    let mut cost = RunCost {
        series_rows: horizon.0.div_ceil(sc.interval.0).max(1) as f64 * sc.groups.len() as f64,
        ..RunCost::default()
    };
    let mut heaviest = 0.0;
    for (i, g) in sc.groups.iter().enumerate() {
        let attempts = f64::from(g.strategy.retry.max_attempts.clamp(1, ATTEMPT_CAP));
        let (arrivals, in_flight) = match &g.workload {
            Workload::Synthetic(s) => match &s.arrival {
                Arrival::Open(spec) => {
                    let rate = Arrivals::new(&spec.scaled(factor)).mean_rate(duration);
                    let n = with_margin(rate * duration.as_secs_f64());
                    (n, rate * horizon.as_secs_f64().min(120.0))
                }
                Arrival::Closed { workers, think } => {
                    let workers = (f64::from(*workers) * factor).round().max(1.0);
                    // Each worker's cycle lasts at least the fastest answer
                    // plus its think time (exponential think times can be
                    // shorter: counted at a tenth of the mean).
                    let think = match think {
                        ThinkTime::Constant(d) => d.as_secs_f64(),
                        ThinkTime::Exponential { mean } => mean.as_secs_f64() / 10.0,
                    };
                    let cycle = fastest_answer.as_secs_f64() + think;
                    (workers * (1.0 + duration.as_secs_f64() / cycle), workers)
                }
                Arrival::Batch(b) => {
                    let n = b.scaled(factor).requests() as f64;
                    (n, f64::from(b.clients).min(n))
                }
            },
            // A trace's rows are at least a few bytes each: its size bounds
            // its rows from above (time compression moves rows, adds none).
            Workload::Trace { path, .. } => {
                let bytes = std::fs::metadata(path).map_or(0, |m| m.len()) as f64;
                (bytes / 8.0 + 1.0, bytes / 8.0 + 1.0)
            }
        };
        let events = arrivals * (1.0 + 3.0 * attempts);
        if events > heaviest {
            heaviest = events;
            cost.heaviest = i;
        }
        cost.arrivals += arrivals;
        cost.events += events;
        cost.in_flight += in_flight;
    }
    cost
}

/// Checks one run's estimate against `limits`, naming what to change.
pub fn check_run(sc: &Scenario, cost: &RunCost, limits: &Limits) -> Result<(), TooLarge> {
    let heavy = || {
        let g = &sc.groups[cost.heaviest];
        let field = match &g.workload {
            Workload::Synthetic(s) => match s.arrival {
                Arrival::Open(_) => "arrival.rate",
                Arrival::Closed { .. } => "arrival.workers",
                Arrival::Batch(_) => "arrival.per_client or arrival.total",
            },
            Workload::Trace { .. } => "trace",
        };
        format!("groups[{}].{field} (group {:?})", cost.heaviest, g.name)
    };
    if cost.events > limits.events_per_run {
        return Err(TooLarge {
            what: format!(
                "the run's work, {} arrivals over {} with up to {ATTEMPT_CAP} attempts each,",
                sci(cost.arrivals),
                sc.duration,
            ),
            estimate: format!("{} events", sci(cost.events)),
            limit: sci(limits.events_per_run),
            advice: format!("lower {}, `duration` or max_attempts", heavy()),
        });
    }
    if cost.series_rows > limits.series_rows {
        return Err(TooLarge {
            what: format!(
                "the time series ({} groups × intervals of {} over {})",
                sc.groups.len(),
                sc.interval,
                sc.horizon()
            ),
            estimate: format!("{} rows", sci(cost.series_rows)),
            limit: sci(limits.series_rows),
            advice: "set a longer `interval`".into(),
        });
    }
    if cost.in_flight > limits.in_flight {
        return Err(TooLarge {
            what: "the requests in flight at once".into(),
            estimate: sci(cost.in_flight),
            limit: sci(limits.in_flight),
            advice: format!("lower {}", heavy()),
        });
    }
    Ok(())
}

/// Checks a command of `runs` runs, the largest at load `max_factor`,
/// keeping `kept_per_run` bytes of each; `flag` names what sets the count.
pub fn check_runs(
    sc: &Scenario,
    runs: f64,
    max_factor: f64,
    kept_per_run: f64,
    flag: &str,
    limits: &Limits,
) -> Result<(), TooLarge> {
    if runs > limits.runs {
        return Err(TooLarge {
            what: format!("the number of runs ({flag})"),
            estimate: sci(runs),
            limit: sci(limits.runs),
            advice: format!("lower {flag}"),
        });
    }
    if runs * kept_per_run > limits.kept_bytes {
        return Err(TooLarge {
            what: format!("the results kept for the report ({} runs)", sci(runs)),
            estimate: format!("{:.1} GB", runs * kept_per_run / 1e9),
            limit: format!("{:.1} GB", limits.kept_bytes / 1e9),
            advice: format!("lower {flag} or set a longer `interval`"),
        });
    }
    let largest = of_run(sc, max_factor);
    check_run(sc, &largest, limits).map_err(|mut e| {
        if max_factor != 1.0 {
            e.what = format!("at load ×{max_factor:.3}, {}", e.what);
            e.advice = format!(
                "{} (or lower the plan's largest factor, growth or horizon_months)",
                e.advice
            );
        }
        e
    })?;
    let total = of_run(sc, 1.0).events.max(1.0) * runs * max_factor.max(1.0);
    if total > limits.events_total {
        return Err(TooLarge {
            what: format!("the work of all {} runs", sci(runs)),
            estimate: format!("{} events", sci(total)),
            limit: sci(limits.events_total),
            advice: format!("lower {flag} or the scenario's load"),
        });
    }
    Ok(())
}

/// Bytes one run's reduced result keeps for a comparison: its counters
/// (dominated by the completion histogram) and its time series.
pub fn compare_bytes_per_run(sc: &Scenario) -> f64 {
    230_000.0 + 64.0 * sc.horizon().0.div_ceil(sc.interval.0) as f64
}
