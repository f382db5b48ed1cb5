//! `ratesim completions SHELL`: the shell completion script, generated from
//! the command definitions by clap_complete, on stdout.

use super::emit;
use anyhow::Result;
use clap_complete::Shell;

#[derive(clap::Args)]
pub struct Args {
    /// The shell to complete for; install the output where the shell reads
    /// completions, e.g. `ratesim completions bash > ~/.local/share/bash-completion/completions/ratesim`.
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(Args { shell }: Args, command: &mut clap::Command) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, command, "ratesim", &mut script);
    emit(&String::from_utf8_lossy(&script))
}
