//! What a partner agreement would have to give: the limits the plan found
//! the objective needs at the projected load.
//!
//! The provider publishes no partner numbers, so the useful answer is the
//! other way round: for each model that needs more than today's limits, its
//! limits times the smallest multiple that met the objective in every
//! replication ([`PlanResult::limit_multiple`]), the figure to bring to the
//! conversation. The multiple is simulated (every limit of the scenario
//! raised together), so the limits stated are those of a simulated run.

use super::{PlanResult, Scope};
use crate::policy::{LimitSpec, ModelId};
use crate::scenario::Scenario;

/// The limits one model would need.
#[derive(Clone, Debug, PartialEq)]
pub struct NeededLimits {
    pub model: ModelId,
    /// The smallest multiple of today's limits that met the objective;
    /// `None` when no multiple tried did.
    pub multiple: Option<u32>,
    /// Today's limits times `multiple` (today's when `multiple` is `None`).
    pub limits: Vec<LimitSpec>,
}

impl PlanResult {
    /// Every model with limits whose objective needs more than today's
    /// limits at the projected load, in model order.
    pub fn needed_limits(&self, sc: &Scenario) -> Vec<NeededLimits> {
        self.models
            .iter()
            .filter(|&&m| !sc.policy.models[m as usize].limits.is_empty())
            .filter_map(|&m| {
                let multiple = self.limit_multiple(Scope::Model(m));
                if multiple == Some(1) {
                    return None;
                }
                let k = u64::from(multiple.unwrap_or(1));
                let limits = sc.policy.models[m as usize]
                    .limits
                    .iter()
                    .map(|l| LimitSpec {
                        amount: l.amount.saturating_mul(k),
                        ..*l
                    })
                    .collect();
                Some(NeededLimits {
                    model: m,
                    multiple,
                    limits,
                })
            })
            .collect()
    }
}
