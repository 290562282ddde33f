//! Applying a replicated change at a peer: deltas add, sets resolve by the key's
//! conflict policy.

use super::*;

/// Applies an update (local or remote) to this region's state by its kind.
pub(super) fn apply(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    update: &Update,
    out: &mut Out,
) {
    match update.kind {
        UpdKind::Append => {
            let len = store.list_push(update.key, update.value as u64);
            let cell = &mut store.cells[update.key as usize];
            cell.value = len;
            cell.version = cell.version.max(update.stamp.version());
            cell.commit_at = now;
            cell.seen.push(update.write, now);
        }
        UpdKind::Delta => {
            for (key, delta) in [(update.key, update.value), (update.key2, update.value2)] {
                if key != NO_KEY {
                    apply_delta(store, node, scenario, now, update, key, delta);
                }
            }
        }
        UpdKind::Set => {
            // Each key keeps its own stamp: the larger one wins, key by key.
            for (key, value, base) in [
                (update.key, update.value, update.base),
                (update.key2, update.value2, update.base2),
            ] {
                if key != NO_KEY {
                    apply_set(store, node, now, update, key, value, base, out);
                }
            }
        }
    }
    if store.region != update.origin {
        let after =
            |k: Key| if k == NO_KEY { (NO_KEY, 0) } else { (k, store.cells[k as usize].value) };
        out.obs.push(Obs::Merged {
            region: store.region,
            after: [after(update.key), after(update.key2)],
        });
    }
}

/// A counter's change: every delta counts, in any order (under escrow, into the
/// origin's share).
fn apply_delta(
    store: &mut Store,
    node: &mut Multi,
    scenario: &Scenario,
    now: SimTime,
    update: &Update,
    key: Key,
    delta: i64,
) {
    let regions = scenario.regions.len();
    let k = key as usize;
    if policy(scenario, key) == ConflictPolicy::Escrow {
        node.shares[k * regions + update.origin.idx()] += delta;
        store.cells[k].value = node.shares[k * regions..k * regions + regions].iter().sum();
    } else {
        store.cells[k].value += delta;
    }
    // The newest stamp applied: what a session token is compared with.
    let cell = &mut store.cells[k];
    cell.version = cell.version.max(update.stamp.version());
    cell.commit_at = now;
    cell.seen.push(update.write, now);
}

/// An absolute value: the larger stamp wins; the other write is superseded unless the
/// winner's writer had seen it.
#[allow(clippy::too_many_arguments)]
fn apply_set(
    store: &mut Store,
    node: &mut Multi,
    now: SimTime,
    update: &Update,
    key: Key,
    value: i64,
    base: Stamp,
    out: &mut Out,
) {
    let (current_stamp, current_base) = node.stamps[key as usize];
    // The write the key's value now comes from, by identity.
    let current = node.winners[key as usize];
    let region = store.region;
    if update.stamp > current_stamp {
        if current_stamp != Stamp::default() && base != current_stamp {
            out.obs.push(Obs::Superseded { region, key, loser: current, winner: update.write });
        }
        node.stamps[key as usize] = (update.stamp, base);
        node.winners[key as usize] = update.write;
        let cell = &mut store.cells[key as usize];
        cell.value = value;
        cell.version = update.stamp.version();
        cell.commit_at = now;
        cell.seen.push(update.write, now);
    } else if update.stamp < current_stamp && current_base != update.stamp {
        // The arriving write is older by its stamp: it loses on arrival.
        out.obs.push(Obs::Superseded { region, key, loser: update.write, winner: current });
    } else if update.stamp < current_stamp {
        // Older, but the current value was written by a region that had seen it: the
        // value reflects it without taking it.
        store.cells[key as usize].seen.push(update.write, now);
    }
}
