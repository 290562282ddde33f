//! Peak memory against simulated time (issue 19): every bundled scenario run the way
//! `gameday run` runs it (checkers, summary.json, report.html, reconciliation.json
//! written) at its own `duration_s` and at `FACTOR` times it, fault times unchanged. Each
//! run is a fresh child process, and its peak resident set comes from the kernel
//! (`wait4`), so one run's allocations cannot inflate another's figure. Memory must not
//! grow with simulated time: a scenario whose long run peaks above 1.3 times its short
//! run is marked `GROWS`.
//!
//!     cargo run --release --example memory_growth [-- OPTIONS] [SCENARIO...]
//!
//! SCENARIO is a bundled scenario's file stem (`retry-storm`); none means all of them.
//! `--factor F` (default 10) scales the long run; `--at-s S` runs each scenario once at
//! S simulated seconds instead of the pair (the one-hour drill: `--at-s 3600
//! gameday-mitigated`); `--sim-only` runs the simulation and checkers without building
//! the report, to show how much of a peak the report accounts for.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The most a long run may peak over the short one before it counts as growth.
const RATIO_MAX: f64 = 1.3;

struct Options {
    factor: f64,
    at_s: Option<f64>,
    sim_only: bool,
    names: Vec<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        std::process::exit(child(&args[1..]));
    }
    let opts = parse(args);
    let dir = tempfile::tempdir().expect("a temporary folder");
    if let Some(at_s) = opts.at_s {
        println!("{:<40} {:>12} {:>5}", "scenario", "peak KB", "exit");
        for path in scenarios(&opts.names) {
            let (kb, code) = measure(&path, Some(at_s), dir.path(), opts.sim_only);
            println!("{:<40} {kb:>12} {code:>5}", stem(&path));
        }
        return;
    }
    println!(
        "{:<40} {:>10} {:>10} {:>6} {:>9}",
        "scenario", "1x KB", "long KB", "ratio", "exit 1/N"
    );
    let mut growing = Vec::new();
    for path in scenarios(&opts.names) {
        let (short_kb, short_code) = measure(&path, None, dir.path(), opts.sim_only);
        let long_s = duration_s(&path) * opts.factor;
        let (long_kb, long_code) = measure(&path, Some(long_s), dir.path(), opts.sim_only);
        let ratio = long_kb as f64 / short_kb as f64;
        let mark = if ratio > RATIO_MAX { "  GROWS" } else { "" };
        println!(
            "{:<40} {short_kb:>10} {long_kb:>10} {ratio:>6.2} {short_code:>4}/{long_code:<4}{mark}",
            stem(&path)
        );
        if ratio > RATIO_MAX {
            growing.push(stem(&path));
        }
    }
    println!(
        "over {RATIO_MAX}x: {}",
        if growing.is_empty() { "none".into() } else { growing.join(", ") }
    );
}

fn parse(args: Vec<String>) -> Options {
    let mut opts = Options { factor: 10.0, at_s: None, sim_only: false, names: Vec::new() };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut number = |flag: &str| -> f64 {
            let v = it.next().unwrap_or_else(|| panic!("{flag} needs a number"));
            v.parse().unwrap_or_else(|_| panic!("{flag}: not a number: {v}"))
        };
        match a.as_str() {
            "--factor" => opts.factor = number("--factor"),
            "--at-s" => opts.at_s = Some(number("--at-s")),
            "--sim-only" => opts.sim_only = true,
            _ => opts.names.push(a),
        }
    }
    opts
}

/// The bundled scenarios named (all of them when none is), in file order.
fn scenarios(names: &[String]) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .expect("run from the crate root")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| stem(p) != "schema")
        .filter(|p| names.is_empty() || names.contains(&stem(p)))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no bundled scenario is named {names:?}");
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().expect("a file name").to_string_lossy().into_owned()
}

fn duration_s(path: &Path) -> f64 {
    let text = std::fs::read_to_string(path).expect("readable scenario");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON scenario");
    v["duration_s"].as_f64().expect("duration_s is a number")
}

/// Runs `path` in a child process, at `at_s` simulated seconds when given (a copy of the
/// file with only `duration_s` changed, so faults keep their times), and returns the
/// child's peak resident set in KB and its exit code.
fn measure(path: &Path, at_s: Option<f64>, tmp: &Path, sim_only: bool) -> (i64, i32) {
    let file = match at_s {
        None => path.to_path_buf(),
        Some(s) => {
            let text = std::fs::read_to_string(path).expect("readable scenario");
            let mut v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            v["duration_s"] = serde_json::json!(s);
            let copy = tmp.join(format!("{}.json", stem(path)));
            std::fs::write(&copy, serde_json::to_vec_pretty(&v).expect("JSON")).expect("write");
            copy
        }
    };
    let out = tmp.join("out").join(stem(path));
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.arg("--child");
    if sim_only {
        cmd.arg("--sim-only");
    }
    // `wait_peak` reaps the child with `wait4`, which also reports its peak memory;
    // `Child::wait` would reap it without.
    #[allow(clippy::zombie_processes)]
    let child = cmd.arg(&file).arg(&out).stdout(Stdio::null()).spawn().expect("spawns");
    wait_peak(child.id())
}

/// Waits for the child and reads its peak resident set from the kernel.
fn wait_peak(pid: u32) -> (i64, i32) {
    let mut status = 0;
    // SAFETY: rusage is plain old data that wait4 fills in; pid is our own child, which
    // nothing else waits for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(got, pid as libc::pid_t, "wait4 failed");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    // ru_maxrss is in kilobytes on Linux.
    (usage.ru_maxrss, code)
}

/// The measured process: `gameday run FILE --out OUT -q` as a user runs it, or with
/// `--sim-only` the simulation and checkers alone.
fn child(args: &[String]) -> i32 {
    let (sim_only, rest) = match args.first().map(String::as_str) {
        Some("--sim-only") => (true, &args[1..]),
        _ => (false, args),
    };
    let [file, out] = rest else { panic!("--child [--sim-only] FILE OUT") };
    if sim_only {
        let s = gameday::scenario::load(file).expect("valid scenario");
        let r = gameday::sim::run(&s, &gameday::sim::RunOptions::default()).expect("runs");
        std::hint::black_box(&r);
        return 0;
    }
    let argv = ["gameday", "run", file, "--out", out, "--force", "-q"];
    gameday::cli::run(argv.iter().map(|s| s.to_string()).collect())
}
