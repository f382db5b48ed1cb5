//! `ratesim tune`: the best numeric parameters of a strategy for the
//! scenario's workload under an objective; the verdict on stdout, the
//! report files on disk.

use super::{check_jobs, emit, input, limits, load, progress, run_error, write_files};
use anyhow::Result;
use ratesim::report::terminal;
use ratesim::scenario::validate::default_out_dir;
use ratesim::tune::{Settings, TuneError};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML); its optional [tune] table names the groups,
    /// the strategy, the objective, the budget and the parameter ranges.
    scenario: PathBuf,
    /// The strategy to tune: a preset name or an inline strategy table such
    /// as '{ preset = "openai-python", max_attempts = 4 }' (default: the
    /// [tune] table's, else the first tuned group's).
    #[arg(long, value_name = "PRESET|TABLE")]
    strategy: Option<String>,
    /// Groups that take the tuned strategy, comma-separated (default: the
    /// [tune] table's, else the [compare] table's, else every group).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    groups: Vec<String>,
    /// Objective terms, each a ceiling: share_429, p99, gave_up, locked_out,
    /// e.g. "share_429<=1%,p99<=30s,locked_out<=0s" (a term may be "none";
    /// default: the [tune] table's, else share_429<=1%,p99<=60s).
    #[arg(long, value_name = "TERMS")]
    objective: Option<String>,
    /// Most runs the search may use (default: the [tune] table's, else 160).
    #[arg(long, value_name = "RUNS")]
    budget: Option<u32>,
    /// Seed of the design and of the first replication; replication r uses seed + r.
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder (default: reports/<scenario name>/tune/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Threads to run simulations on (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Run even when the work estimate exceeds the documented limits.
    #[arg(long)]
    allow_large: bool,
}

pub fn run(args: Args) -> Result<()> {
    let sc = load(&args.scenario)?;
    let strategy = args.strategy.as_deref().map(parse_strategy).transpose()?;
    let groups = if args.groups.is_empty() {
        None
    } else {
        Some(
            args.groups
                .iter()
                .map(|name| {
                    sc.groups
                        .iter()
                        .position(|g| g.name == name.trim())
                        .ok_or_else(|| {
                            let names: Vec<&str> =
                                sc.groups.iter().map(|g| g.name.as_str()).collect();
                            input(format!(
                                "--groups: no group is called {name:?}; the groups are {}",
                                names.join(", ")
                            ))
                        })
                })
                .collect::<Result<Vec<_>>>()?,
        )
    };
    let mut settings = Settings::from_scenario(&sc, groups, strategy)
        .map_err(|e| input(format!("{}: {e}", args.scenario.display())))?;
    if let Some(text) = &args.objective {
        settings.constraint = ratesim::objective::Constraint::parse(text)
            .map_err(|e| input(format!("--objective: {e}")))?;
    }
    if let Some(b) = args.budget {
        settings.budget = b;
    }
    if let Some(s) = args.seed {
        settings.base_seed = s;
    }
    let budget = settings.budget;
    check_jobs(args.jobs)?;
    ratesim::experiment::cost::check_runs(
        &sc,
        f64::from(budget),
        1.0,
        256.0,
        "--budget",
        &limits(args.allow_large),
    )
    .map_err(input)?;
    let dir = args
        .out
        .unwrap_or_else(|| default_out_dir(&sc).join("tune"));
    let bar = progress(u64::from(budget), args.quiet);
    bar.set_message("tune");
    let wall = Instant::now();
    let result = ratesim::tune::run_with_threads(&sc, &settings, args.jobs, &|| bar.inc(1))
        .map_err(|e| match e {
            TuneError::Budget(_) => input(format!("--budget: {e}")),
            TuneError::Run(e) => run_error(e),
        })?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let files = ratesim::report::tune::tune_files(&sc, &result)?;
    let written = write_files(&dir, &files)?;
    let mut text = format!(
        "{}: tuning {} parameter(s) of {}, {} candidates, {} runs, seeds {}..\n\n",
        sc.name,
        settings.space.dims.len(),
        settings.space.base.name,
        result.candidates.len(),
        result.runs,
        settings.base_seed
    );
    for line in ratesim::report::tune::verdict(&sc, &result) {
        text += &terminal::bullet(&line, terminal::WIDTH);
    }
    text.push('\n');
    for f in &written {
        text += &format!("wrote {}\n", f.display());
    }
    text += &format!(
        "{} runs on {} thread(s), {}\n",
        result.runs,
        args.jobs.unwrap_or_else(rayon::current_num_threads),
        terminal::throughput(result.events, elapsed)
    );
    emit(&text)
}

/// A preset name, or an inline table in the scenario's strategy format.
fn parse_strategy(text: &str) -> Result<ratesim::strategy::StrategySpec> {
    let t = text.trim();
    let value = if t.starts_with('{') {
        let doc: toml::Table = toml::from_str(&format!("s = {t}")).map_err(|e| {
            input(format!(
                "--strategy: not a TOML inline table: {}",
                e.message()
            ))
        })?;
        doc["s"].clone()
    } else {
        toml::Value::String(t.to_string())
    };
    ratesim::strategy::config::parse(&value).map_err(|e| {
        let at = if e.field.is_empty() {
            String::new()
        } else {
            format!(" {}:", e.field)
        };
        input(format!("--strategy:{at} {}", e.message))
    })
}
