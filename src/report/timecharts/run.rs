//! The charts of `ratesim run`, one panel per (key, model) pair that saw
//! traffic, because limits apply per key and model: several groups may
//! share a key, and one group may send to several models.
//!
//! - `throughput`: offered load (arrivals), attempts and successes per
//!   minute against the pair's request limits in the same unit, window
//!   edges drawn for fixed windows.
//! - `tokens` (when a pair has a token limit): admitted tokens per minute
//!   against TPM.
//! - `daily` (when a pair has a daily limit): admitted requests (or tokens)
//!   counted since the window opened, against the daily amount.
//! - `rate_429`: 429s per minute by cause, stacked, with 5xx on top.
//!
//! Every panel shades its key's lockout blocks (the key named in the
//! legend) and the outages.

use super::{bin_note, lockout_shades, outage_shade, run_range, Bins};
use crate::outcome::{IntervalStats, Outcome, TimeSeries};
use crate::policy::describe::thousands;
use crate::policy::limiter::LimitStats;
use crate::policy::{Counts, LimitSpec, WindowAlgo};
use crate::report::charts::{Chart, LineChart, Panels, Series};
use crate::response::Cause;
use crate::scenario::Scenario;
use crate::time::Nanos;

/// Most panels a chart gets; the busiest pairs are kept.
const MAX_PANELS: usize = 12;
/// Window edges are drawn only when there are at most this many.
const MAX_EDGES: u64 = 120;
const DAY: Nanos = Nanos(86_400_000_000_000);

/// One (key, model) pair: its name, its series and its limits.
struct Pair<'a> {
    name: String,
    key: u32,
    bins: Bins,
    limits: Vec<&'a LimitStats>,
}

/// A limit's amount per minute, for drawing on a per-minute axis.
pub fn per_minute(l: &LimitSpec) -> f64 {
    l.amount as f64 * 60.0 / l.window.as_secs_f64()
}

/// "RPM 500" or "R/10s 20 = 120/min": the limit as the provider states it
/// and, when its window is not a minute, in the chart's unit.
pub fn limit_label(l: &LimitSpec) -> String {
    let label = l.label();
    if l.window == Nanos::MINUTE {
        format!("{label} limit {}", thousands(l.amount))
    } else {
        format!(
            "{label} limit {} = {}/min",
            thousands(l.amount),
            thousands(per_minute(l).round() as u64)
        )
    }
}

/// The edges of `spec`'s fixed windows inside the run, in minutes (none
/// for other window algorithms or when they would be too dense to read).
fn window_edges(sc: &Scenario, spec: &LimitSpec, horizon: Nanos) -> Vec<f64> {
    let w = spec.window.0;
    if sc.policy.window != WindowAlgo::Fixed || horizon.0 / w > MAX_EDGES {
        return Vec::new();
    }
    // The limiter aligns fixed windows to Unix time.
    let offset = sc.clock.start_unix_ms.saturating_mul(1_000_000) % w;
    let first = (w - offset) % w;
    (0..)
        .map(|i| first + i * w)
        .take_while(|&t| t <= horizon.0)
        .map(|t| t as f64 / 6e10)
        .collect()
}

/// The pairs to draw, busiest first when there are too many, else in
/// (key, model) order; and a note when some were left out.
fn pairs<'a>(sc: &Scenario, o: &'a Outcome) -> (Vec<Pair<'a>>, String) {
    let mut idx: Vec<usize> = (0..o.pairs.len()).collect();
    let mut note = String::new();
    if idx.len() > MAX_PANELS {
        idx.sort_by_key(|&i| std::cmp::Reverse(o.pairs[i].stats.arrivals));
        idx.truncate(MAX_PANELS);
        idx.sort_unstable();
        note = format!(
            " · the {MAX_PANELS} busiest of {} key-model pairs",
            o.pairs.len()
        );
    }
    let pairs = idx
        .into_iter()
        .map(|i| {
            let p = &o.pairs[i];
            Pair {
                name: format!(
                    "key {} · {}",
                    o.keys[p.key as usize], sc.policy.models[p.model as usize].id
                ),
                key: p.key,
                bins: Bins::of(&o.pair_series.rows[i], o.pair_series.interval),
                limits: o
                    .limits
                    .iter()
                    .filter(|l| l.key == p.key && l.model == p.model)
                    .collect(),
            }
        })
        .collect();
    (pairs, note)
}

/// A panel over the run with the pair's key's lockouts and the outages shaded.
fn panel(o: &Outcome, p: &Pair<'_>, y_label: &str) -> LineChart {
    let mut shaded = lockout_shades(&o.lockouts, &[p.key], &o.keys, "");
    shaded.extend(outage_shade(&o.outages));
    LineChart {
        title: p.name.clone(),
        x_label: "time (min)".into(),
        y_label: y_label.into(),
        shaded,
        y_min_zero: true,
        x_range: run_range(o.horizon),
        ..LineChart::default()
    }
}

/// One panel per pair, or a plain chart when there is only one.
fn assemble(title: String, subtitle: String, mut panels: Vec<LineChart>) -> Chart {
    if panels.len() == 1 {
        let mut c = panels.remove(0);
        c.subtitle = format!("{} · {subtitle}", c.title);
        c.title = title;
        return Chart::Line(c);
    }
    let columns = match panels.len() {
        0..=2 => 1,
        3..=4 => 2,
        _ => 3,
    };
    Chart::Panels(Panels {
        title,
        subtitle,
        panels,
        columns,
    })
}

/// Limits of `counts` with windows shorter than a day, as hlines, with the
/// edges of the shortest one's windows.
fn short_limits(
    sc: &Scenario,
    o: &Outcome,
    p: &Pair<'_>,
    counts: Counts,
) -> (Vec<(f64, String)>, Vec<f64>) {
    let mut specs: Vec<&LimitSpec> = p
        .limits
        .iter()
        .map(|l| &l.limit)
        .filter(|l| l.counts == counts && l.window < DAY)
        .collect();
    specs.sort_by_key(|l| l.window);
    let edges = specs
        .first()
        .map_or_else(Vec::new, |l| window_edges(sc, l, o.horizon));
    (
        specs
            .iter()
            .map(|l| (per_minute(l), limit_label(l)))
            .collect(),
        edges,
    )
}

/// The charts of a run as (file stem, chart).
pub fn run_charts(sc: &Scenario, o: &Outcome) -> Vec<(&'static str, Chart)> {
    let (pairs, left_out) = pairs(sc, o);
    let width = pairs.first().map_or(o.series.interval, |p| p.bins.width);
    let sub = format!(
        "{} (seed {}) · per minute, {}{left_out}",
        sc.name,
        o.seed,
        bin_note(width)
    );
    let mut out = Vec::new();

    let throughput = pairs
        .iter()
        .map(|p| {
            let b = &p.bins;
            let (hlines, vlines) = short_limits(sc, o, p, Counts::Requests);
            let rate = |f: fn(&IntervalStats) -> u32| b.points(|s| b.per_minute(f64::from(f(s))));
            LineChart {
                series: vec![
                    Series::new("offered (arrivals)", rate(|s| s.offered)),
                    Series::new("attempts (with retries)", rate(|s| s.attempts)),
                    Series::new("successes", rate(|s| s.successes)),
                ],
                hlines,
                vlines,
                ..panel(o, p, "requests / min")
            }
        })
        .collect();
    out.push((
        "throughput",
        assemble(
            "Offered load, attempts and successes against the limits".into(),
            sub.clone(),
            throughput,
        ),
    ));

    let tokens: Vec<LineChart> = pairs
        .iter()
        .filter(|p| {
            p.limits
                .iter()
                .any(|l| l.limit.counts == Counts::Tokens && l.limit.window < DAY)
        })
        .map(|p| {
            let b = &p.bins;
            let (hlines, vlines) = short_limits(sc, o, p, Counts::Tokens);
            LineChart {
                series: vec![Series::new(
                    "tokens admitted",
                    b.points(|s| b.per_minute(s.tokens_admitted as f64)),
                )],
                hlines,
                vlines,
                ..panel(o, p, "tokens / min")
            }
        })
        .collect();
    if !tokens.is_empty() {
        out.push((
            "tokens",
            assemble(
                "Tokens admitted against the token limits".into(),
                sub.clone(),
                tokens,
            ),
        ));
    }

    let daily: Vec<LineChart> = pairs
        .iter()
        .flat_map(|p| {
            p.limits
                .iter()
                .filter(|l| l.limit.window >= DAY)
                .map(move |l| daily_panel(sc, o, p, &l.limit))
        })
        .collect();
    if !daily.is_empty() {
        let sub = format!(
            "{} (seed {}) · {}{left_out}",
            sc.name,
            o.seed,
            bin_note(width)
        );
        out.push((
            "daily",
            assemble(
                "Daily limits: admitted since the window opened".into(),
                sub,
                daily,
            ),
        ));
    }

    let rejections = pairs
        .iter()
        .map(|p| {
            let b = &p.bins;
            let by = |c: Cause| b.points(|s| b.per_minute(f64::from(s.rejected[c.index()])));
            let mut series: Vec<Series> = [
                ("429 RPM", Cause::Requests),
                ("429 RPD", Cause::RequestsPerDay),
                ("429 TPM", Cause::Tokens),
                ("429 lockout", Cause::Lockout),
                ("429 overload", Cause::Overloaded),
                ("429 concurrency", Cause::Concurrency),
            ]
            .into_iter()
            .enumerate()
            .map(|(i, (name, c))| Series {
                style: Some(i),
                ..Series::new(name, by(c))
            })
            .collect();
            series.push(Series {
                style: Some(6),
                ..Series::new("5xx", b.points(|s| b.per_minute(f64::from(s.errors_5xx))))
            });
            // A cause that never happened is left out of the stack and legend.
            series.retain(|s| s.points.iter().any(|p| p.1 > 0.0));
            let mut chart = LineChart {
                stacked: true,
                step: true,
                ..panel(o, p, "answers / min")
            };
            // An empty panel says so, rather than leaving the reader to
            // wonder whether it failed to draw.
            if series.is_empty() {
                chart.title.push_str(": no 429s, no 5xx");
            }
            chart.series = series;
            chart
        })
        .collect();
    out.push((
        "rate_429",
        assemble(
            "429s by cause, and 5xx".into(),
            format!("{sub} · stacked"),
            rejections,
        ),
    ));
    out
}

/// Admitted requests (or tokens) since `spec`'s window opened, against its
/// amount: a fixed window restarts the count at its edge; other windows
/// are counted from the start of the run.
fn daily_panel(sc: &Scenario, o: &Outcome, p: &Pair<'_>, spec: &LimitSpec) -> LineChart {
    let b = &p.bins;
    let edges = window_edges(sc, spec, o.horizon);
    let mut total = 0.0;
    let mut edge = edges.iter().peekable();
    let points = b
        .bins
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let start = i as f64 * b.width.as_secs_f64() / 60.0;
            if edge.next_if(|&&e| e <= start && e > 0.0).is_some() {
                total = 0.0;
            }
            total += match spec.counts {
                Counts::Requests => f64::from(TimeSeries::admitted(s)),
                Counts::Tokens => s.tokens_admitted as f64,
            };
            ((i + 1) as f64 * b.width.as_secs_f64() / 60.0, total)
        })
        .collect();
    let unit = match spec.counts {
        Counts::Requests => "requests",
        Counts::Tokens => "tokens",
    };
    LineChart {
        title: format!("{} · {}", p.name, spec.label()),
        series: vec![Series::new(format!("{unit} admitted, cumulative"), points)],
        hlines: vec![(
            spec.amount as f64,
            format!("{} limit {}", spec.label(), spec.amount),
        )],
        vlines: edges,
        ..panel(o, p, &format!("{unit} in the window"))
    }
}
