//! LiteLLM spend logs, as CSV or JSON.
//!
//! LiteLLM's proxy writes one `LiteLLM_SpendLogs` row per request it handled,
//! failures included (they carry `status = "failure"` and usually zero
//! tokens). The fields ratesim reads:
//!
//! | field | use |
//! |---|---|
//! | `startTime` | arrival; LiteLLM stores UTC without a zone, which is read as UTC |
//! | `model` (else `model_group`) | model id |
//! | `prompt_tokens`, `completion_tokens` | input and output tokens (blank or null = 0) |
//! | `status` | anything but `success` (or blank) counts as failed in the source |
//! | `api_key` (else `user`) | key name; `api_key` is the hashed proxy key |
//!
//! The CSV is a table export of those columns (other columns are ignored).
//! The JSON may be the list `/spend/logs` returns, pages of `/spend/logs/v2`
//! (`{"data": [...], ...}`, one page in memory at a time), or one row per line.

use std::collections::VecDeque;
use std::io::BufRead;

use serde::Deserialize;

use super::csv_source::{self, optional, required, CsvSpec, TimeKind};
use super::fields::{self, Scalar};
use super::json::{invalid, record_path, JsonFormat, JsonSource, RawRecord};
use super::{RecordBuf, RecordError, RecordSource};

static CSV_SPEC: CsvSpec = CsvSpec {
    what: "a LiteLLM spend log",
    time: required(&["startTime"]),
    time_kind: TimeKind::Timestamp,
    key: optional(&["api_key", "user"]),
    model: required(&["model", "model_group"]),
    input_tokens: required(&["prompt_tokens"]),
    output_tokens: required(&["completion_tokens"]),
    max_tokens: optional(&[]),
    status: optional(&["status"]),
    strict: false,
};

pub(super) fn open_csv<'a, R: BufRead + 'a>(
    reader: R,
) -> Result<Box<dyn RecordSource + 'a>, RecordError> {
    Ok(Box::new(csv_source::open(reader, &CSV_SPEC)?))
}

pub(super) fn open_json<'a, R: BufRead + 'a>(reader: R) -> Box<dyn RecordSource + 'a> {
    Box::new(JsonSource::new(reader, LitellmJson))
}

/// One spend-log row, or a `/spend/logs/v2` page holding rows in `data`.
#[derive(Deserialize)]
struct Row<'a> {
    #[serde(rename = "startTime", borrow)]
    start_time: Option<Scalar<'a>>,
    #[serde(borrow)]
    model: Option<Scalar<'a>>,
    #[serde(borrow)]
    model_group: Option<Scalar<'a>>,
    #[serde(borrow)]
    prompt_tokens: Option<Scalar<'a>>,
    #[serde(borrow)]
    completion_tokens: Option<Scalar<'a>>,
    #[serde(borrow)]
    status: Option<Scalar<'a>>,
    #[serde(borrow)]
    api_key: Option<Scalar<'a>>,
    #[serde(borrow)]
    user: Option<Scalar<'a>>,
    #[serde(borrow)]
    data: Option<Vec<Row<'a>>>,
}

struct LitellmJson;

impl JsonFormat for LitellmJson {
    fn parse(&mut self, raw: &RawRecord<'_>, out: &mut VecDeque<Result<RecordBuf, RecordError>>) {
        match serde_json::from_slice::<Row<'_>>(raw.bytes) {
            Ok(row) => {
                let path = record_path(raw);
                match &row.data {
                    Some(page) => {
                        for (i, row) in page.iter().enumerate() {
                            out.push_back(record(row, raw.line, format!("{path}data[{i}].")));
                        }
                    }
                    None => out.push_back(record(&row, raw.line, path)),
                }
            }
            Err(e) => out.push_back(Err(invalid(raw, &e))),
        }
    }
}

fn record(row: &Row<'_>, line: u64, path: String) -> Result<RecordBuf, RecordError> {
    let at = |field: &str, message: String| {
        RecordError::field(line, None, format!("{path}{field}"), message)
    };
    let time = fields::time(row.start_time.as_ref()).map_err(|m| at("startTime", m))?;
    let mut model = fields::name(row.model.as_ref()).map_err(|m| at("model", m))?;
    let mut model_field = "model";
    if model.is_empty() {
        model = fields::name(row.model_group.as_ref()).map_err(|m| at("model_group", m))?;
        if !model.is_empty() {
            model_field = "model_group";
        }
    }
    let mut key = fields::name(row.api_key.as_ref()).map_err(|m| at("api_key", m))?;
    if key.is_empty() {
        key = fields::name(row.user.as_ref()).map_err(|m| at("user", m))?;
    }
    Ok(RecordBuf {
        time,
        key: key.to_string(),
        model: model.to_string(),
        input_tokens: fields::tokens(row.prompt_tokens.as_ref())
            .map_err(|m| at("prompt_tokens", m))?,
        output_tokens: fields::tokens(row.completion_tokens.as_ref())
            .map_err(|m| at("completion_tokens", m))?,
        max_tokens: None,
        failed: fields::failed_status(row.status.as_ref()),
        line,
        time_at: (None, "startTime"),
        model_at: (None, model_field),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::read;
    use super::super::{Format, ImportOptions, DEFAULT_KEY};
    use crate::time::Nanos;
    use crate::workload::TraceRow;

    fn row(at_ms: u64, key: u32, model: u32, input: u32, output: u32) -> TraceRow {
        TraceRow {
            at: Nanos::from_millis(at_ms),
            key,
            model,
            input_tokens: input,
            output_tokens: output,
            max_tokens: None,
        }
    }

    #[test]
    fn csv_export_with_postgres_times_and_failures() {
        let text = "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,model,model_group,user,status\n\
            r1,acompletion,88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b,0.001,1500,1200,300,2026-04-20 12:00:00.250,2026-04-20 12:00:04.100,llama-3.3-70b,llama-3.3-70b,alice,success\n\
            r2,acompletion,,0,0,0,0,2026-04-20 12:00:01.000,2026-04-20 12:00:01.020,,zai-org-glm-5,bob,failure\n\
            r3,acompletion,,0.002,900,800,100,2026-04-20 12:00:01.000,2026-04-20 12:00:02.000,zai-org-glm-5,,,\n";
        let (rows, keys, report) = read(Format::LitellmCsv, text, ImportOptions::default());
        assert_eq!(
            rows.unwrap(),
            [
                row(0, 0, 0, 1200, 300),
                row(750, 1, 1, 0, 0),
                row(750, 2, 1, 800, 100)
            ]
        );
        assert_eq!(
            keys,
            [
                "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
                "bob",
                DEFAULT_KEY
            ]
        );
        assert_eq!((report.rows, report.failed_in_source), (3, 1));
    }

    #[test]
    fn csv_errors_name_line_column_and_field() {
        let header = "startTime,model,prompt_tokens,completion_tokens\n";
        for (row, expected) in [
            (
                "yesterday,llama-3.3-70b,1,1",
                "in:2:1: field `startTime`: expected an ISO 8601 date-time (2026-04-20T12:34:56Z) \
                 or an epoch number, found \"yesterday\"",
            ),
            (
                "1776686400,llama-3.3-70b,many,1",
                "in:2:3: field `prompt_tokens`: expected a whole number of tokens, found \"many\"",
            ),
            (
                "1776686400,,1,1",
                "in:2:2: field `model`: the model is empty; every request needs a model id",
            ),
        ] {
            let (rows, _, _) = read(
                Format::LitellmCsv,
                &format!("{header}{row}\n"),
                ImportOptions::default(),
            );
            assert_eq!(rows.unwrap_err(), expected);
        }
        let (rows, _, _) = read(
            Format::LitellmCsv,
            "start_time,model,prompt_tokens,completion_tokens\n",
            ImportOptions::default(),
        );
        assert_eq!(
            rows.unwrap_err(),
            "in:1: missing required column `startTime` (did you mean start_time?); a LiteLLM \
             spend log needs the columns startTime, model, prompt_tokens, completion_tokens"
        );
    }

    #[test]
    fn json_list_page_and_lines_read_the_same_rows() {
        let a = r#"{"request_id":"r1","startTime":"2026-04-20T12:00:00.250000Z","model":"llama-3.3-70b","prompt_tokens":1200,"completion_tokens":300,"status":"success","api_key":"k1","metadata":{"x":[1,2]}}"#;
        let b = r#"{"request_id":"r2","startTime":"2026-04-20T12:00:01","model":"","model_group":"zai-org-glm-5","prompt_tokens":null,"completion_tokens":null,"status":"failure","user":"bob"}"#;
        let expected = vec![row(0, 0, 0, 1200, 300), row(750, 1, 1, 0, 0)];
        for text in [
            format!("[\n  {a},\n  {b}\n]\n"),
            format!("{{\"data\": [{a}, {b}], \"total\": 2, \"page\": 1}}"),
            format!("{a}\n{b}\n"),
        ] {
            let (rows, keys, report) = read(Format::LitellmJson, &text, ImportOptions::default());
            assert_eq!(rows.unwrap(), expected, "{text}");
            assert_eq!(keys, ["k1", "bob"]);
            assert_eq!(report.failed_in_source, 1);
        }
    }

    #[test]
    fn json_errors_name_the_record_path() {
        let cases = [
            (
                "[{\"startTime\":1776686400,\"model\":\"llama-3.3-70b\"},\n {\"startTime\":1776686401,\"model\":\"llama-3.3-70b\",\"prompt_tokens\":\"x\"}]",
                "in:2: field `[1].prompt_tokens`: expected a whole number of tokens, found \"x\"",
            ),
            (
                "{\"data\":[{\"startTime\":true}]}",
                "in:1: field `data[0].startTime`: expected a date-time or an epoch number, found true",
            ),
            (
                "{\"startTime\":1776686400,\"model\":\"llama-3.3-7b\"}",
                "in:1: field `model`: unknown model \"llama-3.3-7b\" (did you mean llama-3.3-70b?)",
            ),
            ("[1]", "in:1: field `[0]`: invalid JSON: invalid type: integer `1`, expected struct Row"),
            (
                "{\"startTime\": 1, \"model\": \"llama-3.3-70b\"}\n{\"startTime\": }\n",
                "in:2: invalid JSON: expected value",
            ),
        ];
        for (text, expected) in cases {
            let (rows, _, _) = read(Format::LitellmJson, text, ImportOptions::default());
            assert_eq!(rows.unwrap_err(), expected);
        }
    }
}
