//! Checkers that can fail: `scenarios/negative/` holds, for every invariant, a design
//! with one planted bug, and that bug must make exactly that invariant fail while the
//! other nine hold. A checker that cannot see its own violation, or one that fires on
//! another invariant's bug, breaks this test. The one exception is `single_writer`: two
//! writers at once always break fencing too (the second either holds an older epoch or
//! shares one), and two lineages under one epoch lose acknowledged writes; its scenario
//! says so. The planted mechanism bugs (`design.planted_bugs`) are also run without the
//! bug, to show the bug is the cause.

use gameday::scenario::{self, KNOWN_INVARIANTS};
use gameday::sim::{self, RunOptions};

fn statuses(text: &str, file: &str) -> Vec<(String, String)> {
    let r = reports(text, file);
    r.iter().map(|i| (i.id.to_string(), i.status.to_string())).collect()
}

fn reports(text: &str, file: &str) -> Vec<gameday::check::InvariantReport> {
    let s = scenario::from_str(file, text).unwrap_or_else(|e| panic!("{e}"));
    let r = sim::run(&s, &RunOptions::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
    for i in &r.invariants {
        if i.status == gameday::check::Status::Violated {
            assert!(
                !i.trail.is_empty() && i.first_at_us.is_some(),
                "{file}: {} has no trail",
                i.id
            );
        }
    }
    r.invariants
}

/// What each checker reports on its planted bug, pinned: when it first fires, how
/// often, the trail that leads to it and its details (RPO, staleness, duplicates...).
/// The runs are deterministic, so any change here is a change in what a checker sees.
#[test]
fn what_each_checker_reports_is_pinned() {
    let negative = KNOWN_INVARIANTS.iter().map(|inv| format!("scenarios/negative/{inv}.json"));
    pin(negative);
}

/// The same for every bundled scenario (held invariants pin their
/// details too: staleness, RPO, duplicates, recovery times). Between them they take the
/// checkers through paths no single planted bug reaches: merges, quarantined backlogs,
/// indeterminate outcomes, writes still in flight at the end.
#[test]
fn what_each_checker_reports_on_the_bundled_scenarios_is_pinned() {
    let mut files: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json") && !f.ends_with("schema.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{files:?}");
    pin(files.into_iter());
}

fn pin(files: impl Iterator<Item = String>) {
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let r = reports(&text, &file);
        let name =
            file.trim_start_matches("scenarios/").trim_end_matches(".json").replace('/', "-");
        insta::assert_json_snapshot!(name, r);
    }
}

#[test]
fn every_invariant_has_a_planted_bug_that_fails_it_alone() {
    let mut failures = Vec::new();
    for inv in KNOWN_INVARIANTS {
        let file = format!("scenarios/negative/{inv}.json");
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{file}: every invariant needs a negative scenario: {e}"));
        let got = statuses(&text, &file);
        assert_eq!(got.len(), KNOWN_INVARIANTS.len(), "{file}");
        // What a second writer necessarily breaks besides single_writer (see above).
        let implied: &[&str] =
            if *inv == "single_writer" { &["fenced_writes", "acked_durability"] } else { &[] };
        for (id, status) in got {
            let want =
                if id == *inv || implied.contains(&id.as_str()) { "violated" } else { "held" };
            if status != want {
                failures.push(format!("{file}: {id} {status}, expected {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The planted mechanism bugs are what makes the difference: without `ignore-lease` the
/// fenced design holds everything; without `reuse-epoch` the unfenced design's second
/// writer carries an older epoch, and fenced_writes sees it too.
#[test]
fn the_planted_mechanism_bugs_are_the_cause() {
    for (inv, also) in
        [("fenced_writes", vec![]), ("single_writer", vec!["single_writer", "fenced_writes"])]
    {
        let file = format!("scenarios/negative/{inv}.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_ne!(v["design"]["planted_bugs"], serde_json::json!([]), "{file}");
        v["design"]["planted_bugs"] = serde_json::json!([]);
        let got = statuses(&v.to_string(), &file);
        let violated: Vec<&str> =
            got.iter().filter(|(_, s)| s == "violated").map(|(id, _)| id.as_str()).collect();
        assert_eq!(violated, also, "{file} without its planted bug: {got:?}");
    }
}
