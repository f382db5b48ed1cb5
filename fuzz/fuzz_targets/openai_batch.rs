#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ratesim::workload::import::Format;

fuzz_target!(|data: &[u8]| common::check(Format::OpenaiBatch, data));
