//! Reading a strategy from a scenario: a preset name, a preset with
//! overrides, or a composition written out in full. This is the one place that
//! maps scenario names to strategy parts; each part's registry (`KINDS` in
//! [`super::backoff`], [`super::pacer`], [`super::budget`]) lists its kinds,
//! their keys and the function that reads each, so adding a kind is one file
//! plus one registry line.
//!
//! Errors carry the field path relative to the strategy (`cap`,
//! `budget.ratio`) so the scenario validator can locate them in the file.
//! Presets are written in this same format (see [`super::presets`]), so a
//! preset with overrides is a merge of two tables read by one parser.

use super::breaker::BreakerSpec;
use super::hints::Hints;
use super::{backoff, budget, pacer, presets, RetryPolicy, Scope, StatusSet, StrategySpec};
use crate::response::Status;
use crate::suggest::{close_matches, did_you_mean};
use crate::time::{parse_duration, Nanos};
use toml::{Table, Value};

/// A strategy that cannot be built, and which field is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Path relative to the strategy table; empty for the strategy itself.
    pub field: String,
    pub message: String,
}

pub(crate) type Result<T> = std::result::Result<T, ConfigError>;

pub(crate) fn err(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// One kind of a strategy part, as a registry lists it.
pub struct Kind<T> {
    pub name: &'static str,
    /// The keys its table may hold besides `kind`.
    pub keys: &'static [&'static str],
    /// One line for `ratesim strategies` and the docs.
    pub summary: &'static str,
    pub parse: fn(&Fields<'_>) -> Result<T>,
}

/// Keys of the strategy table itself, besides those of its backoff kind.
const KEYS: &[&str] = &[
    "preset",
    "name",
    "kind",
    "max_attempts",
    "deadline",
    "retry_on",
    "hints",
    "pacer",
    "budget",
    "breaker",
    "pause_after_429",
    "scope",
];

/// Sub-tables that a preset override merges into rather than replaces
/// (unless it names another `kind`).
const PARTS: &[&str] = &["hints", "pacer", "budget", "breaker"];

/// Reads a strategy: a preset name, `{ preset = "...", overrides... }`, or a
/// full composition `{ kind = "...", ... }`.
pub fn parse(value: &Value) -> Result<StrategySpec> {
    match value {
        Value::String(name) => {
            let preset = presets::find(name).map_err(|e| err("", e.to_string()))?;
            read(&preset.table(), Some(preset.name))
        }
        Value::Table(table) => match table.get("preset") {
            Some(v) => {
                let name = string(v, "preset")?;
                let preset = presets::find(name).map_err(|e| err("preset", e.to_string()))?;
                let mut merged = preset.table();
                let mut overrides = table.clone();
                overrides.remove("preset");
                merge(&mut merged, overrides);
                read(&merged, Some(preset.name))
            }
            None => read(table, None),
        },
        other => Err(err(
            "",
            format!(
                "expected a preset name such as \"openai-python\" or a table such as \
                 {{ kind = \"full-jitter\", base = \"1s\", cap = \"60s\" }}, got {}",
                other.type_str()
            ),
        )),
    }
}

/// Lays `over` onto `base`: part tables merge key by key unless `over`
/// names a different `kind`; a new top-level `kind` drops the preset's
/// backoff keys; everything else replaces.
fn merge(base: &mut Table, over: Table) {
    let kind_of = |t: &Table| t.get("kind").and_then(Value::as_str).map(str::to_string);
    if let Some(new) = kind_of(&over) {
        if kind_of(base).as_deref() != Some(new.as_str()) {
            for k in backoff::KINDS.iter().flat_map(|k| k.keys) {
                base.remove(*k);
            }
        }
    }
    for (key, value) in over {
        match (PARTS.contains(&key.as_str()), base.get_mut(&key), value) {
            (true, Some(Value::Table(b)), Value::Table(o))
                if kind_of(&o).is_none() || kind_of(&o) == kind_of(b) =>
            {
                b.extend(o);
            }
            (_, _, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Reads a composition table (a preset's or the user's).
fn read(table: &Table, preset: Option<&str>) -> Result<StrategySpec> {
    let all_backoff_keys = || backoff::KINDS.iter().flat_map(|k| k.keys.iter().copied());
    for key in table.keys() {
        if !KEYS.contains(&key.as_str()) && !all_backoff_keys().any(|k| k == key) {
            let known: Vec<&str> = KEYS.iter().copied().chain(all_backoff_keys()).collect();
            let hint = did_you_mean(&close_matches(key, known.iter().copied()));
            return Err(err(
                key,
                format!(
                    "unknown key `{key}`{hint}; a strategy takes: {}, and its backoff's keys",
                    KEYS.join(", ")
                ),
            ));
        }
    }
    let top = Fields::new(table, "");
    let Some(kind_value) = table.get("kind") else {
        return Err(err(
            "",
            format!(
                "the strategy needs a `kind` (its backoff schedule): one of {}; or name a preset \
                 (`ratesim strategies` lists them)",
                names(backoff::KINDS).join(", ")
            ),
        ));
    };
    let kind_name = string(kind_value, "kind")?;
    let kind = lookup(backoff::KINDS, kind_name, "kind", "backoff kind")?;
    for key in all_backoff_keys() {
        if table.contains_key(key) && !kind.keys.contains(&key) {
            return Err(err(
                key,
                format!("`{key}` has no meaning for kind = {kind_name:?}"),
            ));
        }
    }
    let backoff = backoff::BackoffSpec::new(kind.name, (kind.parse)(&top)?);

    let max_attempts = match (kind_name, table.get("max_attempts")) {
        ("none", Some(v)) if integer(v, "max_attempts")? != 1 => {
            return Err(err(
                "max_attempts",
                "kind = \"none\" gives up at once: max_attempts is 1",
            ))
        }
        ("none", _) => 1,
        (_, Some(v)) => count(v, "max_attempts", 1, 10_000)? as u32,
        (_, None) => 5,
    };
    let deadline = top.opt_positive_duration("deadline")?;
    let retry_on = match table.get("retry_on") {
        Some(v) => StatusSet::of(&statuses(v, "retry_on")?),
        None => StatusSet::default_retryable(),
    };
    let name = match table.get("name") {
        Some(v) => string(v, "name")?.to_string(),
        None => preset.unwrap_or(kind_name).to_string(),
    };
    let hints = part(table, "hints", |f| {
        f.check_keys(Hints::KEYS)?;
        Hints::parse(f)
    })?;
    let pacer = part(table, "pacer", pacer::PacerSpec::read)?;
    let pace_retries = match &pacer {
        Some(p) => p.paces_retries(),
        None => true,
    };
    let budget = part(table, "budget", budget::BudgetSpec::read)?;
    let breaker = part(table, "breaker", |f| {
        f.check_keys(BreakerSpec::KEYS)?;
        BreakerSpec::parse(f)
    })?;
    let pause_after_429 = top.duration("pause_after_429", Nanos::ZERO)?;
    let scope = match top.choice("scope", &["shared", "per-worker"], "shared")? {
        "per-worker" => Scope::PerWorker,
        _ => Scope::Shared,
    };
    Ok(StrategySpec {
        name,
        backoff,
        retry: RetryPolicy {
            max_attempts,
            deadline,
            retry_on,
        },
        hints,
        pacer,
        pace_retries,
        budget,
        breaker,
        pause_after_429,
        scope,
    })
}

/// Reads the optional part `key`: absent or `"none"` gives `None`.
fn part<T>(
    table: &Table,
    key: &str,
    read: impl FnOnce(&Fields<'_>) -> Result<T>,
) -> Result<Option<T>> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if s == "none" => Ok(None),
        Some(Value::Table(t)) => read(&Fields::new(t, &format!("{key}."))).map(Some),
        Some(other) => Err(err(
            key,
            format!(
                "expected a table such as {key} = {{ kind = \"...\" }} or \"none\", got {}",
                other.type_str()
            ),
        )),
    }
}

fn names<T>(kinds: &[Kind<T>]) -> Vec<&'static str> {
    kinds.iter().map(|k| k.name).collect()
}

fn lookup<'k, T>(kinds: &'k [Kind<T>], name: &str, field: &str, what: &str) -> Result<&'k Kind<T>> {
    kinds.iter().find(|k| k.name == name).ok_or_else(|| {
        let all = names(kinds);
        let hint = did_you_mean(&close_matches(name, all.iter().copied()));
        err(
            field,
            format!(
                "unknown {what} {name:?}{hint}; expected one of: {}",
                all.join(", ")
            ),
        )
    })
}

/// The table of one strategy part, with the path prefix its errors carry.
pub struct Fields<'a> {
    table: &'a Table,
    prefix: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(table: &'a Table, prefix: &str) -> Fields<'a> {
        Fields {
            table,
            prefix: prefix.to_string(),
        }
    }

    pub(crate) fn err(&self, key: &str, message: impl Into<String>) -> ConfigError {
        err(&self.path(key), message)
    }

    /// `prefix.key`, or the table's own path for an empty key.
    fn path(&self, key: &str) -> String {
        if key.is_empty() {
            self.prefix.trim_end_matches('.').to_string()
        } else {
            format!("{}{key}", self.prefix)
        }
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Rejects keys outside `keys` (and `kind`), suggesting close ones.
    pub(crate) fn check_keys(&self, keys: &[&str]) -> Result<()> {
        for key in self.table.keys() {
            if key != "kind" && !keys.contains(&key.as_str()) {
                let hint = did_you_mean(&close_matches(key, keys.iter().copied()));
                return Err(self.err(
                    key,
                    format!(
                        "unknown key `{key}`{hint}; this table takes: {}",
                        keys.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The registry entry named by this table's `kind`, its keys checked.
    pub(crate) fn kind<'k, T>(&self, kinds: &'k [Kind<T>], what: &str) -> Result<&'k Kind<T>> {
        let Some(v) = self.table.get("kind") else {
            return Err(self.err(
                "kind",
                format!("needs a `kind`: one of {}", names(kinds).join(", ")),
            ));
        };
        let kind = lookup(
            kinds,
            string(v, &self.path("kind"))?,
            &self.path("kind"),
            what,
        )?;
        self.check_keys(kind.keys)?;
        Ok(kind)
    }

    pub(crate) fn duration(&self, key: &str, default: Nanos) -> Result<Nanos> {
        match self.table.get(key) {
            Some(v) => duration(v, &self.path(key)),
            None => Ok(default),
        }
    }

    pub(crate) fn positive_duration(&self, key: &str, default: Nanos) -> Result<Nanos> {
        match self.table.get(key) {
            Some(v) => positive_duration(v, &self.path(key)),
            None => Ok(default),
        }
    }

    pub(crate) fn opt_positive_duration(&self, key: &str) -> Result<Option<Nanos>> {
        self.table
            .get(key)
            .map(|v| positive_duration(v, &self.path(key)))
            .transpose()
    }

    /// A number (integer or float) in `[min, max]`, or `(min, max]` when
    /// `min_open`.
    pub(crate) fn number(
        &self,
        key: &str,
        default: f64,
        (min, min_open): (f64, bool),
        max: f64,
    ) -> Result<f64> {
        let Some(v) = self.table.get(key) else {
            return Ok(default);
        };
        let x = match v {
            Value::Integer(i) => *i as f64,
            Value::Float(f) => *f,
            other => {
                return Err(self.err(key, format!("expected a number, got {}", other.type_str())))
            }
        };
        let low_ok = if min_open { x > min } else { x >= min };
        if !x.is_finite() || !low_ok || x > max {
            let open = if min_open { "(" } else { "[" };
            return Err(self.err(
                key,
                format!("expected a number in {open}{min}, {max}], got {x}"),
            ));
        }
        Ok(x)
    }

    /// A fraction in (0, 1].
    pub(crate) fn fraction(&self, key: &str, default: f64) -> Result<f64> {
        self.number(key, default, (0.0, true), 1.0)
    }

    pub(crate) fn count(&self, key: &str, default: u64, min: i64, max: i64) -> Result<u64> {
        match self.table.get(key) {
            Some(v) => count(v, &self.path(key), min, max),
            None => Ok(default),
        }
    }

    pub(crate) fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.table.get(key) {
            Some(Value::Boolean(b)) => Ok(*b),
            Some(other) => Err(self.err(
                key,
                format!("expected true or false, got {}", other.type_str()),
            )),
            None => Ok(default),
        }
    }

    /// One of `options`.
    pub(crate) fn choice(
        &self,
        key: &str,
        options: &[&'static str],
        default: &'static str,
    ) -> Result<&'static str> {
        let Some(v) = self.table.get(key) else {
            return Ok(default);
        };
        let s = string(v, &self.path(key))?;
        options.iter().copied().find(|o| *o == s).ok_or_else(|| {
            let hint = did_you_mean(&close_matches(s, options.iter().copied()));
            self.err(
                key,
                format!(
                    "unknown value {s:?}{hint}; expected {}",
                    options.join(" or ")
                ),
            )
        })
    }

    /// A rate written `"<number>/<unit>"` (`s`, `min`, `h`), in events per
    /// second; must be positive.
    pub(crate) fn rate(&self, key: &str, default: f64) -> Result<f64> {
        let Some(v) = self.table.get(key) else {
            return Ok(default);
        };
        let text = string(v, &self.path(key))?;
        match crate::time::parse_rate(text) {
            Ok(r) if r > 0.0 => Ok(r),
            Ok(_) => Err(self.err(
                key,
                format!("a rate must be a positive number (got {text:?})"),
            )),
            Err(e) => Err(self.err(key, format!("{e} (got {text:?})"))),
        }
    }
}

/// The strategy of a group that names none: full jitter from 1 s to 60 s, 5 attempts.
pub fn default_strategy() -> StrategySpec {
    let mut t = Table::new();
    t.insert("kind".into(), Value::String("full-jitter".into()));
    read(&t, None).expect("the default strategy is valid")
}

pub(crate) fn string<'v>(v: &'v Value, field: &str) -> Result<&'v str> {
    v.as_str()
        .ok_or_else(|| err(field, format!("expected a string, got {}", v.type_str())))
}

pub(crate) fn integer(v: &Value, field: &str) -> Result<i64> {
    v.as_integer().ok_or_else(|| {
        err(
            field,
            format!("expected a whole number, got {}", v.type_str()),
        )
    })
}

pub(crate) fn count(v: &Value, field: &str, min: i64, max: i64) -> Result<u64> {
    let n = integer(v, field)?;
    if n < min || n > max {
        return Err(err(
            field,
            format!("expected a whole number from {min} to {max}, got {n}"),
        ));
    }
    Ok(n as u64)
}

pub(crate) fn duration(v: &Value, field: &str) -> Result<Nanos> {
    let text = string(v, field)?;
    parse_duration(text).map_err(|e| err(field, format!("{e} (got {text:?})")))
}

pub(crate) fn positive_duration(v: &Value, field: &str) -> Result<Nanos> {
    let d = duration(v, field)?;
    if d == Nanos::ZERO {
        return Err(err(field, "must be longer than zero"));
    }
    Ok(d)
}

/// A list of HTTP status codes; codes the simulator never produces (e.g. 408)
/// are accepted and have no effect.
pub(crate) fn statuses(v: &Value, field: &str) -> Result<Vec<Status>> {
    let Some(list) = v.as_array() else {
        return Err(err(
            field,
            "expected a list of status codes, e.g. [429, 500, 503]",
        ));
    };
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let code = integer(c, &format!("{field}[{i}]"))?;
        if !(100..=599).contains(&code) {
            return Err(err(
                &format!("{field}[{i}]"),
                format!("{code} is not an HTTP status code"),
            ));
        }
        if let Some(s) = Status::from_code(code as u16) {
            out.push(s);
        }
    }
    Ok(out)
}

/// TOML text of a duration value, for `describe`.
pub(crate) fn toml_duration(d: Nanos) -> String {
    format!("\"{}\"", show(d))
}

/// A duration as a scenario writes it (`0s` rather than `0ns`).
pub(crate) fn show(d: Nanos) -> String {
    if d == Nanos::ZERO {
        "0s".to_string()
    } else {
        d.to_string()
    }
}

/// TOML text of a number, for `describe` (whole numbers without a fraction).
pub(crate) fn toml_number(x: f64) -> String {
    format!("{x}")
}

/// TOML text of a status list.
pub(crate) fn toml_codes(set: StatusSet) -> String {
    let codes: Vec<String> = set.codes().iter().map(u16::to_string).collect();
    format!("[{}]", codes.join(", "))
}

impl Fields<'_> {
    /// Statuses under `key`, or `default`.
    pub(crate) fn statuses(&self, key: &str, default: StatusSet) -> Result<StatusSet> {
        match self.table.get(key) {
            Some(v) => Ok(StatusSet::of(&statuses(v, &self.path(key))?)),
            None => Ok(default),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<StrategySpec> {
        let t: Table = toml::from_str(&format!("s = {text}")).unwrap();
        parse(&t["s"])
    }

    #[test]
    fn old_keys_still_read() {
        let s = parse_str(r#"{ kind = "full-jitter", base = "500ms", cap = "30s", max_attempts = 6, deadline = "2m", retry_on = [429] }"#).unwrap();
        assert_eq!(s.name, "full-jitter");
        assert_eq!(s.retry.max_attempts, 6);
        assert_eq!(s.retry.deadline, Some(Nanos::from_secs(120)));
        assert_eq!(s.retry.retry_on.codes(), vec![429]);
        assert!(s.pacer.is_none() && s.budget.is_none() && s.breaker.is_none());
        assert_eq!(
            parse_str(r#"{ kind = "none" }"#)
                .unwrap()
                .retry
                .max_attempts,
            1
        );
    }

    #[test]
    fn impossible_values_name_their_field() {
        for (text, field, fragment) in [
            (
                r#"{ kind = "full-jitter", base = "10s", cap = "1s" }"#,
                "cap",
                "below the base",
            ),
            (
                r#"{ kind = "full-jitter", pacer = { kind = "token-bucket", rpm = -5 } }"#,
                "pacer.rpm",
                "number in",
            ),
            (
                r#"{ kind = "full-jitter", pacer = { kind = "token-bucket", rpm = 100, headroom = 1.5 } }"#,
                "pacer.headroom",
                "(0, 1]",
            ),
            (
                r#"{ kind = "full-jitter", budget = { kind = "ratio", ratio = 0 } }"#,
                "budget.ratio",
                "(0, 1]",
            ),
            (
                r#"{ kind = "full-jitter", budget = { kind = "grpc", max_tokens = 1001 } }"#,
                "budget.max_tokens",
                "1000",
            ),
            (
                r#"{ kind = "full-jitter", budget = { kind = "retry-quota" } }"#,
                "budget.kind",
                "unknown budget kind",
            ),
            (
                r#"{ kind = "full-jitter", pacer = { kind = "token-bucket", rmp = 1 } }"#,
                "pacer.rmp",
                "did you mean rpm",
            ),
            (
                r#"{ kind = "full-jitter", breaker = { cooldown = "5s" } }"#,
                "breaker",
                "failures",
            ),
            (r#"{ preset = "openai-pyhton" }"#, "preset", "openai-python"),
            (r#""aws-standrd""#, "", "aws-standard"),
            (
                r#"{ kind = "exponential", delay = "1s" }"#,
                "delay",
                "no meaning",
            ),
        ] {
            let e = parse_str(text).expect_err(text);
            assert_eq!(e.field, field, "{text}: {e:?}");
            assert!(e.message.contains(fragment), "{text}: {e:?}");
        }
    }

    #[test]
    fn preset_overrides_merge_into_parts() {
        let s = parse_str(r#"{ preset = "openai-cookbook-parallel-processor", pacer = { rpm = 100, tpm = 2000000 }, max_attempts = 3 }"#).unwrap();
        assert_eq!(s.name, "openai-cookbook-parallel-processor");
        assert_eq!(s.retry.max_attempts, 3);
        let p = s.pacer.unwrap().describe();
        assert!(
            p.contains("rpm = 100") && p.contains("headroom = 0.5"),
            "{p}"
        );
        // A new backoff kind drops the preset's backoff keys.
        let s = parse_str(r#"{ preset = "openai-python", kind = "full-jitter", base = "2s" }"#)
            .unwrap();
        assert_eq!(s.backoff.kind(), "full-jitter");
        assert!(s.hints.is_some(), "the preset's hints stay");
        // "none" removes a part.
        assert!(parse_str(r#"{ preset = "aws-standard", budget = "none" }"#)
            .unwrap()
            .budget
            .is_none());
    }
}
