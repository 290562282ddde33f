//! Times the linearizability checker on the public corpora in `tests/data/`, parse
//! included, one thread: the whole Knossos corpus, the six Porcupine kv histories split
//! per key, and the 10-client kv histories checked whole (`--no-partition`). Prints the
//! median of 5 runs of each, with counterexamples minimized (what `gameday history
//! check` does) and without (the verdict alone): wall-clock time, and the time this
//! thread was on a CPU (from /proc/self/schedstat, where there is one), since on a
//! shared machine the difference is other tenants' load. Run with
//! `cargo run --release --example lincheck`.

use gameday::check::linearizability::{check_with, CheckConfig, Limits, Model, Verdict};
use gameday::history::{self, ParseOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

const RUNS: usize = 5;

/// (file, model, expected verdict) for every row of a VERDICTS.tsv.
fn rows(folder: &Path) -> Vec<(PathBuf, Model, bool)> {
    let tsv = std::fs::read_to_string(folder.join("VERDICTS.tsv"))
        .unwrap_or_else(|e| panic!("{}: {e}", folder.join("VERDICTS.tsv").display()));
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("file\t"))
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                folder.join(c[0]),
                Model::from_name(c[1]).expect("known model"),
                c[2] == "linearizable",
            )
        })
        .collect()
}

/// Nanoseconds this thread has spent on a CPU, if the kernel says.
fn on_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Parses and checks each file once; returns the seconds taken, wall and on a CPU.
fn run(files: &[(PathBuf, Model, bool)], partition: bool, minimize: bool) -> (f64, f64) {
    #[allow(clippy::disallowed_methods)] // an example that reports its own speed
    let t0 = Instant::now();
    let cpu0 = on_cpu_ns();
    for (path, model, linearizable) in files {
        let h = history::load(path, &ParseOptions::default()).expect("corpus parses");
        let mut cfg = CheckConfig::new(model.clone(), Limits::deterministic(100_000_000));
        cfg.partition = partition;
        cfg.minimize = minimize;
        let r = check_with(&h, &cfg).expect("corpus fits its model");
        let ok = match r.verdict {
            Verdict::Linearizable => *linearizable,
            Verdict::NotLinearizable(_) => !*linearizable,
            Verdict::Unknown { .. } => false,
        };
        assert!(ok, "{}: wrong verdict", path.display());
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = match (cpu0, on_cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1e9,
        _ => f64::NAN,
    };
    (wall, cpu)
}

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn report(name: &str, files: &[(PathBuf, Model, bool)], partition: bool, target_s: f64) {
    for minimize in [true, false] {
        let runs: Vec<(f64, f64)> = (0..RUNS).map(|_| run(files, partition, minimize)).collect();
        let wall = median(runs.iter().map(|r| r.0).collect());
        let cpu = median(runs.iter().map(|r| r.1).collect());
        let all: Vec<String> = runs.iter().map(|r| format!("{:.1}", r.0 * 1e3)).collect();
        println!(
            "{name:<34} {:<13} wall {:>6.1} ms, on CPU {:>6.1} ms (target {:>4.0} ms) {}  wall runs [{}]",
            if minimize { "minimized cx" } else { "verdict only" },
            wall * 1e3,
            cpu * 1e3,
            target_s * 1e3,
            if wall <= target_s { "ok  " } else { "OVER" },
            all.join(", ")
        );
    }
}

fn main() {
    let corpora = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let knossos = rows(&corpora.join("knossos"));
    let kv = rows(&corpora.join("porcupine-kv"));
    println!("{} Knossos histories, {} kv histories; {RUNS} runs each", knossos.len(), kv.len());
    report("knossos corpus", &knossos, true, 0.05);
    report("six kv histories, per key", &kv, true, 0.095);
    for name in ["c10-ok.txt", "c10-bad.txt"] {
        let one: Vec<_> = kv.iter().filter(|r| r.0.ends_with(name)).cloned().collect();
        report(&format!("{name} without partitioning"), &one, false, 1.0);
    }
}
