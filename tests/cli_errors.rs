//! Bad input to every command: a one-line error naming the file, field or flag, what
//! is wrong and what would be valid; exit code 2; never a panic. The messages are
//! pinned with insta (temporary paths replaced by `TMP`).

mod common;

/// Exit code and stderr of `gameday ARGS...`.
fn gameday(args: &[&str]) -> (i32, String) {
    let (code, _, err) = common::gameday(args);
    (code, err)
}

#[test]
fn bad_input_across_commands() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().to_str().unwrap().to_string();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let empty = file("empty.json", "");
    let not_object = file("list.json", "[1, 2]");
    let design_typo = file("typo.json", r#"{"name": "x", "desing": {}}"#);
    let design_bad_value = file("bad.json", r#"{"name": "x", "design": {"fencing": "yes"}}"#);
    let design_unnamed = file("blank.json", r#"{"name": " ", "design": {}}"#);
    let edn_broken = file(
        "broken.edn",
        "[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0 :type }]",
    );
    let edn_ok = file("ok.edn", "[{:process 0, :type :invoke, :f :write, :value 1}\n {:process 0, :type :ok, :f :write, :value 1}]");
    let not_sweep = dir.path().join("notsweep");
    std::fs::create_dir(&not_sweep).unwrap();
    std::fs::write(not_sweep.join("sweep.json"), r#"{"kind": "other"}"#).unwrap();
    let ns = not_sweep.to_str().unwrap().to_string();
    let mine =
        file("mine.json", &std::fs::read_to_string("scenarios/unfenced-promotion.json").unwrap());
    let out_dir = format!("{tmp}/reports");
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("schema.json"), "{}").unwrap();
    let foreign_schema_dir = format!("{tmp}/foreign/x.json");
    let deep =
        file("deep.json", &format!("{{\"name\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000)));
    let deep_edn = file("deep.edn", &"[".repeat(100_000));
    let binary = {
        let p = dir.path().join("binary.json");
        std::fs::write(&p, b"{\"name\": \"\xff\xfe\x00\x01\"}").unwrap();
        p.to_str().unwrap().to_string()
    };
    let nul = file("nul.json", "{\"version\": 1,\u{0} \"name\": \"x\"}");
    let huge_rate = file(
        "huge.json",
        &std::fs::read_to_string("scenarios/active-passive-healthy.json").unwrap().replacen(
            "\"rate_per_s\": 500",
            "\"rate_per_s\": 1e300",
            1,
        ),
    );
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("run_missing_file", vec!["run", "no/such.json"]),
        ("run_empty_file", vec!["run", &empty]),
        ("run_not_an_object", vec!["run", &not_object]),
        (
            "run_duration_negative",
            vec!["run", "scenarios/active-passive-healthy.json", "--duration-s=-1"],
        ),
        (
            "run_events_max_zero",
            vec!["run", "scenarios/active-passive-healthy.json", "--events-max", "0"],
        ),
        (
            "run_sim_time_too_short",
            vec!["run", "scenarios/active-passive-healthy.json", "--sim-time-max-s", "5"],
        ),
        (
            "compare_design_missing",
            vec!["compare", "scenarios/retry-duplicates.json", "--design", "no/such.json"],
        ),
        (
            "compare_design_empty",
            vec!["compare", "scenarios/retry-duplicates.json", "--design", &empty],
        ),
        (
            "compare_design_not_object",
            vec!["compare", "scenarios/retry-duplicates.json", "--design", &not_object],
        ),
        (
            "compare_design_typo",
            vec!["compare", "scenarios/retry-duplicates.json", "--design", &design_typo],
        ),
        (
            "compare_design_bad_value",
            vec!["compare", "scenarios/retry-duplicates.json", "--design", &design_bad_value],
        ),
        (
            "compare_design_blank_name",
            vec!["compare", "scenarios/retry-duplicates.json", "--design", &design_unnamed],
        ),
        ("compare_one_design", vec!["compare", "scenarios/unfenced-promotion.json"]),
        (
            "compare_seeds_reversed",
            vec!["compare", "scenarios/retry-duplicates.json", "--seeds", "9..2"],
        ),
        (
            "compare_seeds_garbage",
            vec!["compare", "scenarios/retry-duplicates.json", "--seeds", "a..b"],
        ),
        ("check_missing_path", vec!["check", "no/such/dir"]),
        ("check_jobs_zero", vec!["check", "--jobs", "0"]),
        ("check_shard_zero", vec!["check", "--shard", "0/3"]),
        ("check_shard_garbage", vec!["check", "--shard", "two"]),
        (
            "sweep_seeds_missing_end",
            vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "5.."],
        ),
        (
            "sweep_seeds_too_many",
            vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "0..100000000"],
        ),
        (
            "sweep_shard_beyond",
            vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "1..4", "--shard", "5/4"],
        ),
        ("sweep_bad_scenario", vec!["sweep", &empty, "--seeds", "1..2"]),
        (
            "shrink_nothing_violated",
            vec!["shrink", "scenarios/active-passive-healthy.json", "--seed", "1"],
        ),
        (
            "shrink_unknown_invariant",
            vec![
                "shrink",
                "scenarios/unfenced-promotion.json",
                "--seed",
                "7",
                "--invariant",
                "single_writr",
            ],
        ),
        (
            "shrink_invariant_held",
            vec![
                "shrink",
                "scenarios/unfenced-promotion.json",
                "--seed",
                "7",
                "--invariant",
                "domain",
            ],
        ),
        (
            "shrink_zero_attempts",
            vec!["shrink", "scenarios/unfenced-promotion.json", "--seed", "7", "--attempts", "0"],
        ),
        ("merge_no_output_there", vec!["merge", "scenarios"]),
        ("merge_not_a_sweep", vec!["merge", &ns]),
        ("history_unknown_model", vec!["history", "check", &edn_ok, "--model", "queue"]),
        ("history_broken_edn", vec!["history", "check", &edn_broken, "--model", "register"]),
        ("history_missing_file", vec!["history", "check", "no/such.edn", "--model", "register"]),
        ("history_which_model", vec!["history", "check", &edn_ok]),
        ("new_name_with_slash", vec!["new", "a/b"]),
        ("new_over_a_foreign_schema", vec!["new", "x", "--out", &foreign_schema_dir]),
        ("new_from_invalid", vec!["new", "x", "--from", &empty, "--out", "/dev/null/x.json"]),
        ("validate_typo_field", vec!["validate", &design_typo]),
        // Output paths: only gameday's own outputs are replaced without --force.
        (
            "run_trace_over_a_scenario",
            vec![
                "run",
                "scenarios/active-passive-healthy.json",
                "--out",
                &out_dir,
                "--trace",
                &mine,
            ],
        ),
        ("run_out_is_a_file", vec!["run", "scenarios/active-passive-healthy.json", "--out", &mine]),
        (
            "run_history_is_a_folder",
            vec![
                "run",
                "scenarios/active-passive-healthy.json",
                "--out",
                &out_dir,
                "--history",
                &tmp,
            ],
        ),
        (
            "sweep_out_over_foreign_files",
            vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "1..2", "--out", &ns],
        ),
        (
            "check_junit_over_a_scenario",
            vec!["check", "scenarios/negative/domain.json", "--junit", &mine],
        ),
        ("shrink_out_over_its_input", vec!["shrink", &mine, "--seed", "7", "--out", &mine]),
        (
            "compare_out_is_a_file",
            vec!["compare", "scenarios/retry-duplicates.json", "--out", &mine],
        ),
        // Hostile and huge input.
        ("run_nested_100k_deep", vec!["run", &deep]),
        ("history_nested_100k_deep", vec!["history", "check", &deep_edn, "--model", "register"]),
        ("run_not_utf8", vec!["run", &binary]),
        ("run_nul_byte", vec!["run", &nul]),
        ("run_rate_1e300", vec!["run", &huge_rate]),
        (
            "sweep_seeds_beyond_u64",
            vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "0..18446744073709551616"],
        ),
        (
            "sweep_seeds_whole_u64_range",
            vec!["sweep", "scenarios/swarm-unfenced.json", "--seeds", "0..18446744073709551615"],
        ),
    ];
    let mut names = std::collections::BTreeSet::new();
    for (name, args) in &cases {
        assert!(names.insert(*name), "two cases named {name}");
        let (code, err) = gameday(args);
        assert_eq!(code, 2, "{name}: {args:?} exited {code}: {err}");
        assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{name}: {err}");
        let msg = err.trim_end().replace(&tmp, "TMP");
        assert!(!msg.is_empty(), "{name}: no message");
        insta::assert_snapshot!(format!("cli_error__{name}"), msg);
    }
    assert!(cases.len() >= 35);
}
