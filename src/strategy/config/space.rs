//! The numeric parameters of a strategy that a tuner may search, with the
//! range each is searched over, and the strategy at a chosen set of values.
//!
//! A space works on the strategy written out in full (every parameter
//! spelled, as `ratesim strategies NAME` prints it), so a point of the space
//! is the same table with some values replaced, read by the one parser: a
//! tuned strategy is validated exactly as a hand-written one, and what the
//! tuner returns pastes into a scenario.
//!
//! Default ranges sit around the strategy's own value `v` (docs/tune.md):
//! delays (`base`, `initial`, `delay`, `cap`, `deadline`, `throttle_base`,
//! `breaker.cooldown`) from v/4 to 4v on a log scale; `max_attempts` from 1
//! to max(2v, v + 3); a pacer's `rpm`/`tpm` from v/2 to 3v/2; `headroom`
//! from 0.5 to 1; `budget.ratio` and `breaker.ratio` from v/2 to min(1, 2v);
//! `budget.capacity` and `breaker.failures` from v/4 to 4v (log scale, whole).
//! Other keys are searched only when a `[tune.params]` range names them.

use super::{err, parse, presets, ConfigError, Result, StrategySpec, PARTS};
use crate::time::{parse_duration, parse_rate, Nanos};
use toml::{Table, Value};

/// What a parameter's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Whole numbers (`max_attempts`, `failures`).
    Whole,
    /// Plain numbers (`rpm`, `headroom`, `ratio`).
    Number,
    /// Durations, held in seconds.
    Duration,
    /// Rates such as `"2/s"`, held per second.
    Rate,
}

/// One searched parameter: where it sits, its unit, its range and scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Dim {
    /// `cap`, `pacer.rpm`.
    pub field: String,
    part: Option<String>,
    key: String,
    pub unit: Unit,
    pub low: f64,
    pub high: f64,
    /// Searched evenly in log(value) rather than in value.
    pub log: bool,
    /// The strategy's own value, when it has one.
    pub default: Option<f64>,
}

/// The searched parameters of one strategy.
#[derive(Clone, Debug)]
pub struct Space {
    table: Table,
    pub dims: Vec<Dim>,
    /// The strategy as written, for its defaults.
    pub base: StrategySpec,
}

/// Top-level delays searched by default.
const DELAYS: &[&str] = &[
    "base",
    "initial",
    "delay",
    "cap",
    "deadline",
    "throttle_base",
];

impl Space {
    /// The default space of `spec`: every parameter it has that
    /// [the module docs](self) list, with its default range.
    pub fn of(spec: &StrategySpec) -> Result<Space> {
        let table = spelled_out(spec)?;
        let mut dims = Vec::new();
        for (field, value) in numeric_values(&table) {
            if let Some(dim) = default_dim(&field, value, spec) {
                dims.push(dim);
            }
        }
        Ok(Space {
            table,
            dims,
            base: spec.clone(),
        })
    }

    /// Only the parameters of `ranges`, each over its `[low, high]` (or its
    /// default range when given `"default"`). Errors name the field.
    pub fn with_ranges(spec: &StrategySpec, ranges: &[(String, Value)]) -> Result<Space> {
        let mut space = Space::of(spec)?;
        let values: Vec<(String, f64, Unit)> = numeric_values(&space.table)
            .into_iter()
            .filter_map(|(f, v)| value_of(v).map(|(x, u)| (f, x, u)))
            .collect();
        let mut dims = Vec::new();
        for (field, range) in ranges {
            let known = values.iter().find(|(f, _, _)| f == field);
            let optional = field == "deadline" && spec.backoff.kind() != "none";
            if known.is_none() && !optional {
                let names: Vec<&str> = values.iter().map(|(f, _, _)| f.as_str()).collect();
                return Err(err(
                    field,
                    format!(
                        "the strategy {:?} has no numeric parameter `{field}`; it has: {}",
                        spec.name,
                        names.join(", ")
                    ),
                ));
            }
            if dims.iter().any(|d: &Dim| &d.field == field) {
                return Err(err(field, "given twice"));
            }
            let default_range = || space.dims.iter().find(|d| &d.field == field).cloned();
            let dim = match range {
                Value::String(s) if s == "default" => default_range().ok_or_else(|| {
                    err(field, "has no default range; give one as [low, high]")
                })?,
                Value::Array(ends) => {
                    let (unit, low, high) = range_of(field, ends)?;
                    let unit = match (known.map(|k| k.2), default_range().map(|d| d.unit)) {
                        (_, Some(d)) if numeric(d) && numeric(unit) => d,
                        (Some(k), _) if numeric(k) && numeric(unit) => {
                            if k == Unit::Whole && unit == Unit::Whole {
                                Unit::Whole
                            } else {
                                Unit::Number
                            }
                        }
                        (Some(k), _) if k != unit => {
                            let v = known.map_or(0.0, |k| k.1);
                            return Err(err(
                                field,
                                format!(
                                    "the range's values must be of the parameter's own kind ({}), like its value {}",
                                    unit_name(k),
                                    show_value(k, v)
                                ),
                            ));
                        }
                        _ => unit,
                    };
                    let (part, key) = split(field);
                    Dim {
                        field: field.clone(),
                        part,
                        key,
                        unit,
                        low,
                        high,
                        log: unit == Unit::Duration && low > 0.0 && high / low >= 4.0,
                        default: known.map(|(_, v, _)| *v),
                    }
                }
                _ => {
                    return Err(err(
                        field,
                        "expected a range [low, high], e.g. [\"1s\", \"30s\"] or [30, 90], or \"default\"",
                    ))
                }
            };
            dims.push(dim);
        }
        space.dims = dims;
        // Reading the strategy at both ends of every range catches a range
        // the strategy cannot take (a negative rpm, a headroom above 1).
        for end in [0.0, 1.0] {
            let values: Vec<f64> = space.dims.iter().map(|d| d.at(end)).collect();
            space.spec_at(&values).map_err(|e| ConfigError {
                field: e.field.clone(),
                message: format!(
                    "{} (at the {} of the [tune.params] ranges)",
                    e.message,
                    if end == 0.0 { "low end" } else { "high end" }
                ),
            })?;
        }
        Ok(space)
    }

    /// The strategy with each searched parameter at `values` (in `dims`
    /// order, already on the grid [`Dim::at`] gives). A cap below a delay it
    /// caps is raised to that delay, so independent draws of both stay valid.
    pub fn spec_at(&self, values: &[f64]) -> Result<StrategySpec> {
        let mut t = self.table.clone();
        for (d, x) in self.dims.iter().zip(values) {
            let target = match &d.part {
                Some(p) => match t.get_mut(p) {
                    Some(Value::Table(inner)) => inner,
                    _ => continue,
                },
                None => &mut t,
            };
            target.insert(d.key.clone(), to_value(d.unit, *x));
        }
        raise_cap(&mut t);
        let mut spec = parse(&Value::Table(t))?;
        spec.name = self.base.name.clone();
        Ok(spec)
    }
}

impl Dim {
    /// The value at `u` in [0, 1] of the range, rounded to what a scenario
    /// would write (three significant digits; whole numbers whole; delays to
    /// the millisecond).
    pub fn at(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let x = if self.log && self.low > 0.0 {
            (self.low.ln() + u * (self.high.ln() - self.low.ln())).exp()
        } else {
            self.low + u * (self.high - self.low)
        };
        let x = match self.unit {
            Unit::Whole => x.round(),
            Unit::Duration => (significant(x, 3) * 1000.0).round() / 1000.0,
            Unit::Number | Unit::Rate => significant(x, 3),
        };
        x.clamp(self.low, self.high)
    }

    /// A value as a scenario writes it: `1.5s`, `59.4`, `3`, `"2/s"`.
    pub fn show(&self, x: f64) -> String {
        show_value(self.unit, x)
    }
}

/// `x` rounded to `digits` significant digits.
fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn show_value(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Whole => format!("{}", x as i64),
        Unit::Number => format!("{x}"),
        Unit::Duration => Nanos((x * 1e9).round() as u64).to_string(),
        Unit::Rate => format!("{x}/s"),
    }
}

fn numeric(u: Unit) -> bool {
    matches!(u, Unit::Whole | Unit::Number)
}

fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Whole => "a whole number",
        Unit::Number => "a number",
        Unit::Duration => "a duration",
        Unit::Rate => "a rate",
    }
}

fn to_value(unit: Unit, x: f64) -> Value {
    match unit {
        Unit::Whole => Value::Integer(x as i64),
        Unit::Number => Value::Float(x),
        Unit::Duration => Value::String(format!("{}ns", (x * 1e9).round() as u64)),
        Unit::Rate => Value::String(format!("{x}/s")),
    }
}

/// `spec` as the table `ratesim strategies` prints: every parameter spelled.
fn spelled_out(spec: &StrategySpec) -> Result<Table> {
    if spec.is_random() {
        return Err(err(
            "",
            "the strategy draws random parameters per client; tune a strategy with fixed values",
        ));
    }
    let text = format!("s = {}", presets::to_toml(spec));
    let mut doc: Table = toml::from_str(&text).map_err(|e| err("", e.to_string()))?;
    match doc.remove("s") {
        Some(Value::Table(t)) => Ok(t),
        _ => Err(err("", "the strategy does not write back as a table")),
    }
}

/// Every (field, value) of the table that could be a number: top-level
/// keys, then each part's, in the table's (sorted) order.
fn numeric_values(table: &Table) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (key, value) in table {
        match (PARTS.contains(&key.as_str()), value) {
            (true, Value::Table(part)) => {
                for (k, v) in part {
                    if value_of(v).is_some() {
                        out.push((format!("{key}.{k}"), v));
                    }
                }
            }
            (false, v) if value_of(v).is_some() => out.push((key.clone(), v)),
            _ => {}
        }
    }
    out
}

/// A value as a number and its unit, if it is one.
fn value_of(v: &Value) -> Option<(f64, Unit)> {
    match v {
        Value::Integer(i) => Some((*i as f64, Unit::Whole)),
        Value::Float(x) => Some((*x, Unit::Number)),
        Value::String(s) if s.contains('/') => parse_rate(s).ok().map(|r| (r, Unit::Rate)),
        Value::String(s) => parse_duration(s)
            .ok()
            .map(|d| (d.as_secs_f64(), Unit::Duration)),
        _ => None,
    }
}

fn split(field: &str) -> (Option<String>, String) {
    match field.split_once('.') {
        Some((p, k)) => (Some(p.to_string()), k.to_string()),
        None => (None, field.to_string()),
    }
}

/// The default range of `field` with value `value`, if it is searched by default.
fn default_dim(field: &str, value: &Value, spec: &StrategySpec) -> Option<Dim> {
    let (v, value_unit) = value_of(value)?;
    let (unit, low, high, log) = match field {
        f if DELAYS.contains(&f) || f == "breaker.cooldown" => {
            (Unit::Duration, v / 4.0, v * 4.0, true)
        }
        "max_attempts" if spec.backoff.kind() != "none" => (
            Unit::Whole,
            1.0,
            (2.0 * v).max(v + 3.0).min(10_000.0),
            false,
        ),
        "pacer.rpm" | "pacer.tpm" => (Unit::Number, v / 2.0, v * 1.5, false),
        "pacer.headroom" => (Unit::Number, 0.5, 1.0, false),
        "budget.ratio" | "breaker.ratio" => (Unit::Number, v / 2.0, (2.0 * v).min(1.0), false),
        "budget.capacity" | "breaker.failures" => {
            (Unit::Whole, (v / 4.0).ceil().max(1.0), v * 4.0, true)
        }
        _ => return None,
    };
    if unit != value_unit && !(unit == Unit::Number && value_unit == Unit::Whole) {
        return None;
    }
    if !(low.is_finite() && high.is_finite() && low <= high && v > 0.0) {
        return None;
    }
    let (part, key) = split(field);
    Some(Dim {
        field: field.to_string(),
        part,
        key,
        unit,
        low,
        high,
        log,
        default: Some(v),
    })
}

/// `[low, high]` of one kind, low <= high.
fn range_of(field: &str, ends: &[Value]) -> Result<(Unit, f64, f64)> {
    let [a, b] = ends else {
        return Err(err(field, "a range takes two values, [low, high]"));
    };
    let (Some((lo, ua)), Some((hi, ub))) = (value_of(a), value_of(b)) else {
        return Err(err(
            field,
            "expected numbers, durations such as \"30s\" or rates such as \"60/min\" in [low, high]",
        ));
    };
    let unit = match (ua, ub) {
        (x, y) if x == y => x,
        (Unit::Whole, Unit::Number) | (Unit::Number, Unit::Whole) => Unit::Number,
        _ => return Err(err(field, "low and high must be of one kind")),
    };
    if !(lo.is_finite() && hi.is_finite()) || lo > hi {
        return Err(err(
            field,
            format!(
                "low ({}) is above high ({})",
                show_value(unit, lo),
                show_value(unit, hi)
            ),
        ));
    }
    Ok((unit, lo, hi))
}

/// A `cap` below one of the delays it caps is raised to the largest of them.
fn raise_cap(t: &mut Table) {
    let secs = |v: Option<&Value>| v.and_then(value_of).map(|(x, _)| x);
    let Some(cap) = secs(t.get("cap")) else {
        return;
    };
    let floor = ["base", "initial", "min", "throttle_base"]
        .iter()
        .filter_map(|k| secs(t.get(*k)))
        .fold(cap, f64::max);
    if floor > cap {
        t.insert("cap".into(), to_value(Unit::Duration, floor));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::presets;

    fn spec(text: &str) -> StrategySpec {
        let t: Table = toml::from_str(&format!("s = {text}")).unwrap();
        parse(&t["s"]).unwrap()
    }

    #[test]
    fn openai_python_searches_its_delays_and_attempts_around_its_values() {
        let space = Space::of(&presets::find("openai-python").unwrap().spec()).unwrap();
        let fields: Vec<&str> = space.dims.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["cap", "initial", "max_attempts"]);
        let cap = &space.dims[0];
        assert_eq!((cap.low, cap.high, cap.default), (2.0, 32.0, Some(8.0)));
        assert_eq!(cap.at(0.5), 8.0, "log scale: the middle is the value");
        assert_eq!((space.dims[2].low, space.dims[2].high), (1.0, 6.0));
        // Every corner reads back, the cap raised where it fell below the delay.
        let s = space.spec_at(&[2.0, 2.0, 6.0]).unwrap();
        assert_eq!(s.retry.max_attempts, 6);
        let s = space.spec_at(&[1.0, 2.0, 1.0]).unwrap();
        assert!(
            presets::to_toml(&s).contains("cap = \"2s\""),
            "{}",
            presets::to_toml(&s)
        );
    }

    #[test]
    fn ranges_name_their_field_when_wrong() {
        let s = spec(r#"{ kind = "full-jitter", pacer = { kind = "token-bucket", rpm = 60 } }"#);
        let ok = Space::with_ranges(
            &s,
            &[(
                "pacer.rpm".into(),
                toml::Value::Array(vec![30.into(), 90.into()]),
            )],
        )
        .unwrap();
        assert_eq!(ok.dims.len(), 1);
        assert_eq!(ok.dims[0].at(0.5), 60.0);
        for (field, value, fragment) in [
            (
                "pacer.rmp",
                toml::Value::Array(vec![1.into(), 2.into()]),
                "no numeric parameter",
            ),
            (
                "pacer.rpm",
                toml::Value::Array(vec![90.into(), 30.into()]),
                "above high",
            ),
            (
                "pacer.rpm",
                toml::Value::Array(vec!["1s".into(), "2s".into()]),
                "own kind",
            ),
            (
                "pacer.rpm",
                toml::Value::Array(vec![(-5).into(), 30.into()]),
                "low end",
            ),
            ("cap", toml::Value::Integer(3), "expected a range"),
        ] {
            let e = Space::with_ranges(&s, &[(field.into(), value)]).unwrap_err();
            assert!(e.field.starts_with(field), "{field}: {e:?}");
            assert!(e.message.contains(fragment), "{field}: {e:?}");
        }
    }
}
