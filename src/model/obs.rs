//! What checkers and metrics see: the observable effects of one event, and the
//! vocabulary they carry.

use super::types::*;
use crate::engine::SimTime;
use crate::scenario::{OpKind, RegionId};

/// An entry a follower discarded because the leader's lineage does not have it.
#[derive(Clone, Copy, Debug)]
pub struct Discarded {
    pub version: Version,
    pub write: WriteId,
    pub commit_at: SimTime,
}

/// Which keys a write touched, as the ledger of writes remembers it.
pub type Keys = [Key; 2];

/// What a read returned to its client.
#[derive(Clone, Debug)]
pub struct ReadResult {
    /// The region whose store answered.
    pub served_by: RegionId,
    /// The value (a list's length).
    pub value: i64,
    /// A list read's elements (oldest first).
    pub list: Option<Box<[u64]>>,
    /// The store's version of the value (the model's label; session tokens use it).
    pub version: Version,
    /// The writes the value reflects.
    pub seen: Seen,
}

/// Who made a region the writer under an epoch.
/// A client region's guard on one target region, in its new state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardState {
    /// The circuit breaker.
    Breaker(BreakerPhase),
    /// The gray-failure detector: has it judged the target degraded?
    Detector { degraded: bool },
    /// Active health checks: has the target failed enough probes in a row?
    Health { down: bool },
}

/// Where a circuit breaker stands: letting calls through, trying a few, or refusing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerPhase {
    Closed,
    HalfOpen,
    Open,
}

impl BreakerPhase {
    /// 0 closed, 1 half-open, 2 open: for plotting.
    pub fn level(self) -> f64 {
        match self {
            BreakerPhase::Closed => 0.0,
            BreakerPhase::HalfOpen => 1.0,
            BreakerPhase::Open => 2.0,
        }
    }
}

impl GuardState {
    /// Which guard, as the trail names it.
    pub fn guard(self) -> &'static str {
        match self {
            GuardState::Breaker(_) => "breaker",
            GuardState::Detector { .. } => "detector",
            GuardState::Health { .. } => "health",
        }
    }

    /// The new state in one word.
    pub fn name(self) -> &'static str {
        match self {
            GuardState::Breaker(BreakerPhase::Closed) => "closed",
            GuardState::Breaker(BreakerPhase::HalfOpen) => "half-open",
            GuardState::Breaker(BreakerPhase::Open) => "open",
            GuardState::Detector { degraded: true } => "degraded",
            GuardState::Detector { degraded: false } => "healthy",
            GuardState::Health { down: true } => "down",
            GuardState::Health { down: false } => "up",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grantor {
    /// The control plane's automated failover.
    ControlPlane,
    /// An operator, through the control plane.
    Operator,
    /// The design's emergency successor promoted itself, without the control plane.
    EmergencySuccessor,
    /// A majority of voters elected it (consensus).
    Election,
}

impl Grantor {
    pub fn name(self) -> &'static str {
        match self {
            Grantor::ControlPlane => "control plane",
            Grantor::Operator => "operator",
            Grantor::EmergencySuccessor => "emergency successor",
            Grantor::Election => "election",
        }
    }
}

/// What checkers and metrics see: the observable effects of one event.
#[derive(Clone, Debug)]
pub enum Obs {
    /// A writer committed an entry: `before` is the entry key's value before it,
    /// `after` the touched keys' values after it (`NO_KEY` for an unused slot).
    Commit {
        region: RegionId,
        entry: Entry,
        before: i64,
        after: [(Key, i64); 2],
    },
    Invoke {
        op: OpId,
        kind: OpKind,
        region: RegionId,
        /// The logical operation's number and what it asks.
        op_key: u64,
        req: Req,
    },
    /// The client got a definite answer: `write` (and the store's `version` of it) is
    /// set for acknowledged writes.
    Complete {
        op: OpId,
        kind: OpKind,
        region: RegionId,
        ok: bool,
        version: Option<Version>,
        write: Option<WriteId>,
        delta: i64,
        invoked_at: SimTime,
        attempts: u32,
        /// The logical operation's number.
        op_key: u64,
        /// The operation's (first) key and its client session.
        key: Key,
        session: u32,
        /// For a read: what it returned (boxed: most observations are not reads).
        read: Option<Box<ReadResult>>,
    },
    /// The client gave up without knowing whether a write happened.
    Indeterminate {
        op: OpId,
        kind: OpKind,
        region: RegionId,
        delta: i64,
        invoked_at: SimTime,
        op_key: u64,
    },
    /// An attempt reached a store (retry amplification).
    Attempt {
        region: RegionId,
    },
    /// A client gave up waiting for an attempt's answer (its timeout passed); it retries
    /// or fails the operation next.
    TimedOut {
        region: RegionId,
        op_key: u64,
        attempt: u32,
    },
    /// A client sent an attempt of an operation (`first`: its first), whether or not
    /// the network then delivers it: retry amplification counts these.
    Sent {
        first: bool,
    },
    EpochGranted {
        epoch: u32,
        region: RegionId,
        fenced: bool,
        by: Grantor,
        /// When the control plane decided the old writer had failed (`None` when an
        /// operator promoted by hand).
        detected_at: Option<SimTime>,
    },
    RoleChange {
        region: RegionId,
        primary: bool,
        epoch: u32,
    },
    /// A follower threw away entries the new leader's lineage does not hold.
    Discarded {
        region: RegionId,
        entries: Vec<Discarded>,
        survivor_commit_at: SimTime,
    },
    FaultStarted {
        index: usize,
    },
    FaultEnded {
        index: usize,
    },
    LeaseLapsed {
        region: RegionId,
    },
    /// `region`'s primary stops waiting for its synchronous replicas after `waited`
    /// and acknowledges writes without them (`on`, releasing `released` waiting
    /// writes), or, its replicas caught up, waits for them again.
    SyncFallback {
        region: RegionId,
        on: bool,
        waited: crate::engine::SimDuration,
        released: u32,
    },
    /// `region`'s replica crashed and lost the last `entries` log entries it had
    /// received and not yet flushed to disk (`standby_flush_ms`).
    TailLost {
        region: RegionId,
        entries: u64,
    },
    /// Commit wait: writes a majority held `waited` ago are now shown by `region`'s
    /// leader (and acknowledged), their uncertainty waited out.
    Shown {
        region: RegionId,
        waited: crate::engine::SimDuration,
    },
    /// Active-active: the write stamped `loser` no longer counts for `key` in `region`,
    /// and the write that beat it (`winner`) had not observed it.
    Superseded {
        region: RegionId,
        key: Key,
        loser: WriteId,
        winner: WriteId,
    },
    /// Active-active: a conditional write was refused because another held or changed
    /// the key.
    ConflictRejected {
        region: RegionId,
        key: Key,
    },
    /// Active-active: a remote update was applied; the touched keys' values after it.
    Merged {
        region: RegionId,
        after: [(Key, i64); 2],
    },
    /// A client region's guard on `target` changed to `state`.
    Guard {
        region: RegionId,
        target: RegionId,
        state: GuardState,
    },
    /// A server of `region`'s application tier finished a request of `customer` in
    /// `cell`: served (`ok`), failed, or crashed by it.
    Served {
        region: RegionId,
        cell: u32,
        customer: u32,
        ok: bool,
        crashed: bool,
    },
    /// A leader shipped its whole state to a follower that could not continue its log.
    SnapshotSent {
        region: RegionId,
        to: RegionId,
    },
    /// The writer applied again `count` writes another store had discarded.
    Reapplied {
        region: RegionId,
        count: u64,
    },
    /// A worker performed operation `op_key`'s external side effect.
    Effect {
        region: RegionId,
        op_key: u64,
    },
    /// A poison message was moved to the dead-letter queue: its effect will not happen.
    DeadLettered {
        region: RegionId,
        op_key: u64,
    },
    /// A new writer's workers set `events` events aside instead of replaying them.
    Quarantined {
        region: RegionId,
        events: u64,
    },
    /// A region's worker pool starts consuming from log position `from`.
    WorkersStart {
        region: RegionId,
        from: u64,
        paused: bool,
    },
    /// A runbook step starts (`start`) or ends.
    RunbookStep {
        step: crate::scenario::StepKind,
        start: bool,
    },
    RoutingChanged {
        region: RegionId,
        writer: RegionId,
        epoch: u32,
    },
    /// The liveness phase is over: from now on every region reads every list once.
    FinalReads,
}
