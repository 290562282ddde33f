//! `acked_durability`: every acknowledged write is in the authoritative state after
//! convergence. An acknowledged write is pending until every store holds it; it is lost
//! when a store discards it because the new writer's lineage lacks it, or when the
//! writer at the end does not hold it. When the design's runbook reconciles, a
//! discarded write that the writer applies again (same operation) is recovered; one
//! still missing at the end is lost. RPO is reported as the count of lost writes and
//! their age: how much committed time each lost write was ahead of the last entry that
//! survived on the same node.

use super::{Finding, Invariant};
use crate::engine::SimTime;
use crate::model::types::{Obs, Version};
use crate::model::World;
use crate::scenario::{Scenario, StepKind};
use serde_json::json;
use std::collections::BTreeMap;

/// A discarded acknowledged write waiting to be applied again by reconciliation.
struct Discarded {
    version: Version,
    age_us: u64,
    at: SimTime,
    how: String,
}

pub struct AckedDurability {
    /// Acknowledged writes not yet held by every store: ack time and operation.
    pending: BTreeMap<Version, (SimTime, u64)>,
    /// Discarded acknowledged writes by operation, while reconciliation may restore them.
    discarded: BTreeMap<u64, Discarded>,
    reconciles: bool,
    lost: u64,
    recovered: u64,
    rpo_us_max: u64,
    pending_max: usize,
    /// The first lost writes, for the reconciliation report.
    examples: Vec<serde_json::Value>,
}

/// Lost writes listed by name in the reconciliation report (all are counted).
const EXAMPLES_MAX: usize = 100;

impl AckedDurability {
    pub fn new(s: &Scenario) -> Self {
        AckedDurability {
            pending: BTreeMap::new(),
            discarded: BTreeMap::new(),
            reconciles: s.design.runbook.iter().any(|st| st.kind == StepKind::Reconcile),
            lost: 0,
            recovered: 0,
            rpo_us_max: 0,
            pending_max: 0,
            examples: Vec::new(),
        }
    }

    fn lose(&mut self, w: &World, d: Discarded, found: &mut Vec<Finding>) {
        let v = d.version;
        self.lost += 1;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(json!({"epoch": v.epoch, "lsn": v.lsn, "lost_at_s": d.at.as_secs_f64(), "age_ms": d.age_us as f64 / 1e3, "how": d.how}));
        }
        self.rpo_us_max = self.rpo_us_max.max(d.age_us);
        let what = if found.len() < 4 {
            format!("acknowledged write (epoch {}, lsn {}) is lost: {}", v.epoch, v.lsn, d.how)
        } else {
            // Keep the count exact without building a message per lost write.
            String::new()
        };
        found.push(Finding { at: d.at, what, regions: w.s.region_ids().collect() });
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
            Obs::Complete { version: Some(v), op_key, .. } if v.epoch > 0 => {
                self.pending.insert(*v, (w.now, *op_key));
                self.pending_max = self.pending_max.max(self.pending.len());
            }
            Obs::Discarded { region, entries, survivor_commit_at } => {
                for e in entries {
                    let Some((_, op_key)) = self.pending.remove(&e.version) else { continue };
                    let d = Discarded {
                        version: e.version,
                        age_us: e.commit_at.since(*survivor_commit_at).as_us(),
                        at: w.now,
                        how: format!(
                            "{} discarded it when it rejoined the new writer's lineage",
                            w.s.region_name(*region)
                        ),
                    };
                    if self.reconciles {
                        self.discarded.insert(op_key, d);
                    } else {
                        self.lose(w, d, found);
                    }
                }
            }
            Obs::Commit { entry, .. }
                if entry.epoch > 0 && self.discarded.remove(&entry.op_key).is_some() =>
            {
                self.recovered += 1;
            }
            _ => {}
        }
    }

    fn sample(&mut self, w: &World, _found: &mut Vec<Finding>) {
        self.pending.retain(|v, _| !w.stores.iter().all(|s| s.holds(*v)));
    }

    fn finish(&mut self, w: &World, found: &mut Vec<Finding>) {
        let auth = w.authoritative();
        for (_, d) in std::mem::take(&mut self.discarded) {
            self.lose(w, d, found);
        }
        let lost: Vec<Version> =
            self.pending.keys().filter(|v| !auth.holds(**v)).copied().collect();
        for v in lost {
            self.pending.remove(&v);
            let how = format!("the final writer {} does not hold it", w.s.region_name(auth.region));
            self.lose(w, Discarded { version: v, age_us: 0, at: w.now, how }, found);
        }
    }

    fn details(&self) -> serde_json::Value {
        json!({
            "lost_writes": self.lost,
            "recovered_by_reconcile": self.recovered,
            "rpo_ms": self.rpo_us_max as f64 / 1e3,
            "pending_max": self.pending_max,
            "examples": self.examples,
        })
    }
}
