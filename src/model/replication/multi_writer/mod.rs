//! Active-active writes: every region's store takes writes and ships them to every
//! other region as updates, on FIFO streams with acknowledgement and retransmission.
//! How concurrent writes to one key resolve is the design's conflict policy per entity
//! type: last-writer-wins on the writing region's clock stamp (so a skewed clock makes
//! a later write lose), merged deltas for counters, escrowed shares of each balance, a
//! home region per key, or a conditional write every region must agree to. Nothing here
//! decides an outcome by fault: each policy is its mechanism, and the loser of a
//! conflict is only reported (`Obs::Superseded`), never judged.

use super::wire::*;
use super::{Cx, Replication};
use crate::engine::SimTime;
use crate::model::client::{Op, Router};
use crate::model::msg::*;
use crate::model::obs::*;
use crate::model::store::Store;
use crate::model::types::ReqMeta;
use crate::model::types::*;
use crate::model::Out;
use crate::scenario::{ConflictPolicy, Design, KeyKind, ReadClass, RegionId, Scenario};
use std::collections::{BTreeMap, VecDeque};

mod exchange;
mod merge;
use exchange::finish_proposal;
pub use exchange::*;
use merge::apply;

/// Updates kept per destination until acknowledged; past it the oldest are dropped and
/// that region can no longer converge (a named bound, reported by convergence gaps).
pub const OUTBOUND_MAX: usize = 200_000;
/// Updates shipped in one message.
const UPDATES_BATCH_MAX: usize = 256;

#[derive(Clone, Copy, Debug)]
pub struct Proposal {
    pub update: Update,
    pub client: RegionId,
    pub op: OpId,
    pub attempt: u32,
    pub waiting: u32,
    pub deadline: SimTime,
}

/// A store's active-active state.
#[derive(Default)]
pub struct Multi {
    next_seq: u64,
    /// Numbers this region's proposals (apart from update sequence numbers, which
    /// must have no gaps).
    next_pid: u64,
    /// Unacknowledged updates per destination, oldest first, and the highest sent.
    outbound: Vec<VecDeque<Update>>,
    sent: Vec<u64>,
    last_progress: Vec<SimTime>,
    /// Highest sequence applied from each origin.
    received: Vec<u64>,
    /// Per origin: its clock when it last sent something this region has wholly
    /// applied. A region is as fresh as the oldest of these (its own excepted), on
    /// their clocks: skew makes the estimate wrong, as it does for replicas.
    fresh_as_of_local_us: Vec<i64>,
    /// Per cell: stamp and the stamp its writer had observed.
    pub stamps: Vec<(Stamp, Stamp)>,
    /// Per cell: the write whose value it holds (for a set), by identity.
    winners: Vec<WriteId>,
    /// The last stamp time this region gave one of its own writes: its stamps strictly
    /// increase, so two writes in one microsecond do not tie (a tie would drop one).
    last_ts: i64,
    /// Escrow: per key, each region's share (indexed key * regions + region).
    shares: Vec<i64>,
    /// reject-concurrent: keys locked by a proposal, until a deadline.
    locks: BTreeMap<Key, (u64, SimTime)>,
    proposals: BTreeMap<u64, Proposal>,
    pub dropped: u64,
}

impl Multi {
    pub fn new(scenario: &Scenario) -> Self {
        let regions = scenario.regions.len();
        let keys = scenario.workload.key_count() as usize;
        let mut shares = vec![0; keys * regions];
        for k in 0..keys {
            let total = scenario.workload.initial_value(k as u32);
            for r in 0..regions {
                // Shares split the initial value; the first region takes the remainder.
                shares[k * regions + r] =
                    total / regions as i64 + if r == 0 { total % regions as i64 } else { 0 };
            }
        }
        Multi {
            outbound: vec![VecDeque::new(); regions],
            sent: vec![0; regions],
            last_progress: vec![SimTime::ZERO; regions],
            received: vec![0; regions],
            fresh_as_of_local_us: vec![0; regions],
            stamps: vec![(Stamp::default(), Stamp::default()); keys],
            winners: vec![WriteId::NONE; keys],
            shares,
            ..Multi::default()
        }
    }

    pub fn idle(&self) -> bool {
        self.outbound.iter().all(VecDeque::is_empty) && self.proposals.is_empty()
    }

    pub fn outbound_len(&self) -> usize {
        self.outbound.iter().map(VecDeque::len).sum()
    }

    /// How stale this region may be, on its own clock: since the oldest point up to
    /// which it knows it has every other region's writes.
    pub fn staleness_us(&self, me: RegionId, local_us: i64) -> u64 {
        let oldest = self
            .fresh_as_of_local_us
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != me.idx())
            .map(|(_, t)| *t)
            .min()
            .unwrap_or(local_us);
        (local_us - oldest).max(0) as u64
    }
}

/// Every region's state of the protocol, by region.
pub struct MultiWriter {
    nodes: Vec<Multi>,
}

impl MultiWriter {
    pub fn new(scenario: &Scenario) -> Self {
        MultiWriter { nodes: scenario.region_ids().map(|_| Multi::new(scenario)).collect() }
    }
}

impl Replication for MultiWriter {
    fn request(
        &mut self,
        store: &mut Store,
        cx: &mut Cx,
        client: RegionId,
        meta: ReqMeta,
        req: Req,
    ) {
        let node = &mut self.nodes[store.region.idx()];
        let res = match req {
            Req::Read { key, class, min_version } => Some(
                match read_check(
                    store,
                    node,
                    cx.local_us,
                    &cx.scenario.design,
                    key,
                    class,
                    min_version,
                ) {
                    Ok(()) => store.serve(key),
                    Err(r) => Res::Refused(r),
                },
            ),
            _ => {
                let res =
                    write(store, node, cx.scenario, cx.now, cx.local_us, client, meta, req, cx.out);
                if let Some(res) = res {
                    cx.out.send(
                        store.region,
                        client,
                        ClientMsg::Response { op: meta.op, attempt: meta.attempt, res },
                    );
                }
                store.schedule_flush(cx.now, &cx.scenario.design, cx.out);
                return;
            }
        };
        if let Some(res) = res {
            cx.out.send(
                store.region,
                client,
                ClientMsg::Response { op: meta.op, attempt: meta.attempt, res },
            );
        }
    }

    fn deliver(&mut self, store: &mut Store, cx: &mut Cx, from: RegionId, msg: ReplMsg) {
        // One protocol runs per simulation: another protocol's message cannot arrive.
        let ReplMsg::Multi(msg) = msg else { return };
        let node = &mut self.nodes[store.region.idx()];
        let (s, now) = (cx.scenario, cx.now);
        match msg {
            MultiMsg::Updates { updates, end, sender_local_us } => {
                on_updates(store, node, s, now, from, &updates, end, sender_local_us, cx.out)
            }
            MultiMsg::UpdatesAck { upto } => on_updates_ack(node, now, from, upto),
            MultiMsg::Propose { pid, key, base } => {
                on_propose(store, node, s, now, from, pid, key, base, cx.out)
            }
            MultiMsg::ProposeReply { pid, ok } => {
                on_propose_reply(store, node, s, now, pid, ok, cx.out)
            }
            MultiMsg::Decide { pid, key } => on_decide(node, pid, key),
        }
    }

    fn node_tick(&mut self, store: &mut Store, cx: &mut Cx) {
        let node = &mut self.nodes[store.region.idx()];
        tick(store, node, cx.scenario, cx.now, cx.local_us, cx.out);
    }

    fn flush(&mut self, store: &mut Store, cx: &mut Cx) {
        store.flush_scheduled = false;
        let node = &mut self.nodes[store.region.idx()];
        flush(store, node, cx.scenario, cx.local_us, false, cx.out);
    }

    /// Every region writes: go local, or to the key's home when it has one (its writes,
    /// and strong reads, which only the home can serve).
    fn route(&self, scenario: &Scenario, router: &Router, op: &Op) -> RegionId {
        if let Some(r) = op.pinned {
            return r;
        }
        let key = op.req.key();
        let strong = matches!(op.req, Req::Read { class: ReadClass::Strong, .. });
        if (op.req.is_write() || strong) && policy(scenario, key) == ConflictPolicy::HomeRegion {
            return home(scenario, key);
        }
        router.nearest[0]
    }

    fn settled(&self, _stores: &[Store], _writer: RegionId, _workers_drained: bool) -> bool {
        self.nodes.iter().all(Multi::idle)
    }
}

/// A region serves each read class only as far as it can vouch for it: a strong read
/// only at the key's home (validation allows strong reads only where keys have one), a
/// bounded read only while it has every other region's writes up to the bound, a
/// session read only if it has what the session saw.
fn read_check(
    store: &Store,
    node: &Multi,
    local_us: i64,
    design: &Design,
    key: Key,
    class: ReadClass,
    min_version: Version,
) -> Result<(), Refusal> {
    match class {
        ReadClass::Strong | ReadClass::Eventual => Ok(()),
        ReadClass::Bounded(bound) => {
            let stale = node.staleness_us(store.region, local_us);
            if design.replica_checks_staleness && stale > bound.as_us() {
                return Err(Refusal::TooStale);
            }
            Ok(())
        }
        ReadClass::Session => {
            if design.session_tokens && store.cells[key as usize].version < min_version {
                return Err(Refusal::TooStale);
            }
            Ok(())
        }
    }
}

/// The conflict policy of the entity type `key` belongs to.
pub fn policy(scenario: &Scenario, key: Key) -> ConflictPolicy {
    scenario.design.conflicts[kind_index(scenario.workload.key_kind(key))]
}

fn kind_index(k: KeyKind) -> usize {
    k as usize
}

/// The home region of `key` under the home-region policy.
pub fn home(scenario: &Scenario, key: Key) -> RegionId {
    RegionId((key as usize % scenario.regions.len()) as u8)
}

/// A client write at `st`, in active-active mode. Returns the answer to send now, or
/// `None` while a conditional write waits for the other regions.
#[allow(clippy::too_many_arguments)]
pub fn write(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    local_us: i64,
    client: RegionId,
    meta: ReqMeta,
    req: Req,
    out: &mut Out,
) -> Option<Res> {
    let key = req.key();
    let pol = policy(scenario, key);
    if pol == ConflictPolicy::HomeRegion && home(scenario, key) != store.region {
        return Some(Res::Refused(Refusal::NotWriter));
    }
    if node.locks.get(&key).is_some_and(|(_, until)| *until > now) {
        return Some(Res::Refused(Refusal::Conflict));
    }
    let Some(mut u) = plan(store, node, scenario, pol, req, meta, local_us) else {
        return Some(Res::Declined);
    };
    if pol == ConflictPolicy::RejectConcurrent {
        node.next_pid += 1;
        let pid = (u64::from(store.region.0) << 56) | node.next_pid;
        u.seq = 0;
        let deadline = now + scenario.design.propose_timeout;
        node.locks.insert(key, (pid, deadline + scenario.design.propose_timeout));
        let waiting = (scenario.regions.len() - 1) as u32;
        node.proposals.insert(
            pid,
            Proposal { update: u, client, op: meta.op, attempt: meta.attempt, waiting, deadline },
        );
        if waiting == 0 {
            return finish_proposal(store, node, scenario, now, pid, true, out);
        }
        for r in scenario.region_ids().filter(|r| *r != store.region) {
            out.send(store.region, r, MultiMsg::Propose { pid, key, base: u.base });
        }
        return None;
    }
    Some(commit_local(store, node, scenario, now, u, out))
}

/// Turns a request into an update against this region's view, or `None` when the
/// business rule (checked here, locally) declines it.
fn plan(
    store: &Store,
    node: &Multi,
    scenario: &Scenario,
    pol: ConflictPolicy,
    req: Req,
    meta: ReqMeta,
    local_us: i64,
) -> Option<Update> {
    let change = change(store, node, scenario, pol, req, meta.op_key)?;
    // A home region orders its keys' writes, and a conditional write follows the version
    // every region agreed on: their stamps never go backwards. Last-writer-wins stamps
    // with the raw clock, as such stores do.
    let base = node.stamps[change.key as usize].0;
    let base2 =
        if change.key2 == NO_KEY { Stamp::default() } else { node.stamps[change.key2 as usize].0 };
    let ordered = matches!(pol, ConflictPolicy::HomeRegion | ConflictPolicy::RejectConcurrent);
    let ts = if ordered { local_us.max(base.ts.max(base2.ts) + 1) } else { local_us };
    let ts = ts.max(node.last_ts + 1);
    Some(Update {
        origin: store.region,
        seq: 0,
        kind: change.kind,
        key: change.key,
        value: change.value,
        key2: change.key2,
        value2: change.value2,
        stamp: Stamp { ts, origin: store.region.0 },
        base,
        base2,
        op_key: meta.op_key,
        write: WriteId::new(meta.op_key, meta.attempt),
        effect: meta.effect,
    })
}

/// What a write changes: one key (or two, for a transfer), as absolute values or as
/// deltas. None when the write's own condition fails here.
struct Change {
    kind: UpdKind,
    key: Key,
    value: i64,
    key2: Key,
    value2: i64,
}

impl Change {
    fn one(kind: UpdKind, key: Key, value: i64) -> Change {
        Change { kind, key, value, key2: NO_KEY, value2: 0 }
    }
}

fn change(
    store: &Store,
    node: &Multi,
    scenario: &Scenario,
    pol: ConflictPolicy,
    req: Req,
    op_key: u64,
) -> Option<Change> {
    let regions = scenario.regions.len();
    let me = store.region.idx();
    let value_of = |k: Key| store.cells[k as usize].value;
    // What this region may spend: under escrow only its own share.
    let spendable = |k: Key| {
        if pol == ConflictPolicy::Escrow {
            node.shares[k as usize * regions + me]
        } else {
            value_of(k)
        }
    };
    let counters =
        matches!(pol, ConflictPolicy::Merge | ConflictPolicy::Escrow | ConflictPolicy::HomeRegion);
    let add = |key: Key, delta: i64| {
        if counters {
            Change::one(UpdKind::Delta, key, delta)
        } else {
            Change::one(UpdKind::Set, key, value_of(key) + delta)
        }
    };
    let set = |key: Key, value: i64| Change::one(UpdKind::Set, key, value);
    let when = |allowed: bool, change: Change| allowed.then_some(change);
    match req {
        Req::Read { .. } => unreachable!("reads do not write"),
        Req::Write { key, value } => Some(set(key, value)),
        Req::Cas { key, expect, new } => when(value_of(key) == expect, set(key, new)),
        Req::Advance { key, to, checked } => {
            when(!checked || crate::scenario::workflow_legal(value_of(key), to), set(key, to))
        }
        Req::Credit { key, amount } => Some(add(key, amount)),
        Req::Release { key, qty, stock } => when(value_of(key) + qty <= stock, add(key, qty)),
        Req::Debit { key, amount, checked } => {
            when(!checked || spendable(key) >= amount, add(key, -amount))
        }
        Req::Reserve { key, qty, checked } => {
            when(!checked || spendable(key) >= qty, add(key, -qty))
        }
        Req::Append { key } => {
            when(store.list_has_room(key), Change::one(UpdKind::Append, key, op_key as i64))
        }
        Req::Transfer { from, to, amount } => {
            let change = if counters {
                Change { kind: UpdKind::Delta, key: from, value: -amount, key2: to, value2: amount }
            } else {
                let (from_value, to_value) = (value_of(from) - amount, value_of(to) + amount);
                Change {
                    kind: UpdKind::Set,
                    key: from,
                    value: from_value,
                    key2: to,
                    value2: to_value,
                }
            };
            when(spendable(from) >= amount, change)
        }
    }
}

/// Applies a write locally, queues it for every other region, and answers it.
fn commit_local(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    mut update: Update,
    out: &mut Out,
) -> Res {
    node.next_seq += 1;
    node.last_ts = node.last_ts.max(update.stamp.ts);
    update.seq = node.next_seq;
    let before = store.cells[update.key as usize].value;
    apply(store, node, scenario, now, &update, out);
    for r in scenario.region_ids().filter(|r| *r != store.region) {
        let q = &mut node.outbound[r.idx()];
        if q.len() >= OUTBOUND_MAX {
            q.pop_front();
            node.dropped += 1;
        }
        q.push_back(update);
    }
    let entry = Entry {
        lsn: update.stamp.version().lsn,
        epoch: 0,
        op: match update.kind {
            UpdKind::Set => EntryOp::Set,
            UpdKind::Delta => EntryOp::Add,
            UpdKind::Append => EntryOp::Append,
        },
        key: update.key,
        key2: update.key2,
        value: update.value,
        commit_at: now,
        commit_local_us: update.stamp.ts,
        op_key: update.op_key,
        attempt: update.write.attempt(),
        idem: false,
        effect: update.effect,
    };
    out.obs.push(Obs::Commit {
        region: store.region,
        entry,
        before,
        after: crate::model::store::values_after(&store.cells, [update.key, update.key2]),
    });
    Res::Written { version: update.stamp.version(), write: update.write }
}
