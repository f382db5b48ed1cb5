//! Header tracking (venice-py): stop sending while the last answer said the
//! window was spent, until the reset it announced.
//!
//! After each answer the pacer remembers whether `x-ratelimit-remaining-requests`
//! (and, with `limits = "both"` or `"tokens"`, `x-ratelimit-remaining-tokens`)
//! was 0, and until when (`x-ratelimit-reset-requests` is a Unix time,
//! `x-ratelimit-reset-tokens` seconds from now). Sends wait until then; a later
//! answer with something remaining lifts the stop, as "last seen" clients do.
//! It spends nothing itself: every waiting send is released at the reset,
//! which is this design's known weakness (the herd at the reset).
//!
//! Reading the Unix reset needs the wall clock, which every client has from
//! [`crate::strategy::StrategySpec::build`]; an answer seen without it
//! ([`Seen::clock`] is `None`) cannot place a spent request window and is
//! ignored.

use super::{Pacer, PacerKind, Seen};
use crate::strategy::config::{Fields, Result};
use crate::strategy::hints::unix_reset;
use crate::strategy::{Gate, SendInfo};
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct HeaderTrackingSpec {
    pub requests: bool,
    pub tokens: bool,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn PacerKind>> {
    let limits = f.choice("limits", &["requests", "tokens", "both"], "both")?;
    Ok(Arc::new(HeaderTrackingSpec {
        requests: limits != "tokens",
        tokens: limits != "requests",
    }))
}

impl PacerKind for HeaderTrackingSpec {
    fn build(&self) -> Box<dyn Pacer> {
        Box::new(HeaderTracking {
            spec: self.clone(),
            requests_until: Nanos::ZERO,
            tokens_until: Nanos::ZERO,
        })
    }

    fn reads_headers(&self) -> bool {
        true
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let limits = match (self.requests, self.tokens) {
            (true, true) => "both",
            (true, false) => "requests",
            _ => "tokens",
        };
        vec![("limits", format!("\"{limits}\""))]
    }
}

pub struct HeaderTracking {
    spec: HeaderTrackingSpec,
    requests_until: Nanos,
    tokens_until: Nanos,
}

impl Pacer for HeaderTracking {
    #[inline]
    fn gate(&mut self, now: Nanos, _info: &SendInfo) -> Gate {
        let until = self.requests_until.max(self.tokens_until);
        if now < until {
            Gate::WaitUntil(until)
        } else {
            Gate::Send
        }
    }

    fn observe(&mut self, seen: &Seen<'_>) {
        let h = &seen.response.headers;
        if self.spec.requests {
            match (h.remaining_requests, h.reset_requests, seen.clock) {
                (Some(0), Some(reset), Some((clock, units))) => {
                    self.requests_until = unix_reset(clock, units, reset);
                }
                (Some(0), _, _) => {}
                _ => self.requests_until = Nanos::ZERO,
            }
        }
        if self.spec.tokens {
            self.tokens_until = match (h.remaining_tokens, h.reset_tokens) {
                (Some(0), Some(secs)) => seen.now + Nanos::from_secs(secs),
                _ => Nanos::ZERO,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HeaderUnits;
    use crate::response::{Headers, Response, Status};
    use crate::time::Clock;

    #[test]
    fn stops_at_zero_until_the_reset_and_resumes_on_news() {
        let mut p = HeaderTrackingSpec {
            requests: true,
            tokens: false,
        }
        .build();
        let info = SendInfo {
            worker: None,
            tokens: 10,
            sent: 0,
        };
        let clock = Clock {
            start_unix_ms: 1_000_000,
        };
        let seen = |remaining, now| {
            let r = Response {
                status: Status::Ok,
                cause: None,
                headers: Headers {
                    remaining_requests: Some(remaining),
                    reset_requests: Some(1060),
                    ..Headers::default()
                },
                retry_after: None,
            };
            (r, now)
        };
        let (r, now) = seen(0, Nanos::from_secs(20));
        p.observe(&Seen {
            now,
            info: &info,
            response: &r,
            clock: Some((clock, HeaderUnits::Seconds)),
        });
        assert_eq!(
            p.gate(Nanos::from_secs(21), &info),
            Gate::WaitUntil(Nanos::from_secs(60))
        );
        assert_eq!(p.gate(Nanos::from_secs(60), &info), Gate::Send);
        // Without the clock a spent window cannot be placed: no stop.
        let mut q = HeaderTrackingSpec {
            requests: true,
            tokens: false,
        }
        .build();
        q.observe(&Seen {
            now,
            info: &info,
            response: &r,
            clock: None,
        });
        assert_eq!(q.gate(Nanos::from_secs(21), &info), Gate::Send);
        // A later answer with requests left lifts the stop.
        let (r, now) = seen(5, Nanos::from_secs(22));
        p.observe(&Seen {
            now,
            info: &info,
            response: &r,
            clock: Some((clock, HeaderUnits::Seconds)),
        });
        assert_eq!(p.gate(Nanos::from_secs(23), &info), Gate::Send);
    }
}
