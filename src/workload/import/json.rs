//! Cutting a JSON file into records without loading it whole.
//!
//! Exports come in two layouts: one big array (`[{...}, {...}]`, what
//! LiteLLM's `/spend/logs` and Helicone's JSON export write) or one value per
//! line (JSON Lines: OpenAI batch files, Helicone's JSONL export, the
//! OpenTelemetry collector's file exporter). serde_json's `StreamDeserializer`
//! handles the second but not the first, so this scanner does both: it finds
//! where each top-level value (or each element of a top-level array) starts
//! and ends by counting brackets outside strings, copies that one value into a
//! reused buffer and hands it to serde. Memory is bounded by the largest
//! single record, whatever the file size, and every record knows the line it
//! starts on.
//!
//! The first significant byte decides the layout: `[` is an array of records,
//! anything else a sequence of values. A syntax error *inside* a record is the
//! record's own (serde reports it, and the record can be skipped); an error in
//! the structure between records (an unterminated string, a missing comma, a
//! file cut short) ends the file, since the next record's start is unknown.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use super::{RecordBuf, RecordError, RecordSource};

/// One record's text.
pub(super) struct RawRecord<'b> {
    /// 0-based position among the file's records.
    pub index: u64,
    /// 1-based line its first byte is on.
    pub line: u64,
    pub bytes: &'b [u8],
    /// Whether it is an element of a top-level array (its path starts `[index]`).
    pub in_array: bool,
}

/// Why the file cannot be cut into records (never recoverable).
#[derive(Debug)]
pub(super) struct ScanError {
    pub line: u64,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    /// Inside a top-level array; `first` until the first element is read.
    Array {
        first: bool,
    },
    Values,
    Done,
}

pub(super) struct JsonRecords<R> {
    reader: R,
    /// Line of the next unread byte.
    line: u64,
    state: State,
    buf: Vec<u8>,
    index: u64,
}

impl<R: BufRead> JsonRecords<R> {
    pub(super) fn new(reader: R) -> Self {
        JsonRecords {
            reader,
            line: 1,
            state: State::Start,
            buf: Vec::new(),
            index: 0,
        }
    }

    /// The next record, `None` at the end of the file. After an error, `None`.
    pub(super) fn next_record(&mut self) -> Option<Result<RawRecord<'_>, ScanError>> {
        match self.advance() {
            Ok(Some((line, in_array))) => {
                let index = self.index;
                self.index += 1;
                Some(Ok(RawRecord {
                    index,
                    line,
                    bytes: &self.buf,
                    in_array,
                }))
            }
            Ok(None) => {
                self.state = State::Done;
                None
            }
            Err(e) => {
                self.state = State::Done;
                Some(Err(e))
            }
        }
    }

    /// Reads the next record into `buf`: `Some((line, in_array))`, or `None` at the end.
    fn advance(&mut self) -> Result<Option<(u64, bool)>, ScanError> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => {
                    self.skip_bom()?;
                    self.skip_whitespace()?;
                    match self.peek()? {
                        None => return Ok(None),
                        Some(b'[') => {
                            self.reader.consume(1);
                            self.state = State::Array { first: true };
                        }
                        Some(_) => self.state = State::Values,
                    }
                }
                State::Values => {
                    self.skip_whitespace()?;
                    if self.peek()?.is_none() {
                        return Ok(None);
                    }
                    let line = self.line;
                    self.read_value()?;
                    return Ok(Some((line, false)));
                }
                State::Array { first } => {
                    self.skip_whitespace()?;
                    match self.peek()? {
                        None => {
                            return Err(self
                                .error("the file ends inside the top-level list (no closing `]`)"))
                        }
                        Some(b']') => {
                            self.reader.consume(1);
                            self.skip_whitespace()?;
                            if self.peek()?.is_some() {
                                return Err(
                                    self.error("unexpected text after the closing `]` of the list")
                                );
                            }
                            return Ok(None);
                        }
                        Some(b',') if !first => {
                            self.reader.consume(1);
                            self.skip_whitespace()?;
                            if self.peek()? == Some(b']') {
                                // A trailing comma: tolerated, the list ends next.
                                continue;
                            }
                        }
                        Some(_) if !first => {
                            return Err(self.error("expected `,` or `]` between records"));
                        }
                        Some(_) => {}
                    }
                    self.state = State::Array { first: false };
                    let line = self.line;
                    self.read_value()?;
                    return Ok(Some((line, true)));
                }
            }
        }
    }

    fn error(&self, message: &str) -> ScanError {
        ScanError {
            line: self.line,
            message: message.to_string(),
        }
    }

    fn io_error(&self, e: io::Error) -> ScanError {
        ScanError {
            line: self.line,
            message: format!("cannot read the file: {e}"),
        }
    }

    fn fill(&mut self) -> Result<&[u8], ScanError> {
        let line = self.line;
        self.reader.fill_buf().map_err(|e| ScanError {
            line,
            message: format!("cannot read the file: {e}"),
        })
    }

    fn peek(&mut self) -> Result<Option<u8>, ScanError> {
        Ok(self.fill()?.first().copied())
    }

    fn skip_bom(&mut self) -> Result<(), ScanError> {
        let bytes = self.fill()?;
        if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.reader.consume(3);
        }
        Ok(())
    }

    fn skip_whitespace(&mut self) -> Result<(), ScanError> {
        loop {
            let bytes = self.fill()?;
            if bytes.is_empty() {
                return Ok(());
            }
            let n = bytes
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(bytes.len());
            let newlines = bytes[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            self.reader.consume(n);
            self.line += newlines;
            if n == 0 {
                return Ok(());
            }
        }
    }

    /// Copies one JSON value into `buf`: a bracketed value up to its matching
    /// bracket, a string up to its closing quote, or a bare scalar up to the
    /// next delimiter.
    fn read_value(&mut self) -> Result<(), ScanError> {
        self.buf.clear();
        let start_line = self.line;
        let mut scan = Scan::default();
        loop {
            let bytes = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(e)),
            };
            if bytes.is_empty() {
                if scan.started && scan.depth == 0 && !scan.in_string {
                    // A bare scalar that ends the file.
                    return Ok(());
                }
                return Err(ScanError {
                    line: self.line,
                    message: format!(
                        "the file ends inside the JSON value that starts on line {start_line}"
                    ),
                });
            }
            let end = scan.feed(bytes);
            let n = end.unwrap_or(bytes.len());
            self.buf.extend_from_slice(&bytes[..n]);
            self.line += bytes[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            self.reader.consume(n);
            if end.is_some() {
                return Ok(());
            }
        }
    }
}

/// Where the scan of one value stands between reads.
#[derive(Default)]
struct Scan {
    started: bool,
    /// Open brackets; 0 for a bare scalar or a top-level string.
    depth: u32,
    in_string: bool,
    /// The previous chunk ended on a backslash inside a string.
    escaped: bool,
}

impl Scan {
    /// Scans `bytes`, the next part of the value: the length of the value's
    /// last part when it ends in `bytes`. Runs of ordinary bytes are skipped
    /// with one search each rather than a step of the state machine per byte.
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut i = 0;
        if !self.started {
            self.started = true;
            match bytes[0] {
                b'{' | b'[' => self.depth = 1,
                b'"' => self.in_string = true,
                _ => {}
            }
            i = 1;
        }
        while i < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match bytes[i..].iter().position(|&b| b == b'"' || b == b'\\') {
                    None => return None,
                    Some(p) if bytes[i + p] == b'\\' => {
                        self.escaped = true;
                        i += p + 1;
                    }
                    Some(p) => {
                        self.in_string = false;
                        i += p + 1;
                        if self.depth == 0 {
                            return Some(i);
                        }
                    }
                }
            } else if self.depth == 0 {
                // A bare scalar (number, true, false, null) ends at a delimiter.
                return bytes[i..]
                    .iter()
                    .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}'))
                    .map(|p| i + p);
            } else {
                let p = bytes[i..]
                    .iter()
                    .position(|b| matches!(b, b'"' | b'{' | b'[' | b'}' | b']'))?;
                i += p;
                match bytes[i] {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    _ => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            return Some(i + 1);
                        }
                    }
                }
                i += 1;
            }
        }
        None
    }
}

/// A JSON format: turns one top-level record into requests.
pub(super) trait JsonFormat {
    /// Appends the requests of `raw` (or their errors) to `out`.
    fn parse(&mut self, raw: &RawRecord<'_>, out: &mut VecDeque<Result<RecordBuf, RecordError>>);

    /// Records passed over because they are not requests.
    fn not_requests(&self) -> u64 {
        0
    }
}

/// A [`RecordSource`] over a JSON file in format `F`.
pub(super) struct JsonSource<R, F> {
    records: JsonRecords<R>,
    format: F,
    queue: VecDeque<Result<RecordBuf, RecordError>>,
}

impl<R: BufRead, F: JsonFormat> JsonSource<R, F> {
    pub(super) fn new(reader: R, format: F) -> Self {
        JsonSource {
            records: JsonRecords::new(reader),
            format,
            queue: VecDeque::new(),
        }
    }
}

impl<R: BufRead, F: JsonFormat> RecordSource for JsonSource<R, F> {
    fn next_record(&mut self, out: &mut RecordBuf) -> Option<Result<(), RecordError>> {
        loop {
            if let Some(next) = self.queue.pop_front() {
                return Some(next.map(|record| *out = record));
            }
            match self.records.next_record()? {
                Ok(raw) => self.format.parse(&raw, &mut self.queue),
                Err(e) => return Some(Err(RecordError::fatal(e.line, e.message))),
            }
        }
    }

    fn not_requests(&self) -> u64 {
        self.format.not_requests()
    }
}

/// The JSON path prefix of a record: `[index].` inside a top-level list,
/// nothing for a record that has its own line.
pub(super) fn record_path(raw: &RawRecord<'_>) -> String {
    if raw.in_array {
        format!("[{}].", raw.index)
    } else {
        String::new()
    }
}

/// A record that is not valid JSON (or not the expected shape), as one error.
pub(super) fn invalid(raw: &RawRecord<'_>, e: &serde_json::Error) -> RecordError {
    let (line, message) = located(e, raw.line);
    RecordError {
        line,
        column: None,
        field: raw.in_array.then(|| format!("[{}]", raw.index)),
        message,
        fatal: false,
    }
}

/// A serde_json error inside a record, as (file line, message without
/// serde's own position).
pub(super) fn located(e: &serde_json::Error, record_line: u64) -> (u64, String) {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let line = record_line + (e.line() as u64).saturating_sub(1);
    (line, format!("invalid JSON: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (index, line, text, in_array) of a record.
    type Record = (u64, u64, String, bool);

    /// Every record, or the scan error as (line, message).
    fn records(input: &str) -> Result<Vec<Record>, (u64, String)> {
        // A tiny buffer exercises values that straddle reads.
        let mut scanner = JsonRecords::new(io::BufReader::with_capacity(3, input.as_bytes()));
        let mut out = Vec::new();
        while let Some(r) = scanner.next_record() {
            match r {
                Ok(r) => out.push((
                    r.index,
                    r.line,
                    String::from_utf8(r.bytes.to_vec()).unwrap(),
                    r.in_array,
                )),
                Err(e) => return Err((e.line, e.message)),
            }
        }
        Ok(out)
    }

    #[test]
    fn a_top_level_array_yields_its_elements_with_lines() {
        let input = "\u{feff}[\n  {\"a\": \"x]}\\\"\"},\n  {\"b\": [1, {\"c\": 2}]\n  },\n  7, \"s\", null\n]\n";
        assert_eq!(
            records(input).unwrap(),
            [
                (0, 2, "{\"a\": \"x]}\\\"\"}".to_string(), true),
                (1, 3, "{\"b\": [1, {\"c\": 2}]\n  }".to_string(), true),
                (2, 5, "7".to_string(), true),
                (3, 5, "\"s\"".to_string(), true),
                (4, 5, "null".to_string(), true),
            ]
        );
    }

    #[test]
    fn json_lines_and_concatenated_values() {
        let input = "{\"a\":1}\n\n{\"b\":\n2}\n{\"c\":3} {\"d\":4}";
        let got = records(input).unwrap();
        let lines: Vec<u64> = got.iter().map(|r| r.1).collect();
        assert_eq!(lines, [1, 3, 5, 5]);
        assert!(got.iter().all(|r| !r.3));
    }

    #[test]
    fn empty_inputs_have_no_records() {
        assert_eq!(records("").unwrap(), []);
        assert_eq!(records(" \n ").unwrap(), []);
        assert_eq!(records("[]").unwrap(), []);
        assert_eq!(records("[ ]\n").unwrap(), []);
        assert_eq!(records("[{\"a\":1},]").unwrap().len(), 1);
    }

    #[test]
    fn broken_structure_ends_the_file_with_a_line() {
        assert_eq!(
            records("[{\"a\":1}\n{\"b\":2}]").unwrap_err(),
            (2, "expected `,` or `]` between records".to_string())
        );
        assert_eq!(
            records("[{\"a\":1},\n{\"b\":\"2}]\n").unwrap_err(),
            (
                3,
                "the file ends inside the JSON value that starts on line 2".to_string()
            )
        );
        assert_eq!(
            records("[{\"a\":1}").unwrap_err(),
            (
                1,
                "the file ends inside the top-level list (no closing `]`)".to_string()
            )
        );
        assert_eq!(
            records("[1] 2").unwrap_err(),
            (
                1,
                "unexpected text after the closing `]` of the list".to_string()
            )
        );
    }

    #[test]
    fn serde_errors_are_moved_to_file_lines() {
        let e = serde_json::from_str::<serde_json::Value>("{\n\"a\": tru}").unwrap_err();
        let (line, message) = located(&e, 10);
        assert_eq!(line, 11);
        assert!(message.starts_with("invalid JSON: "), "{message}");
        assert!(!message.contains("line"), "{message}");
    }
}
