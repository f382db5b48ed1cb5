//! Client retry strategies: what a client does after each answer.
//!
//! A strategy is a composition of small parts, each behind its own trait:
//! a [`Backoff`] schedule says how long to wait before retry n, and a
//! [`RetryPolicy`] says whether to retry at all (status, attempts, deadline).
//! The engine only calls [`Client::gate`] before each send and
//! [`Client::on_response`] after each answer, so new parts (pacers, budgets,
//! adaptive rates) plug in here without touching the engine.
//!
//! Strategies see only what a real client sees: the status, the headers and
//! their own history. They never read server state.

pub mod backoff;
pub mod config;
pub mod retry;

pub use backoff::{Backoff, BackoffSpec};
pub use retry::{GiveUp, RetryPolicy, StatusSet};

use crate::policy::HeaderUnits;
use crate::response::Response;
use crate::rng::Rng;
use crate::time::{Clock, Nanos};

/// Everything a backoff schedule may look at when choosing a delay.
#[derive(Clone, Copy, Debug)]
pub struct RetryCtx<'a> {
    /// Retry number: 1 for the first retry.
    pub retry: u32,
    /// The delay chosen before the previous retry (the schedule's base before the first).
    pub prev_delay: Nanos,
    /// The answer that triggered this retry.
    pub response: &'a Response,
    pub now: Nanos,
    pub clock: Clock,
    pub header_units: HeaderUnits,
}

/// A strategy as written in a scenario, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategySpec {
    /// Short label used in reports ("full-jitter", or a preset's name).
    pub name: String,
    pub backoff: BackoffSpec,
    pub retry: RetryPolicy,
}

impl StrategySpec {
    /// A fresh client with this strategy (one per client group and run).
    pub fn build(&self) -> Client {
        Client {
            backoff: self.backoff.build(),
            retry: self.retry.clone(),
        }
    }
}

/// What a request carries between attempts, owned by the engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attempts {
    /// Attempts sent so far (1 after the first send).
    pub sent: u32,
    /// The last backoff delay chosen.
    pub prev_delay: Nanos,
    /// When the request arrived at the client.
    pub arrival: Nanos,
    /// Time spent held back by the client before sends (pacers, pauses).
    pub client_wait: Nanos,
    /// Time spent waiting after failures (backoff delays).
    pub backoff_wait: Nanos,
}

/// What the client knows about a request it is about to send.
#[derive(Clone, Copy, Debug)]
pub struct SendInfo {
    /// The closed-loop worker sending it, if any.
    pub worker: Option<u32>,
    /// Tokens the request will use as the client estimates them (input plus
    /// max_tokens, else expected output): what a client-side TPM pacer counts.
    pub tokens: u64,
    /// Attempts already sent (0 for the first).
    pub sent: u32,
}

/// Whether a request may be sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Send,
    /// Ask again at this instant (a pacer or a pause holds the request back).
    WaitUntil(Nanos),
    /// The client refuses the request locally; it is never sent.
    Refuse(Refusal),
}

/// Why a client refused a request (or a retry) without sending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// A retry budget or quota is exhausted.
    Budget,
    /// A circuit breaker is open.
    Breaker,
    /// Client-side adaptive throttling rejected it.
    Throttle,
}

impl Refusal {
    pub const ALL: [Refusal; 3] = [Refusal::Budget, Refusal::Breaker, Refusal::Throttle];

    pub const fn label(self) -> &'static str {
        match self {
            Refusal::Budget => "refused_budget",
            Refusal::Breaker => "refused_breaker",
            Refusal::Throttle => "refused_throttle",
        }
    }

    pub const fn index(self) -> usize {
        match self {
            Refusal::Budget => 0,
            Refusal::Breaker => 1,
            Refusal::Throttle => 2,
        }
    }
}

/// What the client does after an answer that was not a success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send again after this delay.
    RetryAfter(Nanos),
    GiveUp(GiveUp),
    /// A retry the strategy would make is refused locally (e.g. by a budget).
    Refuse(Refusal),
}

/// The client side of one group: a strategy instance with its state.
pub struct Client {
    backoff: Box<dyn Backoff>,
    retry: RetryPolicy,
}

impl Client {
    /// Called before every send, first attempts included.
    #[inline]
    pub fn gate(&mut self, _now: Nanos, _info: &SendInfo, _rng: &mut Rng) -> Gate {
        Gate::Send
    }

    /// Called after every success.
    #[inline]
    pub fn on_success(&mut self, _now: Nanos, _info: &SendInfo, _response: &Response) {}

    /// Called after every answer that is not a success.
    #[allow(clippy::too_many_arguments)]
    pub fn on_failure(
        &mut self,
        state: &mut Attempts,
        _info: &SendInfo,
        response: &Response,
        now: Nanos,
        clock: Clock,
        header_units: HeaderUnits,
        rng: &mut Rng,
    ) -> Next {
        if let Some(reason) = self.retry.refuses(state.sent, response.status) {
            return Next::GiveUp(reason);
        }
        let ctx = RetryCtx {
            retry: state.sent,
            prev_delay: state.prev_delay,
            response,
            now,
            clock,
            header_units,
        };
        let delay = self.backoff.delay(&ctx, rng);
        if let Some(deadline) = self.retry.deadline {
            if (now + delay).0 > (state.arrival + deadline).0 {
                return Next::GiveUp(GiveUp::Deadline);
            }
        }
        state.prev_delay = delay;
        Next::RetryAfter(delay)
    }
}
