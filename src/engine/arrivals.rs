//! Requests coming in: the next arrival of each open-loop process, rows
//! pulled from a trace (their key names mapped onto the scenario's), new
//! synthetic requests drawn from a group's size and model mix, and the slab
//! slot each request lives in until it ends.

use super::{Req, ReqLog, Sim, NO_PAIR, NO_WORKER};
use crate::outcome::GroupStats;
use crate::outcome::PairStats;
use crate::policy::{KeyId, ModelId};
use crate::response::Headers;
use crate::rng;
use crate::scenario::Workload;
use crate::service::spread_multiplier;
use crate::strategy::Attempts;
use crate::time::Nanos;
use crate::workload::TraceError;

impl Sim<'_, '_> {
    /// Draws group `g`'s next open-loop arrival.
    pub(super) fn schedule_next_arrival(&mut self, g: usize) {
        let rt = &mut self.groups[g];
        let at = rt
            .arrivals
            .as_mut()
            .and_then(|a| a.next(&mut rt.arrival_rng));
        self.due(g, at);
    }

    /// Group `g`'s next arrival is at `at` (none when `None` or past the
    /// run). It takes the sequence number a push into the queue would.
    fn due(&mut self, g: usize, at: Option<Nanos>) {
        let next = at
            .filter(|&at| at < self.sc.duration)
            .map(|at| (at, self.queue.take_seq()));
        self.next_arrivals.set(g as u32, next);
    }

    /// Reads group `g`'s next trace row into `pending` and schedules its
    /// arrival.
    pub(super) fn pull_trace_row(&mut self, g: usize) -> Result<(), TraceError> {
        let rt = &mut self.groups[g];
        let src = rt.trace.as_mut().expect("trace group has a source");
        let at = match src.next_row() {
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
                            self.pair_index
                                .extend((0..self.sc.policy.models.len()).map(|_| NO_PAIR));
                            self.limiter.add_key()
                        }
                    };
                    rt.trace_keys.push(id);
                }
                row.key = rt.trace_keys[row.key as usize];
                let at = row.at;
                rt.pending = (at < self.sc.duration).then_some(row);
                Some(at)
            }
            None => {
                rt.pending = None;
                None
            }
        };
        self.due(g, at);
        Ok(())
    }

    pub(super) fn on_arrival(&mut self, g: usize, now: Nanos) -> Result<(), TraceError> {
        let slot = match self.groups[g].pending.take() {
            Some(row) => {
                // A trace row names its key; synthetic groups use the group's.
                if !self.group_keys[g].contains(&row.key) {
                    self.group_keys[g].push(row.key);
                }
                let slot = self.alloc(Req {
                    group: g as u32,
                    key: row.key,
                    model: row.model,
                    worker: NO_WORKER,
                    input: row.input_tokens,
                    output: row.output_tokens,
                    max_tokens: row.max_tokens,
                    spread: 1.0,
                    unservable: false,
                    scheduled: now,
                    sent_at: now,
                    pair: 0,
                    cell: 0,
                    att: Attempts {
                        arrival: now,
                        ..Attempts::default()
                    },
                });
                let spread = self.sc.policy.models[row.model as usize].latency.spread;
                self.reqs[slot as usize].spread =
                    spread_multiplier(spread, &mut self.groups[g].sizes_rng);
                self.pull_trace_row(g)?;
                slot
            }
            None => {
                let slot = self.new_synthetic(g, NO_WORKER, now, now);
                self.schedule_next_arrival(g);
                slot
            }
        };
        self.send(slot, now);
        Ok(())
    }

    /// Draws a new request of a synthetic group, sent at `now` and due at
    /// `scheduled` (earlier for a batch request that waited for its client).
    pub(super) fn new_synthetic(
        &mut self,
        g: usize,
        worker: u32,
        now: Nanos,
        scheduled: Nanos,
    ) -> u32 {
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
            group: g as u32,
            key: self.sc.groups[g].key,
            model,
            worker,
            input,
            output,
            max_tokens: w.max_tokens,
            spread,
            unservable: false,
            scheduled,
            sent_at: now,
            pair: 0,
            cell: 0,
            att: Attempts {
                arrival: now,
                ..Attempts::default()
            },
        })
    }

    // Inlined, so a new request's fields go from registers into its slot
    // rather than through a copy on the stack read back in wider parts
    // (a store-forwarding stall, as in the queue's `place`).
    #[inline(always)]
    fn alloc(&mut self, mut req: Req) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let g = req.group as usize;
        req.att.prev_delay = self.groups[g].initial_prev;
        req.pair = self.pair_of(req.key, req.model);
        req.cell = self.cells.index(req.group, req.pair);
        self.cells.stats(req.cell).arrivals += 1;
        let i = self.cursor.index(req.scheduled);
        self.cells.at(req.cell, i).offered += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.reqs[slot as usize] = req;
                self.answers[slot as usize] = None;
                self.live[slot as usize] = true;
                slot
            }
            None => {
                self.reqs.push(req);
                self.answers.push(None);
                self.headers.push(Headers::default());
                self.live.push(true);
                (self.reqs.len() - 1) as u32
            }
        };
        if self.keep_records {
            let log = ReqLog {
                id,
                ..ReqLog::default()
            };
            match self.logs.get_mut(slot as usize) {
                Some(l) => *l = log,
                None => self.logs.push(log),
            }
        }
        slot
    }

    /// The index of the counters of (key, model), created on first use.
    #[inline]
    fn pair_of(&mut self, key: KeyId, model: ModelId) -> u32 {
        let i = key as usize * self.sc.policy.models.len() + model as usize;
        if self.pair_index[i] == NO_PAIR {
            self.pair_index[i] = self.pairs.len() as u32;
            self.pairs.push(PairStats {
                key,
                model,
                stats: GroupStats::default(),
            });
        }
        self.pair_index[i]
    }
}
