//! `--export-json FILE`: the summary of a run, a comparison or a plan as one
//! JSON document, for scripts and CI (hyperfine's convention).
//!
//! Every figure is the one the CSVs and the terminal show, under the CSV
//! column names, which carry their units (`_s`, `_rpm`, `_share`). A figure
//! that has no finite value (a p99 never reached) is `null`. The schema is
//! documented in docs/outputs.md and versioned by `schema`.

use super::summary::{metric_values, METRICS};
use crate::compare::Comparison;
use crate::outcome::{GroupStats, Outcome};
use crate::plan::{PlanResult, Scope};
use crate::scenario::Scenario;
use crate::stats::Estimate;
use serde_json::{json, Map, Value};

/// Bumped when a key changes meaning or goes away.
pub const SCHEMA: u32 = 1;

fn number(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

fn metrics(s: &GroupStats, minutes: f64) -> Map<String, Value> {
    METRICS
        .iter()
        .zip(metric_values(s, minutes))
        .map(|((name, _), v)| (name.to_string(), number(v)))
        .collect()
}

fn header(sc: &Scenario, command: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("schema".into(), json!(SCHEMA));
    m.insert("ratesim_version".into(), json!(env!("CARGO_PKG_VERSION")));
    m.insert("command".into(), json!(command));
    m.insert("scenario".into(), json!(sc.name));
    m.insert("policy_preset".into(), json!(sc.policy.preset));
    m
}

fn bytes(v: Map<String, Value>) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(&Value::Object(v)).expect("JSON serialises");
    out.push(b'\n');
    out
}

/// One run: every summary.csv figure per group and in total.
pub fn run_json(sc: &Scenario, o: &Outcome) -> Vec<u8> {
    let minutes = o.horizon.as_secs_f64() / 60.0;
    let mut m = header(sc, "run");
    m.insert("seed".into(), json!(o.seed));
    m.insert("simulated_s".into(), json!(o.horizon.as_secs_f64()));
    m.insert("events".into(), json!(o.events));
    let groups: Vec<Value> = sc
        .groups
        .iter()
        .zip(&o.groups)
        .enumerate()
        .map(|(i, (g, s))| {
            let mut v = metrics(s, minutes);
            recovery(&mut v, o, Some(i));
            v.insert("group".into(), json!(g.name));
            v.insert("strategy".into(), json!(g.strategy.name));
            Value::Object(v)
        })
        .collect();
    m.insert("groups".into(), Value::Array(groups));
    let mut total = metrics(&o.total, minutes);
    recovery(&mut total, o, None);
    m.insert("total".into(), Value::Object(total));
    bytes(m)
}

/// summary.csv's recovery columns: `null` seconds when there was no
/// trigger or no recovery, an empty mechanism when goodput never dropped.
fn recovery(v: &mut Map<String, Value>, o: &Outcome, group: Option<usize>) {
    let r = o.recovery(group);
    v.insert(
        "recovery_s".into(),
        number(r.map_or(f64::NAN, |r| r.recovery_s())),
    );
    v.insert(
        "recovery_mechanism".into(),
        json!(r.and_then(|r| r.mechanism).map_or("", |m| m.label())),
    );
}

fn estimate(e: &Estimate) -> Value {
    json!({ "mean": number(e.mean), "ci95": number(e.half_width) })
}

/// A comparison: per strategy, the mean and 95% half-width of every figure.
pub fn compare_json(sc: &Scenario, c: &Comparison) -> Vec<u8> {
    let mut m = header(sc, "compare");
    m.insert("seed".into(), json!(c.plan.base_seed));
    m.insert("replications".into(), json!(c.plan.replications));
    let strategies: Vec<Value> = (0..c.plan.strategies.len())
        .map(|s| {
            let est = super::compare::estimates(c, s);
            let mut v: Map<String, Value> = METRICS
                .iter()
                .zip(&est)
                .map(|((name, _), e)| (name.to_string(), estimate(e)))
                .collect();
            v.insert("strategy".into(), json!(c.plan.strategies[s].name));
            Value::Object(v)
        })
        .collect();
    m.insert("strategies".into(), Value::Array(strategies));
    bytes(m)
}

/// A plan: the objective, and per scope its break point (× today's load)
/// with its interval, what breaks it, and whether today's load meets the
/// objective in every replication.
pub fn plan_json(sc: &Scenario, res: &PlanResult) -> Vec<u8> {
    let mut m = header(sc, "plan");
    m.insert("seed".into(), json!(res.settings.base_seed));
    m.insert("replications".into(), json!(res.settings.replications));
    m.insert(
        "objective".into(),
        json!(res.settings.objective.to_string()),
    );
    m.insert("meets_objective_today".into(), json!(res.meets_today()));
    let scopes: Vec<Value> = std::iter::once(Scope::All)
        .chain(res.models.iter().map(|&m| Scope::Model(m)))
        .map(|scope| {
            let bp = res.breakpoint(scope);
            json!({
                "scope": scope.name(sc),
                "break_point_factor": estimate(&bp.estimate),
                "below_sweep": bp.below_sweep(),
                "above_sweep": bp.above_sweep(),
                "binding_limit": res.binding(scope).label(),
                "mechanism": res.mechanism(sc, scope).map(|m| m.describe()),
            })
        })
        .collect();
    m.insert("scopes".into(), Value::Array(scopes));
    bytes(m)
}
