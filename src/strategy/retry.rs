//! The retry decision: which answers are retried, how many times, for how long.

use crate::response::Status;
use crate::time::Nanos;

/// A small set of statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusSet(u8);

impl StatusSet {
    pub const EMPTY: StatusSet = StatusSet(0);

    fn bit(status: Status) -> u8 {
        match status {
            Status::Ok => 1,
            Status::TooMany => 2,
            Status::Internal => 4,
            Status::Unavailable => 8,
            Status::Timeout => 16,
        }
    }

    pub fn of(statuses: &[Status]) -> StatusSet {
        StatusSet(statuses.iter().fold(0, |acc, s| acc | Self::bit(*s)))
    }

    /// 429 and the 5xx the simulator produces: the provider's own advice.
    pub fn default_retryable() -> StatusSet {
        Self::of(&[Status::TooMany, Status::Internal, Status::Unavailable])
    }

    /// Whether answers of `status` are retried. Every client retries its
    /// own timeouts (within its attempt limit and deadline), whatever its
    /// list of statuses says: the SDKs all do.
    pub fn contains(self, status: Status) -> bool {
        status == Status::Timeout || self.0 & Self::bit(status) != 0
    }

    pub fn codes(self) -> Vec<u16> {
        [
            Status::Ok,
            Status::TooMany,
            Status::Internal,
            Status::Unavailable,
        ]
        .into_iter()
        .filter(|s| self.contains(*s))
        .map(Status::code)
        .collect()
    }
}

/// Why a client stopped trying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GiveUp {
    /// The answer's status is not one the strategy retries.
    NotRetryable,
    /// The attempt limit was reached.
    MaxAttempts,
    /// The next retry would land after the overall deadline.
    Deadline,
}

impl GiveUp {
    pub const ALL: [GiveUp; 3] = [GiveUp::NotRetryable, GiveUp::MaxAttempts, GiveUp::Deadline];

    /// Position in [`GiveUp::ALL`] (and in every per-reason array).
    pub const fn index(self) -> usize {
        self as usize
    }

    pub const fn label(self) -> &'static str {
        match self {
            GiveUp::NotRetryable => "not_retryable",
            GiveUp::MaxAttempts => "max_attempts",
            GiveUp::Deadline => "deadline",
        }
    }
}

/// When to stop retrying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Give up rather than retry past arrival + deadline.
    pub deadline: Option<Nanos>,
    pub retry_on: StatusSet,
}

impl RetryPolicy {
    /// Why the client must stop after `sent` attempts answered `status`, if it must.
    pub fn refuses(&self, sent: u32, status: Status) -> Option<GiveUp> {
        if !self.retry_on.contains(status) {
            Some(GiveUp::NotRetryable)
        } else if sent >= self.max_attempts {
            Some(GiveUp::MaxAttempts)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_by_status_then_attempts() {
        let p = RetryPolicy {
            max_attempts: 3,
            deadline: None,
            retry_on: StatusSet::of(&[Status::TooMany]),
        };
        assert_eq!(p.refuses(1, Status::Internal), Some(GiveUp::NotRetryable));
        assert_eq!(p.refuses(2, Status::TooMany), None);
        assert_eq!(p.refuses(3, Status::TooMany), Some(GiveUp::MaxAttempts));
        assert_eq!(StatusSet::default_retryable().codes(), vec![429, 500, 503]);
    }
}
