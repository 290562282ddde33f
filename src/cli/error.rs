//! Why a command stopped before its verdict. Every error a command can meet is one
//! variant here, wrapping its domain's own error; `run` prints it as one `error: ...`
//! line, and `exit_code` is the one place that decides which errors are the user's
//! (exit 2) and which are limits or gameday's own failures (exit 3).

use super::args::ArgError;
use super::exit::ExitCode;
use super::explore::ShardFolderError;
use super::history::HistoryArgError;
use super::scenario_files::NewError;
use crate::compare::{CompareError, SeedsError};
use crate::explore::check::FindError;
use crate::explore::shard::MergeError;
use crate::explore::shrink::ShrinkError;
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
    /// The `--trace` file could not be opened: the user's path, so bad input.
    #[error("--trace {path}: {reason}")]
    TraceFile { path: String, reason: String },
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
            SimError::TraceFile { path, reason } => CliError::TraceFile { path, reason },
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
            | CliError::Compare(CompareError::Run { .. })
            | CliError::New(NewError::TemplateInvalid(_))
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
