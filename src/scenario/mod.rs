//! Scenario files: the serde schema (`file`), the validated `Scenario` (`types`), and
//! `load`, which turns bytes into a `Scenario` or an error that names the file, the
//! field path, what is wrong and what would be valid. Nothing here may panic on input.

pub mod file;
pub mod lint;
pub mod sniff;
mod standbys;
pub mod swarm;
pub mod types;
mod validate;

pub use types::*;
pub use validate::{
    from_str, load, merge_patch, parse_file, read_text, with_design, with_faults, InvariantId,
    KNOWN_INVARIANTS, SCENARIO_BYTES_MAX, SWARM_FAULTS_MAX,
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
    let mut schema = schema.to_value();
    unwrap_descriptions(&mut schema);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    s.push('\n');
    s
}

/// Joins the lines of every description the doc comments wrapped, so an editor shows
/// each as one paragraph; a blank line (a paragraph break) is kept. Default values are
/// data, not text, and are left alone.
fn unwrap_descriptions(node: &mut serde_json::Value) {
    use serde_json::Value;
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("default", _) => {}
                    ("description", Value::String(text)) => *text = unwrap(text),
                    (_, value) => unwrap_descriptions(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

/// `text` with each paragraph's lines joined by spaces.
fn unwrap(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .collect();
    paragraphs.join("\n\n")
}
