//! Hostile shard outputs (issue 19): `merge` proves that every record belongs to its
//! shard and that the shards cover the run's range exactly once, and refuses anything
//! else with exit 2 and a message naming the file and what is wrong.

mod common;
use common::gameday;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Shards 1/2 and 2/2 of a short sweep over seeds 1..6, in `dir/s1` and `dir/s2`.
fn two_shards(dir: &Path) -> (PathBuf, PathBuf) {
    let mut shards = Vec::new();
    for i in 1..=2 {
        let out = dir.join(format!("s{i}"));
        let (code, o, e) = gameday(&[
            "sweep",
            "scenarios/swarm-unfenced.json",
            "--seeds",
            "1..6",
            "--duration-s",
            "20",
            "--shard",
            &format!("{i}/2"),
            "--out",
            s(&out),
        ]);
        assert!(code == 0 || code == 1, "{o}{e}");
        shards.push(out);
    }
    (shards[0].clone(), shards[1].clone())
}

fn read(dir: &Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

/// A copy of `from` in `dir/name` with its `file` edited by `edit`.
fn tampered(dir: &Path, name: &str, from: &Path, file: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let mut v = read(from, file);
    edit(&mut v);
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(file), serde_json::to_string_pretty(&v).unwrap()).unwrap();
    out
}

/// Merges `dirs` into `dir/merged`; expects exit 2 and every one of `needles`.
fn refused(dir: &Path, dirs: &[&Path], needles: &[&str]) {
    let out = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| s(d)));
    args.extend(["--out", s(&out)]);
    let (code, o, err) = gameday(&args);
    assert_eq!(code, 2, "{args:?}: {o}{err}");
    assert!(!err.contains("panicked"), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: expected {needle:?} in: {err}");
    }
    assert!(!out.join("sweep.json").exists() && !out.join("check.json").exists());
}

#[test]
fn sweep_shards_that_do_not_prove_their_records_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (s1, s2) = two_shards(d);
    let t = |name: &str, from: &Path, edit: &dyn Fn(&mut Value)| {
        tampered(d, name, from, "sweep.json", edit)
    };
    // A shard count that once allocated until the process died, and its float form.
    let huge = t("huge", &s1, &|v| v["shard"]["of"] = json!(4_000_000_000_u64));
    refused(d, &[&huge, &s2], &["huge/sweep.json", "is not a shard", "<= 10000"]);
    let float = t("float", &s1, &|v| v["shard"]["of"] = json!(1e18));
    refused(d, &[&float, &s2], &["float/sweep.json", "is not a shard"]);
    // 4294967298 once wrapped to 2; index 3 of 2 once passed.
    let wraps = t("wraps", &s2, &|v| v["shard"]["of"] = json!(4_294_967_298_u64));
    refused(d, &[&s1, &wraps], &["wraps/sweep.json", "is not a shard"]);
    let beyond = t("beyond", &s2, &|v| v["shard"]["index"] = json!(3));
    refused(d, &[&s1, &beyond], &["beyond/sweep.json", "is not a shard"]);
    // Shard 1's records relabelled as shard 2: its seeds are not shard 2's.
    let relabelled = t("relabelled", &s1, &|v| v["shard"]["index"] = json!(2));
    refused(d, &[&s1, &relabelled], &["relabelled/sweep.json", "does not belong to shard 2/2"]);
    let version = t("version", &s2, &|v| v["gameday_version"] = json!("0.0.1"));
    refused(d, &[&s1, &version], &["version/sweep.json", "written by gameday \"0.0.1\""]);
    let schema = t("schema", &s2, &|v| v["schema_version"] = json!(99));
    refused(d, &[&s1, &schema], &["schema/sweep.json", "schema version 99"]);
    // A foreign seed, which would have become "first failing".
    let foreign = t("foreign", &s2, &|v| v["records"][0]["seed"] = json!(999));
    refused(d, &[&s1, &foreign], &["foreign/sweep.json", "seed 999 does not belong"]);
    // An interrupted shard with its flag flipped: seeds silently missing.
    let cut = t("cut", &s2, &|v| {
        v["records"].as_array_mut().unwrap().pop();
        v["partial"] = json!(false);
    });
    refused(d, &[&s1, &cut], &["cut/sweep.json", "lacks 1 of its records, from seed 6"]);
    // A summary edited apart from its records.
    let summary = t("summary", &s2, &|v| v["summary"]["failed_expectations"] = json!(0));
    refused(d, &[&s1, &summary], &["summary/sweep.json", "summary does not match"]);
    // The untouched shards still merge.
    let (code, o, e) = gameday(&["merge", s(&s1), s(&s2), "--out", s(&d.join("ok"))]);
    assert!(code == 0 || code == 1, "{o}{e}");
    // And merging onto one of them is refused before anything is written.
    let before = std::fs::read(s1.join("sweep.json")).unwrap();
    let (code, _, err) = gameday(&["merge", s(&s1), s(&s2), "--out", s(&s1)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is also the shard"), "{err}");
    assert_eq!(std::fs::read(s1.join("sweep.json")).unwrap(), before);
}

/// A check shard written by hand: `files`, shard `index`/`of`, rows for `rows`.
fn check_shard(dir: &Path, name: &str, shard: Value, rows: &[&str]) -> PathBuf {
    let rows: Vec<Value> = rows
        .iter()
        .map(|f| {
            json!({"file": f, "status": "pass", "scenario": "x", "detail": [], "replay": "",
                   "trace_hash": ""})
        })
        .collect();
    let v = json!({"kind": "gameday-check", "partial": false,
        "gameday_version": env!("CARGO_PKG_VERSION"), "files": ["a.json", "b.json", "c.json"],
        "shard": shard, "rows": rows});
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("check.json"), v.to_string()).unwrap();
    out
}

#[test]
fn check_shards_that_do_not_prove_their_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shard = |i: u64, n: Value| json!({"index": i, "of": n});
    let one = check_shard(d, "one", shard(1, json!(2)), &["a.json", "c.json"]);
    let two = check_shard(d, "two", shard(2, json!(2)), &["b.json"]);
    let (code, o, e) = gameday(&["merge", s(&one), s(&two), "--out", s(&d.join("ok"))]);
    assert_eq!(code, 0, "the honest shards merge: {o}{e}");
    let huge = check_shard(d, "huge", shard(1, json!(1_000_000_000_000_000_000_u64)), &[]);
    refused(d, &[&huge], &["huge/check.json", "is not a shard"]);
    let float = check_shard(d, "float", shard(1, json!(1e18)), &[]);
    refused(d, &[&float], &["float/check.json", "is not a shard"]);
    let wraps = check_shard(d, "wraps", shard(2, json!(4_294_967_298_u64)), &["b.json"]);
    refused(d, &[&one, &wraps], &["wraps/check.json", "is not a shard"]);
    let foreign = check_shard(d, "foreign", shard(2, json!(2)), &["a.json"]);
    refused(d, &[&one, &foreign], &["foreign/check.json", "file \"a.json\" does not belong"]);
    let cut = check_shard(d, "cut", shard(1, json!(2)), &["a.json"]);
    refused(d, &[&cut, &two], &["cut/check.json", "lacks 1 of its records, from file \"c.json\""]);
    let mut v = read(&two, "check.json");
    v["gameday_version"] = json!("9.9.9");
    let other = d.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("check.json"), v.to_string()).unwrap();
    refused(d, &[&one, &other], &["other/check.json", "written by gameday \"9.9.9\""]);
    // Ten thousand shards with one given: the message stays short.
    let lone = check_shard(d, "lone", shard(1, json!(10_000)), &["a.json"]);
    let (code, _, err) = gameday(&["merge", s(&lone), "--out", s(&d.join("m"))]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("and 9979 more") && err.len() < 1000, "{err}");
}
