//! What a store holds for each key and operation: a key's value with what it reflects,
//! and the idempotency records.

use super::types::*;
use crate::engine::{SimDuration, SimTime};
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Copy, Debug, Default)]
pub struct Cell {
    pub value: i64,
    pub version: Version,
    pub commit_at: SimTime,
    /// The writes the value reflects (see `Seen`).
    pub seen: SeenRing,
}

/// Idempotency records: a logical operation's key and the version of the write that
/// carried it out. They live in the datastore, so they replicate (and lag) with the
/// data; each is kept for the design's record TTL after its commit, then forgotten.
#[derive(Clone, Debug, Default)]
pub struct OpRecords {
    by_key: BTreeMap<u64, (Version, WriteId)>,
    fifo: VecDeque<(SimTime, u64)>,
}

impl OpRecords {
    pub fn insert(&mut self, key: u64, v: Version, w: WriteId, commit_at: SimTime) {
        if self.by_key.insert(key, (v, w)).is_none() {
            self.fifo.push_back((commit_at, key));
        }
    }
    /// The version and write that carried out operation `key`.
    pub fn get(&self, key: u64) -> Option<(Version, WriteId)> {
        self.by_key.get(&key).copied()
    }
    /// Forgets records committed more than `ttl` before `now`.
    pub fn prune(&mut self, now: SimTime, ttl: SimDuration) {
        while let Some(&(t, k)) = self.fifo.front() {
            if now.since(t) <= ttl {
                break;
            }
            self.fifo.pop_front();
            self.by_key.remove(&k);
        }
    }
    pub fn len(&self) -> usize {
        self.by_key.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}
