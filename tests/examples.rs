//! The example reports committed under `reports/examples/` are what the
//! current build writes: README and the docs point newcomers at them, so a
//! change to a report, a chart or a column must regenerate them (they had
//! drifted two releases of columns behind before this test). The browser
//! screenshots are left out: Chromium draws them, not ratesim
//! (`UPDATE_SCREENSHOTS=1 cargo test --release --test browser` rewrites them).
//!
//! To regenerate one: run the command named in its test with `--out` a
//! scratch folder and copy over the files the example folder already holds
//! (the SVG twins of the PNGs are not committed, to keep the folder small).

mod support;

use support::{files, path_str, ratesim_ok, repo, TempDir};

/// Runs `args` with `--out` a scratch folder and checks every committed file
/// of `reports/examples/<example>/` against the file written there.
fn matches_committed(example: &str, args: &[&str]) {
    let dir = TempDir::new(example);
    let mut all = args.to_vec();
    all.extend(["--quiet", "--out", path_str(dir.path())]);
    ratesim_ok(&all);
    let committed = files(&repo(&format!("reports/examples/{example}")));
    let written = files(dir.path());
    let mut checked = 0;
    for (name, bytes) in committed
        .iter()
        .filter(|(n, _)| n != "report-screenshot.png")
    {
        let fresh = written
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{example}: the run no longer writes {name}"));
        assert!(
            &fresh.1 == bytes,
            "reports/examples/{example}/{name} differs from what `ratesim {}` writes now; \
             regenerate it (see tests/examples.rs)",
            args.join(" ")
        );
        checked += 1;
    }
    assert!(checked >= 5, "{example}: only {checked} files committed");
}

#[test]
fn the_committed_compare_example_is_what_compare_writes_today() {
    matches_committed(
        "quickstart-compare",
        &["compare", "scenarios/quickstart.toml"],
    );
}

#[test]
fn the_committed_plan_example_is_what_plan_writes_today() {
    matches_committed(
        "plan-quickstart",
        &["plan", "scenarios/plan-quickstart.toml"],
    );
}
