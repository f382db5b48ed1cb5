//! `ratesim tune`: the best numeric parameters of a strategy for the
//! scenario's workload under an objective; the verdict on stdout, the
//! report files on disk.

use super::rounds::{self, ShardFlags};
use super::{check_jobs, emit, input, limits, load, progress, write_files};
use anyhow::Result;
use ratesim::report::terminal;
use ratesim::scenario::validate::default_out_dir;
use ratesim::tune::{Settings, TuneError};
use std::path::{Path, PathBuf};
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
    /// Output folder (default: reports/<scenario name>/tune/); with a shard,
    /// the folder the shards share (default: reports/<scenario name>/tune-parts/).
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
    #[command(flatten)]
    shard: ShardFlags,
}

/// The flags that change the search, as given.
pub struct Flags<'a> {
    pub strategy: Option<&'a str>,
    pub groups: &'a [String],
    pub objective: Option<&'a str>,
    pub budget: Option<u32>,
    pub seed: Option<u64>,
}

impl Flags<'_> {
    /// The flags given, as a part file's options.
    pub fn options(&self) -> Vec<(String, String)> {
        let mut o = Vec::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                o.push((k.to_string(), v));
            }
        };
        put("strategy", self.strategy.map(str::to_string));
        put(
            "groups",
            (!self.groups.is_empty()).then(|| self.groups.join(",")),
        );
        put("objective", self.objective.map(str::to_string));
        put("budget", self.budget.map(|b| b.to_string()));
        put("seed", self.seed.map(|s| s.to_string()));
        o
    }
}

/// The search's settings: the scenario's [tune] table, then the flags.
pub fn settings(sc: &ratesim::scenario::Scenario, path: &Path, f: &Flags) -> Result<Settings> {
    let strategy = f.strategy.map(parse_strategy).transpose()?;
    let groups = if f.groups.is_empty() {
        None
    } else {
        Some(
            f.groups
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
    let mut settings = Settings::from_scenario(sc, groups, strategy)
        .map_err(|e| input(format!("{}: {e}", path.display())))?;
    if let Some(text) = f.objective {
        settings.constraint = ratesim::objective::Constraint::parse(text)
            .map_err(|e| input(format!("--objective: {e}")))?;
    }
    if let Some(b) = f.budget {
        settings.budget = b;
    }
    if let Some(s) = f.seed {
        settings.base_seed = s;
    }
    Ok(settings)
}

/// A failed search: a budget too small is the user's to fix.
pub fn tune_error(e: TuneError) -> anyhow::Error {
    match e {
        TuneError::Budget(_) => input(format!("--budget: {e}")),
        TuneError::Run(e) => rounds::round_error(e),
    }
}

pub fn run(args: Args) -> Result<()> {
    let sc = load(&args.scenario)?;
    let flags = Flags {
        strategy: args.strategy.as_deref(),
        groups: &args.groups,
        objective: args.objective.as_deref(),
        budget: args.budget,
        seed: args.seed,
    };
    let settings = settings(&sc, &args.scenario, &flags)?;
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
    if let Some((shard, wait)) = args.shard.resolve()? {
        let dir = args
            .out
            .unwrap_or_else(|| default_out_dir(&sc).join("tune-parts"));
        let origin = rounds::origin(&args.scenario, flags.options())?;
        let x = rounds::Exchange::shard("tune", origin, dir.clone(), shard, wait, args.quiet);
        ratesim::tune::run_rounds_with_threads(&sc, &settings, &x, args.jobs, &|| {})
            .map_err(tune_error)?;
        return emit(&rounds::finished(&x, "tune", shard, &dir));
    }
    let dir = args
        .out
        .unwrap_or_else(|| default_out_dir(&sc).join("tune"));
    let bar = progress(u64::from(budget), args.quiet);
    bar.set_message("tune");
    let wall = Instant::now();
    let result = ratesim::tune::run_with_threads(&sc, &settings, args.jobs, &|| bar.inc(1))
        .map_err(tune_error)?;
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
