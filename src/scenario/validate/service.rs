//! The `[service]` table: error rates, overload and outages.

use super::{Result, Validator};
use crate::response::Status;
use crate::scenario::raw::RawService;
use crate::service::{Outage, ServiceConfig};
use crate::time::Nanos;

impl Validator<'_> {
    pub(super) fn service(&self, raw: &RawService, horizon: Nanos) -> Result<ServiceConfig> {
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
        Ok(ServiceConfig {
            error_latency: match &raw.error_latency {
                Some(t) => self.duration("service.error_latency", t)?,
                None => d.error_latency,
            },
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
