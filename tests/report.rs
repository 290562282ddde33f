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
    let svgs = doc.descendants().filter(|n| n.tag_name().name() == "svg").count();
    assert!(svgs >= 2, "{svgs} plots");
    // Each plot labels the faults and marks the first violation of each invariant.
    assert!(html.contains("\npartition\n"), "fault window label");
    assert!(html.contains("✖ single_writer"), "violation marker");
    assert!(html.contains("expectations met"));
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
    if let Some(l) = lines.get_mut(1) {
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
