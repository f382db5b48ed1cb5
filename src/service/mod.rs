//! The server's behaviour apart from its limits: how long answers take and
//! when it fails.
//!
//! An admitted request may still fail: scheduled outages answer every request
//! in their window, an overloaded model answers 429 with `Retry-After`, and a
//! small share of requests meet a 500 or 503. The limiter has already counted
//! such a request (the gateway counts before the model runs); this is a
//! documented assumption (docs/assumptions.md).
//!
//! `delay` holds the distributions of answer times and network legs, `load`
//! the servers that slow down with the requests they serve and the
//! concurrency limit.

pub mod delay;
pub mod load;

pub use delay::Delay;
pub use load::{Concurrency, InFlight, LoadModel};

use crate::policy::{Latency, ModelId};
use crate::response::Status;
use crate::rng::{unit, Rng};
use crate::time::Nanos;

/// A window during which every admitted request fails with `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outage {
    pub start: Nanos,
    pub end: Nanos,
    pub status: Status,
}

/// How the server fails and how fast it answers failures.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceConfig {
    /// Time to answer a 429 (a limit, the lockout, overload, concurrency).
    pub latency_429: Delay,
    /// Time to answer a 500 or 503.
    pub latency_5xx: Delay,
    /// Client to server: an attempt is admitted when it reaches the server.
    pub to_server: Delay,
    /// Server to client: the answer travels back before the client reads it.
    pub to_client: Delay,
    /// Models whose response time grows with their load.
    pub load: Vec<(ModelId, LoadModel)>,
    /// At most so many requests in flight per key (or key and model).
    pub concurrency: Option<Concurrency>,
    /// Probability that an admitted request is answered 500.
    pub error_500: f64,
    /// Probability that an admitted request is answered 503.
    pub error_503: f64,
    /// Probability that an admitted request is answered 429 "overloaded".
    pub overload: f64,
    /// `Retry-After` sent with an overloaded 429.
    pub overload_retry_after: Nanos,
    /// Sorted by start, non-overlapping.
    pub outages: Vec<Outage>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            latency_429: Delay::Constant(Nanos::from_millis(100)),
            latency_5xx: Delay::Constant(Nanos::from_millis(100)),
            to_server: Delay::ZERO,
            to_client: Delay::ZERO,
            load: Vec::new(),
            concurrency: None,
            error_500: 0.0,
            error_503: 0.0,
            overload: 0.0,
            overload_retry_after: Nanos::from_secs(30),
            outages: Vec::new(),
        }
    }
}

/// What happened to an admitted request on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    Ok,
    Overloaded,
    Failed(Status),
}

impl ServiceConfig {
    /// Whether an answer ever takes a network leg or a drawn error time:
    /// when not, the engine skips those draws altogether.
    pub fn has_network(&self) -> bool {
        !self.to_server.is_zero() || !self.to_client.is_zero()
    }

    /// Decide the fate of a request admitted at `now`. Draws from `rng` only
    /// when a probability is set, so turning faults off leaves other draws alone.
    pub fn serve(&self, now: Nanos, rng: &mut Rng) -> Served {
        if let Some(o) = self.outages.iter().find(|o| o.start <= now && now < o.end) {
            return Served::Failed(o.status);
        }
        let p = self.overload + self.error_500 + self.error_503;
        if p <= 0.0 {
            return Served::Ok;
        }
        let u = unit(rng);
        if u < self.overload {
            Served::Overloaded
        } else if u < self.overload + self.error_500 {
            Served::Failed(Status::Internal)
        } else if u < p {
            Served::Failed(Status::Unavailable)
        } else {
            Served::Ok
        }
    }
}

/// Response time of a successful request: first token plus decode time,
/// times the request's spread multiplier.
#[inline]
pub fn response_time(latency: &Latency, output_tokens: u32, spread_multiplier: f64) -> Nanos {
    let decode = if latency.tokens_per_sec > 0.0 {
        f64::from(output_tokens) / latency.tokens_per_sec
    } else {
        0.0
    };
    Nanos::from_secs_f64((latency.first_token.as_secs_f64() + decode) * spread_multiplier)
        .max(Nanos(1))
}

/// A lognormal multiplier with median 1 and the given sigma.
#[inline]
pub fn spread_multiplier(sigma: f64, rng: &mut Rng) -> f64 {
    if sigma <= 0.0 {
        return 1.0;
    }
    let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
    (sigma * z).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_answers_its_status_and_faults_have_their_rates() {
        let cfg = ServiceConfig {
            error_500: 0.1,
            outages: vec![Outage {
                start: Nanos::from_secs(10),
                end: Nanos::from_secs(20),
                status: Status::Unavailable,
            }],
            ..ServiceConfig::default()
        };
        let mut rng = crate::rng::stream(3, "svc", crate::rng::Purpose::Service);
        assert_eq!(
            cfg.serve(Nanos::from_secs(15), &mut rng),
            Served::Failed(Status::Unavailable)
        );
        let fails = (0..100_000)
            .filter(|_| cfg.serve(Nanos::ZERO, &mut rng) != Served::Ok)
            .count();
        assert!((9_000..11_000).contains(&fails), "{fails}");
    }

    #[test]
    fn response_time_adds_decode() {
        let l = Latency {
            first_token: Nanos::from_millis(500),
            tokens_per_sec: 100.0,
            spread: 0.0,
        };
        assert_eq!(response_time(&l, 300, 1.0), Nanos::from_millis(3500));
    }
}
