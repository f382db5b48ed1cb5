//! Checking a raw scenario once, into types that cannot hold nonsense.
//!
//! Every error names the field by its dotted path and is located in the
//! source by [`super::locate`], so a user reads `quickstart.toml:14:22: field
//! \`groups[0].arrival.rate\`: ...` with the line and a caret under it.
//!
//! One file per part of the scenario: [`fields`] holds the checkers every
//! table shares (durations, rates, counts); [`policy`], [`service`],
//! [`groups`] (with [`workload`] for synthetic traffic) and [`plan`] (the
//! `[plan]` and `[compare]` tables) each check their tables. This file reads
//! the file, locates errors and assembles the [`Scenario`].

mod fields;
mod groups;
mod plan;
mod policy;
mod prices;
mod service;
mod sweep;
mod tune;
mod window;
mod workload;

use super::error::ScenarioError;
use super::locate::{field_at, fields, line_col, line_text, span_of, Field};
use super::raw::RawScenario;
use super::Scenario;
use crate::policy::KeyId;
use crate::suggest::{close_matches, shorten_quotes};
use crate::time::{Clock, Nanos};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Longest run a scenario may ask for.
const MAX_DURATION: Nanos = Nanos::from_secs(366 * 86_400);
/// Most time-series intervals a run may produce.
const MAX_INTERVALS: u64 = 10_000_000;
/// Default start instant: 2026-04-20T12:00:00Z.
const DEFAULT_START_MS: u64 = 1_776_686_400_000;

type Result<T> = std::result::Result<T, ScenarioError>;

pub use sweep::sweep_points;

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario> {
    let bytes = std::fs::read(path).map_err(|e| ScenarioError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        field: String::new(),
        message: format!("cannot read the scenario file: {e}"),
        source_line: None,
    })?;
    let source =
        String::from_utf8(bytes).map_err(|e| not_utf8(path, e.as_bytes(), e.utf8_error()))?;
    parse(&source, path)
}

/// A file that is not UTF-8, located at its first bad byte.
fn not_utf8(path: &Path, bytes: &[u8], e: std::str::Utf8Error) -> ScenarioError {
    let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).expect("valid up to here");
    let (line, column) = line_col(valid, valid.len());
    let line_end = bytes[valid.len()..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| valid.len() + i);
    let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
    ScenarioError {
        path: path.to_path_buf(),
        line,
        column,
        field: String::new(),
        message: format!(
            "the file is not UTF-8: byte 0x{:02X} cannot start a character here; save the scenario as UTF-8",
            bytes[valid.len()]
        ),
        source_line: Some(String::from_utf8_lossy(&bytes[line_start..line_end]).into_owned()),
    }
}

/// Validates scenario `source`, read from `path` (used in messages and to
/// resolve trace paths).
pub fn parse(source: &str, path: &Path) -> Result<Scenario> {
    let v = Validator { src: source, path };
    if let Err(e) = toml_edit::ImDocument::parse(source) {
        let message = e.message().trim().replace('\n', "; ");
        return Err(v.at(
            e.span().map(|s| s.start),
            "",
            format!("TOML syntax error: {message}"),
        ));
    }
    let raw: RawScenario = toml::from_str(source).map_err(|e| v.toml_error(&e))?;
    v.scenario(raw)
}

/// The scenario's key names in [`KeyId`] order, with an index to look them up
/// (a scenario may have as many keys as groups).
#[derive(Default)]
struct Keys {
    names: Vec<String>,
    ids: HashMap<String, KeyId>,
    /// The scenario lists its keys: a group may use no other.
    declared: bool,
}

impl Keys {
    fn id(&self, name: &str) -> Option<KeyId> {
        self.ids.get(name).copied()
    }

    fn add(&mut self, name: &str) -> KeyId {
        let id = self.names.len() as KeyId;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }
}

struct Validator<'a> {
    src: &'a str,
    path: &'a Path,
}

impl Validator<'_> {
    fn at(&self, offset: Option<usize>, field: &str, message: String) -> ScenarioError {
        let (line, column) = offset.map_or((0, 0), |o| line_col(self.src, o));
        ScenarioError {
            path: self.path.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            message: shorten_quotes(&message),
            source_line: if line > 0 {
                line_text(self.src, line)
            } else {
                None
            },
        }
    }

    /// An error at `field`, located in the source (at the top of the file
    /// when the field and all its parents are absent).
    fn err(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        let offset = span_of(self.src, field).map_or(0, |s| s.start);
        self.at(Some(offset), field, message.into())
    }

    /// A structure error serde found (a wrong type, an unknown or missing
    /// key), named by the field it is in rather than the text at its offset.
    /// In an inline table serde points at the whole table; the key it means
    /// is found by name (an unknown key) or by the value it quotes (a wrong
    /// type).
    fn toml_error(&self, e: &toml::de::Error) -> ScenarioError {
        let message = e.message().trim();
        let Some(offset) = e.span().map(|s| s.start) else {
            return self.at(None, "", message.to_string());
        };
        let fields = fields(self.src);
        let Some(mut at) = field_at(&fields, offset) else {
            return self.at(Some(offset), "", message.to_string());
        };
        let inside = |f: &&Field| f.path.starts_with(&at.path) && f.path.len() > at.path.len();
        let mut start = offset;
        if let Some(name) = unknown_field(message) {
            let path = format!("{}.{name}", at.path);
            if let Some(child) = fields.iter().find(|f| f.path == path) {
                at = child;
                start = child.key.start;
            }
        } else if let Some(rest) = message.strip_prefix("invalid type: ") {
            if let Some(child) = fields
                .iter()
                .filter(inside)
                .find(|f| rest.starts_with(&format!("{},", f.described)))
            {
                at = child;
                start = child.value.start;
            }
        }
        self.at(Some(start), &at.path, toml_message(message))
    }

    fn scenario(&self, raw: RawScenario) -> Result<Scenario> {
        let name = match raw.name {
            Some(n) if n.trim().is_empty() => {
                return Err(self.err("name", "the name cannot be empty"))
            }
            Some(n) => n,
            None => self
                .path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("scenario")
                .to_string(),
        };
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(self.err(
                "name",
                "the name becomes a folder under reports/: no slashes, no leading dot",
            ));
        }
        let seed = match raw.seed {
            Some(s) if s < 0 => {
                return Err(self.err(
                    "seed",
                    format!("expected a non-negative whole number, got {s}"),
                ))
            }
            Some(s) => s as u64,
            None => 1,
        };
        let duration = match &raw.duration {
            Some(d) => self.positive_duration("duration", d)?,
            None => Nanos::from_secs(3600),
        };
        if duration > MAX_DURATION {
            return Err(self.err(
                "duration",
                format!("{duration} is longer than the 366 days a run may cover"),
            ));
        }
        let drain = match &raw.drain {
            Some(d) => self.duration("drain", d)?,
            None => Nanos::ZERO,
        };
        if drain > MAX_DURATION {
            return Err(self.err("drain", "longer than the 366 days a run may cover"));
        }
        let interval = match &raw.interval {
            Some(d) => self.positive_duration("interval", d)?,
            None => Nanos::from_secs(10),
        };
        if (duration + drain).0.div_ceil(interval.0) > MAX_INTERVALS {
            return Err(self.err("interval", format!("{interval} over the run gives more than {MAX_INTERVALS} intervals; use a longer interval")));
        }
        let clock = Clock {
            start_unix_ms: match &raw.start {
                Some(dt) => self.start(dt, duration + drain)?,
                None => DEFAULT_START_MS,
            },
        };
        let policy = self.policy(&raw.policy)?;
        let service = self.service(&raw.service, duration + drain, &policy)?;
        if raw.groups.is_empty() {
            return Err(self.err("groups", "the workload is empty: add at least one [[groups]] table with a model, an arrival process and a strategy"));
        }
        let mut keys = Keys::default();
        for (i, k) in raw.keys.iter().enumerate() {
            if k.trim().is_empty() {
                return Err(self.err(&format!("keys[{i}]"), "a key name cannot be empty"));
            }
            if keys.id(k).is_some() {
                return Err(self.err(&format!("keys[{i}]"), format!("key {k:?} is listed twice")));
            }
            keys.add(k);
        }
        keys.declared = !keys.names.is_empty();
        let mut groups = Vec::with_capacity(raw.groups.len());
        // Group names seen so far, for the uniqueness check in linear time.
        let mut names: HashSet<&str> = HashSet::with_capacity(raw.groups.len());
        for (i, g) in raw.groups.iter().enumerate() {
            let group = self.group(i, g, &policy, &mut keys)?;
            if !names.insert(g.name.as_str()) {
                return Err(self.err(
                    &format!("groups[{i}].name"),
                    format!(
                        "two groups are called {:?}; names must be unique",
                        group.name
                    ),
                ));
            }
            groups.push(group);
        }
        let keys = keys.names;
        let compare = raw
            .compare
            .as_ref()
            .map(|c| self.compare(c, &groups))
            .transpose()?;
        let plan = raw
            .plan
            .as_ref()
            .map(|p| self.plan(p, duration))
            .transpose()?;
        let prices = self.prices(&raw.prices, &policy)?;
        let tune = raw
            .tune
            .as_ref()
            .map(|t| self.tune(t, &groups, compare.as_ref()))
            .transpose()?;
        let sweep = raw
            .sweep
            .as_ref()
            .map(|w| self.sweep(w, &groups))
            .transpose()?;
        let mut thresholds = Vec::new();
        for (scope, terms) in &raw.thresholds {
            if scope != "total" && !groups.iter().any(|g| &g.name == scope) {
                let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
                return Err(self.err(
                    &format!("thresholds.{scope}"),
                    format!(
                        "no group is called {scope:?}: use `total` or one of {}",
                        names.join(", ")
                    ),
                ));
            }
            for (i, term) in terms.iter().enumerate() {
                let group = (scope != "total").then_some(scope.as_str());
                thresholds.push(
                    crate::threshold::Threshold::parse(group, term)
                        .map_err(|e| self.err(&format!("thresholds.{scope}[{i}]"), e))?,
                );
            }
        }
        Ok(Scenario {
            thresholds,
            prices,
            name,
            description: raw.description,
            path: self.path.to_path_buf(),
            seed,
            duration,
            drain,
            clock,
            interval,
            policy,
            service,
            keys,
            groups,
            compare,
            plan,
            tune,
            sweep,
        })
    }

    /// The start instant in Unix milliseconds. It must be a full date-time
    /// with an offset, at or after 1970-01-01T00:00:00Z once the offset is
    /// applied, and the run's last instant (`start + horizon`) must stay
    /// within the 64-bit count of Unix nanoseconds that headers and logs are
    /// computed in (up to 2554-07-21), so no timestamp ever wraps.
    fn start(&self, dt: &toml::value::Datetime, horizon: Nanos) -> Result<u64> {
        let (Some(date), Some(time), Some(offset)) = (dt.date, dt.time, dt.offset) else {
            return Err(self.err(
                "start",
                "expected a full date-time with a time zone, e.g. 2026-04-20T12:00:00Z",
            ));
        };
        let offset_min: i32 = match offset {
            toml::value::Offset::Z => 0,
            toml::value::Offset::Custom { minutes } => i32::from(minutes),
        };
        let civil = jiff::civil::DateTime::new(
            i16::try_from(date.year).unwrap_or(i16::MAX),
            date.month as i8,
            date.day as i8,
            time.hour as i8,
            time.minute as i8,
            time.second.min(59) as i8,
            time.nanosecond as i32,
        )
        .map_err(|e| self.err("start", format!("not a date-time: {e}")))?;
        let instant = jiff::tz::Offset::from_seconds(offset_min * 60)
            .and_then(|o| o.to_timestamp(civil))
            .map_err(|e| self.err("start", format!("not a date-time: {e}")))?;
        let ms = instant.as_millisecond();
        if ms < 0 {
            return Err(self.err(
                "start",
                "the start must be at or after 1970-01-01T00:00:00Z (with its offset applied)",
            ));
        }
        let last_ns = (ms as u128) * 1_000_000 + u128::from(horizon.0);
        if last_ns > u128::from(u64::MAX) {
            return Err(self.err(
                "start",
                "the run would end after 2554-07-21T23:34:33Z, past the 64-bit count of Unix nanoseconds timestamps are computed in; start earlier",
            ));
        }
        Ok(ms as u64)
    }
}

/// The name in serde's "unknown field `name`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(&rest[..rest.find('`')?])
}

/// serde's message in the scenario's words: Rust type names become what to
/// write, and an unknown key gets the closest expected one.
fn toml_message(message: &str) -> String {
    if message.contains("untagged enum RawSize") {
        return "expected a whole number of tokens, or a table such as { dist = \"lognormal\", median = 800, p95 = 4000 } (dist is constant, uniform or lognormal)".to_string();
    }
    let message = message
        .replace("expected i64", "expected a whole number")
        .replace("expected f64", "expected a number");
    let Some(name) = unknown_field(&message) else {
        return message;
    };
    let expected = message
        .split_once(", expected ")
        .map_or("", |(_, list)| list);
    let options: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let close: Vec<String> = close_matches(name, options.iter().copied())
        .iter()
        .map(|o| format!("`{o}`"))
        .collect();
    if close.is_empty() {
        return message;
    }
    format!(
        "unknown field `{name}`{}; expected {expected}",
        crate::suggest::did_you_mean(&close)
    )
}

/// The folder a scenario's outputs go to by default: reports/<name>/.
pub fn default_out_dir(scenario: &Scenario) -> PathBuf {
    PathBuf::from("reports").join(&scenario.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_of(text: &str) -> std::result::Result<Scenario, ScenarioError> {
        let toml = format!(
            "name = \"t\"\nstart = {text}\nduration = \"1h\"\n[[groups]]\nname = \"g\"\nmodel = \"llama-3.3-70b\"\narrival = {{ process = \"poisson\", rate = \"1/s\" }}\ninput_tokens = 10\noutput_tokens = 10\n"
        );
        crate::scenario::parse(&toml, std::path::Path::new("t.toml"))
    }

    #[test]
    fn start_instants_are_exact_and_bounded() {
        let sc = start_of("2026-04-20T12:00:00Z").unwrap();
        assert_eq!(sc.clock.start_unix_ms, DEFAULT_START_MS);
        let sc = start_of("2026-04-20T14:00:00.250+02:00").unwrap();
        assert_eq!(sc.clock.start_unix_ms, DEFAULT_START_MS + 250);
        let early = start_of("1970-01-01T00:30:00+01:00")
            .unwrap_err()
            .to_string();
        assert!(early.contains("at or after 1970"), "{early}");
        let late = start_of("2554-07-21T23:00:00Z").unwrap_err().to_string();
        assert!(late.contains("2554-07-21"), "{late}");
        assert!(start_of("2554-07-21T22:00:00Z").is_ok());
    }

    /// Names and keys are checked through sets, so a scenario with many
    /// groups validates in linear time (this took minutes when each group
    /// was compared with every earlier one).
    #[test]
    fn twenty_thousand_groups_validate_and_a_duplicate_is_located() {
        let group = |i: usize| {
            format!(
                "[[groups]]\nname = \"g{i}\"\nkey = \"k{i}\"\nmodel = \"llama-3.3-70b\"\narrival = {{ process = \"poisson\", rate = \"1/min\" }}\ninput_tokens = 10\noutput_tokens = 10\n"
            )
        };
        let mut text = String::from("duration = \"1m\"\n");
        for i in 0..20_000 {
            text.push_str(&group(i));
        }
        let sc = crate::scenario::parse(&text, Path::new("many.toml")).unwrap();
        assert_eq!((sc.groups.len(), sc.keys.len()), (20_000, 20_000));
        text.push_str(&group(7));
        let e = crate::scenario::parse(&text, Path::new("many.toml")).unwrap_err();
        assert_eq!(e.field, "groups[20000].name");
        assert_eq!(e.line, 1 + 20_000 * 7 + 2);
        assert!(e.message.contains("two groups are called \"g7\""), "{e}");
    }
}
