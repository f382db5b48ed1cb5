//! `ratesim init`: writes a commented starter scenario that validates and
//! runs as written, so a newcomer edits a working file instead of starting
//! from the reference.
//!
//! It writes `--out` (default `scenario.toml`) and never replaces a file
//! unless `--force` is given: a refusal is bad input (exit 2) and writes
//! nothing. The trace-replay template needs a trace, so it also writes a
//! small sample (`<stem>-trace.csv`, 10 minutes from two keys) beside the
//! scenario, under the same rule, and the scenario names it.

use super::{emit, input, write_file_atomically};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// A starter scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// A chat service and a bursty summariser sharing one key, with
    /// thresholds and a comparison.
    ChatService,
    /// An embedding job within its limit and thumbnails in bursts over
    /// theirs, with a comparison and a capacity plan.
    BatchJob,
    /// Replay of a recorded trace (a sample is written beside it).
    TraceReplay,
}

impl Template {
    fn text(self) -> &'static str {
        match self {
            Template::ChatService => include_str!("templates/chat-service.toml"),
            Template::BatchJob => include_str!("templates/batch-job.toml"),
            Template::TraceReplay => include_str!("templates/trace-replay.toml"),
        }
    }
}

/// The sample trace of the trace-replay template (canonical CSV).
const SAMPLE_TRACE: &str = include_str!("templates/trace.csv");

#[derive(clap::Args)]
pub struct Args {
    /// The starter to write.
    #[arg(long, value_enum, default_value_t = Template::ChatService)]
    template: Template,
    /// The scenario file to write.
    #[arg(long, value_name = "FILE", default_value = "scenario.toml")]
    out: PathBuf,
    /// Replace the file (and the sample trace) if they exist.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> Result<()> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut text = args.template.text().to_string();
    if args.template == Template::TraceReplay {
        let stem = args
            .out
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| input("--out needs a file name"))?;
        let trace = format!("{stem}-trace.csv");
        text = text.replace("{TRACE}", &trace);
        let dir = args.out.parent().unwrap_or(Path::new(""));
        files.push((dir.join(&trace), SAMPLE_TRACE.to_string()));
    }
    files.insert(0, (args.out.clone(), text));
    if !args.force {
        if let Some((p, _)) = files.iter().find(|(p, _)| p.exists()) {
            return Err(input(format!(
                "{} exists; give --force to replace it, or --out another file",
                p.display()
            )));
        }
    }
    let mut said = String::new();
    for (path, body) in &files {
        write_file_atomically(path, body.as_bytes())?;
        said += &format!("wrote {}\n", path.display());
    }
    said += &format!(
        "next: ratesim validate {0}, then ratesim run {0}\n",
        args.out.display()
    );
    emit(&said)
}
