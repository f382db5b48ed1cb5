//! Pacers: what holds a request back before it is sent.
//!
//! A pacer sees every send (first attempts too, so completion times include
//! the time a request waited in its own client) and every answer. It either
//! lets a send go, counting it, or names the instant to ask again. Most pacers
//! here are token buckets that differ in how their rate is set: fixed from
//! known limits ([`token_bucket`]), CUBIC after throttles (AWS adaptive),
//! additive-increase/multiplicative-decrease ([`aimd`]), or multiplicative
//! both ways ([`adaptive_bucket`]); [`header_tracking`] instead stops sending
//! while the last headers said the window was spent.
//!
//! The buckets share [`bucket::Lanes`], which promises each waiting request
//! its own slot (first come, first served) instead of waking every waiter at
//! each refill, so a backlog costs one event per request, not one per waiter
//! and token.

pub mod adaptive_bucket;
pub mod aimd;
pub mod aws_adaptive;
pub mod bucket;
pub mod header_tracking;
pub mod token_bucket;

use super::config::{Fields, Kind, Result};
use super::{Gate, SendInfo};
use crate::policy::HeaderUnits;
use crate::response::Response;
use crate::time::{Clock, Nanos};
use std::fmt;
use std::sync::Arc;

/// An answer as a pacer observes it.
#[derive(Clone, Copy, Debug)]
pub struct Seen<'a> {
    pub now: Nanos,
    pub info: &'a SendInfo,
    pub response: &'a Response,
    /// The wall clock and reset-header units, once the client knows them.
    pub clock: Option<(Clock, HeaderUnits)>,
}

/// The state of one pacer.
pub trait Pacer: Send {
    /// `Gate::Send` (and the send is counted) or `Gate::WaitUntil(t)` with `t > now`.
    fn gate(&mut self, now: Nanos, info: &SendInfo) -> Gate;

    /// Every answer, successes and failures.
    fn observe(&mut self, _seen: &Seen<'_>) {}

    /// Takes back the slots promised to waiting requests; they will ask again.
    fn cancel_reservations(&mut self) {}
}

/// A validated pacer: builds its state and prints its parameters.
pub trait PacerKind: fmt::Debug + Send + Sync {
    fn build(&self) -> Box<dyn Pacer>;
    /// Its parameters as TOML `key = value` pairs (kind and `retries` excluded).
    fn params(&self) -> Vec<(&'static str, String)>;
    /// Whether the pacer reads the `x-ratelimit-*` headers.
    fn reads_headers(&self) -> bool {
        false
    }
}

/// The pacer kinds a `pacer` table may name.
pub const KINDS: &[Kind<Arc<dyn PacerKind>>] = &[
    Kind {
        name: "token-bucket",
        keys: &[
            "rpm", "tpm", "headroom", "burst", "start", "poll", "retries",
        ],
        summary: "client-side RPM and TPM buckets from known limits, with headroom",
        parse: token_bucket::parse,
    },
    Kind {
        name: "header-tracking",
        keys: &["limits", "retries"],
        summary: "stop while the last remaining header was 0, until its reset",
        parse: header_tracking::parse,
    },
    Kind {
        name: "aws-adaptive",
        keys: &[
            "c",
            "beta",
            "min_rate",
            "smoothing",
            "bucket",
            "max_scale",
            "retries",
        ],
        summary: "AWS SDK adaptive mode: CUBIC rate, off until the first throttle",
        parse: aws_adaptive::parse,
    },
    Kind {
        name: "aimd",
        keys: &[
            "initial", "increase", "decrease", "min", "max", "burst", "retries",
        ],
        summary: "additive increase per success, multiplicative decrease per 429",
        parse: aimd::parse,
    },
    Kind {
        name: "adaptive-bucket",
        keys: &[
            "initial",
            "increase",
            "decrease",
            "min",
            "max",
            "burst",
            "retries",
            "increase_above",
            "step",
            "congestion",
            "statuses",
            "capacity",
            "tokens",
            "resolution",
        ],
        summary: "rate x1.2 per success, halved per 429 with the bucket emptied",
        parse: adaptive_bucket::parse,
    },
];

/// A validated pacer and the kind that named it.
#[derive(Clone, Debug)]
pub struct PacerSpec {
    kind: &'static str,
    spec: Arc<dyn PacerKind>,
    retries: bool,
}

impl PacerSpec {
    pub(crate) fn read(f: &Fields<'_>) -> Result<PacerSpec> {
        let kind = f.kind(KINDS, "pacer kind")?;
        Ok(PacerSpec {
            kind: kind.name,
            spec: (kind.parse)(f)?,
            retries: f.bool("retries", true)?,
        })
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub fn build(&self) -> Box<dyn Pacer> {
        self.spec.build()
    }

    /// Whether the pacer reads the `x-ratelimit-*` headers.
    pub fn reads_headers(&self) -> bool {
        self.spec.reads_headers()
    }

    /// Whether retries wait at the pacer too, or only first attempts.
    pub fn paces_retries(&self) -> bool {
        self.retries
    }

    /// `kind = "...", key = value, ...` as a `pacer` table writes it.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("kind = \"{}\"", self.kind)];
        parts.extend(
            self.spec
                .params()
                .into_iter()
                .map(|(k, v)| format!("{k} = {v}")),
        );
        parts.push(format!("retries = {}", self.retries));
        parts.join(", ")
    }
}

/// Rates print as `"<per minute>/min"`.
pub(crate) fn toml_rate(per_sec: f64) -> String {
    format!("\"{}/min\"", per_sec * 60.0)
}
