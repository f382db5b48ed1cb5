//! A distribution of delays: how long an answer or a network leg takes.
//!
//! The four shapes a user can write for any latency the simulator draws:
//! a constant, a uniform interval, a lognormal given by its median and 95th
//! percentile (the shape measured response times usually have), and a normal
//! clipped at zero (jitter around a mean). A constant draws nothing, so a
//! scenario that sets no distribution keeps every random stream as it was.

use crate::rng::{unit, Rng};
use crate::time::Nanos;
use rand_distr::{Distribution, StandardNormal};

/// The z-score of the 95th percentile of a standard normal.
const Z95: f64 = 1.644_853_626_951_472_2;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Delay {
    Constant(Nanos),
    /// Uniform in `[min, max]`.
    Uniform {
        min: Nanos,
        max: Nanos,
    },
    /// Lognormal with this median (seconds) and sigma of its logarithm.
    Lognormal {
        median: f64,
        sigma: f64,
    },
    /// Normal with this mean and standard deviation (seconds), draws below
    /// zero taken as zero.
    Normal {
        mean: f64,
        sd: f64,
    },
}

impl Delay {
    pub const ZERO: Delay = Delay::Constant(Nanos::ZERO);

    /// A lognormal from its median and 95th percentile (`p95 >= median > 0`).
    pub fn lognormal(median: Nanos, p95: Nanos) -> Delay {
        let m = median.as_secs_f64();
        Delay::Lognormal {
            median: m,
            sigma: (p95.as_secs_f64() / m).ln() / Z95,
        }
    }

    /// One draw. A constant consumes nothing from `rng`.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> Nanos {
        match *self {
            Delay::Constant(d) => d,
            Delay::Uniform { min, max } => {
                Nanos(min.0 + ((max.0 - min.0) as f64 * unit(rng)) as u64)
            }
            Delay::Lognormal { median, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                Nanos::from_secs_f64(median * (sigma * z).exp())
            }
            Delay::Normal { mean, sd } => {
                let z: f64 = StandardNormal.sample(rng);
                Nanos::from_secs_f64((mean + sd * z).max(0.0))
            }
        }
    }

    /// Whether every draw is zero (no network leg, say).
    pub fn is_zero(&self) -> bool {
        *self == Delay::ZERO
    }

    /// A delay most draws stay under, for estimates of a run's length: the
    /// maximum of a bounded shape, the 99.9th percentile of the others.
    pub fn high(&self) -> Nanos {
        match *self {
            Delay::Constant(d) => d,
            Delay::Uniform { max, .. } => max,
            Delay::Lognormal { median, sigma } => {
                Nanos::from_secs_f64(median * (3.09 * sigma).exp())
            }
            Delay::Normal { mean, sd } => Nanos::from_secs_f64((mean + 3.09 * sd).max(0.0)),
        }
    }

    /// The scenario syntax, for messages and `to_toml`.
    pub fn describe(&self) -> String {
        match *self {
            Delay::Constant(d) => d.to_string(),
            Delay::Uniform { min, max } => format!("uniform {min}..{max}"),
            Delay::Lognormal { median, sigma } => {
                format!(
                    "lognormal median {} p95 {}",
                    Nanos::from_secs_f64(median),
                    Nanos::from_secs_f64(median * (Z95 * sigma).exp())
                )
            }
            Delay::Normal { mean, sd } => format!(
                "normal mean {} sd {}",
                Nanos::from_secs_f64(mean),
                Nanos::from_secs_f64(sd)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn draws(d: Delay, n: usize) -> Vec<f64> {
        let mut rng = Rng::seed_from_u64(11);
        let mut v: Vec<f64> = (0..n).map(|_| d.sample(&mut rng).as_secs_f64()).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    #[test]
    fn constant_draws_nothing() {
        let mut a = Rng::seed_from_u64(1);
        let b = a.clone();
        assert_eq!(
            Delay::Constant(Nanos::from_millis(5)).sample(&mut a),
            Nanos::from_millis(5)
        );
        assert_eq!(unit(&mut a), unit(&mut b.clone()));
    }

    #[test]
    fn lognormal_hits_its_median_and_p95() {
        let v = draws(
            Delay::lognormal(Nanos::from_millis(200), Nanos::from_millis(800)),
            100_000,
        );
        let (m, p) = (v[50_000], v[95_000]);
        assert!((m - 0.2).abs() < 0.006, "median {m}");
        assert!((p - 0.8).abs() < 0.03, "p95 {p}");
    }

    #[test]
    fn uniform_stays_inside_and_normal_is_clipped_at_zero() {
        let u = draws(
            Delay::Uniform {
                min: Nanos::from_millis(10),
                max: Nanos::from_millis(30),
            },
            10_000,
        );
        assert!(u[0] >= 0.010 && u[u.len() - 1] <= 0.030);
        let n = draws(
            Delay::Normal {
                mean: 0.01,
                sd: 0.02,
            },
            10_000,
        );
        assert_eq!(n[0], 0.0);
        let zeros = n.iter().filter(|x| **x == 0.0).count();
        // P(N(0.01, 0.02) < 0) = P(Z < -0.5) = 0.3085.
        assert!((2_900..3_300).contains(&zeros), "{zeros}");
    }
}
