//! Telling a trace's format from its first bytes, for `trace stats` and
//! `trace convert` without `--from`.
//!
//! Every format announces itself early: JSON starts with `[` or `{`, and
//! its first record names fields no other format uses (`resourceSpans` for
//! OpenTelemetry, `custom_id` with a `body` for an OpenAI batch,
//! `request_created_at` for Helicone, `startTime` for LiteLLM); a CSV's
//! header names its time column (`arrival_s` canonical, `startTime`
//! LiteLLM, `request_created_at` Helicone). Only the first
//! [`SNIFF_BYTES`] are read, so detection costs nothing on a large file; a
//! file that matches none is an error that asks for `--from`.

use std::io::Read;
use std::path::Path;

use super::Format;
use crate::suggest::or_list;
use crate::workload::TraceError;

/// How much of the file detection reads.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The format of the file at `path`.
pub fn detect(path: &Path) -> Result<Format, TraceError> {
    let error = |line: u64, message: String| TraceError {
        path: path.to_path_buf(),
        line,
        column: None,
        field: None,
        message,
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| error(0, format!("cannot open the trace: {e}")))?;
    let text = String::from_utf8_lossy(&head);
    detect_text(&text).ok_or_else(|| {
        error(
            1,
            format!(
                "cannot tell the trace's format from its start; give --from (one of {})",
                or_list(&Format::ALL.map(Format::name))
            ),
        )
    })
}

/// The format `text` (a file's first bytes) starts like, if any.
pub fn detect_text(text: &str) -> Option<Format> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with(['[', '{']) {
        let has = |field: &str| text.contains(&format!("\"{field}\""));
        return if has("resourceSpans") {
            Some(Format::Otel)
        } else if has("custom_id") && has("body") {
            Some(Format::OpenaiBatch)
        } else if has("request_created_at") {
            Some(Format::Helicone)
        } else if has("startTime") {
            Some(Format::LitellmJson)
        } else {
            None
        };
    }
    let header = text.lines().next()?;
    let columns: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let has = |c: &str| columns.contains(&c);
    if has("arrival_s") {
        Some(Format::Canonical)
    } else if has("startTime") {
        Some(Format::LitellmCsv)
    } else if has("request_created_at") {
        Some(Format::Helicone)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_is_told_by_its_start() {
        let cases = [
            (
                "arrival_s,key,model,input_tokens,output_tokens\n0,a,m,1,1\n",
                Format::Canonical,
            ),
            ("request_id,startTime,model\n", Format::LitellmCsv),
            (
                "\u{feff}\"request_created_at\",\"model\"\n",
                Format::Helicone,
            ),
            (
                "[{\"startTime\":\"2026-04-20T09:00:00\"}]",
                Format::LitellmJson,
            ),
            (
                "{\"data\":[{\"request_created_at\":\"x\"}]}",
                Format::Helicone,
            ),
            ("{\"resourceSpans\":[]}", Format::Otel),
            ("{\"custom_id\":\"a\",\"body\":{}}\n", Format::OpenaiBatch),
        ];
        for (text, format) in cases {
            assert_eq!(detect_text(text), Some(format), "{text}");
        }
        assert_eq!(detect_text("time,who\n"), None);
        assert_eq!(detect_text("{\"x\": 1}"), None);
        assert_eq!(detect_text(""), None);
    }
}
