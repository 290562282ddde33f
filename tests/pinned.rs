//! A golden master for refactoring: every bundled scenario's trace hash, summary.json
//! (less the wall-clock figures) and report.html, pinned by hash. A change that means to
//! keep behaviour must leave this snapshot as it is; one that changes behaviour on
//! purpose updates it and says why.

mod common;

use gameday::engine::fnv1a64;
use gameday::report::html::report_html;
use gameday::report::summary_json;
use gameday::scenario;
use gameday::sim::{run, RunOptions};

fn bundled() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/negative"] {
        for e in std::fs::read_dir(dir).expect("scenario folder") {
            let p = e.expect("entry").path().display().to_string();
            if p.ends_with(".json") && !p.ends_with("schema.json") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_bundled_run_is_pinned_byte_for_byte() {
    let mut lines = Vec::new();
    let mut debug = Vec::new();
    for f in bundled() {
        let s = scenario::load(&f).expect("valid");
        let r = run(&s, &RunOptions::default()).expect("runs");
        let mut summary = summary_json(&r);
        let o = summary.as_object_mut().expect("an object");
        o.remove("perf");
        o.remove("events_per_sec");
        let summary = serde_json::to_string(&summary).expect("json");
        let amp = r.metrics.retry_amplification;
        assert!(
            amp >= 1.0,
            "{f}: retry amplification {amp}: attempts per operation are at least 1"
        );
        let html = report_html(&r);
        let terminal = gameday::report::terminal(&r);
        for (what, text) in [("terminal", &terminal), ("summary", &summary), ("report", &html)] {
            for name in common::debug_names(text) {
                debug.push(format!("{f} ({what}): {name}"));
            }
        }
        lines.push(format!(
            "{f}  trace {:016x}  summary {:016x}  report {:016x}",
            r.trace_hash,
            fnv1a64(summary.as_bytes()),
            fnv1a64(html.as_bytes())
        ));
    }
    debug.dedup();
    assert!(debug.is_empty(), "Rust debug names in user-facing text:\n{}", debug.join("\n"));
    insta::assert_snapshot!(lines.join("\n"));
}
