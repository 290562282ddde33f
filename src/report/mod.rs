//! Reports: `summary.json` (a versioned schema), the terminal summary, and the verdict
//! against the scenario's `expect`. Pure functions from a `RunResult` to bytes or text;
//! writing files is the caller's business (atomically, via `output::write`).

pub mod check;
pub mod compare;
pub mod html;
mod layout;
mod operations;
mod reconciliation;
pub mod sweep;
pub(crate) mod words;

pub use crate::outcome::{
    key_metrics, replay_command, verdict, Better, KeyMetric, Verdict, SUMMARY_SCHEMA_VERSION,
};
pub use reconciliation::{reconciliation, reconciliation_json, Reconciliation};

use crate::check::Status;
use crate::metrics::Summary;
use crate::sim::RunResult;
use serde_json::{json, Map, Value};
use std::fmt::Write as _;

pub fn events_per_sec(run: &RunResult) -> f64 {
    if run.wall_secs > 0.0 {
        run.events as f64 / run.wall_secs
    } else {
        0.0
    }
}

/// The summary as JSON. Wall-clock figures sit under `perf` and in `events_per_sec`;
/// everything else is a deterministic function of scenario, seed and version.
pub fn summary_json(run: &RunResult) -> Value {
    let s = &run.scenario;
    let v = verdict(run);
    let mut inv = Map::new();
    for i in &run.invariants {
        inv.insert(i.id.to_string(), serde_json::to_value(i).expect("serializable"));
    }
    json!({
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "gameday_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": s.name,
            "description": s.description,
            "file": s.source_path,
            "hash": format!("{:016x}", s.source_hash),
        },
        "seed": run.seed,
        "trace_hash": format!("{:016x}", run.trace_hash),
        "events": run.events,
        "events_per_sec": events_per_sec(run).round(),
        "perf": {
            "wall_s": run.wall_secs,
            "sim_seconds_per_wall_second": if run.wall_secs > 0.0 { run.sim_end.as_secs_f64() / run.wall_secs } else { 0.0 },
        },
        "drill_s": run.drill_end.as_secs_f64(),
        "sim_end_s": run.sim_end.as_secs_f64(),
        "converged": run.converged_at.is_some(),
        "converged_after_s": run.converged_at.map(|t| t.since(run.drill_end).as_secs_f64()),
        "end_state": end_state(run),
        "divergent_keys": run.divergent_keys,
        "invariants": inv,
        "metrics": run.metrics,
        "expect": {"present": v.has_expect, "met": v.met, "unmet": v.unmet},
        "replay": replay_command(run),
        "headline": crate::outcome::headline(run),
        "warnings": crate::scenario::lint::warnings(s),
    })
}

/// A figure as text in its unit: shares as percentages, the rest to three digits.
pub fn format_metric(metric: &KeyMetric, v: Option<f64>) -> String {
    match v {
        None => "–".to_string(),
        Some(x) if metric.unit == "share" => format!("{:.2}%", x * 100.0),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.3}"),
    }
}

/// Width the terminal summary fits in.
pub const TERMINAL_COLUMNS: usize = 100;

/// The terminal summary: verdict, invariants with trails, key metrics, replay command,
/// wrapped to fit `TERMINAL_COLUMNS`, without colour.
pub fn terminal(run: &RunResult) -> String {
    fit(&terminal_raw(run), TERMINAL_COLUMNS)
}

/// The same summary with colour (red for what failed, green for what held), for a
/// terminal that wants it.
pub fn terminal_coloured(run: &RunResult) -> String {
    const RED: &str = "\x1b[31;1m";
    const GREEN: &str = "\x1b[32m";
    const RESET: &str = "\x1b[0m";
    terminal(run)
        .lines()
        .map(|l| {
            let mut l = l.to_string();
            for (word, colour) in [
                (" VIOLATED ", RED),
                (" held ", GREEN),
                ("NOT what this scenario expects", RED),
                ("as this scenario expects", GREEN),
            ] {
                if let Some(i) = l.find(word) {
                    l = format!(
                        "{}{colour}{}{RESET}{}",
                        &l[..i],
                        &l[i..i + word.len()],
                        &l[i + word.len()..]
                    );
                    break;
                }
            }
            l + "\n"
        })
        .collect()
}

/// Wraps every line longer than `width` at spaces, continuing under the text it wraps
/// (the indentation of the line's text, or of a trail step's event).
/// Every terminal text passes here, so control characters from the user's names and
/// files are escaped (`output::text::terminal`) before any colour is added.
pub(crate) fn fit(text: &str, width: usize) -> String {
    let text = crate::output::text::terminal(text);
    let mut o = String::with_capacity(text.len());
    for line in text.lines() {
        if line.chars().count() <= width {
            o.push_str(line);
            o.push('\n');
            continue;
        }
        // A trail step: "    12.345 s  event...": continue under the event.
        let indent = match line.find(" s  ") {
            Some(i) if line.starts_with("    ") => i + 4,
            _ => line.len() - line.trim_start().len() + 2,
        };
        let pad = " ".repeat(indent.min(width / 2));
        let lead = &line[..line.len() - line.trim_start().len()];
        let mut current = lead.to_string();
        let mut fresh = true;
        for word in line.trim_start().split(' ') {
            let len = current.chars().count() + usize::from(!fresh) + word.chars().count();
            if !fresh && len > width {
                o.push_str(current.trim_end());
                o.push('\n');
                current = pad.clone();
                fresh = true;
            }
            if !fresh {
                current.push(' ');
            }
            current.push_str(word);
            fresh = false;
        }
        o.push_str(current.trim_end());
        o.push('\n');
    }
    o
}

/// How the run ended, in words: converged, or not, and whether the regions still
/// disagree on values (diverged) when it stopped.
pub fn end_state(run: &RunResult) -> String {
    match (run.converged_at, run.divergent_keys) {
        (Some(t), _) => {
            format!("converged {:.1} s after the drill", t.since(run.drill_end).as_secs_f64())
        }
        (None, 0) => "did NOT converge within limits.convergence_max_s".to_string(),
        (None, n) => format!(
            "DIVERGED: {n} {} a different value in different regions at the end (did not converge within limits.convergence_max_s)",
            if n == 1 { "key holds" } else { "keys hold" }
        ),
    }
}

fn terminal_raw(run: &RunResult) -> String {
    let s = &run.scenario;
    let mut o = String::new();
    let _ = writeln!(o, "gameday {} · {} · seed {}", env!("CARGO_PKG_VERSION"), s.name, run.seed);
    let _ = writeln!(o, "{}", crate::outcome::headline(run));
    let conv = end_state(run);
    let _ = writeln!(
        o,
        "drill {:.1} s, {conv} · {} events · {:.2} M events/s",
        run.drill_end.as_secs_f64(),
        run.events,
        events_per_sec(run) / 1e6,
    );
    let _ = writeln!(o, "trace {:016x} · scenario {:016x}", run.trace_hash, s.source_hash);
    for w in crate::scenario::lint::warnings(s) {
        let _ = writeln!(o, "warning: {}: {}", w.path, w.message);
    }
    let _ = writeln!(o);
    terminal_invariants(&mut o, run);
    let _ = writeln!(o);
    terminal_metrics(&mut o, &run.metrics);
    terminal_fallback(&mut o, &run.metrics);
    terminal_reconciliation(&mut o, run);
    if !run.metrics.runbook.is_empty() {
        let parts: Vec<String> = run
            .metrics
            .runbook
            .iter()
            .map(|s| {
                let end = s.end_s.map_or("…".to_string(), |e| format!("{e:.3}"));
                format!("{} {:.3}–{end} s", s.step, s.start_s)
            })
            .collect();
        let _ = writeln!(o, "runbook: {}", parts.join(" · "));
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "verdict: {}", crate::outcome::headline(run));
    let _ = writeln!(o, "replay: {}", replay_command(run));
    o
}

/// The invariants table with each violation's trail.
fn terminal_invariants(o: &mut String, run: &RunResult) {
    let _ = writeln!(o, "{:<22} {:<9} {:>11} {:>8}", "invariant", "status", "first at", "count");
    for i in &run.invariants {
        let first = i.first_at_us.map_or("-".to_string(), |u| format!("{:.3} s", u as f64 / 1e6));
        let status = match i.status {
            Status::Violated => "VIOLATED",
            other => other.as_str(),
        };
        let _ = writeln!(o, "{:<22} {:<9} {:>11} {:>8}", i.id, status, first, i.count);
        for step in &i.trail {
            let _ = writeln!(o, "    {:>9.3} s  {}", step.at_us as f64 / 1e6, step.event);
        }
        if let Some(p) = &i.prevention {
            let _ = writeln!(o, "    to prevent it: {p}");
        }
    }
}

/// Availability, latency, replication lag and promotions.
fn terminal_metrics(o: &mut String, summary: &Summary) {
    let lat = summary.latency.all();
    let _ = writeln!(
        o,
        "availability {:.2}% · latency p50 {:.1} ms p99 {:.1} ms p99.9 {:.1} ms · retry amplification {:.2}",
        summary.availability * 100.0,
        lat.p50_ms,
        lat.p99_ms,
        lat.p999_ms,
        summary.retry_amplification
    );
    let parts: Vec<String> = summary
        .replication_lag
        .iter()
        .map(|(k, v)| match v.down_s {
            d if d > 0.0 && v.series_ms.points.is_empty() => format!("{k} down {d:.1} s"),
            d if d > 0.0 => {
                format!("{k} down {d:.1} s, max {:.0} ms p99 {:.0} ms while up", v.max_ms, v.p99_ms)
            }
            _ => format!("{k} max {:.0} ms p99 {:.0} ms", v.max_ms, v.p99_ms),
        })
        .collect();
    let _ = writeln!(o, "replication lag: {}", parts.join(" · "));
    if summary.blast_radius.customers_hit > 0 {
        let _ = writeln!(o, "blast radius: {}", summary.blast_radius.why);
    }
    for p in &summary.promotions {
        let rto = p
            .write_rto_ms
            .map_or("no write succeeded after it".to_string(), |x| format!("write RTO {x:.0} ms"));
        if p.by == "election" {
            let detected = p.election_ms.map_or(String::new(), |ms| {
                format!(" ({ms:.0} ms after its timer found the leader silent)")
            });
            let _ = writeln!(
                o,
                "election: {} leads term {} from {:.3} s{detected}, {rto}",
                p.region, p.epoch, p.at_s
            );
            continue;
        }
        let _ = writeln!(
            o,
            "promotion: {} to epoch {} at {:.3} s (by the {}), {rto}",
            p.region, p.epoch, p.at_s, p.by
        );
    }
}

/// `async_fallback_ms`: the primary's acknowledgements without replicas.
fn terminal_fallback(o: &mut String, summary: &Summary) {
    if let Some(f) = &summary.async_fallback {
        let _ = writeln!(
            o,
            "async fallback: {} period(s), {:.1} s in all, {} writes acknowledged without a synchronous replica",
            f.periods, f.seconds, f.writes
        );
    }
}

/// What the acknowledged history says went wrong, in two lines.
fn terminal_reconciliation(o: &mut String, run: &RunResult) {
    let rec = reconciliation(run);
    let count = reconciliation::count_text;
    let _ = writeln!(
        o,
        "reconciliation: writer {} (epoch {}), {} divergent keys, {} lost acknowledged writes (RPO {:.1} ms),\n  {} writes applied twice, {} effects performed twice, {} effects missing, {} effects of unacknowledged operations",
        run.final_writer,
        run.final_epoch,
        run.divergent_keys,
        count(rec.lost_acknowledged_writes.count),
        rec.lost_acknowledged_writes.rpo_ms.unwrap_or(0.0),
        count(rec.duplicate_writes.count),
        count(rec.duplicate_effects.count),
        count(rec.missing_effects),
        count(rec.effects_without_acknowledged_operation)
    );
}

/// The run as Chrome trace-event JSON, for Perfetto or chrome://tracing: a track per
/// region (promotions, the violations first seen there), one for faults (spans over
/// their windows), one for the runbook's steps, and one for invariants.
pub fn chrome_trace(r: &RunResult) -> Value {
    let s = &r.scenario;
    let mut ev: Vec<Value> = Vec::new();
    let us = |secs: f64| (secs * 1e6).round() as u64;
    let faults_pid = s.regions.len() + 1;
    let runbook_pid = faults_pid + 1;
    let invariants_pid = faults_pid + 2;
    for (i, reg) in s.regions.iter().enumerate() {
        ev.push(
            json!({"ph": "M", "name": "process_name", "pid": i + 1, "args": {"name": reg.name}}),
        );
    }
    ev.push(
        json!({"ph": "M", "name": "process_name", "pid": faults_pid, "args": {"name": "faults"}}),
    );
    ev.push(
        json!({"ph": "M", "name": "process_name", "pid": runbook_pid, "args": {"name": "runbook"}}),
    );
    ev.push(json!({"ph": "M", "name": "process_name", "pid": invariants_pid, "args": {"name": "invariants"}}));
    for (i, f) in s.faults.iter().enumerate() {
        let start = f.at.as_us();
        let dur = f.until.map_or(0, |u| u.as_us() - start);
        let ph = if dur > 0 { "X" } else { "i" };
        ev.push(json!({"ph": ph, "name": f.kind.name(), "pid": faults_pid, "tid": i, "ts": start, "dur": dur, "s": "p", "args": {"kind": f.kind.name()}}));
    }
    for p in &r.metrics.promotions {
        let pid = s.region_id(&p.region).map_or(0, |r| r.idx() + 1);
        let name = format!("becomes writer (epoch {})", p.epoch);
        ev.push(json!({"ph": "i", "name": name, "pid": pid, "tid": 0, "ts": us(p.at_s), "s": "p"}));
    }
    for st in &r.metrics.runbook {
        let a = us(st.start_s);
        let b = st.end_s.map_or(a, us);
        ev.push(json!({"ph": "X", "name": st.step, "pid": runbook_pid, "tid": 0, "ts": a, "dur": b - a}));
    }
    for inv in r.invariants.iter().filter(|i| i.status == Status::Violated) {
        if let Some(at) = inv.first_at_us {
            let last = inv.trail.last().map(|t| t.event.clone()).unwrap_or_default();
            ev.push(json!({"ph": "i", "name": format!("{} violated", inv.id), "pid": invariants_pid, "tid": 0, "ts": at, "s": "g", "args": {"count": inv.count, "first": last}}));
        }
    }
    json!({"traceEvents": ev, "displayTimeUnit": "ms", "otherData": {"gameday_version": env!("CARGO_PKG_VERSION"), "scenario": s.name, "seed": r.seed, "trace_hash": format!("{:016x}", r.trace_hash)}})
}
