//! An attempt at the server: the network leg there, the concurrency limit,
//! the lockout and the limits, the service's answer and how long it takes
//! (a loaded server's queue included), the leg back, and the client's
//! timeout when the answer is too slow.

use super::{Answer, Ev, Req, Sim};
use crate::outcome::LimitHit;
use crate::policy::limiter::Admission;
use crate::response::{Cause, Headers, Status};
use crate::service::{response_time, Concurrency, InFlight, Served};
use crate::time::Nanos;

impl Sim<'_, '_> {
    /// The client sends an attempt at `now`; it reaches the server after
    /// the network leg, if the scenario has one.
    pub(super) fn attempt(&mut self, slot: u32, now: Nanos) {
        self.reqs[slot as usize].sent_at = now;
        if self.network {
            let g = self.reqs[slot as usize].group as usize;
            let leg = self
                .sc
                .service
                .to_server
                .sample(&mut self.groups[g].service_rng);
            self.queue.push(now + leg, Ev::Reach(slot));
        } else {
            self.reach(slot, now);
        }
    }

    /// Where request `r` counts against the concurrency limit `c`.
    fn concurrency_index(&mut self, c: Concurrency, r: &Req) -> usize {
        let i = if c.per_model {
            r.pair as usize
        } else {
            r.key as usize
        };
        if self.in_flight.len() <= i {
            self.in_flight.resize_with(i + 1, InFlight::default);
        }
        i
    }

    /// One attempt reaches the server at `now`: the concurrency limit, the
    /// lockout and the limits decide, then the service answers.
    pub(super) fn reach(&mut self, slot: u32, now: Nanos) {
        let r = self.reqs[slot as usize];
        let g = r.group as usize;
        let charge = self.admission_charge(&r);
        let sc = self.sc;
        let model = &sc.policy.models[r.model as usize];
        let svc = &sc.service;
        let interval = self.cursor.index(now);

        // A key at its concurrency limit is refused before the limits count
        // the attempt (a locked-out key answers the lockout instead).
        let busy = match svc.concurrency {
            Some(c) if !self.limiter.is_locked_out(now, r.key) => {
                let i = self.concurrency_index(c, &r);
                self.in_flight[i].count(now) >= c.limit as usize
            }
            _ => false,
        };
        let mut unservable = false;
        let (admission, headers) = match self.limiter.never_fits(r.model, charge) {
            _ if busy => (None, Headers::default()),
            Some(limit) if r.att.sent == 0 => {
                unservable = true;
                self.limiter.refuse(r.key, r.model, limit);
                (Some(Admission::Limited(limit)), Headers::default())
            }
            _ if self.groups[g].headers => {
                let (a, h) = self.limiter.admit(now, r.key, r.model, charge);
                (Some(a), h)
            }
            _ => (
                Some(self.limiter.decide(now, r.key, r.model, charge)),
                Headers::default(),
            ),
        };
        let rng = &mut self.groups[g].service_rng;
        let (status, cause, retry_after, latency) = match admission {
            None => (
                Status::TooMany,
                Some(Cause::Concurrency),
                None,
                svc.latency_429.sample(rng),
            ),
            Some(a @ (Admission::Limited(_) | Admission::LockedOut)) => (
                Status::TooMany,
                self.limiter.cause(r.model, a),
                None,
                svc.latency_429.sample(rng),
            ),
            Some(Admission::Admitted) => {
                self.cells.at(r.cell, interval).tokens_admitted += charge;
                let answer = match svc.serve(now, rng) {
                    Served::Ok => {
                        let bill = self.bill(&r);
                        self.cells.stats(r.cell).spend.billed += bill;
                        let alone = response_time(&model.latency, r.output, r.spread);
                        let took = match &mut self.load[r.model as usize] {
                            Some((kind, server)) => server.serve(*kind, now, alone),
                            None => alone,
                        };
                        (Status::Ok, None, None, took)
                    }
                    Served::Overloaded => (
                        Status::TooMany,
                        Some(Cause::Overloaded),
                        Some(svc.overload_retry_after),
                        svc.latency_429.sample(rng),
                    ),
                    Served::Failed(s) => (s, None, None, svc.latency_5xx.sample(rng)),
                };
                if let Some(c) = svc.concurrency {
                    let i = self.concurrency_index(c, &r);
                    self.in_flight[i].push(now + answer.3);
                }
                answer
            }
        };
        self.limiter.record_status(
            now,
            r.key,
            status,
            admission == Some(Admission::LockedOut),
            r.group,
        );
        if self.log_hits && admission != Some(Admission::Admitted) {
            if let Some(cause) = cause {
                self.sink.limit_hit(&LimitHit {
                    at: now,
                    key: r.key,
                    model: r.model,
                    cause,
                });
            }
        }

        let req = &mut self.reqs[slot as usize];
        let (stats, iv) = self.cells.both(r.cell, interval);
        stats.attempts += 1;
        iv.attempts += 1;
        match (status, cause) {
            (Status::TooMany, Some(c)) => {
                let c = c.index();
                stats.rejected[c] += 1;
                iv.rejected[c] += 1;
                if let Some(log) = self.logs.get_mut(slot as usize) {
                    log.rejected += 1;
                    log.rejected_by[c] += 1;
                }
            }
            (Status::Internal | Status::Unavailable, _) => {
                stats.errors_5xx += 1;
                iv.errors_5xx += 1;
            }
            _ => {}
        }
        req.att.sent += 1;
        req.unservable = unservable;
        self.answers[slot as usize] = Some(Answer {
            status,
            cause,
            retry_after,
        });
        if self.groups[g].headers {
            self.headers[slot as usize] = headers;
        }
        let back = if self.network {
            svc.to_client.sample(&mut self.groups[g].service_rng)
        } else {
            Nanos::ZERO
        };
        let answered = now + latency + back;
        match self.groups[g].timeout {
            Some(t) if answered > r.sent_at + t => {
                // A network leg longer than the timeout is noticed here, when
                // the attempt reaches the server.
                self.queue.push((r.sent_at + t).max(now), Ev::Timeout(slot));
            }
            _ if status.is_success() && self.settles_early(g, answered) => {
                self.settled += 1;
                self.on_success(slot, answered);
            }
            _ => self.queue.push(answered, Ev::Answer(slot)),
        }
    }

    /// Whether a success of group `g` answered at `answered` can be counted
    /// now, with no answer event: when nothing its answer does touches
    /// anything but its own request's counters. Its client reads no success
    /// (it is stateless: no pacer, breaker, budget or pause), no worker or
    /// batch client waits for it, no output tokens are charged on
    /// completion, and no record is kept (records go out in end order);
    /// the answer also falls before the horizon, so the loop would have
    /// taken it. Counting it then, at its own answer time, adds the same
    /// numbers to the same cells and intervals: every count is a sum or a
    /// maximum, and no random stream is drawn. Removing events from the
    /// queue keeps the others' (time, seq) order, so the run is unchanged,
    /// with half of a busy run's events never queued.
    #[inline]
    fn settles_early(&self, g: usize, answered: Nanos) -> bool {
        self.groups[g].settles_early && answered < self.sc.horizon()
    }

    /// The client gives up waiting for its attempt: a failure like any
    /// other answer (the server goes on serving, and has charged, it).
    pub(super) fn on_timeout(&mut self, slot: u32, now: Nanos) {
        self.reqs[slot as usize].unservable = false;
        let r = self.reqs[slot as usize];
        let g = r.group as usize;
        let served = self.answers[slot as usize].is_some_and(|a| a.status.is_success());
        if served {
            // The server answers anyway, and bills it; the client never reads it.
            let bill = self.bill(&r);
            self.cells.stats(r.cell).spend.abandoned += bill;
        }
        self.cells.stats(r.cell).timeouts += 1;
        let i = self.cursor.index(now);
        self.cells.at(r.cell, i).timeouts += 1;
        self.answers[slot as usize] = Some(Answer {
            status: Status::Timeout,
            cause: None,
            retry_after: None,
        });
        if self.groups[g].headers {
            self.headers[slot as usize] = Headers::default();
        }
        self.on_answer(slot, now);
    }
}
