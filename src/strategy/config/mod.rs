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
//!
//! [`Fields`] (in `fields.rs`) reads the values of one table, with the path
//! prefix its errors carry; `to_toml.rs` writes values back as TOML text for
//! `ratesim strategies` and `describe`; `space.rs` lists the numeric
//! parameters a tuner searches and builds the strategy at chosen values.

mod fields;
mod random;
mod space;
mod to_toml;

pub use fields::Fields;
pub use random::Random;
pub use space::{Dim, Space, Unit};
pub(crate) use to_toml::{show, toml_codes, toml_duration, toml_number};

use super::breaker::BreakerSpec;
use super::hints::Hints;
use super::{backoff, budget, pacer, presets, RetryPolicy, Scope, StatusSet, StrategySpec};
use crate::suggest::{close_matches, did_you_mean};
use crate::time::Nanos;
use fields::{count, integer, statuses, string};
use std::sync::Arc;
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
/// full composition `{ kind = "...", ... }`. Random parameters are refused
/// (at the first one): each client must draw its own, so they belong to
/// groups with clients of their own (closed-loop workers, batch clients),
/// which read their strategy with [`parse_random`].
pub fn parse(value: &Value) -> Result<StrategySpec> {
    let spec = parse_random(value)?;
    if let Some(r) = &spec.random {
        let p = r.first();
        return Err(err(
            &p.field(),
            format!(
                "`{}` is drawn at random per client; random strategy parameters need a group \
                 with clients of its own (arrival process `closed` with `workers`, or `batch` \
                 with `clients`), each drawing its own: give a fixed value here",
                p.describe()
            ),
        ));
    }
    Ok(spec)
}

/// As [`parse`], but a parameter may be a distribution drawn once per client
/// (`cap = { uniform = ["30s", "34s"] }`); see [`StrategySpec::draw`].
pub fn parse_random(value: &Value) -> Result<StrategySpec> {
    let (table, preset) = match value {
        Value::String(name) => {
            let preset = presets::find(name).map_err(|e| err("", e.to_string()))?;
            (preset.table(), Some(preset.name))
        }
        Value::Table(table) => match table.get("preset") {
            Some(v) => {
                let name = string(v, "preset")?;
                let preset = presets::find(name).map_err(|e| err("preset", e.to_string()))?;
                let mut merged = preset.table();
                let mut overrides = table.clone();
                overrides.remove("preset");
                merge(&mut merged, overrides);
                (merged, Some(preset.name))
            }
            None => (table.clone(), None),
        },
        other => {
            return Err(err(
                "",
                format!(
                    "expected a preset name such as \"openai-python\" or a table such as \
                     {{ kind = \"full-jitter\", base = \"1s\", cap = \"60s\" }}, got {}",
                    other.type_str()
                ),
            ))
        }
    };
    let params = random::find(&table)?;
    if params.is_empty() {
        return read(&table, preset);
    }
    // Valid at every corner of the ranges is valid at every draw.
    let mut first = None;
    for (label, values) in random::corners(&params)? {
        let t = random::with_values(&table, &params, values);
        let spec = read(&t, preset).map_err(|e| ConfigError {
            field: e.field,
            message: format!("{} (with {label}, within the random ranges)", e.message),
        })?;
        first.get_or_insert(spec);
    }
    let mut spec = first.expect("a distribution has at least one corner");
    spec.random = Some(Arc::new(random::Random::new(table, preset, params)));
    Ok(spec)
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
        random: None,
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

/// The strategy of a group that names none: full jitter from 1 s to 60 s, 5 attempts.
pub fn default_strategy() -> StrategySpec {
    let mut t = Table::new();
    t.insert("kind".into(), Value::String("full-jitter".into()));
    read(&t, None).expect("the default strategy is valid")
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
