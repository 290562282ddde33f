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
