//! `freshness`: every read is no staler than its class allows. Staleness is the time
//! between the commit of the oldest write to that key the read missed and the moment the
//! read was served (zero when it missed nothing). Strong reads may miss nothing that
//! was committed before them; bounded reads nothing older than their bound. Only the
//! current lineage counts: writes under a superseded epoch are not missed by anyone.

use super::{Finding, Invariant};
use crate::engine::SimTime;
use crate::model::types::{Obs, Version};
use crate::model::World;
use crate::scenario::{ReadClass, Scenario};
use hdrhistogram::Histogram;
use serde_json::json;
use std::collections::VecDeque;

/// Recent commits remembered per key. A read older than all of them is measured against
/// the oldest remembered, which understates its staleness (never overstates it).
const RECENT_PER_KEY: usize = 8;

pub struct Freshness {
    recent: Vec<VecDeque<(Version, SimTime)>>,
    granted: u32,
    staleness_us: Histogram<u64>,
    reads: u64,
}

impl Freshness {
    pub fn new(s: &Scenario) -> Self {
        let keys = s.workload.key_count() as usize;
        Freshness {
            recent: vec![VecDeque::new(); keys],
            granted: 1,
            staleness_us: Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid bounds"),
            reads: 0,
        }
    }
}

impl Invariant for Freshness {
    fn id(&self) -> &'static str {
        "freshness"
    }

    fn observe(&mut self, obs: &Obs, w: &World, found: &mut Vec<Finding>) {
        match obs {
            Obs::EpochGranted { epoch, .. } => self.granted = self.granted.max(*epoch),
            Obs::Commit { entry, .. } if entry.epoch >= self.granted => {
                let v = Version { epoch: entry.epoch, lsn: entry.lsn };
                for k in [entry.key, entry.key2] {
                    if let Some(q) = self.recent.get_mut(k as usize) {
                        if q.len() == RECENT_PER_KEY {
                            q.pop_front();
                        }
                        q.push_back((v, entry.commit_at));
                    }
                }
            }
            Obs::ReadServed { region, key, version, class, served_at } => {
                self.reads += 1;
                // Only writes the authoritative lineage holds count as missed: a write
                // that lineage threw away was never durable, and acked_durability owns it.
                let auth = w.authoritative();
                let missed = self.recent[*key as usize]
                    .iter()
                    .find(|(v, t)| v > version && t < served_at && auth.holds(*v));
                let staleness = missed.map_or(0, |(_, t)| served_at.since(*t).as_us());
                if staleness > 0 {
                    let _ = self.staleness_us.record(staleness);
                }
                let bound = match class {
                    ReadClass::Strong => Some(0),
                    ReadClass::Bounded(b) => Some(b.as_us()),
                    // Session reads answer to the session checker, not to a time bound.
                    ReadClass::Eventual | ReadClass::Session => None,
                };
                if let (Some(b), Some((mv, _))) = (bound, missed) {
                    if staleness > b {
                        found.push(Finding {
                            at: w.now,
                            what: format!(
                                "{:?} read of key {key} served by {} is {:.1} ms stale (bound {:.1} ms): it saw epoch {} lsn {} and missed epoch {} lsn {}",
                                class,
                                w.s.region_name(*region),
                                staleness as f64 / 1e3,
                                b as f64 / 1e3,
                                version.epoch,
                                version.lsn,
                                mv.epoch,
                                mv.lsn
                            ),
                            regions: vec![*region],
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn details(&self) -> serde_json::Value {
        let h = &self.staleness_us;
        let stale = h.len();
        let q = |p: f64| if stale == 0 { 0.0 } else { h.value_at_quantile(p) as f64 / 1e3 };
        json!({
            "reads": self.reads,
            "stale_reads": stale,
            "staleness_ms_p50": q(0.5),
            "staleness_ms_p99": q(0.99),
            "staleness_ms_max": if stale == 0 { 0.0 } else { h.max() as f64 / 1e3 },
        })
    }
}
