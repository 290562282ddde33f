//! The sweep report, from `sweep.json` (a whole sweep or merged shards): a terminal
//! summary and `sweep.html` with per-invariant failure rates, metric distributions
//! and the coverage heatmap of fault kind x region x phase. Pure functions of the
//! typed sweep document; the `&Value` entry points read back what `sweep_json` or
//! `merge` produced.

use super::compare::Dist;
use super::html::escape;
use super::words::{count, seeds_of};
use crate::explore::sweep::{CoverageCount, CoveragePhase, InvariantRate, SweepDoc, SweepSummary};
use serde_json::Value;
use std::fmt::Write as _;

/// A figure as the sweep tables show it: whole numbers bare, the rest to three digits
/// (one past 100).
fn f(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.3}"),
    }
}

/// A number written as sweep.json writes it (`20.0`, not `20`).
fn json_number(x: f64) -> String {
    Value::from(x).to_string()
}

fn title(doc: &SweepDoc) -> String {
    let shard = doc.shard.map_or(String::new(), |s| format!(", shard {}/{}", s.index, s.of));
    let (from, to) = (doc.sweep.seeds_from, doc.sweep.seeds_to);
    let seeds = if from == to { format!("seed {from}") } else { format!("seeds {from}..{to}") };
    let runs = count(doc.summary.seeds, "run", "runs");
    format!("{} · {seeds} ({runs}{shard})", doc.sweep.scenario)
}

/// A metric's label with its unit, as the tables head it.
fn labelled(label: &str, unit: &str) -> String {
    if unit.is_empty() {
        label.to_string()
    } else {
        format!("{label} ({unit})")
    }
}

/// The terminal summary of a sweep document gameday wrote.
pub fn sweep_terminal(v: &Value) -> String {
    sweep_terminal_of(&SweepDoc::read(v))
}

pub fn sweep_terminal_of(doc: &SweepDoc) -> String {
    let s = &doc.summary;
    let mut o = String::new();
    let _ = writeln!(o, "gameday {} · sweep · {}", env!("CARGO_PKG_VERSION"), title(doc));
    let _ =
        writeln!(o, "\n{:<22} {:>9} {:>8}  first violating seeds", "invariant", "violated", "rate");
    for i in &s.invariants {
        let seeds: Vec<String> = i.first_failing.iter().map(|x| x.seed.to_string()).collect();
        let line = format!(
            "{:<22} {:>9} {:>7.1}%  {}",
            i.id,
            i.violated_seeds,
            i.rate * 100.0,
            seeds.join(", ")
        );
        let _ = writeln!(o, "{}", line.trim_end());
    }
    // The label column as wide as its longest label, so long labels keep the figures
    // in their columns.
    let measured = || s.metrics.iter().filter(|m| m.distribution.is_some());
    let w = measured().map(|m| labelled(&m.label, &m.unit).chars().count()).max().unwrap_or(0);
    let w = w.max("metric".len());
    let _ =
        writeln!(o, "\n{:<w$} {:>10} {:>10} {:>10} {:>10}", "metric", "min", "p50", "p99", "max");
    for m in measured() {
        let Some(d) = m.distribution else { continue };
        let label = labelled(&m.label, &m.unit);
        let (min, p50, p99, max) = (f(Some(d.min)), f(Some(d.p50)), f(Some(d.p99)), f(Some(d.max)));
        let _ = writeln!(o, "{label:<w$} {min:>10} {p50:>10} {p99:>10} {max:>10}");
    }
    if !s.coverage.is_empty() {
        let combinations = count(s.coverage.len(), "combination", "combinations");
        let _ = writeln!(o, "\ncoverage: {combinations} of fault kind, region and phase; table and heatmap in sweep.html");
    }
    let limits = s.limit_hit.len();
    let _ = writeln!(
        o,
        "\n{} missed the scenario's expectations{}",
        seeds_of(s.failed_expectations, s.seeds),
        if limits > 0 { format!("; {limits} hit a limit") } else { String::new() }
    );
    if let Some(line) = first_failure_text(doc) {
        let _ = writeln!(o, "{line}");
    }
    super::fit(&o, super::TERMINAL_COLUMNS)
}

/// The smallest seed that missed the scenario's expectations (or hit a limit), what
/// went wrong in it and the command that replays it; none when every seed met them.
fn first_failure_text(doc: &SweepDoc) -> Option<String> {
    let first = doc.summary.first_failure.as_ref()?;
    let record = doc.records.iter().find(|r| r.seed == first.seed);
    let what = match record {
        Some(r) if r.error.is_some() => "hit a limit".to_string(),
        Some(r) if !r.violated.is_empty() => {
            format!("missed the expectations; violated {}", r.violated.join(", "))
        }
        _ => "missed the expectations".to_string(),
    };
    Some(format!("first failure: seed {} ({what}); replay: {}", first.seed, first.replay))
}

/// A horizontal bar per invariant: the share of seeds that violated it.
fn rate_bars(inv: &[InvariantRate]) -> String {
    let (w, row) = (760.0, 24.0);
    let h = 30.0 + row * inv.len() as f64;
    let mut o = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">");
    let x0 = 190.0;
    let bw = w - x0 - 80.0;
    for (k, i) in inv.iter().enumerate() {
        let y = 20.0 + row * k as f64;
        let rate = i.rate;
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            x0 - 8.0,
            y + 14.0,
            escape(&i.id)
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
            i.violated_seeds
        );
    }
    o.push_str("</svg>");
    o
}

/// A strip of ticks per metric: every seed's value on the metric's range.
fn strip(values: &[f64], dist: &Dist) -> String {
    let (w, h) = (300.0, 22.0);
    let (lo, hi) = (dist.min, dist.max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut o = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\"><rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#fafafa\"/>");
    for v in values {
        let x = 4.0 + (w - 8.0) * (v - lo) / span;
        let _ = write!(o, "<line x1=\"{x:.1}\" y1=\"3\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#1f77b4\" stroke-opacity=\"0.35\"/>", h - 3.0);
    }
    let x = 4.0 + (w - 8.0) * (dist.p50 - lo) / span;
    let _ = write!(o, "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{h}\" stroke=\"#d62728\" stroke-width=\"2\"/>");
    o.push_str("</svg>");
    o
}

/// Fault kind x region rows, phase columns, shaded by count.
fn heatmap(cov: &[CoverageCount]) -> String {
    let mut rows: Vec<(&str, &str)> =
        cov.iter().map(|c| (c.kind.as_str(), c.region.as_str())).collect();
    rows.sort();
    rows.dedup();
    let count = |k: &str, r: &str, p: CoveragePhase| {
        cov.iter().find(|c| c.kind == k && c.region == r && c.phase == p).map_or(0, |c| c.count)
    };
    let max = cov.iter().map(|c| c.count).max().unwrap_or(1).max(1) as f64;
    let (x0, cw, rh) = (260.0, 110.0, 22.0);
    let w = x0 + cw * 3.0 + 10.0;
    let h = 30.0 + rh * rows.len() as f64;
    let mut o = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">");
    for (j, p) in CoveragePhase::SHOWN.iter().enumerate() {
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>",
            x0 + cw * j as f64 + cw / 2.0,
            p.name()
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
        for (j, p) in CoveragePhase::SHOWN.iter().enumerate() {
            let n = count(k, r, *p);
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

/// `sweep.html` of a sweep document gameday wrote.
pub fn sweep_html(v: &Value) -> String {
    sweep_html_of(&SweepDoc::read(v))
}

pub fn sweep_html_of(doc: &SweepDoc) -> String {
    let s = &doc.summary;
    let id = &doc.sweep;
    let mut o = String::new();
    let _ = write!(o, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta charset=\"utf-8\"/><meta name=\"generator\" content=\"gameday\"/><title>gameday sweep · {}</title>", escape(&id.scenario));
    o.push_str("<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}.muted{color:#666}table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:middle}th{background:#f4f4f4}code{background:#f4f4f4;padding:1px 4px}</style></head><body>");
    let _ = write!(o, "<h1>Sweep: {}</h1>", escape(&title(doc)));
    let _ = write!(
        o,
        "<p class=\"muted\">scenario {} ({}) · drill {} s · gameday {} · each seed an independent simulation, with its own swarm schedule when the scenario has one</p>",
        escape(&id.file),
        escape(&id.hash),
        json_number(id.duration_s),
        env!("CARGO_PKG_VERSION")
    );
    let _ = write!(
        o,
        "<p>{} missed the scenario's expectations.</p>",
        seeds_of(s.failed_expectations, s.seeds)
    );
    if doc.partial {
        let seeds: Vec<String> = doc.records.iter().map(|r| r.seed.to_string()).collect();
        let _ = write!(
            o,
            "<p style=\"color:#c62828;font-weight:bold\">Partial: the sweep was interrupted (Ctrl-C); only these {} seeds ran: {}.</p>",
            seeds.len(),
            escape(&seeds.join(", "))
        );
    }
    if let Some(line) = first_failure_text(doc) {
        let _ = write!(o, "<p>{}</p>", escape(&line));
    }
    html_invariants(&mut o, s);
    html_metrics(&mut o, doc);
    if !s.coverage.is_empty() {
        o.push_str("<h2>Coverage: fault kind × target region × phase</h2><p class=\"muted\">how many faults of each kind hit each region while the system was steady, promoting a new writer, or recovering from an earlier fault</p>");
        o.push_str(&heatmap(&s.coverage));
    }
    o.push_str("</body></html>\n");
    o
}

/// The failure rate bars, and each invariant's first failing seeds to replay.
fn html_invariants(o: &mut String, s: &SweepSummary) {
    o.push_str("<h2>Failure rate per invariant</h2>");
    o.push_str(&rate_bars(&s.invariants));
    o.push_str("<table><tr><th>invariant</th><th>seeds violating</th><th>first violating seeds (replay)</th></tr>");
    for i in &s.invariants {
        let firsts: Vec<String> = i
            .first_failing
            .iter()
            .take(3)
            .map(|x| format!("<code>{}</code>", escape(&x.replay)))
            .collect();
        let _ = write!(
            o,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(&i.id),
            i.violated_seeds,
            firsts.join("<br/>")
        );
    }
    o.push_str("</table>");
}

/// Each measured metric's distribution, with every seed's value as a strip.
fn html_metrics(o: &mut String, doc: &SweepDoc) {
    o.push_str("<h2>Metric distributions</h2><p class=\"muted\">each tick one seed; red: the median</p><table><tr><th>metric</th><th>min</th><th>p50</th><th>p99</th><th>max</th><th>seeds</th></tr>");
    for (k, m) in doc.summary.metrics.iter().enumerate() {
        let Some(d) = &m.distribution else { continue };
        let vals: Vec<f64> =
            doc.records.iter().filter_map(|r| r.metrics.get(k).copied().flatten()).collect();
        let unit = if m.unit.is_empty() || m.unit == "share" {
            String::new()
        } else {
            format!(" ({})", escape(&m.unit))
        };
        let _ = write!(
            o,
            "<tr><td>{}{unit}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.label),
            f(Some(d.min)),
            f(Some(d.p50)),
            f(Some(d.p99)),
            f(Some(d.max)),
            strip(&vals, d)
        );
    }
    o.push_str("</table>");
}
