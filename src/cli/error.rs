//! Why a command stopped before its verdict. Every error a command can meet is one
//! variant here, wrapping its domain's own error; `run` prints it as one `error: ...`
//! line, and `exit_code` is the one place that decides which errors are the user's
//! (exit 2) and which are limits or gameday's own failures (exit 3).

use super::args::ArgError;
use super::exit::ExitCode;
use crate::compare::{CompareError, SeedsError};
use crate::explore::check::FindError;
use crate::explore::shard::MergeError;
use crate::explore::shrink::ShrinkError;
use crate::history;
use crate::output::OutputError;
use crate::scenario::ScenarioError;
use crate::sim::SimError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Args(#[from] ArgError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Seeds(#[from] SeedsError),
    #[error(transparent)]
    Compare(#[from] CompareError),
    #[error(transparent)]
    Find(#[from] FindError),
    #[error(transparent)]
    Shrink(#[from] ShrinkError),
    #[error(transparent)]
    Merge(#[from] MergeError),
    #[error(transparent)]
    ShardFolder(#[from] ShardFolderError),
    #[error(transparent)]
    History(#[from] HistoryArgError),
    #[error(transparent)]
    New(#[from] NewError),
    /// The run stopped at a limit (events, simulated time, operations in flight).
    #[error(transparent)]
    Run(SimError),
    /// The `--trace` or `--history` file could not be opened: the user's path, so bad
    /// input.
    #[error("{flag} {path}: {reason}")]
    TraceFile { flag: &'static str, path: String, reason: String },
    #[error("--chrome-trace {}: {source}", path.display())]
    ChromeTrace { path: PathBuf, source: std::io::Error },
    #[error("--svg-dir {}: {source}", path.display())]
    Svg { path: PathBuf, source: std::io::Error },
    /// An output that was checked writable could not be written after the run: the
    /// disk, not the user's input.
    #[error("writing {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

impl From<SimError> for CliError {
    fn from(e: SimError) -> Self {
        match e {
            SimError::TraceFile { flag, path, reason } => {
                CliError::TraceFile { flag, path, reason }
            }
            other => CliError::Run(other),
        }
    }
}

impl CliError {
    /// Exit 3 for limits hit and for what gameday itself failed at; exit 2 for the rest,
    /// which the message tells the user how to fix.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Output(OutputError::ReportTooLarge { .. })
            | CliError::Output(OutputError::ReportTooLargeStaleRemoved { .. })
            | CliError::Compare(CompareError::Run { .. })
            | CliError::New(NewError::TemplateInvalid(_))
            | CliError::ShardFolder(ShardFolderError::TooLarge { .. })
            | CliError::Run(_)
            | CliError::Write { .. } => ExitCode::Limit,
            CliError::Args(_)
            | CliError::Scenario(_)
            | CliError::Output(_)
            | CliError::Seeds(_)
            | CliError::Compare(_)
            | CliError::Find(_)
            | CliError::Shrink(_)
            | CliError::Merge(_)
            | CliError::ShardFolder(_)
            | CliError::History(_)
            | CliError::New(_)
            | CliError::TraceFile { .. }
            | CliError::ChromeTrace { .. }
            | CliError::Svg { .. } => ExitCode::BadInput,
        }
    }
}

/// A folder given to `merge` that holds no shard output it can read.
#[derive(Debug, thiserror::Error)]
pub enum ShardFolderError {
    #[error("{}: holds neither sweep.json nor check.json", dir.display())]
    NoOutput { dir: PathBuf },
    #[error("{}: cannot read: {reason}", file.display())]
    Unreadable { file: PathBuf, reason: String },
    /// The file is longer than `merge` reads: exit 3, as for every limit.
    #[error("{}: {reason}", file.display())]
    TooLarge { file: PathBuf, reason: String },
    #[error("{}: not JSON: {source}", file.display())]
    NotJson { file: PathBuf, source: serde_json::Error },
    #[error("the folders mix sweep and check outputs; merge one kind at a time")]
    MixedKinds,
}

/// A `history check` flag value that is out of range or names nothing gameday knows.
#[derive(Debug, thiserror::Error)]
pub enum HistoryArgError {
    #[error(
        "--size-mb-max: must be a positive number of megabytes up to 1048576, got {size_mb_max}"
    )]
    SizeMbMax { size_mb_max: f64 },
    #[error("--ops-max: must be 1 to {} operations, got {ops_max}", history::HISTORY_OPS_MAX)]
    OpsMax { ops_max: usize },
    #[error("--init {text}: {why} (valid: an integer, a \"string\", nil)")]
    Init { text: String, why: String },
    #[error(
        "--init: model {model} has no initial value to set (only register, cas-register, \
         multi-register)"
    )]
    NoInitialValue { model: String },
    #[error("--timeout: must be a positive number of seconds up to 86400, got {timeout_s}")]
    Timeout { timeout_s: f64 },
}

/// Why `new` wrote nothing, or wrote a file that does not validate.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error("NAME {name:?}: give a plain name such as my-drill (use --out for the path)")]
    NotAPlainName { name: String },
    #[error("{}: already exists; choose another --out, or --force to overwrite it", path.display())]
    Exists { path: PathBuf },
    #[error(
        "{}: new writes the JSON Schema beside the scenario as schema.json; give the \
         scenario another file name",
        path.display()
    )]
    NamedLikeSchema { path: PathBuf },
    #[error(
        "{}: exists and is not a schema gameday wrote; new writes the scenario format's JSON \
         Schema there, for the scenario's \"$schema\" to name: choose another --out folder, \
         or pass --force to overwrite it",
        path.display()
    )]
    ForeignSchema { path: PathBuf },
    #[error("{path}: {source}")]
    FromNotJson { path: String, source: serde_json::Error },
    #[error("{}: cannot write: {source}", path.display())]
    CannotWrite { path: PathBuf, source: std::io::Error },
    /// The file written does not validate: the template or the edit is wrong, a bug in
    /// gameday, not in the user's input.
    #[error("the new scenario does not validate (a bug in gameday): {0}")]
    TemplateInvalid(ScenarioError),
}
