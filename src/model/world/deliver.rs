//! Messages arriving at a region, handed to the part they concern.

use super::super::*;

impl World {
    pub(in crate::model) fn deliver(&mut self, from: RegionId, to: RegionId, msg: Msg) {
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

    pub(in crate::model) fn routing_apply(
        &mut self,
        region: RegionId,
        writer: RegionId,
        epoch: u32,
        lag_us: Vec<u64>,
    ) {
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
}
