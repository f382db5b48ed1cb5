//! The `[sweep]` table: the grid `ratesim sweep` runs.
//!
//! A `set` axis is checked here value by value (the scenario with that one
//! value written at its path validates), so `ratesim validate` refuses a
//! bad one; [`sweep_points`] then validates every combination before a
//! sweep runs, since values of two paths may only clash together (a `base`
//! above a `cap`).

use super::{Result, Validator};
use crate::scenario::at_path::{self, Step};
use crate::scenario::raw::RawSweep;
use crate::scenario::{Group, Scenario, ScenarioError, SetAxis, SweepSpec};
use std::path::Path;

/// The field of axis `path` in the `[sweep]` table.
fn set_field(path: &str) -> String {
    format!("sweep.set.\"{path}\"")
}

/// A point's own error, in one line: the field the validator named and its
/// message (its line and column are those of the point's file, not the
/// user's).
fn inner(e: &ScenarioError) -> String {
    if e.field.is_empty() {
        e.message.clone()
    } else {
        format!("field `{}`: {}", e.field, e.message)
    }
}

/// The error of a point refused with `e`: at the one value that is refused
/// the same way when written alone (`sweep.set."path"[i]`), else at
/// `sweep.set`, naming every value of the point.
fn blame(
    v: &Validator,
    spec: &SweepSpec,
    steps: &[Vec<Step>],
    at: &[usize],
    e: &ScenarioError,
) -> ScenarioError {
    for (a, &i) in at.iter().enumerate() {
        let value = &spec.set[a].values[i];
        let alone = at_path::source_with(v.src, &[(&steps[a], value)])
            .ok()
            .and_then(|text| super::parse(&text, v.path).err());
        if alone.is_some_and(|x| x.field == e.field && x.message == e.message) {
            return v.err(
                &format!("{}[{i}]", set_field(&spec.set[a].path)),
                format!("with {} = {value}: {}", spec.set[a].path, inner(e)),
            );
        }
    }
    let point = at
        .iter()
        .enumerate()
        .map(|(a, &i)| format!("{} = {}", spec.set[a].path, spec.set[a].canonical(i)))
        .collect::<Vec<_>>()
        .join(", ");
    v.err(
        "sweep.set",
        format!("the point {point} is not a valid scenario: {}", inner(e)),
    )
}

/// Every combination of `spec`'s `set` values (the first axis varying
/// slowest), each the scenario at `path` (text `source`) with its values
/// written, validated; the first one refused is a located error at
/// `sweep.set` naming its values. Empty when the sweep has no `set`.
pub fn sweep_points(source: &str, path: &Path, spec: &SweepSpec) -> Result<Vec<Scenario>> {
    let v = Validator { src: source, path };
    let steps: Vec<Vec<Step>> = spec
        .set
        .iter()
        .map(|a| at_path::steps(&a.path).map_err(|m| v.err(&set_field(&a.path), m)))
        .collect::<Result<_>>()?;
    if spec.set.is_empty() {
        return Ok(Vec::new());
    }
    (0..spec.set_points())
        .map(|c| {
            let at = spec.set_point(c);
            let writes: Vec<(&[Step], &toml::Value)> = at
                .iter()
                .enumerate()
                .map(|(a, &i)| (steps[a].as_slice(), &spec.set[a].values[i]))
                .collect();
            let text = at_path::source_with(source, &writes)
                .map_err(|(a, m)| v.err(&set_field(&spec.set[a].path), m))?;
            super::parse(&text, path).map_err(|e| blame(&v, spec, &steps, &at, &e))
        })
        .collect()
}

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
        let set = self.sweep_set(raw, !strategies.is_empty())?;
        Ok(SweepSpec {
            set,
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

    /// The `set` axes in the order written.
    fn sweep_set(&self, raw: &RawSweep, strategies: bool) -> Result<Vec<SetAxis>> {
        // serde's table is sorted; the file's order is the grid's.
        let doc = toml_edit::ImDocument::parse(self.src).ok();
        let order: Vec<String> = doc
            .as_ref()
            .and_then(|d| d.get("sweep")?.get("set")?.as_table_like())
            .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default();
        let mut axes = Vec::new();
        for path in order {
            let field = set_field(&path);
            let steps = at_path::steps(&path).map_err(|m| self.err(&field, m))?;
            let key = |i: usize| match steps.get(i) {
                Some(Step::Key(k)) => k.as_str(),
                _ => "",
            };
            if key(0) == "sweep" {
                return Err(self.err(&field, "a sweep cannot set its own `[sweep]` table"));
            }
            if key(0) == "seed" {
                return Err(self.err(&field, "the seed is not an axis: each replication runs with the scenario's seed plus its number (set `replications`, or --seed)"));
            }
            if key(0) == "groups" && steps.len() == 3 && key(2) == "name" {
                return Err(self.err(
                    &field,
                    "a group's name is its identity in every output; set another of its fields",
                ));
            }
            if strategies && steps.iter().any(|s| *s == Step::Key("strategy".into())) {
                return Err(self.err(&field, "`sweep.strategies` replaces every group's strategy, so a parameter of the scenario's own strategy would never reach a run; sweep the parameter without `strategies`, or list each variant in `strategies`"));
            }
            let Some(toml::Value::Array(values)) = raw.set.get(&path) else {
                return Err(self.err(&field, "expected a list of values after a quoted path, e.g. \"groups.app.input_tokens\" = [500, 2000]"));
            };
            if values.is_empty() {
                return Err(self.err(&field, "expected at least one value"));
            }
            for (i, value) in values.iter().enumerate() {
                let field = format!("{field}[{i}]");
                if !matches!(
                    value,
                    toml::Value::Integer(_)
                        | toml::Value::Float(_)
                        | toml::Value::String(_)
                        | toml::Value::Boolean(_)
                ) {
                    let found = match value {
                        toml::Value::Array(_) => "a list",
                        toml::Value::Table(_) => "a table",
                        _ => "a date-time",
                    };
                    return Err(self.err(&field, format!("expected a number, a string (a duration, a rate, a name) or a boolean, found {found}")));
                }
                if values[..i].contains(value) {
                    return Err(self.err(&field, format!("{value} is listed twice")));
                }
            }
            // The path leads somewhere (whether its field takes the value is
            // the validator's to say, for every point before a sweep runs).
            at_path::source_with(self.src, &[(&steps, &values[0])])
                .map_err(|(_, m)| self.err(&field, m))?;
            axes.push(SetAxis {
                path,
                values: values.clone(),
            });
        }
        Ok(axes)
    }
}
