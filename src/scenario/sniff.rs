//! What a file that is not a scenario holds, judged by its content: gameday's own
//! outputs (a run's summary, a comparison, a sweep, a check, a reconciliation report, an
//! event trace, an operation history), the JSON Schema of scenarios, and design files
//! (what `compare --design` takes). `check` and `validate` skip these with the reason
//! instead of reporting them as broken scenarios, so a folder holding scenarios beside
//! their reports and designs checks cleanly.
//!
//! Names never decide: a scenario saved as `summary.json` is still run, and a summary
//! renamed `drill.json` is still skipped. Anything not recognized here is left to the
//! scenario loader, which says what is wrong with it; this module must never hide a
//! broken scenario.

use serde_json::{Map, Value};
use std::path::Path;

/// Why `path` is not a scenario, in a few plain words ("a run's summary (gameday run
/// writes it)"); `None` when it may be one (or cannot be read: the loader says why).
pub fn not_a_scenario(path: &Path) -> Option<String> {
    let text = super::read_text(&path.to_string_lossy()).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    what_else(text).map(|what| format!("{what}, not a scenario"))
}

/// What `text` holds when it is something gameday recognizes other than a scenario.
fn what_else(text: &str) -> Option<&'static str> {
    let head = text.trim_start();
    if head.starts_with("; gameday history") {
        return Some("an operation history (gameday run --history writes it)");
    }
    // An event trace is JSON lines, each an event starting with its time.
    if head.starts_with("{\"at_us\":") {
        return Some("an event trace (gameday run --trace writes it)");
    }
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(text) else { return None };
    output(&doc)
        .or_else(|| is_design(&doc).then_some("a design (gameday compare --design takes it)"))
}

/// Which of gameday's JSON outputs (or the scenario schema) `doc` is, by its shape.
fn output(doc: &Map<String, Value>) -> Option<&'static str> {
    let has = |k: &str| doc.contains_key(k);
    let schema_uri = doc.get("$schema").and_then(Value::as_str).unwrap_or("");
    if schema_uri.contains("json-schema.org") || (has("$defs") && has("properties")) {
        return Some("the JSON Schema of scenarios (gameday schema writes it)");
    }
    if has("traceEvents") {
        return Some("a timeline for a trace viewer (gameday run --chrome-trace writes it)");
    }
    let ours = has("gameday_version") || has("schema_version");
    if !ours {
        return None;
    }
    Some(match doc.get("kind").and_then(Value::as_str) {
        Some("gameday-sweep") => "a sweep's results (gameday sweep writes it)",
        Some("gameday-check") => "a check's results (gameday check writes it)",
        _ if has("designs") && has("runs") => "a comparison (gameday compare writes it)",
        _ if has("trace_hash") && has("invariants") => "a run's summary (gameday run writes it)",
        _ if has("lost_acknowledged_writes") => "a reconciliation report (gameday run writes it)",
        _ => "an output of gameday",
    })
}

/// Whether `doc` is a design file: `{"name"?, "description"?, "design": {...}}`, or a
/// bare design whose every key is a design setting. A scenario has regions; a design
/// never does.
fn is_design(doc: &Map<String, Value>) -> bool {
    if doc.contains_key("regions") || doc.is_empty() {
        return false;
    }
    let wrapper = ["name", "description", "design", "$schema"];
    if doc.get("design").is_some_and(Value::is_object) {
        return doc.keys().all(|k| wrapper.contains(&k.as_str()));
    }
    let settings = design_settings();
    doc.keys().all(|k| settings.iter().any(|s| s == k))
}

/// The settings a scenario's `design` takes, from the file type's schema.
fn design_settings() -> Vec<String> {
    let schema = schemars::schema_for!(super::file::DesignFile).to_value();
    schema["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what(text: &str) -> Option<&'static str> {
        what_else(text)
    }

    #[test]
    fn outputs_schemas_and_designs_are_recognized_by_shape() {
        let summary = r#"{"gameday_version": "0.1.0", "schema_version": 1, "trace_hash": "0", "invariants": {}}"#;
        assert!(what(summary).unwrap().starts_with("a run's summary"));
        assert!(what(r#"{"gameday_version": "0", "kind": "gameday-sweep"}"#)
            .unwrap()
            .starts_with("a sweep"));
        assert!(what(r#"{"gameday_version": "0", "designs": [], "runs": []}"#)
            .unwrap()
            .starts_with("a comparison"));
        assert!(what("{\"at_us\":0,\"seq\":1}\n").unwrap().starts_with("an event trace"));
        assert!(what("; gameday history of x seed 1\n").unwrap().starts_with("an operation"));
        let schema = crate::scenario::schema_json();
        assert!(what(&schema).unwrap().starts_with("the JSON Schema"));
        assert!(what(r#"{"name": "f", "design": {"fencing": true}}"#)
            .unwrap()
            .starts_with("a design"));
        assert!(what(r#"{"fencing": true, "topology": "active-passive"}"#)
            .unwrap()
            .starts_with("a design"));
    }

    /// Broken scenarios are never mistaken for something else: the loader must say
    /// what is wrong with them.
    #[test]
    fn scenarios_and_broken_scenarios_are_not_recognized() {
        let bundled = std::fs::read_to_string("scenarios/unfenced-promotion.json").unwrap();
        assert_eq!(what(&bundled), None);
        assert_eq!(what(r#"{"version": 1, "name": "x", "design": {}}"#), None);
        assert_eq!(what(r#"{"name": "x", "regions": [], "design": {"fencing": true}}"#), None);
        assert_eq!(what(r#"{"fencing": true, "seed": 3}"#), None);
        assert_eq!(what("{"), None);
        assert_eq!(what("{}"), None);
        assert_eq!(what("[1]"), None);
    }
}
