//! Workloads: when requests arrive and how big they are.
//!
//! Two shapes of traffic matter for rate limits, and they react to a 429 in
//! opposite ways:
//!
//! - **Open loop** ([`Arrivals`], [`TraceReader`]): requests arrive on their
//!   own schedule whatever the server answers, like user traffic hitting a
//!   service. When the limit binds, retries pile up on top of new arrivals, so
//!   this is the shape that shows backlog, dropped requests and lockouts.
//! - **Closed loop**: N workers, each sending its next request only after its
//!   previous one has finished (succeeded or given up) and a [`ThinkTime`] has
//!   passed, like a batch job with a fixed concurrency. A sequential client is
//!   a closed loop of one. The offered load falls as the server slows down, so
//!   the loop throttles itself. Its arrivals depend on simulated outcomes, so
//!   the engine drives it; this module only supplies the think time.
//!
//! Open-loop arrivals are generated lazily, one per call, rather than drawn up
//! front: memory stays flat however long the horizon, each call is
//! allocation-free, and the engine only needs to keep the next arrival of each
//! group in its event queue. Traces are streamed the same way.
//!
//! Token sizes ([`SizeDist`]) are independent of arrivals and drawn from their
//! own random stream, so changing the size distribution leaves the arrival
//! instants untouched.

mod arrival;
pub mod import;
mod sizes;
mod source;
mod trace;

pub use arrival::{ArrivalSpec, Arrivals};
pub use sizes::{LogNormalSize, SizeDist, ThinkTime};
pub use source::TraceSource;
pub use trace::{TraceError, TraceReader, TraceRow};
