//! The plan's settings: [`Settings`] (the `[plan]` table over the
//! defaults), the default load factors, candidate strategies and the limit
//! multiples tried for "what limits would meet the objective".

use super::Date;
use super::Objective;
use crate::scenario::Scenario;
use crate::strategy::StrategySpec;
use crate::time::Nanos;

/// Default sweep: 0.25x to 4x on a geometric grid of ratio sqrt(2).
pub fn default_factors() -> Vec<f64> {
    (0..=8)
        .map(|i| 0.25 * 2f64.powf(f64::from(i) / 2.0))
        .collect()
}

/// Limit multiples tried for "what limits would meet the objective".
pub const LIMIT_MULTIPLES: [u32; 8] = [2, 3, 4, 6, 8, 12, 16, 32];

/// Everything a plan needs besides the scenario, defaults applied.
#[derive(Clone, Debug)]
pub struct Settings {
    pub objective: Objective,
    /// Increasing; always contains 1 (today's load).
    pub factors: Vec<f64>,
    pub bisect_steps: u32,
    pub replications: u32,
    /// Replication r runs with seed `base_seed + r`.
    pub base_seed: u64,
    /// Monthly growth rate of the traffic.
    pub growth: f64,
    pub start_date: Date,
    /// Months ahead the growth projection (and the keys/limits advice) looks.
    pub horizon_months: u32,
    /// Candidate strategies for the strategy recommendation.
    pub candidates: Vec<StrategySpec>,
    /// Groups that take each candidate.
    pub groups: Vec<usize>,
    /// Length of the injected 503 burst of the lockout check.
    pub outage: Nanos,
}

impl Settings {
    /// The scenario's `[plan]` table over the defaults: objective 429 share
    /// <= 1%, p99 <= 60 s, nothing given up; factors 0.25x..4x; 4 bisection
    /// steps; 8 replications; 15% growth a month from the scenario's start
    /// date over 12 months; candidates from `[compare]` or
    /// [`default_candidates`]; a 2-minute outage.
    pub fn from_scenario(sc: &Scenario) -> Settings {
        let p = sc.plan.clone().unwrap_or_default();
        let mut factors = p.factors.unwrap_or_else(default_factors);
        if !factors.contains(&1.0) {
            factors.push(1.0);
            factors.sort_by(f64::total_cmp);
        }
        let candidates = if !p.candidates.is_empty() {
            p.candidates
        } else {
            sc.compare
                .as_ref()
                .map(|c| c.strategies.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(default_candidates)
        };
        Settings {
            objective: p.objective.unwrap_or_default(),
            factors,
            bisect_steps: p.bisect_steps.unwrap_or(4),
            replications: p.replications.unwrap_or(8),
            base_seed: sc.seed,
            growth: p.growth.unwrap_or(0.15),
            start_date: p
                .start_date
                .unwrap_or_else(|| Date::from_unix_ms(sc.clock.start_unix_ms)),
            horizon_months: p.horizon_months.unwrap_or(12),
            candidates,
            groups: sc
                .compare
                .as_ref()
                .map_or_else(|| (0..sc.groups.len()).collect(), |c| c.groups.clone()),
            outage: p.outage.unwrap_or(Nanos::from_secs(120)).min(sc.duration),
        }
    }

    /// The load factor at the end of the growth horizon.
    pub fn projected_factor(&self) -> f64 {
        (1.0 + self.growth).powf(f64::from(self.horizon_months))
    }
}

/// Full jitter, decorrelated, header-aware and plain exponential, each with
/// 1 s base, 60 s cap and 5 attempts.
pub fn default_candidates() -> Vec<StrategySpec> {
    [
        "kind = \"full-jitter\"",
        "kind = \"decorrelated\"",
        "kind = \"header-aware\"",
        "kind = \"exponential\"",
    ]
    .iter()
    .map(|k| {
        let text = format!("{k}\nbase = \"1s\"\ncap = \"60s\"\nmax_attempts = 5");
        let value = toml::Value::Table(text.parse().expect("static table"));
        crate::strategy::config::parse(&value).expect("static strategy")
    })
    .collect()
}
