//! A replica's disk (`standby_flush_ms`): what it receives is in memory until a flush
//! makes it durable, and a crash loses what was not flushed yet. A primary's commits
//! are durable before they count, so only replicas ever hold an unflushed tail. The
//! journal names a write as held only once it is durable, so the checkers never count
//! a write safe on a copy a crash can still take away.

use super::*;
use crate::scenario::CommitLevel;

impl Store {
    /// Whether what this node appends is durable at once.
    fn durable_at_once(&self) -> bool {
        self.primary || self.standby_flush == SimDuration::ZERO
    }

    /// After an append: journals it at once when durable at once, else leaves it to
    /// the next disk flush.
    pub(super) fn appended(&mut self) {
        if self.durable_at_once() {
            self.mark_durable(self.end_lsn);
        }
    }

    /// Everything up to `upto` is now on disk: journal its writes as held here.
    pub(super) fn mark_durable(&mut self, upto: u64) {
        let upto = upto.min(self.end_lsn);
        while self.flushed_lsn < upto {
            self.flushed_lsn += 1;
            if let Some(e) = self.entry(self.flushed_lsn) {
                if e.op_key != 0 {
                    self.journal_new.push(Journaled::Held(e.write()));
                    self.journal_held += 1;
                }
            }
        }
    }

    /// Starts a disk flush of what was received so far, unless one runs.
    pub(super) fn schedule_disk_flush(&mut self, now: SimTime, out: &mut Out) {
        if self.disk_flush.is_none() && self.flushed_lsn < self.end_lsn {
            let at = now + self.standby_flush;
            self.disk_flush = Some((at, self.end_lsn));
            out.timer(at, crate::model::Event::DiskFlush { region: self.region, at });
        }
    }

    /// The disk flush set to finish at `at` is done (unless a crash voided it): what
    /// it covered is durable, the leader hears so, and the next flush starts.
    pub fn disk_flushed(&mut self, now: SimTime, at: SimTime, out: &mut Out) {
        if !self.up || self.disk_flush.is_none_or(|d| d.0 != at) {
            return;
        }
        let (_, upto) = self.disk_flush.take().expect("checked");
        self.mark_durable(upto);
        if !self.primary {
            self.ack(self.leader, false, false, out);
        }
        self.schedule_apply(now, out);
        self.schedule_disk_flush(now, out);
    }

    /// A crash: a replica loses what it had received and not flushed.
    pub(super) fn lose_unflushed(&mut self, out: &mut Out) {
        self.disk_flush = None;
        let lost = self.end_lsn - self.flushed_lsn;
        if self.primary || lost == 0 {
            return;
        }
        while self.log.back().is_some_and(|e| e.lsn > self.flushed_lsn) {
            self.log.pop_back();
        }
        self.end_lsn = self.flushed_lsn;
        if self.log.is_empty() {
            self.first_lsn = self.end_lsn + 1;
        }
        while self.epochs.len() > 1 && self.epochs.last().is_some_and(|x| x.1 > self.end_lsn) {
            self.epochs.pop();
        }
        let end = self.end_lsn;
        self.fresh_marks.retain(|m| m.0 <= end);
        self.commit_lsn = self.commit_lsn.min(end);
        out.obs.push(Obs::TailLost { region: self.region, entries: lost });
    }

    /// The log position this node's acknowledgements vouch for, by the design's commit
    /// level: received, durable, or applied.
    pub(super) fn synced_lsn(&self) -> u64 {
        match self.commit_level {
            CommitLevel::RemoteWrite => self.end_lsn,
            CommitLevel::Flush => self.flushed_lsn,
            CommitLevel::RemoteApply => self.applied_lsn.min(self.flushed_lsn),
        }
    }
}
