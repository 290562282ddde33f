//! A datastore node: role, epoch, commit log, applied state and lease. As primary it
//! commits writes, ships its log and answers clients once replication allows; as a
//! follower it appends what its leader sends, applies it at a bounded rate, and gives up
//! a divergent tail when the leader's lineage does not hold it. It never reads another
//! node's memory: everything it learns arrives in a message.

use super::types::*;
use super::Out;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::{Design, ReadClass, RegionId, ReplicationMode};
use std::collections::{BTreeMap, VecDeque};

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
/// The apply loop's step.
pub const APPLY_TICK: SimDuration = SimDuration::from_ms(1);

#[derive(Clone, Copy, Debug, Default)]
pub struct Cell {
    pub value: i64,
    pub version: Version,
    pub commit_at: SimTime,
    /// The writes the value reflects (see `Seen`).
    pub seen: SeenRing,
}

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

#[derive(Clone, Copy, Debug, Default)]
struct Peer {
    sent: u64,
    acked: u64,
    last_progress: SimTime,
    snapshot_needed: bool,
}

/// What a request carries besides the operation itself.
#[derive(Clone, Copy, Debug)]
pub struct ReqMeta {
    pub op: OpId,
    pub attempt: u32,
    /// The epoch of the routing table that sent it (a fencing token).
    pub token: u32,
    /// The logical operation's number; every retry carries the same one.
    pub op_key: u64,
    /// The client sends `op_key` as an idempotency key.
    pub idem: bool,
    /// The operation publishes an event with its write (outbox).
    pub effect: bool,
    /// The operation's kind (its service time) and when its attempt times out.
    pub kind: crate::scenario::OpKind,
    pub deadline: SimTime,
    pub customer: u32,
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
    pub flush_scheduled: bool,
    pub apply_scheduled: bool,
    pub apply_factor: f64,
    apply_credit: f64,
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
            peers: vec![Peer::default(); regions],
            pending_acks: VecDeque::new(),
            frozen: false,
            flush_scheduled: false,
            apply_scheduled: false,
            apply_factor: 1.0,
            apply_credit: 0.0,
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

    fn entry(&self, lsn: u64) -> Option<&Entry> {
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

    fn lease_valid(&self, local_us: i64) -> bool {
        matches!(self.lease_until_local_us, Some(u) if local_us < u)
    }

    /// The newest log position as replicated as the design's writes must be before they
    /// are acknowledged: what workers may consume (like a high watermark).
    pub fn high_watermark(&self, d: &Design) -> u64 {
        let need = self.acks_needed(d);
        if need == 0 {
            return self.applied_lsn;
        }
        let me = self.region.idx();
        let mut acked: Vec<u64> =
            self.peers.iter().enumerate().filter(|(i, _)| *i != me).map(|(_, p)| p.acked).collect();
        acked.sort_unstable_by(|a, b| b.cmp(a));
        acked.get(need - 1).copied().unwrap_or(0).min(self.applied_lsn)
    }

    /// Whether this node would commit a write now: the checks a client write passes,
    /// which the workers' own writes (offsets, records) pass too.
    pub fn writable(&self, local_us: i64, d: &Design) -> bool {
        self.up
            && self.primary
            && self.ready
            && !self.frozen
            && (!d.fencing || d.bugs.ignore_lease || self.lease_valid(local_us))
    }

    /// With reconciliation on, sends discarded writes to the writer this store follows.
    pub fn reconcile(&mut self, out: &mut Out) {
        if !self.reconciling || self.discarded.is_empty() || self.primary {
            return;
        }
        let n = self.discarded.len().min(REAPPLY_BATCH_MAX);
        let entries: Vec<Entry> = self.discarded.drain(..n).collect();
        out.send(self.region, self.leader, Msg::Reapply { entries });
    }

    /// The writer applies discarded writes again, as new entries carrying the original
    /// operations: a credit adds again, a set overwrites whatever is there now. With
    /// idempotency records, an operation the writer already holds is skipped. Entries
    /// it cannot take now go back to the sender to try later.
    pub fn on_reapply(
        &mut self,
        now: SimTime,
        local_us: i64,
        d: &Design,
        from: RegionId,
        entries: Vec<Entry>,
        out: &mut Out,
    ) {
        if !self.writable(local_us, d) {
            out.send(self.region, from, Msg::Reapply { entries });
            return;
        }
        let mut count = 0;
        for e in entries {
            if e.idem && self.records.get(e.op_key).is_some() {
                continue;
            }
            let entry = Entry {
                lsn: self.end_lsn + 1,
                epoch: self.epoch,
                commit_at: now,
                commit_local_us: local_us,
                ..e
            };
            let before = if e.key == NO_KEY { 0 } else { self.cells[e.key as usize].value };
            self.append_entry(entry);
            self.apply_next(now);
            let after = values_after(&self.cells, [entry.key, entry.key2]);
            out.obs.push(Obs::Commit { region: self.region, entry, before, after });
            count += 1;
        }
        if count > 0 {
            out.obs.push(Obs::Reapplied { region: self.region, count });
            self.schedule_flush(now, d, out);
        }
    }

    /// Whether the entry at `lsn` is held by as many replicas as the design's writes
    /// wait for (always, for async replication).
    pub fn replicated(&self, lsn: u64, d: &Design) -> bool {
        let me = self.region.idx();
        let have =
            self.peers.iter().enumerate().filter(|(i, p)| *i != me && p.acked >= lsn).count();
        have >= self.acks_needed(d)
    }

    /// Commits an entry of the workers' own (consumer offset, effect record) at the end
    /// of this primary's log.
    pub fn commit_internal(
        &mut self,
        now: SimTime,
        local_us: i64,
        d: &Design,
        op: EntryOp,
        value: i64,
        out: &mut Out,
    ) -> Version {
        debug_assert!(self.primary, "only a primary commits");
        let entry = Entry {
            lsn: self.end_lsn + 1,
            epoch: self.epoch,
            op,
            key: NO_KEY,
            key2: NO_KEY,
            value,
            commit_at: now,
            commit_local_us: local_us,
            op_key: 0,
            attempt: 0,
            idem: false,
            effect: false,
        };
        self.append_entry(entry);
        self.apply_next(now);
        out.obs.push(Obs::Commit {
            region: self.region,
            entry,
            before: 0,
            after: [(NO_KEY, 0), (NO_KEY, 0)],
        });
        self.schedule_flush(now, d, out);
        Version { epoch: entry.epoch, lsn: entry.lsn }
    }

    /// The events (outbox entries) from log position `from` up to `until`, at most
    /// `max`, as `(lsn, op_key)`. Entries already dropped from the log are skipped.
    pub fn events_between(&self, from: u64, until: u64, max: usize) -> Vec<(u64, u64)> {
        let start = from.max(self.first_lsn);
        (start..=until.min(self.applied_lsn))
            .filter_map(|l| self.entry(l))
            .filter(|e| e.effect)
            .take(max)
            .map(|e| (e.lsn, e.op_key))
            .collect()
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

    /// Handles a client request at this node.
    #[allow(clippy::too_many_arguments)]
    pub fn on_request(
        &mut self,
        now: SimTime,
        local_us: i64,
        d: &Design,
        client: RegionId,
        m: ReqMeta,
        req: Req,
        out: &mut Out,
    ) {
        let res = match req {
            Req::Read { key, class, min_version } => {
                Some(self.read(local_us, d, key, class, min_version))
            }
            _ => self.write(now, local_us, d, client, m, req, out),
        };
        if let Some(res) = res {
            out.send(self.region, client, Msg::Response { op: m.op, attempt: m.attempt, res });
        }
    }

    /// Commits a write, or finds that an idempotency record says it was already done.
    /// Returns the answer to send now, or `None` when it waits for replica acks.
    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        now: SimTime,
        local_us: i64,
        d: &Design,
        client: RegionId,
        m: ReqMeta,
        req: Req,
        out: &mut Out,
    ) -> Option<Res> {
        if let Err(r) = self.write_check(local_us, d, m.token, out) {
            return Some(Res::Refused(r));
        }
        // A retry of an operation this node already carried out gets the same answer.
        let (version, write) = match self.records.get(m.op_key).filter(|_| m.idem) {
            Some(done) => done,
            None => match self.commit(now, local_us, req, m, d.records_replicated, out) {
                None => return Some(Res::Declined),
                Some(v) => (v, WriteId::new(m.op_key, m.attempt)),
            },
        };
        self.schedule_flush(now, d, out);
        let res = Res::Written { version, write };
        if self.acks_needed(d) == 0 {
            return Some(res);
        }
        let p = PendingAck { lsn: version.lsn, op: m.op, attempt: m.attempt, client, res, at: now };
        let at = self.pending_acks.partition_point(|x| x.lsn <= p.lsn);
        self.pending_acks.insert(at, p);
        self.release_acks(d, out);
        None
    }

    fn acks_needed(&self, d: &Design) -> usize {
        let replicas = self.peers.len() - 1;
        match d.replication {
            ReplicationMode::Async => 0,
            ReplicationMode::SemiSync { acks } => (acks as usize).min(replicas),
            ReplicationMode::Sync => replicas,
        }
    }

    /// The log position every write up to which the replicas writes wait for hold.
    fn durable_lsn(&self, d: &Design) -> u64 {
        let need = self.acks_needed(d);
        if need == 0 {
            return self.end_lsn;
        }
        let mut acked: Vec<u64> = self
            .peers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.region.idx())
            .map(|(_, p)| p.acked)
            .collect();
        acked.sort_unstable_by(|a, b| b.cmp(a));
        acked.get(need - 1).copied().unwrap_or(0)
    }

    fn read(
        &mut self,
        local_us: i64,
        d: &Design,
        key: Key,
        class: ReadClass,
        min_version: Version,
    ) -> Res {
        match self.read_check(local_us, d, key, class, min_version) {
            Ok(()) => self.serve(key),
            Err(r) => Res::Refused(r),
        }
    }

    /// The answer to a read of `key` this store may serve: its value (a list's
    /// elements), its version and the writes it reflects.
    pub fn serve(&self, key: Key) -> Res {
        let c = self.cells[key as usize];
        match self.list(key) {
            Some(l) => Res::List {
                elements: l.clone().into_boxed_slice(),
                version: c.version,
                seen: c.seen.view(),
            },
            None => Res::Value { value: c.value, version: c.version, seen: c.seen.view() },
        }
    }

    /// What a single-writer store checks before it serves a read of `class`.
    fn read_check(
        &self,
        local_us: i64,
        d: &Design,
        key: Key,
        class: ReadClass,
        min_version: Version,
    ) -> Result<(), Refusal> {
        match class {
            ReadClass::Strong => {
                if !self.primary && !d.strong_reads_local {
                    return Err(Refusal::NotWriter);
                }
                // (A replica serving strong reads, the planted mistake, has no lease to check.)
                if self.primary && d.fencing && !self.lease_valid(local_us) {
                    return Err(Refusal::LeaseExpired);
                }
                if self.primary
                    && d.reads_after_ack
                    && self.cells[key as usize].version.lsn > self.durable_lsn(d)
                {
                    return Err(Refusal::NotDurable);
                }
            }
            ReadClass::Bounded(bound) => {
                if d.replica_checks_staleness {
                    // A replica is as fresh as the last point it knows it applied; a
                    // primary under fencing, as its lease: once that lapses another
                    // writer may exist, and it is stale by the time since.
                    let fresh_as_of = if !self.primary {
                        Some(self.fresh_as_of_local_us)
                    } else if d.fencing && !self.lease_valid(local_us) {
                        Some(self.lease_until_local_us.unwrap_or(self.fresh_as_of_local_us))
                    } else {
                        None
                    };
                    if fresh_as_of.is_some_and(|t| local_us - t > bound.as_us() as i64) {
                        return Err(Refusal::TooStale);
                    }
                }
            }
            ReadClass::Session => {
                // The session token: this replica must have what the session saw.
                if d.session_tokens
                    && !self.primary
                    && self.cells[key as usize].version < min_version
                {
                    return Err(Refusal::TooStale);
                }
            }
            ReadClass::Eventual => {}
        }
        Ok(())
    }

    fn write_check(
        &mut self,
        local_us: i64,
        d: &Design,
        token: u32,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        if !self.primary {
            return Err(Refusal::NotWriter);
        }
        if d.fencing {
            if token > self.epoch {
                // A client already knows a newer writer: this node has been superseded.
                self.epoch = token;
                self.step_down(out);
                return Err(Refusal::StaleToken);
            }
            if token < self.epoch {
                return Err(Refusal::StaleToken);
            }
            if !self.lease_valid(local_us) && !d.bugs.ignore_lease {
                self.note_lease_lapse(out);
                return Err(Refusal::LeaseExpired);
            }
        }
        if self.frozen {
            return Err(Refusal::Frozen);
        }
        if !self.ready {
            return Err(Refusal::NotReady);
        }
        Ok(())
    }

    /// Reports, once, that a lease this node held has run out (a node that never got
    /// one since its promotion has nothing to lapse).
    fn note_lease_lapse(&mut self, out: &mut Out) {
        if !self.lease_lapsed_reported && self.lease_until_local_us.is_some() {
            self.lease_lapsed_reported = true;
            out.obs.push(Obs::LeaseLapsed { region: self.region });
        }
    }

    /// Commits `req` at the end of the log, or returns `None` when the business rules
    /// decline it (cas mismatch, insufficient balance).
    fn commit(
        &mut self,
        now: SimTime,
        local_us: i64,
        req: Req,
        m: ReqMeta,
        records_replicated: bool,
        out: &mut Out,
    ) -> Option<Version> {
        let (op, key, key2, value) = match req {
            Req::Read { .. } => unreachable!("reads do not commit"),
            Req::Write { key, value } => (EntryOp::Set, key, NO_KEY, value),
            Req::Cas { key, expect, new } => {
                if self.cells[key as usize].value != expect {
                    return None;
                }
                (EntryOp::Set, key, NO_KEY, new)
            }
            Req::Credit { key, amount } => (EntryOp::Add, key, NO_KEY, amount),
            Req::Debit { key, amount, checked } => {
                if checked && self.cells[key as usize].value < amount {
                    return None;
                }
                (EntryOp::Add, key, NO_KEY, -amount)
            }
            Req::Transfer { from, to, amount } => {
                if self.cells[from as usize].value < amount {
                    return None;
                }
                (EntryOp::Transfer, from, to, amount)
            }
            Req::Reserve { key, qty, checked } => {
                if checked && self.cells[key as usize].value < qty {
                    return None;
                }
                (EntryOp::Add, key, NO_KEY, -qty)
            }
            Req::Release { key, qty, stock } => {
                if self.cells[key as usize].value + qty > stock {
                    return None;
                }
                (EntryOp::Add, key, NO_KEY, qty)
            }
            Req::Advance { key, to, checked } => {
                if checked && !crate::scenario::workflow_legal(self.cells[key as usize].value, to) {
                    return None;
                }
                (EntryOp::Set, key, NO_KEY, to)
            }
            Req::Append { key } => {
                if !self.list_has_room(key) {
                    return None;
                }
                (EntryOp::Append, key, NO_KEY, m.op_key as i64)
            }
        };
        let before = self.cells[key as usize].value;
        let entry = Entry {
            lsn: self.end_lsn + 1,
            epoch: self.epoch,
            op,
            key,
            key2,
            value,
            commit_at: now,
            commit_local_us: local_us,
            op_key: m.op_key,
            attempt: m.attempt,
            idem: m.idem && records_replicated,
            effect: m.effect,
        };
        if m.idem && !records_replicated {
            // A region-local record: this node remembers, nobody else will.
            let v = Version { epoch: entry.epoch, lsn: entry.lsn };
            self.records.insert(m.op_key, v, entry.write(), now);
        }
        self.append_entry(entry);
        self.apply_next(now);
        let after = values_after(&self.cells, [key, key2]);
        out.obs.push(Obs::Commit { region: self.region, entry, before, after });
        Some(Version { epoch: entry.epoch, lsn: entry.lsn })
    }

    fn append_entry(&mut self, e: Entry) {
        debug_assert_eq!(e.lsn, self.end_lsn + 1, "log must grow without gaps");
        if self.log.is_empty() {
            self.first_lsn = e.lsn;
        }
        self.log.push_back(e);
        self.end_lsn = e.lsn;
        if e.op_key != 0 {
            self.journal_new.push(Journaled::Held(e.write()));
            self.journal_held += 1;
        }
        // A boundary no entry reached is dropped: a node promoted under an epoch it
        // never wrote in, then following a leader whose log carries on in older epochs.
        while self.epochs.last().is_some_and(|x| x.1 >= e.lsn && x.0 != e.epoch) {
            self.epochs.pop();
        }
        if self.epochs.last().map(|x| x.0) != Some(e.epoch) {
            debug_assert!(
                self.epochs.last().is_none_or(|x| x.0 < e.epoch),
                "epochs only grow along a lineage"
            );
            self.epochs.push((e.epoch, e.lsn));
        }
    }

    /// Applies the next unapplied entry to the state.
    fn apply_next(&mut self, now: SimTime) {
        let lsn = self.applied_lsn + 1;
        let e = *self.entry(lsn).expect("applying an entry the log does not hold");
        let version = Version { epoch: e.epoch, lsn: e.lsn };
        let write = e.write();
        match e.op {
            EntryOp::Set => self.set_cell(e.key, e.value, version, &e, now),
            EntryOp::Add => {
                let value = self.cells[e.key as usize].value + e.value;
                self.set_cell(e.key, value, version, &e, now);
            }
            EntryOp::Transfer => {
                let from = self.cells[e.key as usize].value - e.value;
                let to = self.cells[e.key2 as usize].value + e.value;
                self.set_cell(e.key, from, version, &e, now);
                self.set_cell(e.key2, to, version, &e, now);
            }
            EntryOp::Append => {
                let len = self.list_push(e.key, e.value as u64);
                self.set_cell(e.key, len, version, &e, now);
            }
            EntryOp::Offset => self.consumer_offset = e.value as u64,
            EntryOp::Mark => self.records.insert(
                EFFECT_RECORD_BIT | e.value as u64,
                version,
                WriteId::NONE,
                e.commit_at,
            ),
        }
        if e.idem {
            self.records.insert(e.op_key, version, write, e.commit_at);
        }
        self.applied_lsn = lsn;
        self.last_applied_commit_at = e.commit_at;
        self.last_applied_commit_local_us = e.commit_local_us;
        while let Some(&(mark_lsn, leader_local)) = self.fresh_marks.front() {
            if mark_lsn > lsn {
                break;
            }
            self.fresh_as_of_local_us = self.fresh_as_of_local_us.max(leader_local);
            self.fresh_marks.pop_front();
        }
    }

    /// A key takes a new value from entry `e`, whose write joins what the value
    /// reflects, applied `now`.
    fn set_cell(&mut self, key: Key, value: i64, version: Version, e: &Entry, now: SimTime) {
        let c = &mut self.cells[key as usize];
        c.value = value;
        c.version = version;
        c.commit_at = e.commit_at;
        c.seen.push(e.write(), now);
    }

    // ----- replication: leader side -----

    pub fn schedule_flush(&mut self, now: SimTime, d: &Design, out: &mut Out) {
        if !self.flush_scheduled {
            self.flush_scheduled = true;
            out.timer(now + d.repl_batch, super::Event::ReplFlush { region: self.region });
        }
    }

    /// Ships unsent entries (or a snapshot) to every follower.
    pub fn flush(&mut self, local_us: i64, keepalive: bool, out: &mut Out) {
        self.flush_scheduled = false;
        if !self.up || !self.primary {
            return;
        }
        for p in 0..self.peers.len() {
            if p == self.region.idx() {
                continue;
            }
            let to = RegionId(p as u8);
            let peer = self.peers[p];
            if peer.snapshot_needed || (peer.sent + 1 < self.first_lsn && peer.sent < self.end_lsn)
            {
                if self.applied_lsn < self.end_lsn {
                    // A snapshot is a consistent state at the log end; a promoted node
                    // still replaying its log ships one once it has caught up.
                    self.peers[p].snapshot_needed = true;
                    continue;
                }
                let snap = self.snapshot();
                out.send(self.region, to, Msg::Snapshot(Box::new(snap)));
                out.obs.push(Obs::SnapshotSent { region: self.region, to });
                self.peers[p].sent = self.applied_lsn;
                self.peers[p].snapshot_needed = false;
                continue;
            }
            if peer.sent >= self.end_lsn && !keepalive {
                continue;
            }
            let from = peer.sent + 1;
            let to_lsn = self.end_lsn.min(peer.sent + APPEND_BATCH_MAX as u64);
            let entries: Vec<Entry> =
                (from..=to_lsn).filter_map(|l| self.entry(l).copied()).collect();
            let prev_epoch = self.epoch_at(peer.sent);
            out.send(
                self.region,
                to,
                Msg::Append {
                    epoch: self.epoch,
                    prev_lsn: peer.sent,
                    prev_epoch,
                    entries,
                    leader_local_us: local_us,
                    leader_end: self.end_lsn,
                },
            );
            self.peers[p].sent = to_lsn.max(peer.sent);
        }
    }

    fn snapshot(&self) -> Snapshot {
        debug_assert_eq!(
            self.applied_lsn, self.end_lsn,
            "a primary that ships snapshots has applied its log"
        );
        Snapshot {
            epoch: self.epoch,
            lsn: self.applied_lsn,
            epochs: self.epochs.clone(),
            cells: self.cells.clone(),
            lists: self.lists.clone(),
            records: self.records.clone(),
            consumer_offset: self.consumer_offset,
            last_commit_at: self.last_applied_commit_at,
            last_commit_local_us: self.last_applied_commit_local_us,
            journal_end: self.journal_held,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn on_append_ack(
        &mut self,
        now: SimTime,
        d: &Design,
        from: RegionId,
        epoch: u32,
        end_lsn: u64,
        gap: bool,
        need_snapshot: bool,
        out: &mut Out,
    ) {
        if epoch > self.epoch && d.fencing {
            // A follower has seen a newer writer: this node is fenced.
            self.epoch = epoch;
            self.step_down(out);
            return;
        }
        if !self.primary || epoch != self.epoch {
            return;
        }
        let peer = &mut self.peers[from.idx()];
        if need_snapshot {
            peer.snapshot_needed = true;
            self.schedule_flush(now, d, out);
            return;
        }
        if end_lsn > peer.acked || peer.acked > self.end_lsn {
            peer.acked = end_lsn.min(self.end_lsn);
            peer.last_progress = now;
        }
        // Never resend what the follower has acknowledged (the log may have dropped it),
        // even when a late gap report names an older position.
        peer.sent = peer.sent.max(peer.acked);
        if gap && end_lsn < peer.sent {
            peer.sent = end_lsn.max(peer.acked);
            self.schedule_flush(now, d, out);
        }
        self.release_acks(d, out);
        self.truncate_prefix();
    }

    fn release_acks(&mut self, d: &Design, out: &mut Out) {
        let need = self.acks_needed(d);
        while let Some(p) = self.pending_acks.front() {
            let have = self
                .peers
                .iter()
                .enumerate()
                .filter(|(i, x)| *i != self.region.idx() && x.acked >= p.lsn)
                .count();
            if have < need {
                break;
            }
            out.send(
                self.region,
                p.client,
                Msg::Response { op: p.op, attempt: p.attempt, res: p.res.clone() },
            );
            self.pending_acks.pop_front();
        }
    }

    /// Drops entries every follower holds, keeping at most `LOG_RETAIN_MAX`.
    fn truncate_prefix(&mut self) {
        let me = self.region.idx();
        let min_acked = self
            .peers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != me)
            .map(|(_, p)| p.acked)
            .min()
            .unwrap_or(self.end_lsn);
        // Workers restart from the committed consumer offset: keep what they may replay.
        let keep_from =
            if self.retain_for_workers { min_acked.min(self.consumer_offset) } else { min_acked };
        while let Some(lsn) = self.log.front().map(|e| e.lsn) {
            let keep_for_peers = lsn > keep_from && self.log.len() <= LOG_RETAIN_MAX;
            if keep_for_peers || lsn > self.applied_lsn {
                break;
            }
            let e = self.log.pop_front().expect("non-empty");
            self.pruned_commit_at = e.commit_at;
            self.first_lsn = lsn + 1;
        }
        if self.log.is_empty() {
            self.first_lsn = self.end_lsn + 1;
        }
    }

    /// Periodic duties: retransmission, keepalives, forgetting hopeless acks, lease watch.
    pub fn tick(&mut self, now: SimTime, local_us: i64, d: &Design, out: &mut Out) {
        if !self.up {
            return;
        }
        self.records.prune(now, d.idempotency_ttl);
        if self.primary {
            for (i, p) in self.peers.iter_mut().enumerate() {
                if i != self.region.idx()
                    && p.acked < p.sent
                    && now.since(p.last_progress) > d.repl_retransmit
                {
                    p.sent = p.acked;
                    p.last_progress = now;
                }
            }
            while self.pending_acks.front().is_some_and(|p| now.since(p.at) > PENDING_ACK_MAX) {
                self.pending_acks.pop_front();
            }
            if d.fencing && !self.lease_valid(local_us) {
                self.note_lease_lapse(out);
            }
            // Entries ship on the batch timer only, so `batch_ms` is the real shipping
            // interval; between batches the tick just tells followers the leader lives.
            if !self.flush_scheduled {
                self.flush(local_us, true, out);
            }
        } else if self.log.len() > FOLLOWER_LOG_RETAIN {
            self.truncate_prefix_follower();
        }
    }

    fn truncate_prefix_follower(&mut self) {
        let keep_from = if self.retain_for_workers { self.consumer_offset } else { u64::MAX };
        while self.log.len() > FOLLOWER_LOG_RETAIN
            && self.log.front().is_some_and(|e| {
                e.lsn <= self.applied_lsn && (e.lsn <= keep_from || self.log.len() > LOG_RETAIN_MAX)
            })
        {
            let e = self.log.pop_front().expect("non-empty");
            self.pruned_commit_at = e.commit_at;
            self.first_lsn = e.lsn + 1;
        }
    }

    // ----- replication: follower side -----

    /// Appends what the leader sent, or asks for a snapshot when the logs diverge.
    #[allow(clippy::too_many_arguments)]
    pub fn on_append(
        &mut self,
        now: SimTime,
        d: &Design,
        from: RegionId,
        epoch: u32,
        prev_lsn: u64,
        prev_epoch: u32,
        entries: &[Entry],
        leader_local_us: i64,
        leader_end: u64,
        out: &mut Out,
    ) {
        if !self.accept_leader(d, from, epoch, out) {
            return;
        }
        let reply = |s: &Store, gap: bool, need_snapshot: bool, out: &mut Out| {
            s.ack(from, gap, need_snapshot, out);
        };
        if prev_lsn > self.end_lsn {
            return reply(self, true, false, out);
        }
        if prev_lsn + 1 < self.first_lsn {
            // From before what this node can check (it installed a snapshot since): a
            // late duplicate if it brings nothing new, else check it where our log ends.
            if entries.last().is_none_or(|e| e.lsn <= self.end_lsn) {
                return reply(self, false, false, out);
            }
            let meets = entries.iter().find(|e| e.lsn == self.end_lsn);
            if meets.is_none_or(|e| e.epoch != self.epoch_at(self.end_lsn)) {
                return reply(self, false, true, out);
            }
        } else if self.epoch_at(prev_lsn) != prev_epoch {
            return reply(self, false, true, out);
        }
        for e in entries {
            if e.lsn <= self.end_lsn {
                if self.epoch_at(e.lsn) != e.epoch {
                    return reply(self, false, true, out);
                }
                continue;
            }
            self.append_entry(*e);
        }
        // Entries beyond the leader's end from an older epoch are a divergent tail.
        if self.end_lsn > leader_end && self.epoch_at(self.end_lsn) < epoch {
            return reply(self, false, true, out);
        }
        let mark_lsn = self.end_lsn.min(leader_end);
        if mark_lsn == leader_end {
            if self.fresh_marks.len() >= FRESH_MARKS_MAX {
                self.fresh_marks.pop_front();
            }
            self.fresh_marks.push_back((mark_lsn, leader_local_us));
        }
        self.drain_fresh_marks();
        reply(self, false, false, out);
        self.schedule_apply(now, out);
    }

    fn drain_fresh_marks(&mut self) {
        while let Some(&(l, t)) = self.fresh_marks.front() {
            if l > self.applied_lsn {
                break;
            }
            self.fresh_as_of_local_us = self.fresh_as_of_local_us.max(t);
            self.fresh_marks.pop_front();
        }
    }

    /// Whether to take replication from `from` at `epoch`. With fencing, epochs decide:
    /// a newer epoch is followed at once and an older one is told it is stale. Without
    /// fencing a node has no tokens to compare; it follows whoever it was told leads.
    fn accept_leader(&mut self, d: &Design, from: RegionId, epoch: u32, out: &mut Out) -> bool {
        if d.fencing {
            if epoch < self.epoch {
                // Telling the stale leader our epoch is what makes it step down.
                self.ack(from, false, false, out);
                return false;
            }
            if epoch > self.epoch || self.leader != from {
                self.epoch = epoch;
                if self.primary {
                    self.step_down(out);
                }
                self.leader = from;
            }
            true
        } else {
            from == self.leader && !self.primary
        }
    }

    pub fn on_snapshot(&mut self, d: &Design, from: RegionId, snap: &Snapshot, out: &mut Out) {
        if !self.accept_leader(d, from, snap.epoch, out) {
            return;
        }
        let mut discarded = Vec::new();
        let mut survivor_commit_at = self.pruned_commit_at;
        for e in &self.log {
            let kept = e.lsn <= snap.lsn && epoch_in(&snap.epochs, e.lsn) == e.epoch;
            if kept {
                survivor_commit_at = e.commit_at;
            } else {
                if e.op_key != 0 && self.discarded.len() < DISCARDED_KEEP_MAX {
                    self.discarded.push(*e);
                }
                discarded.push(Discarded {
                    version: Version { epoch: e.epoch, lsn: e.lsn },
                    write: e.write(),
                    commit_at: e.commit_at,
                });
            }
        }
        if !discarded.is_empty() {
            out.obs.push(Obs::Discarded {
                region: self.region,
                entries: discarded,
                survivor_commit_at,
            });
        }
        self.log.clear();
        self.first_lsn = snap.lsn + 1;
        self.end_lsn = snap.lsn;
        self.applied_lsn = snap.lsn;
        self.epochs = snap.epochs.clone();
        self.cells.clone_from(&snap.cells);
        self.lists.clone_from(&snap.lists);
        if d.records_replicated {
            self.records.clone_from(&snap.records);
        }
        self.consumer_offset = snap.consumer_offset;
        self.last_applied_commit_at = snap.last_commit_at;
        self.last_applied_commit_local_us = snap.last_commit_local_us;
        self.fresh_marks.clear();
        self.journal_new.push(Journaled::Replaced { from, upto: snap.journal_end });
        // `gap`: the leader resumes shipping right after the snapshot.
        self.ack(from, true, false, out);
    }

    /// Answers `leader` with this node's epoch and log end.
    fn ack(&self, leader: RegionId, gap: bool, need_snapshot: bool, out: &mut Out) {
        let msg = Msg::AppendAck { epoch: self.epoch, end_lsn: self.end_lsn, gap, need_snapshot };
        out.send(self.region, leader, msg);
    }

    pub fn schedule_apply(&mut self, now: SimTime, out: &mut Out) {
        if !self.apply_scheduled && self.applied_lsn < self.end_lsn {
            self.apply_scheduled = true;
            out.timer(now + APPLY_TICK, super::Event::ApplyTick { region: self.region });
        }
    }

    /// Applies as many entries as the apply rate allows in one tick.
    pub fn apply_tick(&mut self, now: SimTime, d: &Design, out: &mut Out) {
        self.apply_scheduled = false;
        if !self.up {
            return;
        }
        let per_tick = d.apply_rate_per_s * self.apply_factor * APPLY_TICK.as_secs_f64();
        self.apply_credit = (self.apply_credit + per_tick).min(per_tick.max(1.0) * 4.0);
        while self.apply_credit >= 1.0 && self.applied_lsn < self.end_lsn {
            self.apply_next(now);
            self.apply_credit -= 1.0;
        }
        if self.applied_lsn == self.end_lsn {
            self.apply_credit = 0.0;
            if self.primary && !self.ready {
                self.ready = true;
            }
        }
        self.drain_fresh_marks();
        if self.apply_factor > 0.0 {
            self.schedule_apply(now, out);
        }
    }

    // ----- control -----

    /// The regional emergency path: no control plane and no writer heard for long
    /// enough that the old writer's lease has run out, so this standby takes over under
    /// a new epoch and grants itself a lease until the control plane is back.
    pub fn emergency_promote(
        &mut self,
        now: SimTime,
        local_us: i64,
        lease: SimDuration,
        out: &mut Out,
    ) -> u32 {
        let epoch = self.epoch + 1;
        self.promote(now, epoch, out);
        self.emergency = true;
        self.lease_until_local_us = Some(local_us + lease.as_us() as i64);
        epoch
    }

    /// While on the emergency path, the node renews its own lease.
    pub fn emergency_lease(&mut self, local_us: i64, lease: SimDuration) {
        if self.emergency && self.primary {
            self.lease_until_local_us = Some(local_us + lease.as_us() as i64);
        }
    }

    pub fn on_lease_grant(&mut self, epoch: u32, requested_local_us: i64, lease: SimDuration) {
        if self.primary && epoch == self.epoch {
            let until = requested_local_us + lease.as_us() as i64;
            self.lease_until_local_us =
                Some(self.lease_until_local_us.map_or(until, |u| u.max(until)));
            self.lease_lapsed_reported = false;
        }
    }

    /// The lease request to send now, if one is due: only a primary under fencing asks,
    /// at once when it has not asked since it became primary, then once `renew_ms` has
    /// passed on its own clock since it last asked. A clock stepped back delays the
    /// next request as it delays the lease's end: both are read on the same clock.
    pub fn lease_request(&mut self, d: &Design, local_us: i64) -> Option<i64> {
        let renew_us = d.lease_renew.as_us() as i64;
        let due = self.lease_asked_local_us.is_none_or(|asked| local_us - asked >= renew_us);
        if !(d.fencing && self.primary && due) {
            return None;
        }
        self.lease_asked_local_us = Some(local_us);
        Some(local_us)
    }

    /// A primary under fencing that has no renewal timer running needs one started.
    pub fn wants_lease_timer(&self, d: &Design) -> bool {
        d.fencing && self.primary && self.up && self.lease_timer_at.is_none()
    }

    /// Starts (or continues) the renewal timer: it fires at `at`.
    pub fn arm_lease_timer(&mut self, at: SimTime, out: &mut Out) {
        self.lease_timer_at = Some(at);
        out.timer(at, super::Event::LeaseRenew { region: self.region });
    }

    /// The renewal timer fired: returns the lease request to send, if one is due, and
    /// sets the timer again for when the next one is. The wait is measured on the local
    /// clock but slept in true time, so a drifting clock may wake the node a little
    /// early; it then finds nothing due and sleeps the remainder.
    pub fn on_lease_timer(
        &mut self,
        now: SimTime,
        local_us: i64,
        d: &Design,
        out: &mut Out,
    ) -> Option<i64> {
        if self.lease_timer_at != Some(now) {
            return None;
        }
        self.lease_timer_at = None;
        if !(d.fencing && self.primary && self.up) {
            return None;
        }
        let request = self.lease_request(d, local_us);
        let asked = self.lease_asked_local_us.unwrap_or(local_us);
        let wait_us = (asked + d.lease_renew.as_us() as i64 - local_us).max(1);
        self.arm_lease_timer(now + SimDuration(wait_us as u64), out);
        request
    }

    /// Forgets the lease and the renewal schedule: the node stopped being the writer it
    /// was (stepped down, crashed, or promoted under a new epoch, which needs a lease of
    /// its own at once).
    fn drop_lease(&mut self) {
        self.lease_until_local_us = None;
        self.lease_asked_local_us = None;
        self.lease_timer_at = None;
    }

    /// The control plane names the writer. The named node promotes itself; any other
    /// node follows it, stepping down if it was primary.
    pub fn on_config(&mut self, now: SimTime, writer: RegionId, epoch: u32, out: &mut Out) {
        if epoch < self.epoch
            || (epoch == self.epoch
                && (writer == self.region) == self.primary
                && self.leader == writer)
        {
            return;
        }
        if writer == self.region {
            if !self.primary || epoch > self.epoch {
                self.promote(now, epoch, out);
            }
        } else {
            self.epoch = self.epoch.max(epoch);
            if self.primary {
                self.step_down(out);
            }
            self.leader = writer;
        }
    }

    fn promote(&mut self, now: SimTime, epoch: u32, out: &mut Out) {
        self.primary = true;
        self.epoch = epoch;
        self.leader = self.region;
        self.drop_lease();
        self.lease_lapsed_reported = false;
        self.ready = self.applied_lsn == self.end_lsn;
        for (i, p) in self.peers.iter_mut().enumerate() {
            if i != self.region.idx() {
                *p = Peer {
                    sent: self.end_lsn,
                    acked: 0,
                    last_progress: now,
                    snapshot_needed: false,
                };
            }
        }
        // The new epoch's first entry will start at end + 1; record it now so followers
        // learn the boundary even before a write arrives.
        self.epochs.push((epoch, self.end_lsn + 1));
        out.obs.push(Obs::RoleChange { region: self.region, primary: true, epoch });
        self.schedule_apply(now, out);
    }

    fn step_down(&mut self, out: &mut Out) {
        if !self.primary {
            return;
        }
        self.primary = false;
        self.ready = false;
        self.drop_lease();
        self.pending_acks.clear();
        out.obs.push(Obs::RoleChange { region: self.region, primary: false, epoch: self.epoch });
    }

    pub fn crash(&mut self) {
        self.up = false;
        self.drop_lease();
        self.pending_acks.clear();
        self.apply_credit = 0.0;
    }

    pub fn restart(&mut self, now: SimTime, out: &mut Out) {
        self.up = true;
        for p in &mut self.peers {
            p.sent = p.acked;
            p.last_progress = now;
        }
        self.schedule_apply(now, out);
    }
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
mod tests {
    use super::*;

    const A: RegionId = RegionId(0);
    const B: RegionId = RegionId(1);
    const C: RegionId = RegionId(2);

    fn design(extra: &str) -> Design {
        let text = format!(
            r#"{{"version":1,"name":"t","duration_s":10,
                "regions":[{{"name":"a","role":"primary"}},{{"name":"b","role":"standby"}},
                           {{"name":"c","role":"standby"}}],
                "workload":{{"rate_per_s":10}}{extra}}}"#
        );
        crate::scenario::from_str("t.json", &text).expect("a valid scenario").design
    }

    fn entry(lsn: u64, epoch: u32) -> Entry {
        Entry {
            lsn,
            epoch,
            op: EntryOp::Set,
            key: 0,
            key2: NO_KEY,
            value: lsn as i64,
            commit_at: SimTime(lsn),
            commit_local_us: lsn as i64,
            op_key: 0,
            attempt: 0,
            idem: false,
            effect: false,
        }
    }

    fn append(
        s: &mut Store,
        d: &Design,
        from: RegionId,
        epoch: u32,
        prev: u64,
        es: &[Entry],
    ) -> Out {
        let mut out = Out::default();
        let end = es.last().map_or(prev, |e| e.lsn);
        let prev_epoch = s.epoch_at(prev);
        s.on_append(SimTime::ZERO, d, from, epoch, prev, prev_epoch, es, 0, end, &mut out);
        out
    }

    fn asked_for_snapshot(out: &Out) -> bool {
        out.sends.iter().any(|(_, _, m)| matches!(m, Msg::AppendAck { need_snapshot: true, .. }))
    }

    /// A standby promoted under an epoch it never wrote in, then told to follow a leader
    /// whose log goes on in the old epoch, takes that log as it is: the unused epoch
    /// boundary goes, so the next append matches instead of asking for a snapshot.
    #[test]
    fn an_epoch_no_entry_reached_does_not_split_the_lineage() {
        let d = design("");
        let mut b = Store::new(B, 3, A, 4);
        let old: Vec<Entry> = (1..=16).map(|l| entry(l, 1)).collect();
        assert!(!asked_for_snapshot(&append(&mut b, &d, A, 1, 0, &old)));
        let mut out = Out::default();
        b.on_config(SimTime::ZERO, B, 2, &mut out);
        assert!(b.primary);
        b.on_config(SimTime::ZERO, C, 3, &mut out);
        assert!(!b.primary);
        // C's log carries on from A's (epoch 1) at lsn 17, then C's own epoch 3.
        let out = append(&mut b, &d, C, 3, 16, &[entry(17, 1)]);
        assert!(!asked_for_snapshot(&out));
        assert_eq!(b.epoch_at(17), 1, "lsn 17 was written in epoch 1");
        let mut out = Out::default();
        b.on_append(SimTime::ZERO, &d, C, 3, 17, 1, &[entry(18, 3)], 0, 18, &mut out);
        assert!(!asked_for_snapshot(&out), "the lineages agree up to 17");
        assert_eq!(b.end_lsn, 18);
        assert_eq!(b.epochs, vec![(1, 1), (3, 18)]);
    }

    /// A standby promoted while still replaying its log does not ship a snapshot of a
    /// state behind its log end (a follower would discard entries the new primary
    /// holds); it ships one at its log end once it has caught up.
    #[test]
    fn a_primary_ships_snapshots_only_of_its_whole_log() {
        let d = design(r#","design":{"replication":{"mode":"async","apply_rate_per_s":100}}"#);
        let mut b = Store::new(B, 3, A, 4);
        let old: Vec<Entry> = (1..=10).map(|l| entry(l, 1)).collect();
        append(&mut b, &d, A, 1, 0, &old);
        assert_eq!((b.applied_lsn, b.end_lsn), (0, 10), "nothing applied yet");
        let mut out = Out::default();
        b.on_config(SimTime::ZERO, B, 2, &mut out);
        b.on_append_ack(SimTime::ZERO, &d, A, 2, 0, false, true, &mut out);
        let snapshots = |out: &Out| -> Vec<u64> {
            out.sends
                .iter()
                .filter_map(|(_, to, m)| match m {
                    Msg::Snapshot(s) if *to == A => Some(s.lsn),
                    _ => None,
                })
                .collect()
        };
        let mut out = Out::default();
        b.flush(0, true, &mut out);
        assert_eq!(snapshots(&out), Vec::<u64>::new(), "still replaying: no snapshot yet");
        let mut now = SimTime::ZERO;
        while b.applied_lsn < b.end_lsn {
            now += APPLY_TICK;
            b.apply_tick(now, &d, &mut Out::default());
        }
        let mut out = Out::default();
        b.flush(0, true, &mut out);
        assert_eq!(snapshots(&out), vec![10], "caught up: a snapshot at the log end");
    }

    /// A fenced primary asks for its lease once `renew_ms` has passed on its own clock
    /// since it last asked, not on every heartbeat; a newly promoted one asks at once.
    #[test]
    fn a_primary_asks_for_its_lease_every_renew_interval() {
        let d = design(
            r#","design":{"fencing":true,"lease":{"duration_ms":2000,"renew_ms":500},
                "promotion":{"heartbeat_ms":100}}"#,
        );
        let mut a = Store::new(A, 3, A, 4);
        // Offered a chance every 100 ms heartbeat for 2 s, on a clock 3 s ahead.
        let asked: Vec<i64> = (0..20)
            .map(|i| 3_000_000 + i * 100_000)
            .filter(|local_us| a.lease_request(&d, *local_us).is_some())
            .collect();
        assert_eq!(asked, vec![3_000_000, 3_500_000, 4_000_000, 4_500_000]);
        let mut b = Store::new(B, 3, A, 4);
        b.on_config(SimTime::ZERO, B, 2, &mut Out::default());
        assert_eq!(b.lease_request(&d, 7_000_000), Some(7_000_000), "promoted: asks at once");
        assert_eq!(b.lease_request(&d, 7_100_000), None);
        assert_eq!(b.lease_request(&d, 7_499_999), None);
        assert_eq!(b.lease_request(&d, 7_500_000), Some(7_500_000));
    }
}
