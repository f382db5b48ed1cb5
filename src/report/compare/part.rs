//! The part file `ratesim compare --shard K/N` writes and `ratesim merge`
//! reads: every run of the shard's (strategy, replication) units, lossless,
//! and everything merge needs to render the report without the scenario
//! file at hand.
//!
//! ```text
//! #ratesim-compare-part=1
//! #scenario=<FNV-1a of the scenario file, hex>
//! #comparison=<hash of the comparison: scenario, strategies, replications, groups, seed>
//! #shard=K/N
//! #replications=R
//! #seed=S
//! #strategies=["openai-python","brooker-full-jitter"]
//! #strategy-flags=[]
//! #scenario-path="scenarios/retry-collapse.toml"
//! #scenario-source="seed = 3\n..."
//! #runs=U
//! ```
//!
//! Strings are JSON strings (one line whatever they hold); `strategy-flags`
//! are the names `--strategies` gave (empty: the scenario's `[compare]`
//! list). Then per run, one record per line, fields separated by spaces:
//!
//! ```text
//! run STRATEGY REPLICATION SEED EVENTS
//! stats <GroupStats' counters: every integer, in the order of STATS>
//! batch - | CLIENTS REQUESTS FINISHED SUM_NS MAX_NS MAKESPAN_NS|- UNSENT
//! completion VALUE:COUNT ...        (the histogram's recorded values, ms)
//! series N                          (then N `interval` lines)
//! interval OFFERED ATTEMPTS SUCCESSES 429s-by-cause... 5XX TIMEOUTS TOKENS LOCKED_NS
//! lockouts M                        (then M `lockout` lines)
//! lockout KEY START_NS END_NS GROUP,GROUP|-
//! recovery - | TRIGGER START_NS END_NS RECOVERED_NS|- MECHANISM|- BITS BITS BITS
//! keys ["key-a","key-b"]
//! ```
//!
//! Integers are written as integers (spend in pico-units, u128), the
//! recovery's three f64 as their IEEE-754 bits in hex, and the completion
//! histogram as its (value, count) pairs, re-recorded on load into a
//! histogram with the same bounds (`new_completion_histogram`): the same
//! buckets, the same counts, so every quantile is the measured one. A
//! malformed byte is a [`PartError`] naming the file and line.

use crate::compare::RunResult;
use crate::experiment::shard::Shard;
use crate::outcome::batch::BatchStats;
use crate::outcome::counters::COMPLETION_MAX_MS;
use crate::outcome::{GroupStats, IntervalStats, LockoutBlock, Mechanism, Recovery, Trigger};
use crate::price::Spend;
use crate::response::CAUSES;
use crate::time::Nanos;
use std::fmt::Write as _;

const MAGIC: &str = "ratesim-compare-part";
const VERSION: &str = "1";

/// The first line of every compare part file (merge tells the kinds apart
/// by it).
pub const FIRST_LINE: &str = "#ratesim-compare-part=";

/// A part file that cannot be read: the file, the line (1-based; 0 when
/// the whole file is at fault) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct PartError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The header of a compare part file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartHeader {
    /// FNV-1a of the scenario file's bytes.
    pub scenario: u64,
    /// [`crate::compare::Plan::hash`] of the comparison.
    pub comparison: u64,
    pub shard: Shard,
    pub replications: u32,
    pub base_seed: u64,
    /// The strategies' names, in plan order.
    pub strategies: Vec<String>,
    /// The names `--strategies` gave; empty: the scenario's `[compare]` list.
    pub strategy_flags: Vec<String>,
    /// The scenario file as `compare` was given it, and its text.
    pub scenario_path: String,
    pub scenario_source: String,
}

/// A parsed compare part file: its header and its runs in file order.
#[derive(Clone, Debug)]
pub struct Part {
    pub header: PartHeader,
    pub runs: Vec<RunResult>,
}

/// The integer counters of a `stats` line, in order.
const STATS: usize = 2 + 3 + 3 + 2 + 1 + CAUSES + 4 + 16 + 2 + 2 + 1 + 3;

fn stats_fields(s: &GroupStats) -> Vec<u128> {
    let mut v: Vec<u64> = vec![s.arrivals, s.succeeded];
    v.extend(s.gave_up);
    v.extend(s.refused);
    v.extend([s.unservable, s.in_flight, s.attempts]);
    v.extend(s.rejected);
    v.extend([
        s.errors_5xx,
        s.timeouts,
        s.finished_attempts,
        s.max_attempts,
    ]);
    v.extend(s.attempts_hist);
    v.extend([
        s.client_wait.0,
        s.backoff_wait.0,
        s.tokens_in,
        s.tokens_out,
        s.locked_out.0,
    ]);
    let mut v: Vec<u128> = v.into_iter().map(u128::from).collect();
    v.extend([s.spend.billed, s.spend.used, s.spend.abandoned]);
    debug_assert_eq!(v.len(), STATS);
    v
}

fn join<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn json(s: &impl serde::Serialize) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

fn trigger_token(t: Trigger) -> &'static str {
    match t {
        Trigger::Outage => "outage",
        Trigger::LoadSpike => "load-spike",
    }
}

fn mechanism_token(m: Mechanism) -> &'static str {
    match m {
        Mechanism::LockoutCascade => "lockout-cascade",
        Mechanism::TimeoutStorm => "timeout-storm",
        Mechanism::RetryStorm => "retry-storm",
        Mechanism::Backlog => "backlog",
    }
}

/// Every mechanism, to read a token back.
const MECHANISMS: [Mechanism; 4] = [
    Mechanism::LockoutCascade,
    Mechanism::TimeoutStorm,
    Mechanism::RetryStorm,
    Mechanism::Backlog,
];

fn opt_nanos(n: Option<Nanos>) -> String {
    n.map_or_else(|| "-".to_string(), |n| n.0.to_string())
}

/// The bytes of a part file holding `runs`.
pub fn part_bytes(h: &PartHeader, runs: &[RunResult]) -> Vec<u8> {
    let mut out = format!(
        "#{MAGIC}={VERSION}\n#scenario={:016x}\n#comparison={:016x}\n#shard={}/{}\n#replications={}\n#seed={}\n#strategies={}\n#strategy-flags={}\n#scenario-path={}\n#scenario-source={}\n#runs={}\n",
        h.scenario,
        h.comparison,
        h.shard.index,
        h.shard.count,
        h.replications,
        h.base_seed,
        json(&h.strategies),
        json(&h.strategy_flags),
        json(&h.scenario_path),
        json(&h.scenario_source),
        runs.len()
    );
    for r in runs {
        let _ = writeln!(
            out,
            "run {} {} {} {}",
            r.strategy, r.replication, r.seed, r.events
        );
        let _ = writeln!(out, "stats {}", join(stats_fields(&r.stats)));
        match &r.stats.batch {
            None => out += "batch -\n",
            Some(b) => {
                let _ = writeln!(
                    out,
                    "batch {} {} {} {} {} {} {}",
                    b.clients,
                    b.requests,
                    b.finished_clients,
                    b.client_makespan_sum.0,
                    b.client_makespan_max.0,
                    opt_nanos(b.makespan),
                    b.unsent
                );
            }
        }
        out += "completion";
        for v in r.stats.completion.iter_recorded() {
            let _ = write!(out, " {}:{}", v.value_iterated_to(), v.count_at_value());
        }
        out.push('\n');
        let _ = writeln!(out, "series {}", r.series.len());
        for s in &r.series {
            let mut v: Vec<u64> = vec![s.offered.into(), s.attempts.into(), s.successes.into()];
            v.extend(s.rejected.iter().map(|&x| u64::from(x)));
            v.extend([
                s.errors_5xx.into(),
                s.timeouts.into(),
                s.tokens_admitted,
                s.locked_ns,
            ]);
            let _ = writeln!(out, "interval {}", join(v));
        }
        let _ = writeln!(out, "lockouts {}", r.lockouts.len());
        for b in &r.lockouts {
            let groups = if b.groups.is_empty() {
                "-".to_string()
            } else {
                b.groups
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let _ = writeln!(out, "lockout {} {} {} {groups}", b.key, b.start.0, b.end.0);
        }
        match &r.recovery {
            None => out += "recovery -\n",
            Some(rec) => {
                let mechanism = rec.mechanism.map_or("-", mechanism_token);
                let _ = writeln!(
                    out,
                    "recovery {} {} {} {} {mechanism} {:016x} {:016x} {:016x}",
                    trigger_token(rec.trigger),
                    rec.trigger_start.0,
                    rec.trigger_end.0,
                    opt_nanos(rec.recovered_at),
                    rec.attempts_per_offered.to_bits(),
                    rec.timeout_share.to_bits(),
                    rec.locked_share.to_bits()
                );
            }
        }
        let _ = writeln!(out, "keys {}", json(&r.keys));
    }
    out.into_bytes()
}

/// Reads the records of a part file line by line, locating every error.
struct Lines<'a> {
    file: &'a str,
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
    /// The 1-based number of the last line read.
    line: usize,
}

impl<'a> Lines<'a> {
    fn err(&self, message: impl Into<String>) -> PartError {
        PartError {
            file: self.file.to_string(),
            line: self.line,
            message: message.into(),
        }
    }

    /// The next line, which must start with `tag` and a space (or be the
    /// tag alone); the rest after it.
    fn record(&mut self, tag: &str) -> Result<&'a str, PartError> {
        let Some((n, text)) = self.lines.next() else {
            self.line += 1;
            return Err(self.err(format!(
                "expected a `{tag}` line, found the end of the file (the part is cut short)"
            )));
        };
        self.line = n + 1;
        if text == tag {
            return Ok("");
        }
        match text.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')) {
            Some(rest) => Ok(rest),
            None => Err(self.err(format!(
                "expected a `{tag}` line, found {:?}",
                shorten(text)
            ))),
        }
    }

    /// The fields of a `tag` line, exactly `n` of them.
    fn fields(&mut self, tag: &str, n: usize) -> Result<Vec<&'a str>, PartError> {
        let rest = self.record(tag)?;
        let f: Vec<&str> = rest.split(' ').filter(|s| !s.is_empty()).collect();
        if f.len() != n {
            return Err(self.err(format!(
                "a `{tag}` line has {n} field(s), found {}",
                f.len()
            )));
        }
        Ok(f)
    }

    fn num<T: std::str::FromStr>(&self, text: &str, what: &str) -> Result<T, PartError> {
        text.parse().map_err(|_| {
            self.err(format!(
                "{what}: expected a whole number in range, found {:?}",
                shorten(text)
            ))
        })
    }

    fn opt_nanos(&self, text: &str, what: &str) -> Result<Option<Nanos>, PartError> {
        if text == "-" {
            Ok(None)
        } else {
            self.num(text, what).map(|n| Some(Nanos(n)))
        }
    }

    fn bits(&self, text: &str, what: &str) -> Result<f64, PartError> {
        if text.len() != 16 {
            return Err(self.err(format!(
                "{what}: expected 16 hex digits (an f64's bits), found {:?}",
                shorten(text)
            )));
        }
        u64::from_str_radix(text, 16)
            .map(f64::from_bits)
            .map_err(|_| {
                self.err(format!(
                    "{what}: expected 16 hex digits (an f64's bits), found {:?}",
                    shorten(text)
                ))
            })
    }

    /// The value of the next line, a header line `#key=value`.
    fn header(&mut self, key: &str) -> Result<&'a str, PartError> {
        let next = self.lines.next();
        self.line += 1;
        let Some((_, text)) = next else {
            return Err(self.err(format!(
                "expected the header line `#{key}=...`, found the end of the file"
            )));
        };
        text.strip_prefix('#')
            .and_then(|t| t.strip_prefix(key))
            .and_then(|t| t.strip_prefix('='))
            .ok_or_else(|| {
                if key == MAGIC {
                    self.err(format!(
                        "not a ratesim compare part file (it does not start with `{FIRST_LINE}`)"
                    ))
                } else {
                    self.err(format!(
                        "expected the header line `#{key}=...`, found {:?}",
                        shorten(text)
                    ))
                }
            })
    }

    /// A `tag N` line: the count of the records that follow.
    fn count(&mut self, tag: &str) -> Result<usize, PartError> {
        let f = self.fields(tag, 1)?;
        self.num(f[0], tag)
    }
}

/// At most 60 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

fn run(l: &mut Lines) -> Result<RunResult, PartError> {
    let f = l.fields("run", 4)?;
    let (strategy, replication, seed, events) = (
        l.num(f[0], "run: strategy")?,
        l.num(f[1], "run: replication")?,
        l.num(f[2], "run: seed")?,
        l.num(f[3], "run: events")?,
    );
    let f = l.fields("stats", STATS)?;
    let v: Vec<u128> = f
        .iter()
        .enumerate()
        .map(|(i, t)| l.num(t, &format!("stats: field {}", i + 1)))
        .collect::<Result<_, _>>()?;
    let narrow = |i: usize| -> Result<u64, PartError> {
        u64::try_from(v[i]).map_err(|_| {
            l.err(format!(
                "stats: field {}: {} does not fit 64 bits",
                i + 1,
                v[i]
            ))
        })
    };
    let mut it = 0..;
    let mut next = || narrow(it.next().expect("endless"));
    let mut stats = GroupStats {
        arrivals: next()?,
        succeeded: next()?,
        gave_up: [next()?, next()?, next()?],
        refused: [next()?, next()?, next()?],
        unservable: next()?,
        in_flight: next()?,
        attempts: next()?,
        ..GroupStats::default()
    };
    for r in &mut stats.rejected {
        *r = next()?;
    }
    stats.errors_5xx = next()?;
    stats.timeouts = next()?;
    stats.finished_attempts = next()?;
    stats.max_attempts = next()?;
    for a in &mut stats.attempts_hist {
        *a = next()?;
    }
    stats.client_wait = Nanos(next()?);
    stats.backoff_wait = Nanos(next()?);
    stats.tokens_in = next()?;
    stats.tokens_out = next()?;
    stats.locked_out = Nanos(next()?);
    stats.spend = Spend {
        billed: v[STATS - 3],
        used: v[STATS - 2],
        abandoned: v[STATS - 1],
    };
    let rest = l.record("batch")?;
    if rest != "-" {
        let f: Vec<&str> = rest.split(' ').collect();
        if f.len() != 7 {
            return Err(l.err(format!(
                "a `batch` line is `-` or has 7 fields, found {}",
                f.len()
            )));
        }
        stats.batch = Some(BatchStats {
            clients: l.num(f[0], "batch: clients")?,
            requests: l.num(f[1], "batch: requests")?,
            finished_clients: l.num(f[2], "batch: finished clients")?,
            client_makespan_sum: Nanos(l.num(f[3], "batch: makespan sum")?),
            client_makespan_max: Nanos(l.num(f[4], "batch: makespan max")?),
            makespan: l.opt_nanos(f[5], "batch: makespan")?,
            unsent: l.num(f[6], "batch: unsent")?,
        });
    }
    let rest = l.record("completion")?;
    for pair in rest.split(' ').filter(|s| !s.is_empty()) {
        let (value, count) = pair.split_once(':').ok_or_else(|| {
            l.err(format!(
                "completion: expected VALUE:COUNT, found {:?}",
                shorten(pair)
            ))
        })?;
        let value: u64 = l.num(value, "completion: value")?;
        let count: u64 = l.num(count, "completion: count")?;
        stats.completion.record_n(value, count).map_err(|_| {
            l.err(format!(
                "completion: {value} ms is outside the histogram's bounds (1 to {} ms)",
                COMPLETION_MAX_MS
            ))
        })?;
    }
    let n = l.count("series")?;
    let mut series = Vec::new();
    for _ in 0..n {
        let f = l.fields("interval", 7 + CAUSES)?;
        let small = |i: usize| -> Result<u32, PartError> { l.num(f[i], "interval") };
        let mut s = IntervalStats {
            offered: small(0)?,
            attempts: small(1)?,
            successes: small(2)?,
            ..IntervalStats::default()
        };
        for (c, r) in s.rejected.iter_mut().enumerate() {
            *r = small(3 + c)?;
        }
        s.errors_5xx = small(3 + CAUSES)?;
        s.timeouts = small(4 + CAUSES)?;
        s.tokens_admitted = l.num(f[5 + CAUSES], "interval: tokens")?;
        s.locked_ns = l.num(f[6 + CAUSES], "interval: locked")?;
        series.push(s);
    }
    let n = l.count("lockouts")?;
    let mut lockouts = Vec::new();
    for _ in 0..n {
        let f = l.fields("lockout", 4)?;
        let groups = if f[3] == "-" {
            Vec::new()
        } else {
            f[3].split(',')
                .map(|g| l.num(g, "lockout: group"))
                .collect::<Result<_, _>>()?
        };
        lockouts.push(LockoutBlock {
            key: l.num(f[0], "lockout: key")?,
            start: Nanos(l.num(f[1], "lockout: start")?),
            end: Nanos(l.num(f[2], "lockout: end")?),
            groups,
        });
    }
    let rest = l.record("recovery")?;
    let recovery = if rest == "-" {
        None
    } else {
        let f: Vec<&str> = rest.split(' ').collect();
        if f.len() != 8 {
            return Err(l.err(format!(
                "a `recovery` line is `-` or has 8 fields, found {}",
                f.len()
            )));
        }
        let trigger = match f[0] {
            "outage" => Trigger::Outage,
            "load-spike" => Trigger::LoadSpike,
            other => {
                return Err(l.err(format!(
                    "recovery: expected the trigger `outage` or `load-spike`, found {:?}",
                    shorten(other)
                )))
            }
        };
        let mechanism = match f[4] {
            "-" => None,
            t => Some(
                MECHANISMS
                    .into_iter()
                    .find(|&m| mechanism_token(m) == t)
                    .ok_or_else(|| {
                        l.err(format!(
                            "recovery: expected a mechanism ({}) or `-`, found {:?}",
                            MECHANISMS.map(mechanism_token).join(", "),
                            shorten(t)
                        ))
                    })?,
            ),
        };
        Some(Recovery {
            trigger,
            trigger_start: Nanos(l.num(f[1], "recovery: trigger start")?),
            trigger_end: Nanos(l.num(f[2], "recovery: trigger end")?),
            recovered_at: l.opt_nanos(f[3], "recovery: recovered at")?,
            mechanism,
            attempts_per_offered: l.bits(f[5], "recovery: attempts per offered")?,
            timeout_share: l.bits(f[6], "recovery: timeout share")?,
            locked_share: l.bits(f[7], "recovery: locked share")?,
        })
    };
    let rest = l.record("keys")?;
    let keys: Vec<String> = serde_json::from_str(rest)
        .map_err(|e| l.err(format!("keys: expected a JSON list of key names ({e})")))?;
    if let Some(b) = lockouts.iter().find(|b| b.key as usize >= keys.len()) {
        return Err(l.err(format!(
            "a lockout names key {} of a run with {} key(s)",
            b.key,
            keys.len()
        )));
    }
    Ok(RunResult {
        strategy,
        replication,
        seed,
        stats,
        series,
        lockouts,
        recovery,
        keys,
        events,
    })
}

/// The header keys, in file order.
const HEADER: [&str; 11] = [
    MAGIC,
    "scenario",
    "comparison",
    "shard",
    "replications",
    "seed",
    "strategies",
    "strategy-flags",
    "scenario-path",
    "scenario-source",
    "runs",
];

/// Parses a compare part file (`file` names it in errors).
pub fn parse_part(bytes: &[u8], file: &str) -> Result<Part, PartError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        PartError {
            file: file.to_string(),
            line,
            message: format!("not UTF-8 text (byte {} is invalid)", e.valid_up_to()),
        }
    })?;
    let mut l = Lines {
        file,
        lines: text.lines().enumerate(),
        line: 0,
    };
    let mut v = Vec::with_capacity(HEADER.len());
    for key in HEADER {
        v.push(l.header(key)?);
    }
    let hex = |i: usize| -> Result<u64, PartError> {
        u64::from_str_radix(v[i], 16).map_err(|_| PartError {
            file: file.to_string(),
            line: i + 1,
            message: format!(
                "header `{}`: expected a hash in hex, found {:?}",
                HEADER[i],
                shorten(v[i])
            ),
        })
    };
    let at = |i: usize, message: String| PartError {
        file: file.to_string(),
        line: i + 1,
        message: format!("header `{}`: {message}", HEADER[i]),
    };
    let whole = |i: usize| -> Result<u64, PartError> {
        v[i].parse().map_err(|_| {
            at(
                i,
                format!("expected a whole number, found {:?}", shorten(v[i])),
            )
        })
    };
    let strings = |i: usize| -> Result<Vec<String>, PartError> {
        serde_json::from_str(v[i])
            .map_err(|e| at(i, format!("expected a JSON list of strings ({e})")))
    };
    let string = |i: usize| -> Result<String, PartError> {
        serde_json::from_str(v[i]).map_err(|e| at(i, format!("expected a JSON string ({e})")))
    };
    if v[0] != VERSION {
        return Err(at(
            0,
            format!(
                "part file version {:?}, this ratesim reads version {VERSION}",
                shorten(v[0])
            ),
        ));
    }
    let header = PartHeader {
        scenario: hex(1)?,
        comparison: hex(2)?,
        shard: Shard::parse(v[3], "K/N").map_err(|e| at(3, e))?,
        replications: u32::try_from(whole(4)?)
            .map_err(|_| at(4, "more replications than a u32 holds".to_string()))?,
        base_seed: whole(5)?,
        strategies: strings(6)?,
        strategy_flags: strings(7)?,
        scenario_path: string(8)?,
        scenario_source: string(9)?,
    };
    let n = whole(10)?;
    let mut runs = Vec::new();
    for _ in 0..n {
        runs.push(run(&mut l)?);
    }
    if let Some((i, _)) = l.lines.next() {
        l.line = i + 1;
        return Err(l.err(format!(
            "the header says {n} run(s) and they have ended; expected the end of the file"
        )));
    }
    Ok(Part { header, runs })
}
