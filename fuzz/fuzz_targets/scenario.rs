#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

// Any text as a scenario file: validation never panics, and an accepted
// scenario whose cost estimate is small runs to the end without panicking
// (the engine checks conservation itself).
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sc) = ratesim::scenario::parse(text, Path::new("fuzz.toml")) else {
        return;
    };
    let cost = ratesim::experiment::cost::of_run(&sc, 1.0);
    if cost.events < 200_000.0 && cost.series_rows < 100_000.0 {
        let _ = ratesim::experiment::simulate_quiet(&sc, sc.seed);
    }
});
