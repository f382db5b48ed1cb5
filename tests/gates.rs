//! Scripts and CI: `--export-json` carries the same figures as the CSVs,
//! and `plan --check` exits 3 when today's load misses the objective.

mod support;

use support::{ratesim, repo, TempDir};

#[test]
fn export_json_of_a_run_equals_summary_csv() {
    let t = TempDir::new("gates-json");
    let out = t.path().join("out");
    let json_path = t.path().join("summary.json");
    let small = repo("tests/fixtures/small.toml");
    let o = ratesim(&[
        "run",
        small.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--export-json",
        json_path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["scenario"], "small");
    assert_eq!(json["seed"], 99);
    let mut csv = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(groups.len() + 1, rows.len());
    for (row, obj) in rows.iter().zip(groups.iter().chain([&json["total"]])) {
        for (name, cell) in header.iter().zip(row.iter()).skip(3) {
            let v = &obj[name];
            if name == "recovery_mechanism" {
                assert_eq!(v.as_str(), Some(cell), "{name}");
                continue;
            }
            let want: f64 = cell.parse().unwrap();
            if want.is_finite() {
                let got = v.as_f64().unwrap_or_else(|| panic!("{name} missing"));
                // The CSV rounds to its column's decimals.
                assert!(
                    (got - want).abs() <= 1e-3 * want.abs().max(1.0),
                    "{name}: {got} vs {want}"
                );
            } else {
                assert!(v.is_null(), "{name} should be null, got {v}");
            }
        }
    }
}

fn plan_scenario(rate: &str) -> String {
    format!(
        "name = \"gate\"\nduration = \"5m\"\n[[groups]]\nname = \"g\"\nmodel = \"llama-3.3-70b\"\n\
         arrival = {{ process = \"poisson\", rate = \"{rate}\" }}\ninput_tokens = 100\noutput_tokens = 50\n\
         strategy = {{ kind = \"none\" }}\n[plan]\nreplications = 2\nfactors = [0.5, 1.0, 2.0]\nbisect_steps = 1\n\
         candidates = [\"brooker-full-jitter\"]\n"
    )
}

#[test]
fn plan_check_exits_3_when_today_misses_the_objective() {
    let t = TempDir::new("gates-plan");
    for (rate, code) in [("300/min", 3), ("10/min", 0)] {
        let sc = t.path().join(format!("gate-{code}.toml"));
        std::fs::write(&sc, plan_scenario(rate)).unwrap();
        let out = t.path().join(format!("out-{code}"));
        let json = t.path().join(format!("plan-{code}.json"));
        let o = ratesim(&[
            "plan",
            sc.to_str().unwrap(),
            "--check",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
            "--export-json",
            json.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{rate}: {err}");
        assert!(
            out.join("report.md").exists(),
            "the report is written either way"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(doc["meets_objective_today"], code == 0);
        if code == 3 {
            assert!(
                err.contains("check failed: today's load already misses"),
                "{err}"
            );
        }
    }
}

#[test]
fn thresholds_from_the_scenario_and_the_command_line_gate_a_run() {
    let t = TempDir::new("gates-thresholds");
    let text = std::fs::read_to_string(repo("tests/fixtures/small.toml")).unwrap();
    // The fixture's groups overrun their RPM: share_429 is about 0.6.
    let failing =
        format!("{text}\n[thresholds]\ntotal = [\"share_429<=1%\"]\nsteady = [\"p99<=1h\"]\n");
    let holding = format!("{text}\n[thresholds]\ntotal = [\"share_429<=90%\", \"gave_up<100\"]\n");
    for (name, body, code) in [("fail", &failing, 3), ("hold", &holding, 0)] {
        let sc = t.path().join(format!("{name}.toml"));
        std::fs::write(&sc, body).unwrap();
        let out = t.path().join(name);
        let o = ratesim(&["run", sc.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{name}: {err}");
        assert!(
            out.join("summary.csv").exists(),
            "the report is written either way"
        );
        if code == 3 {
            assert!(err.contains("1 of 2 threshold(s) crossed"), "{err}");
            assert!(
                err.contains("total: share_429<=1%: share_429 is 0.5"),
                "{err}"
            );
        }
    }
    // On the command line, with a group; an unknown figure is bad input.
    let sc = repo("tests/fixtures/small.toml");
    let out = t.path().join("flags");
    let o = ratesim(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threshold",
        "bursty:gave_up<=0",
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = ratesim(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threshold",
        "shar_429<=1%",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("did you mean share_429"), "{err}");
    // A group the scenario lacks is located in the file.
    let bad = t.path().join("bad.toml");
    std::fs::write(
        &bad,
        format!("{text}\n[thresholds]\nnobody = [\"gave_up<=0\"]\n"),
    )
    .unwrap();
    let o = ratesim(&["validate", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("thresholds.nobody") && err.contains("no group is called"),
        "{err}"
    );
}

/// README's CI example: quickstart's chat group holds both gates.
#[test]
fn the_readme_gate_on_quickstart_holds() {
    let t = TempDir::new("gates-readme");
    let q = repo("scenarios/quickstart.toml");
    let o = ratesim(&[
        "run",
        q.to_str().unwrap(),
        "--out",
        t.path().join("out").to_str().unwrap(),
        "--threshold",
        "chat:share_429<=1%",
        "--threshold",
        "chat:p99<=30s",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("all 2 threshold(s) hold"));
}

/// compare checks the thresholds on every strategy's means: one strategy
/// that crosses one exits 3 and is named; all holding exits 0.
#[test]
fn compare_gates_every_strategy_on_its_means() {
    let t = TempDir::new("gates-compare");
    let sc = repo("tests/fixtures/compare.toml");
    let run = |extra: &[&str]| {
        let out = t.path().join("out");
        let mut args = vec![
            "compare",
            sc.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        ratesim(&args)
    };
    // no-retry gives up on every 429; the retrying strategies deliver more.
    let o = run(&["--threshold", "gave_up<=0"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("crossed by"), "{err}");
    assert!(
        err.contains("no-retry: total: gave_up<=0: gave_up is"),
        "{err}"
    );
    assert!(t.path().join("out/compare_summary.csv").exists());
    // The means in the message are compare_summary.csv's.
    let mut csv = csv::Reader::from_path(t.path().join("out/compare_summary.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = header.iter().position(|h| h == "gave_up_mean").unwrap();
    let no_retry = csv
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "no-retry")
        .unwrap();
    let mean: f64 = no_retry[col].parse().unwrap();
    assert!(mean > 0.0);
    let o = run(&["--threshold", "attempts_per_request<=100"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("all 1 threshold(s) hold for every strategy"),
        "{out}"
    );
    // A figure that does not exist is bad input, before any run.
    let o = run(&["--threshold", "gaveup<=0"]);
    assert_eq!(o.status.code(), Some(2));
    // The scenario's [thresholds] count too.
    let text = std::fs::read_to_string(&sc).unwrap();
    let gated = t.path().join("gated.toml");
    std::fs::write(
        &gated,
        format!("{text}\n[thresholds]\nburst = [\"gave_up<=0\"]\n"),
    )
    .unwrap();
    let o = ratesim(&[
        "compare",
        gated.to_str().unwrap(),
        "--quiet",
        "--out",
        t.path().join("gated").to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// README's compare gate: quickstart's image batch with Venice's own
/// clients is never locked out and gives up on nothing.
#[test]
fn the_readme_compare_gate_on_quickstart_holds() {
    let t = TempDir::new("gates-readme-compare");
    let q = repo("scenarios/quickstart.toml");
    let o = ratesim(&[
        "compare",
        q.to_str().unwrap(),
        "--quiet",
        "--out",
        t.path().join("out").to_str().unwrap(),
        "--strategies",
        "venice-py,venice-docs-example",
        "--threshold",
        "locked_out_s<=0",
        "--threshold",
        "gave_up<=0",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("all 2 threshold(s) hold"));
}

/// --export-markdown's run table holds summary.csv's cells, a row per group
/// and the total, under a line naming the scenario and seed.
#[test]
fn export_markdown_of_a_run_equals_summary_csv() {
    let t = TempDir::new("gates-md");
    let out = t.path().join("out");
    let md_path = t.path().join("summary.md");
    let small = repo("tests/fixtures/small.toml");
    let o = ratesim(&[
        "run",
        small.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--export-markdown",
        md_path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.starts_with("# small: run summary\n"), "{md}");
    assert!(md.contains("Scenario `small`, seed 99,"), "{md}");
    let rows: Vec<Vec<&str>> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| group"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    let mut csv = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), records.len(), "{md}");
    let columns = [
        "group",
        "strategy",
        "arrivals",
        "succeeded",
        "gave_up",
        "refused_locally",
        "rejected_429",
        "share_429",
        "goodput_rpm",
        "completion_p50_s",
        "completion_p99_s",
        "locked_out_s",
    ];
    for (row, rec) in rows.iter().zip(&records) {
        for (cell, name) in row.iter().zip(columns) {
            let i = header.iter().position(|h| h == name).unwrap();
            assert_eq!(*cell, &rec[i], "{name} in {md}");
        }
    }
}
