//! The replication and lease blocks of a scenario's `design`: how writes reach the
//! replicas and what an acknowledgement promises, and how long a writer may act alone.

use super::*;

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReplicationFile {
    /// async (default): a write is acknowledged before any replica has it; semi-sync: once acks
    /// replicas acknowledged it; sync: once every replica did (or those of sync_standbys);
    /// consensus: Raft-style, once a majority of voters holds it, with leaders elected by vote.
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
