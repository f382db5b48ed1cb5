//! Fuzzing every trace parser and the limits import on stable Rust: random
//! bytes and mutated samples must never panic, and whatever a reader hands
//! out must keep its promises (rows in time order, nothing after an error,
//! the canonical conversion reads back the same rows). The cargo-fuzz
//! targets in `fuzz/` check the same things with coverage guidance; crashes
//! either finds become regression tests at the bottom of this file.

mod support;

use std::path::PathBuf;

use proptest::prelude::*;
use ratesim::policy::catalogue::CATALOGUE;
use ratesim::policy::import::{import_limits, policy_toml};
use ratesim::rng::{stream, Purpose};
use ratesim::workload::import::{open_reader, write_canonical, Format, ImportOptions, Rows};
use ratesim::workload::{ArrivalSpec, TraceReader, TraceRow};
use support::repo;

fn models() -> Vec<String> {
    CATALOGUE.iter().map(|m| m.id.to_string()).collect()
}

/// Reads `bytes` in `format` with every combination of options and checks
/// the reader's promises.
fn check_parser(format: Format, bytes: &[u8]) {
    for (skip_bad_rows, sort) in [(false, false), (true, false), (false, true), (true, true)] {
        let options = ImportOptions {
            skip_bad_rows,
            sort,
            arrivals: Some((
                ArrivalSpec::Poisson { rate: 3.0 },
                stream(1, "fuzz", Purpose::Arrivals),
            )),
        };
        let Ok(mut reader) = open_reader(
            bytes,
            PathBuf::from("fuzz"),
            format,
            options,
            models(),
            Vec::new(),
        ) else {
            continue;
        };
        let mut rows: Vec<TraceRow> = Vec::new();
        let mut failed = false;
        for row in reader.by_ref() {
            assert!(!failed, "{format}: a row after an error");
            match row {
                Ok(row) => rows.push(row),
                Err(_) => failed = true,
            }
        }
        assert!(reader.next().is_none(), "{format}: the reader is fused");
        assert!(
            rows.windows(2).all(|w| w[0].at <= w[1].at),
            "{format}: rows out of time order"
        );
        assert!(rows.iter().all(|r| (r.key as usize) < reader.keys().len()));
        let report = reader.report();
        assert_eq!(report.rows, rows.len() as u64);
        assert!(report.skipped.first.len() as u64 <= report.skipped.count);
        if !skip_bad_rows {
            assert_eq!(report.skipped.count, 0);
        }
        if !failed && !skip_bad_rows && !sort {
            check_round_trip(format, bytes, &rows);
        }
    }
}

/// The canonical conversion of a trace that read cleanly reads back the same
/// rows (for traces short enough for `f64` seconds to keep nanoseconds).
fn check_round_trip(format: Format, bytes: &[u8], rows: &[TraceRow]) {
    if rows.last().is_some_and(|r| r.at.0 >= 1 << 52) {
        return;
    }
    let options = ImportOptions {
        arrivals: Some((
            ArrivalSpec::Poisson { rate: 3.0 },
            stream(1, "fuzz", Purpose::Arrivals),
        )),
        ..ImportOptions::default()
    };
    let mut reader = open_reader(
        bytes,
        PathBuf::from("fuzz"),
        format,
        options,
        models(),
        Vec::new(),
    )
    .unwrap();
    let mut canonical = Vec::new();
    write_canonical(&mut reader, &models(), &mut canonical).unwrap();
    let keys = Rows::keys(&reader).to_vec();
    let mut back = TraceReader::new(
        canonical.as_slice(),
        PathBuf::from("canonical"),
        models(),
        Vec::new(),
    )
    .unwrap();
    let back_rows: Vec<TraceRow> = back.by_ref().map(Result::unwrap).collect();
    assert_eq!(back_rows, rows, "{format}: round trip");
    assert_eq!(back.keys(), keys.as_slice());
}

/// The limits import never panics, and what it accepts writes valid TOML.
fn check_limits(text: &str) {
    if let Ok(entries) = import_limits(text) {
        let toml_text = policy_toml(&entries, "fuzz");
        toml::from_str::<toml::Value>(&toml_text).unwrap();
    }
}

const SAMPLES: [(&str, Format); 6] = [
    ("trace-replay.csv", Format::Canonical),
    ("samples/litellm-spend.csv", Format::LitellmCsv),
    ("samples/litellm-spend.json", Format::LitellmJson),
    ("samples/helicone-export.json", Format::Helicone),
    ("samples/otel-genai-spans.json", Format::Otel),
    ("samples/openai-batch.jsonl", Format::OpenaiBatch),
];

/// The first few kilobytes of a sample, cut at a line end.
fn sample_head(path: &str) -> Vec<u8> {
    let bytes = std::fs::read(repo("scenarios").join(path)).unwrap();
    let cut = bytes[..bytes.len().min(6000)]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    bytes[..cut].to_vec()
}

/// Bytes that matter to the parsers, for insertions.
const INTERESTING: &[u8] = b"\"{}[],:\n\r\\-.0159eET Z+\xff\x00";

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, byte: u8 },
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), prop::sample::select(INTERESTING))
            .prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 1usize..400).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len().max(1);
        match *m {
            Mutation::Flip { at, bit } => {
                if let Some(b) = bytes.get_mut(at % n) {
                    *b ^= 1 << bit;
                }
            }
            Mutation::Insert { at, byte } => bytes.insert(at % (bytes.len() + 1), byte),
            Mutation::Delete { at, len } => {
                let start = at % n;
                let end = (start + len).min(bytes.len());
                bytes.drain(start.min(end)..end);
            }
            Mutation::Duplicate { at, len } => {
                let start = at % n;
                let end = (start + len).min(bytes.len());
                let copy = bytes[start.min(end)..end].to_vec();
                bytes.splice(end..end, copy);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(
        format in prop::sample::select(Format::ALL.to_vec()),
        bytes in prop::collection::vec(any::<u8>(), 0..1500),
    ) {
        check_parser(format, &bytes);
    }

    #[test]
    fn mutated_samples_never_panic(
        sample in 0..SAMPLES.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let (path, format) = SAMPLES[sample];
        check_parser(format, &mutate(sample_head(path), &mutations));
    }

    #[test]
    fn mutated_limits_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let body = std::fs::read(repo("scenarios/samples/rate_limits.json")).unwrap();
        check_limits(&String::from_utf8_lossy(&mutate(body, &mutations)));
    }
}

#[test]
fn the_unmutated_samples_pass_the_checks() {
    for (path, format) in SAMPLES {
        check_parser(format, &sample_head(path));
    }
    check_limits(&std::fs::read_to_string(repo("scenarios/samples/rate_limits.json")).unwrap());
}

// Regression tests for crashes the fuzzers found.

/// The first error reading `text` in `format`, displayed.
fn first_error(format: Format, text: &str) -> String {
    let reader = open_reader(
        text.as_bytes(),
        PathBuf::from("fuzz"),
        format,
        ImportOptions::default(),
        models(),
        Vec::new(),
    )
    .unwrap();
    reader
        .filter_map(Result::err)
        .next()
        .expect("an error")
        .to_string()
}

/// cargo fuzz, litellm_csv and helicone: a date-time in the year 4052
/// overflowed the count of nanoseconds since 1970 (which ends in 2554).
#[test]
fn a_date_after_2554_is_an_error_not_an_overflow() {
    let csv = "startTime,model,prompt_tokens,completion_tokens\n\
               4052-04-20 09:00:22.233,llama-3.3-70b,1,1\n";
    check_parser(Format::LitellmCsv, csv.as_bytes());
    assert_eq!(
        first_error(Format::LitellmCsv, csv),
        "fuzz:2:1: field `startTime`: \"4052-04-20 09:00:22.233\" is after 2554, later than \
         nanoseconds since 1970 can count"
    );
    let json = r#"[{"request_created_at":"4052-04-20T09:00:01.049Z","model":"llama-3.3-70b"}]"#;
    check_parser(Format::Helicone, json.as_bytes());
    assert!(first_error(Format::Helicone, json).contains("is after 2554"));
}
