//! `gameday check`: every scenario file under the given paths, run with its own seed
//! and compared with its `expect`; one row per file, JUnit XML for CI, `check.json` for
//! merging shards, the same output whatever the thread count. What the rows mean for
//! the exit code is the command line's business, not this module's.

use crate::outcome;
use crate::sim::{self, RunOptions};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// How one scenario fared, written in check.json as the lowercase word.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Every expectation met.
    Pass,
    /// An expectation unmet.
    Fail,
    /// The file is not a valid scenario.
    Invalid,
    /// The run hit a limit.
    Limit,
}

impl CheckStatus {
    /// The row's label in the terminal table.
    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Pass => "PASS",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Invalid => "INVALID",
            CheckStatus::Limit => "LIMIT",
        }
    }
}

/// One scenario's outcome.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CheckRow {
    pub file: String,
    pub status: CheckStatus,
    pub scenario: String,
    /// What differed from the expectations, or the error.
    pub detail: Vec<String>,
    pub replay: String,
    pub trace_hash: String,
}

/// A path given to `check` that cannot be searched for scenario files.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("{}: no such file or folder", path.display())]
    Missing { path: PathBuf },
}

/// Scenario files under `paths` (folders searched recursively for `*.json`), sorted,
/// each once. A path that does not exist is an error.
pub fn find(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FindError> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out, &mut seen)
                .map_err(|source| FindError::Unreadable { path: p.clone(), source })?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(FindError::Missing { path: p.clone() });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Searches `dir` unless it was searched already (`seen` holds every folder searched,
/// resolved): a link to a folder above it (`ln -s . self`) would otherwise make the
/// search go round until the path is too long, finding each file hundreds of times.
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut std::collections::BTreeSet<PathBuf>,
) -> std::io::Result<()> {
    if !seen.insert(dir.canonicalize()?) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out, seen)?;
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// A file `check` found but did not run: one of gameday's outputs, the schema or a
/// design file, recognized by its content (see `scenario::sniff`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Skipped {
    pub file: String,
    /// What the file holds instead, e.g. "a run's summary (gameday run writes it), not
    /// a scenario".
    pub reason: String,
}

/// The found files split into scenarios to run and files skipped, with the reason.
pub fn split(found: Vec<PathBuf>) -> (Vec<PathBuf>, Vec<Skipped>) {
    let mut scenarios = Vec::new();
    let mut skipped = Vec::new();
    for path in found {
        match crate::scenario::sniff::not_a_scenario(&path) {
            Some(reason) => skipped.push(Skipped { file: path.display().to_string(), reason }),
            None => scenarios.push(path),
        }
    }
    (scenarios, skipped)
}

/// Runs one file.
pub fn check_one(path: &Path) -> CheckRow {
    let file = path.to_string_lossy().into_owned();
    let mut row = CheckRow {
        file: file.clone(),
        status: CheckStatus::Invalid,
        scenario: String::new(),
        detail: Vec::new(),
        replay: String::new(),
        trace_hash: String::new(),
    };
    let s = match crate::sim::load(&file) {
        Ok(s) => s,
        Err(e) => {
            row.detail.push(e.to_string());
            return row;
        }
    };
    row.scenario = s.name.clone();
    match sim::run(&s, &RunOptions::default()) {
        Ok(r) => {
            let v = outcome::verdict(&r);
            row.status = if v.met { CheckStatus::Pass } else { CheckStatus::Fail };
            row.detail = v.unmet;
            row.replay = outcome::replay_command(&r);
            row.trace_hash = format!("{:016x}", r.trace_hash);
        }
        Err(e) => {
            row.status = CheckStatus::Limit;
            row.detail.push(e.to_string());
        }
    }
    row
}

/// Runs `files` on `jobs` threads; rows come back in file order. After Ctrl-C no new
/// file starts; the flag says whether any was skipped.
pub fn check(files: &[PathBuf], jobs: usize) -> (Vec<CheckRow>, bool) {
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build().expect("thread pool");
    let rows: Vec<Option<CheckRow>> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let row = (!super::interrupted()).then(|| check_one(f))?;
                // A run Ctrl-C stopped part way did not run, rather than hit a limit.
                let stopped = row.status == CheckStatus::Limit && super::interrupted();
                (!stopped).then_some(row)
            })
            .collect()
    });
    let partial = rows.iter().any(Option::is_none);
    (rows.into_iter().flatten().collect(), partial)
}

/// Rows with a status.
pub fn count(rows: &[CheckRow], status: CheckStatus) -> usize {
    rows.iter().filter(|r| r.status == status).count()
}

/// The files of shard `index` (1-based) of `of`: every `of`-th file of the sorted list.
pub fn shard_of(files: &[PathBuf], shard: Option<(u32, u32)>) -> Vec<PathBuf> {
    match shard {
        None => files.to_vec(),
        Some((i, n)) => files
            .iter()
            .enumerate()
            .filter(|(k, _)| *k as u64 % u64::from(n) == u64::from(i - 1))
            .map(|(_, p)| p.clone())
            .collect(),
    }
}

/// `check.json`: the scenario files the check was given (all shards'), the files it
/// skipped and why, the shard (null for a whole check), whether Ctrl-C cut it short,
/// and the rows.
pub fn check_json(
    all: &[PathBuf],
    skipped: &[Skipped],
    shard: Option<(u32, u32)>,
    partial: bool,
    rows: &[CheckRow],
) -> Value {
    json!({
        "kind": "gameday-check",
        "partial": partial,
        "gameday_version": env!("CARGO_PKG_VERSION"),
        "files": all.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
        "skipped": skipped,
        "shard": shard.map(|(i, n)| json!({"index": i, "of": n})),
        "rows": rows,
    })
}
