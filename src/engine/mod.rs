//! The virtual-clock engine.
//!
//! [`simulate`] is a pure function of a validated scenario, a seed and the
//! trace sources the caller opened: no files, no wall clock, no environment,
//! no global RNG. It pops events in (time, sequence) order, asks the limiter
//! and the service what the server answers, asks each group's client what to
//! do next, and counts everything in [`crate::outcome`] terms.
//!
//! Requests live in a slab (a `Vec` with a free list) and events carry slot
//! indices, so the hot loop allocates nothing once the slab has grown to the
//! peak number of requests in flight. This file holds the loop, sends,
//! attempts and answers; `arrivals` makes requests, `finish` ends the run,
//! `cells` keeps completion times.

mod arrivals;
mod cells;
mod finish;
pub mod queue;

use crate::outcome::{
    Fate, GroupStats, LimitHit, Outcome, PairStats, RequestRecord, RequestSink, TimeSeries,
};
use crate::policy::limiter::{Admission, Limiter};
use crate::policy::{KeyId, ModelId, TpmAccounting};
use crate::response::{Cause, Headers, Response, Status, CAUSES};
use crate::rng::{self, Purpose, Rng};
use crate::scenario::{Arrival, Scenario, Workload};
use crate::service::{response_time, Served};
use crate::strategy::{Attempts, Client, Gate, Next, Refusal, SendInfo};
use crate::time::Nanos;
use crate::workload::{Arrivals, TraceError, TraceRow, TraceSource};
use queue::EventQueue;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Arrival(u32),
    Worker(u32, u32),
    Attempt(u32),
    Answer(u32),
}

const NO_WORKER: u32 = u32::MAX;
const NO_PAIR: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Req {
    id: u64,
    group: u32,
    key: KeyId,
    model: ModelId,
    worker: u32,
    input: u32,
    output: u32,
    max_tokens: Option<u32>,
    spread: f64,
    /// Index of the request's (key, model) counters in `Sim::pairs`.
    pair: u32,
    /// Its (group, pair) cell in `Sim::cells`.
    cell: u32,
    unservable: bool,
    rejected: u32,
    rejected_by: [u32; CAUSES],
    att: Attempts,
}

struct GroupRt<'a> {
    client: Client,
    arrivals: Option<Arrivals>,
    arrival_rng: Rng,
    sizes_rng: Rng,
    service_rng: Rng,
    strategy_rng: Rng,
    /// Whether its answers carry the `x-ratelimit-*` headers: when its
    /// client reads them or the sink keeps them.
    headers: bool,
    /// What its schedule treats as the delay before the first retry.
    initial_prev: Nanos,
    trace: Option<Box<dyn TraceSource + 'a>>,
    /// Trace-local key id to scenario key id.
    trace_keys: Vec<KeyId>,
    pending: Option<TraceRow>,
}

struct Sim<'s, 'k> {
    sc: &'s Scenario,
    queue: EventQueue<Ev>,
    limiter: Limiter,
    groups: Vec<GroupRt<'k>>,
    stats: Vec<GroupStats>,
    /// Counters per (key, model) pair, created on the pair's first arrival.
    pairs: Vec<PairStats>,
    /// `key * models + model` to an index in `pairs` (`NO_PAIR` until used).
    pair_index: Vec<u32>,
    /// Completion times per (group, pair).
    cells: cells::Cells,
    /// The keys each trace group's rows used (a synthetic group uses its own).
    group_keys: Vec<Vec<KeyId>>,
    series: TimeSeries,
    /// Per (key, model) pair, rows in `pairs` order.
    pair_series: TimeSeries,
    keys: Vec<String>,
    reqs: Vec<Req>,
    /// The last answer of each slot's request, apart from `reqs` so the
    /// request copies of the hot loop stay small.
    answers: Vec<Option<Response>>,
    free: Vec<u32>,
    live: Vec<bool>,
    next_id: u64,
    sink: &'k mut dyn RequestSink,
    /// Whether the sink keeps request records at all.
    keep_records: bool,
}

/// Runs `scenario` under `seed`. `traces` holds one opened source for each
/// trace group, in group order.
pub fn simulate<'k>(
    scenario: &Scenario,
    seed: u64,
    traces: Vec<Box<dyn TraceSource + 'k>>,
    sink: &'k mut dyn RequestSink,
) -> Result<Outcome, TraceError> {
    simulate_groups(scenario, seed, traces, sink, None)
}

/// [`simulate`] with only the groups `only[g]` sending (all when `None`):
/// the others are counted as idle. A set of groups that shares no key with
/// the rest runs exactly as it does in the whole scenario, since every random
/// stream, client and limiter belongs to one group or one key; this is what
/// lets [`crate::experiment`] run independent partitions on separate threads.
pub fn simulate_groups<'k>(
    scenario: &Scenario,
    seed: u64,
    traces: Vec<Box<dyn TraceSource + 'k>>,
    sink: &'k mut dyn RequestSink,
    only: Option<&[bool]>,
) -> Result<Outcome, TraceError> {
    let mut traces = traces.into_iter();
    let sink_headers = sink.wants_headers();
    let groups = scenario
        .groups
        .iter()
        .map(|g| {
            let arrivals = match &g.workload {
                Workload::Synthetic(s) => match &s.arrival {
                    Arrival::Open(spec) => Some(Arrivals::new(spec)),
                    Arrival::Closed { .. } => None,
                },
                Workload::Trace { .. } => None,
            };
            let trace = match g.workload {
                Workload::Trace { .. } => {
                    Some(traces.next().expect("one trace source per trace group"))
                }
                Workload::Synthetic(_) => None,
            };
            GroupRt {
                client: g
                    .strategy
                    .build(scenario.clock, scenario.policy.header_units),
                arrivals,
                arrival_rng: rng::stream(seed, &g.name, Purpose::Arrivals),
                sizes_rng: rng::stream(seed, &g.name, Purpose::Sizes),
                service_rng: rng::stream(seed, &g.name, Purpose::Service),
                strategy_rng: rng::stream(seed, &g.name, Purpose::Strategy),
                headers: sink_headers || g.strategy.reads_headers(),
                initial_prev: g.strategy.backoff.initial_prev(),
                trace,
                trace_keys: Vec::new(),
                pending: None,
            }
        })
        .collect();
    let mut sim = Sim {
        sc: scenario,
        queue: EventQueue::new(),
        limiter: Limiter::new(&scenario.policy, scenario.keys.len(), scenario.clock),
        groups,
        stats: vec![GroupStats::default(); scenario.groups.len()],
        pairs: Vec::new(),
        group_keys: vec![Vec::new(); scenario.groups.len()],
        pair_index: vec![NO_PAIR; scenario.keys.len() * scenario.policy.models.len()],
        cells: cells::Cells::default(),
        series: TimeSeries::new(scenario.groups.len(), scenario.interval, scenario.horizon()),
        pair_series: TimeSeries::new(0, scenario.interval, scenario.horizon()),
        keys: scenario.keys.clone(),
        reqs: Vec::with_capacity(1024),
        answers: Vec::with_capacity(1024),
        free: Vec::with_capacity(1024),
        live: Vec::with_capacity(1024),
        next_id: 0,
        keep_records: sink.keeps_records(),
        sink,
    };
    sim.start(only)?;
    let events = sim.run()?;
    Ok(sim.finish(seed, events))
}

impl Sim<'_, '_> {
    fn start(&mut self, only: Option<&[bool]>) -> Result<(), TraceError> {
        for g in 0..self.groups.len() {
            if only.is_some_and(|o| !o[g]) {
                continue;
            }
            match &self.sc.groups[g].workload {
                Workload::Synthetic(s) => match &s.arrival {
                    Arrival::Open(_) => self.schedule_next_arrival(g),
                    Arrival::Closed { workers, think } => {
                        for w in 0..*workers {
                            let at = think.sample(&mut self.groups[g].arrival_rng);
                            if at < self.sc.duration {
                                self.queue.push(at, Ev::Worker(g as u32, w));
                            }
                        }
                    }
                },
                Workload::Trace { .. } => self.pull_trace_row(g)?,
            }
        }
        Ok(())
    }

    fn run(&mut self) -> Result<u64, TraceError> {
        let horizon = self.sc.horizon();
        let mut events = 0u64;
        while let Some((now, ev)) = self.queue.pop() {
            if now >= horizon {
                break;
            }
            events += 1;
            match ev {
                Ev::Arrival(g) => self.on_arrival(g as usize, now)?,
                Ev::Worker(g, w) => {
                    let slot = self.new_synthetic(g as usize, w, now);
                    self.send(slot, now);
                }
                Ev::Attempt(slot) => self.send(slot, now),
                Ev::Answer(slot) => self.on_answer(slot, now),
            }
        }
        Ok(events)
    }

    /// Tokens the limiter charges when the request is admitted.
    fn admission_charge(&self, r: &Req) -> u64 {
        if !self.sc.policy.models[r.model as usize].kind.uses_tokens() {
            return 0;
        }
        let input = u64::from(r.input);
        match self.sc.policy.tpm {
            TpmAccounting::InputPlusMaxTokens => {
                input + u64::from(r.max_tokens.unwrap_or(r.output))
            }
            TpmAccounting::InputPlusActual => input + u64::from(r.output),
            TpmAccounting::InputThenOutput => input,
        }
    }

    fn send_info(&self, r: &Req) -> SendInfo {
        SendInfo {
            worker: (r.worker != NO_WORKER).then_some(r.worker),
            tokens: u64::from(r.input) + u64::from(r.max_tokens.unwrap_or(r.output)),
            sent: r.att.sent,
        }
    }

    /// The client wants to send `slot` now.
    fn send(&mut self, slot: u32, now: Nanos) {
        let r = &self.reqs[slot as usize];
        let g = r.group as usize;
        let info = self.send_info(r);
        let rt = &mut self.groups[g];
        match rt.client.gate(now, &info, &mut rt.strategy_rng) {
            Gate::Send => self.attempt(slot, now),
            Gate::WaitUntil(t) if t > now => {
                self.reqs[slot as usize].att.client_wait.0 += t.0 - now.0;
                self.queue.push(t, Ev::Attempt(slot));
            }
            Gate::WaitUntil(_) => self.attempt(slot, now),
            Gate::Refuse(reason) => self.refuse(slot, now, reason),
        }
    }

    fn refuse(&mut self, slot: u32, now: Nanos, reason: Refusal) {
        let r = &self.reqs[slot as usize];
        self.stats[r.group as usize].refused[reason.index()] += 1;
        self.pairs[r.pair as usize].stats.refused[reason.index()] += 1;
        self.end(slot, now, Fate::Refused(reason));
    }

    /// One attempt reaches the server at `now`.
    fn attempt(&mut self, slot: u32, now: Nanos) {
        let r = self.reqs[slot as usize];
        let g = r.group as usize;
        let charge = self.admission_charge(&r);
        let model = &self.sc.policy.models[r.model as usize];
        let svc = &self.sc.service;

        let mut unservable = false;
        let (admission, headers) = match self.limiter.never_fits(r.model, charge) {
            Some(limit) if r.att.sent == 0 => {
                unservable = true;
                self.limiter.refuse(r.key, r.model, limit);
                (Admission::Limited(limit), Headers::default())
            }
            _ if self.groups[g].headers => self.limiter.admit(now, r.key, r.model, charge),
            _ => (
                self.limiter.decide(now, r.key, r.model, charge),
                Headers::default(),
            ),
        };
        let (status, cause, retry_after, latency) = match admission {
            Admission::Limited(_) | Admission::LockedOut => (
                Status::TooMany,
                self.limiter.cause(r.model, admission),
                None,
                svc.error_latency,
            ),
            Admission::Admitted => {
                self.series.at(g, now).tokens_admitted += charge;
                self.pair_series.at(r.pair as usize, now).tokens_admitted += charge;
                match svc.serve(now, &mut self.groups[g].service_rng) {
                    Served::Ok => (
                        Status::Ok,
                        None,
                        None,
                        response_time(&model.latency, r.output, r.spread),
                    ),
                    Served::Overloaded => (
                        Status::TooMany,
                        Some(Cause::Overloaded),
                        Some(svc.overload_retry_after),
                        svc.error_latency,
                    ),
                    Served::Failed(s) => (s, None, None, svc.error_latency),
                }
            }
        };
        self.limiter.record_status(
            now,
            r.key,
            status,
            admission == Admission::LockedOut,
            r.group,
        );
        if admission != Admission::Admitted {
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
        let stats = &mut self.stats[g];
        let pair = &mut self.pairs[r.pair as usize].stats;
        let iv = self.series.at(g, now);
        let piv = self.pair_series.at(r.pair as usize, now);
        stats.attempts += 1;
        pair.attempts += 1;
        iv.attempts += 1;
        piv.attempts += 1;
        match (status, cause) {
            (Status::TooMany, Some(c)) => {
                let c = c.index();
                stats.rejected[c] += 1;
                pair.rejected[c] += 1;
                iv.rejected[c] += 1;
                piv.rejected[c] += 1;
                req.rejected += 1;
                req.rejected_by[c] += 1;
            }
            (Status::Internal | Status::Unavailable, _) => {
                stats.errors_5xx += 1;
                pair.errors_5xx += 1;
                iv.errors_5xx += 1;
                piv.errors_5xx += 1;
            }
            _ => {}
        }
        req.att.sent += 1;
        req.unservable = unservable;
        self.answers[slot as usize] = Some(Response {
            status,
            cause,
            headers,
            retry_after,
        });
        self.queue.push(now + latency, Ev::Answer(slot));
    }

    /// The client reads the answer to its last attempt.
    fn on_answer(&mut self, slot: u32, now: Nanos) {
        let r = self.reqs[slot as usize];
        let g = r.group as usize;
        let response = self.answers[slot as usize].expect("an answer follows an attempt");
        let info = self.send_info(&r);
        if response.status.is_success() {
            self.groups[g].client.on_success(now, &info, &response);
            if self.sc.policy.tpm == TpmAccounting::InputThenOutput
                && self.sc.policy.models[r.model as usize].kind.uses_tokens()
            {
                self.limiter
                    .charge_output(now, r.key, r.model, u64::from(r.output));
            }
            let ms = (now - r.att.arrival).0.div_ceil(1_000_000).max(1);
            for s in [&mut self.stats[g], &mut self.pairs[r.pair as usize].stats] {
                s.succeeded += 1;
                s.tokens_in += u64::from(r.input);
                s.tokens_out += u64::from(r.output);
            }
            self.cells.record(r.cell, ms);
            self.series.at(g, now).successes += 1;
            self.pair_series.at(r.pair as usize, now).successes += 1;
            self.end(slot, now, Fate::Succeeded);
            return;
        }
        if r.unservable {
            self.stats[g].unservable += 1;
            self.pairs[r.pair as usize].stats.unservable += 1;
            self.end(slot, now, Fate::Unservable);
            return;
        }
        let rt = &mut self.groups[g];
        let att = &mut self.reqs[slot as usize].att;
        match rt
            .client
            .on_failure(att, &info, &response, now, &mut rt.strategy_rng)
        {
            Next::RetryAfter(delay) => {
                att.backoff_wait.0 += delay.0;
                self.queue.push(now + delay, Ev::Attempt(slot));
            }
            Next::GiveUp(reason) => {
                self.stats[g].gave_up[reason.index()] += 1;
                self.pairs[r.pair as usize].stats.gave_up[reason.index()] += 1;
                self.end(slot, now, Fate::GaveUp(reason));
            }
            Next::Refuse(reason) => self.refuse(slot, now, reason),
        }
    }

    fn record(&mut self, slot: u32, now: Nanos, fate: Fate) {
        if !self.keep_records {
            return;
        }
        let r = &self.reqs[slot as usize];
        self.sink.record(&RequestRecord {
            id: r.id,
            group: r.group,
            key: r.key,
            model: r.model,
            arrival: r.att.arrival,
            end: now,
            input_tokens: r.input,
            output_tokens: r.output,
            attempts: r.att.sent,
            rejected_429: r.rejected,
            rejected_by_cause: r.rejected_by,
            fate,
            last: self.answers[slot as usize],
        });
    }

    /// A request is over: count it, free its slot, and let a closed-loop worker go on.
    fn end(&mut self, slot: u32, now: Nanos, fate: Fate) {
        self.record(slot, now, fate);
        let r = self.reqs[slot as usize];
        let g = r.group as usize;
        self.stats[g].record_finish(&r.att);
        self.pairs[r.pair as usize].stats.record_finish(&r.att);
        self.live[slot as usize] = false;
        self.free.push(slot);
        if r.worker != NO_WORKER {
            let Workload::Synthetic(w) = &self.sc.groups[g].workload else {
                unreachable!()
            };
            if let Arrival::Closed { think, .. } = &w.arrival {
                let at = now + think.sample(&mut self.groups[g].arrival_rng);
                if at < self.sc.duration {
                    self.queue.push(at, Ev::Worker(g as u32, r.worker));
                }
            }
        }
    }
}
