//! Whole outputs: a report replaces an earlier one as a set and keeps the
//! user's files; an interrupted run leaves no trace.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{ratesim, repo, TempDir};

fn run_into(dir: &Path, extra: &[&str]) {
    let scenario = repo("tests/fixtures/small.toml");
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = ratesim(&args);
    assert!(
        out.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every file of `dir` with its bytes, sorted by name.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    names(dir)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

#[test]
fn a_second_run_replaces_the_report_and_keeps_the_users_files() {
    let tmp = TempDir::new("output-rerun");
    let dir = tmp.path().join("report");
    run_into(&dir, &["--requests"]);
    assert!(dir.join("requests.csv").exists());
    std::fs::write(dir.join("notes.md"), "my notes").unwrap();

    run_into(&dir, &[]);

    assert!(
        !dir.join("requests.csv").exists(),
        "the earlier run's requests.csv is stale once a run without --requests replaces it"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.md")).unwrap(),
        "my notes"
    );
    assert_eq!(names(tmp.path()), ["report"], "nothing staged beside it");
    let fresh = tmp.path().join("fresh");
    run_into(&fresh, &[]);
    let mut replaced = contents(&dir);
    replaced.retain(|(n, _)| n != "notes.md");
    assert_eq!(
        replaced,
        contents(&fresh),
        "a replaced report is the report a fresh directory gets"
    );
}

/// A scenario that runs for many seconds: a Poisson flood for 8 hours.
const LONG: &str = r#"
name = "long"
seed = 1
duration = "8h"

[policy.lockout]
enabled = false

[[groups]]
name = "flood"
key = "a"
model = "qwen3-5-9b"
arrival = { process = "poisson", rate = "100/s" }
input_tokens = 100
output_tokens = 100
strategy = { kind = "exponential", base = "1s", cap = "4s", max_attempts = 2 }
"#;

/// Starts a long `run --requests` into `dir`, sends `signal` after half a
/// second, and returns the exit code.
fn interrupt_long_run(tmp: &Path, dir: &Path, signal: &str) -> Option<i32> {
    let scenario = tmp.join("long.toml");
    std::fs::write(&scenario, LONG).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ratesim"))
        .args(["run", scenario.to_str().unwrap(), "--requests", "--out"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the long run ended before the signal"
    );
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let ceiling = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > ceiling {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ratesim did not exit within 20 s of {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// No `.partial` file or staging directory anywhere under `base`.
fn assert_no_leftovers(base: &Path) {
    for entry in std::fs::read_dir(base).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.contains("partial") && !name.contains(".ratesim-"),
            "left behind: {}",
            path.display()
        );
        if path.is_dir() {
            assert_no_leftovers(&path);
        }
    }
}

#[test]
fn an_interrupted_run_leaves_no_directory_and_nothing_staged() {
    let tmp = TempDir::new("output-sigint");
    let dir = tmp.path().join("report");
    let code = interrupt_long_run(tmp.path(), &dir, "-INT");
    assert_eq!(code, Some(130), "SIGINT exits 130");
    assert!(!dir.exists(), "no report directory was made");
    assert_no_leftovers(tmp.path());
}

#[test]
fn a_terminated_run_leaves_the_earlier_report_as_it_was() {
    let tmp = TempDir::new("output-sigterm");
    let dir = tmp.path().join("report");
    run_into(&dir, &["--requests"]);
    let before = contents(&dir);
    let code = interrupt_long_run(tmp.path(), &dir, "-TERM");
    assert_eq!(code, Some(143), "SIGTERM exits 143");
    assert_eq!(contents(&dir), before, "the earlier report is untouched");
    assert_no_leftovers(tmp.path());
}
