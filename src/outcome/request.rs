//! One request as it ends, and the sink that receives it (ripgrep's `Sink`
//! pattern): the engine hands requests and limit hits to a sink instead of
//! writing files, so requests.csv streams without the engine doing I/O.

use crate::policy::{KeyId, ModelId};
use crate::response::{Cause, Response, CAUSES};
use crate::strategy::{GiveUp, Refusal};
use crate::time::Nanos;

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
    pub rejected_by_cause: [u32; CAUSES],
    pub fate: Fate,
    /// The last answer the client saw (if any).
    pub last: Option<Response>,
}

/// One attempt refused by a limit or by the abuse lockout: an entry of the
/// provider's rate-limit log. `cause` is never [`Cause::Overloaded`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitHit {
    pub at: Nanos,
    pub key: KeyId,
    pub model: ModelId,
    pub cause: Cause,
}

/// Receives every request as it ends.
pub trait RequestSink {
    fn record(&mut self, record: &RequestRecord);

    /// Called for every 429 from a limit or the abuse lockout (the provider's
    /// rate-limit log); ignored by default.
    fn limit_hit(&mut self, _hit: &LimitHit) {}

    /// Called when a trace brings a key name the scenario lacks; it gets the
    /// next [`KeyId`] (so sinks can name keys while streaming); ignored by default.
    fn key_added(&mut self, _name: &str) {}

    /// Whether `limit_hit` does anything (the engine skips the call for
    /// every 429 of a sink that ignores them).
    fn logs_limit_hits(&self) -> bool {
        true
    }

    /// Whether the records need the headers of each request's last answer
    /// even where no client reads them (true unless a sink keeps nothing):
    /// the engine skips computing headers nobody looks at.
    fn wants_headers(&self) -> bool {
        true
    }

    /// Whether `record` does anything (the engine skips building records
    /// for a sink that keeps none).
    fn keeps_records(&self) -> bool {
        true
    }
}

/// A sink that keeps nothing.
pub struct NoSink;

impl RequestSink for NoSink {
    fn record(&mut self, _: &RequestRecord) {}

    fn logs_limit_hits(&self) -> bool {
        false
    }

    fn wants_headers(&self) -> bool {
        false
    }

    fn keeps_records(&self) -> bool {
        false
    }
}

impl RequestSink for Vec<RequestRecord> {
    fn record(&mut self, record: &RequestRecord) {
        self.push(*record);
    }
}
