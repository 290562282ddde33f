//! `no_lost_update`: no acknowledged write is overwritten by a concurrent write that did
//! not observe it. In an active-active design a store reports each write that stops
//! counting for a key because another won without having seen it (a last-writer-wins
//! loss, including a later write that a skewed clock stamped older); the write is lost
//! if its client was told it succeeded.

use super::{Details, Finding, Invariant, View};
use crate::engine::{SimDuration, SimTime};
use crate::model::obs::Obs;
use crate::model::types::{Key, WriteId};
use crate::scenario::RegionId;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// How long acknowledged and superseded writes are remembered to match one another.
const WINDOW: SimDuration = SimDuration::from_secs(120);

#[derive(Default)]
pub struct NoLostUpdate {
    /// Only designs where every region writes resolve conflicts (single-writer losses
    /// are `acked_durability`'s).
    applies: bool,
    acked: BTreeMap<WriteId, SimTime>,
    /// Superseded writes not (yet) known to be acknowledged: the key, where, and the winner.
    superseded: BTreeMap<WriteId, (Key, RegionId, WriteId)>,
    fifo: VecDeque<(SimTime, WriteId)>,
    /// Lost writes already counted (each loss counts once, wherever it is seen).
    counted: BTreeMap<WriteId, ()>,
    lost: u64,
}

/// What `no_lost_update` reports: acknowledged writes overwritten unobserved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoLostUpdateDetails {
    pub lost_updates: u64,
}

impl NoLostUpdate {
    /// What the summary reports, as it stands.
    pub fn figures(&self) -> NoLostUpdateDetails {
        NoLostUpdateDetails { lost_updates: self.lost }
    }

    pub fn new(s: &crate::scenario::Scenario) -> Self {
        let applies = s.design.topology == crate::scenario::Topology::ActiveActiveWrites;
        NoLostUpdate { applies, ..NoLostUpdate::default() }
    }

    fn expire(&mut self, now: SimTime) {
        while self.fifo.front().is_some_and(|(t, _)| now.since(*t) > WINDOW) {
            let (_, v) = self.fifo.pop_front().expect("non-empty");
            self.acked.remove(&v);
            self.superseded.remove(&v);
            self.counted.remove(&v);
        }
    }

    fn lose(
        &mut self,
        view: &View,
        loser: WriteId,
        key: Key,
        region: RegionId,
        winner: WriteId,
        found: &mut Vec<Finding>,
    ) {
        if self.counted.insert(loser, ()).is_some() {
            return;
        }
        self.lost += 1;
        found.push(Finding {
            at: view.at,
            what: format!(
                "acknowledged write {loser} to key {key} is lost in {}: write {winner}, which replaced it, never observed it",
                view.region_name(region),
            ),
            regions: vec![region],
        });
    }
}

impl Invariant for NoLostUpdate {
    fn id(&self) -> &'static str {
        "no_lost_update"
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        match obs {
            Obs::Complete { write: Some(w), .. } if self.applies => {
                self.expire(view.at);
                if let Some((key, region, winner)) = self.superseded.remove(w) {
                    self.lose(view, *w, key, region, winner, found);
                } else if self.acked.insert(*w, view.at).is_none() {
                    self.fifo.push_back((view.at, *w));
                }
            }
            Obs::Superseded { region, key, loser, winner } => {
                self.expire(view.at);
                if self.acked.contains_key(loser) {
                    self.lose(view, *loser, *key, *region, *winner, found);
                } else if self.superseded.insert(*loser, (*key, *region, *winner)).is_none() {
                    self.fifo.push_back((view.at, *loser));
                }
            }
            _ => {}
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
    use crate::model::types::OpId;
    use crate::scenario::OpKind;

    /// An acknowledged write that another replaces without having seen it is lost,
    /// whichever of the two is observed first, and counts once; acknowledgements and
    /// replacements are remembered for `WINDOW` only, so memory stays bounded and a
    /// replacement long after the acknowledgement is not matched.
    #[test]
    fn a_replaced_acknowledged_write_is_lost_within_the_window() {
        let mut h = Harness::new("scenarios/aa-lww-skew.json");
        let r = RegionId(0);
        let write = |n: u64| WriteId::new(n + 1, 1);
        let acked = |w: WriteId| Obs::Complete {
            op: OpId { slot: 0, gen: 0 },
            kind: OpKind::RegisterWrite,
            region: r,
            ok: true,
            version: None,
            write: Some(w),
            delta: 0,
            invoked_at: SimTime::ZERO,
            attempts: 1,
            op_key: w.op(),
            key: 3,
            session: 0,
            read: None,
        };
        let replaced =
            |w: WriteId| Obs::Superseded { region: r, key: 3, loser: w, winner: write(1 << 40) };
        let mut c = NoLostUpdate::new(&h.scenario.clone());
        for sec in 0..600u64 {
            h.at = SimTime::ZERO + SimDuration::from_secs(sec);
            h.feed(&mut c, &acked(write(sec)));
        }
        assert!(c.acked.len() <= 121, "{} acknowledgements remembered", c.acked.len());
        // Acknowledged 50 s ago, replaced now: lost, and counted once when seen again.
        h.feed(&mut c, &replaced(write(549)));
        h.feed(&mut c, &replaced(write(549)));
        // Acknowledged 500 s ago: forgotten.
        h.feed(&mut c, &replaced(write(99)));
        // Replaced first, acknowledged after: lost too.
        h.feed(&mut c, &replaced(write(5_000)));
        h.feed(&mut c, &acked(write(5_000)));
        let what = h.what();
        assert_eq!(what.len(), 2, "{what:?}");
        assert!(
            what[0].starts_with("acknowledged write #550 attempt 1 to key 3 is lost in "),
            "{}",
            what[0]
        );
        assert_eq!(c.figures().lost_updates, 2);
    }
}
