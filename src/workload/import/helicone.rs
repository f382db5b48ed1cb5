//! Helicone request exports, CSV or JSON.
//!
//! Helicone's export tool writes the same request objects as CSV, as a JSON
//! list or as JSON Lines, and its query API answers `{"data": [...]}`; the
//! first significant byte tells them apart (`[` or `{` is JSON, anything else
//! CSV). The fields ratesim reads:
//!
//! | field | use |
//! |---|---|
//! | `request_created_at` | arrival (Helicone writes `2026-04-20 12:00:00.250` or with a `Z`; no zone = UTC) |
//! | `model` (else `request_model`, else `response_model`) | model id |
//! | `prompt_tokens`, `completion_tokens` | input and output tokens (blank or null = 0) |
//! | `status` (else `response_status`) | an HTTP code outside 2xx, or a word other than `success`, is a failure in the source |
//! | `request_user_id` (else `user_id`) | key name; Helicone records the end user, not the provider key |

use std::collections::VecDeque;
use std::io::BufRead;

use serde::Deserialize;

use super::csv_source::{self, optional, required, CsvSpec, TimeKind};
use super::fields::{self, Scalar};
use super::json::{invalid, record_path, JsonFormat, JsonSource, RawRecord};
use super::{RecordBuf, RecordError, RecordSource};

static CSV_SPEC: CsvSpec = CsvSpec {
    what: "a Helicone export",
    time: required(&["request_created_at"]),
    time_kind: TimeKind::Timestamp,
    key: optional(&["request_user_id", "user_id"]),
    model: required(&["model", "request_model", "response_model"]),
    input_tokens: required(&["prompt_tokens"]),
    output_tokens: required(&["completion_tokens"]),
    max_tokens: optional(&[]),
    status: optional(&["status", "response_status"]),
    strict: false,
};

pub(super) fn open<'a, R: BufRead + 'a>(
    mut reader: R,
) -> Result<Box<dyn RecordSource + 'a>, RecordError> {
    let first = reader
        .fill_buf()
        .map_err(|e| RecordError::fatal(0, format!("cannot read the trace: {e}")))?;
    let first = first.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(first);
    let is_json = matches!(
        first.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'[' | b'{')
    );
    if is_json {
        Ok(Box::new(JsonSource::new(reader, HeliconeJson)))
    } else {
        Ok(Box::new(csv_source::open(reader, &CSV_SPEC)?))
    }
}

/// One request, or a query-API answer holding requests in `data`.
#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    request_created_at: Option<Scalar<'a>>,
    #[serde(borrow)]
    model: Option<Scalar<'a>>,
    #[serde(borrow)]
    request_model: Option<Scalar<'a>>,
    #[serde(borrow)]
    response_model: Option<Scalar<'a>>,
    #[serde(borrow)]
    prompt_tokens: Option<Scalar<'a>>,
    #[serde(borrow)]
    completion_tokens: Option<Scalar<'a>>,
    #[serde(borrow)]
    status: Option<Scalar<'a>>,
    #[serde(borrow)]
    response_status: Option<Scalar<'a>>,
    #[serde(borrow)]
    request_user_id: Option<Scalar<'a>>,
    #[serde(borrow)]
    user_id: Option<Scalar<'a>>,
    #[serde(borrow)]
    data: Option<Vec<Request<'a>>>,
}

struct HeliconeJson;

impl JsonFormat for HeliconeJson {
    fn parse(&mut self, raw: &RawRecord<'_>, out: &mut VecDeque<Result<RecordBuf, RecordError>>) {
        match serde_json::from_slice::<Request<'_>>(raw.bytes) {
            Ok(request) => {
                let path = record_path(raw);
                match &request.data {
                    Some(page) => {
                        for (i, request) in page.iter().enumerate() {
                            out.push_back(record(request, raw.line, format!("{path}data[{i}].")));
                        }
                    }
                    None => out.push_back(record(&request, raw.line, path)),
                }
            }
            Err(e) => out.push_back(Err(invalid(raw, &e))),
        }
    }
}

fn record(r: &Request<'_>, line: u64, path: String) -> Result<RecordBuf, RecordError> {
    let at = |field: &str, message: String| {
        RecordError::field(line, None, format!("{path}{field}"), message)
    };
    let time =
        fields::time(r.request_created_at.as_ref()).map_err(|m| at("request_created_at", m))?;
    let (mut model, mut model_field) = ("", "model");
    for (value, field) in [
        (&r.model, "model"),
        (&r.request_model, "request_model"),
        (&r.response_model, "response_model"),
    ] {
        model = fields::name(value.as_ref()).map_err(|m| at(field, m))?;
        if !model.is_empty() {
            model_field = field;
            break;
        }
    }
    let mut key = fields::name(r.request_user_id.as_ref()).map_err(|m| at("request_user_id", m))?;
    if key.is_empty() {
        key = fields::name(r.user_id.as_ref()).map_err(|m| at("user_id", m))?;
    }
    let status = r.status.as_ref().or(r.response_status.as_ref());
    Ok(RecordBuf {
        time,
        key: key.to_string(),
        model: model.to_string(),
        input_tokens: fields::tokens(r.prompt_tokens.as_ref())
            .map_err(|m| at("prompt_tokens", m))?,
        output_tokens: fields::tokens(r.completion_tokens.as_ref())
            .map_err(|m| at("completion_tokens", m))?,
        max_tokens: None,
        failed: fields::failed_status(status),
        line,
        time_at: (None, "request_created_at"),
        model_at: (None, model_field),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::read;
    use super::super::{Format, ImportOptions, DEFAULT_KEY};
    use crate::time::Nanos;

    #[test]
    fn csv_and_json_exports_read_the_same_rows() {
        let csv = "request_id,request_created_at,request_user_id,model,request_model,prompt_tokens,completion_tokens,response_status,costUSD\n\
            a,2026-04-20 12:00:00.000,alice,llama-3.3-70b,llama-3.3-70b,1200,300,200,0.001\n\
            b,2026-04-20 12:00:02.500,,,zai-org-glm-5,,,429,0\n";
        let json = r#"[
          {"request_id":"a","request_created_at":"2026-04-20T12:00:00.000Z","request_user_id":"alice","model":"llama-3.3-70b","prompt_tokens":1200,"completion_tokens":300,"response_status":200,"request_body":{"messages":[]}},
          {"request_id":"b","request_created_at":"2026-04-20T12:00:02.500Z","request_user_id":null,"model":null,"request_model":"zai-org-glm-5","prompt_tokens":null,"completion_tokens":null,"response_status":429}
        ]"#;
        let page = format!("{{\"data\": {json}, \"error\": null}}");
        let mut results = Vec::new();
        for text in [csv, json, page.as_str()] {
            let (rows, keys, report) = read(Format::Helicone, text, ImportOptions::default());
            let rows = rows.unwrap();
            assert_eq!(keys, ["alice", DEFAULT_KEY]);
            assert_eq!(report.failed_in_source, 1);
            assert_eq!(rows[1].at, Nanos::from_millis(2500));
            assert_eq!((rows[1].model, rows[1].input_tokens), (1, 0));
            results.push(rows);
        }
        assert_eq!(results[0], results[1]);
        assert_eq!(results[1], results[2]);
    }

    #[test]
    fn errors_are_located() {
        let (rows, _, _) = read(
            Format::Helicone,
            "{\"request_created_at\":\"2026-04-20T12:00:00Z\",\"model\":\"llama-3.3-70b\",\"completion_tokens\":-4}\n",
            ImportOptions::default(),
        );
        assert_eq!(
            rows.unwrap_err(),
            "in:1: field `completion_tokens`: expected a whole number of tokens, found -4"
        );
        let (rows, _, _) = read(
            Format::Helicone,
            "created_at,model,prompt_tokens,completion_tokens\n",
            ImportOptions::default(),
        );
        assert!(rows
            .unwrap_err()
            .starts_with("in:1: missing required column `request_created_at`"));
    }
}
