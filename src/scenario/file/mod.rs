//! The scenario file as written by a user: serde types that mirror the JSON, with a
//! default for every optional field and `deny_unknown_fields` everywhere, so a typo is
//! an error rather than a silently ignored setting. Nothing here is trusted yet:
//! `validate` turns it into a `Scenario`.

pub use crate::fault::file::{FaultFile, FaultKindFile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod design;
mod workload;
pub use design::*;
pub use workload::*;

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The JSON Schema this file follows, for editors (`scenarios/schema.json`).
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    pub version: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "one")]
    pub seed: u64,
    #[serde(default = "d_duration_s")]
    pub duration_s: f64,
    pub regions: Vec<RegionFile>,
    #[serde(default)]
    pub network: NetworkFile,
    #[serde(default)]
    pub design: DesignFile,
    #[serde(default)]
    pub workload: WorkloadFile,
    #[serde(default)]
    pub faults: Vec<FaultFile>,
    #[serde(default)]
    pub limits: LimitsFile,
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
    pub faults: Vec<SwarmFaultFile>,
    #[serde(default)]
    pub count: Option<RangeFile>,
    #[serde(default)]
    pub max_concurrent: Option<u32>,
    #[serde(default)]
    pub at_s: Option<RangeFile>,
    #[serde(default)]
    pub for_s: Option<RangeFile>,
    #[serde(default)]
    pub tolerance: Option<ToleranceFile>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwarmFaultFile {
    pub kind: FaultKindFile,
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
    pub min: f64,
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
    pub name: String,
    #[serde(default)]
    pub description: String,
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
    pub name: String,
    pub role: RoleFile,
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
    #[serde(default)]
    pub offset_ms: f64,
    #[serde(default)]
    pub drift_ppm: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkFile {
    /// Round-trip times keyed "a/b" (either order); pairs not named use `default_rtt_ms`.
    pub rtt_ms: BTreeMap<String, f64>,
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
    pub events_max: Option<u64>,
    pub sim_time_max_s: Option<f64>,
    /// Bound on the liveness phase after the drill: heal, drain, converge.
    pub convergence_max_s: Option<f64>,
    /// How soon after the last fault heals a write must succeed again.
    pub rto_max_s: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExpectFile {
    pub violated: Vec<String>,
    pub hold: Vec<String>,
    /// Bounds on summary metrics, by dot path into `metrics` ("availability",
    /// "blast_radius.customers").
    pub metrics: BTreeMap<String, BoundFile>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoundFile {
    pub min: Option<f64>,
    pub max: Option<f64>,
}
