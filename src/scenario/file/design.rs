//! The `design` block of a scenario file: topology, promotion, control plane, routing,
//! reads, breakers, health and idempotency, as the user writes them (replication and
//! leases are in `replication.rs`).

use super::*;

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DesignFile {
    /// active-passive (default: one writer; reads by class), active-active-reads (one writer; every
    /// region serves reads locally within reads.default_bound_ms) or active-active-writes (every
    /// region takes writes; conflicts says how concurrent ones resolve).
    pub topology: TopologyFile,
    /// active-active-writes only: how concurrent writes resolve, per entity type. Absent:
    /// last-writer-wins for every type but lists, which merge.
    pub conflicts: Option<ConflictsFile>,
    /// How writes reach the replicas: the mode (async by default, semi-sync, sync or consensus),
    /// what a write waits for, batching and the replicas' apply rate.
    pub replication: ReplicationFile,
    /// Every write carries the writer's epoch, stores refuse writes under an older one, and a
    /// writer takes writes only while it holds its lease (design.lease), so a deposed writer cannot
    /// keep writing. Default false.
    pub fencing: bool,
    /// The writer's lease from the control plane (used with fencing), or under consensus the leader
    /// lease: how long it lasts, how often it is renewed and the clock bound.
    pub lease: LeaseFile,
    /// How a standby becomes the writer: automated failover (detection time, heartbeats), the
    /// runbook's steps, which standby is picked, an emergency successor and a planned switchover.
    /// Default: no automation; only an operator_promote fault promotes.
    pub promotion: PromotionFile,
    /// Where the control plane runs: it hears heartbeats, grants leases and runs promotions.
    pub control_plane: ControlPlaneFile,
    /// How quickly routers act on a routing change, and how often the control plane republishes
    /// routes.
    pub routing: RoutingFile,
    /// How reads other than strong ones are served: replica staleness checks, session tokens, the
    /// default bound, which region serves strong reads, follower reads.
    pub reads: ReadsFile,
    /// Where a debit's or transfer's balance check happens.
    pub accounts: AccountsFile,
    /// Where a reservation's stock check happens.
    pub inventory: InventoryFile,
    /// Where the check that a workflow transition is legal happens.
    pub workflow: WorkflowFile,
    /// Idempotency keys: whether clients send them, and where the datastore records them and for
    /// how long.
    pub idempotency: IdempotencyFile,
    /// Side effects through an event stream (the outbox): the worker pools that perform them, how
    /// they commit progress and handle poison messages.
    pub stream: StreamFile,
    /// Absent: the application tier has no limit and takes no time.
    pub capacity: Option<CapacityFile>,
    /// The datastore's own servers in each region: every request a region's store handles
    /// (reads it serves, writes it commits) waits for one of them and holds it for a service
    /// time. Absent: the store answers at once, and only the network and replication take time.
    pub database: Option<DatabaseFile>,
    /// Absent: requests need no identity check.
    pub identity: Option<IdentityFile>,
    /// Client-side guards per target region; each absent means none.
    pub breaker: Option<BreakerFile>,
    /// Client-side detection of a slow or failing region from its recent successes' p99 latency or
    /// its error rate; reads move away from a region marked degraded. Absent: no detection.
    pub brownout_detection: Option<DetectionFile>,
    /// Health checks of every target region on a cheap path that skips the application tier (so a
    /// slow region passes them); a region that fails failure_threshold in a row is down until one
    /// passes. Absent: no health checks.
    pub health_checks: Option<HealthFile>,
    /// Deliberate defects in the mechanism, for testing checkers: each must make one
    /// invariant fail (`scenarios/negative/`). Never part of a real design.
    pub planted_bugs: Vec<PlantedBugFile>,
    /// Consensus only: TrueTime-style commit wait. Every region's clock is trusted to
    /// within `epsilon_ms` of true time; writes take a timestamp, strong reads become
    /// reads at a timestamp served by the nearest replica, and (with `wait`, the
    /// default) a write is acknowledged and shown only once the uncertainty has passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_wait: Option<CommitWaitFile>,
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
    /// How many of the latest attempts the failure rate is taken over, 1 to 10000. Default 20.
    pub window: u32,
    /// How long an open breaker fails attempts fast before letting probes through, in milliseconds,
    /// above 0. Default 2000.
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
    /// A region is degraded while the p99 latency of its recent successes (the last 100 outcomes)
    /// is above this, in milliseconds, above 0. Default 500.
    pub latency_p99_ms: f64,
    /// A region is degraded while the share of its recent attempts that failed is above this, above
    /// 0 and at most 1. Default 0.5.
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
    /// How often each client region checks each target region, in milliseconds, above 0. Default
    /// 1000.
    pub interval_ms: f64,
    /// Failed checks in a row that mark a region down, 1 to 1000 (the first success marks it up).
    /// Default 3.
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
    /// Registers: lww (default: the larger stamp of the writing region's clock wins),
    /// reject-concurrent or home-region.
    pub register: ConflictPolicyFile,
    /// Account balances: lww (default), merge (deltas add up), escrow (each region spends its share
    /// of every balance), reject-concurrent or home-region.
    pub account: ConflictPolicyFile,
    /// Inventory stock: lww (default), merge, escrow, reject-concurrent or home-region.
    pub item: ConflictPolicyFile,
    /// Permissions: lww (default), reject-concurrent or home-region.
    pub permission: ConflictPolicyFile,
    /// Workflow states: lww (default), reject-concurrent or home-region.
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
pub struct PromotionFile {
    /// The control plane promotes a standby by itself when it has not heard the writer for
    /// detect_after_ms. Default false: only an operator_promote fault or a planned switchover
    /// changes the writer.
    pub automated: bool,
    /// How long the control plane goes without hearing the writer's heartbeats before it declares
    /// the writer failed, in milliseconds, above 0. Default 3000.
    pub detect_after_ms: f64,
    /// How often each region sends the control plane a heartbeat with its log position, in
    /// milliseconds, above 0. Default 250.
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
    /// Which standby an automated promotion picks: `least-lagged` (default: the one
    /// whose last heartbeat reported the longest log), `most-advanced` (ask every
    /// standby for its log position, a round trip that can time out, and promote the
    /// one that holds the most, as Patroni and Orchestrator do) or `fixed` (always
    /// `target`).
    pub candidate: Option<CandidateFile>,
    /// `fixed`: the standby to promote.
    pub target: Option<String>,
    /// `most-advanced`: how long to wait for the standbys' answers (default 1000 ms).
    pub query_timeout_ms: Option<f64>,
    /// Promote only a standby named in `replication.sync_standbys` (Patroni's
    /// `synchronous_mode`: only a synchronous standby may take over).
    pub require_sync_standby: bool,
    /// A planned switchover: at `at_s` the control plane hands the writer's role to
    /// `to` by running the runbook (which may `wait_caught_up` before declaring it).
    pub planned: Option<PlannedFile>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedFile {
    /// When the switchover starts, in seconds from the start of the run, within the drill.
    pub at_s: f64,
    /// The standby region that becomes the writer.
    pub to: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CandidateFile {
    LeastLagged,
    MostAdvanced,
    Fixed,
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
            candidate: None,
            target: None,
            query_timeout_ms: None,
            require_sync_standby: false,
            planned: None,
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
    /// What the step does (README, 'A promotion runs the runbook's steps'): stop_writes,
    /// declare_writer (new epoch), drain_queues or quarantine_queues, invalidate_routing,
    /// resume_traffic, reconcile or wait_caught_up.
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
    WaitCaughtUp,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ControlPlaneFile {
    /// The region the control plane runs in. Default: the first standby region (the first region if
    /// none is a standby).
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
    /// Consensus only: replicas serve bounded reads at a closed timestamp trailing the
    /// leader by closed_ts_lag_ms (follower reads); a replica whose closed timestamp is
    /// older refuses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follower_reads: Option<FollowerReadsFile>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitWaitFile {
    /// The bound on every clock's error, in milliseconds, above 0 (TrueTime's epsilon): a write's
    /// timestamp is its leader's clock plus it.
    pub epsilon_ms: f64,
    /// Wait out the uncertainty before acknowledging (default true); false keeps the
    /// timestamps and timestamp reads but acknowledges at once.
    pub wait: Option<bool>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowerReadsFile {
    /// How far a follower's closed timestamp may trail its own clock, in milliseconds, for it to
    /// serve bounded reads; further behind, it refuses them. Read classes bounded below it are
    /// refused at validation.
    pub closed_ts_lag_ms: f64,
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
            follower_reads: None,
        }
    }
}
