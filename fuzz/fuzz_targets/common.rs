//! What every trace-parser target checks: no panic, rows in time order,
//! nothing after an error, keys in range, whatever the options.

use std::path::PathBuf;

use ratesim::policy::catalogue::CATALOGUE;
use ratesim::rng::{stream, Purpose};
use ratesim::workload::import::{open_reader, Format, ImportOptions};
use ratesim::workload::ArrivalSpec;

pub fn check(format: Format, data: &[u8]) {
    let models: Vec<String> = CATALOGUE.iter().map(|m| m.id.to_string()).collect();
    for (skip_bad_rows, sort) in [(false, false), (true, false), (true, true)] {
        let options = ImportOptions {
            skip_bad_rows,
            sort,
            arrivals: Some((
                ArrivalSpec::Poisson { rate: 3.0 },
                stream(1, "fuzz", Purpose::Arrivals),
            )),
        };
        let Ok(mut reader) = open_reader(
            data,
            PathBuf::from("fuzz"),
            format,
            options,
            models.clone(),
            Vec::new(),
        ) else {
            continue;
        };
        let mut last = None;
        let mut failed = false;
        for row in reader.by_ref() {
            assert!(!failed, "a row after an error");
            match row {
                Ok(row) => {
                    assert!(last.is_none_or(|t| t <= row.at), "rows out of time order");
                    last = Some(row.at);
                }
                Err(_) => failed = true,
            }
        }
        assert!(reader.next().is_none());
        let keys = reader.keys().len();
        assert!(reader.report().rows == 0 || keys > 0);
    }
}
