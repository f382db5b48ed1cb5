//! `ratesim strategies`: the client strategy presets.

use super::{emit, input};
use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// The preset to print in full (default: list them all).
    name: Option<String>,
}

pub fn run(Args { name }: Args) -> Result<()> {
    let text = match name {
        None => ratesim::strategy::presets::describe_all(),
        Some(n) => ratesim::strategy::presets::describe(&n).map_err(input)?,
    };
    emit(&text)
}
