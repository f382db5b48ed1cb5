//! Merging the part files of a sharded comparison into the report
//! `ratesim compare` writes, byte for byte, with the verdict it prints and
//! the thresholds it checks.
//!
//! A compare part carries the scenario file's text and the command line's
//! strategy names, so the merge rebuilds the same scenario and plan, checks
//! that they hash to the comparison the parts name, and renders from the
//! runs the shards measured.

use super::{Args, PartFile};
use crate::cli::{compare as cmd, emit, gates, input, write_files};
use anyhow::Result;
use ratesim::compare::{Comparison, RunResult};
use ratesim::experiment::{replication_seed, Job};
use ratesim::report::compare::part::{parse_part, Part};
use std::path::Path;

/// Units as the user reads them: the strategy's name and the replication
/// as compare.csv numbers it (from 1).
fn list(names: &[String], units: &[Job]) -> String {
    const SHOWN: usize = 20;
    let mut s: Vec<String> = units
        .iter()
        .take(SHOWN)
        .map(|j| {
            format!(
                "(strategy {}, replication {})",
                names[j.variant],
                j.replication + 1
            )
        })
        .collect();
    if units.len() > SHOWN {
        s.push(format!("and {} more", units.len() - SHOWN));
    }
    s.join(", ")
}

pub fn merge(files: &[PartFile], args: &Args) -> Result<()> {
    let mut parts: Vec<(&PartFile, Part)> = Vec::new();
    for f in files {
        parts.push((f, parse_part(&f.bytes, &f.name()).map_err(input)?));
    }
    let (first, p0) = &parts[0];
    let h = p0.header.clone();
    for (f, p) in &parts[1..] {
        let o = &p.header;
        let differs = if o.scenario != h.scenario {
            Some("scenario file")
        } else if o.strategies != h.strategies || o.strategy_flags != h.strategy_flags {
            Some("strategy list")
        } else if o.replications != h.replications {
            Some("number of replications")
        } else if o.base_seed != h.base_seed {
            Some("seed (--seed)")
        } else if o.comparison != h.comparison {
            Some("comparison (another ratesim version?)")
        } else if o.shard.count != h.shard.count {
            Some("shard count")
        } else {
            None
        };
        if let Some(what) = differs {
            return Err(input(format!(
                "{} and {} come from a different {what}: merge the parts of one comparison only",
                first.path.display(),
                f.path.display()
            )));
        }
    }
    if ratesim::sweep::fnv1a(h.scenario_source.as_bytes()) != h.scenario {
        return Err(input(format!(
            "{}: the scenario text it carries does not match its hash (was the part edited?)",
            first.path.display()
        )));
    }
    let path = Path::new(&h.scenario_path);
    let sc = ratesim::scenario::validate::parse(&h.scenario_source, path).map_err(|e| {
        input(format!(
            "{}: the scenario it carries does not validate here: {e}",
            first.path.display()
        ))
    })?;
    let plan = cmd::plan_of(
        &sc,
        path,
        &h.strategy_flags,
        Some(h.replications),
        Some(h.base_seed),
    )?;
    let names: Vec<String> = plan.strategies.iter().map(|s| s.name.clone()).collect();
    if plan.hash(h.scenario) != h.comparison || names != h.strategies {
        return Err(input(format!(
            "{}: the strategies this ratesim reads from the part do not hash to its comparison (was it written by another ratesim version?)",
            first.path.display()
        )));
    }
    let given: Vec<u64> = parts.iter().map(|(_, p)| p.header.shard.index).collect();
    let intervals = sc.horizon().0.div_ceil(sc.interval.0).max(1) as usize;
    let k = plan.replications as usize;
    let mut seen = vec![0u32; plan.strategies.len() * k];
    let mut dup = Vec::new();
    let mut runs: Vec<RunResult> = Vec::new();
    for (f, p) in parts {
        for r in p.runs {
            let job = Job {
                variant: r.strategy,
                replication: r.replication,
            };
            let bad = if r.strategy >= plan.strategies.len() || r.replication >= plan.replications {
                Some(format!(
                    "a run of strategy {} replication {}, outside the comparison's {} strategies x {} replications",
                    r.strategy,
                    r.replication + 1,
                    plan.strategies.len(),
                    k
                ))
            } else if !p.header.shard.holds(plan.unit_hash(job)) {
                Some(format!(
                    "{}, which is not in shard {}/{}",
                    list(&names, &[job]),
                    p.header.shard.index,
                    p.header.shard.count
                ))
            } else if r.seed != replication_seed(plan.base_seed, r.replication)
                || r.series.len() != intervals
            {
                Some(format!(
                    "{} with a seed or a number of intervals this comparison does not have",
                    list(&names, &[job])
                ))
            } else {
                None
            };
            if let Some(what) = bad {
                return Err(input(format!(
                    "{} holds {what} (was the part edited?)",
                    f.path.display()
                )));
            }
            let i = r.strategy * k + r.replication as usize;
            seen[i] += 1;
            if seen[i] == 2 {
                dup.push(job);
            }
            runs.push(r);
        }
    }
    let missing: Vec<Job> = plan
        .jobs_of(None)
        .into_iter()
        .filter(|j| seen[j.variant * k + j.replication as usize] == 0)
        .collect();
    if !missing.is_empty() || !dup.is_empty() {
        dup.sort();
        let mut msg = String::from("the parts do not hold every unit exactly once:");
        if !missing.is_empty() {
            msg += &format!(
                "\n  missing {} unit(s): {}",
                missing.len(),
                list(&names, &missing)
            );
        }
        if !dup.is_empty() {
            msg += &format!(
                "\n  duplicated {} unit(s): {}",
                dup.len(),
                list(&names, &dup)
            );
        }
        let absent: Vec<String> = (0..h.shard.count)
            .filter(|s| !given.contains(s))
            .take(20)
            .map(|s| s.to_string())
            .collect();
        if !absent.is_empty() {
            msg += &format!(
                "\n  no part of shard(s) {} of {} was given",
                absent.join(", "),
                h.shard.count
            );
        }
        return Err(input(msg));
    }
    runs.sort_by_key(|r| (r.strategy, r.replication));
    let comparison = Comparison::of(&sc, plan, runs);
    let thresholds = gates::gather(&sc, &args.thresholds)?;
    let files_out = ratesim::report::compare::compare_files(&sc, &comparison)?;
    let mut written = write_files(&args.out, &files_out)?;
    written.extend(cmd::write_exports(
        &sc,
        &comparison,
        args.export_json.as_deref(),
        args.export_markdown.as_deref(),
    )?);
    let est: Vec<_> = (0..comparison.plan.strategies.len())
        .map(|s| ratesim::report::compare::estimates(&comparison, s))
        .collect();
    let mut text = cmd::verdict_text(&sc, &comparison, &est);
    if !args.quiet {
        for f in &written {
            text += &format!("wrote {}\n", f.display());
        }
    }
    text += &format!(
        "merged {} runs from {} part(s)\n",
        comparison.runs.len(),
        files.len()
    );
    emit(&text)?;
    cmd::check(&sc, &comparison, &est, &thresholds)
}
