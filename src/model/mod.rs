//! The simulated system: regions with clocks, the network, one datastore node per
//! region, the control plane, routers and clients. `World::handle` takes one event,
//! lets the part it concerns react, and turns what that part asked for (messages,
//! timers) into new events; what happened observably is left in `World::obs` for the
//! checkers and metrics. The model never looks at checkers or reports.

pub mod apptier;
pub mod client;
pub mod clock;
pub mod control;
pub mod data;
pub mod event;
pub mod guard;
pub mod msg;
pub mod network;
pub mod obs;
pub mod provider;
pub mod replication;
pub mod store;
pub mod stream;
pub mod trace;
pub mod types;
mod world;

pub use event::Event;

use crate::engine::{RngStreams, Scheduler, SimDuration, SimTime};
use crate::scenario::{RegionId, Scenario};
use client::{Ops, Router};
use clock::RegionClock;
use control::Control;
use msg::*;
use network::Network;
use obs::*;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::Store;
use types::*;

/// How often metrics sample lag and the liveness phase checks for convergence.
pub const SAMPLE_EVERY: SimDuration = SimDuration::from_ms(100);
/// How long the final reads of every list may take before the run ends without them.
pub const FINAL_READS_MAX: SimDuration = SimDuration::from_secs(30);

/// What a part of the model asked for while handling an event.
#[derive(Default)]
pub struct Out {
    pub sends: Vec<(RegionId, RegionId, Msg)>,
    pub timers: Vec<(SimTime, Event)>,
    pub obs: Vec<Obs>,
}

impl Out {
    pub fn send(&mut self, from: RegionId, to: RegionId, msg: impl Into<Msg>) {
        self.sends.push((from, to, msg.into()));
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
    pub scenario: Arc<Scenario>,
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
    /// Per region: while its datastore process is paused, the events it would have
    /// handled, in order (`None` while it runs).
    pub paused: Vec<Option<std::collections::VecDeque<Event>>>,
    pub clocks: Vec<RegionClock>,
    /// Each region's application tier (empty without `design.capacity`).
    pub tiers: Vec<apptier::AppTier>,
    /// Each region's datastore servers (empty without `design.database`).
    pub db: Vec<apptier::AppTier>,
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
    pub provider: provider::Provider,
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

/// Every region's store at the start: the workload's initial values and lists, and
/// the initial primary's lease.
fn initial_stores(scenario: &Scenario, clocks: &[RegionClock]) -> Vec<Store> {
    let n = scenario.regions.len();
    let cells = scenario.workload.key_count() as usize;
    let mut stores: Vec<Store> =
        scenario.region_ids().map(|r| Store::new(r, n, scenario.primary(), cells)).collect();
    for st in &mut stores {
        for k in 0..scenario.workload.key_count() {
            st.cells[k as usize].value = scenario.workload.initial_value(k);
        }
        st.retain_for_workers = scenario.design.stream.side_effects;
        st.standby_flush = scenario.design.standby_flush;
        st.commit_level = scenario.design.commit_level;
        st.consensus = scenario.design.consensus.is_some();
        if scenario.design.consensus.as_ref().is_some_and(|c| c.commit_wait.is_some()) {
            st.keep_versions();
        }
        let workload = &scenario.workload;
        st.with_lists(workload.list_base(), workload.lists, workload.list_length_max);
        st.grant_initial_lease(clocks[st.region.idx()].local(SimTime::ZERO), scenario.design.lease);
    }
    stores
}

impl World {
    pub fn new(scenario: Arc<Scenario>, seed: u64) -> Self {
        let streams = RngStreams::new(seed);
        let n = scenario.regions.len();
        let clocks: Vec<RegionClock> = scenario
            .regions
            .iter()
            .map(|r| RegionClock::new(r.clock_offset_us, r.drift_ppm))
            .collect();
        let stores = initial_stores(&scenario, &clocks);
        let control_local = clocks[scenario.design.control_region.idx()].local(SimTime::ZERO);
        let control = Control::new(&scenario, control_local + scenario.design.lease.as_us() as i64);
        let routers = scenario.region_ids().map(|r| Router::new(&scenario, r)).collect();
        World {
            net: Network::new(&scenario, streams.stream("network")),
            clients: Clients {
                rng: streams.stream("clients"),
                surge: vec![1.0; n],
                retry_tokens: vec![scenario.workload.budget.map_or(0.0, |b| b.burst); n],
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
                paused: (0..n).map(|_| None).collect(),
                workers: scenario.region_ids().map(stream::Workers::new).collect(),
                tiers: match &scenario.design.capacity {
                    Some(c) => scenario.region_ids().map(|_| apptier::AppTier::new(c)).collect(),
                    None => Vec::new(),
                },
                db: match &scenario.design.database {
                    Some(c) => scenario.region_ids().map(|_| apptier::AppTier::new(c)).collect(),
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
                provider: provider::Provider::default(),
            },
            control,
            replication: replication::build(&scenario, &streams),
            fault_active: vec![false; scenario.faults.len()],
            phase: Phase::Drill,
            journal: store::Journal::default(),
            converged_at: None,
            now: SimTime::ZERO,
            out: Out::default(),
            scenario,
        }
    }

    /// Schedules the first events of a run.
    pub fn start(&mut self, sched: &mut Scheduler<Event>) {
        for &r in &self.scenario.workload.client_regions.clone() {
            let d = client::interarrival(&self.scenario, 1.0, &mut self.clients.rng);
            sched.after(d, Event::Arrival { region: r });
        }
        for r in self.scenario.region_ids() {
            // Stagger node ticks so regions do not act in lockstep.
            let offset =
                SimDuration(u64::from(r.0) * 7_919 % self.scenario.design.heartbeat.as_us().max(1));
            sched.after(offset, Event::NodeTick { region: r });
        }
        sched.after(self.scenario.design.heartbeat, Event::ControlTick);
        if let Some((at, _)) = self.scenario.design.planned {
            sched.after(at.since(SimTime::ZERO), Event::Switchover);
        }
        for r in self.scenario.region_ids() {
            sched.after(self.scenario.design.stream.tick, Event::WorkerTick { region: r });
        }
        sched.after(self.scenario.design.routing_refresh, Event::Publish);
        if let Some(h) = self.scenario.design.health {
            sched.after(h.interval, Event::HealthTick);
        }
        sched.after(SAMPLE_EVERY, Event::Sample);
        for (i, f) in self.scenario.faults.iter().enumerate() {
            sched.at(f.at, Event::FaultStart { index: i });
            if let Some(u) = f.until {
                sched.at(u, Event::FaultEnd { index: i });
            }
        }
        sched.at(SimTime::ZERO + self.scenario.duration, Event::EndDrill);
        for r in self.scenario.region_ids() {
            self.repl_each(r, false);
        }
        self.flush_out(sched);
    }

    pub fn local(&self, r: RegionId) -> i64 {
        self.regions.clocks[r.idx()].local(self.now)
    }

    /// A region's wall and monotonic clock readings now.
    pub fn clocks(&self, r: RegionId) -> (i64, i64) {
        let clock = &self.regions.clocks[r.idx()];
        (clock.local(self.now), clock.monotonic(self.now))
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
        let ev = match self.paused_process(ev) {
            Some(ev) => ev,
            None => return,
        };
        match ev {
            Event::Arrival { region } => self.on_arrival(region, sched),
            Event::Attempt { op } => self.start_attempt(op),
            Event::Timeout { op, attempt } => self.on_timeout(op, attempt),
            Event::Deliver { from, to, msg } => self.deliver(from, to, msg),
            Event::ReplFlush { region } => self.repl_flush(region),
            Event::ApplyTick { region } => {
                self.stores[region.idx()].apply_tick(self.now, &self.scenario.design, &mut self.out)
            }
            Event::DiskFlush { region, at } => {
                self.stores[region.idx()].disk_flushed(self.now, at, &mut self.out)
            }
            Event::NodeTick { region } => self.node_tick(region, sched),
            Event::ControlTick => self.control_tick(sched),
            Event::Publish => {
                if self.control_running() && self.scenario.design.consensus.is_none() {
                    self.control.publish(self.scenario.regions.len(), &mut self.out);
                }
                sched.after(self.scenario.design.routing_refresh, Event::Publish);
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
            Event::DbDone { region, job, incarnation } => self.db_done(region, job, incarnation),
            Event::ServerRestart { region, cell } => self.start_service(region, cell as usize),
            Event::HealthTick => self.health_tick(sched),
            Event::LeaseRenew { region, at } => self.lease_renew(region, at),
            Event::RunbookNext => self.runbook_next(),
            Event::Switchover => {
                if let Some((_, to)) = self.scenario.design.planned {
                    let fenced = self.scenario.design.fencing;
                    crate::fault::Conditions::operator_promotes(self, to, fenced);
                }
            }
            Event::ReplTimer { region, at } => self.repl_timer(region, at),
            Event::ReplWake { region } => self.repl_wake(region),
        }
        self.flush_out(sched);
    }

    /// Under consensus, the configuration record follows elections: the newest term's
    /// leader is the writer the run names (there is no control plane to say so).
    fn note_elections(&mut self) {
        for o in &self.out.obs {
            if let Obs::EpochGranted { epoch, region, by: Grantor::Election, .. } = o {
                if *epoch > self.control.epoch {
                    self.control.epoch = *epoch;
                    self.control.writer = *region;
                }
            }
        }
    }

    /// Holds back an event the region's paused datastore process would handle (a
    /// message to its store, one of its timers); returns any other event.
    fn paused_process(&mut self, ev: Event) -> Option<Event> {
        let region = match &ev {
            Event::Deliver {
                to,
                msg:
                    Msg::Client(ClientMsg::Request { .. })
                    | Msg::Repl(_)
                    | Msg::Runbook(_)
                    | Msg::Successor(_)
                    | Msg::Control(ControlMsg::LeaseGrant { .. } | ControlMsg::Config { .. }),
                ..
            } => *to,
            Event::ReplFlush { region }
            | Event::ApplyTick { region }
            | Event::NodeTick { region }
            | Event::LeaseRenew { region, .. }
            | Event::ReplTimer { region, .. }
            | Event::DiskFlush { region, .. }
            | Event::DbDone { region, .. }
            | Event::ReplWake { region } => *region,
            _ => return Some(ev),
        };
        match &mut self.regions.paused[region.idx()] {
            Some(held) => {
                held.push_back(ev);
                None
            }
            None => Some(ev),
        }
    }

    /// A region's replication flush timer: ship what its store has batched.
    fn repl_flush(&mut self, region: RegionId) {
        self.repl(region, |protocol, store, cx| protocol.flush(store, cx));
    }

    /// A timer of the replication protocol fired at `region`'s node. A region that is
    /// down runs nothing; the protocol re-arms its timers when it restarts.
    fn repl_timer(&mut self, region: RegionId, at: SimTime) {
        if self.regions.up[region.idx()] {
            self.repl(region, |protocol, store, cx| protocol.timer(store, cx, at));
        }
    }

    /// The replication protocol's wake-up at `region`'s node.
    fn repl_wake(&mut self, region: RegionId) {
        if self.regions.up[region.idx()] {
            self.repl(region, |protocol, store, cx| protocol.wake(store, cx));
        }
    }

    /// Hands every node to the replication protocol once, at the start or when a region
    /// restarts (`restarted`).
    pub(crate) fn repl_each(&mut self, region: RegionId, restarted: bool) {
        self.repl(region, |protocol, store, cx| {
            if restarted {
                protocol.restarted(store, cx)
            } else {
                protocol.start(store, cx)
            }
        });
    }

    /// Runs `f` with the replication protocol, `region`'s store and a context at the
    /// current time on that region's clocks.
    pub(in crate::model) fn repl<T>(
        &mut self,
        region: RegionId,
        f: impl FnOnce(&mut dyn replication::Replication, &mut Store, &mut replication::Cx) -> T,
    ) -> T {
        let (local_us, mono_us) = self.clocks(region);
        let cx = &mut replication::Cx {
            scenario: &self.scenario,
            now: self.now,
            local_us,
            mono_us,
            out: &mut self.out,
        };
        f(self.replication.as_mut(), &mut self.stores[region.idx()], cx)
    }

    /// The control plane's heartbeat: it looks at the writer when its region is up.
    fn control_tick(&mut self, sched: &mut Scheduler<Event>) {
        let c = self.control.region;
        if self.regions.up[c.idx()] && self.services.control_up {
            let local = self.local(c);
            self.control.tick(
                self.now,
                local,
                &self.scenario.design,
                self.scenario.regions.len(),
                &mut self.out,
            );
        }
        sched.after(self.scenario.design.heartbeat, Event::ControlTick);
    }

    /// The runbook's next step. A control plane that is down finishes nothing; the
    /// runbook resumes from this step if the region comes back before it is needed again.
    fn runbook_next(&mut self) {
        if self.control_running() {
            let regions = self.scenario.regions.len();
            self.control.on_runbook_next(self.now, &self.scenario.design, regions, &mut self.out);
        }
    }

    /// Turns requested sends into deliveries (or losses) and timers into events, and
    /// moves the stores' journal entries into the world's journal.
    fn flush_out(&mut self, sched: &mut Scheduler<Event>) {
        if self.scenario.design.consensus.is_some() {
            self.note_elections();
        }
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

    // ----- clients -----

    // ----- faults and phases -----
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

    fn op_key(world: &World, id: OpId) -> u64 {
        world.clients.ops.get(id).map_or(0, |o| o.key)
    }
}
