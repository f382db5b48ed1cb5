//! The terminal summary of one run, laid out to fit a terminal.
//!
//! A terminal is narrow and a scenario may have many groups, so the table
//! has one row per figure and one column per group (plus the total): long
//! labels sit once on the left, and each column is as wide as its group's
//! name, strategy and numbers. When the columns do not fit [`WIDTH`] they
//! wrap into blocks, each repeating the labels; a cell wider than a whole
//! block is cut with `…`. The 429 breakdown shows only the causes some group
//! met, one row each, instead of a wide `a (b/c/d/e/f)` cell.
//!
//! Widths count characters, not bytes, so names in any script line up.

use crate::outcome::recovery::Mechanism;
use crate::outcome::{GroupStats, Outcome};
use crate::policy::describe::thousands;
use crate::response::Cause;
use crate::scenario::Scenario;

/// The widest line the terminal output is laid out for.
pub const WIDTH: usize = 100;

/// Gap between columns.
const GAP: usize = 2;

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// How much work a run did and how fast, without a silly rate for a run
/// too short to time: "13,264 events in 0.04 s", or with a rate once the
/// run took half a second ("41,221,000 events in 2.10 s, 19.6M events/s").
pub fn throughput(events: u64, wall_s: f64) -> String {
    let mut s = format!("{} events in {wall_s:.2} s", thousands(events));
    if wall_s >= 0.5 {
        let rate = events as f64 / wall_s;
        let rate = if rate >= 1e6 {
            format!("{:.1}M", rate / 1e6)
        } else if rate >= 1e3 {
            format!("{:.1}k", rate / 1e3)
        } else {
            format!("{rate:.0}")
        };
        s += &format!(", {rate} events/s");
    }
    s
}

/// `text` as a bullet (`- `) wrapped at `width` characters, continuation
/// lines indented under the text; a word longer than a line (a path) keeps
/// its own line.
pub fn bullet(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from("-");
    for word in text.split_whitespace() {
        if chars(&line) > 2 && chars(&line) + 1 + chars(word) > width {
            out += &line;
            out.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(word);
    }
    out += &line;
    out.push('\n');
    out
}

/// What happened after the run's trigger (its last outage or load spike),
/// as a bullet: recovered after how long, or kept down and by what. Empty
/// when the run has no trigger.
pub fn recovery(outcome: &Outcome) -> String {
    let Some(r) = outcome.recovery(None) else {
        return String::new();
    };
    let trigger = format!(
        "After the {} ({} to {})",
        r.trigger.label(),
        r.trigger_start,
        r.trigger_end
    );
    let evidence = |m: Mechanism| match m {
        Mechanism::TimeoutStorm => format!(
            "{:.1} attempts per offered request, {} of them timed out",
            r.attempts_per_offered,
            pct(r.timeout_share)
        ),
        Mechanism::LockoutCascade => {
            format!("the key locked out {} of the time", pct(r.locked_share))
        }
        Mechanism::RetryStorm | Mechanism::Backlog => {
            format!("{:.1} attempts per offered request", r.attempts_per_offered)
        }
    };
    let how = match (r.recovered_at, r.mechanism) {
        (Some(_), None) => "goodput held: the run recovered at once".to_string(),
        (Some(_), Some(m)) => format!(
            "goodput was back {:.0} s after it ended; until then a {} ({})",
            r.recovery_s(),
            m.label(),
            evidence(m)
        ),
        (None, m) => {
            let m = m.unwrap_or(Mechanism::Backlog);
            format!(
                "goodput did not recover by the end of the arrivals: a metastable failure, kept going by a {} ({})",
                m.label(),
                evidence(m)
            )
        }
    };
    bullet(&format!("{trigger}, {how}."), WIDTH)
}

/// A row of the table: its label and the cell of each column.
type Row = (String, Vec<String>);

/// The summary for the terminal: one column per group (and the total when
/// there are several), one row per figure, at most [`WIDTH`] columns wide.
pub fn summary_table(scenario: &Scenario, outcome: &Outcome) -> String {
    let minutes = outcome.horizon.as_secs_f64() / 60.0;
    let mut cols: Vec<(&str, &str, &GroupStats)> = scenario
        .groups
        .iter()
        .zip(&outcome.groups)
        .map(|(g, s)| (g.name.as_str(), g.strategy.name.as_str(), s))
        .collect();
    if cols.len() > 1 {
        cols.push(("total", "", &outcome.total));
    }
    let row = |label: &str, f: &dyn Fn(&GroupStats) -> String| -> Row {
        (label.to_string(), cols.iter().map(|c| f(c.2)).collect())
    };
    let mut rows: Vec<Row> = vec![
        (
            "strategy".to_string(),
            cols.iter().map(|c| c.1.to_string()).collect(),
        ),
        row("arrivals", &|s| thousands(s.arrivals)),
        row("succeeded", &|s| thousands(s.succeeded)),
        row("gave up", &|s| thousands(s.gave_up_total())),
        row("refused by client", &|s| thousands(s.refused_total())),
        row("unservable", &|s| thousands(s.unservable)),
        row("in flight at end", &|s| thousands(s.in_flight)),
        row("attempts", &|s| thousands(s.attempts)),
        row("429s", &|s| thousands(s.rejected_total())),
    ];
    let causes = [
        ("  of which RPM", Cause::Requests),
        ("  of which RPD", Cause::RequestsPerDay),
        ("  of which TPM", Cause::Tokens),
        ("  of which lockout", Cause::Lockout),
        ("  of which overload", Cause::Overloaded),
        ("  of which concurrency", Cause::Concurrency),
    ];
    for (label, cause) in causes {
        if cols.iter().any(|c| c.2.rejected_by(cause) > 0) {
            rows.push(row(label, &|s| thousands(s.rejected_by(cause))));
        }
    }
    rows.extend([row("5xx", &|s| thousands(s.errors_5xx))]);
    if cols.iter().any(|c| c.2.timeouts > 0) {
        rows.push(row("timeouts", &|s| thousands(s.timeouts)));
    }
    rows.extend([
        row("429 share of attempts", &|s| pct(s.share_429())),
        row("attempts per request", &|s| {
            format!("{:.2} (max {})", s.attempts_per_request(), s.max_attempts)
        }),
        row("goodput req/min", &|s| {
            format!("{:.1}", s.succeeded as f64 / minutes)
        }),
        row("goodput tokens/min", &|s| {
            thousands(((s.tokens_in + s.tokens_out) as f64 / minutes).round() as u64)
        }),
        row("completion p50 / p99 s", &|s| {
            format!(
                "{:.2} / {:.2}",
                s.completion_quantile(0.5),
                s.completion_quantile(0.99)
            )
        }),
        row("completion max s", &|s| {
            format!("{:.2}", s.completion_max())
        }),
        row("locked out s", &|s| {
            format!("{:.0}", s.locked_out.as_secs_f64())
        }),
    ]);
    if cols.iter().any(|c| c.2.batch.is_some()) {
        rows.push(row("makespan s", &|s| match &s.batch {
            Some(b) => match b.makespan {
                Some(m) => format!("{:.1}", m.as_secs_f64()),
                None => format!("not done ({} unsent)", thousands(b.unsent)),
            },
            None => String::new(),
        }));
        rows.push(row("client makespan mean / max s", &|s| match &s.batch {
            Some(b) => match b.client_makespan_mean() {
                Some(m) => format!("{m:.1} / {:.1}", b.client_makespan_max.as_secs_f64()),
                None => "none done".to_string(),
            },
            None => String::new(),
        }));
    }
    if cols.iter().any(|c| c.2.spend.billed > 0) {
        rows.push(row("spend", &|s| money(s.spend.total())));
        rows.push(row("  of which unused answers", &|s| {
            money(s.spend.unused())
        }));
        rows.push(row("spend per success", &|s| {
            s.spend
                .per_success(s.succeeded)
                .map_or_else(String::new, money)
        }));
    }
    let names: Vec<String> = cols.iter().map(|c| c.0.to_string()).collect();
    layout(&names, &rows, WIDTH)
}

/// An amount in the prices' currency: cents for amounts of a unit or more,
/// four significant digits below (a request may cost a millionth).
fn money(x: f64) -> String {
    if x == 0.0 || x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
        format!("{x:.digits$}")
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `width` characters, the last one `…` when cut.
fn fit(s: &str, width: usize) -> String {
    if chars(s) <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `names` as column headers over `rows`, labels left and cells right
/// aligned, wrapped into blocks of columns that fit `width`.
pub fn layout(names: &[String], rows: &[Row], width: usize) -> String {
    let label_w = rows.iter().map(|r| chars(&r.0)).max().unwrap_or(0);
    let max_cell = width.saturating_sub(label_w + GAP).max(1);
    let col_w: Vec<usize> = (0..names.len())
        .map(|c| {
            rows.iter()
                .map(|r| chars(&r.1[c]))
                .chain([chars(&names[c])])
                .max()
                .unwrap_or(0)
                .min(max_cell)
        })
        .collect();
    // Blocks of consecutive columns that fit beside the labels.
    let mut blocks: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    let mut used = label_w;
    for (c, w) in col_w.iter().enumerate() {
        if c > start && used + GAP + w > width {
            blocks.push(start..c);
            start = c;
            used = label_w;
        }
        used += GAP + w;
    }
    blocks.push(start..names.len());
    let mut out = String::new();
    for (b, block) in blocks.iter().enumerate() {
        if b > 0 {
            out.push('\n');
        }
        let line = |label: &str, cells: &dyn Fn(usize) -> String| {
            let mut l = format!("{label:label_w$}");
            for c in block.clone() {
                let w = col_w[c];
                l += &format!("{:GAP$}{:>w$}", "", fit(&cells(c), w));
            }
            l.trim_end().to_string() + "\n"
        };
        out += &line("", &|c| names[c].clone());
        for (label, cells) in rows {
            out += &line(label, &|c| cells[c].clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_gives_a_rate_only_for_runs_long_enough_to_time() {
        assert_eq!(throughput(13_264, 0.04), "13,264 events in 0.04 s");
        assert_eq!(
            throughput(41_221_000, 2.1),
            "41,221,000 events in 2.10 s, 19.6M events/s"
        );
        assert_eq!(throughput(900, 0.9), "900 events in 0.90 s, 1.0k events/s");
    }

    #[test]
    fn bullets_wrap_under_their_text() {
        assert_eq!(
            bullet("one two three four", 11),
            "- one two\n  three\n  four\n"
        );
        assert_eq!(bullet("short", 80), "- short\n");
    }

    #[test]
    fn columns_wrap_into_blocks_and_long_cells_are_cut() {
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let rows = vec![(
            "label".to_string(),
            vec!["x".repeat(8), "y".repeat(8), "z".repeat(30)],
        )];
        let text = layout(&names, &rows, 26);
        assert_eq!(
            text,
            format!(
                "              a         b\nlabel  xxxxxxxx  yyyyyyyy\n\n{:>26}\nlabel  {}…\n",
                "c",
                "z".repeat(18)
            )
        );
        assert!(text.lines().all(|l| l.chars().count() <= 26), "{text}");
    }
}
