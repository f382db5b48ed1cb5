//! What a batch group measured: how long its clients took to finish.

use crate::time::Nanos;

/// The makespan of one batch group: per client (from the client's own
/// start to the end of its last request) and for the whole batch (from the
/// batch's start to the end of the last request of the last client).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchStats {
    pub clients: u32,
    /// Requests in the batch.
    pub requests: u64,
    /// Clients whose list was done before the run ended.
    pub finished_clients: u32,
    /// Summed over finished clients.
    pub client_makespan_sum: Nanos,
    /// The longest of finished clients.
    pub client_makespan_max: Nanos,
    /// The whole batch; `None` when some request was not done by the end.
    pub makespan: Option<Nanos>,
    /// Requests no client had sent when the run ended.
    pub unsent: u64,
}

impl BatchStats {
    /// Two batches side by side (the total row): their clients together,
    /// done when both are.
    pub fn merge(&self, o: &BatchStats) -> BatchStats {
        BatchStats {
            clients: self.clients + o.clients,
            requests: self.requests + o.requests,
            finished_clients: self.finished_clients + o.finished_clients,
            client_makespan_sum: self.client_makespan_sum + o.client_makespan_sum,
            client_makespan_max: self.client_makespan_max.max(o.client_makespan_max),
            makespan: self.makespan.zip(o.makespan).map(|(a, b)| a.max(b)),
            unsent: self.unsent + o.unsent,
        }
    }

    /// The whole batch's makespan in seconds; infinite when it did not
    /// finish by the end of the run.
    pub fn makespan_s(&self) -> f64 {
        self.makespan.map_or(f64::INFINITY, Nanos::as_secs_f64)
    }

    /// Mean makespan of the clients that finished, in seconds.
    pub fn client_makespan_mean(&self) -> Option<f64> {
        (self.finished_clients > 0)
            .then(|| self.client_makespan_sum.as_secs_f64() / f64::from(self.finished_clients))
    }
}
