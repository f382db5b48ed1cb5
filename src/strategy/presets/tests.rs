//! Each preset's decisions, pinned on scripted answers.

use super::*;
use crate::policy::HeaderUnits;
use crate::response::{Headers, Response, Status};
use crate::rng::{stream, Purpose, Rng};
use crate::strategy::{Attempts, Client, Gate, Next, SendInfo};
use crate::time::{Clock, Nanos};

/// 2026-04-20T12:00:00Z, on a minute boundary.
const CLOCK: Clock = Clock {
    start_unix_ms: 1_776_686_400_000,
};
const START_S: u64 = 1_776_686_400;

/// Drives one preset's client through scripted answers and writes down
/// every decision: `send@t`, `wait->t`, `retry+d`, `give-up`, `refuse`.
struct Script {
    client: Client,
    rng: Rng,
    now: Nanos,
    log: Vec<String>,
}

fn ms(d: Nanos) -> String {
    format!("{}ms", d.0 / 1_000_000)
}

impl Script {
    fn new(name: &str) -> Script {
        Script {
            client: find(name)
                .unwrap()
                .spec()
                .build(CLOCK, HeaderUnits::Seconds),
            rng: stream(7, name, Purpose::Strategy),
            now: Nanos::ZERO,
            log: Vec::new(),
        }
    }

    /// Asks the gate until it sends or refuses; true if sent.
    fn send(&mut self, att: &Attempts) -> bool {
        let info = SendInfo {
            worker: None,
            tokens: 1000,
            sent: att.sent,
        };
        loop {
            match self.client.gate(self.now, &info, &mut self.rng) {
                Gate::Send => {
                    self.log.push(format!("send@{}", ms(self.now)));
                    return true;
                }
                Gate::WaitUntil(t) => {
                    self.log.push(format!("wait->{}", ms(t)));
                    self.now = t;
                }
                Gate::Refuse(r) => {
                    self.log.push(format!("refuse:{r:?}"));
                    return false;
                }
            }
        }
    }

    /// One request: send, and answer each attempt in turn from `answers`
    /// (100 ms later), following the client's decisions.
    fn request(&mut self, answers: &[Response]) -> &mut Self {
        let mut att = Attempts {
            arrival: self.now,
            ..Attempts::default()
        };
        for r in answers {
            if !self.send(&att) {
                return self;
            }
            att.sent += 1;
            self.now = self.now + Nanos::from_millis(100);
            let info = SendInfo {
                worker: None,
                tokens: 1000,
                sent: att.sent,
            };
            if r.status.is_success() {
                self.client.on_success(self.now, &info, r);
                self.log.push("ok".into());
                return self;
            }
            let next = self
                .client
                .on_failure(&mut att, &info, r, self.now, &mut self.rng);
            match next {
                Next::RetryAfter(d) => {
                    self.log
                        .push(format!("{}:retry+{}", r.status.code(), ms(d)));
                    self.now = self.now + d;
                }
                Next::GiveUp(g) => {
                    self.log
                        .push(format!("{}:give-up({})", r.status.code(), g.label()));
                    return self;
                }
                Next::Refuse(x) => {
                    self.log.push(format!("{}:refuse({x:?})", r.status.code()));
                    return self;
                }
            }
        }
        self
    }

    fn trace(&mut self) -> String {
        std::mem::take(&mut self.log).join(" ")
    }
}

fn ok(remaining: u64) -> Response {
    Response {
        status: Status::Ok,
        cause: None,
        headers: Headers {
            remaining_requests: Some(remaining),
            reset_requests: Some(START_S + 60),
            ..Headers::default()
        },
        retry_after: None,
    }
}

fn unavailable() -> Response {
    Response {
        status: Status::Unavailable,
        cause: None,
        headers: ok(5).headers,
        retry_after: None,
    }
}

/// A 429 for the request limit (reset at 12:01:00), with an optional Retry-After.
fn too_many(retry_after_s: Option<u64>) -> Response {
    Response {
        status: Status::TooMany,
        cause: None,
        headers: Headers {
            remaining_requests: Some(0),
            reset_requests: Some(START_S + 60),
            ..Headers::default()
        },
        retry_after: retry_after_s.map(Nanos::from_secs),
    }
}

#[test]
fn every_preset_reads_describes_and_round_trips() {
    for p in PRESETS {
        let spec = p.spec();
        let text = describe(p.name).unwrap();
        assert!(text.contains(p.source));
        let t: Table = toml::from_str(&format!("s = {}", to_toml(&spec))).unwrap();
        let again = config::parse(&t["s"]).unwrap();
        assert_eq!(describe_spec(&again), describe_spec(&spec), "{}", p.name);
        assert!(describe_all().contains(p.summary));
    }
    assert_eq!(
        find("openai-pyton").unwrap_err().suggestions[0],
        "openai-python"
    );
}

/// The sequence most presets are pinned on: a 503, a 429 with
/// Retry-After 30 s, a 429 at the spent request window (reset 12:01:00),
/// then 503s.
fn mixed() -> Vec<Response> {
    let mut v = vec![unavailable(), too_many(Some(30)), too_many(None)];
    v.extend(std::iter::repeat(unavailable()).take(4));
    v
}

fn pinned(name: &str, answers: &[Response]) -> String {
    Script::new(name).request(answers).trace()
}

#[test]
fn openai_python_honours_retry_after_up_to_120_s_and_gives_up_above() {
    assert_eq!(
        pinned("openai-python", &mixed()),
        "send@0ms 503:retry+403ms send@503ms 429:retry+30000ms send@30603ms 429:give-up(max_attempts)"
    );
    assert_eq!(
        pinned("openai-python", &[too_many(Some(120))]),
        "send@0ms 429:retry+120000ms"
    );
    assert_eq!(
        pinned("openai-python", &[too_many(Some(121))]),
        "send@0ms 429:give-up(not_retryable)"
    );
}

#[test]
fn openai_python_legacy_and_anthropic_ignore_retry_after_above_60_s() {
    for name in ["openai-python-legacy", "anthropic-python"] {
        let t = pinned(
            name,
            &[too_many(Some(61)), too_many(Some(60)), unavailable()],
        );
        let d: Vec<&str> = t.split(' ').collect();
        // 0.5 s x (1 - 0.25U) instead of 61 s; then 60 s as asked; then 3 attempts.
        let first: u64 = d[1]
            .trim_start_matches("429:retry+")
            .trim_end_matches("ms")
            .parse()
            .unwrap();
        assert!((376..=500).contains(&first), "{t}");
        assert_eq!(d[3], "429:retry+60000ms", "{t}");
        assert_eq!(d[5], "503:give-up(max_attempts)", "{t}");
    }
    assert_eq!(
        pinned("anthropic-python", &mixed()),
        "send@0ms 503:retry+397ms send@497ms 429:retry+30000ms send@30597ms 429:give-up(max_attempts)"
    );
}

#[test]
fn aws_standard_full_jitter_and_the_quota_of_100_retries() {
    assert_eq!(
        pinned("aws-standard", &mixed()),
        "send@0ms 503:retry+780ms send@880ms 429:retry+1533ms send@2514ms 429:give-up(max_attempts)"
    );
    let mut s = Script::new("aws-standard");
    for _ in 0..100 {
        s.request(&[unavailable()]);
    }
    assert_eq!(
        s.trace().matches("retry").count(),
        100,
        "500 tokens, 5 per retry"
    );
    s.request(&[unavailable()]);
    assert_eq!(
        s.trace(),
        format!("send@{0}ms 503:refuse(Budget)", s.now.0 / 1_000_000 - 100)
    );
    for _ in 0..5 {
        s.request(&[ok(10)]); // first-try successes pay 1 back each
    }
    s.request(&[unavailable(), ok(10)]);
    let t = s.trace();
    assert!(t.ends_with("ok") && t.contains("503:retry+"), "{t}");
}

#[test]
fn aws_adaptive_paces_only_after_the_first_throttle() {
    let mut s = Script::new("aws-adaptive");
    // 20 successes at 10 per second: sent at once, no pacing.
    for i in 0..20 {
        s.now = Nanos::from_millis(100 * i);
        s.request(&[ok(50)]);
    }
    assert!(!s.trace().contains("wait"));
    s.now = Nanos::from_millis(2000);
    s.request(&[too_many(None)]);
    let t = s.trace();
    assert!(t.starts_with("send@2000ms 429:retry+"), "{t}");
    // Five sends at once: the two tokens saved go, then the rest queue at
    // 0.7 x the measured 10/s, one every 1/7 s.
    for _ in 0..5 {
        s.now = Nanos::from_millis(2200);
        s.send(&Attempts::default());
    }
    assert_eq!(
        s.trace(),
        "send@2200ms send@2200ms wait->2208ms send@2208ms wait->2351ms send@2351ms wait->2494ms send@2494ms"
    );
}

#[test]
fn tenacity_and_backon_schedules() {
    assert_eq!(
        pinned("tenacity-random-exponential", &mixed()),
        "send@0ms 503:retry+1000ms send@1100ms 429:retry+1732ms send@2932ms 429:retry+2884ms send@5916ms 503:retry+1636ms send@7653ms 503:retry+11730ms send@19483ms 503:give-up(max_attempts)"
    );
    assert_eq!(
        pinned("backon-default", &mixed()),
        "send@0ms 503:retry+1783ms send@1883ms 429:retry+3644ms send@5628ms 429:retry+7821ms send@13550ms 503:give-up(max_attempts)"
    );
}

#[test]
fn cookbook_retries_at_once_but_pauses_15_s_after_each_429() {
    assert_eq!(
        pinned("openai-cookbook-parallel-processor", &mixed()),
        "send@0ms 503:retry+0ms send@100ms 429:retry+0ms wait->15200ms send@15200ms 429:retry+0ms wait->30300ms send@30300ms 503:retry+0ms send@30400ms 503:give-up(max_attempts)"
    );
}

#[test]
fn langchain_waits_for_its_first_token_and_retries_outside_the_limiter() {
    assert_eq!(
        pinned("langchain-inmemory", &mixed()),
        "wait->1000ms send@1000ms 503:retry+407ms send@1507ms 429:retry+30000ms send@31607ms 429:give-up(max_attempts)"
    );
    // The next call waits for the next token (1/s), polled every 100 ms.
    let mut s = Script::new("langchain-inmemory");
    s.request(&[ok(5)]);
    s.now = Nanos::from_millis(1150);
    s.request(&[ok(5)]);
    assert_eq!(
        s.trace(),
        "wait->1000ms send@1000ms ok wait->2050ms send@2050ms ok"
    );
}

#[test]
fn langchain_starts_its_empty_bucket_at_the_first_call() {
    // LangChain's limiter sets its clock at the first acquire with no
    // tokens: a first call 30 s into the run still waits a full second.
    // (Regression: the bucket used to start empty at t = 0 and was full by then.)
    let mut s = Script::new("langchain-inmemory");
    s.now = Nanos::from_secs(30);
    s.request(&[ok(5)]);
    assert_eq!(s.trace(), "wait->31000ms send@31000ms ok");
}

#[test]
fn venice_py_waits_for_the_reset_after_a_spent_window() {
    assert_eq!(
        pinned("venice-py", &mixed()),
        "send@0ms 503:retry+981ms send@1081ms 429:retry+30000ms wait->60000ms send@60000ms 429:retry+4093ms send@64193ms 503:give-up(max_attempts)"
    );
    // A success that spends the window stops the next send until 12:01:00.
    let mut s = Script::new("venice-py");
    s.request(&[ok(0)]).request(&[ok(99)]);
    assert_eq!(s.trace(), "send@0ms ok wait->60000ms send@60000ms ok");
}

#[test]
fn venice_docs_example_waits_for_hints_plus_jitter_and_backs_off_5xx() {
    assert_eq!(
        pinned("venice-docs-example", &mixed()),
        "send@0ms 503:retry+500ms send@600ms 429:retry+30111ms send@30811ms 429:retry+29207ms send@60118ms 503:retry+4000ms send@64218ms 503:retry+8000ms send@72318ms 503:give-up(max_attempts)"
    );
}

#[test]
fn grpc_retries_unavailable_until_half_its_tokens_are_gone() {
    assert_eq!(
        pinned("grpc-default", &mixed()),
        "send@0ms 503:retry+83ms send@183ms 429:retry+165ms send@448ms 429:retry+396ms send@945ms 503:give-up(max_attempts)"
    );
    let mut s = Script::new("grpc-default");
    // Tokens 10 -> 6 after the four failures above; two more failures -> 4.
    s.request(&mixed());
    s.request(&[unavailable(), unavailable()]);
    let t = s.trace();
    assert!(t.ends_with("503:refuse(Budget)"), "{t}");
    // 500 is not retryable in gRPC's mapping (UNKNOWN).
    let r500 = Response {
        status: Status::Internal,
        ..unavailable()
    };
    assert_eq!(
        pinned("grpc-default", &[r500]),
        "send@0ms 500:give-up(not_retryable)"
    );
}

#[test]
fn finagle_budget_allows_its_reserve_then_20_percent() {
    let mut s = Script::new("finagle-budget");
    // 200 requests failing in the same instant. The reserve (10/s over
    // 10 s = 100 retries) and each request's deposit (1/5 of a retry) pay
    // for the first 125 retries; after that, one request in five retries.
    for _ in 0..200 {
        s.now = Nanos::SECOND;
        s.request(&[unavailable()]);
    }
    let t = s.trace();
    let decisions: Vec<bool> = t
        .split(' ')
        .filter(|x| x.starts_with("503"))
        .map(|x| x.contains("retry"))
        .collect();
    assert!(decisions[..125].iter().all(|d| *d));
    assert_eq!(
        decisions[125..135],
        [false, false, false, false, true, false, false, false, false, true]
    );
    assert_eq!(decisions.iter().filter(|d| **d).count(), 140);
    assert_eq!(
        pinned("finagle-budget", &mixed()),
        "send@0ms 503:retry+483ms send@583ms 429:retry+3651ms send@4335ms 429:retry+10ms send@4445ms 503:retry+8420ms send@12966ms 503:give-up(max_attempts)"
    );
}

#[test]
fn sre_throttling_rejects_locally_as_failures_pile_up() {
    assert_eq!(
        pinned("sre-throttling", &mixed()),
        "send@0ms 503:retry+568ms send@668ms 429:retry+2595ms refuse:Throttle"
    );
}

#[test]
fn brookers_four() {
    for (name, want) in [
        ("brooker-full-jitter", "send@0ms 503:retry+335ms send@435ms 429:retry+152ms send@687ms 429:retry+6657ms send@7445ms 503:retry+37ms send@7582ms 503:give-up(max_attempts)"),
        ("brooker-equal-jitter", "send@0ms 503:retry+1481ms send@1581ms 429:retry+3412ms send@5093ms 429:retry+5771ms send@10965ms 503:retry+14638ms send@25703ms 503:give-up(max_attempts)"),
        ("brooker-decorrelated", "send@0ms 503:retry+2777ms send@2877ms 429:retry+1456ms send@4433ms 429:retry+3276ms send@7810ms 503:retry+5056ms send@12967ms 503:give-up(max_attempts)"),
        ("brooker-exponential", "send@0ms 503:retry+2000ms send@2100ms 429:retry+4000ms send@6200ms 429:retry+8000ms send@14300ms 503:retry+16000ms send@30400ms 503:give-up(max_attempts)"),
    ] {
        assert_eq!(pinned(name, &mixed()), want, "{name}");
    }
}

#[test]
fn unlimited_backoff_draws_within_two_to_the_n_minus_one_and_never_gives_up() {
    let t = pinned("unlimited-backoff", &mixed());
    let delays: Vec<u64> = t
        .split(' ')
        .filter_map(|x| x.split_once(":retry+"))
        .map(|(_, d)| d.trim_end_matches("ms").parse().unwrap())
        .collect();
    assert_eq!(delays.len(), mixed().len(), "{t}: every failure is retried");
    for (i, d) in delays.iter().enumerate() {
        let high = ((1u64 << (i + 1)) - 1) * 1000;
        assert!((100..=high.min(32_000)).contains(d), "{t}");
        assert_eq!(d % 10, 0, "10 ms steps: {t}");
    }
    assert_eq!(
        t,
        "send@0ms 503:retry+590ms send@690ms 429:retry+330ms send@1120ms 429:retry+5460ms send@6680ms 503:retry+13290ms send@20070ms 503:retry+4130ms send@24300ms 503:retry+7690ms send@32090ms 503:retry+21700ms"
    );
}

#[test]
fn atb_halves_on_every_failure_and_queues_the_retry_for_a_token() {
    // One token to start; the 503 halves 0.67/s to 0.34/s (0.335 on the
    // 0.01/s grid) and empties the bucket: the retry waits 1/0.34 s.
    let mut s = Script::new("atb");
    s.request(&[unavailable(), ok(5)]);
    let t = s.trace();
    assert!(t.starts_with("send@0ms 503:retry+0ms wait->"), "{t}");
    let last_send: u64 = t
        .rsplit("send@")
        .next()
        .unwrap()
        .split("ms")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(last_send, 100 + 2941, "{t}");
    assert!(t.ends_with("ok"), "{t}");
}
