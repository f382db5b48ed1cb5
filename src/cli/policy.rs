//! `ratesim policy`: print the limit table and every model's limits resolved
//! against it, or import the provider's own JSON into `[[policy.models]]`
//! entries.

use super::{emit, input, load, out_file, preset_policy};
use anyhow::{Context, Result};
use clap::Subcommand;
use ratesim::policy::describe::{describe, describe_preset};
use ratesim::policy::presets::{preset, DEFAULT_PRESET, PRESETS};
use ratesim::suggest::close_matches;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Only this model's row (a model id of the catalogue or the scenario).
    #[arg(long, value_name = "ID")]
    model: Option<String>,
    /// The limit table to resolve against (default: venice).
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(PRESETS.iter().map(|p| p.name)))]
    preset: Option<String>,
    /// Resolve with this scenario's policy (overrides and added models).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Subcommand)]
enum Action {
    /// Turn the body of GET /api/v1/api_keys/rate_limits into [[policy.models]] entries.
    Import {
        /// The JSON body saved from the API.
        file: PathBuf,
        /// Where to write the TOML (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> Result<()> {
    if let Some(Action::Import { file, out }) = args.action {
        return import(&file, out);
    }
    let policy = match (&args.scenario, &args.preset) {
        (Some(_), Some(_)) => return Err(input("give --scenario or --preset, not both")),
        (Some(path), None) => load(path)?.policy,
        (None, name) => {
            let name = name.as_deref().unwrap_or(DEFAULT_PRESET);
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
            preset_policy(table).map_err(input)?
        }
    };
    let id = args
        .model
        .map(|m| policy.model_index(&m).map_err(input))
        .transpose()?;
    let mut text = String::new();
    if id.is_none() {
        if let Some(table) = preset(&policy.preset) {
            text += &describe_preset(table, policy.video);
            text += "\nthe model catalogue, resolved against it:\n";
        }
    }
    text += &describe(&policy, id);
    emit(&text)
}

fn import(file: &Path, out: Option<PathBuf>) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + valid.iter().rev().take_while(|&&b| b != b'\n').count();
        input(format!(
            "{}:{line}:{column}: the file is not UTF-8 (byte 0x{:02X}); save the JSON as UTF-8",
            file.display(),
            e.as_bytes()[valid.len()]
        ))
    })?;
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
            let (dir, name) = out_file(&path)?;
            let mut staged = ratesim::output::InPlace::new(dir);
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
