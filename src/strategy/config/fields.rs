//! Reading the values of a strategy table: durations, numbers, counts,
//! choices, rates and status lists, each error naming its field.

use super::StatusSet;
use super::{err, lookup, names, ConfigError, Kind, Result};
use crate::response::Status;
use crate::suggest::{close_matches, did_you_mean};
use crate::time::{parse_duration, Nanos};
use toml::{Table, Value};

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

    /// Whether `key` holds the string `"none"` (an absent bound).
    pub(crate) fn is_none(&self, key: &str) -> bool {
        self.table.get(key).and_then(Value::as_str) == Some("none")
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

    /// Statuses under `key`, or `default`.
    pub(crate) fn statuses(&self, key: &str, default: StatusSet) -> Result<StatusSet> {
        match self.table.get(key) {
            Some(v) => Ok(StatusSet::of(&statuses(v, &self.path(key))?)),
            None => Ok(default),
        }
    }
}

pub(super) fn string<'v>(v: &'v Value, field: &str) -> Result<&'v str> {
    v.as_str()
        .ok_or_else(|| err(field, format!("expected a string, got {}", v.type_str())))
}

pub(super) fn integer(v: &Value, field: &str) -> Result<i64> {
    v.as_integer().ok_or_else(|| {
        err(
            field,
            format!("expected a whole number, got {}", v.type_str()),
        )
    })
}

pub(super) fn count(v: &Value, field: &str, min: i64, max: i64) -> Result<u64> {
    let n = integer(v, field)?;
    if n < min || n > max {
        return Err(err(
            field,
            format!("expected a whole number from {min} to {max}, got {n}"),
        ));
    }
    Ok(n as u64)
}

pub(super) fn duration(v: &Value, field: &str) -> Result<Nanos> {
    let text = string(v, field)?;
    parse_duration(text).map_err(|e| err(field, format!("{e} (got {text:?})")))
}

pub(super) fn positive_duration(v: &Value, field: &str) -> Result<Nanos> {
    let d = duration(v, field)?;
    if d == Nanos::ZERO {
        return Err(err(field, "must be longer than zero"));
    }
    Ok(d)
}

/// A list of HTTP status codes; codes the simulator never produces (e.g. 408)
/// are accepted and have no effect.
pub(super) fn statuses(v: &Value, field: &str) -> Result<Vec<Status>> {
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
