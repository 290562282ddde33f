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
use crate::scenario::{Candidate, Design, RegionId, Role, Scenario, StepKind};

/// How long `wait_caught_up` waits for both answers before asking again.
const CATCH_UP_ROUND: SimDuration = SimDuration::from_ms(1_000);

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
    /// A most-advanced promotion's question to the standbys, in flight.
    query: Option<PositionRound>,
    rounds: u32,
}

/// The standbys' answers to one round of "how much log do you hold?".
#[derive(Clone, Debug)]
struct PositionRound {
    round: u32,
    started: SimTime,
    asked: Vec<RegionId>,
    answers: Vec<Option<u64>>,
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
            query: None,
            rounds: 0,
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
        self.check_caught_up(now, design, regions, out);
        if design.automated_promotion
            && self.pending.is_none()
            && self.running.is_none()
            && now.since(self.last_heard[self.writer.idx()]) > design.detect_after
        {
            if let Some(target) = self.pick_standby(now, design, out) {
                self.detected_at = Some(now);
                self.plan(local_us, design, target, design.fencing, false);
            }
        }
        self.try_promote(now, local_us, design, regions, out);
    }

    /// The standby to promote, by the design's rule; `None` while a most-advanced
    /// round waits for answers, or when no standby qualifies.
    fn pick_standby(&mut self, now: SimTime, design: &Design, out: &mut Out) -> Option<RegionId> {
        match design.candidate {
            Candidate::LeastLagged => self.least_lagged_standby(now, design),
            Candidate::Fixed(target) => (target != self.writer).then_some(target),
            Candidate::MostAdvanced { timeout } => self.most_advanced(now, design, timeout, out),
        }
    }

    /// Asks every standby that may be promoted for its log position, then, once all
    /// answered or `timeout` passed, picks the longest (the first asked on a tie). A
    /// round nobody answered is asked again.
    fn most_advanced(
        &mut self,
        now: SimTime,
        design: &Design,
        timeout: SimDuration,
        out: &mut Out,
    ) -> Option<RegionId> {
        let Some(q) = &self.query else {
            let asked: Vec<RegionId> = (0..self.roles.len())
                .map(|i| RegionId(i as u8))
                .filter(|&r| self.eligible(r, design))
                .collect();
            self.ask_positions(now, asked, out);
            return None;
        };
        if q.answers.iter().any(|a| a.is_none()) && now.since(q.started) < timeout {
            return None;
        }
        let q = self.query.take()?;
        let mut best: Option<(u64, RegionId)> = None;
        for (r, a) in q.asked.iter().zip(&q.answers) {
            if let Some(end) = *a {
                if best.is_none_or(|(b, _)| end > b) {
                    best = Some((end, *r));
                }
            }
        }
        best.map(|(_, r)| r)
    }

    /// Starts a round of "how much log do you hold?" to `asked`.
    fn ask_positions(&mut self, now: SimTime, asked: Vec<RegionId>, out: &mut Out) {
        self.rounds += 1;
        for &r in &asked {
            out.send(self.region, r, ControlMsg::PositionQuery { round: self.rounds });
        }
        let answers = vec![None; asked.len()];
        self.query = Some(PositionRound { round: self.rounds, started: now, asked, answers });
    }

    /// `wait_caught_up`, on every control tick while it is the step in progress: once
    /// the writer and the target have both answered, and the target holds as much as the
    /// writer (whose answer comes after it was told to stop writes: one link delivers in
    /// order), the step ends; otherwise they are asked again (after `CATCH_UP_ROUND`
    /// without both answers, too).
    fn check_caught_up(&mut self, now: SimTime, design: &Design, regions: usize, out: &mut Out) {
        let Some(run) = self.running else { return };
        if design.runbook.get(run.step).is_none_or(|s| s.kind != StepKind::WaitCaughtUp) {
            return;
        }
        let asked = vec![self.writer, run.promotion.target];
        let Some(q) = &self.query else {
            self.ask_positions(now, asked, out);
            return;
        };
        match (q.answers[0], q.answers[1]) {
            (Some(writer), Some(target)) if target >= writer => {
                self.query = None;
                out.obs.push(Obs::RunbookStep { step: StepKind::WaitCaughtUp, start: false });
                self.running = Some(RunbookRun { step: run.step + 1, ..run });
                self.run_steps(now, design, regions, out);
            }
            (Some(_), Some(_)) => self.ask_positions(now, asked, out),
            _ if now.since(q.started) >= CATCH_UP_ROUND => self.ask_positions(now, asked, out),
            _ => {}
        }
    }

    /// A standby's answer to a most-advanced round.
    pub fn on_position_reply(&mut self, from: RegionId, round: u32, end_lsn: u64) {
        let Some(q) = self.query.as_mut().filter(|q| q.round == round) else { return };
        if let Some(i) = q.asked.iter().position(|&r| r == from) {
            q.answers[i] = Some(end_lsn);
        }
    }

    /// Whether `r` may be promoted: a standby, not the writer, and, when the design
    /// requires it, named in `sync_standbys`.
    fn eligible(&self, r: RegionId, design: &Design) -> bool {
        r != self.writer
            && self.roles[r.idx()] == Role::Standby
            && (!design.require_sync_standby
                || design.sync_standbys.as_ref().is_some_and(|s| s.sites.contains(&r)))
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
        for i in 0..self.roles.len() {
            let r = RegionId(i as u8);
            if !self.eligible(r, design) || now.since(self.last_heard[i]) > design.detect_after {
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
            if step.kind == StepKind::WaitCaughtUp {
                // The control tick ends it once the target holds the writer's log.
                self.ask_positions(now, vec![self.writer, run.promotion.target], out);
                return;
            }
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
            // Asked in `run_steps`, ended by `check_caught_up`.
            StepKind::WaitCaughtUp => {}
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
