//! Reading a strategy from a scenario: a preset name or a table written out in
//! full. This is the one place that maps scenario names to strategy parts.
//!
//! Errors carry the field path relative to the strategy (`cap`, `budget.ratio`)
//! so the scenario validator can locate them in the file.

use super::{BackoffSpec, RetryPolicy, StatusSet, StrategySpec};
use crate::response::Status;
use crate::suggest::close_matches;
use crate::time::{parse_duration, Nanos};
use toml::Value;

/// A strategy that cannot be built, and which field is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Path relative to the strategy table; empty for the strategy itself.
    pub field: String,
    pub message: String,
}

type Result<T> = std::result::Result<T, ConfigError>;

fn err(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// The kinds a table's `kind` may name.
pub const KINDS: &[&str] = &[
    "none",
    "constant",
    "exponential",
    "full-jitter",
    "equal-jitter",
    "decorrelated",
    "header-aware",
];

/// Keys a strategy table may hold.
const KEYS: &[&str] = &[
    "kind",
    "base",
    "cap",
    "delay",
    "jitter",
    "max_attempts",
    "deadline",
    "retry_on",
    "name",
];

/// Reads a strategy written as a table.
pub fn parse(value: &Value) -> Result<StrategySpec> {
    let Some(table) = value.as_table() else {
        return Err(err(
            "",
            "expected a table such as { kind = \"full-jitter\", base = \"1s\", cap = \"60s\" }",
        ));
    };
    for key in table.keys() {
        if !KEYS.contains(&key.as_str()) {
            let close = close_matches(key, KEYS.iter().copied());
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", close.join(" or "))
            };
            return Err(err(
                key,
                format!(
                    "unknown key `{key}`{hint}; a strategy table takes: {}",
                    KEYS.join(", ")
                ),
            ));
        }
    }
    let kind = match table.get("kind") {
        Some(v) => string(v, "kind")?,
        None => {
            return Err(err(
                "",
                format!("the strategy needs a `kind`: one of {}", KINDS.join(", ")),
            ))
        }
    };
    if !KINDS.contains(&kind) {
        let close = close_matches(kind, KINDS.iter().copied());
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!(" (did you mean {}?)", close.join(" or "))
        };
        return Err(err(
            "kind",
            format!(
                "unknown kind {kind:?}{hint}; expected one of: {}",
                KINDS.join(", ")
            ),
        ));
    }
    let dur = |name: &str, default: Nanos| -> Result<Nanos> {
        match table.get(name) {
            Some(v) => positive_duration(v, name),
            None => Ok(default),
        }
    };
    let base = dur("base", Nanos::SECOND)?;
    let cap = dur("cap", Nanos::from_secs(60))?;
    let exponential = matches!(
        kind,
        "exponential" | "full-jitter" | "equal-jitter" | "decorrelated" | "header-aware"
    );
    if exponential && cap < base {
        return Err(err(
            "cap",
            format!("the cap ({cap}) is below the base delay ({base}); the cap must be at least the base"),
        ));
    }
    for (name, used) in [
        ("delay", kind == "constant"),
        ("jitter", kind == "header-aware"),
        ("base", exponential),
        ("cap", exponential),
    ] {
        if table.contains_key(name) && !used {
            return Err(err(
                name,
                format!("`{name}` has no meaning for kind = {kind:?}"),
            ));
        }
    }
    let backoff = match kind {
        "none" => BackoffSpec::None,
        "constant" => BackoffSpec::Constant {
            delay: dur("delay", Nanos::SECOND)?,
        },
        "exponential" => BackoffSpec::Exponential { base, cap },
        "full-jitter" => BackoffSpec::FullJitter { base, cap },
        "equal-jitter" => BackoffSpec::EqualJitter { base, cap },
        "decorrelated" => BackoffSpec::Decorrelated { base, cap },
        _ => BackoffSpec::HeaderAware {
            base,
            cap,
            jitter: match table.get("jitter") {
                Some(v) => duration(v, "jitter")?,
                None => Nanos::from_millis(250),
            },
        },
    };
    let max_attempts = match (kind, table.get("max_attempts")) {
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
    let deadline = table
        .get("deadline")
        .map(|v| positive_duration(v, "deadline"))
        .transpose()?;
    let retry_on = match table.get("retry_on") {
        Some(v) => StatusSet::of(&statuses(v, "retry_on")?),
        None => StatusSet::default_retryable(),
    };
    let name = match table.get("name") {
        Some(v) => string(v, "name")?.to_string(),
        None => kind.to_string(),
    };
    Ok(StrategySpec {
        name,
        backoff,
        retry: RetryPolicy {
            max_attempts,
            deadline,
            retry_on,
        },
    })
}

/// The strategy of a group that names none: full jitter from 1 s to 60 s, 5 attempts.
pub fn default_strategy() -> StrategySpec {
    StrategySpec {
        name: "full-jitter".to_string(),
        backoff: BackoffSpec::FullJitter {
            base: Nanos::SECOND,
            cap: Nanos::from_secs(60),
        },
        retry: RetryPolicy {
            max_attempts: 5,
            deadline: None,
            retry_on: StatusSet::default_retryable(),
        },
    }
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
