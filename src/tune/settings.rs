//! What a search runs with, read from the scenario's `[tune]` table with
//! the command's defaults.

use super::Settings;
use crate::scenario::Scenario;
use crate::strategy::config::Space;
use crate::strategy::StrategySpec;

/// Runs a search may use unless told (`--budget` or `[tune] budget`).
pub const DEFAULT_BUDGET: u32 = 160;
/// First-round replications unless told (`[tune] replications`).
pub const DEFAULT_REPLICATIONS: u32 = 2;

impl Settings {
    /// The scenario's `[tune]` table over the defaults: the tuned groups
    /// (`groups` when given, else `[tune] groups`, else `[compare]`'s, else
    /// all), the strategy
    /// (`strategy` when given, else `[tune] strategy`, else the first tuned
    /// group's), its space (`[tune.params]`, else the default ranges), the
    /// objective, the budget, the replications and the scenario's seed.
    /// The error names what is wrong.
    pub fn from_scenario(
        sc: &Scenario,
        groups: Option<Vec<usize>>,
        strategy: Option<StrategySpec>,
    ) -> Result<Settings, String> {
        let spec = sc.tune.clone().unwrap_or_default();
        let groups = groups
            .or(spec.groups.clone())
            .or_else(|| sc.compare.as_ref().map(|c| c.groups.clone()))
            .unwrap_or_else(|| (0..sc.groups.len()).collect());
        let Some(&first) = groups.first() else {
            return Err("the scenario has no group to tune".to_string());
        };
        let strategy = strategy
            .or(spec.strategy)
            .unwrap_or_else(|| sc.groups[first].strategy.clone());
        let space = if spec.params.is_empty() {
            Space::of(&strategy)
        } else {
            Space::with_ranges(&strategy, &spec.params)
        }
        .map_err(|e| {
            let at = if e.field.is_empty() {
                String::new()
            } else {
                format!(" [tune.params] {}:", e.field)
            };
            format!(
                "cannot tune strategy {:?}:{at} {}",
                strategy.name, e.message
            )
        })?;
        if space.dims.is_empty() {
            return Err(format!(
                "strategy {:?} has no parameter tune searches by default; name some with ranges in [tune.params] (docs/tune.md)",
                strategy.name
            ));
        }
        Ok(Settings {
            space,
            groups,
            constraint: spec.objective.unwrap_or_default(),
            budget: spec.budget.unwrap_or(DEFAULT_BUDGET),
            replications: spec.replications.unwrap_or(DEFAULT_REPLICATIONS),
            base_seed: sc.seed,
        })
    }
}
