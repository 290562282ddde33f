//! Arbitrary bytes as a scenario file: parse, validate, and when valid, a short
//! bounded run with every checker on. Any panic, hang or runaway allocation is a bug:
//! a user's file must get an error or a result, never a crash.
#![no_main]

use gameday::engine::SimDuration;
use gameday::sim::{self, RunOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(scenario) = gameday::scenario::from_str("fuzz.json", text) else { return };
    let opts = RunOptions {
        duration: Some(scenario.duration.min(SimDuration::from_secs(5))),
        events_max: Some(scenario.events_max.min(20_000)),
        ..RunOptions::default()
    };
    let _ = sim::run(&scenario, &opts);
});
