//! The validated scenario: defaults resolved, names interned into ids, every
//! cross-reference checked. The model trusts these types and never re-checks input.

use crate::engine::{SimDuration, SimTime};
use serde::Serialize;

/// Index of a region in `Scenario::regions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RegionId(pub u8);

impl RegionId {
    pub fn idx(self) -> usize {
        usize::from(self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Primary,
    Standby,
    ReadReplica,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegionSpec {
    pub name: String,
    pub role: Role,
    pub clock_offset_us: i64,
    pub drift_ppm: f64,
}

/// Operation kinds of the workload, over the entity types of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum OpKind {
    RegisterRead,
    RegisterWrite,
    RegisterCas,
    AccountRead,
    AccountCredit,
    AccountDebit,
    AccountTransfer,
}

impl OpKind {
    pub const ALL: [OpKind; 7] = [
        OpKind::RegisterRead,
        OpKind::RegisterWrite,
        OpKind::RegisterCas,
        OpKind::AccountRead,
        OpKind::AccountCredit,
        OpKind::AccountDebit,
        OpKind::AccountTransfer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OpKind::RegisterRead => "register.read",
            OpKind::RegisterWrite => "register.write",
            OpKind::RegisterCas => "register.cas",
            OpKind::AccountRead => "account.read",
            OpKind::AccountCredit => "account.credit",
            OpKind::AccountDebit => "account.debit",
            OpKind::AccountTransfer => "account.transfer",
        }
    }

    pub fn parse(s: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn is_read(self) -> bool {
        matches!(self, OpKind::RegisterRead | OpKind::AccountRead)
    }

    pub fn idx(self) -> usize {
        self as usize
    }
}

/// How fresh a read must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReadClass {
    /// Served by the writer; must miss nothing committed before it was served.
    Strong,
    /// May miss writes committed less than `bound` before it was served.
    Bounded(SimDuration),
    /// Any replica; no bound.
    Eventual,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReplicationMode {
    Async,
    SemiSync { acks: u32 },
    Sync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DebitCheck {
    Writer,
    LocalRead,
}

#[derive(Clone, Debug, Serialize)]
pub struct Design {
    pub replication: ReplicationMode,
    pub apply_rate_per_s: f64,
    pub repl_batch: SimDuration,
    pub repl_retransmit: SimDuration,
    pub fencing: bool,
    pub lease: SimDuration,
    pub lease_renew: SimDuration,
    pub clock_uncertainty: SimDuration,
    pub automated_promotion: bool,
    pub detect_after: SimDuration,
    pub heartbeat: SimDuration,
    pub control_region: RegionId,
    pub routing_propagation: SimDuration,
    pub routing_refresh: SimDuration,
    pub replica_checks_staleness: bool,
    pub debit_check: DebitCheck,
    pub idempotency_keys: bool,
    pub idempotency_ttl: SimDuration,
    /// Idempotency records replicate with the data (else they stay in the writing region).
    pub records_replicated: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Workload {
    pub rate_per_s: f64,
    /// Cumulative integer weights (parts per million), so sampling is exact.
    pub mix: Vec<(OpKind, u32)>,
    pub client_regions: Vec<RegionId>,
    pub registers: u32,
    pub accounts: u32,
    pub initial_balance: i64,
    pub amount_max: i64,
    pub timeout: SimDuration,
    pub attempts: u32,
    pub backoff: SimDuration,
    pub backoff_max: SimDuration,
    /// Indexed by `OpKind::idx`.
    pub read_class: [ReadClass; 7],
}

#[derive(Clone, Debug, Serialize)]
pub enum FaultKind {
    RegionOutage {
        region: RegionId,
    },
    /// Messages from any region in `from` to any in `to` are lost (and back, unless one-way).
    Partition {
        from: Vec<RegionId>,
        to: Vec<RegionId>,
        one_way: bool,
    },
    LinkLatency {
        from: Vec<RegionId>,
        to: Vec<RegionId>,
        one_way: bool,
        factor: f64,
    },
    /// Each message on the links is lost with probability `loss`.
    PacketLoss {
        from: Vec<RegionId>,
        to: Vec<RegionId>,
        one_way: bool,
        loss: f64,
    },
    /// The replica in `region` applies at `apply_factor` of its rate (0 stalls it).
    ReplicationStall {
        region: RegionId,
        apply_factor: f64,
    },
    /// The region's clock jumps by `offset_us` and then drifts by `drift_ppm` extra.
    ClockSkew {
        region: RegionId,
        offset_us: i64,
        drift_ppm: f64,
    },
    OperatorPromote {
        region: RegionId,
        fenced: bool,
    },
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::RegionOutage { .. } => "region_outage",
            FaultKind::Partition { .. } => "partition",
            FaultKind::LinkLatency { .. } => "link_latency",
            FaultKind::PacketLoss { .. } => "packet_loss",
            FaultKind::ReplicationStall { .. } => "replication_stall",
            FaultKind::ClockSkew { .. } => "clock_skew",
            FaultKind::OperatorPromote { .. } => "operator_promote",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    pub at: SimTime,
    /// When the fault heals; `None` for instantaneous actions and permanent skews.
    pub until: Option<SimTime>,
    pub kind: FaultKind,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Expect {
    pub violated: Vec<String>,
    pub hold: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub duration: SimDuration,
    /// FNV-1a of the file's bytes, so a report names exactly what it ran.
    pub source_hash: u64,
    pub source_path: String,
    pub regions: Vec<RegionSpec>,
    /// Round-trip time between every pair of regions (the diagonal is the local RTT).
    pub rtt_us: Vec<Vec<u64>>,
    pub jitter_mean_us: u64,
    pub design: Design,
    pub workload: Workload,
    pub faults: Vec<Fault>,
    pub events_max: u64,
    pub sim_time_max: SimDuration,
    pub convergence_max: SimDuration,
    pub expect: Option<Expect>,
}

impl Scenario {
    pub fn region_id(&self, name: &str) -> Option<RegionId> {
        self.regions.iter().position(|r| r.name == name).map(|i| RegionId(i as u8))
    }
    pub fn region_name(&self, r: RegionId) -> &str {
        &self.regions[r.idx()].name
    }
    pub fn region_ids(&self) -> impl Iterator<Item = RegionId> {
        (0..self.regions.len()).map(|i| RegionId(i as u8))
    }
    pub fn primary(&self) -> RegionId {
        self.region_ids().find(|r| self.regions[r.idx()].role == Role::Primary).expect("validated")
    }
}
