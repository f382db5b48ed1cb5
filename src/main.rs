//! The `ratesim` command line: parses arguments, calls the library, prints.
//! Exit codes: 0 success, 2 bad input (scenario, trace, arguments), 3 a CI
//! gate that did not pass (a threshold of `run` or `compare`, `plan
//! --check`), 1 anything else.
//!
//! Each command lives in its own module under [`cli`]; this file only parses,
//! dispatches and maps errors to exit codes.

mod cli;

use clap::{CommandFactory, Parser, Subcommand};
use cli::{GateFailed, InputError};
use std::process::ExitCode;

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
    Run(cli::run::Args),
    /// Run the same workload against competing strategies, with replications,
    /// and write a ranked report with charts.
    Compare(cli::compare::Args),
    /// Capacity plan: sweep the offered load to find where the objective
    /// breaks, per model and overall, and what to change.
    Plan(cli::plan::Args),
    /// Search a strategy's numeric parameters (base, cap, attempts, pacing
    /// rate, ...) for the best success share under an objective.
    Tune(cli::tune::Args),
    /// Run the grid of a scenario's [sweep] table (strategies x load factors
    /// x limit multiples x replications), whole or one shard of it.
    Sweep(cli::sweep::Args),
    /// Merge the part files of a sharded sweep, plan or tune into its report.
    Merge(cli::merge::Args),
    /// Check a scenario without running it.
    Validate(cli::validate::Args),
    /// Print the limit table, then every model's (or one's) resolved limits
    /// and the rule behind each.
    Policy(cli::policy::Args),
    /// Convert recorded request logs to the canonical trace, or summarise a trace.
    Trace(cli::trace::Args),
    /// List the client strategy presets, or print one's full composition.
    Strategies(cli::strategies::Args),
    /// Write a commented starter scenario that validates and runs.
    Init(cli::init::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cli::completions::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // SIGINT and SIGTERM remove the unfinished outputs and exit 130 / 143.
    if let Err(e) = ratesim::output::interrupt::remove_staged_on_signals() {
        eprintln!("warning: cannot handle interrupts: {e}");
    }
    let result = match cli.command {
        Command::Run(args) => cli::run::run(args),
        Command::Compare(args) => cli::compare::run(args),
        Command::Plan(args) => cli::plan::run(args),
        Command::Tune(args) => cli::tune::run(args),
        Command::Sweep(args) => cli::sweep::run(args),
        Command::Merge(args) => cli::merge::run(args),
        Command::Validate(args) => cli::validate::run(args),
        Command::Policy(args) => cli::policy::run(args),
        Command::Trace(args) => cli::trace::run(args),
        Command::Strategies(args) => cli::strategies::run(args),
        Command::Init(args) => cli::init::run(args),
        Command::Completions(args) => cli::completions::run(args, &mut Cli::command()),
    };
    match result {
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
            } else if let Some(GateFailed(msg)) = e.downcast_ref::<GateFailed>() {
                eprintln!("check failed: {msg}");
                ExitCode::from(3)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command, positional argument and option says what it is, and
    /// no help text sends an installed binary's user to a path it lacks.
    #[test]
    fn every_command_and_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && path != "ratesim help" && !path.contains(" help ") {
                missing.push(format!("{path}: no about"));
            }
            let mut texts: Vec<String> =
                cmd.get_about().map(|a| a.to_string()).into_iter().collect();
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                match arg.get_help() {
                    Some(h) => texts.push(h.to_string()),
                    None => missing.push(format!("{path} {id}: no help")),
                }
                if let Some(h) = arg.get_long_help() {
                    texts.push(h.to_string());
                }
            }
            for t in texts {
                if t.contains("docs/") || t.contains(".md") {
                    missing.push(format!("{path}: help points to a file: {t}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }

    #[test]
    fn the_command_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
