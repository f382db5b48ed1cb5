//! The sharded runner of `plan --shard K/N` and `tune --shard K/N`, and the
//! replaying runner of `merge`: the file side of
//! [`ratesim::experiment::Rounds`].
//!
//! Every shard runs the same deterministic search. In round i it runs the
//! units whose hash ([`round_part::unit_hash`]) falls into its shard,
//! writes them as its part of round i into the shared folder (atomically),
//! then polls the folder (every 200 ms at most) until every unit of the
//! round is there, and continues with the whole round's results, decoded from the
//! parts, so every shard takes the same next step. A shard whose part of a
//! round is already in the folder (it crashed and was restarted) reads it
//! back instead of running the round again. Waiting is bounded by
//! `--wait`: past it, the round fails naming the missing units and shards.
//!
//! `merge` replays the search from the parts alone: each round's results
//! come from the parts, and nothing is simulated.

use super::write_file_atomically;
use ratesim::experiment::record::{self, Record};
use ratesim::experiment::{run_jobs, ExperimentError, Job, Round, RoundError, Rounds};
use ratesim::outcome::Outcome;
use ratesim::report::round_part::{self, Origin, PartRow, RoundPart};
use ratesim::sweep::Shard;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a waiting shard looks at the folder again, at most; it looks
/// after 10 ms first and doubles the pause up to this, so short rounds do
/// not wait a whole pause for the last part.
const POLL: Duration = Duration::from_millis(200);

/// A search's rounds over a shared folder.
pub struct Exchange {
    kind: &'static str,
    origin: Origin,
    search: u64,
    mode: Mode,
    next: AtomicUsize,
    /// Per round: the units this shard ran, or `None` when it read its
    /// part back.
    log: Mutex<Vec<Option<usize>>>,
    quiet: bool,
}

enum Mode {
    Shard {
        dir: PathBuf,
        shard: Shard,
        wait: Duration,
    },
    Replay {
        parts: Vec<(PathBuf, RoundPart)>,
    },
}

fn corrupt(path: &Path, line: usize, message: impl ToString) -> ExperimentError {
    RoundError::Corrupt {
        path: path.to_path_buf(),
        line,
        message: message.to_string(),
    }
    .into()
}

/// Reads and parses a part file.
pub fn read_part(path: &Path) -> Result<RoundPart, ExperimentError> {
    let bytes = std::fs::read(path).map_err(|source| RoundError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    round_part::parse_part(&bytes).map_err(|(line, m)| corrupt(path, line, m))
}

/// Short list of unit numbers.
fn list(units: &[usize]) -> String {
    const SHOWN: usize = 20;
    let mut s: Vec<String> = units.iter().take(SHOWN).map(|u| u.to_string()).collect();
    if units.len() > SHOWN {
        s.push(format!("and {} more", units.len() - SHOWN));
    }
    s.join(", ")
}

impl Exchange {
    /// Shard `shard` of the search `origin` makes, parts in `dir`.
    pub fn shard(
        kind: &'static str,
        origin: Origin,
        dir: PathBuf,
        shard: Shard,
        wait: Duration,
        quiet: bool,
    ) -> Exchange {
        Exchange {
            kind,
            search: origin.search_hash(kind),
            origin,
            mode: Mode::Shard { dir, shard, wait },
            next: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            quiet,
        }
    }

    /// The replay of `parts` (all of one search, checked by the caller).
    pub fn replay(kind: &'static str, parts: Vec<(PathBuf, RoundPart)>) -> Exchange {
        let origin = parts[0].1.origin.clone();
        Exchange {
            kind,
            search: origin.search_hash(kind),
            origin,
            mode: Mode::Replay { parts },
            next: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            quiet: true,
        }
    }

    /// Rounds so far, units run here, and rounds read back from earlier parts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let log = self.log.lock().expect("no panics while holding the log");
        let ran = log.iter().flatten().sum();
        let read = log.iter().filter(|r| r.is_none()).count();
        (log.len(), ran, read)
    }

    /// For a replay: refuses parts of rounds the search never reached.
    pub fn check_all_used(&self) -> Result<(), ExperimentError> {
        let rounds = self.next.load(Ordering::SeqCst);
        if let Mode::Replay { parts } = &self.mode {
            if let Some((path, p)) = parts.iter().find(|(_, p)| p.round >= rounds) {
                return Err(corrupt(
                    path,
                    4,
                    format!(
                        "a part of round {}, but the search these parts record ends after {rounds} round(s)",
                        p.round
                    ),
                ));
            }
        }
        Ok(())
    }

    /// This shard's part of round `i`, if the folder has it whole for this
    /// search and these units.
    fn own_part(&self, path: &Path, i: usize, units: usize, mine: &[(usize, u64)]) -> bool {
        let Ok(p) = read_part(path) else {
            return false;
        };
        p.search == self.search
            && p.round == i
            && p.units == units
            && p.rows
                .iter()
                .map(|r| (r.unit, r.hash))
                .eq(mine.iter().copied())
    }

    /// Waits until the parts of round `i` in `dir` hold every unit.
    fn gather(
        &self,
        dir: &Path,
        shard: Shard,
        wait: Duration,
        i: usize,
        label: &str,
        hashes: &[u64],
    ) -> Result<Vec<(PathBuf, PartRow)>, ExperimentError> {
        let start = Instant::now();
        let mut found: Vec<Option<(PathBuf, PartRow)>> = vec![None; hashes.len()];
        let mut taken: BTreeSet<PathBuf> = BTreeSet::new();
        let mut pause = Duration::from_millis(10);
        loop {
            let mut foreign: Vec<u64> = Vec::new();
            let entries = std::fs::read_dir(dir).map_err(|source| RoundError::Io {
                action: "read the folder",
                path: dir.to_path_buf(),
                source,
            })?;
            let mut names: Vec<(PathBuf, Shard)> = entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    let (round, s) = round_part::parse_part_name(self.kind, &name)?;
                    (round == i && s.count == shard.count).then(|| (e.path(), s))
                })
                .collect();
            names.sort_by_key(|(_, s)| s.index);
            for (path, s) in names {
                if taken.contains(&path) {
                    continue;
                }
                let p = read_part(&path)?;
                if p.search != self.search || p.round != i || p.units != hashes.len() {
                    foreign.push(s.index);
                    continue;
                }
                for r in p.rows {
                    if hashes[r.unit] != r.hash || !shard_of(shard.count, r.hash).eq(&s) {
                        return Err(corrupt(
                            &path,
                            r.line,
                            format!(
                                "unit {} does not have the hash this search gives it",
                                r.unit
                            ),
                        ));
                    }
                    let u = r.unit;
                    found[u] = Some((path.clone(), r));
                }
                taken.insert(path);
            }
            let missing: Vec<usize> = (0..hashes.len()).filter(|&u| found[u].is_none()).collect();
            if missing.is_empty() {
                return Ok(found.into_iter().map(|f| f.expect("every unit")).collect());
            }
            if start.elapsed() >= wait {
                let shards: BTreeSet<u64> =
                    missing.iter().map(|&u| hashes[u] % shard.count).collect();
                let shards: Vec<String> = shards.iter().map(|s| s.to_string()).collect();
                let mut detail = format!(
                    "after waiting {:.1} s, {} of {} units have no result in {}: unit(s) {}; they belong to shard(s) {} of {}, which wrote no part of this round",
                    start.elapsed().as_secs_f64(),
                    missing.len(),
                    hashes.len(),
                    dir.display(),
                    list(&missing),
                    shards.join(", "),
                    shard.count
                );
                if !foreign.is_empty() {
                    let f: Vec<String> = foreign.iter().map(|s| s.to_string()).collect();
                    detail += &format!(
                        " (the part of shard(s) {} there is from a different search)",
                        f.join(", ")
                    );
                }
                detail += "; start the missing shards with the same scenario, flags and --out, or raise --wait";
                return Err(RoundError::Incomplete {
                    round: i,
                    label: label.to_string(),
                    detail,
                }
                .into());
            }
            std::thread::sleep(pause.min(wait.saturating_sub(start.elapsed())));
            pause = (pause * 2).min(POLL);
        }
    }

    /// Round `i`'s rows from the replayed parts: every unit exactly once.
    fn recorded(
        &self,
        parts: &[(PathBuf, RoundPart)],
        i: usize,
        label: &str,
        hashes: &[u64],
    ) -> Result<Vec<(PathBuf, PartRow)>, ExperimentError> {
        let mut found: Vec<Vec<(PathBuf, PartRow)>> = vec![Vec::new(); hashes.len()];
        for (path, p) in parts.iter().filter(|(_, p)| p.round == i) {
            if p.units != hashes.len() {
                return Err(corrupt(
                    path,
                    7,
                    format!(
                        "round {i} has {} units in this search, the part says {}",
                        hashes.len(),
                        p.units
                    ),
                ));
            }
            for r in &p.rows {
                if hashes[r.unit] != r.hash {
                    return Err(corrupt(
                        path,
                        r.line,
                        format!(
                            "unit {} does not have the hash this search gives it",
                            r.unit
                        ),
                    ));
                }
                found[r.unit].push((path.clone(), r.clone()));
            }
        }
        let missing: Vec<usize> = (0..hashes.len()).filter(|&u| found[u].is_empty()).collect();
        let dup: Vec<usize> = (0..hashes.len()).filter(|&u| found[u].len() > 1).collect();
        if !missing.is_empty() || !dup.is_empty() {
            let mut detail = String::from("the parts do not hold every unit exactly once:");
            if !missing.is_empty() {
                let count = parts.first().map_or(1, |(_, p)| p.shard.count);
                let shards: BTreeSet<u64> = missing.iter().map(|&u| hashes[u] % count).collect();
                let shards: Vec<String> = shards.iter().map(|s| s.to_string()).collect();
                detail += &format!(
                    "\n  missing {} of {} unit(s): {} (shard(s) {} of {count})",
                    missing.len(),
                    hashes.len(),
                    list(&missing),
                    shards.join(", ")
                );
            }
            if !dup.is_empty() {
                detail += &format!("\n  duplicated {} unit(s): {}", dup.len(), list(&dup));
            }
            return Err(RoundError::Incomplete {
                round: i,
                label: label.to_string(),
                detail,
            }
            .into());
        }
        Ok(found.into_iter().map(|mut f| f.remove(0)).collect())
    }
}

/// The shard (of `count`) a unit of `hash` belongs to.
fn shard_of(count: u64, hash: u64) -> Shard {
    Shard {
        index: hash % count,
        count,
    }
}

impl Rounds for Exchange {
    fn round<T: Record + Send>(
        &self,
        round: Round<'_>,
        reduce: &(dyn Fn(&Job, Outcome) -> T + Sync),
        tick: &(dyn Fn() + Sync),
    ) -> Result<Vec<T>, ExperimentError> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        let hashes: Vec<u64> = round
            .jobs
            .iter()
            .map(|j| {
                round_part::unit_hash(self.search, i, &round.identities[j.variant], j.replication)
            })
            .collect();
        let rows = match &self.mode {
            Mode::Replay { parts } => self.recorded(parts, i, round.label, &hashes)?,
            Mode::Shard { dir, shard, wait } => {
                let mine: Vec<(usize, u64)> = hashes
                    .iter()
                    .enumerate()
                    .filter(|(_, &h)| shard.holds(h))
                    .map(|(u, &h)| (u, h))
                    .collect();
                let path = dir.join(round_part::part_name(self.kind, i, *shard));
                let ran = if self.own_part(&path, i, hashes.len(), &mine) {
                    if !self.quiet {
                        eprintln!(
                            "round {i} ({}): read back from {} (not rerun)",
                            round.label,
                            path.display()
                        );
                    }
                    None
                } else {
                    let jobs: Vec<Job> = mine.iter().map(|&(u, _)| round.jobs[u]).collect();
                    let results = run_jobs(round.variants, &jobs, round.base_seed, reduce, tick)?;
                    let part = RoundPart {
                        kind: self.kind.to_string(),
                        search: self.search,
                        round: i,
                        label: round.label.to_string(),
                        shard: *shard,
                        units: hashes.len(),
                        origin: self.origin.clone(),
                        rows: mine
                            .iter()
                            .zip(&jobs)
                            .zip(&results)
                            .map(|((&(unit, hash), job), r)| PartRow {
                                unit,
                                hash,
                                replication: job.replication,
                                result: record::encode(r),
                                line: 0,
                            })
                            .collect(),
                    };
                    write_file_atomically(&path, &round_part::part_bytes(&part)).map_err(|e| {
                        RoundError::Io {
                            action: "write",
                            path: path.clone(),
                            source: std::io::Error::other(format!("{e:#}")),
                        }
                    })?;
                    if !self.quiet {
                        eprintln!(
                            "round {i} ({}): ran {} of {} units -> {}",
                            round.label,
                            jobs.len(),
                            hashes.len(),
                            path.display()
                        );
                    }
                    Some(jobs.len())
                };
                self.log
                    .lock()
                    .expect("no panics while holding the log")
                    .push(ran);
                self.gather(dir, *shard, *wait, i, round.label, &hashes)?
            }
        };
        rows.iter()
            .map(|(path, r)| {
                record::decode(&r.result)
                    .map_err(|e| corrupt(path, r.line, format!("column `result`: {e}")))
            })
            .collect()
    }
}

/// The flags a sharded search adds to its command.
#[derive(clap::Args)]
pub struct ShardFlags {
    /// Run as shard K of N (0 <= K < N): every shard runs the same search,
    /// simulates its share of each round, and exchanges the rounds' results
    /// as part files in --out (a folder all shards share); `ratesim merge`
    /// then writes the report. Without it, JOB_COMPLETION_INDEX with
    /// JOB_COMPLETIONS (Kubernetes) or SLURM_ARRAY_TASK_ID with
    /// SLURM_ARRAY_TASK_COUNT (Slurm) name the shard when set.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// With a shard: how long to wait for the other shards' part of a
    /// round before giving up (exit 2).
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub wait: String,
}

impl ShardFlags {
    /// The shard to run (the flag's, else the environment's) and the wait.
    pub fn resolve(&self) -> anyhow::Result<Option<(Shard, Duration)>> {
        let Some(shard) = super::sweep::shard_of(self.shard.as_deref())? else {
            return Ok(None);
        };
        let wait = ratesim::time::parse_duration(&self.wait)
            .map_err(|e| super::input(format!("--wait: {e}")))?;
        Ok(Some((shard, Duration::from_nanos(wait.0))))
    }
}

/// The search of `kind` on the scenario at `path` with `options`.
pub fn origin(path: &Path, options: Vec<(String, String)>) -> anyhow::Result<Origin> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Origin {
        scenario_path: path.display().to_string(),
        scenario_text: text,
        options,
    })
}

/// A failed round: exit 2 unless the folder itself failed.
pub fn round_error(e: ExperimentError) -> anyhow::Error {
    match e {
        ExperimentError::Round(r @ RoundError::Io { .. }) => anyhow::Error::new(r),
        ExperimentError::Round(r) => super::input(r),
        e => super::run_error(e),
    }
}

/// What a shard says when its search is done.
pub fn finished(x: &Exchange, kind: &str, shard: Shard, dir: &Path) -> String {
    let (rounds, ran, read) = x.counts();
    format!(
        "{kind} shard {}/{}: search finished after {rounds} rounds; ran {ran} unit(s) here, read {read} round(s) back from earlier parts; parts in {}\nwrite the report with: ratesim merge {} --out REPORT\n",
        shard.index,
        shard.count,
        dir.display(),
        dir.display()
    )
}
