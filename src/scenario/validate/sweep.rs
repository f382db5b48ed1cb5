//! The `[sweep]` table: the grid `ratesim sweep` runs.

use super::{Result, Validator};
use crate::scenario::raw::RawSweep;
use crate::scenario::{Group, SweepSpec};

impl Validator<'_> {
    pub(super) fn sweep(&self, raw: &RawSweep, groups: &[Group]) -> Result<SweepSpec> {
        let strategies = raw
            .strategies
            .iter()
            .enumerate()
            .map(|(i, v)| self.strategy(&format!("sweep.strategies[{i}]"), v))
            .collect::<Result<Vec<_>>>()?;
        for (i, s) in strategies.iter().enumerate() {
            if strategies[..i].iter().any(|t| t.name == s.name) {
                return Err(self.err(
                    &format!("sweep.strategies[{i}]"),
                    format!("two strategies are called {:?}; give one a `name`", s.name),
                ));
            }
        }
        let load = raw.load.clone().unwrap_or_else(|| vec![1.0]);
        if load.is_empty() {
            return Err(self.err("sweep.load", "expected at least one load factor"));
        }
        for (i, &f) in load.iter().enumerate() {
            let field = format!("sweep.load[{i}]");
            self.finite(&field, f, 0.0)?;
            if f > 1000.0 {
                return Err(self.err(
                    &field,
                    format!("expected a load factor up to 1000, found {f}"),
                ));
            }
            if load[..i].contains(&f) {
                return Err(self.err(&field, format!("load factor {f} is listed twice")));
            }
        }
        let limits = match &raw.limits {
            None => vec![1],
            Some(list) => {
                if list.is_empty() {
                    return Err(self.err("sweep.limits", "expected at least one limit multiple"));
                }
                let mut out: Vec<u32> = Vec::new();
                for (i, &k) in list.iter().enumerate() {
                    let field = format!("sweep.limits[{i}]");
                    let k = self.count(&field, k, 1, 1000)? as u32;
                    if out.contains(&k) {
                        return Err(self.err(&field, format!("limit multiple {k} is listed twice")));
                    }
                    out.push(k);
                }
                out
            }
        };
        let replications = raw
            .replications
            .map(|r| self.count("sweep.replications", r, 1, 10_000))
            .transpose()?
            .unwrap_or(3) as u32;
        let group = match &raw.group {
            None => None,
            Some(name) if name == "total" => None,
            Some(name) => Some(groups.iter().position(|g| &g.name == name).ok_or_else(|| {
                let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
                self.err(
                    "sweep.group",
                    format!(
                        "no group is called {name:?}: use `total` or one of {}",
                        names.join(", ")
                    ),
                )
            })?),
        };
        Ok(SweepSpec {
            strategies,
            load,
            limits,
            replications,
            metric: raw
                .metric
                .clone()
                .unwrap_or_else(|| "success_share".to_string()),
            group,
        })
    }
}
