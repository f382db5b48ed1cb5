//! The checkers every table shares: durations, rates, counts, probabilities,
//! finite numbers, one-of choices, and strategies (read by
//! [`crate::strategy::config`]).

use super::{Result, Validator};
use crate::strategy::{self, StrategySpec};
use crate::suggest::close_matches;
use crate::time::{parse_duration, parse_rate, Nanos};

impl Validator<'_> {
    pub(super) fn duration(&self, field: &str, text: &str) -> Result<Nanos> {
        parse_duration(text).map_err(|e| self.err(field, format!("{e} (got {text:?})")))
    }

    pub(super) fn positive_duration(&self, field: &str, text: &str) -> Result<Nanos> {
        let d = self.duration(field, text)?;
        if d == Nanos::ZERO {
            return Err(self.err(field, "must be longer than zero"));
        }
        Ok(d)
    }

    /// A rate such as "120/min", in requests per second.
    pub(super) fn rate(&self, field: &str, text: &str) -> Result<f64> {
        match self.rate_or_zero(field, text)? {
            0.0 => Err(self.err(
                field,
                format!("a rate must be a positive number (got {text:?})"),
            )),
            r => Ok(r),
        }
    }

    /// A rate that may be zero (a silent stretch of a rate profile).
    pub(super) fn rate_or_zero(&self, field: &str, text: &str) -> Result<f64> {
        parse_rate(text).map_err(|e| self.err(field, format!("{e} (got {text:?})")))
    }

    pub(super) fn count(&self, field: &str, value: i64, min: i64, max: i64) -> Result<u64> {
        if value < min || value > max {
            return Err(self.err(
                field,
                format!("expected a whole number from {min} to {max}, got {value}"),
            ));
        }
        Ok(value as u64)
    }

    pub(super) fn probability(&self, field: &str, p: Option<f64>) -> Result<f64> {
        let p = p.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&p) {
            return Err(self.err(
                field,
                format!("expected a probability between 0 and 1, got {p}"),
            ));
        }
        Ok(p)
    }

    pub(super) fn finite(&self, field: &str, x: f64, min_exclusive: f64) -> Result<f64> {
        if !x.is_finite() || x <= min_exclusive {
            return Err(self.err(
                field,
                format!("expected a finite number above {min_exclusive}, got {x}"),
            ));
        }
        Ok(x)
    }

    pub(super) fn one_of<'o>(
        &self,
        field: &str,
        value: &str,
        options: &[&'o str],
    ) -> Result<&'o str> {
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

    pub(super) fn strategy(&self, field: &str, value: &toml::Value) -> Result<StrategySpec> {
        self.strategy_with(field, value, strategy::config::parse)
    }

    /// A strategy whose parameters may be drawn per client.
    pub(super) fn client_strategy(&self, field: &str, value: &toml::Value) -> Result<StrategySpec> {
        self.strategy_with(field, value, strategy::config::parse_random)
    }

    fn strategy_with(
        &self,
        field: &str,
        value: &toml::Value,
        parse: fn(&toml::Value) -> strategy::config::Result<StrategySpec>,
    ) -> Result<StrategySpec> {
        parse(value).map_err(|e| {
            let at = if e.field.is_empty() {
                field.to_string()
            } else {
                format!("{field}.{}", e.field)
            };
            self.err(&at, e.message)
        })
    }
}
