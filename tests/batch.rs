//! Batch clients: finite work, one request at a time per client, none before
//! its scheduled time, and the makespan the group reports.

use ratesim::experiment::{simulate, simulate_quiet, Variant};
use ratesim::outcome::{RequestRecord, RequestSink};
use ratesim::scenario::{parse, Scenario};
use ratesim::strategy::config;
use ratesim::time::Nanos;
use std::path::Path;

fn scenario(text: &str) -> Scenario {
    parse(text, Path::new("batch-test.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[derive(Default)]
struct Keep(Vec<RequestRecord>);

impl RequestSink for Keep {
    fn record(&mut self, r: &RequestRecord) {
        self.0.push(*r);
    }
}

/// An unlimited model answering in exactly 2 s (no spread, no decode).
const FIXED: &str = r#"
name = "b"
duration = "1h"
[[policy.models]]
id = "venice-uncensored-1-2"
unlimited = true
first_token = "2s"
tokens_per_sec = 1000
spread = 0
"#;

fn group(arrival: &str) -> String {
    format!(
        "{FIXED}\n[[groups]]\nname = \"g\"\nmodel = \"venice-uncensored-1-2\"\ninput_tokens = 10\noutput_tokens = 0\narrival = {arrival}\n"
    )
}

#[test]
fn one_client_works_through_its_list_back_to_back() {
    let sc = scenario(&group(
        r#"{ process = "batch", clients = 1, per_client = 10, start = "5s" }"#,
    ));
    let o = simulate_quiet(&sc, 1).unwrap();
    let b = o.groups[0]
        .batch
        .expect("a batch group reports its makespan");
    assert_eq!(o.groups[0].succeeded, 10);
    assert_eq!(
        b.makespan,
        Some(Nanos::from_secs(20)),
        "10 answers of 2 s each"
    );
    assert_eq!(b.client_makespan_max, Nanos::from_secs(20));
    assert_eq!(b.unsent, 0);
}

#[test]
fn no_request_is_sent_before_its_scheduled_time_and_clients_are_staggered() {
    // Each client's 5 requests are due every 3 s from its start (1 s apart):
    // answers take 2 s, so every request goes exactly at its scheduled time.
    let sc = scenario(&group(
        r#"{ process = "batch", clients = 3, per_client = 5, stagger = "1s", spacing = "3s" }"#,
    ));
    let mut keep = Keep::default();
    let o = simulate(&Variant::of(&sc), 1, &mut keep).unwrap();
    assert_eq!(keep.0.len(), 15);
    let mut due: Vec<u64> = (0..3)
        .flat_map(|c| (0..5).map(move |j| c * 1_000 + j * 3_000))
        .collect();
    due.sort_unstable();
    let mut sent: Vec<u64> = keep.0.iter().map(|r| r.arrival.0 / 1_000_000).collect();
    sent.sort_unstable();
    assert_eq!(sent, due);
    for r in &keep.0 {
        assert_eq!(r.end - r.arrival, Nanos::from_secs(2));
    }
    let b = o.groups[0].batch.unwrap();
    // The last client starts at 2 s; its last request is due at 14 s, done at 16 s.
    assert_eq!(b.makespan, Some(Nanos::from_secs(16)));
    assert_eq!(b.client_makespan_max, Nanos::from_secs(14));
}

#[test]
fn a_shared_batch_is_queued_at_once_and_response_times_count_from_the_queueing() {
    // 10 requests, 2 workers, 2 s each: done at 10 s; the last request
    // waited 8 s for a worker, so its response time is 10 s.
    let sc = scenario(&group(r#"{ process = "batch", clients = 2, total = 10 }"#));
    let o = simulate_quiet(&sc, 1).unwrap();
    let g = &o.groups[0];
    assert_eq!(g.batch.unwrap().makespan, Some(Nanos::from_secs(10)));
    assert!(
        (g.completion_max() - 10.0).abs() < 0.01,
        "{}",
        g.completion_max()
    );
    assert_eq!(g.succeeded, 10);
}

#[test]
fn a_batch_that_cannot_finish_in_the_run_says_so() {
    let text = group(r#"{ process = "batch", clients = 1, per_client = 5000 }"#);
    let sc = scenario(&text);
    let o = simulate_quiet(&sc, 1).unwrap();
    let b = o.groups[0].batch.unwrap();
    assert_eq!(b.makespan, None);
    assert_eq!(b.finished_clients, 0);
    // An hour of 2 s answers sends 1,800 requests; the rest were never sent.
    assert_eq!(b.unsent, 5000 - 1800);
    let csv = String::from_utf8(ratesim::report::summary::summary_csv(&sc, &o)).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("makespan_s"), "inf");
    assert_eq!(col("batch_unsent"), "3200");
}

/// The claim of scenarios/batch-clients.toml: openai-python's quick retries
/// trip the lockout and the batch ends within minutes with 150 prompts
/// answered; venice-py answers every prompt in just under 20 minutes.
#[test]
fn batch_clients_makespan_venice_py_finishes_everything_openai_python_gives_up() {
    let sc = ratesim::scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/batch-clients.toml"
    )))
    .unwrap();
    let openai = simulate_quiet(&sc, sc.seed).unwrap();
    let venice_spec = config::parse(&toml::Value::String("venice-py".into())).unwrap();
    let venice = simulate(
        &Variant::of(&sc).with_strategy(&venice_spec, &[0]),
        sc.seed,
        &mut ratesim::outcome::NoSink,
    )
    .unwrap();
    let (o, v) = (&openai.groups[0], &venice.groups[0]);
    let (om, vm) = (
        o.batch.unwrap().makespan.unwrap(),
        v.batch.unwrap().makespan.unwrap(),
    );
    assert_eq!(v.succeeded, 3000, "venice-py answers every prompt");
    assert!(
        vm > Nanos::from_secs(1080) && vm < Nanos::from_secs(1200),
        "venice-py {vm}"
    );
    assert!(o.succeeded <= 300, "openai-python answers {}", o.succeeded);
    assert!(om < Nanos::from_secs(600), "openai-python ends in {om}");
    assert!(o.rejected_by(ratesim::response::Cause::Lockout) > 1000);
}

#[test]
fn batch_fields_are_checked_with_their_location() {
    for (arrival, fragment) in [
        (r#"{ process = "batch", clients = 2 }"#, "per_client"),
        (
            r#"{ process = "batch", clients = 2, total = 4, per_client = 2 }"#,
            "not both",
        ),
        (
            r#"{ process = "batch", clients = 0, total = 4 }"#,
            "clients",
        ),
        (
            r#"{ process = "batch", clients = 2, total = 4, spacing = "1s" }"#,
            "spacing",
        ),
    ] {
        let err = parse(&group(arrival), Path::new("b.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("groups[0].arrival"), "{err}");
        assert!(err.contains(fragment), "{arrival}: {err}");
    }
}
