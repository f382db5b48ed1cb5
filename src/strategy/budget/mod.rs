//! Retry budgets: limits on retrying that look at the whole client, not one
//! request.
//!
//! An attempt cap bounds the retries of one request; during an outage every
//! request still retries to its cap, multiplying the load on a failing
//! service. A budget bounds the retries of the client instead: AWS's retry
//! quota ([`aws_quota`]), Finagle's and tower's ratio of retries to requests
//! ([`ratio`]), gRPC's retry throttling ([`grpc`]), and Google SRE's
//! client-side adaptive throttling ([`sre`]), which refuses new requests too,
//! before they are sent.
//!
//! A budget refuses with [`Refusal::Budget`] (a retry it will not pay for) or
//! [`Refusal::Throttle`] (a send it rejects locally); both are outcomes of
//! their own in the metrics, never silent drops.

pub mod aws_quota;
pub mod grpc;
pub mod ratio;
pub mod sre;

use super::config::{Fields, Kind, Result};
use super::{Refusal, SendInfo};
use crate::response::Status;
use crate::rng::Rng;
use crate::time::Nanos;
use std::fmt;
use std::sync::Arc;

/// The state of one budget.
pub trait Budget: Send {
    /// A send passed every other check and is about to leave (first attempts
    /// and retries). A budget may note it, or refuse it (SRE throttling).
    fn on_send(
        &mut self,
        _now: Nanos,
        _info: &SendInfo,
        _rng: &mut Rng,
    ) -> std::result::Result<(), Refusal> {
        Ok(())
    }

    fn on_success(&mut self, _now: Nanos, _info: &SendInfo) {}

    /// A failed attempt; `retryable` is whether its status is one the strategy retries.
    fn on_failure(&mut self, _retryable: bool) {}

    /// Whether the request that failed with `status` may retry; if so, the
    /// retry is paid for (the AWS quota charges throttles less).
    fn withdraw(&mut self, _now: Nanos, _status: Status) -> bool {
        true
    }

    /// What is left, in the budget's own unit (tokens, retries): for tests
    /// and reports.
    fn balance(&mut self, now: Nanos) -> f64;
}

/// A validated budget: builds its state and prints its parameters.
pub trait BudgetKind: fmt::Debug + Send + Sync {
    fn build(&self) -> Box<dyn Budget>;
    /// Its parameters as TOML `key = value` pairs (kind excluded).
    fn params(&self) -> Vec<(&'static str, String)>;
}

/// The budget kinds a `budget` table may name.
pub const KINDS: &[Kind<Arc<dyn BudgetKind>>] = &[
    Kind {
        name: "aws-quota",
        keys: &[
            "capacity",
            "retry_cost",
            "timeout_cost",
            "refund",
            "throttle_cost",
        ],
        summary: "AWS retry quota: 500 tokens, 5 per retry, 1 back per first-try success",
        parse: aws_quota::parse,
    },
    Kind {
        name: "ratio",
        keys: &["ratio", "min_per_sec", "ttl"],
        summary: "Finagle/tower: retries at most ratio x requests plus min_per_sec, over ttl",
        parse: ratio::parse,
    },
    Kind {
        name: "grpc",
        keys: &["max_tokens", "token_ratio"],
        summary: "gRPC retry throttling: retry only while tokens > max_tokens / 2",
        parse: grpc::parse,
    },
    Kind {
        name: "sre",
        keys: &["k", "window"],
        summary: "Google SRE adaptive throttling: reject locally as requests outgrow K x accepts",
        parse: sre::parse,
    },
];

/// A validated budget and the kind that named it.
#[derive(Clone, Debug)]
pub struct BudgetSpec {
    kind: &'static str,
    spec: Arc<dyn BudgetKind>,
}

impl BudgetSpec {
    pub(crate) fn read(f: &Fields<'_>) -> Result<BudgetSpec> {
        let kind = f.kind(KINDS, "budget kind")?;
        Ok(BudgetSpec {
            kind: kind.name,
            spec: (kind.parse)(f)?,
        })
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub fn build(&self) -> Box<dyn Budget> {
        self.spec.build()
    }

    /// `kind = "...", key = value, ...` as a `budget` table writes it.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("kind = \"{}\"", self.kind)];
        parts.extend(
            self.spec
                .params()
                .into_iter()
                .map(|(k, v)| format!("{k} = {v}")),
        );
        parts.join(", ")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::strategy::SendInfo;

    pub(crate) fn info(sent: u32) -> SendInfo {
        SendInfo {
            worker: None,
            tokens: 1,
            sent,
        }
    }
}
