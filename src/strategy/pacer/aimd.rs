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
    /// Infinite when `max = "none"`.
    pub max: f64,
    /// How much refill the bucket holds (at least one request), unless
    /// `capacity` fixes its size.
    pub burst: Nanos,
    /// A bucket of this many requests whatever the rate.
    pub capacity: Option<f64>,
    /// Requests in the bucket at the start (default: full).
    pub tokens: Option<f64>,
}

impl RateRange {
    pub(super) fn parse(f: &Fields<'_>) -> Result<RateRange> {
        let max = match f.has("max") && f.is_none("max") {
            true => f64::INFINITY,
            false => f.rate("max", 100.0)?,
        };
        let capacity = match f.has("capacity") {
            true => Some(f.number("capacity", 1.0, (1.0, false), 1e9)?),
            false => None,
        };
        let tokens = match f.has("tokens") {
            true => Some(f.number("tokens", 0.0, (0.0, false), capacity.unwrap_or(1e9))?),
            false => None,
        };
        let r = RateRange {
            initial: f.rate("initial", 1.0)?,
            min: f.rate("min", 1.0 / 60.0)?,
            max,
            burst: f.duration("burst", Nanos::ZERO)?,
            capacity,
            tokens,
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
        if let (None, Some(t)) = (capacity, tokens) {
            if t > r.capacity(r.initial) {
                return Err(f.err(
                    "tokens",
                    format!(
                        "{t} tokens do not fit the starting bucket ({} requests); set `capacity`",
                        r.capacity(r.initial)
                    ),
                ));
            }
        }
        Ok(r)
    }

    pub(super) fn params(&self) -> Vec<(&'static str, String)> {
        let max = if self.max.is_finite() {
            toml_rate(self.max)
        } else {
            "\"none\"".to_string()
        };
        let mut v = vec![
            ("initial", toml_rate(self.initial)),
            ("min", toml_rate(self.min)),
            ("max", max),
            ("burst", toml_duration(self.burst)),
        ];
        if let Some(c) = self.capacity {
            v.push(("capacity", toml_number(c)));
        }
        if let Some(t) = self.tokens {
            v.push(("tokens", toml_number(t)));
        }
        v
    }

    fn capacity(&self, rate: f64) -> f64 {
        self.capacity
            .unwrap_or_else(|| (rate * self.burst.as_secs_f64()).max(1.0))
    }

    pub(super) fn lanes(&self) -> Lanes {
        let cap = self.capacity(self.initial);
        let tokens = self.tokens.unwrap_or(cap);
        Lanes::new(Some(Bucket::new(self.initial, cap, tokens)), None, None)
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
