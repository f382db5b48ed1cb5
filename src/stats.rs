//! Summary statistics across replications: means and 95% confidence
//! intervals from Student's t distribution.
//!
//! Replications of a stochastic simulation are independent draws of each
//! metric; with few of them (10 is typical) the normal 1.96 understates the
//! uncertainty, so the half-width uses t(0.975, n - 1).

/// Two-sided 97.5% quantiles of Student's t for 1..=30 degrees of freedom.
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// t(0.975, df): tabulated to 30, then the tabled values at 40, 60 and 120
/// interpolated in 1/df, tending to the normal 1.960.
pub fn t_975(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T_975[df - 1],
        _ => {
            // (1/df, t) knots: 30 -> 2.042, 40 -> 2.021, 60 -> 2.000, 120 -> 1.980, inf -> 1.960.
            let knots = [
                (1.0 / 30.0, 2.042),
                (1.0 / 40.0, 2.021),
                (1.0 / 60.0, 2.000),
                (1.0 / 120.0, 1.980),
                (0.0, 1.960),
            ];
            let x = 1.0 / df as f64;
            let w = knots
                .windows(2)
                .find(|w| x <= w[0].0 && x >= w[1].0)
                .expect("df > 30 lies between the knots");
            let (x0, y0, x1, y1) = (w[0].0, w[0].1, w[1].0, w[1].1);
            y1 + (y0 - y1) * (x - x1) / (x0 - x1)
        }
    }
}

/// Mean and 95% confidence half-width of `values`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    /// Half-width of the 95% confidence interval (0 for a single value).
    pub half_width: f64,
    pub n: usize,
}

impl Estimate {
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate {
                mean: f64::NAN,
                half_width: f64::NAN,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Estimate {
                mean,
                half_width: 0.0,
                n,
            };
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Estimate {
            mean,
            half_width: t_975(n - 1) * (var / n as f64).sqrt(),
            n,
        }
    }

    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_matches_the_textbook_formula() {
        // Values 1..=5: mean 3, sample sd sqrt(2.5), n 5, t(0.975, 4) = 2.776.
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(e.mean, 3.0);
        assert!((e.half_width - 2.776 * (2.5f64 / 5.0).sqrt()).abs() < 1e-12);
        assert_eq!(Estimate::of(&[7.0]).half_width, 0.0);
        assert!(Estimate::of(&[]).mean.is_nan());
    }

    #[test]
    fn t_quantiles_decrease_towards_the_normal() {
        assert_eq!(t_975(9), 2.262);
        assert!((t_975(40) - 2.021).abs() < 1e-12);
        assert!((t_975(120) - 1.980).abs() < 1e-12);
        let mut prev = f64::INFINITY;
        for df in 1..1000 {
            let t = t_975(df);
            assert!(t <= prev && t > 1.959, "df {df}: {t}");
            prev = t;
        }
    }

    #[test]
    fn intervals_cover_the_true_mean_about_95_percent_of_the_time() {
        // Uniform(0, 1) samples of 10: the true mean 0.5 should fall inside
        // the 95% interval in about 95% of 4,000 trials.
        let mut rng = crate::rng::stream(11, "ci", crate::rng::Purpose::Sizes);
        let trials = 4_000;
        let covered = (0..trials)
            .filter(|_| {
                let v: Vec<f64> = (0..10).map(|_| crate::rng::unit(&mut rng)).collect();
                let e = Estimate::of(&v);
                e.low() <= 0.5 && 0.5 <= e.high()
            })
            .count();
        let share = covered as f64 / trials as f64;
        assert!((0.935..0.965).contains(&share), "coverage {share}");
    }
}
