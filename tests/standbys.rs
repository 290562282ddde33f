//! Which replicas a single-leader write waits for (`replication.sync_standbys`,
//! PostgreSQL's `synchronous_standby_names`), run as a user runs it: the bundled pair
//! that flips on where the synchronous standby sits, FIRST against ANY when the first
//! standby is cut off, and the format's rules.

use gameday::check::{InvariantReport, Status};
use gameday::scenario::{self, Scenario};
use gameday::sim::{run, RunOptions, RunResult};
use serde_json::{json, Value};

fn load(path: &str) -> Scenario {
    scenario::load(path).unwrap_or_else(|e| panic!("{e}"))
}

fn run_s(s: &Scenario) -> RunResult {
    run(s, &RunOptions::default()).expect("runs")
}

fn invariant<'a>(r: &'a RunResult, id: &str) -> &'a InvariantReport {
    r.invariants.iter().find(|i| i.id == id).expect("known invariant")
}

fn edited(path: &str, edit: impl FnOnce(&mut Value)) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path).expect("bundled scenario");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    edit(&mut v);
    scenario::from_str(path, &v.to_string()).map_err(|e| e.to_string())
}

fn us_east_write_p50(r: &RunResult) -> f64 {
    r.metrics.latency_by_op["register.write"].by_region["us-east/0"].p50_ms
}

/// A synchronous standby in the primary's own region costs one zone round trip per
/// write, and a region cut off then lost takes the writes it acknowledged with it; one
/// in another region costs the region round trip and loses nothing.
#[test]
fn where_the_synchronous_standby_sits_trades_write_latency_for_what_a_lost_region_takes() {
    let same = run_s(&load("scenarios/pg-sync-standby-same-region.json"));
    let other = run_s(&load("scenarios/pg-sync-standby-other-region.json"));
    let lost_same = invariant(&same, "acked_durability");
    assert_eq!(lost_same.status, Status::Violated);
    assert!(lost_same.count >= 20, "{} writes lost", lost_same.count);
    assert_eq!(invariant(&other, "acked_durability").status, Status::Held);
    for r in [&same, &other] {
        for id in ["single_writer", "fenced_writes"] {
            assert_eq!(invariant(r, id).status, Status::Held, "{id} in {}", r.scenario.name);
        }
    }
    // The region round trip (62 ms) against the zone's (1.2 ms).
    let (near, far) = (us_east_write_p50(&same), us_east_write_p50(&other));
    assert!(far - near > 45.0 && far - near < 75.0, "p50 {near} ms against {far} ms");
}

/// `FIRST 1 (us-west, eu-west)`: while us-west is cut off but still counted as
/// connected, writes wait for it; once the primary gives up on it (`timeout_ms`),
/// eu-west is the synchronous standby and writes go on. `ANY 1` takes whichever
/// answers, so it never waits for the cut-off one.
#[test]
fn first_waits_for_the_first_connected_standby_and_any_for_any() {
    let with = |method: &str, timeout_ms: f64| {
        let s = edited("scenarios/pg-sync-standby-other-region.json", |v| {
            v["design"]["replication"]["sync_standbys"]["method"] = json!(method);
            v["design"]["replication"]["sync_standbys"]["timeout_ms"] = json!(timeout_ms);
            v["faults"] = json!([{"at_s": 20, "for_s": 30, "kind": "partition",
                "between": [["us-west"], ["us-east", "eu-west"]]}]);
            v["expect"] = json!({});
        })
        .unwrap_or_else(|e| panic!("{e}"));
        // Writes of clients in the primary's region, which the partition spares.
        run_s(&s).metrics.availability_by_region["us-east/0"]["register.write"].availability
    };
    let any = with("any", 60_000.0);
    let first_quick = with("first", 5_000.0);
    let first_slow = with("first", 60_000.0);
    // ANY: nothing to wait for (measured 100 %); FIRST: about the timeout's share of
    // the 90 s (97.7 % with 5 s, 69.8 % with 60 s, the partition's whole 30 s).
    assert!(any > 0.999, "any {any}");
    assert!((0.93..0.995).contains(&first_quick), "first (5 s) {first_quick}");
    assert!((0.6..0.8).contains(&first_slow), "first (60 s) {first_slow}");
}

#[test]
fn sync_standbys_are_checked() {
    let path = "scenarios/pg-sync-standby-same-region.json";
    let err = edited(path, |v| v["design"]["replication"]["mode"] = json!("async")).unwrap_err();
    assert!(err.contains("design.replication.sync_standbys: names the replicas"), "{err}");
    let err = edited(path, |v| {
        v["design"]["replication"]["sync_standbys"]["regions"] = json!(["us-west/1"])
    })
    .unwrap_err();
    assert!(err.contains("sync_standbys.regions[0]: unknown zone replica \"us-west/1\""), "{err}");
    let err = edited(path, |v| v["design"]["replication"]["sync_standbys"]["count"] = json!(3))
        .unwrap_err();
    assert!(err.contains("sync_standbys.count: must be 1 to 2"), "{err}");
    let err = edited(path, |v| {
        v["design"]["replication"]["sync_standbys"]["regions"] = json!(["eu-west", "eu-west"])
    })
    .unwrap_err();
    assert!(err.contains("\"eu-west\" is already listed"), "{err}");
    let err = edited(path, |v| {
        v["design"]["replication"]["sync_standbys"]["regions"] = json!(["us-east/0"])
    })
    .unwrap_err();
    assert!(err.contains("names only the primary's own replica"), "{err}");
    let err =
        edited(path, |v| v["design"]["replication"]["sync_standbys"]["method"] = json!("all"))
            .unwrap_err();
    assert!(err.contains("method"), "{err}");
}

/// MySQL's wait point: after commit, the primary's readers see a write its replica
/// never acknowledged, which the failover then discards (a phantom read); after sync,
/// they do not, and linearizable holds.
#[test]
fn the_wait_point_decides_whether_readers_see_a_write_a_failover_discards() {
    let commit = run_s(&load("scenarios/semi-sync-after-commit.json"));
    let sync = run_s(&load("scenarios/semi-sync-after-sync.json"));
    assert_eq!(invariant(&commit, "linearizable").status, Status::Violated);
    assert_eq!(invariant(&sync, "linearizable").status, Status::Held);
    for r in [&commit, &sync] {
        for id in ["single_writer", "fenced_writes", "acked_durability"] {
            assert_eq!(invariant(r, id).status, Status::Held, "{id} in {}", r.scenario.name);
        }
    }
    // The reader pays for it: refused reads retry.
    let read = |r: &RunResult| r.metrics.latency_by_op["register.read"].by_region["us-east"].p50_ms;
    assert!(read(&sync) > read(&commit), "{} against {}", read(&sync), read(&commit));
    let err = edited("scenarios/semi-sync-after-sync.json", |v| {
        v["design"]["replication"]["reads_after_ack"] = json!(true)
    })
    .unwrap_err();
    assert!(err.contains("is now design.replication.wait_point"), "{err}");
    let err = edited("scenarios/semi-sync-after-sync.json", |v| {
        v["design"]["replication"]["mode"] = json!("async")
    })
    .unwrap_err();
    assert!(err.contains("design.replication.wait_point: says when"), "{err}");
}

/// MySQL's semi-sync timeout: the primary stops waiting for a cut-off standby and
/// acknowledges without it, says so, and a failover then loses what it acknowledged;
/// without the fallback (Patroni's strict mode) writes wait and nothing is lost, at a
/// cost in availability.
#[test]
fn falling_back_to_async_loses_what_it_acknowledged_and_strict_mode_pays_in_availability() {
    let naive = run_s(&load("scenarios/semi-sync-fallback.json"));
    let strict = run_s(&load("scenarios/semi-sync-fallback-strict.json"));
    let lost = invariant(&naive, "acked_durability");
    assert_eq!(lost.status, Status::Violated);
    assert!(lost.count >= 500, "{} lost", lost.count);
    let f = naive.metrics.async_fallback.as_ref().expect("fallback configured");
    assert_eq!(f.periods, 1, "{f:?}");
    // From about 25 s (5 s after the partition) to the region's loss at 32 s.
    assert!((6.5..7.5).contains(&f.seconds), "{f:?}");
    assert!(f.writes >= lost.count, "{f:?}");
    assert_eq!(invariant(&strict, "acked_durability").status, Status::Held);
    assert!(strict.metrics.async_fallback.is_none());
    assert!(
        strict.metrics.availability + 0.02 < naive.metrics.availability,
        "strict {} against {}",
        strict.metrics.availability,
        naive.metrics.availability
    );
    let err = edited("scenarios/semi-sync-fallback.json", |v| {
        v["design"]["replication"]["mode"] = json!("async");
        v["design"]["replication"]["sync_standbys"] = Value::Null;
        v["design"]["replication"]["wait_point"] = Value::Null;
    })
    .unwrap_err();
    assert!(err.contains("design.replication.async_fallback_ms: is how long"), "{err}");
}

/// Two standbys, one of them cut off before the primary is lost: promoting a fixed one
/// loses what only the other held; asking both (a real round trip) promotes the one
/// that holds the most. If that one cannot answer within the timeout, the choice falls
/// to those that did; `require_sync_standby` keeps the choice to the named standbys.
#[test]
fn the_promoted_standby_is_the_fixed_one_or_the_most_advanced_that_answers() {
    let fixed = run_s(&load("scenarios/promote-fixed-standby.json"));
    let most = run_s(&load("scenarios/promote-most-advanced.json"));
    assert_eq!(fixed.metrics.promotions[0].region, "eu-west");
    let lost = invariant(&fixed, "acked_durability");
    assert_eq!(lost.status, Status::Violated);
    assert!(lost.count >= 300, "{} lost", lost.count);
    assert_eq!(most.metrics.promotions[0].region, "us-west");
    assert_eq!(invariant(&most, "acked_durability").status, Status::Held);
    // One round trip later than the fixed choice, rounded up to a control heartbeat.
    let delay = most.metrics.promotions[0].at_s - fixed.metrics.promotions[0].at_s;
    assert!((0.18..0.6).contains(&delay), "{delay} s");
    // us-west cannot answer: after the timeout, the longest of those that did.
    let s = edited("scenarios/promote-most-advanced.json", |v| {
        v["faults"].as_array_mut().unwrap().push(json!({"at_s": 31, "for_s": 20,
            "kind": "partition", "between": [["ap-south"], ["us-west"]]}));
        v["expect"] = json!({});
    })
    .unwrap();
    let r = run_s(&s);
    assert_eq!(r.metrics.promotions[0].region, "eu-west");
    let waited = r.metrics.promotions[0].at_s - fixed.metrics.promotions[0].at_s;
    assert!((1.0..1.6).contains(&waited), "{waited} s");
    // Only a named synchronous standby may be promoted.
    let s = edited("scenarios/promote-most-advanced.json", |v| {
        v["design"]["replication"]["sync_standbys"] =
            json!({"regions": ["eu-west"], "method": "any"});
        v["design"]["promotion"]["require_sync_standby"] = json!(true);
        v["expect"] = json!({});
    })
    .unwrap();
    assert_eq!(run_s(&s).metrics.promotions[0].region, "eu-west");
    let err = edited("scenarios/promote-most-advanced.json", |v| {
        v["design"]["promotion"]["require_sync_standby"] = json!(true)
    })
    .unwrap_err();
    assert!(err.contains("design.promotion.require_sync_standby: promotes only"), "{err}");
    let err = edited("scenarios/promote-fixed-standby.json", |v| {
        v["design"]["promotion"]["target"] = json!("ap-south")
    })
    .unwrap_err();
    assert!(err.contains("\"ap-south\" is not a standby"), "{err}");
    let err = edited("scenarios/promote-most-advanced.json", |v| {
        v["design"]["promotion"]["target"] = json!("eu-west")
    })
    .unwrap_err();
    assert!(err.contains("design.promotion.target: names the standby"), "{err}");
}

/// A planned switchover that waits until the target holds the writer's whole log loses
/// nothing; the same runbook without the wait loses what had not been shipped.
#[test]
fn a_switchover_that_waits_for_the_target_to_catch_up_loses_nothing() {
    let planned = run_s(&load("scenarios/planned-switchover.json"));
    let unplanned = run_s(&load("scenarios/unplanned-failover.json"));
    assert_eq!(invariant(&planned, "acked_durability").status, Status::Held);
    let lost = invariant(&unplanned, "acked_durability");
    assert_eq!(lost.status, Status::Violated);
    assert!(lost.count >= 5, "{} lost", lost.count);
    for r in [&planned, &unplanned] {
        assert_eq!(r.metrics.promotions[0].region, "eu-west");
        assert_eq!(r.final_writer, "eu-west");
    }
    // The wait: from the stop to the declaration, at least one shipment and a round
    // trip, at most a few position rounds.
    let step = |r: &RunResult, name: &str| {
        r.metrics.runbook.iter().find(|s| s.step == name).and_then(|s| Some(s.end_s? - s.start_s))
    };
    let waited = step(&planned, "wait_caught_up").expect("the step ran");
    assert!((0.2..2.0).contains(&waited), "{waited} s");
    assert!(step(&unplanned, "wait_caught_up").is_none());
    let err = edited("scenarios/planned-switchover.json", |v| {
        v["design"]["promotion"]["planned"] = json!({"at_s": 90, "to": "eu-west"})
    })
    .unwrap_err();
    assert!(err.contains("design.promotion.planned.at_s: must fall within the drill"), "{err}");
    let err = edited("scenarios/planned-switchover.json", |v| {
        v["design"]["promotion"]["planned"] = json!({"at_s": -1, "to": "eu-west"})
    })
    .unwrap_err();
    assert!(err.contains("design.promotion.planned.at_s") && err.contains("seconds"), "{err}");
    let err = edited("scenarios/planned-switchover.json", |v| {
        v["design"]["promotion"]["planned"] = json!({"at_s": 30, "to": "ap-south"})
    })
    .unwrap_err();
    assert!(err.contains("\"ap-south\" is not a standby"), "{err}");
}

fn write_p50(r: &RunResult) -> f64 {
    r.metrics.latency_by_op["register.write"].by_region["us-east/0"].p50_ms
}

fn availability(r: &RunResult) -> f64 {
    r.metrics.availability
}

/// `commit_level`: a standby that acknowledges on receipt loses, when it crashes, the
/// writes it had not flushed yet, and a primary lost at the same moment takes the
/// only other copy; one that acknowledges once on disk loses none, and every write
/// pays for the flush.
#[test]
fn a_standby_that_acknowledges_before_its_disk_flush_loses_the_unflushed_tail() {
    let write = run_s(&load("scenarios/standby-remote-write.json"));
    let flush = run_s(&load("scenarios/standby-flush.json"));
    let lost = invariant(&write, "acked_durability");
    assert_eq!(lost.status, Status::Violated);
    assert!((10..=100).contains(&lost.count), "{} writes lost", lost.count);
    assert_eq!(invariant(&flush, "acked_durability").status, Status::Held);
    // The flush (20 ms) plus on average half of one already under way.
    let (fast, durable) = (write_p50(&write), write_p50(&flush));
    assert!(durable - fast > 20.0 && durable - fast < 45.0, "p50 {fast} ms against {durable} ms");
    // With no flush time, received is durable and the pair no longer differs.
    let instant = edited("scenarios/standby-remote-write.json", |v| {
        v["design"]["replication"]["standby_flush_ms"] = json!(0)
    })
    .expect("valid");
    assert_eq!(invariant(&run_s(&instant), "acked_durability").status, Status::Held);
}

/// The commit levels order write latency: received, then durable, then applied; and
/// `remote_apply` waits for a slow apply.
#[test]
fn remote_apply_waits_for_the_standby_to_apply() {
    let level = |level: &str, apply: f64| {
        let s = edited("scenarios/standby-flush.json", |v| {
            let r = &mut v["design"]["replication"];
            r["commit_level"] = json!(level);
            r["apply_rate_per_s"] = json!(apply);
            v["faults"] = json!([]);
            v["expect"] = json!({});
            v["duration_s"] = json!(20);
        })
        .expect("valid");
        write_p50(&run_s(&s))
    };
    let (write, flush) = (level("remote_write", 20_000.0), level("flush", 20_000.0));
    let (apply, slow_apply) = (level("remote_apply", 20_000.0), level("remote_apply", 1_100.0));
    assert!(write + 15.0 < flush, "{write} against {flush}");
    assert!(flush <= apply + 1.0, "{flush} against {apply}");
    assert!(apply + 3.0 < slow_apply, "{apply} against {slow_apply}");
}

/// A standby that lost its unflushed tail in a crash comes back holding less than it
/// acknowledged: the primary must send it the tail again, or writes that wait for it
/// wait for good.
#[test]
fn a_standby_back_from_a_crash_without_its_tail_is_sent_it_again() {
    let s = edited("scenarios/standby-remote-write.json", |v| {
        v["faults"] = json!([{"at_s": 30, "for_s": 5, "kind": "zone_outage", "region": "us-east", "zone": 1}]);
        v["expect"] = json!({});
    })
    .expect("valid");
    let r = run_s(&s);
    assert_eq!(invariant(&r, "acked_durability").status, Status::Held);
    assert!(availability(&r) > 0.95, "availability {}", availability(&r));
}

#[test]
fn commit_level_and_standby_flush_are_checked() {
    let path = "scenarios/standby-flush.json";
    let err = edited(path, |v| {
        let r = &mut v["design"]["replication"];
        r["mode"] = json!("async");
        r.as_object_mut().unwrap().remove("sync_standbys");
    })
    .unwrap_err();
    assert!(err.contains("design.replication.commit_level") && err.contains("semi-sync"), "{err}");
    let err =
        edited(path, |v| v["design"]["replication"]["commit_level"] = json!("fsync")).unwrap_err();
    assert!(err.contains("remote_write") && err.contains("remote_apply"), "{err}");
    let err =
        edited(path, |v| v["design"]["replication"]["standby_flush_ms"] = json!(-1)).unwrap_err();
    assert!(err.contains("design.replication.standby_flush_ms"), "{err}");
    let err = edited("scenarios/consensus-region-survival.json", |v| {
        v["design"]["replication"]["standby_flush_ms"] = json!(5)
    })
    .unwrap_err();
    assert!(
        err.contains("design.replication.standby_flush_ms") && err.contains("consensus"),
        "{err}"
    );
}
