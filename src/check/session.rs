//! `session`: read-your-writes and monotonic reads for session-class reads, judged from
//! what the client saw. Within a client session, a session read that starts after the
//! session's write of a key was acknowledged must reflect that write (by identity); one
//! that starts after the session read the key must reflect the newest write that read
//! reflected. Writes known lost are `acked_durability`'s finding, not this one's; a
//! value that may reflect the write without listing it is given the benefit of doubt.

use super::ledger::{Deferred, Fate, Ledger, Reflects};
use super::{Details, Finding, Invariant, View};
use crate::engine::SimTime;
use crate::model::obs::Obs;
use crate::model::types::{Key, WriteId};
use crate::scenario::{ReadClass, RegionId};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Copy)]
struct Last {
    write: WriteId,
    completed_at: SimTime,
    by_write: bool,
}

/// A session read that did not reflect what the session had made or read before.
struct Broken {
    at: SimTime,
    what: String,
    by_write: bool,
    regions: Vec<RegionId>,
}

#[derive(Default)]
pub struct Session {
    last: BTreeMap<(RegionId, u32, Key), Last>,
    ryw: u64,
    monotonic: u64,
    session_reads: u64,
    /// Broken guarantees whose write may yet be lost (then it is not this checker's).
    waiting: Deferred<Broken>,
}

/// What `session` reports: session reads, and how many broke each guarantee.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionDetails {
    pub monotonic_broken: u64,
    pub read_your_writes_broken: u64,
    pub session_reads: u64,
}

impl Session {
    /// What the summary reports, as it stands.
    pub fn figures(&self) -> SessionDetails {
        SessionDetails {
            session_reads: self.session_reads,
            read_your_writes_broken: self.ryw,
            monotonic_broken: self.monotonic,
        }
    }

    fn judge(&mut self, b: Broken, found: &mut Vec<Finding>) {
        if b.by_write {
            self.ryw += 1;
        } else {
            self.monotonic += 1;
        }
        found.push(Finding { at: b.at, what: b.what, regions: b.regions });
    }
}

impl Invariant for Session {
    fn id(&self) -> &'static str {
        "session"
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        let Obs::Complete { kind, region, write, read, key, session, invoked_at, op_key, .. } = obs
        else {
            return;
        };
        let slot = (*region, *session, *key);
        // A read that broke the guarantee does not lower what later reads must reflect.
        let mut broke = false;
        if let Some(r) = read {
            if view.scenario.workload.read_class[kind.idx()] == ReadClass::Session {
                self.session_reads += 1;
                if let Some(prev) = self.last.get(&slot).copied() {
                    let ledger = view.ledger;
                    let fate = ledger.fate(prev.write);
                    let commit_at = ledger.commit_at(*key, prev.write);
                    if prev.completed_at < *invoked_at
                        && fate != Fate::Lost
                        && Ledger::reflects(&r.seen, prev.write, commit_at) == Reflects::No
                    {
                        broke = true;
                        let rule =
                            if prev.by_write { "read-your-writes" } else { "monotonic reads" };
                        let b = Broken {
                            at: view.at,
                            what: format!(
                                "{rule} broken: session {session} in {} read key {key} (read #{op_key}, served by {}) without write {}, which it had {} before",
                                view.region_name(*region),
                                view.region_name(r.served_by),
                                prev.write,
                                if prev.by_write { "made" } else { "read" },
                            ),
                            by_write: prev.by_write,
                            regions: vec![*region, r.served_by],
                        };
                        if fate == Fate::Safe {
                            self.judge(b, found);
                        } else {
                            self.waiting.push(prev.write, b);
                        }
                    }
                }
            }
        }
        let (w, by_write) = match (write, read) {
            (Some(w), _) => (*w, true),
            (None, Some(r)) if !broke => match r.seen.newest() {
                Some(w) => (w, false),
                None => return,
            },
            _ => return,
        };
        self.last.insert(slot, Last { write: w, completed_at: view.at, by_write });
    }

    fn sample(&mut self, view: &View, found: &mut Vec<Finding>) {
        for b in self.waiting.settle(view.ledger) {
            self.judge(b, found);
        }
    }

    fn finish(&mut self, view: &View, found: &mut Vec<Finding>) {
        for b in self.waiting.finish(view.ledger, view.probe.named_writer()) {
            self.judge(b, found);
        }
    }

    fn details(&self) -> Option<Details> {
        Some(self.figures().into())
    }
}
