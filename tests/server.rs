//! What the server and the client's transport do around the limits: answer
//! times of every kind, network legs, client timeouts, the concurrency limit,
//! servers that slow down under load, and the recovery (or not) after a load
//! spike.

use ratesim::experiment::{simulate, simulate_quiet, Variant};
use ratesim::outcome::recovery::Mechanism;
use ratesim::outcome::{RequestRecord, RequestSink};
use ratesim::response::{Cause, Status};
use ratesim::scenario::{load, parse, Scenario};
use ratesim::strategy::config;
use ratesim::time::Nanos;
use std::path::Path;

fn scenario(text: &str) -> Scenario {
    parse(text, Path::new("server-test.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn bundled(name: &str) -> Scenario {
    load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name),
    )
    .unwrap()
}

#[derive(Default)]
struct Keep(Vec<RequestRecord>);

impl RequestSink for Keep {
    fn record(&mut self, r: &RequestRecord) {
        self.0.push(*r);
    }
}

/// An unlimited model answering in exactly `answer`, one request a minute.
fn fixed(answer: &str, extra: &str, group: &str) -> String {
    format!(
        r#"
name = "s"
duration = "10m"
drain = "10m"
{extra}
[[policy.models]]
id = "venice-uncensored-1-2"
unlimited = true
first_token = "{answer}"
tokens_per_sec = 1000
spread = 0

[[groups]]
name = "g"
model = "venice-uncensored-1-2"
input_tokens = 10
output_tokens = 0
arrival = {{ process = "constant", rate = "1/min" }}
{group}
"#
    )
}

#[test]
fn network_legs_add_to_every_answer() {
    let sc = scenario(&fixed(
        "2s",
        "[service.network]\nto_server = \"300ms\"\nto_client = \"200ms\"",
        "",
    ));
    let mut keep = Keep::default();
    simulate(&Variant::of(&sc), 1, &mut keep).unwrap();
    assert_eq!(keep.0.len(), 9, "one a minute from the first minute on");
    for r in &keep.0 {
        assert_eq!(r.end - r.arrival, Nanos::from_millis(2_500));
    }
}

#[test]
fn a_timeout_abandons_the_attempt_at_exactly_the_timeout_and_retries() {
    // Answers take 5 s, the client waits 2 s, retries after 1 s, 3 attempts.
    let sc = scenario(&fixed(
        "5s",
        "",
        "timeout = \"2s\"\nstrategy = { kind = \"constant\", delay = \"1s\", max_attempts = 3 }",
    ));
    let mut keep = Keep::default();
    let o = simulate(&Variant::of(&sc), 1, &mut keep).unwrap();
    let g = &o.groups[0];
    assert_eq!(g.succeeded, 0);
    assert_eq!(g.arrivals, 9);
    assert_eq!(g.timeouts, 27, "every attempt of the 9 requests timed out");
    assert_eq!(g.attempts, 27);
    for r in &keep.0 {
        // 2 s + 1 s + 2 s + 1 s + 2 s.
        assert_eq!(r.end - r.arrival, Nanos::from_secs(8));
        assert_eq!(r.last.unwrap().status, Status::Timeout);
    }
    // An answer inside the timeout is read as usual.
    let sc = scenario(&fixed("5s", "", "timeout = \"6s\""));
    let o = simulate_quiet(&sc, 1).unwrap();
    assert_eq!((o.groups[0].succeeded, o.groups[0].timeouts), (9, 0));
}

#[test]
fn answer_time_distributions_apply_to_429s_and_5xx() {
    // Every attempt meets a 500, answered after exactly 1.5 s; no retries.
    let sc = scenario(&fixed(
        "1s",
        "[service]\nerror_500 = 1.0\nlatency_5xx = { dist = \"uniform\", min = \"1500ms\", max = \"1500ms\" }",
        "strategy = { kind = \"constant\", delay = \"1s\", max_attempts = 1 }",
    ));
    let mut keep = Keep::default();
    simulate(&Variant::of(&sc), 1, &mut keep).unwrap();
    for r in &keep.0 {
        assert_eq!(r.end - r.arrival, Nanos::from_millis(1_500));
    }
    // A lognormal answer time for 429s: medians near what was asked.
    let text = r#"
name = "l"
duration = "10m"
[service]
latency_429 = { dist = "lognormal", median = "200ms", p95 = "1s" }
[[groups]]
name = "g"
model = "z-image-turbo"
arrival = { process = "constant", rate = "2/s" }
strategy = { kind = "constant", delay = "1s", max_attempts = 1 }
[policy.lockout]
enabled = false
"#;
    let mut keep = Keep::default();
    simulate(&Variant::of(&scenario(text)), 1, &mut keep).unwrap();
    let mut times: Vec<f64> = keep
        .0
        .iter()
        .filter(|r| r.last.unwrap().status == Status::TooMany)
        .map(|r| (r.end - r.arrival).as_secs_f64())
        .collect();
    times.sort_by(f64::total_cmp);
    assert!(times.len() > 900, "{}", times.len());
    let median = times[times.len() / 2];
    assert!((0.17..0.23).contains(&median), "median {median}");
}

#[test]
fn the_concurrency_limit_refuses_only_beyond_its_limit() {
    let closed = |workers: u32| {
        scenario(
            &fixed(
                "10s",
                "[service.concurrency]\nlimit = 4",
                "strategy = { kind = \"constant\", delay = \"1s\", max_attempts = 3 }",
            )
            .replace(
                "arrival = { process = \"constant\", rate = \"1/min\" }",
                &format!("arrival = {{ process = \"closed\", workers = {workers} }}"),
            ),
        )
    };
    let at_limit = simulate_quiet(&closed(4), 1).unwrap();
    assert!(at_limit.groups[0].succeeded > 200);
    assert_eq!(at_limit.groups[0].rejected_by(Cause::Concurrency), 0);
    let over = simulate_quiet(&closed(6), 1).unwrap();
    assert!(over.groups[0].rejected_by(Cause::Concurrency) > 0);
    // Four slots of 10 s answers: never more than 4 successes per 10 s.
    for w in over.series.rows[0].windows(1) {
        assert!(w[0].successes <= 4, "{:?}", w[0]);
    }
}

/// The claim of scenarios/concurrency-limit.toml: 429s by concurrency, none
/// by RPM or TPM.
#[test]
fn concurrency_limit_scenario_refuses_by_concurrency_not_by_rpm() {
    let sc = bundled("concurrency-limit.toml");
    let o = simulate_quiet(&sc, sc.seed).unwrap();
    let g = &o.groups[0];
    assert!(
        g.rejected_by(Cause::Concurrency) > 100,
        "{}",
        g.rejected_by(Cause::Concurrency)
    );
    assert_eq!(
        g.rejected_by(Cause::Requests) + g.rejected_by(Cause::Tokens),
        0
    );
    assert!(g.success_share() > 0.8);
}

#[test]
fn a_loaded_server_queues_in_order_of_admission() {
    // Two slots, answers of 10 s, four requests at once: two wait 10 s.
    let text = fixed(
        "10s",
        "[[service.load]]\nmodel = \"venice-uncensored-1-2\"\nslots = 2",
        "",
    )
    .replace(
        "arrival = { process = \"constant\", rate = \"1/min\" }",
        "arrival = { process = \"batch\", clients = 4, per_client = 1 }",
    );
    let mut keep = Keep::default();
    simulate(&Variant::of(&scenario(&text)), 1, &mut keep).unwrap();
    let mut took: Vec<u64> = keep
        .0
        .iter()
        .map(|r| (r.end - r.arrival).0 / 1_000_000_000)
        .collect();
    took.sort_unstable();
    assert_eq!(took, [10, 10, 20, 20]);
}

/// The claims of scenarios/retry-collapse.toml: without a budget, goodput
/// never comes back after the spike (a timeout storm); with a retry budget it
/// does, within minutes.
#[test]
fn retry_collapse_does_not_recover_without_a_budget_and_does_with_one() {
    let sc = bundled("retry-collapse.toml");
    let o = simulate_quiet(&sc, sc.seed).unwrap();
    let r = o.recovery(None).expect("the spike is a trigger");
    assert_eq!(r.trigger_start, Nanos::from_secs(600));
    assert_eq!(
        r.trigger_end,
        Nanos::from_secs(720),
        "the spike's last busy interval"
    );
    assert_eq!(r.recovered_at, None);
    assert_eq!(r.mechanism, Some(Mechanism::TimeoutStorm));
    assert!(r.attempts_per_offered > 5.0);

    let budget = config::parse(
        &toml::from_str::<toml::Value>(
            r#"s = { kind = "constant", delay = "1s", max_attempts = 10, budget = { kind = "ratio", ratio = 0.1, min_per_sec = 0, ttl = "10s" } }"#,
        )
        .unwrap()["s"],
    )
    .unwrap();
    let o = simulate(
        &Variant::of(&sc).with_strategy(&budget, &[0]),
        sc.seed,
        &mut ratesim::outcome::NoSink,
    )
    .unwrap();
    let r = o.recovery(None).unwrap();
    let s = r.recovery_s();
    assert!(s > 0.0 && s < 900.0, "recovered after {s} s");
}

#[test]
fn service_fields_are_checked_with_their_location() {
    for (extra, field, fragment) in [
        (
            "[service]\nlatency_429 = { dist = \"uniform\", min = \"2s\", max = \"1s\" }",
            "service.latency_429.max",
            "below min",
        ),
        (
            "[service.network]\nto_server = \"2d\"",
            "service.network.to_server",
            "longer than a day",
        ),
        (
            "[[service.load]]\nmodel = \"nope\"\nslots = 2",
            "service.load[0].model",
            "nope",
        ),
        (
            "[[service.load]]\nmodel = \"venice-uncensored-1-2\"",
            "service.load[0].model",
            "slots",
        ),
        (
            "[service.concurrency]\nlimit = 0",
            "service.concurrency.limit",
            "limit",
        ),
        (
            "[service.concurrency]\nlimit = 2\nper = \"model\"",
            "service.concurrency.per",
            "key-model",
        ),
    ] {
        let err = parse(&fixed("1s", extra, ""), Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{extra}: {err}");
        assert!(err.contains(fragment), "{extra}: {err}");
    }
    let err = parse(&fixed("1s", "", "timeout = \"0s\""), Path::new("s.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("groups[0].timeout"), "{err}");
}
