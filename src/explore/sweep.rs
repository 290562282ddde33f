//! `gameday sweep`: one scenario over many seeds, each an independent simulation (with
//! its own swarm schedule when the scenario has one). Records are kept per seed and
//! sorted by seed, so every output is the same whatever the thread count, and shards
//! merge into exactly what one run would have written.

use super::swarm;
use crate::check::Status;
use crate::engine::SimDuration;
use crate::report::{key_metrics, Better};
use crate::scenario::Scenario;
use crate::sim::{self, RunOptions, RunResult};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What one seed's run found: enough to summarize, merge and replay it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SeedRecord {
    pub seed: u64,
    pub trace_hash: String,
    /// Invariants violated, in the checkers' order.
    pub violated: Vec<String>,
    /// Whether the scenario's expectations held.
    pub met: bool,
    /// The headline metrics, in `metrics` order of the sweep (null: not measured).
    pub metrics: Vec<Option<f64>>,
    /// The faults this seed's swarm drew (empty without a swarm).
    pub schedule: Vec<Value>,
    /// Every fault as `[kind, target region, phase when it started]`.
    pub coverage: Vec<[String; 3]>,
    /// Set when the run hit a limit instead of finishing.
    pub error: Option<String>,
}

/// A headline metric's definition, as the sweep reports it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MetricDef {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub better: String,
}

/// Runs one seed: draws its schedule, simulates, records.
pub fn run_seed(
    s: &Scenario,
    seed: u64,
    duration: Option<SimDuration>,
) -> (SeedRecord, Vec<MetricDef>) {
    // The schedule `sim::run` will draw for this seed, recorded for the report.
    let schedule = match &s.swarm {
        Some(sw) => {
            let mut d = s.clone();
            if let Some(dur) = duration {
                d.duration = dur;
            }
            swarm::draw(&d, sw, seed)
        }
        None => Vec::new(),
    };
    let failed = |error: String, schedule: Vec<Value>| SeedRecord {
        seed,
        trace_hash: String::new(),
        violated: Vec::new(),
        met: false,
        metrics: Vec::new(),
        schedule,
        coverage: Vec::new(),
        error: Some(error),
    };
    let opts = RunOptions { seed: Some(seed), duration, ..Default::default() };
    let r = match sim::run(s, &opts) {
        Ok(r) => r,
        Err(e) => return (failed(e.to_string(), schedule), Vec::new()),
    };
    let km = key_metrics(&r);
    let defs = km
        .iter()
        .map(|k| MetricDef {
            id: k.id.into(),
            label: k.label.into(),
            unit: k.unit.into(),
            better: if k.better == Better::Higher { "higher" } else { "lower" }.into(),
        })
        .collect();
    let rec = SeedRecord {
        seed,
        trace_hash: format!("{:016x}", r.trace_hash),
        violated: r
            .invariants
            .iter()
            .filter(|i| i.status == Status::Violated)
            .map(|i| i.id.to_string())
            .collect(),
        met: crate::report::verdict(&r).met,
        metrics: km.iter().map(|k| k.value).collect(),
        coverage: coverage(&r),
        schedule,
        error: None,
    };
    (rec, defs)
}

/// Each fault's kind, target and the phase the system was in when it started:
/// `promotion` (from failure detection until the first write under the new epoch),
/// `recovery` (after an earlier fault healed, until goodput is back at 95% of offered
/// load), or `steady`.
pub fn coverage(r: &RunResult) -> Vec<[String; 3]> {
    let m = &r.metrics;
    let promo: Vec<(f64, f64)> = m
        .promotions
        .iter()
        .map(|p| {
            let from = p.detected_at_s.unwrap_or(p.at_s);
            let until = p.at_s + p.write_rto_ms.map_or(5.0, |x| x / 1e3);
            (from, until)
        })
        .collect();
    let offered = m.load.offered_per_s.seconds();
    let goodput = m.load.goodput_per_s.seconds();
    let at = |v: &[(f64, f64)], t: f64| v.iter().find(|p| p.0 == t).map_or(0.0, |p| p.1);
    let mut recovery: Vec<(f64, f64)> = Vec::new();
    for f in &r.scenario.faults {
        let Some(u) = f.until else { continue };
        let u = u.as_secs_f64();
        let back = offered
            .iter()
            .filter(|(t, o)| *t >= u.floor() + 1.0 && *o > 0.0)
            .find(|(t, o)| at(&goodput, *t) >= 0.95 * o)
            .map_or(u + 60.0, |(t, _)| *t);
        recovery.push((u, back));
    }
    let inside = |w: &[(f64, f64)], t: f64| w.iter().any(|(a, b)| *a <= t && t < *b);
    r.scenario
        .faults
        .iter()
        .map(|f| {
            let t = f.at.as_secs_f64();
            let phase = if inside(&promo, t) {
                "promotion"
            } else if inside(&recovery, t) {
                "recovery"
            } else {
                "steady"
            };
            let region =
                f.kind.region().map_or("-".to_string(), |x| r.scenario.region_name(x).to_string());
            [f.kind.name().to_string(), region, phase.to_string()]
        })
        .collect()
}

/// Runs `seeds` on `jobs` threads; records come back sorted by seed. `tick` is called
/// once per finished seed with whether it met its expectations.
pub fn sweep(
    s: &Scenario,
    seeds: &[u64],
    duration: Option<SimDuration>,
    jobs: usize,
    tick: &(dyn Fn(bool) + Sync),
) -> (Vec<SeedRecord>, Vec<MetricDef>, bool) {
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build().expect("thread pool");
    let results: Vec<Option<(SeedRecord, Vec<MetricDef>)>> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                if super::interrupted() {
                    return None;
                }
                let r = run_seed(s, seed, duration);
                tick(r.0.met && r.0.error.is_none());
                Some(r)
            })
            .collect()
    });
    let partial = results.iter().any(Option::is_none);
    let results: Vec<(SeedRecord, Vec<MetricDef>)> = results.into_iter().flatten().collect();
    let defs = results.iter().find(|r| !r.1.is_empty()).map(|r| r.1.clone()).unwrap_or_default();
    let mut records: Vec<SeedRecord> = results.into_iter().map(|r| r.0).collect();
    records.sort_by_key(|r| r.seed);
    (records, defs, partial)
}

/// The seeds of shard `index` (1-based) of `of`: every `of`-th seed of the range.
pub fn shard_of(seeds: &[u64], shard: Option<(u32, u32)>) -> Vec<u64> {
    match shard {
        None => seeds.to_vec(),
        Some((i, n)) => seeds
            .iter()
            .enumerate()
            .filter(|(k, _)| *k as u64 % u64::from(n) == u64::from(i - 1))
            .map(|(_, s)| *s)
            .collect(),
    }
}

/// Parses `I/N` (1 <= I <= N).
pub fn parse_shard(spec: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!(
            "--shard {spec:?}: expected I/N with 1 <= I <= N, e.g. 2/4 (the second of four shards)"
        )
    };
    let (i, n) = spec.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if i == 0 || n == 0 || i > n || n > 10_000 {
        return Err(bad());
    }
    Ok((i, n))
}

/// First failing seeds listed per invariant.
pub const FIRST_FAILING_MAX: usize = 10;

/// Identifies a sweep, so shards of different sweeps never merge.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SweepId {
    pub scenario: String,
    pub file: String,
    pub hash: String,
    pub seeds_from: u64,
    pub seeds_to: u64,
    pub duration_s: f64,
}

/// The sweep as JSON: what identifies it, the shard (null for a whole sweep), the
/// summary, and every seed's record.
pub fn sweep_json(
    id: &SweepId,
    shard: Option<(u32, u32)>,
    partial: bool,
    defs: &[MetricDef],
    records: &[SeedRecord],
) -> Value {
    json!({
        "kind": "gameday-sweep",
        "partial": partial,
        "schema_version": crate::report::SUMMARY_SCHEMA_VERSION,
        "gameday_version": env!("CARGO_PKG_VERSION"),
        "sweep": id,
        "shard": shard.map(|(i, n)| json!({"index": i, "of": n})),
        "summary": summary(id, defs, records),
        "metric_defs": defs,
        "records": records,
    })
}

/// Per invariant: seeds violating it and the first of them with their replay commands;
/// per metric: its distribution over seeds; the coverage of fault kind x region x phase.
pub fn summary(id: &SweepId, defs: &[MetricDef], records: &[SeedRecord]) -> Value {
    let replay =
        |seed: u64| format!("gameday run {} --seed {seed} --duration-s {}", id.file, id.duration_s);
    let mut inv: Vec<(String, Vec<u64>)> = Vec::new();
    for id in crate::scenario::KNOWN_INVARIANTS {
        let seeds: Vec<u64> =
            records.iter().filter(|r| r.violated.iter().any(|v| v == id)).map(|r| r.seed).collect();
        inv.push((id.to_string(), seeds));
    }
    let invariants: Vec<Value> = inv
        .iter()
        .map(|(id, seeds)| {
            json!({
                "id": id,
                "violated_seeds": seeds.len(),
                "rate": if records.is_empty() { 0.0 } else { seeds.len() as f64 / records.len() as f64 },
                "first_failing": seeds.iter().take(FIRST_FAILING_MAX).map(|&s| json!({"seed": s, "replay": replay(s)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let metrics: Vec<Value> = defs
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let vals: Vec<f64> = records.iter().filter_map(|r| r.metrics.get(k).copied().flatten()).collect();
            json!({"id": d.id, "label": d.label, "unit": d.unit, "distribution": crate::report::compare::distribution(&vals)})
        })
        .collect();
    let mut cov: std::collections::BTreeMap<(String, String, String), u64> = Default::default();
    for r in records {
        for c in &r.coverage {
            *cov.entry((c[0].clone(), c[1].clone(), c[2].clone())).or_default() += 1;
        }
    }
    json!({
        "seeds": records.len(),
        "failed_expectations": records.iter().filter(|r| !r.met).count(),
        "limit_hit": records.iter().filter(|r| r.error.is_some()).map(|r| json!({"seed": r.seed, "error": r.error})).collect::<Vec<_>>(),
        "invariants": invariants,
        "metrics": metrics,
        "coverage": cov.iter().map(|((k, r, p), n)| json!({"kind": k, "region": r, "phase": p, "count": n})).collect::<Vec<_>>(),
    })
}

/// Reasons a set of shard outputs cannot merge.
pub fn merge(parts: Vec<(String, Value)>) -> Result<Value, String> {
    if parts.is_empty() {
        return Err("nothing to merge: name the shards' output folders".into());
    }
    let mut id: Option<SweepId> = None;
    let mut defs: Option<Vec<MetricDef>> = None;
    let mut of: Option<u32> = None;
    let mut seen: Vec<(u32, String)> = Vec::new();
    let mut records: Vec<SeedRecord> = Vec::new();
    for (name, v) in &parts {
        if v["kind"] != "gameday-sweep" {
            return Err(format!(
                "{name}: not a gameday sweep output (no \"kind\": \"gameday-sweep\")"
            ));
        }
        if v["partial"] == true {
            return Err(format!("{name}: an interrupted (partial) shard; run it again to the end"));
        }
        let this: SweepId = serde_json::from_value(v["sweep"].clone())
            .map_err(|e| format!("{name}: sweep: {e}"))?;
        let (i, n) = match (v["shard"]["index"].as_u64(), v["shard"]["of"].as_u64()) {
            (Some(i), Some(n)) => (i as u32, n as u32),
            _ => {
                return Err(format!(
                "{name}: a whole sweep, not a shard; merge takes the outputs of --shard I/N runs"
            ))
            }
        };
        match &id {
            None => id = Some(this.clone()),
            Some(first) if *first != this => {
                return Err(format!(
                    "{name}: from a different sweep ({} seeds {}..{}) than {} ({} seeds {}..{})",
                    this.file,
                    this.seeds_from,
                    this.seeds_to,
                    parts[0].0,
                    first.file,
                    first.seeds_from,
                    first.seeds_to
                ));
            }
            _ => {}
        }
        match of {
            None => of = Some(n),
            Some(m) if m != n => {
                return Err(format!("{name}: shard {i}/{n}, but {} is one of {m}", parts[0].0))
            }
            _ => {}
        }
        if let Some((_, other)) = seen.iter().find(|(j, _)| *j == i) {
            return Err(format!("shard {i}/{n} given twice: {other} and {name}"));
        }
        seen.push((i, name.clone()));
        let d: Vec<MetricDef> = serde_json::from_value(v["metric_defs"].clone())
            .map_err(|e| format!("{name}: metric_defs: {e}"))?;
        if !d.is_empty() {
            defs.get_or_insert(d);
        }
        let rs: Vec<SeedRecord> = serde_json::from_value(v["records"].clone())
            .map_err(|e| format!("{name}: records: {e}"))?;
        records.extend(rs);
    }
    let n = of.expect("at least one part");
    let missing: Vec<String> =
        (1..=n).filter(|i| !seen.iter().any(|(j, _)| j == i)).map(|i| format!("{i}/{n}")).collect();
    if !missing.is_empty() {
        return Err(format!(
            "shard{} {} missing; run them (--shard) and merge all {n}",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ));
    }
    records.sort_by_key(|r| r.seed);
    let id = id.expect("at least one part");
    Ok(sweep_json(&id, None, false, &defs.unwrap_or_default(), &records))
}
