//! `ratesim run`: one scenario, one seed, the summary table on stdout.

use super::{emit, input, limits, load, run_error, write_file_atomically, GateFailed};
use anyhow::Result;
use ratesim::report::summary::{metric_values, METRICS};
use ratesim::runner;
use ratesim::scenario::validate::default_out_dir;
use ratesim::threshold::Threshold;
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
    /// A CI gate, checked after the run with the scenario's [thresholds]:
    /// `[GROUP:]FIGURE<=VALUE`, e.g. `share_429<=1%`, `chat:p99<=30s`,
    /// `gave_up<=0`; FIGURE is a summary.csv column or p50/p95/p99. A crossed
    /// threshold exits 3. Repeatable.
    #[arg(long = "threshold", value_name = "TERM")]
    thresholds: Vec<String>,
}

/// The scenario's thresholds and those given with `--threshold`, every
/// figure checked against summary.csv's columns and every group against the
/// scenario's.
fn thresholds(sc: &ratesim::scenario::Scenario, flags: &[String]) -> Result<Vec<Threshold>> {
    let mut all = sc.thresholds.clone();
    for term in flags {
        let (group, t) = match term.split_once(':') {
            Some((g, t)) if !g.contains('<') => (Some(g.trim()), t),
            _ => (None, term.as_str()),
        };
        if let Some(g) = group.filter(|g| *g != "total") {
            if !sc.groups.iter().any(|x| x.name == g) {
                return Err(input(format!(
                    "--threshold {term:?}: no group is called {g:?}"
                )));
            }
        }
        let group = group.filter(|g| *g != "total");
        all.push(Threshold::parse(group, t).map_err(|e| input(format!("--threshold: {e}")))?);
    }
    let columns: Vec<&str> = METRICS.iter().map(|m| m.0).collect();
    for t in &all {
        if !columns.contains(&t.metric.as_str()) {
            let hint = ratesim::suggest::did_you_mean(&ratesim::suggest::close_matches(
                &t.metric,
                columns.iter().copied(),
            ));
            return Err(input(format!(
                "threshold {t}: no summary figure is called {:?}{hint}; see docs/outputs.md",
                t.metric
            )));
        }
    }
    Ok(all)
}

/// Every crossed threshold, with the figure and how far past it.
fn crossed(
    sc: &ratesim::scenario::Scenario,
    o: &ratesim::outcome::Outcome,
    all: &[Threshold],
) -> Vec<String> {
    let minutes = o.horizon.as_secs_f64() / 60.0;
    all.iter()
        .filter_map(|t| {
            let stats = match &t.group {
                None => &o.total,
                Some(g) => &o.groups[sc.groups.iter().position(|x| &x.name == g)?],
            };
            let i = METRICS.iter().position(|m| m.0 == t.metric)?;
            let value = metric_values(stats, minutes)[i];
            let num = |x: f64| {
                if x.fract() == 0.0 {
                    format!("{x:.0}")
                } else {
                    format!("{x:.4}")
                }
            };
            (!t.holds(value)).then(|| {
                if value.is_finite() {
                    format!(
                        "{t}: {} is {}, over {} by {}",
                        t.metric,
                        num(value),
                        num(t.max),
                        num(value - t.max)
                    )
                } else {
                    format!("{t}: {} is not reached", t.metric)
                }
            })
        })
        .collect()
}

pub fn run(args: Args) -> Result<()> {
    let sc = load(&args.scenario)?;
    let seed = args.seed.unwrap_or(sc.seed);
    let gates = thresholds(&sc, &args.thresholds)?;
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
    emit(&text)?;
    let failed = crossed(&sc, o, &gates);
    if !gates.is_empty() && failed.is_empty() {
        emit(&format!("all {} threshold(s) hold\n", gates.len()))?;
    }
    if !failed.is_empty() {
        return Err(anyhow::Error::new(GateFailed(format!(
            "{} of {} threshold(s) crossed:\n  {}",
            failed.len(),
            gates.len(),
            failed.join("\n  ")
        ))));
    }
    Ok(())
}
