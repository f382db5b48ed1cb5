//! The AWS SDKs' published retry test vectors, run against the `aws-standard`
//! and `aws-standard-2026` presets.
//!
//! Each case is a list of answers to one request and what the specification
//! expects after each: the outcome, the retry quota left, and the delay with
//! the random draw fixed at 1. A client's draw here is real, so a delay is
//! checked two ways: the schedule's value at U = 1 equals the published
//! delay exactly, and the delay the client chose lies in [0, that].
//!
//! Sources, transcribed by hand:
//! - classic standard mode: smithy-lang/smithy-kotlin
//!   runtime/runtime-core/jvm/test/aws/smithy/kotlin/runtime/retries/impl/
//!   StandardRetryIntegrationTestResources.kt, commit
//!   6373a5f747998ea0b1d2c82b677952368d4307e1 ("Test cases sourced from
//!   new-retries specification");
//! - the 2026 revision: NewStandardRetryIntegrationTestResources.kt in the
//!   same commit (added by a2753e05ac060e2ae09b008f0704ea84809df382, "Retry
//!   2026"), which botocore's tests/unit/retries/test_standard_retry_v2_1.py
//!   (commit 0e6e2404b85dc336dd2889814e089bde7d1a4c55) mirrors.
//!
//! ratesim's server answers 429, 500 and 503 only: the vectors' 502 is
//! played as 500 (both transient), `400 Throttling` as 429, and
//! `x-amz-retry-after` as `Retry-After`.

use super::backoff::aws_jitter::AwsJitter;
use super::config;
use super::{Attempts, Client, Gate, Next, SendInfo};
use crate::policy::HeaderUnits;
use crate::response::{Headers, Response, Status};
use crate::rng::{stream, Purpose};
use crate::time::{Clock, Nanos};

/// What the specification expects after one answer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    /// Retry after this many seconds at U = 1.
    Retry(f64),
    MaxAttempts,
    QuotaExceeded,
    Success,
}
use Outcome::*;

/// One answer: status, `Retry-After` in milliseconds, what follows, the quota left.
type Step = (u16, Option<u64>, Outcome, u64);

fn client(strategy: &str) -> Client {
    let t: toml::Table = toml::from_str(&format!("s = {strategy}")).unwrap();
    config::parse(&t["s"])
        .unwrap()
        .build(Clock { start_unix_ms: 0 }, HeaderUnits::Seconds)
}

fn answer(status: u16, retry_after_ms: Option<u64>) -> Response {
    Response {
        status: Status::from_code(status).unwrap(),
        cause: None,
        headers: Headers::default(),
        retry_after: retry_after_ms.map(|ms| Nanos(ms * 1_000_000)),
    }
}

/// Plays one request through `c`, checking each step; `at_u1` gives the
/// schedule's delay at U = 1 for (retry, answer).
fn play(c: &mut Client, steps: &[Step], at_u1: &dyn Fn(u32, &Response) -> Nanos, case: &str) {
    let mut rng = stream(1, case, Purpose::Strategy);
    let mut att = Attempts::default();
    let mut now = Nanos::SECOND;
    for (i, &(code, retry_after, want, quota)) in steps.iter().enumerate() {
        let info = SendInfo {
            worker: None,
            tokens: 1,
            sent: att.sent,
        };
        assert_eq!(c.gate(now, &info, &mut rng), Gate::Send, "{case}");
        att.sent += 1;
        let info = SendInfo {
            sent: att.sent,
            ..info
        };
        let r = answer(code, retry_after);
        let got = if r.status.is_success() {
            c.on_success(now, &info, &r);
            Success
        } else {
            match c.on_failure(&mut att, &info, &r, now, &mut rng) {
                Next::RetryAfter(d) => {
                    let Retry(secs) = want else {
                        panic!("{case} step {i}: retried, expected {want:?}")
                    };
                    let spec = Nanos::from_secs_f64(secs);
                    assert_eq!(at_u1(att.sent, &r), spec, "{case} step {i}: delay at U = 1");
                    assert!(d <= spec, "{case} step {i}: {d} above {spec}");
                    now = now + d;
                    want
                }
                Next::GiveUp(super::GiveUp::MaxAttempts) => MaxAttempts,
                Next::Refuse(super::Refusal::Budget) => QuotaExceeded,
                other => panic!("{case} step {i}: {other:?}"),
            }
        };
        assert_eq!(got, want, "{case} step {i}");
        assert_eq!(
            c.budget_balance(now),
            Some(quota as f64),
            "{case} step {i}: retry quota"
        );
        if matches!(got, Success | MaxAttempts | QuotaExceeded) {
            return;
        }
    }
}

#[test]
fn classic_standard_mode_matches_the_specification() {
    // (case, overrides of aws-standard, steps).
    let cases: &[(&str, &str, &[Step])] = &[
        (
            "Retry eventually succeeds",
            "",
            &[
                (500, None, Retry(1.0), 495),
                (500, None, Retry(2.0), 490),
                (200, None, Success, 495),
            ],
        ),
        (
            "Fail due to max attempts reached",
            "",
            &[
                (500, None, Retry(1.0), 495),
                (500, None, Retry(2.0), 490),
                (500, None, MaxAttempts, 490),
            ],
        ),
        (
            "Retry Quota reached after a single retry",
            ", budget = { capacity = 5 }",
            &[(500, None, Retry(1.0), 0), (500, None, QuotaExceeded, 0)],
        ),
        (
            "No retries at all if retry quota is 0",
            ", budget = { capacity = 0 }",
            &[(500, None, QuotaExceeded, 0)],
        ),
        (
            "Verifying exponential backoff timing",
            ", max_attempts = 5",
            &[
                (500, None, Retry(1.0), 495),
                (500, None, Retry(2.0), 490),
                (500, None, Retry(4.0), 485),
                (500, None, Retry(8.0), 480),
                (500, None, MaxAttempts, 480),
            ],
        ),
        (
            "Verify max backoff time",
            ", max_attempts = 5, cap = \"3s\"",
            &[
                (500, None, Retry(1.0), 495),
                (500, None, Retry(2.0), 490),
                (500, None, Retry(3.0), 485),
                (500, None, Retry(3.0), 480),
                (500, None, MaxAttempts, 480),
            ],
        ),
    ];
    for (case, overrides, steps) in cases {
        let strategy = format!("{{ preset = \"aws-standard\"{overrides} }}");
        let t: toml::Table = toml::from_str(&format!("s = {strategy}")).unwrap();
        let spec = config::parse(&t["s"]).unwrap();
        // Full jitter's ceiling is the delay at U = 1.
        let at_u1 = |retry: u32, _: &Response| spec.backoff.range(retry).1;
        play(&mut client(&strategy), steps, &at_u1, case);
    }
}

/// The 2026 schedule at U = 1, as the vectors fix it.
fn at_u1_2026(cap: Nanos) -> impl Fn(u32, &Response) -> Nanos {
    move |retry, r| {
        AwsJitter {
            base: Nanos::from_millis(50),
            throttle_base: Nanos::SECOND,
            cap,
            retry_after_extra: Some(Nanos::from_secs(5)),
        }
        .delay_for(1.0, retry, r.status == Status::TooMany, r.retry_after)
    }
}

#[test]
fn standard_mode_2026_matches_the_specification() {
    let cases: &[(&str, &str, &[Step])] = &[
        (
            "Retry eventually succeeds",
            "",
            &[
                (500, None, Retry(0.05), 486),
                (500, None, Retry(0.1), 472),
                (200, None, Success, 486),
            ],
        ),
        (
            "Fail due to max attempts reached",
            "",
            &[
                (500, None, Retry(0.05), 486),
                (500, None, Retry(0.1), 472),
                (500, None, MaxAttempts, 472),
            ],
        ),
        (
            "Retry Quota reached after a single retry",
            ", budget = { capacity = 14 }",
            &[(500, None, Retry(0.05), 0), (500, None, QuotaExceeded, 0)],
        ),
        (
            "No retries at all if retry quota is 0",
            ", budget = { capacity = 0 }",
            &[(500, None, QuotaExceeded, 0)],
        ),
        (
            "Verifying exponential backoff timing",
            ", max_attempts = 5",
            &[
                (500, None, Retry(0.05), 486),
                (500, None, Retry(0.1), 472),
                (500, None, Retry(0.2), 458),
                (500, None, Retry(0.4), 444),
                (500, None, MaxAttempts, 444),
            ],
        ),
        (
            "Retry stops after retry quota exhaustion",
            ", max_attempts = 5, budget = { capacity = 20 }",
            &[(500, None, Retry(0.05), 6), (500, None, QuotaExceeded, 6)],
        ),
        (
            "Throttling error token bucket drain and backoff duration",
            "",
            &[(429, None, Retry(1.0), 495), (200, None, Success, 500)],
        ),
        (
            "Honor x-amz-retry-after header",
            "",
            &[
                (500, Some(1500), Retry(1.5), 486),
                (200, None, Success, 500),
            ],
        ),
        (
            "x-amz-retry-after minimum is exponential backoff duration",
            "",
            &[(500, Some(0), Retry(0.05), 486), (200, None, Success, 500)],
        ),
        (
            "x-amz-retry-after maximum is 5+exponential backoff duration",
            "",
            &[
                (500, Some(10_000), Retry(5.05), 486),
                (200, None, Success, 500),
            ],
        ),
        (
            // An unreadable header reaches no client as a value: no hint.
            "Invalid x-amz-retry-after falls back to exponential backoff",
            "",
            &[(500, None, Retry(0.05), 486), (200, None, Success, 500)],
        ),
    ];
    for (case, overrides, steps) in cases {
        let strategy = format!("{{ preset = \"aws-standard-2026\"{overrides} }}");
        play(
            &mut client(&strategy),
            steps,
            &at_u1_2026(Nanos::from_secs(20)),
            case,
        );
    }
    // "Verify max backoff time": the cap at 0.2 s.
    play(
        &mut client("{ preset = \"aws-standard-2026\", max_attempts = 5, cap = \"200ms\" }"),
        &[
            (500, None, Retry(0.05), 486),
            (500, None, Retry(0.1), 472),
            (500, None, Retry(0.2), 458),
            (500, None, Retry(0.2), 444),
            (500, None, MaxAttempts, 444),
        ],
        &at_u1_2026(Nanos::from_millis(200)),
        "Verify max backoff time",
    );
}

#[test]
fn the_2026_quota_recovers_across_requests_as_specified() {
    // "Retry quota recovery after successful responses": one client, two requests.
    let at_u1 = at_u1_2026(Nanos::from_secs(20));
    let mut c =
        client("{ preset = \"aws-standard-2026\", max_attempts = 5, budget = { capacity = 30 } }");
    let first: &[Step] = &[
        (500, None, Retry(0.05), 16),
        (500, None, Retry(0.1), 2),
        (200, None, Success, 16),
    ];
    play(&mut c, first, &at_u1, "recovery, first request");
    let second: &[Step] = &[(500, None, Retry(0.05), 2), (200, None, Success, 16)];
    play(&mut c, second, &at_u1, "recovery, second request");

    // "Shared multi-threaded scenarios": two requests interleaved on one
    // client; three retries at 14 and two paid back leave 486.
    let mut c = client("{ preset = \"aws-standard-2026\", max_attempts = 5 }");
    let mut rng = stream(1, "threads", Purpose::Strategy);
    let (mut a, mut b) = (Attempts::default(), Attempts::default());
    let now = Nanos::SECOND;
    let mut fail = |c: &mut Client, att: &mut Attempts| {
        let info = SendInfo {
            worker: None,
            tokens: 1,
            sent: att.sent,
        };
        assert_eq!(c.gate(now, &info, &mut rng), Gate::Send);
        att.sent += 1;
        let info = SendInfo {
            sent: att.sent,
            ..info
        };
        let next = c.on_failure(att, &info, &answer(500, None), now, &mut rng);
        assert!(matches!(next, Next::RetryAfter(_)), "{next:?}");
    };
    fail(&mut c, &mut a);
    fail(&mut c, &mut a);
    fail(&mut c, &mut b);
    assert_eq!(c.budget_balance(now), Some(458.0));
    for att in [&b, &a] {
        let info = SendInfo {
            worker: None,
            tokens: 1,
            sent: att.sent + 1,
        };
        c.on_success(now, &info, &answer(200, None));
    }
    assert_eq!(c.budget_balance(now), Some(486.0), "expected_final_quota");
}
