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
use super::types::Res;
use super::{Event, World};
use crate::scenario::RegionId;
use std::fmt::Write as _;

/// Appends `"kind":...` and the event's other fields (no braces) to `out`.
pub fn event_json(w: &World, ev: &Event, out: &mut String) {
    let s = &w.s;
    let kind = if matches!(ev, Event::Deliver { .. }) { "deliver" } else { ev.name() };
    let _ = write!(out, "\"kind\":\"{kind}\"");
    let region = |out: &mut String, field: &str, r: RegionId| {
        let _ = write!(out, ",\"{field}\":");
        json_str(out, s.region_name(r));
    };
    let op = |out: &mut String, id: super::types::OpId| {
        if let Some(o) = w.clients.ops.get(id) {
            let _ = write!(
                out,
                ",\"op\":{},\"op_kind\":\"{}\",\"key\":{}",
                o.key,
                o.kind.name(),
                o.req.key()
            );
        }
    };
    match ev {
        Event::Arrival { region: r } => region(out, "region", *r),
        Event::Attempt { op: id } => {
            op(out, *id);
            if let Some(o) = w.clients.ops.get(*id) {
                let _ = write!(out, ",\"attempt\":{}", o.attempt + 1);
                region(out, "region", o.region);
            }
        }
        Event::Timeout { op: id, attempt } => {
            op(out, *id);
            let _ = write!(out, ",\"attempt\":{attempt}");
        }
        Event::Deliver { from, to, msg } => {
            region(out, "region", *to);
            region(out, "from", *from);
            let _ = write!(out, ",\"msg\":\"{}\"", msg.name());
            match msg {
                Msg::Client(ClientMsg::Request { meta: m, req }) => {
                    let _ = write!(
                        out,
                        ",\"op\":{},\"op_kind\":\"{}\",\"key\":{},\"attempt\":{},\"epoch\":{}",
                        m.op_key,
                        m.kind.name(),
                        req.key(),
                        m.attempt,
                        m.token
                    );
                }
                Msg::Client(ClientMsg::Response { op: id, attempt, res }) => {
                    op(out, *id);
                    let _ = write!(out, ",\"attempt\":{attempt},\"outcome\":\"");
                    match res {
                        Res::Value { .. } | Res::List { .. } => out.push_str("value"),
                        Res::Written { .. } => out.push_str("written"),
                        Res::Declined => out.push_str("declined"),
                        Res::Refused(r) => {
                            let _ = write!(out, "refused:{}", r.name());
                        }
                    }
                    out.push('"');
                }
                Msg::Repl(ReplMsg::Log(LogMsg::Append { epoch, prev_lsn, entries, .. })) => {
                    let _ = write!(
                        out,
                        ",\"epoch\":{epoch},\"prev_lsn\":{prev_lsn},\"entries\":{}",
                        entries.len()
                    );
                }
                Msg::Repl(ReplMsg::Log(LogMsg::AppendAck { epoch, end_lsn, .. })) => {
                    let _ = write!(out, ",\"epoch\":{epoch},\"end_lsn\":{end_lsn}");
                }
                Msg::Control(ControlMsg::Config { writer, epoch, .. }) => {
                    region(out, "writer", *writer);
                    let _ = write!(out, ",\"epoch\":{epoch}");
                }
                Msg::Control(
                    ControlMsg::LeaseRequest { epoch, .. } | ControlMsg::LeaseGrant { epoch, .. },
                ) => {
                    let _ = write!(out, ",\"epoch\":{epoch}");
                }
                _ => {}
            }
        }
        Event::ReplFlush { region: r }
        | Event::ApplyTick { region: r }
        | Event::NodeTick { region: r }
        | Event::WorkerTick { region: r }
        | Event::LeaseRenew { region: r } => region(out, "region", *r),
        Event::RoutingApply { region: r, writer, epoch, .. } => {
            region(out, "region", *r);
            region(out, "writer", *writer);
            let _ = write!(out, ",\"epoch\":{epoch}");
        }
        Event::FaultStart { index } | Event::FaultEnd { index } => {
            let _ = write!(
                out,
                ",\"fault\":{index},\"fault_kind\":\"{}\"",
                s.faults[*index].kind.name()
            );
        }
        Event::ServiceDone { region: r, cell, job, .. } => {
            region(out, "region", *r);
            let _ = write!(
                out,
                ",\"cell\":{cell},\"op\":{},\"op_kind\":\"{}\",\"attempt\":{}",
                job.m.op_key,
                job.m.kind.name(),
                job.m.attempt
            );
        }
        Event::ServerRestart { region: r, cell } => {
            region(out, "region", *r);
            let _ = write!(out, ",\"cell\":{cell}");
        }
        Event::ControlTick
        | Event::Publish
        | Event::Sample
        | Event::EndDrill
        | Event::RunbookNext
        | Event::HealthTick => {}
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
