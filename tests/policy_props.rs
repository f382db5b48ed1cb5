//! Property tests of the window algorithms: whatever the arrival pattern, a
//! caller that commits only what fits never gets more through than the
//! algorithm's own definition of the limit allows.

use proptest::prelude::*;
use ratesim::policy::window::AnyWindow;
use ratesim::policy::{Bucket, Counts, Gcra, LimitSpec, Refill, WindowAlgo, PPM};
use ratesim::time::Nanos;

/// Offers `(gap, amount)` steps to a fresh window and returns what it admitted, as `(instant, amount)`.
fn run(algo: WindowAlgo, spec: LimitSpec, offset: Nanos, steps: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut window = AnyWindow::new(algo, spec, offset);
    let mut now = 0u64;
    let mut admitted = Vec::new();
    for &(gap, amount) in steps {
        now += gap;
        if window.fits(Nanos(now), amount) {
            window.commit(Nanos(now), amount);
            admitted.push((now, amount));
        }
    }
    let total: u64 = admitted.iter().map(|&(_, a)| a).sum();
    assert_eq!(window.admitted_total(), total);
    admitted
}

/// A limit with a small amount and window, so runs cross many windows.
fn spec() -> impl Strategy<Value = LimitSpec> {
    (1u64..50, 1u64..5_000).prop_map(|(amount, window)| LimitSpec {
        counts: Counts::Tokens,
        window: Nanos(window),
        amount,
    })
}

/// Gaps from zero (same instant) to a few windows, amounts from zero to over the limit.
fn steps() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec(
        (prop_oneof![Just(0u64), 0u64..200, 0u64..20_000], 0u64..60),
        1..300,
    )
}

proptest! {
    #[test]
    fn fixed_windows_admit_at_most_the_limit_per_aligned_window(
        spec in spec(),
        offset in 0u64..1_000_000,
        steps in steps(),
    ) {
        let admitted = run(WindowAlgo::Fixed, spec, Nanos(offset), &steps);
        let w = spec.window.0;
        let mut per_window = std::collections::BTreeMap::<u64, u64>::new();
        for (at, amount) in admitted {
            *per_window.entry((offset + at) / w).or_default() += amount;
        }
        for (index, sum) in per_window {
            prop_assert!(sum <= spec.amount, "window {index} admitted {sum} > {}", spec.amount);
        }
    }

    #[test]
    fn sliding_log_admits_at_most_the_limit_in_any_window_length(
        spec in spec(),
        steps in steps(),
    ) {
        let admitted = run(WindowAlgo::SlidingLog, spec, Nanos(0), &steps);
        // The busiest half-open interval [a, a + window) starts at an admission.
        for (i, &(start, _)) in admitted.iter().enumerate() {
            let sum: u64 = admitted[i..]
                .iter()
                .take_while(|&&(at, _)| at < start + spec.window.0)
                .map(|&(_, amount)| amount)
                .sum();
            prop_assert!(sum <= spec.amount, "[{start}, +{}) admitted {sum}", spec.window.0);
        }
    }

    #[test]
    fn token_bucket_admits_at_most_a_burst_plus_the_refill(
        spec in spec(),
        steps in steps(),
    ) {
        let admitted = run(WindowAlgo::TokenBucket(Bucket::default()), spec, Nanos(0), &steps);
        // Over every [a, b] between admissions: sum <= amount + amount * (b - a) / window.
        for i in 0..admitted.len() {
            let mut sum: u128 = 0;
            for &(at, amount) in &admitted[i..] {
                sum += u128::from(amount);
                let elapsed = u128::from(at - admitted[i].0);
                let bound = u128::from(spec.amount) * u128::from(spec.window.0)
                    + u128::from(spec.amount) * elapsed;
                prop_assert!(
                    sum * u128::from(spec.window.0) <= bound,
                    "{sum} admitted over {elapsed} ns"
                );
            }
        }
    }

    #[test]
    fn remaining_is_what_fits(
        algo in prop_oneof![
            Just(WindowAlgo::Fixed),
            Just(WindowAlgo::SlidingLog),
            Just(WindowAlgo::TokenBucket(Bucket::default())),
            Just(WindowAlgo::Gcra(Gcra::default())),
        ],
        spec in spec(),
        steps in steps(),
    ) {
        let mut window = AnyWindow::new(algo, spec, Nanos(0));
        let mut now = 0u64;
        for &(gap, amount) in &steps {
            now += gap;
            let remaining = window.remaining(Nanos(now));
            prop_assert!(remaining <= spec.amount);
            prop_assert!(window.fits(Nanos(now), remaining));
            prop_assert!(!window.fits(Nanos(now), remaining + 1));
            prop_assert!(window.reset_at(Nanos(now)) >= Nanos(now));
            if window.fits(Nanos(now), amount) {
                window.commit(Nanos(now), amount);
            }
        }
    }

    #[test]
    fn a_default_bucket_admits_exactly_what_the_old_bucket_did(
        spec in spec(),
        steps in steps(),
    ) {
        let admitted = run(WindowAlgo::TokenBucket(Bucket::default()), spec, Nanos(0), &steps);
        prop_assert_eq!(admitted, reference_bucket(spec, &steps));
    }

    #[test]
    fn a_shaped_bucket_admits_at_most_its_capacity_plus_the_refills_over_any_interval(
        spec in spec(),
        bucket in bucket(),
        steps in steps(),
    ) {
        let admitted = run(WindowAlgo::TokenBucket(bucket), spec, Nanos(0), &steps);
        let capacity = u128::from(scaled_tokens(spec.amount, bucket.capacity_ppm));
        let fill = capacity * u128::from(bucket.initial_fill_ppm) / u128::from(PPM);
        let w = u128::from(spec.window.0);
        let a = u128::from(spec.amount);
        // Refill in units of 1/window token over (from, to]: continuous
        // a * (to - from), discrete a * period per tick in (from, to].
        let refill = |from: u64, to: u64| -> u128 {
            match bucket.refill {
                Refill::Continuous => a * u128::from(to - from),
                Refill::Discrete { period, phase } => {
                    let ticks = ticks(period.0, phase.0, to) - ticks(period.0, phase.0, from);
                    a * u128::from(period.0) * u128::from(ticks)
                }
            }
        };
        // From virtual zero the first fill bounds what passes; from any
        // admission on, the capacity does (the level is at most that).
        let mut sum: u128 = 0;
        for &(at, amount) in &admitted {
            sum += u128::from(amount);
            prop_assert!(sum * w <= fill * w + refill(0, at), "{sum} admitted by {at} ns from a fill of {fill}");
        }
        for i in 0..admitted.len() {
            let mut sum: u128 = 0;
            // Admissions at the same instant as the first one count in full.
            let start = admitted[i].0;
            for &(at, amount) in &admitted[i..] {
                sum += u128::from(amount);
                prop_assert!(
                    sum * w <= capacity * w + refill(start, at),
                    "{sum} admitted over [{start}, {at}] ns, capacity {capacity}"
                );
            }
        }
    }

    #[test]
    fn a_discrete_bucket_gains_exactly_its_step_at_each_tick_and_never_exceeds_its_capacity(
        spec in spec(),
        bucket in bucket(),
        probes in prop::collection::vec(0u64..20_000, 1..100),
    ) {
        let Refill::Discrete { period, phase } = bucket.refill else { return Ok(()) };
        let empty = Bucket { initial_fill_ppm: 0, ..bucket };
        let mut window = AnyWindow::new(WindowAlgo::TokenBucket(empty), spec, Nanos(0));
        let capacity = scaled_tokens(spec.amount, bucket.capacity_ppm);
        let mut probes = probes;
        probes.sort_unstable();
        for t in probes {
            let units = u128::from(spec.amount) * u128::from(period.0) * u128::from(ticks(period.0, phase.0, t));
            let expected = (units / u128::from(spec.window.0)).min(u128::from(capacity)) as u64;
            prop_assert_eq!(window.remaining(Nanos(t)), expected, "at {} ns", t);
        }
    }

    #[test]
    fn gcra_admits_exactly_what_a_token_bucket_of_its_burst_admits(
        spec in spec(),
        burst_ppm in 1u64..3 * PPM,
        steps in steps(),
    ) {
        let gcra = run(WindowAlgo::Gcra(Gcra { burst_ppm }), spec, Nanos(0), &steps);
        let bucket = Bucket { capacity_ppm: burst_ppm, ..Bucket::default() };
        prop_assert_eq!(gcra, run(WindowAlgo::TokenBucket(bucket), spec, Nanos(0), &steps));
    }

    #[test]
    fn gcra_never_admits_beyond_its_burst_plus_the_emission_rate(
        spec in spec(),
        burst_ppm in 1u64..3 * PPM,
        steps in steps(),
    ) {
        let admitted = run(WindowAlgo::Gcra(Gcra { burst_ppm }), spec, Nanos(0), &steps);
        let burst = u128::from(scaled_tokens(spec.amount, burst_ppm));
        let (a, w) = (u128::from(spec.amount), u128::from(spec.window.0));
        for i in 0..admitted.len() {
            let mut sum: u128 = 0;
            for &(at, amount) in &admitted[i..] {
                sum += u128::from(amount);
                let elapsed = u128::from(at - admitted[i].0);
                prop_assert!(sum * w <= burst * w + a * elapsed, "{sum} over {elapsed} ns, burst {burst}");
            }
        }
    }
}

/// The token bucket as it was before buckets had a shape: capacity the
/// limit, full at the start, refilled continuously (kept here as the
/// reference the default shape must match).
fn reference_bucket(spec: LimitSpec, steps: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let w = i128::from(spec.window.0);
    let capacity = i128::from(spec.amount) * w;
    let (mut level, mut updated, mut now) = (capacity, 0u64, 0u64);
    let mut admitted = Vec::new();
    for &(gap, amount) in steps {
        now += gap;
        level = (level + i128::from(spec.amount) * i128::from(now - updated)).min(capacity);
        updated = now;
        if level >= i128::from(amount) * w {
            level -= i128::from(amount) * w;
            admitted.push((now, amount));
        }
    }
    admitted
}

/// `amount x ppm / 1e6`, at least 1.
fn scaled_tokens(amount: u64, ppm: u64) -> u64 {
    ((u128::from(amount) * u128::from(ppm) / u128::from(PPM)) as u64).max(1)
}

/// Ticks in `(0, t]` at `phase + j * period` (the first at `period` when the phase is 0).
fn ticks(period: u64, phase: u64, t: u64) -> u64 {
    let first = if phase == 0 { period } else { phase };
    (first..=t).step_by(period as usize).count() as u64
}

/// Any bucket shape: capacity 0.1x to 3x, any first fill, either refill.
fn bucket() -> impl Strategy<Value = Bucket> {
    let refill = prop_oneof![
        Just(Refill::Continuous),
        (1u64..3_000)
            .prop_flat_map(|period| (Just(period), 0..period))
            .prop_map(|(period, phase)| {
                Refill::Discrete {
                    period: Nanos(period),
                    phase: Nanos(phase),
                }
            }),
    ];
    (PPM / 10..3 * PPM, 0..=PPM, refill).prop_map(|(capacity_ppm, initial_fill_ppm, refill)| {
        Bucket {
            capacity_ppm,
            initial_fill_ppm,
            refill,
        }
    })
}
