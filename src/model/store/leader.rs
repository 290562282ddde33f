//! The leader's side of log shipping: batches and snapshots to every follower, their
//! acknowledgements, releasing waiting answers, trimming the log, and reconciliation.

use super::*;

impl Store {
    /// With reconciliation on, sends discarded writes to the writer this store follows.
    pub fn reconcile(&mut self, out: &mut Out) {
        if !self.reconciling || self.discarded.is_empty() || self.primary {
            return;
        }
        let n = self.discarded.len().min(REAPPLY_BATCH_MAX);
        let entries: Vec<Entry> = self.discarded.drain(..n).collect();
        out.send(self.region, self.leader, RunbookMsg::Reapply { entries });
    }

    /// The writer applies discarded writes again, as new entries carrying the original
    /// operations: a credit adds again, a set overwrites whatever is there now. With
    /// idempotency records, an operation the writer already holds is skipped. Entries
    /// it cannot take now go back to the sender to try later.
    pub fn on_reapply(
        &mut self,
        now: SimTime,
        local_us: i64,
        design: &Design,
        from: RegionId,
        entries: Vec<Entry>,
        out: &mut Out,
    ) {
        if !self.writable(local_us, design) {
            out.send(self.region, from, RunbookMsg::Reapply { entries });
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
            self.emit_commit(entry, before, after, out);
            count += 1;
        }
        if count > 0 {
            out.obs.push(Obs::Reapplied { region: self.region, count });
            self.schedule_flush(now, design, out);
        }
    }

    /// Whether the entry at `lsn` is held by as many replicas as the design's writes
    /// wait for (always, for async replication).
    pub fn replicated(&self, lsn: u64, design: &Design) -> bool {
        if design.consensus.is_some() {
            return lsn <= self.commit_lsn;
        }
        lsn <= self.sync_position(design)
    }

    /// Commits an entry of the workers' own (consumer offset, effect record) at the end
    /// of this primary's log.
    pub fn commit_internal(
        &mut self,
        now: SimTime,
        local_us: i64,
        design: &Design,
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
        self.emit_commit(entry, 0, [(NO_KEY, 0), (NO_KEY, 0)], out);
        self.schedule_flush(now, design, out);
        Version { epoch: entry.epoch, lsn: entry.lsn }
    }

    /// A consensus leader's first entry in its term: it commits, with it, whatever of
    /// earlier terms its log holds (Raft section 5.4.2). The leader takes writes again
    /// once it has applied its whole log.
    pub fn append_noop(&mut self, now: SimTime, local_us: i64, design: &Design, out: &mut Out) {
        let entry = Entry {
            lsn: self.end_lsn + 1,
            epoch: self.epoch,
            op: EntryOp::Noop,
            key: NO_KEY,
            key2: NO_KEY,
            value: 0,
            commit_at: now,
            commit_local_us: local_us,
            op_key: 0,
            attempt: 0,
            idem: false,
            effect: false,
        };
        self.append_entry(entry);
        self.ready = false;
        self.schedule_apply(now, out);
        self.schedule_flush(now, design, out);
        self.advance_commit(design, out);
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

    pub fn schedule_flush(&mut self, now: SimTime, design: &Design, out: &mut Out) {
        if !self.flush_scheduled {
            self.flush_scheduled = true;
            out.timer(
                now + design.repl_batch,
                crate::model::Event::ReplFlush { region: self.region },
            );
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
                out.send(self.region, to, LogMsg::Snapshot(Box::new(snap)));
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
                LogMsg::Append {
                    epoch: self.epoch,
                    prev_lsn: peer.sent,
                    prev_epoch,
                    entries,
                    leader_local_us: local_us,
                    leader_end: self.end_lsn,
                    leader_commit: if self.versions.is_empty() {
                        self.commit_lsn
                    } else {
                        self.visible
                    },
                    round_us: self.round_us,
                },
            );
            self.peers[p].sent = to_lsn.max(peer.sent);
        }
    }

    pub(super) fn snapshot(&self) -> Snapshot {
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
        design: &Design,
        from: RegionId,
        epoch: u32,
        ack: AckPositions,
        out: &mut Out,
    ) {
        let AckPositions { end_lsn, synced_lsn, gap, need_snapshot } = ack;
        if epoch > self.epoch && design.epochs_fence() {
            // A follower has seen a newer writer: this node is fenced.
            self.epoch = epoch;
            self.step_down(out);
            return;
        }
        if !self.primary || epoch != self.epoch {
            return;
        }
        let peer = &mut self.peers[from.idx()];
        peer.last_heard = now;
        peer.connected = true;
        if need_snapshot {
            peer.snapshot_needed = true;
            self.schedule_flush(now, design, out);
            return;
        }
        // A replica that crashed lost what it had not flushed (`standby_flush_ms`): it
        // holds less than it said, so what it vouched for and what to send it go back.
        let lost_tail = self.standby_flush > SimDuration::ZERO && gap && end_lsn < peer.acked;
        if lost_tail {
            peer.acked = end_lsn;
            peer.sent = end_lsn;
            peer.synced = peer.synced.min(end_lsn);
        }
        if end_lsn > peer.acked || peer.acked > self.end_lsn {
            peer.acked = end_lsn.min(self.end_lsn);
            peer.last_progress = now;
        }
        if synced_lsn > peer.synced || peer.synced > self.end_lsn {
            peer.synced = synced_lsn.min(end_lsn).min(self.end_lsn);
        }
        // Never resend what the follower has acknowledged (the log may have dropped it),
        // even when a late gap report names an older position.
        peer.sent = peer.sent.max(peer.acked);
        if gap && end_lsn < peer.sent {
            peer.sent = end_lsn.max(peer.acked);
            self.schedule_flush(now, design, out);
        }
        self.advance_commit(design, out);
        self.release_acks(design, out);
        self.truncate_prefix();
    }

    pub fn release_acks(&mut self, design: &Design, out: &mut Out) {
        let consensus = design.consensus.is_some();
        let synced = if consensus { 0 } else { self.sync_position(design) };
        self.released_lsn = self.released_lsn.max(synced);
        // With commit wait, a write is acknowledged once it is shown.
        let acked_upto = match design.consensus.as_ref().and_then(|c| c.commit_wait) {
            Some(_) => self.visible,
            None => self.commit_lsn,
        };
        while let Some(p) = self.pending_acks.front() {
            if (consensus && p.lsn > acked_upto) || (!consensus && p.lsn > synced) {
                break;
            }
            out.send(
                self.region,
                p.client,
                ClientMsg::Response { op: p.op, attempt: p.attempt, res: p.res.clone() },
            );
            self.pending_acks.pop_front();
        }
    }

    /// Drops entries every follower holds, keeping at most `LOG_RETAIN_MAX`.
    pub(super) fn truncate_prefix(&mut self) {
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
        // With commit wait, what is not shown yet stays (it is shown from the log).
        let keep_from =
            if self.versions.is_empty() { keep_from } else { keep_from.min(self.visible) };
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
    pub fn tick(&mut self, now: SimTime, local_us: i64, design: &Design, out: &mut Out) {
        if !self.up {
            return;
        }
        self.records.prune(now, design.idempotency_ttl);
        if self.primary {
            self.check_connected(now, design);
            self.check_fallback(now, design, out);
            for (i, p) in self.peers.iter_mut().enumerate() {
                if i != self.region.idx()
                    && p.acked < p.sent
                    && now.since(p.last_progress) > design.repl_retransmit
                {
                    p.sent = p.acked;
                    p.last_progress = now;
                }
            }
            while self.pending_acks.front().is_some_and(|p| now.since(p.at) > PENDING_ACK_MAX) {
                self.pending_acks.pop_front();
            }
            if design.fencing && !self.lease_valid(local_us) {
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
}
