//! The sweep report, from `sweep.json` (a whole sweep or merged shards): a terminal
//! summary and `sweep.html` with per-invariant failure rates, metric distributions
//! and the coverage heatmap of fault kind x region x phase.

use super::html::escape;
use serde_json::Value;
use std::fmt::Write as _;

fn f(v: &Value) -> String {
    match v.as_f64() {
        None => "–".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.3}"),
    }
}

fn title(v: &Value) -> String {
    let id = &v["sweep"];
    let shard = match (v["shard"]["index"].as_u64(), v["shard"]["of"].as_u64()) {
        (Some(i), Some(n)) => format!(", shard {i}/{n}"),
        _ => String::new(),
    };
    format!(
        "{} · seeds {}..{} ({} runs{shard})",
        id["scenario"].as_str().unwrap_or("?"),
        id["seeds_from"],
        id["seeds_to"],
        v["summary"]["seeds"]
    )
}

pub fn sweep_terminal(v: &Value) -> String {
    let s = &v["summary"];
    let mut o = String::new();
    let _ = writeln!(o, "gameday {} · sweep · {}", env!("CARGO_PKG_VERSION"), title(v));
    let _ =
        writeln!(o, "\n{:<22} {:>9} {:>8}  first failing seeds", "invariant", "violated", "rate");
    let mut first_replay = None;
    for i in s["invariants"].as_array().into_iter().flatten() {
        let seeds: Vec<String> = i["first_failing"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| x["seed"].to_string())
            .collect();
        if first_replay.is_none() {
            first_replay = i["first_failing"][0]["replay"].as_str().map(String::from);
        }
        let _ = writeln!(
            o,
            "{:<22} {:>9} {:>7.1}%  {}",
            i["id"].as_str().unwrap_or("?"),
            i["violated_seeds"].as_u64().unwrap_or(0),
            i["rate"].as_f64().unwrap_or(0.0) * 100.0,
            seeds.join(", ")
        );
    }
    let _ =
        writeln!(o, "\n{:<40} {:>10} {:>10} {:>10} {:>10}", "metric", "min", "p50", "p99", "max");
    for m in s["metrics"].as_array().into_iter().flatten() {
        let d = &m["distribution"];
        if d.is_null() {
            continue;
        }
        let unit = m["unit"].as_str().unwrap_or("");
        let label = format!(
            "{}{}",
            m["label"].as_str().unwrap_or("?"),
            if unit.is_empty() { String::new() } else { format!(" ({unit})") }
        );
        let _ = writeln!(
            o,
            "{label:<40} {:>10} {:>10} {:>10} {:>10}",
            f(&d["min"]),
            f(&d["p50"]),
            f(&d["p99"]),
            f(&d["max"])
        );
    }
    let cov = s["coverage"].as_array().map_or(0, Vec::len);
    if cov > 0 {
        let _ = writeln!(o, "\ncoverage: {cov} (fault kind, region, phase) combinations; table and heatmap in sweep.html");
    }
    let limits = s["limit_hit"].as_array().map_or(0, Vec::len);
    let _ = writeln!(
        o,
        "\n{} of {} seeds missed the scenario's expectations{}",
        s["failed_expectations"],
        s["seeds"],
        if limits > 0 { format!("; {limits} hit a limit") } else { String::new() }
    );
    if let Some(r) = first_replay {
        let _ = writeln!(o, "replay the first failure: {r}");
    }
    super::fit(&o, super::TERMINAL_COLUMNS)
}

/// A horizontal bar per invariant: the share of seeds that violated it.
fn rate_bars(s: &Value) -> String {
    let inv: Vec<&Value> =
        s["invariants"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let (w, row) = (760.0, 24.0);
    let h = 30.0 + row * inv.len() as f64;
    let mut o = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">");
    let x0 = 190.0;
    let bw = w - x0 - 80.0;
    for (k, i) in inv.iter().enumerate() {
        let y = 20.0 + row * k as f64;
        let rate = i["rate"].as_f64().unwrap_or(0.0);
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            x0 - 8.0,
            y + 14.0,
            escape(i["id"].as_str().unwrap_or("?"))
        );
        let _ = write!(
            o,
            "<rect x=\"{x0}\" y=\"{}\" width=\"{bw}\" height=\"16\" fill=\"#f0f0f0\"/>",
            y + 2.0
        );
        let color = if rate > 0.0 { "#c62828" } else { "#1a7f37" };
        let _ = write!(
            o,
            "<rect x=\"{x0}\" y=\"{}\" width=\"{:.1}\" height=\"16\" fill=\"{color}\"/>",
            y + 2.0,
            bw * rate
        );
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\">{:.1}% ({})</text>",
            x0 + bw + 6.0,
            y + 14.0,
            rate * 100.0,
            i["violated_seeds"]
        );
    }
    o.push_str("</svg>");
    o
}

/// A strip of ticks per metric: every seed's value on the metric's range.
fn strip(values: &[f64], dist: &Value) -> String {
    let (w, h) = (300.0, 22.0);
    let (lo, hi) = (dist["min"].as_f64().unwrap_or(0.0), dist["max"].as_f64().unwrap_or(0.0));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut o = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\"><rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#fafafa\"/>");
    for v in values {
        let x = 4.0 + (w - 8.0) * (v - lo) / span;
        let _ = write!(o, "<line x1=\"{x:.1}\" y1=\"3\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#1f77b4\" stroke-opacity=\"0.35\"/>", h - 3.0);
    }
    if let Some(p) = dist["p50"].as_f64() {
        let x = 4.0 + (w - 8.0) * (p - lo) / span;
        let _ = write!(o, "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{h}\" stroke=\"#d62728\" stroke-width=\"2\"/>");
    }
    o.push_str("</svg>");
    o
}

/// Fault kind x region rows, phase columns, shaded by count.
fn heatmap(cov: &[Value]) -> String {
    let phases = ["steady", "promotion", "recovery"];
    let mut rows: Vec<(String, String)> = cov
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or("?").to_string(),
                c["region"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    rows.sort();
    rows.dedup();
    let count = |k: &str, r: &str, p: &str| {
        cov.iter()
            .find(|c| c["kind"] == k && c["region"] == r && c["phase"] == p)
            .and_then(|c| c["count"].as_u64())
            .unwrap_or(0)
    };
    let max = cov.iter().filter_map(|c| c["count"].as_u64()).max().unwrap_or(1).max(1) as f64;
    let (x0, cw, rh) = (260.0, 110.0, 22.0);
    let w = x0 + cw * 3.0 + 10.0;
    let h = 30.0 + rh * rows.len() as f64;
    let mut o = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">");
    for (j, p) in phases.iter().enumerate() {
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">{p}</text>",
            x0 + cw * j as f64 + cw / 2.0
        );
    }
    for (i, (k, r)) in rows.iter().enumerate() {
        let y = 24.0 + rh * i as f64;
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} · {}</text>",
            x0 - 8.0,
            y + 15.0,
            escape(k),
            escape(r)
        );
        for (j, p) in phases.iter().enumerate() {
            let n = count(k, r, p);
            let a = if n == 0 { 0.0 } else { 0.12 + 0.88 * (n as f64 / max) };
            let x = x0 + cw * j as f64;
            let _ = write!(o, "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"#3b6fb6\" fill-opacity=\"{a:.2}\" stroke=\"#ddd\"/>", cw - 2.0, rh - 2.0);
            let color = if a > 0.55 { "white" } else { "#222" };
            let _ = write!(
                o,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{color}\">{n}</text>",
                x + cw / 2.0,
                y + 15.0
            );
        }
    }
    o.push_str("</svg>");
    o
}

pub fn sweep_html(v: &Value) -> String {
    let s = &v["summary"];
    let mut o = String::new();
    let _ = write!(o, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta charset=\"utf-8\"/><meta name=\"generator\" content=\"gameday\"/><title>gameday sweep · {}</title>", escape(v["sweep"]["scenario"].as_str().unwrap_or("?")));
    o.push_str("<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}.muted{color:#666}table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:middle}th{background:#f4f4f4}code{background:#f4f4f4;padding:1px 4px}</style></head><body>");
    let _ = write!(o, "<h1>Sweep: {}</h1>", escape(&title(v)));
    let _ = write!(
        o,
        "<p class=\"muted\">scenario {} ({}) · drill {} s · gameday {} · each seed an independent simulation, with its own swarm schedule when the scenario has one</p>",
        escape(v["sweep"]["file"].as_str().unwrap_or("?")),
        escape(v["sweep"]["hash"].as_str().unwrap_or("?")),
        v["sweep"]["duration_s"],
        env!("CARGO_PKG_VERSION")
    );
    let _ = write!(
        o,
        "<p>{} of {} seeds missed the scenario's expectations.</p>",
        s["failed_expectations"], s["seeds"]
    );
    o.push_str("<h2>Failure rate per invariant</h2>");
    o.push_str(&rate_bars(s));
    o.push_str("<table><tr><th>invariant</th><th>seeds violating</th><th>first failing seeds (replay)</th></tr>");
    for i in s["invariants"].as_array().into_iter().flatten() {
        let firsts: Vec<String> = i["first_failing"]
            .as_array()
            .into_iter()
            .flatten()
            .take(3)
            .map(|x| format!("<code>{}</code>", escape(x["replay"].as_str().unwrap_or(""))))
            .collect();
        let _ = write!(
            o,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(i["id"].as_str().unwrap_or("?")),
            i["violated_seeds"],
            firsts.join("<br/>")
        );
    }
    o.push_str("</table><h2>Metric distributions</h2><p class=\"muted\">each tick one seed; red: the median</p><table><tr><th>metric</th><th>min</th><th>p50</th><th>p99</th><th>max</th><th>seeds</th></tr>");
    let records = v["records"].as_array().cloned().unwrap_or_default();
    for (k, m) in s["metrics"].as_array().into_iter().flatten().enumerate() {
        let d = &m["distribution"];
        if d.is_null() {
            continue;
        }
        let vals: Vec<f64> = records.iter().filter_map(|r| r["metrics"][k].as_f64()).collect();
        let unit = m["unit"].as_str().unwrap_or("");
        let _ = write!(
            o,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(m["label"].as_str().unwrap_or("?")),
            if unit.is_empty() || unit == "share" {
                String::new()
            } else {
                format!(" ({})", escape(unit))
            },
            f(&d["min"]),
            f(&d["p50"]),
            f(&d["p99"]),
            f(&d["max"]),
            strip(&vals, d)
        );
    }
    o.push_str("</table>");
    if let Some(cov) = s["coverage"].as_array().filter(|c| !c.is_empty()) {
        o.push_str("<h2>Coverage: fault kind × target region × phase</h2><p class=\"muted\">how many faults of each kind hit each region while the system was steady, promoting a new writer, or recovering from an earlier fault</p>");
        o.push_str(&heatmap(cov));
    }
    o.push_str("</body></html>\n");
    o
}
