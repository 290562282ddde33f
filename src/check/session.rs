//! `session`: read-your-writes and monotonic reads for session-class reads. Within a
//! client session, a session read that starts after the session's write (or read) of a
//! key completed must return that version or a newer one.

use super::{Finding, Invariant};
use crate::engine::SimTime;
use crate::model::types::{Key, Obs, Version};
use crate::model::World;
use crate::scenario::{ReadClass, RegionId};
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Clone, Copy)]
struct Seen {
    version: Version,
    completed_at: SimTime,
    by_write: bool,
}

#[derive(Default)]
pub struct Session {
    seen: BTreeMap<(RegionId, u32, Key), Seen>,
    ryw: u64,
    monotonic: u64,
    session_reads: u64,
}

impl Invariant for Session {
    fn id(&self) -> &'static str {
        "session"
    }

    fn observe(&mut self, obs: &Obs, w: &World, found: &mut Vec<Finding>) {
        let Obs::Complete { kind, region, version, read, key, session, invoked_at, .. } = obs
        else {
            return;
        };
        let slot = (*region, *session, *key);
        if let Some((v, _)) = read {
            if w.s.workload.read_class[kind.idx()] == ReadClass::Session {
                self.session_reads += 1;
                if let Some(prev) = self.seen.get(&slot) {
                    if prev.completed_at < *invoked_at && *v < prev.version {
                        let rule =
                            if prev.by_write { "read-your-writes" } else { "monotonic reads" };
                        if prev.by_write {
                            self.ryw += 1;
                        } else {
                            self.monotonic += 1;
                        }
                        found.push(Finding {
                            at: w.now,
                            what: format!(
                                "{rule} broken: session {session} in {} read key {key} at epoch {} lsn {} after it had {} epoch {} lsn {}",
                                w.s.region_name(*region),
                                v.epoch,
                                v.lsn,
                                if prev.by_write { "written" } else { "read" },
                                prev.version.epoch,
                                prev.version.lsn
                            ),
                            regions: vec![*region],
                        });
                    }
                }
            }
        }
        let (v, by_write) = match (version, read) {
            (Some(v), _) => (*v, true),
            (None, Some((v, _))) => (*v, false),
            _ => return,
        };
        let e = self.seen.entry(slot).or_insert(Seen { version: v, completed_at: w.now, by_write });
        if v >= e.version {
            *e = Seen { version: v, completed_at: w.now, by_write };
        }
    }

    fn details(&self) -> serde_json::Value {
        json!({"session_reads": self.session_reads, "read_your_writes_broken": self.ryw, "monotonic_broken": self.monotonic})
    }
}
