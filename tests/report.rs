//! report.html: well formed, one plot per series group, fault windows and violation
//! markers drawn, every scenario string escaped.

use gameday::report::html::report_html;
use gameday::scenario;
use gameday::sim::{run, RunOptions};

fn page(path: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    let s = scenario::from_str(path, &v.to_string()).unwrap();
    report_html(&run(&s, &RunOptions::default()).unwrap())
}

fn parse(html: &str) -> roxmltree::Document<'_> {
    let body = html.strip_prefix("<!DOCTYPE html>\n").expect("doctype");
    roxmltree::Document::parse(body).expect("report.html is well-formed XML")
}

#[test]
fn the_report_is_well_formed_with_plots_fault_windows_and_markers() {
    let html = page("scenarios/unfenced-promotion.json", |_| {});
    let doc = parse(&html);
    let svgs: Vec<_> = doc.descendants().filter(|n| n.tag_name().name() == "svg").collect();
    for title in [
        "Load, all regions",
        "Throughput by client region",
        "Error rate by client region",
        "Client latency by client region",
        "Replication lag per replica",
        "Writer ownership",
        "Routing: where each client region sends writes",
    ] {
        assert_eq!(
            svgs.iter()
                .filter(|s| s.descendants().any(|t| t.text().is_some_and(|x| x.contains(title))))
                .count(),
            1,
            "one plot titled {title:?}"
        );
    }
    // Every plot on the time axis shades both faults (the partition and the operator's
    // promotion); the linearizability counterexample's timeline is the one other drawing.
    let on_time_axis = |s: &roxmltree::Node| {
        s.descendants().any(|t| t.text().is_some_and(|x| x.contains("simulated seconds")))
    };
    let (plots, others): (Vec<&roxmltree::Node>, Vec<_>) =
        svgs.iter().partition(|s| on_time_axis(s));
    assert_eq!(others.len(), 1, "the counterexample timeline");
    assert!(html.contains("<h3>Counterexample: <code>linearizable</code></h3>"));
    assert!(plots.len() >= 7);
    for svg in &plots {
        let shades = svg
            .descendants()
            .filter(|n| n.tag_name().name() == "rect" && n.attribute("fill") == Some("#E6550D"))
            .count();
        assert_eq!(shades, 2, "both fault windows in every plot");
    }
    // The ownership band shows both writers of the split brain, each with its epoch.
    assert!(html.contains("writer, epoch 1") && html.contains("writer, epoch 2"));
    // Each plot labels the faults and marks the first violation of each invariant.
    assert!(html.contains("\npartition\n"), "fault window label");
    assert!(html.contains("✖ single_writer"), "violation marker");
    assert!(html.contains("as this scenario expects"));
    assert!(html.contains("gameday run scenarios/unfenced-promotion.json --seed 7"));
}

#[test]
fn scenario_strings_are_escaped() {
    let html = page("scenarios/active-passive-healthy.json", |v| {
        v["name"] = serde_json::Value::from("<script>alert('x')</script>");
        v["description"] = serde_json::Value::from("a & b <i>c</i>");
    });
    parse(&html);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("a &amp; b &lt;i&gt;c&lt;/i&gt;"));
}

/// The terminal summary without its one wall-clock figure.
fn stable_terminal(r: &gameday::sim::RunResult) -> String {
    let t = gameday::report::terminal(r);
    let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
    // Whichever line holds it: a long headline above it wraps onto two lines.
    for l in &mut lines {
        if let (Some(a), Some(b)) = (l.find(" events · "), l.find(" M events/s")) {
            l.replace_range(a + " events · ".len()..b, "[rate]");
        }
    }
    lines.join("\n")
}

#[test]
fn terminal_summary_snapshot_and_width() {
    let s = scenario::load("scenarios/unfenced-promotion.json").unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    let t = stable_terminal(&r);
    assert!(t.lines().all(|l| l.chars().count() <= gameday::report::TERMINAL_COLUMNS), "{t}");
    insta::assert_snapshot!("terminal_unfenced_promotion", t);
}

/// `v` with every time series replaced by its point count: the figures stay, the
/// series (pinned by their own tests) do not bloat the snapshot.
fn without_series(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            if let Some(n) = o.get("points").and_then(|p| p.as_array()).map(Vec::len) {
                *v = serde_json::json!({ "series_points": n });
                return;
            }
            // The counterexample's drawing is tested on its own; its text stays.
            if let Some(svg) = o.get_mut("counterexample_svg").filter(|s| s.is_string()) {
                *svg = serde_json::json!("<svg …>");
            }
            o.values_mut().for_each(without_series);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(without_series),
        _ => {}
    }
}

/// Every bundled scenario: its terminal table and its summary's figures, pinned.
#[test]
fn bundled_scenario_snapshots() {
    use rayon::prelude::*;
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "schema.json"))
        .collect();
    files.sort();
    let runs: Vec<(String, String, serde_json::Value)> = files
        .par_iter()
        .map(|p| {
            let s = scenario::load(p.to_str().unwrap()).unwrap();
            let r = run(&s, &RunOptions::default()).unwrap();
            let mut v = gameday::report::summary_json(&r);
            let o = v.as_object_mut().unwrap();
            o.remove("perf");
            o.remove("events_per_sec");
            without_series(&mut v);
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, stable_terminal(&r), v)
        })
        .collect();
    assert!(runs.len() >= 30, "{} bundled scenarios", runs.len());
    for (name, terminal, summary) in runs {
        insta::assert_snapshot!(format!("terminal__{name}"), terminal);
        insta::assert_json_snapshot!(format!("summary__{name}"), summary);
    }
}

#[test]
fn summary_json_snapshot() {
    let s = scenario::load("scenarios/active-passive-healthy.json").unwrap();
    let opts = RunOptions {
        duration: Some(gameday::engine::SimDuration::from_secs(5)),
        ..Default::default()
    };
    let r = run(&s, &opts).unwrap();
    let mut v = gameday::report::summary_json(&r);
    let o = v.as_object_mut().unwrap();
    o.remove("perf");
    o.remove("events_per_sec");
    insta::assert_json_snapshot!("summary_active_passive_healthy_5s", v);
}
