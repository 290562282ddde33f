//! The vocabulary shared by the model's parts: versions and write identities, log
//! entries, requests and responses. Messages between regions are in `msg`, the
//! observations checkers and metrics read in `obs`.

use crate::engine::SimTime;
use crate::scenario::{ReadClass, RegionId};

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
    /// Nothing: a consensus leader's first entry in its term, which commits the
    /// entries of earlier terms with it (Raft section 5.4.2).
    Noop,
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

/// What a request carries besides the operation itself.
#[derive(Clone, Copy, Debug)]
pub struct ReqMeta {
    pub op: OpId,
    pub attempt: u32,
    /// The epoch of the routing table that sent it (a fencing token).
    pub token: u32,
    /// The logical operation's number; every retry carries the same one.
    pub op_key: u64,
    /// The client sends `op_key` as an idempotency key.
    pub idem: bool,
    /// The operation publishes an event with its write (outbox).
    pub effect: bool,
    /// The operation's kind (its service time) and when its attempt times out.
    pub kind: crate::scenario::OpKind,
    pub deadline: SimTime,
    pub customer: u32,
}

/// A request waiting for, or holding, a server.
#[derive(Clone, Copy, Debug)]
pub struct Job {
    pub from: RegionId,
    pub meta: ReqMeta,
    pub req: Req,
    pub enqueued_at: SimTime,
}
