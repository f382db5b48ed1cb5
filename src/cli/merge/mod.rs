//! `ratesim merge`: the part files of a sharded sweep, comparison, plan or
//! tune into the report the single-process run writes, byte for byte.
//!
//! Each part's first line names its kind; this file reads the parts,
//! refuses a mix of kinds and hands them to the kind's merge (one module
//! each). A plan's or tune's parts (a folder, or its round files) go to
//! `rounds`, which replays the search from them.

mod compare;
mod rounds;
mod sweep;

use super::input;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The part files (`ratesim sweep|compare|plan|tune --shard K/N` write
    /// them), all of one sweep, comparison, plan or tune; or the folder of
    /// a sharded plan's or tune's parts.
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Output folder of the merged report.
    #[arg(long)]
    out: PathBuf,
    /// No list of the files written.
    #[arg(long)]
    quiet: bool,
    /// Compare parts: a CI gate checked with the scenario's [thresholds]
    /// on every strategy's means, as `ratesim compare` does; exit 3 when
    /// one is crossed. Repeatable.
    #[arg(long = "threshold", value_name = "TERM")]
    thresholds: Vec<String>,
    /// Compare or plan parts: also write the summary as JSON to FILE (as
    /// `ratesim compare|plan --export-json`).
    #[arg(long, value_name = "FILE")]
    export_json: Option<PathBuf>,
    /// Compare or plan parts: also write the summary as Markdown to FILE (as
    /// `ratesim compare|plan --export-markdown`).
    #[arg(long, value_name = "FILE")]
    export_markdown: Option<PathBuf>,
    /// Plan parts: exit 3 when today's load already misses the objective,
    /// as `ratesim plan --check` does; the report is written either way.
    #[arg(long)]
    check: bool,
}

/// One part file, read whole.
pub struct PartFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

impl PartFile {
    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// The kinds of part files, told apart by their first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sweep,
    Compare,
}

const KINDS: [(Kind, &str, &str); 2] = [
    (Kind::Sweep, "sweep", "#ratesim-sweep-part="),
    (
        Kind::Compare,
        "compare",
        ratesim::report::compare::part::FIRST_LINE,
    ),
];

impl Kind {
    fn of(bytes: &[u8]) -> Option<Kind> {
        KINDS
            .iter()
            .find(|(_, _, first)| bytes.starts_with(first.as_bytes()))
            .map(|k| k.0)
    }

    fn name(self) -> &'static str {
        KINDS.iter().find(|k| k.0 == self).map_or("", |k| k.1)
    }
}

pub fn run(args: Args) -> Result<()> {
    if rounds::is_rounds(&args.parts) {
        if !args.thresholds.is_empty() {
            return Err(input(
                "--threshold applies to compare parts; these are the parts of a sharded plan or tune (a plan's gate is --check)",
            ));
        }
        let extras = rounds::Extras {
            export_json: args.export_json.as_deref(),
            export_markdown: args.export_markdown.as_deref(),
            check: args.check,
        };
        return rounds::run(&args.parts, &args.out, args.quiet, &extras);
    }
    if args.check {
        return Err(input(
            "--check applies to the parts of a sharded plan; for compare parts the gate is --threshold",
        ));
    }
    let mut files: Vec<(Kind, PartFile)> = Vec::new();
    for path in &args.parts {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let kind = Kind::of(&bytes).ok_or_else(|| {
            input(format!(
                "{}: not a ratesim sweep part file nor a compare part file (its first line is neither `#ratesim-sweep-part=` nor `#ratesim-compare-part=`)",
                path.display()
            ))
        })?;
        files.push((
            kind,
            PartFile {
                path: path.clone(),
                bytes,
            },
        ));
    }
    let kind = files[0].0;
    if let Some((other, f)) = files.iter().find(|(k, _)| *k != kind) {
        return Err(input(format!(
            "{} is a {} part and {} is a {} part: merge the parts of one sweep or of one comparison at a time",
            files[0].1.path.display(),
            kind.name(),
            f.path.display(),
            other.name()
        )));
    }
    let files: Vec<PartFile> = files.into_iter().map(|(_, f)| f).collect();
    match kind {
        Kind::Sweep => sweep::merge(&files, &args),
        Kind::Compare => compare::merge(&files, &args),
    }
}
