//! The commands of the `ratesim` binary, one module each, and the helpers
//! they share: input errors (exit 2), printing, the progress bar and the
//! flags of the commands that run many simulations.

pub mod compare;
pub mod completions;
pub mod gates;
pub mod init;
pub mod merge;
pub mod plan;
pub mod policy;
pub mod rounds;
pub mod run;
pub mod strategies;
pub mod sweep;
pub mod trace;
pub mod tune;
pub mod validate;

use anyhow::{Context, Result};
use ratesim::policy::catalogue::CatalogueError;
use ratesim::policy::presets::Preset;
use ratesim::policy::Policy;
use ratesim::runner::RunError;
use ratesim::scenario::{self, Scenario};
use std::path::{Path, PathBuf};

/// An error that is the user's input, not the tool: printed plainly, exit 2.
pub struct InputError(pub String);

impl std::fmt::Debug for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// The flags of the commands that run many simulations on a thread pool
/// (`compare` and `plan`). The help texts are `compare`'s; `plan` rewords
/// `--out` and `--jobs` with `mut_arg`.
#[derive(clap::Args)]
pub struct Batch {
    /// Seed of the first replication; replication r uses seed + r.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: reports/<scenario name>/compare/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Threads to run replications on (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Run even when the work or memory estimate exceeds the documented
    /// limits (the scenario documentation's "Limits").
    #[arg(long)]
    pub allow_large: bool,
    /// Also write the summary as JSON to FILE (every figure per strategy,
    /// mean and 95% half-width; schema 1).
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,
    /// Also write the summary as Markdown to FILE (a table per strategy and
    /// the findings), e.g. for $GITHUB_STEP_SUMMARY.
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,
}

/// The cost limits in force: the documented defaults, scaled by
/// `RATESIM_LIMIT_SCALE` when set (tests use a small scale to exercise the
/// refusals cheaply), or none with `--allow-large`.
pub fn limits(allow_large: bool) -> ratesim::experiment::cost::Limits {
    let d = ratesim::experiment::cost::Limits::default();
    if allow_large {
        let inf = f64::INFINITY;
        return ratesim::experiment::cost::Limits {
            events_per_run: inf,
            events_total: inf,
            series_rows: inf,
            in_flight: inf,
            runs: inf,
            kept_bytes: inf,
        };
    }
    let k = std::env::var("RATESIM_LIMIT_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|k| *k > 0.0)
        .unwrap_or(1.0);
    ratesim::experiment::cost::Limits {
        events_per_run: d.events_per_run * k,
        events_total: d.events_total * k,
        series_rows: d.series_rows * k,
        in_flight: d.in_flight * k,
        runs: d.runs * k,
        kept_bytes: d.kept_bytes * k,
    }
}

/// `--jobs` within 1 ..= [`ratesim::experiment::MAX_JOBS`].
pub fn check_jobs(jobs: Option<usize>) -> Result<()> {
    match jobs {
        Some(0) => Err(input("--jobs must be at least 1")),
        Some(n) if n > ratesim::experiment::MAX_JOBS => Err(input(format!(
            "--jobs {n} is more than the {} threads ratesim runs at most",
            ratesim::experiment::MAX_JOBS
        ))),
        _ => Ok(()),
    }
}

/// A CI gate that did not pass (`plan --check`, thresholds): exit code 3.
pub struct GateFailed(pub String);

impl std::fmt::Debug for GateFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for GateFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GateFailed {}

/// Writes `bytes` to `path` whole (staged beside it, renamed over it, and
/// removed on a signal), for single-file outputs such as `--export-json`.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let (dir, name) = out_file(path)?;
    let mut out = ratesim::output::InPlace::new(dir);
    out.stage(name, bytes)
        .and_then(|()| out.commit())
        .map(|_| ())
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn input(msg: impl ToString) -> anyhow::Error {
    anyhow::Error::new(InputError(msg.to_string()))
}

pub fn load(path: &Path) -> Result<Scenario> {
    scenario::load(path).map_err(input)
}

pub fn run_error(e: impl Into<RunError>) -> anyhow::Error {
    let e: RunError = e.into();
    match e {
        RunError::Trace(t) => input(t),
        other => anyhow::Error::new(other),
    }
}

/// Writes to stdout, returning broken pipes as errors instead of panicking.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// The progress bar's layout: at most 80 columns with a message of up to
/// [`PROGRESS_MSG`] characters and up to 99,999 runs (`{elapsed}` and
/// `{eta}` print compactly, e.g. `12s`, `3m`).
const PROGRESS_TEMPLATE: &str = "{msg} [{bar:24}] {pos}/{len} runs, {elapsed}, ~{eta} left";

/// The longest progress message ("plan round 12/14").
#[cfg(test)]
const PROGRESS_MSG: usize = 16;

/// A progress bar on stderr that knows its total before it starts, hidden
/// when stderr is not a terminal or when asked.
pub fn progress(total: u64, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(PROGRESS_TEMPLATE)
            .expect("static template")
            .progress_chars("=> "),
    );
    bar
}

/// Writes `files` as the report in `dir`, replacing an earlier report there
/// as a whole; the paths written. The report's kind is the one whose files
/// these are (compare.csv or plan.csv tells).
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    use ratesim::output::{Kind, OutputDir};
    let names = files.iter().map(|(name, _)| name.as_str());
    let kind = Kind::of(names.clone()).with_context(|| {
        format!(
            "no report kind has the files {:?}",
            names.collect::<Vec<_>>()
        )
    })?;
    let mut staged = OutputDir::new(dir, kind);
    for (name, bytes) in files {
        staged
            .stage(name, bytes)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    }
    staged
        .commit()
        .with_context(|| format!("cannot write into {}", dir.display()))
}

/// The folder and file name of a single-file `--out`.
pub fn out_file(path: &Path) -> Result<(&Path, &str)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| input("--out needs a file name"))?;
    Ok((dir, name))
}

/// The policy of a built-in limit table with no scenario settings.
pub fn preset_policy(table: &Preset) -> Result<Policy, CatalogueError> {
    Ok(Policy {
        preset: table.name.to_string(),
        models: ratesim::policy::catalogue::resolve(table, &[])?,
        window: Default::default(),
        tpm: Default::default(),
        lockout: Default::default(),
        header_units: Default::default(),
        scope: Default::default(),
        video: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    /// The bar at its widest: the longest message, 99,999 runs, four
    /// characters of elapsed time and of ETA.
    #[test]
    fn the_progress_bar_fits_80_columns() {
        let widest = super::PROGRESS_TEMPLATE
            .replace("{msg}", &"m".repeat(super::PROGRESS_MSG))
            .replace("{bar:24}", &"=".repeat(24))
            .replace("{pos}", "99999")
            .replace("{len}", "99999")
            .replace("{elapsed}", "100h")
            .replace("{eta}", "100h");
        assert!(!widest.contains('{'), "{widest}");
        assert!(widest.chars().count() <= 80, "{widest}");
    }
}
