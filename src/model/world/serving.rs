//! A request's way into a region: the identity check, the application tier (queues,
//! servers, brownouts, poison), then the store through the replication protocol.

use super::super::*;

impl World {
    /// A request reaches region `to`: through its application tier when the design has
    /// one, else straight to the store.
    pub(in crate::model) fn arrive(
        &mut self,
        to: RegionId,
        from: RegionId,
        meta: ReqMeta,
        req: Req,
    ) {
        // Retry amplification counts attempts that reach a region, served or not.
        self.out.obs.push(Obs::Attempt { region: to });
        let job = Job { from, meta, req, enqueued_at: self.now };
        if let Some(id) = self.scenario.design.identity {
            let cached =
                self.regions.token_cache.get(&(to, meta.customer)).is_some_and(|t| *t > self.now);
            if !cached {
                self.out.send(to, id.region, IdentityMsg::Check { job });
                return;
            }
        }
        self.admit(to, job);
    }

    /// The identity service answered for `job`, which waits in region `at`.
    pub(in crate::model) fn identity_reply(&mut self, at: RegionId, job: Job, ok: bool) {
        if !ok {
            let res = Res::Refused(Refusal::Unauthenticated);
            self.out.send(
                at,
                job.from,
                ClientMsg::Response { op: job.meta.op, attempt: job.meta.attempt, res },
            );
            return;
        }
        if let Some(ttl) = self.scenario.design.identity.and_then(|i| i.cache_ttl) {
            self.regions.token_cache.insert((at, job.meta.customer), self.now + ttl);
        }
        self.admit(at, job);
    }

    /// Into the application tier when the design has one, else straight to the store.
    pub(in crate::model) fn admit(&mut self, to: RegionId, job: Job) {
        let (from, m, req) = (job.from, job.meta, job.req);
        let Some(c) = &self.scenario.design.capacity else {
            self.execute(to, from, m, req);
            return;
        };
        let job = Job { enqueued_at: self.now, ..job };
        if let Some(limit) = c.shed_after {
            let (_, oldest) = self.regions.tiers[to.idx()].depth(self.now);
            if oldest > limit {
                let res = Res::Refused(Refusal::Overloaded);
                self.out.send(to, from, ClientMsg::Response { op: m.op, attempt: m.attempt, res });
                return;
            }
        }
        match self.regions.tiers[to.idx()].admit(c, job, self.now) {
            Ok(cell) => self.start_service(to, cell),
            Err(_) => {
                let res = Res::Refused(Refusal::Overloaded);
                self.out.send(to, from, ClientMsg::Response { op: m.op, attempt: m.attempt, res });
            }
        }
    }

    /// Starts what waits in the cell on its free servers; a region that is down runs
    /// no servers (and holds no queue: see `AppTier::region_down`).
    pub(in crate::model) fn start_service(&mut self, region: RegionId, cell: usize) {
        if !self.regions.up[region.idx()] {
            return;
        }
        let c = self.scenario.design.capacity.as_ref().expect("an application tier");
        let tier = &mut self.regions.tiers[region.idx()];
        let incarnation = tier.incarnation;
        for (job, service) in tier.start(c, cell, self.now, &mut self.regions.rng_tiers) {
            let done = Event::ServiceDone { region, cell: cell as u32, job, incarnation };
            self.out.timer(self.now + service, done);
        }
    }

    pub(in crate::model) fn service_done(
        &mut self,
        region: RegionId,
        cell: usize,
        job: Job,
        incarnation: u32,
    ) {
        // Work started before the region's latest outage died with it, and the outage
        // already freed its server: nothing finishes, and its client hears nothing.
        if incarnation != self.regions.tiers[region.idx()].incarnation {
            return;
        }
        debug_assert!(self.regions.up[region.idx()], "a down region finished work");
        let customer = job.meta.customer;
        if self.services.poison_customer == Some(customer) {
            // The request crashes its server; its client hears nothing.
            let c = self.scenario.design.capacity.as_ref().expect("an application tier");
            let back = self.now + c.restart;
            self.regions.tiers[region.idx()].crash(cell, back);
            self.out.timer(back, Event::ServerRestart { region, cell: cell as u32 });
            self.out.obs.push(Obs::Served {
                region,
                cell: cell as u32,
                customer,
                ok: false,
                crashed: true,
            });
            self.start_service(region, cell);
            return;
        }
        let failed =
            self.regions.tiers[region.idx()].finish(cell, self.now, &mut self.regions.rng_tiers);
        self.out.obs.push(Obs::Served {
            region,
            cell: cell as u32,
            customer,
            ok: !failed,
            crashed: false,
        });
        if failed {
            let res = Res::Refused(Refusal::ServerError);
            self.out.send(
                region,
                job.from,
                ClientMsg::Response { op: job.meta.op, attempt: job.meta.attempt, res },
            );
        } else {
            self.execute(region, job.from, job.meta, job.req);
        }
        self.start_service(region, cell);
    }

    /// The store (or, with every region writing, the active-active path) handles it:
    /// first waiting for one of the datastore's servers, when the design gives it some.
    pub(in crate::model) fn execute(
        &mut self,
        to: RegionId,
        from: RegionId,
        meta: ReqMeta,
        req: Req,
    ) {
        let Some(c) = &self.scenario.design.database else {
            self.store_request(to, from, meta, req);
            return;
        };
        let job = Job { from, meta, req, enqueued_at: self.now };
        match self.regions.db[to.idx()].admit(c, job, self.now) {
            Ok(_) => self.start_db(to),
            Err(_) => {
                let res = Res::Refused(Refusal::Overloaded);
                let m = meta;
                self.out.send(to, from, ClientMsg::Response { op: m.op, attempt: m.attempt, res });
            }
        }
    }

    fn store_request(&mut self, to: RegionId, from: RegionId, meta: ReqMeta, req: Req) {
        self.repl(to, |protocol, store, cx| protocol.request(store, cx, from, meta, req));
    }

    /// Starts what waits for the region's datastore servers on those free.
    pub(in crate::model) fn start_db(&mut self, region: RegionId) {
        if !self.regions.up[region.idx()] {
            return;
        }
        let c = self.scenario.design.database.as_ref().expect("database servers");
        let db = &mut self.regions.db[region.idx()];
        let incarnation = db.incarnation;
        for (job, service) in db.start(c, 0, self.now, &mut self.regions.rng_tiers) {
            self.out.timer(self.now + service, Event::DbDone { region, job, incarnation });
        }
    }

    /// A datastore server finished its part: the store handles the request, unless a
    /// database brownout fails it.
    pub(in crate::model) fn db_done(&mut self, region: RegionId, job: Job, incarnation: u32) {
        // Work started before the region's latest outage died with it.
        if incarnation != self.regions.db[region.idx()].incarnation {
            return;
        }
        let failed = self.regions.db[region.idx()].finish(0, self.now, &mut self.regions.rng_tiers);
        if failed {
            let res = Res::Refused(Refusal::ServerError);
            let m = job.meta;
            self.out.send(
                region,
                job.from,
                ClientMsg::Response { op: m.op, attempt: m.attempt, res },
            );
        } else {
            self.store_request(region, job.from, job.meta, job.req);
        }
        self.start_db(region);
    }
}
