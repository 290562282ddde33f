//! The closed set of events the world handles, and each one's digest for the trace
//! hash. Payloads live beside the engine's heap.

use super::msg::*;
use super::types::*;
use crate::engine::SimTime;
use crate::scenario::RegionId;

/// The closed set of events. Payloads live beside the engine's heap.
#[derive(Debug)]
pub enum Event {
    Arrival {
        region: RegionId,
    },
    Attempt {
        op: OpId,
    },
    Timeout {
        op: OpId,
        attempt: u32,
    },
    Deliver {
        from: RegionId,
        to: RegionId,
        msg: Msg,
    },
    ReplFlush {
        region: RegionId,
    },
    ApplyTick {
        region: RegionId,
    },
    NodeTick {
        region: RegionId,
    },
    ControlTick,
    Publish,
    RoutingApply {
        region: RegionId,
        writer: RegionId,
        epoch: u32,
        lag_us: Vec<u64>,
    },
    FaultStart {
        index: usize,
    },
    FaultEnd {
        index: usize,
    },
    Sample,
    EndDrill,
    /// The control plane's current runbook step has taken its time.
    RunbookNext,
    /// `promotion.planned`: the switchover starts.
    Switchover,
    WorkerTick {
        region: RegionId,
    },
    /// A server of `region`'s application tier finished `job`, which it started in
    /// the region's `incarnation` (see `AppTier::incarnation`).
    ServiceDone {
        region: RegionId,
        cell: u32,
        job: Job,
        incarnation: u32,
    },
    /// A server of `region`'s datastore (`design.database`) finished `job`, started in the
    /// region's `incarnation`.
    DbDone {
        region: RegionId,
        job: Job,
        incarnation: u32,
    },
    /// A crashed server of the cell is back.
    ServerRestart {
        region: RegionId,
        cell: u32,
    },
    /// Client regions probe every region's cheap health path.
    HealthTick,
    /// A fenced primary's lease renewal timer (see `Store::on_lease_timer`).
    /// `at`: when the timer was set to fire (a paused process handles it later).
    LeaseRenew {
        region: RegionId,
        at: SimTime,
    },
    /// A timer of the replication protocol at `region`'s node (consensus: heartbeats
    /// and election timeouts), set to fire `at`.
    ReplTimer {
        region: RegionId,
        at: SimTime,
    },
    /// A replica's disk flush, started at `at` minus the flush time, is done
    /// (`standby_flush_ms`); a crash since then voids it.
    DiskFlush {
        region: RegionId,
        at: SimTime,
    },
    /// The replication protocol asked to be woken at `region`'s node (commit wait: the
    /// next write may be shown).
    ReplWake {
        region: RegionId,
    },
}

impl Event {
    /// A digest of the event for the trace hash.
    pub fn trace_word(&self) -> u64 {
        let r = |x: RegionId| u64::from(x.0);
        match self {
            Event::Arrival { region } => 1 | r(*region) << 8,
            Event::Attempt { op } => 2 | u64::from(op.slot) << 8 | u64::from(op.gen) << 40,
            Event::Timeout { op, attempt } => {
                3 | u64::from(op.slot) << 8 | u64::from(*attempt) << 40
            }
            Event::Deliver { from, to, msg } => {
                4 | r(*from) << 8 | r(*to) << 16 | msg.tag() << 24 | msg.word() << 32
            }
            Event::ReplFlush { region } => 5 | r(*region) << 8,
            Event::ApplyTick { region } => 6 | r(*region) << 8,
            Event::NodeTick { region } => 7 | r(*region) << 8,
            Event::ControlTick => 8,
            Event::Publish => 9,
            Event::RoutingApply { region, writer, epoch, .. } => {
                10 | r(*region) << 8 | r(*writer) << 16 | u64::from(*epoch) << 24
            }
            Event::FaultStart { index } => 11 | (*index as u64) << 8,
            Event::FaultEnd { index } => 12 | (*index as u64) << 8,
            Event::Sample => 13,
            Event::EndDrill => 14,
            Event::RunbookNext => 15,
            Event::Switchover => 23,
            Event::WorkerTick { region } => 16 | r(*region) << 8,
            Event::ServiceDone { region, cell, job, .. } => {
                17 | r(*region) << 8 | u64::from(*cell) << 16 | u64::from(job.meta.op.slot) << 32
            }
            Event::DbDone { region, job, .. } => {
                25 | r(*region) << 8 | u64::from(job.meta.op.slot) << 32
            }
            Event::ServerRestart { region, cell } => 18 | r(*region) << 8 | u64::from(*cell) << 16,
            Event::HealthTick => 19,
            Event::LeaseRenew { region, .. } => 20 | r(*region) << 8,
            Event::ReplTimer { region, .. } => 21 | r(*region) << 8,
            Event::ReplWake { region } => 22 | r(*region) << 8,
            Event::DiskFlush { region, .. } => 24 | r(*region) << 8,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Event::Arrival { .. } => "arrival",
            Event::Attempt { .. } => "attempt",
            Event::Timeout { .. } => "timeout",
            Event::Deliver { msg, .. } => msg.name(),
            Event::ReplFlush { .. } => "repl_flush",
            Event::ApplyTick { .. } => "apply_tick",
            Event::NodeTick { .. } => "node_tick",
            Event::ControlTick => "control_tick",
            Event::Publish => "publish",
            Event::RoutingApply { .. } => "routing_apply",
            Event::FaultStart { .. } => "fault_start",
            Event::FaultEnd { .. } => "fault_end",
            Event::Sample => "sample",
            Event::EndDrill => "end_drill",
            Event::RunbookNext => "runbook_next",
            Event::Switchover => "switchover",
            Event::WorkerTick { .. } => "worker_tick",
            Event::ServiceDone { .. } => "service_done",
            Event::DbDone { .. } => "database_done",
            Event::ServerRestart { .. } => "server_restart",
            Event::HealthTick => "health_tick",
            Event::LeaseRenew { .. } => "lease_renew",
            Event::ReplTimer { .. } => "repl_timer",
            Event::ReplWake { .. } => "repl_wake",
            Event::DiskFlush { .. } => "disk_flush",
        }
    }
}
