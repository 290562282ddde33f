//! `expect.metrics` names figures of the typed metrics summary by dot path: the list
//! of paths covers every figure a real run's summary.json holds, and each resolves on
//! the typed summary to exactly what summary.json says.

use gameday::metrics::metric_paths;
use gameday::scenario;
use gameday::sim::{run, RunOptions};
use serde_json::Value;

/// The dot path of every number in `v`, walking objects only, and leaving out keys
/// with a dot in them (operation kinds), which no dot path can name.
fn numbers_in(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(fields) => {
            for (k, child) in fields.iter().filter(|(k, _)| !k.contains('.')) {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                numbers_in(child, &path, out);
            }
        }
        Value::Number(_) => out.push(prefix.to_string()),
        _ => {}
    }
}

#[test]
fn metric_paths_cover_real_summaries_and_resolve_as_their_json() {
    // Breakers and a brownout, cells, active-active conflicts, a runbook.
    for f in [
        "scenarios/slow-primary-guarded.json",
        "scenarios/poison-customer-shuffle-shard.json",
        "scenarios/aa-lww-skew.json",
        "scenarios/gameday-naive.json",
    ] {
        let s = scenario::load(f).expect("valid");
        let r = run(&s, &RunOptions::default()).expect("runs");
        let regions: Vec<&str> = s.regions.iter().map(|x| x.name.as_str()).collect();
        let listed = metric_paths(&regions);
        let json = serde_json::to_value(&r.metrics).unwrap();
        let mut present = Vec::new();
        numbers_in(&json, "", &mut present);
        for p in &present {
            assert!(listed.contains(p), "{f}: {p} is in summary.json but not listed");
        }
        for p in &listed {
            let in_json = p.split('.').try_fold(&json, |v, k| v.get(k)).and_then(Value::as_f64);
            assert_eq!(r.metrics.metric(p), in_json, "{f}: {p}");
        }
    }
}

/// Every path a bundled scenario's `expect.metrics` names is one the summary can hold.
#[test]
fn bundled_expectations_name_listed_paths() {
    for dir in ["scenarios", "scenarios/negative"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path().display().to_string();
            if !p.ends_with(".json") || p.ends_with("schema.json") {
                continue;
            }
            let s = scenario::load(&p).expect("valid");
            let regions: Vec<&str> = s.regions.iter().map(|x| x.name.as_str()).collect();
            let listed = metric_paths(&regions);
            for (path, _, _) in s.expect.iter().flat_map(|e| &e.metrics) {
                assert!(listed.contains(path), "{p}: {path}");
            }
        }
    }
}
