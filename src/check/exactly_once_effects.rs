//! `exactly_once_effects`: each logical operation takes effect at most once. Here, for
//! client writes: a retry that the datastore applies again (no idempotency key, or a
//! record that had not replicated to the writer that got the retry) shows as a second
//! commit of the same operation in one lineage.

use super::{Finding, Invariant};
use crate::engine::{SimDuration, SimTime};
use crate::model::types::{Obs, Version};
use crate::model::World;
use crate::scenario::{RegionId, Scenario};
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};

/// Slack beyond the retry horizon before a first commit is forgotten: a request can sit
/// on a slow link after its client gave up.
const LATE_DELIVERY_SLACK: SimDuration = SimDuration::from_secs(60);

/// Double applications awaiting confirmation; past this many, more are not tracked.
const SUSPECTS_MAX: usize = 100_000;

/// A second commit of an operation in a lineage that already held the first.
struct Suspect {
    at: SimTime,
    op_key: u64,
    region: RegionId,
    first: (RegionId, Version),
    again: Version,
}

pub struct ExactlyOnceEffects {
    suspects: Vec<Suspect>,
    first: BTreeMap<u64, (RegionId, Version)>,
    fifo: VecDeque<(SimTime, u64)>,
    window: SimDuration,
    duplicates: u64,
    /// The first confirmed duplicates, for the reconciliation report.
    examples: Vec<serde_json::Value>,
}

/// Duplicates listed by name in the reconciliation report (all are counted).
const EXAMPLES_MAX: usize = 100;

impl ExactlyOnceEffects {
    pub fn new(s: &Scenario) -> Self {
        let w = &s.workload;
        let horizon = (w.timeout + w.backoff_max).times(u64::from(w.attempts));
        ExactlyOnceEffects {
            suspects: Vec::new(),
            first: BTreeMap::new(),
            fifo: VecDeque::new(),
            window: horizon + LATE_DELIVERY_SLACK,
            duplicates: 0,
            examples: Vec::new(),
        }
    }
}

impl ExactlyOnceEffects {
    fn confirm(&mut self, s: &Suspect, w: &World, found: &mut Vec<Finding>) {
        self.duplicates += 1;
        let (r0, v0) = s.first;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(json!({
                "operation": s.op_key,
                "first": {"region": w.s.region_name(r0), "epoch": v0.epoch, "lsn": v0.lsn},
                "again": {"region": w.s.region_name(s.region), "epoch": s.again.epoch, "lsn": s.again.lsn, "at_s": s.at.as_secs_f64()},
            }));
        }
        found.push(Finding {
            at: s.at,
            what: format!(
                "operation #{} took effect twice: first at epoch {} lsn {} (in {}), again at epoch {} lsn {} (in {})",
                s.op_key,
                v0.epoch,
                v0.lsn,
                w.s.region_name(r0),
                s.again.epoch,
                s.again.lsn,
                w.s.region_name(s.region)
            ),
            regions: vec![s.region, r0],
        });
    }
}

impl Invariant for ExactlyOnceEffects {
    fn id(&self) -> &'static str {
        "exactly_once_effects"
    }

    fn observe(&mut self, obs: &Obs, w: &World, _found: &mut Vec<Finding>) {
        let Obs::Commit { region, entry, .. } = obs else { return };
        if entry.op_key == 0 {
            return;
        }
        while self.fifo.front().is_some_and(|(t, _)| w.now.since(*t) > self.window) {
            let (_, k) = self.fifo.pop_front().expect("non-empty");
            self.first.remove(&k);
        }
        let v = Version { epoch: entry.epoch, lsn: entry.lsn };
        match self.first.get(&entry.op_key) {
            Some(&(r0, v0)) if v0 != v && w.stores[region.idx()].holds(v0) => {
                if self.suspects.len() < SUSPECTS_MAX {
                    self.suspects.push(Suspect {
                        at: w.now,
                        op_key: entry.op_key,
                        region: *region,
                        first: (r0, v0),
                        again: v,
                    });
                }
            }
            Some(_) => {}
            None => {
                self.first.insert(entry.op_key, (*region, v));
                self.fifo.push_back((w.now, entry.op_key));
            }
        }
    }

    /// A double application counts once it can no longer be undone: every store holds
    /// both entries. One that a discarded lineage held is dropped.
    fn sample(&mut self, w: &World, found: &mut Vec<Finding>) {
        let mut kept = Vec::with_capacity(self.suspects.len());
        for s in std::mem::take(&mut self.suspects) {
            if w.stores.iter().all(|st| st.holds(s.first.1) && st.holds(s.again)) {
                self.confirm(&s, w, found);
            } else if w.stores[s.region.idx()].holds(s.again) {
                kept.push(s);
            }
        }
        self.suspects = kept;
    }

    fn finish(&mut self, w: &World, found: &mut Vec<Finding>) {
        let auth = w.authoritative();
        for s in std::mem::take(&mut self.suspects) {
            if auth.holds(s.first.1) && auth.holds(s.again) {
                self.confirm(&s, w, found);
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        json!({"duplicate_writes": self.duplicates, "examples": self.examples})
    }
}
