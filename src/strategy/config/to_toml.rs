//! Writing strategy values back as the TOML a scenario would hold, for
//! `ratesim strategies` and `describe`.

use crate::strategy::StatusSet;
use crate::time::Nanos;

/// TOML text of a duration value, for `describe`.
pub(crate) fn toml_duration(d: Nanos) -> String {
    format!("\"{}\"", show(d))
}

/// A duration as a scenario writes it (`0s` rather than `0ns`).
pub(crate) fn show(d: Nanos) -> String {
    if d == Nanos::ZERO {
        "0s".to_string()
    } else {
        d.to_string()
    }
}

/// TOML text of a number, for `describe` (whole numbers without a fraction).
pub(crate) fn toml_number(x: f64) -> String {
    format!("{x}")
}

/// TOML text of a status list.
pub(crate) fn toml_codes(set: StatusSet) -> String {
    let codes: Vec<String> = set.codes().iter().map(u16::to_string).collect();
    format!("[{}]", codes.join(", "))
}
