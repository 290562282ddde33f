//! The comparison report: `compare.json`, a side-by-side terminal table and
//! `compare.html` with overlaid time plots. Every invariant and headline metric gets
//! one row and one column per design; where designs differ, the better is marked.

mod noise;
mod terminal;
mod why;

use super::html::{band, escape, plot, spans, BandRow, Frame, Line, COLORS};
use super::{format_metric, KeyMetric};
use crate::check::Status;
use crate::compare;
use crate::metrics::{RegionTimeline, Series, Summary};
pub use crate::outcome::{distribution, Dist};
pub use noise::{Difference, Rule};
use serde_json::{json, Value};
use std::fmt::Write as _;
pub use terminal::compare_terminal;

/// The comparison this module renders: each run's headline metrics as `key_metrics`
/// gives them (the command line asks `compare::compare` for exactly those).
pub type Comparison = compare::Comparison<Vec<KeyMetric>>;

/// One invariant across designs: per design, seeds that violated it and violations.
pub struct InvariantRow {
    pub id: &'static str,
    pub per_design: Vec<(usize, u64)>,
    /// Designs with the best result, when the designs differ.
    pub best: Vec<usize>,
}

/// One metric across designs: per design, its distribution over seeds.
pub struct MetricRow {
    pub metric: KeyMetric,
    pub per_design: Vec<Option<Dist>>,
    /// Designs better beyond run-to-run noise (see `noise`); empty when none is.
    pub best: Vec<usize>,
    pub difference: Difference,
}

/// The rule that decides which differences count, from the comparison's seed count.
pub fn rule(comparison: &Comparison) -> Rule {
    Rule::for_seeds(comparison.seeds.len())
}

/// The designs whose `key` is best, or none when all are equal.
fn best_of<K: PartialOrd + Copy>(keys: &[Option<K>], lower_is_better: bool) -> Vec<usize> {
    let present: Vec<K> = keys.iter().flatten().copied().collect();
    let Some(&first) = present.first() else { return Vec::new() };
    let best = present.iter().copied().fold(first, |a, b| {
        let better = if lower_is_better { b < a } else { b > a };
        if better {
            b
        } else {
            a
        }
    });
    if present.iter().all(|k| *k == best) && present.len() == keys.len() {
        return Vec::new();
    }
    keys.iter().enumerate().filter(|(_, k)| **k == Some(best)).map(|(i, _)| i).collect()
}

pub fn invariant_rows(comparison: &Comparison) -> Vec<InvariantRow> {
    let ids: Vec<&'static str> = comparison.outcomes[0][0].invariants.iter().map(|i| i.0).collect();
    ids.into_iter()
        .enumerate()
        .map(|(k, id)| {
            let per_design: Vec<(usize, u64)> = comparison
                .outcomes
                .iter()
                .map(|runs| {
                    runs.iter().fold((0, 0), |(s, n), o| {
                        let (_, violated, count) = o.invariants[k];
                        (s + usize::from(violated), n + count)
                    })
                })
                .collect();
            // Fewer violating seeds is better; how many violations a violating seed
            // had is not (one violation already breaks the invariant).
            let keys: Vec<Option<usize>> = per_design.iter().map(|p| Some(p.0)).collect();
            InvariantRow { id, best: best_of(&keys, true), per_design }
        })
        .collect()
}

pub fn metric_rows(comparison: &Comparison) -> Vec<MetricRow> {
    let template = &comparison.outcomes[0][0].metrics;
    template
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let per_design: Vec<Option<Dist>> = comparison
                .outcomes
                .iter()
                .map(|runs| {
                    let vals: Vec<f64> = runs.iter().filter_map(|o| o.metrics[k].value).collect();
                    distribution(&vals)
                })
                .collect();
            let (best, difference) = noise::best(&per_design, m, rule(comparison));
            let metric = KeyMetric { value: None, ..m.clone() };
            MetricRow { metric, per_design, best, difference }
        })
        .collect()
}

fn invariant_cell(comparison: &Comparison, (seeds, count): (usize, u64)) -> String {
    if comparison.seeds.len() == 1 {
        if seeds > 0 {
            format!("VIOLATED ({count})")
        } else {
            "held".to_string()
        }
    } else {
        format!("{seeds}/{} seeds", comparison.seeds.len())
    }
}

fn metric_cell(comparison: &Comparison, metric: &KeyMetric, d: Option<Dist>) -> String {
    match d {
        None => "–".to_string(),
        Some(d) if comparison.seeds.len() == 1 => format_metric(metric, Some(d.p50)),
        Some(d) => format!(
            "{} [{}–{}]",
            format_metric(metric, Some(d.p50)),
            format_metric(metric, Some(d.min)),
            format_metric(metric, Some(d.max))
        ),
    }
}

/// Why the less available designs are less available (see `why`), when availability
/// differs beyond noise; empty otherwise.
pub fn availability_explained(comparison: &Comparison, rows: &[MetricRow]) -> Vec<String> {
    let Some(row) = rows.iter().find(|r| r.metric.id == "availability") else { return Vec::new() };
    let Some(&better) = row.best.first() else { return Vec::new() };
    let worse: Vec<usize> = (0..comparison.designs.len())
        .filter(|d| !row.best.contains(d) && row.per_design[*d].is_some())
        .collect();
    why::less_available(comparison, better, &worse)
}

/// Metrics whose values differ between designs but within run-to-run noise.
pub fn within_noise(rows: &[MetricRow]) -> Vec<&'static str> {
    rows.iter()
        .filter(|r| r.difference == Difference::WithinNoise)
        .map(|r| r.metric.label)
        .collect()
}

/// How the designs differ on invariants, in one sentence.
pub fn differences(comparison: &Comparison) -> Vec<String> {
    invariant_rows(comparison)
        .iter()
        .filter(|r| !r.best.is_empty())
        .map(|r| {
            let parts: Vec<String> = r
                .per_design
                .iter()
                .zip(&comparison.designs)
                .map(|(p, d)| format!("{} {}", d.name, invariant_cell(comparison, *p)))
                .collect();
            format!("{}: {}", r.id, parts.join(", "))
        })
        .collect()
}

pub fn compare_json(comparison: &Comparison) -> Value {
    let inv: Vec<Value> = invariant_rows(comparison)
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "designs": r.per_design.iter().map(|(s, n)| json!({"violated_seeds": s, "violations": n})).collect::<Vec<_>>(),
                "best": r.best.iter().map(|&i| &comparison.designs[i].name).collect::<Vec<_>>(),
            })
        })
        .collect();
    let rows = metric_rows(comparison);
    let met: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.metric.id, "label": r.metric.label, "unit": r.metric.unit, "better": r.metric.better,
                "designs": r.per_design,
                "best": r.best.iter().map(|&i| &comparison.designs[i].name).collect::<Vec<_>>(),
                "difference": r.difference.id(),
            })
        })
        .collect();
    json!({
        "schema_version": super::SUMMARY_SCHEMA_VERSION,
        "gameday_version": env!("CARGO_PKG_VERSION"),
        "scenario": {"name": comparison.scenario.name, "file": comparison.scenario.source_path, "hash": format!("{:016x}", comparison.scenario.source_hash)},
        "seeds": comparison.seeds,
        "designs": comparison.designs.iter().map(|d| json!({"name": d.name, "description": d.description, "from": d.origin, "design_patch": d.patch})).collect::<Vec<_>>(),
        "differences": differences(comparison),
        "rule": {"id": rule(comparison).id(), "text": rule(comparison).describe()},
        "availability_explained": availability_explained(comparison, &rows),
        "invariants": inv,
        "metrics": met,
        "runs": comparison.outcomes.iter().zip(&comparison.designs).map(|(runs, d)| json!({
            "design": d.name,
            "seeds": runs.iter().map(|o| json!({
                "seed": o.seed,
                "trace_hash": format!("{:016x}", o.trace_hash),
                "violated": o.invariants.iter().filter(|i| i.1).map(|i| i.0).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// "seed 7", or "seeds 1..20 (20 runs per design)".
fn seeds_text(comparison: &Comparison) -> String {
    match comparison.seeds.as_slice() {
        [one] => format!("seed {one}"),
        [first, .., last] => {
            format!("seeds {first}..{last} ({} runs per design)", comparison.seeds.len())
        }
        [] => "no seeds".to_string(),
    }
}

/// `(seconds, value)` points of a series; none for a series the run does not have.
fn pts(s: Option<&Series>) -> Vec<(f64, f64)> {
    s.map(Series::seconds).unwrap_or_default()
}

/// Several series combined point by point (same times), with `f` (sum or max).
fn combine(series: &[Vec<(f64, f64)>], f: fn(f64, f64) -> f64) -> Vec<(f64, f64)> {
    let mut all: Vec<(f64, f64)> = series.iter().flatten().copied().collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (t, v) in all {
        match out.last_mut() {
            Some((lt, lv)) if *lt == t => *lv = f(*lv, v),
            _ => out.push((t, v)),
        }
    }
    out
}

pub fn compare_html(comparison: &Comparison) -> String {
    let s = &comparison.scenario;
    let mut o = String::new();
    let _ = write!(o, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta charset=\"utf-8\"/><meta name=\"generator\" content=\"gameday\"/><title>gameday compare · {}</title>", escape(&s.name));
    o.push_str("<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}h1{margin-bottom:4px}.muted{color:#666}.best{color:#1a7f37;font-weight:bold}.bad{color:#c62828}table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}code{background:#f4f4f4;padding:1px 4px}</style></head><body>");
    let _ = write!(o, "<h1>Compare: {}</h1><p>{}</p>", escape(&s.name), escape(&s.description));
    let seeds = seeds_text(comparison);
    let _ = write!(
        o,
        "<p class=\"muted\">Each design ran the identical workload and fault timeline with the same seeds · {seeds} · gameday {} · scenario {} ({:016x})</p>",
        env!("CARGO_PKG_VERSION"),
        escape(&s.source_path),
        s.source_hash
    );
    designs_html(&mut o, comparison);
    let diff = differences(comparison);
    if diff.is_empty() {
        o.push_str("<p>The designs agree on every invariant.</p>");
    } else {
        o.push_str("<p>The designs differ on:</p><ul>");
        for d in diff {
            let _ = write!(o, "<li>{}</li>", escape(&d));
        }
        o.push_str("</ul>");
    }
    let rows = metric_rows(comparison);
    let why = availability_explained(comparison, &rows);
    if !why.is_empty() {
        o.push_str("<p>");
        for line in why {
            let _ = write!(o, "{}<br/>", escape(line.trim()));
        }
        o.push_str("</p>");
    }
    invariants_html(&mut o, comparison);
    metrics_html(&mut o, comparison, &rows);
    o.push_str(&overlaid(comparison));
    o.push_str("</body></html>\n");
    o
}

/// The table of designs: each one's colour, name, origin and what it changes.
fn designs_html(o: &mut String, comparison: &Comparison) {
    o.push_str("<table><tr><th>design</th><th>what it changes in the scenario's design</th></tr>");
    for (i, d) in comparison.designs.iter().enumerate() {
        let col = COLORS[i % COLORS.len()];
        let compact = d.patch.to_string();
        let change = if compact.len() <= 100 {
            format!("<code>{}</code>", escape(&compact))
        } else {
            let n = d.patch.as_object().map_or(0, |o| o.len());
            let pretty = serde_json::to_string_pretty(&d.patch).unwrap_or(compact);
            format!(
                "<details><summary>{n} settings</summary><pre>{}</pre></details>",
                escape(&pretty)
            )
        };
        let _ = write!(
            o,
            "<tr><td style=\"min-width:260px\"><span style=\"color:rgb({},{},{})\">■</span> <b>{}</b> <span class=\"muted\">({})</span><br/>{}</td><td>{change}</td></tr>",
            col.0, col.1, col.2,
            escape(&d.name),
            escape(&d.origin),
            escape(&d.description),
        );
    }
    o.push_str("</table>");
}

/// A table's header row: the first column's title, then one column per design.
fn header_html(o: &mut String, comparison: &Comparison, first: &str) {
    let _ = write!(o, "<tr><th>{first}</th>");
    for d in &comparison.designs {
        let _ = write!(o, "<th>{}</th>", escape(&d.name));
    }
    o.push_str("</tr>");
}

/// Invariants, one row each, the better designs starred.
fn invariants_html(o: &mut String, comparison: &Comparison) {
    o.push_str("<h2>Invariants</h2><table>");
    header_html(
        o,
        comparison,
        if comparison.seeds.len() == 1 { "invariant" } else { "invariant (seeds violating)" },
    );
    for r in invariant_rows(comparison) {
        let _ = write!(o, "<tr><td><code>{}</code></td>", r.id);
        for (i, p) in r.per_design.iter().enumerate() {
            let class = if r.best.contains(&i) {
                "best"
            } else if p.0 > 0 {
                "bad"
            } else {
                ""
            };
            let star = if r.best.contains(&i) { " ★" } else { "" };
            let _ =
                write!(o, "<td class=\"{class}\">{}{star}</td>", invariant_cell(comparison, *p));
        }
        o.push_str("</tr>");
    }
    o.push_str("</table>");
}

/// Key metrics, one row each, the better designs starred.
fn metrics_html(o: &mut String, comparison: &Comparison, rows: &[MetricRow]) {
    o.push_str("<h2>Metrics</h2>");
    if comparison.seeds.len() > 1 {
        o.push_str("<p class=\"muted\">median over seeds [min–max]; p99 in compare.json</p>");
    }
    o.push_str("<table>");
    header_html(o, comparison, "metric");
    for r in rows {
        if r.per_design.iter().all(Option::is_none) {
            continue;
        }
        let unit =
            if r.metric.unit == "share" { String::new() } else { format!(" ({})", r.metric.unit) };
        let _ = write!(o, "<tr><td>{}{}</td>", r.metric.label, escape(&unit));
        for (i, d) in r.per_design.iter().enumerate() {
            let (class, star) = if r.best.contains(&i) { ("best", " ★") } else { ("", "") };
            let _ = write!(
                o,
                "<td class=\"{class}\">{}{star}</td>",
                metric_cell(comparison, &r.metric, *d)
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</table>");
    let noise = within_noise(rows);
    if !noise.is_empty() {
        let _ = write!(
            o,
            "<p>No clear difference (within run-to-run noise): {}.</p>",
            escape(&noise.join("; "))
        );
    }
    let _ = write!(
        o,
        "<p class=\"muted\">★ marks the better design; {}.</p>",
        escape(&rule(comparison).describe())
    );
}

/// The designs' first-seed runs on shared plots: one colour per design.
fn overlaid(comparison: &Comparison) -> String {
    let runs = &comparison.first;
    let end = runs.iter().map(|r| r.sim_end.as_secs_f64()).fold(1.0, f64::max);
    let mut fr = Frame::faults_of(&runs[0], end);
    for (d, r) in runs.iter().enumerate() {
        for i in r.invariants.iter().filter(|i| i.status == Status::Violated) {
            if let Some(at) = i.first_at_us {
                let label = format!("✖ {} ({})", i.id, comparison.designs[d].name);
                fr.marks.push((at as f64 / 1e6, label, COLORS[d % COLORS.len()]));
            }
        }
    }
    let regions: Vec<&str> = comparison.scenario.regions.iter().map(|r| r.name.as_str()).collect();
    let per_design = |f: &dyn Fn(&Summary) -> Vec<(f64, f64)>| -> Vec<Line> {
        runs.iter()
            .enumerate()
            .map(|(d, r)| Line {
                name: comparison.designs[d].name.clone(),
                points: f(&r.metrics),
                color: d,
                dashed: false,
            })
            .collect()
    };
    // Each region's series, by what it takes from the region's timeline.
    let each = |m: &Summary, f: fn(&RegionTimeline) -> &Series| -> Vec<Vec<(f64, f64)>> {
        regions.iter().map(|n| pts(m.by_region.get(*n).map(f))).collect()
    };
    let mut o = format!("<h2>Over time (seed {})</h2>", comparison.seeds[0]);
    o.push_str(&plot(
        &fr,
        "Goodput, all regions",
        "operations per second",
        &per_design(&|m| pts(Some(&m.load.goodput_per_s))),
    ));
    let error_rate = |m: &Summary| {
        let ok = combine(&each(m, |t| &t.ok_per_s), |a, b| a + b);
        let bad = combine(&each(m, |t| &t.failed_per_s), |a, b| a + b);
        error_share(&ok, &bad)
    };
    o.push_str(&plot(&fr, "Error rate, all regions", "share failed", &per_design(&error_rate)));
    o.push_str(&plot(
        &fr,
        "Client latency p99, worst region",
        "ms",
        &per_design(&|m| combine(&each(m, |t| &t.latency_p99_ms), f64::max)),
    ));
    o.push_str(&plot(
        &fr,
        "Replication lag, worst replica",
        "ms",
        &per_design(&|m| {
            let lags: Vec<Vec<(f64, f64)>> = regions
                .iter()
                .map(|n| pts(m.replication_lag.get(*n).map(|l| &l.series_ms)))
                .collect();
            combine(&lags, f64::max)
        }),
    ));
    o.push_str(&writer_bands(comparison, &fr, &regions));
    o
}

/// Failures over all completions at each time either series has.
fn error_share(ok: &[(f64, f64)], bad: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut times: Vec<f64> = ok.iter().chain(bad).map(|p| p.0).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let at = |v: &[(f64, f64)], t: f64| v.iter().find(|p| p.0 == t).map_or(0.0, |p| p.1);
    times
        .into_iter()
        .map(|t| {
            let (g, b) = (at(ok, t), at(bad, t));
            (t, if g + b > 0.0 { b / (g + b) } else { 0.0 })
        })
        .collect()
}

/// Writer ownership of every design and region, one band row each.
fn writer_bands(comparison: &Comparison, fr: &Frame, regions: &[&str]) -> String {
    let mut rows = Vec::new();
    for (d, r) in comparison.first.iter().enumerate() {
        let end = r.sim_end.as_secs_f64();
        for n in regions {
            let writer = r.metrics.by_region.get(*n).map(|t| &t.writer);
            // Every span in the design's colour, whichever region it names.
            let spans = spans(writer, &[], end, &|seg| format!("writer, epoch {}", seg.epoch))
                .into_iter()
                .map(|(a, b, text, _)| (a, b, text, COLORS[d % COLORS.len()]))
                .collect();
            rows.push(BandRow { label: format!("{} · {n}", comparison.designs[d].name), spans });
        }
    }
    band(fr, "Writer ownership, by design and region", &rows)
}
