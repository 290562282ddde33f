//! The `design` block of a scenario file: topology, replication, promotion, control
//! plane, routing, reads, leases, breakers, health and idempotency, as the user writes them.

use super::*;

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
    /// Semi-sync or sync: whether the primary's own readers see a write before the
    /// replicas it waits for acknowledged it. `after_commit` (default): at once, so a
    /// reader can see a write a failover then discards; `after_sync`: only once
    /// acknowledged (MySQL's `rpl_semi_sync_master_wait_point`).
    pub wait_point: Option<WaitPointFile>,
    /// Semi-sync or sync: after waiting this long for a write's acknowledgements, the
    /// primary acknowledges it anyway and stops waiting for replicas until they catch
    /// up (MySQL's `rpl_semi_sync_master_timeout`; PostgreSQL with Patroni's
    /// `synchronous_mode` without `synchronous_mode_strict`). Default: wait forever.
    pub async_fallback_ms: Option<f64>,
    /// Semi-sync or sync: what a replica's acknowledgement promises (PostgreSQL's
    /// `synchronous_commit`). `remote_write`: received (in the standby's memory; lost if
    /// the standby crashes before it reaches disk); `flush` (default, PostgreSQL's `on`):
    /// durable on the standby's disk; `remote_apply`: applied, so reads there see it.
    pub commit_level: Option<CommitLevelFile>,
    /// Single-leader designs: how long a replica takes to make what it received durable
    /// (one disk flush, `fsync`). A replica that crashes loses what it received and had
    /// not flushed. Default 0: received is durable at once.
    pub standby_flush_ms: Option<f64>,
    /// Replaced by `wait_point`; refused with a pointer to it.
    #[schemars(skip)]
    pub reads_after_ack: Option<bool>,
    /// Consensus only: the regions whose replicas vote in elections and count towards
    /// a write's majority (default: every primary and standby region not listed as a
    /// witness or non-voter).
    pub voters: Option<Vec<String>>,
    /// Consensus only: regions whose replicas receive the log and serve reads but never
    /// vote (default: the read-replica regions).
    pub non_voters: Option<Vec<String>>,
    /// Consensus only: regions whose replicas vote and keep the log but serve no reads
    /// and never lead.
    pub witnesses: Option<Vec<String>>,
    /// Consensus only: a follower that hears no leader for a time drawn from this range
    /// (per replica, per election, from its own random stream) stands for election.
    /// Default 1000 to 2000 ms.
    pub election_timeout_ms: Option<RangeFile>,
    /// Consensus only: how often the leader sends heartbeats (default 150 ms); shorter
    /// than the election timeout's minimum.
    pub heartbeat_ms: Option<f64>,
    /// Consensus only: a candidate first asks whether it would win, without raising its
    /// term, so a replica cut off and back cannot depose a healthy leader (default true).
    pub pre_vote: Option<bool>,
    /// Consensus only: a leader that has not heard a majority of voters within the
    /// election timeout's minimum steps down (default true).
    pub check_quorum: Option<bool>,
    /// Semi-sync or sync only: which replicas a write waits for, as PostgreSQL's
    /// `synchronous_standby_names` (other replicas are async).
    pub sync_standbys: Option<SyncStandbysFile>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitPointFile {
    AfterSync,
    AfterCommit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommitLevelFile {
    RemoteWrite,
    Flush,
    RemoteApply,
}

/// PostgreSQL's `synchronous_standby_names`: `FIRST k (a, b, ...)` or `ANY k (...)`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncStandbysFile {
    /// Replicas that may be synchronous, in priority order: a region (every replica it
    /// holds) or one zone replica (`"us-east/1"`).
    pub regions: Vec<String>,
    /// `first`: the first `count` connected replicas of the list are synchronous, and a
    /// write waits for all of them; `any`: a write waits for any `count` of the list.
    /// Default `first`.
    #[serde(default)]
    pub method: Option<SyncMethodFile>,
    /// How many acknowledgements a write waits for (default 1).
    #[serde(default)]
    pub count: Option<u32>,
    /// A replica the primary has not heard from for this long is no longer connected,
    /// and `first` moves on to the next of the list (PostgreSQL's `wal_sender_timeout`,
    /// default 60000 ms).
    #[serde(default)]
    pub timeout_ms: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SyncMethodFile {
    First,
    Any,
}

impl Default for ReplicationFile {
    fn default() -> Self {
        ReplicationFile {
            mode: ReplicationModeFile::Async,
            acks: 1,
            apply_rate_per_s: 20_000.0,
            batch_ms: 2.0,
            retransmit_ms: 500.0,
            wait_point: None,
            async_fallback_ms: None,
            commit_level: None,
            standby_flush_ms: None,
            reads_after_ack: None,
            voters: None,
            non_voters: None,
            witnesses: None,
            election_timeout_ms: None,
            heartbeat_ms: None,
            pre_vote: None,
            check_quorum: None,
            sync_standbys: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationModeFile {
    Async,
    SemiSync,
    Sync,
    /// Raft-style quorum replication: a write commits once a majority of voters holds
    /// it, and leaders are elected by vote (no control plane decides who leads).
    Consensus,
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
    /// Consensus only: the clock a leader lease is read on (default monotonic). A
    /// wall-clock lease moves when the clock is stepped; a monotonic one does not.
    pub clock: Option<LeaseClockFile>,
    /// Consensus only: when the leader decides whether its lease holds (default
    /// on-read): at every strong read, against the clock, or at every heartbeat, the
    /// decision then trusted until the next (a gap a process pause widens).
    pub check: Option<LeaseCheckFile>,
}

impl Default for LeaseFile {
    fn default() -> Self {
        LeaseFile {
            duration_ms: 2_000.0,
            renew_ms: 500.0,
            clock_uncertainty_ms: 100.0,
            clock: None,
            check: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LeaseClockFile {
    Monotonic,
    Wall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LeaseCheckFile {
    OnRead,
    OnHeartbeat,
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
    pub at_s: f64,
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
    pub epsilon_ms: f64,
    /// Wait out the uncertainty before acknowledging (default true); false keeps the
    /// timestamps and timestamp reads but acknowledges at once.
    pub wait: Option<bool>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowerReadsFile {
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
