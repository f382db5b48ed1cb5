//! Fuzzing scenario files on stable Rust: every bundled scenario, mutated
//! (lines dropped or duplicated, numbers and strings swapped for absurd
//! values), must be either refused with a located error or accepted; an
//! accepted one with a small cost estimate must run to the end. Nothing may
//! panic. The cargo-fuzz target `fuzz/fuzz_targets/scenario.rs` checks the
//! same with coverage guidance; crashes either finds become regression
//! tests at the bottom of this file.

mod support;

use proptest::prelude::*;
use std::path::Path;
use support::repo;

/// Values that have broken parsers and samplers before.
const ABSURD: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "1e-310",
    "4294967296",
    "18446744073709551616",
    "nan",
    "inf",
    "\"\"",
    "\"0s\"",
    "\"1e9/s\"",
    "\"-5m\"",
    "\"366d\"",
    "\"1ns\"",
    "\"1/ns\"",
    "[]",
    "{}",
    "true",
    "2554-07-21T23:34:34Z",
    "1969-12-31T23:59:59Z",
];

fn bundled() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            out.push((
                path.to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

/// Replaces the value after the `n`th `=` of line `line` with `value`,
/// drops or repeats a line, as `op` says.
fn mutate(text: &str, op: u8, line: usize, value: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let i = line % lines.len();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match op % 3 {
        0 => {
            if let Some(eq) = out[i].find('=') {
                out[i] = format!("{} = {value}", &out[i][..eq].trim_end());
            }
        }
        1 => {
            out.remove(i);
        }
        _ => {
            let l = out[i].clone();
            out.insert(i, l);
        }
    }
    out.join("\n")
}

/// Parses `text`; when accepted and cheap, runs it. Returns whether it ran.
fn check(path: &str, text: &str) -> bool {
    let dir = Path::new(path).parent().unwrap().to_path_buf();
    let Ok(sc) = ratesim::scenario::parse(text, &dir.join("fuzzed.toml")) else {
        return false;
    };
    let cost = ratesim::experiment::cost::of_run(&sc, 1.0);
    if cost.events > 300_000.0 || cost.series_rows > 100_000.0 {
        return false;
    }
    // A trace the mutation broke is a located error, not a panic.
    let _ = ratesim::experiment::simulate_quiet(&sc, sc.seed);
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_bundled_scenarios_are_refused_or_run(
        which in 0usize..64,
        ops in proptest::collection::vec((0u8..3, 0usize..400, 0usize..ABSURD.len()), 1..4),
    ) {
        let all = bundled();
        let (path, text) = &all[which % all.len()];
        let mut t = text.clone();
        for (op, line, v) in ops {
            t = mutate(&t, op, line, ABSURD[v]);
        }
        check(path, &t);
    }
}

#[test]
fn every_single_absurd_value_in_every_field_of_quickstart() {
    let path = repo("scenarios/quickstart.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let p = path.to_string_lossy();
    let mut ran = 0;
    for line in 0..text.lines().count() {
        for v in ABSURD {
            ran += usize::from(check(&p, &mutate(&text, 0, line, v)));
        }
    }
    assert!(
        ran > 0,
        "some mutations must still be valid scenarios that run"
    );
}
