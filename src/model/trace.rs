//! The JSONL trace's fields for each event (`gameday run --trace FILE`): one object per
//! dispatched event, in dispatch order. Every line has
//!
//! | field | meaning |
//! |---|---|
//! | `at_us` | simulated time, integer microseconds |
//! | `seq` | the event's scheduling sequence number (ties at one time run in `seq` order) |
//! | `kind` | the event: `arrival`, `attempt`, `timeout`, `deliver`, `repl_flush`, `apply_tick`, `node_tick`, `control_tick`, `publish`, `routing_apply`, `fault_start`, `fault_end`, `sample`, `end_drill`, `runbook_next`, `worker_tick`, `service_done`, `server_restart`, `health_tick`, `lease_renew` |
//!
//! and, where the event has them:
//!
//! | field | meaning |
//! |---|---|
//! | `region` | the region where the event happens (for `deliver`: the receiver) |
//! | `from` | the sending region of a `deliver` |
//! | `msg` | the message a `deliver` carries (`request`, `response`, `append`, `append_ack`, `config`, ...) |
//! | `op` | the logical operation's number (the same across retries; the `:process` of `--history`) |
//! | `op_kind` | the operation, e.g. `account.transfer` |
//! | `attempt` | the attempt number of the operation, from 1 |
//! | `key` | the key the operation touches |
//! | `epoch` | the epoch a message or routing update carries (a request's fencing token) |
//! | `writer` | the region a `config` or `routing_apply` names as writer |
//! | `entries`, `prev_lsn` | an `append`'s entry count and the log position it follows |
//! | `end_lsn` | an `append_ack`'s log end |
//! | `outcome` | a `response`: `value`, `written`, `declined` or `refused:<reason>` |
//! | `fault`, `fault_kind` | a fault's index in the scenario's `faults` and its kind |
//! | `cell` | the application-tier cell of `service_done` and `server_restart` |
//!
//! Fields are added, never renamed, within one `summary.json` schema version.

use super::msg::{ClientMsg, ControlMsg, LogMsg, Msg, ReplMsg, Wire};
use super::types::{OpId, Res};
use super::{Event, World};
use crate::scenario::RegionId;
use std::fmt::Write as _;

/// Appends `"kind":...` and the event's other fields (no braces) to `out`.
pub fn event_json(w: &World, ev: &Event, out: &mut String) {
    let kind = if matches!(ev, Event::Deliver { .. }) { "deliver" } else { ev.name() };
    let _ = write!(out, "\"kind\":\"{kind}\"");
    let mut line = Line { world: w, out };
    match ev {
        Event::Arrival { region } => line.region("region", *region),
        Event::Attempt { op } => line.attempt(*op),
        Event::Timeout { op, attempt } => {
            line.op(*op);
            line.push(format_args!(",\"attempt\":{attempt}"));
        }
        Event::Deliver { from, to, msg } => line.deliver(*from, *to, msg),
        Event::ReplFlush { region }
        | Event::ApplyTick { region }
        | Event::NodeTick { region }
        | Event::WorkerTick { region }
        | Event::LeaseRenew { region, .. }
        | Event::ReplTimer { region, .. }
        | Event::DiskFlush { region, .. }
        | Event::ReplWake { region } => line.region("region", *region),
        Event::RoutingApply { region, writer, epoch, .. } => {
            line.region("region", *region);
            line.region("writer", *writer);
            line.push(format_args!(",\"epoch\":{epoch}"));
        }
        Event::FaultStart { index } | Event::FaultEnd { index } => line.fault(*index),
        Event::ServiceDone { region, cell, job, .. } => {
            line.region("region", *region);
            line.push(format_args!(
                ",\"cell\":{cell},\"op\":{},\"op_kind\":\"{}\",\"attempt\":{}",
                job.meta.op_key,
                job.meta.kind.name(),
                job.meta.attempt
            ));
        }
        Event::DbDone { region, job, .. } => {
            line.region("region", *region);
            line.push(format_args!(
                ",\"op\":{},\"op_kind\":\"{}\",\"attempt\":{}",
                job.meta.op_key,
                job.meta.kind.name(),
                job.meta.attempt
            ));
        }
        Event::ServerRestart { region, cell } => {
            line.region("region", *region);
            line.push(format_args!(",\"cell\":{cell}"));
        }
        Event::ControlTick
        | Event::Publish
        | Event::Sample
        | Event::EndDrill
        | Event::RunbookNext
        | Event::Switchover
        | Event::HealthTick => {}
    }
}

/// One trace line being written: fields are appended to `out`, with regions and
/// operations named from the world as it is when the event is dispatched.
struct Line<'a> {
    world: &'a World,
    out: &'a mut String,
}

impl Line<'_> {
    fn push(&mut self, fields: std::fmt::Arguments<'_>) {
        let _ = self.out.write_fmt(fields);
    }

    /// `,"<field>":"<region name>"`.
    fn region(&mut self, field: &str, region: RegionId) {
        self.push(format_args!(",\"{field}\":"));
        json_str(self.out, self.world.scenario.region_name(region));
    }

    /// The logical operation, its kind and key, while the operation is still known.
    fn op(&mut self, id: OpId) {
        if let Some(live) = self.world.clients.ops.get(id) {
            self.push(format_args!(
                ",\"op\":{},\"op_kind\":\"{}\",\"key\":{}",
                live.key,
                live.kind.name(),
                live.req.key()
            ));
        }
    }

    /// An attempt: the operation, the attempt's number from 1, and the client's region.
    fn attempt(&mut self, id: OpId) {
        self.op(id);
        if let Some(live) = self.world.clients.ops.get(id) {
            self.push(format_args!(",\"attempt\":{}", live.attempt + 1));
            self.region("region", live.region);
        }
    }

    /// A fault's index in the scenario and its kind.
    fn fault(&mut self, index: usize) {
        let kind = self.world.scenario.faults[index].kind.name();
        self.push(format_args!(",\"fault\":{index},\"fault_kind\":\"{kind}\""));
    }

    /// A delivery: receiver, sender, the message's name and what the message carries.
    fn deliver(&mut self, from: RegionId, to: RegionId, msg: &Msg) {
        self.region("region", to);
        self.region("from", from);
        self.push(format_args!(",\"msg\":\"{}\"", msg.name()));
        match msg {
            Msg::Client(ClientMsg::Request { meta: m, req }) => self.push(format_args!(
                ",\"op\":{},\"op_kind\":\"{}\",\"key\":{},\"attempt\":{},\"epoch\":{}",
                m.op_key,
                m.kind.name(),
                req.key(),
                m.attempt,
                m.token
            )),
            Msg::Client(ClientMsg::Response { op, attempt, res }) => {
                self.response(*op, *attempt, res)
            }
            Msg::Repl(ReplMsg::Log(LogMsg::Append { epoch, prev_lsn, entries, .. })) => {
                self.push(format_args!(
                    ",\"epoch\":{epoch},\"prev_lsn\":{prev_lsn},\"entries\":{}",
                    entries.len()
                ))
            }
            Msg::Repl(ReplMsg::Log(LogMsg::AppendAck { epoch, end_lsn, .. })) => {
                self.push(format_args!(",\"epoch\":{epoch},\"end_lsn\":{end_lsn}"))
            }
            Msg::Control(ControlMsg::Config { writer, epoch, .. }) => {
                self.region("writer", *writer);
                self.push(format_args!(",\"epoch\":{epoch}"));
            }
            Msg::Control(
                ControlMsg::LeaseRequest { epoch, .. } | ControlMsg::LeaseGrant { epoch, .. },
            ) => self.push(format_args!(",\"epoch\":{epoch}")),
            _ => {}
        }
    }

    /// A response: the operation, the attempt it answers and its outcome.
    fn response(&mut self, op: OpId, attempt: u32, res: &Res) {
        self.op(op);
        self.push(format_args!(",\"attempt\":{attempt},\"outcome\":\""));
        match res {
            Res::Value { .. } | Res::List { .. } => self.out.push_str("value"),
            Res::Written { .. } => self.out.push_str("written"),
            Res::Declined => self.out.push_str("declined"),
            Res::Refused(reason) => self.push(format_args!("refused:{}", reason.name())),
        }
        self.out.push('"');
    }
}

/// `text` as a JSON string.
fn json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
