//! Consensus replication (Raft) and process pauses, run as a user runs them: the
//! bundled scenarios, each pair flipping on one design change, and the format's rules.
//! The election rules themselves are unit-tested in `model::replication::consensus`.

use gameday::check::Status;
use gameday::scenario::{self, Scenario};
use gameday::sim::{run, RunOptions, RunResult};
use serde_json::{json, Value};

fn load(path: &str) -> Scenario {
    scenario::load(path).unwrap_or_else(|e| panic!("{e}"))
}

fn run_s(s: &Scenario) -> RunResult {
    run(s, &RunOptions::default()).expect("runs")
}

fn status(r: &RunResult, id: &str) -> Status {
    r.invariants.iter().find(|i| i.id == id).expect("known invariant").status
}

fn held(r: &RunResult, ids: &[&str]) {
    for id in ids {
        assert_eq!(status(r, id), Status::Held, "{id} in {}", r.scenario.name);
    }
}

fn edited(path: &str, edit: impl FnOnce(&mut Value)) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path).expect("bundled scenario");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    edit(&mut v);
    scenario::from_str(path, &v.to_string()).map_err(|e| e.to_string())
}

/// The leader's region is lost: a new leader is elected in about one election timeout
/// plus two vote round trips and a commit, nothing acknowledged is lost, and before the
/// fault a write waits about one round trip to the nearest other voter.
#[test]
fn a_lost_leader_region_is_replaced_by_election_and_loses_nothing() {
    let s = load("scenarios/consensus-region-outage.json");
    let r = run_s(&s);
    held(&r, &["single_writer", "fenced_writes", "acked_durability", "linearizable", "freshness"]);
    let p = &r.metrics.promotions;
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].by, p[0].region.as_str(), p[0].epoch), ("election", "us-west", 2));
    // us-west's timeout (1-2 s) + pre-vote and vote rounds (2 x 140 ms) + no-op (140 ms).
    let rto = p[0].write_rto_ms.expect("writes resumed");
    assert!((1_000.0..2_700.0).contains(&rto), "write RTO {rto} ms");
    assert_eq!(r.final_writer, "us-west");
    // Before the fault: one round trip to us-west (60 ms) plus the batch.
    let before = run(
        &s,
        &RunOptions {
            duration: Some(gameday::engine::SimDuration::from_secs(29)),
            ..Default::default()
        },
    )
    .expect("runs");
    let wait = before.metrics.commit_latency.as_ref().expect("consensus").quorum_wait.p50_ms;
    assert!((60.0..72.0).contains(&wait), "quorum wait p50 {wait} ms");
    let write = &before.metrics.latency_by_op["register.write"].by_region["us-east"];
    assert!((60.0..80.0).contains(&write.p50_ms), "us-east write p50 {} ms", write.p50_ms);
    // The same seed gives the same run.
    assert_eq!(run_s(&s).trace_hash, r.trace_hash);
}

/// A clock step moves a wall-clock lease, not a monotonic one: only the wall-clock
/// leader, cut off and deposed, keeps serving strong reads from its old state.
#[test]
fn a_stepped_wall_clock_lets_a_deposed_leader_serve_stale_reads() {
    let wall = run_s(&load("scenarios/leader-lease-wall-clock.json"));
    let mono = run_s(&load("scenarios/leader-lease-monotonic.json"));
    assert_eq!(status(&wall, "linearizable"), Status::Violated);
    assert_eq!(status(&wall, "freshness"), Status::Violated);
    held(&wall, &["single_writer", "fenced_writes", "acked_durability"]);
    held(
        &mono,
        &["single_writer", "fenced_writes", "acked_durability", "linearizable", "freshness"],
    );
}

/// A leader paused past its lease resumes on its old belief only when it trusts what
/// it decided at its last heartbeat; checking the clock at each read refuses.
#[test]
fn a_paused_leader_serves_stale_reads_only_if_it_trusts_its_old_lease() {
    let naive = run_s(&load("scenarios/lease-pause.json"));
    let checked = run_s(&load("scenarios/lease-pause-checked.json"));
    assert_eq!(status(&naive, "linearizable"), Status::Violated);
    held(&naive, &["single_writer", "fenced_writes", "acked_durability"]);
    held(
        &checked,
        &["single_writer", "fenced_writes", "acked_durability", "linearizable", "freshness"],
    );
}

/// The single-writer design: a paused primary resumes after the control plane
/// promoted another and commits what queued meanwhile, unless fencing refuses it.
#[test]
fn a_paused_unfenced_primary_resumes_as_a_second_writer() {
    let naive = run_s(&load("scenarios/process-pause-primary.json"));
    let fenced = run_s(&load("scenarios/process-pause-primary-fenced.json"));
    assert_eq!(status(&naive, "single_writer"), Status::Violated);
    assert_eq!(status(&naive, "fenced_writes"), Status::Violated);
    held(&fenced, &["single_writer", "fenced_writes", "acked_durability", "linearizable"]);
    // Without the pause, nobody is promoted and nothing is violated.
    let calm =
        edited("scenarios/process-pause-primary.json", |v| v["faults"] = json!([])).expect("valid");
    let calm = run_s(&calm);
    held(&calm, &["single_writer", "fenced_writes"]);
    assert!(calm.metrics.promotions.is_empty());
}

/// Settings consensus alone reads are refused with another mode, and what consensus
/// replaces (fencing, the emergency successor, an operator's promotion) is refused
/// with it: never a silent no-op.
#[test]
fn consensus_settings_are_refused_where_they_cannot_act() {
    let path = "scenarios/consensus-region-outage.json";
    let err = edited(path, |v| v["design"]["replication"]["mode"] = json!("async")).unwrap_err();
    assert!(
        err.contains(
            "design.replication.election_timeout_ms: applies to consensus replication only"
        ),
        "{err}"
    );
    let err = edited(path, |v| v["design"]["fencing"] = json!(true)).unwrap_err();
    assert!(err.contains("design.fencing: consensus fences by term on its own"), "{err}");
    let err = edited(path, |v| {
        v["faults"] = json!([{"at_s": 10, "kind": "operator_promote", "region": "us-west"}])
    })
    .unwrap_err();
    assert!(
        err.contains("faults[0].kind: under consensus replication leaders are elected"),
        "{err}"
    );
    let err =
        edited(path, |v| v["design"]["replication"]["voters"] = json!(["us-east/1"])).unwrap_err();
    assert!(err.contains("unknown zone replica \"us-east/1\""), "{err}");
    let err = edited(path, |v| {
        v["design"]["replication"]["witnesses"] = json!(["us-east"]);
    })
    .unwrap_err();
    assert!(err.contains("must be a voter (not a witness or non-voter)"), "{err}");
    let err =
        edited(path, |v| v["design"]["replication"]["heartbeat_ms"] = json!(1500)).unwrap_err();
    assert!(err.contains("must be shorter than election_timeout_ms.min"), "{err}");
    let err = edited(path, |v| {
        v["faults"] = json!([{"at_s": 10, "for_s": 1, "kind": "process_pause", "region": "us-east", "zone": 1}])
    })
    .unwrap_err();
    assert!(err.contains("faults[0].zone"), "{err}");
}

/// A witness votes and keeps the log but serves no reads, and a non-voter neither
/// votes nor counts towards a majority: with eu-west a non-voter, losing us-east
/// leaves one voter of two, no majority, and no leader until us-east is back.
#[test]
fn voters_decide_and_non_voters_do_not() {
    let s = edited("scenarios/consensus-region-outage.json", |v| {
        v["design"]["replication"]["non_voters"] = json!(["eu-west"]);
    })
    .expect("valid");
    let r = run_s(&s);
    // Nobody is elected while us-east is down; once back, it wins an election of its
    // own (it restarted as a follower), and us-west's vote is enough.
    let p = &r.metrics.promotions;
    assert!(p.iter().all(|p| p.at_s >= 60.0 && p.region == "us-east"), "{p:?}");
    held(&r, &["acked_durability", "single_writer", "freshness"]);
    let s = edited("scenarios/consensus-region-outage.json", |v| {
        v["design"]["replication"]["witnesses"] = json!(["eu-west"]);
    })
    .expect("valid");
    let r = run_s(&s);
    assert_eq!(r.metrics.promotions.len(), 1);
    assert_eq!(r.metrics.promotions[0].region, "us-west", "a witness never leads");
    held(&r, &["acked_durability", "linearizable", "single_writer", "freshness"]);
}

/// Safety under a swarm of faults on five replicas: no seed breaks the single-writer
/// invariants, durability or linearizability (`gameday sweep --seeds 1..1000` runs the
/// long version). The same drill with wall-clock leases and no check-quorum does: seed
/// 166 serves a stale strong read, so these checks can fail here.
#[test]
fn a_swarm_of_faults_never_breaks_consensus_safety() {
    let s = load("scenarios/swarm-consensus.json");
    for seed in 1..=24 {
        let r = run(&s, &RunOptions { seed: Some(seed), ..Default::default() }).expect("runs");
        for id in ["single_writer", "fenced_writes", "acked_durability", "linearizable", "domain"] {
            assert_ne!(status(&r, id), Status::Violated, "seed {seed}: {id}");
        }
    }
    let wall = edited("scenarios/swarm-consensus.json", |v| {
        v["design"]["replication"]["check_quorum"] = json!(false);
        v["design"]["lease"]["clock"] = json!("wall");
    })
    .expect("valid");
    let r = run(&wall, &RunOptions { seed: Some(166), ..Default::default() }).expect("runs");
    assert_eq!(status(&r, "linearizable"), Status::Violated);
}

/// A pause shorter than anyone's patience changes nothing for good: the paused node's
/// timers (a fenced primary's lease renewal, a leader's heartbeats), held back and run
/// late, are still its live timers, so it keeps its lease and its leadership.
#[test]
fn a_short_pause_leaves_the_writer_in_place() {
    let short = |path: &str| {
        edited(path, |v| {
            v["faults"] =
                json!([{"at_s": 30, "for_s": 0.4, "kind": "process_pause", "region": "us-east"}]);
        })
        .expect("valid")
    };
    for path in
        ["scenarios/process-pause-primary-fenced.json", "scenarios/lease-pause-checked.json"]
    {
        let r = run_s(&short(path));
        assert!(r.metrics.promotions.is_empty(), "{path}: {:?}", r.metrics.promotions);
        held(&r, &["single_writer", "fenced_writes", "acked_durability", "recovery"]);
        let ok = &r.metrics.availability_by_region["us-east"]["register.write"];
        assert!(ok.availability > 0.99, "{path}: us-east writes {ok:?}");
    }
}

/// After a short pause the leader's heartbeat timer still runs: cut off later, it
/// notices it hears no majority (check-quorum) and steps down within about the
/// election timeout's minimum.
#[test]
fn a_leader_back_from_a_short_pause_still_checks_its_quorum() {
    let s = edited("scenarios/lease-pause-checked.json", |v| {
        v["faults"] = json!([
            {"at_s": 30, "for_s": 0.4, "kind": "process_pause", "region": "us-east"},
            {"at_s": 50, "for_s": 10, "kind": "partition", "between": [["us-east"], ["us-west", "eu-west"]]}
        ]);
    })
    .expect("valid");
    let r = run_s(&s);
    let spans = &r.metrics.by_region["us-east"].writer;
    let led = spans.iter().find(|b| b.from_s < 50.0 && b.until_s.is_none_or(|u| u > 50.0));
    let until = led.and_then(|b| b.until_s).expect("us-east stepped down");
    assert!((50.9..52.5).contains(&until), "stepped down at {until} s ({spans:?})");
}

/// Survival goals: five replicas over three regions (2/2/1 zones) survive losing a
/// whole region, paying a cross-region round trip per write; three voters in one
/// region's zones commit at zone distance and survive a zone, but not the region.
#[test]
fn replicas_placed_for_region_survival_survive_a_region_and_zone_placement_does_not() {
    let region = run_s(&load("scenarios/consensus-region-survival.json"));
    let zone = run_s(&load("scenarios/consensus-zone-survival.json"));
    for r in [&region, &zone] {
        held(r, &["single_writer", "fenced_writes", "acked_durability", "domain"]);
    }
    let p = &region.metrics.promotions;
    assert!(p.iter().any(|p| p.region == "us-west/0" && p.at_s < 33.0), "{p:?}");
    let p = &zone.metrics.promotions;
    assert!(p.iter().all(|p| p.at_s >= 60.0), "no quorum while us-east is down: {p:?}");
    let wait = |r: &RunResult| r.metrics.commit_latency.as_ref().unwrap().quorum_wait.p50_ms;
    assert!(wait(&zone) < 10.0 && wait(&region) > 55.0, "{} vs {}", wait(&zone), wait(&region));
    assert!(region.metrics.availability > 0.8 && zone.metrics.availability < 0.75);
    // Losing one zone, even the leader's, is survived by zone placement.
    let s = edited("scenarios/consensus-zone-survival.json", |v| {
        v["faults"] = json!([{"at_s": 30, "for_s": 30, "kind": "zone_outage", "region": "us-east", "zone": 0}]);
        v["expect"] = json!({});
    })
    .expect("valid");
    let r = run_s(&s);
    held(&r, &["single_writer", "fenced_writes", "acked_durability", "domain"]);
    let p = &r.metrics.promotions;
    assert!(p.iter().any(|p| p.region.starts_with("us-east/") && p.at_s < 33.0), "{p:?}");
    // us-east's clients live in its zone 0 and go down with it; the others write on.
    let west = &r.metrics.availability_by_region["us-west"]["account.transfer"];
    assert!(west.availability > 0.99, "{west:?}");
}

/// Zones in the format: a region's zones are named "region/zone"; faults name regions
/// (and act on every zone), zones go by number, and each mistake is named.
#[test]
fn zones_are_named_and_checked() {
    let path = "scenarios/consensus-zone-survival.json";
    let err = edited(path, |v| v["regions"][0]["zones"] = json!(0)).unwrap_err();
    assert!(err.contains("regions[0].zones: a region has 1 to 9 zones, got 0"), "{err}");
    let err = edited(path, |v| {
        v["faults"] =
            json!([{"at_s": 1, "for_s": 1, "kind": "zone_outage", "region": "us-east", "zone": 3}]);
    })
    .unwrap_err();
    assert!(
        err.contains("faults[0].zone: region \"us-east\" has 3 zone(s), numbered from 0; got 3"),
        "{err}"
    );
    let err = edited(path, |v| {
        v["faults"] =
            json!([{"at_s": 1, "for_s": 1, "kind": "region_outage", "region": "us-east/1"}]);
    })
    .unwrap_err();
    assert!(err.contains("faults[0].region: \"us-east/1\" names a zone"), "{err}");
    let err = edited(path, |v| {
        v["faults"] = json!([{"at_s": 1, "for_s": 1, "kind": "zone_outage", "region": "us-east"}]);
    })
    .unwrap_err();
    assert!(err.contains("faults[0].zone: required"), "{err}");
    let s = load(path);
    let names: Vec<&str> = s.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["us-east/0", "us-east/1", "us-east/2", "us-west", "eu-west"]);
    // Between zones of a region: zone_rtt_ms; between regions: the region pair's.
    assert_eq!((s.rtt_us[0][1], s.rtt_us[1][3], s.rtt_us[3][4]), (1_000, 60_000, 140_000));
}

/// Follower reads at a closed timestamp: a cut-off replica stops serving bounded reads
/// once its closed timestamp is older than the lag, where a replica answering from
/// whatever it has serves reads staler than their bound.
#[test]
fn follower_reads_refuse_what_a_closed_timestamp_cannot_vouch_for() {
    let local = run_s(&load("scenarios/consensus-local-reads.json"));
    let follower = run_s(&load("scenarios/consensus-follower-reads.json"));
    assert_eq!(status(&local, "freshness"), Status::Violated);
    held(&follower, &["freshness", "single_writer", "fenced_writes", "acked_durability"]);
    let served =
        |r: &RunResult| r.metrics.availability_by_region["us-west"]["register.read"].availability;
    assert!(
        served(&local) > 0.99 && served(&follower) < 0.95,
        "{} {}",
        served(&local),
        served(&follower)
    );
    let err = edited("scenarios/consensus-follower-reads.json", |v| {
        v["workload"]["read_classes"]["register.read"]["bound_ms"] = json!(1000);
    })
    .unwrap_err();
    assert!(
        err.contains(
            "bound_ms: 1000 ms is below design.reads.follower_reads.closed_ts_lag_ms (2000 ms)"
        ),
        "{err}"
    );
    let err = edited("scenarios/fenced-promotion.json", |v| {
        v["design"]["reads"]["follower_reads"] = json!({"closed_ts_lag_ms": 2000});
    })
    .unwrap_err();
    assert!(
        err.contains("design.reads.follower_reads: applies to consensus replication only"),
        "{err}"
    );
}

/// Commit wait: with clocks inside the uncertainty bound but apart, a write
/// acknowledged before its timestamp has passed everywhere is missed by a later read
/// at a slower replica's timestamp; waiting out twice the uncertainty before
/// acknowledging restores external consistency at a latency cost.
#[test]
fn commit_wait_keeps_later_reads_after_earlier_writes() {
    let off = run_s(&load("scenarios/commit-wait-off.json"));
    let on = run_s(&load("scenarios/commit-wait-on.json"));
    assert_eq!(status(&off, "linearizable"), Status::Violated);
    held(&off, &["single_writer", "fenced_writes", "acked_durability"]);
    held(&on, &["linearizable", "freshness", "single_writer", "fenced_writes", "acked_durability"]);
    let write =
        |r: &RunResult| r.metrics.latency_by_op["register.write"].by_region["us-east"].p50_ms;
    let (fast, slow) = (write(&off), write(&on));
    // The wait (100 ms from the leader taking the write) overlaps the 65 ms quorum.
    assert!(slow - fast > 20.0 && slow - fast < 60.0, "{fast} ms vs {slow} ms");
    // The breakdown shows where it went: the wait beyond the quorum round trip.
    let waited = |r: &RunResult| {
        let c = r.metrics.commit_latency.as_ref().expect("consensus");
        c.commit_wait.as_ref().expect("commit wait").p50_ms
    };
    assert!(
        waited(&off) < 1.0 && (28.0..42.0).contains(&waited(&on)),
        "{} {}",
        waited(&off),
        waited(&on)
    );
    let err = edited("scenarios/commit-wait-on.json", |v| {
        v["workload"]["mix"] = json!({"list.append": 0.5, "list.read": 0.5});
    })
    .unwrap_err();
    assert!(err.contains("lists are not read at timestamps yet"), "{err}");
}
