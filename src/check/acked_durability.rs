//! `acked_durability`: every acknowledged write is in the authoritative state after
//! convergence. An acknowledged write is pending until every store holds it; it is lost
//! when a store discards it because the new writer's lineage lacks it, or when the
//! writer at the end does not hold it. RPO is reported as the count of lost writes and
//! their age: how much committed time each lost write was ahead of the last entry that
//! survived on the same node.

use super::{Finding, Invariant};
use crate::engine::SimTime;
use crate::model::types::{Obs, Version};
use crate::model::World;
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct AckedDurability {
    /// Acknowledged writes not yet held by every store, with their ack times.
    pending: BTreeMap<Version, SimTime>,
    lost: u64,
    rpo_us_max: u64,
    pending_max: usize,
    /// The first lost writes, for the reconciliation report.
    examples: Vec<serde_json::Value>,
}

/// Lost writes listed by name in the reconciliation report (all are counted).
const EXAMPLES_MAX: usize = 100;

impl AckedDurability {
    fn lose(&mut self, w: &World, v: Version, age_us: u64, found: &mut Vec<Finding>, how: &str) {
        self.lost += 1;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(json!({"epoch": v.epoch, "lsn": v.lsn, "lost_at_s": w.now.as_secs_f64(), "age_ms": age_us as f64 / 1e3, "how": how}));
        }
        self.rpo_us_max = self.rpo_us_max.max(age_us);
        if found.len() < 4 {
            found.push(Finding {
                at: w.now,
                what: format!(
                    "acknowledged write (epoch {}, lsn {}) is lost: {how}",
                    v.epoch, v.lsn
                ),
                regions: w.s.region_ids().collect(),
            });
        } else {
            // Keep the count exact without building a message per lost write.
            found.push(Finding { at: w.now, what: String::new(), regions: vec![] });
        }
    }
}

impl Invariant for AckedDurability {
    fn id(&self) -> &'static str {
        "acked_durability"
    }

    fn observe(&mut self, obs: &Obs, w: &World, found: &mut Vec<Finding>) {
        match obs {
            // Epoch 0 marks active-active writes, which have no lineage to lose them
            // from; no_lost_update judges them.
            Obs::Complete { version: Some(v), .. } if v.epoch > 0 => {
                self.pending.insert(*v, w.now);
                self.pending_max = self.pending_max.max(self.pending.len());
            }
            Obs::Discarded { region, entries, survivor_commit_at } => {
                for e in entries {
                    if self.pending.remove(&e.version).is_some() {
                        let age = e.commit_at.since(*survivor_commit_at).as_us();
                        let how = format!(
                            "{} discarded it when it rejoined the new writer's lineage",
                            w.s.region_name(*region)
                        );
                        self.lose(w, e.version, age, found, &how);
                    }
                }
            }
            _ => {}
        }
    }

    fn sample(&mut self, w: &World, _found: &mut Vec<Finding>) {
        self.pending.retain(|v, _| !w.stores.iter().all(|s| s.holds(*v)));
    }

    fn finish(&mut self, w: &World, found: &mut Vec<Finding>) {
        let auth = w.authoritative();
        let lost: Vec<Version> =
            self.pending.keys().filter(|v| !auth.holds(**v)).copied().collect();
        for v in lost {
            self.pending.remove(&v);
            let how = format!("the final writer {} does not hold it", w.s.region_name(auth.region));
            self.lose(w, v, 0, found, &how);
        }
    }

    fn details(&self) -> serde_json::Value {
        json!({"lost_writes": self.lost, "rpo_ms": self.rpo_us_max as f64 / 1e3, "pending_max": self.pending_max, "examples": self.examples})
    }
}
