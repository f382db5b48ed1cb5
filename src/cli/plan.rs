//! `ratesim plan`: the capacity plan; the verdict on stdout, the report
//! files on disk.
//!
//! The plan runs in rounds (the trace probe, the grid, each bisection step,
//! the analysis runs, and the own-keys sweep when a shared key's lockout
//! breaks a model), and only the finished round tells the next one's runs.
//! So the progress bar shows one round at a time, its total known before it
//! starts, under "plan round i/n" where n is the most rounds the plan can
//! take; it never moves backwards.

use super::rounds::{self, ShardFlags};
use super::{
    check_jobs, emit, input, limits, load, progress, run_error, write_file_atomically, write_files,
    Batch, GateFailed,
};
use anyhow::Result;
use ratesim::report::terminal;
use ratesim::scenario::validate::default_out_dir;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(clap::Args)]
#[command(
    mut_arg("out", |a| a.help("Output folder (default: reports/<scenario name>/plan/); with a shard, the folder the shards share (default: reports/<scenario name>/plan-parts/)")),
    mut_arg("jobs", |a| a.help("Threads to run simulations on (default: every core)")),
)]
pub struct Args {
    /// The scenario file (TOML); its [plan] table holds the objective and
    /// the sweep (every key is optional).
    scenario: PathBuf,
    /// Objective terms over the scenario's [plan] table, e.g.
    /// "share_429<=1%,p99<=60s,gave_up<=0" (a term may be "none").
    #[arg(long, value_name = "TERMS")]
    objective: Option<String>,
    /// Replications per load factor (default: the scenario's, else 8).
    #[arg(long)]
    replications: Option<u32>,
    /// Exit 3 when today's load already misses the objective (a CI gate);
    /// the report is written either way.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    batch: Batch,
    #[command(flatten)]
    shard: ShardFlags,
}

/// The plan's settings: the scenario's over the defaults, then the flags.
pub fn settings(
    sc: &ratesim::scenario::Scenario,
    objective: Option<&str>,
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<ratesim::plan::Settings> {
    let mut settings = ratesim::plan::Settings::from_scenario(sc);
    if let Some(text) = objective {
        settings.objective = settings
            .objective
            .with_overrides(text)
            .map_err(|e| input(format!("--objective: {e}")))?;
    }
    if let Some(r) = replications {
        if r == 0 {
            return Err(input("--replications must be at least 1"));
        }
        settings.replications = r;
    }
    if let Some(s) = seed {
        settings.base_seed = s;
    }
    Ok(settings)
}

/// The flags of `settings` as a part file's options, and back.
pub fn options(
    objective: Option<&str>,
    replications: Option<u32>,
    seed: Option<u64>,
) -> Vec<(String, String)> {
    let mut o = Vec::new();
    if let Some(t) = objective {
        o.push(("objective".to_string(), t.to_string()));
    }
    if let Some(r) = replications {
        o.push(("replications".to_string(), r.to_string()));
    }
    if let Some(s) = seed {
        o.push(("seed".to_string(), s.to_string()));
    }
    o
}

pub fn run(args: Args) -> Result<()> {
    let Args {
        scenario: path,
        objective,
        replications,
        check,
        batch:
            Batch {
                seed,
                out,
                jobs,
                quiet,
                allow_large,
                export_json,
                export_markdown,
            },
        shard,
    } = args;
    let sc = load(&path)?;
    let settings = settings(&sc, objective.as_deref(), replications, seed)?;
    check_jobs(jobs)?;
    check_plan_cost(&sc, &settings, &limits(allow_large))?;
    if let Some((shard, wait)) = shard.resolve()? {
        if check || export_json.is_some() || export_markdown.is_some() {
            return Err(input(
                "--check, --export-json and --export-markdown need the whole plan: with --shard, each shard writes only its parts; run `ratesim merge` on them (with these flags) for the report",
            ));
        }
        let dir = out.unwrap_or_else(|| default_out_dir(&sc).join("plan-parts"));
        let origin = rounds::origin(&path, options(objective.as_deref(), replications, seed))?;
        let x = rounds::Exchange::shard("plan", origin, dir.clone(), shard, wait, quiet);
        ratesim::plan::run_rounds_with_threads(&sc, &settings, &x, jobs, &|_| {})
            .map_err(rounds::round_error)?;
        return emit(&rounds::finished(&x, "plan", shard, &dir));
    }
    let dir = out.unwrap_or_else(|| default_out_dir(&sc).join("plan"));
    let bar = progress(0, quiet);
    let rounds = max_rounds(&sc, &settings);
    let round = AtomicU64::new(0);
    let wall = Instant::now();
    let result = ratesim::plan::run_with_threads(&sc, &settings, jobs, &|p| match p {
        ratesim::plan::Progress::Planned(n) => {
            let i = round.fetch_add(1, Ordering::Relaxed) + 1;
            bar.reset();
            bar.set_length(n);
            bar.set_message(format!("plan round {i}/{rounds}"));
        }
        ratesim::plan::Progress::Done => bar.inc(1),
    })
    .map_err(run_error)?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let files = ratesim::report::plan::plan_files(&sc, &result)?;
    let mut written = write_files(&dir, &files)?;
    if let Some(path) = &export_json {
        write_file_atomically(path, &ratesim::report::export::plan_json(&sc, &result))?;
        written.push(path.clone());
    }
    if let Some(path) = &export_markdown {
        let md = ratesim::report::markdown::plan_markdown(&sc, &result);
        write_file_atomically(path, &md)?;
        written.push(path.clone());
    }
    let mut text = format!(
        "{}: capacity plan, {} replication(s) per load, seeds {}..{}\n\n",
        sc.name,
        settings.replications,
        settings.base_seed,
        settings.base_seed + u64::from(settings.replications) - 1
    );
    for line in ratesim::report::plan::verdict(&sc, &result) {
        text += &terminal::bullet(&line, terminal::WIDTH);
    }
    text.push('\n');
    for f in &written {
        text += &format!("wrote {}\n", f.display());
    }
    let runs = result.main.points.len()
        + result
            .candidates
            .iter()
            .map(|c| c.points.len())
            .sum::<usize>()
        + result.outage.len()
        + result.limits.iter().map(|l| l.1.len()).sum::<usize>()
        + result.own_keys.as_ref().map_or(0, |s| s.points.len());
    text += &format!(
        "{runs} runs, {elapsed:.2} s wall on {} thread(s)\n",
        jobs.unwrap_or_else(rayon::current_num_threads)
    );
    emit(&text)?;
    if check && !result.meets_today() {
        return Err(anyhow::Error::new(GateFailed(format!(
            "today's load already misses the objective ({}) in at least one of {} replications; see {}",
            settings.objective,
            settings.replications,
            dir.join("report.md").display()
        ))));
    }
    Ok(())
}

/// The most rounds a plan takes: the probe of trace groups' models, the
/// grid, each bisection step, the analysis runs, and the own-keys sweep
/// (its grid and bisection steps) when groups share a key.
fn max_rounds(sc: &ratesim::scenario::Scenario, s: &ratesim::plan::Settings) -> u64 {
    use ratesim::scenario::Workload;
    let traces = sc
        .groups
        .iter()
        .any(|g| matches!(g.workload, Workload::Trace { .. }));
    let synthetic: Vec<_> = sc
        .groups
        .iter()
        .filter(|g| matches!(g.workload, Workload::Synthetic(_)))
        .collect();
    let shared = synthetic
        .iter()
        .enumerate()
        .any(|(i, g)| synthetic[..i].iter().any(|h| h.key == g.key));
    let steps = u64::from(s.bisect_steps);
    u64::from(traces) + 1 + steps + 1 + if shared { 1 + steps } else { 0 }
}

/// Refuses a plan whose runs would take too long or too much memory: every
/// grid point and bisection step of every variant, the analysis runs, and
/// the largest load it simulates (the grid's top or the growth projection).
fn check_plan_cost(
    sc: &ratesim::scenario::Scenario,
    s: &ratesim::plan::Settings,
    limits: &ratesim::experiment::cost::Limits,
) -> Result<()> {
    let projected = s.projected_factor();
    if !projected.is_finite() {
        return Err(input(format!(
            "[plan] growth {} over {} months projects a load beyond any number; lower growth or horizon_months",
            s.growth, s.horizon_months
        )));
    }
    let models = sc.policy.models.len() as f64;
    let reps = f64::from(s.replications);
    let variants = 1.0 + s.candidates.len() as f64;
    let goals = (1.0 + 2.0 * models) + s.candidates.len() as f64;
    let grid = variants * s.factors.len() as f64 * reps;
    let bisect = f64::from(s.bisect_steps) * goals * reps;
    let analysis = reps * (1.0 + ratesim::plan::LIMIT_MULTIPLES.len() as f64);
    let own_keys = (s.factors.len() as f64 + f64::from(s.bisect_steps) * models) * reps;
    let runs = grid + bisect + analysis + own_keys;
    let top = s.factors.last().copied().unwrap_or(1.0).max(projected);
    ratesim::experiment::cost::check_runs(sc, runs, top, 20_000.0, "--replications", limits)
        .map_err(input)
}
