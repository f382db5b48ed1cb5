//! Client strategies end to end, one family at a time, through the library:
//! each test states the behaviour a user of that family expects and checks
//! it against a contrast run without the part (same workload, same seed).

use ratesim::outcome::GroupStats;
use ratesim::outcome::Outcome;
use ratesim::response::Cause;
use ratesim::strategy::Refusal;
use std::path::Path;

fn run(toml: &str) -> Outcome {
    let scenario = ratesim::scenario::parse(toml, Path::new("x.toml"))
        .unwrap_or_else(|e| panic!("scenario does not parse: {e}\n{toml}"));
    ratesim::experiment::simulate_quiet(&scenario, scenario.seed).expect("the run completes")
}

/// A one-group scenario on `model` with `arrival` and `strategy`, plus `extra` top-level tables.
fn scenario(minutes: u64, extra: &str, model: &str, arrival: &str, strategy: &str) -> String {
    format!(
        r#"
name = "t"
seed = 5
duration = "{minutes}m"
drain = "2m"
interval = "1m"
{extra}

[[groups]]
name = "g"
model = "{model}"
arrival = {arrival}
input_tokens = 500
output_tokens = 100
max_tokens = 200
strategy = {strategy}
"#
    )
}

/// Sum of `f` over the minutes [from, to) of group 0's time series.
fn minutes(
    o: &Outcome,
    from: usize,
    to: usize,
    f: impl Fn(&ratesim::outcome::IntervalStats) -> u64,
) -> u64 {
    o.series.rows[0][from..to].iter().map(f).sum()
}

fn g(o: &Outcome) -> &GroupStats {
    &o.groups[0]
}

#[test]
fn token_bucket_pacer_at_90_percent_headroom_gets_no_rpm_429s_above_the_limit() {
    // 150 requests a minute against llama-3.3-70b (Medium: 100 RPM).
    let arrival = r#"{ process = "poisson", rate = "150/min" }"#;
    let paced = run(&scenario(
        15,
        "",
        "llama-3.3-70b",
        arrival,
        r#"{ kind = "full-jitter", max_attempts = 5, pacer = { kind = "token-bucket", rpm = 100, tpm = 2000000, headroom = 0.9 } }"#,
    ));
    let bare = run(&scenario(
        15,
        "",
        "llama-3.3-70b",
        arrival,
        r#"{ kind = "full-jitter", max_attempts = 5 }"#,
    ));
    let (p, b) = (g(&paced), g(&bare));
    eprintln!(
        "paced: {} arrivals, {} attempts, {} RPM 429s, {} succeeded, mean client wait {:.1} s; bare: {} attempts, {} RPM 429s, {} succeeded",
        p.arrivals, p.attempts, p.rejected_by(Cause::Requests), p.succeeded, p.mean_client_wait(),
        b.attempts, b.rejected_by(Cause::Requests), b.succeeded
    );
    assert_eq!(p.rejected_total(), 0, "the pacer never crosses the limit");
    // Without it the same load gets RPM 429s, whose retries trip the abuse lockout.
    assert!(b.rejected_by(Cause::Requests) > 0 && b.rejected_total() > 1000);
    // It sends 90 a minute: every full minute after the first is at 90 +- 1.
    for (i, iv) in paced.series.rows[0][1..15].iter().enumerate() {
        assert!(
            (89..=91).contains(&iv.attempts),
            "minute {}: {} attempts",
            i + 1,
            iv.attempts
        );
    }
    assert!(p.client_wait.0 > 0, "first attempts wait in the client");
    assert_eq!(p.backoff_wait.0, 0, "and never back off");
}

#[test]
fn ratio_budget_caps_retries_near_20_percent_of_requests_during_an_outage() {
    // 6000 requests a minute on a model whose limits never bind; 503s from
    // minute 2 to minute 8; no abuse lockout.
    let extra = r#"
[service]
outages = [{ start = "2m", end = "8m", status = 503 }]

[policy.lockout]
enabled = false

[[policy.models]]
id = "llama-3.2-3b"
rpm = 1000000
tpm = 1000000000
"#;
    let arrival = r#"{ process = "poisson", rate = "6000/min" }"#;
    let budget = r#"{ kind = "full-jitter", base = "1s", cap = "60s", max_attempts = 5, budget = { kind = "ratio", ratio = 0.2, min_per_sec = 1, ttl = "10s" } }"#;
    let capped = run(&scenario(10, extra, "llama-3.2-3b", arrival, budget));
    let bare = run(&scenario(
        10,
        extra,
        "llama-3.2-3b",
        arrival,
        r#"{ kind = "full-jitter", base = "1s", cap = "60s", max_attempts = 5 }"#,
    ));
    // Retries sent during the outage: attempts beyond each arrival's first.
    let share = |o: &Outcome| {
        let attempts = minutes(o, 2, 8, |iv| u64::from(iv.attempts));
        let offered = minutes(o, 2, 8, |iv| u64::from(iv.offered));
        (attempts - offered) as f64 / offered as f64
    };
    let (with, without) = (share(&capped), share(&bare));
    eprintln!(
        "retries per request during the outage: {with:.3} with the budget ({} refused), {without:.3} without",
        g(&capped).refused_by(Refusal::Budget)
    );
    // 20% of requests plus the 1-per-second reserve (1% of 100/s).
    // The budget also starts the outage with 10 s of savings (about 200 retries).
    assert!((0.17..=0.225).contains(&with), "{with}");
    assert!(
        without > 3.0,
        "without a budget each failing request retries to its cap: {without}"
    );
    assert!(g(&capped).refused_by(Refusal::Budget) > 20_000);
    // Before the outage nothing fails, so nothing is retried.
    assert_eq!(
        minutes(&capped, 0, 2, |iv| u64::from(iv.attempts)),
        minutes(&capped, 0, 2, |iv| u64::from(iv.offered))
    );
}

#[test]
fn breaker_stops_traffic_during_an_outage_and_recovers_after_it() {
    let extra = r#"
[service]
outages = [{ start = "2m", end = "5m", status = 503 }]

[policy.lockout]
enabled = false
"#;
    let arrival = r#"{ process = "poisson", rate = "120/min" }"#;
    let strategy = r#"{ kind = "full-jitter", base = "1s", cap = "30s", max_attempts = 4, breaker = { failures = 5, cooldown = "30s" } }"#;
    let o = run(&scenario(10, extra, "qwen3-5-9b", arrival, strategy));
    let bare = run(&scenario(
        10,
        extra,
        "qwen3-5-9b",
        arrival,
        r#"{ kind = "full-jitter", base = "1s", cap = "30s", max_attempts = 4 }"#,
    ));
    let sent = |o: &Outcome, m: usize| o.series.rows[0][m].attempts;
    eprintln!(
        "attempts per minute with the breaker: {:?}; without: {:?}; refused by the breaker: {}",
        (0..10).map(|m| sent(&o, m)).collect::<Vec<_>>(),
        (0..10).map(|m| sent(&bare, m)).collect::<Vec<_>>(),
        g(&o).refused_by(Refusal::Breaker)
    );
    // Minutes 3 and 4 are deep in the outage: only a probe every 30 s goes out.
    for m in [3, 4] {
        assert!(sent(&o, m) <= 4, "minute {m}: {} attempts", sent(&o, m));
        assert!(
            sent(&bare, m) > 200,
            "without a breaker minute {m} keeps sending"
        );
    }
    assert!(g(&o).refused_by(Refusal::Breaker) > 300);
    // Within 30 s of the end a probe succeeds and traffic resumes: from
    // minute 6 on, everything offered succeeds, as in the run without a breaker.
    let ok = |o: &Outcome| minutes(o, 6, 10, |iv| u64::from(iv.successes));
    assert_eq!(ok(&o), ok(&bare));
    assert!(ok(&o) + 5 >= minutes(&o, 6, 10, |iv| u64::from(iv.offered)));
}

#[test]
fn aws_adaptive_throttles_itself_and_gets_fewer_429s_than_standard_mode() {
    let arrival = r#"{ process = "closed", workers = 8, think = "1s" }"#;
    let adaptive = run(&scenario(
        20,
        "",
        "llama-3.3-70b",
        arrival,
        r#""aws-adaptive""#,
    ));
    let standard = run(&scenario(
        20,
        "",
        "llama-3.3-70b",
        arrival,
        r#""aws-standard""#,
    ));
    let (a, s) = (g(&adaptive), g(&standard));
    eprintln!(
        "aws-adaptive: {} attempts, {} 429s, {} succeeded, client wait {:.1} s/request; aws-standard: {} attempts, {} 429s, {} succeeded",
        a.attempts, a.rejected_total(), a.succeeded, a.mean_client_wait(),
        s.attempts, s.rejected_total(), s.succeeded
    );
    assert!(a.client_wait.0 > 0, "the CUBIC bucket holds sends back");
    assert!(
        a.rejected_total() * 2 < s.rejected_total(),
        "{} vs {}",
        a.rejected_total(),
        s.rejected_total()
    );
    // Succeeding about as much: the limit, not the strategy, bounds goodput.
    assert!(a.succeeded as f64 > 0.9 * s.succeeded as f64);
}

#[test]
fn sre_throttling_rejects_locally_during_an_outage_and_never_without_failures() {
    let outage = r#"
[service]
outages = [{ start = "2m", end = "6m", status = 503 }]

[policy.lockout]
enabled = false
"#;
    let arrival = r#"{ process = "poisson", rate = "120/min" }"#;
    let o = run(&scenario(
        8,
        outage,
        "qwen3-5-9b",
        arrival,
        r#""sre-throttling""#,
    ));
    let calm = run(&scenario(
        8,
        "",
        "qwen3-5-9b",
        arrival,
        r#""sre-throttling""#,
    ));
    let s = g(&o);
    eprintln!(
        "sre-throttling: {} arrivals, {} attempts, {} refused locally",
        s.arrivals,
        s.attempts,
        s.refused_by(Refusal::Throttle)
    );
    // Without failures it refuses next to nothing: only at its cold start,
    // when the first requests are out and not yet accepted (requests > 2 x accepts).
    assert!(
        g(&calm).refused_total() * 100 <= g(&calm).arrivals,
        "{}",
        g(&calm).refused_total()
    );
    // During the outage K = 2 lets about half of what is asked through... and
    // then less, as accepts are zero: most sends are refused locally.
    let sent = minutes(&o, 3, 6, |iv| u64::from(iv.attempts));
    let offered = minutes(&o, 3, 6, |iv| u64::from(iv.offered));
    assert!(sent * 4 < offered, "{sent} sent of {offered} offered");
    assert!(s.refused_by(Refusal::Throttle) > 200);
}

#[test]
fn per_worker_scope_gives_each_worker_its_own_pacer() {
    // 4 workers, a pacer of 30 RPM: shared, the group sends 30 a minute; per
    // worker, each sends up to 30 a minute.
    let arrival = r#"{ process = "closed", workers = 4, think = "0s" }"#;
    let pacer = |scope: &str| {
        format!(
            r#"{{ kind = "full-jitter", scope = "{scope}", pacer = {{ kind = "token-bucket", rpm = 30 }} }}"#
        )
    };
    let shared = run(&scenario(5, "", "qwen3-5-9b", arrival, &pacer("shared")));
    let own = run(&scenario(
        5,
        "",
        "qwen3-5-9b",
        arrival,
        &pacer("per-worker"),
    ));
    let per_min = |o: &Outcome| minutes(o, 1, 5, |iv| u64::from(iv.attempts)) / 4;
    assert!(
        (29..=31).contains(&per_min(&shared)),
        "{}",
        per_min(&shared)
    );
    assert!((110..=121).contains(&per_min(&own)), "{}", per_min(&own));
}

#[test]
fn every_preset_runs_by_name() {
    let arrival = r#"{ process = "poisson", rate = "150/min" }"#;
    for p in ratesim::strategy::presets::PRESETS {
        let o = run(&scenario(
            3,
            "",
            "llama-3.3-70b",
            arrival,
            &format!("\"{}\"", p.name),
        ));
        assert!(g(&o).succeeded > 0, "{}", p.name);
    }
}

#[test]
fn cookbook_at_75_percent_bursts_in_its_first_minute_and_trips_the_lockout() {
    // The processor's buckets hold a full minute and start full, so a fresh
    // run sends 75 + 75 = 150 in its first minute against 100 RPM.
    let strategy = r#"{ preset = "openai-cookbook-parallel-processor", pacer = { rpm = 100, tpm = 2000000, headroom = 0.75 } }"#;
    let arrival = r#"{ process = "poisson", rate = "150/min" }"#;
    let rpm_429 = |o: &Outcome, m: usize| o.series.rows[0][m].rejected[0];
    let free = run(&scenario(
        6,
        "[policy.lockout]\nenabled = false",
        "llama-3.3-70b",
        arrival,
        strategy,
    ));
    assert!(rpm_429(&free, 0) > 20, "{}", rpm_429(&free, 0));
    assert!(
        (1..6).all(|m| rpm_429(&free, m) == 0),
        "then it paces at 75/min"
    );
    // On Venice those 429s exceed the abuse threshold (20 in 30 s); the 15 s
    // pause is shorter than the 30 s block, and blocked attempts extend it.
    let locked = run(&scenario(6, "", "llama-3.3-70b", arrival, strategy));
    eprintln!(
        "cookbook at 75%: {} succeeded without the lockout, {} with it ({} s locked out)",
        g(&free).succeeded,
        g(&locked).succeeded,
        g(&locked).locked_out.as_secs_f64()
    );
    assert!(
        g(&locked).succeeded < 150 && g(&locked).locked_out > ratesim::time::Nanos::from_secs(240)
    );
}

#[test]
fn bad_strategies_are_located_scenario_errors() {
    for (strategy, fragments) in [
        (
            r#""openai-pyhton""#,
            &["x.toml:16:", "groups[0].strategy", "openai-python"][..],
        ),
        (
            r#"{ preset = "aws-standard", budget = { ratio = 2 } }"#,
            &["x.toml:16:", "groups[0].strategy.budget"][..],
        ),
        (
            r#"{ kind = "full-jitter", pacer = { kind = "token-bucket", rpm = 100, headroom = 0 } }"#,
            &["x.toml:16:", "groups[0].strategy.pacer.headroom", "(0, 1]"][..],
        ),
        (
            r#"{ kind = "full-jitter", budget = { kind = "grpc", max_tokens = 5000 } }"#,
            &["groups[0].strategy.budget.max_tokens", "1000"][..],
        ),
        (
            r#"{ kind = "full-jitter", budget = { kind = "ratio", ratio = 1.5 } }"#,
            &["groups[0].strategy.budget.ratio", "(0, 1]"][..],
        ),
        (
            r#"{ kind = "full-jitter", pacer = { kind = "aimd", initial = "-5/min" } }"#,
            &["groups[0].strategy.pacer.initial", "positive"][..],
        ),
        (
            r#"{ preset = "unlimited-backoff", cap = { uniform = ["30s", "34s"] } }"#,
            &[
                "x.toml:16:",
                "groups[0].strategy.cap",
                "per client",
                "clients",
            ][..],
        ),
        (
            r#"{ kind = "full-jitter", cap = { uniform = ["34s", "30s"] } }"#,
            &["x.toml:16:", "groups[0].strategy.cap.uniform", "above high"][..],
        ),
        (
            r#"{ kind = "full-jitter", base = { uniform = ["1s", "90s"] } }"#,
            &[
                "groups[0].strategy.cap",
                "below the base",
                "with base = \"90s\"",
            ][..],
        ),
        (
            r#"{ kind = "immediate", pacer = { kind = "adaptive-bucket", initial = { lognormal = ["1/s", "2/s"] } } }"#,
            &[
                "groups[0].strategy.pacer.initial",
                "{ uniform = [low, high] }",
            ][..],
        ),
    ] {
        let text = scenario(
            3,
            "",
            "llama-3.3-70b",
            r#"{ process = "poisson", rate = "60/min" }"#,
            strategy,
        );
        let e = ratesim::scenario::parse(&text, Path::new("x.toml"))
            .expect_err(strategy)
            .to_string();
        for f in fragments {
            assert!(e.contains(f), "expected {f:?} in: {e}");
        }
    }
}
