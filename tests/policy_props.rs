//! Property tests of the window algorithms: whatever the arrival pattern, a
//! caller that commits only what fits never gets more through than the
//! algorithm's own definition of the limit allows.

use proptest::prelude::*;
use ratesim::policy::window::AnyWindow;
use ratesim::policy::{Counts, LimitSpec, WindowAlgo};
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
        let admitted = run(WindowAlgo::TokenBucket, spec, Nanos(0), &steps);
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
        algo in prop_oneof![Just(WindowAlgo::Fixed), Just(WindowAlgo::SlidingLog), Just(WindowAlgo::TokenBucket)],
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
}
