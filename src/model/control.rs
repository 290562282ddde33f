//! The control plane: one instance in one region. It hears heartbeats, grants leases to
//! the writer, detects a silent writer, and promotes: epoch + 1, wait out the old lease
//! plus the clock-uncertainty bound when fencing, pick the least-lagged standby, then
//! publish the new configuration to stores and routers. It only knows what messages
//! told it, so a partition can make it act on a stale picture.

use super::msg::*;
use super::obs::*;
use super::types::*;
use super::Out;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::{Design, RegionId, Role, Scenario, StepKind};

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
    /// The runbook in progress, if a promotion is under way.
    pub running: Option<RunbookRun>,
    /// The configuration stores and routers were last told (by `invalidate_routing`);
    /// what periodic publication repeats.
    published: (RegionId, u32),
    /// The runbook's reconcile step has run.
    pub reconcile: bool,
    pub detected_at: Option<SimTime>,
}

#[derive(Clone, Copy, Debug)]
pub struct RunbookRun {
    pub promotion: PendingPromotion,
    /// Index of the step in progress.
    pub step: usize,
    /// `declare_writer` has run.
    pub declared: bool,
}

impl Control {
    pub fn new(scenario: &Scenario, initial_lease_expiry_local_us: i64) -> Self {
        Control {
            region: scenario.design.control_region,
            writer: scenario.primary(),
            epoch: 1,
            last_heard: vec![SimTime::ZERO; scenario.regions.len()],
            reports: vec![None; scenario.regions.len()],
            roles: scenario.regions.iter().map(|r| r.role).collect(),
            lease_expiry_local_us: initial_lease_expiry_local_us,
            pending: None,
            running: None,
            published: (scenario.primary(), 1),
            reconcile: false,
            detected_at: None,
        }
    }

    pub fn lag_us(&self, r: RegionId) -> u64 {
        self.reports[r.idx()].map_or(0, |x| x.lag_us)
    }

    pub fn on_heartbeat(&mut self, now: SimTime, from: RegionId, report: NodeReport) {
        self.last_heard[from.idx()] = now;
        self.reports[from.idx()] = Some(report);
        // A writer promoted by a regional emergency path while this control plane was
        // away: adopt it rather than fight it.
        if report.is_primary && report.epoch > self.epoch {
            self.epoch = report.epoch;
            self.writer = from;
            self.published = (from, report.epoch);
            self.pending = None;
            self.running = None;
        }
    }

    /// A primary asks for its lease. Only the current writer in the current epoch gets
    /// it, and only while no promotion is planned: the new writer, once declared, asks
    /// for its own.
    pub fn on_lease_request(
        &mut self,
        local_us: i64,
        design: &Design,
        from: RegionId,
        epoch: u32,
        requested_local_us: i64,
        out: &mut Out,
    ) {
        let current = from == self.writer && epoch == self.epoch;
        let promoting = self.pending.is_some() || self.running.is_some_and(|r| !r.declared);
        if current && !promoting {
            self.lease_expiry_local_us =
                self.lease_expiry_local_us.max(local_us + design.lease.as_us() as i64);
            out.send(
                self.region,
                from,
                ControlMsg::LeaseGrant { epoch: self.epoch, requested_local_us },
            );
        }
    }

    /// Failure detection and the promotion runbook; called on every control tick.
    pub fn tick(
        &mut self,
        now: SimTime,
        local_us: i64,
        design: &Design,
        regions: usize,
        out: &mut Out,
    ) {
        // Under consensus the replicas elect their leader: the control plane decides
        // nothing (it still hears heartbeats, and so knows who leads).
        if design.consensus.is_some() {
            return;
        }
        if design.automated_promotion
            && self.pending.is_none()
            && self.running.is_none()
            && now.since(self.last_heard[self.writer.idx()]) > design.detect_after
        {
            if let Some(target) = self.least_lagged_standby(now, design) {
                self.detected_at = Some(now);
                self.plan(local_us, design, target, design.fencing, false);
            }
        }
        self.try_promote(now, local_us, design, regions, out);
    }

    /// An operator asks for `target` to become the writer now.
    #[allow(clippy::too_many_arguments)]
    pub fn operator_promote(
        &mut self,
        now: SimTime,
        local_us: i64,
        design: &Design,
        target: RegionId,
        fenced: bool,
        regions: usize,
        out: &mut Out,
    ) {
        if target == self.writer {
            return;
        }
        self.plan(local_us, design, target, fenced, true);
        self.try_promote(now, local_us, design, regions, out);
    }

    /// Records a promotion to carry out; a fenced one waits until the last lease granted
    /// has run out on this clock, plus the bound on how far clocks may disagree.
    fn plan(
        &mut self,
        local_us: i64,
        design: &Design,
        target: RegionId,
        fenced: bool,
        by_operator: bool,
    ) {
        let not_before_local_us = if fenced {
            self.lease_expiry_local_us + design.clock_uncertainty.as_us() as i64
        } else {
            local_us
        };
        self.pending = Some(PendingPromotion { target, not_before_local_us, fenced, by_operator });
    }

    fn least_lagged_standby(&self, now: SimTime, design: &Design) -> Option<RegionId> {
        let mut best: Option<(u64, RegionId)> = None;
        for (i, role) in self.roles.iter().enumerate() {
            let r = RegionId(i as u8);
            if r == self.writer
                || *role != Role::Standby
                || now.since(self.last_heard[i]) > design.detect_after
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

    fn try_promote(
        &mut self,
        now: SimTime,
        local_us: i64,
        design: &Design,
        regions: usize,
        out: &mut Out,
    ) {
        let Some(p) = self.pending else { return };
        if local_us < p.not_before_local_us || self.running.is_some() {
            return;
        }
        self.pending = None;
        self.running = Some(RunbookRun { promotion: p, step: 0, declared: false });
        self.run_steps(now, design, regions, out);
    }

    /// Runs runbook steps from the current one until one takes time (then a timer brings
    /// the runbook back) or the runbook is done.
    fn run_steps(&mut self, now: SimTime, design: &Design, regions: usize, out: &mut Out) {
        while let Some(run) = self.running {
            let Some(step) = design.runbook.get(run.step).copied() else {
                self.running = None;
                return;
            };
            out.obs.push(Obs::RunbookStep { step: step.kind, start: true });
            self.act(step.kind, run.promotion, design, regions, out);
            if step.duration > SimDuration::ZERO {
                out.timer(now + step.duration, super::Event::RunbookNext);
                return;
            }
            out.obs.push(Obs::RunbookStep { step: step.kind, start: false });
            self.running = Some(RunbookRun { step: run.step + 1, ..run });
        }
    }

    /// The current step's time is up: it ends and the next one starts.
    pub fn on_runbook_next(
        &mut self,
        now: SimTime,
        design: &Design,
        regions: usize,
        out: &mut Out,
    ) {
        let Some(run) = self.running else { return };
        if let Some(step) = design.runbook.get(run.step) {
            out.obs.push(Obs::RunbookStep { step: step.kind, start: false });
        }
        self.running = Some(RunbookRun { step: run.step + 1, ..run });
        self.run_steps(now, design, regions, out);
    }

    fn act(
        &mut self,
        kind: StepKind,
        pending: PendingPromotion,
        design: &Design,
        regions: usize,
        out: &mut Out,
    ) {
        let all = (0..regions).map(|i| RegionId(i as u8));
        match kind {
            StepKind::StopWrites => {
                all.for_each(|to| out.send(self.region, to, RunbookMsg::Freeze { frozen: true }))
            }
            StepKind::ResumeTraffic => {
                all.for_each(|to| out.send(self.region, to, RunbookMsg::Freeze { frozen: false }))
            }
            StepKind::DeclareWriter => {
                if let Some(r) = self.running.as_mut() {
                    r.declared = true;
                }
                if !design.bugs.reuse_epoch {
                    self.epoch += 1;
                }
                self.writer = pending.target;
                let detected_at = if pending.by_operator { None } else { self.detected_at };
                out.obs.push(Obs::EpochGranted {
                    epoch: self.epoch,
                    region: pending.target,
                    fenced: pending.fenced,
                    by: if pending.by_operator { Grantor::Operator } else { Grantor::ControlPlane },
                    detected_at,
                });
                out.send(
                    self.region,
                    pending.target,
                    ControlMsg::Config {
                        writer: self.writer,
                        epoch: self.epoch,
                        reconcile: self.reconcile,
                    },
                );
            }
            StepKind::DrainQueues | StepKind::QuarantineQueues => {
                let quarantine = kind == StepKind::QuarantineQueues;
                out.send(
                    self.region,
                    pending.target,
                    RunbookMsg::Queues { epoch: self.epoch, quarantine },
                );
            }
            StepKind::Reconcile => {
                // Stores learn it with every configuration from now on, so one cut off
                // now hears it when it comes back.
                self.reconcile = true;
                for i in 0..regions {
                    out.send(self.region, RegionId(i as u8), RunbookMsg::Reconcile);
                }
            }
            StepKind::InvalidateRouting => {
                self.published = (self.writer, self.epoch);
                self.publish(regions, out);
            }
        }
    }

    /// Sends the configuration to every store and the routing table to every router.
    pub fn publish(&mut self, regions: usize, out: &mut Out) {
        let lag_us: Vec<u64> = (0..regions).map(|i| self.lag_us(RegionId(i as u8))).collect();
        for i in 0..regions {
            let to = RegionId(i as u8);
            let (writer, epoch) = self.published;
            out.send(
                self.region,
                to,
                ControlMsg::Config { writer, epoch, reconcile: self.reconcile },
            );
            out.send(
                self.region,
                to,
                ControlMsg::Routing { writer, epoch, lag_us: lag_us.clone() },
            );
        }
    }
}
