//! Checking a raw scenario once, into types that cannot hold nonsense.
//!
//! Every error names the field by its dotted path and is located in the
//! source by [`super::locate`], so a user reads `quickstart.toml:14:22: field
//! \`groups[0].arrival.rate\`: ...` with the line and a caret under it.

use super::error::ScenarioError;
use super::locate::{line_col, line_text, span_of};
use super::raw::*;
use super::{Arrival, CompareSpec, Group, PlanSpec, Scenario, Synthetic, Workload};
use crate::policy::catalogue::{resolve, ModelEntry};
use crate::policy::presets::{preset, DEFAULT_PRESET, PRESETS};
use crate::policy::{
    Counts, HeaderUnits, KeyId, LimitSpec, LockoutConfig, ModelType, Policy, TpmAccounting,
    WindowAlgo,
};
use crate::response::Status;
use crate::service::{Outage, ServiceConfig};
use crate::strategy::{self, StrategySpec};
use crate::suggest::close_matches;
use crate::time::{parse_duration, parse_rate, Clock, Nanos};
use crate::workload::import::Format;
use crate::workload::{ArrivalSpec, SizeDist, ThinkTime};
use std::path::{Path, PathBuf};

/// Longest run a scenario may ask for.
const MAX_DURATION: Nanos = Nanos::from_secs(366 * 86_400);
/// Most time-series intervals a run may produce.
const MAX_INTERVALS: u64 = 10_000_000;
/// Default start instant: 2026-04-20T12:00:00Z.
const DEFAULT_START_MS: u64 = 1_776_686_400_000;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario> {
    let source = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        field: String::new(),
        message: format!("cannot read the scenario file: {e}"),
        source_line: None,
    })?;
    parse(&source, path)
}

/// Validates scenario `source`, read from `path` (used in messages and to
/// resolve trace paths).
pub fn parse(source: &str, path: &Path) -> Result<Scenario> {
    let v = Validator { src: source, path };
    let raw: RawScenario = toml::from_str(source).map_err(|e| v.toml_error(&e))?;
    v.scenario(raw)
}

struct Validator<'a> {
    src: &'a str,
    path: &'a Path,
}

impl Validator<'_> {
    fn at(&self, offset: Option<usize>, field: &str, message: String) -> ScenarioError {
        let (line, column) = offset.map_or((0, 0), |o| line_col(self.src, o));
        ScenarioError {
            path: self.path.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            message,
            source_line: if line > 0 {
                line_text(self.src, line)
            } else {
                None
            },
        }
    }

    /// An error at `field`, located in the source (at the top of the file
    /// when the field and all its parents are absent).
    fn err(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        let offset = span_of(self.src, field).map_or(0, |s| s.start);
        self.at(Some(offset), field, message.into())
    }

    fn toml_error(&self, e: &toml::de::Error) -> ScenarioError {
        let span = e.span();
        let field = span
            .clone()
            .map(|s| self.src[s].trim().trim_matches('"').to_string())
            .filter(|f| f.len() < 40 && !f.contains('\n'))
            .unwrap_or_default();
        let message = e.message().trim().to_string();
        let message = if message.contains("untagged enum RawSize") {
            "expected a whole number of tokens, or a table such as { dist = \"lognormal\", median = 800, p95 = 4000 } (dist is constant, uniform or lognormal)".to_string()
        } else {
            message
        };
        self.at(span.map(|s| s.start), &field, message)
    }

    fn duration(&self, field: &str, text: &str) -> Result<Nanos> {
        parse_duration(text).map_err(|e| self.err(field, format!("{e} (got {text:?})")))
    }

    fn positive_duration(&self, field: &str, text: &str) -> Result<Nanos> {
        let d = self.duration(field, text)?;
        if d == Nanos::ZERO {
            return Err(self.err(field, "must be longer than zero"));
        }
        Ok(d)
    }

    /// A rate such as "120/min", in requests per second.
    fn rate(&self, field: &str, text: &str) -> Result<f64> {
        match self.rate_or_zero(field, text)? {
            0.0 => Err(self.err(
                field,
                format!("a rate must be a positive number (got {text:?})"),
            )),
            r => Ok(r),
        }
    }

    /// A rate that may be zero (a silent stretch of a rate profile).
    fn rate_or_zero(&self, field: &str, text: &str) -> Result<f64> {
        parse_rate(text).map_err(|e| self.err(field, format!("{e} (got {text:?})")))
    }

    fn count(&self, field: &str, value: i64, min: i64, max: i64) -> Result<u64> {
        if value < min || value > max {
            return Err(self.err(
                field,
                format!("expected a whole number from {min} to {max}, got {value}"),
            ));
        }
        Ok(value as u64)
    }

    fn probability(&self, field: &str, p: Option<f64>) -> Result<f64> {
        let p = p.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&p) {
            return Err(self.err(
                field,
                format!("expected a probability between 0 and 1, got {p}"),
            ));
        }
        Ok(p)
    }

    fn finite(&self, field: &str, x: f64, min_exclusive: f64) -> Result<f64> {
        if !x.is_finite() || x <= min_exclusive {
            return Err(self.err(
                field,
                format!("expected a finite number above {min_exclusive}, got {x}"),
            ));
        }
        Ok(x)
    }

    fn one_of<'o>(&self, field: &str, value: &str, options: &[&'o str]) -> Result<&'o str> {
        options
            .iter()
            .find(|o| **o == value)
            .copied()
            .ok_or_else(|| {
                let close = close_matches(value, options.iter().copied());
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", close.join(" or "))
                };
                self.err(
                    field,
                    format!(
                        "unknown value {value:?}{hint}; expected one of: {}",
                        options.join(", ")
                    ),
                )
            })
    }

    fn scenario(&self, raw: RawScenario) -> Result<Scenario> {
        let name = match raw.name {
            Some(n) if n.trim().is_empty() => {
                return Err(self.err("name", "the name cannot be empty"))
            }
            Some(n) => n,
            None => self
                .path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("scenario")
                .to_string(),
        };
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(self.err(
                "name",
                "the name becomes a folder under reports/: no slashes, no leading dot",
            ));
        }
        let seed = match raw.seed {
            Some(s) if s < 0 => {
                return Err(self.err(
                    "seed",
                    format!("expected a non-negative whole number, got {s}"),
                ))
            }
            Some(s) => s as u64,
            None => 1,
        };
        let duration = match &raw.duration {
            Some(d) => self.positive_duration("duration", d)?,
            None => Nanos::from_secs(3600),
        };
        if duration > MAX_DURATION {
            return Err(self.err(
                "duration",
                format!("{duration} is longer than the 366 days a run may cover"),
            ));
        }
        let drain = match &raw.drain {
            Some(d) => self.duration("drain", d)?,
            None => Nanos::ZERO,
        };
        if drain > MAX_DURATION {
            return Err(self.err("drain", "longer than the 366 days a run may cover"));
        }
        let interval = match &raw.interval {
            Some(d) => self.positive_duration("interval", d)?,
            None => Nanos::from_secs(10),
        };
        if (duration + drain).0.div_ceil(interval.0) > MAX_INTERVALS {
            return Err(self.err("interval", format!("{interval} over the run gives more than {MAX_INTERVALS} intervals; use a longer interval")));
        }
        let clock = Clock {
            start_unix_ms: match &raw.start {
                Some(dt) => self.start(dt)?,
                None => DEFAULT_START_MS,
            },
        };
        let policy = self.policy(&raw.policy)?;
        let service = self.service(&raw.service, duration + drain)?;
        if raw.groups.is_empty() {
            return Err(self.err("groups", "the workload is empty: add at least one [[groups]] table with a model, an arrival process and a strategy"));
        }
        let mut keys: Vec<String> = Vec::new();
        for (i, k) in raw.keys.iter().enumerate() {
            if k.trim().is_empty() {
                return Err(self.err(&format!("keys[{i}]"), "a key name cannot be empty"));
            }
            if keys.contains(k) {
                return Err(self.err(&format!("keys[{i}]"), format!("key {k:?} is listed twice")));
            }
            keys.push(k.clone());
        }
        let declared_keys = !keys.is_empty();
        let mut groups = Vec::new();
        for (i, g) in raw.groups.iter().enumerate() {
            let group = self.group(i, g, &policy, &mut keys, declared_keys)?;
            if groups.iter().any(|o: &Group| o.name == group.name) {
                return Err(self.err(
                    &format!("groups[{i}].name"),
                    format!(
                        "two groups are called {:?}; names must be unique",
                        group.name
                    ),
                ));
            }
            groups.push(group);
        }
        let compare = raw
            .compare
            .as_ref()
            .map(|c| self.compare(c, &groups))
            .transpose()?;
        let plan = raw
            .plan
            .as_ref()
            .map(|p| self.plan(p, duration))
            .transpose()?;
        Ok(Scenario {
            name,
            description: raw.description,
            path: self.path.to_path_buf(),
            seed,
            duration,
            drain,
            clock,
            interval,
            policy,
            service,
            keys,
            groups,
            compare,
            plan,
        })
    }

    fn plan(&self, raw: &RawPlan, duration: Nanos) -> Result<PlanSpec> {
        let share = |field: &str, v: Option<f64>| -> Result<Option<f64>> {
            match v {
                Some(x) if !(0.0..=1.0).contains(&x) => Err(self.err(
                    field,
                    format!("expected a share between 0 and 1 (0.01 is 1%), got {x}"),
                )),
                other => Ok(other),
            }
        };
        let max_share_429 = share("plan.max_share_429", raw.max_share_429)?;
        let max_gave_up = share("plan.max_gave_up", raw.max_gave_up)?;
        let max_p99 = raw
            .max_p99
            .as_deref()
            .map(|t| self.positive_duration("plan.max_p99", t))
            .transpose()?;
        let objective = (max_share_429.is_some() || max_gave_up.is_some() || max_p99.is_some())
            .then(|| {
                let d = crate::plan::Objective::default();
                crate::plan::Objective {
                    max_share_429: max_share_429.or(d.max_share_429),
                    max_p99: max_p99.or(d.max_p99),
                    max_gave_up: max_gave_up.or(d.max_gave_up),
                }
            });
        let growth = match raw.growth {
            Some(g) if !g.is_finite() || !(0.0..=10.0).contains(&g) => {
                return Err(self.err(
                    "plan.growth",
                    format!(
                    "expected a monthly growth rate from 0 to 10 (0.15 is 15% a month), got {g}"
                ),
                ))
            }
            g => g,
        };
        let start_date = match &raw.start_date {
            None => None,
            Some(dt) => match (dt.date, dt.time) {
                (Some(d), None) => Some(crate::plan::Date {
                    year: i32::from(d.year),
                    month: u32::from(d.month),
                    day: u32::from(d.day),
                }),
                _ => {
                    return Err(self.err(
                        "plan.start_date",
                        "expected a date without a time, e.g. 2026-12-01",
                    ))
                }
            },
        };
        let factors = match &raw.factors {
            None => None,
            Some(list) => {
                if list.is_empty() || list.len() > 50 {
                    return Err(self.err("plan.factors", "expected 1 to 50 load factors"));
                }
                for (i, f) in list.iter().enumerate() {
                    let field = format!("plan.factors[{i}]");
                    if !f.is_finite() || *f <= 0.0 || *f > 1000.0 {
                        return Err(self.err(
                            &field,
                            format!("a load factor is above 0 and at most 1000, got {f}"),
                        ));
                    }
                    if i > 0 && *f <= list[i - 1] {
                        return Err(self.err(&field, "load factors must be in increasing order"));
                    }
                }
                Some(list.clone())
            }
        };
        let candidates = raw
            .candidates
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, v)| self.strategy(&format!("plan.candidates[{i}]"), v))
            .collect::<Result<Vec<_>>>()?;
        for (i, c) in candidates.iter().enumerate() {
            if candidates[..i].iter().any(|o| o.name == c.name) {
                return Err(self.err(
                    &format!("plan.candidates[{i}]"),
                    format!("two candidates are called {:?}; give one a `name`", c.name),
                ));
            }
        }
        let outage = match &raw.outage {
            None => None,
            Some(t) => {
                let d = self.positive_duration("plan.outage", t)?;
                if d > duration {
                    return Err(self.err(
                        "plan.outage",
                        format!("the test outage ({d}) is longer than the run ({duration})"),
                    ));
                }
                Some(d)
            }
        };
        let count = |field: &str, v: Option<i64>, min: i64, max: i64| {
            v.map(|x| self.count(field, x, min, max).map(|x| x as u32))
                .transpose()
        };
        Ok(PlanSpec {
            objective,
            growth,
            start_date,
            horizon_months: count("plan.horizon_months", raw.horizon_months, 1, 120)?,
            factors,
            bisect_steps: count("plan.bisect_steps", raw.bisect_steps, 0, 20)?,
            replications: count("plan.replications", raw.replications, 1, 1000)?,
            candidates,
            outage,
        })
    }

    fn compare(&self, raw: &RawCompare, groups: &[Group]) -> Result<CompareSpec> {
        let strategies = raw
            .strategies
            .iter()
            .enumerate()
            .map(|(i, v)| self.strategy(&format!("compare.strategies[{i}]"), v))
            .collect::<Result<Vec<_>>>()?;
        let mut names: Vec<&str> = Vec::new();
        for (i, s) in strategies.iter().enumerate() {
            if names.contains(&s.name.as_str()) {
                return Err(self.err(
                    &format!("compare.strategies[{i}]"),
                    format!("two candidates are called {:?}; give one a `name`", s.name),
                ));
            }
            names.push(&s.name);
        }
        let replications = raw
            .replications
            .map(|r| {
                self.count("compare.replications", r, 1, 10_000)
                    .map(|r| r as u32)
            })
            .transpose()?;
        let chosen = match &raw.groups {
            None => (0..groups.len()).collect(),
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    groups.iter().position(|g| &g.name == name).ok_or_else(|| {
                        let close = close_matches(name, groups.iter().map(|g| g.name.as_str()));
                        let hint = if close.is_empty() {
                            String::new()
                        } else {
                            format!(" (did you mean {}?)", close.join(" or "))
                        };
                        self.err(
                            &format!("compare.groups[{i}]"),
                            format!("no group is called {name:?}{hint}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        };
        Ok(CompareSpec {
            strategies,
            replications,
            groups: chosen,
        })
    }

    fn start(&self, dt: &toml::value::Datetime) -> Result<u64> {
        let (Some(date), Some(time), Some(offset)) = (dt.date, dt.time, dt.offset) else {
            return Err(self.err(
                "start",
                "expected a full date-time with a time zone, e.g. 2026-04-20T12:00:00Z",
            ));
        };
        if date.year < 1970 {
            return Err(self.err("start", "the start must be after 1970"));
        }
        let days = days_from_civil(
            i64::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        );
        let offset_min: i64 = match offset {
            toml::value::Offset::Z => 0,
            toml::value::Offset::Custom { minutes } => i64::from(minutes),
        };
        let secs = days * 86_400
            + i64::from(time.hour) * 3600
            + i64::from(time.minute) * 60
            + i64::from(time.second)
            - offset_min * 60;
        Ok(secs as u64 * 1000 + u64::from(time.nanosecond / 1_000_000))
    }

    fn policy(&self, raw: &RawPolicy) -> Result<Policy> {
        let preset_name = raw.preset.as_deref().unwrap_or(DEFAULT_PRESET);
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        self.one_of("policy.preset", preset_name, &names)?;
        let table = preset(preset_name).expect("checked above");
        let window = match raw.window.as_deref() {
            None => WindowAlgo::Fixed,
            Some(w) => match self.one_of(
                "policy.window",
                w,
                &["fixed", "sliding-log", "token-bucket"],
            )? {
                "fixed" => WindowAlgo::Fixed,
                "sliding-log" => WindowAlgo::SlidingLog,
                _ => WindowAlgo::TokenBucket,
            },
        };
        let tpm = match raw.tpm_accounting.as_deref() {
            None => TpmAccounting::InputPlusMaxTokens,
            Some(t) => match self.one_of(
                "policy.tpm_accounting",
                t,
                &["input+max_tokens", "input+actual", "input-then-output"],
            )? {
                "input+max_tokens" => TpmAccounting::InputPlusMaxTokens,
                "input+actual" => TpmAccounting::InputPlusActual,
                _ => TpmAccounting::InputThenOutput,
            },
        };
        let header_units = match raw.reset_units.as_deref() {
            None => HeaderUnits::Seconds,
            Some(u) => match self.one_of("policy.reset_units", u, &["seconds", "milliseconds"])? {
                "seconds" => HeaderUnits::Seconds,
                _ => HeaderUnits::Milliseconds,
            },
        };
        let lockout = self.lockout(&raw.lockout)?;
        let entries = raw
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| self.model_entry(i, m))
            .collect::<Result<Vec<_>>>()?;
        let models = resolve(table, &entries).map_err(|e| {
            self.err(
                &format!("policy.models[{}].{}", e.entry, e.field),
                e.to_string(),
            )
        })?;
        Ok(Policy {
            preset: table.name.to_string(),
            models,
            window,
            tpm,
            lockout,
            header_units,
        })
    }

    fn lockout(&self, raw: &RawLockout) -> Result<LockoutConfig> {
        let d = LockoutConfig::default();
        let statuses = match &raw.statuses {
            None => d.statuses.clone(),
            Some(codes) => self.statuses("policy.lockout.statuses", codes)?,
        };
        Ok(LockoutConfig {
            enabled: raw.enabled.unwrap_or(d.enabled),
            threshold: match raw.threshold {
                Some(t) => self.count("policy.lockout.threshold", t, 0, 1_000_000)? as u32,
                None => d.threshold,
            },
            window: match &raw.window {
                Some(w) => self.positive_duration("policy.lockout.window", w)?,
                None => d.window,
            },
            block: match &raw.block {
                Some(b) => self.positive_duration("policy.lockout.block", b)?,
                None => d.block,
            },
            statuses,
            count_blocked: raw.count_blocked.unwrap_or(d.count_blocked),
        })
    }

    fn statuses(&self, field: &str, codes: &[i64]) -> Result<Vec<Status>> {
        let mut out = Vec::new();
        for (i, c) in codes.iter().enumerate() {
            if !(100..=599).contains(c) {
                return Err(self.err(
                    &format!("{field}[{i}]"),
                    format!("{c} is not an HTTP status code"),
                ));
            }
            // Codes the simulator never produces (e.g. 408) are accepted and have no effect.
            if let Some(s) = Status::from_code(*c as u16) {
                out.push(s);
            }
        }
        Ok(out)
    }

    fn model_entry(&self, i: usize, m: &RawModel) -> Result<ModelEntry> {
        let f = |name: &str| format!("policy.models[{i}].{name}");
        let kind = match &m.kind {
            None => None,
            Some(k) => {
                let names: Vec<&str> = ModelType::ALL.iter().map(|t| t.name()).collect();
                Some(ModelType::from_name(self.one_of(&f("type"), k, &names)?).expect("listed"))
            }
        };
        let mut limits: Option<Vec<LimitSpec>> = None;
        if m.unlimited == Some(true) {
            limits = Some(Vec::new());
        }
        for (name, value, spec) in [
            ("rpm", m.rpm, LimitSpec::rpm(0)),
            ("tpm", m.tpm, LimitSpec::tpm(0)),
            (
                "rpd",
                m.rpd,
                LimitSpec {
                    counts: Counts::Requests,
                    window: Nanos::from_secs(86_400),
                    amount: 0,
                },
            ),
        ] {
            if let Some(v) = value {
                let amount = self.count(&f(name), v, 1, i64::MAX)?;
                limits
                    .get_or_insert_with(Vec::new)
                    .push(LimitSpec { amount, ..spec });
            }
        }
        if let Some(list) = &m.limits {
            for (j, l) in list.iter().enumerate() {
                let lf = |name: &str| format!("policy.models[{i}].limits[{j}].{name}");
                let counts = match self.one_of(&lf("counts"), &l.counts, &["requests", "tokens"])? {
                    "requests" => Counts::Requests,
                    _ => Counts::Tokens,
                };
                let window = self.positive_duration(&lf("window"), &l.window)?;
                let amount = self.count(&lf("amount"), l.amount, 1, i64::MAX)?;
                limits.get_or_insert_with(Vec::new).push(LimitSpec {
                    counts,
                    window,
                    amount,
                });
            }
        }
        if m.unlimited == Some(true) && limits.as_ref().is_some_and(|l| !l.is_empty()) {
            return Err(self.err(
                &f("unlimited"),
                "a model cannot be unlimited and have limits; remove one",
            ));
        }
        Ok(ModelEntry {
            id: m.id.clone(),
            kind,
            class: m.class.clone(),
            provider: m.provider.clone(),
            limits,
            first_token: m
                .first_token
                .as_deref()
                .map(|t| self.duration(&f("first_token"), t))
                .transpose()?,
            tokens_per_sec: m
                .tokens_per_sec
                .map(|x| self.finite(&f("tokens_per_sec"), x, 0.0))
                .transpose()?,
            spread: m
                .spread
                .map(|x| self.finite(&f("spread"), x, -f64::MIN_POSITIVE))
                .transpose()?,
        })
    }

    fn service(&self, raw: &RawService, horizon: Nanos) -> Result<ServiceConfig> {
        let d = ServiceConfig::default();
        let error_500 = self.probability("service.error_500", raw.error_500)?;
        let error_503 = self.probability("service.error_503", raw.error_503)?;
        let overload = self.probability("service.overload", raw.overload)?;
        if error_500 + error_503 + overload > 1.0 {
            return Err(self.err(
                "service",
                "error_500 + error_503 + overload add up to more than 1",
            ));
        }
        let mut outages = Vec::new();
        for (i, o) in raw.outages.iter().enumerate() {
            let f = |name: &str| format!("service.outages[{i}].{name}");
            let start = self.duration(&f("start"), &o.start)?;
            let end = self.duration(&f("end"), &o.end)?;
            if end <= start {
                return Err(self.err(
                    &f("end"),
                    format!("the outage ends ({end}) before it starts ({start})"),
                ));
            }
            if start >= horizon {
                return Err(self.err(
                    &f("start"),
                    format!("the outage starts at {start}, after the run ends ({horizon})"),
                ));
            }
            let status = match o.status.unwrap_or(503) {
                500 => Status::Internal,
                503 => Status::Unavailable,
                other => {
                    return Err(self.err(
                        &f("status"),
                        format!("an outage answers 500 or 503, not {other}"),
                    ))
                }
            };
            outages.push(Outage { start, end, status });
        }
        outages.sort_by_key(|o| o.start);
        if let Some(w) = outages.windows(2).find(|w| w[1].start < w[0].end) {
            return Err(self.err(
                "service.outages",
                format!(
                    "outages overlap: one runs to {} and the next starts at {}",
                    w[0].end, w[1].start
                ),
            ));
        }
        Ok(ServiceConfig {
            error_latency: match &raw.error_latency {
                Some(t) => self.duration("service.error_latency", t)?,
                None => d.error_latency,
            },
            error_500,
            error_503,
            overload,
            overload_retry_after: match &raw.overload_retry_after {
                Some(t) => self.duration("service.overload_retry_after", t)?,
                None => d.overload_retry_after,
            },
            outages,
        })
    }

    fn model_id(&self, field: &str, id: &str, policy: &Policy) -> Result<u32> {
        policy
            .model_index(id)
            .map_err(|e| self.err(field, e.to_string()))
    }

    fn group(
        &self,
        i: usize,
        g: &RawGroup,
        policy: &Policy,
        keys: &mut Vec<String>,
        declared: bool,
    ) -> Result<Group> {
        let f = |name: &str| format!("groups[{i}].{name}");
        if g.name.trim().is_empty() {
            return Err(self.err(&f("name"), "a group needs a name"));
        }
        let key_name = g.key.clone().unwrap_or_else(|| "default".to_string());
        let key = match keys.iter().position(|k| *k == key_name) {
            Some(k) => k as KeyId,
            None if declared => {
                let close = close_matches(&key_name, keys.iter().map(String::as_str));
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", close.join(" or "))
                };
                return Err(self.err(
                    &f("key"),
                    format!("key {key_name:?} is not in the scenario's `keys` list{hint}"),
                ));
            }
            None => {
                keys.push(key_name);
                (keys.len() - 1) as KeyId
            }
        };
        let workload = match &g.trace {
            Some(trace) => {
                for (name, present) in [
                    ("model", g.model.is_some()),
                    ("models", g.models.is_some()),
                    ("input_tokens", g.input_tokens.is_some()),
                    ("output_tokens", g.output_tokens.is_some()),
                    ("max_tokens", g.max_tokens.is_some()),
                ] {
                    if present {
                        return Err(self.err(
                            &f(name),
                            format!(
                                "a trace group takes `{name}` from its trace file; remove it here"
                            ),
                        ));
                    }
                }
                let path = self.path.parent().unwrap_or(Path::new("")).join(trace);
                if !path.is_file() {
                    return Err(self.err(
                        &f("trace"),
                        format!(
                            "no trace file at {} (paths are relative to the scenario file)",
                            path.display()
                        ),
                    ));
                }
                let format = match &g.trace_format {
                    None => Format::Canonical,
                    Some(name) => Format::from_name(name)
                        .map_err(|e| self.err(&f("trace_format"), e.to_string()))?,
                };
                let arrival = match (&g.arrival, format) {
                    (Some(a), Format::OpenaiBatch) => match self.arrival(&f("arrival"), a)? {
                        Arrival::Open(spec) => Some(spec),
                        Arrival::Closed { .. } => {
                            return Err(self.err(&f("arrival"), "a batch file is sent open loop: use poisson, constant, gamma, on-off or profile"))
                        }
                    },
                    (None, Format::OpenaiBatch) => {
                        return Err(self.err(&f("trace_format"), "an OpenAI batch file has no arrival times: add an `arrival` process, e.g. arrival = { process = \"constant\", rate = \"2/s\" }"))
                    }
                    (Some(_), _) => return Err(self.err(&f("arrival"), "a trace group takes `arrival` from its trace file; remove it here")),
                    (None, _) => None,
                };
                Workload::Trace {
                    path,
                    format,
                    arrival,
                }
            }
            None => {
                if g.trace_format.is_some() {
                    return Err(self.err(
                        &f("trace_format"),
                        "`trace_format` describes a `trace` file; this group has none",
                    ));
                }
                Workload::Synthetic(self.synthetic(i, g, policy)?)
            }
        };
        let strategy = match &g.strategy {
            Some(s) => self.strategy(&f("strategy"), s)?,
            None => strategy::config::default_strategy(),
        };
        Ok(Group {
            name: g.name.clone(),
            key,
            workload,
            strategy,
        })
    }

    fn synthetic(&self, i: usize, g: &RawGroup, policy: &Policy) -> Result<Synthetic> {
        let f = |name: &str| format!("groups[{i}].{name}");
        let models: Vec<(u32, f64)> = match (&g.model, &g.models) {
            (Some(_), Some(_)) => {
                return Err(self.err(
                    &f("models"),
                    "give either `model` or a weighted `models` mix, not both",
                ))
            }
            (None, None) => {
                return Err(self.err(
                    &f("name"),
                    "the group needs a `model` (or a weighted `models` mix, or a `trace`)",
                ))
            }
            (Some(m), None) => vec![(self.model_id(&f("model"), m, policy)?, 1.0)],
            (None, Some(mix)) => {
                if mix.is_empty() {
                    return Err(self.err(&f("models"), "the model mix is empty"));
                }
                let mut out = Vec::new();
                let mut sum = 0.0;
                for (id, w) in mix {
                    let field = format!("groups[{i}].models.{id}");
                    let m = self.model_id(&field, id, policy)?;
                    sum += self.finite(&field, *w, 0.0)?;
                    out.push((m, sum));
                }
                out.into_iter().map(|(m, c)| (m, c / sum)).collect()
            }
        };
        let uses_tokens = models
            .iter()
            .any(|(m, _)| policy.models[*m as usize].kind.uses_tokens());
        let text = models
            .iter()
            .any(|(m, _)| policy.models[*m as usize].kind == ModelType::Text);
        let input_tokens = match &g.input_tokens {
            Some(s) => self.size(&f("input_tokens"), s)?,
            None if uses_tokens => {
                return Err(self.err(
                    &f("name"),
                    "a group sending to a text or embedding model needs `input_tokens`",
                ))
            }
            None => SizeDist::Constant(0),
        };
        let output_tokens = match &g.output_tokens {
            Some(s) => self.size(&f("output_tokens"), s)?,
            None if text => {
                return Err(self.err(
                    &f("name"),
                    "a group sending to a text model needs `output_tokens`",
                ))
            }
            None => SizeDist::Constant(0),
        };
        let max_tokens = g
            .max_tokens
            .map(|m| self.count(&f("max_tokens"), m, 1, i64::from(u32::MAX)))
            .transpose()?
            .map(|m| m as u32);
        let arrival = match &g.arrival {
            Some(a) => self.arrival(&f("arrival"), a)?,
            None => return Err(self.err(&f("name"), "the group needs an `arrival` process, e.g. arrival = { process = \"poisson\", rate = \"60/min\" }")),
        };
        Ok(Synthetic {
            models,
            arrival,
            input_tokens,
            output_tokens,
            max_tokens,
        })
    }

    fn size(&self, field: &str, s: &RawSize) -> Result<SizeDist> {
        let tokens = |name: &str, v: i64| {
            self.count(&format!("{field}.{name}"), v, 0, i64::from(u32::MAX))
                .map(|v| v as u32)
        };
        Ok(match s {
            RawSize::Constant(v) => {
                SizeDist::Constant(self.count(field, *v, 0, i64::from(u32::MAX))? as u32)
            }
            RawSize::Dist(RawSizeDist::Constant { value }) => {
                SizeDist::Constant(tokens("value", *value)?)
            }
            RawSize::Dist(RawSizeDist::Uniform { min, max }) => {
                let (lo, hi) = (tokens("min", *min)?, tokens("max", *max)?);
                if hi < lo {
                    return Err(self.err(
                        &format!("{field}.max"),
                        format!("max ({hi}) is below min ({lo})"),
                    ));
                }
                SizeDist::Uniform { min: lo, max: hi }
            }
            RawSize::Dist(RawSizeDist::Lognormal { median, p95 }) => {
                let m = self.finite(&format!("{field}.median"), *median, 0.0)?;
                let p = self.finite(&format!("{field}.p95"), *p95, 0.0)?;
                if p < m {
                    return Err(self.err(
                        &format!("{field}.p95"),
                        format!("p95 ({p}) is below the median ({m})"),
                    ));
                }
                if p > 1e9 {
                    return Err(self.err(
                        &format!("{field}.p95"),
                        "more than a billion tokens; is that right?",
                    ));
                }
                SizeDist::lognormal(m, p).map_err(|e| self.err(&format!("{field}.p95"), e))?
            }
        })
    }

    fn arrival(&self, field: &str, a: &RawArrival) -> Result<Arrival> {
        let f = |name: &str| format!("{field}.{name}");
        Ok(match a {
            RawArrival::Poisson { rate } => Arrival::Open(ArrivalSpec::Poisson {
                rate: self.rate(&f("rate"), rate)?,
            }),
            RawArrival::Constant { rate } => Arrival::Open(ArrivalSpec::Constant {
                rate: self.rate(&f("rate"), rate)?,
            }),
            RawArrival::Gamma { rate, burstiness } => Arrival::Open(ArrivalSpec::Gamma {
                rate: self.rate(&f("rate"), rate)?,
                burstiness: self.finite(&f("burstiness"), *burstiness, 0.0)?,
            }),
            RawArrival::OnOff { rate, on, off } => Arrival::Open(ArrivalSpec::OnOff {
                rate: self.rate(&f("rate"), rate)?,
                on: self.positive_duration(&f("on"), on)?,
                off: self.duration(&f("off"), off)?,
            }),
            RawArrival::Profile { points } => {
                if points.is_empty() {
                    return Err(self.err(&f("points"), "a rate profile needs at least one point, e.g. points = [{ at = \"0m\", rate = \"10/min\" }]"));
                }
                let mut out: Vec<(Nanos, f64)> = Vec::new();
                for (j, p) in points.iter().enumerate() {
                    let at = self.duration(&format!("{field}.points[{j}].at"), &p.at)?;
                    let rate = self.rate_or_zero(&format!("{field}.points[{j}].rate"), &p.rate)?;
                    if let Some((prev, _)) = out.last() {
                        if at <= *prev {
                            return Err(self.err(&format!("{field}.points[{j}].at"), format!("points must be in increasing time order; {at} does not come after {prev}")));
                        }
                    }
                    out.push((at, rate));
                }
                if out.iter().all(|(_, r)| *r == 0.0) {
                    return Err(self.err(
                        &f("points"),
                        "every point of the profile has rate 0: nothing would arrive",
                    ));
                }
                Arrival::Open(ArrivalSpec::Profile { points: out })
            }
            RawArrival::Closed {
                workers,
                think,
                think_dist,
            } => {
                let workers = self.count(&f("workers"), *workers, 1, 1_000_000)? as u32;
                let mean = match think {
                    Some(t) => self.duration(&f("think"), t)?,
                    None => Nanos::ZERO,
                };
                let think = match think_dist.as_deref() {
                    None | Some("constant") => ThinkTime::Constant(mean),
                    Some(other) => {
                        match self.one_of(&f("think_dist"), other, &["constant", "exponential"])? {
                            "exponential" => ThinkTime::Exponential { mean },
                            _ => ThinkTime::Constant(mean),
                        }
                    }
                };
                Arrival::Closed { workers, think }
            }
        })
    }

    fn strategy(&self, field: &str, value: &toml::Value) -> Result<StrategySpec> {
        strategy::config::parse(value).map_err(|e| {
            let at = if e.field.is_empty() {
                field.to_string()
            } else {
                format!("{field}.{}", e.field)
            };
            self.err(&at, e.message)
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The folder a scenario's outputs go to by default: reports/<name>/.
pub fn default_out_dir(scenario: &Scenario) -> PathBuf {
    PathBuf::from("reports").join(&scenario.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            days_from_civil(2026, 4, 20) * 86_400_000 + 12 * 3_600_000,
            DEFAULT_START_MS as i64
        );
    }
}
