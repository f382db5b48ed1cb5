//! Shared test helpers: the `check` golden-file helper, a temp folder, and
//! running the built binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Compares `actual` with the golden file `tests/golden/<name>`; with
/// `UPDATE_EXPECT=1` rewrites the golden file instead.
pub fn check(name: &str, actual: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with UPDATE_EXPECT=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the golden file (UPDATE_EXPECT=1 to accept):\n--- expected\n{}\n--- actual\n{}",
            path.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual)
        );
    }
}

/// A fresh empty folder under the target directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let dir = base.join(
            format!(
                "{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            )
            .replace(['(', ')'], ""),
        );
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the ratesim binary with `args` from the crate root.
pub fn ratesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ratesim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the ratesim binary runs")
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The variables by which Kubernetes and Slurm name a shard: the sharding
/// tests clear them so that only the flags they give (or the `env` they
/// pass) decide.
pub const SHARD_ENV: [&str; 5] = [
    "JOB_COMPLETION_INDEX",
    "JOB_COMPLETIONS",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
];

/// The binary with `args` from the crate root, none of [`SHARD_ENV`] set
/// except those in `env`.
pub fn shard_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ratesim"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for v in SHARD_ENV {
        c.env_remove(v);
    }
    c.envs(env.iter().copied());
    c
}

/// [`shard_command`] run to its end.
pub fn ratesim_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    shard_command(args, env)
        .output()
        .expect("the ratesim binary runs")
}

/// [`ratesim_env`] with no shard variables, which must succeed.
pub fn ratesim_ok(args: &[&str]) -> Output {
    let o = ratesim_env(args, &[]);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file of a folder, sorted by name, with its bytes.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}
