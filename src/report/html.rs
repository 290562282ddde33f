//! `report.html`: one self-contained page per run (inline SVG, no external assets) with
//! the verdict, time plots on one shared time axis with every fault window shaded and
//! labelled and each violation marked where it first happened, the invariants with
//! their trails, and the key tables. A pure function from a `RunResult` to a string;
//! every string that came from a scenario is escaped. The page is well-formed XML.

use super::{replay_command, verdict};
use crate::check::details::LinearizableDetails;
use crate::check::Status;
use crate::metrics::{BandSpan, Series, Summary};
use crate::sim::RunResult;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::fmt::Write as _;

pub(crate) const PLOT_W: u32 = 960;
/// The left margin every plot and band shares, so their time axes line up.
pub(crate) const Y_LABEL_W: u32 = 110;
use super::layout::{lanes, segments};
const PLOT_H: u32 = 220;

/// Escapes text for HTML (and XML) content and attributes.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // Control characters XML forbids (and a terminal would obey) become visible.
            _ => o.push(crate::output::text::file_char(c).unwrap_or(c)),
        }
    }
    o
}

/// A named series of `(seconds, value)` points, drawn in colour `color` (an index),
/// dashed when `dashed`.
pub(crate) struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub color: usize,
    pub dashed: bool,
}

/// A series' points in seconds; none for a series the run does not have.
fn points(s: Option<&Series>) -> Vec<(f64, f64)> {
    s.map(Series::seconds).unwrap_or_default()
}

fn series(s: Option<&Series>, name: &str, color: usize) -> Line {
    Line { name: name.to_string(), points: points(s), color, dashed: false }
}

fn dashed(s: Option<&Series>, name: &str, color: usize) -> Line {
    Line { dashed: true, ..series(s, name, color) }
}

/// One row of a timeline band: a label and its spans `(from s, until s, text, colour)`.
pub(crate) struct BandRow {
    pub label: String,
    pub spans: Vec<(f64, f64, String, RGBColor)>,
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// What every plot of one page shares: the time axis, the fault windows and the
/// violation marks.
pub(crate) struct Frame {
    pub end: f64,
    /// `(from s, until s, label)`.
    pub faults: Vec<(f64, f64, String)>,
    /// `(at s, label, colour)`.
    pub marks: Vec<(f64, String, RGBColor)>,
}

impl Frame {
    /// A run's frame: its faults, and each violated invariant where it first failed.
    pub fn of_run(run: &RunResult) -> Self {
        let end = run.sim_end.as_secs_f64().max(1.0);
        let mut f = Frame::faults_of(run, end);
        f.marks = run
            .invariants
            .iter()
            .filter(|i| i.status == Status::Violated)
            .filter_map(|i| Some((i.first_at_us? as f64 / 1e6, format!("✖ {}", i.id), RED)))
            .collect();
        f
    }

    /// The run's time axis and fault windows, without marks.
    pub fn faults_of(run: &RunResult, end: f64) -> Self {
        let faults = run
            .scenario
            .faults
            .iter()
            .map(|f| {
                let a = f.at.as_secs_f64();
                (a, f.until.map_or(a + end / 200.0, |u| u.as_secs_f64()), f.kind.name().to_string())
            })
            .collect();
        Frame { end, faults, marks: Vec::new() }
    }
}

/// Shades every fault window and labels it, the way Jepsen shades nemesis activity;
/// labels step down in rows so overlapping windows stay readable.
fn draw_faults(chart: &mut Chart, fr: &Frame, ymax: f64, labels: bool) {
    let lanes = lanes(fr.faults.iter().map(|f| (f.0, f.2.as_str())), fr.end);
    for ((a, b, name), lane) in fr.faults.iter().zip(lanes) {
        let row = 0.97 - 0.07 * (lane % 4) as f64;
        let _ = chart.draw_series(std::iter::once(Rectangle::new(
            [(*a, 0.0), (*b, ymax)],
            RGBColor(230, 85, 13).mix(0.12).filled(),
        )));
        if !labels {
            continue;
        }
        let _ = chart.draw_series(std::iter::once(Text::new(
            name.clone(),
            (*a, ymax * row),
            ("sans-serif", 11).into_font().color(&RGBColor(166, 54, 3)),
        )));
    }
}

/// A rule and label where each violated invariant first failed.
fn draw_violations(chart: &mut Chart, fr: &Frame, ymax: f64, labels: bool) {
    let lanes = lanes(fr.marks.iter().map(|m| (m.0, m.1.as_str())), fr.end);
    for ((x, label, color), lane) in fr.marks.iter().zip(lanes) {
        let row = 0.70 - 0.06 * (lane % 10) as f64;
        let _ = chart.draw_series(std::iter::once(PathElement::new(
            [(*x, 0.0), (*x, ymax)],
            color.stroke_width(1),
        )));
        if !labels {
            continue;
        }
        let _ = chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (*x, ymax * row),
            ("sans-serif", 11).into_font().color(color),
        )));
    }
}

/// A timeline band: one row per label, coloured spans with their text, on the run's
/// time axis with the fault windows and violations.
pub(crate) fn band(fr: &Frame, title: &str, rows: &[BandRow]) -> String {
    let end = fr.end;
    let n = rows.len().max(1) as f64;
    let h = 64 + 30 * rows.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PLOT_W, h)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(Y_LABEL_W)
            .build_cartesian_2d(0f64..end, 0f64..n)
        else {
            return String::new();
        };
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        let _ = chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len() * 2 + 1)
            .y_label_formatter(&|y| {
                // Labels sit at row centres: n - i - 0.5 for row i, top row first.
                let i = n - y - 0.5;
                if (i - i.round()).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i.round() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc("simulated seconds")
            .light_line_style(WHITE)
            .draw();
        for (i, row) in rows.iter().enumerate() {
            let (lo, hi) = (n - i as f64 - 0.85, n - i as f64 - 0.15);
            for (a, b, text, color) in &row.spans {
                let _ = chart.draw_series(std::iter::once(Rectangle::new(
                    [(*a, lo), (*b, hi)],
                    color.mix(0.55).filled(),
                )));
                let _ = chart.draw_series(std::iter::once(Text::new(
                    text.clone(),
                    (*a + end / 300.0, hi - 0.15),
                    ("sans-serif", 11).into_font().color(&BLACK),
                )));
            }
        }
        // The plots above label faults and violations; here shading and rules suffice.
        draw_faults(&mut chart, fr, n, false);
        draw_violations(&mut chart, fr, n, false);
        let _ = root.present();
    }
    // plotters writes labels (region and design names) as given: no raw controls.
    crate::output::text::file(&svg).into_owned()
}

pub(crate) const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];

/// One plot: lines over the run's time axis, fault windows shaded and labelled,
/// violations marked at their first occurrence.
pub(crate) fn plot(fr: &Frame, title: &str, unit: &str, lines: &[Line]) -> String {
    let end = fr.end;
    let ymax =
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0, f64::max).max(1.0) * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PLOT_W, PLOT_H)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(format!("{title} ({unit})"), ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(Y_LABEL_W)
            .build_cartesian_2d(0f64..end, 0f64..ymax)
        else {
            return String::new();
        };
        let _ = chart
            .configure_mesh()
            .x_desc("simulated seconds")
            .light_line_style(RGBColor(235, 235, 235))
            .draw();
        draw_faults(&mut chart, fr, ymax, true);
        for l in lines {
            let color = COLORS[l.color % COLORS.len()];
            // A gap in the samples (a region down) stays a gap, never a diagonal.
            for (i, part) in segments(&l.points).into_iter().enumerate() {
                let drawn = if l.dashed {
                    chart.draw_series(DashedLineSeries::new(part, 5, 4, color.stroke_width(1)))
                } else {
                    chart.draw_series(LineSeries::new(part, color.stroke_width(2)))
                };
                if let (0, Ok(s)) = (i, drawn) {
                    let w = if l.dashed { 1 } else { 2 };
                    s.label(l.name.clone()).legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 16, y)], color.stroke_width(w))
                    });
                }
            }
        }
        draw_violations(&mut chart, fr, ymax, true);
        let _ = chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperRight)
            .draw();
        let _ = root.present();
    }
    // plotters writes labels (region and design names) as given: no raw controls.
    crate::output::text::file(&svg).into_owned()
}

/// Two series' points summed where their times match (either alone counts as is).
fn sum_points(a: &[(f64, f64)], b: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut all: Vec<(f64, f64)> = a.iter().chain(b).copied().collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(all.len());
    for (t, v) in all {
        match out.last_mut() {
            Some((lt, lv)) if *lt == t => *lv += v,
            _ => out.push((t, v)),
        }
    }
    out
}

/// Every time plot and band of a run, in reading order, as inline SVGs.
fn over_time(run: &RunResult) -> String {
    let names: Vec<&str> = run.scenario.regions.iter().map(|x| x.name.as_str()).collect();
    let frame = Frame::of_run(run);
    let mut o = region_plots(run, &frame, &names);
    o.push_str(&bands(run, &frame, &names));
    o
}

/// Load, throughput, errors, latency, replication lag and queues, as line plots.
fn region_plots(run: &RunResult, fr: &Frame, names: &[&str]) -> String {
    let m = &run.metrics;
    let load = &m.load;
    let by = |name: &str| m.by_region.get(name);
    let mut o = String::new();
    o.push_str(&plot(
        fr,
        "Load, all regions",
        "operations per second",
        &[
            series(Some(&load.offered_per_s), "offered", 0),
            series(Some(&load.goodput_per_s), "goodput", 2),
            dashed(Some(&load.attempts_per_s), "attempts", 1),
        ],
    ));
    let mut lines = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let ok = points(by(n).map(|t| &t.ok_per_s));
        let all = sum_points(&ok, &points(by(n).map(|t| &t.failed_per_s)));
        lines.push(Line { name: format!("{n} goodput"), points: ok, color: i, dashed: false });
        lines.push(Line { name: format!("{n} completed"), points: all, color: i, dashed: true });
    }
    o.push_str(&plot(fr, "Throughput by client region", "operations per second", &lines));
    let errs: Vec<Line> =
        names.iter().enumerate().map(|(i, n)| series(by(n).map(|t| &t.error_rate), n, i)).collect();
    o.push_str(&plot(fr, "Error rate by client region", "share failed", &errs));
    let mut lat = Vec::new();
    for (i, n) in names.iter().enumerate() {
        lat.push(series(by(n).map(|t| &t.latency_p99_ms), &format!("{n} p99"), i));
        lat.push(dashed(by(n).map(|t| &t.latency_p50_ms), &format!("{n} p50"), i));
    }
    o.push_str(&plot(fr, "Client latency by client region", "ms", &lat));
    let lags: Vec<Line> = names
        .iter()
        .enumerate()
        .map(|(i, n)| series(m.replication_lag.get(*n).map(|l| &l.series_ms), n, i))
        .collect();
    o.push_str(&plot(fr, "Replication lag per replica", "ms", &lags));
    if run.scenario.design.capacity.is_some() {
        let depth: Vec<Line> = names
            .iter()
            .enumerate()
            .map(|(i, n)| series(load.queue_depth.get(*n).map(|q| &q.series), n, i))
            .collect();
        o.push_str(&plot(fr, "Deepest cell queue", "requests", &depth));
    }
    o
}

/// A band's spans on the run's time axis, coloured by the region each names (an open
/// span runs to `end`).
pub(crate) fn spans(
    band: Option<&Vec<BandSpan>>,
    names: &[&str],
    end: f64,
    text: &dyn Fn(&BandSpan) -> String,
) -> Vec<(f64, f64, String, RGBColor)> {
    band.map(|b| {
        b.iter()
            .map(|seg| {
                let to = names.iter().position(|n| *n == seg.region);
                (
                    seg.from_s,
                    seg.until_s.unwrap_or(end),
                    text(seg),
                    COLORS[to.unwrap_or(0) % COLORS.len()],
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Writer ownership, routing and circuit breakers, as timeline bands.
fn bands(run: &RunResult, fr: &Frame, names: &[&str]) -> String {
    let m = &run.metrics;
    let end = run.sim_end.as_secs_f64();
    let by = |name: &str| m.by_region.get(name);
    let mut o = String::new();
    let consensus = run.scenario.design.consensus.is_some();
    let (title, what) = if consensus {
        ("Leaders: when each region's replica believed it led, by term", "leader, term")
    } else {
        ("Writer ownership: when each region's store believed it was the writer", "writer, epoch")
    };
    let writers: Vec<BandRow> = names
        .iter()
        .map(|n| BandRow {
            label: n.to_string(),
            spans: spans(by(n).map(|t| &t.writer), names, end, &|seg| {
                format!("{what} {}", seg.epoch)
            }),
        })
        .collect();
    o.push_str(&band(fr, title, &writers));
    let routes: Vec<BandRow> = names
        .iter()
        .map(|n| BandRow {
            label: n.to_string(),
            spans: spans(by(n).map(|t| &t.routes_writes_to), names, end, &|seg| {
                format!("→ {} (epoch {})", seg.region, seg.epoch)
            }),
        })
        .collect();
    o.push_str(&band(fr, "Routing: where each client region sends writes", &routes));
    if !m.breakers.is_empty() {
        let rows: Vec<BandRow> =
            m.breakers.iter().map(|(k, v)| breaker_row(k, &v.seconds(), end)).collect();
        o.push_str(&band(fr, "Circuit breakers (client region → target; blank: closed)", &rows));
    }
    o
}

/// One breaker's band: half-open and open spans (closed is left blank).
fn breaker_row(label: &str, ps: &[(f64, f64)], end: f64) -> BandRow {
    let spans = ps
        .iter()
        .enumerate()
        .filter(|(_, p)| p.1 > 0.0)
        .map(|(i, p)| {
            let until = ps.get(i + 1).map_or(end, |q| q.0);
            let (text, c) = if p.1 >= 2.0 {
                ("open", RGBColor(214, 39, 40))
            } else {
                ("half-open", RGBColor(255, 187, 60))
            };
            (p.0, until, text.to_string(), c)
        })
        .collect();
    BandRow { label: label.to_string(), spans }
}

/// The page.
pub fn report_html(run: &RunResult) -> String {
    let s = &run.scenario;
    let mut o = String::new();
    let _ = write!(o, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta charset=\"utf-8\"/><meta name=\"generator\" content=\"gameday\"/><title>gameday · {}</title>", escape(&s.name));
    o.push_str("<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}h1{margin-bottom:4px}.muted{color:#666}.ok{color:#1a7f37}.bad{color:#c62828;font-weight:bold}table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}code{background:#f4f4f4;padding:1px 4px}ol{margin:4px 0}.cx svg{max-width:100%;height:auto}</style></head><body>");
    let _ = write!(o, "<h1>{}</h1><p>{}</p>", escape(&s.name), escape(&s.description));
    let d = &s.design;
    let design = match &d.consensus {
        Some(c) => format!(
            "consensus replication, one leader elected by a majority of {} voters, leader leases on the {} clock",
            c.voter.iter().filter(|v| **v).count(),
            if c.lease_clock == crate::scenario::LeaseClock::Wall { "wall" } else { "monotonic" },
        ),
        None => format!(
            "{}, replication {}, fencing {}, promotion {}",
            topology_words(d.topology),
            replication_words(d.replication),
            if d.fencing { "on" } else { "off" },
            if d.automated_promotion { "automated" } else { "by operator" },
        ),
    };
    let _ = write!(
        o,
        "<p class=\"muted\">design: {} · seed {} · gameday {} · scenario hash {:016x} · trace {:016x}</p>",
        escape(&design),
        run.seed,
        env!("CARGO_PKG_VERSION"),
        s.source_hash,
        run.trace_hash
    );
    let _ = write!(o, "<p>replay: <code>{}</code></p>", escape(&replay_command(run)));
    html_verdict(&mut o, run);
    o.push_str("<h2>Over time</h2>");
    o.push_str(&over_time(run));
    html_invariants(&mut o, run);
    html_counterexamples(&mut o, run);
    html_key_figures(&mut o, run);
    html_regions(&mut o, run);
    super::operations::html_operations(&mut o, &run.scenario, &run.metrics);
    html_promotions(&mut o, &run.metrics);
    html_runbook(&mut o, &run.metrics);
    html_reconciliation(&mut o, run);
    o.push_str("</body></html>\n");
    o
}

/// A figure to three decimals, or a dash when there is none.
fn figure(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite()).map_or("–".to_string(), |x| format!("{x:.3}"))
}

/// A topology in the file's own words.
fn topology_words(t: crate::scenario::Topology) -> &'static str {
    use crate::scenario::Topology as T;
    match t {
        T::ActivePassive => "active-passive",
        T::ActiveActiveReads => "active-active-reads",
        T::ActiveActiveWrites => "active-active-writes",
    }
}

/// A replication mode in the file's own words, with what a write waits for.
fn replication_words(m: crate::scenario::ReplicationMode) -> String {
    use crate::scenario::ReplicationMode as M;
    match m {
        M::Async => "async".into(),
        M::SemiSync { acks } => {
            format!(
                "semi-sync ({acks} replica acknowledgement{})",
                if acks == 1 { "" } else { "s" }
            )
        }
        M::Sync => "sync (every replica acknowledges)".into(),
        M::Consensus => "consensus".into(),
    }
}

/// The verdict against the scenario's expectations, and how the run ended.
fn html_verdict(o: &mut String, run: &RunResult) {
    let class = if verdict(run).met { "ok" } else { "bad" };
    let headline = escape(&crate::outcome::headline(run));
    let _ = write!(o, "<p>verdict: <span class=\"{class}\">{headline}</span></p>");
    let end = super::end_state(run);
    let end_class = if run.converged_at.is_some() { "ok" } else { "bad" };
    let _ = write!(o, "<p>end: <span class=\"{end_class}\">{}</span></p>", escape(&end));
}

/// Every invariant's status, first violation, count and trail.
fn html_invariants(o: &mut String, run: &RunResult) {
    o.push_str("<h2>Invariants</h2><table><tr><th>invariant</th><th>status</th><th>first at</th><th>count</th><th>trail</th></tr>");
    for i in &run.invariants {
        let status = match i.status {
            Status::Violated => "<span class=\"bad\">violated</span>",
            Status::Unknown => "<span class=\"muted\">unknown (checker budget spent)</span>",
            Status::Held => "<span class=\"ok\">held</span>",
        };
        let first = i.first_at_us.map_or("–".to_string(), |u| format!("{:.3} s", u as f64 / 1e6));
        let mut trail = String::from("<ol>");
        for step in &i.trail {
            let _ = write!(
                trail,
                "<li>{:.3} s · {}</li>",
                step.at_us as f64 / 1e6,
                escape(&step.event)
            );
        }
        trail.push_str("</ol>");
        if let Some(p) = &i.prevention {
            let _ = write!(trail, "<p><b>To prevent it:</b> {}</p>", escape(p));
        }
        let _ = write!(o, "<tr><td><code>{}</code></td><td>{status}</td><td>{first}</td><td>{}</td><td>{}</td></tr>", i.id, i.count, if i.trail.is_empty() { String::new() } else { trail });
    }
    o.push_str("</table>");
}

/// A linearizability counterexample: its text and its timeline (SVG the checker
/// escaped); wide histories scroll sideways.
fn html_counterexamples(o: &mut String, run: &RunResult) {
    for i in run.invariants.iter() {
        let Some(lin) = i.details_as::<LinearizableDetails>() else { continue };
        if let Some(svg) = &lin.counterexample_svg {
            let text = lin.counterexample.as_deref().unwrap_or("");
            let _ = write!(
                o,
                "<h3>Counterexample: <code>{}</code></h3><pre>{}</pre><div class=\"cx\" style=\"border:1px solid #ddd\">{svg}</div>",
                i.id,
                escape(text)
            );
        }
    }
}

fn html_key_figures(o: &mut String, run: &RunResult) {
    o.push_str("<h2>Key figures</h2><table><tr><th>figure</th><th>value</th><th>unit</th></tr>");
    for k in super::key_metrics(run) {
        let _ = write!(
            o,
            "<tr><th>{}</th><td>{}</td><td class=\"muted\">{}</td></tr>",
            k.label,
            super::format_metric(&k, k.value),
            if k.unit == "share" { "" } else { k.unit }
        );
    }
    o.push_str("</table>");
    let blast = &run.metrics.blast_radius;
    if blast.customers_hit > 0 {
        let _ = write!(o, "<p><b>Blast radius:</b> {}.</p>", escape(&blast.why));
    }
}

/// Per client region: availability, latency, error-budget burn and replication lag.
fn html_regions(o: &mut String, run: &RunResult) {
    let m = &run.metrics;
    o.push_str("<h3>By client region</h3><table><tr><th>region</th><th>availability</th><th>latency p50 (ms)</th><th>p99</th><th>p99.9</th><th>error-budget burn</th><th>replication lag max (ms)</th><th>p99</th></tr>");
    for reg in &run.scenario.regions {
        let n = reg.name.as_str();
        let (ok, all) = m.availability_by_region.get(n).map_or((0.0, 0.0), |kinds| {
            kinds.values().fold((0.0, 0.0), |(a, b), k| {
                let ok = k.ok as f64;
                let bad = k.failed as f64 + k.indeterminate as f64;
                (a + ok, b + ok + bad)
            })
        });
        let avail = if all > 0.0 { format!("{:.2}%", ok / all * 100.0) } else { "–".to_string() };
        let l = m.latency.region(n);
        let lag = m.replication_lag.get(n);
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{avail}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(n),
            figure(l.map(|l| l.p50_ms)),
            figure(l.map(|l| l.p99_ms)),
            figure(l.map(|l| l.p999_ms)),
            figure(m.error_budget_burn.by_region.get(n).copied()),
            figure(lag.map(|l| l.max_ms)),
            figure(lag.map(|l| l.p99_ms)),
        );
    }
    o.push_str("</table>");
}

fn html_promotions(o: &mut String, summary: &Summary) {
    if summary.promotions.is_empty() {
        return;
    }
    o.push_str("<h3>Promotions: recovery time by phase</h3><table><tr><th>failure detected</th><th>promoted</th><th>region</th><th>epoch</th><th>by</th><th>write RTO (ms, last acknowledged write before → first after)</th></tr>");
    for p in &summary.promotions {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.detected_at_s.map_or("–".to_string(), |x| format!("{x:.3} s")),
            figure(Some(p.at_s)),
            escape(&p.region),
            p.epoch,
            escape(p.by),
            figure(p.write_rto_ms)
        );
    }
    o.push_str("</table>");
}

fn html_runbook(o: &mut String, summary: &Summary) {
    if summary.runbook.is_empty() {
        return;
    }
    o.push_str("<h3>Runbook</h3><table><tr><th>step</th><th>start (s)</th><th>end (s)</th></tr>");
    for st in &summary.runbook {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(st.step),
            figure(Some(st.start_s)),
            figure(st.end_s)
        );
    }
    o.push_str("</table>");
}

fn html_reconciliation(o: &mut String, run: &RunResult) {
    let rec = super::reconciliation(run);
    let count = super::reconciliation::count_text;
    let _ = write!(
        o,
        "<h3>Reconciliation</h3><p>writer {} (epoch {}); {} divergent keys; {} lost acknowledged writes (RPO {} ms); {} writes applied twice; {} effects performed twice; {} effects missing.</p>",
        escape(&run.final_writer),
        run.final_epoch,
        run.divergent_keys,
        count(rec.lost_acknowledged_writes.count),
        figure(rec.lost_acknowledged_writes.rpo_ms),
        count(rec.duplicate_writes.count),
        count(rec.duplicate_effects.count),
        count(rec.missing_effects)
    );
}
