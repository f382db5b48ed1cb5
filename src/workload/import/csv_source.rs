//! The CSV formats, read through one table of which columns mean what.
//!
//! The canonical trace, LiteLLM's CSV export and Helicone's CSV export differ
//! only in column names, in how time is written and in how strict they are
//! about blanks, so one reader serves all three from a [`CsvSpec`]. Columns
//! are found by header name (order is free, other columns are ignored); a
//! role may list several names, and each row uses the first of them whose
//! cell is not blank (LiteLLM's key is `api_key`, else `user`).

use std::io::Read;

use super::fields::{failed_status_text, token_text};
use super::timestamp::parse_timestamp;
use super::{RecordBuf, RecordError, RecordSource};
use crate::suggest::{close_matches, did_you_mean, or_list};
use crate::time::Nanos;

/// How a format writes its times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimeKind {
    /// Seconds since the trace start, a non-negative decimal (the canonical `arrival_s`).
    RelativeSeconds,
    /// A date-time or epoch number (see [`parse_timestamp`]).
    Timestamp,
}

/// The columns that can fill one field, in order of preference.
#[derive(Clone, Copy, Debug)]
pub(super) struct Role {
    pub names: &'static [&'static str],
    pub required: bool,
}

pub(super) const fn required(names: &'static [&'static str]) -> Role {
    Role {
        names,
        required: true,
    }
}

pub(super) const fn optional(names: &'static [&'static str]) -> Role {
    Role {
        names,
        required: false,
    }
}

/// What a CSV format's columns mean.
#[derive(Debug)]
pub(super) struct CsvSpec {
    /// "a canonical trace", "a LiteLLM spend log", ... for messages.
    pub what: &'static str,
    pub time: Role,
    pub time_kind: TimeKind,
    pub key: Role,
    pub model: Role,
    pub input_tokens: Role,
    pub output_tokens: Role,
    pub max_tokens: Role,
    pub status: Role,
    /// The canonical rules: blank token cells, blank keys and decimals like
    /// `12.0` are errors. Foreign exports write blanks for "none" (zero tokens,
    /// no key) and spreadsheets turn integers into `12.0`, so they are lenient.
    pub strict: bool,
}

impl CsvSpec {
    fn roles(&self) -> [Role; 7] {
        [
            self.time,
            self.key,
            self.model,
            self.input_tokens,
            self.output_tokens,
            self.max_tokens,
            self.status,
        ]
    }
}

const TIME: usize = 0;
const KEY: usize = 1;
const MODEL: usize = 2;
const INPUT: usize = 3;
const OUTPUT: usize = 4;
const MAX: usize = 5;
const STATUS: usize = 6;

/// A column: 0-based position and its name.
type Column = (usize, &'static str);

pub(super) struct CsvSource<R> {
    csv: csv::Reader<R>,
    record: csv::ByteRecord,
    spec: &'static CsvSpec,
    /// For each role, the columns of its names present in the header.
    columns: [Vec<Column>; 7],
}

/// Opens a CSV trace described by `spec`, reading its header.
pub(super) fn open<R: Read>(
    reader: R,
    spec: &'static CsvSpec,
) -> Result<CsvSource<R>, RecordError> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = csv.byte_headers().map_err(csv_error)?.clone();
    let line = header.position().map_or(1, csv::Position::line);
    let names: Vec<String> = header
        .iter()
        .map(|cell| String::from_utf8_lossy(cell).into_owned())
        .collect();
    let mut columns: [Vec<Column>; 7] = Default::default();
    for (role, found) in spec.roles().iter().zip(&mut columns) {
        for &name in role.names {
            let mut at = names.iter().enumerate().filter(|(_, n)| *n == name);
            match (at.next(), at.next()) {
                (Some((i, _)), None) => found.push((i, name)),
                (Some((i, _)), Some((j, _))) => {
                    return Err(RecordError::fatal(
                        line,
                        format!(
                            "column `{name}` appears twice (columns {} and {}); keep one",
                            i + 1,
                            j + 1
                        ),
                    ))
                }
                (None, _) => {}
            }
        }
        if role.required && found.is_empty() {
            let wanted = role.names[0];
            let also = match &role.names[1..] {
                [] => String::new(),
                others => format!(
                    " (or {})",
                    or_list(&others.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>())
                ),
            };
            let suggestions = close_matches(wanted, names.iter().map(String::as_str));
            let needed: Vec<&str> = spec
                .roles()
                .iter()
                .filter(|r| r.required)
                .map(|r| r.names[0])
                .collect();
            return Err(RecordError::fatal(
                line,
                format!(
                    "missing required column `{wanted}`{also}{}; {} needs the columns {}",
                    did_you_mean(&suggestions),
                    spec.what,
                    needed.join(", ")
                ),
            ));
        }
    }
    Ok(CsvSource {
        csv,
        record: csv::ByteRecord::new(),
        spec,
        columns,
    })
}

/// A CSV-level error: a row of the wrong width can be skipped, anything else
/// (I/O) ends the file.
fn csv_error(e: csv::Error) -> RecordError {
    let line = e.position().map_or(0, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => RecordError {
            line,
            column: None,
            field: None,
            message: format!("this row has {len} cells but the header has {expected_len}"),
            fatal: false,
        },
        csv::ErrorKind::Io(io) => RecordError::fatal(line, format!("cannot read the trace: {io}")),
        _ => RecordError::fatal(line, e.to_string()),
    }
}

impl<R: Read> CsvSource<R> {
    /// The first non-blank cell of `role`, as (column, text); `None` when the
    /// role's columns are absent or all blank.
    fn cell(&self, role: usize, line: u64) -> Result<Option<(Column, &str)>, RecordError> {
        for &(i, name) in &self.columns[role] {
            let bytes = self.record.get(i).unwrap_or_default();
            if bytes.is_empty() {
                continue;
            }
            return match std::str::from_utf8(bytes) {
                Ok(text) => Ok(Some(((i, name), text))),
                Err(_) => Err(RecordError::field(
                    line,
                    Some(i + 1),
                    name,
                    format!("{:?} is not valid UTF-8", String::from_utf8_lossy(bytes)),
                )),
            };
        }
        Ok(None)
    }

    /// The first column of `role`, for locating a blank field.
    fn first_column(&self, role: usize) -> Option<Column> {
        self.columns[role].first().copied()
    }

    fn parse(&self, out: &mut RecordBuf) -> Result<(), RecordError> {
        let line = self.record.position().map_or(0, csv::Position::line);
        let spec = self.spec;
        let at = |(i, name): Column, message: String| {
            RecordError::field(line, Some(i + 1), name, message)
        };
        out.line = line;
        out.path.clear();

        let time_column = self.first_column(TIME).expect("time is a required column");
        let (time_column, time_text) = self.cell(TIME, line)?.unwrap_or((time_column, ""));
        out.time = match spec.time_kind {
            TimeKind::RelativeSeconds => parse_seconds(time_column.1, time_text),
            TimeKind::Timestamp => parse_timestamp(time_text),
        }
        .map_err(|m| at(time_column, m))?;
        out.time_at = (Some(time_column.0 + 1), time_column.1);

        out.key.clear();
        match self.cell(KEY, line)? {
            Some((_, text)) => out.key.push_str(text),
            None if spec.strict => {
                let column = self.first_column(KEY).expect("key is required when strict");
                return Err(at(column, "the cell is empty; expected a name".to_string()));
            }
            None => {}
        }

        out.model.clear();
        let model_column = self
            .first_column(MODEL)
            .expect("model is a required column");
        out.model_at = match self.cell(MODEL, line)? {
            Some((column, text)) => {
                out.model.push_str(text);
                (Some(column.0 + 1), column.1)
            }
            None => (Some(model_column.0 + 1), model_column.1),
        };

        let tokens = |role: usize| -> Result<Option<u32>, RecordError> {
            match self.cell(role, line)? {
                Some((column, text)) => token_text(text, !spec.strict)
                    .map(Some)
                    .map_err(|m| at(column, m)),
                None => match self.first_column(role) {
                    Some(column) if spec.strict && role != MAX => Err(at(
                        column,
                        "expected a whole number of tokens, found \"\"".to_string(),
                    )),
                    _ => Ok(None),
                },
            }
        };
        out.input_tokens = tokens(INPUT)?.unwrap_or(0);
        out.output_tokens = tokens(OUTPUT)?.unwrap_or(0);
        out.max_tokens = tokens(MAX)?;
        out.failed = self
            .cell(STATUS, line)?
            .is_some_and(|(_, text)| failed_status_text(text));
        Ok(())
    }
}

impl<R: Read> RecordSource for CsvSource<R> {
    fn next_record(&mut self, out: &mut RecordBuf) -> Option<Result<(), RecordError>> {
        match self.csv.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => Some(self.parse(out)),
            Err(e) => Some(Err(csv_error(e))),
        }
    }
}

/// Relative seconds, read exactly as the canonical [`crate::workload::TraceReader`]
/// reads them (an `f64` rounded to the nanosecond), so both readers agree.
fn parse_seconds(field: &str, text: &str) -> Result<u64, String> {
    let expected = || {
        format!(
            "expected a non-negative number of seconds, found {:?}",
            crate::suggest::excerpt(text)
        )
    };
    let seconds: f64 = text.parse().map_err(|_| expected())?;
    if !seconds.is_finite() {
        return Err(expected());
    }
    if seconds < 0.0 {
        return Err(format!(
            "{field} {seconds:?} is negative; expected a non-negative number of seconds"
        ));
    }
    Ok(Nanos::from_secs_f64(seconds).0)
}
