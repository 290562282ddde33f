//! Consensus replication, after Raft (Ongaro and Ousterhout, "In Search of an
//! Understandable Consensus Algorithm", 2014, and Ongaro's thesis, 2014). Terms are the
//! epochs the rest of gameday knows. A write commits once a majority of voters holds it,
//! through an entry of the leader's own term; followers apply only what is committed.
//! Leaders are elected by vote: a follower that hears no leader for its randomized
//! election timeout stands (after a pre-vote, thesis 9.6, when the design asks), and a
//! voter grants one vote per term, only to a candidate whose log is at least as up to
//! date as its own (section 5.4.1). A leader that stops hearing a majority steps down
//! (check-quorum, thesis 6.2). Strong reads are served by the leader alone while its
//! leader lease holds (thesis 6.4.1): the lease runs from the start of the newest
//! heartbeat round a majority acknowledged, and a voter that heard a leader promises
//! not to vote for another until the lease plus the clock bound has passed on its own
//! lease clock. The log itself moves by the same append, acknowledgement and snapshot
//! messages as log shipping (`Store`), with epochs always fencing.

use super::log_shipping::LogShipping;
use super::{Cx, Replication};
use crate::engine::{RngStreams, SimDuration, SimTime};
use crate::model::client::{Op, Router};
use crate::model::msg::{ClientMsg, ControlMsg, LogMsg, ReplMsg, VoteMsg};
use crate::model::obs::{Grantor, Obs};
use crate::model::store::{AckPositions, Store};
use crate::model::types::{Refusal, Req, ReqMeta, Res};
use crate::model::Event;
use crate::scenario::{ConsensusDesign, LeaseClock, ReadClass, RegionId, Scenario};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Follower,
    /// Asking whether it would win, without raising its term.
    PreCandidate,
    Candidate,
    Leader,
}

/// One replica's election and lease state (its log and data live in its `Store`).
pub struct Node {
    pub role: Role,
    /// Whom it voted for in its current term; kept across a crash, as Raft requires.
    voted_for: Option<RegionId>,
    /// Grants heard in the current (pre-)election, by region.
    votes: Vec<bool>,
    /// Its election timeout, drawn from its own stream at each election it sees.
    timeout: SimDuration,
    /// When it stands for election unless it hears a leader first.
    deadline: SimTime,
    /// When its live timer fires; a timer event for any other time is stale.
    timer_at: Option<SimTime>,
    /// Until when, on its lease clock, it promised the leader it heard not to vote for
    /// another.
    promise_until: i64,
    /// When it first found its leader silent, for the promotion's detection time.
    campaign_since: Option<SimTime>,
    /// As leader: per region, the newest heartbeat round (its lease-clock stamp) that
    /// region acknowledged in this term, and when it last heard from it.
    round_acked: Vec<i64>,
    heard_at: Vec<SimTime>,
    /// As leader: until when, on its lease clock, it may serve strong reads alone, and
    /// what it decided about that at its last heartbeat.
    lease_until: i64,
    lease_held: bool,
    rng: ChaCha8Rng,
}

pub struct Consensus {
    design: ConsensusDesign,
    lease_us: i64,
    clock_bound_us: i64,
    pub nodes: Vec<Node>,
    /// Commit wait: per node, the reads at a timestamp waiting for its safe time, and
    /// when its wake-up for the next write to show is set (true time).
    waiting: Vec<VecDeque<WaitingRead>>,
    wake_at: Vec<Option<SimTime>>,
    /// Commit wait, per node: how far a majority held the log, and since when, for each
    /// step the commit point took that is not shown yet.
    committed_at: Vec<VecDeque<(u64, SimTime)>>,
}

/// A read at a timestamp (a clock reading of the node it reached) waiting until the
/// node can answer for it.
struct WaitingRead {
    at_local_us: i64,
    key: crate::model::types::Key,
    meta: ReqMeta,
    client: RegionId,
}

/// Reads one node holds waiting for its safe time; beyond, it refuses.
const WAITING_READS_MAX: usize = 100_000;

impl Consensus {
    pub fn new(scenario: &Scenario, design: &ConsensusDesign, streams: &RngStreams) -> Self {
        let n = scenario.regions.len();
        let nodes = scenario
            .region_ids()
            .map(|r| {
                let mut rng = streams.stream(&format!("election/{}", r.0));
                let timeout = draw(design.election_timeout, &mut rng);
                Node {
                    role: Role::Follower,
                    voted_for: None,
                    votes: vec![false; n],
                    timeout,
                    deadline: SimTime::ZERO + timeout,
                    timer_at: None,
                    promise_until: i64::MIN,
                    campaign_since: None,
                    round_acked: vec![i64::MIN; n],
                    heard_at: vec![SimTime::ZERO; n],
                    lease_until: i64::MIN,
                    lease_held: false,
                    rng,
                }
            })
            .collect();
        Consensus {
            design: design.clone(),
            lease_us: scenario.design.lease.as_us() as i64,
            clock_bound_us: scenario.design.clock_uncertainty.as_us() as i64,
            nodes,
            waiting: (0..n).map(|_| VecDeque::new()).collect(),
            wake_at: vec![None; n],
            committed_at: (0..n).map(|_| VecDeque::new()).collect(),
        }
    }

    fn lease_clock(&self, cx: &Cx) -> i64 {
        match self.design.lease_clock {
            LeaseClock::Monotonic => cx.mono_us,
            LeaseClock::Wall => cx.local_us,
        }
    }

    fn arm(&mut self, region: RegionId, at: SimTime, cx: &mut Cx) {
        self.nodes[region.idx()].timer_at = Some(at);
        cx.out.timer(at, Event::ReplTimer { region, at });
    }

    /// Whether the region's replica may stand for election: a voter that is not a
    /// witness.
    fn can_lead(&self, region: RegionId) -> bool {
        self.design.voter[region.idx()] && !self.design.witness[region.idx()]
    }

    fn granted(&self, region: RegionId) -> usize {
        let node = &self.nodes[region.idx()];
        node.votes.iter().zip(&self.design.voter).filter(|(g, v)| **g && **v).count()
    }

    /// Back to following: a newer term or a current leader was heard.
    fn follow(&mut self, store: &mut Store, cx: &mut Cx) {
        self.committed_at[store.region.idx()].clear();
        let node = &mut self.nodes[store.region.idx()];
        if node.role == Role::Leader {
            node.lease_until = i64::MIN;
            node.lease_held = false;
        }
        node.role = Role::Follower;
        if store.primary {
            store.step_down(cx.out);
        }
    }

    /// A newer term: adopt it, with no vote cast in it yet.
    fn adopt_term(&mut self, store: &mut Store, term: u32, cx: &mut Cx) {
        store.epoch = term;
        self.nodes[store.region.idx()].voted_for = None;
        self.follow(store, cx);
    }

    /// The election timer ran out: ask for (pre-)votes.
    fn campaign(&mut self, store: &mut Store, cx: &mut Cx) {
        let me = store.region;
        let node = &mut self.nodes[me.idx()];
        node.campaign_since.get_or_insert(cx.now);
        node.votes.iter_mut().for_each(|v| *v = false);
        node.votes[me.idx()] = true;
        if self.design.pre_vote {
            node.role = Role::PreCandidate;
            self.ask(store, store.epoch + 1, true, cx);
            if self.granted(me) >= self.design.majority() {
                self.stand(store, cx);
            }
        } else {
            self.stand(store, cx);
        }
    }

    /// A real election: a new term, a vote for itself, requests to every voter.
    fn stand(&mut self, store: &mut Store, cx: &mut Cx) {
        let me = store.region;
        store.epoch += 1;
        let node = &mut self.nodes[me.idx()];
        node.role = Role::Candidate;
        node.voted_for = Some(me);
        node.votes.iter_mut().for_each(|v| *v = false);
        node.votes[me.idx()] = true;
        self.ask(store, store.epoch, false, cx);
        if self.granted(me) >= self.design.majority() {
            self.lead(store, cx);
        }
    }

    fn ask(&self, store: &Store, term: u32, pre_vote: bool, cx: &mut Cx) {
        let (last_lsn, last_term) = (store.end_lsn, store.epoch_at(store.end_lsn));
        for (i, voter) in self.design.voter.iter().enumerate() {
            let to = RegionId(i as u8);
            if *voter && to != store.region {
                cx.out.send(
                    store.region,
                    to,
                    VoteMsg::Request { term, last_lsn, last_term, pre_vote },
                );
            }
        }
    }

    /// Won the election: lead, commit a no-op of its own term, tell every region.
    fn lead(&mut self, store: &mut Store, cx: &mut Cx) {
        let me = store.region;
        let term = store.epoch;
        let n = self.nodes.len();
        let node = &mut self.nodes[me.idx()];
        node.role = Role::Leader;
        node.round_acked = vec![i64::MIN; n];
        node.heard_at = vec![cx.now; n];
        node.lease_until = i64::MIN;
        let detected_at = node.campaign_since.take();
        store.promote(cx.now, term, cx.out);
        store.append_noop(cx.now, cx.local_us, &cx.scenario.design, cx.out);
        cx.out.obs.push(Obs::EpochGranted {
            epoch: term,
            region: me,
            fenced: true,
            by: Grantor::Election,
            detected_at,
        });
        self.announce(me, term, cx);
        let at = cx.now + self.design.heartbeat;
        self.arm(me, at, cx);
    }

    /// Tells every region's router who leads (as a redirect would).
    fn announce(&self, me: RegionId, term: u32, cx: &mut Cx) {
        let n = self.nodes.len();
        for i in 0..n {
            let lag_us = vec![0; n];
            cx.out.send(
                me,
                RegionId(i as u8),
                ControlMsg::Routing { writer: me, epoch: term, lag_us },
            );
        }
    }

    /// The leader's lease: from the start of the newest heartbeat round a majority of
    /// voters acknowledged (itself included, as of now).
    fn renew_lease(&mut self, me: RegionId, now_lease_us: i64) {
        let majority = self.design.majority();
        let node = &mut self.nodes[me.idx()];
        let mut rounds: Vec<i64> = node
            .round_acked
            .iter()
            .zip(&self.design.voter)
            .enumerate()
            .filter(|(i, (_, v))| **v && *i != me.idx())
            .map(|(_, (r, _))| *r)
            .collect();
        rounds.push(now_lease_us);
        rounds.sort_unstable_by(|a, b| b.cmp(a));
        if let Some(&start) = rounds.get(majority - 1) {
            if start > i64::MIN {
                node.lease_until = node.lease_until.max(start + self.lease_us);
            }
        }
    }

    /// Check-quorum: has the leader heard a majority of voters within the election
    /// timeout's minimum?
    fn hears_majority(&self, me: RegionId, now: SimTime) -> bool {
        let node = &self.nodes[me.idx()];
        let window = self.design.election_timeout.0;
        let heard = (0..self.nodes.len())
            .filter(|i| self.design.voter[*i])
            .filter(|i| *i == me.idx() || now.since(node.heard_at[*i]) < window)
            .count();
        heard >= self.design.majority()
    }

    fn on_vote_request(&mut self, store: &mut Store, cx: &mut Cx, from: RegionId, ask: Ask) {
        let me = store.region;
        if !self.design.voter[me.idx()] {
            return;
        }
        let reading = self.lease_clock(cx);
        let node = &self.nodes[me.idx()];
        // A voter that heard a leader within its promise, or that leads, stays loyal
        // (and, for a real vote, does not even take the newer term: thesis 4.2.3).
        let loyal = reading < node.promise_until || (node.role == Role::Leader && store.primary);
        let my_last = (store.epoch_at(store.end_lsn), store.end_lsn);
        let up_to_date = (ask.last_term, ask.last_lsn) >= my_last;
        if ask.pre_vote {
            let granted = ask.term > store.epoch && up_to_date && !loyal;
            let reply = VoteMsg::Reply { term: ask.term, granted, pre_vote: true };
            cx.out.send(me, from, reply);
            return;
        }
        if loyal {
            let reply = VoteMsg::Reply { term: store.epoch, granted: false, pre_vote: false };
            cx.out.send(me, from, reply);
            return;
        }
        if ask.term > store.epoch {
            self.adopt_term(store, ask.term, cx);
        }
        let node = &mut self.nodes[me.idx()];
        let granted =
            ask.term == store.epoch && up_to_date && node.voted_for.is_none_or(|c| c == from);
        if granted {
            node.voted_for = Some(from);
            node.deadline = cx.now + node.timeout;
        }
        let reply = VoteMsg::Reply { term: store.epoch, granted, pre_vote: false };
        cx.out.send(me, from, reply);
    }

    fn on_vote(&mut self, store: &mut Store, cx: &mut Cx, from: RegionId, reply: Reply) {
        let me = store.region;
        let majority = self.design.majority();
        let role = self.nodes[me.idx()].role;
        if reply.pre_vote {
            if role == Role::PreCandidate && reply.term == store.epoch + 1 && reply.granted {
                self.nodes[me.idx()].votes[from.idx()] = true;
                if self.granted(me) >= majority {
                    self.stand(store, cx);
                }
            }
            return;
        }
        if reply.term > store.epoch {
            self.adopt_term(store, reply.term, cx);
            return;
        }
        if role == Role::Candidate && reply.term == store.epoch && reply.granted {
            self.nodes[me.idx()].votes[from.idx()] = true;
            if self.granted(me) >= majority {
                self.lead(store, cx);
            }
        }
    }

    /// Commit wait: a leader shows what has committed and waited out the uncertainty
    /// (acknowledging it and telling followers), sets a wake-up for the next, and every
    /// node answers the reads at a timestamp its safe time now covers.
    fn settle(&mut self, store: &mut Store, cx: &mut Cx) {
        let Some(cw) = self.design.commit_wait else { return };
        let me = store.region;
        if store.primary {
            let steps = &mut self.committed_at[me.idx()];
            if steps.back().map_or(store.visible_lsn(), |s| s.0) < store.commit_lsn {
                if steps.len() == WAITING_READS_MAX {
                    steps.pop_front();
                }
                steps.push_back((store.commit_lsn, cx.now));
            }
            let wait_us = if cw.wait { 2 * cw.epsilon.as_us() as i64 } else { 0 };
            let before = store.visible_lsn();
            let next = store.reveal(cx.local_us, wait_us);
            while steps.front().is_some_and(|s| s.0 <= store.visible_lsn()) {
                let (_, since) = steps.pop_front().expect("just seen");
                cx.out.obs.push(Obs::Shown { region: me, waited: cx.now.since(since) });
            }
            if store.visible_lsn() > before {
                store.release_acks(&cx.scenario.design, cx.out);
                store.schedule_flush(cx.now, &cx.scenario.design, cx.out);
            }
            if let Some(at_local) = next {
                let at = cx.now + SimDuration((at_local - cx.local_us).max(1) as u64);
                if self.wake_at[me.idx()].is_none_or(|w| w > at || w < cx.now) {
                    self.wake_at[me.idx()] = Some(at);
                    cx.out.timer(at, Event::ReplWake { region: me });
                }
            }
        }
        let safe = store.safe_local_us(cx.local_us);
        while self.waiting[me.idx()].front().is_some_and(|r| r.at_local_us <= safe) {
            let r = self.waiting[me.idx()].pop_front().expect("just seen");
            let res = store.serve_at(r.key, r.at_local_us);
            let msg = ClientMsg::Response { op: r.meta.op, attempt: r.meta.attempt, res };
            cx.out.send(me, r.client, msg);
        }
    }

    /// A follower acknowledged: the leader hears it (check-quorum), renews its lease
    /// from the heartbeat round it echoes, and the store advances the commit point.
    fn on_ack(&mut self, store: &mut Store, cx: &mut Cx, from: RegionId, ack: Ack) {
        let Ack { epoch, end_lsn, gap, need_snapshot, round_us } = ack;
        let me = store.region;
        if store.primary && epoch == store.epoch {
            let node = &mut self.nodes[me.idx()];
            node.heard_at[from.idx()] = cx.now;
            let acked = &mut node.round_acked[from.idx()];
            *acked = (*acked).max(round_us);
            self.renew_lease(me, store.round_us);
            // A heartbeat-checking leader takes its first lease when it gets it.
            let node = &mut self.nodes[me.idx()];
            node.lease_held |= store.round_us < node.lease_until;
        }
        let design = &cx.scenario.design;
        let out = &mut *cx.out;
        // Consensus replicas acknowledge what they hold durably.
        let ack = AckPositions { end_lsn, synced_lsn: end_lsn, gap, need_snapshot };
        store.on_append_ack(cx.now, design, from, epoch, ack, out);
        if !store.primary && self.nodes[me.idx()].role == Role::Leader {
            self.follow(store, cx);
        }
    }

    /// A current leader was heard: follow it and wait a whole timeout again.
    fn heard_leader(&mut self, store: &mut Store, cx: &mut Cx) {
        let reading = self.lease_clock(cx);
        let promise = reading + self.lease_us + self.clock_bound_us;
        let node = &mut self.nodes[store.region.idx()];
        if node.role != Role::Follower {
            node.timeout = draw(self.design.election_timeout, &mut node.rng);
        }
        node.role = Role::Follower;
        node.deadline = cx.now + node.timeout;
        node.promise_until = node.promise_until.max(promise);
        node.campaign_since = None;
        store.last_leader_contact = cx.now;
    }
}

/// A vote request's content.
#[derive(Clone, Copy)]
struct Ask {
    term: u32,
    last_lsn: u64,
    last_term: u32,
    pre_vote: bool,
}

/// An append acknowledgement's content.
#[derive(Clone, Copy)]
struct Ack {
    epoch: u32,
    end_lsn: u64,
    gap: bool,
    need_snapshot: bool,
    round_us: i64,
}

/// A vote reply's content.
#[derive(Clone, Copy)]
struct Reply {
    term: u32,
    granted: bool,
    pre_vote: bool,
}

/// An election timeout drawn uniformly from the design's range.
fn draw(range: (SimDuration, SimDuration), rng: &mut ChaCha8Rng) -> SimDuration {
    SimDuration(rng.gen_range(range.0.as_us()..=range.1.as_us()))
}

impl Replication for Consensus {
    fn request(
        &mut self,
        store: &mut Store,
        cx: &mut Cx,
        client: RegionId,
        meta: ReqMeta,
        req: Req,
    ) {
        let me = store.region;
        let refuse = |cx: &mut Cx, r: Refusal| {
            let res = Res::Refused(r);
            cx.out.send(
                me,
                client,
                ClientMsg::Response { op: meta.op, attempt: meta.attempt, res },
            );
        };
        if let Req::Read { class, key, .. } = req {
            if self.design.witness[me.idx()] {
                return refuse(cx, Refusal::NotWriter);
            }
            // Commit wait: a strong read is a read at a timestamp, the replica's clock
            // now (plus the uncertainty, which every timestamp carries alike), answered
            // once the replica's safe time has passed it.
            if class == ReadClass::Strong && self.design.commit_wait.is_some() {
                let queue = &mut self.waiting[me.idx()];
                if queue.len() >= WAITING_READS_MAX {
                    return refuse(cx, Refusal::NotReady);
                }
                queue.push_back(WaitingRead { at_local_us: cx.local_us, key, meta, client });
                return self.settle(store, cx);
            }
            let node = &self.nodes[me.idx()];
            let lease_holds = if self.design.lease_check_on_read {
                self.lease_clock(cx) < node.lease_until
            } else {
                node.lease_held
            };
            if class == ReadClass::Strong && store.primary && !lease_holds {
                return refuse(cx, Refusal::LeaseExpired);
            }
        }
        store.round_us = self.lease_clock(cx);
        store.on_request(cx.now, cx.local_us, &cx.scenario.design, client, meta, req, cx.out);
        self.settle(store, cx);
    }

    fn deliver(&mut self, store: &mut Store, cx: &mut Cx, from: RegionId, msg: ReplMsg) {
        store.round_us = self.lease_clock(cx);
        let design = &cx.scenario.design;
        match msg {
            ReplMsg::Log(msg @ LogMsg::Append { epoch, .. }) => {
                // The log moves as in log shipping, epochs fencing.
                let current = epoch >= store.epoch;
                LogShipping.deliver(store, cx, from, ReplMsg::Log(msg));
                if current && store.leader == from {
                    self.heard_leader(store, cx);
                }
            }
            ReplMsg::Log(LogMsg::AppendAck {
                epoch,
                end_lsn,
                gap,
                need_snapshot,
                round_us,
                ..
            }) => {
                let ack = Ack { epoch, end_lsn, gap, need_snapshot, round_us };
                self.on_ack(store, cx, from, ack);
            }
            ReplMsg::Log(LogMsg::Snapshot(snap)) => {
                let current = snap.epoch >= store.epoch;
                store.on_snapshot(design, from, &snap, cx.out);
                if current && store.leader == from {
                    self.heard_leader(store, cx);
                }
            }
            ReplMsg::Vote(VoteMsg::Request { term, last_lsn, last_term, pre_vote }) => {
                let ask = Ask { term, last_lsn, last_term, pre_vote };
                self.on_vote_request(store, cx, from, ask)
            }
            ReplMsg::Vote(VoteMsg::Reply { term, granted, pre_vote }) => {
                self.on_vote(store, cx, from, Reply { term, granted, pre_vote })
            }
            // One protocol runs per simulation: another protocol's message cannot arrive.
            ReplMsg::Multi(_) => {}
        }
        self.settle(store, cx);
    }

    fn node_tick(&mut self, store: &mut Store, cx: &mut Cx) {
        store.round_us = self.lease_clock(cx);
        store.tick(cx.now, cx.local_us, &cx.scenario.design, cx.out);
        if store.primary && self.nodes[store.region.idx()].role == Role::Leader {
            self.announce(store.region, store.epoch, cx);
        }
        self.settle(store, cx);
    }

    fn flush(&mut self, store: &mut Store, cx: &mut Cx) {
        store.round_us = self.lease_clock(cx);
        store.flush(cx.local_us, false, cx.out);
    }

    /// Writes and strong reads go to the leader the router knows; other reads by the
    /// router's own rules, but never to a witness, which serves no reads.
    fn route(&self, scenario: &Scenario, router: &Router, op: &Op) -> RegionId {
        // Commit wait: a strong read is a read at a timestamp, which any replica answers.
        let strong = matches!(op.req, Req::Read { class: ReadClass::Strong, .. });
        if strong && self.design.commit_wait.is_some() && !op.force_writer && op.pinned.is_none() {
            let serves = |r: &&RegionId| !self.design.witness[r.idx()];
            return router.nearest.iter().find(serves).copied().unwrap_or(router.writer);
        }
        let target = router.route(scenario, op);
        if matches!(op.req, Req::Read { .. }) && self.design.witness[target.idx()] {
            return router.writer;
        }
        target
    }

    fn settled(&self, stores: &[Store], writer: RegionId, workers_drained: bool) -> bool {
        let store = &stores[writer.idx()];
        store.primary
            && store.ready
            && workers_drained
            && store.commit_lsn == store.end_lsn
            && stores.iter().all(|st| {
                st.applied_lsn == st.end_lsn && (st.region == store.region || !st.primary)
            })
    }

    fn start(&mut self, store: &mut Store, cx: &mut Cx) {
        let me = store.region;
        if store.primary {
            let node = &mut self.nodes[me.idx()];
            node.role = Role::Leader;
            node.voted_for = Some(me);
            node.heard_at = vec![cx.now; node.heard_at.len()];
            let at = cx.now + self.design.heartbeat;
            self.arm(me, at, cx);
        } else {
            // Every replica starts having heard the initial leader.
            self.heard_leader(store, cx);
            let at = self.nodes[me.idx()].deadline;
            self.arm(me, at, cx);
        }
    }

    fn timer(&mut self, store: &mut Store, cx: &mut Cx, at: SimTime) {
        let me = store.region;
        if self.nodes[me.idx()].timer_at != Some(at) {
            return;
        }
        self.nodes[me.idx()].timer_at = None;
        store.round_us = self.lease_clock(cx);
        if self.nodes[me.idx()].role == Role::Leader && store.primary {
            if self.design.check_quorum && !self.hears_majority(me, cx.now) {
                self.follow(store, cx);
                let node = &mut self.nodes[me.idx()];
                node.deadline = cx.now + node.timeout;
                let at = node.deadline;
                return self.arm(me, at, cx);
            }
            let node = &mut self.nodes[me.idx()];
            node.lease_held = store.round_us < node.lease_until;
            store.flush(cx.local_us, true, cx.out);
            let at = cx.now + self.design.heartbeat;
            return self.arm(me, at, cx);
        }
        if self.nodes[me.idx()].role == Role::Leader {
            self.follow(store, cx);
        }
        let node = &mut self.nodes[me.idx()];
        if cx.now < node.deadline {
            let at = node.deadline;
            return self.arm(me, at, cx);
        }
        node.timeout = draw(self.design.election_timeout, &mut node.rng);
        node.deadline = cx.now + node.timeout;
        let at = node.deadline;
        if self.can_lead(me) {
            self.campaign(store, cx);
        }
        // A lone voter wins at once, and its leader timer is armed already.
        if self.nodes[me.idx()].role != Role::Leader {
            self.arm(me, at, cx);
        }
    }

    fn wake(&mut self, store: &mut Store, cx: &mut Cx) {
        self.wake_at[store.region.idx()] = None;
        self.settle(store, cx);
    }

    /// A restarted process comes back as a follower, with its term and vote (durable)
    /// and a fresh election timeout.
    fn restarted(&mut self, store: &mut Store, cx: &mut Cx) {
        self.follow(store, cx);
        let me = store.region;
        let node = &mut self.nodes[me.idx()];
        node.deadline = cx.now + node.timeout;
        node.promise_until = i64::MIN;
        let at = node.deadline;
        self.arm(me, at, cx);
    }
}

#[cfg(test)]
mod tests;
