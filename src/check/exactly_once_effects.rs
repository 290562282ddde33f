//! `exactly_once_effects`: each logical operation takes effect once.
//! - Writes: a retry that the datastore applies again (no idempotency key, or a record
//!   that had not replicated to the writer that got the retry) shows as a second commit
//!   of the same operation in the lineage that survives.
//! - External effects: the outside world must see each operation's effect at most once
//!   (a replayed or doubly delivered event without a worker record charges twice), and
//!   every acknowledged operation whose write survived must have had its effect once
//!   the system drains (a dead-lettered or quarantined-and-forgotten event has not).

use super::{Details, Finding, Invariant, View};
use crate::engine::{SimDuration, SimTime};
use crate::model::obs::Obs;
use crate::model::types::WriteId;
use crate::scenario::{RegionId, Scenario};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Slack beyond the retry horizon before a first commit is forgotten: a request can sit
/// on a slow link after its client gave up.
const LATE_DELIVERY_SLACK: SimDuration = SimDuration::from_secs(60);

/// How long an effect is remembered to recognise a second one for the same operation.
const EFFECT_WINDOW: SimDuration = SimDuration::from_secs(120);

/// Double applications awaiting confirmation; past this many, more are not tracked.
const SUSPECTS_MAX: usize = 100_000;

/// A second commit of an operation in a lineage that already held the first.
struct Suspect {
    at: SimTime,
    op_key: u64,
    region: RegionId,
    first: (RegionId, WriteId, SimTime),
    again: WriteId,
    /// When the client gave up on the first attempt, if it timed out.
    gave_up: Option<SimTime>,
}

pub struct ExactlyOnceEffects {
    suspects: Vec<Suspect>,
    first: BTreeMap<u64, (RegionId, WriteId, SimTime)>,
    /// For operations in `first`: when the client timed out on the committed attempt.
    timed_out: BTreeMap<u64, SimTime>,
    fifo: VecDeque<(SimTime, u64)>,
    window: SimDuration,
    duplicates: u64,
    /// The first confirmed duplicates, for the reconciliation report.
    examples: Vec<DuplicateWrite>,
    /// Effects seen in the outside world, by operation, within `EFFECT_WINDOW`.
    effects: BTreeMap<u64, RegionId>,
    effects_fifo: VecDeque<(SimTime, u64)>,
    /// Acknowledged effectful operations whose effect has not been seen yet.
    owed: BTreeMap<u64, WriteId>,
    /// Effectful operations that ended without an acknowledgement, within the window.
    unacked: BTreeMap<u64, SimTime>,
    unacked_fifo: VecDeque<(SimTime, u64)>,
    duplicate_effects: u64,
    missing_effects: u64,
    effects_without_ack: u64,
    dead_lettered: u64,
    quarantined: u64,
    effect_examples: Vec<DuplicateEffect>,
    /// The design performs external effects at all.
    side_effects: bool,
}

/// What `exactly_once_effects` reports: writes applied twice, effects performed twice
/// or never, and what the workers set aside.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExactlyOnceEffectsDetails {
    pub dead_lettered: u64,
    pub duplicate_effects: u64,
    pub duplicate_writes: u64,
    pub effect_examples: Vec<DuplicateEffect>,
    pub effects_without_ack: u64,
    pub examples: Vec<DuplicateWrite>,
    pub missing_effects: u64,
    pub quarantined_events: u64,
}

/// An operation committed twice in the lineage that survives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DuplicateWrite {
    pub again: RepeatedAttempt,
    pub first: CommittedAttempt,
    pub operation: u64,
}

/// The attempt whose commit came first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommittedAttempt {
    pub attempt: u32,
    pub region: String,
}

/// The attempt committed again, and when.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RepeatedAttempt {
    pub at_s: f64,
    pub attempt: u32,
    pub region: String,
}

/// An operation whose external effect the outside world saw twice.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DuplicateEffect {
    pub again_region: String,
    pub at_s: f64,
    pub first_region: String,
    pub operation: u64,
}

/// Duplicates listed by name in the reconciliation report (all are counted).
const EXAMPLES_MAX: usize = 100;

impl ExactlyOnceEffects {
    pub fn new(scenario: &Scenario) -> Self {
        let workload = &scenario.workload;
        let horizon = (workload.timeout + workload.backoff_max).times(u64::from(workload.attempts));
        ExactlyOnceEffects {
            suspects: Vec::new(),
            first: BTreeMap::new(),
            timed_out: BTreeMap::new(),
            fifo: VecDeque::new(),
            window: horizon + LATE_DELIVERY_SLACK,
            duplicates: 0,
            examples: Vec::new(),
            effects: BTreeMap::new(),
            effects_fifo: VecDeque::new(),
            owed: BTreeMap::new(),
            unacked: BTreeMap::new(),
            unacked_fifo: VecDeque::new(),
            duplicate_effects: 0,
            missing_effects: 0,
            effects_without_ack: 0,
            dead_lettered: 0,
            quarantined: 0,
            effect_examples: Vec::new(),
            side_effects: scenario.design.stream.side_effects,
        }
    }
}

impl ExactlyOnceEffects {
    /// What the summary reports, as it stands.
    pub fn figures(&self) -> ExactlyOnceEffectsDetails {
        ExactlyOnceEffectsDetails {
            duplicate_writes: self.duplicates,
            examples: self.examples.clone(),
            duplicate_effects: self.duplicate_effects,
            missing_effects: self.missing_effects,
            effects_without_ack: self.effects_without_ack,
            dead_lettered: self.dead_lettered,
            quarantined_events: self.quarantined,
            effect_examples: self.effect_examples.clone(),
        }
    }

    fn note_unacked(&mut self, op_key: u64, now: SimTime) {
        while self.unacked_fifo.front().is_some_and(|(t, _)| now.since(*t) > EFFECT_WINDOW) {
            let (_, k) = self.unacked_fifo.pop_front().expect("non-empty");
            self.unacked.remove(&k);
        }
        if self.unacked.insert(op_key, now).is_none() {
            self.unacked_fifo.push_back((now, op_key));
        }
    }

    fn effect(&mut self, region: RegionId, op_key: u64, view: &View, found: &mut Vec<Finding>) {
        while self.effects_fifo.front().is_some_and(|(t, _)| view.at.since(*t) > EFFECT_WINDOW) {
            let (_, k) = self.effects_fifo.pop_front().expect("non-empty");
            self.effects.remove(&k);
        }
        if self.unacked.contains_key(&op_key) {
            self.effects_without_ack += 1;
        }
        self.owed.remove(&op_key);
        if let Some(first) = self.effects.get(&op_key) {
            self.duplicate_effects += 1;
            if self.effect_examples.len() < EXAMPLES_MAX {
                self.effect_examples.push(DuplicateEffect {
                    operation: op_key,
                    first_region: view.region_name(*first).to_string(),
                    again_region: view.region_name(region).to_string(),
                    at_s: view.at.as_secs_f64(),
                });
            }
            found.push(Finding {
                at: view.at,
                what: format!(
                    "operation #{op_key}'s external effect happens twice: first by {}'s workers, again by {}'s",
                    view.region_name(*first),
                    view.region_name(region)
                ),
                regions: vec![region, *first],
            });
            return;
        }
        self.effects.insert(op_key, region);
        self.effects_fifo.push_back((view.at, op_key));
    }

    /// A client timed out on an attempt whose write had committed: the retry that may
    /// follow is how a write can apply twice.
    fn timed_out(&mut self, op_key: u64, attempt: u32, at: SimTime) {
        if self.first.get(&op_key).is_some_and(|f| f.1.attempt() == attempt) {
            self.timed_out.insert(op_key, at);
        }
    }

    fn confirm(&mut self, s: &Suspect, view: &View, found: &mut Vec<Finding>) {
        self.duplicates += 1;
        let (r0, w0, t0) = s.first;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(DuplicateWrite {
                operation: s.op_key,
                first: CommittedAttempt {
                    region: view.region_name(r0).to_string(),
                    attempt: w0.attempt(),
                },
                again: RepeatedAttempt {
                    region: view.region_name(s.region).to_string(),
                    attempt: s.again.attempt(),
                    at_s: s.at.as_secs_f64(),
                },
            });
        }
        found.push(Finding {
            at: s.at,
            what: format!(
                "operation #{} took effect twice: attempt {} committed in {} at {}{}; attempt {} committed again in {} at {}, which already held the first",
                s.op_key,
                w0.attempt(),
                view.region_name(r0),
                t0,
                s.gave_up.map_or(String::new(), |t| format!(
                    ", but its client heard no answer within its {} ms timeout, gave up on it at {t} and retried",
                    view.scenario.workload.timeout.as_ms_f64()
                )),
                s.again.attempt(),
                view.region_name(s.region),
                s.at
            ),
            regions: vec![s.region, r0],
        });
    }
}

impl ExactlyOnceEffects {
    fn commit(&mut self, obs: &Obs, view: &View) {
        let Obs::Commit { region, entry, .. } = obs else { return };
        let again = entry.write();
        if again.is_none() {
            return;
        }
        while self.fifo.front().is_some_and(|(t, _)| view.at.since(*t) > self.window) {
            let (_, k) = self.fifo.pop_front().expect("non-empty");
            self.first.remove(&k);
            self.timed_out.remove(&k);
        }
        match self.first.get(&entry.op_key) {
            // Another attempt of the operation commits where the first is already held.
            Some(&(r0, w0, t0)) if w0 != again && view.ledger.held(*region, w0) => {
                if self.suspects.len() < SUSPECTS_MAX {
                    self.suspects.push(Suspect {
                        at: view.at,
                        op_key: entry.op_key,
                        region: *region,
                        first: (r0, w0, t0),
                        again,
                        gave_up: self.timed_out.get(&entry.op_key).copied(),
                    });
                }
            }
            Some(_) => {}
            None => {
                self.first.insert(entry.op_key, (*region, again, view.at));
                self.fifo.push_back((view.at, entry.op_key));
            }
        }
    }
}

impl Invariant for ExactlyOnceEffects {
    fn id(&self) -> &'static str {
        "exactly_once_effects"
    }
    fn causes(&self) -> &'static [super::trail::Cause] {
        use super::trail::Cause;
        Cause::ALL
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        match obs {
            Obs::Commit { .. } => self.commit(obs, view),
            Obs::TimedOut { op_key, attempt, .. } => self.timed_out(*op_key, *attempt, view.at),
            Obs::Effect { region, op_key } => self.effect(*region, *op_key, view, found),
            Obs::Complete { kind, write, op_key, .. } if self.side_effects && kind.has_effect() => {
                match write {
                    Some(w) if !self.effects.contains_key(op_key) => {
                        self.owed.insert(*op_key, *w);
                    }
                    Some(_) => {}
                    None => self.note_unacked(*op_key, view.at),
                }
            }
            Obs::Indeterminate { kind, op_key, .. } if kind.has_effect() => {
                self.note_unacked(*op_key, view.at)
            }
            Obs::DeadLettered { .. } => self.dead_lettered += 1,
            Obs::Quarantined { events, .. } => self.quarantined += events,
            _ => {}
        }
    }

    /// A double application counts once it can no longer be undone: every store holds
    /// both entries. One that a discarded lineage held is dropped.
    fn sample(&mut self, view: &View, found: &mut Vec<Finding>) {
        let ledger = view.ledger;
        let everywhere = |w: WriteId| ledger.track(w).is_none() && ledger.gone_at(w).is_none();
        let mut kept = Vec::with_capacity(self.suspects.len());
        for s in std::mem::take(&mut self.suspects) {
            if everywhere(s.first.1) && everywhere(s.again) {
                self.confirm(&s, view, found);
            } else if ledger.held(s.region, s.again) {
                kept.push(s);
            }
        }
        self.suspects = kept;
    }

    fn finish(&mut self, view: &View, found: &mut Vec<Finding>) {
        let writer = view.probe.named_writer();
        let held = |w: WriteId| view.ledger.held(writer, w);
        for (op_key, w) in std::mem::take(&mut self.owed) {
            if !held(w) {
                continue;
            }
            self.missing_effects += 1;
            found.push(Finding {
                at: view.at,
                what: format!(
                    "acknowledged operation #{op_key} (write {w}) never had its external effect, though the system drained"
                ),
                regions: view.scenario.region_ids().collect(),
            });
        }
        for s in std::mem::take(&mut self.suspects) {
            if held(s.first.1) && held(s.again) {
                self.confirm(&s, view, found);
            }
        }
    }

    fn details(&self) -> Option<Details> {
        Some(self.figures().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::Harness;
    use crate::model::store::Journaled;
    use crate::model::types::OpId;
    use crate::scenario::OpKind;

    /// A second external effect of one operation is a duplicate while the first is
    /// remembered (`EFFECT_WINDOW`); the memory of effects stays bounded by that window
    /// however long the run.
    #[test]
    fn effects_are_remembered_for_a_window_and_no_longer() {
        let mut h = Harness::new("scenarios/queue-replay-failover.json");
        let mut c = ExactlyOnceEffects::new(&h.scenario.clone());
        let (a, b) = (RegionId(0), RegionId(1));
        for sec in 0..600u64 {
            h.at = SimTime::ZERO + SimDuration::from_secs(sec);
            h.feed(&mut c, &Obs::Effect { region: a, op_key: 1_000 + sec });
        }
        assert!(h.found.is_empty());
        assert!(c.effects.len() <= 121, "{} effects remembered", c.effects.len());
        // Within the window a repeat is a duplicate, naming both regions...
        h.feed(&mut c, &Obs::Effect { region: b, op_key: 1_000 + 599 - 100 });
        assert_eq!(h.found.len(), 1);
        assert_eq!(h.found[0].regions, vec![b, a]);
        // ...and past it, forgotten.
        h.feed(&mut c, &Obs::Effect { region: b, op_key: 1_000 + 599 - 200 });
        assert_eq!(h.found.len(), 1);
        assert_eq!(c.figures().duplicate_effects, 1, "{:?}", c.figures());
    }

    fn acked(op_key: u64, writer: RegionId) -> Obs {
        Obs::Complete {
            op: OpId { slot: 0, gen: 0 },
            kind: OpKind::AccountTransfer,
            region: writer,
            ok: true,
            version: None,
            write: Some(WriteId::new(op_key, 1)),
            delta: 0,
            invoked_at: SimTime::ZERO,
            attempts: 1,
            op_key,
            key: 0,
            session: 0,
            read: None,
        }
    }

    /// An acknowledged effectful operation whose write survived must have had its
    /// effect by the end; one whose effect came (before or after the acknowledgement),
    /// or whose write the final writer does not hold, is not owed. Dead-lettered and
    /// quarantined events are counted.
    #[test]
    fn acknowledged_effects_are_owed_until_they_happen() {
        let mut h = Harness::new("scenarios/queue-replay-failover.json");
        assert!(h.scenario.design.stream.side_effects);
        let writer = h.scenario.primary();
        let other = h.scenario.region_ids().find(|r| *r != writer).expect("two regions");
        // Operations 1 to 3 are held by the writer; operation 4's write was held by the
        // writer alone, until a snapshot of another store (without it) replaced it.
        for op in 1..=4 {
            h.probe.journal.push(writer, Journaled::Held(WriteId::new(op, 1)));
        }
        h.probe.journal.push(writer, Journaled::Replaced { from: other, upto: 0 });
        for op in 1..=3 {
            h.probe.journal.push(writer, Journaled::Held(WriteId::new(op, 1)));
        }
        let mut c = ExactlyOnceEffects::new(&h.scenario.clone());
        let effect = |op_key| Obs::Effect { region: writer, op_key };
        for o in [
            acked(1, writer), // never has its effect
            effect(2),        // effect first...
            acked(2, writer), // ...then the acknowledgement
            acked(3, writer), // acknowledgement first...
            effect(3),        // ...then the effect
            acked(4, writer), // a write the final writer does not hold
            Obs::DeadLettered { region: writer, op_key: 5 },
            Obs::Quarantined { region: writer, events: 7 },
        ] {
            h.feed(&mut c, &o);
        }
        assert!(h.found.is_empty());
        h.finish(&mut c);
        let what = h.what();
        assert_eq!(what.len(), 1, "{what:?}");
        assert!(what[0].starts_with("acknowledged operation #1 (write #1 attempt 1) never had"));
        let d = c.figures();
        assert_eq!((d.missing_effects, d.dead_lettered, d.quarantined_events), (1, 1, 7));
    }
}
