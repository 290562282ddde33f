//! A fault as the scenario file writes it: flat fields, so every error can name its
//! exact path. Which fields each kind takes is its own module's business.

use serde::{Deserialize, Serialize};

/// One fault. Fields are flat so every error can name its exact path; `validate`
/// checks which fields each kind needs and refuses the ones it would ignore.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    pub kind: FaultKindFile,
    pub at_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub between: Option<Vec<Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_way: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_factor: Option<f64>,
    /// `replication_stall`: instead of `apply_factor`, the replica applies each entry
    /// only this long after it was committed, so it stays this many seconds behind
    /// (PostgreSQL's `recovery_min_apply_delay`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_ppm: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fenced: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ramp_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaultKindFile {
    RegionOutage,
    Partition,
    LinkLatency,
    PacketLoss,
    ReplicationStall,
    ClockSkew,
    OperatorPromote,
    WorkerCrash,
    QueueReplay,
    DuplicateDelivery,
    PoisonMessage,
    RegionBrownout,
    TrafficSurge,
    PoisonCustomer,
    ControlPlaneOutage,
    IdentityOutage,
    ProcessPause,
    ZoneOutage,
}
