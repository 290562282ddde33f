//! The control plane: one instance in one region. It hears heartbeats, grants leases to
//! the writer, detects a silent writer, and promotes: epoch + 1, wait out the old lease
//! plus the clock-uncertainty bound when fencing, pick the least-lagged standby, then
//! publish the new configuration to stores and routers. It only knows what messages
//! told it, so a partition can make it act on a stale picture.

use super::types::*;
use super::Out;
use crate::engine::SimTime;
use crate::scenario::{Design, RegionId, Role, Scenario};

#[derive(Clone, Copy, Debug)]
pub struct PendingPromotion {
    pub target: RegionId,
    /// Control-local time before which the promotion must not happen (lease wait).
    pub not_before_local_us: i64,
    pub fenced: bool,
    pub by_operator: bool,
}

pub struct Control {
    pub region: RegionId,
    pub writer: RegionId,
    pub epoch: u32,
    last_heard: Vec<SimTime>,
    reports: Vec<Option<NodeReport>>,
    roles: Vec<Role>,
    /// Control-local time at which the last lease it granted runs out.
    lease_expiry_local_us: i64,
    pub pending: Option<PendingPromotion>,
    pub detected_at: Option<SimTime>,
}

impl Control {
    pub fn new(s: &Scenario, initial_lease_expiry_local_us: i64) -> Self {
        Control {
            region: s.design.control_region,
            writer: s.primary(),
            epoch: 1,
            last_heard: vec![SimTime::ZERO; s.regions.len()],
            reports: vec![None; s.regions.len()],
            roles: s.regions.iter().map(|r| r.role).collect(),
            lease_expiry_local_us: initial_lease_expiry_local_us,
            pending: None,
            detected_at: None,
        }
    }

    pub fn lag_us(&self, r: RegionId) -> u64 {
        self.reports[r.idx()].map_or(0, |x| x.lag_us)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn on_heartbeat(
        &mut self,
        now: SimTime,
        local_us: i64,
        d: &Design,
        from: RegionId,
        report: NodeReport,
        lease_req: Option<i64>,
        out: &mut Out,
    ) {
        self.last_heard[from.idx()] = now;
        self.reports[from.idx()] = Some(report);
        if let Some(requested) = lease_req {
            let current = from == self.writer && report.epoch == self.epoch && report.is_primary;
            if current && self.pending.is_none() {
                self.lease_expiry_local_us =
                    self.lease_expiry_local_us.max(local_us + d.lease.as_us() as i64);
                out.send(
                    self.region,
                    from,
                    Msg::LeaseGrant { epoch: self.epoch, requested_local_us: requested },
                );
            }
        }
    }

    /// Failure detection and the promotion runbook; called on every control tick.
    pub fn tick(&mut self, now: SimTime, local_us: i64, d: &Design, regions: usize, out: &mut Out) {
        if d.automated_promotion
            && self.pending.is_none()
            && now.since(self.last_heard[self.writer.idx()]) > d.detect_after
        {
            if let Some(target) = self.least_lagged_standby(now, d) {
                self.detected_at = Some(now);
                self.plan(local_us, d, target, d.fencing, false);
            }
        }
        self.try_promote(local_us, regions, out);
    }

    /// An operator asks for `target` to become the writer now.
    pub fn operator_promote(
        &mut self,
        local_us: i64,
        d: &Design,
        target: RegionId,
        fenced: bool,
        regions: usize,
        out: &mut Out,
    ) {
        if target == self.writer {
            return;
        }
        self.plan(local_us, d, target, fenced, true);
        self.try_promote(local_us, regions, out);
    }

    /// Records a promotion to carry out; a fenced one waits until the last lease granted
    /// has run out on this clock, plus the bound on how far clocks may disagree.
    fn plan(
        &mut self,
        local_us: i64,
        d: &Design,
        target: RegionId,
        fenced: bool,
        by_operator: bool,
    ) {
        let not_before_local_us = if fenced {
            self.lease_expiry_local_us + d.clock_uncertainty.as_us() as i64
        } else {
            local_us
        };
        self.pending = Some(PendingPromotion { target, not_before_local_us, fenced, by_operator });
    }

    fn least_lagged_standby(&self, now: SimTime, d: &Design) -> Option<RegionId> {
        let mut best: Option<(u64, RegionId)> = None;
        for (i, role) in self.roles.iter().enumerate() {
            let r = RegionId(i as u8);
            if r == self.writer
                || *role != Role::Standby
                || now.since(self.last_heard[i]) > d.detect_after
            {
                continue;
            }
            let end = self.reports[i].map_or(0, |x| x.end_lsn);
            if best.is_none_or(|(b, _)| end > b) {
                best = Some((end, r));
            }
        }
        best.map(|(_, r)| r)
    }

    fn try_promote(&mut self, local_us: i64, regions: usize, out: &mut Out) {
        let Some(p) = self.pending else { return };
        if local_us < p.not_before_local_us {
            return;
        }
        self.pending = None;
        self.epoch += 1;
        self.writer = p.target;
        let detected_at = if p.by_operator { None } else { self.detected_at };
        out.obs.push(Obs::EpochGranted {
            epoch: self.epoch,
            region: p.target,
            fenced: p.fenced,
            by_operator: p.by_operator,
            detected_at,
        });
        self.publish(regions, out);
    }

    /// Sends the configuration to every store and the routing table to every router.
    pub fn publish(&mut self, regions: usize, out: &mut Out) {
        let lag_us: Vec<u64> = (0..regions).map(|i| self.lag_us(RegionId(i as u8))).collect();
        for i in 0..regions {
            let to = RegionId(i as u8);
            out.send(self.region, to, Msg::Config { writer: self.writer, epoch: self.epoch });
            out.send(
                self.region,
                to,
                Msg::Routing { writer: self.writer, epoch: self.epoch, lag_us: lag_us.clone() },
            );
        }
    }
}
