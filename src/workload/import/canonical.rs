//! The canonical CSV through the shared import path.
//!
//! [`TraceReader`](crate::workload::TraceReader) stays the reference reader
//! of this format (its header documents it). Reading it here as well gives the
//! canonical CSV what the import path adds: skipping bad rows and sorting.
//! The tests below hold the two readers to the same rows and locations.

use std::io::BufRead;

use super::csv_source::{self, optional, required, CsvSpec, TimeKind};
use super::{RecordError, RecordSource};

static SPEC: CsvSpec = CsvSpec {
    what: "a trace",
    time: required(&["arrival_s"]),
    time_kind: TimeKind::RelativeSeconds,
    key: required(&["key"]),
    model: required(&["model"]),
    input_tokens: required(&["input_tokens"]),
    output_tokens: required(&["output_tokens"]),
    max_tokens: optional(&["max_tokens"]),
    status: optional(&[]),
    strict: true,
};

pub(super) fn open<'a, R: BufRead + 'a>(
    reader: R,
) -> Result<Box<dyn RecordSource + 'a>, RecordError> {
    Ok(Box::new(csv_source::open(reader, &SPEC)?))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{models, read};
    use super::super::{Format, ImportOptions};
    use crate::workload::{TraceReader, TraceRow};
    use std::path::PathBuf;

    /// Rows or the error's location (`in:line[:column]`) from TraceReader.
    fn reference(text: &str) -> (Result<Vec<TraceRow>, String>, Vec<String>) {
        let mut reader =
            match TraceReader::new(text.as_bytes(), PathBuf::from("in"), models(), Vec::new()) {
                Ok(r) => r,
                Err(e) => return (Err(e.to_string()), Vec::new()),
            };
        let rows: Result<Vec<TraceRow>, _> = reader.by_ref().collect();
        (rows.map_err(|e| e.to_string()), reader.keys().to_vec())
    }

    /// The part of a message up to the field name: where it points.
    fn location(message: &str) -> &str {
        message.split(": ").next().unwrap()
    }

    const HEADER: &str = "arrival_s,key,model,input_tokens,output_tokens,max_tokens\n";

    #[test]
    fn the_bundled_trace_reads_the_same_both_ways() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trace-replay.csv"),
        )
        .unwrap();
        let models: Vec<String> = crate::policy::catalogue::CATALOGUE
            .iter()
            .map(|m| m.id.to_string())
            .collect();
        let mut expected = TraceReader::new(
            text.as_bytes(),
            PathBuf::from("in"),
            models.clone(),
            Vec::new(),
        )
        .unwrap();
        let mut actual = super::super::open_reader(
            text.as_bytes(),
            PathBuf::from("in"),
            Format::Canonical,
            ImportOptions::default(),
            models,
            Vec::new(),
        )
        .unwrap();
        let expected_rows: Vec<TraceRow> = expected.by_ref().map(Result::unwrap).collect();
        let actual_rows: Vec<TraceRow> = actual.by_ref().map(Result::unwrap).collect();
        assert!(expected_rows.len() > 100);
        assert_eq!(actual_rows, expected_rows);
        assert_eq!(actual.keys(), expected.keys());
    }

    #[test]
    fn good_rows_and_bad_rows_agree_with_the_reference_reader() {
        let cases = [
            "0,batch,llama-3.3-70b,1200,350,1024\n0.25, batch ,zai-org-glm-5,800,120,\n",
            "1e3,a,qwen3-5-9b,1,1,\n1000.000000001,b,qwen3-5-9b,0,0,7\n",
            "x,batch,llama-3.3-70b,1,1,\n",
            "NaN,batch,llama-3.3-70b,1,1,\n",
            "-1.5,batch,llama-3.3-70b,1,1,\n",
            "1,batch,llama-3.3-70b,12.5,1,\n",
            "1,batch,llama-3.3-70b,,1,\n",
            "1,batch,llama-3.3-70b,1,-3,\n",
            "1,batch,llama-3.3-70b,1,1,5000000000\n",
            "1,,llama-3.3-70b,1,1,\n",
            "1,batch,llama-3.3-70,1,1,\n",
            "1,batch,,1,1,\n",
            "1,batch,llama-3.3-70b,1,1\n",
            "2,batch,llama-3.3-70b,1,1,\n1,batch,llama-3.3-70b,1,1,\n",
            "1,\"new\nkey\",llama-3.3-70b,1,1,\n3,batch,nope,1,1,\n",
        ];
        for case in cases {
            let text = format!("{HEADER}{case}");
            let (expected, expected_keys) = reference(&text);
            let (actual, actual_keys, _) = read(Format::Canonical, &text, ImportOptions::default());
            match (&expected, &actual) {
                (Ok(e), Ok(a)) => {
                    assert_eq!(a, e, "{case}");
                    assert_eq!(actual_keys, expected_keys, "{case}");
                }
                (Err(e), Err(a)) => assert_eq!(location(a), location(e), "{case}: {a} vs {e}"),
                _ => panic!("{case}: {actual:?} vs {expected:?}"),
            }
        }
    }

    #[test]
    fn header_errors_match_the_reference_reader() {
        for header in [
            "arrival,key,model,input_tokens,output_tokens\n",
            "",
            "arrival_s,key,model,model,input_tokens,output_tokens\n",
        ] {
            let (expected, _) = reference(header);
            let (actual, _, _) = read(Format::Canonical, header, ImportOptions::default());
            assert_eq!(actual.unwrap_err(), expected.unwrap_err());
        }
    }
}
