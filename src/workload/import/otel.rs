//! OpenTelemetry GenAI spans in OTLP JSON.
//!
//! An OTLP JSON file holds export requests
//! (`{"resourceSpans": [{"resource": ..., "scopeSpans": [{"spans": [...]}]}]}`),
//! one per line as the collector's file exporter writes them, or a single one.
//! Each export request is read whole (it is one batch, bounded by the
//! exporter's batch size). Its spans are grouped by service and
//! instrumentation scope rather than by time, so they are put in start order
//! as the request is read; the requests themselves must follow each other in
//! time (or be sorted with the sort option).
//!
//! A span is a request when it has the attribute `gen_ai.request.model`;
//! other spans (HTTP, tools, application spans) are passed over and counted.
//! From a request span ratesim reads:
//!
//! | field | use |
//! |---|---|
//! | `startTimeUnixNano` | arrival, integer nanoseconds since 1970 (string or number) |
//! | `gen_ai.request.model` | model id |
//! | `gen_ai.usage.input_tokens` (else the older `gen_ai.usage.prompt_tokens`) | input tokens (absent = 0) |
//! | `gen_ai.usage.output_tokens` (else `gen_ai.usage.completion_tokens`) | output tokens (absent = 0) |
//! | `gen_ai.request.max_tokens` | `max_tokens` (optional) |
//! | `status.code` = 2 / `STATUS_CODE_ERROR`, or an `error.type` attribute | failed in the source |
//! | resource attribute `service.name` | key name (one key per service) |
//!
//! Spans are exported when they *end*, so a long request that started before
//! a short one can land in a later export request: files that span many
//! batches of concurrent traffic may need the sort option. Field names in snake_case (`start_time_unix_nano`) are
//! accepted too, as OTLP receivers must.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::BufRead;

use serde::Deserialize;

use super::fields::{self, Scalar};
use super::json::{invalid, record_path, JsonFormat, JsonSource, RawRecord};
use super::{RecordBuf, RecordError, RecordSource};

pub(super) fn open<'a, R: BufRead + 'a>(reader: R) -> Box<dyn RecordSource + 'a> {
    Box::new(JsonSource::new(reader, Otel { not_requests: 0 }))
}

const MODEL: &str = "gen_ai.request.model";
const INPUT: [&str; 2] = ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"];
const OUTPUT: [&str; 2] = [
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
];
const MAX_TOKENS: &str = "gen_ai.request.max_tokens";
const ERROR_TYPE: &str = "error.type";
const SERVICE_NAME: &str = "service.name";
/// `STATUS_CODE_ERROR` in OTLP's status enum.
const STATUS_ERROR: u64 = 2;

#[derive(Deserialize)]
struct ExportRequest<'a> {
    #[serde(rename = "resourceSpans", alias = "resource_spans", default, borrow)]
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Deserialize)]
struct ResourceSpans<'a> {
    #[serde(default, borrow)]
    resource: Option<Resource<'a>>,
    #[serde(
        rename = "scopeSpans",
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        default,
        borrow
    )]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(default, borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(default, borrow)]
    spans: Vec<Span<'a>>,
}

#[derive(Deserialize)]
struct Span<'a> {
    #[serde(rename = "startTimeUnixNano", alias = "start_time_unix_nano", borrow)]
    start: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    attributes: Vec<KeyValue<'a>>,
    #[serde(default, borrow)]
    status: Option<Status<'a>>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow)]
    code: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(default, borrow)]
    value: Option<AnyValue<'a>>,
}

/// OTLP's `AnyValue`: one of these is set.
#[derive(Deserialize)]
struct AnyValue<'a> {
    #[serde(rename = "stringValue", alias = "string_value", borrow)]
    string: Option<Scalar<'a>>,
    #[serde(rename = "intValue", alias = "int_value", borrow)]
    int: Option<Scalar<'a>>,
    #[serde(rename = "doubleValue", alias = "double_value", borrow)]
    double: Option<Scalar<'a>>,
    #[serde(rename = "boolValue", alias = "bool_value", borrow)]
    boolean: Option<Scalar<'a>>,
}

impl<'a> AnyValue<'a> {
    fn scalar(&self) -> Option<&Scalar<'a>> {
        self.string
            .as_ref()
            .or(self.int.as_ref())
            .or(self.double.as_ref())
            .or(self.boolean.as_ref())
    }
}

/// The value of the first attribute called `key` (`Some(Null)` when it has no value).
fn attribute<'v, 'a>(attributes: &'v [KeyValue<'a>], key: &str) -> Option<&'v Scalar<'a>> {
    const NO_VALUE: &Scalar<'static> = &Scalar::Null;
    attributes.iter().find(|kv| kv.key == key).map(|kv| {
        kv.value
            .as_ref()
            .and_then(AnyValue::scalar)
            .unwrap_or(NO_VALUE)
    })
}

/// The first of `keys` present, with its name.
fn first_attribute<'v, 'a>(
    attributes: &'v [KeyValue<'a>],
    keys: [&'static str; 2],
) -> (Option<&'v Scalar<'a>>, &'static str) {
    keys.iter()
        .find_map(|k| attribute(attributes, k).map(|v| (Some(v), *k)))
        .unwrap_or((None, keys[0]))
}

struct Otel {
    not_requests: u64,
}

impl JsonFormat for Otel {
    fn parse(&mut self, raw: &RawRecord<'_>, out: &mut VecDeque<Result<RecordBuf, RecordError>>) {
        let request = match serde_json::from_slice::<ExportRequest<'_>>(raw.bytes) {
            Ok(request) => request,
            Err(e) => return out.push_back(Err(invalid(raw, &e))),
        };
        let prefix = record_path(raw);
        let mut records = Vec::new();
        for (i, resource) in request.resource_spans.iter().enumerate() {
            let service = resource
                .resource
                .as_ref()
                .and_then(|r| attribute(&r.attributes, SERVICE_NAME));
            for (j, scope) in resource.scope_spans.iter().enumerate() {
                for (k, span) in scope.spans.iter().enumerate() {
                    let Some(model) = attribute(&span.attributes, MODEL) else {
                        self.not_requests += 1;
                        continue;
                    };
                    let path = format!("{prefix}resourceSpans[{i}].scopeSpans[{j}].spans[{k}].");
                    records.push(record(span, model, service, raw.line, path));
                }
            }
        }
        // Spans are grouped by service and scope, not by time: order them by
        // start (errors first, so a bad span is reported before the rows
        // around it).
        records.sort_by_key(|r| r.as_ref().map_or(0, |r| r.time));
        out.extend(records);
    }

    fn not_requests(&self) -> u64 {
        self.not_requests
    }
}

fn record(
    span: &Span<'_>,
    model: &Scalar<'_>,
    service: Option<&Scalar<'_>>,
    line: u64,
    path: String,
) -> Result<RecordBuf, RecordError> {
    let at = |field: &str, message: String| {
        RecordError::field(line, None, format!("{path}{field}"), message)
    };
    let attr = |key: &str| format!("attributes.{key}");
    let time = unix_nanos(span.start.as_ref()).map_err(|m| at("startTimeUnixNano", m))?;
    let model = fields::name(Some(model)).map_err(|m| at(&attr(MODEL), m))?;
    let (input, input_key) = first_attribute(&span.attributes, INPUT);
    let (output, output_key) = first_attribute(&span.attributes, OUTPUT);
    let status_error = match span.status.as_ref().and_then(|s| s.code.as_ref()) {
        Some(Scalar::Unsigned(code)) => *code == STATUS_ERROR,
        Some(Scalar::Str(code)) => code.as_ref() == "STATUS_CODE_ERROR",
        _ => false,
    };
    Ok(RecordBuf {
        time,
        key: fields::name(service)
            .map_err(|m| at("resource.attributes.service.name", m))?
            .to_string(),
        model: model.to_string(),
        input_tokens: fields::tokens(input).map_err(|m| at(&attr(input_key), m))?,
        output_tokens: fields::tokens(output).map_err(|m| at(&attr(output_key), m))?,
        max_tokens: fields::optional_tokens(attribute(&span.attributes, MAX_TOKENS))
            .map_err(|m| at(&attr(MAX_TOKENS), m))?,
        failed: status_error || attribute(&span.attributes, ERROR_TYPE).is_some(),
        line,
        time_at: (None, "startTimeUnixNano"),
        model_at: (None, "attributes.gen_ai.request.model"),
        path,
    })
}

/// OTLP times: integer nanoseconds since 1970, as a string or a number.
fn unix_nanos(value: Option<&Scalar<'_>>) -> Result<u64, String> {
    let bad = |shown: String| {
        format!("expected integer nanoseconds since 1970 (\"1776686400000000000\"), found {shown}")
    };
    match value {
        None | Some(Scalar::Null) => {
            Err("the span has no start time; every request needs one".to_string())
        }
        Some(Scalar::Unsigned(n)) => Ok(*n),
        Some(Scalar::Str(s)) => s.trim().parse().map_err(|_| bad(format!("{s:?}"))),
        Some(other) => Err(bad(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::read;
    use super::super::{Format, ImportOptions, DEFAULT_KEY};
    use crate::time::Nanos;
    use crate::workload::TraceRow;

    fn span(start: &str, attributes: &str) -> String {
        format!(
            r#"{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat","kind":3,"startTimeUnixNano":{start},"endTimeUnixNano":"1776686409000000000","attributes":[{attributes}],"status":{{}}}}"#
        )
    }

    fn attr_s(key: &str, value: &str) -> String {
        format!(r#"{{"key":"{key}","value":{{"stringValue":"{value}"}}}}"#)
    }

    fn attr_i(key: &str, value: &str) -> String {
        format!(r#"{{"key":"{key}","value":{{"intValue":{value}}}}}"#)
    }

    fn export(service: Option<&str>, spans: &[String]) -> String {
        let resource = match service {
            Some(s) => format!(r#"{{"attributes":[{}]}}"#, attr_s("service.name", s)),
            None => "{}".to_string(),
        };
        format!(
            r#"{{"resourceSpans":[{{"resource":{resource},"scopeSpans":[{{"scope":{{"name":"openai"}},"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        )
    }

    #[test]
    fn genai_spans_become_rows_and_other_spans_are_counted() {
        let chat = span(
            "\"1776686400000000000\"",
            &[
                attr_s("gen_ai.operation.name", "chat"),
                attr_s("gen_ai.request.model", "llama-3.3-70b"),
                attr_i("gen_ai.request.max_tokens", "1024"),
                attr_i("gen_ai.usage.input_tokens", "\"1200\""),
                attr_i("gen_ai.usage.output_tokens", "300"),
            ]
            .join(","),
        );
        let http = span("\"1776686400100000000\"", &attr_s("http.method", "POST"));
        let old_names = span(
            "1776686400500000000",
            &[
                attr_s("gen_ai.request.model", "qwen3-5-9b"),
                attr_i("gen_ai.usage.prompt_tokens", "10"),
                attr_i("gen_ai.usage.completion_tokens", "5"),
                attr_s("error.type", "429"),
            ]
            .join(","),
        );
        let text = format!(
            "{}\n{}\n",
            export(Some("checkout"), &[chat, http]),
            export(None, &[old_names])
        );
        let (rows, keys, report) = read(Format::Otel, &text, ImportOptions::default());
        assert_eq!(
            rows.unwrap(),
            [
                TraceRow {
                    at: Nanos::ZERO,
                    key: 0,
                    model: 0,
                    input_tokens: 1200,
                    output_tokens: 300,
                    max_tokens: Some(1024),
                },
                TraceRow {
                    at: Nanos::from_millis(500),
                    key: 1,
                    model: 2,
                    input_tokens: 10,
                    output_tokens: 5,
                    max_tokens: None,
                },
            ]
        );
        assert_eq!(keys, ["checkout", DEFAULT_KEY]);
        assert_eq!(
            (report.rows, report.not_requests, report.failed_in_source),
            (2, 1, 1)
        );
    }

    #[test]
    fn errors_name_the_span_and_attribute() {
        let bad_tokens = span(
            "\"1776686400000000000\"",
            &[
                attr_s("gen_ai.request.model", "llama-3.3-70b"),
                attr_s("gen_ai.usage.output_tokens", "lots"),
            ]
            .join(","),
        );
        let text = export(Some("svc"), &["{}".to_string(), bad_tokens]);
        let (rows, _, _) = read(Format::Otel, &text, ImportOptions::default());
        assert_eq!(
            rows.unwrap_err(),
            "in:1: field `resourceSpans[0].scopeSpans[0].spans[1].attributes.gen_ai.usage.output_tokens`: \
             expected a whole number of tokens, found \"lots\""
        );
        let no_start = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"llama-3.3-70b"}}]}]}]}]}"#;
        let (rows, _, _) = read(Format::Otel, no_start, ImportOptions::default());
        assert_eq!(
            rows.unwrap_err(),
            "in:1: field `resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano`: the span \
             has no start time; every request needs one"
        );
    }

    #[test]
    fn spans_are_ordered_within_an_export_but_exports_must_follow_in_time() {
        let model = attr_s("gen_ai.request.model", "llama-3.3-70b");
        let late_first = export(
            Some("svc"),
            &[
                span("\"1776686402000000000\"", &model),
                span("\"1776686401000000000\"", &model),
            ],
        );
        let (rows, _, _) = read(Format::Otel, &late_first, ImportOptions::default());
        let times: Vec<Nanos> = rows.unwrap().iter().map(|r| r.at).collect();
        assert_eq!(times, [Nanos::ZERO, Nanos::SECOND]);

        let earlier = export(Some("svc"), &[span("\"1776686400000000000\"", &model)]);
        let text = format!("{late_first}\n{earlier}\n");
        let (rows, _, _) = read(Format::Otel, &text, ImportOptions::default());
        assert_eq!(
            rows.unwrap_err(),
            "in:2: field `resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano`: this \
             request is 2 s earlier than the previous one (line 1); rows must be in time order: \
             sort the file first (`ratesim trace convert --sort` does it)"
        );
        let sort = ImportOptions {
            sort: true,
            ..ImportOptions::default()
        };
        let (rows, _, _) = read(Format::Otel, &text, sort);
        let times: Vec<Nanos> = rows.unwrap().iter().map(|r| r.at).collect();
        assert_eq!(times, [Nanos::ZERO, Nanos::SECOND, Nanos::from_secs(2)]);
    }
}
