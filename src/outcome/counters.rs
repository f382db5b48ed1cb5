//! Counters of one scope of a run (a client group, a (key, model) pair, or
//! all traffic): requests by fate, attempts, 429s by cause, a completion-time
//! histogram.
//!
//! Completion times go into an HDR histogram (3 significant digits, fixed
//! memory) rather than a list, so a day of traffic costs the same memory as a
//! minute.

use super::batch::BatchStats;
use crate::price::Spend;
use crate::response::{Cause, CAUSES};
use crate::strategy::{Attempts, GiveUp, Refusal};
use crate::time::Nanos;
use hdrhistogram::Histogram;

/// Largest completion time the histogram tracks, in milliseconds (400 days).
/// Milliseconds with 3 significant digits keep the histogram small enough to
/// stay in cache (it is updated once per success) while resolving 0.1%.
pub const COMPLETION_MAX_MS: u64 = 400 * 86_400 * 1_000;

/// An empty completion-time histogram, in milliseconds (every one shares
/// these bounds, so any two add up).
pub fn new_completion_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, COMPLETION_MAX_MS, 3).expect("static histogram bounds are valid")
}

/// Counters of one client group (or of all of them).
#[derive(Clone, Debug)]
pub struct GroupStats {
    /// Requests that arrived at the client.
    pub arrivals: u64,
    pub succeeded: u64,
    /// Requests the client gave up on, by reason (indexed like [`GiveUp::ALL`]).
    pub gave_up: [u64; 3],
    /// Requests the client refused locally, by reason (indexed like [`Refusal::ALL`]).
    pub refused: [u64; 3],
    /// Requests whose size alone exceeds a token limit of their model.
    pub unservable: u64,
    /// Requests neither finished nor given up when the run ended.
    pub in_flight: u64,
    /// Attempts sent, retries included.
    pub attempts: u64,
    /// 429 answers by cause (indexed like [`Cause::ALL`]).
    pub rejected: [u64; CAUSES],
    /// 500 and 503 answers.
    pub errors_5xx: u64,
    /// Attempts the client abandoned when its timeout ran out.
    pub timeouts: u64,
    /// Attempts spent on finished requests (for attempts per request).
    pub finished_attempts: u64,
    /// The most attempts any request made.
    pub max_attempts: u64,
    /// How many finished requests made exactly n attempts, n = index + 1 (the last bucket collects the rest).
    pub attempts_hist: [u64; 16],
    /// Time finished requests spent held back by their client before sends.
    pub client_wait: Nanos,
    /// Time finished requests spent in backoff after failures.
    pub backoff_wait: Nanos,
    /// Input and output tokens of successful requests.
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Arrival to success, in milliseconds (rounded up, at least 1).
    pub completion: Histogram<u64>,
    /// Time the group's key spent locked out by abuse protection.
    pub locked_out: Nanos,
    /// A batch group's makespan (`None` for other groups and for pairs).
    pub batch: Option<BatchStats>,
    /// What the provider billed (zero when the scenario prices nothing).
    pub spend: Spend,
}

impl Default for GroupStats {
    fn default() -> Self {
        GroupStats {
            arrivals: 0,
            succeeded: 0,
            gave_up: [0; 3],
            refused: [0; 3],
            unservable: 0,
            in_flight: 0,
            attempts: 0,
            rejected: [0; CAUSES],
            errors_5xx: 0,
            timeouts: 0,
            finished_attempts: 0,
            max_attempts: 0,
            attempts_hist: [0; 16],
            client_wait: Nanos::ZERO,
            backoff_wait: Nanos::ZERO,
            tokens_in: 0,
            tokens_out: 0,
            completion: new_completion_histogram(),
            locked_out: Nanos::ZERO,
            batch: None,
            spend: Spend::default(),
        }
    }
}

impl GroupStats {
    pub fn gave_up_total(&self) -> u64 {
        self.gave_up.iter().sum()
    }

    pub fn refused_total(&self) -> u64 {
        self.refused.iter().sum()
    }

    pub fn refused_by(&self, r: Refusal) -> u64 {
        self.refused[r.index()]
    }

    /// Mean time a finished request was held back by its client, in seconds.
    pub fn mean_client_wait(&self) -> f64 {
        self.client_wait.as_secs_f64() / self.finished().max(1) as f64
    }

    /// Mean time a finished request spent in backoff, in seconds.
    pub fn mean_backoff_wait(&self) -> f64 {
        self.backoff_wait.as_secs_f64() / self.finished().max(1) as f64
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    pub fn rejected_by(&self, c: Cause) -> u64 {
        self.rejected[c.index()]
    }

    pub fn gave_up_by(&self, g: GiveUp) -> u64 {
        self.gave_up[g.index()]
    }

    /// Share of attempts answered 429.
    pub fn share_429(&self) -> f64 {
        ratio(self.rejected_total(), self.attempts)
    }

    /// Mean attempts per finished request.
    pub fn attempts_per_request(&self) -> f64 {
        ratio(self.finished_attempts, self.finished())
    }

    /// Attempts sent per successful request: the cost of each success.
    pub fn attempts_per_success(&self) -> f64 {
        ratio(self.attempts, self.succeeded)
    }

    pub fn finished(&self) -> u64 {
        self.succeeded + self.gave_up_total() + self.refused_total() + self.unservable
    }

    /// Completion-time quantile in seconds (0 when nothing succeeded).
    pub fn completion_quantile(&self, q: f64) -> f64 {
        if self.completion.is_empty() {
            0.0
        } else {
            self.completion.value_at_quantile(q) as f64 / 1e3
        }
    }

    /// Completion-time quantile in seconds over every arrival, a request that
    /// did not succeed (given up, refused, unservable, still in flight)
    /// counting as never completed: `None` when more than `1 - q` of the
    /// arrivals did not succeed, so the quantile is not reached. This is the
    /// honest figure to rank strategies by: a strategy that abandons requests
    /// does not look fast by dropping its slow ones.
    pub fn completion_quantile_all(&self, q: f64) -> Option<f64> {
        let rank = (q * self.arrivals as f64).ceil().max(1.0) as u64;
        if self.arrivals == 0 || rank > self.succeeded {
            return None;
        }
        let within = rank as f64 / self.succeeded as f64;
        Some(self.completion.value_at_quantile(within) as f64 / 1e3)
    }

    /// Share of arrivals that succeeded.
    pub fn success_share(&self) -> f64 {
        ratio(self.succeeded, self.arrivals)
    }

    pub fn completion_max(&self) -> f64 {
        self.completion.max() as f64 / 1e3
    }

    pub(crate) fn record_finish(&mut self, a: &Attempts) {
        let attempts = a.sent;
        self.client_wait.0 += a.client_wait.0;
        self.backoff_wait.0 += a.backoff_wait.0;
        self.finished_attempts += u64::from(attempts);
        self.max_attempts = self.max_attempts.max(u64::from(attempts));
        let bucket = (attempts.max(1) as usize - 1).min(self.attempts_hist.len() - 1);
        self.attempts_hist[bucket] += 1;
    }

    /// Adds `other`'s counts into `self` (for the total row).
    pub fn merge(&mut self, other: &GroupStats) {
        self.arrivals += other.arrivals;
        self.succeeded += other.succeeded;
        self.unservable += other.unservable;
        self.in_flight += other.in_flight;
        self.attempts += other.attempts;
        self.errors_5xx += other.errors_5xx;
        self.timeouts += other.timeouts;
        self.finished_attempts += other.finished_attempts;
        self.max_attempts = self.max_attempts.max(other.max_attempts);
        self.tokens_in += other.tokens_in;
        self.tokens_out += other.tokens_out;
        self.spend.merge(&other.spend);
        self.client_wait.0 += other.client_wait.0;
        self.backoff_wait.0 += other.backoff_wait.0;
        for (a, b) in self.refused.iter_mut().zip(other.refused) {
            *a += b;
        }
        for (a, b) in self.gave_up.iter_mut().zip(other.gave_up) {
            *a += b;
        }
        for (a, b) in self.rejected.iter_mut().zip(other.rejected) {
            *a += b;
        }
        for (a, b) in self.attempts_hist.iter_mut().zip(other.attempts_hist) {
            *a += b;
        }
        self.completion
            .add(&other.completion)
            .expect("histograms share bounds");
        self.batch = match (self.batch, other.batch) {
            (Some(a), Some(b)) => Some(a.merge(&b)),
            (a, b) => a.or(b),
        };
    }
}

pub(crate) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}
