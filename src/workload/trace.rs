//! Replaying recorded traffic from a CSV trace, read as a stream.
//!
//! # The canonical trace format
//!
//! A CSV file with a header row. Columns are found by their header name, so
//! their order is free; columns with other names are ignored, which lets a
//! spreadsheet export keep its extra fields. Leading and trailing spaces
//! around cells and names are ignored.
//!
//! | column          | required | meaning                                                   |
//! |-----------------|----------|-----------------------------------------------------------|
//! | `arrival_s`     | yes      | seconds since the start of the trace, a non-negative decimal (`0`, `12.5`, `1e3`); rows must be in non-decreasing order |
//! | `key`           | yes      | the API key's name; a name not declared in the scenario becomes a new key |
//! | `model`         | yes      | a model id from the scenario's model catalogue            |
//! | `input_tokens`  | yes      | prompt tokens, a whole number                             |
//! | `output_tokens` | yes      | tokens the model generates when the request succeeds, a whole number |
//! | `max_tokens`    | no       | the request's `max_tokens`, a whole number; an empty cell means the request set none |
//!
//! ```text
//! arrival_s,key,model,input_tokens,output_tokens,max_tokens
//! 0.000,batch,llama-3.3-70b,1200,350,1024
//! 0.250,batch,llama-3.3-70b,800,120,
//! 0.250,agent,zai-org-glm-5,15000,900,4096
//! ```
//!
//! Every row must have as many cells as the header. Errors name the file, the
//! 1-based line and column, the field and what was expected, e.g.
//! `trace.csv:14:3: field `model`: unknown model "gpt-5"`.
//!
//! # Why a stream
//!
//! A day of production traffic is millions of rows. The reader holds one
//! reused record buffer and looks names up by comparing bytes, so memory stays
//! flat and rows cost no allocation; the engine pulls the next row only when
//! the previous arrival has been scheduled.

use std::fmt;
use std::io::Read;
use std::num::IntErrorKind;
use std::path::{Path, PathBuf};

use crate::policy::{KeyId, ModelId};
use crate::suggest::{close_matches, did_you_mean};
use crate::time::Nanos;

const ARRIVAL_S: &str = "arrival_s";
const KEY: &str = "key";
const MODEL: &str = "model";
const INPUT_TOKENS: &str = "input_tokens";
const OUTPUT_TOKENS: &str = "output_tokens";
const MAX_TOKENS: &str = "max_tokens";
const REQUIRED: [&str; 5] = [ARRIVAL_S, KEY, MODEL, INPUT_TOKENS, OUTPUT_TOKENS];

/// One request of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRow {
    pub at: Nanos,
    pub key: KeyId,
    pub model: ModelId,
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub max_tokens: Option<u32>,
}

/// A trace that cannot be read, located as precisely as possible.
#[derive(Debug, thiserror::Error)]
pub struct TraceError {
    pub path: PathBuf,
    /// 1-based line of the file.
    pub line: u64,
    /// 1-based column, when one cell is at fault.
    pub column: Option<usize>,
    /// The column's canonical name, when one cell is at fault.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)?;
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Positions (0-based) of the columns the reader uses.
#[derive(Clone, Copy, Debug)]
struct Columns {
    arrival_s: usize,
    key: usize,
    model: usize,
    input_tokens: usize,
    output_tokens: usize,
    max_tokens: Option<usize>,
}

/// Reads [`TraceRow`]s one at a time. After the first error it yields nothing
/// more.
pub struct TraceReader<R: Read> {
    csv: csv::Reader<R>,
    record: csv::ByteRecord,
    path: PathBuf,
    columns: Columns,
    models: Vec<String>,
    keys: Vec<String>,
    /// Arrival time, seconds as written and line of the previous row.
    previous: Option<(Nanos, f64, u64)>,
    done: bool,
}

impl<R: Read> TraceReader<R> {
    /// Reads the header. `models` are the known model ids in [`ModelId`]
    /// order; `keys` the known key names in [`KeyId`] order. A key name the
    /// trace uses that is not in `keys` is appended and gets the next id (see
    /// [`TraceReader::keys`]). `path` only labels errors.
    pub fn new(
        reader: R,
        path: PathBuf,
        models: Vec<String>,
        keys: Vec<String>,
    ) -> Result<Self, TraceError> {
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let header = match csv.byte_headers() {
            Ok(header) => header.clone(),
            Err(e) => return Err(csv_error(&path, e)),
        };
        let line = header.position().map_or(1, csv::Position::line);
        let header_error = |message: String| TraceError {
            path: path.clone(),
            line,
            column: None,
            field: None,
            message,
        };
        let find = |name: &str| -> Result<Option<usize>, TraceError> {
            let mut found = header
                .iter()
                .enumerate()
                .filter(|(_, cell)| *cell == name.as_bytes());
            match (found.next(), found.next()) {
                (None, _) => Ok(None),
                (Some((i, _)), None) => Ok(Some(i)),
                (Some((i, _)), Some((j, _))) => Err(header_error(format!(
                    "column `{name}` appears twice (columns {} and {}); keep one",
                    i + 1,
                    j + 1
                ))),
            }
        };
        let required = |name: &str| -> Result<usize, TraceError> {
            find(name)?.ok_or_else(|| {
                let names: Vec<String> = header
                    .iter()
                    .map(|cell| String::from_utf8_lossy(cell).into_owned())
                    .collect();
                let suggestions = close_matches(name, names.iter().map(String::as_str));
                header_error(format!(
                    "missing required column `{name}`{}; a trace needs the columns {}",
                    did_you_mean(&suggestions),
                    REQUIRED.join(", ")
                ))
            })
        };
        let columns = Columns {
            arrival_s: required(ARRIVAL_S)?,
            key: required(KEY)?,
            model: required(MODEL)?,
            input_tokens: required(INPUT_TOKENS)?,
            output_tokens: required(OUTPUT_TOKENS)?,
            max_tokens: find(MAX_TOKENS)?,
        };
        Ok(TraceReader {
            csv,
            record: csv::ByteRecord::new(),
            path,
            columns,
            models,
            keys,
            previous: None,
            done: false,
        })
    }

    /// Every key name in [`KeyId`] order: the known ones, then those the trace
    /// introduced so far, in order of first appearance.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    fn parse_row(&mut self) -> Result<TraceRow, TraceError> {
        let line = self.record.position().map_or(0, csv::Position::line);
        let c = self.columns;
        let cell = |i: usize| self.record.get(i).unwrap_or_default();
        let err = |column: usize, field: &str, message: String| TraceError {
            path: self.path.clone(),
            line,
            column: Some(column + 1),
            field: Some(field.to_string()),
            message,
        };

        let seconds =
            parse_seconds(cell(c.arrival_s)).map_err(|m| err(c.arrival_s, ARRIVAL_S, m))?;
        let at = Nanos::from_secs_f64(seconds);
        if let Some((previous_at, previous_seconds, previous_line)) = self.previous {
            if at < previous_at {
                return Err(err(
                    c.arrival_s,
                    ARRIVAL_S,
                    format!(
                        "arrival_s {seconds:?} is before the previous row's {previous_seconds:?} \
                         (line {previous_line}); the trace must be sorted by time"
                    ),
                ));
            }
        }

        let model_name = name(cell(c.model)).map_err(|m| err(c.model, MODEL, m))?;
        let model = match self.models.iter().position(|m| m == model_name) {
            Some(i) => i as ModelId,
            None => {
                let suggestions = close_matches(model_name, self.models.iter().map(String::as_str));
                return Err(err(
                    c.model,
                    MODEL,
                    format!("unknown model {model_name:?}{}", did_you_mean(&suggestions)),
                ));
            }
        };

        let key_name = name(cell(c.key)).map_err(|m| err(c.key, KEY, m))?;
        let key = match self.keys.iter().position(|k| k == key_name) {
            Some(i) => i,
            None => {
                self.keys.push(key_name.to_string());
                self.keys.len() - 1
            }
        } as KeyId;

        let input_tokens =
            parse_tokens(cell(c.input_tokens)).map_err(|m| err(c.input_tokens, INPUT_TOKENS, m))?;
        let output_tokens = parse_tokens(cell(c.output_tokens))
            .map_err(|m| err(c.output_tokens, OUTPUT_TOKENS, m))?;
        let max_tokens = match c.max_tokens {
            Some(i) if !cell(i).is_empty() => {
                Some(parse_tokens(cell(i)).map_err(|m| err(i, MAX_TOKENS, m))?)
            }
            _ => None,
        };

        self.previous = Some((at, seconds, line));
        Ok(TraceRow {
            at,
            key,
            model,
            input_tokens,
            output_tokens,
            max_tokens,
        })
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<TraceRow, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let row = match self.csv.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                return None;
            }
            Ok(true) => self.parse_row(),
            Err(e) => Err(csv_error(&self.path, e)),
        };
        self.done = row.is_err();
        Some(row)
    }
}

impl<R: Read> std::iter::FusedIterator for TraceReader<R> {}

/// A CSV-level error (a row of the wrong width, an I/O failure).
fn csv_error(path: &Path, e: csv::Error) -> TraceError {
    let line = e.position().map_or(0, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("this row has {len} cells but the header has {expected_len}"),
        csv::ErrorKind::Io(io) => format!("cannot read the trace: {io}"),
        _ => e.to_string(),
    };
    TraceError {
        path: path.to_path_buf(),
        line,
        column: None,
        field: None,
        message,
    }
}

/// A cell as text, for error messages.
/// A cell as quoted in an error: at most a short excerpt of a huge one.
fn shown(cell: &[u8]) -> String {
    format!(
        "{:?}",
        crate::suggest::excerpt(&String::from_utf8_lossy(cell))
    )
}

fn parse_seconds(cell: &[u8]) -> Result<f64, String> {
    let expected = || {
        format!(
            "expected a non-negative number of seconds, found {}",
            shown(cell)
        )
    };
    let seconds: f64 = std::str::from_utf8(cell)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(expected)?;
    if !seconds.is_finite() {
        return Err(expected());
    }
    if seconds < 0.0 {
        return Err(format!(
            "arrival_s {seconds:?} is negative; expected a non-negative number of seconds"
        ));
    }
    Ok(seconds)
}

fn parse_tokens(cell: &[u8]) -> Result<u32, String> {
    let text = std::str::from_utf8(cell)
        .map_err(|_| format!("expected a whole number of tokens, found {}", shown(cell)))?;
    text.parse()
        .map_err(|e: std::num::ParseIntError| match e.kind() {
            IntErrorKind::PosOverflow => format!(
                "expected a whole number of tokens up to {}, found {}",
                u32::MAX,
                shown(cell)
            ),
            _ => format!("expected a whole number of tokens, found {}", shown(cell)),
        })
}

/// A key or model name: non-empty UTF-8.
fn name(cell: &[u8]) -> Result<&str, String> {
    match std::str::from_utf8(cell) {
        Ok("") => Err("the cell is empty; expected a name".to_string()),
        Ok(text) => Ok(text),
        Err(_) => Err(format!("{} is not valid UTF-8", shown(cell))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(csv: &str) -> TraceReader<&[u8]> {
        try_reader(csv).unwrap()
    }

    fn try_reader(csv: &str) -> Result<TraceReader<&[u8]>, TraceError> {
        TraceReader::new(
            csv.as_bytes(),
            PathBuf::from("trace.csv"),
            vec!["llama-3.3-70b".into(), "zai-org-glm-5".into()],
            vec!["batch".into()],
        )
    }

    /// The error a trace ends with, as displayed.
    fn first_error(csv: &str) -> String {
        let mut rows = reader(csv);
        let error = rows.by_ref().find_map(Result::err).expect("an error");
        assert!(rows.next().is_none(), "the reader stops after an error");
        error.to_string()
    }

    const HEADER: &str = "arrival_s,key,model,input_tokens,output_tokens,max_tokens\n";

    #[test]
    fn reads_good_rows() {
        let csv = format!(
            "{HEADER}0,batch,llama-3.3-70b,1200,350,1024\n0.25, batch ,zai-org-glm-5,800,120,\n"
        );
        let rows: Vec<TraceRow> = reader(&csv).map(Result::unwrap).collect();
        assert_eq!(
            rows,
            [
                TraceRow {
                    at: Nanos::ZERO,
                    key: 0,
                    model: 0,
                    input_tokens: 1200,
                    output_tokens: 350,
                    max_tokens: Some(1024),
                },
                TraceRow {
                    at: Nanos::from_millis(250),
                    key: 0,
                    model: 1,
                    input_tokens: 800,
                    output_tokens: 120,
                    max_tokens: None,
                },
            ]
        );
    }

    #[test]
    fn new_keys_are_appended_in_order_of_appearance() {
        let csv = format!(
            "{HEADER}1,agent,llama-3.3-70b,1,1,\n2,batch,llama-3.3-70b,1,1,\n3,cron,llama-3.3-70b,1,1,\n4,agent,llama-3.3-70b,1,1,\n"
        );
        let mut rows = reader(&csv);
        let keys: Vec<KeyId> = rows.by_ref().map(|r| r.unwrap().key).collect();
        assert_eq!(keys, [1, 0, 2, 1]);
        assert_eq!(rows.keys(), ["batch", "agent", "cron"]);
    }

    #[test]
    fn column_order_is_free_and_extra_columns_are_ignored() {
        let csv = "status,output_tokens,model,note,input_tokens,key,arrival_s\n\
                   200,7,zai-org-glm-5,hello,5,batch,1.5\n";
        let row = reader(csv).next().unwrap().unwrap();
        assert_eq!(
            row,
            TraceRow {
                at: Nanos(1_500_000_000),
                key: 0,
                model: 1,
                input_tokens: 5,
                output_tokens: 7,
                max_tokens: None,
            }
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let e = try_reader("arrival,key,model,input_tokens,output_tokens\n")
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "trace.csv:1: missing required column `arrival_s` (did you mean arrival?); \
             a trace needs the columns arrival_s, key, model, input_tokens, output_tokens"
        );
        let e = try_reader("").err().unwrap();
        assert!(
            e.to_string()
                .starts_with("trace.csv:1: missing required column `arrival_s`"),
            "{e}"
        );
    }

    #[test]
    fn a_duplicated_column_is_rejected() {
        let e = try_reader("arrival_s,key,model,model,input_tokens,output_tokens\n")
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "trace.csv:1: column `model` appears twice (columns 3 and 4); keep one"
        );
    }

    #[test]
    fn malformed_cells_are_located() {
        let cases = [
            (
                "x,batch,llama-3.3-70b,1,1,",
                "trace.csv:2:1: field `arrival_s`: expected a non-negative number of seconds, found \"x\"",
            ),
            (
                "NaN,batch,llama-3.3-70b,1,1,",
                "trace.csv:2:1: field `arrival_s`: expected a non-negative number of seconds, found \"NaN\"",
            ),
            (
                "-1.5,batch,llama-3.3-70b,1,1,",
                "trace.csv:2:1: field `arrival_s`: arrival_s -1.5 is negative; expected a non-negative number of seconds",
            ),
            (
                "1,batch,llama-3.3-70b,12.5,1,",
                "trace.csv:2:4: field `input_tokens`: expected a whole number of tokens, found \"12.5\"",
            ),
            (
                "1,batch,llama-3.3-70b,1,-3,",
                "trace.csv:2:5: field `output_tokens`: expected a whole number of tokens, found \"-3\"",
            ),
            (
                "1,batch,llama-3.3-70b,1,1,5000000000",
                "trace.csv:2:6: field `max_tokens`: expected a whole number of tokens up to 4294967295, found \"5000000000\"",
            ),
            (
                "1,,llama-3.3-70b,1,1,",
                "trace.csv:2:2: field `key`: the cell is empty; expected a name",
            ),
            (
                "1,batch,llama-3.3-70,1,1,",
                "trace.csv:2:3: field `model`: unknown model \"llama-3.3-70\" (did you mean llama-3.3-70b?)",
            ),
            (
                "1,batch,gpt-5,1,1,",
                "trace.csv:2:3: field `model`: unknown model \"gpt-5\"",
            ),
            (
                "1,batch,llama-3.3-70b,1,1",
                "trace.csv:2: this row has 5 cells but the header has 6",
            ),
        ];
        for (row, expected) in cases {
            assert_eq!(first_error(&format!("{HEADER}{row}\n")), expected);
        }
    }

    #[test]
    fn rows_out_of_order_are_rejected_with_both_lines() {
        let csv = format!(
            "{HEADER}1,batch,llama-3.3-70b,1,1,\n13.0,batch,llama-3.3-70b,1,1,\n13.0,batch,llama-3.3-70b,1,1,\n12.5,batch,llama-3.3-70b,1,1,\n"
        );
        assert_eq!(
            first_error(&csv),
            "trace.csv:5:1: field `arrival_s`: arrival_s 12.5 is before the previous row's 13.0 \
             (line 4); the trace must be sorted by time"
        );
    }

    #[test]
    fn line_numbers_count_file_lines() {
        // A quoted cell spanning two lines shifts the next row's line number.
        let csv = format!("{HEADER}1,\"batch\",llama-3.3-70b,1,1,\n2,\"new\nkey\",llama-3.3-70b,1,1,\n3,batch,nope,1,1,\n");
        assert!(
            first_error(&csv).starts_with("trace.csv:5:3:"),
            "{}",
            first_error(&csv)
        );
    }

    /// A trace of `rows` generated rows, produced as it is read.
    struct Generated {
        next_row: u64,
        rows: u64,
        line: Vec<u8>,
        offset: usize,
    }

    impl Read for Generated {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.offset == self.line.len() {
                self.line.clear();
                self.offset = 0;
                if self.next_row == 0 {
                    self.line.extend_from_slice(HEADER.as_bytes());
                } else if self.next_row <= self.rows {
                    let n = self.next_row;
                    let model = ["llama-3.3-70b", "zai-org-glm-5"][(n % 2) as usize];
                    let line = format!(
                        "{}.{:03},key-{},{model},{},{},\n",
                        n / 1000,
                        n % 1000,
                        n % 7,
                        n % 5000,
                        n % 300
                    );
                    self.line.extend_from_slice(line.as_bytes());
                }
                self.next_row += 1;
            }
            let n = buf.len().min(self.line.len() - self.offset);
            buf[..n].copy_from_slice(&self.line[self.offset..self.offset + n]);
            self.offset += n;
            Ok(n)
        }
    }

    #[test]
    fn a_million_rows_stream_through() {
        let source = Generated {
            next_row: 0,
            rows: 1_000_000,
            line: Vec::new(),
            offset: 0,
        };
        let models = vec!["llama-3.3-70b".into(), "zai-org-glm-5".into()];
        let mut rows =
            TraceReader::new(source, PathBuf::from("big.csv"), models, Vec::new()).unwrap();
        let (mut count, mut tokens) = (0u64, 0u64);
        let mut last = Nanos::ZERO;
        for row in rows.by_ref() {
            let row = row.unwrap();
            count += 1;
            tokens += u64::from(row.input_tokens);
            last = row.at;
        }
        assert_eq!(count, 1_000_000);
        assert_eq!(last, Nanos::from_secs(1000));
        assert_eq!(tokens, (1..=1_000_000u64).map(|n| n % 5000).sum::<u64>());
        assert_eq!(rows.keys().len(), 7);
    }
}
