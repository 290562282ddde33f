//! Scenarios derived from validated ones: a design patched in (`compare`'s designs and
//! variants), faults added (a swarm's draw).

use super::super::types::*;
use super::super::ScenarioError;
use super::parse::{json_type, syntax_error};
use super::{from_str, Validator};
use crate::fault::file::FaultFile;

/// `s` with `extra` faults (as a swarm draws them) added to its fixed ones; each is
/// validated as if it were in the file.
pub fn with_faults(scenario: &Scenario, extra: &[FaultFile]) -> Result<Scenario, ScenarioError> {
    let v = Validator { file: &scenario.source_path, source_hash: scenario.source_hash };
    let mut out = scenario.clone();
    for (i, f) in extra.iter().enumerate() {
        let path = format!("swarm schedule[{i}]");
        out.faults.push(v.fault(
            &path,
            f,
            &scenario.regions,
            scenario.duration,
            scenario.design.fencing,
        )?);
    }
    out.faults.sort_by_key(|f| f.at);
    Ok(out)
}

/// RFC 7386 JSON merge patch: objects merge key by key, `null` removes a key, anything
/// else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let t = target.as_object_mut().expect("made an object above");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// The scenario in `base_text` (from `base_file`) with its `design` patched by
/// `patch` and its variants dropped; `label` names the patch's file in errors. The
/// result keeps `base_file` as its source, so reports name the scenario that ran.
pub fn with_design(
    base_file: &str,
    base_text: &str,
    label: &str,
    patch: &serde_json::Value,
) -> Result<Scenario, ScenarioError> {
    let body = base_text.strip_prefix('\u{feff}').unwrap_or(base_text);
    let mut v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| syntax_error(base_file, &e))?;
    if !patch.is_object() {
        return Err(ScenarioError::Invalid {
            file: label.to_string(),
            path: "design".to_string(),
            msg: format!(
                "expected an object (a design, or the settings that differ), found {}",
                json_type(patch)
            ),
        });
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("variants");
        merge_patch(o.entry("design").or_insert(serde_json::Value::Null), patch);
    }
    let mut s = from_str(label, &v.to_string()).map_err(|e| match e {
        // Positions refer to the patched text, not to the user's file: drop them.
        ScenarioError::Invalid { file, path, msg } => {
            let msg = match msg.rfind(" (line ") {
                Some(i) if msg.ends_with(')') => msg[..i].to_string(),
                _ => msg,
            };
            ScenarioError::Invalid { file, path, msg }
        }
        other => other,
    })?;
    s.source_path = base_file.to_string();
    Ok(s)
}
