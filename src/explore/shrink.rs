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
use crate::scenario::{self, ScenarioError};
use crate::sim::{self, RunOptions, SimError};
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

/// The result of a shrink: the scenario as a JSON document ready to write, the
/// invariant it still violates, the attempts spent and the sizes before and after.
pub struct Shrunk {
    pub scenario: Value,
    pub invariant: String,
    pub attempts: u32,
    pub attempts_max: u32,
    pub before: Size,
    pub after: Size,
}

/// Why a run cannot be shrunk: the file, the seed's first run, or the invariant asked
/// for. Each message names the file or the flag.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("{path}: {source}")]
    Json { path: String, source: serde_json::Error },
    #[error("{path}: not a JSON object")]
    NotAnObject { path: String },
    #[error("seed {seed}: {source}")]
    Run { seed: u64, source: SimError },
    #[error(
        "seed {seed} of {path} does not violate {invariant} (it violates: {}); nothing to shrink",
        if violated.is_empty() { "nothing".to_string() } else { violated.join(", ") }
    )]
    NotViolated { seed: u64, path: String, invariant: String, violated: Vec<String> },
    #[error("--invariant {invariant:?}: unknown; known: {}", scenario::KNOWN_INVARIANTS.join(", "))]
    UnknownInvariant { invariant: String },
    #[error("seed {seed} of {path} violates no invariant; nothing to shrink")]
    NothingViolated { seed: u64, path: String },
}

/// The smallest scenario found so far that still fails, with its run's event count.
struct Failing {
    doc: Value,
    events: u64,
}

struct Shrinker<'a> {
    path: &'a str,
    invariant: String,
    attempts: u32,
    attempts_max: u32,
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
    fn first_failing(&mut self, candidates: Vec<Value>) -> Option<Failing> {
        for batch in candidates.chunks(BATCH) {
            let left = (self.attempts_max - self.attempts) as usize;
            if left == 0 {
                return None;
            }
            let batch = &batch[..batch.len().min(left)];
            self.attempts += batch.len() as u32;
            let results: Vec<Option<u64>> = batch.par_iter().map(|d| self.fails(d)).collect();
            if let Some(i) = results.iter().position(Option::is_some) {
                let events = results[i].expect("is some");
                return Some(Failing { doc: batch[i].clone(), events });
            }
        }
        None
    }

    /// Takes the first failing candidate, if any, as the new smallest; says whether
    /// there was one.
    fn try_candidates(&mut self, best: &mut Failing, candidates: Vec<Value>) -> bool {
        match self.first_failing(candidates) {
            Some(found) => {
                *best = found;
                true
            }
            None => false,
        }
    }

    /// Applies every reduction in turn, round after round, until a whole round finds
    /// nothing smaller or the attempts run out.
    fn reduce(&mut self, best: &mut Failing) {
        loop {
            let mut progressed = self.remove_faults(best);
            progressed |= self.halve_each_fault(best, "for_s");
            progressed |= self.halve_each_fault(best, "at_s");
            progressed |= self.cut_drill(best);
            progressed |= self.halve_rate(best);
            progressed |= self.drop_regions(best);
            if !progressed || self.attempts >= self.attempts_max {
                break;
            }
        }
    }

    /// Removes faults: halves, quarters, ... then one at a time.
    fn remove_faults(&mut self, best: &mut Failing) -> bool {
        let mut progressed = false;
        let mut chunk = faults(&best.doc).len().div_ceil(2).max(1);
        loop {
            let fs = faults(&best.doc);
            if fs.is_empty() {
                break;
            }
            let candidates: Vec<Value> = (0..fs.len())
                .step_by(chunk)
                .map(|i| {
                    let mut rest = fs.clone();
                    rest.drain(i..(i + chunk).min(fs.len()));
                    with_faults(&best.doc, rest)
                })
                .collect();
            if self.try_candidates(best, candidates) {
                progressed = true;
                chunk = chunk.min(faults(&best.doc).len().max(1));
            } else if chunk > 1 {
                chunk = chunk.div_ceil(2);
            } else {
                break;
            }
        }
        progressed
    }

    /// Halves `field` of each fault in turn (`for_s`: its window; `at_s`: its start),
    /// again and again while the run still fails.
    fn halve_each_fault(&mut self, best: &mut Failing, field: &str) -> bool {
        let mut progressed = false;
        let mut i = 0;
        while i < faults(&best.doc).len() {
            let mut fs = faults(&best.doc);
            if let Some(halved) = halved(&fs[i], field) {
                fs[i] = halved;
                if self.try_candidates(best, vec![with_faults(&best.doc, fs)]) {
                    progressed = true;
                    continue; // the same fault may halve again
                }
            }
            i += 1;
        }
        progressed
    }

    /// Cuts the drill shortly after the last fault, or by half.
    fn cut_drill(&mut self, best: &mut Failing) -> bool {
        let duration_s = best.doc["duration_s"].as_f64().unwrap_or(60.0);
        let mut candidates = Vec::new();
        for target in [last_fault_end(&best.doc) + 5.0, duration_s / 2.0] {
            let cut_s = ms(target.max(1.0));
            if cut_s < duration_s {
                let mut candidate = best.doc.clone();
                candidate["duration_s"] = json!(cut_s);
                candidates.push(candidate);
            }
        }
        self.try_candidates(best, candidates)
    }

    /// Halves the workload rate.
    fn halve_rate(&mut self, best: &mut Failing) -> bool {
        let Some(rate) = best.doc["workload"]["rate_per_s"].as_f64().filter(|r| *r >= 2.0) else {
            return false;
        };
        let mut candidate = best.doc.clone();
        candidate["workload"]["rate_per_s"] = json!((rate / 2.0).floor());
        self.try_candidates(best, vec![candidate])
    }

    /// Drops regions no fault needs (validation refuses the ones the design needs).
    fn drop_regions(&mut self, best: &mut Failing) -> bool {
        let names: Vec<String> = best.doc["regions"]
            .as_array()
            .map(|rs| rs.iter().filter_map(|r| r["name"].as_str().map(String::from)).collect())
            .unwrap_or_default();
        if names.len() <= 1 {
            return false;
        }
        let candidates: Vec<Value> =
            names.iter().rev().map(|n| without_region(&best.doc, n)).collect();
        self.try_candidates(best, candidates)
    }
}

/// `fault` with `field` halved (to the millisecond), unless it is below 0.2 s already.
fn halved(fault: &Value, field: &str) -> Option<Value> {
    match fault[field].as_f64() {
        Some(value) if value >= 0.2 => {
            let mut edited = fault.clone();
            edited[field] = json!(ms(value / 2.0));
            Some(edited)
        }
        _ => None,
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
) -> Result<Shrunk, ShrinkError> {
    let doc = with_fixed_schedule(path, seed)?;
    let first = scenario::from_str(path, &doc.to_string())?;
    let run = sim::run(&first, &RunOptions::default())
        .map_err(|source| ShrinkError::Run { seed, source })?;
    let violated: Vec<&str> =
        run.invariants.iter().filter(|i| i.status == Status::Violated).map(|i| i.id).collect();
    let invariant = invariant_to_keep(path, seed, invariant, &violated)?;
    let before = size(&doc, run.events);
    let mut shrinker = Shrinker { path, invariant, attempts: 0, attempts_max };
    let mut best = Failing { doc, events: run.events };
    shrinker.reduce(&mut best);
    let after = size(&best.doc, best.events);
    let scenario = described(best.doc, path, seed, &shrinker, &before, &after);
    Ok(Shrunk {
        scenario,
        invariant: shrinker.invariant,
        attempts: shrinker.attempts,
        attempts_max,
        before,
        after,
    })
}

/// The scenario file at `path` as a document run with `seed`: the seed's whole swarm
/// schedule becomes a fixed fault list, and the swarm, the variants and the
/// expectations go (the shrunk file states its own).
fn with_fixed_schedule(path: &str, seed: u64) -> Result<Value, ShrinkError> {
    let text = scenario::read_text(path)?;
    let parsed = scenario::from_str(path, &text)?;
    let mut doc: Value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text))
        .map_err(|source| ShrinkError::Json { path: path.to_string(), source })?;
    let mut schedule = faults(&doc);
    if let Some(swarm) = &parsed.swarm {
        let drawn = crate::scenario::swarm::draw(&parsed, swarm, seed);
        schedule.extend(drawn.iter().map(|f| serde_json::to_value(f).expect("a fault serializes")));
    }
    schedule.sort_by(|a, b| {
        a["at_s"].as_f64().unwrap_or(0.0).total_cmp(&b["at_s"].as_f64().unwrap_or(0.0))
    });
    let fields =
        doc.as_object_mut().ok_or_else(|| ShrinkError::NotAnObject { path: path.to_string() })?;
    for key in ["swarm", "variants", "expect"] {
        fields.remove(key);
    }
    fields.insert("seed".into(), seed.into());
    fields.insert("faults".into(), Value::Array(schedule));
    Ok(doc)
}

/// The invariant to keep violated: the one asked for if the run violates it, else the
/// first the run violates.
fn invariant_to_keep(
    path: &str,
    seed: u64,
    asked: Option<&str>,
    violated: &[&str],
) -> Result<String, ShrinkError> {
    match asked {
        Some(id) if violated.contains(&id) => Ok(id.to_string()),
        Some(id) if scenario::KNOWN_INVARIANTS.contains(&id) => Err(ShrinkError::NotViolated {
            seed,
            path: path.to_string(),
            invariant: id.to_string(),
            violated: violated.iter().map(|v| v.to_string()).collect(),
        }),
        Some(id) => Err(ShrinkError::UnknownInvariant { invariant: id.to_string() }),
        None => match violated.first() {
            Some(id) => Ok(id.to_string()),
            None => Err(ShrinkError::NothingViolated { seed, path: path.to_string() }),
        },
    }
}

/// `doc` named and described as the shrunk drill it is, expecting its invariant
/// violated. The description carries the marker that lets a rerun replace the file.
fn described(
    mut doc: Value,
    path: &str,
    seed: u64,
    shrinker: &Shrinker<'_>,
    before: &Size,
    after: &Size,
) -> Value {
    let name = doc["name"].as_str().unwrap_or("scenario").to_string();
    let fields = doc.as_object_mut().expect("an object");
    fields.insert("name".into(), format!("{name}-shrunk-seed-{seed}").into());
    fields.insert(
        "description".into(),
        format!(
            "Shrunk by gameday shrink from {path} seed {seed}: the smallest drill found that still violates {} ({before} before; {after} after; {} of {} attempts).",
            shrinker.invariant, shrinker.attempts, shrinker.attempts_max
        )
        .into(),
    );
    fields.insert("expect".into(), json!({"violated": [shrinker.invariant]}));
    doc
}
