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
    version,
    about = "Deterministic fault-injection simulator for multi-region architectures"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a scenario, check every invariant, write DIR/summary.json.
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
    },
    /// Check scenario files without running them.
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
    match cli.cmd {
        Cmd::Run { scenario, seed, duration_s, out, trace, history, chrome_trace, quiet } => {
            let exports = Exports { trace, history, chrome_trace };
            cmd_run(&scenario, seed, duration_s, out, exports, quiet)
        }
        Cmd::Validate { files } => cmd_validate(&files),
        Cmd::History { cmd } => crate::cli_history::run(cmd),
    }
}

fn cmd_validate(files: &[PathBuf]) -> i32 {
    let mut code = EXIT_OK;
    for f in files {
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
) -> i32 {
    let Exports { trace, history, chrome_trace } = exports;
    let s = match scenario::load(&path.to_string_lossy()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let duration = match duration_s {
        None => None,
        Some(d) if d.is_finite() && d > 0.0 && d <= 86_400.0 => Some(SimDuration::from_secs_f64(d)),
        Some(d) => {
            eprintln!(
                "error: --duration-s: must be a positive number of seconds up to 86400, got {d}"
            );
            return EXIT_BAD_INPUT;
        }
    };
    let opts = RunOptions {
        seed,
        duration,
        trace: trace.map(PathBuf::into_boxed_path),
        history: history.map(PathBuf::into_boxed_path),
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
    let dir = out.unwrap_or_else(|| PathBuf::from("reports").join(safe_dir_name(&s.name)));
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
fn safe_dir_name(name: &str) -> String {
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
