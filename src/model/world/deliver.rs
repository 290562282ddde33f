//! Messages arriving at a region, handed to the part they concern: one handler per
//! message family.

use super::super::*;

impl World {
    pub(in crate::model) fn deliver(&mut self, from: RegionId, to: RegionId, msg: Msg) {
        if !self.regions.up[to.idx()] {
            return;
        }
        match msg {
            Msg::Client(ClientMsg::Request { meta, req }) => self.arrive(to, from, meta, req),
            Msg::Client(ClientMsg::Response { op, attempt, res }) => {
                self.on_response(op, attempt, res)
            }
            Msg::Repl(msg) => {
                self.repl(to, |protocol, store, cx| protocol.deliver(store, cx, from, msg))
            }
            Msg::Control(msg) => self.control_message(from, to, msg),
            Msg::Runbook(msg) => self.runbook_message(from, to, msg),
            Msg::Health(msg) => self.health_message(from, to, msg),
            Msg::Identity(IdentityMsg::Check { job }) => {
                let ok = self.services.identity_up;
                self.out.send(to, from, IdentityMsg::Reply { job, ok });
            }
            Msg::Identity(IdentityMsg::Reply { job, ok }) => self.identity_reply(to, job, ok),
            Msg::Successor(SuccessorMsg::Probe { round }) => self.successor_probe(to, from, round),
            Msg::Successor(SuccessorMsg::Ack { round, writer_heard }) => {
                let st = &mut self.stores[to.idx()];
                if let Some(q) = st.quorum.as_mut().filter(|q| q.0 == round) {
                    q.1[from.idx()] = !writer_heard;
                }
            }
        }
    }

    /// Between the control plane and the nodes (and the routers it tells).
    fn control_message(&mut self, from: RegionId, to: RegionId, msg: ControlMsg) {
        let now = self.now;
        let local_us = self.local(to);
        let design = &self.scenario.design;
        let store = &mut self.stores[to.idx()];
        let at_control = to == self.control.region && self.services.control_up;
        match msg {
            ControlMsg::Heartbeat { report } => {
                if at_control {
                    self.control.on_heartbeat(now, from, report);
                }
            }
            ControlMsg::LeaseRequest { epoch, requested_local_us } => {
                if at_control {
                    let out = &mut self.out;
                    self.control.on_lease_request(
                        local_us,
                        design,
                        from,
                        epoch,
                        requested_local_us,
                        out,
                    );
                }
            }
            ControlMsg::LeaseGrant { epoch, requested_local_us } => {
                store.last_control_contact = now;
                store.emergency = false;
                store.on_lease_grant(epoch, requested_local_us, design.lease)
            }
            ControlMsg::Config { writer, epoch, reconcile } => {
                if from == self.control.region {
                    store.last_control_contact = now;
                }
                store.reconciling |= reconcile;
                store.on_config(now, writer, epoch, &mut self.out);
                self.lease_watch(to);
            }
            ControlMsg::Routing { writer, epoch, lag_us } => {
                let apply = Event::RoutingApply { region: to, writer, epoch, lag_us };
                self.out.timer(now + design.routing_propagation, apply);
            }
            ControlMsg::PositionQuery { round } => {
                let end_lsn = store.end_lsn;
                self.out.send(to, from, ControlMsg::PositionReply { round, end_lsn });
            }
            ControlMsg::PositionReply { round, end_lsn } => {
                if at_control {
                    self.control.on_position_reply(from, round, end_lsn);
                }
            }
        }
    }

    /// The failover runbook's steps as they reach a store.
    fn runbook_message(&mut self, from: RegionId, to: RegionId, msg: RunbookMsg) {
        let now = self.now;
        let local_us = self.local(to);
        let design = &self.scenario.design;
        let st = &mut self.stores[to.idx()];
        let out = &mut self.out;
        match msg {
            RunbookMsg::Reconcile => st.reconciling = true,
            RunbookMsg::Reapply { entries } => {
                // A store that is not the writer passes them back to be retried later.
                if st.primary {
                    st.on_reapply(now, local_us, design, from, entries, out);
                } else {
                    st.discarded.extend(entries);
                }
            }
            RunbookMsg::Freeze { frozen } => st.frozen = frozen,
            RunbookMsg::Queues { epoch, quarantine } => {
                let workers = &mut self.regions.workers[to.idx()];
                workers.release(epoch, quarantine, st, now, local_us, design, out)
            }
        }
    }

    /// Health checks: the cheap path, where the region's edge answers without its
    /// application tier.
    fn health_message(&mut self, from: RegionId, to: RegionId, msg: HealthMsg) {
        match msg {
            HealthMsg::Probe => self.out.send(to, from, HealthMsg::Ok),
            HealthMsg::Ok => {
                let guard = &mut self.clients.routers[to.idx()].guards[from.idx()];
                guard.probing = false;
                guard.health.failures = 0;
                if guard.health.down {
                    guard.health.down = false;
                    let state = GuardState::Health { down: false };
                    self.out.obs.push(Obs::Guard { region: to, target: from, state });
                }
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
