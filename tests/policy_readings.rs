//! The server-side readings of issue 12, each on its bundled scenario: the
//! token bucket's shape, GCRA, the scope of limits, the two lockout readings,
//! video per call, and the partner tier. Each test quotes the claim of the
//! scenario's comment (and docs/assumptions.md) it checks.

mod support;

use ratesim::experiment::{simulate, simulate_quiet, Variant};
use ratesim::outcome::{Fate, Outcome, RequestRecord, RequestSink};
use ratesim::plan::{self, Scope, Settings};
use ratesim::policy::{Counts, LimitScope, LimitSpec, LockoutReading};
use ratesim::report::plan::report_md;
use ratesim::response::Cause;
use ratesim::scenario::Scenario;
use ratesim::time::Nanos;
use support::repo;

fn bundled(name: &str) -> Scenario {
    ratesim::scenario::load(&repo(&format!("scenarios/{name}.toml")))
        .unwrap_or_else(|e| panic!("scenarios/{name}.toml does not load: {e}"))
}

fn inline(text: &str) -> Scenario {
    ratesim::scenario::parse(text, &repo("tests/fixtures/inline.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run(sc: &Scenario) -> Outcome {
    simulate_quiet(sc, sc.seed).unwrap()
}

#[derive(Default)]
struct Keep(Vec<RequestRecord>);

impl RequestSink for Keep {
    fn record(&mut self, r: &RequestRecord) {
        self.0.push(*r);
    }
}

/// What the request limit of the first (key, model) row admitted and refused.
fn rpm_row(o: &Outcome, key: u32) -> (u64, u64, u64) {
    let l = o
        .limits
        .iter()
        .find(|l| l.key == key && l.limit.counts == Counts::Requests)
        .expect("a request limit row");
    (l.admitted, l.refused, l.capacity)
}

const DISCRETE: &str = "token-bucket-discrete.toml: \"Nothing passes before the first tick at 15 s; after that exactly 5 requests pass per tick, the first five arrivals after it\"";

#[test]
fn a_discrete_bucket_admits_five_per_tick_and_nothing_before_the_first() {
    let sc = bundled("token-bucket-discrete");
    let mut keep = Keep::default();
    let o = simulate(&Variant::of(&sc), sc.seed, &mut keep).unwrap();
    let mut arrivals: Vec<&RequestRecord> = keep.0.iter().collect();
    arrivals.sort_by_key(|r| r.arrival);
    let tick = Nanos::from_secs(15).0;
    let last = arrivals.last().unwrap().arrival.0;
    // Every tick from 15 s to the last arrival: the first five arrivals at
    // or after it (and before the next) pass, the others are refused.
    let mut expected_admitted = 0;
    for k in 0..=last / tick {
        let (from, to) = (k * tick, (k + 1) * tick);
        let inside: Vec<&&RequestRecord> = arrivals
            .iter()
            .filter(|r| (from..to).contains(&r.arrival.0))
            .collect();
        let passed: Vec<bool> = inside.iter().map(|r| r.fate == Fate::Succeeded).collect();
        let want: Vec<bool> = (0..inside.len()).map(|i| k > 0 && i < 5).collect();
        assert_eq!(passed, want, "{DISCRETE}: [{from}, {to}) ns");
        expected_admitted += want.iter().filter(|&&p| p).count() as u64;
    }
    let (admitted, refused, _) = rpm_row(&o, 0);
    assert_eq!(admitted, expected_admitted, "{DISCRETE}");
    assert_eq!(admitted + refused, arrivals.len() as u64);
    assert_eq!(o.groups[0].rejected_by(Cause::Requests), refused);
}

const GCRA: &str = "gcra.toml: \"gets at most the burst plus 20 a minute through (205 in the 10 minutes), and close to that ... A header-reading client on another key ... reaches the same rate\"";

#[test]
fn gcra_admits_its_burst_and_then_the_limit_rate() {
    let sc = bundled("gcra");
    let o = run(&sc);
    let minutes = sc.duration.as_secs_f64() / 60.0;
    for key in 0..2 {
        let (admitted, _, capacity) = rpm_row(&o, key);
        // The most the run allows: the burst of 5 plus 20 a minute.
        assert_eq!(capacity, 5 + 20 * minutes as u64, "{GCRA}");
        assert!(admitted <= capacity, "{GCRA}: {admitted} > {capacity}");
        assert!(
            admitted as f64 >= 0.95 * 20.0 * minutes,
            "{GCRA}: key {key} admitted only {admitted}"
        );
    }
    assert_eq!(o.groups.iter().map(|g| g.locked_out.0).sum::<u64>(), 0);
}

const ACCOUNT: &str = "limits-per-account.toml: \"Per key each key has 100 RPM and nothing is refused ... (policy.scope = \\\"account\\\", this file), the two keys share 100 RPM: about a sixth of all requests are refused\"";

#[test]
fn limits_per_account_are_shared_by_every_key() {
    let sc = bundled("limits-per-account");
    assert_eq!(sc.policy.scope, LimitScope::Account);
    let shared = run(&sc);
    let succeeded: u64 = shared.groups.iter().map(|g| g.succeeded).sum();
    let arrivals: u64 = shared.groups.iter().map(|g| g.arrivals).sum();
    let refused: u64 = shared
        .groups
        .iter()
        .map(|g| g.rejected_by(Cause::Requests))
        .sum();
    // One set of counters: at most 100 a minute for both keys together.
    let rows: Vec<_> = shared
        .limits
        .iter()
        .filter(|l| l.limit.counts == Counts::Requests)
        .collect();
    assert_eq!(
        rows.len(),
        1,
        "{ACCOUNT}: the account's counters are listed once"
    );
    assert!(rows[0].admitted <= rows[0].capacity && rows[0].capacity == 1_000);
    assert!(succeeded <= rows[0].admitted);
    let share = refused as f64 / arrivals as f64;
    assert!(
        (0.10..0.22).contains(&share),
        "{ACCOUNT}: {:.1}% refused",
        100.0 * share
    );
    for g in &shared.groups {
        assert!(
            g.rejected_by(Cause::Requests) > 0,
            "{ACCOUNT}: both keys meet the shared limit"
        );
    }

    let mut per_key = sc.clone();
    per_key.policy.scope = LimitScope::Key;
    let own = run(&per_key);
    for g in &own.groups {
        assert_eq!(g.share_429(), 0.0, "{ACCOUNT}: per key nothing is refused");
    }
}

const READINGS: &str = "lockout-reading-*.toml: \"Under the rate-limit page's reading the loop's own 429s trip the abuse lockout and its refusals keep the key blocked for most of the run, so fewer requests get through than the 20 RPM allow. Under the developer guides' reading ... the same loop is never locked out and gets the full 20 RPM\"";

#[test]
fn the_same_retry_loop_is_locked_out_under_the_page_and_never_under_the_guides() {
    let page = bundled("lockout-reading-page");
    let guides = bundled("lockout-reading-guides");
    assert_eq!(page.policy.lockout.reading, LockoutReading::RateLimitPage);
    assert_eq!(
        guides.policy.lockout.reading,
        LockoutReading::DeveloperGuides
    );
    // The two files differ only in the reading.
    let mut same = guides.clone();
    same.policy.lockout = page.policy.lockout.clone();
    same.name = page.name.clone();
    same.description = page.description.clone();
    same.path = page.path.clone();
    assert_eq!(
        format!("{same:?}"),
        format!("{page:?}"),
        "the pair must differ only in the reading"
    );

    let (p, g) = (run(&page), run(&guides));
    let horizon = page.horizon().as_secs_f64();
    let minutes = page.duration.as_secs_f64() / 60.0;
    let (pg, gg) = (&p.groups[0], &g.groups[0]);
    assert!(
        pg.locked_out.as_secs_f64() > 0.5 * horizon,
        "{READINGS}: page reading locked out {:.0} s of {horizon:.0}",
        pg.locked_out.as_secs_f64()
    );
    assert!(
        (pg.succeeded as f64) < 0.5 * 20.0 * minutes,
        "{READINGS}: {} got through",
        pg.succeeded
    );
    assert_eq!(gg.locked_out, Nanos::ZERO, "{READINGS}");
    assert!(
        g.lockouts.is_empty() && gg.rejected_by(Cause::Lockout) == 0,
        "{READINGS}"
    );
    assert!(
        gg.succeeded as f64 >= 0.95 * 20.0 * minutes,
        "{READINGS}: guides reading got only {}",
        gg.succeeded
    );
    // The guides count no status ratesim answers.
    assert!(guides.policy.lockout.statuses.is_empty());
    assert_eq!(guides.policy.lockout.threshold, 50);
}

const VIDEO: &str = "video-per-call.toml: \"a video request (its queue call) meets 40 RPM: at 60 a minute with no retries, about a third of the requests are refused with RPM 429s\"";

#[test]
fn video_per_call_meets_forty_rpm_and_unlimited_video_meets_none() {
    let sc = bundled("video-per-call");
    let video = sc.policy.model_index("kling-v3-pro-text-to-video").unwrap();
    assert_eq!(
        sc.policy.models[video as usize].limits,
        [LimitSpec::rpm(40)]
    );
    let o = run(&sc);
    let g = &o.groups[0];
    let share = g.rejected_by(Cause::Requests) as f64 / g.arrivals as f64;
    assert!(
        (0.25..0.40).contains(&share),
        "{VIDEO}: {:.1}% refused",
        100.0 * share
    );
    assert_eq!(g.rejected_total(), g.rejected_by(Cause::Requests));
    // The current page's reading: the same traffic is never refused.
    let mut unlimited = sc.clone();
    unlimited.policy = bundled("video-unlimited").policy;
    unlimited.policy.lockout.enabled = false;
    assert_eq!(run(&unlimited).groups[0].rejected_total(), 0);
}

/// One chat model at 90 a minute against 100 RPM, growing 20% a month for
/// six months (×3 at the horizon), on one or two keys.
fn growing(scope: &str, keys: usize) -> Scenario {
    let mut text = format!(
        r#"
name = "grow"
seed = 4
duration = "10m"
[policy]
scope = "{scope}"
[plan]
growth = 0.2
horizon_months = 6
max_share_429 = 0.01
"#
    );
    for k in 0..keys {
        text += &format!(
            r#"
[[groups]]
name = "g{k}"
key = "k{k}"
model = "llama-3.3-70b"
arrival = {{ process = "poisson", rate = "{}/min" }}
input_tokens = 400
output_tokens = 100
strategy = {{ kind = "none" }}
"#,
            90 / keys
        );
    }
    inline(&text)
}

fn quick_plan(sc: &Scenario) -> (plan::PlanResult, String) {
    let mut s = Settings::from_scenario(sc);
    s.factors = vec![0.5, 1.0, 2.0];
    s.replications = 2;
    s.bisect_steps = 2;
    s.candidates.clear();
    let res = plan::run(sc, &s, &|_| {}).unwrap();
    let md = report_md(sc, &res);
    (res, md)
}

#[test]
fn plan_offers_more_keys_only_when_limits_count_per_key_and_states_the_partner_limits() {
    let (res, md) = quick_plan(&growing("key", 1));
    let sc = growing("key", 1);
    let m = sc.policy.model_index("llama-3.3-70b").unwrap();
    let k = res
        .limit_multiple(Scope::Model(m))
        .expect("some multiple meets it");
    assert!(
        k > 1,
        "the projected load must need more than today's limits"
    );
    assert!(
        md.contains("helps only because the limits count per key"),
        "{md}"
    );
    assert!(!md.contains("More keys would not help"), "{md}");
    // The partner sentence states today's limits times the multiple found.
    let needed = format!(
        "A partner agreement would need at least: `llama-3.3-70b` {} RPM, {} TPM (×{k})",
        thousands(100 * u64::from(k)),
        thousands(2_000_000 * u64::from(k))
    );
    assert!(md.contains(&needed), "{needed} not in {md}");
    let covered = if k <= 2 {
        "covers that"
    } else {
        "That is beyond the `venice-partner` preset"
    };
    assert!(md.contains(covered), "{md}");

    let (_, md) = quick_plan(&growing("account", 2));
    assert!(
        md.contains("More keys would not help: the limits count per account"),
        "{md}"
    );
    assert!(!md.contains("traffic split evenly"), "{md}");
}

fn thousands(n: u64) -> String {
    ratesim::report::numbers::thousands(n)
}

#[test]
fn the_partner_preset_doubles_the_standard_limits_and_the_old_table_keeps_its_name() {
    let partner = inline(
        r#"
name = "p"
duration = "1m"
[policy]
preset = "venice-partner"
[[groups]]
name = "g"
model = "llama-3.3-70b"
arrival = { process = "poisson", rate = "60/min" }
input_tokens = 100
output_tokens = 10
"#,
    );
    let m = partner.policy.model_index("llama-3.3-70b").unwrap();
    assert_eq!(
        partner.policy.models[m as usize].limits,
        [LimitSpec::rpm(200), LimitSpec::tpm(4_000_000)]
    );
    assert_eq!(partner.policy.tier(), "partner-tier-1");
    let legacy = inline(
        r#"
name = "p"
duration = "1m"
[policy]
preset = "venice-partner-legacy"
[[groups]]
name = "g"
model = "llama-3.3-70b"
arrival = { process = "poisson", rate = "60/min" }
input_tokens = 100
output_tokens = 10
"#,
    );
    assert_eq!(legacy.policy.tier(), "partner");
}

#[test]
fn under_account_scope_keys_share_the_counters_and_headers_but_not_the_lockout() {
    use ratesim::policy::limiter::{Admission, Limiter};
    use ratesim::response::Status;
    let sc = inline(
        r#"
name = "a"
duration = "1m"
[policy]
scope = "account"
[[groups]]
name = "g"
model = "z-image-turbo"
arrival = { process = "poisson", rate = "1/min" }
"#,
    );
    let image = sc.policy.model_index("z-image-turbo").unwrap();
    let mut limiter = Limiter::new(&sc.policy, 2, sc.clock);
    let at = Nanos::from_secs(1);
    for i in 0..20 {
        let key = i % 2;
        assert_eq!(
            limiter.admit(at, key, image, 0).0,
            Admission::Admitted,
            "request {i}"
        );
    }
    // Twenty admitted over both keys exhaust the account's 20 RPM for each.
    for key in 0..2 {
        let (admission, headers) = limiter.admit(at, key, image, 0);
        assert_eq!(admission, Admission::Limited(0));
        assert_eq!(headers.remaining_requests, Some(0));
    }
    // The lockout stays per key: key 0's failures do not block key 1.
    for _ in 0..21 {
        limiter.record_status(at, 0, Status::TooMany, false, 0);
    }
    assert!(limiter.is_locked_out(at, 0) && !limiter.is_locked_out(at, 1));
    // One row for the account's counters, under the key that used them first.
    let stats = limiter.limit_stats(Nanos::from_secs(60));
    assert_eq!(stats.len(), 1);
    assert_eq!(
        (stats[0].key, stats[0].admitted, stats[0].refused),
        (0, 20, 2)
    );
}
