//! A synthetic workload: the model mix, the arrival process and the token
//! sizes of a group.

use super::{Result, Validator};
use crate::policy::{ModelType, Policy};
use crate::scenario::raw::{RawArrival, RawGroup, RawSize, RawSizeDist};
use crate::scenario::{Arrival, Batch, BatchWork, Synthetic};
use crate::time::Nanos;
use crate::workload::{ArrivalSpec, SizeDist, ThinkTime};

impl Validator<'_> {
    fn model_id(&self, field: &str, id: &str, policy: &Policy) -> Result<u32> {
        policy
            .model_index(id)
            .map_err(|e| self.err(field, e.to_string()))
    }

    pub(super) fn synthetic(&self, i: usize, g: &RawGroup, policy: &Policy) -> Result<Synthetic> {
        let f = |name: &str| format!("groups[{i}].{name}");
        let models: Vec<(u32, f64)> = match (&g.model, &g.models) {
            (Some(_), Some(_)) => {
                return Err(self.err(
                    &f("models"),
                    "give either `model` or a weighted `models` mix, not both",
                ))
            }
            (None, None) => {
                return Err(self.err(
                    &f("name"),
                    "the group needs a `model` (or a weighted `models` mix, or a `trace`)",
                ))
            }
            (Some(m), None) => vec![(self.model_id(&f("model"), m, policy)?, 1.0)],
            (None, Some(mix)) => {
                if mix.is_empty() {
                    return Err(self.err(&f("models"), "the model mix is empty"));
                }
                let mut out = Vec::new();
                let mut sum = 0.0;
                for (id, w) in mix {
                    let field = format!("groups[{i}].models.{id}");
                    let m = self.model_id(&field, id, policy)?;
                    sum += self.finite(&field, *w, 0.0)?;
                    out.push((m, sum));
                }
                out.into_iter().map(|(m, c)| (m, c / sum)).collect()
            }
        };
        let uses_tokens = models
            .iter()
            .any(|(m, _)| policy.models[*m as usize].kind.uses_tokens());
        let text = models
            .iter()
            .any(|(m, _)| policy.models[*m as usize].kind == ModelType::Text);
        let input_tokens = match &g.input_tokens {
            Some(s) => self.size(&f("input_tokens"), s)?,
            None if uses_tokens => {
                return Err(self.err(
                    &f("name"),
                    "a group sending to a text or embedding model needs `input_tokens`",
                ))
            }
            None => SizeDist::Constant(0),
        };
        let output_tokens = match &g.output_tokens {
            Some(s) => self.size(&f("output_tokens"), s)?,
            None if text => {
                return Err(self.err(
                    &f("name"),
                    "a group sending to a text model needs `output_tokens`",
                ))
            }
            None => SizeDist::Constant(0),
        };
        let max_tokens = g
            .max_tokens
            .map(|m| self.count(&f("max_tokens"), m, 1, i64::from(u32::MAX)))
            .transpose()?
            .map(|m| m as u32);
        let arrival = match &g.arrival {
            Some(a) => self.arrival(&f("arrival"), a)?,
            None => return Err(self.err(&f("name"), "the group needs an `arrival` process, e.g. arrival = { process = \"poisson\", rate = \"60/min\" }")),
        };
        Ok(Synthetic {
            models,
            arrival,
            input_tokens,
            output_tokens,
            max_tokens,
        })
    }

    fn size(&self, field: &str, s: &RawSize) -> Result<SizeDist> {
        let tokens = |name: &str, v: i64| {
            self.count(&format!("{field}.{name}"), v, 0, i64::from(u32::MAX))
                .map(|v| v as u32)
        };
        Ok(match s {
            RawSize::Constant(v) => {
                SizeDist::Constant(self.count(field, *v, 0, i64::from(u32::MAX))? as u32)
            }
            RawSize::Dist(RawSizeDist::Constant { value }) => {
                SizeDist::Constant(tokens("value", *value)?)
            }
            RawSize::Dist(RawSizeDist::Uniform { min, max }) => {
                let (lo, hi) = (tokens("min", *min)?, tokens("max", *max)?);
                if hi < lo {
                    return Err(self.err(
                        &format!("{field}.max"),
                        format!("max ({hi}) is below min ({lo})"),
                    ));
                }
                SizeDist::Uniform { min: lo, max: hi }
            }
            RawSize::Dist(RawSizeDist::Lognormal { median, p95 }) => {
                let m = self.finite(&format!("{field}.median"), *median, 0.0)?;
                let p = self.finite(&format!("{field}.p95"), *p95, 0.0)?;
                if p < m {
                    return Err(self.err(
                        &format!("{field}.p95"),
                        format!("p95 ({p}) is below the median ({m})"),
                    ));
                }
                if p > 1e9 {
                    return Err(self.err(
                        &format!("{field}.p95"),
                        "more than a billion tokens; is that right?",
                    ));
                }
                SizeDist::lognormal(m, p).map_err(|e| self.err(&format!("{field}.p95"), e))?
            }
        })
    }

    pub(super) fn arrival(&self, field: &str, a: &RawArrival) -> Result<Arrival> {
        let f = |name: &str| format!("{field}.{name}");
        Ok(match a {
            RawArrival::Poisson { rate } => Arrival::Open(ArrivalSpec::Poisson {
                rate: self.rate(&f("rate"), rate)?,
            }),
            RawArrival::Constant { rate } => Arrival::Open(ArrivalSpec::Constant {
                rate: self.rate(&f("rate"), rate)?,
            }),
            RawArrival::Gamma { rate, burstiness } => {
                let b = self.finite(&f("burstiness"), *burstiness, 0.0)?;
                // The gaps are Gamma(shape b, scale 1 / (rate b)): outside
                // this range the sampler's shape or scale under- or
                // overflows (and a gap CV of 30+ is no longer a workload).
                if !(1e-3..=1e3).contains(&b) {
                    return Err(self.err(
                        &f("burstiness"),
                        format!("expected a burstiness between 0.001 and 1000 (gap CV 32 to 0.03), got {b}"),
                    ));
                }
                let rate = self.rate(&f("rate"), rate)?;
                let scale = 1.0 / (rate * b);
                if !(scale.is_finite() && scale > 0.0) {
                    return Err(self.err(
                        &f("burstiness"),
                        format!("rate {rate}/s with burstiness {b} gives a gap scale of {scale} s, which cannot be sampled"),
                    ));
                }
                Arrival::Open(ArrivalSpec::Gamma {
                    rate,
                    burstiness: b,
                })
            }
            RawArrival::OnOff { rate, on, off } => Arrival::Open(ArrivalSpec::OnOff {
                rate: self.rate(&f("rate"), rate)?,
                on: self.positive_duration(&f("on"), on)?,
                off: self.duration(&f("off"), off)?,
            }),
            RawArrival::Profile { points } => {
                if points.is_empty() {
                    return Err(self.err(&f("points"), "a rate profile needs at least one point, e.g. points = [{ at = \"0m\", rate = \"10/min\" }]"));
                }
                let mut out: Vec<(Nanos, f64)> = Vec::new();
                for (j, p) in points.iter().enumerate() {
                    let at = self.duration(&format!("{field}.points[{j}].at"), &p.at)?;
                    let rate = self.rate_or_zero(&format!("{field}.points[{j}].rate"), &p.rate)?;
                    if let Some((prev, _)) = out.last() {
                        if at <= *prev {
                            return Err(self.err(&format!("{field}.points[{j}].at"), format!("points must be in increasing time order; {at} does not come after {prev}")));
                        }
                    }
                    out.push((at, rate));
                }
                if out.iter().all(|(_, r)| *r == 0.0) {
                    return Err(self.err(
                        &f("points"),
                        "every point of the profile has rate 0: nothing would arrive",
                    ));
                }
                Arrival::Open(ArrivalSpec::Profile { points: out })
            }
            RawArrival::Closed {
                workers,
                think,
                think_dist,
            } => {
                let workers = self.count(&f("workers"), *workers, 1, 1_000_000)? as u32;
                let mean = match think {
                    Some(t) => self.duration(&f("think"), t)?,
                    None => Nanos::ZERO,
                };
                let think = match think_dist.as_deref() {
                    None | Some("constant") => ThinkTime::Constant(mean),
                    Some(other) => {
                        match self.one_of(&f("think_dist"), other, &["constant", "exponential"])? {
                            "exponential" => ThinkTime::Exponential { mean },
                            _ => ThinkTime::Constant(mean),
                        }
                    }
                };
                Arrival::Closed { workers, think }
            }
            RawArrival::Batch {
                clients,
                per_client,
                total,
                start,
                stagger,
                spacing,
            } => {
                let clients = self.count(&f("clients"), *clients, 1, 1_000_000)? as u32;
                let work = match (per_client, total) {
                    (Some(n), None) => {
                        BatchWork::PerClient(self.count(&f("per_client"), *n, 1, 1_000_000_000)?)
                    }
                    (None, Some(n)) => {
                        BatchWork::Shared(self.count(&f("total"), *n, 1, 1_000_000_000_000)?)
                    }
                    (Some(_), Some(_)) => return Err(self.err(
                        &f("total"),
                        "give either `per_client` (each client's own list) or `total` (one batch shared out), not both",
                    )),
                    (None, None) => return Err(self.err(
                        &f("clients"),
                        "a batch needs `per_client` (requests in each client's own list) or `total` (one batch shared out among the clients)",
                    )),
                };
                let opt = |name: &str, v: &Option<String>| match v {
                    Some(t) => self.duration(&f(name), t),
                    None => Ok(Nanos::ZERO),
                };
                let spacing = opt("spacing", spacing)?;
                if matches!(work, BatchWork::Shared(_)) && spacing > Nanos::ZERO {
                    return Err(self.err(
                        &f("spacing"),
                        "a shared batch is queued at once at `start`; `spacing` spaces a client's own list (`per_client`)",
                    ));
                }
                Arrival::Batch(Batch {
                    clients,
                    work,
                    start: opt("start", start)?,
                    stagger: opt("stagger", stagger)?,
                    spacing,
                })
            }
        })
    }
}
