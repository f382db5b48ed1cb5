//! ratesim: a deterministic discrete-event simulator of API rate limits and the
//! client retry strategies that meet them.
//!
//! The core ([`engine::simulate`]) is a pure function of a validated
//! [`scenario::Scenario`] and a seed; everything that touches files or the
//! terminal lives in [`output`] and the binary.

pub mod compare;
pub mod engine;
pub mod experiment;
pub mod objective;
pub mod outcome;
pub mod output;
pub mod plan;
pub mod policy;
pub mod price;
pub mod report;
pub mod response;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod service;
pub mod stats;
pub mod strategy;
pub mod suggest;
pub mod sweep;
pub mod threshold;
pub mod time;
pub mod tune;
pub mod workload;
