//! The adaptive token bucket (ATB): a client-side bucket whose rate grows by
//! `increase` (x1.2) after each success and shrinks by `decrease` (x0.5) after
//! each 429, which also empties the bucket. It is meant to replace backoff:
//! pair it with `kind = "immediate"` so a retry simply queues for a token.
//! The rate stays within [`min`, `max`] (default 1/min to 100/s), since
//! growth by a factor per success is otherwise unbounded.

use super::aimd::RateRange;
use super::bucket::Lanes;
use super::{Pacer, PacerKind, Seen};
use crate::response::Status;
use crate::strategy::config::{toml_number, Fields, Result};
use crate::strategy::{Gate, SendInfo};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AdaptiveBucketSpec {
    pub range: RateRange,
    pub increase: f64,
    pub decrease: f64,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn PacerKind>> {
    Ok(Arc::new(AdaptiveBucketSpec {
        range: RateRange::parse(f)?,
        increase: f.number("increase", 1.2, (1.0, true), 100.0)?,
        decrease: f.number("decrease", 0.5, (0.0, true), 0.999)?,
    }))
}

impl PacerKind for AdaptiveBucketSpec {
    fn build(&self) -> Box<dyn Pacer> {
        Box::new(AdaptiveBucket {
            lanes: self.range.lanes(),
            rate: self.range.initial,
            spec: self.clone(),
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut v = self.range.params();
        v.push(("increase", toml_number(self.increase)));
        v.push(("decrease", toml_number(self.decrease)));
        v
    }
}

pub struct AdaptiveBucket {
    spec: AdaptiveBucketSpec,
    lanes: Lanes,
    rate: f64,
}

impl Pacer for AdaptiveBucket {
    #[inline]
    fn gate(&mut self, now: Nanos, _info: &SendInfo) -> Gate {
        self.lanes.gate(now, 1)
    }

    fn observe(&mut self, seen: &Seen<'_>) {
        match seen.response.status {
            Status::Ok => {
                let target = self.rate * self.spec.increase;
                self.rate = self.spec.range.apply(&mut self.lanes, seen.now, target);
            }
            Status::TooMany => {
                let target = self.rate * self.spec.decrease;
                self.rate = self.spec.range.apply(&mut self.lanes, seen.now, target);
                self.lanes.empty_requests(seen.now);
            }
            _ => {}
        }
    }

    fn cancel_reservations(&mut self) {
        self.lanes.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{Headers, Response};

    #[test]
    fn grows_per_success_and_halves_per_429_with_an_empty_bucket() {
        let t: toml::Table = toml::from_str("initial = \"60/min\"").unwrap();
        let spec = AdaptiveBucketSpec {
            range: RateRange::parse(&Fields::new(&t, "")).unwrap(),
            increase: 1.2,
            decrease: 0.5,
        };
        let mut p = AdaptiveBucket {
            lanes: spec.range.lanes(),
            rate: 1.0,
            spec,
        };
        let info = SendInfo {
            worker: None,
            tokens: 1,
            sent: 0,
        };
        let seen = |p: &mut AdaptiveBucket, ms, status| {
            let r = Response {
                status,
                cause: None,
                headers: Headers::default(),
                retry_after: None,
            };
            p.observe(&Seen {
                now: Nanos::from_millis(ms),
                info: &info,
                response: &r,
                clock: None,
            });
        };
        assert_eq!(
            p.gate(Nanos::ZERO, &info),
            Gate::Send,
            "starts with one token"
        );
        seen(&mut p, 100, Status::Ok);
        seen(&mut p, 200, Status::Ok);
        assert!((p.rate - 1.44).abs() < 1e-12);
        seen(&mut p, 300, Status::TooMany);
        assert!((p.rate - 0.72).abs() < 1e-12);
        // Empty at 0.3 s, refilling 0.72 per second: one token at 0.3 + 1/0.72 s,
        // more than the 1 s horizon away: park until half a second before it.
        let want = Nanos::from_millis(300) + Nanos((1e9 / 0.72_f64).ceil() as u64);
        let park = want - Nanos::from_millis(500);
        assert_eq!(
            p.gate(Nanos::from_millis(300), &info),
            Gate::WaitUntil(park)
        );
        assert_eq!(p.gate(park, &info), Gate::WaitUntil(want));
        assert_eq!(p.gate(want, &info), Gate::Send);
    }
}
