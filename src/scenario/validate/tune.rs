//! The `[tune]` table: what `ratesim tune` searches. Its parameter ranges
//! are checked here against the strategy they tune, so a misspelt parameter
//! or a range the strategy cannot take is an error at its line.

use super::{Result, Validator};
use crate::scenario::raw::RawTune;
use crate::scenario::{CompareSpec, Group, TuneSpec};
use crate::strategy::config::Space;
use toml::{Table, Value};

impl Validator<'_> {
    pub(super) fn tune(
        &self,
        raw: &RawTune,
        groups: &[Group],
        compare: Option<&CompareSpec>,
    ) -> Result<TuneSpec> {
        let chosen = raw
            .groups
            .as_ref()
            .map(|list| self.group_indices("tune.groups", list, groups))
            .transpose()?;
        if chosen.as_ref().is_some_and(Vec::is_empty) {
            return Err(self.err("tune.groups", "name at least one group to tune"));
        }
        let strategy = raw
            .strategy
            .as_ref()
            .map(|v| self.strategy("tune.strategy", v))
            .transpose()?;
        let objective = raw
            .objective
            .as_deref()
            .map(|t| {
                crate::objective::Constraint::parse(t).map_err(|e| self.err("tune.objective", e))
            })
            .transpose()?;
        let count = |field: &str, v: Option<i64>, min: i64, max: i64| {
            v.map(|x| self.count(field, x, min, max).map(|x| x as u32))
                .transpose()
        };
        let mut params = Vec::new();
        flatten(&raw.params, "", &mut params);
        let tuned = strategy.clone().or_else(|| {
            let g = chosen
                .as_ref()
                .and_then(|c| c.first().copied())
                .or(compare.and_then(|c| c.groups.first().copied()))
                .unwrap_or(0);
            groups.get(g).map(|g| g.strategy.clone())
        });
        if let (Some(spec), false) = (&tuned, params.is_empty()) {
            Space::with_ranges(spec, &params).map_err(|e| {
                let at = if params.iter().any(|(f, _)| *f == e.field) {
                    format!("tune.params.{}", e.field)
                } else {
                    "tune.params".to_string()
                };
                self.err(&at, e.message)
            })?;
        }
        Ok(TuneSpec {
            groups: chosen,
            strategy,
            objective,
            budget: count("tune.budget", raw.budget, 1, 1_000_000)?,
            replications: count("tune.replications", raw.replications, 1, 1000)?,
            params,
        })
    }
}

/// `pacer = { rpm = [30, 90] }` and `"pacer.rpm" = [30, 90]` alike as
/// `("pacer.rpm", [30, 90])`, in the table's order.
fn flatten(t: &Table, prefix: &str, out: &mut Vec<(String, Value)>) {
    for (k, v) in t {
        let field = format!("{prefix}{k}");
        match v {
            Value::Table(inner) => flatten(inner, &format!("{field}."), out),
            other => out.push((field, other.clone())),
        }
    }
}
