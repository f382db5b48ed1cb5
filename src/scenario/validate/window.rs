//! `policy.window` with its `[policy.bucket]` and `[policy.gcra]` tables:
//! the window algorithm and its shape.

use super::{Result, Validator};
use crate::policy::{Bucket, Gcra, Refill, WindowAlgo, PPM};
use crate::scenario::raw::{RawBucket, RawGcra, RawPolicy};
use crate::time::Nanos;

/// The largest capacity or burst multiple accepted.
const MAX_MULTIPLE: f64 = 1_000.0;

impl Validator<'_> {
    pub(super) fn window(&self, raw: &RawPolicy) -> Result<WindowAlgo> {
        let name = match raw.window.as_deref() {
            None => "fixed",
            Some(w) => self.one_of(
                "policy.window",
                w,
                &["fixed", "sliding-log", "token-bucket", "gcra"],
            )?,
        };
        if raw.bucket.is_some() && name != "token-bucket" {
            return Err(self.err(
                "policy.bucket",
                format!("[policy.bucket] shapes a token bucket; set window = \"token-bucket\" (the window is {name:?}) or remove the table"),
            ));
        }
        if raw.gcra.is_some() && name != "gcra" {
            return Err(self.err(
                "policy.gcra",
                format!("[policy.gcra] sets GCRA's burst; set window = \"gcra\" (the window is {name:?}) or remove the table"),
            ));
        }
        Ok(match name {
            "fixed" => WindowAlgo::Fixed,
            "sliding-log" => WindowAlgo::SlidingLog,
            "token-bucket" => WindowAlgo::TokenBucket(match &raw.bucket {
                Some(b) => self.bucket(b)?,
                None => Bucket::default(),
            }),
            _ => WindowAlgo::Gcra(match &raw.gcra {
                Some(g) => self.gcra(g)?,
                None => Gcra::default(),
            }),
        })
    }

    fn bucket(&self, raw: &RawBucket) -> Result<Bucket> {
        let d = Bucket::default();
        let capacity_ppm = match raw.capacity {
            Some(x) => self.multiple("policy.bucket.capacity", x)?,
            None => d.capacity_ppm,
        };
        let initial_fill_ppm = match raw.initial_fill {
            Some(x) if x.is_finite() && (0.0..=1.0).contains(&x) => (x * PPM as f64).round() as u64,
            Some(x) => {
                return Err(self.err(
                    "policy.bucket.initial_fill",
                    format!("expected a share of the capacity from 0 to 1, got {x}"),
                ))
            }
            None => d.initial_fill_ppm,
        };
        let discrete = match raw.refill.as_deref() {
            None => false,
            Some(r) => {
                self.one_of("policy.bucket.refill", r, &["continuous", "discrete"])? == "discrete"
            }
        };
        let refill = if discrete {
            let Some(period) = &raw.period else {
                return Err(self.err(
                    "policy.bucket.refill",
                    "a discrete refill needs a period, e.g. period = \"1s\" (each tick adds the limit x period / window)",
                ));
            };
            let period = self.positive_duration("policy.bucket.period", period)?;
            let phase = match &raw.phase {
                Some(p) => self.duration("policy.bucket.phase", p)?,
                None => Nanos::ZERO,
            };
            if phase >= period {
                return Err(self.err(
                    "policy.bucket.phase",
                    format!("the phase must be shorter than the period ({period}), got {phase}"),
                ));
            }
            Refill::Discrete { period, phase }
        } else {
            for (field, value) in [("period", &raw.period), ("phase", &raw.phase)] {
                if value.is_some() {
                    return Err(self.err(
                        &format!("policy.bucket.{field}"),
                        format!("{field} applies only to refill = \"discrete\"; set it or remove {field}"),
                    ));
                }
            }
            Refill::Continuous
        };
        Ok(Bucket {
            capacity_ppm,
            initial_fill_ppm,
            refill,
        })
    }

    fn gcra(&self, raw: &RawGcra) -> Result<Gcra> {
        Ok(match raw.burst {
            Some(x) => Gcra {
                burst_ppm: self.multiple("policy.gcra.burst", x)?,
            },
            None => Gcra::default(),
        })
    }

    /// A positive multiple of the per-window limit, in millionths.
    fn multiple(&self, field: &str, x: f64) -> Result<u64> {
        if !x.is_finite() || x <= 0.0 || x > MAX_MULTIPLE {
            return Err(self.err(
                field,
                format!("expected a multiple of the per-window limit above 0 and at most {MAX_MULTIPLE}, got {x}"),
            ));
        }
        Ok(((x * PPM as f64).round() as u64).max(1))
    }
}
