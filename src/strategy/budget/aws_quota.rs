//! The AWS SDKs' retry quota (standard and adaptive modes; botocore
//! `retries/standard.py` and `quota.py`).
//!
//! A client-wide bucket of 500 tokens. Each retry costs `retry_cost` (5), a
//! retry after a throttle (a 429) `throttle_cost` (the same 5 in the classic
//! mode; the 2026 revision charges 14 for transient errors and 5 for
//! throttles), and a retry after a timeout `timeout_cost` (10). When fewer
//! tokens remain, the retry is refused and the error returned. A success pays
//! back `refund` (1) if it needed no retry, or what its last retry cost if it
//! did; the bucket never exceeds its capacity. The simulator has no request
//! timeouts, so `timeout_cost` never applies; it is kept so that `describe`
//! shows the whole of the source.
//!
//! botocore remembers each request's last retry cost in the request's own
//! context. Here the engine hands a success only its attempt count, so the
//! quota pays back what the client's most recent retry cost: exact whenever
//! the requests retrying at the same time failed alike (an outage's 5xx, a
//! burst of 429s), and in the classic mode (one cost) always.

use super::{Budget, BudgetKind};
use crate::response::Status;
use crate::strategy::config::{Fields, Result};
use crate::strategy::SendInfo;
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AwsQuotaSpec {
    /// Tokens at the start, and at most.
    pub capacity: u64,
    /// What a retry after a transient error (a 5xx) costs.
    pub retry_cost: u64,
    /// What a retry after a throttle (a 429) costs.
    pub throttle_cost: u64,
    pub timeout_cost: u64,
    pub refund: u64,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn BudgetKind>> {
    let retry_cost = f.count("retry_cost", 5, 1, 1_000_000_000)?;
    Ok(Arc::new(AwsQuotaSpec {
        capacity: f.count("capacity", 500, 0, 1_000_000_000)?,
        retry_cost,
        throttle_cost: f.count("throttle_cost", retry_cost, 1, 1_000_000_000)?,
        timeout_cost: f.count("timeout_cost", 10, 1, 1_000_000_000)?,
        refund: f.count("refund", 1, 0, 1_000_000_000)?,
    }))
}

impl BudgetKind for AwsQuotaSpec {
    fn build(&self) -> Box<dyn Budget> {
        Box::new(AwsQuota {
            spec: self.clone(),
            available: self.capacity,
            last_cost: self.retry_cost,
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("capacity", self.capacity.to_string()),
            ("retry_cost", self.retry_cost.to_string()),
            ("timeout_cost", self.timeout_cost.to_string()),
            ("refund", self.refund.to_string()),
        ];
        // The classic mode has one cost; its tables stay as they were.
        if self.throttle_cost != self.retry_cost {
            v.push(("throttle_cost", self.throttle_cost.to_string()));
        }
        v
    }
}

pub struct AwsQuota {
    spec: AwsQuotaSpec,
    available: u64,
    /// What the last retry paid for cost.
    last_cost: u64,
}

impl Budget for AwsQuota {
    fn on_success(&mut self, _now: Nanos, info: &SendInfo) {
        let back = if info.sent <= 1 {
            self.spec.refund
        } else {
            self.last_cost
        };
        self.available = (self.available + back).min(self.spec.capacity);
    }

    fn withdraw(&mut self, _now: Nanos, status: Status) -> bool {
        let cost = if status == Status::TooMany {
            self.spec.throttle_cost
        } else {
            self.spec.retry_cost
        };
        match self.available.checked_sub(cost) {
            Some(left) => {
                self.available = left;
                self.last_cost = cost;
                true
            }
            None => false,
        }
    }

    fn balance(&mut self, _now: Nanos) -> f64 {
        self.available as f64
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::info;
    use super::*;

    #[test]
    fn drains_by_five_and_refills_by_one_or_five() {
        let mut q = AwsQuotaSpec {
            capacity: 500,
            retry_cost: 5,
            throttle_cost: 5,
            timeout_cost: 10,
            refund: 1,
        }
        .build();
        let t = Nanos::ZERO;
        for _ in 0..100 {
            assert!(q.withdraw(t, Status::Unavailable));
        }
        assert_eq!(q.balance(t), 0.0);
        assert!(
            !q.withdraw(t, Status::TooMany),
            "the 101st retry is refused"
        );
        q.on_success(t, &info(1));
        assert_eq!(q.balance(t), 1.0);
        q.on_success(t, &info(3));
        assert_eq!(q.balance(t), 6.0);
        assert!(q.withdraw(t, Status::Internal));
        assert_eq!(q.balance(t), 1.0);
        for _ in 0..1000 {
            q.on_success(t, &info(1));
        }
        assert_eq!(q.balance(t), 500.0, "never above capacity");
    }

    #[test]
    fn the_2026_costs_charge_throttles_less_and_pay_back_what_was_paid() {
        let mut q = AwsQuotaSpec {
            capacity: 500,
            retry_cost: 14,
            throttle_cost: 5,
            timeout_cost: 14,
            refund: 1,
        }
        .build();
        let t = Nanos::ZERO;
        assert!(q.withdraw(t, Status::Unavailable));
        assert_eq!(q.balance(t), 486.0);
        q.on_success(t, &info(2));
        assert_eq!(q.balance(t), 500.0);
        assert!(q.withdraw(t, Status::TooMany));
        assert_eq!(q.balance(t), 495.0);
        q.on_success(t, &info(2));
        assert_eq!(q.balance(t), 500.0);
    }
}
