//! `ratesim plan`: the sweep agrees with queueing arithmetic, names the
//! binding limit, keeps break points monotone in the objective, gives the
//! same bytes on any number of threads, and rejects malformed objectives.

mod support;

use ratesim::plan::{self, Goal, Objective, Scope, Settings};
use ratesim::policy::ModelId;
use ratesim::report::plan::{breakpoints_csv, plan_csv, report_md};
use ratesim::scenario::Scenario;
use support::{ratesim, repo, TempDir};

fn scenario(text: &str) -> Scenario {
    ratesim::scenario::parse(text, &repo("tests/fixtures/inline.toml")).unwrap()
}

fn model(sc: &Scenario, id: &str) -> ModelId {
    sc.policy.model_index(id).unwrap()
}

/// A small, fast plan: few factors, few replications, one candidate.
fn small_settings(sc: &Scenario, factors: &[f64], replications: u32) -> Settings {
    let mut s = Settings::from_scenario(sc);
    s.factors = factors.to_vec();
    s.replications = replications;
    s.bisect_steps = 3;
    s.candidates.truncate(1);
    s
}

/// E[min(N, L)] for N ~ Poisson(mean), summed exactly over the pmf.
fn expected_min_poisson(mean: f64, limit: u32) -> f64 {
    let mut pmf = (-mean).exp();
    let mut below = 0.0; // P(N < L)
    let mut sum = 0.0; // sum over k < L of k p(k)
    for k in 0..limit {
        below += pmf;
        sum += f64::from(k) * pmf;
        pmf *= mean / f64::from(k + 1);
    }
    sum + f64::from(limit) * (1.0 - below)
}

#[test]
fn admitted_per_window_matches_the_poisson_closed_form() {
    // L = 20 per fixed 60 s window, clients never retry, lockout off:
    // each window admits min(N, 20) with N ~ Poisson(r * 60 s).
    let sc = scenario(
        r#"
name = "window"
duration = "2h"
start = 2026-04-20T12:00:00Z
[policy.lockout]
enabled = false
[[policy.models]]
id = "llama-3.3-70b"
rpm = 20
[service]
error_latency = "1ms"
[[groups]]
name = "poisson"
model = "llama-3.3-70b"
arrival = { process = "poisson", rate = "20/min" }
input_tokens = 10
output_tokens = 10
strategy = { kind = "none" }
"#,
    );
    let m = model(&sc, "llama-3.3-70b");
    let windows = 120.0;
    let mut report = Vec::new();
    for factor in [0.5, 0.8, 1.0, 1.25, 1.6] {
        let per_window: Vec<f64> = (0..30)
            .map(|r| {
                let p = plan::simulate_at(&sc, factor, r, 100 + u64::from(r)).unwrap();
                let util = p.limits.iter().find(|l| l.model == m).unwrap().utilisation;
                let admitted = (util * 20.0 * windows).round();
                // With no retries every admitted request succeeds, except
                // the few still being answered when the run stops.
                let succeeded = p.scope(Scope::Model(m)).succeeded as f64;
                assert!(succeeded <= admitted && admitted - succeeded < 5.0);
                admitted / windows
            })
            .collect();
        let est = ratesim::stats::Estimate::of(&per_window);
        let exact = expected_min_poisson(20.0 * factor, 20);
        report.push(format!(
            "r*w = {:>4.1}: simulated {:.3} ± {:.3}, exact {exact:.3}",
            20.0 * factor,
            est.mean,
            est.half_width
        ));
        assert!(
            est.low() <= exact && exact <= est.high(),
            "factor {factor}: exact {exact} outside {:.4} ± {:.4}\n{}",
            est.mean,
            est.half_width,
            report.join("\n")
        );
    }
    println!("{}", report.join("\n"));
}

#[test]
fn the_binding_limit_is_tpm_for_big_prompts_and_rpm_for_chatty_clients() {
    let text = |input: u32, rate: &str| {
        format!(
            r#"
name = "binding"
duration = "10m"
drain = "1m"
[[policy.models]]
id = "zai-org-glm-5"
rpm = 100
tpm = 400000
[[groups]]
name = "g"
model = "zai-org-glm-5"
arrival = {{ process = "poisson", rate = "{rate}" }}
input_tokens = {input}
output_tokens = 500
max_tokens = 500
strategy = {{ kind = "full-jitter", base = "1s", cap = "20s", max_attempts = 4 }}
"#
        )
    };
    // Big prompts: 20 requests/min of 16,500 tokens is 330k tokens/min
    // (83% of TPM) but 20% of RPM.
    let big = scenario(&text(16_000, "20/min"));
    // Chatty: 80 requests/min of 550 tokens is 80% of RPM, 11% of TPM.
    let chatty = scenario(&text(50, "80/min"));
    for (sc, want) in [(big, "TPM"), (chatty, "RPM")] {
        let m = model(&sc, "zai-org-glm-5");
        let s = small_settings(&sc, &[0.5, 1.0, 2.0, 4.0], 3);
        let res = plan::run(&sc, &s, &|_| {}).unwrap();
        assert_eq!(res.binding(Scope::Model(m)).label(), want, "{}", sc.name);
        let md = report_md(&sc, &res);
        assert!(
            md.contains(&format!("| {} |", want)),
            "the report's table names {}:\n{md}",
            want
        );
    }
}

fn mixed() -> Scenario {
    scenario(
        r#"
name = "mixed"
duration = "15m"
drain = "2m"
[[groups]]
name = "chat"
key = "prod"
model = "qwen3-5-9b"
arrival = { process = "gamma", rate = "90/min", burstiness = 0.5 }
input_tokens = { dist = "lognormal", median = 900, p95 = 4000 }
output_tokens = 200
strategy = { kind = "full-jitter", base = "1s", cap = "30s", max_attempts = 5 }
[[groups]]
name = "batch"
key = "batch"
model = "llama-3.3-70b"
arrival = { process = "closed", workers = 4, think = "2s" }
input_tokens = 3000
output_tokens = 300
strategy = { kind = "exponential", base = "1s", cap = "30s", max_attempts = 6 }
[compare]
strategies = [{ kind = "decorrelated", base = "1s", cap = "30s" }]
"#,
    )
}

#[test]
fn a_more_permissive_objective_never_gives_a_lower_break_point() {
    let sc = mixed();
    let s = small_settings(&sc, &plan::default_factors(), 4);
    let objectives: Vec<Objective> = [
        "share_429<=0,p99<=20s,gave_up<=0",
        "share_429<=0.5%,p99<=30s,gave_up<=0",
        "share_429<=1%,p99<=30s,gave_up<=0",
        "share_429<=1%,p99<=60s,gave_up<=0.1%",
        "share_429<=5%,p99<=60s,gave_up<=1%",
        "share_429<=20%,p99<=none,gave_up<=5%",
    ]
    .iter()
    .map(|t| Objective::default().with_overrides(t).unwrap())
    .collect();
    let goals: Vec<Goal> = [Scope::All, Scope::Model(model(&sc, "qwen3-5-9b"))]
        .into_iter()
        .flat_map(|scope| {
            objectives
                .iter()
                .map(move |&objective| Goal { scope, objective })
        })
        .collect();
    let sweep = plan::sweep_all(
        &[("x".into(), ratesim::experiment::Variant::of(&sc), goals)],
        &s,
        &|_| {},
    )
    .unwrap()
    .remove(0);
    let n = objectives.len();
    for scope_bps in sweep.breakpoints.chunks(n) {
        for w in scope_bps.windows(2) {
            assert!(
                w[1].estimate.mean >= w[0].estimate.mean,
                "{:?} then {:?}",
                w[0],
                w[1]
            );
            for (a, b) in w[0].searches.iter().zip(&w[1].searches) {
                assert!(b.value() >= a.value(), "per replication: {a:?} then {b:?}");
            }
        }
        // The sweep separates them: the strictest and the loosest differ.
        assert!(scope_bps[n - 1].estimate.mean > scope_bps[0].estimate.mean);
    }
}

#[test]
fn parallel_and_serial_plans_give_identical_bytes() {
    let sc = mixed();
    let s = small_settings(&sc, &[0.5, 1.0, 2.0], 3);
    let serial = plan::run_with_threads(&sc, &s, Some(1), &|_| {}).unwrap();
    let parallel = plan::run_with_threads(&sc, &s, Some(4), &|_| {}).unwrap();
    assert_eq!(plan_csv(&sc, &serial), plan_csv(&sc, &parallel));
    assert_eq!(
        breakpoints_csv(&sc, &serial),
        breakpoints_csv(&sc, &parallel)
    );
    assert_eq!(report_md(&sc, &serial), report_md(&sc, &parallel));
}

#[test]
fn an_unreachable_objective_is_reported_plainly() {
    // 100 requests/min against 10 RPM: even a quarter of it overruns the
    // limit, so "no 429 at all" cannot be met anywhere in the sweep.
    let sc = scenario(
        r#"
name = "hopeless"
duration = "5m"
[[policy.models]]
id = "llama-3.3-70b"
rpm = 10
[[groups]]
name = "g"
model = "llama-3.3-70b"
arrival = { process = "poisson", rate = "100/min" }
input_tokens = 100
output_tokens = 100
[plan]
max_share_429 = 0.0
factors = [0.25, 0.5, 1.0]
replications = 2
candidates = [{ kind = "none" }]
"#,
    );
    let res = plan::run(&sc, &Settings::from_scenario(&sc), &|_| {}).unwrap();
    assert!(res.breakpoint(Scope::All).unreachable());
    let md = report_md(&sc, &res);
    assert!(md.contains("out of reach"), "{md}");
    // Today's load already fails: a banner says so before anything else,
    // and the terminal verdict too.
    assert!(!res.meets_today());
    let said = ratesim::report::plan::verdict(&sc, &res);
    assert!(
        said.iter()
            .any(|l| l.starts_with("today's load already fails the objective")),
        "{said:?}"
    );
    assert!(
        md.starts_with(
            "# Capacity plan: hopeless\n\n> ⚠ **The objective already fails at today's load**: 2 of 2 simulated runs"
        ),
        "{md}"
    );
    // The report still renders in full, and the page stands alone.
    let files = ratesim::report::plan::plan_files(&sc, &res).unwrap();
    let html = files.iter().find(|(n, _)| n == "report.html").unwrap();
    let html = String::from_utf8(html.1.clone()).unwrap();
    assert!(html.contains("out of reach") && html.matches("<svg").count() == 5);
    assert!(
        html.contains("<h1>Capacity plan: hopeless</h1>\n<p class=\"banner\" role=\"alert\">⚠ <strong>The objective already fails"),
        "{html}"
    );
    for banned in ["http://", "https://", "<script", "src="] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
}

#[test]
fn traces_are_time_compressed() {
    let sc = ratesim::scenario::load(&repo("scenarios/trace-replay.toml")).unwrap();
    let arrivals = |f| plan::simulate_at(&sc, f, 0, 1).unwrap().all.arrivals;
    let (half, one, double) = (arrivals(0.5), arrivals(1.0), arrivals(2.0));
    // The whole trace fits in the run at 1x and 2x; at 0.5x its second half
    // falls past the end.
    assert_eq!(one, double);
    assert!(
        (half as f64 - one as f64 / 2.0).abs() < one as f64 * 0.1,
        "{half} vs {one}"
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
fn malformed_objectives_exit_2_with_their_location() {
    let dir = TempDir::new("plan-err");
    let good = "name = \"bad\"\nduration = \"2m\"\n\n[[groups]]\nname = \"g\"\nmodel = \"llama-3.3-70b\"\narrival = { process = \"poisson\", rate = \"10/min\" }\ninput_tokens = 10\noutput_tokens = 10\n";
    let cases = [
        (
            "[plan]\nmax_share_429 = 5\n",
            "bad.toml:12:17",
            "plan.max_share_429",
        ),
        (
            "[plan]\nmax_p99 = \"60\"\n",
            "bad.toml:12:11",
            "plan.max_p99",
        ),
        (
            "[plan]\nfactors = [1.0, 0.5]\n",
            "bad.toml:12:",
            "plan.factors[1]",
        ),
        (
            "[plan]\nmax_gave_up = 0\ngrowht = 0.1\n",
            "bad.toml:13:1",
            "growht",
        ),
    ];
    for (table, at, field) in cases {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, format!("{good}\n{table}")).unwrap();
        let out_dir = dir.path().join("out");
        expect_exit_2(
            &[
                "plan",
                path.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ],
            &[at, field],
        );
        assert!(!out_dir.exists());
    }
    let path = dir.path().join("ok.toml");
    std::fs::write(&path, good).unwrap();
    for (flag, fragment) in [
        ("share_429<=150%", "not between 0% and 100%"),
        ("p99<=60", "p99"),
        ("latency<=5s", "unknown term"),
    ] {
        expect_exit_2(
            &["plan", path.to_str().unwrap(), "--objective", flag],
            &["--objective", fragment],
        );
    }
}

/// Regression: plan-quickstart's chat models break because the images
/// group's fast constant retries lock the shared key, long before their own
/// RPM/TPM; the plan used to blame their own limits.
#[test]
fn a_break_caused_by_another_groups_lockout_names_the_lockout_and_its_culprit() {
    let sc = ratesim::scenario::load(&repo("scenarios/plan-quickstart.toml")).unwrap();
    let s = Settings::from_scenario(&sc);
    let res = plan::run(&sc, &s, &|_| {}).unwrap();
    let chat = model(&sc, "qwen3-5-9b");
    match res.mechanism(&sc, Scope::Model(chat)) {
        Some(plan::Mechanism::Lockout { key, groups }) => {
            assert_eq!(key, "app");
            assert!(groups.contains(&"images".to_string()), "{groups:?}");
        }
        other => panic!("qwen3-5-9b should break by the lockout, got {other:?}"),
    }
    // Pacing the chat model cannot avoid a lockout others trip.
    let md = report_md(&sc, &res);
    assert!(md.contains("**Pacing cannot help** `qwen3-5-9b`"), "{md}");
    // The answer and the recommendations come first, with no banner: the
    // objective holds at today's load.
    assert!(res.meets_today() && !md.contains("already fails"), "{md}");
    let at = |h: &str| md.find(h).unwrap_or_else(|| panic!("no {h}"));
    assert!(md.starts_with("# Capacity plan: plan-quickstart\n\n## The answer\n"));
    assert!(at("## The answer") < at("## Recommendations"));
    assert!(at("## Recommendations") < at("## What was simulated"));
    assert!(at("## What was simulated") < at("## Per model"));
    // A break point and its interval are one token, in the table too.
    assert!(!md.contains("95% CI") && md.contains("×\u{a0}(95%\u{a0}CI\u{a0}"));
    assert!(
        md.contains("| 1.75×\u{a0}(95%\u{a0}CI\u{a0}1.60×\u{a0}to\u{a0}1.90×) |"),
        "{md}"
    );
    // On keys of their own the chat model holds to a clearly higher load.
    let own = res
        .own_keys_breakpoint(Scope::Model(chat))
        .expect("own-keys sweep ran");
    let shared = res.breakpoint(Scope::Model(chat));
    assert!(
        own.estimate.low() > shared.estimate.high(),
        "own keys {:?} vs shared {:?}",
        own.estimate,
        shared.estimate
    );
    // The images model's own RPM is what breaks it.
    let images = model(&sc, "z-image-turbo");
    assert_eq!(
        res.mechanism(&sc, Scope::Model(images)),
        Some(plan::Mechanism::Limit("RPM".into()))
    );
    let csv = String::from_utf8(breakpoints_csv(&sc, &res)).unwrap();
    assert!(csv.contains("abuse lockout of key app"), "{csv}");
}
