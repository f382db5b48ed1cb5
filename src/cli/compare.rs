//! `ratesim compare`: every candidate strategy on the same workload, with
//! replications; the ranked verdict on stdout, the report files on disk.

use super::{
    check_jobs, emit, gates, input, limits, load, progress, run_error, write_file_atomically,
    write_files, Batch,
};
use anyhow::Result;
use ratesim::report::terminal;
use ratesim::scenario::validate::default_out_dir;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML); its [compare] table lists the strategies
    /// and the groups that get them.
    scenario: PathBuf,
    /// Strategy preset names, comma-separated (default: the scenario's
    /// [compare] list; `ratesim strategies` lists the presets).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    strategies: Vec<String>,
    /// Replications per strategy (default: the scenario's, else 10).
    #[arg(long)]
    replications: Option<u32>,
    /// A CI gate, checked with the scenario's [thresholds] on every
    /// strategy's means across replications: `[GROUP:]FIGURE<=VALUE`, e.g.
    /// `share_429<=1%`. Every strategy must hold every threshold, or the
    /// command exits 3. Repeatable.
    #[arg(long = "threshold", value_name = "TERM")]
    thresholds: Vec<String>,
    #[command(flatten)]
    batch: Batch,
}

pub fn run(args: Args) -> Result<()> {
    let Args {
        scenario: path,
        strategies: flag_strategies,
        replications,
        thresholds: threshold_flags,
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
    } = args;
    let sc = load(&path)?;
    let thresholds = gates::gather(&sc, &threshold_flags)?;
    let spec = sc.compare.clone();
    let strategies = if flag_strategies.is_empty() {
        spec.as_ref()
            .map(|c| c.strategies.clone())
            .unwrap_or_default()
    } else {
        flag_strategies
            .iter()
            .map(|name| {
                ratesim::strategy::config::parse(&toml::Value::String(name.trim().to_string()))
                    .map_err(|e| input(format!("--strategies: {}", e.message)))
            })
            .collect::<Result<Vec<_>>>()?
    };
    if strategies.is_empty() {
        return Err(input(format!(
            "nothing to compare: give --strategies a,b,c (see `ratesim strategies`) or add a [compare] table with `strategies` to {}",
            path.display()
        )));
    }
    let replications = replications
        .or(spec.as_ref().and_then(|c| c.replications))
        .unwrap_or(10);
    if replications == 0 {
        return Err(input("--replications must be at least 1"));
    }
    check_jobs(jobs)?;
    let runs = strategies.len() as f64 * f64::from(replications);
    ratesim::experiment::cost::check_runs(
        &sc,
        runs,
        1.0,
        ratesim::experiment::cost::compare_bytes_per_run(&sc),
        "--replications",
        &limits(allow_large),
    )
    .map_err(input)?;
    let plan = ratesim::compare::Plan {
        strategies,
        replications,
        groups: spec.map_or_else(|| (0..sc.groups.len()).collect(), |c| c.groups),
        base_seed: seed.unwrap_or(sc.seed),
    };
    let dir = out.unwrap_or_else(|| default_out_dir(&sc).join("compare"));
    let total = (plan.strategies.len() as u64) * u64::from(replications);
    let bar = progress(total, quiet);
    bar.set_message("compare");
    let wall = Instant::now();
    let comparison =
        ratesim::compare::run_with_threads(&sc, &plan, jobs, &|| bar.inc(1)).map_err(run_error)?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let files = ratesim::report::compare::compare_files(&sc, &comparison)?;
    let mut written = write_files(&dir, &files)?;
    if let Some(path) = &export_json {
        let json = ratesim::report::export::compare_json(&sc, &comparison);
        write_file_atomically(path, &json)?;
        written.push(path.clone());
    }
    if let Some(path) = &export_markdown {
        let md = ratesim::report::markdown::compare_markdown(&sc, &comparison);
        write_file_atomically(path, &md)?;
        written.push(path.clone());
    }
    let est: Vec<_> = (0..plan.strategies.len())
        .map(|s| ratesim::report::compare::estimates(&comparison, s))
        .collect();
    let mut text = format!(
        "{}: {} strategies x {} replication(s), seeds {}..{}\n\n",
        sc.name,
        plan.strategies.len(),
        replications,
        plan.base_seed,
        plan.base_seed + u64::from(replications) - 1
    );
    for line in ratesim::report::compare::verdict(&comparison, &est) {
        text += &terminal::bullet(&line, terminal::WIDTH);
    }
    text.push('\n');
    for f in &written {
        text += &format!("wrote {}\n", f.display());
    }
    let events: u64 = comparison.runs.iter().map(|r| r.events).sum();
    text += &format!(
        "{total} runs on {} thread(s), {}\n",
        jobs.unwrap_or_else(rayon::current_num_threads),
        terminal::throughput(events, elapsed)
    );
    emit(&text)?;
    check(&sc, &comparison, &est, &thresholds)
}

/// The thresholds on every strategy's means (see [`gates`] for which ones
/// compare can check): a line on stdout when all hold, exit 3 otherwise.
fn check(
    sc: &ratesim::scenario::Scenario,
    c: &ratesim::compare::Comparison,
    est: &[Vec<ratesim::stats::Estimate>],
    thresholds: &[ratesim::threshold::Threshold],
) -> Result<()> {
    let compared: Vec<&str> = c
        .plan
        .groups
        .iter()
        .map(|&g| sc.groups[g].name.as_str())
        .collect();
    let (checked, skipped): (Vec<_>, Vec<_>) = thresholds.iter().partition(|t| match &t.group {
        None => true,
        Some(g) => compared == [g.as_str()],
    });
    let mut text = String::new();
    if !skipped.is_empty() {
        let names: Vec<String> = skipped.iter().map(|t| t.to_string()).collect();
        text += &format!(
            "not checked (compare measures the compared groups, {}, together): {}\n",
            compared.join(", "),
            names.join("; ")
        );
    }
    let mut failed = Vec::new();
    let mut crossed = 0;
    let mut failing = vec![false; est.len()];
    for t in &checked {
        let before = failed.len();
        for (s, e) in est.iter().enumerate() {
            if let Some(why) = gates::crossing(t, e[gates::metric_index(t)].mean) {
                failed.push(format!("{}: {why}", c.plan.strategies[s].name));
                failing[s] = true;
            }
        }
        crossed += usize::from(failed.len() > before);
    }
    emit(&text)?;
    let means = format!("means of {} replication(s)", c.plan.replications);
    emit(&gates::verdict(
        checked.len(),
        crossed,
        &failed,
        &format!(" for every strategy, on the {means}"),
        &format!(
            " by {} of {} strategies, on the {means}",
            failing.iter().filter(|f| **f).count(),
            est.len()
        ),
    )?)
}
