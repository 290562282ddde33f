//! Operation labels: a workload may call an operation kind by the name its architect
//! uses (`workload.labels`), and every output then uses that name: the summary, the
//! findings, the advice and the report. A label only renames: the model runs the same.

mod common;

use gameday::scenario::{self, Scenario, ScenarioError};
use gameday::sim::{run, RunOptions};
use serde_json::{json, Value};

const REVOKE: &str = "scenarios/revoke-stale-check.json";

fn edited(edit: impl FnOnce(&mut Value)) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(REVOKE).expect("bundled scenario");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    edit(&mut v);
    scenario::from_str(REVOKE, &v.to_string())
}

fn labels(v: &mut Value) {
    v["workload"]["labels"] =
        json!({"access.verify": "permission.check", "access.revoke": "permission.revoke"});
}

/// A label renames an operation and nothing else: the same trace, byte for byte.
#[test]
fn a_label_renames_and_changes_nothing_in_the_model() {
    let plain = run(&edited(|_| {}).unwrap(), &RunOptions::default()).unwrap();
    let labelled = run(&edited(labels).unwrap(), &RunOptions::default()).unwrap();
    assert_eq!(plain.trace_hash, labelled.trace_hash);
    assert_eq!(plain.metrics.availability, labelled.metrics.availability);
}

/// Named by its label in the mix and the read classes, the operation shows under that
/// name in the summary, the finding, the advice and the report.
#[test]
fn every_output_calls_the_operation_by_its_label() {
    let s = edited(|v| {
        labels(v);
        v["workload"]["mix"] =
            json!({"permission.grant": 0.2, "access.revoke": 0.2, "access.verify": 0.6});
        v["workload"]["read_classes"] = json!({"access.verify": {"class": "eventual"}});
    })
    .unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    let summary = serde_json::to_string(&r.metrics).unwrap();
    assert!(summary.contains("\"access.verify\""), "summary keys by label");
    assert!(!summary.contains("\"permission.check\""), "the kind's own name is replaced");
    let domain = r.invariants.iter().find(|i| i.id == "domain").expect("domain");
    let last = &domain.trail.last().expect("the stale check is still found").event;
    assert!(last.contains("granted to access.verify #"), "{last}");
    assert!(last.contains("after its access.revoke #"), "{last}");
    let advice = domain.prevention.as_deref().expect("advice");
    assert!(advice.contains("workload.read_classes.\"access.verify\".class"), "{advice}");
    let html = gameday::report::html::report_html(&r);
    assert!(html.contains("access.verify <span class=\"muted\">(permission.check)</span>"));
}

fn error(edit: impl FnOnce(&mut Value)) -> String {
    match edited(edit) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn a_bad_label_is_refused_with_the_field_and_the_fix() {
    let e = error(|v| v["workload"]["labels"] = json!({"access.verify": "permission.chek"}));
    assert!(
        e.contains("workload.labels.\"access.verify\"")
            && e.contains("did you mean \"permission.check\""),
        "{e}"
    );
    let e = error(|v| {
        v["workload"]["labels"] =
            json!({"access.verify": "permission.check", "authz": "permission.check"});
    });
    assert!(e.contains("already has the label") && e.contains("one label"), "{e}");
    let e = error(|v| v["workload"]["labels"] = json!({"register.read": "permission.check"}));
    assert!(e.contains("already an operation kind's name"), "{e}");
    let e = error(|v| {
        labels(v);
        v["workload"]["mix"] = json!({"permission.grant": 0.2, "permission.revoke": 0.2, "permission.check": 0.3, "access.verify": 0.3});
    });
    assert!(
        e.contains("workload.mix.\"permission.check\"")
            && e.contains("names the same operation as \"access.verify\""),
        "{e}"
    );
    let e = error(|v| v["workload"]["mix"] = json!({"acess.verify": 1.0}));
    assert!(e.contains("unknown operation"), "{e}");
    let e = error(|v| v["workload"]["labels"] = json!({"bad\u{1b}name": "permission.check"}));
    assert!(e.contains("printable"), "{e}");
}
