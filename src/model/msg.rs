//! Messages between regions; each crosses the network and can be lost.

use super::types::*;
use crate::engine::SimTime;
use crate::scenario::RegionId;

/// A snapshot a leader sends a follower that cannot continue from its own log.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub epoch: u32,
    pub lsn: u64,
    pub epochs: Vec<(u32, u64)>,
    pub cells: Vec<super::data::Cell>,
    pub lists: Vec<Vec<u64>>,
    pub records: super::data::OpRecords,
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
        m: ReqMeta,
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
        updates: Vec<super::replication::wire::Update>,
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
        base: super::replication::wire::Stamp,
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
        job: Job,
    },
    IdentityReply {
        job: Job,
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
