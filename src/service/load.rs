//! Servers that slow down under load, and the concurrency limit.
//!
//! Both need to know what a server is working on at an instant. ratesim
//! keeps, for each server, the finish times of the requests it admitted in a
//! small min-heap: a request is in flight from its admission until its finish
//! time (a finish at exactly `now` counts as done). A client that times out
//! does not take its request off the server: it stays in flight, and keeps
//! its slot, until the server finishes it.

use crate::time::Nanos;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// How a model's response time depends on the requests it is serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadModel {
    /// `slots` requests are served at once; the others wait in a first-in,
    /// first-out queue for the earliest slot to free up (an M/G/c server).
    Slots(u32),
    /// Every request takes its own response time plus this much for each
    /// other request in flight when it is admitted.
    PerRequest(Nanos),
}

/// At most `limit` requests in flight per key (or per key and model).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Concurrency {
    pub limit: u32,
    pub per_model: bool,
}

/// The finish times of what one server is working on.
#[derive(Clone, Debug, Default)]
pub struct InFlight {
    finishes: BinaryHeap<Reverse<Nanos>>,
}

impl InFlight {
    /// Requests still in flight at `now` (finished ones are dropped).
    pub fn count(&mut self, now: Nanos) -> usize {
        while self.finishes.peek().is_some_and(|f| f.0 <= now) {
            self.finishes.pop();
        }
        self.finishes.len()
    }

    pub fn push(&mut self, finish: Nanos) {
        self.finishes.push(Reverse(finish));
    }

    /// Admits a request needing `service` at `now` under `model` and returns
    /// how long the server takes to answer it, its wait in the queue
    /// included.
    pub fn serve(&mut self, model: LoadModel, now: Nanos, service: Nanos) -> Nanos {
        match model {
            LoadModel::Slots(slots) => {
                let start = if self.finishes.len() < slots as usize {
                    now
                } else {
                    let earliest = self.finishes.pop().expect("slots > 0").0;
                    earliest.max(now)
                };
                let finish = start + service;
                self.push(finish);
                finish - now
            }
            LoadModel::PerRequest(extra) => {
                let others = self.count(now) as u64;
                let took = Nanos(service.0 + extra.0.saturating_mul(others));
                self.push(now + took);
                took
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Nanos = Nanos::from_secs;

    #[test]
    fn slots_queue_in_arrival_order() {
        let mut server = InFlight::default();
        let m = LoadModel::Slots(2);
        // Two start at once, the third waits for the first slot (t = 10).
        assert_eq!(server.serve(m, S(0), S(10)), S(10));
        assert_eq!(server.serve(m, S(0), S(20)), S(20));
        assert_eq!(server.serve(m, S(0), S(10)), S(20));
        // At t = 30 both slots are free again (finishes 20 and 20 <= 30).
        assert_eq!(server.serve(m, S(30), S(5)), S(5));
    }

    #[test]
    fn per_request_load_adds_for_each_request_in_flight() {
        let mut server = InFlight::default();
        let m = LoadModel::PerRequest(Nanos::from_millis(100));
        assert_eq!(server.serve(m, S(0), S(1)), S(1));
        assert_eq!(server.serve(m, S(0), S(1)), Nanos::from_millis(1_100));
        assert_eq!(server.count(S(1)), 1, "the first finished at exactly 1 s");
        assert_eq!(server.count(Nanos::from_millis(1_100)), 0);
    }
}
