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
