//! Compare's ranking by recovery: when the run has a trigger (an outage or
//! a load spike), which strategy's goodput comes back first after it ends,
//! and what keeps the others down. The recovery of each run is the engine's
//! ([`crate::outcome::Recovery`], measured on the compared groups' merged
//! intervals); this file only orders and words them.

use crate::compare::Comparison;
use crate::outcome::{Mechanism, Recovery, Trigger};
use crate::report::numbers::fixed;

/// One strategy's recoveries over its replications.
pub(super) struct Row {
    pub strategy: usize,
    /// Replications whose goodput came back before the arrivals ended.
    pub recovered: usize,
    pub replications: usize,
    /// Median seconds from the trigger's end to recovery, infinite when
    /// fewer than half the replications recovered.
    pub median_s: f64,
    /// What kept goodput down in most replications that did not recover.
    pub mechanism: Option<Mechanism>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The trigger of the comparison's first run (every run meets the same
/// outages; a load spike is read off the offered load, which common random
/// numbers keep the same for open-loop groups).
pub(super) fn trigger(c: &Comparison) -> Option<Recovery> {
    c.runs.iter().find_map(|r| r.recovery)
}

/// Strategies ranked by recovery: most replications recovered, then the
/// shortest median recovery, then the given order. `None` when no run has
/// a trigger.
pub(super) fn ranking(c: &Comparison) -> Option<Vec<Row>> {
    trigger(c)?;
    let mut rows: Vec<Row> = (0..c.plan.strategies.len())
        .map(|s| {
            let runs = c.runs_of(s);
            let times: Vec<f64> = runs
                .iter()
                .map(|r| r.recovery.map_or(0.0, |x| x.recovery_s()))
                .collect();
            let mut counts = [0usize; 4];
            for m in runs
                .iter()
                .filter_map(|r| r.recovery.and_then(|x| x.mechanism))
            {
                counts[mechanism_index(m)] += 1;
            }
            let stuck: Vec<&Recovery> = runs
                .iter()
                .filter_map(|r| r.recovery.as_ref())
                .filter(|x| x.recovered_at.is_none())
                .collect();
            let mechanism = stuck.iter().filter_map(|x| x.mechanism).max_by_key(|&m| {
                (
                    counts[mechanism_index(m)],
                    std::cmp::Reverse(mechanism_index(m)),
                )
            });
            Row {
                strategy: s,
                recovered: times.iter().filter(|t| t.is_finite()).count(),
                replications: runs.len(),
                median_s: median(times),
                mechanism,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.recovered
            .cmp(&a.recovered)
            .then(a.median_s.total_cmp(&b.median_s))
    });
    Some(rows)
}

fn mechanism_index(m: Mechanism) -> usize {
    match m {
        Mechanism::LockoutCascade => 0,
        Mechanism::TimeoutStorm => 1,
        Mechanism::RetryStorm => 2,
        Mechanism::Backlog => 3,
    }
}

fn trigger_words(t: &Recovery) -> String {
    let what = match t.trigger {
        Trigger::Outage => "the outage",
        Trigger::LoadSpike => "the load spike",
    };
    format!(
        "{what} ({} s to {} s)",
        fixed(t.trigger_start.as_secs_f64(), 0),
        fixed(t.trigger_end.as_secs_f64(), 0)
    )
}

/// One strategy's recovery in words: "back 30 s after it ended (5 of 5)".
fn row_words(r: &Row) -> String {
    let share = format!("{} of {}", r.recovered, r.replications);
    if r.median_s.is_finite() {
        let when = if r.median_s == 0.0 {
            "never dropped or was back at once".to_string()
        } else {
            format!("back {} s after it ended", fixed(r.median_s, 0))
        };
        format!("{when} (median; recovered in {share} replications)")
    } else {
        let why = r
            .mechanism
            .map_or(String::new(), |m| format!(", held down by a {}", m.label()));
        format!(
            "did not recover by the end of the arrivals{why} (recovered in {share} replications)"
        )
    }
}

/// The verdict's line on recovery, when the run has a trigger.
pub(super) fn verdict_line(c: &Comparison) -> Option<String> {
    let rows = ranking(c)?;
    let t = trigger(c)?;
    let names: Vec<&str> = c.plan.strategies.iter().map(|s| s.name.as_str()).collect();
    let parts: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", names[r.strategy], row_words(r)))
        .collect();
    Some(format!(
        "Ranked by recovery after {}: {}.",
        trigger_words(&t),
        parts.join("; ")
    ))
}

/// compare.csv's recovery cells of one run: seconds (`inf` when it did not
/// recover, empty without a trigger) and the mechanism.
pub(super) fn cells(r: Option<&Recovery>) -> [String; 2] {
    match r {
        None => [String::new(), String::new()],
        Some(x) => [
            format!("{:.3}", x.recovery_s()),
            x.mechanism.map_or("", |m| m.label()).to_string(),
        ],
    }
}

/// compare_summary.csv's recovery cells of strategy `s`: replications
/// recovered and the median recovery seconds (empty without a trigger).
pub(super) fn summary_cells(c: &Comparison, s: usize) -> [String; 2] {
    match ranking(c) {
        None => [String::new(), String::new()],
        Some(rows) => {
            let r = rows
                .iter()
                .find(|r| r.strategy == s)
                .expect("every strategy ranked");
            [r.recovered.to_string(), format!("{:.3}", r.median_s)]
        }
    }
}
