//! The `ratesim` command line: parses arguments, calls the library, prints.
//! Exit codes: 0 success, 2 bad input (scenario, trace, arguments), 1 anything else.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use ratesim::policy::describe::describe;
use ratesim::policy::presets::{preset, PRESETS};
use ratesim::runner::{self, RunError};
use ratesim::scenario::{self, validate::default_out_dir, Scenario};
use ratesim::suggest::close_matches;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "ratesim",
    version,
    about = "Simulate API rate limits against client retry strategies, deterministically."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write summary.csv, timeseries.csv and charts.
    Run {
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
    },
    /// Run the same workload against competing strategies, with replications,
    /// and write a ranked report with charts.
    Compare {
        scenario: PathBuf,
        /// Strategy preset names, comma-separated (default: the scenario's [compare] list).
        #[arg(long, value_delimiter = ',')]
        strategies: Vec<String>,
        /// Replications per strategy (default: the scenario's, else 10).
        #[arg(long)]
        replications: Option<u32>,
        /// Seed of the first replication; replication r uses seed + r.
        #[arg(long)]
        seed: Option<u64>,
        /// Output folder (default: reports/<scenario name>/compare/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Threads to run replications on (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Capacity plan: sweep the offered load to find where the objective
    /// breaks, per model and overall, and what to change (see docs/plan.md).
    Plan {
        scenario: PathBuf,
        /// Objective terms over the scenario's [plan] table, e.g.
        /// "share_429<=1%,p99<=60s,gave_up<=0" (a term may be "none").
        #[arg(long)]
        objective: Option<String>,
        /// Replications per load factor (default: the scenario's, else 8).
        #[arg(long)]
        replications: Option<u32>,
        /// Seed of the first replication; replication r uses seed + r.
        #[arg(long)]
        seed: Option<u64>,
        /// Output folder (default: reports/<scenario name>/plan/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Threads to run simulations on (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Check a scenario without running it.
    Validate { scenario: PathBuf },
    /// Print the resolved limits of every model (or one), and the rule behind each.
    Policy {
        /// Only this model.
        #[arg(long)]
        model: Option<String>,
        /// The limit table to resolve against (default: venice).
        #[arg(long)]
        preset: Option<String>,
        /// Resolve with this scenario's policy (overrides and added models).
        #[arg(long)]
        scenario: Option<PathBuf>,
        #[command(subcommand)]
        action: Option<PolicyAction>,
    },
    /// Convert recorded request logs to the canonical trace, or summarise a trace.
    Trace {
        #[command(subcommand)]
        action: TraceAction,
    },
    /// List the client strategy presets, or print one's full composition.
    Strategies {
        /// The preset to print in full.
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum PolicyAction {
    /// Turn the body of GET /api/v1/api_keys/rate_limits into [[policy.models]] entries.
    Import {
        /// The JSON body saved from the API.
        file: PathBuf,
        /// Where to write the TOML (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TraceAction {
    /// Convert a log export to the canonical CSV trace (docs/traces.md).
    Convert {
        input: PathBuf,
        /// canonical, litellm-csv, litellm-json, helicone, otel, openai-batch.
        #[arg(long)]
        from: String,
        #[arg(long)]
        out: PathBuf,
        /// Skip malformed rows (counted and listed) instead of stopping.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Sort rows by time in memory instead of rejecting rows out of order.
        #[arg(long)]
        sort: bool,
        /// For openai-batch: send rate, e.g. "2/s" (Poisson arrivals).
        #[arg(long)]
        rate: Option<String>,
        /// For openai-batch: seed of the arrival times.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print duration, load per minute and model, the burstiest minute, token sizes
    /// and the share of requests too big for their model's TPM.
    Stats {
        trace: PathBuf,
        #[arg(long, default_value = "canonical")]
        from: String,
        /// Resolve models with this scenario's policy (default: the venice preset).
        #[arg(long)]
        scenario: Option<PathBuf>,
    },
}

/// An error that is the user's input, not the tool: printed plainly, exit 2.
struct InputError(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (e.g. `| head`): not an error of ours.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            if let Some(InputError(msg)) = e.downcast_ref::<InputError>() {
                eprintln!("error: {msg}");
                ExitCode::from(2)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

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

fn input(msg: impl ToString) -> anyhow::Error {
    anyhow::Error::new(InputError(msg.to_string()))
}

fn load(path: &Path) -> Result<Scenario> {
    scenario::load(path).map_err(input)
}

fn run_error(e: impl Into<RunError>) -> anyhow::Error {
    let e: RunError = e.into();
    match e {
        RunError::Trace(t) => input(t),
        other => anyhow::Error::new(other),
    }
}

/// Writes to stdout, returning broken pipes as errors instead of panicking.
fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Run {
            scenario,
            seed,
            out,
            requests,
            rate_limit_log,
        } => {
            let sc = load(&scenario)?;
            let seed = seed.unwrap_or(sc.seed);
            let dir = out.unwrap_or_else(|| default_out_dir(&sc));
            let wall = Instant::now();
            let report =
                runner::run_to_dir(&sc, seed, &dir, requests, rate_limit_log).map_err(run_error)?;
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
            text += &format!(
                "{} events, {} simulated, {:.2} s wall, {:.2}M events/s\n",
                o.events,
                o.horizon,
                elapsed,
                o.events as f64 / elapsed.max(1e-9) / 1e6
            );
            emit(&text)?;
            Ok(())
        }
        Command::Compare {
            scenario,
            strategies,
            replications,
            seed,
            out,
            jobs,
            quiet,
        } => compare(&scenario, &strategies, replications, seed, out, jobs, quiet),
        Command::Plan {
            scenario,
            objective,
            replications,
            seed,
            out,
            jobs,
            quiet,
        } => plan(
            &scenario,
            objective.as_deref(),
            replications,
            seed,
            out,
            jobs,
            quiet,
        ),
        Command::Validate { scenario } => {
            let sc = load(&scenario)?;
            ratesim::experiment::open_traces(&sc, sc.seed).map_err(input)?;
            emit(&format!(
                "{}: ok ({} group(s), {} key(s), {} simulated, seed {})\n",
                scenario.display(),
                sc.groups.len(),
                sc.keys.len(),
                sc.horizon(),
                sc.seed
            ))?;
            Ok(())
        }
        Command::Policy {
            action: Some(PolicyAction::Import { file, out }),
            ..
        } => policy_import(&file, out),
        Command::Trace { action } => trace(action),
        Command::Policy {
            model,
            preset: preset_name,
            scenario,
            action: None,
        } => {
            let policy = match (&scenario, &preset_name) {
                (Some(_), Some(_)) => return Err(input("give --scenario or --preset, not both")),
                (Some(path), None) => load(path)?.policy,
                (None, name) => {
                    let name = name
                        .as_deref()
                        .unwrap_or(ratesim::policy::presets::DEFAULT_PRESET);
                    let Some(table) = preset(name) else {
                        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
                        let close = close_matches(name, names.iter().copied());
                        let hint = if close.is_empty() {
                            String::new()
                        } else {
                            format!(" (did you mean {}?)", close.join(" or "))
                        };
                        return Err(input(format!(
                            "unknown preset {name:?}{hint}; presets: {}",
                            names.join(", ")
                        )));
                    };
                    let models = ratesim::policy::catalogue::resolve(table, &[]).map_err(input)?;
                    ratesim::policy::Policy {
                        preset: table.name.to_string(),
                        models,
                        window: Default::default(),
                        tpm: Default::default(),
                        lockout: Default::default(),
                        header_units: Default::default(),
                    }
                }
            };
            let id = model
                .map(|m| policy.model_index(&m).map_err(input))
                .transpose()?;
            emit(&describe(&policy, id))?;
            Ok(())
        }
        Command::Strategies { name } => {
            let text = match name {
                None => ratesim::strategy::presets::describe_all(),
                Some(n) => ratesim::strategy::presets::describe(&n).map_err(input)?,
            };
            emit(&text)
        }
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or when asked.
fn progress(total: u64, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} runs, {elapsed} elapsed, ~{eta} left",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar
}

fn compare(
    path: &Path,
    flag_strategies: &[String],
    replications: Option<u32>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<()> {
    let sc = load(path)?;
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
    if jobs == Some(0) {
        return Err(input("--jobs must be at least 1"));
    }
    let plan = ratesim::compare::Plan {
        strategies,
        replications,
        groups: spec.map_or_else(|| (0..sc.groups.len()).collect(), |c| c.groups),
        base_seed: seed.unwrap_or(sc.seed),
    };
    let dir = out.unwrap_or_else(|| default_out_dir(&sc).join("compare"));
    let total = (plan.strategies.len() as u64) * u64::from(replications);
    let bar = progress(total, quiet);
    bar.set_message(format!("comparing {} strategies", plan.strategies.len()));
    let wall = Instant::now();
    let comparison =
        ratesim::compare::run_with_threads(&sc, &plan, jobs, &|| bar.inc(1)).map_err(run_error)?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let files = ratesim::report::compare::compare_files(&sc, &comparison)?;
    let mut staged = ratesim::output::OutputDir::new(&dir);
    for (name, bytes) in &files {
        staged
            .stage(name, bytes)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    }
    let written = staged
        .commit()
        .with_context(|| format!("cannot write into {}", dir.display()))?;
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
        text += &format!("- {line}\n");
    }
    text.push('\n');
    for f in &written {
        text += &format!("wrote {}\n", f.display());
    }
    let events: u64 = comparison.runs.iter().map(|r| r.events).sum();
    text += &format!(
        "{total} runs, {events} events, {elapsed:.2} s wall on {} thread(s), {:.2}M events/s\n",
        jobs.unwrap_or_else(rayon::current_num_threads),
        events as f64 / elapsed.max(1e-9) / 1e6
    );
    emit(&text)
}

fn plan(
    path: &Path,
    objective: Option<&str>,
    replications: Option<u32>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<()> {
    let sc = load(path)?;
    let mut settings = ratesim::plan::Settings::from_scenario(&sc);
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
    if jobs == Some(0) {
        return Err(input("--jobs must be at least 1"));
    }
    let dir = out.unwrap_or_else(|| default_out_dir(&sc).join("plan"));
    let bar = progress(0, quiet);
    bar.set_message("planning");
    let wall = Instant::now();
    let result = ratesim::plan::run_with_threads(&sc, &settings, jobs, &|p| match p {
        ratesim::plan::Progress::Planned(n) => bar.inc_length(n),
        ratesim::plan::Progress::Done => bar.inc(1),
    })
    .map_err(run_error)?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let files = ratesim::report::plan::plan_files(&sc, &result)?;
    let mut staged = ratesim::output::OutputDir::new(&dir);
    for (name, bytes) in &files {
        staged
            .stage(name, bytes)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    }
    let written = staged
        .commit()
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    let mut text = format!(
        "{}: capacity plan, {} replication(s) per load, seeds {}..{}\n\n",
        sc.name,
        settings.replications,
        settings.base_seed,
        settings.base_seed + u64::from(settings.replications) - 1
    );
    for line in ratesim::report::plan::verdict(&sc, &result) {
        text += &format!("- {line}\n");
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
        + result.limits.iter().map(|l| l.1.len()).sum::<usize>();
    text += &format!(
        "{runs} runs, {elapsed:.2} s wall on {} thread(s)\n",
        jobs.unwrap_or_else(rayon::current_num_threads)
    );
    emit(&text)
}

fn default_policy() -> ratesim::policy::Policy {
    let table =
        preset(ratesim::policy::presets::DEFAULT_PRESET).expect("the default preset exists");
    ratesim::policy::Policy {
        preset: table.name.to_string(),
        models: ratesim::policy::catalogue::resolve(table, &[])
            .expect("the built-in catalogue resolves"),
        window: Default::default(),
        tpm: Default::default(),
        lockout: Default::default(),
        header_units: Default::default(),
    }
}

fn policy_import(file: &Path, out: Option<PathBuf>) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let entries = ratesim::policy::import::import_limits(&text)
        .map_err(|e| input(format!("{}: {e}", file.display())))?;
    let toml = ratesim::policy::import::policy_toml(
        &entries,
        &format!(
            "Imported from {} (GET /api/v1/api_keys/rate_limits)",
            file.display()
        ),
    );
    match out {
        None => emit(&toml),
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| input("--out needs a file name"))?;
            let mut staged = ratesim::output::OutputDir::new(dir);
            staged
                .stage(name, toml.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            staged
                .commit()
                .with_context(|| format!("cannot write {}", path.display()))?;
            emit(&format!(
                "wrote {} ({} models)\n",
                path.display(),
                entries.len()
            ))
        }
    }
}

fn trace(action: TraceAction) -> Result<()> {
    use ratesim::workload::import::{self, Format, ImportOptions};
    let format = |name: &str| Format::from_name(name).map_err(input);
    match action {
        TraceAction::Convert {
            input: path,
            from,
            out,
            skip_bad_rows,
            sort,
            rate,
            seed,
        } => {
            let format = format(&from)?;
            let arrivals = match (&rate, format) {
                (Some(r), Format::OpenaiBatch) => {
                    let per_sec = match ratesim::time::parse_rate(r) {
                        Ok(x) if x > 0.0 => x,
                        Ok(_) => {
                            return Err(input(format!(
                                "--rate {r:?}: a rate must be a positive number"
                            )))
                        }
                        Err(e) => return Err(input(format!("--rate {r:?}: {e}"))),
                    };
                    Some((
                        ratesim::workload::ArrivalSpec::Poisson { rate: per_sec },
                        ratesim::rng::stream(
                            seed,
                            "trace-convert",
                            ratesim::rng::Purpose::Arrivals,
                        ),
                    ))
                }
                (Some(_), _) => return Err(input(
                    "--rate only applies to --from openai-batch (the other formats carry times)",
                )),
                (None, Format::OpenaiBatch) => {
                    return Err(input(
                        "an OpenAI batch file has no times: give --rate, e.g. --rate 2/s",
                    ))
                }
                (None, _) => None,
            };
            let options = ImportOptions {
                skip_bad_rows,
                sort,
                arrivals,
            };
            let models: Vec<String> = default_policy()
                .models
                .iter()
                .map(|m| m.id.clone())
                .collect();
            let dir = out
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf();
            let name = out
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| input("--out needs a file name"))?
                .to_string();
            let mut staged = ratesim::output::OutputDir::new(&dir);
            let mut stream = staged
                .stage_stream(&name)
                .with_context(|| format!("cannot write {}", out.display()))?;
            let report = match import::convert(&path, format, options, &models, &mut stream) {
                Ok(r) => r,
                Err(import::ConvertError::Trace(t)) => return Err(input(t)),
                Err(e) => return Err(e.into()),
            };
            use std::io::Write as _;
            stream.flush()?;
            drop(stream);
            staged
                .commit()
                .with_context(|| format!("cannot write {}", out.display()))?;
            let mut text = format!(
                "wrote {} ({} rows; {} failed in the source and kept as requests",
                out.display(),
                report.rows,
                report.failed_in_source
            );
            if report.not_requests > 0 {
                text += &format!(
                    "; {} records that are not requests passed over",
                    report.not_requests
                );
            }
            text += ")\n";
            if report.skipped.count > 0 {
                text += &format!(
                    "skipped {} malformed rows; the first:\n",
                    report.skipped.count
                );
                for e in &report.skipped.first {
                    text += &format!("  {e}\n");
                }
            }
            emit(&text)
        }
        TraceAction::Stats {
            trace,
            from,
            scenario,
        } => {
            let format = format(&from)?;
            if format == Format::OpenaiBatch {
                return Err(input(
                    "an OpenAI batch file has no times; convert it with --rate first",
                ));
            }
            let policy = match scenario {
                Some(p) => load(&p)?.policy,
                None => default_policy(),
            };
            let models: Vec<String> = policy.models.iter().map(|m| m.id.clone()).collect();
            let rows =
                import::open_file(&trace, format, ImportOptions::default(), models, Vec::new())
                    .map_err(input)?;
            let stats = import::stats::trace_stats(rows, &policy).map_err(input)?;
            emit(&import::stats::render(&stats))
        }
    }
}
