//! Window algorithms: how a limit of `amount` per `window` decides what fits.
//!
//! The provider says only that its window "resets" at a timestamp, which reads
//! like a fixed window, so that is the default; a sliding log (the strictest
//! reading of "per minute"), a token bucket refilled continuously (how
//! Anthropic describes its limits) or in steps, with its capacity and first
//! fill set apart from its rate, and GCRA (governor's algorithm) are there to
//! test how much the answer to "which retry strategy is best" depends on
//! that unknown.
//!
//! Each algorithm is one file implementing [`Window`]. The limiter holds them
//! as [`AnyWindow`], an enum dispatched by `match`: the check runs for every
//! attempt of every simulated request, and an enum keeps the windows inline
//! in one vector with no allocation or indirect call per check.
//!
//! All arithmetic is in integers, so the same calls give the same answers on
//! every machine. Callers must pass non-decreasing times.

mod discrete_bucket;
mod fixed;
mod gcra;
mod sliding_log;
mod token_bucket;

pub use discrete_bucket::DiscreteBucket;
pub use fixed::Fixed;
pub use gcra::Gcra;
pub use sliding_log::SlidingLog;
pub use token_bucket::TokenBucket;

use crate::policy::{scaled, LimitSpec, Refill, WindowAlgo, PPM};
use crate::time::Nanos;

/// One limit's counter under one algorithm.
pub trait Window {
    /// Whether admitting `amount` at `now` keeps the count within the limit.
    fn fits(&mut self, now: Nanos, amount: u64) -> bool;
    /// Records `amount` admitted at `now`. Normally called after `fits`
    /// returned true; output tokens charged on completion may overshoot the
    /// limit, which then blocks further admissions until it drains.
    fn commit(&mut self, now: Nanos, amount: u64);
    /// What could still be admitted at `now` (zero when over the limit).
    fn remaining(&mut self, now: Nanos) -> u64;
    /// The instant the algorithm calls the reset, as announced in headers.
    fn reset_at(&mut self, now: Nanos) -> Nanos;
    /// Everything committed since creation.
    fn admitted_total(&self) -> u64;
}

/// A window of any algorithm.
#[derive(Clone, Debug)]
pub enum AnyWindow {
    Fixed(Fixed),
    SlidingLog(SlidingLog),
    TokenBucket(TokenBucket),
    DiscreteBucket(DiscreteBucket),
    Gcra(Gcra),
}

macro_rules! dispatch {
    ($self:ident, $w:ident => $call:expr) => {
        match $self {
            AnyWindow::Fixed($w) => $call,
            AnyWindow::SlidingLog($w) => $call,
            AnyWindow::TokenBucket($w) => $call,
            AnyWindow::DiscreteBucket($w) => $call,
            AnyWindow::Gcra($w) => $call,
        }
    };
}

impl AnyWindow {
    /// A window for `spec` under `algo`. `offset` is the Unix time of virtual
    /// instant zero: fixed windows start where `(offset + t) % window == 0`,
    /// so minute windows reset on the wall clock's minutes. The other
    /// algorithms ignore it (a discrete bucket's phase is its own setting,
    /// in virtual time).
    pub fn new(algo: WindowAlgo, spec: LimitSpec, offset: Nanos) -> AnyWindow {
        match algo {
            WindowAlgo::Fixed => AnyWindow::Fixed(Fixed::new(spec, offset)),
            WindowAlgo::SlidingLog => AnyWindow::SlidingLog(SlidingLog::new(spec)),
            WindowAlgo::TokenBucket(b) => match b.refill {
                Refill::Continuous => AnyWindow::TokenBucket(TokenBucket::new(spec, b)),
                Refill::Discrete { period, phase } => {
                    AnyWindow::DiscreteBucket(DiscreteBucket::new(spec, b, period, phase))
                }
            },
            WindowAlgo::Gcra(g) => AnyWindow::Gcra(Gcra::new(spec, g)),
        }
    }

    /// See [`Window::fits`].
    #[inline]
    pub fn fits(&mut self, now: Nanos, amount: u64) -> bool {
        dispatch!(self, w => w.fits(now, amount))
    }

    /// See [`Window::commit`].
    #[inline]
    pub fn commit(&mut self, now: Nanos, amount: u64) {
        dispatch!(self, w => w.commit(now, amount))
    }

    /// See [`Window::remaining`].
    #[inline]
    pub fn remaining(&mut self, now: Nanos) -> u64 {
        dispatch!(self, w => w.remaining(now))
    }

    /// Fixed: the end of the current window. Sliding log: when the oldest
    /// admission in the window expires (`now` if none). Token buckets: when
    /// the bucket is full again (`now` if full). GCRA: the theoretical
    /// arrival time, when a full burst passes again. See each type.
    #[inline]
    pub fn reset_at(&mut self, now: Nanos) -> Nanos {
        dispatch!(self, w => w.reset_at(now))
    }

    /// See [`Window::admitted_total`].
    pub fn admitted_total(&self) -> u64 {
        dispatch!(self, w => w.admitted_total())
    }
}

/// What a limit could admit at most over a run of `horizon`: the number of
/// windows the run covers and their capacity, so that admitted / capacity
/// never exceeds 1 (output tokens charged on completion aside, which may
/// overshoot a window by design).
///
/// - fixed: every aligned window `[0, horizon)` overlaps, partial ones at
///   either end included (a run that starts mid-minute touches one window
///   more than its length in minutes; an RPD limit in an hour's run, one);
/// - sliding log: at most `amount` in any window length, so
///   `ceil(horizon / window)` windows;
/// - token buckets: the first fill plus the refill (every tick of a
///   discrete one within the run);
/// - GCRA: the burst plus the refill, like the bucket it is equivalent to.
pub fn capacity(algo: WindowAlgo, spec: LimitSpec, offset: Nanos, horizon: Nanos) -> (u64, u64) {
    let w = spec.window.0.max(1);
    let h = horizon.0.max(1);
    let spans = h.div_ceil(w);
    match algo {
        WindowAlgo::Fixed => {
            let phase = offset.0 % w;
            let windows = (phase + h - 1) / w + 1;
            (windows, windows.saturating_mul(spec.amount))
        }
        WindowAlgo::SlidingLog => (spans, spans.saturating_mul(spec.amount)),
        WindowAlgo::TokenBucket(b) => {
            let tokens = scaled(spec.amount, b.capacity_ppm);
            let fill =
                (u128::from(tokens) * u128::from(b.initial_fill_ppm) / u128::from(PPM)) as u64;
            let refilled = match b.refill {
                Refill::Continuous => u128::from(h),
                Refill::Discrete { period, phase } => {
                    u128::from(discrete_bucket::ticks_until(period, phase, horizon))
                        * u128::from(period.0.max(1))
                }
            };
            let refill = (u128::from(spec.amount) * refilled / u128::from(w)) as u64;
            (spans, fill.saturating_add(refill))
        }
        WindowAlgo::Gcra(g) => {
            let refill = (u128::from(spec.amount) * u128::from(h) / u128::from(w)) as u64;
            (
                spans,
                scaled(spec.amount, g.burst_ppm).saturating_add(refill),
            )
        }
    }
}
