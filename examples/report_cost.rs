//! Report generation against simulation, for every bundled scenario: the median of
//! five runs of each. Report generation (summary.json, report.html and
//! reconciliation.json, serialized to bytes; the disk writes are left out) must take
//! less than the simulation it reports on.
//!
//!     cargo run --release --example report_cost

// A benchmark: it measures wall-clock time by design.
#![allow(clippy::disallowed_methods)]

use gameday::report;
use gameday::scenario;
use gameday::sim::{run, RunOptions};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .expect("run from the crate root")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "schema.json"))
        .collect();
    files.sort();
    println!(
        "{:<36} {:>10} {:>10} {:>7} {:>9}",
        "scenario", "sim ms", "report ms", "ratio", "html KB"
    );
    let mut worst: f64 = 0.0;
    for f in files {
        let s = scenario::load(f.to_str().expect("utf-8 path")).expect("valid scenario");
        let (mut sim, mut rep) = (Vec::new(), Vec::new());
        let mut html_len = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let r = run(&s, &RunOptions::default()).expect("runs");
            sim.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let summary = serde_json::to_vec_pretty(&report::summary_json(&r)).expect("json");
            let html = report::html::report_html(&r);
            let rec = serde_json::to_vec_pretty(&report::reconciliation_json(&r)).expect("json");
            rep.push(t.elapsed().as_secs_f64() * 1e3);
            html_len = html.len();
            std::hint::black_box((summary, rec));
        }
        let (sim, rep) = (median(sim), median(rep));
        worst = worst.max(rep / sim);
        println!(
            "{:<36} {:>10.1} {:>10.1} {:>7.3} {:>9}",
            f.file_stem().expect("a name").to_string_lossy(),
            sim,
            rep,
            rep / sim,
            html_len / 1024
        );
    }
    println!("worst report/simulation ratio: {worst:.3}");
}
