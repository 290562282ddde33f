//! `gameday run`: one scenario, one seed. Checks every flag and output path before the
//! run starts, runs it, writes the report folder (summary.json, report.html,
//! reconciliation.json) and any exports, and prints the verdict.

use super::args::{self, RunLimits};
use super::error::CliError;
use super::exit::ExitCode;
use super::write::{write_html, write_json};
use crate::output;
use crate::report;
use crate::scenario::Scenario;
use crate::sim::{self, RunOptions, RunResult};
use std::path::{Path, PathBuf};

/// The files `run` writes into its `--out` folder.
const RUN_OUTPUTS: &[&str] = &["summary.json", "report.html", "reconciliation.json"];

/// Files a run writes besides its report folder.
pub struct Exports {
    pub trace: Option<PathBuf>,
    pub history: Option<PathBuf>,
    pub chrome_trace: Option<PathBuf>,
}

impl Exports {
    /// Each export asked for, with its flag.
    fn files(&self) -> impl Iterator<Item = (&'static str, &Path)> {
        let files = [
            ("--trace", &self.trace),
            ("--history", &self.history),
            ("--chrome-trace", &self.chrome_trace),
        ];
        files.into_iter().filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
    }
}

/// What the flags change about the scenario's run.
pub struct Overrides {
    pub seed: Option<u64>,
    pub duration_s: Option<f64>,
    pub limits: RunLimits,
}

pub fn cmd_run(
    path: &Path,
    overrides: Overrides,
    out: Option<PathBuf>,
    exports: Exports,
    quiet: bool,
) -> Result<ExitCode, CliError> {
    let scenario = crate::sim::load(&path.to_string_lossy())?;
    let duration = args::parse_duration(overrides.duration_s)?;
    args::check_sim_time_covers(overrides.limits, duration.unwrap_or(scenario.duration))?;
    let dir = out.unwrap_or_else(|| default_dir(&scenario, overrides.seed));
    check_outputs(path, &dir, &exports)?;
    let _locks = take_locks(&dir, &exports)?;
    let opts = RunOptions {
        seed: overrides.seed,
        duration,
        trace: exports.trace.map(PathBuf::into_boxed_path),
        history: exports.history.map(PathBuf::into_boxed_path),
        events_max: overrides.limits.events_max,
        sim_time_max: overrides.limits.sim_time_max,
    };
    let result = sim::run(&scenario, &opts)?;
    write_reports(&result, &dir, exports.chrome_trace.as_deref())?;
    let met = report::verdict(&result).met;
    print_verdict(&scenario, &result, &dir, quiet);
    Ok(if met { ExitCode::Ok } else { ExitCode::Unmet })
}

/// `reports/<name>/`, or `reports/<name>/seed-<n>/` for a seed other than the file's, so
/// runs of other seeds do not overwrite the file's own.
fn default_dir(scenario: &Scenario, seed: Option<u64>) -> PathBuf {
    let dir = PathBuf::from("reports").join(super::safe_dir_name(&scenario.name));
    match seed {
        Some(seed) if seed != scenario.seed => dir.join(format!("seed-{seed}")),
        _ => dir,
    }
}

/// Every output path, checked before the run: only gameday's own outputs are replaced,
/// and no two outputs (nor an output and the scenario) are one file.
fn check_outputs(scenario: &Path, dir: &Path, exports: &Exports) -> Result<(), CliError> {
    use output::collide::{self, Role};
    output::check_dir("--out", dir, RUN_OUTPUTS)?;
    let mut roles = vec![Role::input("SCENARIO", scenario, "the scenario file being run")];
    roles.extend(collide::dir_roles("--out", dir, RUN_OUTPUTS));
    for (flag, path) in exports.files() {
        output::check_file(flag, path)?;
        roles.push(Role::output(flag, path, format!("the {flag} file")));
        let lock = output::lock::file_lock_path(path);
        roles.push(Role::output(flag, &lock, format!("the lock file of {flag}")));
    }
    collide::check_distinct(&roles)?;
    Ok(())
}

/// The `--out` folder's lock and one for each export, so that no other run writes any
/// of them until this one is done: two runs never interleave one trace, nor leave a
/// trace from one run beside a history from another.
fn take_locks(dir: &Path, exports: &Exports) -> Result<Vec<output::lock::Lock>, CliError> {
    let mut locks = vec![output::lock::Lock::take("--out", dir)?];
    for (flag, path) in exports.files() {
        locks.push(output::lock::Lock::take_file(flag, path)?);
    }
    Ok(locks)
}

/// summary.json, reconciliation.json, the Chrome trace if asked for, and report.html,
/// in that order: the summary is the one output CI reads, so it goes first; the report
/// is the one that may be refused (`--report-mb-max`), so it goes last, and then the
/// earlier report is removed rather than left beside this run's summary.
fn write_reports(
    result: &RunResult,
    dir: &Path,
    chrome_trace: Option<&Path>,
) -> Result<(), CliError> {
    write_json(&dir.join("summary.json"), &report::summary_json(result))?;
    write_json(&dir.join("reconciliation.json"), &report::reconciliation_json(result))?;
    if let Some(path) = chrome_trace {
        let bytes = serde_json::to_vec(&report::chrome_trace(result)).expect("serializes");
        output::write::write_atomic(path, &bytes)
            .map_err(|source| CliError::ChromeTrace { path: path.to_path_buf(), source })?;
    }
    write_html(&dir.join("report.html"), &report::html::report_html(result))
}

/// The headline alone with `--quiet`; else the terminal summary (coloured only for
/// a terminal, and never when NO_COLOR is set, as no-color.org asks) and where the
/// summary file is.
fn print_verdict(scenario: &Scenario, result: &RunResult, dir: &Path, quiet: bool) {
    if quiet {
        println!(
            "{}: {}",
            output::text::terminal(&scenario.name),
            output::text::terminal(&crate::outcome::headline(result))
        );
        return;
    }
    use std::io::IsTerminal;
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if colour {
        print!("{}", report::terminal_coloured(result));
    } else {
        print!("{}", report::terminal(result));
    }
    let summary = dir.join("summary.json");
    println!("summary: {}", output::text::terminal(&summary.display().to_string()));
}
