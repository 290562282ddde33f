//! The command-line front end: parses arguments with clap, runs the command, and maps
//! every outcome to an exit code (0 met, 1 unmet, 2 bad input or usage, 3 limit hit or
//! internal error, 130 interrupted; see `exit`). `main` only calls `run`.
//!
//! Each command lives in its own file and returns its verdict's exit code or the
//! `CliError` that stopped it, which only `run` prints (`validate` and `history check`
//! report each file's own error and go on to the next). The command line sits above
//! everything else: nothing outside this folder imports from it.

mod args;
mod compare;
mod error;
pub mod exit;
mod explore;
mod flags;
mod history;
mod history_model;
mod run_command;
mod scenario_files;
mod write;

use clap::{Parser, Subcommand};
use error::CliError;
use exit::ExitCode;
use flags::{ForceFlag, OutputSettings, ReportFlags};
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
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a scenario, check every invariant, write the report folder.
    ///
    /// Writes, into DIR (--out, default reports/<scenario name>/): summary.json (the
    /// verdict, every invariant and metric: what CI reads), report.html (one
    /// self-contained page of plots, trails and key figures) and reconciliation.json
    /// (after the liveness phase: the final writer, keys regions disagree on, lost
    /// writes, operations applied twice). With --trace, --history and --chrome-trace,
    /// those files too.
    #[command(
        after_help = "Example: gameday run scenarios/unfenced-promotion.json --seed 7 --trace trace.jsonl"
    )]
    Run {
        /// The scenario file (JSON) to run.
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
        #[command(flatten)]
        output: ReportFlags,
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
        /// The scenario whose workload, faults and seeds every design runs.
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
        #[command(flatten)]
        output: ReportFlags,
    },
    /// Run every scenario file under PATH (default: scenarios/) with its own seed and
    /// compare it with its `expect`: one row per scenario, exit 1 if any is unmet.
    #[command(after_help = "Example: gameday check scenarios --jobs 2 --junit gameday-junit.xml")]
    Check {
        /// Scenario files, or folders searched for them (default: scenarios/).
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
        #[command(flatten)]
        output: ForceFlag,
    },
    /// Run one scenario over many seeds (each drawing its own swarm schedule) and
    /// summarize: per invariant, the seeds that violated it; per metric, its spread.
    #[command(
        after_help = "Example: gameday sweep scenarios/swarm-fenced.json --seeds 1..1000 --out reports/sweep"
    )]
    Sweep {
        /// The scenario file to run over every seed.
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
        #[command(flatten)]
        output: ReportFlags,
    },
    /// Delta-debug a failing seed to a minimal scenario that still violates the same
    /// invariant, written as a plain scenario file.
    #[command(
        after_help = "Example: gameday shrink scenarios/swarm-unfenced.json --seed 3 --invariant single_writer"
    )]
    Shrink {
        /// The scenario file whose failing seed is shrunk.
        scenario: PathBuf,
        /// The seed that fails.
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
        #[command(flatten)]
        output: ForceFlag,
    },
    /// Combine the outputs of `sweep --shard` or `check --shard` runs into the result of
    /// one run; refuses a missing or duplicated shard.
    #[command(after_help = "Example: gameday merge shard-1 shard-2 shard-3 --out sweep")]
    Merge {
        /// The shard output folders (each holding sweep.json or check.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged output goes (default: the current folder).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        output: ReportFlags,
    },
    /// Write a starting scenario: NAME.json (or --out FILE), from a template or --from an
    /// existing scenario. Open it in an editor that reads "$schema" for field docs.
    #[command(
        after_help = "Example: gameday new my-drill --from scenarios/unfenced-promotion.json"
    )]
    New {
        /// The scenario's name, a plain name such as my-drill (also the file name, NAME.json).
        name: String,
        /// Start from this scenario instead of the template.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Where to write (default: NAME.json in the current folder).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overwrite an existing file at the scenario's path.
        #[arg(long)]
        force: bool,
    },
    /// Print the JSON Schema of the scenario format (shipped as scenarios/schema.json).
    #[command(after_help = "Example: gameday schema > scenarios/schema.json")]
    Schema,
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    #[command(after_help = "Example: gameday completions bash > /etc/bash_completion.d/gameday")]
    Completions {
        /// The shell to write completions for.
        shell: clap_complete::Shell,
    },
    /// Check scenario files without running them.
    #[command(after_help = "Example: gameday validate scenarios/gameday-naive.json my-drill.json")]
    Validate {
        /// Scenario files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Work with operation histories: `history check FILE... [--model NAME]`.
    History {
        #[command(subcommand)]
        cmd: history::HistoryCmd,
    },
}

/// Runs the command line `args`; returns the process exit code.
pub fn run(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` come this way too, printed to stdout: exit 0.
            let code = if e.use_stderr() { ExitCode::BadInput } else { ExitCode::Ok };
            let _ = e.print();
            return code.code();
        }
    };
    let settings = cli.cmd.output_settings();
    crate::output::set_force(settings.force);
    let outcome = crate::output::set_report_mb_max(settings.report_mb_max)
        .map_err(CliError::from)
        .and_then(|()| dispatch(cli.cmd));
    match outcome {
        Ok(code) => code.code(),
        Err(e) => {
            say_err(&format!("error: {e}"));
            e.exit_code().code()
        }
    }
}

/// Runs one command: each arm hands its arguments to the command's own function.
fn dispatch(cmd: Cmd) -> Result<ExitCode, CliError> {
    match cmd {
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
            output: _,
        } => {
            let limits = args::run_limits(events_max, sim_time_max_s)?;
            let exports = run_command::Exports { trace, history, chrome_trace };
            let overrides = run_command::Overrides { seed, duration_s, limits };
            run_command::cmd_run(&scenario, overrides, out, exports, quiet)
        }
        Cmd::Validate { files } => Ok(scenario_files::cmd_validate(&files)),
        Cmd::Check { paths, jobs, junit, shard, out, output: _ } => {
            explore::cmd_check(paths, jobs, junit, shard.as_deref(), out)
        }
        Cmd::Sweep { scenario, seeds, jobs, shard, duration_s, out, output: _ } => {
            let duration = args::parse_duration(duration_s)?;
            explore::cmd_sweep(&scenario, &seeds, jobs, shard.as_deref(), duration, out)
        }
        Cmd::Shrink { scenario, seed, invariant, out, attempts, output: _ } => {
            explore::cmd_shrink(&scenario, seed, invariant.as_deref(), out, attempts)
        }
        Cmd::Merge { dirs, out, output: _ } => explore::cmd_merge(&dirs, out),
        Cmd::Compare { scenario, designs, seed, seeds, duration_s, out, output: _ } => {
            compare::cmd_compare(&scenario, &designs, seed, seeds.as_deref(), duration_s, out)
        }
        Cmd::History { cmd } => history::run(cmd),
        Cmd::New { name, from, out, force } => {
            scenario_files::cmd_new(&name, from.as_deref(), out, force)
        }
        Cmd::Schema => {
            print!("{}", crate::scenario::schema_json());
            Ok(ExitCode::Ok)
        }
        Cmd::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "gameday", &mut std::io::stdout());
            Ok(ExitCode::Ok)
        }
    }
}

impl Cmd {
    /// What the command's `--force` and `--report-mb-max` ask for (the defaults for a
    /// command that takes neither).
    fn output_settings(&self) -> OutputSettings {
        match self {
            Cmd::Run { output, .. }
            | Cmd::Compare { output, .. }
            | Cmd::Sweep { output, .. }
            | Cmd::Merge { output, .. } => (*output).into(),
            Cmd::Check { output, .. } | Cmd::Shrink { output, .. } => {
                OutputSettings::force_only(output.force)
            }
            Cmd::New { force, .. } => OutputSettings::force_only(*force),
            Cmd::History { cmd } => OutputSettings::force_only(cmd.force()),
            Cmd::Schema | Cmd::Completions { .. } | Cmd::Validate { .. } => {
                OutputSettings::force_only(false)
            }
        }
    }
}

/// Prints a line to stdout, the user's text in it made safe for a terminal (control
/// characters escaped: a name cannot ring the bell or recolour the screen).
fn say(line: &str) {
    println!("{}", crate::output::text::terminal(line));
}

/// `say` for stderr.
fn say_err(line: &str) {
    eprintln!("{}", crate::output::text::terminal(line));
}

/// Folder names longer than this end in a hash of the whole name instead (a file
/// name may have 255 bytes at most, and `-compare` is appended to some).
const DIR_NAME_BYTES_MAX: usize = 120;

/// A scenario name as a folder name, one folder per name: letters, digits, `-` and `_`
/// stay; every other byte is written `~XX` (hex), so "a/b", "a-b" and "a\0b" never
/// share a folder. A long name keeps its first bytes and ends in `~~` and a hash of
/// the whole name (`~~` never occurs in a short one).
fn safe_dir_name(name: &str) -> String {
    use std::fmt::Write as _;
    let mut dir = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            dir.push(char::from(b));
        } else {
            let _ = write!(dir, "~{b:02x}");
        }
    }
    if dir.is_empty() {
        return "~".into();
    }
    if dir.len() <= DIR_NAME_BYTES_MAX {
        return dir;
    }
    // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
    let hash = crate::engine::fnv1a64(name.as_bytes());
    dir.truncate(DIR_NAME_BYTES_MAX - 20);
    format!("{dir}~~{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::safe_dir_name;

    #[test]
    fn different_names_get_different_folders() {
        let names = ["a/b", "a-b", "a\0b", "a b", "a~b", "a~2fb", "", "~", "..", "."];
        let dirs: Vec<String> = names.iter().map(|n| safe_dir_name(n)).collect();
        for (i, d) in dirs.iter().enumerate() {
            assert!(!d.is_empty() && !d.contains(['/', '\\', '\0', '.']), "{d}");
            assert!(!dirs[i + 1..].contains(d), "{} and another name share {d}", names[i]);
        }
        assert_eq!(safe_dir_name("gameday-naive"), "gameday-naive");
        let long = safe_dir_name(&"\u{1f600}".repeat(10_000));
        assert!(long.len() <= 120, "{long}");
        assert_ne!(long, safe_dir_name(&"\u{1f600}".repeat(10_001)));
    }
}
