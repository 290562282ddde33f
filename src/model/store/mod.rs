//! A datastore node: role, epoch, commit log, applied state and lease. As primary it
//! commits writes, ships its log and answers clients once replication allows; as a
//! follower it appends what its leader sends, applies it at a bounded rate, and gives up
//! a divergent tail when the leader's lineage does not hold it. It never reads another
//! node's memory: everything it learns arrives in a message.

mod durable;
mod follower;
mod leader;
mod requests;
mod roles;
mod sync;
mod versions;

pub use versions::KeyVersion;

use super::data::*;
use super::msg::*;
use super::obs::*;
use super::types::*;
use super::Out;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::{Design, ReadClass, RegionId, ReplicationMode};
use std::collections::VecDeque;

/// Entries shipped in one append message.
const APPEND_BATCH_MAX: usize = 512;
/// Entries a node keeps beyond what all followers acknowledged; older ones are dropped
/// and a follower that needs them gets a snapshot instead.
pub const LOG_RETAIN_MAX: usize = 65_536;
/// How long a semi-sync write waits for replica acknowledgements before the primary
/// forgets it (the client has long given up; the entry stays committed).
const PENDING_ACK_MAX: SimDuration = SimDuration::from_secs(10);
/// Discarded client writes a store keeps for the runbook's reconcile step.
const DISCARDED_KEEP_MAX: usize = 100_000;
/// Discarded writes sent back to the writer in one message.
const REAPPLY_BATCH_MAX: usize = 512;

/// Applied entries a follower keeps: enough to serve a short catch-up if it is
/// promoted; a follower further behind than this gets a snapshot instead.
pub const FOLLOWER_LOG_RETAIN: usize = 4_096;
/// Freshness marks kept by a follower (leader clock readings at known log positions).
const FRESH_MARKS_MAX: usize = 1_024;
/// Consensus: entries a leader keeps waiting for their commit to be reported; beyond it
/// the oldest go unreported (a leader that never commits again, cut off for good).
const UNCOMMITTED_MAX: usize = LOG_RETAIN_MAX;
/// Consensus: the recent terms whose leaders a node remembers.
const TERM_LEADERS_MAX: usize = 64;
/// The apply loop's step.
pub const APPLY_TICK: SimDuration = SimDuration::from_ms(1);

/// Journal entries kept before the oldest are dropped. The checkers read the journal
/// after every event, so it only needs to hold what one event can add.
pub const JOURNAL_MAX: usize = 1 << 16;

/// What happened to the set of client writes a store holds, in order: the read-only
/// record through which checkers follow, by write identity, which writes each store
/// has (they never ask a store by log position).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Journaled {
    /// The write joined this store's log (committed here, replicated here, or applied
    /// again by reconciliation).
    Held(WriteId),
    /// The store's whole state was replaced by a snapshot of `from`'s: it now holds
    /// exactly the writes of the first `upto` `Held` entries `from` journaled (and what
    /// `from` itself got from snapshots before them).
    Replaced { from: RegionId, upto: u64 },
}

/// Every store's journal entries in the one order they happened (`World` appends each
/// event's entries after the event). Positions only grow; the oldest entries go once
/// `JOURNAL_MAX` are held.
#[derive(Clone, Debug, Default)]
pub struct Journal {
    entries: VecDeque<(RegionId, Journaled)>,
    /// The position of `entries[0]`.
    first_seq: u64,
}

impl Journal {
    pub fn push(&mut self, region: RegionId, j: Journaled) {
        if self.entries.len() == JOURNAL_MAX {
            self.entries.pop_front();
            self.first_seq += 1;
        }
        self.entries.push_back((region, j));
    }
    /// The position the next entry will take.
    pub fn end(&self) -> u64 {
        self.first_seq + self.entries.len() as u64
    }
    /// The oldest position still held (a reader behind it has missed entries).
    pub fn start(&self) -> u64 {
        self.first_seq
    }
    /// The entry at position `seq`, if still held.
    pub fn get(&self, seq: u64) -> Option<(RegionId, Journaled)> {
        seq.checked_sub(self.first_seq).and_then(|i| self.entries.get(i as usize)).copied()
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Peer {
    sent: u64,
    acked: u64,
    /// How far its acknowledgements vouch for what the design's writes wait for
    /// (`commit_level`): received, durable or applied.
    synced: u64,
    last_progress: SimTime,
    snapshot_needed: bool,
    /// When the leader last heard from it, and whether that was recent enough for it
    /// to count as connected (`sync_standbys`).
    last_heard: SimTime,
    connected: bool,
}

/// What a replica's acknowledgement says of its log: its end, how far that is as
/// replicated as the commit level asks, and whether it misses entries or needs a
/// snapshot.
#[derive(Clone, Copy, Debug)]
pub struct AckPositions {
    pub end_lsn: u64,
    pub synced_lsn: u64,
    pub gap: bool,
    pub need_snapshot: bool,
}

#[derive(Clone, Debug)]
struct PendingAck {
    lsn: u64,
    op: OpId,
    attempt: u32,
    client: RegionId,
    res: Res,
    at: SimTime,
}

/// A write a consensus leader took and has not seen committed: the entry, and its
/// key's value before and the keys' values after, as the leader applied it.
type Uncommitted = (Entry, i64, [(Key, i64); 2]);

pub struct Store {
    pub region: RegionId,
    pub up: bool,
    pub primary: bool,
    /// A primary is ready once it has applied everything it holds.
    pub ready: bool,
    /// The highest epoch this node has seen.
    pub epoch: u32,
    pub leader: RegionId,
    log: VecDeque<Entry>,
    first_lsn: u64,
    pub end_lsn: u64,
    /// `(epoch, first lsn written under it)`, oldest first: the node's lineage.
    pub epochs: Vec<(u32, u64)>,
    pub applied_lsn: u64,
    /// How far this node's log is durable on its disk (a primary's always is).
    pub flushed_lsn: u64,
    /// The disk flush under way: when it finishes, and how far it reaches.
    disk_flush: Option<(SimTime, u64)>,
    /// How long a disk flush takes at a replica (`standby_flush_ms`; zero: received is
    /// durable at once), and what its acknowledgements promise.
    pub standby_flush: SimDuration,
    pub commit_level: crate::scenario::CommitLevel,
    pub cells: Vec<Cell>,
    /// The lists' elements (operation numbers, oldest first), from key `list_base` on;
    /// each list's length is also its cell's value.
    pub lists: Vec<Vec<u64>>,
    list_base: Key,
    list_length_max: usize,
    pub records: OpRecords,
    /// The workers' consumer offset as this node last applied it (it replicates).
    pub consumer_offset: u64,
    /// The design has workers: keep the log they may still replay.
    pub retain_for_workers: bool,
    /// When this node last heard the control plane, and its leader.
    pub last_control_contact: SimTime,
    pub last_leader_contact: SimTime,
    /// Promoted by the regional emergency path, and not yet back under the control plane.
    pub emergency: bool,
    /// The emergency successor's current round of asking the other regions, and which
    /// of them said they have not heard the writer either.
    pub quorum: Option<(u64, Vec<bool>)>,
    /// The runbook's reconcile step reached this store: discarded writes go back to the
    /// writer.
    pub reconciling: bool,
    /// Client writes this store discarded on rejoining, kept for reconciliation.
    pub discarded: Vec<Entry>,
    /// This event's journal entries, until `World` moves them to its journal.
    pub journal_new: Vec<Journaled>,
    /// `Held` entries journaled so far (a snapshot names how many it includes).
    pub journal_held: u64,
    pub last_applied_commit_at: SimTime,
    last_applied_commit_local_us: i64,
    /// Commit time of the newest entry dropped from the front of the log: every
    /// follower held it, so it survives any later change of writer.
    pruned_commit_at: SimTime,
    fresh_marks: VecDeque<(u64, i64)>,
    fresh_as_of_local_us: i64,
    lease_until_local_us: Option<i64>,
    lease_lapsed_reported: bool,
    /// When this primary last asked the control plane for its lease, on its own clock;
    /// `None` when it should ask at once (just promoted, or back from a crash).
    lease_asked_local_us: Option<i64>,
    /// When the live renewal timer fires; `None` when none runs. A timer event whose
    /// time is not this one belongs to a chain that a role change ended.
    lease_timer_at: Option<SimTime>,
    peers: Vec<Peer>,
    pending_acks: VecDeque<PendingAck>,
    /// The runbook has stopped writes here.
    pub frozen: bool,
    /// Semi-sync fallen back to async (`async_fallback_ms`): writes are acknowledged
    /// without waiting for replicas until they catch up.
    fallen_back: bool,
    /// The newest log position this primary has counted as replicated enough (what
    /// `FIRST k` with too few connected standbys keeps to).
    released_lsn: u64,
    pub flush_scheduled: bool,
    pub apply_scheduled: bool,
    pub apply_factor: f64,
    /// A delayed replica (`replication_stall` with `lag_s`): each entry is applied no
    /// sooner than this after its commit.
    pub apply_delay: Option<SimDuration>,
    apply_credit: f64,
    /// Consensus: how far this node knows the log is committed (a leader: held by a
    /// majority of voters, through an entry of its own term; a follower: what its
    /// leader said). Nothing beyond it is served or, at a follower, applied.
    pub commit_lsn: u64,
    /// Consensus: the lease-clock reading a leader stamps on its appends now (set by
    /// the protocol before it calls in), and the stamp of the newest append this node
    /// took, which its acknowledgements echo.
    pub round_us: i64,
    round_seen_us: i64,
    /// Consensus: the design runs it (commits are reported when a majority holds them).
    pub consensus: bool,
    /// Consensus: what this leader appended and has not seen committed yet, with the
    /// values before and after, oldest first.
    uncommitted: VecDeque<Uncommitted>,
    /// Consensus: who led the recent terms this node heard of (newest last).
    term_leaders: VecDeque<(u32, RegionId)>,
    /// Commit wait: each key's recent versions (empty unless the design reads at
    /// timestamps), and how far a leader shows its log.
    versions: Vec<VecDeque<KeyVersion>>,
    visible: u64,
}

impl Store {
    pub fn new(region: RegionId, regions: usize, primary: RegionId, cells: usize) -> Self {
        let is_primary = region == primary;
        Store {
            region,
            up: true,
            primary: is_primary,
            ready: is_primary,
            epoch: 1,
            leader: primary,
            log: VecDeque::new(),
            first_lsn: 1,
            end_lsn: 0,
            epochs: vec![(1, 1)],
            applied_lsn: 0,
            flushed_lsn: 0,
            disk_flush: None,
            standby_flush: SimDuration::ZERO,
            commit_level: crate::scenario::CommitLevel::Flush,
            cells: vec![Cell::default(); cells],
            lists: Vec::new(),
            list_base: Key::MAX,
            list_length_max: 0,
            records: OpRecords::default(),
            consumer_offset: 0,
            retain_for_workers: false,
            reconciling: false,
            last_control_contact: SimTime::ZERO,
            last_leader_contact: SimTime::ZERO,
            emergency: false,
            quorum: None,
            discarded: Vec::new(),
            journal_new: Vec::new(),
            journal_held: 0,
            last_applied_commit_at: SimTime::ZERO,
            last_applied_commit_local_us: 0,
            pruned_commit_at: SimTime::ZERO,
            fresh_marks: VecDeque::new(),
            fresh_as_of_local_us: 0,
            lease_until_local_us: None,
            lease_lapsed_reported: false,
            lease_asked_local_us: None,
            lease_timer_at: None,
            peers: vec![Peer { connected: true, ..Peer::default() }; regions],
            pending_acks: VecDeque::new(),
            frozen: false,
            fallen_back: false,
            released_lsn: 0,
            flush_scheduled: false,
            apply_scheduled: false,
            apply_factor: 1.0,
            apply_delay: None,
            apply_credit: 0.0,
            commit_lsn: 0,
            round_us: 0,
            round_seen_us: 0,
            consensus: false,
            uncommitted: VecDeque::new(),
            term_leaders: VecDeque::from([(1, primary)]),
            versions: Vec::new(),
            visible: 0,
        }
    }

    /// Gives the store `count` empty lists from key `base` on, each holding at most
    /// `max` elements.
    pub fn with_lists(&mut self, base: Key, count: u32, max: u32) {
        self.lists = vec![Vec::new(); count as usize];
        self.list_base = base;
        self.list_length_max = max as usize;
    }

    /// The list `key` names, if it is one.
    pub fn list(&self, key: Key) -> Option<&Vec<u64>> {
        key.checked_sub(self.list_base).and_then(|i| self.lists.get(i as usize))
    }

    /// Whether list `key` has room for another element.
    pub fn list_has_room(&self, key: Key) -> bool {
        self.list(key).is_some_and(|l| l.len() < self.list_length_max)
    }

    /// Appends `element` to list `key` (a full list ignores it) and returns its length.
    pub fn list_push(&mut self, key: Key, element: u64) -> i64 {
        let max = self.list_length_max;
        match key.checked_sub(self.list_base).and_then(|i| self.lists.get_mut(i as usize)) {
            Some(l) => {
                if l.len() < max {
                    l.push(element);
                }
                l.len() as i64
            }
            None => 0,
        }
    }

    /// Grants the initial primary a lease at time zero, as if it had just renewed.
    pub fn grant_initial_lease(&mut self, local_us: i64, lease: SimDuration) {
        if self.primary {
            self.lease_until_local_us = Some(local_us + lease.as_us() as i64);
            self.lease_asked_local_us = Some(local_us);
        }
    }

    /// The epoch of the entry at `lsn` in this node's lineage (0 for lsn 0).
    pub fn epoch_at(&self, lsn: u64) -> u32 {
        if lsn == 0 {
            return 0;
        }
        epoch_in(&self.epochs, lsn)
    }

    pub(super) fn entry(&self, lsn: u64) -> Option<&Entry> {
        if lsn < self.first_lsn || lsn > self.end_lsn {
            return None;
        }
        self.log.get((lsn - self.first_lsn) as usize)
    }

    /// Entries held in memory (the log is bounded; see `truncate_prefix`).
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    /// The commit time of the entry at `lsn`, if this node still holds it.
    pub fn commit_at(&self, lsn: u64) -> Option<SimTime> {
        self.entry(lsn).map(|e| e.commit_at)
    }

    /// How stale this follower believes it is: its clock minus the leader's clock at the
    /// newest point it knows it has fully applied. Clock skew makes this wrong.
    pub fn staleness_estimate_us(&self, local_us: i64) -> u64 {
        (local_us - self.fresh_as_of_local_us).max(0) as u64
    }

    pub(super) fn lease_valid(&self, local_us: i64) -> bool {
        matches!(self.lease_until_local_us, Some(u) if local_us < u)
    }

    /// The newest log position as replicated as the design's writes must be before they
    /// are acknowledged: what workers may consume (like a high watermark).
    pub fn high_watermark(&self, design: &Design) -> u64 {
        if design.consensus.is_some() {
            return self.commit_lsn.min(self.applied_lsn);
        }
        self.sync_position(design).min(self.applied_lsn)
    }

    /// Whether this node would commit a write now: the checks a client write passes,
    /// which the workers' own writes (offsets, records) pass too.
    pub fn writable(&self, local_us: i64, design: &Design) -> bool {
        self.up
            && self.primary
            && self.ready
            && !self.frozen
            && (!design.fencing || design.bugs.ignore_lease || self.lease_valid(local_us))
    }

    /// Consensus: the leader of `term` as this node heard it (itself if unknown).
    pub fn leader_of(&self, term: u32) -> RegionId {
        self.term_leaders.iter().rev().find(|t| t.0 == term).map_or(self.region, |t| t.1)
    }

    /// Consensus: remembers who leads `term`.
    pub fn note_term_leader(&mut self, term: u32, leader: RegionId) {
        if self.term_leaders.back().is_some_and(|t| t.0 == term) {
            return;
        }
        if self.term_leaders.len() == TERM_LEADERS_MAX {
            self.term_leaders.pop_front();
        }
        self.term_leaders.push_back((term, leader));
    }

    /// The first log position still held.
    pub fn first_lsn(&self) -> u64 {
        self.first_lsn
    }

    /// This node's state for the control plane; `lag_us` is its own staleness estimate.
    pub fn report(&self, lag_us: u64) -> NodeReport {
        NodeReport {
            epoch: self.epoch,
            is_primary: self.primary,
            end_lsn: self.end_lsn,
            applied_lsn: self.applied_lsn,
            lag_us,
        }
    }

    // ----- client requests -----

    // ----- replication: leader side -----

    // ----- replication: follower side -----

    // ----- control -----
}

/// The values of `keys` in `cells`, for observations (`NO_KEY` stays unused).
pub fn values_after(cells: &[Cell], keys: [Key; 2]) -> [(Key, i64); 2] {
    keys.map(|k| if k == NO_KEY { (NO_KEY, 0) } else { (k, cells[k as usize].value) })
}

/// The epoch of `lsn` in a lineage list `(epoch, first lsn)`.
pub fn epoch_in(epochs: &[(u32, u64)], lsn: u64) -> u32 {
    let mut e = 0;
    for &(ep, start) in epochs {
        if start <= lsn {
            e = ep;
        } else {
            break;
        }
    }
    e
}

#[cfg(test)]
mod tests;
