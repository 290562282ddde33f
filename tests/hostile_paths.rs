//! Hostile paths (issue 19): hard links between outputs and inputs, existing outputs
//! with other names, two runs writing one export, and shards larger than any sweep
//! writes. Each gets a clear error and exit 2 (3 for a limit) before the run, and no
//! file changes but the run's own outputs.

mod common;
use common::gameday;

use std::path::{Path, PathBuf};
use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SCENARIO: &str = "scenarios/gameday-naive.json";

/// A copy of the bundled scenario in `dir`, as the user's own file.
fn scenario_copy(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(SCENARIO, &path).unwrap();
    path
}

#[test]
fn an_output_hard_linked_to_an_input_or_another_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = scenario_copy(d, "mine.json");
    let text = std::fs::read_to_string(&scenario).unwrap();
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::hard_link(&scenario, d.join("t.jsonl")).unwrap();
    std::fs::hard_link(&scenario, out.join("summary.json")).unwrap();
    std::fs::write(d.join("h.edn"), "").unwrap();
    std::fs::hard_link(d.join("h.edn"), d.join("c.json")).unwrap();
    let (t, h, c, o2) = (d.join("t.jsonl"), d.join("h.edn"), d.join("c.json"), d.join("o2"));
    let cases: Vec<Vec<&str>> = vec![
        vec!["--trace", s(&t)],
        vec!["--out", s(&out)],
        vec!["--history", s(&h), "--chrome-trace", s(&c)],
    ];
    for extra in cases {
        let mut args = vec!["run", s(&scenario), "--duration-s", "10", "-q", "--force"];
        if extra[0] != "--out" {
            args.extend(["--out", s(&o2)]);
        }
        args.extend(&extra);
        let (code, _, err) = gameday(&args);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains("is a hard link to"), "{extra:?}: {err}");
        assert!(!d.join("o2").exists(), "{extra:?}: refused before the run");
    }
    assert_eq!(std::fs::read_to_string(&scenario).unwrap(), text, "the scenario is untouched");
    // merge --out whose sweep.json is another name of a shard's.
    let shard = d.join("shard");
    let (code, _, err) =
        gameday(&["sweep", SCENARIO, "--seeds", "1..2", "--duration-s", "5", "--out", s(&shard)]);
    assert!(code == 0 || code == 1, "{err}");
    let merged = d.join("merged");
    std::fs::create_dir_all(&merged).unwrap();
    std::fs::hard_link(shard.join("sweep.json"), merged.join("sweep.json")).unwrap();
    let (code, _, err) = gameday(&["merge", s(&shard), "--out", s(&merged)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a hard link to the shard"), "{err}");
}

#[test]
fn an_output_with_another_name_is_replaced_and_the_other_name_keeps_its_contents() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let keep = d.join("keep");
    std::fs::create_dir_all(&keep).unwrap();
    let old = [
        ("t.jsonl", "{\"at_us\":0,\"seq\":1}\n"),
        ("h.edn", "; gameday history of x seed 1\n"),
        ("c.json", "{\"gameday_version\": \"0\"}"),
        ("out/summary.json", "{\"gameday_version\": \"0\"}"),
    ];
    for (i, (name, text)) in old.iter().enumerate() {
        std::fs::write(d.join(name), text).unwrap();
        std::fs::hard_link(d.join(name), keep.join(i.to_string())).unwrap();
    }
    let (code, _, err) = gameday(&[
        "run",
        SCENARIO,
        "--duration-s",
        "10",
        "-q",
        "--out",
        s(&out),
        "--trace",
        s(&d.join("t.jsonl")),
        "--history",
        s(&d.join("h.edn")),
        "--chrome-trace",
        s(&d.join("c.json")),
    ]);
    assert!(code == 0 || code == 1, "{err}");
    for (i, (name, text)) in old.iter().enumerate() {
        let now = std::fs::read_to_string(d.join(name)).unwrap();
        assert_ne!(&now, text, "{name} is this run's output");
        let other = std::fs::read_to_string(keep.join(i.to_string())).unwrap();
        assert_eq!(&other, text, "the other name of {name} is unchanged");
    }
}

#[test]
fn two_runs_writing_one_export_never_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let trace = d.join("t.jsonl");
    let solo = |seed: &str, out: &str| {
        let (code, _, err) = gameday(&[
            "run",
            SCENARIO,
            "--duration-s",
            "20",
            "-q",
            "--seed",
            seed,
            "--out",
            s(&d.join(out)),
            "--trace",
            s(&trace),
        ]);
        assert!(code == 0 || code == 1, "{err}");
        std::fs::read(&trace).unwrap()
    };
    let alone = [solo("11", "a"), solo("22", "b")];
    for round in 0..3 {
        let spawn = |seed: &str, out: &str| {
            Command::new(env!("CARGO_BIN_EXE_gameday"))
                .args(["run", SCENARIO, "--duration-s", "20", "-q", "--seed", seed])
                .args(["--out", s(&d.join(out)), "--trace", s(&trace)])
                .output()
                .unwrap()
        };
        let (a, b) = std::thread::scope(|sc| {
            let a = sc.spawn(|| spawn("11", "a"));
            let b = sc.spawn(|| spawn("22", "b"));
            (a.join().unwrap(), b.join().unwrap())
        });
        for o in [&a, &b] {
            let err = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0 | 1) => {}
                Some(2) => assert!(err.contains("another gameday run is writing to"), "{err}"),
                code => panic!("round {round}: exit {code:?}: {err}"),
            }
        }
        let now = std::fs::read(&trace).unwrap();
        assert!(alone.contains(&now), "round {round}: the trace is one run's, whole");
    }
    // A live lock beside the file: refused, naming the lock to delete.
    let lock = d.join(".t.jsonl.gameday.lock");
    std::fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let (code, _, err) = gameday(&[
        "run",
        SCENARIO,
        "--duration-s",
        "5",
        "-q",
        "--trace",
        s(&trace),
        "--out",
        s(&d.join("c")),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("give --trace another path") && err.contains(s(&lock)), "{err}");
    assert!(!d.join("c").exists(), "the --out folder this run made is removed");
    std::fs::remove_file(&lock).unwrap();
    let (code, _, err) = gameday(&["check", SCENARIO, "--junit", s(&d.join("j.xml"))]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(!d.join(".j.xml.gameday.lock").exists(), "the lock goes with the run");
}

#[test]
fn merge_refuses_a_shard_larger_than_any_sweep_writes() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("shard");
    std::fs::create_dir_all(&shard).unwrap();
    // A sparse file: 1 GB and a byte long, no disk used, and nothing of it is read.
    let f = std::fs::File::create(shard.join("sweep.json")).unwrap();
    f.set_len((1 << 30) + 1).unwrap();
    drop(f);
    let (code, _, err) = gameday(&["merge", s(&shard), "--out", s(&dir.path().join("m"))]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("limit shard_bytes_max hit: the file is larger than 1024 MB"), "{err}");
    assert!(err.contains("more shards"), "{err}");
}
