//! `ratesim merge` of a sharded `plan` or `tune`: the search replayed from
//! its parts alone (every round's results as recorded, nothing simulated),
//! written as the bytes the unsharded command writes.

use crate::cli::rounds::{read_part, round_error, Exchange};
use crate::cli::{emit, input, write_file_atomically, write_files, GateFailed};
use anyhow::Result;
use ratesim::report::round_part::{self, RoundPart};
use ratesim::report::terminal;
use std::path::{Path, PathBuf};

const KINDS: [&str; 2] = ["plan", "tune"];

/// The part files `paths` name: a folder stands for its plan or tune parts.
fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let [dir] = paths else {
        return Ok(paths.to_vec());
    };
    if !dir.is_dir() {
        return Ok(paths.to_vec());
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| input(format!("cannot read the folder {}: {e}", dir.display())))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            KINDS
                .iter()
                .any(|k| round_part::parse_part_name(k, &name).is_some())
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(input(format!(
            "{}: no plan or tune part files (plan-round-*-part-*.csv) in this folder",
            dir.display()
        )));
    }
    Ok(out)
}

/// Whether `paths` are a sharded plan's or tune's parts (a folder of them,
/// or files whose first line says so), not a sweep's.
pub fn is_rounds(paths: &[PathBuf]) -> bool {
    match paths {
        [dir] if dir.is_dir() => true,
        [first, ..] => std::fs::read(first).is_ok_and(|b| round_part::is_part(&b)),
        [] => false,
    }
}

/// What a merge of plan parts writes or checks besides the report, as
/// `ratesim plan` does with the same flags.
pub struct Extras<'a> {
    pub export_json: Option<&'a Path>,
    pub export_markdown: Option<&'a Path>,
    pub check: bool,
}

/// Merges the parts `paths` into the report in `out`.
pub fn run(paths: &[PathBuf], out: &Path, quiet: bool, extras: &Extras<'_>) -> Result<()> {
    let mut parts: Vec<(PathBuf, RoundPart)> = Vec::new();
    for path in files(paths)? {
        let part = read_part(&path).map_err(round_error)?;
        parts.push((path, part));
    }
    let (first_path, first) = &parts[0];
    let kind = KINDS
        .into_iter()
        .find(|k| *k == first.kind)
        .ok_or_else(|| {
            input(format!(
                "{}:2: kind {:?}: expected plan or tune",
                first_path.display(),
                first.kind
            ))
        })?;
    if kind == "tune" {
        for (flag, given) in [
            ("--export-json", extras.export_json.is_some()),
            ("--export-markdown", extras.export_markdown.is_some()),
            ("--check", extras.check),
        ] {
            if given {
                return Err(input(format!(
                    "{flag} applies to compare and plan parts; these are the parts of a sharded tune"
                )));
            }
        }
    }
    if first.origin.search_hash(kind) != first.search {
        return Err(input(format!(
            "{}:3: the search hash does not match the part's own origin: the file was edited or made by another ratesim version",
            first_path.display()
        )));
    }
    for (path, p) in &parts[1..] {
        let differs = if p.kind != first.kind {
            Some("command (plan or tune)")
        } else if p.search != first.search {
            Some("search (scenario file, flags or ratesim version)")
        } else if p.shard.count != first.shard.count {
            Some("shard count")
        } else {
            None
        };
        if let Some(what) = differs {
            return Err(input(format!(
                "{} and {} come from a different {what}: merge the parts of one search only",
                first_path.display(),
                path.display()
            )));
        }
    }
    let origin = first.origin.clone();
    let scenario_path = PathBuf::from(&origin.scenario_path);
    let sc =
        ratesim::scenario::validate::parse(&origin.scenario_text, &scenario_path).map_err(input)?;
    let number = |name: &str| -> Result<Option<u64>> {
        origin
            .option(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    input(format!(
                        "{}:8: option {name}: expected a whole number, found {v:?}",
                        first_path.display()
                    ))
                })
            })
            .transpose()
    };
    let x = Exchange::replay(kind, parts.clone());
    let mut gate = None;
    let text = if kind == "plan" {
        let replications = number("replications")?
            .map(|r| u32::try_from(r).map_err(|_| input("option replications: too large")))
            .transpose()?;
        let settings = crate::cli::plan::settings(
            &sc,
            origin.option("objective"),
            replications,
            number("seed")?,
        )?;
        let result = ratesim::plan::run_rounds(&sc, &settings, &x, &|_| {}).map_err(round_error)?;
        x.check_all_used().map_err(round_error)?;
        let files = ratesim::report::plan::plan_files(&sc, &result)?;
        let mut written = write_files(out, &files)?;
        if let Some(path) = extras.export_json {
            write_file_atomically(path, &ratesim::report::export::plan_json(&sc, &result))?;
            written.push(path.to_path_buf());
        }
        if let Some(path) = extras.export_markdown {
            let md = ratesim::report::markdown::plan_markdown(&sc, &result);
            write_file_atomically(path, &md)?;
            written.push(path.to_path_buf());
        }
        if extras.check && !result.meets_today() {
            gate = Some(format!(
                "today's load already misses the objective ({}) in at least one of {} replications; see {}",
                settings.objective,
                settings.replications,
                out.join("report.md").display()
            ));
        }
        report_text(ratesim::report::plan::verdict(&sc, &result), &written)
    } else {
        let groups: Vec<String> = origin
            .option("groups")
            .map(|g| g.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        let budget = number("budget")?
            .map(|b| u32::try_from(b).map_err(|_| input("option budget: too large")))
            .transpose()?;
        let flags = crate::cli::tune::Flags {
            strategy: origin.option("strategy"),
            groups: &groups,
            objective: origin.option("objective"),
            budget,
            seed: number("seed")?,
        };
        let settings = crate::cli::tune::settings(&sc, &scenario_path, &flags)?;
        let result = ratesim::tune::run_rounds(&sc, &settings, &x, &|| {})
            .map_err(crate::cli::tune::tune_error)?;
        x.check_all_used().map_err(round_error)?;
        let files = ratesim::report::tune::tune_files(&sc, &result)?;
        let written = write_files(out, &files)?;
        report_text(ratesim::report::tune::verdict(&sc, &result), &written)
    };
    if !quiet {
        emit(&text)?;
    }
    match gate {
        Some(why) => Err(anyhow::Error::new(GateFailed(why))),
        None => Ok(()),
    }
}

fn report_text(verdict: Vec<String>, written: &[PathBuf]) -> String {
    let mut text = String::new();
    for line in verdict {
        text += &terminal::bullet(&line, terminal::WIDTH);
    }
    text.push('\n');
    for f in written {
        text += &format!("wrote {}\n", f.display());
    }
    text
}
