//! Scenarios derived from validated ones: a design patched in (`compare`'s designs and
//! variants), faults added (a swarm's draw).

use super::super::types::*;
use super::super::ScenarioError;
use super::parse::{json_type, value_error};
use super::Validator;
use crate::engine::fnv1a64;
use crate::fault::file::FaultFile;
use crate::scenario::file::{DesignFile, ScenarioFile};

/// `s` with `extra` faults (as a swarm draws them) added to its fixed ones; each is
/// validated as if it were in the file.
pub fn with_faults(scenario: &Scenario, extra: &[FaultFile]) -> Result<Scenario, ScenarioError> {
    let v = Validator::new(&scenario.source_path, scenario.source_hash);
    let mut out = scenario.clone();
    for (i, f) in extra.iter().enumerate() {
        let path = format!("swarm schedule[{i}]");
        out.faults.push(v.fault(
            &path,
            f,
            &scenario.regions,
            scenario.duration,
            &scenario.design,
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

/// The scenario `base` (parsed from `base_file`) with its `design` patched by `patch`
/// (a JSON merge patch over the typed design) and its variants dropped; `label` names
/// the patch's file in errors. The result keeps `base_file` as its source, so reports
/// name the scenario that ran; its hash mixes the base's hash with the patch.
pub fn with_design(
    base: &ScenarioFile,
    base_file: &str,
    base_hash: u64,
    label: &str,
    patch: &serde_json::Value,
) -> Result<Scenario, ScenarioError> {
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
    let mut design = serde_json::to_value(&base.design).expect("a design serializes");
    merge_patch(&mut design, patch);
    let design: DesignFile =
        serde_path_to_error::deserialize(design).map_err(|e| match value_error(label, &e) {
            ScenarioError::Invalid { file, path, msg } => {
                ScenarioError::Invalid { file, path: format!("design.{path}"), msg }
            }
            other => other,
        })?;
    let mut patched = base.clone();
    patched.design = design;
    patched.variants.clear();
    let source_hash = fnv1a64(format!("{base_hash:016x}{patch}").as_bytes());
    let mut scenario = Validator::new(label, source_hash).scenario(patched)?;
    scenario.source_path = base_file.to_string();
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every bundled scenario file, negative ones included.
    fn bundled() -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for dir in ["scenarios", "scenarios/negative"] {
            for entry in std::fs::read_dir(dir).expect("the scenarios folder") {
                let path = entry.expect("an entry").path();
                if path.extension().is_some_and(|e| e == "json") && !path.ends_with("schema.json") {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    /// The typed design survives the trip through a patch: an empty patch gives back
    /// exactly the scenario the file gives (so a patch changes only what it names).
    #[test]
    fn an_empty_patch_changes_nothing() {
        for path in bundled() {
            let file = path.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("a bundled scenario reads");
            let loaded = super::super::from_str(&file, &text).expect("a bundled scenario is valid");
            let raw = super::super::parse_file(&file, &text).expect("it parses");
            let mut patched = with_design(&raw, &file, 0, &file, &serde_json::json!({}))
                .expect("an empty patch is valid");
            patched.source_hash = loaded.source_hash;
            patched.variants.clone_from(&loaded.variants);
            assert_eq!(format!("{patched:?}"), format!("{loaded:?}"), "{file}");
        }
    }

    /// A patch changes what it names, and a key set to null returns to its default.
    #[test]
    fn a_patch_sets_and_null_resets() {
        let file = "scenarios/unfenced-promotion.json";
        let text = std::fs::read_to_string(file).expect("reads");
        let raw = super::super::parse_file(file, &text).expect("parses");
        let patch = serde_json::json!({"fencing": true, "lease": {"duration_ms": 900}});
        let fenced = with_design(&raw, file, 0, file, &patch).expect("valid");
        assert!(fenced.design.fencing);
        assert_eq!(fenced.design.lease, crate::engine::SimDuration::from_ms(900));
        let reset = serde_json::json!({"lease": null});
        let back = with_design(&raw, file, 0, file, &reset).expect("valid");
        assert_eq!(back.design.lease, crate::engine::SimDuration::from_ms(2_000));
        let bad = serde_json::json!({"replication": {"mode": "semisync"}});
        let err = with_design(&raw, file, 0, "d.json", &bad).unwrap_err().to_string();
        assert!(
            err.starts_with("d.json: design.replication.mode: unknown value \"semisync\""),
            "{err}"
        );
    }
}
