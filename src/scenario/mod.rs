//! Scenario files: the serde schema (`file`), the validated `Scenario` (`types`), and
//! `load`, which turns bytes into a `Scenario` or an error that names the file, the
//! field path, what is wrong and what would be valid. Nothing here may panic on input.

pub mod file;
pub mod types;
mod validate;

pub use types::*;
pub use validate::{
    from_str, load, merge_patch, with_design, with_faults, KNOWN_INVARIANTS, SWARM_FAULTS_MAX,
};

/// What a user can get wrong in a scenario file. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{file}: cannot read: {reason}")]
    Io { file: String, reason: String },
    #[error("{file}:{line}:{column}: syntax error: {msg}")]
    Syntax { file: String, line: usize, column: usize, msg: String },
    #[error("{file}: {path}: {msg}")]
    Invalid { file: String, path: String, msg: String },
}
