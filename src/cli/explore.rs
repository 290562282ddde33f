//! The exploration commands: `check`, `sweep`, `shrink` and `merge` (see `explore`).
//! Each checks its flags and output paths before any run starts, then leaves the work
//! to `explore` and writes what it returns.

use super::args::{self, ArgError};
use super::error::{CliError, ShardFolderError};
use super::exit::{ExitCode, Ranking};
use super::safe_dir_name;
use super::write::{write, write_html, write_json};
use crate::engine::SimDuration;
use crate::explore::{check, shrink, sweep};
use crate::output::collide::{self, Role};
use crate::scenario::Scenario;
use crate::{output, report};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub fn cmd_check(
    paths: Vec<PathBuf>,
    jobs: Option<usize>,
    junit: Option<PathBuf>,
    shard: Option<&str>,
    out: Option<PathBuf>,
) -> Result<ExitCode, CliError> {
    let (jobs, shard) = args::jobs_and_shard(jobs, shard)?;
    let paths = if paths.is_empty() { vec![PathBuf::from("scenarios")] } else { paths };
    let (all, skipped) = check::split(check::find(&paths)?);
    if all.is_empty() {
        print!("{}", report::check::skipped_lines(&skipped));
        let paths = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(ArgError::NoScenarioFiles { paths }.into());
    }
    let mine = check::shard_of(&all, shard);
    let _locks = check_check_outputs(&all, junit.as_deref(), out.as_deref())?;
    crate::explore::catch_interrupt();
    let (rows, partial) = check::check(&mine, jobs);
    print!("{}", report::check::table(&rows, &skipped));
    if let Some(junit) = junit {
        write(&junit, report::check::junit(&rows, &skipped).as_bytes())?;
    }
    if let Some(dir) = out {
        write_json(
            &dir.join("check.json"),
            &check::check_json(&all, &skipped, shard, partial, &rows),
        )?;
    }
    if partial {
        super::say_err(&format!(
            "interrupted: {} of {} finished; what finished is written, marked partial",
            rows.len(),
            crate::report::words::count(mine.len(), "scenario", "scenarios")
        ));
        return Ok(ExitCode::Interrupted);
    }
    Ok(rows_exit_code(&rows))
}

/// `check`'s outputs, checked before any run: `--junit` and `--out` replace only
/// gameday's outputs and no scenario file; the `--out` folder and the `--junit` file
/// are locked while written.
fn check_check_outputs(
    all: &[PathBuf],
    junit: Option<&Path>,
    out: Option<&Path>,
) -> Result<Vec<output::lock::Lock>, CliError> {
    let mut roles: Vec<Role> = all
        .iter()
        .map(|f| Role::input("PATHS", f, format!("the scenario {}", f.display())))
        .collect();
    if let Some(junit) = junit {
        output::check_file("--junit", junit)?;
        roles.push(Role::output("--junit", junit, "the --junit file"));
    }
    if let Some(dir) = out {
        output::check_dir("--out", dir, &["check.json"])?;
        roles.extend(collide::dir_roles("--out", dir, &["check.json"]));
    }
    collide::check_distinct(&roles)?;
    let mut locks = Vec::new();
    if let Some(dir) = out {
        locks.push(output::lock::Lock::take("--out", dir)?);
    }
    if let Some(junit) = junit {
        locks.push(output::lock::Lock::take_file("--junit", junit)?);
    }
    Ok(locks)
}

/// Bad input first, then limits, then unmet expectations.
fn rows_exit_code(rows: &[check::CheckRow]) -> ExitCode {
    let codes = rows.iter().map(|row| match row.status {
        check::CheckStatus::Pass => ExitCode::Ok,
        check::CheckStatus::Fail => ExitCode::Unmet,
        check::CheckStatus::Invalid => ExitCode::BadInput,
        check::CheckStatus::Limit => ExitCode::Limit,
    });
    ExitCode::most_severe(codes, Ranking::LimitBeforeUnmet)
}

pub fn cmd_sweep(
    path: &Path,
    seeds: &str,
    jobs: Option<usize>,
    shard: Option<&str>,
    duration: Option<SimDuration>,
    out: Option<PathBuf>,
) -> Result<ExitCode, CliError> {
    let (jobs, shard) = args::jobs_and_shard(jobs, shard)?;
    let all = crate::compare::parse_seeds(seeds)?;
    let file = path.to_string_lossy().into_owned();
    let scenario = crate::sim::load(&file)?;
    let mine = sweep::shard_of(&all, shard);
    let id = sweep_id(&scenario, file, &all, duration);
    let progress = Progress::new(mine.len());
    let dir = out.unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-sweep", safe_dir_name(&scenario.name)))
    });
    let names = ["sweep.json", "sweep.html"];
    output::check_dir("--out", &dir, &names)?;
    let mut roles = vec![Role::input("SCENARIO", path, "the scenario file being swept")];
    roles.extend(collide::dir_roles("--out", &dir, &names));
    collide::check_distinct(&roles)?;
    let _lock = output::lock::Lock::take("--out", &dir)?;
    crate::explore::catch_interrupt();
    let (records, defs, partial) =
        sweep::sweep(&scenario, &mine, duration, jobs, &|ok| progress.tick(ok));
    progress.finish();
    let doc = sweep::sweep_doc(&id, shard, partial, &defs, &records);
    write_json(&dir.join("sweep.json"), &sweep::to_json(&doc))?;
    write_html(&dir.join("sweep.html"), &report::sweep::sweep_html_of(&doc))?;
    print!("{}", report::sweep::sweep_terminal_of(&doc));
    super::say(&format!("report: {}", dir.join("sweep.html").display()));
    if partial {
        super::say_err(&format!(
            "interrupted: {} of {} finished; what finished is written, marked partial",
            records.len(),
            crate::report::words::count(mine.len(), "seed", "seeds")
        ));
        return Ok(ExitCode::Interrupted);
    }
    Ok(sweep_exit_code(&doc.summary))
}

/// What identifies this sweep in its output, so shards of different sweeps never merge.
fn sweep_id(
    scenario: &Scenario,
    file: String,
    seeds: &[u64],
    duration: Option<SimDuration>,
) -> sweep::SweepId {
    sweep::SweepId {
        scenario: scenario.name.clone(),
        file,
        hash: format!("{:016x}", scenario.source_hash),
        seeds_from: seeds[0],
        seeds_to: seeds[seeds.len() - 1],
        duration_s: duration.unwrap_or(scenario.duration).as_secs_f64(),
    }
}

/// A progress bar (seeds per second, failures so far), only for a person watching:
/// stderr a terminal.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    failing: AtomicU64,
}

impl Progress {
    fn new(seeds: usize) -> Progress {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(seeds as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} seeds · {per_sec} · {msg} · eta {eta}",
                )
                .expect("a valid template"),
            );
            bar.set_message("0 failing");
            bar
        });
        Progress { bar, failing: AtomicU64::new(0) }
    }

    /// One seed finished; `ok` when it met its expectations.
    fn tick(&self, ok: bool) {
        if let Some(bar) = &self.bar {
            if !ok {
                let failing = self.failing.fetch_add(1, Ordering::Relaxed) + 1;
                bar.set_message(format!("{failing} failing"));
            }
            bar.inc(1);
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// 3 when a seed hit a limit, 1 when a seed missed its expectations, else 0.
fn sweep_exit_code(summary: &sweep::SweepSummary) -> ExitCode {
    let limit_hit = !summary.limit_hit.is_empty();
    let unmet = summary.failed_expectations > 0;
    let codes = [limit_hit.then_some(ExitCode::Limit), unmet.then_some(ExitCode::Unmet)];
    ExitCode::most_severe(codes.into_iter().flatten(), Ranking::LimitBeforeUnmet)
}

pub fn cmd_shrink(
    path: &Path,
    seed: u64,
    invariant: Option<&str>,
    out: Option<PathBuf>,
    attempts: u32,
) -> Result<ExitCode, CliError> {
    if attempts == 0 {
        return Err(ArgError::AttemptsZero.into());
    }
    let file = path.to_string_lossy().into_owned();
    crate::sim::load(&file)?;
    if let Some(out) = &out {
        output::check_file("--out", out)?;
    }
    let shrunk = shrink::shrink(&file, seed, invariant, attempts)?;
    let name = shrunk.scenario["name"].as_str().unwrap_or("shrunk").to_string();
    let dest = out.unwrap_or_else(|| PathBuf::from(format!("{}.json", safe_dir_name(&name))));
    output::check_file("--out", &dest)?;
    collide::check_distinct(&[
        Role::input("SCENARIO", path, "the scenario file being shrunk"),
        Role::output("--out", &dest, "the shrunk scenario"),
    ])?;
    let _lock = output::lock::Lock::take_file("--out", &dest)?;
    let mut text = serde_json::to_string_pretty(&shrunk.scenario).expect("serializes");
    text.push('\n');
    write(&dest, text.as_bytes())?;
    print_shrunk(&shrunk, &file, seed, &dest);
    Ok(ExitCode::Ok)
}

fn print_shrunk(shrunk: &shrink::Shrunk, file: &str, seed: u64, dest: &Path) {
    super::say(&format!("shrunk {file} seed {seed}, keeping {} violated", shrunk.invariant));
    super::say(&format!("  before: {}", shrunk.before));
    super::say(&format!("  after:  {}", shrunk.after));
    let limit_note = if shrunk.attempts >= shrunk.attempts_max {
        " (limit reached; raise --attempts to go on)"
    } else {
        ""
    };
    super::say(&format!("  {} of {} attempts{limit_note}", shrunk.attempts, shrunk.attempts_max));
    let shown = dest.display().to_string();
    let word = output::text::shell_word(&shown);
    super::say(&format!("wrote {shown}; check it with: gameday run {word}"));
}

pub fn cmd_merge(dirs: &[PathBuf], out: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let parts = read_shard_outputs(dirs)?;
    let kinds: Vec<&str> = parts.iter().map(|p| p.1["kind"].as_str().unwrap_or("?")).collect();
    if kinds.iter().any(|k| *k != kinds[0]) {
        return Err(ShardFolderError::MixedKinds.into());
    }
    let checks = kinds[0] == "gameday-check";
    let dir = out.unwrap_or_else(|| PathBuf::from("."));
    let names: &[&str] =
        if checks { &["check.json", "junit.xml"] } else { &["sweep.json", "sweep.html"] };
    output::check_dir("--out", &dir, names)?;
    let mut roles: Vec<Role> = parts
        .iter()
        .map(|(name, _)| Role::input("DIRS", Path::new(name), format!("the shard {name}")))
        .collect();
    roles.extend(collide::dir_roles("--out", &dir, names));
    collide::check_distinct(&roles)?;
    let _lock = output::lock::Lock::take("--out", &dir)?;
    if checks {
        merge_checks(parts, &dir)
    } else {
        merge_sweeps(parts, &dir)
    }
}

/// The largest shard output `merge` reads: a sweep shard holds at most
/// `compare::SEEDS_MAX` (100,000) seeds at about 2 KB each (a swarm drill's record,
/// pretty-printed), some 200 MB; a file five times that is not a shard gameday wrote,
/// and reading it whole could take all the memory there is.
pub const SHARD_BYTES_MAX: u64 = 1 << 30;

/// Each folder's `sweep.json` (or else `check.json`), named by its path and parsed;
/// each file is read within `SHARD_BYTES_MAX`.
fn read_shard_outputs(dirs: &[PathBuf]) -> Result<Vec<(String, Value)>, CliError> {
    use crate::input::{ReadError, TextError};
    let limit = crate::input::Limit {
        name: "shard_bytes_max",
        bytes_max: SHARD_BYTES_MAX,
        hint: "a shard gameday wrote is far smaller; check the folder, or split the sweep \
               into more shards (--shard i/n with a larger n)",
    };
    let mut parts: Vec<(String, Value)> = Vec::new();
    for dir in dirs {
        let file = ["sweep.json", "check.json"].iter().map(|f| dir.join(f)).find(|p| p.is_file());
        let Some(file) = file else {
            return Err(ShardFolderError::NoOutput { dir: dir.clone() }.into());
        };
        let text = crate::input::read_text(&file, limit).map_err(|e| match e {
            TextError::Read(e @ ReadError::TooLarge { .. }) => {
                ShardFolderError::TooLarge { file: file.clone(), reason: e.to_string() }
            }
            e => ShardFolderError::Unreadable { file: file.clone(), reason: e.to_string() },
        })?;
        let value = serde_json::from_str(&text)
            .map_err(|source| ShardFolderError::NotJson { file: file.clone(), source })?;
        parts.push((file.display().to_string(), value));
    }
    Ok(parts)
}

fn merge_checks(parts: Vec<(String, Value)>, dir: &Path) -> Result<ExitCode, CliError> {
    let merged = crate::explore::merge::checks(parts)?;
    let rows: Vec<check::CheckRow> =
        serde_json::from_value(merged["rows"].clone()).expect("rows we wrote");
    let skipped: Vec<check::Skipped> =
        serde_json::from_value(merged["skipped"].clone()).expect("skipped files we wrote");
    write_json(&dir.join("check.json"), &merged)?;
    write(&dir.join("junit.xml"), report::check::junit(&rows, &skipped).as_bytes())?;
    print!("{}", report::check::table(&rows, &skipped));
    Ok(rows_exit_code(&rows))
}

fn merge_sweeps(parts: Vec<(String, Value)>, dir: &Path) -> Result<ExitCode, CliError> {
    let merged = crate::explore::merge::sweeps(parts)?;
    let doc = sweep::SweepDoc::read(&merged);
    write_json(&dir.join("sweep.json"), &merged)?;
    write_html(&dir.join("sweep.html"), &report::sweep::sweep_html_of(&doc))?;
    print!("{}", report::sweep::sweep_terminal_of(&doc));
    Ok(sweep_exit_code(&doc.summary))
}
