//! A ratio budget (Finagle's `RetryBudget`, tower's `TpsBudget`): retries may
//! be at most `ratio` of recent requests, plus a floor of `min_per_sec`.
//!
//! As in tower, the budget keeps integer units in 10 slots covering `ttl`:
//! each request deposits 1 unit, each retry withdraws `1 / ratio` units
//! (rounded down, 5 for 20%), and a reserve of `min_per_sec * ttl` retries is
//! always there. A retry goes only if the units in the window plus the reserve
//! cover its price. Withdrawals can outlive the deposits that paid for them,
//! so the sum may dip below zero until they expire; what matters is that over
//! any `ttl` the retries stay within `ratio` of the requests plus the reserve.
//! Deposits are made when a request is first sent (Finagle's filter deposits
//! per request; tower's documentation example deposits per success instead).
//! Defaults: 20%, 10 per second, 10 s.
//!
//! The slots here are aligned to the clock (slot k covers [k, k+1) x ttl/10),
//! so the window always holds between 0.9 and 1 ttl of history. tower restarts
//! its slot clock at each expiry and can retire slots early; the intent, and
//! the bound tested in `tests/strategy_props.rs`, is the aligned one.

use super::{Budget, BudgetKind};
use crate::response::Status;
use crate::rng::Rng;
use crate::strategy::config::{toml_duration, toml_number, Fields, Result};
use crate::strategy::{Refusal, SendInfo};
use crate::time::Nanos;
use std::sync::Arc;

const SLOTS: usize = 10;

#[derive(Clone, Debug)]
pub struct RatioSpec {
    pub ratio: f64,
    pub min_per_sec: u64,
    pub ttl: Nanos,
}

pub(super) fn parse(f: &Fields<'_>) -> Result<Arc<dyn BudgetKind>> {
    let ttl = f.positive_duration("ttl", Nanos::from_secs(10))?;
    if ttl < Nanos::SECOND || ttl > Nanos::MINUTE {
        return Err(f.err("ttl", format!("must be from 1s to 60s, got {ttl}")));
    }
    Ok(Arc::new(RatioSpec {
        ratio: f.fraction("ratio", 0.2)?,
        min_per_sec: f.count("min_per_sec", 10, 0, 1_000_000)?,
        ttl,
    }))
}

impl BudgetKind for RatioSpec {
    fn build(&self) -> Box<dyn Budget> {
        let withdraw = (1.0 / self.ratio) as i64;
        Box::new(Ratio {
            reserve: self.min_per_sec as i64 * (self.ttl.0 / 1_000_000_000) as i64 * withdraw,
            withdraw,
            slot_len: self.ttl.0 / SLOTS as u64,
            slots: [0; SLOTS],
            slot: 0,
        })
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ratio", toml_number(self.ratio)),
            ("min_per_sec", self.min_per_sec.to_string()),
            ("ttl", toml_duration(self.ttl)),
        ]
    }
}

pub struct Ratio {
    /// Units always available.
    reserve: i64,
    /// Units a retry costs.
    withdraw: i64,
    /// Nanoseconds per slot.
    slot_len: u64,
    /// Units per slot; slot k lives at `slots[k % SLOTS]`.
    slots: [i64; SLOTS],
    /// The newest slot's number.
    slot: u64,
}

impl Ratio {
    /// Moves to the slot of `now`, clearing the ones that left the window,
    /// and returns its index.
    fn expire(&mut self, now: Nanos) -> usize {
        let s = now.0 / self.slot_len;
        for k in (self.slot + 1..=s).take(SLOTS) {
            self.slots[k as usize % SLOTS] = 0;
        }
        self.slot = self.slot.max(s);
        self.slot as usize % SLOTS
    }

    fn sum(&self) -> i64 {
        self.slots.iter().sum::<i64>() + self.reserve
    }
}

impl Budget for Ratio {
    fn on_send(
        &mut self,
        now: Nanos,
        info: &SendInfo,
        _rng: &mut Rng,
    ) -> std::result::Result<(), Refusal> {
        if info.sent == 0 {
            let i = self.expire(now);
            self.slots[i] += 1;
        }
        Ok(())
    }

    fn withdraw(&mut self, now: Nanos, _status: Status) -> bool {
        let i = self.expire(now);
        if self.sum() >= self.withdraw {
            self.slots[i] -= self.withdraw;
            true
        } else {
            false
        }
    }

    /// Retries the budget would pay for now.
    fn balance(&mut self, now: Nanos) -> f64 {
        self.expire(now);
        (self.sum() / self.withdraw) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::info;
    use super::*;

    #[test]
    fn twenty_percent_plus_the_reserve_then_expiry() {
        let mut b = RatioSpec {
            ratio: 0.2,
            min_per_sec: 1,
            ttl: Nanos::from_secs(10),
        }
        .build();
        let mut rng = crate::rng::stream(1, "b", crate::rng::Purpose::Strategy);
        let t = Nanos::ZERO;
        // Reserve: 1/s * 10 s = 10 retries. 50 requests buy 10 more.
        for _ in 0..50 {
            b.on_send(t, &info(0), &mut rng).unwrap();
        }
        b.on_send(t, &info(1), &mut rng).unwrap(); // a retry deposits nothing
        let granted = (0..100).filter(|_| b.withdraw(t, Status::TooMany)).count();
        assert_eq!(granted, 20);
        // After ttl the deposits and withdrawals have expired; the reserve is back.
        assert_eq!(b.balance(Nanos::from_secs(12)), 10.0);
    }
}
