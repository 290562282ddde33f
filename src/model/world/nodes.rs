//! Each region's periodic duties: its store's node tick and heartbeat, lease renewal
//! and watch, its workers, the emergency successor's path, and lag estimates.

use super::super::*;

impl World {
    pub(in crate::model) fn worker_tick(&mut self, region: RegionId, sched: &mut Scheduler<Event>) {
        let tick = self.scenario.design.stream.tick;
        sched.after(tick, Event::WorkerTick { region });
        if !self.regions.up[region.idx()] {
            return;
        }
        let local = self.local(region);
        let (st, wk) = (&mut self.stores[region.idx()], &mut self.regions.workers[region.idx()]);
        let p = &mut self.services.provider;
        wk.tick(
            st,
            p,
            self.now,
            local,
            &self.scenario.design,
            tick,
            &mut self.regions.rng_workers,
            &mut self.out,
        );
    }

    pub(in crate::model) fn node_tick(&mut self, region: RegionId, sched: &mut Scheduler<Event>) {
        sched.after(self.scenario.design.heartbeat, Event::NodeTick { region });
        if !self.regions.up[region.idx()] {
            return;
        }
        let local = self.local(region);
        self.repl(region, |protocol, store, cx| protocol.node_tick(store, cx));
        self.emergency_path(region, local);
        self.lease_watch(region);
        let lag = self.lag_estimate_us(region, local);
        let report = self.stores[region.idx()].report(lag);
        self.out.send(region, self.control.region, ControlMsg::Heartbeat { report });
    }

    /// Starts a fenced primary's renewal timer if it runs none, firing at once: a node
    /// just promoted, or back from a crash as primary, asks for its lease without
    /// waiting. Heartbeats catch any role change this is not called after.
    pub(in crate::model) fn lease_watch(&mut self, region: RegionId) {
        let store = &mut self.stores[region.idx()];
        if self.regions.up[region.idx()] && store.wants_lease_timer(&self.scenario.design) {
            store.arm_lease_timer(self.now, &mut self.out);
        }
    }

    /// Lease renewal runs on its own timer, every `renew_ms` on the node's clock, apart
    /// from heartbeats: a renewal interval shorter than the heartbeat interval is kept.
    pub(in crate::model) fn lease_renew(&mut self, region: RegionId, set_for: SimTime) {
        if !self.regions.up[region.idx()] {
            return;
        }
        let local = self.local(region);
        let store = &mut self.stores[region.idx()];
        let Some(requested_local_us) =
            store.on_lease_timer(self.now, set_for, local, &self.scenario.design, &mut self.out)
        else {
            return;
        };
        let msg = ControlMsg::LeaseRequest { epoch: store.epoch, requested_local_us };
        self.out.send(region, self.control.region, msg);
    }

    /// The regional emergency path of the design's successor region: with neither the
    /// control plane nor the writer heard for detection time plus the old lease and the
    /// clock bound, it promotes itself and tells every region.
    pub(in crate::model) fn emergency_path(&mut self, region: RegionId, local: i64) {
        let s = self.scenario.clone();
        let design = &s.design;
        if design.emergency_successor != Some(region) {
            return;
        }
        let now = self.now;
        let st = &mut self.stores[region.idx()];
        st.emergency_lease(local, design.lease);
        let quiet = design.detect_after + design.lease + design.clock_uncertainty;
        if st.primary
            || now.since(st.last_control_contact) <= design.detect_after
            || now.since(st.last_leader_contact) <= quiet
        {
            st.quorum = None;
            return;
        }
        if design.emergency_quorum && !self.successor_quorum(region) {
            return;
        }
        let st = &mut self.stores[region.idx()];
        let epoch = st.emergency_promote(now, local, design.lease, &mut self.out);
        self.out.obs.push(Obs::EpochGranted {
            epoch,
            region,
            fenced: design.fencing,
            by: Grantor::EmergencySuccessor,
            detected_at: Some(now),
        });
        let lag_us = vec![0; self.scenario.regions.len()];
        for to in self.scenario.region_ids() {
            self.out.send(
                region,
                to,
                ControlMsg::Config { writer: region, epoch, reconcile: false },
            );
            self.out.send(
                region,
                to,
                ControlMsg::Routing { writer: region, epoch, lag_us: lag_us.clone() },
            );
        }
    }

    /// With `emergency_quorum`, the successor asks every region, each node tick, whether
    /// it has heard the writer or the control plane lately, and may promote itself once
    /// a majority of regions (itself included) of the current round say no. A successor
    /// cut off from the others hears no answers, so it does not promote itself while
    /// the writer may still be serving the rest.
    pub(in crate::model) fn successor_quorum(&mut self, region: RegionId) -> bool {
        let regions = self.scenario.regions.len();
        let store = &mut self.stores[region.idx()];
        let agreed = store.quorum.as_ref().map_or(0, |q| q.1.iter().filter(|a| **a).count());
        if 1 + agreed > regions / 2 {
            store.quorum = None;
            return true;
        }
        let round = store.quorum.as_ref().map_or(1, |q| q.0 + 1);
        store.quorum = Some((round, vec![false; regions]));
        for to in self.scenario.region_ids().filter(|r| *r != region) {
            self.out.send(region, to, SuccessorMsg::Probe { round });
        }
        false
    }

    /// A region answers the successor: a primary is the writer, so it has heard it.
    pub(in crate::model) fn successor_probe(&mut self, at: RegionId, from: RegionId, round: u64) {
        let design = &self.scenario.design;
        let store = &self.stores[at.idx()];
        let quiet = design.detect_after + design.lease + design.clock_uncertainty;
        let writer_heard = store.primary
            || self.now.since(store.last_leader_contact) <= quiet
            || self.now.since(store.last_control_contact) <= design.detect_after;
        self.out.send(at, from, SuccessorMsg::Ack { round, writer_heard });
    }

    /// A node's own estimate of its staleness, on its own clock: what it reports.
    pub(in crate::model) fn lag_estimate_us(&self, region: RegionId, local: i64) -> u64 {
        let store = &self.stores[region.idx()];
        if store.primary {
            0
        } else {
            store.staleness_estimate_us(local)
        }
    }

    /// The true replication lag of `region` behind the current writer.
    pub fn true_lag_us(&self, region: RegionId) -> u64 {
        let w = &self.stores[self.control.writer.idx()];
        let f = &self.stores[region.idx()];
        if region == self.control.writer {
            return 0;
        }
        if f.applied_lsn < f.end_lsn {
            if let Some(t) = f.commit_at(f.applied_lsn + 1) {
                return self.now.since(t).as_us();
            }
        }
        if w.end_lsn > f.end_lsn {
            if let Some(t) = w.commit_at(f.end_lsn + 1) {
                return self.now.since(t).as_us();
            }
        }
        0
    }
}
