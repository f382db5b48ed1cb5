//! `ratesim validate`: check a scenario (and open its traces) without running it.

use super::{emit, input, load};
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    scenario: PathBuf,
}

pub fn run(Args { scenario }: Args) -> Result<()> {
    let sc = load(&scenario)?;
    ratesim::experiment::open_traces(&sc, sc.seed).map_err(input)?;
    emit(&format!(
        "{}: ok ({} group(s), {} key(s), {} simulated, seed {})\n",
        scenario.display(),
        sc.groups.len(),
        sc.keys.len(),
        sc.horizon(),
        sc.seed
    ))
}
