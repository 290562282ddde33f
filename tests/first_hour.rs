//! The first hour of a newcomer: a fault that cannot bite under the design is said,
//! with the reason and the fix, at `validate`, at the top of `run` and in the summary;
//! the warning is true (the fault really changes nothing); a replica stall can be
//! given as the lag wanted; and the verdict's words are the same everywhere.

mod common;
use common::gameday;

use gameday::scenario::{self, lint, Scenario};
use gameday::sim::{run, RunOptions, RunResult};
use serde_json::{json, Value};

fn edited(path: &str, edit: impl FnOnce(&mut Value)) -> Scenario {
    let text = std::fs::read_to_string(path).expect("bundled scenario");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    edit(&mut v);
    scenario::from_str(path, &v.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn warned(s: &Scenario) -> Vec<String> {
    lint::warnings(s).into_iter().map(|w| format!("{}: {}", w.path, w.message)).collect()
}

fn p99(r: &RunResult) -> f64 {
    r.metrics.latency.all().p99_ms
}

/// The case from the issue: a brownout (10x slower) of a design without an application
/// tier. It is warned about, and rightly: latency is exactly what it is without it.
/// With `design.capacity` there is no warning, and the brownout shows.
#[test]
fn a_brownout_without_an_application_tier_is_warned_about_and_changes_nothing() {
    let brownout = json!([{"at_s": 10, "for_s": 20, "kind": "region_brownout", "region": "us-east", "latency_factor": 10}]);
    let bare = |faults: &Value, capacity: bool| {
        edited("scenarios/gameday-naive.json", |v| {
            v["faults"] = faults.clone();
            v["expect"] = json!({});
            v["duration_s"] = json!(40);
            if !capacity {
                v["design"].as_object_mut().unwrap().remove("capacity");
            }
        })
    };
    let without = bare(&brownout, false);
    let w = warned(&without);
    assert!(
        w.iter().any(|w| w.starts_with("faults[0] (region_brownout): cannot bite")
            && w.contains("design.capacity")),
        "{w:?}"
    );
    let quiet = run(&bare(&json!([]), false), &RunOptions::default()).unwrap();
    let slowed = run(&without, &RunOptions::default()).unwrap();
    assert_eq!(p99(&quiet), p99(&slowed), "the warning is true: nothing changed");
    let with = bare(&brownout, true);
    assert!(warned(&with).iter().all(|w| !w.contains("region_brownout")), "{:?}", warned(&with));
    let quiet = run(&bare(&json!([]), true), &RunOptions::default()).unwrap();
    let slowed = run(&with, &RunOptions::default()).unwrap();
    assert!(p99(&slowed) > p99(&quiet) + 30.0, "{} against {}", p99(&slowed), p99(&quiet));
}

/// The other case from the issue: a stall that leaves the replica applying faster than
/// the writes arrive builds no lag; the warning says below which factor lag grows, and
/// it is right on both sides.
#[test]
fn a_replication_stall_that_leaves_the_replica_fast_enough_is_warned_about() {
    let stall = |factor: f64| {
        edited("scenarios/revoke-stale-check.json", |v| {
            v["faults"] = json!([{"at_s": 10, "for_s": 15, "kind": "replication_stall", "region": "ap-south", "apply_factor": factor}]);
            v["expect"] = json!({});
        })
    };
    let lag_max = |s: &Scenario| {
        let r = run(s, &RunOptions::default()).unwrap();
        r.metrics.replication_lag["ap-south"].max_ms
    };
    let weak = stall(0.1);
    let w = warned(&weak);
    assert!(w.iter().any(|w| w.contains("cannot bite") && w.contains("lag_s")), "{w:?}");
    assert!(lag_max(&weak) < 500.0, "no lag builds: {} ms", lag_max(&weak));
    let strong = stall(0.0);
    assert!(warned(&strong).is_empty(), "{:?}", warned(&strong));
    assert!(lag_max(&strong) > 10_000.0, "{} ms", lag_max(&strong));
}

/// `lag_s`: the replica applies each entry only that long after its commit, so it
/// stays that far behind while the fault lasts.
#[test]
fn a_stall_given_as_a_lag_keeps_the_replica_that_far_behind() {
    let s = edited("scenarios/revoke-stale-check.json", |v| {
        v["faults"] = json!([{"at_s": 10, "for_s": 15, "kind": "replication_stall", "region": "ap-south", "lag_s": 4}]);
        v["expect"] = json!({});
    });
    let r = run(&s, &RunOptions::default()).unwrap();
    let lag = r.metrics.replication_lag["ap-south"].max_ms;
    assert!((3_900.0..4_400.0).contains(&lag), "lag {lag} ms");
    let path = "scenarios/revoke-stale-check.json";
    let text = std::fs::read_to_string(path).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["faults"][0]["apply_factor"] = json!(0.5);
    let err = scenario::from_str(path, &v.to_string()).unwrap_err().to_string();
    assert!(err.contains("faults[0].lag_s") && err.contains("not both"), "{err}");
    v["faults"][0].as_object_mut().unwrap().remove("apply_factor");
    v["faults"][0]["lag_s"] = json!(-1);
    let err = scenario::from_str(path, &v.to_string()).unwrap_err().to_string();
    assert!(err.contains("faults[0].lag_s"), "{err}");
}

/// Every other no-op: worker faults without workers, an identity outage without an
/// identity service, a poison customer without servers, promoting the writer, replicas
/// slower than the writes, a fallback as long as the drill.
#[test]
fn every_fault_kind_and_knob_that_cannot_bite_is_named() {
    let s = edited("scenarios/gameday-naive.json", |v| {
        v["faults"] = json!([
            {"at_s": 10, "for_s": 5, "kind": "worker_crash", "region": "us-east"},
            {"at_s": 10, "for_s": 5, "kind": "identity_outage"},
            {"at_s": 10, "for_s": 5, "kind": "poison_customer", "customer": 1},
            {"at_s": 10, "kind": "operator_promote", "region": "us-east"},
            {"at_s": 10, "for_s": 5, "kind": "traffic_surge", "factor": 3}
        ]);
        let d = v["design"].as_object_mut().unwrap();
        for k in ["stream", "identity", "capacity"] {
            d.remove(k);
        }
        v["design"]["replication"] =
            json!({"mode": "semi-sync", "apply_rate_per_s": 50, "async_fallback_ms": 900000});
        v["expect"] = json!({});
    });
    let w = warned(&s);
    for needle in [
        "design.replication.apply_rate_per_s: replicas apply 50 entries/s",
        "design.replication.async_fallback_ms: is 900 s",
        "faults[0] (worker_crash): cannot bite",
        "faults[1] (identity_outage): cannot bite",
        "faults[2] (poison_customer): cannot bite",
        "faults[3] (operator_promote): promotes us-east, which is already the writer",
        "faults[4] (traffic_surge): has little to bite on",
    ] {
        assert!(w.iter().any(|w| w.starts_with(needle)), "no {needle:?} in {w:#?}");
    }
    assert_eq!(w.len(), 7, "{w:#?}");
}

/// The bundled scenarios mean every fault they inject.
#[test]
fn no_bundled_scenario_has_a_fault_that_cannot_bite() {
    for e in std::fs::read_dir("scenarios").unwrap() {
        let p = e.unwrap().path().display().to_string();
        if !p.ends_with(".json") || p.ends_with("schema.json") {
            continue;
        }
        let s = scenario::load(&p).unwrap();
        let w = warned(&s);
        assert!(w.is_empty(), "{p}: {w:#?}");
    }
}

/// `validate` prints the warnings under the file's line, and `run` at the top of its
/// output; the summary lists them; exit codes do not change.
#[test]
fn validate_and_run_print_the_warnings_and_the_summary_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/revoke-stale-check.json").unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["faults"][0].as_object_mut().unwrap().remove("lag_s");
    v["faults"][0]["apply_factor"] = json!(0.5);
    let path = dir.path().join("s.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let p = path.to_str().unwrap();
    let (code, out, _) = gameday(&["validate", p]);
    assert_eq!(code, 0);
    assert!(out.contains("  warning: faults[0] (replication_stall): cannot bite"), "{out}");
    let out_dir = dir.path().join("r");
    let (code, out, _) = gameday(&["run", p, "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let top: Vec<&str> = out.lines().take(6).collect();
    assert!(top.iter().any(|l| l.starts_with("warning: faults[0] (replication_stall)")), "{out}");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["warnings"][0]["path"], "faults[0] (replication_stall)");
}

/// The headline says what happened, then whether it was expected, in the same words
/// at the top and bottom of the full output, with `--quiet`, and in the summary.
#[test]
fn the_verdict_says_what_happened_and_whether_it_was_expected_in_the_same_words() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let args = ["run", "scenarios/revoke-stale-check.json", "--out", out.to_str().unwrap()];
    let (_, full, _) = gameday(&args);
    let (_, quiet, _) = gameday(&[&args[..], &["-q"]].concat());
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let headline = summary["headline"].as_str().unwrap();
    assert_eq!(headline, "1 invariant violated (domain), as this scenario expects");
    assert_eq!(quiet.trim(), format!("revoke-stale-check: {headline}"));
    assert_eq!(full.lines().nth(1), Some(headline), "{full}");
    assert!(full.contains(&format!("verdict: {headline}")), "{full}");
}

/// A replica that is down has no lag: the summary says how long it was down, the
/// terminal says "down", and its lag series has no samples in that time.
#[test]
fn a_dead_replica_is_down_not_lagging() {
    let s = scenario::load("scenarios/standby-remote-write.json").unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    let standby = &r.metrics.replication_lag["us-east/1"];
    assert!((standby.down_s - 5.0).abs() < 0.15, "{}", standby.down_s);
    assert!(standby.max_ms < 1_000.0, "its lag while up: {} ms", standby.max_ms);
    let in_outage = |t: u64| (30_000_000..35_000_000).contains(&t);
    assert!(standby.series_ms.points.iter().all(|p| !in_outage(p.0)), "no samples while down");
    let old = &r.metrics.replication_lag["us-east/0"];
    assert!((old.down_s - 30.0).abs() < 0.15, "{}", old.down_s);
    let text = gameday::report::terminal(&r);
    assert!(text.contains("us-east/1 down 5.0 s"), "{text}");
}

/// Each violation ends with the change that prevents it, in the design's own terms:
/// for every bundled pair that flips on one change, the advice on the violating side
/// names that change.
#[test]
fn a_violation_ends_with_the_change_that_prevents_it() {
    for (path, id, needle) in [
        ("scenarios/standby-remote-write.json", "acked_durability", "commit_level to \"flush\""),
        (
            "scenarios/semi-sync-fallback.json",
            "acked_durability",
            "remove design.replication.async_fallback_ms",
        ),
        (
            "scenarios/promote-fixed-standby.json",
            "acked_durability",
            "candidate to \"most-advanced\"",
        ),
        ("scenarios/semi-sync-after-commit.json", "linearizable", "wait_point to \"after_sync\""),
        ("scenarios/unfenced-promotion.json", "single_writer", "design.fencing to true"),
        ("scenarios/pg-sync-standby-same-region.json", "acked_durability", "outside us-east"),
    ] {
        let r = run(&scenario::load(path).unwrap(), &RunOptions::default()).unwrap();
        let inv = r.invariants.iter().find(|i| i.id == id).unwrap();
        let advice = inv.prevention.as_deref().unwrap_or("");
        assert!(advice.contains(needle), "{path} {id}: {advice:?}");
        assert!(gameday::report::terminal(&r).contains("to prevent it: "), "{path}");
    }
}

/// A run with another seed than the file's writes under `seed-<n>/`, so it does not
/// overwrite the file's own run; the file's seed keeps the plain folder.
#[test]
fn runs_of_other_seeds_get_their_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    let file = dir.path().join("scenarios/a.json");
    std::fs::copy("scenarios/active-passive-healthy.json", &file).unwrap();
    let run_in = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gameday"))
            .current_dir(dir.path())
            .args([&["run", "scenarios/a.json", "-q"], extra].concat())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run_in(&[]);
    run_in(&["--seed", "3"]);
    let summary = |p: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.path().join(p)).unwrap()).unwrap()
    };
    let name = "reports/active-passive-healthy";
    let own = summary(&format!("{name}/summary.json"));
    let other = summary(&format!("{name}/seed-3/summary.json"));
    assert_ne!(own["seed"], 3);
    assert_eq!(other["seed"], 3);
}

/// Advice names a real knob and a value the format takes: applied to the file, every
/// `set design.X to V` that any bundled scenario can get still validates.
#[test]
fn every_piece_of_advice_names_a_knob_and_a_value_the_format_takes() {
    let mut tried = 0;
    for e in std::fs::read_dir("scenarios").unwrap() {
        let p = e.unwrap().path().display().to_string();
        if !p.ends_with(".json") || p.ends_with("schema.json") {
            continue;
        }
        let s = scenario::load(&p).unwrap();
        let causes = ["", "operation #1's external effect happens twice"];
        for (id, what) in scenario::KNOWN_INVARIANTS.iter().flat_map(|id| causes.map(|c| (id, c))) {
            let Some(advice) = gameday::check::advice::prevention(id, &s, what) else { continue };
            let Some(rest) = advice.strip_prefix("set design.") else { continue };
            let Some((path, value)) = rest.split_once(" to ") else { continue };
            let value: Value = if let Some(v) = value.strip_prefix('"') {
                json!(v.split('"').next().unwrap())
            } else {
                json!(value.starts_with("true"))
            };
            let text = std::fs::read_to_string(&p).unwrap();
            let mut v: Value = serde_json::from_str(&text).unwrap();
            let mut at = &mut v["design"];
            for part in path.split(", ").next().unwrap().split('.') {
                at = &mut at[part];
            }
            *at = value;
            if let Some((_, removed)) = advice.split_once(" and remove design.") {
                let path: Vec<&str> =
                    removed.split([':', ' ']).next().unwrap().split('.').collect();
                let (last, parents) = path.split_last().unwrap();
                let mut at = &mut v["design"];
                for part in parents {
                    at = &mut at[*part];
                }
                at.as_object_mut().unwrap().remove(*last);
            }
            if let Err(e) = scenario::from_str(&p, &v.to_string()) {
                panic!("{p}: advice {advice:?} gives an invalid file: {e}");
            }
            tried += 1;
        }
    }
    assert!(tried >= 20, "only {tried} pieces of advice tried");
}

/// Blast radius names the customers it counts and says why: with shuffle sharding, the
/// customers hit are exactly those whose every cell crashed; with a shared pool, all.
#[test]
fn blast_radius_names_which_customers_and_why() {
    let r = run(
        &scenario::load("scenarios/poison-customer-shuffle-shard.json").unwrap(),
        &RunOptions::default(),
    )
    .unwrap();
    let b = &r.metrics.blast_radius;
    assert_eq!(b.customers_named.len(), b.customers_hit, "{b:?}");
    assert!(b.customers_hit > 0 && b.customers_hit < 10, "{b:?}");
    assert!(
        b.why.contains("shuffle shard of 2 of 8 cells") && b.why.contains("spared"),
        "{}",
        b.why
    );
    let named: Vec<String> = b.customers_named.iter().map(|c| format!("#{c}")).collect();
    assert!(b.why.contains(&named.join(", ")), "{}", b.why);
    // Every named customer's shard is among the cells the trail of crashes names.
    for c in &b.customers_named {
        for cell in gameday::model::apptier::shard(*c, 8, 2) {
            assert!(
                b.why.contains(&format!("us-east cell {cell}: servers crashed")),
                "#{c}: {}",
                b.why
            );
        }
    }
    let shared = run(
        &scenario::load("scenarios/poison-customer-shared.json").unwrap(),
        &RunOptions::default(),
    )
    .unwrap();
    let why = &shared.metrics.blast_radius.why;
    assert!(why.starts_with("all 100 customers") && why.contains("isolation \"shared\""), "{why}");
}

/// One operation id scheme: the linearizable finding, its counterexample text and its
/// timeline all name operations `operation #N` / `#N`, never a process `pN` or `(op i)`.
#[test]
fn the_counterexample_names_operations_as_the_trail_does() {
    let r = run(&scenario::load("scenarios/gameday-naive.json").unwrap(), &RunOptions::default())
        .unwrap();
    let lin = r.invariants.iter().find(|i| i.id == "linearizable").unwrap();
    let what = &lin.trail.last().unwrap().event;
    let named = what.split("operation #").nth(1).unwrap().split(')').next().unwrap();
    let details = serde_json::to_value(lin.details.as_ref().unwrap()).unwrap();
    let text = details["counterexample"].as_str().unwrap();
    let svg = details["counterexample_svg"].as_str().unwrap();
    assert!(text.contains(&format!("operation #{named})")), "{what}\n{text}");
    assert!(svg.contains(&format!("operation #{named})")), "{svg}");
    let process = regex_lite_p(text) || regex_lite_p(svg);
    assert!(!process && !text.contains("(op "), "{text}");
}

/// Whether `s` names a process as Jepsen does: `p` and digits after a space or `>`.
fn regex_lite_p(s: &str) -> bool {
    s.split([' ', '>']).any(|w| {
        w.strip_prefix('p').is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    })
}
