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
//! answers; `arrivals` makes requests (`next_arrivals` holds each group's
//! next one, apart from the queue), `server` takes an attempt through
//! the server, `batch` runs batch clients, `finish` ends the run, `cells`
//! keeps every counter per (group, pair).

mod arrivals;
mod batch;
mod cells;
mod finish;
mod next_arrivals;
pub mod queue;
mod server;

use crate::outcome::{
    Fate, GroupStats, IntervalCursor, Outcome, PairStats, RequestRecord, RequestSink, TimeSeries,
};
use crate::policy::limiter::Limiter;
use crate::policy::{KeyId, ModelId, TpmAccounting};
use crate::response::{Cause, Headers, Response, Status, CAUSES};
use crate::rng::{self, Purpose, Rng};
use crate::scenario::{Arrival, Scenario, Workload};
use crate::service::{InFlight, LoadModel};
use crate::strategy::{Attempts, Client, Gate, Next, Refusal, SendInfo};
use crate::time::Nanos;
use crate::workload::{Arrivals, TraceError, TraceRow, TraceSource};
use next_arrivals::NextArrivals;
use queue::EventQueue;

/// An event in the queue. Arrivals are not among them: each group's next
/// one waits in `Sim::next_arrivals`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Worker(u32, u32),
    Attempt(u32),
    /// An attempt reaches the server after its network leg.
    Reach(u32),
    Answer(u32),
    /// The client's timeout for its attempt ran out before the answer.
    Timeout(u32),
}

const NO_WORKER: u32 = u32::MAX;
const NO_PAIR: u32 = u32::MAX;

/// What only a request's record needs, apart from [`Req`] so the request
/// copies of the hot loop stay small; kept only when the sink keeps records.
#[derive(Clone, Copy, Default)]
struct ReqLog {
    id: u64,
    rejected: u32,
    rejected_by: [u32; CAUSES],
}

/// The answer to a request's last attempt as the engine keeps it between
/// the server and the client: a [`Response`] without its headers, which
/// live apart in `Sim::headers` and only for groups that carry them. The
/// headers are four fifths of a response and most clients never read them;
/// kept inline, every answer wrote and read two cache lines more.
#[derive(Clone, Copy)]
struct Answer {
    status: Status,
    cause: Option<Cause>,
    retry_after: Option<Nanos>,
}

#[derive(Clone, Copy)]
struct Req {
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
    /// When the request was due: its arrival, or a batch request's
    /// scheduled time (completion times count from here).
    scheduled: Nanos,
    /// When the client sent its current attempt (its timeout counts from here).
    sent_at: Nanos,
    att: Attempts,
}

struct GroupRt<'a> {
    /// One client shared by the group, or one per worker or batch client
    /// when its strategy draws parameters per client.
    clients: Vec<Client>,
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
    /// The client's attempt timeout.
    timeout: Option<Nanos>,
    /// A batch group's clients and their progress.
    batch: Option<batch::BatchRt>,
    /// Whether a success is counted when the server decides it rather than
    /// when its answer arrives (see [`Sim::settles_early`]).
    settles_early: bool,
}

struct Sim<'s, 'k> {
    sc: &'s Scenario,
    queue: EventQueue<Ev>,
    /// Each open-loop or trace group's next arrival, apart from `queue`.
    next_arrivals: NextArrivals,
    limiter: Limiter,
    groups: Vec<GroupRt<'k>>,
    stats: Vec<GroupStats>,
    /// Counters per (key, model) pair, created on the pair's first arrival.
    pairs: Vec<PairStats>,
    /// `key * models + model` to an index in `pairs` (`NO_PAIR` until used).
    pair_index: Vec<u32>,
    /// Counters, completion times and series per (group, pair) cell,
    /// folded into `stats`, `pairs` and both series at the end.
    cells: cells::Cells,
    /// The keys each trace group's rows used (a synthetic group uses its own).
    group_keys: Vec<Vec<KeyId>>,
    series: TimeSeries,
    /// Per (key, model) pair, rows in `pairs` order.
    pair_series: TimeSeries,
    /// The interval of the current instant, for both series.
    cursor: IntervalCursor,
    keys: Vec<String>,
    reqs: Vec<Req>,
    /// The last answer of each slot's request, apart from `reqs` so the
    /// request copies of the hot loop stay small.
    answers: Vec<Option<Answer>>,
    /// The headers of each slot's last answer, written only for groups
    /// whose answers carry them (`GroupRt::headers`).
    headers: Vec<Headers>,
    free: Vec<u32>,
    live: Vec<bool>,
    next_id: u64,
    /// Per slot, when the sink keeps records.
    logs: Vec<ReqLog>,
    sink: &'k mut dyn RequestSink,
    /// Whether the sink keeps request records at all.
    keep_records: bool,
    /// Whether the sink logs the attempts a limit or the lockout refused.
    log_hits: bool,
    /// Answer events counted without going through the queue (successes
    /// settled early), each as the loop would have counted it.
    settled: u64,
    /// Whether attempts and answers take network legs.
    network: bool,
    /// Whether any model has a price (else nothing is billed or counted).
    priced: bool,
    /// Per model: how its response time grows with its load, and what it is
    /// serving.
    load: Vec<Option<(LoadModel, InFlight)>>,
    /// What each key (or (key, model) pair) has in flight, for the
    /// concurrency limit; indexed by key or by pair, grown on first use.
    in_flight: Vec<InFlight>,
}

/// The clients of group `g`: one, or one per worker or batch client when its
/// strategy draws parameters per client (each from its own stream).
fn clients_of(g: &crate::scenario::Group, seed: u64, sc: &Scenario) -> Vec<Client> {
    let build = |spec: &crate::strategy::StrategySpec| spec.build(sc.clock, sc.policy.header_units);
    let n = match &g.workload {
        Workload::Synthetic(s) => match &s.arrival {
            Arrival::Closed { workers, .. } => *workers,
            Arrival::Batch(b) => b.clients,
            Arrival::Open(_) => 1,
        },
        Workload::Trace { .. } => 1,
    };
    if !g.strategy.is_random() || n <= 1 {
        return vec![build(&g.strategy)];
    }
    (0..n)
        .map(|c| {
            let mut rng = rng::stream(seed, &format!("{}#client{c}", g.name), Purpose::Client);
            build(&g.strategy.draw(&mut rng))
        })
        .collect()
}

/// The client that sends for `worker`.
#[inline]
fn client(clients: &mut [Client], worker: u32) -> &mut Client {
    if clients.len() == 1 {
        &mut clients[0]
    } else {
        &mut clients[worker as usize]
    }
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
/// lets [`crate::experiment`] run independent partitions apart. The series
/// rows of the groups left out are empty, not zeros: only a merge of the
/// partitions' outcomes, which takes each group's row from its own engine,
/// reads such an outcome.
pub fn simulate_groups<'k>(
    scenario: &Scenario,
    seed: u64,
    traces: Vec<Box<dyn TraceSource + 'k>>,
    sink: &'k mut dyn RequestSink,
    only: Option<&[bool]>,
) -> Result<Outcome, TraceError> {
    let mut traces = traces.into_iter();
    let sink_headers = sink.wants_headers();
    let keep_records = sink.keeps_records();
    let groups = scenario
        .groups
        .iter()
        .map(|g| {
            let arrivals = match &g.workload {
                Workload::Synthetic(s) => match &s.arrival {
                    Arrival::Open(spec) => Some(Arrivals::new(spec)),
                    Arrival::Closed { .. } | Arrival::Batch(_) => None,
                },
                Workload::Trace { .. } => None,
            };
            let trace = match g.workload {
                Workload::Trace { .. } => {
                    Some(traces.next().expect("one trace source per trace group"))
                }
                Workload::Synthetic(_) => None,
            };
            let clients = clients_of(g, seed, scenario);
            let open = match &g.workload {
                Workload::Synthetic(s) => matches!(s.arrival, Arrival::Open(_)),
                Workload::Trace { .. } => true,
            };
            let settles_early = open
                && !keep_records
                && scenario.policy.tpm != TpmAccounting::InputThenOutput
                && clients.iter().all(|c| !c.observes_successes());
            GroupRt {
                clients,
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
                timeout: g.timeout,
                batch: match &g.workload {
                    Workload::Synthetic(s) => match s.arrival {
                        Arrival::Batch(b) => Some(batch::BatchRt::new(b)),
                        _ => None,
                    },
                    Workload::Trace { .. } => None,
                },
                settles_early,
            }
        })
        .collect();
    let mut load: Vec<Option<(LoadModel, InFlight)>> = vec![None; scenario.policy.models.len()];
    for &(m, kind) in &scenario.service.load {
        load[m as usize] = Some((kind, InFlight::default()));
    }
    let mut sim = Sim {
        sc: scenario,
        queue: EventQueue::new(),
        next_arrivals: NextArrivals::default(),
        limiter: Limiter::new(&scenario.policy, scenario.keys.len(), scenario.clock),
        groups,
        stats: vec![GroupStats::default(); scenario.groups.len()],
        pairs: Vec::new(),
        group_keys: vec![Vec::new(); scenario.groups.len()],
        pair_index: vec![NO_PAIR; scenario.keys.len() * scenario.policy.models.len()],
        cells: cells::Cells::new(TimeSeries::intervals_of(
            scenario.interval,
            scenario.horizon(),
        )),
        // Both series are the cells' rows added up when the run ends.
        series: TimeSeries::new(0, scenario.interval, scenario.horizon()),
        pair_series: TimeSeries::new(0, scenario.interval, scenario.horizon()),
        cursor: IntervalCursor::new(scenario.interval, scenario.horizon()),
        keys: scenario.keys.clone(),
        reqs: Vec::with_capacity(1024),
        answers: Vec::with_capacity(1024),
        headers: Vec::with_capacity(1024),
        free: Vec::with_capacity(1024),
        live: Vec::with_capacity(1024),
        next_id: 0,
        logs: Vec::new(),
        keep_records,
        log_hits: sink.logs_limit_hits(),
        settled: 0,
        sink,
        network: scenario.service.has_network(),
        priced: scenario.prices.iter().any(|p| !p.is_free()),
        load,
        in_flight: Vec::new(),
    };
    sim.start(only)?;
    let events = sim.run()?;
    Ok(sim.finish(seed, events, only))
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
                    Arrival::Batch(_) => self.start_batch(g),
                },
                Workload::Trace { .. } => self.pull_trace_row(g)?,
            }
        }
        Ok(())
    }

    fn run(&mut self) -> Result<u64, TraceError> {
        let horizon = self.sc.horizon();
        let mut events = 0u64;
        loop {
            let Some((now, ev)) = self.queue.pop_before(self.next_arrivals.first_key()) else {
                // The arrival stays first in `next_arrivals` until its
                // handler sets the group's next one.
                match self.next_arrivals.first() {
                    Some((now, g)) if now < horizon => {
                        events += 1;
                        self.on_arrival(g as usize, now)?;
                        continue;
                    }
                    _ => break,
                }
            };
            if now >= horizon {
                break;
            }
            events += 1;
            match ev {
                Ev::Worker(g, w) => {
                    let g = g as usize;
                    let scheduled = match &mut self.groups[g].batch {
                        Some(b) => match b.take(w, now) {
                            Some(at) => at,
                            None => continue,
                        },
                        None => now,
                    };
                    let slot = self.new_synthetic(g, w, now, scheduled);
                    self.send(slot, now);
                }
                Ev::Attempt(slot) => self.send(slot, now),
                Ev::Reach(slot) => self.reach(slot, now),
                Ev::Answer(slot) => self.on_answer(slot, now),
                Ev::Timeout(slot) => self.on_timeout(slot, now),
            }
        }
        Ok(events + self.settled)
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

    /// What the provider bills for serving `r` (0 when nothing is priced).
    #[inline]
    fn bill(&self, r: &Req) -> u128 {
        if self.priced {
            self.sc.prices[r.model as usize].of(r.input, r.output)
        } else {
            0
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
        match client(&mut rt.clients, r.worker).gate(now, &info, &mut rt.strategy_rng) {
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
        let cell = self.reqs[slot as usize].cell;
        self.cells.stats(cell).refused[reason.index()] += 1;
        self.end(slot, now, Fate::Refused(reason));
    }

    /// The client reads the answer to its last attempt.
    fn on_answer(&mut self, slot: u32, now: Nanos) {
        let answer = self.answers[slot as usize].expect("an answer follows an attempt");
        if answer.status.is_success() {
            self.on_success(slot, now);
            return;
        }
        let r = self.reqs[slot as usize];
        let g = r.group as usize;
        let response = self.response(slot).expect("an answer follows an attempt");
        let info = self.send_info(&r);
        if r.unservable {
            self.cells.stats(r.cell).unservable += 1;
            self.end(slot, now, Fate::Unservable);
            return;
        }
        let rt = &mut self.groups[g];
        let att = &mut self.reqs[slot as usize].att;
        match client(&mut rt.clients, r.worker).on_failure(
            att,
            &info,
            &response,
            now,
            &mut rt.strategy_rng,
        ) {
            Next::RetryAfter(delay) => {
                att.backoff_wait.0 += delay.0;
                self.queue.push(now + delay, Ev::Attempt(slot));
            }
            Next::GiveUp(reason) => {
                self.cells.stats(r.cell).gave_up[reason.index()] += 1;
                self.end(slot, now, Fate::GaveUp(reason));
            }
            Next::Refuse(reason) => self.refuse(slot, now, reason),
        }
    }

    /// The answer to the last attempt of `slot`, with its headers when its
    /// group's answers carry them.
    #[inline]
    fn response(&self, slot: u32) -> Option<Response> {
        let a = self.answers[slot as usize]?;
        let g = self.reqs[slot as usize].group as usize;
        Some(Response {
            status: a.status,
            cause: a.cause,
            headers: if self.groups[g].headers {
                self.headers[slot as usize]
            } else {
                Headers::default()
            },
            retry_after: a.retry_after,
        })
    }

    #[inline]
    fn record(&mut self, slot: u32, now: Nanos, fate: Fate) {
        if self.keep_records {
            self.write_record(slot, now, fate);
        }
    }

    fn write_record(&mut self, slot: u32, now: Nanos, fate: Fate) {
        let r = &self.reqs[slot as usize];
        let log = self.logs[slot as usize];
        self.sink.record(&RequestRecord {
            id: log.id,
            group: r.group,
            key: r.key,
            model: r.model,
            // When the request was due (a batch request's scheduled time).
            arrival: r.scheduled,
            end: now,
            input_tokens: r.input,
            output_tokens: r.output,
            attempts: r.att.sent,
            rejected_429: log.rejected,
            rejected_by_cause: log.rejected_by,
            fate,
            last: self.response(slot),
        });
    }

    /// The client reads a success: the request is over. The request is read
    /// in place, and the full response (headers included) is only built for
    /// a client whose parts observe it.
    fn on_success(&mut self, slot: u32, now: Nanos) {
        let r = &self.reqs[slot as usize];
        let (g, worker) = (r.group as usize, r.worker);
        if client(&mut self.groups[g].clients, worker).observes_successes() {
            let info = self.send_info(r);
            let response = self.response(slot).expect("an answer follows an attempt");
            client(&mut self.groups[g].clients, worker).on_success(now, &info, &response);
        }
        let r = &self.reqs[slot as usize];
        if self.sc.policy.tpm == TpmAccounting::InputThenOutput
            && self.sc.policy.models[r.model as usize].kind.uses_tokens()
        {
            self.limiter
                .charge_output(now, r.key, r.model, u64::from(r.output));
        }
        let ms = (now - r.scheduled).0.div_ceil(1_000_000).max(1);
        let bill = self.bill(r);
        let s = self.cells.stats(r.cell);
        s.spend.used += bill;
        s.succeeded += 1;
        s.tokens_in += u64::from(r.input);
        s.tokens_out += u64::from(r.output);
        self.cells.record(r.cell, ms);
        let i = self.cursor.index(now);
        self.cells.at(r.cell, i).successes += 1;
        self.end(slot, now, Fate::Succeeded);
    }

    /// A request is over: count it, free its slot, and let a closed-loop worker go on.
    fn end(&mut self, slot: u32, now: Nanos, fate: Fate) {
        self.record(slot, now, fate);
        let r = &self.reqs[slot as usize];
        let (g, worker) = (r.group as usize, r.worker);
        self.cells.stats(r.cell).record_finish(&r.att);
        self.live[slot as usize] = false;
        self.free.push(slot);
        if worker != NO_WORKER {
            if self.groups[g].batch.is_some() {
                self.batch_client_free(g, worker, now);
                return;
            }
            let Workload::Synthetic(w) = &self.sc.groups[g].workload else {
                unreachable!()
            };
            if let Arrival::Closed { think, .. } = &w.arrival {
                let at = now + think.sample(&mut self.groups[g].arrival_rng);
                if at < self.sc.duration {
                    self.queue.push(at, Ev::Worker(g as u32, worker));
                }
            }
        }
    }
}
