//! The election rules, one at a time, on three replicas driven by hand.

use super::*;
use crate::model::msg::Msg;
use crate::model::Out;
use std::sync::Arc;

const A: RegionId = RegionId(0);
const B: RegionId = RegionId(1);
const C: RegionId = RegionId(2);

struct Net {
    scenario: Arc<Scenario>,
    raft: Consensus,
    stores: Vec<Store>,
    now: SimTime,
    out: Out,
}

fn net(settings: &str) -> Net {
    let text = format!(
        r#"{{"version": 1, "name": "t", "duration_s": 10,
        "regions": [{{"name": "a", "role": "primary"}}, {{"name": "b", "role": "standby"}},
                    {{"name": "c", "role": "standby"}}],
        "design": {{"replication": {{"mode": "consensus"{settings}}}}},
        "workload": {{"rate_per_s": 10, "mix": {{"register.write": 1.0}}}}}}"#
    );
    let scenario = Arc::new(crate::scenario::from_str("t.json", &text).expect("valid"));
    let design = scenario.design.consensus.clone().expect("consensus");
    let raft = Consensus::new(&scenario, &design, &RngStreams::new(1));
    let cells = scenario.workload.key_count() as usize;
    let stores = scenario
        .region_ids()
        .map(|r| {
            let mut store = Store::new(r, 3, A, cells);
            store.consensus = true;
            store
        })
        .collect();
    Net { scenario, raft, stores, now: SimTime::ZERO, out: Out::default() }
}

impl Net {
    /// Runs `f` on region `r`'s node with a context at the current time (clocks
    /// true).
    fn at<T>(
        &mut self,
        r: RegionId,
        f: impl FnOnce(&mut Consensus, &mut Store, &mut Cx) -> T,
    ) -> T {
        let us = self.now.as_us() as i64;
        let cx = &mut Cx {
            scenario: &self.scenario,
            now: self.now,
            local_us: us,
            mono_us: us,
            out: &mut self.out,
        };
        f(&mut self.raft, &mut self.stores[r.idx()], cx)
    }
    fn deliver(&mut self, from: RegionId, to: RegionId, msg: impl Into<Msg>) {
        let Msg::Repl(msg) = msg.into() else { panic!("a replication message") };
        self.at(to, |raft, store, cx| raft.deliver(store, cx, from, msg));
    }
    /// The election timer of `r` runs out (its deadline has passed).
    fn time_out(&mut self, r: RegionId) {
        self.now = self.now.max(self.raft.nodes[r.idx()].deadline);
        let at = self.now;
        self.raft.nodes[r.idx()].timer_at = Some(at);
        self.at(r, |raft, store, cx| raft.timer(store, cx, at));
    }
    /// The vote messages sent so far, taken.
    fn votes(&mut self) -> Vec<(RegionId, RegionId, VoteMsg)> {
        self.out
            .sends
            .drain(..)
            .filter_map(|(f, t, m)| match m {
                Msg::Repl(ReplMsg::Vote(v)) => Some((f, t, v)),
                _ => None,
            })
            .collect()
    }
}

fn request(term: u32, last_lsn: u64, last_term: u32, pre_vote: bool) -> VoteMsg {
    VoteMsg::Request { term, last_lsn, last_term, pre_vote }
}

fn granted(votes: &[(RegionId, RegionId, VoteMsg)]) -> Vec<bool> {
    votes
        .iter()
        .filter_map(|(_, _, v)| match v {
            VoteMsg::Reply { granted, .. } => Some(*granted),
            _ => None,
        })
        .collect()
}

/// Section 5.4.1: a vote goes only to a candidate whose log is at least as up to
/// date as the voter's (last term first, then length).
#[test]
fn a_candidate_with_a_staler_log_gets_no_vote() {
    let mut n = net(r#", "pre_vote": false"#);
    n.stores[B.idx()].epochs = vec![(1, 1), (2, 5)];
    n.stores[B.idx()].end_lsn = 6;
    n.now = SimTime(10_000_000);
    // Longer, but of an older term: refused.
    n.deliver(C, B, request(3, 20, 1, false));
    assert_eq!(granted(&n.votes()), vec![false]);
    // Same last term, shorter: refused; as long: granted.
    n.deliver(C, B, request(4, 5, 2, false));
    assert_eq!(granted(&n.votes()), vec![false]);
    n.deliver(C, B, request(5, 6, 2, false));
    assert_eq!(granted(&n.votes()), vec![true]);
}

/// One vote per term: with the leader gone, b and c stand in the same term, each
/// votes for itself and refuses the other, and neither leads. The next timeout,
/// drawn afresh, settles it in a later term.
#[test]
fn a_split_vote_elects_nobody_and_a_later_term_settles_it() {
    let mut n = net(r#", "pre_vote": false"#);
    n.now = SimTime(10_000_000);
    n.time_out(B);
    n.time_out(C);
    assert_eq!((n.stores[B.idx()].epoch, n.stores[C.idx()].epoch), (2, 2));
    n.votes();
    n.deliver(B, C, request(2, 0, 1, false));
    n.deliver(C, B, request(2, 0, 1, false));
    let replies = n.votes();
    assert_eq!(granted(&replies), vec![false, false], "each voted for itself");
    for (from, to, reply) in replies {
        n.deliver(from, to, reply);
    }
    assert!(!n.stores[B.idx()].primary && !n.stores[C.idx()].primary, "nobody leads");
    // b's next election, in term 3, gets c's vote.
    n.time_out(B);
    assert_eq!(n.stores[B.idx()].epoch, 3);
    n.votes();
    n.deliver(B, C, request(3, 0, 1, false));
    let (from, to, reply) = n.votes().pop().expect("a reply");
    n.deliver(from, to, reply);
    assert!(n.stores[B.idx()].primary, "b leads term 3");
    assert_eq!(n.raft.nodes[B.idx()].role, Role::Leader);
}

/// Thesis 9.6: a replica cut off from the others keeps timing out; with pre-vote it
/// asks first and, hearing nobody, never raises its term, so it cannot depose the
/// leader when it comes back. Without pre-vote its term climbs at every timeout.
#[test]
fn pre_vote_keeps_a_cut_off_replica_from_raising_its_term() {
    for (pre_vote, climbs) in [(true, false), (false, true)] {
        let mut n = net(&format!(r#", "pre_vote": {pre_vote}"#));
        for _ in 0..5 {
            n.time_out(C);
            n.votes();
        }
        let term = n.stores[C.idx()].epoch;
        assert_eq!(term > 1, climbs, "pre_vote {pre_vote}: term {term}");
    }
}

/// Thesis 6.2: a leader that hears no majority within the election timeout's
/// minimum steps down (without check-quorum it goes on believing it leads).
#[test]
fn check_quorum_makes_a_leader_that_hears_no_majority_step_down() {
    for check_quorum in [true, false] {
        let mut n = net(&format!(r#", "check_quorum": {check_quorum}"#));
        n.at(A, |raft, store, cx| raft.start(store, cx));
        assert!(n.stores[A.idx()].primary);
        // Heartbeats go out; nobody answers for 3 s.
        let heartbeat = n.scenario.design.consensus.as_ref().unwrap().heartbeat;
        for _ in 0..20 {
            n.now += heartbeat;
            let at = n.raft.nodes[A.idx()].timer_at.unwrap_or(n.now);
            n.now = at;
            n.at(A, |raft, store, cx| raft.timer(store, cx, at));
        }
        assert_eq!(n.stores[A.idx()].primary, !check_quorum, "check_quorum {check_quorum}");
    }
}

/// Thesis 4.2.3 and 6.4.1: a voter that heard a leader within its promise (the
/// lease plus the clock bound) neither votes for another candidate nor takes its
/// newer term; once the promise has run out, it does both.
#[test]
fn a_voter_stays_loyal_to_a_leader_it_heard_within_the_lease() {
    let mut n = net(r#", "pre_vote": false"#);
    n.at(B, |raft, store, cx| raft.start(store, cx));
    n.now = SimTime(500_000);
    n.deliver(C, B, request(2, 0, 1, false));
    assert_eq!(granted(&n.votes()), vec![false]);
    assert_eq!(n.stores[B.idx()].epoch, 1, "the newer term is not taken");
    n.now = SimTime(2_200_000);
    n.deliver(C, B, request(2, 0, 1, false));
    assert_eq!(granted(&n.votes()), vec![true]);
    assert_eq!(n.stores[B.idx()].epoch, 2);
}

/// Winning: the leader takes the term, appends a no-op of its term (which commits
/// earlier terms' entries with it) and tells every region it leads.
#[test]
fn a_majority_elects_a_leader_that_appends_a_noop_and_says_so() {
    let mut n = net(r#", "pre_vote": true"#);
    n.time_out(B);
    let asked = n.votes();
    assert!(asked
        .iter()
        .all(|(_, _, v)| matches!(v, VoteMsg::Request { pre_vote: true, term: 2, .. })));
    assert_eq!(n.stores[B.idx()].epoch, 1, "a pre-vote raises no term");
    n.deliver(C, B, VoteMsg::Reply { term: 2, granted: true, pre_vote: true });
    let asked = n.votes();
    assert!(asked
        .iter()
        .all(|(_, _, v)| matches!(v, VoteMsg::Request { pre_vote: false, term: 2, .. })));
    n.deliver(C, B, VoteMsg::Reply { term: 2, granted: true, pre_vote: false });
    let b = &n.stores[B.idx()];
    assert!(b.primary && b.epoch == 2);
    assert_eq!(b.end_lsn, 1, "the no-op");
    assert!(n
        .out
        .obs
        .iter()
        .any(|o| matches!(o, Obs::EpochGranted { epoch: 2, by: Grantor::Election, .. })));
    let told = n
        .out
        .sends
        .iter()
        .filter(|(_, _, m)| matches!(m, Msg::Control(ControlMsg::Routing { epoch: 2, .. })))
        .count();
    assert_eq!(told, 3);
}
