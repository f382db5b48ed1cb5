//! `ratesim run`: one scenario, one seed, the summary table on stdout.

use super::{emit, input, limits, load, run_error, write_file_atomically};
use anyhow::Result;
use ratesim::runner;
use ratesim::scenario::validate::default_out_dir;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML); see docs/scenario.md.
    scenario: PathBuf,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder (default: reports/<scenario name>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write requests.csv, one row per request.
    #[arg(long)]
    requests: bool,
    /// Also write rate_limit_log.json: every limit hit, newest first, in the
    /// shape of GET /api/v1/api_keys/rate_limits/log.
    #[arg(long)]
    rate_limit_log: bool,
    /// Run even when the work or memory estimate exceeds the documented
    /// limits (docs/scenario.md, "Limits").
    #[arg(long)]
    allow_large: bool,
    /// Also write the summary as JSON to FILE (schema in docs/outputs.md).
    #[arg(long, value_name = "FILE")]
    export_json: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let sc = load(&args.scenario)?;
    let seed = args.seed.unwrap_or(sc.seed);
    let dir = args.out.unwrap_or_else(|| default_out_dir(&sc));
    let cost = ratesim::experiment::cost::of_run(&sc, 1.0);
    ratesim::experiment::cost::check_run(&sc, &cost, &limits(args.allow_large)).map_err(input)?;
    let wall = Instant::now();
    let report = runner::run_to_dir(&sc, seed, &dir, args.requests, args.rate_limit_log)
        .map_err(run_error)?;
    let elapsed = wall.elapsed().as_secs_f64();
    let o = &report.outcome;
    let mut text = format!(
        "{} — seed {seed}, {} simulated, {} group(s), policy {}\n\n",
        sc.name,
        o.horizon,
        sc.groups.len(),
        sc.policy.preset
    );
    text += &ratesim::report::summary::summary_table(&sc, o);
    text.push('\n');
    for f in &report.files {
        text += &format!("wrote {}\n", f.display());
    }
    if let Some(path) = &args.export_json {
        write_file_atomically(path, &ratesim::report::export::run_json(&sc, o))?;
        text += &format!("wrote {}\n", path.display());
    }
    text += &format!(
        "{} events, {} simulated, {:.2} s wall, {:.2}M events/s\n",
        o.events,
        o.horizon,
        elapsed,
        o.events as f64 / elapsed.max(1e-9) / 1e6
    );
    emit(&text)
}
