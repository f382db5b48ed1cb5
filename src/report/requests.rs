//! requests.csv: one row per request, streamed as requests end.

use crate::outcome::{RequestRecord, RequestSink};
use crate::scenario::Scenario;
use std::io::Write;

pub const REQUEST_COLUMNS: &[&str] = &[
    "id",
    "group",
    "key",
    "model",
    "arrival_s",
    "end_s",
    "input_tokens",
    "output_tokens",
    "attempts",
    "rejected_429",
    "outcome",
    "last_status",
    "last_cause",
    "remaining_requests",
    "remaining_tokens",
];

/// Writes each finished request as a CSV row to `out`. Keys are named like
/// everywhere else: the scenario's, then those traces bring, which the engine
/// announces ([`RequestSink::key_added`]) before any request uses them.
pub struct RequestCsv<'a, W: Write> {
    writer: csv::Writer<W>,
    scenario: &'a Scenario,
    /// Key names in KeyId order.
    keys: Vec<String>,
    error: Option<csv::Error>,
}

impl<'a, W: Write> RequestCsv<'a, W> {
    pub fn new(out: W, scenario: &'a Scenario) -> Self {
        let mut writer = csv::Writer::from_writer(out);
        let error = writer.write_record(REQUEST_COLUMNS).err();
        RequestCsv {
            writer,
            scenario,
            keys: scenario.keys.clone(),
            error,
        }
    }

    /// Flushes and reports the first write error, if any.
    pub fn finish(mut self) -> Result<W, csv::Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.writer.flush()?;
        self.writer
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

impl<W: Write> RequestSink for RequestCsv<'_, W> {
    fn record(&mut self, r: &RequestRecord) {
        if self.error.is_some() {
            return;
        }
        let sc = self.scenario;
        let opt = |v: Option<u64>| v.map_or(String::new(), |x| x.to_string());
        let last = r.last;
        let result = self.writer.write_record([
            r.id.to_string(),
            sc.groups[r.group as usize].name.clone(),
            self.keys[r.key as usize].clone(),
            sc.policy.models[r.model as usize].id.clone(),
            format!("{:.6}", r.arrival.as_secs_f64()),
            format!("{:.6}", r.end.as_secs_f64()),
            r.input_tokens.to_string(),
            r.output_tokens.to_string(),
            r.attempts.to_string(),
            r.rejected_429.to_string(),
            r.fate.label().to_string(),
            last.map_or(String::new(), |l| l.status.code().to_string()),
            last.and_then(|l| l.cause)
                .map_or(String::new(), |c| c.label().to_string()),
            opt(last.and_then(|l| l.headers.remaining_requests)),
            opt(last.and_then(|l| l.headers.remaining_tokens)),
        ]);
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    fn key_added(&mut self, name: &str) {
        self.keys.push(name.to_string());
    }
}
