//! The validated scenario: defaults resolved, names interned into ids, every
//! cross-reference checked. The model trusts these types and never re-checks input.

use crate::engine::SimDuration;
use serde::Serialize;

pub use super::standbys::{Candidate, CommitLevel, SyncStandbys};
pub use crate::fault::{Fault, FaultKind};
pub use crate::region::{RegionId, RegionSpec, Role};

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
    InventoryReserve,
    InventoryRelease,
    PermissionGrant,
    PermissionRevoke,
    PermissionCheck,
    WorkflowAdvance,
    WorkflowRead,
    ListAppend,
    ListRead,
}

impl OpKind {
    pub const COUNT: usize = 16;
    pub const ALL: [OpKind; OpKind::COUNT] = [
        OpKind::RegisterRead,
        OpKind::RegisterWrite,
        OpKind::RegisterCas,
        OpKind::AccountRead,
        OpKind::AccountCredit,
        OpKind::AccountDebit,
        OpKind::AccountTransfer,
        OpKind::InventoryReserve,
        OpKind::InventoryRelease,
        OpKind::PermissionGrant,
        OpKind::PermissionRevoke,
        OpKind::PermissionCheck,
        OpKind::WorkflowAdvance,
        OpKind::WorkflowRead,
        OpKind::ListAppend,
        OpKind::ListRead,
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
            OpKind::InventoryReserve => "inventory.reserve",
            OpKind::InventoryRelease => "inventory.release",
            OpKind::PermissionGrant => "permission.grant",
            OpKind::PermissionRevoke => "permission.revoke",
            OpKind::PermissionCheck => "permission.check",
            OpKind::WorkflowAdvance => "workflow.advance",
            OpKind::WorkflowRead => "workflow.read",
            OpKind::ListAppend => "list.append",
            OpKind::ListRead => "list.read",
        }
    }

    pub fn parse(s: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn is_read(self) -> bool {
        matches!(
            self,
            OpKind::RegisterRead
                | OpKind::AccountRead
                | OpKind::PermissionCheck
                | OpKind::WorkflowRead
                | OpKind::ListRead
        )
    }

    pub fn idx(self) -> usize {
        self as usize
    }

    /// The entity type the operation acts on.
    pub fn entity(self) -> KeyKind {
        use OpKind as K;
        match self {
            K::RegisterRead | K::RegisterWrite | K::RegisterCas => KeyKind::Register,
            K::AccountRead | K::AccountCredit | K::AccountDebit | K::AccountTransfer => {
                KeyKind::Account
            }
            K::InventoryReserve | K::InventoryRelease => KeyKind::Item,
            K::PermissionGrant | K::PermissionRevoke | K::PermissionCheck => KeyKind::Permission,
            K::WorkflowAdvance | K::WorkflowRead => KeyKind::Workflow,
            K::ListAppend | K::ListRead => KeyKind::List,
        }
    }

    /// Operations with an external side effect: a transfer charges a card, a permission
    /// change sends a notification, a workflow step calls a partner.
    pub fn has_effect(self) -> bool {
        matches!(
            self,
            OpKind::AccountTransfer
                | OpKind::PermissionGrant
                | OpKind::PermissionRevoke
                | OpKind::WorkflowAdvance
        )
    }
}

/// How fresh a read must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReadClass {
    /// Served by the writer; must miss nothing committed before it was served.
    Strong,
    /// May miss writes committed less than `bound` before it was served.
    Bounded(SimDuration),
    /// The nearest replica, but it must reflect this session's own writes and reads.
    Session,
    /// Any replica; no bound.
    Eventual,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReplicationMode {
    Async,
    SemiSync {
        acks: u32,
    },
    Sync,
    /// Quorum replication with elected leaders (`Design::consensus` holds the rest).
    Consensus,
}

/// Consensus replication (Raft): who votes, how elections are timed, and the clock a
/// leader lease is read on.
#[derive(Clone, Debug, Serialize)]
pub struct ConsensusDesign {
    /// Per region: its replica votes and counts towards a write's majority.
    pub voter: Vec<bool>,
    /// Per region: a voter that keeps the log but serves no reads and never leads.
    pub witness: Vec<bool>,
    pub election_timeout: (SimDuration, SimDuration),
    pub heartbeat: SimDuration,
    pub pre_vote: bool,
    pub check_quorum: bool,
    pub lease_clock: LeaseClock,
    /// The leader re-reads its lease's end at every strong read (else it trusts what
    /// it decided at its last heartbeat).
    pub lease_check_on_read: bool,
    /// Follower reads: how far behind the leader the closed timestamp trails.
    pub follower_read_lag: Option<SimDuration>,
    /// TrueTime: the clock uncertainty every timestamp allows for, and whether commits
    /// wait it out.
    pub commit_wait: Option<CommitWait>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct CommitWait {
    pub epsilon: SimDuration,
    pub wait: bool,
}

impl ConsensusDesign {
    /// How many voters make a majority.
    pub fn majority(&self) -> usize {
        self.voter.iter().filter(|v| **v).count() / 2 + 1
    }
}

/// The clock a lease is read on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LeaseClock {
    /// Never stepped: only drift moves it.
    Monotonic,
    /// The region's clock as set: steps move it.
    Wall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DebitCheck {
    Writer,
    LocalRead,
}

/// A step of the promotion runbook. Each acts when it starts, then takes its duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Every store refuses writes until `ResumeTraffic`.
    StopWrites,
    /// Epoch + 1; the target alone is told it is the writer.
    DeclareWriter,
    /// The new writer's workers process the backlog from the replicated offset.
    DrainQueues,
    /// The new writer's workers set the backlog aside and start from the log's end.
    QuarantineQueues,
    /// Every store and router is told the new configuration.
    InvalidateRouting,
    /// Stores accept writes again.
    ResumeTraffic,
    /// From now on, a store that discards acknowledged writes when it rejoins sends
    /// them to the writer, which applies them again.
    Reconcile,
    /// Wait until the target holds the writer's whole log (asked of both, round after
    /// round), so declaring it loses nothing.
    WaitCaughtUp,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::StopWrites => "stop_writes",
            StepKind::DeclareWriter => "declare_writer",
            StepKind::DrainQueues => "drain_queues",
            StepKind::QuarantineQueues => "quarantine_queues",
            StepKind::InvalidateRouting => "invalidate_routing",
            StepKind::ResumeTraffic => "resume_traffic",
            StepKind::Reconcile => "reconcile",
            StepKind::WaitCaughtUp => "wait_caught_up",
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct RunbookStep {
    pub kind: StepKind,
    pub duration: SimDuration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PoisonPolicy {
    RetryForever,
    DeadLetter { after: u32 },
    Quarantine,
}

/// How workers avoid performing an effect twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WorkerRecord {
    /// They do not: a replayed or redelivered event is performed again.
    None,
    /// A record in the datastore, written (and replicated) before the effect; an event
    /// with a record is skipped. A crash between record and effect loses the effect.
    Datastore,
    /// The operation's key goes to the provider, which performs each key once.
    ProviderKey,
}

#[derive(Clone, Debug, Serialize)]
pub struct StreamDesign {
    pub side_effects: bool,
    pub effects_per_s: f64,
    pub tick: SimDuration,
    pub offset_commit_every: u32,
    pub worker_record: WorkerRecord,
    pub poison: PoisonPolicy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Topology {
    ActivePassive,
    ActiveActiveReads,
    ActiveActiveWrites,
}

/// How concurrent writes to an entity type resolve when every region writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConflictPolicy {
    /// Absolute values stamped with the writing region's clock; the larger stamp wins.
    Lww,
    /// Counters: every region's changes are applied as deltas and add up.
    Merge,
    /// A write names the version it read; every region must still hold that version,
    /// or the writer gets a retryable conflict.
    RejectConcurrent,
    /// Each key has a home region that alone checks and orders its writes.
    HomeRegion,
    /// Each region owns a share of each balance and spends only its own.
    Escrow,
}

#[derive(Clone, Debug, Serialize)]
pub struct Design {
    pub topology: Topology,
    /// Indexed by `KeyKind as usize`: register, account, item, permission, workflow, list.
    pub conflicts: [ConflictPolicy; KeyKind::COUNT],
    pub propose_timeout: SimDuration,
    pub replication: ReplicationMode,
    pub apply_rate_per_s: f64,
    pub repl_batch: SimDuration,
    pub repl_retransmit: SimDuration,
    /// Semi-sync or sync: after waiting this long for acknowledgements, the primary
    /// acknowledges without them until its replicas catch up.
    pub async_fallback: Option<SimDuration>,
    /// What a replica's acknowledgement promises.
    pub commit_level: CommitLevel,
    /// How long a replica takes to make what it received durable (zero: at once).
    pub standby_flush: SimDuration,
    /// `wait_point: after_sync`: the primary's strong reads do not see a write before
    /// the replicas writes wait for acknowledged it.
    pub wait_after_sync: bool,
    pub fencing: bool,
    pub lease: SimDuration,
    /// How often a fenced writer asks for its lease, on its own clock and timer.
    pub lease_renew: SimDuration,
    pub clock_uncertainty: SimDuration,
    pub automated_promotion: bool,
    pub runbook: Vec<RunbookStep>,
    pub detect_after: SimDuration,
    pub heartbeat: SimDuration,
    pub control_region: RegionId,
    pub routing_propagation: SimDuration,
    pub routing_refresh: SimDuration,
    pub replica_checks_staleness: bool,
    pub debit_check: DebitCheck,
    pub reserve_check: DebitCheck,
    pub transition_check: DebitCheck,
    pub session_tokens: bool,
    /// Strong reads go to the nearest replica, which serves them unchecked (a mistake).
    pub strong_reads_local: bool,
    pub idempotency_keys: bool,
    pub idempotency_ttl: SimDuration,
    /// Idempotency records replicate with the data (else they stay in the writing region).
    pub records_replicated: bool,
    pub stream: StreamDesign,
    pub capacity: Option<Capacity>,
    /// The datastore's own server pool in each region (one cell, shared by everyone).
    pub database: Option<Capacity>,
    pub identity: Option<Identity>,
    pub emergency_successor: Option<RegionId>,
    /// The successor needs a majority of regions to agree the writer is gone.
    pub emergency_quorum: bool,
    /// Which standby an automated promotion picks.
    pub candidate: Candidate,
    /// Only a standby named in `sync_standbys` may be promoted.
    pub require_sync_standby: bool,
    /// A planned switchover: when, and to which standby.
    pub planned: Option<(crate::engine::SimTime, RegionId)>,
    pub breaker: Option<BreakerDesign>,
    pub detection: Option<DetectionDesign>,
    pub health: Option<HealthDesign>,
    /// Planted defects (`design.planted_bugs`), for negative tests of the checkers.
    pub bugs: PlantedBugs,
    /// Consensus replication's settings, in that mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consensus: Option<ConsensusDesign>,
    /// Which replicas a semi-sync or sync write waits for, when the file names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_standbys: Option<SyncStandbys>,
}

impl Design {
    /// Epochs fence: a node follows a newer epoch at once and refuses an older one
    /// (with fencing, and always under consensus, where epochs are terms).
    pub fn epochs_fence(&self) -> bool {
        self.fencing || self.consensus.is_some()
    }
}

/// Deliberate defects in the mechanism; all off in any real design.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlantedBugs {
    /// A fenced primary keeps writing after its lease lapsed.
    pub ignore_lease: bool,
    /// Promotion keeps the old epoch instead of granting a new one.
    pub reuse_epoch: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Workload {
    pub rate_per_s: f64,
    /// Cumulative integer weights (parts per million), so sampling is exact.
    pub mix: Vec<(OpKind, u32)>,
    pub client_regions: Vec<RegionId>,
    pub registers: u32,
    pub accounts: u32,
    pub items: u32,
    pub permissions: u32,
    pub workflows: u32,
    /// Append-only lists (Elle's list-append), and how long one may grow.
    pub lists: u32,
    pub list_length_max: u32,
    pub initial_balance: i64,
    pub amount_max: i64,
    pub stock: i64,
    pub qty_max: i64,
    pub sessions: u32,
    pub customers: u32,
    pub timeout: SimDuration,
    pub attempts: u32,
    pub backoff: SimDuration,
    pub backoff_max: SimDuration,
    pub jitter: Jitter,
    pub budget: Option<RetryBudget>,
    /// Indexed by `OpKind::idx`.
    pub read_class: [ReadClass; OpKind::COUNT],
    /// The workload's own name for each kind, if it gave one (`workload.labels`).
    pub labels: [Option<String>; OpKind::COUNT],
}

impl Workload {
    /// What outputs call an operation kind: the workload's label for it, else its name.
    pub fn op_name(&self, kind: OpKind) -> &str {
        self.labels[kind.idx()].as_deref().unwrap_or(kind.name())
    }
}

/// How a retry's backoff is randomised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Jitter {
    None,
    /// Uniform between zero and the backoff.
    Full,
    /// Half the backoff plus a uniform half.
    Equal,
    /// Uniform between the base and three times the previous backoff, capped.
    Decorrelated,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct RetryBudget {
    pub ratio: f64,
    pub burst: f64,
}

/// A service-time distribution.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum Dist {
    Constant { mean: SimDuration },
    Exponential { mean: SimDuration },
    Lognormal { mean: SimDuration, sigma: f64 },
}

/// Every region's application tier: `cells` of `servers` each, a FIFO queue per cell.
#[derive(Clone, Debug, Serialize)]
pub struct Capacity {
    pub cells: u32,
    pub servers: u32,
    pub queue_max: u32,
    /// Indexed by `OpKind::idx`.
    pub service: [Dist; OpKind::COUNT],
    pub deadline_propagation: bool,
    pub isolation: Isolation,
    pub restart: SimDuration,
    pub shed_after: Option<SimDuration>,
    pub rate_limit_per_s: Option<f64>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct BreakerDesign {
    pub failure_rate: f64,
    pub window: u32,
    pub open: SimDuration,
    pub probes: u32,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct DetectionDesign {
    pub latency_p99: SimDuration,
    pub error_rate: f64,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct HealthDesign {
    pub interval: SimDuration,
    pub threshold: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Isolation {
    /// Every customer may use every cell (cells behave as one pool).
    Shared,
    /// A customer has one cell.
    Cells,
    /// A customer has `shard_size` of the cells, chosen by hashing the customer.
    ShuffleShard { shard_size: u32 },
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Identity {
    pub region: RegionId,
    pub cache_ttl: Option<SimDuration>,
}

/// What kind of entity a key belongs to. Keys form one flat space: registers, then
/// accounts, items, permissions, workflows and lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Register,
    Account,
    Item,
    Permission,
    Workflow,
    List,
}

impl Workload {
    pub fn account_base(&self) -> u32 {
        self.registers
    }
    pub fn item_base(&self) -> u32 {
        self.account_base() + self.accounts
    }
    pub fn permission_base(&self) -> u32 {
        self.item_base() + self.items
    }
    pub fn workflow_base(&self) -> u32 {
        self.permission_base() + self.permissions
    }
    pub fn list_base(&self) -> u32 {
        self.workflow_base() + self.workflows
    }
    pub fn key_count(&self) -> u32 {
        self.list_base() + self.lists
    }
    pub fn key_kind(&self, k: u32) -> KeyKind {
        if k < self.account_base() {
            KeyKind::Register
        } else if k < self.item_base() {
            KeyKind::Account
        } else if k < self.permission_base() {
            KeyKind::Item
        } else if k < self.workflow_base() {
            KeyKind::Permission
        } else if k < self.list_base() {
            KeyKind::Workflow
        } else {
            KeyKind::List
        }
    }
    /// Whether the mix appends to or reads lists.
    pub fn has_lists(&self) -> bool {
        self.mix.iter().any(|(k, _)| matches!(k, OpKind::ListAppend | OpKind::ListRead))
    }
    /// The value every store starts with for key `k`.
    pub fn initial_value(&self, k: u32) -> i64 {
        match self.key_kind(k) {
            KeyKind::Account => self.initial_balance,
            KeyKind::Item => self.stock,
            _ => 0,
        }
    }
}

impl KeyKind {
    pub const COUNT: usize = 6;

    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Register => "register",
            KeyKind::Account => "account",
            KeyKind::Item => "item",
            KeyKind::Permission => "permission",
            KeyKind::Workflow => "workflow",
            KeyKind::List => "list",
        }
    }
}

/// Workflow states: 0 created, 1 approved, 2 shipped, 3 delivered, 4 cancelled.
pub const WORKFLOW_STATES: i64 = 5;

/// Whether a workflow may move from `from` to `to`: created -> approved -> shipped ->
/// delivered, and created or approved -> cancelled.
pub fn workflow_legal(from: i64, to: i64) -> bool {
    matches!((from, to), (0, 1) | (1, 2) | (2, 3) | (0, 4) | (1, 4))
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Expect {
    pub violated: Vec<String>,
    pub hold: Vec<String>,
    /// `(dot path into metrics, min, max)`.
    pub metrics: Vec<(String, Option<f64>, Option<f64>)>,
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
    pub rto_max: SimDuration,
    pub expect: Option<Expect>,
    /// Alternative designs for `gameday compare`, each validated when the file is.
    pub variants: Vec<Variant>,
    /// Randomized fault schedules for sweeps (`None`: the fixed `faults` only).
    pub swarm: Option<Swarm>,
}

/// A validated swarm block (see `SwarmFile`).
#[derive(Clone, Debug, Serialize)]
pub struct Swarm {
    pub kinds: Vec<SwarmKind>,
    /// How many faults a schedule has, at least and at most.
    pub count: (u32, u32),
    pub max_concurrent: u32,
    /// Start times and durations are drawn uniformly from these ranges (seconds).
    pub at_s: (f64, f64),
    pub for_s: (f64, f64),
    /// Regions the design claims to survive losing at once.
    pub regions_down: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SwarmKind {
    pub kind: crate::fault::file::FaultKindFile,
    pub weight: f64,
    pub regions: Vec<RegionId>,
    /// The kind's own fields (the block's `with`), as a fault each draw completes with
    /// its start, length and target.
    pub template: crate::fault::file::FaultFile,
}

impl SwarmKind {
    /// The kind as the scenario file spells it.
    pub fn name(&self) -> &'static str {
        crate::fault::kind_name(self.kind)
    }

    /// How the kind takes a window and a target.
    pub fn traits(&self) -> crate::fault::KindTraits {
        crate::fault::traits_of(self.kind)
    }

    /// The fault a draw makes: the template, starting at `at_s`, lasting `for_s` (if the
    /// kind lasts at all), aimed at `target` (its links to every other region, if the
    /// kind cuts links).
    pub fn fault_file(
        &self,
        regions: &[RegionSpec],
        at_s: f64,
        for_s: f64,
        target: RegionId,
    ) -> crate::fault::file::FaultFile {
        let traits = self.traits();
        let mut f = self.template.clone();
        f.kind = self.kind;
        f.at_s = at_s;
        if traits.window != crate::fault::Window::None {
            f.for_s = Some(for_s);
        }
        // Faults name regions (a zone replica by its region; the kind's own `zone`
        // field, if any, picks the zone).
        let name = regions[target.idx()].region.clone();
        if traits.cuts_links {
            let rest: Vec<String> = regions
                .iter()
                .filter(|r| r.region != name && r.zone == 0)
                .map(|r| r.region.clone())
                .collect();
            f.between = Some(vec![vec![name], rest]);
        } else if traits.targets_region {
            f.region = Some(name);
        }
        f
    }
}

/// A named design patch (see `scenario::with_design`).
#[derive(Clone, Debug, Serialize)]
pub struct Variant {
    pub name: String,
    pub description: String,
    pub design: serde_json::Value,
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
