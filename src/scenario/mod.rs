//! Scenario files: the serde schema (`file`), the validated `Scenario` (`types`), and
//! `load`, which turns bytes into a `Scenario` or an error that names the file, the
//! field path, what is wrong and what would be valid. Nothing here may panic on input.

pub mod file;
pub mod lint;
mod standbys;
pub mod swarm;
pub mod types;
mod validate;

pub use types::*;
pub use validate::{
    from_str, load, merge_patch, parse_file, with_design, with_faults, InvariantId,
    KNOWN_INVARIANTS, SWARM_FAULTS_MAX,
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

/// The JSON Schema of the scenario format, generated from the file types, as pretty
/// JSON with a trailing newline: what `gameday schema` prints and
/// `scenarios/schema.json` holds.
pub fn schema_json() -> String {
    let mut schema = schemars::schema_for!(file::ScenarioFile);
    schema.insert("title".into(), "gameday scenario".into());
    schema.insert(
        "description".into(),
        "A gameday scenario: regions, network, design, workload, faults (or a swarm), limits and expectations. See the README's 'Scenario format'.".into(),
    );
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    s.push('\n');
    s
}
