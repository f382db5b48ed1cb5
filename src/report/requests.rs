//! requests.csv: one row per request, streamed as requests end.
//!
//! The last answer's six `x-ratelimit-*` headers get a column each, named
//! after the header (`x-ratelimit-remaining-requests` is
//! `x_ratelimit_remaining_requests`), so a row shows what the client saw
//! when it decided; a cell is empty when there was no answer or the server
//! did not send that header.

use crate::outcome::{RequestRecord, RequestSink};
use crate::response::{Headers, Status};
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
    "x_ratelimit_limit_requests",
    "x_ratelimit_remaining_requests",
    "x_ratelimit_reset_requests",
    "x_ratelimit_limit_tokens",
    "x_ratelimit_remaining_tokens",
    "x_ratelimit_reset_tokens",
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
    fn logs_limit_hits(&self) -> bool {
        false
    }

    fn record(&mut self, r: &RequestRecord) {
        if self.error.is_some() {
            return;
        }
        let sc = self.scenario;
        let opt = |v: Option<u64>| v.map_or(String::new(), |x| x.to_string());
        let last = r.last;
        let header = |f: fn(&Headers) -> Option<u64>| opt(last.and_then(|l| f(&l.headers)));
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
            last.map_or(String::new(), |l| match l.status {
                Status::Timeout => "timeout".to_string(),
                s => s.code().to_string(),
            }),
            last.and_then(|l| l.cause)
                .map_or(String::new(), |c| c.label().to_string()),
            header(|h| h.limit_requests),
            header(|h| h.remaining_requests),
            header(|h| h.reset_requests),
            header(|h| h.limit_tokens),
            header(|h| h.remaining_tokens),
            header(|h| h.reset_tokens),
        ]);
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    fn key_added(&mut self, name: &str) {
        self.keys.push(name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{self, Variant};
    use std::path::Path;

    /// 60 requests a minute against 10 RPM without retries (and no abuse
    /// lockout): most requests end on an RPM 429, and their rows show what
    /// the client saw then.
    #[test]
    fn a_429_row_shows_the_headers_the_client_saw() {
        let sc = crate::scenario::parse(
            r#"
name = "headers"
seed = 3
duration = "2m"
start = 2026-04-20T12:00:00Z
[policy.lockout]
enabled = false
[[policy.models]]
id = "m"
type = "text"
rpm = 10
[[groups]]
name = "g"
model = "m"
arrival = { process = "constant", rate = "60/min" }
input_tokens = 100
output_tokens = 100
strategy = { kind = "none" }
"#,
            Path::new("headers.toml"),
        )
        .unwrap();
        let mut sink = RequestCsv::new(Vec::new(), &sc);
        experiment::simulate(&Variant::of(&sc), sc.seed, &mut sink).unwrap();
        let bytes = sink.finish().unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let head = reader.headers().unwrap().clone();
        let col = |name: &str| head.iter().position(|h| h == name).unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let refused: Vec<&csv::StringRecord> = rows
            .iter()
            .filter(|r| &r[col("last_status")] == "429")
            .collect();
        assert!(
            refused.len() > 90,
            "{} of {} refused",
            refused.len(),
            rows.len()
        );
        // 12:00:00Z is Unix 1776686400; the windows of a 2-minute run
        // reset at the next minutes.
        let (start, end) = (1_776_686_400u64, 1_776_686_400u64 + 180);
        for r in refused {
            assert_eq!(&r[col("last_cause")], "rpm");
            assert_eq!(&r[col("x_ratelimit_limit_requests")], "10");
            assert_eq!(&r[col("x_ratelimit_remaining_requests")], "0");
            let reset: u64 = r[col("x_ratelimit_reset_requests")].parse().unwrap();
            assert!((start..=end).contains(&reset), "reset {reset}");
            // The model has no token limit, so no token headers.
            for h in [
                "x_ratelimit_limit_tokens",
                "x_ratelimit_remaining_tokens",
                "x_ratelimit_reset_tokens",
            ] {
                assert_eq!(&r[col(h)], "", "{h}");
            }
        }
        let admitted = rows
            .iter()
            .find(|r| &r[col("last_status")] == "200")
            .expect("some requests pass");
        let left: u64 = admitted[col("x_ratelimit_remaining_requests")]
            .parse()
            .unwrap();
        assert!(left < 10);
    }
}
