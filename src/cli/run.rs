//! `ratesim run`: one scenario, one seed, the summary table on stdout.

use super::{emit, gates, input, limits, load, run_error, write_file_atomically};
use anyhow::Result;
use ratesim::report::summary::metric_values;
use ratesim::report::terminal;
use ratesim::runner;
use ratesim::scenario::validate::default_out_dir;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML); `ratesim init` writes a commented one.
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
    /// limits (the scenario documentation's "Limits").
    #[arg(long)]
    allow_large: bool,
    /// Also write the summary as JSON to FILE (every summary.csv figure per
    /// group and in total; schema 1).
    #[arg(long, value_name = "FILE")]
    export_json: Option<PathBuf>,
    /// Also write the summary as a Markdown table to FILE (a row per group
    /// and the total), e.g. for $GITHUB_STEP_SUMMARY.
    #[arg(long, value_name = "FILE")]
    export_markdown: Option<PathBuf>,
    /// A CI gate, checked after the run with the scenario's [thresholds]:
    /// `[GROUP:]FIGURE<=VALUE`, e.g. `share_429<=1%`, `chat:p99<=30s`,
    /// `gave_up<=0`; FIGURE is a summary.csv column or p50/p95/p99. A crossed
    /// threshold exits 3. Repeatable.
    #[arg(long = "threshold", value_name = "TERM")]
    thresholds: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    let sc = load(&args.scenario)?;
    let seed = args.seed.unwrap_or(sc.seed);
    let thresholds = gates::gather(&sc, &args.thresholds)?;
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
    text += &terminal::summary_table(&sc, o);
    text.push('\n');
    let recovery = terminal::recovery(o);
    if !recovery.is_empty() {
        text += &recovery;
        text.push('\n');
    }
    for f in &report.files {
        text += &format!("wrote {}\n", f.display());
    }
    if let Some(path) = &args.export_json {
        write_file_atomically(path, &ratesim::report::export::run_json(&sc, o))?;
        text += &format!("wrote {}\n", path.display());
    }
    if let Some(path) = &args.export_markdown {
        write_file_atomically(path, &ratesim::report::markdown::run_markdown(&sc, o))?;
        text += &format!("wrote {}\n", path.display());
    }
    text += &format!(
        "{}, {} simulated\n",
        terminal::throughput(o.events, elapsed),
        o.horizon
    );
    emit(&text)?;
    let minutes = o.horizon.as_secs_f64() / 60.0;
    let failed: Vec<String> = thresholds
        .iter()
        .filter_map(|t| {
            let stats = match &t.group {
                None => &o.total,
                Some(g) => &o.groups[sc.groups.iter().position(|x| &x.name == g)?],
            };
            gates::crossing(t, metric_values(stats, minutes)[gates::metric_index(t)])
        })
        .collect();
    emit(&gates::verdict(
        thresholds.len(),
        failed.len(),
        &failed,
        "",
        "",
    )?)
}
