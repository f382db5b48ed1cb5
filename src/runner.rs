//! The edge for `ratesim run`: one job through the experiment layer, then
//! rendering and writing the outputs.

use crate::experiment::{self, ExperimentError, Variant};
use crate::outcome::{LimitHit, NoSink, Outcome, RequestRecord, RequestSink};
use crate::output::{Kind, OutputDir};
use crate::report;
use crate::scenario::Scenario;
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
    #[error("{0}")]
    Pool(String),
    #[error(transparent)]
    Round(crate::experiment::RoundError),
    /// The OS error is the source, printed after this by `{:#}`, not in it.
    #[error("cannot write {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<ExperimentError> for RunError {
    fn from(e: ExperimentError) -> Self {
        match e {
            ExperimentError::Trace(t) => RunError::Trace(t),
            e @ ExperimentError::Pool { .. } => RunError::Pool(e.to_string()),
            ExperimentError::Round(r) => RunError::Round(r),
        }
    }
}

/// Passes requests on and keeps every limit hit for rate_limit_log.json.
struct HitLog<'a> {
    inner: &'a mut dyn RequestSink,
    hits: &'a mut Vec<LimitHit>,
    keep: bool,
}

impl RequestSink for HitLog<'_> {
    fn record(&mut self, record: &RequestRecord) {
        self.inner.record(record);
    }

    fn limit_hit(&mut self, hit: &LimitHit) {
        if self.keep {
            self.hits.push(*hit);
        }
    }

    fn key_added(&mut self, name: &str) {
        self.inner.key_added(name);
    }

    fn logs_limit_hits(&self) -> bool {
        self.keep
    }

    fn wants_headers(&self) -> bool {
        self.inner.wants_headers()
    }

    fn keeps_records(&self) -> bool {
        self.inner.keeps_records()
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
    let variant = Variant::of(scenario);
    let mut out = OutputDir::new(dir, Kind::Run);
    let mut hits = Vec::new();
    let outcome = if requests {
        let stream = out.stage_stream("requests.csv").map_err(io(dir))?;
        let mut sink = report::requests::RequestCsv::new(stream, scenario);
        let outcome = experiment::simulate(
            &variant,
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
    } else if rate_limit_log {
        experiment::simulate(
            &variant,
            seed,
            &mut HitLog {
                inner: &mut NoSink,
                hits: &mut hits,
                keep: true,
            },
        )?
    } else {
        // Nothing streams, so independent groups may run on every core.
        experiment::simulate_split(scenario, 1.0, seed, rayon::current_num_threads())?
    };
    if rate_limit_log {
        let models = scenario.policy.model_ids();
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
