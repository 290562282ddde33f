//! The scenario file as written by a user: serde types that mirror the JSON, with a
//! default for every optional field and `deny_unknown_fields` everywhere, so a typo is
//! an error rather than a silently ignored setting. Nothing here is trusted yet:
//! `validate` turns it into a `Scenario`.

pub use crate::fault::file::{FaultFile, FaultKindFile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod design;
mod replication;
mod workload;
pub use design::*;
pub use replication::*;
pub use workload::*;

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The JSON Schema this file follows, for editors (`scenarios/schema.json`).
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The scenario format's version; must be 1.
    pub version: u32,
    /// The scenario's name, shown in summaries and reports; runs write to reports/<name>/ unless
    /// --out says otherwise.
    pub name: String,
    /// Free text: what the drill asks and what it should show. Default empty.
    #[serde(default)]
    pub description: String,
    /// The seed of every random draw in the run (delays, the operation mix, swarm schedules): the
    /// same file and seed give the same run, byte for byte. `--seed` overrides it. Default 1.
    #[serde(default = "one")]
    pub seed: u64,
    /// How long the drill lasts, in simulated seconds: load and faults run until then, then faults
    /// heal and the liveness phase begins (bounded by limits.convergence_max_s). Above 0, at most
    /// limits.sim_time_max_s. Default 60.
    #[serde(default = "d_duration_s")]
    pub duration_s: f64,
    /// The regions, 1 to 16, each with a unique name: exactly one primary (the writer at the
    /// start); the others standbys (may be promoted) or read replicas (serve reads, never
    /// promoted).
    pub regions: Vec<RegionFile>,
    /// Round-trip times and jitter between and within regions. Default: 100 ms between regions, 1
    /// ms within one, 1 ms mean jitter.
    #[serde(default)]
    pub network: NetworkFile,
    /// What you would build: topology, replication, fencing and leases, promotion, routing, reads,
    /// idempotency, capacity, client-side guards. Every part has a default: one writer
    /// (active-passive), async replication, no fencing, promotion only by an operator.
    #[serde(default)]
    pub design: DesignFile,
    /// The traffic: operations per second, the operation mix, how many entities of each kind,
    /// timeouts, retries and read classes. Default: 200 operations per second, half register reads,
    /// 30% writes, 20% cas.
    #[serde(default)]
    pub workload: WorkloadFile,
    /// What goes wrong, and when: each fault has a kind, a start (at_s) and the kind's own fields.
    /// Default none. A swarm adds randomized faults per seed.
    #[serde(default)]
    pub faults: Vec<FaultFile>,
    /// Bounds on the run: events dispatched, simulated time, the liveness phase and the recovery
    /// time. A run that hits the events or time limit stops with exit 3.
    #[serde(default)]
    pub limits: LimitsFile,
    /// What the drill should show: invariants that must be violated, invariants that must hold, and
    /// bounds on summary metrics; the run's verdict and `gameday check` compare against it.
    /// Absent: every invariant must hold.
    #[serde(default)]
    pub expect: Option<ExpectFile>,
    /// Alternative designs for `gameday compare`: each patches `design`.
    #[serde(default)]
    pub variants: Vec<VariantFile>,
    /// Randomized fault schedules: each seed draws its own, added to `faults`.
    #[serde(default)]
    pub swarm: Option<SwarmFile>,
}

/// A swarm drill: fault kinds with weights and targets, how many faults and how many
/// at once, when and for how long, and the fault tolerance the design claims.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwarmFile {
    /// The fault kinds the swarm draws from, each with a relative weight and optional targets.
    pub faults: Vec<SwarmFaultFile>,
    /// How many faults each seed draws, {min, max}: whole numbers up to 64. Default 1 to 4.
    #[serde(default)]
    pub count: Option<RangeFile>,
    /// At most this many drawn faults are active at once; at least 1. Default 2.
    #[serde(default)]
    pub max_concurrent: Option<u32>,
    /// When drawn faults start, {min, max} in seconds from the start of the run; max before
    /// duration_s. Default 0 to 80% of duration_s.
    #[serde(default)]
    pub at_s: Option<RangeFile>,
    /// How long each drawn fault lasts, {min, max} in seconds; min at least 0.001. Default 1 to a
    /// quarter of duration_s (at least 1).
    #[serde(default)]
    pub for_s: Option<RangeFile>,
    /// The failures the design claims to survive; schedules beyond that claim are not drawn.
    /// Absent: no claim, any schedule may be drawn.
    #[serde(default)]
    pub tolerance: Option<ToleranceFile>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwarmFaultFile {
    /// The fault kind, as in faults[].kind.
    pub kind: FaultKindFile,
    /// How often this kind is drawn, relative to the others' weights (1 and 3: one draw in four is
    /// the first). Above 0. Default 1.
    #[serde(default = "one_f")]
    pub weight: f64,
    /// Regions it may target, each one the kind can act on (default: every region it can
    /// act on, so no stall on the primary, no promotion of a read-replica).
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// The kind's other fields, as in a fault (`factor`, `latency_factor`, ...).
    #[serde(default)]
    pub with: serde_json::Map<String, serde_json::Value>,
}

fn one_f() -> f64 {
    1.0
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeFile {
    /// The low end of the range.
    pub min: f64,
    /// The high end of the range; at least min.
    pub max: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToleranceFile {
    /// Regions the design claims to survive losing at once (an outage, or cut off by a
    /// partition); schedules that take more are not generated.
    pub regions_down: Option<u32>,
}

/// A named alternative design: a JSON merge patch (RFC 7386) over the scenario's
/// `design`: give only what differs; `null` removes a setting.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantFile {
    /// The variant's name, which labels its column in compare reports.
    pub name: String,
    /// Free text: what this design changes and why. Default empty.
    #[serde(default)]
    pub description: String,
    /// A JSON merge patch over the scenario's design: only the fields that differ; null removes a
    /// setting.
    pub design: serde_json::Value,
}

fn one() -> u64 {
    1
}
fn d_duration_s() -> f64 {
    60.0
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionFile {
    /// The region's name (for example us-east), unique in the file: no slash, no spaces. Faults,
    /// clients, the control plane and rtt_ms pairs refer to regions by it.
    pub name: String,
    /// primary: the writer at the start (exactly one region); standby: a replica that can be
    /// promoted; read-replica: a replica that serves reads and is never promoted.
    pub role: RoleFile,
    /// How the region's clock differs from true time: an offset and a drift. Default: exact.
    #[serde(default)]
    pub clock: ClockFile,
    /// Availability zones: the region's store is replicated once per zone, named
    /// "region/zone" (zones from 0; clients and the writer start in zone 0). Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoleFile {
    Primary,
    Standby,
    ReadReplica,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockFile {
    /// How far ahead of true time the region's clock starts, in milliseconds (negative: behind),
    /// within one day either way. Default 0.
    #[serde(default)]
    pub offset_ms: f64,
    /// How fast the region's clock runs off true time, in parts per million (positive: fast),
    /// strictly between -1000000 and 1000000. Default 0.
    #[serde(default)]
    pub drift_ppm: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkFile {
    /// Round-trip times keyed "a/b" (either order); pairs not named use `default_rtt_ms`.
    pub rtt_ms: BTreeMap<String, f64>,
    /// Round-trip time in milliseconds between two regions that rtt_ms does not name. Default 100.
    pub default_rtt_ms: f64,
    /// Round trip inside one region.
    pub local_rtt_ms: f64,
    /// Mean of the heavy-tailed (Pareto) jitter added to every one-way delay.
    pub jitter_ms: f64,
    /// Round trip between two zones of one region (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_rtt_ms: Option<f64>,
}

impl Default for NetworkFile {
    fn default() -> Self {
        NetworkFile {
            rtt_ms: BTreeMap::new(),
            default_rtt_ms: 100.0,
            local_rtt_ms: 1.0,
            jitter_ms: 1.0,
            zone_rtt_ms: None,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsFile {
    /// The most events a run may dispatch before it stops with exit 3, a guard against a run that
    /// would never end. At least 1. Default 2000000000.
    pub events_max: Option<u64>,
    /// The most simulated seconds a run may last, liveness phase included, before it stops with
    /// exit 3; at least duration_s. Default 86400 (one day).
    pub sim_time_max_s: Option<f64>,
    /// Bound on the liveness phase after the drill: heal, drain, converge.
    pub convergence_max_s: Option<f64>,
    /// How soon after the last fault heals a write must succeed again.
    pub rto_max_s: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExpectFile {
    /// Invariant ids the run must violate (a drill that shows a failure): single_writer,
    /// fenced_writes, acked_durability, freshness, domain, exactly_once_effects, no_lost_update,
    /// recovery, session, linearizable, append_integrity. Default none.
    pub violated: Vec<String>,
    /// Invariant ids the run must hold, the same ids as violated. Default none.
    pub hold: Vec<String>,
    /// Bounds on summary metrics, by dot path into `metrics` ("availability",
    /// "blast_radius.customers").
    pub metrics: BTreeMap<String, BoundFile>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoundFile {
    /// The metric must be at least this. Absent: no lower bound.
    pub min: Option<f64>,
    /// The metric must be at most this. Absent: no upper bound.
    pub max: Option<f64>,
}
