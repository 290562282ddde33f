//! Scenario tests: every bundled scenario meets its `expect`, runs are deterministic,
//! and each naive/mitigated pair flips on the one design change that separates them.

use gameday::check::details::{
    details, AckedDurabilityDetails, DomainDetails, ExactlyOnceEffectsDetails, LinearizableDetails,
    LinearizableVerdict, NoLostUpdateDetails, SessionDetails,
};
use gameday::check::Status;
use gameday::metrics::Series;
use gameday::report::{summary_json, verdict};
use gameday::scenario::{self, Scenario};
use gameday::sim::{run, RunOptions, RunResult};
use serde_json::Value;

fn load_with(path: &str, edit: impl FnOnce(&mut Value)) -> Scenario {
    let text = std::fs::read_to_string(path).expect("bundled scenario");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    edit(&mut v);
    scenario::from_str(path, &v.to_string()).expect("valid after edit")
}

fn run_file(path: &str) -> RunResult {
    run(&scenario::load(path).expect("valid"), &RunOptions::default()).expect("runs")
}

fn status(r: &RunResult, id: &str) -> &'static str {
    r.invariants.iter().find(|i| i.id == id).expect("known invariant").status.as_str()
}

fn bundled() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir("scenarios")
        .expect("scenarios/")
        .map(|e| e.expect("entry").path().display().to_string())
        .filter(|p| p.ends_with(".json") && !p.ends_with("schema.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "bundled scenarios missing: {files:?}");
    files
}

/// The summary without wall-clock figures, which differ from run to run.
fn deterministic_summary(r: &RunResult) -> Value {
    let mut s = summary_json(r);
    let o = s.as_object_mut().expect("object");
    o.remove("perf");
    o.remove("events_per_sec");
    s
}

#[test]
fn every_bundled_scenario_meets_its_expectation() {
    for f in bundled() {
        let r = run_file(&f);
        let v = verdict(&r);
        assert!(v.has_expect, "{f} has no expect block");
        assert!(v.met, "{f}: {:?}", v.unmet);
        assert!(r.converged_at.is_some(), "{f} did not converge after the drill");
    }
}

#[test]
fn every_bundled_scenario_is_deterministic() {
    for f in bundled() {
        let a = run_file(&f);
        let b = run_file(&f);
        assert_eq!(a.trace_hash, b.trace_hash, "{f}: same seed, different trace");
        assert_eq!(a.events, b.events, "{f}");
        assert_eq!(
            deterministic_summary(&a),
            deterministic_summary(&b),
            "{f}: same seed, different summary"
        );
    }
}

#[test]
fn another_seed_gives_another_trace() {
    let s = scenario::load("scenarios/fenced-promotion.json").unwrap();
    let a = run(&s, &RunOptions::default()).unwrap();
    let b = run(&s, &RunOptions { seed: Some(s.seed + 1), ..Default::default() }).unwrap();
    assert_ne!(a.trace_hash, b.trace_hash);
}

#[test]
fn unfenced_promotion_splits_the_brain_and_loses_acked_writes() {
    let r = run_file("scenarios/unfenced-promotion.json");
    assert_eq!(status(&r, "single_writer"), "violated");
    assert_eq!(status(&r, "acked_durability"), "violated");
    let trail = &r.invariants.iter().find(|i| i.id == "single_writer").unwrap().trail;
    assert!(
        trail.iter().any(|s| s.event.contains("partition")),
        "trail should start from the fault: {trail:?}"
    );
    assert!(trail.iter().any(|s| s.event.contains("promotes eu-west")), "{trail:?}");
}

#[test]
fn fencing_alone_stops_the_split_brain() {
    // Only the fencing switch changes: the operator's promotion then waits out the
    // old writer's lease, so the two writers never overlap.
    let s = load_with("scenarios/unfenced-promotion.json", |v| {
        v["design"]["fencing"] = Value::Bool(true)
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "single_writer"), "held");
    assert_eq!(status(&r, "fenced_writes"), "held");
    // Async replication still loses what the old writer acknowledged in its last lease.
    assert_eq!(status(&r, "acked_durability"), "violated");
}

#[test]
fn semi_sync_alone_keeps_acked_writes_under_fencing() {
    let s = load_with("scenarios/fenced-promotion.json", |v| {
        v["design"]["replication"] = serde_json::json!({"mode": "async"})
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "acked_durability"), "violated");
    assert_eq!(status(&r, "single_writer"), "held");
    let r = run_file("scenarios/fenced-promotion.json");
    assert_eq!(status(&r, "acked_durability"), "held");
}

#[test]
fn async_rpo_is_close_to_the_lag_at_failure() {
    let r = run_file("scenarios/fenced-async-promotion.json");
    let d = details::<AckedDurabilityDetails>(&r.invariants).unwrap();
    let rpo_ms = d.rpo_ms;
    // The log ships every 400 ms and the link adds 35 ms: the loss is at most one
    // shipping interval plus the link's delay, and some data was in flight.
    assert!(d.lost_writes > 0);
    assert!(rpo_ms > 0.0 && rpo_ms < 450.0, "RPO {rpo_ms} ms");
    // The lag sampled at the failure would count a batch still on the wire as missing,
    // yet messages already sent still arrive. So take the lag once the link's 35 ms have
    // passed, at the first sample 100 ms after the failure, less those 100 ms: what the
    // replica lacked when the region went.
    let lag = &r.metrics.replication_lag.get("eu-west").unwrap().series_ms.points;
    let after = lag.iter().find(|p| p.0 == 30_100_000);
    let at_failure = after.unwrap().1 - 100.0;
    assert!(
        (rpo_ms - at_failure).abs() < 150.0,
        "RPO {rpo_ms} ms vs lag at failure {at_failure} ms"
    );
}

#[test]
fn skew_within_the_clock_bound_keeps_leases_apart() {
    let s = load_with("scenarios/skewed-lease.json", |v| {
        v["faults"][0]["offset_ms"] = serde_json::json!(-50)
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "single_writer"), "held");
    assert_eq!(status(&r, "fenced_writes"), "held");
    let r = run_file("scenarios/skewed-lease.json");
    assert_eq!(status(&r, "single_writer"), "violated");
}

#[test]
fn checking_the_balance_at_the_writer_keeps_accounts_non_negative() {
    let r = run_file("scenarios/stale-balance-check.json");
    assert_eq!(status(&r, "domain"), "violated");
    let s = load_with("scenarios/stale-balance-check.json", |v| {
        v["design"]["accounts"]["debit_check"] = Value::from("writer")
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "domain"), "held");
}

#[test]
fn replicas_that_check_their_own_staleness_keep_bounded_reads_fresh() {
    let r = run_file("scenarios/stale-bounded-read.json");
    assert_eq!(status(&r, "freshness"), "violated");
    let s = load_with("scenarios/stale-bounded-read.json", |v| {
        v["design"]["reads"]["replica_checks_staleness"] = Value::Bool(true)
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "freshness"), "held");
}

#[test]
fn strong_reads_from_the_writer_are_fresh_and_from_a_replica_are_not() {
    let r = run_file("scenarios/strong-read-replica.json");
    assert_eq!(status(&r, "freshness"), "violated");
    assert_eq!(status(&r, "linearizable"), "violated");
    let lin = details::<LinearizableDetails>(&r.invariants).unwrap();
    assert!(lin.counterexample_svg.as_ref().unwrap().starts_with("<svg"));
    let s = load_with("scenarios/strong-read-replica.json", |v| {
        v["design"]["reads"]["strong_from"] = Value::from("writer")
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "freshness"), "held");
    assert_eq!(status(&r, "linearizable"), "held");
    let lin = details::<LinearizableDetails>(&r.invariants).unwrap();
    assert_eq!(lin.verdict, LinearizableVerdict::Linearizable);
    assert!(lin.operations > 1000, "a real history was checked");
}

#[test]
fn strong_reads_after_replica_acks_keep_the_fenced_failover_linearizable() {
    // The old primary's strong reads see a write its replica never acknowledged; the
    // failover discards it, and a later read cannot be placed.
    let r = run_file("scenarios/fenced-promotion.json");
    assert_eq!(status(&r, "linearizable"), "violated");
    assert_eq!(status(&r, "acked_durability"), "held", "no acknowledged write was lost");
    let s = load_with("scenarios/fenced-promotion.json", |v| {
        v["design"]["replication"]["wait_point"] = Value::from("after_sync")
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "linearizable"), "held");
}

#[test]
fn retried_credits_without_idempotency_break_conservation() {
    // A lossy, slow link makes credits time out after they applied; the retry applies
    // them again, and the total no longer matches what clients were told.
    let s = load_with("scenarios/active-passive-healthy.json", |v| {
        v["workload"]["mix"] = serde_json::json!({"account.credit": 0.5, "account.read": 0.5});
        v["workload"]["timeout_ms"] = Value::from(150);
        v["faults"] = serde_json::json!([{"at_s": 10, "for_s": 20, "kind": "link_latency", "between": [["eu-west", "ap-south"], ["us-east"]], "factor": 3}]);
        v["expect"] = serde_json::json!({});
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "domain"), "violated");
}

#[test]
fn duration_override_shortens_the_drill() {
    let s = scenario::load("scenarios/active-passive-healthy.json").unwrap();
    let r = run(
        &s,
        &RunOptions {
            duration: Some(gameday::engine::SimDuration::from_secs(5)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.drill_end.as_us(), 5_000_000);
    assert!(r.events < run(&s, &RunOptions::default()).unwrap().events);
}

#[test]
fn memory_does_not_grow_with_simulated_time() {
    // Logs are the only structure that grows with writes; they must stay bounded, so a
    // run ten times longer holds no more entries than the bound allows.
    let s = scenario::load("scenarios/active-passive-healthy.json").unwrap();
    let short = run(&s, &RunOptions::default()).unwrap();
    let long = run(&s, &RunOptions { duration: Some(s.duration.times(10)), ..Default::default() })
        .unwrap();
    let peak = |r: &RunResult| r.metrics.log_entries_peak;
    // Followers trim on their tick, so a tick's worth of writes may sit above the bound.
    let bound = gameday::model::store::FOLLOWER_LOG_RETAIN;
    assert!(peak(&short) <= bound + 1_024, "short run peak {}", peak(&short));
    assert!(peak(&long) <= bound + 1_024, "long run peak {}", peak(&long));
    let pending =
        |r: &RunResult| details::<AckedDurabilityDetails>(&r.invariants).unwrap().pending_max;
    assert!(
        pending(&long) <= pending(&short) * 2 + 100,
        "{} vs {}",
        pending(&long),
        pending(&short)
    );
}

#[test]
fn idempotency_keys_alone_stop_retried_transfers_applying_twice() {
    let r = run_file("scenarios/retry-duplicates.json");
    assert_eq!(status(&r, "exactly_once_effects"), "violated");
    assert_eq!(status(&r, "domain"), "held", "transfers conserve money even when doubled");
    let s = load_with("scenarios/retry-duplicates.json", |v| {
        v["design"]["idempotency"]["client_keys"] = Value::Bool(true)
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), "held");
}

/// A retry whose first attempt replicated but whose answer was lost lands on the newly
/// promoted writer. A record kept only in the old writer's region is not there.
fn failover_with_lost_answers(record: &str) -> Scenario {
    load_with("scenarios/retry-duplicates-keys.json", |v| {
        v["design"]["idempotency"]["record"] = Value::from(record);
        v["design"]["promotion"] = serde_json::json!({"automated": true});
        v["design"]["control_plane"] = serde_json::json!({"region": "eu-west"});
        v["workload"]["clients"] = serde_json::json!(["eu-west", "ap-south"]);
        v["workload"]["retry"] =
            serde_json::json!({"attempts": 12, "backoff_ms": 200, "backoff_max_ms": 800});
        v["faults"] = serde_json::json!([
            {"at_s": 10, "for_s": 40, "kind": "packet_loss", "between": [["us-east"], ["eu-west", "ap-south"]], "loss": 0.2, "one_way": true},
            {"at_s": 30, "for_s": 20, "kind": "region_outage", "region": "us-east"}
        ]);
    })
}

#[test]
fn region_local_idempotency_records_do_not_survive_failover() {
    let r = run(&failover_with_lost_answers("region-local"), &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), "violated");
    let r = run(&failover_with_lost_answers("datastore"), &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), "held");
}

#[test]
fn strong_permission_checks_never_use_revoked_access() {
    let r = run_file("scenarios/revoke-stale-check.json");
    assert_eq!(status(&r, "domain"), "violated");
    assert!(domain_details(&r).revoked_access_used > 0);
    let s = load_with("scenarios/revoke-stale-check.json", |v| {
        v["workload"]["read_classes"]["permission.check"] = serde_json::json!({"class": "strong"})
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "domain"), "held");
}

fn domain_details(r: &RunResult) -> DomainDetails {
    details::<DomainDetails>(&r.invariants).unwrap().clone()
}

#[test]
fn checks_at_the_writer_keep_inventory_and_workflows_legal() {
    let r = run_file("scenarios/stale-entity-checks.json");
    assert!(domain_details(&r).oversold > 0);
    assert!(domain_details(&r).illegal_transitions > 0);
    let s = load_with("scenarios/stale-entity-checks.json", |v| {
        v["design"]["inventory"]["reserve_check"] = Value::from("writer")
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(domain_details(&r).oversold, 0);
    assert!(domain_details(&r).illegal_transitions > 0);
    let s = load_with("scenarios/stale-entity-checks.json", |v| {
        v["design"]["inventory"]["reserve_check"] = Value::from("writer");
        v["design"]["workflow"]["transition_check"] = Value::from("writer");
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "domain"), "held");
}

#[test]
fn session_tokens_give_read_your_writes() {
    let r = run_file("scenarios/stale-entity-checks.json");
    assert_eq!(status(&r, "session"), "violated");
    let s = load_with("scenarios/stale-entity-checks.json", |v| {
        v["design"]["reads"]["session_tokens"] = Value::Bool(true)
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "session"), "held");
    let d = details::<SessionDetails>(&r.invariants).unwrap();
    assert!(d.session_reads > 1000, "the check had reads to judge: {d:?}");
}

#[test]
fn resuming_traffic_before_invalidating_routing_loses_writes() {
    let r = run_file("scenarios/runbook-resume-early.json");
    assert_eq!(status(&r, "acked_durability"), "violated");
    let steps: Vec<&str> = r.metrics.runbook.iter().map(|s| s.step).collect();
    assert_eq!(steps, ["stop_writes", "declare_writer", "resume_traffic", "invalidate_routing"]);
    // Only the order of two steps differs.
    let s = load_with("scenarios/runbook-resume-early.json", |v| {
        let rb = v["design"]["promotion"]["runbook"].as_array_mut().unwrap();
        rb.swap(2, 3);
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "acked_durability"), "held");
    assert_eq!(status(&r, "fenced_writes"), "held");
}

#[test]
fn a_runbook_without_routing_invalidation_never_recovers_writes() {
    // Routers are never told about the new writer; the old one, back from its outage,
    // holds no lease, so every write fails after the fault heals.
    let edit = |runbook: serde_json::Value| {
        load_with("scenarios/fenced-promotion.json", |v| {
            v["design"]["promotion"]["runbook"] = runbook;
            v["faults"] = serde_json::json!([{"at_s": 20, "for_s": 10, "kind": "region_outage", "region": "us-east"}]);
        })
    };
    let broken = edit(
        serde_json::json!([{"step": "stop_writes"}, {"step": "declare_writer"}, {"step": "resume_traffic"}]),
    );
    let r = run(&broken, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "recovery"), "violated");
    let whole = edit(
        serde_json::json!([{"step": "stop_writes"}, {"step": "declare_writer"}, {"step": "invalidate_routing"}, {"step": "resume_traffic"}]),
    );
    let r = run(&whole, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "recovery"), "held");
}

#[test]
fn a_replica_slower_than_the_writes_never_converges() {
    let s = load_with("scenarios/active-passive-healthy.json", |v| {
        v["design"]["replication"]["apply_rate_per_s"] = Value::from(150);
        v["limits"] = serde_json::json!({"convergence_max_s": 10});
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "recovery"), "violated");
    assert!(r.converged_at.is_none());
    assert!(r.divergent_keys > 0, "a replica that never caught up disagrees with the writer");
    let rec = gameday::report::reconciliation_json(&r);
    assert_eq!(rec["converged"], false);
    assert_eq!(rec["divergent_keys"]["count"], r.divergent_keys);
    let trail = &r.invariants.iter().find(|i| i.id == "recovery").unwrap().trail;
    assert!(trail.last().unwrap().event.contains("has applied"), "{trail:?}");
}

fn effects(r: &RunResult) -> ExactlyOnceEffectsDetails {
    details::<ExactlyOnceEffectsDetails>(&r.invariants).unwrap().clone()
}

/// The outbox drill of queue-replay-failover with other faults and worker records.
fn outbox(record: &str, faults: Value) -> Scenario {
    load_with("scenarios/queue-replay-failover.json", |v| {
        v["design"]["stream"]["worker_record"] = Value::from(record);
        v["faults"] = faults;
        v["expect"] = serde_json::json!({});
    })
}

#[test]
fn provider_keys_alone_stop_replayed_charges_after_failover() {
    let r = run_file("scenarios/queue-replay-failover.json");
    assert!(effects(&r).duplicate_effects > 0);
    let s = load_with("scenarios/queue-replay-failover.json", |v| {
        v["design"]["stream"]["worker_record"] = Value::from("provider-key")
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), "held");
}

#[test]
fn a_datastore_record_stops_replays_but_loses_the_effects_in_flight() {
    // The record is written, and replicated, before the effect: a failover replays
    // nothing twice, but a record whose effect the dying region never performed is
    // skipped too. The checker sees the missing charges.
    let faults = serde_json::json!([{"at_s": 30, "for_s": 20, "kind": "region_outage", "region": "us-east"}]);
    let r = run(&outbox("datastore", faults), &RunOptions::default()).unwrap();
    assert_eq!(effects(&r).duplicate_effects, 0);
    assert!(effects(&r).missing_effects > 0, "{:?}", effects(&r));
}

#[test]
fn a_worker_crash_replays_from_the_committed_offset() {
    let faults =
        serde_json::json!([{"at_s": 20, "for_s": 5, "kind": "worker_crash", "region": "us-east"}]);
    let r = run(&outbox("none", faults.clone()), &RunOptions::default()).unwrap();
    assert!(effects(&r).duplicate_effects > 0);
    // A crash between a datastore record and its effect loses the effect...
    let r = run(&outbox("datastore", faults.clone()), &RunOptions::default()).unwrap();
    assert_eq!(effects(&r).duplicate_effects, 0);
    assert!(effects(&r).missing_effects > 0);
    // ...which a provider that honours the operation's key does not.
    let r = run(&outbox("provider-key", faults), &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), "held", "{:?}", effects(&r));
}

#[test]
fn duplicate_delivery_charges_twice_without_a_record() {
    let faults = serde_json::json!([{"at_s": 10, "for_s": 10, "kind": "duplicate_delivery", "region": "us-east", "probability": 0.05}]);
    let r = run(&outbox("none", faults.clone()), &RunOptions::default()).unwrap();
    assert!(effects(&r).duplicate_effects > 10);
    let r = run(&outbox("datastore", faults), &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), "held");
}

#[test]
fn a_queue_replay_repeats_effects_the_provider_key_absorbs() {
    let faults = serde_json::json!([{"at_s": 20, "kind": "queue_replay", "region": "us-east", "events": 50}]);
    let r = run(&outbox("none", faults.clone()), &RunOptions::default()).unwrap();
    // The log keeps only what the workers may still need (back to the committed
    // offset), so a rewind reaches at most that far back.
    let dups = effects(&r).duplicate_effects;
    assert!(dups > 0 && dups <= 50, "{dups}");
    let r = run(&outbox("provider-key", faults), &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "exactly_once_effects"), "held");
}

#[test]
fn poison_messages_dead_lettered_lose_their_effect_and_quarantined_ones_do_not() {
    let faults = serde_json::json!([{"at_s": 20, "for_s": 10, "kind": "poison_message", "region": "us-east"}]);
    let poison = |policy: &str| {
        let s = load_with("scenarios/queue-replay-failover.json", |v| {
            v["design"]["stream"]["poison"] = Value::from(policy);
            v["faults"] = faults.clone();
            v["expect"] = serde_json::json!({});
        });
        run(&s, &RunOptions::default()).unwrap()
    };
    let r = poison("dead-letter");
    assert_eq!(effects(&r).dead_lettered, 1);
    assert_eq!(effects(&r).missing_effects, 1);
    let r = poison("quarantine");
    assert_eq!(status(&r, "exactly_once_effects"), "held");
    // Retrying forever blocks the queue behind the message until the fault ends.
    let r = poison("retry-forever");
    assert_eq!(status(&r, "exactly_once_effects"), "held");
    assert_eq!(status(&r, "recovery"), "held");
}

#[test]
fn draining_queues_replays_and_quarantining_sets_the_backlog_aside() {
    let with_step = |step: &str| {
        load_with("scenarios/queue-replay-failover.json", |v| {
            v["design"]["promotion"]["runbook"] = serde_json::json!([
                {"step": "stop_writes"}, {"step": "declare_writer"}, {"step": step, "duration_ms": 200},
                {"step": "invalidate_routing"}, {"step": "resume_traffic"}
            ]);
        })
    };
    let r = run(&with_step("drain_queues"), &RunOptions::default()).unwrap();
    assert!(effects(&r).duplicate_effects > 0);
    let r = run(&with_step("quarantine_queues"), &RunOptions::default()).unwrap();
    assert_eq!(effects(&r).duplicate_effects, 0);
    assert!(effects(&r).quarantined_events > 0);
}

fn lost_updates(r: &RunResult) -> u64 {
    details::<NoLostUpdateDetails>(&r.invariants).unwrap().lost_updates
}

#[test]
fn escrow_alone_keeps_active_active_accounts_whole() {
    let r = run_file("scenarios/aa-accounts-lww.json");
    assert_eq!(status(&r, "no_lost_update"), "violated");
    assert_eq!(status(&r, "domain"), "violated", "money is not conserved when balances overwrite");
    for policy in ["escrow", "home-region"] {
        let s = load_with("scenarios/aa-accounts-lww.json", |v| {
            v["design"]["conflicts"]["account"] = Value::from(policy)
        });
        let r = run(&s, &RunOptions::default()).unwrap();
        assert_eq!(status(&r, "no_lost_update"), "held", "{policy}");
        assert_eq!(status(&r, "domain"), "held", "{policy}: {:?}", domain_details(&r));
        assert_eq!(status(&r, "recovery"), "held", "{policy}");
    }
}

#[test]
fn merged_counters_conserve_money_but_can_overdraw() {
    // Deltas add up, so nothing is lost; but two regions may each spend the same
    // balance before hearing of the other.
    let s = load_with("scenarios/aa-accounts-lww.json", |v| {
        v["design"]["conflicts"]["account"] = Value::from("merge");
        v["workload"]["initial_balance"] = Value::from(300);
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "no_lost_update"), "held");
    assert!(domain_details(&r).negative_balances > 0);
    let d = domain_details(&r);
    assert_eq!(d.final_total, Some(d.initial_total + d.acked_net));
}

#[test]
fn a_skewed_clock_makes_later_writes_lose_under_lww() {
    let skewed = run_file("scenarios/aa-lww-skew.json");
    let s = load_with("scenarios/aa-lww-skew.json", |v| v["faults"] = serde_json::json!([]));
    let unskewed = run(&s, &RunOptions::default()).unwrap();
    assert!(
        lost_updates(&skewed) > lost_updates(&unskewed) + 100,
        "{} vs {}",
        lost_updates(&skewed),
        lost_updates(&unskewed)
    );
    let s = load_with("scenarios/aa-lww-skew.json", |v| {
        v["design"]["conflicts"]["register"] = Value::from("reject-concurrent")
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(lost_updates(&r), 0);
    assert_eq!(status(&r, "recovery"), "held");
    // The price: writes that raced are refused and retried, as the report shows.
    let rec = gameday::report::reconciliation_json(&r);
    assert!(rec["merge_decisions"]["conditional_writes_refused"].as_u64().unwrap() > 0, "{rec}");
    assert_eq!(rec["merge_decisions"]["superseded_unobserved"], 0);
}

#[test]
fn conflict_policies_need_active_active_writes() {
    let text = std::fs::read_to_string("scenarios/aa-accounts-lww.json").unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["design"]["topology"] = Value::from("active-passive");
    let err = scenario::from_str("x.json", &v.to_string()).unwrap_err().to_string();
    assert!(err.contains("design.conflicts"), "{err}");
    v["design"]["topology"] = Value::from("active-active-writes");
    v["design"]["conflicts"] = serde_json::json!({"register": "escrow"});
    let err = scenario::from_str("x.json", &v.to_string()).unwrap_err().to_string();
    assert!(err.contains("design.conflicts.register"), "{err}");
}

#[test]
fn active_active_reads_serve_reads_locally_within_the_bound() {
    let s = load_with("scenarios/active-passive-healthy.json", |v| {
        v["design"]["topology"] = Value::from("active-active-reads");
        v["design"]["reads"] = serde_json::json!({"default_bound_ms": 300});
        v["workload"]["read_classes"] = serde_json::json!({});
    });
    assert_eq!(
        s.workload.read_class[gameday::scenario::OpKind::RegisterRead.idx()],
        gameday::scenario::ReadClass::Bounded(gameday::engine::SimDuration::from_ms(300))
    );
    let r = run(&s, &RunOptions::default()).unwrap();
    assert_eq!(status(&r, "freshness"), "held");
    // Reads are served where the clients are: ap-south's latency is local, not a
    // round trip to us-east.
    let p50 = r.metrics.latency.region("ap-south").unwrap().p50_ms;
    assert!(p50 < 100.0, "ap-south p50 {p50} ms");
}

#[test]
fn a_reconcile_step_restores_discarded_writes_at_a_price() {
    // The old writer's acknowledged writes come back, applied again on the new writer;
    // transfers are replayed without the balance check they once passed.
    let s = load_with("scenarios/unfenced-promotion.json", |v| {
        v["design"]["promotion"]["runbook"] = serde_json::json!([
            {"step": "stop_writes"}, {"step": "declare_writer"}, {"step": "invalidate_routing"},
            {"step": "resume_traffic"}, {"step": "reconcile"}
        ]);
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    let d = details::<AckedDurabilityDetails>(&r.invariants).unwrap();
    assert_eq!(status(&r, "acked_durability"), "held", "{d:?}");
    assert!(d.recovered_by_reconcile > 1000);
    assert!(domain_details(&r).negative_balances > 0);
    assert!(r.converged_at.is_some());
}

#[test]
fn packet_loss_does_not_set_off_a_snapshot_storm() {
    // Lost appends leave gaps a follower reports; the leader must resend from what the
    // follower acknowledged, not ship its whole state again and again.
    let r = run_file("scenarios/retry-duplicates.json");
    let snapshots = r.metrics.snapshots_sent;
    assert!(snapshots < 5, "{snapshots} snapshots in 60 s");
}

#[test]
fn a_retry_budget_and_jitter_stop_a_storm_outliving_its_brownout() {
    let r = run_file("scenarios/retry-storm.json");
    assert_eq!(status(&r, "recovery"), "violated");
    // The storm: after the brownout ended at 30 s, attempts keep exceeding offered load.
    let load = &r.metrics.load;
    let per_s =
        |series: &Series, t: u64| series.points.iter().find(|p| p.0 == t).map_or(0.0, |p| p.1);
    let at = 40_000_000;
    assert!(per_s(&load.attempts_per_s, at) > 1.3 * per_s(&load.offered_per_s, at));
    assert!(per_s(&load.goodput_per_s, at) < 0.1 * per_s(&load.offered_per_s, at));
    let r = run_file("scenarios/retry-storm-budget.json");
    assert_eq!(status(&r, "recovery"), "held");
}

/// A drill where the writer's tier fails every request for 10 s: each attempt reaches a
/// server and fails at once, so amplification can be counted by hand.
fn failing_tier(budget: Option<serde_json::Value>) -> RunResult {
    let s = load_with("scenarios/retry-storm.json", |v| {
        v["workload"]["retry"] =
            serde_json::json!({"attempts": 3, "backoff_ms": 1, "backoff_max_ms": 1});
        if let Some(b) = budget {
            v["workload"]["retry"]["budget"] = b;
        }
        v["workload"]["clients"] = serde_json::json!(["us-east"]);
        // Ample servers: no queue, so each attempt fails within milliseconds.
        v["design"]["capacity"]["servers"] = Value::from(64);
        v["duration_s"] = Value::from(10);
        v["faults"] = serde_json::json!([{"at_s": 0, "for_s": 10, "kind": "region_brownout", "region": "us-east", "error_rate": 1.0}]);
        v["expect"] = serde_json::json!({});
    });
    run(&s, &RunOptions::default()).unwrap()
}

#[test]
fn retry_amplification_matches_a_hand_count() {
    // Every operation makes exactly its three attempts.
    let r = failing_tier(None);
    let amp = r.metrics.retry_amplification;
    assert!((amp - 3.0).abs() < 0.01, "{amp}");
    // With a budget and no success to earn tokens, only the 10 saved retries happen.
    let r = failing_tier(Some(serde_json::json!({"ratio": 0.1, "burst": 10})));
    let ops = r.metrics.operations as f64;
    let amp = r.metrics.retry_amplification;
    assert!((amp - (ops + 10.0) / ops).abs() < 1e-9, "{amp} for {ops} operations");
}

fn blast(r: &RunResult) -> (f64, u64) {
    let b = &r.metrics.blast_radius;
    (b.customers, b.customers_hit as u64)
}

#[test]
fn isolation_bounds_a_poison_customers_blast_radius() {
    // One shared pool: the poison reaches every server and everyone fails.
    let r = run_file("scenarios/poison-customer-shared.json");
    assert!(blast(&r).0 > 0.9, "{:?}", blast(&r));
    // Fixed cells: the poison customer's cell, and the customers who share it.
    let s = load_with("scenarios/poison-customer-shared.json", |v| {
        v["design"]["capacity"]["isolation"] = Value::from("cells")
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    let same_cell = (0..100u32).filter(|c| c % 8 == 0).count() as u64;
    assert_eq!(blast(&r).1, same_cell);
    // Shuffle shards: only the customers whose whole shard is the poison's shard.
    let r = run_file("scenarios/poison-customer-shuffle-shard.json");
    let poison = gameday::model::apptier::shard(0, 8, 2);
    let trapped = (0..100u32)
        .filter(|c| gameday::model::apptier::shard(*c, 8, 2).iter().all(|x| poison.contains(x)))
        .count() as u64;
    assert_eq!(blast(&r).1, trapped, "computed from the shards");
    assert!(trapped < same_cell);
}

#[test]
fn cached_tokens_and_a_regional_promotion_path_keep_a_region_serving() {
    let naive = run_file("scenarios/control-plane-outage.json");
    let stable = run_file("scenarios/control-plane-outage-static.json");
    let avail = |r: &RunResult| r.metrics.availability;
    assert!(avail(&naive) < 0.6 && avail(&stable) > 0.8, "{} vs {}", avail(&naive), avail(&stable));
    // The control plane, back from its outage, adopts the writer the region promoted.
    assert_eq!(stable.final_writer, "ap-south");
    assert_eq!(status(&stable, "single_writer"), "held");
    // Cached tokens alone keep reads going but nobody can promote.
    let s = load_with("scenarios/control-plane-outage.json", |v| {
        v["design"]["identity"]["cache_ttl_s"] = Value::from(300)
    });
    let cached = run(&s, &RunOptions::default()).unwrap();
    assert!(avail(&cached) > avail(&naive) && avail(&cached) < avail(&stable));
}

#[test]
fn detection_breakers_jitter_and_a_budget_contain_a_slow_primary() {
    let naive = run_file("scenarios/slow-primary.json");
    assert_eq!(status(&naive, "recovery"), "violated");
    assert!(naive.metrics.retry_amplification > 2.0);
    let guarded = run_file("scenarios/slow-primary-guarded.json");
    assert_eq!(status(&guarded, "recovery"), "held");
    // The brownout was seen, by latency, within seconds; breakers opened and closed.
    let detect_ms = guarded.metrics.brownout_detection_ms.expect("detected");
    assert!(detect_ms < 5_000.0, "{detect_ms}");
    assert!(guarded.metrics.breaker_transitions >= 2);
    // Health checks on the cheap path kept passing: a slow region is not a down one.
    let trail_has_health =
        naive.invariants.iter().flat_map(|i| &i.trail).any(|s| s.event.contains("health"));
    assert!(!trail_has_health);
}

#[test]
fn a_rate_limit_and_load_shedding_refuse_fast_instead_of_queueing() {
    let with = |capacity: serde_json::Value| {
        let s = load_with("scenarios/retry-storm.json", |v| {
            for (k, x) in capacity.as_object().unwrap() {
                v["design"]["capacity"][k] = x.clone();
            }
            v["expect"] = serde_json::json!({});
        });
        run(&s, &RunOptions::default()).unwrap()
    };
    let queued = with(serde_json::json!({}));
    let limited = with(serde_json::json!({"rate_limit_per_s": 500}));
    let shed = with(serde_json::json!({"shed_after_ms": 200}));
    let depth = |r: &RunResult| r.metrics.load.queue_depth.get("us-east").unwrap().max;
    assert!(depth(&limited) < depth(&queued) / 2.0, "{} vs {}", depth(&limited), depth(&queued));
    assert!(depth(&shed) < depth(&queued) / 2.0, "{} vs {}", depth(&shed), depth(&queued));
    // Refusing fast keeps the queue short enough for goodput to come back.
    assert_eq!(status(&shed, "recovery"), "held");
}

#[test]
fn the_full_gameday_drill_breaks_the_naive_design_and_not_the_mitigated_one() {
    let naive = run_file("scenarios/gameday-naive.json");
    let violated: Vec<&str> =
        naive.invariants.iter().filter(|i| i.status == Status::Violated).map(|i| i.id).collect();
    assert!(violated.len() >= 5, "{violated:?}");
    for i in naive.invariants.iter().filter(|i| i.status == Status::Violated) {
        assert!(!i.trail.is_empty(), "{} has no trail", i.id);
    }
    let mitigated = run_file("scenarios/gameday-mitigated.json");
    assert!(
        mitigated.invariants.iter().all(|i| i.status == Status::Held),
        "{:?}",
        mitigated
            .invariants
            .iter()
            .filter(|i| i.status != Status::Held)
            .map(|i| i.id)
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_traffic_surge_multiplies_offered_load_for_its_window() {
    let s = load_with("scenarios/retry-storm-budget.json", |v| {
        v["faults"] =
            serde_json::json!([{"at_s": 20, "for_s": 10, "kind": "traffic_surge", "factor": 3}]);
        v["expect"] = serde_json::json!({});
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    let offered = |t: u64| r.metrics.load.offered_per_s.points.iter().find(|p| p.0 == t).unwrap().1;
    let ratio = offered(25_000_000) / offered(10_000_000);
    assert!((2.5..3.5).contains(&ratio), "surge ratio {ratio}");
    assert!(offered(40_000_000) / offered(10_000_000) < 1.3);
    assert!(!r.metrics.load.retry_amplification_per_s.is_empty());
}

/// Two client regions with a busy application tier each; ap-south (serving its own
/// clients' eventual reads) goes down for 5 s in the middle of the drill.
const APPTIER_OUTAGE: &str = r#"{
  "version": 1,
  "name": "apptier-outage",
  "description": "ap-south's application tier is busy when the region goes down for 5 s.",
  "seed": 11,
  "duration_s": 60,
  "regions": [
    {"name": "us-east", "role": "primary"},
    {"name": "eu-west", "role": "standby"},
    {"name": "ap-south", "role": "read-replica"}
  ],
  "network": {"rtt_ms": {"us-east/eu-west": 70, "us-east/ap-south": 220, "eu-west/ap-south": 240}},
  "design": {
    "topology": "active-passive",
    "replication": {"mode": "async"},
    "fencing": true,
    "capacity": {"cells": 1, "servers": 4, "service": {"dist": "exponential", "mean_ms": 10}}
  },
  "workload": {
    "rate_per_s": 600,
    "clients": ["ap-south", "us-east"],
    "mix": {"register.read": 0.9, "register.write": 0.1},
    "read_classes": {"register.read": {"class": "eventual"}}
  },
  "faults": [{"at_s": 20, "for_s": 5, "kind": "region_outage", "region": "ap-south"}]
}"#;

#[test]
fn a_region_back_from_an_outage_serves_again() {
    // Before the outage took the servers' work with it, the requests they were serving
    // held them busy forever and ap-south's own clients were never served again.
    let s = scenario::from_str("apptier-outage.json", APPTIER_OUTAGE).expect("valid");
    let r = run(&s, &RunOptions::default()).unwrap();
    let errors = &r.metrics.by_region.get("ap-south").unwrap().error_rate.points;
    let late = |p: &&(u64, f64)| (40_000_000..60_000_000).contains(&p.0);
    let late_errors: Vec<f64> = errors.iter().filter(late).map(|p| p.1).collect();
    assert_eq!(late_errors.len(), 20, "{errors:?}");
    assert!(late_errors.iter().all(|e| *e < 0.05), "ap-south after the outage: {late_errors:?}");
    assert_eq!(status(&r, "recovery"), "held");
}

/// The JSONL trace of a run (`--trace`), as text.
fn trace_of(s: &Scenario) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.jsonl");
    let opts = RunOptions { trace: Some(path.clone().into_boxed_path()), ..Default::default() };
    run(s, &opts).unwrap();
    std::fs::read_to_string(&path).unwrap()
}

/// The healthy three-region drill, shortened, with the writer's lease as given.
fn healthy_with(duration_s: u64, edit: impl FnOnce(&mut Value)) -> Scenario {
    load_with("scenarios/active-passive-healthy.json", |v| {
        v["duration_s"] = Value::from(duration_s);
        v["expect"] = serde_json::json!({});
        edit(v);
    })
}

#[test]
fn the_writer_renews_its_lease_every_renew_interval_not_every_heartbeat() {
    let s = healthy_with(10, |v| {
        v["design"]["lease"] = serde_json::json!({"duration_ms": 2000, "renew_ms": 500});
        v["design"]["promotion"]["heartbeat_ms"] = Value::from(100);
    });
    // Ten seconds of drill and the short convergence after it: about 20 renewals, where a
    // request on every heartbeat would make about 100.
    let grants = lease_grants_to_the_writer(&s);
    assert!((19..=23).contains(&grants), "{grants} lease grants");
}

/// Lease grants the control plane sent to us-east, the writer, during a run.
fn lease_grants_to_the_writer(s: &Scenario) -> usize {
    let to_writer =
        |l: &&str| l.contains("\"msg\":\"lease_grant\"") && l.contains("\"region\":\"us-east\"");
    trace_of(s).lines().filter(to_writer).count()
}

#[test]
fn a_renewal_interval_shorter_than_the_heartbeat_is_kept() {
    // Renewal has its own timer, so a short lease can be renewed more often than the
    // nodes send heartbeats: about 100 renewals in ten seconds, not 20, and the 300 ms
    // lease never lapses between 500 ms heartbeats.
    let s = healthy_with(10, |v| {
        v["design"]["lease"] = serde_json::json!({"duration_ms": 300, "renew_ms": 100});
        v["design"]["promotion"]["heartbeat_ms"] = Value::from(500);
    });
    let grants = lease_grants_to_the_writer(&s);
    assert!((95..=110).contains(&grants), "{grants} lease grants");
    let refused = trace_of(&s).lines().filter(|l| l.contains("refused:lease_expired")).count();
    assert_eq!(refused, 0);
}

#[test]
fn a_renewal_too_late_for_the_lease_leaves_the_writer_without_one() {
    // The control plane (eu-west) is a 70 ms round trip from the writer. Asked 1950 ms
    // after the last renewal, the next grant arrives after the 2000 ms lease ran out, so
    // every cycle the writer refuses writes for a moment; every 500 ms leaves room.
    let refusals = |renew_ms: u64| {
        let s = healthy_with(30, |v| {
            v["design"]["lease"] = serde_json::json!({"duration_ms": 2000, "renew_ms": renew_ms});
        });
        let trace = trace_of(&s);
        trace.lines().filter(|l| l.contains("refused:lease_expired")).count()
    };
    assert_eq!(refusals(500), 0);
    let late = refusals(1950);
    assert!(late > 20, "{late} writes refused for want of a lease");
}
