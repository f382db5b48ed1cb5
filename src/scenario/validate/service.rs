//! The `[service]` table: error rates, overload and outages, answer times
//! and network legs, servers that slow down under load, the concurrency
//! limit.

use super::{Result, Validator};
use crate::policy::Policy;
use crate::response::Status;
use crate::scenario::raw::{RawDelay, RawDelayDist, RawService};
use crate::service::{Concurrency, Delay, LoadModel, Outage, ServiceConfig};
use crate::time::Nanos;

/// No answer or network leg is drawn longer than a day: a longer one is a
/// typo, and would keep requests in flight past any run.
const MAX_DELAY: Nanos = Nanos::from_secs(86_400);

impl Validator<'_> {
    fn delay(&self, field: &str, raw: &RawDelay) -> Result<Delay> {
        let d = |name: &str, text: &str| {
            let f = format!("{field}.{name}");
            let v = self.duration(&f, text)?;
            if v > MAX_DELAY {
                return Err(self.err(&f, format!("{v} is longer than a day; is that right?")));
            }
            Ok(v)
        };
        Ok(match raw {
            RawDelay::Constant(t) => {
                let v = self.duration(field, t)?;
                if v > MAX_DELAY {
                    return Err(
                        self.err(field, format!("{v} is longer than a day; is that right?"))
                    );
                }
                Delay::Constant(v)
            }
            RawDelay::Dist(RawDelayDist::Constant { value }) => Delay::Constant(d("value", value)?),
            RawDelay::Dist(RawDelayDist::Uniform { min, max }) => {
                let (lo, hi) = (d("min", min)?, d("max", max)?);
                if hi < lo {
                    return Err(self.err(
                        &format!("{field}.max"),
                        format!("max ({hi}) is below min ({lo})"),
                    ));
                }
                Delay::Uniform { min: lo, max: hi }
            }
            RawDelay::Dist(RawDelayDist::Lognormal { median, p95 }) => {
                let (m, p) = (d("median", median)?, d("p95", p95)?);
                if m == Nanos::ZERO {
                    return Err(self.err(
                        &format!("{field}.median"),
                        "a lognormal's median must be above 0",
                    ));
                }
                if p < m {
                    return Err(self.err(
                        &format!("{field}.p95"),
                        format!("p95 ({p}) is below the median ({m})"),
                    ));
                }
                Delay::lognormal(m, p)
            }
            RawDelay::Dist(RawDelayDist::Normal { mean, sd }) => Delay::Normal {
                mean: d("mean", mean)?.as_secs_f64(),
                sd: d("sd", sd)?.as_secs_f64(),
            },
        })
    }

    pub(super) fn service(
        &self,
        raw: &RawService,
        horizon: Nanos,
        policy: &Policy,
    ) -> Result<ServiceConfig> {
        let d = ServiceConfig::default();
        let error_500 = self.probability("service.error_500", raw.error_500)?;
        let error_503 = self.probability("service.error_503", raw.error_503)?;
        let overload = self.probability("service.overload", raw.overload)?;
        if error_500 + error_503 + overload > 1.0 {
            return Err(self.err(
                "service",
                "error_500 + error_503 + overload add up to more than 1",
            ));
        }
        let mut outages = Vec::new();
        for (i, o) in raw.outages.iter().enumerate() {
            let f = |name: &str| format!("service.outages[{i}].{name}");
            let start = self.duration(&f("start"), &o.start)?;
            let end = self.duration(&f("end"), &o.end)?;
            if end <= start {
                return Err(self.err(
                    &f("end"),
                    format!("the outage ends ({end}) before it starts ({start})"),
                ));
            }
            if start >= horizon {
                return Err(self.err(
                    &f("start"),
                    format!("the outage starts at {start}, after the run ends ({horizon})"),
                ));
            }
            let status = match o.status.unwrap_or(503) {
                500 => Status::Internal,
                503 => Status::Unavailable,
                other => {
                    return Err(self.err(
                        &f("status"),
                        format!("an outage answers 500 or 503, not {other}"),
                    ))
                }
            };
            outages.push(Outage { start, end, status });
        }
        outages.sort_by_key(|o| o.start);
        if let Some(w) = outages.windows(2).find(|w| w[1].start < w[0].end) {
            return Err(self.err(
                "service.outages",
                format!(
                    "outages overlap: one runs to {} and the next starts at {}",
                    w[0].end, w[1].start
                ),
            ));
        }
        let error_latency = match &raw.error_latency {
            Some(t) => Some(self.delay("service.error_latency", t)?),
            None => None,
        };
        let answer = |name: &str, v: &Option<RawDelay>, default: Delay| match v {
            Some(t) => self.delay(&format!("service.{name}"), t),
            None => Ok(error_latency.unwrap_or(default)),
        };
        let latency_429 = answer("latency_429", &raw.latency_429, d.latency_429)?;
        let latency_5xx = answer("latency_5xx", &raw.latency_5xx, d.latency_5xx)?;
        let leg = |name: &str, v: Option<&RawDelay>| match v {
            Some(t) => self.delay(&format!("service.network.{name}"), t),
            None => Ok(Delay::ZERO),
        };
        let net = raw.network.as_ref();
        let to_server = leg("to_server", net.and_then(|n| n.to_server.as_ref()))?;
        let to_client = leg("to_client", net.and_then(|n| n.to_client.as_ref()))?;
        let mut load = Vec::new();
        for (i, l) in raw.load.iter().enumerate() {
            let f = |name: &str| format!("service.load[{i}].{name}");
            let model = policy
                .model_index(&l.model)
                .map_err(|e| self.err(&f("model"), e.to_string()))?;
            if load.iter().any(|(m, _)| *m == model) {
                return Err(self.err(
                    &f("model"),
                    format!("model {:?} has a load model already", l.model),
                ));
            }
            let kind = match (l.slots, &l.per_request) {
                (Some(n), None) => LoadModel::Slots(self.count(&f("slots"), n, 1, 1_000_000)? as u32),
                (None, Some(t)) => LoadModel::PerRequest(self.duration(&f("per_request"), t)?),
                (Some(_), Some(_)) => {
                    return Err(self.err(&f("per_request"), "give either `slots` (a server with that many slots and a queue) or `per_request` (time added per request in flight), not both"))
                }
                (None, None) => {
                    return Err(self.err(&f("model"), "a load model needs `slots` (requests served at once, the rest queue) or `per_request` (time added per request in flight)"))
                }
            };
            load.push((model, kind));
        }
        let concurrency = match &raw.concurrency {
            None => None,
            Some(c) => Some(Concurrency {
                limit: self.count("service.concurrency.limit", c.limit, 1, 1_000_000)? as u32,
                per_model: match c.per.as_deref() {
                    None => false,
                    Some(p) => {
                        self.one_of("service.concurrency.per", p, &["key", "key-model"])?
                            == "key-model"
                    }
                },
            }),
        };
        Ok(ServiceConfig {
            latency_429,
            latency_5xx,
            to_server,
            to_client,
            load,
            concurrency,
            error_500,
            error_503,
            overload,
            overload_retry_after: match &raw.overload_retry_after {
                Some(t) => self.duration("service.overload_retry_after", t)?,
                None => d.overload_retry_after,
            },
            outages,
        })
    }
}
