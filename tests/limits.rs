//! Accepted inputs finish or are refused before they start: absurd work or
//! memory is refused with exit 2, a message naming what to change, and no
//! output, unless `--allow-large` is passed.

mod support;

use std::path::Path;
use support::{ratesim, repo, TempDir};

const GROUP: &str =
    "[[groups]]\nname = \"g\"\nmodel = \"llama-3.3-70b\"\ninput_tokens = 10\noutput_tokens = 10\n";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Runs `args` and checks exit 2, every fragment in stderr, and no output dir.
fn refused(args: &[&str], out: &Path, fragments: &[&str]) {
    let o = ratesim(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    for f in fragments {
        assert!(err.contains(f), "{args:?}: missing {f:?} in {err}");
    }
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

#[test]
fn ten_million_a_second_for_a_day_is_refused_naming_the_rate() {
    let t = TempDir::new("limits-rate");
    let sc = write(
        t.path(),
        "big.toml",
        &format!("name = \"big\"\nduration = \"1d\"\n{GROUP}arrival = {{ process = \"poisson\", rate = \"1e7/s\" }}\n"),
    );
    let out = t.path().join("out");
    let o = out.to_str().unwrap();
    refused(
        &["run", &sc, "--out", o],
        &out,
        &["9.1e11 arrivals", "groups[0].arrival.rate", "--allow-large"],
    );
}

#[test]
fn a_million_workers_for_a_day_is_refused_naming_the_workers() {
    let t = TempDir::new("limits-closed");
    let sc = write(
        t.path(),
        "closed.toml",
        &format!("name = \"closed\"\nduration = \"1d\"\n{GROUP}arrival = {{ process = \"closed\", workers = 1000000, think = \"0s\" }}\n"),
    );
    let out = t.path().join("out");
    refused(
        &["run", &sc, "--out", out.to_str().unwrap()],
        &out,
        &["groups[0].arrival.workers"],
    );
}

#[test]
fn a_year_of_short_intervals_over_eight_groups_is_refused_naming_the_interval() {
    let t = TempDir::new("limits-series");
    let mut text = "name = \"series\"\nduration = \"366d\"\ninterval = \"3200ms\"\n".to_string();
    for i in 0..8 {
        text += &format!("[[groups]]\nname = \"g{i}\"\nmodel = \"llama-3.3-70b\"\ninput_tokens = 10\noutput_tokens = 10\narrival = {{ process = \"poisson\", rate = \"1/h\" }}\n");
    }
    let sc = write(t.path(), "series.toml", &text);
    let out = t.path().join("out");
    refused(
        &["run", &sc, "--out", out.to_str().unwrap()],
        &out,
        &["time series", "`interval`"],
    );
}

#[test]
fn a_billion_replications_are_refused_for_compare_and_plan() {
    let t = TempDir::new("limits-reps");
    let out = t.path().join("out");
    let o = out.to_str().unwrap();
    let quick = repo("scenarios/quickstart.toml");
    let q = quick.to_str().unwrap();
    refused(
        &[
            "compare",
            q,
            "--replications",
            "1000000000",
            "--out",
            o,
            "--quiet",
        ],
        &out,
        &["--replications", "--allow-large"],
    );
    refused(
        &[
            "plan",
            q,
            "--replications",
            "1000000000",
            "--out",
            o,
            "--quiet",
        ],
        &out,
        &["--replications"],
    );
    refused(
        &["compare", q, "--jobs", "100000", "--out", o, "--quiet"],
        &out,
        &["--jobs 100000", "at most"],
    );
}

#[test]
fn a_plan_that_doubles_every_month_for_two_years_is_refused() {
    let t = TempDir::new("limits-growth");
    let sc = write(
        t.path(),
        "growth.toml",
        &format!("name = \"growth\"\nduration = \"10m\"\n{GROUP}arrival = {{ process = \"poisson\", rate = \"60/min\" }}\n[plan]\ngrowth = 1.0\nhorizon_months = 24\n"),
    );
    let out = t.path().join("out");
    refused(
        &["plan", &sc, "--out", out.to_str().unwrap(), "--quiet"],
        &out,
        &["growth", "horizon_months"],
    );
}

#[test]
fn gamma_burstiness_that_cannot_be_sampled_is_refused_by_validate() {
    let t = TempDir::new("limits-gamma");
    for b in ["1e-310", "1e308", "0.0001"] {
        let sc = write(
            t.path(),
            "gamma.toml",
            &format!("name = \"gamma\"\nduration = \"10m\"\n{GROUP}arrival = {{ process = \"gamma\", rate = \"1/s\", burstiness = {b} }}\n"),
        );
        let o_dir = t.path().join("o");
        for args in [
            vec!["validate", &sc],
            vec!["run", &sc, "--out", o_dir.to_str().unwrap()],
        ] {
            let cmd = args[0];
            let o = ratesim(&args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{cmd} burstiness {b}: {err}");
            assert!(err.contains("burstiness"), "{err}");
        }
    }
}

#[test]
fn the_limits_scale_and_allow_large_lifts_them() {
    let t = TempDir::new("limits-scale");
    let out = t.path().join("out");
    let quick = repo("scenarios/quickstart.toml");
    let q = quick.to_str().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ratesim"))
        .args(["run", q, "--out", out.to_str().unwrap()])
        .env("RATESIM_LIMIT_SCALE", "1e-9")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.exists());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ratesim"))
        .args(["run", q, "--out", out.to_str().unwrap(), "--allow-large"])
        .env("RATESIM_LIMIT_SCALE", "1e-9")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("summary.csv").exists());
}
