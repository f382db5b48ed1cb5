//! The AWS SDKs' retry quota (standard and adaptive modes; botocore
//! `retries/standard.py` and `quota.py`).
//!
//! A client-wide bucket of 500 tokens. Each retry costs 5 (10 after a
//! timeout); when fewer remain, the retry is refused and the error returned.
//! A success pays back 1 if it needed no retry, or what its last retry cost if
//! it did; the bucket never exceeds its capacity. The simulator has no request
//! timeouts, so `timeout_cost` never applies; it is kept so that `describe`
//! shows the whole of the source.

use super::{Budget, BudgetKind};
use crate::strategy::config::{Fields, Result};
use crate::strategy::SendInfo;
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AwsQuotaSpec {
    pub capacity: u64,
    pub retry_cost: u64,
    pub timeout_cost: u64,
    pub refund: u64,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn BudgetKind>> {
    Ok(Arc::new(AwsQuotaSpec {
        capacity: f.count("capacity", 500, 1, 1_000_000_000)?,
        retry_cost: f.count("retry_cost", 5, 1, 1_000_000_000)?,
        timeout_cost: f.count("timeout_cost", 10, 1, 1_000_000_000)?,
        refund: f.count("refund", 1, 0, 1_000_000_000)?,
    }))
}

impl BudgetKind for AwsQuotaSpec {
    fn build(&self) -> Box<dyn Budget> {
        Box::new(AwsQuota {
            spec: self.clone(),
            available: self.capacity,
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("capacity", self.capacity.to_string()),
            ("retry_cost", self.retry_cost.to_string()),
            ("timeout_cost", self.timeout_cost.to_string()),
            ("refund", self.refund.to_string()),
        ]
    }
}

pub struct AwsQuota {
    spec: AwsQuotaSpec,
    available: u64,
}

impl Budget for AwsQuota {
    fn on_success(&mut self, _now: Nanos, info: &SendInfo) {
        let back = if info.sent <= 1 {
            self.spec.refund
        } else {
            self.spec.retry_cost
        };
        self.available = (self.available + back).min(self.spec.capacity);
    }

    fn withdraw(&mut self, _now: Nanos) -> bool {
        match self.available.checked_sub(self.spec.retry_cost) {
            Some(left) => {
                self.available = left;
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
            timeout_cost: 10,
            refund: 1,
        }
        .build();
        let t = Nanos::ZERO;
        for _ in 0..100 {
            assert!(q.withdraw(t));
        }
        assert_eq!(q.balance(t), 0.0);
        assert!(!q.withdraw(t), "the 101st retry is refused");
        q.on_success(t, &info(1));
        assert_eq!(q.balance(t), 1.0);
        q.on_success(t, &info(3));
        assert_eq!(q.balance(t), 6.0);
        assert!(q.withdraw(t));
        assert_eq!(q.balance(t), 1.0);
        for _ in 0..1000 {
            q.on_success(t, &info(1));
        }
        assert_eq!(q.balance(t), 500.0, "never above capacity");
    }
}
