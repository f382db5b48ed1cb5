//! `ratesim trace stats`: what a planner wants to know about a trace before
//! simulating it.
//!
//! Which limit will bind, and how hard? That is a question about the busiest
//! minutes, not the average, so load is reported per model over 1-minute
//! windows counted from the trace's time zero (mean, 95th percentile and
//! maximum, empty minutes included), next to the model's RPM and TPM, and
//! the minutes above either are counted and named. These windows are not
//! the provider's: fixed windows align to the wall clock, so
//! a burst split across two of them can pass where the trace's own minute
//! shows it over the limit, and the reverse; the simulation settles it.
//!
//! Tokens are counted the way the policy's TPM limit counts them (by default
//! input plus `max_tokens`, falling back to the actual output), so a minute's
//! tokens compare directly with TPM. A request whose size alone exceeds its
//! model's smallest token limit can never be admitted by a fixed window; the
//! share of those is reported on its own.
//!
//! The computation streams: memory grows with the number of (model, minute)
//! pairs that saw traffic, never with the number of rows. Token-size
//! quantiles come from an HDR histogram (3 significant digits).

use crate::policy::describe::{table, thousands};
use std::collections::{BTreeMap, BTreeSet};

use hdrhistogram::Histogram;

use crate::policy::{Counts, KeyId, ModelId, Policy, TpmAccounting};
use crate::time::Nanos;
use crate::workload::{TraceError, TraceRow};

/// Load over 1-minute windows: requests or tokens per minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerMinute {
    pub mean: f64,
    /// Nearest-rank 95th percentile over every minute of the trace.
    pub p95: u64,
    pub max: u64,
}

/// Traffic of one model, or of all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Load {
    pub requests: u64,
    /// Tokens as the policy's TPM counts them.
    pub tokens: u64,
    pub requests_per_minute: PerMinute,
    pub tokens_per_minute: PerMinute,
}

/// One model's traffic and the limits it meets.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelLoad {
    pub model: ModelId,
    pub id: String,
    pub load: Load,
    /// The model's requests-per-minute limit, if it has one.
    pub rpm: Option<u64>,
    /// The model's tokens-per-minute limit, if it has one.
    pub tpm: Option<u64>,
    /// Requests larger than the model's smallest token limit.
    pub over_tpm: u64,
    /// The minutes (indexes from the trace's time zero) whose requests
    /// exceed the model's RPM, in order.
    pub minutes_over_rpm: Vec<u64>,
    /// The minutes whose tokens exceed the model's TPM, in order.
    pub minutes_over_tpm: Vec<u64>,
}

/// A 1-minute window: `[index, index + 1)` minutes from the trace's time zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Minute {
    pub index: u64,
    pub requests: u64,
    pub tokens: u64,
}

/// Quantiles of a token size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    pub p50: u64,
    pub p95: u64,
    pub max: u64,
}

/// Everything `ratesim trace stats` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceStats {
    pub first: Nanos,
    pub last: Nanos,
    /// Distinct keys.
    pub keys: usize,
    /// 1-minute windows from time zero through the last request.
    pub minutes: u64,
    /// How tokens are counted (the policy's TPM accounting).
    pub accounting: TpmAccounting,
    pub all: Load,
    /// Models in policy order, those with traffic only.
    pub models: Vec<ModelLoad>,
    /// The minute with the most requests (the earliest on a tie).
    pub burstiest: Option<Minute>,
    pub input_tokens: Sizes,
    pub output_tokens: Sizes,
    /// Requests larger than their model's smallest token limit.
    pub over_tpm: u64,
}

/// Requests and tokens per minute index, for minutes that saw traffic.
#[derive(Default)]
struct Minutes {
    requests: u64,
    tokens: u64,
    by_minute: BTreeMap<u64, (u64, u64)>,
}

impl Minutes {
    fn add(&mut self, minute: u64, tokens: u64) {
        self.requests += 1;
        self.tokens += tokens;
        let entry = self.by_minute.entry(minute).or_default();
        entry.0 += 1;
        entry.1 += tokens;
    }

    fn load(&self, minutes: u64) -> Load {
        Load {
            requests: self.requests,
            tokens: self.tokens,
            requests_per_minute: per_minute(self.by_minute.values().map(|v| v.0), minutes),
            tokens_per_minute: per_minute(self.by_minute.values().map(|v| v.1), minutes),
        }
    }
}

/// Mean, p95 and max over `minutes` windows, of which `values` are the
/// non-empty ones.
fn per_minute(values: impl Iterator<Item = u64>, minutes: u64) -> PerMinute {
    let mut values: Vec<u64> = values.collect();
    values.sort_unstable();
    let total: u64 = values.iter().sum();
    let zeros = minutes.saturating_sub(values.len() as u64);
    let rank = (95 * minutes).div_ceil(100).max(1);
    PerMinute {
        mean: if minutes == 0 {
            0.0
        } else {
            total as f64 / minutes as f64
        },
        p95: if rank <= zeros {
            0
        } else {
            values
                .get((rank - zeros - 1) as usize)
                .copied()
                .unwrap_or(0)
        },
        max: values.last().copied().unwrap_or(0),
    }
}

/// The tokens a request counts against a TPM limit under `accounting`.
fn charged(row: &TraceRow, accounting: TpmAccounting) -> u64 {
    let output = match accounting {
        TpmAccounting::InputPlusMaxTokens => row.max_tokens.unwrap_or(row.output_tokens),
        TpmAccounting::InputPlusActual | TpmAccounting::InputThenOutput => row.output_tokens,
    };
    u64::from(row.input_tokens) + u64::from(output)
}

/// A token-size distribution: quantiles from a histogram, the maximum exact.
struct SizeDistribution {
    histogram: Histogram<u64>,
    max: u64,
}

impl SizeDistribution {
    fn new() -> Self {
        SizeDistribution {
            histogram: Histogram::new_with_bounds(1, u64::from(u32::MAX), 3)
                .expect("bounds and precision are valid"),
            max: 0,
        }
    }

    fn add(&mut self, tokens: u32) {
        self.histogram.saturating_record(u64::from(tokens));
        self.max = self.max.max(u64::from(tokens));
    }

    fn sizes(&self) -> Sizes {
        Sizes {
            p50: self.histogram.value_at_quantile(0.5),
            p95: self.histogram.value_at_quantile(0.95),
            max: self.max,
        }
    }
}

/// Statistics of `rows` (read with the ids of `policy.models`). Stops at the
/// first error.
pub fn trace_stats(
    rows: impl IntoIterator<Item = Result<TraceRow, TraceError>>,
    policy: &Policy,
) -> Result<TraceStats, TraceError> {
    let limit = |model: ModelId, counts: Counts, per_minute: bool| {
        policy.models[model as usize]
            .limits
            .iter()
            .filter(|l| l.counts == counts && (!per_minute || l.window == Nanos::MINUTE))
            .map(|l| l.amount)
            .min()
    };
    let mut all = Minutes::default();
    let mut models: BTreeMap<ModelId, (Minutes, u64)> = BTreeMap::new();
    let mut keys: BTreeSet<KeyId> = BTreeSet::new();
    let (mut input, mut output) = (SizeDistribution::new(), SizeDistribution::new());
    let (mut first, mut last): (Option<Nanos>, Nanos) = (None, Nanos::ZERO);
    let mut over_tpm = 0;
    for row in rows {
        let row = row?;
        let minute = row.at.0 / Nanos::MINUTE.0;
        let tokens = charged(&row, policy.tpm);
        all.add(minute, tokens);
        let (per_model, over) = models.entry(row.model).or_default();
        per_model.add(minute, tokens);
        if limit(row.model, Counts::Tokens, false).is_some_and(|cap| tokens > cap) {
            *over += 1;
            over_tpm += 1;
        }
        keys.insert(row.key);
        input.add(row.input_tokens);
        output.add(row.output_tokens);
        first = Some(first.map_or(row.at, |f| f.min(row.at)));
        last = last.max(row.at);
    }
    let minutes = if first.is_some() {
        last.0 / Nanos::MINUTE.0 + 1
    } else {
        0
    };
    let mut burstiest: Option<Minute> = None;
    for (&index, &(requests, tokens)) in &all.by_minute {
        if !matches!(burstiest, Some(b) if b.requests >= requests) {
            burstiest = Some(Minute {
                index,
                requests,
                tokens,
            });
        }
    }
    Ok(TraceStats {
        first: first.unwrap_or(Nanos::ZERO),
        last,
        keys: keys.len(),
        minutes,
        accounting: policy.tpm,
        all: all.load(minutes),
        models: models
            .iter()
            .map(|(&model, (per_model, over))| {
                let rpm = limit(model, Counts::Requests, true);
                let tpm = limit(model, Counts::Tokens, true);
                let over_limit = |cap: Option<u64>, count: fn(&(u64, u64)) -> u64| {
                    per_model
                        .by_minute
                        .iter()
                        .filter(|(_, v)| cap.is_some_and(|c| count(v) > c))
                        .map(|(&m, _)| m)
                        .collect()
                };
                ModelLoad {
                    model,
                    id: policy.models[model as usize].id.clone(),
                    load: per_model.load(minutes),
                    rpm,
                    tpm,
                    over_tpm: *over,
                    minutes_over_rpm: over_limit(rpm, |v| v.0),
                    minutes_over_tpm: over_limit(tpm, |v| v.1),
                }
            })
            .collect(),
        burstiest,
        input_tokens: input.sizes(),
        output_tokens: output.sizes(),
        over_tpm,
    })
}

/// The statistics as plain aligned text.
pub fn render(stats: &TraceStats) -> String {
    let all = &stats.all;
    if all.requests == 0 {
        return "the trace has no requests\n".to_string();
    }
    let mut out = format!(
        "{} from {} key{} in {} (first at {}, last at {})\n\
         tokens counted as {}, as the policy's TPM limits count them\n\n",
        requests(all.requests),
        stats.keys,
        if stats.keys == 1 { "" } else { "s" },
        clock(stats.last - stats.first),
        clock(stats.first),
        clock(stats.last),
        stats.accounting.name(),
    );

    out.push_str(&format!(
        "per 1-minute window from the trace start ({} windows), against the limits in force:\n\n",
        stats.minutes
    ));
    let limit = |l: Option<u64>| l.map_or("-".to_string(), thousands);
    let over = |minutes: &[u64], cap: Option<u64>| {
        if cap.is_none() {
            "-".to_string()
        } else {
            thousands(minutes.len() as u64)
        }
    };
    let header = |what: &str, cap: &str| {
        [what, "mean/min", "p95", "max", cap, "minutes over"]
            .map(String::from)
            .to_vec()
    };
    // Requests per minute with a decimal; tokens, in thousands, need none.
    let cells = |total: u64, p: &PerMinute, cap: String, over: String| {
        vec![
            thousands(total),
            if p.mean >= 1000.0 {
                thousands(p.mean.round() as u64)
            } else {
                format!("{:.1}", p.mean)
            },
            thousands(p.p95),
            thousands(p.max),
            cap,
            over,
        ]
    };
    let mut requests_rows = vec![["model".to_string()]
        .into_iter()
        .chain(header("requests", "RPM"))
        .collect::<Vec<_>>()];
    let mut token_rows = vec![["model".to_string()]
        .into_iter()
        .chain(header("tokens", "TPM"))
        .collect::<Vec<_>>()];
    for m in &stats.models {
        let mut r = vec![m.id.clone()];
        r.extend(cells(
            m.load.requests,
            &m.load.requests_per_minute,
            limit(m.rpm),
            over(&m.minutes_over_rpm, m.rpm),
        ));
        requests_rows.push(r);
        let mut t = vec![m.id.clone()];
        t.extend(cells(
            m.load.tokens,
            &m.load.tokens_per_minute,
            limit(m.tpm),
            over(&m.minutes_over_tpm, m.tpm),
        ));
        token_rows.push(t);
    }
    if stats.models.len() > 1 {
        let mut r = vec!["all models".to_string()];
        r.extend(cells(
            all.requests,
            &all.requests_per_minute,
            "-".into(),
            "-".into(),
        ));
        requests_rows.push(r);
        let mut t = vec!["all models".to_string()];
        t.extend(cells(
            all.tokens,
            &all.tokens_per_minute,
            "-".into(),
            "-".into(),
        ));
        token_rows.push(t);
    }
    out.push_str(&table(&requests_rows, 1));
    out.push('\n');
    out.push_str(&table(&token_rows, 1));
    let mut flagged = Vec::new();
    for m in &stats.models {
        for (minutes, cap, what) in [
            (&m.minutes_over_rpm, m.rpm, "RPM"),
            (&m.minutes_over_tpm, m.tpm, "TPM"),
        ] {
            if let (Some(cap), Some(&first)) = (cap, minutes.first()) {
                flagged.push(format!(
                    "  {}: {} of {} minutes over its {what} of {}, the first at {}\n",
                    m.id,
                    minutes.len(),
                    stats.minutes,
                    thousands(cap),
                    window(first)
                ));
            }
        }
    }
    if flagged.is_empty() {
        out.push_str("\nno minute of the trace exceeds its model's RPM or TPM\n");
    } else {
        out.push_str(
            "\nover the limit in the trace's own minutes (the provider's windows may split a burst differently):\n",
        );
        out.extend(flagged);
    }

    if let Some(b) = stats.burstiest {
        out.push_str(&format!(
            "\nburstiest minute: {}, {} and {} tokens\n",
            window(b.index),
            requests(b.requests),
            thousands(b.tokens)
        ));
    }
    let size = |s: Sizes| {
        format!(
            "p50 {}, p95 {}, max {}",
            thousands(s.p50),
            thousands(s.p95),
            thousands(s.max)
        )
    };
    out.push_str(&format!(
        "input tokens:  {}\noutput tokens: {}\n",
        size(stats.input_tokens),
        size(stats.output_tokens)
    ));
    out.push_str(&format!(
        "requests larger than their model's TPM on their own: {} ({:.2}%){}\n",
        thousands(stats.over_tpm),
        100.0 * stats.over_tpm as f64 / all.requests as f64,
        if stats.over_tpm > 0 {
            "; a fixed window can never admit them"
        } else {
            ""
        }
    ));
    out
}

/// `"1 request"`, `"1,200 requests"`.
fn requests(n: u64) -> String {
    format!("{} request{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// Minute `index` of the trace as `start..end`.
fn window(index: u64) -> String {
    format!(
        "{}..{}",
        clock(Nanos(index.saturating_mul(Nanos::MINUTE.0))),
        clock(Nanos((index + 1).saturating_mul(Nanos::MINUTE.0)))
    )
}

/// `h:mm:ss.s` (or `m:ss.s` under an hour): a trace instant or length.
fn clock(t: Nanos) -> String {
    let tenths = t.0.saturating_add(50_000_000) / 100_000_000;
    let (h, m, s, d) = (
        tenths / 36_000,
        tenths / 600 % 60,
        tenths / 10 % 60,
        tenths % 10,
    );
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{d}")
    } else {
        format!("{m}:{s:02}.{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::catalogue::{resolve, ModelEntry};
    use crate::policy::presets::preset;
    use crate::policy::{LimitSpec, ModelType};

    fn policy() -> Policy {
        let entries = [ModelEntry {
            id: "tiny".into(),
            kind: Some(ModelType::Text),
            limits: Some(vec![LimitSpec::rpm(2), LimitSpec::tpm(1_000)]),
            ..ModelEntry::default()
        }];
        Policy {
            preset: "venice".into(),
            models: resolve(preset("venice").unwrap(), &entries).unwrap(),
            window: Default::default(),
            tpm: Default::default(),
            lockout: Default::default(),
            header_units: Default::default(),
            scope: Default::default(),
            video: Default::default(),
        }
    }

    fn row(
        at_s: u64,
        key: KeyId,
        model: ModelId,
        input: u32,
        output: u32,
        max: Option<u32>,
    ) -> TraceRow {
        TraceRow {
            at: Nanos::from_secs(at_s),
            key,
            model,
            input_tokens: input,
            output_tokens: output,
            max_tokens: max,
        }
    }

    #[test]
    fn per_minute_quantiles_count_empty_minutes() {
        // 20 minutes: 19 empty, one with 7.
        let p = per_minute([7].into_iter(), 20);
        assert_eq!((p.mean, p.p95, p.max), (0.35, 0, 7));
        // 20 minutes, two busy ones: the 19th value in order is the first busy one.
        let p = per_minute([3, 9].into_iter(), 20);
        assert_eq!((p.p95, p.max), (3, 9));
        let p = per_minute(std::iter::empty(), 0);
        assert_eq!((p.mean, p.p95, p.max), (0.0, 0, 0));
    }

    #[test]
    fn stats_of_a_small_trace() {
        let p = policy();
        let tiny = p.model_index("tiny").unwrap();
        let llama = p.model_index("llama-3.3-70b").unwrap();
        let rows = vec![
            row(0, 0, llama, 100, 50, Some(200)),
            row(10, 1, llama, 100, 50, None),
            row(20, 0, tiny, 900, 300, None),
            row(70, 0, tiny, 10, 5, Some(20)),
            row(130, 0, llama, 5_000, 10, Some(10)),
        ];
        let stats = trace_stats(rows.into_iter().map(Ok), &p).unwrap();
        assert_eq!(
            (stats.minutes, stats.keys, stats.first, stats.last),
            (3, 2, Nanos::ZERO, Nanos::from_secs(130))
        );
        assert_eq!(stats.all.requests, 5);
        // input + max_tokens, else output: 300 + 150 + 1200 + 30 + 5010.
        assert_eq!(stats.all.tokens, 6_690);
        assert_eq!(
            stats.burstiest,
            Some(Minute {
                index: 0,
                requests: 3,
                tokens: 1_650
            })
        );
        let ids: Vec<&str> = stats.models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["llama-3.3-70b", "tiny"]);
        let tiny_load = &stats.models[1];
        assert_eq!(
            (tiny_load.rpm, tiny_load.tpm, tiny_load.over_tpm),
            (Some(2), Some(1_000), 1)
        );
        assert_eq!(tiny_load.load.requests_per_minute.max, 1);
        assert_eq!(tiny_load.minutes_over_tpm, [0]);
        assert!(
            tiny_load.minutes_over_rpm.is_empty() && stats.models[0].minutes_over_rpm.is_empty()
        );
        assert_eq!(stats.models[0].load.requests_per_minute.max, 2);
        assert_eq!(stats.over_tpm, 1);
        assert_eq!(stats.input_tokens.max, 5_000);
        assert_eq!(stats.output_tokens.p50, 50);
    }

    #[test]
    fn rendered_text() {
        let p = policy();
        let tiny = p.model_index("tiny").unwrap();
        let rows = [
            row(1, 0, tiny, 900, 300, None),
            row(61, 0, tiny, 10, 5, Some(20)),
        ];
        let stats = trace_stats(rows.into_iter().map(Ok), &p).unwrap();
        assert_eq!(
            render(&stats),
            "2 requests from 1 key in 1:00.0 (first at 0:01.0, last at 1:01.0)\n\
             tokens counted as input+max_tokens, as the policy's TPM limits count them\n\
             \n\
             per 1-minute window from the trace start (2 windows), against the limits in force:\n\
             \n\
             model  requests  mean/min  p95  max  RPM  minutes over\n\
             tiny          2       1.0    1    1    2             0\n\
             \n\
             model  tokens  mean/min    p95    max    TPM  minutes over\n\
             tiny    1,230     615.0  1,200  1,200  1,000             1\n\
             \n\
             over the limit in the trace's own minutes (the provider's windows may split a burst differently):\n\
             \x20 tiny: 1 of 2 minutes over its TPM of 1,000, the first at 0:00.0..1:00.0\n\
             \n\
             burstiest minute: 0:00.0..1:00.0, 1 request and 1,200 tokens\n\
             input tokens:  p50 10, p95 900, max 900\n\
             output tokens: p50 5, p95 300, max 300\n\
             requests larger than their model's TPM on their own: 1 (50.00%); a fixed window can never admit them\n"
        );
        assert_eq!(
            render(&trace_stats(std::iter::empty(), &p).unwrap()),
            "the trace has no requests\n"
        );
    }

    #[test]
    fn an_error_stops_the_stats() {
        let error = TraceError {
            path: "t.csv".into(),
            line: 3,
            column: None,
            field: None,
            message: "bad".into(),
        };
        let rows = vec![Ok(row(0, 0, 0, 1, 1, None)), Err(error)];
        assert_eq!(
            trace_stats(rows, &policy()).unwrap_err().to_string(),
            "t.csv:3: bad"
        );
    }
}
