//! A continuously refilled token bucket, and the lanes (one bucket per counted
//! quantity) that promise waiting sends their slots.
//!
//! A send that finds too few tokens is told the instant its tokens will be
//! there, and is charged as of that instant: the planning bucket's clock
//! moves ahead to it (refill meanwhile is capped at the bucket's size, as if
//! the send took its tokens then). Later sends queue behind it because they
//! find the bucket charged up to that instant, so sends leave in arrival order
//! at exactly the bucket's rate (GCRA's view of a token bucket), and every send
//! is conformant at the instant it leaves, even when waits are rounded up to a
//! polling step. When a waiting send asks again, it takes the first promised
//! slot that is due; since promises are kept in due order, that is its own
//! unless another send arrived at the very same instant. The queue of promises
//! grows to the peak backlog, like the engine's slab, and no further.
//!
//! Beside the planning buckets, the lanes keep the buckets as charged by the
//! sends that actually left; cancelling the promises (a pause) puts the
//! planning buckets back to those, exactly.
//!
//! A promise fixes a slot at the rate of the moment. That is exact for a fixed
//! rate, but an adaptive rate must reach the sends already waiting (botocore's
//! waiters recompute with the current rate; promising a long backlog at a
//! collapsed rate would keep it collapsed). So adaptive pacers promise only
//! within a `horizon` (1 s): a send whose slot is farther away parks until its
//! slot should be half a horizon away, behind the sends parked before it, and
//! then asks again. The parked sends' wake-up times sit in a heap so each one
//! is counted until it wakes; sends that arrive while the rate rises may pass
//! parked ones, as threads racing for botocore's lock may.
//!
//! A request larger than the bucket waits for a full bucket and then takes
//! all of it and more (the debt makes the next ones wait), so it is never
//! stuck. Rates are in tokens per second; time is integer nanoseconds.

use crate::strategy::Gate;
use crate::time::Nanos;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Floating slack below which a bucket counts as holding what is needed.
const EPS: f64 = 1e-9;

#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    /// Tokens per second.
    rate: f64,
    capacity: f64,
    /// Tokens at `at` (negative: debt).
    level: f64,
    at: Nanos,
}

impl Bucket {
    pub fn new(rate: f64, capacity: f64, level: f64) -> Bucket {
        Bucket {
            rate,
            capacity,
            level,
            at: Nanos::ZERO,
        }
    }

    /// Tokens at `t`, or at the bucket's clock if that is later (sends
    /// promised for the future are charged there).
    fn level(&self, t: Nanos) -> f64 {
        let dt = t.saturating_sub(self.at).as_secs_f64();
        (self.level + self.rate * dt).min(self.capacity)
    }

    fn advance(&mut self, t: Nanos) {
        if t > self.at {
            self.level = self.level(t);
            self.at = t;
        }
    }

    /// The first instant from `now` (and from the bucket's clock) at which
    /// `need` tokens, at most a full bucket, are there.
    fn ready_at(&mut self, now: Nanos, need: f64) -> Nanos {
        self.advance(now);
        let from = now.max(self.at);
        let short = need.min(self.capacity) - self.level;
        if short <= EPS {
            from
        } else {
            from + Nanos((short / self.rate * 1e9).ceil() as u64)
        }
    }

    /// Takes `n` tokens at `t` (which may be ahead of now).
    fn charge(&mut self, t: Nanos, n: f64) {
        self.advance(t);
        self.level -= n;
    }

    /// Changes the refill rate and size from `now` on (tokens above the new
    /// size are lost).
    fn set_rate(&mut self, now: Nanos, rate: f64, capacity: f64) {
        self.advance(now);
        self.rate = rate;
        self.capacity = capacity;
        self.level = self.level.min(capacity);
    }

    /// Throws away the tokens there are at `now` (debts stay).
    fn empty(&mut self, now: Nanos) {
        self.advance(now);
        self.level = self.level.min(0.0);
    }
}

#[derive(Clone, Copy, Debug)]
struct Promise {
    due: Nanos,
    tokens: u64,
}

/// A request bucket, a token bucket, or both, with the slots promised to
/// waiting sends.
#[derive(Clone, Debug)]
pub struct Lanes {
    /// Planning buckets: charged for every send, promised ones included.
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
    /// The same buckets charged only for sends that have left.
    left: (Option<Bucket>, Option<Bucket>),
    /// Waiting sends ask again only on multiples of this after they first
    /// asked (LangChain's limiter polls every 0.1 s); `None`: exactly when due.
    poll: Option<Nanos>,
    promised: VecDeque<Promise>,
    /// Promise no further ahead than this (adaptive rates).
    horizon: Option<Nanos>,
    /// Wake-up times of the parked sends.
    parked: BinaryHeap<Reverse<Nanos>>,
}

impl Lanes {
    pub fn new(requests: Option<Bucket>, tokens: Option<Bucket>, poll: Option<Nanos>) -> Lanes {
        Lanes {
            requests,
            tokens,
            left: (requests, tokens),
            poll,
            promised: VecDeque::new(),
            horizon: None,
            parked: BinaryHeap::new(),
        }
    }

    /// Promises slots at most `horizon` ahead (for rates that change).
    pub fn with_horizon(mut self, horizon: Nanos) -> Lanes {
        self.horizon = Some(horizon);
        self
    }

    /// Lets a send of `tokens` go now, or promises it a slot and says when.
    #[inline]
    pub fn gate(&mut self, now: Nanos, tokens: u64) -> Gate {
        // A waiting send asks again exactly when its slot is due, so a slot
        // past due was left by a send refused meanwhile (a breaker): drop it.
        while self.promised.front().is_some_and(|p| p.due < now) {
            self.promised.pop_front();
        }
        // A waiting send whose slot has come (of its size: another send may
        // ask at the same instant).
        if let Some(i) = self
            .promised
            .iter()
            .take_while(|p| p.due <= now)
            .position(|p| p.tokens == tokens)
        {
            let p = self.promised.remove(i).expect("found");
            Self::charge(&mut self.left, p.due, p.tokens as f64);
            return Gate::Send;
        }
        let mut ready = now;
        if let Some(b) = &mut self.requests {
            ready = ready.max(b.ready_at(now, 1.0));
        }
        if let Some(b) = &mut self.tokens {
            ready = ready.max(b.ready_at(now, tokens as f64));
        }
        let mut due = match self.poll {
            Some(p) if ready > now => now + Nanos((ready - now).0.div_ceil(p.0) * p.0),
            _ => ready,
        };
        if let Some(back) = self.promised.back() {
            due = due.max(back.due);
        }
        if let Some(h) = self.horizon {
            while self.parked.peek().is_some_and(|w| w.0 <= now) {
                self.parked.pop();
            }
            if due > now + h {
                let rate = self.requests.map_or(f64::INFINITY, |b| b.rate);
                let behind = Nanos::from_secs_f64(self.parked.len() as f64 / rate);
                let wake = (due + behind)
                    .saturating_sub(Nanos(h.0 / 2))
                    .max(now + Nanos(1));
                self.parked.push(Reverse(wake));
                return Gate::WaitUntil(wake);
            }
        }
        let mut planned = (self.requests, self.tokens);
        Self::charge(&mut planned, due, tokens as f64);
        (self.requests, self.tokens) = planned;
        if due <= now {
            Self::charge(&mut self.left, due, tokens as f64);
            return Gate::Send;
        }
        self.promised.push_back(Promise { due, tokens });
        Gate::WaitUntil(due)
    }

    fn charge(buckets: &mut (Option<Bucket>, Option<Bucket>), at: Nanos, tokens: f64) {
        if let Some(b) = &mut buckets.0 {
            b.charge(at, 1.0);
        }
        if let Some(b) = &mut buckets.1 {
            b.charge(at, tokens);
        }
    }

    /// Drops every promised slot; the waiting sends will ask again and queue
    /// afresh.
    pub fn cancel(&mut self) {
        self.promised.clear();
        (self.requests, self.tokens) = self.left;
    }

    /// Changes the request bucket's rate and size from `now` on.
    pub fn set_request_rate(&mut self, now: Nanos, rate: f64, capacity: f64) {
        for b in [&mut self.requests, &mut self.left.0].into_iter().flatten() {
            b.set_rate(now, rate, capacity);
        }
    }

    /// Throws away the request tokens there are at `now`.
    pub fn empty_requests(&mut self, now: Nanos) {
        for b in [&mut self.requests, &mut self.left.0].into_iter().flatten() {
            b.empty(now);
        }
    }

    /// Throws away every token there is at `now`, in both buckets.
    pub fn empty_all(&mut self, now: Nanos) {
        let (left_requests, left_tokens) = &mut self.left;
        for b in [
            &mut self.requests,
            &mut self.tokens,
            left_requests,
            left_tokens,
        ]
        .into_iter()
        .flatten()
        {
            b.empty(now);
        }
    }

    /// The request bucket's refill rate.
    pub fn request_rate(&self) -> f64 {
        self.requests.map_or(0.0, |b| b.rate)
    }

    /// Sends promised and not yet gone, and sends parked.
    #[cfg(test)]
    pub fn waiting(&self) -> (usize, usize) {
        (self.promised.len(), self.parked.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_taken_by_a_send_of_its_size_and_dropped_once_past() {
        let mut lanes = Lanes::new(Some(Bucket::new(1.0, 1.0, 0.0)), None, None);
        assert_eq!(lanes.gate(Nanos::ZERO, 7), Gate::WaitUntil(Nanos::SECOND));
        // Another send at the same instant does not take the 7-token slot.
        assert_eq!(
            lanes.gate(Nanos::SECOND, 9),
            Gate::WaitUntil(Nanos::from_secs(2))
        );
        assert_eq!(lanes.gate(Nanos::SECOND, 7), Gate::Send);
        // The 9-token send never comes back (refused): its slot is dropped.
        assert_eq!(lanes.gate(Nanos::from_secs(3), 9), Gate::Send);
        assert_eq!(lanes.waiting(), (0, 0));
    }

    #[test]
    fn waiting_sends_leave_in_order_at_the_rate() {
        // 2 per second, room for 1, starting full.
        let mut lanes = Lanes::new(Some(Bucket::new(2.0, 1.0, 1.0)), None, None);
        let t0 = Nanos::ZERO;
        assert_eq!(lanes.gate(t0, 1), Gate::Send);
        assert_eq!(lanes.gate(t0, 1), Gate::WaitUntil(Nanos::from_millis(500)));
        assert_eq!(lanes.gate(t0, 1), Gate::WaitUntil(Nanos::from_millis(1000)));
        assert_eq!(lanes.waiting(), (2, 0));
        // The first waiter comes back and goes; a newcomer queues behind the second.
        assert_eq!(lanes.gate(Nanos::from_millis(500), 1), Gate::Send);
        assert_eq!(
            lanes.gate(Nanos::from_millis(600), 1),
            Gate::WaitUntil(Nanos::from_millis(1500))
        );
        // Cancelling drops both promises: the bucket is as the three sends
        // that left made it (empty at 0.5 s), so at 1 s one token is there.
        lanes.cancel();
        assert_eq!(lanes.waiting(), (0, 0));
        assert_eq!(lanes.gate(Nanos::from_millis(1000), 1), Gate::Send);
        assert_eq!(
            lanes.gate(Nanos::from_millis(1000), 1),
            Gate::WaitUntil(Nanos::from_millis(1500))
        );
    }

    #[test]
    fn a_request_larger_than_the_bucket_waits_for_a_full_one_then_owes() {
        // 100 tokens per second, room for 100, starting empty.
        let mut lanes = Lanes::new(None, Some(Bucket::new(100.0, 100.0, 0.0)), None);
        assert_eq!(lanes.gate(Nanos::ZERO, 250), Gate::WaitUntil(Nanos::SECOND));
        // The next small one waits for the 150-token debt and its own 10.
        assert_eq!(lanes.gate(Nanos::SECOND, 250), Gate::Send, "the promise");
        assert_eq!(
            lanes.gate(Nanos::SECOND, 10),
            Gate::WaitUntil(Nanos::from_millis(2600))
        );
    }

    #[test]
    fn an_adaptive_rate_promises_only_a_horizon_ahead_and_parks_the_rest() {
        // 10 per second, room for 1, starting empty; promises up to 1 s ahead.
        let mut lanes =
            Lanes::new(Some(Bucket::new(10.0, 1.0, 0.0)), None, None).with_horizon(Nanos::SECOND);
        let ms = Nanos::from_millis;
        for i in 1..=10 {
            assert_eq!(lanes.gate(Nanos::ZERO, 1), Gate::WaitUntil(ms(100 * i)));
        }
        // The 11th slot (1.1 s) is beyond the horizon: park until 0.6 s; the
        // 12th parks 0.1 s behind it.
        assert_eq!(lanes.gate(Nanos::ZERO, 1), Gate::WaitUntil(ms(600)));
        assert_eq!(lanes.gate(Nanos::ZERO, 1), Gate::WaitUntil(ms(700)));
        assert_eq!(lanes.waiting(), (10, 2));
        // The rate doubles: new slots follow it at once.
        lanes.set_request_rate(ms(100), 20.0, 1.0);
        for i in 1..=5 {
            assert_eq!(lanes.gate(ms(100 * i), 1), Gate::Send);
        }
        assert_eq!(lanes.gate(ms(600), 1), Gate::Send, "the slot at 0.6 s");
        // The first parked send wakes at 0.6 s and gets the slot after 1 s.
        assert_eq!(lanes.gate(ms(600), 1), Gate::WaitUntil(ms(1050)));
    }

    #[test]
    fn polling_rounds_the_wait_up_to_the_next_check() {
        // LangChain's limiter: 1 per second, room for 1, starting empty, checks every 100 ms.
        let mut lanes = Lanes::new(
            Some(Bucket::new(1.0, 1.0, 0.0)),
            None,
            Some(Nanos::from_millis(100)),
        );
        assert_eq!(
            lanes.gate(Nanos::from_millis(30), 1),
            Gate::WaitUntil(Nanos::from_millis(1030))
        );
        assert_eq!(lanes.gate(Nanos::from_millis(1030), 1), Gate::Send);
        assert_eq!(
            lanes.gate(Nanos::from_millis(1500), 1),
            Gate::WaitUntil(Nanos::from_millis(2100)),
            "the token taken at 1.03 s"
        );
    }
}
