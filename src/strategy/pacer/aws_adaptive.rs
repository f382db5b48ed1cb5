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
            w_max: 0.0,
            k: 0.0,
            last_fail: 0.0,
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
    // CUBIC, in seconds and requests per second.
    w_max: f64,
    k: f64,
    last_fail: f64,
    // The rate clocker.
    measured: f64,
    last_bucket: f64,
    count: u64,
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

    fn zero_point(&self) -> f64 {
        (self.w_max * (1.0 - self.spec.beta) / self.spec.c).cbrt()
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
            self.w_max = rate;
            self.k = self.zero_point();
            self.last_fail = t;
            self.enabled = true;
            rate * self.spec.beta
        } else {
            self.spec.c * (t - self.last_fail - self.k).powi(3) + self.w_max
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
            w_max: 0.0,
            k: 0.0,
            last_fail: 0.0,
            measured: 0.0,
            last_bucket: 0.0,
            count: 0,
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
        let w_max = p.w_max;
        assert!(
            (p.rate() - 0.7 * w_max).abs() < 1e-9,
            "{} vs {}",
            p.rate(),
            w_max
        );
        assert!((p.k - (w_max * 0.3 / 0.4).cbrt()).abs() < 1e-12);
        // K seconds after the throttle, a success puts the rate back at Wmax
        // (if the measured rate allows).
        let at = 5050 + (p.k * 1000.0).round() as u64;
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
