//! Request sizes (token counts) and closed-loop think times.
//!
//! Token counts are what TPM limits meter, so their spread matters as much as
//! their mean: a lognormal with a long tail trips a token limit long before a
//! constant of the same mean does. The lognormal is given the way people
//! describe their traffic, by median and 95th percentile, rather than by the
//! distribution's abstract `mu` and `sigma`.

use rand::Rng as _;
use rand_distr::{Distribution, Exp1};

use crate::rng::Rng;
use crate::time::Nanos;

/// The 95th percentile of the standard normal distribution.
const Z95: f64 = 1.644_853_626_951_472_2;

/// How many tokens a request carries (input or output).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeDist {
    Constant(u32),
    /// Uniform on the whole numbers `min..=max` (`min <= max`, as checked by
    /// [`SizeDist::uniform`]).
    Uniform {
        min: u32,
        max: u32,
    },
    /// Built by [`SizeDist::lognormal`], which pre-computes the parameters.
    LogNormal(LogNormalSize),
}

/// A lognormal size given by its median and 95th percentile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogNormalSize {
    median: f64,
    p95: f64,
    dist: rand_distr::LogNormal<f64>,
}

impl LogNormalSize {
    pub fn median(&self) -> f64 {
        self.median
    }

    pub fn p95(&self) -> f64 {
        self.p95
    }

    /// `sigma` of the underlying normal: the spread that puts `p95` at z = 1.645.
    fn sigma(&self) -> f64 {
        (self.p95.ln() - self.median.ln()) / Z95
    }
}

impl SizeDist {
    pub fn constant(tokens: u32) -> SizeDist {
        SizeDist::Constant(tokens)
    }

    pub fn uniform(min: u32, max: u32) -> Result<SizeDist, &'static str> {
        if min > max {
            return Err("the minimum is larger than the maximum");
        }
        Ok(SizeDist::Uniform { min, max })
    }

    /// A lognormal with the given median and 95th percentile
    /// (`mu = ln median`, `sigma = (ln p95 - ln median) / 1.645`).
    /// `p95 == median` is a constant size.
    pub fn lognormal(median: f64, p95: f64) -> Result<SizeDist, &'static str> {
        if !(median.is_finite() && median > 0.0) {
            return Err("the median must be a positive number of tokens");
        }
        if !(p95.is_finite() && p95 >= median) {
            return Err("the p95 must be a number of tokens at least as large as the median");
        }
        let sigma = (p95.ln() - median.ln()) / Z95;
        let dist = rand_distr::LogNormal::new(median.ln(), sigma)
            .expect("mu is finite and sigma is finite and non-negative");
        Ok(SizeDist::LogNormal(LogNormalSize { median, p95, dist }))
    }

    /// One size, rounded to a whole number of tokens.
    pub fn sample(&self, rng: &mut Rng) -> u32 {
        match self {
            SizeDist::Constant(n) => *n,
            SizeDist::Uniform { min, max } => rng.random_range(*min..=*max),
            SizeDist::LogNormal(l) => round_to_u32(l.dist.sample(rng)),
        }
    }

    /// The expected size (before rounding).
    pub fn mean(&self) -> f64 {
        match self {
            SizeDist::Constant(n) => f64::from(*n),
            SizeDist::Uniform { min, max } => (f64::from(*min) + f64::from(*max)) / 2.0,
            SizeDist::LogNormal(l) => l.median * (l.sigma() * l.sigma() / 2.0).exp(),
        }
    }

    /// Every size multiplied by `factor` (>= 0), keeping the shape: a
    /// lognormal keeps its spread, so its median and p95 both scale.
    pub fn scaled(&self, factor: f64) -> SizeDist {
        let scale = |n: u32| (f64::from(n) * factor).round() as u32;
        match self {
            SizeDist::Constant(n) => SizeDist::Constant(scale(*n)),
            SizeDist::Uniform { min, max } => SizeDist::Uniform {
                min: scale(*min),
                max: scale(*max),
            },
            SizeDist::LogNormal(l) => SizeDist::lognormal(l.median * factor, l.p95 * factor)
                .unwrap_or(SizeDist::Constant(0)),
        }
    }
}

/// `x.round() as u32` (half away from zero, saturating, NaN to 0) without
/// the call to libm's `round`, which the default x86-64 target makes for
/// every draw (1.4% of a day-long run under perf). Truncating, then
/// comparing the exact fraction `x - trunc(x)` with one half, is the same
/// rounding for every f64.
#[inline]
fn round_to_u32(x: f64) -> u32 {
    let whole = x as u64;
    let up = u64::from(x - whole as f64 >= 0.5);
    whole.saturating_add(up).min(u64::from(u32::MAX)) as u32
}

/// The pause a closed-loop worker takes between one request's end and its next
/// request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThinkTime {
    Constant(Nanos),
    Exponential { mean: Nanos },
}

impl ThinkTime {
    pub fn sample(&self, rng: &mut Rng) -> Nanos {
        match self {
            ThinkTime::Constant(d) => *d,
            ThinkTime::Exponential { mean } => {
                let unit: f64 = Exp1.sample(rng);
                Nanos::from_secs_f64(unit * mean.as_secs_f64())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    proptest::proptest! {
        /// The inlined rounding is `round() as u32` for every f64 bit
        /// pattern, the halves, the ends and NaN included.
        #[test]
        fn round_to_u32_is_round_then_saturate(bits in proptest::num::u64::ANY, small in 0u32..10_000) {
            for x in [f64::from_bits(bits), f64::from(small) + 0.5, f64::from(small) - 0.5, f64::from(small) + 0.49999999999999994] {
                proptest::prop_assert_eq!(round_to_u32(x), x.round() as u32, "{}", x);
            }
        }
    }

    #[test]
    fn round_to_u32_at_the_edges() {
        for x in [
            0.0,
            -0.0,
            0.5,
            -0.5,
            4294967294.5,
            4294967295.4,
            4294967295.5,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            4503599627370495.5,
        ] {
            assert_eq!(round_to_u32(x), x.round() as u32, "{x}");
        }
    }

    fn draws(dist: &SizeDist, n: usize) -> Vec<u32> {
        let mut rng = Rng::seed_from_u64(7);
        (0..n).map(|_| dist.sample(&mut rng)).collect()
    }

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance * expected.abs()
    }

    #[test]
    fn lognormal_hits_its_median_and_p95() {
        let dist = SizeDist::lognormal(800.0, 4000.0).unwrap();
        let mut sizes = draws(&dist, 200_000);
        sizes.sort_unstable();
        let median = f64::from(sizes[sizes.len() / 2]);
        let p95 = f64::from(sizes[sizes.len() * 95 / 100]);
        assert!(close(median, 800.0, 0.03), "median {median}");
        assert!(close(p95, 4000.0, 0.03), "p95 {p95}");
        let mean = sizes.iter().map(|&s| f64::from(s)).sum::<f64>() / sizes.len() as f64;
        assert!(
            close(mean, dist.mean(), 0.03),
            "mean {mean} vs {}",
            dist.mean()
        );
    }

    #[test]
    fn lognormal_with_equal_median_and_p95_is_constant() {
        let dist = SizeDist::lognormal(512.0, 512.0).unwrap();
        assert!(draws(&dist, 100).iter().all(|&s| s == 512));
        assert_eq!(dist.mean(), 512.0);
    }

    #[test]
    fn lognormal_rejects_nonsense() {
        assert!(SizeDist::lognormal(0.0, 10.0).is_err());
        assert!(SizeDist::lognormal(100.0, 50.0).is_err());
        assert!(SizeDist::lognormal(f64::NAN, 50.0).is_err());
        assert!(SizeDist::uniform(10, 5).is_err());
    }

    #[test]
    fn huge_lognormal_draws_saturate() {
        let dist = SizeDist::lognormal(1e12, 1e13).unwrap();
        assert!(draws(&dist, 100).iter().all(|&s| s == u32::MAX));
    }

    #[test]
    fn uniform_covers_its_range_and_nothing_else() {
        let dist = SizeDist::uniform(10, 20).unwrap();
        let sizes = draws(&dist, 100_000);
        assert!(sizes.iter().all(|s| (10..=20).contains(s)));
        assert!((10..=20).all(|v| sizes.contains(&v)));
        let mean = sizes.iter().map(|&s| f64::from(s)).sum::<f64>() / sizes.len() as f64;
        assert!(close(mean, dist.mean(), 0.01), "mean {mean}");
    }

    #[test]
    fn scaling_keeps_the_shape() {
        assert_eq!(SizeDist::constant(100).scaled(1.5), SizeDist::Constant(150));
        assert_eq!(
            SizeDist::uniform(10, 20).unwrap().scaled(2.0),
            SizeDist::Uniform { min: 20, max: 40 }
        );
        let SizeDist::LogNormal(l) = SizeDist::lognormal(100.0, 300.0).unwrap().scaled(2.0) else {
            panic!("scaling changed the kind of distribution");
        };
        assert_eq!((l.median(), l.p95()), (200.0, 600.0));
    }

    #[test]
    fn exponential_think_time_has_its_mean() {
        let think = ThinkTime::Exponential {
            mean: Nanos::from_secs(2),
        };
        let mut rng = Rng::seed_from_u64(3);
        let n = 100_000;
        let total: f64 = (0..n).map(|_| think.sample(&mut rng).as_secs_f64()).sum();
        assert!(close(total / n as f64, 2.0, 0.02), "{}", total / n as f64);
        let fixed = ThinkTime::Constant(Nanos::from_millis(250));
        assert_eq!(fixed.sample(&mut rng), Nanos::from_millis(250));
    }
}
