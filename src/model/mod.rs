//! The simulated system: regions with clocks, the network, one datastore node per
//! region, the control plane, routers and clients. `World::handle` takes one event,
//! lets the part it concerns react, and turns what that part asked for (messages,
//! timers) into new events; what happened observably is left in `World::obs` for the
//! checkers and metrics. The model never looks at checkers or reports.

pub mod apptier;
pub mod client;
pub mod clock;
pub mod control;
pub mod guard;
pub mod network;
pub mod replication;
pub mod store;
pub mod stream;
pub mod trace;
pub mod types;

use crate::engine::{RngStreams, Scheduler, SimDuration, SimTime};
use crate::scenario::{RegionId, Scenario};
use client::{Ops, Router};
use clock::RegionClock;
use control::Control;
use network::Network;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::Store;
use types::*;

/// How often metrics sample lag and the liveness phase checks for convergence.
pub const SAMPLE_EVERY: SimDuration = SimDuration::from_ms(100);
/// How long the final reads of every list may take before the run ends without them.
pub const FINAL_READS_MAX: SimDuration = SimDuration::from_secs(30);

/// The closed set of events. Payloads live beside the engine's heap.
#[derive(Debug)]
pub enum Event {
    Arrival {
        region: RegionId,
    },
    Attempt {
        op: OpId,
    },
    Timeout {
        op: OpId,
        attempt: u32,
    },
    Deliver {
        from: RegionId,
        to: RegionId,
        msg: Msg,
    },
    ReplFlush {
        region: RegionId,
    },
    ApplyTick {
        region: RegionId,
    },
    NodeTick {
        region: RegionId,
    },
    ControlTick,
    Publish,
    RoutingApply {
        region: RegionId,
        writer: RegionId,
        epoch: u32,
        lag_us: Vec<u64>,
    },
    FaultStart {
        index: usize,
    },
    FaultEnd {
        index: usize,
    },
    Sample,
    EndDrill,
    /// The control plane's current runbook step has taken its time.
    RunbookNext,
    WorkerTick {
        region: RegionId,
    },
    /// A server of `region`'s application tier finished `job`, which it started in
    /// the region's `incarnation` (see `AppTier::incarnation`).
    ServiceDone {
        region: RegionId,
        cell: u32,
        job: apptier::Job,
        incarnation: u32,
    },
    /// A crashed server of the cell is back.
    ServerRestart {
        region: RegionId,
        cell: u32,
    },
    /// Client regions probe every region's cheap health path.
    HealthTick,
    /// A fenced primary's lease renewal timer (see `Store::on_lease_timer`).
    LeaseRenew {
        region: RegionId,
    },
}

impl Event {
    /// A digest of the event for the trace hash.
    pub fn trace_word(&self) -> u64 {
        let r = |x: RegionId| u64::from(x.0);
        match self {
            Event::Arrival { region } => 1 | r(*region) << 8,
            Event::Attempt { op } => 2 | u64::from(op.slot) << 8 | u64::from(op.gen) << 40,
            Event::Timeout { op, attempt } => {
                3 | u64::from(op.slot) << 8 | u64::from(*attempt) << 40
            }
            Event::Deliver { from, to, msg } => {
                4 | r(*from) << 8 | r(*to) << 16 | msg.tag() << 24 | msg_word(msg) << 32
            }
            Event::ReplFlush { region } => 5 | r(*region) << 8,
            Event::ApplyTick { region } => 6 | r(*region) << 8,
            Event::NodeTick { region } => 7 | r(*region) << 8,
            Event::ControlTick => 8,
            Event::Publish => 9,
            Event::RoutingApply { region, writer, epoch, .. } => {
                10 | r(*region) << 8 | r(*writer) << 16 | u64::from(*epoch) << 24
            }
            Event::FaultStart { index } => 11 | (*index as u64) << 8,
            Event::FaultEnd { index } => 12 | (*index as u64) << 8,
            Event::Sample => 13,
            Event::EndDrill => 14,
            Event::RunbookNext => 15,
            Event::WorkerTick { region } => 16 | r(*region) << 8,
            Event::ServiceDone { region, cell, job, .. } => {
                17 | r(*region) << 8 | u64::from(*cell) << 16 | u64::from(job.m.op.slot) << 32
            }
            Event::ServerRestart { region, cell } => 18 | r(*region) << 8 | u64::from(*cell) << 16,
            Event::HealthTick => 19,
            Event::LeaseRenew { region } => 20 | r(*region) << 8,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Event::Arrival { .. } => "arrival",
            Event::Attempt { .. } => "attempt",
            Event::Timeout { .. } => "timeout",
            Event::Deliver { msg, .. } => msg.name(),
            Event::ReplFlush { .. } => "repl_flush",
            Event::ApplyTick { .. } => "apply_tick",
            Event::NodeTick { .. } => "node_tick",
            Event::ControlTick => "control_tick",
            Event::Publish => "publish",
            Event::RoutingApply { .. } => "routing_apply",
            Event::FaultStart { .. } => "fault_start",
            Event::FaultEnd { .. } => "fault_end",
            Event::Sample => "sample",
            Event::EndDrill => "end_drill",
            Event::RunbookNext => "runbook_next",
            Event::WorkerTick { .. } => "worker_tick",
            Event::ServiceDone { .. } => "service_done",
            Event::ServerRestart { .. } => "server_restart",
            Event::HealthTick => "health_tick",
            Event::LeaseRenew { .. } => "lease_renew",
        }
    }
}

fn msg_word(m: &Msg) -> u64 {
    match m {
        Msg::Request { m: store::ReqMeta { op, attempt, .. }, .. }
        | Msg::Response { op, attempt, .. } => u64::from(op.slot) ^ u64::from(*attempt) << 24,
        Msg::Append { prev_lsn, entries, .. } => prev_lsn ^ (entries.len() as u64) << 20,
        Msg::AppendAck { end_lsn, .. } => *end_lsn,
        Msg::Snapshot(s) => s.lsn,
        Msg::Reconcile | Msg::HealthProbe | Msg::HealthOk => 0,
        Msg::SuccessorProbe { round } => *round,
        Msg::SuccessorAck { round, writer_heard } => round << 1 | u64::from(*writer_heard),
        Msg::IdentityCheck { job } | Msg::IdentityReply { job, .. } => u64::from(job.m.op.slot),
        Msg::Reapply { entries } => entries.len() as u64,
        Msg::Updates { updates, end, .. } => updates.first().map_or(*end, |u| u.seq),
        Msg::UpdatesAck { upto } => *upto,
        Msg::Propose { pid, .. } | Msg::ProposeReply { pid, .. } | Msg::Decide { pid, .. } => *pid,
        Msg::Freeze { frozen } => u64::from(*frozen),
        Msg::Queues { epoch, quarantine } => u64::from(*epoch) << 1 | u64::from(*quarantine),
        Msg::Heartbeat { report, .. } => report.end_lsn,
        Msg::LeaseRequest { requested_local_us, .. } => *requested_local_us as u64,
        Msg::LeaseGrant { epoch, .. } | Msg::Config { epoch, .. } | Msg::Routing { epoch, .. } => {
            u64::from(*epoch)
        }
    }
}

/// What a part of the model asked for while handling an event.
#[derive(Default)]
pub struct Out {
    pub sends: Vec<(RegionId, RegionId, Msg)>,
    pub timers: Vec<(SimTime, Event)>,
    pub obs: Vec<Obs>,
}

impl Out {
    pub fn send(&mut self, from: RegionId, to: RegionId, msg: Msg) {
        self.sends.push((from, to, msg));
    }
    pub fn timer(&mut self, at: SimTime, ev: Event) {
        self.timers.push((at, ev));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Load and faults, for `duration`.
    Drill,
    /// Faults healed, load stopped: the system must converge within `convergence_max`.
    Converging {
        since: SimTime,
    },
    /// Converged (or out of time): every region reads every list once, through the
    /// normal read path, so checkers can compare what each region ends with.
    FinalReads {
        since: SimTime,
    },
    Done,
}

/// The simulated system: a few subsystems, each a struct of its own, whose handlers
/// (in `world/`) the event dispatch calls.
pub struct World {
    pub s: Arc<Scenario>,
    pub now: SimTime,
    /// Each region's own conditions and processes.
    pub regions: Regions,
    pub net: Network,
    /// One datastore node per region, and the protocol that keeps them in step.
    pub stores: Vec<Store>,
    pub replication: Box<dyn replication::Replication>,
    pub control: Control,
    /// Services beside the data path: the control plane's and identity's processes,
    /// the outside provider, and a faulted customer.
    pub services: Services,
    pub clients: Clients,
    /// Which of the scenario's faults are in effect.
    pub fault_active: Vec<bool>,
    pub phase: Phase,
    /// Which client writes every store holds, in order (see `store::Journaled`).
    pub journal: store::Journal,
    pub converged_at: Option<SimTime>,
    out: Out,
}

/// Each region's own conditions: whether it runs, its clock, its application tier, its
/// worker pool, and its cache of checked tokens.
pub struct Regions {
    pub up: Vec<bool>,
    pub clocks: Vec<RegionClock>,
    /// Each region's application tier (empty without `design.capacity`).
    pub tiers: Vec<apptier::AppTier>,
    pub workers: Vec<stream::Workers>,
    /// Per region and customer: until when a checked token is cached.
    pub token_cache: BTreeMap<(RegionId, u32), SimTime>,
    rng_tiers: ChaCha8Rng,
    rng_workers: ChaCha8Rng,
}

/// What runs beside the data path and faults can stop or poison.
pub struct Services {
    /// The control plane and the identity service run (faults stop them).
    pub control_up: bool,
    pub identity_up: bool,
    /// The external provider the workers call (the outside world).
    pub provider: stream::Provider,
    /// The customer whose requests crash servers, while a poison_customer fault lasts.
    pub poison_customer: Option<u32>,
}

/// The clients of every region: operations in flight, routers, sessions, and load.
pub struct Clients {
    pub ops: Ops,
    pub routers: Vec<Router>,
    /// Per client session and key, the newest version the session wrote or read: the
    /// session token its session-class reads carry. Bounded by regions x sessions x keys.
    sessions: BTreeMap<(RegionId, u32, Key), Version>,
    /// Numbers logical operations; retries keep their operation's number.
    next_op_key: u64,
    /// Per client region: the arrival-rate multiplier of active surges, and the retry
    /// budget's tokens.
    pub surge: Vec<f64>,
    pub retry_tokens: Vec<f64>,
    /// Too many operations were in flight: the run stops with an error.
    pub limit_hit: bool,
    rng: ChaCha8Rng,
    rng_retry: ChaCha8Rng,
}

impl World {
    pub fn new(s: Arc<Scenario>, seed: u64) -> Self {
        let streams = RngStreams::new(seed);
        let n = s.regions.len();
        let cells = s.workload.key_count() as usize;
        let clocks: Vec<RegionClock> =
            s.regions.iter().map(|r| RegionClock::new(r.clock_offset_us, r.drift_ppm)).collect();
        let mut stores: Vec<Store> =
            s.region_ids().map(|r| Store::new(r, n, s.primary(), cells)).collect();
        for st in &mut stores {
            for k in 0..s.workload.key_count() {
                st.cells[k as usize].value = s.workload.initial_value(k);
            }
            st.retain_for_workers = s.design.stream.side_effects;
            let wl = &s.workload;
            st.with_lists(wl.list_base(), wl.lists, wl.list_length_max);
            st.grant_initial_lease(clocks[st.region.idx()].local(SimTime::ZERO), s.design.lease);
        }
        let control_local = clocks[s.design.control_region.idx()].local(SimTime::ZERO);
        let control = Control::new(&s, control_local + s.design.lease.as_us() as i64);
        let routers = s.region_ids().map(|r| Router::new(&s, r)).collect();
        World {
            net: Network::new(&s, streams.stream("network")),
            clients: Clients {
                rng: streams.stream("clients"),
                surge: vec![1.0; n],
                retry_tokens: vec![s.workload.budget.map_or(0.0, |b| b.burst); n],
                rng_retry: streams.stream("retry"),
                routers,
                ops: Ops::default(),
                limit_hit: false,
                next_op_key: 0,
                sessions: BTreeMap::new(),
            },
            regions: Regions {
                clocks,
                up: vec![true; n],
                workers: s.region_ids().map(stream::Workers::new).collect(),
                tiers: match &s.design.capacity {
                    Some(c) => s.region_ids().map(|_| apptier::AppTier::new(c)).collect(),
                    None => Vec::new(),
                },
                token_cache: BTreeMap::new(),
                rng_tiers: streams.stream("apptier"),
                rng_workers: streams.stream("workers"),
            },
            stores,
            services: Services {
                poison_customer: None,
                control_up: true,
                identity_up: true,
                provider: stream::Provider::default(),
            },
            control,
            replication: replication::build(&s),
            fault_active: vec![false; s.faults.len()],
            phase: Phase::Drill,
            journal: store::Journal::default(),
            converged_at: None,
            now: SimTime::ZERO,
            out: Out::default(),
            s,
        }
    }

    /// Schedules the first events of a run.
    pub fn start(&mut self, sched: &mut Scheduler<Event>) {
        for &r in &self.s.workload.client_regions.clone() {
            let d = client::interarrival(&self.s, 1.0, &mut self.clients.rng);
            sched.after(d, Event::Arrival { region: r });
        }
        for r in self.s.region_ids() {
            // Stagger node ticks so regions do not act in lockstep.
            let offset =
                SimDuration(u64::from(r.0) * 7_919 % self.s.design.heartbeat.as_us().max(1));
            sched.after(offset, Event::NodeTick { region: r });
        }
        sched.after(self.s.design.heartbeat, Event::ControlTick);
        for r in self.s.region_ids() {
            sched.after(self.s.design.stream.tick, Event::WorkerTick { region: r });
        }
        sched.after(self.s.design.routing_refresh, Event::Publish);
        if let Some(h) = self.s.design.health {
            sched.after(h.interval, Event::HealthTick);
        }
        sched.after(SAMPLE_EVERY, Event::Sample);
        for (i, f) in self.s.faults.iter().enumerate() {
            sched.at(f.at, Event::FaultStart { index: i });
            if let Some(u) = f.until {
                sched.at(u, Event::FaultEnd { index: i });
            }
        }
        sched.at(SimTime::ZERO + self.s.duration, Event::EndDrill);
    }

    pub fn local(&self, r: RegionId) -> i64 {
        self.regions.clocks[r.idx()].local(self.now)
    }

    /// Takes the observations the last event produced.
    pub fn take_obs(&mut self) -> Vec<Obs> {
        std::mem::take(&mut self.out.obs)
    }
    /// Hands back the (drained) observation buffer so its allocation is reused.
    pub fn return_obs(&mut self, mut v: Vec<Obs>) {
        v.clear();
        if self.out.obs.is_empty() {
            self.out.obs = v;
        }
    }

    /// Handles one event.
    pub fn handle(&mut self, ev: Event, sched: &mut Scheduler<Event>) {
        self.now = sched.now();
        match ev {
            Event::Arrival { region } => self.on_arrival(region, sched),
            Event::Attempt { op } => self.start_attempt(op),
            Event::Timeout { op, attempt } => self.on_timeout(op, attempt),
            Event::Deliver { from, to, msg } => self.deliver(from, to, msg),
            Event::ReplFlush { region } => {
                let local_us = self.local(region);
                let st = &mut self.stores[region.idx()];
                let cx = &mut replication::Cx {
                    s: &self.s,
                    now: self.now,
                    local_us,
                    out: &mut self.out,
                };
                self.replication.flush(st, cx);
            }
            Event::ApplyTick { region } => {
                self.stores[region.idx()].apply_tick(self.now, &self.s.design, &mut self.out)
            }
            Event::NodeTick { region } => self.node_tick(region, sched),
            Event::ControlTick => {
                let c = self.control.region;
                if self.regions.up[c.idx()] && self.services.control_up {
                    let local = self.local(c);
                    self.control.tick(
                        self.now,
                        local,
                        &self.s.design,
                        self.s.regions.len(),
                        &mut self.out,
                    );
                }
                sched.after(self.s.design.heartbeat, Event::ControlTick);
            }
            Event::Publish => {
                if self.control_running() {
                    self.control.publish(self.s.regions.len(), &mut self.out);
                }
                sched.after(self.s.design.routing_refresh, Event::Publish);
            }
            Event::RoutingApply { region, writer, epoch, lag_us } => {
                self.routing_apply(region, writer, epoch, lag_us)
            }
            Event::FaultStart { index } => self.fault(index, true),
            Event::FaultEnd { index } => self.fault(index, false),
            Event::Sample => {
                self.phase_tick();
                sched.after(SAMPLE_EVERY, Event::Sample)
            }
            Event::EndDrill => self.end_drill(),
            Event::WorkerTick { region } => self.worker_tick(region, sched),
            Event::ServiceDone { region, cell, job, incarnation } => {
                self.service_done(region, cell as usize, job, incarnation)
            }
            Event::ServerRestart { region, cell } => self.start_service(region, cell as usize),
            Event::HealthTick => self.health_tick(sched),
            Event::LeaseRenew { region } => self.lease_renew(region),
            Event::RunbookNext => {
                // A control plane that is down finishes nothing; the runbook resumes
                // from this step if the region comes back before it is needed again.
                if self.control_running() {
                    let n = self.s.regions.len();
                    self.control.on_runbook_next(self.now, &self.s.design, n, &mut self.out);
                }
            }
        }
        self.flush_out(sched);
    }

    /// Turns requested sends into deliveries (or losses) and timers into events, and
    /// moves the stores' journal entries into the world's journal.
    fn flush_out(&mut self, sched: &mut Scheduler<Event>) {
        for st in &mut self.stores {
            for j in st.journal_new.drain(..) {
                self.journal.push(st.region, j);
            }
        }
        for (from, to, msg) in self.out.sends.drain(..) {
            if !self.regions.up[from.idx()] {
                continue;
            }
            if let Some(at) = self.net.send(self.now, from, to) {
                sched.at(at, Event::Deliver { from, to, msg });
            }
        }
        for (at, ev) in self.out.timers.drain(..) {
            sched.at(at, ev);
        }
    }

    fn worker_tick(&mut self, region: RegionId, sched: &mut Scheduler<Event>) {
        let tick = self.s.design.stream.tick;
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
            &self.s.design,
            tick,
            &mut self.regions.rng_workers,
            &mut self.out,
        );
    }

    fn node_tick(&mut self, region: RegionId, sched: &mut Scheduler<Event>) {
        sched.after(self.s.design.heartbeat, Event::NodeTick { region });
        if !self.regions.up[region.idx()] {
            return;
        }
        let local = self.local(region);
        let st = &mut self.stores[region.idx()];
        let cx =
            &mut replication::Cx { s: &self.s, now: self.now, local_us: local, out: &mut self.out };
        self.replication.node_tick(st, cx);
        self.emergency_path(region, local);
        self.lease_watch(region);
        let lag = self.lag_estimate_us(region, local);
        let report = self.stores[region.idx()].report(lag);
        self.out.send(region, self.control.region, Msg::Heartbeat { report });
    }

    /// Starts a fenced primary's renewal timer if it runs none, firing at once: a node
    /// just promoted, or back from a crash as primary, asks for its lease without
    /// waiting. Heartbeats catch any role change this is not called after.
    fn lease_watch(&mut self, region: RegionId) {
        let st = &mut self.stores[region.idx()];
        if self.regions.up[region.idx()] && st.wants_lease_timer(&self.s.design) {
            st.arm_lease_timer(self.now, &mut self.out);
        }
    }

    /// Lease renewal runs on its own timer, every `renew_ms` on the node's clock, apart
    /// from heartbeats: a renewal interval shorter than the heartbeat interval is kept.
    fn lease_renew(&mut self, region: RegionId) {
        if !self.regions.up[region.idx()] {
            return;
        }
        let local = self.local(region);
        let st = &mut self.stores[region.idx()];
        let Some(requested_local_us) =
            st.on_lease_timer(self.now, local, &self.s.design, &mut self.out)
        else {
            return;
        };
        let msg = Msg::LeaseRequest { epoch: st.epoch, requested_local_us };
        self.out.send(region, self.control.region, msg);
    }

    /// The regional emergency path of the design's successor region: with neither the
    /// control plane nor the writer heard for detection time plus the old lease and the
    /// clock bound, it promotes itself and tells every region.
    fn emergency_path(&mut self, region: RegionId, local: i64) {
        let s = self.s.clone();
        let d = &s.design;
        if d.emergency_successor != Some(region) {
            return;
        }
        let now = self.now;
        let st = &mut self.stores[region.idx()];
        st.emergency_lease(local, d.lease);
        let quiet = d.detect_after + d.lease + d.clock_uncertainty;
        if st.primary
            || now.since(st.last_control_contact) <= d.detect_after
            || now.since(st.last_leader_contact) <= quiet
        {
            st.quorum = None;
            return;
        }
        if d.emergency_quorum && !self.successor_quorum(region) {
            return;
        }
        let st = &mut self.stores[region.idx()];
        let epoch = st.emergency_promote(now, local, d.lease, &mut self.out);
        self.out.obs.push(Obs::EpochGranted {
            epoch,
            region,
            fenced: d.fencing,
            by: Grantor::EmergencySuccessor,
            detected_at: Some(now),
        });
        let lag_us = vec![0; self.s.regions.len()];
        for to in self.s.region_ids() {
            self.out.send(region, to, Msg::Config { writer: region, epoch, reconcile: false });
            self.out.send(
                region,
                to,
                Msg::Routing { writer: region, epoch, lag_us: lag_us.clone() },
            );
        }
    }

    /// With `emergency_quorum`, the successor asks every region, each node tick, whether
    /// it has heard the writer or the control plane lately, and may promote itself once
    /// a majority of regions (itself included) of the current round say no. A successor
    /// cut off from the others hears no answers, so it does not promote itself while
    /// the writer may still be serving the rest.
    fn successor_quorum(&mut self, region: RegionId) -> bool {
        let n = self.s.regions.len();
        let st = &mut self.stores[region.idx()];
        let agreed = st.quorum.as_ref().map_or(0, |q| q.1.iter().filter(|a| **a).count());
        if 1 + agreed > n / 2 {
            st.quorum = None;
            return true;
        }
        let round = st.quorum.as_ref().map_or(1, |q| q.0 + 1);
        st.quorum = Some((round, vec![false; n]));
        for to in self.s.region_ids().filter(|r| *r != region) {
            self.out.send(region, to, Msg::SuccessorProbe { round });
        }
        false
    }

    /// A region answers the successor: a primary is the writer, so it has heard it.
    fn successor_probe(&mut self, at: RegionId, from: RegionId, round: u64) {
        let d = &self.s.design;
        let st = &self.stores[at.idx()];
        let quiet = d.detect_after + d.lease + d.clock_uncertainty;
        let writer_heard = st.primary
            || self.now.since(st.last_leader_contact) <= quiet
            || self.now.since(st.last_control_contact) <= d.detect_after;
        self.out.send(at, from, Msg::SuccessorAck { round, writer_heard });
    }

    /// A node's own estimate of its staleness, on its own clock: what it reports.
    fn lag_estimate_us(&self, region: RegionId, local: i64) -> u64 {
        let st = &self.stores[region.idx()];
        if st.primary {
            0
        } else {
            st.staleness_estimate_us(local)
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

    fn routing_apply(&mut self, region: RegionId, writer: RegionId, epoch: u32, lag_us: Vec<u64>) {
        let r = &mut self.clients.routers[region.idx()];
        if epoch < r.epoch {
            return;
        }
        let changed = r.writer != writer || r.epoch != epoch;
        r.writer = writer;
        r.epoch = epoch;
        r.lag_us = lag_us;
        if changed {
            self.out.obs.push(Obs::RoutingChanged { region, writer, epoch });
        }
    }

    /// A request reaches region `to`: through its application tier when the design has
    /// one, else straight to the store.
    fn arrive(&mut self, to: RegionId, from: RegionId, m: store::ReqMeta, req: Req) {
        // Retry amplification counts attempts that reach a region, served or not.
        self.out.obs.push(Obs::Attempt { region: to });
        let job = apptier::Job { from, m, req, enqueued_at: self.now };
        if let Some(id) = self.s.design.identity {
            let cached =
                self.regions.token_cache.get(&(to, m.customer)).is_some_and(|t| *t > self.now);
            if !cached {
                self.out.send(to, id.region, Msg::IdentityCheck { job });
                return;
            }
        }
        self.admit(to, job);
    }

    /// The identity service answered for `job`, which waits in region `at`.
    fn identity_reply(&mut self, at: RegionId, job: apptier::Job, ok: bool) {
        if !ok {
            let res = Res::Refused(Refusal::Unauthenticated);
            self.out.send(
                at,
                job.from,
                Msg::Response { op: job.m.op, attempt: job.m.attempt, res },
            );
            return;
        }
        if let Some(ttl) = self.s.design.identity.and_then(|i| i.cache_ttl) {
            self.regions.token_cache.insert((at, job.m.customer), self.now + ttl);
        }
        self.admit(at, job);
    }

    /// Into the application tier when the design has one, else straight to the store.
    fn admit(&mut self, to: RegionId, job: apptier::Job) {
        let (from, m, req) = (job.from, job.m, job.req);
        let Some(c) = &self.s.design.capacity else {
            self.execute(to, from, m, req);
            return;
        };
        let job = apptier::Job { enqueued_at: self.now, ..job };
        if let Some(limit) = c.shed_after {
            let (_, oldest) = self.regions.tiers[to.idx()].depth(self.now);
            if oldest > limit {
                let res = Res::Refused(Refusal::Overloaded);
                self.out.send(to, from, Msg::Response { op: m.op, attempt: m.attempt, res });
                return;
            }
        }
        match self.regions.tiers[to.idx()].admit(c, job, self.now) {
            Ok(cell) => self.start_service(to, cell),
            Err(_) => {
                let res = Res::Refused(Refusal::Overloaded);
                self.out.send(to, from, Msg::Response { op: m.op, attempt: m.attempt, res });
            }
        }
    }

    /// Starts what waits in the cell on its free servers; a region that is down runs
    /// no servers (and holds no queue: see `AppTier::region_down`).
    fn start_service(&mut self, region: RegionId, cell: usize) {
        if !self.regions.up[region.idx()] {
            return;
        }
        let c = self.s.design.capacity.as_ref().expect("an application tier");
        let tier = &mut self.regions.tiers[region.idx()];
        let incarnation = tier.incarnation;
        for (job, service) in tier.start(c, cell, self.now, &mut self.regions.rng_tiers) {
            let done = Event::ServiceDone { region, cell: cell as u32, job, incarnation };
            self.out.timer(self.now + service, done);
        }
    }

    fn service_done(&mut self, region: RegionId, cell: usize, job: apptier::Job, incarnation: u32) {
        // Work started before the region's latest outage died with it, and the outage
        // already freed its server: nothing finishes, and its client hears nothing.
        if incarnation != self.regions.tiers[region.idx()].incarnation {
            return;
        }
        debug_assert!(self.regions.up[region.idx()], "a down region finished work");
        let customer = job.m.customer;
        if self.services.poison_customer == Some(customer) {
            // The request crashes its server; its client hears nothing.
            let c = self.s.design.capacity.as_ref().expect("an application tier");
            let back = self.now + c.restart;
            self.regions.tiers[region.idx()].crash(cell, back);
            self.out.timer(back, Event::ServerRestart { region, cell: cell as u32 });
            self.out.obs.push(Obs::Served {
                region,
                cell: cell as u32,
                customer,
                ok: false,
                crashed: true,
            });
            self.start_service(region, cell);
            return;
        }
        let failed =
            self.regions.tiers[region.idx()].finish(cell, self.now, &mut self.regions.rng_tiers);
        self.out.obs.push(Obs::Served {
            region,
            cell: cell as u32,
            customer,
            ok: !failed,
            crashed: false,
        });
        if failed {
            let res = Res::Refused(Refusal::ServerError);
            self.out.send(
                region,
                job.from,
                Msg::Response { op: job.m.op, attempt: job.m.attempt, res },
            );
        } else {
            self.execute(region, job.from, job.m, job.req);
        }
        self.start_service(region, cell);
    }

    /// The store (or, with every region writing, the active-active path) handles it.
    fn execute(&mut self, to: RegionId, from: RegionId, m: store::ReqMeta, req: Req) {
        let local_us = self.local(to);
        let st = &mut self.stores[to.idx()];
        let cx = &mut replication::Cx { s: &self.s, now: self.now, local_us, out: &mut self.out };
        self.replication.request(st, cx, from, m, req);
    }

    fn deliver(&mut self, from: RegionId, to: RegionId, msg: Msg) {
        if !self.regions.up[to.idx()] {
            return;
        }
        let now = self.now;
        let local = self.local(to);
        let d = &self.s.design;
        let st = &mut self.stores[to.idx()];
        let out = &mut self.out;
        match msg {
            Msg::Request { m, req } => self.arrive(to, from, m, req),
            Msg::Updates { .. }
            | Msg::UpdatesAck { .. }
            | Msg::Propose { .. }
            | Msg::ProposeReply { .. }
            | Msg::Decide { .. }
            | Msg::Append { .. }
            | Msg::AppendAck { .. }
            | Msg::Snapshot(_) => {
                let cx = &mut replication::Cx { s: &self.s, now, local_us: local, out };
                self.replication.deliver(st, cx, from, msg)
            }
            Msg::Reconcile => st.reconciling = true,
            Msg::SuccessorProbe { round } => self.successor_probe(to, from, round),
            Msg::SuccessorAck { round, writer_heard } => {
                if let Some(q) = st.quorum.as_mut().filter(|q| q.0 == round) {
                    q.1[from.idx()] = !writer_heard;
                }
            }
            // The cheap path: the region's edge answers without its application tier.
            Msg::HealthProbe => out.send(to, from, Msg::HealthOk),
            Msg::HealthOk => {
                let g = &mut self.clients.routers[to.idx()].guards[from.idx()];
                g.probing = false;
                g.health.failures = 0;
                if g.health.down {
                    g.health.down = false;
                    out.obs.push(Obs::Guard {
                        region: to,
                        target: from,
                        guard: "health",
                        state: "up",
                    });
                }
            }
            Msg::IdentityCheck { job } => {
                out.send(to, from, Msg::IdentityReply { job, ok: self.services.identity_up });
            }
            Msg::IdentityReply { job, ok } => self.identity_reply(to, job, ok),
            Msg::Reapply { entries } => {
                // A store that is not the writer passes them back to be retried later.
                if st.primary {
                    st.on_reapply(now, local, d, from, entries, out);
                } else {
                    st.discarded.extend(entries);
                }
            }
            Msg::Response { op, attempt, res } => self.on_response(op, attempt, res),
            Msg::Heartbeat { report } => {
                if to == self.control.region && self.services.control_up {
                    self.control.on_heartbeat(now, from, report);
                }
            }
            Msg::LeaseRequest { epoch, requested_local_us } => {
                if to == self.control.region && self.services.control_up {
                    self.control.on_lease_request(local, d, from, epoch, requested_local_us, out);
                }
            }
            Msg::LeaseGrant { epoch, requested_local_us } => {
                st.last_control_contact = now;
                st.emergency = false;
                st.on_lease_grant(epoch, requested_local_us, d.lease)
            }
            Msg::Config { writer, epoch, reconcile } => {
                if from == self.control.region {
                    st.last_control_contact = now;
                }
                st.reconciling |= reconcile;
                st.on_config(now, writer, epoch, out);
                self.lease_watch(to);
            }
            Msg::Freeze { frozen } => st.frozen = frozen,
            Msg::Queues { epoch, quarantine } => {
                self.regions.workers[to.idx()].release(epoch, quarantine, st, now, local, d, out)
            }
            Msg::Routing { writer, epoch, lag_us } => {
                out.timer(
                    now + d.routing_propagation,
                    Event::RoutingApply { region: to, writer, epoch, lag_us },
                );
            }
        }
    }

    // ----- clients -----

    fn on_arrival(&mut self, region: RegionId, sched: &mut Scheduler<Event>) {
        if self.phase != Phase::Drill {
            return;
        }
        let d =
            client::interarrival(&self.s, self.clients.surge[region.idx()], &mut self.clients.rng);
        sched.after(d, Event::Arrival { region });
        let mut op = client::draw_op(&self.s, &mut self.clients.rng, region, self.now);
        self.clients.next_op_key += 1;
        op.key = self.clients.next_op_key;
        if self.clients.ops.alive >= client::OPS_IN_FLIGHT_MAX {
            self.clients.limit_hit = true;
            return;
        }
        let (kind, op_key, req) = (op.kind, op.key, op.req);
        let id = self.clients.ops.insert(op);
        self.out.obs.push(Obs::Invoke { op: id, kind, region, op_key, req });
        if !self.regions.up[region.idx()] {
            // The region's edge is down with it: its users get an error at once.
            self.complete(id, false, None, None);
            return;
        }
        self.start_attempt(id);
    }

    fn start_attempt(&mut self, id: OpId) {
        let now = self.now;
        let timeout = self.s.workload.timeout;
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        op.attempt += 1;
        op.backing_off = false;
        let router = &self.clients.routers[op.region.idx()];
        let (req, target) = match (op.prechecking, op.req.precheck_key()) {
            (true, Some(key)) => {
                let class = crate::scenario::ReadClass::Eventual;
                (Req::Read { key, class, min_version: Version::default() }, router.nearest[0])
            }
            _ => {
                let mut req = op.req;
                if let Req::Read { key, min_version, .. } = &mut req {
                    *min_version = self
                        .clients
                        .sessions
                        .get(&(op.region, op.session, *key))
                        .copied()
                        .unwrap_or_default();
                }
                (req, self.replication.route(&self.s, router, op))
            }
        };
        let (region, attempt, token, op_key) = (op.region, op.attempt, router.epoch, op.key);
        op.target = target;
        op.sent_at = now;
        if let Some(b) = &self.s.design.breaker {
            if !self.clients.routers[region.idx()].guards[target.idx()].breaker.allow(now, b) {
                // Fail fast: the attempt never leaves the client region.
                let res = Res::Refused(Refusal::BreakerOpen);
                self.out.timer(
                    now,
                    Event::Deliver {
                        from: target,
                        to: region,
                        msg: Msg::Response { op: id, attempt, res },
                    },
                );
                return;
            }
        }
        let customer = client::customer_of(op_key, self.s.workload.customers);
        let idem = self.s.design.idempotency_keys && req.is_write();
        let effect = self.s.design.stream.side_effects && op.kind.has_effect() && req.is_write();
        self.out.send(
            region,
            target,
            Msg::Request {
                m: store::ReqMeta {
                    op: id,
                    attempt,
                    token,
                    op_key,
                    idem,
                    effect,
                    kind: op.kind,
                    deadline: now + timeout,
                    customer,
                },
                req,
            },
        );
        self.out.timer(now + timeout, Event::Timeout { op: id, attempt });
    }

    fn health_tick(&mut self, sched: &mut Scheduler<Event>) {
        let Some(h) = self.s.design.health else { return };
        sched.after(h.interval, Event::HealthTick);
        for &from in &self.s.workload.client_regions.clone() {
            if !self.regions.up[from.idx()] {
                continue;
            }
            for to in self.s.region_ids() {
                let g = &mut self.clients.routers[from.idx()].guards[to.idx()];
                if g.probing {
                    g.health.failures += 1;
                    if g.health.failures >= h.threshold && !g.health.down {
                        g.health.down = true;
                        self.out.obs.push(Obs::Guard {
                            region: from,
                            target: to,
                            guard: "health",
                            state: "down",
                        });
                    }
                }
                g.probing = true;
                self.out.send(from, to, Msg::HealthProbe);
            }
        }
    }

    /// Feeds an attempt's outcome to the client region's guards on its target.
    fn guard_outcome(
        &mut self,
        region: RegionId,
        target: RegionId,
        ok: bool,
        latency: SimDuration,
    ) {
        let now = self.now;
        let d = &self.s.design;
        let g = &mut self.clients.routers[region.idx()].guards[target.idx()];
        if let Some(b) = &d.breaker {
            if let Some(st) = g.breaker.record(now, ok, b) {
                self.out.obs.push(Obs::Guard {
                    region,
                    target,
                    guard: "breaker",
                    state: st.name(),
                });
            }
        }
        if let Some(c) = &d.detection {
            if let Some(bad) = g.detector.record(ok, latency, c) {
                let state = if bad { "degraded" } else { "healthy" };
                self.out.obs.push(Obs::Guard { region, target, guard: "detector", state });
            }
        }
    }

    fn on_timeout(&mut self, id: OpId, attempt: u32) {
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        if op.attempt != attempt || op.backing_off {
            return;
        }
        if op.req.is_write() && !op.prechecking {
            op.maybe_applied = true;
        }
        let (region, target, took) = (op.region, op.target, self.now.since(op.sent_at));
        self.guard_outcome(region, target, false, took);
        self.retry_or_fail(id);
    }

    fn retry_or_fail(&mut self, id: OpId) {
        let attempts = self.s.workload.attempts;
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        let retrying = matches!(self.phase, Phase::Drill | Phase::FinalReads { .. });
        if op.attempt < attempts && retrying {
            // A retry budget spends a token per retry; without one, the op gives up.
            let tokens = &mut self.clients.retry_tokens[op.region.idx()];
            if self.s.workload.budget.is_none() || *tokens >= 1.0 {
                if self.s.workload.budget.is_some() {
                    *tokens -= 1.0;
                }
                let d = client::backoff(
                    &self.s,
                    op.attempt + 1,
                    op.last_backoff,
                    &mut self.clients.rng_retry,
                );
                op.last_backoff = d;
                self.out.timer(self.now + d, Event::Attempt { op: id });
                op.backing_off = true;
                return;
            }
        }
        self.complete(id, false, None, None);
    }

    /// The client listens only to the attempt in flight: an answer to an attempt it has
    /// given up on (timed out, now backing off or retried) is dropped, as a client drops
    /// a late reply on a connection it abandoned. Whatever that attempt did is why a
    /// timed-out write counts as maybe applied, and how a retried write can apply twice.
    fn on_response(&mut self, id: OpId, attempt: u32, res: Res) {
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        if attempt != op.attempt || op.backing_off {
            return;
        }
        // A breaker's own refusal says nothing about the target.
        if !matches!(res, Res::Refused(Refusal::BreakerOpen)) {
            let ok = !matches!(res, Res::Refused(_));
            let (region, target, took) = (op.region, op.target, self.now.since(op.sent_at));
            self.guard_outcome(region, target, ok, took);
        }
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        match res {
            Res::Value { value, .. } if op.prechecking => {
                if op.req.precheck_passes(value) {
                    op.prechecking = false;
                    op.attempt = 0;
                    self.start_attempt(id);
                } else {
                    self.complete(id, true, None, None);
                }
            }
            Res::Value { value, version, seen } => {
                let served_by = op.target;
                let read = ReadResult { served_by, value, list: None, version, seen };
                self.complete(id, true, None, Some(Box::new(read)))
            }
            Res::List { elements, version, seen } => {
                let (served_by, value) = (op.target, elements.len() as i64);
                let read = ReadResult { served_by, value, list: Some(elements), version, seen };
                self.complete(id, true, None, Some(Box::new(read)))
            }
            Res::Written { version, write } => {
                self.complete(id, true, Some((version, write)), None)
            }
            Res::Declined => self.complete(id, true, None, None),
            Res::Refused(r) => {
                if r == Refusal::TooStale {
                    op.force_writer = true;
                }
                self.retry_or_fail(id);
            }
        }
    }

    /// Ends an operation: definite when acknowledged, declined or never sent;
    /// indeterminate when a write failed after an attempt that may have applied it.
    fn complete(
        &mut self,
        id: OpId,
        ok: bool,
        written: Option<(Version, WriteId)>,
        read: Option<Box<ReadResult>>,
    ) {
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        let (kind, region, invoked_at, attempts) = (op.kind, op.region, op.invoked_at, op.attempt);
        let (delta, key, session, op_key) = (op.delta, op.req.key(), op.session, op.key);
        if let (true, Some(b)) = (ok, self.s.workload.budget) {
            let t = &mut self.clients.retry_tokens[region.idx()];
            *t = (*t + b.ratio).min(b.burst);
        }
        // The session remembers the newest version it wrote or read of each key.
        let version = written.map(|w| w.0);
        if let Some(v) = version.or(read.as_ref().map(|r| r.version)) {
            let seen = self.clients.sessions.entry((region, session, key)).or_default();
            *seen = (*seen).max(v);
        }
        if !ok && op.maybe_applied {
            self.out.obs.push(Obs::Indeterminate {
                op: id,
                kind,
                region,
                delta,
                invoked_at,
                op_key,
            });
        } else {
            let delta = if version.is_some() { delta } else { 0 };
            self.out.obs.push(Obs::Complete {
                op: id,
                kind,
                region,
                ok,
                version,
                write: written.map(|w| w.1),
                delta,
                invoked_at,
                attempts,
                op_key,
                key,
                session,
                read,
            });
        }
        self.clients.ops.remove(id);
    }

    // ----- faults and phases -----

    fn fault(&mut self, index: usize, start: bool) {
        if !start && !self.fault_active[index] {
            return;
        }
        self.fault_active[index] = start;
        self.out.obs.push(if start {
            Obs::FaultStarted { index }
        } else {
            Obs::FaultEnded { index }
        });
        let s = self.s.clone();
        s.faults[index].kind.apply(start, self);
    }

    /// The drill ends: faults heal (clock skews stay: clocks do not jump back), load
    /// stops, and the liveness phase begins.
    fn end_drill(&mut self) {
        for i in 0..self.fault_active.len() {
            if self.fault_active[i] && self.s.faults[i].kind.heals_at_drill_end() {
                self.fault(i, false);
            }
        }
        self.phase = Phase::Converging { since: self.now };
    }

    /// The liveness phase ends once the system has converged, or after
    /// `convergence_max`; then come the final reads, which end when every one has its
    /// answer (or after `FINAL_READS_MAX`).
    fn phase_tick(&mut self) {
        match self.phase {
            Phase::Converging { since } => {
                let converged = self.converged();
                if converged {
                    self.converged_at = Some(self.now);
                }
                if converged || self.now.since(since) > self.s.convergence_max {
                    self.begin_final_reads();
                }
            }
            Phase::FinalReads { since } => {
                if self.clients.ops.alive == 0 || self.now.since(since) > FINAL_READS_MAX {
                    self.phase = Phase::Done;
                }
            }
            Phase::Drill | Phase::Done => {}
        }
    }

    /// Every region reads every list, from its own store.
    fn begin_final_reads(&mut self) {
        if self.s.workload.lists == 0 || !self.s.workload.has_lists() {
            self.phase = Phase::Done;
            return;
        }
        self.phase = Phase::FinalReads { since: self.now };
        self.out.obs.push(Obs::FinalReads);
        let base = self.s.workload.list_base();
        for region in self.s.region_ids() {
            for key in base..base + self.s.workload.lists {
                let mut op = client::final_read(region, key, self.now);
                self.clients.next_op_key += 1;
                op.key = self.clients.next_op_key;
                let (kind, op_key, req) = (op.kind, op.key, op.req);
                let id = self.clients.ops.insert(op);
                self.out.obs.push(Obs::Invoke { op: id, kind, region, op_key, req });
                if self.regions.up[region.idx()] {
                    self.start_attempt(id);
                } else {
                    self.complete(id, false, None, None);
                }
            }
        }
    }

    /// Whether the system has converged: every region up, nothing in flight, every
    /// store has applied what it holds, one writer, and every store holds the same value
    /// for every key. Convergence is of values, not of logs: two logs that agree on
    /// their length and labels but not on their content have not converged.
    pub fn converged(&self) -> bool {
        if self.clients.ops.alive > 0 || self.regions.up.iter().any(|u| !u) {
            return false;
        }
        let writer = self.control.writer;
        let w = &self.stores[writer.idx()];
        let drained =
            !self.s.design.stream.side_effects || self.regions.workers[writer.idx()].drained(w);
        self.replication.settled(&self.stores, writer, drained)
            && self.divergent_keys().next().is_none()
    }

    /// The keys whose value (for a list: its elements, in order) is not the same in
    /// every store.
    pub fn divergent_keys(&self) -> impl Iterator<Item = Key> + '_ {
        let first = &self.stores[0];
        (0..first.cells.len() as Key).filter(move |&k| {
            self.stores[1..].iter().any(|st| {
                st.cells[k as usize].value != first.cells[k as usize].value
                    || st.list(k) != first.list(k)
            })
        })
    }

    /// The control plane runs: its region is up and no outage stopped it.
    pub fn control_running(&self) -> bool {
        self.services.control_up && self.regions.up[self.control.region.idx()]
    }

    /// What stands between the system and convergence, one line per reason.
    pub fn convergence_gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        let name = |r: RegionId| self.s.region_name(r).to_string();
        for (i, up) in self.regions.up.iter().enumerate() {
            if !up {
                gaps.push(format!("{} is down", name(RegionId(i as u8))));
            }
        }
        if self.clients.ops.alive > 0 {
            gaps.push(format!("{} operations still in flight", self.clients.ops.alive));
        }
        let w = &self.stores[self.control.writer.idx()];
        if !w.primary || !w.ready {
            gaps.push(format!("the named writer {} is not serving as primary", name(w.region)));
        }
        let wk = &self.regions.workers[w.region.idx()];
        if self.s.design.stream.side_effects && w.primary && !wk.drained(w) {
            gaps.push(format!(
                "{}'s workers are at log position {} of {}{}",
                name(w.region),
                wk.pos,
                w.applied_lsn,
                if wk.paused { " (paused, waiting for a runbook queue step)" } else { "" }
            ));
        }
        let divergent = self.divergent_keys().count();
        if divergent > 0 {
            gaps.push(format!(
                "{divergent} {} a different value in different regions",
                if divergent == 1 { "key has" } else { "keys have" }
            ));
        }
        for st in &self.stores {
            if st.region != w.region && (st.end_lsn != w.end_lsn || st.applied_lsn != st.end_lsn) {
                gaps.push(format!(
                    "{} has applied {} of {} entries (writer {} has {})",
                    name(st.region),
                    st.applied_lsn,
                    st.end_lsn,
                    name(w.region),
                    w.end_lsn
                ));
            }
        }
        gaps
    }
}

/// What a fault may change in the world: conditions and operator actions only.
impl crate::fault::Conditions for World {
    fn region_running(&mut self, region: RegionId, up: bool) {
        self.regions.up[region.idx()] = up;
        if up {
            self.stores[region.idx()].restart(self.now, &mut self.out);
            self.lease_watch(region);
        } else {
            self.stores[region.idx()].crash();
            if let Some(tier) = self.regions.tiers.get_mut(region.idx()) {
                tier.region_down();
            }
        }
    }
    fn links_cut(&mut self, from: &[RegionId], to: &[RegionId], one_way: bool, cut: bool) {
        self.net.set_cut(from, to, one_way, !cut)
    }
    fn links_lossy(
        &mut self,
        from: &[RegionId],
        to: &[RegionId],
        one_way: bool,
        loss: f64,
        on: bool,
    ) {
        self.net.set_loss(from, to, one_way, loss, !on)
    }
    fn links_slow(
        &mut self,
        from: &[RegionId],
        to: &[RegionId],
        one_way: bool,
        factor: f64,
        on: bool,
    ) {
        self.net.set_slow(from, to, one_way, factor, !on)
    }
    fn replica_apply_factor(&mut self, region: RegionId, factor: f64) {
        let st = &mut self.stores[region.idx()];
        st.apply_factor = factor;
        st.schedule_apply(self.now, &mut self.out);
    }
    fn clock_skew(&mut self, region: RegionId, offset_us: i64, drift_ppm: f64) {
        self.regions.clocks[region.idx()].skew(self.now, offset_us, drift_ppm);
    }
    fn tier_degraded(
        &mut self,
        region: RegionId,
        degradation: Option<crate::fault::brownout::Degradation>,
    ) {
        let now = self.now;
        let Some(tier) = self.regions.tiers.get_mut(region.idx()) else { return };
        tier.brownout = degradation.map(|d| apptier::Brownout {
            latency_factor: d.latency_factor,
            capacity_factor: d.capacity_factor,
            error_rate: d.error_rate,
            start: now,
            ramp: d.ramp,
        });
        // Servers come back: start what waited for them.
        if degradation.is_none() {
            for cell in 0..self.regions.tiers[region.idx()].cells.len() {
                self.start_service(region, cell);
            }
        }
    }
    fn control_plane_running(&mut self, up: bool) {
        self.services.control_up = up;
    }
    fn identity_running(&mut self, up: bool) {
        self.services.identity_up = up;
    }
    fn poison_customer(&mut self, customer: Option<u32>) {
        self.services.poison_customer = customer;
    }
    fn arrivals_surge(&mut self, region: Option<RegionId>, factor: f64, start: bool) {
        for r in self.s.region_ids().filter(|r| region.is_none_or(|x| x == *r)) {
            if start {
                self.clients.surge[r.idx()] *= factor;
            } else {
                self.clients.surge[r.idx()] /= factor;
            }
        }
    }
    fn workers_running(&mut self, region: RegionId, up: bool) {
        let w = &mut self.regions.workers[region.idx()];
        if up {
            w.restart();
        } else {
            w.crash();
        }
    }
    fn consumer_rewound(&mut self, region: RegionId, events: Option<u64>, to: Option<SimTime>) {
        let st = &self.stores[region.idx()];
        self.regions.workers[region.idx()].rewind(st, events, to);
    }
    fn delivery_duplicated(&mut self, region: RegionId, probability: f64) {
        self.regions.workers[region.idx()].duplicate_probability = probability;
    }
    fn next_event_poisoned(&mut self, region: RegionId, on: bool) {
        let w = &mut self.regions.workers[region.idx()];
        if on {
            w.poison_next(&self.stores[region.idx()]);
        } else {
            w.cure(&mut self.out);
        }
    }
    fn operator_promotes(&mut self, region: RegionId, fenced: bool) {
        if self.control_running() {
            let local = self.local(self.control.region);
            let n = self.s.regions.len();
            let d = &self.s.design;
            self.control.operator_promote(self.now, local, d, region, fenced, n, &mut self.out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client listens only to the attempt in flight. A late refusal of an attempt it
    /// gave up on used to start yet another retry while the current attempt was in
    /// flight, and to count against the current target in the circuit breaker.
    #[test]
    fn a_late_answer_to_an_abandoned_attempt_is_ignored() {
        let text = r#"{"version": 1, "name": "t", "duration_s": 10,
            "regions": [{"name": "a", "role": "primary"}, {"name": "b", "role": "standby"}],
            "design": {"breaker": {"failure_rate": 0.5, "window": 10, "open_ms": 1000}},
            "workload": {"rate_per_s": 10, "mix": {"register.write": 1.0},
                         "retry": {"attempts": 3, "backoff_ms": 10}}}"#;
        let s = Arc::new(crate::scenario::from_str("t.json", text).expect("valid"));
        let mut w = World::new(s.clone(), 1);
        let mut rng = RngStreams::new(1).stream("test");
        let region = RegionId(0);
        let op = client::draw_op(&s, &mut rng, region, SimTime::ZERO);
        let id = w.clients.ops.insert(op);
        w.start_attempt(id);
        // Attempt 1 times out; the client backs off, then sends attempt 2.
        w.on_timeout(id, 1);
        w.start_attempt(id);
        assert_eq!(w.clients.ops.get(id).expect("in flight").attempt, 2);
        let target = w.clients.ops.get(id).expect("in flight").target;
        let window = w.clients.routers[0].guards[target.idx()].breaker.window_len();
        w.out.timers.clear();
        // The refusal of attempt 1 arrives late: nothing happens.
        w.on_response(id, 1, Res::Refused(Refusal::NotWriter));
        let op = w.clients.ops.get(id).expect("still in flight");
        assert_eq!((op.attempt, op.backing_off), (2, false));
        assert!(
            !w.out.timers.iter().any(|(_, e)| matches!(e, Event::Attempt { .. })),
            "no retry was scheduled"
        );
        assert_eq!(w.clients.routers[0].guards[target.idx()].breaker.window_len(), window);
        // The answer to attempt 2 is heard.
        let v = Version { epoch: 1, lsn: 1 };
        w.on_response(id, 2, Res::Written { version: v, write: WriteId::new(op_key(&w, id), 2) });
        assert!(w.clients.ops.get(id).is_none(), "completed");
    }

    fn op_key(w: &World, id: OpId) -> u64 {
        w.clients.ops.get(id).map_or(0, |o| o.key)
    }
}
