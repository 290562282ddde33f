//! The metrics of one run as typed values: what `Metrics::report` returns, what the
//! reports, `compare` and sweeps read, and what `summary.json` holds under `metrics`.
//! Field names are the JSON's own. Maps are `BTreeMap`s keyed by region (or operation
//! kind, or breaker) because JSON objects come out with sorted keys and readers walk
//! them in that order. Nothing here may depend on the wall clock: the summary is a pure
//! function of scenario, seed and version.

use super::Series;
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything `summary.json` reports under `metrics`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Logical operations offered (final reads excluded).
    pub operations: u64,
    /// Successful completions over all completions, every region and kind.
    pub availability: f64,
    /// Per client region, per operation kind that saw any completion.
    pub availability_by_region: BTreeMap<String, BTreeMap<String, KindAvailability>>,
    pub latency: Latencies,
    /// Per operation kind that saw a success: its latency over every client region and
    /// per client region.
    pub latency_by_op: BTreeMap<String, OpLatency>,
    /// Consensus only: where a write's time goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_latency: Option<CommitLatency>,
    /// With `async_fallback_ms` only: acknowledgements without replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub async_fallback: Option<AsyncFallback>,
    /// Attempts per offered operation.
    pub retry_amplification: f64,
    pub replication_lag: BTreeMap<String, Lag>,
    pub promotions: Vec<Promotion>,
    pub log_entries_peak: usize,
    /// How long after the drill's latest brownout began a detector first saw it.
    pub brownout_detection_ms: Option<f64>,
    pub breaker_transitions: u64,
    /// Breaker state over time per "client->target" (0 closed, 1 half-open, 2 open).
    pub breakers: BTreeMap<String, Series>,
    pub error_budget_burn: ErrorBudgetBurn,
    pub blast_radius: BlastRadius,
    pub load: Load,
    pub snapshots_sent: u64,
    pub conflicts: Conflicts,
    pub by_region: BTreeMap<String, RegionTimeline>,
    pub runbook: Vec<RunbookStep>,
}

/// One operation kind's latency, overall and per client region.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OpLatency {
    #[serde(flatten)]
    pub all: LatencyQuantiles,
    pub by_region: BTreeMap<String, LatencyQuantiles>,
}

/// `async_fallback_ms`: how often and how long primaries acknowledged writes without
/// the replicas the design waits for, and how many.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AsyncFallback {
    pub periods: u64,
    pub seconds: f64,
    /// Writes acknowledged without a replica: those waiting when the primary gave up,
    /// and every one it committed until its replicas caught up.
    pub writes: u64,
}

/// Consensus: the parts of a write's latency the protocol adds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CommitLatency {
    /// From the leader taking a write to a majority of voters holding it (batching
    /// and the round trip to the nearest majority).
    pub quorum_wait: LatencyQuantiles,
    /// Commit wait: from a majority holding a write to the leader showing (and
    /// acknowledging) it, the uncertainty waited out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_wait: Option<LatencyQuantiles>,
}

/// One operation kind's completions in one client region.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KindAvailability {
    pub availability: f64,
    pub ok: u64,
    pub failed: u64,
    pub indeterminate: u64,
}

impl KindAvailability {
    /// Every completion, whatever its outcome.
    pub fn total(&self) -> u64 {
        self.ok + self.failed + self.indeterminate
    }
}

/// Client latency quantiles of successful operations, in ms.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LatencyQuantiles {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub count: u64,
}

/// Latency over every region under `all`, and per client region that saw a success.
///
/// The JSON keeps both in one object, so a region named `all` takes the place of the
/// overall figures there; the accessors read what the JSON holds, so every reader sees
/// the same numbers the file shows.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Latencies(BTreeMap<String, LatencyQuantiles>);

/// The key the overall latency is written under.
const LATENCY_ALL: &str = "all";

impl Latencies {
    /// The overall figures first, then each region with a success, later winning.
    pub fn new(all: LatencyQuantiles, regions: Vec<(String, LatencyQuantiles)>) -> Self {
        let mut map = BTreeMap::new();
        map.insert(LATENCY_ALL.to_string(), all);
        map.extend(regions);
        Latencies(map)
    }

    /// Latency over every client region.
    pub fn all(&self) -> &LatencyQuantiles {
        self.0.get(LATENCY_ALL).expect("the overall latency is always present")
    }

    /// One client region's latency, if it saw a success.
    pub fn region(&self, name: &str) -> Option<&LatencyQuantiles> {
        self.0.get(name)
    }

    pub(super) fn entries(&self) -> &BTreeMap<String, LatencyQuantiles> {
        &self.0
    }
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies::new(LatencyQuantiles::default(), Vec::new())
    }
}

/// A replica's replication lag behind the writer, in ms, while it was up; how long it
/// was down (no lag is counted then: the series has a gap).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Lag {
    pub max_ms: f64,
    pub p99_ms: f64,
    pub down_s: f64,
    pub series_ms: Series,
}

/// One epoch granted during the run, and how long writes were unavailable around it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Promotion {
    pub epoch: u32,
    pub at_s: f64,
    pub region: String,
    pub by_operator: bool,
    /// Who granted it: the control plane, the operator or the emergency successor.
    pub by: &'static str,
    pub detected_at_s: Option<f64>,
    /// Consensus: from the winner's timer finding the leader silent to its winning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub election_ms: Option<f64>,
    /// From the last acknowledged write before the promotion to the first after it.
    pub write_rto_ms: Option<f64>,
}

/// Error-budget burn per client region against `slo`: 1 spends the budget exactly.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ErrorBudgetBurn {
    pub slo: f64,
    pub by_region: BTreeMap<String, f64>,
}

/// The share of customers and cells whose error rate exceeded the threshold.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BlastRadius {
    pub error_rate_threshold: f64,
    pub customers: f64,
    pub customers_hit: usize,
    /// The hit customers (numbered from 0), most failed first, at most 20.
    pub customers_named: Vec<u32>,
    /// Which customers were hit and why, in words.
    pub why: String,
    pub cells: f64,
    pub cells_hit: usize,
}

/// Offered load, goodput and attempts per second; application-tier queues per region.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Load {
    pub offered_per_s: Series,
    pub goodput_per_s: Series,
    pub attempts_per_s: Series,
    /// `(t_us, attempts per offered operation)`, second by second.
    pub retry_amplification_per_s: Vec<(u64, f64)>,
    pub queue_depth: BTreeMap<String, QueueDepth>,
    /// Per region: the oldest wait in a cell queue, at its worst (ms).
    pub queue_oldest_ms: BTreeMap<String, f64>,
}

/// The deepest cell queue of a region over time, and its peak.
#[derive(Clone, Debug, Default, Serialize)]
pub struct QueueDepth {
    pub max: f64,
    pub series: Series,
}

/// Active-active conflict resolutions.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Conflicts {
    pub superseded_unobserved: u64,
    pub remote_updates_merged: u64,
    pub conditional_writes_refused: u64,
}

/// One client region second by second, and its writer and routing bands.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegionTimeline {
    pub ok_per_s: Series,
    pub failed_per_s: Series,
    pub error_rate: Series,
    pub latency_p50_ms: Series,
    pub latency_p99_ms: Series,
    /// When the region's store believed it was the writer.
    pub writer: Vec<BandSpan>,
    /// Where the region's router sent writes.
    pub routes_writes_to: Vec<BandSpan>,
}

/// A span of a timeline band (`until_s` `None`: to the end of the run).
#[derive(Clone, Debug, Default, Serialize)]
pub struct BandSpan {
    pub from_s: f64,
    pub until_s: Option<f64>,
    pub epoch: u32,
    pub region: String,
}

/// A runbook step as it ran (`end_s` `None`: it never finished).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunbookStep {
    pub step: &'static str,
    pub start_s: f64,
    pub end_s: Option<f64>,
}
