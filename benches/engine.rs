//! Criterion benches for the hot paths: the event queue, the limiter's
//! admission check, and whole scenarios. Each reports elements per second
//! (queue operations, admissions, simulation events).
//!
//! The full one-day, 14.4M-request scenario (`benches/day-10k-rpm.toml`) takes
//! seconds per run; the `scenario` group runs its first hour, and the full day
//! is timed with `ratesim run benches/day-10k-rpm.toml` (see README).

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ratesim::engine::queue::EventQueue;
use ratesim::experiment::{simulate, simulate_quiet, Variant};
use ratesim::outcome::NoSink;
use ratesim::policy::catalogue::resolve;
use ratesim::policy::limiter::Limiter;
use ratesim::policy::presets::preset;
use ratesim::policy::{Policy, WindowAlgo};
use ratesim::time::{Clock, Nanos};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::time::Instant;

fn queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue");
    // A steady state of ~1,000 pending events, as in a busy run: each step pops
    // the earliest and pushes one a little later.
    let n = 100_000u64;
    g.throughput(Throughput::Elements(n));
    // Two spreads of the pushed times: answers 0.1-4 s ahead, as in a busy
    // run (the calendar's ring), and everything within 1 ms, a burst the
    // calendar keeps in one bucket (its heap for late pushes).
    for (name, spread) in [
        ("pop+push at depth 1000, 0.1-4 s ahead", 3_900_000_000u64),
        ("pop+push at depth 1000, within 1 ms", 1_000_000),
    ] {
        let floor = if spread > 1_000_000 { 100_000_000 } else { 1 };
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut q = EventQueue::new();
                    for i in 0..1000u64 {
                        q.push(Nanos(floor + i.wrapping_mul(7_919) % spread), i as u32);
                    }
                    q
                },
                |mut q| {
                    for i in 0..n {
                        let (t, e) = q.pop().unwrap();
                        q.push(
                            Nanos(t.0 + floor + (i.wrapping_mul(2_654_435_761) % spread)),
                            e,
                        );
                    }
                    q
                },
                BatchSize::LargeInput,
            )
        });
    }
    // The floor: a bare std BinaryHeap of packed u64 keys doing the same
    // hold loop, nothing else. See `floor_ratio` for the ratio printed.
    g.bench_function("raw BinaryHeap floor, depth 1000", |b| {
        b.iter_batched(
            || floor_heap(1000),
            |mut h| {
                hold(&mut h, n);
                h
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// A heap of `depth` packed (time << 20 | seq) keys.
fn floor_heap(depth: u64) -> BinaryHeap<Reverse<u64>> {
    let mut h = BinaryHeap::with_capacity(2 * depth as usize);
    for i in 0..depth {
        h.push(Reverse((i.wrapping_mul(7_919) % 1_000_000) << 20 | i));
    }
    h
}

/// `n` hold operations: pop the earliest, push one a little later.
fn hold(h: &mut BinaryHeap<Reverse<u64>>, n: u64) {
    for i in 0..n {
        let Reverse(key) = h.pop().unwrap();
        let next = (key >> 20) + 1 + (i.wrapping_mul(2_654_435_761) % 1_000_000);
        h.push(Reverse(next << 20 | (i & 0xfffff)));
    }
}

/// Prints the engine's events per second on `sc` next to the raw heap
/// floor's operations per second, measured back to back (best of 3 each),
/// and their ratio: the share of its queue's speed the engine keeps. Twice:
/// for one engine holding every group, and for the run as `ratesim run` and
/// every job make it, each key-disjoint set of groups on an engine of its
/// own in turn (their queues are shallower than the floor's 1000).
fn floor_ratio(name: &str, sc: &ratesim::scenario::Scenario) {
    let best = |f: &mut dyn FnMut() -> u64| {
        (0..3)
            .map(|_| {
                let t = Instant::now();
                let ops = f();
                ops as f64 / t.elapsed().as_secs_f64()
            })
            .fold(0.0f64, f64::max)
    };
    let whole = Variant::of(sc);
    let one = best(&mut || simulate(&whole, sc.seed, &mut NoSink).unwrap().events);
    let split = best(&mut || simulate_quiet(sc, sc.seed).unwrap().events);
    let events = simulate_quiet(sc, sc.seed).unwrap().events;
    let floor = best(&mut || {
        let mut h = floor_heap(1000);
        hold(&mut h, events);
        black_box(h.len() as u64);
        events
    });
    for (how, engine) in [
        ("one engine", one),
        ("an engine per key-disjoint set", split),
    ] {
        println!(
            "{name}, {how}: {:.2}M events/s, raw BinaryHeap floor {:.2}M ops/s at depth 1000: {:.0}% of the floor",
            engine / 1e6,
            floor / 1e6,
            100.0 * engine / floor
        );
    }
}

fn policy(c: &mut Criterion) {
    let mut g = c.benchmark_group("policy");
    let models = resolve(preset("venice").unwrap(), &[]).unwrap();
    let model = models.iter().position(|m| m.id == "llama-3.3-70b").unwrap() as u32;
    let n = 100_000u64;
    g.throughput(Throughput::Elements(n));
    for algo in [
        WindowAlgo::Fixed,
        WindowAlgo::SlidingLog,
        WindowAlgo::TokenBucket(Default::default()),
        WindowAlgo::Gcra(Default::default()),
    ] {
        let policy = Policy {
            preset: "venice".into(),
            models: models.clone(),
            window: algo,
            tpm: Default::default(),
            lockout: Default::default(),
            header_units: Default::default(),
            scope: Default::default(),
            video: Default::default(),
        };
        g.bench_function(format!("admit ({})", algo.name()), |b| {
            b.iter_batched(
                || {
                    Limiter::new(
                        &policy,
                        1,
                        Clock {
                            start_unix_ms: 1_776_686_400_000,
                        },
                    )
                },
                |mut lim| {
                    // 100 admissions per simulated minute: right at the RPM limit.
                    for i in 0..n {
                        black_box(lim.admit(Nanos(i * 600_000_000), 0, model, 2_000));
                    }
                    lim
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// 200 closed-loop workers against a 600 RPM model: every end of a request
/// schedules the worker's next, so this measures the worker path.
const CLOSED_LOOP: &str = r#"
name = "closed-loop"
duration = "1h"
[[policy.models]]
id = "llama-3.3-70b"
rpm = 600
tpm = 100000000
[[groups]]
name = "workers"
key = "k"
model = "llama-3.3-70b"
arrival = { process = "closed", workers = 200, think = "2s", think_dist = "exponential" }
input_tokens = 500
output_tokens = { dist = "uniform", min = 50, max = 300 }
strategy = { kind = "full-jitter", base = "500ms", cap = "20s", max_attempts = 6 }
"#;

/// Constant fast retries at three times a 100 RPM limit with the abuse
/// lockout on: most attempts are refused by the lockout, so this measures
/// the refusal path (the lockout's counting, the 429 answers).
const LOCKOUT_HEAVY: &str = r#"
name = "lockout-heavy"
duration = "1h"
[[policy.models]]
id = "llama-3.3-70b"
rpm = 100
tpm = 100000000
[[groups]]
name = "hammer"
key = "k"
model = "llama-3.3-70b"
arrival = { process = "poisson", rate = "5/s" }
input_tokens = 500
output_tokens = 100
strategy = { kind = "constant", delay = "1s", max_attempts = 8 }
"#;

fn scenario(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    g.sample_size(10);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let quick = ratesim::scenario::load(&root.join("scenarios/quickstart.toml")).unwrap();
    let text = std::fs::read_to_string(root.join("benches/day-10k-rpm.toml")).unwrap();
    let hour = ratesim::scenario::parse(
        &text.replace("duration = \"1d\"", "duration = \"1h\""),
        &root.join("benches/day-10k-rpm.toml"),
    )
    .unwrap();
    let long = ratesim::scenario::parse(
        &std::fs::read_to_string(root.join("benches/long-poisson.toml"))
            .unwrap()
            .replace("duration = \"100h\"", "duration = \"10h\""),
        &root.join("benches/long-poisson.toml"),
    )
    .unwrap();
    let closed = ratesim::scenario::parse(CLOSED_LOOP, &root.join("closed-loop.toml")).unwrap();
    let lockout =
        ratesim::scenario::parse(LOCKOUT_HEAVY, &root.join("lockout-heavy.toml")).unwrap();
    for (name, sc) in [
        ("quickstart", &quick),
        ("10k-rpm, 10 models, 1 hour", &hour),
        ("long-poisson (SimPy model), 10 hours", &long),
        ("closed loop, 200 workers, 1 hour", &closed),
        ("lockout-heavy, 1 hour", &lockout),
    ] {
        let events = simulate_quiet(sc, sc.seed).unwrap().events;
        g.throughput(Throughput::Elements(events));
        g.bench_function(name, |b| b.iter(|| simulate_quiet(sc, sc.seed).unwrap()));
    }
    g.finish();
    floor_ratio("10k-rpm, 10 models, 1 hour", &hour);
}

criterion_group!(benches, queue, policy, scenario);
criterion_main!(benches);
