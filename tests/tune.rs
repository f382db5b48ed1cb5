//! `ratesim tune`: finds the known best pacing rate of scenarios/tune-pacer.toml,
//! never returns a candidate that misses the objective when one that meets
//! it was evaluated, gives the same bytes on any number of threads, and
//! rejects bad `--objective` and `[tune]` input with its location.

mod support;

use ratesim::objective::Constraint;
use ratesim::report::tune::{best_toml, report_md, tune_csv};
use ratesim::scenario::Scenario;
use ratesim::tune::{self, Settings, TuneResult};
use support::{check, ratesim, repo, TempDir};

fn pacer() -> Scenario {
    ratesim::scenario::load(&repo("scenarios/tune-pacer.toml")).unwrap()
}

fn tune_with(sc: &Scenario, objective: Option<&str>, budget: u32, threads: usize) -> TuneResult {
    let mut s = Settings::from_scenario(sc, None, None).unwrap();
    if let Some(o) = objective {
        s.constraint = Constraint::parse(o).unwrap();
    }
    s.budget = budget;
    tune::run_with_threads(sc, &s, Some(threads), &|| {}).unwrap()
}

/// The pacer's rpm of candidate `id`.
fn rpm(res: &TuneResult, id: usize) -> f64 {
    res.candidates[id].values[0]
}

#[test]
fn finds_the_pacing_rate_just_under_the_limit() {
    let sc = pacer();
    let res = tune_with(&sc, None, 300, 2);
    assert_eq!(res.settings.space.dims[0].field, "pacer.rpm");
    assert!(res.runs <= 300, "{} runs", res.runs);
    assert!(res.best_meets);
    // The limit is 100 RPM; the design's spacing (100 rpm over 58 points)
    // puts a candidate within 1.8 rpm below it.
    let best = rpm(&res, res.best);
    assert!((97.0..=100.0).contains(&best), "best rpm {best}");
    // Why the optimum sits there: above the limit every candidate meets
    // 429s, and below it a slower pacer succeeds less.
    for c in res.candidates.iter().filter(|c| !c.runs.is_empty()) {
        let s = c.summary();
        if rpm(&res, c.id) > 100.5 {
            assert!(
                s.est[3].mean > 0.0,
                "{} at {} rpm saw no 429",
                c.label(),
                rpm(&res, c.id)
            );
        }
    }
    // Better than the preset's cautious 60 a minute, on the same replications.
    let d = res.paired_difference();
    assert!(d[0].low() > 0.2, "success share gain {:?}", d[0]);
    let csv = String::from_utf8(tune_csv(&res)).unwrap();
    assert!(csv.starts_with(
        "round,candidate,pacer.rpm,replications,rank,advanced,meets,broken,success_share_mean"
    ));
}

#[test]
fn the_best_meets_the_objective_whenever_an_evaluated_candidate_does() {
    let sc = pacer();
    for objective in [
        "share_429<=0,p99<=none",
        "share_429<=2%,p99<=none",
        "share_429<=0,p99<=150s",
        "share_429<=0,p99<=1s",
    ] {
        let res = tune_with(&sc, Some(objective), 60, 2);
        let c = &res.settings.constraint;
        let any_meets = res
            .candidates
            .iter()
            .filter(|k| !k.runs.is_empty())
            .any(|k| k.summary().broken(c).is_empty());
        let best = res.candidates[res.best].summary();
        assert_eq!(res.best_meets, any_meets, "{objective}");
        assert_eq!(best.broken(c).is_empty(), any_meets, "{objective}");
        let md = report_md(&sc, &res);
        assert_eq!(
            md.contains("No evaluated candidate meets the objective"),
            !any_meets,
            "{objective}"
        );
        if objective.ends_with("p99<=1s") {
            assert!(
                !any_meets,
                "a backlog of minutes cannot finish within a second"
            );
            assert!(best_toml(&sc, &res).contains("NO evaluated candidate meets"));
        }
    }
}

#[test]
fn a_search_gives_the_same_bytes_on_any_number_of_threads() {
    let sc = pacer();
    let one = tune_with(&sc, None, 40, 1);
    let four = tune_with(&sc, None, 40, 4);
    assert_eq!(tune_csv(&one), tune_csv(&four));
    assert_eq!(best_toml(&sc, &one), best_toml(&sc, &four));
    assert_eq!(report_md(&sc, &one), report_md(&sc, &four));
    check("tune-pacer/tune.csv", &tune_csv(&one));
    // Through the binary: every file, charts and HTML included.
    let dir = TempDir::new("tune-threads");
    let out = |jobs: &str| {
        let d = dir.path().join(jobs);
        let o = ratesim(&[
            "tune",
            "scenarios/tune-pacer.toml",
            "--budget",
            "40",
            "--jobs",
            jobs,
            "--quiet",
            "--out",
            d.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        d
    };
    let (a, b) = (out("1"), out("3"));
    let mut names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 8, "{names:?}");
    for n in &names {
        assert_eq!(
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
            "{n}"
        );
    }
}

#[test]
fn best_toml_pastes_into_a_scenario_as_the_best_strategy() {
    let sc = pacer();
    let res = tune_with(&sc, None, 40, 2);
    let text = best_toml(&sc, &res);
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let spec = ratesim::strategy::config::parse(&doc["strategy"]).unwrap();
    let best = res.candidates[res.best].spec.as_ref().unwrap();
    assert_eq!(
        ratesim::strategy::presets::to_toml(&spec),
        ratesim::strategy::presets::to_toml(best)
    );
    assert!(
        text.contains(&format!("rpm = {}", rpm(&res, res.best))),
        "{text}"
    );
}

fn expect_exit_2(args: &[&str], fragments: &[&str]) {
    let out = ratesim(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "expected {f:?} in: {stderr}");
    }
}

#[test]
fn bad_objectives_and_tune_tables_exit_2_with_their_location() {
    let dir = TempDir::new("tune-err");
    let good = "name = \"bad\"\nduration = \"2m\"\n\n[[groups]]\nname = \"g\"\nmodel = \"llama-3.3-70b\"\narrival = { process = \"poisson\", rate = \"10/min\" }\ninput_tokens = 10\noutput_tokens = 10\nstrategy = { kind = \"full-jitter\", pacer = { kind = \"token-bucket\", rpm = 60 } }\n";
    let out_dir = dir.path().join("out");
    let cases = [
        (
            "[tune]\nparams.pacer.rmp = [1, 2]\n",
            "bad.toml:13:",
            "tune.params.pacer.rmp",
            "no numeric parameter",
        ),
        (
            "[tune]\nparams.pacer.rpm = [90, 30]\n",
            "bad.toml:13:",
            "tune.params.pacer.rpm",
            "above high",
        ),
        (
            "[tune]\nparams.cap = [\"1s\", 30]\n",
            "bad.toml:13:",
            "tune.params.cap",
            "one kind",
        ),
        (
            "[tune]\nparams.pacer.headroom = [0.5, 2]\n",
            "bad.toml:13:",
            "tune.params.pacer.headroom",
            "high end",
        ),
        (
            "[tune]\nobjective = \"share_429<=2\"\n",
            "bad.toml:13:13",
            "tune.objective",
            "between 0% and 100%",
        ),
        (
            "[tune]\ngroups = [\"h\"]\n",
            "bad.toml:13:",
            "tune.groups[0]",
            "no group is called",
        ),
        (
            "[tune]\nbudget = 0\n",
            "bad.toml:13:10",
            "tune.budget",
            "whole number",
        ),
        ("[tune]\nbugdet = 10\n", "bad.toml:13:1", "bugdet", "budget"),
    ];
    for (table, at, field, fragment) in cases {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, format!("{good}\n{table}")).unwrap();
        expect_exit_2(
            &[
                "tune",
                path.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ],
            &[at, field, fragment],
        );
        assert!(!out_dir.exists(), "{table}: nothing is written");
    }
    let path = dir.path().join("ok.toml");
    std::fs::write(&path, good).unwrap();
    for (flags, fragment) in [
        (
            ["--objective", "share_429<=150%"],
            "not between 0% and 100%",
        ),
        (["--objective", "latency<=5s"], "unknown term"),
        (["--objective", "locked_out<=soon"], "locked_out"),
        (["--budget", "3"], "budget"),
        (["--strategy", "openai-pyhton"], "openai-python"),
        (["--groups", "h"], "no group is called \"h\""),
        (["--strategy", "{ kind = \"none\" }"], "no parameter"),
    ] {
        let mut args = vec![
            "tune",
            path.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ];
        args.extend(flags);
        expect_exit_2(&args, &[fragment]);
        assert!(!out_dir.exists(), "{flags:?}: nothing is written");
    }
}
