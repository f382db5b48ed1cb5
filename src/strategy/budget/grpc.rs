//! gRPC retry throttling (gRFC A6): a channel-wide token count that starts at
//! `max_tokens`, loses 1 for each failed attempt with a retryable status and
//! gains `token_ratio` for each success, within [0, max_tokens]. Retries are
//! made only while the count is above `max_tokens / 2`. Counts are kept in
//! thousandths, as gRPC does, so a ratio of 0.1 adds exactly 100.
//! The gRFC's example: max_tokens 10, token_ratio 0.1.

use super::{Budget, BudgetKind};
use crate::response::Status;
use crate::strategy::config::{toml_number, Fields, Result};
use crate::strategy::SendInfo;
use crate::time::Nanos;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct GrpcSpec {
    pub max_tokens: f64,
    pub token_ratio: f64,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn BudgetKind>> {
    Ok(Arc::new(GrpcSpec {
        max_tokens: f.number("max_tokens", 10.0, (0.0, true), 1000.0)?,
        token_ratio: f.number("token_ratio", 0.1, (0.0, true), 1000.0)?,
    }))
}

impl BudgetKind for GrpcSpec {
    fn build(&self) -> Box<dyn Budget> {
        let max = (self.max_tokens * 1000.0).round() as i64;
        Box::new(Grpc {
            max,
            ratio: (self.token_ratio * 1000.0).round() as i64,
            tokens: max,
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("max_tokens", toml_number(self.max_tokens)),
            ("token_ratio", toml_number(self.token_ratio)),
        ]
    }
}

/// Token counts in thousandths.
pub struct Grpc {
    max: i64,
    ratio: i64,
    tokens: i64,
}

impl Budget for Grpc {
    fn on_success(&mut self, _now: Nanos, _info: &SendInfo) {
        self.tokens = (self.tokens + self.ratio).min(self.max);
    }

    fn on_failure(&mut self, retryable: bool) {
        if retryable {
            self.tokens = (self.tokens - 1000).max(0);
        }
    }

    fn withdraw(&mut self, _now: Nanos, _status: Status) -> bool {
        self.tokens * 2 > self.max
    }

    fn balance(&mut self, _now: Nanos) -> f64 {
        self.tokens as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::info;
    use super::*;

    #[test]
    fn stops_retrying_at_half_and_recovers_with_successes() {
        let mut b = GrpcSpec {
            max_tokens: 10.0,
            token_ratio: 0.1,
        }
        .build();
        let t = Nanos::ZERO;
        let fail = |b: &mut Box<dyn Budget>| {
            b.on_failure(true);
            b.withdraw(t, Status::TooMany)
        };
        // 10 -> 9, 8, 7, 6 retry; at 5 (not above half) no more.
        let decisions: Vec<bool> = (0..6).map(|_| fail(&mut b)).collect();
        assert_eq!(decisions, [true, true, true, true, false, false]);
        assert_eq!(b.balance(t), 4.0);
        // A non-retryable failure costs nothing.
        b.on_failure(false);
        assert_eq!(b.balance(t), 4.0);
        // 11 successes: 4 + 1.1 = 5.1 > 5.
        for _ in 0..11 {
            b.on_success(t, &info(1));
        }
        assert!(b.withdraw(t, Status::TooMany));
    }
}
