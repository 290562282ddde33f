//! CI mode, sweeps, swarm drills, shrinking and sharding, as a user runs them.

mod common;
use common::gameday;

use std::path::Path;
use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn check_passes_on_the_bundled_scenarios_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (j1, j2) = (dir.path().join("j1"), dir.path().join("j2"));
    let (code, one, err) =
        gameday(&["check", "--jobs", "1", "--junit", s(&junit), "--out", s(&j1)]);
    assert_eq!(code, 0, "{one}{err}");
    assert!(one.contains("0 failed, 0 invalid"), "{one}");
    let (code, two, _) = gameday(&["check", "scenarios", "--jobs", "2", "--out", s(&j2)]);
    assert_eq!(code, 0);
    assert_eq!(one, two, "output identical for --jobs 1 and 2");
    // check.json holds every scenario's trace hash: the same runs on any thread count.
    let (a, b) = (j1.join("check.json"), j2.join("check.json"));
    let (a, b) = (std::fs::read_to_string(a).unwrap(), std::fs::read_to_string(b).unwrap());
    assert_eq!(a, b, "check.json identical for --jobs 1 and 2");
    assert!(a.matches("\"trace_hash\": \"").count() >= 44, "{a}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let ran = |n: &roxmltree::Node| !n.children().any(|c| c.has_tag_name("skipped"));
    let cases = doc.descendants().filter(|n| n.has_tag_name("testcase") && ran(n)).count();
    assert_eq!(cases, one.lines().filter(|l| l.starts_with("PASS")).count());
    assert!(!xml.contains("<failure"));
    for (what, text) in [("check output", &one), ("JUnit", &xml)] {
        let names = common::debug_names(text);
        assert!(names.is_empty(), "Rust debug names in the {what}: {names:?}");
    }
}

#[test]
fn check_fails_on_a_wrong_expectation_with_a_junit_failure() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/fenced-promotion.json").unwrap().replace(
        "\"violated\": [\"linearizable\"], \"hold\": [\"single_writer\", ",
        "\"violated\": [\"linearizable\", \"single_writer\"], \"hold\": [",
    );
    std::fs::create_dir(dir.path().join("s")).unwrap();
    std::fs::write(dir.path().join("s/wrong.json"), text).unwrap();
    std::fs::copy("scenarios/unfenced-promotion.json", dir.path().join("s/right.json")).unwrap();
    let junit = dir.path().join("j.xml");
    let (code, out, _) = gameday(&["check", s(&dir.path().join("s")), "--junit", s(&junit)]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL") && out.contains("single_writer expected violated, but it held"));
    assert!(out.contains("replay: gameday run"), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failures: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("failure")).collect();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].attribute("message").unwrap().contains("single_writer"));
}

#[test]
fn check_shards_merge_into_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let (code, ..) = gameday(&["check", "--jobs", "2", "--out", s(&whole)]);
    assert_eq!(code, 0);
    for i in 1..=3 {
        let out = dir.path().join(format!("part{i}"));
        let (code, ..) = gameday(&["check", "--shard", &format!("{i}/3"), "--out", s(&out)]);
        assert_eq!(code, 0);
    }
    let merged = dir.path().join("merged");
    let (code, out, err) = gameday(&[
        "merge",
        s(&dir.path().join("part3")),
        s(&dir.path().join("part1")),
        s(&dir.path().join("part2")),
        "--out",
        s(&merged),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read(whole.join("check.json")).unwrap(),
        std::fs::read(merged.join("check.json")).unwrap()
    );
}

fn sweep(dir: &Path, name: &str, extra: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let mut args =
        vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "1..8", "--duration-s", "30"];
    args.extend(extra);
    args.extend(["--out", s(&out)]);
    let (code, stdout, stderr) = gameday(&args);
    assert!(code == 0 || code == 1, "{stdout}{stderr}");
    std::fs::read(out.join("sweep.json")).unwrap()
}

#[test]
fn sweeps_are_identical_across_thread_counts_and_shards() {
    let dir = tempfile::tempdir().unwrap();
    let one = sweep(dir.path(), "j1", &["--jobs", "1"]);
    let two = sweep(dir.path(), "j2", &["--jobs", "2"]);
    assert_eq!(one, two, "--jobs 1 and --jobs 2 write the same sweep.json");
    sweep(dir.path(), "s1", &["--shard", "1/2"]);
    sweep(dir.path(), "s2", &["--shard", "2/2"]);
    let merged = dir.path().join("m");
    let (code, out, err) = gameday(&[
        "merge",
        s(&dir.path().join("s2")),
        s(&dir.path().join("s1")),
        "--out",
        s(&merged),
    ]);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert_eq!(
        std::fs::read(merged.join("sweep.json")).unwrap(),
        one,
        "two shards merged = one run"
    );
    // The record: each seed's own schedule, summary counts and replay commands.
    let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let recs = v["records"].as_array().unwrap();
    assert_eq!(recs.len(), 8);
    assert!(recs.iter().all(|r| r["schedule"].as_array().unwrap().len() >= 6));
    assert_ne!(recs[0]["schedule"], recs[1]["schedule"], "each seed draws its own schedule");
    let sw = v["summary"]["invariants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "single_writer")
        .unwrap();
    let by_hand = recs
        .iter()
        .filter(|r| r["violated"].as_array().unwrap().iter().any(|x| x == "single_writer"))
        .count();
    assert_eq!(sw["violated_seeds"], by_hand);
    if let Some(first) = sw["first_failing"].get(0) {
        assert!(first["replay"]
            .as_str()
            .unwrap()
            .starts_with("gameday run scenarios/swarm-unfenced.json --seed "));
    }
    // The first failure is the smallest seed that missed its expectations, for any
    // --jobs (the two files above are identical).
    let smallest = recs
        .iter()
        .filter(|r| r["met"] == false)
        .map(|r| r["seed"].clone())
        .min_by_key(|s| s.as_u64().unwrap());
    assert_eq!(v["summary"]["first_failure"]["seed"], smallest.unwrap_or_default());
    assert!(!v["summary"]["coverage"].as_array().unwrap().is_empty());
    let html = std::fs::read_to_string(dir.path().join("j1/sweep.html")).unwrap();
    roxmltree::Document::parse(html.strip_prefix("<!DOCTYPE html>\n").unwrap()).unwrap();
}

#[test]
fn merge_refuses_a_missing_or_duplicated_shard() {
    let dir = tempfile::tempdir().unwrap();
    sweep(dir.path(), "a", &["--shard", "1/3"]);
    sweep(dir.path(), "b", &["--shard", "3/3"]);
    let (code, _, err) = gameday(&["merge", s(&dir.path().join("a")), s(&dir.path().join("b"))]);
    assert_eq!(code, 2);
    assert!(err.contains("2/3 missing"), "{err}");
    let (code, _, err) = gameday(&["merge", s(&dir.path().join("a")), s(&dir.path().join("a"))]);
    assert_eq!(code, 2);
    assert!(err.contains("given twice"), "{err}");
}

#[test]
fn a_swarm_failure_shrinks_to_at_most_three_faults_the_same_way_twice() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/swarm-unfenced.json").unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let seed = v["seed"].as_u64().unwrap().to_string();
    let mut outs = Vec::new();
    for name in ["a.json", "b.json"] {
        let out = dir.path().join(name);
        let (code, stdout, stderr) = gameday(&[
            "shrink",
            "scenarios/swarm-unfenced.json",
            "--seed",
            &seed,
            "--invariant",
            "single_writer",
            "--out",
            s(&out),
        ]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("before: ") && stdout.contains("after: "), "{stdout}");
        outs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(outs[0], outs[1], "shrinking is deterministic");
    let shrunk: serde_json::Value = serde_json::from_slice(&outs[0]).unwrap();
    assert!(shrunk.get("swarm").is_none());
    let faults = shrunk["faults"].as_array().unwrap().len();
    assert!((1..=3).contains(&faults), "{faults} faults");
    assert_eq!(shrunk["expect"]["violated"], serde_json::json!(["single_writer"]));
    // The shrunk file is a plain scenario that still fails the same way.
    let (code, stdout, _) =
        gameday(&["run", s(&dir.path().join("a.json")), "-q", "--out", s(&dir.path().join("r"))]);
    assert_eq!(code, 0, "expectations (single_writer violated) met: {stdout}");
}

#[test]
fn bad_explore_input_is_a_clear_error() {
    for (args, needle) in [
        (vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "x"], "--seeds"),
        (
            vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "1..2", "--shard", "3/2"],
            "--shard",
        ),
        (vec!["check", "no/such/dir"], "no such file"),
        (
            vec!["shrink", "scenarios/active-passive-healthy.json", "--seed", "1"],
            "violates no invariant",
        ),
        (
            vec![
                "shrink",
                "scenarios/unfenced-promotion.json",
                "--seed",
                "7",
                "--invariant",
                "single_writr",
            ],
            "unknown",
        ),
        (vec!["merge", "scenarios"], "neither sweep.json nor check.json"),
    ] {
        let (code, _, err) = gameday(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn ctrl_c_during_a_sweep_writes_what_finished_marked_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let child = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["sweep", "scenarios/swarm-unfenced.json", "--seeds", "1..5000", "--jobs", "1"])
        .args(["--out", s(&out)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SIGINT, as Ctrl-C sends it.
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted:") && err.contains("marked partial"), "{err}");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(v["partial"], true);
    let n = v["records"].as_array().unwrap().len();
    assert!(n > 0 && n < 5000, "{n} seeds finished");
    assert_eq!(v["summary"]["seeds"], n);
    // A partial shard does not merge.
    let (code, _, err) = gameday(&["merge", s(&out)]);
    assert_eq!(code, 2, "{err}");
}

/// A folder of drills holds their reports and designs too: `check` runs the scenario,
/// skips a run's summary, a design file and the schema with one line each saying what
/// they are (recognized by content: the summary is renamed), and passes.
#[test]
fn check_skips_gamedays_outputs_designs_and_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drills");
    std::fs::create_dir(&folder).unwrap();
    let scenario = folder.join("drill.json");
    std::fs::copy("scenarios/unfenced-promotion.json", &scenario).unwrap();
    let run = dir.path().join("run");
    let (code, ..) = gameday(&["run", s(&scenario), "--duration-s", "20", "--out", s(&run)]);
    assert!(code == 0 || code == 1);
    std::fs::copy(run.join("summary.json"), folder.join("last-run.json")).unwrap();
    std::fs::copy("designs/idempotency-keys.json", folder.join("keys.json")).unwrap();
    std::fs::copy("scenarios/schema.json", folder.join("schema.json")).unwrap();
    let out = dir.path().join("out");
    let junit = dir.path().join("junit.xml");
    let (code, stdout, stderr) =
        gameday(&["check", s(&folder), "--out", s(&out), "--junit", s(&junit)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // JUnit lists the skipped files too, as skipped test cases with the reason.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let skipped: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("skipped")).collect();
    assert_eq!(skipped.len(), 3, "{xml}");
    assert!(skipped.iter().any(|n| n.attribute("message").unwrap().contains("a design")), "{xml}");
    assert!(xml.contains("tests=\"4\"") && xml.contains("skipped=\"3\""), "{xml}");
    // Long lines wrap at 100 columns, continued under an indent: joined again here.
    let stdout = stdout.replace("\n  ", " ");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("PASS")).count(), 1, "{stdout}");
    for (file, what) in [
        ("keys.json", "a design (gameday compare --design takes it), not a scenario"),
        ("last-run.json", "a run's summary (gameday run writes it), not a scenario"),
        ("schema.json", "the JSON Schema of scenarios"),
    ] {
        let line = stdout.lines().find(|l| l.contains(file)).unwrap_or_default();
        assert!(line.starts_with("skipped") && line.contains(what), "{file}: {stdout}");
    }
    assert!(
        stdout
            .contains("1 scenario: 1 passed, 0 failed, 0 invalid, 0 hit a limit; 3 files skipped"),
        "{stdout}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("check.json")).unwrap()).unwrap();
    assert_eq!(v["skipped"].as_array().unwrap().len(), 3);
    // `check` reads its own check.json as an output, not a broken scenario.
    let (code, stdout, _) = gameday(&["check", s(&folder), s(&out.join("check.json"))]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("a check's results (gameday check writes it)"), "{stdout}");
}
