//! What the plan keeps of one simulated run: a [`Point`] (one load factor,
//! one replication) with its [`ScopeStats`] per [`Scope`] and [`LimitUse`]
//! per limit, and [`simulate_at`] / [`point_of`] that produce it.

use super::Measured;
use crate::experiment::{self, ExperimentError, Variant};
use crate::outcome::{GroupStats, LockoutBlock, Outcome, TimeSeries};
use crate::policy::{KeyId, LimitSpec, ModelId};
use crate::response::CAUSES;
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// What one scope (all traffic, or one model's requests) measured in a run,
/// read from the engine's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScopeStats {
    pub arrivals: u64,
    pub attempts: u64,
    pub succeeded: u64,
    /// Given up or refused by the client.
    pub gave_up: u64,
    pub unservable: u64,
    pub in_flight: u64,
    /// 429s by cause, indexed like [`Cause::ALL`](crate::response::Cause::ALL).
    pub rejected: [u64; CAUSES],
    pub errors_5xx: u64,
    /// Input + output tokens of successful requests.
    pub tokens: u64,
    pub p50_s: f64,
    pub p99_s: f64,
    /// Time the scope's keys were locked out (summed over keys).
    pub locked_out_s: f64,
    /// Keys the scope's requests used.
    pub keys: Vec<KeyId>,
}

impl ScopeStats {
    fn of(s: &GroupStats, keys: Vec<KeyId>) -> ScopeStats {
        ScopeStats {
            arrivals: s.arrivals,
            attempts: s.attempts,
            succeeded: s.succeeded,
            gave_up: s.gave_up_total() + s.refused_total(),
            unservable: s.unservable,
            in_flight: s.in_flight,
            rejected: s.rejected,
            errors_5xx: s.errors_5xx,
            tokens: s.tokens_in + s.tokens_out,
            p50_s: s.completion_quantile(0.5),
            p99_s: s.completion_quantile(0.99),
            locked_out_s: s.locked_out.as_secs_f64(),
            keys,
        }
    }

    pub fn share_429(&self) -> f64 {
        ratio(self.rejected.iter().sum(), self.attempts)
    }

    pub fn gave_up_share(&self) -> f64 {
        ratio(self.gave_up, self.arrivals)
    }

    pub fn measured(&self) -> Measured {
        Measured {
            share_429: self.share_429(),
            p99_s: self.p99_s,
            gave_up_share: self.gave_up_share(),
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Utilisation of one limit of one model in a run: admitted / capacity of
/// the busiest key.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitUse {
    pub model: ModelId,
    pub limit: LimitSpec,
    pub utilisation: f64,
    /// Attempts the limit refused, over all keys.
    pub refused: u64,
    /// Keys that sent to the model.
    pub keys: u32,
    /// The busiest key's busiest minutes: the 95th percentile and the
    /// maximum over the run's minutes of admitted / the limit's amount per
    /// minute. None for limits of more than a minute, or when the series'
    /// interval does not divide a minute.
    pub minutes: Option<(f64, f64)>,
}

/// The (p95, max) per-minute utilisation of `u` from its pair's series.
fn busiest_minutes(o: &Outcome, u: &crate::policy::limiter::LimitStats) -> Option<(f64, f64)> {
    let interval = o.pair_series.interval.0;
    if u.limit.window > crate::time::Nanos::MINUTE || 60_000_000_000 % interval != 0 {
        return None;
    }
    let i = o
        .pairs
        .iter()
        .position(|p| p.key == u.key && p.model == u.model)?;
    let per_minute = u.limit.amount as f64 * 6e10 / u.limit.window.0 as f64;
    let mut minutes: Vec<f64> = o.pair_series.rows[i]
        .chunks((60_000_000_000 / interval) as usize)
        .map(|c| {
            let admitted: f64 = c
                .iter()
                .map(|s| match u.limit.counts {
                    crate::policy::Counts::Requests => f64::from(TimeSeries::admitted(s)),
                    crate::policy::Counts::Tokens => s.tokens_admitted as f64,
                })
                .sum();
            admitted / per_minute
        })
        .collect();
    if minutes.is_empty() {
        return None;
    }
    minutes.sort_by(f64::total_cmp);
    let p95 = minutes[((minutes.len() as f64 * 0.95).ceil() as usize).clamp(1, minutes.len()) - 1];
    Some((p95, minutes[minutes.len() - 1]))
}

/// One simulated point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub factor: f64,
    pub replication: u32,
    pub seed: u64,
    pub all: ScopeStats,
    pub models: BTreeMap<ModelId, ScopeStats>,
    pub limits: Vec<LimitUse>,
    /// Seconds each key (by name) was locked out.
    pub key_lockout_s: Vec<(String, f64)>,
    /// Every lockout block of the run, with the groups that tripped it.
    pub lockouts: Vec<LockoutBlock>,
    pub events: u64,
}

impl Point {
    /// The stats of `scope` (zero when the model saw no request).
    pub fn scope(&self, scope: Scope) -> ScopeStats {
        match scope {
            Scope::All => self.all.clone(),
            Scope::Model(m) => self.models.get(&m).cloned().unwrap_or_default(),
        }
    }
}

/// All traffic, or one model's requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    All,
    Model(ModelId),
}

impl Scope {
    pub fn name(self, sc: &Scenario) -> String {
        match self {
            Scope::All => "all".to_string(),
            Scope::Model(m) => sc.policy.models[m as usize].id.clone(),
        }
    }
}

/// Simulates `scenario` at load `factor` with `seed` (one point of a sweep).
pub fn simulate_at(
    scenario: &Scenario,
    factor: f64,
    replication: u32,
    seed: u64,
) -> Result<Point, ExperimentError> {
    let variant = Variant::of(scenario).scaled(factor);
    let o = experiment::simulate_alone(&variant, seed)?;
    Ok(point_of(factor, replication, seed, o))
}

/// What the plan keeps of one run at load `factor`.
pub fn point_of(factor: f64, replication: u32, seed: u64, o: Outcome) -> Point {
    let models = o
        .models()
        .into_iter()
        .map(|m| (m, ScopeStats::of(&o.model_stats(m), o.keys_of(m))))
        .collect::<BTreeMap<_, _>>();
    let all = ScopeStats::of(&o.total, (0..o.keys.len() as KeyId).collect());
    let mut limits: Vec<LimitUse> = Vec::new();
    for u in &o.limits {
        let util = u.utilisation();
        let minutes = busiest_minutes(&o, u);
        match limits
            .iter_mut()
            .find(|l| l.model == u.model && l.limit == u.limit)
        {
            Some(l) => {
                l.utilisation = l.utilisation.max(util);
                l.refused += u.refused;
                l.keys += 1;
                l.minutes = match (l.minutes, minutes) {
                    (Some(a), Some(b)) => Some((a.0.max(b.0), a.1.max(b.1))),
                    (a, b) => a.or(b),
                };
            }
            None => limits.push(LimitUse {
                model: u.model,
                limit: u.limit,
                utilisation: util,
                refused: u.refused,
                keys: 1,
                minutes,
            }),
        }
    }
    limits.sort_by_key(|l| (l.model, l.limit.counts, l.limit.window));
    Point {
        factor,
        replication,
        seed,
        all,
        models,
        limits,
        key_lockout_s: (0..o.keys.len())
            .map(|k| {
                let s = o.locked_out(std::iter::once(k as KeyId)).as_secs_f64();
                (o.keys[k].clone(), s)
            })
            .collect(),
        lockouts: o.lockouts,
        events: o.events,
    }
}
