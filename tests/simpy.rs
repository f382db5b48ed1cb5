//! ratesim against an independent model of the same experiment: the SimPy
//! script of benches/simpy/ (the speed comparison's other side) and
//! benches/long-poisson.toml must agree on what happens. SimPy is installed
//! into a virtual environment under the target directory when missing.

use ratesim::experiment::simulate_quiet;
use ratesim::scenario::parse;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("simpy-venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 runs")
            .success();
        assert!(ok, "python3 -m venv failed");
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "simpy==4.1.1"])
            .status()
            .expect("pip runs")
            .success();
        assert!(ok, "pip install simpy failed");
    }
    py
}

#[test]
fn ratesim_and_simpy_agree_on_the_long_poisson_model() {
    let hours = 10;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python())
        .arg(root.join("benches/simpy/long_poisson.py"))
        .arg(hours.to_string())
        .output()
        .expect("the SimPy script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let num = |label: &str| -> f64 {
        let before = text.split(label).next().unwrap();
        before.split_whitespace().last().unwrap().parse().unwrap()
    };
    let (arrivals, succeeded, gave_up, attempts) = (
        num(" arrivals"),
        num(" succeeded"),
        num(" gave up"),
        num(" attempts"),
    );

    let toml = std::fs::read_to_string(root.join("benches/long-poisson.toml"))
        .unwrap()
        .replace("duration = \"100h\"", &format!("duration = \"{hours}h\""));
    let sc = parse(&toml, &root.join("benches/long-poisson.toml")).unwrap();
    let o = simulate_quiet(&sc, sc.seed).unwrap();
    let g = &o.groups[0];
    // Overloaded at 180 a minute against 150: every window is full in both.
    assert_eq!(succeeded, (150 * 60 * hours) as f64);
    assert_eq!(g.succeeded, 150 * 60 * hours);
    let close = |a: f64, b: u64, tol: f64, what: &str| {
        let rel = (a - b as f64).abs() / b as f64;
        assert!(
            rel < tol,
            "{what}: SimPy {a}, ratesim {b} ({:.1}% apart)",
            100.0 * rel
        );
    };
    close(arrivals, g.arrivals, 0.02, "arrivals");
    close(gave_up, g.gave_up_total(), 0.05, "gave up");
    close(attempts, g.attempts, 0.03, "attempts");
}
