//! The reconciliation report (`reconciliation.json`, and a line in the terminal summary
//! and report.html): after the liveness phase, what the regions disagree on and what
//! the acknowledged history says went wrong. Read from the typed checker details and
//! metrics; it changes nothing.

use super::SUMMARY_SCHEMA_VERSION;
use crate::check::details::{
    details, AckedDurabilityDetails, DuplicateEffect, DuplicateWrite, ExactlyOnceEffectsDetails,
    LostWrite,
};
use crate::metrics::Conflicts;
use crate::sim::RunResult;
use serde::Serialize;
use serde_json::Value;

/// The reconciliation report. A figure is `None` (null in the JSON) when the run has no
/// report from the invariant that counts it.
#[derive(Clone, Debug, Serialize)]
pub struct Reconciliation<'a> {
    pub gameday_version: &'static str,
    pub schema_version: u32,
    pub scenario: &'a str,
    pub seed: u64,
    pub converged: bool,
    pub writer: &'a str,
    pub epoch: u32,
    pub divergent_keys: DivergentKeys<'a>,
    pub lost_acknowledged_writes: LostWrites<'a>,
    pub duplicate_writes: Examples<'a, DuplicateWrite>,
    pub duplicate_effects: Examples<'a, DuplicateEffect>,
    pub missing_effects: Option<u64>,
    pub effects_without_acknowledged_operation: Option<u64>,
    pub dead_lettered: Option<u64>,
    pub quarantined_events: Option<u64>,
    pub merge_decisions: &'a Conflicts,
}

/// Keys whose value differs between regions at the end, with the first few by name.
#[derive(Clone, Debug, Serialize)]
pub struct DivergentKeys<'a> {
    pub count: u64,
    pub examples: &'a [Value],
}

#[derive(Clone, Debug, Serialize)]
pub struct LostWrites<'a> {
    pub count: Option<u64>,
    pub rpo_ms: Option<f64>,
    pub examples: Option<&'a [LostWrite]>,
}

/// A count, and the first few counted by name.
#[derive(Clone, Debug, Serialize)]
pub struct Examples<'a, T> {
    pub count: Option<u64>,
    pub examples: Option<&'a [T]>,
}

/// The reconciliation report of a run.
pub fn reconciliation(run: &RunResult) -> Reconciliation<'_> {
    let lost = details::<AckedDurabilityDetails>(&run.invariants);
    let dup = details::<ExactlyOnceEffectsDetails>(&run.invariants);
    Reconciliation {
        gameday_version: env!("CARGO_PKG_VERSION"),
        schema_version: SUMMARY_SCHEMA_VERSION,
        scenario: &run.scenario.name,
        seed: run.seed,
        converged: run.converged_at.is_some(),
        writer: &run.final_writer,
        epoch: run.final_epoch,
        divergent_keys: DivergentKeys {
            count: run.divergent_keys,
            examples: &run.divergent_examples,
        },
        lost_acknowledged_writes: LostWrites {
            count: lost.map(|d| d.lost_writes),
            rpo_ms: lost.map(|d| d.rpo_ms),
            examples: lost.map(|d| d.examples.as_slice()),
        },
        duplicate_writes: Examples {
            count: dup.map(|d| d.duplicate_writes),
            examples: dup.map(|d| d.examples.as_slice()),
        },
        duplicate_effects: Examples {
            count: dup.map(|d| d.duplicate_effects),
            examples: dup.map(|d| d.effect_examples.as_slice()),
        },
        missing_effects: dup.map(|d| d.missing_effects),
        effects_without_acknowledged_operation: dup.map(|d| d.effects_without_ack),
        dead_lettered: dup.map(|d| d.dead_lettered),
        quarantined_events: dup.map(|d| d.quarantined_events),
        merge_decisions: &run.metrics.conflicts,
    }
}

/// The reconciliation report as JSON (keys sorted, as every gameday JSON output).
pub fn reconciliation_json(run: &RunResult) -> Value {
    serde_json::to_value(reconciliation(run)).expect("the reconciliation report serializes")
}

/// A count as the reports print it: `null` when there is none, as the JSON shows it.
pub(crate) fn count_text(n: Option<u64>) -> String {
    n.map_or("null".to_string(), |n| n.to_string())
}
