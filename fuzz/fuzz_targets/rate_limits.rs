#![no_main]

use libfuzzer_sys::fuzz_target;
use ratesim::policy::import::{import_limits, policy_toml};

// Any text: no panic, and an accepted body writes TOML that parses.
fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(entries) = import_limits(text) {
            let written = policy_toml(&entries, "fuzz");
            toml::from_str::<toml::Value>(&written).expect("the written TOML parses");
        }
    }
});
