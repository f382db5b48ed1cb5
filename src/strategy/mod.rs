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
}

/// Whether a request may be sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Send,
}

/// What the client does after an answer that was not a success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send again after this delay.
    RetryAfter(Nanos),
    GiveUp(GiveUp),
}

/// The client side of one group: a strategy instance with its state.
pub struct Client {
    backoff: Box<dyn Backoff>,
    retry: RetryPolicy,
}

impl Client {
    /// Called before every send, first attempts included.
    #[inline]
    pub fn gate(&mut self, _now: Nanos) -> Gate {
        Gate::Send
    }

    /// Called after every answer that is not a success.
    pub fn on_failure(
        &mut self,
        state: &mut Attempts,
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
