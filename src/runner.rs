//! The edge between the pure engine and the outside world for `ratesim run`:
//! opening traces, running, rendering and writing the outputs.

use crate::engine::{self, NoSink, Outcome, RequestSink, SimError, TraceSource};
use crate::output::OutputDir;
use crate::report;
use crate::rng::{self, Purpose};
use crate::scenario::{Scenario, Workload};
use crate::workload::import::{self, ImportOptions};
use crate::workload::TraceError;
use std::path::{Path, PathBuf};

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input in a trace: the user's to fix (exit code 2).
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error(transparent)]
    Chart(#[from] crate::report::charts::ChartError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<SimError> for RunError {
    fn from(e: SimError) -> Self {
        match e {
            SimError::Trace(t) => RunError::Trace(t),
        }
    }
}

/// Opens one reader for each trace group, in group order. `seed` drives the
/// arrival times of formats that have none (OpenAI batch files), from the
/// same stream a synthetic group of that name would use.
pub fn open_traces(
    scenario: &Scenario,
    seed: u64,
) -> Result<Vec<Box<dyn TraceSource>>, TraceError> {
    let models: Vec<String> = scenario
        .policy
        .models
        .iter()
        .map(|m| m.id.clone())
        .collect();
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
            out.push(Box::new(import::open_file(
                path,
                *format,
                options,
                models.clone(),
                scenario.keys.clone(),
            )?));
        }
    }
    Ok(out)
}

/// Runs `scenario` with `seed`, feeding every finished request to `sink`.
pub fn simulate(
    scenario: &Scenario,
    seed: u64,
    sink: &mut dyn RequestSink,
) -> Result<Outcome, RunError> {
    let traces = open_traces(scenario, seed)?;
    Ok(engine::simulate(scenario, seed, traces, sink)?)
}

/// Runs `scenario` and returns its outcome without writing anything.
pub fn simulate_quiet(scenario: &Scenario, seed: u64) -> Result<Outcome, RunError> {
    simulate(scenario, seed, &mut NoSink)
}

/// Passes requests on and keeps every limit hit for rate_limit_log.json.
struct HitLog<'a> {
    inner: &'a mut dyn RequestSink,
    hits: &'a mut Vec<report::ratelimit_log::LimitHit>,
    keep: bool,
}

impl RequestSink for HitLog<'_> {
    fn record(&mut self, record: &crate::engine::RequestRecord) {
        self.inner.record(record);
    }

    fn limit_hit(&mut self, hit: &report::ratelimit_log::LimitHit) {
        if self.keep {
            self.hits.push(*hit);
        }
    }

    fn key_added(&mut self, name: &str) {
        self.inner.key_added(name);
    }
}

/// What `ratesim run` produced.
pub struct RunReport {
    pub outcome: Outcome,
    pub files: Vec<PathBuf>,
}

/// Runs and writes summary.csv, timeseries.csv, utilisation.csv, the charts
/// and (with `requests`) requests.csv into `dir`, all or nothing.
pub fn run_to_dir(
    scenario: &Scenario,
    seed: u64,
    dir: &Path,
    requests: bool,
    rate_limit_log: bool,
) -> Result<RunReport, RunError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Io { path, source }
    };
    let mut out = OutputDir::new(dir);
    let mut hits = Vec::new();
    let outcome = if requests {
        let stream = out.stage_stream("requests.csv").map_err(io(dir))?;
        let mut sink = report::requests::RequestCsv::new(stream, scenario);
        let outcome = simulate(
            scenario,
            seed,
            &mut HitLog {
                inner: &mut sink,
                hits: &mut hits,
                keep: rate_limit_log,
            },
        )?;
        sink.finish().map_err(|e| RunError::Io {
            path: dir.join("requests.csv"),
            source: e.into(),
        })?;
        outcome
    } else {
        simulate(
            scenario,
            seed,
            &mut HitLog {
                inner: &mut NoSink,
                hits: &mut hits,
                keep: rate_limit_log,
            },
        )?
    };
    if rate_limit_log {
        let models: Vec<String> = scenario
            .policy
            .models
            .iter()
            .map(|m| m.id.clone())
            .collect();
        let json = report::ratelimit_log::rate_limit_log_json(
            &hits,
            &outcome.keys,
            &models,
            scenario.policy.tier(),
            &scenario.clock,
        );
        out.stage("rate_limit_log.json", json.as_bytes())
            .map_err(io(&dir.join("rate_limit_log.json")))?;
    }
    for (name, bytes) in report::run_files(scenario, &outcome)? {
        out.stage(&name, &bytes).map_err(io(&dir.join(&name)))?;
    }
    let files = out.commit().map_err(io(dir))?;
    Ok(RunReport { outcome, files })
}
