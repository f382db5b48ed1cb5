//! The virtual-clock engine.
//!
//! [`simulate`] is a pure function of a validated scenario, a seed and the
//! trace sources the caller opened: no files, no wall clock, no environment,
//! no global RNG. It pops events in (time, sequence) order, asks the limiter
//! and the service what the server answers, asks each group's client what to
//! do next, and counts everything in [`crate::metrics`].
//!
//! Requests live in a slab (a `Vec` with a free list) and events carry slot
//! indices, so the hot loop allocates nothing once the slab has grown to the
//! peak number of requests in flight.

pub mod queue;

use crate::metrics::{cause_index, give_up_index, GroupStats, TimeSeries};
use crate::policy::limiter::{Admission, Limiter, Utilisation};
use crate::policy::{Counts, KeyId, ModelId, TpmAccounting};
use crate::report::ratelimit_log::{HitKind, LimitHit};
use crate::response::{Cause, Headers, Response, Status};
use crate::rng::{self, Purpose, Rng};
use crate::scenario::{Arrival, Scenario, Workload};
use crate::service::{response_time, spread_multiplier, Served};
use crate::strategy::{Attempts, Client, Gate, GiveUp, Next, Refusal, SendInfo};
use crate::time::Nanos;
use crate::workload::{Arrivals, TraceError, TraceReader, TraceRow};
use queue::EventQueue;
use std::io::Read;

/// A stream of recorded requests for one trace group.
pub trait TraceSource {
    fn next_row(&mut self) -> Option<Result<TraceRow, TraceError>>;
    /// Name of a key id the source handed out.
    fn key_name(&self, key: KeyId) -> &str;
}

impl<R: Read> TraceSource for TraceReader<R> {
    fn next_row(&mut self) -> Option<Result<TraceRow, TraceError>> {
        self.next()
    }

    fn key_name(&self, key: KeyId) -> &str {
        &self.keys()[key as usize]
    }
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Succeeded,
    GaveUp(GiveUp),
    /// The client refused it (or a retry of it) without sending.
    Refused(Refusal),
    Unservable,
    /// Still waiting or in flight when the run stopped.
    InFlight,
}

impl Fate {
    pub fn label(self) -> &'static str {
        match self {
            Fate::Succeeded => "succeeded",
            Fate::GaveUp(g) => g.label(),
            Fate::Refused(r) => r.label(),
            Fate::Unservable => "unservable",
            Fate::InFlight => "in_flight",
        }
    }
}

/// One request, as written to requests.csv.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RequestRecord {
    pub id: u64,
    pub group: u32,
    pub key: KeyId,
    pub model: ModelId,
    pub arrival: Nanos,
    /// When it succeeded, was given up, or the run stopped.
    pub end: Nanos,
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub attempts: u32,
    pub rejected_429: u32,
    /// The 429s by cause, indexed like [`Cause::ALL`] (they sum to `rejected_429`).
    pub rejected_by_cause: [u32; 4],
    pub fate: Fate,
    /// The last answer the client saw (if any).
    pub last: Option<Response>,
}

/// Receives every request as it ends (ripgrep's `Sink` pattern): the engine
/// never writes files itself.
pub trait RequestSink {
    fn record(&mut self, record: &RequestRecord);

    /// Called for every 429 from a limit or the abuse lockout (the provider's
    /// rate-limit log); ignored by default.
    fn limit_hit(&mut self, _hit: &LimitHit) {}

    /// Called when a trace brings a key name the scenario lacks; it gets the
    /// next [`KeyId`] (so sinks can name keys while streaming); ignored by default.
    fn key_added(&mut self, _name: &str) {}
}

/// A sink that keeps nothing.
pub struct NoSink;

impl RequestSink for NoSink {
    fn record(&mut self, _: &RequestRecord) {}
}

impl RequestSink for Vec<RequestRecord> {
    fn record(&mut self, record: &RequestRecord) {
        self.push(*record);
    }
}

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Trace(#[from] TraceError),
}

/// Everything a run measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub seed: u64,
    /// Per group, in scenario order.
    pub groups: Vec<GroupStats>,
    pub total: GroupStats,
    pub series: TimeSeries,
    /// Key names in KeyId order (trace replays may add keys).
    pub keys: Vec<String>,
    /// Abuse-lockout blocks per key, clipped to the run.
    pub lockouts: Vec<Vec<(Nanos, Nanos)>>,
    pub utilisation: Vec<Utilisation>,
    /// Events popped from the queue.
    pub events: u64,
    /// Where the run stopped.
    pub horizon: Nanos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Arrival(u32),
    Worker(u32, u32),
    Attempt(u32),
    Answer(u32),
}

const NO_WORKER: u32 = u32::MAX;

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
    unservable: bool,
    rejected: u32,
    rejected_by: [u32; 4],
    att: Attempts,
    response: Option<Response>,
}

struct GroupRt<'a> {
    client: Client,
    arrivals: Option<Arrivals>,
    arrival_rng: Rng,
    sizes_rng: Rng,
    service_rng: Rng,
    strategy_rng: Rng,
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
    series: TimeSeries,
    keys: Vec<String>,
    reqs: Vec<Req>,
    free: Vec<u32>,
    live: Vec<bool>,
    next_id: u64,
    sink: &'k mut dyn RequestSink,
}

/// Runs `scenario` under `seed`. `traces` holds one opened source for each
/// trace group, in group order.
pub fn simulate<'k>(
    scenario: &Scenario,
    seed: u64,
    traces: Vec<Box<dyn TraceSource + 'k>>,
    sink: &'k mut dyn RequestSink,
) -> Result<Outcome, SimError> {
    let mut traces = traces.into_iter();
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
                    .build_with(scenario.clock, scenario.policy.header_units),
                arrivals,
                arrival_rng: rng::stream(seed, &g.name, Purpose::Arrivals),
                sizes_rng: rng::stream(seed, &g.name, Purpose::Sizes),
                service_rng: rng::stream(seed, &g.name, Purpose::Service),
                strategy_rng: rng::stream(seed, &g.name, Purpose::Strategy),
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
        series: TimeSeries::new(scenario.groups.len(), scenario.interval, scenario.horizon()),
        keys: scenario.keys.clone(),
        reqs: Vec::with_capacity(1024),
        free: Vec::with_capacity(1024),
        live: Vec::with_capacity(1024),
        next_id: 0,
        sink,
    };
    sim.start()?;
    let events = sim.run()?;
    Ok(sim.finish(seed, events))
}

impl Sim<'_, '_> {
    fn start(&mut self) -> Result<(), SimError> {
        for g in 0..self.groups.len() {
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

    fn run(&mut self) -> Result<u64, SimError> {
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

    fn schedule_next_arrival(&mut self, g: usize) {
        let rt = &mut self.groups[g];
        if let Some(at) = rt
            .arrivals
            .as_mut()
            .and_then(|a| a.next(&mut rt.arrival_rng))
        {
            if at < self.sc.duration {
                self.queue.push_few(at, Ev::Arrival(g as u32));
            }
        }
    }

    fn pull_trace_row(&mut self, g: usize) -> Result<(), SimError> {
        let rt = &mut self.groups[g];
        let src = rt.trace.as_mut().expect("trace group has a source");
        match src.next_row() {
            Some(row) => {
                let mut row = row?;
                // Map the source's key ids onto the scenario's, adding new names.
                while rt.trace_keys.len() <= row.key as usize {
                    let name = src.key_name(rt.trace_keys.len() as KeyId);
                    let id = match self.keys.iter().position(|k| k == name) {
                        Some(i) => i as KeyId,
                        None => {
                            self.keys.push(name.to_string());
                            self.sink.key_added(name);
                            self.limiter.add_key()
                        }
                    };
                    rt.trace_keys.push(id);
                }
                row.key = rt.trace_keys[row.key as usize];
                if row.at < self.sc.duration {
                    self.queue.push_few(row.at, Ev::Arrival(g as u32));
                    rt.pending = Some(row);
                }
            }
            None => rt.pending = None,
        }
        Ok(())
    }

    fn on_arrival(&mut self, g: usize, now: Nanos) -> Result<(), SimError> {
        let slot = match self.groups[g].pending.take() {
            Some(row) => {
                let slot = self.alloc(Req {
                    id: 0,
                    group: g as u32,
                    key: row.key,
                    model: row.model,
                    worker: NO_WORKER,
                    input: row.input_tokens,
                    output: row.output_tokens,
                    max_tokens: row.max_tokens,
                    spread: 1.0,
                    unservable: false,
                    rejected: 0,
                    rejected_by: [0; 4],
                    att: Attempts {
                        arrival: now,
                        ..Attempts::default()
                    },
                    response: None,
                });
                let spread = self.sc.policy.models[row.model as usize].latency.spread;
                self.reqs[slot as usize].spread =
                    spread_multiplier(spread, &mut self.groups[g].sizes_rng);
                self.pull_trace_row(g)?;
                slot
            }
            None => {
                let slot = self.new_synthetic(g, NO_WORKER, now);
                self.schedule_next_arrival(g);
                slot
            }
        };
        self.send(slot, now);
        Ok(())
    }

    /// Draws a new request of a synthetic group.
    fn new_synthetic(&mut self, g: usize, worker: u32, now: Nanos) -> u32 {
        let Workload::Synthetic(w) = &self.sc.groups[g].workload else {
            unreachable!("only synthetic groups generate requests")
        };
        let rng = &mut self.groups[g].sizes_rng;
        let model = if w.models.len() == 1 {
            w.models[0].0
        } else {
            let u = rng::unit(rng);
            w.models
                .iter()
                .find(|(_, c)| u < *c)
                .unwrap_or(w.models.last().expect("validated non-empty"))
                .0
        };
        let input = w.input_tokens.sample(rng);
        let mut output = w.output_tokens.sample(rng);
        if let Some(max) = w.max_tokens {
            output = output.min(max);
        }
        let spread = spread_multiplier(self.sc.policy.models[model as usize].latency.spread, rng);
        self.alloc(Req {
            id: 0,
            group: g as u32,
            key: self.sc.groups[g].key,
            model,
            worker,
            input,
            output,
            max_tokens: w.max_tokens,
            spread,
            unservable: false,
            rejected: 0,
            rejected_by: [0; 4],
            att: Attempts {
                arrival: now,
                ..Attempts::default()
            },
            response: None,
        })
    }

    fn alloc(&mut self, mut req: Req) -> u32 {
        req.id = self.next_id;
        self.next_id += 1;
        let g = req.group as usize;
        req.att.prev_delay = self.sc.groups[g].strategy.backoff.initial_prev();
        self.stats[g].arrivals += 1;
        self.series.at(g, req.att.arrival).offered += 1;
        match self.free.pop() {
            Some(slot) => {
                self.reqs[slot as usize] = req;
                self.live[slot as usize] = true;
                slot
            }
            None => {
                self.reqs.push(req);
                self.live.push(true);
                (self.reqs.len() - 1) as u32
            }
        }
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
        let g = self.reqs[slot as usize].group as usize;
        self.stats[g].refused[reason.index()] += 1;
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
        let (admission, headers) = if r.att.sent == 0 && self.limiter.never_fits(r.model, charge) {
            unservable = true;
            (Admission::Rejected(Cause::Tokens), Headers::default())
        } else {
            self.limiter.admit(now, r.key, r.model, charge)
        };
        let (status, cause, retry_after, latency) = match admission {
            Admission::Rejected(c) => (Status::TooMany, Some(c), None, svc.error_latency),
            Admission::Admitted => {
                self.series.at(g, now).tokens_admitted += charge;
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
        self.limiter
            .record_status(now, r.key, status, cause == Some(Cause::Lockout));

        let req = &mut self.reqs[slot as usize];
        if let Some(c @ (Cause::Requests | Cause::Tokens | Cause::Lockout)) = cause {
            let kind = match c {
                Cause::Lockout => Some(HitKind::FailedRequests),
                _ => {
                    let counts = if c == Cause::Tokens {
                        Counts::Tokens
                    } else {
                        Counts::Requests
                    };
                    model
                        .limits
                        .iter()
                        .find(|l| l.counts == counts)
                        .map(HitKind::of_limit)
                }
            };
            if let Some(kind) = kind {
                self.sink.limit_hit(&LimitHit {
                    at: now,
                    key: r.key,
                    model: r.model,
                    kind,
                });
            }
        }
        let stats = &mut self.stats[g];
        let iv = self.series.at(g, now);
        stats.attempts += 1;
        iv.attempts += 1;
        match (status, cause) {
            (Status::TooMany, Some(c)) => {
                stats.rejected[cause_index(c)] += 1;
                iv.rejected[cause_index(c)] += 1;
                req.rejected += 1;
                req.rejected_by[cause_index(c)] += 1;
            }
            (Status::Internal | Status::Unavailable, _) => {
                stats.errors_5xx += 1;
                iv.errors_5xx += 1;
            }
            _ => {}
        }
        req.att.sent += 1;
        req.unservable = unservable;
        req.response = Some(Response {
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
        let response = r.response.expect("an answer follows an attempt");
        let info = self.send_info(&r);
        if response.status.is_success() {
            self.groups[g].client.on_success(now, &info, &response);
            if self.sc.policy.tpm == TpmAccounting::InputThenOutput
                && self.sc.policy.models[r.model as usize].kind.uses_tokens()
            {
                self.limiter
                    .charge_output(now, r.key, r.model, u64::from(r.output));
            }
            let s = &mut self.stats[g];
            s.succeeded += 1;
            s.tokens_in += u64::from(r.input);
            s.tokens_out += u64::from(r.output);
            let ms = (now - r.att.arrival).0.div_ceil(1_000_000);
            s.completion.saturating_record(ms.max(1));
            self.series.at(g, now).successes += 1;
            self.end(slot, now, Fate::Succeeded);
            return;
        }
        if r.unservable {
            self.stats[g].unservable += 1;
            self.end(slot, now, Fate::Unservable);
            return;
        }
        let clock = self.sc.clock;
        let units = self.sc.policy.header_units;
        let rt = &mut self.groups[g];
        let att = &mut self.reqs[slot as usize].att;
        match rt.client.on_failure(
            att,
            &info,
            &response,
            now,
            clock,
            units,
            &mut rt.strategy_rng,
        ) {
            Next::RetryAfter(delay) => {
                att.backoff_wait.0 += delay.0;
                self.queue.push(now + delay, Ev::Attempt(slot));
            }
            Next::GiveUp(reason) => {
                self.stats[g].gave_up[give_up_index(reason)] += 1;
                self.end(slot, now, Fate::GaveUp(reason));
            }
            Next::Refuse(reason) => self.refuse(slot, now, reason),
        }
    }

    fn record(&mut self, slot: u32, now: Nanos, fate: Fate) {
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
            last: r.response,
        });
    }

    /// A request is over: count it, free its slot, and let a closed-loop worker go on.
    fn end(&mut self, slot: u32, now: Nanos, fate: Fate) {
        self.record(slot, now, fate);
        let r = self.reqs[slot as usize];
        let g = r.group as usize;
        self.stats[g].record_finish(&r.att);
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

    fn finish(mut self, seed: u64, events: u64) -> Outcome {
        let horizon = self.sc.horizon();
        for slot in 0..self.reqs.len() {
            if self.live[slot] {
                let g = self.reqs[slot].group as usize;
                self.stats[g].in_flight += 1;
                self.record(slot as u32, horizon, Fate::InFlight);
            }
        }
        let lockouts: Vec<Vec<(Nanos, Nanos)>> = (0..self.keys.len())
            .map(|k| {
                self.limiter
                    .blocked_intervals(k as KeyId)
                    .iter()
                    .filter(|(s, _)| *s < horizon)
                    .map(|&(s, e)| (s, e.min(horizon)))
                    .collect()
            })
            .collect();
        for (g, group) in self.sc.groups.iter().enumerate() {
            let blocks = &lockouts[group.key as usize];
            self.stats[g].locked_out = Nanos(blocks.iter().map(|(s, e)| e.0 - s.0).sum());
            let interval = self.series.interval.0;
            for (i, iv) in self.series.rows[g].iter_mut().enumerate() {
                let (a, b) = (i as u64 * interval, (i as u64 + 1) * interval);
                iv.locked_ns = blocks
                    .iter()
                    .map(|(s, e)| e.0.min(b).saturating_sub(s.0.max(a)))
                    .sum();
            }
        }
        let mut total = GroupStats::default();
        for s in &self.stats {
            let conserved =
                s.succeeded + s.gave_up_total() + s.refused_total() + s.unservable + s.in_flight;
            assert_eq!(s.arrivals, conserved, "conservation violated: arrivals != succeeded + gave up + refused + unservable + in flight (a bug in ratesim)");
            total.merge(s);
        }
        total.locked_out = Nanos(lockouts.iter().flatten().map(|(s, e)| e.0 - s.0).sum());
        Outcome {
            seed,
            groups: self.stats,
            total,
            series: self.series,
            keys: self.keys,
            lockouts,
            utilisation: self.limiter.utilisation(),
            events,
            horizon,
        }
    }
}
