//! The answers read off the simulations: [`PlanResult`] (everything
//! `ratesim plan` ran) and its methods, what binds ([`Binding`]) and what
//! breaks a scope ([`Mechanism`]).

use super::{BreakPoint, Date, Objective, Point, Scope, ScopeStats, Settings, Sweep, Term};
use crate::policy::{LimitSpec, ModelId};
use crate::response::{Cause, CAUSES};
use crate::scenario::Scenario;
use crate::service::Outage;
use std::collections::{BTreeMap, BTreeSet};

/// Which of a scope's own limits refuses first as the load grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    Limit(LimitSpec),
    Neither,
}

impl Binding {
    pub fn label(self) -> String {
        match self {
            Binding::Limit(l) => l.label(),
            Binding::Neither => "neither".to_string(),
        }
    }

    pub fn is_tokens(self) -> bool {
        matches!(self, Binding::Limit(l) if l.counts == crate::policy::Counts::Tokens)
    }
}

/// What makes a scope break its objective, read off the run at the first
/// load that broke it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mechanism {
    /// One of the scope's own limits refused most of the failed attempts.
    Limit(String),
    /// The abuse lockout of a key the scope uses: `groups` are the client
    /// groups whose counted failures tripped it.
    Lockout { key: String, groups: Vec<String> },
    /// The model answered overloaded.
    Overload,
    /// 500/503 faults or outages.
    Faults,
    /// Slow answers or give-ups with no refusal or fault behind them.
    Latency,
}

impl Mechanism {
    pub fn describe(&self) -> String {
        match self {
            Mechanism::Limit(l) => format!("its {l} limit"),
            Mechanism::Lockout { key, groups } => format!(
                "abuse lockout of key {key}, tripped by the failures of {}",
                groups.join(", ")
            ),
            Mechanism::Overload => "model overload".to_string(),
            Mechanism::Faults => "5xx faults".to_string(),
            Mechanism::Latency => "slow answers".to_string(),
        }
    }

    /// Whether pacing the scope's own requests below its limits can avoid it.
    pub fn pacing_helps(&self) -> bool {
        matches!(self, Mechanism::Limit(_))
    }
}

/// The mechanism behind `scope`'s failures in `p`.
fn mechanism_at(sc: &Scenario, p: &Point, scope: Scope) -> Mechanism {
    let st = p.scope(scope);
    let limit_429 = st.rejected[Cause::Requests.index()]
        + st.rejected[Cause::RequestsPerDay.index()]
        + st.rejected[Cause::Tokens.index()];
    let lockout_429 = st.rejected[Cause::Lockout.index()];
    let overload = st.rejected[Cause::Overloaded.index()];
    let biggest = limit_429.max(lockout_429).max(overload).max(st.errors_5xx);
    if biggest == 0 {
        return Mechanism::Latency;
    }
    if lockout_429 == biggest {
        // The key the scope uses that was locked longest, and who locked it.
        let key = st
            .keys
            .iter()
            .copied()
            .max_by_key(|&k| {
                p.lockouts
                    .iter()
                    .filter(|b| b.key == k)
                    .map(|b| b.length().0)
                    .sum::<u64>()
            })
            .expect("a lockout refusal comes from a key the scope uses");
        let groups: BTreeSet<u32> = p
            .lockouts
            .iter()
            .filter(|b| b.key == key)
            .flat_map(|b| b.groups.iter().copied())
            .collect();
        return Mechanism::Lockout {
            key: sc
                .keys
                .get(key as usize)
                .cloned()
                .unwrap_or_else(|| key.to_string()),
            groups: groups
                .into_iter()
                .map(|g| sc.groups[g as usize].name.clone())
                .collect(),
        };
    }
    if limit_429 == biggest {
        let limit = p
            .limits
            .iter()
            .filter(|l| match scope {
                Scope::All => true,
                Scope::Model(m) => l.model == m,
            })
            .max_by_key(|l| l.refused)
            .map(|l| l.limit.label())
            .unwrap_or_else(|| "rate".to_string());
        return Mechanism::Limit(limit);
    }
    if overload == biggest {
        Mechanism::Overload
    } else {
        Mechanism::Faults
    }
}

/// Everything `ratesim plan` simulated.
#[derive(Clone, Debug)]
pub struct PlanResult {
    pub settings: Settings,
    /// Models that saw traffic, in model order.
    pub models: Vec<ModelId>,
    /// The scenario as configured: goals are the objective overall, the
    /// objective per model, then "no 429 at all" per model (pacing).
    pub main: Sweep,
    /// One sweep per candidate strategy, goal: the objective overall.
    pub candidates: Vec<Sweep>,
    /// Today's load with an injected 503 outage, one point per replication.
    pub outage: Vec<Point>,
    /// The injected outage of the lockout check.
    pub outage_window: Outage,
    /// At the projected load, every limit times k: (k, points by replication).
    pub limits: Vec<(u32, Vec<Point>)>,
    /// When some model breaks by an abuse lockout of a shared key: the
    /// scenario with every group on a key of its own, swept for the
    /// objective per model.
    pub own_keys: Option<Sweep>,
}

impl PlanResult {
    /// The main sweep's break point of `scope` under the objective.
    pub fn breakpoint(&self, scope: Scope) -> &BreakPoint {
        self.main
            .breakpoints
            .iter()
            .find(|b| b.goal.scope == scope && b.goal.objective == self.settings.objective)
            .expect("every scope has a goal")
    }

    /// The largest factor with no 429 at all for model `m`.
    pub fn zero_429(&self, m: ModelId) -> &BreakPoint {
        self.main
            .breakpoints
            .iter()
            .find(|b| b.goal.scope == Scope::Model(m) && b.goal.objective == no_429())
            .expect("every model has a pacing goal")
    }

    /// Whether today's load (factor 1) meets the objective for all traffic
    /// in every replication (what `plan --check` gates on).
    pub fn meets_today(&self) -> bool {
        self.today()
            .iter()
            .all(|p| self.settings.objective.meets(&p.all.measured()))
    }

    /// Today's points (factor 1), by replication.
    pub fn today(&self) -> Vec<&Point> {
        self.main.at(1.0)
    }

    /// Which limit binds first for `scope`: at the smallest grid factor
    /// where any of the scope's own limits refuses an attempt (over all
    /// replications), the limit that refused most; neither when none does in
    /// the sweep. Looking at the limits' own refusals rather than at the
    /// break point keeps the answer about the model's limits when something
    /// else (an abuse lockout caused by other traffic on the key) breaks it
    /// first; [`PlanResult::mechanisms`] says what does.
    pub fn binding(&self, scope: Scope) -> Binding {
        for &f in &self.settings.factors {
            let mut refused: Vec<(LimitSpec, u64)> = Vec::new();
            for p in self.main.at(f) {
                for l in &p.limits {
                    if matches!(scope, Scope::Model(m) if m != l.model) || l.refused == 0 {
                        continue;
                    }
                    match refused.iter_mut().find(|(s, _)| *s == l.limit) {
                        Some((_, n)) => *n += l.refused,
                        None => refused.push((l.limit, l.refused)),
                    }
                }
            }
            if let Some((limit, _)) = refused.iter().max_by_key(|(_, n)| *n) {
                return Binding::Limit(*limit);
            }
        }
        Binding::Neither
    }

    /// What breaks `scope`'s objective, with how many replications showed
    /// it at their first breaking factor, most frequent first.
    pub fn mechanisms(&self, sc: &Scenario, scope: Scope) -> Vec<(Mechanism, usize)> {
        let bp = self.breakpoint(scope);
        let mut counts: BTreeMap<Mechanism, usize> = BTreeMap::new();
        for (r, s) in bp.searches.iter().enumerate() {
            let Some(p) = s.broke.and_then(|f| self.main.point(f, r as u32)) else {
                continue;
            };
            *counts.entry(mechanism_at(sc, p, scope)).or_default() += 1;
        }
        let mut v: Vec<(Mechanism, usize)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The main mechanism of `scope`'s break (None when it never breaks in
    /// the sweep).
    pub fn mechanism(&self, sc: &Scenario, scope: Scope) -> Option<Mechanism> {
        self.mechanisms(sc, scope)
            .into_iter()
            .next()
            .map(|(m, _)| m)
    }

    /// What stops `scope` from reaching zero 429s (the pacing goal) at its
    /// first breaking factor, most frequent over replications.
    pub fn pacing_mechanism(&self, sc: &Scenario, m: ModelId) -> Option<Mechanism> {
        let z = self.zero_429(m);
        let mut counts: BTreeMap<Mechanism, usize> = BTreeMap::new();
        for (r, s) in z.searches.iter().enumerate() {
            if let Some(p) = s.broke.and_then(|f| self.main.point(f, r as u32)) {
                *counts
                    .entry(mechanism_at(sc, p, Scope::Model(m)))
                    .or_default() += 1;
            }
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(m, _)| m)
    }

    /// The break point of `scope` with every group on its own key, when that
    /// sweep ran.
    pub fn own_keys_breakpoint(&self, scope: Scope) -> Option<&BreakPoint> {
        self.own_keys
            .as_ref()?
            .breakpoints
            .iter()
            .find(|b| b.goal.scope == scope)
    }

    /// What goes wrong first for `scope`, with how many replications showed
    /// it at their first breaking factor: the objective's terms, and the
    /// abuse lockout when it appeared there but not at the factor that held.
    pub fn symptoms(&self, scope: Scope) -> Vec<(String, usize)> {
        let bp = self.breakpoint(scope);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (r, s) in bp.searches.iter().enumerate() {
            let Some(broke) = s.broke else { continue };
            let Some(p) = self.main.point(broke, r as u32) else {
                continue;
            };
            let st = p.scope(scope);
            for t in self.settings.objective.broken(&st.measured()) {
                let text = match t {
                    Term::Share429 => format!("429 share ({})", main_cause(&st)),
                    other => other.symptom().to_string(),
                };
                *counts.entry(text).or_default() += 1;
            }
            let before = s
                .held
                .and_then(|h| self.main.point(h, r as u32))
                .map_or(0.0, |p| p.scope(scope).locked_out_s);
            if st.locked_out_s > 0.0 && before == 0.0 {
                *counts.entry("abuse lockout".to_string()).or_default() += 1;
            }
        }
        let mut v: Vec<(String, usize)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The smallest limit multiple at which `scope` meets the objective at
    /// the projected load in every replication (1 when its break point
    /// already covers the projection; None when no multiple tried does).
    pub fn limit_multiple(&self, scope: Scope) -> Option<u32> {
        let projected = self.settings.projected_factor();
        let bp = self.breakpoint(scope);
        if bp.searches.iter().all(|s| s.value() >= projected) {
            return Some(1);
        }
        self.limits
            .iter()
            .find(|(_, pts)| {
                pts.iter()
                    .all(|p| self.settings.objective.meets(&p.scope(scope).measured()))
            })
            .map(|(k, _)| *k)
    }

    /// Mean over replications of `f` of today's scope stats.
    pub fn today_mean(&self, scope: Scope, f: impl Fn(&ScopeStats) -> f64) -> f64 {
        let pts = self.today();
        pts.iter().map(|p| f(&p.scope(scope))).sum::<f64>() / pts.len().max(1) as f64
    }

    /// Mean utilisation today of each limit of model `m` (busiest key).
    pub fn utilisation_today(&self, m: ModelId) -> Vec<(LimitSpec, f64)> {
        let pts = self.today();
        let mut out: Vec<(LimitSpec, f64)> = Vec::new();
        for p in &pts {
            for l in p.limits.iter().filter(|l| l.model == m) {
                match out.iter_mut().find(|(s, _)| *s == l.limit) {
                    Some((_, u)) => *u += l.utilisation,
                    None => out.push((l.limit, l.utilisation)),
                }
            }
        }
        for (_, u) in &mut out {
            *u /= pts.len().max(1) as f64;
        }
        out
    }

    /// The date load crosses break point factor `bp` at the settings'
    /// growth: None when it never does (no growth); the start date when
    /// today's load is already past it.
    pub fn crossing(&self, bp: f64) -> Option<(f64, Date)> {
        let g = self.settings.growth;
        if bp < 1.0 || bp == 0.0 {
            return Some((0.0, self.settings.start_date));
        }
        if g <= 0.0 {
            return None;
        }
        let months = bp.ln() / (1.0 + g).ln();
        Some((months, self.settings.start_date.plus_months(months)))
    }
}

/// The cause of most of a scope's 429s, in words.
fn main_cause(s: &ScopeStats) -> &'static str {
    let i = (0..CAUSES)
        .max_by_key(|&i| (s.rejected[i], CAUSES - i))
        .expect("causes exist");
    match Cause::ALL[i] {
        Cause::Requests => "mostly RPM",
        Cause::RequestsPerDay => "mostly RPD",
        Cause::Tokens => "mostly TPM",
        Cause::Lockout => "mostly abuse lockout",
        Cause::Overloaded => "mostly overload",
        Cause::Concurrency => "mostly the concurrency limit",
    }
}

/// The pacing goal: no 429 of any cause.
pub fn no_429() -> Objective {
    Objective {
        max_share_429: Some(0.0),
        max_p99: None,
        max_gave_up: None,
    }
}
