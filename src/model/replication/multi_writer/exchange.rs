//! What peers say to each other: batches of updates and their acknowledgements, and
//! the proposals, replies and decisions of a key's home region.

use super::merge::apply;
use super::*;

/// Ships unsent updates to every other region; with `keepalive`, a region with nothing
/// new still hears how far this one's sequence goes, so it can tell how fresh it is.
pub fn flush(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    local_us: i64,
    keepalive: bool,
    out: &mut Out,
) {
    let end = node.next_seq;
    for r in scenario.region_ids().filter(|r| *r != store.region) {
        let sent = node.sent[r.idx()];
        let batch: Vec<Update> = node.outbound[r.idx()]
            .iter()
            .filter(|u| u.seq > sent)
            .take(UPDATES_BATCH_MAX)
            .copied()
            .collect();
        if let Some(last) = batch.last() {
            node.sent[r.idx()] = last.seq;
        } else if !keepalive {
            continue;
        }
        out.send(
            store.region,
            r,
            MultiMsg::Updates { updates: batch, end, sender_local_us: local_us },
        );
    }
}

/// Periodic duties: resend what was not acknowledged in time, expire proposals, and
/// tell every region how far this one's writes go.
pub fn tick(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    local_us: i64,
    out: &mut Out,
) {
    for r in scenario.region_ids().filter(|r| *r != store.region) {
        let q = &node.outbound[r.idx()];
        if !q.is_empty() && now.since(node.last_progress[r.idx()]) > scenario.design.repl_retransmit
        {
            node.sent[r.idx()] = q.front().map_or(0, |u| u.seq - 1);
            node.last_progress[r.idx()] = now;
        }
    }
    let expired: Vec<u64> =
        node.proposals.iter().filter(|(_, p)| p.deadline <= now).map(|(pid, _)| *pid).collect();
    for pid in expired {
        finish_proposal(store, node, scenario, now, pid, false, out);
    }
    flush(store, node, scenario, local_us, true, out);
}

/// Updates from `from`: apply those next in its sequence, acknowledge how far we are.
/// Having applied all the sender had sent, this region is as fresh as the sender's
/// clock said when it sent them.
#[allow(clippy::too_many_arguments)]
pub fn on_updates(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    from: RegionId,
    updates: &[Update],
    end: u64,
    sender_local_us: i64,
    out: &mut Out,
) {
    for u in updates {
        let next = node.received[from.idx()] + 1;
        if u.seq < next {
            continue;
        }
        if u.seq > next {
            break;
        }
        apply(store, node, scenario, now, u, out);
        node.received[from.idx()] = u.seq;
    }
    if node.received[from.idx()] >= end {
        let f = &mut node.fresh_as_of_local_us[from.idx()];
        *f = (*f).max(sender_local_us);
    }
    if !updates.is_empty() {
        out.send(store.region, from, MultiMsg::UpdatesAck { upto: node.received[from.idx()] });
    }
}

pub fn on_updates_ack(node: &mut Multi, now: SimTime, from: RegionId, upto: u64) {
    let q = &mut node.outbound[from.idx()];
    let before = q.len();
    while q.front().is_some_and(|u| u.seq <= upto) {
        q.pop_front();
    }
    if q.len() < before {
        node.last_progress[from.idx()] = now;
    }
    if node.sent[from.idx()] < upto {
        node.sent[from.idx()] = upto;
    }
}

/// Another region proposes a conditional write: agree if this region still holds the
/// version it read and no other proposal holds the key.
#[allow(clippy::too_many_arguments)]
pub fn on_propose(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    from: RegionId,
    pid: u64,
    key: Key,
    base: Stamp,
    out: &mut Out,
) {
    let locked = node.locks.get(&key).is_some_and(|(p, until)| *p != pid && *until > now);
    let ok = !locked && node.stamps[key as usize].0 == base;
    if ok {
        node.locks.insert(
            key,
            (pid, now + scenario.design.propose_timeout + scenario.design.propose_timeout),
        );
    }
    out.send(store.region, from, MultiMsg::ProposeReply { pid, ok });
}

pub fn on_propose_reply(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    pid: u64,
    ok: bool,
    out: &mut Out,
) {
    let Some(p) = node.proposals.get_mut(&pid) else { return };
    if !ok {
        finish_proposal(store, node, scenario, now, pid, false, out);
        return;
    }
    p.waiting -= 1;
    if p.waiting == 0 {
        finish_proposal(store, node, scenario, now, pid, true, out);
    }
}

/// Ends a proposal: commit it everywhere, or release the key and refuse the client.
pub(super) fn finish_proposal(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    pid: u64,
    commit: bool,
    out: &mut Out,
) -> Option<Res> {
    let p = node.proposals.remove(&pid)?;
    if node.locks.get(&p.update.key).is_some_and(|(l, _)| *l == pid) {
        node.locks.remove(&p.update.key);
    }
    for r in scenario.region_ids().filter(|r| *r != store.region) {
        out.send(store.region, r, MultiMsg::Decide { pid, key: p.update.key });
    }
    let res = if commit {
        commit_local(store, node, scenario, now, p.update, out)
    } else {
        out.obs.push(Obs::ConflictRejected { region: store.region, key: p.update.key });
        Res::Refused(Refusal::Conflict)
    };
    out.send(store.region, p.client, ClientMsg::Response { op: p.op, attempt: p.attempt, res });
    None
}

/// The proposer decided: release the key if this proposal holds it.
pub fn on_decide(node: &mut Multi, pid: u64, key: Key) {
    if node.locks.get(&key).is_some_and(|(l, _)| *l == pid) {
        node.locks.remove(&key);
    }
}
