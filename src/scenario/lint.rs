//! Warnings about a valid scenario that will not do what its author most likely meant:
//! a fault that cannot bite under the design (a brownout of an application tier the
//! design does not have, a replication stall that leaves the replica faster than the
//! writes), or a knob that cannot matter in this drill. Each says why and what would
//! make it bite. They never stop a run: `validate` and `run` print them, and the
//! summary lists them.

use super::Scenario;
use crate::fault::file::TierFile;
use crate::fault::{Fault, FaultKind};
use crate::region::Role;
use serde::Serialize;

/// One warning: the field it is about, and what to know.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

/// Every warning for `s`, in field order (design first, then each fault).
pub fn warnings(s: &Scenario) -> Vec<Warning> {
    let mut w = design_warnings(s);
    for (i, f) in s.faults.iter().enumerate() {
        if let Some(message) = fault_warning(s, f) {
            w.push(Warning { path: format!("faults[{i}] ({})", f.kind.name()), message });
        }
    }
    w
}

/// Writes per second the workload offers (what replicas must apply to keep up).
pub fn write_rate_per_s(s: &Scenario) -> f64 {
    let mut prev = 0u32;
    let mut share = 0.0;
    for &(kind, cum) in &s.workload.mix {
        if !kind.is_read() {
            share += f64::from(cum - prev) / 1e6;
        }
        prev = cum;
    }
    s.workload.rate_per_s * share
}

fn design_warnings(s: &Scenario) -> Vec<Warning> {
    let d = &s.design;
    let mut w = Vec::new();
    let writes = write_rate_per_s(s);
    let has_replicas = s.regions.iter().any(|r| r.role != Role::Primary);
    if d.consensus.is_none() && has_replicas && d.apply_rate_per_s < writes {
        w.push(Warning {
            path: "design.replication.apply_rate_per_s".into(),
            message: format!(
                "replicas apply {} entries/s but the workload writes about {} a second: every replica falls further behind for the whole drill, with no fault at all; raise it above {}, or lower workload.rate_per_s",
                num(d.apply_rate_per_s),
                num(writes),
                num(writes)
            ),
        });
    }
    if let Some(after) = d.async_fallback {
        if after >= s.duration {
            w.push(Warning {
                path: "design.replication.async_fallback_ms".into(),
                message: format!(
                    "is {} s, as long as the whole drill ({} s): the primary can never fall back to async in it; make it shorter than the faults that stall replication, or remove it",
                    num(after.as_secs_f64()),
                    num(s.duration.as_secs_f64())
                ),
            });
        }
    }
    w
}

fn fault_warning(s: &Scenario, f: &Fault) -> Option<String> {
    let d = &s.design;
    let no_tier = "this design has no application tier (design.capacity), so requests take no time there and nothing can slow, shrink or fail it";
    match &f.kind {
        FaultKind::RegionBrownout(b) if b.tier == TierFile::Database => d.database.is_none().then(|| {
            "cannot bite: a database brownout degrades the datastore's own servers, and this design gives it none (design.database), so the store answers at once whatever happens to it; add design.database (servers and service time)".to_string()
        }),
        FaultKind::RegionBrownout(_) if d.capacity.is_none() => Some(format!(
            "cannot bite: a brownout degrades a region's application tier, and {no_tier}; add design.capacity (servers and service_ms per operation) to model the tier"
        )),
        FaultKind::PoisonCustomer(_) if d.capacity.is_none() => Some(format!(
            "cannot bite: a poison customer's requests crash the server that takes them, and {no_tier}; add design.capacity"
        )),
        FaultKind::TrafficSurge(_) if d.capacity.is_none() => Some(
            "has little to bite on: more arrivals queue nowhere, as this design has no application tier with limited servers (design.capacity); add design.capacity to see queueing and overload".into(),
        ),
        FaultKind::ReplicationStall(stall) if stall.lag.is_none() => {
            stall_warning(s, f, stall.apply_factor)
        }
        FaultKind::WorkerCrash(_)
        | FaultKind::QueueReplay(_)
        | FaultKind::DuplicateDelivery(_)
        | FaultKind::PoisonMessage(_)
            if !d.stream.side_effects =>
        {
            Some("cannot bite: it acts on the workers that perform side effects from the log, and this design runs none; set design.stream.side_effects to true".into())
        }
        FaultKind::ProviderOutage(_) if !d.stream.side_effects || !has_effects(s) => Some(
            "cannot bite: the external provider is called only by the workers that perform side effects (account.transfer, permission.grant/revoke, workflow.advance) from the log; set design.stream.side_effects to true and give the mix one of those operations".into(),
        ),
        FaultKind::IdentityOutage(_) if d.identity.is_none() => Some(
            "cannot bite: this design checks no identity service (design.identity), so nothing calls it; add design.identity".into(),
        ),
        FaultKind::OperatorPromote(p) if s.regions[p.region.idx()].role == Role::Primary => {
            Some(format!(
                "promotes {}, which is already the writer when the drill starts: nothing happens unless another region was promoted before it",
                s.regions[p.region.idx()].name
            ))
        }
        _ => None,
    }
}

/// Whether the mix holds an operation with an external side effect.
fn has_effects(s: &Scenario) -> bool {
    s.workload.mix.iter().any(|(k, _)| k.has_effect())
}

/// A stall that leaves the replica applying faster than the writes arrive builds no lag.
fn stall_warning(s: &Scenario, f: &Fault, factor: f64) -> Option<String> {
    if s.design.consensus.is_some() {
        return None;
    }
    let writes = write_rate_per_s(s);
    let rate = s.design.apply_rate_per_s * factor;
    if rate < writes {
        return None;
    }
    let need = writes / s.design.apply_rate_per_s;
    let window = f.until.map(|u| u.since(f.at).as_secs_f64()).unwrap_or(0.0);
    Some(format!(
        "cannot bite: at apply_factor {} the replica still applies {} entries/s, faster than the about {} writes/s it receives, so no lag builds; below {} lag grows, and 0 stalls it completely ({} s of lag by the end of this {} s window). Or give lag_s, the lag you want, instead",
        num(factor),
        num(rate),
        num(writes),
        num(need),
        num(window),
        num(window)
    ))
}

fn num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{:.3}", x).trim_end_matches('0').to_string()
    }
}
