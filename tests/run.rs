//! `ratesim run` end to end: determinism, the golden summary, and the files a
//! user opens.

mod support;

use support::{check, ratesim, repo, TempDir};

fn run_into(scenario: &str, dir: &std::path::Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        scenario,
        "--out",
        dir.to_str().unwrap(),
        "--requests",
    ];
    args.extend_from_slice(extra);
    let out = ratesim(&args);
    assert!(
        out.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let (a, b, c) = (
        TempDir::new("det-a"),
        TempDir::new("det-b"),
        TempDir::new("det-c"),
    );
    run_into("scenarios/quickstart.toml", a.path(), &[]);
    run_into("scenarios/quickstart.toml", b.path(), &[]);
    run_into("scenarios/quickstart.toml", c.path(), &["--seed", "43"]);
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert!(
        fa.len() >= 4,
        "expected summary, timeseries, utilisation and requests files, got {:?}",
        fa.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(fa, fb, "two runs with the same seed differ");
    let summary = |f: &[(String, Vec<u8>)]| {
        f.iter()
            .find(|(n, _)| n == "summary.csv")
            .unwrap()
            .1
            .clone()
    };
    assert_ne!(
        summary(&fa),
        summary(&fc),
        "a different seed gave the same summary"
    );
}

#[test]
fn golden_summary_of_a_small_scenario() {
    let dir = TempDir::new("golden");
    run_into("tests/fixtures/small.toml", dir.path(), &[]);
    check(
        "small/summary.csv",
        &std::fs::read(dir.path().join("summary.csv")).unwrap(),
    );
    check(
        "small/timeseries.csv",
        &std::fs::read(dir.path().join("timeseries.csv")).unwrap(),
    );
}

#[test]
fn requests_csv_agrees_with_the_summary() {
    let dir = TempDir::new("requests");
    run_into("tests/fixtures/small.toml", dir.path(), &[]);
    let mut rdr = csv::Reader::from_path(dir.path().join("requests.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (outcome, attempts) = (col("outcome"), col("attempts"));
    let mut succeeded = 0u64;
    let mut total_attempts = 0u64;
    let mut rows = 0u64;
    for r in rdr.records() {
        let r = r.unwrap();
        rows += 1;
        succeeded += u64::from(&r[outcome] == "succeeded");
        total_attempts += r[attempts].parse::<u64>().unwrap();
    }
    let mut sum = csv::Reader::from_path(dir.path().join("summary.csv")).unwrap();
    let sh = sum.headers().unwrap().clone();
    let total = sum
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "total")
        .unwrap();
    let get = |name: &str| {
        total[sh.iter().position(|h| h == name).unwrap()]
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(rows, get("arrivals"));
    assert_eq!(succeeded, get("succeeded"));
    assert_eq!(total_attempts, get("attempts"));
}

#[test]
fn every_bundled_scenario_validates_and_runs() {
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let dir = TempDir::new("bundled");
            let out = ratesim(&[
                "run",
                path.to_str().unwrap(),
                "--out",
                dir.path().to_str().unwrap(),
            ]);
            assert!(
                out.status.success(),
                "{} failed: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout
                    .lines()
                    .last()
                    .is_some_and(|l| l.contains(" events in ")),
                "the run prints its work line last: {stdout}"
            );
        }
    }
}

#[test]
fn rate_limit_log_lists_every_limit_hit_newest_first() {
    let dir = TempDir::new("ratelog");
    run_into(
        "scenarios/quickstart.toml",
        dir.path(),
        &["--rate-limit-log"],
    );
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("rate_limit_log.json")).unwrap())
            .unwrap();
    let entries = log["data"].as_array().unwrap();
    // Every 429 in requests.csv (none is "overloaded" in this scenario) has its entry.
    let mut rdr = csv::Reader::from_path(dir.path().join("requests.csv")).unwrap();
    let col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "rejected_429")
        .unwrap();
    let rejected: u64 = rdr
        .records()
        .map(|r| r.unwrap()[col].parse::<u64>().unwrap())
        .sum();
    assert!(rejected > 0);
    assert_eq!(entries.len() as u64, rejected);
    let stamps: Vec<&str> = entries
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for e in entries {
        assert!(["RPM", "TPM", "RPD", "FAILED_REQUESTS"]
            .contains(&e["rateLimitType"].as_str().unwrap()));
    }
}

#[test]
fn rate_limit_log_reports_the_tier_of_the_scenarios_preset() {
    let tier_of = |preset: &str| {
        let dir = TempDir::new(&format!("tier-{preset}"));
        let scenario = dir.path().join("tier.toml");
        let text = std::fs::read_to_string(repo("tests/fixtures/small.toml"))
            .unwrap()
            .replace(
                "[policy.lockout]",
                &format!("[policy]\npreset = \"{preset}\"\n\n[policy.lockout]"),
            );
        std::fs::write(&scenario, text).unwrap();
        let out = dir.path().join("out");
        run_into(scenario.to_str().unwrap(), &out, &["--rate-limit-log"]);
        let log: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("rate_limit_log.json")).unwrap())
                .unwrap();
        let tiers: std::collections::BTreeSet<String> = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["rateLimitTier"].as_str().unwrap().to_string())
            .collect();
        tiers.into_iter().collect::<Vec<_>>()
    };
    assert_eq!(tier_of("venice"), ["paid"]);
    assert_eq!(tier_of("venice-legacy"), ["paid"]);
    assert_eq!(tier_of("venice-partner-legacy"), ["partner"]);
}

#[test]
fn requests_csv_names_the_keys_traces_bring() {
    let dir = TempDir::new("trace-keys");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "a.csv",
        "arrival_s,key,model,input_tokens,output_tokens\n\
         0.5,alpha,qwen3-5-9b,100,10\n1.0,shared,qwen3-5-9b,100,10\n2.0,alpha,qwen3-5-9b,100,10\n",
    );
    write(
        "b.csv",
        "arrival_s,key,model,input_tokens,output_tokens\n\
         0.1,beta,llama-3.3-70b,100,10\n0.7,shared,llama-3.3-70b,100,10\n1.5,prod,llama-3.3-70b,100,10\n",
    );
    write(
        "keys.toml",
        "name = \"keys\"\nduration = \"10s\"\n\n\
         [[groups]]\nname = \"synthetic\"\nkey = \"prod\"\nmodel = \"qwen3-5-9b\"\n\
         arrival = { process = \"constant\", rate = \"1/s\" }\ninput_tokens = 10\noutput_tokens = 10\n\n\
         [[groups]]\nname = \"a\"\ntrace = \"a.csv\"\n\n\
         [[groups]]\nname = \"b\"\ntrace = \"b.csv\"\n",
    );
    let out = dir.path().join("out");
    run_into(dir.path().join("keys.toml").to_str().unwrap(), &out, &[]);
    let mut rdr = csv::Reader::from_path(out.join("requests.csv")).unwrap();
    let mut seen: Vec<(String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_string(), r[2].to_string())
        })
        .collect();
    seen.sort();
    seen.dedup();
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(g, k)| (g.to_string(), k.to_string()))
            .collect()
    };
    assert_eq!(
        seen,
        pairs(&[
            ("a", "alpha"),
            ("a", "shared"),
            ("b", "beta"),
            ("b", "prod"),
            ("b", "shared"),
            ("synthetic", "prod"),
        ])
    );
}

/// Regression: a single-group run wrote only `total` rows to
/// timeseries.csv, while docs/outputs.md promises a row per group and a
/// total per interval.
#[test]
fn a_single_group_run_writes_its_group_rows_and_the_totals() {
    let text = std::fs::read_to_string(repo("tests/fixtures/small.toml")).unwrap();
    let one = text
        .split("[[groups]]")
        .take(2)
        .collect::<Vec<_>>()
        .join("[[groups]]");
    let sc = ratesim::scenario::parse(&one, &repo("tests/fixtures/one.toml")).unwrap();
    assert_eq!(sc.groups.len(), 1);
    let o = ratesim::experiment::simulate_quiet(&sc, sc.seed).unwrap();
    let csv = String::from_utf8(ratesim::report::timeseries::timeseries_csv(&sc, &o)).unwrap();
    let groups: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    let steady = groups.iter().filter(|g| **g == "steady").count();
    let total = groups.iter().filter(|g| **g == "total").count();
    assert_eq!(steady, o.series.intervals());
    assert_eq!(total, steady);
}

/// Regression: a trace group's locked-out time was read from its configured
/// key, not from the keys its rows name, so a replay locked out on a trace
/// key reported 0 s.
#[test]
fn a_trace_groups_lockout_is_read_from_the_keys_its_rows_use() {
    let sc = ratesim::scenario::load(&repo("scenarios/import-otel.toml")).unwrap();
    let o = ratesim::experiment::simulate_quiet(&sc, sc.seed).unwrap();
    let lockout_429: u64 = o
        .groups
        .iter()
        .map(|g| g.rejected_by(ratesim::response::Cause::Lockout))
        .sum();
    assert!(lockout_429 > 0, "the sample replay trips the lockout");
    let locked: f64 = o.groups.iter().map(|g| g.locked_out.as_secs_f64()).sum();
    assert!(
        locked > 0.0,
        "a group refused by a lockout was locked out for some time"
    );
    let series: u64 = o.series.rows.iter().flatten().map(|iv| iv.locked_ns).sum();
    assert!(series > 0);
}

/// Regression: lockout shading on run charts said "any key" and shaded
/// groups on other keys. Each key's blocks are shaded under its own name,
/// and only a key that was locked gets a legend entry.
#[test]
fn run_charts_shade_lockouts_per_key_with_the_key_named() {
    let t = TempDir::new("run-shading");
    let sc = ratesim::scenario::load(&repo("scenarios/quickstart.toml")).unwrap();
    let report = ratesim::runner::run_to_dir(&sc, sc.seed, t.path(), false, false).unwrap();
    let o = &report.outcome;
    let locked: Vec<&str> = o
        .keys
        .iter()
        .enumerate()
        .filter(|(k, _)| o.lockouts.iter().any(|b| b.key as usize == *k))
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(locked, ["batch"], "quickstart locks only the batch key");
    let svg = std::fs::read_to_string(t.path().join("throughput.svg")).unwrap();
    assert!(svg.contains("abuse lockout: key batch"));
    assert!(
        !svg.contains("abuse lockout: key prod"),
        "key prod was never locked"
    );
    assert!(!svg.contains("any key"));
}
