//! `gameday shrink`: delta-debugs a failing run to a small scenario that still violates
//! the same invariant. It works on the scenario file itself (a swarm's schedule for the
//! seed becomes a fixed fault list), so every candidate is validated like a user's
//! file, and the result is a plain scenario ready to commit.
//!
//! Reductions, tried in order until none helps or the attempt limit is reached: remove
//! faults (chunks, then one at a time), halve fault windows, move faults earlier, cut
//! the drill after the last fault, halve the workload rate, and drop regions no fault
//! needs. Candidates are tried in fixed batches and the first (in order) that still
//! fails wins, so the result does not depend on the thread count.

use crate::check::Status;
use crate::scenario;
use crate::sim::{self, RunOptions};
use rayon::prelude::*;
use serde_json::{json, Value};

/// Candidates evaluated together; fixed, so attempts and results are the same on any
/// number of threads.
const BATCH: usize = 4;

/// The size of a scenario, as shrink reports it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Size {
    pub faults: usize,
    pub duration_s: f64,
    pub rate_per_s: f64,
    pub regions: usize,
    pub events: u64,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} faults, {} s, {} ops/s, {} regions, {} events",
            self.faults, self.duration_s, self.rate_per_s, self.regions, self.events
        )
    }
}

pub struct Shrunk {
    pub scenario: Value,
    pub invariant: String,
    pub attempts: u32,
    pub attempts_max: u32,
    pub before: Size,
    pub after: Size,
}

struct Shrinker<'a> {
    path: &'a str,
    invariant: String,
    attempts: u32,
    max: u32,
}

impl Shrinker<'_> {
    /// The events of `doc`'s run if it is valid and still violates the invariant.
    fn fails(&self, doc: &Value) -> Option<u64> {
        let s = scenario::from_str(self.path, &doc.to_string()).ok()?;
        let r = sim::run(&s, &RunOptions::default()).ok()?;
        r.invariants
            .iter()
            .any(|i| i.id == self.invariant && i.status == Status::Violated)
            .then_some(r.events)
    }

    /// The first candidate (in order) that still fails, if any, within the budget.
    fn first_failing(&mut self, candidates: Vec<Value>) -> Option<(Value, u64)> {
        for batch in candidates.chunks(BATCH) {
            let left = (self.max - self.attempts) as usize;
            if left == 0 {
                return None;
            }
            let batch = &batch[..batch.len().min(left)];
            self.attempts += batch.len() as u32;
            let results: Vec<Option<u64>> = batch.par_iter().map(|d| self.fails(d)).collect();
            if let Some(i) = results.iter().position(Option::is_some) {
                return Some((batch[i].clone(), results[i].expect("is some")));
            }
        }
        None
    }
}

fn faults(doc: &Value) -> Vec<Value> {
    doc["faults"].as_array().cloned().unwrap_or_default()
}

fn with_faults(doc: &Value, fs: Vec<Value>) -> Value {
    let mut d = doc.clone();
    d["faults"] = Value::Array(fs);
    d
}

fn size(doc: &Value, events: u64) -> Size {
    Size {
        faults: faults(doc).len(),
        duration_s: doc["duration_s"].as_f64().unwrap_or(60.0),
        rate_per_s: doc["workload"]["rate_per_s"].as_f64().unwrap_or(0.0),
        regions: doc["regions"].as_array().map_or(0, Vec::len),
        events,
    }
}

/// The last moment any fault acts (seconds).
fn last_fault_end(doc: &Value) -> f64 {
    faults(doc)
        .iter()
        .map(|f| f["at_s"].as_f64().unwrap_or(0.0) + f["for_s"].as_f64().unwrap_or(0.0))
        .fold(0.0, f64::max)
}

/// `doc` without region `name`: its network entries and the faults' references go too.
fn without_region(doc: &Value, name: &str) -> Value {
    let mut d = doc.clone();
    if let Some(rs) = d["regions"].as_array_mut() {
        rs.retain(|r| r["name"] != name);
    }
    if let Some(rtt) = d["network"]["rtt_ms"].as_object_mut() {
        rtt.retain(|k, _| !k.split('/').any(|p| p == name));
    }
    let mut kept = Vec::new();
    for mut f in faults(&d) {
        if f["region"] == name {
            continue;
        }
        if let Some(sides) = f.get_mut("between").and_then(Value::as_array_mut) {
            for side in sides.iter_mut() {
                if let Some(s) = side.as_array_mut() {
                    s.retain(|r| r != name);
                }
            }
            if sides.iter().any(|s| s.as_array().is_some_and(Vec::is_empty)) {
                continue;
            }
        }
        kept.push(f);
    }
    d["faults"] = Value::Array(kept);
    d
}

/// Rounds to milliseconds, so shrunk files read cleanly.
fn ms(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

/// Shrinks the run of the scenario at `path` with `seed` to a small scenario that
/// still violates `invariant` (default: the first invariant the run violates).
pub fn shrink(
    path: &str,
    seed: u64,
    invariant: Option<&str>,
    attempts_max: u32,
) -> Result<Shrunk, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
    let s = scenario::from_str(path, &text).map_err(|e| e.to_string())?;
    let mut doc: Value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text))
        .map_err(|e| format!("{path}: {e}"))?;
    // The seed's whole schedule becomes a fixed list.
    let mut fs = faults(&doc);
    if let Some(sw) = &s.swarm {
        fs.extend(super::swarm::draw(&s, sw, seed));
    }
    fs.sort_by(|a, b| {
        a["at_s"].as_f64().unwrap_or(0.0).total_cmp(&b["at_s"].as_f64().unwrap_or(0.0))
    });
    let o = doc.as_object_mut().ok_or_else(|| format!("{path}: not a JSON object"))?;
    for k in ["swarm", "variants", "expect"] {
        o.remove(k);
    }
    o.insert("seed".into(), seed.into());
    o.insert("faults".into(), Value::Array(fs));
    let s0 = scenario::from_str(path, &doc.to_string()).map_err(|e| e.to_string())?;
    let r0 = sim::run(&s0, &RunOptions::default()).map_err(|e| format!("seed {seed}: {e}"))?;
    let violated: Vec<&str> =
        r0.invariants.iter().filter(|i| i.status == Status::Violated).map(|i| i.id).collect();
    let invariant = match invariant {
        Some(id) if violated.contains(&id) => id.to_string(),
        Some(id) if scenario::KNOWN_INVARIANTS.contains(&id) => {
            return Err(format!(
                "seed {seed} of {path} does not violate {id} (it violates: {}); nothing to shrink",
                if violated.is_empty() { "nothing".to_string() } else { violated.join(", ") }
            ))
        }
        Some(id) => {
            return Err(format!(
                "--invariant {id:?}: unknown; known: {}",
                scenario::KNOWN_INVARIANTS.join(", ")
            ))
        }
        None => match violated.first() {
            Some(id) => id.to_string(),
            None => {
                return Err(format!(
                    "seed {seed} of {path} violates no invariant; nothing to shrink"
                ))
            }
        },
    };
    let before = size(&doc, r0.events);
    let mut sh = Shrinker { path, invariant, attempts: 0, max: attempts_max };
    let mut events = r0.events;
    loop {
        let mut progressed = false;
        // 1. Remove faults: halves, quarters, ... then one at a time.
        let mut chunk = faults(&doc).len().div_ceil(2).max(1);
        loop {
            let fs = faults(&doc);
            if fs.is_empty() {
                break;
            }
            let cands: Vec<Value> = (0..fs.len())
                .step_by(chunk)
                .map(|i| {
                    let mut rest = fs.clone();
                    rest.drain(i..(i + chunk).min(fs.len()));
                    with_faults(&doc, rest)
                })
                .collect();
            match sh.first_failing(cands) {
                Some((d, e)) => {
                    (doc, events) = (d, e);
                    progressed = true;
                    chunk = chunk.min(faults(&doc).len().max(1));
                }
                None if chunk > 1 => chunk = chunk.div_ceil(2),
                None => break,
            }
        }
        // 2. Halve each fault window; 3. move each fault to half its start time.
        for edit in [0, 1] {
            let mut i = 0;
            while i < faults(&doc).len() {
                let fs = faults(&doc);
                let f = &fs[i];
                let mut g = f.clone();
                let changed = if edit == 0 {
                    match f["for_s"].as_f64() {
                        Some(d) if d >= 0.2 => {
                            g["for_s"] = json!(ms(d / 2.0));
                            true
                        }
                        _ => false,
                    }
                } else {
                    match f["at_s"].as_f64() {
                        Some(a) if a >= 0.2 => {
                            g["at_s"] = json!(ms(a / 2.0));
                            true
                        }
                        _ => false,
                    }
                };
                if changed {
                    let mut fs2 = fs.clone();
                    fs2[i] = g;
                    if let Some((d, e)) = sh.first_failing(vec![with_faults(&doc, fs2)]) {
                        (doc, events) = (d, e);
                        progressed = true;
                        continue; // the same fault may halve again
                    }
                }
                i += 1;
            }
        }
        // 4. Cut the drill shortly after the last fault, or by half.
        let dur = doc["duration_s"].as_f64().unwrap_or(60.0);
        let mut cands = Vec::new();
        for target in [last_fault_end(&doc) + 5.0, dur / 2.0] {
            let t = ms(target.max(1.0));
            if t < dur {
                let mut d = doc.clone();
                d["duration_s"] = json!(t);
                cands.push(d);
            }
        }
        if let Some((d, e)) = sh.first_failing(cands) {
            (doc, events) = (d, e);
            progressed = true;
        }
        // 5. Halve the workload rate.
        if let Some(rate) = doc["workload"]["rate_per_s"].as_f64().filter(|r| *r >= 2.0) {
            let mut d = doc.clone();
            d["workload"]["rate_per_s"] = json!((rate / 2.0).floor());
            if let Some((d, e)) = sh.first_failing(vec![d]) {
                (doc, events) = (d, e);
                progressed = true;
            }
        }
        // 6. Drop regions no fault needs (validation refuses the ones the design needs).
        let names: Vec<String> = doc["regions"]
            .as_array()
            .map(|rs| rs.iter().filter_map(|r| r["name"].as_str().map(String::from)).collect())
            .unwrap_or_default();
        if names.len() > 1 {
            let cands: Vec<Value> = names.iter().rev().map(|n| without_region(&doc, n)).collect();
            if let Some((d, e)) = sh.first_failing(cands) {
                (doc, events) = (d, e);
                progressed = true;
            }
        }
        if !progressed || sh.attempts >= sh.max {
            break;
        }
    }
    let after = size(&doc, events);
    let name = doc["name"].as_str().unwrap_or("scenario").to_string();
    let o = doc.as_object_mut().expect("an object");
    o.insert("name".into(), format!("{name}-shrunk-seed-{seed}").into());
    o.insert(
        "description".into(),
        format!(
            "Shrunk by gameday shrink from {path} seed {seed}: the smallest drill found that still violates {} ({before} before; {after} after; {} of {} attempts).",
            sh.invariant, sh.attempts, sh.max
        )
        .into(),
    );
    o.insert("expect".into(), json!({"violated": [sh.invariant]}));
    Ok(Shrunk {
        scenario: doc,
        invariant: sh.invariant,
        attempts: sh.attempts,
        attempts_max,
        before,
        after,
    })
}
