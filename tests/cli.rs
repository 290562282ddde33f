//! The binary as a user runs it: exit codes, the summary file, the replay line.

mod common;
use common::gameday;

use std::process::Command;

#[test]
fn run_writes_a_summary_and_exits_zero_when_expectations_hold() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let (code, stdout, _) =
        gameday(&["run", "scenarios/unfenced-promotion.json", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("replay: gameday run scenarios/unfenced-promotion.json --seed 7"));
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    for key in ["trace_hash", "events", "events_per_sec", "invariants", "metrics"] {
        assert!(s.get(key).is_some(), "summary lacks {key}");
    }
    assert_eq!(s["invariants"]["single_writer"]["status"], "violated");
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("reconciliation.json")).unwrap()).unwrap();
    assert_eq!(rec["writer"], "eu-west");
    assert!(rec["lost_acknowledged_writes"]["count"].as_u64().unwrap() > 0);
    assert!(stdout.contains("reconciliation: writer eu-west (epoch 2)"), "{stdout}");
    assert!(s["invariants"]["single_writer"]["first_at_us"].as_u64().unwrap() > 30_000_000);
}

#[test]
fn unmet_expectation_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/fenced-promotion.json").unwrap().replace(
        "\"violated\": [\"linearizable\"], \"hold\": [\"single_writer\", ",
        "\"violated\": [\"linearizable\", \"single_writer\"], \"hold\": [",
    );
    let path = dir.path().join("wrong.json");
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("r");
    let (code, stdout, _) =
        gameday(&["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("NOT what this scenario expects")
            && stdout.contains("single_writer expected"),
        "{stdout}"
    );
}

#[test]
fn bad_input_exits_two_with_the_field_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/unfenced-promotion.json").unwrap().replace(
        "\"operator_promote\", \"region\": \"eu-west\"",
        "\"operator_promote\", \"region\": \"eu-wset\"",
    );
    let path = dir.path().join("typo.json");
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = gameday(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("faults[1].region: unknown region \"eu-wset\""), "{stderr}");
    let (code, _, stderr) = gameday(&["run", "no/such/file.json"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = gameday(&["run", "scenarios/fenced-promotion.json", "--duration-s", "-3"]);
    assert_eq!(code, 2);
    let (code, _, _) = gameday(&["frobnicate"]);
    assert_eq!(code, 2);
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    let mut files: Vec<String> = ["scenarios", "scenarios/negative"]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(files.len() > 40, "{files:?}");
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let (code, stdout, stderr) = gameday(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn a_hit_limit_exits_three() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/active-passive-healthy.json")
        .unwrap()
        .replace("\"faults\": [],", "\"faults\": [], \"limits\": {\"events_max\": 1000},");
    let path = dir.path().join("tiny.json");
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) =
        gameday(&["run", path.to_str().unwrap(), "--out", dir.path().join("r").to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("events_max"), "{stderr}");
}

#[test]
fn trace_writes_one_json_line_per_event() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let out = dir.path().join("r");
    let (code, _, _) = gameday(&[
        "run",
        "scenarios/unfenced-promotion.json",
        "--duration-s",
        "32",
        "--trace",
        trace.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    // The drill is cut before its promotion, so its expectations are not met: exit 1.
    assert_eq!(code, 1);
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len() as u64, s["events"].as_u64().unwrap());
    // The documented fields (src/model/trace.rs), in dispatch order.
    let mut last = (0, 0);
    let mut seen = std::collections::BTreeSet::new();
    for v in &lines {
        let at = v["at_us"].as_u64().expect("at_us");
        assert!(v["seq"].is_u64() && v["kind"].is_string(), "{v}");
        assert!(at >= last.0, "time never goes back: {v}");
        last = (at, v["seq"].as_u64().unwrap());
        seen.insert(v["kind"].as_str().unwrap().to_string());
        match v["kind"].as_str().unwrap() {
            "deliver" => {
                assert!(v["region"].is_string() && v["from"].is_string() && v["msg"].is_string());
                if v["msg"] == "request" {
                    for f in ["op", "op_kind", "key", "attempt", "epoch"] {
                        assert!(!v[f].is_null(), "request without {f}: {v}");
                    }
                }
            }
            "fault_start" | "fault_end" => {
                assert_eq!(v["fault"], 0, "{v}");
                assert_eq!(v["fault_kind"], "partition", "{v}");
            }
            "arrival" | "node_tick" | "apply_tick" | "repl_flush" => {
                assert!(v["region"].is_string(), "{v}")
            }
            _ => {}
        }
    }
    for k in ["deliver", "arrival", "fault_start", "sample", "timeout"] {
        assert!(seen.contains(k), "no {k} event in {seen:?}");
    }
}

#[test]
fn metric_expectations_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string("scenarios/poison-customer-shuffle-shard.json").unwrap().replace(
            "\"blast_radius.customers\": {\n        \"max\": 0.05\n      }",
            "\"blast_radius.customers\": {\"min\": 0.5}",
        );
    let path = dir.path().join("m.json");
    std::fs::write(&path, text).unwrap();
    let (code, stdout, _) =
        gameday(&["run", path.to_str().unwrap(), "--out", dir.path().join("r").to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r/summary.json")).unwrap()).unwrap();
    let unmet: Vec<&str> =
        s["expect"]["unmet"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert_eq!(unmet, ["metric blast_radius.customers is 0.0200, expected at least 0.5"]);
    assert!(stdout.contains("NOT what this scenario expects"), "{stdout}");
}

/// A metric path the summary does not have is bad input, found before the run: every
/// command that loads scenarios says so with exit 2, and `run` writes nothing.
#[test]
fn a_misspelt_metric_path_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/poison-customer-shuffle-shard.json")
        .unwrap()
        .replace("\"blast_radius.customers\": {", "\"blast_radius.customer\": {");
    let path = dir.path().join("m.json");
    std::fs::write(&path, text).unwrap();
    let file = path.to_str().unwrap();
    let out = dir.path().join("r");
    let expected =
        "expect.metrics.\"blast_radius.customer\": no such number in the run's summary; \
                    did you mean \"blast_radius.customers\"?";
    for args in [
        vec!["run", file, "--out", out.to_str().unwrap()],
        vec!["validate", file],
        vec!["check", file, "--out", dir.path().join("c").to_str().unwrap()],
        vec!["sweep", file, "--seeds", "1..2", "--out", dir.path().join("s").to_str().unwrap()],
    ] {
        let (code, stdout, stderr) = gameday(&args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        // The check table wraps long lines: compare with the whitespace folded.
        let said = format!("{stdout}{stderr}").split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(said.contains(expected), "{args:?}: {said}");
    }
    assert!(!out.exists(), "a refused run writes nothing");
}

#[test]
fn history_is_jepsen_edn_with_every_invoke_completed() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.edn");
    let (code, _, _) = gameday(&[
        "run",
        "scenarios/unfenced-promotion.json",
        "--duration-s",
        "5",
        "--history",
        h.to_str().unwrap(),
        "--out",
        dir.path().join("r").to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1);
    let text = std::fs::read_to_string(&h).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    assert!(header.starts_with("; gameday history of "), "a comment names the run: {header}");
    let lines: Vec<&str> = rest.lines().collect();
    assert!(lines.len() > 100);
    let invokes = lines.iter().filter(|l| l.contains(":type :invoke")).count();
    let completions = lines
        .iter()
        .filter(|l| {
            l.contains(":type :ok") || l.contains(":type :fail") || l.contains(":type :info")
        })
        .count();
    assert_eq!(invokes, completions, "every operation ends in the history");
    for l in &lines {
        assert!(l.starts_with("{:process ") && l.ends_with('}'), "{l}");
        assert!([":f :read", ":f :write", ":f :cas"].iter().any(|f| l.contains(f)), "{l}");
    }
    // An ok read carries the value it read.
    assert!(lines.iter().any(|l| l.contains(":type :ok, :f :read") && !l.ends_with(":value nil}")));
}

#[test]
fn chrome_trace_has_a_track_per_region_and_fault_spans() {
    let dir = tempfile::tempdir().unwrap();
    let ct = dir.path().join("ct.json");
    let (code, _, _) = gameday(&[
        "run",
        "scenarios/unfenced-promotion.json",
        "--chrome-trace",
        ct.to_str().unwrap(),
        "--out",
        dir.path().join("r").to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&ct).unwrap()).unwrap();
    let ev = v["traceEvents"].as_array().unwrap();
    let tracks: Vec<&str> =
        ev.iter().filter(|e| e["ph"] == "M").filter_map(|e| e["args"]["name"].as_str()).collect();
    for t in ["us-east", "eu-west", "ap-south", "faults", "runbook", "invariants"] {
        assert!(tracks.contains(&t), "{tracks:?}");
    }
    let partition = ev.iter().find(|e| e["name"] == "partition").expect("fault span");
    assert_eq!(partition["ph"], "X");
    assert_eq!(partition["ts"], 30_000_000);
    assert_eq!(partition["dur"], 40_000_000);
    assert!(ev.iter().any(|e| e["name"] == "single_writer violated"));
}

#[test]
fn every_command_shows_an_example_and_the_version_names_the_commit() {
    for cmd in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["compare", "--help"],
        vec!["check", "--help"],
        vec!["sweep", "--help"],
        vec!["shrink", "--help"],
        vec!["merge", "--help"],
        vec!["validate", "--help"],
        vec!["completions", "--help"],
        vec!["history", "check", "--help"],
    ] {
        let (code, out, _) = gameday(&cmd);
        assert_eq!(code, 0, "{cmd:?}");
        assert!(out.contains("Example: gameday "), "{cmd:?} shows no example:\n{out}");
    }
    let (code, out, _) = gameday(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with(&format!("gameday {} (commit ", env!("CARGO_PKG_VERSION"))), "{out}");
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, _) = gameday(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(out.contains("sweep") && out.contains("seeds"), "{shell} completions");
    }
    let (code, _, err) = gameday(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close the pipe, as `| head -c 1` would.
    let mut one = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut one).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn new_writes_a_scenario_that_runs_and_never_overwrites_by_surprise() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("mine.json");
    let d = dest.to_str().unwrap();
    let (code, out, err) = gameday(&["new", "my-drill", "--out", d]);
    assert_eq!(code, 0, "{out}{err}");
    let r = dir.path().join("r");
    let (code, out, _) = gameday(&["run", d, "-q", "--out", r.to_str().unwrap()]);
    assert_eq!(code, 0, "the template's expectations hold: {out}");
    let (code, _, err) = gameday(&["new", "my-drill", "--out", d]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists") && err.contains("--force"), "{err}");
    let (code, ..) = gameday(&[
        "new",
        "again",
        "--from",
        "scenarios/unfenced-promotion.json",
        "--out",
        d,
        "--force",
    ]);
    assert_eq!(code, 0);
    let s = gameday::scenario::load(d).unwrap();
    assert_eq!(s.name, "again");
    assert_eq!(s.faults.len(), 2, "the faults of the scenario it started from");
}

#[test]
fn limit_flags_override_the_scenario_and_say_how_to_raise_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = out.to_str().unwrap();
    let (code, _, err) = gameday(&[
        "run",
        "scenarios/active-passive-healthy.json",
        "--events-max",
        "5000",
        "--out",
        o,
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("events_max") && err.contains("--events-max"), "{err}");
    let (code, _, err) = gameday(&[
        "run",
        "scenarios/active-passive-healthy.json",
        "--sim-time-max-s",
        "10",
        "--out",
        o,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("shorter than the drill"), "{err}");
    let (code, _, err) =
        gameday(&["run", "scenarios/active-passive-healthy.json", "--events-max", "0", "--out", o]);
    assert_eq!(code, 2, "{err}");
}

/// A rerun replaces its own earlier outputs; a file gameday did not write is replaced
/// only with --force.
#[test]
fn outputs_replace_only_what_gameday_wrote_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let (r, t) = (d("r"), d("t.jsonl"));
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "scenarios/strong-read-replica.json", "-q", "--duration-s", "5"];
        args.extend_from_slice(&["--out", &r, "--trace", &t, "--history"]);
        args.extend_from_slice(extra);
        gameday(&args)
    };
    let h = d("h.edn");
    let (code, _, err) = run(&[&h, "--chrome-trace", &d("c.json")]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&[&h, "--chrome-trace", &d("c.json")]);
    assert_eq!(code, 0, "a rerun replaces its own outputs: {err}");
    std::fs::write(d("mine.edn"), "{:process 0, :type :invoke, :f :read}\n").unwrap();
    let (code, _, err) = run(&[&d("mine.edn")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert!(std::fs::read_to_string(d("mine.edn")).unwrap().starts_with("{:process 0"));
    let (code, _, err) = run(&[&d("mine.edn"), "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(d("mine.edn")).unwrap().starts_with("; gameday history"));
    // The header is an EDN comment: the history still reads as one.
    let (code, out, err) =
        gameday(&["history", "check", &d("mine.edn"), "--model", "cas-register"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    // Every output the run wrote is recognized as gameday's own.
    for f in
        ["r/summary.json", "r/report.html", "r/reconciliation.json", "t.jsonl", "h.edn", "c.json"]
    {
        assert!(gameday::output::check_file("--out", &dir.path().join(f)).is_ok(), "{f}");
    }
}

/// Report and history size limits: each has a default and a flag; hitting one exits 3
/// and names the flag that raises it.
#[test]
fn size_limits_exit_three_and_say_how_to_raise_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let h = d("h.edn");
    let run = ["run", "scenarios/strong-read-writer.json", "-q", "--duration-s", "10"];
    let (code, _, err) = gameday(&[&run[..], &["--out", &d("a"), "--history", &h]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, _, err) =
        gameday(&[&run[..], &["--out", &d("b"), "--report-mb-max", "0.05"]].concat());
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("limit report_mb_max hit") && err.contains("--report-mb-max"), "{err}");
    assert!(!dir.path().join("b/report.html").exists(), "an oversized report is not written");
    let (code, _, err) =
        gameday(&[&run[..], &["--out", &d("b"), "--report-mb-max", "-1"]].concat());
    assert_eq!(code, 2, "{err}");
    let check = ["history", "check", &h, "--model", "cas-register"];
    let (code, out, err) = gameday(&check);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = gameday(&[&check[..], &["--ops-max", "100"]].concat());
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("limit ops_max hit") && err.contains("--ops-max"), "{err}");
    let (code, _, err) = gameday(&[&check[..], &["--size-mb-max", "0.001"]].concat());
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("limit size_mb_max hit") && err.contains("--size-mb-max"), "{err}");
    let (code, _, err) = gameday(&[&check[..], &["--ops-max", "0"]].concat());
    assert_eq!(code, 2, "{err}");
}
