//! Arbitrary bytes as a history file, in every format: parse, and when it parses,
//! check it against every model under a small step budget. Errors are fine; a panic
//! is a bug.
#![no_main]

use gameday::check::linearizability::{check, Limits, Model};
use gameday::history::{self, Format, ParseOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [Format::Auto, Format::Edn, Format::JepsenLog] {
        let opts = ParseOptions { format, ..ParseOptions::default() };
        let Ok(h) = history::parse(text, None, &opts) else { continue };
        for (name, _) in Model::NAMES {
            let model = Model::from_name(name).expect("listed model");
            let _ = check(&h, &model, &Limits::deterministic(20_000));
        }
    }
});
