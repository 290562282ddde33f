//! The clients: arrivals, attempts and their routes, timeouts, retries with backoff
//! and budgets, answers (only the attempt in flight is heard), guards on each target,
//! and the end of each operation.

use super::super::*;

impl World {
    pub(in crate::model) fn on_arrival(&mut self, region: RegionId, sched: &mut Scheduler<Event>) {
        if self.phase != Phase::Drill {
            return;
        }
        let d = client::interarrival(
            &self.scenario,
            self.clients.surge[region.idx()],
            &mut self.clients.rng,
        );
        sched.after(d, Event::Arrival { region });
        let mut op = client::draw_op(&self.scenario, &mut self.clients.rng, region, self.now);
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

    pub(in crate::model) fn start_attempt(&mut self, id: OpId) {
        let now = self.now;
        let timeout = self.scenario.workload.timeout;
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
                (req, self.replication.route(&self.scenario, router, op))
            }
        };
        let (region, attempt, token, op_key) = (op.region, op.attempt, router.epoch, op.key);
        op.target = target;
        op.sent_at = now;
        if let Some(b) = &self.scenario.design.breaker {
            if !self.clients.routers[region.idx()].guards[target.idx()].breaker.allow(now, b) {
                // Fail fast: the attempt never leaves the client region.
                let res = Res::Refused(Refusal::BreakerOpen);
                self.out.timer(
                    now,
                    Event::Deliver {
                        from: target,
                        to: region,
                        msg: ClientMsg::Response { op: id, attempt, res }.into(),
                    },
                );
                return;
            }
        }
        self.out.obs.push(Obs::Sent { first: attempt == 1 });
        let customer = client::customer_of(op_key, self.scenario.workload.customers);
        let idem = self.scenario.design.idempotency_keys && req.is_write();
        let effect =
            self.scenario.design.stream.side_effects && op.kind.has_effect() && req.is_write();
        self.out.send(
            region,
            target,
            ClientMsg::Request {
                meta: ReqMeta {
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

    pub(in crate::model) fn health_tick(&mut self, sched: &mut Scheduler<Event>) {
        let Some(h) = self.scenario.design.health else { return };
        sched.after(h.interval, Event::HealthTick);
        for &from in &self.scenario.workload.client_regions.clone() {
            if !self.regions.up[from.idx()] {
                continue;
            }
            for to in self.scenario.region_ids() {
                let g = &mut self.clients.routers[from.idx()].guards[to.idx()];
                if g.probing {
                    g.health.failures += 1;
                    if g.health.failures >= h.threshold && !g.health.down {
                        g.health.down = true;
                        self.out.obs.push(Obs::Guard {
                            region: from,
                            target: to,
                            state: GuardState::Health { down: true },
                        });
                    }
                }
                g.probing = true;
                self.out.send(from, to, HealthMsg::Probe);
            }
        }
    }

    /// Feeds an attempt's outcome to the client region's guards on its target.
    pub(in crate::model) fn guard_outcome(
        &mut self,
        region: RegionId,
        target: RegionId,
        ok: bool,
        latency: SimDuration,
    ) {
        let now = self.now;
        let design = &self.scenario.design;
        let g = &mut self.clients.routers[region.idx()].guards[target.idx()];
        if let Some(b) = &design.breaker {
            if let Some(st) = g.breaker.record(now, ok, b) {
                let state = GuardState::Breaker(st.phase());
                self.out.obs.push(Obs::Guard { region, target, state });
            }
        }
        if let Some(c) = &design.detection {
            if let Some(bad) = g.detector.record(ok, latency, c) {
                let state = GuardState::Detector { degraded: bad };
                self.out.obs.push(Obs::Guard { region, target, state });
            }
        }
    }

    pub(in crate::model) fn on_timeout(&mut self, id: OpId, attempt: u32) {
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        if op.attempt != attempt || op.backing_off {
            return;
        }
        if op.req.is_write() && !op.prechecking {
            op.maybe_applied = true;
        }
        let (region, target, took) = (op.region, op.target, self.now.since(op.sent_at));
        let op_key = op.key;
        self.out.obs.push(Obs::TimedOut { region, op_key, attempt });
        self.guard_outcome(region, target, false, took);
        self.retry_or_fail(id);
    }

    pub(in crate::model) fn retry_or_fail(&mut self, id: OpId) {
        let attempts = self.scenario.workload.attempts;
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        let retrying = matches!(self.phase, Phase::Drill | Phase::FinalReads { .. });
        if op.attempt < attempts && retrying {
            // A retry budget spends a token per retry; without one, the op gives up.
            let tokens = &mut self.clients.retry_tokens[op.region.idx()];
            if self.scenario.workload.budget.is_none() || *tokens >= 1.0 {
                if self.scenario.workload.budget.is_some() {
                    *tokens -= 1.0;
                }
                let d = client::backoff(
                    &self.scenario,
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
    pub(in crate::model) fn on_response(&mut self, id: OpId, attempt: u32, res: Res) {
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
    pub(in crate::model) fn complete(
        &mut self,
        id: OpId,
        ok: bool,
        written: Option<(Version, WriteId)>,
        read: Option<Box<ReadResult>>,
    ) {
        let Some(op) = self.clients.ops.get_mut(id) else { return };
        let (kind, region, invoked_at, attempts) = (op.kind, op.region, op.invoked_at, op.attempt);
        let (delta, key, session, op_key) = (op.delta, op.req.key(), op.session, op.key);
        if let (true, Some(b)) = (ok, self.scenario.workload.budget) {
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
}
