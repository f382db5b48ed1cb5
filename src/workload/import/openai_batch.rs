//! OpenAI batch input files (JSON Lines), with arrival times generated.
//!
//! A batch file is a list of requests to run, not a log: each line is
//! `{"custom_id": ..., "method": "POST", "url": "/v1/chat/completions",
//! "body": {"model": ..., "messages": [...], "max_tokens": ...}}`. It has no
//! times and no token counts, so:
//!
//! - **Arrivals** come from the arrival process given in the options, drawn
//!   from its seeded stream: the n-th request line gets the n-th arrival,
//!   whether it is good or skipped, so a line's time does not depend on the
//!   lines around it being valid.
//! - **Input tokens** are estimated as the characters of the prompt text
//!   divided by 4, rounded up (OpenAI's rule of thumb for English). The text
//!   is every `content` string of `body.messages` (and every `text` part of
//!   a content list; images and other parts count nothing), plus
//!   `body.input` (embeddings) and `body.prompt` (completions); a token-id
//!   list in those counts one token per id.
//! - **Output tokens** are `body.max_completion_tokens`, else
//!   `body.max_tokens`: the budget the request may use, an upper bound of
//!   what it will. That value is also the row's `max_tokens`. Without either,
//!   output is 0 and `max_tokens` is empty.
//! - **Key**: a batch names no key, so every row uses the default key.

use std::collections::VecDeque;
use std::fmt;
use std::io::BufRead;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize as DeriveDeserialize;

use super::fields::{self, Scalar};
use super::json::{invalid, record_path, JsonFormat, JsonSource, RawRecord};
use super::{RecordBuf, RecordError, RecordSource};
use crate::rng::Rng;
use crate::workload::{ArrivalSpec, Arrivals};

/// Characters per estimated token.
const CHARS_PER_TOKEN: u64 = 4;

pub(super) fn open<'a, R: BufRead + 'a>(
    reader: R,
    spec: &ArrivalSpec,
    rng: Rng,
) -> Box<dyn RecordSource + 'a> {
    Box::new(JsonSource::new(
        reader,
        Batch {
            arrivals: Arrivals::new(spec),
            rng,
        },
    ))
}

#[derive(DeriveDeserialize)]
struct Line<'a> {
    #[serde(borrow)]
    body: Option<Body<'a>>,
}

#[derive(DeriveDeserialize)]
struct Body<'a> {
    #[serde(borrow)]
    model: Option<Scalar<'a>>,
    #[serde(borrow)]
    max_tokens: Option<Scalar<'a>>,
    #[serde(borrow)]
    max_completion_tokens: Option<Scalar<'a>>,
    #[serde(default)]
    messages: TextChars,
    #[serde(default)]
    input: TextChars,
    #[serde(default)]
    prompt: TextChars,
}

/// Characters of prompt text in a JSON value: strings count their
/// characters, lists add up their items, objects count only their `content`
/// and `text` members (so a message's role and an image part's URL count
/// nothing), and a number counts as one token's worth (a token id).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TextChars(u64);

impl<'de> Deserialize<'de> for TextChars {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CharsVisitor;

        impl<'de> Visitor<'de> for CharsVisitor {
            type Value = TextChars;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("prompt text")
            }
            fn visit_str<E>(self, v: &str) -> Result<TextChars, E> {
                Ok(TextChars(v.chars().count() as u64))
            }
            fn visit_u64<E>(self, _: u64) -> Result<TextChars, E> {
                Ok(TextChars(CHARS_PER_TOKEN))
            }
            fn visit_i64<E>(self, _: i64) -> Result<TextChars, E> {
                Ok(TextChars(CHARS_PER_TOKEN))
            }
            fn visit_f64<E>(self, _: f64) -> Result<TextChars, E> {
                Ok(TextChars(0))
            }
            fn visit_bool<E>(self, _: bool) -> Result<TextChars, E> {
                Ok(TextChars(0))
            }
            fn visit_unit<E>(self) -> Result<TextChars, E> {
                Ok(TextChars(0))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextChars, A::Error> {
                let mut total = 0u64;
                while let Some(TextChars(n)) = seq.next_element()? {
                    total = total.saturating_add(n);
                }
                Ok(TextChars(total))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextChars, A::Error> {
                let mut total = 0u64;
                while let Some(TextKey(counted)) = map.next_key()? {
                    if counted {
                        total = total.saturating_add(map.next_value::<TextChars>()?.0);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(TextChars(total))
            }
        }

        deserializer.deserialize_any(CharsVisitor)
    }
}

/// An object key, reduced to whether its value is prompt text.
struct TextKey(bool);

impl<'de> Deserialize<'de> for TextKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = TextKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, v: &str) -> Result<TextKey, E> {
                Ok(TextKey(v == "content" || v == "text"))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

struct Batch {
    arrivals: Arrivals,
    rng: Rng,
}

impl JsonFormat for Batch {
    fn parse(&mut self, raw: &RawRecord<'_>, out: &mut VecDeque<Result<RecordBuf, RecordError>>) {
        let Some(at) = self.arrivals.next(&mut self.rng) else {
            return out.push_back(Err(RecordError::fatal(
                raw.line,
                "the arrival process ended before this request (is its rate zero?)",
            )));
        };
        match serde_json::from_slice::<Line<'_>>(raw.bytes) {
            Ok(line) => out.push_back(record(&line, at.0, raw.line, record_path(raw))),
            Err(e) => out.push_back(Err(invalid(raw, &e))),
        }
    }
}

fn record(
    line: &Line<'_>,
    time: u64,
    at_line: u64,
    path: String,
) -> Result<RecordBuf, RecordError> {
    let at = |field: &str, message: String| {
        RecordError::field(at_line, None, format!("{path}{field}"), message)
    };
    let Some(body) = &line.body else {
        return Err(at(
            "body",
            "the line has no `body`; expected the request to send".to_string(),
        ));
    };
    let model = fields::name(body.model.as_ref()).map_err(|m| at("body.model", m))?;
    let max_tokens = match fields::optional_tokens(body.max_completion_tokens.as_ref())
        .map_err(|m| at("body.max_completion_tokens", m))?
    {
        Some(n) => Some(n),
        None => fields::optional_tokens(body.max_tokens.as_ref())
            .map_err(|m| at("body.max_tokens", m))?,
    };
    let chars = body.messages.0 + body.input.0 + body.prompt.0;
    let input = chars.div_ceil(CHARS_PER_TOKEN);
    let input_tokens = u32::try_from(input).map_err(|_| {
        at(
            "body.messages",
            format!(
                "the prompt is estimated at {input} tokens, more than {}",
                u32::MAX
            ),
        )
    })?;
    Ok(RecordBuf {
        time,
        key: String::new(),
        model: model.to_string(),
        input_tokens,
        output_tokens: max_tokens.unwrap_or(0),
        max_tokens,
        failed: false,
        line: at_line,
        time_at: (None, "arrival"),
        model_at: (None, "body.model"),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::read;
    use super::super::{Format, ImportOptions, DEFAULT_KEY};
    use super::*;
    use crate::rng::{stream, Purpose};
    use crate::time::Nanos;

    fn options(rate: f64) -> ImportOptions {
        ImportOptions {
            arrivals: Some((
                ArrivalSpec::Constant { rate },
                stream(1, "batch", Purpose::Arrivals),
            )),
            ..ImportOptions::default()
        }
    }

    #[test]
    fn prompt_text_is_counted_by_characters() {
        let chars = |json: &str| serde_json::from_str::<TextChars>(json).unwrap().0;
        assert_eq!(chars(r#""héllo""#), 5);
        assert_eq!(
            chars(
                r#"[{"role":"system","content":"abcd"},{"role":"user","content":[{"type":"text","text":"ef"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]"#
            ),
            6
        );
        assert_eq!(chars("[1, 2, 3]"), 12);
        assert_eq!(chars("null"), 0);
    }

    #[test]
    fn lines_get_arrivals_estimates_and_budgets() {
        let text = concat!(
            r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"llama-3.3-70b","messages":[{"role":"user","content":"Summarise this ticket, please."}],"max_tokens":256}}"#,
            "\n",
            r#"{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"qwen3-5-9b","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":64,"max_tokens":999}}"#,
            "\n",
            r#"{"custom_id":"c","method":"POST","url":"/v1/embeddings","body":{"model":"zai-org-glm-5","input":["abcdefgh","ij"]}}"#,
            "\n"
        );
        let (rows, keys, _) = read(Format::OpenaiBatch, text, options(2.0));
        let rows = rows.unwrap();
        let got: Vec<(Nanos, u32, u32, u32, Option<u32>)> = rows
            .iter()
            .map(|r| (r.at, r.model, r.input_tokens, r.output_tokens, r.max_tokens))
            .collect();
        assert_eq!(
            got,
            [
                (Nanos::from_millis(500), 0, 8, 256, Some(256)),
                (Nanos::from_millis(1000), 2, 1, 64, Some(64)),
                (Nanos::from_millis(1500), 1, 3, 0, None),
            ]
        );
        assert_eq!(keys, [DEFAULT_KEY]);
    }

    #[test]
    fn a_skipped_line_still_takes_its_arrival() {
        let text = "{\"body\":{\"model\":\"llama-3.3-70b\"}}\n{\"body\":{\"model\":\"gpt-4o\"}}\n{\"nobody\":1}\n{\"body\":{\"model\":\"llama-3.3-70b\"}}\n";
        let skip = ImportOptions {
            skip_bad_rows: true,
            ..options(1.0)
        };
        let (rows, _, report) = read(Format::OpenaiBatch, text, skip);
        let times: Vec<Nanos> = rows.unwrap().iter().map(|r| r.at).collect();
        assert_eq!(times, [Nanos::from_secs(1), Nanos::from_secs(4)]);
        let listed: Vec<String> = report
            .skipped
            .first
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            listed,
            [
                "in:2: field `body.model`: unknown model \"gpt-4o\"",
                "in:3: field `body`: the line has no `body`; expected the request to send"
            ]
        );
    }

    #[test]
    fn a_zero_rate_is_an_error_not_a_hang() {
        let (rows, _, _) = read(
            Format::OpenaiBatch,
            "{\"body\":{\"model\":\"llama-3.3-70b\"}}\n",
            options(0.0),
        );
        assert_eq!(
            rows.unwrap_err(),
            "in:1: the arrival process ended before this request (is its rate zero?)"
        );
    }
}
