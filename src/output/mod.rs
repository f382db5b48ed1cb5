//! The one writer that puts outputs on disk.
//!
//! Renderers produce bytes; this module owns the files. A report (`run`,
//! `compare`, `plan`) is a whole directory, so [`OutputDir`] writes every
//! file into a staging directory beside it, `<out>.ratesim-tmp-<pid>`, and
//! only when the command has succeeded makes that the output directory with
//! renames ([`swap`]): a reader of `<out>` finds the earlier report or the
//! new one, never new files beside old ones. A directory that already holds a
//! report keeps the files ratesim did not write there (see [`Kind`]).
//!
//! A single file written into a folder ratesim does not own (`trace convert
//! --out`, `policy import --out`) is [`InPlace`]: a temporary name beside the
//! file, renamed over it.
//!
//! Every staging path is registered with [`interrupt`], whose signal handler
//! removes them when SIGINT or SIGTERM ends the process.

pub mod interrupt;
mod swap;

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// The prefix of a sweep's charts along its `set` paths.
pub const SWEEP_SET_CHART: &str = "sweep_set_";

/// A report kind and every file name it can hold. When a report replaces an
/// earlier one in the same directory, the earlier report's files of this
/// kind go (one the new report did not write is stale: an old requests.csv
/// from a `run --requests`); every other entry is the user's and stays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Run,
    Compare,
    Plan,
    Tune,
    Sweep,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Run,
        Kind::Compare,
        Kind::Plan,
        Kind::Tune,
        Kind::Sweep,
    ];

    /// Every file a report of this kind can hold. Staging any other name is
    /// an error, so a renderer that adds a file must add it here.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            Kind::Run => &[
                "summary.csv",
                "timeseries.csv",
                "utilisation.csv",
                "throughput.png",
                "throughput.svg",
                "rate_429.png",
                "rate_429.svg",
                "tokens.png",
                "tokens.svg",
                "daily.png",
                "daily.svg",
                "requests.csv",
                "rate_limit_log.json",
            ],
            Kind::Compare => &[
                "compare.csv",
                "compare_summary.csv",
                "throughput.png",
                "throughput.svg",
                "rate_429.png",
                "rate_429.svg",
                "completion_cdf.png",
                "completion_cdf.svg",
                "attempts.png",
                "attempts.svg",
                "wasted_work.png",
                "wasted_work.svg",
                "tradeoff.png",
                "tradeoff.svg",
                "report.md",
                "report.html",
            ],
            Kind::Plan => &[
                "plan.csv",
                "breakpoints.csv",
                "goodput.png",
                "goodput.svg",
                "share_429.png",
                "share_429.svg",
                "p99.png",
                "p99.svg",
                "utilisation.png",
                "utilisation.svg",
                "growth.png",
                "growth.svg",
                "report.md",
                "report.html",
            ],
            Kind::Tune => &[
                "tune.csv",
                "best.toml",
                "pareto_p99.png",
                "pareto_p99.svg",
                "pareto_attempts.png",
                "pareto_attempts.svg",
                "report.md",
                "report.html",
            ],
            Kind::Sweep => &[
                "sweep.csv",
                "sweep_summary.csv",
                "sweep_strategy.png",
                "sweep_strategy.svg",
                "sweep_load.png",
                "sweep_load.svg",
                "sweep_limits.png",
                "sweep_limits.svg",
            ],
        }
    }

    /// Whether `name` is a file of this kind: one of [`Kind::files`], or for
    /// a sweep, the chart along a `set` path (`sweep_set_<path>.png/svg`,
    /// one per path, so no fixed list can name them).
    pub fn holds(self, name: &str) -> bool {
        self.files().contains(&name)
            || (self == Kind::Sweep
                && name.starts_with(SWEEP_SET_CHART)
                && (name.ends_with(".png") || name.ends_with(".svg")))
    }

    /// The one kind whose files include all of `names` (compare.csv or
    /// plan.csv tells compare from plan), if there is exactly one.
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str> + Clone) -> Option<Kind> {
        let mut fits = Kind::ALL
            .into_iter()
            .filter(|k| names.clone().into_iter().all(|n| k.holds(n)));
        match (fits.next(), fits.next()) {
            (Some(kind), None) => Some(kind),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Compare => "compare",
            Kind::Plan => "plan",
            Kind::Tune => "tune",
            Kind::Sweep => "sweep",
        }
    }
}

/// A report staged beside its directory and committed as a whole.
pub struct OutputDir {
    /// The directory as the caller named it, for the paths `commit` returns.
    dir: PathBuf,
    kind: Kind,
    /// The directory renamed into, symlinks and `.` resolved, and its
    /// staging directory, both set at the first file staged.
    target: Option<(PathBuf, PathBuf)>,
    names: Vec<String>,
}

impl OutputDir {
    pub fn new(dir: &Path, kind: Kind) -> OutputDir {
        OutputDir {
            dir: dir.to_path_buf(),
            kind,
            target: None,
            names: Vec::new(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the staging directory at the first call (under the
    /// registry's lock, so a signal never finds it half made) and opens
    /// `name` in it with `open`.
    fn create<T>(
        &mut self,
        name: &str,
        open: impl FnOnce(&Path) -> io::Result<T>,
    ) -> io::Result<T> {
        if !self.kind.holds(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name} is not a file of a {} report", self.kind.name()),
            ));
        }
        let mut pending = interrupt::pending();
        if self.target.is_none() {
            let target = swap::resolve(&self.dir)?;
            let staging = swap::sibling(&target, "tmp")?;
            if let Some(parent) = staging.parent() {
                fs::create_dir_all(parent)?;
            }
            // A leftover of an earlier process with our pid: not a live one.
            if fs::symlink_metadata(&staging).is_ok() {
                fs::remove_dir_all(&staging)?;
            }
            fs::create_dir(&staging)?;
            pending.push(staging.clone());
            self.target = Some((target, staging));
        }
        let (_, staging) = self.target.as_ref().expect("set above");
        let file = open(&staging.join(name))?;
        self.names.push(name.to_string());
        Ok(file)
    }

    /// Stages `bytes` as file `name`.
    pub fn stage(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.create(name, |path| fs::write(path, bytes))
    }

    /// Opens a staged file `name` for streaming writes.
    pub fn stage_stream(&mut self, name: &str) -> io::Result<BufWriter<File>> {
        let file = self.create(name, |path| File::create(path))?;
        Ok(BufWriter::with_capacity(1 << 20, file))
    }

    /// Makes the staged files the report in the directory (see
    /// [`swap::replace`]); returns their paths, in the order staged.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        if let Some((target, staging)) = &self.target {
            let mut pending = interrupt::pending();
            // On an error the lock is released first, then `drop` removes
            // what is left of the staging directory.
            swap::replace(target, staging, self.kind)?;
            pending.retain(|p| p != staging);
            drop(pending);
            self.target = None;
        }
        Ok(self.names.iter().map(|n| self.dir.join(n)).collect())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if let Some((_, staging)) = self.target.take() {
            let mut pending = interrupt::pending();
            let _ = fs::remove_dir_all(&staging);
            pending.retain(|p| *p != staging);
        }
    }
}

/// Single files staged under temporary names beside their final names in a
/// folder ratesim does not own, each renamed over its final name at commit.
pub struct InPlace {
    dir: PathBuf,
    created_dir: bool,
    staged: Vec<(PathBuf, PathBuf)>,
}

impl InPlace {
    pub fn new(dir: &Path) -> InPlace {
        InPlace {
            dir: dir.to_path_buf(),
            created_dir: false,
            staged: Vec::new(),
        }
    }

    fn create<T>(
        &mut self,
        name: &str,
        open: impl FnOnce(&Path) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut pending = interrupt::pending();
        if !self.dir.exists() {
            fs::create_dir_all(&self.dir)?;
            self.created_dir = true;
        }
        let temp = self
            .dir
            .join(format!(".{name}.partial-{}", std::process::id()));
        let file = open(&temp)?;
        pending.push(temp.clone());
        self.staged.push((temp, self.dir.join(name)));
        Ok(file)
    }

    /// Stages `bytes` as file `name`.
    pub fn stage(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.create(name, |path| fs::write(path, bytes))
    }

    /// Opens a staged file `name` for streaming writes.
    pub fn stage_stream(&mut self, name: &str) -> io::Result<BufWriter<File>> {
        let file = self.create(name, |path| File::create(path))?;
        Ok(BufWriter::with_capacity(1 << 20, file))
    }

    /// Moves every staged file into place; returns the final paths.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        let mut pending = interrupt::pending();
        let mut done = Vec::new();
        while let Some((temp, final_path)) = self.staged.first() {
            fs::rename(temp, final_path)?;
            pending.retain(|p| p != temp);
            done.push(final_path.clone());
            self.staged.remove(0);
        }
        Ok(done)
    }
}

impl Drop for InPlace {
    fn drop(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        let mut pending = interrupt::pending();
        for (temp, _) in &self.staged {
            let _ = fs::remove_file(temp);
            pending.retain(|p| p != temp);
        }
        if self.created_dir {
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests;
