//! Trails: the notable events (faults, decisions about who writes and where writes go,
//! what the log lost or threw away, what workers and guards did) remembered as they
//! happen, and the causal trail cut from them for a violation: the faults that led to
//! it first, then the most recent events of the kinds its invariant can be caused by,
//! in the regions it concerns.

use super::describe_fault;
use crate::engine::SimTime;
use crate::model::obs::{Grantor, Obs};
use crate::scenario::{FaultKind, RegionId, Scenario};

/// What kind of cause a notable event is: an invariant names the kinds that can lead
/// to its violations, and its trails keep only those (faults always).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A fault starts or heals.
    Fault,
    /// Who writes: promotions, role changes, leases, routing, runbook steps.
    Writer,
    /// What the log lost or threw away, or acknowledged without replicas.
    Log,
    /// The workers that perform side effects.
    Workers,
    /// Client-side guards (breakers, hedging, load shedding).
    Guard,
}

impl Cause {
    pub const ALL: &'static [Cause] =
        &[Cause::Fault, Cause::Writer, Cause::Log, Cause::Workers, Cause::Guard];
    /// What most invariants about data can be caused by.
    pub const DATA: &'static [Cause] = &[Cause::Fault, Cause::Writer, Cause::Log];
}

/// Notable events shown in one trail, before the offending one.
const TRAIL_SHOWN_MAX: usize = 8;
/// Of those, fault lines at most.
const TRAIL_FAULTS_MAX: usize = 4;

/// The trail of finding `f`: the faults that had started by then (the most recent
/// first to go), then the most recent events of the kinds `causes` names that concern
/// the finding's regions (or everyone), in time order.
pub fn causal(
    faults: &[Notable],
    recent: &std::collections::VecDeque<Notable>,
    causes: &[Cause],
    f: &super::Finding,
) -> Vec<super::TrailStep> {
    let concerns =
        |n: &Notable| n.regions.is_empty() || n.regions.iter().any(|r| f.regions.contains(r));
    let before: Vec<&Notable> = faults.iter().filter(|n| n.at <= f.at).collect();
    let mut shown: Vec<&Notable> = before[before.len().saturating_sub(TRAIL_FAULTS_MAX)..].to_vec();
    let others: Vec<&Notable> = recent
        .iter()
        .filter(|n| n.at <= f.at && causes.contains(&n.cause) && concerns(n))
        .collect();
    let room = TRAIL_SHOWN_MAX - shown.len();
    shown.extend(&others[others.len().saturating_sub(room)..]);
    shown.sort_by_key(|n| n.at);
    shown
        .into_iter()
        .map(|n| super::TrailStep { at_us: n.at.as_us(), event: n.text.clone() })
        .collect()
}

/// A notable event, remembered for trails.
pub struct Notable {
    pub at: SimTime,
    pub regions: Vec<RegionId>,
    pub text: String,
    pub cause: Cause,
}

/// Describes the observations worth a place in a trail: faults and changes of who
/// writes, who routes where, and what was thrown away.
/// A primary's async fallback starting or ending, for the trail.
fn fallback_text(obs: &Obs, region: &str) -> String {
    match obs {
        Obs::SyncFallback { on: true, waited, released, .. } => format!(
            "{region} stops waiting for its synchronous replicas after {:.0} ms and acknowledges {released} waiting writes, and every new one, without them (async fallback)",
            waited.as_ms_f64()
        ),
        _ => format!("{region}'s replicas caught up: it waits for them again"),
    }
}

/// A replica's crash taking its unflushed tail, for the trail.
fn tail_text(region: &str, entries: u64) -> String {
    format!(
        "{region} crashes and loses the last {entries} log entries it had received but not yet flushed to disk"
    )
}

pub fn notable(obs: &Obs, at: SimTime, scenario: &Scenario) -> Option<Notable> {
    let name = |r: RegionId| scenario.region_name(r).to_string();
    let (regions, text) = match obs {
        Obs::FaultStarted { index } | Obs::FaultEnded { index } => {
            fault_line(*index, matches!(obs, Obs::FaultStarted { .. }), scenario)?
        }
        Obs::EpochGranted { .. } => (vec![], grant_text(obs, scenario)?),
        Obs::RoleChange { region, primary, epoch } => {
            let what = if *primary { "becomes primary" } else { "steps down" };
            (vec![*region], format!("{} {what} (epoch {epoch})", name(*region)))
        }
        // The workers' first start at the beginning of the log causes nothing.
        Obs::WorkersStart { from: 0, paused: false, .. } => return None,
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
        Obs::Guard { region, target, state } => (
            vec![*region, *target],
            format!(
                "{}'s {} for {} turns {}",
                name(*region),
                state.guard(),
                name(*target),
                state.name()
            ),
        ),
        Obs::RunbookStep { step, start: true } => (vec![], format!("runbook: {}", step.name())),
        Obs::SyncFallback { region, .. } => (vec![*region], fallback_text(obs, &name(*region))),
        // Everyone's business: the writes it lost may be lost for good elsewhere.
        Obs::TailLost { region, entries } => (vec![], tail_text(&name(*region), *entries)),
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
    Some(Notable { at, regions, text, cause: cause_of(obs) })
}

/// A fault starting or healing, for the trail (an operator's promotion is notable by
/// the promotion it causes).
fn fault_line(index: usize, start: bool, scenario: &Scenario) -> Option<(Vec<RegionId>, String)> {
    let f = &scenario.faults[index];
    if matches!(f.kind, FaultKind::OperatorPromote(_)) {
        return None;
    }
    let verb = if start { "starts" } else { "heals" };
    let text = format!("fault {} ({}) {verb}", f.kind.name(), describe_fault(&f.kind, scenario));
    Some((f.kind.regions(), text))
}

/// The kind of cause a notable observation is.
fn cause_of(obs: &Obs) -> Cause {
    match obs {
        Obs::FaultStarted { .. } | Obs::FaultEnded { .. } => Cause::Fault,
        Obs::WorkersStart { .. } | Obs::Quarantined { .. } | Obs::DeadLettered { .. } => {
            Cause::Workers
        }
        Obs::Guard { .. } => Cause::Guard,
        Obs::SyncFallback { .. } | Obs::TailLost { .. } | Obs::Discarded { .. } => Cause::Log,
        _ => Cause::Writer,
    }
}

/// A promotion in words: who granted which epoch to whom, fenced or not, and why.
fn grant_text(obs: &Obs, scenario: &Scenario) -> Option<String> {
    let Obs::EpochGranted { epoch, region, fenced, by, detected_at } = obs else {
        return None;
    };
    let name = scenario.region_name(*region);
    let how = if *fenced { "fenced" } else { "unfenced" };
    let why = detected_at.map_or(String::new(), |t| format!("; failure detected at {t}"));
    Some(match by {
        Grantor::EmergencySuccessor => format!(
            "{name} promotes itself to writer at epoch {epoch}, as the emergency successor ({how}; it heard neither the control plane nor the writer)"
        ),
        Grantor::Election => format!("{name} is elected leader for term {epoch} by a majority of voters{why}"),
        _ => format!("{} promotes {name} to writer at epoch {epoch} ({how}{why})", by.name()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::obs::Discarded;
    use crate::model::obs::{BreakerPhase, GuardState};
    use crate::model::types::{Version, WriteId};
    use crate::scenario::StepKind;

    /// Every observation worth a place in a trail reads as one line that names its
    /// regions, and carries the regions it concerns: a trail keeps only the steps that
    /// share a region with the violation, or concern everyone (no regions).
    #[test]
    fn every_notable_observation_reads_as_a_trail_line() {
        let s = crate::scenario::load("scenarios/gameday-naive.json").unwrap();
        let (a, b) = (RegionId(0), RegionId(1));
        let gone = Discarded {
            version: Version { epoch: 1, lsn: 7 },
            write: WriteId::new(7, 1),
            commit_at: SimTime(5),
        };
        let cases = [
            Obs::FaultStarted { index: 0 },
            Obs::FaultEnded { index: 0 },
            Obs::EpochGranted {
                epoch: 2,
                region: b,
                fenced: true,
                by: Grantor::ControlPlane,
                detected_at: Some(SimTime(1_500_000)),
            },
            Obs::EpochGranted {
                epoch: 3,
                region: a,
                fenced: false,
                by: Grantor::Operator,
                detected_at: None,
            },
            Obs::EpochGranted {
                epoch: 3,
                region: b,
                fenced: true,
                by: Grantor::EmergencySuccessor,
                detected_at: Some(SimTime(2_000_000)),
            },
            Obs::RoleChange { region: b, primary: true, epoch: 2 },
            Obs::RoleChange { region: a, primary: false, epoch: 2 },
            Obs::WorkersStart { region: b, from: 40, paused: true },
            Obs::WorkersStart { region: b, from: 41, paused: false },
            Obs::Quarantined { region: b, events: 12 },
            Obs::DeadLettered { region: b, op_key: 99 },
            Obs::Guard { region: a, target: b, state: GuardState::Breaker(BreakerPhase::Open) },
            Obs::RunbookStep { step: StepKind::QuarantineQueues, start: true },
            Obs::RunbookStep { step: StepKind::QuarantineQueues, start: false },
            Obs::LeaseLapsed { region: a },
            Obs::SyncFallback {
                region: a,
                on: true,
                waited: crate::engine::SimDuration::from_ms(5000),
                released: 12,
            },
            Obs::SyncFallback {
                region: a,
                on: false,
                waited: crate::engine::SimDuration::ZERO,
                released: 0,
            },
            Obs::TailLost { region: b, entries: 7 },
            Obs::RoutingChanged { region: a, writer: b, epoch: 2 },
            Obs::Discarded { region: a, entries: vec![gone, gone], survivor_commit_at: SimTime(1) },
            Obs::Effect { region: b, op_key: 3 },
        ];
        insta::assert_snapshot!(trail_lines(&cases, &s));
    }

    fn trail_lines(cases: &[Obs], s: &Scenario) -> String {
        let line = |o: &Obs| match notable(o, SimTime::ZERO, s) {
            Some(n) => {
                let rs: Vec<&str> = n.regions.iter().map(|r| s.region_name(*r)).collect();
                format!("[{}] {}", rs.join(" "), n.text)
            }
            None => "(not in trails)".to_string(),
        };
        cases.iter().map(line).collect::<Vec<_>>().join("\n")
    }
}
