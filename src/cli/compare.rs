//! `ratesim compare`: every candidate strategy on the same workload, with
//! replications; the ranked verdict on stdout, the report files on disk.
//! With a shard (`--shard K/N` or a batch engine's variables), only that
//! shard's (strategy, replication) units, written as one part file for
//! `ratesim merge`.

use super::{
    check_jobs, emit, gates, input, limits, load, progress, run_error, write_file_atomically,
    write_files, Batch,
};
use anyhow::{Context, Result};
use ratesim::compare::{Comparison, Plan};
use ratesim::report::compare::part::{part_bytes, PartHeader};
use ratesim::report::terminal;
use ratesim::scenario::validate::default_out_dir;
use ratesim::scenario::Scenario;
use ratesim::strategy::StrategySpec;
use std::path::{Path, PathBuf};
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
    /// Run only shard K of N (0 <= K < N) of the (strategy, replication)
    /// units and write compare-part-K-of-N.txt into --out (default:
    /// reports/<scenario name>/compare-parts/) for `ratesim merge`. Without
    /// it, JOB_COMPLETION_INDEX with JOB_COMPLETIONS (Kubernetes) or
    /// SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (Slurm) name the
    /// shard when set.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    #[command(flatten)]
    batch: Batch,
}

/// The strategies to compare: `--strategies`' preset names, else the
/// scenario's `[compare]` list.
fn strategies(sc: &Scenario, path: &Path, flags: &[String]) -> Result<Vec<StrategySpec>> {
    let strategies = if flags.is_empty() {
        sc.compare
            .as_ref()
            .map(|c| c.strategies.clone())
            .unwrap_or_default()
    } else {
        flags
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
    Ok(strategies)
}

/// The comparison the command line asks for: strategies, replications
/// (the flag's, else the scenario's, else 10), the compared groups and
/// the base seed. `merge` rebuilds a sharded comparison's plan with it.
pub(super) fn plan_of(
    sc: &Scenario,
    path: &Path,
    strategy_flags: &[String],
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<Plan> {
    let strategies = strategies(sc, path, strategy_flags)?;
    let spec = sc.compare.as_ref();
    let replications = replications
        .or(spec.and_then(|c| c.replications))
        .unwrap_or(10);
    if replications == 0 {
        return Err(input("--replications must be at least 1"));
    }
    Ok(Plan {
        strategies,
        replications,
        groups: spec.map_or_else(|| (0..sc.groups.len()).collect(), |c| c.groups.clone()),
        base_seed: seed.unwrap_or(sc.seed),
    })
}

/// The verdict `compare` and `merge` print: the comparison's size, then
/// one bullet per finding.
pub(super) fn verdict_text(
    sc: &Scenario,
    c: &Comparison,
    est: &[Vec<ratesim::stats::Estimate>],
) -> String {
    let plan = &c.plan;
    let mut text = format!(
        "{}: {} strategies x {} replication(s), seeds {}..{}\n\n",
        sc.name,
        plan.strategies.len(),
        plan.replications,
        plan.base_seed,
        plan.base_seed + u64::from(plan.replications) - 1
    );
    for line in ratesim::report::compare::verdict(c, est) {
        text += &terminal::bullet(&line, terminal::WIDTH);
    }
    text.push('\n');
    text
}

/// Writes `--export-json` and `--export-markdown` when given; the paths
/// written.
pub(super) fn write_exports(
    sc: &Scenario,
    c: &Comparison,
    export_json: Option<&Path>,
    export_markdown: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    if let Some(path) = export_json {
        write_file_atomically(path, &ratesim::report::export::compare_json(sc, c))?;
        written.push(path.to_path_buf());
    }
    if let Some(path) = export_markdown {
        write_file_atomically(path, &ratesim::report::markdown::compare_markdown(sc, c))?;
        written.push(path.to_path_buf());
    }
    Ok(written)
}

pub fn run(args: Args) -> Result<()> {
    let Args {
        scenario: path,
        strategies: flag_strategies,
        replications,
        thresholds: threshold_flags,
        shard,
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
    let shard = super::sweep::shard_of(shard.as_deref())?;
    if let Some(s) = shard {
        for (flag, given) in [
            ("--threshold", !threshold_flags.is_empty()),
            ("--export-json", export_json.is_some()),
            ("--export-markdown", export_markdown.is_some()),
        ] {
            if given {
                return Err(input(format!(
                    "{flag} needs the whole comparison, and this process runs shard {}/{} of it: give {flag} to `ratesim merge`",
                    s.index, s.count
                )));
            }
        }
    }
    let thresholds = gates::gather(&sc, &threshold_flags)?;
    let plan = plan_of(&sc, &path, &flag_strategies, replications, seed)?;
    check_jobs(jobs)?;
    // The shard's expected share, checked before the units are listed (a
    // billion replications are refused, not enumerated).
    let all = plan.strategies.len() as f64 * f64::from(plan.replications);
    let share = shard.map_or(all, |s| (all / s.count as f64).ceil());
    ratesim::experiment::cost::check_runs(
        &sc,
        share,
        1.0,
        ratesim::experiment::cost::compare_bytes_per_run(&sc),
        "--replications",
        &limits(allow_large),
    )
    .map_err(input)?;
    let units = plan.jobs_of(shard);
    let total = units.len() as u64;
    let bar = progress(total, quiet);
    bar.set_message("compare");
    let wall = Instant::now();
    let runs = ratesim::compare::run_units_with_threads(&sc, &plan, &units, jobs, &|| bar.inc(1))
        .map_err(run_error)?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let events: u64 = runs.iter().map(|r| r.events).sum();
    let speed = format!(
        "{total} runs on {} thread(s), {}\n",
        jobs.unwrap_or_else(rayon::current_num_threads),
        terminal::throughput(events, elapsed)
    );
    if let Some(s) = shard {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let scenario = ratesim::sweep::fnv1a(&bytes);
        let header = PartHeader {
            scenario,
            comparison: plan.hash(scenario),
            shard: s,
            replications: plan.replications,
            base_seed: plan.base_seed,
            strategies: plan.strategies.iter().map(|s| s.name.clone()).collect(),
            strategy_flags: flag_strategies
                .iter()
                .map(|n| n.trim().to_string())
                .collect(),
            scenario_path: path.display().to_string(),
            scenario_source: String::from_utf8_lossy(&bytes).into_owned(),
        };
        let dir = out.unwrap_or_else(|| default_out_dir(&sc).join("compare-parts"));
        let file = dir.join(super::sweep::part_name("compare", s, "txt"));
        write_file_atomically(&file, &part_bytes(&header, &runs))?;
        let all = plan.strategies.len() * plan.replications as usize;
        return emit(&format!(
            "{}: shard {}/{}: {} of {all} (strategy, replication) units\nwrote {}\n{speed}merge every shard's part into the report with:\n  ratesim merge {} --out DIR\n",
            sc.name,
            s.index,
            s.count,
            units.len(),
            file.display(),
            dir.join(format!("compare-part-*-of-{}.txt", s.count)).display()
        ));
    }
    let comparison = Comparison::of(&sc, plan, runs);
    let dir = out.unwrap_or_else(|| default_out_dir(&sc).join("compare"));
    let files = ratesim::report::compare::compare_files(&sc, &comparison)?;
    let mut written = write_files(&dir, &files)?;
    written.extend(write_exports(
        &sc,
        &comparison,
        export_json.as_deref(),
        export_markdown.as_deref(),
    )?);
    let est: Vec<_> = (0..comparison.plan.strategies.len())
        .map(|s| ratesim::report::compare::estimates(&comparison, s))
        .collect();
    let mut text = verdict_text(&sc, &comparison, &est);
    for f in &written {
        text += &format!("wrote {}\n", f.display());
    }
    text += &speed;
    emit(&text)?;
    check(&sc, &comparison, &est, &thresholds)
}

/// The thresholds on every strategy's means (see [`gates`] for which ones
/// compare can check): a line on stdout when all hold, exit 3 otherwise.
pub(super) fn check(
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
