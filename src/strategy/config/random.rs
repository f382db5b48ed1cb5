//! Per-client random parameters: a strategy parameter written as a
//! distribution, `cap = { uniform = ["30s", "34s"] }` or `max_attempts = {
//! choice = [3, 5] }`, is drawn once per client from the client's own stream
//! ([`crate::strategy::StrategySpec::draw`]).
//!
//! A distribution may stand wherever a single number, duration or rate does:
//! a top-level key of the strategy or a key of one of its parts. `uniform`
//! takes `[low, high]` of one type: whole numbers (drawn whole, both ends
//! included), numbers, durations or rates (drawn on [low, high]). `choice`
//! takes a list of values, each equally likely.
//!
//! Validation reads the strategy at every corner of the ranges (each
//! parameter at its low or high end, every option of a choice): the
//! constraints between parameters (a cap at least its base, min <= initial
//! <= max) are all linear, so a strategy valid at every corner is valid at
//! every draw.

use super::fields::duration;
use super::{err, read as read_strategy, Result, PARTS};
use crate::rng::{unit, Rng};
use crate::strategy::StrategySpec;
use crate::time::{parse_rate, Nanos};
use toml::{Table, Value};

/// Most corners validation reads (2^12: twelve ranges).
const MAX_CORNERS: usize = 4096;

/// A strategy with random parameters: the table as written (preset merged)
/// and its distributions.
#[derive(Debug)]
pub struct Random {
    table: Table,
    preset: Option<&'static str>,
    params: Vec<Param>,
}

impl Random {
    pub(crate) fn new(table: Table, preset: Option<&'static str>, params: Vec<Param>) -> Random {
        Random {
            table,
            preset,
            params,
        }
    }

    /// The first random parameter, for errors that must point at one.
    pub(crate) fn first(&self) -> &Param {
        &self.params[0]
    }

    /// One client's strategy: every parameter drawn once, in order.
    pub fn draw(&self, rng: &mut Rng) -> StrategySpec {
        let t = with_values(&self.table, &self.params, draw(&self.params, rng));
        read_strategy(&t, self.preset)
            .expect("a draw lies within the corners validation read (all constraints are linear)")
    }

    /// `cap = { uniform = ["30s", "34s"] }, ...`.
    pub fn describe(&self) -> String {
        let all: Vec<String> = self.params.iter().map(Param::describe).collect();
        all.join(", ")
    }

    /// The strategy as an inline table, distributions included.
    pub fn to_toml(&self, name: &str) -> String {
        let mut t = self.table.clone();
        t.insert("name".into(), Value::String(name.to_string()));
        inline(&Value::Table(t))
    }
}

/// Where a random parameter sits: a top-level key, or a key of a part.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Param {
    part: Option<String>,
    key: String,
    dist: Dist,
    /// The distribution as written, for describe.
    written: Value,
    /// Its ends (or options) as written, for errors.
    shown: Vec<Value>,
}

#[derive(Clone, Debug, PartialEq)]
enum Dist {
    Whole(i64, i64),
    Number(f64, f64),
    Duration(Nanos, Nanos),
    /// Per second.
    Rate(f64, f64),
    Choice(Vec<Value>),
}

impl Param {
    /// The field path errors name (`cap`, `pacer.initial`).
    pub(crate) fn field(&self) -> String {
        match &self.part {
            Some(p) => format!("{p}.{}", self.key),
            None => self.key.clone(),
        }
    }

    /// `cap = { uniform = ["30s", "34s"] }`.
    pub(crate) fn describe(&self) -> String {
        format!("{} = {}", self.field(), inline(&self.written))
    }

    fn ends(&self) -> Vec<Value> {
        match &self.dist {
            Dist::Whole(a, b) => vec![Value::Integer(*a), Value::Integer(*b)],
            Dist::Number(a, b) => vec![Value::Float(*a), Value::Float(*b)],
            Dist::Duration(a, b) => vec![nanos(*a), nanos(*b)],
            Dist::Rate(a, b) => vec![rate(*a), rate(*b)],
            Dist::Choice(options) => options.clone(),
        }
    }

    fn draw(&self, rng: &mut Rng) -> Value {
        let u = unit(rng);
        match &self.dist {
            Dist::Whole(a, b) => {
                let span = (b - a) as f64 + 1.0;
                Value::Integer((a + (u * span) as i64).min(*b))
            }
            Dist::Number(a, b) => Value::Float((a + u * (b - a)).clamp(*a, *b)),
            Dist::Duration(a, b) => nanos(Nanos(a.0 + ((b.0 - a.0) as f64 * u) as u64).min(*b)),
            Dist::Rate(a, b) => rate((a + u * (b - a)).clamp(*a, *b)),
            Dist::Choice(options) => {
                options[((u * options.len() as f64) as usize).min(options.len() - 1)].clone()
            }
        }
    }
}

fn nanos(d: Nanos) -> Value {
    Value::String(format!("{}ns", d.0))
}

fn rate(per_sec: f64) -> Value {
    Value::String(format!("{per_sec}/s"))
}

/// The random parameters of a (merged) strategy table, in a fixed order:
/// top-level keys, then each part's, each sorted by key.
pub(crate) fn find(table: &Table) -> Result<Vec<Param>> {
    let mut found = Vec::new();
    for (key, value) in table {
        match (PARTS.contains(&key.as_str()), value) {
            (true, Value::Table(part)) => {
                for (k, v) in part {
                    if let Value::Table(t) = v {
                        found.push(read(Some(key), k, t)?);
                    }
                }
            }
            (false, Value::Table(t)) => found.push(read(None, key, t)?),
            _ => {}
        }
    }
    Ok(found)
}

fn read(part: Option<&str>, key: &str, t: &Table) -> Result<Param> {
    let field = match part {
        Some(p) => format!("{p}.{key}"),
        None => key.to_string(),
    };
    let shape = || {
        err(
            &field,
            "expected a value, or a distribution drawn once per client: \
             { uniform = [low, high] } or { choice = [a, b, ...] }",
        )
    };
    let (name, list) = match t.iter().next() {
        Some((name, Value::Array(list))) if t.len() == 1 => (name.as_str(), list),
        _ => return Err(shape()),
    };
    let at = format!("{field}.{name}");
    let dist = match name {
        "choice" if !list.is_empty() => Dist::Choice(list.clone()),
        "choice" => return Err(err(&at, "a choice needs at least one value")),
        "uniform" => uniform(list, &at)?,
        _ => return Err(shape()),
    };
    Ok(Param {
        part: part.map(str::to_string),
        key: key.to_string(),
        dist,
        written: Value::Table(t.clone()),
        shown: list.clone(),
    })
}

fn uniform(list: &[Value], at: &str) -> Result<Dist> {
    let [low, high] = list else {
        return Err(err(at, "uniform takes two values, [low, high]"));
    };
    let dist = match (low, high) {
        (Value::Integer(a), Value::Integer(b)) => Dist::Whole(*a, *b),
        (Value::Integer(_) | Value::Float(_), Value::Integer(_) | Value::Float(_)) => {
            let f = |v: &Value| v.as_float().or(v.as_integer().map(|i| i as f64)).unwrap();
            Dist::Number(f(low), f(high))
        }
        (Value::String(a), Value::String(b)) if a.contains('/') || b.contains('/') => {
            let r = |s: &str| parse_rate(s).map_err(|e| err(at, format!("{e} (got {s:?})")));
            Dist::Rate(r(a)?, r(b)?)
        }
        (Value::String(_), Value::String(_)) => Dist::Duration(duration(low, at)?, duration(high, at)?),
        _ => {
            return Err(err(
                at,
                format!(
                    "low and high must be of one type (numbers, durations such as \"30s\", or rates such as \"60/min\"), got {} and {}",
                    low.type_str(),
                    high.type_str()
                ),
            ))
        }
    };
    let ordered = match &dist {
        Dist::Whole(a, b) => a <= b,
        Dist::Number(a, b) | Dist::Rate(a, b) => a <= b && a.is_finite() && b.is_finite(),
        Dist::Duration(a, b) => a <= b,
        Dist::Choice(_) => true,
    };
    if !ordered {
        return Err(err(
            at,
            format!("low ({}) is above high ({})", inline(low), inline(high)),
        ));
    }
    Ok(dist)
}

/// `table` with each parameter set to its value in `values`.
pub(crate) fn with_values(table: &Table, params: &[Param], values: Vec<Value>) -> Table {
    let mut t = table.clone();
    for (p, v) in params.iter().zip(values) {
        let target = match &p.part {
            Some(part) => match t.get_mut(part) {
                Some(Value::Table(inner)) => inner,
                _ => continue,
            },
            None => &mut t,
        };
        target.insert(p.key.clone(), v);
    }
    t
}

/// One draw of every parameter, in order, from `rng`.
pub(crate) fn draw(params: &[Param], rng: &mut Rng) -> Vec<Value> {
    params.iter().map(|p| p.draw(rng)).collect()
}

/// Every corner: each parameter at each of its ends (or options), with a
/// label naming the values.
pub(crate) fn corners(params: &[Param]) -> Result<Vec<(String, Vec<Value>)>> {
    let ends: Vec<Vec<Value>> = params.iter().map(Param::ends).collect();
    let count = ends.iter().try_fold(1usize, |n, e| {
        n.checked_mul(e.len()).filter(|n| *n <= MAX_CORNERS)
    });
    let Some(count) = count else {
        return Err(err(
            &params[0].field(),
            format!(
                "these random parameters combine into more than {MAX_CORNERS} corners to check; draw fewer, or give choices fewer options"
            ),
        ));
    };
    Ok((0..count)
        .map(|mut i| {
            let mut values = Vec::with_capacity(ends.len());
            let mut label = Vec::new();
            for (p, e) in params.iter().zip(&ends) {
                let at = i % e.len();
                i /= e.len();
                label.push(format!("{} = {}", p.field(), inline(&p.shown[at])));
                values.push(e[at].clone());
            }
            (label.join(", "), values)
        })
        .collect())
}

/// A value as inline TOML.
pub(crate) fn inline(v: &Value) -> String {
    match v {
        Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), inline(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse, parse_random};
    use crate::rng::{stream, unit, Purpose};
    use crate::strategy::StrategySpec;
    use crate::time::Nanos;

    fn random(text: &str) -> super::super::Result<StrategySpec> {
        let t: toml::Table = toml::from_str(&format!("s = {text}")).unwrap();
        parse_random(&t["s"])
    }

    #[test]
    fn each_client_draws_its_cap_once_from_its_own_stream() {
        let spec =
            random(r#"{ preset = "unlimited-backoff", cap = { uniform = ["30s", "34s"] } }"#)
                .unwrap();
        assert!(spec.is_random());
        let caps: Vec<Nanos> = (0..200)
            .map(|client| {
                let mut rng = stream(9, &format!("g/{client}"), Purpose::Strategy);
                let drawn = spec.draw(&mut rng);
                assert!(!drawn.is_random());
                assert_eq!(drawn.name, "unlimited-backoff");
                drawn.backoff.range(20).1
            })
            .collect();
        assert!(caps
            .iter()
            .all(|c| (Nanos::from_secs(30)..=Nanos::from_secs(34)).contains(c)));
        // Spread over the range, and the same stream draws the same cap.
        assert!(caps.iter().any(|c| *c < Nanos::from_secs(31)));
        assert!(caps.iter().any(|c| *c > Nanos::from_secs(33)));
        let again = spec
            .draw(&mut stream(9, "g/0", Purpose::Strategy))
            .backoff
            .range(20)
            .1;
        assert_eq!(again, caps[0]);
    }

    #[test]
    fn a_spec_without_random_parameters_draws_itself_and_consumes_nothing() {
        let spec = random(r#""aws-standard""#).unwrap();
        assert!(!spec.is_random());
        let mut used = stream(4, "g", Purpose::Strategy);
        let drawn = spec.draw(&mut used);
        let mut fresh = stream(4, "g", Purpose::Strategy);
        assert_eq!(unit(&mut used), unit(&mut fresh), "no draw consumed");
        assert_eq!(
            crate::strategy::presets::to_toml(&drawn),
            crate::strategy::presets::to_toml(&spec)
        );
    }

    #[test]
    fn whole_numbers_rates_and_choices_draw_within_their_ranges() {
        let spec = random(
            r#"{ kind = "immediate", max_attempts = { uniform = [2, 4] }, pacer = { kind = "adaptive-bucket", initial = { uniform = ["30/min", "2/s"] }, decrease = { choice = [0.5, 0.7] } } }"#,
        )
        .unwrap();
        let mut seen_attempts = [false; 5];
        let mut rng = stream(1, "g", Purpose::Strategy);
        for _ in 0..300 {
            let s = spec.draw(&mut rng);
            seen_attempts[s.retry.max_attempts as usize] = true;
            let pacer = s.pacer.unwrap().describe();
            assert!(
                pacer.contains("decrease = 0.5") || pacer.contains("decrease = 0.7"),
                "{pacer}"
            );
        }
        assert_eq!(
            seen_attempts,
            [false, false, true, true, true],
            "2, 3 and 4, both ends"
        );
        // Describe and to_toml show the distributions; to_toml reads back.
        let shown = crate::strategy::presets::describe_spec(&spec);
        assert!(
            shown.contains(r#"max_attempts = { uniform = [2, 4] }"#),
            "{shown}"
        );
        let text = crate::strategy::presets::to_toml(&spec);
        let again = random(&text).unwrap();
        assert_eq!(crate::strategy::presets::to_toml(&again), text);
    }

    #[test]
    fn bad_distributions_and_corners_name_their_field() {
        for (text, field, fragment) in [
            (
                r#"{ kind = "full-jitter", cap = { uniform = ["34s", "30s"] } }"#,
                "cap.uniform",
                "above high",
            ),
            (
                r#"{ kind = "full-jitter", cap = { uniform = ["30s"] } }"#,
                "cap.uniform",
                "two values",
            ),
            (
                r#"{ kind = "full-jitter", cap = { uniform = ["30s", 4] } }"#,
                "cap.uniform",
                "one type",
            ),
            (
                r#"{ kind = "full-jitter", cap = { normal = ["30s", "1s"] } }"#,
                "cap",
                "uniform = [low, high]",
            ),
            (
                r#"{ kind = "full-jitter", cap = { choice = [] } }"#,
                "cap.choice",
                "at least one",
            ),
            (
                r#"{ kind = "full-jitter", base = { uniform = ["1s", "90s"] } }"#,
                "cap",
                "with base = \"90s\"",
            ),
            (
                r#"{ kind = "full-jitter", max_attempts = { uniform = [1.5, 3] } }"#,
                "max_attempts",
                "whole number",
            ),
            (
                r#"{ kind = "full-jitter", pacer = { kind = "aimd", initial = { uniform = ["1/s", "2/min"] } } }"#,
                "pacer.initial.uniform",
                "above high",
            ),
        ] {
            let e = random(text).expect_err(text);
            assert_eq!(e.field, field, "{text}: {e:?}");
            assert!(e.message.contains(fragment), "{text}: {e:?}");
        }
        // Valid, but refused where one client stands for the group.
        let t: toml::Table = toml::from_str(
            r#"s = { preset = "atb", pacer = { capacity = { uniform = [20, 40] } } }"#,
        )
        .unwrap();
        let e = parse(&t["s"]).unwrap_err();
        assert_eq!(e.field, "pacer.capacity");
        assert!(e.message.contains("clients"), "{e:?}");
    }
}
