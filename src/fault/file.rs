//! A fault as the scenario file writes it: flat fields, so every error can name its
//! exact path. Which fields each kind takes is its own module's business.

use serde::{Deserialize, Serialize};

/// One fault. Fields are flat so every error can name its exact path; `validate`
/// checks which fields each kind needs and refuses the ones it would ignore.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    /// What goes wrong. Each kind takes its own fields (README, 'Fault kinds'); a field the kind
    /// would ignore is refused.
    pub kind: FaultKindFile,
    /// When the fault starts, in seconds from the start of the run: 0 or more, before duration_s.
    pub at_s: f64,
    /// How long the fault lasts, in seconds; it heals then, and must end by duration_s. Required by
    /// every kind but clock_skew (optional: it ends the drift; clocks do not jump back),
    /// queue_replay and operator_promote (which act once and take none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_s: Option<f64>,
    /// The region the fault acts on, by name. traffic_surge: optional, every client region when
    /// absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// partition, link_latency, packet_loss: the two sides, two non-empty lists of region names,
    /// e.g. [["us-east"], ["eu-west", "ap-south"]]; the links between one side and the other are
    /// affected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub between: Option<Vec<Vec<String>>>,
    /// partition, link_latency, packet_loss: only messages from the first side to the second are
    /// affected. Default false: both directions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_way: Option<bool>,
    /// link_latency: how many times slower the links get, 1 to 10000 (required). traffic_surge: how
    /// many times the arrival rate grows, above 0 and at most 1000 (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// packet_loss: the probability that a message is lost, above 0 and at most 1 (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// replication_stall: the region's replication apply speed as a share of normal, 0 (stalled) to
    /// 1 (full speed). Default 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_factor: Option<f64>,
    /// `replication_stall`: instead of `apply_factor`, the replica applies each entry
    /// only this long after it was committed, so it stays this many seconds behind
    /// (PostgreSQL's `recovery_min_apply_delay`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_s: Option<f64>,
    /// clock_skew: how far the region's clock jumps, in milliseconds (negative: back), within one
    /// day either way. Default 0; offset_ms or drift_ppm must be non-zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<f64>,
    /// clock_skew: the drift the region's clock takes on, in parts per million (positive: fast),
    /// until the fault ends. Default 0; offset_ms or drift_ppm must be non-zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_ppm: Option<f64>,
    /// operator_promote: whether the promotion is fenced (a new epoch the old writer's writes are
    /// refused under, with leases). Default: design.fencing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fenced: Option<bool>,
    /// queue_replay: how many events the region's stream consumer rewinds, at least 1. Give events
    /// or to_s, not both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<u64>,
    /// queue_replay: the time the region's stream consumer rewinds to, in seconds from the start of
    /// the run, 0 to at_s. Give events or to_s, not both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_s: Option<f64>,
    /// duplicate_delivery: the probability that an event is delivered twice, above 0 and at most 1
    /// (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// region_brownout: how many times slower the application tier serves, 1 to 10000. Default 1.
    /// provider_outage: how many times slower the provider answers (the workers get through that
    /// many times fewer calls), 1 to 10000. Default 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_factor: Option<f64>,
    /// region_brownout: the share of the region's servers left, 0 to 1. Default 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_factor: Option<f64>,
    /// region_brownout: the share of requests that fail, 0 to 1. Default 0. A brownout needs
    /// latency_factor above 1, capacity_factor below 1 or error_rate above 0. provider_outage: the
    /// share of calls that fail, 0 to 1; default 1 (an outage), or 0 when latency_factor is given
    /// (a slowdown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    /// region_brownout: seconds over which the brownout reaches full strength, 0 or more. Default
    /// 0: at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ramp_s: Option<f64>,
    /// poison_customer: the customer (numbered from 0) whose requests crash the server that takes
    /// them. Default 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<u32>,
    /// region_brownout: the tier that degrades, "application" (default: design.capacity's servers)
    /// or "database" (the datastore's own servers, design.database).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<TierFile>,
    /// provider_outage: of the calls that fail, the share the provider performed anyway (it
    /// charged, but the answer came after the worker stopped waiting, so the worker calls again),
    /// 0 to 1. Default 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performed_rate: Option<f64>,
    /// zone_outage (required) and process_pause (optional; absent: every zone): the zone of region,
    /// numbered from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<u32>,
}

/// Which of a region's server pools a brownout degrades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TierFile {
    /// The application tier (design.capacity).
    Application,
    /// The datastore's own servers (design.database).
    Database,
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
    ProviderOutage,
}
