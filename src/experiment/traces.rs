//! Opening the traces of a scenario's trace groups, once per run.

use crate::policy::KeyId;
use crate::rng::{self, Purpose};
use crate::scenario::{Scenario, Workload};
use crate::time::Nanos;
use crate::workload::import::{self, ImportOptions};
use crate::workload::{TraceError, TraceRow, TraceSource};

/// Opens one reader for each trace group, in group order, replayed `speed`
/// times faster than recorded. `seed` drives the arrival times of formats
/// that have none (OpenAI batch files), from the same stream a synthetic
/// group of that name would use.
pub fn open(
    scenario: &Scenario,
    seed: u64,
    speed: f64,
) -> Result<Vec<Box<dyn TraceSource>>, TraceError> {
    let models = scenario.policy.model_ids();
    let mut out: Vec<Box<dyn TraceSource>> = Vec::new();
    for g in &scenario.groups {
        if let Workload::Trace {
            path,
            format,
            arrival,
        } = &g.workload
        {
            let options = ImportOptions {
                arrivals: arrival
                    .as_ref()
                    .map(|a| (a.clone(), rng::stream(seed, &g.name, Purpose::Arrivals))),
                ..ImportOptions::default()
            };
            let reader = Box::new(import::open_file(
                path,
                *format,
                options,
                models.clone(),
                scenario.keys.clone(),
            )?);
            out.push(if speed == 1.0 {
                reader
            } else {
                Box::new(TimeScaled {
                    inner: reader,
                    factor: speed,
                })
            });
        }
    }
    Ok(out)
}

/// A trace replayed `factor` times faster: arrival times divided by `factor`.
struct TimeScaled {
    inner: Box<dyn TraceSource>,
    factor: f64,
}

impl TraceSource for TimeScaled {
    fn next_row(&mut self) -> Option<Result<TraceRow, TraceError>> {
        self.inner.next_row().map(|r| {
            r.map(|mut row| {
                row.at = Nanos((row.at.0 as f64 / self.factor).round() as u64);
                row
            })
        })
    }

    fn key_name(&self, key: KeyId) -> &str {
        self.inner.key_name(key)
    }
}
