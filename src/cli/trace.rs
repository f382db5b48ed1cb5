//! `ratesim trace`: convert recorded request logs to the canonical trace, or
//! summarise a trace.

use super::{emit, input, load, out_file, preset_policy};
use anyhow::{Context, Result};
use clap::Subcommand;
use ratesim::policy::presets::{preset, DEFAULT_PRESET};
use ratesim::policy::Policy;
use ratesim::workload::import::{self, Format, ImportOptions};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

/// The values of `--from`: every format's name.
fn formats() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::name))
}

#[derive(Subcommand)]
enum Action {
    /// Convert a log export (LiteLLM, Helicone, OpenTelemetry, OpenAI batch)
    /// to the canonical CSV trace.
    Convert {
        /// The log file to read.
        input: PathBuf,
        /// The input's format (default: told from the file's first bytes).
        #[arg(long, value_name = "FORMAT", value_parser = formats())]
        from: Option<String>,
        /// The canonical trace CSV to write.
        #[arg(long, value_name = "FILE")]
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
    /// Print duration, load per minute and model against its RPM and TPM, the
    /// minutes over them, the burstiest minute, token sizes and the requests
    /// too big for their model's TPM.
    Stats {
        /// The trace: a canonical CSV or any log `convert` reads.
        trace: PathBuf,
        /// The trace's format (default: told from the file's first bytes).
        #[arg(long, value_name = "FORMAT", value_parser = formats())]
        from: Option<String>,
        /// Resolve models with this scenario's policy (default: the venice preset).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
    },
}

fn default_policy() -> Policy {
    let table = preset(DEFAULT_PRESET).expect("the default preset exists");
    preset_policy(table).expect("the built-in catalogue resolves")
}

pub fn run(Args { action }: Args) -> Result<()> {
    // A name clap checked, or the format the file's start shows.
    let format = |name: &Option<String>, path: &std::path::Path| match name {
        Some(n) => Format::from_name(n).map_err(input),
        None => import::detect::detect(path).map_err(input),
    };
    match action {
        Action::Convert {
            input: path,
            from,
            out,
            skip_bad_rows,
            sort,
            rate,
            seed,
        } => {
            let format = format(&from, &path)?;
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
            let models = default_policy().model_ids();
            let (dir, name) = out_file(&out)?;
            let mut staged = ratesim::output::InPlace::new(dir);
            let mut stream = staged
                .stage_stream(name)
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
        Action::Stats {
            trace,
            from,
            scenario,
        } => {
            let format = format(&from, &trace)?;
            if format == Format::OpenaiBatch {
                return Err(input(
                    "an OpenAI batch file has no times; convert it with --rate first",
                ));
            }
            let policy = match scenario {
                Some(p) => load(&p)?.policy,
                None => default_policy(),
            };
            let models = policy.model_ids();
            let rows =
                import::open_file(&trace, format, ImportOptions::default(), models, Vec::new())
                    .map_err(input)?;
            let stats = import::stats::trace_stats(rows, &policy).map_err(input)?;
            emit(&import::stats::render(&stats))
        }
    }
}
