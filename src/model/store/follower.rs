//! The follower's side of log shipping: appending what the leader sends, giving up a
//! divergent tail, installing snapshots, and applying at a bounded rate.

use super::*;

impl Store {
    pub(super) fn truncate_prefix_follower(&mut self) {
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

    /// Appends what the leader sent, or asks for a snapshot when the logs diverge.
    #[allow(clippy::too_many_arguments)]
    pub fn on_append(
        &mut self,
        now: SimTime,
        design: &Design,
        from: RegionId,
        epoch: u32,
        prev_lsn: u64,
        prev_epoch: u32,
        entries: &[Entry],
        leader_local_us: i64,
        leader_end: u64,
        leader_commit: u64,
        round_us: i64,
        out: &mut Out,
    ) {
        if !self.accept_leader(design, from, epoch, out) {
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
        self.round_seen_us = round_us;
        // What the leader says is committed, as far as this log matches the leader's.
        self.commit_lsn = self.commit_lsn.max(leader_commit.min(self.end_lsn.min(leader_end)));
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
        self.schedule_disk_flush(now, out);
    }

    pub(super) fn drain_fresh_marks(&mut self) {
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
    pub(super) fn accept_leader(
        &mut self,
        design: &Design,
        from: RegionId,
        epoch: u32,
        out: &mut Out,
    ) -> bool {
        if design.epochs_fence() {
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
            if self.consensus {
                self.note_term_leader(epoch, from);
            }
            true
        } else {
            from == self.leader && !self.primary
        }
    }

    pub fn on_snapshot(&mut self, design: &Design, from: RegionId, snap: &Snapshot, out: &mut Out) {
        if !self.accept_leader(design, from, snap.epoch, out) {
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
        self.flushed_lsn = snap.lsn;
        self.disk_flush = None;
        self.epochs = snap.epochs.clone();
        self.cells.clone_from(&snap.cells);
        self.lists.clone_from(&snap.lists);
        if design.records_replicated {
            self.records.clone_from(&snap.records);
        }
        self.consumer_offset = snap.consumer_offset;
        self.last_applied_commit_at = snap.last_commit_at;
        self.last_applied_commit_local_us = snap.last_commit_local_us;
        self.fresh_marks.clear();
        self.reset_versions();
        self.journal_new.push(Journaled::Replaced { from, upto: snap.journal_end });
        // `gap`: the leader resumes shipping right after the snapshot.
        self.ack(from, true, false, out);
    }

    /// Answers `leader` with this node's epoch and log end.
    pub(super) fn ack(&self, leader: RegionId, gap: bool, need_snapshot: bool, out: &mut Out) {
        let msg = LogMsg::AppendAck {
            epoch: self.epoch,
            end_lsn: self.end_lsn,
            synced_lsn: self.synced_lsn(),
            gap,
            need_snapshot,
            round_us: self.round_seen_us,
        };
        out.send(self.region, leader, msg);
    }

    /// The newest entry up to `limit` committed at least `delay` before `now`.
    fn due_for_apply(&self, now: SimTime, delay: SimDuration, limit: u64) -> u64 {
        let mut lsn = self.applied_lsn;
        while lsn < limit && self.entry(lsn + 1).is_some_and(|e| e.commit_at + delay <= now) {
            lsn += 1;
        }
        lsn
    }

    pub fn schedule_apply(&mut self, now: SimTime, out: &mut Out) {
        if !self.apply_scheduled && self.applied_lsn < self.end_lsn {
            self.apply_scheduled = true;
            out.timer(now + APPLY_TICK, crate::model::Event::ApplyTick { region: self.region });
        }
    }

    /// Applies as many entries as the apply rate allows in one tick.
    pub fn apply_tick(&mut self, now: SimTime, design: &Design, out: &mut Out) {
        self.apply_scheduled = false;
        if !self.up {
            return;
        }
        let per_tick = design.apply_rate_per_s * self.apply_factor * APPLY_TICK.as_secs_f64();
        self.apply_credit = (self.apply_credit + per_tick).min(per_tick.max(1.0) * 4.0);
        // A consensus follower applies only what it knows is committed.
        // A replica replays only what is on its disk.
        let limit = if design.consensus.is_some() && !self.primary {
            self.end_lsn.min(self.commit_lsn)
        } else {
            self.flushed_lsn
        };
        let before = self.applied_lsn;
        let limit = match self.apply_delay {
            Some(delay) if !self.primary => self.due_for_apply(now, delay, limit),
            _ => limit,
        };
        while self.apply_credit >= 1.0 && self.applied_lsn < limit {
            self.apply_next(now);
            self.apply_credit -= 1.0;
        }
        if self.commit_level == crate::scenario::CommitLevel::RemoteApply
            && !self.primary
            && self.applied_lsn > before
        {
            self.ack(self.leader, false, false, out);
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
}
