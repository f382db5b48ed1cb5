//! The `ratesim` command line: parses arguments, calls the library, prints.
//! Exit codes: 0 success, 2 bad input (scenario, trace, arguments), 3 a CI
//! gate that did not pass (`plan --check`), 1 anything else.
//!
//! Each command lives in its own module under [`cli`]; this file only parses,
//! dispatches and maps errors to exit codes.

mod cli;

use clap::{Parser, Subcommand};
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
    /// breaks, per model and overall, and what to change (see docs/plan.md).
    Plan(cli::plan::Args),
    /// Check a scenario without running it.
    Validate(cli::validate::Args),
    /// Print the resolved limits of every model (or one), and the rule behind each.
    Policy(cli::policy::Args),
    /// Convert recorded request logs to the canonical trace, or summarise a trace.
    Trace(cli::trace::Args),
    /// List the client strategy presets, or print one's full composition.
    Strategies(cli::strategies::Args),
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
        Command::Validate(args) => cli::validate::run(args),
        Command::Policy(args) => cli::policy::run(args),
        Command::Trace(args) => cli::trace::run(args),
        Command::Strategies(args) => cli::strategies::run(args),
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
