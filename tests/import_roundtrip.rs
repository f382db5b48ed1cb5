//! Importing the logs people have: every sample in `scenarios/samples/` read
//! directly gives the same rows as its canonical conversion read back by
//! `TraceReader`; the scenarios that replay them name real files and formats;
//! bad rows are located, and skipped rows counted, in every format.

mod support;

use std::path::PathBuf;

use ratesim::policy::catalogue::CATALOGUE;
use ratesim::rng::{stream, Purpose};
use ratesim::workload::import::{
    convert, open_file, open_reader, Format, ImportOptions, ImportReport, DEFAULT_KEY,
};
use ratesim::workload::{ArrivalSpec, TraceReader, TraceRow};
use support::repo;

/// Every sample, its format, and the scenario replaying it.
const SAMPLES: [(&str, Format, &str); 5] = [
    (
        "litellm-spend.csv",
        Format::LitellmCsv,
        "import-litellm-csv.toml",
    ),
    (
        "litellm-spend.json",
        Format::LitellmJson,
        "import-litellm-json.toml",
    ),
    (
        "helicone-export.json",
        Format::Helicone,
        "import-helicone.toml",
    ),
    ("otel-genai-spans.json", Format::Otel, "import-otel.toml"),
    (
        "openai-batch.jsonl",
        Format::OpenaiBatch,
        "import-openai-batch.toml",
    ),
];

fn models() -> Vec<String> {
    CATALOGUE.iter().map(|m| m.id.to_string()).collect()
}

fn options() -> ImportOptions {
    ImportOptions {
        arrivals: Some((
            ArrivalSpec::Poisson { rate: 2.0 },
            stream(15, "classify", Purpose::Arrivals),
        )),
        ..ImportOptions::default()
    }
}

fn sample(name: &str) -> PathBuf {
    repo("scenarios/samples").join(name)
}

/// Rows, key names and report of a file read in `format`.
fn read_all(
    path: &std::path::Path,
    format: Format,
    options: ImportOptions,
) -> (Vec<TraceRow>, Vec<String>, ImportReport) {
    let mut reader =
        open_file(path, format, options, models(), Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<TraceRow> = reader
        .by_ref()
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let keys = reader.keys().to_vec();
    (rows, keys, reader.into_report())
}

#[test]
fn every_sample_converts_to_a_canonical_trace_that_replays_identically() {
    for (file, format, _) in SAMPLES {
        let (direct, direct_keys, direct_report) = read_all(&sample(file), format, options());
        assert!(direct.len() >= 50, "{file}: {} rows", direct.len());
        assert_eq!(direct[0].at.0 == 0, format != Format::OpenaiBatch, "{file}");

        let mut canonical = Vec::new();
        let report = convert(&sample(file), format, options(), &models(), &mut canonical)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(report.rows, direct.len() as u64, "{file}");
        assert_eq!(report.failed_in_source, direct_report.failed_in_source);
        assert_eq!(report.skipped.count, 0);

        let mut replay = TraceReader::new(
            canonical.as_slice(),
            PathBuf::from("converted.csv"),
            models(),
            Vec::new(),
        )
        .unwrap();
        let replayed: Vec<TraceRow> = replay.by_ref().map(Result::unwrap).collect();
        assert_eq!(replayed, direct, "{file}");
        assert_eq!(replay.keys(), direct_keys.as_slice(), "{file}");

        // The canonical path of the importer agrees too.
        let mut again = open_reader(
            canonical.as_slice(),
            PathBuf::from("converted.csv"),
            Format::Canonical,
            ImportOptions::default(),
            models(),
            Vec::new(),
        )
        .unwrap();
        let again_rows: Vec<TraceRow> = again.by_ref().map(Result::unwrap).collect();
        assert_eq!(again_rows, direct, "{file}");
    }
}

#[test]
fn samples_carry_what_their_scenarios_describe() {
    let (_, keys, report) = read_all(&sample("litellm-spend.csv"), Format::LitellmCsv, options());
    assert_eq!(keys.len(), 2);
    assert!(report.failed_in_source > 0);
    let (_, keys, _) = read_all(&sample("helicone-export.json"), Format::Helicone, options());
    assert_eq!(keys.len(), 3);
    let (_, keys, report) = read_all(&sample("otel-genai-spans.json"), Format::Otel, options());
    assert_eq!(keys, ["checkout-assistant", "search-reranker"]);
    assert_eq!(report.not_requests, 16);
    let (rows, keys, _) = read_all(
        &sample("openai-batch.jsonl"),
        Format::OpenaiBatch,
        options(),
    );
    assert_eq!((rows.len(), keys), (60, vec![DEFAULT_KEY.to_string()]));
    assert!(rows.iter().all(|r| r.max_tokens == Some(r.output_tokens)));
}

#[test]
fn each_import_scenario_names_its_sample_and_a_known_format() {
    for (file, format, scenario) in SAMPLES {
        let text = std::fs::read_to_string(repo("scenarios").join(scenario)).unwrap();
        let toml: toml::Value = toml::from_str(&text).unwrap();
        let group = &toml["groups"][0];
        assert_eq!(
            group["trace"].as_str(),
            Some(format!("samples/{file}").as_str()),
            "{scenario}"
        );
        let named = group["trace_format"].as_str().unwrap();
        assert_eq!(Format::from_name(named), Ok(format), "{scenario}");
        assert_eq!(
            group.get("arrival").is_some(),
            format == Format::OpenaiBatch,
            "{scenario}: only a batch file needs an arrival process"
        );
    }
}

/// `text` with line `n` (1-based) replaced.
fn replace_line(text: &str, n: usize, f: impl Fn(&str) -> String) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            if i + 1 == n {
                f(line)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The first error of `text` read in `format`, displayed, and the rows and
/// skip count with skipping on.
fn errors(text: &str, format: Format) -> (String, usize, u64, Vec<String>) {
    let read = |skip: bool| {
        let mut reader = open_reader(
            text.as_bytes(),
            PathBuf::from("bad"),
            format,
            ImportOptions {
                skip_bad_rows: skip,
                ..options()
            },
            models(),
            Vec::new(),
        )
        .unwrap();
        let rows: Vec<_> = reader.by_ref().collect();
        (rows, reader.into_report())
    };
    let (rows, _) = read(false);
    let first = rows
        .into_iter()
        .find_map(Result::err)
        .expect("an error")
        .to_string();
    let (rows, report) = read(true);
    assert!(rows.iter().all(Result::is_ok));
    let listed = report
        .skipped
        .first
        .iter()
        .map(ToString::to_string)
        .collect();
    (first, rows.len(), report.skipped.count, listed)
}

#[test]
fn bad_rows_are_located_and_skipped_rows_counted_in_every_format() {
    // LiteLLM CSV: three bad rows (a model typo, a token count, a time).
    let text = std::fs::read_to_string(sample("litellm-spend.csv")).unwrap();
    let total = text.lines().count() - 1;
    let set_cell = |text: &str, line: usize, cell: usize, f: &dyn Fn(&str) -> String| {
        replace_line(text, line, |l| {
            let mut cells: Vec<String> = l.split(',').map(String::from).collect();
            cells[cell] = f(&cells[cell]);
            cells.join(",")
        })
    };
    let text = set_cell(&text, 5, 9, &|model| model[..model.len() - 1].to_string());
    let text = set_cell(&text, 20, 5, &|_| "12.5".to_string());
    let text = set_cell(&text, 30, 7, &|_| "20-04-2026 09:01".to_string());
    let (first, rows, skipped, listed) = errors(&text, Format::LitellmCsv);
    assert!(
        first.starts_with("bad:5:10: field `model`: unknown model"),
        "{first}"
    );
    assert!(first.contains("(did you mean"), "{first}");
    assert_eq!((rows, skipped), (total - 3, 3));
    assert!(
        listed[1].starts_with("bad:20:6: field `prompt_tokens`: "),
        "{listed:?}"
    );
    assert!(
        listed[2].starts_with("bad:30:8: field `startTime`: "),
        "{listed:?}"
    );

    // LiteLLM JSON: a record of the list with a broken field.
    let text = std::fs::read_to_string(sample("litellm-spend.json")).unwrap();
    let text = replace_line(&text, 4, |l| {
        l.replace("\"prompt_tokens\":", "\"prompt_tokens\":-")
    });
    let (first, _, skipped, _) = errors(&text, Format::LitellmJson);
    assert_eq!(
        first.split(": expected").next().unwrap(),
        "bad:4: field `[2].prompt_tokens`"
    );
    assert_eq!(skipped, 1);

    // Helicone: a record whose time is nonsense.
    let text = std::fs::read_to_string(sample("helicone-export.json")).unwrap();
    let text = replace_line(&text, 7, |l| {
        l.replace(
            "\"request_created_at\":\"2026",
            "\"request_created_at\":\"x2026",
        )
    });
    let (first, _, skipped, _) = errors(&text, Format::Helicone);
    assert!(
        first.starts_with("bad:7: field `[5].request_created_at`: expected an ISO 8601"),
        "{first}"
    );
    assert_eq!(skipped, 1);

    // OpenTelemetry: an export request that is not JSON is skipped whole.
    let text = std::fs::read_to_string(sample("otel-genai-spans.json")).unwrap();
    let spans_on_line_3 = text
        .lines()
        .nth(2)
        .unwrap()
        .matches("gen_ai.request.model")
        .count();
    let text = replace_line(&text, 3, |l| l.replacen("\"spans\":[", "\"spans\":[,", 1));
    let (first, rows, skipped, _) = errors(&text, Format::Otel);
    assert!(first.starts_with("bad:3: invalid JSON: "), "{first}");
    assert_eq!((rows, skipped), (79 - spans_on_line_3, 1));

    // OpenAI batch: a line without a model.
    let text = std::fs::read_to_string(sample("openai-batch.jsonl")).unwrap();
    let text = replace_line(&text, 12, |l| l.replacen("\"model\":", "\"modle\":", 1));
    let (first, rows, skipped, _) = errors(&text, Format::OpenaiBatch);
    assert_eq!(
        first,
        "bad:12: field `body.model`: the model is empty; every request needs a model id"
    );
    assert_eq!((rows, skipped), (59, 1));
}

#[test]
fn a_sample_out_of_order_is_refused_or_sorted_on_request() {
    let text = std::fs::read_to_string(sample("litellm-spend.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(10, 11);
    let text = lines.join("\n") + "\n";
    let read = |sort: bool| {
        let reader = open_reader(
            text.as_bytes(),
            PathBuf::from("swapped.csv"),
            Format::LitellmCsv,
            ImportOptions {
                sort,
                ..ImportOptions::default()
            },
            models(),
            Vec::new(),
        )?;
        reader.collect::<Result<Vec<TraceRow>, _>>()
    };
    let error = read(false).unwrap_err().to_string();
    assert!(
        error.starts_with("swapped.csv:12:8: field `startTime`: this request is "),
        "{error}"
    );
    assert!(error.contains("(line 11)"), "{error}");
    let sorted = read(true).unwrap();
    let (original, _, _) = read_all(&sample("litellm-spend.csv"), Format::LitellmCsv, options());
    assert_eq!(sorted, original);
}
