//! `ratesim validate`: check a scenario and read its traces to the end
//! without running it.
//!
//! `run` stops at the first bad trace row whenever the engine reaches it;
//! `validate` reads every row of every trace group through the same readers
//! (`experiment::open_traces`), streamed, so a bad row near the end of a large
//! trace is found before a long run, not during it. The scenario format has no
//! way to skip bad rows (`run` refuses them), so neither does `validate`:
//! `ratesim trace convert --skip-bad-rows` writes a clean copy. A `[sweep]`
//! with `set` axes has the scenario of every combination of its values
//! validated, as `ratesim sweep` does before it runs.

use super::{emit, input, load};
use anyhow::{Context, Result};
use ratesim::scenario::Workload;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML) to check, with every row of its traces.
    scenario: PathBuf,
}

pub fn run(Args { scenario }: Args) -> Result<()> {
    let sc = load(&scenario)?;
    let mut rows = 0u64;
    let mut late = 0u64;
    for mut trace in ratesim::experiment::open_traces(&sc, sc.seed).map_err(input)? {
        while let Some(row) = trace.next_row() {
            let row = row.map_err(input)?;
            rows += 1;
            late += u64::from(row.at >= sc.duration);
        }
    }
    let traces = if sc
        .groups
        .iter()
        .any(|g| matches!(g.workload, Workload::Trace { .. }))
    {
        let after = if late > 0 {
            format!(", {late} at or after the duration and not replayed")
        } else {
            String::new()
        };
        format!(", {rows} trace row(s) read{after}")
    } else {
        String::new()
    };
    let mut sweep = String::new();
    if let Some(spec) = sc.sweep.as_ref().filter(|s| !s.set.is_empty()) {
        let combinations = spec.set_points();
        // As many as a sweep may run; a larger grid is refused by `sweep`.
        if combinations as f64 <= ratesim::experiment::cost::Limits::default().runs {
            let source = std::fs::read_to_string(&scenario)
                .with_context(|| format!("cannot read {}", scenario.display()))?;
            ratesim::scenario::validate::sweep_points(&source, &sc.path, spec).map_err(input)?;
            sweep = format!(", {combinations} combination(s) of sweep.set values valid");
        }
    }
    emit(&format!(
        "{}: ok ({} group(s), {} key(s), {} simulated, seed {}{traces}{sweep})\n",
        scenario.display(),
        sc.groups.len(),
        sc.keys.len(),
        sc.horizon(),
        sc.seed
    ))
}
