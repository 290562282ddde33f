//! `no_lost_update`: no acknowledged write is overwritten by a concurrent write that did
//! not observe it. In an active-active design a store reports each write that stops
//! counting for a key because another won without having seen it (a last-writer-wins
//! loss, including a later write that a skewed clock stamped older); the write is lost
//! if its client was told it succeeded.

use super::{Finding, Invariant};
use crate::engine::{SimDuration, SimTime};
use crate::model::types::{Key, Obs, Version};
use crate::model::World;
use crate::scenario::RegionId;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};

/// How long acknowledged and superseded writes are remembered to match one another.
const WINDOW: SimDuration = SimDuration::from_secs(120);

#[derive(Default)]
pub struct NoLostUpdate {
    acked: BTreeMap<Version, SimTime>,
    /// Superseded writes not (yet) known to be acknowledged: the key, where, and the winner.
    superseded: BTreeMap<Version, (Key, RegionId, Version)>,
    fifo: VecDeque<(SimTime, Version)>,
    /// Lost writes already counted (each loss counts once, wherever it is seen).
    counted: BTreeMap<Version, ()>,
    lost: u64,
}

impl NoLostUpdate {
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
        w: &World,
        loser: Version,
        key: Key,
        region: RegionId,
        winner: Version,
        found: &mut Vec<Finding>,
    ) {
        if self.counted.insert(loser, ()).is_some() {
            return;
        }
        self.lost += 1;
        found.push(Finding {
            at: w.now,
            what: format!(
                "an acknowledged write to key {key} (stamp {}) is lost in {}: the write that replaced it (stamp {}) never observed it",
                loser.lsn >> 4,
                w.s.region_name(region),
                winner.lsn >> 4
            ),
            regions: vec![region],
        });
    }
}

impl Invariant for NoLostUpdate {
    fn id(&self) -> &'static str {
        "no_lost_update"
    }

    fn observe(&mut self, obs: &Obs, w: &World, found: &mut Vec<Finding>) {
        match obs {
            Obs::Complete { version: Some(v), .. } if v.epoch == 0 => {
                self.expire(w.now);
                if let Some((key, region, winner)) = self.superseded.remove(v) {
                    self.lose(w, *v, key, region, winner, found);
                } else if self.acked.insert(*v, w.now).is_none() {
                    self.fifo.push_back((w.now, *v));
                }
            }
            Obs::Superseded { region, key, loser, winner } => {
                self.expire(w.now);
                if self.acked.contains_key(loser) {
                    self.lose(w, *loser, *key, *region, *winner, found);
                } else if self.superseded.insert(*loser, (*key, *region, *winner)).is_none() {
                    self.fifo.push_back((w.now, *loser));
                }
            }
            _ => {}
        }
    }

    fn details(&self) -> serde_json::Value {
        json!({"lost_updates": self.lost})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::types::OpId;
    use crate::scenario::OpKind;
    use std::sync::Arc;

    /// An acknowledged write that another replaces without having seen it is lost,
    /// whichever of the two is observed first, and counts once; acknowledgements and
    /// replacements are remembered for `WINDOW` only, so memory stays bounded and a
    /// replacement long after the acknowledgement is not matched.
    #[test]
    fn a_replaced_acknowledged_write_is_lost_within_the_window() {
        let s = crate::scenario::load("scenarios/aa-lww-skew.json").unwrap();
        let mut w = World::new(Arc::new(s.clone()), 0);
        let r = RegionId(0);
        let stamp = |n: u64| Version { epoch: 0, lsn: n << 4 };
        let acked = |v: Version| Obs::Complete {
            op: OpId { slot: 0, gen: 0 },
            kind: OpKind::RegisterWrite,
            region: r,
            ok: true,
            version: Some(v),
            delta: 0,
            invoked_at: SimTime::ZERO,
            attempts: 1,
            op_key: v.lsn,
            key: 3,
            session: 0,
            read: None,
        };
        let replaced =
            |v: Version| Obs::Superseded { region: r, key: 3, loser: v, winner: stamp(1 << 40) };
        let mut c = NoLostUpdate::default();
        let mut found = Vec::new();
        for sec in 0..600u64 {
            w.now = SimTime::ZERO + SimDuration::from_secs(sec);
            c.observe(&acked(stamp(sec)), &w, &mut found);
        }
        assert!(c.acked.len() <= 121, "{} acknowledgements remembered", c.acked.len());
        // Acknowledged 50 s ago, replaced now: lost, and counted once when seen again.
        c.observe(&replaced(stamp(549)), &w, &mut found);
        c.observe(&replaced(stamp(549)), &w, &mut found);
        // Acknowledged 500 s ago: forgotten.
        c.observe(&replaced(stamp(99)), &w, &mut found);
        // Replaced first, acknowledged after: lost too.
        c.observe(&replaced(stamp(5_000)), &w, &mut found);
        c.observe(&acked(stamp(5_000)), &w, &mut found);
        assert_eq!(found.len(), 2, "{:?}", found.iter().map(|f| &f.what).collect::<Vec<_>>());
        assert!(found[0].what.contains("(stamp 549) is lost in "), "{}", found[0].what);
        assert_eq!(c.details()["lost_updates"], 2);
    }
}
