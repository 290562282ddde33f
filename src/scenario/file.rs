//! The scenario file as written by a user: serde types that mirror the JSON, with a
//! default for every optional field and `deny_unknown_fields` everywhere, so a typo is
//! an error rather than a silently ignored setting. Nothing here is trusted yet:
//! `validate` turns it into a `Scenario`.

pub use crate::fault::file::{FaultFile, FaultKindFile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
}

impl Default for NetworkFile {
    fn default() -> Self {
        NetworkFile {
            rtt_ms: BTreeMap::new(),
            default_rtt_ms: 100.0,
            local_rtt_ms: 1.0,
            jitter_ms: 1.0,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DesignFile {
    pub topology: TopologyFile,
    pub conflicts: Option<ConflictsFile>,
    pub replication: ReplicationFile,
    pub fencing: bool,
    pub lease: LeaseFile,
    pub promotion: PromotionFile,
    pub control_plane: ControlPlaneFile,
    pub routing: RoutingFile,
    pub reads: ReadsFile,
    pub accounts: AccountsFile,
    pub inventory: InventoryFile,
    pub workflow: WorkflowFile,
    pub idempotency: IdempotencyFile,
    pub stream: StreamFile,
    /// Absent: the application tier has no limit and takes no time.
    pub capacity: Option<CapacityFile>,
    /// Absent: requests need no identity check.
    pub identity: Option<IdentityFile>,
    /// Client-side guards per target region; each absent means none.
    pub breaker: Option<BreakerFile>,
    pub brownout_detection: Option<DetectionFile>,
    pub health_checks: Option<HealthFile>,
    /// Deliberate defects in the mechanism, for testing checkers: each must make one
    /// invariant fail (`scenarios/negative/`). Never part of a real design.
    pub planted_bugs: Vec<PlantedBugFile>,
}

/// A deliberate defect `design.planted_bugs` can plant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PlantedBugFile {
    /// A primary under fencing keeps taking writes after its lease lapsed: the store
    /// skips its fencing check.
    IgnoreLease,
    /// The control plane promotes without a new epoch: the new writer reuses the old
    /// writer's epoch, so no token can tell them apart.
    ReuseEpoch,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerFile {
    /// Opens when this share of the last `window` attempts failed.
    pub failure_rate: f64,
    pub window: u32,
    pub open_ms: f64,
    /// Half-open: attempts let through; all must succeed to close.
    pub probes: u32,
}

impl Default for BreakerFile {
    fn default() -> Self {
        BreakerFile { failure_rate: 0.5, window: 20, open_ms: 2_000.0, probes: 3 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DetectionFile {
    pub latency_p99_ms: f64,
    pub error_rate: f64,
}

impl Default for DetectionFile {
    fn default() -> Self {
        DetectionFile { latency_p99_ms: 500.0, error_rate: 0.5 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HealthFile {
    pub interval_ms: f64,
    pub failure_threshold: u32,
}

impl Default for HealthFile {
    fn default() -> Self {
        HealthFile { interval_ms: 1_000.0, failure_threshold: 3 }
    }
}

/// The identity service every request's token is checked with.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityFile {
    /// Where it runs (default: the control plane's region).
    pub region: Option<String>,
    /// Regions cache a customer's checked token this long; absent, every request asks.
    pub cache_ttl_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StreamFile {
    /// Effectful operations (transfers, permission changes, workflow steps) publish an
    /// event with their write, and workers perform the effect in the outside world.
    pub side_effects: bool,
    /// Events one region's worker pool processes per second.
    pub effects_per_s: f64,
    /// How often the pool wakes up.
    pub tick_ms: f64,
    /// The pool commits its consumer offset after this many events.
    pub offset_commit_every: u32,
    /// Where workers keep the record that an operation's effect was performed.
    pub worker_record: WorkerRecordFile,
    /// What workers do with a message whose processing fails.
    pub poison: PoisonFile,
    /// Attempts before a poison message is dead-lettered.
    pub dead_letter_after: u32,
}

impl Default for StreamFile {
    fn default() -> Self {
        StreamFile {
            side_effects: false,
            effects_per_s: 2_000.0,
            tick_ms: 10.0,
            offset_commit_every: 100,
            worker_record: WorkerRecordFile::None,
            poison: PoisonFile::RetryForever,
            dead_letter_after: 5,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerRecordFile {
    None,
    Datastore,
    ProviderKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PoisonFile {
    RetryForever,
    DeadLetter,
    Quarantine,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IdempotencyFile {
    /// Clients send each logical write with a key that retries reuse; the datastore
    /// records it with the write and answers a repeat from the record.
    pub client_keys: bool,
    /// How long a record is kept after its commit.
    pub record_ttl_s: f64,
    /// Where records live: in the datastore, written with the data and replicated
    /// with it, or in a cache local to the region that took the write.
    pub record: RecordPlaceFile,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RecordPlaceFile {
    #[default]
    Datastore,
    RegionLocal,
}

impl Default for IdempotencyFile {
    fn default() -> Self {
        IdempotencyFile {
            client_keys: false,
            record_ttl_s: 60.0,
            record: RecordPlaceFile::Datastore,
        }
    }
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TopologyFile {
    #[default]
    ActivePassive,
    /// One writer; every region serves reads locally within the freshness bound.
    ActiveActiveReads,
    /// Every region takes writes; `conflicts` says how concurrent ones resolve.
    ActiveActiveWrites,
}

/// How concurrent writes to one entity type resolve in `active-active-writes`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConflictsFile {
    pub register: ConflictPolicyFile,
    pub account: ConflictPolicyFile,
    pub item: ConflictPolicyFile,
    pub permission: ConflictPolicyFile,
    pub workflow: ConflictPolicyFile,
    /// Lists: "lww" or "merge" (the default: each region appends what arrives, in the
    /// order it arrives, so regions can disagree on the order) or "home-region" (each
    /// list's home orders its appends).
    pub list: ConflictPolicyFile,
    /// reject-concurrent: how long a writer waits for every region's answer.
    pub propose_timeout_ms: f64,
}

impl Default for ConflictsFile {
    fn default() -> Self {
        ConflictsFile {
            register: ConflictPolicyFile::Lww,
            account: ConflictPolicyFile::Lww,
            item: ConflictPolicyFile::Lww,
            permission: ConflictPolicyFile::Lww,
            workflow: ConflictPolicyFile::Lww,
            list: ConflictPolicyFile::Merge,
            propose_timeout_ms: 1_000.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicyFile {
    Lww,
    Merge,
    RejectConcurrent,
    HomeRegion,
    Escrow,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReplicationFile {
    pub mode: ReplicationModeFile,
    /// Replica acknowledgements a semi-sync write waits for (sync waits for all).
    pub acks: u32,
    /// Entries a replica applies per second: lag grows when commits outpace it.
    pub apply_rate_per_s: f64,
    /// How long the primary gathers commits before shipping a batch.
    pub batch_ms: f64,
    /// How long the primary waits for acknowledgement progress before resending.
    pub retransmit_ms: f64,
    /// Strong reads see a write only once the replicas it waits for have acknowledged
    /// it (until then the primary refuses the read, retryably), so no read observes a
    /// write a failover could still discard.
    pub reads_after_ack: bool,
}

impl Default for ReplicationFile {
    fn default() -> Self {
        ReplicationFile {
            mode: ReplicationModeFile::Async,
            acks: 1,
            apply_rate_per_s: 20_000.0,
            batch_ms: 2.0,
            retransmit_ms: 500.0,
            reads_after_ack: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationModeFile {
    Async,
    SemiSync,
    Sync,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LeaseFile {
    /// How long a lease the control plane grants lasts, on the writer's own clock from
    /// the moment it asked.
    pub duration_ms: f64,
    /// How often the writer asks to renew its lease, on its own clock and its own timer:
    /// at once when it becomes the writer (or comes back from a crash), then every
    /// renew_ms, independently of promotion.heartbeat_ms (a renew_ms shorter than the
    /// heartbeat is kept). Must be shorter than duration_ms; leave room for a round trip
    /// to the control plane, or the lease lapses before each renewal arrives and the
    /// writer refuses writes meanwhile.
    pub renew_ms: f64,
    /// The bound on clock disagreement the control plane adds before reusing a lease.
    pub clock_uncertainty_ms: f64,
}

impl Default for LeaseFile {
    fn default() -> Self {
        LeaseFile { duration_ms: 2_000.0, renew_ms: 500.0, clock_uncertainty_ms: 100.0 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PromotionFile {
    pub automated: bool,
    pub detect_after_ms: f64,
    pub heartbeat_ms: f64,
    /// The promotion's steps, in the order the automation runs them.
    pub runbook: Vec<RunbookStepFile>,
    /// A regional emergency path: this standby promotes itself when it has heard
    /// neither the control plane nor the writer for detect_after plus the lease.
    pub emergency_successor: Option<String>,
    /// The emergency successor promotes itself only when a majority of regions
    /// (itself included) answer that they have not heard the writer or the control
    /// plane either: a successor cut off alone from the others cannot.
    pub emergency_quorum: bool,
}

impl Default for PromotionFile {
    fn default() -> Self {
        let step = |step| RunbookStepFile { step, duration_ms: 0.0 };
        PromotionFile {
            automated: false,
            detect_after_ms: 3_000.0,
            heartbeat_ms: 250.0,
            emergency_successor: None,
            emergency_quorum: false,
            runbook: vec![
                step(StepKindFile::StopWrites),
                step(StepKindFile::DeclareWriter),
                step(StepKindFile::InvalidateRouting),
                step(StepKindFile::ResumeTraffic),
            ],
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunbookStepFile {
    pub step: StepKindFile,
    /// How long the step takes after its action, before the next one starts.
    #[serde(default)]
    pub duration_ms: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKindFile {
    StopWrites,
    DeclareWriter,
    DrainQueues,
    QuarantineQueues,
    InvalidateRouting,
    ResumeTraffic,
    Reconcile,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ControlPlaneFile {
    pub region: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingFile {
    /// Extra delay before a router acts on a routing change (DNS TTL, config push).
    pub propagation_ms: f64,
    /// How often the control plane republishes the routing table and replica lag.
    pub refresh_ms: f64,
}

impl Default for RoutingFile {
    fn default() -> Self {
        RoutingFile { propagation_ms: 500.0, refresh_ms: 1_000.0 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReadsFile {
    /// A replica refuses a bounded read when its own estimate of its lag exceeds the bound.
    pub replica_checks_staleness: bool,
    /// A replica refuses a session read when it has not yet applied the session's
    /// last seen version of the key (the read then goes to the writer).
    pub session_tokens: bool,
    /// active-active-reads: the bound of reads whose class the workload leaves unset.
    pub default_bound_ms: f64,
    /// Which region serves strong reads: the writer, or (a design mistake) the
    /// client's nearest replica, answering from whatever it has applied.
    pub strong_from: StrongFromFile,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum StrongFromFile {
    #[default]
    Writer,
    NearestReplica,
}

impl Default for ReadsFile {
    fn default() -> Self {
        ReadsFile {
            replica_checks_staleness: false,
            session_tokens: false,
            default_bound_ms: 1_000.0,
            strong_from: StrongFromFile::Writer,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsFile {
    pub debit_check: DebitCheckFile,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct InventoryFile {
    pub reserve_check: DebitCheckFile,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowFile {
    pub transition_check: DebitCheckFile,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DebitCheckFile {
    /// The writer checks the balance inside the commit.
    #[default]
    Writer,
    /// The client checks a balance read from its local replica, then sends a blind debit.
    LocalRead,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadFile {
    pub rate_per_s: f64,
    /// Share of operations per kind ("register.read", "account.transfer", ...); sums to 1.
    pub mix: BTreeMap<String, f64>,
    /// Regions whose clients send traffic; all regions when absent.
    pub clients: Option<Vec<String>>,
    pub registers: u32,
    pub accounts: u32,
    pub items: u32,
    pub permissions: u32,
    pub workflows: u32,
    /// Append-only lists for "list.append" and "list.read" (each append adds a unique
    /// element; reads return the whole list), checked by append_integrity.
    pub lists: u32,
    /// Elements one list may hold; an append to a full list is declined.
    pub list_length_max: u32,
    pub initial_balance: i64,
    pub amount_max: i64,
    /// Units of each inventory item; reservations may never exceed it.
    pub stock: i64,
    pub qty_max: i64,
    /// Client sessions per client region (read-your-writes, monotonic reads).
    pub sessions: u32,
    /// Customers the operations belong to (for cells, shuffle shards, blast radius).
    pub customers: u32,
    pub timeout_ms: f64,
    pub retry: RetryFile,
    /// Freshness class per read kind; strong when absent.
    pub read_classes: BTreeMap<String, ReadClassFile>,
}

impl Default for WorkloadFile {
    fn default() -> Self {
        WorkloadFile {
            rate_per_s: 200.0,
            mix: BTreeMap::from([
                ("register.read".to_string(), 0.5),
                ("register.write".to_string(), 0.3),
                ("register.cas".to_string(), 0.2),
            ]),
            clients: None,
            registers: 64,
            accounts: 32,
            items: 16,
            permissions: 32,
            workflows: 32,
            lists: 16,
            list_length_max: 256,
            initial_balance: 1_000,
            amount_max: 100,
            stock: 100,
            qty_max: 5,
            sessions: 64,
            customers: 100,
            timeout_ms: 1_000.0,
            retry: RetryFile::default(),
            read_classes: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RetryFile {
    pub attempts: u32,
    pub backoff_ms: f64,
    pub backoff_max_ms: f64,
    pub jitter: JitterFile,
    /// A token bucket per client region: each success earns `ratio` of a retry, up to
    /// `burst` saved; a retry without a whole token is not made.
    pub budget: Option<BudgetFile>,
}

impl Default for RetryFile {
    fn default() -> Self {
        RetryFile {
            attempts: 3,
            backoff_ms: 50.0,
            backoff_max_ms: 2_000.0,
            jitter: JitterFile::None,
            budget: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum JitterFile {
    None,
    Full,
    Equal,
    Decorrelated,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetFile {
    pub ratio: f64,
    #[serde(default = "ten")]
    pub burst: f64,
}

fn ten() -> f64 {
    10.0
}

/// The application tier of every region: cells of servers in front of the datastore.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CapacityFile {
    pub cells: u32,
    pub servers: u32,
    pub queue_max: u32,
    /// Service time of every operation, unless `service_by_op` names it.
    pub service: ServiceFile,
    pub service_by_op: BTreeMap<String, ServiceFile>,
    /// Servers drop work whose client has already given up.
    pub deadline_propagation: bool,
    /// How customers map to cells: one shared pool, a fixed cell each, or a shuffle
    /// shard of `shard_size` cells each (the request goes to the least busy).
    pub isolation: IsolationFile,
    pub shard_size: u32,
    /// How long a server crashed by a poison request takes to restart.
    pub restart_ms: f64,
    /// Load shedding: refuse new work when a cell's oldest queued request has waited
    /// longer than this.
    pub shed_after_ms: Option<f64>,
    /// Requests a region admits per second (a token bucket one second deep).
    pub rate_limit_per_s: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IsolationFile {
    Shared,
    Cells,
    ShuffleShard,
}

impl Default for CapacityFile {
    fn default() -> Self {
        CapacityFile {
            cells: 1,
            servers: 16,
            queue_max: 1_000,
            service: ServiceFile { dist: DistFile::Exponential, mean_ms: 2.0, sigma: None },
            service_by_op: BTreeMap::new(),
            deadline_propagation: false,
            isolation: IsolationFile::Cells,
            shard_size: 2,
            restart_ms: 10_000.0,
            shed_after_ms: None,
            rate_limit_per_s: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    pub dist: DistFile,
    pub mean_ms: f64,
    /// Lognormal shape (the log's standard deviation).
    pub sigma: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DistFile {
    Constant,
    Exponential,
    Lognormal,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadClassFile {
    pub class: ReadClassKindFile,
    pub bound_ms: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReadClassKindFile {
    Strong,
    Bounded,
    Session,
    Eventual,
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
