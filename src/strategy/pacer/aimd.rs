//! Additive increase, multiplicative decrease: the classic alternative to
//! CUBIC (TCP Reno's rule applied to a request rate). Each success adds
//! `increase` to the rate, each 429 multiplies it by `decrease`, within
//! [`min`, `max`]. Not a preset of any SDK: the constants are ratesim's
//! defaults and every one can be set.

use super::bucket::{Bucket, Lanes};
use super::{toml_rate, Pacer, PacerKind, Seen};
use crate::response::Status;
use crate::strategy::config::{toml_duration, toml_number, Fields, Result};
use crate::strategy::{Gate, SendInfo};
use crate::time::Nanos;
use std::sync::Arc;

/// The rate bounds and bucket size shared by the adaptive buckets.
#[derive(Clone, Debug)]
pub struct RateRange {
    /// Requests per second at the start.
    pub initial: f64,
    pub min: f64,
    pub max: f64,
    /// How much refill the bucket holds (at least one request).
    pub burst: Nanos,
}

impl RateRange {
    pub(super) fn parse(f: &Fields<'_>) -> Result<RateRange> {
        let r = RateRange {
            initial: f.rate("initial", 1.0)?,
            min: f.rate("min", 1.0 / 60.0)?,
            max: f.rate("max", 100.0)?,
            burst: f.duration("burst", Nanos::ZERO)?,
        };
        if r.min > r.max || r.initial < r.min || r.initial > r.max {
            return Err(f.err(
                "initial",
                format!(
                    "needs min <= initial <= max (got min {}, initial {}, max {})",
                    toml_rate(r.min),
                    toml_rate(r.initial),
                    toml_rate(r.max)
                ),
            ));
        }
        Ok(r)
    }

    pub(super) fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("initial", toml_rate(self.initial)),
            ("min", toml_rate(self.min)),
            ("max", toml_rate(self.max)),
            ("burst", toml_duration(self.burst)),
        ]
    }

    fn capacity(&self, rate: f64) -> f64 {
        (rate * self.burst.as_secs_f64()).max(1.0)
    }

    pub(super) fn lanes(&self) -> Lanes {
        let cap = self.capacity(self.initial);
        Lanes::new(Some(Bucket::new(self.initial, cap, cap)), None, None)
            .with_horizon(Nanos::SECOND)
    }

    /// Sets the bucket to `rate` (clamped) from `now`; returns the clamped rate.
    pub(super) fn apply(&self, lanes: &mut Lanes, now: Nanos, rate: f64) -> f64 {
        let rate = rate.clamp(self.min, self.max);
        lanes.set_request_rate(now, rate, self.capacity(rate));
        rate
    }
}

#[derive(Clone, Debug)]
pub struct AimdSpec {
    pub range: RateRange,
    /// Requests per second added per success.
    pub increase: f64,
    pub decrease: f64,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn PacerKind>> {
    Ok(Arc::new(AimdSpec {
        range: RateRange::parse(f)?,
        increase: f.rate("increase", 1.0 / 60.0)?,
        decrease: f.number("decrease", 0.5, (0.0, true), 0.999)?,
    }))
}

impl PacerKind for AimdSpec {
    fn build(&self) -> Box<dyn Pacer> {
        Box::new(Aimd {
            lanes: self.range.lanes(),
            rate: self.range.initial,
            spec: self.clone(),
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut v = self.range.params();
        v.push(("increase", toml_rate(self.increase)));
        v.push(("decrease", toml_number(self.decrease)));
        v
    }
}

pub struct Aimd {
    spec: AimdSpec,
    lanes: Lanes,
    rate: f64,
}

impl Pacer for Aimd {
    #[inline]
    fn gate(&mut self, now: Nanos, _info: &SendInfo) -> Gate {
        self.lanes.gate(now, 1)
    }

    fn observe(&mut self, seen: &Seen<'_>) {
        let target = match seen.response.status {
            Status::Ok => self.rate + self.spec.increase,
            Status::TooMany => self.rate * self.spec.decrease,
            _ => return,
        };
        self.rate = self.spec.range.apply(&mut self.lanes, seen.now, target);
    }

    fn cancel_reservations(&mut self) {
        self.lanes.cancel();
    }
}
