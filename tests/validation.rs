//! Bad scenario input: every kind of mistake a user can make gets a message that names
//! the file, the field path (or line and column), what is wrong and what would be valid.
//! The messages are pinned with insta snapshots in `tests/snapshots/`; when one changes
//! on purpose, review the new text as a user would and accept it with
//! `INSTA_UPDATE=always cargo test --test validation`.
//!
//! The robustness test feeds thousands of mechanical mutations of valid scenarios to the
//! loader and checks that none of them panics: bad input is an error, never a crash.

use gameday::scenario::{self, ScenarioError};
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};

/// The name every test passes as the file, so snapshots do not depend on the machine.
const FILE: &str = "scenarios/broken.json";

/// A small valid scenario; each broken variant below changes it in exactly one place.
const BASE: &str = r#"{
  "version": 1,
  "name": "validation-base",
  "description": "A small valid scenario that each test breaks in one place.",
  "seed": 7,
  "duration_s": 120,
  "regions": [
    {"name": "us-east", "role": "primary"},
    {"name": "eu-west", "role": "standby"},
    {"name": "ap-south", "role": "read-replica"}
  ],
  "network": {"rtt_ms": {"us-east/eu-west": 70, "us-east/ap-south": 220, "eu-west/ap-south": 240}},
  "design": {
    "topology": "active-passive",
    "replication": {"mode": "async"},
    "fencing": false,
    "promotion": {"automated": false}
  },
  "workload": {"rate_per_s": 500, "mix": {"account.transfer": 0.2, "account.read": 0.8}},
  "faults": [
    {"at_s": 30, "for_s": 40, "kind": "partition", "between": [["us-east"], ["eu-west", "ap-south"]]},
    {"at_s": 35, "kind": "operator_promote", "region": "eu-west"}
  ],
  "expect": {"violated": ["single_writer", "acked_durability"], "hold": ["domain"]}
}
"#;

/// A valid scenario that sets nearly every field and uses every fault kind, so the
/// robustness test reaches every validation path.
const RICH: &str = r#"{
  "version": 1,
  "name": "validation-rich",
  "description": "Every field set, every fault kind used.",
  "seed": 42,
  "duration_s": 300,
  "regions": [
    {"name": "us-east", "role": "primary", "clock": {"offset_ms": 0, "drift_ppm": 5}},
    {"name": "eu-west", "role": "standby", "clock": {"offset_ms": -3.5, "drift_ppm": -2}},
    {"name": "ap-south", "role": "read-replica"}
  ],
  "network": {
    "rtt_ms": {"us-east/eu-west": 70, "ap-south/us-east": 220},
    "default_rtt_ms": 150, "local_rtt_ms": 1, "jitter_ms": 2
  },
  "design": {
    "topology": "active-passive",
    "replication": {"mode": "semi-sync", "acks": 1, "apply_rate_per_s": 5000,
                    "batch_ms": 2, "retransmit_ms": 400},
    "fencing": true,
    "lease": {"duration_ms": 2000, "renew_ms": 500, "clock_uncertainty_ms": 50},
    "promotion": {"automated": true, "detect_after_ms": 3000, "heartbeat_ms": 250},
    "control_plane": {"region": "eu-west"},
    "routing": {"propagation_ms": 500, "refresh_ms": 1000},
    "reads": {"replica_checks_staleness": true},
    "accounts": {"debit_check": "local-read"}
  },
  "workload": {
    "rate_per_s": 400,
    "mix": {"register.read": 0.2, "register.write": 0.1, "register.cas": 0.1,
            "account.read": 0.2, "account.credit": 0.1, "account.debit": 0.1,
            "account.transfer": 0.2},
    "clients": ["us-east", "ap-south"],
    "registers": 16, "accounts": 8, "initial_balance": 1000, "amount_max": 50,
    "timeout_ms": 800,
    "retry": {"attempts": 3, "backoff_ms": 20, "backoff_max_ms": 1000},
    "read_classes": {"register.read": {"class": "bounded", "bound_ms": 250},
                     "account.read": {"class": "eventual"}}
  },
  "faults": [
    {"at_s": 10, "for_s": 20, "kind": "region_outage", "region": "ap-south"},
    {"at_s": 30, "for_s": 40, "kind": "partition", "between": [["us-east"], ["eu-west", "ap-south"]], "one_way": true},
    {"at_s": 80, "for_s": 10, "kind": "link_latency", "between": [["us-east"], ["eu-west"]], "factor": 8},
    {"at_s": 100, "for_s": 30, "kind": "replication_stall", "region": "eu-west", "apply_factor": 0.25},
    {"at_s": 140, "kind": "clock_skew", "region": "eu-west", "offset_ms": 900, "drift_ppm": 40},
    {"at_s": 150, "for_s": 5, "kind": "clock_skew", "region": "us-east", "offset_ms": -200},
    {"at_s": 200, "kind": "operator_promote", "region": "eu-west", "fenced": false}
  ],
  "limits": {"events_max": 5000000, "sim_time_max_s": 900, "convergence_max_s": 120},
  "expect": {"violated": ["freshness"], "hold": ["domain", "fenced_writes"]}
}
"#;

/// `BASE` with the one occurrence of `from` replaced by `to`.
fn broken(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from:?} must occur exactly once in BASE");
    BASE.replacen(from, to, 1)
}

/// The error `text` must produce, as the user sees it.
fn error(text: &str) -> String {
    match gameday::sim::from_str(FILE, text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn base_scenarios_are_valid() {
    let s = scenario::from_str(FILE, BASE).expect("BASE is valid");
    assert_eq!(s.regions.len(), 3);
    assert_eq!(s.faults.len(), 2);
    assert_eq!(s.source_path, FILE);
    let s = scenario::from_str(FILE, RICH).expect("RICH is valid");
    assert_eq!(s.faults.len(), 7);
    // A byte-order mark and trailing whitespace are not errors.
    scenario::from_str(FILE, &format!("\u{feff}{BASE}\n\n")).expect("BOM and whitespace are fine");
}

#[test]
fn errors_name_the_file_and_the_problem() {
    let cases: Vec<(&str, String)> = vec![
        // Syntax: file, line and column.
        ("syntax_trailing_comma", broken(r#""hold": ["domain"]}"#, r#""hold": ["domain"],}"#)),
        ("syntax_truncated_file", BASE[..BASE.find("\"faults\"").unwrap()].to_string()),
        ("syntax_missing_colon", broken(r#""seed": 7"#, r#""seed" 7"#)),
        ("syntax_empty_file", String::new()),
        ("syntax_text_after_object", format!("{BASE}}}")),
        ("syntax_number_out_of_range", broken(r#""duration_s": 120"#, r#""duration_s": 1e400"#)),
        // Types and unknown fields.
        ("wrong_type_seed_string", broken(r#""seed": 7"#, r#""seed": "seven""#)),
        ("wrong_type_negative_seed", broken(r#""seed": 7"#, r#""seed": -7"#)),
        ("wrong_type_regions_object", {
            let start = BASE.find("\"regions\": [").unwrap();
            let end = BASE.find("  \"network\"").unwrap();
            let mut s = BASE.to_string();
            s.replace_range(start..end, "\"regions\": {\"us-east\": \"primary\"},\n");
            s
        }),
        ("wrong_type_fault_at_s", broken(r#""at_s": 35"#, r#""at_s": "35s""#)),
        ("wrong_type_null_duration", broken(r#""duration_s": 120"#, r#""duration_s": null"#)),
        ("wrong_type_fault_kind_number", broken(r#""kind": "partition""#, r#""kind": 5"#)),
        ("wrong_type_role_object", broken(r#""role": "standby""#, r#""role": {}"#)),
        (
            "wrong_type_region_entry_string",
            broken(r#"{"name": "us-east", "role": "primary"}"#, r#""us-east""#),
        ),
        (
            "wrong_type_mix_share_string",
            broken(r#""account.read": 0.8"#, r#""account.read": "0.8""#),
        ),
        ("wrong_type_boolean", broken(r#""fencing": false"#, r#""fencing": "no""#)),
        ("wrong_type_top_level_array", "[]".to_string()),
        ("duplicate_field", broken(r#""seed": 7"#, r#""seed": 7, "seed": 8"#)),
        ("unknown_top_level_field", broken(r#""duration_s": 120"#, r#""durration_s": 120"#)),
        ("unknown_nested_field", broken(r#"{"mode": "async"}"#, r#"{"mdoe": "async"}"#)),
        (
            "unknown_field_in_region",
            broken(r#"{"name": "ap-south", "role""#, r#"{"name": "ap-south", "rol""#),
        ),
        ("missing_required_version", broken("\"version\": 1,\n", "")),
        ("missing_region_role", broken(r#", "role": "read-replica""#, "")),
        // Enumerations.
        ("unknown_replication_mode", broken(r#""mode": "async""#, r#""mode": "asynchronous""#)),
        ("unknown_region_role", broken(r#""role": "standby""#, r#""role": "secondary""#)),
        ("unknown_fault_kind", broken(r#""kind": "partition""#, r#""kind": "network_partition""#)),
        // Regions.
        ("unknown_region_in_fault", broken(r#""region": "eu-west"}"#, r#""region": "us-esat"}"#)),
        (
            "unknown_region_in_partition",
            broken(r#"["eu-west", "ap-south"]]"#, r#"["eu-west", "ap-sout"]]"#),
        ),
        ("unknown_region_in_rtt_key", broken(r#""us-east/ap-south""#, r#""us-east/ap-sth""#)),
        ("rtt_key_not_a_pair", broken(r#""us-east/ap-south""#, r#""us-east-ap-south""#)),
        ("two_primaries", broken(r#""role": "standby""#, r#""role": "primary""#)),
        ("duplicate_region_name", broken(r#""name": "ap-south""#, r#""name": "eu-west""#)),
        ("no_regions", {
            let start = BASE.find("\"regions\": [").unwrap();
            let end = BASE.find("  \"network\"").unwrap();
            let mut s = BASE.to_string();
            s.replace_range(start..end, "\"regions\": [],\n");
            s.replace(r#""rtt_ms": {"us-east/eu-west": 70, "us-east/ap-south": 220, "eu-west/ap-south": 240}"#, r#""rtt_ms": {}"#)
        }),
        // Durations.
        ("negative_duration", broken(r#""duration_s": 120"#, r#""duration_s": -5"#)),
        ("zero_duration", broken(r#""duration_s": 120"#, r#""duration_s": 0"#)),
        ("negative_rtt", broken(r#""us-east/eu-west": 70"#, r#""us-east/eu-west": -70"#)),
        ("zero_fault_window", broken(r#""for_s": 40"#, r#""for_s": 0"#)),
        ("huge_duration", broken(r#""duration_s": 120"#, r#""duration_s": 1e308"#)),
        (
            "duration_beyond_default_time_limit",
            broken(r#""duration_s": 120"#, r#""duration_s": 100000"#),
        ),
        (
            "region_clock_offset_too_large",
            broken(
                r#"{"name": "eu-west", "role": "standby"}"#,
                r#"{"name": "eu-west", "role": "standby", "clock": {"offset_ms": 1e12}}"#,
            ),
        ),
        // Probabilities and the mix.
        (
            "probability_above_one",
            broken(
                r#""account.transfer": 0.2, "account.read": 0.8"#,
                r#""account.transfer": 1.2, "account.read": 0.8"#,
            ),
        ),
        ("probability_negative", broken(r#""account.read": 0.8"#, r#""account.read": -0.8"#)),
        ("mix_does_not_sum_to_one", broken(r#""account.read": 0.8"#, r#""account.read": 0.7"#)),
        ("unknown_mix_operation", broken(r#""account.read": 0.8"#, r#""account.raed": 0.8"#)),
        (
            "empty_mix",
            broken(r#""mix": {"account.transfer": 0.2, "account.read": 0.8}"#, r#""mix": {}"#),
        ),
        // Faults and the run.
        ("fault_starts_after_run", broken(r#""at_s": 35"#, r#""at_s": 120"#)),
        ("fault_ends_after_run", broken(r#""for_s": 40"#, r#""for_s": 100"#)),
        ("fault_negative_start", broken(r#""at_s": 35"#, r#""at_s": -1"#)),
        (
            "field_not_of_fault_kind",
            broken(r#""region": "eu-west"}"#, r#""region": "eu-west", "for_s": 10}"#),
        ),
        ("partition_without_for_s", broken(r#""for_s": 40, "#, "")),
        ("partition_without_between", {
            broken(r#", "between": [["us-east"], ["eu-west", "ap-south"]]"#, "")
        }),
        ("promote_without_region", broken(r#", "region": "eu-west"}"#, "}")),
        (
            "link_latency_without_factor",
            broken(r#""kind": "partition""#, r#""kind": "link_latency""#),
        ),
        (
            "clock_skew_without_offset_or_drift",
            broken(
                r#"{"at_s": 35, "kind": "operator_promote", "region": "eu-west"}"#,
                r#"{"at_s": 35, "kind": "clock_skew", "region": "eu-west"}"#,
            ),
        ),
        ("promote_read_replica", broken(r#""region": "eu-west"}"#, r#""region": "ap-south"}"#)),
        (
            "region_on_both_sides_of_partition",
            broken(r#"[["us-east"], ["eu-west""#, r#"[["us-east"], ["us-east""#),
        ),
        // Design.
        (
            "semi_sync_too_many_acks",
            broken(r#"{"mode": "async"}"#, r#"{"mode": "semi-sync", "acks": 3}"#),
        ),
        (
            "unknown_control_plane_region",
            broken(
                r#""fencing": false,"#,
                r#""fencing": false, "control_plane": {"region": "eu-wset"},"#,
            ),
        ),
        ("unsupported_version", broken(r#""version": 1"#, r#""version": 2"#)),
        // Expectations.
        ("unknown_invariant", broken(r#""hold": ["domain"]"#, r#""hold": ["domian"]"#)),
        (
            "invariant_both_held_and_violated",
            broken(r#""hold": ["domain"]"#, r#""hold": ["domain", "single_writer"]"#),
        ),
        // Variants for `compare`: each must name itself and patch the design validly.
        (
            "variant_duplicate_name",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"]}, "variants": [{"name": "a", "design": {}}, {"name": "a", "design": {}}]"#,
            ),
        ),
        (
            "variant_design_not_an_object",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"]}, "variants": [{"name": "a", "design": true}]"#,
            ),
        ),
        (
            "swarm_unknown_region",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"]}, "swarm": {"faults": [{"kind": "region_outage", "regions": ["us-esat"]}]}"#,
            ),
        ),
        (
            "swarm_draws_the_target",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"]}, "swarm": {"faults": [{"kind": "partition", "with": {"between": [["us-east"], ["eu-west"]]}}]}"#,
            ),
        ),
        (
            "swarm_kind_missing_its_parameter",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"]}, "swarm": {"faults": [{"kind": "link_latency"}]}"#,
            ),
        ),
        (
            "swarm_target_the_kind_cannot_take",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"]}, "swarm": {"faults": [{"kind": "operator_promote", "regions": ["eu-west", "ap-south"]}]}"#,
            ),
        ),
        (
            "swarm_range_reversed",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"]}, "swarm": {"faults": [{"kind": "partition"}], "for_s": {"min": 10, "max": 2}}"#,
            ),
        ),
        (
            "planted_bug_without_its_mechanism",
            broken(r#""fencing": false"#, r#""fencing": false, "planted_bugs": ["ignore-lease"]"#),
        ),
        (
            "planted_bug_unknown",
            broken(r#""fencing": false"#, r#""fencing": false, "planted_bugs": ["skip-fencing"]"#),
        ),
        (
            "expected_metric_misspelt",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"], "metrics": {"latency.all.p99": {"max": 50}}}"#,
            ),
        ),
        (
            "expected_metric_in_no_group",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"], "metrics": {"rpo_ms": {"max": 50}}}"#,
            ),
        ),
        (
            "variant_invalid_design",
            broken(
                r#""hold": ["domain"]}"#,
                r#""hold": ["domain"]}, "variants": [{"name": "semi", "design": {"replication": {"mode": "semisync"}}}]"#,
            ),
        ),
    ];
    let mut names = std::collections::BTreeSet::new();
    for (name, text) in &cases {
        assert!(names.insert(*name), "two cases named {name}");
        let msg = error(text);
        assert!(msg.starts_with(FILE), "{name}: the message must name the file: {msg}");
        insta::assert_snapshot!(*name, msg);
    }
}

/// Syntax errors are reported as such, with a position, and everything else names a path.
#[test]
fn error_kinds() {
    let e = scenario::from_str(FILE, &broken(r#""seed": 7"#, r#""seed" 7"#)).unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { line: 5, .. }), "{e:?}");
    let e = scenario::from_str(FILE, &BASE[..BASE.len() / 2]).unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { .. }), "{e:?}");
    let e = scenario::from_str(FILE, &broken(r#""region": "eu-west"}"#, r#""region": "us-esat"}"#))
        .unwrap_err();
    match e {
        ScenarioError::Invalid { path, .. } => assert_eq!(path, "faults[1].region"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    let e = scenario::load("scenarios/does-not-exist.json").unwrap_err();
    assert!(matches!(e, ScenarioError::Io { .. }), "{e:?}");
}

// ---- Robustness -------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Str,
    Num,
}

/// The string and number tokens of JSON `text`, as byte ranges (strings include quotes).
fn tokens(text: &str) -> Vec<(Tok, Range<usize>)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.push((Tok::Str, start..i));
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                out.push((Tok::Num, start..i));
            }
            _ => i += 1,
        }
    }
    out
}

/// Deterministic mutations of `text`: every prefix, every single-byte deletion, every
/// line deletion, and every number and string swapped for awkward values.
fn mutations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.char_indices() {
        out.push(text[..i].to_string());
        let mut s = text.to_string();
        s.remove(i);
        out.push(s);
    }
    let lines: Vec<&str> = text.lines().collect();
    for skip in 0..lines.len() {
        let kept: Vec<&str> =
            lines.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, l)| *l).collect();
        out.push(kept.join("\n"));
    }
    const NUMBERS: &[&str] = &[
        "-1",
        "0",
        "1",
        "-0",
        "0.5",
        "1e308",
        "-1e308",
        "1e-308",
        "1e400",
        "255",
        "256",
        "65536",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "\"x\"",
        "null",
        "true",
        "[]",
        "{}",
    ];
    // Besides plain odd values: text that looks like serde's own error messages, which
    // the loader parses to rewrite them.
    const STRINGS: &[&str] = &[
        "\"\"",
        "\"x\"",
        "\"us-east\"",
        "\"a/b\"",
        "\"é\"",
        "\"`\"",
        "\"a`, expected `b\"",
        "\" at line 1 column 1\"",
        "0",
        "null",
        "[]",
        "{}",
    ];
    for (tok, r) in tokens(text) {
        let subs = if tok == Tok::Num { NUMBERS } else { STRINGS };
        for sub in subs {
            let mut s = text.to_string();
            s.replace_range(r.clone(), sub);
            out.push(s);
        }
    }
    out
}

#[test]
fn no_input_panics() {
    let mut inputs = Vec::new();
    for base in [BASE, RICH] {
        inputs.extend(mutations(base));
    }
    // Sizes and shapes the mutations above do not reach.
    inputs.push(broken(r#""duration_s": 120"#, r#""duration_s": 1e308"#));
    inputs.push(RICH.replace(r#""duration_s": 300"#, r#""duration_s": 1e-9"#));
    inputs.push("[]".to_string());
    inputs.push("null".to_string());
    inputs.push("\u{feff}{}".to_string());
    inputs.push("{".repeat(10_000));
    let many_regions: Vec<String> =
        (0..300).map(|i| format!(r#"{{"name": "r{i}", "role": "standby"}}"#)).collect();
    inputs.push(BASE.replace(
        r#"{"name": "ap-south", "role": "read-replica"}"#,
        &format!(r#"{{"name": "ap-south", "role": "read-replica"}}, {}"#, many_regions.join(", ")),
    ));

    // The panic hook is left alone (other tests in this binary run concurrently and
    // rely on it); any panic also prints its own message above the report below.
    let mut panicked = Vec::new();
    let (mut ok, mut err) = (0, 0);
    for input in &inputs {
        match panic::catch_unwind(AssertUnwindSafe(|| scenario::from_str(FILE, input))) {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(_)) => err += 1,
            Err(p) => {
                let why = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                panicked.push(format!("panic: {why}\ninput:\n{input}"));
            }
        }
    }
    assert!(
        panicked.is_empty(),
        "{} of {} inputs panicked; the first:\n{}",
        panicked.len(),
        inputs.len(),
        panicked[0]
    );
    // The mutations must exercise both outcomes, or they test nothing.
    assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
}
