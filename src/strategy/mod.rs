//! Client strategies: what a client does before each send and after each answer.
//!
//! A strategy is a composition of small parts, each behind its own trait or
//! type, each optional except the first two:
//!
//! - a [`Backoff`] schedule: how long to wait before retry n;
//! - a [`RetryPolicy`]: whether to retry at all (status, attempts, deadline);
//! - [`hints::Hints`]: whether `Retry-After` and the reset headers override the
//!   schedule, which wins when both exist, and how far they are trusted;
//! - a [`pacer::Pacer`] that holds sends back before they leave (client-side
//!   token buckets, header tracking, AWS's CUBIC rate, AIMD, adaptive buckets);
//! - a [`budget::Budget`] that refuses retries (or, for SRE throttling, any
//!   request) when the client has been failing too much;
//! - a [`breaker::Breaker`] that stops all traffic after repeated failures;
//! - a global pause after any 429, as the OpenAI cookbook does.
//!
//! The engine only calls [`Client::gate`] before each send and
//! [`Client::on_success`] / [`Client::on_failure`] after each answer, so every
//! part plugs in here without touching the engine. [`config`] reads a
//! composition (or a [`presets`] name) from a scenario.
//!
//! Strategies see only what a real client sees: the status, the headers, the
//! `Retry-After` value and their own history. They never read server state
//! (a 429's [`crate::response::Cause`] is the simulator's bookkeeping; a
//! client tells a token limit from a request limit by the remaining headers).

pub mod backoff;
pub mod breaker;
pub mod budget;
pub mod config;
pub mod hints;
pub mod pacer;
pub mod presets;
pub mod retry;

#[cfg(test)]
mod conformance;

pub use backoff::{Backoff, BackoffSpec};
pub use retry::{GiveUp, RetryPolicy, StatusSet};

use crate::policy::HeaderUnits;
use crate::response::{Response, Status};
use crate::rng::Rng;
use crate::time::{Clock, Nanos};
use breaker::{Breaker, BreakerSpec};
use budget::{Budget, BudgetSpec};
use hints::{Hint, Hints};
use pacer::{Pacer, PacerSpec, Seen};
use std::sync::Arc;

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
    /// Tokens the client expects its request to use (input plus max_tokens):
    /// how it tells "this request does not fit the tokens left" from the headers.
    pub tokens: u64,
}

/// Whether the parts of a strategy are one per client group or one per worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One pacer, budget, breaker and pause for the whole group, like one SDK
    /// client object shared by every thread of a process (the default).
    Shared,
    /// Each closed-loop worker has its own (one client object per thread).
    /// Open-loop requests have no worker and share one set.
    PerWorker,
}

impl Scope {
    pub const fn label(self) -> &'static str {
        match self {
            Scope::Shared => "shared",
            Scope::PerWorker => "per-worker",
        }
    }
}

/// A strategy as written in a scenario, validated.
#[derive(Clone, Debug)]
pub struct StrategySpec {
    /// Short label used in reports ("full-jitter", or a preset's name).
    pub name: String,
    pub backoff: BackoffSpec,
    pub retry: RetryPolicy,
    /// Server hints that override the schedule; `None` ignores them.
    pub hints: Option<Hints>,
    pub pacer: Option<PacerSpec>,
    /// Whether retries go through the pacer too (LangChain's limiter only
    /// paces the first call; the SDK under it retries on its own).
    pub pace_retries: bool,
    pub budget: Option<BudgetSpec>,
    pub breaker: Option<BreakerSpec>,
    /// Hold every send for this long after any 429 (zero: never).
    pub pause_after_429: Nanos,
    pub scope: Scope,
    /// Parameters drawn once per client, if any; the fields above then hold
    /// each parameter's low end (see [`StrategySpec::draw`]).
    pub random: Option<Arc<config::Random>>,
}

impl StrategySpec {
    /// A fresh client with this strategy (one per client group and run). It
    /// knows the run's clock and header units, to read the Unix reset header
    /// after a success.
    pub fn build(&self, clock: Clock, header_units: HeaderUnits) -> Client {
        Client {
            stateless: self.pacer.is_none()
                && self.budget.is_none()
                && self.breaker.is_none()
                && self.pause_after_429 == Nanos::ZERO,
            spec: self.clone(),
            clock: (clock, header_units),
            parts: Vec::new(),
        }
    }

    /// Whether some parameter is drawn per client (`{ uniform = [...] }`).
    pub fn is_random(&self) -> bool {
        self.random.is_some()
    }

    /// One client's strategy: every random parameter replaced by one draw
    /// from `rng` (the client's own stream), in a fixed order. Without random
    /// parameters, the same spec, and `rng` is not touched.
    pub fn draw(&self, rng: &mut Rng) -> StrategySpec {
        match &self.random {
            None => self.clone(),
            Some(r) => StrategySpec {
                name: self.name.clone(),
                ..r.draw(rng)
            },
        }
    }

    /// Whether any part of the client reads the `x-ratelimit-*` headers
    /// (`Retry-After` is carried apart and always sent).
    pub fn reads_headers(&self) -> bool {
        self.backoff.reads_headers()
            || self.hints.as_ref().is_some_and(|h| h.reset)
            || self.pacer.as_ref().is_some_and(PacerSpec::reads_headers)
    }

    /// A strategy made of a schedule and a retry policy only.
    pub fn plain(name: &str, backoff: BackoffSpec, retry: RetryPolicy) -> StrategySpec {
        StrategySpec {
            name: name.to_string(),
            backoff,
            retry,
            hints: None,
            pacer: None,
            pace_retries: true,
            budget: None,
            breaker: None,
            pause_after_429: Nanos::ZERO,
            scope: Scope::Shared,
            random: None,
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
    /// Attempts already sent (0 for the first). In `on_success` and
    /// `on_failure`, the attempts sent including the one answered.
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

/// The stateful parts of a strategy: one set per group, or one per worker.
struct Parts {
    pacer: Option<Box<dyn Pacer>>,
    budget: Option<Box<dyn Budget>>,
    breaker: Option<Breaker>,
    /// No send before this instant (the pause after a 429).
    paused_until: Nanos,
}

/// The client side of one group: a strategy instance with its state.
pub struct Client {
    spec: StrategySpec,
    /// The run's clock and header units.
    clock: (Clock, HeaderUnits),
    /// `parts[0]` is shared (and serves open-loop requests); with
    /// [`Scope::PerWorker`], worker w uses `parts[w + 1]`. Grown on first use.
    parts: Vec<Parts>,
    /// No pacer, budget, breaker or pause: every send goes, and a success
    /// changes nothing (most strategies; the gate then costs one branch
    /// instead of finding the parts on every send and answer).
    stateless: bool,
}

impl Client {
    /// What the shared budget holds (tokens, retries), once a send made it.
    #[cfg(test)]
    pub(crate) fn budget_balance(&mut self, now: Nanos) -> Option<f64> {
        let budget = self.parts.first_mut()?.budget.as_mut()?;
        Some(budget.balance(now))
    }

    fn parts(&mut self, info: &SendInfo) -> &mut Parts {
        let slot = match (self.spec.scope, info.worker) {
            (Scope::PerWorker, Some(w)) => w as usize + 1,
            _ => 0,
        };
        while self.parts.len() <= slot {
            let s = &self.spec;
            self.parts.push(Parts {
                pacer: s.pacer.as_ref().map(PacerSpec::build),
                budget: s.budget.as_ref().map(BudgetSpec::build),
                breaker: s.breaker.as_ref().map(Breaker::new),
                paused_until: Nanos::ZERO,
            });
        }
        &mut self.parts[slot]
    }

    /// Called before every send, first attempts included. The order is the
    /// one a caller meets in a real stack: the pause, the breaker (fail fast),
    /// the pacer (which commits the send when it lets it go), then adaptive
    /// throttling (which counts every request it sees, so it runs once per send).
    #[inline]
    pub fn gate(&mut self, now: Nanos, info: &SendInfo, rng: &mut Rng) -> Gate {
        if self.stateless {
            return Gate::Send;
        }
        let pace = self.spec.pace_retries || info.sent == 0;
        let p = self.parts(info);
        if now < p.paused_until {
            return Gate::WaitUntil(p.paused_until);
        }
        if let Some(b) = &mut p.breaker {
            if !b.admits(now) {
                return Gate::Refuse(Refusal::Breaker);
            }
        }
        if pace {
            if let Some(pacer) = &mut p.pacer {
                match pacer.gate(now, info) {
                    Gate::Send => {}
                    other => return other,
                }
            }
        }
        if let Some(budget) = &mut p.budget {
            if let Err(refusal) = budget.on_send(now, info, rng) {
                return Gate::Refuse(refusal);
            }
        }
        if let Some(b) = &mut p.breaker {
            b.on_send(now);
        }
        Gate::Send
    }

    /// Whether [`Client::on_success`] does anything (a stateless client's
    /// does not, so the engine need not build what it would read).
    #[inline]
    pub fn observes_successes(&self) -> bool {
        !self.stateless
    }

    /// Called after every success.
    #[inline]
    pub fn on_success(&mut self, now: Nanos, info: &SendInfo, response: &Response) {
        if self.stateless {
            return;
        }
        let clock = self.clock;
        let p = self.parts(info);
        if let Some(pacer) = &mut p.pacer {
            pacer.observe(&Seen {
                now,
                info,
                response,
                clock: Some(clock),
            });
        }
        if let Some(b) = &mut p.breaker {
            b.record(now, Status::Ok);
        }
        if let Some(budget) = &mut p.budget {
            budget.on_success(now, info);
        }
    }

    /// The parts observe a failed answer: the pacer reads it, the breaker
    /// and the budget count it, and a 429 starts the pause after one. A
    /// stateless client has none of them and skips this.
    fn observe_failure(&mut self, info: &SendInfo, response: &Response, now: Nanos) {
        let clock = Some(self.clock);
        let retryable = self.spec.retry.retry_on.contains(response.status);
        let pause = self.spec.pause_after_429;
        let p = self.parts(info);
        if let Some(pacer) = &mut p.pacer {
            pacer.observe(&Seen {
                now,
                info,
                response,
                clock,
            });
        }
        if let Some(b) = &mut p.breaker {
            b.record(now, response.status);
        }
        if let Some(budget) = &mut p.budget {
            budget.on_failure(retryable);
        }
        if pause > Nanos::ZERO && response.status == Status::TooMany {
            p.paused_until = p.paused_until.max(now + pause);
            if let Some(pacer) = &mut p.pacer {
                // Sends promised before the pause are taken back: after it,
                // everyone queues at the pacer afresh, as in a dispatcher loop.
                pacer.cancel_reservations();
            }
        }
    }

    /// Called after every answer that is not a success: the parts observe it,
    /// then the retry policy, the hints or the schedule, the deadline and the
    /// budget decide, in that order.
    #[allow(clippy::too_many_arguments)]
    pub fn on_failure(
        &mut self,
        state: &mut Attempts,
        info: &SendInfo,
        response: &Response,
        now: Nanos,
        rng: &mut Rng,
    ) -> Next {
        let (clock, header_units) = self.clock;
        if !self.stateless {
            self.observe_failure(info, response, now);
        }
        if let Some(reason) = self.spec.retry.refuses(state.sent, response.status) {
            return Next::GiveUp(reason);
        }
        let ctx = RetryCtx {
            retry: state.sent,
            prev_delay: state.prev_delay,
            response,
            now,
            clock,
            header_units,
            tokens: info.tokens,
        };
        let hinted = match &self.spec.hints {
            Some(h) => h.decide(&ctx, rng),
            None => Hint::None,
        };
        let delay = match hinted {
            Hint::Wait(d) => d,
            Hint::GiveUp => return Next::GiveUp(GiveUp::NotRetryable),
            Hint::None => self.spec.backoff.delay(&ctx, rng),
        };
        if let Some(deadline) = self.spec.retry.deadline {
            if (now + delay).0 > (state.arrival + deadline).0 {
                return Next::GiveUp(GiveUp::Deadline);
            }
        }
        // (A client without a budget need not find its parts.)
        let budget = match self.spec.budget {
            Some(_) => self.parts(info).budget.as_mut(),
            None => None,
        };
        if let Some(budget) = budget {
            if !budget.withdraw(now, response.status) {
                return Next::Refuse(Refusal::Budget);
            }
        }
        state.prev_delay = delay;
        Next::RetryAfter(delay)
    }
}
