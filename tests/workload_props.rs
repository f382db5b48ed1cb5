//! Properties every workload source must keep, whatever its parameters.

use proptest::prelude::*;
use rand::SeedableRng;
use ratesim::rng::Rng;
use ratesim::time::Nanos;
use ratesim::workload::{ArrivalSpec, Arrivals, SizeDist};

/// The first `n` arrivals of `spec` under `seed`.
fn first(spec: &ArrivalSpec, seed: u64, n: usize) -> Vec<Nanos> {
    let mut arrivals = Arrivals::new(spec);
    let mut rng = Rng::seed_from_u64(seed);
    std::iter::from_fn(|| arrivals.next(&mut rng))
        .take(n)
        .collect()
}

fn rate() -> impl Strategy<Value = f64> {
    0.01f64..1000.0
}

fn secs() -> impl Strategy<Value = Nanos> {
    (1u64..600_000).prop_map(Nanos::from_millis)
}

fn spec() -> impl Strategy<Value = ArrivalSpec> {
    prop_oneof![
        rate().prop_map(|rate| ArrivalSpec::Poisson { rate }),
        rate().prop_map(|rate| ArrivalSpec::Constant { rate }),
        (rate(), 0.05f64..10.0)
            .prop_map(|(rate, burstiness)| ArrivalSpec::Gamma { rate, burstiness }),
        (rate(), secs(), secs()).prop_map(|(rate, on, off)| ArrivalSpec::OnOff { rate, on, off }),
        prop::collection::vec((secs(), 0.0f64..100.0), 1..6).prop_map(|mut points| {
            points.sort_by_key(|p| p.0);
            ArrivalSpec::Profile { points }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arrivals_strictly_increase(spec in spec(), seed in any::<u64>()) {
        let times = first(&spec, seed, 300);
        prop_assert!(times.iter().all(|t| *t > Nanos::ZERO));
        prop_assert!(times.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn same_seed_same_arrivals(spec in spec(), seed in any::<u64>()) {
        prop_assert_eq!(first(&spec, seed, 100), first(&spec, seed, 100));
    }

    #[test]
    fn on_off_never_sends_while_off(rate in rate(), on in secs(), off in secs(), seed in any::<u64>()) {
        let period = on.0 + off.0;
        let times = first(&ArrivalSpec::OnOff { rate, on, off }, seed, 300);
        prop_assert!(times.iter().all(|t| t.0 % period < on.0));
    }

    #[test]
    fn a_profile_is_silent_where_its_rate_is_zero(
        before in 0.1f64..50.0,
        after in 0.1f64..50.0,
        start in secs(),
        quiet in secs(),
        seed in any::<u64>(),
    ) {
        let end = start + quiet;
        let points = vec![(start, before), (start, 0.0), (end, 0.0), (end, after)];
        let times = first(&ArrivalSpec::Profile { points }, seed, 500);
        prop_assert!(times.iter().all(|t| *t <= start || *t > end));
    }

    #[test]
    fn uniform_sizes_stay_in_range(min in any::<u32>(), width in 0u32..10_000, seed in any::<u64>()) {
        let max = min.saturating_add(width);
        let dist = SizeDist::uniform(min, max).unwrap();
        let mut rng = Rng::seed_from_u64(seed);
        prop_assert!((0..100).map(|_| dist.sample(&mut rng)).all(|s| (min..=max).contains(&s)));
    }
}
