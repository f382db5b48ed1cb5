//! `ratesim policy import`: the limits an account actually has, from the
//! provider's own answer.
//!
//! The provider publishes limits per class but assigns models to classes
//! without saying how, and partner accounts are tuned one by one. The
//! authoritative numbers for an account are what `GET
//! /api/v1/api_keys/rate_limits` returns:
//!
//! ```json
//! {"data": {"rateLimits": [
//!   {"apiModelId": "zai-org-glm-5-1",
//!    "rateLimits": [{"type": "RPM", "amount": 100}, {"type": "TPM", "amount": 2000000}]},
//!   {"apiModelId": "kling-v3-pro-text-to-video", "rateLimits": []}
//! ]}}
//! ```
//!
//! [`import_limits`] turns that body into catalogue entries that override
//! each listed model's limits with what was listed: RPM and TPM are minute
//! windows, RPD a day window, and an empty list means not limited. Like any
//! override, a listed limit replaces the class limit of its type only (the
//! provider lists RPM and TPM for every text model, so in practice a listed
//! model gets exactly its listed limits). Models the body does not list keep
//! their preset class limits. A model id
//! not in the built-in catalogue needs a type; the body does not say, so it is
//! taken as a text model and the written TOML says so next to the entry.
//! [`policy_toml`] writes the entries as `[[policy.models]]` tables to append
//! to a scenario file.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::policy::catalogue::{resolve, ModelEntry, CATALOGUE};
use crate::policy::presets::{preset, DEFAULT_PRESET};
use crate::policy::{Counts, LimitSpec, ModelType};
use crate::time::Nanos;

const DAY: Nanos = Nanos(86_400_000_000_000);

/// The largest limit amount a scenario accepts (TOML integers are `i64`), so
/// nothing is imported that the written TOML could not hold.
pub const MAX_AMOUNT: u64 = i64::MAX as u64;

/// The type given to a model the built-in catalogue does not know.
pub const ASSUMED_TYPE: ModelType = ModelType::Text;

/// Why a rate-limits body cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// 1-based line, for JSON that does not parse.
    pub line: Option<usize>,
    /// JSON path of the value at fault, e.g. `data.rateLimits[3].rateLimits[0].type`.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

fn at(field: String, message: impl Into<String>) -> ImportError {
    ImportError {
        line: None,
        field: Some(field),
        message: message.into(),
    }
}

/// The limit types the API reports, and the window each becomes.
const TYPES: [(&str, Counts, Nanos); 3] = [
    ("RPM", Counts::Requests, Nanos::MINUTE),
    ("RPD", Counts::Requests, DAY),
    ("TPM", Counts::Tokens, Nanos::MINUTE),
];

/// One catalogue entry per model listed in a `GET
/// /api/v1/api_keys/rate_limits` body, in the body's order, each with exactly
/// the limits listed. The entries are checked against the default preset, so
/// an import that succeeds also resolves in a scenario. An error in a field
/// names its JSON path and the line the value is on.
pub fn import_limits(json: &str) -> Result<Vec<ModelEntry>, ImportError> {
    import_body(json).map_err(|mut e| {
        // A missing field is placed at the nearest parent that is there.
        let mut path = e.field.as_deref().unwrap_or("");
        while e.line.is_none() && !path.is_empty() {
            e.line = line_of(json, path);
            path = &path[..path.rfind(['.', '[']).unwrap_or(0)];
        }
        e
    })
}

fn import_body(json: &str) -> Result<Vec<ModelEntry>, ImportError> {
    let body: Value = serde_json::from_str(json).map_err(|e| {
        let text = e.to_string();
        let message = text
            .rfind(" at line ")
            .map_or(text.as_str(), |i| &text[..i]);
        ImportError {
            line: Some(e.line()),
            field: None,
            message: format!("not valid JSON: {message}"),
        }
    })?;
    let list = body
        .get("data")
        .and_then(|data| data.get("rateLimits"))
        .ok_or_else(|| {
            at(
                "data.rateLimits".into(),
                "missing: expected the body of GET /api/v1/api_keys/rate_limits, \
                 {\"data\": {\"rateLimits\": [...]}}",
            )
        })?
        .as_array()
        .ok_or_else(|| at("data.rateLimits".into(), "expected a list of models"))?;

    let mut entries = Vec::with_capacity(list.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, model) in list.iter().enumerate() {
        let path = format!("data.rateLimits[{i}]");
        let id = model
            .get("apiModelId")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                at(
                    format!("{path}.apiModelId"),
                    "expected a model id (a string)",
                )
            })?;
        if let Some(first) = seen.insert(id.to_string(), i) {
            return Err(at(
                format!("{path}.apiModelId"),
                format!("model {id:?} is listed twice (also data.rateLimits[{first}])"),
            ));
        }
        let limits = model
            .get("rateLimits")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                at(
                    format!("{path}.rateLimits"),
                    "expected a list of limits (empty for a model that is not limited)",
                )
            })?;
        let mut specs: Vec<LimitSpec> = Vec::with_capacity(limits.len());
        let mut types: Vec<&str> = Vec::new();
        for (j, limit) in limits.iter().enumerate() {
            let path = format!("{path}.rateLimits[{j}]");
            let name = limit
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| at(format!("{path}.type"), "expected RPM, RPD or TPM"))?;
            let Some(&(label, counts, window)) =
                TYPES.iter().find(|t| t.0.eq_ignore_ascii_case(name.trim()))
            else {
                return Err(at(
                    format!("{path}.type"),
                    format!("unknown limit type {name:?}; expected RPM, RPD or TPM"),
                ));
            };
            if types.contains(&label) {
                return Err(at(
                    format!("{path}.type"),
                    format!("{label} is listed twice for {id:?}"),
                ));
            }
            types.push(label);
            let amount = limit.get("amount").and_then(whole).ok_or_else(|| {
                at(
                    format!("{path}.amount"),
                    format!(
                        "expected a whole number from 1 to {MAX_AMOUNT} (the most a scenario accepts), found {}",
                        crate::suggest::excerpt(&limit.get("amount").unwrap_or(&Value::Null).to_string())
                    ),
                )
            })?;
            specs.push(LimitSpec {
                counts,
                window,
                amount,
            });
        }
        let known = CATALOGUE.iter().any(|m| m.id == id);
        entries.push(ModelEntry {
            id: id.to_string(),
            kind: (!known).then_some(ASSUMED_TYPE),
            limits: Some(specs),
            ..ModelEntry::default()
        });
    }

    let default = preset(DEFAULT_PRESET).expect("the default preset exists");
    resolve(default, &entries).map_err(|e| {
        let field = if e.field == "limits" {
            "rateLimits"
        } else {
            "apiModelId"
        };
        at(format!("data.rateLimits[{}].{field}", e.entry), e.message)
    })?;
    Ok(entries)
}

/// A JSON number that is a whole number of at least 1.
fn whole(value: &Value) -> Option<u64> {
    match value.as_u64() {
        Some(n) => Some(n),
        None => value
            .as_f64()
            .filter(|x| x.fract() == 0.0 && *x >= 1.0 && *x < 9.0e15)
            .map(|x| x as u64),
    }
    .filter(|&n| (1..=MAX_AMOUNT).contains(&n))
}

/// The 1-based line of the value at JSON path `target` (as the errors name
/// it: `data.rateLimits[3].amount`) in `json`, which parses. A small walk over
/// the text, since serde_json's values keep no positions; it runs only for an
/// error.
fn line_of(json: &str, target: &str) -> Option<usize> {
    struct Frame {
        object: bool,
        key: String,
        index: usize,
    }
    let path = |stack: &[Frame]| {
        let mut p = String::new();
        for f in stack {
            if f.object {
                if !p.is_empty() {
                    p.push('.');
                }
                p.push_str(&f.key);
            } else {
                p.push_str(&format!("[{}]", f.index));
            }
        }
        p
    };
    let bytes = json.as_bytes();
    let (mut i, mut line, mut want_key) = (0, 1, false);
    let mut stack: Vec<Frame> = Vec::new();
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => line += 1,
            b' ' | b'\t' | b'\r' | b':' => {}
            b',' => match stack.last_mut() {
                Some(f) if f.object => want_key = true,
                Some(f) => f.index += 1,
                None => {}
            },
            b'}' | b']' => {
                stack.pop();
                want_key = false;
            }
            b'"' if want_key => {
                let (key, end) = string_at(json, i)?;
                stack.last_mut()?.key = key;
                want_key = false;
                i = end;
                continue;
            }
            _ => {
                if path(&stack) == target {
                    return Some(line);
                }
                match c {
                    b'{' | b'[' => {
                        want_key = c == b'{';
                        stack.push(Frame {
                            object: want_key,
                            key: String::new(),
                            index: 0,
                        });
                    }
                    b'"' => {
                        i = string_at(json, i)?.1;
                        continue;
                    }
                    _ => {
                        while i + 1 < bytes.len() && !b",}] \t\r\n".contains(&bytes[i + 1]) {
                            i += 1;
                        }
                    }
                }
            }
        }
        i += 1;
    }
    None
}

/// The JSON string starting at byte `i` and the offset just past it.
fn string_at(json: &str, i: usize) -> Option<(String, usize)> {
    let mut stream = serde_json::Deserializer::from_str(&json[i..]).into_iter::<String>();
    let text = stream.next()?.ok()?;
    Some((text, i + stream.byte_offset()))
}

/// `entries` as `[[policy.models]]` tables, after a comment naming
/// `source_note` (e.g. the file they came from). Append the text to a
/// scenario file; limits use `rpm`, `tpm` and `rpd` where they can and a
/// `limits` list otherwise, and an empty limit list is `unlimited = true`.
pub fn policy_toml(entries: &[ModelEntry], source_note: &str) -> String {
    let mut out = String::new();
    for line in source_note.lines() {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str(
        "# Each limit replaces the class limit of its type; models not listed keep the\n\
         # preset's. Append to a scenario file (docs/scenario.md, [[policy.models]]).\n",
    );
    for entry in entries {
        out.push_str("\n[[policy.models]]\n");
        out.push_str(&format!("id = {}\n", quoted(&entry.id)));
        if let Some(kind) = entry.kind {
            out.push_str(&format!("type = {}", quoted(kind.name())));
            if !CATALOGUE.iter().any(|m| m.id == entry.id) {
                out.push_str(
                    "  # not in the built-in catalogue: type assumed, change it if needed",
                );
            }
            out.push('\n');
        }
        if let Some(class) = &entry.class {
            out.push_str(&format!("class = {}\n", quoted(class)));
        }
        if let Some(provider) = &entry.provider {
            out.push_str(&format!("provider = {}\n", quoted(provider)));
        }
        match &entry.limits {
            Some(limits) if limits.is_empty() => out.push_str("unlimited = true\n"),
            Some(limits) => out.push_str(&limits_toml(limits)),
            None => {}
        }
        if let Some(t) = entry.first_token {
            out.push_str(&format!("first_token = \"{t}\"\n"));
        }
        if let Some(rate) = entry.tokens_per_sec {
            out.push_str(&format!("tokens_per_sec = {rate:?}\n"));
        }
        if let Some(spread) = entry.spread {
            out.push_str(&format!("spread = {spread:?}\n"));
        }
    }
    out
}

/// `rpm = ...` style lines for the limits that have a shorthand (each used
/// once), then a `limits` list for the rest.
fn limits_toml(limits: &[LimitSpec]) -> String {
    let mut out = String::new();
    let mut rest = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for limit in limits {
        let shorthand = match (limit.counts, limit.window) {
            (Counts::Requests, Nanos::MINUTE) => Some("rpm"),
            (Counts::Tokens, Nanos::MINUTE) => Some("tpm"),
            (Counts::Requests, DAY) => Some("rpd"),
            _ => None,
        };
        match shorthand {
            Some(key) if !used.contains(&key) => {
                used.push(key);
                out.push_str(&format!("{key} = {}\n", limit.amount));
            }
            _ => rest.push(limit),
        }
    }
    if !rest.is_empty() {
        let items: Vec<String> = rest
            .iter()
            .map(|l| {
                let counts = match l.counts {
                    Counts::Requests => "requests",
                    Counts::Tokens => "tokens",
                };
                format!(
                    "{{ counts = \"{counts}\", window = \"{}\", amount = {} }}",
                    l.window, l.amount
                )
            })
            .collect();
        out.push_str(&format!("limits = [{}]\n", items.join(", ")));
    }
    out
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const BODY: &str = r#"{"data":{"accessPermitted":true,"apiTier":{"id":"paid","isCharged":true},
      "balances":{"USD":12.5},"keyExpiration":null,"nextEpochBegins":"2026-04-21T00:00:00.000Z",
      "rateLimits":[
        {"apiModelId":"zai-org-glm-5-1","rateLimits":[{"type":"RPM","amount":100},{"type":"TPM","amount":2000000}]},
        {"apiModelId":"llama-3.2-3b","rateLimits":[{"type":"RPM","amount":500},{"type":"RPD","amount":100000},{"type":"TPM","amount":5000000}]},
        {"apiModelId":"kling-v3-pro-text-to-video","rateLimits":[]},
        {"apiModelId":"z-image-turbo","rateLimits":[{"type":"RPM","amount":20}]},
        {"apiModelId":"deepseek-v3-2","rateLimits":[{"type":"RPM","amount":50},{"type":"TPM","amount":750000}]}
      ]}}"#;

    fn day(amount: u64) -> LimitSpec {
        LimitSpec {
            counts: Counts::Requests,
            window: DAY,
            amount,
        }
    }

    #[test]
    fn a_body_becomes_exactly_its_limits() {
        let entries = import_limits(BODY).unwrap();
        type Imported<'e> = (&'e str, Option<ModelType>, Option<&'e Vec<LimitSpec>>);
        let got: Vec<Imported<'_>> = entries
            .iter()
            .map(|e| (e.id.as_str(), e.kind, e.limits.as_ref()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "zai-org-glm-5-1",
                    None,
                    Some(&vec![LimitSpec::rpm(100), LimitSpec::tpm(2_000_000)])
                ),
                (
                    "llama-3.2-3b",
                    None,
                    Some(&vec![
                        LimitSpec::rpm(500),
                        day(100_000),
                        LimitSpec::tpm(5_000_000)
                    ])
                ),
                ("kling-v3-pro-text-to-video", None, Some(&vec![])),
                ("z-image-turbo", None, Some(&vec![LimitSpec::rpm(20)])),
                (
                    "deepseek-v3-2",
                    Some(ModelType::Text),
                    Some(&vec![LimitSpec::rpm(50), LimitSpec::tpm(750_000)])
                ),
            ]
        );
    }

    #[test]
    fn the_written_toml_is_readable_and_loads_in_a_scenario() {
        let entries = import_limits(BODY).unwrap();
        let text = policy_toml(&entries, "Imported from rate_limits.json");
        assert_eq!(
            text,
            "# Imported from rate_limits.json\n\
             # Each limit replaces the class limit of its type; models not listed keep the\n\
             # preset's. Append to a scenario file (docs/scenario.md, [[policy.models]]).\n\
             \n[[policy.models]]\nid = \"zai-org-glm-5-1\"\nrpm = 100\ntpm = 2000000\n\
             \n[[policy.models]]\nid = \"llama-3.2-3b\"\nrpm = 500\nrpd = 100000\ntpm = 5000000\n\
             \n[[policy.models]]\nid = \"kling-v3-pro-text-to-video\"\nunlimited = true\n\
             \n[[policy.models]]\nid = \"z-image-turbo\"\nrpm = 20\n\
             \n[[policy.models]]\nid = \"deepseek-v3-2\"\ntype = \"text\"  # not in the built-in \
             catalogue: type assumed, change it if needed\nrpm = 50\ntpm = 750000\n"
        );
        let scenario_text = format!(
            "name = \"imported\"\n\n[[groups]]\nname = \"g\"\nmodel = \"deepseek-v3-2\"\n\
             arrival = {{ process = \"poisson\", rate = \"1/s\" }}\ninput_tokens = 10\n\
             output_tokens = 10\n\n{text}"
        );
        let scenario = crate::scenario::parse(&scenario_text, Path::new("imported.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        let models = &scenario.policy.models;
        let find = |id: &str| models.iter().find(|m| m.id == id).unwrap();
        // The validator orders a model's limits its own way: compare as sets.
        let sorted = |limits: &[LimitSpec]| {
            let mut v: Vec<(Counts, Nanos, u64)> = limits
                .iter()
                .map(|l| (l.counts, l.window, l.amount))
                .collect();
            v.sort();
            v
        };
        for entry in &entries {
            assert_eq!(
                sorted(&find(&entry.id).limits),
                sorted(entry.limits.as_ref().unwrap()),
                "{}",
                entry.id
            );
        }
        assert_eq!(find("deepseek-v3-2").kind, ModelType::Text);
        // A model the body did not list keeps its class limits.
        assert_eq!(
            find("llama-3.3-70b").limits,
            vec![LimitSpec::rpm(100), LimitSpec::tpm(2_000_000)]
        );
    }

    #[test]
    fn other_limits_use_a_list() {
        let entries = [ModelEntry {
            id: "odd \"one\"".into(),
            kind: Some(ModelType::Image),
            class: Some("Fal".into()),
            limits: Some(vec![
                LimitSpec::rpm(5),
                LimitSpec::rpm(6),
                LimitSpec {
                    counts: Counts::Requests,
                    window: Nanos::from_secs(10),
                    amount: 2,
                },
            ]),
            first_token: Some(Nanos::from_millis(1500)),
            tokens_per_sec: Some(60.0),
            spread: Some(0.25),
            ..ModelEntry::default()
        }];
        assert_eq!(
            policy_toml(&entries, "note"),
            "# note\n\
             # Each limit replaces the class limit of its type; models not listed keep the\n\
             # preset's. Append to a scenario file (docs/scenario.md, [[policy.models]]).\n\
             \n[[policy.models]]\nid = 'odd \"one\"'\ntype = \"image\"  # not in the \
             built-in catalogue: type assumed, change it if needed\nclass = \"Fal\"\nrpm = 5\n\
             limits = [{ counts = \"requests\", window = \"1m\", amount = 6 }, \
             { counts = \"requests\", window = \"10s\", amount = 2 }]\n\
             first_token = \"1500ms\"\ntokens_per_sec = 60.0\nspread = 0.25\n"
        );
    }

    #[test]
    fn bad_bodies_are_located() {
        let cases = [
            ("{\"data\":\n{\"rateLimits\": [}", "line 2: not valid JSON: expected value"),
            ("{\"rateLimits\": []}", "field `data.rateLimits`: missing: expected the body of GET /api/v1/api_keys/rate_limits, {\"data\": {\"rateLimits\": [...]}}"),
            ("{\"data\":{\"rateLimits\":[{\"rateLimits\":[]}]}}", "line 1: field `data.rateLimits[0].apiModelId`: expected a model id (a string)"),
            (
                "{\"data\":{\"rateLimits\":[{\"apiModelId\":\"llama-3.2-3b\",\"rateLimits\":[{\"type\":\"RPH\",\"amount\":5}]}]}}",
                "line 1: field `data.rateLimits[0].rateLimits[0].type`: unknown limit type \"RPH\"; expected RPM, RPD or TPM",
            ),
            (
                "{\"data\":{\"rateLimits\":[{\"apiModelId\":\"llama-3.2-3b\",\"rateLimits\":[{\"type\":\"RPM\",\"amount\":0}]}]}}",
                "line 1: field `data.rateLimits[0].rateLimits[0].amount`: expected a whole number from 1 to 9223372036854775807 (the most a scenario accepts), found 0",
            ),
            (
                "{\"data\":{\"rateLimits\":[{\"apiModelId\":\"llama-3.2-3b\",\"rateLimits\":[{\"type\":\"RPM\",\"amount\":1},{\"type\":\"rpm\",\"amount\":2}]}]}}",
                "line 1: field `data.rateLimits[0].rateLimits[1].type`: RPM is listed twice for \"llama-3.2-3b\"",
            ),
            (
                "{\"data\":{\"rateLimits\":[{\"apiModelId\":\"a\",\"rateLimits\":[]},{\"apiModelId\":\"a\",\"rateLimits\":[]}]}}",
                "line 1: field `data.rateLimits[1].apiModelId`: model \"a\" is listed twice (also data.rateLimits[0])",
            ),
            (
                "{\"data\":{\"rateLimits\":[{\"apiModelId\":\"z-image-turbo\",\"rateLimits\":[{\"type\":\"TPM\",\"amount\":5}]}]}}",
                "line 1: field `data.rateLimits[0].rateLimits`: image requests carry no tokens, so a token limit would never count anything",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(import_limits(body).unwrap_err().to_string(), expected);
        }
        // Field errors carry the line the value is on.
        let body = "{\"data\": {\"rateLimits\": [\n  {\"apiModelId\": \"a\", \"rateLimits\": []},\n  {\"apiModelId\": \"llama-3.2-3b\", \"rateLimits\": [\n    {\"type\": \"RPM\", \"amount\": 5},\n    {\"type\": \"TPM\",\n     \"amount\": 9223372036854775808}]}]}}";
        assert_eq!(
            import_limits(body).unwrap_err().to_string(),
            "line 6: field `data.rateLimits[1].rateLimits[1].amount`: expected a whole number from 1 to 9223372036854775807 (the most a scenario accepts), found 9223372036854775808"
        );
        assert_eq!(
            line_of(body, "data.rateLimits[1].rateLimits[0].amount"),
            Some(4)
        );
    }
}
