//! Single-leader log shipping: one region's store commits writes and ships its log to
//! every other; followers apply at a bounded rate and give up a divergent tail when the
//! leader's lineage does not hold it. The mechanism lives in `Store` (requests, leader
//! and follower sides); this module is its face to the world.

use super::{Cx, Replication};
use crate::model::client::{Op, Router};
use crate::model::msg::{LogMsg, ReplMsg};
use crate::model::store::{AckPositions, Store};
use crate::model::types::Req;
use crate::model::types::ReqMeta;
use crate::scenario::{RegionId, Scenario};

pub struct LogShipping;

impl Replication for LogShipping {
    fn request(
        &mut self,
        store: &mut Store,
        cx: &mut Cx,
        client: RegionId,
        meta: ReqMeta,
        req: Req,
    ) {
        store.on_request(cx.now, cx.local_us, &cx.scenario.design, client, meta, req, cx.out)
    }

    fn deliver(&mut self, store: &mut Store, cx: &mut Cx, from: RegionId, msg: ReplMsg) {
        // One protocol runs per simulation: another protocol's message cannot arrive.
        let ReplMsg::Log(msg) = msg else { return };
        let design = &cx.scenario.design;
        match msg {
            LogMsg::Append {
                epoch,
                prev_lsn,
                prev_epoch,
                entries,
                leader_local_us,
                leader_end,
                leader_commit,
                round_us,
            } => {
                if from == store.leader {
                    store.last_leader_contact = cx.now;
                }
                store.on_append(
                    cx.now,
                    design,
                    from,
                    epoch,
                    prev_lsn,
                    prev_epoch,
                    &entries,
                    leader_local_us,
                    leader_end,
                    leader_commit,
                    round_us,
                    cx.out,
                )
            }
            LogMsg::AppendAck { epoch, end_lsn, synced_lsn, gap, need_snapshot, .. } => store
                .on_append_ack(
                    cx.now,
                    design,
                    from,
                    epoch,
                    AckPositions { end_lsn, synced_lsn, gap, need_snapshot },
                    cx.out,
                ),
            LogMsg::Snapshot(snap) => store.on_snapshot(design, from, &snap, cx.out),
        }
    }

    fn node_tick(&mut self, store: &mut Store, cx: &mut Cx) {
        store.tick(cx.now, cx.local_us, &cx.scenario.design, cx.out);
        store.reconcile(cx.out);
    }

    fn flush(&mut self, store: &mut Store, cx: &mut Cx) {
        store.flush(cx.local_us, false, cx.out);
    }

    /// Writes and strong reads go to the writer the router knows, other reads by
    /// freshness class (the router's own rules).
    fn route(&self, scenario: &Scenario, router: &Router, op: &Op) -> RegionId {
        router.route(scenario, op)
    }

    fn settled(&self, stores: &[Store], writer: RegionId, workers_drained: bool) -> bool {
        let store = &stores[writer.idx()];
        store.primary
            && store.ready
            && workers_drained
            && stores.iter().all(|st| {
                (!st.reconciling || st.discarded.is_empty())
                    && st.applied_lsn == st.end_lsn
                    && (st.region == store.region || !st.primary)
            })
    }
}
