//! The AWS SDKs' adaptive retry mode (botocore `retries/adaptive.py`,
//! `throttling.py`, `bucket.py`): a client-side token bucket whose rate follows
//! CUBIC congestion control, switched on by the first throttle.
//!
//! On every answer the client first measures its own rate: answers are counted
//! in 0.5 s buckets and each closed bucket's rate is smoothed 0.8 new / 0.2 old.
//! A throttle (any 429) sets `Wmax` to the measured rate (or the bucket's rate
//! if lower, once enabled), `K = cbrt(Wmax * (1 - beta) / C)`, and the new rate
//! to `beta * Wmax`; any other answer sets the rate to
//! `C * (t - t_fail - K)^3 + Wmax`. Either way the rate is capped at twice the
//! measured rate, and the bucket refills at no less than 0.5 per second,
//! holding at most max(1, rate) tokens. Until the first throttle sends are not
//! paced at all. Constants: C = 0.4, beta = 0.7.
//!
//! botocore makes a waiting thread sleep while holding the bucket's lock, so
//! waiters go one by one with the rate of the moment; here slots are promised
//! at most 1 s ahead (see [`super::bucket`]), so a new rate reaches the sends
//! already waiting within a second. Each throttle in a burst of 429s cuts the
//! rate again (x0.7 each, from the bucket's rate): botocore has no
//! once-per-window guard, and neither has this.

use super::bucket::{Bucket, Lanes};
use super::{Pacer, PacerKind, Seen};
use crate::response::Status;
use crate::strategy::config::{toml_duration, toml_number, Fields, Result};
use crate::strategy::{Gate, SendInfo};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AwsAdaptiveSpec {
    /// CUBIC's scale constant C.
    pub c: f64,
    pub beta: f64,
    /// The bucket never refills slower than this (per second).
    pub min_rate: f64,
    /// Weight of the newest measurement.
    pub smoothing: f64,
    /// Width of a measuring bucket.
    pub bucket: Nanos,
    /// The rate is at most this times the measured rate.
    pub max_scale: f64,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn PacerKind>> {
    Ok(Arc::new(AwsAdaptiveSpec {
        c: f.number("c", 0.4, (0.0, true), 1e6)?,
        beta: f.number("beta", 0.7, (0.0, true), 0.999)?,
        min_rate: f.number("min_rate", 0.5, (0.0, true), 1e7)?,
        smoothing: f.fraction("smoothing", 0.8)?,
        bucket: f.positive_duration("bucket", Nanos::from_millis(500))?,
        max_scale: f.number("max_scale", 2.0, (0.0, true), 1e6)?,
    }))
}

impl PacerKind for AwsAdaptiveSpec {
    fn build(&self) -> Box<dyn Pacer> {
        Box::new(AwsAdaptive {
            spec: self.clone(),
            enabled: false,
            // botocore starts the bucket at max_rate = 1, empty.
            lanes: Lanes::new(Some(Bucket::new(1.0, 1.0, 0.0)), None, None)
                .with_horizon(Nanos::SECOND),
            cubic: Cubic {
                c: self.c,
                beta: self.beta,
                w_max: 0.0,
                k: 0.0,
                last_fail: 0.0,
            },
            measured: 0.0,
            last_bucket: 0.0,
            count: 0,
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("c", toml_number(self.c)),
            ("beta", toml_number(self.beta)),
            ("min_rate", toml_number(self.min_rate)),
            ("smoothing", toml_number(self.smoothing)),
            ("bucket", toml_duration(self.bucket)),
            ("max_scale", toml_number(self.max_scale)),
        ]
    }
}

pub struct AwsAdaptive {
    spec: AwsAdaptiveSpec,
    enabled: bool,
    lanes: Lanes,
    cubic: Cubic,
    // The rate clocker.
    measured: f64,
    last_bucket: f64,
    count: u64,
}

/// CUBIC on a request rate (botocore `throttling.py`, `CubicCalculator`), in
/// seconds and requests per second.
#[derive(Clone, Copy, Debug)]
pub struct Cubic {
    pub c: f64,
    pub beta: f64,
    /// The rate at the last throttle (the specification's `last_max_rate`).
    pub w_max: f64,
    /// Seconds after a throttle at which the rate is back at `w_max`.
    pub k: f64,
    /// When the last throttle came (`last_throttle_time`).
    pub last_fail: f64,
}

impl Cubic {
    /// A calculator that last saw a throttle at `last_fail` with the rate at `w_max`.
    pub fn new(c: f64, beta: f64, w_max: f64, last_fail: f64) -> Cubic {
        let mut cubic = Cubic {
            c,
            beta,
            w_max,
            k: 0.0,
            last_fail,
        };
        cubic.k = cubic.zero_point();
        cubic
    }

    fn zero_point(&self) -> f64 {
        (self.w_max * (1.0 - self.beta) / self.c).cbrt()
    }

    /// A throttle at `t` seconds while sending at `rate`: the new rate.
    pub fn throttle(&mut self, t: f64, rate: f64) -> f64 {
        self.w_max = rate;
        self.k = self.zero_point();
        self.last_fail = t;
        rate * self.beta
    }

    /// Any other answer at `t` seconds: the new rate.
    pub fn success(&self, t: f64) -> f64 {
        self.c * (t - self.last_fail - self.k).powi(3) + self.w_max
    }
}

impl AwsAdaptive {
    /// Counts one answer at `t` seconds and returns the smoothed rate.
    fn measure(&mut self, t: f64) -> f64 {
        let scale = 1.0 / self.spec.bucket.as_secs_f64();
        let bucket = (t * scale).floor() / scale;
        self.count += 1;
        if bucket > self.last_bucket {
            let current = self.count as f64 / (bucket - self.last_bucket);
            self.measured =
                current * self.spec.smoothing + self.measured * (1.0 - self.spec.smoothing);
            self.count = 0;
            self.last_bucket = bucket;
        }
        self.measured
    }

    /// The bucket's fill rate (botocore's `max_rate`).
    pub fn rate(&self) -> f64 {
        self.lanes.request_rate()
    }

    #[cfg(test)]
    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

impl Pacer for AwsAdaptive {
    #[inline]
    fn gate(&mut self, now: Nanos, _info: &SendInfo) -> Gate {
        if self.enabled {
            self.lanes.gate(now, 1)
        } else {
            Gate::Send
        }
    }

    fn observe(&mut self, seen: &Seen<'_>) {
        let t = seen.now.as_secs_f64();
        let measured = self.measure(t);
        let new_rate = if seen.response.status == Status::TooMany {
            let rate = if self.enabled {
                measured.min(self.rate())
            } else {
                measured
            };
            self.enabled = true;
            self.cubic.throttle(t, rate)
        } else {
            self.cubic.success(t)
        };
        let value = new_rate.min(self.spec.max_scale * measured);
        let fill = value.max(self.spec.min_rate);
        let capacity = if value >= 1.0 { value } else { 1.0 };
        self.lanes.set_request_rate(seen.now, fill, capacity);
    }

    fn cancel_reservations(&mut self) {
        self.lanes.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{Headers, Response};

    fn answer(p: &mut AwsAdaptive, at_ms: u64, status: Status) {
        let info = SendInfo {
            worker: None,
            tokens: 1,
            sent: 1,
        };
        let r = Response {
            status,
            cause: None,
            headers: Headers::default(),
            retry_after: None,
        };
        p.observe(&Seen {
            now: Nanos::from_millis(at_ms),
            info: &info,
            response: &r,
            clock: None,
        });
    }

    fn pacer() -> AwsAdaptive {
        AwsAdaptive {
            spec: AwsAdaptiveSpec {
                c: 0.4,
                beta: 0.7,
                min_rate: 0.5,
                smoothing: 0.8,
                bucket: Nanos::from_millis(500),
                max_scale: 2.0,
            },
            enabled: false,
            lanes: Lanes::new(Some(Bucket::new(1.0, 1.0, 0.0)), None, None)
                .with_horizon(Nanos::SECOND),
            cubic: Cubic::new(0.4, 0.7, 0.0, 0.0),
            measured: 0.0,
            last_bucket: 0.0,
            count: 0,
        }
    }

    // The AWS SDKs' retry specification ("new-retries") publishes these
    // vectors; they are transcribed from smithy-lang/smithy-kotlin
    // runtime/runtime-core/jvm/test/aws/smithy/kotlin/runtime/retries/impl/
    // AdaptiveRetryIntegrationTestResources.kt at commit
    // 6373a5f747998ea0b1d2c82b677952368d4307e1 ("Test cases sourced from
    // new-retries specification"). The same end-to-end table is in
    // smithy-lang/smithy-rs rust-runtime/aws-smithy-runtime/src/client/
    // retries/client_rate_limiter.rs (test_client_sending_rates) at
    // 56ee88c5c6edd967967656f1e29f46b229105e79. Tolerance: the kotlin
    // harness's 5e-7.
    const TOLERANCE: f64 = 5e-7;

    /// "Cubic success #1" and "#2": (throttle?, timestamp, calculated_rate)
    /// from `last_max_rate` 10 and `last_throttle_time` 5.
    #[test]
    fn cubic_matches_the_specification_vectors() {
        let success_1 = [
            (false, 5.0, 7.0),
            (false, 6.0, 9.64893600966),
            (false, 7.0, 10.000030849917364),
            (false, 8.0, 10.453284520772092),
            (false, 9.0, 13.408697022224185),
            (false, 10.0, 21.26626835427364),
            (false, 11.0, 36.425998516920465),
        ];
        let success_2 = [
            (false, 5.0, 7.0),
            (false, 6.0, 9.64893600966),
            (true, 7.0, 6.754255206761999),
            (true, 8.0, 4.727978644733399),
            (false, 9.0, 6.606547753887045),
            (false, 10.0, 6.763279816944947),
            (false, 11.0, 7.598174833907107),
            (false, 12.0, 11.511232804773524),
        ];
        for cases in [&success_1[..], &success_2[..]] {
            let mut cubic = Cubic::new(0.4, 0.7, 10.0, 5.0);
            let mut rate = 0.0;
            for &(throttle, t, want) in cases {
                // A throttle cuts the rate the client was sending at.
                rate = if throttle {
                    cubic.throttle(t, rate)
                } else {
                    cubic.success(t)
                };
                assert!((rate - want).abs() < TOLERANCE, "t = {t}: {rate} vs {want}");
            }
        }
        // botocore tests/unit/retries/test_throttling.py (commit
        // 0e6e2404b85dc336dd2889814e089bde7d1a4c55): K for a start at 10 and
        // after a throttle at 8 TPS.
        assert!((Cubic::new(0.4, 0.7, 10.0, 0.0).k - 1.9574338205844317).abs() < 1e-12);
        let mut cubic = Cubic::new(0.4, 0.7, 10.0, 0.0);
        assert!((cubic.throttle(1.0, 8.0) - 5.6).abs() < 1e-12);
        assert!((cubic.k - 1.8171205928321397).abs() < 1e-12);
    }

    /// "End-to-end test for client sending rates": an answer every 0.2 s,
    /// (throttle?, timestamp, measured_tx_rate, new_token_bucket_rate).
    #[test]
    fn measured_and_fill_rates_match_the_end_to_end_vector() {
        let cases = [
            (false, 0.2, 0.0, 0.5),
            (false, 0.4, 0.0, 0.5),
            (false, 0.6, 4.8, 0.5),
            (false, 0.8, 4.8, 0.5),
            (false, 1.0, 4.16, 0.5),
            (false, 1.2, 4.16, 0.6912),
            (false, 1.4, 4.16, 1.0976),
            (false, 1.6, 5.632, 1.6384),
            (false, 1.8, 5.632, 2.3328),
            (true, 2.0, 4.3264, 3.02848),
            (false, 2.2, 4.3264, 3.486639),
            (false, 2.4, 4.3264, 3.821874),
            (false, 2.6, 5.66528, 4.053386),
            (false, 2.8, 5.66528, 4.200373),
            (false, 3.0, 4.333056, 4.282037),
            (true, 3.2, 4.333056, 2.997426),
            (false, 3.4, 4.333056, 3.452226),
        ];
        let mut p = pacer();
        for (throttle, t, measured, fill) in cases {
            let status = if throttle {
                Status::TooMany
            } else {
                Status::Ok
            };
            answer(&mut p, (t * 1000.0_f64).round() as u64, status);
            assert!(
                (p.measured - measured).abs() < TOLERANCE,
                "t = {t}: measured {}",
                p.measured
            );
            // The published fill rates are rounded to 6 decimals.
            assert!(
                (p.rate() - fill).abs() < 5e-7 + 1e-12,
                "t = {t}: fill {} vs {fill}",
                p.rate()
            );
            assert_eq!(p.enabled(), t >= 2.0, "on from the first throttle");
        }
    }

    #[test]
    fn off_until_the_first_throttle_then_cubic() {
        let mut p = pacer();
        let info = SendInfo {
            worker: None,
            tokens: 1,
            sent: 0,
        };
        // 10 answers per second for 5 s: measured rate converges on 10/s.
        for i in 0..50 {
            answer(&mut p, 100 * i + 50, Status::Ok);
            assert_eq!(p.gate(Nanos::from_millis(100 * i + 60), &info), Gate::Send);
        }
        assert!(!p.enabled());
        let m = p.measured;
        assert!((m - 10.0).abs() < 0.5, "measured {m}");
        // A throttle at 5.05 s: Wmax = measured, rate = 0.7 * Wmax, bucket on.
        answer(&mut p, 5050, Status::TooMany);
        assert!(p.enabled());
        let w_max = p.cubic.w_max;
        assert!(
            (p.rate() - 0.7 * w_max).abs() < 1e-9,
            "{} vs {}",
            p.rate(),
            w_max
        );
        assert!((p.cubic.k - (w_max * 0.3 / 0.4).cbrt()).abs() < 1e-12);
        // K seconds after the throttle, a success puts the rate back at Wmax
        // (if the measured rate allows).
        let at = 5050 + (p.cubic.k * 1000.0).round() as u64;
        answer(&mut p, at, Status::Ok);
        let expected = w_max.min(2.0 * p.measured);
        assert!(
            (p.rate() - expected).abs() < 0.01,
            "{} vs {}",
            p.rate(),
            expected
        );
    }
}
