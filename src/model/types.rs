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

/// A write's identity: the logical operation it carries out and the attempt that
/// reached the store (a retry without an idempotency record commits again, under the
/// same operation and a later attempt). Checkers know writes only by this, never by
/// where the model put them in a log, so a confusion of the model's own labels
/// (`Version`) cannot hide a write from them. `NONE` is no operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId(u64);

impl WriteId {
    pub const NONE: WriteId = WriteId(0);
    /// Attempt numbers above this share one id (retries are bounded far below it).
    const ATTEMPT_MAX: u32 = 0xffff;

    pub fn new(op: u64, attempt: u32) -> WriteId {
        debug_assert!(op < 1 << 48, "operation numbers fit 48 bits");
        WriteId(op << 16 | u64::from(attempt.min(Self::ATTEMPT_MAX)))
    }
    /// The logical operation's number (`#n` in every output).
    pub fn op(self) -> u64 {
        self.0 >> 16
    }
    pub fn attempt(self) -> u32 {
        (self.0 & 0xffff) as u32
    }
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}

impl std::fmt::Display for WriteId {
    /// `#12 attempt 2`: the one way outputs name a write.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{} attempt {}", self.op(), self.attempt())
    }
}

/// How many of a key's most recent writes a store remembers with its value.
pub const SEEN_MAX: usize = 4;

/// The writes a key's value reflects, as a store keeps them with the value: the most
/// recent `SEEN_MAX` writes it applied to the key, newest last, each with when that
/// store (or, after a snapshot, the store it copied) applied it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeenRing {
    writes: [WriteId; SEEN_MAX],
    applied_at: [SimTime; SEEN_MAX],
    len: u8,
}

impl SeenRing {
    pub fn push(&mut self, w: WriteId, applied_at: SimTime) {
        if usize::from(self.len) == SEEN_MAX {
            self.writes.rotate_left(1);
            self.applied_at.rotate_left(1);
            self.writes[SEEN_MAX - 1] = w;
            self.applied_at[SEEN_MAX - 1] = applied_at;
        } else {
            self.writes[usize::from(self.len)] = w;
            self.applied_at[usize::from(self.len)] = applied_at;
            self.len += 1;
        }
    }
    /// What a read returns of it.
    pub fn view(&self) -> Seen {
        Seen { writes: self.writes, len: self.len, oldest_applied_at: self.applied_at[0] }
    }
}

/// The writes a read's value reflects, as the read returns them: like a row that
/// carries the ids of the operations that last changed it, so a checker can tell from
/// what the client saw whether the read reflects a given write. It does if the write is
/// listed; it does not if nothing was forgotten (fewer than `SEEN_MAX` writes ever), or
/// if the oldest listed write was applied before the given one was even committed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    writes: [WriteId; SEEN_MAX],
    len: u8,
    oldest_applied_at: SimTime,
}

impl Seen {
    pub fn contains(&self, w: WriteId) -> bool {
        self.writes().contains(&w)
    }
    pub fn writes(&self) -> &[WriteId] {
        &self.writes[..usize::from(self.len)]
    }
    /// The store applied more writes to the key than it lists: older ones may be
    /// reflected without being listed.
    pub fn is_full(&self) -> bool {
        usize::from(self.len) == SEEN_MAX
    }
    pub fn newest(&self) -> Option<WriteId> {
        self.writes().last().copied()
    }
    /// When the oldest listed write was applied.
    pub fn oldest_applied_at(&self) -> Option<SimTime> {
        (self.len > 0).then_some(self.oldest_applied_at)
    }
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
    /// Append element `value` to list `key`.
    Append,
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
    /// The logical client operation this entry carries out (0 for none), and the
    /// attempt that committed it. The model uses `op_key` only when `idem` is set;
    /// checkers know the write by both (`write()`).
    pub op_key: u64,
    pub attempt: u32,
    /// The entry also records `op_key` as an idempotency key, durably and replicated.
    pub idem: bool,
    /// The operation has an external side effect: the entry is also an event in the
    /// outbox that workers consume.
    pub effect: bool,
}

impl Entry {
    /// The write's identity (`NONE` for the workers' own entries).
    pub fn write(&self) -> WriteId {
        if self.op_key == 0 {
            WriteId::NONE
        } else {
            WriteId::new(self.op_key, self.attempt)
        }
    }
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
    /// Append the operation's own number to list `key` (a full list declines it).
    Append {
        key: Key,
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
            | Req::Advance { key, .. }
            | Req::Append { key } => key,
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

#[derive(Clone, Debug)]
pub enum Res {
    /// A read's answer: the value, the store's version of it (a session token), and the
    /// writes it reflects.
    Value {
        value: i64,
        version: Version,
        seen: Seen,
    },
    /// A list read's answer: the whole list (elements are the appending operations'
    /// numbers, oldest first), with the version and writes as for a value.
    List {
        elements: Box<[u64]>,
        version: Version,
        seen: Seen,
    },
    /// A write's acknowledgement: its position, and which write carried it out (for a
    /// retry that an idempotency record answered, the earlier attempt's).
    Written {
        version: Version,
        write: WriteId,
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
    pub lists: Vec<Vec<u64>>,
    pub records: super::store::OpRecords,
    pub consumer_offset: u64,
    pub last_commit_at: SimTime,
    pub last_commit_local_us: i64,
    /// How many `Held` entries the sender had journaled when it took the snapshot: the
    /// receiver's state holds exactly the writes those (and earlier snapshots) brought.
    pub journal_end: u64,
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
    /// Active-active: a region's own writes, in its sequence (none for a keepalive),
    /// with how far the sender's sequence went and its clock when it sent them: a
    /// receiver that has applied up to `end` is as fresh as `sender_local_us`.
    Updates {
        updates: Vec<super::replication::multi_writer::Update>,
        end: u64,
        sender_local_us: i64,
    },
    UpdatesAck {
        upto: u64,
    },
    /// reject-concurrent: may `key`, read at `base`, be written?
    Propose {
        pid: u64,
        key: Key,
        base: super::replication::multi_writer::Stamp,
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
    /// The emergency successor asks whether the region has heard the writer or the
    /// control plane lately (`round` numbers its asking).
    SuccessorProbe {
        round: u64,
    },
    SuccessorAck {
        round: u64,
        writer_heard: bool,
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
            Msg::SuccessorProbe { .. } => 23,
            Msg::SuccessorAck { .. } => 24,
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
            Msg::SuccessorProbe { .. } => "successor_probe",
            Msg::SuccessorAck { .. } => "successor_ack",
        }
    }
}

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grantor {
    /// The control plane's automated failover.
    ControlPlane,
    /// An operator, through the control plane.
    Operator,
    /// The design's emergency successor promoted itself, without the control plane.
    EmergencySuccessor,
}

impl Grantor {
    pub fn name(self) -> &'static str {
        match self {
            Grantor::ControlPlane => "control plane",
            Grantor::Operator => "operator",
            Grantor::EmergencySuccessor => "emergency successor",
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
    /// The liveness phase is over: from now on every region reads every list once.
    FinalReads,
}
