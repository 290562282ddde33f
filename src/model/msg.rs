//! Messages between regions; each crosses the network and can be lost. One enum per
//! protocol (clients, log shipping, multi-writer updates, the control plane, the
//! runbook, health checks, the identity service, the emergency successor), each with
//! its trace name, its tag and a word for the trace hash.

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

/// Messages between regions, by the protocol they belong to.
#[derive(Clone, Debug)]
pub enum Msg {
    Client(ClientMsg),
    Repl(ReplMsg),
    Control(ControlMsg),
    Runbook(RunbookMsg),
    Health(HealthMsg),
    Identity(IdentityMsg),
    Successor(SuccessorMsg),
}

/// A client's attempt and the answer to it.
#[derive(Clone, Debug)]
pub enum ClientMsg {
    /// A client attempt: the operation and what travels with it.
    Request {
        meta: ReqMeta,
        req: Req,
    },
    Response {
        op: OpId,
        attempt: u32,
        res: Res,
    },
}

/// What a replication protocol sends between its nodes.
#[derive(Clone, Debug)]
pub enum ReplMsg {
    Log(LogMsg),
    Multi(MultiMsg),
    Vote(VoteMsg),
}

/// Single-leader log shipping: the leader's appends and snapshots, the followers' acks.
#[derive(Clone, Debug)]
pub enum LogMsg {
    Append {
        epoch: u32,
        prev_lsn: u64,
        prev_epoch: u32,
        entries: Vec<Entry>,
        leader_local_us: i64,
        leader_end: u64,
        /// Consensus: how far the leader knows the log is committed (followers apply no
        /// further).
        leader_commit: u64,
        /// Consensus: the leader's lease-clock reading when it sent this, echoed in the
        /// acknowledgement so the leader knows which heartbeat round a majority heard.
        round_us: i64,
    },
    /// `gap`: the follower is missing entries before the append (resend from `end_lsn`).
    AppendAck {
        epoch: u32,
        end_lsn: u64,
        /// How far what it holds is as replicated as the design's commit level asks
        /// (received, durable or applied); never beyond `end_lsn`.
        synced_lsn: u64,
        gap: bool,
        need_snapshot: bool,
        /// The `round_us` of the newest append this follower took from the leader.
        round_us: i64,
    },
    Snapshot(Box<Snapshot>),
}

/// Consensus elections (Raft section 5.2, with the thesis's pre-vote, section 9.6).
#[derive(Clone, Debug)]
pub enum VoteMsg {
    /// A candidate (or, with `pre_vote`, a would-be candidate) asks for a vote in `term`,
    /// with how far its log goes.
    Request { term: u32, last_lsn: u64, last_term: u32, pre_vote: bool },
    /// The answer, with the voter's own term.
    Reply { term: u32, granted: bool, pre_vote: bool },
}

/// Multi-writer replication: each region's own writes, and key proposals.
#[derive(Clone, Debug)]
pub enum MultiMsg {
    /// A region's own writes, in its sequence (none for a keepalive), with how far the
    /// sender's sequence went and its clock when it sent them: a receiver that has
    /// applied up to `end` is as fresh as `sender_local_us`.
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
}

/// Between the nodes and the control plane.
#[derive(Clone, Debug)]
pub enum ControlMsg {
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
    /// Where the routers should send writes, and how far each region lags.
    Routing {
        writer: RegionId,
        epoch: u32,
        lag_us: Vec<u64>,
    },
    /// A most-advanced promotion asks a standby how much log it holds.
    PositionQuery {
        round: u32,
    },
    PositionReply {
        round: u32,
        end_lsn: u64,
    },
}

/// The failover runbook's steps that travel to the stores.
#[derive(Clone, Debug)]
pub enum RunbookMsg {
    /// The reconcile step: stores re-submit the writes they discard.
    Reconcile,
    /// Writes a store discarded, sent to the writer to be applied again.
    Reapply { entries: Vec<Entry> },
    /// Stop (or resume) writes at every store.
    Freeze { frozen: bool },
    /// The queue step: the new writer's workers drain (or quarantine) their backlog.
    Queues { epoch: u32, quarantine: bool },
}

/// A client region's health check of another region (a cheap path).
#[derive(Clone, Debug)]
pub enum HealthMsg {
    Probe,
    Ok,
}

/// A region asks the identity service to check a request's token.
#[derive(Clone, Debug)]
pub enum IdentityMsg {
    Check { job: Job },
    Reply { job: Job, ok: bool },
}

/// The emergency successor asks whether a region has heard the writer or the control
/// plane lately (`round` numbers its asking).
#[derive(Clone, Debug)]
pub enum SuccessorMsg {
    Probe { round: u64 },
    Ack { round: u64, writer_heard: bool },
}

macro_rules! into_msg {
    ($($family:ident => $variant:ident),* $(,)?) => {$(
        impl From<$family> for Msg {
            fn from(m: $family) -> Msg {
                Msg::$variant(m)
            }
        }
    )*};
}
into_msg!(
    ClientMsg => Client,
    ReplMsg => Repl,
    ControlMsg => Control,
    RunbookMsg => Runbook,
    HealthMsg => Health,
    IdentityMsg => Identity,
    SuccessorMsg => Successor,
);

impl From<LogMsg> for Msg {
    fn from(m: LogMsg) -> Msg {
        Msg::Repl(ReplMsg::Log(m))
    }
}

impl From<MultiMsg> for Msg {
    fn from(m: MultiMsg) -> Msg {
        Msg::Repl(ReplMsg::Multi(m))
    }
}

impl From<VoteMsg> for Msg {
    fn from(m: VoteMsg) -> Msg {
        Msg::Repl(ReplMsg::Vote(m))
    }
}

/// What the trace and its hash say about a message: its name, its tag and one word of
/// its content.
pub trait Wire {
    fn name(&self) -> &'static str;
    fn tag(&self) -> u64;
    fn word(&self) -> u64;
}

impl Wire for Msg {
    fn name(&self) -> &'static str {
        self.family().name()
    }
    fn tag(&self) -> u64 {
        self.family().tag()
    }
    fn word(&self) -> u64 {
        self.family().word()
    }
}

impl Msg {
    fn family(&self) -> &dyn Wire {
        match self {
            Msg::Client(m) => m,
            Msg::Repl(ReplMsg::Log(m)) => m,
            Msg::Repl(ReplMsg::Multi(m)) => m,
            Msg::Repl(ReplMsg::Vote(m)) => m,
            Msg::Control(m) => m,
            Msg::Runbook(m) => m,
            Msg::Health(m) => m,
            Msg::Identity(m) => m,
            Msg::Successor(m) => m,
        }
    }
}

impl Wire for ClientMsg {
    fn name(&self) -> &'static str {
        match self {
            ClientMsg::Request { .. } => "request",
            ClientMsg::Response { .. } => "response",
        }
    }
    fn tag(&self) -> u64 {
        match self {
            ClientMsg::Request { .. } => 1,
            ClientMsg::Response { .. } => 2,
        }
    }
    fn word(&self) -> u64 {
        let (op, attempt) = match self {
            ClientMsg::Request { meta, .. } => (meta.op, meta.attempt),
            ClientMsg::Response { op, attempt, .. } => (*op, *attempt),
        };
        u64::from(op.slot) ^ u64::from(attempt) << 24
    }
}

impl Wire for LogMsg {
    fn name(&self) -> &'static str {
        match self {
            LogMsg::Append { .. } => "append",
            LogMsg::AppendAck { .. } => "append_ack",
            LogMsg::Snapshot(_) => "snapshot",
        }
    }
    fn tag(&self) -> u64 {
        match self {
            LogMsg::Append { .. } => 3,
            LogMsg::AppendAck { .. } => 4,
            LogMsg::Snapshot(_) => 5,
        }
    }
    fn word(&self) -> u64 {
        match self {
            LogMsg::Append { prev_lsn, entries, .. } => prev_lsn ^ (entries.len() as u64) << 20,
            LogMsg::AppendAck { end_lsn, .. } => *end_lsn,
            LogMsg::Snapshot(s) => s.lsn,
        }
    }
}

impl Wire for MultiMsg {
    fn name(&self) -> &'static str {
        match self {
            MultiMsg::Updates { .. } => "updates",
            MultiMsg::UpdatesAck { .. } => "updates_ack",
            MultiMsg::Propose { .. } => "propose",
            MultiMsg::ProposeReply { .. } => "propose_reply",
            MultiMsg::Decide { .. } => "decide",
        }
    }
    fn tag(&self) -> u64 {
        match self {
            MultiMsg::Updates { .. } => 12,
            MultiMsg::UpdatesAck { .. } => 13,
            MultiMsg::Propose { .. } => 14,
            MultiMsg::ProposeReply { .. } => 15,
            MultiMsg::Decide { .. } => 16,
        }
    }
    fn word(&self) -> u64 {
        match self {
            MultiMsg::Updates { updates, end, .. } => updates.first().map_or(*end, |u| u.seq),
            MultiMsg::UpdatesAck { upto } => *upto,
            MultiMsg::Propose { pid, .. }
            | MultiMsg::ProposeReply { pid, .. }
            | MultiMsg::Decide { pid, .. } => *pid,
        }
    }
}

impl Wire for VoteMsg {
    fn name(&self) -> &'static str {
        match self {
            VoteMsg::Request { pre_vote: false, .. } => "request_vote",
            VoteMsg::Request { pre_vote: true, .. } => "request_pre_vote",
            VoteMsg::Reply { pre_vote: false, .. } => "vote",
            VoteMsg::Reply { pre_vote: true, .. } => "pre_vote",
        }
    }
    fn tag(&self) -> u64 {
        match self {
            VoteMsg::Request { .. } => 25,
            VoteMsg::Reply { .. } => 26,
        }
    }
    fn word(&self) -> u64 {
        match self {
            VoteMsg::Request { term, pre_vote, .. } => u64::from(*term) << 1 | u64::from(*pre_vote),
            VoteMsg::Reply { term, granted, pre_vote } => {
                u64::from(*term) << 2 | u64::from(*granted) << 1 | u64::from(*pre_vote)
            }
        }
    }
}

impl Wire for ControlMsg {
    fn name(&self) -> &'static str {
        match self {
            ControlMsg::Heartbeat { .. } => "heartbeat",
            ControlMsg::LeaseRequest { .. } => "lease_request",
            ControlMsg::LeaseGrant { .. } => "lease_grant",
            ControlMsg::Config { .. } => "config",
            ControlMsg::Routing { .. } => "routing",
            ControlMsg::PositionQuery { .. } => "position_query",
            ControlMsg::PositionReply { .. } => "position_reply",
        }
    }
    /// Lease requests share tag 23 with successor probes: the trace hash has always
    /// been computed so, and changing it would change every pinned hash.
    fn tag(&self) -> u64 {
        match self {
            ControlMsg::Heartbeat { .. } => 6,
            ControlMsg::LeaseGrant { .. } => 7,
            ControlMsg::Config { .. } => 8,
            ControlMsg::Routing { .. } => 9,
            ControlMsg::LeaseRequest { .. } => 23,
            ControlMsg::PositionQuery { .. } => 27,
            ControlMsg::PositionReply { .. } => 28,
        }
    }
    fn word(&self) -> u64 {
        match self {
            ControlMsg::Heartbeat { report } => report.end_lsn,
            ControlMsg::LeaseRequest { requested_local_us, .. } => *requested_local_us as u64,
            ControlMsg::LeaseGrant { epoch, .. }
            | ControlMsg::Config { epoch, .. }
            | ControlMsg::Routing { epoch, .. } => u64::from(*epoch),
            ControlMsg::PositionQuery { round } => u64::from(*round),
            ControlMsg::PositionReply { round, end_lsn } => u64::from(*round) << 40 ^ end_lsn,
        }
    }
}

impl Wire for RunbookMsg {
    fn name(&self) -> &'static str {
        match self {
            RunbookMsg::Reconcile => "reconcile",
            RunbookMsg::Reapply { .. } => "reapply",
            RunbookMsg::Freeze { .. } => "freeze",
            RunbookMsg::Queues { .. } => "queues",
        }
    }
    fn tag(&self) -> u64 {
        match self {
            RunbookMsg::Freeze { .. } => 10,
            RunbookMsg::Queues { .. } => 11,
            RunbookMsg::Reconcile => 17,
            RunbookMsg::Reapply { .. } => 18,
        }
    }
    fn word(&self) -> u64 {
        match self {
            RunbookMsg::Reconcile => 0,
            RunbookMsg::Reapply { entries } => entries.len() as u64,
            RunbookMsg::Freeze { frozen } => u64::from(*frozen),
            RunbookMsg::Queues { epoch, quarantine } => {
                u64::from(*epoch) << 1 | u64::from(*quarantine)
            }
        }
    }
}

impl Wire for HealthMsg {
    fn name(&self) -> &'static str {
        match self {
            HealthMsg::Probe => "health_probe",
            HealthMsg::Ok => "health_ok",
        }
    }
    fn tag(&self) -> u64 {
        match self {
            HealthMsg::Probe => 21,
            HealthMsg::Ok => 22,
        }
    }
    fn word(&self) -> u64 {
        0
    }
}

impl Wire for IdentityMsg {
    fn name(&self) -> &'static str {
        match self {
            IdentityMsg::Check { .. } => "identity_check",
            IdentityMsg::Reply { .. } => "identity_reply",
        }
    }
    fn tag(&self) -> u64 {
        match self {
            IdentityMsg::Check { .. } => 19,
            IdentityMsg::Reply { .. } => 20,
        }
    }
    fn word(&self) -> u64 {
        match self {
            IdentityMsg::Check { job } | IdentityMsg::Reply { job, .. } => {
                u64::from(job.meta.op.slot)
            }
        }
    }
}

impl Wire for SuccessorMsg {
    fn name(&self) -> &'static str {
        match self {
            SuccessorMsg::Probe { .. } => "successor_probe",
            SuccessorMsg::Ack { .. } => "successor_ack",
        }
    }
    fn tag(&self) -> u64 {
        match self {
            SuccessorMsg::Probe { .. } => 23,
            SuccessorMsg::Ack { .. } => 24,
        }
    }
    fn word(&self) -> u64 {
        match self {
            SuccessorMsg::Probe { round } => *round,
            SuccessorMsg::Ack { round, writer_heard } => round << 1 | u64::from(*writer_heard),
        }
    }
}
