//! What a run's result means, for every consumer above the run (explore, compare,
//! report): whether it met its scenario's expectations, the command that replays it,
//! its headline figures and their distribution over seeds. Rendering these as text or
//! HTML is the report's business.

use crate::check::details::{
    details, AckedDurabilityDetails, ExactlyOnceEffectsDetails, FreshnessDetails, RecoveryDetails,
};
use crate::check::Status;
use crate::sim::RunResult;

pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// Whether the run met its scenario's expectations, and what differed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub has_expect: bool,
    pub met: bool,
    pub unmet: Vec<String>,
}

pub fn verdict(r: &RunResult) -> Verdict {
    let status = |id: &str| r.invariants.iter().find(|i| i.id == id).map(|i| i.status);
    match &r.scenario.expect {
        Some(e) => {
            let mut unmet = Vec::new();
            for id in &e.violated {
                if status(id) != Some(Status::Violated) {
                    unmet.push(format!("{id} expected violated, but it held"));
                }
            }
            for id in &e.hold {
                if status(id) != Some(Status::Held) {
                    let was = status(id).map_or("not checked", Status::as_str);
                    unmet.push(format!("{id} expected to hold, but it was {was}"));
                }
            }
            for (path, lo, hi) in &e.metrics {
                match r.metrics.metric(path) {
                    None => unmet.push(format!("metric {path} is not in this run's summary")),
                    Some(x) if lo.is_some_and(|lo| x < lo) || hi.is_some_and(|hi| x > hi) => {
                        let range = match (lo, hi) {
                            (Some(a), Some(b)) => format!("between {a} and {b}"),
                            (Some(a), None) => format!("at least {a}"),
                            (None, Some(b)) => format!("at most {b}"),
                            (None, None) => String::new(),
                        };
                        unmet.push(format!("metric {path} is {x:.4}, expected {range}"));
                    }
                    Some(_) => {}
                }
            }
            Verdict { has_expect: true, met: unmet.is_empty(), unmet }
        }
        None => {
            let unmet: Vec<String> = r
                .invariants
                .iter()
                .filter(|i| i.status == Status::Violated)
                .map(|i| format!("{} violated", i.id))
                .collect();
            Verdict { has_expect: false, met: unmet.is_empty(), unmet }
        }
    }
}

/// The run in one sentence: what happened (which invariants were violated) first, then
/// whether that is what the scenario expects. The terminal's first and last lines,
/// `--quiet`, and the report all use it.
pub fn headline(r: &RunResult) -> String {
    let with = |status: Status| -> Vec<&str> {
        r.invariants.iter().filter(|i| i.status == status).map(|i| i.id).collect()
    };
    let (violated, unknown) = (with(Status::Violated), with(Status::Unknown));
    let plural = |n: usize| if n == 1 { "invariant" } else { "invariants" };
    let mut what = if violated.is_empty() {
        format!("all {} checked invariants held", r.invariants.len() - unknown.len())
    } else {
        format!("{} {} violated ({})", violated.len(), plural(violated.len()), violated.join(", "))
    };
    if !unknown.is_empty() {
        what += &format!(", {} undecided ({})", unknown.len(), unknown.join(", "));
    }
    let v = verdict(r);
    match (v.has_expect, v.met) {
        (true, true) => format!("{what}, as this scenario expects"),
        (true, false) => {
            format!("{what}; NOT what this scenario expects: {}", v.unmet.join("; "))
        }
        (false, _) => format!("{what} (the scenario states no expectations)"),
    }
}

/// The command that replays this run exactly.
pub fn replay_command(r: &RunResult) -> String {
    format!(
        "gameday run {} --seed {} --duration-s {}",
        crate::output::text::shell_word(&r.scenario.source_path),
        r.seed,
        r.scenario.duration.as_secs_f64()
    )
}

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
}

use Better::{Higher, Lower};

/// One headline figure of a run, the same in the report, `compare` and sweeps.
#[derive(Clone, Debug, serde::Serialize)]
pub struct KeyMetric {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    /// `None` when the run had nothing to measure (no promotion, no brownout...).
    pub value: Option<f64>,
    pub better: Better,
}

/// The headline figures' ids, labels, units and the direction in which each improves,
/// in the order every report shows them (`key_metric_values` gives their values).
const KEY_METRICS: [(&str, &str, &str, Better); 22] = [
    ("availability", "availability", "share", Higher),
    ("latency_p50_ms", "latency p50", "ms", Lower),
    ("latency_p99_ms", "latency p99", "ms", Lower),
    ("latency_p999_ms", "latency p99.9", "ms", Lower),
    ("retry_amplification", "retry amplification", "attempts/op", Lower),
    ("lost_acked_writes", "lost acknowledged writes", "writes", Lower),
    ("rpo_ms", "RPO", "ms", Lower),
    ("write_rto_ms", "write RTO (worst promotion)", "ms", Lower),
    ("recovered_within_s", "goodput recovered after last heal", "s", Lower),
    ("brownout_detection_ms", "brownout detected after", "ms", Lower),
    ("replication_lag_max_ms", "replication lag, worst replica", "ms", Lower),
    ("stale_read_share", "stale reads", "share", Lower),
    ("staleness_p50_ms", "staleness p50 (stale reads)", "ms", Lower),
    ("staleness_p99_ms", "staleness p99", "ms", Lower),
    ("staleness_max_ms", "staleness max", "ms", Lower),
    ("duplicate_writes", "writes applied twice", "writes", Lower),
    ("duplicate_effects", "effects performed twice", "effects", Lower),
    ("conflicts_superseded", "writes superseded unobserved", "writes", Lower),
    ("blast_radius_customers", "blast radius, customers", "share", Lower),
    ("blast_radius_cells", "blast radius, cells", "share", Lower),
    ("error_budget_burn_max", "error-budget burn, worst region", "x budget", Lower),
    ("divergent_keys", "divergent keys at the end", "keys", Lower),
];

/// The headline figures of a run, in a fixed order.
pub fn key_metrics(run: &RunResult) -> Vec<KeyMetric> {
    KEY_METRICS
        .iter()
        .zip(key_metric_values(run))
        .map(|(&(id, label, unit, better), value)| KeyMetric { id, label, unit, value, better })
        .collect()
}

/// The values of `KEY_METRICS`, one for one, in its order.
fn key_metric_values(r: &RunResult) -> [Option<f64>; 22] {
    let m = &r.metrics;
    let lat = m.latency.all();
    let fresh = details::<FreshnessDetails>(&r.invariants);
    let dup = details::<ExactlyOnceEffectsDetails>(&r.invariants);
    let lost = details::<AckedDurabilityDetails>(&r.invariants);
    let recovery = details::<RecoveryDetails>(&r.invariants);
    let stale_share = fresh.filter(|f| f.reads > 0).map(|f| f.stale_reads as f64 / f.reads as f64);
    let rto = m.promotions.iter().filter_map(|p| p.write_rto_ms).reduce(f64::max);
    let lag_max = m.replication_lag.values().map(|l| l.max_ms).reduce(f64::max);
    let burn_max = m.error_budget_burn.by_region.values().copied().reduce(f64::max);
    [
        Some(m.availability),
        Some(lat.p50_ms),
        Some(lat.p99_ms),
        Some(lat.p999_ms),
        Some(m.retry_amplification),
        Some(lost.map_or(0.0, |d| d.lost_writes as f64)),
        Some(lost.map_or(0.0, |d| d.rpo_ms)),
        rto,
        recovery.and_then(|d| d.goodput_recovered_within_s).map(|s| s as f64),
        m.brownout_detection_ms,
        lag_max,
        stale_share,
        fresh.map(|f| f.staleness_ms_p50),
        fresh.map(|f| f.staleness_ms_p99),
        fresh.map(|f| f.staleness_ms_max),
        dup.map(|d| d.duplicate_writes as f64),
        dup.map(|d| d.duplicate_effects as f64),
        Some(m.conflicts.superseded_unobserved as f64),
        Some(m.blast_radius.customers),
        Some(m.blast_radius.cells),
        burn_max,
        Some(r.divergent_keys as f64),
    ]
}

/// Minimum, median, 99th percentile and maximum of some values (nearest rank).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dist {
    /// How many values (finite ones only).
    #[serde(rename = "n")]
    pub count: usize,
    pub min: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

pub fn distribution(values: &[f64]) -> Option<Dist> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Some(Dist { count: v.len(), min: v[0], p50: q(0.5), p99: q(0.99), max: v[v.len() - 1] })
}
