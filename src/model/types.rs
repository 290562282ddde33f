//! The vocabulary shared by the model's parts: versions, log entries, requests and
//! responses, messages between regions, and the observations checkers and metrics read.

use crate::engine::SimTime;
use crate::scenario::{OpKind, ReadClass, RegionId};

/// A committed write's identity: the epoch it was written under and its log position.
/// Ordered by epoch first, so a write of a newer writer is newer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub epoch: u32,
    pub lsn: u64,
}

/// A logical client operation: slab slot plus generation, so a stale timer never
/// reaches a later operation that reuses the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpId {
    pub slot: u32,
    pub gen: u32,
}

/// Keys form one flat space: registers first, then accounts.
pub type Key = u32;
pub const NO_KEY: Key = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryOp {
    /// Set the key's value (register write or cas).
    Set,
    /// Add `value` to the key (credit, or debit with a negative value).
    Add,
    /// Move `value` from `key` to `key2`.
    Transfer,
    /// The workers' committed consumer offset is now `value` (a log position).
    Offset,
    /// The workers' durable record that operation `value`'s effect was performed.
    Mark,
}

/// Key-space bit that separates workers' effect records from client idempotency keys.
pub const EFFECT_RECORD_BIT: u64 = 1 << 63;

/// One entry of a commit log.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub lsn: u64,
    pub epoch: u32,
    pub op: EntryOp,
    pub key: Key,
    pub key2: Key,
    pub value: i64,
    pub commit_at: SimTime,
    /// The writer's local clock at commit: what a replica compares with its own clock
    /// to estimate its staleness.
    pub commit_local_us: i64,
    /// The logical client operation this entry carries out (0 for none). The model
    /// uses it only when `idem` is set; checkers use it to see double application.
    pub op_key: u64,
    /// The entry also records `op_key` as an idempotency key, durably and replicated.
    pub idem: bool,
    /// The operation has an external side effect: the entry is also an event in the
    /// outbox that workers consume.
    pub effect: bool,
}

/// What a client asks of a store.
#[derive(Clone, Copy, Debug)]
pub enum Req {
    /// `min_version`: for a session read, the session's last seen version of the key.
    Read {
        key: Key,
        class: ReadClass,
        min_version: Version,
    },
    Write {
        key: Key,
        value: i64,
    },
    Cas {
        key: Key,
        expect: i64,
        new: i64,
    },
    Credit {
        key: Key,
        amount: i64,
    },
    /// `checked`: the writer verifies the balance; otherwise it applies the debit blindly.
    Debit {
        key: Key,
        amount: i64,
        checked: bool,
    },
    Transfer {
        from: Key,
        to: Key,
        amount: i64,
    },
    /// Take `qty` units of an item; `checked`: the writer verifies they are available.
    Reserve {
        key: Key,
        qty: i64,
        checked: bool,
    },
    /// Give back `qty` units; the writer refuses to exceed the item's stock.
    Release {
        key: Key,
        qty: i64,
        stock: i64,
    },
    /// Move a workflow to state `to`; `checked`: the writer verifies the transition.
    Advance {
        key: Key,
        to: i64,
        checked: bool,
    },
}

impl Req {
    pub fn is_write(&self) -> bool {
        !matches!(self, Req::Read { .. })
    }

    /// The key the operation is about (for a transfer, the account it debits).
    pub fn key(&self) -> Key {
        match *self {
            Req::Read { key, .. }
            | Req::Write { key, .. }
            | Req::Cas { key, .. }
            | Req::Credit { key, .. }
            | Req::Debit { key, .. }
            | Req::Reserve { key, .. }
            | Req::Release { key, .. }
            | Req::Advance { key, .. } => key,
            Req::Transfer { from, .. } => from,
        }
    }

    /// The key a blind write first reads locally, when its check is left to the client.
    pub fn precheck_key(&self) -> Option<Key> {
        match *self {
            Req::Debit { key, checked: false, .. }
            | Req::Reserve { key, checked: false, .. }
            | Req::Advance { key, checked: false, .. } => Some(key),
            _ => None,
        }
    }

    /// Whether a client checking against `value` (read locally) goes ahead.
    pub fn precheck_passes(&self, value: i64) -> bool {
        match *self {
            Req::Debit { amount, .. } => value >= amount,
            Req::Reserve { qty, .. } => value >= qty,
            Req::Advance { to, .. } => crate::scenario::workflow_legal(value, to),
            _ => true,
        }
    }
}

/// Why a store refused a request. All are retryable except the business outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotWriter,
    LeaseExpired,
    StaleToken,
    NotReady,
    TooStale,
    /// A strong read would see a write its replicas have not yet acknowledged.
    NotDurable,
    /// The runbook has stopped writes.
    Frozen,
    /// A concurrent conditional write holds or changed the key.
    Conflict,
    /// The application tier's queue is full.
    Overloaded,
    /// The application tier failed the request (a brownout's errors).
    ServerError,
    /// The identity service did not vouch for the request's token.
    Unauthenticated,
    /// The client's circuit breaker for the target is open: nothing was sent.
    BreakerOpen,
}

impl Refusal {
    pub fn name(self) -> &'static str {
        match self {
            Refusal::NotWriter => "not_writer",
            Refusal::LeaseExpired => "lease_expired",
            Refusal::StaleToken => "stale_token",
            Refusal::NotReady => "not_ready",
            Refusal::TooStale => "too_stale",
            Refusal::NotDurable => "not_durable",
            Refusal::Frozen => "frozen",
            Refusal::Conflict => "conflict",
            Refusal::Overloaded => "overloaded",
            Refusal::ServerError => "server_error",
            Refusal::Unauthenticated => "unauthenticated",
            Refusal::BreakerOpen => "breaker_open",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Res {
    Value {
        value: i64,
        version: Version,
    },
    Written {
        version: Version,
    },
    /// A cas whose expectation did not match, or a debit the balance could not cover:
    /// the system worked and said no.
    Declined,
    Refused(Refusal),
}

/// A store's state as it reports it to the control plane.
#[derive(Clone, Copy, Debug)]
pub struct NodeReport {
    pub epoch: u32,
    pub is_primary: bool,
    pub end_lsn: u64,
    pub applied_lsn: u64,
    pub lag_us: u64,
}

/// A snapshot a leader sends a follower that cannot continue from its own log.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub epoch: u32,
    pub lsn: u64,
    pub epochs: Vec<(u32, u64)>,
    pub cells: Vec<super::store::Cell>,
    pub records: super::store::OpRecords,
    pub consumer_offset: u64,
    pub last_commit_at: SimTime,
    pub last_commit_local_us: i64,
}

/// Messages between regions; each crosses the network and can be lost.
#[derive(Clone, Debug)]
pub enum Msg {
    /// A client attempt: the operation and what travels with it.
    Request {
        m: super::store::ReqMeta,
        req: Req,
    },
    Response {
        op: OpId,
        attempt: u32,
        res: Res,
    },
    Append {
        epoch: u32,
        prev_lsn: u64,
        prev_epoch: u32,
        entries: Vec<Entry>,
        leader_local_us: i64,
        leader_end: u64,
    },
    /// `gap`: the follower is missing entries before the append (resend from `end_lsn`).
    AppendAck {
        epoch: u32,
        end_lsn: u64,
        gap: bool,
        need_snapshot: bool,
    },
    Snapshot(Box<Snapshot>),
    /// A node tells the control plane it lives, and how it stands (every heartbeat).
    Heartbeat {
        report: NodeReport,
    },
    /// A fenced primary asks the control plane to renew its lease (every renew_ms, on
    /// its own timer): the lease runs from `requested_local_us` on the node's clock.
    LeaseRequest {
        epoch: u32,
        requested_local_us: i64,
    },
    LeaseGrant {
        epoch: u32,
        requested_local_us: i64,
    },
    /// The control plane names the writer and its epoch; the named region promotes itself.
    Config {
        writer: RegionId,
        epoch: u32,
        /// The runbook's reconcile step has run: stores send back what they discard.
        reconcile: bool,
    },
    /// Active-active: a region's own writes, in its sequence.
    Updates {
        updates: Vec<super::multi::Update>,
    },
    UpdatesAck {
        upto: u64,
    },
    /// reject-concurrent: may `key`, read at `base`, be written?
    Propose {
        pid: u64,
        key: Key,
        base: super::multi::Stamp,
    },
    ProposeReply {
        pid: u64,
        ok: bool,
    },
    /// The proposal is over: release the key.
    Decide {
        pid: u64,
        key: Key,
    },
    /// A client region's health check of another region (a cheap path).
    HealthProbe,
    HealthOk,
    /// A region asks the identity service to check a request's token.
    IdentityCheck {
        job: super::apptier::Job,
    },
    IdentityReply {
        job: super::apptier::Job,
        ok: bool,
    },
    /// The runbook's reconcile step: stores re-submit the writes they discard.
    Reconcile,
    /// Writes a store discarded, sent to the writer to be applied again.
    Reapply {
        entries: Vec<Entry>,
    },
    /// The runbook stops (or resumes) writes at every store.
    Freeze {
        frozen: bool,
    },
    /// The runbook's queue step: the new writer's workers drain (or quarantine) their
    /// backlog.
    Queues {
        epoch: u32,
        quarantine: bool,
    },
    Routing {
        writer: RegionId,
        epoch: u32,
        lag_us: Vec<u64>,
    },
}

impl Msg {
    pub fn tag(&self) -> u64 {
        match self {
            Msg::Request { .. } => 1,
            Msg::Response { .. } => 2,
            Msg::Append { .. } => 3,
            Msg::AppendAck { .. } => 4,
            Msg::Snapshot(_) => 5,
            Msg::Heartbeat { .. } => 6,
            Msg::LeaseGrant { .. } => 7,
            Msg::Config { .. } => 8,
            Msg::Routing { .. } => 9,
            Msg::Freeze { .. } => 10,
            Msg::Queues { .. } => 11,
            Msg::Updates { .. } => 12,
            Msg::UpdatesAck { .. } => 13,
            Msg::Propose { .. } => 14,
            Msg::ProposeReply { .. } => 15,
            Msg::Decide { .. } => 16,
            Msg::Reconcile => 17,
            Msg::IdentityCheck { .. } => 19,
            Msg::HealthProbe => 21,
            Msg::HealthOk => 22,
            Msg::LeaseRequest { .. } => 23,
            Msg::IdentityReply { .. } => 20,
            Msg::Reapply { .. } => 18,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Msg::Request { .. } => "request",
            Msg::Response { .. } => "response",
            Msg::Append { .. } => "append",
            Msg::AppendAck { .. } => "append_ack",
            Msg::Snapshot(_) => "snapshot",
            Msg::Heartbeat { .. } => "heartbeat",
            Msg::LeaseRequest { .. } => "lease_request",
            Msg::LeaseGrant { .. } => "lease_grant",
            Msg::Config { .. } => "config",
            Msg::Routing { .. } => "routing",
            Msg::Freeze { .. } => "freeze",
            Msg::Queues { .. } => "queues",
            Msg::Updates { .. } => "updates",
            Msg::UpdatesAck { .. } => "updates_ack",
            Msg::Propose { .. } => "propose",
            Msg::ProposeReply { .. } => "propose_reply",
            Msg::Decide { .. } => "decide",
            Msg::Reconcile => "reconcile",
            Msg::IdentityCheck { .. } => "identity_check",
            Msg::HealthProbe => "health_probe",
            Msg::HealthOk => "health_ok",
            Msg::IdentityReply { .. } => "identity_reply",
            Msg::Reapply { .. } => "reapply",
        }
    }
}

/// An entry a follower discarded because the leader's lineage does not have it.
#[derive(Clone, Copy, Debug)]
pub struct Discarded {
    pub version: Version,
    pub commit_at: SimTime,
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
    /// A store served a read that had seen `version` of the key.
    ReadServed {
        region: RegionId,
        key: Key,
        version: Version,
        class: ReadClass,
        served_at: SimTime,
    },
    Invoke {
        op: OpId,
        kind: OpKind,
        region: RegionId,
        /// The logical operation's number and what it asks.
        op_key: u64,
        req: Req,
    },
    /// The client got a definite answer: `version` is set for acknowledged writes.
    Complete {
        op: OpId,
        kind: OpKind,
        region: RegionId,
        ok: bool,
        version: Option<Version>,
        delta: i64,
        invoked_at: SimTime,
        attempts: u32,
        /// The logical operation's number.
        op_key: u64,
        /// The operation's (first) key and its client session.
        key: Key,
        session: u32,
        /// For a read: the version and value it returned.
        read: Option<(Version, i64)>,
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
    EpochGranted {
        epoch: u32,
        region: RegionId,
        fenced: bool,
        by_operator: bool,
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
    /// Active-active: the write stamped `loser` no longer counts for `key` in `region`,
    /// and the write that beat it (`winner`) had not observed it.
    Superseded {
        region: RegionId,
        key: Key,
        loser: Version,
        winner: Version,
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
    /// A client region's guard on `target` changed: `guard` is "breaker", "detector"
    /// or "health", `state` its new state.
    Guard {
        region: RegionId,
        target: RegionId,
        guard: &'static str,
        state: &'static str,
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
}
