//! `acked_durability`: every acknowledged write is in the authoritative state after
//! convergence. Writes are known by identity (operation and attempt), and which stores
//! hold each one comes from the ledger, which reads the stores' journals, never their
//! log positions: so two lineages that agree on their labels but not on their content
//! cannot hide a loss. An acknowledged write is safe once every store has held it; it
//! is lost when no store holds it any more (a store discarded the last copy on
//! rejoining, or a snapshot replaced it), or when the writer at the end does not hold
//! it. When the design's runbook reconciles, a write no store holds waits until the end
//! to see whether the writer applied it again. RPO is reported as the count of lost
//! writes and their age: how much committed time each was ahead of what had survived.

use super::ledger::{Fate, Ledger};
use super::{Details, Finding, Invariant, View};
use crate::engine::SimTime;
use crate::model::obs::Obs;
use crate::model::types::WriteId;
use crate::scenario::{Scenario, StepKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// An acknowledged write not yet held by every store.
#[derive(Clone, Copy, Debug)]
struct Pending {
    acked_at: SimTime,
    /// Money the operation added (credits +, debits -), so losses can be priced.
    delta: i64,
}

/// An acknowledged write no store holds, waiting to be applied again by reconciliation.
struct Parked {
    delta: i64,
    age_us: u64,
    at: SimTime,
    how: String,
}

pub struct AckedDurability {
    /// Single-writer designs only: in active-active ones, a write that stops counting
    /// lost a conflict, which `no_lost_update` judges.
    applies: bool,
    pending: BTreeMap<WriteId, Pending>,
    parked: BTreeMap<WriteId, Parked>,
    reconciles: bool,
    lost: u64,
    /// The money the lost writes had moved into accounts (negative for debits).
    money_lost: i64,
    recovered: u64,
    rpo_us_max: u64,
    pending_max: usize,
    /// The first lost writes, for the reconciliation report.
    examples: Vec<LostWrite>,
}

/// What `acked_durability` reports: the acknowledged writes lost, the money they had
/// moved, those reconciliation applied again, and RPO.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AckedDurabilityDetails {
    pub examples: Vec<LostWrite>,
    pub lost_writes: u64,
    pub money_lost: i64,
    /// The most acknowledged writes waiting at once to be held by every store.
    pub pending_max: usize,
    pub recovered_by_reconcile: u64,
    pub rpo_ms: f64,
}

/// One lost acknowledged write, by identity, for the reconciliation report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LostWrite {
    /// How far it was ahead of what had survived.
    pub age_ms: f64,
    pub attempt: u32,
    pub how: String,
    pub lost_at_s: f64,
    pub operation: u64,
}

/// Lost writes listed by name in the reconciliation report (all are counted).
const EXAMPLES_MAX: usize = 100;
/// Lost writes described in full in findings (the rest are counted).
const FINDINGS_DESCRIBED_MAX: usize = 4;

impl AckedDurability {
    pub fn new(scenario: &Scenario) -> Self {
        AckedDurability {
            applies: scenario.design.topology != crate::scenario::Topology::ActiveActiveWrites,
            pending: BTreeMap::new(),
            parked: BTreeMap::new(),
            reconciles: scenario.design.runbook.iter().any(|st| st.kind == StepKind::Reconcile),
            lost: 0,
            money_lost: 0,
            recovered: 0,
            rpo_us_max: 0,
            pending_max: 0,
            examples: Vec::new(),
        }
    }

    fn lose(&mut self, view: &View, w: WriteId, p: Parked, found: &mut Vec<Finding>) {
        self.lost += 1;
        self.money_lost += p.delta;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(LostWrite {
                operation: w.op(),
                attempt: w.attempt(),
                lost_at_s: p.at.as_secs_f64(),
                age_ms: p.age_us as f64 / 1e3,
                how: p.how.clone(),
            });
        }
        self.rpo_us_max = self.rpo_us_max.max(p.age_us);
        let what = if found.len() < FINDINGS_DESCRIBED_MAX {
            format!("acknowledged write {w} is lost: {}", p.how)
        } else {
            // Keep the count exact without building a message per lost write.
            String::new()
        };
        found.push(Finding { at: p.at, what, regions: view.scenario.region_ids().collect() });
    }

    /// The write left every store: lost now, or parked until the end if reconciliation
    /// may apply it again.
    #[allow(clippy::too_many_arguments)]
    fn gone(
        &mut self,
        view: &View,
        w: WriteId,
        delta: i64,
        at: SimTime,
        age_us: u64,
        how: String,
        found: &mut Vec<Finding>,
    ) {
        self.pending.remove(&w);
        let p = Parked { delta, age_us, at, how };
        if self.reconciles {
            self.parked.insert(w, p);
        } else {
            self.lose(view, w, p, found);
        }
    }

    /// What the summary reports, as it stands.
    pub fn figures(&self) -> AckedDurabilityDetails {
        AckedDurabilityDetails {
            lost_writes: self.lost,
            money_lost: self.money_lost,
            recovered_by_reconcile: self.recovered,
            rpo_ms: self.rpo_us_max as f64 / 1e3,
            pending_max: self.pending_max,
            examples: self.examples.clone(),
        }
    }

    /// How far a write was ahead of what every store held when it committed.
    fn age_us(ledger: &Ledger, w: WriteId) -> u64 {
        ledger
            .track(w)
            .and_then(|t| t.commit_at.map(|c| c.since(t.safe_before).as_us()))
            .unwrap_or(0)
    }
}

impl Invariant for AckedDurability {
    fn id(&self) -> &'static str {
        "acked_durability"
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        if !self.applies {
            return;
        }
        let ledger = view.ledger;
        match obs {
            Obs::Complete { write: Some(w), delta, .. } => {
                if let Some(at) = ledger.gone_at(*w) {
                    let how = "no store held it any more when its client was told it succeeded"
                        .to_string();
                    self.gone(view, *w, *delta, at.max(view.at), 0, how, found);
                } else if ledger.track(*w).is_some() {
                    self.pending.insert(*w, Pending { acked_at: view.at, delta: *delta });
                    self.pending_max = self.pending_max.max(self.pending.len());
                }
            }
            Obs::Discarded { region, entries, survivor_commit_at } => {
                for e in entries {
                    let Some(p) = self.pending.get(&e.write).copied() else { continue };
                    if ledger.gone_at(e.write).is_none() {
                        continue;
                    }
                    let how = format!(
                        "{} discarded the last copy when it rejoined the new writer's lineage",
                        view.region_name(*region)
                    );
                    let age = e.commit_at.since(*survivor_commit_at).as_us();
                    self.gone(view, e.write, p.delta, view.at, age, how, found);
                }
            }
            Obs::Commit { entry, .. } => {
                if let Some(p) = self.parked.remove(&entry.write()) {
                    self.recovered += 1;
                    self.pending.insert(entry.write(), Pending { acked_at: p.at, delta: p.delta });
                }
            }
            _ => {}
        }
    }

    /// Writes every store now holds are safe; writes no store holds (a snapshot
    /// replaced the last copy, without a discard to show for it) are gone. Only the
    /// writes the ledger decided since the last sample are looked at.
    fn sample(&mut self, view: &View, found: &mut Vec<Finding>) {
        let ledger = view.ledger;
        if self.pending.is_empty() {
            return;
        }
        for w in ledger.decided() {
            let Some(p) = self.pending.get(w).copied() else { continue };
            match ledger.fate(*w) {
                Fate::Open => {}
                Fate::Safe => {
                    self.pending.remove(w);
                }
                Fate::Lost => {
                    let at = ledger.gone_at(*w).unwrap_or(view.at);
                    let how = "a snapshot replaced the last store that held it".to_string();
                    self.gone(view, *w, p.delta, at, 0, how, found);
                }
            }
        }
    }

    fn finish(&mut self, view: &View, found: &mut Vec<Finding>) {
        if !self.applies {
            return;
        }
        self.sample(view, found);
        // What is still pending may have been decided earlier than the last sample saw.
        let ledger = view.ledger;
        let gone: Vec<(WriteId, i64, SimTime)> = self
            .pending
            .iter()
            .filter_map(|(w, p)| ledger.gone_at(*w).map(|at| (*w, p.delta, at)))
            .collect();
        for (w, delta, at) in gone {
            let how = "a snapshot replaced the last store that held it".to_string();
            self.gone(view, w, delta, at, 0, how, found);
        }
        let writer = view.probe.named_writer();
        let name = view.region_name(writer).to_string();
        for (w, p) in std::mem::take(&mut self.parked) {
            self.lose(view, w, p, found);
        }
        for (w, p) in std::mem::take(&mut self.pending) {
            if view.ledger.held(writer, w) {
                continue;
            }
            let how = format!(
                "the final writer {name} does not hold it (acknowledged at {}): no store discarded it, but the stores' histories disagree on what they hold",
                p.acked_at
            );
            let age_us = Self::age_us(view.ledger, w);
            self.lose(view, w, Parked { delta: p.delta, age_us, at: view.at, how }, found);
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
    use crate::check::testkit_obs::{acked, commit};
    use crate::engine::SimDuration;
    use crate::model::obs::Discarded;
    use crate::model::store::Journaled;
    use crate::scenario::{OpKind, RegionId};

    const A: RegionId = RegionId(0);
    const B: RegionId = RegionId(1);
    const C: RegionId = RegionId(2);

    fn w(op: u64) -> WriteId {
        WriteId::new(op, 1)
    }

    /// Two lineages that agree on their labels but not their content: stores report,
    /// by identity, which writes they hold. A write every store held is safe; one the
    /// final writer never held is lost at the end, though nothing was discarded; one
    /// the final writer holds is not.
    #[test]
    fn a_write_the_final_writer_never_held_is_lost_without_any_discard() {
        let mut h = Harness::new("scenarios/fenced-async-promotion.json");
        let mut c = AckedDurability::new(&h.scenario.clone());
        for (r, op) in [(A, 1), (B, 1), (C, 1), (A, 2), (B, 3), (C, 3)] {
            h.probe.journal.push(r, Journaled::Held(w(op)));
        }
        h.at = SimTime(1_000_000);
        for op in 1..=3 {
            h.feed(&mut c, &commit(A, 0, op, h.at));
            h.feed(&mut c, &acked(A, OpKind::RegisterWrite, 0, op, 0));
        }
        h.sample(&mut c);
        assert!(h.found.is_empty());
        h.probe.writer = B.0;
        h.finish(&mut c);
        let what = h.what();
        assert_eq!(what.len(), 1, "{what:?}");
        assert!(
            what[0].starts_with("acknowledged write #2 attempt 1 is lost: the final writer eu-west does not hold it"),
            "{}",
            what[0]
        );
        assert_eq!(c.figures().lost_writes, 1);
    }

    /// A write is lost once no store holds it: a store that replaced its state with a
    /// snapshot of one that never held the write discards the last copy. The money
    /// it carried is counted, and the RPO is its lead over what survived there.
    #[test]
    fn the_last_copy_discarded_loses_the_write_and_its_money() {
        let mut h = Harness::new("scenarios/fenced-async-promotion.json");
        let mut c = AckedDurability::new(&h.scenario.clone());
        h.probe.journal.push(A, Journaled::Held(w(7)));
        h.at = SimTime(2_000_000);
        h.feed(&mut c, &commit(A, 0, 7, h.at));
        h.feed(&mut c, &acked(A, OpKind::AccountCredit, 0, 7, 40));
        // A rejoins: B's snapshot (of B's nothing) replaces its state.
        h.probe.journal.push(A, Journaled::Replaced { from: B, upto: 0 });
        h.at = SimTime(5_000_000);
        let gone = Discarded {
            version: crate::model::types::Version { epoch: 1, lsn: 9 },
            write: w(7),
            commit_at: SimTime(2_000_000),
        };
        let survivor_commit_at = SimTime(1_500_000);
        h.feed(&mut c, &Obs::Discarded { region: A, entries: vec![gone], survivor_commit_at });
        let what = h.what();
        assert_eq!(what.len(), 1, "{what:?}");
        assert!(what[0].contains("us-east discarded the last copy"), "{}", what[0]);
        let d = c.figures();
        assert_eq!((d.lost_writes, d.money_lost), (1, 40));
        assert_eq!(d.rpo_ms, 500.0);
        // Later samples and the end do not count it again.
        h.at += SimDuration::from_secs(1);
        h.sample(&mut c);
        h.finish(&mut c);
        assert_eq!(h.found.len(), 1);
    }
}
