//! Invariant checkers. Each sees every observation the model produces, right after the
//! event that produced it, and may read the world; none can change it. Each invariant
//! lives in its own file, keeps incremental state (no rescans of history), and reports
//! its first violation with a trail: the recent notable events that led to it.

mod acked_durability;
mod domain;
mod exactly_once_effects;
mod fenced_writes;
mod freshness;
mod linearizable;
mod no_lost_update;
mod recovery;
mod session;
mod single_writer;

pub mod linearizability;

use crate::engine::SimTime;
use crate::model::types::Obs;
use crate::model::World;
use crate::scenario::{FaultKind, RegionId, Scenario};
use serde::Serialize;
use std::collections::VecDeque;

/// Notable events remembered for trails.
const TRAIL_RECENT_MAX: usize = 64;
/// Notable events shown in one trail, before the offending one.
const TRAIL_SHOWN_MAX: usize = 8;

/// A violation as a checker reports it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub at: SimTime,
    pub what: String,
    /// Regions involved: the trail keeps notable events that concern them.
    pub regions: Vec<RegionId>,
}

/// One invariant. `observe` runs after every event, once per observation.
pub trait Invariant {
    fn id(&self) -> &'static str;
    fn observe(&mut self, obs: &Obs, w: &World, found: &mut Vec<Finding>);
    /// Periodic upkeep (every sample tick), for bounded memory.
    fn sample(&mut self, _w: &World, _found: &mut Vec<Finding>) {}
    /// Checks that need the converged end state.
    fn finish(&mut self, _w: &World, _found: &mut Vec<Finding>) {}
    /// Figures beyond held/violated (RPO, staleness...), for the summary.
    fn details(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TrailStep {
    pub at_us: u64,
    pub event: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct InvariantReport {
    pub id: &'static str,
    pub status: &'static str,
    pub first_at_us: Option<u64>,
    pub count: u64,
    pub trail: Vec<TrailStep>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

struct Notable {
    at: SimTime,
    regions: Vec<RegionId>,
    text: String,
}

struct Slot {
    inv: Box<dyn Invariant>,
    first: Option<(SimTime, Vec<TrailStep>)>,
    count: u64,
}

/// All checkers of a run, plus the memory of notable events that trails are cut from.
pub struct Checkers {
    slots: Vec<Slot>,
    recent: VecDeque<Notable>,
    found: Vec<Finding>,
}

impl Checkers {
    pub fn new(s: &Scenario) -> Self {
        let invs: Vec<Box<dyn Invariant>> = vec![
            Box::new(single_writer::SingleWriter::new(s)),
            Box::new(fenced_writes::FencedWrites::default()),
            Box::new(acked_durability::AckedDurability::new(s)),
            Box::new(freshness::Freshness::new(s)),
            Box::new(domain::Domain::new(s)),
            Box::new(exactly_once_effects::ExactlyOnceEffects::new(s)),
            Box::new(session::Session::default()),
            Box::new(no_lost_update::NoLostUpdate::default()),
            Box::new(recovery::Recovery::new(s)),
            Box::new(linearizable::Linearizable::new(s)),
        ];
        debug_assert_eq!(invs.len(), crate::scenario::KNOWN_INVARIANTS.len());
        Checkers {
            slots: invs.into_iter().map(|inv| Slot { inv, first: None, count: 0 }).collect(),
            recent: VecDeque::new(),
            found: Vec::new(),
        }
    }

    pub fn observe(&mut self, obs: &Obs, w: &World) {
        if let Some(n) = notable(obs, w) {
            // Runbook steps that start at the same instant read as one line.
            if let Some(last) = self.recent.back_mut() {
                if last.at == n.at
                    && last.text.starts_with("runbook: ")
                    && n.text.starts_with("runbook: ")
                {
                    last.text.push_str(", ");
                    last.text.push_str(&n.text["runbook: ".len()..]);
                    return self.observe_invariants(obs, w);
                }
            }
            if self.recent.len() == TRAIL_RECENT_MAX {
                self.recent.pop_front();
            }
            self.recent.push_back(n);
        }
        self.observe_invariants(obs, w);
    }

    fn observe_invariants(&mut self, obs: &Obs, w: &World) {
        for i in 0..self.slots.len() {
            self.slots[i].inv.observe(obs, w, &mut self.found);
            self.record(i);
        }
    }

    pub fn sample(&mut self, w: &World) {
        for i in 0..self.slots.len() {
            self.slots[i].inv.sample(w, &mut self.found);
            self.record(i);
        }
    }

    pub fn finish(&mut self, w: &World) {
        for i in 0..self.slots.len() {
            self.slots[i].inv.finish(w, &mut self.found);
            self.record(i);
        }
    }

    fn record(&mut self, i: usize) {
        if self.found.is_empty() {
            return;
        }
        let slot = &mut self.slots[i];
        slot.count += self.found.len() as u64;
        if slot.first.is_none() {
            let f = &self.found[0];
            let mut trail: Vec<TrailStep> = self
                .recent
                .iter()
                .filter(|n| {
                    n.at <= f.at
                        && (n.regions.is_empty() || n.regions.iter().any(|r| f.regions.contains(r)))
                })
                .map(|n| TrailStep { at_us: n.at.as_us(), event: n.text.clone() })
                .collect();
            if trail.len() > TRAIL_SHOWN_MAX {
                trail.drain(..trail.len() - TRAIL_SHOWN_MAX);
            }
            trail.push(TrailStep { at_us: f.at.as_us(), event: f.what.clone() });
            slot.first = Some((f.at, trail));
        }
        self.found.clear();
    }

    pub fn reports(&self) -> Vec<InvariantReport> {
        self.slots
            .iter()
            .map(|s| InvariantReport {
                id: s.inv.id(),
                // A checker that ran out of budget found nothing, but cannot vouch either.
                status: if s.count > 0 {
                    "violated"
                } else if s.inv.details()["verdict"] == "unknown" {
                    "unknown"
                } else {
                    "held"
                },
                first_at_us: s.first.as_ref().map(|f| f.0.as_us()),
                count: s.count,
                trail: s.first.as_ref().map(|f| f.1.clone()).unwrap_or_default(),
                details: s.inv.details(),
            })
            .collect()
    }
}

/// Describes the observations worth a place in a trail: faults and changes of who
/// writes, who routes where, and what was thrown away.
fn notable(obs: &Obs, w: &World) -> Option<Notable> {
    let name = |r: RegionId| w.s.region_name(r).to_string();
    let (regions, text) = match obs {
        Obs::FaultStarted { index } | Obs::FaultEnded { index } => {
            let f = &w.s.faults[*index];
            if matches!(f.kind, FaultKind::OperatorPromote { .. }) {
                // The promotion it causes is notable on its own (EpochGranted).
                return None;
            }
            let verb = if matches!(obs, Obs::FaultStarted { .. }) { "starts" } else { "heals" };
            (
                fault_regions(&f.kind),
                format!("fault {} ({}) {verb}", f.kind.name(), describe_fault(&f.kind, w)),
            )
        }
        Obs::EpochGranted { epoch, region, fenced, by_operator, detected_at } => {
            let who = if *by_operator { "operator" } else { "control plane" };
            let how = if *fenced { "fenced" } else { "unfenced" };
            let why = detected_at.map_or(String::new(), |t| format!("; failure detected at {t}"));
            (
                vec![],
                format!("{who} promotes {} to writer at epoch {epoch} ({how}{why})", name(*region)),
            )
        }
        Obs::RoleChange { region, primary, epoch } => {
            let what = if *primary { "becomes primary" } else { "steps down" };
            (vec![*region], format!("{} {what} (epoch {epoch})", name(*region)))
        }
        Obs::WorkersStart { region, from, paused } => {
            let how = if *paused { ", paused until the runbook's queue step" } else { "" };
            (
                vec![*region],
                format!("{}'s workers start from log position {from}{how}", name(*region)),
            )
        }
        Obs::Quarantined { region, events } => (
            vec![*region],
            format!("{}'s workers set {events} backlog events aside", name(*region)),
        ),
        Obs::DeadLettered { region, op_key } => {
            (vec![*region], format!("{}'s workers dead-letter operation #{op_key}", name(*region)))
        }
        Obs::Guard { region, target, guard, state } => (
            vec![*region, *target],
            format!("{}'s {guard} for {} turns {state}", name(*region), name(*target)),
        ),
        Obs::RunbookStep { step, start: true } => (vec![], format!("runbook: {}", step.name())),
        Obs::LeaseLapsed { region } => {
            (vec![*region], format!("{}'s lease runs out on its own clock", name(*region)))
        }
        Obs::RoutingChanged { region, writer, epoch } => (
            vec![*region, *writer],
            format!(
                "router in {} now sends writes to {} (epoch {epoch})",
                name(*region),
                name(*writer)
            ),
        ),
        Obs::Discarded { region, entries, .. } => (
            vec![*region],
            format!(
                "{} discards {} divergent log entries on rejoining",
                name(*region),
                entries.len()
            ),
        ),
        _ => return None,
    };
    Some(Notable { at: w.now, regions, text })
}

fn fault_regions(k: &FaultKind) -> Vec<RegionId> {
    match k {
        FaultKind::RegionOutage { region }
        | FaultKind::ReplicationStall { region, .. }
        | FaultKind::ClockSkew { region, .. }
        | FaultKind::OperatorPromote { region, .. }
        | FaultKind::WorkerCrash { region }
        | FaultKind::QueueReplay { region, .. }
        | FaultKind::DuplicateDelivery { region, .. }
        | FaultKind::PoisonMessage { region }
        | FaultKind::RegionBrownout { region, .. } => vec![*region],
        FaultKind::TrafficSurge { region, .. } => region.iter().copied().collect(),
        FaultKind::PoisonCustomer { .. }
        | FaultKind::ControlPlaneOutage
        | FaultKind::IdentityOutage => vec![],
        // A partition or a slow link concerns everyone: it changes who can talk to whom.
        FaultKind::Partition { .. }
        | FaultKind::LinkLatency { .. }
        | FaultKind::PacketLoss { .. } => {
            vec![]
        }
    }
}

/// One line describing a fault, with region names.
pub fn describe_fault(k: &FaultKind, w: &World) -> String {
    let names =
        |rs: &[RegionId]| rs.iter().map(|r| w.s.region_name(*r)).collect::<Vec<_>>().join(", ");
    match k {
        FaultKind::RegionOutage { region } => w.s.region_name(*region).to_string(),
        FaultKind::Partition { from, to, one_way } => {
            format!("[{}] {} [{}]", names(from), if *one_way { "-/->" } else { "<-/->" }, names(to))
        }
        FaultKind::LinkLatency { from, to, factor, .. } => {
            format!("[{}] <-> [{}] x{factor}", names(from), names(to))
        }
        FaultKind::PacketLoss { from, to, loss, one_way } => {
            let arrow = if *one_way { "->" } else { "<->" };
            format!(
                "[{}] {arrow} [{}] lose {:.0}% of messages",
                names(from),
                names(to),
                loss * 100.0
            )
        }
        FaultKind::ReplicationStall { region, apply_factor } => {
            format!("{} applies at x{apply_factor}", w.s.region_name(*region))
        }
        FaultKind::ClockSkew { region, offset_us, drift_ppm } => {
            format!(
                "{} clock jumps {:+} ms, drifts {:+} ppm",
                w.s.region_name(*region),
                *offset_us as f64 / 1e3,
                drift_ppm
            )
        }
        FaultKind::OperatorPromote { region, fenced } => {
            format!(
                "operator promotes {} ({})",
                w.s.region_name(*region),
                if *fenced { "fenced" } else { "unfenced" }
            )
        }
        FaultKind::WorkerCrash { region } => format!("{}'s workers", w.s.region_name(*region)),
        FaultKind::QueueReplay { region, events, to } => match (events, to) {
            (Some(n), _) => format!("{}'s consumer rewinds {n} events", w.s.region_name(*region)),
            (None, Some(t)) => format!("{}'s consumer rewinds to {t}", w.s.region_name(*region)),
            (None, None) => w.s.region_name(*region).to_string(),
        },
        FaultKind::DuplicateDelivery { region, probability } => {
            format!(
                "{} delivers {:.0}% of events twice",
                w.s.region_name(*region),
                probability * 100.0
            )
        }
        FaultKind::PoisonMessage { region } => {
            format!("the next event {}'s workers take fails", w.s.region_name(*region))
        }
        FaultKind::RegionBrownout { region, latency_factor, capacity_factor, error_rate, ramp } => {
            format!(
                "{} service x{latency_factor}, servers x{capacity_factor}, errors {:.0}%{}",
                w.s.region_name(*region),
                error_rate * 100.0,
                if *ramp > crate::engine::SimDuration::ZERO {
                    format!(", ramping over {ramp}")
                } else {
                    String::new()
                }
            )
        }
        FaultKind::TrafficSurge { region, factor } => match region {
            Some(r) => format!("{} clients x{factor}", w.s.region_name(*r)),
            None => format!("all clients x{factor}"),
        },
        FaultKind::PoisonCustomer { customer } => {
            format!("customer {customer}'s requests crash their server")
        }
        FaultKind::ControlPlaneOutage => {
            format!("the control plane in {}", w.s.region_name(w.s.design.control_region))
        }
        FaultKind::IdentityOutage => "the identity service".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::types::{Discarded, Version};
    use crate::scenario::StepKind;
    use std::sync::Arc;

    /// Every observation worth a place in a trail reads as one line that names its
    /// regions, and carries the regions it concerns: a trail keeps only the steps that
    /// share a region with the violation, or concern everyone (no regions).
    #[test]
    fn every_notable_observation_reads_as_a_trail_line() {
        let s = crate::scenario::load("scenarios/gameday-naive.json").unwrap();
        let w = World::new(Arc::new(s), 0);
        let (a, b) = (RegionId(0), RegionId(1));
        let gone = Discarded { version: Version { epoch: 1, lsn: 7 }, commit_at: SimTime(5) };
        let cases = [
            Obs::FaultStarted { index: 0 },
            Obs::FaultEnded { index: 0 },
            Obs::EpochGranted {
                epoch: 2,
                region: b,
                fenced: true,
                by_operator: false,
                detected_at: Some(SimTime(1_500_000)),
            },
            Obs::EpochGranted {
                epoch: 3,
                region: a,
                fenced: false,
                by_operator: true,
                detected_at: None,
            },
            Obs::RoleChange { region: b, primary: true, epoch: 2 },
            Obs::RoleChange { region: a, primary: false, epoch: 2 },
            Obs::WorkersStart { region: b, from: 40, paused: true },
            Obs::WorkersStart { region: b, from: 41, paused: false },
            Obs::Quarantined { region: b, events: 12 },
            Obs::DeadLettered { region: b, op_key: 99 },
            Obs::Guard { region: a, target: b, guard: "circuit breaker", state: "open" },
            Obs::RunbookStep { step: StepKind::QuarantineQueues, start: true },
            Obs::RunbookStep { step: StepKind::QuarantineQueues, start: false },
            Obs::LeaseLapsed { region: a },
            Obs::RoutingChanged { region: a, writer: b, epoch: 2 },
            Obs::Discarded { region: a, entries: vec![gone, gone], survivor_commit_at: SimTime(1) },
            Obs::Effect { region: b, op_key: 3 },
        ];
        let lines: Vec<String> = cases
            .iter()
            .map(|o| match notable(o, &w) {
                Some(n) => {
                    let rs: Vec<&str> = n.regions.iter().map(|r| w.s.region_name(*r)).collect();
                    format!("[{}] {}", rs.join(" "), n.text)
                }
                None => "(not in trails)".to_string(),
            })
            .collect();
        insta::assert_snapshot!(lines.join("\n"));
    }
}
