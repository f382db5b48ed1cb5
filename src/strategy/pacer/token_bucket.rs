//! A client-side token bucket on requests and tokens, sized from limits the
//! client knows (the OpenAI cookbook's parallel processor, LangChain's
//! `InMemoryRateLimiter`, and most hand-written limiters).
//!
//! The rate is `headroom` times the configured RPM and TPM, refilled
//! continuously. The bucket holds `burst` worth of refill (at least one
//! request): the default `"0s"` spaces sends evenly, so over any window W at
//! most `1 + rate * W` requests leave and a fixed or sliding minute never sees
//! more than the paced rate plus one; the cookbook holds a full minute and
//! starts full, which lets a fresh client burst a minute's worth at once.
//! `poll` makes waiting sends re-check only every so often (LangChain checks
//! every 0.1 s), and `start = "empty"` is LangChain's cold start: the bucket
//! is empty at the client's first send, whenever that comes (LangChain's
//! limiter starts its clock at the first `acquire`, with no tokens).

use super::bucket::{Bucket, Lanes};
use super::{Pacer, PacerKind};
use crate::strategy::config::{toml_duration, toml_number, Fields, Result};
use crate::strategy::{Gate, SendInfo};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct TokenBucketSpec {
    /// Requests per minute of the known limit.
    pub rpm: Option<f64>,
    /// Tokens per minute of the known limit.
    pub tpm: Option<f64>,
    /// The share of the limits the client allows itself, in (0, 1].
    pub headroom: f64,
    /// How much refill the bucket holds.
    pub burst: Nanos,
    pub start_full: bool,
    pub poll: Option<Nanos>,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn PacerKind>> {
    let limit = |key: &str| -> Result<Option<f64>> {
        if f.has(key) {
            f.number(key, 0.0, (0.0, true), 1e12).map(Some)
        } else {
            Ok(None)
        }
    };
    let (rpm, tpm) = (limit("rpm")?, limit("tpm")?);
    if rpm.is_none() && tpm.is_none() {
        return Err(f.err(
            "rpm",
            "a token-bucket pacer needs the limits it paces against: `rpm`, `tpm` or both",
        ));
    }
    Ok(Arc::new(TokenBucketSpec {
        rpm,
        tpm,
        headroom: f.fraction("headroom", 1.0)?,
        burst: f.duration("burst", Nanos::ZERO)?,
        start_full: f.choice("start", &["full", "empty"], "full")? == "full",
        poll: f.opt_positive_duration("poll")?,
    }))
}

impl TokenBucketSpec {
    fn bucket(&self, per_minute: f64, floor: f64) -> Bucket {
        let rate = per_minute * self.headroom / 60.0;
        let capacity = (rate * self.burst.as_secs_f64()).max(floor);
        Bucket::new(rate, capacity, if self.start_full { capacity } else { 0.0 })
    }
}

impl PacerKind for TokenBucketSpec {
    fn build(&self) -> Box<dyn super::Pacer> {
        Box::new(TokenBucket {
            lanes: Lanes::new(
                self.rpm.map(|r| self.bucket(r, 1.0)),
                self.tpm.map(|t| self.bucket(t, 0.0)),
                self.poll,
            ),
            cold: !self.start_full,
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if let Some(r) = self.rpm {
            v.push(("rpm", toml_number(r)));
        }
        if let Some(t) = self.tpm {
            v.push(("tpm", toml_number(t)));
        }
        v.push(("headroom", toml_number(self.headroom)));
        v.push(("burst", toml_duration(self.burst)));
        v.push((
            "start",
            if self.start_full {
                "\"full\""
            } else {
                "\"empty\""
            }
            .into(),
        ));
        if let Some(p) = self.poll {
            v.push(("poll", toml_duration(p)));
        }
        v
    }
}

pub struct TokenBucket {
    lanes: Lanes,
    /// Empty the buckets at the first send (`start = "empty"`).
    cold: bool,
}

impl Pacer for TokenBucket {
    #[inline]
    fn gate(&mut self, now: Nanos, info: &SendInfo) -> Gate {
        if self.cold {
            self.cold = false;
            self.lanes.empty_all(now);
        }
        self.lanes.gate(now, info.tokens)
    }

    fn cancel_reservations(&mut self) {
        self.lanes.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(tokens: u64) -> SendInfo {
        SendInfo {
            worker: None,
            tokens,
            sent: 0,
        }
    }

    #[test]
    fn the_cookbook_bursts_a_minute_then_paces() {
        // 3000 RPM at 50% headroom, a minute's bucket, starting full.
        let spec = TokenBucketSpec {
            rpm: Some(3000.0),
            tpm: None,
            headroom: 0.5,
            burst: Nanos::MINUTE,
            start_full: true,
            poll: None,
        };
        let mut p = spec.build();
        for _ in 0..1500 {
            assert_eq!(p.gate(Nanos::ZERO, &info(10)), Gate::Send);
        }
        // 1500/min = one every 40 ms.
        assert_eq!(
            p.gate(Nanos::ZERO, &info(10)),
            Gate::WaitUntil(Nanos::from_millis(40))
        );
    }

    #[test]
    fn tokens_bind_when_requests_are_large() {
        // 100 RPM and 6000 TPM at 90%: 1.5 requests or 90 tokens per second.
        let spec = TokenBucketSpec {
            rpm: Some(100.0),
            tpm: Some(6000.0),
            headroom: 0.9,
            burst: Nanos::ZERO,
            start_full: true,
            poll: None,
        };
        let mut p = spec.build();
        assert_eq!(p.gate(Nanos::ZERO, &info(900)), Gate::Send);
        // 900 tokens owed at 90 per second: 10 s.
        assert_eq!(
            p.gate(Nanos::ZERO, &info(900)),
            Gate::WaitUntil(Nanos::from_secs(10))
        );
    }
}
