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
mod service;
mod workload;

use super::error::ScenarioError;
use super::locate::{line_col, line_text, span_of};
use super::raw::RawScenario;
use super::{Group, Scenario};
use crate::time::{Clock, Nanos};
use std::path::{Path, PathBuf};

/// Longest run a scenario may ask for.
const MAX_DURATION: Nanos = Nanos::from_secs(366 * 86_400);
/// Most time-series intervals a run may produce.
const MAX_INTERVALS: u64 = 10_000_000;
/// Default start instant: 2026-04-20T12:00:00Z.
const DEFAULT_START_MS: u64 = 1_776_686_400_000;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario> {
    let source = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        field: String::new(),
        message: format!("cannot read the scenario file: {e}"),
        source_line: None,
    })?;
    parse(&source, path)
}

/// Validates scenario `source`, read from `path` (used in messages and to
/// resolve trace paths).
pub fn parse(source: &str, path: &Path) -> Result<Scenario> {
    let v = Validator { src: source, path };
    let raw: RawScenario = toml::from_str(source).map_err(|e| v.toml_error(&e))?;
    v.scenario(raw)
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
            message,
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

    fn toml_error(&self, e: &toml::de::Error) -> ScenarioError {
        let span = e.span();
        let field = span
            .clone()
            .map(|s| self.src[s].trim().trim_matches('"').to_string())
            .filter(|f| f.len() < 40 && !f.contains('\n'))
            .unwrap_or_default();
        let message = e.message().trim().to_string();
        let message = if message.contains("untagged enum RawSize") {
            "expected a whole number of tokens, or a table such as { dist = \"lognormal\", median = 800, p95 = 4000 } (dist is constant, uniform or lognormal)".to_string()
        } else {
            message
        };
        self.at(span.map(|s| s.start), &field, message)
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
                Some(dt) => self.start(dt)?,
                None => DEFAULT_START_MS,
            },
        };
        let policy = self.policy(&raw.policy)?;
        let service = self.service(&raw.service, duration + drain)?;
        if raw.groups.is_empty() {
            return Err(self.err("groups", "the workload is empty: add at least one [[groups]] table with a model, an arrival process and a strategy"));
        }
        let mut keys: Vec<String> = Vec::new();
        for (i, k) in raw.keys.iter().enumerate() {
            if k.trim().is_empty() {
                return Err(self.err(&format!("keys[{i}]"), "a key name cannot be empty"));
            }
            if keys.contains(k) {
                return Err(self.err(&format!("keys[{i}]"), format!("key {k:?} is listed twice")));
            }
            keys.push(k.clone());
        }
        let declared_keys = !keys.is_empty();
        let mut groups = Vec::new();
        for (i, g) in raw.groups.iter().enumerate() {
            let group = self.group(i, g, &policy, &mut keys, declared_keys)?;
            if groups.iter().any(|o: &Group| o.name == group.name) {
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
        Ok(Scenario {
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
        })
    }

    fn start(&self, dt: &toml::value::Datetime) -> Result<u64> {
        let (Some(date), Some(time), Some(offset)) = (dt.date, dt.time, dt.offset) else {
            return Err(self.err(
                "start",
                "expected a full date-time with a time zone, e.g. 2026-04-20T12:00:00Z",
            ));
        };
        if date.year < 1970 {
            return Err(self.err("start", "the start must be after 1970"));
        }
        let days = days_from_civil(
            i64::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        );
        let offset_min: i64 = match offset {
            toml::value::Offset::Z => 0,
            toml::value::Offset::Custom { minutes } => i64::from(minutes),
        };
        let secs = days * 86_400
            + i64::from(time.hour) * 3600
            + i64::from(time.minute) * 60
            + i64::from(time.second)
            - offset_min * 60;
        Ok(secs as u64 * 1000 + u64::from(time.nanosecond / 1_000_000))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The folder a scenario's outputs go to by default: reports/<name>/.
pub fn default_out_dir(scenario: &Scenario) -> PathBuf {
    PathBuf::from("reports").join(&scenario.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            days_from_civil(2026, 4, 20) * 86_400_000 + 12 * 3_600_000,
            DEFAULT_START_MS as i64
        );
    }
}
