//! Invariants over randomly generated scenarios: a run never panics,
//! conservation holds (the engine asserts it at the end of every run), the
//! same seed gives the same outcome, and the counters agree with each other.

use proptest::prelude::*;
use ratesim::experiment::simulate_quiet;
use ratesim::report::summary::summary_csv;
use ratesim::report::timeseries::timeseries_csv;
use std::path::Path;

const MODELS: &[&str] = &[
    "llama-3.2-3b",
    "qwen3-5-9b",
    "llama-3.3-70b",
    "z-image-turbo",
    "tts-kokoro",
    "kling-v3-pro-text-to-video",
];
const STRATEGIES: &[&str] = &[
    r#"{ kind = "none" }"#,
    r#"{ kind = "constant", delay = "300ms", max_attempts = 6 }"#,
    r#"{ kind = "exponential", base = "500ms", cap = "20s", max_attempts = 5 }"#,
    r#"{ kind = "full-jitter", base = "1s", cap = "30s", max_attempts = 8, deadline = "2m" }"#,
    r#"{ kind = "equal-jitter", base = "1s", cap = "30s" }"#,
    r#"{ kind = "decorrelated", base = "200ms", cap = "10s", max_attempts = 10 }"#,
    r#"{ kind = "header-aware", cap = "60s", max_attempts = 4, retry_on = [429] }"#,
];
const ARRIVALS: &[&str] = &[
    r#"{ process = "poisson", rate = "RATE/min" }"#,
    r#"{ process = "constant", rate = "RATE/min" }"#,
    r#"{ process = "gamma", rate = "RATE/min", burstiness = 0.3 }"#,
    r#"{ process = "on-off", rate = "RATE/min", on = "1m", off = "2m" }"#,
    r#"{ process = "profile", points = [{ at = "0m", rate = "1/min" }, { at = "4m", rate = "RATE/min" }] }"#,
    r#"{ process = "closed", workers = 4, think = "2s", think_dist = "exponential" }"#,
];

#[derive(Debug, Clone)]
struct GroupGen {
    model: usize,
    strategy: usize,
    arrival: usize,
    rate: u32,
    key: u8,
}

fn scenario_text(
    groups: &[GroupGen],
    window: usize,
    lockout: bool,
    fault: f64,
    outage: bool,
    tpm: usize,
) -> String {
    let mut s = format!(
        "name = \"prop\"\nduration = \"6m\"\ndrain = \"1m\"\ninterval = \"15s\"\n[policy]\nwindow = \"{}\"\ntpm_accounting = \"{}\"\n[policy.lockout]\nenabled = {lockout}\n[service]\nerror_500 = {fault}\noverload = {fault}\n",
        ["fixed", "sliding-log", "token-bucket"][window],
        ["input+max_tokens", "input+actual", "input-then-output"][tpm],
    );
    if outage {
        s += "outages = [{ start = \"2m\", end = \"3m\", status = 503 }]\n";
    }
    for (i, g) in groups.iter().enumerate() {
        s += &format!(
            "[[groups]]\nname = \"g{i}\"\nkey = \"k{}\"\nmodel = \"{}\"\narrival = {}\ninput_tokens = {{ dist = \"lognormal\", median = 2000, p95 = 50000 }}\noutput_tokens = {{ dist = \"uniform\", min = 10, max = 900 }}\nmax_tokens = 800\nstrategy = {}\n",
            g.key,
            MODELS[g.model],
            ARRIVALS[g.arrival].replace("RATE", &g.rate.to_string()),
            STRATEGIES[g.strategy]
        );
    }
    s
}

fn group() -> impl Strategy<Value = GroupGen> {
    (
        0..MODELS.len(),
        0..STRATEGIES.len(),
        0..ARRIVALS.len(),
        1u32..400,
        0u8..3,
    )
        .prop_map(|(model, strategy, arrival, rate, key)| GroupGen {
            model,
            strategy,
            arrival,
            rate,
            key,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn runs_are_conserved_deterministic_and_consistent(
        groups in proptest::collection::vec(group(), 1..4),
        window in 0usize..3,
        lockout in any::<bool>(),
        fault in prop_oneof![Just(0.0), Just(0.05)],
        outage in any::<bool>(),
        tpm in 0usize..3,
        seed in 0u64..1_000,
    ) {
        let text = scenario_text(&groups, window, lockout, fault, outage, tpm);
        let sc = ratesim::scenario::parse(&text, Path::new("prop.toml")).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let a = simulate_quiet(&sc, seed).unwrap();
        let b = simulate_quiet(&sc, seed).unwrap();
        prop_assert_eq!(summary_csv(&sc, &a), summary_csv(&sc, &b));
        prop_assert_eq!(timeseries_csv(&sc, &a), timeseries_csv(&sc, &b));
        // Independent groups run on separate engines give the same outcome,
        // to the last counter, whatever the number of engines.
        for threads in [2, 3] {
            let split = ratesim::experiment::simulate_split(&sc, 1.0, seed, threads).unwrap();
            prop_assert_eq!(format!("{split:?}"), format!("{a:?}"));
        }
        // Keeping every request's record sends each success through the
        // queue as an answer event; keeping none lets the engine count an
        // open-loop success when the server decides it. Both are one run.
        let mut records: Vec<ratesim::outcome::RequestRecord> = Vec::new();
        let kept = ratesim::experiment::simulate(&ratesim::experiment::Variant::of(&sc), seed, &mut records).unwrap();
        prop_assert_eq!(format!("{kept:?}"), format!("{a:?}"));
        prop_assert_eq!(records.len() as u64, a.total.arrivals);
        for s in a.groups.iter().chain([&a.total]) {
            prop_assert_eq!(s.arrivals, s.succeeded + s.gave_up_total() + s.refused_total() + s.unservable + s.in_flight);
            prop_assert!(s.attempts >= s.succeeded + s.gave_up_total());
            // Every attempt was answered (success, 429 or 5xx) or is one of the
            // at most one pending attempt of a request still in flight.
            let answered = s.succeeded + s.rejected_total() + s.errors_5xx;
            prop_assert!(s.attempts >= answered && s.attempts - answered <= s.in_flight);
            prop_assert!(s.share_429() <= 1.0);
        }
        // The time series adds up to the totals.
        let tot = a.series.total();
        prop_assert_eq!(tot.iter().map(|i| u64::from(i.offered)).sum::<u64>(), a.total.arrivals);
        prop_assert_eq!(tot.iter().map(|i| u64::from(i.attempts)).sum::<u64>(), a.total.attempts);
        // The cost estimate that guards against absurd runs is an upper bound.
        let cost = ratesim::experiment::cost::of_run(&sc, 1.0);
        prop_assert!(cost.events >= a.events as f64, "estimate {} < {} events", cost.events, a.events);
        prop_assert!(cost.arrivals >= a.total.arrivals as f64);
        prop_assert_eq!(tot.iter().map(|i| u64::from(i.successes)).sum::<u64>(), a.total.succeeded);
        // Unlimited models never see a limit 429.
        for (g, s) in groups.iter().zip(&a.groups) {
            if MODELS[g.model].starts_with("kling") {
                prop_assert_eq!(s.rejected[0] + s.rejected[1], 0);
            }
        }
    }
}
