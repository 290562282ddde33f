//! Which replicas a single-leader write waits for: `acks` of any replica (semi-sync),
//! every replica (sync), or the replicas `design.replication.sync_standbys` names,
//! `FIRST k` by priority among those connected or `ANY k` (PostgreSQL's
//! `synchronous_standby_names`). Consensus counts its majority elsewhere.

use super::*;

impl Store {
    /// The newest log position every replica the design's writes wait for holds: a write
    /// at or below it may be acknowledged. With `FIRST k` and fewer than `k` listed
    /// replicas connected, nothing new is (writes wait, as PostgreSQL's do).
    pub(super) fn sync_position(&self, design: &Design) -> u64 {
        if self.fallen_back {
            return self.end_lsn;
        }
        self.waited_position(design)
    }

    /// `sync_position` as the design's rule has it, fallen back or not.
    fn waited_position(&self, design: &Design) -> u64 {
        let me = self.region.idx();
        let Some(s) = &design.sync_standbys else {
            let need = self.acks_needed(design);
            if need == 0 {
                return self.end_lsn;
            }
            let others = self.peers.iter().enumerate().filter(|(i, _)| *i != me);
            return kth_largest(others.map(|(_, p)| p.synced), need);
        };
        let listed = s.sites.iter().map(|r| r.idx()).filter(|&i| i != me);
        if s.first {
            let sync: Vec<u64> = listed
                .filter(|&i| self.peers[i].connected)
                .take(s.count)
                .map(|i| self.peers[i].synced)
                .collect();
            if sync.len() < s.count {
                return self.commit_floor();
            }
            sync.into_iter().min().unwrap_or(0)
        } else {
            kth_largest(listed.map(|i| self.peers[i].synced), s.count)
        }
    }

    /// What a primary that waits for no one new holds as acknowledged already: the
    /// newest position it counted as replicated enough.
    fn commit_floor(&self) -> u64 {
        self.released_lsn
    }

    /// A leader's periodic check of which replicas are still connected: one unheard
    /// for the design's timeout (`sync_standbys.timeout_ms`) no longer is, until it
    /// answers again.
    pub(super) fn check_connected(&mut self, now: SimTime, design: &Design) {
        let Some(s) = &design.sync_standbys else { return };
        for p in &mut self.peers {
            if now.since(p.last_heard) > s.timeout {
                p.connected = false;
            }
        }
    }
}

impl Store {
    /// `async_fallback_ms`: a primary whose oldest waiting write has waited that long
    /// stops waiting and acknowledges what waits; once the replicas it waits for hold
    /// its whole log, it waits for them again. Checked on every node tick.
    pub(super) fn check_fallback(&mut self, now: SimTime, design: &Design, out: &mut Out) {
        let Some(after) = design.async_fallback else { return };
        if !self.fallen_back {
            let Some(oldest) = self.pending_acks.front() else { return };
            let waited = now.since(oldest.at);
            if waited < after {
                return;
            }
            self.fallen_back = true;
            let released = self.pending_acks.len() as u32;
            out.obs.push(Obs::SyncFallback { region: self.region, on: true, waited, released });
            self.release_acks(design, out);
        } else if self.waited_position(design) >= self.end_lsn {
            self.fallen_back = false;
            let waited = SimDuration::ZERO;
            out.obs.push(Obs::SyncFallback { region: self.region, on: false, waited, released: 0 });
        }
    }

    /// A node that stops or starts being primary, or goes down, starts out waiting
    /// again; a fallback in progress ends there.
    pub(super) fn reset_fallback(&mut self, out: &mut Out) {
        if std::mem::take(&mut self.fallen_back) {
            let waited = SimDuration::ZERO;
            out.obs.push(Obs::SyncFallback { region: self.region, on: false, waited, released: 0 });
        }
    }
}

/// The `k`-th largest of `xs` (from 1), 0 when there are fewer.
fn kth_largest(xs: impl Iterator<Item = u64>, k: usize) -> u64 {
    let mut v: Vec<u64> = xs.collect();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v.get(k.wrapping_sub(1)).copied().unwrap_or(0)
}
