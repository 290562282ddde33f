//! Client requests at a store: reads (and the checks a read class needs), writes
//! (with the checks fencing, leases and the runbook impose), commits, and applying an
//! entry to the state.

use super::*;

impl Store {
    /// Handles a client request at this node.
    #[allow(clippy::too_many_arguments)]
    pub fn on_request(
        &mut self,
        now: SimTime,
        local_us: i64,
        design: &Design,
        client: RegionId,
        meta: ReqMeta,
        req: Req,
        out: &mut Out,
    ) {
        let res = match req {
            Req::Read { key, class, min_version } => {
                Some(self.read(local_us, design, key, class, min_version))
            }
            _ => self.write(now, local_us, design, client, meta, req, out),
        };
        if let Some(res) = res {
            out.send(
                self.region,
                client,
                ClientMsg::Response { op: meta.op, attempt: meta.attempt, res },
            );
        }
    }

    /// Commits a write, or finds that an idempotency record says it was already done.
    /// Returns the answer to send now, or `None` when it waits for replica acks.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write(
        &mut self,
        now: SimTime,
        local_us: i64,
        design: &Design,
        client: RegionId,
        meta: ReqMeta,
        req: Req,
        out: &mut Out,
    ) -> Option<Res> {
        if let Err(r) = self.write_check(local_us, design, meta.token, out) {
            return Some(Res::Refused(r));
        }
        // A retry of an operation this node already carried out gets the same answer.
        let (version, write) = match self.records.get(meta.op_key).filter(|_| meta.idem) {
            Some(done) => done,
            None => match self.commit(now, local_us, req, meta, design.records_replicated, out) {
                None => return Some(Res::Declined),
                Some(v) => (v, WriteId::new(meta.op_key, meta.attempt)),
            },
        };
        self.schedule_flush(now, design, out);
        let res = Res::Written { version, write };
        if self.acks_needed(design) == 0 {
            self.advance_commit(design, out);
            return Some(res);
        }
        let p = PendingAck {
            lsn: version.lsn,
            op: meta.op,
            attempt: meta.attempt,
            client,
            res,
            at: now,
        };
        let at = self.pending_acks.partition_point(|x| x.lsn <= p.lsn);
        self.pending_acks.insert(at, p);
        self.release_acks(design, out);
        None
    }

    pub(super) fn acks_needed(&self, design: &Design) -> usize {
        if let Some(s) = &design.sync_standbys {
            return s.count;
        }
        let replicas = self.peers.len() - 1;
        match design.replication {
            ReplicationMode::Async => 0,
            ReplicationMode::SemiSync { acks } => (acks as usize).min(replicas),
            ReplicationMode::Sync => replicas,
            ReplicationMode::Consensus => match &design.consensus {
                Some(c) => c.majority() - usize::from(c.voter[self.region.idx()]),
                None => 0,
            },
        }
    }

    /// Consensus: the commit point moves to the newest entry a majority of voters holds
    /// (this node counts with its whole log), but only through an entry of this
    /// leader's own term; earlier terms' entries commit with it (Raft section 5.4.2).
    pub(super) fn advance_commit(&mut self, design: &Design, out: &mut Out) {
        let Some(c) = &design.consensus else { return };
        if !self.primary {
            return;
        }
        let need = self.acks_needed(design);
        let me = self.region.idx();
        let mut acked: Vec<u64> = self
            .peers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != me && c.voter[*i])
            .map(|(_, p)| p.acked)
            .collect();
        acked.sort_unstable_by(|a, b| b.cmp(a));
        let held = if need == 0 { self.end_lsn } else { acked.get(need - 1).copied().unwrap_or(0) };
        let held = held.min(self.end_lsn);
        if held > self.commit_lsn && self.epoch_at(held) == self.epoch {
            let from = self.commit_lsn;
            self.commit_lsn = held;
            self.emit_committed(from, held, out);
        }
    }

    /// A write took effect. Under consensus that is when a majority holds it, so a
    /// leader keeps what it appended (with the values before and after, as it applied
    /// it) until then; otherwise now.
    pub(super) fn emit_commit(
        &mut self,
        entry: Entry,
        before: i64,
        after: [(Key, i64); 2],
        out: &mut Out,
    ) {
        if !self.consensus {
            out.obs.push(Obs::Commit { region: self.region, entry, before, after });
            return;
        }
        if self.uncommitted.len() == UNCOMMITTED_MAX {
            self.uncommitted.pop_front();
        }
        self.uncommitted.push_back((entry, before, after));
    }

    /// Consensus: the entries from `from` (exclusive) to `to` committed. What this
    /// leader appended in its term is reported as it applied it; entries of earlier
    /// terms, committed with them, in the name of the leader that appended them, with
    /// their keys' values now.
    fn emit_committed(&mut self, from: u64, to: u64, out: &mut Out) {
        while self.uncommitted.front().is_some_and(|u| u.0.lsn <= from) {
            self.uncommitted.pop_front();
        }
        for lsn in from + 1..=to {
            if self.uncommitted.front().is_some_and(|u| u.0.lsn == lsn) {
                let (entry, before, after) = self.uncommitted.pop_front().expect("just seen");
                out.obs.push(Obs::Commit { region: self.region, entry, before, after });
                continue;
            }
            let Some(entry) = self.entry(lsn).copied() else { continue };
            if entry.op == EntryOp::Noop {
                continue;
            }
            let region = self.leader_of(entry.epoch);
            let after = values_after(&self.cells, [entry.key, entry.key2]);
            let before = after[0].1;
            out.obs.push(Obs::Commit { region, entry, before, after });
        }
    }

    /// The log position every write up to which the replicas writes wait for hold.
    pub(super) fn durable_lsn(&self, design: &Design) -> u64 {
        if design.consensus.is_some() {
            return self.commit_lsn;
        }
        self.sync_position(design)
    }

    pub(super) fn read(
        &mut self,
        local_us: i64,
        design: &Design,
        key: Key,
        class: ReadClass,
        min_version: Version,
    ) -> Res {
        match self.read_check(local_us, design, key, class, min_version) {
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
    pub(super) fn read_check(
        &self,
        local_us: i64,
        design: &Design,
        key: Key,
        class: ReadClass,
        min_version: Version,
    ) -> Result<(), Refusal> {
        // Consensus serves no write before a majority holds it, whatever the class.
        if design.consensus.is_some() && self.cells[key as usize].version.lsn > self.commit_lsn {
            return Err(Refusal::NotDurable);
        }
        match class {
            ReadClass::Strong => {
                if !self.primary && !design.strong_reads_local {
                    return Err(Refusal::NotWriter);
                }
                // (A replica serving strong reads, the planted mistake, has no lease to check.)
                if self.primary && design.fencing && !self.lease_valid(local_us) {
                    return Err(Refusal::LeaseExpired);
                }
                if self.primary
                    && design.wait_after_sync
                    && self.cells[key as usize].version.lsn > self.durable_lsn(design)
                {
                    return Err(Refusal::NotDurable);
                }
            }
            ReadClass::Bounded(_) if self.follower_read_refused(local_us, design) => {
                return Err(Refusal::TooStale);
            }
            ReadClass::Bounded(bound) => {
                if design.replica_checks_staleness {
                    // A replica is as fresh as the last point it knows it applied; a
                    // primary under fencing, as its lease: once that lapses another
                    // writer may exist, and it is stale by the time since.
                    let fresh_as_of = if !self.primary {
                        Some(self.fresh_as_of_local_us)
                    } else if design.fencing && !self.lease_valid(local_us) {
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
                if design.session_tokens
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

    /// Consensus follower reads: a follower serves a bounded read at its closed
    /// timestamp, the leader's clock at the newest point it has fully applied (the
    /// leader stamps every later write later), only while that trails its own clock by
    /// no more than the lag; read on its own clock, so skew makes it wrong.
    fn follower_read_refused(&self, local_us: i64, design: &Design) -> bool {
        match design.consensus.as_ref().and_then(|c| c.follower_read_lag) {
            Some(lag) if !self.primary => local_us - self.fresh_as_of_local_us > lag.as_us() as i64,
            _ => false,
        }
    }

    pub(super) fn write_check(
        &mut self,
        local_us: i64,
        design: &Design,
        token: u32,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        if !self.primary {
            return Err(Refusal::NotWriter);
        }
        if design.fencing {
            if token > self.epoch {
                // A client already knows a newer writer: this node has been superseded.
                self.epoch = token;
                self.step_down(out);
                return Err(Refusal::StaleToken);
            }
            if token < self.epoch {
                return Err(Refusal::StaleToken);
            }
            if !self.lease_valid(local_us) && !design.bugs.ignore_lease {
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
    pub(super) fn note_lease_lapse(&mut self, out: &mut Out) {
        if !self.lease_lapsed_reported && self.lease_until_local_us.is_some() {
            self.lease_lapsed_reported = true;
            out.obs.push(Obs::LeaseLapsed { region: self.region });
        }
    }

    /// Commits `req` at the end of the log, or returns `None` when the business rules
    /// decline it (cas mismatch, insufficient balance).
    pub(super) fn commit(
        &mut self,
        now: SimTime,
        local_us: i64,
        req: Req,
        meta: ReqMeta,
        records_replicated: bool,
        out: &mut Out,
    ) -> Option<Version> {
        let (op, key, key2, value) = self.change(req, meta.op_key)?;
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
            op_key: meta.op_key,
            attempt: meta.attempt,
            idem: meta.idem && records_replicated,
            effect: meta.effect,
        };
        if meta.idem && !records_replicated {
            // A region-local record: this node remembers, nobody else will.
            let v = Version { epoch: entry.epoch, lsn: entry.lsn };
            self.records.insert(meta.op_key, v, entry.write(), now);
        }
        self.append_entry(entry);
        self.apply_next(now);
        let after = values_after(&self.cells, [key, key2]);
        self.emit_commit(entry, before, after, out);
        Some(Version { epoch: entry.epoch, lsn: entry.lsn })
    }

    /// What a write changes in the log's terms (operation, key, second key, value), or
    /// None when its own condition fails against this store's values.
    fn change(&self, req: Req, op_key: u64) -> Option<(EntryOp, Key, Key, i64)> {
        let value_of = |key: Key| self.cells[key as usize].value;
        let when = |allowed: bool, op: EntryOp, key: Key, value: i64| {
            allowed.then_some((op, key, NO_KEY, value))
        };
        match req {
            Req::Read { .. } => unreachable!("reads do not commit"),
            Req::Write { key, value } => when(true, EntryOp::Set, key, value),
            Req::Cas { key, expect, new } => when(value_of(key) == expect, EntryOp::Set, key, new),
            Req::Credit { key, amount } => when(true, EntryOp::Add, key, amount),
            Req::Debit { key, amount, checked } => {
                when(!checked || value_of(key) >= amount, EntryOp::Add, key, -amount)
            }
            Req::Transfer { from, to, amount } => {
                (value_of(from) >= amount).then_some((EntryOp::Transfer, from, to, amount))
            }
            Req::Reserve { key, qty, checked } => {
                when(!checked || value_of(key) >= qty, EntryOp::Add, key, -qty)
            }
            Req::Release { key, qty, stock } => {
                when(value_of(key) + qty <= stock, EntryOp::Add, key, qty)
            }
            Req::Advance { key, to, checked } => {
                let legal = !checked || crate::scenario::workflow_legal(value_of(key), to);
                when(legal, EntryOp::Set, key, to)
            }
            Req::Append { key } => {
                when(self.list_has_room(key), EntryOp::Append, key, op_key as i64)
            }
        }
    }

    pub(super) fn append_entry(&mut self, e: Entry) {
        debug_assert_eq!(e.lsn, self.end_lsn + 1, "log must grow without gaps");
        if self.log.is_empty() {
            self.first_lsn = e.lsn;
        }
        self.log.push_back(e);
        self.end_lsn = e.lsn;
        self.appended();
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
    pub(super) fn apply_next(&mut self, now: SimTime) {
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
            EntryOp::Noop => {}
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
    pub(super) fn set_cell(
        &mut self,
        key: Key,
        value: i64,
        version: Version,
        entry: &Entry,
        now: SimTime,
    ) {
        let c = &mut self.cells[key as usize];
        c.value = value;
        c.version = version;
        c.commit_at = entry.commit_at;
        c.seen.push(entry.write(), now);
        self.record_version(key, entry);
    }
}
