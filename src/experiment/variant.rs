//! Scenario variants: the one place a scenario is changed for an analysis.
//!
//! Every command that runs more than the scenario as written (compare's
//! candidate strategies, plan's load sweep, its injected outage, raised
//! limits and split keys; later sweeps and the tuner) describes what it
//! changes as a [`Variant`], so the changes mean the same everywhere.
//! (A sweep's `set` values are the exception: any value of the file may
//! be swept, so `sweep::Grid::scenarios` writes them into the file's text
//! and validates it again, and the variant starts from that scenario.)

use crate::response::Status;
use crate::scenario::{Arrival, Scenario, Workload};
use crate::service::Outage;
use crate::strategy::StrategySpec;
use crate::time::Nanos;

/// A scenario as one analysis runs it.
#[derive(Clone, Debug)]
pub struct Variant {
    pub scenario: Scenario,
    /// How much faster than recorded trace groups replay (1: as recorded).
    /// Set by [`Variant::scaled`]; applied when the traces are opened.
    pub trace_speed: f64,
}

impl Variant {
    /// The scenario as written.
    pub fn of(scenario: &Scenario) -> Variant {
        Variant {
            scenario: scenario.clone(),
            trace_speed: 1.0,
        }
    }

    /// Every group in `groups` uses `spec`.
    pub fn with_strategy(mut self, spec: &StrategySpec, groups: &[usize]) -> Variant {
        for &g in groups {
            self.scenario.groups[g].strategy = spec.clone();
        }
        self
    }

    /// The offered load times `factor`: open-loop rates times `factor`,
    /// closed loops with `round(workers * factor)` workers (at least one: a
    /// closed loop's load is its concurrency), traces replayed `factor` times
    /// faster (a row recorded at `t` arrives at `t / factor`; the run keeps
    /// its duration, so above 1 the trace ends early and below 1 its tail
    /// falls past the end), batches with `factor` times the work for the
    /// same clients.
    pub fn scaled(mut self, factor: f64) -> Variant {
        for g in &mut self.scenario.groups {
            if let Workload::Synthetic(s) = &mut g.workload {
                s.arrival = match &s.arrival {
                    Arrival::Open(spec) => Arrival::Open(spec.scaled(factor)),
                    Arrival::Closed { workers, think } => Arrival::Closed {
                        workers: ((f64::from(*workers) * factor).round() as u32).max(1),
                        think: *think,
                    },
                    Arrival::Batch(b) => Arrival::Batch(b.scaled(factor)),
                };
            }
        }
        self.trace_speed *= factor;
        self
    }

    /// Every limit of every model times `k`.
    pub fn limits_times(mut self, k: u32) -> Variant {
        for m in &mut self.scenario.policy.models {
            for l in &mut m.limits {
                l.amount = l.amount.saturating_mul(u64::from(k));
            }
        }
        self
    }

    /// An outage of `length` answering 503, centred in the arrival period
    /// (replacing any outage it would overlap).
    pub fn with_outage(mut self, length: Nanos) -> Variant {
        let window = outage_window(&self.scenario, length);
        let sc = &mut self.scenario;
        sc.service
            .outages
            .retain(|o| o.end <= window.start || o.start >= window.end);
        sc.service.outages.push(window);
        sc.service.outages.sort_by_key(|o| o.start);
        self
    }

    /// Every synthetic group in `groups` on a key of its own (named
    /// `<key>/<group>`), so the abuse lockout of one cannot block another.
    pub fn own_keys(mut self, groups: &[usize]) -> Variant {
        let sc = &mut self.scenario;
        for &g in groups {
            if matches!(sc.groups[g].workload, Workload::Synthetic(_)) {
                let name = format!(
                    "{}/{}",
                    sc.keys[sc.groups[g].key as usize], sc.groups[g].name
                );
                sc.keys.push(name);
                sc.groups[g].key = (sc.keys.len() - 1) as u32;
            }
        }
        self
    }
}

/// Where [`Variant::with_outage`] puts an outage of `length`.
pub fn outage_window(scenario: &Scenario, length: Nanos) -> Outage {
    let length = length.min(scenario.duration);
    let start = Nanos((scenario.duration.0 - length.0) / 2);
    Outage {
        start,
        end: start + length,
        status: Status::Unavailable,
    }
}
