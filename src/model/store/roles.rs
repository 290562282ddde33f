//! Who a store is: promotion and stepping down, the configuration the control plane
//! names, leases (granted, renewed, lapsed), the emergency path, crashes and restarts.

use super::*;

impl Store {
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
    pub fn lease_request(&mut self, design: &Design, local_us: i64) -> Option<i64> {
        let renew_us = design.lease_renew.as_us() as i64;
        let due = self.lease_asked_local_us.is_none_or(|asked| local_us - asked >= renew_us);
        if !(design.fencing && self.primary && due) {
            return None;
        }
        self.lease_asked_local_us = Some(local_us);
        Some(local_us)
    }

    /// A primary under fencing that has no renewal timer running needs one started.
    pub fn wants_lease_timer(&self, design: &Design) -> bool {
        design.fencing && self.primary && self.up && self.lease_timer_at.is_none()
    }

    /// Starts (or continues) the renewal timer: it fires at `at`.
    pub fn arm_lease_timer(&mut self, at: SimTime, out: &mut Out) {
        self.lease_timer_at = Some(at);
        out.timer(at, crate::model::Event::LeaseRenew { region: self.region, at });
    }

    /// The renewal timer fired: returns the lease request to send, if one is due, and
    /// sets the timer again for when the next one is. The wait is measured on the local
    /// clock but slept in true time, so a drifting clock may wake the node a little
    /// early; it then finds nothing due and sleeps the remainder.
    pub fn on_lease_timer(
        &mut self,
        now: SimTime,
        set_for: SimTime,
        local_us: i64,
        design: &Design,
        out: &mut Out,
    ) -> Option<i64> {
        if self.lease_timer_at != Some(set_for) {
            return None;
        }
        self.lease_timer_at = None;
        if !(design.fencing && self.primary && self.up) {
            return None;
        }
        let request = self.lease_request(design, local_us);
        let asked = self.lease_asked_local_us.unwrap_or(local_us);
        let wait_us = (asked + design.lease_renew.as_us() as i64 - local_us).max(1);
        self.arm_lease_timer(now + SimDuration(wait_us as u64), out);
        request
    }

    /// Forgets the lease and the renewal schedule: the node stopped being the writer it
    /// was (stepped down, crashed, or promoted under a new epoch, which needs a lease of
    /// its own at once).
    pub(super) fn drop_lease(&mut self) {
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

    pub fn promote(&mut self, now: SimTime, epoch: u32, out: &mut Out) {
        // What it received becomes durable before it writes anything of its own.
        self.disk_flush = None;
        self.mark_durable(self.end_lsn);
        self.primary = true;
        self.epoch = epoch;
        self.leader = self.region;
        self.reset_fallback(out);
        self.drop_lease();
        self.lease_lapsed_reported = false;
        self.ready = self.applied_lsn == self.end_lsn;
        // Its log so far counts as committed; what it writes waits for its standbys.
        self.released_lsn = self.end_lsn;
        for (i, p) in self.peers.iter_mut().enumerate() {
            if i != self.region.idx() {
                *p = Peer {
                    sent: self.end_lsn,
                    acked: 0,
                    synced: 0,
                    last_progress: now,
                    snapshot_needed: false,
                    // A replica connects to a new primary when it first answers it.
                    last_heard: now,
                    connected: false,
                };
            }
        }
        // The new epoch's first entry will start at end + 1; record it now so followers
        // learn the boundary even before a write arrives.
        self.epochs.push((epoch, self.end_lsn + 1));
        self.note_term_leader(epoch, self.region);
        // It shows what its leader had shown (its commit point as a follower).
        self.visible = self.visible.max(self.commit_lsn);
        out.obs.push(Obs::RoleChange { region: self.region, primary: true, epoch });
        self.schedule_apply(now, out);
    }

    pub fn step_down(&mut self, out: &mut Out) {
        if !self.primary {
            return;
        }
        self.primary = false;
        self.reset_fallback(out);
        self.ready = false;
        self.drop_lease();
        self.pending_acks.clear();
        self.uncommitted.clear();
        out.obs.push(Obs::RoleChange { region: self.region, primary: false, epoch: self.epoch });
    }

    pub fn crash(&mut self, out: &mut Out) {
        self.up = false;
        self.lose_unflushed(out);
        self.reset_fallback(out);
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
