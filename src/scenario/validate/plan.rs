//! The `[plan]` and `[compare]` tables: what `ratesim plan` and `ratesim
//! compare` run.

use super::{Result, Validator};
use crate::scenario::raw::{RawCompare, RawPlan};
use crate::scenario::{CompareSpec, Group, PlanSpec};
use crate::suggest::close_matches;
use crate::time::Nanos;

impl Validator<'_> {
    pub(super) fn plan(&self, raw: &RawPlan, duration: Nanos) -> Result<PlanSpec> {
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
                let d = crate::objective::Objective::default();
                crate::objective::Objective {
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
                (Some(d), None) => Some(crate::objective::Date {
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

    /// The indices of the groups named in `list` (the table's `field`).
    pub(super) fn group_indices(
        &self,
        field: &str,
        list: &[String],
        groups: &[Group],
    ) -> Result<Vec<usize>> {
        list.iter()
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
                        &format!("{field}[{i}]"),
                        format!("no group is called {name:?}{hint}"),
                    )
                })
            })
            .collect()
    }

    pub(super) fn compare(&self, raw: &RawCompare, groups: &[Group]) -> Result<CompareSpec> {
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
            Some(list) => self.group_indices("compare.groups", list, groups)?,
        };
        Ok(CompareSpec {
            strategies,
            replications,
            groups: chosen,
        })
    }
}
