//! Open-loop arrival processes.
//!
//! An [`Arrivals`] value hands out one arrival instant per call, each strictly
//! after the previous one. Gaps are sampled in `f64` seconds (the only place
//! floating-point time appears) and immediately rounded to [`Nanos`]; the clock
//! itself is always an integer, so a run of a billion arrivals does not drift.
//!
//! Two arrivals never share an instant: a gap that rounds to zero becomes one
//! nanosecond, which keeps the engine's event order independent of tie-breaking
//! for any realistic rate (a gap below a nanosecond needs over 10^9 requests per
//! second).
//!
//! The time-varying profile is sampled by exact inversion of its integrated
//! rate rather than by thinning: each arrival costs one exponential draw and a
//! walk over the segments it crosses, a profile whose rate falls to zero for
//! good ends the stream instead of spinning forever, and the number of random
//! draws per arrival is fixed, so changing a profile's peak does not reshuffle
//! the stream.

use rand::Rng as _;
use rand_distr::{Distribution, Exp, Exp1, Gamma};

use crate::rng::Rng;
use crate::time::Nanos;

/// How requests arrive, independently of how the server answers (open loop).
///
/// Rates are requests per second. Parameters are trusted: the scenario is
/// validated before one of these is built (rates finite and non-negative,
/// burstiness positive, profile points sorted by time).
#[derive(Clone, Debug, PartialEq)]
pub enum ArrivalSpec {
    /// Exponential gaps with mean `1 / rate`.
    Poisson { rate: f64 },
    /// Evenly spaced, the first at `1 / rate`.
    Constant { rate: f64 },
    /// Gamma-distributed gaps with mean `1 / rate` and shape `burstiness`
    /// (vLLM's convention): 1 is Poisson, below 1 is burstier, above 1 is
    /// smoother. The coefficient of variation of the gaps is
    /// `1 / sqrt(burstiness)`.
    Gamma { rate: f64, burstiness: f64 },
    /// Poisson at `rate` for `on`, then silent for `off`, repeating; the
    /// first cycle starts with `on` at time zero.
    OnOff { rate: f64, on: Nanos, off: Nanos },
    /// Non-homogeneous Poisson whose rate is piecewise linear through the
    /// `(time, rate)` points (sorted by time), constant before the first
    /// point and after the last. Covers diurnal curves and growth ramps.
    Profile { points: Vec<(Nanos, f64)> },
}

impl ArrivalSpec {
    /// The same process with every rate multiplied by `factor` (load sweeps).
    /// Times, durations and burstiness are unchanged.
    pub fn scaled(&self, factor: f64) -> ArrivalSpec {
        match self {
            ArrivalSpec::Poisson { rate } => ArrivalSpec::Poisson {
                rate: rate * factor,
            },
            ArrivalSpec::Constant { rate } => ArrivalSpec::Constant {
                rate: rate * factor,
            },
            ArrivalSpec::Gamma { rate, burstiness } => ArrivalSpec::Gamma {
                rate: rate * factor,
                burstiness: *burstiness,
            },
            ArrivalSpec::OnOff { rate, on, off } => ArrivalSpec::OnOff {
                rate: rate * factor,
                on: *on,
                off: *off,
            },
            ArrivalSpec::Profile { points } => ArrivalSpec::Profile {
                points: points.iter().map(|&(t, r)| (t, r * factor)).collect(),
            },
        }
    }
}

/// A running arrival process: call [`Arrivals::next`] for each arrival.
#[derive(Clone, Debug)]
pub struct Arrivals {
    process: Process,
    /// The previous arrival (zero before the first).
    last: Nanos,
}

#[derive(Clone, Debug)]
enum Process {
    /// A process that never produces an arrival (a rate of zero).
    Silent,
    Poisson {
        rate: f64,
        gap: Exp<f64>,
    },
    Constant {
        rate: f64,
        /// Arrivals handed out so far; the k-th is at `k / rate`, computed
        /// from k rather than by adding rounded gaps, so spacing never drifts.
        count: u64,
    },
    Gamma {
        rate: f64,
        gap: Gamma<f64>,
    },
    OnOff {
        rate: f64,
        on: Nanos,
        off: Nanos,
        /// On-time consumed so far. Poisson arrivals are memoryless, so the
        /// process runs on an "on-time" clock that skips the off periods.
        active: Nanos,
    },
    Profile {
        points: Vec<(Nanos, f64)>,
        /// Segment holding the previous arrival (see [`Segment::of`]).
        segment: usize,
    },
}

impl Arrivals {
    /// Starts the process at time zero.
    ///
    /// # Panics
    /// On parameters a validated scenario cannot hold: a negative, NaN or
    /// infinite rate, or a burstiness that is not positive and finite.
    pub fn new(spec: &ArrivalSpec) -> Arrivals {
        let process = match spec {
            ArrivalSpec::Poisson { rate } => match checked(*rate) {
                0.0 => Process::Silent,
                rate => Process::Poisson {
                    rate,
                    gap: Exp::new(rate).expect("rate is positive and finite"),
                },
            },
            ArrivalSpec::Constant { rate } => match checked(*rate) {
                0.0 => Process::Silent,
                rate => Process::Constant { rate, count: 0 },
            },
            ArrivalSpec::Gamma { rate, burstiness } => {
                assert!(
                    burstiness.is_finite() && *burstiness > 0.0,
                    "gamma burstiness must be positive and finite, got {burstiness}"
                );
                match checked(*rate) {
                    0.0 => Process::Silent,
                    rate => Process::Gamma {
                        rate,
                        // Mean gap = shape * scale = 1 / rate.
                        gap: Gamma::new(*burstiness, 1.0 / (rate * burstiness))
                            .expect("shape and scale are positive and finite"),
                    },
                }
            }
            ArrivalSpec::OnOff { rate, on, off } => match checked(*rate) {
                0.0 => Process::Silent,
                _ if *on == Nanos::ZERO => Process::Silent,
                rate => Process::OnOff {
                    rate,
                    on: *on,
                    off: *off,
                    active: Nanos::ZERO,
                },
            },
            ArrivalSpec::Profile { points } => {
                for &(_, rate) in points {
                    checked(rate);
                }
                if points.is_empty() {
                    Process::Silent
                } else {
                    Process::Profile {
                        points: points.clone(),
                        segment: 0,
                    }
                }
            }
        };
        Arrivals {
            process,
            last: Nanos::ZERO,
        }
    }

    /// The next arrival instant, strictly after the previous one (the first is
    /// after time zero), or `None` once the process has ended for good (a zero
    /// rate, or a profile whose rate stays zero after its last point).
    /// Allocation-free.
    pub fn next(&mut self, rng: &mut Rng) -> Option<Nanos> {
        let at = match &mut self.process {
            Process::Silent => return None,
            Process::Poisson { gap, .. } => self.last + secs(gap.sample(rng)),
            Process::Gamma { gap, .. } => self.last + secs(gap.sample(rng)),
            Process::Constant { rate, count } => {
                *count += 1;
                Nanos::from_secs_f64(*count as f64 / *rate)
            }
            Process::OnOff {
                rate,
                on,
                off,
                active,
            } => {
                let gap: f64 = rng.sample(Exp1);
                *active = *active + secs(gap / *rate);
                // An instant exactly at the end of an on period maps to the
                // start of the next one; either way it is outside the off period.
                let cycles = active.0 / on.0;
                Nanos(
                    cycles
                        .saturating_mul(on.0.saturating_add(off.0))
                        .saturating_add(active.0 % on.0),
                )
            }
            Process::Profile { points, segment } => {
                let mass: f64 = rng.sample(Exp1);
                invert_profile(points, segment, self.last, mass)?
            }
        };
        self.last = at.max(self.last + Nanos(1));
        Some(self.last)
    }

    /// Expected arrivals per second over `[0, horizon]`, for reports. A zero
    /// horizon gives the rate at time zero.
    pub fn mean_rate(&self, horizon: Nanos) -> f64 {
        match &self.process {
            Process::Silent => 0.0,
            Process::Poisson { rate, .. }
            | Process::Constant { rate, .. }
            | Process::Gamma { rate, .. } => *rate,
            Process::OnOff { rate, on, off, .. } => {
                if horizon == Nanos::ZERO {
                    return *rate;
                }
                let period = on.0 + off.0;
                let on_time = horizon.0 / period * on.0 + (horizon.0 % period).min(on.0);
                rate * on_time as f64 / horizon.0 as f64
            }
            Process::Profile { points, .. } => {
                if horizon == Nanos::ZERO {
                    return points[0].1;
                }
                let mut total = 0.0;
                for i in 0..=points.len() {
                    let seg = Segment::of(points, i);
                    if seg.start >= horizon {
                        break;
                    }
                    let len = (seg.end.min(horizon) - seg.start).as_secs_f64();
                    total += (2.0 * seg.rate + seg.slope * len) / 2.0 * len;
                }
                total / horizon.as_secs_f64()
            }
        }
    }
}

/// Rejects rates a validated scenario cannot hold; returns the rate.
fn checked(rate: f64) -> f64 {
    assert!(
        rate.is_finite() && rate >= 0.0,
        "arrival rate must be finite and non-negative, got {rate}"
    );
    rate
}

/// A gap in seconds as virtual time, at least one nanosecond.
fn secs(gap: f64) -> Nanos {
    Nanos::from_secs_f64(gap).max(Nanos(1))
}

/// One piece of a profile's rate curve.
struct Segment {
    start: Nanos,
    /// `Nanos::MAX` for the constant tail after the last point.
    end: Nanos,
    /// Requests per second at `start`.
    rate: f64,
    /// Change of the rate per second along the segment.
    slope: f64,
}

impl Segment {
    /// Segment `i` of a profile with `n` points: segment 0 runs from time zero
    /// to the first point at the first point's rate, segment `i` in `1..n`
    /// joins point `i - 1` to point `i`, segment `n` runs from the last point
    /// on forever at the last rate.
    fn of(points: &[(Nanos, f64)], i: usize) -> Segment {
        let n = points.len();
        let (start, end, rate, end_rate) = if i == 0 {
            (Nanos::ZERO, points[0].0, points[0].1, points[0].1)
        } else if i < n {
            (points[i - 1].0, points[i].0, points[i - 1].1, points[i].1)
        } else {
            (
                points[n - 1].0,
                Nanos::MAX,
                points[n - 1].1,
                points[n - 1].1,
            )
        };
        let slope = if end > start && end_rate != rate {
            (end_rate - rate) / (end - start).as_secs_f64()
        } else {
            0.0
        };
        Segment {
            start,
            end,
            rate,
            slope,
        }
    }
}

/// The instant after `from` where the profile's integrated rate has grown by
/// `mass`, starting the search at segment `*seg_index` and leaving it on the
/// segment found; `None` if the rate is zero for good before that.
fn invert_profile(
    points: &[(Nanos, f64)],
    seg_index: &mut usize,
    from: Nanos,
    mut mass: f64,
) -> Option<Nanos> {
    let mut now = from;
    loop {
        let seg = Segment::of(points, *seg_index);
        let k = seg.slope;
        let now_rate = seg.rate + k * (now - seg.start).as_secs_f64();
        if seg.end == Nanos::MAX {
            // Constant tail: a zero rate means no arrival will ever come.
            return (now_rate > 0.0).then(|| now + Nanos::from_secs_f64(mass / now_rate));
        }
        let len = (seg.end - now).as_secs_f64();
        let available = (2.0 * now_rate + k * len) / 2.0 * len;
        if mass <= available && available > 0.0 {
            // Solve now_rate * dt + k / 2 * dt^2 = mass for the root in
            // [0, len], written in the form that stays accurate as k -> 0.
            let root = (now_rate * now_rate + 2.0 * k * mass).max(0.0).sqrt();
            let dt = if now_rate + root > 0.0 {
                2.0 * mass / (now_rate + root)
            } else {
                0.0
            };
            return Some(now + Nanos::from_secs_f64(dt.min(len)));
        }
        mass -= available.max(0.0);
        now = seg.end.max(now);
        *seg_index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> Rng {
        Rng::seed_from_u64(42)
    }

    /// Arrival instants up to `horizon`.
    fn until(spec: &ArrivalSpec, horizon: Nanos) -> Vec<Nanos> {
        let mut arrivals = Arrivals::new(spec);
        let mut rng = rng();
        std::iter::from_fn(|| arrivals.next(&mut rng))
            .take_while(|&t| t <= horizon)
            .collect()
    }

    /// Mean and coefficient of variation of the gaps between arrivals.
    fn gap_stats(times: &[Nanos]) -> (f64, f64) {
        let gaps: Vec<f64> = std::iter::once(0.0)
            .chain(times.iter().map(|t| t.as_secs_f64()))
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| w[1] - w[0])
            .collect();
        let n = gaps.len() as f64;
        let mean = gaps.iter().sum::<f64>() / n;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt() / mean)
    }

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance * expected.abs()
    }

    #[test]
    fn poisson_has_its_rate_and_unit_cv() {
        let horizon = Nanos::from_secs(10_000);
        let times = until(&ArrivalSpec::Poisson { rate: 10.0 }, horizon);
        let rate = times.len() as f64 / horizon.as_secs_f64();
        assert!(close(rate, 10.0, 0.02), "rate {rate}");
        let (_, cv) = gap_stats(&times);
        assert!(close(cv, 1.0, 0.03), "cv {cv}");
        assert!(times.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn constant_is_evenly_spaced_without_drift() {
        let mut arrivals = Arrivals::new(&ArrivalSpec::Constant { rate: 3.0 });
        let mut rng = rng();
        assert_eq!(arrivals.next(&mut rng), Some(Nanos(333_333_333)));
        assert_eq!(arrivals.next(&mut rng), Some(Nanos(666_666_667)));
        assert_eq!(arrivals.next(&mut rng), Some(Nanos::SECOND));
        let millionth = std::iter::from_fn(|| arrivals.next(&mut rng))
            .nth(3_000_000 - 4)
            .unwrap();
        assert_eq!(millionth, Nanos::from_secs(1_000_000));
    }

    #[test]
    fn gamma_burstiness_sets_the_gap_cv() {
        let horizon = Nanos::from_secs(10_000);
        for (burstiness, expected_cv) in [(0.25, 2.0), (1.0, 1.0), (4.0, 0.5)] {
            let spec = ArrivalSpec::Gamma {
                rate: 10.0,
                burstiness,
            };
            let times = until(&spec, horizon);
            let rate = times.len() as f64 / horizon.as_secs_f64();
            assert!(
                close(rate, 10.0, 0.03),
                "burstiness {burstiness}: rate {rate}"
            );
            let (_, cv) = gap_stats(&times);
            assert!(
                close(cv, expected_cv, 0.05),
                "burstiness {burstiness}: cv {cv}"
            );
        }
    }

    #[test]
    fn on_off_is_silent_when_off() {
        let (on, off) = (Nanos::from_secs(10), Nanos::from_secs(50));
        let spec = ArrivalSpec::OnOff {
            rate: 20.0,
            on,
            off,
        };
        let horizon = Nanos::from_secs(60_000);
        let times = until(&spec, horizon);
        assert!(times.iter().all(|t| t.0 % (on.0 + off.0) < on.0));
        // 1000 cycles of 10 s at 20/s.
        assert!(
            close(times.len() as f64, 200_000.0, 0.02),
            "{}",
            times.len()
        );
        let mean = Arrivals::new(&spec).mean_rate(horizon);
        assert!(close(mean, 20.0 / 6.0, 1e-12), "{mean}");
    }

    #[test]
    fn profile_follows_the_integrated_rate_per_segment() {
        // 2/s until 100 s, ramp to 20/s at 1100 s, down to 0 at 1600 s, 0 after.
        let points = vec![
            (Nanos::from_secs(100), 2.0),
            (Nanos::from_secs(1100), 20.0),
            (Nanos::from_secs(1600), 0.0),
        ];
        let spec = ArrivalSpec::Profile { points };
        let times = until(&spec, Nanos::MAX);
        let count = |a: u64, b: u64| {
            times
                .iter()
                .filter(|t| Nanos::from_secs(a) < **t && **t <= Nanos::from_secs(b))
                .count() as f64
        };
        assert!(close(count(0, 100), 200.0, 0.15), "{}", count(0, 100));
        // Ramp: (2 + 20) / 2 * 1000 = 11,000, of which the first half holds
        // (2 + 11) / 2 * 500 = 3,250.
        assert!(close(count(100, 600), 3_250.0, 0.04), "{}", count(100, 600));
        assert!(
            close(count(600, 1100), 7_750.0, 0.03),
            "{}",
            count(600, 1100)
        );
        assert!(
            close(count(1100, 1600), 5_000.0, 0.03),
            "{}",
            count(1100, 1600)
        );
        // The rate stays zero after the last point, so the stream ended.
        assert!(times.last().unwrap() <= &Nanos::from_secs(1600));
        let mean = Arrivals::new(&spec).mean_rate(Nanos::from_secs(1600));
        assert!(close(mean, 16_200.0 / 1600.0, 1e-12), "{mean}");
    }

    #[test]
    fn profile_with_a_step_and_a_constant_tail() {
        let points = vec![
            (Nanos::ZERO, 0.0),
            (Nanos::from_secs(1000), 0.0),
            (Nanos::from_secs(1000), 5.0),
        ];
        let times = until(&ArrivalSpec::Profile { points }, Nanos::from_secs(3000));
        assert!(times[0] > Nanos::from_secs(1000));
        assert!(close(times.len() as f64, 10_000.0, 0.03), "{}", times.len());
    }

    #[test]
    fn zero_rates_end_the_stream() {
        let mut rng = rng();
        for spec in [
            ArrivalSpec::Poisson { rate: 0.0 },
            ArrivalSpec::Profile {
                points: vec![(Nanos::SECOND, 0.0)],
            },
            ArrivalSpec::Profile { points: vec![] },
        ] {
            assert_eq!(Arrivals::new(&spec).next(&mut rng), None, "{spec:?}");
        }
    }

    #[test]
    fn scaling_multiplies_every_rate() {
        let spec = ArrivalSpec::Profile {
            points: vec![(Nanos::ZERO, 1.0), (Nanos::from_secs(10), 3.0)],
        };
        let horizon = Nanos::from_secs(10);
        let doubled = Arrivals::new(&spec.scaled(2.0)).mean_rate(horizon);
        assert!(close(
            doubled,
            2.0 * Arrivals::new(&spec).mean_rate(horizon),
            1e-12
        ));
        assert_eq!(
            ArrivalSpec::Gamma {
                rate: 2.0,
                burstiness: 0.5
            }
            .scaled(1.5),
            ArrivalSpec::Gamma {
                rate: 3.0,
                burstiness: 0.5
            }
        );
    }

    #[test]
    fn same_seed_same_arrivals() {
        let spec = ArrivalSpec::Gamma {
            rate: 5.0,
            burstiness: 0.5,
        };
        assert_eq!(
            until(&spec, Nanos::from_secs(100)),
            until(&spec, Nanos::from_secs(100))
        );
    }
}
