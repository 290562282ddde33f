//! The command-line front end: parses arguments with clap, runs the command, and maps
//! every outcome to an exit code (0 met, 1 unmet, 2 bad input or usage, 3 limit hit or
//! internal error). `main` only calls `run`.

use crate::engine::SimDuration;
use crate::report;
use crate::scenario;
use crate::sim::{self, RunOptions};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "gameday",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("GAMEDAY_GIT_COMMIT"), ")"),
    about = "Deterministic fault-injection simulator for multi-region architectures",
    after_help = "Example: gameday run scenarios/gameday-naive.json"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Overwrite output files that gameday did not write (by default it replaces only
    /// its own earlier outputs), and an existing file `new` would write.
    #[arg(long, global = true)]
    force: bool,
    /// HTML reports larger than this are not written (exit 3).
    #[arg(long = "report-mb-max", value_name = "MB", global = true, default_value_t = crate::output::REPORT_MB_MAX_DEFAULT)]
    report_mb_max: f64,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a scenario, check every invariant, write DIR/summary.json.
    #[command(
        after_help = "Example: gameday run scenarios/unfenced-promotion.json --seed 7 --trace trace.jsonl"
    )]
    Run {
        scenario: PathBuf,
        /// Overrides the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Overrides the scenario's drill duration (faults starting later are dropped).
        #[arg(long = "duration-s")]
        duration_s: Option<f64>,
        /// Where reports go (default: reports/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Writes every dispatched event as one JSON line to FILE.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Writes the strong-class register history to FILE in Jepsen's EDN format.
        #[arg(long)]
        history: Option<PathBuf>,
        /// Writes Chrome trace-event JSON to FILE (opens in Perfetto).
        #[arg(long = "chrome-trace")]
        chrome_trace: Option<PathBuf>,
        /// Prints only the verdict line.
        #[arg(long, short)]
        quiet: bool,
        /// Overrides limits.events_max: events dispatched at most before exit 3.
        #[arg(long = "events-max")]
        events_max: Option<u64>,
        /// Overrides limits.sim_time_max_s: simulated seconds at most before exit 3.
        #[arg(long = "sim-time-max-s")]
        sim_time_max_s: Option<f64>,
    },
    /// Run several designs against one scenario's workload, faults and seeds, and write
    /// a side-by-side report (DIR/compare.json, DIR/compare.html).
    ///
    /// Designs come from --design files (JSON merge patches over the scenario's design:
    /// {"name": "fenced", "design": {"fencing": true}}); with a single --design file the
    /// scenario's own design is compared against it; with none, the scenario's own design
    /// and its `variants`.
    #[command(
        after_help = "Example: gameday compare scenarios/retry-duplicates.json --design designs/idempotency-keys.json --seeds 1..20"
    )]
    Compare {
        scenario: PathBuf,
        /// A design file; repeat for each design.
        #[arg(long = "design")]
        designs: Vec<PathBuf>,
        /// One seed for every design (default: the scenario's).
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// A range of seeds, both ends included: 1..100 runs a hundred seeds per design.
        #[arg(long)]
        seeds: Option<String>,
        /// Overrides the scenario's drill duration.
        #[arg(long = "duration-s")]
        duration_s: Option<f64>,
        /// Where the report goes (default: reports/<scenario name>-compare/).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run every scenario file under PATH (default: scenarios/) with its own seed and
    /// compare it with its `expect`: one row per scenario, exit 1 if any is unmet.
    #[command(after_help = "Example: gameday check scenarios --jobs 2 --junit gameday-junit.xml")]
    Check {
        paths: Vec<PathBuf>,
        /// Threads (default: every core). The output is the same for any value.
        #[arg(long)]
        jobs: Option<usize>,
        /// Writes JUnit XML (for GitHub Actions, GitLab) to FILE.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Runs only shard I of N (1-based), e.g. 2/4.
        #[arg(long)]
        shard: Option<String>,
        /// Writes DIR/check.json (what `gameday merge` combines).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run one scenario over many seeds (each drawing its own swarm schedule) and
    /// summarize: per invariant, the seeds that violated it; per metric, its spread.
    #[command(
        after_help = "Example: gameday sweep scenarios/swarm-fenced.json --seeds 1..1000 --out reports/sweep"
    )]
    Sweep {
        scenario: PathBuf,
        /// Seeds, both ends included: 1..1000.
        #[arg(long, required = true)]
        seeds: String,
        /// Threads (default: every core). The output is the same for any value.
        #[arg(long)]
        jobs: Option<usize>,
        /// Runs only shard I of N (1-based) of the seeds, e.g. 2/4.
        #[arg(long)]
        shard: Option<String>,
        /// Overrides the scenario's drill duration.
        #[arg(long = "duration-s")]
        duration_s: Option<f64>,
        /// Where sweep.json and sweep.html go (default: reports/<scenario name>-sweep/).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Delta-debug a failing seed to a minimal scenario that still violates the same
    /// invariant, written as a plain scenario file.
    #[command(
        after_help = "Example: gameday shrink scenarios/swarm-unfenced.json --seed 3 --invariant single_writer"
    )]
    Shrink {
        scenario: PathBuf,
        #[arg(long, required = true)]
        seed: u64,
        /// The invariant to keep violated (default: the first the run violates).
        #[arg(long)]
        invariant: Option<String>,
        /// Where the shrunk scenario goes (default: <scenario name>-shrunk-seed-N.json).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Runs tried at most.
        #[arg(long, default_value_t = 400)]
        attempts: u32,
    },
    /// Combine the outputs of `sweep --shard` or `check --shard` runs into the result of
    /// one run; refuses a missing or duplicated shard.
    #[command(after_help = "Example: gameday merge shard-1 shard-2 shard-3 --out sweep")]
    Merge {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged output goes (default: the current folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a starting scenario: NAME.json (or --out FILE), from a template or --from an
    /// existing scenario. Open it in an editor that reads "$schema" for field docs.
    #[command(
        after_help = "Example: gameday new my-drill --from scenarios/unfenced-promotion.json"
    )]
    New {
        name: String,
        /// Start from this scenario instead of the template.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Where to write (default: NAME.json in the current folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the JSON Schema of the scenario format (shipped as scenarios/schema.json).
    #[command(after_help = "Example: gameday schema > scenarios/schema.json")]
    Schema,
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    #[command(after_help = "Example: gameday completions bash > /etc/bash_completion.d/gameday")]
    Completions { shell: clap_complete::Shell },
    /// Check scenario files without running them.
    #[command(after_help = "Example: gameday validate scenarios/gameday-naive.json my-drill.json")]
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Work with operation histories: `history check FILE... --model NAME`.
    History {
        #[command(subcommand)]
        cmd: crate::cli_history::HistoryCmd,
    },
}

/// The files `run` writes into its `--out` folder.
const RUN_OUTPUTS: &[&str] = &["summary.json", "report.html", "reconciliation.json"];

pub const EXIT_OK: i32 = 0;
pub const EXIT_UNMET: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_LIMIT: i32 = 3;

/// Runs the command line `args`; returns the process exit code.
pub fn run(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    crate::output::set_force(cli.force);
    if let Err(e) = crate::output::set_report_mb_max(cli.report_mb_max) {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    match cli.cmd {
        Cmd::Run {
            scenario,
            seed,
            duration_s,
            out,
            trace,
            history,
            chrome_trace,
            quiet,
            events_max,
            sim_time_max_s,
        } => {
            let exports = Exports { trace, history, chrome_trace };
            let limits = match (events_max, sim_time_max_s) {
                (Some(0), _) => {
                    eprintln!("error: --events-max: must be at least 1");
                    return EXIT_BAD_INPUT;
                }
                (e, Some(t)) if !(t.is_finite() && t > 0.0 && t <= 31_536_000.0) => {
                    let _ = e;
                    eprintln!("error: --sim-time-max-s: must be a positive number of seconds up to a year, got {t}");
                    return EXIT_BAD_INPUT;
                }
                (e, t) => (e, t.map(SimDuration::from_secs_f64)),
            };
            cmd_run(&scenario, seed, duration_s, out, exports, quiet, limits)
        }
        Cmd::Validate { files } => cmd_validate(&files),
        Cmd::Check { paths, jobs, junit, shard, out } => {
            crate::cli_explore::cmd_check(paths, jobs, junit, shard.as_deref(), out)
        }
        Cmd::Sweep { scenario, seeds, jobs, shard, duration_s, out } => {
            let d = match parse_duration(duration_s) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_BAD_INPUT;
                }
            };
            crate::cli_explore::cmd_sweep(&scenario, &seeds, jobs, shard.as_deref(), d, out)
        }
        Cmd::Shrink { scenario, seed, invariant, out, attempts } => {
            crate::cli_explore::cmd_shrink(&scenario, seed, invariant.as_deref(), out, attempts)
        }
        Cmd::Merge { dirs, out } => crate::cli_explore::cmd_merge(&dirs, out),
        Cmd::Compare { scenario, designs, seed, seeds, duration_s, out } => {
            cmd_compare(&scenario, &designs, seed, seeds.as_deref(), duration_s, out)
        }
        Cmd::History { cmd } => crate::cli_history::run(cmd),
        Cmd::New { name, from, out } => cmd_new(&name, from.as_deref(), out, cli.force),
        Cmd::Schema => {
            print!("{}", crate::scenario::schema_json());
            EXIT_OK
        }
        Cmd::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "gameday", &mut std::io::stdout());
            EXIT_OK
        }
    }
}

/// The template `gameday new` writes: a small drill that runs as it is, with every
/// part a user would change first, and an expectation to edit.
const NEW_TEMPLATE: &str = r#"{
  "$schema": "./schema.json",
  "version": 1,
  "name": "NAME",
  "description": "What this drill asks. Edit the regions, the design (what you would build), the workload and the faults (what goes wrong), then run: gameday run FILE. Hover any field in an editor that reads $schema for its meaning; the README's 'Scenario format' lists them all.",
  "seed": 1,
  "duration_s": 60,
  "regions": [
    {"name": "us-east", "role": "primary"},
    {"name": "eu-west", "role": "standby"},
    {"name": "ap-south", "role": "read-replica"}
  ],
  "network": {"rtt_ms": {"us-east/eu-west": 70, "us-east/ap-south": 220, "eu-west/ap-south": 240}},
  "design": {
    "topology": "active-passive",
    "replication": {"mode": "semi-sync", "acks": 1},
    "fencing": true,
    "promotion": {"automated": true},
    "control_plane": {"region": "eu-west"}
  },
  "workload": {
    "rate_per_s": 300,
    "mix": {"account.transfer": 0.2, "account.read": 0.3, "register.write": 0.2, "register.read": 0.3}
  },
  "faults": [
    {"at_s": 20, "for_s": 20, "kind": "partition", "between": [["us-east"], ["eu-west", "ap-south"]]}
  ],
  "expect": {"hold": ["single_writer", "fenced_writes", "domain"]}
}
"#;

fn cmd_new(name: &str, from: Option<&std::path::Path>, out: Option<PathBuf>, force: bool) -> i32 {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        EXIT_BAD_INPUT
    };
    if name.trim().is_empty() || name.contains(['/', '\\']) {
        return fail(format!(
            "NAME {name:?}: give a plain name such as my-drill (use --out for the path)"
        ));
    }
    let dest = out.unwrap_or_else(|| PathBuf::from(format!("{}.json", safe_dir_name(name))));
    if dest.exists() && !force {
        return fail(format!(
            "{}: already exists; choose another --out, or --force to overwrite it",
            dest.display()
        ));
    }
    let text = match from {
        None => NEW_TEMPLATE.replace("\"NAME\"", &serde_json::Value::from(name).to_string()),
        Some(src) => {
            let src_s = src.to_string_lossy().into_owned();
            if let Err(e) = scenario::load(&src_s) {
                return fail(e.to_string());
            }
            let raw = std::fs::read_to_string(src).unwrap_or_default();
            let mut v: serde_json::Value =
                match serde_json::from_str(raw.trim_start_matches('\u{feff}')) {
                    Ok(v) => v,
                    Err(e) => return fail(format!("{src_s}: {e}")),
                };
            v["name"] = name.into();
            let old = v["description"].as_str().unwrap_or("").to_string();
            v["description"] = format!("Started from {src_s}. {old}").trim().to_string().into();
            let mut t = serde_json::to_string_pretty(&v).expect("serializes");
            t.push('\n');
            t
        }
    };
    if let Err(e) = report::write_atomic(&dest, text.as_bytes()) {
        return fail(format!("{}: cannot write: {e}", dest.display()));
    }
    if let Err(e) = scenario::load(&dest.to_string_lossy()) {
        eprintln!("error: the new scenario does not validate (a bug in gameday): {e}");
        return EXIT_LIMIT;
    }
    println!("wrote {}; run it with: gameday run {}", dest.display(), dest.display());
    EXIT_OK
}

fn cmd_validate(files: &[PathBuf]) -> i32 {
    let mut code = EXIT_OK;
    for f in files {
        // `gameday validate scenarios/*.json` meets the shipped schema too: say so.
        let is_schema = std::fs::read_to_string(f)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| v["$schema"].as_str().is_some_and(|s| s.contains("json-schema.org")));
        if is_schema {
            println!("{}: skipped (the JSON Schema of scenarios, not a scenario)", f.display());
            continue;
        }
        match scenario::load(&f.to_string_lossy()) {
            Ok(s) => println!(
                "{}: ok ({}, {} regions, {} faults)",
                f.display(),
                s.name,
                s.regions.len(),
                s.faults.len()
            ),
            Err(e) => {
                eprintln!("error: {e}");
                code = EXIT_BAD_INPUT;
            }
        }
    }
    code
}

fn parse_duration(duration_s: Option<f64>) -> Result<Option<SimDuration>, String> {
    match duration_s {
        None => Ok(None),
        Some(d) if d.is_finite() && d > 0.0 && d <= 86_400.0 => {
            Ok(Some(SimDuration::from_secs_f64(d)))
        }
        Some(d) => {
            Err(format!("--duration-s: must be a positive number of seconds up to 86400, got {d}"))
        }
    }
}

fn cmd_compare(
    path: &std::path::Path,
    design_files: &[PathBuf],
    seed: Option<u64>,
    seeds: Option<&str>,
    duration_s: Option<f64>,
    out: Option<PathBuf>,
) -> i32 {
    use crate::compare;
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        EXIT_BAD_INPUT
    };
    let duration = match parse_duration(duration_s) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let path_s = path.to_string_lossy().into_owned();
    let base = match scenario::load(&path_s) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let mut designs = Vec::new();
    for f in design_files {
        match compare::load_design(&f.to_string_lossy()) {
            Ok(d) => designs.push(d),
            Err(e) => return fail(e.to_string()),
        }
    }
    if designs.is_empty() {
        designs = compare::variants(&base);
    } else if designs.len() == 1 {
        designs.insert(0, compare::variants(&base).swap_remove(0));
    }
    let dir = out.unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-compare", safe_dir_name(&base.name)))
    });
    if let Err(e) = crate::output::check_dir("--out", &dir, &["compare.json", "compare.html"]) {
        return fail(e.to_string());
    }
    let seeds = match (seed, seeds) {
        (Some(s), _) => vec![s],
        (None, Some(spec)) => match compare::parse_seeds(spec) {
            Ok(v) => v,
            Err(e) => return fail(e.to_string()),
        },
        (None, None) => vec![base.seed],
    };
    let c = match compare::compare(&path_s, designs, seeds, duration, report::key_metrics) {
        Ok(c) => c,
        Err(compare::CompareError::Run { design, seed, err }) => {
            eprintln!("error: design {design}, seed {seed}: {err}");
            return EXIT_LIMIT;
        }
        Err(e) => return fail(e.to_string()),
    };
    let json = serde_json::to_vec_pretty(&report::compare::compare_json(&c)).expect("serializes");
    let html = report::compare::compare_html(&c);
    if let Err(e) = crate::output::check_report_size(&dir.join("compare.html"), html.len()) {
        eprintln!("error: {e}");
        return EXIT_LIMIT;
    }
    for (name, bytes) in [("compare.json", json.as_slice()), ("compare.html", html.as_bytes())] {
        if let Err(e) = report::write_atomic(&dir.join(name), bytes) {
            eprintln!("error: writing {}: {e}", dir.join(name).display());
            return EXIT_LIMIT;
        }
    }
    print!("{}", report::compare::compare_terminal(&c));
    println!("report: {}", dir.join("compare.html").display());
    EXIT_OK
}

/// Files a run writes besides its report folder.
struct Exports {
    trace: Option<PathBuf>,
    history: Option<PathBuf>,
    chrome_trace: Option<PathBuf>,
}

fn cmd_run(
    path: &std::path::Path,
    seed: Option<u64>,
    duration_s: Option<f64>,
    out: Option<PathBuf>,
    exports: Exports,
    quiet: bool,
    limits: (Option<u64>, Option<SimDuration>),
) -> i32 {
    let Exports { trace, history, chrome_trace } = exports;
    let s = match scenario::load(&path.to_string_lossy()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let duration = match parse_duration(duration_s) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(t) = limits.1 {
        let drill = duration.unwrap_or(s.duration);
        if t < drill {
            eprintln!(
                "error: --sim-time-max-s: {} s is shorter than the drill ({} s); give at least the drill's length",
                t.as_secs_f64(),
                drill.as_secs_f64()
            );
            return EXIT_BAD_INPUT;
        }
    }
    let dir = out.unwrap_or_else(|| PathBuf::from("reports").join(safe_dir_name(&s.name)));
    let outputs = crate::output::check_dir("--out", &dir, RUN_OUTPUTS).and_then(|()| {
        [("--trace", &trace), ("--history", &history), ("--chrome-trace", &chrome_trace)]
            .iter()
            .filter_map(|(flag, p)| p.as_ref().map(|p| (flag, p)))
            .try_for_each(|(flag, p)| crate::output::check_file(flag, p))
    });
    if let Err(e) = outputs {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    let opts = RunOptions {
        seed,
        duration,
        trace: trace.map(PathBuf::into_boxed_path),
        history: history.map(PathBuf::into_boxed_path),
        events_max: limits.0,
        sim_time_max: limits.1,
    };
    let r = match sim::run(&s, &opts) {
        Ok(r) => r,
        Err(sim::SimError::TraceFile { path, reason }) => {
            eprintln!("error: --trace {path}: {reason}");
            return EXIT_BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_LIMIT;
        }
    };
    let summary = report::summary_json(&r);
    let bytes = serde_json::to_vec_pretty(&summary).expect("summary serializes");
    if let Err(e) = report::write_atomic(&dir.join("summary.json"), &bytes) {
        eprintln!("error: writing {}: {e}", dir.join("summary.json").display());
        return EXIT_LIMIT;
    }
    if let Some(p) = &chrome_trace {
        let bytes = serde_json::to_vec(&report::chrome_trace(&r)).expect("serializes");
        if let Err(e) = report::write_atomic(p, &bytes) {
            eprintln!("error: --chrome-trace {}: {e}", p.display());
            return EXIT_BAD_INPUT;
        }
    }
    let html = report::html::report_html(&r);
    if let Err(e) = crate::output::check_report_size(&dir.join("report.html"), html.len()) {
        eprintln!("error: {e}");
        return EXIT_LIMIT;
    }
    if let Err(e) = report::write_atomic(&dir.join("report.html"), html.as_bytes()) {
        eprintln!("error: writing {}: {e}", dir.join("report.html").display());
        return EXIT_LIMIT;
    }
    let rec = serde_json::to_vec_pretty(&report::reconciliation_json(&r)).expect("serializes");
    if let Err(e) = report::write_atomic(&dir.join("reconciliation.json"), &rec) {
        eprintln!("error: writing {}: {e}", dir.join("reconciliation.json").display());
        return EXIT_LIMIT;
    }
    let v = report::verdict(&r);
    if quiet {
        println!("{}: {}", s.name, if v.met { "expectations met" } else { "expectations NOT met" });
    } else {
        // Colour only for a terminal, and never when NO_COLOR is set (no-color.org).
        use std::io::IsTerminal;
        let colour = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        if colour {
            print!("{}", report::terminal_coloured(&r));
        } else {
            print!("{}", report::terminal(&r));
        }
        println!("summary: {}", dir.join("summary.json").display());
    }
    if v.met {
        EXIT_OK
    } else {
        EXIT_UNMET
    }
}

/// A scenario name as a folder name: markup and separators become dashes.
pub(crate) fn safe_dir_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    if s.is_empty() {
        "scenario".into()
    } else {
        s
    }
}
