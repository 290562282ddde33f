//! `gameday check`: every scenario file under the given paths, run with its own seed
//! and compared with its `expect`; one row per file, JUnit XML for CI, the same output
//! whatever the thread count.

use crate::report::{self, html::escape};
use crate::scenario;
use crate::sim::{self, RunOptions};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
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

/// Scenario files under `paths` (folders searched recursively for `*.json`), sorted,
/// each once. A path that does not exist is an error.
pub fn find(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json")
            && p.file_name().is_some_and(|n| n != "schema.json")
        {
            out.push(p);
        }
    }
    Ok(())
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
    let s = match scenario::load(&file) {
        Ok(s) => s,
        Err(e) => {
            row.detail.push(e.to_string());
            return row;
        }
    };
    row.scenario = s.name.clone();
    match sim::run(&s, &RunOptions::default()) {
        Ok(r) => {
            let v = report::verdict(&r);
            row.status = if v.met { CheckStatus::Pass } else { CheckStatus::Fail };
            row.detail = v.unmet;
            row.replay = report::replay_command(&r);
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
        files.par_iter().map(|f| (!super::interrupted()).then(|| check_one(f))).collect()
    });
    let partial = rows.iter().any(Option::is_none);
    (rows.into_iter().flatten().collect(), partial)
}

/// Rows with a status.
fn count(rows: &[CheckRow], status: CheckStatus) -> usize {
    rows.iter().filter(|r| r.status == status).count()
}

/// The rows as a table for a terminal (one line per scenario, then what differed).
pub fn table(rows: &[CheckRow]) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    for r in rows {
        let _ = writeln!(o, "{:<8} {}", r.status.label(), r.file);
        for d in &r.detail {
            let _ = writeln!(o, "         {d}");
        }
        if r.status == CheckStatus::Fail {
            let _ = writeln!(o, "         replay: {}", r.replay);
        }
    }
    let _ = writeln!(
        o,
        "\n{} scenarios: {} passed, {} failed, {} invalid, {} hit a limit",
        rows.len(),
        count(rows, CheckStatus::Pass),
        count(rows, CheckStatus::Fail),
        count(rows, CheckStatus::Invalid),
        count(rows, CheckStatus::Limit)
    );
    report::fit(&o, report::TERMINAL_COLUMNS)
}

/// The exit code for the rows: bad input first, then limits, then unmet expectations.
pub fn exit_code(rows: &[CheckRow]) -> i32 {
    use crate::cli::{EXIT_BAD_INPUT, EXIT_LIMIT, EXIT_OK, EXIT_UNMET};
    if count(rows, CheckStatus::Invalid) > 0 {
        EXIT_BAD_INPUT
    } else if count(rows, CheckStatus::Limit) > 0 {
        EXIT_LIMIT
    } else if count(rows, CheckStatus::Fail) > 0 {
        EXIT_UNMET
    } else {
        EXIT_OK
    }
}

/// JUnit XML, as GitHub Actions and GitLab display it: one test case per scenario.
pub fn junit(rows: &[CheckRow]) -> String {
    use std::fmt::Write as _;
    let failures = count(rows, CheckStatus::Fail);
    let errors = count(rows, CheckStatus::Invalid) + count(rows, CheckStatus::Limit);
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"gameday\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">",
        rows.len(),
    );
    let _ = writeln!(
        o,
        "  <testsuite name=\"gameday check\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">",
        rows.len(),
    );
    for r in rows {
        let name = if r.scenario.is_empty() { &r.file } else { &r.scenario };
        let _ = write!(
            o,
            "    <testcase classname=\"gameday.{}\" name=\"{}\" file=\"{}\"",
            escape(r.file.replace(['/', '\\'], ".").trim_end_matches(".json")),
            escape(name),
            escape(&r.file)
        );
        let text = escape(&r.detail.join("\n"));
        match r.status {
            CheckStatus::Pass => o.push_str("/>\n"),
            CheckStatus::Fail => {
                let _ = writeln!(
                    o,
                    ">\n      <failure message=\"{}\">{text}\nreplay: {}</failure>\n    </testcase>",
                    escape(&r.detail.join("; ")),
                    escape(&r.replay)
                );
            }
            CheckStatus::Invalid | CheckStatus::Limit => {
                let _ = writeln!(
                    o,
                    ">\n      <error message=\"{}\">{text}</error>\n    </testcase>",
                    escape(&r.detail.join("; "))
                );
            }
        }
    }
    o.push_str("  </testsuite>\n</testsuites>\n");
    o
}
