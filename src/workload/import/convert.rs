//! `ratesim trace convert`: any readable format written out as the
//! canonical CSV trace.

use super::{open_file, Format, ImportOptions, ImportReport, Rows};
use crate::time::Nanos;
use crate::workload::trace::TraceError;
use std::io::Write;
use std::path::Path;

/// Why a conversion stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("cannot write the canonical trace: {0}")]
    Write(#[from] std::io::Error),
}

impl From<csv::Error> for ConvertError {
    fn from(e: csv::Error) -> Self {
        ConvertError::Write(e.into())
    }
}

/// Reads `input` in `format` and writes it to `out` as a canonical CSV trace.
/// `out` receives rows as they are read, so on an error it holds a partial
/// trace: write to a temporary file and rename it on success.
pub fn convert(
    input: &Path,
    format: Format,
    options: ImportOptions,
    models: &[String],
    out: &mut impl Write,
) -> Result<ImportReport, ConvertError> {
    let mut rows = open_file(input, format, options, models.to_vec(), Vec::new())?;
    write_canonical(&mut rows, models, out)?;
    Ok(rows.into_report())
}

/// Writes every row of `rows` as a canonical CSV trace; returns the number of
/// rows. `models` names the model ids the rows carry. Times are written in
/// seconds with up to nine decimals, which [`TraceReader`] reads back to the
/// same nanosecond for traces shorter than about 48 days (`f64` precision).
pub fn write_canonical<R: Rows>(
    rows: &mut R,
    models: &[String],
    out: impl Write,
) -> Result<u64, ConvertError> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record([
        "arrival_s",
        "key",
        "model",
        "input_tokens",
        "output_tokens",
        "max_tokens",
    ])?;
    let mut count = 0;
    let mut field = String::new();
    while let Some(row) = rows.next() {
        use std::fmt::Write as _;
        let row = row?;
        field.clear();
        write_seconds(&mut field, row.at);
        csv.write_field(&field)?;
        csv.write_field(&rows.keys()[row.key as usize])?;
        csv.write_field(&models[row.model as usize])?;
        for n in [
            Some(row.input_tokens),
            Some(row.output_tokens),
            row.max_tokens,
        ] {
            field.clear();
            if let Some(n) = n {
                let _ = write!(field, "{n}");
            }
            csv.write_field(&field)?;
        }
        csv.write_record(None::<&[u8]>)?;
        count += 1;
    }
    csv.flush()?;
    Ok(count)
}

/// `t` in seconds: `12`, `12.5`, `0.000000001`.
pub(super) fn write_seconds(out: &mut String, t: Nanos) {
    use std::fmt::Write as _;
    let (secs, nanos) = (t.0 / 1_000_000_000, t.0 % 1_000_000_000);
    if nanos == 0 {
        let _ = write!(out, "{secs}");
    } else {
        let _ = write!(out, "{secs}.{nanos:09}");
        while out.ends_with('0') {
            out.pop();
        }
    }
}
