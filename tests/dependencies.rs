//! Slow and failing dependencies: the datastore as a server pool of its own
//! (`design.database`, slowed by a `region_brownout` with `tier: "database"`), and an
//! external dependency as a fault target: `provider_outage` makes the provider the
//! event workers call (the card processor behind the outbox) fail, answer after the
//! worker stopped waiting, or slow down. What follows is the design's doing, found by
//! the checkers: a worker that calls again after a lost answer charges twice unless the
//! provider honours an idempotency key.

mod common;

use gameday::check::Status;
use gameday::scenario::{self, lint, Scenario};
use gameday::sim::{run, RunOptions, RunResult};
use serde_json::{json, Value};

const BASE: &str = "scenarios/queue-replay-provider-key.json";

fn drill(record: &str, fault: Value) -> Scenario {
    let text = std::fs::read_to_string(BASE).expect("bundled scenario");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    v["design"]["stream"]["worker_record"] = json!(record);
    v["faults"] = json!([fault]);
    v.as_object_mut().unwrap().remove("expect");
    scenario::from_str(BASE, &v.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn status(r: &RunResult, id: &str) -> Status {
    r.invariants.iter().find(|i| i.id == id).expect("invariant").status
}

fn lost_answers() -> Value {
    json!({"at_s": 20, "for_s": 10, "kind": "provider_outage", "error_rate": 0.5, "performed_rate": 0.5})
}

/// Calls the provider performed but never answered are made again: without a key the
/// provider honours, the effect happens twice, whatever the worker records first; with
/// one, once. The advice names the key.
#[test]
fn lost_answers_charge_twice_unless_the_provider_honours_a_key() {
    for record in ["none", "datastore"] {
        let r = run(&drill(record, lost_answers()), &RunOptions::default()).unwrap();
        let inv = r.invariants.iter().find(|i| i.id == "exactly_once_effects").unwrap();
        assert_eq!(inv.status, Status::Violated, "worker_record {record}");
        let trail: Vec<&str> = inv.trail.iter().map(|t| t.event.as_str()).collect();
        assert!(trail[0].contains("fault provider_outage"), "the fault opens the trail: {trail:?}");
        assert!(trail.last().unwrap().contains("external effect happens twice"), "{trail:?}");
        let advice = inv.prevention.as_deref().unwrap();
        assert!(advice.contains("worker_record to \"provider-key\""), "{advice}");
    }
    let r = run(&drill("provider-key", lost_answers()), &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), Status::Held);
}

/// A plain outage (every call fails, none performed) loses and repeats nothing: the
/// workers wait, and once the provider is back every effect is performed exactly once.
#[test]
fn a_plain_outage_delays_effects_and_loses_none() {
    let outage = json!({"at_s": 20, "for_s": 10, "kind": "provider_outage"});
    let r = run(&drill("none", outage), &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), Status::Held);
    assert!(r.converged_at.is_some(), "the backlog drains after the outage");
}

/// A slowdown to the end of the drill leaves a backlog the workers must work off after
/// it: convergence comes later than without it.
#[test]
fn a_slow_provider_leaves_a_backlog() {
    let base = json!({"at_s": 1, "for_s": 1, "kind": "provider_outage", "latency_factor": 1.5});
    let slow = json!({"at_s": 20, "for_s": 40, "kind": "provider_outage", "latency_factor": 50});
    let settle = |f: Value| {
        let r = run(&drill("none", f), &RunOptions::default()).unwrap();
        assert_eq!(status(&r, "exactly_once_effects"), Status::Held);
        r.converged_at.expect("converges").as_us()
    };
    let (quick, late) = (settle(base), settle(slow));
    assert!(late > quick + 1_000_000, "converged at {late} us against {quick} us");
}

/// A provider fault where nothing calls the provider is warned about; bad values are
/// refused with the field and the fix.
#[test]
fn a_provider_fault_that_cannot_bite_is_warned_and_bad_values_refused() {
    let text = std::fs::read_to_string(BASE).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["design"]["stream"]["side_effects"] = json!(false);
    v["faults"] = json!([lost_answers()]);
    let s = scenario::from_str(BASE, &v.to_string()).unwrap();
    let w = lint::warnings(&s);
    assert!(w
        .iter()
        .any(|w| w.path == "faults[0] (provider_outage)" && w.message.contains("side_effects")));
    for (fault, needle) in [
        (
            json!({"at_s": 1, "for_s": 1, "kind": "provider_outage", "error_rate": 0}),
            "error_rate above 0",
        ),
        (
            json!({"at_s": 1, "for_s": 1, "kind": "provider_outage", "error_rate": 2}),
            "faults[0].error_rate",
        ),
        (
            json!({"at_s": 1, "for_s": 1, "kind": "provider_outage", "latency_factor": 3, "performed_rate": 0.5}),
            "faults[0].performed_rate",
        ),
        (json!({"at_s": 1, "kind": "provider_outage"}), "for_s"),
        (
            json!({"at_s": 1, "for_s": 1, "kind": "provider_outage", "region": "us-east"}),
            "not a field",
        ),
    ] {
        v["faults"] = json!([fault]);
        let e = refused(scenario::from_str(BASE, &v.to_string()));
        assert!(e.contains(needle), "{needle}: {e}");
    }
}

const HEALTHY: &str = "scenarios/active-passive-healthy.json";

fn database_drill(servers: Option<u32>, brownout: bool) -> Scenario {
    let text = std::fs::read_to_string(HEALTHY).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("expect");
    if let Some(n) = servers {
        v["design"]["database"] =
            json!({"servers": n, "service": {"dist": "exponential", "mean_ms": 2}});
    }
    if brownout {
        v["faults"] = json!([{"at_s": 20, "for_s": 15, "kind": "region_brownout", "region": "us-east", "tier": "database", "latency_factor": 10}]);
    }
    scenario::from_str(HEALTHY, &v.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

/// The datastore's own servers (`design.database`): a database ten times slower in the
/// writer's region queues the requests it must handle past their clients' timeouts, so
/// availability drops and latency climbs; without database servers the same fault is
/// warned about and changes nothing.
#[test]
fn a_slow_database_queues_requests_past_their_timeouts() {
    let quiet = run(&database_drill(Some(4), false), &RunOptions::default()).unwrap();
    let slow = run(&database_drill(Some(4), true), &RunOptions::default()).unwrap();
    assert!(quiet.metrics.availability > 0.999, "{}", quiet.metrics.availability);
    assert!(slow.metrics.availability < 0.95, "{}", slow.metrics.availability);
    let p99 = |r: &RunResult| r.metrics.latency.all().p99_ms;
    assert!(p99(&slow) > 2.0 * p99(&quiet), "{} against {}", p99(&slow), p99(&quiet));
    assert!(lint::warnings(&database_drill(Some(4), true)).is_empty());

    let bare = database_drill(None, true);
    let w = lint::warnings(&bare);
    assert!(w.iter().any(|w| w.message.contains("design.database")), "{w:?}");
    let plain = run(&database_drill(None, false), &RunOptions::default()).unwrap();
    let faulted = run(&bare, &RunOptions::default()).unwrap();
    assert_eq!(p99(&plain), p99(&faulted), "the warning is true: nothing changed");
}

#[test]
fn bad_database_settings_are_refused_with_the_field() {
    let text = std::fs::read_to_string(HEALTHY).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for (db, needle) in [
        (json!({"servers": 0}), "design.database.servers"),
        (json!({"queue_max": 0}), "design.database.queue_max"),
        (
            json!({"service_by_op": {"acount.read": {"dist": "constant", "mean_ms": 1}}}),
            "did you mean \"account.read\"",
        ),
        (json!({"connections": 3}), "connections"),
    ] {
        v["design"]["database"] = db;
        let e = refused(scenario::from_str(HEALTHY, &v.to_string()));
        assert!(e.contains(needle), "{needle}: {e}");
    }
}

fn refused(r: Result<Scenario, scenario::ScenarioError>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    }
}
