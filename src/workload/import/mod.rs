//! Traces from the logs people already have.
//!
//! Nobody starts from a synthetic Poisson process: they have a LiteLLM spend
//! log, a Helicone export, OpenTelemetry spans or an OpenAI batch file. Each
//! format here is read as a stream into the same [`TraceRow`]s the canonical
//! CSV gives (see `docs/traces.md` for every format, field by field), so a
//! foreign file can be replayed directly or converted once with [`convert`].
//!
//! # How a format is read
//!
//! Each format is one file that only knows its own fields: it turns the next
//! record of the file into a `RecordBuf` (a time, a key name, a model name,
//! token counts) or a located error. Everything the formats share lives in
//! [`ImportReader`]:
//!
//! - **Time.** Foreign logs carry absolute times (date-times or epoch
//!   numbers); they become seconds since the *first row*. The canonical CSV's
//!   `arrival_s` is already relative and is kept as written; OpenAI batch files
//!   have no times and get them from an arrival process.
//! - **Order.** Rows must come in non-decreasing time order. A row earlier
//!   than the one before it is an error naming both lines, unless the
//!   [`ImportOptions::sort`] option is on, which reads the whole file into
//!   memory (32 bytes a row: 10 million rows peak at about 315 MB) and sorts
//!   it by time (stable, so equal times keep file order). A trace is never
//!   replayed silently misordered.
//! - **Streaming.** Without sorting, memory stays flat whatever the length:
//!   CSV is read one reused record at a time; JSON is cut into records (the
//!   elements of a top-level list, or top-level values such as JSON Lines) by
//!   a scanner that counts brackets, and only one record is parsed at a time.
//!   A record must fit in memory: a row, a `{"data": [...]}` page, or one
//!   OpenTelemetry export request.
//! - **Models** are looked up among the policy's ids, with close matches
//!   suggested for an unknown one.
//! - **Keys** are interned in order of first appearance after the known ones,
//!   as the canonical reader does; a source without a key name uses
//!   [`DEFAULT_KEY`].
//! - **Failed requests** (a status that is not a success) are kept: they were
//!   sent, so they took a slot in the provider's windows. They are counted in
//!   [`ImportReport::failed_in_source`].
//! - **Bad rows** stop the reader with a located error (file, line, column or
//!   JSON path, field), or with [`ImportOptions::skip_bad_rows`] are skipped
//!   and counted, the first few kept for the summary. Errors in the structure
//!   of the file itself (a broken CSV header, JSON that cannot be cut into
//!   records, an I/O failure) always stop it.

mod canonical;
mod convert;
mod csv_source;
pub mod detect;
mod fields;
mod helicone;
mod json;
mod litellm;
mod openai_batch;
mod otel;
pub mod stats;

#[cfg(test)]
use convert::write_seconds;
pub use convert::{convert, write_canonical, ConvertError};
mod timestamp;

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::policy::{KeyId, ModelId};
use crate::rng::Rng;
use crate::suggest::{close_matches, did_you_mean, or_list};
use crate::time::Nanos;
use crate::workload::TraceSource;
use crate::workload::{ArrivalSpec, TraceError, TraceReader, TraceRow};

/// The key name of requests whose source names none.
pub const DEFAULT_KEY: &str = "default";

/// How many skipped rows are kept with their location for the summary.
pub const LISTED_SKIPS: usize = 5;

/// A trace file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// ratesim's own CSV (see [`TraceReader`]).
    Canonical,
    /// A LiteLLM spend-log export as CSV (`LiteLLM_SpendLogs` columns).
    LitellmCsv,
    /// LiteLLM spend logs as JSON: the `/spend/logs` list, a
    /// `/spend/logs/v2` page (`{"data": [...]}`), or one row per line.
    LitellmJson,
    /// A Helicone request export, CSV or JSON (told apart by the first byte).
    Helicone,
    /// OpenTelemetry GenAI spans in OTLP JSON (one export request, or one per line).
    Otel,
    /// An OpenAI batch input file (JSON Lines), with arrival times generated.
    OpenaiBatch,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Canonical,
        Format::LitellmCsv,
        Format::LitellmJson,
        Format::Helicone,
        Format::Otel,
        Format::OpenaiBatch,
    ];

    /// The name used on the command line and in scenario files.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Canonical => "canonical",
            Format::LitellmCsv => "litellm-csv",
            Format::LitellmJson => "litellm-json",
            Format::Helicone => "helicone",
            Format::Otel => "otel",
            Format::OpenaiBatch => "openai-batch",
        }
    }

    /// The format called `name` (case-insensitive), or an error listing the
    /// names and the close ones.
    pub fn from_name(name: &str) -> Result<Format, UnknownFormat> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownFormat {
                name: name.to_string(),
                suggestions: close_matches(name, Format::ALL.map(Format::name))
                    .into_iter()
                    .map(String::from)
                    .collect(),
            })
    }

    /// Whether the format's times are absolute (made relative to the first row).
    const fn absolute_times(self) -> bool {
        !matches!(self, Format::Canonical | Format::OpenaiBatch)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct UnknownFormat {
    pub name: String,
    pub suggestions: Vec<String>,
}

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown trace format {:?}{}; expected one of {}",
            self.name,
            did_you_mean(&self.suggestions),
            or_list(&Format::ALL.map(Format::name))
        )
    }
}

/// How to read a trace.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Skip malformed rows (counting them) instead of stopping at the first.
    pub skip_bad_rows: bool,
    /// Read the whole trace and sort it by time instead of rejecting rows out
    /// of order. Memory grows with the trace (32 bytes a row).
    pub sort: bool,
    /// For [`Format::OpenaiBatch`], which has no times: the arrival process
    /// the requests are spread by, and the random stream it draws from
    /// (e.g. `rng::stream(seed, group, Purpose::Arrivals)`). The n-th request
    /// line gets the n-th arrival, whether or not it is skipped.
    pub arrivals: Option<(ArrivalSpec, Rng)>,
}

/// Rows left out by [`ImportOptions::skip_bad_rows`].
#[derive(Debug, Default)]
pub struct SkippedRows {
    pub count: u64,
    /// The first [`LISTED_SKIPS`] of them, located.
    pub first: Vec<TraceError>,
}

/// What reading a trace found besides its rows.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Rows handed out.
    pub rows: u64,
    /// Rows whose source status says the request failed (kept as requests).
    pub failed_in_source: u64,
    /// Records that are not requests and were passed over (OpenTelemetry spans
    /// without `gen_ai.request.model`).
    pub not_requests: u64,
    pub skipped: SkippedRows,
}

/// The iterator contract every trace reader keeps: rows in time order, then
/// `None`; after an error, nothing more.
pub trait Rows: Iterator<Item = Result<TraceRow, TraceError>> {
    /// Every key name in [`KeyId`] order: the known ones, then those the trace
    /// introduced so far.
    fn keys(&self) -> &[String];
}

impl<R: Read> Rows for TraceReader<R> {
    fn keys(&self) -> &[String] {
        TraceReader::keys(self)
    }
}

/// Opens `path` as a trace in `format`. `models` are the known model ids in
/// [`ModelId`] order and `keys` the known key names in [`KeyId`] order, as
/// for [`TraceReader::new`].
pub fn open_file(
    path: &Path,
    format: Format,
    options: ImportOptions,
    models: Vec<String>,
    keys: Vec<String>,
) -> Result<ImportReader<'static>, TraceError> {
    let file = File::open(path).map_err(|e| TraceError {
        path: path.to_path_buf(),
        line: 0,
        column: None,
        field: None,
        message: format!("cannot open the trace: {e}"),
    })?;
    open_reader(
        BufReader::with_capacity(1 << 16, file),
        path.to_path_buf(),
        format,
        options,
        models,
        keys,
    )
}

/// [`open_file`] over any reader; `path` only labels errors.
pub fn open_reader<'a>(
    reader: impl BufRead + 'a,
    path: PathBuf,
    format: Format,
    options: ImportOptions,
    models: Vec<String>,
    keys: Vec<String>,
) -> Result<ImportReader<'a>, TraceError> {
    let source: Result<Box<dyn RecordSource + 'a>, RecordError> = match format {
        Format::Canonical => canonical::open(reader),
        Format::LitellmCsv => litellm::open_csv(reader),
        Format::LitellmJson => Ok(litellm::open_json(reader)),
        Format::Helicone => helicone::open(reader),
        Format::Otel => Ok(otel::open(reader)),
        Format::OpenaiBatch => match options.arrivals.clone() {
            Some((spec, rng)) => Ok(openai_batch::open(reader, &spec, rng)),
            None => Err(RecordError::fatal(
                0,
                "an OpenAI batch file has no arrival times: give an arrival process to spread \
                 its requests (e.g. a Poisson rate)",
            )),
        },
    };
    let source = source.map_err(|e| e.into_trace_error(&path))?;
    let mut normaliser = Normaliser {
        source,
        path,
        models,
        key_ids: keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as KeyId))
            .collect(),
        keys,
        absolute: format.absolute_times(),
        check_order: !options.sort,
        origin: None,
        previous: None,
        skip: options.skip_bad_rows,
        report: ImportReport::default(),
        record: RecordBuf::default(),
        done: false,
    };
    let inner = if options.sort {
        Inner::Sorted(sorted(&mut normaliser)?.into_iter())
    } else {
        Inner::Streaming
    };
    Ok(ImportReader { normaliser, inner })
}

/// Reads every row of `normaliser` (with times as read) and sorts them by
/// time, shifted so the first is at zero when times are absolute.
fn sorted(normaliser: &mut Normaliser<'_>) -> Result<Vec<TraceRow>, TraceError> {
    let mut rows = Vec::new();
    while let Some(row) = normaliser.next_row() {
        rows.push(row?);
    }
    rows.sort_by_key(|row| row.at);
    if normaliser.absolute {
        if let Some(origin) = rows.first().map(|row| row.at) {
            for row in &mut rows {
                row.at = row.at - origin;
            }
        }
    }
    Ok(rows)
}

/// A trace in any [`Format`], read as [`TraceRow`]s.
pub struct ImportReader<'a> {
    normaliser: Normaliser<'a>,
    inner: Inner,
}

enum Inner {
    Streaming,
    Sorted(std::vec::IntoIter<TraceRow>),
}

impl ImportReader<'_> {
    /// See [`Rows::keys`].
    pub fn keys(&self) -> &[String] {
        &self.normaliser.keys
    }

    /// What was read so far (all of it once the reader has ended, or at once
    /// with [`ImportOptions::sort`]).
    pub fn report(&self) -> &ImportReport {
        &self.normaliser.report
    }

    /// The report, once the rows are read.
    pub fn into_report(self) -> ImportReport {
        self.normaliser.report
    }
}

impl Iterator for ImportReader<'_> {
    type Item = Result<TraceRow, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Streaming => self.normaliser.next_row(),
            Inner::Sorted(rows) => rows.next().map(Ok),
        }
    }
}

impl std::iter::FusedIterator for ImportReader<'_> {}

impl Rows for ImportReader<'_> {
    fn keys(&self) -> &[String] {
        ImportReader::keys(self)
    }
}

impl TraceSource for ImportReader<'_> {
    fn next_row(&mut self) -> Option<Result<TraceRow, TraceError>> {
        self.next()
    }

    fn key_name(&self, key: KeyId) -> &str {
        &self.keys()[key as usize]
    }
}

// ---------------------------------------------------------------------------
// What a format provides.

/// One request as a format read it, before model lookup and time shifting.
/// Reused from record to record.
#[derive(Clone, Debug, Default)]
struct RecordBuf {
    /// Nanoseconds: since 1970 for absolute formats, since the trace start otherwise.
    time: u64,
    /// Empty when the source names no key.
    key: String,
    model: String,
    input_tokens: u32,
    output_tokens: u32,
    max_tokens: Option<u32>,
    /// The source says the request failed.
    failed: bool,
    /// 1-based line the record starts on.
    line: u64,
    /// JSON path of the record with a trailing `.` (e.g. `[12].`), empty for CSV.
    path: String,
    /// Column (CSV) and field name of the time.
    time_at: (Option<usize>, &'static str),
    /// Column (CSV) and field name the model was read from.
    model_at: (Option<usize>, &'static str),
}

/// A record that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RecordError {
    line: u64,
    column: Option<usize>,
    /// The field at fault, as a JSON path or a CSV column name.
    field: Option<String>,
    message: String,
    /// The file cannot be read past this point (not skippable).
    fatal: bool,
}

impl RecordError {
    fn fatal(line: u64, message: impl Into<String>) -> RecordError {
        RecordError {
            line,
            column: None,
            field: None,
            message: message.into(),
            fatal: true,
        }
    }

    /// A skippable error in one field.
    fn field(
        line: u64,
        column: Option<usize>,
        field: impl Into<String>,
        message: String,
    ) -> RecordError {
        RecordError {
            line,
            column,
            field: Some(field.into()),
            message,
            fatal: false,
        }
    }

    fn into_trace_error(self, path: &Path) -> TraceError {
        TraceError {
            path: path.to_path_buf(),
            line: self.line,
            column: self.column,
            field: self.field,
            message: self.message,
        }
    }
}

/// A format's reader: hands out records one at a time.
trait RecordSource {
    /// Reads the next record into `record`; `None` at the end of the file.
    /// After a fatal error it is not called again.
    fn next_record(&mut self, record: &mut RecordBuf) -> Option<Result<(), RecordError>>;

    /// Records passed over because they are not requests.
    fn not_requests(&self) -> u64 {
        0
    }
}

/// The part every format shares: model lookup, key interning, time order and
/// shifting, skipping and counting.
struct Normaliser<'a> {
    source: Box<dyn RecordSource + 'a>,
    path: PathBuf,
    models: Vec<String>,
    keys: Vec<String>,
    key_ids: HashMap<String, KeyId>,
    absolute: bool,
    check_order: bool,
    /// Time of the first row (absolute formats, streaming only).
    origin: Option<u64>,
    /// Time and line of the previous row.
    previous: Option<(u64, u64)>,
    skip: bool,
    report: ImportReport,
    record: RecordBuf,
    done: bool,
}

impl Normaliser<'_> {
    fn next_row(&mut self) -> Option<Result<TraceRow, TraceError>> {
        while !self.done {
            let result = match self.source.next_record(&mut self.record) {
                None => {
                    self.done = true;
                    break;
                }
                Some(Err(e)) if e.fatal => {
                    self.done = true;
                    return Some(Err(e.into_trace_error(&self.path)));
                }
                Some(Err(e)) => Err(e.into_trace_error(&self.path)),
                Some(Ok(())) => self.row(),
            };
            match result {
                Ok(row) => {
                    self.report.rows += 1;
                    self.report.failed_in_source += u64::from(self.record.failed);
                    return Some(Ok(row));
                }
                Err(e) if self.skip => {
                    let skipped = &mut self.report.skipped;
                    skipped.count += 1;
                    if skipped.first.len() < LISTED_SKIPS {
                        skipped.first.push(e);
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.report.not_requests = self.source.not_requests();
        None
    }

    /// The row of the record just read.
    fn row(&mut self) -> Result<TraceRow, TraceError> {
        let r = &self.record;
        let error = |(column, field): (Option<usize>, &str), message: String| TraceError {
            path: self.path.clone(),
            line: r.line,
            column,
            field: Some(format!("{}{field}", r.path)),
            message,
        };
        let model = match self.models.iter().position(|m| *m == r.model) {
            Some(i) => i as ModelId,
            None if r.model.is_empty() => {
                return Err(error(
                    r.model_at,
                    "the model is empty; every request needs a model id".to_string(),
                ))
            }
            None => {
                let suggestions = close_matches(&r.model, self.models.iter().map(String::as_str));
                return Err(error(
                    r.model_at,
                    format!("unknown model {:?}{}", r.model, did_you_mean(&suggestions)),
                ));
            }
        };
        if self.check_order {
            if let Some((previous, line)) = self.previous {
                if r.time < previous {
                    let before = Nanos(previous - r.time).as_secs_f64();
                    return Err(error(
                        r.time_at,
                        format!(
                            "this request is {before} s earlier than the previous one (line \
                             {line}); rows must be in time order: sort the file first \
                             (`ratesim trace convert --sort` does it)"
                        ),
                    ));
                }
            }
        }
        let key_name = if r.key.is_empty() {
            DEFAULT_KEY
        } else {
            &r.key
        };
        let key = match self.key_ids.get(key_name) {
            Some(&id) => id,
            None => {
                let id = self.keys.len() as KeyId;
                self.keys.push(key_name.to_string());
                self.key_ids.insert(key_name.to_string(), id);
                id
            }
        };
        let at = if self.absolute && self.check_order {
            r.time - *self.origin.get_or_insert(r.time)
        } else {
            r.time
        };
        self.previous = Some((r.time, r.line));
        Ok(TraceRow {
            at: Nanos(at),
            key,
            model,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            max_tokens: r.max_tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::ArrivalSpec;

    pub(super) fn models() -> Vec<String> {
        ["llama-3.3-70b", "zai-org-glm-5", "qwen3-5-9b"]
            .map(String::from)
            .to_vec()
    }

    /// Every row (or the first error, displayed) of `text` read in `format`.
    pub(super) fn read(
        format: Format,
        text: &str,
        options: ImportOptions,
    ) -> (Result<Vec<TraceRow>, String>, Vec<String>, ImportReport) {
        let mut reader = match open_reader(
            text.as_bytes(),
            PathBuf::from("in"),
            format,
            options,
            models(),
            Vec::new(),
        ) {
            Ok(r) => r,
            Err(e) => return (Err(e.to_string()), Vec::new(), ImportReport::default()),
        };
        let rows: Result<Vec<TraceRow>, TraceError> = reader.by_ref().collect();
        let keys = reader.keys().to_vec();
        (rows.map_err(|e| e.to_string()), keys, reader.into_report())
    }

    #[test]
    fn format_names_round_trip_and_suggest() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Ok(f));
        }
        assert_eq!(Format::from_name("OTEL"), Ok(Format::Otel));
        assert_eq!(
            Format::from_name("litellm").unwrap_err().to_string(),
            "unknown trace format \"litellm\" (did you mean litellm-csv or litellm-json?); \
             expected one of canonical, litellm-csv, litellm-json, helicone, otel or openai-batch"
        );
    }

    #[test]
    fn seconds_are_written_short_and_exact() {
        for (ns, text) in [
            (0, "0"),
            (12_000_000_000, "12"),
            (12_500_000_000, "12.5"),
            (1, "0.000000001"),
            (86_399_123_456_789, "86399.123456789"),
        ] {
            let mut out = String::new();
            write_seconds(&mut out, Nanos(ns));
            assert_eq!(out, text);
            let back: f64 = out.parse().unwrap();
            assert_eq!(Nanos::from_secs_f64(back), Nanos(ns));
        }
    }

    const LITELLM: &str = "startTime,model,prompt_tokens,completion_tokens,status,api_key\n\
        2026-04-20T12:00:01Z,llama-3.3-70b,10,1,success,k1\n\
        2026-04-20T12:00:03Z,zai-org-glm-5,20,2,failure,k2\n\
        2026-04-20T12:00:02Z,llama-3.3-70b,30,3,success,k1\n";

    #[test]
    fn out_of_order_rows_are_an_error_naming_both_lines() {
        let (rows, _, _) = read(Format::LitellmCsv, LITELLM, ImportOptions::default());
        assert_eq!(
            rows.unwrap_err(),
            "in:4:1: field `startTime`: this request is 1 s earlier than the previous one \
             (line 3); rows must be in time order: sort the file first \
             (`ratesim trace convert --sort` does it)"
        );
    }

    #[test]
    fn sorting_orders_rows_and_shifts_them_to_the_earliest() {
        let options = ImportOptions {
            sort: true,
            ..ImportOptions::default()
        };
        let (rows, keys, report) = read(Format::LitellmCsv, LITELLM, options);
        let rows = rows.unwrap();
        let times: Vec<(u64, u32)> = rows.iter().map(|r| (r.at.0, r.input_tokens)).collect();
        assert_eq!(times, [(0, 10), (1_000_000_000, 30), (2_000_000_000, 20)]);
        assert_eq!(keys, ["k1", "k2"]);
        assert_eq!((report.rows, report.failed_in_source), (3, 1));
    }

    #[test]
    fn skipped_rows_are_counted_and_the_first_listed() {
        let mut text = String::from("startTime,model,prompt_tokens,completion_tokens\n");
        text.push_str("2026-04-20T12:00:00Z,llama-3.3-70b,1,1\n");
        for i in 0..8 {
            text.push_str(&format!("2026-04-20T12:00:0{i}Z,gpt-4o,1,1\n"));
        }
        text.push_str("2026-04-20T12:00:09Z,llama-3.3-70b,x,1\n");
        text.push_str("2026-04-20T12:00:10Z,llama-3.3-70b,2,2\n");
        let (rows, keys, _) = read(Format::LitellmCsv, &text, ImportOptions::default());
        assert_eq!(
            rows.unwrap_err(),
            "in:3:2: field `model`: unknown model \"gpt-4o\""
        );
        assert_eq!(keys, [DEFAULT_KEY]);

        let options = ImportOptions {
            skip_bad_rows: true,
            ..ImportOptions::default()
        };
        let (rows, keys, report) = read(Format::LitellmCsv, &text, options);
        let rows = rows.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].at, Nanos::from_secs(10));
        assert_eq!(keys, [DEFAULT_KEY]);
        assert_eq!(report.skipped.count, 9);
        let listed: Vec<String> = report
            .skipped
            .first
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(listed.len(), LISTED_SKIPS);
        assert_eq!(listed[0], "in:3:2: field `model`: unknown model \"gpt-4o\"");
        assert_eq!(listed[4], "in:7:2: field `model`: unknown model \"gpt-4o\"");
    }

    #[test]
    fn known_keys_keep_their_ids() {
        let reader = open_reader(
            LITELLM.as_bytes(),
            PathBuf::from("in"),
            Format::LitellmCsv,
            ImportOptions {
                sort: true,
                ..ImportOptions::default()
            },
            models(),
            vec!["k2".to_string()],
        )
        .unwrap();
        let keys: Vec<KeyId> = reader.map(|r| r.unwrap().key).collect();
        assert_eq!(keys, [1, 1, 0]);
    }

    #[test]
    fn batch_files_need_an_arrival_process() {
        let (rows, _, _) = read(Format::OpenaiBatch, "", ImportOptions::default());
        assert!(rows
            .unwrap_err()
            .starts_with("in:0: an OpenAI batch file has no arrival times"));
        let options = ImportOptions {
            arrivals: Some((
                ArrivalSpec::Constant { rate: 2.0 },
                crate::rng::stream(1, "batch", crate::rng::Purpose::Arrivals),
            )),
            ..ImportOptions::default()
        };
        let (rows, _, _) = read(Format::OpenaiBatch, "", options);
        assert_eq!(rows.unwrap(), []);
    }

    #[test]
    fn canonical_rows_are_written_back_identically() {
        let text = "arrival_s,key,model,input_tokens,output_tokens,max_tokens\n\
                    0.177,\"a,b\",qwen3-5-9b,277,544,1024\n\
                    1.5,backend,llama-3.3-70b,1306,214,\n";
        let mut reader = open_reader(
            text.as_bytes(),
            PathBuf::from("in"),
            Format::Canonical,
            ImportOptions::default(),
            models(),
            Vec::new(),
        )
        .unwrap();
        let mut out = Vec::new();
        assert_eq!(
            write_canonical(&mut reader, &models(), &mut out).unwrap(),
            2
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "arrival_s,key,model,input_tokens,output_tokens,max_tokens\n\
             0.177,\"a,b\",qwen3-5-9b,277,544,1024\n\
             1.5,backend,llama-3.3-70b,1306,214,\n"
        );
    }
}
