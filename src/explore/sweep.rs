//! `gameday sweep`: one scenario over many seeds, each an independent simulation (with
//! its own swarm schedule when the scenario has one). Records are kept per seed and
//! sorted by seed, so every output is the same whatever the thread count, and shards
//! merge into exactly what one run would have written.

use super::shard::ShardError;
use crate::check::Status;
use crate::engine::SimDuration;
use crate::outcome::{distribution, key_metrics, Better, Dist};
use crate::scenario::Scenario;
use crate::sim::{self, RunOptions, RunResult};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

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
    /// Every fault, with its target and the phase when it started.
    pub coverage: Vec<FaultCoverage>,
    /// Set when the run hit a limit instead of finishing.
    pub error: Option<String>,
}

/// One fault of a seed's run: its kind, the region it targets (`-` for none) and the
/// phase the system was in when it started. Written as `[kind, region, phase]`; ordered
/// as those three strings, which is how the coverage table is sorted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "(String, String, CoveragePhase)", into = "(String, String, CoveragePhase)")]
pub struct FaultCoverage {
    pub kind: String,
    pub region: String,
    pub phase: CoveragePhase,
}

impl From<(String, String, CoveragePhase)> for FaultCoverage {
    fn from((kind, region, phase): (String, String, CoveragePhase)) -> Self {
        FaultCoverage { kind, region, phase }
    }
}

impl From<FaultCoverage> for (String, String, CoveragePhase) {
    fn from(c: FaultCoverage) -> Self {
        (c.kind, c.region, c.phase)
    }
}

/// What the system was doing when a fault started (see `coverage`). The variants are
/// declared in the alphabetical order of their names, so sorting by phase sorts as the
/// names do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoveragePhase {
    /// From failure detection until the first write under the new epoch.
    Promotion,
    /// After an earlier fault healed, until goodput is back at 95% of offered load.
    Recovery,
    Steady,
}

impl CoveragePhase {
    /// The phases in the order the coverage heatmap shows them.
    pub const SHOWN: [CoveragePhase; 3] =
        [CoveragePhase::Steady, CoveragePhase::Promotion, CoveragePhase::Recovery];

    pub fn name(self) -> &'static str {
        match self {
            CoveragePhase::Steady => "steady",
            CoveragePhase::Promotion => "promotion",
            CoveragePhase::Recovery => "recovery",
        }
    }
}

/// A headline metric's definition, as the sweep reports it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MetricDef {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub better: Better,
}

/// Runs one seed: draws its schedule, simulates, records.
pub fn run_seed(
    scenario: &Scenario,
    seed: u64,
    duration: Option<SimDuration>,
) -> (SeedRecord, Vec<MetricDef>) {
    // The schedule `sim::run` will draw for this seed, recorded for the report.
    let schedule = match &scenario.swarm {
        Some(sw) => {
            let mut d = scenario.clone();
            if let Some(dur) = duration {
                d.duration = dur;
            }
            let drawn = crate::scenario::swarm::draw(&d, sw, seed);
            drawn.iter().map(|f| serde_json::to_value(f).expect("a fault serializes")).collect()
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
    let r = match sim::run(scenario, &opts) {
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
            better: k.better,
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
        met: crate::outcome::verdict(&r).met,
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
pub fn coverage(run: &RunResult) -> Vec<FaultCoverage> {
    let m = &run.metrics;
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
    for f in &run.scenario.faults {
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
    run.scenario
        .faults
        .iter()
        .map(|f| {
            let t = f.at.as_secs_f64();
            let phase = if inside(&promo, t) {
                CoveragePhase::Promotion
            } else if inside(&recovery, t) {
                CoveragePhase::Recovery
            } else {
                CoveragePhase::Steady
            };
            let region = f
                .kind
                .region()
                .map_or("-".to_string(), |x| run.scenario.region_name(x).to_string());
            FaultCoverage { kind: f.kind.name().to_string(), region, phase }
        })
        .collect()
}

/// Runs `seeds` on `jobs` threads; records come back sorted by seed. `tick` is called
/// once per finished seed with whether it met its expectations.
pub fn sweep(
    scenario: &Scenario,
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
                let r = run_seed(scenario, seed, duration);
                if r.0.error.is_some() && super::interrupted() {
                    // Stopped part way: it did not run, rather than failing.
                    return None;
                }
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
pub fn parse_shard(spec: &str) -> Result<(u32, u32), ShardError> {
    let bad = || ShardError { spec: spec.to_string() };
    let (i, n) = spec.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if i == 0 || n == 0 || i > n || n > super::shard::SHARDS_MAX {
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

/// Which shard of how many (1-based).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardRef {
    pub index: u32,
    pub of: u32,
}

/// `sweep.json`: what identifies the sweep, the shard (`None` for a whole sweep or a
/// merge), the summary and every seed's record.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SweepDoc {
    /// Always `gameday-sweep`, by which `merge` knows the file.
    pub kind: String,
    /// Set when Ctrl-C stopped the sweep before every seed ran.
    pub partial: bool,
    pub schema_version: u32,
    pub gameday_version: String,
    pub sweep: SweepId,
    pub shard: Option<ShardRef>,
    pub summary: SweepSummary,
    pub metric_defs: Vec<MetricDef>,
    pub records: Vec<SeedRecord>,
}

/// The summary of a sweep, recomputed from its records.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SweepSummary {
    pub seeds: usize,
    pub failed_expectations: usize,
    /// The smallest seed that missed the scenario's expectations or hit a limit: the
    /// same whatever the thread count or sharding, because it is chosen by seed.
    #[serde(default)]
    pub first_failure: Option<FailingSeed>,
    pub limit_hit: Vec<LimitHit>,
    pub invariants: Vec<InvariantRate>,
    pub metrics: Vec<MetricDistribution>,
    pub coverage: Vec<CoverageCount>,
}

/// A seed whose run hit a limit, and which.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LimitHit {
    pub seed: u64,
    pub error: Option<String>,
}

/// One invariant over the sweep: how many seeds violated it, and the first of them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct InvariantRate {
    pub id: String,
    pub violated_seeds: usize,
    pub rate: f64,
    pub first_failing: Vec<FailingSeed>,
}

/// A seed that violated an invariant, with the command that replays it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FailingSeed {
    pub seed: u64,
    pub replay: String,
}

/// One headline metric over the sweep (`None`: no seed measured it).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MetricDistribution {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub distribution: Option<Dist>,
}

/// How many faults of a kind hit a region in a phase, over every seed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CoverageCount {
    pub kind: String,
    pub region: String,
    pub phase: CoveragePhase,
    pub count: u64,
}

impl SweepDoc {
    /// A sweep document this program wrote (by `sweep_json` or `merge`), typed again.
    pub fn read(v: &Value) -> SweepDoc {
        SweepDoc::deserialize(v).expect("a sweep document gameday wrote")
    }
}

/// The sweep: what identifies it, the shard (null for a whole sweep), the summary, and
/// every seed's record.
pub fn sweep_doc(
    id: &SweepId,
    shard: Option<(u32, u32)>,
    partial: bool,
    defs: &[MetricDef],
    records: &[SeedRecord],
) -> SweepDoc {
    SweepDoc {
        kind: "gameday-sweep".into(),
        partial,
        schema_version: crate::outcome::SUMMARY_SCHEMA_VERSION,
        gameday_version: env!("CARGO_PKG_VERSION").into(),
        sweep: id.clone(),
        shard: shard.map(|(index, of)| ShardRef { index, of }),
        summary: summary(id, defs, records),
        metric_defs: defs.to_vec(),
        records: records.to_vec(),
    }
}

/// The sweep as JSON (keys sorted, as every gameday JSON output); see `sweep_doc`.
pub fn sweep_json(
    id: &SweepId,
    shard: Option<(u32, u32)>,
    partial: bool,
    defs: &[MetricDef],
    records: &[SeedRecord],
) -> Value {
    to_json(&sweep_doc(id, shard, partial, defs, records))
}

/// The document as sweep.json holds it (through `Value`, so keys come out sorted).
pub fn to_json(doc: &SweepDoc) -> Value {
    serde_json::to_value(doc).expect("a sweep document serializes")
}

/// Per invariant: seeds violating it and the first of them with their replay commands;
/// per metric: its distribution over seeds; the coverage of fault kind x region x phase.
pub fn summary(id: &SweepId, defs: &[MetricDef], records: &[SeedRecord]) -> SweepSummary {
    let file = crate::output::text::shell_word(&id.file);
    let replay =
        |seed: u64| format!("gameday run {file} --seed {seed} --duration-s {}", id.duration_s);
    let invariants = crate::scenario::KNOWN_INVARIANTS
        .iter()
        .map(|inv| {
            let mut seeds: Vec<u64> = records
                .iter()
                .filter(|r| r.violated.iter().any(|v| v == inv))
                .map(|r| r.seed)
                .collect();
            // Smallest first, whatever order the records came in.
            seeds.sort_unstable();
            InvariantRate {
                id: inv.to_string(),
                violated_seeds: seeds.len(),
                rate: if records.is_empty() {
                    0.0
                } else {
                    seeds.len() as f64 / records.len() as f64
                },
                first_failing: seeds
                    .iter()
                    .take(FIRST_FAILING_MAX)
                    .map(|&seed| FailingSeed { seed, replay: replay(seed) })
                    .collect(),
            }
        })
        .collect();
    let first_failure = records
        .iter()
        .filter(|r| !r.met || r.error.is_some())
        .map(|r| r.seed)
        .min()
        .map(|seed| FailingSeed { seed, replay: replay(seed) });
    SweepSummary {
        seeds: records.len(),
        failed_expectations: records.iter().filter(|r| !r.met).count(),
        first_failure,
        limit_hit: records
            .iter()
            .filter(|r| r.error.is_some())
            .map(|r| LimitHit { seed: r.seed, error: r.error.clone() })
            .collect(),
        invariants,
        metrics: distributions(defs, records),
        coverage: coverage_counts(records),
    }
}

/// Each headline metric's distribution over the seeds that measured it.
fn distributions(defs: &[MetricDef], records: &[SeedRecord]) -> Vec<MetricDistribution> {
    defs.iter()
        .enumerate()
        .map(|(k, d)| {
            let vals: Vec<f64> =
                records.iter().filter_map(|r| r.metrics.get(k).copied().flatten()).collect();
            MetricDistribution {
                id: d.id.clone(),
                label: d.label.clone(),
                unit: d.unit.clone(),
                distribution: distribution(&vals),
            }
        })
        .collect()
}

/// Faults per (kind, region, phase) over every seed, sorted.
fn coverage_counts(records: &[SeedRecord]) -> Vec<CoverageCount> {
    let mut cov: BTreeMap<&FaultCoverage, u64> = BTreeMap::new();
    for c in records.iter().flat_map(|r| &r.coverage) {
        *cov.entry(c).or_default() += 1;
    }
    cov.into_iter()
        .map(|(c, count)| CoverageCount {
            kind: c.kind.clone(),
            region: c.region.clone(),
            phase: c.phase,
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seed: u64, met: bool, error: Option<&str>) -> SeedRecord {
        let cov = |kind: &str, phase| FaultCoverage {
            kind: kind.into(),
            region: "us-east".into(),
            phase,
        };
        SeedRecord {
            seed,
            trace_hash: format!("{seed:016x}"),
            violated: if met { Vec::new() } else { vec!["acked_durability".into()] },
            met,
            metrics: vec![Some(seed as f64 / 3.0), None],
            schedule: Vec::new(),
            coverage: vec![
                cov("region_outage", CoveragePhase::Steady),
                cov("partition", CoveragePhase::Promotion),
            ],
            error: error.map(String::from),
        }
    }

    fn id() -> SweepId {
        SweepId {
            scenario: "s".into(),
            file: "s.json".into(),
            hash: "0".into(),
            seeds_from: 1,
            seeds_to: 3,
            duration_s: 20.0,
        }
    }

    fn defs() -> Vec<MetricDef> {
        let def = |id: &str, better| MetricDef {
            id: id.into(),
            label: id.into(),
            unit: "ms".into(),
            better,
        };
        vec![def("rpo_ms", Better::Lower), def("availability", Better::Higher)]
    }

    /// What `sweep_json` writes reads back as the very document it was written from,
    /// coverage triples and metric directions included.
    #[test]
    fn a_sweep_document_reads_back_as_written() {
        let records = [record(1, true, None), record(2, false, None)];
        let doc = sweep_doc(&id(), Some((1, 2)), false, &defs(), &records);
        let v = sweep_json(&id(), Some((1, 2)), false, &defs(), &records);
        assert_eq!(
            v["records"][0]["coverage"][1],
            serde_json::json!(["partition", "us-east", "promotion"])
        );
        assert_eq!(v["metric_defs"][1]["better"], "higher");
        assert_eq!(SweepDoc::read(&v), doc);
        let cov: Vec<(&str, CoveragePhase, u64)> =
            doc.summary.coverage.iter().map(|c| (c.kind.as_str(), c.phase, c.count)).collect();
        assert_eq!(
            cov,
            [
                ("partition", CoveragePhase::Promotion, 2),
                ("region_outage", CoveragePhase::Steady, 2)
            ]
        );
    }

    /// The first failure is the smallest failing seed, not the first invariant's first
    /// seed nor the first record: records that arrive out of order (as threads finish)
    /// name the same seed, in sweep.json and on the terminal.
    #[test]
    fn the_first_failure_is_the_smallest_failing_seed() {
        let mut late = record(5, false, None);
        late.violated = vec!["single_writer".into()];
        let records = [late, record(3, true, None), record(2, false, None)];
        let doc = sweep_doc(&id(), None, false, &defs(), &records);
        assert_eq!(doc.summary.first_failure.as_ref().map(|f| f.seed), Some(2));
        let firsts = |inv: &str| -> Vec<u64> {
            let rate = doc.summary.invariants.iter().find(|i| i.id == inv).unwrap();
            rate.first_failing.iter().map(|f| f.seed).collect()
        };
        assert_eq!(firsts("single_writer"), [5]);
        assert_eq!(firsts("acked_durability"), [2]);
        // Wrapped lines joined again: the terminal fits its lines to 100 columns.
        let text = crate::report::sweep::sweep_terminal_of(&doc).replace("\n  ", " ");
        assert!(
            text.contains(
                "first failure: seed 2 (missed the expectations; violated acked_durability)"
            ),
            "{text}"
        );
        assert!(text.contains("replay: gameday run s.json --seed 2 "), "{text}");
        assert!(text.contains("2 of 3 seeds missed"), "{text}");
        let one = sweep_doc(&id(), None, false, &defs(), &[record(1, true, None)]);
        assert_eq!(one.summary.first_failure, None);
        let text = crate::report::sweep::sweep_terminal_of(&one);
        assert!(text.contains("(1 run)") && text.contains("0 of 1 seed missed"), "{text}");
        assert!(!text.contains("first failure"), "{text}");
    }

    /// What the command line's exit code comes from: seeds that missed their
    /// expectations and seeds that hit a limit, counted from the records.
    #[test]
    fn the_exit_code_inputs_come_from_the_records() {
        let tally = |records: &[SeedRecord]| {
            let summary = summary(&id(), &defs(), records);
            (summary.failed_expectations, summary.limit_hit.len())
        };
        assert_eq!(tally(&[record(1, true, None)]), (0, 0));
        assert_eq!(tally(&[record(1, true, None), record(2, false, None)]), (1, 0));
        assert_eq!(tally(&[record(2, false, None), record(3, false, Some("limit"))]), (2, 1));
    }
}
