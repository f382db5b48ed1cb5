//! `ratesim sweep`: the grid of a scenario's `[sweep]` table, whole or one
//! shard of it (a part file for `ratesim merge`).

use super::{
    check_jobs, input, limits, load, progress, run_error, write_file_atomically, write_files,
};
use anyhow::{Context, Result};
use ratesim::report::sweep::{self as render, Focus, PartHeader};
use ratesim::scenario::validate::default_out_dir;
use ratesim::sweep::{Grid, Shard};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML) with a [sweep] table.
    scenario: PathBuf,
    /// Output folder: the report (default: reports/<scenario name>/sweep/),
    /// or with a shard the folder its part file goes to (default:
    /// reports/<scenario name>/sweep-parts/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only shard K of N (0 <= K < N) and write part-K-of-N.csv. Without
    /// it, JOB_COMPLETION_INDEX with JOB_COMPLETIONS (Kubernetes) or
    /// SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (Slurm) name the
    /// shard when set.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Seed of the first replication; replication r uses seed + r.
    #[arg(long)]
    seed: Option<u64>,
    /// Threads to run units on (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Run even when the work or memory estimate exceeds the documented limits.
    #[arg(long)]
    allow_large: bool,
}

/// The shard to run: the flag's, else the environment's.
pub fn shard_of(flag: Option<&str>) -> Result<Option<Shard>> {
    match flag {
        Some(text) => Shard::parse(text, "--shard").map(Some).map_err(input),
        None => Shard::from_env(&|name| std::env::var(name).ok()).map_err(input),
    }
}

/// The FNV-1a hash of the scenario file's bytes: parts of another file
/// never merge.
pub fn scenario_hash(path: &Path) -> Result<u64> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(ratesim::sweep::fnv1a(&bytes))
}

/// The name of shard `s`'s part file (`ext` without its dot).
pub fn part_name(kind: &str, s: Shard, ext: &str) -> String {
    format!("{kind}-part-{}-of-{}.{ext}", s.index, s.count)
}

pub fn run(args: Args) -> Result<()> {
    let sc = load(&args.scenario)?;
    let spec = sc.sweep.clone().ok_or_else(|| {
        input(format!(
            "{}: nothing to sweep: add a [sweep] table (see docs/distributed.md)",
            args.scenario.display()
        ))
    })?;
    let shard = shard_of(args.shard.as_deref())?;
    check_jobs(args.jobs)?;
    let limits = limits(args.allow_large);
    // The grid is listed before anything is counted per unit: bound its
    // size first.
    if spec.points() > limits.runs {
        return Err(input(format!(
            "{}: the [sweep] grid has {:.3e} points (strategies x load x limits x every `set` list), more than the {:.0e} runs a command may make; shorten the lists, or pass --allow-large",
            args.scenario.display(),
            spec.points(),
            limits.runs
        )));
    }
    let grid = Grid::new(&spec, args.seed.unwrap_or(sc.seed));
    let focus = Focus::of(&sc, &grid).map_err(input)?;
    let source = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("cannot read {}", args.scenario.display()))?;
    // Every point's scenario is validated before anything runs.
    let scenarios = grid.scenarios(&sc, &source).map_err(input)?;
    let units = grid.units_of(shard);
    let max_load = spec.load.iter().copied().fold(1.0, f64::max);
    for (c, point) in scenarios.iter().enumerate() {
        ratesim::experiment::cost::check_runs(
            point,
            units.len() as f64,
            max_load,
            230_000.0 * (sc.groups.len() + 1) as f64,
            "[sweep]",
            &limits,
        )
        .map_err(|e| {
            if grid.spec().set.is_empty() {
                input(e)
            } else {
                let i = (0..grid.points.len())
                    .find(|&i| grid.scenario_of(i) == c)
                    .unwrap_or(0);
                input(format!(
                    "{}: at the sweep point {}: {e}",
                    args.scenario.display(),
                    grid.set_label(i)
                ))
            }
        })?;
    }
    let bar = progress(units.len() as u64, args.quiet);
    bar.set_message("sweep");
    let results =
        ratesim::sweep::run_with_threads(&scenarios, &grid, &units, args.jobs, &|| bar.inc(1))
            .map_err(run_error)?;
    bar.finish_and_clear();
    let rows = render::rows(&sc, &grid, &results);
    let set_paths: Vec<String> = spec.set.iter().map(|a| a.path.clone()).collect();
    match shard {
        Some(s) => {
            let dir = args
                .out
                .unwrap_or_else(|| default_out_dir(&sc).join("sweep-parts"));
            let header = PartHeader {
                scenario: scenario_hash(&args.scenario)?,
                grid: grid.hash(),
                shard: s,
                points: grid.points.len(),
                replications: grid.replications,
                focus,
                set: set_paths,
            };
            let path = dir.join(part_name("sweep", s, "csv"));
            write_file_atomically(&path, &render::part_bytes(&header, &rows))?;
            if !args.quiet {
                eprintln!(
                    "shard {}/{}: {} of {} units -> {}",
                    s.index,
                    s.count,
                    units.len(),
                    grid.points.len() * grid.replications as usize,
                    path.display()
                );
            }
        }
        None => {
            let dir = args
                .out
                .unwrap_or_else(|| default_out_dir(&sc).join("sweep"));
            let files = render::sweep_files(&rows, &focus, &set_paths)?;
            let written = write_files(&dir, &files)?;
            if !args.quiet {
                print!("{}", render::terminal(&rows, &focus, &set_paths));
                for p in written {
                    eprintln!("wrote {}", p.display());
                }
            }
        }
    }
    Ok(())
}
