//! Every claim README.md and docs/*.md make about a bundled scenario's
//! outcome, asserted on a run of that scenario (its own seed), with a margin.
//! Each test quotes the sentence it checks; when a scenario changes so that a
//! sentence is no longer true, the test names the sentence to correct.

mod support;

use ratesim::compare::{run_with_threads, Comparison, Plan};
use ratesim::outcome::{GroupStats, IntervalStats, Outcome};
use ratesim::policy::Counts;
use ratesim::response::Cause;
use ratesim::scenario::{Scenario, Workload};
use ratesim::stats::Estimate;
use ratesim::strategy::Refusal;
use ratesim::time::Nanos;
use support::repo;

fn load(name: &str) -> Scenario {
    ratesim::scenario::load(&repo(&format!("scenarios/{name}.toml")))
        .unwrap_or_else(|e| panic!("scenarios/{name}.toml does not load: {e:?}"))
}

fn run(name: &str) -> (Scenario, Outcome) {
    let sc = load(name);
    let o = ratesim::experiment::simulate_quiet(&sc, sc.seed).unwrap();
    (sc, o)
}

fn index(sc: &Scenario, group: &str) -> usize {
    sc.groups
        .iter()
        .position(|g| g.name == group)
        .unwrap_or_else(|| panic!("{} has no group {group}", sc.name))
}

fn group<'a>(sc: &Scenario, o: &'a Outcome, name: &str) -> &'a GroupStats {
    &o.groups[index(sc, name)]
}

fn secs(t: Nanos) -> f64 {
    t.as_secs_f64()
}

/// The group's time series summed over `[from, to)` (whole intervals that
/// start in it).
fn window(sc: &Scenario, o: &Outcome, name: &str, from_s: u64, to_s: u64) -> IntervalStats {
    let step = o.series.interval.0;
    let mut sum = IntervalStats::default();
    for (i, row) in o.series.rows[index(sc, name)].iter().enumerate() {
        let t = i as u64 * step;
        if t >= from_s * 1_000_000_000 && t < to_s * 1_000_000_000 {
            sum.merge(row);
        }
    }
    sum
}

/// The utilisation (admitted / capacity) of `model`'s request and token
/// limits on the group's key.
fn utilisation(sc: &Scenario, o: &Outcome, name: &str) -> (f64, f64) {
    let g = &sc.groups[index(sc, name)];
    let Workload::Synthetic(w) = &g.workload else {
        panic!("{name} is not a synthetic group")
    };
    let model = w.models[0].0;
    let of = |counts: Counts| {
        o.limits
            .iter()
            .find(|l| l.key == g.key && l.model == model && l.limit.counts == counts)
            .map(|l| l.utilisation())
            .unwrap_or_else(|| panic!("{name}: no {counts:?} limit row"))
    };
    (of(Counts::Requests), of(Counts::Tokens))
}

fn goodput_per_min(o: &Outcome, g: &GroupStats) -> f64 {
    g.succeeded as f64 / (secs(o.horizon) / 60.0)
}

// ---- README.md, "Bundled scenarios" ----------------------------------------

const QUICKSTART: &str = "README: quickstart.toml shows \"a chat service and image and speech traffic within their limits on one key; on its own key, an image batch whose bursts overrun its 20 RPM and whose retries every second trip the abuse lockout\"";

#[test]
fn quickstart_batch_overruns_its_rpm_and_trips_the_lockout_the_prod_key_does_not() {
    let (sc, o) = run("quickstart");
    let batch = group(&sc, &o, "batch-images");
    let batch_key = sc.groups[index(&sc, "batch-images")].key;
    assert!(
        batch.rejected_by(Cause::Requests) >= 20,
        "{QUICKSTART}: the batch met only {} RPM 429s",
        batch.rejected_by(Cause::Requests)
    );
    let blocks: Vec<_> = o.blocks_of(batch_key).collect();
    assert!(
        secs(batch.locked_out) >= 120.0 && !blocks.is_empty(),
        "{QUICKSTART}: the batch key was locked out for only {:.0} s",
        secs(batch.locked_out)
    );
    let me = index(&sc, "batch-images") as u32;
    assert!(
        blocks.iter().all(|b| b.groups == [me]),
        "{QUICKSTART}: a block of the batch key was tripped by another group: {blocks:?}"
    );
    for name in ["chat", "thumbnails", "voice"] {
        let g = group(&sc, &o, name);
        let key = sc.groups[index(&sc, name)].key;
        assert!(
            key != batch_key && o.blocks_of(key).next().is_none(),
            "{QUICKSTART}: {name}'s key was locked out"
        );
        assert!(
            g.gave_up_total() == 0 && g.succeeded == g.arrivals && g.share_429() < 0.01,
            "{QUICKSTART}: {name} is not within its limits: {} of {} succeeded, {:.1}% 429s",
            g.succeeded,
            g.arrivals,
            100.0 * g.share_429()
        );
    }
}

const QUICKSTART_COMPARE: &str = "README: compare on quickstart \"gives the image batch six strategies on the identical workload: header-aware retries wait for the window's reset and deliver every request without a lockout; no-retry loses the overflow; constant, exponential, full-jitter and decorrelated retries hit the full window again, trip the abuse lockout, and constant-1s delivers less than not retrying at all\"";

fn quickstart_comparison() -> (Scenario, Comparison) {
    let sc = load("quickstart");
    let spec = sc
        .compare
        .clone()
        .expect("quickstart has a [compare] table");
    let plan = Plan {
        strategies: spec.strategies,
        replications: spec.replications.unwrap_or(10),
        groups: spec.groups,
        base_seed: sc.seed,
    };
    let c = run_with_threads(&sc, &plan, None, &|| {}).unwrap();
    (sc, c)
}

fn strategy(c: &Comparison, name: &str) -> usize {
    c.plan
        .strategies
        .iter()
        .position(|s| s.name == name)
        .unwrap_or_else(|| panic!("quickstart's [compare] has no strategy {name}"))
}

fn estimate(c: &Comparison, name: &str, f: impl Fn(&GroupStats) -> f64) -> Estimate {
    let values: Vec<f64> = c
        .runs_of(strategy(c, name))
        .iter()
        .map(|r| f(&r.stats))
        .collect();
    Estimate::of(&values)
}

#[test]
fn quickstart_compare_tells_the_strategies_apart() {
    let (sc, c) = quickstart_comparison();
    assert_eq!(
        c.plan.groups,
        vec![index(&sc, "batch-images")],
        "{QUICKSTART_COMPARE}: the comparison is about the image batch"
    );
    assert!(c.plan.replications >= 5);
    let succeeded = |name| estimate(&c, name, |s| s.succeeded as f64);
    let locked = |name| estimate(&c, name, |s| secs(s.locked_out));

    for r in c.runs_of(strategy(&c, "header-aware")) {
        assert!(
            r.stats.gave_up_total() == 0
                && r.stats.in_flight == 0
                && r.stats.succeeded == r.stats.arrivals
                && r.lockouts.is_empty(),
            "{QUICKSTART_COMPARE}: header-aware, seed {}: {} of {} succeeded, {} block(s)",
            r.seed,
            r.stats.succeeded,
            r.stats.arrivals,
            r.lockouts.len()
        );
    }
    for r in c.runs_of(strategy(&c, "no-retry")) {
        assert!(
            r.lockouts.is_empty() && r.stats.gave_up_total() > 0,
            "{QUICKSTART_COMPARE}: no-retry, seed {}: {} block(s), {} given up",
            r.seed,
            r.lockouts.len(),
            r.stats.gave_up_total()
        );
    }
    let (best, none) = (succeeded("header-aware"), succeeded("no-retry"));
    assert!(
        best.low() > none.high(),
        "{QUICKSTART_COMPARE}: header-aware {:.1} ± {:.1} successes does not beat no-retry {:.1} ± {:.1} beyond the 95% intervals",
        best.mean,
        best.half_width,
        none.mean,
        none.half_width
    );
    for name in ["constant-1s", "exponential", "full-jitter", "decorrelated"] {
        let l = locked(name);
        assert!(
            l.low() > 30.0,
            "{QUICKSTART_COMPARE}: {name} is locked out {:.0} ± {:.0} s per run",
            l.mean,
            l.half_width
        );
    }
    let constant = succeeded("constant-1s");
    assert!(
        constant.high() < none.low(),
        "{QUICKSTART_COMPARE}: constant-1s {:.1} ± {:.1} successes is not below no-retry {:.1} ± {:.1} beyond the 95% intervals",
        constant.mean,
        constant.half_width,
        none.mean,
        none.half_width
    );
}

const TPM_BOUND: &str =
    "README: tpm-bound.toml shows \"long prompts: the token limit binds before RPM\"";

#[test]
fn tpm_bound_token_limit_binds_before_rpm() {
    let (sc, o) = run("tpm-bound");
    let rag = group(&sc, &o, "rag");
    assert!(
        rag.rejected_by(Cause::Tokens) >= 10 && rag.rejected_by(Cause::Requests) == 0,
        "{TPM_BOUND}: {} TPM 429s, {} RPM 429s",
        rag.rejected_by(Cause::Tokens),
        rag.rejected_by(Cause::Requests)
    );
    let (rpm, tpm) = utilisation(&sc, &o, "rag");
    assert!(
        tpm > 2.0 * rpm,
        "{TPM_BOUND}: TPM utilisation {:.0}% is not well above RPM utilisation {:.0}%",
        100.0 * tpm,
        100.0 * rpm
    );
}

const LOCKOUT_OUTAGE: &str = "README: lockout-outage.toml shows \"a 5-minute 503 outage, three groups on keys of their own: fast constant retries and full jitter alike lock their keys out, and their refused retries keep them locked until the traffic stops, long after the outage; a client that does not retry is never locked out\"";

#[test]
fn lockout_outage_both_retrying_groups_stay_locked_out_the_non_retrying_one_never() {
    let (sc, o) = run("lockout-outage");
    let outage = o.outages[0];
    for name in ["eager", "patient"] {
        let gi = index(&sc, name);
        let key = sc.groups[gi].key;
        let g = &o.groups[gi];
        let blocks: Vec<_> = o.blocks_of(key).collect();
        assert!(
            blocks.iter().all(|b| b.groups == [gi as u32]),
            "{LOCKOUT_OUTAGE}: {name}'s key was blocked by another group: {blocks:?}"
        );
        let first = blocks
            .first()
            .unwrap_or_else(|| panic!("{LOCKOUT_OUTAGE}: {name} was never locked out"));
        let last_end = blocks.iter().map(|b| b.end).max().unwrap();
        assert!(
            first.start >= outage.start && first.start < outage.end,
            "{LOCKOUT_OUTAGE}: {name}'s first block starts at {:.0} s, outside the outage",
            secs(first.start)
        );
        assert!(
            last_end >= sc.duration && last_end.0 >= outage.end.0 + 5 * Nanos::MINUTE.0,
            "{LOCKOUT_OUTAGE}: {name}'s key is unblocked at {:.0} s; the outage ends at {:.0} s and arrivals at {:.0} s",
            secs(last_end),
            secs(outage.end),
            secs(sc.duration)
        );
        let after = window(
            &sc,
            &o,
            name,
            secs(outage.end) as u64 + 60,
            secs(sc.duration) as u64,
        );
        assert!(
            after.successes == 0 && secs(g.locked_out) > 2.0 * secs(outage.end - outage.start),
            "{LOCKOUT_OUTAGE}: {name} recovered after the outage ({} successes, {:.0} s locked out)",
            after.successes,
            secs(g.locked_out)
        );
    }
    let none = group(&sc, &o, "no-retry");
    let key = sc.groups[index(&sc, "no-retry")].key;
    assert!(
        o.blocks_of(key).next().is_none() && none.locked_out == Nanos::ZERO,
        "{LOCKOUT_OUTAGE}: no-retry was locked out for {:.0} s",
        secs(none.locked_out)
    );
    assert!(
        none.success_share() > 0.65,
        "{LOCKOUT_OUTAGE}: no-retry delivered only {:.0}% of its requests",
        100.0 * none.success_share()
    );
}

const VIDEO: &str =
    "README: video-unlimited.toml shows \"video is never limited; images at the same rate are\"";

#[test]
fn video_is_never_limited_images_at_the_same_rate_are() {
    let (sc, o) = run("video-unlimited");
    let (video, images) = (group(&sc, &o, "video"), group(&sc, &o, "images"));
    assert!(
        video.rejected_total() == 0 && video.succeeded == video.arrivals,
        "{VIDEO}: video met {} 429s, {} of {} succeeded",
        video.rejected_total(),
        video.succeeded,
        video.arrivals
    );
    let ratio = images.arrivals as f64 / video.arrivals as f64;
    assert!(
        (0.9..1.1).contains(&ratio),
        "{VIDEO}: images arrive at {ratio:.2}x the video rate"
    );
    assert!(
        images.rejected_by(Cause::Requests) > 0 && images.success_share() < 0.5,
        "{VIDEO}: images met {} RPM 429s and {:.0}% succeeded",
        images.rejected_by(Cause::Requests),
        100.0 * images.success_share()
    );
}

const PLAN_QUICKSTART: &str = "README: plan-quickstart.toml holds \"a TPM-bound RAG job\"";

#[test]
fn plan_quickstart_rag_job_is_tpm_bound() {
    let (sc, o) = run("plan-quickstart");
    let (rpm, tpm) = utilisation(&sc, &o, "rag");
    // Load scales both limits' use together, so the more used one binds first.
    assert!(
        tpm > 1.05 * rpm,
        "{PLAN_QUICKSTART}: rag's TPM utilisation {:.1}% is not above its RPM utilisation {:.1}%",
        100.0 * tpm,
        100.0 * rpm
    );
}

// ---- docs/strategies.md, "What the scenarios show" -------------------------

const PACERS: &str = "docs/strategies.md: strategies-pacers.toml \"a token bucket at 90% never gets a 429 (its requests wait in the client instead); unpaced retries trip the abuse lockout. The cookbook processor at the 75% it recommends bursts 150 sends into its first minute ... and the 429s trip Venice's lockout, which its 15 s pause ... never waits out\"";

#[test]
fn pacers_bucket_never_429s_unpaced_and_cookbook_are_locked_out() {
    let (sc, o) = run("strategies-pacers");
    let bucket = group(&sc, &o, "bucket-90");
    assert!(
        bucket.rejected_total() == 0 && bucket.mean_client_wait() > 1.0,
        "{PACERS}: bucket-90 met {} 429s and waited {:.1} s in the client",
        bucket.rejected_total(),
        bucket.mean_client_wait()
    );
    let unpaced = group(&sc, &o, "unpaced");
    assert!(
        secs(unpaced.locked_out) > 60.0,
        "{PACERS}: unpaced was locked out {:.0} s",
        secs(unpaced.locked_out)
    );
    let cookbook = group(&sc, &o, "cookbook-75");
    let first = window(&sc, &o, "cookbook-75", 0, 60);
    assert!(
        first.attempts > 130,
        "{PACERS}: cookbook-75 sent {} in its first minute",
        first.attempts
    );
    let later = window(&sc, &o, "cookbook-75", 120, secs(sc.duration) as u64);
    assert!(
        secs(cookbook.locked_out) > 300.0 && later.successes == 0,
        "{PACERS}: cookbook-75 locked out {:.0} s, {} successes after minute 2",
        secs(cookbook.locked_out),
        later.successes
    );
}

const ADAPTIVE: &str = "docs/strategies.md: strategies-adaptive.toml \"AWS standard mode drains its quota and is locked out; adaptive mode holds about 95 of 100 RPM with few 429s. AIMD and the ATB ... collapse to about 40/min against fixed windows\"";

#[test]
fn adaptive_aws_standard_locked_out_adaptive_near_the_limit_aimd_atb_near_40() {
    let (sc, o) = run("strategies-adaptive");
    let standard = group(&sc, &o, "aws-standard");
    assert!(
        standard.refused_by(Refusal::Budget) > 0 && secs(standard.locked_out) > 300.0,
        "{ADAPTIVE}: aws-standard: {} refused by its quota, {:.0} s locked out",
        standard.refused_by(Refusal::Budget),
        secs(standard.locked_out)
    );
    let adaptive = group(&sc, &o, "aws-adaptive");
    let rate = goodput_per_min(&o, adaptive);
    assert!(
        (88.0..=100.0).contains(&rate) && adaptive.share_429() < 0.12,
        "{ADAPTIVE}: aws-adaptive {rate:.1}/min with {:.1}% 429s",
        100.0 * adaptive.share_429()
    );
    for name in ["aimd", "atb"] {
        let rate = goodput_per_min(&o, group(&sc, &o, name));
        assert!(
            (32.0..=48.0).contains(&rate),
            "{ADAPTIVE}: {name} delivers {rate:.1}/min"
        );
    }
}

const BUDGETS: &str = "docs/strategies.md: strategies-budgets.toml \"unbudgeted retries triple the attempts; the AWS quota and gRPC throttling cut retries to almost none. The ratio budget allows about 12 retries a second ... 0.6 retries per request over the run, against 2 without a budget. SRE throttling refuses almost every request locally during the outage and recovers slowly after it\"";

#[test]
fn budgets_cut_retries_as_documented() {
    let (sc, o) = run("strategies-budgets");
    let retries = |name| {
        let g = group(&sc, &o, name);
        (g.attempts - g.arrivals) as f64 / g.arrivals as f64
    };
    let none = group(&sc, &o, "no-budget");
    let x = none.attempts as f64 / none.arrivals as f64;
    assert!(
        (2.7..=3.3).contains(&x),
        "{BUDGETS}: no-budget sends {x:.2} attempts per request"
    );
    for name in ["aws-quota", "grpc"] {
        assert!(
            retries(name) < 0.05,
            "{BUDGETS}: {name} retries {:.3} per request",
            retries(name)
        );
    }
    let ratio = retries("ratio");
    let outage = o.outages[0];
    let g = group(&sc, &o, "ratio");
    let per_sec = (g.attempts - g.arrivals) as f64 / secs(outage.end - outage.start);
    assert!(
        (0.45..=0.75).contains(&ratio) && (10.0..=14.0).contains(&per_sec),
        "{BUDGETS}: ratio retries {ratio:.2} per request, {per_sec:.1} a second of outage"
    );
    let start = secs(outage.start) as u64;
    let end = secs(outage.end) as u64;
    let during = window(&sc, &o, "sre", (start + end) / 2, end);
    assert!(
        (during.attempts as f64) < 0.05 * during.offered as f64,
        "{BUDGETS}: sre sent {} of {} requests in the second half of the outage",
        during.attempts,
        during.offered
    );
    let after = window(&sc, &o, "sre", end + 120, secs(sc.duration) as u64);
    assert!(
        after.successes > 0 && (after.successes as f64) < 0.5 * after.offered as f64,
        "{BUDGETS}: sre delivered {} of {} requests 2 minutes and more after the outage",
        after.successes,
        after.offered
    );
}

const BREAKER: &str = "docs/strategies.md: strategies-breaker.toml \"the breaker cuts traffic to a probe every 30 s during the outage and resumes within 30 s of its end\"";

#[test]
fn breaker_probes_every_30s_and_resumes_within_30s() {
    let (sc, o) = run("strategies-breaker");
    let outage = o.outages[0];
    let (start, end) = (secs(outage.start) as u64, secs(outage.end) as u64);
    // From 30 s into the outage (the breaker has opened) to its end.
    let open = window(&sc, &o, "breaker", start + 30, end);
    let probes = (end - start - 30) / 30;
    assert!(
        open.attempts as u64 <= probes + 1 && open.attempts as u64 + 1 >= probes,
        "{BREAKER}: {} attempts in {} s of open breaker, expected about {probes}",
        open.attempts,
        end - start - 30
    );
    let resumed = window(&sc, &o, "breaker", end + 30, secs(sc.duration) as u64);
    assert!(
        resumed.attempts == resumed.offered && resumed.errors_5xx == 0,
        "{BREAKER}: from 30 s after the outage {} attempts for {} requests",
        resumed.attempts,
        resumed.offered
    );
}

const SDKS: &str = "docs/strategies.md: strategies-sdks.toml \"with Retry-After: 90s on overloaded answers, openai-python (current) and the Venice clients wait 90 s; the legacy OpenAI and Anthropic SDKs ignore it and retry after 0.5 s\"";

#[test]
fn sdks_that_honour_retry_after_wait_90s_the_others_do_not() {
    let (sc, o) = run("strategies-sdks");
    for name in ["openai-python", "venice-py", "venice-docs-example"] {
        let g = group(&sc, &o, name);
        assert!(
            g.rejected_by(Cause::Overloaded) > 0 && g.completion_max() >= 90.0,
            "{SDKS}: {name}'s slowest success took {:.1} s",
            g.completion_max()
        );
    }
    for name in ["openai-python-legacy", "anthropic-python"] {
        let g = group(&sc, &o, name);
        assert!(
            g.rejected_by(Cause::Overloaded) > 0 && g.completion_max() < 10.0,
            "{SDKS}: {name}'s slowest success took {:.1} s",
            g.completion_max()
        );
    }
}
