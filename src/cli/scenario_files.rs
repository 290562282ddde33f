//! Commands on scenario files that run nothing: `new` writes a starting scenario (from
//! a template or an existing file) and proves it validates; `validate` checks files and
//! says what each holds.
//!
//! `new` writes the JSON Schema beside the scenario as `schema.json`, and the scenario
//! names it `"$schema": "./schema.json"`, as every bundled scenario does: the reference
//! then resolves wherever the file is written, with or without a gameday checkout, and
//! the schema is the one of the binary that validated the file. A path back to the
//! repository's `scenarios/schema.json` would break once gameday is installed or the
//! folder moves; an absolute `file://` URL would break on any other machine.

use super::error::{CliError, NewError};
use super::exit::ExitCode;
use crate::output;
use std::path::{Path, PathBuf};

/// The schema's file name beside a new scenario, as its `$schema` names it.
const SCHEMA_FILE: &str = "schema.json";
const SCHEMA_REF: &str = "./schema.json";

/// The template `gameday new` writes: a small drill that runs as it is, with every
/// part a user would change first, and an expectation to edit.
const NEW_TEMPLATE: &str = r#"{
  "$schema": "./schema.json",
  "version": 1,
  "name": "NAME",
  "description": "What this drill asks. Edit the regions, the design (what you would build), the workload and the faults (what goes wrong), then run: gameday run FILE. Hover any field in an editor that reads $schema for its meaning; the README's 'Scenario format' lists them all.",
  "seed": 1,
  "duration_s": 60,
  "regions": [
    {"name": "us-east", "role": "primary"},
    {"name": "eu-west", "role": "standby"},
    {"name": "ap-south", "role": "read-replica"}
  ],
  "network": {"rtt_ms": {"us-east/eu-west": 70, "us-east/ap-south": 220, "eu-west/ap-south": 240}},
  "design": {
    "topology": "active-passive",
    "replication": {"mode": "semi-sync", "acks": 1},
    "fencing": true,
    "promotion": {"automated": true},
    "control_plane": {"region": "eu-west"}
  },
  "workload": {
    "rate_per_s": 300,
    "mix": {"account.transfer": 0.2, "account.read": 0.3, "register.write": 0.2, "register.read": 0.3}
  },
  "faults": [
    {"at_s": 20, "for_s": 20, "kind": "partition", "between": [["us-east"], ["eu-west", "ap-south"]]}
  ],
  "expect": {"hold": ["single_writer", "fenced_writes", "domain"]}
}
"#;

pub fn cmd_new(
    name: &str,
    from: Option<&Path>,
    out: Option<PathBuf>,
    force: bool,
) -> Result<ExitCode, CliError> {
    if name.trim().is_empty() || name.contains(['/', '\\']) {
        return Err(NewError::NotAPlainName { name: name.to_string() }.into());
    }
    let dest = out.unwrap_or_else(|| PathBuf::from(format!("{}.json", super::safe_dir_name(name))));
    if dest.exists() && !force {
        return Err(NewError::Exists { path: dest }.into());
    }
    let schema_path = schema_beside(&dest)?;
    let text = match from {
        None => NEW_TEMPLATE.replace("\"NAME\"", &serde_json::Value::from(name).to_string()),
        Some(source) => started_from(source, name)?,
    };
    let schema_written = write_schema(&schema_path)?;
    crate::output::write::write_atomic(&dest, text.as_bytes())
        .map_err(|source| NewError::CannotWrite { path: dest.clone(), source })?;
    crate::sim::load(&dest.to_string_lossy()).map_err(NewError::TemplateInvalid)?;
    let schema =
        if schema_written { format!(" and {}", schema_path.display()) } else { String::new() };
    let shown = dest.display().to_string();
    let word = crate::output::text::shell_word(&shown);
    super::say(&format!("wrote {shown}{schema}; run it with: gameday run {word}"));
    Ok(ExitCode::Ok)
}

/// Where the schema goes: `schema.json` in the scenario's folder, which may hold only
/// an earlier gameday schema (or nothing) unless `--force`.
fn schema_beside(dest: &Path) -> Result<PathBuf, CliError> {
    if dest.file_name().is_some_and(|n| n == SCHEMA_FILE) {
        return Err(NewError::NamedLikeSchema { path: dest.to_path_buf() }.into());
    }
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let path = dir.join(SCHEMA_FILE);
    match output::check_file("--out", &path) {
        Err(output::OutputError::NotGamedayOutput { .. }) => {
            Err(NewError::ForeignSchema { path }.into())
        }
        checked => checked.map(|()| path).map_err(CliError::from),
    }
}

/// Writes the scenario format's schema to `path` unless it already holds exactly that;
/// returns whether it wrote.
fn write_schema(path: &Path) -> Result<bool, CliError> {
    let schema = crate::scenario::schema_json();
    if std::fs::read_to_string(path).is_ok_and(|old| old == schema) {
        return Ok(false);
    }
    crate::output::write::write_atomic(path, schema.as_bytes())
        .map_err(|source| NewError::CannotWrite { path: path.to_path_buf(), source })?;
    Ok(true)
}

/// The scenario at `source` (which must validate) renamed `name`, its description
/// saying where it started.
fn started_from(source: &Path, name: &str) -> Result<String, CliError> {
    let source_name = source.to_string_lossy().into_owned();
    let raw = crate::scenario::read_text(&source_name)?;
    crate::sim::from_str(&source_name, &raw)?;
    let mut doc: serde_json::Value = serde_json::from_str(raw.trim_start_matches('\u{feff}'))
        .map_err(|e| NewError::FromNotJson { path: source_name.clone(), source: e })?;
    doc["name"] = name.into();
    doc["$schema"] = SCHEMA_REF.into();
    let old = doc["description"].as_str().unwrap_or("").to_string();
    doc["description"] = format!("Started from {source_name}. {old}").trim().to_string().into();
    let mut text = serde_json::to_string_pretty(&doc).expect("serializes");
    text.push('\n');
    Ok(text)
}

/// Checks each file, printing what it holds or what is wrong with it; exit 2 if any is
/// invalid.
pub fn cmd_validate(files: &[PathBuf]) -> ExitCode {
    let mut code = ExitCode::Ok;
    for file in files {
        // `gameday validate scenarios/*.json` meets the shipped schema too, and a
        // folder of drills holds their reports and designs: say what each is.
        if let Some(reason) = crate::scenario::sniff::not_a_scenario(file) {
            super::say(&format!("{}: skipped: {reason}", file.display()));
            continue;
        }
        match crate::sim::load(&file.to_string_lossy()) {
            Ok(loaded) => {
                let count = |n: usize, one: &str, many: &str| {
                    format!("{n} {}", if n == 1 { one } else { many })
                };
                let regions = loaded.regions.iter().filter(|r| r.zone == 0).count();
                let replicas = if loaded.regions.len() > regions {
                    format!(" ({})", count(loaded.regions.len(), "replica", "replicas"))
                } else {
                    String::new()
                };
                super::say(&format!(
                    "{}: ok ({}, {}{replicas}, {})",
                    file.display(),
                    loaded.name,
                    count(regions, "region", "regions"),
                    count(loaded.faults.len(), "fault", "faults")
                ));
                for w in crate::scenario::lint::warnings(&loaded) {
                    super::say(&format!("  warning: {}: {}", w.path, w.message));
                }
            }
            Err(e) => {
                super::say_err(&format!("error: {e}"));
                code = ExitCode::BadInput;
            }
        }
    }
    code
}
