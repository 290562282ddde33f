//! Invariant checkers. Each sees every observation the model produces, right after the
//! event that produced it, through a declared boundary (`View`): the observation and
//! its time, a narrow read-only `Probe` of the world, and the `Ledger` of writes known
//! by identity. None can change the world, and none identifies a write by the model's
//! own labels. Each invariant lives in its own file, keeps incremental state (no
//! rescans of history), and reports its first violation with a trail: the recent
//! notable events that led to it.

mod acked_durability;
mod append_integrity;
pub mod details;
mod domain;
mod exactly_once_effects;
mod fenced_writes;
pub mod freshness;
mod linearizable;
mod no_lost_update;
mod recovery;
mod session;
mod single_writer;

pub mod advice;
pub mod ledger;
pub mod linearizability;
pub mod probe;
pub mod register_history;
pub(crate) mod trail;

use crate::engine::SimTime;
use crate::model::obs::Obs;
use crate::scenario::{FaultKind, InvariantId, RegionId, Scenario};
pub use details::{details, Details, InvariantDetails};
use ledger::Ledger;
pub use linearizable::SEGMENT_OPS_MAX;
use probe::Probe;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;
use trail::{notable, Cause, Notable};

/// Notable events remembered for trails.
const TRAIL_RECENT_MAX: usize = 64;

/// A violation as a checker reports it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub at: SimTime,
    pub what: String,
    /// Regions involved: the trail keeps notable events that concern them.
    pub regions: Vec<RegionId>,
}

/// What a checker may see besides the observation itself: the time, the scenario, a
/// read-only probe of the world and the ledger of writes.
pub struct View<'a> {
    pub at: SimTime,
    pub scenario: &'a Scenario,
    pub probe: &'a dyn Probe,
    pub ledger: &'a Ledger,
    /// At the end of the run: when the liveness phase converged (`None`: it did not).
    pub converged_at: Option<SimTime>,
}

impl View<'_> {
    pub fn region_name(&self, r: RegionId) -> &str {
        self.scenario.region_name(r)
    }

    /// How a finding calls an operation of `kind`: the workload's label for it, else
    /// `word` (the checker's own plain word, as "read" or "check").
    pub fn op_word<'w>(&'w self, kind: crate::scenario::OpKind, word: &'w str) -> &'w str {
        self.scenario.workload.labels[kind.idx()].as_deref().unwrap_or(word)
    }
}

/// One invariant. `observe` runs after every event, once per observation.
pub trait Invariant {
    fn id(&self) -> &'static str;
    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>);
    /// Periodic upkeep (every sample tick), for bounded memory.
    fn sample(&mut self, _view: &View, _found: &mut Vec<Finding>) {}
    /// Checks that need the converged end state.
    fn finish(&mut self, _view: &View, _found: &mut Vec<Finding>) {}
    /// Figures beyond held/violated (RPO, staleness...), for the summary.
    fn details(&self) -> Option<Details> {
        None
    }
    /// The checker ran out of budget: it found nothing, but cannot vouch either.
    fn undecided(&self) -> bool {
        false
    }
    /// The kinds of notable event that can lead to its violations: its trails keep
    /// those (and the faults).
    fn causes(&self) -> &'static [Cause] {
        Cause::DATA
    }
    /// The most items it held at once in a structure that must not grow with simulated
    /// time (0 where there is none), for tests that hold it to its bound.
    fn held_max(&self) -> usize {
        0
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TrailStep {
    pub at_us: u64,
    pub event: String,
}

/// An invariant's verdict on the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Held,
    Violated,
    /// The checker ran out of budget: it found nothing, but cannot vouch either.
    Unknown,
}

impl Status {
    /// The word summary.json and the reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Held => "held",
            Status::Violated => "violated",
            Status::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct InvariantReport {
    pub id: &'static str,
    pub status: Status,
    pub first_at_us: Option<u64>,
    pub count: u64,
    pub trail: Vec<TrailStep>,
    /// When violated: the change to the design that would prevent it, if there is one
    /// (see `advice`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prevention: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
}

struct Slot {
    inv: Box<dyn Invariant>,
    first: Option<(SimTime, Vec<TrailStep>)>,
    count: u64,
}

/// All checkers of a run, the ledger they share, and the memory of notable events that
/// trails are cut from.
pub struct Checkers {
    scenario: Arc<Scenario>,
    slots: Vec<Slot>,
    ledger: Ledger,
    recent: VecDeque<Notable>,
    /// Every fault start and heal so far (a drill has a bounded number of faults).
    faults: Vec<Notable>,
    found: Vec<Finding>,
}

/// The checker for one invariant.
fn checker(id: InvariantId, scenario: &Arc<Scenario>) -> Box<dyn Invariant> {
    let checker: Box<dyn Invariant> = match id {
        InvariantId::SingleWriter => Box::new(single_writer::SingleWriter::new(scenario)),
        InvariantId::FencedWrites => Box::new(fenced_writes::FencedWrites::new(scenario)),
        InvariantId::AckedDurability => Box::new(acked_durability::AckedDurability::new(scenario)),
        InvariantId::Freshness => Box::new(freshness::Freshness::new(scenario)),
        InvariantId::Domain => Box::new(domain::Domain::new(scenario)),
        InvariantId::ExactlyOnceEffects => {
            Box::new(exactly_once_effects::ExactlyOnceEffects::new(scenario))
        }
        InvariantId::Session => Box::new(session::Session::default()),
        InvariantId::NoLostUpdate => Box::new(no_lost_update::NoLostUpdate::new(scenario)),
        InvariantId::Recovery => Box::new(recovery::Recovery::new(scenario)),
        InvariantId::Linearizable => Box::new(linearizable::Linearizable::new(scenario)),
        InvariantId::AppendIntegrity => Box::new(append_integrity::AppendIntegrity::new(scenario)),
    };
    assert_eq!(checker.id(), id.name(), "a checker reports under its own invariant's name");
    checker
}

impl Checkers {
    pub fn new(scenario: &Arc<Scenario>) -> Self {
        let invs = InvariantId::ALL.iter().map(|&id| checker(id, scenario));
        Checkers {
            scenario: scenario.clone(),
            slots: invs.map(|inv| Slot { inv, first: None, count: 0 }).collect(),
            ledger: Ledger::new(scenario),
            recent: VecDeque::new(),
            faults: Vec::new(),
            found: Vec::new(),
        }
    }

    /// After every event, before its observations: the ledger reads the journal.
    pub fn after_event(&mut self, at: SimTime, probe: &dyn Probe) {
        if self.ledger.follows_stores {
            self.ledger.catch_up(probe, at);
        }
    }

    pub fn observe(&mut self, at: SimTime, obs: &Obs, probe: &dyn Probe) {
        self.ledger.observe(at, obs);
        if let Some(n) = notable(obs, at, &self.scenario) {
            self.remember(n);
        }
        for i in 0..self.slots.len() {
            let view = View {
                at,
                scenario: &self.scenario,
                probe,
                ledger: &self.ledger,
                converged_at: None,
            };
            self.slots[i].inv.observe(obs, &view, &mut self.found);
            self.record(i);
        }
    }

    fn remember(&mut self, n: Notable) {
        if n.cause == Cause::Fault {
            self.faults.push(n);
            return;
        }
        // Runbook steps that start at the same instant read as one line.
        if let Some(last) = self.recent.back_mut() {
            if last.at == n.at
                && last.text.starts_with("runbook: ")
                && n.text.starts_with("runbook: ")
            {
                last.text.push_str(", ");
                last.text.push_str(&n.text["runbook: ".len()..]);
                return;
            }
        }
        if self.recent.len() == TRAIL_RECENT_MAX {
            self.recent.pop_front();
        }
        self.recent.push_back(n);
    }

    pub fn sample(&mut self, at: SimTime, probe: &dyn Probe) {
        for i in 0..self.slots.len() {
            let view = View {
                at,
                scenario: &self.scenario,
                probe,
                ledger: &self.ledger,
                converged_at: None,
            };
            self.slots[i].inv.sample(&view, &mut self.found);
            self.record(i);
        }
        self.ledger.clear_decided();
    }

    pub fn finish(&mut self, at: SimTime, probe: &dyn Probe, converged_at: Option<SimTime>) {
        self.after_event(at, probe);
        for i in 0..self.slots.len() {
            let view =
                View { at, scenario: &self.scenario, probe, ledger: &self.ledger, converged_at };
            self.slots[i].inv.finish(&view, &mut self.found);
            self.record(i);
        }
    }

    fn record(&mut self, i: usize) {
        if self.found.is_empty() {
            return;
        }
        let slot = &mut self.slots[i];
        slot.count += self.found.len() as u64;
        // A verdict can come after the fact (a stale read is known once the write it
        // missed survives): the first violation is the earliest, whenever it was found.
        // (Findings past the first few of a batch may leave their text out.)
        let described = self.found.iter().filter(|f| !f.what.is_empty());
        let f = described.min_by_key(|f| f.at).unwrap_or(&self.found[0]);
        if slot.first.as_ref().is_none_or(|(at, _)| f.at < *at) {
            let mut trail = trail::causal(&self.faults, &self.recent, slot.inv.causes(), f);
            trail.push(TrailStep { at_us: f.at.as_us(), event: f.what.clone() });
            slot.first = Some((f.at, trail));
        }
        self.found.clear();
    }

    /// What each checker, and the ledger, held at most at once (`Invariant::held_max`),
    /// by name.
    pub fn held_max(&self) -> Vec<(&'static str, usize)> {
        let mut out = vec![("ledger", self.ledger.held_max())];
        out.extend(self.slots.iter().map(|s| (s.inv.id(), s.inv.held_max())));
        out
    }

    pub fn reports(&self) -> Vec<InvariantReport> {
        self.slots
            .iter()
            .map(|s| InvariantReport {
                id: s.inv.id(),
                // A checker that ran out of budget found nothing, but cannot vouch either.
                status: if s.count > 0 {
                    Status::Violated
                } else if s.inv.undecided() {
                    Status::Unknown
                } else {
                    Status::Held
                },
                first_at_us: s.first.as_ref().map(|f| f.0.as_us()),
                count: s.count,
                trail: s.first.as_ref().map(|f| f.1.clone()).unwrap_or_default(),
                prevention: s.first.as_ref().and_then(|(_, trail)| {
                    let what = trail.last().map_or("", |t| t.event.as_str());
                    advice::prevention(s.inv.id(), &self.scenario, what)
                }),
                details: s.inv.details(),
            })
            .collect()
    }
}

/// A committed entry in words, by the write it carries out.
pub fn entry_text(e: &crate::model::types::Entry) -> String {
    match e.write() {
        w if w.is_none() => "a worker's record (consumer offset or effect record)".to_string(),
        w => format!("write {w}"),
    }
}

/// One line describing a fault, with region names.
pub fn describe_fault(k: &FaultKind, scenario: &Scenario) -> String {
    k.describe(&crate::fault::Names {
        regions: &scenario.regions,
        control_region: scenario.design.control_region,
    })
}

#[cfg(test)]
pub mod testkit_obs;

/// Drives one checker by hand, for unit tests: observations go through the ledger and
/// then to the checker, over a fake probe the test shapes.
#[cfg(test)]
pub mod testkit {
    use super::*;
    use probe::fake::FakeProbe;

    pub struct Harness {
        pub scenario: Arc<Scenario>,
        pub probe: FakeProbe,
        pub ledger: Ledger,
        pub at: SimTime,
        pub found: Vec<Finding>,
        pub converged_at: Option<SimTime>,
    }

    impl Harness {
        /// A harness over a bundled scenario, with a probe of its regions and keys.
        pub fn new(path: &str) -> Self {
            let s = Arc::new(crate::scenario::load(path).expect("a bundled scenario"));
            let mut probe = FakeProbe::new(s.regions.len(), s.workload.key_count() as usize);
            for r in s.region_ids() {
                for k in 0..s.workload.key_count() {
                    probe.values[r.idx()][k as usize] = s.workload.initial_value(k);
                }
            }
            probe.writer = s.primary().0;
            let ledger = Ledger::new(&s);
            Harness {
                scenario: s,
                probe,
                ledger,
                at: SimTime::ZERO,
                found: Vec::new(),
                converged_at: Some(SimTime::ZERO),
            }
        }

        fn view(&self) -> View<'_> {
            View {
                at: self.at,
                scenario: &self.scenario,
                probe: &self.probe,
                ledger: &self.ledger,
                converged_at: self.converged_at,
            }
        }

        /// One observation at the harness's time, as `Checkers` would deliver it.
        pub fn feed(&mut self, inv: &mut dyn Invariant, obs: &Obs) {
            if self.ledger.follows_stores {
                self.ledger.catch_up(&self.probe, self.at);
            }
            self.ledger.observe(self.at, obs);
            let view = self.view();
            let mut found = Vec::new();
            inv.observe(obs, &view, &mut found);
            self.found.extend(found);
        }

        pub fn sample(&mut self, inv: &mut dyn Invariant) {
            if self.ledger.follows_stores {
                self.ledger.catch_up(&self.probe, self.at);
            }
            let view = self.view();
            let mut found = Vec::new();
            inv.sample(&view, &mut found);
            self.found.extend(found);
            self.ledger.clear_decided();
        }

        pub fn finish(&mut self, inv: &mut dyn Invariant) {
            if self.ledger.follows_stores {
                self.ledger.catch_up(&self.probe, self.at);
            }
            let view = self.view();
            let mut found = Vec::new();
            inv.finish(&view, &mut found);
            self.found.extend(found);
        }

        pub fn what(&self) -> Vec<&str> {
            self.found.iter().map(|f| f.what.as_str()).collect()
        }
    }
}
