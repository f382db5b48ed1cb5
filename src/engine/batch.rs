//! Batch clients: each client works through its own list (or takes the next
//! request of one shared batch) one request at a time, never before the
//! request's scheduled time, and leaves when there is nothing left.

use super::{Ev, Sim};
use crate::outcome::batch::BatchStats;
use crate::scenario::{Batch, BatchWork};
use crate::time::Nanos;

/// A batch group's progress.
pub(super) struct BatchRt {
    spec: Batch,
    /// Per client: the index of its next request in its own list.
    next: Vec<u64>,
    /// A shared batch's requests no client has taken yet.
    left: u64,
    /// Per client: when its last request ended, once its list is done.
    finished: Vec<Option<Nanos>>,
}

impl BatchRt {
    pub(super) fn new(spec: Batch) -> BatchRt {
        let n = spec.clients as usize;
        BatchRt {
            spec,
            next: vec![0; n],
            left: match spec.work {
                BatchWork::Shared(total) => total,
                BatchWork::PerClient(_) => 0,
            },
            finished: vec![None; n],
        }
    }

    /// When client `c` sends its next request, with that request's scheduled
    /// time; `None` when its work is done.
    fn next_send(&self, c: u32, now: Nanos) -> Option<(Nanos, Nanos)> {
        match self.spec.work {
            BatchWork::PerClient(n) => {
                let j = self.next[c as usize];
                (j < n).then(|| {
                    let at =
                        self.spec.client_start(c) + Nanos(self.spec.spacing.0.saturating_mul(j));
                    (at.max(now), at)
                })
            }
            BatchWork::Shared(_) => (self.left > 0).then_some((now, self.spec.start)),
        }
    }

    /// Client `c`, woken at `now`, takes its next request and returns its
    /// scheduled time; with nothing left (another client took the last of a
    /// shared batch) it leaves.
    pub(super) fn take(&mut self, c: u32, now: Nanos) -> Option<Nanos> {
        let Some((_, scheduled)) = self.next_send(c, now) else {
            self.finished[c as usize] = Some(now);
            return None;
        };
        match self.spec.work {
            BatchWork::PerClient(_) => self.next[c as usize] += 1,
            BatchWork::Shared(_) => self.left -= 1,
        }
        Some(scheduled)
    }

    pub(super) fn stats(&self) -> BatchStats {
        let mut s = BatchStats {
            clients: self.spec.clients,
            requests: self.spec.requests(),
            ..BatchStats::default()
        };
        let mut last = Nanos::ZERO;
        for (c, end) in self.finished.iter().enumerate() {
            if let Some(end) = *end {
                let took = end - self.spec.client_start(c as u32).min(end);
                s.finished_clients += 1;
                s.client_makespan_sum.0 += took.0;
                s.client_makespan_max = s.client_makespan_max.max(took);
                last = last.max(end);
            }
        }
        s.unsent = match self.spec.work {
            BatchWork::PerClient(n) => self.next.iter().map(|j| n - j).sum(),
            BatchWork::Shared(_) => self.left,
        };
        if s.finished_clients == s.clients {
            s.makespan = Some(last - self.spec.start.min(last));
        }
        s
    }
}

impl Sim<'_, '_> {
    /// Wakes every client of batch group `g` at its start.
    pub(super) fn start_batch(&mut self, g: usize) {
        let Some(b) = &self.groups[g].batch else {
            return;
        };
        for c in 0..b.spec.clients {
            match b.next_send(c, Nanos::ZERO) {
                Some((at, _)) if at < self.sc.duration => {
                    self.queue.push(at, Ev::Worker(g as u32, c))
                }
                _ => {}
            }
        }
    }

    /// Batch client `c` of group `g` is free at `now`: it wakes for its next
    /// request, or leaves when its work is done.
    pub(super) fn batch_client_free(&mut self, g: usize, c: u32, now: Nanos) {
        let b = self.groups[g].batch.as_mut().expect("a batch group");
        match b.next_send(c, now) {
            Some((at, _)) => {
                if at < self.sc.duration {
                    self.queue.push(at, Ev::Worker(g as u32, c));
                }
            }
            None => b.finished[c as usize] = Some(now),
        }
    }
}
