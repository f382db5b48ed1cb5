//! timeseries.csv: what happened in each interval, per group and in total.

use crate::outcome::IntervalStats;
use crate::outcome::Outcome;
use crate::scenario::Scenario;

pub const TIMESERIES_COLUMNS: &[&str] = &[
    "t_start_s",
    "group",
    "offered",
    "attempts",
    "successes",
    "rejected_429_rpm",
    "rejected_429_rpd",
    "rejected_429_tpm",
    "rejected_429_lockout",
    "rejected_429_overloaded",
    "rejected_429_concurrency",
    "errors_5xx",
    "tokens_admitted",
    "locked_out_s",
    "timeouts",
];

fn row(t: f64, group: &str, s: &IntervalStats) -> Vec<String> {
    let v = vec![
        format!("{t}"),
        group.to_string(),
        s.offered.to_string(),
        s.attempts.to_string(),
        s.successes.to_string(),
    ];
    let mut v = v;
    v.extend(s.rejected.iter().map(u32::to_string));
    v.extend([
        s.errors_5xx.to_string(),
        s.tokens_admitted.to_string(),
        format!("{:.3}", s.locked_ns as f64 / 1e9),
        s.timeouts.to_string(),
    ]);
    v
}

/// Long format (one row per interval and group, then a "total" row per
/// interval), which pandas pivots in one call.
pub fn timeseries_csv(scenario: &Scenario, outcome: &Outcome) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TIMESERIES_COLUMNS)
        .expect("writing to memory");
    let total = outcome.series.total();
    let step = outcome.series.interval.as_secs_f64();
    for (i, tot) in total.iter().enumerate() {
        let t = i as f64 * step;
        for (g, group) in scenario.groups.iter().enumerate() {
            w.write_record(row(t, &group.name, &outcome.series.rows[g][i]))
                .expect("writing to memory");
        }
        w.write_record(row(t, "total", tot))
            .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}
