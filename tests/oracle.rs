//! The oracle does not trust the model: checkers judge what clients saw, knowing writes
//! by operation and attempt. Each test here reproduces a blind spot the checkers had
//! while they identified writes by the model's own `(epoch, lsn)` labels, or a model
//! bug found with them, and pins what is seen now.

use gameday::check::details::{
    details, AckedDurabilityDetails, AppendIntegrityDetails, DomainDetails, LinearizableDetails,
};
use gameday::check::Status;
use gameday::report::{end_state, summary_json};
use gameday::scenario::{self, Scenario};
use gameday::sim::{run, RunOptions, RunResult};
use serde_json::{json, Value};

fn load_with(path: &str, edit: impl FnOnce(&mut Value)) -> Scenario {
    let text = std::fs::read_to_string(path).expect("bundled scenario");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    edit(&mut v);
    scenario::from_str(path, &v.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn run_s(s: &Scenario) -> RunResult {
    run(s, &RunOptions::default()).expect("runs")
}

fn inv<'a>(r: &'a RunResult, id: &str) -> &'a gameday::check::InvariantReport {
    r.invariants.iter().find(|i| i.id == id).expect("known invariant")
}

/// The money the final state should hold, given what clients were told and what the
/// checker says was lost: it must match the final total within the operations whose
/// outcome nobody learned.
fn assert_lost_money_explains_the_total(r: &RunResult) {
    let d = details::<DomainDetails>(&r.invariants).unwrap();
    let lost = details::<AckedDurabilityDetails>(&r.invariants).unwrap().money_lost;
    let expected = d.initial_total + d.acked_net - lost;
    let total = d.final_total.unwrap();
    let (lo, hi) = (expected + d.unknown_outcome_debits, expected + d.unknown_outcome_credits);
    assert!(lost > 0, "some acknowledged money was lost");
    assert!((lo..=hi).contains(&total), "final {total}, expected {lo}..={hi} ({d:?})");
}

/// Blind spot 1: the emergency successor picks epoch + 1 itself while the control
/// plane grants the same epoch to another region. Two primaries at epoch 2 ship logs
/// whose labels agree and whose content does not. Before: acked_durability counted a
/// handful of lost writes against tens of thousands of units of missing money,
/// fenced_writes held, and the run said it had converged with keys still differing.
#[test]
fn an_epoch_granted_twice_is_caught_and_every_lost_write_counted() {
    let s = load_with("scenarios/control-plane-outage-static.json", |v| {
        v["name"] = json!("epoch-collision");
        v["design"]["replication"] = json!({"mode": "async"});
        v["workload"]["mix"] =
            json!({"register.write": 0.3, "register.read": 0.4, "account.credit": 0.3});
        v["faults"] = json!([
            {"at_s": 20, "for_s": 30, "kind": "partition", "between": [["ap-south"], ["us-east", "eu-west"]]},
            {"at_s": 21, "for_s": 29, "kind": "region_outage", "region": "us-east"}
        ]);
        v.as_object_mut().unwrap().remove("expect");
    });
    let r = run_s(&s);
    let fenced = inv(&r, "fenced_writes");
    assert_eq!(fenced.status, Status::Violated);
    let last = &fenced.trail.last().unwrap().event;
    assert!(last.contains("epoch 2 is granted twice"), "{last}");
    assert!(last.contains("by the emergency successor"), "{last}");
    assert_eq!(inv(&r, "acked_durability").status, Status::Violated);
    assert_eq!(inv(&r, "domain").status, Status::Violated);
    assert_lost_money_explains_the_total(&r);
    // The stores end with different values: the run says so, it does not converge.
    assert!(r.converged_at.is_none());
    assert!(r.divergent_keys > 0);
    assert!(end_state(&r).starts_with("DIVERGED: "), "{}", end_state(&r));
    let summary = summary_json(&r);
    assert_eq!(summary["converged"], json!(false));
    assert_eq!(summary["divergent_keys"], json!(r.divergent_keys));
    let html = gameday::report::html::report_html(&r);
    assert!(html.contains("end: <span class=\"bad\">DIVERGED: "));
    assert_eq!(inv(&r, "recovery").status, Status::Violated);
}

/// Blind spot 2: the planted `reuse-epoch` bug with account credits. Before:
/// acked_durability held with 0 lost while tens of thousands of units were missing.
#[test]
fn a_reused_epoch_loses_exactly_the_money_its_lost_writes_carried() {
    let s = load_with("scenarios/negative/single_writer.json", |v| {
        v["workload"]["mix"] =
            json!({"register.write": 0.3, "account.credit": 0.3, "register.read": 0.4});
        v.as_object_mut().unwrap().remove("expect");
    });
    let r = run_s(&s);
    assert_eq!(inv(&r, "acked_durability").status, Status::Violated);
    assert_eq!(inv(&r, "domain").status, Status::Violated);
    assert_lost_money_explains_the_total(&r);
    let d = details::<DomainDetails>(&r.invariants).unwrap();
    let missing = d.initial_total + d.acked_net - d.final_total.unwrap();
    let lost = details::<AckedDurabilityDetails>(&r.invariants).unwrap().money_lost;
    assert!(missing > 10_000, "{missing}");
    assert_eq!(lost, missing, "no credit had an unknown outcome that moved money here");
}

/// Blind spot 3: with every region writing, freshness skipped every write (they carry
/// epoch 0) and counted no stale read at all. Bounded reads are now judged by write
/// identity: a region cut off for 10 s serves reads seconds staler than their bound,
/// unless the design makes it check (aa-bounded-read-checked).
#[test]
fn bounded_reads_with_every_region_writing_are_judged() {
    let unchecked = run_s(&scenario::load("scenarios/aa-bounded-read-unchecked.json").unwrap());
    let checked = run_s(&scenario::load("scenarios/aa-bounded-read-checked.json").unwrap());
    assert_eq!(inv(&unchecked, "freshness").status, Status::Violated);
    assert!(inv(&unchecked, "freshness").count > 100);
    assert_eq!(inv(&checked, "freshness").status, Status::Held);
    let first = &inv(&unchecked, "freshness").trail.last().unwrap().event;
    assert!(first.starts_with("bounded (1000 ms) read #"), "{first}");
}

/// Strong reads with every region writing were quietly served as eventual ones.
/// Validation now refuses them unless keys have a home region (which serves them).
#[test]
fn strong_reads_need_a_home_when_every_region_writes() {
    let text = std::fs::read_to_string("scenarios/aa-lww-skew.json").unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["workload"].as_object_mut().unwrap().remove("read_classes");
    let e = scenario::from_str("aa.json", &v.to_string()).unwrap_err().to_string();
    assert!(e.contains("workload.mix.\"register.read\": register.read is a strong read"), "{e}");
    assert!(e.contains("\"home-region\""), "{e}");
    v["design"]["conflicts"]["register"] = json!("home-region");
    let s = scenario::from_str("aa.json", &v.to_string()).expect("a home serves strong reads");
    let r = run_s(&s);
    assert_eq!(inv(&r, "freshness").status, Status::Held);
    assert_eq!(inv(&r, "linearizable").status, Status::Held);
    assert!(details::<LinearizableDetails>(&r.invariants).unwrap().operations > 1_000);
}

/// The design finding: a fenced emergency successor, cut off alone, promotes itself
/// while the writer keeps its lease with the control plane: two writers for 30 s.
/// With `emergency_quorum` it must first hear a majority of regions agree the writer
/// is gone, and stays a standby.
#[test]
fn an_emergency_successor_alone_splits_the_brain_and_a_quorum_prevents_it() {
    let naive =
        run_s(&scenario::load("scenarios/emergency-successor-partial-partition.json").unwrap());
    let quorum = run_s(&scenario::load("scenarios/emergency-successor-quorum.json").unwrap());
    for id in ["single_writer", "fenced_writes", "acked_durability"] {
        assert_eq!(inv(&naive, id).status, Status::Violated, "{id}");
        assert_eq!(inv(&quorum, id).status, Status::Held, "{id}");
    }
    let rpo = details::<AckedDurabilityDetails>(&naive.invariants).unwrap().rpo_ms;
    assert!((25_000.0..35_000.0).contains(&rpo), "RPO about the partition's 30 s: {rpo}");
    // The trail says who promoted whom.
    let trail: Vec<&str> =
        inv(&naive, "single_writer").trail.iter().map(|t| t.event.as_str()).collect();
    assert!(
        trail.iter().any(|t| t.starts_with(
            "ap-south promotes itself to writer at epoch 2, as the emergency successor"
        )),
        "{trail:#?}"
    );
}

/// Lists, checked from client results alone: async replication loses acknowledged
/// appends across a failover (strong reads and the final reads lack them), semi-sync
/// does not.
#[test]
fn lists_lose_acknowledged_appends_with_async_replication_only() {
    let naive = run_s(&scenario::load("scenarios/list-append-async-failover.json").unwrap());
    let safe = run_s(&scenario::load("scenarios/list-append-semi-sync-failover.json").unwrap());
    let d = details::<AppendIntegrityDetails>(&naive.invariants).unwrap();
    assert!(d.acknowledged_appends_missing_at_the_end > 0, "{d:?}");
    assert!(d.acknowledged_appends_missing > 0, "{d:?}");
    assert_eq!(d.final_reads, 48, "16 lists from 3 regions");
    assert_eq!(inv(&safe, "append_integrity").status, Status::Held);
    let safe_reads = details::<AppendIntegrityDetails>(&safe.invariants).unwrap().final_reads;
    assert_eq!(safe_reads, 48);
}

/// The `--history` export and the `linearizable` checker use one translation of the
/// run: the exported file, checked on its own, gives the checker's verdict.
#[test]
fn the_exported_history_gives_the_checkers_verdict() {
    use gameday::check::linearizability::{self as lin, Limits, Model, Verdict};
    use gameday::history::{self, ParseOptions};
    let dir = tempfile::tempdir().unwrap();
    for (file, linearizable) in
        [("scenarios/strong-read-replica.json", false), ("scenarios/strong-read-writer.json", true)]
    {
        let s = scenario::load(file).unwrap();
        let path = dir.path().join("h.edn");
        let opts =
            RunOptions { history: Some(path.clone().into_boxed_path()), ..Default::default() };
        let r = run(&s, &opts).unwrap();
        let in_run = inv(&r, "linearizable");
        assert_eq!(in_run.status == Status::Held, linearizable, "{file}");
        let h = history::load(&path, &ParseOptions::default()).unwrap();
        let ops = in_run.details_as::<LinearizableDetails>().unwrap().operations;
        assert_eq!(h.ops().len(), ops, "{file}: the same operations");
        let model = Model::Register { init: gameday::history::Value::Int(0) };
        let v = lin::check(&h, &model, &Limits::deterministic(5_000_000)).unwrap();
        assert_eq!(matches!(v, Verdict::Linearizable), linearizable, "{file}");
    }
}
