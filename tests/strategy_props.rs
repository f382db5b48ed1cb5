//! Property tests of the strategy parts: whatever the parameters, the answers
//! and the timing, every backoff stays within its documented range, the
//! quota budgets stay within [0, capacity], a ratio budget never grants more
//! than its ratio of the window's requests plus its reserve, and a token-bucket
//! pacer never lets more through any window than its rate and burst allow.

use proptest::prelude::*;
use ratesim::policy::HeaderUnits;
use ratesim::response::{Headers, Response, Status};
use ratesim::rng::{stream, Purpose};
use ratesim::strategy::budget::{Budget, BudgetSpec};
use ratesim::strategy::pacer::Pacer;
use ratesim::strategy::{config, Gate, RetryCtx, SendInfo, StrategySpec};
use ratesim::time::{Clock, Nanos};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

fn spec(text: &str) -> StrategySpec {
    let t: toml::Table = toml::from_str(&format!("s = {text}")).unwrap();
    config::parse(&t["s"]).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn info(tokens: u64, sent: u32) -> SendInfo {
    SendInfo {
        worker: None,
        tokens,
        sent,
    }
}

/// Any backoff kind with random (valid) parameters, as TOML.
fn backoff_toml() -> impl Strategy<Value = String> {
    (0usize..13, 1u64..5_000, 1u64..100, 1.0f64..4.0, 0.0f64..0.99).prop_map(
        |(which, ms, mult, factor, jitter)| {
            let (base, cap) = (format!("\"{ms}ms\""), format!("\"{}ms\"", ms * mult));
            match which {
                0 => format!("{{ kind = \"constant\", delay = {base} }}"),
                1 => format!("{{ kind = \"exponential\", base = {base}, cap = {cap} }}"),
                2 => format!("{{ kind = \"full-jitter\", base = {base}, cap = {cap} }}"),
                3 => format!("{{ kind = \"equal-jitter\", base = {base}, cap = {cap} }}"),
                4 => format!("{{ kind = \"decorrelated\", base = {base}, cap = {cap} }}"),
                5 => format!("{{ kind = \"header-aware\", base = {base}, cap = {cap}, jitter = {base} }}"),
                6 => format!("{{ kind = \"multiplicative-jitter\", initial = {base}, multiplier = {factor}, cap = {cap}, jitter = {jitter} }}"),
                7 => format!("{{ kind = \"symmetric-jitter\", initial = {base}, multiplier = {factor}, cap = {cap}, jitter = {jitter} }}"),
                8 => format!("{{ kind = \"additive-jitter\", initial = {base}, multiplier = {factor}, cap = {cap} }}"),
                9 => format!("{{ kind = \"random-exponential\", min = {base}, initial = \"{}ms\", cap = {cap} }}", ms / 2 + 1),
                10 => format!("{{ kind = \"aws-jitter\", base = {base}, throttle_base = \"{}ms\", cap = {cap}, retry_after_extra = {base} }}", ms * 3),
                11 => format!("{{ kind = \"unlimited-backoff\", min = {base}, cap = {cap} }}"),
                _ => "{ kind = \"immediate\" }".to_string(),
            }
        },
    )
}

/// A failed answer: a 503, or a 429 with or without Retry-After and a reset.
fn answer() -> impl Strategy<Value = Response> {
    (0u8..3, 0u64..600, 0u64..400, 0u64..2000).prop_map(|(kind, after, reset, left)| Response {
        status: if kind == 0 {
            Status::Unavailable
        } else {
            Status::TooMany
        },
        cause: None,
        headers: Headers {
            remaining_requests: Some(left % 3),
            reset_requests: Some(1_000 + reset),
            remaining_tokens: Some(left),
            reset_tokens: Some(reset % 60),
            ..Headers::default()
        },
        retry_after: (kind == 2).then(|| Nanos::from_secs(after)),
    })
}

proptest! {
    /// Every delay is within the schedule's documented range for its retry
    /// number, whatever the previous delay and the headers.
    #[test]
    fn backoff_delays_stay_in_range(text in backoff_toml(), seed in any::<u64>(), answers in prop::collection::vec(answer(), 1..40)) {
        let b = spec(&text).backoff;
        let mut rng = stream(seed, "prop", Purpose::Strategy);
        let mut prev = b.initial_prev();
        for (i, r) in answers.iter().enumerate() {
            let n = i as u32 + 1;
            let ctx = RetryCtx {
                retry: n,
                prev_delay: prev,
                response: r,
                now: Nanos::from_secs(30),
                clock: Clock { start_unix_ms: 1_000_000 },
                header_units: HeaderUnits::Seconds,
                tokens: 500,
            };
            let d = b.delay(&ctx, &mut rng);
            let (lo, hi) = b.range(n);
            prop_assert!(lo <= hi);
            prop_assert!(d >= lo && d <= hi, "{text} retry {n}: {d:?} outside [{lo:?}, {hi:?}]");
            prev = d;
        }
    }
}

/// One step of a budget's life.
#[derive(Clone, Debug)]
enum Op {
    Send { first: bool },
    Success { retried: bool },
    Failure,
    Withdraw,
}

fn ops() -> impl Strategy<Value = Vec<(u64, Op)>> {
    let op = prop_oneof![
        any::<bool>().prop_map(|first| Op::Send { first }),
        any::<bool>().prop_map(|retried| Op::Success { retried }),
        Just(Op::Failure),
        Just(Op::Withdraw),
    ];
    prop::collection::vec(
        (prop_oneof![Just(0u64), 0u64..200, 0u64..5_000], op),
        1..600,
    )
}

/// Runs `ops` (gaps in milliseconds) against `budget`; returns the instants
/// of granted withdrawals and of first sends, and checks `balance` each step.
fn drive(
    budget: &mut dyn Budget,
    ops: &[(u64, Op)],
    check: impl Fn(f64) -> bool,
) -> (Vec<u64>, Vec<u64>) {
    let mut rng = stream(3, "budget", Purpose::Strategy);
    let (mut now, mut granted, mut deposits) = (0u64, Vec::new(), Vec::new());
    for (gap, op) in ops {
        now += gap;
        let t = Nanos::from_millis(now);
        match op {
            Op::Send { first } => {
                let _ = budget.on_send(t, &info(1, u32::from(!first)), &mut rng);
                if *first {
                    deposits.push(now);
                }
            }
            Op::Success { retried } => budget.on_success(t, &info(1, 1 + u32::from(*retried))),
            Op::Failure => budget.on_failure(true),
            Op::Withdraw => {
                if budget.withdraw(t, Status::Unavailable) {
                    granted.push(now);
                }
            }
        }
        let b = budget.balance(t);
        assert!(check(b), "balance {b} out of bounds");
    }
    (granted, deposits)
}

fn budget(text: &str) -> BudgetSpec {
    spec(&format!("{{ kind = \"none\", budget = {text} }}"))
        .budget
        .unwrap()
}

proptest! {
    /// AWS's quota and gRPC's token count never go below zero or above their capacity.
    #[test]
    fn quota_budgets_stay_within_zero_and_capacity(ops in ops(), cap in 1u64..600, cost in 1u64..20, max in 1u32..1000, ratio in 1u32..2000) {
        let aws = budget(&format!("{{ kind = \"aws-quota\", capacity = {cap}, retry_cost = {cost} }}"));
        drive(&mut *aws.build(), &ops, |b| (0.0..=cap as f64).contains(&b));
        let grpc = budget(&format!("{{ kind = \"grpc\", max_tokens = {max}, token_ratio = {} }}", f64::from(ratio) / 1000.0));
        drive(&mut *grpc.build(), &ops, |b| (0.0..=f64::from(max)).contains(&b));
        let sre = budget("{ kind = \"sre\", k = 1.5, window = \"30s\" }");
        drive(&mut *sre.build(), &ops, |p| (0.0..=1.0).contains(&p));
    }

    /// A ratio budget grants, within the last 0.9 ttl, at most its reserve plus
    /// one retry per `1/ratio` requests first sent within the last ttl.
    #[test]
    fn ratio_budget_grants_at_most_its_share(ops in ops(), pct in 1u32..=100, min_per_sec in 0u64..5, ttl_s in 1u64..=60) {
        let ratio = f64::from(pct) / 100.0;
        let b = budget(&format!("{{ kind = \"ratio\", ratio = {ratio}, min_per_sec = {min_per_sec}, ttl = \"{ttl_s}s\" }}"));
        let (granted, deposits) = drive(&mut *b.build(), &ops, |_| true);
        let price = (1.0 / ratio).floor();
        let ttl = ttl_s * 1000;
        for &t in &granted {
            let recent = granted.iter().filter(|&&g| g <= t && g + ttl * 9 / 10 > t).count() as f64;
            let paid = deposits.iter().filter(|&&d| d <= t && d + ttl >= t).count() as f64;
            let allowed = (min_per_sec * ttl_s) as f64 + paid / price;
            prop_assert!(recent <= allowed + 1e-9, "at {t} ms: {recent} granted, {allowed} allowed");
        }
    }
}

/// Requests arriving at `arrivals` (gap ms, tokens) go through `pacer`, each
/// asking again when told, except every `drop_every`-th waiting one (as if a
/// breaker refused it meanwhile); every `cancel_every`-th ask is preceded by a
/// cancellation of the promised slots (a pause). Returns the (instant, tokens)
/// of every send.
fn pace(
    pacer: &mut dyn Pacer,
    arrivals: &[(u64, u64)],
    cancel_every: Option<usize>,
    drop_every: Option<usize>,
) -> Vec<(u64, u64)> {
    let mut queue = BinaryHeap::new();
    let mut now = 0u64;
    for (i, &(gap, tokens)) in arrivals.iter().enumerate() {
        now += gap * 1_000_000;
        queue.push(Reverse((now, i as u64, tokens)));
    }
    let mut sent = Vec::new();
    let (mut asked, mut waits, mut dropped) = (0usize, 0usize, 0usize);
    while let Some(Reverse((t, seq, tokens))) = queue.pop() {
        asked += 1;
        if cancel_every.is_some_and(|k| asked % k == 0) {
            pacer.cancel_reservations();
        }
        match pacer.gate(Nanos(t), &info(tokens, 0)) {
            Gate::Send => sent.push((t, tokens)),
            Gate::WaitUntil(later) => {
                assert!(later.0 > t, "a pacer must name a later instant");
                waits += 1;
                if drop_every.is_some_and(|k| waits % k == 0) {
                    dropped += 1;
                } else {
                    queue.push(Reverse((later.0, seq, tokens)));
                }
            }
            Gate::Refuse(_) => unreachable!("a pacer never refuses"),
        }
    }
    assert_eq!(
        sent.len() + dropped,
        arrivals.len(),
        "every request is sent eventually"
    );
    sent
}

/// The most any window of `w` nanoseconds holds, by `f` of each send.
fn busiest(sent: &[(u64, u64)], w: u64, f: impl Fn(&(u64, u64)) -> u64) -> u64 {
    let mut best = 0;
    let (mut lo, mut sum) = (0usize, 0u64);
    for hi in 0..sent.len() {
        sum += f(&sent[hi]);
        while sent[hi].0 - sent[lo].0 >= w {
            sum -= f(&sent[lo]);
            lo += 1;
        }
        best = best.max(sum);
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Over any window W, a token-bucket pacer sends at most
    /// `bucket + rate * W` requests and tokens (a request larger than the
    /// token bucket may overdraw it by its excess, once).
    #[test]
    fn token_bucket_pacer_never_exceeds_its_rate(
        rpm in 1u32..3000,
        tpm in 1_000u32..200_000,
        headroom_pct in 1u32..=100,
        burst_ms in prop_oneof![Just(0u64), 0u64..120_000],
        full in any::<bool>(),
        poll_ms in prop_oneof![Just(0u64), 1u64..500],
        cancel in prop_oneof![Just(None), (2usize..50).prop_map(Some)],
        drop in prop_oneof![Just(None), (2usize..20).prop_map(Some)],
        arrivals in prop::collection::vec((prop_oneof![Just(0u64), 0u64..100, 0u64..10_000], 1u64..5_000), 1..400),
    ) {
        let headroom = f64::from(headroom_pct) / 100.0;
        let poll = if poll_ms > 0 { format!(", poll = \"{poll_ms}ms\"") } else { String::new() };
        let text = format!(
            "{{ kind = \"none\", pacer = {{ kind = \"token-bucket\", rpm = {rpm}, tpm = {tpm}, headroom = {headroom}, burst = \"{burst_ms}ms\", start = \"{}\"{poll} }} }}",
            if full { "full" } else { "empty" }
        );
        let mut pacer = spec(&text).pacer.unwrap().build();
        let sent = pace(&mut *pacer, &arrivals, cancel, drop);
        let burst_s = burst_ms as f64 / 1000.0;
        let req_rate = f64::from(rpm) * headroom / 60.0;
        let tok_rate = f64::from(tpm) * headroom / 60.0;
        let req_bucket = (req_rate * burst_s).max(1.0);
        let tok_bucket = tok_rate * burst_s;
        let biggest = arrivals.iter().map(|a| a.1).max().unwrap_or(0) as f64;
        for w_s in [1u64, 10, 60, 600] {
            let w = w_s * 1_000_000_000;
            let reqs = busiest(&sent, w, |_| 1) as f64;
            let toks = busiest(&sent, w, |s| s.1) as f64;
            let req_max = req_bucket + req_rate * w_s as f64;
            let tok_max = tok_bucket + tok_rate * w_s as f64 + (biggest - tok_bucket).max(0.0);
            prop_assert!(reqs <= req_max + 1e-6, "{text}: {reqs} requests in {w_s} s > {req_max}");
            prop_assert!(toks <= tok_max + 1e-6, "{text}: {toks} tokens in {w_s} s > {tok_max}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The adaptive pacers promise slots only a second ahead and park the
    /// rest; at a steady rate (no answers observed) they keep the same bound.
    #[test]
    fn parked_sends_keep_the_rate_too(
        per_min in 1u32..6000,
        burst_ms in prop_oneof![Just(0u64), 0u64..10_000],
        cancel in prop_oneof![Just(None), (2usize..50).prop_map(Some)],
        drop in prop_oneof![Just(None), (2usize..20).prop_map(Some)],
        arrivals in prop::collection::vec((prop_oneof![Just(0u64), 0u64..100, 0u64..10_000], 1u64..5_000), 1..400),
    ) {
        let text = format!(
            "{{ kind = \"none\", pacer = {{ kind = \"aimd\", initial = \"{per_min}/min\", min = \"1/min\", max = \"6000/min\", burst = \"{burst_ms}ms\" }} }}"
        );
        let mut pacer = spec(&text).pacer.unwrap().build();
        let sent = pace(&mut *pacer, &arrivals, cancel, drop);
        let rate = f64::from(per_min) / 60.0;
        let bucket = (rate * burst_ms as f64 / 1000.0).max(1.0);
        for w_s in [1u64, 10, 60, 600] {
            let reqs = busiest(&sent, w_s * 1_000_000_000, |_| 1) as f64;
            let max = bucket + rate * w_s as f64;
            prop_assert!(reqs <= max + 1e-6, "{text}: {reqs} requests in {w_s} s > {max}");
        }
    }
}

proptest! {
    /// A strategy whose parameters are drawn per client validates once and
    /// every draw builds, with each parameter inside its range.
    #[test]
    fn every_draw_of_a_valid_random_strategy_builds_within_its_ranges(
        base_ms in (1u64..2_000, 0u64..2_000),
        cap_ms in (2_000u64..60_000, 0u64..60_000),
        attempts in (1i64..6, 0i64..6),
        seed in any::<u64>(),
    ) {
        let (b_lo, b_hi) = (base_ms.0, base_ms.0 + base_ms.1);
        let (c_lo, c_hi) = (cap_ms.0, cap_ms.0 + cap_ms.1);
        let (a_lo, a_hi) = (attempts.0, attempts.0 + attempts.1);
        let text = format!(
            "{{ kind = \"full-jitter\", base = {{ uniform = [\"{b_lo}ms\", \"{b_hi}ms\"] }}, cap = {{ uniform = [\"{c_lo}ms\", \"{c_hi}ms\"] }}, max_attempts = {{ uniform = [{a_lo}, {a_hi}] }} }}"
        );
        let t: toml::Table = toml::from_str(&format!("s = {text}")).unwrap();
        let parsed = config::parse_random(&t["s"]);
        // Valid exactly when every base fits under every cap.
        prop_assert_eq!(parsed.is_ok(), b_hi <= c_lo, "{}: {:?}", text, parsed.as_ref().err());
        if let Ok(spec) = parsed {
            prop_assert!(spec.is_random());
            prop_assert!(config::parse(&t["s"]).is_err(), "refused without clients");
            let mut rng = stream(seed, "client", Purpose::Strategy);
            for _ in 0..20 {
                let s = spec.draw(&mut rng);
                let (_, high) = s.backoff.range(1);
                let base = high.0 / 2;
                let cap = s.backoff.range(60).1.0;
                prop_assert!((b_lo * 1_000_000..=b_hi * 1_000_000).contains(&base) || high.0 == cap);
                prop_assert!((c_lo * 1_000_000..=c_hi * 1_000_000).contains(&cap));
                let n = i64::from(s.retry.max_attempts);
                prop_assert!((a_lo..=a_hi).contains(&n));
            }
        }
    }
}
