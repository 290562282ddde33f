//! Hostile filesystems (issue 19): planted links, concurrent runs, outputs that collide,
//! a report refused for size, and scenario names that once shared a folder. Every case
//! leaves the user's files untouched and the output folder consistent.

mod common;
use common::gameday;

use std::path::Path;
use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SCENARIO: &str = "scenarios/gameday-naive.json";

/// `gameday run SCENARIO --duration-s 10 ARGS...`.
fn run(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["run", SCENARIO, "--duration-s", "10", "-q"];
    all.extend(args);
    gameday(&all)
}

fn seed_of_summary(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["seed"].as_u64().unwrap()
}

fn report_has_seed(dir: &Path, seed: u64) -> bool {
    std::fs::read_to_string(dir.join("report.html")).unwrap().contains(&format!("seed {seed} "))
}

#[test]
fn planted_links_are_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let victim = d.join("victim.txt");
    std::fs::write(&victim, "the user's file").unwrap();
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    // The temporary name the writer once used.
    std::os::unix::fs::symlink(&victim, out.join(".summary.json.tmp")).unwrap();
    let (code, o, e) = run(&["--out", s(&out)]);
    assert!(code == 0 || code == 1, "{o}{e}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "the user's file");
    // A link at any final name: refused before the run, even with --force.
    let cases: Vec<(Vec<String>, std::path::PathBuf)> = vec![
        (vec!["--out".into(), s(&out).into()], out.join("report.html")),
        (vec!["--out".into(), s(&out).into()], out.join("summary.json")),
        (vec!["--trace".into(), s(&d.join("t.jsonl")).into()], d.join("t.jsonl")),
        (vec!["--history".into(), s(&d.join("h.edn")).into()], d.join("h.edn")),
        (vec!["--chrome-trace".into(), s(&d.join("c.json")).into()], d.join("c.json")),
    ];
    for (flags, link) in cases {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
        args.extend(["--force"]);
        if flags[0] != "--out" {
            args.extend(["--out", s(&out)]);
        }
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{flags:?}: {err}");
        assert!(err.contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "the user's file");
        std::fs::remove_file(&link).unwrap();
    }
    // The other writers: check --junit, sweep's html.
    std::os::unix::fs::symlink(&victim, d.join("j.xml")).unwrap();
    let (code, _, err) = gameday(&["check", SCENARIO, "--junit", s(&d.join("j.xml"))]);
    assert_eq!(code, 2, "{err}");
    let sw = d.join("sw");
    std::fs::create_dir_all(&sw).unwrap();
    std::os::unix::fs::symlink(&victim, sw.join("sweep.html")).unwrap();
    let (code, _, err) =
        gameday(&["sweep", SCENARIO, "--seeds", "1..2", "--duration-s", "10", "--out", s(&sw)]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "the user's file");
}

#[test]
fn a_second_run_into_a_locked_folder_refuses_and_a_stale_lock_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // This test process holds the lock: it is alive, so the lock stands.
    std::fs::write(out.join(".gameday.lock"), format!("{}\n", std::process::id())).unwrap();
    let (code, _, err) = run(&["--out", s(&out), "--seed", "5"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another gameday run is writing to"), "{err}");
    assert!(!out.join("summary.json").exists());
    // A lock left by a process that is gone is removed, and the run says so.
    std::fs::write(out.join(".gameday.lock"), "4294967294\n").unwrap();
    let (code, _, err) = run(&["--out", s(&out), "--seed", "5"]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(err.contains("removed the stale lock"), "{err}");
    assert!(!out.join(".gameday.lock").exists(), "the lock goes with the run");
}

#[test]
fn concurrent_runs_into_one_folder_leave_it_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for round in 0..4 {
        let spawn = |seed: &str| {
            Command::new(env!("CARGO_BIN_EXE_gameday"))
                .args(["run", SCENARIO, "--duration-s", "20", "-q", "--seed", seed])
                .args(["--out", s(&out)])
                .output()
                .unwrap()
        };
        let (a, b) = std::thread::scope(|sc| {
            let a = sc.spawn(|| spawn("11"));
            let b = sc.spawn(|| spawn("22"));
            (a.join().unwrap(), b.join().unwrap())
        });
        let ok = |o: &std::process::Output| matches!(o.status.code(), Some(0 | 1));
        assert!(ok(&a) || ok(&b), "round {round}: one of the two runs goes through");
        for o in [&a, &b].into_iter().filter(|o| !ok(o)) {
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{err}");
            assert!(err.contains("another gameday run is writing to"), "{err}");
        }
        let seed = seed_of_summary(&out);
        assert!(report_has_seed(&out, seed), "round {round}: summary and report of one run");
    }
}

#[test]
fn colliding_outputs_are_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let x = d.join("x");
    let out = d.join("out");
    let report = out.join("report.html");
    let dotted = d.join("out/../x");
    let cases: Vec<Vec<&str>> = vec![
        vec!["--trace", s(&x), "--history", s(&x), "--out", s(&out)],
        vec!["--trace", s(&x), "--chrome-trace", s(&dotted), "--out", s(&out)],
        vec!["--chrome-trace", s(&report), "--out", s(&out)],
        vec!["--history", s(&x), "--out", s(&x)],
        vec!["--trace", SCENARIO, "--force", "--out", s(&out)],
    ];
    for args in cases {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("give each output a path of its own"), "{args:?}: {err}");
        assert!(!x.exists() && !out.exists(), "{args:?}: nothing written");
    }
    let text = std::fs::read_to_string(SCENARIO).unwrap();
    assert!(text.contains("\"name\""), "the scenario is untouched");
}

#[test]
fn a_report_refused_for_size_takes_the_stale_one_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, ..) = run(&["--out", s(&out), "--seed", "1"]);
    assert!(code == 0 || code == 1);
    assert!(report_has_seed(&out, 1));
    let (code, _, err) = run(&["--out", s(&out), "--seed", "2", "--report-mb-max", "0.001"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("the earlier report there was removed"), "{err}");
    assert!(!out.join("report.html").exists(), "no report of seed 1 beside seed 2's summary");
    assert_eq!(seed_of_summary(&out), 2);
    let rec = std::fs::read_to_string(out.join("reconciliation.json")).unwrap();
    assert!(rec.contains("gameday_version"), "{rec}");
}

/// `scenario` renamed `name`, written to `dir/file`.
fn renamed(dir: &Path, file: &str, name: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(SCENARIO).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["name"] = name.into();
    let path = dir.join(file);
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

#[test]
fn different_names_get_different_folders_and_long_names_fail_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut folders = Vec::new();
    for (i, name) in ["a/b", "a\0b", "a-b", "a b"].iter().enumerate() {
        let path = renamed(d, &format!("{i}.json"), name);
        let o = Command::new(env!("CARGO_BIN_EXE_gameday"))
            .args(["run", s(&path), "--duration-s", "10", "-q"])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{name:?}: {o:?}");
        let now: Vec<_> = std::fs::read_dir(d.join("reports")).unwrap().collect();
        assert_eq!(now.len(), i + 1, "{name:?} has a folder of its own");
        folders.push(now.len());
    }
    let long = renamed(d, "long.json", &"n".repeat(10_000));
    let (code, _, err) = gameday(&["run", s(&long), "--duration-s", "10"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("name: 10000 characters; a name may have at most 200"), "{err}");
}
